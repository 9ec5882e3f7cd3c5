#!/bin/sh
# rootless.sh ROOTFS [CMD [ARG...]]: the container of container.sh, as an ordinary user.
#   1. unshare -Ur makes a user namespace where this user is root, with new pid, mount, UTS,
#      IPC, network and cgroup namespaces owned by it;
#   2. ovlmount puts a throw-away upper layer on a tmpfs over ROOTFS (inside a user namespace
#      it adds `userxattr`, so overlayfs keeps its metadata in user.* attributes);
#   3. pivot --proc --dev makes it / and runs CMD (default /bin/sh) as pid 1.
# Limits: where systemd manages a cgroup v2 host, the user's own systemd manager delegates a
# scope to the script (cgcreate --user -c; cgroup-home.sh says how), and the container runs in
# its group app.slice/rootless-PID.scope/container with a memory and a CPU limit (cgxset -1,
# cgexec). Elsewhere an ordinary user has no cgroup of their own, and there is no limit.
# Nothing is left on exit: the overlay and its tmpfs live in the container's mount namespace,
# the trap removes the group and systemd the scope once the script has ended.
# Environment: NSUTILS_HOSTNAME (default nsutils-rootless), NSUTILS_MEMORY (default 64M),
# NSUTILS_CPU_QUOTA (microseconds per 100 ms period; default 50000, half a CPU), NSUTILS_SHOW=1
# prints the limits first. Tools from $NSUTILS_BIN, else PATH.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 ROOTFS [CMD [ARG...]]" >&2; exit 2; }
rootfs=$(cd -- "$1" && pwd -P) || exit 1
shift
[ $# -gt 0 ] || set -- /bin/sh
if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi
. "$(dirname -- "$0")/cgroup-home.sh"

group=
trap cgroup_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

in_cgroup=
cgroup_home "rootless-$$"
if [ -n "$home" ]; then
    container_group "$home/container" "${NSUTILS_MEMORY:-64M}" "${NSUTILS_CPU_QUOTA:-50000}"
fi

inside='
    set -e
    ovlmount mount --lower "$ROOTFS" --tmpfs-upper "$ROOTFS"
    exec pivot --proc --dev --hostname "$CT_HOSTNAME" "$ROOTFS" "$@"
'
ROOTFS=$rootfs CT_HOSTNAME=${NSUTILS_HOSTNAME:-nsutils-rootless} \
    $in_cgroup unshare --map-root-user --fork --pid --mount --uts --ipc --net --cgroup --kill-child \
    /bin/sh -c "$inside" container "$@"
