//! `lssubsys`: list the hierarchies and their controllers, with hierarchy ids and mount
//! points; with `-J` (ours) as JSON.

use std::ffi::OsString;

use cgroup::{Hierarchy, read};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag};
use sys::{Prog, Result, Status};
use table::{DataType, JsonValue};

use crate::common::{self, Action};

/// How libcgroup's hint spells the help option.
const HELP: &str = "-h'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "lssubsys [-i] [-m|-M] [-a] [-J] [<controller> ...]";

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
            common::json_option(),
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
    /// `-J`.
    pub json: bool,
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
            "json" => plan.json = true,
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

/// One listed line: the controllers of a hierarchy, or (`-a`) one controller no hierarchy
/// carries, which has no id or mount points.
struct Listed<'h> {
    controllers: Vec<&'h str>,
    id: Option<u32>,
    mount_points: Vec<std::path::PathBuf>,
}

/// List: with `-a` first the controllers no hierarchy carries, one per line; then one line
/// per hierarchy (v2's controllers as one). The order is the kernel's, that of
/// /proc/cgroups, as in libcgroup 3.2: controllers within a line, and lines by their first
/// controller. Controllers that are not mounted never stop the listing.
pub fn execute(plan: &Plan) -> Result<()> {
    let all = common::hierarchies()?;
    let ids = read::controller_ids();
    let wanted = |c: &str| plan.controllers.is_empty() || plan.controllers.iter().any(|w| w == c);
    let mut listed = Vec::new();
    if plan.all {
        for (name, _) in &ids {
            if all.for_controller(name).is_none() && wanted(name) {
                listed.push(Listed {
                    controllers: vec![name.as_str()],
                    id: None,
                    mount_points: Vec::new(),
                });
            }
        }
    }
    for (h, names) in in_kernel_order(&all.list, &ids) {
        if !names.iter().any(|c| wanted(c)) {
            continue;
        }
        let id = ids
            .iter()
            .find(|(n, _)| n == names[0])
            .map_or(0, |(_, id)| *id);
        let mount_points = if plan.all_mount_points {
            read::mount_points(h)
        } else {
            vec![h.mount_point.clone()]
        };
        listed.push(Listed {
            controllers: names,
            id: Some(id),
            mount_points,
        });
    }
    if plan.json {
        return common::print_table(&json(plan, &listed));
    }
    let mut out = String::new();
    for line in &listed {
        let mut text = line.controllers.join(",");
        let Some(id) = line.id else {
            out.push_str(&format!("{text}\n"));
            continue;
        };
        if plan.ids {
            text.push_str(&format!(" {id}"));
        }
        if plan.all_mount_points {
            for m in &line.mount_points {
                out.push_str(&format!("{text} {}\n", m.display()));
            }
        } else if let Some(m) = line.mount_points.first().filter(|_| plan.mount_point) {
            out.push_str(&format!("{text} {}\n", m.display()));
        } else {
            out.push_str(&format!("{text}\n"));
        }
    }
    sys::print(&out)
}

/// The JSON form: an object per line with its controllers (an array), and what the options
/// add: `hierarchy` (`-i`), `mountpoint` (`-m`) or `mountpoints` (`-M`, an array); `null`
/// (`[]` for `mountpoints`) for a controller no hierarchy carries.
fn json(plan: &Plan, listed: &[Listed<'_>]) -> table::Table {
    let mut columns = vec![("CONTROLLERS", DataType::String)];
    if plan.ids {
        columns.push(("HIERARCHY", DataType::Number));
    }
    if plan.all_mount_points {
        columns.push(("MOUNTPOINTS", DataType::String));
    } else if plan.mount_point {
        columns.push(("MOUNTPOINT", DataType::String));
    }
    let mut t = common::json_table("subsystems", &columns);
    for entry in listed {
        let line = t.add_line(None);
        t.set(line, 0, entry.controllers.join(","));
        t.set_json_value(line, 0, common::json_strings(&entry.controllers));
        let mut column = 1;
        if plan.ids {
            if let Some(id) = entry.id {
                t.set(line, column, id.to_string());
            }
            column += 1;
        }
        let paths: Vec<String> = entry
            .mount_points
            .iter()
            .map(|m| m.display().to_string())
            .collect();
        if plan.all_mount_points {
            t.set_json_value(line, column, common::json_strings(&paths));
        } else if plan.mount_point {
            match paths.first() {
                Some(p) => t.set(line, column, p.as_str()),
                None => t.set_json_value(line, column, JsonValue::Null),
            }
        }
    }
    t
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
