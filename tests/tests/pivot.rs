//! `pivot_root` run as a user runs it, side by side with util-linux's `/usr/sbin/pivot_root`
//! for argument handling and errors, and for real inside `unshare -m` (never in the host's
//! mount namespace), checked through the kernel's mount table.

use tests::{
    MountTableUnchanged, Rootless, Run, busybox_root, initramfs_files, ours, reference, scratch,
    split_hint, switch_root_initramfs,
};

/// Ours and the reference `theirs`, both called `name` (argv[0]), on the same arguments.
fn both(name: &str, theirs: &std::path::Path, args: &[&str]) -> (tests::Output, tests::Output) {
    let run = |program: &std::path::Path| Run::new(program).arg0(name).args(args).run();
    (run(&ours(name)), run(theirs))
}

/// Our option in pivot_root's --help, the only line util-linux's has not.
const MOVE_IF_ROOTFS_HELP: &str = " --move-if-rootfs
                (ours; first argument only) when / is the
                initramfs, move new_root over it instead;
                put_old is unused, the old root stays under
                the new one; then run: chroot . command

";

#[test]
fn arguments_and_errors_side_by_side() {
    let Some(theirs) = reference("pivot_root") else {
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
        let (a, b) = both("pivot_root", &theirs, args);
        assert_eq!(a.code, b.code, "{args:?}: {a:#?} {b:#?}");
        if args.first() != Some(&"-V") {
            // Ours adds a hint line where it finds the cause (tests/tests/hostile_mounts.rs).
            let (ours, _) = split_hint(&a.stderr, "pivot_root");
            assert_eq!(ours, b.stderr, "{args:?}");
            // Our --move-if-rootfs is in --help (a deliberate difference, in NOTES).
            let stdout = a.stdout.replace(MOVE_IF_ROOTFS_HELP, "");
            assert_eq!(stdout, b.stdout, "{args:?}");
            if args
                .first()
                .is_some_and(|a| a.starts_with("-h") || *a == "--help")
            {
                assert!(a.stdout.contains(MOVE_IF_ROOTFS_HELP), "{}", a.stdout);
            }
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
        exit 7' first-arg second"#;
    let out = switch_root_initramfs(&root, &files, ":", init).run();
    assert_eq!(out.code, Some(7), "{out:#?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "args: first-arg second", "{out:#?}");
    assert!(
        lines[1].starts_with("root: ")
            && lines[1].contains(" / / rw,relatime - tmpfs nsutils-newroot rw"),
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
    let Some(theirs) = reference("switch_root") else {
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
        let (a, b) = both("switch_root", &theirs, args);
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
        let out = switch_root_initramfs(&root, &files, &setup, "sh -c \"$SWITCH_NOW\"")
            .env("SWITCH_NOW", &switch)
            .run();
        assert_eq!(
            out.stderr,
            format!("{message}switch_root: failed. Sorry.\n"),
            "{switch}: {out:#?}"
        );
        assert_eq!(
            out.stdout, "rc=1\nunchanged\n/bin/data\n/new/marker\n",
            "{switch}: {out:#?}"
        );
    }
}

/// A busybox root file system in a scratch directory that nobody may read too (the rootless
/// test), with `proc dev sys tmp` made beforehand so an unprivileged pivot needs no mkdir.
fn busybox_rootfs() -> Option<(tempfile::TempDir, std::path::PathBuf)> {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = d.path().join("rootfs");
    if !busybox_root(&root) {
        return None;
    }
    for dir in ["proc", "dev", "sys", "tmp", "old", "home"] {
        std::fs::create_dir(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("bin/data"), "not a program\n").unwrap();
    Some((d, root))
}

/// The mount table lines of `text` (a /proc/self/mountinfo dump) as (mount point, options,
/// fstype, super options, root).
fn mounts(text: &str) -> Vec<(String, String, String, String, String)> {
    text.lines()
        .filter_map(|l| {
            let (left, right) = l.split_once(" - ")?;
            let f: Vec<&str> = left.split(' ').collect();
            let r: Vec<&str> = right.split(' ').collect();
            Some((
                f.get(4)?.to_string(),
                f.get(5)?.to_string(),
                r.first()?.to_string(),
                r.get(2)?.to_string(),
                f.get(3)?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn pivot_enters_a_busybox_root_with_the_requested_mounts() {
    let _host = MountTableUnchanged::new();
    let Some((d, root)) = busybox_rootfs() else {
        return;
    };
    let data = d.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("file"), "from the host\n").unwrap();
    let bind = format!("{}:/srv/data:ro", data.display());
    let script = r#"
        echo "pid $$"; hostname; pwd; cat file
        echo x > /dev/null && echo "null ok"
        { echo y > file; } 2>/dev/null || echo "bind read-only"
        cat /proc/self/mountinfo
        exit 3"#;
    let out = Run::new(ours("unshare"))
        .args(["-fpmuin"])
        .arg_os(ours("pivot"))
        .args(["--proc", "--sys", "--dev", "--tmp", "--hostname", "box"])
        .args(["--bind", &bind, "-w", "/srv/data"])
        .arg_os(&root)
        .args(["/bin/sh", "-c", script])
        .run();
    assert_eq!(out.code, Some(3), "{out:#?}");
    let mut lines = out.stdout.lines();
    assert_eq!(
        [
            lines.next(),
            lines.next(),
            lines.next(),
            lines.next(),
            lines.next(),
            lines.next()
        ],
        [
            Some("pid 1"),
            Some("box"),
            Some("/srv/data"),
            Some("from the host"),
            Some("null ok"),
            Some("bind read-only")
        ],
        "{out:#?}"
    );
    let table = mounts(&out.stdout);
    let find = |point: &str| {
        table
            .iter()
            .find(|m| m.0 == point)
            .unwrap_or_else(|| panic!("no mount at {point}: {out:#?}"))
    };
    // "/" is the new root (a bind of the directory, as the kernel shows it), and nothing of
    // the old root is left: every mount point is one pivot made.
    assert!(
        find("/").4.ends_with("/rootfs"),
        "root of /: {:?}",
        find("/")
    );
    let mut points: Vec<&str> = table.iter().map(|m| m.0.as_str()).collect();
    points.sort_unstable();
    assert_eq!(
        points,
        [
            "/",
            "/dev",
            "/dev/full",
            "/dev/null",
            "/dev/pts",
            "/dev/random",
            "/dev/shm",
            "/dev/tty",
            "/dev/urandom",
            "/dev/zero",
            "/proc",
            "/srv/data",
            "/sys",
            "/tmp"
        ],
        "{out:#?}"
    );
    let flags = |point: &str| {
        find(point)
            .1
            .split(',')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(find("/proc").2, "proc");
    assert!(
        ["nosuid", "nodev", "noexec"]
            .iter()
            .all(|f| flags("/proc").contains(&f.to_string()))
    );
    assert_eq!(find("/sys").2, "sysfs");
    assert!(
        flags("/sys").contains(&"ro".to_owned()),
        "{:?}",
        find("/sys")
    );
    assert_eq!(find("/dev").2, "tmpfs");
    assert_eq!(find("/dev/null").2, "devtmpfs");
    assert_eq!(find("/dev/null").4, "/null");
    assert_eq!(find("/dev/pts").2, "devpts");
    assert!(
        find("/dev/pts").3.contains("ptmxmode=666"),
        "{:?}",
        find("/dev/pts")
    );
    assert_eq!(find("/dev/shm").2, "tmpfs");
    assert_eq!(find("/tmp").2, "tmpfs");
    assert!(flags("/srv/data").contains(&"ro".to_owned()));
    assert!(find("/srv/data").4.ends_with("/data"));
    assert!(flags("/").contains(&"rw".to_owned()));
    // The mount points pivot made in the root file system; the links are in the new /dev.
    assert!(root.join("srv/data").is_dir());
    assert_eq!(out.stderr, "", "{out:#?}");
}

#[test]
fn pivot_keeps_the_old_root_at_put_old_and_can_make_the_root_read_only() {
    let _host = MountTableUnchanged::new();
    let Some((_d, root)) = busybox_rootfs() else {
        return;
    };
    let put_old = root.join("old");
    let script = r#"
        { echo y > /new-file; } 2>/dev/null || echo "root read-only"
        grep -E " / | /old " /old/proc/self/mountinfo"#;
    let out = Run::new(ours("unshare"))
        .args(["-m"])
        .arg_os(ours("pivot"))
        .args(["--read-only", "--put-old"])
        .arg_os(&put_old)
        .arg_os(&root)
        .args(["/bin/sh", "-c", script])
        .run();
    let text = out.ok();
    assert!(text.starts_with("root read-only\n"), "{text}");
    let table = mounts(text);
    let slash = table.iter().find(|m| m.0 == "/").expect("a / line");
    assert!(
        slash.1.starts_with("ro,") && slash.4.ends_with("/rootfs"),
        "{text}"
    );
    // The host's root, now at /old: the same file system as the host's "/".
    let host_root = mounts(&std::fs::read_to_string("/proc/self/mountinfo").unwrap())
        .into_iter()
        .find(|m| m.0 == "/")
        .expect("host /");
    let old = table.iter().find(|m| m.0 == "/old").expect("an /old line");
    assert_eq!((&old.2, &old.4), (&host_root.2, &host_root.4), "{text}");
    assert!(!root.join("new-file").exists());
}

#[test]
fn pivot_passes_the_exit_status_and_signal_through() {
    let Some((_d, root)) = busybox_rootfs() else {
        return;
    };
    let run = |script: &str| {
        Run::new(ours("unshare"))
            .args(["-m"])
            .arg_os(ours("pivot"))
            .arg_os(&root)
            .args(["/bin/sh", "-c", script])
            .run()
    };
    assert_eq!(run("exit 42").code, Some(42));
    let killed = run("kill -TERM $$");
    assert_eq!(
        (killed.code, killed.signal),
        (None, Some(15)),
        "{killed:#?}"
    );
    // The default command: $SHELL when the new root has it, else /bin/sh.
    let out = Run::new(ours("unshare"))
        .args(["-m"])
        .arg_os(ours("pivot"))
        .arg_os(&root)
        .env("SHELL", "/bin/no-such-shell")
        .stdin("echo shell $0\n")
        .run();
    assert_eq!(out.ok(), "shell /bin/sh\n");
    let out = Run::new(ours("unshare"))
        .args(["-m"])
        .arg_os(ours("pivot"))
        .arg_os(&root)
        .env("SHELL", "/bin/ash")
        .stdin("echo shell $0\n")
        .run();
    assert_eq!(out.ok(), "shell /bin/ash\n");
}

/// As each unprivileged user (nobody; the login user in its session in the systemd guest).
#[test]
fn pivot_runs_unprivileged_in_a_user_namespace() {
    let Some((_d, root)) = busybox_rootfs() else {
        return;
    };
    for user in Rootless::all() {
        let out = user
            .run(ours("unshare"))
            .args(["-Ur", "-fpmuin"])
            .arg_os(ours("pivot"))
            .args([
                "--proc",
                "--dev",
                "--sys",
                "--tmp",
                "--hostname",
                "rootless",
            ])
            .arg_os(&root)
            .args([
                "/bin/sh",
                "-c",
                "id -u; hostname; echo x > /dev/null && grep -c . /proc/self/mountinfo",
            ])
            .run();
        // 13 mounts: /, proc, sys, the /dev tmpfs, 6 devices, pts, shm, tmp.
        assert_eq!(out.ok(), "0\nrootless\n13\n", "{user:?}");
    }
}

#[test]
fn pivot_into_a_copy_on_write_root_from_ovlmount() {
    let _host = MountTableUnchanged::new();
    let Some((d, root)) = busybox_rootfs() else {
        return;
    };
    let script = r#"
        set -e
        "$O" mount --lower "$D/rootfs" --upper "$D/upper" --work "$D/work" --create "$D/merged"
        "$P" --proc "$D/merged" /bin/sh -c 'echo changed > /bin/data; rm /bin/cat; echo done'
    "#;
    let out = Run::new(ours("unshare"))
        .args(["-m", "/bin/sh", "-c", script])
        .env("O", ours("ovlmount"))
        .env("P", ours("pivot"))
        .env("D", d.path())
        .run();
    assert_eq!(out.ok(), "done\n");
    // The writes went to the upper layer; the root file system is as it was.
    assert_eq!(
        std::fs::read_to_string(d.path().join("upper/bin/data")).unwrap(),
        "changed\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("bin/data")).unwrap(),
        "not a program\n"
    );
    assert!(root.join("bin/cat").exists());
}

/// A listing of every path under `dir`, to show a refused pivot created nothing there.
fn tree(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut paths = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                todo.push(path.clone());
            }
            paths.push(path);
        }
    }
    paths.sort();
    paths
}

#[test]
fn pivot_refuses_bad_input_before_changing_anything() {
    let _host = MountTableUnchanged::new();
    let Some((d, root)) = busybox_rootfs() else {
        return;
    };
    let before = tree(&root);
    let r = root.display().to_string();
    let outside = d.path().display().to_string();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![],
            format!(
                "{}: no new root given\nTry 'pivot --help' for more information.",
                ours("pivot").display()
            ),
        ),
        (
            vec![format!("{outside}/missing")],
            format!("pivot: cannot open new root {outside}/missing: No such file or directory"),
        ),
        (
            vec![format!("{r}/bin/data")],
            format!("pivot: cannot open new root {r}/bin/data: Not a directory"),
        ),
        (
            vec!["/".into()],
            "pivot: new root / is the current root already".into(),
        ),
        (
            vec![r.clone(), "/bin/no-such-program".into()],
            format!(
                "pivot: cannot run /bin/no-such-program in the new root {r}: No such file or directory"
            ),
        ),
        (
            vec![r.clone(), "no-such-program".into()],
            format!(
                "pivot: cannot run no-such-program in the new root {r}: No such file or directory"
            ),
        ),
        (
            vec![r.clone(), "/bin/data".into()],
            format!("pivot: cannot run /bin/data in the new root {r}: Permission denied"),
        ),
        (
            vec!["--put-old".into(), outside.clone(), r.clone()],
            format!("pivot: --put-old {outside} is not a directory under the new root {r}"),
        ),
        (
            vec!["--put-old".into(), r.clone(), r.clone()],
            format!("pivot: --put-old {r} is not a directory under the new root {r}"),
        ),
        (
            vec!["--put-old".into(), format!("{r}/nowhere"), r.clone()],
            format!("pivot: --put-old {r}/nowhere: No such file or directory"),
        ),
        (
            vec!["-w".into(), "/nowhere".into(), r.clone()],
            format!(
                "pivot: cannot change directory to /nowhere in the new root {r}: No such file or directory"
            ),
        ),
        (
            vec!["--bind".into(), format!("{outside}/missing:/x"), r.clone()],
            format!("pivot: cannot bind {outside}/missing: No such file or directory"),
        ),
        (
            vec!["--bind".into(), "/tmp".into(), r.clone()],
            "pivot: --bind '/tmp': expected src:dst[:ro][:idmap=MAP]".into(),
        ),
    ];
    // Inside a mount namespace: its table must read the same after the refusal.
    let script = r#"before=$(cat /proc/self/mountinfo); "$P" "$@"; rc=$?; [ "$before" = "$(cat /proc/self/mountinfo)" ] && echo unchanged; exit $rc"#;
    for (args, message) in cases {
        let out = Run::new(ours("unshare"))
            .args(["-m", "/bin/sh", "-c", script, "sh"])
            .args(&args)
            .env("P", ours("pivot"))
            .run();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.trim_end()),
            (Some(1), "unchanged\n", message.as_str()),
            "{args:?}"
        );
        assert_eq!(tree(&root), before, "{args:?}");
    }
    // In the host's own namespaces. Should the check fail, the missing program still stops
    // pivot before it changes anything, and the message differs.
    let out = Run::new(ours("pivot"))
        .arg_os(&root)
        .args(["/bin/no-such-program"])
        .run();
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            Some(1),
            "pivot: refusing to pivot in the initial mount namespace, where it would change the root of the whole system; run it in a new one (unshare -m pivot ...), or add --force\n"
        )
    );
    let out = Run::new(ours("unshare"))
        .args(["-m"])
        .arg_os(ours("pivot"))
        .args(["--hostname", "renamed"])
        .arg_os(&root)
        .args(["/bin/no-such-program"])
        .run();
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            Some(1),
            "pivot: refusing to set the hostname in the initial UTS namespace, which would rename the host; run it in a new one (unshare -u), or add --force\n"
        )
    );
    assert_eq!(tree(&root), before);
}

