//! `cgconfigparser`: load cgconfig.conf(5) files: mount the hierarchies, start the systemd
//! scopes and create the groups they describe.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use cgroup::config::{self, Config, LoadError, Mount, Perm};
use cgroup::scope::{self, Owner};
use cgroup::{Ecg, GroupPath, Hierarchies};
use clap::{Arg, Command};
use sys::cli::{self, Order, flag, required};
use sys::mount::Restrictions;
use sys::{Error, Prog, Result, Status};

use crate::common::{self, Action};

/// How libcgroup's hint spells the help option.
const HELP: &str = "'-h'";

/// The usage line of `-h` and the man page.
pub const USAGE: &str = "cgconfigparser [-h] [-f mode] [-d mode] [-s mode] [-t <tuid>:<tgid>] \
                         [-a <auid>:<agid>] [-l FILE] [-L DIR] ...";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgconfigparser")
        .about("Parse and load the specified cgroups configuration files.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            required(
                "load",
                Some('l'),
                "load",
                "file",
                "parse and load the cgroups configuration file (repeatable)",
            ),
            required(
                "load-directory",
                Some('L'),
                "load-directory",
                "dir",
                "parse and load the *.conf files of a directory, in name order",
            ),
            required(
                "admin",
                Some('a'),
                "admin",
                "user:group",
                "default owner of the groups' directories and files",
            ),
            required(
                "task",
                Some('t'),
                "task",
                "user:group",
                "default owner of the task files",
            ),
            required(
                "dperm",
                Some('d'),
                "dperm",
                "mode",
                "default mode of the groups' directories (octal)",
            ),
            required(
                "fperm",
                Some('f'),
                "fperm",
                "mode",
                "default mode of the setting files (octal)",
            ),
            required(
                "tperm",
                Some('s'),
                "tperm",
                "mode",
                "default mode of the task files (octal)",
            ),
            flag("help", Some('h'), "help", "display this help"),
            Arg::new("extra").num_args(0..).hide(true),
        ])
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The files to load, in order (`-L` directories expanded where they stood).
    pub files: Vec<PathBuf>,
    /// The `perm` defaults of `-a`, `-t`, `-d`, `-f`, `-s`.
    pub defaults: Perm,
}

