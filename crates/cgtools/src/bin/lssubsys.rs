//! `lssubsys`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("lssubsys", cgtools::lssubsys::run)
}
