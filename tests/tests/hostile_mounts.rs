//! Refused mounts and pivots on hostile hosts, each produced for real: a `/proc` masked by
//! bind mounts, proc and sysfs without namespaces of the user namespace, every EINVAL (and
//! EBUSY, ENOTDIR) of pivot_root(2) that can be set up, a move under a shared parent, and
//! overlays refused. Where util-linux has the same tool, it runs side by side: the first lines
//! and the exit status must be its own, and ours adds exactly one line, `prog: hint: ...`.
//! Everything runs in private mount namespaces of the test's own, as root or as `nobody`.
//!
//! The causes that cannot be produced on these kernels are unit-tested over fake files in
//! crates/sys/src/diagnose/mounts.rs. `pivot` from an initramfs runs in the busybox guests'
//! stage 1 (tests/vm/init.sh), and [`pivot_from_the_initramfs_in_the_busybox_guests`] reads
//! what the container saw there.

use std::path::Path;

use tests::{
    AS_NOBODY, MountTableUnchanged, Output, Run, busybox_root, ours, reference, scratch,
    split_hint, systemd_host,
};

/// The shell function `run LABEL COMMAND...` that the scripts below use: it prints
/// `@@ LABEL rc=N` and then what the command wrote on stderr.
const RUN: &str = r#"
run() { label=$1; shift; "$@" 2> "$D/stderr"; echo "@@ $label rc=$?"; cat "$D/stderr"; }
"#;

/// One `run` of a script: its exit status and stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ran {
    rc: i32,
    stderr: String,
}

/// The runs of a script's output, by label.
fn runs(out: &Output) -> std::collections::BTreeMap<String, Ran> {
    let mut runs = std::collections::BTreeMap::new();
    let mut current: Option<(String, Ran)> = None;
    for line in out.stdout.lines() {
        if let Some(rest) = line.strip_prefix("@@ ") {
            if let Some((label, ran)) = current.take() {
                runs.insert(label, ran);
            }
            let (label, rc) = rest.split_once(" rc=").expect("@@ LABEL rc=N");
            let rc = rc.parse().expect("a status");
            current = Some((
                label.to_owned(),
                Ran {
                    rc,
                    stderr: String::new(),
                },
            ));
        } else if let Some((_, ran)) = current.as_mut() {
            ran.stderr.push_str(line);
            ran.stderr.push('\n');
        }
    }
    runs.extend(current);
    runs
}

/// `script` (after [`RUN`]) by `/bin/sh` in a new private mount namespace, with `$D` a scratch
/// directory of the test and `$U` our unshare, and `env` besides.
fn in_private_ns(dir: &Path, script: &str, env: &[(&str, &Path)]) -> Output {
    let mut run = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c"])
        .arg_os(format!("{RUN}{script}"))
        .env("D", dir)
        .env("U", ours("unshare"))
        .env("AS_NOBODY", AS_NOBODY);
    for (key, value) in env {
        run = run.env(key, value);
    }
    run.run()
}

/// Ours against util-linux's: the same status, and the same stderr once ours has its hint
/// line (the last) removed; that line is returned.
fn same_but_the_hint(prog: &str, ours: &Ran, theirs: &Ran) -> String {
    assert_eq!(ours.rc, theirs.rc, "{ours:#?} {theirs:#?}");
    let (first, hint) = split_hint(&ours.stderr, prog);
    assert_eq!(first, theirs.stderr, "{ours:#?} {theirs:#?}");
    hint.unwrap_or_else(|| panic!("no hint line: {ours:#?}"))
        .to_owned()
}

