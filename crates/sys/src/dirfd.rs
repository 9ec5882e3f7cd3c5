//! Paths in a tree that someone less privileged than the caller controls (a container's root
//! file system, a user's runtime directory, a directory a user may write to): opened relative
//! to a directory descriptor, so that a symbolic link the tree's owner planted cannot send a
//! privileged run outside the tree, or anywhere at all. Directories and files made here get
//! the mode asked for, whatever the caller's umask.
//!
//! One typed function per kind of lookup: [`open_in_root`] (openat2's `RESOLVE_IN_ROOT`, the
//! tree seen as `/`), [`open_no_symlinks`] (`RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`), and
//! [`make_dir_at`] / [`make_file_at`] for one new name in a directory already open.

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{Mode, OFlags, ResolveFlags};

use crate::error::Errno;

/// What a descriptor from a lookup here is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A place only (`O_PATH`): a mount point, a directory to change to, any kind of file.
    Place,
    /// A directory, to list or to make names in.
    Dir,
    /// A file to read.
    Read,
}

impl Access {
    fn flags(self) -> OFlags {
        match self {
            Access::Place => OFlags::PATH,
            Access::Dir => OFlags::RDONLY | OFlags::DIRECTORY,
            Access::Read => OFlags::RDONLY,
        }
    }
}

/// openat2(2) with `resolve`, retried when the kernel asks (`EAGAIN`: a rename raced with the
/// lookup).
fn openat2(
    dir: BorrowedFd<'_>,
    path: &Path,
    flags: OFlags,
    resolve: ResolveFlags,
) -> Result<OwnedFd, Errno> {
    loop {
        match rustix::fs::openat2(dir, path, flags | OFlags::CLOEXEC, Mode::empty(), resolve) {
            Err(rustix::io::Errno::AGAIN) => {}
            other => return other.map_err(Errno::from),
        }
    }
}

/// Open `path` inside the tree `root` as if `root` were `/` (Linux 5.6+): an absolute path or
/// symbolic link counts from `root`, `..` stops at it, and `/proc`'s magic links (which lead
/// anywhere) are refused with `ELOOP`.
pub fn open_in_root(root: BorrowedFd<'_>, path: &Path, access: Access) -> Result<OwnedFd, Errno> {
    let relative = path.strip_prefix("/").unwrap_or(path);
    let relative = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    };
    openat2(
        root,
        relative,
        access.flags(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
}

/// Open the relative `path` below `dir` without following any symbolic link (`ELOOP`) and
/// without leaving `dir` by `..` or an absolute path (`EXDEV`), Linux 5.6+.
pub fn open_no_symlinks(
    dir: BorrowedFd<'_>,
    path: &Path,
    access: Access,
) -> Result<OwnedFd, Errno> {
    openat2(
        dir,
        path,
        access.flags(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS,
    )
}

/// The directory `name` in `dir`, made with exactly `mode` (not reduced by the umask) when it
/// is missing, opened with `O_NOFOLLOW`: a symbolic link there is refused (`ENOTDIR` or
/// `ELOOP`), never followed. Returns the directory and whether it was made here.
pub fn make_dir_at(dir: BorrowedFd<'_>, name: &OsStr, mode: u32) -> Result<(OwnedFd, bool), Errno> {
    crate::fault::point("mkdir", crate::errno::EACCES)?;
    let made = match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700)) {
        Ok(()) => true,
        Err(rustix::io::Errno::EXIST) => false,
        Err(e) => return Err(e.into()),
    };
    let opened = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(Errno::from)?;
    if made {
        // mkdir(2) takes the umask off; the mode asked for is set on what was made, through
        // its descriptor, so a name swapped meanwhile is not what changes.
        rustix::fs::fchmod(&opened, Mode::from_raw_mode(mode)).map_err(Errno::from)?;
    }
    Ok((opened, made))
}

/// The file `name` in `dir`, made empty with exactly `mode` when it is missing; an existing
/// one is opened as it is, a symbolic link refused (`ELOOP`). Opened write-only, to bind a
/// file onto or to fill. Returns the file and whether it was made here.
pub fn make_file_at(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    mode: u32,
) -> Result<(OwnedFd, bool), Errno> {
    crate::fault::point("create", crate::errno::EACCES)?;
    let open = |extra: OFlags| {
        rustix::fs::openat(
            dir,
            name,
            OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | extra,
            Mode::from_raw_mode(0o600),
        )
    };
    match open(OFlags::CREATE | OFlags::EXCL) {
        Ok(fd) => {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode)).map_err(Errno::from)?;
            Ok((fd, true))
        }
        Err(rustix::io::Errno::EXIST) => open(OFlags::empty())
            .map(|fd| (fd, false))
            .map_err(Errno::from),
        Err(e) => Err(e.into()),
    }
}

