//! `cgexec`: run a program in given groups.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use cgroup::{Ecg, cgred, rules};
use clap::{Arg, Command, ValueHint};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status, process};

use crate::common::{self, Action, Spec, usage};

/// How libcgroup's hint spells the help option.
const HELP: &str = "--help";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgexec [-h] [-g <controllers>:<path>] [--sticky] command [arguments] ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgexec")
        .about("Run a program in the given control groups.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "group",
                Some('g'),
                "group",
                "controllers:path",
                "the group to run in (repeatable; * for all hierarchies)",
            ),
            flag(
                "sticky",
                Some('s'),
                "sticky",
                "keep the rules daemon (cgrulesengd) from moving the program's children too",
            ),
            common::ignore_default_scope(),
            common::user_scope(),
            flag(
                "replace-idle",
                Some('r'),
                "replace-idle",
                "replace the scope's idle process (cgcreate -c) with the program",
            ),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("command")
                .value_name("command")
                .num_args(0..)
                .trailing_var_arg(true)
                .value_hint(ValueHint::CommandWithArguments)
                .help("the program to run, with its arguments"),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The groups; empty means the rules of /etc/cgrules.conf.
    pub specs: Vec<Spec>,
    /// The program and its arguments.
    pub command: Vec<OsString>,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
    /// `-r`: end the idle process of the scope the program lands in.
    pub replace_idle: bool,
    /// `--sticky`: the rules daemon leaves the program's children alone too.
    pub sticky: bool,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::StopAtOperand, HELP)?;
    let mut specs = Vec::new();
    let mut defaults = common::Defaults::default();
    let mut replace_idle = false;
    let mut sticky = false;
    for opt in opts {
        let text = opt.text();
        if defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "replace-idle" => replace_idle = true,
            "sticky" => sticky = true,
            "help" => {
                return Ok(Action::Print(cli::help(&cmd, USAGE, "cgexec(1)")));
            }
            "group" => match Spec::parse(&text) {
                Ok(Some(spec)) => specs.push(spec),
                Ok(None) => return Err(usage("cgroup controller and path parsing failed")),
                Err(why) => return Err(common::usage_msg(why)),
            },
            _ => {}
        }
    }
    if operands.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    Ok(Action::Run(Plan {
        specs,
        command: operands,
        defaults,
        replace_idle,
        sticky,
    }))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => Err(execute(&plan)),
    })
}

/// Move this process into every group, then become the program. Returns only on failure.
pub fn execute(plan: &Plan) -> Error {
    // Registering with the rules daemon, the one thing a set-user-ID install's privilege is
    // for, comes before the drop.
    if let Err(e) = register_with_daemon(plan.sticky) {
        return e;
    }
    if let Err(e) = drop_set_user_id() {
        return e;
    }
    if let Err(e) = enter(plan) {
        return e;
    }
    if plan.replace_idle {
        if let Err(e) = common::replace_idle(process::own_pid()) {
            return e;
        }
    }
    let e = process::exec_program(&plan.command);
    match e.errno() {
        Some(errno) => Error::Plain {
            text: format!("exec failed:{}", sys::errno::strerror(errno)),
            status: 255,
        },
        None => e,
    }
}

/// Installed set-user-ID (or set-group-ID), as libcgroup installs cgexec: the privilege is
/// for registering with the rules daemon only (3.2.0 does nothing else with it), so that is
/// done first, then every id and capability goes (the caller's supplementary groups kept, as
/// 3.2.0 keeps them), before any group is looked at: the moves are the user's own, with the
/// kernel's permission checks, and the program runs as the user. A failed drop ends the run
/// with 3.2.0's status for it, before anything is done for the user.
fn drop_set_user_id() -> Result<()> {
    if process::elevation().is_none() {
        return Ok(());
    }
    process::drop_elevation().map_err(|e| e.with_status(255))
}

/// Tell the rules daemon, if one runs, to leave this process (and with `--sticky` its
/// children) where cgexec puts it, as libcgroup's cgexec always does.
fn register_with_daemon(sticky: bool) -> Result<()> {
    let flags = if sticky { cgred::UNCHANGE_CHILDREN } else { 0 };
    if cgred::register(process::own_pid(), flags) {
        return Ok(());
    }
    Err(Error::Plain {
        text: "registration of process failed".into(),
        status: 1,
    })
}

fn enter(plan: &Plan) -> Result<()> {
    if plan.specs.is_empty() {
        return by_rules(&plan.command);
    }
    let all = common::hierarchies()?;
    let pid = process::own_pid();
    let specs = common::resolve(&plan.specs, &plan.defaults.names(&all))?;
    for spec in &specs {
        let failed = |status: u8| Error::Plain {
            text: "cgroup change of group failed".into(),
            status,
        };
        let targets = spec
            .hierarchies(&all)
            .map_err(|_| failed(Ecg::NotAllowed.status()))?;
        for (hierarchy, _) in targets {
            hierarchy
                .group(&spec.path)
                .attach(pid)
                .map_err(|e| match e {
                    // A refused v2 move the cgroup crate explains: libcgroup's generic line,
                    // then the explanation (the lines after the errno's message).
                    Error::Plain { text, status } => match text.split_once('\n') {
                        Some((_, why)) => Error::Plain {
                            text: format!("cgroup change of group failed\n{why}"),
                            status,
                        },
                        None => failed(status),
                    },
                    other => failed(other.status()),
                })?;
        }
    }
    Ok(())
}

/// Without `-g`: the first matching rule of /etc/cgrules.conf (then /etc/cgrules.d) for the
/// real uid and gid and the command as typed. No rules file, or one that does not parse, is
/// libcgroup's line on stdout and status 99; no matching rule runs the command where it is.
fn by_rules(command: &[OsString]) -> Result<()> {
    let all = common::hierarchies()?;
    let name = command.first().map(|c| c.to_string_lossy());
    let who = rules::ProcessInfo::this_process(name.as_deref());
    rules::apply(&all, Path::new("/"), &who).map_err(|e| {
        if e.status() == Ecg::ParseFail.status() {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "Error: failed to parse the configuration rules");
            let _ = out.flush();
        }
        Error::Plain {
            text: "cgroup change of group failed".into(),
            status: e.status(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgexec", args)
    }

    #[test]
    fn stops_at_the_command() {
        let p = plan(&["-g", "memory:a", "-g", "cpu:b", "--sticky", "sh", "-g", "x"]).unwrap();
        assert_eq!(p.specs.len(), 2);
        assert_eq!(p.command, ["sh", "-g", "x"]);
        assert!(p.sticky);
        assert!(!plan(&["sh"]).unwrap().sticky);
        assert!(plan(&["sh"]).unwrap().specs.is_empty());
        assert_eq!(plan(&[]).unwrap_err().status(), 129);
        assert_eq!(plan(&["-g", "memory:a"]).unwrap_err().status(), 129);
        assert_eq!(plan(&["-g", "memory", "true"]).unwrap_err().status(), 129);
    }
}
