//! Mounts: propagation, proc and binfmt_misc, bind mounts, and `/proc/self/mountinfo`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};

use crate::error::{Context, Error, Result};

/// The propagation to apply recursively to `/` of a new mount namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// No events in either direction (util-linux's default).
    Private,
    /// Receive events from the parent namespace, send none.
    Slave,
    /// Send and receive.
    Shared,
    /// Leave whatever the new namespace inherited.
    Unchanged,
}

impl Propagation {
    /// Parse `private`, `slave`, `shared` or `unchanged`.
    pub fn parse(arg: &str) -> Result<Self> {
        match arg {
            "private" => Ok(Propagation::Private),
            "slave" => Ok(Propagation::Slave),
            "shared" => Ok(Propagation::Shared),
            "unchanged" => Ok(Propagation::Unchanged),
            _ => Err(Error::msg(format!("unsupported propagation mode: {arg}"))),
        }
    }

    fn flags(self) -> Option<MountPropagationFlags> {
        match self {
            Propagation::Private => Some(MountPropagationFlags::PRIVATE),
            Propagation::Slave => Some(MountPropagationFlags::DOWNSTREAM),
            Propagation::Shared => Some(MountPropagationFlags::SHARED),
            Propagation::Unchanged => None,
        }
    }
}

/// Apply `prop` recursively to `/`. Errors read `cannot change root filesystem propagation`.
pub fn set_root_propagation(prop: Propagation) -> Result<()> {
    let Some(flags) = prop.flags() else {
        return Ok(());
    };
    crate::fault::point("mount.propagation", libc::EINVAL)
        .and_then(|()| rustix::mount::mount_change("/", flags | MountPropagationFlags::REC))
        .context(|| "cannot change root filesystem propagation".to_owned())
}

/// Make `dir` and the mounts below it private. Not being a mount point (EINVAL) is fine:
/// then there is nothing of its own to propagate.
pub fn make_private(dir: &Path) -> Result<()> {
    let flags = MountPropagationFlags::PRIVATE | MountPropagationFlags::REC;
    let changed = crate::fault::point("mount.private", libc::ENOMEM)
        .and_then(|()| rustix::mount::mount_change(dir, flags));
    match changed {
        Ok(()) | Err(rustix::io::Errno::INVAL) => Ok(()),
        Err(e) => Err(Error::os(
            format!("cannot change {} filesystem propagation", dir.display()),
            e,
        )),
    }
}

/// Mount a new proc at `dir`, `nosuid,nodev,noexec`. Errors read `mount DIR failed`.
pub fn mount_proc(dir: &Path) -> Result<()> {
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    crate::fault::point("mount.proc", libc::EPERM)
        .and_then(|()| rustix::mount::mount("proc", dir, "proc", flags, None))
        .context(|| format!("mount {} failed", dir.display()))
}

/// Mount binfmt_misc at `dir`, `nosuid,nodev,noexec`.
pub fn mount_binfmt(dir: &Path) -> Result<()> {
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    crate::fault::point("mount.binfmt", libc::EPERM)
        .and_then(|()| rustix::mount::mount("binfmt_misc", dir, "binfmt_misc", flags, None))
        .context(|| format!("mount {} failed", dir.display()))
}

/// Register an interpreter: write `rule` to `<dir>/register`.
pub fn binfmt_register(dir: &Path, rule: &[u8]) -> Result<()> {
    use std::io::Write;
    let reg = dir.join("register");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&reg)
        .context(|| format!("cannot open {}/register", dir.display()))?;
    f.write_all(rule)
        .context(|| format!("write failed {}/register", dir.display()))
}

/// Bind-mount `src` on `dst`. Errors read `mount SRC on DST failed`.
pub fn bind(src: &Path, dst: &Path) -> Result<()> {
    crate::fault::point("mount.bind", libc::EINVAL)
        .and_then(|()| rustix::mount::mount_bind(src, dst))
        .context(|| format!("mount {} on {} failed", src.display(), dst.display()))
}

