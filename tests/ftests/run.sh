#!/usr/bin/env bash
# Run libcgroup's own functional tests (tests/ftests) against nsutils' Rust
# cgtools.  See README.md next to this file for the details and safety notes.
#
# usage: tests/ftests/run.sh [/path/to/libcgroup-source] [test numbers... | sudo]
#
# Without a source, the libcgroup 3.2.0 tree that scripts/build-refs.sh
# unpacked (target/ref/src/libcgroup-3.2.0) is used. Nothing from libcgroup
# is stored in this repository: the tests are copied from the source tree
# into a temporary shadow tree at run time.
#
# Environment:
#   FTESTS_REFERENCE=1  run libcgroup 3.2.0's tools (target/ref/libcgroup) instead of ours
#   FTESTS_BIN=DIR      our binaries are in DIR (no cargo build; the VM and cargo test use it)
#   FTESTS_EXPECT=FILE  compare each result with FILE's line for this host's cgroup mode
#                       (format: see tests/ftests/expected); exit 1 on any difference but a
#                       new pass, which is reported so that the list gets updated
#   FTESTS_MODE=MODE    the mode's name in that file (default: hybrid, v2 or v1, detected);
#                       several names ("systemd v2"): a test's row is the first one's that has one
#   FTESTS_VERBOSE=1    print the runner's output of each failing test on stderr
#   FTESTS_CGRULES=1    run the cgrulesengd tests (006, 007) here too: their rule moves every
#                       /usr/bin/perl process of the machine, so by default they run only in
#                       the test VMs (NSUTILS_CGROUP_MODE set), and are reported skipped elsewhere
set -u -o pipefail

DEFAULT_TESTS="001 003 004 005 006 007 008 009 010 011 012 013 014 015 016 033
017 018 019 020 021 076
022 023 025 026 027 035 036 089
037 038 042 090
043 047 091
002 998
034 046
031 032
029 030"
# The CLI tests of the sudo suite (`sudo`): systemd scopes and slices (-b -c -S -p -r), for a
# host with systemd as PID 1 and a system bus (the systemd guest, FTESTS_MODE=systemd).
SUDO_TESTS="060 061 062 063 064 065 066 067 068 069 070 078 079 084 085 086 087 088 997"
TOOLS="cgcreate cgset cgexec cgdelete cgget cgclassify lscgroup lssubsys cgxget cgxset cgsnapshot"

die() { echo "run.sh: $*" >&2; exit 2; }

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REF=${NSUTILS_REF_DIR:-$REPO/target/ref}
if [ $# -ge 1 ] && [ -d "$1" ]; then
    SRC=$(cd "$1" && pwd) || die "cannot enter $1"
    shift
else
    SRC=$REF/src/libcgroup-3.2.0
fi
[ -f "$SRC/tests/ftests/ftests.py" ] || die "$SRC/tests/ftests/ftests.py not found"
TESTS=("$@")
[ ${#TESTS[@]} -gt 0 ] || read -r -a TESTS <<<"$(echo $DEFAULT_TESTS)"
[ "${TESTS[*]}" != sudo ] || read -r -a TESTS <<<"$SUDO_TESTS"
[ "$(id -u)" = 0 ] || die "must run as root (the tests write to /sys/fs/cgroup)"
command -v python3 >/dev/null || die "python3 is required"

TAG="nsutils-test-$$-"
EXPECT=${FTESTS_EXPECT:-}
[ -z "$EXPECT" ] || EXPECT=$(realpath "$EXPECT")
[ -z "$EXPECT" ] || [ -f "$EXPECT" ] || die "$EXPECT not found"
# the host's cgroup layout, as the expected results name it
if [ -n "${FTESTS_MODE:-}" ]; then
    MODE=$FTESTS_MODE
else
    # the file system types mounted: cgroup (v1) and/or cgroup2
    types=$(awk '{ sub(/.* - /, ""); print $1 }' /proc/self/mountinfo)
    case "$(echo "$types" | grep -c '^cgroup$') $(echo "$types" | grep -c '^cgroup2$')" in
        0\ *) MODE=v2 ;;
        *\ 0) MODE=v1 ;;
        *) MODE=hybrid ;;
    esac
fi

