//! `cgget`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgget", cgtools::cgget::run)
}
