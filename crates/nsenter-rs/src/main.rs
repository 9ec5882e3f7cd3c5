//! `nsenter`: see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("nsenter", nsenter_rs::run)
}
