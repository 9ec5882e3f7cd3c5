//! `pivot [OPTIONS] NEWROOT [COMMAND [ARG...]]`: what the container walkthroughs do by hand
//! around pivot_root(2), in one step that checks first and explains its refusals.
//!
//! [`cli::command`] defines the command line, [`plan::parse`] turns it into a [`Plan`], and
//! [`run`] carries it out in three stages. First the checks, which change nothing: NEWROOT,
//! `--put-old`, the working directory and the command looked up inside NEWROOT, the namespaces
//! (the initial mount or UTS namespace only with `--force`), and copies of the host's files
//! that `--dev` and `--bind` will need (detached mount trees, attached nowhere until later).
//! Then the pivot: `/` recursively private, NEWROOT bound onto itself unless it is a mount
//! point, pivot_root(".", ".") (or to `--put-old`). Then the new root is furnished (proc,
//! sysfs, /dev, /tmp, binds) while the old root is still attached, because in a user
//! namespace the kernel only lets proc and sysfs be mounted where a full view of them is
//! already mounted; the old root is detached, the working directory, hostname and read-only
//! flag set, and the command executed, so its exit status or signal is ours.
//!
//! When `/` is the initramfs, which pivot_root(2) cannot move, the new root is moved over it
//! instead and entered with chroot(2) (what switch_root, mkosi and runc's fallback do): the
//! initramfs stays under the new root, covered and out of reach, but cannot be unmounted.
//! A refusal says which cause holds in one more line (`pivot: hint: ...`).

pub mod cli;
pub mod plan;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use sys::diagnose::{Host, mounts};
use sys::mount::{self, DetachedTree, Propagation, Restrictions};
use sys::rootfs::{self, FutureRoot, Kind};
use sys::{Errno, Error, Prog, Result, Status};

pub use plan::{Action, Bind, Plan};

/// The host devices `--dev` binds into the new /dev.
const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];

/// The links `--dev` makes in the new /dev.
const DEV_LINKS: [(&str, &str); 6] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("core", "/proc/kcore"),
    ("ptmx", "pts/ptmx"),
];

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match plan::parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Pivot(plan) => {
            let mut ready = check(&plan)?;
            let command = std::mem::take(&mut ready.command);
            let pivoted = pivot(&plan, &ready)?;
            furnish(&plan, ready, pivoted)?;
            Err(sys::process::exec_program(&command))
        }
    }
}

/// What the checks found and took along: the command to run and the host's mounts to bind.
struct Ready {
    /// The command line to execute in the new root.
    command: Vec<OsString>,
    /// `--put-old` as a path inside the new root.
    put_old: Option<PathBuf>,
    /// One copy per `--dev` device, in [`DEVICES`] order.
    devices: Vec<DetachedTree>,
    /// One copy per `--bind`, in order.
    binds: Vec<DetachedTree>,
}

/// The mount points the new root gets after the pivot, inside it.
fn later_mounts(plan: &Plan) -> Vec<PathBuf> {
    let mut points: Vec<PathBuf> = plan.binds.iter().map(|b| b.target.clone()).collect();
    for (asked, dir) in [
        (plan.proc, "/proc"),
        (plan.sys, "/sys"),
        (plan.dev, "/dev"),
        (plan.tmp, "/tmp"),
    ] {
        if asked {
            points.push(dir.into());
        }
    }
    points
}

