//! Idmapped layers and binds: `ovlmount mount --idmap`, `--userns`, `DIR:idmap=MAP`, `pivot
//! --bind SRC:DST:idmap=MAP`, and mount.overlay's answer to `X-mount.idmap`. Always inside a
//! private mount namespace made by our `unshare -m`; checked through the kernel: owners as
//! stat(2) sees them through the mount, owners on disk of what was written through it,
//! /proc/self/mountinfo.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use tests::{MountTableUnchanged, Output, Run, kernel_version, ours, reference, scratch, skip};

/// Run `script` with `sh` in a private mount namespace: `$O` is ovlmount, `$U` our unshare,
/// `$D` a scratch directory, and `vars` more.
fn in_mount_ns(dir: &Path, script: &str, vars: &[(&str, &Path)]) -> Output {
    let mut run = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("O", ours("ovlmount"))
        .env("U", ours("unshare"))
        .env("D", dir);
    for (name, value) in vars {
        run = run.env(name, value);
    }
    run.run()
}

/// overlayfs takes idmapped layers from Linux 5.19.
fn kernel_idmaps_layers() -> bool {
    if kernel_version() < (5, 19) {
        skip("idmapped overlay layers need Linux 5.19");
        return false;
    }
    true
}

/// Why this kernel cannot idmap the file system that holds `dir`, in the words of the hint
/// ovlmount and pivot print; `None` where it can. The VM guests run Linux 6.1 with everything
/// on tmpfs, which idmaps from 6.3: there the tests check the refusal instead, which is what
/// a user of such a kernel meets.
fn unidmappable(dir: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let (fstype, mount_point) = table
        .lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let point = left.split(' ').nth(4)?;
            let fstype = right.split(' ').next()?;
            dir.starts_with(point)
                .then(|| (fstype.to_owned(), point.to_owned()))
        })
        .max_by_key(|(_, point)| Path::new(point).components().count())?;
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    (fstype == "tmpfs" && kernel_version() < (6, 3)).then(|| {
        format!(
            "the tmpfs file system (mounted on {mount_point}) can be idmapped from Linux 6.3; \
             this kernel is {}",
            release.trim()
        )
    })
}

/// Assert that `prog` refused to idmap `what` for the reason `hint` (see [`unidmappable`]).
fn assert_fs_refused(out: &Output, prog: &str, what: &Path, hint: &str) {
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.ends_with(&format!(
            "{prog}: cannot idmap {}: Invalid argument\n{prog}: hint: {hint}\n",
            what.display()
        )),
        "{out:#?}"
    );
}

/// The owner on disk of `path`, as `uid:gid`.
fn owner(path: &Path) -> String {
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    format!("{}:{}", m.uid(), m.gid())
}

/// Make `dir` with a file `f` owned by `uid` on disk, and a file `other` owned by 100000.
fn layer(dir: &Path, uid: u32) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("f"), "lower\n").unwrap();
    std::fs::write(dir.join("other"), "other\n").unwrap();
    std::os::unix::fs::chown(dir.join("f"), Some(uid), Some(uid)).unwrap();
    std::os::unix::fs::chown(dir.join("other"), Some(100000), Some(100000)).unwrap();
}

#[test]
fn root_owned_lower_appears_owned_by_100000() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    layer(&d.path().join("image"), 0);
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir -p base u w m
        "$O" mount --idmap 0:100000:65536 -l image -l base -u u -w w m
        stat -c '%n %u:%g' m/f m/other
        echo more >> m/f; echo new > m/new
        grep " $D/m " /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1,3 | cut -d, -f1
        "$O" diff m"#,
        &[],
    );
    if let Some(hint) = unidmappable(d.path()) {
        assert_fs_refused(&out, "ovlmount", &d.path().join("image"), &hint);
        assert!(!d.path().join("u/new").exists());
        return;
    }
    // 0 on disk is 100000 through the mount; 100000 is outside the map: the overflow id.
    assert_eq!(
        out.ok(),
        // diff cannot read lowers named by ovlmount's descriptors: it compares without them,
        // by the kernel's copy-up marks (overlay.origin), which say /f came from a lower.
        "m/f 100000:100000\nm/other 65534:65534\noverlay rw\nM /f\nA /new\n",
        "{out:#?}"
    );
    let (image, upper) = (d.path().join("image"), d.path().join("u"));
    // The image is untouched; the copy-up holds the owner the overlay showed (the upper is
    // not idmapped), and root's new file is root's.
    assert_eq!(owner(&image.join("f")), "0:0");
    assert_eq!(std::fs::read_to_string(image.join("f")).unwrap(), "lower\n");
    assert_eq!(owner(&upper.join("f")), "100000:100000");
    assert_eq!(owner(&upper.join("new")), "0:0");
}

