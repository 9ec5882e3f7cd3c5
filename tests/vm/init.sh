#!/bin/sh
# /init of the nsutils test VM (busybox sh as PID 1).
#
# Stage 1: the initramfs root is `rootfs`, where pivot_root(2) fails with EINVAL, so copy it
# onto a tmpfs and switch_root there. Stage 2: mount the API file systems, make / shared as
# systemd does, load the modules, lay out cgroups for the mode given on the kernel command
# line (nsutils.mode=v2|v1|hybrid), run the tests, report their status on the console as
# @@VM-RUN-EXIT=<n>@@ and power off.
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
    exec switch_root /newroot /init
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /tmp /run
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
    mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
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
echo "@@VM-RUN-EXIT=$rc@@"
sync
poweroff -f