/// Every check, before anything changes.
fn check(plan: &Plan) -> Result<Ready> {
    let new_root = &plan.new_root;
    let is_root = rootfs::is_current_root(new_root)
        .map_err(|e| Error::os(format!("cannot open new root {}", new_root.display()), e))?;
    if is_root {
        return Err(Error::msg(format!(
            "new root {} is the current root already",
            new_root.display()
        )));
    }
    if !plan.force && sys::ns::in_initial_mount_ns()? {
        return Err(Error::msg(
            "refusing to pivot in the initial mount namespace, where it would change the root \
             of the whole system; run it in a new one (unshare -m pivot ...), or add --force",
        ));
    }
    if plan.hostname.is_some() && !plan.force && sys::ns::in_initial_uts_ns()? {
        return Err(Error::msg(
            "refusing to set the hostname in the initial UTS namespace, which would rename the \
             host; run it in a new one (unshare -u), or add --force",
        ));
    }
    if !mount::is_mount_point(Path::new("/"))? {
        return Err(Error::msg(
            "the current root is not a mount point (a chroot?): pivot_root(2) can only move \
             the root of a mount namespace; run pivot outside the chroot, in its own mount \
             namespace",
        ));
    }
    let put_old = plan
        .put_old
        .as_deref()
        .map(|p| inside_new_root(new_root, p))
        .transpose()?;
    let root = FutureRoot::open(new_root)?;
    let later = later_mounts(plan);
    let under_later = |path: &Path| later.iter().any(|m| path.starts_with(m));
    if !under_later(&plan.workdir) {
        match root.kind(&plan.workdir) {
            Ok(Kind::Dir) => {}
            other => {
                return Err(Error::os(
                    format!(
                        "cannot change directory to {} in the new root {}",
                        plan.workdir.display(),
                        new_root.display()
                    ),
                    other.err().unwrap_or(Errno(sys::errno::ENOTDIR)),
                ));
            }
        }
    }
    let command = match resolve_command(plan, &root) {
        Ok(command) => command,
        // A command under a mount made later is for exec to find.
        Err(_)
            if plan.command.first().is_some_and(|c| {
                let c = Path::new(c);
                c.is_absolute() && under_later(c)
            }) =>
        {
            plan.command.clone()
        }
        Err(e) => return Err(e),
    };
    let devices = if plan.dev {
        DEVICES
            .iter()
            .map(|d| DetachedTree::copy(&Path::new("/dev").join(d), false))
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let binds = plan
        .binds
        .iter()
        .map(|b| {
            let tree = DetachedTree::copy(&b.source, true)?;
            if let Some(map) = &b.idmap {
                let userns = map.user_namespace()?;
                tree.set_idmap(std::os::fd::AsFd::as_fd(&userns), true)?;
            }
            if b.read_only {
                tree.set_read_only()?;
            }
            Ok(tree)
        })
        .collect::<Result<_>>()?;
    Ok(Ready {
        command,
        put_old,
        devices,
        binds,
    })
}

/// The command to execute, found inside `root` as exec will look for it: the one given, or
/// `$SHELL` when the new root has it, else `/bin/sh`.
fn resolve_command(plan: &Plan, root: &FutureRoot) -> Result<Vec<OsString>> {
    let path = std::env::var_os("PATH");
    let find = |name: &OsStr| root.find_program(name, &plan.workdir, path.as_deref());
    if let Some(name) = plan.command.first() {
        return match find(name) {
            Ok(_) => Ok(plan.command.clone()),
            Err(e) => Err(Error::os(
                format!(
                    "cannot run {} in the new root {}",
                    name.to_string_lossy(),
                    plan.new_root.display()
                ),
                e,
            )),
        };
    }
    let shell = std::env::var_os("SHELL").filter(|s| !s.is_empty());
    if let Some(shell) = shell.filter(|s| find(s).is_ok()) {
        return Ok(vec![shell]);
    }
    let sh = OsString::from("/bin/sh");
    find(&sh).map_err(|e| {
        Error::os(
            format!(
                "cannot run /bin/sh in the new root {}",
                plan.new_root.display()
            ),
            e,
        )
    })?;
    Ok(vec![sh])
}

/// `put_old` as a path inside the new root; it must be a directory strictly below it.
fn inside_new_root(new_root: &Path, put_old: &Path) -> Result<PathBuf> {
    let real = |p: &Path| {
        std::fs::canonicalize(p).map_err(|e| Error::os(format!("--put-old {}", p.display()), &e))
    };
    let (root, old) = (real(new_root)?, real(put_old)?);
    match old.strip_prefix(&root) {
        Ok(rel) if !rel.as_os_str().is_empty() && old.is_dir() => Ok(PathBuf::from("/").join(rel)),
        _ => Err(Error::msg(format!(
            "--put-old {} is not a directory under the new root {}",
            put_old.display(),
            new_root.display()
        ))),
    }
}

/// How the new root became `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pivoted {
    /// pivot_root(2): the old root is on top at `.`, or at `--put-old`.
    Swapped,
    /// The old root was the initramfs: the new root was moved over it and chrooted into.
    MovedOverInitramfs,
}