#[test]
fn shifted_image_appears_root_owned_and_writes_land_shifted() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    layer(&d.path().join("image"), 100000);
    let c = d.path().join("c");
    for dir in ["u", "w"] {
        std::fs::create_dir_all(c.join(dir)).unwrap();
        std::os::unix::fs::chown(c.join(dir), Some(100000), Some(100000)).unwrap();
    }
    std::fs::create_dir(d.path().join("m")).unwrap();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir base
        "$O" mount -l image:idmap=100000:0:65536 -l base -u c/u:idmap=100000:0:65536 -w c/w m
        stat -c '%n %u:%g' m m/f m/other
        echo more >> m/f; echo new > m/new; mkdir m/dir
        stat -c '%n %u:%g' m/new m/dir
        grep " $D/m " /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f3 | cut -d, -f1
        "$O" diff m || echo "diff: $?""#,
        &[],
    );
    if let Some(hint) = unidmappable(d.path()) {
        assert_fs_refused(&out, "ovlmount", &d.path().join("image"), &hint);
        return;
    }
    assert_eq!(
        out.ok(),
        "m 0:0\nm/f 0:0\nm/other 0:0\nm/new 0:0\nm/dir 0:0\nrw\ndiff: 1\n",
        "{out:#?}"
    );
    assert_eq!(
        out.stderr,
        "ovlmount: m: the upper layer was given to the kernel under a name only the \
         mounting process had (an idmapped upper layer); give the upper directory\n",
        "{out:#?}"
    );
    // What root wrote through the idmapped upper is owned by 100000 on disk.
    for name in ["f", "new", "dir"] {
        assert_eq!(owner(&c.join("u").join(name)), "100000:100000", "{name}");
    }
    assert_eq!(owner(&d.path().join("image/f")), "100000:100000");
}

#[test]
fn userns_file_lends_its_maps_and_per_layer_maps_win() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    layer(&d.path().join("a"), 0);
    layer(&d.path().join("b"), 0);
    std::fs::create_dir(d.path().join("m")).unwrap();
    // A process in a user namespace whose root is 200000; killed by its pid at the end.
    let mut holder = Run::new(ours("unshare"))
        .args([
            "--user",
            "--map-users=0:200000:100",
            "--map-groups=0:200000:100",
            "sleep",
            "100",
        ])
        .spawn();
    let ns = format!("/proc/{}/ns/user", holder.id());
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::read_to_string(format!("/proc/{}/uid_map", holder.id()))
            .is_ok_and(|m| m.contains("200000"))
    });
    let ns_path = Path::new(&ns).to_path_buf();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"
        "$O" mount --userns "$NS" -l a -l 'b:idmap=u:0:300000:1 g:0:300000:1' m
        stat -c '%n %u:%g' m/f m/other; umount m
        "$O" mount --idmap "$NS" -l a -l b m
        stat -c '%n %u:%g' m/f"#,
        &[("NS", &ns_path)],
    );
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(ready, "the namespace holder never got its map");
    if let Some(hint) = unidmappable(d.path()) {
        assert_fs_refused(&out, "ovlmount", &d.path().join("a"), &hint);
        return;
    }
    // a's f through the namespace's map; b (its own map) is below a, so f and other are a's.
    assert_eq!(
        out.ok(),
        "m/f 200000:200000\nm/other 65534:65534\nm/f 200000:200000\n",
        "{out:#?}"
    );
}

#[test]
fn a_layer_with_its_own_map_only() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    layer(&d.path().join("a"), 0);
    std::fs::create_dir_all(d.path().join("b")).unwrap();
    std::fs::write(d.path().join("b/g"), "b\n").unwrap();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir m
        "$O" mount -l b -l 'a:idmap=u:0:1000:1 g:0:2000:1' m
        stat -c '%n %u:%g' m/f m/g"#,
        &[],
    );
    if let Some(hint) = unidmappable(d.path()) {
        assert_fs_refused(&out, "ovlmount", &d.path().join("a"), &hint);
        return;
    }
    assert_eq!(out.ok(), "m/f 1000:2000\nm/g 0:0\n", "{out:#?}");
}

