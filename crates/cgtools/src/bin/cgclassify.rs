//! `cgclassify`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgclassify", cgtools::cgclassify::run)
}
