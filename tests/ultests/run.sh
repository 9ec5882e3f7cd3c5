#!/usr/bin/env bash
# Run util-linux's own shell tests for lsns, nsenter and unshare (tests/ts/<tool>/*) against
# nsutils' binaries. See README.md next to this file for the details and the results.
#
# usage: tests/ultests/run.sh [UTIL_LINUX_SOURCE_OR_GIT_DIR] [component-or-test...]
#        e.g. tests/ultests/run.sh ~/util-linux lsns nsenter/enter-via-socket
#
# Without a source, the util-linux 2.42.2 tree that scripts/build-refs.sh unpacked and built
# (target/ref/src/util-linux-2.42.2) is used, with the helpers and the lsfd of that build.
# Nothing from util-linux is stored in this repository: its tests/ directory is copied from
# the given source tree (or, from a git directory, `git archive v2.42.2 tests include lib`)
# into a temporary directory at run time, and the C helpers the tests need (test_mkfds,
# test_sysinfo, test_sigreceive, test_strerror) are taken from the reference build or
# compiled there.
#
# Environment:
#   UL_TESTS_REFERENCE=1  run util-linux 2.42.2's binaries (target/ref/util-linux) instead of ours
#   UL_TESTS_BIN=DIR      our binaries are in DIR (no cargo build; what the VM and cargo test use)
#   UL_TESTS_STRICT=1     a SKIPPED test counts as a failure (set by NSUTILS_MUST_RUN=1 too)
#   UL_TESTS_VERBOSE=1    print the diff (and error log) of each failing test
#   UL_TESTS_HELPERS=0    do not compile the C helpers (the tests needing them are skipped)
#   UL_TESTS_TIMEOUT=N    seconds allowed per test (default 120)
#   UL_TESTS_KEEP=1       keep the temporary directory (outputs, diffs) and print its path
#   UL_TESTS_LSFD=PATH    the lsfd for lsns/filedesc and lsns/filter (default: the reference
#                         build's; else lsfd in PATH if it can evaluate 'A == 1 and B == 2';
#                         else those tests are skipped)
set -u -o pipefail

TAG=v2.42.2
COMPONENTS=(lsns nsenter unshare)

die() { echo "run.sh: $*" >&2; exit 2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=${NSUTILS_REF_DIR:-$REPO/target/ref}
if [ $# -ge 1 ] && [ -d "$1" ]; then
    SRC=$(cd "$1" && pwd) || die "cannot enter $1"
    shift
else
    SRC=$REF/src/util-linux-2.42.2
    [ -d "$SRC/tests/ts" ] || die "no util-linux source given and $SRC is not built (scripts/build-refs.sh --deps)"
fi
STRICT=${UL_TESTS_STRICT:-${NSUTILS_MUST_RUN:-0}}
WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=("${COMPONENTS[@]}")
[ "$(id -u)" = 0 ] || die "must run as root (the tests make namespaces, mounts and veths)"
command -v ip >/dev/null || die "ip (iproute2) is required"
REFERENCE=${UL_TESTS_REFERENCE:-0}

# 1. build our binaries and find them
if [ -n "${UL_TESTS_BIN:-}" ]; then
    :
elif ! (cd "$REPO" && cargo build --workspace --bins) >&2; then
    [ "$REFERENCE" = 1 ] || die "cargo build failed"
    echo "run.sh: cargo build failed; going on with the reference binaries" >&2
fi
if [ -n "${UL_TESTS_BIN:-}" ]; then
    BIN=$(cd "$UL_TESTS_BIN" && pwd) || die "cannot enter $UL_TESTS_BIN"
else
    TARGET_DIR=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
                 sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    [ -n "$TARGET_DIR" ] || TARGET_DIR=$REPO/target
    HOST_TRIPLE=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
    BIN=""
    for d in "$TARGET_DIR/x86_64-unknown-linux-musl/debug" "$TARGET_DIR/$HOST_TRIPLE/debug" \
             "$TARGET_DIR/debug"; do
        if [ -x "$d/unshare" ] || [ -x "$d/nsenter" ] || [ -x "$d/lsns" ]; then BIN=$d; break; fi
    done
fi
[ -n "$BIN" ] || [ "$REFERENCE" = 1 ] || die "built binaries not found (cargo build --workspace --bins)"

# the sandbox is made by our unshare (the reference's only as a fallback in reference mode)
SANDBOX_UNSHARE=${BIN:+$BIN/unshare}
if [ -z "$SANDBOX_UNSHARE" ] || [ ! -x "$SANDBOX_UNSHARE" ]; then
    [ "$REFERENCE" = 1 ] || die "our unshare was not built; it is needed to make the sandbox"
    SANDBOX_UNSHARE=$REF/util-linux/bin/unshare
    [ -x "$SANDBOX_UNSHARE" ] || die "no unshare to make the sandbox with"
    echo "run.sh: using $SANDBOX_UNSHARE to make the sandbox" >&2
fi

# 2. a copy of upstream's tests/ (+ include/ and lib/ for the helpers) in a temporary directory
WORK=$(mktemp -d /tmp/nsutils-ultests.XXXXXX) || die "mktemp failed"
if [ "${UL_TESTS_KEEP:-0}" = 1 ]; then
    trap 'echo "run.sh: outputs kept in $WORK" >&2' EXIT
else
    trap 'rm -rf "$WORK"' EXIT
fi
trap 'exit 130' INT TERM
if [ -d "$SRC/tests/ts" ]; then
    mkdir "$WORK/tests"
    # only what these components' scripts read: the whole tree holds disk images
    for f in "$SRC"/tests/*; do
        case ${f##*/} in ts|expected|diff|output) ;; *) cp -a "$f" "$WORK/tests/" ;; esac
    done
    mkdir -p "$WORK/tests/ts" "$WORK/tests/expected"
    for c in "${COMPONENTS[@]}"; do
        [ -d "$SRC/tests/ts/$c" ] && cp -a "$SRC/tests/ts/$c" "$WORK/tests/ts/"
        [ -d "$SRC/tests/expected/$c" ] && cp -a "$SRC/tests/expected/$c" "$WORK/tests/expected/"
    done
    UL_INCLUDE=$SRC/include UL_LIB=$SRC/lib
    VERSION="source tree $SRC"
