//! OCI image layers in and out: `ovlmount import LAYER DIR` unpacks a layer tar (plain, gzip
//! or zstd) as an overlay lower layer, and `ovlmount diff --oci` writes an upper layer's
//! changes as a layer tar.
//!
//! The two whiteout forms map onto each other:
//!
//! | OCI layer | overlay layer, as root | overlay layer, unprivileged |
//! |---|---|---|
//! | `DIR/.wh.NAME` | `DIR/NAME`, a 0/0 character device | `DIR/NAME`, an empty file with `user.overlay.whiteout`; `DIR` gets `user.overlay.opaque=x` |
//! | `DIR/.wh..wh..opq` | `DIR` with `trusted.overlay.opaque=y` | `DIR` with `user.overlay.opaque=y` |
//!
//! Import is all or nothing: the layer is unpacked into a fresh directory next to DIR
//! (`.NAME.import-PID` in DIR's parent, mode 0700, so nobody else can change it under us),
//! which is renamed onto DIR when the whole archive is in; on any refusal it is removed and
//! DIR is untouched. Parents are checked one by one with `lstat` in that private directory
//! (a careful walk rather than `openat2(RESOLVE_BENEATH)`: nobody else can change the
//! directory, and the walk also names the entry it refuses), so an entry can neither name a
//! path outside it (`..` is refused, a leading `/` names the layer's root) nor go through a
//! symbolic link the layer made.
//!
//! Digests are those of the OCI image specification: the layer's `digest` is the sha256 of
//! the blob as stored (compressed), its `diff_id` the sha256 of the uncompressed tar.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sys::layerfs::{self, Node};
use sys::{Error, Result};

use crate::diff::{self, Change};

/// The prefix of a whiteout's name in an OCI layer.
const WHITEOUT: &str = ".wh.";
/// The name that makes its directory opaque in an OCI layer.
const OPAQUE: &str = ".wh..wh..opq";
/// overlayfs' own attributes: a layer that carries them could redirect or hide lower files,
/// so import refuses them and export leaves them out.
const OVERLAY_XATTRS: [&str; 2] = ["trusted.overlay.", "user.overlay."];
/// The PAX records of extended attributes.
const PAX_XATTR: &str = "SCHILY.xattr.";

/// The two digests of a layer, as `sha256:HEX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// The sha256 of the blob as stored (compressed or not): a manifest's `digest`.
    pub digest: String,
    /// The sha256 of the uncompressed tar: the image config's `rootfs.diff_ids`.
    pub diff_id: String,
}

fn hex(hasher: Sha256) -> String {
    let mut out = String::from("sha256:");
    for b in hasher.finalize() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// A reader or writer that hashes and counts what goes through it.
struct Hashing<'h, T> {
    inner: T,
    hasher: &'h mut Sha256,
    len: &'h mut u64,
}

impl<T: Read> Read for Hashing<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let done = buf.get(..n).unwrap_or_default();
        self.hasher.update(done);
        *self.len += n as u64;
        Ok(n)
    }
}

impl<T: Write> Write for Hashing<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        *self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The layer's compression, told by its first bytes.
enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(flate2::bufread::MultiGzDecoder<R>),
    Zstd(Box<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>),
}

impl<R: BufRead> Decoder<R> {
    fn new(mut blob: R) -> Result<Decoder<R>> {
        let magic = blob
            .fill_buf()
            .map_err(|e| Error::os("cannot read the layer", &e))?;
        if magic.starts_with(&[0x1f, 0x8b]) {
            Ok(Decoder::Gzip(flate2::bufread::MultiGzDecoder::new(blob)))
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            ruzstd::decoding::StreamingDecoder::new(blob)
                .map(|d| Decoder::Zstd(Box::new(d)))
                .map_err(|e| Error::msg(format!("the layer is not valid zstd: {e}")))
        } else {
            Ok(Decoder::Plain(blob))
        }
    }

    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.into_inner(),
        }
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        }
    }
}

/// A compressed layer's tar, completed with the zeros a writer may have left out after its
/// last entry (the padding of its data and the two end blocks): the compressed stream ended
/// cleanly, its own framing (gzip's length and CRC, zstd's frame) shows nothing is missing,
/// and umoci 0.4.7 writes such layers.
struct Completed<R> {
    inner: R,
    /// Bytes read from `inner`.
    len: u64,
    /// Whether to add the zeros (a compressed layer) or not (a plain tar, whose end blocks
    /// are the only proof of its end).
    complete: bool,
    /// Zeros still to give once `inner` has ended.
    zeros: Option<u64>,
}

