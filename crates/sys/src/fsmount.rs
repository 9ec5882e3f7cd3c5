//! The new mount API (`fsopen(2)`, `fsconfig(2)`, `fsmount(2)`, `move_mount(2)`): a file
//! system is configured one parameter at a time, so no option page limits it, and when the
//! kernel refuses, it says why in the file system context, which we read back.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags, MoveMountFlags};

use crate::error::{Errno, Error, Result};

/// A file system being configured, not yet mounted.
#[derive(Debug)]
pub struct FsContext {
    fd: OwnedFd,
    fstype: String,
}

impl FsContext {
    /// Start configuring a file system of type `fstype` (`fsopen`). `Ok(None)` when the kernel
    /// has no new mount API (before 5.2), so the caller falls back to mount(2).
    pub fn open(fstype: &str) -> Result<Option<FsContext>> {
        match rustix::mount::fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC) {
            Ok(fd) => Ok(Some(FsContext {
                fd,
                fstype: fstype.to_owned(),
            })),
            Err(rustix::io::Errno::NOSYS) => Ok(None),
            Err(e) => Err(Error::os(format!("fsopen {fstype} failed"), e)),
        }
    }

    /// Set the parameter `key` to `value` (`FSCONFIG_SET_STRING`).
    pub fn set(&self, key: &str, value: &OsStr) -> Result<()> {
        rustix::mount::fsconfig_set_string(&self.fd, key, value).map_err(|e| {
            self.refusal(
                &format!("{key}={}", Path::new(value).display()),
                Errno::from(e),
            )
        })
    }

    /// Set the flag parameter `key` (`FSCONFIG_SET_FLAG`).
    pub fn set_flag(&self, key: &str) -> Result<()> {
        rustix::mount::fsconfig_set_flag(&self.fd, key).map_err(|e| self.refusal(key, e.into()))
    }

    /// Create the file system and mount it at `target`, read-only if asked.
    pub fn mount(self, target: &Path, read_only: bool) -> Result<()> {
        let what = format!("mounting {} on {}", self.fstype, target.display());
        crate::fault::point("fsconfig.create", libc::EINVAL)
            .and_then(|()| rustix::mount::fsconfig_create(&self.fd))
            .map_err(|e| self.refusal(&what, e.into()))?;
        let attrs = if read_only {
            MountAttrFlags::MOUNT_ATTR_RDONLY
        } else {
            MountAttrFlags::empty()
        };
        let mnt = crate::fault::point("fsmount", libc::EPERM)
            .and_then(|()| rustix::mount::fsmount(&self.fd, FsMountFlags::FSMOUNT_CLOEXEC, attrs))
            .map_err(|e| self.refusal(&what, e.into()))?;
        crate::fault::point("move_mount", libc::ENOENT)
            .and_then(|()| {
                rustix::mount::move_mount(
                    mnt.as_fd(),
                    "",
                    rustix::fs::CWD,
                    target,
                    MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
                )
            })
            .map_err(|e| Error::os(format!("{what} failed"), e))
    }

    /// The error for a refused step: the kernel's own words when it left some in the
    /// context's log (`e overlayfs: ...`), else `what failed: strerror`.
    fn refusal(&self, what: &str, errno: Errno) -> Error {
        let messages = self.kernel_messages();
        if messages.is_empty() {
            Error::os(format!("{what} failed"), errno)
        } else {
            Error::msg(format!("{what} failed: {}", messages.join("; ")))
        }
    }

    /// Read the messages the kernel logged in the context: each read returns one line,
    /// `e ` (error), `w ` (warning) or `i ` (information) and the text; ENODATA ends them.
    fn kernel_messages(&self) -> Vec<String> {
        let mut messages = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = rustix::io::read(&self.fd, &mut buf) {
            if n == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf[..n]).trim_end().to_owned();
            if let Some(("e" | "w", text)) = line.split_once(' ') {
                messages.push(text.to_owned());
            }
        }
        messages
    }
}

/// A tmpfs attached nowhere, holding an overlay's `upper` and `work` directories: a
/// throw-away upper layer that needs no directory on any file system and goes away with the
/// overlay that uses it. overlayfs takes layers by path, so they are named through this
/// process's descriptor (`/proc/self/fd/N/upper`), which needs /proc.
#[derive(Debug)]
pub struct ScratchLayers {
    mnt: OwnedFd,
    /// Where [`ScratchLayers::attach`] put it, for kernels that want attached layers.
    attached: Option<TemporaryAttachment>,
}

