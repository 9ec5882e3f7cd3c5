#!/bin/sh
# rootless.sh ROOTFS [CMD [ARG...]]: the container of container.sh, as an ordinary user.
#   1. unshare -Ur makes a user namespace where this user is root, with new pid, mount, UTS,
#      IPC, network and cgroup namespaces owned by it;
#   2. ovlmount puts a throw-away upper layer over ROOTFS (inside a user namespace it adds
#      `userxattr`, so overlayfs keeps its metadata in user.* attributes);
#   3. pivot --proc --dev makes it / and runs CMD (default /bin/sh) as pid 1.
# No cgroup limits: an ordinary user may not create cgroups unless a parent group is
# delegated to them (systemd: `systemd-run --user --scope -p MemoryMax=64M rootless.sh ...`).
# Everything is removed on exit, also on Ctrl-C and on failure: the overlay lives in the
# container's mount namespace, and the trap deletes the scratch directory.
# Environment: NSUTILS_HOSTNAME (default nsutils-rootless). Tools from $NSUTILS_BIN, else PATH.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 ROOTFS [CMD [ARG...]]" >&2; exit 2; }
rootfs=$(cd -- "$1" && pwd -P) || exit 1
shift
[ $# -gt 0 ] || set -- /bin/sh
if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi

work=
cleanup() {
    status=$?
    trap - EXIT INT TERM HUP PIPE
    # overlayfs may leave its work/work directory with mode 000 (Linux 6.1): as an ordinary
    # user, make everything accessible before removing it.
    if [ -n "$work" ]; then
        chmod -R u+rwx -- "$work" 2>/dev/null || true
        rm -rf -- "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

work=$(mktemp -d "${TMPDIR:-/tmp}/nsutils-rootless.XXXXXX")
mkdir "$work/upper" "$work/work" "$work/merged"

inside='
    set -e
    ovlmount mount --lower "$ROOTFS" --upper "$WORK/upper" --work "$WORK/work" "$WORK/merged"
    exec pivot --proc --dev --hostname "$CT_HOSTNAME" "$WORK/merged" "$@"
'
ROOTFS=$rootfs WORK=$work CT_HOSTNAME=${NSUTILS_HOSTNAME:-nsutils-rootless} \
    unshare --map-root-user --fork --pid --mount --uts --ipc --net --cgroup --kill-child \
    /bin/sh -c "$inside" container "$@"
