//! The scripts in `examples/`, run as a user runs them, with the nsutils binaries of this
//! build (`NSUTILS_BIN`), checked against the kernel's view and for what they leave behind.
//! (`examples/limits.sh` has its own file, `example_limits.rs`.)

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tests::{
    MountTableUnchanged, Rootless, Run, TestGroup, bin_dir, busybox_root, cgroup_mounts, example,
    ours, scratch,
};

/// A scratch directory anyone may enter, with a busybox root file system in `rootfs` and an
/// empty world-writable `tmp` for the scripts' own scratch directories.
fn setup() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = d.path().join("rootfs");
    if !busybox_root(&root) {
        return None;
    }
    let tmp = d.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).unwrap();
    Some((d, root, tmp))
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn container_runs_in_its_cgroup_and_namespaces_and_leaves_nothing() {
    let _host = MountTableUnchanged::new();
    let Some((_d, root, tmp)) = setup() else {
        return;
    };
    let group = TestGroup::new("container");
    let before = listing(&root);
    let mut child = Command::new(example("container.sh"))
        .args([root.as_os_str()])
        .args([
            "/bin/sh",
            "-c",
            "echo \"pid $$ host $(hostname)\"; grep ' / ' /proc/self/mountinfo; echo > /written; echo up; read line; exit 5",
        ])
        .env("NSUTILS_BIN", bin_dir())
        .env("NSUTILS_NAME", &group.name)
        .env("NSUTILS_HOSTNAME", "box")
        .env("NSUTILS_MEMORY", "48M")
        .env("NSUTILS_CPU_QUOTA", "30000")
        .env("NSUTILS_SHOW", "1")
        .env("TMPDIR", &tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start container.sh");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut text = String::new();
    while !text.ends_with("up\n") {
        if out.read_line(&mut text).expect("read") == 0 {
            panic!("container.sh ended early: {text}");
        }
    }
    // Where systemd manages a v2 host, the group is in a scope systemd delegated to the
    // script (examples/cgroup-home.sh); elsewhere at the top of each hierarchy.
    let scope = format!("{}.scope", group.name);
    let (path, memory_dir, cpu_dir) = if systemd_scopes() {
        let path = format!("/nsutils.slice/{scope}/container");
        let dir = PathBuf::from(format!("/sys/fs/cgroup{path}"));
        (path, dir.clone(), dir)
    } else {
        let path = format!("/{}", group.name);
        (path, group.dir("memory"), group.dir("cpu"))
    };
    if systemd_scopes() {
        let unit = Run::new("systemctl")
            .args([
                "show",
                "-p",
                "ActiveState",
                "-p",
                "Delegate",
                "-p",
                "ControlGroup",
            ])
            .arg_os(&scope)
            .run();
        let mut shown: Vec<&str> = unit.ok().lines().collect();
        shown.sort_unstable();
        let control_group = format!("ControlGroup=/nsutils.slice/{scope}");
        assert_eq!(
            shown,
            ["ActiveState=active", &control_group, "Delegate=yes"]
        );
    }
    // The kernel's view while it runs: one process in the group in both hierarchies, in pid,
    // mount, UTS, IPC, net and cgroup namespaces other than ours, with the limits set.
    let procs =
        std::fs::read_to_string(memory_dir.join("cgroup.procs")).expect("the container's group");
    // unshare (cgexec put it there) and its child, the container's pid 1.
    let pids: Vec<&str> = procs.lines().collect();
    assert_eq!(pids.len(), 2, "{procs}");
    let cpu_procs =
        std::fs::read_to_string(cpu_dir.join("cgroup.procs")).expect("the container's cpu group");
    assert_eq!(cpu_procs, procs);
    let in_new_namespaces = |pid: &str| {
        ["pid", "mnt", "uts", "ipc", "net", "cgroup"]
            .iter()
            .all(|ns| {
                let link = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/{ns}")).ok();
                link(pid).is_some() && link(pid) != link("self")
            })
    };
    assert_eq!(
        pids.iter().filter(|p| in_new_namespaces(p)).count(),
        1,
        "{procs}"
    );
    let memory = memory_dir;
    let limit = ["memory.limit_in_bytes", "memory.max"]
        .iter()
        .find_map(|f| std::fs::read_to_string(memory.join(f)).ok())
        .expect("a memory limit file");
    assert_eq!(limit.trim(), (48u64 << 20).to_string());
    // The upper layer is a tmpfs in the container's mount namespace: no directory anywhere.
    assert_eq!(listing(&tmp), Vec::<String>::new());
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"go\n")
        .expect("write");
    let status = child.wait().expect("wait");
    std::io::Read::read_to_string(&mut out, &mut text).expect("read");
    assert_eq!(status.code(), Some(5), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("cgroup {path}:"), "{text}");
    assert_eq!(
        lines[1],
        format!("memory.limit_in_bytes: {}", 48u64 << 20),
        "{text}"
    );
    assert_eq!(lines[3], "cpu.cfs_quota_us: 30000", "{text}");
    assert_eq!(lines[4], "pid 1 host box", "{text}");
    assert!(
        lines[5].contains(" / / ") && lines[5].contains(" - overlay overlay "),
        "{text}"
    );
    // Nothing left: the group (and the scope, which systemd stops once the script has ended),
    // the scratch directory, the write (it went to the upper layer).
    for mount in cgroup_mounts() {
        assert!(!mount.join(&group.name).exists(), "{}", mount.display());
    }
    if systemd_scopes() {
        let slice = Path::new("/sys/fs/cgroup/nsutils.slice");
        assert_eq!(scopes_left(slice, &group.name), Vec::<String>::new());
    }
    assert_eq!(listing(&tmp), Vec::<String>::new());
    assert_eq!(listing(&root), before);
}