# 1. the binaries: libcgroup 3.2.0's, ours in FTESTS_BIN, or ours built now
if [ "${FTESTS_REFERENCE:-0}" = 1 ]; then
    BIN=$REF/libcgroup/bin
    [ -x "$BIN/cgget" ] || die "libcgroup 3.2.0 is not built in $BIN (scripts/build-refs.sh --deps)"
elif [ -n "${FTESTS_BIN:-}" ]; then
    BIN=$FTESTS_BIN
else
    (cd "$REPO" && cargo build --workspace --bins) >&2 || die "cargo build failed"
    BIN=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
    HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
    for d in "$BIN/x86_64-unknown-linux-musl/debug" "$BIN/$HOST_TRIPLE/debug" "$BIN/debug"; do
        if [ -x "$d/cgget" ]; then BIN=$d; break; fi
    done
fi
[ -x "$BIN/cgget" ] || die "built binaries not found under $BIN"

# 2. shadow tree: X/tests/ftests (copy) + X/src/tools/<tool> -> our binaries
WORK=$(mktemp -d /tmp/nsutils-ftests.XXXXXX) || die "mktemp failed"

cleanup_groups() {
    # remove only groups carrying this run's tag, deepest first
    find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "${TAG}*" 2>/dev/null |
    while read -r g; do
        find "$g" -depth -type d 2>/dev/null
    done | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- |
    while read -r d; do
        # move any task left behind (only perl loops the tests started) to
        # the hierarchy root before rmdir
        if [ -f "$d/cgroup.procs" ]; then
            root=$(echo "$d" | sed -E 's#^(/sys/fs/cgroup/[^/]+)/.*#\1#')
            while read -r p; do
                [ -n "$p" ] && echo "$p" >"$root/cgroup.procs" 2>/dev/null
            done <"$d/cgroup.procs"
        fi
        rmdir "$d" 2>/dev/null
    done
}

