//! `cgxget`: `cgget` with the setting names given, and printed, in one cgroup version's
//! dialect (`-1` or `-2`), whatever version each hierarchy is.

use std::ffi::OsString;

use clap::Command;
use sys::cli::flag;
use sys::{Prog, Result, Status};

use crate::cgget::{self, Plan};
use crate::common::{self, Action};

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgxget [-1|-2] [-i] [-n] [-v|-J] [-r <name>] [-g <controllers>] [-a] <path> ...\n cgxget [-1|-2] [-i] [-n] [-v|-J] -g <controllers>:<path> ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgxget")
        .about("Print parameters of control groups, named as in cgroup v1 or v2.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            flag("v1", Some('1'), "v1", "names and values are cgroup v1's"),
            flag("v2", Some('2'), "v2", "names and values are cgroup v2's"),
            flag(
                "ignore",
                Some('i'),
                "ignore-unmappable",
                "skip settings with no counterpart in the other version",
            ),
        ])
        .args(cgget::common_args())
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    cgget::parse_as("cgxget", USAGE, &command(), prog, args)
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => cgget::execute("cgxget", &plan).map(|()| 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cgroup::Version;

    #[test]
    fn dialects() {
        let prog = Prog::new(None, "cgxget");
        let args = |a: &[&str]| a.iter().map(OsString::from).collect();
        match parse(&prog, args(&["-2", "-i", "-r", "cpu.max", "g"])) {
            Ok(Action::Run(plan)) => {
                assert_eq!(plan.dialect, Some(Version::V2));
                assert!(plan.ignore_unmappable);
            }
            other => panic!("{other:?}"),
        }
        let e = parse(&prog, args(&["-m"])).unwrap_err();
        assert_eq!(e.status(), 129);
        assert!(e.to_string().contains("try cgxget -h'"), "{e}");
    }
}
