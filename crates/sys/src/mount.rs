//! Mounts: propagation, proc and binfmt_misc, bind mounts, and `/proc/self/mountinfo`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};

use crate::error::{Context, Error, Result};

/// The propagation to apply recursively to `/` of a new mount namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// No events in either direction (util-linux's default).
    Private,
    /// Receive events from the parent namespace, send none.
    Slave,
    /// Send and receive.
    Shared,
    /// Leave whatever the new namespace inherited.
    Unchanged,
}

impl Propagation {
    /// Parse `private`, `slave`, `shared` or `unchanged`.
    pub fn parse(arg: &str) -> Result<Self> {
        match arg {
            "private" => Ok(Propagation::Private),
            "slave" => Ok(Propagation::Slave),
            "shared" => Ok(Propagation::Shared),
            "unchanged" => Ok(Propagation::Unchanged),
            _ => Err(Error::msg(format!("unsupported propagation mode: {arg}"))),
        }
    }

    fn flags(self) -> Option<MountPropagationFlags> {
        match self {
            Propagation::Private => Some(MountPropagationFlags::PRIVATE),
            Propagation::Slave => Some(MountPropagationFlags::DOWNSTREAM),
            Propagation::Shared => Some(MountPropagationFlags::SHARED),
            Propagation::Unchanged => None,
        }
    }
}

/// Apply `prop` recursively to `/`. Errors read `cannot change root filesystem propagation`.
pub fn set_root_propagation(prop: Propagation) -> Result<()> {
    let Some(flags) = prop.flags() else {
        return Ok(());
    };
    rustix::mount::mount_change("/", flags | MountPropagationFlags::REC)
        .context(|| "cannot change root filesystem propagation".to_owned())
}

/// Make `dir` and the mounts below it private. Not being a mount point (EINVAL) is fine:
/// then there is nothing of its own to propagate.
pub fn make_private(dir: &Path) -> Result<()> {
    let flags = MountPropagationFlags::PRIVATE | MountPropagationFlags::REC;
    match rustix::mount::mount_change(dir, flags) {
        Ok(()) | Err(rustix::io::Errno::INVAL) => Ok(()),
        Err(e) => Err(Error::os(
            format!("cannot change {} filesystem propagation", dir.display()),
            e,
        )),
    }
}

/// Mount a new proc at `dir`, `nosuid,nodev,noexec`. Errors read `mount DIR failed`.
pub fn mount_proc(dir: &Path) -> Result<()> {
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    rustix::mount::mount("proc", dir, "proc", flags, None)
        .context(|| format!("mount {} failed", dir.display()))
}

/// Mount binfmt_misc at `dir`, `nosuid,nodev,noexec`.
pub fn mount_binfmt(dir: &Path) -> Result<()> {
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    rustix::mount::mount("binfmt_misc", dir, "binfmt_misc", flags, None)
        .context(|| format!("mount {} failed", dir.display()))
}

/// Register an interpreter: write `rule` to `<dir>/register`.
pub fn binfmt_register(dir: &Path, rule: &[u8]) -> Result<()> {
    use std::io::Write;
    let reg = dir.join("register");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&reg)
        .context(|| format!("cannot open {}/register", dir.display()))?;
    f.write_all(rule)
        .context(|| format!("write failed {}/register", dir.display()))
}

/// Bind-mount `src` on `dst`. Errors read `mount SRC on DST failed`.
pub fn bind(src: &Path, dst: &Path) -> Result<()> {
    rustix::mount::mount_bind(src, dst)
        .context(|| format!("mount {} on {} failed", src.display(), dst.display()))
}

/// Make `new_root` the root of this mount namespace and move the old root to `put_old`
/// (pivot_root(2); the working directory and root of this process are left as they are).
/// Errors read ``failed to change root from `NEW' to `OLD'`` as util-linux's.
pub fn pivot_root(new_root: &Path, put_old: &Path) -> Result<()> {
    rustix::process::pivot_root(new_root, put_old).map_err(|e| {
        Error::os(
            format!(
                "failed to change root from `{}' to `{}'",
                new_root.display(),
                put_old.display()
            ),
            e,
        )
    })
}

