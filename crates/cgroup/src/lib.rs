//! cgroup hierarchies, v1 and v2 behind one type.
//!
//! [`Hierarchies::discover`] reads the mount table the way libcgroup does (v1 mounts with
//! their controllers, co-mounted ones as one hierarchy, named ones as `name=X`; the cgroup2
//! mount with the controllers its `cgroup.controllers` lists, a controller already bound to
//! v1 staying v1), and reports the mode as libcgroup does (legacy, hybrid, unified).
//! [`Group`] is one group in one hierarchy: create (on v2 enabling the controllers in every
//! ancestor's `cgroup.subtree_control`), delete (moving tasks to the parent, bottom-up), read
//! and write settings, attach a process (`cgroup.procs`, or `cgroup.threads` in a threaded v2
//! group), list children. Everything takes its paths from the mount table, so the unit tests
//! run the same code over a fake cgroupfs directory tree.
//!
//! [`translate`] maps settings between v1 and v2 names and units, so one script works on any
//! host; [`Ecg`] is libcgroup's error codes with its texts and exit statuses.

pub mod cgred;
pub mod config;
mod delegation;
mod ecg;
pub mod read;
pub mod rules;
pub mod scope;
pub mod snapshot;
pub mod stats;
mod translate;
pub mod value;

pub use ecg::Ecg;
pub use translate::{Translated, parse_size, translate};

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use sys::error::{Error, Result};
use sys::mount::MountInfo;

/// A cgroup hierarchy's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// cgroup v1: one hierarchy per controller (or per co-mounted set).
    V1,
    /// cgroup v2: the unified hierarchy.
    V2,
}

/// How the host's cgroups are laid out, in libcgroup's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// v1 only.
    Legacy,
    /// v1 hierarchies and a cgroup2 mount.
    Hybrid,
    /// cgroup2 only.
    Unified,
}

/// One mounted hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// v1 or v2.
    pub version: Version,
    /// The controllers it carries (`name=X` for a named v1 hierarchy); on v2 those of the
    /// root's `cgroup.controllers` not already bound to v1.
    pub controllers: Vec<String>,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// The group the mount shows at its mount point (`/` unless a sub-tree was mounted or we
    /// are in a cgroup namespace whose root is elsewhere).
    pub mount_root: PathBuf,
}

impl Hierarchy {
    /// Whether this hierarchy carries `controller`.
    pub fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }

    /// The group `path` in this hierarchy.
    pub fn group<'h>(&'h self, path: &GroupPath) -> Group<'h> {
        Group {
            hierarchy: self,
            path: path.clone(),
            whole_files: false,
        }
    }
}

/// Held while a tool makes or removes the same group in several hierarchies (cgcreate,
/// cgdelete, cgconfigparser): nsutils' tools then take turns, so that one's create and
/// another's delete of the same path cannot interleave hierarchy by hierarchy and leave the
/// group in some hierarchies only. An exclusive flock(2) on the first hierarchy's mount point,
/// which every process of the mount namespace finds the same; released when dropped.
/// libcgroup's tools do not take it.
#[derive(Debug)]
pub struct TreeLock {
    _dir: Option<std::os::fd::OwnedFd>,
}

/// Every mounted hierarchy, in mount-table order (the order libcgroup's listings use).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hierarchies {
    /// The hierarchies with controllers (v2 included when it has any).
    pub list: Vec<Hierarchy>,
    /// cgroup2 mounts, with or without controllers (decides the mode, and holds
    /// controller-less `:path` groups); those showing the cgroup namespace's root come last.
    pub v2_mounts: Vec<PathBuf>,
}

impl Hierarchies {
    /// The [`TreeLock`], when there is more than one hierarchy (on one, each change is a
    /// single mkdir or rmdir). A mount point that cannot be opened or locked means no lock:
    /// the change goes ahead as libcgroup's would.
    pub fn lock_tree(&self) -> TreeLock {
        let dir = match self.list.as_slice() {
            [first, _, ..] => sys::dirfd::lock_dir(&first.mount_point).ok(),
            _ => None,
        };
        TreeLock { _dir: dir }
    }

