//! `ovlmount diff`: what an upper layer changes relative to its lowers.
//!
//! The upper directory is walked once, without following symlinks. Each of its entries is
//! classified against the lower stack as the overlay would see it:
//!
//! - a whiteout (a 0/0 character device, or an empty regular file with the
//!   `overlay.whiteout` xattr) is [`Change::Deleted`] when a lower has the name; a whiteout
//!   over nothing hides nothing and is not listed. The kernel honours an xattr whiteout only
//!   in a directory marked for them (`overlay.opaque` = `x`, or `overlay.whiteouts` on 6.7);
//!   this walk does not ask for the mark, because an empty file with that xattr means nothing
//!   else;
//! - an opaque directory (`overlay.opaque` = `y`) is [`Change::Opaque`]: it replaces the
//!   lower directory, whose entries are not listed one by one; what the upper has under it is
//!   [`Change::Added`]. Over nothing (no lower has the name) it hides nothing and is just
//!   [`Change::Added`];
//! - a regular file with `overlay.metacopy` is [`Change::MetadataOnly`];
//! - a directory with `overlay.redirect` (a renamed directory) is [`Change::Added`] at its
//!   new name, and its entries are compared with the lower directory it was renamed from;
//! - a directory present in a lower too is merged: it is not listed itself unless its mode or
//!   owner differ from the lower one's ([`Change::Modified`]); its entries are compared in turn;
//! - anything else is [`Change::Modified`] when a lower has the name and [`Change::Added`]
//!   when none does.
//!
//! The lower stack is read as the kernel reads it: top-down, a lower whiteout hiding the name
//! in the lowers below it, and a lower opaque directory hiding the directories below it.
//! Redirects inside lower layers are not followed. Both xattr namespaces are recognised:
//! `trusted.overlay.*` (the default) and `user.overlay.*` (the `userxattr` mount option);
//! reading `trusted.*` needs `CAP_SYS_ADMIN`, without it those marks are invisible.
//!
//! With no lowers known (an upper layer whose mount is gone, given without `--lower`), the
//! copy-up mark stands in for them: overlayfs records `overlay.origin` (a file handle of the
//! lower inode, or an empty value when the lower file system cannot make one) on every
//! directory it copies up, and on every other file it copies up that has one link or is
//! indexed (`index=on`); with `userxattr` not on symlinks and special files, which take no
//! `user.*` xattrs. An entry with the mark is [`Change::Modified`], one without it
//! [`Change::Added`], a copied-up directory included (its owner and mode cannot be compared
//! with the lower one's). Whiteouts are [`Change::Deleted`] (kind [`FileKind::Other`]),
//! opaque directories [`Change::Opaque`] (a mount with `index`, `metacopy`, `redirect_dir` or
//! `xino=on` makes every new directory in a merged one opaque) and metacopy files
//! [`Change::MetadataOnly`]. When lowers are known they decide, and the mark is not read: a
//! file renamed in the overlay keeps the origin of its old name, and one deleted and made
//! anew has none.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Component, Path, PathBuf};

use sys::{Errno, Error, Result};
use table::{ColumnSpec, DataType, Table};

/// What the upper layer does to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Present in the upper layer only (with no lowers known: not copied up from one).
    Added,
    /// Present in the upper layer and in a lower one: the upper copy hides the lower (with no
    /// lowers known: copied up from one).
    Modified,
    /// A metacopy: new metadata, the data still comes from the lower file.
    MetadataOnly,
    /// Whited out.
    Deleted,
    /// An opaque directory: it replaces the lower directory of that name.
    Opaque,
}

impl Change {
    /// The one-letter code of the text output.
    pub fn code(self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::MetadataOnly => 'm',
            Change::Deleted => 'D',
            Change::Opaque => 'O',
        }
    }

    /// The word of the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "modified",
            Change::MetadataOnly => "metadata-only",
            Change::Deleted => "deleted",
            Change::Opaque => "opaque",
        }
    }
}

