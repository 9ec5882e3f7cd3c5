//! What the cgroup tools share: the `-g controllers:path` argument, `user:group` and mode
//! arguments, and libcgroup's usage errors (exit status 129).

use std::ffi::OsString;

use cgroup::scope::{Names, Owner};
use cgroup::{GroupPath, Hierarchies, Hierarchy};
use clap::{Arg, ArgAction, Command};
use sys::cli::{Getopt, Opt, Order};
use sys::{Error, Prog, Result, Status, user};

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<P> {
    /// Print this (`-h`) and exit 0.
    Print(String),
    /// Carry out the plan.
    Run(P),
}

/// libcgroup's status for a bad command line.
pub const USAGE_STATUS: u8 = 129;

/// A usage error printed as it is (libcgroup's lines carry their own wording).
pub fn usage(text: impl Into<String>) -> Error {
    Error::Plain {
        text: text.into(),
        status: USAGE_STATUS,
    }
}

/// A usage error in the `prog: message` form.
pub fn usage_msg(text: impl Into<String>) -> Error {
    Error::msg(text).with_status(USAGE_STATUS)
}

/// libcgroup's line after a bad command line; `help` is the help option as each tool spells
/// it there (`-h`, `--help'`, ...).
fn hint(prog: &Prog, help: &str) -> String {
    format!(
        "Wrong input parameters, try {} {help} for more information.",
        prog.argv0_display()
    )
}

/// The bad-command-line error that is only libcgroup's hint.
pub fn wrong_input(prog: &Prog, help: &str) -> Error {
    usage(hint(prog, help))
}

/// `e` as libcgroup's tools print it: a `prog: message` error names the program by argv[0]
/// as typed (`Error::report` names it by its base name, as util-linux does).
pub fn by_argv0(prog: &Prog, e: Error) -> Error {
    match e {
        Error::Os { .. } | Error::Msg { .. } => Error::Plain {
            text: format!("{}: {e}", prog.argv0_display()),
            status: e.status(),
        },
        other => other,
    }
}

/// Run a tool, its errors named as libcgroup names them ([`by_argv0`]).
pub fn named_by_argv0(prog: &Prog, run: impl FnOnce() -> Result<Status>) -> Result<Status> {
    run().map_err(|e| by_argv0(prog, e))
}

/// `-b`, which libcgroup 3.2 accepts in every tool but lssubsys: group names are read as
/// typed, not below the default systemd scope.
pub fn ignore_default_scope() -> Arg {
    Arg::new("ignore-default")
        .short('b')
        .action(ArgAction::SetTrue)
        .help("ignore the default systemd scope")
}

/// `--user`: the calling user's own systemd manager and default scope instead of the
/// system's.
pub fn user_scope() -> Arg {
    Arg::new("user")
        .long("user")
        .action(ArgAction::SetTrue)
        .help("use the calling user's systemd manager and default scope")
}

/// How a run reads group names: below whose default scope, if any (`-b`, `--user`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Defaults {
    /// `-b`: names as typed.
    pub ignore: bool,
    /// Whose default scope.
    pub owner: Owner,
}

impl Defaults {
    /// Note an option that concerns the default scope; `false` for any other.
    pub fn take(&mut self, id: &str) -> bool {
        match id {
            "ignore-default" => self.ignore = true,
            "user" => self.owner = Owner::User,
            _ => return false,
        }
        true
    }

    /// The names of this run (the default scope read, a stale file removed).
    pub fn names(&self, all: &Hierarchies) -> Names {
        if self.ignore {
            Names::as_typed()
        } else {
            Names::load(self.owner, all)
        }
    }
}

/// `-r` of cgexec and cgclassify: end (SIGTERM) the idle process of the systemd scope `pid`
/// is now in. None, or two different ones, is libcgroup's line and status 255.
pub fn replace_idle(pid: u32) -> Result<()> {
    let all = hierarchies()?;
    let idle = cgroup::scope::idle_process(&all, pid).map_err(|why| Error::Plain {
        text: why.to_string(),
        status: 255,
    })?;
    sys::signal::terminate(idle).map_err(|e| Error::Plain {
        text: format!("Failed to kill pid {idle}:{}", e),
        status: 255,
    })
}

/// The bus of `owner`'s systemd manager.
pub fn bus_of(owner: Owner) -> systemd::Bus {
    match owner {
        Owner::System => systemd::Bus::System,
        Owner::User => systemd::Bus::User,
    }
}

/// `specs` with their groups read through `names`.
pub fn resolve(specs: &[Spec], names: &Names) -> Result<Vec<Spec>> {
    specs
        .iter()
        .map(|spec| {
            Ok(Spec {
                path: names.resolve(&spec.typed).map_err(usage_msg)?,
                ..spec.clone()
            })
        })
        .collect()
}

