//! `ovlmount import` and `ovlmount diff --oci`: OCI layer tars in and out, checked through the
//! kernel (what a mounted overlay of the imported layers shows, `stat` of whiteouts, xattrs),
//! side by side with umoci, and with bad archives that must leave nothing behind.
//!
//! Mounts happen in a private mount namespace made by our `unshare -m`; the test reads and
//! changes the mounted trees through `/proc/PID/root` of the shell that lives there.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use tests::{MountTableUnchanged, Output, Run, have, kernel_version, ours, scratch};

/// `sh -c SCRIPT` with `$O` our ovlmount and `$D` the directory.
fn sh(dir: &Path, script: &str) -> Output {
    Run::new("/bin/sh")
        .args(["-c", script])
        .env("O", ours("ovlmount"))
        .env("D", dir)
        .run()
}

/// A shell in a private mount namespace that stops at each `ready` line it prints (its
/// script waits with `read go`), so the test can look at its mounts through /proc/PID/root.
struct NsShell {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl NsShell {
    fn start(dir: &Path, script: &str) -> NsShell {
        let mut child = Command::new(ours("unshare"))
            .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
            .env("O", ours("ovlmount"))
            .env("D", dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start unshare: {e}"));
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            panic!("no pipes to the shell");
        };
        NsShell {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        }
    }

    /// Wait for the next `ready`; the lines before it are returned.
    fn ready(&mut self) -> String {
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            let n = self.stdout.read_line(&mut line).unwrap_or(0);
            if n == 0 {
                let (status, stderr) = self.end();
                panic!("the shell ended before 'ready' ({status}): {seen}{stderr}");
            }
            if line == "ready\n" {
                return seen;
            }
            seen.push_str(&line);
        }
    }

    fn go(&mut self) {
        let _ = self.stdin.write_all(b"go\n");
    }

    /// `path` (absolute) as the shell's mount namespace shows it.
    fn path(&self, path: &Path) -> PathBuf {
        Path::new(&format!("/proc/{}/root", self.child.id()))
            .join(path.strip_prefix("/").unwrap_or(path))
    }

    /// Let the script run to its end; what it printed after the last `ready`.
    fn finish(mut self) -> String {
        self.go();
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut self.stdout, &mut rest);
        let (status, stderr) = self.end();
        assert!(status.success(), "shell failed: {status}: {rest}{stderr}");
        rest
    }

    /// Wait for the shell; its status and what it wrote on stderr.
    fn end(&mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap_or_else(|e| panic!("wait: {e}"));
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
        }
        (status, stderr)
    }
}

/// What a tree holds, one line per path (sorted): kind, mode, owner, link count (not of
/// directories: overlayfs counts merged directories as 1), content or link target,
/// extended attributes. With `times`, modification times of all but the root.
fn tree(root: &Path, times: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let path = root.join(&rel);
        let meta = std::fs::symlink_metadata(&path)
            .unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
        let t = meta.file_type();
        let mut line = format!("{:o} {}:{}", meta.mode(), meta.uid(), meta.gid());
        if t.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap_or_else(|e| panic!("{e}")) {
                let entry = entry.unwrap_or_else(|e| panic!("{e}"));
                stack.push(rel.join(entry.file_name()));
            }
        } else {
            line.push_str(&format!(" links={}", meta.nlink()));
        }
        if t.is_file() {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
            line.push_str(&format!(" size={} sum={}", data.len(), checksum(&data)));
        } else if t.is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_else(|e| panic!("{e}"));
            line.push_str(&format!(" -> {}", target.display()));
        } else if t.is_char_device() || t.is_block_device() {
            line.push_str(&format!(" rdev={:x}", meta.rdev()));
        }
        let mut names = sys::xattr::list(&path).unwrap_or_else(|e| panic!("{e}"));
        names.sort();
        for name in names {
            let name = name.to_string_lossy().into_owned();
            let value = sys::xattr::get(&path, &name).unwrap_or_else(|e| panic!("{e}"));
            line.push_str(&format!(" {name}={:?}", value.unwrap_or_default()));
        }
        if times && !rel.as_os_str().is_empty() {
            line.push_str(&format!(" mtime={}.{:09}", meta.mtime(), meta.mtime_nsec()));
        }
        out.insert(format!("/{}", rel.display()), line);
    }
    out
}

/// `tree` without its root, whose metadata is the upper or unpacked directory's own.
fn without_root(tree: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tree = tree.clone();
    tree.remove("/");
    tree
}

/// A checksum good enough to tell contents apart in a test (FNV-1a).
fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    sys::xattr::set(path, name, value).unwrap_or_else(|e| panic!("{e}"));
}

fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    sys::xattr::get(path, name).unwrap_or_else(|e| panic!("{e}"))
}

fn sha256(path: &Path) -> String {
    let out = Run::new("sha256sum").arg_os(path).run();
    let text = out.ok();
    format!("sha256:{}", text.split(' ').next().unwrap_or_default())
}

