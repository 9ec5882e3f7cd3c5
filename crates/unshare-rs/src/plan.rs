//! What one `unshare` run will do, built from the command line before anything changes.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use sys::cli::{self, Getopt, Order};
use sys::idmap::{RangeSpec, SetgroupsMode};
use sys::mount::Propagation;
use sys::ns::{NsKind, NsSet};
use sys::{Error, Prog, Result, user};

use crate::cli::{USAGE, command};

/// The default binfmt_misc mount point.
pub const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text (`--help`, `--version`) and exit 0.
    Print(String),
    /// Run the plan.
    Run(Box<Plan>),
}

/// Everything an `unshare` run does, in data: no file descriptors, no side effects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Namespaces to unshare.
    pub namespaces: NsSet,
    /// Persistence files, bound to the new namespaces (`--net=FILE`).
    pub persist: Vec<(NsKind, PathBuf)>,
    /// Run the program as a child and wait for it.
    pub fork: bool,
    /// The child's parent-death signal (`--kill-child`).
    pub kill_child: Option<i32>,
    /// Forward SIGINT and SIGTERM to the child instead of holding them.
    pub forward_signals: bool,
    /// Where to mount a new proc.
    pub mount_proc: Option<PathBuf>,
    /// Where to mount binfmt_misc.
    pub mount_binfmt: Option<PathBuf>,
    /// A binfmt_misc rule to register.
    pub load_interp: Option<OsString>,
    /// Propagation for `/` in the new mount namespace.
    pub propagation: Propagation,
    /// New root directory.
    pub root: Option<PathBuf>,
    /// Working directory.
    pub wd: Option<PathBuf>,
    /// uid to switch to before exec.
    pub setuid: Option<u32>,
    /// gid to switch to before exec.
    pub setgid: Option<u32>,
    /// Inner uid for the current euid (single-id map).
    pub map_user: Option<u32>,
    /// Inner gid for the current egid (single-id map).
    pub map_group: Option<u32>,
    /// Range maps for users.
    pub map_users: Vec<RangeSpec>,
    /// Range maps for groups.
    pub map_groups: Vec<RangeSpec>,
    /// Credentials to create the user namespace with.
    pub owner: Option<(u32, u32)>,
    /// Explicit `/proc/self/setgroups` setting.
    pub setgroups: Option<SetgroupsMode>,
    /// Keep capabilities across exec (ambient set).
    pub keep_caps: bool,
    /// CLOCK_MONOTONIC offset.
    pub monotonic: Option<i64>,
    /// CLOCK_BOOTTIME offset.
    pub boottime: Option<i64>,
    /// The program's whole environment, in order, when it is not ours (`--clear-env`,
    /// `--whitelist-env`).
    pub environment: Option<Vec<(OsString, OsString)>>,
    /// The caller's effective uid and gid, read once at start.
    pub euid: u32,
    /// See `euid`.
    pub egid: u32,
    /// Where to write the pid of the process that runs the program (`--pid-file`).
    pub pid_file: Option<PathBuf>,
    /// The descriptor to write that pid and the new namespaces to, as JSON (`--info-fd`).
    pub info_fd: Option<i32>,
    /// The program and its arguments; empty means the login shell.
    pub program: Vec<OsString>,
}

impl Plan {
    fn new(euid: u32, egid: u32) -> Self {
        Plan {
            namespaces: NsSet::default(),
            persist: Vec::new(),
            fork: false,
            kill_child: None,
            forward_signals: false,
            mount_proc: None,
            mount_binfmt: None,
            load_interp: None,
            propagation: Propagation::Private,
            root: None,
            wd: None,
            setuid: None,
            setgid: None,
            map_user: None,
            map_group: None,
            map_users: Vec::new(),
            map_groups: Vec::new(),
            owner: None,
            setgroups: None,
            keep_caps: false,
            monotonic: None,
            boottime: None,
            environment: None,
            euid,
            egid,
            pid_file: None,
            info_fd: None,
            program: Vec::new(),
        }
    }

    fn namespace(&mut self, kind: NsKind, file: Option<OsString>) {
        self.namespaces.insert(kind);
        if let Some(file) = file {
            self.persist.retain(|(k, _)| *k != kind);
            self.persist.push((kind, PathBuf::from(file)));
        }
    }
}