/// Build the plan, or the help text. As libcgroup, the options are taken in order: a `-L`
/// directory that cannot be read ends the run (status 1) before the options after it.
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action<Plan>> {
    if args.is_empty() {
        return Err(common::wrong_input(prog, HELP));
    }
    let cmd = command();
    let (opts, operands) = common::getopt(&cmd, prog, args, Order::Permute, HELP)?;
    let mut plan = Plan {
        files: Vec::new(),
        defaults: Perm::default(),
    };
    // libcgroup's status for a bad owner (its parser returns -1).
    let owner = |text: &str| common::parse_owner(text).map_err(|e| e.with_status(255));
    for opt in opts {
        let text = opt.text();
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "cgconfigparser(8)"))),
            "load" => plan
                .files
                .push(PathBuf::from(opt.value.clone().unwrap_or_default())),
            "load-directory" => {
                let dir = PathBuf::from(opt.value.clone().unwrap_or_default());
                let files = config::files_in(&dir).map_err(|e| Error::Plain {
                    text: format!(
                        "{}: cannot open {}: {}",
                        prog.argv0_display(),
                        dir.display(),
                        sys::errno::strerror(sys::Errno::from(&e).0)
                    ),
                    status: 1,
                })?;
                plan.files.extend(files);
            }
            "admin" => {
                let (uid, gid) = owner(&text)?;
                plan.defaults.admin_uid = uid;
                plan.defaults.admin_gid = gid;
            }
            "task" => {
                let (uid, gid) = owner(&text)?;
                plan.defaults.task_uid = uid;
                plan.defaults.task_gid = gid;
            }
            "dperm" => plan.defaults.admin_dperm = Some(common::parse_mode(prog, &text)?),
            "fperm" => plan.defaults.admin_fperm = Some(common::parse_mode(prog, &text)?),
            "tperm" => plan.defaults.task_fperm = Some(common::parse_mode(prog, &text)?),
            _ => {}
        }
    }
    if !operands.is_empty() {
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

/// Load every file; one that fails is reported (`PROG; error loading FILE: ...`) and the
/// next one is loaded all the same, as libcgroup does. The status is the first failure's.
pub fn execute(prog: &Prog, plan: &Plan) -> Result<Status> {
    let mut defaults = plan.defaults;
    let mut status = 0;
    for file in &plan.files {
        if let Err(e) = load(file, &mut defaults) {
            eprint(&format!(
                "{}; error loading {}: {e}",
                prog.argv0_display(),
                file.display()
            ));
            if status == 0 {
                status = e.status();
            }
        }
    }
    Ok(status)
}

fn eprint(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// libcgroup's `Error:` lines go to standard output.
fn upstream_error(text: &str) -> Result<()> {
    sys::print(&format!("Error: {text}\n"))
}

/// Load one file, as libcgroup's `cgroup_config_load_config`: parse; mount the `mount`
/// hierarchies; check the `namespace` entries; start the systemd scopes; create the groups.
/// A failure undoes what this load mounted and created. `defaults` is replaced by the file's
/// `default` section, for this file and the next ones.
fn load(file: &Path, defaults: &mut Perm) -> Result<()> {
    let shown = file.display().to_string();
    let all = Hierarchies::discover()?;
    let config = match config::parse_file(file, &all) {
        Ok(config) => config,
        Err(LoadError::Read(e)) => {
            upstream_error(&format!("failed to open file {shown}"))?;
            return Err(Ecg::Other.with_errno(e));
        }
        Err(LoadError::Parse(e)) => {
            let (line, on_stdout) = e.upstream_line();
            if on_stdout {
                sys::print(&format!("{line}\n"))?;
            } else {
                eprint(&line);
            }
            eprint(&e.ours(&shown));
            upstream_error(&format!("failed to parse file {shown}"))?;
            return Err(Ecg::ConfigParseFail.error());
        }
    };
    if !config.namespaces.is_empty() && !config.mounts.is_empty() {
        return Err(Ecg::MountNamespace.error());
    }
    let mut mounted = Mounted::default();
    let result = mounted
        .mount_all(&config.mounts)
        .and_then(|()| create(&config, defaults, &shown));
    if result.is_err() {
        mounted.undo();
    }
    result
}

/// After the mounts: the namespaces, the scopes, the groups.
fn create(config: &Config, defaults: &mut Perm, shown: &str) -> Result<()> {
    let all = Hierarchies::discover()?;
    if all.mode().is_none() {
        if config.groups.is_empty() && config.templates.is_empty() {
            return Ok(());
        }
        return Err(Ecg::NotMounted.error());
    }
    let below = config::apply::namespaces(&all, config)?;
    start_scopes(config)?;
    if let Some(perm) = config.default {
        *defaults = perm;
    }
    // Our other tools wait while this load makes groups in several hierarchies.
    let _turn = all.lock_tree();
    match config::apply_groups(&all, config, *defaults, &below) {
        Ok(_) => Ok(()),
        Err(e) => {
            upstream_error(&e.upstream)?;
            eprint(&format!("{shown}: {}", e.why));
            Err(e.error)
        }
    }
}

/// The `systemd` sections: each scope started (a scope started before a failing one stays:
/// it belongs to systemd, which ends it with its process); the last with `setdefault`
/// becomes the default scope. A file with such sections first forgets the old default, as
/// libcgroup does (a file without any leaves it, where libcgroup forgot it on every load).
fn start_scopes(config: &Config) -> Result<()> {
    if config.systemd.is_empty() {
        return Ok(());
    }
    let refused = || Ecg::ParseFail.error();
    if scope::forget_default(Owner::System).is_err() {
        upstream_error(&format!("Failed to remove {}", scope::SYSTEM_FILE))?;
        return Err(refused());
    }
    let mut default = None;
    for section in &config.systemd {
        let Some(slice) = &section.slice else {
            upstream_error("Invalid systemd setting, missing slice name.")?;
            return Err(refused());
        };
        let Some(name) = &section.scope else {
            upstream_error("Invalid systemd setting, missing scope name.")?;
            return Err(refused());
        };
        match common::start_scope(slice, name, section.pid, Owner::System) {
            Ok(group) => {
                if section.setdefault {
                    default = Some(group);
                }
            }
            Err(common::ScopeError::Refused(lines)) => {
                for line in lines {
                    upstream_error(&line)?;
                }
                return Err(refused());
            }
            Err(common::ScopeError::Other(e)) => return Err(e),
        }
    }
    if let Some(group) = default {
        set_default(&group)?;
    }
    Ok(())
}

fn set_default(group: &GroupPath) -> Result<()> {
    if scope::set_default(Owner::System, group).is_err() {
        upstream_error(&format!("Failed to create file {}", scope::SYSTEM_FILE))?;
        return Err(Ecg::ParseFail.error());
    }
    Ok(())
}

/// What this load mounted, to undo it.
#[derive(Default)]
struct Mounted {
    /// Mount points, in mount order.
    mounts: Vec<PathBuf>,
    /// Directories made for them.
    dirs: Vec<PathBuf>,
}

impl Mounted {
    /// Mount each hierarchy of the `mount` section (cgroup v1), making its directory if
    /// needed. A failure is libcgroup's: `cannot mount OPTIONS to PATH: REASON`, ECGMOUNTFAIL.
    fn mount_all(&mut self, mounts: &[Mount]) -> Result<()> {
        for m in mounts {
            let path = PathBuf::from(&m.path);
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    upstream_error(&format!(
                        "{} already exists but it is not a directory",
                        m.path
                    ))?;
                    return Err(Ecg::Other.with_errno(sys::Errno(sys::errno::ENOTDIR)));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.make_dirs(&path).map_err(|e| {
                        let _ = upstream_error(&format!("cannot create directory {}", m.path));
                        Ecg::Other.with_errno(e)
                    })?;
                }
                Err(e) => {
                    upstream_error(&format!(
                        "cannot access {}: {}",
                        m.path,
                        sys::errno::strerror(sys::Errno::from(&e).0)
                    ))?;
                    return Err(Ecg::Other.with_errno(e));
                }
            }
            let (options, restrictions) = mount_options(&m.controllers);
            if let Err(e) = sys::mount::mount_new("cgroup", &path, restrictions, Some(&options)) {
                let reason = match &e {
                    Error::Os { errno, .. } => sys::errno::strerror(*errno).into_owned(),
                    other => other.to_string(),
                };
                upstream_error(&format!("cannot mount {options} to {}: {reason}", m.path))?;
                return Err(Ecg::MountFail.error());
            }
            self.mounts.push(path);
        }
        Ok(())
    }

    /// `mkdir -p`, recording the directories made.
    fn make_dirs(&mut self, path: &Path) -> std::io::Result<()> {
        let mut missing = Vec::new();
        let mut p = path;
        while !p.exists() {
            missing.push(p.to_owned());
            match p.parent() {
                Some(parent) => p = parent,
                None => break,
            }
        }
        for dir in missing.into_iter().rev() {
            sys::fault::point_io("mkdir", sys::errno::EACCES)?;
            std::fs::create_dir(&dir)?;
            self.dirs.push(dir);
        }
        Ok(())
    }

    /// Unmount what was mounted and remove the directories made, last first.
    fn undo(&mut self) {
        for path in self.mounts.drain(..).rev() {
            let _ = sys::mount::detach(&path);
        }
        for dir in self.dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

/// The mount options of a `mount` entry's controllers, as libcgroup builds them: the
/// controllers, `name=` entries after a controller kept, `nodev`, `noexec`, `nosuid` as
/// flags; a hierarchy with only `name=` gets `none`.
fn mount_options(controllers: &str) -> (String, Restrictions) {
    let mut restrictions = Restrictions::default();
    let mut words: Vec<&str> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for word in controllers.split(',').filter(|w| !w.is_empty()) {
        match word {
            "nodev" => restrictions.nodev = true,
            "noexec" => restrictions.noexec = true,
            "nosuid" => restrictions.nosuid = true,
            w if w.starts_with("name=") => names.push(w),
            w => words.push(w),
        }
    }
    let name_only = words.is_empty();
    words.extend(names);
    if name_only {
        words.push("none");
    }
    (words.join(","), restrictions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        crate::common::plan_of(parse, "cgconfigparser", args)
    }

    #[test]
    fn options() {
        let p = plan(&[
            "-l",
            "a.conf",
            "--load=b.conf",
            "-a",
            "root:root",
            "-t",
            "0",
            "-d",
            "755",
            "-f",
            "0644",
            "-s",
            "600",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.files,
            vec![PathBuf::from("a.conf"), PathBuf::from("b.conf")]
        );
        assert_eq!(
            p.defaults,
            Perm {
                task_uid: Some(0),
                task_gid: None,
                task_fperm: Some(0o600),
                admin_uid: Some(0),
                admin_gid: Some(0),
                admin_dperm: Some(0o755),
                admin_fperm: Some(0o644),
            }
        );
    }

    #[test]
    fn refusals() {
        let status = |args: &[&str]| plan(args).err().map(|e| e.status());
        assert_eq!(status(&[]), Some(129));
        assert_eq!(status(&["-l", "x", "extra"]), Some(129));
        assert_eq!(status(&["--bogus"]), Some(129));
        assert_eq!(status(&["-a", "nsutils-no-such-user"]), Some(255));
        assert_eq!(status(&["-t", ":nsutils-no-such-group"]), Some(255));
        assert_eq!(status(&["-L", "/nonexistent-nsutils"]), Some(1));
    }

    #[test]
    fn mount_option_strings() {
        assert_eq!(mount_options("cpu,cpuacct").0, "cpu,cpuacct");
        assert_eq!(mount_options("name=x").0, "name=x,none");
        let (opts, r) = mount_options("cpu,name=x,nodev,nosuid");
        assert_eq!(opts, "cpu,name=x");
        assert!(r.nodev && r.nosuid && !r.noexec);
    }
}