/// The symbolic link `name` in `dir`, pointing to `target` (symlinkat(2)); an existing name
/// is `EEXIST`.
pub fn make_symlink_at(dir: BorrowedFd<'_>, name: &OsStr, target: &OsStr) -> Result<(), Errno> {
    crate::fault::point("symlink", crate::errno::EACCES)?;
    rustix::fs::symlinkat(target, dir, name).map_err(Errno::from)
}

/// Remove the file `name` from `dir` (not a symbolic link's target: unlink never follows one).
pub fn remove_file_at(dir: BorrowedFd<'_>, name: &OsStr) -> Result<(), Errno> {
    rustix::fs::unlinkat(dir, name, rustix::fs::AtFlags::empty()).map_err(Errno::from)
}

/// The directory `path` opened as a starting point for the functions above (the path itself
/// is the caller's to trust: root's argument, or a directory it owns).
pub fn open_dir(path: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(Errno::from)
}

/// The directory `path` opened and locked with an exclusive flock(2), waiting for another
/// holder to let go; the lock lasts as long as the descriptor. A lock between cooperating
/// processes only: it keeps nothing else out of the directory.
pub fn lock_dir(path: &Path) -> Result<OwnedFd, Errno> {
    let dir = open_dir(path)?;
    rustix::fs::flock(&dir, rustix::fs::FlockOperation::LockExclusive).map_err(Errno::from)?;
    Ok(dir)
}

/// The id of the mount the file `fd` refers to is on, as `/proc/PID/mountinfo` numbers mounts
/// (statx's `STATX_MNT_ID`, Linux 5.8+).
pub fn mount_id(fd: impl AsFd) -> Result<u64, Errno> {
    use rustix::fs::{AtFlags, StatxFlags};
    rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID)
        .map(|st| st.stx_mnt_id)
        .map_err(Errno::from)
}

/// The owner uid of the file `fd` refers to.
pub fn owner(fd: impl AsFd) -> Result<u32, Errno> {
    rustix::fs::fstat(fd)
        .map(|st| st.st_uid)
        .map_err(Errno::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn scratch() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_planted_symlink_is_refused_not_followed() {
        let t = scratch();
        let outside = scratch();
        symlink(outside.path(), t.path().join("link")).unwrap_or_else(|e| panic!("{e}"));
        let dir = open_dir(t.path()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(make_dir_at(dir.as_fd(), OsStr::new("link"), 0o755).is_err());
        assert!(make_file_at(dir.as_fd(), OsStr::new("link"), 0o644).is_err());
        assert_eq!(
            open_no_symlinks(dir.as_fd(), Path::new("link/x"), Access::Place).err(),
            Some(Errno(libc::ELOOP))
        );
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none());
    }

    #[test]
    fn modes_ignore_the_umask() {
        let t = scratch();
        let dir = open_dir(t.path()).unwrap_or_else(|e| panic!("{e:?}"));
        let (_, made) = make_dir_at(dir.as_fd(), OsStr::new("d"), 0o1777).unwrap();
        assert!(made);
        let (_, made) = make_dir_at(dir.as_fd(), OsStr::new("d"), 0o700).unwrap();
        assert!(!made);
        make_file_at(dir.as_fd(), OsStr::new("f"), 0o644).unwrap();
        let mode = |n: &str| {
            std::fs::symlink_metadata(t.path().join(n))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!((mode("d"), mode("f")), (0o1777, 0o644));
    }

    #[test]
    fn in_root_absolute_links_stay_inside() {
        let t = scratch();
        std::fs::create_dir(t.path().join("etc")).unwrap();
        symlink("/etc", t.path().join("a")).unwrap();
        symlink("../../../..", t.path().join("up")).unwrap();
        let root = open_dir(t.path()).unwrap_or_else(|e| panic!("{e:?}"));
        let st = |fd: OwnedFd| rustix::fs::fstat(fd).map(|s| s.st_ino).ok();
        let inner = rustix::fs::stat(t.path().join("etc"))
            .map(|s| s.st_ino)
            .ok();
        let top = rustix::fs::stat(t.path()).map(|s| s.st_ino).ok();
        assert_eq!(
            st(open_in_root(root.as_fd(), Path::new("/a"), Access::Place).unwrap()),
            inner
        );
        assert_eq!(
            st(open_in_root(root.as_fd(), Path::new("up"), Access::Place).unwrap()),
            top
        );
        assert_eq!(
            open_in_root(root.as_fd(), Path::new("/proc/self/root"), Access::Place).err(),
            Some(Errno(libc::ENOENT))
        );
    }
}
