//! A failure injected at each step of the multi-step operations (issue 19): the debug builds'
//! `NSUTILS_FAULT` (crates/sys/src/fault.rs). Each operation runs once with
//! `NSUTILS_FAULT_TRACE` to list the steps it really takes, then once per step with that
//! step failed (errno EIO, so that the message shows which failure it reports): the run must
//! fail as that step's real failure does (status, `prog: what: strerror`), and leave nothing
//! behind: no group in any hierarchy, the mount table of the test's private mount namespace
//! as it was, no persistence file bound, no directory made by `--create` or for a mount point.
//! A step with a fallback (a second try, another way) may succeed instead, when the faulted
//! run is seen to take the fallback.
//!
//! Mounts happen only inside a private mount namespace made for the run. The release-build
//! check (no `NSUTILS_FAULT` in any release binary) is `#[ignore]`d: .ci/run runs it after
//! building release binaries.

use std::path::{Path, PathBuf};

use tests::{
    CgroupMode, Output, Run, TestGroup, busybox_root, cgroup_mode, initramfs_files, ours, scratch,
    switch_root_initramfs,
};

/// The errno every injected failure has, and its text.
const INJECTED: &str = "EIO";
const INJECTED_TEXT: &str = "Input/output error";

/// One run of an operation: `fault` is the `NSUTILS_FAULT` spec (empty for none), `trace` the
/// file for `NSUTILS_FAULT_TRACE`.
type Operation<'a> = dyn Fn(&str, &Path) -> Output + 'a;

/// The steps a traced run took: `NAME@N` for each point reached, in the order first reached
/// (a forked helper goes on counting from its parent's counts, so a step may be listed by
/// two processes: once is enough).
fn steps_in(trace: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let mut steps: Vec<String> = Vec::new();
    for line in text.lines() {
        let step = line.replacen(' ', "@", 1);
        if !steps.contains(&step) {
            steps.push(step);
        }
    }
    steps
}

/// Whether `step` (`NAME@N`) was followed by a second try of the same point (`NAME@N+1`).
fn retried(trace: &Path, step: &str) -> bool {
    let Some((name, n)) = step.split_once('@') else {
        return false;
    };
    let next = format!("{name}@{}", n.parse::<u32>().unwrap_or(0) + 1);
    steps_in(trace).contains(&next)
}

/// Run `operation` traced (it must succeed), then once per step with that step failed;
/// `check` gets each failed run. Returns the steps, for the caller to check that the ones
/// that matter were among them.
fn each_step(what: &str, operation: &Operation<'_>, check: &dyn Fn(&str, &Output)) -> Vec<String> {
    each_step_or_on(what, operation, check, &|step, out| {
        panic!("{what}, {step} failed: the run succeeded without trying again: {out:#?}")
    })
}

/// [`each_step`] for an operation that may go on past a failed step without trying it again:
/// `went_on` gets those runs.
fn each_step_or_on(
    what: &str,
    operation: &Operation<'_>,
    check: &dyn Fn(&str, &Output),
    went_on: &dyn Fn(&str, &Output),
) -> Vec<String> {
    let dir = scratch();
    let trace = dir.path().join("trace");
    let clean = operation("", &trace);
    assert_eq!(clean.code, Some(0), "{what}, no fault: {clean:#?}");
    let steps = steps_in(&trace);
    assert!(!steps.is_empty(), "{what}: no step traced");
    for (i, step) in steps.iter().enumerate() {
        let faulted_trace = dir.path().join(format!("trace-{i}"));
        let out = operation(&format!("{step}:{INJECTED}"), &faulted_trace);
        assert!(out.signal.is_none(), "{what}, {step} failed: {out:#?}");
        if out.code == Some(0) {
            if !retried(&faulted_trace, step) {
                went_on(step, &out);
            }
            continue;
        }
        check(step, &out);
    }
    eprintln!("{what}: {} steps: {}", steps.len(), steps.join(" "));
    steps
}

