//! The default systemd scope, as libcgroup 3.2 keeps it: `cgcreate -c -S` writes
//! `SLICE.slice/SCOPE.scope` (no newline) to a file, and from then on the tools read a group
//! name that does not start with `/` (and `/` itself) below that scope. A file shorter than
//! the shortest possible name (`a.slice/b.scope`, 15 bytes) is ignored; one naming a group
//! that no longer exists (systemd removed the scope) is removed.
//!
//! The system's default lives in `/var/run/libcgroup/systemd`, libcgroup's own file, so the two
//! implementations share it. A user's default (`--user`, their own systemd manager) lives in
//! `$XDG_RUNTIME_DIR/libcgroup/systemd`, which only they can write and which goes away when
//! their last session ends, as their manager's scopes do.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use sys::dirfd::Access;

use crate::{GroupPath, Hierarchies, Hierarchy};

/// The system-wide default scope file (libcgroup 3.2's).
pub const SYSTEM_FILE: &str = "/var/run/libcgroup/systemd";

/// The shortest content that can name a scope: `a.slice/b.scope`.
const SHORTEST: usize = 15;

/// The longest content libcgroup reads from the file (its FILENAME_MAX).
const LONGEST: usize = 4096;

/// Whose default scope a tool uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owner {
    /// The system's (`/var/run/libcgroup/systemd`).
    #[default]
    System,
    /// The calling user's (`$XDG_RUNTIME_DIR/libcgroup/systemd`).
    User,
}

/// The directory of the default scope file, below the owner's base directory.
const DIR_NAME: &str = "libcgroup";

/// The default scope file's name in [`DIR_NAME`].
const FILE_NAME: &str = "systemd";

impl Owner {
    /// The file that holds this owner's default scope; `None` for a user without a runtime
    /// directory (no `XDG_RUNTIME_DIR`: no login session, so no manager of their own).
    pub fn file(self) -> Option<PathBuf> {
        self.base().map(|base| base.join(DIR_NAME).join(FILE_NAME))
    }

    /// The directory [`DIR_NAME`] lives in: `/var/run`, or the caller's runtime directory
    /// (read as secure_getenv does: a set-user-ID cgexec ignores it).
    fn base(self) -> Option<PathBuf> {
        match self {
            Owner::System => Path::new(SYSTEM_FILE)
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf),
            Owner::User => sys::process::trusted_env("XDG_RUNTIME_DIR")
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from),
        }
    }

    /// The base directory opened. A user's runtime directory counts only when the caller
    /// owns it: root with another user's `XDG_RUNTIME_DIR` (kept by `su`) has none.
    fn open_base(self) -> std::io::Result<OwnedFd> {
        let base = self.base().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::NotFound, "XDG_RUNTIME_DIR is not set")
        })?;
        let dir = sys::dirfd::open_dir(&base).map_err(errno_to_io)?;
        if self == Owner::User
            && sys::dirfd::owner(&dir).map_err(errno_to_io)? != sys::user::real_uid()
        {
            return Err(std::io::Error::from_raw_os_error(sys::errno::EPERM));
        }
        Ok(dir)
    }

    /// The directory that holds the file, opened below the base without following a
    /// symbolic link: the runtime directory is the user's, and root reading or removing
    /// through a link they planted there would read or remove any file of the system.
    fn open_dir(self) -> std::io::Result<OwnedFd> {
        let base = self.open_base()?;
        sys::dirfd::open_no_symlinks(base.as_fd(), Path::new(DIR_NAME), Access::Dir)
            .map_err(errno_to_io)
    }
}

fn errno_to_io(e: sys::Errno) -> std::io::Error {
    std::io::Error::from_raw_os_error(e.0)
}

/// The group names of one run: below a default scope, or as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Names {
    scope: Option<GroupPath>,
}

impl Names {
    /// Names as typed: no default scope (`-b`, or none set).
    pub fn as_typed() -> Names {
        Names::default()
    }

    /// Names below `scope`.
    pub fn below(scope: GroupPath) -> Names {
        Names { scope: Some(scope) }
    }

