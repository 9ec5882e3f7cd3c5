//! `cgdelete`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgdelete", cgtools::cgdelete::run)
}
