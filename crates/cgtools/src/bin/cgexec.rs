//! `cgexec`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgexec", cgtools::cgexec::run)
}
