//! Handles that a script keeps on a process it started: a pid file that appears whole or not
//! at all, and a descriptor it passed by number, to be written once and closed.
//!
//! Both are taken before the caller changes anything, so that a file that cannot be made or
//! a descriptor that cannot be written is refused while there is nothing to undo.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno as RustixErrno;

use crate::error::{Error, Result};

/// A pid file, made as a hidden temporary file next to its final name and renamed onto it
/// once the pid is known: rename(2) replaces the name in one step, so a script polling for
/// the file finds it missing or holding the whole pid, never a part of it.
///
/// Dropped, it removes what it made: the temporary file, or the published file while that
/// name still refers to the file it wrote (a later writer's file is left alone).
#[derive(Debug)]
pub struct PidFile {
    /// The path as given, for messages.
    path: PathBuf,
    /// The directory that holds the file, opened once so that a later change of the
    /// working or root directory does not move it.
    dir: OwnedFd,
    /// The final name in `dir`.
    name: OsString,
    /// The temporary name in `dir`, until published.
    temp: OsString,
    /// The file, open for writing; kept open once published, so that its inode number
    /// cannot pass to another file while the name is checked before removal.
    file: File,
    /// Whether the file has its final name.
    published: bool,
    /// Whether dropping it removes what it made (see [`PidFile::leave`]).
    owned: bool,
}