#[test]
fn a_masked_proc_refuses_a_new_proc_in_a_user_namespace() {
    let _host = MountTableUnchanged::new();
    let Some(theirs) = reference("unshare") else {
        return;
    };
    let d = scratch();
    // Masked as docker and podman mask it: /dev/null over some files, /proc/sys read-only.
    let script = r#"
        set -e
        for f in kcore keys timer_list sched_debug; do
            [ ! -e "/proc/$f" ] || mount --bind /dev/null "/proc/$f"
        done
        mount --bind /proc/sys /proc/sys
        mount -o remount,bind,ro /proc/sys
        set +e
        run ours $AS_NOBODY "$U" -Urpf --mount-proc true
        run theirs $AS_NOBODY "$T" -Urpf --mount-proc true
        echo "@@ mountinfo rc=0"
        cat /proc/self/mountinfo
    "#;
    let out = in_private_ns(d.path(), script, &[("T", &theirs)]);
    let runs = runs(&out);
    let hint = same_but_the_hint("unshare", &runs["ours"], &runs["theirs"]);
    assert_eq!(runs["ours"].rc, 1);
    assert_eq!(
        runs["theirs"].stderr,
        "unshare: mount /proc failed: Operation not permitted\n"
    );
    // What covers /proc, from the kernel's table: the mounts whose parent is /proc's, but the
    // kernel's own empty mount point binfmt_misc.
    let table: Vec<Vec<&str>> = runs["mountinfo"]
        .stderr
        .lines()
        .map(|l| l.split(' ').collect())
        .collect();
    let proc_id = table.iter().find(|f| f[4] == "/proc").unwrap()[0];
    let covered: Vec<&str> = table
        .iter()
        .filter(|f| f[1] == proc_id && f[4] != "/proc/sys/fs/binfmt_misc")
        .map(|f| f[4].trim_start_matches("/proc/"))
        .collect();
    assert!(covered.contains(&"sys"), "{covered:?}");
    assert_eq!(
        hint,
        format!(
            "/proc is partly masked ({} mounted over), and the kernel mounts no new proc in a \
             user namespace while every proc it has is masked; run with an unmasked /proc \
             (docker, podman: --security-opt systempaths=unconfined), or bind the existing one: \
             mount --rbind /proc DIR",
            covered.join(" ")
        )
    );
}

#[test]
fn proc_needs_a_pid_namespace_made_in_the_user_namespace() {
    let Some(theirs) = reference("unshare") else {
        return;
    };
    // No --pid, and --pid without --fork (the process itself stays in the host's pid
    // namespace): both refused, as nobody.
    for args in [&["-Ur", "--mount-proc"][..], &["-Urp", "--mount-proc"]] {
        let run = |program: &Path| {
            let out = Run::as_nobody(program).args(args).args(["true"]).run();
            Ran {
                rc: out.code.unwrap_or(-1),
                stderr: out.stderr,
            }
        };
        let hint = same_but_the_hint("unshare", &run(&ours("unshare")), &run(&theirs));
        assert_eq!(
            hint,
            "this pid namespace was not made in this user namespace, and only the owner of a pid \
             namespace mounts its proc; make one after the user namespace and fork into it: \
             unshare --user --map-root-user --pid --fork --mount-proc",
            "{args:?}"
        );
    }
}

#[test]
fn sysfs_needs_a_network_namespace_made_in_the_user_namespace() {
    use std::os::unix::fs::PermissionsExt;
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = d.path().join("rootfs");
    if !busybox_root(&root) {
        return;
    }
    for dir in ["proc", "sys"] {
        std::fs::create_dir(root.join(dir)).unwrap();
    }
    // Every namespace but the network one: pivot's --sys is refused, with the cause.
    let out = Run::as_nobody(ours("unshare"))
        .args(["-Ur", "-fpmui"])
        .arg_os(ours("pivot"))
        .args(["--proc", "--sys"])
        .arg_os(&root)
        .args(["/bin/true"])
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        "pivot: mount sysfs on /sys failed: Operation not permitted\n\
         pivot: hint: this network namespace was not made in this user namespace, and only the \
         owner of a network namespace mounts its sysfs; make one with it: unshare --user \
         --map-root-user --net\n"
    );
    // With --net it works.
    let out = Run::as_nobody(ours("unshare"))
        .args(["-Ur", "-fpmuin"])
        .arg_os(ours("pivot"))
        .args(["--proc", "--sys"])
        .arg_os(&root)
        .args([
            "/bin/sh",
            "-c",
            "grep -c ' /sys .* - sysfs ' /proc/self/mountinfo",
        ])
        .run();
    assert_eq!(out.ok(), "1\n");
}

