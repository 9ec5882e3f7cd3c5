//! `cgxget`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgxget", cgtools::cgxget::run)
}