#[test]
fn pivot_explains_a_shared_parent_mount() {
    let _host = MountTableUnchanged::new();
    let Some((d, root)) = busybox_rootfs() else {
        return;
    };
    // A chroot whose root is a mount with a shared parent outside it: making "/" private
    // inside the chroot cannot reach that parent, and pivot_root(2) refuses. The shared
    // parent is a tmpfs of our own in a private namespace, so nothing propagates to the host.
    let outer = d.path().join("outer");
    std::fs::create_dir(&outer).unwrap();
    let jail = outer.join("jail");
    let script = r#"
        set -e
        mount -t tmpfs nsutils-outer "$OUTER"
        mount --make-shared "$OUTER"
        mkdir "$J"
        mount -t tmpfs nsutils-jail "$J"
        mkdir "$J/proc" "$J/rootfs"
        cp -a "$R/bin" "$J/"
        cp -a "$R/bin" "$J/rootfs/"
        cp "$P" "$J/bin/pivot"
        mount -t proc proc "$J/proc"
        set +e
        chroot "$J" /bin/pivot /rootfs /bin/true
        echo "rc=$?"
        grep -c " $J/rootfs " /proc/self/mountinfo
    "#;
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("OUTER", &outer)
        .env("J", &jail)
        .env("R", &root)
        .env("P", ours("pivot"))
        .run();
    // rc 1 and the self-bind of /rootfs undone (no mount at it).
    assert_eq!(out.stdout, "rc=1\n0\n", "{out:#?}");
    assert_eq!(
        out.stderr,
        "pivot: cannot pivot into /rootfs: Invalid argument\n\
         pivot: hint: no mount this process can see is shared, so a mount above the current \
         root, outside its view (a chroot?), is, and pivot_root(2) moves no mount under a shared \
         one; run pivot at the root of its own mount namespace: unshare -m pivot\n"
    );
}