/// The first line of stderr is `prog: ...: Input/output error`; nothing was left (the
/// scripts print `left: WHAT` for what they find).
fn failed_cleanly(prog: &str, step: &str, out: &Output) {
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("{prog}: ")) && first.ends_with(INJECTED_TEXT),
        "{prog}, {step} failed: not reported as that failure: {out:#?}"
    );
    assert!(
        !out.stdout.contains("left: "),
        "{prog}, {step} failed: left behind: {out:#?}"
    );
}

/// `script` in `/bin/sh`, in a new private mount namespace made by our `unshare` (not
/// faulted: the variables reach only the tool the script runs with them), all on CPU 0. `$D` is `dir`,
/// `$F` the fault spec, `$T` the trace file, `$U` our unshare.
fn in_private_ns(
    dir: &Path,
    script: &str,
    fault: &str,
    trace: &Path,
    more: &[(&str, PathBuf)],
) -> Output {
    in_private_ns_on("0", dir, script, fault, trace, more)
}

/// [`in_private_ns`] on CPU `cpu` (see unshare_persists_a_mount_namespace_on_a_shared_tmpfs).
fn in_private_ns_on(
    cpu: &str,
    dir: &Path,
    script: &str,
    fault: &str,
    trace: &Path,
    more: &[(&str, PathBuf)],
) -> Output {
    let unshare = ours("unshare");
    let mut run = Run::new("taskset")
        .args(["-c", cpu])
        .arg_os(&unshare)
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("U", &unshare)
        .env("D", dir)
        .env("F", fault)
        .env("T", trace);
    for (key, value) in more {
        run = run.env(key, value);
    }
    run.run()
}

/// The mount points of the script's namespace, before and after, compared: `left: mounts`.
const MOUNTS_BEFORE: &str =
    r#"mounts() { cut -d' ' -f5 /proc/self/mountinfo | sort; }; before=$(mounts)"#;
const MOUNTS_AFTER: &str = r#"[ "$before" = "$(mounts)" ] || { echo "left: mounts"; mounts; }"#;