    /// Names below `owner`'s default scope if its file names one that exists in `all`;
    /// a file naming a group that is gone is removed, as libcgroup does.
    pub fn load(owner: Owner, all: &Hierarchies) -> Names {
        let Ok(dir) = owner.open_dir() else {
            return Names::as_typed();
        };
        let Ok(bytes) = read_file(&dir) else {
            return Names::as_typed();
        };
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(LONGEST)]).into_owned();
        if text.len() < SHORTEST {
            return Names::as_typed();
        }
        let scope = GroupPath::parse(&text)
            .ok()
            .filter(|scope| exists(all, scope));
        match scope {
            Some(scope) => Names::below(scope),
            None => {
                // systemd removed the scope (or the file never named a group): forget it.
                let _ = sys::dirfd::remove_file_at(dir.as_fd(), OsStr::new(FILE_NAME));
                Names::as_typed()
            }
        }
    }

    /// The default scope, if any.
    pub fn scope(&self) -> Option<&GroupPath> {
        self.scope.as_ref()
    }

    /// The group a name typed on the command line means: below the default scope unless it
    /// starts with `/` (but `/` alone is the scope itself). The error says what is wrong with
    /// the name.
    pub fn resolve(&self, typed: &str) -> Result<GroupPath, String> {
        let path = GroupPath::parse(typed)?;
        match &self.scope {
            Some(scope) if !typed.starts_with('/') || path.is_root() => Ok(if path.is_root() {
                scope.clone()
            } else {
                scope.join(path.as_str())
            }),
            _ => Ok(path),
        }
    }
}

/// Whether `scope` is a group: in the v2 hierarchy where there is one (a unified or hybrid
/// host, where systemd keeps its scopes), else in the cpu controller's.
fn exists(all: &Hierarchies, scope: &GroupPath) -> bool {
    let hierarchy = all.unified().or_else(|| all.for_controller("cpu").cloned());
    hierarchy.is_some_and(|h| h.group(scope).dir().join("cgroup.procs").exists())
}

/// Make `SLICE/SCOPE` `owner`'s default scope: write the file (its directory made 0755 if
/// missing) with no newline, as libcgroup 3.2 writes it.
pub fn set_default(owner: Owner, scope: &GroupPath) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let file = owner.file().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "XDG_RUNTIME_DIR is not set")
    })?;
    let base = owner.open_base()?;
    let (dir, _) =
        sys::dirfd::make_dir_at(base.as_fd(), OsStr::new(DIR_NAME), 0o755).map_err(errno_to_io)?;
    let (fd, _) =
        sys::dirfd::make_file_at(dir.as_fd(), OsStr::new(FILE_NAME), 0o644).map_err(errno_to_io)?;
    let mut out = std::fs::File::from(fd);
    out.set_len(0)?;
    out.write_all(scope.as_str().as_bytes())?;
    Ok(file)
}

/// Remove `owner`'s default scope file; a missing one is no error.
pub fn forget_default(owner: Owner) -> std::io::Result<()> {
    let dir = match owner.open_dir() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    match sys::dirfd::remove_file_at(dir.as_fd(), OsStr::new(FILE_NAME)) {
        Err(sys::Errno(sys::errno::ENOENT)) => Ok(()),
        other => other.map_err(errno_to_io),
    }
}

/// The file's first [`LONGEST`] bytes, opened in `dir` without following a symbolic link.
fn read_file(dir: &OwnedFd) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let fd = sys::dirfd::open_no_symlinks(dir.as_fd(), Path::new(FILE_NAME), Access::Read)
        .map_err(errno_to_io)?;
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(LONGEST as u64)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The name libcgroup's idle process runs under (its argv[0]); `cgexec -r` and `cgclassify -r`
/// recognise a scope's idle process by it, whichever implementation started it.
pub const IDLE_NAME: &str = "libcgroup_systemd_idle_thread";

/// Why no idle process can be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoIdle {
    /// None of the scopes `pid` is in has one.
    None,
    /// Two scopes have different ones.
    Two(u32, u32),
    /// `/proc/PID/cgroup` could not be read.
    Unreadable(u32),
}

