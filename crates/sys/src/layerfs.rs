//! The file-system calls that unpacking an image layer needs and std does not offer for a
//! path itself (never a symlink's target): device and fifo nodes, owner and times of a symlink.

use std::path::Path;

use rustix::fs::{AtFlags, CWD, FileType, Mode, Timespec, Timestamps};

use crate::error::{Error, Result};

/// What [`mknod`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A character device; `Char(0, 0)` is overlayfs' whiteout.
    Char(u32, u32),
    /// A block device.
    Block(u32, u32),
    /// A named pipe.
    Fifo,
}

/// Make a device or fifo node at `path` with permission bits `mode` (before the umask).
/// Errors read `cannot make PATH`.
pub fn mknod(path: &Path, node: Node, mode: u32) -> Result<()> {
    let (kind, dev) = match node {
        Node::Char(major, minor) => (FileType::CharacterDevice, rustix::fs::makedev(major, minor)),
        Node::Block(major, minor) => (FileType::BlockDevice, rustix::fs::makedev(major, minor)),
        Node::Fifo => (FileType::Fifo, 0),
    };
    rustix::fs::mknodat(CWD, path, kind, Mode::from_raw_mode(mode), dev)
        .map_err(|e| Error::os(format!("cannot make {}", path.display()), e))
}

/// Set the owner of `path` itself (a symlink's own owner). Errors read
/// `cannot change the owner of PATH`.
pub fn lchown(path: &Path, uid: u32, gid: u32) -> Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .map_err(|e| Error::os(format!("cannot change the owner of {}", path.display()), &e))
}

/// Set the access and modification times of `path` itself to `seconds.nanoseconds`.
/// Errors read `cannot set the times of PATH`.
pub fn set_times(path: &Path, seconds: i64, nanoseconds: u32) -> Result<()> {
    let time = Timespec {
        tv_sec: seconds,
        tv_nsec: i64::from(nanoseconds),
    };
    let times = Timestamps {
        last_access: time,
        last_modification: time,
    };
    rustix::fs::utimensat(CWD, path, &times, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| Error::os(format!("cannot set the times of {}", path.display()), e))
}

/// The major and minor numbers of a device number (`st_rdev`).
pub fn major_minor(rdev: u64) -> (u32, u32) {
    (rustix::fs::major(rdev), rustix::fs::minor(rdev))
}

/// Whether the caller is root of the initial user namespace: only that root makes device
/// nodes, gives files away and sets `trusted.*` attributes (root of a user namespace may make
/// overlayfs' 0/0 whiteout device, but not the `trusted.overlay.*` marks that go with it).
pub fn is_host_root() -> bool {
    rustix::process::geteuid().is_root() && crate::idmap::in_initial_user_ns()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_round_trip() {
        for (major, minor) in [(0, 0), (1, 3), (259, 70000)] {
            assert_eq!(
                major_minor(rustix::fs::makedev(major, minor)),
                (major, minor)
            );
        }
    }

    #[test]
    fn times_of_a_symlink_itself() {
        let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = scratch.path();
        let target = dir.join("target");
        let link = dir.join("link");
        std::fs::write(&target, b"").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("target", &link).unwrap_or_else(|e| panic!("{e}"));
        assert!(set_times(&link, 1_000_000_000, 5).is_ok());
        use std::os::unix::fs::MetadataExt;
        let meta = |p: &Path| std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (meta(&link).mtime(), meta(&link).mtime_nsec()),
            (1_000_000_000, 5)
        );
        assert_ne!(meta(&target).mtime(), 1_000_000_000);
        let missing = dir.join("missing");
        assert_eq!(
            set_times(&missing, 0, 0).err().map(|e| e.to_string()),
            Some(format!(
                "cannot set the times of {}: No such file or directory",
                missing.display()
            ))
        );
    }
}
