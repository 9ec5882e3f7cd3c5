//! `cgxset`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgxset", cgtools::cgxset::run)
}