kill_test_processes() {
    # Kill only processes this script started: every process spawned by the
    # ftests runner (perl loops included, even after being re-parented)
    # inherits NSUTILS_FTESTS_TAG in its environment.  Kill them by PID.
    local e p
    for e in /proc/[0-9]*/environ; do
        p=${e#/proc/}; p=${p%/environ}
        [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
        # A process may end between the glob and the read: silence the redirection too.
        if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "NSUTILS_FTESTS_TAG=$TAG"; then
            kill -9 "$p" 2>/dev/null
        fi
    done
}

# The cgsnapshot tests (004, 005) make an empty default deny list, /etc/cgsnapshot_denylist.conf,
# as cgsnapshot needs one: removed at the end unless it was there before.
DENYLIST=/etc/cgsnapshot_denylist.conf
DENYLIST_WAS_THERE=$([ -e "$DENYLIST" ] && echo 1)

finish() {
    [ -n "$DENYLIST_WAS_THERE" ] || rm -f "$DENYLIST"
    kill_test_processes
    sleep 0.2
    cleanup_groups
    left=$(find /sys/fs/cgroup -maxdepth 6 -type d -name "${TAG}*" 2>/dev/null)
    [ -z "$left" ] || echo "run.sh: WARNING: leftover groups: $left" >&2
    rm -rf "$WORK"
}
trap finish EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/tests" "$WORK/src/tools" "$WORK/bin"
# -L: a tree of symlinks (as the VM packs it) becomes real files, which python imports
# from here rather than from where the links point.
cp -rL "$SRC/tests/ftests" "$WORK/tests/ftests"
for t in $TOOLS; do
    ln -s "$BIN/$t" "$WORK/src/tools/$t"
done
# the rules daemon, where the ftests look for it (libcgroup's build has it in sbin)
mkdir -p "$WORK/src/daemon"
daemon=$BIN/cgrulesengd
[ -x "$daemon" ] || daemon=$(dirname "$BIN")/sbin/cgrulesengd
ln -s "$daemon" "$WORK/src/daemon/cgrulesengd"
# cgconfigparser: libcgroup installs it in sbin; ours sits with the other binaries. It is also
# the setup step of the sudo tests 062-070 (they make their scope with it), so there each run
# uses its own.
if [ "${FTESTS_REFERENCE:-0}" = 1 ]; then
    ln -s "$REF/libcgroup/sbin/cgconfigparser" "$WORK/src/tools/cgconfigparser"
else
    ln -s "$BIN/cgconfigparser" "$WORK/src/tools/cgconfigparser"
fi

# stand-in for the Cython bindings module (only Mode is used by CLI tests)
cat >"$WORK/tests/ftests/libcgroup.py" <<'EOF'
# Minimal stand-in for libcgroup's Cython bindings (written for nsutils).
class Mode:
    CGROUP_MODE_UNK = 0
    CGROUP_MODE_LEGACY = 1
    CGROUP_MODE_HYBRID = 2
    CGROUP_MODE_UNIFIED = 3


class Version:
    CGROUP_UNK = 0
    CGROUP_V1 = 1
    CGROUP_V2 = 2
    CGROUP_DISK = 3


class Cgroup:
    # The sudo tests' prerequisite: both tool sets under test speak to systemd (libcgroup
    # 3.2.0 is built with --enable-systemd). The bindings' Cgroup objects are not here: a
    # test that uses them fails, for both.
    @staticmethod
    def is_systemd_enabled():
        return True
EOF

# no-container mode prefixes commands with sudo; we are root already
printf '#!/bin/sh\nexec "$@"\n' >"$WORK/bin/sudo"
chmod +x "$WORK/bin/sudo"

# The cgrules tests end with `killall cgrulesengd`: this one kills only the daemons this run
# started (NSUTILS_FTESTS_TAG in their environment), by pid.
cat >"$WORK/bin/killall" <<'EOF'
#!/bin/sh
# killall NAME, for the ftests (written for nsutils): only this run's processes named NAME.
for e in /proc/[0-9]*/environ; do
    p=${e#/proc/}; p=${p%/environ}
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] || continue
    if { tr '\0' '\n' <"$e"; } 2>/dev/null | grep -qx "NSUTILS_FTESTS_TAG=$NSUTILS_FTESTS_TAG"; then
        kill "$p" 2>/dev/null
    fi
done
exit 0
EOF
chmod +x "$WORK/bin/killall"

# The cgrules tests write /etc/cgrules.conf, /etc/cgconfig.conf and /etc/cgconfig.d and start
# the daemon, whose socket is /var/run/cgred.socket: they run in a private mount namespace
# whose /etc is a directory of links to the real one's entries (but those four) and whose
# /run is a tmpfs, so the host's files stay as they are.
PRIVATE_ETC='set -e
mkdir "$E" "$E.orig"
mount --bind /etc "$E.orig"
for f in "$E.orig"/* "$E.orig"/.[!.]*; do
    n=${f##*/}
    case $n in cgrules.conf|cgrules.d|cgconfig.conf|cgconfig.d) continue ;; esac
    if [ -e "$f" ] || [ -L "$f" ]; then ln -s "$f" "$E/$n"; fi
done
mount --bind "$E" /etc
mount -t tmpfs nsutils-ftests /run
set +e
exec "$@"'

# rename every test group NNNxxx -> nsutils-test-<pid>-NNNxxx (also inside
# expected-output strings); 091 uses 090cgcreate, 998 uses 'test'
cd "$WORK/tests/ftests" || die "cannot enter shadow tree"
for f in [0-9][0-9][0-9]-*.py; do
    sed -i -E \
        -e "s/(['\"\\n]|^|[^A-Za-z0-9_-])([0-9]{3}(cg|ls|shared|threaded|sibling|bindings|setuid|setperms)[A-Za-z0-9_]*)/\\1${TAG}\\2/g" \
        "$f"
done
sed -i -E "s/^CGNAME = 'test'$/CGNAME = '${TAG}998test'/" 998-*.py
# 004 (cgsnapshot of a new v1 memory group) asks for upstream's LXC container only so that the
# snapshot's values are a fresh group's: the group it makes is new here too.
sed -i 's/^    if not config.args.container:$/    if False:  # nsutils: runs without a container/' 004-*.py
# 085's teardown ends "the process that failed to migrate" as active_children()[0], but by then
# every cgexec it started may have exited (the failing ones at once, the first one as soon as
# its perl is killed a line before): the test then fails with "list index out of range" by
# timing alone, for libcgroup 3.2.0 and for ours alike. Each child still running is ended.
sed -i 's/^    active\[0\]\.terminate()$/    for child in active: child.terminate()  # nsutils: none may be left/' 085-*.py
grep -q 'nsutils: none may be left' 085-*.py || die "085's teardown is not as expected"

