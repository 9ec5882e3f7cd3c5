#!/usr/bin/env bash
# nsenter against util-linux 2.42.2's (scripts/build-refs.sh builds it), in the same run (as root): `nsenter -t PID -a true` and
# `nsenter -t PID -n true` into a target that our unshare starts in fresh namespaces.
#
#   bench/nsenter.sh [RUNS]        RUNS per case (default 300)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
runs=${1:-300}
ref=${NSUTILS_REF_DIR:-$(pwd)/target/ref}  # util-linux 2.42.2 and libcgroup 3.2.0 (scripts/build-refs.sh)
for tool in hyperfine python3 "$ref/util-linux/bin/nsenter"; do
    command -v "$tool" >/dev/null || { echo "bench/nsenter.sh: $tool is missing (apt-get install hyperfine; scripts/build-refs.sh --deps)" >&2; exit 2; }
done
cargo build --release --quiet -p unshare-rs -p nsenter-rs
ours="$NSUTILS_RELEASE_DIR/nsenter"
out=$(mktemp -d)
"$NSUTILS_RELEASE_DIR/unshare" -fpmuin --mount-proc sleep 600 &
parent=$!
trap 'kill "$parent" 2>/dev/null; rm -rf "$out"' EXIT
target=""
for _ in $(seq 1 100); do
    target=$(cat "/proc/$parent/task/$parent/children" 2>/dev/null | awk '{print $1}')
    [ -n "$target" ] && [ "$(cat "/proc/$target/comm" 2>/dev/null)" = sleep ] && break
    sleep 0.02
done
[ -n "$target" ] || { echo "bench/nsenter.sh: the target did not start" >&2; exit 1; }

for case in "-a true" "-n true"; do
    name=$(echo "$case" | tr -dc 'a-z')
    hyperfine -N --warmup 20 --runs "$runs" --export-json "$out/$name.json" \
        "$ours -t $target $case" "$ref/util-linux/bin/nsenter -t $target $case" >/dev/null
done
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print(f"{'case':28} {'ours ms':>8} {'util-linux':>10} {'ratio':>6}")
for name, label in [("atrue", "nsenter -t PID -a true"), ("ntrue", "nsenter -t PID -n true")]:
    r = json.load(open(os.path.join(out, name + ".json")))["results"]
    o, u = r[0]["median"] * 1000, r[1]["median"] * 1000
    print(f"{label:28} {o:8.3f} {u:10.3f} {o/u:6.2f}")
    print(f"bench: {label}: median_ratio={o/u:.2f} ours_ms={o:.3f} ref_ms={u:.3f}")
PY