impl<R: Read> Read for Completed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.zeros.is_none() {
            let n = self.inner.read(buf)?;
            if n > 0 || buf.is_empty() {
                self.len += n as u64;
                return Ok(n);
            }
            self.zeros = Some(if self.complete {
                self.len.next_multiple_of(512) - self.len + 1024
            } else {
                0
            });
        }
        let left = self.zeros.unwrap_or(0);
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        buf.iter_mut().take(n).for_each(|b| *b = 0);
        self.zeros = Some(left - n as u64);
        Ok(n)
    }
}

/// `layer entry PATH`, what an error about one entry starts with.
fn entry_name(path: &[u8]) -> String {
    format!(
        "layer entry {}",
        Path::new(OsStr::from_bytes(path)).display()
    )
}

/// An entry refused: `layer entry PATH: WHY`.
fn refused(path: &[u8], why: impl std::fmt::Display) -> Error {
    Error::msg(format!("{}: {why}", entry_name(path)))
}

/// The layer as read, noting when it ends: the tar and decompression code report a short
/// archive in many words, and a failure after the end of the input is a truncated archive.
struct Input<'a> {
    inner: Box<dyn Read + 'a>,
    ended: &'a Cell<bool>,
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.set(true);
        }
        Ok(n)
    }
}

/// A read error of the archive: the system's, one after the end of the input (a truncated
/// archive), or what the tar or decompression code found wrong.
fn read_error(e: &io::Error, ended: &Cell<bool>) -> Error {
    if e.raw_os_error().is_some() {
        Error::os("cannot read the layer", e)
    } else if ended.get() || e.kind() == io::ErrorKind::UnexpectedEof {
        Error::msg("truncated archive")
    } else {
        // The tar code's messages may quote the header's bytes, newlines and all: one line,
        // printable, at most 100 characters of it.
        let text = e.to_string();
        let first = text.lines().next().unwrap_or_default();
        let shown: String = first
            .chars()
            .take(100)
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        Error::msg(format!("damaged archive: {shown}"))
    }
}

/// `ovlmount import`: unpack `layer` (a file, or stdin for `-`) into `dir`, which must not
/// exist or be an empty directory. Returns the layer's digests.
pub fn import(layer: &Path, dir: &Path) -> Result<Digests> {
    let input: Box<dyn Read> = if layer == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(
            File::open(layer)
                .map_err(|e| Error::os(format!("cannot open {}", layer.display()), &e))?,
        )
    };
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            return Err(Error::msg(format!("{} is not empty", dir.display())));
        }
    } else if std::fs::symlink_metadata(dir).is_ok() {
        return Err(Error::msg(format!("{} is not a directory", dir.display())));
    }
    let mut staging = Staging::new(dir)?;
    let digests = unpack(input, &staging.path)?;
    staging.rename_to(dir)?;
    Ok(digests)
}

/// The private directory a layer is unpacked into, removed unless renamed into place.
struct Staging {
    path: PathBuf,
    placed: bool,
}

impl Staging {
    fn new(dir: &Path) -> Result<Staging> {
        let name = dir
            .file_name()
            .ok_or_else(|| Error::msg(format!("{}: not a directory name", dir.display())))?;
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut staged = OsStr::new(".").to_os_string();
        staged.push(name);
        staged.push(format!(".import-{}", std::process::id()));
        let path = parent.join(staged);
        std::fs::create_dir(&path)
            .map_err(|e| Error::os(format!("cannot create {}", path.display()), &e))?;
        let staging = Staging {
            path,
            placed: false,
        };
        set_mode(&staging.path, 0o700)?;
        Ok(staging)
    }

    /// Put the whole layer in place at once (over `dir` when that is an empty directory).
    fn rename_to(&mut self, dir: &Path) -> Result<()> {
        std::fs::rename(&self.path, dir).map_err(|e| {
            Error::os(
                format!("cannot rename {} to {}", self.path.display(), dir.display()),
                &e,
            )
        })?;
        self.placed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.placed {
            return;
        }
        // A layer's read-only directories would stop an unprivileged remove: open them first.
        let mut stack = vec![self.path.clone()];
        while let Some(d) = stack.pop() {
            let _ = std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700));
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push(entry.path());
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::os(format!("cannot change the mode of {}", path.display()), &e))
}