elif git --git-dir="$SRC" rev-parse --verify -q "$TAG^{commit}" >/dev/null; then
    git --git-dir="$SRC" archive "$TAG" tests include lib | tar -x -C "$WORK" ||
        die "git archive $TAG failed"
    UL_INCLUDE=$WORK/include UL_LIB=$WORK/lib
    VERSION="$TAG from $SRC"
else
    die "$SRC is neither a util-linux source tree nor a git directory with tag $TAG"
fi
rm -rf "$WORK/tests/output" "$WORK/tests/diff"

# the config.h the scripts grep (ts_skip_config, ioctl_ns, nsfs): what this system has
printf '#define HAVE_LINUX_NSFS_H 1\n#define HAVE_LINUX_NET_NAMESPACE_H 1\n' >"$WORK/config.h"

# 3. the C helpers (TS_HELPER_*), always looked up in the build tree: $WORK/test_*. A built
#    source tree (the reference build's) has them already; otherwise they are compiled here.
HELPERS=(mkfds sysinfo sigreceive strerror)
build_helpers() {
    local b=$WORK/helpers-build h
    command -v gcc >/dev/null || { echo "run.sh: no gcc: helpers not built" >&2; return; }
    [ -f "$UL_INCLUDE/c.h" ] && [ -f "$UL_LIB/strutils.c" ] ||
        { echo "run.sh: no include/ or lib/ in $SRC: helpers not built" >&2; return; }
    mkdir -p "$b"
    # just enough of autoconf's config.h for these four files on glibc/Linux
    cat >"$b/config.h" <<'CONFIG'
#define _GNU_SOURCE 1
#define PACKAGE "util-linux"
#define PACKAGE_STRING "util-linux"
#define LOCALEDIR "/usr/share/locale"
#define HAVE_ERR_H 1
#define HAVE_NANOSLEEP 1
#define HAVE_USLEEP 1
#define HAVE_REALLOCARRAY 1
#define HAVE_PROGRAM_INVOCATION_SHORT_NAME 1
#define HAVE___PROGNAME 1
#define HAVE_STRNLEN 1
#define HAVE_STRNDUP 1
#define HAVE_MEMPCPY 1
#define HAVE_STRSIGNAL 1
#define HAVE_UNSHARE 1
#define HAVE_SETNS 1
#define HAVE_SYS_IOCTL_H 1
#define HAVE_SYS_SYSMACROS_H 1
#define HAVE_LINUX_NSFS_H 1
#define HAVE_LINUX_NET_NAMESPACE_H 1
#define HAVE_WIDECHAR 1
CONFIG
    local cc=(gcc -O1 -w -include "$b/config.h" -I"$UL_INCLUDE" -I"$WORK/tests/helpers")
    local hd=$WORK/tests/helpers
    for h in "${HELPERS[@]}"; do
        [ -x "$WORK/test_$h" ] && continue
        case $h in
            mkfds) set -- "$hd/test_mkfds.c" "$hd/test_mkfds_ppoll.c" ;;
            sigreceive|sysinfo) set -- "$hd/test_$h.c" "$UL_LIB/strutils.c" ;;
            *) set -- "$hd/test_$h.c" ;;
        esac
        [ -f "$1" ] || continue
        if ! "${cc[@]}" -o "$WORK/test_$h" "$@" >"$b/test_$h.log" 2>&1; then
            echo "run.sh: could not build test_$h (see $b/test_$h.log)" >&2
            rm -f "$WORK/test_$h"
        fi
    done
}
if [ "${UL_TESTS_HELPERS:-1}" != 0 ]; then
    for h in "${HELPERS[@]}"; do
        # libtool's wrapper scripts in a build tree: the real program is in .libs/ when linked
        # against the tree's libraries, else the file itself
        if [ -x "$SRC/.libs/test_$h" ]; then cp "$SRC/.libs/test_$h" "$WORK/"
        elif [ -x "$SRC/test_$h" ] && [ -d "$SRC/tests/ts" ]; then cp "$SRC/test_$h" "$WORK/"
        fi
    done
    build_helpers