/// Make `/` private, NEWROOT a mount point, and pivot into it (or move it over an initramfs
/// `/`). When this fails, the self-bind is undone; only the propagation change stays (in this
/// mount namespace).
fn pivot(plan: &Plan, ready: &Ready) -> Result<Pivoted> {
    let new_root = &plan.new_root;
    let initramfs = mount::initramfs_root(&mount::mountinfo()?).is_some();
    if initramfs && plan.put_old.is_some() {
        return Err(Error::msg(format!(
            "--put-old {}: the current root is the initramfs, which cannot be moved; without \
             --put-old pivot moves the new root over it",
            plan.put_old.as_deref().unwrap_or(Path::new("")).display()
        )));
    }
    mount::set_root_propagation(Propagation::Private)?;
    // The absolute path, for the diagnosis of a refusal made from inside it.
    let absolute = std::fs::canonicalize(new_root).unwrap_or_else(|_| new_root.clone());
    let self_bound = !mount::is_mount_point(new_root)?;
    if self_bound {
        DetachedTree::copy(new_root, true)?.attach(new_root)?;
    }
    let undo = |e: Error| {
        if self_bound {
            let _ = mount::detach(new_root);
        }
        e
    };
    sys::process::change_dir(new_root).map_err(undo)?;
    if initramfs {
        mount::move_mount(Path::new("."), Path::new("/"))
            .and_then(|()| sys::process::change_root(Path::new(".")))
            .and_then(|()| sys::process::change_dir(Path::new("/")))
            .map_err(|e| {
                let _ = sys::process::change_dir(Path::new("/"));
                undo(e.context(format!(
                    "cannot move {} over the initramfs",
                    new_root.display()
                )))
            })?;
        return Ok(Pivoted::MovedOverInitramfs);
    }
    let put_old = ready
        .put_old
        .as_deref()
        .map_or(Path::new("."), |p| p.strip_prefix("/").unwrap_or(p));
    if let Err(e) = sys::mount::pivot_root(Path::new("."), put_old) {
        let refusal = refused(new_root, &absolute, &absolute.join(put_old), e);
        let _ = sys::process::change_dir(Path::new("/"));
        return Err(undo(refusal));
    }
    Ok(Pivoted::Swapped)
}

/// pivot_root(2)'s refusal, as `cannot pivot into NEWROOT: strerror` and the cause that holds,
/// from the mount table (`new_root` and `put_old` absolute). `/` was made private first, so
/// when no cause is seen and the errno is EINVAL, the shared mount it refuses for can only be
/// one this process cannot see.
fn refused(shown: &Path, new_root: &Path, put_old: &Path, e: Error) -> Error {
    let Some(errno) = e.errno() else { return e };
    Error::os(
        format!("cannot pivot into {}", shown.display()),
        Errno(errno),
    )
    .hinted_by(|_| {
        let host = Host::real();
        let table = host.mountinfo().unwrap_or_default();
        match mounts::pivot_root_refused(&host, errno, new_root, put_old, &table) {
            Some(cause) => Some(cause.to_string()),
            None => (errno == sys::errno::EINVAL).then(|| {
                "no mount this process can see is shared, so a mount above the current root, \
                 outside its view (a chroot?), is, and pivot_root(2) moves no mount under a \
                 shared one; run pivot at the root of its own mount namespace: unshare -m pivot"
                    .to_owned()
            }),
        }
    })
}

/// Mount a new proc or sysfs, with the cause of a refusal (a masked `/proc`, namespaces of
/// another user namespace) as a hint.
fn mount_kernel_fs(fstype: &str, target: &Path, restrictions: Restrictions) -> Result<()> {
    mount::mount_new(fstype, target, restrictions, None).map_err(|e| {
        e.hinted_by(|e| {
            let facts = mounts::Facts::of(&Host::real());
            mounts::kernel_fs_refused(fstype, e.errno()?, &facts)
        })
    })
}

/// After the pivot: the requested mounts, the old root detached, then the working directory,
/// hostname and read-only flag.
fn furnish(plan: &Plan, ready: Ready, pivoted: Pivoted) -> Result<()> {
    let mut made = Made::default();
    let result = furnish_logged(plan, ready, pivoted, &mut made);
    if result.is_err() {
        made.undo();
    }
    result
}

/// What [`furnish`] made in the new root, in order: a failure takes it away again, last
/// first, so that NEWROOT (a directory of the host's) keeps no mount point made for nothing.
#[derive(Default)]
struct Made(Vec<Step>);

enum Step {
    /// A directory, file or link created.
    Path(PathBuf),
    /// A mount made.
    Mount(PathBuf),
}

impl Made {
    fn mounted(&mut self, target: &Path) {
        self.0.push(Step::Mount(target.to_path_buf()));
    }

    /// Take everything away, last first: a mount before the mount point it covers; what was
    /// made inside a mount goes with it (its removal then finds nothing).
    fn undo(self) {
        for step in self.0.into_iter().rev() {
            match step {
                Step::Mount(target) => {
                    let _ = mount::detach(&target);
                }
                Step::Path(path) => {
                    let removed = std::fs::remove_dir(&path);
                    if removed.is_err() {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
        }
    }

    /// Create the directory `path` with `mode` unless it exists, with its missing parents;
    /// returns it.
    fn dir(&mut self, path: impl AsRef<Path>, mode: u32) -> Result<PathBuf> {
        use std::os::unix::fs::DirBuilderExt;
        let path = path.as_ref().to_path_buf();
        let missing: Vec<PathBuf> = path
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty() && !p.is_dir())
            .map(Path::to_path_buf)
            .collect();
        for dir in missing.into_iter().rev() {
            sys::fault::point_io("mkdir", sys::errno::EACCES)
                .and_then(|()| std::fs::DirBuilder::new().mode(mode).create(&dir))
                .map_err(|e| Error::os(format!("cannot create {}", dir.display()), &e))?;
            self.0.push(Step::Path(dir));
        }
        Ok(path)
    }

    /// An empty file to bind a file onto.
    fn file(&mut self, path: &Path) -> Result<()> {
        if path.exists() {
            return Ok(());
        }
        sys::fault::point_io("create", sys::errno::EACCES)
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
            })
            .map(drop)
            .map_err(|e| Error::os(format!("cannot create {}", path.display()), &e))?;
        self.0.push(Step::Path(path.to_path_buf()));
        Ok(())
    }

