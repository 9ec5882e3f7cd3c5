//! `pivot_root NEW_ROOT PUT_OLD`: the pivot_root(2) system call and nothing else, with
//! util-linux 2.42's messages and exit statuses.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, Command, ValueHint};
use sys::cli::{self, Getopt, Order};
use sys::{Prog, Result, Status};

/// The usage line of `--help`.
pub const USAGE: &str = "pivot_root [options] new_root put_old";

/// The `pivot_root` command.
pub fn command() -> Command {
    Command::new("pivot_root")
        .about("Change the root filesystem.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
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
    },
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    // util-linux checks that exactly two words follow the program name, options included
    // (`pivot_root -- a b` is bad usage).
    let words = args.len();
    let mut getopt = Getopt::new(&cmd, args, Order::Permute);
    if let Some(text) = crate::help_or_version(&mut getopt, &cmd, prog, USAGE, "pivot_root(8)")? {
        return Ok(Action::Print(text));
    }
    let operands = getopt.operands();
    match <[OsString; 2]>::try_from(operands) {
        Ok([new_root, put_old]) if words == 2 => Ok(Action::Pivot {
            new_root: new_root.into(),
            put_old: put_old.into(),
        }),
        _ => Err(crate::usage_error(prog, "bad usage")),
    }
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Pivot { new_root, put_old } => {
            sys::mount::pivot_root(&new_root, &put_old).map(|()| 0)
        }
    }
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
                put_old: "b".into()
            }
        );
        for bad in [&[][..], &["a"], &["a", "b", "c"], &["--", "a", "b"]] {
            assert!(
                parse_words(bad)
                    .unwrap_err()
                    .to_string()
                    .starts_with("pivot_root: bad usage\n"),
                "{bad:?}"
            );
        }
        assert!(matches!(parse_words(&["-h"]).unwrap(), Action::Print(_)));
    }
}
