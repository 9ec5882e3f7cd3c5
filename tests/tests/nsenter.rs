//! `nsenter` run as a user runs it, against targets started with our own `unshare`, checked
//! against the kernel's view and side by side with util-linux 2.42.2's `nsenter` (stdout,
//! stderr and exit status). Where nsutils differs on purpose (an upstream bug fixed, or what
//! util-linux master added after 2.42.2), the test asserts both behaviours.
//!
//! Every test runs as root on the development host and in the VMs of `cargo xtask vm-test`.

use std::fs;
use std::time::{Duration, Instant};

use tests::{CgroupMode, NOBODY, Output, Rootless, Run, cgroup_mode, ours, own_ns, reference};

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

    /// `unshare -U -r -n sleep 60` started by `user`: no fork, so the target is the launcher
    /// itself (nobody's setpriv execs unshare) or the child of the login's `runuser`.
    fn user_ns_of(user: &Rootless) -> Target {
        let launcher = user
            .run(ours("unshare"))
            .args(["-U", "-r", "-n", "sleep", "60"])
            .spawn();
        let outer = launcher.id();
        let pid = wait_for(|| {
            let kids = fs::read_to_string(format!("/proc/{outer}/task/{outer}/children"))
                .unwrap_or_default();
            std::iter::once(outer)
                .chain(kids.split_whitespace().filter_map(|k| k.parse().ok()))
                .find(|&pid| is_sleeping(pid))
        });
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
    // A separate word is the program, and -n then needs a target (2.38.1 says "neither
    // filename nor target pid supplied for ns/net").
    fails_with(
        &nsenter(&["-n", &file, "true"]),
        1,
        "nsenter: no target PID specified\n",
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
    // Made by each unprivileged user (nobody; the login user in its session in the systemd
    // guest), which then enters it again.
    for user in Rootless::all() {
        let t = Target::user_ns_of(&user);
        let p = t.pid();
        // Root enters: uid and gid become 0 inside.
        let out = nsenter(&["-t", &p, "-U", "-n", "/bin/sh", "-c", "id -u; id -g"]);
        assert_eq!(out.ok(), "0\n0\n", "{user:?}");
        let out = nsenter(&["-t", &p, "-a", "readlink", "/proc/self/ns/user"]);
        assert_eq!(out.ok().trim(), ns_of(t.pid, "user"), "{user:?}");
        // Kept credentials: root is not mapped there, so it shows as the kernel's overflow
        // uid (65534, which is also nobody's).
        let out = nsenter(&["-t", &p, "-U", "--preserve-credentials", "id", "-u"]);
        assert_eq!(out.ok().trim(), NOBODY.to_string(), "{user:?}");
        // The owner enters it without privilege: user namespace first.
        let out = user
            .run(ours("nsenter"))
            .args(["-t", &p, "-n", "-U", "--preserve-credentials", "id", "-u"])
            .run();
        assert_eq!(out.ok().trim(), "0", "{user:?}");
        // Without --preserve-credentials, setgroups is denied in an `unshare -r` namespace.
        let out = user
            .run(ours("nsenter"))
            .args(["-t", &p, "-U", "-n", "id"])
            .run();
        fails_with(
            &out,
            1,
            "nsenter: setgroups failed: Operation not permitted\n",
        );
        // And without the user namespace, no privilege over its network namespace.
        let out = user
            .run(ours("nsenter"))
            .args(["-t", &p, "-n", "true"])
            .run();
        assert_eq!(out.code, Some(1), "{user:?}: {out:#?}");
        assert!(out.stderr.contains("Operation not permitted"), "{out:#?}");
    }
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
        "nsenter: options --wd and --wdns cannot be combined\n",
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
    let fd = sys::target::open_pidfd(t.pid)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no pidfd"));
    let inode = sys::target::pidfd_inode(&fd).unwrap_or_else(|e| panic!("{e}"));
    // Before pidfs (Linux 6.9) every pidfd is the same anonymous inode, which cannot tell one
    // process from another: PID:INODE is refused there, as util-linux 2.42 refuses it.
    let Some(inode) = inode else {
        assert!(tests::kernel_version() < (6, 9));
        let out = nsenter(&["-t", &format!("{}:1", t.pid), "-u", "true"]);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (
                Some(1),
                format!(
                    "nsenter: failed to obtain a valid file descriptor for PID {}: Operation not supported\n",
                    t.pid
                )
                .as_str()
            )
        );
        return;
    };
    let arg = format!("{}:{inode}", t.pid);
    let out = nsenter(&["-t", &arg, "-u", "cat", "/proc/sys/kernel/hostname"]);
    assert_eq!(out.ok(), "nsenter-target\n");
    // Another process's inode is refused.
    let other = sys::target::open_pidfd(std::process::id())
        .ok()
        .flatten()
        .and_then(|fd| sys::target::pidfd_inode(&fd).ok().flatten())
        .unwrap_or(0);
    let arg = format!("{}:{other}", t.pid);
    let out = nsenter(&["-t", &arg, "-u", "true"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
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
    for user in Rootless::all() {
        let t = Target::user_ns_of(&user);
        let amb = |extra: &[&str]| {
            let p = t.pid();
            let mut all = vec!["-t", p.as_str(), "-U", "--preserve-credentials"];
            all.extend_from_slice(extra);
            all.extend(["grep", "CapAmb", "/proc/self/status"]);
            user.run(ours("nsenter")).args(all).run().ok().to_owned()
        };
        assert!(
            amb(&[]).contains("0000000000000000"),
            "{user:?}: {}",
            amb(&[])
        );
        let kept = amb(&["--keep-caps"]);
        assert!(!kept.contains("0000000000000000"), "{user:?}: {kept}");
    }
}

// ---------------------------------------------------------------- --net-socket, --user-parent, :NSID

/// A process in a network namespace of its own (`unshare -n sleep`) that holds, as fd 3, a
/// socket of another new network namespace: a thread of this test unshares that one, opens a
/// Unix socket in it and ends (the socket keeps the namespace alive). Returns the target and
/// the socket's namespace (`net:[INODE]`).
fn target_with_foreign_socket() -> (Target, String) {
    use std::os::fd::OwnedFd;
    use std::os::unix::net::UnixDatagram;
    use sys::ns::{NsKind, NsSet};
    let (sock, netns) = std::thread::spawn(|| {
        let mut set = NsSet::default();
        set.insert(NsKind::Net);
        sys::ns::unshare(set).expect("unshare(CLONE_NEWNET) in a test thread");
        let sock = UnixDatagram::unbound().expect("socket");
        let ns = fs::read_link("/proc/thread-self/ns/net").expect("own netns");
        (OwnedFd::from(sock), ns.to_string_lossy().into_owned())
    })
    .join()
    .expect("socket thread");
    let launcher = std::process::Command::new(ours("unshare"))
        .args(["-n", "/bin/sh", "-c", "exec sleep 60 3<&0 0</dev/null"])
        .stdin(std::process::Stdio::from(sock))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the target");
    let pid = launcher.id();
    wait_for(|| is_sleeping(pid).then_some(()));
    (Target { pid, launcher }, netns)
}

#[test]
fn net_socket_enters_the_sockets_network_namespace() {
    let (t, sock_ns) = target_with_foreign_socket();
    let p = t.pid();
    // Three different network namespaces: ours, the target's, its socket's.
    assert_ne!(sock_ns, ns_of(t.pid, "net"));
    assert_ne!(sock_ns, own_ns("net"));
    assert_ne!(ns_of(t.pid, "net"), own_ns("net"));
    for args in [
        vec!["-t", &p, "-N", "3"],
        vec!["--target", &p, "--net-socket=3"],
        vec!["-t", &p, "-N3"],
        // The socket wins over --net, given before or after it, and over --all.
        vec!["-t", &p, "-n", "-N", "3"],
        vec!["-t", &p, "-N", "3", &format!("--net=/proc/{p}/ns/net")],
        vec!["-t", &p, "-a", "-N", "3"],
    ] {
        let mut all = args.clone();
        all.extend(["readlink", "/proc/self/ns/net"]);
        let out = nsenter(&all);
        assert_eq!(out.ok().trim(), sock_ns, "{args:?}");
    }
    // Only the network namespace changes.
    let out = nsenter(&["-t", &p, "-N", "3", "readlink", "/proc/self/ns/uts"]);
    assert_eq!(out.ok().trim(), own_ns("uts"));
}

#[test]
fn net_socket_bad_input() {
    let (t, _) = target_with_foreign_socket();
    let p = t.pid();
    fails_with(
        &nsenter(&["-N", "3", "true"]),
        1,
        "nsenter: no target PID specified\n",
    );
    fails_with(
        &nsenter(&["-t", &p, "-N", "abc", "true"]),
        1,
        "nsenter: failed to parse file descriptor: 'abc'\n",
    );
    fails_with(
        &nsenter(&["-t", &p, "-N", "2147483648", "true"]),
        1,
        "nsenter: failed to parse file descriptor: '2147483648': Numerical result out of range\n",
    );
    // As util-linux: a negative number leaves the option unset.
    fails_with(
        &nsenter(&["-t", &p, "-N", "-1", "true"]),
        1,
        "nsenter: no namespace specified\n",
    );
    // The messages carry our descriptor numbers, as util-linux's do: the pidfd is the lowest
    // free one (3, unless whoever runs the tests passed more descriptors down, as flock(1)
    // passes its lock), the duplicated descriptor the next.
    let out = nsenter(&["-t", &p, "-N", "99", "true"]);
    let pidfd: u32 = out
        .stderr
        .strip_prefix("nsenter: pidfd_getfd(")
        .and_then(|rest| rest.strip_suffix(", 99): Bad file descriptor\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out:#?}"));
    assert!(pidfd >= 3, "{out:#?}");
    assert_eq!(out.code, Some(1), "{out:#?}");
    // fd 0 of the target is /dev/null.
    fails_with(
        &nsenter(&["-t", &p, "-N", "0", "true"]),
        1,
        &format!(
            "nsenter: ioctl({}, SIOCGSKNS): Inappropriate ioctl for device\n",
            pidfd + 1
        ),
    );
    fails_with(
        &nsenter(&["-t", "999999999", "-N", "3", "true"]),
        1,
        "nsenter: failed to pidfd_open() for 999999999: No such process\n",
    );
}

/// `unshare -U -r unshare -U -r sleep 60`: the sleeping process is in a user namespace whose
/// parent (the middle one) no process is in any more.
fn target_in_nested_user_namespace() -> Target {
    let launcher = Run::new(ours("unshare"))
        .args(["-U", "-r"])
        .arg_os(ours("unshare"))
        .args(["-U", "-r", "sleep", "60"])
        .spawn();
    let pid = launcher.id();
    wait_for(|| is_sleeping(pid).then_some(()));
    Target { pid, launcher }
}

/// The kernel's answer for the parent of `pid`'s user namespace (`NS_GET_PARENT`).
fn parent_user_ns_of(pid: u32) -> String {
    use std::os::fd::AsFd;
    let file = fs::File::open(format!("/proc/{pid}/ns/user")).expect("open ns/user");
    let parent = sys::nsfs::parent(file.as_fd(), sys::ns::NsKind::User)
        .expect("NS_GET_PARENT")
        .expect("a parent");
    let ino = sys::nsfs::inode(parent.as_fd()).expect("fstat");
    format!("user:[{ino}]")
}

#[test]
fn user_parent_enters_the_middle_user_namespace() {
    let t = target_in_nested_user_namespace();
    let p = t.pid();
    let middle = parent_user_ns_of(t.pid);
    assert_ne!(middle, ns_of(t.pid, "user"));
    assert_ne!(middle, own_ns("user"));
    let user_file = format!("--user=/proc/{p}/ns/user");
    for args in [
        // From the target's pidfd.
        vec!["-t", &p, "--user-parent"],
        // From --user's namespace, which it replaces.
        vec!["-t", &p, "-U", "--user-parent"],
        vec!["-t", &p, &user_file, "--user-parent"],
        // With another namespace: that one is the target's, the user namespace the parent.
        vec!["-t", &p, "--user-parent", "-n"],
    ] {
        let mut all = args.clone();
        all.extend(["/bin/sh", "-c", "readlink /proc/self/ns/user; id -u"]);
        let out = nsenter(&all);
        assert_eq!(out.ok(), format!("{middle}\n0\n"), "{args:?}");
    }
    let out = nsenter(&[
        "-t",
        &p,
        "--user-parent",
        "-n",
        "readlink",
        "/proc/self/ns/net",
    ]);
    assert_eq!(out.ok().trim(), ns_of(t.pid, "net"));
}

#[test]
fn user_parent_bad_input() {
    let t = Target::new();
    fails_with(
        &nsenter(&["--user-parent", "true"]),
        1,
        "nsenter: no target PID specified\n",
    );
    // The target's user namespace is the initial one, which has no parent to see.
    fails_with(
        &nsenter(&["-t", &t.pid(), "--user-parent", "true"]),
        1,
        "nsenter: failed to open parent namespace: Operation not permitted\n",
    );
}

/// The namespace ID of `pid`'s namespace `name` (`NS_GET_ID`), or `None` on kernels without.
fn ns_id_of(pid: u32, name: &str) -> Option<u64> {
    use std::os::fd::AsFd;
    let file = fs::File::open(format!("/proc/{pid}/ns/{name}")).ok()?;
    sys::nsfs::ns_id(file.as_fd()).ok()
}

#[test]
fn namespace_by_id() {
    let t = Target::new();
    let Some(id) = ns_id_of(t.pid, "net") else {
        // Before 6.18 there is no NS_GET_ID to learn an ID from; try one anyway.
        let out = nsenter(&["--net=:12345", "true"]);
        assert_eq!(out.code, Some(1), "{out:#?}");
        assert!(out.stderr.contains("Linux 6.19"), "{out:#?}");
        return;
    };
    let forms = [
        format!("--net=:{id}"),
        format!("-n:{id}"),
        format!("-n=:{id}"),
    ];
    if tests::kernel_version() >= (6, 19) {
        for form in &forms {
            let out = nsenter(&[form, "readlink", "/proc/self/ns/net"]);
            assert_eq!(out.ok().trim(), ns_of(t.pid, "net"), "{form}");
        }
        let uts = ns_id_of(t.pid, "uts").expect("uts id");
        let out = nsenter(&[&format!("-u:{uts}"), "cat", "/proc/sys/kernel/hostname"]);
        assert_eq!(out.ok(), "nsenter-target\n");
        // An ID of another kind of namespace: setns(2) refuses it.
        fails_with(
            &nsenter(&[&format!("--net=:{uts}"), "true"]),
            1,
            "nsenter: reassociate to namespace 'ns/net' failed: Invalid argument\n",
        );
    } else {
        // Linux 6.18 has NS_GET_ID and nsfs file handles, but finds a namespace only by a
        // handle that also carries its type and inode number; util-linux's (and our) handle
        // carries only the ID, so every ID is "stale".
        for form in &forms {
            fails_with(
                &nsenter(&[form, "true"]),
                1,
                &format!(
                    "nsenter: cannot open namespace of id {id}: Stale file handle \
                     (opening a namespace by its ID needs Linux 6.19 or later)\n"
                ),
            );
        }
    }
}

#[test]
fn namespace_by_id_bad_input() {
    for (arg, text) in [
        ("--net=:abc", "abc"),
        ("-n:", ""),
        ("--user=:-1", "-1"),
        ("-m:18446744073709551616", "18446744073709551616"),
    ] {
        fails_with(
            &nsenter(&[arg, "true"]),
            1,
            &format!("nsenter: failed to parse nsid: {text}\n"),
        );
    }
    // A file whose name begins with a colon is written ./:name.
    fails_with(
        &nsenter(&["--net=./:abc", "true"]),
        1,
        "nsenter: cannot open ./:abc: No such file or directory\n",
    );
    // No namespace has ID 0. Kernels before 6.7 cannot encode a handle of nsfs at all
    // (AT_HANDLE_FID for file systems without export operations came with 6.7), so the handle
    // cannot even be made there; later ones make it and refuse to open it (6.12: ESTALE).
    let out = nsenter(&["--net=:0", "true"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    let want = if tests::kernel_version() < (6, 7) {
        "nsenter: failed to fill namespace file handle: "
    } else {
        "nsenter: cannot open namespace of id 0: "
    };
    assert!(out.stderr.starts_with(want), "{out:#?}");
    // One leading `=` is dropped from a file too, as util-linux does.
    let t = Target::new();
    let out = nsenter(&[
        &format!("-n=/proc/{}/ns/net", t.pid),
        "readlink",
        "/proc/self/ns/net",
    ]);
    assert_eq!(out.ok().trim(), ns_of(t.pid, "net"));
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
    // 2.38.1: "neither filename nor target pid supplied for ns/mnt".
    fails_with(
        &nsenter(&["-m", "true"]),
        1,
        "nsenter: no target PID specified\n",
    );
    // Directories still name what they miss, in 2.42 too.
    fails_with(
        &nsenter(&["-n/proc/self/ns/net", "-r", "true"]),
        1,
        "nsenter: neither filename nor target pid supplied for root\n",
    );
    fails_with(
        &nsenter(&["-a", "true"]),
        1,
        "nsenter: no target PID specified\n",
    );
    // A target that is gone: the pidfd fails quietly, the first /proc file does not.
    fails_with(
        &nsenter(&["-t", "999999999", "-m", "true"]),
        1,
        "nsenter: cannot open /proc/999999999/ns/mnt: No such file or directory\n",
    );
    fails_with(
        &nsenter(&["-t", "abc", "-m", "true"]),
        1,
        "nsenter: invalid PID argument\n",
    );
    // Another process's pidfd inode; before pidfs (Linux 6.9) no inode can be checked.
    let reason = if tests::kernel_version() >= (6, 9) {
        "No such process"
    } else {
        "Operation not supported"
    };
    fails_with(
        &nsenter(&["-t", &format!("{p}:1"), "-u", "true"]),
        1,
        &format!("nsenter: failed to obtain a valid file descriptor for PID {p}: {reason}\n"),
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
    // The features line of util-linux master (commit b6fdc8e06, after 2.42.2): this nsenter
    // opens namespaces by ID ("nsfs") and has no SELinux.
    assert_eq!(
        nsenter(&["-V"]).ok(),
        format!(
            "nsenter from nsutils {} (util-linux 2.42 compatible) (features: nsfs)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

// ---------------------------------------------------------------- util-linux master (2.43)

#[test]
fn target_may_be_given_only_once() {
    // util-linux master (commit 06d05fc0b, after 2.42.2) refuses a second --target; 2.42.2
    // takes the last one. Nothing is entered either way here: no namespace is named.
    let t = Target::new();
    let p = t.pid();
    fails_with(
        &nsenter(&["-t", &p, "--target", &p, "-u", "true"]),
        1,
        "nsenter: option --target may be given only once\n",
    );
    if let Some(theirs) = reference("nsenter") {
        let out = Run::new(theirs)
            .args(["-t", "999999999", "-t", &p, "-u", "hostname"])
            .run();
        assert_eq!(out.ok(), "nsenter-target\n");
    }
}

#[test]
fn a_target_pidfd_on_descriptor_0() {
    // util-linux master (commit 40449fc62): with stdin closed the pidfd is descriptor 0, which
    // 2.42.2 takes for "no pidfd" and then skips the namespaces.
    let t = Target::new();
    let out = Run::new("/bin/sh")
        .args([
            "-c",
            "exec \"$0\" -t \"$1\" -u cat /proc/sys/kernel/hostname <&-",
        ])
        .args([ours("nsenter").to_str().unwrap_or_default(), &t.pid()])
        .run();
    assert_eq!(out.ok(), "nsenter-target\n");
}

// ---------------------------------------------------------------- side by side with 2.42.2

/// Our nsenter and util-linux 2.42.2's on the same arguments, both called `nsenter`: the
/// same stdout, stderr and exit status. `None` when the reference is not built.
fn side_by_side(args: &[&str]) -> Option<Output> {
    let theirs = reference("nsenter")?;
    let a = Run::new(ours("nsenter")).arg0("nsenter").args(args).run();
    let b = Run::new(&theirs).arg0("nsenter").args(args).run();
    assert_eq!(a, b, "{args:?}");
    Some(a)
}

#[test]
fn side_by_side_with_util_linux() {
    let t = Target::new();
    let p = t.pid();
    let both = |args: &[&str]| {
        side_by_side(args);
    };
    both(&["-t", &p, "-u", "cat", "/proc/sys/kernel/hostname"]);
    both(&["-t", &p, "-a", "readlink", "/proc/self/ns/net"]);
    both(&["-t", &p, "-p", "/bin/sh", "-c", "exit 3"]);
    both(&["-t", &p, "-m", "-p", "cat", "/proc/1/comm"]);
    both(&["-t", &p, "-m", "-w", "pwd"]);
    both(&["-t", &p, "-m", "-r", "pwd"]);
    both(&["-t", &p, "-m", "--wdns=/etc", "pwd"]);
    both(&["-t", &p, "-S", "1000", "-G", "1000", "-u", "id", "-u"]);
    both(&["-t", &p, "-u", "-e", "/bin/sh", "-c", "echo $NSENTER_MARK"]);
    both(&["--bogus"]);
    both(&[]);
    both(&["-m", "true"]);
    both(&["-t", &p]);
    both(&["-t", &p, "-u", "nonexistent-cmd-xyz"]);
    both(&[&format!("--net=/proc/{p}/ns/uts"), "true"]);
    both(&["--net=/nonexistent/x", "true"]);
    // Not compared: -S/-G failures inside a user namespace (the order of the setgroups
    // attempts differs), -Z (SELinux: util-linux's build has it, nsutils does not).
}

#[test]
fn exclusive_options_side_by_side() {
    // util-linux 2.42 names both options, in command-line order.
    for args in [
        &["-w/", "-W/", "true"][..],
        &["-W/", "-w/", "true"],
        &["--wd", "--wdns=/", "true"],
        &["--wdns=/", "--wd=/", "true"],
        &["--wdn=/", "-w", "true"],
    ] {
        let Some(out) = side_by_side(args) else {
            return;
        };
        assert_eq!(out.code, Some(1), "{args:?}");
        assert!(out.stderr.ends_with(" cannot be combined\n"), "{out:#?}");
    }
    fails_with(
        &nsenter(&["-W/", "-w/", "true"]),
        1,
        "nsenter: options --wdns and --wd cannot be combined\n",
    );
}

#[test]
fn target_pid_side_by_side() {
    let t = Target::new();
    let p = t.pid();
    let fd = sys::target::open_pidfd(t.pid)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no pidfd"));
    // Before pidfs (Linux 6.9) there is no inode to name: both refuse every PID:INODE.
    let inode = sys::target::pidfd_inode(&fd)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or(1);
    let good = format!("{p}:{inode}");
    let wrong = format!("{p}:{}", inode + 1);
    let bad_inode = format!("{p}:abc");
    let empty_inode = format!("{p}:");
    let zero_inode = format!("{p}:0");
    let plus = format!("+{p}");
    let blank = format!(" \t{p}");
    let hostname = ["cat", "/proc/sys/kernel/hostname"];
    for target in [
        "abc",
        "0",
        "-5",
        "",
        "1x",
        "2147483648",
        &bad_inode,
        &empty_inode,
        &zero_inode,
        &wrong,
        "999999999:5",
        &good,
        &plus,
        &blank,
    ] {
        let mut args = vec!["-t", target, "-u"];
        args.extend(hostname);
        side_by_side(&args);
    }
    // The kernel's view: a pid written with a sign and blanks names the target.
    assert_eq!(
        nsenter(&["-t", &blank, "-u", "cat", "/proc/sys/kernel/hostname"]).ok(),
        "nsenter-target\n"
    );
    fails_with(
        &nsenter(&["-t", "-5", "-u", "true"]),
        1,
        "nsenter: invalid PID argument\n",
    );
    // A target that does not exist: the message names what was needed first.
    let gone = "999999999";
    for what in [
        &["-u", "true"][..],
        &["-n", "-m", "true"],
        &["-a", "true"],
        &["-r", "true"],
        &["-w", "true"],
        &["-e", "true"],
        &["-S", "follow", "true"],
        &["--user-parent", "true"],
        &["-N", "3", "true"],
        &["-u", "-n/nonexistent", "true"],
    ] {
        let mut args = vec!["-t", gone];
        args.extend(what);
        side_by_side(&args);
    }
    fails_with(
        &nsenter(&["-t", gone, "-n", "-m", "true"]),
        1,
        "nsenter: cannot open /proc/999999999/ns/net: No such file or directory\n",
    );
    // --wdns names no directory when it fails, it is looked up after entering.
    for args in [
        &["-t", &p, "-m", "-W/nonexistent", "pwd"][..],
        &["--uts=/proc/self/ns/uts", "--wdns=/nonexistent", "pwd"],
    ] {
        side_by_side(args);
    }
    fails_with(
        &nsenter(&["--uts=/proc/self/ns/uts", "-W/nonexistent", "pwd"]),
        1,
        "nsenter: cannot open current working directory: No such file or directory\n",
    );
}

#[test]
fn numbers_side_by_side() {
    let t = Target::new();
    let p = t.pid();
    // uids and gids: a sign and leading blanks are taken, a negative is out of range.
    for id in [
        "+5",
        " 5",
        "\t+5",
        "5 ",
        "-1",
        "-0",
        "1x",
        "",
        "abc",
        "18446744073709551616",
    ] {
        for opt in ["-S", "-G"] {
            side_by_side(&["-t", &p, "-u", opt, id, "/bin/sh", "-c", "id -u; id -g"]);
        }
    }
    // The kernel's view of `-S +5 -G ' 7'`.
    assert_eq!(
        nsenter(&[
            "-t",
            &p,
            "-u",
            "-S",
            "+5",
            "-G",
            " 7",
            "/bin/sh",
            "-c",
            "id -u; id -g"
        ])
        .ok(),
        "5\n7\n"
    );
    fails_with(
        &nsenter(&["-t", &p, "-u", "-S", "-1", "true"]),
        1,
        "nsenter: failed to parse uid: '-1': Numerical result out of range\n",
    );
    // --net-socket: a number up to INT_MAX; a negative one is no socket at all.
    for fd in ["x", "", "2147483648", "-1", "-7", "3x", "+-1"] {
        side_by_side(&["-t", &p, "-u", "-N", fd, "cat", "/proc/sys/kernel/hostname"]);
    }
}

#[test]
fn all_without_a_target() {
    // util-linux 2.42.2 looks for the user namespace of pid 0 (NOTES).
    fails_with(
        &nsenter(&["-a", "true"]),
        1,
        "nsenter: no target PID specified\n",
    );
    if let Some(theirs) = reference("nsenter") {
        let out = Run::new(theirs).arg0("nsenter").args(["-a", "true"]).run();
        fails_with(
            &out,
            1,
            "nsenter: stat of /proc/0/ns/user failed: No such file or directory\n",
        );
    }
}

#[test]
fn uid_beyond_32_bits_is_refused() {
    // util-linux reads -S/-G with strtoul_or_err into a uid_t, so 4294967296 becomes uid 0
    // (and 4294967297 uid 1); nsutils refuses what is not a uid (NOTES).
    let t = Target::new();
    let p = t.pid();
    fails_with(
        &nsenter(&["-t", &p, "-u", "-S", "4294967296", "id", "-u"]),
        1,
        "nsenter: failed to parse uid: '4294967296': Numerical result out of range\n",
    );
    if let Some(theirs) = reference("nsenter") {
        let out = Run::new(theirs)
            .args(["-t", &p, "-u", "-S", "4294967297", "id", "-u"])
            .run();
        assert_eq!(out.ok(), "1\n");
    }
}