export PATH="$WORK/bin:$PATH"
export NSUTILS_FTESTS_TAG="$TAG"

# 3. run the tests one by one
PASS=0 FAIL=0 SKIP=0 DIFFER=0 NEWPASS=0
for n in "${TESTS[@]}"; do
    n=$(printf '%03d' "$((10#$n))")
    if ! ls "$n"-*.py >/dev/null 2>&1; then
        echo "$n skip (no such test)"; SKIP=$((SKIP + 1)); continue
    fi
    log="$WORK/$n.log"
    # The sudo suite runs only when asked for by name (upstream's ftests-sudo.sh: -s sudo).
    suite=()
    ls "$n"-sudo-*.py >/dev/null 2>&1 && suite=(-s sudo)
    private=()
    case $n in 006|007)
        if [ -z "${NSUTILS_CGROUP_MODE:-}" ] && [ "${FTESTS_CGRULES:-0}" != 1 ]; then
            private=(skip)
        else
            private=(env "E=$WORK/etc-$n" unshare -m --propagation private /bin/sh -c "$PRIVATE_ETC" sh)
        fi
    esac
    if [ "${private[*]}" = skip ]; then
        echo "Skipped: 1 (its rule moves every perl of the machine: VM only)" >"$WORK/$n.out"
    else
        "${private[@]}" python3 ./ftests.py --no-container "${suite[@]}" -N "$((10#$n))" -l 10 -L "$log" \
            >"$WORK/$n.out" 2>&1 &
        wait "$!"
    fi
    out="$WORK/$n.out"
    np=$(sed -nE 's/^\s*Passed:\s*([0-9]+).*/\1/p' "$out" | tail -1)
    nf=$(sed -nE 's/^\s*Failed:\s*([0-9]+).*/\1/p' "$out" | tail -1)
    ns=$(sed -nE 's/^\s*Skipped:\s*([0-9]+).*/\1/p' "$out" | tail -1)
    if [ "${nf:-0}" -gt 0 ]; then r=fail
    elif [ "${np:-0}" -gt 0 ]; then r=pass
    elif [ "${ns:-0}" -gt 0 ]; then r=skip
    else r=fail
    fi
    case $r in pass) PASS=$((PASS + 1));; fail) FAIL=$((FAIL + 1));; skip) SKIP=$((SKIP + 1));; esac
    note=""
    if [ -n "$EXPECT" ]; then
        col=$([ "${FTESTS_REFERENCE:-0}" = 1 ] && echo 4 || echo 3)
        # `n ""`: compare as strings (busybox awk, the VM's, reads -v 011 as octal 9)
        # MODE may list several names: the first with a row for the test gives it.
        want=""
        for m in $MODE; do
            want=$(awk -v n="$n" -v m="$m" -v c="$col" '$1 == n "" && $2 == m "" { print $c; exit }' "$EXPECT")
            [ -z "$want" ] || break
        done
        if [ -z "$want" ]; then
            note=" (NOT IN $EXPECT for $MODE)"; DIFFER=$((DIFFER + 1))
        elif [ "$want" = "$r" ]; then
            note=" (expected)"
        elif [ "$r" = pass ]; then
            note=" (NEW PASS: expected $want; update $EXPECT)"; NEWPASS=$((NEWPASS + 1))
        else
            note=" (UNEXPECTED: expected $want)"; DIFFER=$((DIFFER + 1))
        fi
    fi
    echo "$n $r$note"
    if [ "$r" = fail ] && [ -n "${FTESTS_VERBOSE:-}" ]; then
        sed 's/^/    /' "$out" >&2
    fi
    # per-test cleanup (teardown is skipped when a test raises)
    kill_test_processes
        cleanup_groups
done

# (worded so that no CI log reader takes it for the test suite's own summary)
who=$([ "${FTESTS_REFERENCE:-0}" = 1 ] && echo "libcgroup 3.2.0" || echo nsutils)
echo "libcgroup ftests on a $MODE host, $who: pass $PASS, fail $FAIL, skip $SKIP"
if [ -n "$EXPECT" ]; then
    echo "compared with $EXPECT: $DIFFER unexpected, $NEWPASS new passes"
    [ "$DIFFER" -eq 0 ]
else
    [ "$FAIL" -eq 0 ]
fi
