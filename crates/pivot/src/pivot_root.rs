//! `pivot_root NEW_ROOT PUT_OLD`: the pivot_root(2) system call and nothing else, with
//! util-linux 2.42's messages and exit statuses.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, Command, ValueHint};
use sys::cli::{self, Getopt, Order, flag};
use sys::{Error, Prog, Result, Status};

/// The usage line of `--help`.
pub const USAGE: &str = "pivot_root [options] new_root put_old";

/// The `pivot_root` command.
pub fn command() -> Command {
    Command::new("pivot_root")
        .about("Change the root filesystem.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            flag("help", Some('h'), "help", "display this help").help_heading("Help"),
            flag("version", Some('V'), "version", "display version").help_heading("Help"),
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
    // Both options end the run, so only the first one matters.
    if let Some(opt) = getopt.by_ref().next() {
        match opt?.id.as_str() {
            "help" => {
                return Ok(Action::Print(cli::help_at(
                    &cmd,
                    USAGE,
                    "pivot_root(8)",
                    16,
                )));
            }
            "version" => {
                return Ok(Action::Print(cli::version(&prog.name, "util-linux 2.42")));
            }
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    let operands = getopt.operands();
    match <[OsString; 2]>::try_from(operands) {
        Ok([new_root, put_old]) if words == 2 => Ok(Action::Pivot {
            new_root: new_root.into(),
            put_old: put_old.into(),
        }),
        // warnx() names the program by its short name, unlike getopt's messages.
        _ => Err(Error::Plain {
            text: format!(
                "{0}: bad usage\nTry '{0} --help' for more information.",
                prog.name
            ),
            status: 1,
        }),
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
