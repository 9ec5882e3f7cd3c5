//! Another process as a source of namespaces and context (`nsenter`): its pidfd, its
//! namespace files, root, working directory, environment and owner.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::thread::ThreadNameSpaceType;

use crate::error::{Context, Error, Result};
use crate::ns::{NsKind, NsSet};

/// A pidfd for `pid`. `Ok(None)` when the kernel has no pidfd_open(2) (before 5.3), so the
/// caller falls back to the `/proc` files.
pub fn open_pidfd(pid: u32) -> Result<Option<OwnedFd>> {
    let raw = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    let Some(p) = raw else {
        return Err(Error::os(
            format!("failed to pidfd_open() for {pid}"),
            libc::ESRCH,
        ));
    };
    match rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(rustix::io::Errno::NOSYS) => Ok(None),
        Err(e) => Err(Error::os(format!("failed to pidfd_open() for {pid}"), e)),
    }
}

/// The file system type of pidfds on Linux 6.9 and later (`PIDFS_MAGIC`).
const PIDFS_MAGIC: u64 = 0x5049_4446;

/// The inode number of a pidfd, which names one process for the life of the system: `None`
/// before pidfs (Linux 6.9), where every pidfd is the same anonymous inode.
pub fn pidfd_inode(fd: &OwnedFd) -> Result<Option<u64>> {
    let fs = rustix::fs::fstatfs(fd).context(|| "fstatfs of pidfd failed".to_owned())?;
    // f_type's integer type differs between libcs; the magic number fits in any of them.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    if fs.f_type as u64 != PIDFS_MAGIC {
        return Ok(None);
    }
    rustix::fs::fstat(fd)
        .map(|st| Some(st.st_ino))
        .context(|| "fstat of pidfd failed".to_owned())
}

/// Whether setns(2) takes a pidfd with a set of namespace flags (Linux 5.8 and later).
pub fn setns_takes_pidfd() -> bool {
    kernel_at_least(5, 8)
}

/// Whether the running kernel's release is `major.minor` or later.
pub fn kernel_at_least(major: u32, minor: u32) -> bool {
    let release = rustix::system::uname();
    let text = release.release().to_string_lossy();
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let have_major: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let have_minor: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (have_major, have_minor) >= (major, minor)
}

/// The kernel release that opens namespaces by ID (nsfs file handles that carry only the ID).
const NSID_KERNEL: (u32, u32) = (6, 19);

/// Open the namespace whose 64-bit ID is `id` (`--net=:ID`). Errors read `failed to fill
/// namespace file handle` or `cannot open namespace of id ID`; on kernels before 6.19 they
/// say which kernel is needed.
pub fn open_ns_by_id(id: u64) -> Result<File> {
    let hint = |text: String, errno: crate::Errno| {
        if kernel_at_least(NSID_KERNEL.0, NSID_KERNEL.1) {
            Error::os(text, errno)
        } else {
            Error::msg(format!(
                "{text}: {errno} (opening a namespace by its ID needs Linux {}.{} or later)",
                NSID_KERNEL.0, NSID_KERNEL.1
            ))
        }
    };
    match crate::nsfs::open_by_id(id) {
        Ok(fd) => Ok(File::from(fd)),
        Err(crate::nsfs::OpenByIdError::Handle(e)) => {
            Err(hint("failed to fill namespace file handle".to_owned(), e))
        }
        Err(crate::nsfs::OpenByIdError::Open(e)) => {
            Err(hint(format!("cannot open namespace of id {id}"), e))
        }
    }
}

/// `PIDFD_GET_USER_NAMESPACE` of <linux/pidfd.h>: `_IO(0xFF, 9)` (Linux 6.11).
const PIDFD_GET_USER_NAMESPACE: libc::c_ulong = 0xff09;

/// The user namespace of the process behind `pidfd`, or `None` when the kernel cannot tell
/// through the pidfd (before 6.11) or refuses.
pub fn pidfd_user_namespace(pidfd: &OwnedFd) -> Option<OwnedFd> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: PIDFD_GET_USER_NAMESPACE takes no argument and returns a new descriptor.
    let ret = unsafe { libc::ioctl(pidfd.as_raw_fd(), PIDFD_GET_USER_NAMESPACE as _, 0) };
    if ret < 0 {
        return None;
    }
    // SAFETY: `ret` is a descriptor the kernel just opened for us alone.
    Some(unsafe { OwnedFd::from_raw_fd(ret) })
}

/// The user namespace that owns the namespace `ns`; for a user namespace, its parent
/// (`--user-parent`). Errors read `failed to open parent namespace`.
pub fn parent_user_namespace(ns: std::os::fd::BorrowedFd<'_>) -> Result<File> {
    let what = || "failed to open parent namespace".to_owned();
    match crate::nsfs::owner(ns) {
        Ok(Some(fd)) => Ok(File::from(fd)),
        Ok(None) => Err(Error::os(what(), libc::EPERM)),
        Err(e) => Err(Error::os(what(), e)),
    }
}

