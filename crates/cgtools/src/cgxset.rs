//! `cgxset`: write settings named in one cgroup version's terms (`-1` or `-2`), converted to
//! the version of the hierarchy that holds them.

use std::ffi::OsString;

use cgroup::{Ecg, Group, Hierarchies, Hierarchy, Version, translate};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};

use crate::cgset;
use crate::common::{self, Action, usage};

/// How libcgroup's hint spells the help option.
const HELP: &str = "--help'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgxset [-1 | -2] [-i] [-R] -r <name=value> ... <path> ... | cgxset [-1 | -2] [-i] --copy-from <path> <path> ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgxset")
        .about("Set parameters of control groups, named as in cgroup v1 or v2 on any host.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "rule",
                Some('r'),
                "rule",
                "name=value",
                "the setting to write (repeatable)",
            ),
            required(
                "copy-from",
                None,
                "copy-from",
                "path",
                "copy every writable setting of the group at <path>",
            ),
            flag(
                "v1",
                Some('1'),
                "v1",
                "the names and values are cgroup v1's",
            ),
            flag(
                "v2",
                Some('2'),
                "v2",
                "the names and values are cgroup v2's",
            ),
            flag(
                "ignore-unmappable",
                Some('i'),
                "ignore-unmappable",
                "skip settings that have no counterpart in the other version",
            ),
            flag(
                "recursive",
                Some('R'),
                "recursive",
                "set the group's descendants too",
            ),
            common::ignore_default_scope(),
            common::user_scope(),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("groups")
                .value_name("path")
                .num_args(0..)
                .help("the groups to set (paths, without controllers)"),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The values (`--copy-from` copies as they are: both groups are on the same host).
    pub source: cgset::Source,
    /// The version the names are in; `None` writes them as given.
    pub version: Option<Version>,
    /// Skip settings with no counterpart instead of failing.
    pub ignore_unmappable: bool,
    /// The groups, in order.
    pub groups: Vec<common::GroupName>,
    /// Descendants too.
    pub recursive: bool,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    if args.is_empty() {
        // libcgroup 3.2's cgxset exits 255 here, where cgset exits 129.
        return Err(usage(format!(
            "Usage is {} -r <name=value> <relative path to cgroup>",
            prog.argv0_display()
        ))
        .with_status(255));
    }
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    let (mut rules, mut copy_from) = (Vec::new(), None);
    let (mut version, mut ignore_unmappable, mut recursive) = (None, false, false);
    let mut defaults = common::Defaults::default();
    for opt in opts {
        let text = opt.text();
        if defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "help" => {
                return Ok(Action::Print(cli::help(&cmd, USAGE, "cgxset(1)")));
            }
            "rule" => rules.push(common::parse_rule(&text)?),
            "copy-from" => copy_from = Some(common::group_name(&text)?),
            "v1" => version = Some(Version::V1),
            "v2" => version = Some(Version::V2),
            "ignore-unmappable" => ignore_unmappable = true,
            "recursive" => recursive = true,
            _ => {}
        }
    }
    let source = match (rules.is_empty(), copy_from) {
        (false, Some(_)) => return Err(common::wrong_input(prog, HELP)),
        (true, None) => return Err(common::usage_msg("no name-value pair was set")),
        (false, None) => cgset::Source::Rules(rules),
        (true, Some(from)) => cgset::Source::CopyFrom(from),
    };
    if operands.is_empty() {
        return Err(common::usage_msg("no cgroup specified"));
    }
    let groups = operands
        .iter()
        .map(|o| common::group_name(&o.to_string_lossy()))
        .collect::<Result<_>>()?;
    Ok(Action::Run(Plan {
        source,
        version,
        ignore_unmappable,
        groups,
        recursive,
        defaults,
    }))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute(&plan).map(|()| 0),
    })
}

