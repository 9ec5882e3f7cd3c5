//! `cgconfigparser`: see the `cgtools` library crate.
fn main() -> std::process::ExitCode {
    // A `systemd` section's scope is made of a copy of this program under this name, unless
    // the section gives a pid.
    if std::env::args_os().next().as_deref() == Some(cgroup::scope::IDLE_NAME.as_ref()) {
        sys::process::idle_forever();
    }
    sys::main("cgconfigparser", cgtools::cgconfigparser::run)
}