    /// A mount point at `target` for `tree`: a directory for a directory, an empty file
    /// otherwise.
    fn mount_point(&mut self, tree: &DetachedTree, target: &Path) -> Result<()> {
        if target.exists() {
            return Ok(());
        }
        if tree.is_dir() {
            return self.dir(target, 0o755).map(drop);
        }
        if let Some(parent) = target.parent() {
            self.dir(parent, 0o755)?;
        }
        self.file(target)
    }
}

fn furnish_logged(plan: &Plan, ready: Ready, pivoted: Pivoted, made: &mut Made) -> Result<()> {
    if plan.proc {
        let dir = made.dir("/proc", 0o555)?;
        mount_kernel_fs("proc", &dir, Restrictions::KERNEL_FS)?;
        made.mounted(&dir);
    }
    if plan.sys {
        let read_only = Restrictions {
            read_only: true,
            ..Restrictions::KERNEL_FS
        };
        let dir = made.dir("/sys", 0o555)?;
        mount_kernel_fs("sysfs", &dir, read_only)?;
        made.mounted(&dir);
    }
    if plan.dev {
        furnish_dev(ready.devices, made)?;
    }
    if plan.tmp {
        let restrictions = Restrictions {
            nosuid: true,
            nodev: true,
            ..Restrictions::default()
        };
        let dir = made.dir("/tmp", 0o1777)?;
        mount::mount_new("tmpfs", &dir, restrictions, Some("mode=1777"))?;
        made.mounted(&dir);
    }
    for (bind, tree) in plan.binds.iter().zip(ready.binds) {
        made.mount_point(&tree, &bind.target)?;
        tree.attach(&bind.target)?;
        made.mounted(&bind.target);
    }
    if ready.put_old.is_none() && pivoted == Pivoted::Swapped {
        // The old root sits on top of the new one at "."; detaching takes every mount of the
        // old root with it (they are private, so nothing propagates to the host).
        mount::detach(Path::new("."))?;
    }
    sys::process::change_dir(&plan.workdir)?;
    if let Some(name) = &plan.hostname {
        sys::ns::set_hostname(name)?;
    }
    if plan.read_only {
        mount::set_read_only(Path::new("/"))?;
    }
    Ok(())
}

/// The new /dev: a tmpfs with the host's devices bound in, devpts, shm and the usual links.
fn furnish_dev(devices: Vec<DetachedTree>, made: &mut Made) -> Result<()> {
    let dev = made.dir("/dev", 0o755)?;
    let restrictions = Restrictions {
        nosuid: true,
        noexec: true,
        ..Restrictions::default()
    };
    mount::mount_new("tmpfs", &dev, restrictions, Some("mode=755,size=65536k"))?;
    made.mounted(&dev);
    for (name, tree) in DEVICES.iter().zip(devices) {
        let node = dev.join(name);
        made.file(&node)?;
        tree.attach(&node)?;
        made.mounted(&node);
    }
    let pts = made.dir("/dev/pts", 0o755)?;
    let pts_restrictions = Restrictions {
        nosuid: true,
        noexec: true,
        ..Restrictions::default()
    };
    // gid 5 is "tty" on every distribution; a user namespace may not map it.
    mount::mount_new(
        "devpts",
        &pts,
        pts_restrictions,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )
    .or_else(|_| {
        mount::mount_new(
            "devpts",
            &pts,
            pts_restrictions,
            Some("newinstance,ptmxmode=0666,mode=0620"),
        )
    })?;
    made.mounted(&pts);
    let shm = made.dir("/dev/shm", 0o1777)?;
    mount::mount_new(
        "tmpfs",
        &shm,
        Restrictions {
            nodev: true,
            ..restrictions
        },
        Some("mode=1777"),
    )?;
    made.mounted(&shm);
    for (name, target) in DEV_LINKS {
        let link = dev.join(name);
        sys::fault::point_io("symlink", sys::errno::EACCES)
            .and_then(|()| std::os::unix::fs::symlink(target, &link))
            .map_err(|e| Error::os(format!("cannot create {}", link.display()), &e))?;
    }
    Ok(())
}
