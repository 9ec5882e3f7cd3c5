//! What one `nsenter` run will do, built from the command line before anything changes.

use std::ffi::OsString;
use std::path::PathBuf;

use sys::cli::{self, Getopt, Order};
use sys::ns::NsKind;
use sys::{Error, Prog, Result, user};

use crate::cli::{USAGE, command};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text (`--help`, `--version`) and exit 0.
    Print(String),
    /// Run the plan.
    Run(Box<Plan>),
}

/// Where a namespace comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The target process's namespace of that kind.
    Target,
    /// A namespace file given on the command line.
    File(PathBuf),
}

/// A directory option: the target's, or a named one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dir {
    /// The target's root or working directory.
    Target,
    /// This directory.
    Path(PathBuf),
}

/// A uid or gid option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    /// This id.
    Is(u32),
    /// The target's (`follow`).
    Follow,
}

/// Everything an `nsenter` run does, in data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The target pid, and the inode of its pidfd when given as `PID:INODE`.
    pub target: Option<(u32, Option<u64>)>,
    /// Enter every namespace of the target.
    pub all: bool,
    /// The namespaces to enter, in table order, with their sources.
    pub namespaces: Vec<(NsKind, Source)>,
    /// `--setuid`.
    pub uid: Option<Id>,
    /// `--setgid`.
    pub gid: Option<Id>,
    /// `--preserve-credentials`.
    pub preserve_credentials: bool,
    /// `--keep-caps`.
    pub keep_caps: bool,
    /// `--root`.
    pub root: Option<Dir>,
    /// `--wd`.
    pub wd: Option<Dir>,
    /// `--wdns`.
    pub wdns: Option<Dir>,
    /// `--env`.
    pub env: bool,
    /// `--no-fork`.
    pub no_fork: bool,
    /// `--join-cgroup`.
    pub join_cgroup: bool,
    /// The program and its arguments; empty means the login shell.
    pub program: Vec<OsString>,
}

impl Plan {
    fn namespace(&mut self, kind: NsKind, value: Option<OsString>) {
        let source = value.map_or(Source::Target, |f| Source::File(PathBuf::from(f)));
        self.namespaces.retain(|(k, _)| *k != kind);
        self.namespaces.push((kind, source));
    }

    /// Whether the namespaces include `kind`.
    pub fn enters(&self, kind: NsKind) -> bool {
        self.namespaces.iter().any(|(k, _)| *k == kind)
    }
}

fn dir(value: Option<OsString>) -> Dir {
    value.map_or(Dir::Target, |d| Dir::Path(PathBuf::from(d)))
}

fn parse_id(text: &str, what: &str, by_name: fn(&str) -> Option<u32>) -> Result<Id> {
    if text == "follow" {
        return Ok(Id::Follow);
    }
    by_name(text)
        .map(Id::Is)
        .ok_or_else(|| Error::msg(format!("failed to parse {what}: '{text}'")))
}

/// Parse `PID` or `PID:INODE`.
fn parse_target(text: &str) -> Result<(u32, Option<u64>)> {
    let bad = || {
        Error::os(
            format!("failed to parse PID argument '{text}'"),
            libc_einval(),
        )
    };
    let (pid, inode) = match text.split_once(':') {
        Some((p, i)) => (p, Some(i)),
        None => (text, None),
    };
    let pid = cli::parse_u32(pid, "pid").map_err(|_| bad())?;
    let inode = match inode {
        Some(i) => Some(cli::parse_u64(i, "inode").map_err(|_| bad())?),
        None => None,
    };
    Ok((pid, inode))
}