/// Names that have a counterpart in the other version, by the version they are in.
const MAPPED_V1: &[&str] = &[
    "cpu.shares",
    "cpu.cfs_quota_us",
    "cpu.cfs_period_us",
    "memory.limit_in_bytes",
    "memory.soft_limit_in_bytes",
    "memory.memsw.limit_in_bytes",
    "cpuset.cpus",
    "cpuset.mems",
    "cpuset.cpu_exclusive",
    "cpuset.effective_cpus",
    "cpuset.effective_mems",
];
const MAPPED_V2: &[&str] = &[
    "cpu.weight",
    "cpu.max",
    "memory.max",
    "memory.high",
    "memory.swap.max",
    "cpuset.cpus",
    "cpuset.mems",
    "cpuset.cpus.partition",
    "cpuset.cpus.effective",
    "cpuset.mems.effective",
];
/// Names libcgroup calls unmappable: they exist, but mean nothing in the other version.
const UNMAPPABLE: &[&str] = &[
    "cpu.stat",
    "cpuset.mem_exclusive",
    "cpuset.mem_hardwall",
    "cpuset.memory_migrate",
    "cpuset.memory_pressure",
    "cpuset.memory_pressure_enabled",
    "cpuset.memory_spread_page",
    "cpuset.memory_spread_slab",
    "cpuset.sched_load_balance",
    "cpuset.sched_relax_domain_level",
];

fn version_name(v: Version) -> &'static str {
    match v {
        Version::V1 => "cgroup v1",
        Version::V2 => "cgroup v2",
    }
}

/// One setting to write: where, and whether it needs converting.
struct Setting {
    hierarchy: Hierarchy,
    name: String,
    value: String,
    convert: bool,
}

/// Check every setting before writing any: a name with no counterpart fails (91), an
/// unmappable one too (111) unless `-i` drops it.
fn settings(all: &Hierarchies, plan: &Plan, rules: &[(String, String)]) -> Result<Vec<Setting>> {
    let mut out = Vec::new();
    for (name, value) in rules {
        let hierarchy = common::hierarchy_of(all, name)?;
        let convert = plan.version.is_some_and(|v| v != hierarchy.version);
        if convert {
            let from = plan.version.unwrap_or(hierarchy.version);
            let mapped = match from {
                Version::V1 => MAPPED_V1,
                Version::V2 => MAPPED_V2,
            };
            if UNMAPPABLE.contains(&name.as_str()) {
                if plan.ignore_unmappable {
                    continue;
                }
                return Err(Error::msg(format!(
                    "{name} has no {} counterpart",
                    version_name(hierarchy.version)
                ))
                .with_status(Ecg::NoVersionConvert.status()));
            }
            if !mapped.contains(&name.as_str()) {
                return Err(Error::msg(format!(
                    "cannot convert {name} from {} to {}",
                    version_name(from),
                    version_name(hierarchy.version)
                ))
                .with_status(Ecg::Inval.status()));
            }
        }
        out.push(Setting {
            hierarchy,
            name: name.clone(),
            value: value.clone(),
            convert,
        });
    }
    Ok(out)
}

/// Write the values to every group (and, with `-R`, every descendant), converting each
/// setting against the target group's current values; the first failure stops the run.
pub fn execute(plan: &Plan) -> Result<()> {
    let rules = match &plan.source {
        cgset::Source::Rules(rules) => rules,
        cgset::Source::CopyFrom(_) => {
            return cgset::execute(&cgset::Plan {
                source: plan.source.clone(),
                groups: plan.groups.clone(),
                recursive: plan.recursive,
                defaults: plan.defaults,
            });
        }
    };
    let all = common::hierarchies()?;
    let names = plan.defaults.names(&all);
    let (subtree, rules) = cgset::split_subtree_control(rules.clone())?;
    let settings = settings(&all, plan, &rules)?;
    for name in &plan.groups {
        let path = &name.resolve(&names)?;
        if let Some(value) = &subtree {
            cgset::set_subtree_control(&all, path, value, plan.recursive)?;
        }
        for s in &settings {
            let mut targets = vec![path.clone()];
            if plan.recursive {
                common::descendants(&s.hierarchy.group(path), &mut targets);
            }
            for target in targets {
                set(&s.hierarchy.group(&target), s)
                    .map_err(|e| e.context("cgroup modify error"))?;
            }
        }
    }
    Ok(())
}

