#!/usr/bin/env bash
# The demo: build the tools, then show what `unshare` makes: a process that is pid 1 of a new
# pid namespace, with its own hostname, mount table (a proc of its own) and network stack.
# Run as root on Debian. Leaves nothing behind: every namespace dies with its last process.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/env.sh
cargo build --release --quiet -p unshare-rs
unshare="$NSUTILS_RELEASE_DIR/unshare"

echo "== host: $(hostname), pid $$"
for ns in pid uts mnt net; do printf '   %-4s %s\n' "$ns" "$(readlink /proc/self/ns/$ns)"; done
echo
echo "== $unshare -fpmuin --mount-proc sh"
"$unshare" -fpmuin --mount-proc sh -c '
    hostname nsutils-demo
    echo "   I am pid $$ on host $(hostname)"
    for ns in pid uts mnt net; do printf "   %-4s %s\n" "$ns" "$(readlink /proc/self/ns/$ns)"; done
    echo "   processes in my /proc: $(ls /proc | grep -E "^[0-9]+$" | tr "\n" " ")"
    echo "   my /proc mount: $(grep " /proc " /proc/self/mountinfo | tail -n 1 | cut -d" " -f5,6)"
    echo "   network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")"
'
echo
echo "== back on the host: $(hostname); the namespaces are gone with their processes"