/// Make `new_root` the root of this mount namespace and move the old root to `put_old`
/// (pivot_root(2); the working directory and root of this process are left as they are).
/// Errors read ``failed to change root from `NEW' to `OLD'`` as util-linux's.
pub fn pivot_root(new_root: &Path, put_old: &Path) -> Result<()> {
    let pivoted = crate::fault::point("pivot_root", libc::EINVAL)
        .and_then(|()| rustix::process::pivot_root(new_root, put_old));
    pivoted.map_err(|e| {
        Error::os(
            format!(
                "failed to change root from `{}' to `{}'",
                new_root.display(),
                put_old.display()
            ),
            e,
        )
    })
}

/// Detach the mount at `target` (lazy unmount), as clean-up after a failure.
pub fn detach(target: &Path) -> Result<()> {
    rustix::mount::unmount(target, UnmountFlags::DETACH)
        .context(|| format!("umount {} failed", target.display()))
}

/// Whether `path` is the root of a mount (statx's `STATX_ATTR_MOUNT_ROOT`; Linux 5.8+). Errors
/// read `stat of PATH failed`.
pub fn is_mount_point(path: &Path) -> Result<bool> {
    use rustix::fs::{AtFlags, StatxAttributes, StatxFlags};
    let st = rustix::fs::statx(
        rustix::fs::CWD,
        path,
        AtFlags::empty(),
        StatxFlags::BASIC_STATS,
    )
    .context(|| format!("stat of {} failed", path.display()))?;
    if st.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT) {
        return Ok(st.stx_attributes.contains(StatxAttributes::MOUNT_ROOT));
    }
    // Before 5.8: look the path up in the mount table.
    let real =
        std::fs::canonicalize(path).context(|| format!("stat of {} failed", path.display()))?;
    Ok(mountinfo()?.iter().any(|m| m.mount_point == real))
}

/// Move the mount at `from` to `to` (`MS_MOVE`). Errors read `failed to mount moving FROM to
/// TO`, as switch_root's.
pub fn move_mount(from: &Path, to: &Path) -> Result<()> {
    let moved = crate::fault::point("mount.move", libc::EINVAL)
        .and_then(|()| rustix::mount::mount_move(from, to));
    moved.context(|| {
        format!(
            "failed to mount moving {} to {}",
            from.display(),
            to.display()
        )
    })
}

/// Unmount `target` with `MNT_FORCE` (the last resort for a mount that would not move).
pub fn force_unmount(target: &Path) -> Result<()> {
    rustix::mount::unmount(target, UnmountFlags::FORCE)
        .context(|| format!("umount {} failed", target.display()))
}

/// The per-mount restrictions of a new mount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// `ro`
    pub read_only: bool,
    /// `nosuid`
    pub nosuid: bool,
    /// `nodev`
    pub nodev: bool,
    /// `noexec`
    pub noexec: bool,
}

impl Restrictions {
    /// `nosuid,nodev,noexec`: what proc, sysfs and the like get.
    pub const KERNEL_FS: Restrictions = Restrictions {
        read_only: false,
        nosuid: true,
        nodev: true,
        noexec: true,
    };

    fn flags(self) -> MountFlags {
        let mut flags = MountFlags::empty();
        for (on, flag) in [
            (self.read_only, MountFlags::RDONLY),
            (self.nosuid, MountFlags::NOSUID),
            (self.nodev, MountFlags::NODEV),
            (self.noexec, MountFlags::NOEXEC),
        ] {
            if on {
                flags |= flag;
            }
        }
        flags
    }
}

/// Mount a new instance of the file system `fstype` (proc, sysfs, tmpfs, devpts, ...) at
/// `target`, with option string `data`. Errors read `mount FSTYPE on TARGET failed`.
pub fn mount_new(
    fstype: &str,
    target: &Path,
    restrictions: Restrictions,
    data: Option<&str>,
) -> Result<()> {
    let data = data
        .map(std::ffi::CString::new)
        .transpose()
        .map_err(|_| Error::msg("mount options contain a NUL byte"))?;
    crate::fault::point("mount.new", libc::EPERM)
        .and_then(|()| {
            rustix::mount::mount(
                fstype,
                target,
                fstype,
                restrictions.flags(),
                data.as_deref(),
            )
        })
        .context(|| format!("mount {fstype} on {} failed", target.display()))
}