/// `$O mount ARGS` in a private mount namespace after `setup`: its exit status and stderr,
/// and whether anything was left mounted or in the temporary directory. The temporary
/// directory is the test's own: in a shared /tmp, the layers another test's overlay has
/// attached for the time of its mount (before Linux 6.15) would be seen here.
fn refused(d: &Path, setup: &str, args: &str) -> (Option<i32>, String) {
    let script = format!(
        r#"cd "$D"; mkdir -p tmp; export TMPDIR="$D/tmp"; {setup}
        before=$(wc -l < /proc/self/mountinfo)
        "$O" mount {args}; rc=$?
        after=$(wc -l < /proc/self/mountinfo)
        [ "$before" = "$after" ] || echo "mounts left: $before -> $after"
        ls -a "$TMPDIR" | grep '^\.ovlmount-layer-' || true
        exit $rc"#
    );
    let out = in_mount_ns(d, &script, &[]);
    assert_eq!(out.stdout, "", "{out:#?}");
    (out.code, out.stderr)
}

#[test]
fn refusals_name_the_cause_and_leave_nothing() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    let p = d.path().display().to_string();
    layer(&d.path().join("a"), 0);
    std::fs::create_dir_all(d.path().join("b")).unwrap();
    std::fs::create_dir_all(d.path().join("m")).unwrap();
    let cases: Vec<(&str, String, String)> = vec![
        (
            "",
            "-l a:idmap=0:1 -l b m".into(),
            "ovlmount: invalid id map '0:1': expected [u:|g:|b:]inner:outer:count \
             (blank-separated) or a user namespace file\n"
                .into(),
        ),
        (
            "",
            "--idmap 0:1:1 --userns /proc/self/ns/user -l a -l b m".into(),
            "ovlmount: --idmap and --userns are given together, or one of them twice\n".into(),
        ),
        (
            "",
            "--userns /proc/self/ns/net -l a -l b m".into(),
            "ovlmount: /proc/self/ns/net is not a user namespace file\n".into(),
        ),
        (
            "",
            "--userns /proc/self/ns/user -l a -l b m".into(),
            "ovlmount: /proc/self/ns/user is the initial user namespace, which cannot idmap a \
             mount (its mapping changes nothing)\n"
                .into(),
        ),
        // ramfs has no idmapped mounts (no FS_ALLOW_IDMAP).
        (
            "mkdir -p r; mount -t ramfs none r; mkdir r/x",
            "--idmap 0:100000:65536 -l r/x -l b m".into(),
            format!(
                "ovlmount: cannot idmap {p}/r/x: Invalid argument\n\
                 ovlmount: hint: the ramfs file system (mounted on {p}/r) does not support \
                 idmapped mounts; ext4, xfs and btrfs do, tmpfs from Linux 6.3\n"
            ),
        ),
        // An upper mapped so that root, who makes the work directory, is not in the map
        // (where the scratch file system cannot be idmapped, the directory holding upper and
        // work is refused first).
        (
            "mkdir -p u w",
            "-l a -u u:idmap=0:100000:65536 -w w m".into(),
            match unidmappable(d.path()) {
                Some(hint) => format!(
                    "ovlmount: cannot idmap {p}: Invalid argument\novlmount: hint: {hint}\n"
                ),
                None => format!(
                    "ovlmount: overlayfs could not make its work directory through the \
                     idmapped upper layer and would mount {p}/m read-only: the upper's mapping \
                     must map the ids of the mounter (root) too, as 100000:0:65536 does, and \
                     its work directory must not hold files made under another mapping\n"
                ),
            },
        ),
    ];
    for (setup, args, expected) in cases {
        let (code, stderr) = refused(d.path(), setup, &args);
        assert_eq!(
            (code, stderr.as_str()),
            (Some(1), expected.as_str()),
            "{args}"
        );
    }
}

