#!/usr/bin/env bash
# Start-to-exit time of a container running /bin/true, in the same run:
#   nsutils      examples/container.sh (cgroup limits, six namespaces, overlay root, pivot)
#   reference    bench/container-reference.sh: the same container from util-linux, libcgroup
#                and mount(8)
#   nsutils, no cgroup   examples/container.sh with NSUTILS_CGROUP=none: like for like with
#                crun without limits
#   crun         `crun run` of an OCI bundle with the same root file system and limits; on a
#                hybrid host, which crun refuses, without limits (see below)
#   bwrap        `bwrap --unshare-all` with the root file system bound read-only: no cgroup,
#                no overlay, so less work than the others; the floor to compare with
# Medians over RUNS runs (hyperfine), and each one's ratio to nsutils'.
#
#   bench/container.sh [RUNS]   (default 30; as root, on Debian with busybox-static)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
runs=${1:-30}
for tool in hyperfine python3 "${NSUTILS_REF_DIR:-$(pwd)/target/ref}/libcgroup/bin/cgcreate" /bin/busybox; do
    command -v "$tool" >/dev/null || {
        echo "bench/container.sh: $tool is missing (apt-get install hyperfine python3 busybox-static; scripts/build-refs.sh --deps)" >&2
        exit 2
    }
done
cargo build --release --quiet --workspace --bins
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rootfs="$out/bundle/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/proc" "$rootfs/dev"
cp /bin/busybox "$rootfs/bin/"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done

commands=(
    "NSUTILS_BIN=$NSUTILS_RELEASE_DIR examples/container.sh $rootfs /bin/true"
    "bench/container-reference.sh $rootfs /bin/true"
    "NSUTILS_CGROUP=none NSUTILS_BIN=$NSUTILS_RELEASE_DIR examples/container.sh $rootfs /bin/true"
)
names=(nsutils reference "nsutils, no cgroup")
if command -v crun >/dev/null; then
    (cd "$out/bundle" && crun spec)
    python3 - "$out/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["linux"]["resources"]["memory"] = {"limit": 64 << 20}
c["linux"]["resources"]["cpu"] = {"quota": 50000, "period": 100000}
json.dump(c, open(path, "w"))
PY
    crun_cmd="crun run -b $out/bundle nsutils-bench-\$\$"
    if why=$(sh -c "$crun_cmd" 2>&1); then
        commands+=("$crun_cmd")
        names+=(crun)
    else
        echo "crun cannot run here: $why"
        # crun refuses hybrid hosts. Shown only the host's cgroup2 (mounted over
        # /sys/fs/cgroup in a private mount namespace, so the host's mounts do not change)
        # it runs, but that hierarchy has no memory or cpu controller here, so this bundle
        # sets no limits: less work than the others, a lower bound for crun. It is timed by
        # a second hyperfine inside that namespace.
        mkdir "$out/nolimits"
        ln -s "$rootfs" "$out/nolimits/rootfs"
        python3 - "$out/bundle/config.json" "$out/nolimits/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
del c["linux"]["resources"]
c["linux"]["cgroupsPath"] = "/nsutils-bench-crun"
json.dump(c, open(sys.argv[2], "w"))
PY
        crun_nolimits="crun run -b $out/nolimits nsutils-bench-\$\$"
    fi
else
    echo "crun is not installed (apt-get install crun)"
fi
if command -v bwrap >/dev/null; then
    commands+=("bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev /bin/true")
    names+=(bwrap)
else
    echo "bwrap is not installed (apt-get install bubblewrap)"
fi

hyperfine --warmup 3 --runs "$runs" --export-json "$out/times.json" "${commands[@]}" >/dev/null
if [ -n "${crun_nolimits:-}" ]; then
    "$NSUTILS_RELEASE_DIR/unshare" -m --propagation private sh -c '
        mount -t cgroup2 none /sys/fs/cgroup &&
        hyperfine --warmup 3 --runs "$1" --export-json "$2" "$3" >/dev/null' \
        sh "$runs" "$out/crun.json" "$crun_nolimits"
    names+=("crun (no limits)")
fi
python3 - "$out/times.json" "$out/crun.json" "${names[@]}" <<'PY'
import json, os, sys
results = json.load(open(sys.argv[1]))["results"]
if os.path.exists(sys.argv[2]):
    results += json.load(open(sys.argv[2]))["results"]
names = sys.argv[3:]
ours = results[0]["median"] * 1000
print(f"{'':18} {'median ms':>9} {'vs nsutils':>10}")
for name, r in zip(names, results):
    ms = r["median"] * 1000
    print(f"{name:18} {ms:9.2f} {ms / ours:10.2f}")
    if name != "nsutils":
        print(f"bench: container /bin/true: nsutils/{name} median_ratio={ours / ms:.2f} ours_ms={ours:.2f} ref_ms={ms:.2f}")
PY