    /// Read `/proc/self/mountinfo`, `/proc/cgroups` and the cgroup2 `cgroup.controllers`.
    pub fn discover() -> Result<Self> {
        let mounts = sys::mount::mountinfo()?;
        let known = sys::read_pseudo_text(Path::new("/proc/cgroups")).unwrap_or_default();
        let kernel: Vec<&str> = known
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        Ok(Self::from_mounts(&mounts, &kernel, |p| {
            sys::read_pseudo_text(p).ok()
        }))
    }

    /// The same from given parts: a mount table, the kernel's controller names (the first
    /// column of `/proc/cgroups`), and a reader for `cgroup.controllers` files.
    pub fn from_mounts(
        mounts: &[MountInfo],
        kernel_controllers: &[&str],
        read: impl Fn(&Path) -> Option<String>,
    ) -> Self {
        let mut all = Hierarchies::default();
        let mut v2_controllers: Vec<(PathBuf, PathBuf, Vec<String>)> = Vec::new();
        for m in mounts {
            match m.fstype.as_str() {
                "cgroup" => {
                    let opts: Vec<&str> = m.super_options.split(',').collect();
                    let mut controllers: Vec<String> = kernel_controllers
                        .iter()
                        .filter(|c| opts.contains(c))
                        .map(|c| (*c).to_owned())
                        .collect();
                    controllers.extend(
                        opts.iter()
                            .filter(|o| o.starts_with("name="))
                            .map(|o| (*o).to_owned()),
                    );
                    if controllers.is_empty() {
                        continue;
                    }
                    // A hierarchy mounted twice is one hierarchy. Keep the first mount, unless a
                    // later one shows the cgroup namespace's root (mountinfo root `/`): inside a
                    // cgroup namespace, a mount made outside it shows `/..` and would put
                    // groups outside the namespace.
                    if let Some(h) = all
                        .list
                        .iter_mut()
                        .find(|h| h.version == Version::V1 && h.controllers == controllers)
                    {
                        if h.mount_root != Path::new("/") && m.root == Path::new("/") {
                            h.mount_point = m.mount_point.clone();
                            h.mount_root = m.root.clone();
                        }
                        continue;
                    }
                    all.list.push(Hierarchy {
                        version: Version::V1,
                        controllers,
                        mount_point: m.mount_point.clone(),
                        mount_root: m.root.clone(),
                    });
                }
                "cgroup2" => {
                    let listed =
                        read(&m.mount_point.join("cgroup.controllers")).unwrap_or_default();
                    let names = listed.split_whitespace().map(str::to_owned).collect();
                    v2_controllers.push((m.mount_point.clone(), m.root.clone(), names));
                }
                _ => {}
            }
        }
        // The last cgroup2 mount wins, as in libcgroup, but one showing the cgroup namespace's
        // root first (see above); its controllers that a v1 hierarchy already carries stay v1.
        // Mounts at the namespace's root last, so that `unified()` picks one of them.
        let mut ordered: Vec<&(PathBuf, PathBuf, Vec<String>)> = v2_controllers.iter().collect();
        ordered.sort_by_key(|(_, root, _)| root == Path::new("/"));
        all.v2_mounts = ordered
            .into_iter()
            .map(|(point, _, _)| point.clone())
            .collect();
        let at_ns_root = v2_controllers
            .iter()
            .rposition(|(_, root, _)| root == Path::new("/"));
        let chosen = match at_ns_root {
            Some(i) => Some(v2_controllers.remove(i)),
            None => v2_controllers.pop(),
        };
        if let Some((mount_point, mount_root, names)) = chosen {
            let controllers: Vec<String> = names
                .into_iter()
                .filter(|c| !all.list.iter().any(|h| h.has(c)))
                .collect();
            if !controllers.is_empty() {
                all.list.push(Hierarchy {
                    version: Version::V2,
                    controllers,
                    mount_point,
                    mount_root,
                });
            }
        }
        all
    }

