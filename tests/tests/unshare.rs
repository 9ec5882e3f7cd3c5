//! `unshare` run as a user runs it, checked against the kernel's view, and side by side with
//! util-linux 2.42.2's `unshare` (`tests::reference`). Where we differ on purpose (an
//! upstream bug fixed, or an option from util-linux master), the test checks our behaviour
//! and shows the reference's next to it. Comments naming 2.38.1 say how older releases
//! behaved.
//!
//! Modes: every test here runs, and must pass, on the hybrid development host and in the
//! v2-only and v1-only VMs of `cargo xtask vm-test` (Debian's 6.1 kernel); where a kernel
//! feature is newer than 6.1, the test checks the older kernel's answer instead.

use std::fs;
use std::time::{Duration, Instant};

use tests::{
    MountTableUnchanged, NOBODY, Output, Rootless, Run, have, ours, own_ns, reference, scratch,
    sh_in_private_mount_ns, split_hint,
};

fn unshare(args: &[&str]) -> Output {
    Run::new(ours("unshare")).args(args).run()
}

fn fails_with(out: &Output, code: i32, stderr: &str) {
    assert_eq!(out.code, Some(code), "{out:#?}");
    assert_eq!(out.stderr, stderr, "{out:#?}");
}

// ---------------------------------------------------------------- namespaces, kernel's view

#[test]
fn each_namespace_option_gives_a_new_namespace() {
    let _mounts = MountTableUnchanged::new();
    for (opt, name) in [
        ("-m", "mnt"),
        ("-u", "uts"),
        ("-i", "ipc"),
        ("-n", "net"),
        ("-C", "cgroup"),
        ("-U", "user"),
        ("--mount", "mnt"),
        ("--net", "net"),
    ] {
        let inside = unshare(&[opt, "readlink", &format!("/proc/self/ns/{name}")]);
        let inside = inside.ok().trim();
        assert!(inside.starts_with(&format!("{name}:[")), "{opt}: {inside}");
        assert_ne!(
            inside,
            own_ns(name),
            "{opt} did not make a new {name} namespace"
        );
    }
    // pid and time namespaces are for children: the forked child is inside.
    for (opt, name) in [
        ("-p", "pid"),
        ("-T", "time"),
        ("--pid", "pid"),
        ("--time", "time"),
    ] {
        let inside = unshare(&[opt, "-f", "readlink", &format!("/proc/self/ns/{name}")]);
        assert_ne!(inside.ok().trim(), own_ns(name), "{opt}");
    }
    // time_for_children can be read before a child exists; pid_for_children only after.
    let children = unshare(&["-T", "readlink", "/proc/self/ns/time_for_children"]);
    assert_ne!(children.ok().trim(), own_ns("time"));
}

#[test]
fn the_walkthrough_container_command() {
    let _mounts = MountTableUnchanged::new();
    let host_name = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let out = unshare(&[
        "-fpmuin",
        "--mount-proc",
        "sh",
        "-c",
        "echo pid=$$; hostname nsutils-test-uts; hostname; ls /proc | grep -c '^[0-9]'; \
         readlink /proc/1/ns/net",
    ]);
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines[0], "pid=1");
    assert_eq!(lines[1], "nsutils-test-uts");
    // Only sh and ls (and grep) in the new pid namespace's proc.
    assert!(lines[2].parse::<u32>().unwrap_or(99) <= 3, "{lines:?}");
    assert_ne!(lines[3], own_ns("net"));
    assert_eq!(
        fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default(),
        host_name
    );
}

#[test]
fn mount_proc_is_nosuid_nodev_noexec_and_stays_inside() {
    let _mounts = MountTableUnchanged::new();
    let out = unshare(&["--mount-proc", "grep", " /proc ", "/proc/self/mountinfo"]);
    let last = out.ok().lines().last().unwrap_or_default().to_owned();
    let opts = last.split(' ').nth(5).unwrap_or_default();
    for flag in ["nosuid", "nodev", "noexec"] {
        assert!(
            opts.split(',').any(|o| o == flag),
            "{flag} missing in {last}"
        );
    }
    // Elsewhere, with --root-less private propagation and a custom directory.
    let dir = scratch();
    let d = dir.path().to_string_lossy().into_owned();
    let out = unshare(&[
        &format!("--mount-proc={d}"),
        "--propagation",
        "slave",
        "sh",
        "-c",
        &format!("test -e {d}/self/ns"),
    ]);
    out.assert_code(0);
    fails_with(
        &unshare(&["--mount-proc=/nonexistent", "true"]),
        1,
        "unshare: mount /nonexistent failed: No such file or directory\n",
    );
}

#[test]
fn propagation_as_findmnt_reports_it() {
    if !have("/usr/bin/findmnt", "util-linux") {
        return;
    }
    let _mounts = MountTableUnchanged::new();
    let prop = |args: &[&str]| {
        let mut a = vec!["-m"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["findmnt", "-n", "-o", "PROPAGATION", "/"]);
        unshare(&a).ok().trim().to_owned()
    };
    assert_eq!(prop(&[]), "private");
    assert_eq!(prop(&["--propagation", "private"]), "private");
    assert_eq!(prop(&["--propagation", "shared"]), "shared");
    assert_eq!(prop(&["--propa=shared"]), "shared");
    // slave of a private mount is private; the host's / is private here, so check the
    // mountinfo tag instead: no shared: tag.
    assert!(!prop(&["--propagation", "slave"]).contains("shared"));
    fails_with(
        &unshare(&["--propagation", "sideways", "true"]),
        1,
        "unshare: unsupported propagation mode: sideways\n",
    );
    fails_with(
        &unshare(&["--propagation"]),
        1,
        &format!(
            "{}: option '--propagation' requires an argument\nTry 'unshare --help' for more information.\n",
            ours("unshare").display()
        ),
    );
}

#[test]
fn cgroup_namespace_roots_the_cgroup_paths() {
    let out = unshare(&["-C", "cat", "/proc/self/cgroup"]);
    let lines: Vec<&str> = out.ok().lines().collect();
    for line in &lines {
        assert!(line.ends_with(":/"), "{line}");
    }
    // The unified line ("0::/") exists exactly when a cgroup2 hierarchy does.
    let unified = lines.iter().filter(|l| l.starts_with("0::")).count();
    match tests::cgroup_mode() {
        tests::CgroupMode::V2 => assert_eq!(lines, ["0::/"]),
        tests::CgroupMode::Hybrid => assert!(unified == 1 && lines.len() > 1, "{lines:?}"),
        tests::CgroupMode::V1 => assert!(unified == 0 && !lines.is_empty(), "{lines:?}"),
    }
}

// ---------------------------------------------------------------- user namespaces and maps

#[test]
fn root_maps_as_root_and_as_nobody() {
    let files = [
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
        "/proc/self/setgroups",
    ];
    let mut args = vec!["-r"];
    args.extend_from_slice(&files);
    let out = unshare(&args);
    assert_eq!(
        out.words(),
        [vec!["0", "0", "1"], vec!["0", "0", "1"], vec!["deny"]]
    );
    // Each unprivileged user (nobody; the login user in the systemd guest) maps itself.
    for user in Rootless::all() {
        let out = user.run(ours("unshare")).args(&args).run();
        let (uid, gid) = (user.uid().to_string(), user.gid().to_string());
        assert_eq!(
            out.words(),
            [vec!["0", &uid, "1"], vec!["0", &gid, "1"], vec!["deny"]],
            "{user:?}"
        );
        let out = user.run(ours("unshare")).args(["-r", "id", "-u"]).run();
        assert_eq!(out.ok(), "0\n", "{user:?}");
    }
}

