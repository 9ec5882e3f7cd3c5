#!/bin/sh
# /init of the nsutils test VM (busybox sh as PID 1).
#
# Stage 1: the initramfs root is `rootfs`, where pivot_root(2) fails with EINVAL: first a
# container is started there with nsutils' pivot (which moves its root over the initramfs),
# then the initramfs is copied onto a tmpfs and left with nsutils' switch_root; stage 2 and
# the tests check both.
# Stage 2: mount the API file systems, make / shared as systemd does, load the modules, lay
# out cgroups for the mode given on the kernel command line (nsutils.mode=v2|v1|hybrid), run
# the tests, report their status on the console as @@VM-RUN-EXIT=<n>@@ and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ ! -e /.nsutils-stage2 ]; then
    mkdir -p /newroot
    mount -t tmpfs -o mode=0755 tmpfs /newroot
    for entry in /* /.[!.]*; do
        case "$entry" in /newroot|/proc|/sys|/dev|'/.[!.]*') continue ;; esac
        cp -a "$entry" /newroot/
    done
    mkdir -p /newroot/proc /newroot/sys /newroot/dev
    : > /newroot/.nsutils-stage2
    # nsutils' switch_root (a real initramfs is where it belongs): /proc and /dev are
    # mounted to be carried over, and a process whose root stays the initramfs lets stage 2
    # look at what is left of it (once it has its /dev/null open: /dev is about to move).
    mkdir -p /proc /dev
    mount -t proc proc /proc
    mount -t devtmpfs devtmpfs /dev
    # pivot from the initramfs, which pivot_root(2) cannot move: a container in new namespaces
    # started here must see only its root (a tmpfs with busybox), with no path to the
    # initramfs. What it sees is kept for tests/tests/hostile_mounts.rs in stage 2.
    bindir=$(dirname "$(cat /etc/nsutils-vm/switch_root)")
    : > /.nsutils-initramfs-marker
    mkdir -p /pivot-root
    mount -t tmpfs -o mode=0755 nsutils-pivot-root /pivot-root
    mkdir -p /pivot-root/bin
    : > /pivot-root/pivot-root-marker
    cp /bin/busybox /pivot-root/bin/busybox
    for applet in sh ls cat grep sed tr; do ln -s busybox "/pivot-root/bin/$applet"; done
    "$bindir/unshare" -fpmuin "$bindir/pivot" --proc --dev /pivot-root /bin/sh -c '
        echo "ls /: $(ls -A / | tr "\n" " ")"
        echo "ls /..: $(cd /.. && ls -A . | tr "\n" " ")"
        echo "rootfs mounts: $(grep -c " - rootfs " /proc/self/mountinfo)"
        echo "root mount: $(grep " / / " /proc/self/mountinfo | sed "s/.* - //")"
        [ -e /.nsutils-initramfs-marker ] && echo "initramfs marker seen"
        echo "pid: $$"' > /newroot/.nsutils-pivot-from-initramfs 2>&1
    echo "status: $?" >> /newroot/.nsutils-pivot-from-initramfs
    # pivot_root --move-if-rootfs, in util-linux's sequence: cd new_root, pivot_root, chroot .
    moved=$("$bindir/unshare" -m /bin/sh -c 'cd /pivot-root && "$1" --move-if-rootfs . . && exec chroot . /bin/ls -A /' sh "$bindir/pivot_root" 2>&1)
    echo "pivot_root --move-if-rootfs: $? $(echo $moved)" >> /newroot/.nsutils-pivot-from-initramfs
    umount /pivot-root
    sleep 100000 </dev/null &
    holder=$!
    i=0
    until [ "$(readlink "/proc/$holder/fd/0")" = /dev/null ] || [ $i -gt 100000 ]; do i=$((i + 1)); done
    echo "$holder" > /newroot/.nsutils-initramfs-holder
    exec "$(cat /etc/nsutils-vm/switch_root)" /newroot /init
fi

switch_root_check() {
    holder=$(cat /.nsutils-initramfs-holder)
    [ "$proc_carried" = 1 ] || { echo "nsutils-vm: switch_root did not carry /proc over"; return 1; }
    grep -q " /dev .* - devtmpfs " /proc/self/mountinfo || { echo "nsutils-vm: switch_root did not carry /dev over"; return 1; }
    i=0
    while [ -n "$(ls -A "/proc/$holder/root/")" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    left=$(ls -A "/proc/$holder/root/" | head -5 | tr '\n' ' ')
    kill "$holder"
    [ -z "$left" ] || { echo "nsutils-vm: switch_root left the initramfs with: $left"; return 1; }
    echo "nsutils-vm: switch_root carried /proc and /dev over and cleared the initramfs"
}

if [ -e /proc/self/mountinfo ]; then
    proc_carried=1
else
    proc_carried=0
    mount -t proc proc /proc
fi
switch_root_check
switch_root_rc=$?
mount -t sysfs sysfs /sys
grep -q " /dev .* - devtmpfs " /proc/self/mountinfo || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp /run
# /var/run is /run on every current distribution (libcgroup's default scope file is
# /var/run/libcgroup/systemd; the tests hide /run behind a tmpfs of their own).
[ -e /var/run ] || { mkdir -p /var && ln -s /run /var/run; }
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# / is already a tmpfs, and the packed files may live under /tmp (a checkout in /tmp): no
# separate /tmp mount to hide them.
chmod 1777 /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount --make-rshared /
ip link set lo up
hostname nsutils-vm
for module in $(cat /etc/nsutils-vm/modules); do
    insmod "$module" || echo "nsutils-vm: warning: insmod $module failed"
done

mode=$(sed -n 's/.*nsutils\.mode=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
v1_layout() {
    mount -t tmpfs -o mode=0755 tmpfs /sys/fs/cgroup
    mkdir -p /sys/fs/cgroup/systemd
    mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
    for hierarchy in cpu,cpuacct net_cls,net_prio cpuset blkio memory devices freezer perf_event hugetlb pids rdma misc; do
        first=${hierarchy%%,*}
        grep -q "^$first	" /proc/cgroups || continue
        mkdir -p "/sys/fs/cgroup/$hierarchy"
        mount -t cgroup -o "$hierarchy" cgroup "/sys/fs/cgroup/$hierarchy" || rmdir "/sys/fs/cgroup/$hierarchy"
        case "$hierarchy" in *,*)
            for c in $(echo "$hierarchy" | tr , ' '); do ln -s "$hierarchy" "/sys/fs/cgroup/$c"; done ;;
        esac
    done
}
case "$mode" in
    v2)
        mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
        for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
            echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control
        done
        ;;
    v1) v1_layout ;;
    hybrid)
        v1_layout
        mkdir -p /sys/fs/cgroup/unified
        mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup/unified
        ;;
    *) echo "nsutils-vm: unknown mode '$mode'" ;;
esac
export NSUTILS_CGROUP_MODE="$mode" NSUTILS_VM=1 NSUTILS_MUST_RUN=1 HOME=/root
echo "nsutils-vm: kernel $(uname -r), cgroup mode $mode"

cd /
sh /etc/nsutils-vm/run
rc=$?
[ "$switch_root_rc" = 0 ] || rc=1
echo "@@VM-RUN-EXIT=$rc@@"
sync
poweroff -f
