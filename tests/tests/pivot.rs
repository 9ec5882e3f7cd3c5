//! `pivot_root` run as a user runs it, side by side with util-linux's `/usr/sbin/pivot_root`
//! for argument handling and errors, and for real inside `unshare -m` (never in the host's
//! mount namespace), checked through the kernel's mount table.

use tests::{MountTableUnchanged, Run, ours, reference, scratch};

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