#[test]
fn container_cleans_up_when_the_command_is_missing() {
    let _host = MountTableUnchanged::new();
    let Some((_d, root, tmp)) = setup() else {
        return;
    };
    let group = TestGroup::new("container-fails");
    let out = Run::new(example("container.sh"))
        .arg_os(&root)
        .args(["/bin/no-such-program"])
        .env("NSUTILS_BIN", bin_dir())
        .env("NSUTILS_NAME", &group.name)
        .env("TMPDIR", &tmp)
        .run();
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr
            .contains("pivot: cannot run /bin/no-such-program in the new root"),
        "{out:#?}"
    );
    for mount in cgroup_mounts() {
        assert!(!mount.join(&group.name).exists(), "{}", mount.display());
    }
    if systemd_scopes() {
        let slice = Path::new("/sys/fs/cgroup/nsutils.slice");
        assert_eq!(scopes_left(slice, &group.name), Vec::<String>::new());
    }
    assert_eq!(listing(&tmp), Vec::<String>::new());
}

#[test]
fn pod_shares_net_ipc_uts_between_two_containers() {
    let _host = MountTableUnchanged::new();
    let Some((_d, _root, tmp)) = setup() else {
        return;
    };
    let out = Run::new(example("pod.sh"))
        .env("NSUTILS_BIN", bin_dir())
        .env("TMPDIR", &tmp)
        .run();
    let text = out.ok();
    for line in [
        "   net: shared (",
        "   ipc: shared (",
        "   uts: shared (",
        "   pid: a ",
        "   mnt: a ",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line}: {text}");
    }
    assert!(text.contains("-u hostname: nsutils-pod\n"), "{text}");
    assert!(text.contains("processes in b's /proc: 1 2\n"), "{text}");
    // The containers were pid 1 of their namespaces, and are gone.
    let pids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("container "))
        .filter_map(|l| l.split(' ').nth(3).map(|p| p.trim_end_matches(',')))
        .collect();
    assert_eq!(pids.len(), 2, "{text}");
    assert!(text.contains(", pid 1 in its own pid namespace"), "{text}");
    // Those pids came from unshare --info-fd, whose JSON names the new namespaces that lsns
    // shows for them.
    for (name, pid) in ["a", "b"].iter().zip(&pids) {
        let prefix = format!("info-fd of {name}: ");
        let json = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {prefix}line: {text}"));
        let info: serde_json::Value = serde_json::from_str(json).expect("the info is JSON");
        assert_eq!(info["child-pid"].to_string(), *pid, "{json}");
        for kind in ["pid", "mnt"] {
            let inode = info[format!("{kind}-namespace")].to_string();
            assert!(
                text.lines().any(|l| l.starts_with(&format!("   {kind}: "))
                    && l.contains(&format!("{name} {inode}"))),
                "{kind} of {name} ({inode}): {text}"
            );
        }
    }
    // SIGKILLed by the script; give the kernel a moment to reap them.
    for pid in pids {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        for _ in 0..100 {
            if !proc.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let status = std::fs::read_to_string(proc.join("status")).unwrap_or_default();
        assert!(!proc.exists(), "{pid} still runs: {status}");
    }
    assert_eq!(listing(&tmp), Vec::<String>::new());
}

#[test]
fn netns_is_usable_by_ip_netns_and_pings() {
    let _host = MountTableUnchanged::new();
    let Some((_d, _root, _tmp)) = setup() else {
        return;
    };
    // In a network and mount namespace of the test's own: the "host" side of the veth pair is
    // there, and /run is a tmpfs of its own.
    let script = r#"mount -t tmpfs tmpfs /run && ip link set lo up && sh "$EXAMPLE"; rc=$?; echo "left: $(ls /run/netns) $(ip -br link | grep -c nsu)"; exit $rc"#;
    let out = Run::new(ours("unshare"))
        .args(["-mn", "/bin/sh", "-c", script])
        .env("EXAMPLE", example("netns.sh"))
        .env("NSUTILS_BIN", bin_dir())
        .env("NSUTILS_NETNS", "nsutils-test-netns")
        .run();
    let text = out.ok();
    assert!(
        text.starts_with("ip netns list: nsutils-test-netns"),
        "{text}"
    );
    assert!(text.contains("10.254.254.2/30"), "{text}");
    assert!(
        text.contains("ping 10.254.254.2 from the host: ok\n"),
        "{text}"
    );
    assert!(
        text.contains("      0 /run/netns/nsutils-test-netns\n"),
        "{text}"
    );
    assert!(text.ends_with("left:  0\n"), "{text}");
}

