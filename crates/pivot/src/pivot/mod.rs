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

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use sys::diagnose::{Host, mounts};
use sys::dirfd::{self, Access};
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
    /// With `--put-old`, the mounts that will be the old root there, by id: every mount now
    /// but those below the new root, which move with it (read now: after the pivot /proc
    /// may not be mounted).
    old_mounts: Vec<u64>,
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
    let old_mounts = match &put_old {
        Some(_) => {
            let new_root = std::fs::canonicalize(new_root)
                .map_err(|e| Error::os(format!("cannot open {}", new_root.display()), &e))?;
            mount::mountinfo()?
                .into_iter()
                .filter(|m| !m.mount_point.starts_with(&new_root))
                .map(|m| u64::from(m.id))
                .collect()
        }
        None => Vec::new(),
    };
    Ok(Ready {
        command,
        put_old,
        old_mounts,
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
fn mount_kernel_fs(
    within: &Within,
    fstype: &str,
    target: &Path,
    restrictions: Restrictions,
) -> Result<()> {
    let dir = make_dir(within, target, 0o555)?;
    mount::mount_new_at(fstype, dir.as_fd(), target, restrictions, None).map_err(|e| {
        e.hinted_by(|e| {
            let facts = mounts::Facts::of(&Host::real());
            mounts::kernel_fs_refused(fstype, e.errno()?, &facts)
        })
    })?;
    within.mounted(target);
    Ok(())
}

/// After the pivot: the requested mounts, the old root detached, then the working directory,
/// hostname and read-only flag.
fn furnish(plan: &Plan, ready: Ready, pivoted: Pivoted) -> Result<()> {
    let within = Within {
        put_old: ready.put_old.clone(),
        old_mounts: ready.old_mounts.clone(),
        made: RefCell::default(),
    };
    let result = furnish_within(plan, ready, pivoted, &within);
    if result.is_err() {
        within.undo();
    }
    result
}

/// [`furnish`]'s steps, each mount point made and mount made logged in `within`.
fn furnish_within(plan: &Plan, ready: Ready, pivoted: Pivoted, within: &Within) -> Result<()> {
    if plan.proc {
        mount_kernel_fs(within, "proc", Path::new("/proc"), Restrictions::KERNEL_FS)?;
    }
    if plan.sys {
        let read_only = Restrictions {
            read_only: true,
            ..Restrictions::KERNEL_FS
        };
        mount_kernel_fs(within, "sysfs", Path::new("/sys"), read_only)?;
    }
    if plan.dev {
        furnish_dev(within, ready.devices)?;
    }
    if plan.tmp {
        let restrictions = Restrictions {
            nosuid: true,
            nodev: true,
            ..Restrictions::default()
        };
        let tmp = Path::new("/tmp");
        mount::mount_new_at(
            "tmpfs",
            make_dir(within, tmp, 0o1777)?.as_fd(),
            tmp,
            restrictions,
            Some("mode=1777"),
        )?;
        within.mounted(tmp);
    }
    for (bind, tree) in plan.binds.iter().zip(ready.binds) {
        let point = make_mount_point(within, &tree, &bind.target)?;
        tree.attach_to(point.as_fd(), &bind.target)?;
        within.mounted(&bind.target);
    }
    if ready.put_old.is_none() && pivoted == Pivoted::Swapped {
        // The old root sits on top of the new one at "."; detaching takes every mount of the
        // old root with it (they are private, so nothing propagates to the host).
        mount::detach(Path::new("."))?;
    }
    // Inside the new root only: by now its /proc may be mounted, whose magic links (a
    // planted /w -> /proc/1/cwd) would leave the command in a directory of the host.
    sys::process::change_dir_in_root(&plan.workdir)?;
    if let Some(name) = &plan.hostname {
        sys::ns::set_hostname(name)?;
    }
    if plan.read_only {
        mount::set_read_only(Path::new("/"))?;
    }
    Ok(())
}

/// The new /dev: a tmpfs with the host's devices bound in, devpts, shm and the usual links.
fn furnish_dev(within: &Within, devices: Vec<DetachedTree>) -> Result<()> {
    let dev = Path::new("/dev");
    let dev_dir = make_dir(within, dev, 0o755)?;
    let restrictions = Restrictions {
        nosuid: true,
        noexec: true,
        ..Restrictions::default()
    };
    mount::mount_new_at(
        "tmpfs",
        dev_dir.as_fd(),
        dev,
        restrictions,
        Some("mode=755,size=65536k"),
    )?;
    within.mounted(dev);
    for (name, tree) in DEVICES.iter().zip(devices) {
        let node = dev.join(name);
        tree.attach_to(create_file(within, &node)?.as_fd(), &node)?;
        within.mounted(&node);
    }
    let pts = Path::new("/dev/pts");
    let pts_dir = make_dir(within, pts, 0o755)?;
    let pts_restrictions = Restrictions {
        nosuid: true,
        noexec: true,
        ..Restrictions::default()
    };
    // gid 5 is "tty" on every distribution; a user namespace may not map it.
    mount::mount_new_at(
        "devpts",
        pts_dir.as_fd(),
        pts,
        pts_restrictions,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )
    .or_else(|_| {
        mount::mount_new_at(
            "devpts",
            pts_dir.as_fd(),
            pts,
            pts_restrictions,
            Some("newinstance,ptmxmode=0666,mode=0620"),
        )
    })?;
    within.mounted(pts);
    let shm = Path::new("/dev/shm");
    mount::mount_new_at(
        "tmpfs",
        make_dir(within, shm, 0o1777)?.as_fd(),
        shm,
        Restrictions {
            nodev: true,
            ..restrictions
        },
        Some("mode=1777"),
    )?;
    within.mounted(shm);
    // The tmpfs just mounted, looked up again (the directory opened before is under it).
    let dev_dir = make_dir(within, dev, 0o755)?;
    for (name, target) in DEV_LINKS {
        dirfd::make_symlink_at(dev_dir.as_fd(), OsStr::new(name), OsStr::new(target))
            .map_err(|e| Error::os(format!("cannot create {}", dev.join(name).display()), e))?;
    }
    Ok(())
}

/// Where pivot makes and mounts on mount points after the pivot. `--put-old` keeps the old
/// root inside the new one, so a link of the new root's owner could lead there, into the
/// host's tree, even inside the new root: a mount point reached through the old root's mounts
/// is refused unless the path asked for is below `--put-old` itself.
struct Within {
    /// `--put-old` as a path in the new root.
    put_old: Option<PathBuf>,
    /// The ids of the old root's mounts there.
    old_mounts: Vec<u64>,
    /// What was made in the new root, in order: a failure takes it away again, last first,
    /// so that NEWROOT (a directory of the host's) keeps no mount point made for nothing.
    made: RefCell<Vec<Made>>,
}

/// One thing [`furnish`] made.
enum Made {
    /// A directory or file created (a mount point).
    Path(PathBuf),
    /// A mount made.
    Mount(PathBuf),
}

impl Within {
    /// Log the directory or file `path`, made here.
    fn made(&self, path: &Path) {
        self.made.borrow_mut().push(Made::Path(path.to_path_buf()));
    }

    /// Log a mount made on `target`.
    fn mounted(&self, target: &Path) {
        self.made
            .borrow_mut()
            .push(Made::Mount(target.to_path_buf()));
    }

    /// Take everything logged away, last first: a mount before the mount point it covers;
    /// what was made inside a mount goes with it (its removal then finds nothing).
    fn undo(self) {
        for step in self.made.into_inner().into_iter().rev() {
            match step {
                Made::Mount(target) => {
                    let _ = mount::detach(&target);
                }
                Made::Path(path) => {
                    if std::fs::remove_dir(&path).is_err() {
                        let _ = std::fs::remove_file(&path);
                    }
                }
            }
        }
    }

    /// Refuse `fd`, found for `path`, when it is in the old root and `path` does not say so.
    fn admit(&self, fd: &OwnedFd, path: &Path) -> Result<()> {
        let Some(old) = &self.put_old else {
            return Ok(());
        };
        if path.starts_with(old) {
            return Ok(());
        }
        match dirfd::mount_id(fd) {
            Ok(id) if self.old_mounts.contains(&id) => Err(Error::msg(format!(
                "cannot create {}: a symbolic link leads into the old root at --put-old {}",
                path.display(),
                old.display()
            ))),
            _ => Ok(()),
        }
    }
}

/// The directory `path` of the new root (`/` now), made with exactly `mode` where missing
/// (its missing parents too), opened. The new root belongs to whoever built it, who may have
/// planted symbolic links in it: every lookup is confined to it (openat2's `RESOLVE_IN_ROOT`,
/// `/proc`'s magic links refused), and a link where a directory is to be made is refused,
/// never followed. Errors read `cannot create PATH: strerror`.
fn make_dir(within: &Within, path: &Path, mode: u32) -> Result<OwnedFd> {
    let fail = |e: Errno| Error::os(format!("cannot create {}", path.display()), e);
    let root = dirfd::open_dir(Path::new("/")).map_err(fail)?;
    let mut dir = dirfd::open_in_root(root.as_fd(), Path::new("/"), Access::Dir).map_err(fail)?;
    let mut walked = PathBuf::from("/");
    for name in path.iter().filter(|c| *c != "/") {
        walked.push(name);
        dir = match dirfd::open_in_root(root.as_fd(), &walked, Access::Dir) {
            Ok(next) => {
                within.admit(&next, path)?;
                next
            }
            Err(Errno(sys::errno::ENOENT)) => {
                let (made, new) = dirfd::make_dir_at(dir.as_fd(), name, mode).map_err(fail)?;
                if new {
                    within.made(&walked);
                }
                made
            }
            Err(e) => return Err(fail(e)),
        };
    }
    Ok(dir)
}

/// A mount point for a file, `path` in the new root: made empty (mode 0644) where missing,
/// its parents as [`make_dir`] makes them; an existing file or directory is taken as it is.
fn create_file(within: &Within, path: &Path) -> Result<OwnedFd> {
    let fail = |e: Errno| Error::os(format!("cannot create {}", path.display()), e);
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(fail(Errno(sys::errno::EINVAL)));
    };
    let dir = make_dir(within, parent, 0o755)?;
    let (file, new) = dirfd::make_file_at(dir.as_fd(), name, 0o644).map_err(fail)?;
    if new {
        within.made(path);
    }
    Ok(file)
}

/// A mount point at `target` for `tree`: the file or directory there (found inside the new
/// root), else a directory (0755) for a directory, an empty file otherwise.
fn make_mount_point(within: &Within, tree: &DetachedTree, target: &Path) -> Result<OwnedFd> {
    let root = dirfd::open_dir(Path::new("/"))
        .map_err(|e| Error::os(format!("cannot open {}", target.display()), e))?;
    match dirfd::open_in_root(root.as_fd(), target, Access::Place) {
        Ok(existing) => return within.admit(&existing, target).map(|()| existing),
        Err(Errno(sys::errno::ENOENT)) => {}
        Err(e) => return Err(Error::os(format!("cannot open {}", target.display()), e)),
    }
    if tree.is_dir() {
        return make_dir(within, target, 0o755);
    }
    create_file(within, target)
}