/// The network namespace of socket `fd` of process `pid` (`--net-socket`), through its
/// `pidfd` ([`open_pidfd`]'s answer): `pidfd_getfd(2)`, then `SIOCGSKNS`. Errors name the
/// calls and descriptors as util-linux does: `pidfd_getfd(PIDFD, FD)`, `fstat(SOCK)`,
/// `ioctl(SOCK, SIOCGSKNS)`; without a pidfd (before Linux 5.3), `failed to pidfd_open()`.
pub fn socket_netns(pidfd: Option<&OwnedFd>, pid: u32, fd: i32) -> Result<File> {
    use std::os::fd::AsRawFd;
    let Some(pidfd) = pidfd else {
        return Err(Error::os(
            format!("failed to pidfd_open() for {pid}"),
            libc::ENOSYS,
        ));
    };
    let sock = crate::nsfs::pidfd_getfd(pidfd.as_fd(), fd)
        .context(|| format!("pidfd_getfd({}, {fd})", pidfd.as_raw_fd()))?;
    let raw = sock.as_raw_fd();
    rustix::fs::fstat(&sock).context(|| format!("fstat({raw})"))?;
    crate::nsfs::socket_netns(sock.as_fd())
        .map(File::from)
        .context(|| format!("ioctl({raw}, SIOCGSKNS)"))
}

/// Enter every namespace in `set` of the process behind `pidfd` in one setns(2).
/// Errors read `reassociate to namespaces failed`.
pub fn setns_pidfd(pidfd: &OwnedFd, set: NsSet) -> Result<()> {
    let flags = ThreadNameSpaceType::from_bits_retain(set.clone_flags().bits());
    crate::fault::point("setns.pidfd", libc::EPERM)
        .and_then(|()| rustix::thread::move_into_thread_name_spaces(pidfd.as_fd(), flags))
        .context(|| "reassociate to namespaces failed".to_owned())
}

/// Open a namespace file (`/proc/PID/ns/net`, or a bind mount of one).
/// Errors read `cannot open PATH`.
pub fn open_ns_file(path: &Path) -> Result<File> {
    File::open(path).context(|| format!("cannot open {}", path.display()))
}

/// Enter the namespace of `file`, which must be of `kind`. Errors read
/// `reassociate to namespace 'ns/KIND' failed`.
pub fn setns_file(file: &File, kind: NsKind) -> Result<()> {
    crate::ns::setns(file, kind).map_err(|e| match e {
        Error::Os { errno, .. } => Error::os(
            format!("reassociate to namespace 'ns/{}' failed", kind.proc_name()),
            errno,
        ),
        other => other,
    })
}

/// Whether this kernel has namespaces of `kind` (`/proc/self/ns/<name>` exists).
pub fn kernel_has(kind: NsKind) -> bool {
    kind.proc_path(std::process::id()).exists()
}

/// Open a directory (`/proc/PID/root`, `/proc/PID/cwd`, or one named by the user) to change
/// into later. Errors read `cannot open PATH`.
pub fn open_dir(path: &Path) -> Result<OwnedFd> {
    rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .context(|| format!("cannot open {}", path.display()))
}

/// Make the directory `root` the root directory, and `/` the working directory.
pub fn enter_root(root: &OwnedFd) -> Result<()> {
    rustix::process::fchdir(root)
        .context(|| "change directory by root file descriptor failed".to_owned())?;
    rustix::process::chroot(".").context(|| "chroot failed".to_owned())?;
    rustix::process::chdir("/").context(|| "cannot change directory to /".to_owned())
}

/// Change into the directory `dir`.
pub fn enter_dir(dir: &OwnedFd) -> Result<()> {
    rustix::process::fchdir(dir)
        .context(|| "change directory by working directory file descriptor failed".to_owned())
}

/// The owner (uid, gid) of process `pid`, from `/proc/PID/` (opened first, with util-linux's
/// `cannot open /proc/PID/` when it is gone).
pub fn owner(pid: u32) -> Result<(u32, u32)> {
    let dir = open_dir(Path::new(&format!("/proc/{pid}/")))?;
    let st = rustix::fs::fstat(&dir).context(|| "can not get process stat".to_owned())?;
    Ok((st.st_uid, st.st_gid))
}

/// Open `/proc/PID/environ`, to read it after entering the namespaces.
pub fn open_environ(pid: u32) -> Result<File> {
    let path = format!("/proc/{pid}/environ");
    File::open(&path).context(|| format!("cannot open {path}"))
}

