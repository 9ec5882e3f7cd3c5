//! `cgtop`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgtop", cgtop::run)
}
