//! `cgget`: print settings of groups, by v1 or v2 name on any host; also the host's cgroup
//! mode (`-m`) and its controllers with their versions (`-c`). `cgxget` is this tool with
//! an explicit dialect (see [`crate::cgxget`]). `-J` (ours) prints the settings as JSON,
//! each value typed by [`cgroup::value`].

use std::ffi::OsString;

use cgroup::read::{self, OPAQUE};
use cgroup::value::{self, Value};
use cgroup::{Ecg, Group, GroupPath, Hierarchies, Hierarchy, Mode, Version};
use clap::{Arg, ArgAction, Command};
use sys::cli::{self, Order, flag, required};
use sys::{Error, Prog, Result, Status};
use table::{DataType, JsonValue};

use crate::common::{self, Action, usage};

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgget [-n] [-v|-J] [-r <name>] [-g <controllers>] [-a] <path> ...\n cgget [-n] [-v|-J] -g <controllers>:<path> ...\n cgget -m | -c [-J]";

/// A flag with only a short form.
pub(crate) fn short(id: &'static str, c: char, help: &'static str) -> Arg {
    Arg::new(id).short(c).action(ArgAction::SetTrue).help(help)
}

/// The options cgget and cgxget share.
pub(crate) fn common_args() -> Vec<Arg> {
    vec![
        required(
            "variable",
            Some('r'),
            "variable",
            "name",
            "print this setting (repeatable); v1 and v2 names both work",
        ),
        Arg::new("group")
            .short('g')
            .value_name("controllers[:path]")
            .num_args(1)
            .allow_hyphen_values(true)
            .action(ArgAction::Append)
            .help("print every setting of these controllers (repeatable)"),
        flag(
            "all",
            Some('a'),
            "all",
            "print the settings of every controller",
        ),
        short("no-name", 'n', "do not print the group names"),
        flag(
            "values-only",
            Some('v'),
            "values-only",
            "print the values only, without the setting names",
        ),
        common::json_option(),
        common::ignore_default_scope(),
        common::user_scope(),
        flag("help", Some('h'), "help", "display this help"),
        Arg::new("groups")
            .value_name("path")
            .num_args(0..)
            .help("the groups to read (paths, without controllers)"),
    ]
}

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgget")
        .about("Print parameters of control groups.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(common_args())
        .args([
            short(
                "mode",
                'm',
                "print the host's cgroup mode (legacy, hybrid or unified)",
            ),
            short(
                "controllers",
                'c',
                "list the mounted controllers with their cgroup versions",
            ),
        ])
}

/// What to print of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// These settings (`-r`), in order.
    Settings(Vec<String>),
    /// Every setting of these controllers (`-g`).
    Controllers(Vec<String>),
    /// Every setting of every controller (`-a`, or no option).
    All,
}

/// One group to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The name as typed, for the header.
    pub name: String,
    /// The group.
    pub path: GroupPath,
    /// What of it.
    pub ask: Ask,
}

/// What one run prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// `-m`.
    Mode,
    /// `-c`.
    Controllers,
    /// Settings of groups.
    Groups(Vec<Request>),
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What to print.
    pub what: What,
    /// Group headers and the blank line after each group (no `-n`).
    pub headers: bool,
    /// Values without names (`-v`).
    pub values_only: bool,
    /// JSON output (`-J`).
    pub json: bool,
    /// cgxget's `-1`/`-2`: the version the setting names are given and printed in. `None`:
    /// as cgget, names of either version are read from whatever the hierarchy has.
    pub dialect: Option<Version>,
    /// cgxget's `-i`: skip settings with no counterpart instead of failing.
    pub ignore_unmappable: bool,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
}

/// Build the plan, or the help text.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    parse_as("cgget", USAGE, &command(), prog, args)
}

