//! `pam_cgroup.so`, a PAM session module: when a session opens, the process of the PAM
//! application (the login program, e.g. `sshd` or `login`, whose children the session's
//! processes will be) is moved into the groups the rules of `/etc/cgrules.conf` (and
//! `/etc/cgrules.d`) give its user, as libcgroup 3.2.0's module does.
//!
//! This file is the module's logic, in safe Rust; `ffi.rs` is the C interface PAM calls
//! (built only for glibc, the only C library PAM applications use here).

// `unsafe` is for the C interface only: denied here, allowed in `ffi` alone.
#![deny(unsafe_code)]

use std::path::Path;

use cgroup::{Hierarchies, rules};

#[cfg(target_env = "gnu")]
#[allow(unsafe_code)]
mod ffi;

/// What the module answers PAM (the values of `<security/_pam_types.h>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `PAM_SUCCESS`.
    Success = 0,
    /// `PAM_SESSION_ERR`: the session cannot be set up.
    SessionErr = 14,
}

/// How important a message to the system log is (syslog's priorities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// `LOG_ERR`.
    Error = 3,
    /// `LOG_DEBUG`.
    Debug = 7,
}

/// The module's arguments in the PAM configuration: only `debug` (log each step's outcome);
/// any other is logged as unknown and otherwise ignored, as libcgroup does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `debug`.
    pub debug: bool,
}

impl Options {
    /// Read the arguments, logging each unknown one.
    pub fn parse<'a>(
        args: impl IntoIterator<Item = &'a str>,
        log: &mut dyn FnMut(Priority, &str),
    ) -> Self {
        let mut options = Options::default();
        for arg in args {
            if arg == "debug" {
                options.debug = true;
            } else {
                log(Priority::Error, &format!("unknown option: {arg}"));
            }
        }
        options
    }
}

/// Open the session of `user` (PAM's `PAM_USER`, `None` when PAM has none) for process
/// `pid`: look the user up, find the hierarchies, and apply the rules to the process as
/// the user's uid and primary gid and the process's own name. Every failure is
/// `PAM_SESSION_ERR`; no matching rule is a success. The messages are libcgroup's; all but
/// the first only with `debug`.
pub fn open_session(
    user: Option<&str>,
    pid: u32,
    options: &Options,
    log: &mut dyn FnMut(Priority, &str),
) -> Answer {
    let Some(user) = user else {
        log(Priority::Error, "open_session - error recovering username");
        return Answer::SessionErr;
    };
    let mut debug = |priority: Priority, text: &str| {
        if options.debug {
            log(priority, text);
        }
    };
    let Some((uid, gid)) = sys::user::passwd_ids(user) else {
        debug(
            Priority::Error,
            &format!("open_session username '{user}' does not exist"),
        );
        return Answer::SessionErr;
    };
    let Ok(all) = Hierarchies::discover() else {
        debug(Priority::Error, "libcgroup initialization failed");
        return Answer::SessionErr;
    };
    let moved = rules::ProcessInfo::of_pid(pid).and_then(|process| {
        let who = rules::ProcessInfo {
            uid,
            gid,
            ..process
        };
        rules::apply(&all, Path::new("/"), &who)
    });
    if moved.is_err() {
        debug(
            Priority::Error,
            &format!("Change of cgroup for process with username {user} failed."),
        );
        return Answer::SessionErr;
    }
    debug(
        Priority::Debug,
        &format!("Changed cgroup for process {pid} with username {user}."),
    );
    Answer::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_log_the_unknown_ones() {
        let mut logged = Vec::new();
        let options = Options::parse(["debug", "quiet", ""], &mut |p, t| {
            logged.push((p, t.to_owned()))
        });
        assert!(options.debug);
        assert_eq!(
            logged,
            [
                (Priority::Error, "unknown option: quiet".to_owned()),
                (Priority::Error, "unknown option: ".to_owned())
            ]
        );
        assert!(!Options::parse([], &mut |_, _| panic!("logged")).debug);
    }

    #[test]
    fn no_user_fails_whatever_the_options() {
        let mut logged = Vec::new();
        let answer = open_session(None, 1, &Options::default(), &mut |p, t| {
            logged.push((p, t.to_owned()))
        });
        assert_eq!(answer, Answer::SessionErr);
        assert_eq!(
            logged,
            [(
                Priority::Error,
                "open_session - error recovering username".to_owned()
            )]
        );
    }

    #[test]
    fn an_unknown_user_is_logged_only_with_debug() {
        let user = Some("nsutils-no-such-user");
        let mut logged = Vec::new();
        let quiet = open_session(user, 1, &Options::default(), &mut |_, t| {
            logged.push(t.to_owned())
        });
        let debug = Options { debug: true };
        let loud = open_session(user, 1, &debug, &mut |_, t| logged.push(t.to_owned()));
        assert_eq!((quiet, loud), (Answer::SessionErr, Answer::SessionErr));
        assert_eq!(
            logged,
            ["open_session username 'nsutils-no-such-user' does not exist"]
        );
    }
}
