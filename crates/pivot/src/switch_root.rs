//! `switch_root NEWROOT INIT [ARG...]`: leave an initramfs for the real root file system, as
//! util-linux 2.42's does: move `/dev`, `/proc`, `/sys` and `/run` into NEWROOT, move NEWROOT
//! onto `/`, delete the old initramfs (ramfs or tmpfs only, never crossing into another file
//! system), and exec INIT.
//!
//! Fixed upstream bugs (listed in switch_root(8)): what would make the switch fail is checked
//! before anything moves (NEWROOT not a directory, not a mount point, or already `/`; INIT
//! missing or not executable inside NEWROOT), where util-linux had already moved or detached
//! the API file systems and, run as PID 1, left a system without an init; a later step that
//! fails before NEWROOT is entered moves everything back; a failed fork after the switch
//! still runs init (util-linux exited, as PID 1); `--` ends the
//! options (util-linux took it for NEWROOT); a directory of the four that does not exist is
//! skipped instead of producing a move failure and a forced unmount.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use clap::{Arg, Command, ValueHint};
use sys::cli::{self, Getopt, Order};
use sys::diagnose::{Host, mounts};
use sys::mount;
use sys::process::{self, Forked};
use sys::rootfs::{self, FutureRoot, Kind, OldRoot};
use sys::{Errno, Error, Prog, Result, Status};

/// The usage line of `--help`.
pub const USAGE: &str = "switch_root [options] <newrootdir> <init> <args to init>";

/// The API file systems carried over into the new root.
const CARRIED: [&str; 4] = ["/dev", "/proc", "/sys", "/run"];

/// The `switch_root` command.
pub fn command() -> Command {
    Command::new("switch_root")
        .about("Switch to another filesystem as the root of the mount tree.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(cli::help_flags())
        .args([
            Arg::new("newrootdir")
                .value_name("newrootdir")
                .value_hint(ValueHint::DirPath)
                .help("the mount point of the new root file system"),
            Arg::new("init")
                .value_name("init")
                .value_hint(ValueHint::CommandName)
                .help("the program to run as init, a path inside the new root"),
            Arg::new("args")
                .value_name("args to init")
                .num_args(0..)
                .trailing_var_arg(true)
                .help("its arguments"),
        ])
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text and exit 0.
    Print(String),
    /// Switch to `new_root` and exec `argv[0]` (a path inside it) with `argv`.
    Switch {
        /// The new root's mount point.
        new_root: PathBuf,
        /// INIT and its arguments.
        argv: Vec<OsString>,
    },
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    let mut getopt = Getopt::new(&cmd, args, Order::StopAtOperand);
    if let Some(text) = crate::help_or_version(&mut getopt, &cmd, prog, USAGE, "switch_root(8)")? {
        return Ok(Action::Print(text));
    }
    let mut operands = getopt.operands().into_iter();
    let (Some(new_root), Some(init)) = (operands.next(), operands.next()) else {
        return Err(crate::usage_error(prog, "not enough arguments"));
    };
    if new_root.is_empty() || init.is_empty() {
        return Err(crate::usage_error(prog, "bad usage"));
    }
    let mut argv = vec![init];
    argv.extend(operands);
    Ok(Action::Switch {
        new_root: new_root.into(),
        argv,
    })
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Switch { new_root, argv } => {
            let init = PathBuf::from(&argv[0]);
            if let Err(e) = check(&new_root, &init).and_then(|()| switch(prog, &new_root)) {
                // A hint goes last, after util-linux's closing line.
                let (failure, hint) = match e {
                    Error::Hinted { error, hint } => (*error, Some(hint)),
                    other => (other, None),
                };
                failure.report(prog);
                let sorry = Error::msg("failed. Sorry.");
                return Err(match hint {
                    Some(hint) => sorry.with_hint(hint),
                    None => sorry,
                });
            }
            Err(process::exec_file(&init, &argv))
        }
    }
}

/// Everything that would make the switch fail half-way, checked while nothing has moved.
fn check(new_root: &Path, init: &Path) -> Result<()> {
    let is_root = rootfs::is_current_root(new_root)
        .map_err(|e| Error::os(format!("stat of {} failed", new_root.display()), e))?;
    if is_root {
        return Err(Error::msg(format!(
            "{} is already the root",
            new_root.display()
        )));
    }
    if !mount::is_mount_point(new_root)? {
        return Err(Error::msg(format!(
            "{0} is not a mount point (mount --bind {0} {0} makes it one)",
            new_root.display()
        )));
    }
    let kind = FutureRoot::open(new_root)?.kind(init);
    let refusal = match kind {
        Ok(Kind::Executable) => return Ok(()),
        Ok(_) => Errno(sys::errno::EACCES),
        Err(e) => e,
    };
    Err(Error::os(
        format!("cannot access {} in {}", init.display(), new_root.display()),
        refusal,
    ))
}

/// The same failure in util-linux's words for this step.
fn reworded(e: Error, what: String) -> Error {
    match e.errno() {
        Some(errno) => Error::os(what, Errno(errno)),
        None => e,
    }
}

