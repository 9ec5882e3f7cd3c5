#!/usr/bin/env bash
# Benchmarks of the cgroup tools against libcgroup 3.2.0's (scripts/build-refs.sh) and against a
# plain shell floor, in the same run, on this host (as root). Prints the median of each and the
# ratios. Groups are nsutils-bench-<pid>-*, removed at the end.
#
#   bench/cgtools.sh [RUNS]        RUNS per hyperfine case (default 200); the loop is 1,000 groups
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
runs=${1:-200}
ref=${NSUTILS_REF_DIR:-$(pwd)/target/ref}  # util-linux 2.42.2 and libcgroup 3.2.0 (scripts/build-refs.sh)
for tool in hyperfine python3 "$ref/libcgroup/bin/cgcreate"; do
    command -v "$tool" >/dev/null || { echo "bench/cgtools.sh: $tool is missing (apt-get install hyperfine; scripts/build-refs.sh --deps)" >&2; exit 2; }
done
cargo build --release --quiet -p cgtools
ours="$NSUTILS_RELEASE_DIR"
ref=$ref/libcgroup/bin
g="nsutils-bench-$$"
spec="memory,cpu:$g"
out=$(mktemp -d)
cleanup() {
    "$ours/cgdelete" -r "memory,cpu:$g" 2>/dev/null || true
    for i in $(seq 1 1000); do "$ours/cgdelete" "memory,cpu:$g-$i" 2>/dev/null || true; done
    rm -rf "$out"
}
trap cleanup EXIT
# Where the group's cgroup.procs files are, for the shell floor.
procs=$("$ours/cgcreate" -g "$spec" && find /sys/fs/cgroup -maxdepth 3 -type d -name "$g" | sed 's|$|/cgroup.procs|' | tr '\n' ' ')

hf() { # name, then hyperfine options and commands
    local name=$1; shift
    hyperfine -N --warmup 10 --runs "$runs" --export-json "$out/$name.json" "$@" >/dev/null
}
hf cgset "$ours/cgset -r memory.limit_in_bytes=15M $g" "$ref/cgset -r memory.limit_in_bytes=15M $g"
floor="sh -c 'for f in $procs; do echo \$\$ > \$f; done; exec true'"
hf cgexec "$ours/cgexec -g $spec true" "$ref/cgexec -g $spec true" "$floor"
"$ours/cgdelete" "$spec"
hf cgcreate --cleanup "$ours/cgdelete $spec" "$ours/cgcreate -g $spec" "$ref/cgcreate -g $spec"
# libcgroup's cgdelete removes the first hierarchy's directory only (its bug), so this case
# gives both one controller.
hf cgdelete --prepare "$ours/cgcreate -g memory:$g" "$ours/cgdelete -g memory:$g" "$ref/cgdelete -g memory:$g"

loop() { # label, create command prefix, delete command prefix
    local start end
    start=$(date +%s.%N)
    for i in $(seq 1 1000); do $2 "$g-$i"; done
    for i in $(seq 1 1000); do $3 "$g-$i"; done
    end=$(date +%s.%N)
    echo "$1 $(echo "$end - $start" | bc)" >> "$out/loop.txt"
}
mkdirs() { for d in /sys/fs/cgroup/memory /sys/fs/cgroup/cpu; do mkdir "$d/$1"; done; }
rmdirs() { for d in /sys/fs/cgroup/memory /sys/fs/cgroup/cpu; do rmdir "$d/$1"; done; }
ours_create() { "$ours/cgcreate" -g "memory,cpu:$1"; }
ours_delete() { "$ours/cgdelete" -g "memory,cpu:$1"; }
ref_create() { "$ref/cgcreate" -g "memory,cpu:$1"; }
# libcgroup 3.2.0's `cgdelete -g memory,cpu:g` removes the first hierarchy's directory only
# (exit 0; two -g options fail on the second): the rest is removed by hand, as its user must.
ref_delete() { "$ref/cgdelete" -g "memory,cpu:$1"; rmdir "/sys/fs/cgroup/cpu/$1" 2>/dev/null || true; }
loop ours ours_create ours_delete
loop libcgroup ref_create ref_delete
loop mkdir/rmdir mkdirs rmdirs

python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def med(name):
    return [r["median"] * 1000 for r in json.load(open(os.path.join(out, name + ".json")))["results"]]
print(f"{'case':34} {'ours ms':>8} {'libcgroup':>9} {'ratio':>6} {'floor':>7} {'ours/floor':>10}")
for name, label in [("cgcreate", "cgcreate -g memory,cpu:g"), ("cgset", "cgset -r memory.limit_in_bytes=15M"),
                    ("cgexec", "cgexec -g memory,cpu:g true"), ("cgdelete", "cgdelete -g memory,cpu:g")]:
    m = med(name)
    floor = f"{m[2]:7.3f} {m[0]/m[2]:10.2f}" if len(m) > 2 else ""
    print(f"{label:34} {m[0]:8.3f} {m[1]:9.3f} {m[0]/m[1]:6.2f} {floor}")
    print(f"bench: {name}: median_ratio={m[0]/m[1]:.2f}" + (f" floor_ratio={m[0]/m[2]:.2f}" if len(m) > 2 else ""))
loop = dict(l.split() for l in open(os.path.join(out, "loop.txt")))
o, r, f = float(loop["ours"]), float(loop["libcgroup"]), float(loop["mkdir/rmdir"])
print(f"{'1,000 groups created and deleted':34} {o:7.2f}s {r:8.2f}s {o/r:6.2f} {f:6.2f}s {o/f:10.2f}")
print(f"bench: 1000 groups: ours_s={o:.2f} libcgroup_s={r:.2f} mkdir_rmdir_s={f:.2f} ratio={o/r:.2f} floor_ratio={o/f:.2f}")
PY
# Sizes: only the tools that talk to systemd (cgcreate -c, cgdelete of a scope) carry the
# D-Bus client; every other tool's size shows it stays out of them.
for tool in cgcreate cgdelete cgset cgget cgexec cgclassify lscgroup lssubsys cgxget cgxset; do
    echo "bench: size: $tool=$(stat -c %s "$ours/$tool")"
done
