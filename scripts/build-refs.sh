#!/usr/bin/env bash
# Build the releases nsutils is a drop-in for, util-linux 2.42.2 and libcgroup 3.2.0, into
# target/ref/, for the side-by-side tests and for running upstream's own test suites.
#
# usage: scripts/build-refs.sh [--deps] [--force]
#   --deps   install the build dependencies first (apt-get; needs root)
#   --force  rebuild even when target/ref/ already holds a build of the same archive
#
# The sources are the git archives of the release tags in ../shared/upstream/ (beside this
# repository; NSUTILS_UPSTREAM overrides the directory), checked against its SHA256SUMS. Where
# that directory is missing, the same tags are downloaded from GitHub and their uncompressed
# tar streams are checked against the checksums below, which are those of the shared archives'
# contents (git archive of the tag with the prefix NAME-VERSION/).
#
# The result, with RUNPATH pointing at its own libsmartcols/libmount/libcgroup:
#   target/ref/util-linux/bin/{unshare,nsenter,lsns,lsfd,mount,setpriv}
#   target/ref/util-linux/sbin/{pivot_root,switch_root}
#   target/ref/libcgroup/bin/{cgcreate,cgset,cgexec,cgdelete,cgget,cgclassify,lscgroup,lssubsys,cgxget,cgxset,cgsnapshot}
#   target/ref/libcgroup/sbin/{cgconfigparser,cgrulesengd}
#   target/ref/src/{util-linux-2.42.2,libcgroup-3.2.0}   the unpacked sources (upstream's tests)
# A build is skipped when target/ref/<name>/.archive-sha256 equals the archive's checksum.
# Nothing is installed outside target/ref/.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UPSTREAM=${NSUTILS_UPSTREAM:-$REPO/../shared/upstream}
REF=$REPO/target/ref
JOBS=${NSUTILS_REF_JOBS:-$(nproc)}
DEPS=0 FORCE=0
for a in "$@"; do
    case $a in
        --deps) DEPS=1 ;;
        --force) FORCE=1 ;;
        *) echo "usage: $0 [--deps] [--force]" >&2; exit 2 ;;
    esac
done

say() { echo "build-refs: $*" >&2; }
die() { say "$*"; exit 1; }

# name version tag github-repo sha256-of-the-uncompressed-tar
RELEASES=(
    "util-linux 2.42.2 v2.42.2 util-linux/util-linux a292ddeb162c849d932ba662c3eaa9b90b8576aa0f6b412f2ba0a78672d06b45"
    "libcgroup 3.2.0 v3.2.0 libcgroup/libcgroup 46254c627347f4213de0b7c574ab268898bc4a0b331899cb46c2ee74ca43f132"
)

if [ "$DEPS" = 1 ]; then
    pkgs="build-essential autoconf automake autopoint libtool gettext pkg-config bison flex
          libcap-ng-dev libselinux1-dev libpam0g-dev libsystemd-dev xz-utils"
    missing=""
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        say "installing$missing"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
fi

# fetch NAME VERSION TAG REPO SUM: leave the archive's tar stream at $REF/dl/NAME-VERSION.tar
# and print the checksum that identifies this build.
fetch() {
    local name=$1 version=$2 tag=$3 gh=$4 sum=$5 tar=$REF/dl/$1-$2.tar
    mkdir -p "$REF/dl"
    if [ -f "$UPSTREAM/$name-$version.tar.xz" ]; then
        (cd "$UPSTREAM" && grep " $name-$version.tar.xz\$" SHA256SUMS | sha256sum -c --quiet -) >&2 ||
            die "$UPSTREAM/$name-$version.tar.xz does not match $UPSTREAM/SHA256SUMS"
        xz -dc "$UPSTREAM/$name-$version.tar.xz" >"$tar"
    else
        local url=https://github.com/$gh/archive/refs/tags/$tag.tar.gz
        say "$UPSTREAM/$name-$version.tar.xz not found: downloading $url"
        command -v curl >/dev/null || die "curl is needed to download $url (apt-get install curl)"
        curl -fsSL "$url" | gzip -dc >"$tar" || die "cannot download $url"
    fi
    echo "$sum  $tar" | sha256sum -c --quiet - >&2 ||
        die "$name-$version: the source's checksum is not $sum (not the $tag release?)"
}

# unpack NAME VERSION: a fresh source tree at $REF/src/NAME-VERSION
unpack() {
    rm -rf "$REF/src/$1-$2"
    mkdir -p "$REF/src"
    tar -x -C "$REF/src" -f "$REF/dl/$1-$2.tar"
    rm -f "$REF/dl/$1-$2.tar"
}

build_util_linux() {
    local src=$REF/src/util-linux-$1 prefix=$REF/util-linux
    cd "$src"
    # a git archive has no .git to take the version from
    echo "$1" >.tarball-version
    ./autogen.sh >"$REF/util-linux.log" 2>&1
    ./configure --prefix="$prefix" --disable-all-programs --disable-nls --disable-asciidoc \
        --disable-poman --disable-bash-completion --disable-liblastlog2 --without-python \
        --without-systemd --without-udev --with-selinux \
        --enable-libsmartcols --enable-libmount --enable-libblkid \
        --enable-unshare --enable-nsenter --enable-lsns --enable-pivot_root \
        --enable-switch_root --enable-lsfd --enable-mount --enable-setpriv \
        >>"$REF/util-linux.log" 2>&1
    make -j"$JOBS" >>"$REF/util-linux.log" 2>&1
    # the C helpers (test_mkfds ...) that upstream's tests call
    make -j"$JOBS" check-programs >>"$REF/util-linux.log" 2>&1
    make install >>"$REF/util-linux.log" 2>&1
}

build_libcgroup() {
    local src=$REF/src/libcgroup-$1 prefix=$REF/libcgroup
    cd "$src"
    # upstream's release process stamps the version into configure.ac; the tag says 0.0.0
    sed -i "s/^\(AC_INIT(\[libcgroup\],\s*\[\)0\.0\.0\]/\1$1]/" configure.ac
    autoreconf -fi >"$REF/libcgroup.log" 2>&1
    # sysconfdir /etc as a distribution builds it (the tools read /etc/cgconfig.conf ...);
    # `make install` writes nothing there
    ./configure --prefix="$prefix" --sysconfdir=/etc --localstatedir=/var \
        --enable-opaque-hierarchy=name=systemd --enable-systemd --disable-python \
        --disable-tests >>"$REF/libcgroup.log" 2>&1
    make -j"$JOBS" >>"$REF/libcgroup.log" 2>&1
    make install >>"$REF/libcgroup.log" 2>&1
}

for r in "${RELEASES[@]}"; do
    read -r name version tag gh sum <<<"$r"
    stamp=$REF/$name/.archive-sha256
    if [ "$FORCE" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] &&
       [ -d "$REF/src/$name-$version" ]; then
        say "$name $version: already built in $REF/$name"
        continue
    fi
    say "$name $version: building into $REF/$name (log: $REF/$name.log)"
    start=$SECONDS
    rm -rf "${REF:?}/$name"
    fetch "$name" "$version" "$tag" "$gh" "$sum"
    unpack "$name" "$version"
    fn=build_${name//-/_}
    if ! (set -e; "$fn" "$version"); then
        tail -n 30 "$REF/$name.log" >&2
        die "$name $version: the build failed (whole log: $REF/$name.log)"
    fi
    echo "$sum" >"$stamp"
    say "$name $version: built in $((SECONDS - start)) s"
done