/// Which controllers a `-g` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Controllers {
    /// `memory,cpu:path`.
    Named(Vec<String>),
    /// `*:path`: every hierarchy.
    All,
    /// `:path`: a cgroup v2 group with no controllers.
    Unified,
}

/// One `-g controllers:path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The controllers.
    pub controllers: Controllers,
    /// The group, as typed (without a default scope).
    pub path: GroupPath,
    /// The group's name as typed (a default scope applies unless it starts with `/`).
    pub typed: String,
}

impl Spec {
    /// Parse `controllers:path` as libcgroup does: empty list items vanish, repeated `:` count
    /// as one. Unlike libcgroup, a third `:`-separated field is refused instead of dropped, and
    /// the path is checked (no `..`, no empty component). `None` means the spec is malformed;
    /// a bad path is an `Err` naming the problem.
    pub fn parse(text: &str) -> std::result::Result<Option<Spec>, String> {
        let (list, rest) = match text.split_once(':') {
            Some(parts) => parts,
            None => return Ok(None),
        };
        let path = rest.trim_start_matches(':');
        if path.is_empty() || path.contains(':') {
            return Ok(None);
        }
        let controllers = if list.is_empty() {
            Controllers::Unified
        } else if list == "*" {
            Controllers::All
        } else {
            let names: Vec<String> = list
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            if names.is_empty() {
                return Ok(None);
            }
            Controllers::Named(names)
        };
        Ok(Some(Spec {
            controllers,
            path: GroupPath::parse(path)?,
            typed: path.to_owned(),
        }))
    }

    /// The distinct hierarchies this spec's group lives in (co-mounted controllers once), and
    /// the controllers to enable on a v2 one. `Err` names an unknown controller.
    pub fn hierarchies(
        &self,
        all: &Hierarchies,
    ) -> std::result::Result<Vec<(Hierarchy, Vec<String>)>, String> {
        match &self.controllers {
            Controllers::Unified => all
                .unified()
                .map(|h| vec![(h, Vec::new())])
                .ok_or_else(String::new),
            Controllers::All => Ok(all
                .list
                .iter()
                .map(|h| {
                    let names = h
                        .controllers
                        .iter()
                        .filter(|c| !c.starts_with("name="))
                        .cloned()
                        .collect();
                    (h.clone(), names)
                })
                .collect()),
            Controllers::Named(names) => {
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let found = all.for_controllers(&refs)?;
                Ok(found
                    .into_iter()
                    .map(|h| {
                        let wanted = names
                            .iter()
                            .filter(|c| h.has(c) && !c.starts_with("name="))
                            .cloned()
                            .collect();
                        (h.clone(), wanted)
                    })
                    .collect())
            }
        }
    }
}

/// `user:group`, `user`, `user:` or `:group`, each a name or a number. `Err` says which part
/// is unknown.
pub fn parse_owner(arg: &str) -> Result<(Option<u32>, Option<u32>)> {
    let (u, g) = arg.split_once(':').unwrap_or((arg, ""));
    let uid = match u {
        "" => None,
        name => Some(
            user::uid_by_name_or_number(name)
                .ok_or_else(|| usage_msg(format!("can't find uid of user {name}.")))?,
        ),
    };
    let gid = match g {
        "" => None,
        name => Some(
            user::gid_by_name_or_number(name)
                .ok_or_else(|| usage_msg(format!("can't find gid of group {name}.")))?,
        ),
    };
    Ok((uid, gid))
}

/// Fill an owner's missing half with the caller's id.
pub fn complete_owner(owner: (Option<u32>, Option<u32>)) -> (u32, u32) {
    let (uid, gid) = sys::user::effective_ids();
    (owner.0.unwrap_or(uid), owner.1.unwrap_or(gid))
}

/// An octal mode of 3 or 4 digits, as libcgroup's `-d/-f/-s` take it. A bad one exits 255,
/// its message on standard output with no colon after argv[0], where libcgroup prints it.
pub fn parse_mode(prog: &Prog, arg: &str) -> Result<u32> {
    let ok = (3..=4).contains(&arg.len()) && arg.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(arg, 8) {
        Ok(mode) if ok => Ok(mode),
        _ => {
            sys::print(&format!(
                "{} wrong mode format {arg}\n",
                prog.argv0_display()
            ))?;
            Err(Error::Silent(255))
        }
    }
}

/// Parse `args` with getopt; a getopt error becomes libcgroup's form: getopt's own line,
/// then the hint naming `help`, exit 129.
pub fn getopt(
    cmd: &Command,
    prog: &Prog,
    args: Vec<OsString>,
    order: Order,
    help: &str,
) -> Result<(Vec<Opt>, Vec<OsString>)> {
    let mut g = Getopt::new(cmd, args, order);
    let mut opts = Vec::new();
    for opt in g.by_ref() {
        match opt {
            Ok(o) => opts.push(o),
            Err(Error::Usage { message, .. }) => {
                return Err(usage(format!(
                    "{}: {message}\n{}",
                    prog.argv0_display(),
                    hint(prog, help)
                )));
            }
            Err(e) => return Err(e),
        }
    }
    Ok((opts, g.operands()))
}