/// The parser cgget and cgxget share: `tool` names the messages that libcgroup words with a
/// fixed name, argv[0] the hints.
pub(crate) fn parse_as(
    tool: &str,
    usage_line: &str,
    cmd: &Command,
    prog: &Prog,
    args: Vec<OsString>,
) -> Result<Action<Plan>> {
    const HELP: &str = "-h'";
    if args.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    let (opts, operands) = common::getopt(cmd, prog, args, Order::Permute, HELP)?;
    let mut settings: Vec<String> = Vec::new();
    let mut controllers: Vec<String> = Vec::new();
    let mut specs: Vec<(Vec<String>, String)> = Vec::new();
    let (mut all, mut mode, mut list) = (false, false, false);
    let mut plan = Plan {
        what: What::Mode,
        headers: true,
        values_only: false,
        json: false,
        dialect: None,
        ignore_unmappable: false,
        defaults: common::Defaults::default(),
    };
    for opt in opts {
        let text = opt.text();
        if plan.defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "help" => {
                return Ok(Action::Print(cli::help(
                    cmd,
                    usage_line,
                    &format!("{tool}(1)"),
                )));
            }
            "variable" => {
                if read::controller_of(&text).is_none() {
                    return Err(Error::Plain {
                        text: format!("{tool}: error parsing parameter name '{text}'"),
                        status: Ecg::Inval.status(),
                    });
                }
                if settings.contains(&text) {
                    return Err(Error::Plain {
                        text: format!("{tool}: setting {text} is given twice"),
                        status: 90,
                    });
                }
                settings.push(text);
            }
            "group" => match text.split_once(':') {
                Some((list, path)) => specs.push((names(list), path.to_owned())),
                None => controllers.extend(names(&text)),
            },
            "all" => all = true,
            "no-name" => plan.headers = false,
            "values-only" => plan.values_only = true,
            "json" => plan.json = true,
            "mode" => mode = true,
            "controllers" => list = true,
            "v1" => plan.dialect = Some(Version::V1),
            "v2" => plan.dialect = Some(Version::V2),
            "ignore" => plan.ignore_unmappable = true,
            _ => {}
        }
    }
    let grouped = !controllers.is_empty() || !specs.is_empty();
    if (!settings.is_empty() && (grouped || all))
        || ((mode || list) && (!settings.is_empty() || grouped || all))
    {
        return Err(common::wrong_input(prog, HELP));
    }
    // JSON names every value, and `-m` prints a sentence, not data.
    for (given, option) in [(plan.values_only, 'v'), (mode, 'm')] {
        if plan.json && given {
            return Err(usage(format!("{tool}: -J cannot be used with -{option}")));
        }
    }
    if mode {
        plan.what = What::Mode;
        return Ok(Action::Run(plan));
    }
    if list {
        plan.what = What::Controllers;
        return Ok(Action::Run(plan));
    }
    let bad_path = |why: String| usage(format!("{tool}: {why}"));
    let mut requests = Vec::new();
    if !specs.is_empty() {
        let with_path = specs.iter().any(|(_, p)| !p.is_empty());
        let without_path = specs.iter().any(|(_, p)| p.is_empty());
        if (with_path && !operands.is_empty()) || (without_path && operands.is_empty()) {
            return Err(common::wrong_input(prog, HELP));
        }
        for (list, path) in specs {
            let targets: Vec<String> = if path.is_empty() {
                operands
                    .iter()
                    .map(|o| o.to_string_lossy().into_owned())
                    .collect()
            } else {
                vec![path]
            };
            for name in targets {
                let mut wanted = list.clone();
                wanted.extend(controllers.iter().cloned());
                requests.push(Request {
                    path: GroupPath::parse(&name).map_err(bad_path)?,
                    name,
                    ask: Ask::Controllers(wanted),
                });
            }
        }
    } else {
        let mut names: Vec<String> = operands
            .iter()
            .map(|o| o.to_string_lossy().into_owned())
            .collect();
        if names.is_empty() {
            if !settings.is_empty() || !controllers.is_empty() {
                return Err(common::wrong_input(prog, HELP));
            }
            // `cgget -a` alone: the root group.
            names.push("/".to_owned());
        }
        let ask = if !settings.is_empty() {
            Ask::Settings(settings)
        } else if !controllers.is_empty() {
            Ask::Controllers(controllers)
        } else {
            Ask::All
        };
        for name in names {
            requests.push(Request {
                path: GroupPath::parse(&name).map_err(bad_path)?,
                name,
                ask: ask.clone(),
            });
        }
    }
    plan.what = What::Groups(requests);
    Ok(Action::Run(plan))
}

fn names(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    common::named_by_argv0(prog, || match parse(prog, args)? {
        Action::Print(help) => sys::print(&help).map(|()| 0),
        Action::Run(plan) => execute("cgget", &plan).map(|()| 0),
    })
}