/// What kind of file an entry is: the upper one, or for a deletion the lower one it hides
/// ([`FileKind::Other`] when no lowers are known).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else: a device, fifo or socket; or unknown.
    Other,
}

impl FileKind {
    fn of(meta: &std::fs::Metadata) -> FileKind {
        let t = meta.file_type();
        if t.is_file() {
            FileKind::File
        } else if t.is_dir() {
            FileKind::Dir
        } else if t.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::Other
        }
    }

    /// The word of the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Dir => "dir",
            FileKind::Symlink => "symlink",
            FileKind::Other => "other",
        }
    }
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The path relative to the layer root, starting with `/`.
    pub path: PathBuf,
    /// What the upper layer does to it.
    pub change: Change,
    /// What it is.
    pub kind: FileKind,
}

/// The two namespaces overlayfs may keep its marks in.
const PREFIXES: [&str; 2] = ["trusted.overlay.", "user.overlay."];

use sys::errno::ENOTDIR;

/// The changes `upper` makes to `lowers` (top-most first; empty when unknown), sorted by
/// path component by component (a directory just before its contents). `upper` must be a
/// directory; errors read `upper layer PATH: Not a directory`, `cannot open directory PATH`,
/// `cannot stat PATH`, or name the extended attribute that could not be read.
pub fn diff(upper: &Path, lowers: &[PathBuf]) -> Result<Vec<Entry>> {
    let meta = std::fs::metadata(upper)
        .map_err(|e| Error::os(format!("upper layer {}", upper.display()), &e))?;
    if !meta.is_dir() {
        return Err(Error::os(
            format!("upper layer {}", upper.display()),
            Errno(ENOTDIR),
        ));
    }
    let walk = Walk { upper, lowers };
    let mut out = Vec::new();
    // Depth first with an explicit stack: a layer can be deeper than the thread's stack.
    let mut stack = vec![Dir {
        rel: PathBuf::new(),
        lower_rel: PathBuf::new(),
        live: (0..lowers.len()).collect(),
    }];
    while let Some(dir) = stack.pop() {
        walk.dir(&dir, &mut out, &mut stack)?;
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A directory of the upper layer still to be read.
struct Dir {
    /// Its path relative to the upper root (empty for the root).
    rel: PathBuf,
    /// The path of its lower directories relative to the lower roots: the same as `rel`
    /// unless it or a parent was renamed (redirected).
    lower_rel: PathBuf,
    /// The lowers (indexes, top-most first) whose directory of that path shows through.
    live: Vec<usize>,
}

struct Walk<'a> {
    upper: &'a Path,
    lowers: &'a [PathBuf],
}

/// What a lower layer has at a path.
enum Lower {
    Missing,
    Whiteout,
    Found(std::fs::Metadata),
}

impl Walk<'_> {
    fn dir(&self, dir: &Dir, out: &mut Vec<Entry>, stack: &mut Vec<Dir>) -> Result<()> {
        let path = self.upper.join(&dir.rel);
        let entries = std::fs::read_dir(&path)
            .map_err(|e| Error::os(format!("cannot open directory {}", path.display()), &e))?;
        for entry in entries {
            let entry = entry
                .map_err(|e| Error::os(format!("cannot read directory {}", path.display()), &e))?;
            let name = entry.file_name();
            let full = path.join(&name);
            let meta = lstat(&full)?;
            let rel = dir.rel.join(&name);
            let lower_rel = dir.lower_rel.join(&name);
            let mut push = |change, kind| {
                out.push(Entry {
                    path: Path::new("/").join(&rel),
                    change,
                    kind,
                })
            };
            if is_whiteout(&full, &meta)? {
                let kind = match self.lookup(&dir.live, &lower_rel)? {
                    Some(lower) => FileKind::of(&lower),
                    None if self.lowers.is_empty() => FileKind::Other,
                    // Over nothing it hides nothing.
                    None => continue,
                };
                push(Change::Deleted, kind);
                continue;
            }
            let lower = self.lookup(&dir.live, &lower_rel)?;
            let kind = FileKind::of(&meta);
            if meta.is_dir() {
                let (live, lower_rel) = if mark(&full, "opaque")?.as_deref() == Some(b"y") {
                    // Over nothing it hides nothing: then it is just a new directory.
                    let known = !self.lowers.is_empty();
                    push(
                        if known && lower.is_none() {
                            Change::Added
                        } else {
                            Change::Opaque
                        },
                        kind,
                    );
                    (Vec::new(), lower_rel)
                } else if let Some(target) = mark(&full, "redirect")? {
                    push(Change::Added, kind);
                    self.redirected(&dir.live, &dir.lower_rel, &target)?
                } else {
                    match &lower {
                        Some(l) if l.is_dir() => {
                            if (l.mode(), l.uid(), l.gid()) != (meta.mode(), meta.uid(), meta.gid())
                            {
                                push(Change::Modified, kind);
                            }
                            (self.descend(&dir.live, &lower_rel)?, lower_rel)
                        }
                        Some(_) => {
                            push(Change::Modified, kind);
                            (Vec::new(), lower_rel)
                        }
                        None => {
                            push(self.without_lower(&full)?, kind);
                            (Vec::new(), lower_rel)
                        }
                    }
                };
                stack.push(Dir {
                    rel,
                    lower_rel,
                    live,
                });
            } else if meta.is_file() && mark(&full, "metacopy")?.is_some() {
                push(Change::MetadataOnly, kind);
            } else if lower.is_some() {
                push(Change::Modified, kind);
            } else {
                push(self.without_lower(&full)?, kind);
            }
        }
        Ok(())
    }

    /// The change an upper entry that no known lower has makes: with lowers known it is new;
    /// with none known, the kernel's copy-up mark tells whether it came from a lower.
    fn without_lower(&self, path: &Path) -> Result<Change> {
        if self.lowers.is_empty() && mark(path, "origin")?.is_some() {
            Ok(Change::Modified)
        } else {
            Ok(Change::Added)
        }
    }

    /// What lower layer `i` has at `rel`.
    fn lower(&self, i: usize, rel: &Path) -> Result<Lower> {
        let Some(root) = self.lowers.get(i) else {
            return Ok(Lower::Missing);
        };
        let path = root.join(rel);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if is_whiteout(&path, &meta)? => Ok(Lower::Whiteout),
            Ok(meta) => Ok(Lower::Found(meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Lower::Missing),
            Err(e) if e.raw_os_error() == Some(ENOTDIR) => Ok(Lower::Missing),
            Err(e) => Err(Error::os(format!("cannot stat {}", path.display()), &e)),
        }
    }

    /// The lower entry that shows through at `rel`, looking in the `live` lowers top-down.
    fn lookup(&self, live: &[usize], rel: &Path) -> Result<Option<std::fs::Metadata>> {
        for &i in live {
            match self.lower(i, rel)? {
                Lower::Missing => {}
                Lower::Whiteout => return Ok(None),
                Lower::Found(meta) => return Ok(Some(meta)),
            }
        }
        Ok(None)
    }

    /// The lowers whose directory `rel` shows through, given those of its parent: a lower
    /// whiteout, non-directory or opaque directory hides every lower below it.
    fn descend(&self, live: &[usize], rel: &Path) -> Result<Vec<usize>> {
        let mut next = Vec::new();
        for &i in live {
            match self.lower(i, rel)? {
                Lower::Missing => {}
                Lower::Whiteout => break,
                Lower::Found(meta) if meta.is_dir() => {
                    next.push(i);
                    let opaque = match self.lowers.get(i) {
                        Some(root) => mark(&root.join(rel), "opaque")?.as_deref() == Some(b"y"),
                        None => false,
                    };
                    if opaque {
                        break;
                    }
                }
                Lower::Found(_) => break,
            }
        }
        Ok(next)
    }

    /// The lowers of a renamed directory and its path in them: `target` is its old path from
    /// the overlay root (absolute) or its old name in the same parent (relative).
    fn redirected(
        &self,
        parent_live: &[usize],
        parent: &Path,
        target: &[u8],
    ) -> Result<(Vec<usize>, PathBuf)> {
        let target = Path::new(OsStr::from_bytes(target));
        let (mut live, mut rel) = if target.is_absolute() {
            ((0..self.lowers.len()).collect(), PathBuf::new())
        } else {
            (parent_live.to_vec(), parent.to_path_buf())
        };
        for component in target.components() {
            // Anything but plain names (`..`) is no path the kernel wrote: ignore it.
            if let Component::Normal(name) = component {
                rel.push(name);
                live = self.descend(&live, &rel)?;
            }
        }
        Ok((live, rel))
    }
}

