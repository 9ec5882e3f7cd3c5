//! Root file systems that are not ours yet, and the one we leave behind: looking paths up
//! inside a directory as if it were `/` already (so a missing program is found before the
//! switch, not after), and clearing an old initramfs.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};

use crate::error::{Context, Errno, Error, Result};

/// The search path glibc's `execvp` uses when `PATH` is unset.
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// A directory that will become `/`: paths are looked up inside it, with `..` and absolute
/// symbolic links staying within it (openat2's `RESOLVE_IN_ROOT`, Linux 5.6+).
#[derive(Debug)]
pub struct FutureRoot {
    dir: OwnedFd,
}

/// What a path inside a [`FutureRoot`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file the caller may execute.
    Executable,
    /// Anything else (a file without execute permission, a device, ...).
    Other,
}

impl FutureRoot {
    /// Open `dir`. Errors read `cannot open DIR`.
    pub fn open(dir: &Path) -> Result<FutureRoot> {
        let dir = rustix::fs::open(
            dir,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .context(|| format!("cannot open {}", dir.display()))?;
        Ok(FutureRoot { dir })
    }

    /// What `path` is once this directory is `/` (a relative path counts from `/`).
    pub fn kind(&self, path: &Path) -> std::result::Result<Kind, Errno> {
        let fd = crate::dirfd::open_in_root(self.dir.as_fd(), path, crate::dirfd::Access::Place)?;
        let st = rustix::fs::fstat(&fd).map_err(Errno::from)?;
        Ok(match FileType::from_raw_mode(st.st_mode) {
            FileType::Directory => Kind::Dir,
            FileType::RegularFile if may_execute(&fd) => Kind::Executable,
            _ => Kind::Other,
        })
    }

    /// Find the program `name` as exec would once this directory is `/`, with `workdir` as
    /// the working directory: a name with a `/` as it is, else searched in `path` (`PATH`'s
    /// value; glibc's default when `None`). Returns the path found, or ENOENT / EACCES as
    /// execvp would fail.
    pub fn find_program(
        &self,
        name: &OsStr,
        workdir: &Path,
        path: Option<&OsStr>,
    ) -> std::result::Result<PathBuf, Errno> {
        let executable = |candidate: &Path| match self.kind(candidate) {
            Ok(Kind::Executable) => Ok(()),
            Ok(_) => Err(Errno(libc::EACCES)),
            Err(e) => Err(e),
        };
        if name.as_bytes().contains(&b'/') {
            let candidate = workdir.join(name);
            return executable(&candidate).map(|()| candidate);
        }
        let path = path.unwrap_or(OsStr::new(DEFAULT_PATH));
        let mut denied = false;
        for dir in path.as_bytes().split(|b| *b == b':') {
            // An empty entry is the working directory, as for execvp.
            let dir = if dir.is_empty() {
                workdir.to_path_buf()
            } else {
                workdir.join(OsStr::from_bytes(dir))
            };
            let candidate = dir.join(name);
            match executable(&candidate) {
                Ok(()) => return Ok(candidate),
                Err(Errno(libc::EACCES)) => denied = true,
                Err(_) => {}
            }
        }
        Err(Errno(if denied { libc::EACCES } else { libc::ENOENT }))
    }
}

/// Whether the directory `dir`, meant to become `/`, is `/` already. Fails with the errno of
/// its stat(2), or ENOTDIR for something other than a directory.
pub fn is_current_root(dir: &Path) -> std::result::Result<bool, Errno> {
    use std::os::unix::fs::MetadataExt;
    let new = std::fs::metadata(dir).map_err(Errno::from)?;
    if !new.is_dir() {
        return Err(Errno(libc::ENOTDIR));
    }
    let root = std::fs::metadata("/").map_err(Errno::from)?;
    Ok((new.dev(), new.ino()) == (root.dev(), root.ino()))
}

/// Whether exec(2) would be allowed to run the file `fd` refers to: faccessat2(2) with
/// `AT_EMPTY_PATH` (Linux 5.8+), which also knows about `noexec` mounts and ACLs.
fn may_execute(fd: &OwnedFd) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: the path is a static NUL-terminated empty string; the call only reads it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_faccessat2,
            fd.as_raw_fd(),
            c"".as_ptr(),
            libc::X_OK,
            libc::AT_EMPTY_PATH,
        )
    };
    rc == 0
}

/// The old root, opened before a switch so that it can be cleared afterwards.
#[derive(Debug)]
pub struct OldRoot {
    dir: OwnedFd,
}

impl OldRoot {
    /// Open the current `/`. Errors read `cannot open /`.
    pub fn open() -> Result<OldRoot> {
        let dir = crate::fault::point("open.root", libc::EMFILE)
            .and_then(|()| {
                rustix::fs::open(
                    "/",
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                    Mode::empty(),
                )
            })
            .context(|| "cannot open /".to_owned())?;
        Ok(OldRoot { dir })
    }

