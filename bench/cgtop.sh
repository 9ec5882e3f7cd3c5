#!/bin/sh
# bench/cgtop.sh [REFRESHES] [v2]: the CPU time one refresh of 1,000 groups costs cgtop, next
# to systemd-cgtop doing the same in the same run (as root).
#
#   bench/cgtop.sh                 on this host (builds the release cgtop first)
#   bench/cgtop.sh 100 v2          the groups in the cgroup2 hierarchy only: a v2 host's shape
#                                  on a hybrid host
#   flock /work/briefs/vm.lock cargo xtask vm-test --mode systemd --script bench/cgtop.sh
#                                  in the systemd guest (the harness packs the release binaries)
#
# It makes 1,000 empty groups nsutils-bench-<pid>-<i> at the root of every mounted hierarchy
# (v2, each v1 one; with `v2`, of the cgroup2 one only), removed at the end, also on error or interrupt. Each tool runs twice in
# batch mode, for 1 refresh and for 1+REFRESHES (default 100) refreshes 20 ms apart; the
# difference of the CPU time (user+system, the shell's `times`) divided by REFRESHES is the
# cost of one refresh, start-up and the first scan left out. Output goes to /dev/null, so the
# formatting of every row is counted as well: systemd-cgtop is given LINES and COLUMNS large
# enough for all of them (it cuts its batch output to the window otherwise), but it leaves out
# groups with nothing to show (empty groups, as these are) while cgtop prints one line for
# each: the rows counted are printed. Target: under 20 ms per refresh.
#
# Where tmux is installed, cgtop's interactive screen is measured the same way (in a detached
# tmux session, `-n N` refreshes): at 80x24 it reads only the columns it shows (systemd-cgtop's
# five), at 250x50 all of them.
set -eu
refreshes=${1:-100}
groups=1000
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${NSUTILS_VM:-}" ] && command -v cargo >/dev/null 2>&1; then
    (cd "$root" && . scripts/env.sh && cargo build --release --quiet -p cgtop)
