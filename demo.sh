#!/usr/bin/env bash
# The demo: build the tools, then run examples/container.sh, a container made from nsutils
# parts (a cgroup with limits, new namespaces, a copy-on-write root, pivot), on a root file
# system that needs no download: Debian's busybox-static when installed, else a skeleton with
# a read-only overlay of the host's /usr. It shows pid 1 inside, the hostname, the cgroup's
# limits, the mounts and lsns of the container, then checks that nothing is left behind.
# Run as root on Debian.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/env.sh
cargo build --release --quiet --workspace --bins
bin="$NSUTILS_RELEASE_DIR"
name="nsutils-demo-$$"

scratch=$(mktemp -d /tmp/nsutils-demo.XXXXXX)
trap 'rm -rf -- "$scratch"' EXIT
rootfs="$scratch/rootfs"
mkdir -p "$rootfs/bin"
extra=()
# NSUTILS_DEMO_ROOT=usr picks the second kind even where busybox-static is installed.
if [ "${NSUTILS_DEMO_ROOT:-}" != usr ] && [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
    echo "== root file system: busybox (static) in $rootfs"
    cp /bin/busybox "$rootfs/bin/"
    for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
else
    echo "== root file system: a skeleton in $rootfs with a read-only overlay of the host's /usr"
    rmdir "$rootfs/bin"
    mkdir -p "$rootfs/etc"
    for link in bin sbin lib lib64; do ln -s "usr/$link" "$rootfs/$link"; done
    cp /etc/passwd /etc/group "$rootfs/etc/"
    extra+=(--usr-from-host)
fi

cat > "$rootfs/demo-inside" <<'INSIDE'
echo "inside: I am pid $$ on host $(hostname)"
echo "inside: my mounts (mount point, type):"
while read -r _ _ _ _ point _ rest; do
    echo "   $point ${rest#*- }"
done < /proc/self/mountinfo | cut -d" " -f1-5
echo "inside: lsns"
/opt/nsutils/lsns | sed "s/^/   /"
echo "a file written here goes to the throw-away upper layer" > /written
INSIDE
echo "== examples/container.sh $rootfs (the nsutils binaries bound at /opt/nsutils)"
NSUTILS_SHOW=1 NSUTILS_NAME="$name" NSUTILS_HOSTNAME=nsutils-demo NSUTILS_BIN="$bin" \
    examples/container.sh "${extra[@]}" --bind "$bin:/opt/nsutils:ro" "$rootfs" /bin/sh /demo-inside
echo "== after: root file system unchanged: $([ -e "$rootfs/written" ] && echo no || echo yes)"
echo "   cgroup $name left: $("$bin/lscgroup" | grep -c "$name" || true)"
echo "   mounts left: $(grep -c nsutils-container /proc/self/mountinfo || true)"