/// [`mount_new`] onto the directory `target` already open (found without following a link a
/// less-privileged user could have swapped in), `shown` as its name in errors. mount(2) takes
/// a path only, so the mount is made on `.` with `target` as the working directory for the
/// time of the call (a lookup of `.` crosses no link and no mount); the working directory is
/// back as it was afterwards, even when the mount fails.
pub fn mount_new_at(
    fstype: &str,
    target: std::os::fd::BorrowedFd<'_>,
    shown: &Path,
    restrictions: Restrictions,
    data: Option<&str>,
) -> Result<()> {
    use rustix::fs::{Mode, OFlags};
    let back = rustix::fs::open(
        ".",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .context(|| "cannot open the working directory".to_owned())?;
    crate::process::change_dir_to(target, shown)?;
    let mounted = mount_new(fstype, Path::new("."), restrictions, data).map_err(|e| {
        // The message names the mount point, not `.`.
        match e.errno() {
            Some(errno) => Error::os(
                format!("mount {fstype} on {} failed", shown.display()),
                crate::Errno(errno),
            ),
            None => e,
        }
    });
    crate::process::change_dir_to(std::os::fd::AsFd::as_fd(&back), Path::new("."))?;
    mounted
}

/// `struct mount_attr` of mount_setattr(2).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `MOUNT_ATTR_RDONLY`: the mount is read-only.
const MOUNT_ATTR_RDONLY: u64 = 0x1;
/// `MOUNT_ATTR_IDMAP`: the mount takes the id maps of the user namespace `userns_fd`.
const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;

/// mount_setattr(2) (Linux 5.12+; rustix has no wrapper): change the attributes `attr` names
/// on the mount at `path` relative to `dirfd` (`AT_EMPTY_PATH` with an empty path: the mount
/// `dirfd` itself is), and on every mount below it when `recursive`. Only the attributes
/// named change: nosuid, nodev and the like stay as they are, which mount(2)'s remount cannot
/// promise inside a user namespace.
fn mount_setattr(
    dirfd: std::os::fd::BorrowedFd<'_>,
    path: &Path,
    recursive: bool,
    attr: &MountAttr,
) -> rustix::io::Result<()> {
    use std::os::fd::AsRawFd;
    let cpath = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| rustix::io::Errno::INVAL)?;
    let mut flags = if path.as_os_str().is_empty() {
        libc::AT_EMPTY_PATH
    } else {
        0
    };
    if recursive {
        flags |= libc::AT_RECURSIVE;
    }
    // SAFETY: `cpath` is NUL-terminated and `attr` is a valid `struct mount_attr` whose size
    // is passed; both outlive the call, which does not keep them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            dirfd.as_raw_fd(),
            cpath.as_ptr(),
            flags,
            attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(rustix::io::Errno::from_raw_os_error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        ))
    }
}

/// mount_setattr(2) setting `MOUNT_ATTR_RDONLY` (see [`mount_setattr`]).
fn set_read_only_at(
    dirfd: std::os::fd::BorrowedFd<'_>,
    path: &Path,
    recursive: bool,
) -> rustix::io::Result<()> {
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    mount_setattr(dirfd, path, recursive, &attr)
}

/// Make the mount at `target` read-only (that mount only, not the ones below it). Errors read
/// `cannot remount TARGET read-only`.
pub fn set_read_only(target: &Path) -> Result<()> {
    crate::fault::point("mount.read_only", libc::EPERM)
        .and_then(|()| set_read_only_at(rustix::fs::CWD, target, false))
        .context(|| format!("cannot remount {} read-only", target.display()))
}

/// A copy of a mount tree (open_tree(2) with `OPEN_TREE_CLONE`) that is attached nowhere yet:
/// taken while a path is still reachable, put in place later (after a pivot, say). Dropping
/// it unmounts the copy.
#[derive(Debug)]
pub struct DetachedTree {
    fd: std::os::fd::OwnedFd,
    source: PathBuf,
}

