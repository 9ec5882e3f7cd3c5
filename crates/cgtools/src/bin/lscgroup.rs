//! `lscgroup`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("lscgroup", cgtools::lscgroup::run)
}
