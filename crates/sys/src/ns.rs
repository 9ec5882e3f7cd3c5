//! Namespace kinds, `unshare(2)` and `setns(2)`.

use std::fs::File;
use std::os::fd::AsFd;
use std::path::PathBuf;

use rustix::thread::{LinkNameSpaceType, UnshareFlags};

use crate::error::{Context, Result};

/// One kind of Linux namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsKind {
    /// Mount points (`CLONE_NEWNS`).
    Mount,
    /// Hostname and domain name (`CLONE_NEWUTS`).
    Uts,
    /// System V IPC and POSIX message queues (`CLONE_NEWIPC`).
    Ipc,
    /// Network stack (`CLONE_NEWNET`).
    Net,
    /// Process ids (`CLONE_NEWPID`).
    Pid,
    /// User and group ids, capabilities (`CLONE_NEWUSER`).
    User,
    /// cgroup root (`CLONE_NEWCGROUP`).
    Cgroup,
    /// Monotonic and boot-time clocks (`CLONE_NEWTIME`).
    Time,
}

impl NsKind {
    /// Every kind, in the order lsns numbers them (`mnt net pid uts ipc user cgroup time`).
    pub const ALL: [NsKind; 8] = [
        NsKind::Mount,
        NsKind::Net,
        NsKind::Pid,
        NsKind::Uts,
        NsKind::Ipc,
        NsKind::User,
        NsKind::Cgroup,
        NsKind::Time,
    ];

    /// Every kind, in the order util-linux binds persistence files: user first (so the others
    /// can be made inside it), mount late, the `*_for_children` kinds where they fit.
    pub const BIND_ORDER: [NsKind; 8] = [
        NsKind::User,
        NsKind::Cgroup,
        NsKind::Ipc,
        NsKind::Uts,
        NsKind::Net,
        NsKind::Pid,
        NsKind::Mount,
        NsKind::Time,
    ];

    /// The name under `/proc/<pid>/ns/` (`mnt` for the mount namespace).
    pub fn proc_name(self) -> &'static str {
        match self {
            NsKind::Mount => "mnt",
            NsKind::Uts => "uts",
            NsKind::Ipc => "ipc",
            NsKind::Net => "net",
            NsKind::Pid => "pid",
            NsKind::User => "user",
            NsKind::Cgroup => "cgroup",
            NsKind::Time => "time",
        }
    }

    /// The `CLONE_NEW*` flag.
    pub fn clone_flag(self) -> UnshareFlags {
        match self {
            NsKind::Mount => UnshareFlags::NEWNS,
            NsKind::Uts => UnshareFlags::NEWUTS,
            NsKind::Ipc => UnshareFlags::NEWIPC,
            NsKind::Net => UnshareFlags::NEWNET,
            NsKind::Pid => UnshareFlags::NEWPID,
            NsKind::User => UnshareFlags::NEWUSER,
            NsKind::Cgroup => UnshareFlags::NEWCGROUP,
            NsKind::Time => UnshareFlags::NEWTIME,
        }
    }

    /// For pid and time namespaces `unshare()` changes only what children are born into,
    /// exposed as `ns/pid_for_children` and `ns/time_for_children`.
    pub fn has_for_children(self) -> bool {
        matches!(self, NsKind::Pid | NsKind::Time)
    }

    /// `/proc/<pid>/ns/<name>`.
    pub fn proc_path(self, pid: u32) -> PathBuf {
        PathBuf::from(format!("/proc/{pid}/ns/{}", self.proc_name()))
    }

    /// `/proc/<pid>/ns/<name>_for_children` for pid and time, else [`NsKind::proc_path`].
    pub fn for_children_path(self, pid: u32) -> PathBuf {
        if self.has_for_children() {
            PathBuf::from(format!("/proc/{pid}/ns/{}_for_children", self.proc_name()))
        } else {
            self.proc_path(pid)
        }
    }

    fn link_type(self) -> LinkNameSpaceType {
        match self {
            NsKind::Mount => LinkNameSpaceType::Mount,
            NsKind::Uts => LinkNameSpaceType::HostNameAndNISDomainName,
            NsKind::Ipc => LinkNameSpaceType::InterProcessCommunication,
            NsKind::Net => LinkNameSpaceType::Network,
            NsKind::Pid => LinkNameSpaceType::ProcessID,
            NsKind::User => LinkNameSpaceType::User,
            NsKind::Cgroup => LinkNameSpaceType::ControlGroup,
            NsKind::Time => LinkNameSpaceType::Time,
        }
    }
}

