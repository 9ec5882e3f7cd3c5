//! Questions asked of namespace files themselves (the nsfs ioctls of `ioctl_ns(2)`), and the
//! two ways to reach a namespace that no `/proc/PID/ns` link shows: a socket's network
//! namespace and another process's file descriptor.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::error::{Errno, Error, Result};
use crate::ns::NsKind;

// The request numbers of <linux/nsfs.h> (`_IO(0xb7, n)`) and <linux/sockios.h>; libc does
// not export them for every target.
const NS_GET_USERNS: libc::c_ulong = 0xb701;
const NS_GET_PARENT: libc::c_ulong = 0xb702;
const NS_GET_NSTYPE: libc::c_ulong = 0xb703;
const NS_GET_OWNER_UID: libc::c_ulong = 0xb704;
const SIOCGSKNS: libc::c_ulong = 0x894c;

/// An ioctl that answers with a new file descriptor (or -1 and errno).
fn ioctl_fd(fd: BorrowedFd<'_>, request: libc::c_ulong) -> std::result::Result<OwnedFd, Errno> {
    // SAFETY: the requests used here take no argument and return a new descriptor that
    // nobody else owns; the kernel ignores the third argument.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, 0) };
    if ret < 0 {
        return Err(Errno::from(std::io::Error::last_os_error()));
    }
    // SAFETY: `ret` is a descriptor the kernel just opened for us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(ret) })
}

/// Whether an errno means "the kernel has no such ioctl": lsns exits 2 on it.
pub fn is_unsupported(errno: Errno) -> bool {
    errno.0 == libc::ENOTTY || errno.0 == libc::ENOSYS
}

/// The namespace that owns the namespace `ns` (`NS_GET_USERNS`). `Ok(None)` when the owner is
/// outside what the caller may see (EPERM).
pub fn owner(ns: BorrowedFd<'_>) -> std::result::Result<Option<OwnedFd>, Errno> {
    match ioctl_fd(ns, NS_GET_USERNS) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e.0 == libc::EPERM => Ok(None),
        Err(e) => Err(e),
    }
}

/// The parent of a pid or user namespace (`NS_GET_PARENT`). `Ok(None)` for the initial
/// namespace, one outside the caller's view (both EPERM), and other kinds, which have none.
pub fn parent(ns: BorrowedFd<'_>, kind: NsKind) -> std::result::Result<Option<OwnedFd>, Errno> {
    if !matches!(kind, NsKind::Pid | NsKind::User) {
        return Ok(None);
    }
    match ioctl_fd(ns, NS_GET_PARENT) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e.0 == libc::EPERM => Ok(None),
        Err(e) => Err(e),
    }
}

/// The kind of the namespace `ns` refers to (`NS_GET_NSTYPE`); `Ok(None)` for a kind this
/// program does not know.
pub fn kind(ns: BorrowedFd<'_>) -> std::result::Result<Option<NsKind>, Errno> {
    // SAFETY: NS_GET_NSTYPE takes no argument and returns a CLONE_NEW* value.
    let ret = unsafe { libc::ioctl(ns.as_raw_fd(), NS_GET_NSTYPE as _, 0) };
    if ret < 0 {
        return Err(Errno::from(std::io::Error::last_os_error()));
    }
    Ok(NsKind::ALL
        .into_iter()
        .find(|k| k.clone_flag().bits() as i32 == ret))
}

/// The uid that owns the user namespace `ns` (`NS_GET_OWNER_UID`; user namespaces only).
pub fn owner_uid(ns: BorrowedFd<'_>) -> std::result::Result<u32, Errno> {
    let mut uid: libc::uid_t = 0;
    // SAFETY: NS_GET_OWNER_UID writes one uid_t through the pointer, which lives until the
    // call returns.
    let ret = unsafe { libc::ioctl(ns.as_raw_fd(), NS_GET_OWNER_UID as _, &mut uid) };
    if ret < 0 {
        return Err(Errno::from(std::io::Error::last_os_error()));
    }
    Ok(uid)
}

/// The inode number that identifies the namespace (or any file) behind `fd`.
pub fn inode(fd: BorrowedFd<'_>) -> std::result::Result<u64, Errno> {
    rustix::fs::fstat(fd)
        .map(|st| st.st_ino)
        .map_err(Errno::from)
}

/// The network namespace of the socket `sock` (`SIOCGSKNS`).
pub fn socket_netns(sock: BorrowedFd<'_>) -> std::result::Result<OwnedFd, Errno> {
    ioctl_fd(sock, SIOCGSKNS)
}