fi

# 4. wrappers named lsns, nsenter, unshare, first on PATH and in TS_CMD_*. A tool we have not
#    built gets no wrapper: its tests are then SKIPPED ("... not found"), as upstream does.
mkdir "$WORK/bin"
for tool in lsns nsenter unshare; do
    if [ "$REFERENCE" = 1 ]; then
        target=$REF/util-linux/bin/$tool
    else
        target=${BIN:+$BIN/$tool}
    fi
    if [ -n "$target" ] && [ -x "$target" ]; then
        printf '#!/bin/sh\nexec %q "$@"\n' "$target" >"$WORK/bin/$tool"
        chmod +x "$WORK/bin/$tool"
    else
        echo "run.sh: no $tool binary${target:+ at $target}; its tests will be skipped" >&2
    fi
done
# lsns/filedesc and lsns/filter also run lsfd (not one of ours) with -Q 'A == 1 and B == 2'.
# The reference build's lsfd is used when built. Otherwise the one in PATH, unless it cannot
# evaluate that (lsfd 2.38.1: "unexpected right operand type NUM for: &&"): then it is
# replaced by a missing file, so those tests are SKIPPED (reason rewritten below) instead of
# failing for a reason that has nothing to do with our binaries.
LSFD=${UL_TESTS_LSFD:-}
[ -n "$LSFD" ] || [ ! -x "$REF/util-linux/bin/lsfd" ] || LSFD=$REF/util-linux/bin/lsfd
LSFD_SENTINEL=$WORK/unusable/lsfd-cannot-evaluate-and
if [ -z "$LSFD" ]; then
    LSFD=$(command -v lsfd) || LSFD=lsfd
    if ! "$LSFD" -n --raw -o FD -Q "PID == $$ and FD == 0" >/dev/null 2>&1; then
        echo "run.sh: $("$LSFD" --version 2>&1) cannot evaluate -Q 'PID == N and FD == N':" \
             "tests needing lsfd are skipped (scripts/build-refs.sh builds a newer lsfd)" >&2
        LSFD=$LSFD_SENTINEL
    fi
fi
if [ "$REFERENCE" = 1 ]; then
    echo "run.sh: reference run: $("$REF/util-linux/bin/lsns" --version 2>&1)" >&2
fi

# 5. the list of test scripts
TESTS=()
for w in "${WANT[@]}"; do
    w=${w%/}
    if [ -f "$WORK/tests/ts/$w" ]; then
        TESTS+=("$w")
    elif [ -d "$WORK/tests/ts/$w" ]; then
        # the scripts: no dot or tilde in the name, not the Makemodule
        for t in "$WORK/tests/ts/$w"/*; do
            t=${t##*/}
            [ -f "$WORK/tests/ts/$w/$t" ] && [[ $t != *[.~]* && $t != Makemodule* ]] &&
                TESTS+=("$w/$t")
        done
    else
        die "no test or component '$w' in $VERSION"
    fi