impl PidFile {
    /// Make the temporary file for `path` (mode 0644, less the umask), checking that the
    /// final name can be made. Errors read `cannot open PATH: strerror`, as util-linux
    /// reports a file it cannot open.
    pub fn create(path: &Path) -> Result<PidFile> {
        let fail = |errno: RustixErrno| Error::os(format!("cannot open {}", path.display()), errno);
        let name = path
            .file_name()
            .ok_or_else(|| fail(RustixErrno::ISDIR))?
            .to_owned();
        let dir_path = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = rustix::fs::openat(
            CWD,
            dir_path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(fail)?;
        // A directory in the way would only be found at the rename, after the namespaces
        // were made.
        match rustix::fs::statat(&dir, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if rustix::fs::FileType::from_raw_mode(st.st_mode).is_dir() => {
                return Err(fail(RustixErrno::ISDIR));
            }
            _ => {}
        }
        let temp = temp_name(&name, crate::process::own_pid());
        let open = || {
            rustix::fs::openat(
                &dir,
                temp.as_os_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
        };
        let fd = match open() {
            // Only a process with our pid uses this name, and we are the live one: the
            // file is left over from a process that died before renaming it.
            Err(RustixErrno::EXIST) => {
                let _ = rustix::fs::unlinkat(&dir, temp.as_os_str(), AtFlags::empty());
                open()
            }
            other => other,
        }
        .map_err(fail)?;
        Ok(PidFile {
            path: path.to_owned(),
            dir,
            name,
            temp,
            file: File::from(fd),
            published: false,
            owned: true,
        })
    }

    /// Write `pid` and a newline to the temporary file and rename it onto the final name.
    /// Errors read `cannot write PATH: strerror`.
    pub fn publish(&mut self, pid: u32) -> Result<()> {
        let fail = |e: std::io::Error| {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            Error::os(format!("cannot write {}", self.path.display()), errno)
        };
        if self.published {
            return Ok(());
        }
        (&self.file)
            .write_all(format!("{pid}\n").as_bytes())
            .map_err(fail)?;
        rustix::fs::renameat(
            &self.dir,
            self.temp.as_os_str(),
            &self.dir,
            self.name.as_os_str(),
        )
        .map_err(|e| fail(e.into()))?;
        self.published = true;
        Ok(())
    }

    /// Let go of the file without removing anything: for a forked process that holds a
    /// copy of it while another process writes and removes it.
    pub fn leave(mut self) {
        self.owned = false;
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if !self.published {
            let _ = rustix::fs::unlinkat(&self.dir, self.temp.as_os_str(), AtFlags::empty());
            return;
        }
        let identity = |st: rustix::fs::Stat| (st.st_dev, st.st_ino);
        let ours = rustix::fs::fstat(&self.file).map(identity);
        let named = rustix::fs::statat(&self.dir, self.name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW)
            .map(identity);
        if matches!((ours, named), (Ok(a), Ok(b)) if a == b) {
            let _ = rustix::fs::unlinkat(&self.dir, self.name.as_os_str(), AtFlags::empty());
        }
    }
}

/// `.NAME.PID`: hidden, so that a glob for the final name's pattern does not catch it.
fn temp_name(name: &OsStr, pid: u32) -> OsString {
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(OsStr::from_bytes(format!(".{pid}").as_bytes()));
    temp
}

/// A descriptor the caller named by number to receive one message: checked to be open for
/// writing, marked close-on-exec so that no program started later inherits it, and closed
/// when written (or dropped).
#[derive(Debug)]
pub struct InfoFd {
    number: i32,
    fd: OwnedFd,
}

impl InfoFd {
    /// Take descriptor `number` of this process. A descriptor that is not open, or is open
    /// only for reading, is refused with `cannot write to file descriptor N: Bad file
    /// descriptor`.
    pub fn claim(number: i32) -> Result<InfoFd> {
        let bad =
            |errno: i32| Error::os(format!("cannot write to file descriptor {number}"), errno);
        // SAFETY: F_GETFL reads the flags of a descriptor number, open or not; it touches no
        // memory.
        let flags = unsafe { libc::fcntl(number, libc::F_GETFL) };
        if flags < 0 {
            return Err(bad(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EBADF)));
        }
        if flags & libc::O_ACCMODE == libc::O_RDONLY {
            return Err(bad(libc::EBADF));
        }
        // SAFETY: F_SETFD with FD_CLOEXEC changes only the flag of a descriptor just seen
        // open.
        if unsafe { libc::fcntl(number, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
            return Err(bad(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EBADF)));
        }
        // SAFETY: the descriptor is open, and the caller gave it to us by naming it: nothing
        // else in this process uses it, so it is ours to close.
        let fd = unsafe { OwnedFd::from_raw_fd(number) };
        Ok(InfoFd { number, fd })
    }

    /// Write all of `text` and close the descriptor. Errors read `cannot write to file
    /// descriptor N: strerror`.
    pub fn write_and_close(self, text: &str) -> Result<()> {
        let number = self.number;
        File::from(self.fd).write_all(text.as_bytes()).map_err(|e| {
            Error::os(
                format!("cannot write to file descriptor {number}"),
                e.raw_os_error().unwrap_or(libc::EIO),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn pid_file_appears_whole_and_goes_with_its_owner() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let path = dir.join("p");
        let mut file = PidFile::create(&path).unwrap();
        let temp = format!(".p.{}", std::process::id());
        assert_eq!(names(&dir), std::slice::from_ref(&temp));
        file.publish(4242).unwrap();
        assert_eq!(names(&dir), ["p"]);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "4242\n");
        drop(file);
        assert!(names(&dir).is_empty());
        // A file that replaced ours is not removed.
        let mut file = PidFile::create(&path).unwrap();
        file.publish(1).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "7\n").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "7\n");
        // Unpublished, only the temporary file goes; left, nothing goes.
        drop(PidFile::create(&path).unwrap());
        assert_eq!(names(&dir), ["p"]);
        PidFile::create(&path).unwrap().leave();
        assert_eq!(names(&dir), [temp.clone(), "p".to_owned()]);
        // ...and that leftover does not stop the next run.
        drop(PidFile::create(&path).unwrap());
        assert_eq!(names(&dir), ["p"]);
    }

    #[test]
    fn pid_file_refusals() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().to_path_buf();
        let err = |p: &Path| PidFile::create(p).unwrap_err().to_string();
        let missing = dir.join("no/p");
        assert_eq!(
            err(&missing),
            format!(
                "cannot open {}: No such file or directory",
                missing.display()
            )
        );
        assert_eq!(
            err(&dir),
            format!("cannot open {}: Is a directory", dir.display())
        );
        assert_eq!(err(Path::new("/")), "cannot open /: Is a directory");
        assert!(names(&dir).is_empty());
    }

    #[test]
    fn info_fd_refusals() {
        assert_eq!(
            InfoFd::claim(999).unwrap_err().to_string(),
            "cannot write to file descriptor 999: Bad file descriptor"
        );
        let read_only = File::open("/dev/null").unwrap();
        let number = std::os::fd::AsRawFd::as_raw_fd(&read_only);
        assert_eq!(
            InfoFd::claim(number).unwrap_err().to_string(),
            format!("cannot write to file descriptor {number}: Bad file descriptor")
        );
    }
}
