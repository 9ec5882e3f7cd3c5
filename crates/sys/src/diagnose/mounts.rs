//! Why a mount step was refused: a new proc or sysfs (masked `/proc`, namespaces owned by
//! another user namespace), an overlay (no privilege, layers on two mounts), and
//! pivot_root(2)'s EINVAL and EBUSY conditions, each named from the mount table, not guessed.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Host;
use crate::mount::{MountInfo, initramfs_root, mount_of};

/// Directories the kernel makes permanently empty to be mount points, relative to proc's root
/// (`sys/fs/binfmt_misc`) or sysfs's (cgroup, debugfs, ...): a mount on one of them hides
/// nothing, and the kernel does not count it.
const EMPTY_MOUNT_POINTS: [&str; 10] = [
    "sys/fs/binfmt_misc",
    "fs/cgroup",
    "fs/fuse/connections",
    "fs/pstore",
    "fs/bpf",
    "fs/selinux",
    "kernel/debug",
    "kernel/tracing",
    "kernel/security",
    "kernel/config",
];

/// `CAP_SYS_ADMIN`'s bit in `CapEff`.
const CAP_SYS_ADMIN: u32 = 21;

/// A cause found to hold for a refused mount step, with its fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The mount namespace belongs to a more privileged user namespace than the caller's.
    MountNsNotOwned,
    /// proc: the pid namespace was made outside the caller's user namespace.
    PidNsNotOwned,
    /// sysfs: the network namespace was made outside the caller's user namespace.
    NetNsNotOwned,
    /// Every mount of `fstype` in the namespace has mounts over paths inside it.
    Masked {
        /// `proc` or `sysfs`.
        fstype: String,
        /// Where the first of them is mounted.
        mount_point: PathBuf,
        /// The paths covered inside it.
        covered: Vec<PathBuf>,
    },
    /// overlayfs as an unprivileged user in the initial user namespace.
    OverlayUnprivileged {
        /// `/proc/sys/kernel/osrelease`.
        kernel: String,
        /// Whether this kernel mounts overlays in user namespaces (5.11+).
        in_userns: bool,
    },
    /// The upper layer and the work directory are under two different mounts.
    LayersOnTwoMounts {
        /// The upper layer and the mount point of its mount.
        upper: (PathBuf, PathBuf),
        /// The work directory and the mount point of its mount.
        work: (PathBuf, PathBuf),
    },
    /// A mount whose propagation makes pivot_root(2) refuse: `role` names it.
    Shared {
        /// The refused call: `pivot_root(2)`, or `a move (MS_MOVE)`.
        call: &'static str,
        /// `the mount of put_old`, `the parent mount of new_root`, ...
        role: &'static str,
        /// Its mount point.
        mount_point: PathBuf,
        /// Its `shared:N` field.
        peer_group: String,
    },
    /// new_root is reached through another mount namespace (`/proc/PID/root/...`).
    OtherNamespace(PathBuf),
    /// The current root is a directory, not the root of a mount (a chroot).
    RootNotMountPoint,
    /// `/` is the initramfs, which has no parent mount to move.
    RootIsInitramfs {
        /// `rootfs`, `ramfs` or `tmpfs`.
        fstype: String,
    },
    /// new_root is not the root of a mount.
    NotMountPoint(PathBuf),
    /// put_old is not at or under new_root.
    PutOldOutside {
        /// As given.
        put_old: PathBuf,
        /// As given.
        new_root: PathBuf,
    },
    /// EBUSY: new_root or put_old is on the current root's mount.
    OnCurrentRoot {
        /// `new_root` or `put_old`.
        role: &'static str,
        /// As given.
        path: PathBuf,
    },
    /// mount_setattr(2) is missing (ENOSYS): idmapped mounts came with Linux 5.12.
    IdmapKernelTooOld {
        /// `/proc/sys/kernel/osrelease`.
        kernel: String,
    },
    /// The file system cannot be idmapped (EINVAL), or only from a later kernel.
    IdmapFsUnsupported {
        /// Its type.
        fstype: String,
        /// Where it is mounted.
        mount_point: PathBuf,
        /// The release from which it can be, when known, and this kernel's release.
        from: Option<((u32, u32), String)>,
    },
    /// EPERM without CAP_SYS_ADMIN in the initial user namespace: copying and idmapping a
    /// host file system's mounts needs it.
    IdmapNeedsRoot,
    /// The mount is idmapped already (EPERM): a mount takes one id mapping.
    IdmapAlready {
        /// Where it is mounted.
        mount_point: PathBuf,
    },
    /// EPERM in a user namespace: the file system belongs to a more privileged one.
    IdmapForeign {
        /// Its type.
        fstype: String,
        /// Where it is mounted.
        mount_point: PathBuf,
    },
    /// ENOTDIR: not a directory.
    NotDirectory {
        /// `new_root` or `put_old`.
        role: &'static str,
        /// As given.
        path: PathBuf,
    },
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::MountNsNotOwned => f.write_str(
                "this mount namespace was not made in this user namespace, so nothing can be \
                 mounted in it; make one with it: unshare --user --map-root-user --mount",
            ),
            Cause::PidNsNotOwned => f.write_str(
                "this pid namespace was not made in this user namespace, and only the owner of \
                 a pid namespace mounts its proc; make one after the user namespace and fork \
                 into it: unshare --user --map-root-user --pid --fork --mount-proc",
            ),
            Cause::NetNsNotOwned => f.write_str(
                "this network namespace was not made in this user namespace, and only the \
                 owner of a network namespace mounts its sysfs; make one with it: unshare \
                 --user --map-root-user --net",
            ),
            Cause::Masked {
                fstype,
                mount_point,
                covered,
            } => {
                let list: Vec<String> = covered.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "{0} is partly masked ({1} mounted over), and the kernel mounts no new \
                     {2} in a user namespace while every {2} it has is masked; run with an \
                     unmasked {0} (docker, podman: --security-opt systempaths=unconfined), or \
                     bind the existing one: mount --rbind {0} DIR",
                    mount_point.display(),
                    list.join(" "),
                    fstype
                )
            }
            Cause::OverlayUnprivileged {
                kernel,
                in_userns: true,
            } => write!(
                f,
                "overlayfs needs root, or a user namespace (Linux 5.11+, {kernel} here); run it \
                 in one: unshare --user --map-root-user --mount"
            ),
            Cause::OverlayUnprivileged {
                kernel,
                in_userns: false,
            } => write!(
                f,
                "overlayfs needs root: this kernel ({kernel}) mounts no overlay in a user \
                 namespace (Linux 5.11+ does); run it as root"
            ),
            Cause::LayersOnTwoMounts { upper, work } => write!(
                f,
                "upperdir {} is under the mount at {} and workdir {} under the mount at {}, \
                 and overlayfs wants both under one mount; put workdir beside upperdir",
                upper.0.display(),
                upper.1.display(),
                work.0.display(),
                work.1.display()
            ),
            Cause::Shared {
                call,
                role,
                mount_point,
                peer_group,
            } => write!(
                f,
                "{role} ({}) is shared ({peer_group}), and {call} moves no mount under a shared \
                 one; make it private: mount --make-rprivate /",
                mount_point.display()
            ),
            Cause::OtherNamespace(new_root) => write!(
                f,
                "new_root {} is a mount of another mount namespace; enter that namespace \
                 first: nsenter --mount=/proc/PID/ns/mnt",
                new_root.display()
            ),
            Cause::RootNotMountPoint => f.write_str(
                "the current root is a directory, not a mount (a chroot); run it outside the \
                 chroot, in a mount namespace of its own: unshare --mount",
            ),
            Cause::RootIsInitramfs { fstype } => write!(
                f,
                "the current root is the initramfs ({fstype}), which pivot_root(2) cannot move; \
                 move the new root over it instead: pivot_root --move-if-rootfs, pivot, or \
                 switch_root"
            ),
            Cause::NotMountPoint(new_root) => write!(
                f,
                "new_root {0} is not a mount point; make it one: mount --bind {0} {0}",
                new_root.display()
            ),
            Cause::PutOldOutside { put_old, new_root } => write!(
                f,
                "put_old {} is not at or under new_root {}; give a directory inside it",
                put_old.display(),
                new_root.display()
            ),
            Cause::OnCurrentRoot { role, path } => write!(
                f,
                "{role} {} is on the mount of the current root; give a mount of its own \
                 (mount --bind DIR DIR)",
                path.display()
            ),
            Cause::IdmapKernelTooOld { kernel } => write!(
                f,
                "idmapped mounts (mount_setattr) need Linux 5.12 or later; this kernel is {kernel}"
            ),
            Cause::IdmapFsUnsupported {
                fstype,
                mount_point,
                from: Some(((major, minor), kernel)),
            } => write!(
                f,
                "the {fstype} file system (mounted on {}) can be idmapped from Linux \
                 {major}.{minor}; this kernel is {kernel}",
                mount_point.display()
            ),
            Cause::IdmapFsUnsupported {
                fstype,
                mount_point,
                from: None,
            } => write!(
                f,
                "the {fstype} file system (mounted on {}) does not support idmapped mounts; \
                 ext4, xfs and btrfs do, tmpfs from Linux 6.3",
                mount_point.display()
            ),
            Cause::IdmapNeedsRoot => f.write_str(
                "idmapped layers and binds need root (CAP_SYS_ADMIN over the layers' file \
                 systems, which for a disk's is the initial user namespace's); a user namespace \
                 of one's own cannot idmap them",
            ),
            Cause::IdmapAlready { mount_point } => write!(
                f,
                "the mount on {} is idmapped already, and a mount takes one id mapping (a \
                 copy of an idmapped mount can be mapped again only with open_tree_attr, Linux \
                 6.15, which this program does not use yet); give the directory beneath it",
                mount_point.display()
            ),
            Cause::IdmapForeign {
                fstype,
                mount_point,
            } => write!(
                f,
                "the {fstype} file system on {} was mounted outside this user namespace, and \
                 only a process privileged over the file system's own user namespace may \
                 idmap it; run this from the initial user namespace",
                mount_point.display()
            ),
            Cause::NotDirectory { role, path } => {
                write!(f, "{role} {} is not a directory", path.display())
            }
        }
    }
}