#[test]
fn single_id_maps() {
    let _mounts = MountTableUnchanged::new();
    for user in Rootless::all() {
        let unshare = |args: &[&str]| user.run(ours("unshare")).args(args).run();
        let out = unshare(&["-c", "id", "-u"]);
        assert_eq!(out.ok(), format!("{}\n", user.uid()), "{user:?}");
        assert_eq!(
            unshare(&["--map-user=5", "--map-group=6", "sh", "-c", "id -u; id -g"]).ok(),
            "5\n6\n",
            "{user:?}"
        );
        // A user map alone leaves groups unmapped (the kernel's overflow gid) and setgroups
        // allowed.
        let out = unshare(&[
            "--map-user=5",
            "sh",
            "-c",
            "id -g; cat /proc/self/setgroups",
        ]);
        assert_eq!(out.ok(), "65534\nallow\n", "{user:?}");
        // -U alone: nothing mapped, the kernel's overflow ids.
        assert_eq!(
            unshare(&["-U", "sh", "-c", "id -u; cat /proc/self/setgroups"]).ok(),
            "65534\nallow\n",
            "{user:?}"
        );
    }
    // Names resolve through the passwd database.
    assert_eq!(
        unshare(&["--map-user=nobody", "id", "-u"]).ok(),
        format!("{NOBODY}\n")
    );
    fails_with(
        &unshare(&["--map-user=nsutils-no-such-user", "true"]),
        1,
        "unshare: failed to parse uid 'nsutils-no-such-user'\n",
    );
    fails_with(
        &unshare(&["--map-group=nsutils-no-such-group", "true"]),
        1,
        "unshare: failed to parse gid 'nsutils-no-such-group'\n",
    );
    fails_with(
        &unshare(&["-r", "--setgroups=allow", "true"]),
        1,
        "unshare: options --setgroups=allow and --map-group are mutually exclusive\n",
    );
    assert_eq!(
        unshare(&["-U", "--setgroups", "deny", "cat", "/proc/self/setgroups"]).ok(),
        "deny\n"
    );
}

#[test]
fn range_maps_as_root_are_written_directly() {
    // 2.38.1 always ran newuidmap; 2.40+ (and we) write the maps directly as root.
    let out = unshare(&[
        "--map-users=0:100000:65536",
        "--map-groups=100000,0,65536",
        "cat",
        "/proc/self/uid_map",
        "/proc/self/gid_map",
    ]);
    assert_eq!(
        out.words(),
        [vec!["0", "100000", "65536"], vec!["0", "100000", "65536"]]
    );
    // Several ranges, and a single id that takes precedence over a range.
    let out = unshare(&[
        "--map-users",
        "0:100000:10",
        "--map-users",
        "10:200000:10",
        "--map-user=0",
        "cat",
        "/proc/self/uid_map",
    ]);
    assert_eq!(
        out.words(),
        [
            vec!["0", "0", "1"],
            vec!["1", "100000", "9"],
            vec!["10", "200000", "10"]
        ]
    );
    // An explicit setgroups goes in before the helper's gid_map (util-linux 2.42 writes it
    // after, and fails with EPERM).
    let out = unshare(&[
        "--map-users=0:100000:65536",
        "--map-groups=0:100000:65536",
        "--setgroups=deny",
        "cat",
        "/proc/self/setgroups",
    ]);
    assert_eq!(out.ok(), "deny\n");
    // all: every id of ours, passed through.
    let out = unshare(&["--map-users=all", "cat", "/proc/self/uid_map"]);
    assert_eq!(
        out.ok().split_whitespace().collect::<Vec<_>>(),
        ["0", "0", "4294967295"]
    );
}

#[test]
fn bad_ranges_are_refused_before_anything_changes() {
    let _mounts = MountTableUnchanged::new();
    fails_with(
        &unshare(&["--map-users=0:100000:10", "--map-users=5:200000:10", "true"]),
        1,
        "unshare: uid ranges 0:100000:10 and 5:200000:10 overlap\n",
    );
    fails_with(
        &unshare(&["--map-users=1,2", "true"]),
        1,
        "unshare: invalid mapping '1,2'\n",
    );
    fails_with(
        &unshare(&["--map-groups=a:b:c", "true"]),
        1,
        "unshare: invalid mapping 'a:b:c'\n",
    );
    // 2.38.1 printed a spurious ": Success" here.
    let dir = scratch();
    let out = sh_in_private_mount_ns(
        dir.path(),
        ": > $D/empty; mount --bind $D/empty /etc/subuid; $U --map-auto true",
    );
    fails_with(
        &out,
        1,
        "unshare: no line matching user \"root\" in /etc/subuid\n\
         unshare: hint: user \"root\" has no line in /etc/subuid; add one: usermod \
         --add-subuids 100000-165535 root\n",
    );
}

/// Unprivileged range maps go through newuidmap/newgidmap with the caller's subordinate ids,
/// for each rootless user (nobody; the login user in its session in the systemd guest).
/// /etc/subuid and /etc/subgid are replaced only inside a private mount namespace.
#[test]
fn unprivileged_range_maps_use_newuidmap_and_subids() {
    if !have("/usr/bin/newuidmap", "uidmap") {
        return;
    }
    let dir = scratch();
    fs::write(dir.path().join("subid"), rootless_subids("200000:65536")).unwrap_or_default();
    for user in Rootless::all() {
        let maps = |args: &[&str]| with_subids(dir.path(), user.run(ours("unshare")).args(args));
        let out = maps(&[
            "--map-auto",
            "cat",
            "/proc/self/uid_map",
            "/proc/self/gid_map",
        ]);
        assert_eq!(
            out.words(),
            [vec!["0", "200000", "65536"], vec!["0", "200000", "65536"]],
            "{user:?}"
        );
        let out = maps(&["--map-subids", "cat", "/proc/self/uid_map"]);
        assert_eq!(
            out.ok().split_whitespace().collect::<Vec<_>>(),
            ["200000", "200000", "65536"],
            "{user:?}"
        );
        // -r with --map-auto: root is the caller, and the whole range follows it (util-linux
        // master; 2.41 to 2.42.2 map one id fewer, see map_auto_maps_the_whole_subordinate_range).
        let out = maps(&["-r", "--map-auto", "cat", "/proc/self/uid_map"]);
        let uid = user.uid().to_string();
        assert_eq!(
            out.words(),
            [vec!["0", uid.as_str(), "1"], vec!["1", "200000", "65536"]],
            "{user:?}"
        );
        // More than the subordinate ids grant: refused by us before unshare().
        fails_with(
            &maps(&["--map-users=0:200000:70000", "true"]),
            1,
            &format!(
                "unshare: uid range 0:200000:70000 exceeds the subordinate ids /etc/subuid grants to user {uid}\n"
            ),
        );
    }
}

/// /etc/subuid lines granting `range` (`start:count`) to each rootless user, by name.
fn rootless_subids(range: &str) -> String {
    Rootless::all()
        .iter()
        .map(|user| match user {
            Rootless::Nobody => format!("nobody:{range}\n"),
            Rootless::Login(login) => format!("{}:{range}\n", login.name),
        })
        .collect()
}

/// `command` (a rootless user's) started by root in a private mount namespace in which
/// `DIR/subid` is both /etc/subuid and /etc/subgid (DIR opened to the user, who reads it).
fn with_subids(dir: &std::path::Path, command: Run) -> Output {
    Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c"])
        .args([
            "chmod 755 \"$D\" && mount --bind \"$D/subid\" /etc/subuid && \
             mount --bind \"$D/subid\" /etc/subgid && exec \"$@\"",
            "sh",
        ])
        .args(command.command_line())
        .env("D", dir)
        .run()
}

