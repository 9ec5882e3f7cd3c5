#!/usr/bin/env bash
# cgrulesengd under load: ours, then libcgroup 3.2.0's (scripts/build-refs.sh), in the same run,
# on this host (as root), with one rule matching a test program. For SECONDS, RATE processes a
# second start (fork + exec of the program), look for themselves in the rule's group, change
# their uid and exit (4 events each). Reports, per daemon and as ours/3.2.0:
#   - processes left unclassified (not in the group within 2 s of their exec),
#   - exec-to-group latency (median and 99th percentile, measured by each process itself),
#   - the daemon's CPU time per 1,000 of these events (its utime+stime over the run) and the
#     events it could handle a second at that cost,
#   - the daemon's peak RSS (VmHWM).
# Each daemon runs in a private mount namespace (its own /etc with the rule, tmpfs /run: its
# socket never meets a system cgred); groups are nsutils-bench-<pid>-*, removed at the end.
#
#   bench/cgrulesengd.sh [RATE [SECONDS]]      default 300 processes a second for 10 seconds
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
rate=${1:-300}
seconds=${2:-10}
ref=${NSUTILS_REF_DIR:-$(pwd)/target/ref}/libcgroup/sbin/cgrulesengd
for tool in gcc "$ref"; do
    command -v "$tool" >/dev/null || { echo "bench/cgrulesengd.sh: $tool is missing (apt-get install gcc; scripts/build-refs.sh --deps)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench/cgrulesengd.sh: must run as root" >&2; exit 2; }
cargo build --release --quiet -p cgtools
ours="$NSUTILS_RELEASE_DIR"
g="nsutils-bench-$$"
out=$(mktemp -d)
daemon=
cleanup() {
    [ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
    sleep 0.2
    for who in ours ref; do "$ours/cgdelete" -r "cpu:$g-$who" 2>/dev/null || true; done
    rm -rf "$out"
}
trap cleanup EXIT
gcc -O2 -static -o "$out/load" bench/c/cgred_load.c
prog="$out/$g-prog"            # the name the rule matches
cp "$out/load" "$prog"
cp "$out/load" "$out/spawner"  # the spawner does not match

run() { # who, daemon binary
    local who=$1 bin=$2 dir="$out/$1"
    mkdir -p "$dir/etc" "$dir/orig"
    "$ours/cgcreate" -g "cpu:$g-$who/a"
    printf '*:%s  cpu  %s\n' "$prog" "$g-$who/a" > "$dir/rules.conf"
    D=$dir BIN=$bin unshare -m --propagation private /bin/sh -c '
        set -e
        mount --bind /etc "$D/orig"
        for f in "$D"/orig/* "$D"/orig/.[!.]*; do
            n="${f##*/}"
            case "$n" in cgrules.conf|cgrules.d|cgconfig.conf|cgconfig.d) continue ;; esac
            if [ -e "$f" ] || [ -L "$f" ]; then ln -s "$f" "$D/etc/$n"; fi
        done
        cp "$D/rules.conf" "$D/etc/cgrules.conf"; : > "$D/etc/cgconfig.conf"; mkdir "$D/etc/cgconfig.d"
        mount --bind "$D/etc" /etc
        mount -t tmpfs nsutils-bench /run
        exec "$BIN" -n -Q' </dev/null &
    daemon=$!
    for _ in $(seq 200); do [ -S "/proc/$daemon/root/run/cgred.socket" ] && break; sleep 0.05; done
    [ -S "/proc/$daemon/root/run/cgred.socket" ] || { echo "bench/cgrulesengd.sh: $who's daemon did not start" >&2; exit 1; }
    local tck cpu0 cpu1
    tck=$(getconf CLK_TCK)
    cpu0=$(awk '{ print $14 + $15 }' "/proc/$daemon/stat")
    "$out/spawner" spawn "$prog" "$rate" "$seconds" ":/$g-$who/a
" "$dir/results"
    sleep 3  # the last children's 2 s deadline
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$daemon/stat")
    local hwm
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$daemon/status")
    kill "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=
    python3 - "$who" "$dir/results" "$rate" "$seconds" "$((cpu1 - cpu0))" "$tck" "$hwm" >> "$out/summary" <<'EOF'
import sys
who, path, rate, seconds, ticks, tck, hwm = sys.argv[1:]
lines = [l.split() for l in open(path)]
lat = sorted(int(n) for s, n in lines if s == "ok")
miss = sum(1 for s, _ in lines if s == "miss")
expected = int(rate) * int(seconds)
lost = expected - len(lines)   # children that never reported (fork or exec failed)
events = 4 * len(lines)
cpu = int(ticks) / int(tck)
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1e6 if lat else float("nan")
per_k = cpu / events * 1000 if events else float("nan")
cap = events / cpu if cpu else float("inf")
print(who, len(lines), miss, lost, f"{pct(0.5):.3f}", f"{pct(0.99):.3f}", f"{per_k * 1000:.2f}", f"{cap:.0f}", hwm)
EOF
}

run ours "$ours/cgrulesengd"
run ref "$ref"
python3 - "$out/summary" "$rate" "$seconds" <<'EOF'
import sys
rows = {l.split()[0]: l.split()[1:] for l in open(sys.argv[1])}
print(f"cgrulesengd, {sys.argv[2]} processes/s for {sys.argv[3]} s (fork, exec, uid change, exit each)")
head = ["processes", "unclassified", "unreported", "latency median ms", "latency p99 ms",
        "CPU ms / 1000 events", "events/s at that cost", "peak RSS KiB"]
print(f"{'':24} {'ours':>12} {'3.2.0':>12} {'ours/3.2.0':>11}")
for i, name in enumerate(head):
    o, r = rows["ours"][i], rows["ref"][i]
    try:
        ratio = f"{float(o) / float(r):.2f}" if float(r) else "-"
    except ValueError:
        ratio = "-"
    print(f"{name:24} {o:>12} {r:>12} {ratio:>11}")
EOF
