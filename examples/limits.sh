#!/bin/sh
# limits.sh
#
# The classic cgroup resource demos, measured, with nsutils' cg tools:
#   1. memory: a shell that collects 64M in a variable, in a group limited to 15M (and to
#      no swap where the kernel accounts it), is killed by the OOM killer: its exit status
#      shows the SIGKILL, the group's oom_kill counter the kill
#   2. CPU quota: a busy loop in a group with cpu.cfs_quota_us=25000 per 100000 period gets
#      about 25 % of a CPU
#   3. CPU shares: two busy loops pinned to CPU 0 (cpuset.cpus=0), in groups with cpu.shares
#      768 and 256, split that CPU about 75 % / 25 %
# CPU time is the groups' own counters (cpu.stat usage_usec on cgroup v2, cpuacct.usage on
# v1) over a wall-clock interval. The settings are written with their cgroup v1 names by
# cgxset -1, which translates them where a controller lives in cgroup v2 (memory.max,
# memory.swap.max, cpu.max, cpu.weight), so the script runs unchanged on v1, v2 and hybrid
# hosts. Needs root and the memory, cpu and cpuset controllers.
#
# The groups are nsutils-limits-PID-memory, -quota, -shares768 and -shares256, each at the
# top of its hierarchies, or, where systemd manages a cgroup v2 host, inside the scope
# nsutils.slice/nsutils-limits-PID.scope that systemd delegates to the script (cgroup-home.sh).
# Everything is removed when the script ends, also on Ctrl-C and on failure: the trap kills
# the processes it started (by PID) and deletes the groups it made; systemd the scope.
# Environment: NSUTILS_SECONDS (the length of each CPU measurement, whole seconds; default 3).
# The nsutils tools are taken from $NSUTILS_BIN when set, else from PATH.
set -eu

if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi
prefix=nsutils-limits-$$
seconds=${NSUTILS_SECONDS:-3}
case $seconds in '' | *[!0-9]* | 0) echo "$0: NSUTILS_SECONDS must be a whole number of seconds" >&2; exit 2 ;; esac

pids=     # processes this script started and has not reaped yet
groups=   # controllers:/name of each group it made
creating= # controllers:/name of the group cgcreate is making
cleanup() {
    status=$?
    trap - EXIT
    # A signal now would end the clean-up half-way.
    trap '' INT TERM HUP PIPE
    # Only our own children, which are not reaped yet: their PIDs cannot have been reused.
    # Every job of this shell too: a signal between a job's `&` and `pids=` leaves it
    # unrecorded.
    jobs=$(jobs -p 2>/dev/null) || jobs=
    for pid in $pids $jobs; do kill -KILL "$pid" 2>/dev/null || :; done
    for pid in $pids $jobs; do wait "$pid" 2>/dev/null || :; done
    # cgdelete moves any process still in a group (a dying pipeline's last member) out first.
    for group in $groups; do cgdelete -g "$group" || status=1; done
    # What a cgcreate interrupted by a signal made of its group, if anything.
    [ -z "$creating" ] || cgdelete -g "$creating" 2>/dev/null || :
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# pause SECONDS: sleep, in a way a signal interrupts at once (the trap runs as soon as
# `wait` returns, not when a foreground sleep ends).
pause() {
    sleep "$1" &
    pids="$pids $!"
    wait $!
    pids=${pids% *}
}

# start CONTROLLERS:GROUP: a busy loop in that group, in the background; its PID in $!.
# The loop ends by itself once this script is gone, also after a kill -9 (which no trap sees).
start_loop() {
    cgexec -g "$1" sh -c 'while kill -0 "$1" 2>/dev/null; do :; done' loop $$ &
    pids="$pids $!"
}

# stop: kill every process started so far, and reap them.
stop() {
    for pid in $pids; do kill -KILL "$pid"; done
    # (2>/dev/null: dash reports a killed child as "Killed".)
    for pid in $pids; do wait "$pid" 2>/dev/null || :; done
    pids=
}

# The value of KEY in a "key value" list on standard input (cgget -v of a statistics file).
field() {
    while read -r key value; do
        if [ "$key" = "$1" ]; then echo "$value"; fi
    done
}

# The CPU time group $1 has used so far, in microseconds.
cpu_usage() {
    usage=$(cgget -n -v -r cpu.stat "$1" | field usage_usec)
    if [ -z "$usage" ]; then
        # cgroup v1: cpu.stat has no usage; cpuacct counts nanoseconds.
        usage=$(cgget -n -v -r cpuacct.usage "$1")
        usage=$((usage / 1000))
    fi
    echo "$usage"
}

# The time since boot in hundredths of a second (/proc/uptime: coreutils' and busybox'
# date differ on %N).
now() {
    read -r up _ </proc/uptime
    echo "${up%.*}${up#*.}"
}

# tenths NUMBER: 123 as 12.3.
tenths() {
    echo "$(($1 / 10)).$(($1 % 10))"
}

# percent PART WHOLE: PART/WHOLE in percent, to a tenth, rounded.
percent() {
    tenths $((($1 * 1000 + $2 / 2) / $2))
}

# The controllers mounted here (lssubsys prints each hierarchy's controllers, comma-separated).
mounted=" $(lssubsys | tr ',\n' '  ') "
for controller in memory cpu cpuset; do
    case $mounted in
        *" $controller "*) ;;
        *) echo "$0: the $controller controller is not mounted on this host" >&2; exit 1 ;;
    esac