/// The entries of a tar file as "TYPE PATH[ -> LINK]", read with the tar crate (busybox's
/// tar lists otherwise than GNU tar).
fn listing(tar_file: &Path) -> Vec<String> {
    let data = std::fs::read(tar_file).unwrap_or_else(|e| panic!("{e}"));
    let mut archive = tar::Archive::new(data.as_slice());
    let mut listed = Vec::new();
    for entry in archive.entries().unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let kind = entry.header().entry_type().as_byte() as char;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let link = entry
            .link_name_bytes()
            .map(|l| format!(" -> {}", String::from_utf8_lossy(&l)))
            .unwrap_or_default();
        listed.push(format!("{kind} {path}{link}"));
    }
    listed
}

fn lstat(path: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()))
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.map(|e| e.file_name().to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    v.sort();
    v
}

/// A layer tar written here (the VM guests have busybox's tar, without PAX or xattrs).
struct Layer(tar::Builder<Vec<u8>>);

/// One entry of a [`Layer`].
struct Item<'a> {
    path: &'a str,
    kind: tar::EntryType,
    mode: u32,
    owner: (u64, u64),
    mtime: u64,
    data: &'a [u8],
    link: &'a str,
    device: (u32, u32),
    xattrs: &'a [(&'a str, &'a [u8])],
}

/// A regular file `path` holding `data`, mode 0644, owned by root, time 1e9.
fn file<'a>(path: &'a str, data: &'a [u8]) -> Item<'a> {
    Item {
        path,
        kind: tar::EntryType::Regular,
        mode: 0o644,
        owner: (0, 0),
        mtime: 1_000_000_000,
        data,
        link: "",
        device: (0, 0),
        xattrs: &[],
    }
}

/// A directory, mode 0755.
fn dir(path: &str) -> Item<'_> {
    Item {
        kind: tar::EntryType::Directory,
        mode: 0o755,
        ..file(path, b"")
    }
}

/// A symbolic or hard link (`kind`) to `link`.
fn link<'a>(path: &'a str, kind: tar::EntryType, link: &'a str) -> Item<'a> {
    Item {
        kind,
        mode: 0o777,
        link,
        ..file(path, b"")
    }
}

impl Layer {
    fn new() -> Layer {
        Layer(tar::Builder::new(Vec::new()))
    }

