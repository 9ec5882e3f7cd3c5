//! `cgrulesengd`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgrulesengd", cgtools::cgrulesengd::run)
}