/// Why a systemd scope could not be started.
#[derive(Debug)]
pub enum ScopeError {
    /// systemd could not be reached, or refused or failed the start: its lines, which
    /// libcgroup's tools print on standard output after `Error: `.
    Refused(Vec<String>),
    /// Anything else (the idle process could not be started, ...).
    Other(Error),
}

/// Start the transient scope `scope` in `slice`, delegated to its owner, made of `pid` or
/// else of an idle process of ours (a copy of this program named
/// [`cgroup::scope::IDLE_NAME`], which the binary's `main` must recognise), and wait for
/// systemd's job. Returns the scope's group: `SLICE/SCOPE` below the system's root, or for a
/// user's manager the group that manager reports. A failure kills the idle process again.
pub fn start_scope(
    slice: &str,
    scope: &str,
    pid: Option<u32>,
    owner: Owner,
) -> std::result::Result<GroupPath, ScopeError> {
    let idle = match pid {
        Some(_) => None,
        None => {
            Some(sys::process::spawn_idle(cgroup::scope::IDLE_NAME).map_err(ScopeError::Other)?)
        }
    };
    let unit = systemd::Scope {
        name: scope.to_owned(),
        slice: slice.to_owned(),
        description: "scope created by libcgroup".to_owned(),
        pids: vec![pid.or(idle.map(|c| c.0 as u32)).unwrap_or_default()],
        delegate: true,
    };
    let started = systemd::Manager::connect(bus_of(owner)).and_then(|manager| {
        manager.start_scope(&unit)?;
        match owner {
            Owner::System => Ok(format!("{slice}/{scope}")),
            Owner::User => manager.control_group(scope),
        }
    });
    match started {
        Ok(group) => GroupPath::parse(&group).map_err(|why| ScopeError::Other(usage_msg(why))),
        Err(e) => {
            if let Some(child) = idle {
                child.kill_and_reap();
            }
            Err(ScopeError::Refused(e.lines()))
        }
    }
}

/// Read the hierarchies; none mounted is libcgroup's "Cgroup is not mounted".
pub fn hierarchies() -> Result<Hierarchies> {
    let all = Hierarchies::discover()?;
    if all.mode().is_none() {
        return Err(cgroup::Ecg::NotMounted.error());
    }
    Ok(all)
}

/// A group path from the command line; a bad one is a usage error naming the problem.
pub fn group_path(text: &str) -> Result<GroupPath> {
    GroupPath::parse(text).map_err(usage_msg)
}

/// A group named on the command line: checked, and kept as typed, so that the default
/// systemd scope can apply to it when the run starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName {
    /// The name as typed.
    pub typed: String,
    /// The group as typed (no default scope).
    pub path: GroupPath,
}

/// [`group_path`], keeping the text.
pub fn group_name(text: &str) -> Result<GroupName> {
    Ok(GroupName {
        typed: text.to_owned(),
        path: group_path(text)?,
    })
}

impl GroupName {
    /// The group this name means under `names`.
    pub fn resolve(&self, names: &Names) -> Result<GroupPath> {
        names.resolve(&self.typed).map_err(usage_msg)
    }
}

