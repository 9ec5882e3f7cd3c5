//! `lscgroup`: list groups, `controllers:/path` per line, each hierarchy's tree pre-order;
//! with `-J` (ours) as JSON.

use std::ffi::OsString;

use cgroup::read::OPAQUE;
use cgroup::{Ecg, GroupPath, Hierarchies, Hierarchy};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};
use table::DataType;

use crate::cgget::listed;
use crate::common::{self, Action, Controllers, Spec, usage_msg};

/// How libcgroup's hint spells the help option.
const HELP: &str = "-h'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "lscgroup [-J] [[-g] <controllers>:<path> ...]";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("lscgroup")
        .about("List control groups.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "group",
                Some('g'),
                "group",
                "controllers:path",
                "list this group and its descendants (repeatable; the -g may be left out)",
            ),
            common::json_option(),
            common::ignore_default_scope(),
            common::user_scope(),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("groups")
                .value_name("controllers:path")
                .num_args(0..)
                .help("more groups to list, as with -g"),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The sub-trees to list, in order, each with the text it was given as; none: every
    /// hierarchy from its root.
    pub specs: Vec<(String, Spec)>,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
    /// JSON output (`-J`).
    pub json: bool,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    let mut texts = Vec::new();
    let mut defaults = common::Defaults::default();
    let mut json = false;
    for opt in opts {
        if defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "lscgroup(1)"))),
            "group" => texts.push(opt.text()),
            "json" => json = true,
            _ => {}
        }
    }
    texts.extend(operands.iter().map(|o| o.to_string_lossy().into_owned()));
    let mut specs = Vec::new();
    for text in texts {
        match Spec::parse(&text) {
            Ok(Some(spec)) => specs.push((text, spec)),
            Ok(None) => {
                return Err(usage_msg(format!(
                    "cgroup controller and path parsing failed ({text})"
                )));
            }
            Err(why) => return Err(usage_msg(why)),
        }
    }
    Ok(Action::Run(Plan {
        specs,
        defaults,
        json,
    }))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute(&plan).map(|()| 0),
    })
}

/// One group listed: its hierarchy's controllers, its path, and whether it is the base of
/// a sub-tree asked for.
struct Listed {
    controllers: Vec<String>,
    path: GroupPath,
    base: bool,
}

/// One hierarchy's sub-tree at `path`, pre-order.
fn list(h: &Hierarchy, path: &GroupPath, out: &mut Vec<Listed>) {
    let controllers: Vec<String> = h
        .controllers
        .iter()
        .filter(|c| *c != OPAQUE)
        .cloned()
        .collect();
    for (i, group) in h.group(path).walk().into_iter().enumerate() {
        out.push(Listed {
            controllers: controllers.clone(),
            path: group,
            base: i == 0,
        });
    }
}

/// Print the groups: as `controllers:/path` lines (the base of a sub-tree other than the
/// root keeps a trailing `/`), or as JSON, an object per group with its controllers (an
/// array) and its path.
fn print(listed: &[Listed], json: bool) -> Result<()> {
    if json {
        let columns = [
            ("CONTROLLERS", DataType::String),
            ("PATH", DataType::String),
        ];
        let mut t = common::json_table("cgroups", &columns);
        for group in listed {
            let line = t.add_line(None);
            t.set(line, 0, group.controllers.join(","));
            t.set_json_value(line, 0, common::json_strings(&group.controllers));
            t.set(line, 1, group.path.to_string());
        }
        return common::print_table(&t);
    }
    let mut out = String::new();
    for group in listed {
        let slash = if group.base && !group.path.is_root() {
            "/"
        } else {
            ""
        };
        out.push_str(&format!(
            "{}:{}{slash}\n",
            group.controllers.join(","),
            group.path
        ));
    }
    sys::print(&out)
}

/// The hierarchies of a spec, in mount-table order, each once.
fn hierarchies_of(all: &Hierarchies, text: &str, spec: &Spec) -> Result<Vec<Hierarchy>> {
    let fail = || {
        Error::msg(format!("cannot find group {text}: {}", Ecg::Fail.text()))
            .with_status(Ecg::Fail.status())
    };
    match &spec.controllers {
        Controllers::Unified => all.unified().map(|h| vec![h]).ok_or_else(fail),
        Controllers::All => Ok(all.list.iter().filter(|h| listed(h)).cloned().collect()),
        Controllers::Named(names) => {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let found = all.for_controllers(&refs).map_err(|_| fail())?;
            Ok(all
                .list
                .iter()
                .filter(|h| found.iter().any(|f| std::ptr::eq(*f, *h)))
                .cloned()
                .collect())
        }
    }
}

/// List the groups. An unknown controller stops the run after what was listed before it
/// (printed, in JSON as a complete document).
pub fn execute(plan: &Plan) -> Result<()> {
    let all = common::hierarchies()?;
    let mut groups = Vec::new();
    if plan.specs.is_empty() {
        for h in all.list.iter().filter(|h| listed(h)) {
            list(h, &GroupPath::root(), &mut groups);
        }
        return print(&groups, plan.json);
    }
    let names = plan.defaults.names(&all);
    for (text, spec) in &plan.specs {
        match hierarchies_of(&all, text, spec) {
            Ok(found) => {
                let path = names.resolve(&spec.typed).map_err(usage_msg)?;
                for h in found {
                    list(&h, &path, &mut groups);
                }
            }
            Err(e) => {
                print(&groups, plan.json)?;
                return Err(e);
            }
        }
    }
    print(&groups, plan.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let prog = Prog::new(None, "lscgroup");
        let parse = |a: &[&str]| parse(&prog, a.iter().map(OsString::from).collect());
        match parse(&["-g", "cpu:/a", "memory:b"]) {
            Ok(Action::Run(plan)) => {
                assert_eq!(plan.specs.len(), 2);
                assert_eq!(plan.specs[1].1.path.as_str(), "b");
            }
            other => panic!("{other:?}"),
        }
        let e = parse(&["x"]).unwrap_err();
        assert_eq!(
            (e.to_string(), e.status()),
            ("cgroup controller and path parsing failed (x)".into(), 129)
        );
        assert_eq!(parse(&["cpu:../x"]).unwrap_err().status(), 129);
        assert_eq!(parse(&["-q"]).unwrap_err().status(), 129);
    }
}