impl DetachedTree {
    /// Copy the mount at `source` (a directory or a file), with the mounts below it when
    /// `recursive`. Errors read `cannot bind SOURCE`.
    pub fn copy(source: &Path, recursive: bool) -> Result<DetachedTree> {
        use rustix::mount::OpenTreeFlags;
        let mut flags = OpenTreeFlags::OPEN_TREE_CLONE | OpenTreeFlags::OPEN_TREE_CLOEXEC;
        if recursive {
            flags |= OpenTreeFlags::AT_RECURSIVE;
        }
        let fd = crate::fault::point("mount.open_tree", libc::ENOMEM)
            .and_then(|()| rustix::mount::open_tree(rustix::fs::CWD, source, flags))
            .context(|| format!("cannot bind {}", source.display()))?;
        Ok(DetachedTree {
            fd,
            source: source.to_path_buf(),
        })
    }

    /// Whether the copy is of a directory (else of a file, which needs a file to attach to).
    pub fn is_dir(&self) -> bool {
        rustix::fs::fstat(&self.fd).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Directory
        })
    }

    /// Make the copy read-only, every mount in it.
    pub fn set_read_only(&self) -> Result<()> {
        use std::os::fd::AsFd;
        set_read_only_at(self.fd.as_fd(), Path::new(""), true).context(|| {
            format!(
                "cannot make the bind of {} read-only",
                self.source.display()
            )
        })
    }

    /// Give the copy the id maps of the user namespace `userns` (mount_setattr(2) with
    /// `MOUNT_ATTR_IDMAP`, Linux 5.12+), every mount in it when `recursive`: a file owned on
    /// disk by an id that is inner in those maps is seen through the copy as owned by its
    /// outer id, and files made through the copy get the inner id on disk. The copy must be
    /// attached nowhere yet. Errors read `cannot idmap SOURCE: ...`, with the cause as a hint
    /// (the kernel, the file system, a mount of another user namespace).
    pub fn set_idmap(&self, userns: std::os::fd::BorrowedFd<'_>, recursive: bool) -> Result<()> {
        use std::os::fd::{AsFd, AsRawFd};
        let attr = MountAttr {
            attr_set: MOUNT_ATTR_IDMAP,
            attr_clr: 0,
            propagation: 0,
            userns_fd: userns.as_raw_fd() as u64,
        };
        mount_setattr(self.fd.as_fd(), Path::new(""), recursive, &attr).map_err(|e| {
            Error::os(format!("cannot idmap {}", self.source.display()), e).hinted_by(|e| {
                let host = crate::diagnose::Host::real();
                crate::diagnose::mounts::idmap_refused(&host, e.errno()?, &self.source)
            })
        })
    }

    /// The copy's path while this value lives, through this process's descriptor
    /// (`/proc/self/fd/N`), for calls that take paths only (overlayfs's layers). Needs /proc.
    pub fn fd_path(&self) -> PathBuf {
        use std::os::fd::AsRawFd;
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// Attach the copy onto the file or directory `target` already open (move_mount(2) with
    /// `MOVE_MOUNT_T_EMPTY_PATH`: no path is looked up again), `shown` as its name in errors,
    /// which read as [`DetachedTree::attach`]'s.
    pub fn attach_to(self, target: std::os::fd::BorrowedFd<'_>, shown: &Path) -> Result<()> {
        use rustix::mount::MoveMountFlags;
        use std::os::fd::AsFd;
        crate::fault::point("mount.attach", libc::ENOENT)
            .and_then(|()| {
                rustix::mount::move_mount(
                    self.fd.as_fd(),
                    "",
                    target,
                    "",
                    MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH
                        | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
                )
            })
            .context(|| {
                format!(
                    "mount {} on {} failed",
                    self.source.display(),
                    shown.display()
                )
            })
    }

    /// Attach the copy at `target` (move_mount(2)). Errors read `mount SOURCE on TARGET failed`.
    pub fn attach(self, target: &Path) -> Result<()> {
        use rustix::mount::MoveMountFlags;
        use std::os::fd::AsFd;
        crate::fault::point("mount.attach", libc::ENOENT)
            .and_then(|()| {
                rustix::mount::move_mount(
                    self.fd.as_fd(),
                    "",
                    rustix::fs::CWD,
                    target,
                    MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
                )
            })
            .context(|| {
                format!(
                    "mount {} on {} failed",
                    self.source.display(),
                    target.display()
                )
            })
    }
}

