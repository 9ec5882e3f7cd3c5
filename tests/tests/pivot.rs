//! `pivot_root` run as a user runs it, side by side with util-linux's `/usr/sbin/pivot_root`
//! for argument handling and errors, and for real inside `unshare -m` (never in the host's
//! mount namespace), checked through the kernel's mount table.

use tests::{MountTableUnchanged, Run, busybox_root, ours, reference, scratch};

#[test]
fn arguments_and_errors_side_by_side() {
    let Some(theirs) = reference("/usr/sbin/pivot_root") else {
        return;
    };
    let _host = MountTableUnchanged::new();
    for args in [
        &[][..],
        &["a"],
        &["a", "b", "c"],
        &["--", "a", "b"],
        &["/nonexistent", "/nonexistent2"],
        &["/", "/tmp"],
        &["--bogus", "a", "b"],
        &["-V", "a"],
        &["--help"],
        &["-h", "a"],
    ] {
        let a = Run::new(ours("pivot_root"))
            .arg0("pivot_root")
            .args(args)
            .run();
        let b = Run::new(&theirs).arg0("pivot_root").args(args).run();
        assert_eq!(a.code, b.code, "{args:?}: {a:#?} {b:#?}");
        if args.first() != Some(&"-V") {
            assert_eq!(a.stderr, b.stderr, "{args:?}");
            assert_eq!(a.stdout, b.stdout, "{args:?}");
        }
    }
    let out = Run::new(ours("pivot_root"))
        .args(["/nonexistent", "/x"])
        .run();
    assert_eq!(
        out.stderr,
        "pivot_root: failed to change root from `/nonexistent' to `/x': No such file or directory\n"
    );
}

#[test]
fn pivots_into_a_tmpfs() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    // After the pivot only the shell's builtins remain; they read the kernel's mount table
    // through the old root kept at /old.
    let script = r#"
        mount -t tmpfs nsutils-newroot "$D" && mkdir "$D/old" && cd "$D" &&
        "$P" . old && echo rc=$? &&
        while read -r l; do case "$l" in *" / / "*) echo "root: $l";; *" / /old "*) echo "old: $l";; esac; done < /old/proc/self/mountinfo
    "#;
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("P", ours("pivot_root"))
        .env("D", d.path())
        .run();
    let text = out.ok();
    assert!(text.starts_with("rc=0\n"), "{text}");
    let root = text
        .lines()
        .find(|l| l.starts_with("root: "))
        .unwrap_or_default();
    assert!(root.contains(" - tmpfs nsutils-newroot "), "{text}");
    assert!(text.lines().any(|l| l.starts_with("old: ")), "{text}");
}

/// The throw-away initramfs of the switch_root tests: a tmpfs made `/` of a private mount
/// namespace (pivot_root, old root detached), with busybox and our switch_root in `/bin`,
/// proc, a tmpfs /dev with a null device, sysfs and a tmpfs /run mounted, and a new root
/// `/new` (a tmpfs with busybox and `proc dev sys` but no `run`). `$SETUP_NEW` runs in the
/// old root before the switch; `$SWITCH` is the switch_root command line.
const INITRAMFS: &str = r#"
set -e
mount -t tmpfs nsutils-initramfs "$D"
mkdir "$D/new" "$D/proc" "$D/dev" "$D/sys" "$D/run" "$D/keep" "$D/oldhost"
cp -a "$R/." "$D/"
echo data > "$D/bin/data"
mount -t tmpfs nsutils-newroot "$D/new"
mkdir "$D/new/proc" "$D/new/dev" "$D/new/sys"
cp -a "$R/." "$D/new/"
mount -t tmpfs nsutils-keep "$D/keep"
echo kept > "$D/keep/file"
cd "$D"
/usr/sbin/pivot_root . oldhost
export PATH=/bin
mount -t proc proc /proc
umount -l /oldhost
rmdir /oldhost
mount -t tmpfs dev /dev
mknod /dev/null c 1 3
mount -t sysfs sys /sys
mount -t tmpfs run /run
eval "$SETUP_NEW"
# A process that keeps the old root as its root, to look into it after the switch; it must
# have opened /dev/null before /dev moves.
sleep 300 &
export S=$!
until [ "$(readlink /proc/$S/exe)" = /bin/busybox ]; do :; done
grep -c . /proc/self/mountinfo > /run/before
eval "exec $SWITCH"
"#;

/// Build the busybox root (plus our switch_root) that INITRAMFS copies, or skip.
fn initramfs_files(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let files = dir.join("files");
    std::fs::create_dir_all(files.join("bin")).unwrap();
    std::fs::copy(ours("switch_root"), files.join("bin/switch_root")).unwrap();
    busybox_root(&files).then_some(files)
}