/// What the checks of a refused mount read from the host: its mount table, and which of the
/// namespaces this process is in were made in its own user namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// `/proc/self/mountinfo`.
    pub table: Vec<MountInfo>,
    /// Whether this process is in the initial user namespace.
    pub initial_user_ns: bool,
    /// Whether the mount namespace is owned by this process's user namespace (`None`:
    /// unknown).
    pub mount_ns_owned: Option<bool>,
    /// The same for the pid namespace.
    pub pid_ns_owned: Option<bool>,
    /// The same for the network namespace.
    pub net_ns_owned: Option<bool>,
}

impl Facts {
    /// Read them from `host`.
    pub fn of(host: &Host) -> Facts {
        Facts {
            table: host.mountinfo().unwrap_or_default(),
            initial_user_ns: host.in_initial_user_ns(),
            mount_ns_owned: host.ns_owned_by_own_user_ns("mnt"),
            pid_ns_owned: host.ns_owned_by_own_user_ns("pid"),
            net_ns_owned: host.ns_owned_by_own_user_ns("net"),
        }
    }
}

/// Why mounting a new `fstype` (`proc` or `sysfs`) failed with `errno`: in a user namespace,
/// the namespaces it needs must be its own, and a full view of that file system must already
/// be mounted there (the kernel's "mount too revealing" rule).
pub fn kernel_fs_refused(fstype: &str, errno: i32, facts: &Facts) -> Option<Cause> {
    if errno != libc::EPERM || facts.initial_user_ns {
        return None;
    }
    if facts.mount_ns_owned == Some(false) {
        return Some(Cause::MountNsNotOwned);
    }
    match fstype {
        "proc" if facts.pid_ns_owned == Some(false) => return Some(Cause::PidNsNotOwned),
        "sysfs" if facts.net_ns_owned == Some(false) => return Some(Cause::NetNsNotOwned),
        _ => {}
    }
    masked(fstype, &facts.table)
}