    /// Detach (`MNT_DETACH`) the mount on `name`, a path relative to the old root, once the
    /// old root is no longer reachable by path: the working directory is made the old root
    /// first (fchdir(2) reaches outside a chroot), and stays there, so the caller changes
    /// it afterwards. Errors read `umount NAME failed`.
    pub fn detach(&self, name: &Path) -> Result<()> {
        rustix::process::fchdir(&self.dir).context(|| "cannot change directory".to_owned())?;
        crate::mount::detach(name)
    }

    /// Whether it is an initramfs: a ramfs or a tmpfs, whose files live in memory and are
    /// worth deleting once nothing can reach them.
    pub fn is_initramfs(&self) -> bool {
        const RAMFS_MAGIC: u64 = 0x8584_58f6;
        const TMPFS_MAGIC: u64 = 0x0102_1994;
        rustix::fs::fstatfs(&self.dir)
            .is_ok_and(|st| matches!(st.f_type as u64, RAMFS_MAGIC | TMPFS_MAGIC))
    }

    /// Delete everything in it, without crossing into other file systems mounted below it.
    /// Returns what could not be deleted; the rest is gone.
    pub fn clear(self) -> Vec<Error> {
        let mut failures = Vec::new();
        match rustix::fs::fstat(&self.dir) {
            Ok(st) => remove_below(self.dir, st.st_dev, Path::new("/"), &mut failures),
            Err(e) => failures.push(Error::os("stat failed", e)),
        }
        failures
    }
}

/// Delete the entries of `dir` (at `shown`, for messages) that are on device `dev`, depth first.
fn remove_below(dir: OwnedFd, dev: u64, shown: &Path, failures: &mut Vec<Error>) {
    let names = match list(&dir) {
        Ok(names) => names,
        Err(e) => {
            failures.push(Error::os(
                format!("failed to read directory {}", shown.display()),
                e,
            ));
            return;
        }
    };
    for name in names {
        let path = shown.join(&name);
        let st = match rustix::fs::statat(&dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(e) => {
                failures.push(Error::os(format!("stat of {} failed", path.display()), e));
                continue;
            }
        };
        let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
        if is_dir {
            // Another file system mounted here: not ours to delete, and its mount point
            // stays with it.
            if st.st_dev != dev {
                continue;
            }
            match rustix::fs::openat(
                &dir,
                name.as_os_str(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(sub) => remove_below(sub, dev, &path, failures),
                Err(e) => failures.push(Error::os(format!("cannot open {}", path.display()), e)),
            }
        }
        let flags = if is_dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        if let Err(e) = rustix::fs::unlinkat(&dir, name.as_os_str(), flags) {
            failures.push(Error::os(format!("failed to unlink {}", path.display()), e));
        }
    }
}

fn list(dir: &OwnedFd) -> std::result::Result<Vec<OsString>, Errno> {
    let mut entries = rustix::fs::Dir::read_from(dir.as_fd()).map_err(Errno::from)?;
    let mut names = Vec::new();
    while let Some(entry) = entries.read() {
        let entry = entry.map_err(Errno::from)?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(OsStr::from_bytes(name).to_os_string());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_paths_up_inside_the_future_root() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let tool = bin.join("tool");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&tool, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        std::fs::write(bin.join("data"), "").unwrap();
        // An absolute link resolves inside the root, not on the host.
        std::os::unix::fs::symlink("/bin/tool", dir.join("link")).unwrap();
        let root = FutureRoot::open(&dir).unwrap();
        assert_eq!(root.kind(Path::new("/bin")), Ok(Kind::Dir));
        assert_eq!(root.kind(Path::new("/link")), Ok(Kind::Executable));
        assert_eq!(root.kind(Path::new("../../bin/tool")), Ok(Kind::Executable));
        assert_eq!(root.kind(Path::new("/bin/data")), Ok(Kind::Other));
        let path = Some(OsStr::new("/nowhere:/bin"));
        assert_eq!(
            root.find_program(OsStr::new("tool"), Path::new("/"), path),
            Ok(PathBuf::from("/bin/tool"))
        );
        assert_eq!(
            root.find_program(OsStr::new("data"), Path::new("/"), path),
            Err(Errno(libc::EACCES))
        );
        assert_eq!(
            root.find_program(OsStr::new("sh-not-here"), Path::new("/"), path),
            Err(Errno(libc::ENOENT))
        );
        assert_eq!(
            root.find_program(OsStr::new("./tool"), Path::new("/bin"), None),
            Ok(PathBuf::from("/bin/./tool"))
        );
    }
}