impl std::fmt::Display for NoIdle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoIdle::None => f.write_str("Failed to find idle_thread task"),
            NoIdle::Two(a, b) => write!(
                f,
                "Failed to replace scope idle_thread, found two idle_thread {a} {b}"
            ),
            NoIdle::Unreadable(pid) => write!(f, "Failed to open: /proc/{pid}/cgroup"),
        }
    }
}

/// The group `pid` is in in each hierarchy mounted here, from `/proc/PID/cgroup`.
fn groups_of(all: &Hierarchies, pid: u32) -> Result<Vec<(Hierarchy, GroupPath)>, NoIdle> {
    let memberships = sys::target::cgroups_of(pid).map_err(|_| NoIdle::Unreadable(pid))?;
    let mut groups = Vec::new();
    for membership in &memberships {
        let hierarchy = if membership.controllers.is_empty() {
            all.unified()
        } else {
            membership
                .controllers
                .split(',')
                .next()
                .and_then(|c| all.for_controller(c).cloned())
        };
        if let (Some(hierarchy), Ok(group)) = (hierarchy, GroupPath::parse(&membership.path)) {
            groups.push((hierarchy, group));
        }
    }
    Ok(groups)
}

/// The idle process ([`IDLE_NAME`]) of the systemd scope(s) `pid` is in: the groups of
/// `/proc/PID/cgroup` whose path names a `.slice` and a `.scope` are searched, as libcgroup
/// does.
pub fn idle_process(all: &Hierarchies, pid: u32) -> Result<u32, NoIdle> {
    let mut found: Option<u32> = None;
    for (hierarchy, group) in groups_of(all, pid)? {
        let path = group.as_str();
        if !(path.contains(".scope") && path.contains(".slice")) {
            continue;
        }
        let procs = hierarchy.group(&group).procs().unwrap_or_default();
        let idle = procs.into_iter().find(|p| {
            sys::proctab::Process::open(*p)
                .and_then(|process| process.command())
                .is_ok_and(|command| command.as_deref() == Some(IDLE_NAME.as_bytes()))
        });
        match (found, idle) {
            (None, Some(idle)) => found = Some(idle),
            (Some(first), Some(idle)) if first != idle => return Err(NoIdle::Two(first, idle)),
            _ => {}
        }
    }
    found.ok_or(NoIdle::None)
}

/// Where a process was before `cgclassify -r` moved it: when there is no idle process to
/// replace, libcgroup moves the process back, so that `-r` into a group outside a scope
/// leaves everything as it was.
pub struct Origin {
    pid: u32,
    groups: Vec<(Hierarchy, GroupPath)>,
}

impl Origin {
    /// The groups `pid` is in now.
    pub fn of(all: &Hierarchies, pid: u32) -> Result<Origin, NoIdle> {
        Ok(Origin {
            pid,
            groups: groups_of(all, pid)?,
        })
    }

    /// Move the process back into those groups.
    pub fn restore(&self) -> sys::error::Result<()> {
        self.groups
            .iter()
            .try_for_each(|(hierarchy, group)| hierarchy.group(group).attach(self.pid))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn path(text: &str) -> GroupPath {
        GroupPath::parse(text).unwrap()
    }

    #[test]
    fn names_resolve_below_the_scope() {
        let names = Names::below(path("a.slice/b.scope"));
        assert_eq!(names.resolve("x/y").unwrap(), path("a.slice/b.scope/x/y"));
        assert_eq!(names.resolve("/").unwrap(), path("a.slice/b.scope"));
        assert_eq!(names.resolve("/x").unwrap(), path("x"));
        assert_eq!(names.resolve("").unwrap(), path("a.slice/b.scope"));
        assert!(names.resolve("../x").is_err());
        let typed = Names::as_typed();
        assert_eq!(typed.resolve("x").unwrap(), path("x"));
        assert_eq!(typed.resolve("/").unwrap(), GroupPath::root());
    }
}