/// Every full mount of `fstype` with something mounted over a path inside it (other than the
/// kernel's permanently empty mount points): then the kernel refuses a new one. The first
/// such mount is named with what covers it. The kernel counts only the covering mounts that
/// are locked (inherited from a more privileged mount namespace), which mountinfo does not
/// show; a mount made in the user namespace itself could be unmounted, and the fix named
/// still holds.
fn masked(fstype: &str, table: &[MountInfo]) -> Option<Cause> {
    let full: Vec<&MountInfo> = table
        .iter()
        .filter(|m| m.fstype == fstype && m.root == Path::new("/"))
        .collect();
    let mut first = None;
    for m in &full {
        let covered: Vec<PathBuf> = table
            .iter()
            .filter(|c| c.parent == m.id)
            .filter_map(|c| c.mount_point.strip_prefix(&m.mount_point).ok())
            .filter(|rel| !EMPTY_MOUNT_POINTS.iter().any(|e| *rel == Path::new(e)))
            .map(Path::to_path_buf)
            .collect();
        if covered.is_empty() {
            return None;
        }
        first.get_or_insert_with(|| Cause::Masked {
            fstype: fstype.to_owned(),
            mount_point: m.mount_point.clone(),
            covered,
        });
    }
    first
}

/// Why mounting an overlay failed with `errno` (`None` when the failure was said in words,
/// which need no hint): no privilege, or upper and work under two mounts.
pub fn overlay_refused(
    host: &Host,
    errno: Option<i32>,
    upper: Option<&Path>,
    work: Option<&Path>,
    facts: &Facts,
) -> Option<Cause> {
    if errno == Some(libc::EPERM) {
        if facts.initial_user_ns {
            let caps = host
                .self_status("CapEff")
                .and_then(|c| u64::from_str_radix(&c, 16).ok())?;
            if caps & (1 << CAP_SYS_ADMIN) != 0 {
                return None;
            }
            let kernel = host.sysctl("kernel.osrelease")?;
            let in_userns = kernel_at_least(&kernel, (5, 11));
            return Some(Cause::OverlayUnprivileged { kernel, in_userns });
        }
        return (facts.mount_ns_owned == Some(false)).then_some(Cause::MountNsNotOwned);
    }
    // Without an errno the kernel (or ovlmount's own check) said why in words already.
    if errno != Some(libc::EINVAL) {
        return None;
    }
    let (upper, work) = (host.resolve(upper?)?, host.resolve(work?)?);
    let (u, w) = (
        mount_of(&facts.table, &upper)?,
        mount_of(&facts.table, &work)?,
    );
    (u.id != w.id).then_some(Cause::LayersOnTwoMounts {
        upper: (upper, u.mount_point),
        work: (work, w.mount_point),
    })
}