/// Replace this process's environment with the one in `environ` (NUL-separated
/// `NAME=value` entries, as `/proc/PID/environ`).
pub fn adopt_environment(mut environ: File) -> Result<()> {
    use std::io::Read;
    let mut buf = Vec::new();
    environ
        .read_to_end(&mut buf)
        .context(|| "failed to get environment variables".to_owned())?;
    let vars: Vec<(OsString, OsString)> = buf
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let eq = e.iter().skip(1).position(|b| *b == b'=')? + 1;
            Some((
                OsString::from_vec(e[..eq].to_vec()),
                OsString::from_vec(e[eq + 1..].to_vec()),
            ))
        })
        .collect();
    let old: Vec<OsString> = std::env::vars_os().map(|(k, _)| k).collect();
    for key in old {
        // SAFETY: nsutils tools are single-threaded; nothing reads the environment meanwhile.
        unsafe { std::env::remove_var(key) };
    }
    for (k, v) in vars {
        // SAFETY: as above.
        unsafe { std::env::set_var(k, v) };
    }
    Ok(())
}

/// The cgroup v2 directory of process `pid` under `/sys/fs/cgroup`, from its
/// `/proc/PID/cgroup` `0::` line; `None` unless /sys/fs/cgroup is a cgroup2 file system.
pub fn unified_cgroup(pid: u32) -> Result<Option<std::path::PathBuf>> {
    const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;
    let is_v2 = rustix::fs::statfs("/sys/fs/cgroup")
        .is_ok_and(|st| st.f_type as u64 == CGROUP2_SUPER_MAGIC);
    if !is_v2 {
        return Ok(None);
    }
    Ok(cgroup2_path(pid)?.map(|rel| Path::new("/sys/fs/cgroup").join(rel.trim_start_matches('/'))))
}

/// The cgroup v2 group of process `pid`: the path of its `/proc/PID/cgroup` `0::` line,
/// relative to the reader's cgroup namespace root (starting with `/..` when the process is
/// outside that namespace); `None` when the process has no v2 line (a v1-only host).
pub fn cgroup2_path(pid: u32) -> Result<Option<String>> {
    Ok(cgroups_of(pid)?
        .into_iter()
        .find(|m| m.hierarchy_id == 0 && m.controllers.is_empty())
        .map(|m| m.path))
}

/// One line of `/proc/PID/cgroup`: the group a process is in, in one hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMembership {
    /// The hierarchy's id (0 for cgroup v2).
    pub hierarchy_id: u32,
    /// The hierarchy's controllers and `name=` options, comma-separated as the kernel lists
    /// them (empty for cgroup v2).
    pub controllers: String,
    /// The group's path, relative to the reader's cgroup namespace root.
    pub path: String,
}

/// The groups process `pid` is in, one per hierarchy, from `/proc/PID/cgroup`.
pub fn cgroups_of(pid: u32) -> Result<Vec<CgroupMembership>> {
    let path = format!("/proc/{pid}/cgroup");
    let text = crate::read_pseudo_text(Path::new(&path))
        .context(|| "failed to get cgroup path".to_owned())?;
    Ok(parse_cgroup_memberships(&text))
}

fn parse_cgroup_memberships(text: &str) -> Vec<CgroupMembership> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, ':');
            let hierarchy_id = fields.next()?.parse().ok()?;
            let controllers = fields.next()?.to_owned();
            let path = fields.next()?.to_owned();
            Some(CgroupMembership {
                hierarchy_id,
                controllers,
                path,
            })
        })
        .collect()
}

/// Open `DIR/cgroup.procs` for appending our pid later.
pub fn open_cgroup_procs(dir: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("cgroup.procs"))
        .context(|| "failed to open cgroup.procs".to_owned())
}

/// Move this process into the cgroup whose `cgroup.procs` is `procs`.
pub fn join_cgroup(mut procs: File) -> Result<()> {
    use std::io::Write;
    procs
        .write_all(std::process::id().to_string().as_bytes())
        .context(|| "write cgroup.procs failed".to_owned())
}

/// The working directory of process `pid` as a path in its own mount namespace.
pub fn cwd_path(pid: u32) -> Result<std::path::PathBuf> {
    let path = format!("/proc/{pid}/cwd");
    std::fs::read_link(&path).context(|| format!("cannot read {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_memberships() {
        let text = "12:cpu,cpuacct:/a\n1:name=systemd:/user.slice/x:y\n0::/b\nbroken\n";
        let got = parse_cgroup_memberships(text);
        let line = |id, c: &str, p: &str| CgroupMembership {
            hierarchy_id: id,
            controllers: c.into(),
            path: p.into(),
        };
        assert_eq!(
            got,
            [
                line(12, "cpu,cpuacct", "/a"),
                line(1, "name=systemd", "/user.slice/x:y"),
                line(0, "", "/b"),
            ]
        );
    }
}