/// The mode line of `-m`.
pub fn mode_text(mode: Mode) -> &'static str {
    match mode {
        Mode::Legacy => "Legacy Mode (Cgroup v1 only).",
        Mode::Hybrid => "Hybrid mode (Cgroup v1/v2).",
        Mode::Unified => "Unified Mode (Cgroup v2 only).",
    }
}

/// Whether a hierarchy shows in listings: not systemd's named one.
pub(crate) fn listed(h: &Hierarchy) -> bool {
    !h.controllers.iter().all(|c| c == OPAQUE)
}

/// Print what the plan asks for. Every value is read before anything is printed, so a
/// failure prints nothing but its message.
pub fn execute(tool: &str, plan: &Plan) -> Result<()> {
    let requests = match &plan.what {
        What::Mode => {
            let all = Hierarchies::discover()?;
            return match all.mode() {
                Some(mode) => sys::print(&format!("{}\n", mode_text(mode))),
                None => Err(Error::Plain {
                    text: "Unable to determine the Cgroup setup mode.".into(),
                    status: 1,
                }),
            };
        }
        What::Controllers => {
            let all = common::hierarchies()?;
            let rows: Vec<(&str, u8)> = all
                .list
                .iter()
                .filter(|h| listed(h))
                .flat_map(|h| {
                    let v = version_digit(h.version);
                    h.controllers
                        .iter()
                        .filter(|c| *c != OPAQUE)
                        .map(move |c| (c.as_str(), v))
                })
                .collect();
            if plan.json {
                let columns = [
                    ("CONTROLLER", DataType::String),
                    ("VERSION", DataType::Number),
                ];
                let mut json = common::json_table("controllers", &columns);
                for (c, v) in rows {
                    let line = json.add_line(None);
                    json.set(line, 0, c);
                    json.set(line, 1, v.to_string());
                }
                return common::print_table(&json);
            }
            let mut out = String::from("#Controller\tVersion\n");
            for (c, v) in rows {
                out.push_str(&format!("{c:<11}\t{v}\n"));
            }
            return sys::print(&out);
        }
        What::Groups(requests) => requests,
    };
    let all = common::hierarchies()?;
    let names = plan.defaults.names(&all);
    let mut out = String::new();
    let columns = [
        ("NAME", DataType::String),
        ("PATH", DataType::String),
        ("SETTINGS", DataType::String),
    ];
    let mut json = plan.json.then(|| common::json_table("cgroups", &columns));
    for request in requests {
        let request = &Request {
            path: names.resolve(&request.name).map_err(common::usage_msg)?,
            ..request.clone()
        };
        let settings = gather(tool, plan, &all, request)?;
        if let Some(json) = &mut json {
            let line = json.add_line(None);
            json.set(line, 0, request.name.as_str());
            json.set(line, 1, request.path.to_string());
            json.set_json_value(line, 2, settings_json(&settings));
            continue;
        }
        if plan.headers {
            out.push_str(&format!("{}:\n", request.name));
        }
        for (name, value) in settings {
            let value = read::display(&value);
            if plan.values_only {
                out.push_str(&format!("{value}\n"));
            } else {
                out.push_str(&format!("{name}: {value}\n"));
            }
        }
        if plan.headers {
            out.push('\n');
        }
    }
    match json {
        Some(json) => common::print_table(&json),
        None => sys::print(&out),
    }
}

/// One group's settings as a JSON object, each value typed by its file's format; a setting
/// asked for twice (`-g cpu -g cpu`) is a member once.
fn settings_json(settings: &[(String, String)]) -> JsonValue {
    let mut members: Vec<(String, JsonValue)> = Vec::new();
    for (name, text) in settings {
        if !members.iter().any(|(n, _)| n == name) {
            members.push((name.clone(), json_of(value::typed(name, text))));
        }
    }
    JsonValue::Object(members)
}

/// A typed value in JSON: nothing is `null`, a number that JSON cannot write as it is
/// stays a string.
fn json_of(v: Value) -> JsonValue {
    match v {
        Value::Empty => JsonValue::Null,
        Value::Number(n) => JsonValue::number(&n).unwrap_or(JsonValue::String(n)),
        Value::Text(t) => JsonValue::String(t),
        Value::List(items) => JsonValue::Array(items.into_iter().map(json_of).collect()),
        Value::Keyed(members) => {
            JsonValue::Object(members.into_iter().map(|(k, v)| (k, json_of(v))).collect())
        }
    }
}