/// Build the action from the arguments after argv[0], for the caller with these ids.
pub fn parse(prog: &Prog, args: Vec<OsString>, euid: u32, egid: u32) -> Result<Action> {
    let cmd = command();
    let mut plan = Plan::new(euid, egid);
    let mut binfmt_default = false;
    let mut getopt =
        Getopt::new(&cmd, args, Order::StopAtOperand).own_options(&crate::cli::OWN_OPTIONS);
    for opt in getopt.by_ref() {
        let opt = opt?;
        let value = opt.value.clone();
        let text = opt.text();
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "unshare(1)"))),
            "version" => {
                return Ok(Action::Print(cli::version(&prog.name, "util-linux 2.42")));
            }
            "mount" => plan.namespace(NsKind::Mount, value),
            "uts" => plan.namespace(NsKind::Uts, value),
            "ipc" => plan.namespace(NsKind::Ipc, value),
            "net" => plan.namespace(NsKind::Net, value),
            "pid" => plan.namespace(NsKind::Pid, value),
            "user" => plan.namespace(NsKind::User, value),
            "cgroup" => plan.namespace(NsKind::Cgroup, value),
            "time" => plan.namespace(NsKind::Time, value),
            "fork" => plan.fork = true,
            "kill-child" => {
                plan.fork = true;
                plan.kill_child = Some(match value {
                    None => sys::signal::SIGKILL,
                    Some(_) => sys::signal::parse_signal_name(&text)
                        .ok_or_else(|| Error::msg(format!("unknown signal: {text}")))?,
                });
            }
            "forward-signals" => {
                plan.fork = true;
                plan.forward_signals = true;
            }
            "mount-proc" => {
                plan.namespaces.insert(NsKind::Mount);
                plan.mount_proc = Some(value.map_or_else(|| PathBuf::from("/proc"), PathBuf::from));
            }
            "mount-binfmt" => {
                plan.namespaces.insert(NsKind::Mount);
                plan.namespaces.insert(NsKind::User);
                binfmt_default = value.is_none();
                plan.mount_binfmt =
                    Some(value.map_or_else(|| PathBuf::from(BINFMT_DIR), PathBuf::from));
            }
            "load-interp" => {
                plan.namespaces.insert(NsKind::Mount);
                plan.namespaces.insert(NsKind::User);
                plan.load_interp = value;
                if plan.mount_binfmt.is_none() {
                    binfmt_default = true;
                    plan.mount_binfmt = Some(PathBuf::from(BINFMT_DIR));
                }
            }
            "propagation" => plan.propagation = Propagation::parse(&text)?,
            "setgroups" => plan.setgroups = Some(SetgroupsMode::parse(&text)?),
            "keep-caps" => plan.keep_caps = true,
            "root" => plan.root = value.map(PathBuf::from),
            "wd" => plan.wd = value.map(PathBuf::from),
            "setuid" => plan.setuid = Some(cli::parse_u32(&text, "failed to parse uid")?),
            "setgid" => plan.setgid = Some(cli::parse_u32(&text, "failed to parse gid")?),
            "map-user" => {
                plan.namespaces.insert(NsKind::User);
                plan.map_user = Some(
                    user::uid_by_name_or_number(&text)
                        .ok_or_else(|| Error::msg(format!("failed to parse uid '{text}'")))?,
                );
            }
            "map-group" => {
                plan.namespaces.insert(NsKind::User);
                plan.map_group = Some(
                    user::gid_by_name_or_number(&text)
                        .ok_or_else(|| Error::msg(format!("failed to parse gid '{text}'")))?,
                );
            }
            "map-root-user" => {
                plan.namespaces.insert(NsKind::User);
                plan.map_user = Some(0);
                plan.map_group = Some(0);
            }
            "map-current-user" => {
                plan.namespaces.insert(NsKind::User);
                plan.map_user = Some(euid);
                plan.map_group = Some(egid);
            }
            "map-users" => {
                plan.namespaces.insert(NsKind::User);
                plan.map_users.push(RangeSpec::parse(&text)?);
            }
            "map-groups" => {
                plan.namespaces.insert(NsKind::User);
                plan.map_groups.push(RangeSpec::parse(&text)?);
            }
            "map-auto" | "map-subids" => {
                let spec = if opt.id == "map-auto" {
                    RangeSpec::Auto
                } else {
                    RangeSpec::Subids
                };
                plan.namespaces.insert(NsKind::User);
                plan.map_users.push(spec);
                plan.map_groups.push(spec);
            }
            "owner" => {
                plan.namespaces.insert(NsKind::User);
                plan.owner = Some(parse_owner(&text)?);
            }
            "monotonic" => {
                plan.monotonic = Some(cli::parse_i64(&text, "failed to parse monotonic offset")?);
            }
            "boottime" => {
                plan.boottime = Some(cli::parse_i64(&text, "failed to parse boottime offset")?);
            }
            "clear-env" => {
                plan.environment.get_or_insert_with(Vec::new);
            }
            "whitelist-env" => {
                // The values are taken now, as util-linux takes them while reading options.
                let kept = plan.environment.get_or_insert_with(Vec::new);
                let text = value.unwrap_or_default();
                for name in text.as_encoded_bytes().split(|b| *b == b',') {
                    let name = OsStr::from_bytes(name);
                    // A name with `=` names no variable (glibc's getenv would match the start
                    // of one, whose value setenv then refuses).
                    if name.is_empty() || name.as_encoded_bytes().contains(&b'=') {
                        continue;
                    }
                    if let Some(v) = std::env::var_os(name) {
                        kept.push((name.to_owned(), v));
                    }
                }
            }
            "pid-file" => plan.pid_file = value.map(PathBuf::from),
            "info-fd" => plan.info_fd = Some(parse_fd(&text)?),
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    plan.program = getopt.operands();
    if let Some(vars) = &mut plan.environment {
        // util-linux sets the names it kept last-named first, and a name again only once.
        vars.reverse();
        let mut seen = std::collections::HashSet::new();
        vars.retain(|(name, _)| seen.insert(name.clone()));
    }
    if binfmt_default && plan.mount_proc.is_none() {
        // The default binfmt_misc directory lives in proc: it needs a proc of the new
        // namespaces underneath.
        plan.mount_proc = Some(PathBuf::from("/proc"));
    }
    check(&plan)?;
    Ok(Action::Run(Box::new(plan)))
}