/// File systems that can be idmapped (the kernel's `FS_ALLOW_IDMAP`), with the release that
/// made them so. Others (nfs, proc, ...) refuse with EINVAL.
const IDMAP_FILE_SYSTEMS: [(&str, (u32, u32)); 8] = [
    ("ext4", (5, 12)),
    ("xfs", (5, 12)),
    ("vfat", (5, 12)),
    ("btrfs", (5, 15)),
    ("ntfs3", (5, 15)),
    ("f2fs", (5, 18)),
    ("tmpfs", (6, 3)),
    ("ceph", (6, 7)),
];

/// Why mount_setattr(2) refused to idmap a copy of `source` with `errno`: no such call, a file
/// system without idmap support (or not yet on this kernel), a mount idmapped already, or a
/// file system of a more privileged user namespace.
pub fn idmap_refused(host: &Host, errno: i32, source: &Path) -> Option<Cause> {
    let kernel = host.sysctl("kernel.osrelease")?;
    if errno == libc::ENOSYS {
        return Some(Cause::IdmapKernelTooOld { kernel });
    }
    let table = host.mountinfo()?;
    let m = mount_of(&table, &host.resolve(source)?)?;
    let (fstype, mount_point) = (m.fstype.clone(), m.mount_point.clone());
    match errno {
        libc::EINVAL => {
            let from = IDMAP_FILE_SYSTEMS
                .iter()
                .find(|(name, _)| *name == fstype)
                .map(|(_, from)| *from);
            match from {
                Some(from) if kernel_at_least(&kernel, from) => None,
                Some(from) => Some(Cause::IdmapFsUnsupported {
                    fstype,
                    mount_point,
                    from: Some((from, kernel)),
                }),
                None => Some(Cause::IdmapFsUnsupported {
                    fstype,
                    mount_point,
                    from: None,
                }),
            }
        }
        libc::EPERM if m.options.split(',').any(|o| o == "idmapped") => {
            Some(Cause::IdmapAlready { mount_point })
        }
        libc::EPERM if !host.in_initial_user_ns() => Some(Cause::IdmapForeign {
            fstype,
            mount_point,
        }),
        _ => None,
    }
}

