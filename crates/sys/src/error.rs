//! The one error type of nsutils, rendered the way util-linux and libcgroup print failures.
//!
//! util-linux has three shapes of failure message, and each tool's errors are one of them:
//! `err()` (`prog: what: strerror`), `errx()` (`prog: what`) and getopt's usage errors
//! (`argv0: message` followed by `Try 'prog --help' for more information.`). A fourth case is
//! a status passed through without a message, as when a helper process failed and already said
//! why.

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Write};

use crate::errno::strerror;

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// A failure, with the exit status it ends the program with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A failed call: `what: strerror(errno)` (just the strerror while `what` is empty).
    #[error("{}", os_text(what, *.errno))]
    Os {
        /// What was being done, e.g. `mount /proc failed`.
        what: String,
        /// The kernel's (or libc's) error number.
        errno: i32,
        /// Exit status.
        status: u8,
    },
    /// A refusal with no errno: `what`.
    #[error("{what}")]
    Msg {
        /// The whole message.
        what: String,
        /// Exit status.
        status: u8,
    },
    /// A command-line error, printed with argv[0] and followed by the `--help` hint.
    #[error("{message}")]
    Usage {
        /// getopt's text, e.g. `unrecognized option '--x'`.
        message: String,
        /// Exit status (1 for util-linux, 129 for libcgroup).
        status: u8,
    },
    /// Exit with this status and print nothing: whoever failed has reported it.
    #[error("exit status {0}")]
    Silent(u8),
    /// A message printed as it is, with no program-name prefix (libcgroup's usage lines).
    #[error("{text}")]
    Plain {
        /// The whole message.
        text: String,
        /// Exit status.
        status: u8,
    },
    /// A failure followed by one more line, `prog: hint: CAUSE`: the cause of it that was
    /// found to hold on this host and how to fix it. The failure's own line and exit status
    /// are unchanged, so scripts that match them see no difference.
    #[error("{error}")]
    Hinted {
        /// The failure, printed first, as it would be without the hint.
        error: Box<Error>,
        /// The cause and its fix, on the next line.
        hint: String,
    },
}

impl Error {
    /// `err()`-style error with exit status 1.
    pub fn os(what: impl Into<String>, errno: impl Into<Errno>) -> Self {
        Error::Os {
            what: what.into(),
            errno: errno.into().0,
            status: 1,
        }
    }

    /// `err()`-style error from the calling thread's `errno`.
    pub fn last_os(what: impl Into<String>) -> Self {
        let errno = io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        Self::os(what, Errno(errno))
    }

    /// `errx()`-style error with exit status 1.
    pub fn msg(what: impl Into<String>) -> Self {
        Error::Msg {
            what: what.into(),
            status: 1,
        }
    }

    /// A usage error (status 1, as util-linux).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            status: 1,
        }
    }

    /// The same error with another exit status.
    #[must_use]
    pub fn with_status(self, new: u8) -> Self {
        match self {
            Error::Os { what, errno, .. } => Error::Os {
                what,
                errno,
                status: new,
            },
            Error::Msg { what, .. } => Error::Msg { what, status: new },
            Error::Usage { message, .. } => Error::Usage {
                message,
                status: new,
            },
            Error::Silent(_) => Error::Silent(new),
            Error::Plain { text, .. } => Error::Plain { text, status: new },
            Error::Hinted { error, hint } => Error::Hinted {
                error: Box::new(error.with_status(new)),
                hint,
            },
        }
    }

    /// The same error followed by the line `prog: hint: HINT` (see [`Error::Hinted`]).
    #[must_use]
    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        Error::Hinted {
            error: Box::new(self),
            hint: hint.into(),
        }
    }

    /// The same error, followed by the hint `diagnose` finds for it, if it finds one. The
    /// diagnosis runs only here, after the failure, so a successful run never pays for it.
    #[must_use]
    pub fn hinted_by<H: fmt::Display>(self, diagnose: impl FnOnce(&Error) -> Option<H>) -> Self {
        match diagnose(&self) {
            Some(hint) => self.with_hint(hint.to_string()),
            None => self,
        }
    }

    /// The hint line of an [`Error::Hinted`].
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Hinted { hint, .. } => Some(hint),
            _ => None,
        }
    }

    /// The same error with what was being done in front: `what: message`.
    #[must_use]
    pub fn context(self, what: impl Into<String>) -> Self {
        let what = what.into();
        match self {
            Error::Os {
                what: inner,
                errno,
                status,
            } => {
                let what = if inner.is_empty() {
                    what
                } else {
                    format!("{what}: {inner}")
                };
                Error::Os {
                    what,
                    errno,
                    status,
                }
            }
            Error::Msg {
                what: inner,
                status,
            } => Error::Msg {
                what: format!("{what}: {inner}"),
                status,
            },
            Error::Hinted { error, hint } => Error::Hinted {
                error: Box::new(error.context(what)),
                hint,
            },
            other => other,
        }
    }

    /// The exit status this error ends the program with.
    pub fn status(&self) -> u8 {
        match self {
            Error::Os { status, .. }
            | Error::Msg { status, .. }
            | Error::Usage { status, .. }
            | Error::Plain { status, .. } => *status,
            Error::Silent(status) => *status,
            Error::Hinted { error, .. } => error.status(),
        }
    }

    /// The errno of an [`Error::Os`].
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Os { errno, .. } => Some(*errno),
            Error::Hinted { error, .. } => error.errno(),
            _ => None,
        }
    }

    /// Write the message to stderr as `prog` would.
    pub fn report(&self, prog: &Prog) {
        if let Error::Hinted { error, hint } = self {
            error.report(prog);
            // Nothing useful can be done when stderr itself fails.
            let _ = writeln!(io::stderr().lock(), "{}: hint: {hint}", prog.name);
            return;
        }
        let mut err = io::stderr().lock();
        // Nothing useful can be done when stderr itself fails.
        let _ = match self {
            Error::Usage { message, .. } => write!(
                err,
                "{}: {message}\nTry '{} --help' for more information.\n",
                prog.argv0_display(),
                prog.name
            ),
            Error::Silent(_) => Ok(()),
            Error::Plain { text, .. } => writeln!(err, "{text}"),
            _ => writeln!(err, "{}: {self}", prog.name),
        };
    }
}