/// A set of namespace kinds, as the `CLONE_NEW*` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NsSet(u8);

impl NsSet {
    fn bit(kind: NsKind) -> u8 {
        1 << (kind as u8)
    }

    /// Add a kind.
    pub fn insert(&mut self, kind: NsKind) {
        self.0 |= Self::bit(kind);
    }

    /// Whether the set has `kind`.
    pub fn contains(self, kind: NsKind) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The combined `CLONE_NEW*` flags.
    pub fn clone_flags(self) -> UnshareFlags {
        NsKind::BIND_ORDER
            .iter()
            .filter(|k| self.contains(**k))
            .fold(UnshareFlags::empty(), |f, k| f | k.clone_flag())
    }
}

/// `unshare(2)` the namespaces in `set`. Errors read `unshare failed: <strerror>`.
pub fn unshare(set: NsSet) -> Result<()> {
    crate::fault::point("unshare", libc::EPERM)
        // SAFETY: the flags are only CLONE_NEW* bits, never CLONE_FILES or CLONE_FS-style bits
        // that would change the meaning of file descriptors this process holds.
        .and_then(|()| unsafe { rustix::thread::unshare_unsafe(set.clone_flags()) })
        .context(|| "unshare failed".to_owned())
}

/// `NS_GET_MNTNS_ID`: the id of the mount namespace an nsfs file refers to (Linux 6.8+).
const NS_GET_MNTNS_ID: u64 = 0x8008_b705;

/// The id the kernel gave this process's mount namespace, `None` before Linux 6.8.
pub fn own_mount_ns_id() -> Option<u64> {
    use std::os::fd::AsRawFd;
    let file = File::open("/proc/self/ns/mnt").ok()?;
    let mut id: u64 = 0;
    // SAFETY: NS_GET_MNTNS_ID writes one u64 through the pointer, which points at one; the
    // descriptor is open for the call's length.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), NS_GET_MNTNS_ID as _, &mut id as *mut u64) };
    (rc == 0).then_some(id)
}

/// After `unshare(CLONE_NEWNS)`: make sure the new mount namespace's id is above `outer`, the
/// id of the namespace it was made from, or a process there cannot bind it to a file (the
/// kernel takes a lower id for a loop of namespaces and answers EINVAL). Since Linux 6.18
/// ids come from per-CPU batches, so a namespace made on another CPU than its parent can
/// have a lower one; then a new one is made on each allowed CPU in turn until one is above
/// (the one before goes with no process in it), and the CPU affinity is given back.
/// Nothing to do where the kernel has no ids to compare.
pub fn renew_mount_ns_above(outer: u64) -> Result<()> {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
    if own_mount_ns_id().is_none_or(|id| id > outer) {
        return Ok(());
    }
    let allowed = sched_getaffinity(None).context(|| "sched_getaffinity failed".to_owned())?;
    let mut renewed = Ok(());
    for cpu in (0..CpuSet::MAX_CPU).filter(|c| allowed.is_set(*c)) {
        let mut one = CpuSet::new();
        one.set(cpu);
        if sched_setaffinity(None, &one).is_err() {
            continue;
        }
        let mut mount = NsSet::default();
        mount.insert(NsKind::Mount);
        renewed = unshare(mount);
        if renewed.is_err() || own_mount_ns_id().is_some_and(|id| id > outer) {
            break;
        }
    }
    sched_setaffinity(None, &allowed).context(|| "sched_setaffinity failed".to_owned())?;
    renewed
}

