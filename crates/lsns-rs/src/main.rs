//! `lsns`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("lsns", lsns_rs::run)
}