/// Read the whole blob through both hashes and unpack it into `root`.
fn unpack(input: Box<dyn Read>, root: &Path) -> Result<Digests> {
    let ended = Cell::new(false);
    let input = Input {
        inner: input,
        ended: &ended,
    };
    let (mut blob_hash, mut blob_len) = (Sha256::new(), 0);
    let (mut tar_hash, mut tar_len) = (Sha256::new(), 0);
    {
        let blob = BufReader::new(Hashing {
            inner: input,
            hasher: &mut blob_hash,
            len: &mut blob_len,
        });
        let decoder = Decoder::new(blob)?;
        let compressed = !matches!(decoder, Decoder::Plain(_));
        let decoded = Completed {
            inner: Hashing {
                inner: decoder,
                hasher: &mut tar_hash,
                len: &mut tar_len,
            },
            len: 0,
            complete: compressed,
            zeros: None,
        };
        let mut archive = tar::Archive::new(decoded);
        let mut unpacker = Unpacker::new(root, &ended);
        let end = unpacker.entries(&mut archive)?;
        let mut rest = archive.into_inner();
        io::copy(&mut rest, &mut io::sink()).map_err(|e| read_error(&e, &ended))?;
        // Two zero blocks end a tar: a plain one that stops before them was cut short.
        if !compressed && *rest.inner.len < end + 1024 {
            return Err(Error::msg("truncated archive (no end-of-archive blocks)"));
        }
        let mut blob = rest.inner.inner.into_inner();
        io::copy(&mut blob, &mut io::sink()).map_err(|e| read_error(&e, &ended))?;
        unpacker.finish()?;
    }
    Ok(Digests {
        digest: hex(blob_hash),
        diff_id: hex(tar_hash),
    })
}

/// A directory's mode, owner and times, set once everything is in it (its times would change
/// with each new entry, and a read-only mode would stop an unprivileged unpack).
struct DirMeta {
    mode: u32,
    mtime: (i64, u32),
}

struct Unpacker<'a> {
    root: &'a Path,
    /// Whether the input has ended (see [`Input`]).
    ended: &'a Cell<bool>,
    privileged: bool,
    /// Directories of the layer, by path relative to the root, with their final metadata.
    dirs: BTreeMap<PathBuf, DirMeta>,
    /// Directories holding unprivileged (xattr) whiteouts.
    whiteout_dirs: HashSet<PathBuf>,
    /// Directories made opaque.
    opaque_dirs: HashSet<PathBuf>,
}

/// The metadata a tar entry carries, its PAX records applied.
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: (i64, u32),
    xattrs: Vec<(String, Vec<u8>)>,
}

