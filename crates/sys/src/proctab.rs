//! The process table as `/proc` shows it, read the way `lsns` needs it: one directory
//! descriptor per process, every other file opened relative to it, so that a process costs
//! a fixed number of system calls and a process that exits midway is noticed, not misread.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Dir, Mode, OFlags};

use crate::error::{Errno, Result};
use crate::ns::NsKind;

/// The bytes lsns reads of `cmdline` or `comm` (BUFSIZ in util-linux).
const COMMAND_BUFFER: usize = 8192;

/// `/proc`, held open: every process directory is opened relative to it, which spares the
/// kernel a path walk per process.
#[derive(Debug)]
pub struct ProcRoot(OwnedFd);

impl ProcRoot {
    /// Open `/proc`.
    pub fn open() -> Result<ProcRoot> {
        rustix::fs::open(
            "/proc",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map(ProcRoot)
        .map_err(|e| crate::Error::os("cannot open /proc", e))
    }

    /// The pids of all processes (thread-group leaders: the numeric entries of `/proc`), in
    /// the order the kernel lists them (ascending).
    pub fn pids(&self) -> Result<Vec<u32>> {
        let fd = rustix::fs::openat(
            &self.0,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| crate::Error::os("cannot open /proc", e))?;
        let dir = Dir::new(fd).map_err(|e| crate::Error::os("cannot read /proc", e))?;
        let mut pids = Vec::new();
        for entry in dir {
            let entry = entry.map_err(|e| crate::Error::os("cannot read /proc", e))?;
            if let Some(pid) = parse_decimal(entry.file_name().to_bytes()) {
                pids.push(pid);
            }
        }
        Ok(pids)
    }

    /// Open process `pid`'s directory. The error is the kernel's (ENOENT when there is no
    /// such process).
    pub fn process(&self, pid: u32) -> std::result::Result<Process, Errno> {
        let dir = rustix::fs::openat(
            &self.0,
            pid.to_string(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Process { pid, dir })
    }
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

/// The device number of the nsfs file system, from our own namespace links: a file whose
/// `st_dev` is this one is a namespace.
pub fn nsfs_device() -> Option<u64> {
    NsKind::ALL.iter().find_map(|k| {
        rustix::fs::stat(format!("/proc/self/ns/{}", k.proc_name()))
            .ok()
            .map(|st| st.st_dev)
    })
}

/// What a process's file descriptor refers to, when it can hold a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// A namespace file (nsfs) with this inode; its kind when the link's text names it (a
    /// descriptor opened through a bind mount reads as a path instead).
    Namespace(Option<NsKind>, u64),
    /// A socket, with this inode: it keeps its network namespace alive.
    Socket(u64),
}

/// One file descriptor of a process that may hold a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFile {
    /// The descriptor number in that process.
    pub fd: i32,
    /// What it refers to.
    pub holder: Holder,
}

/// Parse a `/proc` link text of the form `name:[inode]` (`net:[4026531840]`, `socket:[123]`).
fn bracketed(link: &[u8]) -> Option<(&[u8], u64)> {
    let open = link.iter().position(|&b| b == b'[')?;
    let name = link.get(..open)?.strip_suffix(b":")?;
    let digits = link.get(open + 1..)?.strip_suffix(b"]")?;
    Some((name, parse_decimal(digits)?))
}

/// What a `/proc/PID/fd/N` link text says of the file: namespace files read
/// `KIND:[INODE]` (file names always start with `/`), sockets `socket:[INODE]`.
pub fn holder_of(link: &[u8]) -> Option<Holder> {
    let (name, ino) = bracketed(link)?;
    if name == b"socket" {
        return Some(Holder::Socket(ino));
    }
    NsKind::ALL
        .into_iter()
        .find(|k| k.proc_name().as_bytes() == name)
        .map(|k| Holder::Namespace(Some(k), ino))
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
        // One read: the kernel produces the line at once, and it is far shorter than this.
        let fd = rustix::fs::openat(
            &self.dir,
            "stat",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut buf = [0u8; 1024];
        let len = loop {
            match rustix::io::read(&fd, &mut buf) {
                Err(rustix::io::Errno::INTR) => {}
                other => break other?,
            }
        };
        let text = &buf[..len];
        parse_stat(text).ok_or(Errno(libc::EINVAL))
    }

    /// The inode number of the process's namespace of `kind`, from the link's text
    /// (`net:[4026531840]`; reading it costs the kernel less than a stat through it).
    pub fn ns_inode(&self, kind: NsKind) -> std::result::Result<u64, Errno> {
        let mut buf = [0u8; 64];
        let len = rustix::fs::readlinkat_raw(&self.dir, ns_link(kind), &mut buf[..])?;
        bracketed(&buf[..len])
            .map(|(_, ino)| ino)
            .ok_or(Errno(libc::EINVAL))
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

    /// The open file descriptors that are namespace files or sockets. Descriptors closed
    /// while they are listed are left out. `nsfs_dev` ([`nsfs_device`]) identifies namespace
    /// files opened by a path (a bind mount, perhaps gone since), whose links read as paths.
    pub fn open_files(&self, nsfs_dev: Option<u64>) -> std::result::Result<Vec<OpenFile>, Errno> {
        let fd_dir = rustix::fs::openat(
            &self.dir,
            "fd",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut dir = Dir::new(fd_dir)?;
        let mut files = Vec::new();
        let mut buf = [0u8; 64];
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let Some(fd) = parse_decimal::<i32>(entry.file_name().to_bytes()) else {
                continue;
            };
            // The link's text tells namespaces and sockets apart without a stat of each.
            let Ok(len) = rustix::fs::readlinkat_raw(dir.fd()?, entry.file_name(), &mut buf[..])
            else {
                continue;
            };
            let holder = match buf[..len].first() {
                // A path: only a stat tells an nsfs file from the others.
                Some(b'/') => nsfs_dev.and_then(|dev| {
                    let st =
                        rustix::fs::statat(dir.fd().ok()?, entry.file_name(), AtFlags::empty())
                            .ok()?;
                    (st.st_dev == dev).then_some(Holder::Namespace(None, st.st_ino))
                }),
                _ => holder_of(&buf[..len]),
            };
            if let Some(holder) = holder {
                files.push(OpenFile { fd, holder });
            }
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
    fn link_texts() {
        assert_eq!(
            holder_of(b"net:[4026531840]"),
            Some(Holder::Namespace(Some(NsKind::Net), 4026531840))
        );
        assert_eq!(holder_of(b"socket:[77]"), Some(Holder::Socket(77)));
        assert_eq!(holder_of(b"pipe:[77]"), None);
        assert_eq!(holder_of(b"/tmp/net:[1]"), None);
        assert_eq!(holder_of(b"anon_inode:[pidfd]"), None);
        assert_eq!(holder_of(b"net:[12"), None);
    }

    #[test]
    fn our_own_process_reads_back() {
        let me = std::process::id();
        let root = ProcRoot::open().unwrap();
        assert!(root.pids().unwrap().contains(&me));
        let p = root.process(me).unwrap();
        assert_eq!(p.stat().unwrap().pid, me);
        assert_eq!(p.uid().unwrap(), rustix::process::geteuid().as_raw());
        let own = rustix::fs::stat("/proc/self/ns/net").unwrap().st_ino;
        assert_eq!(p.ns_inode(NsKind::Net).unwrap(), own);
        let command = p.command().unwrap().unwrap();
        let argv0 = std::env::args().next().unwrap();
        assert!(command.starts_with(argv0.as_bytes()));
        let ns = std::fs::File::open("/proc/self/ns/uts").unwrap();
        let uts = rustix::fs::stat("/proc/self/ns/uts").unwrap().st_ino;
        // (A namespace opened through a bind mount reads as a path: tests/tests/lsns.rs.)
        let files = p.open_files(nsfs_device()).unwrap();
        assert!(
            files
                .iter()
                .any(|f| f.holder == Holder::Namespace(Some(NsKind::Uts), uts)),
            "{files:?}"
        );
        drop(ns);
        assert!(is_gone(root.process(u32::MAX).unwrap_err()));
    }
}