#[test]
fn switch_root_carries_mounts_over_and_clears_the_initramfs() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let Some(files) = initramfs_files(d.path()) else {
        return;
    };
    let root = d.path().join("root");
    std::fs::create_dir(&root).unwrap();
    // As init: report what the kernel shows, wait for the old root to empty, end the sleeper.
    let init = r#"/bin/switch_root /new /bin/sh -c '
        echo "args: $0 $1"
        grep " / / " /proc/self/mountinfo | sed "s/^/root: /"
        for m in proc dev sys run; do grep -q " /$m " /proc/self/mountinfo && echo "mounted: /$m"; done
        i=0; while [ $i -lt 200 ] && [ "$(ls -A /proc/$S/root/)" != keep ]; do sleep 0.05; i=$((i+1)); done
        echo "old root: $(ls -A /proc/$S/root/ | tr "\n" " ")"
        echo "kept: $(cat /proc/$S/root/keep/file)"
        kill $S
        exit 7' first-arg"#;
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", INITRAMFS])
        .env("D", &root)
        .env("R", &files)
        .env("SETUP_NEW", ":")
        .env("SWITCH", init)
        .run();
    assert_eq!(out.code, Some(7), "{out:#?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "args: /bin/sh first-arg", "{out:#?}");
    assert!(
        lines[1].starts_with("root: ")
            && lines[1].ends_with(" / / rw,relatime - tmpfs nsutils-newroot rw"),
        "{out:#?}"
    );
    // /dev, /proc and /sys moved; /run had no directory in the new root, so it was detached.
    assert_eq!(
        &lines[2..5],
        ["mounted: /proc", "mounted: /dev", "mounted: /sys"],
        "{out:#?}"
    );
    // Everything of the old tmpfs root is gone except the mount point of another file
    // system, whose contents were not touched.
    assert_eq!(lines[5], "old root: keep ", "{out:#?}");
    assert_eq!(lines[6], "kept: kept", "{out:#?}");
    assert_eq!(out.stderr, "", "{out:#?}");
}

#[test]
fn switch_root_arguments_side_by_side() {
    let Some(theirs) = reference("/usr/sbin/switch_root") else {
        return;
    };
    let _host = MountTableUnchanged::new();
    // Only inputs that fail before util-linux's switch_root changes anything.
    for args in [
        &[][..],
        &["a"],
        &["", "x"],
        &["x", ""],
        &["--bogus", "a", "b"],
        &["--help"],
        &["--he"],
        &["-h", "a", "b"],
        &["/nonexistent", "/sbin/init"],
    ] {
        let a = Run::new(ours("switch_root"))
            .arg0("switch_root")
            .args(args)
            .run();
        let b = Run::new(&theirs).arg0("switch_root").args(args).run();
        assert_eq!(
            (a.code, &a.stdout, &a.stderr),
            (b.code, &b.stdout, &b.stderr),
            "{args:?}"
        );
    }
    let out = Run::new(ours("switch_root")).args(["-V"]).run();
    assert!(
        out.ok().starts_with("switch_root from nsutils "),
        "{out:#?}"
    );
}

#[test]
fn switch_root_refuses_before_moving_anything() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let Some(files) = initramfs_files(d.path()) else {
        return;
    };
    let root = d.path().join("root");
    std::fs::create_dir(&root).unwrap();
    // After a refusal the old root's shell goes on: nothing may have moved.
    let after = r#"; echo "rc=$?"; grep -c . /proc/self/mountinfo | cmp -s - /run/before && echo unchanged; ls /new/marker /bin/data; kill $S"#;
    for (setup, switch, message) in [
        (
            ":",
            "/bin/switch_root /new/notmounted /bin/sh",
            "switch_root: /new/notmounted is not a mount point (mount --bind /new/notmounted /new/notmounted makes it one)\n",
        ),
        (
            ":",
            "/bin/switch_root / /bin/sh",
            "switch_root: / is already the root\n",
        ),
        (
            ":",
            "/bin/switch_root /new /sbin/init",
            "switch_root: cannot access /sbin/init in /new: No such file or directory\n",
        ),
        (
            ":",
            "/bin/switch_root /new /bin/data",
            "switch_root: cannot access /bin/data in /new: Permission denied\n",
        ),
        (
            ":",
            "/bin/switch_root /new/marker /bin/sh",
            "switch_root: stat of /new/marker failed: Not a directory\n",
        ),
        (
            "ln -s /nowhere /new/bin/dangling",
            "/bin/switch_root /new /bin/dangling",
            "switch_root: cannot access /bin/dangling in /new: No such file or directory\n",
        ),
    ] {
        let setup = format!("mkdir /new/notmounted; echo m > /new/marker; {setup}");
        let switch = format!("{switch}{after}");
        let out = Run::new(ours("unshare"))
            .args(["-m", "--propagation", "private", "/bin/sh", "-c", INITRAMFS])
            .env("D", &root)
            .env("R", &files)
            .env("SETUP_NEW", &setup)
            .env("SWITCH", "sh -c \"$SWITCH_NOW\"")
            .env("SWITCH_NOW", &switch)
            .run();
        assert_eq!(
            out.stderr,
            format!("{message}switch_root: failed. Sorry.\n"),
            "{switch}: {out:#?}"
        );
        assert_eq!(
            out.stdout, "rc=1\nunchanged\n/new/marker\n/bin/data\n",
            "{switch}: {out:#?}"
        );
    }
}