impl<'a> Unpacker<'a> {
    fn new(root: &'a Path, ended: &'a Cell<bool>) -> Unpacker<'a> {
        Unpacker {
            root,
            ended,
            privileged: layerfs::is_host_root(),
            dirs: BTreeMap::new(),
            whiteout_dirs: HashSet::new(),
            opaque_dirs: HashSet::new(),
        }
    }

    /// Unpack every entry; returns where the last one's data ends in the tar stream.
    fn entries<R: Read>(&mut self, archive: &mut tar::Archive<R>) -> Result<u64> {
        let mut end = 0;
        let ended = self.ended;
        let read_error = |e: io::Error| read_error(&e, ended);
        for entry in archive.entries().map_err(read_error)? {
            let mut entry = entry.map_err(read_error)?;
            end = entry.raw_file_position() + entry.size().div_ceil(512) * 512;
            let raw = entry.path_bytes().into_owned();
            if entry.header().entry_type() == tar::EntryType::XGlobalHeader {
                continue;
            }
            let rel = relative(&raw)?;
            let meta = meta_of(&mut entry, &raw, self.ended)?;
            self.entry(&mut entry, &raw, &rel, meta)?;
        }
        Ok(end)
    }

    /// Check that every parent of `rel` is a directory of the layer (not a symlink), making
    /// missing ones (mode 0755, as other unpackers do).
    fn parents(&mut self, raw: &[u8], rel: &Path) -> Result<()> {
        let mut at = PathBuf::new();
        let Some(parent) = rel.parent() else {
            return Ok(());
        };
        for part in parent.components() {
            at.push(part);
            let path = self.root.join(&at);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(refused(
                        raw,
                        format_args!("goes through the symbolic link {}", at.display()),
                    ));
                }
                Ok(_) => {
                    return Err(refused(
                        raw,
                        format_args!("{} is not a directory", at.display()),
                    ));
                }
                Err(_) => {
                    make_dir(&path)?;
                    self.dirs.insert(
                        at.clone(),
                        DirMeta {
                            mode: 0o755,
                            mtime: (0, 0),
                        },
                    );
                }
            }
        }
        Ok(())
    }

    fn entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        raw: &[u8],
        rel: &Path,
        meta: Meta,
    ) -> Result<()> {
        let kind = entry.header().entry_type();
        if rel.as_os_str().is_empty() {
            // `./`: the layer's root directory itself.
            if kind.is_dir() {
                self.dirs.insert(
                    PathBuf::new(),
                    DirMeta {
                        mode: meta.mode,
                        mtime: meta.mtime,
                    },
                );
                return self.owner_and_xattrs(self.root, raw, &meta);
            }
            return Err(refused(raw, "the layer's root is not a directory"));
        }
        self.parents(raw, rel)?;
        let name = rel.file_name().map(OsStr::as_bytes).unwrap_or_default();
        let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        if name == OPAQUE.as_bytes() {
            return self.opaque(&parent).map_err(|e| e.context(entry_name(raw)));
        }
        if let Some(hidden) = name.strip_prefix(WHITEOUT.as_bytes()) {
            return self.whiteout(raw, &parent.join(OsStr::from_bytes(hidden)));
        }
        let path = self.root.join(rel);
        let existing = std::fs::symlink_metadata(&path).ok();
        // A later entry replaces an earlier one, except that a directory stays a directory.
        if let Some(old) = &existing {
            if !(old.is_dir() && kind.is_dir()) {
                if old.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                }
                .map_err(|e| Error::os(format!("cannot replace {}", path.display()), &e))?;
                self.dirs.retain(|d, _| !d.starts_with(rel));
            }
        }
        match kind {
            tar::EntryType::Directory => {
                if !existing.as_ref().is_some_and(|m| m.is_dir()) {
                    make_dir(&path)?;
                }
                self.dirs.insert(
                    rel.to_path_buf(),
                    DirMeta {
                        mode: meta.mode,
                        mtime: meta.mtime,
                    },
                );
                return self.owner_and_xattrs(&path, raw, &meta);
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut file = File::options()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| Error::os(format!("cannot create {}", path.display()), &e))?;
                let copied = io::copy(entry, &mut file).map_err(|e| read_error(&e, self.ended))?;
                if copied != entry.size() {
                    return Err(Error::msg("truncated archive"));
                }
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| refused(raw, "a symbolic link without a target"))?;
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path)
                    .map_err(|e| Error::os(format!("cannot create {}", path.display()), &e))?;
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| refused(raw, "a hard link without a target"))?;
                let target_rel = relative(&target).map_err(|_| {
                    refused(
                        raw,
                        format_args!(
                            "a hard link to {}, outside the layer",
                            Path::new(OsStr::from_bytes(&target)).display()
                        ),
                    )
                })?;
                self.parents(raw, &target_rel)?;
                let source = self.root.join(&target_rel);
                match std::fs::symlink_metadata(&source) {
                    Ok(m) if !m.is_dir() => {}
                    _ => {
                        return Err(refused(
                            raw,
                            format_args!(
                                "a hard link to {}, which is not a file of the layer",
                                target_rel.display()
                            ),
                        ));
                    }
                }
                // The link shares its target's inode, mode and owner.
                return std::fs::hard_link(&source, &path)
                    .map_err(|e| Error::os(format!("cannot link {}", path.display()), &e));
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let (major, minor) = (device_number(entry, true), device_number(entry, false));
                let node = match kind {
                    tar::EntryType::Fifo => Node::Fifo,
                    tar::EntryType::Char => Node::Char(major, minor),
                    _ => Node::Block(major, minor),
                };
                if node != Node::Fifo && !self.privileged {
                    return Err(refused(raw, "a device node, which only root can make"));
                }
                layerfs::mknod(&path, node, 0o600)?;
            }
            other => {
                return Err(refused(
                    raw,
                    format_args!(
                        "an entry of type {:?}, which a layer does not hold",
                        other.as_byte() as char
                    ),
                ));
            }
        }
        self.owner_and_xattrs(&path, raw, &meta)?;
        if kind != tar::EntryType::Symlink {
            set_mode(&path, meta.mode)?;
        }
        layerfs::set_times(&path, meta.mtime.0, meta.mtime.1)
    }

    fn owner_and_xattrs(&self, path: &Path, raw: &[u8], meta: &Meta) -> Result<()> {
        if self.privileged {
            layerfs::lchown(path, meta.uid, meta.gid)?;
        }
        for (name, value) in &meta.xattrs {
            if OVERLAY_XATTRS.iter().any(|p| name.starts_with(p)) {
                return Err(refused(
                    raw,
                    format_args!("carries overlayfs' own extended attribute {name}"),
                ));
            }
            // Unprivileged, trusted.* and most of security.* are not ours to set.
            sys::xattr::set(path, name, value).map_err(|e| e.context(entry_name(raw)))?;
        }
        Ok(())
    }

    /// `.wh..wh..opq`: the directory hides what lower layers have in it.
    fn opaque(&mut self, dir: &Path) -> Result<()> {
        self.opaque_dirs.insert(dir.to_path_buf());
        sys::xattr::set(&self.root.join(dir), &self.mark("opaque"), b"y")
    }

    /// `.wh.NAME`: `rel` hides the lower layers' file of that name. A file of the same
    /// layer is not hidden (the OCI rule), so an existing entry stays.
    fn whiteout(&mut self, raw: &[u8], rel: &Path) -> Result<()> {
        let path = self.root.join(rel);
        if std::fs::symlink_metadata(&path).is_ok() {
            return Ok(());
        }
        if self.privileged {
            return layerfs::mknod(&path, Node::Char(0, 0), 0);
        }
        if !sys::target::kernel_at_least(6, 8) {
            return Err(refused(
                raw,
                "a whiteout, which an unprivileged overlay honours from Linux 6.8 \
                 (user.overlay.whiteout); import as root",
            ));
        }
        File::create_new(&path)
            .map_err(|e| Error::os(format!("cannot create {}", path.display()), &e))?;
        sys::xattr::set(&path, "user.overlay.whiteout", b"")
            .map_err(|e| e.context(entry_name(raw)))?;
        if let Some(parent) = rel.parent() {
            self.whiteout_dirs.insert(parent.to_path_buf());
        }
        Ok(())
    }

    /// `trusted.overlay.NAME` as root, else `user.overlay.NAME`.
    fn mark(&self, name: &str) -> String {
        let prefix = if self.privileged { "trusted" } else { "user" };
        format!("{prefix}.overlay.{name}")
    }

    /// Mark the directories that hold xattr whiteouts, then give every directory its
    /// mode and times, deepest first.
    fn finish(self) -> Result<()> {
        for dir in &self.whiteout_dirs {
            if !self.opaque_dirs.contains(dir) {
                // overlayfs looks for xattr whiteouts only in directories marked so.
                sys::xattr::set(&self.root.join(dir), "user.overlay.opaque", b"x")?;
            }
        }
        let root_meta = DirMeta {
            mode: 0o755,
            mtime: (0, 0),
        };
        if !self.dirs.contains_key(Path::new("")) {
            set_mode(self.root, root_meta.mode)?;
        }
        for (rel, meta) in self.dirs.iter().rev() {
            let path = self.root.join(rel);
            set_mode(&path, meta.mode)?;
            layerfs::set_times(&path, meta.mtime.0, meta.mtime.1)?;
        }
        Ok(())
    }
}

