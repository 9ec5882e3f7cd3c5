//! `cgexec`: see the `cgtools` library crate. It may be installed set-user-ID root, as
//! libcgroup installs it: `cgtools::cgexec::execute` then drops the privilege first.
fn main() -> std::process::ExitCode {
    sys::main_set_user_id("cgexec", cgtools::cgexec::run)
}