    /// Legacy, hybrid or unified.
    pub fn mode(&self) -> Option<Mode> {
        let v1 = self.list.iter().any(|h| h.version == Version::V1);
        match (v1, !self.v2_mounts.is_empty()) {
            (true, true) => Some(Mode::Hybrid),
            (true, false) => Some(Mode::Legacy),
            (false, true) => Some(Mode::Unified),
            (false, false) => None,
        }
    }

    /// The hierarchy that carries `controller`.
    pub fn for_controller(&self, controller: &str) -> Option<&Hierarchy> {
        self.list.iter().find(|h| h.has(controller))
    }

    /// The cgroup2 hierarchy even when it has no controllers (for `-g :path` groups).
    pub fn unified(&self) -> Option<Hierarchy> {
        if let Some(h) = self.list.iter().find(|h| h.version == Version::V2) {
            return Some(h.clone());
        }
        self.v2_mounts.last().map(|m| Hierarchy {
            version: Version::V2,
            controllers: Vec::new(),
            mount_point: m.clone(),
            mount_root: PathBuf::from("/"),
        })
    }

    /// The distinct hierarchies that carry `controllers`, each once (so `cpu,cpuacct` on a
    /// co-mounted host, or `memory,cpu` on v2, is one directory): the fix for libcgroup's
    /// `cgdelete -g memory,cpu:g` that skipped every controller after the first.
    pub fn for_controllers(
        &self,
        controllers: &[&str],
    ) -> std::result::Result<Vec<&Hierarchy>, String> {
        let mut out: Vec<&Hierarchy> = Vec::new();
        for c in controllers {
            let h = self.for_controller(c).ok_or_else(|| (*c).to_owned())?;
            if !out.iter().any(|o| std::ptr::eq(*o, h)) {
                out.push(h);
            }
        }
        Ok(out)
    }
}

/// A group's path relative to its hierarchy's root, checked: no `..` or `.` component, no
/// empty segment, no NUL; one leading `/` is dropped (`memory:/g` is `memory:g`, as
/// libcgroup reads it). The empty path is the root group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupPath(String);

impl GroupPath {
    /// Check `text`; the error says what is wrong with it.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let rel = text.strip_prefix('/').unwrap_or(text);
        if rel.contains('\0') {
            return Err(format!("group path '{text}' contains a NUL byte"));
        }
        let rel = rel.strip_suffix('/').unwrap_or(rel);
        if rel.is_empty() {
            return Ok(GroupPath(String::new()));
        }
        for segment in rel.split('/') {
            match segment {
                "" => return Err(format!("group path '{text}' has an empty component")),
                "." | ".." => {
                    return Err(format!(
                        "group path '{text}' leaves its hierarchy ('{segment}')"
                    ));
                }
                _ => {}
            }
        }
        Ok(GroupPath(rel.to_owned()))
    }

    /// The root group.
    pub fn root() -> Self {
        GroupPath(String::new())
    }

    /// The path without a leading `/` (empty for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root group.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The parent group, or `None` for the root.
    pub fn parent(&self) -> Option<GroupPath> {
        if self.is_root() {
            return None;
        }
        Some(GroupPath(
            self.0
                .rsplit_once('/')
                .map_or_else(String::new, |(p, _)| p.to_owned()),
        ))
    }

    /// A child group.
    pub fn join(&self, name: &str) -> GroupPath {
        if self.is_root() {
            GroupPath(name.to_owned())
        } else {
            GroupPath(format!("{}/{name}", self.0))
        }
    }
}

impl std::fmt::Display for GroupPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}", self.0)
    }
}

/// Who owns a group's files and with which modes (`cgcreate -a -t -d -f -s`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// Owner of the directory and its files.
    pub owner: Option<(u32, u32)>,
    /// Owner of the task files.
    pub task_owner: Option<(u32, u32)>,
    /// Mode of the directory.
    pub dir_mode: Option<u32>,
    /// Mode of the setting files.
    pub file_mode: Option<u32>,
    /// Mode of the task files.
    pub task_mode: Option<u32>,
}

/// One group in one hierarchy.
#[derive(Debug, Clone)]
pub struct Group<'h> {
    hierarchy: &'h Hierarchy,
    path: GroupPath,
    /// Settings are read whole, not cut where libcgroup cuts them ([`read`]).
    whole_files: bool,
}