/// The settings of one request, as (name, value) in print order.
fn gather(
    tool: &str,
    plan: &Plan,
    all: &Hierarchies,
    request: &Request,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    match &request.ask {
        Ask::Settings(names) => {
            // Grouped by controller, in the order each controller first appears.
            let mut order: Vec<&str> = Vec::new();
            for n in names {
                let c = read::controller_of(n).unwrap_or_default();
                if !order.contains(&c) {
                    order.push(c);
                }
            }
            for c in order {
                let h = if c == "cgroup" {
                    all.unified()
                } else {
                    all.for_controller(c).cloned()
                };
                let Some(h) = h else {
                    return Err(Error::Plain {
                        text: format!("{tool}: cannot find controller '{c}'"),
                        status: Ecg::Other.status(),
                    });
                };
                let group = group_in(&h, request, plan);
                let mut block = Vec::new();
                for n in names.iter().filter(|n| read::controller_of(n) == Some(c)) {
                    if let Some(value) = read_one(tool, plan, &group, n)? {
                        block.push((n.clone(), value));
                    }
                }
                // libcgroup 3.2 builds cpu.max out of the v1 quota and period before it
                // converts the cpu controller's other settings, so it comes first there.
                if plan.dialect == Some(Version::V2) && h.version == Version::V1 {
                    if let Some(at) = block.iter().position(|(n, _)| n == "cpu.max") {
                        let max = block.remove(at);
                        block.insert(0, max);
                    }
                }
                out.extend(block);
            }
        }
        Ask::Controllers(controllers) => {
            // Every controller is looked up before any is read, as libcgroup 3.2.0 adds them
            // all to the group first.
            let mut found = Vec::new();
            for c in controllers {
                let h = all
                    .for_controller(c)
                    .ok_or_else(|| controller_not_found(tool, c))?;
                found.push((h, c));
            }
            for (h, c) in found {
                out.extend(controller_settings(
                    tool,
                    plan,
                    &group_in(h, request, plan),
                    c,
                )?);
            }
        }
        Ask::All => {
            for h in all.list.iter().filter(|h| listed(h)) {
                let group = group_in(h, request, plan);
                if !group.exists() {
                    continue;
                }
                for c in group.all_controllers() {
                    out.extend(controller_settings(tool, plan, &group, &c)?);
                }
            }
        }
    }
    Ok(out)
}

/// The request's group in `h`. JSON reads files whole: a value cut where libcgroup cuts it
/// would be a wrong one there.
fn group_in<'h>(h: &'h Hierarchy, request: &Request, plan: &Plan) -> Group<'h> {
    let group = h.group(&request.path);
    if plan.json {
        group.reading_whole_files()
    } else {
        group
    }
}

/// A `-g` controller that no hierarchy has: cgget names it (status 96); libcgroup 3.2.0's
/// cgxget fails without a word with ECGCONTROLLERCREATEFAILED (92).
fn controller_not_found(tool: &str, controller: &str) -> Error {
    if tool == "cgxget" {
        Error::Silent(Ecg::ControllerCreateFailed.status())
    } else {
        Error::Plain {
            text: format!("{tool}: cannot find controller '{controller}'"),
            status: Ecg::Other.status(),
        }
    }
}

fn version_digit(v: Version) -> u8 {
    if v == Version::V1 { 1 } else { 2 }
}

fn no_counterpart(tool: &str, name: &str, to: Version) -> Error {
    Error::Plain {
        text: format!(
            "{tool}: {name} has no counterpart in cgroup v{}",
            version_digit(to)
        ),
        status: Ecg::Inval.status(),
    }
}

fn unmappable(tool: &str, name: &str) -> Error {
    Error::Plain {
        text: format!("{tool}: {name}: {}", Ecg::NoVersionConvert.text()),
        status: Ecg::NoVersionConvert.status(),
    }
}