/// unshare with persistence files on a shared tmpfs, id maps written by unshare itself (`-r`)
/// or from outside (`--map-users`), --fork or not, proc, root and working directory: every
/// step failed leaves no file bound and no mount.
#[test]
fn unshare_persistence_and_maps() {
    let variants = [
        "-U -r -m -u -i -p --fork --mount-proc --kill-child --user=$D/t/user --mount=$D/t/mnt \
         --uts=$D/t/uts --ipc=$D/t/ipc --pid=$D/t/pid",
        "--map-users=0:0:65536 --map-groups=0:0:65536 -m -u -n --user=$D/t/user \
         --mount=$D/t/mnt --uts=$D/t/uts --net=$D/t/net --root=/ --wd=/",
    ];
    for args in variants {
        let dir = scratch();
        let script = format!(
            r#"mkdir -p "$D/t" && mount -t tmpfs nsutils-faults "$D/t" && mount --make-shared "$D/t" &&
            touch $D/t/user $D/t/mnt $D/t/uts $D/t/ipc $D/t/pid $D/t/net || exit 90
            {MOUNTS_BEFORE}
            NSUTILS_FAULT="$F" NSUTILS_FAULT_TRACE="$T" "$U" {args} /bin/true; st=$?
            if [ $st = 0 ]; then for f in $D/t/*; do umount "$f" 2>/dev/null; done; fi
            {MOUNTS_AFTER}
            exit $st"#
        );
        let operation =
            |fault: &str, trace: &Path| in_private_ns(dir.path(), &script, fault, trace, &[]);
        let steps = each_step(&format!("unshare {args}"), &operation, &|step, out| {
            assert_eq!(out.code, Some(1), "{step}: {out:#?}");
            failed_cleanly("unshare", step, out);
        });
        for needed in ["unshare@1", "mount.bind@1", "mount.propagation@1"] {
            assert!(
                steps.iter().any(|s| s == needed),
                "{needed} not among {steps:?}"
            );
        }
    }
}

/// `unshare --mount=FILE` on a shared tmpfs, 50 times: the file is bound once the new
/// namespace's copy of the tmpfs is private, so it never meets the kernel's refusal to bind
/// a mount namespace where the mount propagates into it. util-linux 2.42.2 binds before it
/// changes the propagation and is refused (EINVAL) on the same set-up: its man page example
/// makes the directory a private mount first.
///
/// Everything runs on CPU 0 (taskset) here: Linux 6.18 hands out namespace ids from per-CPU
/// batches, and refuses to bind a mount namespace whose id is not above the binder's
/// (`mnt_ns_loop`), so a namespace made on another CPU than the binder's can be refused
/// with the same EINVAL (see unshare_persists_a_mount_namespace_made_on_another_cpu).
#[test]
fn unshare_persists_a_mount_namespace_on_a_shared_tmpfs() {
    let dir = scratch();
    let script = r#"mkdir -p "$D/t" && mount -t tmpfs nsutils-faults "$D/t" && mount --make-shared "$D/t" &&
        touch "$D/t/mnt" || exit 90
        ok=0; i=0
        while [ $i -lt 50 ]; do
            i=$((i+1))
            "$X" --mount="$D/t/mnt" /bin/true && ok=$((ok+1)) && umount "$D/t/mnt"
        done
        echo "ok=$ok""#;
    let out = in_private_ns(
        dir.path(),
        script,
        "",
        Path::new(""),
        &[("X", ours("unshare"))],
    );
    assert_eq!(out.ok().trim(), "ok=50", "{out:#?}");
    let Some(theirs) = tests::reference("unshare") else {
        return;
    };
    let dir = scratch();
    let out = in_private_ns(dir.path(), script, "", Path::new(""), &[("X", theirs)]);
    assert_eq!(out.ok().trim(), "ok=0", "{out:#?}");
    assert!(out.stderr.contains("Invalid argument"), "{out:#?}");
}

/// ovlmount mount --create (upper, work and merged made) and --tmpfs-upper: a failed step
/// leaves neither a mount nor a directory it made (overlayfs's own `work/work` included).
#[test]
fn ovlmount_create_and_tmpfs_upper() {
    let variants = [
        "--create -l $D/t/lower -u $D/t/upper -w $D/t/work $D/t/merged",
        "--create --tmpfs-upper -l $D/t/lower $D/t/merged",
    ];
    for args in variants {
        let dir = scratch();
        let script = format!(
            r#"mkdir -p "$D/t" && mount -t tmpfs nsutils-faults "$D/t" && mkdir "$D/t/lower" || exit 90
            {MOUNTS_BEFORE}
            NSUTILS_FAULT="$F" NSUTILS_FAULT_TRACE="$T" "$O" mount {args}; st=$?
            if [ $st = 0 ]; then umount "$D/t/merged"; else
                for d in upper work merged; do [ -e "$D/t/$d" ] && echo "left: $d" && ls -a "$D/t/$d"; done
            fi
            {MOUNTS_AFTER}
            exit $st"#
        );
        let more = [("O", ours("ovlmount"))];
        let operation =
            |fault: &str, trace: &Path| in_private_ns(dir.path(), &script, fault, trace, &more);
        let steps = each_step(
            &format!("ovlmount mount {args}"),
            &operation,
            &|step, out| {
                assert_eq!(out.code, Some(1), "{step}: {out:#?}");
                failed_cleanly("ovlmount", step, out);
            },
        );
        assert!(steps.iter().any(|s| s.starts_with("mkdir@")), "{steps:?}");
    }
}

/// pivot's whole mount sequence (proc, sysfs, /dev with its devices, pts, shm and links,
/// /tmp, a bind, hostname, read-only): a failed step leaves NEWROOT (a directory of the host)
/// as it was, without the mount points made for it.
#[test]
fn pivot_mount_sequence() {
    let dir = scratch();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap_or_else(|e| panic!("mkdir: {e}"));
    if !busybox_root(&root) {
        return;
    }
    std::fs::create_dir(dir.path().join("src")).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let script = format!(
        r#"{MOUNTS_BEFORE}
        files() {{ find "$D/root" | sort; }}; files_before=$(files)
        "$U" -m -u --propagation private env NSUTILS_FAULT="$F" NSUTILS_FAULT_TRACE="$T" "$P" \
            --proc --sys --dev --tmp --bind "$D/src:/mnt/src" --hostname faults --read-only \
            "$D/root" /bin/true; st=$?
        if [ $st != 0 ]; then
            [ "$files_before" = "$(files)" ] || {{ echo "left: files"; files; }}
        fi
        {MOUNTS_AFTER}
        exit $st"#
    );
    let more = [("P", ours("pivot"))];
    let clean = |path: &str| {
        for made in ["proc", "sys", "dev", "tmp", "mnt/src", "mnt"] {
            let _ = std::fs::remove_dir(Path::new(path).join(made));
        }
    };
    let root_text = root.display().to_string();
    let operation = |fault: &str, trace: &Path| {
        // Each run starts from NEWROOT without the mount points a successful run made.
        clean(&root_text);
        in_private_ns(dir.path(), &script, fault, trace, &more)
    };
    let steps = each_step("pivot", &operation, &|step, out| {
        assert_eq!(out.code, Some(1), "{step}: {out:#?}");
        failed_cleanly("pivot", step, out);
    });
    for needed in [
        "pivot_root@1",
        "mount.new@1",
        "mount.attach@1",
        "mkdir@1",
        "sethostname@1",
    ] {
        assert!(
            steps.iter().any(|s| s == needed),
            "{needed} not among {steps:?}"
        );
    }
}

/// switch_root as the init of a throw-away initramfs (tests/src/lib.rs): each step failed in
/// turn. Before the new root is entered, a failure puts every mount back where it was and
/// clears nothing (the initramfs's shell goes on: the mount points are those of before and
/// its files are there); a carried file system that will not move is reported and unmounted
/// by force as util-linux does, and init runs; a failed fork, after the switch, is reported
/// and init runs with the old root left as it is.
#[test]
fn switch_root_steps() {
    let dir = scratch();
    let Some(files) = initramfs_files(dir.path()) else {
        return;
    };
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap_or_else(|e| panic!("mkdir: {e}"));
    // The trace is written to /keep, a file system of its own that the switch neither moves
    // nor clears; init reads it through the process that keeps the old root.
    let init = r#"echo "init ran"
        sed "s/^/trace: /" /proc/$S/root/keep/trace 2>/dev/null
        [ -e /proc/$S/root/bin/data ] && echo "old root kept"
        kill $S"#;
    // switch_root runs as a child of this shell, whose root stays the initramfs: after a
    // failure it looks at what was left; after init ran, init has said everything.
    let switch = format!(
        r#"NSUTILS_FAULT="$F" NSUTILS_FAULT_TRACE=/keep/trace /bin/switch_root /new /bin/sh -c '{init}'
        st=$?
        [ $st = 0 ] && exit 0
        cut -d" " -f5 /proc/self/mountinfo | sort | cmp -s - /keep/before || echo "left: mounts"
        [ -e /bin/data ] || echo "left: cleared"
        sed "s/^/trace: /" /keep/trace
        kill $S
        exit $st"#
    );
    let operation = |fault: &str, trace: &Path| {
        let before = r#"cut -d" " -f5 /proc/self/mountinfo | sort > /keep/before"#;
        let out = switch_root_initramfs(&root, &files, before, "sh -c \"$SWITCH_NOW\"")
            .env("F", fault)
            .env("SWITCH_NOW", &switch)
            .run();
        let lines: Vec<&str> = out
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("trace: "))
            .collect();
        std::fs::write(trace, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
        out
    };
    let steps = each_step_or_on(
        "switch_root",
        &operation,
        &|step, out| {
            let first = out.stderr.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("switch_root: ") && first.ends_with(INJECTED_TEXT),
                "{step}: not reported as that failure: {out:#?}"
            );
            assert!(!out.stdout.contains("left: "), "{step}: {out:#?}");
            assert_eq!(out.code, Some(1), "{step}: {out:#?}");
            assert!(
                out.stderr.ends_with("switch_root: failed. Sorry.\n"),
                "{step}: {out:#?}"
            );
        },
        &|step, out| {
            // The steps after which init runs all the same.
            let stderr = match step {
                "mount.move@1" => {
                    "switch_root: failed to mount moving /dev to /new/dev: Input/output error\nswitch_root: forcing unmount of /dev\n"
                }
                "mount.move@2" => {
                    "switch_root: failed to mount moving /proc to /new/proc: Input/output error\nswitch_root: forcing unmount of /proc\n"
                }
                "mount.move@3" => {
                    "switch_root: failed to mount moving /sys to /new/sys: Input/output error\nswitch_root: forcing unmount of /sys\n"
                }
                "fork@1" => {
                    "switch_root: fork failed: Input/output error\nswitch_root: the old root is left as it is\n"
                }
                _ => panic!("{step}: init ran: {out:#?}"),
            };
            assert_eq!(out.stderr, stderr, "{step}: {out:#?}");
            assert!(out.stdout.starts_with("init ran\n"), "{step}: {out:#?}");
            if step == "fork@1" {
                assert!(out.stdout.contains("old root kept"), "{step}: {out:#?}");
            }
        },
    );
    assert_eq!(
        steps,
        [
            "mount.move@1",
            "mount.move@2",
            "mount.move@3",
            "chdir@1",
            "open.root@1",
            "mount.move@4",
            "chroot@1",
            "fork@1"
        ]
    );
}

/// The controllers of the cgroup tests' groups: each in a hierarchy of its own on v1.
fn controllers() -> &'static str {
    "cpu,memory"
}

/// Whether a group of that name is in any hierarchy.
fn group_anywhere(group: &TestGroup) -> Vec<PathBuf> {
    tests::cgroup_mounts()
        .into_iter()
        .map(|m| m.join(&group.name))
        .filter(|d| d.exists())
        .collect()
}

/// cgcreate over several hierarchies with owners and modes: a failed step (a mkdir in any
/// hierarchy, a chown, a chmod, a controller enabled) leaves no group in any hierarchy, and
/// says libcgroup's `can't create cgroup NAME: ...`.
#[test]
fn cgcreate_over_several_hierarchies() {
    let group = TestGroup::new("faults-create");
    let spec_a = format!("{}:{}/a", controllers(), group.name);
    let spec_b = format!("pids:{}/b", group.name);
    let operation = |fault: &str, trace: &Path| {
        let out = Run::new(ours("cgcreate"))
            .arg0("cgcreate")
            .args([
                "-a", "0:0", "-t", "0:0", "-d", "755", "-f", "644", "-s", "664",
            ])
            .args(["-g", &spec_a, "-g", &spec_b])
            .env("NSUTILS_FAULT", fault)
            .env("NSUTILS_FAULT_TRACE", trace)
            .run();
        if out.code == Some(0) {
            // The traced run made them; the next one starts without.
            let _ = Run::new(ours("cgdelete"))
                .args(["-r", "-g", &format!("{}:{}", controllers(), group.name)])
                .run();
            let _ = Run::new(ours("cgdelete"))
                .args(["-r", "-g", &format!("pids:{}", group.name)])
                .run();
        }
        out
    };
    // libcgroup's cgcreate made to really fail at a mkdir (below a file: ENOTDIR): the status
    // and the reason, which the injected failures of a mkdir must give too. On v2 it fails
    // before, enabling the controllers in the file's "subtree_control".
    let v1_mkdir = cgroup_mode() != CgroupMode::V2;
    let real = v1_mkdir
        .then(|| tests::reference("cgcreate"))
        .flatten()
        .map(|theirs| {
            let out = Run::new(theirs)
                .arg0("cgcreate")
                .args(["-g", "cpu:cgroup.procs/x"])
                .run();
            let reason = out
                .stderr
                .rsplit(": ")
                .next()
                .unwrap_or_default()
                .to_owned();
            (out.code, reason)
        });
    let steps = each_step("cgcreate", &operation, &|step, out| {
        assert_ne!(out.code, Some(0), "{step}: {out:#?}");
        assert!(
            out.stderr.starts_with("cgcreate: can't create cgroup "),
            "{step}: {out:#?}"
        );
        if let (Some((code, reason)), true) = (&real, step.starts_with("cgroup.mkdir@")) {
            assert_eq!(&out.code, code, "{step}: {out:#?}");
            assert!(
                out.stderr.ends_with(reason.as_str()),
                "{step}: {out:#?} vs {reason}"
            );
        }
        let left = group_anywhere(&group);
        assert!(left.is_empty(), "cgcreate, {step} failed: left {left:?}");
    });
    assert!(steps.iter().any(|s| s == "cgroup.mkdir@2"), "{steps:?}");
    assert!(
        steps.iter().any(|s| s.starts_with("cgroup.chown@")),
        "{steps:?}"
    );
}

/// cgconfigparser loading groups over several hierarchies, with permissions and a setting: a
/// failed step leaves none of the file's groups.
#[test]
fn cgconfigparser_groups() {
    let group = TestGroup::new("faults-config");
    let dir = scratch();
    let file = dir.path().join("cgconfig.conf");
    let config = format!(
        "group {name}/x {{ perm {{ task {{ uid = root; gid = root; }} admin {{ uid = root; gid = root; }} }} \
         cpu {{ }} pids {{ pids.max = 100; }} }}\ngroup {name}/y {{ memory {{ }} }}\n",
        name = group.name
    );
    std::fs::write(&file, config).unwrap_or_else(|e| panic!("write: {e}"));
    let operation = |fault: &str, trace: &Path| {
        let out = Run::new(ours("cgconfigparser"))
            .arg0("cgconfigparser")
            .arg_os("-l")
            .arg_os(&file)
            .env("NSUTILS_FAULT", fault)
            .env("NSUTILS_FAULT_TRACE", trace)
            .run();
        if out.code == Some(0) {
            for c in ["cpu", "pids", "memory"] {
                let _ = Run::new(ours("cgdelete"))
                    .args(["-r", "-g", &format!("{c}:{}", group.name)])
                    .run();
            }
        }
        out
    };
    let steps = each_step("cgconfigparser", &operation, &|step, out| {
        assert_ne!(out.code, Some(0), "{step}: {out:#?}");
        assert!(
            out.stderr.contains("cgconfigparser; error loading "),
            "{step}: {out:#?}"
        );
        let left = group_anywhere(&group);
        assert!(
            left.is_empty(),
            "cgconfigparser, {step} failed: left {left:?}"
        );
    });
    assert!(steps.iter().any(|s| s == "cgroup.write@1"), "{steps:?}");
}

/// cgconfigparser's `mount` section, then a group: a failed step (a directory made for the
/// mount point, the mount, the group's) leaves no mount, no directory it made and no group.
/// It mounts a new named v1 hierarchy, so it runs on a v1-only host, the v1 guest, only (as
/// cg_config.rs's config_mount_section): on this hybrid host nothing cgroup may be mounted,
/// and v2 has no v1 to mount.
#[test]
fn cgconfigparser_mount_section() {
    if cgroup_mode() != CgroupMode::V1 {
        return;
    }
    let group = TestGroup::new("faults-cfmnt");
    let dir = scratch();
    let file = dir.path().join("cgconfig.conf");
    let config = format!(
        "mount {{ \"name=nsutils-test-{pid}\" = {point}; }}\ngroup {name} {{ pids {{ pids.max = 100; }} }}\n",
        pid = std::process::id(),
        point = dir.path().join("m/n").display(),
        name = group.name
    );
    std::fs::write(&file, config).unwrap_or_else(|e| panic!("write: {e}"));
    let script = format!(
        r#"{MOUNTS_BEFORE}
        NSUTILS_FAULT="$F" NSUTILS_FAULT_TRACE="$T" "$P" -l "$D/cgconfig.conf"; st=$?
        if [ $st != 0 ]; then
            {MOUNTS_AFTER}
            [ ! -e "$D/m" ] || echo "left: $D/m"
        fi
        exit $st"#
    );
    let more = [("P", ours("cgconfigparser"))];
    let operation = |fault: &str, trace: &Path| {
        let out = in_private_ns(dir.path(), &script, fault, trace, &more);
        // A successful run's mount went with its namespace; its directories and group stay.
        let _ = std::fs::remove_dir(dir.path().join("m/n"));
        let _ = std::fs::remove_dir(dir.path().join("m"));
        if out.code == Some(0) {
            let _ = Run::new(ours("cgdelete"))
                .args(["-g", &format!("pids:{}", group.name)])
                .run();
        }
        out
    };
    let steps = each_step("cgconfigparser mount", &operation, &|step, out| {
        assert_ne!(out.code, Some(0), "{step}: {out:#?}");
        assert!(!out.stdout.contains("left: "), "{step}: {out:#?}");
        let left = group_anywhere(&group);
        assert!(left.is_empty(), "{step}: left {left:?}");
    });
    for needed in ["mkdir@1", "mkdir@2", "mount.new@1", "cgroup.mkdir@1"] {
        assert!(
            steps.iter().any(|s| s == needed),
            "{needed} not among {steps:?}"
        );
    }
}

/// cgclassify --sticky of a process into a group over several hierarchies: a failed move in
/// any of them is reported as libcgroup reports a real one (`Error changing group of pid N:
/// ...`, a failure status), and the process is not lost: it stays in a group of each
/// hierarchy (where it was, or the target where the move came first, as with libcgroup).
#[test]
fn cgclassify_sticky() {
    let group = TestGroup::new("faults-classify");
    let spec = format!("{}:{}", controllers(), group.name);
    Run::new(ours("cgcreate")).args(["-g", &spec]).run().ok();
    let sleeper = tests::Sleeper::new();
    let pid = sleeper.pid().to_string();
    let operation = |fault: &str, trace: &Path| {
        Run::new(ours("cgclassify"))
            .arg0("cgclassify")
            .args(["--sticky", "-g", &spec, &pid])
            .env("NSUTILS_FAULT", fault)
            .env("NSUTILS_FAULT_TRACE", trace)
            .run()
    };
    let steps = each_step("cgclassify --sticky", &operation, &|step, out| {
        assert_ne!(out.code, Some(0), "{step}: {out:#?}");
        assert!(
            out.stderr
                .starts_with(&format!("Error changing group of pid {pid}: ")),
            "{step}: {out:#?}"
        );
        let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        assert!(!cgroup.is_empty(), "{step}: the process is gone");
    });
    assert!(
        steps.iter().any(|s| s.starts_with("cgroup.write@")),
        "{steps:?}"
    );
}

/// cgexec: a failed move runs nothing; cgdelete -r: a failed step says so (what it had
/// removed stays removed, as with libcgroup; the next run makes the tree again).
#[test]
fn cgexec_and_cgdelete() {
    let group = TestGroup::new("faults-exec");
    let spec = format!("{}:{}/a/b", controllers(), group.name);
    Run::new(ours("cgcreate")).args(["-g", &spec]).run().ok();
    let dir = scratch();
    let ran = dir.path().join("ran");
    // The leaf: on v2 a group with children that enables controllers holds no process.
    let exec_spec = spec.clone();
    let operation = |fault: &str, trace: &Path| {
        let _ = std::fs::remove_file(&ran);
        Run::new(ours("cgexec"))
            .arg0("cgexec")
            .args(["-g", &exec_spec, "/bin/touch"])
            .arg_os(&ran)
            .env("NSUTILS_FAULT", fault)
            .env("NSUTILS_FAULT_TRACE", trace)
            .run()
    };
    each_step("cgexec", &operation, &|step, out| {
        assert_ne!(out.code, Some(0), "{step}: {out:#?}");
        // libcgroup's words, without the program's name.
        assert!(
            out.stderr.starts_with("cgroup change of group failed"),
            "{step}: {out:#?}"
        );
        assert!(!ran.exists(), "cgexec, {step} failed: the program ran");
    });
    let tree = format!("{}:{}", controllers(), group.name);
    let operation = |fault: &str, trace: &Path| {
        Run::new(ours("cgcreate")).args(["-g", &spec]).run().ok();
        Run::new(ours("cgdelete"))
            .arg0("cgdelete")
            .args(["-r", "-g", &tree])
            .env("NSUTILS_FAULT", fault)
            .env("NSUTILS_FAULT_TRACE", trace)
            .run()
    };
    each_step("cgdelete -r", &operation, &|step, out| {
        assert_ne!(out.code, Some(0), "{step}: {out:#?}");
        assert!(out.stderr.starts_with("cgdelete: "), "{step}: {out:#?}");
    });
}

/// nsenter into a process's namespaces: each setns failed is reported as util-linux reports it
/// (`reassociate to namespace 'ns/KIND' failed`), and the program does not run.
#[test]
fn nsenter_setns_steps() {
    let sleeper = tests::Sleeper::new();
    let dir = scratch();
    let ran = dir.path().join("ran");
    let pid = sleeper.pid().to_string();
    let operation = |fault: &str, trace: &Path| {
        let _ = std::fs::remove_file(&ran);
        Run::new(ours("nsenter"))
            .args(["-t", &pid, "-m", "-u", "-i", "-n", "-C", "/bin/touch"])
            .arg_os(&ran)
            .env("NSUTILS_FAULT", fault)
            .env("NSUTILS_FAULT_TRACE", trace)
            .run()
    };
    let steps = each_step("nsenter", &operation, &|step, out| {
        assert_eq!(out.code, Some(1), "{step}: {out:#?}");
        failed_cleanly("nsenter", step, out);
        assert!(!ran.exists(), "nsenter, {step} failed: the program ran");
    });
    assert!(steps.iter().any(|s| s.starts_with("setns.")), "{steps:?}");
}

/// No release binary has the fault points' variables in it: they are compiled out. Needs
/// `cargo build --release --workspace --bins` first (.ci/run does it).
#[test]
#[ignore = "release build: .ci/run runs it after cargo build --release (not in the systemd guest, xtask vm.rs HOST_ONLY_TEST)"]
fn release_binaries_have_no_fault_points() {
    let debug = ours("unshare");
    let release = debug
        .parent()
        .and_then(Path::parent)
        .map(|t| t.join("release"))
        .unwrap_or_default();
    let mut checked = 0;
    for tool in tests::BIN_TOOLS.iter().chain(&tests::SBIN_TOOLS) {
        let bin = release.join(tool);
        let image = std::fs::read(&bin).unwrap_or_else(|e| {
            panic!("{}: {e} (build the release binaries first)", bin.display())
        });
        assert!(
            !image
                .windows(b"NSUTILS_FAULT".len())
                .any(|w| w == b"NSUTILS_FAULT"),
            "{} has NSUTILS_FAULT in it",
            bin.display()
        );
        checked += 1;
    }
    assert!(checked > 10);
    // And the check can fail: the debug build has it.
    let image = std::fs::read(&debug).unwrap_or_default();
    assert!(
        image
            .windows(b"NSUTILS_FAULT".len())
            .any(|w| w == b"NSUTILS_FAULT")
    );
}

/// The namespace ids of Linux 6.18 come from per-CPU batches: a mount namespace made on a
/// CPU whose batch is lower than the one of the namespace it was made from gets a lower id,
/// and the kernel refuses to bind it from there (EINVAL, util-linux 2.42.2 alike, even on a
/// private mount). unshare then makes it again on another CPU until its id is above. Both
/// orders of two CPUs, 25 runs each, the script on one and unshare started on the other.
#[test]
fn unshare_persists_a_mount_namespace_made_on_another_cpu() {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        tests::skip("one CPU: every namespace id comes from the same batch");
        return;
    }
    for (outer, inner) in [("0", "1"), ("1", "0")] {
        let dir = scratch();
        let script = r#"mkdir -p "$D/t" && mount -t tmpfs nsutils-faults "$D/t" && touch "$D/t/mnt" || exit 90
            ok=0; i=0
            while [ $i -lt 25 ]; do
                i=$((i+1))
                taskset -c "$INNER" sh -c 'exec taskset -c 0,1 "$X" --mount="$D/t/mnt" /bin/true' &&
                    ok=$((ok+1)) && umount "$D/t/mnt"
            done
            echo "ok=$ok""#;
        let more = [("X", ours("unshare")), ("INNER", PathBuf::from(inner))];
        let out = in_private_ns_on(outer, dir.path(), script, "", Path::new(""), &more);
        assert_eq!(out.ok().trim(), "ok=25", "outer CPU {outer}: {out:#?}");
    }
}
