//! `cgset`: write settings of groups, by v1 or v2 name on any host.

use std::ffi::OsString;
use std::fs;

use cgroup::{Ecg, GroupPath, Hierarchies};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};

use crate::common::{self, Action, GroupName, usage, usage_msg};

/// How libcgroup's hint spells the help option.
const HELP: &str = "--help'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str =
    "cgset [-R] -r <name=value> ... <path> ... | cgset --copy-from <path> <path> ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgset")
        .about("Set parameters of control groups.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "rule",
                Some('r'),
                "rule",
                "name=value",
                "the setting to write (repeatable); v1 and v2 names both work",
            ),
            required(
                "copy-from",
                None,
                "copy-from",
                "path",
                "copy every writable setting of the group at <path>",
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

/// Where the values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `-r name=value`, in order.
    Rules(Vec<(String, String)>),
    /// `--copy-from path`.
    CopyFrom(GroupName),
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The values.
    pub source: Source,
    /// The groups, in order.
    pub groups: Vec<GroupName>,
    /// Descendants too.
    pub recursive: bool,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    if args.is_empty() {
        return Err(usage(format!(
            "Usage is {} -r <name=value> relative path to cgroup>",
            prog.argv0_display()
        )));
    }
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    let (mut rules, mut copy_from, mut recursive) = (Vec::new(), None, false);
    let mut defaults = common::Defaults::default();
    for opt in opts {
        let text = opt.text();
        if defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "help" => {
                return Ok(Action::Print(cli::help(&cmd, USAGE, "cgset(1)")));
            }
            "rule" => rules.push(common::parse_rule(&text)?),
            "copy-from" => copy_from = Some(common::group_name(&text)?),
            "recursive" => recursive = true,
            _ => {}
        }
    }
    let source = match (rules.is_empty(), copy_from) {
        (false, Some(_)) => return Err(common::wrong_input(prog, HELP)),
        (true, None) => return Err(usage_msg("no name-value pair was set")),
        (false, None) => Source::Rules(rules),
        (true, Some(from)) => Source::CopyFrom(from),
    };
    if operands.is_empty() {
        return Err(usage_msg("no cgroup specified"));
    }
    let groups = operands
        .iter()
        .map(|o| common::group_name(&o.to_string_lossy()))
        .collect::<Result<_>>()?;
    Ok(Action::Run(Plan {
        source,
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

/// Write the values to every group (and, with `-R`, every descendant first-to-last); the
/// first failure stops the run, as in libcgroup. `cgroup.subtree_control` goes first
/// ([`set_subtree_control`]).
pub fn execute(plan: &Plan) -> Result<()> {
    let all = common::hierarchies()?;
    let names = plan.defaults.names(&all);
    let rules = match &plan.source {
        Source::Rules(rules) => rules.clone(),
        Source::CopyFrom(from) => copied_settings(&all, &from.resolve(&names)?)?,
    };
    let (subtree, rules) = split_subtree_control(rules)?;
    for name in &plan.groups {
        let path = &name.resolve(&names)?;
        if let Some(value) = &subtree {
            set_subtree_control(&all, path, value, plan.recursive)?;
        }
        for (name, value) in &rules {
            let hierarchy = common::hierarchy_of(&all, name)?;
            let mut targets = vec![path.clone()];
            if plan.recursive {
                common::descendants(&hierarchy.group(path), &mut targets);
            }
            for target in targets {
                hierarchy
                    .group(&target)
                    .set(name, value)
                    .map_err(|e| e.context("cgroup modify error"))?;
            }
        }
    }
    Ok(())
}

/// The file that enables controllers for a group's children (v2).
pub const SUBTREE_CONTROL: &str = "cgroup.subtree_control";

/// `-r` settings: (name, value) pairs, in order.
pub type Rules = Vec<(String, String)>;

/// The `cgroup.subtree_control` value, taken out of the settings; libcgroup takes one only.
pub fn split_subtree_control(rules: Rules) -> Result<(Option<String>, Rules)> {
    let (subtree, rest): (Vec<_>, Vec<_>) =
        rules.into_iter().partition(|(n, _)| n == SUBTREE_CONTROL);
    if subtree.len() > 1 {
        return Err(
            Error::msg(format!("duplicate -r {SUBTREE_CONTROL} option found"))
                .with_status(Ecg::Fail.status()),
        );
    }
    Ok((subtree.into_iter().next().map(|(_, v)| v), rest))
}

/// Write `cgroup.subtree_control` of `path`. With `-R`, as libcgroup 3.2.0 does, one word
/// at a time: `+c` into the group, then into each descendant that has children (a leaf
/// with a domain controller in its subtree_control could hold no processes: the kernel's
/// no-internal-processes rule), parents before children; `-c` into every descendant and
/// the group, children before parents (the kernel refuses to disable what a child still
/// enables). A word with neither sign fails as in libcgroup, without a message.
pub fn set_subtree_control(
    all: &Hierarchies,
    path: &GroupPath,
    value: &str,
    recursive: bool,
) -> Result<()> {
    let hierarchy = common::hierarchy_of(all, SUBTREE_CONTROL)?;
    let write = |target: &GroupPath, words: &str| {
        hierarchy
            .group(target)
            .set(SUBTREE_CONTROL, words)
            .map_err(|e| e.context("cgroup modify error"))
    };
    if !recursive {
        return write(path, value);
    }
    let mut tree = Vec::new();
    common::descendants(&hierarchy.group(path), &mut tree);
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        if word.starts_with('+') {
            write(path, word)?;
            for target in &tree {
                let has_children = hierarchy
                    .group(target)
                    .children()
                    .is_ok_and(|c| !c.is_empty());
                if has_children {
                    write(target, word)?;
                }
            }
        } else if word.starts_with('-') {
            for target in tree.iter().rev() {
                write(target, word)?;
            }
            write(path, word)?;
        } else {
            return Err(Error::Silent(Ecg::Fail.status()));
        }
    }
    Ok(())
}

/// Every owner-writable setting file of `from`, in every hierarchy where it exists.
fn copied_settings(all: &Hierarchies, from: &GroupPath) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut found = false;
    for hierarchy in &all.list {
        let group = hierarchy.group(from);
        if !group.exists() {
            continue;
        }
        found = true;
        let mut names: Vec<String> = fs::read_dir(group.dir())
            .map_err(|e| Ecg::Other.with_errno(e))?
            .flatten()
            .filter(|e| {
                e.metadata().is_ok_and(|m| {
                    m.is_file()
                        && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o200 != 0
                })
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                hierarchy
                    .controllers
                    .iter()
                    .any(|c| n.starts_with(&format!("{c}.")))
            })
            .collect();
        names.sort();
        for name in names {
            // Multi-line files (statistics, memory.oom_control) are not settings to copy.
            if let Ok(value) = group.read(&name) {
                if !value.is_empty() && !value.contains('\n') {
                    out.push((name, value));
                }
            }
        }
    }
    if !found {
        // libcgroup's line, without the program name; libcgroup then exited 0.
        return Err(Error::Plain {
            text: format!(
                "cgroup {} error: {}",
                from.as_str(),
                Ecg::GroupNotExist.text()
            ),
            status: Ecg::GroupNotExist.status(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(
            common::parse_rule("memory.limit_in_bytes=15M").ok(),
            Some(("memory.limit_in_bytes".into(), "15M".into()))
        );
        assert_eq!(
            common::parse_rule("a.b=c=d").ok(),
            Some(("a.b".into(), "c=d".into()))
        );
        for bad in ["memory.max", "=5", "memory.max=", "foo=1", ".x=1"] {
            let e = common::parse_rule(bad).unwrap_err();
            assert_eq!(
                (e.to_string(), e.status()),
                (format!("wrong parameter of option -r: {bad}"), 129)
            );
        }
        assert_eq!(
            common::parse_rule("memory.max=1\n2").unwrap_err().status(),
            91
        );
    }
}

#[cfg(test)]
mod subtree_tests {
    use super::*;

    #[test]
    fn subtree_control_is_taken_out_once() {
        let rule = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let (subtree, rest) = split_subtree_control(vec![
            rule("cpu.weight", "50"),
            rule(SUBTREE_CONTROL, "+cpuset -pids"),
            rule("memory.max", "1M"),
        ])
        .unwrap();
        assert_eq!(subtree.as_deref(), Some("+cpuset -pids"));
        assert_eq!(rest, [rule("cpu.weight", "50"), rule("memory.max", "1M")]);
        let e = split_subtree_control(vec![
            rule(SUBTREE_CONTROL, "+a"),
            rule(SUBTREE_CONTROL, "+b"),
        ])
        .unwrap_err();
        assert_eq!(
            (e.to_string(), e.status()),
            (
                "duplicate -r cgroup.subtree_control option found".to_owned(),
                Ecg::Fail.status()
            )
        );
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgset", args)
    }

    #[test]
    fn options() {
        let p = plan(&["-r", "memory.max=1M", "-R", "g", "-r", "cpu.weight=5", "/h"]).unwrap();
        let rules = vec![
            ("memory.max".to_owned(), "1M".to_owned()),
            ("cpu.weight".to_owned(), "5".to_owned()),
        ];
        assert_eq!(p.source, Source::Rules(rules));
        assert!(p.recursive);
        assert_eq!(
            p.groups.iter().map(|g| g.path.as_str()).collect::<Vec<_>>(),
            ["g", "h"]
        );
        assert_eq!(
            plan(&["--copy-from", "a", "b"]).unwrap().source,
            Source::CopyFrom(common::group_name("a").unwrap())
        );
        let status = |args: &[&str]| plan(args).unwrap_err().status();
        assert_eq!(status(&[]), 129);
        assert_eq!(
            status(&["-r", "memory.max=1", "--copy-from", "a", "b"]),
            129
        );
        assert_eq!(status(&["-r", "memory.max=1"]), 129);
        assert_eq!(status(&["g"]), 129);
        assert_eq!(status(&["-r", "memory.max=1", "../g"]), 129);
    }
}
