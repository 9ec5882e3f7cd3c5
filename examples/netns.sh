#!/bin/sh
# netns.sh: a network namespace made by nsutils and used by iproute2, joined to the host by a
# veth pair on a private /30:
#   1. unshare --net=/run/netns/NAME true   makes the namespace and binds it to the file
#      where `ip netns` looks, so `ip netns exec NAME` and `ip -n NAME` work with it;
#   2. ip link add ... type veth ... netns NAME, addresses on both ends, links up;
#   3. a ping from the host to the namespace, and nsenter and lsns showing the namespace;
#   4. cleanup: the veth pair and the namespace (ip netns delete unmounts and removes the
#      file), also on Ctrl-C and on failure.
# Environment: NSUTILS_NETNS (the name; default nsutils-PID), NSUTILS_NETNS_PREFIX (the
# first three octets of the /30; default 10.254.254). Tools from $NSUTILS_BIN, else PATH.
# Run as root. It changes the host's network configuration while it runs.
set -eu

if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi
name=${NSUTILS_NETNS:-nsutils-$$}
prefix=${NSUTILS_NETNS_PREFIX:-10.254.254}
host_if="nsu$$h"
ns_if="nsu$$n"
made=
cleanup() {
    status=$?
    trap - EXIT INT TERM HUP PIPE
    ip link del "$host_if" 2>/dev/null || true
    [ -z "$made" ] || ip netns delete "$name" || status=1
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

if command -v ping >/dev/null 2>&1; then ping=ping; else ping="busybox ping"; fi

# 1. The namespace, persisted where ip netns finds it.
mkdir -p /run/netns
[ ! -e "/run/netns/$name" ] || { echo "$0: /run/netns/$name exists already" >&2; exit 1; }
: > "/run/netns/$name"
made=1
unshare --net="/run/netns/$name" true
echo "ip netns list: $(ip netns list | grep -w "$name")"

# 2. The veth pair: one end on the host, the other in the namespace.
ip link add "$host_if" type veth peer name "$ns_if" netns "$name"
ip addr add "$prefix.1/30" dev "$host_if"
ip link set "$host_if" up
ip -n "$name" addr add "$prefix.2/30" dev "$ns_if"
ip -n "$name" link set "$ns_if" up
ip -n "$name" link set lo up
echo "inside (ip netns exec $name ip -br addr):"
ip netns exec "$name" ip -br addr | sed 's/^/   /'

# 3. Over the link, and the namespace through nsutils' eyes.
if $ping -c 1 -W 2 "$prefix.2" >/dev/null; then
    echo "ping $prefix.2 from the host: ok"
else
    echo "ping $prefix.2 from the host: no answer"
    exit 1
fi
echo "nsenter --net=/run/netns/$name ip -br link: $(nsenter --net="/run/netns/$name" ip -br link | tr -s ' ' | cut -d' ' -f1,2 | tr '\n' ' ')"
echo "lsns -t net (the namespace, held by its file only):"
lsns -t net -o NS,NPROCS,NSFS | grep -E "NSFS|/run/netns/$name" | sed 's/^/   /'