/// `-r name=value`: the name needs a controller prefix (`memory.max`), the value may contain
/// `=` but not be empty, or hold a newline (libcgroup skipped such a value silently).
pub fn parse_rule(arg: &str) -> Result<(String, String)> {
    let bad = || usage_msg(format!("wrong parameter of option -r: {arg}"));
    let (name, value) = arg.split_once('=').ok_or_else(bad)?;
    if name.is_empty() || value.is_empty() || !name.contains('.') || name.starts_with('.') {
        return Err(bad());
    }
    if value.trim_end_matches('\n').contains('\n') {
        return Err(Error::msg(format!("the value of {name} holds a newline"))
            .with_status(cgroup::Ecg::Inval.status()));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// The hierarchy of a setting's controller (`cgroup.*` is the v2 hierarchy's own).
pub fn hierarchy_of(all: &Hierarchies, name: &str) -> Result<Hierarchy> {
    let controller = name.split('.').next().unwrap_or_default();
    let found = if controller == "cgroup" {
        all.unified()
    } else {
        all.for_controller(controller).cloned()
    };
    found.ok_or_else(|| {
        Error::msg(format!("controller {controller} can't be added"))
            .with_status(cgroup::Ecg::SubsysNotMounted.status())
    })
}

/// Every descendant of `group`, parents before their children.
pub fn descendants(group: &cgroup::Group<'_>, out: &mut Vec<GroupPath>) {
    for child in group.children().unwrap_or_default() {
        out.push(child.clone());
        descendants(&group.hierarchy().group(&child), out);
    }
}

/// For the tools' unit tests: the plan a command line makes (help is a test failure).
#[cfg(test)]
pub fn plan_of<P>(
    parse: fn(&sys::Prog, Vec<OsString>) -> Result<Action<P>>,
    name: &str,
    args: &[&str],
) -> Result<P> {
    match parse(
        &sys::Prog::new(None, name),
        args.iter().map(OsString::from).collect(),
    )? {
        Action::Run(plan) => Ok(plan),
        Action::Print(_) => panic!("{name}: printed help"),
    }
}

/// `-J`/`--json`, our option of `cgget`, `cgxget`, `lscgroup` and `lssubsys` (libcgroup has
/// none): JSON through the libsmartcols-style table, laid out as `LIBSMARTCOLS_JSON` says.
pub fn json_option() -> Arg {
    Arg::new("json")
        .short('J')
        .long("json")
        .action(ArgAction::SetTrue)
        .help("use JSON output format")
}

/// A table for JSON output named `name` (the top-level key), with these columns (JSON keys
/// are their lower-case names).
pub fn json_table(name: &str, columns: &[(&str, table::DataType)]) -> table::Table {
    let mut t = table::Table::new(name);
    t.set_json(true);
    for (column, data_type) in columns {
        t.add_column(table::ColumnSpec::plain(column, *data_type));
    }
    t
}

/// Print a table to stdout.
pub fn print_table(t: &table::Table) -> Result<()> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = t.print(&mut out);
    sys::print(&String::from_utf8_lossy(&out))
}

/// Words as a JSON array of strings.
pub fn json_strings<S: AsRef<str>>(words: &[S]) -> table::JsonValue {
    table::JsonValue::Array(
        words
            .iter()
            .map(|w| table::JsonValue::String(w.as_ref().to_owned()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Option<Spec> {
        Spec::parse(text).unwrap()
    }

    #[test]
    fn group_specs() {
        let s = spec("memory,,cpu:/a/b").unwrap();
        assert_eq!(
            s.controllers,
            Controllers::Named(vec!["memory".into(), "cpu".into()])
        );
        assert_eq!(s.path.as_str(), "a/b");
        assert_eq!(spec("memory::g").unwrap().path.as_str(), "g");
        assert_eq!(spec("*:g").unwrap().controllers, Controllers::All);
        assert_eq!(spec(":g").unwrap().controllers, Controllers::Unified);
        for bad in ["memory", "memory:", ",:g", "cpu:g:extra"] {
            assert_eq!(spec(bad), None, "{bad}");
        }
        assert!(Spec::parse("memory:../x").is_err());
        assert!(Spec::parse("memory:a//b").is_err());
    }

    #[test]
    fn modes_and_owners() {
        let prog = Prog::new(None, "cgcreate");
        assert_eq!(parse_mode(&prog, "0775").ok(), Some(0o775));
        assert_eq!(parse_mode(&prog, "644").ok(), Some(0o644));
        for bad in ["9999", "77", "07777", "rw"] {
            assert_eq!(parse_mode(&prog, bad).unwrap_err().status(), 255);
        }
        assert_eq!(parse_owner("root:root").ok(), Some((Some(0), Some(0))));
        assert_eq!(parse_owner("0:").ok(), Some((Some(0), None)));
        assert_eq!(parse_owner(":0").ok(), Some((None, Some(0))));
        let e = parse_owner("nsutils-no-such-user").unwrap_err();
        assert_eq!(
            e.to_string(),
            "can't find uid of user nsutils-no-such-user."
        );
        assert_eq!(e.status(), 129);
    }

    #[test]
    fn messages_name_the_program_by_argv0() {
        let prog = Prog::new(Some(std::ffi::OsStr::new("/x/bin/cgset")), "cgset");
        let named = |e: Error| named_by_argv0(&prog, || Err(e)).unwrap_err();
        let e = named(usage_msg("no cgroup specified"));
        assert_eq!(e.to_string(), "/x/bin/cgset: no cgroup specified");
        assert_eq!(e.status(), 129);
        // 2 is ENOENT.
        let e = named(Error::os("cannot remove group 'g'", sys::Errno(2)));
        assert_eq!(
            e.to_string(),
            "/x/bin/cgset: cannot remove group 'g': No such file or directory"
        );
        // A line libcgroup prints as it is stays as it is.
        assert_eq!(named(usage("cgget: x")).to_string(), "cgget: x");
        assert_eq!(
            wrong_input(&prog, "--help'").to_string(),
            "Wrong input parameters, try /x/bin/cgset --help' for more information."
        );
    }
}