/// `setns(2)` into the namespace that `file` (an nsfs file) refers to.
pub fn setns(file: &File, kind: NsKind) -> Result<()> {
    crate::fault::point(&format!("setns.{}", kind.proc_name()), libc::EPERM)
        .and_then(|()| {
            rustix::thread::move_into_link_name_space(file.as_fd(), Some(kind.link_type()))
        })
        .context(|| format!("reassociate to namespace '{}' failed", kind.proc_name()))
}

/// The inode number that identifies the namespace of `kind` that `pid` is in.
pub fn ns_inode(pid: u32, kind: NsKind) -> Result<u64> {
    let path = kind.proc_path(pid);
    let st = rustix::fs::stat(&path).context(|| format!("cannot stat {}", path.display()))?;
    Ok(st.st_ino)
}

/// The inode numbers of the namespaces in `set` that `pid` made or lives in, read from
/// `/proc/<pid>/ns/*` (`pid_for_children` and `time_for_children` for those kinds, which name
/// the namespace a process made even when it is not in it itself), in `set`'s kinds in
/// [`NsKind::ALL`] order. A pid namespace that no process lives in yet has no inode to read
/// (the kernel shows `pid_for_children` only once it has its process 1): it is left out.
/// Errors read `cannot stat /proc/PID/ns/NAME: strerror`.
pub fn namespace_inodes(pid: u32, set: NsSet) -> Result<Vec<(NsKind, u64)>> {
    let mut inodes = Vec::new();
    for kind in NsKind::ALL.into_iter().filter(|k| set.contains(*k)) {
        let path = kind.for_children_path(pid);
        match rustix::fs::stat(&path) {
            Ok(st) => inodes.push((kind, st.st_ino)),
            Err(rustix::io::Errno::NOENT) if kind == NsKind::Pid => {}
            Err(e) => {
                return Err(crate::Error::os(
                    format!("cannot stat {}", path.display()),
                    e,
                ));
            }
        }
    }
    Ok(inodes)
}

/// The inode numbers the kernel gives some initial namespaces (include/linux/proc_ns.h): UTS
/// and pid since Linux 3.8, mount only in recent kernels (6.18 has it).
const UTS_INIT_INO: u64 = 0xEFFF_FFFE;
const PID_INIT_INO: u64 = 0xEFFF_FFFC;
const MNT_INIT_INO: u64 = 0xEFFF_FFF8;

fn own_ns_inode(kind: NsKind) -> Result<u64> {
    let path = format!("/proc/self/ns/{}", kind.proc_name());
    let st = rustix::fs::stat(path.as_str()).context(|| format!("cannot stat {path}"))?;
    Ok(st.st_ino)
}

/// Whether this process is in the initial UTS namespace, whose hostname is the host's.
pub fn in_initial_uts_ns() -> Result<bool> {
    Ok(own_ns_inode(NsKind::Uts)? == UTS_INIT_INO)
}

/// Whether this process is in the initial mount namespace, where mount changes are the whole
/// system's. Kernels with a fixed inode for it answer directly; older ones by comparison with
/// PID 1 of the initial pid namespace, when `/proc` shows that one. A `/proc` of another pid
/// namespace means someone mounted it for a container, so not the initial one.
pub fn in_initial_mount_ns() -> Result<bool> {
    let own = own_ns_inode(NsKind::Mount)?;
    if own == MNT_INIT_INO {
        return Ok(true);
    }
    let init_of = |kind: NsKind| rustix::fs::stat(kind.proc_path(1)).map(|st| st.st_ino);
    match (init_of(NsKind::Pid), init_of(NsKind::Mount)) {
        (Ok(pid), Ok(mnt)) if pid == PID_INIT_INO => Ok(mnt == own),
        _ => Ok(false),
    }
}

/// sethostname(2). Errors read `sethostname failed`.
pub fn set_hostname(name: &str) -> Result<()> {
    crate::fault::point("sethostname", libc::EPERM)
        .and_then(|()| rustix::system::sethostname(name.as_bytes()))
        .context(|| "sethostname failed".to_owned())
}