/// As `nobody`, and in the systemd guest also as the login user in its login session.
#[test]
fn rootless_container_runs_as_an_ordinary_user() {
    for user in Rootless::all() {
        let _host = MountTableUnchanged::new();
        let Some((_d, root, tmp)) = setup() else {
            return;
        };
        // The login user of the systemd guest has a manager of their own, which delegates a
        // scope to the script: the container gets its limits there. nobody has no manager and
        // no cgroup, so no limit.
        let limited = matches!(user, Rootless::Login(_)) && systemd_scopes();
        let before = listing(&root);
        let out = user
            .run(example("rootless.sh"))
            .arg_os(&root)
            .args([
                "/bin/sh",
                "-c",
                "id -u; hostname; grep ' / / ' /proc/self/mountinfo; echo $$; echo > /written; \
                 sh -c 'x=$(head -c 64000000 /dev/zero | tr \\\\0 x)' 2>/dev/null; echo \"hog $?\"",
            ])
            .env("NSUTILS_BIN", bin_dir())
            .env("NSUTILS_SHOW", "1")
            // Room beside the hog for the container's other processes: at 16M the kernel
            // once killed the container's pid 1 too, while the hog's memory was still
            // being reaped.
            .env("NSUTILS_MEMORY", "32M")
            .env("NSUTILS_CPU_QUOTA", "30000")
            .env("TMPDIR", &tmp)
            .run();
        let text = out.ok();
        let mut lines: Vec<&str> = text.lines().collect();
        if limited {
            // cgxget read the limits back from the kernel's files.
            let uid = user.uid();
            let scope = format!(
                "cgroup /user.slice/user-{uid}.slice/user@{uid}.service/app.slice/rootless-"
            );
            assert!(
                lines[0].starts_with(&scope) && lines[0].ends_with(".scope/container:"),
                "{text}"
            );
            assert_eq!(
                &lines[1..4],
                [
                    "memory.limit_in_bytes: 33554432",
                    "cpu.cfs_period_us: 100000",
                    "cpu.cfs_quota_us: 30000"
                ],
                "{text}"
            );
            lines.drain(..4);
        }
        assert_eq!(&lines[..2], ["0", "nsutils-rootless"], "{user:?}: {text}");
        assert!(
            lines[2].contains(" - overlay overlay ") && lines[2].contains("userxattr"),
            "{text}"
        );
        assert_eq!(lines[3], "1");
        // 64 MB collected in a shell variable: killed by the OOM killer under a 32M limit.
        let hog = if limited { "hog 137" } else { "hog 0" };
        assert_eq!(lines[4], hog, "{user:?}: {text}");
        assert_eq!(listing(&tmp), Vec::<String>::new());
        assert_eq!(listing(&root), before);
        if limited {
            let uid = user.uid();
            let slice =
                format!("/sys/fs/cgroup/user.slice/user-{uid}.slice/user@{uid}.service/app.slice");
            assert_eq!(
                scopes_left(Path::new(&slice), "rootless-"),
                Vec::<String>::new()
            );
        }
    }
}

/// Whether the examples put their groups into a systemd scope here: systemd manages a
/// cgroup v2 host (examples/cgroup-home.sh).
fn systemd_scopes() -> bool {
    tests::systemd_host() && tests::cgroup_mode() == tests::CgroupMode::V2
}

/// The groups named PREFIX* left in DIR, once systemd has had up to 10 s to remove the
/// scopes of processes that have ended (it stops them asynchronously).
fn scopes_left(dir: &Path, prefix: &str) -> Vec<String> {
    let left = || -> Vec<String> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(prefix))
            .collect()
    };
    for _ in 0..100 {
        if left().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    left()
}

#[test]
fn container_without_a_cgroup() {
    let _host = MountTableUnchanged::new();
    let Some((_d, root, tmp)) = setup() else {
        return;
    };
    let group = TestGroup::new("container-none");
    let out = Run::new(example("container.sh"))
        .arg_os(&root)
        .args([
            "/bin/sh",
            "-c",
            "echo \"pid $$\"; grep -c ' - overlay ' /proc/self/mountinfo",
        ])
        .env("NSUTILS_BIN", bin_dir())
        .env("NSUTILS_NAME", &group.name)
        .env("NSUTILS_CGROUP", "none")
        .env("NSUTILS_SHOW", "1")
        .env("TMPDIR", &tmp)
        .run();
    assert_eq!(out.ok(), "pid 1\n1\n");
    // No group was made, not even for a moment: cgdelete would have said so on failure, and
    // cgexec was not run (its group would be in the container's /proc/self/cgroup).
    for mount in cgroup_mounts() {
        assert!(!mount.join(&group.name).exists(), "{}", mount.display());
    }
}