#[test]
fn owner_creates_the_namespace_as_another_user() {
    let out = unshare(&[
        "--owner=65534:65534",
        "--map-users=0:100000:65536",
        "--map-groups=0:100000:65536",
        "sh",
        "-c",
        "cat /proc/self/uid_map; grep ^Uid: /proc/self/status",
    ]);
    let text = out.ok();
    assert_eq!(
        text.lines()
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["0", "100000", "65536"])
    );
    assert!(text.contains("Uid:\t65534\t65534"), "{text}");
    // Numbers only, and 2.42's message, which does not repeat the argument.
    for bad in ["nobody", "nobody:nogroup", "1", "1:2x", "1 :2", ""] {
        fails_with(
            &unshare(&[&format!("--owner={bad}"), "true"]),
            1,
            "unshare: failed to parse owner\n",
        );
    }
}

#[test]
fn keep_caps_raises_ambient_capabilities() {
    let amb = |extra: &[&str]| {
        let mut a = vec!["-r"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["grep", "^CapAmb", "/proc/self/status"]);
        Rootless::all()
            .iter()
            .map(|user| {
                user.run(ours("unshare"))
                    .args(&a)
                    .run()
                    .ok()
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    for caps in amb(&[]) {
        assert_eq!(caps, "0000000000000000");
    }
    for caps in amb(&["--keep-caps"]) {
        assert_ne!(caps, "0000000000000000");
    }
}

// ---------------------------------------------------------------- persistence

#[test]
fn persistence_files_hold_the_namespaces() {
    let _mounts = MountTableUnchanged::new();
    let dir = scratch();
    let script = "touch $D/net $D/uts $D/mnt $D/user $D/pid && \
         $U --net=$D/net --uts=$D/uts --mount=$D/mnt -f --pid=$D/pid hostname nsutils-persisted && \
         $U --user=$D/user --ipc true && \
         grep \" $D/\" /proc/self/mountinfo | cut -d' ' -f4,5,9 | sort -k2 && \
         nsenter --uts=$D/uts hostname";
    // The kernel refuses (EINVAL) to bind a mount namespace into one whose id is not lower,
    // and on this 2-CPU host a freshly made wrapper namespace sometimes gets the higher id:
    // util-linux's unshare fails the same way (about 1 run in 60, measured). A new wrapper
    // gets new ids, so try again; any other failure fails the test at once.
    let mut out = sh_in_private_mount_ns(dir.path(), script);
    for _ in 0..5 {
        if !(out.stderr.contains("/ns/mnt on ") && out.stderr.contains("Invalid argument")) {
            break;
        }
        out = sh_in_private_mount_ns(dir.path(), script);
    }
    let text = out.ok();
    let d = dir.path().display();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    for (line, kind) in lines.iter().zip(["mnt", "net", "pid", "user", "uts"]) {
        assert!(line.starts_with(&format!("{kind}:[")), "{line}");
        assert!(line.ends_with(&format!("{d}/{kind} nsfs")), "{line}");
    }
    assert_eq!(lines[5], "nsutils-persisted");
}

/// util-linux 2.38.1 to 2.41 failed here with EPERM; 2.42 binds the user namespace from the
/// helper, as we do.
#[test]
fn user_persistence_alone_works() {
    let dir = scratch();
    let out = sh_in_private_mount_ns(
        dir.path(),
        "touch $D/user && $U --user=$D/user true && grep -c \" $D/user \" /proc/self/mountinfo",
    );
    assert_eq!(out.ok(), "1\n");
}

#[test]
fn failed_persistence_leaves_no_bind_behind() {
    let _mounts = MountTableUnchanged::new();
    let dir = scratch();
    // pid_for_children does not exist without --fork: the net bind made first is undone.
    let out = sh_in_private_mount_ns(
        dir.path(),
        "touch $D/net $D/pid && $U --net=$D/net --pid=$D/pid true; echo rc=$?; grep -c \" $D/\" /proc/self/mountinfo",
    );
    let text = &out.stdout;
    assert!(text.starts_with("rc=1\n0\n"), "{out:#?}");
    assert!(
        out.stderr.contains("/ns/pid_for_children on "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .ends_with("/pid failed: No such file or directory\n"),
        "{}",
        out.stderr
    );

    // A missing file, with a mount namespace (so through the helper).
    let out = sh_in_private_mount_ns(
        dir.path(),
        "touch $D/uts; $U --uts=$D/uts --mount=$D/missing true; echo rc=$?; grep -c \" $D/\" /proc/self/mountinfo",
    );
    assert!(out.stdout.starts_with("rc=1\n0\n"), "{out:#?}");
    assert!(
        out.stderr
            .ends_with("/missing failed: No such file or directory\n"),
        "{}",
        out.stderr
    );

    // A mount namespace file on a shared mount that still propagates into the new namespace
    // (its propagation left unchanged): EINVAL, and we say why. With the default private
    // propagation it works (tests/tests/faults.rs).
    let out = sh_in_private_mount_ns(
        dir.path(),
        "mkdir $D/s && mount -t tmpfs tmpfs $D/s && mount --make-shared $D/s && touch $D/s/mnt && \
         $U --mount=$D/s/mnt --propagation unchanged true; echo rc=$?; grep -c nsfs /proc/self/mountinfo",
    );
    assert!(out.stdout.starts_with("rc=1\n0\n"), "{out:#?}");
    assert!(out.stderr.contains("/ns/mnt on "), "{}", out.stderr);
    assert!(
        out.stderr.contains("failed: Invalid argument\n"),
        "{}",
        out.stderr
    );
    let hint = out.stderr.lines().last().unwrap_or_default();
    assert!(
        hint.starts_with("unshare: hint: ")
            && hint.contains("/s/mnt is on a mount with shared propagation"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------- root, wd, credentials, time

#[test]
fn root_and_working_directory() {
    let _mounts = MountTableUnchanged::new();
    assert_eq!(unshare(&["-w", "/tmp", "pwd"]).ok(), "/tmp\n");
    assert_eq!(unshare(&["--wd=/usr", "pwd"]).ok(), "/usr\n");
    fails_with(
        &unshare(&["-R", "/nonexistent", "true"]),
        1,
        "unshare: cannot change root directory to '/nonexistent': No such file or directory\n",
    );
    // 2.38.1 said "cannot chdir to '/nonexistent'"; 2.42's wording:
    fails_with(
        &unshare(&["-w", "/nonexistent", "true"]),
        1,
        "unshare: cannot change directory to /nonexistent: No such file or directory\n",
    );
    if !have("/bin/busybox", "busybox-static") {
        return;
    }
    let dir = scratch();
    let root = dir.path();
    fs::create_dir_all(root.join("bin")).unwrap_or_default();
    fs::create_dir_all(root.join("work")).unwrap_or_default();
    fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap_or_default();
    let r = root.to_string_lossy();
    assert_eq!(unshare(&["-R", &r, "/bin/busybox", "pwd"]).ok(), "/\n");
    assert_eq!(
        unshare(&["-R", &r, "-w", "/work", "/bin/busybox", "pwd"]).ok(),
        "/work\n"
    );
    assert_eq!(
        unshare(&["-R", &r, "/bin/busybox", "ls", "/"]).ok(),
        "bin\nwork\n"
    );
}

#[test]
fn setuid_and_setgid() {
    let _mounts = MountTableUnchanged::new();
    assert_eq!(
        unshare(&[
            "-S",
            "65534",
            "-G",
            "65534",
            "sh",
            "-c",
            "id -u; id -g; id -G"
        ])
        .ok(),
        "65534\n65534\n65534\n"
    );
    assert_eq!(unshare(&["--setuid=1", "id", "-u"]).ok(), "1\n");
    // 2.38.1 parsed -1 as 4294967295; 2.42 says it is out of range. 4294967296 is refused
    // here, where 2.42 still cuts it down to 0 (see numbers_as_util_linux_reads_them).
    fails_with(
        &unshare(&["-S", "-1", "true"]),
        1,
        "unshare: failed to parse uid: '-1': Numerical result out of range\n",
    );
    fails_with(
        &unshare(&["-S", "4294967296", "true"]),
        1,
        "unshare: failed to parse uid: '4294967296': Numerical result out of range\n",
    );
    fails_with(
        &unshare(&["-G", "x", "true"]),
        1,
        "unshare: failed to parse gid: 'x'\n",
    );
    fails_with(
        &unshare(&["-G", "-1", "true"]),
        1,
        "unshare: failed to parse gid: '-1': Numerical result out of range\n",
    );
}

#[test]
fn time_namespace_offsets() {
    let _mounts = MountTableUnchanged::new();
    let out = unshare(&[
        "-T",
        "--monotonic",
        "-5",
        "--boottime=86400",
        "-f",
        "cat",
        "/proc/self/timens_offsets",
    ]);
    assert_eq!(
        out.words(),
        [vec!["monotonic", "-5", "0"], vec!["boottime", "86400", "0"]]
    );
    let up = unshare(&["-Tf", "--boottime", "86400", "cat", "/proc/uptime"]);
    let secs: f64 = up
        .ok()
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    assert!(secs >= 86400.0, "{secs}");
    // 2.38.1 said "(-t)".
    fails_with(
        &unshare(&["--monotonic", "5", "true"]),
        1,
        "unshare: options --monotonic and --boottime require unsharing of a time namespace (-T)\n",
    );
    fails_with(
        &unshare(&["-T", "--boottime", "1.5", "true"]),
        1,
        "unshare: failed to parse boottime offset: '1.5'\n",
    );
}

#[test]
fn binfmt_misc_in_a_user_namespace() {
    if tests::kernel_version() < (6, 7) {
        // binfmt_misc can be mounted in a user namespace only since Linux 6.7: an older
        // kernel refuses, and unshare says so and fails before running the program.
        fails_with(
            &unshare(&["-fp", "--mount-binfmt", "true"]),
            1,
            "unshare: mount /proc/sys/fs/binfmt_misc failed: Operation not permitted\n",
        );
        return;
    }
    // The default directory is in proc, so a proc is mounted too: that needs a pid namespace
    // owned by the new user namespace.
    let out = unshare(&[
        "-fp",
        "--mount-binfmt",
        "grep",
        "binfmt_misc",
        "/proc/self/mountinfo",
    ]);
    let line = out.ok().lines().last().unwrap_or_default().to_owned();
    assert!(line.contains(" /proc/sys/fs/binfmt_misc "), "{line}");
    let opts = line.split(' ').nth(5).unwrap_or_default();
    for flag in ["nosuid", "nodev", "noexec"] {
        assert!(opts.contains(flag), "{line}");
    }
    let out = unshare(&[
        "-rfpl",
        ":nsutilstest:E::nsutilstest::/bin/true:",
        "cat",
        "/proc/sys/fs/binfmt_misc/nsutilstest",
    ]);
    let text = out.ok();
    assert!(
        text.starts_with("enabled\ninterpreter /bin/true\n"),
        "{text}"
    );
    // Only in that namespace.
    assert!(!std::path::Path::new("/proc/sys/fs/binfmt_misc/nsutilstest").exists());
}

// ---------------------------------------------------------------- fork, signals, exit status

#[test]
fn exit_status_passes_through() {
    unshare(&["-m", "sh", "-c", "exit 7"]).assert_code(7);
    unshare(&["-f", "sh", "-c", "exit 7"]).assert_code(7);
    unshare(&["-f", "sh", "-c", "exit 255"]).assert_code(255);
    for (name, signo) in [("TERM", 15), ("INT", 2), ("SEGV", 11)] {
        let out = unshare(&["-f", "sh", "-c", &format!("kill -{name} $$")]);
        assert_eq!(out.signal, Some(signo), "{name}: {out:#?}");
        assert!(!out.core_dumped, "re-raising must not dump core: {out:#?}");
    }
    // 2.38.1 exited 1 with "sigprocmask unblock failed"; 2.40+ dies by SIGKILL too.
    let out = unshare(&["-f", "sh", "-c", "kill -KILL $$"]);
    assert_eq!((out.signal, out.stderr.as_str()), (Some(9), ""), "{out:#?}");
    // Without --fork the program itself is what ends.
    assert_eq!(
        unshare(&["-m", "sh", "-c", "kill -TERM $$"]).signal,
        Some(15)
    );
}

#[test]
fn program_lookup_and_errors() {
    fails_with(
        &unshare(&["nsutils-no-such-cmd"]),
        127,
        "unshare: failed to execute nsutils-no-such-cmd: No such file or directory\n",
    );
    fails_with(
        &unshare(&["/etc/passwd"]),
        126,
        "unshare: failed to execute /etc/passwd: Permission denied\n",
    );
    // A script without #! runs through /bin/sh, as glibc's execvp does.
    let dir = scratch();
    let script = dir.path().join("noshebang");
    fs::write(&script, "echo from-script \"$1\"\n").unwrap_or_default();
    let _ = Run::new("chmod").args(["755"]).args([&script]).run();
    assert_eq!(
        unshare(&[&script.to_string_lossy(), "arg"]).ok(),
        "from-script arg\n"
    );
    let out = Run::new(ours("unshare"))
        .args(["noshebang", "x"])
        .env("PATH", dir.path())
        .run();
    assert_eq!(out.ok(), "from-script x\n");
}

#[test]
fn default_program_is_a_login_shell() {
    let run = |shell: Option<&str>| {
        let r = Run::new(ours("unshare")).args(["-m"]).stdin("echo $0");
        match shell {
            Some(s) => r.env("SHELL", s),
            None => r.env_remove("SHELL"),
        }
        .run()
    };
    assert_eq!(run(Some("/bin/sh")).ok(), "-sh\n");
    // root's passwd shell when SHELL is unset, and (2.42; 2.38.1 failed with 127) when empty.
    let passwd_shell = fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("root:"))
        .and_then(|l| l.rsplit(':').next())
        .map(|s| format!("-{}\n", s.rsplit('/').next().unwrap_or_default()))
        .unwrap_or_default();
    assert_eq!(run(None).ok(), passwd_shell);
    assert_eq!(run(Some("")).ok(), passwd_shell);
    fails_with(
        &run(Some("/nonexistent/sh")),
        127,
        "unshare: failed to execute /nonexistent/sh: No such file or directory\n",
    );
}

fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        let state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if state.is_empty() || state.split(' ').nth(2) == Some("Z") {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn child_of(pid: u32) -> Option<u32> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        let children =
            fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        if let Some(c) = children
            .split_whitespace()
            .next()
            .and_then(|c| c.parse().ok())
        {
            // Wait until it runs the program, not a copy of us.
            let comm = fs::read_to_string(format!("/proc/{c}/comm")).unwrap_or_default();
            if comm.trim() == "sleep" {
                return Some(c);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn kill(pid: u32, sig: &str) {
    Run::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .run();
}

#[test]
fn kill_child_ends_the_child_with_the_parent() {
    let _mounts = MountTableUnchanged::new();
    for (opt, survives) in [
        ("--kill-child", false),
        ("--kill-child=SIGTERM", false),
        ("-f", true),
    ] {
        let mut parent = Run::new(ours("unshare")).args([opt, "sleep", "60"]).spawn();
        let child = child_of(parent.id()).expect("the child runs sleep");
        kill(parent.id(), "KILL");
        let _ = parent.wait();
        let gone = wait_gone(child, Duration::from_secs(5));
        if survives {
            assert!(!gone, "{opt}: the child should outlive its parent");
            kill(child, "KILL");
        } else {
            assert!(gone, "{opt}: the child outlived its parent");
        }
    }
    fails_with(
        &unshare(&["--kill-child=15", "true"]),
        1,
        "unshare: unknown signal: 15\n",
    );
    fails_with(
        &unshare(&["--kill-child=FOO", "true"]),
        1,
        "unshare: unknown signal: FOO\n",
    );
    unshare(&["--kill-child=rtmin+2", "true"]).assert_code(0);
}

#[test]
fn fork_holds_term_unless_forward_signals() {
    // Held: the parent keeps waiting, the child is not signalled and exits 0.
    let mut parent = Run::new(ours("unshare")).args(["-f", "sleep", "1"]).spawn();
    let _ = child_of(parent.id()).expect("child");
    kill(parent.id(), "TERM");
    let status = parent.wait().map(|s| s.code());
    assert_eq!(status.ok().flatten(), Some(0));
    // Forwarded (2.42): the child gets SIGTERM and so does the parent's exit.
    let mut parent = Run::new(ours("unshare"))
        .args(["--forward-signals", "sleep", "30"])
        .spawn();
    let _ = child_of(parent.id()).expect("child");
    kill(parent.id(), "TERM");
    let status = parent
        .wait()
        .map(|s| std::os::unix::process::ExitStatusExt::signal(&s));
    assert_eq!(status.ok().flatten(), Some(15));
}

// ---------------------------------------------------------------- command line

#[test]
fn command_line_contract() {
    let _mounts = MountTableUnchanged::new();
    let bin = ours("unshare");
    let p = bin.display();
    let usage = |msg: &str| format!("{p}: {msg}\nTry 'unshare --help' for more information.\n");
    fails_with(
        &unshare(&["--bogus"]),
        1,
        &usage("unrecognized option '--bogus'"),
    );
    fails_with(&unshare(&["-x"]), 1, &usage("invalid option -- 'x'"));
    fails_with(
        &unshare(&["-n/x", "true"]),
        1,
        &usage("invalid option -- '/'"),
    );
    fails_with(
        &unshare(&["-S"]),
        1,
        &usage("option requires an argument -- 'S'"),
    );
    fails_with(
        &unshare(&["--map-root-user=1", "true"]),
        1,
        &usage("option '--map-root-user' doesn't allow an argument"),
    );
    // 2.42's option table has more --m... options than 2.38.1's.
    fails_with(
        &unshare(&["--m", "true"]),
        1,
        &usage(
            "option '--m' is ambiguous; possibilities: '--mount' '--mount-proc' '--mount-binfmt' '--map-user' '--map-users' '--map-group' '--map-groups' '--map-root-user' '--map-current-user' '--map-auto' '--map-subids' '--monotonic'",
        ),
    );
    // argv[0] verbatim in getopt's messages, its basename elsewhere.
    let out = Run::new(&bin).arg0("/x/y/myname").args(["--bogus"]).run();
    fails_with(
        &out,
        1,
        "/x/y/myname: unrecognized option '--bogus'\nTry 'myname --help' for more information.\n",
    );
    let out = Run::new(&bin)
        .arg0("myname")
        .args(["--propagation", "x", "true"])
        .run();
    fails_with(&out, 1, "myname: unsupported propagation mode: x\n");
    // Parsing stops at the program; -- ends the options.
    assert_eq!(unshare(&["id", "-u"]).ok(), "0\n");
    assert_eq!(unshare(&["--", "id", "-u"]).ok(), "0\n");
    assert_eq!(
        unshare(&["-m", "--", "sh", "-c", "echo $0 $1", "a", "b"]).ok(),
        "a b\n"
    );
    // A detached optional argument is the program.
    fails_with(
        &unshare(&["--net", "/nonexistent/x"]),
        127,
        "unshare: failed to execute /nonexistent/x: No such file or directory\n",
    );
    // Abbreviations.
    assert_eq!(unshare(&["--map-r", "id", "-u"]).ok(), "0\n");
    let help = unshare(&["--help"]);
    assert!(
        help.ok()
            .starts_with("\nUsage:\n unshare [options] [<program> [<argument>...]]\n")
    );
    assert!(help.stdout.ends_with("For more details see unshare(1).\n"));
    assert_eq!(unshare(&["--hel"]).stdout, help.stdout);
    assert_eq!(
        unshare(&["-V"]).ok(),
        format!(
            "unshare from nsutils {} (util-linux 2.42 compatible)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = Run::new(&bin).args(["--help"]).stdout_to(full).run();
    fails_with(&out, 1, "unshare: write error: No space left on device\n");
}

// ---------------------------------------------------------------- side by side with 2.42.2

/// Same stdout, same exit status, same stderr once the program-name prefix is normalised.
#[test]
fn side_by_side_with_util_linux() {
    let Some(reference) = reference("unshare") else {
        return;
    };
    let cases: &[&[&str]] = &[
        &["-m", "true"],
        &["--bogus"],
        &["-x"],
        &["-n/x", "true"],
        &["--propagation", "bogus", "true"],
        &["--propagation"],
        &["--setgroups", "bogus", "true"],
        &["--map-root-user=1", "true"],
        &["--kill-child=FOO", "true"],
        &["--kill-child=15", "true"],
        &["--kill-child=SIGTERM", "true"],
        &["-r", "id"],
        &["-c", "id"],
        &[
            "-r",
            "cat",
            "/proc/self/uid_map",
            "/proc/self/gid_map",
            "/proc/self/setgroups",
        ],
        &["-U", "cat", "/proc/self/setgroups"],
        &["-m", "sh", "-c", "exit 7"],
        &["-f", "sh", "-c", "exit 7"],
        &["-f", "sh", "-c", "exit 255"],
        &["-f", "sh", "-c", "kill -TERM $$"],
        &["nsutils-no-such-cmd"],
        &["/etc/passwd"],
        &["-R", "/nonexistent", "true"],
        &["-T", "--monotonic", "abc", "true"],
        &["-S", "abc", "true"],
        &["--mount-proc=/nonexistent", "true"],
        &[
            "-m",
            "--propagation",
            "shared",
            "findmnt",
            "-n",
            "-o",
            "PROPAGATION",
            "/",
        ],
        &[
            "-m",
            "--propagation",
            "unchanged",
            "findmnt",
            "-n",
            "-o",
            "PROPAGATION",
            "/",
        ],
        &[
            "-pf",
            "--mount-proc",
            "sh",
            "-c",
            "echo $$; readlink /proc/self", // pid 2: deterministic, unlike counting /proc
        ],
        &["-u", "sh", "-c", "hostname nsutils-test-x; hostname"],
        &["--", "id", "-u"],
        &["id", "-u", "--bogus-id-flag"],
        &["-T", "-f", "cat", "/proc/self/timens_offsets"],
        &["--net", "/nonexistent/x"],
    ];
    for args in cases {
        same_as_reference(&reference, args);
    }
    // As each unprivileged user, too (nobody; the login user in its session in the systemd
    // guest), with this test's PATH: a login's PATH has no sbin, where `ip` is.
    let ours = ours("unshare");
    let path = std::env::var_os("PATH").unwrap_or_default();
    for user in Rootless::all() {
        for args in [
            &["-r", "id"][..],
            &["-c", "id"],
            &["--map-user=5", "--map-group=6", "id"],
            &["-n", "true"],
            &["-rn", "ip", "-o", "link"],
        ] {
            let a = user.run(&ours).args(args).env("PATH", &path).run();
            let b = user.run(&reference).args(args).env("PATH", &path).run();
            // Our one more line after some failures (tests/tests/hostile_userns.rs checks it).
            let (a_stderr, _) = split_hint(&a.stderr, "unshare");
            assert_eq!(
                (&a.stdout, a.code, a_stderr),
                (&b.stdout, b.code, b.stderr.as_str()),
                "{user:?}: unshare {args:?}"
            );
        }
    }
}

/// Run ours and the reference with `args`: the same stdout, exit status and stderr (once the
/// program's path is normalised). Returns our output.
fn same_as_reference(reference: &std::path::Path, args: &[&str]) -> Output {
    let ours = ours("unshare");
    let a = Run::new(&ours).args(args).run();
    let b = Run::new(reference).args(args).run();
    let norm =
        |o: &Output, p: &std::path::Path| o.stderr.replace(&p.display().to_string(), "unshare");
    assert_eq!(
        (&a.stdout, a.code, a.signal),
        (&b.stdout, b.code, b.signal),
        "unshare {args:?}"
    );
    assert_eq!(
        norm(&a, &ours),
        norm(&b, reference),
        "stderr of unshare {args:?}"
    );
    a
}

/// Our output and the reference's for `args`.
fn both(reference: &std::path::Path, args: &[&str]) -> (Output, Output) {
    (
        Run::new(ours("unshare")).args(args).run(),
        Run::new(reference).args(args).run(),
    )
}

// ---------------------------------------------------------------- util-linux 2.42.2 items

/// Numbers as 2.42.2's strtou32/strtoul_or_err and sscanf read them: blanks and `+` before
/// the digits, `-1` out of range. Where the number takes effect, the kernel shows it.
#[test]
fn numbers_as_util_linux_reads_them() {
    let _mounts = MountTableUnchanged::new();
    // The kernel's view, ours alone (so this part runs without the reference too).
    assert_eq!(unshare(&["-S", "+5", "id", "-u"]).ok(), "5\n");
    assert_eq!(
        unshare(&["-S", " 7", "-G", "+8", "sh", "-c", "id -u; id -g"]).ok(),
        "7\n8\n"
    );
    let status = unshare(&["--setuid=+5", "grep", "^Uid:", "/proc/self/status"]);
    assert_eq!(status.words(), [vec!["Uid:", "5", "5", "5", "5"]]);
    assert_eq!(
        unshare(&[
            "--map-user=+5",
            "--map-group= 6",
            "cat",
            "/proc/self/uid_map",
            "/proc/self/gid_map"
        ])
        .words(),
        [vec!["5", "0", "1"], vec!["6", "0", "1"]]
    );
    assert_eq!(
        unshare(&["--map-users= 0:+100000: 65536", "cat", "/proc/self/uid_map"]).words(),
        [vec!["0", "100000", "65536"]]
    );
    fails_with(
        &unshare(&["-S", "-1", "true"]),
        1,
        "unshare: failed to parse uid: '-1': Numerical result out of range\n",
    );
    fails_with(
        &unshare(&["--map-user=-1", "true"]),
        1,
        "unshare: failed to parse uid '-1'\n",
    );
    fails_with(
        &unshare(&["--map-user=4294967295", "true"]),
        1,
        "unshare: failed to parse uid '4294967295'\n",
    );
    let Some(reference) = reference("unshare") else {
        return;
    };
    let map = |a: &str| format!("--map-users={a}");
    let same: &[&[&str]] = &[
        &["-S", "+5", "id", "-u"],
        &["-S", " \t7", "id", "-u"],
        &["-S", "-0", "id", "-u"],
        &["-S", "-1", "true"],
        &["-S", "-5x", "true"],
        &["-S", "5x", "true"],
        &["-S", "5 ", "true"],
        &["-S", "", "true"],
        &["-S", "+-5", "true"],
        &["-S", "99999999999999999999", "true"],
        &["-G", "+5", "id", "-g"],
        &["-G", "-1", "true"],
        &["--setgid= 5", "id", "-g"],
        &["--setuid=+5", "grep", "^Uid:", "/proc/self/status"],
        &["--map-user=+5", "id", "-u"],
        &["--map-user= 7", "cat", "/proc/self/uid_map"],
        &["--map-user=-1", "true"],
        &["--map-user=4294967295", "true"],
        &["--map-user=4294967296", "true"],
        &["--map-user=5x", "true"],
        &["--map-group=+6", "cat", "/proc/self/gid_map"],
        &["--map-group=-1", "true"],
        &["--map-group= 6", "id", "-g"],
        &["--owner=x", "true"],
        &["--owner=1", "true"],
        &["--owner=1:2x", "true"],
        &["--owner=1 :2", "true"],
        &["--owner=nobody:nogroup", "true"],
        &[
            "--owner=+65534: 65534",
            "--map-users=0:100000:65536",
            "--map-groups=0:100000:65536",
            "sh",
            "-c",
            "cat /proc/self/uid_map; grep ^Uid: /proc/self/status",
        ],
        &[&map("+0:+100000:+65536"), "cat", "/proc/self/uid_map"],
        &[&map(" 0: 100000: 65536"), "cat", "/proc/self/uid_map"],
        &[&map("100000, 0,+65536"), "cat", "/proc/self/uid_map"],
        &[&map("0:100000:5 "), "true"],
        &[&map("0 :100000:5"), "true"],
        &[
            "-T",
            "--monotonic=+5",
            "-f",
            "cat",
            "/proc/self/timens_offsets",
        ],
        &[
            "-T",
            "--boottime= -5",
            "-f",
            "cat",
            "/proc/self/timens_offsets",
        ],
        &["-T", "--monotonic=99999999999999999999x", "true"],
        &["-T", "--monotonic=5x", "true"],
    ];
    for args in same {
        same_as_reference(&reference, args);
    }

    // Deliberate differences: 2.42.2 cuts a number down to 32 bits, or wraps a negative one
    // around, and goes on with a different id than the one given. We refuse it.
    let (ours, theirs) = both(&reference, &["-S", "4294967296", "id", "-u"]);
    fails_with(
        &ours,
        1,
        "unshare: failed to parse uid: '4294967296': Numerical result out of range\n",
    );
    assert_eq!(
        (theirs.stdout.as_str(), theirs.code),
        ("0\n", Some(0)),
        "{theirs:#?}"
    );
    let (ours, theirs) = both(&reference, &["-S", "18446744073709551615", "true"]);
    fails_with(
        &ours,
        1,
        "unshare: failed to parse uid: '18446744073709551615': Numerical result out of range\n",
    );
    assert!(
        theirs
            .stderr
            .ends_with(": setuid() failed: Invalid argument\n"),
        "{theirs:#?}"
    );
    // --owner=-1:0 is "no owner uid" to 2.42.2, and 4294967296 is 0.
    for arg in ["--owner=-1:0", "--owner=4294967296:0"] {
        let (ours, theirs) = both(&reference, &[arg, "true"]);
        fails_with(&ours, 1, "unshare: failed to parse owner\n");
        assert_eq!(theirs.code, Some(0), "{arg}: {theirs:#?}");
    }
    // A range of -1:0:1 becomes inner 4294967295, which 2.42.2 then takes for an `auto` range
    // and maps from 0; a count of 4294967296 becomes 0, an empty map.
    let (ours, theirs) = both(&reference, &[&map("-1:0:1"), "cat", "/proc/self/uid_map"]);
    fails_with(&ours, 1, "unshare: invalid mapping '-1:0:1'\n");
    assert_eq!(theirs.words(), [vec!["0", "0", "1"]]);
    let (ours, theirs) = both(
        &reference,
        &[&map("0:100000:4294967296"), "cat", "/proc/self/uid_map"],
    );
    fails_with(&ours, 1, "unshare: invalid mapping '0:100000:4294967296'\n");
    assert_eq!(
        (theirs.stdout.as_str(), theirs.code),
        ("", Some(0)),
        "{theirs:#?}"
    );
}

/// A single id (`-r`, `-c`, `--map-user`, `--map-group`) with ranges: the single id first, and
/// a range it collides with skips it on that side and gives up its topmost pair, as 2.42.2
/// lays it out; the kernel's uid_map and gid_map compared with the reference's.
#[test]
fn single_id_and_ranges_laid_out_as_util_linux() {
    let _mounts = MountTableUnchanged::new();
    let maps = |extra: &[&'static str]| {
        let mut a: Vec<&str> = extra.to_vec();
        a.extend(["cat", "/proc/self/uid_map", "/proc/self/gid_map"]);
        a
    };
    // Ours, as the kernel shows it.
    assert_eq!(
        unshare(&maps(&["--map-users=0:100000:65536", "--map-root-user"])).words(),
        [
            vec!["0", "0", "1"],
            vec!["1", "100000", "65535"],
            vec!["0", "0", "1"]
        ]
    );
    assert_eq!(
        unshare(&maps(&["--map-groups=0:100000:65536", "--map-group=5"])).words(),
        [
            vec!["5", "0", "1"],
            vec!["0", "100000", "5"],
            vec!["6", "100005", "65530"]
        ]
    );
    let Some(reference) = reference("unshare") else {
        return;
    };
    for extra in [
        &["--map-users=0:100000:65536", "--map-root-user"][..],
        &["--map-users=0:100000:65536", "--map-user=5"],
        &["--map-groups=0:100000:65536", "--map-group=5"],
        &[
            "--map-users=0:100000:65536",
            "--map-groups=0:100000:65536",
            "-r",
        ],
        &[
            "--map-users=0:100000:10",
            "--map-users=10:200000:10",
            "--map-user=0",
        ],
        &[
            "--map-users=0:100000:10",
            "--map-user=3",
            "--map-users=20:100020:5",
        ],
        // Both sides collide: each skips its own id.
        &["--map-users=0:0:10", "--map-user=3"],
        &["--map-users=0:0:10", "-c"],
        &["--map-users=all", "--map-groups=all", "-r"],
        &["--map-users=100:100000:10", "--map-user=5"],
    ] {
        same_as_reference(&reference, &maps(extra));
    }
    // Which maps the helper writes is decided per kind: a single gid map written from
    // inside comes with setgroups denied, one laid into ranges or written with --owner not.
    for extra in [
        &["--map-users=0:100000:65536", "--map-group=5"][..],
        &["--map-groups=0:100000:65536", "--map-user=5"],
        &["--map-users=0:100000:65536", "-r"],
        &["--owner=0:0", "-r"],
        &["--owner=0:0", "--map-user=3"],
        &["-r", "--setgroups=allow", "--map-groups=0:100000:10"],
        &["-r", "--setgroups=allow", "--map-users=0:100000:10"],
    ] {
        let mut args = maps(extra);
        args.push("/proc/self/setgroups");
        same_as_reference(&reference, &args);
    }
    // A range beyond 4294967295 is the kernel's to refuse; the helper that writes from
    // outside says so in 2.42.2's words (which name its pid: left out here).
    let without_pid = |text: &str| {
        let (head, tail) = text.split_once("/proc/").unwrap_or((text, ""));
        format!(
            "{head}/proc/{}",
            tail.trim_start_matches(|c: char| c.is_ascii_digit())
        )
    };
    let (ours, theirs) = both(
        &reference,
        &["--map-users=0:4294967290:10", "--map-user=3", "true"],
    );
    assert_eq!(
        (ours.code, without_pid(&ours.stderr)),
        (
            Some(1),
            "unshare: failed to write /proc//uid_map: Invalid argument\n".to_owned()
        )
    );
    assert_eq!(
        without_pid(
            &theirs
                .stderr
                .replace(&reference.display().to_string(), "unshare")
        ),
        without_pid(&ours.stderr)
    );
    // Deliberate difference: without a single id, 2.42.2 splits such a range where it passes
    // 4294967295 and maps the rest of it to outer ids from 0, root's among them.
    let args = maps(&["--map-users=0:4294967290:10"]);
    let (ours, theirs) = both(&reference, &args);
    assert_eq!(
        (ours.code, without_pid(&ours.stderr)),
        (
            Some(1),
            "unshare: failed to write /proc//uid_map: Invalid argument\n".to_owned()
        )
    );
    assert_eq!(
        theirs.words(),
        [vec!["0", "4294967290", "5"], vec!["5", "0", "5"]]
    );
    // Deliberate difference: 2.42.2 counts the id just past a range as inside it, and the
    // range gives up its topmost pair for nothing.
    let args = maps(&["--map-users=0:100000:5", "--map-user=5"]);
    let (ours, theirs) = both(&reference, &args);
    assert_eq!(
        ours.words(),
        [vec!["5", "0", "1"], vec!["0", "100000", "5"]]
    );
    assert_eq!(
        theirs.words(),
        [vec!["5", "0", "1"], vec!["0", "100000", "4"]]
    );
}

/// `-r --map-auto` maps the whole subordinate range, one id further up; 2.41 to 2.42.2 map
/// one id fewer (fixed on util-linux master by "unshare: Fix --map-auto regression").
/// /etc/subuid and /etc/subgid are replaced only inside a private mount namespace.
#[test]
fn map_auto_maps_the_whole_subordinate_range() {
    let dir = scratch();
    fs::write(
        dir.path().join("subid"),
        format!("root:300000:65536\n{}", rootless_subids("200000:65536")),
    )
    .unwrap_or_default();
    let run = |unshare: &std::path::Path, args: &str| {
        sh_in_private_mount_ns(
            dir.path(),
            &format!(
                "mount --bind $D/subid /etc/subuid && mount --bind $D/subid /etc/subgid && \
                 {} {args} cat /proc/self/uid_map /proc/self/gid_map",
                unshare.display()
            ),
        )
    };
    let ours_unshare = ours("unshare");
    let full = [
        vec!["0", "0", "1"],
        vec!["1", "300000", "65536"],
        vec!["0", "0", "1"],
        vec!["1", "300000", "65536"],
    ];
    assert_eq!(run(&ours_unshare, "-r --map-auto").words(), full);
    assert_eq!(
        run(&ours_unshare, "--map-auto").words(),
        [vec!["0", "300000", "65536"], vec!["0", "300000", "65536"]]
    );
    // --map-user inside the range: the range skips it and still keeps its count.
    assert_eq!(
        run(&ours_unshare, "--map-users=auto --map-user=5").words(),
        [
            vec!["5", "0", "1"],
            vec!["0", "300000", "5"],
            vec!["6", "300005", "65531"]
        ]
    );
    let Some(reference) = reference("unshare") else {
        return;
    };
    assert_eq!(
        run(&reference, "-r --map-auto").words(),
        [
            vec!["0", "0", "1"],
            vec!["1", "300000", "65535"],
            vec!["0", "0", "1"],
            vec!["1", "300000", "65535"]
        ]
    );
    // Without a single id both agree.
    assert_eq!(
        run(&reference, "--map-auto").stdout,
        run(&ours_unshare, "--map-auto").stdout
    );
    // As each rootless user, through the setuid newuidmap: the same.
    if !have("/usr/bin/newuidmap", "uidmap") {
        return;
    }
    for user in Rootless::all() {
        let rootless = |unshare: &std::path::Path| {
            let command = user
                .run(unshare)
                .args(["-r", "--map-auto", "cat", "/proc/self/uid_map"]);
            with_subids(dir.path(), command)
        };
        let uid = user.uid().to_string();
        assert_eq!(
            rootless(&ours_unshare).words(),
            [vec!["0", uid.as_str(), "1"], vec!["1", "200000", "65536"]],
            "{user:?}"
        );
        assert_eq!(
            rootless(&reference).words(),
            [vec!["0", uid.as_str(), "1"], vec!["1", "200000", "65535"]],
            "{user:?}"
        );
    }
}

/// `-R` and `-w` are checked before any namespace is made or bound: a missing directory
/// leaves no persistence bind behind. 2.42.2 finds out only at chroot or chdir, and its bind
/// stays. All in a private mount namespace, so nothing leaks either way.
#[test]
fn root_and_wd_are_checked_before_namespaces() {
    let _mounts = MountTableUnchanged::new();
    let dir = scratch();
    let try_it = |unshare: &std::path::Path, args: &str| {
        sh_in_private_mount_ns(
            dir.path(),
            &format!(
                "touch $D/uts; {} --uts=$D/uts {args} true; echo rc=$?; \
                 grep \" $D/uts \" /proc/self/mountinfo | grep -c nsfs",
                unshare.display()
            ),
        )
    };
    let root_missing =
        "unshare: cannot change root directory to '/nonexistent': No such file or directory\n";
    let cases = [
        ("-R /nonexistent", root_missing.to_owned()),
        (
            "-R /etc/passwd",
            "unshare: cannot change root directory to '/etc/passwd': Not a directory\n".to_owned(),
        ),
        (
            "-w /nonexistent",
            "unshare: cannot change directory to /nonexistent: No such file or directory\n"
                .to_owned(),
        ),
        (
            "-w /etc/passwd",
            "unshare: cannot change directory to /etc/passwd: Not a directory\n".to_owned(),
        ),
        // Looked up inside the new root: / has /usr, the scratch root has not.
        (
            &*format!("-R {} -w /usr", dir.path().display()),
            "unshare: cannot change directory to /usr: No such file or directory\n".to_owned(),
        ),
        // Through the helper that binds for a new mount namespace.
        ("-m -R /nonexistent", root_missing.to_owned()),
    ];
    let ours_unshare = ours("unshare");
    for (args, message) in &cases {
        let out = try_it(&ours_unshare, args);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("rc=1\n0\n", message.as_str()),
            "{args}"
        );
    }
    // A directory that is there still works, with the bind made.
    let out = try_it(&ours_unshare, "-R / -w /usr");
    assert_eq!(out.stdout, "rc=0\n1\n", "{out:#?}");
    let Some(reference) = reference("unshare") else {
        return;
    };
    for (args, message) in &cases {
        let out = try_it(&reference, args);
        let stderr = out
            .stderr
            .replace(&reference.display().to_string(), "unshare");
        assert_eq!(
            (out.stdout.as_str(), stderr.as_str()),
            ("rc=1\n1\n", message.as_str()),
            "{args}"
        );
    }
}

/// A user namespace that maps every id (`0 0 4294967295`, as systemd's PrivateUsers=full
/// makes) is still not the initial one: ovlmount, which asks `in_initial_user_ns`, mounts
/// overlayfs with userxattr there.
#[test]
fn a_full_map_is_not_the_initial_user_namespace() {
    let d = scratch();
    let out = Run::new(ours("unshare"))
        .args([
            "-U",
            "--map-users=all",
            "--map-groups=all",
            "-m",
            "/bin/sh",
            "-c",
        ])
        .arg_os(
            r#"set -e; cd "$D"; cat /proc/self/uid_map; mkdir a u w m; echo x > a/f
            "$O" mount -l a -u u -w w m; echo y > m/f
            grep " $D/m " /proc/self/mountinfo | grep -o userxattr; "$O" umount m"#,
        )
        .env("O", ours("ovlmount"))
        .env("D", d.path())
        .run();
    assert_eq!(
        out.words(),
        [vec!["0", "0", "4294967295"], vec!["userxattr"]],
        "{out:#?}"
    );
}

/// --clear-env and --whitelist-env, from util-linux master (after 2.42.2): the environment is
/// emptied right before exec, except the variables named, whose values are taken while the
/// options are read; SHELL and PATH are then looked up in what is left.
#[test]
fn clear_env_and_whitelist_env() {
    let run = |args: &[&str]| {
        Run::new(ours("unshare"))
            .args(args)
            .env("NSUTILS_A", "1")
            .env("NSUTILS_B", "2 two")
            .env("NSUTILS_C", "3=three")
            .env("SHELL", "/bin/sh")
    };
    assert_eq!(run(&["--clear-env", "/usr/bin/env"]).run().ok(), "");
    // No PATH: execvp's default search path still finds env.
    assert_eq!(run(&["-m", "--clear-env", "env"]).run().ok(), "");
    // Kept last-named first, each once, as util-linux sets them; unset names are skipped.
    assert_eq!(
        run(&[
            "--whitelist-env=NSUTILS_C,NSUTILS_A,NSUTILS_NOPE",
            "--whitelist-env",
            "NSUTILS_B,NSUTILS_A",
            "env"
        ])
        .run()
        .ok(),
        "NSUTILS_A=1\nNSUTILS_B=2 two\nNSUTILS_C=3=three\n"
    );
    // Also with --clear-env around it, and a name with '=' names nothing.
    assert_eq!(
        run(&[
            "--clear-env",
            "--whitelist-env=NSUTILS_A,NSUTILS_C=3,,",
            "env"
        ])
        .run()
        .ok(),
        "NSUTILS_A=1\n"
    );
    // A list that keeps nothing still clears (master's source keeps everything then).
    assert_eq!(run(&["--whitelist-env=NSUTILS_NOPE", "env"]).run().ok(), "");
    // Without a program: $SHELL is gone, so the passwd shell runs.
    let passwd_shell = fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("root:"))
        .and_then(|l| l.rsplit(':').next())
        .map(|s| format!("-{}\n", s.rsplit('/').next().unwrap_or_default()))
        .unwrap_or_default();
    assert_eq!(
        run(&["--clear-env"]).stdin("echo $0").run().ok(),
        passwd_shell
    );
    assert_eq!(
        run(&["--whitelist-env=SHELL"]).stdin("echo $0").run().ok(),
        "-sh\n"
    );
    // The program's own environment changes nothing of ours: the namespaces are made as usual.
    assert_eq!(run(&["-r", "--clear-env", "id", "-u"]).run().ok(), "0\n");
    let bin = ours("unshare");
    fails_with(
        &unshare(&["--whitelist-env"]),
        1,
        &format!(
            "{}: option '--whitelist-env' requires an argument\nTry 'unshare --help' for more information.\n",
            bin.display()
        ),
    );
    // 2.42.2 does not have them.
    if let Some(reference) = reference("unshare") {
        let out = Run::new(&reference).args(["--clear-env", "true"]).run();
        fails_with(
            &out,
            1,
            &format!(
                "{}: unrecognized option '--clear-env'\nTry 'unshare --help' for more information.\n",
                reference.display()
            ),
        );
    }
}