/// One `-r` setting; `None` when cgxget `-i` skips it.
fn read_one(tool: &str, plan: &Plan, group: &Group<'_>, name: &str) -> Result<Option<String>> {
    let disk = group.hierarchy().version;
    let failed = |e: Error| match e {
        Error::Os { errno, .. } => Error::Plain {
            text: format!(
                "variable file read failed {}",
                std::io::Error::from_raw_os_error(errno)
                    .to_string()
                    .split(" (os error")
                    .next()
                    .unwrap_or_default()
            ),
            status: Ecg::Other.status(),
        },
        other => other,
    };
    match plan.dialect {
        None => group.read_as(name).map(Some).map_err(failed),
        Some(user) if user == disk => group.read_raw(name).map(Some).map_err(failed),
        Some(user) => {
            if read::unmappable(name) {
                return if plan.ignore_unmappable {
                    Ok(None)
                } else {
                    Err(unmappable(tool, name))
                };
            }
            if read::counterpart(name, user).is_none() {
                return Err(no_counterpart(tool, name, disk));
            }
            group.read_as(name).map(Some).map_err(failed)
        }
    }
}

/// Every setting of one controller, converted to the plan's dialect when it differs from
/// the hierarchy's.
fn controller_settings(
    tool: &str,
    plan: &Plan,
    group: &Group<'_>,
    controller: &str,
) -> Result<Vec<(String, String)>> {
    let disk = group.hierarchy().version;
    let settings = group.settings(controller)?;
    let Some(user) = plan.dialect.filter(|u| *u != disk) else {
        return Ok(settings.into_iter().map(|s| (s.name, s.value)).collect());
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for s in settings {
        if read::unmappable(&s.name) {
            if plan.ignore_unmappable {
                continue;
            }
            return Err(unmappable(tool, &s.name));
        }
        let Some(targets) = read::counterpart(&s.name, disk) else {
            if plan.ignore_unmappable {
                continue;
            }
            return Err(no_counterpart(tool, &s.name, user));
        };
        for t in targets {
            if out.iter().any(|(n, _)| n == t) {
                continue;
            }
            let value = group.read_as(t)?;
            out.push(((*t).to_owned(), value));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Action<Plan>> {
        let prog = Prog::new(None, "cgget");
        parse(&prog, args.iter().map(OsString::from).collect())
    }

    fn requests(args: &[&str]) -> Vec<Request> {
        match plan(args) {
            Ok(Action::Run(Plan {
                what: What::Groups(r),
                ..
            })) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn usage_errors() {
        for bad in [
            &[][..],
            &["-r", "cpu.shares", "-g", "cpu", "/"],
            &["-r", "cpu.shares"],
            &["-g", "cpu"],
            &["-g", "cpu:/", "/"],
            &["-g", "cpu:"],
            &["-m", "-a"],
            &["-c", "-r", "cpu.shares", "/"],
            &["-x"],
        ] {
            let e = plan(bad).unwrap_err();
            assert_eq!(e.status(), 129, "{bad:?}");
        }
        let e = plan(&["-r", "nodot", "/"]).unwrap_err();
        assert_eq!(
            (e.to_string(), e.status()),
            ("cgget: error parsing parameter name 'nodot'".into(), 91)
        );
        assert_eq!(
            plan(&["-r", "a.b", "-r", "a.b", "/"]).unwrap_err().status(),
            90
        );
        for (args, option) in [(&["-J", "-v", "/"][..], 'v'), (&["-m", "--json"][..], 'm')] {
            let e = plan(args).unwrap_err();
            assert_eq!(
                (e.to_string(), e.status()),
                (format!("cgget: -J cannot be used with -{option}"), 129)
            );
        }
    }

    #[test]
    fn requests_as_typed() {
        let r = requests(&["-r", "cpu.shares", "x/", "/y"]);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].name.as_str(), r[0].path.as_str()), ("x/", "x"));
        assert_eq!(r[1].ask, Ask::Settings(vec!["cpu.shares".into()]));
        let r = requests(&["-g", "cpu:a:b", "-g", "memory,pids:/"]);
        assert_eq!(r[0].path.as_str(), "a:b");
        assert_eq!(
            r[1].ask,
            Ask::Controllers(vec!["memory".into(), "pids".into()])
        );
        let r = requests(&["-g", "cpu:", "g"]);
        assert_eq!(
            (r[0].name.as_str(), &r[0].ask),
            ("g", &Ask::Controllers(vec!["cpu".into()]))
        );
        assert_eq!(requests(&["g"])[0].ask, Ask::All);
        assert_eq!(requests(&["-a"])[0].path, GroupPath::root());
        assert!(matches!(
            plan(&["-m"]),
            Ok(Action::Run(Plan {
                what: What::Mode,
                ..
            }))
        ));
        assert_eq!(plan(&["-g", "cpu:../x"]).unwrap_err().status(), 129);
    }
}
