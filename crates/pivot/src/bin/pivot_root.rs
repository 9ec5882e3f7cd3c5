//! `pivot_root`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("pivot_root", pivot::pivot_root::run)
}
