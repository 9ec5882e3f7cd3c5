#!/usr/bin/env bash
# lsns against util-linux 2.42.2's (scripts/build-refs.sh builds it), in the same run (as root): `lsns`, `lsns -J` and `lsns -t net`
# with 0, 2,000 and 10,000 extra processes spread over a few hundred namespaces (GROUPS groups
# of sleeping processes, each group in new pid, uts, ipc and net namespaces), plus how our
# time grows with the process count.
#
#   bench/lsns.sh [COUNTS] [RUNS]   COUNTS: extra processes, default "2000 10000";
#                                   RUNS per case, default 10 (util-linux takes seconds)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
counts=${1:-"2000 10000"}
runs=${2:-10}
groups=100
ref=${NSUTILS_REF_DIR:-$(pwd)/target/ref}  # util-linux 2.42.2 and libcgroup 3.2.0 (scripts/build-refs.sh)
for tool in hyperfine python3 "$ref/util-linux/bin/lsns"; do
    command -v "$tool" >/dev/null || { echo "bench/lsns.sh: $tool is missing (apt-get install hyperfine; scripts/build-refs.sh --deps)" >&2; exit 2; }
done
cargo build --release --quiet -p unshare-rs -p lsns-rs
ours="$NSUTILS_RELEASE_DIR/lsns"
out=$(mktemp -d)
launchers=()
stop_all() {
    # Each launcher's child is pid 1 of its namespace: killing it ends the whole group.
    for p in "${launchers[@]}"; do
        for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do kill -KILL "$c" 2>/dev/null || true; done
        kill -KILL "$p" 2>/dev/null || true
    done
    launchers=()
    sleep 1
}
trap 'stop_all; rm -rf "$out"' EXIT

count_procs() { ls /proc | grep -c '^[0-9]'; }

# Start `extra` processes in $groups groups; wait until they are all there.
start() {
    local extra=$1 per=$(( $1 / groups )) base
    base=$(count_procs)
    for _ in $(seq 1 "$groups"); do
        "$NSUTILS_RELEASE_DIR/unshare" -fpuin sh -c "i=1; while [ \$i -lt $per ]; do sleep 3600 & i=\$((i+1)); done; exec sleep 3600" &
        launchers+=($!)
        disown $!   # no "Killed" notices when they are stopped
    done
    # sh + sleeps per group: per processes inside, plus the launcher. Other processes may
    # come and go meanwhile, so settle for 98% once the count stops growing.
    local want=$(( base + groups * (per + 1) )) last=0 same=0 now
    for _ in $(seq 1 600); do
        now=$(count_procs)
        [ "$now" -ge "$want" ] && return 0
        if [ "$now" -eq "$last" ]; then same=$((same + 1)); else same=0; fi
        [ "$same" -ge 20 ] && [ "$now" -ge $(( base + extra * 98 / 100 )) ] && return 0
        last=$now
        sleep 0.1
    done
    echo "bench/lsns.sh: only $(count_procs) of $want processes started" >&2
    exit 1
}

echo "# $(nproc) CPUs, $(uname -r); $groups groups of processes"
for extra in 0 $counts; do
    stop_all
    [ "$extra" -gt 0 ] && start "$extra"
    total=$(count_procs)
    nss=$("$ours" -l -n -o NS | wc -l)
    for case in "" "-J" "-t net"; do
        name="$extra$(echo "x$case" | tr -dc 'a-zA-Z')"
        hyperfine -N --warmup 2 --runs "$runs" --export-json "$out/$name.json" \
            "$ours $case" "$ref/util-linux/bin/lsns $case" >/dev/null 2>&1
        echo "$extra $total $nss $name ${case:-(default)}" >> "$out/cases"
    done
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print(f"{'extra':>6} {'procs':>6} {'ns':>5} {'case':12} {'ours ms':>9} {'util-linux ms':>13} {'ratio':>6} {'speed-up':>8}")
per_proc = {}
for line in open(os.path.join(out, "cases")):
    extra, total, nss, name, label = line.split(maxsplit=4)
    label = label.strip()
    r = json.load(open(os.path.join(out, name + ".json")))["results"]
    o, u = r[0]["median"] * 1000, r[1]["median"] * 1000
    print(f"{extra:>6} {total:>6} {nss:>5} {label:12} {o:9.1f} {u:13.1f} {o/u:6.3f} {u/o:7.1f}x")
    print(f"bench: lsns {label} +{extra}: median_ratio={o/u:.3f} ours_ms={o:.2f} ref_ms={u:.2f}")
    per_proc.setdefault(label, []).append((int(total), o, u))
print()
print("growth (time per process between the smallest and the largest run):")
for label, pts in per_proc.items():
    (n0, o0, u0), (n1, o1, u1) = pts[0], pts[-1]
    if n1 > n0:
        mid = pts[len(pts)//2] if len(pts) > 2 else None
        line = f"  {label:12} ours {1000*(o1-o0)/(n1-n0):7.1f} us/process, util-linux {1000*(u1-u0)/(n1-n0):8.1f} us/process"
        if mid and mid[0] > n0:
            a = (mid[1]-o0)/(mid[0]-n0); b = (o1-mid[1])/(n1-mid[0])
            line += f"; ours first/second interval {1000*a:.1f}/{1000*b:.1f} us/process (linear: equal)"
        print(line)
PY