/// Why copying or idmapping a layer failed with `errno` for a caller without CAP_SYS_ADMIN in
/// the initial user namespace (`None` in a user namespace: [`idmap_refused`] tells more there).
pub fn idmap_unprivileged(host: &Host, errno: Option<i32>) -> Option<Cause> {
    if errno != Some(libc::EPERM) || !host.in_initial_user_ns() {
        return None;
    }
    let caps = host
        .self_status("CapEff")
        .and_then(|c| u64::from_str_radix(&c, 16).ok())?;
    (caps & (1 << CAP_SYS_ADMIN) == 0).then_some(Cause::IdmapNeedsRoot)
}

/// Whether a kernel release (`6.1.0-50-amd64`) is at least `want`.
fn kernel_at_least(release: &str, want: (u32, u32)) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= want
}

/// Why pivot_root(2) refused `new_root` and `put_old` with `errno` (EINVAL, EBUSY or
/// ENOTDIR), in the kernel's order of checks.
pub fn pivot_root_refused(
    host: &Host,
    errno: i32,
    new_root: &Path,
    put_old: &Path,
    table: &[MountInfo],
) -> Option<Cause> {
    if errno == libc::ENOTDIR {
        return [("new_root", new_root), ("put_old", put_old)]
            .into_iter()
            .find(|(_, p)| host.resolve(p).is_some_and(|r| !host.path(r).is_dir()))
            .map(|(role, path)| Cause::NotDirectory {
                role,
                path: path.to_path_buf(),
            });
    }
    let (new, old) = (host.resolve(new_root)?, host.resolve(put_old)?);
    // In a chroot no mount of the table is at `/`.
    let root_mount = table.iter().rev().find(|m| m.mount_point == Path::new("/"));
    let new_mount = mount_of(table, &new)?;
    let old_mount = mount_of(table, &old)?;
    if errno == libc::EBUSY {
        return [
            ("new_root", new_root, &new_mount),
            ("put_old", put_old, &old_mount),
        ]
        .into_iter()
        .find(|(_, _, m)| root_mount.is_some_and(|r| r.id == m.id))
        .map(|(role, path, _)| Cause::OnCurrentRoot {
            role,
            path: path.to_path_buf(),
        });
    }
    if errno != libc::EINVAL {
        return None;
    }
    // First, as the paths resolved above are of this namespace: the path as given, since
    // resolving `/proc/PID/root/...` by name lands in this namespace.
    if host
        .mount_id(new_root)
        .is_some_and(|id| !table.iter().any(|m| u64::from(m.id) == id))
    {
        return Some(Cause::OtherNamespace(new_root.to_path_buf()));
    }
    let by_id = |id: u32| table.iter().rev().find(|m| m.id == id);
    let shared = [
        ("the mount of put_old", Some(&old_mount)),
        ("the parent mount of new_root", by_id(new_mount.parent)),
        (
            "the parent mount of the current root",
            root_mount.and_then(|r| by_id(r.parent)),
        ),
    ]
    .into_iter()
    .find_map(|(role, m)| {
        let m = m?;
        let peer_group = m.optional.iter().find(|o| o.starts_with("shared:"))?;
        Some(Cause::Shared {
            call: "pivot_root(2)",
            role,
            mount_point: m.mount_point.clone(),
            peer_group: peer_group.clone(),
        })
    });
    if shared.is_some() {
        return shared;
    }
    if root_mount.is_none() {
        return Some(Cause::RootNotMountPoint);
    }
    if let Some(initramfs) = initramfs_root(table) {
        return Some(Cause::RootIsInitramfs {
            fstype: initramfs.fstype.clone(),
        });
    }
    if new_mount.mount_point != new {
        return Some(Cause::NotMountPoint(new_root.to_path_buf()));
    }
    if !old.starts_with(&new) {
        return Some(Cause::PutOldOutside {
            put_old: put_old.to_path_buf(),
            new_root: new_root.to_path_buf(),
        });
    }
    None
}

