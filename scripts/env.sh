# Sourced by demo.sh, .ci/run and bench/run: picks the build target.
#
# The release binaries are static (see README, "Build settings"). musl gives the fastest
# start-up; .cargo/config.toml makes it the default target. Where the musl target cannot be
# installed, fall back to glibc, which .cargo/config.toml links statically too.
if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "nsutils: cargo is not installed; install a Rust toolchain with rustup (rust 1.85 or newer)" >&2
    exit 1
fi
if [ -z "${CARGO_BUILD_TARGET:-}" ]; then
    if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl \
        || rustup target add x86_64-unknown-linux-musl >/dev/null 2>&1; then
        CARGO_BUILD_TARGET=x86_64-unknown-linux-musl
    else
        echo "nsutils: the musl target is not available; building static glibc binaries instead" >&2
        CARGO_BUILD_TARGET=x86_64-unknown-linux-gnu
    fi
fi
export CARGO_BUILD_TARGET PATH
# Where `cargo build --release` puts the binaries.
NSUTILS_RELEASE_DIR="$(pwd)/target/$CARGO_BUILD_TARGET/release"
export NSUTILS_RELEASE_DIR