#[test]
fn a_user_namespace_cannot_idmap_the_hosts_file_system() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    layer(&d.path().join("a"), 0);
    std::fs::create_dir_all(d.path().join("b")).unwrap();
    std::fs::create_dir_all(d.path().join("m")).unwrap();
    // Reachable by the namespace's root (mapped to the caller, root): the scratch directory.
    let out = in_mount_ns(
        d.path(),
        r#"cd "$D"; "$U" --user --map-root-user --mount "$O" mount --idmap 0:0:1 -l a -l b m"#,
        &[],
    );
    // The kernel checks the file system's idmap support before the caller's privilege.
    if let Some(hint) = unidmappable(d.path()) {
        assert_fs_refused(&out, "ovlmount", &d.path().join("a"), &hint);
        return;
    }
    assert_eq!(out.code, Some(1), "{out:#?}");
    let (message, hint) = tests::split_hint(&out.stderr, "ovlmount");
    assert_eq!(
        message,
        format!(
            "ovlmount: cannot idmap {}/a: Operation not permitted\n",
            d.path().display()
        ),
        "{out:#?}"
    );
    let hint = hint.unwrap_or_default();
    assert!(
        hint.contains("was mounted outside this user namespace")
            && hint.ends_with("run this from the initial user namespace"),
        "{out:#?}"
    );
}

#[test]
fn an_idmapped_mount_cannot_be_mapped_again() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let Some(mount) = reference("mount") else {
        return;
    };
    let d = scratch();
    let p = d.path().display().to_string();
    layer(&d.path().join("a"), 0);
    std::fs::create_dir_all(d.path().join("b")).unwrap();
    std::fs::create_dir_all(d.path().join("m")).unwrap();
    std::fs::create_dir_all(d.path().join("shifted")).unwrap();
    let out = in_mount_ns(
        d.path(),
        r#"cd "$D"; "$M" --bind -o X-mount.idmap=0:100000:65536 a shifted || exit 9
        stat -c '%n %u:%g' shifted/f
        "$O" mount --idmap 0:1:1 -l shifted -l b m"#,
        &[("M", &mount)],
    );
    // No idmapped mount can be made of this file system here: mount(8) is refused too.
    if unidmappable(d.path()).is_some() {
        assert_eq!(out.code, Some(9), "{out:#?}");
        assert!(out.stderr.contains("mount_setattr() failed"), "{out:#?}");
        return;
    }
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "shifted/f 100000:100000\n", "{out:#?}");
    assert_eq!(
        out.stderr,
        format!(
            "ovlmount: cannot idmap {p}/shifted: Operation not permitted\n\
             ovlmount: hint: the mount on {p}/shifted is idmapped already, and a mount takes one \
             id mapping (a copy of an idmapped mount can be mapped again only with \
             open_tree_attr, Linux 6.15, which this program does not use yet); give the \
             directory beneath it\n"
        ),
        "{out:#?}"
    );
}

#[test]
fn mount_overlay_honours_the_x_mount_idmap_that_mount_8_keeps_from_it() {
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let Some(mount) = reference("mount") else {
        return;
    };
    let d = scratch();
    let p = d.path().display().to_string();
    // mount.overlay "installed" by an overlay over /usr/sbin, as in ovlmount.rs. Without the
    // helper, mount(8) fails (exit 32): it idmaps the overlay mount itself, which overlayfs
    // refuses. With it, mount(8) passes the helper no X-* option; the helper reads it from
    // mount(8)'s command line and idmaps the lower layers.
    let out = in_mount_ns(
        d.path(),
        r#"cd "$D"; mkdir sbin-up sbin-work a b m; echo x > a/f
        "$M" -t overlay -o "lowerdir=$D/a:$D/b,X-mount.idmap=0:100000:65536" none "$D/m"
        echo "without: $? $(grep -c " $D/m " /proc/self/mountinfo)"
        cp "$O" sbin-up/mount.overlay
        "$O" mount -l /usr/sbin -u sbin-up -w sbin-work /usr/sbin
        "$M" -t overlay -o "lowerdir=$D/a:$D/b,X-mount.idmap=0:100000:65536" none "$D/m"
        echo "option: $?"; stat -c '%n %u:%g' m/f; umount m
        "$M" -t overlay --map-users=0:100000:65536 --map-groups 0:200000:65536 \
            -o "lowerdir=$D/a:$D/b" none "$D/m"
        echo "map-users: $?"; stat -c '%n %u:%g' m/f; umount m
        "$M" -t overlay -o "lowerdir=$D/a:$D/b,X-mount.idmap=u:0:1:1" none "$D/m"
        echo "users only: $? $(grep -c " $D/m " /proc/self/mountinfo)"
        "$M" -t overlay -o "lowerdir=$D/a:$D/b" none "$D/m"; echo "plain: $?"
        stat -c '%n %u:%g' m/f"#,
        &[("M", &mount)],
    );
    if let Some(hint) = unidmappable(d.path()) {
        assert!(
            out.stdout.starts_with("without: 32 0\noption: 1\n"),
            "{out:#?}"
        );
        let refusal = format!(
            "mount.overlay: cannot idmap {p}/a: Invalid argument\nmount.overlay: hint: {hint}\n"
        );
        assert!(out.stderr.contains(&refusal), "{out:#?}");
        return;
    }
    assert_eq!(
        out.stdout,
        "without: 32 0\noption: 0\nm/f 100000:100000\nmap-users: 0\nm/f 100000:200000\n\
         users only: 1 0\nplain: 0\nm/f 0:0\n",
        "{out:#?}"
    );
    assert_eq!(
        out.stderr,
        format!(
            "mount: {p}/m: mount_setattr() failed: cannot set ID-mapping: Invalid argument.\n       \
             dmesg(1) may have more information after failed mount system call.\n\
             mount.overlay: id map 'u:0:1:1' maps no groups: the kernel takes an id mapping \
             only with both user and group ranges (b: or no prefix gives both)\n"
        ),
        "{out:#?}"
    );
}