/// Why moving the mount at `source` (switch_root's new root) failed with EINVAL: its parent
/// mount is shared, or it is not a mount point.
pub fn move_refused(host: &Host, errno: i32, source: &Path, table: &[MountInfo]) -> Option<Cause> {
    if errno != libc::EINVAL {
        return None;
    }
    let source_path = host.resolve(source)?;
    let mount = mount_of(table, &source_path)?;
    if mount.mount_point != source_path {
        return Some(Cause::NotMountPoint(source.to_path_buf()));
    }
    let parent = table.iter().rev().find(|m| m.id == mount.parent)?;
    let peer_group = parent.optional.iter().find(|o| o.starts_with("shared:"))?;
    Some(Cause::Shared {
        call: "a move (MS_MOVE)",
        role: "the parent mount of new_root",
        mount_point: parent.mount_point.clone(),
        peer_group: peer_group.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::tests::fake;

    fn table(lines: &str) -> Vec<MountInfo> {
        lines
            .lines()
            .filter_map(|l| MountInfo::parse(l.trim().as_bytes()))
            .collect()
    }

    const DOCKER: &str = "\
        500 400 0:50 / / rw,relatime - overlay overlay rw
        501 500 0:55 / /proc rw,nosuid,nodev,noexec - proc proc rw
        502 501 0:56 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw
        503 501 0:55 /sys /proc/sys ro,nosuid,nodev,noexec - proc proc rw
        504 501 0:57 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
        505 500 0:58 / /sys ro,nosuid,nodev,noexec - sysfs sysfs ro
        506 505 0:30 / /sys/fs/cgroup ro - cgroup2 cgroup rw";

    fn in_userns(table: Vec<MountInfo>) -> Facts {
        Facts {
            table,
            initial_user_ns: false,
            mount_ns_owned: Some(true),
            pid_ns_owned: Some(true),
            net_ns_owned: Some(true),
        }
    }

    #[test]
    fn a_masked_proc_is_named_with_what_covers_it() {
        let facts = in_userns(table(DOCKER));
        let cause = kernel_fs_refused("proc", libc::EPERM, &facts).unwrap();
        assert_eq!(
            cause.to_string(),
            "/proc is partly masked (kcore sys mounted over), and the kernel mounts no new proc \
             in a user namespace while every proc it has is masked; run with an unmasked /proc \
             (docker, podman: --security-opt systempaths=unconfined), or bind the existing one: \
             mount --rbind /proc DIR"
        );
        // sysfs with only cgroup (a permanently empty mount point) over it is a full view.
        assert_eq!(kernel_fs_refused("sysfs", libc::EPERM, &facts), None);
        // Another errno, or the initial user namespace: not this rule.
        assert_eq!(kernel_fs_refused("proc", libc::EACCES, &facts), None);
        let initial = Facts {
            initial_user_ns: true,
            ..facts.clone()
        };
        assert_eq!(kernel_fs_refused("proc", libc::EPERM, &initial), None);
        // One unmasked proc anywhere in the namespace is enough for the kernel.
        let mut two = facts.table.clone();
        two.extend(table("600 500 0:59 / /mnt/proc rw - proc proc rw"));
        assert_eq!(
            kernel_fs_refused("proc", libc::EPERM, &in_userns(two)),
            None
        );
    }

    /// Namespace ownership needs the nsfs ioctls, which a fake tree has not: the facts are
    /// given here; the integration tests produce each case for real.
    #[test]
    fn namespaces_of_another_user_namespace_come_first() {
        let facts = Facts {
            pid_ns_owned: Some(false),
            net_ns_owned: Some(false),
            ..in_userns(table(DOCKER))
        };
        assert_eq!(
            kernel_fs_refused("proc", libc::EPERM, &facts),
            Some(Cause::PidNsNotOwned)
        );
        assert_eq!(
            kernel_fs_refused("sysfs", libc::EPERM, &facts),
            Some(Cause::NetNsNotOwned)
        );
        let facts = Facts {
            mount_ns_owned: Some(false),
            ..facts
        };
        assert_eq!(
            kernel_fs_refused("proc", libc::EPERM, &facts),
            Some(Cause::MountNsNotOwned)
        );
    }

    /// An unprivileged overlay on a kernel before 5.11 cannot be produced on these kernels
    /// (6.1, 6.18): the fake host says 5.10.
    #[test]
    fn an_unprivileged_overlay_names_the_kernel() {
        let (_dir, host) = fake(&[
            (
                "/proc/self/status",
                "Name:\tovlmount\nCapEff:\t0000000000000000\n",
            ),
            ("/proc/sys/kernel/osrelease", "5.10.0-30-amd64\n"),
        ]);
        let facts = Facts {
            initial_user_ns: true,
            ..Facts::default()
        };
        assert_eq!(
            overlay_refused(&host, Some(libc::EPERM), None, None, &facts)
                .unwrap()
                .to_string(),
            "overlayfs needs root: this kernel (5.10.0-30-amd64) mounts no overlay in a user \
             namespace (Linux 5.11+ does); run it as root"
        );
        assert!(kernel_at_least("6.1.0-50-amd64", (5, 11)));
        assert!(!kernel_at_least("5.4.0", (5, 11)));
    }

    /// The release-dependent causes cannot all be produced on one host (6.18 idmaps tmpfs and
    /// has mount_setattr): the fake host says which release it runs.
    #[test]
    fn a_refused_idmap_names_the_release_it_needs() {
        let (dir, host) = fake(&[
            ("/proc/sys/kernel/osrelease", "6.1.0-50-amd64\n"),
            (
                "/proc/self/mountinfo",
                "1 0 0:1 / / rw - ext4 /dev/sda rw\n2 1 0:2 / /run rw - tmpfs tmpfs rw\n\
                 3 1 0:3 / /srv rw,idmapped - xfs /dev/sdb rw\n",
            ),
            ("/run/layer/x", ""),
            ("/srv/layer/x", ""),
            ("/layer/x", ""),
        ]);
        let layer = |d: &str| dir.path().join(d).join("layer");
        let cause = |errno, d| idmap_refused(&host, errno, &layer(d)).map(|c| c.to_string());
        assert_eq!(
            cause(libc::EINVAL, "run").as_deref(),
            Some(
                "the tmpfs file system (mounted on /run) can be idmapped from Linux 6.3; this \
                 kernel is 6.1.0-50-amd64"
            )
        );
        assert_eq!(
            cause(libc::EPERM, "srv").as_deref(),
            Some(
                "the mount on /srv is idmapped already, and a mount takes one id mapping (a copy \
                 of an idmapped mount can be mapped again only with open_tree_attr, Linux 6.15, \
                 which this program does not use yet); give the directory beneath it"
            )
        );
        // ext4 idmaps on 6.1: the EINVAL has another cause, not guessed.
        assert_eq!(cause(libc::EINVAL, ""), None);
        assert_eq!(
            cause(libc::ENOSYS, "run").as_deref(),
            Some(
                "idmapped mounts (mount_setattr) need Linux 5.12 or later; this kernel is \
                 6.1.0-50-amd64"
            )
        );
    }

    #[test]
    fn layers_on_two_mounts() {
        let (dir, host) = fake(&[("/a/upper/x", ""), ("/a/work/x", "")]);
        let facts = Facts {
            table: table(
                "1 0 0:1 / / rw - ext4 /dev/sda rw
                 2 1 0:1 /a /a rw - ext4 /dev/sda rw
                 3 2 0:1 /a/work /a/work rw - ext4 /dev/sda rw",
            ),
            ..Facts::default()
        };
        let cause = overlay_refused(
            &host,
            Some(libc::EINVAL),
            Some(&dir.path().join("a/upper")),
            Some(&dir.path().join("a/work")),
            &facts,
        );
        assert_eq!(
            cause.unwrap().to_string(),
            "upperdir /a/upper is under the mount at /a and workdir /a/work under the mount at \
             /a/work, and overlayfs wants both under one mount; put workdir beside upperdir"
        );
    }

    #[test]
    fn pivot_root_causes_in_the_kernels_order() {
        let (dir, host) = fake(&[("/new/old/x", ""), ("/new/file", ""), ("/other/x", "")]);
        let at = |p: &str| dir.path().join(p.trim_start_matches('/'));
        let pivot = |errno, new: &str, old: &str, t: &str| {
            pivot_root_refused(&host, errno, &at(new), &at(old), &table(t)).map(|c| c.to_string())
        };
        let plain = "1 0 0:1 / / rw - ext4 /dev/sda rw
                     2 1 0:2 / /new rw - tmpfs tmpfs rw";
        let shared = "1 0 0:1 / / rw shared:1 - ext4 /dev/sda rw
                      2 1 0:2 / /new rw - tmpfs tmpfs rw";
        assert_eq!(
            pivot(libc::EINVAL, "/new", "/new/old", shared).as_deref(),
            Some(
                "the parent mount of new_root (/) is shared (shared:1), and pivot_root(2) moves \
                 no mount under a shared one; make it private: mount --make-rprivate /"
            )
        );
        assert_eq!(
            pivot(libc::EINVAL, "/new/old", "/new/old", plain),
            Some(format!(
                "new_root {0} is not a mount point; make it one: mount --bind {0} {0}",
                at("/new/old").display()
            ))
        );
        assert_eq!(
            pivot(libc::EINVAL, "/new", "/other", plain),
            Some(format!(
                "put_old {} is not at or under new_root {}; give a directory inside it",
                at("/other").display(),
                at("/new").display()
            ))
        );
        assert_eq!(
            pivot(libc::EBUSY, "/other", "/other", plain),
            Some(format!(
                "new_root {} is on the mount of the current root; give a mount of its own \
                 (mount --bind DIR DIR)",
                at("/other").display()
            ))
        );
        assert_eq!(
            pivot(libc::ENOTDIR, "/new/file", "/new", plain),
            Some(format!(
                "new_root {} is not a directory",
                at("/new/file").display()
            ))
        );
        let initramfs = "1 1 0:2 / / rw - rootfs rootfs rw
                         2 1 0:3 / /new rw - tmpfs tmpfs rw";
        assert_eq!(
            pivot(libc::EINVAL, "/new", "/new/old", initramfs).as_deref(),
            Some(
                "the current root is the initramfs (rootfs), which pivot_root(2) cannot move; \
                 move the new root over it instead: pivot_root --move-if-rootfs, pivot, or \
                 switch_root"
            )
        );
        let chroot = "2 1 0:3 / /new rw - tmpfs tmpfs rw";
        assert_eq!(
            pivot(libc::EINVAL, "/new", "/new/old", chroot).as_deref(),
            Some(
                "the current root is a directory, not a mount (a chroot); run it outside the \
                 chroot, in a mount namespace of its own: unshare --mount"
            )
        );
        // Nothing seen: no hint.
        assert_eq!(pivot(libc::EINVAL, "/new", "/new/old", plain), None);
        assert_eq!(pivot(libc::EPERM, "/new", "/new/old", shared), None);
    }

    #[test]
    fn a_move_under_a_shared_parent() {
        let (dir, host) = fake(&[("/new/x", "")]);
        let t = table(
            "1 0 0:1 / / rw shared:1 - ext4 /dev/sda rw
             2 1 0:2 / /new rw - tmpfs tmpfs rw",
        );
        assert_eq!(
            move_refused(&host, libc::EINVAL, &dir.path().join("new"), &t)
                .unwrap()
                .to_string(),
            "the parent mount of new_root (/) is shared (shared:1), and a move (MS_MOVE) moves \
             no mount under a shared one; make it private: mount --make-rprivate /"
        );
    }
}