fn make_dir(path: &Path) -> Result<()> {
    std::fs::create_dir(path)
        .map_err(|e| Error::os(format!("cannot create {}", path.display()), &e))?;
    // Writable for us until [`Unpacker::finish`] gives it the layer's mode.
    set_mode(path, 0o700)
}

fn device_number<R: Read>(entry: &tar::Entry<'_, R>, major: bool) -> u32 {
    let header = entry.header();
    let n = if major {
        header.device_major()
    } else {
        header.device_minor()
    };
    n.ok().flatten().unwrap_or(0)
}

/// An entry's path relative to the layer root: `./`, empty parts and a leading `/` dropped
/// (a layer's paths are its image's: umoci names the root `/`, and GNU tar and containerd
/// read `/etc` as `etc`); `..` refused.
fn relative(raw: &[u8]) -> Result<PathBuf> {
    let mut rel = PathBuf::new();
    for part in raw.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(refused(raw, "leaves the layer (..)")),
            name => rel.push(OsStr::from_bytes(name)),
        }
    }
    Ok(rel)
}

/// An entry's mode, owner, time and xattrs: the header's, overridden by PAX records.
fn meta_of<R: Read>(entry: &mut tar::Entry<'_, R>, raw: &[u8], ended: &Cell<bool>) -> Result<Meta> {
    let header = entry.header();
    let bad = |what: &str| refused(raw, format_args!("a bad {what} in its header"));
    let mut meta = Meta {
        mode: header.mode().map_err(|_| bad("mode"))? & 0o7777,
        uid: header
            .uid()
            .ok()
            .and_then(|u| u32::try_from(u).ok())
            .ok_or_else(|| bad("owner"))?,
        gid: header
            .gid()
            .ok()
            .and_then(|g| u32::try_from(g).ok())
            .ok_or_else(|| bad("group"))?,
        mtime: (
            header
                .mtime()
                .ok()
                .and_then(|t| i64::try_from(t).ok())
                .ok_or_else(|| bad("time"))?,
            0,
        ),
        xattrs: Vec::new(),
    };
    let Some(pax) = entry.pax_extensions().map_err(|e| read_error(&e, ended))? else {
        return Ok(meta);
    };
    for record in pax {
        let record = record.map_err(|_| bad("PAX record"))?;
        let key = record.key().map_err(|_| bad("PAX record"))?;
        let text = || record.value().ok();
        match key {
            "uid" => {
                meta.uid = text()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad("owner"))?
            }
            "gid" => {
                meta.gid = text()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad("group"))?
            }
            "mtime" => meta.mtime = text().and_then(pax_time).ok_or_else(|| bad("time"))?,
            _ => {
                if let Some(name) = key.strip_prefix(PAX_XATTR) {
                    meta.xattrs
                        .push((name.to_owned(), record.value_bytes().to_vec()));
                }
            }
        }
    }
    Ok(meta)
}

