#!/usr/bin/env bash
# Run util-linux's own shell tests for lsns, nsenter and unshare (tests/ts/<tool>/*) against
# nsutils' binaries. See README.md next to this file.
#
# usage: tests/ultests/run.sh UTIL_LINUX_SOURCE_OR_GIT_DIR [component-or-test...]
#
# Nothing from util-linux is stored in this repository: its tests/ directory is copied from
# the given checkout (or, from a git directory, `git archive v2.42 tests`) into a temporary
# directory at run time. UL_TESTS_REFERENCE=1 runs the system's util-linux binaries instead
# (a baseline); UL_TESTS_VERBOSE=1 prints the diff of each failing test.
set -u -o pipefail

die() { echo "run.sh: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: $0 UTIL_LINUX_SOURCE_OR_GIT_DIR [component-or-test...]"
SRC=$1
shift
WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=(lsns nsenter unshare)
[ "$(id -u)" = 0 ] || die "must run as root (the tests make namespaces and mounts)"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# 1. our binaries (the unshare below is ours, too: it makes the sandbox)
(cd "$REPO" && cargo build --workspace --bins) >&2 || die "cargo build failed"
BIN=""
for d in "$REPO/target/x86_64-unknown-linux-musl/debug" \
         "$REPO/target/$(rustc -vV | sed -n 's/^host: //p')/debug" "$REPO/target/debug"; do
    if [ -x "$d/lsns" ]; then BIN=$d; break; fi
done
[ -n "$BIN" ] || die "built binaries not found under $REPO/target"

# 2. a copy of upstream's tests/, a config.h saying what this system has, and wrappers
WORK=$(mktemp -d /tmp/nsutils-ultests.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$WORK"' EXIT
if [ -d "$SRC/tests/ts" ]; then
    cp -a "$SRC/tests" "$WORK/tests"
elif git --git-dir="$SRC" rev-parse --verify -q v2.42 >/dev/null; then
    git --git-dir="$SRC" archive v2.42 tests | tar -x -C "$WORK" || die "git archive failed"
else
    die "$SRC is neither a util-linux source tree nor a git directory with tag v2.42"
fi
printf '#define HAVE_LINUX_NSFS_H 1\n#define HAVE_LINUX_NET_NAMESPACE_H 1\n' >"$WORK/config.h"
mkdir "$WORK/bin"
for tool in lsns nsenter unshare; do
    if [ "${UL_TESTS_REFERENCE:-0}" = 1 ]; then
        target=$(command -v "$tool") || die "$tool is not installed"
    else
        target="$BIN/$tool"
    fi
    printf '#!/bin/sh\nexec %s "$@"\n' "$target" >"$WORK/bin/$tool"
    chmod +x "$WORK/bin/$tool"
done

# 3. run them in a private mount and network namespace with /run on a tmpfs, so that
#    `ip netns add` and the test's veths never reach the host
cd "$WORK" || die "cannot enter $WORK"
"$BIN/unshare" -mn --propagation private /bin/sh -c '
    mount -t tmpfs tmpfs /run && ip link set lo up &&
    PATH="$0/bin:$PATH" TS_CMD_LSNS="$0/bin/lsns" TS_CMD_NSENTER="$0/bin/nsenter" \
        TS_CMD_UNSHARE="$0/bin/unshare" \
        bash tests/run.sh --use-system-commands --parallel=1 "$@"' "$WORK" "${WANT[@]}" \
    >"$WORK/log" 2>&1
# 4. one line per test, then the summary; exit 1 if anything failed
failed=0
sed -n 's/^ *\([a-z]*\): \(.*\) \.\.\. \(OK\|FAILED\|SKIPPED.*\|KNOWN FAILED.*\)$/\1: \2 \3/p' "$WORK/log"
if grep -q '\.\.\. FAILED' "$WORK/log"; then
    failed=1
    if [ "${UL_TESTS_VERBOSE:-0}" = 1 ]; then
        find "$WORK/tests/diff" -type f -exec cat {} + 2>/dev/null
    fi
fi
grep -E 'no process belongs to|sub-tests|tests PASSED|tests FAILED|of [0-9]+ tests' "$WORK/log" | sed 's/^ *//'
exit "$failed"