done
[ ${#TESTS[@]} -gt 0 ] || die "no tests selected"

# 6. run them one by one in a private mount and network namespace made by our unshare, with
#    a tmpfs on /run and loopback up, so that `ip netns add` and veths never reach the host
cat >"$WORK/inner.sh" <<'EOF'
set -u
WORK=$1; shift
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "cannot mount a tmpfs on /run" >&2; exit 3; }
ip link set lo up || { echo "cannot set lo up" >&2; exit 3; }
export PATH="$WORK/bin:$PATH"
export TS_CMD_LSFD TS_CMD_LSNS=$WORK/bin/lsns TS_CMD_NSENTER=$WORK/bin/nsenter TS_CMD_UNSHARE=$WORK/bin/unshare
cd "$WORK" || exit 3
for t in "$@"; do
    timeout -k 10 "${UL_TESTS_TIMEOUT:-120}" bash "tests/ts/$t" \
        "--use-system-commands --parsable" \
        >"$WORK/log.${t//\//_}" 2>&1 </dev/null
    echo "$t $?"
done
EOF
TS_CMD_LSFD=$LSFD "$SANDBOX_UNSHARE" -mn --propagation private bash "$WORK/inner.sh" "$WORK" "${TESTS[@]}" \
    >"$WORK/status" 2>"$WORK/sandbox.err"
rc=$?
if [ $rc -ne 0 ] && [ ! -s "$WORK/status" ]; then
    cat "$WORK/sandbox.err" >&2
    die "the sandbox failed (exit status $rc)"
fi

# 7. one line per test, then a summary; exit 1 if anything FAILED
OK=0 FAILED=0 SKIPPED=0 KNOWN=0
for t in "${TESTS[@]}"; do
    st=$(sed -n "s|^$t \([0-9]*\)$|\1|p" "$WORK/status")
    log=$WORK/log.${t//\//_}
    # the last report line of a script is the test's result (sub-tests come before it)
    res=$(grep -E '\.\.\. ?(OK|FAILED|KNOWN FAILED|SKIPPED)' "$log" 2>/dev/null | tail -1 |
          sed -E 's/.*\.\.\. ?//')
    if [ -z "$st" ]; then
        res="FAILED (not run: the sandbox stopped)"
    elif [ "$st" = 124 ] || [ "$st" = 137 ]; then
        res="FAILED (timed out after ${UL_TESTS_TIMEOUT:-120}s)"
    elif [ -z "$res" ]; then
        res="FAILED (no result reported, exit status $st)"
    elif [ "$st" != 0 ] && [[ $res != FAILED* ]]; then
        res="FAILED (exit status $st after '$res')"
    fi
    [ "$res" = "SKIPPED (${LSFD_SENTINEL##*/} not found)" ] &&
        res="SKIPPED (system lsfd cannot evaluate -Q 'A == 1 and B == 2')"
    case $res in
        OK*) OK=$((OK + 1)) ;;
        SKIPPED*) SKIPPED=$((SKIPPED + 1)) ;;
        "KNOWN FAILED"*) KNOWN=$((KNOWN + 1)) ;;
        *) FAILED=$((FAILED + 1)) ;;
    esac
    # sub-test lines, e.g. "lsns: NETNSID of ...: [01] NETNSID ...OK" -> "  NETNSID OK"
    subs=$(sed -nE 's/^ *[a-z]+: .*: \[[0-9]+\] (.*[^ ]) +\.\.\. ?(.*)$/  \1 \2/p' "$log" 2>/dev/null)
    echo "$t $res"
    [ -n "$subs" ] && echo "$subs"
    if [ "${UL_TESTS_VERBOSE:-0}" = 1 ] && [[ $res == FAILED* || $res == "KNOWN FAILED"* ]]; then
        comp=${t%%/*} name=${t#*/}
        for f in "$WORK/tests/diff/$comp/$name" "$WORK/tests/diff/$comp/$name"-*; do
            [ -s "$f" ] && { echo "--- diff: ${f#"$WORK"/}"; sed 's/^/    /' "$f"; }
        done
        for f in "$WORK/tests/output/$comp/$name.err" "$WORK/tests/output/$comp/$name"-*.err; do
            [ -s "$f" ] && { echo "--- stderr: ${f#"$WORK"/}"; sed 's/^/    /' "$f"; }
        done
        grep -vE '\.\.\. ?(OK|FAILED|KNOWN FAILED|SKIPPED)' "$log" | sed 's/^/    | /'
    fi
done
[ -s "$WORK/sandbox.err" ] && sed 's/^/run.sh: sandbox: /' "$WORK/sandbox.err" >&2

who=$([ "$REFERENCE" = 1 ] && echo "util-linux 2.42.2 ($REF/util-linux)" || echo "nsutils ($BIN)")
echo "$OK OK, $FAILED FAILED, $KNOWN KNOWN FAILED, $SKIPPED SKIPPED ($((OK + FAILED + KNOWN + SKIPPED)) tests of util-linux $VERSION, binaries: $who)"
[ "$FAILED" -eq 0 ] || exit 1
[ "$STRICT" != 1 ] || [ "$SKIPPED" -eq 0 ] || { echo "run.sh: a skipped test is a failure here (UL_TESTS_STRICT/NSUTILS_MUST_RUN)" >&2; exit 1; }
