//! `lssubsys`: list the hierarchies and their controllers, with hierarchy ids and mount
//! points.

use std::ffi::OsString;

use cgroup::{Hierarchy, read};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag};
use sys::{Prog, Result, Status};

use crate::common::{self, Action};

/// How libcgroup's hint spells the help option.
const HELP: &str = "-h'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "lssubsys [-i] [-m|-M] [-a] [<controller> ...]";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("lssubsys")
        .about("List hierarchies and the controllers they carry.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            flag(
                "all",
                Some('a'),
                "all",
                "also list the controllers no hierarchy carries",
            ),
            flag(
                "hierarchies",
                Some('i'),
                "hierarchies",
                "print each hierarchy's id",
            ),
            flag(
                "mount-points",
                Some('m'),
                "mount-points",
                "print each hierarchy's mount point",
            ),
            flag(
                "all-mount-points",
                Some('M'),
                "all-mount-points",
                "print every mount point of each hierarchy, one per line",
            ),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("controllers")
                .value_name("controller")
                .num_args(0..)
                .help("list only the hierarchies of these controllers"),
        ])
}

/// What one run does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// `-a`.
    pub all: bool,
    /// `-i`.
    pub ids: bool,
    /// `-m`.
    pub mount_point: bool,
    /// `-M`.
    pub all_mount_points: bool,
    /// The controllers to restrict to; empty: all.
    pub controllers: Vec<String>,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    let mut plan = Plan::default();
    for opt in opts {
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "lssubsys(1)"))),
            "all" => plan.all = true,
            "hierarchies" => plan.ids = true,
            "mount-points" => plan.mount_point = true,
            "all-mount-points" => plan.all_mount_points = true,
            _ => {}
        }
    }
    plan.controllers = operands
        .iter()
        .map(|o| o.to_string_lossy().into_owned())
        .collect();
    Ok(Action::Run(plan))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute(&plan).map(|()| 0),
    })
}

/// List: with `-a` first the controllers no hierarchy carries, one per line; then one line
/// per hierarchy (v2's controllers as one). The order is the kernel's, that of
/// /proc/cgroups, as in libcgroup 3.2: controllers within a line, and lines by their first
/// controller. Controllers that are not mounted never stop the listing.
pub fn execute(plan: &Plan) -> Result<()> {
    let all = common::hierarchies()?;
    let ids = read::controller_ids();
    let wanted = |c: &str| plan.controllers.is_empty() || plan.controllers.iter().any(|w| w == c);
    let mut out = String::new();
    if plan.all {
        for (name, _) in &ids {
            if all.for_controller(name).is_none() && wanted(name) {
                out.push_str(&format!("{name}\n"));
            }
        }
    }
    for (h, names) in in_kernel_order(&all.list, &ids) {
        if !names.iter().any(|c| wanted(c)) {
            continue;
        }
        let mut line = names.join(",");
        if plan.ids {
            let id = ids
                .iter()
                .find(|(n, _)| n == names[0])
                .map_or(0, |(_, id)| *id);
            line.push_str(&format!(" {id}"));
        }
        if plan.all_mount_points {
            for m in read::mount_points(h) {
                out.push_str(&format!("{line} {}\n", m.display()));
            }
        } else if plan.mount_point {
            out.push_str(&format!("{line} {}\n", h.mount_point.display()));
        } else {
            out.push_str(&format!("{line}\n"));
        }
    }
    sys::print(&out)
}

/// The hierarchies that carry controllers (named ones left out), each with its controllers,
/// sorted by their place in `ids` (/proc/cgroups order); a controller /proc/cgroups does
/// not list (a cgroup v2 one on newer kernels) goes after those it does, in mount order.
fn in_kernel_order<'h>(
    list: &'h [Hierarchy],
    ids: &[(String, u32)],
) -> Vec<(&'h Hierarchy, Vec<&'h str>)> {
    let rank = |c: &str| ids.iter().position(|(n, _)| n == c).unwrap_or(usize::MAX);
    let mut lines: Vec<(&Hierarchy, Vec<&str>)> = list
        .iter()
        .map(|h| {
            let mut names: Vec<&str> = h
                .controllers
                .iter()
                .map(String::as_str)
                .filter(|c| !c.starts_with("name="))
                .collect();
            names.sort_by_key(|c| rank(c));
            (h, names)
        })
        .filter(|(_, names)| !names.is_empty())
        .collect();
    lines.sort_by_key(|(_, names)| rank(names[0]));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use cgroup::Version;

    #[test]
    fn options() {
        let prog = Prog::new(None, "lssubsys");
        let parse = |a: &[&str]| parse(&prog, a.iter().map(OsString::from).collect());
        match parse(&["-am", "cpu"]) {
            Ok(Action::Run(plan)) => {
                assert!(plan.all && plan.mount_point && !plan.ids);
                assert_eq!(plan.controllers, ["cpu"]);
            }
            other => panic!("{other:?}"),
        }
        let e = parse(&["-x"]).unwrap_err();
        assert_eq!(e.status(), 129);
        assert!(
            e.to_string()
                .ends_with("Wrong input parameters, try lssubsys -h' for more information."),
            "{e}"
        );
    }

    #[test]
    fn lines_follow_proc_cgroups() {
        let hierarchy = |version, controllers: &[&str], at: &str| Hierarchy {
            version,
            controllers: controllers.iter().map(|c| (*c).to_owned()).collect(),
            mount_point: at.into(),
            mount_root: "/".into(),
        };
        // Mount order: cpu,cpuacct co-mounted with cpuacct listed first, memory, a named
        // hierarchy, cpuset, then cgroup v2 with a controller /proc/cgroups does not know.
        let list = [
            hierarchy(Version::V1, &["cpuacct", "cpu"], "/c"),
            hierarchy(Version::V1, &["memory"], "/m"),
            hierarchy(Version::V1, &["name=systemd"], "/s"),
            hierarchy(Version::V1, &["cpuset"], "/cs"),
            hierarchy(Version::V2, &["misc", "hugetlb"], "/u"),
        ];
        let ids: Vec<(String, u32)> = [("cpuset", 3), ("cpu", 1), ("cpuacct", 1), ("memory", 4)]
            .iter()
            .chain(&[("hugetlb", 0)])
            .map(|(n, i)| ((*n).to_owned(), *i))
            .collect();
        let lines: Vec<String> = in_kernel_order(&list, &ids)
            .iter()
            .map(|(_, names)| names.join(","))
            .collect();
        assert_eq!(lines, ["cpuset", "cpu,cpuacct", "memory", "hugetlb,misc"]);
    }
}
