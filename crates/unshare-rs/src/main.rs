//! `unshare`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("unshare", unshare_rs::run)
}
