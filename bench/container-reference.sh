#!/bin/sh
# bench/container-reference.sh ROOTFS [CMD [ARG...]]: examples/container.sh's container built
# from util-linux 2.42.2, libcgroup 3.2.0 and mount(8) instead of nsutils (the builds of
# scripts/build-refs.sh, in $NSUTILS_REF_DIR or target/ref), for bench/container.sh to time
# side by side: the same cgroup limits (cgcreate, cgset with v1 names: this is for hybrid and
# v1 hosts), the same namespaces (unshare), the same
# copy-on-write root (mount -t overlay), then by hand what pivot does: proc, a tmpfs /dev with
# the host's devices bound in, pivot_root (which changes our root too), the old root detached with the new root's
# umount, the hostname, exec.
set -eu
ref=${NSUTILS_REF_DIR:-$(cd -- "$(dirname -- "$0")/.." && pwd)/target/ref}
ul=$ref/util-linux cg=$ref/libcgroup/bin
rootfs=$(cd -- "$1" && pwd -P) || exit 1
shift
[ $# -gt 0 ] || set -- /bin/sh
name=nsutils-reference-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/nsutils-reference.XXXXXX")
cleanup() {
    status=$?
    # One hierarchy at a time: 3.2.0's cgdelete -g memory,cpu:/g stops after the first v1
    # hierarchy and left the cpu group behind on every run.
    "$cg/cgdelete" -g "memory:/$name" 2>/dev/null || true
    "$cg/cgdelete" -g "cpu:/$name" 2>/dev/null || true
    rm -rf -- "$work"
    exit "$status"
}
trap cleanup EXIT
mkdir "$work/upper" "$work/work" "$work/merged"
"$cg/cgcreate" -g "memory,cpu:/$name"
"$cg/cgset" -r memory.limit_in_bytes=64M -r cpu.cfs_period_us=100000 -r cpu.cfs_quota_us=50000 "$name"
inside='
    set -e
    "$UL/bin/mount" -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$WORK/upper,workdir=$WORK/work" "$WORK/merged"
    cd "$WORK/merged"
    mkdir -p proc dev .oldroot
    "$UL/bin/mount" -t proc -o nosuid,nodev,noexec proc proc
    "$UL/bin/mount" -t tmpfs -o nosuid,noexec,mode=755 tmpfs dev
    for d in null zero full random urandom tty; do : > "dev/$d"; "$UL/bin/mount" --bind "/dev/$d" "dev/$d"; done
    mkdir dev/pts dev/shm
    "$UL/bin/mount" -t devpts -o newinstance,ptmxmode=0666 devpts dev/pts
    "$UL/bin/mount" -t tmpfs -o nosuid,nodev,noexec tmpfs dev/shm
    "$UL/sbin/pivot_root" . .oldroot
    cd /
    exec /bin/sh -c "umount -l /.oldroot && hostname $NAME && exec \"\$@\"" sh "$@"
'
ROOTFS=$rootfs WORK=$work NAME=$name UL=$ul \
    "$cg/cgexec" -g "memory,cpu:/$name" \
    "$ul/bin/unshare" --fork --pid --mount --uts --ipc --net --cgroup --kill-child \
    /bin/sh -c "$inside" container "$@"
