//! `cgclassify`: move running processes into groups, given with `-g` or found by the rules of
//! /etc/cgrules.conf.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use cgroup::{Ecg, Hierarchies, cgred, rules, scope};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};

use crate::common::{self, Action, Spec, usage};

/// How libcgroup's hint spells the help option.
const HELP: &str = "'-h'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str =
    "cgclassify [-h] [-g <controllers>:<path>] ... [--sticky | --cancel-sticky] <pid> ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgclassify")
        .about("Move running processes into control groups.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "group",
                Some('g'),
                "group",
                "controllers:path",
                "the group to move into (repeatable; * for all hierarchies);\n  without -g, the rules of /etc/cgrules.conf decide",
            ),
            flag(
                "sticky",
                Some('s'),
                "sticky",
                "keep the rules daemon (cgrulesengd) from moving the processes and their children",
            ),
            flag(
                "cancel-sticky",
                None,
                "cancel-sticky",
                "let the rules daemon move them and their children again",
            ),
            common::ignore_default_scope(),
            common::user_scope(),
            flag(
                "replace-idle",
                Some('r'),
                "replace-idle",
                "replace the idle process of the scope the first process lands in",
            ),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("pids")
                .value_name("pid")
                .num_args(0..)
                .help("the processes to move (each with all its threads)"),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The groups; empty means the rules.
    pub specs: Vec<Spec>,
    /// The pid operands as given (checked one by one while moving, as libcgroup does).
    pub pids: Vec<String>,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
    /// `-r`: end the idle process of the scope the first moved process lands in.
    pub replace_idle: bool,
    /// What to tell the rules daemon about each process (`--sticky`, `--cancel-sticky`;
    /// both give both flags, as libcgroup's); 0 tells it nothing.
    pub daemon_flags: i32,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    if args.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::StopAtOperand, HELP)?;
    let mut specs = Vec::new();
    let mut defaults = common::Defaults::default();
    let mut replace_idle = false;
    let mut daemon_flags = 0;
    for opt in opts {
        let text = opt.text();
        if defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "replace-idle" => replace_idle = true,
            "sticky" => daemon_flags |= cgred::UNCHANGE_CHILDREN,
            "cancel-sticky" => daemon_flags |= cgred::CANCEL_UNCHANGE,
            "help" => {
                return Ok(Action::Print(cli::help(&cmd, USAGE, "cgclassify(1)")));
            }
            "group" => match Spec::parse(&text) {
                Ok(Some(spec)) => specs.push(spec),
                Ok(None) => return Err(usage("cgroup controller and path parsing failed")),
                Err(why) => return Err(common::usage_msg(why)),
            },
            _ => {}
        }
    }
    Ok(Action::Run(Plan {
        specs,
        pids: operands
            .iter()
            .map(|o| o.to_string_lossy().into_owned())
            .collect(),
        defaults,
        replace_idle,
        daemon_flags,
    }))
}

/// A pid operand: a decimal number, optionally after blanks and a `+`, nothing after it.
/// Unlike libcgroup, 0 and negative numbers are refused too (0 would move cgclassify itself).
fn parse_pid(arg: &str) -> Option<u32> {
    let t = arg.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u32>()
        .ok()
        .filter(|p| *p > 0 && i32::try_from(*p).is_ok())
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute(&plan),
    })
}

