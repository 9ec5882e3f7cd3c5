#!/bin/sh
# Scale, ours against the references in the same run (as root): lsns (util-linux 2.42.2) with
# COUNTS extra processes, and cgget -r / lscgroup (libcgroup 3.2.0) over GROUPS groups. Each
# figure is the median wall time of RUNS runs (after one untimed) and the peak RSS of one more
# run (`time -f %M`), printed next to the reference's, with the ratio and the time per process
# or per group, which stays flat when a tool is linear.
#
#   bench/scale.sh [COUNTS [GROUPS [RUNS]]]   defaults "5000 20000 50000", "1000 10000", 3
#   REF_MAX=N: util-linux's lsns is timed only up to N processes (its time grows with the
#   square of the count: one run at 50,000 takes over 10 minutes); default 20000.
#   cargo xtask vm-test --mode v2 --script bench/scale.sh -- "1000 5000" "1000 10000" 3
#
# The processes are children of bench/c/spawn_min.c (static, built with gcc when it is
# installed; else `sleep` started by a shell), 1,000 to a pid and uts namespace, each set
# ended by killing its pid 1 by pid. kernel.pid_max is raised for the run when it is too low,
# and put back. The groups are nsutils-bench-<pid>/N in the cpu and memory hierarchies,
# removed at the end, also after Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
# An empty COUNTS or GROUPS skips that part.
counts=${1-"5000 20000 50000"}
group_counts=${2-"1000 10000"}
runs=${3:-3}
ref=${NSUTILS_REF_DIR:-$(pwd)/target/ref}   # scripts/build-refs.sh
if command -v cargo >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/cargo" ]; then
    . scripts/env.sh
    cargo build --release --quiet -p unshare-rs -p lsns-rs -p cgtools
    bin=$NSUTILS_RELEASE_DIR
