//! `cgset`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgset", cgtools::cgset::run)
}
