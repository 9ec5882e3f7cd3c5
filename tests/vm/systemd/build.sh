#!/usr/bin/env bash
# build.sh OUTDIR: the Debian 13 (trixie) guest of `cargo xtask vm-test --mode systemd`,
# built as root into OUTDIR (xtask names OUTDIR after a hash of this directory, so a change
# here or in the package list builds a new image; an unchanged one is reused):
#   rootfs.img  ext4 root: mmdebstrap minbase + ./packages, trixie's kernel modules (no
#               hardware drivers), the user "tester" (uid 1000, /etc/subuid and /etc/subgid
#               ranges, lingering enabled), vmtest.service; QEMU opens it with snapshot=on
#   vmlinux     trixie's kernel as an ELF image, booted through PVH (no firmware, no
#               in-guest decompression)
#   initrd.img  stage 1: busybox, virtio-blk and ext4, then systemd (./stage1-init)
# The Debian mirror is the one this host's apt is configured with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
suite=trixie
user=tester
work=$out/build
log() { echo "build.sh: $*" >&2; }

mirror=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null |
    awk '$1 ~ /^(bullseye|bookworm|trixie|forky|sid|unstable|testing|stable|oldstable)$/ { print $2; exit }')
[ -n "$mirror" ] || { log "cannot find a Debian mirror in apt's configuration"; exit 1; }
packages=$(sed -e 's/#.*//' -e '/^ *$/d' "$here/packages" | paste -sd, -)

