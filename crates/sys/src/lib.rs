//! The one internal crate of nsutils: every syscall, every `/proc` parser, the command-line
//! layer and the error type the tools share.
//!
//! It is the only crate in the workspace with `unsafe` code or raw `libc` calls; the tools
//! (`unshare`, and later `nsenter`, `lsns`, the cgroup tools, `ovlmount`, `pivot`) build a
//! plan from their arguments and carry it out with the small typed functions here.
//!
//! | module | what it covers |
//! |---|---|
//! | [`cli`] | getopt_long over a clap definition, `--help` layout, strict number parsing |
//! | [`error`] | [`Error`], rendered as util-linux prints failures, with its exit status |
//! | [`dirfd`] | paths in a tree someone less privileged controls: openat2 in-root or without symlinks, modes set exactly |
//! | [`fault`] | injected failures for the tests (debug builds only) |
//! | [`diagnose`] | why the host refused a step: the cause that holds and its fix, as a hint |
//! | [`ns`] | namespace kinds, `unshare(2)`, `setns(2)` |
//! | [`nsfs`] | the nsfs ioctls (owner, parent, kind, owner uid), a socket's netns, `pidfd_getfd` |
//! | [`idmap`] | user-namespace id maps, `/etc/subuid`, `newuidmap` |
//! | [`fsmount`] | the new mount API (fsopen, fsconfig, fsmount, move_mount) with the kernel's reasons |
//! | [`handles`] | handles for scripts: a pid file renamed into place, a descriptor written once |
//! | [`layerfs`] | device nodes, owners and times of a path itself, for unpacking image layers |
//! | [`mount`] | propagation, proc and binfmt_misc mounts, binds, mountinfo |
//! | [`signal`] | signal names, masks, forwarding, dying by a child's signal |
//! | [`proctab`] | the process table: pids, stat, owner, namespace links, open files, command line |
//! | [`netnsid`] | network namespace ids over rtnetlink (`RTM_GETNSID`) |
//! | [`process`] | exec rules, fork and wait, credentials, capabilities, time offsets |
//! | [`procevents`] | the kernel's process events (netlink proc connector) |
//! | [`daemon`] | detaching, syslog, signals as a descriptor, real-time priority |
//! | [`user`] | passwd and group lookups |
//! | [`target`] | another process as a source of namespaces, root, cwd, environment |
//! | [`regex`] | POSIX extended regular expressions (`regcomp`), with glibc's error texts |
//! | [`display`] | what output goes to: the terminal's width, the locale's character set |
//! | [`term`] | a full-screen program's terminal: raw mode, the alternate screen, window size, keys |
//! | [`xattr`] | extended attributes of a path (not of a symlink's target): get, list, set |
//!
//! The cgroup model (hierarchies, groups, libcgroup's error codes and rules) and the
//! libsmartcols-style table renderer are crates of their own over this one, `cgroup` and
//! `table`, so the layers read tools → {cgroup, table} → sys.

pub mod cli;
pub mod daemon;
pub mod diagnose;
pub mod dirfd;
pub mod display;
pub mod errno;
pub mod error;
pub mod fault;
pub mod fsmount;
pub mod handles;
pub mod idmap;
pub mod layerfs;
pub mod mount;
pub mod netnsid;
mod nlmsg;
pub mod ns;
pub mod nsfs;
pub mod process;
pub mod procevents;
pub mod proctab;
pub mod regex;
pub mod rootfs;
pub mod rusage;
pub mod signal;
pub mod target;
pub mod term;
pub mod user;
pub mod xattr;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

pub use error::{Context, Errno, Error, Prog, Result};

/// What a tool's `run` hands back when it returns instead of exec'ing.
pub type Status = u8;

/// The whole life of a tool binary: name it from argv[0], give SIGPIPE back its default (a
/// closed pipe ends us quietly, as it ends util-linux), run, report the error if any, and
/// make sure stdout reached its destination.
///
/// A tool run set-user-ID, set-group-ID or with file capabilities refuses before doing
/// anything (see [`refuse_elevation`]).
pub fn main(default_name: &str, run: fn(&Prog, Vec<OsString>) -> Result<Status>) -> ExitCode {
    run_main(default_name, run, &[])
}

/// [`main`] for `cgexec`, the one tool libcgroup installs set-user-ID root: it may run
/// set-user-ID or set-group-ID, and `run` must call [`process::drop_elevation`] before it acts
/// for the user. File capabilities are still refused.
pub fn main_set_user_id(
    default_name: &str,
    run: fn(&Prog, Vec<OsString>) -> Result<Status>,
) -> ExitCode {
    let allowed = [
        process::Elevation::SetUserId,
        process::Elevation::SetGroupId,
    ];
    run_main(default_name, run, &allowed)
}

fn run_main(
    default_name: &str,
    run: fn(&Prog, Vec<OsString>) -> Result<Status>,
    allowed: &[process::Elevation],
) -> ExitCode {
    signal::restore_sigpipe();
    let mut args = std::env::args_os();
    let prog = Prog::new(args.next().as_deref(), default_name);
    let result = refuse_elevation(allowed)
        .and_then(|()| run(&prog, args.collect()))
        .and_then(|status| flush_stdout().map(|()| status));
    match result {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            e.report(&prog);
            ExitCode::from(e.status())
        }
    }
}

/// Refuse an elevated run the tool was not written for. util-linux's tools (unshare, nsenter...)
/// have no such check and would hand every privilege of the file's owner to whoever runs
/// them; here the message names the fix, and the status is 1, the general failure status
/// of both util-linux and libcgroup's tools (neither has a code of its own for this).
fn refuse_elevation(allowed: &[process::Elevation]) -> Result<()> {
    use process::Elevation;
    let Some(elevation) = process::elevation().filter(|e| !allowed.contains(e)) else {
        return Ok(());
    };
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "<program>".to_owned());
    Err(Error::msg(match elevation {
        Elevation::SetUserId => {
            format!("refusing to run set-user-ID; remove the set-user-ID bit: chmod u-s {exe}")
        }
        Elevation::SetGroupId => {
            format!("refusing to run set-group-ID; remove the set-group-ID bit: chmod g-s {exe}")
        }
        Elevation::Secure => {
            format!("refusing to run with file capabilities; remove them: setcap -r {exe}")
        }
    }))
}

/// Read a kernel pseudo-file (`/proc`, cgroupfs) whole. They report size 0, so a plain
/// `fs::read` starts with a tiny buffer and grows it read by read; one generous buffer makes
/// it one or two reads.
pub fn read_pseudo_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(16 * 1024);
    std::fs::File::open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}

/// [`read_pseudo_file`] as text (lossily).
pub fn read_pseudo_text(path: &std::path::Path) -> std::io::Result<String> {
    read_pseudo_file(path).map(|b| {
        String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    })
}

/// Write to stdout; a failure is util-linux's `write error`.
pub fn print(text: &str) -> Result<()> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(write_error)
}

fn flush_stdout() -> Result<()> {
    std::io::stdout().lock().flush().map_err(write_error)
}

fn write_error(e: std::io::Error) -> Error {
    Error::os("write error", e)
}