/// A PAX time, `SECONDS[.FRACTION]`. The fraction is digits only: anything else is a damaged
/// header (and cutting it at nine bytes could split a multi-byte character).
fn pax_time(text: &str) -> Option<(i64, u32)> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = String::from(frac);
    nanos.truncate(9);
    while nanos.len() < 9 {
        nanos.push('0');
    }
    Some((secs.parse().ok()?, nanos.parse().ok()?))
}

/// `ovlmount diff --oci`: write the changes of `upper` as an OCI layer tar to `out`; files'
/// data and metadata come from `merged` when the overlay is mounted there (a metacopy file's
/// data is in a lower layer), else from `upper`. With `lowers` known (the mount's, or
/// `--lower`), a whiteout of a name no lower has is left out: it hides nothing. Returns the
/// diff_id.
pub fn export(
    upper: &Path,
    lowers: &[PathBuf],
    merged: Option<&Path>,
    out: &mut dyn Write,
) -> Result<String> {
    // Read without lowers, every upper entry is listed (a directory copied up keeps its
    // times in the layer even when its owner and mode match the lower one's); the lowers
    // only decide which deletions delete something.
    let mut entries = diff::diff(upper, &[])?;
    if !lowers.is_empty() {
        let hides: HashSet<PathBuf> = diff::diff(upper, lowers)?
            .into_iter()
            .filter(|e| e.change == Change::Deleted)
            .map(|e| e.path)
            .collect();
        entries.retain(|e| e.change != Change::Deleted || hides.contains(&e.path));
    }
    let (mut hasher, mut len) = (Sha256::new(), 0);
    let mut builder = tar::Builder::new(Hashing {
        inner: out,
        hasher: &mut hasher,
        len: &mut len,
    });
    let mut writer = Exporter {
        upper,
        source: merged.unwrap_or(upper),
        mounted: merged.is_some(),
        written: HashSet::new(),
        links: HashMap::new(),
        whole: Vec::new(),
    };
    for e in &entries {
        let rel = e.path.strip_prefix("/").unwrap_or(&e.path);
        if writer.whole.iter().any(|w| rel.starts_with(w)) {
            continue;
        }
        if let Some(parent) = rel.parent() {
            writer.ancestors(&mut builder, parent)?;
        }
        match e.change {
            Change::Deleted => {
                let mut name = OsStr::new(WHITEOUT).to_os_string();
                name.push(rel.file_name().unwrap_or_default());
                let path = rel.with_file_name(name);
                writer.marker(&mut builder, &path)?;
            }
            Change::Opaque => {
                writer.path(&mut builder, rel)?;
                writer.marker(&mut builder, &rel.join(OPAQUE))?;
            }
            Change::MetadataOnly if merged.is_none() => {
                return Err(Error::msg(format!(
                    "{}: a metacopy file, whose data is in a lower layer: give the merged \
                     mount point instead of the upper layer",
                    e.path.display()
                )));
            }
            _ if writer.written.contains(rel) => {}
            _ => writer.path(&mut builder, rel)?,
        }
    }
    builder
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(|e| Error::os("write error", &e))?;
    Ok(hex(hasher))
}

