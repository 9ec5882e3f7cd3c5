//! `nsenter` run as a user runs it, against targets started with our own `unshare`, checked
//! against the kernel's view and, where 2.38.1 and 2.42 agree, side by side with
//! util-linux's `/usr/bin/nsenter` (2.38.1 here). Where 2.42 differs, the test says so.
//!
//! Every test runs as root on the development host and in the VMs of `cargo xtask vm-test`.

use std::fs;
use std::time::{Duration, Instant};

use tests::{CgroupMode, NOBODY, Output, Run, cgroup_mode, ours, own_ns, reference};

fn nsenter(args: &[&str]) -> Output {
    Run::new(ours("nsenter")).args(args).run()
}

fn fails_with(out: &Output, code: i32, stderr: &str) {
    assert_eq!(out.code, Some(code), "{out:#?}");
    assert_eq!(out.stderr, stderr, "{out:#?}");
}

fn ns_of(pid: u32, name: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{name}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A long-lived process in namespaces of its own, killed when dropped.
struct Target {
    /// The process to enter (`sleep`).
    pid: u32,
    launcher: std::process::Child,
}

impl Target {
    /// `unshare -fpmuin --mount-proc -w /tmp`: the sleeping child is pid 1 of its namespace,
    /// with host name `nsenter-target`.
    fn new() -> Target {
        let launcher = Run::new(ours("unshare"))
            .args(["-fpmuin", "--mount-proc", "-w", "/tmp", "/bin/sh", "-c"])
            .args(["hostname nsenter-target && exec sleep 60"])
            .env("NSENTER_MARK", "from-the-target")
            .spawn();
        let outer = launcher.id();
        let pid = wait_for(|| {
            let kids = fs::read_to_string(format!("/proc/{outer}/task/{outer}/children")).ok()?;
            let pid: u32 = kids.split_whitespace().next()?.parse().ok()?;
            is_sleeping(pid).then_some(pid)
        });
        Target { pid, launcher }
    }

    /// `unshare -U -r -n sleep 60` started by nobody: no fork, the launcher is the target.
    fn user_ns_of_nobody() -> Target {
        let launcher = Run::as_nobody(ours("unshare"))
            .args(["-U", "-r", "-n", "sleep", "60"])
            .spawn();
        let pid = launcher.id();
        wait_for(|| is_sleeping(pid).then_some(()));
        // The maps are written before exec, so they are in place now.
        Target { pid, launcher }
    }

    fn pid(&self) -> String {
        self.pid.to_string()
    }
}

fn is_sleeping(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
}

fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "target did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = Run::new("/bin/kill")
            .args(["-KILL", &self.pid.to_string()])
            .run();
        let _ = self.launcher.kill();
        let _ = self.launcher.wait();
    }
}

// ---------------------------------------------------------------- namespaces, kernel's view

#[test]
fn each_namespace_option_enters_the_targets_namespace() {
    let t = Target::new();
    let p = t.pid();
    for (opt, name) in [
        ("-m", "mnt"),
        ("-u", "uts"),
        ("-i", "ipc"),
        ("-n", "net"),
        ("-p", "pid"),
        ("--net", "net"),
        ("--mount", "mnt"),
    ] {
        let path = format!("/proc/self/ns/{name}");
        // With -m, /proc is the target's; its own pid namespace shows no /proc/self for
        // a process outside it, so read the link with -p too.
        let args: Vec<&str> = if name == "mnt" {
            vec!["-t", &p, opt, "-p", "readlink", &path]
        } else {
            vec!["-t", &p, opt, "readlink", &path]
        };
        let out = nsenter(&args);
        assert_eq!(out.ok().trim(), ns_of(t.pid, name), "{opt}");
        assert_ne!(out.ok().trim(), own_ns(name), "{opt}");
    }
}

#[test]
fn namespace_file_forms() {
    let t = Target::new();
    let file = format!("/proc/{}/ns/net", t.pid);
    for arg in [format!("--net={file}"), format!("-n{file}")] {
        let out = nsenter(&[&arg, "readlink", "/proc/self/ns/net"]);
        assert_eq!(out.ok().trim(), ns_of(t.pid, "net"), "{arg}");
    }
    // A separate word is the program, and -n then needs a target.
    fails_with(
        &nsenter(&["-n", &file, "true"]),
        1,
        "nsenter: neither filename nor target pid supplied for ns/net\n",
    );
}