/// A duplicate of descriptor `target_fd` of the process behind `pidfd` (`pidfd_getfd(2)`,
/// Linux 5.6; needs ptrace access to that process).
pub fn pidfd_getfd(pidfd: BorrowedFd<'_>, target_fd: i32) -> std::result::Result<OwnedFd, Errno> {
    rustix::process::pidfd_getfd(pidfd, target_fd, rustix::process::PidfdGetfdFlags::empty())
        .map_err(Errno::from)
}

/// Open a namespace file read-only, for the ioctls above. Errors read `cannot open PATH`.
pub fn open(path: &std::path::Path) -> Result<OwnedFd> {
    rustix::fs::open(
        path,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| Error::os(format!("cannot open {}", path.display()), e))
}

// ---------------------------------------------------------------- namespace IDs

/// `NS_GET_ID` of <linux/nsfs.h>: `_IOR(0xb7, 13, __u64)`.
const NS_GET_ID: libc::c_ulong = 0x8008_b70d;

/// The size of `struct nsfs_file_handle` (`__u64 ns_id; __u32 ns_type; __u32 ns_inum;`),
/// `NSFS_FILE_HANDLE_SIZE_VER0`.
const NSFS_HANDLE_SIZE: usize = 16;

/// `struct file_handle` with room for any handle the kernel may return (`MAX_HANDLE_SZ`).
#[repr(C)]
struct FileHandle {
    handle_bytes: libc::c_uint,
    handle_type: libc::c_int,
    f_handle: [u8; 128],
}

/// The 64-bit ID of the namespace `ns` (`NS_GET_ID`; present in Linux 6.18, ENOTTY before).
/// Unlike the inode number, it is never reused while the system runs.
pub fn ns_id(ns: BorrowedFd<'_>) -> std::result::Result<u64, Errno> {
    let mut id: u64 = 0;
    // SAFETY: NS_GET_ID writes one __u64 through the pointer, which lives until the call
    // returns.
    let ret = unsafe { libc::ioctl(ns.as_raw_fd(), NS_GET_ID as _, &mut id) };
    if ret < 0 {
        return Err(Errno::from(std::io::Error::last_os_error()));
    }
    Ok(id)
}

/// Which step of [`open_by_id`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenByIdError {
    /// Building the file handle: opening `/proc/self/ns/mnt` or asking the kernel for the
    /// type of nsfs file handles (`name_to_handle_at(2)` with `AT_HANDLE_FID`; nsfs has file
    /// handles since Linux 6.18).
    Handle(Errno),
    /// `open_by_handle_at(2)` itself. ESTALE means there is no such namespace; before Linux
    /// 6.19 it is the answer to every handle that carries only the ID.
    Open(Errno),
}

/// Open the namespace whose ID (as [`ns_id`] reports it) is `id`, of whatever kind, through
/// an nsfs file handle that carries only the ID.
pub fn open_by_id(id: u64) -> std::result::Result<OwnedFd, OpenByIdError> {
    // Any namespace file serves as the "mount fd" of nsfs, and tells the handle type
    // (FILEID_NSFS, which the uapi headers do not export).
    let mnt = rustix::fs::open(
        "/proc/self/ns/mnt",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| OpenByIdError::Handle(Errno::from(e)))?;
    let mut handle = FileHandle {
        handle_bytes: 128,
        handle_type: 0,
        f_handle: [0; 128],
    };
    let mut mount_id: libc::c_int = 0;
    // SAFETY: the path is a NUL-terminated empty string, `handle` is a `struct file_handle`
    // whose `handle_bytes` says how much room follows, and `mount_id` is a valid int; all
    // live until the call returns.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            mnt.as_raw_fd(),
            c"".as_ptr(),
            &mut handle as *mut FileHandle,
            &mut mount_id as *mut libc::c_int,
            libc::AT_EMPTY_PATH | libc::AT_HANDLE_FID,
        )
    };
    if ret < 0 {
        return Err(OpenByIdError::Handle(Errno::from(
            std::io::Error::last_os_error(),
        )));
    }
    // The laxest handle the kernel accepts: the ID, with type and inode number left zero.
    handle.handle_bytes = NSFS_HANDLE_SIZE as libc::c_uint;
    handle.f_handle = [0; 128];
    handle.f_handle[..8].copy_from_slice(&id.to_ne_bytes());
    // SAFETY: `handle` is a complete `struct file_handle` that lives until the call returns;
    // the kernel only reads it.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            mnt.as_raw_fd(),
            &mut handle as *mut FileHandle,
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(OpenByIdError::Open(Errno::from(
            std::io::Error::last_os_error(),
        )));
    }
    // SAFETY: `fd` is a descriptor the kernel just opened for us alone.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