/// A PAX extended header (`x`) with `records`, for the entry that follows. Written here
/// rather than by the tar crate, whose header has an empty name and no owner fields, which
/// busybox's tar takes for a damaged archive ("invalid tar magic").
fn append_pax(builder: &mut Builder<'_, '_>, records: &[(String, Vec<u8>)]) -> io::Result<()> {
    let mut data = Vec::new();
    for (key, value) in records {
        // `LEN KEY=VALUE\n`, where LEN counts the whole record, its own digits included.
        let rest = key.len() + value.len() + 3;
        let mut len = rest + 1;
        while len != rest + len.to_string().len() {
            len = rest + len.to_string().len();
        }
        data.extend(format!("{len} {key}=").as_bytes());
        data.extend(value);
        data.push(b'\n');
    }
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::XHeader);
    header.set_path("PaxHeader")?;
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_size(data.len() as u64);
    header.set_cksum();
    builder.append(&header, data.as_slice())
}

struct Exporter<'a> {
    upper: &'a Path,
    /// Where data and metadata are read: the merged mount, or the upper layer.
    source: &'a Path,
    /// Whether `source` is the merged mount.
    mounted: bool,
    /// Renamed directories, written whole from the merged mount.
    whole: Vec<PathBuf>,
    /// Paths already in the tar.
    written: HashSet<PathBuf>,
    /// The first path written of each multiply linked upper inode.
    links: HashMap<(u64, u64), PathBuf>,
}

type Builder<'w, 'h> = tar::Builder<Hashing<'h, &'w mut dyn Write>>;

