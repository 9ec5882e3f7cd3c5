//! Why the kernel refused a step, in words: the causes of an EPERM, EACCES, ENOSPC or EINVAL
//! that a host can impose (sysctls, id ranges, set-user-ID helpers, masked `/proc`, AppArmor,
//! seccomp, capabilities, mount propagation), each checked against the host's own files.
//!
//! A tool calls a diagnosis only after a step failed (see [`crate::Error::hinted_by`]); the
//! first cause found to hold becomes one more line after the failure's own message. Every
//! check reads its files through a [`Host`], so unit tests run the same checks over a fake
//! tree of files for the causes these kernels cannot produce.

pub mod mounts;
pub mod userns;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::mount::MountInfo;

/// Where a diagnosis reads the host's state: `/proc`, `/etc` and `/sys`, or the same layout
/// under another directory in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    root: PathBuf,
}

impl Host {
    /// The running system.
    pub fn real() -> Host {
        Host {
            root: PathBuf::from("/"),
        }
    }

    /// A fake system whose `proc/`, `etc/` and `sys/` are under `root`.
    pub fn at(root: impl Into<PathBuf>) -> Host {
        Host { root: root.into() }
    }

    /// `path` (absolute, as on the real system) on this host.
    pub fn path(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        self.root.join(path.strip_prefix("/").unwrap_or(path))
    }

    /// The contents of a file of this host, `None` when it cannot be read.
    pub fn read(&self, path: impl AsRef<Path>) -> Option<String> {
        fs::read_to_string(self.path(path)).ok()
    }

    /// A sysctl by its dotted name (`user.max_user_namespaces`), trimmed; `None` when this
    /// kernel has no such sysctl or it cannot be read.
    pub fn sysctl(&self, name: &str) -> Option<String> {
        let path = format!("/proc/sys/{}", name.replace('.', "/"));
        self.read(path).map(|v| v.trim().to_owned())
    }

    /// A numeric sysctl; `None` when it is missing or not a number.
    pub fn sysctl_number(&self, name: &str) -> Option<i64> {
        self.sysctl(name)?.parse().ok()
    }

    /// Whether `path` exists on this host (a symlink is followed).
    pub fn exists(&self, path: impl AsRef<Path>) -> bool {
        self.path(path).exists()
    }

    /// The mode bits (with the file type) and owner uid of `path`, a symlink followed.
    pub fn mode_and_owner(&self, path: impl AsRef<Path>) -> Option<(u32, u32)> {
        fs::metadata(self.path(path))
            .ok()
            .map(|m| (m.mode(), m.uid()))
    }

    /// Whether the file `path` (a symlink followed) has the extended attribute `name`.
    pub fn has_xattr(&self, path: impl AsRef<Path>, name: &str) -> bool {
        fs::canonicalize(self.path(path))
            .ok()
            .is_some_and(|file| crate::xattr::has(&file, name).unwrap_or(false))
    }

    /// One field of `/proc/self/status` (`Seccomp`, `CapEff`, ...), its value trimmed.
    pub fn self_status(&self, field: &str) -> Option<String> {
        let status = self.read("/proc/self/status")?;
        status.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key == field).then(|| value.trim().to_owned())
        })
    }

    /// The mount table of `/proc/self/mountinfo`; `None` when it cannot be read.
    pub fn mountinfo(&self) -> Option<Vec<MountInfo>> {
        let bytes = fs::read(self.path("/proc/self/mountinfo")).ok()?;
        Some(
            bytes
                .split(|b| *b == b'\n')
                .filter_map(MountInfo::parse)
                .collect(),
        )
    }

    /// Whether this process is in the initial user namespace, by the inode of its
    /// `/proc/self/ns/user` (as [`crate::idmap::in_initial_user_ns`]; a fake host's file is
    /// never that one).
    pub fn in_initial_user_ns(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(self.path("/proc/self/ns/user"))
            .is_ok_and(|m| m.ino() == crate::idmap::INITIAL_USER_NS_INODE)
    }

    /// Whether this process's namespace `kind` (`mnt`, `pid`, `net`, as in /proc/self/ns) was
    /// made in its own user namespace (`NS_GET_USERNS`); `None` when that cannot be asked (a
    /// fake host's files are no namespaces).
    pub fn ns_owned_by_own_user_ns(&self, kind: &str) -> Option<bool> {
        use std::os::fd::AsFd;
        let ns = crate::nsfs::open(&self.path(format!("/proc/self/ns/{kind}"))).ok()?;
        let own = crate::nsfs::open(&self.path("/proc/self/ns/user")).ok()?;
        let own_inode = crate::nsfs::inode(own.as_fd()).ok()?;
        match crate::nsfs::owner(ns.as_fd()).ok()? {
            Some(owner) => Some(crate::nsfs::inode(owner.as_fd()).ok()? == own_inode),
            // Owned by a namespace above this one, out of its view.
            None => Some(false),
        }
    }

    /// `path` (relative to the working directory, or absolute as on the real system) with its
    /// symbolic links resolved, as an absolute path of this host; `None` when it does not exist.
    pub fn resolve(&self, path: &Path) -> Option<PathBuf> {
        let root = fs::canonicalize(&self.root).ok()?;
        let real = if path.is_absolute() && !path.starts_with(&root) {
            fs::canonicalize(self.path(path)).ok()?
        } else {
            fs::canonicalize(path).ok()?
        };
        let inside = real.strip_prefix(&root).ok()?;
        Some(Path::new("/").join(inside))
    }

    /// The id of the mount that holds `path` (statx's `STATX_MNT_ID`), on the real system only:
    /// a fake host has no mount ids of its own.
    pub fn mount_id(&self, path: &Path) -> Option<u64> {
        use rustix::fs::{AtFlags, StatxFlags};
        if self.root != Path::new("/") {
            return None;
        }
        let st =
            rustix::fs::statx(rustix::fs::CWD, path, AtFlags::empty(), StatxFlags::MNT_ID).ok()?;
        (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake host holding `files` (absolute paths as on the real system, and their text).
    pub(super) fn fake(files: &[(&str, &str)]) -> (tempfile::TempDir, Host) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path.trim_start_matches('/'));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let host = Host::at(dir.path());
        (dir, host)
    }

    #[test]
    fn sysctls_and_status_fields_are_read_from_the_hosts_files() {
        let (_dir, host) = fake(&[
            ("/proc/sys/user/max_user_namespaces", "0\n"),
            ("/proc/sys/kernel/unprivileged_userns_clone", "x\n"),
            (
                "/proc/self/status",
                "Name:\tunshare\nSeccomp:\t2\nSeccomp_filters:\t1\n",
            ),
        ]);
        assert_eq!(host.sysctl_number("user.max_user_namespaces"), Some(0));
        assert_eq!(
            host.sysctl("kernel.unprivileged_userns_clone").as_deref(),
            Some("x")
        );
        assert_eq!(host.sysctl_number("kernel.unprivileged_userns_clone"), None);
        assert_eq!(host.sysctl("kernel.no_such_sysctl"), None);
        assert_eq!(host.self_status("Seccomp").as_deref(), Some("2"));
        assert_eq!(host.self_status("Seccomp_filters").as_deref(), Some("1"));
        assert_eq!(host.self_status("CapEff"), None);
        assert_eq!(Host::real().path("/proc/self"), Path::new("/proc/self"));
    }
}