/// Detach the mount at `target` (lazy unmount), as clean-up after a failure.
pub fn detach(target: &Path) -> Result<()> {
    rustix::mount::unmount(target, UnmountFlags::DETACH)
        .context(|| format!("umount {} failed", target.display()))
}

/// One line of `/proc/<pid>/mountinfo`, with its paths unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// Mount id.
    pub id: u32,
    /// Parent mount id.
    pub parent: u32,
    /// The root of the mount within its filesystem.
    pub root: PathBuf,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// Per-mount options (`rw,nosuid,...`).
    pub options: String,
    /// Optional fields (`shared:N`, `master:N`, ...).
    pub optional: Vec<String>,
    /// Filesystem type.
    pub fstype: String,
    /// Mount source.
    pub source: OsString,
    /// Superblock options.
    pub super_options: String,
}

impl MountInfo {
    /// Whether the mount sends propagation events to peers (`shared:N`).
    pub fn is_shared(&self) -> bool {
        self.optional.iter().any(|o| o.starts_with("shared:"))
    }

    /// Parse one line; `None` for a malformed one.
    pub fn parse(line: &[u8]) -> Option<MountInfo> {
        let mut fields = line.split(|b| *b == b' ');
        let num = |f: Option<&[u8]>| std::str::from_utf8(f?).ok()?.parse().ok();
        let text = |f: &[u8]| String::from_utf8_lossy(f).into_owned();
        let id = num(fields.next())?;
        let parent = num(fields.next())?;
        fields.next()?; // major:minor
        let root = PathBuf::from(OsString::from_vec(unescape(fields.next()?)));
        let mount_point = PathBuf::from(OsString::from_vec(unescape(fields.next()?)));
        let options = text(fields.next()?);
        let mut optional = Vec::new();
        loop {
            let f = fields.next()?;
            if f == b"-" {
                break;
            }
            optional.push(text(f));
        }
        let fstype = text(&unescape(fields.next()?));
        let source = OsString::from_vec(unescape(fields.next()?));
        let super_options = text(fields.next().unwrap_or_default());
        Some(MountInfo {
            id,
            parent,
            root,
            mount_point,
            options,
            optional,
            fstype,
            source,
            super_options,
        })
    }
}

/// The mount table of `/proc/self/mountinfo`.
pub fn mountinfo() -> Result<Vec<MountInfo>> {
    let path = "/proc/self/mountinfo";
    let bytes =
        crate::read_pseudo_file(Path::new(path)).context(|| format!("cannot open {path}"))?;
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter_map(MountInfo::parse)
        .collect())
}

/// The mount that holds `path` (the last-mounted one with the longest matching mount point).
pub fn mount_of(table: &[MountInfo], path: &Path) -> Option<MountInfo> {
    table
        .iter()
        .filter(|m| path.starts_with(&m.mount_point))
        .max_by_key(|m| m.mount_point.as_os_str().as_bytes().len())
        .cloned()
}

/// Undo the kernel's octal escapes (`\040` for a space, `\134` for a backslash, ...).
pub fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let oct = field
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (field[i], oct) {
            (b'\\', Some(d)) => {
                out.push(
                    d.iter()
                        .fold(0u8, |v, b| v.wrapping_mul(8).wrapping_add(b - b'0')),
                );
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_unescapes_mountinfo() {
        let line =
            b"162 161 0:4 net:[4026532475] /tmp/a\\040b/net rw shared:2 master:1 - nsfs nsfs rw";
        let m = MountInfo::parse(line).unwrap();
        assert_eq!(m.mount_point, Path::new("/tmp/a b/net"));
        assert_eq!(m.root, Path::new("net:[4026532475]"));
        assert_eq!(m.optional, ["shared:2", "master:1"]);
        assert!(m.is_shared());
        assert_eq!(m.fstype, "nsfs");
        assert_eq!(unescape(b"a\\134b\\011"), b"a\\b\t");
        assert_eq!(unescape(b"trailing\\04"), b"trailing\\04");
    }

    #[test]
    fn propagation_modes() {
        assert_eq!(Propagation::parse("slave").ok(), Some(Propagation::Slave));
        assert_eq!(
            Propagation::parse("sideways").unwrap_err().to_string(),
            "unsupported propagation mode: sideways"
        );
    }
}