/// Carry the API file systems over, make `new_root` the root, and clear the old one in a
/// child process while this one goes on to exec init. A failure before the new root is
/// entered moves everything back where it was; one after it (the child's fork) is reported
/// and init runs all the same, as there is no way back and PID 1 must not exit.
fn switch(prog: &Prog, new_root: &Path) -> Result<()> {
    // The mount table, for the hint of a refused move: read now, as /proc moves or goes away
    // below.
    let table = Host::real().mountinfo();
    let dev_of = |path: &Path| std::fs::metadata(path).ok().map(|m| m.dev());
    let old_dev = dev_of(Path::new("/"));
    let new_dev = dev_of(new_root);
    let mut carried = Vec::new();
    let mut unreachable = Vec::new();
    for dir in CARRIED.map(Path::new) {
        // Not there, or just a directory of the old root: nothing to carry.
        let Some(dev) = dev_of(dir) else { continue };
        if Some(dev) == old_dev {
            continue;
        }
        let target = join(new_root, dir);
        if dev_of(&target) != new_dev {
            // No place for it in the new root (or something is mounted there already): it
            // would be unreachable after the switch, and is detached once the switch is done.
            unreachable.push(dir);
            continue;
        }
        match mount::move_mount(dir, &target) {
            Ok(()) => carried.push((dir, target)),
            Err(e) => {
                e.report(prog);
                Error::msg(format!("forcing unmount of {}", dir.display())).report(prog);
                let _ = mount::force_unmount(dir);
            }
        }
    }
    let put_back = |moved_root: bool| {
        if moved_root {
            // The working directory is the new root, mounted on the old `/`, which is still
            // this process's root: NEWROOT's path reaches the directory it came from.
            if let Err(e) = mount::move_mount(Path::new("."), new_root) {
                e.report(prog);
            }
        }
        for (dir, target) in carried.iter().rev() {
            if let Err(e) = mount::move_mount(target, dir) {
                e.report(prog);
            }
        }
    };
    let entered = process::change_dir(new_root)
        .map_err(|e| {
            reworded(
                e,
                format!("failed to change directory to {}", new_root.display()),
            )
        })
        .and_then(|()| OldRoot::open());
    let old_root = match entered {
        Ok(old_root) => old_root,
        Err(e) => {
            put_back(false);
            return Err(e);
        }
    };
    if let Err(e) = mount::move_mount(new_root, Path::new("/")) {
        put_back(false);
        return Err(e.hinted_by(|e| {
            mounts::move_refused(&Host::real(), e.errno()?, Path::new("."), &table?)
        }));
    }
    if let Err(e) = process::change_root(Path::new(".")) {
        put_back(true);
        return Err(reworded(e, "failed to change root".to_owned()));
    }
    // The working directory is the new root already: chdir("/") would change nothing.
    match process::fork() {
        Ok(Forked::Child) => {
            // Out of the way of init: the mounts no path reaches, then the initramfs's files.
            for dir in &unreachable {
                // CARRIED's paths are absolute; relative to the old root they lose the `/`.
                if let Err(e) = old_root.detach(dir.strip_prefix("/").unwrap_or(dir)) {
                    e.report(prog);
                }
            }
            if old_root.is_initramfs() {
                for failure in old_root.clear() {
                    failure.report(prog);
                }
            } else {
                Error::msg("old root filesystem is not an initramfs").report(prog);
            }
            std::process::exit(0);
        }
        Ok(Forked::Parent(_)) => {}
        Err(e) => {
            e.report(prog);
            Error::msg("the old root is left as it is").report(prog);
        }
    }
    Ok(())
}

/// `base` + `dir` as strings are joined (`dir` is absolute, so `Path::join` would drop `base`).
fn join(base: &Path, dir: &Path) -> PathBuf {
    let mut joined = base.as_os_str().to_os_string();
    joined.push(dir.as_os_str());
    PathBuf::from(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(args: &[&str]) -> Result<Action> {
        let prog = Prog::new(None, "switch_root");
        parse(&prog, args.iter().map(OsString::from).collect())
    }

    #[test]
    fn operands() {
        assert_eq!(
            parse_words(&["/new", "/sbin/init", "--x", "-y"]).unwrap(),
            Action::Switch {
                new_root: "/new".into(),
                argv: ["/sbin/init", "--x", "-y"].map(OsString::from).to_vec(),
            }
        );
        // `--` ends the options; it is not the new root (util-linux's bug).
        assert_eq!(
            parse_words(&["--", "/new", "/init"]).unwrap(),
            Action::Switch {
                new_root: "/new".into(),
                argv: vec!["/init".into()],
            }
        );
        for (bad, message) in [
            (&[][..], "not enough arguments"),
            (&["a"], "not enough arguments"),
            (&["--", "a"], "not enough arguments"),
            (&["", "x"], "bad usage"),
            (&["x", ""], "bad usage"),
        ] {
            let text = parse_words(bad).unwrap_err().to_string();
            assert_eq!(
                text,
                format!("switch_root: {message}\nTry 'switch_root --help' for more information."),
                "{bad:?}"
            );
        }
        assert_eq!(
            join(Path::new("new"), Path::new("/dev")),
            PathBuf::from("new/dev")
        );
    }
}