#[test]
fn pivot_root_names_each_refusal_side_by_side() {
    let _host = MountTableUnchanged::new();
    let Some(theirs) = reference("pivot_root") else {
        return;
    };
    let d = scratch();
    let t = d.path().join("t");
    std::fs::create_dir(&t).unwrap();
    let script = r#"
        set -e
        mount -t tmpfs nsutils-t "$D/t"
        mkdir -p "$D/t/a/old" "$D/t/other"
        : > "$D/t/file"
        set +e
        both() { case=$1; shift; run "ours $case" "$P" "$@"; run "theirs $case" "$T" "$@"; }
        both not-a-mount-point "$D/t/a" "$D/t/a/old"
        mount -t tmpfs nsutils-a "$D/t/a"
        mkdir "$D/t/a/old"
        both put-old-outside "$D/t/a" "$D/t/other"
        # Ours with --move-if-rootfs where / is no initramfs: util-linux's pivot_root.
        run "ours move-if-rootfs" "$P" --move-if-rootfs "$D/t/a" "$D/t/other"
        both not-a-directory "$D/t/file" "$D/t"
        both on-the-current-root / /tmp
        mount -t tmpfs nsutils-old "$D/t/a/old"
        mount --make-shared "$D/t/a/old"
        both put-old-shared "$D/t/a" "$D/t/a/old"
        umount "$D/t/a/old"
        mount --make-shared "$D/t"
        both parent-shared "$D/t/a" "$D/t/a/old"
        mount --make-private "$D/t"
        # A mount of another mount namespace, reached through /proc/PID/root.
        "$U" -m --propagation private /bin/sh -c \
            'mount -t tmpfs nsutils-other "$D/t/a" && mkdir "$D/t/a/old" && : > "$D/ready" && exec sleep 60' &
        other=$!
        while [ ! -e "$D/ready" ]; do sleep 0.05; done
        both other-namespace "/proc/$other/root$D/t/a" "/proc/$other/root$D/t/a/old"
        kill "$other"
        wait "$other"
        rm "$D/ready" "$D/stderr"
        umount "$D/t/a"
        umount "$D/t"
    "#;
    let out = in_private_ns(
        d.path(),
        script,
        &[("P", &ours("pivot_root")), ("T", &theirs)],
    );
    let runs = runs(&out);
    assert_eq!(runs.len(), 15, "{out:#?}");
    assert_eq!(
        runs["ours move-if-rootfs"], runs["ours put-old-outside"],
        "{runs:#?}"
    );
    let t = t.display();
    let hint = |label: &str| {
        let ours = &runs[&format!("ours {label}")];
        assert_eq!(ours.rc, 1, "{label}: {ours:#?}");
        same_but_the_hint("pivot_root", ours, &runs[&format!("theirs {label}")])
    };
    assert_eq!(
        hint("not-a-mount-point"),
        format!("new_root {t}/a is not a mount point; make it one: mount --bind {t}/a {t}/a")
    );
    assert_eq!(
        hint("put-old-outside"),
        format!("put_old {t}/other is not at or under new_root {t}/a; give a directory inside it")
    );
    assert_eq!(
        hint("not-a-directory"),
        format!("new_root {t}/file is not a directory")
    );
    assert_eq!(
        hint("on-the-current-root"),
        "new_root / is on the mount of the current root; give a mount of its own (mount --bind \
         DIR DIR)"
    );
    let shared = |role: &str, point: String, label: &str| {
        let hint = hint(label);
        let peer = hint
            .split("is shared (")
            .nth(1)
            .and_then(|r| r.split(')').next())
            .unwrap_or_default()
            .to_owned();
        assert!(peer.starts_with("shared:"), "{hint}");
        assert_eq!(
            hint,
            format!(
                "{role} ({point}) is shared ({peer}), and pivot_root(2) moves no mount under a \
                 shared one; make it private: mount --make-rprivate /"
            )
        );
    };
    shared(
        "the mount of put_old",
        format!("{t}/a/old"),
        "put-old-shared",
    );
    shared(
        "the parent mount of new_root",
        format!("{t}"),
        "parent-shared",
    );
    let other = runs["ours other-namespace"]
        .stderr
        .split('`')
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap_or_default()
        .to_owned();
    assert!(other.starts_with("/proc/"), "{runs:#?}");
    assert_eq!(
        hint("other-namespace"),
        format!(
            "new_root {other} is a mount of another mount namespace; enter that namespace \
             first: nsenter --mount=/proc/PID/ns/mnt"
        )
    );
    assert_eq!(out.code, Some(0), "{out:#?}");
}

