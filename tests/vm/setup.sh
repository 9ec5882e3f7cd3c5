#!/usr/bin/env bash
# Installs what the VM test harness needs, and is safe to run again:
# - qemu-system-x86 from bookworm-backports (the machine's qemu-utils comes from there, and
#   bookworm's qemu 7.2 would conflict with it), without recommends;
# - busybox-static for the guest's userland, cpio to pack the initramfs;
# - Debian bookworm's 6.1 kernel, unpacked (not installed) into target/vm/kernel: 6.1 still
#   has cgroup v1 memory and cpuset controllers, which 6.12 dropped.
# Prints nothing on success but the kernel image path.
# With --systemd: what tests/vm/systemd/build.sh needs to build the Debian 13 guest instead
# (mmdebstrap: bookworm's own 1.3 builds trixie; mkfs.ext4, zstd, xz, python3), no kernel.
# Debian mirrors are the ones this host's apt is configured with.
set -euo pipefail
cd "$(dirname "$0")/../.."
cache=target/vm/kernel
mkdir -p "$cache"

apt_updated=0
apt_update() {
    [ $apt_updated = 1 ] || apt-get update -qq
    apt_updated=1
}
install_missing() { # install_missing PACKAGE...: those of them not installed yet
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} = 0 ] && return 0
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
if [ ! -e /etc/apt/sources.list.d/nsutils-bookworm-backports.sources ] &&
    grep -q bookworm /etc/os-release &&
    ! apt-get indextargets --format '$(RELEASE)' | grep -qx bookworm-backports; then
    mirror=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' |
        awk '$1 == "bookworm" { print $2; exit }')
    [ -n "$mirror" ] || { echo "setup.sh: no bookworm mirror in apt's configuration" >&2; exit 1; }
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$mirror" > /etc/apt/sources.list.d/nsutils-bookworm-backports.sources
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -t bookworm-backports qemu-system-x86 >/dev/null
fi
install_missing busybox-static cpio
if [ "${1:-}" = --systemd ]; then
    install_missing mmdebstrap e2fsprogs zstd xz-utils python3
    exit 0
fi

if ! ls "$cache"/boot/vmlinuz-* >/dev/null 2>&1; then
    apt_update
    image=$(apt-cache depends linux-image-amd64 -t bookworm 2>/dev/null |
        sed -n 's/.*Depends: \(linux-image-6\.1\.[^ ]*-amd64\)$/\1/p' | head -n 1)
    [ -n "$image" ] || image=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
    tmp=$(mktemp -d)
    chmod 0777 "$tmp" # apt downloads as its own _apt user
    (cd "$tmp" && apt-get download -qq "$image")
    dpkg-deb -x "$tmp"/*.deb "$cache"
    rm -rf "$tmp"
fi
ls "$cache"/boot/vmlinuz-* | head -n 1
