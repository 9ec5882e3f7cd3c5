//! The process table as `/proc` shows it, read the way `lsns` needs it: one directory
//! descriptor per process, every other file opened relative to it, so that a process costs
//! a fixed number of system calls and a process that exits midway is noticed, not misread.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags};

use crate::error::{Errno, Result};
use crate::ns::NsKind;

/// The bytes lsns reads of `cmdline` or `comm` (BUFSIZ in util-linux).
const COMMAND_BUFFER: usize = 8192;

/// The pids of all processes (thread-group leaders: the numeric entries of `/proc`), in the
/// order the kernel lists them (ascending).
pub fn pids() -> Result<Vec<u32>> {
    let proc_dir = rustix::fs::open(
        "/proc",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| crate::Error::os("cannot open /proc", e))?;
    let dir = Dir::read_from(&proc_dir).map_err(|e| crate::Error::os("cannot read /proc", e))?;
    let mut pids = Vec::new();
    for entry in dir {
        let entry = entry.map_err(|e| crate::Error::os("cannot read /proc", e))?;
        if let Some(pid) = parse_decimal(entry.file_name().to_bytes()) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

fn parse_decimal<T: std::str::FromStr>(name: &[u8]) -> Option<T> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// Whether an error means the process is gone (or never was): such a process is skipped.
pub fn is_gone(errno: Errno) -> bool {
    errno.0 == libc::ENOENT || errno.0 == libc::ESRCH
}

/// The fields of `/proc/PID/stat` that lsns shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// The process id.
    pub pid: u32,
    /// The one-letter state (`R`, `S`, `Z`, ...).
    pub state: u8,
    /// The parent's process id (0 for the kernel's first processes).
    pub ppid: u32,
}

/// Parse `/proc/PID/stat`: the command name may hold spaces and parentheses, so the fields
/// after it are found after the *last* `)`.
pub fn parse_stat(text: &[u8]) -> Option<Stat> {
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    let pid = parse_decimal(text.get(..open)?.trim_ascii())?;
    let mut rest = text
        .get(close + 1..)?
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty());
    let state = *rest.next()?.first()?;
    let ppid = parse_decimal(rest.next()?)?;
    Some(Stat { pid, state, ppid })
}

/// One file descriptor of a process: which file system it is on, its inode, and whether it
/// is a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFile {
    /// The descriptor number in that process.
    pub fd: i32,
    /// `st_dev` of the open file.
    pub dev: u64,
    /// `st_ino` of the open file.
    pub ino: u64,
    /// Whether the file is a socket.
    pub socket: bool,
}

/// One process's `/proc/PID` directory, held open.
#[derive(Debug)]
pub struct Process {
    pid: u32,
    dir: OwnedFd,
}

