//! What one `nsenter` run will do, built from the command line before anything changes.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use sys::cli::{self, Getopt, Order};
use sys::ns::NsKind;
use sys::{Error, Prog, Result};

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
    /// The namespace with this 64-bit ID (`--net=:ID`).
    Id(u64),
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
    /// `--net-socket`: enter the network namespace of the target's socket with this
    /// descriptor number.
    pub net_socket: Option<i32>,
    /// `--user-parent`: enter the parent of the user namespace instead.
    pub user_parent: bool,
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
    fn namespace(&mut self, kind: NsKind, value: Option<OsString>) -> Result<()> {
        let source = match value {
            None => Source::Target,
            Some(v) => source(v)?,
        };
        self.namespaces.retain(|(k, _)| *k != kind);
        self.namespaces.push((kind, source));
        Ok(())
    }

    /// Whether the namespaces include `kind`.
    pub fn enters(&self, kind: NsKind) -> bool {
        self.namespaces.iter().any(|(k, _)| *k == kind)
    }
}

/// The source a namespace option's argument names: `:ID` or a file. One leading `=` is
/// dropped, as util-linux does (`-n=FILE`); a file whose name begins with `:` is written
/// `./:name`.
fn source(value: OsString) -> Result<Source> {
    let bytes = value.as_encoded_bytes();
    let bytes = bytes.strip_prefix(b"=").unwrap_or(bytes);
    if let Some(id) = bytes.strip_prefix(b":") {
        let text = String::from_utf8_lossy(id);
        return cli::c_strtou64(&text)
            .map(Source::Id)
            .map_err(|_| Error::msg(format!("failed to parse nsid: {text}")));
    }
    Ok(Source::File(PathBuf::from(OsString::from_vec(
        bytes.to_vec(),
    ))))
}

/// Parse `--net-socket FD` as util-linux's `str2num_or_err` with the bounds 0 and INT_MAX,
/// where a lower bound of 0 means none: a negative number leaves the option unset.
fn parse_socket_fd(text: &str) -> Result<Option<i32>> {
    let n = cli::parse_i64_in(
        text,
        "failed to parse file descriptor",
        i64::MIN..=i64::from(i32::MAX),
    )?;
    Ok(i32::try_from(n).ok().filter(|n| *n >= 0))
}

fn dir(value: Option<OsString>) -> Dir {
    value.map_or(Dir::Target, |d| Dir::Path(PathBuf::from(d)))
}

/// `-S`/`-G`: `follow`, or a number as util-linux's `strtoul_or_err` reads it (no names).
fn parse_id(text: &str, what: &str) -> Result<Id> {
    if text == "follow" {
        return Ok(Id::Follow);
    }
    cli::parse_u32(text, &format!("failed to parse {what}")).map(Id::Is)
}

/// Parse `PID` or `PID:INODE` as util-linux's `ul_parse_pid_str`: a pid from 1 to INT_MAX
/// (leading blanks and `+` allowed), an inode that is not 0. Any failure is the one message
/// util-linux 2.42 prints for all of them.
pub fn parse_target(text: &str) -> Result<(u32, Option<u64>)> {
    let bad = || Error::msg("invalid PID argument");
    let (pid, inode) = match text.split_once(':') {
        Some((p, i)) => (p, Some(i)),
        None => (text, None),
    };
    let pid = cli::c_strtos64(pid)
        .ok()
        .filter(|p| (1..=i64::from(i32::MAX)).contains(p))
        .and_then(|p| u32::try_from(p).ok())
        .ok_or_else(bad)?;
    let inode = match inode {
        Some(i) => Some(
            cli::c_strtou64(i)
                .ok()
                .filter(|i| *i != 0)
                .ok_or_else(bad)?,
        ),
        None => None,
    };
    Ok((pid, inode))
}