rm -rf "$work"
mkdir -p "$work/kernel" "$work/deb"
export WORK=$work HERE=$here VMUSER=$user
# Runs in mmdebstrap with the root as $1. mmdebstrap unsets APT_CONFIG in hooks: the
# guest's own apt configuration is $MMDEBSTRAP_APT_CONFIG (else the host's lists are used).
cat > "$work/customize.sh" <<'HOOK'
#!/bin/bash
set -euo pipefail
root=$1
pkg=$(APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-cache depends linux-image-amd64 |
    sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
[ -n "$pkg" ] || { echo "no linux-image package" >&2; exit 1; }
(cd "$WORK/deb" && APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-get -q -o APT::Sandbox::User=root download "$pkg")
dpkg-deb -x "$WORK"/deb/*.deb "$WORK/kernel"
kver=$(ls "$WORK/kernel/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
moddir=$WORK/kernel/lib/modules/$kver
[ -d "$moddir" ] || moddir=$WORK/kernel/usr/lib/modules/$kver
mkdir -p "$root/usr/lib/modules/$kver"
# What containers, networks and cgroups use; not hardware drivers.
excludes=()
for d in gpu media net/wireless net/ethernet infiniband scsi staging iio usb bluetooth hid \
    input mtd isdn net/can hwmon platform mfd misc watchdog leds power regulator comedi \
    pinctrl gnss thunderbolt ata firewire message net/usb net/phy net/ieee802154 accel; do
    excludes+=("--exclude=kernel/drivers/$d")
done
tar -C "$moddir" "${excludes[@]}" --exclude=kernel/sound --exclude=kernel/net/bluetooth \
    --exclude=kernel/net/wireless --exclude=kernel/net/mac80211 --exclude=kernel/net/mac802154 \
    -cf - . | tar -C "$root/usr/lib/modules/$kver" -xf -
chroot "$root" depmod -a "$kver"
echo "$kver" > "$WORK/kver"

# The ordinary user: useradd allocates its subuid/subgid ranges (login.defs SUB_UID_*);
# lingering starts user@1000.service at boot, with its delegated subtree.
chroot "$root" useradd -m -s /bin/bash -u 1000 "$VMUSER"
grep -q "^$VMUSER:" "$root/etc/subuid" || { echo "useradd gave $VMUSER no subuid range" >&2; exit 1; }
grep -q "^$VMUSER:" "$root/etc/subgid" || { echo "useradd gave $VMUSER no subgid range" >&2; exit 1; }
mkdir -p "$root/var/lib/systemd/linger"
touch "$root/var/lib/systemd/linger/$VMUSER"

# /etc/machine-id stays empty (mmdebstrap empties it): a new one each boot, not a first boot.
echo nsutils-vm > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tnsutils-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
echo '# / is mounted read-write by stage 1' > "$root/etc/fstab"
# Nothing interactive, nothing on a timer, nothing a test VM has no use for (each unit
# costs time under TCG; apparmor.service would load the package's hundred profiles, which
# took 36 s: the kernel's AppArmor is on without it, and the test that needs a profile loads
# its own).
for unit in getty.target serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
    dpkg-db-backup.timer fstrim.timer systemd-pstore.service modprobe@drm.service \
    modprobe@efi_pstore.service sys-kernel-debug.mount sys-kernel-tracing.mount \
    systemd-random-seed.service systemd-journal-flush.service \
    apparmor.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
mkdir -p "$root/etc/systemd/system-generators" "$root/etc/systemd/journald.conf.d"
for gen in systemd-gpt-auto-generator systemd-hibernate-resume-generator systemd-ssh-generator \
    systemd-tpm2-generator systemd-sysv-generator systemd-rc-local-generator \
    systemd-system-update-generator systemd-getty-generator; do
    ln -sf /dev/null "$root/etc/systemd/system-generators/$gen"
done
printf '[Journal]\nStorage=volatile\n' > "$root/etc/systemd/journald.conf.d/vmtest.conf"
install -m 0755 "$HERE/vmtest-run" "$root/usr/local/sbin/vmtest-run"
install -m 0644 "$HERE/vmtest.service" "$root/etc/systemd/system/vmtest.service"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf ../vmtest.service "$root/etc/systemd/system/multi-user.target.wants/vmtest.service"
HOOK
chmod 0755 "$work/customize.sh"

log "mmdebstrap $suite from $mirror: $packages"
mmdebstrap --mode=root --variant=minbase --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="$work/customize.sh" \
    "$suite" "$work/rootfs" "$mirror" > "$work/mmdebstrap.log" 2>&1 ||
    { tail -n 30 "$work/mmdebstrap.log" >&2; log "mmdebstrap failed (log: $work/mmdebstrap.log)"; exit 1; }
# ldconfig, the journal catalog and hwdb are current (ConditionNeedsUpdate=): no update jobs
# on every boot from the pristine snapshot.
chroot "$work/rootfs" /usr/lib/systemd/systemd-update-done
kver=$(cat "$work/kver")

# The root: its size plus 4 GiB of room for the payload (the debug test executables alone
# passed 1 GiB with issue 15) and the tests, sparse.
mib=$(( $(du -sk "$work/rootfs" | cut -f1) / 1024 ))
rm -f "$out/rootfs.img"
mkfs.ext4 -q -F -L nsutils-root -E root_owner=0:0 -d "$work/rootfs" "$out/rootfs.img" "$(( mib * 5 / 4 + 4096 ))M"

# Stage 1: busybox and the modules to mount the root, dependencies first, decompressed
# for busybox's insmod.
s1=$work/stage1
moddir=$work/rootfs/usr/lib/modules/$kver
mkdir -p "$s1/bin" "$s1/dev" "$s1/proc" "$s1/sys" "$s1/newroot" "$s1/lib/modules"
cp /bin/busybox "$s1/bin/busybox"
install -m 0755 "$here/stage1-init" "$s1/init"
: > "$s1/modules.load"
for m in $(chroot "$work/rootfs" modprobe -S "$kver" --show-depends -a virtio_pci virtio_blk crc32c_generic ext4 2>/dev/null |
    sed -n 's/^insmod \([^ ]*\).*/\1/p' | awk '!seen[$0]++'); do
    base=${m##*/}
    base=${base%.xz}
    case "$m" in
        *.xz) xz -dc "$work/rootfs$m" ;;
        *) cat "$work/rootfs$m" ;;
    esac > "$s1/lib/modules/$base"
    echo "$base" >> "$s1/modules.load"
done
(cd "$s1" && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1) > "$out/initrd.img"

# The ELF vmlinux inside the bzImage (the first compressed stream that unpacks to ELF).
python3 - "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinux" <<'PY'
import lzma, subprocess, sys, zlib
data = open(sys.argv[1], 'rb').read()
def xz(off): return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[off:])
def gz(off): return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[off:])
def zst(off): return subprocess.run(['zstd', '-dcq'], input=data[off:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
for magic, unpack in ((b'\x28\xb5\x2f\xfd', zst), (b'\xfd7zXZ\x00', xz), (b'\x1f\x8b\x08', gz)):
    off = data.find(magic)
    while off != -1:
        try:
            elf = unpack(off)
        except Exception:
            elf = b''
        if elf[:4] == b'\x7fELF':
            open(sys.argv[2], 'wb').write(elf)
            sys.exit(0)
        off = data.find(magic, off + 1)
sys.exit('cannot find the ELF vmlinux in ' + sys.argv[1])
PY
echo "$kver" > "$out/kernel-version"
log "root $mib MiB, rootfs.img $(du -h "$out/rootfs.img" | cut -f1) allocated, kernel $kver, initrd $(du -h "$out/initrd.img" | cut -f1)"
rm -rf "$work"