#[test]
fn pivot_binds_a_directory_idmapped() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let root = d.path().join("rootfs");
    if !tests::busybox_root(&root) {
        return;
    }
    for dir in ["proc", "dev", "tmp"] {
        std::fs::create_dir(root.join(dir)).unwrap();
    }
    layer(&d.path().join("data"), 0);
    let bind = format!(
        "{}:/srv/data:idmap=0:100000:65536",
        d.path().join("data").display()
    );
    let bad = format!("{}:/srv/data:idmap=0:1", d.path().join("data").display());
    let out = Run::new(ours("unshare"))
        .args(["-mpf", "--propagation", "private"])
        .arg_os(ours("pivot"))
        .args(["--proc", "--bind", &bind])
        .arg_os(&root)
        .args([
            "/bin/sh",
            "-c",
            "stat -c '%n %u:%g' /srv/data/f /srv/data/other; { echo new > /srv/data/new; } 2>/dev/null || echo refused; \
             grep ' /srv/data ' /proc/self/mountinfo | cut -d' ' -f6",
        ])
        .run();
    if let Some(hint) = unidmappable(d.path()) {
        assert_fs_refused(&out, "pivot", &d.path().join("data"), &hint);
        return;
    }
    // The bind keeps its source mount's flags (nosuid,nodev on the systemd guest's /tmp) and
    // is idmapped.
    let (seen, options) = out
        .ok()
        .rsplit_once('\n')
        .and_then(|(rest, _)| rest.rsplit_once('\n'))
        .map(|(seen, options)| (format!("{seen}\n"), options.to_owned()))
        .unwrap_or_default();
    assert_eq!(
        seen, "/srv/data/f 100000:100000\n/srv/data/other 65534:65534\nrefused\n",
        "{out:#?}"
    );
    assert!(options.split(',').any(|o| o == "idmapped"), "{out:#?}");
    // Root (0) is not in the map: it cannot create files there (the kernel says EOVERFLOW).
    assert!(!d.path().join("data/new").exists());
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private"])
        .arg_os(ours("pivot"))
        .args(["--bind", &bad])
        .arg_os(&root)
        .args(["/bin/true"])
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        "pivot: invalid id map '0:1': expected [u:|g:|b:]inner:outer:count (blank-separated) \
         or a user namespace file\n",
        "{out:#?}"
    );
}

#[test]
fn an_unprivileged_user_is_told_idmapping_needs_root() {
    use std::os::unix::fs::PermissionsExt;
    let _host = MountTableUnchanged::new();
    if !kernel_idmaps_layers() {
        return;
    }
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for dir in ["a", "b", "m"] {
        std::fs::create_dir(d.path().join(dir)).unwrap();
    }
    let p = d.path().display().to_string();
    let out = Run::as_nobody(ours("ovlmount"))
        .args(["mount", "--idmap", "0:100000:65536"])
        .args([
            "-l",
            &format!("{p}/a"),
            "-l",
            &format!("{p}/b"),
            &format!("{p}/m"),
        ])
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        format!(
            "ovlmount: cannot bind {p}/a: Operation not permitted\n\
             ovlmount: hint: idmapped layers and binds need root (CAP_SYS_ADMIN over the \
             layers' file systems, which for a disk's is the initial user namespace's); a user \
             namespace of one's own cannot idmap them\n"
        ),
        "{out:#?}"
    );
}