impl Process {
    /// Open `/proc/PID`. The error is the kernel's (ENOENT when there is no such process).
    pub fn open(pid: u32) -> std::result::Result<Process, Errno> {
        let dir = rustix::fs::open(
            format!("/proc/{pid}"),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Process { pid, dir })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The owner of `/proc/PID`: the process's effective uid, or 0 when it is not dumpable
    /// (util-linux reports the same).
    pub fn uid(&self) -> std::result::Result<u32, Errno> {
        Ok(rustix::fs::fstat(&self.dir)?.st_uid)
    }

    /// `/proc/PID/stat`, parsed.
    pub fn stat(&self) -> std::result::Result<Stat, Errno> {
        let text = self.read("stat", 1024)?;
        parse_stat(&text).ok_or(Errno(libc::EINVAL))
    }

    /// The inode number of the process's namespace of `kind`.
    pub fn ns_inode(&self, kind: NsKind) -> std::result::Result<u64, Errno> {
        let st = rustix::fs::statat(&self.dir, ns_link(kind), AtFlags::empty())?;
        Ok(st.st_ino)
    }

    /// Open the process's namespace of `kind`, for the nsfs ioctls and netlink.
    pub fn open_ns(&self, kind: NsKind) -> std::result::Result<OwnedFd, Errno> {
        Ok(rustix::fs::openat(
            &self.dir,
            ns_link(kind),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?)
    }

    /// Open the process's descriptor `fd` (as `/proc/PID/fd/N` reopens it).
    pub fn open_fd(&self, fd: i32) -> std::result::Result<OwnedFd, Errno> {
        Ok(rustix::fs::openat(
            &self.dir,
            format!("fd/{fd}"),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?)
    }

    /// The open file descriptors, each with what `stat` says of the file behind it.
    /// Descriptors closed while they are listed are left out.
    pub fn open_files(&self) -> std::result::Result<Vec<OpenFile>, Errno> {
        let fd_dir = rustix::fs::openat(
            &self.dir,
            "fd",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut files = Vec::new();
        for entry in Dir::read_from(&fd_dir)? {
            let entry = entry?;
            let Some(fd) = parse_decimal::<i32>(entry.file_name().to_bytes()) else {
                continue;
            };
            let Ok(st) = rustix::fs::statat(&fd_dir, entry.file_name(), AtFlags::empty()) else {
                continue;
            };
            files.push(OpenFile {
                fd,
                dev: st.st_dev,
                ino: st.st_ino,
                socket: FileType::from_raw_mode(st.st_mode) == FileType::Socket,
            });
        }
        Ok(files)
    }

    /// The command line as util-linux shows it: `cmdline` with each NUL turned into a space
    /// and the last byte dropped (it is the final NUL when the process did not rewrite its
    /// arguments), at most 8191 bytes; for kernel threads, whose `cmdline` is empty, `comm`.
    /// `Ok(None)` when both are empty.
    pub fn command(&self) -> std::result::Result<Option<Vec<u8>>, Errno> {
        for name in ["cmdline", "comm"] {
            let mut data = self.read(name, COMMAND_BUFFER)?;
            if data.is_empty() {
                continue;
            }
            data.pop();
            for b in &mut data {
                if *b == 0 {
                    *b = b' ';
                }
            }
            return Ok(Some(data));
        }
        Ok(None)
    }

    /// The process's pidfd, to borrow its descriptors with `pidfd_getfd`.
    pub fn pidfd(&self) -> std::result::Result<OwnedFd, Errno> {
        let pid = i32::try_from(self.pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .ok_or(Errno(libc::ESRCH))?;
        Ok(rustix::process::pidfd_open(
            pid,
            rustix::process::PidfdFlags::empty(),
        )?)
    }

    /// Read at most `limit` bytes of the file `name` in the process directory.
    fn read(&self, name: &str, limit: usize) -> std::result::Result<Vec<u8>, Errno> {
        let fd = rustix::fs::openat(
            &self.dir,
            name,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        read_up_to(fd.as_fd(), limit)
    }
}

fn ns_link(kind: NsKind) -> String {
    format!("ns/{}", kind.proc_name())
}

/// Read until end of file or `limit` bytes, retrying interrupted reads.
fn read_up_to(fd: BorrowedFd<'_>, limit: usize) -> std::result::Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; limit];
    let mut len = 0;
    while len < limit {
        match rustix::io::read(fd, &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_the_last_parenthesis() {
        let s = parse_stat(b"4242 (we (ird) name)) S 17 4242 0 0 -1").unwrap();
        assert_eq!(
            s,
            Stat {
                pid: 4242,
                state: b'S',
                ppid: 17
            }
        );
        assert_eq!(parse_stat(b"12 (x"), None);
        assert_eq!(parse_stat(b"x (a) S 1"), None);
    }

    #[test]
    fn our_own_process_reads_back() {
        let me = std::process::id();
        assert!(pids().unwrap().contains(&me));
        let p = Process::open(me).unwrap();
        assert_eq!(p.stat().unwrap().pid, me);
        assert_eq!(p.uid().unwrap(), rustix::process::geteuid().as_raw());
        let own = rustix::fs::stat("/proc/self/ns/net").unwrap().st_ino;
        assert_eq!(p.ns_inode(NsKind::Net).unwrap(), own);
        let command = p.command().unwrap().unwrap();
        let argv0 = std::env::args().next().unwrap();
        assert!(command.starts_with(argv0.as_bytes()));
        assert!(p.open_files().unwrap().iter().any(|f| f.fd == 0));
        assert!(is_gone(Process::open(u32::MAX).unwrap_err()));
    }
}