#[test]
fn switch_root_names_a_shared_parent_side_by_side() {
    let _host = MountTableUnchanged::new();
    let Some(theirs) = reference("switch_root") else {
        return;
    };
    let d = scratch();
    // Each switch_root in a namespace of its own: both carry /proc and the like away.
    let script = r#"
        set -e
        mount -t tmpfs nsutils-t "$D/t"
        mkdir "$D/t/new"
        mount -t tmpfs nsutils-new "$D/t/new"
        mount --make-shared "$D/t"
        mount --make-private "$D/t/new"
        cp /bin/true "$D/t/new/init"
        set +e
        run ours "$U" -m --propagation unchanged "$S" "$D/t/new" /init
        run theirs "$U" -m --propagation unchanged "$T" "$D/t/new" /init
        rm "$D/stderr"
        umount "$D/t/new" "$D/t"
    "#;
    std::fs::create_dir(d.path().join("t")).unwrap();
    let out = in_private_ns(
        d.path(),
        script,
        &[("S", &ours("switch_root")), ("T", &theirs)],
    );
    let runs = runs(&out);
    let hint = same_but_the_hint("switch_root", &runs["ours"], &runs["theirs"]);
    assert_eq!(runs["ours"].rc, 1);
    let t = d.path().join("t");
    assert_eq!(
        runs["theirs"].stderr,
        format!(
            "switch_root: failed to mount moving {}/new to /: Invalid argument\n\
             switch_root: failed. Sorry.\n",
            t.display()
        )
    );
    let peer = hint
        .split("is shared (")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        hint,
        format!(
            "the parent mount of new_root ({}) is shared ({peer}), and a move (MS_MOVE) moves no \
             mount under a shared one; make it private: mount --make-rprivate /",
            t.display()
        )
    );
    assert!(peer.starts_with("shared:"), "{hint}");
}

#[test]
fn ovlmount_as_an_unprivileged_user() {
    use std::os::unix::fs::PermissionsExt;
    let _host = MountTableUnchanged::new();
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let dirs = ["lower", "upper", "work", "merged"].map(|n| d.path().join(n));
    for dir in &dirs {
        std::fs::create_dir(dir).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    let out = Run::as_nobody(ours("ovlmount"))
        .args(["mount", "--lower"])
        .arg_os(&dirs[0])
        .args(["--upper"])
        .arg_os(&dirs[1])
        .args(["--work"])
        .arg_os(&dirs[2])
        .arg_os(&dirs[3])
        .run();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    // Linux 6.8 and later get the new mount API (refused at fsopen), older ones mount(2).
    let refused = if tests::kernel_version() >= (6, 8) {
        "ovlmount: fsopen overlay failed: Operation not permitted".to_owned()
    } else {
        format!(
            "ovlmount: mounting overlay on {} failed: Operation not permitted",
            dirs[3].display()
        )
    };
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        format!(
            "{refused}\n\
             ovlmount: hint: overlayfs needs root, or a user namespace (Linux 5.11+, {} here); \
             run it in one: unshare --user --map-root-user --mount\n",
            kernel.trim()
        )
    );
    // In a user namespace of its own but the host's mount namespace: not the same cause.
    let out = Run::as_nobody(ours("unshare"))
        .args(["-Ur"])
        .arg_os(ours("ovlmount"))
        .args(["mount", "--lower"])
        .arg_os(&dirs[0])
        .args(["--upper"])
        .arg_os(&dirs[1])
        .args(["--work"])
        .arg_os(&dirs[2])
        .arg_os(&dirs[3])
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        format!(
            "{refused}\n\
             ovlmount: hint: this mount namespace was not made in this user namespace, so \
             nothing can be mounted in it; make one with it: unshare --user --map-root-user \
             --mount\n"
        )
    );
    // Nothing made, nothing left in the work directory.
    assert_eq!(std::fs::read_dir(&dirs[2]).unwrap().count(), 0);
}