/// Combinations refused before anything is changed.
fn check(plan: &Plan) -> Result<()> {
    if (plan.monotonic.is_some() || plan.boottime.is_some())
        && !plan.namespaces.contains(NsKind::Time)
    {
        return Err(Error::msg(
            "options --monotonic and --boottime require unsharing of a time namespace (-T)",
        ));
    }
    // Only a single gid map written from inside needs setgroups denied: one that goes
    // through the helper (with ranges or --owner) does not.
    let own_gid_map =
        plan.map_group.is_some() && plan.map_groups.is_empty() && plan.owner.is_none();
    if plan.setgroups == Some(SetgroupsMode::Allow) && own_gid_map {
        return Err(Error::msg(
            "options --setgroups=allow and --map-group are mutually exclusive",
        ));
    }
    Ok(())
}

/// A descriptor number, with util-linux's message for one (nsenter's `--net-socket`), from 0
/// to INT_MAX: a negative number is out of range (nsenter takes it as "none").
fn parse_fd(arg: &str) -> Result<i32> {
    let fd = cli::parse_i64_in(
        arg,
        "failed to parse file descriptor",
        0..=i64::from(i32::MAX),
    )?;
    // In range, so it fits.
    Ok(fd as i32)
}

/// `--owner=UID:GID`, numbers only, each read as sscanf's %u reads it (blanks and a `+`
/// before the digits), except that a negative or too large number is refused rather than
/// wrapped around (util-linux takes `-1` as no owner at all).
fn parse_owner(arg: &str) -> Result<(u32, u32)> {
    let id = |text: &str| {
        cli::unsigned_number(text, u64::from(u32::MAX) - 1)
            .ok()
            .map(|v| v as u32)
    };
    arg.split_once(':')
        .and_then(|(u, g)| Some((id(u)?, id(g)?)))
        .ok_or_else(|| Error::msg("failed to parse owner"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        let prog = Prog::new(None, "unshare");
        match parse(&prog, args.iter().map(OsString::from).collect(), 1000, 1000)? {
            Action::Run(p) => Ok(*p),
            Action::Print(_) => panic!("printed"),
        }
    }

    fn err(args: &[&str]) -> String {
        plan(args)
            .map(|p| format!("{p:?}"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn namespaces_and_persistence() {
        let p = plan(&["-fpmuin", "--net=/run/n", "--mount-p", "true", "-u"]).unwrap();
        for k in [
            NsKind::Pid,
            NsKind::Mount,
            NsKind::Uts,
            NsKind::Ipc,
            NsKind::Net,
        ] {
            assert!(p.namespaces.contains(k));
        }
        assert!(!p.namespaces.contains(NsKind::User));
        assert!(p.fork);
        assert_eq!(p.persist, vec![(NsKind::Net, PathBuf::from("/run/n"))]);
        assert_eq!(p.mount_proc, Some(PathBuf::from("/proc")));
        assert_eq!(p.program, ["true", "-u"]);
        // A detached argument is the program, not the persistence file.
        let p = plan(&["--net", "/x"]).unwrap();
        assert!(p.persist.is_empty());
        assert_eq!(p.program, ["/x"]);
    }

    #[test]
    fn maps() {
        let p = plan(&["-r"]).unwrap();
        assert_eq!((p.map_user, p.map_group), (Some(0), Some(0)));
        assert!(p.namespaces.contains(NsKind::User));
        let p = plan(&["-c"]).unwrap();
        assert_eq!((p.map_user, p.map_group), (Some(1000), Some(1000)));
        let p = plan(&["--map-user=root", "--map-group", "0"]).unwrap();
        assert_eq!((p.map_user, p.map_group), (Some(0), Some(0)));
        let p = plan(&[
            "--map-users=0:100000:10",
            "--map-users",
            "10,200000,5",
            "--map-auto",
        ])
        .unwrap();
        assert_eq!(p.map_users.len(), 3);
        assert_eq!(p.map_groups, vec![RangeSpec::Auto]);
        assert_eq!(p.owner, None);
        assert_eq!(plan(&["--owner=1:2"]).unwrap().owner, Some((1, 2)));
    }

    #[test]
    fn kill_child_and_signals() {
        assert_eq!(plan(&["--kill-child"]).unwrap().kill_child, Some(9));
        assert_eq!(
            plan(&["--kill-child=SIGTERM"]).unwrap().kill_child,
            Some(15)
        );
        assert_eq!(plan(&["--kill-child=term"]).unwrap().kill_child, Some(15));
        assert_eq!(err(&["--kill-child=15"]), "unknown signal: 15");
        let p = plan(&["--forward-signals"]).unwrap();
        assert!(p.fork && p.forward_signals);
    }

    #[test]
    fn bad_input() {
        assert_eq!(
            err(&["--propagation", "sideways"]),
            "unsupported propagation mode: sideways"
        );
        assert_eq!(
            err(&["--setgroups=maybe"]),
            "unsupported --setgroups argument 'maybe'"
        );
        assert_eq!(
            err(&["-r", "--setgroups=allow"]),
            "options --setgroups=allow and --map-group are mutually exclusive"
        );
        assert_eq!(
            err(&["--monotonic", "5"]),
            "options --monotonic and --boottime require unsharing of a time namespace (-T)"
        );
        assert_eq!(
            err(&["-T", "--boottime", "1.5"]),
            "failed to parse boottime offset: '1.5'"
        );
        assert_eq!(
            err(&["-S", "-1"]),
            "failed to parse uid: '-1': Numerical result out of range"
        );
        assert_eq!(
            plan(&["-S", "+5", "-G", " 6"])
                .map(|p| (p.setuid, p.setgid))
                .ok(),
            Some((Some(5), Some(6)))
        );
        assert_eq!(
            plan(&["--map-user=+5", "--map-group= 6"])
                .map(|p| (p.map_user, p.map_group))
                .ok(),
            Some((Some(5), Some(6)))
        );
        assert_eq!(
            err(&["--map-user=4294967295"]),
            "failed to parse uid '4294967295'"
        );
        assert_eq!(
            plan(&["--owner= +1:2"]).map(|p| p.owner).ok(),
            Some(Some((1, 2)))
        );
        assert_eq!(
            err(&["-S", "4294967296"]),
            "failed to parse uid: '4294967296': Numerical result out of range"
        );
        assert_eq!(
            err(&["--map-user=no-such-user-here"]),
            "failed to parse uid 'no-such-user-here'"
        );
        assert_eq!(err(&["--map-users=1,2"]), "invalid mapping '1,2'");
        for bad in [
            "x",
            "1",
            "1:2x",
            "-1:0",
            "1:4294967296",
            "root:root",
            "1 :2",
        ] {
            assert_eq!(
                err(&[&format!("--owner={bad}")]),
                "failed to parse owner",
                "{bad}"
            );
        }
        assert_eq!(err(&["--bogus"]), "unrecognized option '--bogus'");
    }

    #[test]
    fn handles() {
        let p = plan(&["--pid-file", "/run/p", "--info-fd=3", "-f", "true"]).unwrap();
        assert_eq!(p.pid_file, Some(PathBuf::from("/run/p")));
        assert_eq!(p.info_fd, Some(3));
        assert_eq!(p.program, ["true"]);
        // The last one wins, as for other options with a value.
        let p = plan(&[
            "--pid-file=a",
            "--pid-file=b",
            "--info-fd",
            " +4",
            "--info-fd",
            "5",
        ]);
        assert_eq!(
            p.as_ref().ok().map(|p| (&p.pid_file, p.info_fd)),
            Some((&Some("b".into()), Some(5)))
        );
        assert_eq!(plan(&[]).unwrap().info_fd, None);
        assert_eq!(
            err(&["--info-fd", "-3"]),
            "failed to parse file descriptor: '-3': Numerical result out of range"
        );
        assert_eq!(
            err(&["--info-fd", "3 "]),
            "failed to parse file descriptor: '3 '"
        );
    }

    #[test]
    fn environment_options() {
        assert_eq!(plan(&["true"]).unwrap().environment, None);
        assert_eq!(plan(&["--clear-env"]).unwrap().environment, Some(vec![]));
        let path = std::env::var_os("PATH").unwrap_or_default();
        // Unset names are passed over; a name named twice is kept once.
        let p = plan(&[
            "--whitelist-env=PATH,NSUTILS_SURELY_UNSET,PATH",
            "--whitelist-env",
            "",
        ]);
        assert_eq!(p.unwrap().environment, Some(vec![("PATH".into(), path)]));
        assert_eq!(
            plan(&["--whitelist-env=NSUTILS_SURELY_UNSET"])
                .unwrap()
                .environment,
            Some(vec![])
        );
    }

    #[test]
    fn binfmt_brings_proc() {
        let p = plan(&["--mount-binfmt"]).unwrap();
        assert_eq!(p.mount_binfmt, Some(PathBuf::from(BINFMT_DIR)));
        assert_eq!(p.mount_proc, Some(PathBuf::from("/proc")));
        assert!(p.namespaces.contains(NsKind::User) && p.namespaces.contains(NsKind::Mount));
        let p = plan(&["--mount-binfmt=/b"]).unwrap();
        assert_eq!(p.mount_proc, None);
        let p = plan(&["-l", ":x:E::x::/bin/true:"]).unwrap();
        assert_eq!(p.mount_binfmt, Some(PathBuf::from(BINFMT_DIR)));
    }

    #[test]
    fn help_and_version_print_in_order() {
        let prog = Prog::new(None, "unshare");
        let run = |a: &[&str]| parse(&prog, a.iter().map(OsString::from).collect(), 0, 0);
        assert!(
            matches!(run(&["--help", "--bogus"]), Ok(Action::Print(t)) if t.starts_with("\nUsage:\n unshare"))
        );
        assert!(run(&["--bogus", "--help"]).is_err());
        assert!(
            matches!(run(&["-V"]), Ok(Action::Print(t)) if t.starts_with("unshare from nsutils"))
        );
    }
}
