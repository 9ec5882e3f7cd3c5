//! `cgcreate`: create groups, in every hierarchy their controllers live in.

use std::ffi::OsString;

use cgroup::scope::{self, Names, Owner};
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
            flag("scope", Some('c'), "scope", "start a delegated systemd scope SLICE.slice/SCOPE.scope[/sub/groups]\n  and create the groups inside it"),
            required("pid", Some('p'), "pid", "pid", "the process that makes up the scope (default: an idle process)"),
            flag("setdefault", Some('S'), "setdefault", "make the scope the default scope of later group names"),
            common::user_scope(),
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
    /// `-c`: start a systemd scope first.
    pub scope: Option<ScopeRequest>,
    /// Whose default scope names are read below.
    pub defaults: common::Defaults,
}

/// `-c`, with `-S` and `-p`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeRequest {
    /// `-S`: make it the default scope.
    pub set_default: bool,
    /// `-p`: the process the scope is made of; none means an idle process of ours.
    pub pid: Option<u32>,
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
        access: Access::default(),
        scope: None,
        defaults: common::Defaults::default(),
    };
    let (mut admin, mut task) = (None, None);
    let (mut create_scope, mut set_default, mut pid) = (false, false, None);
    for opt in opts {
        let text = opt.text();
        if plan.defaults.take(&opt.id) {
            continue;
        }
        match opt.id.as_str() {
            "scope" => create_scope = true,
            "setdefault" => set_default = true,
            "pid" => pid = Some(parse_pid(&text)?),
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
    if plan.defaults.ignore && create_scope {
        return Err(usage_msg("\"-b\" and \"-c\" are mutually exclusive"));
    }
    if set_default && !create_scope {
        return Err(usage_msg("\"-S\" requires \"-c\" to be provided"));
    }
    if pid.is_some() && !create_scope {
        return Err(usage_msg("\"-p\" requires \"-c\" to be provided"));
    }
    if create_scope {
        plan.scope = Some(ScopeRequest { set_default, pid });
    }
    if let Some(extra) = operands.first() {
        return Err(usage_msg(format!(
            "wrong arguments ({})",
            extra.to_string_lossy()
        )));
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

/// Create every group; if one fails, remove every directory this run made. With `-c`, each
/// group's scope is started first.
pub fn execute(plan: &Plan) -> Result<()> {
    let all = common::hierarchies()?;
    // With -c, names are the scopes' own; otherwise below the default scope.
    let names = match plan.scope {
        Some(_) => Names::as_typed(),
        None => plan.defaults.names(&all),
    };
    let specs = common::resolve(&plan.specs, &names)?;
    // Resolve everything first: an unknown controller creates nothing.
    let mut work = Vec::new();
    for spec in &specs {
        let targets = spec.hierarchies(&all).map_err(|name| unknown(&name))?;
        work.push((spec, targets));
    }
    // Our other tools wait while this one makes groups in several hierarchies.
    let _turn = all.lock_tree();
    let mut made = Vec::new();
    for (spec, targets) in &work {
        let path = match &plan.scope {
            Some(request) => start_scope(spec, request, plan.defaults.owner)?,
            None => spec.path.clone(),
        };
        for (hierarchy, controllers) in targets {
            let group = hierarchy.group(&path);
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
                // The name as typed, as libcgroup prints it (not the group below the
                // default scope it stands for).
                return Err(e.context(format!("can't create cgroup {}", spec.typed)));
            }
        }
    }
    Ok(())
}

/// `-p`: a pid as libcgroup reads it (atoi: leading digits, anything after them ignored);
/// 0, 1 and non-numbers are refused.
fn parse_pid(text: &str) -> Result<u32> {
    let trimmed = text.trim_start();
    let digits: String = trimmed
        .strip_prefix('+')
        .unwrap_or(trimmed)
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    match digits.parse::<u32>() {
        Ok(pid) if pid > 1 && !trimmed.starts_with('-') => Ok(pid),
        _ => Err(usage_msg(format!("Invalid pid {text}"))),
    }
}

/// `SLICE/SCOPE[/SUB]` of a `-c` group name (its first two components and the rest), or
/// libcgroup's complaint.
fn scope_of(spec: &Spec) -> std::result::Result<(String, String, Option<String>), String> {
    let name = spec.typed.as_str();
    let mut parts = spec.path.as_str().splitn(3, '/');
    let (Some(slice), Some(scope)) = (parts.next(), parts.next()) else {
        return Err(format!("cgroup name does not contain a slash: {name}"));
    };
    let sub = parts.next().map(str::to_owned);
    let bare = scope.strip_suffix(".scope").unwrap_or(scope);
    // systemd would quietly rename a scope named after a controller (_cpu.scope).
    if CONTROLLER_NAMES.contains(&bare) {
        return Err(format!("Invalid scope name, using controller name {bare}"));
    }
    Ok((slice.to_owned(), scope.to_owned(), sub))
}

/// The names systemd reserves for its controllers, which a scope may not take.
const CONTROLLER_NAMES: [&str; 13] = [
    "cpu",
    "cpuacct",
    "cpuset",
    "io",
    "blkio",
    "memory",
    "devices",
    "pids",
    "bpf-firewall",
    "bpf-devices",
    "bpf-foreign",
    "bpf-socket-bind",
    "bpf-restrict-network-interfaces",
];

/// Start the scope `spec` names (a delegated scope of the idle process or `-p`'s) and wait for
/// its job; with `-S` make it the default. Returns the group to create: `SLICE/SCOPE[/SUB]`
/// below the system's root, as libcgroup has it, or for a user's manager below that
/// manager's own group (which systemd tells). A failure prints libcgroup's `Error:` line(s)
/// on standard output and is `can't create cgroup NAME: ...`.
fn start_scope(spec: &Spec, request: &ScopeRequest, owner: Owner) -> Result<GroupPath> {
    let failed = |ecg: Ecg, lines: &[String]| -> Result<GroupPath> {
        for line in lines {
            sys::print(&format!("Error: {line}\n"))?;
        }
        Err(ecg
            .error()
            .context(format!("can't create cgroup {}", spec.typed)))
    };
    let (slice, scope, sub) = match scope_of(spec) {
        Ok(names) => names,
        Err(why) => return failed(Ecg::Inval, &[why]),
    };
    let group = match common::start_scope(&slice, &scope, request.pid, owner) {
        Ok(group) => group,
        Err(common::ScopeError::Refused(lines)) => return failed(Ecg::Fail, &lines),
        Err(common::ScopeError::Other(e)) => {
            return Err(e.context(format!("can't create cgroup {}", spec.typed)));
        }
    };
    if request.set_default && scope::set_default(owner, &group).is_err() {
        let file = owner
            .file()
            .map_or_else(String::new, |f| f.display().to_string());
        return Err(Ecg::Inval
            .error()
            .context(format!("failed to write default {slice}/{scope} to {file}")));
    }
    Ok(match sub {
        Some(sub) => group.join(&sub),
        None => group,
    })
}

fn unknown(name: &str) -> Error {
    if name.is_empty() {
        return Ecg::NotMounted.error().context("cgroup v2 is not mounted");
    }
    Error::msg(format!("controller {name} can't be added")).with_status(Ecg::Inval.status())
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
    fn scope_options() {
        let p = plan(&["-c", "-S", "-p", "42", "-g", "cpu:a.slice/b.scope"]).unwrap();
        assert_eq!(
            p.scope,
            Some(ScopeRequest {
                set_default: true,
                pid: Some(42)
            })
        );
        assert_eq!(
            plan(&["--user", "-g", "cpu:x"]).unwrap().defaults.owner,
            Owner::User
        );
        assert!(plan(&["-b", "-g", "cpu:x"]).unwrap().defaults.ignore);
        // atoi: digits first, the rest ignored; below 2 refused.
        assert_eq!(parse_pid("12abc").ok(), Some(12));
        for bad in ["abc", "1", "0", "-5", ""] {
            assert_eq!(
                parse_pid(bad).unwrap_err().to_string(),
                format!("Invalid pid {bad}")
            );
        }
        let spec = |text: &str| Spec::parse(text).unwrap().unwrap();
        assert_eq!(
            scope_of(&spec("cpu:a.slice/b.scope/x/y")),
            Ok(("a.slice".into(), "b.scope".into(), Some("x/y".into())))
        );
        assert_eq!(
            scope_of(&spec("cpu:b.scope")),
            Err("cgroup name does not contain a slash: b.scope".into())
        );
        assert_eq!(
            scope_of(&spec("cpu:a.slice/pids.scope")),
            Err("Invalid scope name, using controller name pids".into())
        );
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
