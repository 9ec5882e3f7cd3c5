#!/usr/bin/env bash
# ovlmount against util-linux 2.42.2's mount(8) (scripts/build-refs.sh) in the same run (as root, inside a private mount namespace):
# mount + umount of an overlay with 1, 10, 100 and 500 lower layers and an upper layer.
# mount(8) takes the layers in one 4 KiB option page, so it cannot do 100 or 500 layers of
# these names; those rows time ovlmount alone.
#
#   bench/ovlmount.sh [RUNS]   RUNS per case (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
runs=${1:-100}
export UL=${NSUTILS_REF_DIR:-$(pwd)/target/ref}/util-linux
for tool in hyperfine python3 "$UL/bin/mount"; do
    command -v "$tool" >/dev/null || { echo "bench/ovlmount.sh: $tool is missing (apt-get install hyperfine; scripts/build-refs.sh --deps)" >&2; exit 2; }
done
cargo build --release --quiet -p unshare-rs -p ovlmount
export OVL="$NSUTILS_RELEASE_DIR/ovlmount" RUNS=$runs
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OUT=$out
"$NSUTILS_RELEASE_DIR/unshare" -m --propagation private bash -c '
set -euo pipefail
cd "$OUT"; mkdir m u w
for i in $(seq 1 500); do mkdir "$(printf "layer-%03d-with-a-name-of-some-length" "$i")"; done
all=(layer-*)
for n in 1 10 100 500; do
    layers="${all[*]:0:n}"
    ours="$OVL mount $(printf -- "-l $OUT/%s " $layers) -u $OUT/u -w $OUT/w $OUT/m && $OVL umount $OUT/m"
    opts="lowerdir=$(echo $layers | sed "s| |:$OUT/|g; s|^|$OUT/|"),upperdir=$OUT/u,workdir=$OUT/w"
    theirs="$UL/bin/mount -t overlay -o $opts none $OUT/m && $UL/bin/umount $OUT/m"
    if sh -c "$theirs" 2>/dev/null; then
        hyperfine --warmup 5 --runs "$RUNS" --export-json "$OUT/$n.json" "$ours" "$theirs" >/dev/null
    else
        hyperfine --warmup 5 --runs "$RUNS" --export-json "$OUT/$n.json" "$ours" >/dev/null
    fi
done'
python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
print(f"{'layers':>6} {'ours ms':>8} {'mount(8) ms':>11} {'ratio':>6}")
for n in (1, 10, 100, 500):
    r = json.load(open(os.path.join(out, f"{n}.json")))["results"]
    o = r[0]["median"] * 1000
    if len(r) > 1:
        u = r[1]["median"] * 1000
        print(f"{n:>6} {o:8.2f} {u:11.2f} {o/u:6.2f}")
        print(f"bench: ovlmount {n} layers: median_ratio={o/u:.2f} ours_ms={o:.2f} ref_ms={u:.2f}")
    else:
        print(f"{n:>6} {o:8.2f} {'(cannot)':>11} {'':>6}")
        print(f"bench: ovlmount {n} layers: ours_ms={o:.2f} (mount(8) cannot)")
PY