/// Move every pid; a bad operand or a failed move is reported and the others still go.
/// Status 0, 2 for an invalid pid, 1 when a move failed (last one wins, as in libcgroup).
pub fn execute(plan: &Plan) -> Result<Status> {
    let all = common::hierarchies()?;
    let specs = common::resolve(&plan.specs, &plan.defaults.names(&all))?;
    let mut replace_idle = plan.replace_idle;
    let mut status = 0;
    for arg in &plan.pids {
        let Some(pid) = parse_pid(arg) else {
            say(&format!("Error: {arg} is not valid pid."));
            status = 2;
            continue;
        };
        // A daemon that does not acknowledge fails the run, silently, as in libcgroup.
        if plan.daemon_flags != 0 && !cgred::register(pid, plan.daemon_flags) {
            status = 1;
        }
        let origin = if replace_idle {
            Some(scope::Origin::of(&all, pid).map_err(|why| Error::Plain {
                text: format!("{why}\nFailed to read /proc/{pid}/cgroups"),
                status: 1,
            })?)
        } else {
            None
        };
        let moved = if plan.specs.is_empty() {
            by_rules(&all, pid)
        } else {
            into_groups(&all, &specs, pid)
        };
        if let Some(origin) = origin.filter(|_| moved.is_ok()) {
            // Once: the first process moved replaces the idle one. Without one to replace,
            // the process goes back where it was, the others stay, and the status is that
            // of the move back (libcgroup's).
            replace_idle = false;
            if let Err(e) = common::replace_idle(pid) {
                say(&e.to_string());
                return origin.restore().map(|()| 0);
            }
        }
        if moved.is_err() {
            status = 1;
        }
    }
    Ok(status)
}

fn into_groups(all: &Hierarchies, specs: &[Spec], pid: u32) -> std::result::Result<(), ()> {
    for spec in specs {
        let moved = spec
            .hierarchies(all)
            .map_err(|_| Ecg::NotAllowed.error())
            .and_then(|targets| {
                targets
                    .iter()
                    .try_for_each(|(h, _)| h.group(&spec.path).attach(pid))
            });
        if let Err(e) = moved {
            say(&format!("Error changing group of pid {pid}: {e}"));
            return Err(());
        }
    }
    Ok(())
}

fn by_rules(all: &Hierarchies, pid: u32) -> std::result::Result<(), ()> {
    let Ok(who) = rules::ProcessInfo::of_pid(pid) else {
        say(&format!("Error in determining euid/egid of pid {pid}"));
        return Err(());
    };
    rules::apply(all, Path::new("/"), &who).map_err(|e: Error| {
        let text = if e.status() == Ecg::ParseFail.status() {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "Error: failed to parse the configuration rules");
            let _ = out.flush();
            Ecg::ParseFail.text().to_owned()
        } else {
            e.to_string()
        };
        say(&format!(
            "Error: change of cgroup failed for pid {pid}: {text}"
        ));
    })
}

fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgclassify", args)
    }

    #[test]
    fn options_stop_at_the_first_pid() {
        let p = plan(&["-g", "memory:a", "-g", "cpu:b", "--sticky", "12", "x", "-g"]).unwrap();
        assert_eq!(p.specs.len(), 2);
        assert_eq!(p.pids, ["12", "x", "-g"]);
        assert_eq!(p.daemon_flags, cgred::UNCHANGE_CHILDREN);
        assert!(plan(&["--cancel-sticky", "1"]).unwrap().specs.is_empty());
        assert_eq!(
            plan(&["--cancel-sticky", "1"]).unwrap().daemon_flags,
            cgred::CANCEL_UNCHANGE
        );
        assert_eq!(plan(&["1"]).unwrap().daemon_flags, 0);
        assert!(plan(&["-g", "memory:a"]).unwrap().pids.is_empty());
        let status = |args: &[&str]| plan(args).unwrap_err().status();
        assert_eq!(status(&[]), 129);
        assert_eq!(status(&["-g", "memory", "1"]), 129);
        assert_eq!(status(&["--nosuch", "1"]), 129);
        assert_eq!(status(&["-g", "memory:../x", "1"]), 129);
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pid("42"), Some(42));
        assert_eq!(parse_pid(" +7"), Some(7));
        for bad in [
            "",
            "abc",
            "12x",
            "0",
            "-1",
            "4294967296",
            "2147483648",
            "1 ",
        ] {
            assert_eq!(parse_pid(bad), None, "{bad:?}");
        }
    }
}