fn os_text(what: &str, errno: i32) -> String {
    if what.is_empty() {
        strerror(errno).into_owned()
    } else {
        format!("{what}: {}", strerror(errno))
    }
}

/// An error number, convertible from every errno type the crates in use have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Self {
        Errno(e.raw_os_error())
    }
}

impl From<nix::errno::Errno> for Errno {
    fn from(e: nix::errno::Errno) -> Self {
        Errno(e as i32)
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Self {
        Errno(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

impl From<&io::Error> for Errno {
    fn from(e: &io::Error) -> Self {
        Errno(e.raw_os_error().unwrap_or(libc::EIO))
    }
}

impl From<i32> for Errno {
    fn from(e: i32) -> Self {
        Errno(e)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&strerror(self.0))
    }
}

/// Extension to attach the `what` of an `err()`-style message to any errno result.
pub trait Context<T> {
    /// Turn the error into [`Error::Os`] with this description.
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Errno>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::os(what(), e))
    }
}

/// The program's two names: argv[0] as given (getopt's messages print it verbatim) and its
/// basename (everything else, like glibc's `program_invocation_short_name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prog {
    /// argv[0], verbatim.
    pub argv0: std::ffi::OsString,
    /// The basename of argv[0].
    pub name: String,
}

impl Prog {
    /// Names from argv[0], falling back to `default` when argv is empty.
    pub fn new(argv0: Option<&OsStr>, default: &str) -> Self {
        let argv0 = argv0.map_or_else(|| default.into(), OsStr::to_os_string);
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(argv0.as_os_str());
        let base = bytes.rsplit(|b| *b == b'/').next().unwrap_or(bytes);
        let name = if base.is_empty() {
            default.to_owned()
        } else {
            String::from_utf8_lossy(base).into_owned()
        };
        Prog { argv0, name }
    }

    /// argv[0] as typed, for the messages that name the program so (getopt's, libcgroup's).
    pub fn argv0_display(&self) -> std::borrow::Cow<'_, str> {
        self.argv0.to_string_lossy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_err_and_errx_forms() {
        let e = Error::os("mount /x failed", Errno(libc::ENOENT));
        assert_eq!(e.to_string(), "mount /x failed: No such file or directory");
        assert_eq!(e.status(), 1);
        assert_eq!(
            Error::msg("unknown signal: 15").to_string(),
            "unknown signal: 15"
        );
        assert_eq!(Error::os("x", Errno(2)).with_status(127).status(), 127);
    }

    #[test]
    fn a_hint_keeps_the_failure_its_errno_and_its_status() {
        let e = Error::os("unshare failed", Errno(libc::ENOSPC)).with_status(3);
        let hinted = e.clone().hinted_by(|e| {
            (e.errno() == Some(libc::ENOSPC)).then_some("user.max_user_namespaces is 0")
        });
        assert_eq!(hinted.to_string(), e.to_string());
        assert_eq!(hinted.status(), 3);
        assert_eq!(hinted.errno(), Some(libc::ENOSPC));
        assert_eq!(hinted.hint(), Some("user.max_user_namespaces is 0"));
        assert_eq!(hinted.clone().with_status(1).status(), 1);
        assert_eq!(
            hinted.context("x").to_string(),
            "x: unshare failed: No space left on device"
        );
        assert_eq!(e.clone().hinted_by(|_| None::<&str>), e);
    }

    #[test]
    fn prog_names() {
        let p = Prog::new(Some(OsStr::new("/x/y/myname")), "unshare");
        assert_eq!(p.name, "myname");
        assert_eq!(p.argv0, "/x/y/myname");
        assert_eq!(Prog::new(None, "unshare").name, "unshare");
    }
}