#[test]
fn hostname_and_pid_1() {
    let t = Target::new();
    let out = nsenter(&["-t", &t.pid(), "-u", "cat", "/proc/sys/kernel/hostname"]);
    assert_eq!(out.ok(), "nsenter-target\n");
    let out = nsenter(&[
        "-t",
        &t.pid(),
        "-m",
        "-p",
        "/bin/sh",
        "-c",
        "echo $$; cat /proc/1/comm",
    ]);
    let lines: Vec<&str> = out.ok().lines().collect();
    let inner: u32 = lines[0].parse().unwrap_or(0);
    assert!(inner > 1 && inner < 100, "pid inside: {out:#?}");
    assert_eq!(lines[1], "sleep");
    // -F: no fork, so the shell keeps its pid in our namespace.
    let out = nsenter(&["-t", &t.pid(), "-p", "-F", "/bin/sh", "-c", "echo $$"]);
    let pid = out.ok().trim().to_owned();
    assert!(!pid.is_empty() && pid.parse::<u32>().unwrap_or(0) > 1);
}

#[test]
fn all_enters_every_namespace_but_our_own_user_namespace() {
    let t = Target::new();
    let out = nsenter(&[
        "-t",
        &t.pid(),
        "-a",
        "/bin/sh",
        "-c",
        "for n in mnt uts ipc net pid user; do readlink /proc/self/ns/$n; done",
    ]);
    let got: Vec<String> = out.ok().lines().map(str::to_owned).collect();
    let want: Vec<String> = ["mnt", "uts", "ipc", "net", "pid", "user"]
        .iter()
        .map(|n| ns_of(t.pid, n))
        .collect();
    assert_eq!(got, want);
    assert_eq!(got[5], own_ns("user"));
}

#[test]
fn exit_status_and_signals_pass_through() {
    let t = Target::new();
    let p = t.pid();
    assert_eq!(
        nsenter(&["-t", &p, "-p", "/bin/sh", "-c", "exit 3"]).code,
        Some(3)
    );
    assert_eq!(
        nsenter(&["-t", &p, "-u", "/bin/sh", "-c", "exit 4"]).code,
        Some(4)
    );
    // The forked child's signal is re-raised by the parent; without a fork the program
    // itself dies of it.
    for opt in ["-p", "-u"] {
        let out = nsenter(&["-t", &p, opt, "/bin/sh", "-c", "kill -TERM $$"]);
        assert_eq!(out.signal, Some(15), "{opt}: {out:#?}");
    }
    fails_with(
        &nsenter(&["-t", &p, "-u", "nonexistent-cmd-xyz"]),
        127,
        "nsenter: failed to execute nonexistent-cmd-xyz: No such file or directory\n",
    );
}

// ---------------------------------------------------------------- credentials, user namespaces

#[test]
fn credentials_are_set_after_entering() {
    let t = Target::new();
    let out = nsenter(&[
        "-t",
        &t.pid(),
        "-S",
        "1000",
        "-G",
        "1000",
        "-u",
        "/bin/sh",
        "-c",
        "id -u; id -g; id -G",
    ]);
    assert_eq!(out.ok(), "1000\n1000\n1000\n");
    fails_with(
        &nsenter(&["-t", &t.pid(), "-S", "no-such-user-x", "-u", "true"]),
        1,
        "nsenter: failed to parse uid: 'no-such-user-x'\n",
    );
}

#[test]
fn user_namespace_of_an_unprivileged_container() {
    let t = Target::user_ns_of_nobody();
    let p = t.pid();
    // Root enters: uid and gid become 0 inside.
    let out = nsenter(&["-t", &p, "-U", "-n", "/bin/sh", "-c", "id -u; id -g"]);
    assert_eq!(out.ok(), "0\n0\n");
    let out = nsenter(&["-t", &p, "-a", "readlink", "/proc/self/ns/user"]);
    assert_eq!(out.ok().trim(), ns_of(t.pid, "user"));
    // Kept credentials: root is not mapped there, so it shows as the overflow id.
    let out = nsenter(&["-t", &p, "-U", "--preserve-credentials", "id", "-u"]);
    assert_eq!(out.ok().trim(), NOBODY.to_string());
    // The owner enters it without privilege: user namespace first.
    let out = Run::as_nobody(ours("nsenter"))
        .args(["-t", &p, "-n", "-U", "--preserve-credentials", "id", "-u"])
        .run();
    assert_eq!(out.ok().trim(), "0");
    // Without --preserve-credentials, setgroups is denied in an `unshare -r` namespace.
    let out = Run::as_nobody(ours("nsenter"))
        .args(["-t", &p, "-U", "-n", "id"])
        .run();
    fails_with(
        &out,
        1,
        "nsenter: setgroups failed: Operation not permitted\n",
    );
    // And without the user namespace, no privilege over its network namespace.
    let out = Run::as_nobody(ours("nsenter"))
        .args(["-t", &p, "-n", "true"])
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(out.stderr.contains("Operation not permitted"), "{out:#?}");
}