    /// Add `item`; its path and link go in as they are (`..` and `/` included).
    fn add(mut self, item: Item<'_>) -> Layer {
        if !item.xattrs.is_empty() {
            let records: Vec<(String, &[u8])> = item
                .xattrs
                .iter()
                .map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v))
                .collect();
            self.0
                .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(item.kind);
        h.set_mode(item.mode);
        h.set_uid(item.owner.0);
        h.set_gid(item.owner.1);
        h.set_mtime(item.mtime);
        h.set_size(item.data.len() as u64);
        h.set_link_name_literal(item.link.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        h.set_device_major(item.device.0)
            .unwrap_or_else(|e| panic!("{e}"));
        h.set_device_minor(item.device.1)
            .unwrap_or_else(|e| panic!("{e}"));
        let name = &mut h.as_old_mut().name;
        name.fill(0);
        name[..item.path.len()].copy_from_slice(item.path.as_bytes());
        h.set_cksum();
        self.0
            .append(&h, item.data)
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// The tar, with its end blocks.
    fn finish(self) -> Vec<u8> {
        self.0.into_inner().unwrap_or_else(|e| panic!("{e}"))
    }
}

fn write(path: &Path, data: &[u8]) {
    std::fs::write(path, data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap_or_else(|e| panic!("{e}"));
    enc.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A layer with every kind of entry: `layer.tar`, `layer.tar.gz` and `layer.tar.zst` in `d`.
fn make_layer(d: &Path) {
    let passwd = Item {
        mode: 0o640,
        owner: (1234, 5678),
        xattrs: &[("trusted.mark", b"one"), ("trusted.secret", b"two\0bytes")],
        ..file("./etc/passwd", b"secret\n")
    };
    let tar = Layer::new()
        .add(dir("./"))
        .add(dir("./etc/"))
        .add(passwd)
        .add(link("./etc/hard", tar::EntryType::Link, "./etc/passwd"))
        .add(Item {
            owner: (42, 43),
            ..link("./etc/link", tar::EntryType::Symlink, "passwd")
        })
        .add(Item {
            kind: tar::EntryType::Char,
            device: (1, 3),
            mode: 0o666,
            ..file("dev/null", b"")
        })
        .add(Item {
            kind: tar::EntryType::Fifo,
            ..file("dev/fifo", b"")
        })
        .add(Item {
            mode: 0o700,
            xattrs: &[("trusted.dir", b"d")],
            ..dir("opt")
        })
        .add(file("opt/new", b"new\n"))
        .add(file("opt/.wh..wh..opq", b""))
        .add(file(".wh.gone", b""))
        .add(file("var/.wh.old", b""))
        .finish();
    write(&d.join("layer.tar"), &tar);
    write(&d.join("layer.tar.gz"), &gzip(&tar));
    write(&d.join("layer.tar.zst"), &zstd(&tar));
}

/// As root: each kind of entry lands as overlayfs wants it, from a plain, gzip and zstd
/// layer, with the OCI digests printed; and a mounted overlay shows what the layer says.
#[test]
fn import_as_root_through_the_kernel() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    make_layer(d.path());
    let diff_id = sha256(&d.path().join("layer.tar"));
    for blob in ["layer.tar", "layer.tar.gz", "layer.tar.zst"] {
        let blob_path = d.path().join(blob);
        let out = sh(
            d.path(),
            &format!(r#"cd "$D"; rm -rf l; "$O" import {blob} l"#),
        );
        assert_eq!(
            out.ok(),
            format!("digest {}\ndiff_id {diff_id}\n", sha256(&blob_path)),
            "{blob}"
        );
        let l = d.path().join("l");
        let passwd = lstat(&l.join("etc/passwd"));
        assert_eq!(
            (
                passwd.mode(),
                passwd.uid(),
                passwd.gid(),
                passwd.mtime(),
                passwd.nlink()
            ),
            (0o100640, 1234, 5678, 1_000_000_000, 2),
            "{blob}"
        );
        assert_eq!(lstat(&l.join("etc/hard")).ino(), passwd.ino());
        assert_eq!(
            xattr(&l.join("etc/passwd"), "trusted.mark"),
            Some(b"one".to_vec())
        );
        assert_eq!(
            xattr(&l.join("etc/passwd"), "trusted.secret"),
            Some(b"two\0bytes".to_vec())
        );
        let link = lstat(&l.join("etc/link"));
        assert_eq!(
            (link.uid(), link.gid(), link.mtime()),
            (42, 43, 1_000_000_000)
        );
        assert_eq!(
            std::fs::read_link(l.join("etc/link")).ok(),
            Some(PathBuf::from("passwd"))
        );
        let opt = lstat(&l.join("opt"));
        assert_eq!(
            (opt.mode(), opt.mtime()),
            (0o40700, 1_000_000_000),
            "{blob}"
        );
        assert_eq!(
            xattr(&l.join("opt"), "trusted.overlay.opaque"),
            Some(b"y".to_vec())
        );
        assert_eq!(xattr(&l.join("opt"), "trusted.dir"), Some(b"d".to_vec()));
        for whiteout in ["gone", "var/old"] {
            let m = lstat(&l.join(whiteout));
            assert!(
                m.file_type().is_char_device() && m.rdev() == 0,
                "{whiteout}: {m:?}"
            );
        }
        let null = lstat(&l.join("dev/null"));
        assert!(
            null.file_type().is_char_device() && null.rdev() == 0x103,
            "{null:?}"
        );
        assert!(lstat(&l.join("dev/fifo")).file_type().is_fifo());
        assert_eq!(names(&l.join("opt")), ["new"]);
        // Parents the layer does not list are made 0755; the root is the layer's "./".
        let var = lstat(&l.join("var"));
        assert_eq!((var.mode(), var.uid()), (0o40755, 0), "{blob}");
        assert_eq!(
            names(d.path())
                .iter()
                .filter(|n| n.contains("import"))
                .count(),
            0
        );
    }
    // The kernel's view: the layer over a base whose gone, var/old and opt/old it hides.
    let out = tests::sh_in_private_mount_ns(
        d.path(),
        &format!(
            r#"set -e; cd "$D"; O={}; mkdir -p base/var base/opt m; echo 1 > base/gone
            echo 2 > base/var/old; echo 3 > base/var/kept; echo 4 > base/opt/old
            "$O" mount -l l -l base m
            ls -A m; ls -A m/var; ls -A m/opt; stat -c '%a %u:%g %h %s' m/etc/passwd; cat m/etc/hard"#,
            ours("ovlmount").display()
        ),
    );
    assert_eq!(
        out.ok(),
        "dev\netc\nopt\nvar\nkept\nnew\n640 1234:5678 2 7\nsecret\n",
        "{out:#?}"
    );
}

/// As nobody: whiteouts and opaque directories in the `user.overlay.*` form, which an overlay
/// mounted in the user's own user namespace honours; devices refused with nothing left.
#[test]
fn import_unprivileged_in_the_user_xattr_form() {
    let d = scratch();
    let layer = Layer::new()
        .add(dir("./"))
        .add(dir("./opt/"))
        .add(file("./opt/new", b"new\n"))
        .add(file("./opt/.wh..wh..opq", b""))
        .add(file("./.wh.gone", b""))
        .add(file("./var/.wh.old", b""))
        .finish();
    write(&d.path().join("layer.tar"), &layer);
    let devices = Layer::new()
        .add(dir("./dev/"))
        .add(Item {
            kind: tar::EntryType::Char,
            device: (1, 3),
            ..file("./dev/null", b"")
        })
        .finish();
    write(&d.path().join("devices.tar"), &devices);
    let out = sh(
        d.path(),
        r#"set -e; cd "$D"; mkdir -p base/opt base/var
        echo 1 > base/gone; echo 2 > base/var/old; echo 3 > base/var/kept; echo 4 > base/opt/old
        chown -R 65534:65534 "$D""#,
    );
    out.ok();
    if kernel_version() < (6, 8) {
        // A whiteout alone: before it, the opaque mark needs user.* xattrs, which tmpfs has
        // only from 6.6 (the busybox guests' root).
        let whiteout = Layer::new().add(file("./.wh.gone", b"")).finish();
        write(&d.path().join("whiteout.tar"), &whiteout);
        let out = Run::as_nobody(ours("ovlmount"))
            .arg_os("import")
            .arg_os(d.path().join("whiteout.tar"))
            .arg_os(d.path().join("l"))
            .run();
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert_eq!(
            out.stderr,
            "ovlmount: layer entry ./.wh.gone: a whiteout, which an unprivileged overlay honours \
             from Linux 6.8 (user.overlay.whiteout); import as root\n"
        );
        assert!(!d.path().join("l").exists());
        return;
    }
    let out = Run::as_nobody(ours("ovlmount"))
        .arg_os("import")
        .arg_os(d.path().join("layer.tar"))
        .arg_os(d.path().join("l"))
        .run();
    assert!(out.ok().starts_with("digest sha256:"), "{out:#?}");
    let l = d.path().join("l");
    let gone = lstat(&l.join("gone"));
    assert!(gone.file_type().is_file() && gone.len() == 0 && gone.uid() == 65534);
    assert_eq!(
        xattr(&l.join("gone"), "user.overlay.whiteout"),
        Some(Vec::new())
    );
    assert_eq!(xattr(&l, "user.overlay.opaque"), Some(b"x".to_vec()));
    assert_eq!(
        xattr(&l.join("var"), "user.overlay.opaque"),
        Some(b"x".to_vec())
    );
    assert_eq!(
        xattr(&l.join("opt"), "user.overlay.opaque"),
        Some(b"y".to_vec())
    );
    assert_eq!(xattr(&l.join("opt"), "trusted.overlay.opaque"), None);
    // The kernel's view, from the user's own user namespace (overlayfs then reads user.*).
    let out = Run::as_nobody(ours("unshare"))
        .args(["-U", "-r", "-m", "/bin/sh", "-c"])
        .arg_os(r#"set -e; cd "$D"; mkdir m; "$O" mount -l l -l base m; ls -A m; ls -A m/var; ls -A m/opt"#)
        .env("O", ours("ovlmount"))
        .env("D", d.path())
        .run();
    assert_eq!(out.ok(), "opt\nvar\nkept\nnew\n", "{out:#?}");
    // A device node, an attribute only root may set: refused, and neither the directory nor
    // the staging one is left.
    let trusted = Item {
        xattrs: &[("trusted.x", b"1")],
        ..file("f", b"")
    };
    write(
        &d.path().join("trusted.tar"),
        &Layer::new().add(trusted).finish(),
    );
    let before = names(d.path());
    let out = Run::as_nobody(ours("ovlmount"))
        .arg_os("import")
        .arg_os(d.path().join("trusted.tar"))
        .arg_os(d.path().join("tl"))
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.starts_with(&format!(
            "ovlmount: layer entry f: cannot set extended attribute trusted.x of {}/.tl.import-",
            d.path().display()
        )) && out.stderr.ends_with("/f: Operation not permitted\n"),
        "{out:#?}"
    );
    assert_eq!(names(d.path()), before);
    let out = Run::as_nobody(ours("ovlmount"))
        .arg_os("import")
        .arg_os(d.path().join("devices.tar"))
        .arg_os(d.path().join("dl"))
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        "ovlmount: layer entry ./dev/null: a device node, which only root can make\n"
    );
    assert_eq!(names(d.path()), before);
}

/// Bad archives: each refused with status 1 and its message, DIR not made, no staging
/// directory left, nothing written outside.
#[test]
fn bad_archives_leave_nothing() {
    let d = scratch();
    let outside = d.path().join("outside");
    std::fs::create_dir(&outside).unwrap_or_else(|e| panic!("{e}"));
    let big = vec![7; 5000];
    let good = Layer::new()
        .add(file("big", &big))
        .add(file("f", b"data\n"))
        .finish();
    let bad = |name: &str, data: &[u8]| write(&d.path().join(name), data);
    bad("good.tar", &good);
    bad("good.tar.gz", &gzip(&good));
    bad("cut-in-data.tar", &good[..3000]);
    // The headers and data of both files, without the end blocks.
    bad("cut-at-end.tar", &good[..512 + 5120 + 512 + 512]);
    bad("cut.tar.gz", &gzip(&good)[..60]);
    bad("cut.tar.zst", &zstd(&good)[..40]);
    let abs = format!("{}/f", outside.display());
    bad(
        "absolute.tar",
        &Layer::new().add(file(&abs, b"data\n")).finish(),
    );
    bad(
        "dotdot.tar",
        &Layer::new().add(file("a/../../f", b"x")).finish(),
    );
    let target = outside.display().to_string();
    let symlink = Layer::new()
        .add(link("link", tar::EntryType::Symlink, &target))
        .add(file("link/f", b"x"))
        .finish();
    bad("symlink.tar", &symlink);
    let hardlink = Layer::new()
        .add(file("f", b"x"))
        .add(link("h", tar::EntryType::Link, "../f"))
        .finish();
    bad("hardlink.tar", &hardlink);
    bad(
        "missing.tar",
        &Layer::new()
            .add(link("h", tar::EntryType::Link, "g"))
            .finish(),
    );
    let redirect = Item {
        xattrs: &[("trusted.overlay.redirect", b"/etc")],
        ..dir("d")
    };
    bad("overlay-xattr.tar", &Layer::new().add(redirect).finish());
    bad("junk.tar", &b"not a tar\n".repeat(200));
    std::fs::create_dir(d.path().join("full")).unwrap_or_else(|e| panic!("{e}"));
    write(&d.path().join("full/x"), b"");
    let cases = [
        ("cut-in-data.tar", "truncated archive".to_owned()),
        (
            "cut-at-end.tar",
            "truncated archive (no end-of-archive blocks)".to_owned(),
        ),
        ("cut.tar.gz", "truncated archive".to_owned()),
        ("cut.tar.zst", "truncated archive".to_owned()),
        (
            "dotdot.tar",
            "layer entry a/../../f: leaves the layer (..)".to_owned(),
        ),
        (
            "symlink.tar",
            "layer entry link/f: goes through the symbolic link link".to_owned(),
        ),
        (
            "hardlink.tar",
            "layer entry h: a hard link to ../f, outside the layer".to_owned(),
        ),
        (
            "missing.tar",
            "layer entry h: a hard link to g, which is not a file of the layer".to_owned(),
        ),
        (
            "overlay-xattr.tar",
            "layer entry d: carries overlayfs' own extended attribute trusted.overlay.redirect"
                .to_owned(),
        ),
    ];
    let before = names(d.path());
    for (blob, message) in cases {
        let out = Run::new(ours("ovlmount"))
            .arg_os("import")
            .arg_os(d.path().join(blob))
            .arg_os(d.path().join("l"))
            .run();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (Some(1), "", format!("ovlmount: {message}\n").as_str()),
            "{blob}"
        );
        assert_eq!(names(d.path()), before, "{blob}");
        assert!(names(&d.path().join("outside")).is_empty(), "{blob}");
    }
    // Junk is no tar; a non-empty DIR is refused before anything is read.
    let out = sh(
        d.path(),
        r#"cd "$D"; "$O" import junk.tar l; echo $?; "$O" import good.tar full; echo $?
        "$O" import good.tar full/x; echo $?; mkdir empty; "$O" import good.tar empty >/dev/null
        ls empty"#,
    );
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "1\n1\n1\nbig\nf\n",
            "ovlmount: damaged archive: numeric field was not a number: r\n\
             ovlmount: full is not empty\n\
             ovlmount: full/x is not a directory\n"
        ),
        "{out:#?}"
    );
    assert_eq!(names(&d.path().join("full")), ["x"]);
    // An absolute name is the image's path: it lands inside DIR.
    let out = sh(
        d.path(),
        r#"cd "$D"; "$O" import absolute.tar abs >/dev/null; cat "abs$D/outside/f""#,
    );
    assert_eq!(out.ok(), "data\n", "{out:#?}");
    assert!(names(&d.path().join("outside")).is_empty());
    // From stdin, the good one goes in.
    let out = sh(d.path(), r#"cd "$D"; "$O" import - l < good.tar.gz; ls l"#);
    assert!(out.ok().ends_with("\nbig\nf\n"), "{out:#?}");
    assert!(names(&outside).is_empty());
}

