//! `cgcreate`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    sys::main("cgcreate", cgtools::cgcreate::run)
}