impl std::os::fd::AsFd for DetachedTree {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// One line of `/proc/<pid>/mountinfo`, with its paths unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// Mount id.
    pub id: u32,
    /// Parent mount id.
    pub parent: u32,
    /// The root of the mount within its filesystem.
    pub root: PathBuf,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// Per-mount options (`rw,nosuid,...`).
    pub options: String,
    /// Optional fields (`shared:N`, `master:N`, ...).
    pub optional: Vec<String>,
    /// Filesystem type.
    pub fstype: String,
    /// Mount source.
    pub source: OsString,
    /// Superblock options.
    pub super_options: String,
}

impl MountInfo {
    /// Whether the mount sends propagation events to peers (`shared:N`).
    pub fn is_shared(&self) -> bool {
        self.optional.iter().any(|o| o.starts_with("shared:"))
    }

    /// Parse one line; `None` for a malformed one.
    pub fn parse(line: &[u8]) -> Option<MountInfo> {
        let mut fields = line.split(|b| *b == b' ');
        let num = |f: Option<&[u8]>| std::str::from_utf8(f?).ok()?.parse().ok();
        let text = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
        let id = num(fields.next())?;
        let parent = num(fields.next())?;
        fields.next()?; // major:minor
        let root = PathBuf::from(OsString::from_vec(unescape(fields.next()?)));
        let mount_point = PathBuf::from(OsString::from_vec(unescape(fields.next()?)));
        let options = text(fields.next()?);
        let mut optional = Vec::new();
        loop {
            let f = fields.next()?;
            if f == b"-" {
                break;
            }
            optional.push(text(f));
        }
        let fstype = text(&unescape(fields.next()?));
        let source = OsString::from_vec(unescape(fields.next()?));
        let super_options = text(fields.next().unwrap_or_default());
        Some(MountInfo {
            id,
            parent,
            root,
            mount_point,
            options,
            optional,
            fstype,
            source,
            super_options,
        })
    }
}

/// The options field of the `/etc/fstab` lines that mount on `target` (fields split by blanks,
/// `\040`-style escapes undone; comments and short lines skipped). Empty without the file.
pub fn fstab_options(target: &Path) -> Vec<String> {
    fstab_options_in(&std::fs::read("/etc/fstab").unwrap_or_default(), target)
}

/// [`fstab_options`] of the fstab text `text`.
fn fstab_options_in(text: &[u8], target: &Path) -> Vec<String> {
    text.split(|b| *b == b'\n')
        .filter(|line| !line.trim_ascii_start().starts_with(b"#"))
        .filter_map(|line| {
            let mut fields = line
                .split(|b| b.is_ascii_whitespace())
                .filter(|f| !f.is_empty());
            let (_source, point, _fstype) = (fields.next()?, fields.next()?, fields.next()?);
            let options = fields.next().unwrap_or(b"defaults");
            (Path::new(std::ffi::OsStr::from_bytes(&unescape(point))) == target)
                .then(|| String::from_utf8_lossy(&unescape(options)).into_owned())
        })
        .collect()
}

/// The mount table of `/proc/self/mountinfo`.
pub fn mountinfo() -> Result<Vec<MountInfo>> {
    let path = "/proc/self/mountinfo";
    let bytes =
        crate::read_pseudo_file(Path::new(path)).context(|| format!("cannot open {path}"))?;
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter_map(MountInfo::parse)
        .collect())
}

/// The mount that holds `path` (the last-mounted one with the longest matching mount point).
pub fn mount_of(table: &[MountInfo], path: &Path) -> Option<MountInfo> {
    table
        .iter()
        .filter(|m| path.starts_with(&m.mount_point))
        .max_by_key(|m| m.mount_point.as_os_str().as_bytes().len())
        .cloned()
}

