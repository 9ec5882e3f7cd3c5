//! What one `ovlmount` run will do, built from the command line before anything changes.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use sys::cli::{self, Getopt, Order};
use sys::idmap::MountIdmap;
use sys::{Error, Prog, Result};

use crate::cli::{USAGE, command};

/// The most lower layers overlayfs stacks (`OVL_MAX_STACK`).
pub const MAX_LAYERS: usize = 500;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Print this text and exit 0.
    Print(String),
    /// Mount an overlay.
    Mount(Box<MountPlan>),
    /// Unmount the overlay at `merged`.
    Umount {
        /// The mount point.
        merged: PathBuf,
        /// `--lazy`.
        lazy: bool,
    },
    /// List overlay mounts.
    List {
        /// `-J`.
        json: bool,
        /// Only this mount point.
        merged: Option<PathBuf>,
    },
    /// Mount as mount(8)'s helper.
    Helper {
        /// What to mount.
        plan: Box<MountPlan>,
        /// `-f`: check, do not mount.
        fake: bool,
        /// `-N`: the mount namespace (a pid or a namespace file) to mount in.
        namespace: Option<PathBuf>,
    },
    /// Unpack an OCI layer into a directory.
    Import {
        /// The layer tar, `-` for stdin.
        layer: PathBuf,
        /// The directory to unpack it into: missing or empty.
        dir: PathBuf,
    },
    /// Show an upper layer's changes.
    Diff {
        /// `-J`.
        json: bool,
        /// `--oci`: an OCI layer tar instead of a list.
        oci: bool,
        /// The upper layer, or a merged mount point.
        layer: PathBuf,
        /// `--lower`: the lower layers of an upper layer, top first (empty: unknown, or
        /// those of the mount).
        lowers: Vec<PathBuf>,
    },
}

/// An overlay to mount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MountPlan {
    /// Lower layers, top first.
    pub lowers: Vec<PathBuf>,
    /// Data-only lower layers.
    pub data_lowers: Vec<PathBuf>,
    /// The upper layer.
    pub upper: Option<PathBuf>,
    /// The work directory.
    pub work: Option<PathBuf>,
    /// `--tmpfs-upper[=SIZE]`: upper and work on a new tmpfs of their own (of SIZE).
    pub tmpfs_upper: Option<Option<String>>,
    /// The mount point.
    pub merged: PathBuf,
    /// `--create`.
    pub create: bool,
    /// `--read-only` (or `-o ro`).
    pub read_only: bool,
    /// `--userxattr`.
    pub userxattr: bool,
    /// `--volatile`.
    pub volatile: bool,
    /// Other overlay options, passed on as they are: `key` or `key=value`.
    pub options: Vec<(String, Option<String>)>,
    /// `--idmap MAP` or `--userns FILE`: the id mapping of every lower layer without its own.
    pub idmap: Option<MountIdmap>,
    /// `--lower DIR:idmap=MAP` (and `--upper`, `--data-lower`): a layer's own id mapping.
    pub layer_idmaps: Vec<(PathBuf, MountIdmap)>,
}

impl MountPlan {
    /// The id mapping of the lower layer `layer` (as given): its own, else the one for every
    /// lower layer.
    pub fn idmap_of(&self, layer: &Path) -> Option<&MountIdmap> {
        self.own_idmap(layer).or(self.idmap.as_ref())
    }

    /// The mapping given with `layer` itself (`DIR:idmap=MAP`).
    pub fn own_idmap(&self, layer: &Path) -> Option<&MountIdmap> {
        self.layer_idmaps
            .iter()
            .find(|(path, _)| path == layer)
            .map(|(_, map)| map)
    }

    /// Whether any layer is to be idmapped.
    pub fn is_idmapped(&self) -> bool {
        self.idmap.is_some() || !self.layer_idmaps.is_empty()
    }
}

/// A layer argument, `DIR` or `DIR:idmap=MAP` (the last `:idmap=` splits, so a directory
/// name may hold colons): the directory, and its id mapping, recorded in `plan`.
fn layer_arg(text: &OsStr, plan: &mut MountPlan) -> Result<PathBuf> {
    let bytes = text.as_bytes();
    const MARK: &[u8] = b":idmap=";
    let at = (0..bytes.len().saturating_sub(MARK.len() - 1))
        .rev()
        .find(|i| bytes[*i..].starts_with(MARK));
    let Some(at) = at else {
        return Ok(PathBuf::from(text));
    };
    let dir = PathBuf::from(OsStr::from_bytes(&bytes[..at]));
    let map = String::from_utf8_lossy(&bytes[at + MARK.len()..]);
    let map = MountIdmap::parse(&map)?;
    plan.layer_idmaps.push((dir.clone(), map));
    Ok(dir)
}