else # a guest: the release binaries the harness packed
    bin=
    for dir in "$(pwd)"/target/*/release; do [ -x "$dir/lsns" ] && bin=$dir; done
fi
[ -n "$bin" ] || { echo "bench/scale.sh: no release binaries" >&2; exit 2; }
if [ -x /usr/bin/time ]; then timer=/usr/bin/time; else timer="busybox time"; fi
for tool in python3 "$ref/util-linux/bin/lsns" "$ref/libcgroup/bin/cgget"; do
    command -v "$tool" >/dev/null || { echo "bench/scale.sh: $tool is missing (scripts/build-refs.sh --deps)" >&2; exit 2; }
done

out=$(mktemp -d)
launchers=""
group="nsutils-bench-$$"
pid_max_before=$(cat /proc/sys/kernel/pid_max)

stop_all() {
    # Each launcher (our unshare) has one child, pid 1 of its namespaces: killing it ends
    # every process in them.
    for p in $launchers; do
        for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do kill -KILL "$c" 2>/dev/null || true; done
    done
    for p in $launchers; do wait "$p" 2>/dev/null || true; done
    launchers=""
}
cleanup() {
    stop_all
    [ "$(cat /proc/sys/kernel/pid_max)" = "$pid_max_before" ] ||
        echo "$pid_max_before" > /proc/sys/kernel/pid_max
    "$bin/cgdelete" -r "cpu,memory:$group" 2>/dev/null || true
    rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if command -v gcc >/dev/null && gcc -O2 -static -o "$out/spawn_min" bench/c/spawn_min.c 2>/dev/null; then
    spawner=spawn_min
else
    spawner=sleep
fi

# measure RUNS ARGV...: "median_ms peak_rss_kib median_user_ms median_system_ms" (an argument
# @FILE stands for the words in FILE). posix_spawn keeps the timing free of the runner's own size; the peak RSS comes from
# one run under time(1), whose own floor the header prints.
cat > "$out/measure.py" <<'PY'
import os, statistics, subprocess, sys, time
runs, timer, argv = int(sys.argv[1]), sys.argv[2].split(), []
for a in sys.argv[3:]:
    argv += open(a[1:]).read().split() if a.startswith("@") else [a]
null = os.open(os.devnull, os.O_WRONLY)
quiet = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
times, user, system = [], [], []
for i in range(runs + 1):
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=quiet)
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        sys.exit(f"bench/scale.sh: {' '.join(argv)[:200]} failed ({status})")
    if i:
        times.append(time.perf_counter() - start)
        user.append(usage.ru_utime)
        system.append(usage.ru_stime)
rss = os.path.join(os.environ["OUT"], "rss")
subprocess.run(timer + ["-f", "%M", "-o", rss] + argv, stdout=null, stderr=null, check=True)
ms = lambda xs: statistics.median(xs) * 1000
print(f"{ms(times):.2f} {open(rss).read().split()[-1]} {ms(user):.2f} {ms(system):.2f}")
PY
measure() { OUT=$out python3 "$out/measure.py" "$runs" "$timer" "$@"; }

count_procs() { ls /proc | grep -c '^[0-9]'; }

# start N: N more processes, in namespaces of 1,000.
start() {
    n=$1 i=0 per=1000
    # Every pid is a pid of the initial namespace too: make room for them.
    need=$(( $(count_procs) + n + n / per * 2 + 4096 ))
    [ "$(cat /proc/sys/kernel/pid_max)" -ge "$need" ] || echo "$need" > /proc/sys/kernel/pid_max
    while [ "$n" -gt 0 ]; do
        [ "$n" -lt "$per" ] && per=$n
        # Made here: the redirection of a background command happens in the child, later.
        : > "$out/ready.$i"
        if [ "$spawner" = spawn_min ]; then
            "$bin/unshare" -fpu "$out/spawn_min" "$per" > "$out/ready.$i" &
        else
            "$bin/unshare" -fpu sh -c "i=1; while [ \$i -lt $per ]; do sleep 3600 & i=\$((i+1)); done; echo ready; exec sleep 3600" > "$out/ready.$i" &
        fi
        launchers="$launchers $!"
        n=$((n - per)) i=$((i + 1))
    done
    for f in "$out"/ready.*; do
        t=0
        until [ -s "$f" ]; do
            sleep 0.1; t=$((t + 1))
            [ "$t" -lt 3000 ] || { echo "bench/scale.sh: $f: the processes did not start" >&2; exit 1; }
        done
    done
    rm -f "$out"/ready.*
}

echo "# $(nproc) CPUs, $(uname -r), spawner $spawner, $runs runs; RSS by '$timer -f %M' (floor: true = $($timer -f %M true 2>&1 >/dev/null | tail -n 1) KiB)"
printf '%-24s %8s %10s %10s %7s %11s %11s %9s %9s\n' case n "ours ms" "ref ms" ratio "ours us/n" "ref us/n" "ours KiB" "ref KiB"
# The "bench:" line also splits our time per n into user and kernel (system) CPU time, which
# shows where a time that is not flat goes.
row() { # label, n, ours "ms KiB user_ms sys_ms", ref "ms KiB user_ms sys_ms"
    set -- "$1" "$2" $3 $4
    awk -v l="$1" -v n="$2" -v o="$3" -v ok="$4" -v ou="$5" -v os="$6" -v r="$7" -v rk="$8" 'BEGIN {
        printf "%-24s %8d %10.1f %10.1f %7.3f %11.2f %11.2f %9d %9d\n", l, n, o, r, o / r, 1000 * o / n, 1000 * r / n, ok, rk
        printf "bench: %s n=%d: median_ratio=%.3f ours_ms=%.2f ref_ms=%.2f ours_us_per_n=%.2f ref_us_per_n=%.2f ours_user_us_per_n=%.2f ours_sys_us_per_n=%.2f ours_rss_kib=%d ref_rss_kib=%d\n", l, n, o / r, o, r, 1000 * o / n, 1000 * r / n, 1000 * ou / n, 1000 * os / n, ok, rk
    }'
}

for n in $counts; do
    stop_all
    start "$n"
    procs=$(count_procs)
    if [ "$procs" -le "${REF_MAX:-20000}" ]; then
        row "lsns (processes)" "$procs" "$(measure "$bin/lsns")" "$(measure "$ref/util-linux/bin/lsns")"
    else
        set -- $(measure "$bin/lsns")
        awk -v n="$procs" -v o="$1" -v ok="$2" -v ou="$3" -v os="$4" 'BEGIN {
            printf "%-24s %8d %10.1f %10s %7s %11.2f %11s %9d %9s\n", "lsns (processes)", n, o, "-", "-", 1000 * o / n, "-", ok, "-"
            printf "bench: lsns (processes) n=%d: ours_ms=%.2f ours_us_per_n=%.2f ours_user_us_per_n=%.2f ours_sys_us_per_n=%.2f ours_rss_kib=%d (util-linux not timed above REF_MAX)\n", n, o, 1000 * o / n, 1000 * ou / n, 1000 * os / n, ok
        }'
    fi
done
stop_all

# The groups: the first through cgcreate (on v2 it enables cpu and memory for the rest),
# the others by mkdir in each hierarchy's directory of the group.
"$bin/cgcreate" -g "cpu,memory:$group/1"
dirs=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$group")
if [ -e "$(echo "$dirs" | head -n 1)/cpu.weight" ]; then cpu=cpu.weight mem=memory.max; else cpu=cpu.shares mem=memory.limit_in_bytes; fi
made=1
for n in $group_counts; do
    for d in $dirs; do (cd "$d" && seq $((made + 1)) "$n" | xargs mkdir); done
    made=$n
    seq 1 "$n" | sed "s|^|$group/|" > "$out/groups"
    row "cgget -r $cpu -r $mem" "$n" "$(measure "$bin/cgget" -r "$cpu" -r "$mem" "@$out/groups")" \
        "$(measure "$ref/libcgroup/bin/cgget" -r "$cpu" -r "$mem" "@$out/groups")"
    row "lscgroup cpu,memory:G" "$n" "$(measure "$bin/lscgroup" "cpu,memory:$group")" \
        "$(measure "$ref/libcgroup/bin/lscgroup" "cpu,memory:$group")"
done
