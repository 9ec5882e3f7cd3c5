#!/bin/sh
# container.sh [--usr-from-host] [--bind SRC:DST[:ro]]... ROOTFS [CMD [ARG...]]
#
# A container from nsutils parts, the way the walkthroughs build one by hand:
#   1. a cgroup with a memory and a CPU limit          (cgcreate, cgxset)
#   2. new pid, mount, UTS, IPC, network and cgroup
#      namespaces, the process placed in the cgroup     (cgexec, unshare)
#   3. a copy-on-write root: ROOTFS under a throw-away
#      upper layer on a tmpfs, so ROOTFS never changes  (ovlmount --tmpfs-upper)
#   4. that root made / with proc and a small /dev     (pivot)
#   5. a hostname, then CMD (default /bin/sh) as pid 1
# Everything it makes is removed when it ends, also on Ctrl-C and on failure: the overlay
# and its tmpfs live in the container's mount namespace and die with it; the trap removes
# the cgroup.
# Where systemd manages a cgroup v2 host, the cgroup is made inside a scope systemd delegates
# to the script, nsutils.slice/NAME.scope/container (cgroup-home.sh says how), so nothing is
# created behind systemd's back; elsewhere it is NAME at the top of each hierarchy.
#
# --usr-from-host  mount a read-only overlay of the host's /usr at /usr (for a ROOTFS that
#                  is only a skeleton: /etc files and bin -> usr/bin style links)
# --bind S:D[:ro]  bind the host's S at D in the container (repeatable)
# Environment: NSUTILS_NAME (the cgroup's name; default nsutils-container-PID),
# NSUTILS_HOSTNAME (default: the name), NSUTILS_MEMORY (default 64M),
# NSUTILS_CPU_QUOTA (microseconds per 100 ms period; default 50000, half a CPU).
# NSUTILS_SHOW=1 prints the cgroup's limits first; NSUTILS_CGROUP=none leaves out the cgroup
# (where you may not create one, or to compare with tools that set no limits). The nsutils tools are taken from
# $NSUTILS_BIN when set, else from PATH.
set -eu

usage() {
    echo "usage: $0 [--usr-from-host] [--bind SRC:DST[:ro]]... ROOTFS [CMD [ARG...]]" >&2
    exit 2
}

usr_from_host=
binds=
while [ $# -gt 0 ]; do
    case $1 in
        --usr-from-host) usr_from_host=1; shift ;;
        --bind) [ $# -ge 2 ] || usage; binds="$binds --bind $2"; shift 2 ;;
        --bind=*) binds="$binds --bind ${1#--bind=}"; shift ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -ge 1 ] || usage
rootfs=$(cd -- "$1" && pwd -P) || exit 1
shift
[ $# -gt 0 ] || set -- /bin/sh

if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi
name=${NSUTILS_NAME:-nsutils-container-$$}
hostname=${NSUTILS_HOSTNAME:-$name}
memory=${NSUTILS_MEMORY:-64M}
cpu_quota=${NSUTILS_CPU_QUOTA:-50000}

. "$(dirname -- "$0")/cgroup-home.sh"

group=
trap cgroup_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

in_cgroup=
if [ "${NSUTILS_CGROUP:-}" != none ]; then
    cgroup_home "$name"
    if [ -n "$home" ]; then where=$home/container; else where=/$name; fi
    container_group "$where" "$memory" "$cpu_quota"
fi

# Inside the new namespaces: the overlay, mounted over ROOTFS itself with its upper layer on
# a tmpfs of its own, all in the container's mount namespace, so the host never sees it and
# it goes away with the container; then pivot into it. "$@" is the command.
inside='
    set -e
    ovlmount mount --lower "$ROOTFS" --tmpfs-upper "$ROOTFS"
    if [ -n "$USR_FROM_HOST" ]; then
        mkdir -p "$ROOTFS/usr"
        ovlmount mount --read-only --lower /usr --tmpfs-upper "$ROOTFS/usr"
    fi
    exec pivot --proc --dev --hostname "$CT_HOSTNAME" $BINDS "$ROOTFS" "$@"
'
# --kill-child: when unshare goes (Ctrl-C, a kill), the container's pid 1 goes with it.
ROOTFS=$rootfs USR_FROM_HOST=$usr_from_host BINDS=$binds \
CT_HOSTNAME=$hostname \
    $in_cgroup unshare --fork --pid --mount --uts --ipc --net --cgroup --kill-child \
    /bin/sh -c "$inside" container "$@"