fn set(group: &Group<'_>, s: &Setting) -> Result<()> {
    if !group.exists() {
        return Err(Ecg::ValueNotExist.error());
    }
    if !s.convert {
        return group.write(&s.name, &s.value);
    }
    let writes = translate(&s.name, &s.value, s.hierarchy.version, |setting| {
        group.read(setting).ok()
    })?;
    for w in writes {
        group.write(&w.name, &w.value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgxset", args)
    }

    #[test]
    fn options() {
        let p = plan(&["-2", "-r", "cpu.weight=50", "-i", "g", "-R", "/h"]).unwrap();
        assert_eq!(p.version, Some(Version::V2));
        assert!(p.ignore_unmappable && p.recursive);
        assert_eq!(
            p.source,
            cgset::Source::Rules(vec![("cpu.weight".into(), "50".into())])
        );
        assert_eq!(
            p.groups.iter().map(|g| g.path.as_str()).collect::<Vec<_>>(),
            ["g", "h"]
        );
        assert_eq!(
            plan(&["-1", "-r", "a.b=c=d", "g"]).unwrap().version,
            Some(Version::V1)
        );
        assert_eq!(plan(&["-r", "a.b=1", "g"]).unwrap().version, None);
        let status = |args: &[&str]| plan(args).unwrap_err().status();
        assert_eq!(status(&[]), 255);
        assert_eq!(status(&["-2", "-r", "memory.max", "g"]), 129);
        assert_eq!(status(&["-2", "-r", "memory.max=1"]), 129);
        assert_eq!(status(&["-2", "g"]), 129);
        assert_eq!(status(&["-r", "a.b=1", "--copy-from", "x", "g"]), 129);
        assert_eq!(status(&["-x", "g"]), 129);
    }

    fn v1_only() -> Hierarchies {
        let h = |c: &str| Hierarchy {
            version: Version::V1,
            controllers: vec![c.to_owned()],
            mount_point: format!("/nonexistent/{c}").into(),
            mount_root: "/".into(),
        };
        Hierarchies {
            list: vec![h("cpu"), h("memory"), h("cpuset")],
            v2_mounts: Vec::new(),
        }
    }

    fn check(args: &[&str]) -> std::result::Result<Vec<String>, u8> {
        let p = plan(args).unwrap();
        let cgset::Source::Rules(rules) = &p.source else {
            panic!()
        };
        settings(&v1_only(), &p, rules)
            .map(|s| {
                s.iter()
                    .map(|s| format!("{}{}", s.name, if s.convert { "*" } else { "" }))
                    .collect()
            })
            .map_err(|e| e.status())
    }

    #[test]
    fn which_settings_convert() {
        assert_eq!(
            check(&["-2", "-r", "cpu.weight=50", "g"]),
            Ok(vec!["cpu.weight*".into()])
        );
        assert_eq!(
            check(&["-1", "-r", "cpu.shares=512", "g"]),
            Ok(vec!["cpu.shares".into()])
        );
        assert_eq!(
            check(&["-r", "cpu.shares=512", "g"]),
            Ok(vec!["cpu.shares".into()])
        );
        // Not in the table: invalid (91); unmappable: 111, or dropped with -i.
        assert_eq!(check(&["-2", "-r", "memory.swappiness=5", "g"]), Err(91));
        assert_eq!(check(&["-2", "-r", "cpu.stat=1", "g"]), Err(111));
        assert_eq!(
            check(&["-2", "-i", "-r", "cpu.stat=1", "-r", "cpu.max=max", "g"]),
            Ok(vec!["cpu.max*".into()])
        );
        assert_eq!(check(&["-2", "-r", "io.max=1", "g"]), Err(84));
    }
}