// ---------------------------------------------------------------- root, directories, env

#[test]
fn root_and_working_directories() {
    let t = Target::new();
    let p = t.pid();
    let pwd = |args: &[&str]| {
        let mut all = vec!["-t", &p, "-m"];
        all.extend_from_slice(args);
        all.push("pwd");
        nsenter(&all).ok().trim().to_owned()
    };
    assert_eq!(pwd(&["-r"]), "/");
    assert_eq!(pwd(&["-w"]), "/tmp");
    assert_eq!(pwd(&["--wd=/etc"]), "/etc");
    assert_eq!(pwd(&["-W/etc"]), "/etc");
    assert_eq!(pwd(&["--wdns=/etc"]), "/etc");
    assert_eq!(pwd(&["-r", "-w"]), "/tmp");
    fails_with(
        &nsenter(&["-t", &p, "-m", "-w/", "-W/", "pwd"]),
        1,
        "nsenter: mutually exclusive arguments: --wdns --wd\n",
    );
}

#[test]
fn environment_of_the_target() {
    let t = Target::new();
    let out = Run::new(ours("nsenter"))
        .args([
            "-t",
            &t.pid(),
            "-u",
            "-e",
            "/bin/sh",
            "-c",
            "echo $NSENTER_MARK",
        ])
        .env("NSENTER_MARK", "ours")
        .run();
    assert_eq!(out.ok(), "from-the-target\n");
}

#[test]
fn target_with_its_pidfd_inode() {
    let t = Target::new();
    let fd = sys::target::open_pidfd(t.pid, None)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no pidfd"));
    let inode = sys::target::pidfd_inode(&fd).unwrap_or_else(|e| panic!("{e}"));
    let arg = format!("{}:{inode}", t.pid);
    let out = nsenter(&["-t", &arg, "-u", "cat", "/proc/sys/kernel/hostname"]);
    assert_eq!(out.ok(), "nsenter-target\n");
    // Before pidfs (Linux 6.9) every pidfd has the same inode, so only a wrong inode can
    // be refused; since then the inode names one process for the life of the system.
    if tests::kernel_version() >= (6, 9) {
        let other = sys::target::open_pidfd(std::process::id(), None)
            .ok()
            .flatten()
            .map(|fd| sys::target::pidfd_inode(&fd).unwrap_or(0))
            .unwrap_or(0);
        let arg = format!("{}:{other}", t.pid);
        let out = nsenter(&["-t", &arg, "-u", "true"]);
        assert_eq!(out.code, Some(1), "{out:#?}");
    }
}

#[test]
fn join_cgroup_on_v2_only() {
    let t = Target::new();
    let out = nsenter(&["-t", &t.pid(), "-u", "-c", "cat", "/proc/self/cgroup"]);
    if cgroup_mode() == CgroupMode::V2 {
        let theirs = fs::read_to_string(format!("/proc/{}/cgroup", t.pid)).unwrap_or_default();
        assert_eq!(out.ok(), theirs);
    } else {
        fails_with(
            &out,
            1,
            "nsenter: --join-cgroup is only supported in cgroup v2\n",
        );
    }
}

