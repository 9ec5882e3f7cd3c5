#!/bin/sh
# pod.sh: the pod model from nsutils parts. A pod is a set of namespaces (network, IPC, UTS)
# that outlive any one process, because each is bound to a file; containers join them and
# keep their own pid and mount namespaces:
#   1. unshare --net=FILE --ipc=FILE --uts=FILE  makes the shared namespaces and binds them
#      to files in a directory of ours; the process that made them exits, they stay.
#   2. nsenter --net=FILE --ipc=FILE --uts=FILE  joins them, and unshare -fpm --mount-proc
#      gives each container a pid namespace (it is pid 1 there) and a mount namespace;
#      its --info-fd tells the script the container's pid once the namespaces exist.
#   3. lsns and nsenter show the structure: both containers share net, ipc and uts, and
#      differ in pid and mnt.
# Everything is removed on exit, also on Ctrl-C and on failure: the script runs itself in a
# mount namespace of its own (unshare -m), so the files' bind mounts go with it; the
# containers are killed by PID and the directory is deleted.
# The nsutils tools are taken from $NSUTILS_BIN when set, else from PATH. Run as root.
set -eu

if [ -n "${NSUTILS_BIN:-}" ]; then PATH="$NSUTILS_BIN:$PATH"; fi

if [ "${1:-}" != --inside ]; then
    # The traps before the directory, which a signal in between would leave; no signal
    # while it is removed. A signal to the process group can end mktemp after it made the
    # directory but before it printed the name: the name has this shell's PID in it, so the
    # trap finds it then.
    tmp=${TMPDIR:-/tmp}
    dir=
    trap 'trap "" INT TERM HUP PIPE
        if [ -n "$dir" ]; then rm -rf -- "$dir"; else rm -rf -- "$tmp/nsutils-pod.$$".??????; fi' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    trap 'exit 141' PIPE
    dir=$(mktemp -d "$tmp/nsutils-pod.$$.XXXXXX")
    unshare --mount --propagation private /bin/sh "$0" --inside "$dir"
    exit
fi
dir=$2
pids=
a=
b=
cleanup() {
    status=$?
    trap - EXIT
    # A signal now would end the clean-up half-way.
    trap '' INT TERM HUP PIPE
    # The containers' pid 1 first (only SIGKILL reaches a pid 1 from outside), then the
    # unshare processes that wait for them, and every job of this shell: a signal between a
    # container's `&` and `pids=` leaves it unrecorded (its unshare's --kill-child then ends
    # its pid 1), and `wait` would wait for it.
    jobs -p > "$dir/jobs" 2>/dev/null || true
    for pid in ${a:-} ${b:-} $pids $(cat "$dir/jobs" 2>/dev/null); do
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

for ns in net ipc uts; do : > "$dir/$ns"; done

# 1. The pod's namespaces, named by files; the hostname is set inside the new UTS namespace.
unshare --net="$dir/net" --ipc="$dir/ipc" --uts="$dir/uts" hostname nsutils-pod
nsenter --net="$dir/net" ip link set lo up 2>/dev/null || true
echo "pod: net, ipc and uts namespaces bound at $dir/{net,ipc,uts}"

# 2. Two containers, each with its own pid namespace (sleep is its pid 1) and its own mount
#    namespace with a proc of its own, both inside the pod's namespaces. unshare --info-fd
#    writes, once the container's namespaces exist, a JSON object with its pid 1 as the host
#    sees it ("child-pid") and the new namespaces' inodes, then closes the descriptor: read
#    from a FIFO, that is the container's handle, with no polling (a container that fails to
#    start closes it empty).
for name in a b; do
    mkfifo "$dir/$name.info"
    nsenter --net="$dir/net" --ipc="$dir/ipc" --uts="$dir/uts" \
        unshare --fork --pid --mount --mount-proc --kill-child --info-fd 3 sleep 600 \
        </dev/null >/dev/null 3>"$dir/$name.info" &
    pids="$pids $!"
    info=$(cat "$dir/$name.info")
    pid=$(printf '%s\n' "$info" | sed -n 's/^ *"child-pid": \([0-9]*\).*/\1/p')
    if [ -z "$pid" ]; then
        echo "pod.sh: container $name did not start" >&2
        exit 1
    fi
    eval "$name=\$pid"
    echo "info-fd of $name: $(printf '%s' "$info" | tr '\n' ' ' | tr -s ' ')"
done
for c in a b; do
    eval "pid=\$$c"
    echo "container $c: host pid $pid, pid $(grep NSpid "/proc/$pid/status" | tr -s '\t ' ' ' | cut -d' ' -f3) in its own pid namespace"
done

# 3. The structure, as lsns and nsenter show it.
echo "namespaces of the two containers (lsns -p PID -t TYPE):"
for type in net ipc uts pid mnt; do
    ns_a=$(lsns -n -p "$a" -t "$type" -o NS)
    ns_b=$(lsns -n -p "$b" -t "$type" -o NS)
    if [ "$ns_a" = "$ns_b" ]; then
        echo "   $type: shared ($ns_a)"
    else
        echo "   $type: a $ns_a, b $ns_b"
    fi
done
echo "lsns -p $a:"
lsns -p "$a" -o NS,TYPE,NPROCS,PID,COMMAND | sed 's/^/   /'
echo "nsenter -t $a -u hostname: $(nsenter -t "$a" -u hostname)"
echo "nsenter -t $b -p -m: processes in b's /proc: $(nsenter -t "$b" -p -m sh -c 'cd /proc && echo [0-9]*')"