#[test]
fn ovlmount_with_upper_and_work_on_two_mounts() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let script = r#"
        set -e
        mount -t tmpfs nsutils-t "$D/t"
        mkdir "$D/t/lower" "$D/t/upper" "$D/t/work" "$D/t/elsewhere" "$D/t/merged" "$D/t/fs"
        # The same file system, a second mount: refused by the kernel (EINVAL).
        mount --bind "$D/t/elsewhere" "$D/t/work"
        set +e
        run same-fs "$O" mount --lower "$D/t/lower" --upper "$D/t/upper" --work "$D/t/work" "$D/t/merged"
        set -e
        # Another file system: refused by ovlmount's own check, which says why itself.
        mount -t tmpfs nsutils-fs "$D/t/fs"
        set +e
        run other-fs "$O" mount --lower "$D/t/lower" --upper "$D/t/upper" --work "$D/t/fs" "$D/t/merged"
        echo "@@ overlays rc=0"
        grep -c " - overlay " /proc/self/mountinfo
        rm "$D/stderr"
        umount "$D/t/fs" "$D/t/work" "$D/t"
    "#;
    std::fs::create_dir(d.path().join("t")).unwrap();
    let out = in_private_ns(d.path(), script, &[("O", &ours("ovlmount"))]);
    let runs = runs(&out);
    let t = d.path().join("t");
    let t = t.display();
    assert_eq!(runs["same-fs"].rc, 1, "{runs:#?}");
    assert_eq!(
        runs["same-fs"].stderr,
        format!(
            "ovlmount: mounting overlay on {t}/merged failed: Invalid argument\n\
             ovlmount: hint: upperdir {t}/upper is under the mount at {t} and workdir {t}/work \
             under the mount at {t}/work, and overlayfs wants both under one mount; put workdir \
             beside upperdir\n"
        )
    );
    assert_eq!(
        runs["other-fs"],
        Ran {
            rc: 1,
            stderr: format!(
                "ovlmount: upper layer {t}/upper and work directory {t}/fs are on different file \
                 systems\n"
            ),
        }
    );
    assert_eq!(runs["overlays"].stderr, "0\n");
    assert_eq!(out.code, Some(0), "{out:#?}");
}

/// What the container that the busybox guests' stage 1 starts from the initramfs with
/// `unshare -fpmuin pivot --proc --dev ROOT` saw (tests/vm/init.sh): only ROOT, a tmpfs, with
/// no rootfs in its mount table, no way to the initramfs's files, and `..` of `/` being `/`;
/// then what `pivot_root --move-if-rootfs . .` and `chroot .` gave in the same place.
/// Only in those guests: a host or the systemd guest did not boot from an initramfs of ours.
#[test]
fn pivot_from_the_initramfs_in_the_busybox_guests() {
    if std::env::var_os("NSUTILS_VM").is_none() || systemd_host() {
        return;
    }
    let path = Path::new("/.nsutils-pivot-from-initramfs");
    let seen = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e} (tests/vm/init.sh stage 1)", path.display()));
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines.len(), 7, "{seen}");
    assert_eq!(lines[0], "ls /: bin dev pivot-root-marker proc ", "{seen}");
    assert_eq!(
        lines[1], "ls /..: bin dev pivot-root-marker proc ",
        "{seen}"
    );
    assert_eq!(lines[2], "rootfs mounts: 0", "{seen}");
    assert!(
        lines[3].starts_with("root mount: tmpfs nsutils-pivot-root "),
        "{seen}"
    );
    assert_eq!(lines[4..6], ["pid: 1", "status: 0"], "{seen}");
    // pivot_root --move-if-rootfs, then `chroot .`: the same root (with the /proc and /dev
    // directories that pivot made in it).
    assert_eq!(
        lines[6], "pivot_root --move-if-rootfs: 0 bin dev pivot-root-marker proc",
        "{seen}"
    );
}
