//! The systemd guest itself (`cargo xtask vm-test --mode systemd`): what the other tests rely
//! on when they run there. systemd is PID 1 with cgroup v2 as it sets it up, the tests run in
//! their own unit with the controllers it asked systemd for, and the login user's processes
//! run in a real login session with a user manager behind it.

use tests::{Run, login_user, systemd_host};

const GUEST: &str = "systemd guest: cargo xtask vm-test --mode systemd";

/// The lines of a text file, empty when it cannot be read.
fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
#[ignore = "systemd guest: cargo xtask vm-test --mode systemd"]
fn systemd_runs_the_unified_hierarchy() {
    assert!(systemd_host(), "{GUEST}: systemd is not PID 1 here");
    assert_eq!(read("/proc/1/comm").trim(), "systemd");
    let mount = read("/proc/self/mountinfo")
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/sys/fs/cgroup"))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        mount.contains(" - cgroup2 cgroup2 ") && mount.contains("nsdelegate"),
        "{mount}"
    );
    // The runner's unit: systemd put it there, and its CPUWeight=, IOWeight= and
    // AllowedMemoryNodes= made systemd enable those controllers from the root down.
    assert_eq!(
        read("/proc/self/cgroup"),
        "0::/system.slice/vmtest.service\n"
    );
    for level in ["/sys/fs/cgroup", "/sys/fs/cgroup/system.slice"] {
        let enabled = read(&format!("{level}/cgroup.subtree_control"));
        let enabled: Vec<&str> = enabled.split_whitespace().collect();
        for controller in ["cpu", "io", "memory", "pids", "cpuset"] {
            assert!(enabled.contains(&controller), "{level}: {enabled:?}");
        }
    }
}

#[test]
#[ignore = "systemd guest: cargo xtask vm-test --mode systemd"]
fn the_login_user_runs_in_a_login_session() {
    let user = login_user().unwrap_or_else(|| panic!("{GUEST}: NSUTILS_LOGIN_USER is not set"));
    let uid = user.uid;
    assert_ne!(uid, 0);
    // A range of subordinate ids each, for newuidmap and newgidmap.
    for file in ["/etc/subuid", "/etc/subgid"] {
        assert!(
            read(file)
                .lines()
                .any(|l| l.starts_with(&format!("{}:", user.name))),
            "{file}: {}",
            read(file)
        );
    }
    let out = Run::as_login_user(&user, "/bin/sh")
        .args([
            "-c",
            "id -u; id -g; echo $XDG_RUNTIME_DIR; echo $DBUS_SESSION_BUS_ADDRESS; cat /proc/self/cgroup",
        ])
        .run();
    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(
        lines[..4],
        [
            uid.to_string(),
            user.gid.to_string(),
            format!("/run/user/{uid}"),
            format!("unix:path=/run/user/{uid}/bus"),
        ]
    );
    let cgroup = lines[4];
    let session = cgroup
        .strip_prefix(&format!("0::/user.slice/user-{uid}.slice/session-"))
        .unwrap_or_else(|| panic!("not in a login session: {cgroup}"));
    assert!(session.ends_with(".scope"), "{cgroup}");
    // Its manager runs (lingering) in a subtree delegated to the user.
    let manager = format!("/sys/fs/cgroup/user.slice/user-{uid}.slice/user@{uid}.service");
    let procs = std::fs::metadata(format!("{manager}/cgroup.procs"))
        .unwrap_or_else(|e| panic!("{manager}: {e}"));
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&procs), uid);
    // ... which `systemd-run --user` reaches from the session.
    let out = Run::as_login_user(&user, "systemd-run")
        .args(["--user", "--scope", "--quiet", "cat", "/proc/self/cgroup"])
        .run();
    let scope = format!("0::/user.slice/user-{uid}.slice/user@{uid}.service/app.slice/run-");
    assert!(out.ok().starts_with(&scope), "{out:?}");
}
