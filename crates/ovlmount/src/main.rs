//! `ovlmount` (also `mount.overlay`): see the library crate.
fn main() -> std::process::ExitCode {
    sys::main("ovlmount", ovlmount::run)
}
