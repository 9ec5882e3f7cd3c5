//! `cgcreate`: create groups, in every hierarchy their controllers live in.

use std::ffi::OsString;

use cgroup::{Access, Ecg, Group, GroupPath};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};

use crate::common::{self, Action, Spec, usage_msg};

/// How libcgroup's hint spells the help option.
const HELP: &str = "-h";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgcreate [options] -g <controllers>:<path> [-g ...]";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgcreate")
        .about("Create control groups, with their owners and permissions.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required("group", Some('g'), "group", "controllers:path", "the group to create, in the hierarchies of these controllers\n  (repeatable; * for all, :path for a v2 group without controllers)"),
            required("admin", Some('a'), "admin", "user:group", "owner of the group's directory and files (name or id)"),
            required("task", Some('t'), "task", "user:group", "owner of the task files (name or id)"),
            required("dperm", Some('d'), "dperm", "mode", "mode of the group's directory (octal)"),
            required("fperm", Some('f'), "fperm", "mode", "mode of the setting files (octal)"),
            required("tperm", Some('s'), "tperm", "mode", "mode of the task files (octal)"),
            common::ignore_default_scope(),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("extra").num_args(0..).hide(true),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The groups to create, in order.
    pub specs: Vec<Spec>,
    /// Owners and modes.
    pub access: Access,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    if args.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    if let Some(extra) = operands.first() {
        return Err(usage_msg(format!(
            "wrong arguments ({})",
            extra.to_string_lossy()
        )));
    }
    let mut plan = Plan {
        specs: Vec::new(),
        access: Access::default(),
    };
    let (mut admin, mut task) = (None, None);
    for opt in opts {
        let text = opt.text();
        match opt.id.as_str() {
            "help" => {
                return Ok(Action::Print(cli::help(&cmd, USAGE, "cgcreate(1)")));
            }
            "group" => match Spec::parse(&text) {
                Ok(Some(spec)) => plan.specs.push(spec),
                Ok(None) => {
                    return Err(usage_msg(format!(
                        "cgroup controller and path parsing failed ({text})"
                    )));
                }
                Err(why) => return Err(usage_msg(why)),
            },
            "admin" => admin = Some(common::parse_owner(&text)?),
            "task" => task = Some(common::parse_owner(&text)?),
            "dperm" => plan.access.dir_mode = Some(common::parse_mode(prog, &text)?),
            "fperm" => plan.access.file_mode = Some(common::parse_mode(prog, &text)?),
            "tperm" => plan.access.task_mode = Some(common::parse_mode(prog, &text)?),
            _ => {}
        }
    }
    if plan.specs.is_empty() {
        return Err(usage_msg("no cgroup specified"));
    }
    plan.access.owner = admin.map(common::complete_owner);
    plan.access.task_owner = task.map(common::complete_owner);
    Ok(Action::Run(plan))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute(&plan).map(|()| 0),
    })
}

/// Create every group; if one fails, remove every directory this run made.
pub fn execute(plan: &Plan) -> Result<()> {
    let all = common::hierarchies()?;
    // Resolve everything first: an unknown controller creates nothing.
    let mut work = Vec::new();
    for spec in &plan.specs {
        let targets = spec.hierarchies(&all).map_err(|name| unknown(&name))?;
        work.push((spec, targets));
    }
    let mut made = Vec::new();
    for (spec, targets) in &work {
        for (hierarchy, controllers) in targets {
            let group = hierarchy.group(&spec.path);
            let names: Vec<&str> = controllers.iter().map(String::as_str).collect();
            let result = group.create(&names).and_then(|dirs| {
                made.extend(dirs);
                if plan.access != Access::default() {
                    group.set_access(&plan.access)
                } else {
                    Ok(())
                }
            });
            if let Err(e) = result {
                Group::undo_create(&made);
                return Err(e.context(format!("can't create cgroup {}", display(&spec.path))));
            }
        }
    }
    Ok(())
}

fn unknown(name: &str) -> Error {
    if name.is_empty() {
        return Ecg::NotMounted.error().context("cgroup v2 is not mounted");
    }
    Error::msg(format!("controller {name} can't be added")).with_status(Ecg::Inval.status())
}

fn display(path: &GroupPath) -> &str {
    if path.is_root() { "/" } else { path.as_str() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Controllers;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgcreate", args)
    }

    #[test]
    fn options() {
        let p = plan(&[
            "-g",
            "memory,cpu:/a/b",
            "-g",
            ":v2only",
            "-a",
            "0:0",
            "-t",
            "root",
            "-d",
            "755",
            "-f",
            "0644",
            "-s",
            "664",
        ])
        .unwrap();
        assert_eq!(p.specs.len(), 2);
        assert_eq!(
            p.specs[0].controllers,
            Controllers::Named(vec!["memory".into(), "cpu".into()])
        );
        assert_eq!(p.specs[0].path.as_str(), "a/b");
        assert_eq!(p.specs[1].controllers, Controllers::Unified);
        assert_eq!(p.access.owner, Some((0, 0)));
        assert_eq!(p.access.task_owner.map(|o| o.0), Some(0));
        assert_eq!(
            (p.access.dir_mode, p.access.file_mode, p.access.task_mode),
            (Some(0o755), Some(0o644), Some(0o664))
        );
        // Options may follow each other in any order (getopt permutes).
        assert_eq!(
            plan(&["-gmemory:x", "-d755"]).unwrap().access.dir_mode,
            Some(0o755)
        );
        assert!(matches!(
            parse(&Prog::new(None, "cgcreate"), vec!["-h".into()]),
            Ok(Action::Print(_))
        ));
    }

    #[test]
    fn refusals() {
        let status = |args: &[&str]| plan(args).unwrap_err().status();
        assert_eq!(status(&[]), 129);
        assert_eq!(status(&["-g", "memory"]), 129);
        assert_eq!(status(&["-g", "memory:../x"]), 129);
        assert_eq!(status(&["-g", "memory:x", "extra"]), 129);
        assert_eq!(
            status(&["-a", "nsutils-no-such-user", "-g", "memory:x"]),
            129
        );
        assert_eq!(status(&["-d", "999", "-g", "memory:x"]), 255);
        assert_eq!(status(&["-a", "root"]), 129);
        assert_eq!(status(&["--bogus"]), 129);
    }
}