fn lstat(path: &Path) -> Result<std::fs::Metadata> {
    std::fs::symlink_metadata(path)
        .map_err(|e| Error::os(format!("cannot stat {}", path.display()), &e))
}

/// A 0/0 character device, or an empty regular file marked `overlay.whiteout`.
fn is_whiteout(path: &Path, meta: &std::fs::Metadata) -> Result<bool> {
    let t = meta.file_type();
    if t.is_char_device() {
        return Ok(meta.rdev() == 0);
    }
    if t.is_file() && meta.len() == 0 {
        return Ok(mark(path, "whiteout")?.is_some());
    }
    Ok(false)
}

/// The value of overlay xattr `name` in either namespace.
fn mark(path: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    for prefix in PREFIXES {
        if let Some(value) = sys::xattr::get(path, &format!("{prefix}{name}"))? {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// Print `entries`: one `CODE PATH` line each (see [`Change::code`]), or with `json` a
/// libsmartcols-style `{"changes": [{"path": …, "change": …, "kind": …}]}`.
///
/// In the text form control characters, backslashes and bytes that are not UTF-8 are written
/// `\xHH`, so a line is always one path. In JSON a byte that is not UTF-8 is written as the
/// character U+00HH, which is what the escape `\u00HH` would mean: the output stays valid
/// UTF-8 and JSON, and a reader can map such characters back to bytes.
pub fn print(entries: &[Entry], json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        return table(entries).print(out);
    }
    let mut text = Vec::new();
    for e in entries {
        text.push(e.change.code() as u8);
        text.push(b' ');
        escape_text(e.path.as_os_str().as_bytes(), &mut text);
        text.push(b'\n');
    }
    out.write_all(&text)
}

fn table(entries: &[Entry]) -> Table {
    let mut t = Table::new("changes");
    let spec = |name: &str| ColumnSpec::plain(name, DataType::String);
    let path = t.add_column(spec("PATH"));
    let change = t.add_column(spec("CHANGE"));
    let kind = t.add_column(spec("KIND"));
    t.set_json(true);
    for e in entries {
        let line = t.add_line(None);
        t.set(line, path, latin1_fallback(e.path.as_os_str().as_bytes()));
        t.set(line, change, e.change.name());
        t.set(line, kind, e.kind.name());
    }
    t
}

/// `s` with every byte that is not part of valid UTF-8 turned into the character U+00HH.
fn latin1_fallback(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for chunk in s.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| char::from(b)));
    }
    out
}

