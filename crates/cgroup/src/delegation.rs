//! Why the kernel refused a cgroup v2 move or controller enable, in words a user can act on.
//!
//! An ordinary user works in a subtree delegated to them (its directory and its
//! `cgroup.procs`, `cgroup.subtree_control` and `cgroup.threads` chowned to them). The kernel
//! then applies three rules whose refusals come back as bare errnos:
//! - containment: moving a process needs write access to the `cgroup.procs` of the common
//!   ancestor of its source and destination groups (EACCES), and with `nsdelegate` that
//!   ancestor must be inside the caller's cgroup namespace (ENOENT);
//! - no internal processes: a non-root group that has processes cannot enable a controller
//!   for its children, and one that enables controllers for its children cannot take
//!   processes (EBUSY); a group with processes that enables a threaded controller (cpu) is
//!   the root of a threaded subtree and cannot enable a domain one (memory) (EOPNOTSUPP);
//! - a controller can only be enabled for the children of a group whose parent enabled it for
//!   that group, i.e. that lists it in `cgroup.controllers` (ENOENT).
//!
//! These functions run only after the kernel said no: they look at the groups involved and
//! name the file and the right the caller lacks, or the rule and the group. When the state
//! explains nothing, they return `None` and the caller keeps the kernel's errno.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::{Group, GroupPath};

/// The second line of a refused move: how a user gets a subtree of their own.
const MOVE_HINT: &str = "start the program inside a subtree delegated to you instead, \
     e.g. with `systemd-run --user --scope -p Delegate=yes ...`";

/// Why moving `pid` into `dest` (through its member file `task_file`) was refused with
/// `errno`.
pub(crate) fn explain_move(
    dest: &Group<'_>,
    task_file: &str,
    pid: u32,
    errno: i32,
) -> Option<String> {
    let dest_dir = dest.dir();
    let refused = format!("cannot move process {pid} to {}", dest_dir.display());
    if errno == sys::errno::EBUSY {
        let file = dest_dir.join("cgroup.subtree_control");
        let enabled = sys::read_pseudo_text(&file).ok()?;
        let enabled = enabled.trim();
        if enabled.is_empty() {
            return None;
        }
        return Some(format!(
            "{refused}: the group enables {enabled} for its children in {}, so it may hold no \
             processes (the no-internal-process rule); move the process into a child group",
            file.display()
        ));
    }
    if ![sys::errno::EACCES, sys::errno::EPERM, sys::errno::ENOENT].contains(&errno) {
        return None;
    }
    let dest_file = dest_dir.join(task_file);
    if let Some(lack) = lacked_write(&dest_file) {
        return Some(format!(
            "{refused}: writing {} needs write access, {lack}",
            dest_file.display()
        ));
    }
    let hierarchy = dest.hierarchy();
    let source = sys::target::cgroup2_path(pid).ok()??;
    // /proc shows a group outside the reader's cgroup namespace as `/..`.
    if source.starts_with("/..") {
        return Some(format!(
            "{refused}: the process is in {source}, outside your cgroup namespace, and a \
             move may not cross the namespace's boundary (nsdelegate)"
        ));
    }
    let source = within(&hierarchy.mount_root, &source)?;
    let ancestor = common_ancestor(&source, dest.path());
    let ancestor_file = hierarchy.group(&ancestor).dir().join("cgroup.procs");
    let lack = lacked_write(&ancestor_file)?;
    Some(format!(
        "{refused}: moving it from {} needs write access to {} (their common ancestor's), \
         {lack}\n{MOVE_HINT}",
        hierarchy.group(&source).dir().display(),
        ancestor_file.display()
    ))
}

