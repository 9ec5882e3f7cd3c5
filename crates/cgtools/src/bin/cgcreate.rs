//! `cgcreate`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    // `cgcreate -c` starts a copy of itself under this name as a scope's idle process.
    if std::env::args_os().next().as_deref() == Some(cgroup::scope::IDLE_NAME.as_ref()) {
        sys::process::idle_forever();
    }
    sys::main("cgcreate", cgtools::cgcreate::run)
}