impl Exporter<'_> {
    /// The directories above a change, each once, so that they keep their mode and owner in
    /// the layer.
    fn ancestors(&mut self, builder: &mut Builder<'_, '_>, dir: &Path) -> Result<()> {
        let mut at = PathBuf::new();
        for part in dir.components() {
            at.push(part);
            if !self.written.contains(&at) {
                self.path(builder, &at.clone())?;
            }
        }
        Ok(())
    }

    /// A whiteout or opaque marker: an empty file, owned by root, time 0.
    fn marker(&mut self, builder: &mut Builder<'_, '_>, rel: &Path) -> Result<()> {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(0);
        builder
            .append_data(&mut header, rel, io::empty())
            .map_err(|e| Error::os(format!("cannot write {}", rel.display()), &e))?;
        self.written.insert(rel.to_path_buf());
        Ok(())
    }

    /// One path of the upper layer. A renamed directory (`overlay.redirect`) keeps its
    /// contents in a lower layer under its old name, so it is written whole from the merged
    /// mount, opaque (its old name is whited out by a deletion of its own).
    fn path(&mut self, builder: &mut Builder<'_, '_>, rel: &Path) -> Result<()> {
        let upper_path = self.upper.join(rel);
        let renamed = std::fs::symlink_metadata(&upper_path).is_ok_and(|m| m.is_dir())
            && self.redirected(&upper_path)?;
        if !renamed {
            return self.entry(builder, rel);
        }
        if !self.mounted {
            return Err(Error::msg(format!(
                "/{}: a renamed directory (overlay.redirect), whose contents are in a lower \
                 layer: give the merged mount point instead of the upper layer",
                rel.display()
            )));
        }
        self.entry(builder, rel)?;
        self.marker(builder, &rel.join(OPAQUE))?;
        let mut stack = vec![rel.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let path = self.source.join(&dir);
            let mut names: Vec<_> = std::fs::read_dir(&path)
                .map_err(|e| Error::os(format!("cannot open directory {}", path.display()), &e))?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<_>>()
                .map_err(|e| Error::os(format!("cannot read directory {}", path.display()), &e))?;
            names.sort();
            // Depth first, in name order: pushed in reverse.
            for name in names.iter().rev() {
                let child = dir.join(name);
                if std::fs::symlink_metadata(self.source.join(&child)).is_ok_and(|m| m.is_dir()) {
                    stack.push(child.clone());
                }
            }
            for name in names {
                let child = dir.join(name);
                if !self.written.contains(&child) {
                    self.entry(builder, &child)?;
                }
            }
        }
        self.whole.push(rel.to_path_buf());
        Ok(())
    }

    /// One file, directory, symlink or node, as the source shows it.
    fn entry(&mut self, builder: &mut Builder<'_, '_>, rel: &Path) -> Result<()> {
        let path = self.source.join(rel);
        let meta = std::fs::symlink_metadata(&path)
            .map_err(|e| Error::os(format!("cannot stat {}", path.display()), &e))?;
        let upper_path = self.upper.join(rel);
        self.written.insert(rel.to_path_buf());
        let write_err = |e: io::Error| Error::os(format!("cannot write {}", rel.display()), &e);
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        if meta.mtime_nsec() != 0 {
            pax.push((
                "mtime".into(),
                format!("{}.{:09}", meta.mtime(), meta.mtime_nsec()).into_bytes(),
            ));
        }
        // Sorted, so that the tar does not depend on the file system's order.
        let mut names = sys::xattr::list(&path)?;
        names.sort();
        for name in names {
            let name = name.to_string_lossy().into_owned();
            if OVERLAY_XATTRS.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            if let Some(value) = sys::xattr::get(&path, &name)? {
                pax.push((format!("{PAX_XATTR}{name}"), value));
            }
        }
        if !pax.is_empty() {
            append_pax(builder, &pax).map_err(write_err)?;
        }
        let mut header = tar::Header::new_ustar();
        header.set_mode(meta.mode() & 0o7777);
        header.set_uid(u64::from(meta.uid()));
        header.set_gid(u64::from(meta.gid()));
        header.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
        header.set_size(0);
        let t = meta.file_type();
        if t.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            builder
                .append_data(&mut header, rel, io::empty())
                .map_err(write_err)
        } else if t.is_symlink() {
            header.set_entry_type(tar::EntryType::Symlink);
            let target = std::fs::read_link(&path)
                .map_err(|e| Error::os(format!("cannot read link {}", path.display()), &e))?;
            builder
                .append_link(&mut header, rel, target)
                .map_err(write_err)
        } else if t.is_file() {
            // Hard links are those of the upper layer, where the inodes are the disk's.
            let upper_meta = std::fs::symlink_metadata(&upper_path).ok();
            if let Some(um) = upper_meta.filter(|m| m.nlink() > 1) {
                let key = (um.dev(), um.ino());
                if let Some(first) = self.links.get(&key) {
                    header.set_entry_type(tar::EntryType::Link);
                    return builder
                        .append_link(&mut header, rel, first)
                        .map_err(write_err);
                }
                self.links.insert(key, rel.to_path_buf());
            }
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(meta.len());
            let file = File::open(&path)
                .map_err(|e| Error::os(format!("cannot open {}", path.display()), &e))?;
            builder
                .append_data(&mut header, rel, file.take(meta.len()))
                .map_err(write_err)
        } else if t.is_char_device() || t.is_block_device() || t.is_fifo() {
            header.set_entry_type(if t.is_char_device() {
                tar::EntryType::Char
            } else if t.is_block_device() {
                tar::EntryType::Block
            } else {
                tar::EntryType::Fifo
            });
            let (major, minor) = layerfs::major_minor(meta.rdev());
            header.set_device_major(major).map_err(write_err)?;
            header.set_device_minor(minor).map_err(write_err)?;
            builder
                .append_data(&mut header, rel, io::empty())
                .map_err(write_err)
        } else {
            // Sockets belong to a running program, not to an image.
            Ok(())
        }
    }

    fn redirected(&self, upper_dir: &Path) -> Result<bool> {
        for prefix in OVERLAY_XATTRS {
            if sys::xattr::has(upper_dir, &format!("{prefix}redirect"))? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let rel = |raw: &[u8]| relative(raw).map_err(|e| e.to_string());
        assert_eq!(rel(b"./etc/passwd"), Ok(PathBuf::from("etc/passwd")));
        assert_eq!(rel(b"/"), Ok(PathBuf::new()));
        assert_eq!(rel(b"//usr//bin/"), Ok(PathBuf::from("usr/bin")));
        assert_eq!(
            rel(b"a/../b"),
            Err("layer entry a/../b: leaves the layer (..)".to_owned())
        );
    }

    #[test]
    fn pax_times() {
        assert_eq!(pax_time("1000000000"), Some((1_000_000_000, 0)));
        assert_eq!(pax_time("12.5"), Some((12, 500_000_000)));
        assert_eq!(pax_time("12.1234567891"), Some((12, 123_456_789)));
        assert_eq!(pax_time("x"), None);
        // Found by fuzzing (fuzz/README.md, oci_layer): a multi-byte character across the
        // ninth byte of the fraction panicked.
        assert_eq!(pax_time("1.12345678\u{e9}"), None);
        assert_eq!(pax_time("1.+5"), None);
    }

    #[test]
    fn completed_adds_padding_and_end_blocks_only_when_asked() {
        let read = |complete| {
            let mut out = Vec::new();
            let mut r = Completed {
                inner: &b"abc"[..],
                len: 0,
                complete,
                zeros: None,
            };
            r.read_to_end(&mut out).map(|_| out)
        };
        let padded = read(true).unwrap_or_default();
        assert_eq!(padded.len(), 512 + 1024);
        assert!(padded.starts_with(b"abc") && padded[3..].iter().all(|&b| b == 0));
        assert_eq!(read(false).ok(), Some(b"abc".to_vec()));
    }
}