/// The mount at `/` when it is the initramfs: the kernel's `rootfs`, or a mount at `/` that
/// is its own parent (the first mount of the system, which no pivot_root(2) can move, whatever
/// file system the kernel made it of: ramfs or tmpfs). `None` for any other root.
pub fn initramfs_root(table: &[MountInfo]) -> Option<&MountInfo> {
    let root = table
        .iter()
        .rev()
        .find(|m| m.mount_point == Path::new("/"))?;
    (root.fstype == "rootfs" || root.parent == root.id).then_some(root)
}

/// Undo the kernel's octal escapes (`\040` for a space, `\134` for a backslash, ...).
pub fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let oct = field
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (field[i], oct) {
            (b'\\', Some(d)) => {
                out.push(
                    d.iter()
                        .fold(0u8, |v, b| v.wrapping_mul(8).wrapping_add(b - b'0')),
                );
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstab_options_of_a_mount_point() {
        let text = b"# comment /m\n\
            overlay /m overlay lowerdir=/a:/b,X-mount.idmap=0:100000:65536\\0401:2:3 0 0\n\
            /dev/sda1 / ext4 defaults 0 1\n\
            none /with\\040space overlay\n   \n";
        assert_eq!(
            fstab_options_in(text, Path::new("/m")),
            ["lowerdir=/a:/b,X-mount.idmap=0:100000:65536 1:2:3"]
        );
        assert_eq!(
            fstab_options_in(text, Path::new("/with space")),
            ["defaults"]
        );
        assert!(fstab_options_in(text, Path::new("/none")).is_empty());
    }

    #[test]
    fn parses_and_unescapes_mountinfo() {
        let line =
            b"162 161 0:4 net:[4026532475] /tmp/a\\040b/net rw shared:2 master:1 - nsfs nsfs rw";
        let m = MountInfo::parse(line).unwrap();
        assert_eq!(m.mount_point, Path::new("/tmp/a b/net"));
        assert_eq!(m.root, Path::new("net:[4026532475]"));
        assert_eq!(m.optional, ["shared:2", "master:1"]);
        assert!(m.is_shared());
        assert_eq!(m.fstype, "nsfs");
        assert_eq!(unescape(b"a\\134b\\011"), b"a\\b\t");
        assert_eq!(unescape(b"trailing\\04"), b"trailing\\04");
    }

    #[test]
    fn the_initramfs_is_found_at_the_root() {
        let parse = |text: &str| -> Vec<MountInfo> {
            text.lines()
                .filter_map(|l| MountInfo::parse(l.trim().as_bytes()))
                .collect()
        };
        // The busybox guests' stage 1 (a child mount namespace of it shows the same).
        let rootfs = parse(
            "1 1 0:2 / / rw - rootfs rootfs rw,size=1000k
             20 1 0:20 / /proc rw,relatime - proc proc rw",
        );
        assert_eq!(initramfs_root(&rootfs).map(|m| m.id), Some(1));
        // A tmpfs initramfs is found by having no parent.
        let tmpfs = parse("5 5 0:3 / / rw - tmpfs none rw");
        assert_eq!(initramfs_root(&tmpfs).map(|m| m.id), Some(5));
        // A real root over the rootfs (its parent hidden), and a tmpfs pivoted into: not it.
        let disk = parse(
            "25 1 8:1 / / rw - ext4 /dev/sda1 rw
             26 25 0:3 / /tmp rw - tmpfs tmpfs rw",
        );
        assert_eq!(initramfs_root(&disk), None);
        let stacked = parse(
            "1 1 0:2 / / rw - rootfs rootfs rw
             30 1 0:30 / / rw - tmpfs tmpfs rw",
        );
        assert_eq!(initramfs_root(&stacked), None);
        assert_eq!(initramfs_root(&[]), None);
    }

    #[test]
    fn propagation_modes() {
        assert_eq!(Propagation::parse("slave").ok(), Some(Propagation::Slave));
        assert_eq!(
            Propagation::parse("sideways").unwrap_err().to_string(),
            "unsupported propagation mode: sideways"
        );
    }
}