fn escape_text(s: &[u8], out: &mut Vec<u8>) {
    fn hex(b: u8, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
    }
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            let mut buf = [0; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            if c.is_control() || c == '\\' {
                bytes.iter().for_each(|&b| hex(b, out));
            } else {
                out.extend_from_slice(bytes);
            }
        }
        chunk.invalid().iter().for_each(|&b| hex(b, out));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// A fresh directory under the temp dir, removed when dropped (also when a test fails).
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let dir =
                std::env::temp_dir().join(format!("ovlmount-diff-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            TempDir(dir)
        }

        /// Create `rel` (a directory when it ends in `/`, else a file holding `data`) and
        /// its parents.
        fn make(&self, rel: &str, data: &str) -> PathBuf {
            let path = self.0.join(rel);
            let dir = if rel.ends_with('/') {
                path.as_path()
            } else {
                path.parent().unwrap_or(&self.0)
            };
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            if !rel.ends_with('/') {
                std::fs::write(&path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            path
        }

        fn whiteout(&self, rel: &str) {
            let path = self.0.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
            }
            let ok = Command::new("mknod")
                .arg(&path)
                .args(["c", "0", "0"])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "mknod {} c 0 0 failed (needs root)", path.display());
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn set(path: &Path, name: &str, value: &[u8]) {
        sys::xattr::set(path, name, value).unwrap_or_else(|e| panic!("{e}"));
    }

    /// `diff` as `(path, code, kind)` triples, for comparing with a literal list.
    fn run(upper: &Path, lowers: &[PathBuf]) -> Vec<(String, char, &'static str)> {
        diff(upper, lowers)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|e| (e.path.display().to_string(), e.change.code(), e.kind.name()))
            .collect()
    }

    fn want(list: &[(&str, char, &'static str)]) -> Vec<(String, char, &'static str)> {
        list.iter().map(|&(p, c, k)| (p.to_owned(), c, k)).collect()
    }

    #[test]
    fn added_modified_deleted() {
        let t = TempDir::new("amd");
        for f in ["l/etc/passwd", "l/etc/gone", "l/keep", "l/etc/sub/x"] {
            t.make(f, "old");
        }
        t.make("u/etc/passwd", "new");
        t.make("u/etc/new", "new");
        t.make("u/etc/sub/", "");
        t.whiteout("u/etc/gone");
        t.whiteout("u/never");
        t.make("u/newdir/y", "");
        std::os::unix::fs::symlink("passwd", t.0.join("u/etc/link"))
            .unwrap_or_else(|e| panic!("{e}"));
        // A merged directory whose mode changed is listed; one that only holds changes not.
        let lsub = t.0.join("l/etc/sub");
        let usub = t.0.join("u/etc/sub");
        let mode = std::fs::metadata(&lsub).map(|m| m.mode()).unwrap_or(0);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            &usub,
            std::fs::Permissions::from_mode((mode ^ 0o070) & 0o7777),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        // The whiteout over nothing (/never) hides nothing: not listed.
        let got = run(&t.0.join("u"), &[t.0.join("l")]);
        assert_eq!(
            got,
            want(&[
                ("/etc/gone", 'D', "file"),
                ("/etc/link", 'A', "symlink"),
                ("/etc/new", 'A', "file"),
                ("/etc/passwd", 'M', "file"),
                ("/etc/sub", 'M', "dir"),
                ("/newdir", 'A', "dir"),
                ("/newdir/y", 'A', "file"),
            ])
        );
        // Without lowers and without copy-up marks: everything there is added, merged
        // directories included, and every whiteout is a deletion.
        let got = run(&t.0.join("u"), &[]);
        assert_eq!(
            got,
            want(&[
                ("/etc", 'A', "dir"),
                ("/etc/gone", 'D', "other"),
                ("/etc/link", 'A', "symlink"),
                ("/etc/new", 'A', "file"),
                ("/etc/passwd", 'A', "file"),
                ("/etc/sub", 'A', "dir"),
                ("/never", 'D', "other"),
                ("/newdir", 'A', "dir"),
                ("/newdir/y", 'A', "file"),
            ])
        );
    }

    #[test]
    fn xattr_whiteout_user_namespace() {
        let t = TempDir::new("xwh");
        t.make("l/a/gone", "old");
        t.make("l/a/kept", "old");
        let wh = t.make("u/a/gone", "");
        let empty = t.make("u/a/kept", "");
        let dir = t.0.join("u/a");
        match sys::xattr::set(&wh, "user.overlay.whiteout", b"") {
            Ok(()) => {}
            Err(e) if e.errno() == Some(95) => {
                eprintln!("skipped: no user.* xattrs under {}: {e}", t.0.display());
                return;
            }
            Err(e) => panic!("{e}"),
        }
        set(&dir, "user.overlay.opaque", b"x");
        // Another xattr on an empty file does not make it a whiteout.
        set(&empty, "user.other", b"1");
        let got = run(&t.0.join("u"), &[t.0.join("l")]);
        assert_eq!(
            got,
            want(&[("/a/gone", 'D', "file"), ("/a/kept", 'M', "file")])
        );
    }

    #[test]
    fn trusted_marks_opaque_metacopy_redirect() {
        let t = TempDir::new("trusted");
        for f in [
            "l/var/cache/a",
            "l/var/cache/b",
            "l/bin/x",
            "l/old/f",
            "l/old/g",
        ] {
            t.make(f, "old");
        }
        let cache = t.make("u/var/cache/", "");
        t.make("u/var/cache/a", "new");
        t.make("u/var/cache/c", "new");
        let fresh = t.make("u/fresh/", "");
        let x = t.make("u/bin/x", "");
        let new = t.make("u/new/", "");
        t.make("u/new/f", "new");
        t.make("u/new/h", "new");
        t.whiteout("u/old");
        set(&cache, "trusted.overlay.opaque", b"y");
        set(&fresh, "trusted.overlay.opaque", b"y");
        set(&x, "trusted.overlay.metacopy", b"");
        set(&new, "trusted.overlay.redirect", b"/old");
        // Bookkeeping xattrs change nothing.
        set(&t.0.join("u/var"), "trusted.overlay.origin", b"\x00\xfb");
        let got = run(&t.0.join("u"), &[t.0.join("l")]);
        assert_eq!(
            got,
            want(&[
                ("/bin/x", 'm', "file"),
                ("/fresh", 'A', "dir"),
                ("/new", 'A', "dir"),
                ("/new/f", 'M', "file"),
                ("/new/h", 'A', "file"),
                ("/old", 'D', "dir"),
                ("/var/cache", 'O', "dir"),
                ("/var/cache/a", 'A', "file"),
                ("/var/cache/c", 'A', "file"),
            ])
        );
        let got = run(&t.0.join("u"), &[]);
        assert!(
            got.contains(&("/var/cache".to_owned(), 'O', "dir")),
            "{got:?}"
        );
        assert!(got.contains(&("/fresh".to_owned(), 'O', "dir")), "{got:?}");
        assert!(got.contains(&("/bin/x".to_owned(), 'm', "file")), "{got:?}");
    }

    #[test]
    fn origin_marks_without_lowers() {
        let t = TempDir::new("origin");
        for f in ["l/etc/passwd", "l/etc/old", "l/re"] {
            t.make(f, "old");
        }
        // As the kernel leaves them: copied-up /etc and /etc/passwd with a file handle,
        // /etc/moved renamed from /etc/old (its origin is the old name's), /re deleted and
        // made anew (no origin), /etc/new created. The user.* namespace with an empty value
        // is what a mount in a user namespace records.
        let etc = t.make("u/etc/", "");
        let passwd = t.make("u/etc/passwd", "new");
        let moved = t.make("u/etc/moved", "old");
        t.make("u/etc/new", "new");
        t.make("u/re", "new");
        t.whiteout("u/etc/old");
        set(&etc, "trusted.overlay.origin", b"\x00\xfb\x1d\x01");
        set(&passwd, "trusted.overlay.origin", b"\x00\xfb\x1d\x01");
        match sys::xattr::set(&moved, "user.overlay.origin", b"") {
            Ok(()) => {}
            Err(e) if e.errno() == Some(95) => {
                eprintln!("skipped: no user.* xattrs under {}: {e}", t.0.display());
                return;
            }
            Err(e) => panic!("{e}"),
        }
        let got = run(&t.0.join("u"), &[]);
        assert_eq!(
            got,
            want(&[
                ("/etc", 'M', "dir"),
                ("/etc/moved", 'M', "file"),
                ("/etc/new", 'A', "file"),
                ("/etc/old", 'D', "other"),
                ("/etc/passwd", 'M', "file"),
                ("/re", 'A', "file"),
            ])
        );
        // The lowers given win over the marks: /etc/moved is new at its name, /re replaces a
        // lower file, /etc is merged with an unchanged owner and mode.
        let got = run(&t.0.join("u"), &[t.0.join("l")]);
        assert_eq!(
            got,
            want(&[
                ("/etc/moved", 'A', "file"),
                ("/etc/new", 'A', "file"),
                ("/etc/old", 'D', "file"),
                ("/etc/passwd", 'M', "file"),
                ("/re", 'M', "file"),
            ])
        );
    }

    #[test]
    fn lower_stack_whiteouts_and_opaque_dirs() {
        let t = TempDir::new("stack");
        // l1 is the top lower: its whiteout and opaque directory hide what l2 has.
        t.whiteout("l1/f");
        t.make("l2/f", "");
        let d = t.make("l1/d/", "");
        set(&d, "trusted.overlay.opaque", b"y");
        t.make("l2/d/x", "");
        t.make("l2/d/y", "");
        t.make("l1/d/y", "");
        t.make("l2/only2", "");
        t.make("u/f", "");
        t.make("u/d/x", "");
        t.make("u/d/y", "");
        t.make("u/only2", "");
        let got = run(&t.0.join("u"), &[t.0.join("l1"), t.0.join("l2")]);
        assert_eq!(
            got,
            want(&[
                ("/d/x", 'A', "file"),
                ("/d/y", 'M', "file"),
                ("/f", 'A', "file"),
                ("/only2", 'M', "file"),
            ])
        );
    }

    #[test]
    fn not_a_directory() {
        let t = TempDir::new("notdir");
        let f = t.make("file", "");
        let e = diff(&f, &[]).err().map(|e| e.to_string());
        assert_eq!(
            e,
            Some(format!("upper layer {}: Not a directory", f.display()))
        );
        let missing = t.0.join("missing");
        let e = diff(&missing, &[]).err().map(|e| e.to_string());
        assert_eq!(
            e,
            Some(format!(
                "upper layer {}: No such file or directory",
                missing.display()
            ))
        );
    }

    fn entry(path: &[u8], change: Change, kind: FileKind) -> Entry {
        Entry {
            path: PathBuf::from(OsStr::from_bytes(path)),
            change,
            kind,
        }
    }

    #[test]
    fn print_text_and_json() {
        let entries = [
            entry(b"/etc/new", Change::Added, FileKind::File),
            entry(b"/etc/passwd", Change::Modified, FileKind::File),
            entry(b"/usr/bin/x", Change::MetadataOnly, FileKind::File),
            entry(b"/etc/gone", Change::Deleted, FileKind::Other),
            entry(b"/var/cache", Change::Opaque, FileKind::Dir),
            entry(b"/odd\n\\\xff\xc3\xa9\"", Change::Added, FileKind::Symlink),
        ];
        let mut out = Vec::new();
        assert!(print(&entries, false, &mut out).is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            "A /etc/new\nM /etc/passwd\nm /usr/bin/x\nD /etc/gone\nO /var/cache\n\
             A /odd\\x0a\\x5c\\xff\u{e9}\"\n"
        );
        let mut out = Vec::new();
        assert!(print(&entries[3..], true, &mut out).is_ok());
        assert_eq!(
            String::from_utf8(out).ok().as_deref(),
            Some(
                "{\n   \"changes\": [\n      {\n         \"path\": \"/etc/gone\",\n         \
                 \"change\": \"deleted\",\n         \"kind\": \"other\"\n      },{\n         \
                 \"path\": \"/var/cache\",\n         \"change\": \"opaque\",\n         \
                 \"kind\": \"dir\"\n      },{\n         \"path\": \"/odd\\n\\\\\u{ff}\u{e9}\\\"\",\n         \
                 \"change\": \"added\",\n         \"kind\": \"symlink\"\n      }\n   ]\n}\n"
            )
        );
    }
}
