//! `pivot`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("pivot", pivot::pivot::run)
}
