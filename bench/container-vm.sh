#!/bin/sh
# bench/container-vm.sh [RUNS]: bench/container.sh's comparison where crun runs with limits,
# inside the test VM (cgroup v2 or v1, which crun accepts, unlike this hybrid host):
#
#   cargo xtask vm-test --mode v2 --mode v1 --script bench/container-vm.sh -- 30
#
# The harness packs the release binaries, examples/, crun, bwrap and hyperfine. Each row is
# a container running /bin/true from start to exit: examples/container.sh (cgroup limits,
# six namespaces, overlay, pivot), the same without its cgroup, `crun run` of an OCI bundle
# with the same root file system and limits, crun without limits, and bwrap --unshare-all.
# Prints medians (hyperfine, RUNS runs each, default 30) and each one's ratio to nsutils'.
set -eu
runs=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=
for dir in "$root"/target/*/release; do [ -x "$dir/pivot" ] && bin=$dir; done
[ -n "$bin" ] || { echo "bench/container-vm.sh: no release binaries packed" >&2; exit 1; }
for tool in hyperfine crun bwrap; do
    command -v "$tool" >/dev/null || { echo "bench/container-vm.sh: $tool is not packed (install it on the host)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/limits/rootfs/bin" "$work/limits/rootfs/proc" "$work/limits/rootfs/dev" "$work/nolimits"
rootfs=$work/limits/rootfs
cp /usr/bin/busybox "$rootfs/bin/"
for applet in $(busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
ln -s "$rootfs" "$work/nolimits/rootfs"
(cd "$work/limits" && crun spec)
# The same container for crun: /bin/true, no terminal, 64 MiB and half a CPU.
sed -i 's/"terminal": true/"terminal": false/; s/^\([[:space:]]*\)"sh"$/\1"\/bin\/true"/' "$work/limits/config.json"
sed 's/"resources": {/"resources": {"memory": {"limit": 67108864}, "cpu": {"quota": 50000, "period": 100000},/' \
    "$work/limits/config.json" > "$work/limits/config.new"
mv "$work/limits/config.new" "$work/limits/config.json"
cp "$work/limits/config.json" "$work/nolimits/config.json"
sed -i 's/"resources": {"memory": {"limit": 67108864}, "cpu": {"quota": 50000, "period": 100000},/"resources": {/' "$work/nolimits/config.json"

echo "nsutils-vm bench: kernel $(uname -r), $(cat /proc/cmdline | tr ' ' '\n' | grep nsutils.mode), $runs runs"
hyperfine --warmup 3 --runs "$runs" --export-csv "$work/times.csv" \
    "NSUTILS_BIN=$bin $root/examples/container.sh $rootfs /bin/true" \
    "NSUTILS_CGROUP=none NSUTILS_BIN=$bin $root/examples/container.sh $rootfs /bin/true" \
    "crun run -b $work/limits nsutils-bench-\$\$" \
    "crun run -b $work/nolimits nsutils-bench-\$\$" \
    "bwrap --unshare-all --ro-bind $rootfs / --proc /proc --dev /dev /bin/true" >/dev/null
# CSV: command,mean,stddev,median,... (seconds); rows in the order above.
awk -F, 'NR > 1 {
    n++; median[n] = $4 * 1000
}
END {
    split("nsutils|nsutils, no cgroup|crun|crun, no limits|bwrap", name, "|")
    for (i = 1; i <= n; i++)
        printf "nsutils-vm bench: %-18s %7.2f ms  %5.2fx nsutils\n", name[i], median[i], median[i] / median[1]
}' "$work/times.csv"
