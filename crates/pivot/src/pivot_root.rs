//! `pivot_root NEW_ROOT PUT_OLD`: the pivot_root(2) system call and nothing else, with
//! util-linux 2.42's messages and exit statuses, and a hint naming the refusal's cause. With
//! `--move-if-rootfs` (ours), a root that is the initramfs, which pivot_root(2) cannot move,
//! gets the new root moved over it instead.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Arg, Command, ValueHint};
use sys::cli::{self, Getopt, Order};
use sys::diagnose::{Host, mounts};
use sys::{Prog, Result, Status};

/// The usage line of `--help`.
pub const USAGE: &str = "pivot_root [options] new_root put_old";

/// The `pivot_root` command, with our `--move-if-rootfs` (for `--help` and the man page).
pub fn command() -> Command {
    build(true)
}

/// util-linux's command line: what is parsed after our `--move-if-rootfs`, which only comes
/// first, so that every other word means what it means to util-linux's pivot_root.
fn util_linux_command() -> Command {
    build(false)
}

fn build(with_ours: bool) -> Command {
    let ours = with_ours.then(|| {
        cli::flag(
            "move-if-rootfs",
            None,
            "move-if-rootfs",
            "(ours; first argument only) when / is the\ninitramfs, move new_root over it instead;\nput_old is unused, the old root stays under\nthe new one; then run: chroot . command",
        )
    });
    Command::new("pivot_root")
        .about("Change the root filesystem.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(ours)
        .args(cli::help_flags())
        .args([
            Arg::new("new_root")
                .value_name("new_root")
                .value_hint(ValueHint::DirPath)
                .help("the directory to become the root (a mount point)"),
            Arg::new("put_old")
                .value_name("put_old")
                .value_hint(ValueHint::DirPath)
                .help("where the old root goes, at or under new_root"),
        ])
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text and exit 0.
    Print(String),
    /// Call pivot_root(2).
    Pivot {
        /// The new root.
        new_root: PathBuf,
        /// Where the old root goes.
        put_old: PathBuf,
        /// `--move-if-rootfs`.
        move_if_rootfs: bool,
    },
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    // util-linux checks that exactly two words follow the program name, options included
    // (`pivot_root -- a b` is bad usage); ours, --move-if-rootfs, is one more word.
    let move_if_rootfs = args.first().is_some_and(|a| a == "--move-if-rootfs");
    let words = args.len() - usize::from(move_if_rootfs);
    let args = args.into_iter().skip(usize::from(move_if_rootfs)).collect();
    let mut getopt = Getopt::new(&util_linux_command(), args, Order::Permute);
    if let Some(text) = crate::help_or_version(&mut getopt, &cmd, prog, USAGE, "pivot_root(8)")? {
        return Ok(Action::Print(text));
    }
    let operands = getopt.operands();
    match <[OsString; 2]>::try_from(operands) {
        Ok([new_root, put_old]) if words == 2 => Ok(Action::Pivot {
            new_root: new_root.into(),
            put_old: put_old.into(),
            move_if_rootfs,
        }),
        _ => Err(crate::usage_error(prog, "bad usage")),
    }
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Pivot {
            new_root,
            put_old,
            move_if_rootfs,
        } => {
            if move_if_rootfs && root_is_initramfs()? {
                return move_over_initramfs(&new_root, &put_old).map(|()| 0);
            }
            sys::mount::pivot_root(&new_root, &put_old)
                .map_err(|e| {
                    e.hinted_by(|e| {
                        let host = Host::real();
                        let table = host.mountinfo()?;
                        mounts::pivot_root_refused(&host, e.errno()?, &new_root, &put_old, &table)
                    })
                })
                .map(|()| 0)
        }
    }
}

/// Whether `/` is the initramfs, from this process's mount table.
fn root_is_initramfs() -> Result<bool> {
    Ok(sys::mount::initramfs_root(&sys::mount::mountinfo()?).is_some())
}

/// `--move-if-rootfs` with the initramfs as `/`: move the mount at `new_root` over `/`, as
/// switch_root does. The caller, whose working directory is `new_root` in the usual sequence,
/// then enters it with `chroot .`; `put_old` stays as it is. Errors read as pivot_root's.
fn move_over_initramfs(new_root: &Path, put_old: &Path) -> Result<()> {
    sys::mount::move_mount(new_root, Path::new("/")).map_err(|e| {
        let errno = e.errno().unwrap_or(sys::errno::EINVAL);
        sys::Error::os(
            format!(
                "failed to change root from `{}' to `{}'",
                new_root.display(),
                put_old.display()
            ),
            sys::Errno(errno),
        )
        .hinted_by(|_| {
            let host = Host::real();
            mounts::move_refused(&host, errno, new_root, &host.mountinfo()?)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(args: &[&str]) -> Result<Action> {
        let prog = Prog::new(None, "pivot_root");
        parse(&prog, args.iter().map(OsString::from).collect())
    }

    #[test]
    fn exactly_two_words() {
        assert_eq!(
            parse_words(&["a", "b"]).unwrap(),
            Action::Pivot {
                new_root: "a".into(),
                put_old: "b".into(),
                move_if_rootfs: false,
            }
        );
        assert_eq!(
            parse_words(&["--move-if-rootfs", "a", "b"]).unwrap(),
            Action::Pivot {
                new_root: "a".into(),
                put_old: "b".into(),
                move_if_rootfs: true,
            }
        );
        for bad in [
            &[][..],
            &["a"],
            &["a", "b", "c"],
            &["--", "a", "b"],
            &["--move-if-rootfs", "a"],
            &["--move-if-rootfs", "a", "b", "c"],
        ] {
            assert!(
                parse_words(bad)
                    .unwrap_err()
                    .to_string()
                    .starts_with("pivot_root: bad usage\n"),
                "{bad:?}"
            );
        }
        assert!(matches!(parse_words(&["-h"]).unwrap(), Action::Print(_)));
        // Ours only comes first; elsewhere it is an option util-linux does not know.
        assert!(
            parse_words(&["a", "--move-if-rootfs", "b"])
                .unwrap_err()
                .to_string()
                .starts_with("unrecognized option '--move-if-rootfs'"),
        );
    }
}