impl ScratchLayers {
    /// Create the tmpfs (of at most `size`, tmpfs's syntax: `64m`, `10%`) and its two
    /// directories. Errors read `tmpfs for the upper layer: ...`.
    pub fn new(size: Option<&OsStr>) -> Result<ScratchLayers> {
        let what = "tmpfs for the upper layer";
        let ctx = FsContext::open("tmpfs")?
            .ok_or_else(|| Error::msg(format!("{what}: the kernel has no new mount API")))?;
        ctx.set("mode", OsStr::new("0755"))?;
        if let Some(size) = size {
            ctx.set("size", size)?;
        }
        crate::fault::point("fsconfig.create", libc::ENOMEM)
            .and_then(|()| rustix::mount::fsconfig_create(&ctx.fd))
            .map_err(|e| ctx.refusal(what, e.into()))?;
        crate::fault::point("fsmount", libc::EPERM).map_err(|e| ctx.refusal(what, e.into()))?;
        let mnt = rustix::mount::fsmount(
            &ctx.fd,
            FsMountFlags::FSMOUNT_CLOEXEC,
            MountAttrFlags::empty(),
        )
        .map_err(|e| ctx.refusal(what, e.into()))?;
        for dir in ["upper", "work"] {
            crate::fault::point("mkdir", libc::ENOSPC)
                .and_then(|()| {
                    rustix::fs::mkdirat(&mnt, dir, rustix::fs::Mode::from_raw_mode(0o755))
                })
                .map_err(|e| Error::os(format!("{what}: mkdir {dir}"), e))?;
        }
        Ok(ScratchLayers {
            mnt,
            attached: None,
        })
    }

    /// The upper directory's path while this value lives.
    pub fn upper(&self) -> std::path::PathBuf {
        self.path("upper")
    }

    /// The work directory's path while this value lives.
    pub fn work(&self) -> std::path::PathBuf {
        self.path("work")
    }

    fn path(&self, dir: &str) -> std::path::PathBuf {
        use std::os::fd::AsRawFd;
        match &self.attached {
            Some(at) => at.path().join(dir),
            None => format!("/proc/self/fd/{}/{dir}", self.mnt.as_raw_fd()).into(),
        }
    }

    /// Attach the tmpfs on a new private directory in the temporary directory, for kernels
    /// whose overlayfs takes layers only from attached mounts (Linux 6.1 answers EINVAL for
    /// a detached one). overlayfs keeps its own private copy of the upper mount, so the
    /// attachment is undone when this value is dropped, after the overlay is mounted.
    pub fn attach(&mut self) -> Result<()> {
        if self.attached.is_none() {
            let name = format!(".ovlmount-upper-{}", std::process::id());
            self.attached = Some(TemporaryAttachment::new(
                self.mnt.as_fd(),
                &name,
                "tmpfs for the upper layer",
            )?);
        }
        Ok(())
    }
}

/// A mount attached for a while on a new private directory (mode 700) of the temporary
/// directory, for calls that take only attached mounts by path (overlayfs's layers before
/// Linux 6.15). Dropping it detaches the mount there and removes the directory.
#[derive(Debug)]
pub struct TemporaryAttachment {
    dir: std::path::PathBuf,
}

impl TemporaryAttachment {
    /// Attach the mount `mnt` (a detached one: a new file system or an open_tree copy) on the
    /// directory `name` of the temporary directory. Errors read `cannot create DIR` or
    /// `WHAT: mount on DIR failed`.
    pub fn new(mnt: std::os::fd::BorrowedFd<'_>, name: &str, what: &str) -> Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(name);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::os(format!("cannot create {}", dir.display()), &e))?;
        let moved = rustix::mount::move_mount(
            mnt,
            "",
            rustix::fs::CWD,
            &dir,
            MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH,
        );
        if let Err(e) = moved {
            let _ = std::fs::remove_dir(&dir);
            return Err(Error::os(
                format!("{what}: mount on {} failed", dir.display()),
                e,
            ));
        }
        Ok(TemporaryAttachment { dir })
    }

    /// Where the mount is attached.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TemporaryAttachment {
    fn drop(&mut self) {
        let _ = rustix::mount::unmount(&self.dir, rustix::mount::UnmountFlags::DETACH);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Unmount `target`; `lazy` detaches it now and lets it go when no longer busy.
pub fn unmount(target: &Path, lazy: bool) -> Result<()> {
    let flags = if lazy {
        rustix::mount::UnmountFlags::DETACH
    } else {
        rustix::mount::UnmountFlags::empty()
    };
    rustix::mount::unmount(target, flags)
        .map_err(|e| Error::os(format!("{}: umount failed", target.display()), e))
}

/// The classic mount(2) of a file system with an option string (`data`), for kernels
/// without the new API or without a parameter this program needs.
pub fn mount_with_options(
    source: &str,
    target: &Path,
    fstype: &str,
    read_only: bool,
    data: &OsStr,
) -> Result<()> {
    let flags = if read_only {
        rustix::mount::MountFlags::RDONLY
    } else {
        rustix::mount::MountFlags::empty()
    };
    let data = std::ffi::CString::new(data.as_encoded_bytes())
        .map_err(|_| Error::msg("mount options contain a NUL byte"))?;
    let mounted = crate::fault::point("mount.options", libc::EINVAL)
        .and_then(|()| rustix::mount::mount(source, target, fstype, flags, Some(data.as_c_str())));
    mounted.map_err(|e| {
        Error::os(
            format!("mounting {fstype} on {} failed", target.display()),
            e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_says_why() {
        // Configuring never mounts anything: a missing lower layer is refused by fsconfig
        // (overlay checks paths as they are set), with overlay's own message.
        let Some(ctx) = FsContext::open("overlay").unwrap() else {
            return;
        };
        let err = ctx
            .set("lowerdir+", OsStr::new("/nonexistent/nsutils-layer"))
            .and_then(|()| ctx.set("lowerdir", OsStr::new("/nonexistent/nsutils-layer")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/nsutils-layer"), "{err}");
        assert!(err.contains("failed"), "{err}");
    }
}