#[test]
fn keep_caps_in_the_user_namespace() {
    let t = Target::user_ns_of_nobody();
    let amb = |extra: &[&str]| {
        let p = t.pid();
        let mut all = vec!["-t", p.as_str(), "-U", "--preserve-credentials"];
        all.extend_from_slice(extra);
        all.extend(["grep", "CapAmb", "/proc/self/status"]);
        Run::as_nobody(ours("nsenter"))
            .args(all)
            .run()
            .ok()
            .to_owned()
    };
    assert!(amb(&[]).contains("0000000000000000"), "{}", amb(&[]));
    assert!(!amb(&["--keep-caps"]).contains("0000000000000000"));
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_input() {
    let t = Target::new();
    let p = t.pid();
    fails_with(&nsenter(&[]), 1, "nsenter: no namespace specified\n");
    fails_with(
        &nsenter(&["-t", &p]),
        1,
        "nsenter: no namespace specified\n",
    );
    fails_with(
        &nsenter(&["-m", "true"]),
        1,
        "nsenter: neither filename nor target pid supplied for ns/mnt\n",
    );
    fails_with(
        &nsenter(&["-a", "true"]),
        1,
        "nsenter: no target PID specified\n",
    );
    // 2.42 opens a pidfd for the target (2.38.1: cannot open /proc/PID/ns/mnt).
    fails_with(
        &nsenter(&["-t", "999999999", "-m", "true"]),
        1,
        "nsenter: failed to pidfd_open() for 999999999: No such process\n",
    );
    fails_with(
        &nsenter(&["-t", "abc", "-m", "true"]),
        1,
        "nsenter: failed to parse PID argument 'abc': Invalid argument\n",
    );
    let out = nsenter(&["-t", &format!("{p}:1"), "-u", "true"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr.starts_with(&format!(
            "nsenter: process {p} is not the one with pidfd inode 1"
        )),
        "{out:#?}"
    );
    fails_with(
        &nsenter(&["--net=/etc/passwd", "true"]),
        1,
        "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument\n",
    );
    fails_with(
        &nsenter(&[&format!("--net=/proc/{p}/ns/uts"), "true"]),
        1,
        "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument\n",
    );
    fails_with(
        &nsenter(&["--net=/nonexistent/x", "true"]),
        1,
        "nsenter: cannot open /nonexistent/x: No such file or directory\n",
    );
    let out = Run::new(ours("nsenter"))
        .arg0("nsenter")
        .args(["--bogus"])
        .run();
    fails_with(
        &out,
        1,
        "nsenter: unrecognized option '--bogus'\nTry 'nsenter --help' for more information.\n",
    );
    assert!(
        nsenter(&["-Z", "-t", &p, "-u", "true"])
            .stderr
            .contains("SELinux")
    );
}

#[test]
fn help_and_version() {
    let out = nsenter(&["--help"]);
    assert!(out.ok().starts_with("\nUsage:\n nsenter [options]"));
    assert!(out.ok().ends_with("For more details see nsenter(1).\n"));
    assert!(
        nsenter(&["-V"])
            .ok()
            .contains("(util-linux 2.42 compatible)")
    );
}

// ---------------------------------------------------------------- side by side with 2.38.1

#[test]
fn side_by_side_with_util_linux() {
    let Some(theirs) = reference("/usr/bin/nsenter") else {
        return;
    };
    let t = Target::new();
    let p = t.pid();
    let both = |args: &[&str]| {
        let a = Run::new(ours("nsenter")).arg0("nsenter").args(args).run();
        let b = Run::new(&theirs).arg0("nsenter").args(args).run();
        assert_eq!(a, b, "{args:?}");
    };
    both(&["-t", &p, "-u", "cat", "/proc/sys/kernel/hostname"]);
    both(&["-t", &p, "-a", "readlink", "/proc/self/ns/net"]);
    both(&["-t", &p, "-p", "/bin/sh", "-c", "exit 3"]);
    both(&["-t", &p, "-m", "-p", "cat", "/proc/1/comm"]);
    both(&["-t", &p, "-m", "-w", "pwd"]);
    both(&["-t", &p, "-m", "-r", "pwd"]);
    both(&["-t", &p, "-m", "--wdns=/etc", "pwd"]);
    both(&["-t", &p, "-S", "1000", "-G", "1000", "-u", "id", "-u"]);
    both(&["-m", "true"]);
    both(&["-t", &p, "-m", "-w/", "-W/", "pwd"]);
    both(&["--bogus"]);
    both(&["-t", &p, "-u", "nonexistent-cmd-xyz"]);
    both(&[&format!("--net=/proc/{p}/ns/uts"), "true"]);
    // Not compared: `nsenter` alone (2.38.1 runs a shell; 2.42 refuses), --all without a
    // target and -t parse errors (texts changed), a missing pid (2.42 uses a pidfd), -e
    // (not in 2.38.1), setuid/setgid failures (`setgid failed` became `setgid() failed`).
}
