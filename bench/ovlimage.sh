#!/usr/bin/env bash
# OCI layers in and out: `ovlmount import` and `ovlmount diff --oci` against umoci (Debian's)
# and GNU tar in the same run, as root, on one layer made of a copy of a directory of this
# host (default /usr/include: about 9,000 files, 130 MB here).
#
#   import, gzip:  ovlmount import layer.tar.gz DIR
#                  umoci raw unpack of an image whose one layer is that tar (umoci's own gzip)
#                  tar -xzf layer.tar.gz -C DIR (GNU tar and gzip: the floor, no whiteouts)
#   import, zstd:  ovlmount import layer.tar.zst DIR     against  tar --zstd -xf
#   export:        ovlmount diff --oci UPPER > layer.tar against  tar -cf - -C UPPER . with
#                  sha256sum (the diff_id ovlmount prints), and without
#
#   bench/ovlimage.sh [RUNS [DIR]]   RUNS per case (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
runs=${1:-10}
src=${2:-/usr/include}
for tool in hyperfine python3 umoci zstd tar gzip; do
    command -v "$tool" >/dev/null || { echo "bench/ovlimage.sh: $tool is missing (apt-get install hyperfine umoci zstd)" >&2; exit 2; }
done
cargo build --release --quiet -p ovlmount
ovl="$NSUTILS_RELEASE_DIR/ovlmount"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$out"
tar -C "$src" --sort=name -cf layer.tar .
gzip -6 -c layer.tar > layer.tar.gz
zstd -q -3 -c layer.tar > layer.tar.zst
umoci init --layout img
umoci new --image img:t
umoci raw add-layer --image img:t layer.tar
"$ovl" import layer.tar upper > /dev/null
echo "layer: $(find upper | wc -l) entries, $(du -sm layer.tar | cut -f1) MB tar, $(du -sm layer.tar.gz | cut -f1) MB gzip"

time_it() {
    local name=$1
    shift
    hyperfine --warmup 1 --runs "$runs" --prepare 'rm -rf d; sync' --export-json "$name.json" "$@" >/dev/null
}
time_it import-gzip \
    "$ovl import layer.tar.gz d" \
    "umoci raw unpack --image img:t d" \
    "mkdir d && tar -xzf layer.tar.gz -C d"
time_it import-zstd \
    "$ovl import layer.tar.zst d" \
    "mkdir d && tar --zstd -xf layer.tar.zst -C d"
time_it export \
    "$ovl diff --oci upper > d" \
    "tar -cf - -C upper . | tee d | sha256sum" \
    "tar -cf - -C upper . > d"

python3 - <<'PY'
import json
rows = [
    ("import-gzip", ["umoci raw unpack", "GNU tar -xz"]),
    ("import-zstd", ["GNU tar --zstd -x"]),
    ("export", ["GNU tar -c + sha256sum", "GNU tar -c"]),
]
for case, others in rows:
    r = json.load(open(f"{case}.json"))["results"]
    ours = r[0]["median"] * 1000
    cells = " ".join(
        f"{name} {o['median'] * 1000:.0f} ms (ratio {ours / (o['median'] * 1000):.2f})"
        for name, o in zip(others, r[1:])
    )
    print(f"bench: ovlmount {case}: ours_ms={ours:.0f} {cells}")
PY
