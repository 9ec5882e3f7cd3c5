#!/bin/sh
# rootless.sh ROOTFS [CMD [ARG...]]: the container of container.sh, as an ordinary user.
#   1. unshare -Ur makes a user namespace where this user is root, with new pid, mount, UTS,
#      IPC, network and cgroup namespaces owned by it;
#   2. ovlmount puts a throw-away upper layer on a tmpfs over ROOTFS (inside a user namespace
#      it adds `userxattr`, so overlayfs keeps its metadata in user.* attributes);
#   3. pivot --proc --dev makes it / and runs CMD (default /bin/sh) as pid 1.
# No cgroup limits: an ordinary user may not create cgroups unless a parent group is
# delegated to them (systemd: `systemd-run --user --scope -p MemoryMax=64M rootless.sh ...`).
# Nothing is left on exit: the overlay and its tmpfs live in the container's mount namespace.
# Environment: NSUTILS_HOSTNAME (default nsutils-rootless). Tools from $NSUTILS_BIN, else PATH.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 ROOTFS [CMD [ARG...]]" >&2; exit 2; }
rootfs=$(cd -- "$1" && pwd -P) || exit 1
shift
[ $# -gt 0 ] || set -- /bin/sh
if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi

inside='
    set -e
    ovlmount mount --lower "$ROOTFS" --tmpfs-upper "$ROOTFS"
    exec pivot --proc --dev --hostname "$CT_HOSTNAME" "$ROOTFS" "$@"
'
ROOTFS=$rootfs CT_HOSTNAME=${NSUTILS_HOSTNAME:-nsutils-rootless} \
    unshare --map-root-user --fork --pid --mount --uts --ipc --net --cgroup --kill-child \
    /bin/sh -c "$inside" container "$@"
