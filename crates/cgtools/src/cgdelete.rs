//! `cgdelete`: remove groups; their processes move to the parent group first.

use std::ffi::OsString;

use cgroup::Ecg;
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};

use crate::common::{self, Action, Controllers, Spec, usage_msg};

/// How libcgroup's hint spells the help option.
const HELP: &str = "--help'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgdelete [-h] [-r] [[-g] <controllers>:<path>] ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgdelete")
        .about("Remove control groups.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "group",
                Some('g'),
                "group",
                "controllers:path",
                "the group to remove (repeatable; the -g may be left out)",
            ),
            flag(
                "recursive",
                Some('r'),
                "recursive",
                "remove the group's descendants too, deepest first",
            ),
            common::ignore_default_scope(),
            common::user_scope(),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("groups")
                .value_name("controllers:path")
                .num_args(0..)
                .help("more groups to remove"),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The groups, in order.
    pub specs: Vec<Spec>,
    /// Remove descendants too.
    pub recursive: bool,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    if args.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    let mut plan = Plan {
        specs: Vec::new(),
        recursive: false,
        defaults: common::Defaults::default(),
    };
    let mut texts = Vec::new();
    for opt in opts {
        if plan.defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "help" => {
                return Ok(Action::Print(cli::help(&cmd, USAGE, "cgdelete(1)")));
            }
            "group" => texts.push(opt.text()),
            "recursive" => plan.recursive = true,
            _ => {}
        }
    }
    texts.extend(operands.iter().map(|o| o.to_string_lossy().into_owned()));
    for text in texts {
        match Spec::parse(&text) {
            Ok(Some(spec)) => plan.specs.push(spec),
            Ok(None) => return Err(usage_msg(format!("error parsing cgroup '{text}'"))),
            Err(why) => return Err(usage_msg(why)),
        }
    }
    if plan.specs.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    Ok(Action::Run(plan))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute(prog, &plan),
    })
}

/// Remove every group from every hierarchy its controllers name (libcgroup removed it from
/// the first only). A failure is reported and the rest still tried; the last failure's
/// status is the exit status.
pub fn execute(prog: &Prog, plan: &Plan) -> Result<Status> {
    let all = common::hierarchies()?;
    let mut status = 0;
    let unknown = |name: &str| {
        Error::msg(format!("controller {name} can't be added")).with_status(Ecg::Fail.status())
    };
    // Our other tools wait while this one removes groups from several hierarchies.
    let _turn = all.lock_tree();
    for spec in &common::resolve(&plan.specs, &plan.defaults.names(&all))? {
        // `*` is not a controller to libcgroup's cgdelete: refused like an unknown one.
        if spec.controllers == Controllers::All {
            return Err(unknown("*"));
        }
        let targets = spec.hierarchies(&all).map_err(|name| unknown(&name))?;
        for (hierarchy, _) in targets {
            let group = hierarchy.group(&spec.path);
            let deleted = group
                .delete(plan.recursive)
                .or_else(|e| stop_scope(&spec.path, plan.defaults.owner, e));
            if let Err(e) = deleted {
                // The group as typed, leading `/` and all, as libcgroup names it.
                let e = e.context(format!("cannot remove group '{}'", spec.typed));
                status = e.status();
                common::by_argv0(prog, e).report(prog);
            }
        }
    }
    Ok(status)
}

/// A systemd scope (`SLICE.slice/.../SCOPE.scope`) that could not be removed because
/// processes are in it (its idle process, at least): ask its manager to stop it, which ends
/// them and removes the group, so that systemd's view stays consistent. Anything else, or a
/// manager that cannot be asked, is the removal's own error `e`.
fn stop_scope(path: &cgroup::GroupPath, owner: cgroup::scope::Owner, e: Error) -> Result<()> {
    let mut parts = path.as_str().rsplit('/');
    let (Some(unit), Some(slice)) = (parts.next(), parts.next()) else {
        return Err(e);
    };
    if e.errno() != Some(sys::errno::EBUSY)
        || !unit.ends_with(".scope")
        || !slice.ends_with(".slice")
    {
        return Err(e);
    }
    systemd::Manager::connect(common::bus_of(owner))
        .and_then(|manager| manager.stop_unit(unit))
        .map_err(|_| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgdelete", args)
    }

    #[test]
    fn groups_with_and_without_g() {
        let p = plan(&["-r", "memory:a", "-g", "cpu,memory:b"]).unwrap();
        assert!(p.recursive);
        let paths: Vec<&str> = p.specs.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["b", "a"]);
        assert_eq!(plan(&[]).unwrap_err().status(), 129);
        assert_eq!(
            plan(&["a"]).unwrap_err().to_string(),
            "error parsing cgroup 'a'"
        );
        assert_eq!(plan(&["-r"]).unwrap_err().status(), 129);
    }
}