fi
bin=
for dir in "$root"/target/*/release "$root"/target/release; do
    [ -x "$dir/cgtop" ] && bin=$dir
done
[ -n "$bin" ] || { echo "bench/cgtop.sh: no release cgtop (cargo build --release -p cgtop)" >&2; exit 2; }
command -v systemd-cgtop >/dev/null || { echo "bench/cgtop.sh: systemd-cgtop is missing (apt-get install systemd)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench/cgtop.sh: run it as root (it makes groups)" >&2; exit 2; }

# Every cgroup mount point: field 5 of mountinfo, the file system type after the " - ".
case ${2:-all} in
    v2) types='^cgroup2$' ;;
    all) types='^cgroup2?$' ;;
    *) echo "bench/cgtop.sh: the second argument is v2 or nothing" >&2; exit 2 ;;
esac
hierarchies=$(awk -v types="$types" '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) ~ types) print $5; break } }' \
    /proc/self/mountinfo | sort -u)
[ -n "$hierarchies" ] || { echo "bench/cgtop.sh: no cgroup hierarchy of that kind is mounted" >&2; exit 2; }
prefix=nsutils-bench-$$
work=$(mktemp -d)
cleanup() {
    for sock in "$work"/*.sock; do [ ! -S "$sock" ] || tmux -S "$sock" kill-server 2>/dev/null || true; done
    rm -rf "$work"
    for h in $hierarchies; do
        for g in "$h/$prefix"-*; do [ ! -d "$g" ] || rmdir "$g" 2>/dev/null || true; done
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for h in $hierarchies; do
    i=1
    while [ $i -le $groups ]; do
        mkdir "$h/$prefix-$i"
        i=$((i + 1))
    done
done

# CPU seconds (user+system) that `$@` takes, as the shell's `times` counts its children.
cpu_seconds() {
    sh -c '"$@" > /dev/null; times' sh "$@" | awk 'END {
        split($1, u, "m"); split($2, s, "m")
        printf "%.6f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2]
    }'
}
# Milliseconds of CPU per refresh of tool `$1` (its options for n refreshes follow as `-n N`).
per_refresh() {
    tool=$1
    shift
    one=$(cpu_seconds "$tool" "$@" -n 1)
    many=$(cpu_seconds "$tool" "$@" -n $((refreshes + 1)))
    echo "$one $many" | awk -v n="$refreshes" '{ printf "%.3f %.1f\n", ($2 - $1) * 1000 / n, $1 * 1000 }'
}
export LINES=100000 COLUMNS=200
# Milliseconds of CPU per refresh of cgtop's screen in a `$1` x `$2` window, and of its
# first refresh with the start; "- -" without tmux.
screen_per_refresh() {
    if ! command -v tmux >/dev/null; then
        echo "- -"
        return
    fi
    # A server (socket) for each run: one just killed may still be on its way out.
    for n in 1 $((refreshes + 1)); do
        times=$work/times.$1x$2.$n
        tmux -S "$work/$1x$2.$n.sock" -f /dev/null new-session -d -x "$1" -y "$2" \
            "sh -c '$bin/cgtop -d 0.02 -n $n --depth=3; times > $times'"
        i=0
        until [ -s "$times" ] || [ $i -ge 1200 ]; do sleep 0.1; i=$((i + 1)); done
        tmux -S "$work/$1x$2.$n.sock" kill-server 2>/dev/null || true
    done
    for n in 1 $((refreshes + 1)); do
        awk 'END { split($1, u, "m"); split($2, s, "m"); printf "%.6f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' \
            "$work/times.$1x$2.$n"
    done | paste -sd' ' | awk -v n="$refreshes" '{ printf "%.3f %.1f\n", ($2 - $1) * 1000 / n, $1 * 1000 }'
}
rows_cgtop=$("$bin/cgtop" -b -n 1 --depth=3 | grep -c "$prefix" || true)
rows_systemd=$(systemd-cgtop -b -n 1 --depth=3 | grep -c "$prefix" || true)
set -- $(per_refresh "$bin/cgtop" -b -d 0.02 --depth=3)
ours=$1 ours_first=$2
# cgtop reads a group's pressure files again only every 2 s (the kernel's PSI period), which
# the refreshes 20 ms apart mostly skip: measured apart, 10 refreshes 2 s apart read them each.
set -- $(refreshes=10 && per_refresh "$bin/cgtop" -b -d 2 --depth=3)
ours_psi=$1
set -- $(per_refresh systemd-cgtop -b -d 0.02 --depth=3)
theirs=$1 theirs_first=$2
set -- $(screen_per_refresh 80 24)
narrow=$1 narrow_first=$2
set -- $(screen_per_refresh 250 50)
wide=$1 wide_first=$2
echo "cgtop bench: kernel $(uname -r), $(echo "$hierarchies" | wc -l) hierarchies, $groups groups" \
    "nsutils-bench-* in each ($rows_cgtop rows shown by cgtop, $rows_systemd by systemd-cgtop), $refreshes refreshes"
printf '%-26s %15s %25s\n' tool "CPU ms/refresh" "first refresh + start ms"
printf '%-26s %15s %25s\n' "cgtop -b" "$ours" "$ours_first"
printf '%-26s %15s\n' "cgtop -b, -d 2 (with PSI)" "$ours_psi"
printf '%-26s %15s %25s\n' "cgtop screen 80x24" "$narrow" "$narrow_first"
printf '%-26s %15s %25s\n' "cgtop screen 250x50" "$wide" "$wide_first"
printf '%-26s %15s %25s\n' "systemd-cgtop -b" "$theirs" "$theirs_first"
echo "$ours $theirs $narrow $wide $ours_psi" | awk '{
    ratio = $2 > 0 ? $1 / $2 : 0
    printf "bench: cgtop: ms_per_refresh=%.3f systemd_cgtop_ms_per_refresh=%.3f ratio=%.2f with_psi_ms=%.3f target=%s", $1, $2, ratio, $5, ($1 < 20 && $5 < 20) ? "met" : "missed"
    if ($3 != "-") printf " screen_80x24_ms=%.3f ratio=%.2f screen_250x50_ms=%.3f", $3, ($2 > 0 ? $3 / $2 : 0), $4
    printf "\n"
}'