done
# cgroup v1 counts CPU time in the cpuacct controller (often co-mounted with cpu); cgroup v2
# has no cpuacct: cpu.stat counts it.
cpu=cpu
case $mounted in *" cpuacct "*) cpu=cpu,cpuacct ;; esac

. "$(dirname -- "$0")/cgroup-home.sh"
cgroup_home "$prefix"

# new_group CONTROLLERS NAME: create the group $home/$prefix-NAME; its name in $group.
new_group() {
    group=$home/$prefix-$2
    creating=$1:$group
    cgcreate -g "$1:$group"
    groups="$groups $1:$group"
    creating=
}

# 1. Memory.
limit=$((15 * 1024 * 1024))
size=$((64 * 1024 * 1024))
new_group memory memory
cgxset -1 -r "memory.limit_in_bytes=$limit" "$group"
# Swap would take what the limit keeps out of memory: limit memory plus swap to the same
# (memory.swap.max=0 on v2), where the kernel accounts swap at all.
if cgxget -1 -r memory.memsw.limit_in_bytes "$group" >/dev/null 2>&1; then
    cgxset -1 -r "memory.memsw.limit_in_bytes=$limit" "$group"
    swap=" without swap"
else
    swap=
    swaps=0
    while read -r line; do swaps=$((swaps + 1)); done </proc/swaps
    [ "$swaps" -le 1 ] || swap=" (swap not accounted: the allocation may go to swap)"
fi
# The shell collects SIZE bytes in a variable; it is the biggest process in the group.
cgexec -g "memory:$group" sh -c 'x=$(head -c "$1" /dev/zero | tr "\0" x); echo "${#x}"' \
    hog "$size" >/dev/null &
pids=$!
status=0
wait $! 2>/dev/null || status=$?
pids=
kills=$(cgget -n -v -r memory.events "$group" 2>/dev/null | field oom_kill)
[ -n "$kills" ] || kills=$(cgget -n -v -r memory.oom_control "$group" | field oom_kill)
if [ "$status" -gt 128 ]; then
    outcome="killed by SIG$(kill -l "$status")"
else
    outcome="not killed, exit status $status"
fi
echo "memory: allocation of $((size >> 20))M in a $((limit >> 20))M group$swap: $outcome (oom_kill $kills)"

# 2. CPU quota: 25 ms of CPU time in every 100 ms.
period=100000
quota=25000
new_group "$cpu" quota
cgxset -1 -r "cpu.cfs_period_us=$period" -r "cpu.cfs_quota_us=$quota" "$group"
start_loop "$cpu:$group"
pause 1 # the loop is running, its quota in force
t0=$(now)
u0=$(cpu_usage "$group")
pause "$seconds"
t1=$(now)
u1=$(cpu_usage "$group")
stop
wall=$(((t1 - t0) * 10000))
echo "cpu quota $((quota * 100 / period))%: used $(percent $((u1 - u0)) "$wall")% of a CPU over $(tenths $(((t1 - t0) / 10))) s"

# 3. CPU shares: two loops on CPU 0, weighted 768:256 (cpu.weight 75:25 on v2). cgroup v1's
# cpuset needs its memory nodes set before a process may join; on v2 it is harmless.
new_group "$cpu,cpuset" shares768
first=$group
new_group "$cpu,cpuset" shares256
second=$group
cgxset -1 -r cpu.shares=768 -r cpuset.cpus=0 -r cpuset.mems=0 "$first"
cgxset -1 -r cpu.shares=256 -r cpuset.cpus=0 -r cpuset.mems=0 "$second"
start_loop "$cpu,cpuset:$first"
start_loop "$cpu,cpuset:$second"
pause 1
t0=$(now)
a0=$(cpu_usage "$first")
b0=$(cpu_usage "$second")
pause "$seconds"
t1=$(now)
a1=$(cpu_usage "$first")
b1=$(cpu_usage "$second")
stop
a=$((a1 - a0))
b=$((b1 - b0))
both=$((a + b))
wall=$(((t1 - t0) * 10000))
share=$(((a * 1000 + both / 2) / both))
echo "cpu.shares 768:256 on CPU 0: $(tenths "$share")% / $(tenths $((1000 - share)))% (together $(percent "$both" "$wall")% of CPU 0 over $(tenths $(((t1 - t0) / 10))) s)"
