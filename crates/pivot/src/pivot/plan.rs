//! What a `pivot` command line asks for.

use std::ffi::OsString;
use std::path::PathBuf;

use sys::cli::{self, Getopt, Order};
use sys::idmap::MountIdmap;
use sys::{Error, Prog, Result};

use super::cli::{USAGE, command};

/// The longest hostname the kernel takes (`HOST_NAME_MAX`).
const HOST_NAME_MAX: usize = 64;

/// One `--bind SRC:DST[:ro][:idmap=MAP]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// The host's path.
    pub source: PathBuf,
    /// Where it appears in the new root.
    pub target: PathBuf,
    /// `:ro`.
    pub read_only: bool,
    /// `:idmap=MAP`: the bind shows the files' owners through this mapping.
    pub idmap: Option<MountIdmap>,
}

impl Bind {
    /// Parse `SRC:DST`, `SRC:DST:ro` or `SRC:DST:rw`, each optionally followed by
    /// `:idmap=MAP` (MAP as ovlmount's `--idmap`: it takes colons and blanks, so it comes last).
    pub fn parse(arg: &str) -> Result<Bind> {
        let bad = || Error::msg(format!("--bind '{arg}': expected src:dst[:ro][:idmap=MAP]"));
        let (spec, idmap) = match arg.split_once(":idmap=") {
            Some((spec, map)) => (spec, Some(MountIdmap::parse(map)?)),
            None => (arg, None),
        };
        let mut parts = spec.split(':');
        let (Some(source), Some(target)) = (parts.next(), parts.next()) else {
            return Err(bad());
        };
        let read_only = match parts.next() {
            None | Some("rw") => false,
            Some("ro") => true,
            Some(_) => return Err(bad()),
        };
        if source.is_empty() || target.is_empty() || parts.next().is_some() {
            return Err(bad());
        }
        Ok(Bind {
            source: source.into(),
            target: PathBuf::from("/").join(target),
            read_only,
            idmap,
        })
    }
}

/// Everything `pivot` is asked to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The directory that becomes `/`.
    pub new_root: PathBuf,
    /// `--put-old`: where the old root stays (a host path under `new_root`).
    pub put_old: Option<PathBuf>,
    /// `--force`.
    pub force: bool,
    /// `--proc`.
    pub proc: bool,
    /// `--sys`.
    pub sys: bool,
    /// `--dev`.
    pub dev: bool,
    /// `--tmp`.
    pub tmp: bool,
    /// `--bind`, in order.
    pub binds: Vec<Bind>,
    /// `--read-only`.
    pub read_only: bool,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `-w`: the working directory in the new root.
    pub workdir: PathBuf,
    /// The command and its arguments; empty for the default shell.
    pub command: Vec<OsString>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text and exit 0.
    Print(String),
    /// Pivot and run.
    Pivot(Plan),
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    let mut plan = Plan {
        workdir: PathBuf::from("/"),
        ..Plan::default()
    };
    let mut getopt = Getopt::new(&cmd, args, Order::StopAtOperand);
    for opt in getopt.by_ref() {
        let opt = opt?;
        let path = || PathBuf::from(opt.value.clone().unwrap_or_default());
        match opt.id.as_str() {
            "force" => plan.force = true,
            "put-old" => plan.put_old = Some(path()),
            "proc" => plan.proc = true,
            "sys" => plan.sys = true,
            "dev" => plan.dev = true,
            "tmp" => plan.tmp = true,
            "bind" => plan.binds.push(Bind::parse(&opt.text())?),
            "read-only" => plan.read_only = true,
            "hostname" => {
                let name = opt.text();
                if name.is_empty() || name.len() > HOST_NAME_MAX {
                    return Err(Error::msg(format!(
                        "--hostname '{name}': a hostname has 1 to {HOST_NAME_MAX} bytes"
                    )));
                }
                plan.hostname = Some(name);
            }
            "wd" => plan.workdir = PathBuf::from("/").join(path()),
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "pivot(8)"))),
            "version" => return Ok(Action::Print(cli::version_own(&prog.name))),
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    let mut operands = getopt.operands().into_iter();
    let Some(new_root) = operands.next().filter(|r| !r.is_empty()) else {
        return Err(Error::usage("no new root given"));
    };
    plan.new_root = new_root.into();
    plan.command = operands.collect();
    Ok(Action::Pivot(plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(args: &[&str]) -> Result<Action> {
        let prog = Prog::new(None, "pivot");
        parse(&prog, args.iter().map(OsString::from).collect())
    }

    #[test]
    fn options_then_root_then_command() {
        let Action::Pivot(plan) = parse_words(&[
            "--proc",
            "--dev",
            "--bind=/src:dst:ro",
            "--bind",
            "/a:/b:idmap=b:0:100000:65536",
            "-w",
            "home",
            "--host=box",
            "--put-old",
            "r/old",
            "r",
            "ls",
            "-l",
            "--proc",
        ])
        .unwrap() else {
            panic!("not a pivot");
        };
        assert!(plan.proc && plan.dev && !plan.sys && !plan.force);
        assert_eq!(
            plan.binds,
            [
                Bind {
                    source: "/src".into(),
                    target: "/dst".into(),
                    read_only: true,
                    idmap: None,
                },
                Bind {
                    source: "/a".into(),
                    target: "/b".into(),
                    read_only: false,
                    idmap: Some(MountIdmap::parse("0:100000:65536").unwrap()),
                }
            ]
        );
        assert_eq!(plan.workdir, PathBuf::from("/home"));
        assert_eq!(plan.hostname.as_deref(), Some("box"));
        assert_eq!(plan.put_old, Some(PathBuf::from("r/old")));
        assert_eq!(plan.new_root, PathBuf::from("r"));
        assert_eq!(plan.command, ["ls", "-l", "--proc"]);
    }

    #[test]
    fn bad_input() {
        for (args, message) in [
            (&[][..], "no new root given"),
            (
                &["--bind", "x", "r"],
                "--bind 'x': expected src:dst[:ro][:idmap=MAP]",
            ),
            (
                &["--bind", "x:y:z", "r"],
                "--bind 'x:y:z': expected src:dst[:ro][:idmap=MAP]",
            ),
            (
                &["--bind", ":y", "r"],
                "--bind ':y': expected src:dst[:ro][:idmap=MAP]",
            ),
            (
                &["--hostname", "", "r"],
                "--hostname '': a hostname has 1 to 64 bytes",
            ),
            (&["--frobnicate", "r"], "unrecognized option '--frobnicate'"),
        ] {
            assert_eq!(
                parse_words(args).unwrap_err().to_string(),
                message,
                "{args:?}"
            );
        }
    }
}