impl<'h> Group<'h> {
    /// The group's directory.
    pub fn dir(&self) -> PathBuf {
        let dir = self.hierarchy.mount_point.join(self.path.as_str());
        debug_assert!(dir.components().all(|c| !matches!(c, Component::ParentDir)));
        dir
    }

    /// The hierarchy the group is in.
    pub fn hierarchy(&self) -> &'h Hierarchy {
        self.hierarchy
    }

    /// The group's path.
    pub fn path(&self) -> &GroupPath {
        &self.path
    }

    /// Whether the group exists.
    pub fn exists(&self) -> bool {
        self.dir().is_dir()
    }

    /// Create the group and any missing ancestors. On v2, first enable `controllers` in the
    /// `cgroup.subtree_control` of the root and of every ancestor, so that they show in the new
    /// group's `cgroup.controllers`. Returns the directories it made, deepest last, for
    /// [`Group::undo_create`]. An existing group is not an error (as in libcgroup). An
    /// ancestor that another process removes meanwhile (`cgdelete -r` of a parent) is made
    /// again: a failed step starts the chain again, for up to [`RACE_ROUNDS`] rounds
    /// (libcgroup failed with "operation not allowed").
    pub fn create(&self, controllers: &[&str]) -> Result<Vec<PathBuf>> {
        let mut made = Vec::new();
        let mut p = self.path.clone();
        let mut chain = Vec::new();
        while let Some(parent) = p.parent() {
            chain.push(p.clone());
            p = parent;
        }
        chain.reverse();
        let mut round = 0;
        'rounds: loop {
            round += 1;
            let mut parent = GroupPath::root();
            for group in &chain {
                let step = self.create_step(&parent, group, controllers, &mut made);
                if let Err(e) = step {
                    // Another process may have removed an ancestor, or removed and made it
                    // again without the controllers enabled yet (v2): such a failure is tried
                    // again from the top; a real one stays after the rounds, and any other
                    // failure (EACCES, EIO, ...) is reported at once.
                    if round < RACE_ROUNDS && removal_explains(&e) {
                        continue 'rounds;
                    }
                    let e = match e.errno() {
                        // Still missing after the rounds: libcgroup's words for it.
                        Some(sys::errno::ENOENT) => {
                            let dir = self.hierarchy.group(group).dir();
                            self.create_failure(
                                &dir,
                                &std::io::Error::from_raw_os_error(sys::errno::ENOENT),
                            )
                        }
                        _ => e,
                    };
                    Self::undo(&made);
                    return Err(e);
                }
                parent = group.clone();
            }
            return Ok(made);
        }
    }

    /// Make `group`, whose parent is `parent`: on v2, enable `controllers` in the parent first.
    fn create_step(
        &self,
        parent: &GroupPath,
        group: &GroupPath,
        controllers: &[&str],
        made: &mut Vec<PathBuf>,
    ) -> Result<()> {
        if self.hierarchy.version == Version::V2 {
            self.hierarchy
                .group(parent)
                .enable_reported(controllers, Reported::AfterCleanup)?;
        }
        let dir = self.hierarchy.group(group).dir();
        let created = sys::fault::point_io("cgroup.mkdir", sys::errno::EACCES)
            .and_then(|()| fs::create_dir(&dir));
        match created {
            Ok(()) => made.push(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            // A read-only cgroupfs still has the groups it has.
            Err(e) if e.raw_os_error() == Some(sys::errno::EROFS) && dir.is_dir() => {}
            // The parent is gone: [`Group::create`] decides whether to try again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Ecg::Other.with_errno(e));
            }
            Err(e) => return Err(self.create_failure(&dir, &e)),
        }
        Ok(())
    }

    /// A group directory `dir` that could not be made: libcgroup's code (not the owner for
    /// EPERM, else not allowed), and on v2 a directory the caller may not write says so. A
    /// path past PATH_MAX says "File name too long", as libcgroup 3.2.0's cgcreate does.
    fn create_failure(&self, dir: &Path, e: &std::io::Error) -> Error {
        let code = match e.raw_os_error() {
            Some(sys::errno::EPERM) => Ecg::NotOwner,
            Some(sys::errno::ENAMETOOLONG) => return Ecg::Other.with_errno(e),
            _ => Ecg::NotAllowed,
        };
        let explained = match self.hierarchy.version {
            Version::V2 => delegation::explain_create(dir),
            Version::V1 => None,
        };
        explained_after(code.error(), explained)
    }

    /// Remove directories [`Group::create`] made, deepest first.
    pub fn undo_create(made: &[PathBuf]) {
        Self::undo(made);
    }

    fn undo(made: &[PathBuf]) {
        for dir in made.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }

    /// `+controller` into this group's `cgroup.subtree_control` for each one not yet there.
    /// A refusal the group's state explains (see [`delegation`]) says why; otherwise as
    /// [`Group::write`] fails.
    pub fn enable(&self, controllers: &[&str]) -> Result<()> {
        self.enable_reported(controllers, Reported::Kernel)
    }

    /// [`Group::enable`], a refused write reported with the errno `reported` names.
    fn enable_reported(&self, controllers: &[&str], reported: Reported) -> Result<()> {
        let file = self.dir().join(SUBTREE_CONTROL);
        let current = sys::read_pseudo_text(&file).unwrap_or_default();
        for c in controllers {
            if current.split_whitespace().any(|e| e == *c) {
                continue;
            }
            self.write_setting(&file, SUBTREE_CONTROL, &format!("+{c}"), reported)?;
        }
        Ok(())
    }

    /// Write `value` into the setting file `file` (named `setting`). As libcgroup: a file it
    /// may not open is "not allowed" for EPERM, else "parameter does not exist"; a write the
    /// kernel refuses is the errno's (`reported`). A refused `cgroup.subtree_control` on v2
    /// says why after that when the group's state explains it (the status stays).
    fn write_setting(
        &self,
        file: &Path,
        setting: &str,
        value: &str,
        reported: Reported,
    ) -> Result<()> {
        write_control(file, value).map_err(|failure| {
            let errno = failure.errno();
            let fallback = match failure {
                WriteFailure::Open(_) if errno == sys::errno::EPERM => Ecg::NotAllowed.error(),
                WriteFailure::Open(_) => Ecg::ValueNotExist.error(),
                WriteFailure::Write(e) => match reported {
                    Reported::Kernel => Ecg::Other.with_errno(e),
                    Reported::AfterCleanup => Ecg::Other.with_errno(sys::Errno(sys::errno::ENOENT)),
                },
            };
            let explained = match self.hierarchy.version {
                Version::V2 if setting == SUBTREE_CONTROL => {
                    delegation::explain_subtree_control(self, value, errno)
                }
                _ => None,
            };
            explained_after(fallback, explained)
        })
    }

    /// Give the group's directory and files to `owner` (uid, gid), the task files
    /// (`tasks`, `cgroup.procs`, `cgroup.threads`) to `task_owner` when given; then apply the
    /// modes: `dir_mode` to the directory, `file_mode` and `task_mode` to the files, each
    /// masked as libcgroup does so that a file the kernel made read-only stays read-only.
    pub fn set_access(&self, access: &Access) -> Result<()> {
        let dir = self.dir();
        let fail = |e: rustix::io::Errno| Ecg::Other.with_errno(e);
        let ids = |o: (u32, u32)| {
            (
                Some(rustix::fs::Uid::from_raw(o.0)),
                Some(rustix::fs::Gid::from_raw(o.1)),
            )
        };
        if let Some(owner) = access.owner {
            let (u, g) = ids(owner);
            sys::fault::point("cgroup.chown", sys::errno::EPERM)
                .and_then(|()| rustix::fs::chown(&dir, u, g))
                .map_err(fail)?;
        }
        if let Some(mode) = access.dir_mode {
            sys::fault::point("cgroup.chmod", sys::errno::EPERM)
                .and_then(|()| rustix::fs::chmod(&dir, rustix::fs::Mode::from_raw_mode(mode)))
                .map_err(fail)?;
        }
        for entry in fs::read_dir(&dir)
            .map_err(|e| Ecg::Other.with_errno(e))?
            .flatten()
        {
            let path = entry.path();
            let name = entry.file_name();
            let is_task = matches!(
                name.to_str(),
                Some("tasks" | "cgroup.procs" | "cgroup.threads")
            );
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let owner = if is_task {
                access.task_owner.or(access.owner)
            } else {
                access.owner
            };
            if let Some(o) = owner {
                let (u, g) = ids(o);
                sys::fault::point("cgroup.chown", sys::errno::EPERM)
                    .and_then(|()| rustix::fs::chown(&path, u, g))
                    .map_err(fail)?;
            }
            let mode = if is_task {
                access.task_mode
            } else {
                access.file_mode
            };
            if let Some(mode) = mode {
                let current = entry
                    .metadata()
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()))
                    .unwrap_or(0o644);
                // The owner's bits decide what group and others may get.
                let owner_bits = (current >> 6) & 0o7;
                let mask = (owner_bits << 6) | (owner_bits << 3) | owner_bits;
                let new = mode & mask;
                sys::fault::point("cgroup.chmod", sys::errno::EPERM)
                    .and_then(|()| rustix::fs::chmod(&path, rustix::fs::Mode::from_raw_mode(new)))
                    .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Read a setting file, without its trailing newline. A missing file (or group) is
    /// libcgroup's "requested group parameter does not exist".
    pub fn read(&self, setting: &str) -> Result<String> {
        let file = self.setting_file(setting)?;
        match sys::read_pseudo_text(&file) {
            Ok(mut text) => {
                if text.ends_with('\n') {
                    text.pop();
                }
                Ok(text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Ecg::ValueNotExist.error()),
            Err(e) => Err(Ecg::Other.with_errno(e)),
        }
    }

    /// Write a setting. A value with a newline inside is refused (libcgroup splits it into
    /// several writes); the kernel's refusal comes back with its errno text.
    pub fn write(&self, setting: &str, value: &str) -> Result<()> {
        if value.trim_end_matches('\n').contains('\n') {
            return Err(Error::msg(format!("value of {setting} contains a newline"))
                .with_status(Ecg::Inval.status()));
        }
        let file = self.setting_file(setting)?;
        // A path past PATH_MAX says so, instead of calling the setting missing.
        match file.try_exists() {
            Ok(true) => {}
            Ok(false) => return Err(Ecg::ValueNotExist.error()),
            Err(e) => return Err(Ecg::Other.with_errno(e)),
        }
        self.write_setting(&file, setting, value, Reported::Kernel)
    }

    /// Write a setting given by its v1 or v2 name, translated for this group's hierarchy as
    /// `cgset` does ([`translate`]): one setting may become several writes.
    pub fn set(&self, setting: &str, value: &str) -> Result<()> {
        if !self.exists() {
            return Err(Ecg::ValueNotExist.error());
        }
        let version = self.hierarchy.version;
        for write in translate(setting, value, version, |name| self.read(name).ok())? {
            self.write(&write.name, &write.value)?;
        }
        Ok(())
    }

    fn setting_file(&self, setting: &str) -> Result<PathBuf> {
        if setting.is_empty() || setting.contains('/') || setting.starts_with('.') {
            return Err(Ecg::ValueNotExist.error());
        }
        Ok(self.dir().join(setting))
    }

    /// Move process `pid` (all its threads) into the group: `cgroup.procs`, or on v2
    /// `cgroup.threads` when the group is `threaded`. As libcgroup: a member file it may not
    /// open is "not the owner" for EPERM, "does not exist" for ENOENT, else "not allowed";
    /// a move the kernel refuses is the errno's. A refusal on v2 that the groups' state
    /// explains (see [`delegation`]) comes back as [`Error::Plain`] with the same status:
    /// libcgroup's message on its first line, the explanation on the next ones; the tools
    /// keep their own libcgroup line in front of the explanation.
    pub fn attach(&self, pid: u32) -> Result<()> {
        if !self.exists() {
            return Err(Ecg::GroupNotExist.error());
        }
        let task_file = self.task_file();
        write_control(&self.dir().join(task_file), &pid.to_string()).map_err(|failure| {
            let errno = failure.errno();
            let fallback = match failure {
                WriteFailure::Open(_) => match errno {
                    sys::errno::EPERM => Ecg::NotOwner.error(),
                    sys::errno::ENOENT => Ecg::GroupNotExist.error(),
                    _ => Ecg::NotAllowed.error(),
                },
                WriteFailure::Write(e) => Ecg::Other.with_errno(e),
            };
            let explained = match self.hierarchy.version {
                Version::V2 => delegation::explain_move(self, task_file, pid, errno),
                Version::V1 => None,
            };
            match explained {
                Some(why) => Error::Plain {
                    text: format!("{fallback}\n{why}"),
                    status: fallback.status(),
                },
                None => fallback,
            }
        })
    }

    /// Whether this is a v2 group of type `threaded`, whose `cgroup.procs` can be neither
    /// read nor written (EOPNOTSUPP): its members are threads, in `cgroup.threads`.
    fn is_threaded(&self) -> bool {
        self.hierarchy.version == Version::V2
            && sys::read_pseudo_text(&self.dir().join("cgroup.type"))
                .is_ok_and(|t| t.trim() == "threaded")
    }

    /// The file listing the group's members: `cgroup.threads` when threaded, else
    /// `cgroup.procs`.
    fn task_file(&self) -> &'static str {
        if self.is_threaded() {
            "cgroup.threads"
        } else {
            "cgroup.procs"
        }
    }

    /// The pids in the group (thread ids in a threaded group).
    pub fn procs(&self) -> Result<Vec<u32>> {
        let text = sys::read_pseudo_text(&self.dir().join(self.task_file()))
            .map_err(|e| Ecg::Other.with_errno(e))?;
        Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
    }

    /// The direct children, sorted by name.
    pub fn children(&self) -> Result<Vec<GroupPath>> {
        let mut out = Vec::new();
        let entries = fs::read_dir(self.dir()).map_err(|e| Ecg::Other.with_errno(e))?;
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(self.path.join(&entry.file_name().to_string_lossy()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Delete the group: its processes go to the parent first. With `recursive`, every
    /// descendant goes too, deepest first, all their processes to this group's parent.
    /// Without it, a group with children is refused as the kernel refuses it (EBUSY), before
    /// any process is moved. The root group cannot be deleted (recursively, its descendants
    /// are).
    pub fn delete(&self, recursive: bool) -> Result<()> {
        if !self.exists() {
            return Err(
                Ecg::Other.with_errno(std::io::Error::from_raw_os_error(sys::errno::ENOENT))
            );
        }
        if self.path.is_root() && !recursive {
            return Ok(());
        }
        let children = self.children()?;
        if !recursive && !children.is_empty() {
            return Err(Ecg::Other.with_errno(std::io::Error::from_raw_os_error(sys::errno::EBUSY)));
        }
        let target = self.path.parent().unwrap_or_else(GroupPath::root);
        let target = self.hierarchy.group(&target);
        for child in children {
            self.hierarchy.group(&child).delete_into(&target)?;
        }
        if self.path.is_root() {
            return Ok(());
        }
        self.delete_into(&target)
    }

    /// Remove this group and its descendants, their processes into `target`. Another
    /// process may work on the same tree meanwhile: a group it removed first (ENOENT, or
    /// ENODEV from a file of a group removed while open) is gone, which is what was asked,
    /// as in libcgroup; a child or process it added, or a process still exiting (EBUSY), is
    /// dealt with again until the group goes, for up to [`EXITING_GRACE`].
    fn delete_into(&self, target: &Group<'_>) -> Result<()> {
        match self.delete_once(target) {
            Err(e) if matches!(e.errno(), Some(sys::errno::ENOENT | sys::errno::ENODEV)) => Ok(()),
            other => other,
        }
    }

    fn delete_once(&self, target: &Group<'_>) -> Result<()> {
        // A threaded group's threads go one by one into the target's cgroup.threads (the
        // target is in the same threaded subtree); other groups' processes as a whole.
        let file = target.dir().join(self.task_file());
        let deadline = std::time::Instant::now() + EXITING_GRACE;
        loop {
            for child in self.children()? {
                self.hierarchy.group(&child).delete_into(target)?;
            }
            for pid in self.procs()? {
                match write_file(&file, &pid.to_string()) {
                    // The process ended meanwhile.
                    Err(e) if e.errno() == Some(sys::errno::ESRCH) => {}
                    other => other?,
                }
            }
            let removed = sys::fault::point_io("cgroup.rmdir", sys::errno::EBUSY)
                .and_then(|()| fs::remove_dir(self.dir()));
            match removed {
                Err(e)
                    if e.raw_os_error() == Some(sys::errno::EBUSY)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                done => return done.map_err(|e| Ecg::Other.with_errno(e)),
            }
        }
    }
}

/// How many times a step of [`Group::create`] that another process raced with (a parent
/// removed under `cgcreate`) is tried before its failure stands.
pub const RACE_ROUNDS: u32 = 10;

/// Whether the failed step `e` of [`Group::create`] is one that another process removing or
/// remaking an ancestor meanwhile explains: a directory or control file gone (ENOENT,
/// ENODEV, or a control file missing when opened), or on v2 a controller not enabled yet in
/// the remade parent (the kernel refuses `+controller` with ENOENT).
fn removal_explains(e: &Error) -> bool {
    matches!(e.errno(), Some(sys::errno::ENOENT | sys::errno::ENODEV))
        || e.status() == Ecg::ValueNotExist.status()
}

/// How long a group may stay busy after its processes were moved out: the kernel counts a
/// process that is exiting (a container's, SIGKILLed with its pid namespace a moment ago)
/// in its group until it is gone, cannot move it, and refuses the removal with EBUSY
/// meanwhile (a script that deletes its group right after a Ctrl-C met that); another
/// process may also be adding children or processes (`cgdelete -r` racing `cgcreate`).
const EXITING_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// The v2 file that enables controllers for a group's children.
const SUBTREE_CONTROL: &str = "cgroup.subtree_control";

/// How writing a control file failed: libcgroup tells a file it could not open apart from a
/// write the kernel refused.
/// Which errno a refused write into a group's file is reported with.
#[derive(Clone, Copy)]
enum Reported {
    /// The kernel's.
    Kernel,
    /// libcgroup 3.2.0's when creating a group: its clean-up of the half-made group runs
    /// before it reports, and what it reports is the clean-up's "No such file or directory"
    /// (scripts and libcgroup's own ftests look for that text).
    AfterCleanup,
}

/// `fallback` (libcgroup's message and status) with the explanation of the refusal, when
/// there is one, on the line after it: scripts that look for libcgroup's words keep
/// finding them.
fn explained_after(fallback: Error, explanation: Option<String>) -> Error {
    match explanation {
        Some(why) => Error::msg(format!("{fallback}\n{why}")).with_status(fallback.status()),
        None => fallback,
    }
}

enum WriteFailure {
    Open(std::io::Error),
    Write(std::io::Error),
}

impl WriteFailure {
    fn errno(&self) -> i32 {
        let (WriteFailure::Open(e) | WriteFailure::Write(e)) = self;
        sys::Errno::from(e).0
    }
}

fn write_control(file: &Path, value: &str) -> std::result::Result<(), WriteFailure> {
    // O_TRUNC changes nothing on cgroupfs, and makes a fake tree show the last write.
    let mut f = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(file)
        .map_err(WriteFailure::Open)?;
    sys::fault::point_io("cgroup.write", sys::errno::EINVAL)
        .and_then(|()| f.write_all(value.as_bytes()))
        .map_err(WriteFailure::Write)
}

fn write_file(file: &Path, value: &str) -> Result<()> {
    write_control(file, value)
        .map_err(|(WriteFailure::Open(e) | WriteFailure::Write(e))| Ecg::Other.with_errno(e))
}

#[cfg(test)]
mod tests;