/// util-linux's options that exclude each other, by clap id.
const EXCLUSIVE: &[&[&str]] = &[&["wdns", "wd"]];

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    let mut plan = Plan {
        target: None,
        all: false,
        namespaces: Vec::new(),
        net_socket: None,
        user_parent: false,
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
    let mut exclusive = cli::Exclusive::new(EXCLUSIVE);
    let mut getopt = Getopt::new(&cmd, args, Order::StopAtOperand);
    for opt in getopt.by_ref() {
        let opt = opt?;
        exclusive.check(&cmd, &opt.id)?;
        let value = opt.value.clone();
        let text = opt.text();
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "nsenter(1)"))),
            "version" => {
                // util-linux after 2.42.2 names the optional features it was built with;
                // here that is opening namespaces by ID (SELinux is not supported).
                return Ok(Action::Print(cli::version_with_features(
                    &prog.name,
                    "util-linux 2.42",
                    &["nsfs"],
                )));
            }
            "all" => plan.all = true,
            "target" => {
                // util-linux after 2.42.2 (commit 06d05fc0b) refuses a second target.
                if plan.target.is_some() {
                    return Err(Error::msg("option --target may be given only once"));
                }
                plan.target = Some(parse_target(&text)?);
            }
            "mount" => plan.namespace(NsKind::Mount, value)?,
            "uts" => plan.namespace(NsKind::Uts, value)?,
            "ipc" => plan.namespace(NsKind::Ipc, value)?,
            "net" => plan.namespace(NsKind::Net, value)?,
            "net-socket" => plan.net_socket = parse_socket_fd(&text)?,
            "pid" => plan.namespace(NsKind::Pid, value)?,
            "user" => plan.namespace(NsKind::User, value)?,
            "cgroup" => plan.namespace(NsKind::Cgroup, value)?,
            "time" => plan.namespace(NsKind::Time, value)?,
            "setuid" => plan.uid = Some(parse_id(&text, "uid")?),
            "setgid" => plan.gid = Some(parse_id(&text, "gid")?),
            "preserve-credentials" => plan.preserve_credentials = true,
            "keep-caps" => plan.keep_caps = true,
            "user-parent" => plan.user_parent = true,
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
    if follow_context {
        return Err(Error::msg(
            "--follow-context: SELinux is not supported by this nsenter",
        ));
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
    fn namespace_ids_sockets_and_parents() {
        let p = plan(&["-n:42", "--user=:7", "-m=/m", "-u=:9", "-i./:x", "true"]).unwrap();
        assert_eq!(
            p.namespaces,
            vec![
                (NsKind::Net, Source::Id(42)),
                (NsKind::User, Source::Id(7)),
                (NsKind::Mount, Source::File(PathBuf::from("/m"))),
                (NsKind::Uts, Source::Id(9)),
                (NsKind::Ipc, Source::File(PathBuf::from("./:x"))),
            ]
        );
        assert_eq!(err(&["--net=:x1"]), "failed to parse nsid: x1");
        assert_eq!(err(&["--net=:-1"]), "failed to parse nsid: -1");
        assert_eq!(
            plan(&["-n: +8"]).unwrap().namespaces,
            vec![(NsKind::Net, Source::Id(8))]
        );
        assert_eq!(err(&["-n:"]), "failed to parse nsid: ");
        let p = plan(&["-t1", "-N", "3", "--user-parent"]).unwrap();
        assert_eq!(p.net_socket, Some(3));
        assert!(p.user_parent);
        assert_eq!(plan(&["-N3", "-N", "-1"]).unwrap().net_socket, None);
        assert_eq!(plan(&["-N", " +4"]).unwrap().net_socket, Some(4));
        assert_eq!(err(&["-N", "x"]), "failed to parse file descriptor: 'x'");
        assert_eq!(
            err(&["--net-socket=2147483648"]),
            "failed to parse file descriptor: '2147483648': Numerical result out of range"
        );
    }

    #[test]
    fn target_forms() {
        assert_eq!(plan(&["-t12:345"]).unwrap().target, Some((12, Some(345))));
        assert_eq!(
            plan(&["-t", " +12:+3"]).unwrap().target,
            Some((12, Some(3)))
        );
        assert_eq!(
            plan(&["-t2147483647"]).unwrap().target,
            Some((i32::MAX as u32, None))
        );
        for bad in [
            "abc",
            "0",
            "-5",
            "1:x",
            "1:",
            "1:0",
            "-5:3",
            "1 ",
            "",
            "2147483648",
            "1:2:3",
        ] {
            assert_eq!(err(&["-t", bad]), "invalid PID argument", "{bad:?}");
        }
        assert_eq!(
            err(&["-t1", "--target=2"]),
            "option --target may be given only once"
        );
    }

    #[test]
    fn ids_dirs_and_refusals() {
        let p = plan(&["-S", "0", "-G", "follow", "-r", "-w/tmp"]).unwrap();
        assert_eq!(p.uid, Some(Id::Is(0)));
        assert_eq!(plan(&["-S", " +7"]).unwrap().uid, Some(Id::Is(7)));
        assert_eq!(
            err(&["-G", "-1"]),
            "failed to parse gid: '-1': Numerical result out of range"
        );
        assert_eq!(err(&["-S", "root"]), "failed to parse uid: 'root'");
        assert_eq!(p.gid, Some(Id::Follow));
        assert_eq!(p.root, Some(Dir::Target));
        assert_eq!(p.wd, Some(Dir::Path(PathBuf::from("/tmp"))));
        assert_eq!(
            err(&["-S", "no-such-user-here"]),
            "failed to parse uid: 'no-such-user-here'"
        );
        assert_eq!(
            err(&["-w/", "-W/"]),
            "options --wd and --wdns cannot be combined"
        );
        assert_eq!(
            err(&["--wdns=/", "-w"]),
            "options --wdns and --wd cannot be combined"
        );
        assert!(err(&["-Z"]).contains("SELinux"));
        assert_eq!(err(&["--bogus"]), "unrecognized option '--bogus'");
    }
}
