//! `cgsnapshot`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgsnapshot", cgtools::cgsnapshot::run)
}