fn libc_einval() -> sys::Errno {
    sys::Errno(sys::errno::EINVAL)
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    let mut plan = Plan {
        target: None,
        all: false,
        namespaces: Vec::new(),
        uid: None,
        gid: None,
        preserve_credentials: false,
        keep_caps: false,
        root: None,
        wd: None,
        wdns: None,
        env: false,
        no_fork: false,
        join_cgroup: false,
        program: Vec::new(),
    };
    let mut follow_context = false;
    let mut getopt = Getopt::new(&cmd, args, Order::StopAtOperand);
    for opt in getopt.by_ref() {
        let opt = opt?;
        let value = opt.value.clone();
        let text = opt.text();
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "nsenter(1)"))),
            "version" => {
                return Ok(Action::Print(cli::version(&prog.name, "util-linux 2.42")));
            }
            "all" => plan.all = true,
            "target" => plan.target = Some(parse_target(&text)?),
            "mount" => plan.namespace(NsKind::Mount, value),
            "uts" => plan.namespace(NsKind::Uts, value),
            "ipc" => plan.namespace(NsKind::Ipc, value),
            "net" => plan.namespace(NsKind::Net, value),
            "pid" => plan.namespace(NsKind::Pid, value),
            "user" => plan.namespace(NsKind::User, value),
            "cgroup" => plan.namespace(NsKind::Cgroup, value),
            "time" => plan.namespace(NsKind::Time, value),
            "setuid" => plan.uid = Some(parse_id(&text, "uid", user::uid_by_name_or_number)?),
            "setgid" => plan.gid = Some(parse_id(&text, "gid", user::gid_by_name_or_number)?),
            "preserve-credentials" => plan.preserve_credentials = true,
            "keep-caps" => plan.keep_caps = true,
            "root" => plan.root = Some(dir(value)),
            "wd" => plan.wd = Some(dir(value)),
            "wdns" => plan.wdns = Some(dir(value)),
            "env" => plan.env = true,
            "no-fork" => plan.no_fork = true,
            "join-cgroup" => plan.join_cgroup = true,
            "follow-context" => follow_context = true,
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    plan.program = getopt.operands();
    if plan.wd.is_some() && plan.wdns.is_some() {
        return Err(Error::msg("mutually exclusive arguments: --wdns --wd"));
    }
    if follow_context {
        return Err(Error::msg(
            "--follow-context: SELinux is not supported by this nsenter",
        ));
    }
    if plan.target.is_some_and(|(pid, _)| pid == 0) {
        plan.target = None;
    }
    Ok(Action::Run(Box::new(plan)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        let prog = Prog::new(None, "nsenter");
        match parse(&prog, args.iter().map(OsString::from).collect())? {
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
    fn namespaces_and_files() {
        let p = plan(&["-t", "5", "-n/x", "-m", "--uts=/u", "true", "-p"]).unwrap();
        assert_eq!(p.target, Some((5, None)));
        assert_eq!(
            p.namespaces,
            vec![
                (NsKind::Net, Source::File(PathBuf::from("/x"))),
                (NsKind::Mount, Source::Target),
                (NsKind::Uts, Source::File(PathBuf::from("/u"))),
            ]
        );
        assert_eq!(
            p.program,
            vec![OsString::from("true"), OsString::from("-p")]
        );
        // A separate word after -n is the program.
        let p = plan(&["-n", "/x"]).unwrap();
        assert_eq!(p.program, vec![OsString::from("/x")]);
    }

    #[test]
    fn target_forms() {
        assert_eq!(plan(&["-t12:345"]).unwrap().target, Some((12, Some(345))));
        assert_eq!(plan(&["--ta", "0"]).unwrap().target, None);
        assert_eq!(
            err(&["-t", "abc"]),
            "failed to parse PID argument 'abc': Invalid argument"
        );
        assert_eq!(
            err(&["-t", "1:x"]),
            "failed to parse PID argument '1:x': Invalid argument"
        );
    }

    #[test]
    fn ids_dirs_and_refusals() {
        let p = plan(&["-S", "0", "-G", "follow", "-r", "-w/tmp"]).unwrap();
        assert_eq!(p.uid, Some(Id::Is(0)));
        assert_eq!(p.gid, Some(Id::Follow));
        assert_eq!(p.root, Some(Dir::Target));
        assert_eq!(p.wd, Some(Dir::Path(PathBuf::from("/tmp"))));
        assert_eq!(
            err(&["-S", "no-such-user-here"]),
            "failed to parse uid: 'no-such-user-here'"
        );
        assert_eq!(
            err(&["-w/", "-W/"]),
            "mutually exclusive arguments: --wdns --wd"
        );
        assert!(err(&["-Z"]).contains("SELinux"));
        assert_eq!(err(&["--bogus"]), "unrecognized option '--bogus'");
    }
}