/// The overlay options `-o` may carry besides the layers, and whether they take a value.
const OPTIONS: &[(&str, bool)] = &[
    ("redirect_dir", true),
    ("index", true),
    ("uuid", true),
    ("nfs_export", true),
    ("xino", true),
    ("metacopy", true),
    ("verity", true),
    ("default_permissions", false),
    ("userxattr", false),
    ("volatile", false),
    ("ro", false),
    ("rw", false),
];

/// Split at `sep` where it is not escaped by a backslash; backslashes stay (see [`unescape`]).
pub fn split_escaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let last = parts.last_mut();
            if let Some(part) = last {
                part.push(c);
                if let Some(next) = chars.next() {
                    part.push(next);
                }
            }
        } else if c == sep {
            parts.push(String::new());
        } else if let Some(part) = parts.last_mut() {
            part.push(c);
        }
    }
    parts
}

/// Drop the backslashes that escape the next character.
pub fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Apply one `-o` list to `plan`; `seen` catches a key given twice.
fn apply_options(text: &str, plan: &mut MountPlan, seen: &mut Vec<String>) -> Result<()> {
    for item in split_escaped(text, ',') {
        if item.is_empty() {
            continue;
        }
        let (key, value) = match item.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (item.clone(), None),
        };
        if seen.contains(&key) {
            return Err(Error::msg(format!("option {key} is given twice")));
        }
        seen.push(key.clone());
        match (key.as_str(), value) {
            ("lowerdir", Some(v)) => {
                if !plan.lowers.is_empty() {
                    return Err(Error::msg(
                        "lower layers are given both with --lower and lowerdir=",
                    ));
                }
                // `a:b::c::d`: layers a and b, then data-only layers c and d.
                let mut data = false;
                for part in split_escaped(&v, ':') {
                    if part.is_empty() {
                        data = true;
                        continue;
                    }
                    let path = PathBuf::from(unescape(&part));
                    if data {
                        plan.data_lowers.push(path);
                    } else {
                        plan.lowers.push(path);
                    }
                }
            }
            ("upperdir", Some(v)) => set_once(&mut plan.upper, v, "upper")?,
            ("workdir", Some(v)) => set_once(&mut plan.work, v, "work")?,
            ("userxattr", None) => plan.userxattr = true,
            ("volatile", None) => plan.volatile = true,
            ("ro", None) => plan.read_only = true,
            ("rw", None) => plan.read_only = false,
            (k, v) => match OPTIONS.iter().find(|(name, _)| *name == k) {
                Some((_, true)) if v.is_some() => plan.options.push((key, v)),
                Some((_, false)) if v.is_none() => plan.options.push((key, v)),
                Some((_, true)) => return Err(Error::msg(format!("option {k} needs a value"))),
                Some((_, false)) => return Err(Error::msg(format!("option {k} takes no value"))),
                None => return Err(Error::msg(format!("unknown overlay option: {k}"))),
            },
        }
    }
    Ok(())
}

fn set_once(slot: &mut Option<PathBuf>, value: String, what: &str) -> Result<()> {
    if slot.is_some() {
        return Err(Error::msg(format!("the {what} directory is given twice")));
    }
    *slot = Some(PathBuf::from(unescape(&value)));
    Ok(())
}

fn one_operand(mut operands: Vec<OsString>, what: &str, sub: &str) -> Result<Option<PathBuf>> {
    match operands.len() {
        0 => Ok(None),
        1 => Ok(operands.pop().map(PathBuf::from)),
        _ => Err(Error::usage(format!(
            "{sub}: too many arguments (one {what})"
        ))),
    }
}

