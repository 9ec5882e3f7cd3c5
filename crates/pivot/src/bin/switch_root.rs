//! `switch_root`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("switch_root", pivot::switch_root::run)
}