/// Why writing `value` (`+memory -cpu ...`) into `group`'s `cgroup.subtree_control` was
/// refused with `errno`.
pub(crate) fn explain_subtree_control(
    group: &Group<'_>,
    value: &str,
    errno: i32,
) -> Option<String> {
    let dir = group.dir();
    let file = dir.join("cgroup.subtree_control");
    let enabling: Vec<&str> = value
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('+'))
        .collect();
    let first = enabling.first()?;
    let refused = format!(
        "cannot enable {first} for the children of {}",
        dir.display()
    );
    match errno {
        sys::errno::EACCES | sys::errno::EPERM => {
            let lack = lacked_write(&file)?;
            Some(format!(
                "{refused}: writing {} needs write access, {lack}",
                file.display()
            ))
        }
        sys::errno::EBUSY => {
            let members = group.procs().ok()?;
            if group.path().is_root() || members.is_empty() {
                return None;
            }
            Some(format!(
                "{refused}: the group has processes ({} in {}), and a group that passes \
                 controllers to its children may hold none (the no-internal-process rule); \
                 move them into a child group first",
                members.len(),
                dir.join("cgroup.procs").display()
            ))
        }
        // A group with processes that passes a threaded controller (cpu, pids, ...) to its
        // children is the root of a threaded subtree, where a domain controller (memory,
        // io) cannot be enabled: libcgroup's doc/systemd example runs into it in a scope.
        sys::errno::ENOTSUP => {
            let members = group.procs().ok()?;
            let kind = sys::read_pseudo_text(&dir.join("cgroup.type")).ok()?;
            let passed = sys::read_pseudo_text(&file).ok()?;
            if members.is_empty() || kind.trim() != "domain threaded" {
                return None;
            }
            Some(format!(
                "{refused}: the group has processes ({} in {}) and passes {} to its children, \
                 which makes it the root of a threaded subtree (cgroup.type \"domain \
                 threaded\"), where {first} cannot be enabled (the no-internal-process rule); \
                 move the processes into a child group first",
                members.len(),
                dir.join("cgroup.procs").display(),
                passed.trim()
            ))
        }
        sys::errno::ENOENT => {
            let available = sys::read_pseudo_text(&dir.join("cgroup.controllers")).ok()?;
            let missing = enabling
                .iter()
                .find(|c| !available.split_whitespace().any(|a| a == **c))?;
            let parent = group.path().parent()?;
            let parent_dir = group.hierarchy().group(&parent).dir();
            Some(format!(
                "cannot enable {missing} for the children of {}: it is not in {}, because the \
                 parent group has not delegated it (not enabled in {})",
                dir.display(),
                dir.join("cgroup.controllers").display(),
                parent_dir.join("cgroup.subtree_control").display()
            ))
        }
        _ => None,
    }
}

/// Why the group directory `dir` could not be made: its parent directory is not writable.
pub(crate) fn explain_create(dir: &Path) -> Option<String> {
    let parent = dir.parent()?;
    let lack = lacked_write(parent)?;
    Some(format!(
        "cannot create {}: it needs write access to {}, {lack}",
        dir.display(),
        parent.display()
    ))
}

/// `which uid U lacks (owner O, mode M)` when this process may not write `file`, else `None`.
fn lacked_write(file: &Path) -> Option<String> {
    let allowed = rustix::fs::accessat(
        rustix::fs::CWD,
        file,
        rustix::fs::Access::WRITE_OK,
        rustix::fs::AtFlags::EACCESS,
    );
    if allowed.is_ok() {
        return None;
    }
    let meta = std::fs::metadata(file).ok()?;
    let (uid, _) = sys::user::effective_ids();
    let owner = sys::user::user_name(meta.uid()).unwrap_or_else(|| meta.uid().to_string());
    Some(format!(
        "which uid {uid} lacks (owner {owner}, mode {:04o})",
        meta.mode() & 0o7777
    ))
}

/// `path` (a `/proc/PID/cgroup` path, from the cgroup namespace's root) as a group of the
/// hierarchy mounted from `mount_root`; `None` when it lies outside.
fn within(mount_root: &Path, path: &str) -> Option<GroupPath> {
    let rel = Path::new(path).strip_prefix(mount_root).ok()?;
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    GroupPath::parse(rel.to_str()?).ok()
}

/// The deepest group that contains both `a` and `b`.
fn common_ancestor(a: &GroupPath, b: &GroupPath) -> GroupPath {
    let mut ancestor = GroupPath::root();
    for (x, y) in a.as_str().split('/').zip(b.as_str().split('/')) {
        if x != y || x.is_empty() {
            break;
        }
        ancestor = ancestor.join(x);
    }
    ancestor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> GroupPath {
        GroupPath::parse(text).unwrap()
    }

    #[test]
    fn common_ancestors() {
        assert_eq!(common_ancestor(&path("a/b/c"), &path("a/b/d")), path("a/b"));
        assert_eq!(common_ancestor(&path("a/b"), &path("a/bc")), path("a"));
        assert_eq!(common_ancestor(&path("x"), &path("a/b")), GroupPath::root());
        assert_eq!(
            common_ancestor(&GroupPath::root(), &path("a")),
            GroupPath::root()
        );
        assert_eq!(common_ancestor(&path("a/b"), &path("a/b/c")), path("a/b"));
    }

    #[test]
    fn paths_within_a_mount() {
        assert_eq!(within(Path::new("/"), "/a/b"), Some(path("a/b")));
        assert_eq!(within(Path::new("/"), "/"), Some(GroupPath::root()));
        assert_eq!(within(Path::new("/a"), "/a/b"), Some(path("b")));
        assert_eq!(within(Path::new("/a"), "/c"), None);
        assert_eq!(within(Path::new("/"), "/../x"), None);
    }
}