/// mount(8)'s helper convention: `mount.overlay SOURCE TARGET [-sfnv] [-N NS] [-o OPTIONS]`.
/// `-s` (sloppy), `-n` (no mtab) and `-v` are accepted and change nothing; `-f` checks
/// everything and mounts nothing; `-N` names the mount namespace to mount in.
fn parse_helper(args: Vec<OsString>) -> Result<Action> {
    let mut plan = MountPlan::default();
    let mut seen = Vec::new();
    let mut operands = Vec::new();
    let mut fake = false;
    let mut namespace = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        match text.as_str() {
            "-o" => {
                let value = args
                    .next()
                    .ok_or_else(|| Error::usage("option -o needs an argument"))?;
                apply_options(&value.to_string_lossy(), &mut plan, &mut seen)?;
            }
            "-N" => {
                namespace =
                    Some(PathBuf::from(args.next().ok_or_else(|| {
                        Error::usage("option -N needs an argument")
                    })?));
            }
            t if t.starts_with("-o") => apply_options(&t[2..], &mut plan, &mut seen)?,
            t if t.starts_with('-') && t.len() > 1 => {
                for c in t[1..].chars() {
                    match c {
                        's' | 'n' | 'v' => {}
                        'f' => fake = true,
                        other => return Err(Error::usage(format!("invalid option -- '{other}'"))),
                    }
                }
            }
            _ => operands.push(arg),
        }
    }
    // SOURCE (usually "overlay" or "none") carries no meaning for overlayfs.
    let [_source, target] = <[OsString; 2]>::try_from(operands).map_err(|_| {
        Error::usage("usage: mount.overlay SOURCE TARGET [-sfnv] [-N NS] [-o OPTIONS]")
    })?;
    plan.merged = PathBuf::from(target);
    check_shape(&plan)?;
    Ok(Action::Helper {
        plan: Box::new(plan),
        fake,
        namespace,
    })
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, mut args: Vec<OsString>) -> Result<Action> {
    if prog.name == "mount.overlay" {
        return parse_helper(args);
    }
    let top = command();
    if args.is_empty() {
        return Err(Error::usage(
            "no command given (mount, umount, list, diff or import)",
        ));
    }
    let sub = args.remove(0).to_string_lossy().into_owned();
    let help = || cli::help(&top, USAGE, "ovlmount(8)");
    match sub.as_str() {
        "-h" | "--help" => return Ok(Action::Print(help())),
        "-V" | "--version" => {
            return Ok(Action::Print(cli::version(&prog.name, "mount -t overlay")));
        }
        _ => {}
    }
    let Some(cmd) = top.find_subcommand(&sub).cloned() else {
        return Err(Error::usage(format!("unknown command '{sub}'")));
    };
    let mut getopt = Getopt::new(&cmd, args, Order::Permute);
    let mut plan = MountPlan::default();
    let mut seen = Vec::new();
    let (mut json, mut lazy, mut oci) = (false, false, false);
    for opt in getopt.by_ref() {
        let opt = opt?;
        let value = opt.value.clone().map(PathBuf::from);
        match opt.id.as_str() {
            "help" => return Ok(Action::Print(help())),
            "version" => {
                return Ok(Action::Print(cli::version(&prog.name, "mount -t overlay")));
            }
            "lower" => {
                if seen.iter().any(|k| k == "lowerdir") {
                    return Err(Error::msg(
                        "lower layers are given both with --lower and lowerdir=",
                    ));
                }
                let dir = layer_arg(opt.value.as_deref().unwrap_or_default(), &mut plan)?;
                plan.lowers.push(dir);
            }
            "data-lower" => {
                let dir = layer_arg(opt.value.as_deref().unwrap_or_default(), &mut plan)?;
                plan.data_lowers.push(dir);
            }
            "upper" => {
                if plan.upper.is_some() {
                    return Err(Error::msg("the upper directory is given twice"));
                }
                plan.upper = Some(layer_arg(
                    opt.value.as_deref().unwrap_or_default(),
                    &mut plan,
                )?);
            }
            "idmap" | "userns" => {
                if plan.idmap.is_some() {
                    return Err(Error::msg(
                        "--idmap and --userns are given together, or one of them twice",
                    ));
                }
                plan.idmap = Some(match opt.id.as_str() {
                    "idmap" => MountIdmap::parse(&opt.text())?,
                    _ => MountIdmap::Namespace(PathBuf::from(opt.text())),
                });
            }
            "work" => {
                if plan.work.is_some() {
                    return Err(Error::msg("the work directory is given twice"));
                }
                plan.work = value;
            }
            "tmpfs-upper" => plan.tmpfs_upper = Some(opt.value.as_ref().map(|_| opt.text())),
            "create" => plan.create = true,
            "read-only" => plan.read_only = true,
            "userxattr" => plan.userxattr = true,
            "volatile" => plan.volatile = true,
            "options" => apply_options(&opt.text(), &mut plan, &mut seen)?,
            "json" => json = true,
            "lazy" => lazy = true,
            "oci" => oci = true,
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    let operands = getopt.operands();
    match sub.as_str() {
        "mount" => {
            let merged = one_operand(operands, "mount point", "mount")?
                .ok_or_else(|| Error::usage("mount: no mount point given"))?;
            plan.merged = merged;
            check_shape(&plan)?;
            Ok(Action::Mount(Box::new(plan)))
        }
        "umount" => {
            let merged = one_operand(operands, "mount point", "umount")?
                .ok_or_else(|| Error::usage("umount: no mount point given"))?;
            Ok(Action::Umount { merged, lazy })
        }
        "list" => Ok(Action::List {
            json,
            merged: one_operand(operands, "mount point", "list")?,
        }),
        "import" => {
            let [layer, dir] = <[OsString; 2]>::try_from(operands)
                .map_err(|_| Error::usage("import: give a layer (a file or -) and a directory"))?;
            Ok(Action::Import {
                layer: PathBuf::from(layer),
                dir: PathBuf::from(dir),
            })
        }
        _ => {
            let layer = one_operand(operands, "layer", "diff")?
                .ok_or_else(|| Error::usage("diff: no upper layer or mount point given"))?;
            if json && oci {
                return Err(Error::usage("diff: --json and --oci exclude each other"));
            }
            Ok(Action::Diff {
                json,
                oci,
                layer,
                lowers: plan.lowers,
            })
        }
    }
}

/// What the options alone can tell is wrong.
fn check_shape(plan: &MountPlan) -> Result<()> {
    if plan.lowers.is_empty() {
        return Err(Error::msg("no lower layer given (--lower or -o lowerdir=)"));
    }
    if plan.tmpfs_upper.is_some() && (plan.upper.is_some() || plan.work.is_some()) {
        return Err(Error::msg(
            "--tmpfs-upper makes the upper and work directories; --upper and --work are not \
             given with it",
        ));
    }
    match (&plan.upper, &plan.work) {
        (Some(_), None) => {
            return Err(Error::msg("an upper layer needs a work directory (--work)"));
        }
        (None, Some(_)) => {
            return Err(Error::msg(
                "a work directory needs an upper layer (--upper)",
            ));
        }
        _ => {}
    }
    if plan.upper.is_none() && plan.tmpfs_upper.is_none() && plan.lowers.len() < 2 {
        return Err(Error::msg(
            "without an upper layer, an overlay needs at least two lower layers",
        ));
    }
    let count = plan.lowers.len() + plan.data_lowers.len();
    if count > MAX_LAYERS {
        return Err(Error::msg(format!(
            "{count} lower layers: the kernel stacks at most {MAX_LAYERS}"
        )));
    }
    let mut all: Vec<&PathBuf> = plan.lowers.iter().chain(&plan.data_lowers).collect();
    all.extend(plan.upper.iter());
    all.extend(plan.work.iter());
    for (i, a) in all.iter().enumerate() {
        if all[..i].contains(a) {
            return Err(Error::msg(format!(
                "{} is given twice as a layer",
                a.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(args: &[&str]) -> Result<MountPlan> {
        let prog = Prog::new(None, "ovlmount");
        let mut all = vec!["mount"];
        all.extend(args);
        match parse(&prog, all.into_iter().map(OsString::from).collect())? {
            Action::Mount(p) => Ok(*p),
            other => panic!("not a mount: {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        mount(args)
            .map(|p| format!("{p:?}"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn the_seed_command_line_translates() {
        let p = mount(&[
            "-o",
            "lowerdir=/a:/b\\:c::/d,upperdir=/u,workdir=/w,index=on",
            "/m",
        ])
        .unwrap();
        assert_eq!(p.lowers, [PathBuf::from("/a"), PathBuf::from("/b:c")]);
        assert_eq!(p.data_lowers, [PathBuf::from("/d")]);
        assert_eq!(p.upper, Some(PathBuf::from("/u")));
        assert_eq!(p.options, [("index".to_owned(), Some("on".to_owned()))]);
        let q = mount(&[
            "-l/a",
            "--lower",
            "/b:c",
            "--data-lower=/d",
            "-u/u",
            "-w",
            "/w",
            "/m",
        ])
        .unwrap();
        assert_eq!((q.lowers, q.data_lowers), (p.lowers, p.data_lowers));
    }

    #[test]
    fn layers_take_their_own_id_maps() {
        let p = mount(&[
            "--idmap",
            "0:100000:65536",
            "-l/a:b:idmap=u:0:1:1 g:0:1:1",
            "-l/c",
            "--upper=/u:idmap=/proc/1/ns/user",
            "-w/w",
            "/m",
        ])
        .unwrap();
        assert_eq!(p.lowers, [PathBuf::from("/a:b"), PathBuf::from("/c")]);
        assert_eq!(p.upper, Some(PathBuf::from("/u")));
        let global = MountIdmap::parse("0:100000:65536").unwrap();
        assert_eq!(
            p.idmap_of(Path::new("/a:b")),
            Some(&MountIdmap::parse("u:0:1:1 g:0:1:1").unwrap())
        );
        assert_eq!(p.idmap_of(Path::new("/c")), Some(&global));
        // The upper is idmapped only by its own mapping.
        assert_eq!(
            p.own_idmap(Path::new("/u")),
            Some(&MountIdmap::Namespace("/proc/1/ns/user".into()))
        );
        assert_eq!(p.own_idmap(Path::new("/c")), None);
        let q = mount(&["--userns", "/proc/5/ns/user", "-l/a", "-l/b", "/m"]).unwrap();
        assert_eq!(
            q.idmap,
            Some(MountIdmap::Namespace("/proc/5/ns/user".into()))
        );
        assert_eq!(
            err(&["--idmap", "0:1:1", "--userns", "/x", "-l/a", "-l/b", "/m"]),
            "--idmap and --userns are given together, or one of them twice"
        );
        assert!(err(&["-l/a:idmap=0:1", "-l/b", "/m"]).starts_with("invalid id map '0:1'"));
    }

    #[test]
    fn mount_helper_convention() {
        let prog = Prog::new(
            Some(std::ffi::OsStr::new("/sbin/mount.overlay")),
            "ovlmount",
        );
        let args = [
            "none",
            "/m",
            "-n",
            "-o",
            "lowerdir=/a:/b,upperdir=/u,workdir=/w,rw",
        ];
        let action = parse(&prog, args.iter().map(OsString::from).collect()).unwrap();
        let Action::Helper {
            plan,
            fake,
            namespace,
        } = action
        else {
            panic!("{action:?}");
        };
        assert_eq!(
            (plan.lowers.len(), plan.merged, fake, namespace),
            (2, PathBuf::from("/m"), false, None)
        );
        let args = ["none", "/m", "-sfv", "-N", "42", "-olowerdir=/a:/b"];
        let action = parse(&prog, args.iter().map(OsString::from).collect()).unwrap();
        assert!(
            matches!(
                action,
                Action::Helper {
                    fake: true,
                    namespace: Some(_),
                    ..
                }
            ),
            "{action:?}"
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            err(&["-o", "lowerdir=/a,bogus=1", "/m"]),
            "unknown overlay option: bogus"
        );
        assert_eq!(
            err(&["-o", "lowerdir=/a,index=on,index=off", "/m"]),
            "option index is given twice"
        );
        assert_eq!(
            err(&["-l/a", "-o", "lowerdir=/b", "/m"]),
            "lower layers are given both with --lower and lowerdir="
        );
        assert_eq!(
            err(&["-l/a", "-l/a", "-l/b", "/m"]),
            "/a is given twice as a layer"
        );
        assert_eq!(
            err(&["-l/a", "-u/u", "/m"]),
            "an upper layer needs a work directory (--work)"
        );
        assert_eq!(
            err(&["/m"]),
            "no lower layer given (--lower or -o lowerdir=)"
        );
        assert_eq!(
            err(&["-l/a", "/m"]),
            "without an upper layer, an overlay needs at least two lower layers"
        );
        assert_eq!(err(&["-l/a", "-l/b"]), "mount: no mount point given");
        let many: Vec<String> = (0..501).map(|i| format!("-l/l{i}")).collect();
        let mut args: Vec<&str> = many.iter().map(String::as_str).collect();
        args.push("/m");
        assert_eq!(
            err(&args),
            "501 lower layers: the kernel stacks at most 500"
        );
    }

    #[test]
    fn diff_takes_lowers_top_first() {
        let prog = Prog::new(None, "ovlmount");
        let parse_diff = |args: &[&str]| {
            let all = std::iter::once("diff").chain(args.iter().copied());
            parse(&prog, all.map(OsString::from).collect())
        };
        assert_eq!(
            parse_diff(&["-J", "-l", "/a", "u", "--lower=/b", "--low", "/c"]).ok(),
            Some(Action::Diff {
                json: true,
                oci: false,
                layer: PathBuf::from("u"),
                lowers: ["/a", "/b", "/c"].iter().map(PathBuf::from).collect(),
            })
        );
        assert_eq!(
            parse_diff(&["m"]).ok(),
            Some(Action::Diff {
                json: false,
                oci: false,
                layer: PathBuf::from("m"),
                lowers: Vec::new(),
            })
        );
        assert_eq!(
            parse_diff(&["-l", "/a"]).err().map(|e| e.to_string()),
            Some("diff: no upper layer or mount point given".to_owned())
        );
    }
}