/// Import a layer, change it through a mounted overlay (add, modify, delete, make a
/// directory opaque, xattrs, a hard link), export the changes with `diff --oci`, import them
/// on top: the two lowers show the tree the first overlay showed.
#[test]
fn round_trip_through_diff_oci() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    make_layer(d.path());
    let mut shell = NsShell::start(
        d.path(),
        r#"set -e; cd "$D"; "$O" import layer.tar l1 >/dev/null; mkdir u w m m2
        "$O" mount -l l1 -u u -w w m; echo ready; read go
        "$O" diff --oci m > changes.tar 2> diff-id; "$O" import changes.tar l2 > digests
        "$O" umount m; "$O" mount -l l2 -l l1 m2; echo ready; read go
        "$O" diff --oci u > from-upper.tar 2>/dev/null; cat diff-id digests"#,
    );
    shell.ready();
    let m = shell.path(&d.path().join("m"));
    let w = |rel: &str, data: &str| {
        std::fs::write(m.join(rel), data).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    w("etc/passwd", "changed\n");
    w("etc/new", "added\n");
    std::fs::remove_file(m.join("etc/link")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(m.join("opt")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(m.join("opt")).unwrap_or_else(|e| panic!("{e}"));
    w("opt/fresh", "only this\n");
    std::fs::create_dir_all(m.join("var/lib/deep")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::hard_link(m.join("etc/new"), m.join("var/lib/deep/again"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("../etc/new", m.join("var/sym")).unwrap_or_else(|e| panic!("{e}"));
    set_xattr(&m.join("etc/new"), "trusted.added", b"1");
    set_xattr(&m.join("etc/passwd"), "trusted.mark", b"changed");
    std::os::unix::fs::chown(m.join("etc/new"), Some(7), Some(8)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(
        m.join("var"),
        std::os::unix::fs::PermissionsExt::from_mode(0o751),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let first = tree(&m, true);
    shell.go();
    shell.ready();
    let second = tree(&shell.path(&d.path().join("m2")), true);
    let digests = shell.finish();
    // The root's time is the upper directory's; the imported layer's root has none of it.
    assert_eq!(without_root(&first), without_root(&second));
    assert!(first.contains_key("/opt/fresh") && !first.contains_key("/opt/new"));
    assert!(
        first
            .get("/etc/new")
            .is_some_and(|l| l.contains("links=2") && l.contains("trusted.added"))
    );
    let sum = sha256(&d.path().join("changes.tar"));
    assert_eq!(
        digests,
        format!("diff_id {sum}\ndigest {sum}\ndiff_id {sum}\n")
    );
    // The layer holds the markers, in a fixed order; from the upper alone it is the same tar.
    assert_eq!(
        listing(&d.path().join("changes.tar")),
        [
            "5 etc",
            "0 etc/.wh.link",
            "0 etc/new",
            "0 etc/passwd",
            "5 opt",
            "0 opt/.wh..wh..opq",
            "0 opt/fresh",
            "5 var",
            "5 var/lib",
            "5 var/lib/deep",
            "1 var/lib/deep/again -> etc/new",
            "2 var/sym -> ../etc/new",
        ]
    );
    assert_eq!(sha256(&d.path().join("from-upper.tar")), sum);
}

/// The same image two ways: umoci's unpack, and each layer imported with ovlmount and the
/// layers mounted as one overlay. The layers delete, replace and make a directory opaque.
#[test]
fn same_tree_as_umoci_unpack() {
    let _host = MountTableUnchanged::new();
    if !have("/usr/bin/umoci", "umoci") {
        return;
    }
    let d = scratch();
    let base = d.path().join("base");
    if !tests::busybox_root(&base) {
        return;
    }
    // A layer of another writer than umoci's: whiteouts before what they apply to.
    let l5 = Layer::new()
        .add(file("var/cache/.wh..wh..opq", b""))
        .add(file("bin/.wh.sh", b""))
        .add(dir("var/cache"))
        .add(file("var/cache/d", b"d\n"))
        .finish();
    write(&d.path().join("l5.tar"), &l5);
    let out = sh(
        d.path(),
        r#"set -e; cd "$D"; mkdir -p base/etc base/opt/app base/var/cache
        echo root:x:0:0 > base/etc/passwd; echo old > base/etc/motd; echo a > base/opt/app/a
        echo c > base/var/cache/c; chown 1000:1000 base/opt/app/a; chmod 600 base/opt/app/a
        umoci init --layout img; umoci new --image img:t
        umoci insert --image img:t base / >/dev/null
        mkdir -p l2/etc l2/opt/app; echo new > l2/etc/motd; echo b > l2/opt/app/b
        umoci insert --image img:t l2/etc/motd /etc/motd >/dev/null
        umoci insert --image img:t --whiteout /etc/passwd >/dev/null
        umoci insert --image img:t --opaque l2/opt/app /opt/app >/dev/null
        umoci raw add-layer --image img:t l5.tar >/dev/null
        umoci unpack --image img:t bundle >/dev/null"#,
    );
    out.ok();
    let read_json = |rel: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(d.path().join("img").join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let blob = |digest: &str| format!("blobs/{}", digest.replacen(':', "/", 1));
    let index = read_json("index.json");
    let manifest = read_json(&blob(
        index["manifests"][0]["digest"].as_str().unwrap_or_default(),
    ));
    let layers: Vec<String> = manifest["layers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l["digest"].as_str().map(blob))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(layers.len(), 5, "{manifest}");
    let mut script = String::from(r#"set -e; cd "$D"; lowers="""#);
    for (i, layer) in layers.iter().enumerate() {
        script.push_str(&format!(
            "\n\"$O\" import img/{layer} layer{i} | head -1 | cut -d' ' -f2 >> imported\n\
             lowers=\"-l layer{i} $lowers\""
        ));
    }
    script.push_str("\nmkdir m; \"$O\" mount $lowers m; echo ready; read go");
    let mut shell = NsShell::start(d.path(), &script);
    shell.ready();
    let ours_tree = tree(&shell.path(&d.path().join("m")), false);
    shell.finish();
    let theirs = tree(&d.path().join("bundle/rootfs"), false);
    assert_eq!(without_root(&ours_tree), without_root(&theirs));
    assert!(ours_tree.contains_key("/opt/app/b") && !ours_tree.contains_key("/opt/app/a"));
    assert!(!ours_tree.contains_key("/bin/sh") && !ours_tree.contains_key("/etc/passwd"));
    assert!(ours_tree.contains_key("/bin/busybox") && ours_tree.contains_key("/bin/ls"));
    assert!(ours_tree.contains_key("/var/cache/d") && !ours_tree.contains_key("/var/cache/c"));
    // The digest ovlmount prints is the one the manifest names.
    let printed = std::fs::read_to_string(d.path().join("imported")).unwrap_or_default();
    let named: Vec<String> = layers
        .iter()
        .map(|l| l.replacen("blobs/", "", 1).replacen('/', ":", 1))
        .collect();
    assert_eq!(printed.lines().collect::<Vec<_>>(), named);
}

/// Given only the upper layer, `diff --oci` refuses what it cannot write as a layer: a
/// metacopy file (its data is in a lower) and a renamed directory (its contents are); through
/// the merged mount both are written, and importing that layer gives them back. Usage errors
/// name what is missing.
#[test]
fn diff_oci_refusals_and_usage() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = tests::sh_in_private_mount_ns(
        d.path(),
        &format!(
            r#"cd "$D"; O={}; mkdir -p l/d u w m; echo lower-data > l/file; echo y > l/d/z
            "$O" mount -o metacopy=on,redirect_dir=on -l l -u u -w w m || exit 9
            chmod 600 m/file
            "$O" diff --oci u > u.tar; echo "upper rc=$?"
            "$O" diff --oci m 2>/dev/null | tar -xOf - file
            mv m/d m/e; "$O" diff --oci u > u.tar; echo "renamed rc=$?"
            "$O" diff --oci m > m.tar 2>/dev/null; "$O" import m.tar l2 >/dev/null
            "$O" umount m; mkdir m2; "$O" mount -l l2 -l l m2; ls m2; ls m2/e; cat m2/file"#,
            ours("ovlmount").display()
        ),
    );
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "upper rc=1\nlower-data\nrenamed rc=1\ne\nfile\nz\nlower-data\n",
            "ovlmount: /file: a metacopy file, whose data is in a lower layer: give the merged \
             mount point instead of the upper layer\n\
             ovlmount: /e: a renamed directory (overlay.redirect), whose contents are in a \
             lower layer: give the merged mount point instead of the upper layer\n"
        ),
        "{out:#?}"
    );
    // Not onto a terminal (script(1) gives it one).
    let term = Run::new("script")
        .args(["-qec"])
        .arg_os(format!(
            "{} diff --oci {}/u",
            ours("ovlmount").display(),
            d.path().display()
        ))
        .arg_os("/dev/null")
        .run();
    assert_eq!(term.code, Some(1), "{term:#?}");
    assert_eq!(
        term.stdout,
        "ovlmount: diff --oci writes a tar archive: send it to a file or a pipe, not a \
         terminal\r\n"
    );
    let o = ours("ovlmount");
    let usage = |args: &[&str], message: &str| {
        let out = Run::new(&o).args(args).run();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                Some(1),
                "",
                format!(
                    "{}: {message}\nTry 'ovlmount --help' for more information.\n",
                    o.display()
                )
                .as_str()
            ),
            "{args:?}"
        );
    };
    usage(
        &["import", "layer.tar"],
        "import: give a layer (a file or -) and a directory",
    );
    usage(
        &["import", "a", "b", "c"],
        "import: give a layer (a file or -) and a directory",
    );
    usage(
        &["diff", "--oci", "-J", "u"],
        "diff: --json and --oci exclude each other",
    );
}

/// The round trip as nobody, all in the user's own user namespace: the overlay keeps its
/// marks in `user.overlay.*`, `diff --oci` reads them, `import` writes them back, and the
/// two lowers show what the first overlay showed (names, types, modes, owners, sizes).
#[test]
fn round_trip_unprivileged() {
    let d = scratch();
    let base = Layer::new()
        .add(dir("etc"))
        .add(file("etc/a", b"a\n"))
        .add(file("etc/b", b"b\n"))
        .add(dir("d"))
        .add(file("d/x", b"x\n"))
        .add(file("d/y", b"y\n"))
        .finish();
    write(&d.path().join("base.tar"), &base);
    std::os::unix::fs::chown(d.path(), Some(tests::NOBODY), Some(tests::NOBODY))
        .unwrap_or_else(|e| panic!("{e}"));
    if kernel_version() < (6, 8) {
        // The changes hold whiteouts, which such a kernel would not take from a user's
        // layer: import refuses them.
        let changes = Layer::new().add(file("etc/.wh.b", b"")).finish();
        write(&d.path().join("changes.tar"), &changes);
        let out = Run::as_nobody(ours("ovlmount"))
            .arg_os("import")
            .arg_os(d.path().join("changes.tar"))
            .arg_os(d.path().join("l2"))
            .run();
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (
                Some(1),
                "ovlmount: layer entry etc/.wh.b: a whiteout, which an unprivileged overlay \
                 honours from Linux 6.8 (user.overlay.whiteout); import as root\n"
            )
        );
        assert!(!d.path().join("l2").exists());
        return;
    }
    let out = Run::as_nobody(ours("unshare"))
        .args(["-U", "-r", "-m", "/bin/sh", "-c"])
        .arg_os(
            r#"set -e; cd "$D"; "$O" import base.tar l1 >/dev/null; mkdir u w m m2
            "$O" mount -l l1 -u u -w w m
            echo changed > m/etc/a; rm m/etc/b; rm -r m/d; mkdir m/d; echo n > m/d/n
            mkdir m/new; echo f > m/new/f; chmod 700 m/new
            dump() { (cd "$1" && find . | sort | while read -r p; do
                if [ -d "$p" ]; then stat -c '%n %F %a %u:%g' "$p"; else stat -c '%n %F %a %u:%g %s' "$p"; fi
            done); }
            dump m > first
            "$O" diff --oci m > changes.tar 2>/dev/null
            "$O" import changes.tar l2 > /dev/null
            "$O" umount m; "$O" mount -l l2 -l l1 m2; dump m2 > second
            cmp first second && echo same; cat second"#,
        )
        .env("O", ours("ovlmount"))
        .env("D", d.path())
        .run();
    assert_eq!(
        out.ok(),
        "same\n\
         . directory 755 0:0\n\
         ./d directory 755 0:0\n\
         ./d/n regular file 644 0:0 2\n\
         ./etc directory 755 0:0\n\
         ./etc/a regular file 644 0:0 8\n\
         ./new directory 700 0:0\n\
         ./new/f regular file 644 0:0 2\n",
        "{out:#?}"
    );
    let l2 = d.path().join("l2");
    assert_eq!(
        xattr(&l2.join("etc/b"), "user.overlay.whiteout"),
        Some(Vec::new())
    );
    assert_eq!(
        xattr(&l2.join("d"), "user.overlay.opaque"),
        Some(b"y".to_vec())
    );
}

/// `diff --oci --lower`: the lowers decide only which deletions delete something; a
/// whiteout of a name no given lower has is left out, everything else is as without them.
#[test]
fn diff_oci_with_lowers_leaves_out_whiteouts_over_nothing() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = tests::sh_in_private_mount_ns(
        d.path(),
        &format!(
            r#"cd "$D"; O={}; mkdir -p l/etc other/etc u w m
            echo a > l/etc/gone; echo b > l/etc/kept; echo c > other/etc/kept
            "$O" mount -l l -u u -w w m || exit 9
            rm m/etc/gone; echo new > m/etc/kept
            "$O" diff --oci m > mounted.tar 2>/dev/null; "$O" umount m
            "$O" diff --oci u > alone.tar 2>/dev/null
            "$O" diff --oci --lower l u > same.tar 2>/dev/null
            "$O" diff --oci --lower other u > other.tar; echo "rc=$?""#,
            ours("ovlmount").display()
        ),
    );
    let sum = sha256(&d.path().join("other.tar"));
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("rc=0\n", format!("diff_id {sum}\n").as_str()),
        "{out:#?}"
    );
    let with_whiteout = ["5 etc", "0 etc/.wh.gone", "0 etc/kept"];
    for tar in ["mounted", "alone", "same"] {
        let listed = listing(&d.path().join(format!("{tar}.tar")));
        assert_eq!(listed, with_whiteout, "{tar}");
    }
    assert_eq!(
        listing(&d.path().join("other.tar")),
        ["5 etc", "0 etc/kept"]
    );
    assert_eq!(
        sha256(&d.path().join("alone.tar")),
        sha256(&d.path().join("same.tar"))
    );
}
