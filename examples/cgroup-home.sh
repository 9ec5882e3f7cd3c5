# cgroup-home.sh: sourced by the examples that create cgroups; defines cgroup_home,
# container_group and cgroup_cleanup.
#
# cgroup_home NAME: decide where this script's groups go and say it in $home, the path every
# group name the script uses starts with ("" = the top of each hierarchy).
#
# Where systemd manages a cgroup v2 host, the tree is systemd's: a group made behind its back
# can be moved, emptied or removed by it, and as an ordinary user there is nowhere else to go.
# There the groups go into a scope that systemd delegates to us: `cgcreate -c` starts NAME.scope
# (in nsutils.slice of the system manager as root; with --user in app.slice of the user's own
# manager otherwise) with this shell as its process. The shell then moves into a leaf of its
# own, `NAME.scope/supervisor`, because a v2 group with processes cannot hand controllers down
# to children (the no-internal-process rule), and the script's groups are made next to it.
# systemd stops the scope, and removes what is left of it, when this shell and everything it
# started have ended, also after a kill -9: nothing to clean up by hand.
# Elsewhere (no systemd, cgroup v1 controllers, or a user with no systemd manager of their
# own) the groups go at the top of each hierarchy, which needs root.
cgroup_home() {
    home=
    [ -d /run/systemd/system ] || return 0
    # On a unified host /proc/self/cgroup is the one line 0::PATH.
    IFS= read -r line </proc/self/cgroup
    case $line in 0::/*) ;; *) return 0 ;; esac
    if [ "$(id -u)" = 0 ]; then
        cgcreate -c -p $$ -g ":nsutils.slice/$1.scope"
    else
        # A user's manager is reached on their session bus; a user without one (no login
        # session, no lingering) has nowhere to go.
        [ -S "${XDG_RUNTIME_DIR:-/nonexistent}/bus" ] || return 0
        cgcreate --user -c -p $$ -g ":app.slice/$1.scope"
    fi
    IFS= read -r line </proc/self/cgroup
    home=${line#0::}
    cgcreate -g ":$home/supervisor"
    cgclassify -g ":$home/supervisor" $$
}

# container_group GROUP MEMORY QUOTA: make GROUP (memory and cpu) the container's cgroup, with
# a memory limit and a CPU quota in microseconds per 100 ms period, written with their cgroup
# v1 names, which cgxset -1 translates on a v2 host (memory.max, cpu.max). Prints the limits
# when NSUTILS_SHOW is set. Sets $group (for cgroup_cleanup) and $in_cgroup, the command
# prefix that runs a program in the group.
container_group() {
    # A signal while cgcreate runs ends the script before `group=` below: cgroup_cleanup
    # then deletes whatever of the group cgcreate had made.
    creating=$1
    cgcreate -g "memory,cpu:$1"
    group=$1
    cgxset -1 -r "memory.limit_in_bytes=$2" -r cpu.cfs_period_us=100000 \
        -r "cpu.cfs_quota_us=$3" "$group"
    in_cgroup="cgexec -g memory,cpu:$group"
    if [ -n "${NSUTILS_SHOW:-}" ]; then
        echo "cgroup $group:"
        cgxget -1 -n -r memory.limit_in_bytes -r cpu.cfs_period_us -r cpu.cfs_quota_us "$group"
    fi
}

# cgroup_cleanup: the EXIT trap of a script with a container group: delete $group, if made
# (cgdelete moves any process still in it to its parent first; a scope goes by itself once
# the script has ended), or what an interrupted cgcreate made of it, and exit with the
# script's status. A signal meanwhile is ignored: it would end the clean-up half-way.
cgroup_cleanup() {
    status=$?
    trap - EXIT
    trap '' INT TERM HUP PIPE
    if [ -n "${group:-}" ]; then
        cgdelete -g "memory,cpu:$group" || status=1
    elif [ -n "${creating:-}" ]; then
        # Perhaps in no hierarchy, or in one of the two: not finding it is no error.
        cgdelete -g "memory,cpu:$creating" 2>/dev/null || :
    fi
    exit "$status"
}
