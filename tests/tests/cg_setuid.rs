//! Set-user-ID installs: `cgexec` as libcgroup installs it (`chmod u+s`, owner root), and
//! every other tool installed that way by mistake.
//!
//! Each binary is copied onto a tmpfs mounted in a private mount namespace (so the copy is
//! on a file system that honours the set-user-ID bit whatever the host mounts /tmp with, and
//! nothing outlives the test), given to root with the mode under test, and run as `nobody`
//! by a root shell that first moves itself into a group of the test's. The groups: `start`
//! and `open` delegated to nobody (directory and process files chowned, as systemd's
//! Delegate=yes does), `closed` root's, all under a top group delegated to nobody (on
//! cgroup v2 a move needs write access to the common ancestor too). The tests run as root,
//! as all of them do.

use std::fs;
use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};

use tests::{
    CgroupMode, NOBODY, Output, TestGroup, cgroup_dir, cgroup_mode, cgroup_mounts, have, ours,
    reference, scratch, sh_in_private_mount_ns,
};

/// The hierarchy the tests use and the controller part of a `-g` spec for it: the cgroup2
/// mount with `:` where there is one, else v1's memory hierarchy.
fn hierarchy() -> (PathBuf, &'static str) {
    let v2 = cgroup_mounts()
        .into_iter()
        .find(|m| m.join("cgroup.controllers").is_file());
    match (cgroup_mode(), v2) {
        (CgroupMode::V1, _) | (_, None) => (cgroup_dir("memory"), "memory:"),
        (_, Some(mount)) => (mount, ":"),
    }
}

/// The test's groups: `top/{start,open,closed}`.
struct Groups {
    guard: TestGroup,
    top: PathBuf,
    controllers: &'static str,
}

impl Groups {
    fn new(name: &str) -> Self {
        let guard = TestGroup::new(name);
        let (mount, controllers) = hierarchy();
        let top = mount.join(&guard.name);
        for child in ["start", "open", "closed"] {
            fs::create_dir_all(top.join(child)).unwrap();
        }
        for dir in [top.clone(), top.join("start"), top.join("open")] {
            for path in [dir.clone(), dir.join("cgroup.procs"), dir.join("tasks")] {
                if path.exists() {
                    chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
                }
            }
        }
        Groups {
            guard,
            top,
            controllers,
        }
    }

    /// The `-g` argument for child `name`.
    fn spec(&self, name: &str) -> String {
        format!("{}{}/{name}", self.controllers, self.guard.name)
    }

    fn procs(&self, name: &str) -> String {
        fs::read_to_string(self.top.join(name).join("cgroup.procs")).unwrap()
    }
}

/// `binary`, installed as `dir/name` owned by root with `mode` (an octal mode for chmod, or
/// `cap_...` capabilities for setcap), run as nobody with `args` and the variables `env`
/// added to the environment, from the group at `start`. Messages name the copy `$D/name`: the path is replaced by
/// `<dir>` so that two runs compare.
fn installed_run(
    binary: &Path,
    name: &str,
    mode: &str,
    start: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> Output {
    let dir = scratch();
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let vars: Vec<String> = env.iter().map(|(k, v)| format!("'{k}={v}' ")).collect();
    let script = format!(
        "mount -t tmpfs -o mode=0755 nsutils-setuid \"$D\" || exit 90
         cp '{binary}' \"$D/{name}\" && chown root:root \"$D/{name}\" && {set} \"$D/{name}\" || exit 91
         echo $$ > '{start}/cgroup.procs' || exit 92
         exec setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups -- env {vars}\"$D/{name}\" {args}",
        binary = binary.display(),
        set = if mode.starts_with("cap_") {
            format!("setcap {mode}")
        } else {
            format!("chmod {mode}")
        },
        start = start.display(),
        args = quoted.join(" "),
        vars = vars.concat(),
    );
    let mut out = sh_in_private_mount_ns(dir.path(), &script);
    out.stderr = out
        .stderr
        .replace(&dir.path().display().to_string(), "<dir>");
    out
}

/// The fields of `/proc/<pid>/status` that say what a process may do.
fn credentials(status: &str) -> Vec<(String, String)> {
    status
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| {
            [
                "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapAmb",
            ]
            .contains(k)
        })
        .map(|(k, v)| {
            (
                k.to_owned(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect()
}

/// nobody's exec'd program as cgexec set-user-ID (or set-group-ID) root leaves it: every id
/// nobody's, no supplementary group, no capability.
fn unprivileged() -> Vec<(String, String)> {
    let id = format!("{NOBODY} {NOBODY} {NOBODY} {NOBODY}");
    let zero = "0000000000000000".to_owned();
    vec![
        ("Uid".into(), id.clone()),
        ("Gid".into(), id),
        ("Groups".into(), String::new()),
        ("CapInh".into(), zero.clone()),
        ("CapPrm".into(), zero.clone()),
        ("CapEff".into(), zero.clone()),
        ("CapAmb".into(), zero),
    ]
}

/// cgexec installed set-user-ID root (as libcgroup's `make install` does) and run by nobody:
/// into a group nobody cannot write, the kernel refuses the move (it is made as nobody), the
/// program does not run and the group stays empty, with 3.2.0's line and status; into a
/// group delegated to nobody it works, and the program runs there as nobody with no
/// privilege at all. 3.2.0's cgexec, installed the same way, does the same.
#[test]
fn cgexec_set_user_id_root_acts_as_the_user() {
    let groups = Groups::new("suid");
    let start = groups.top.join("start");
    let probe = ["cat", "/proc/self/status", "/proc/self/cgroup"];
    let mut builds = vec![("ours", ours("cgexec"))];
    builds.extend(reference("cgexec").map(|r| ("3.2.0", r)));
    for (build, binary) in &builds {
        let closed = groups.spec("closed");
        let args: Vec<&str> = ["-g", closed.as_str()].into_iter().chain(probe).collect();
        let refused = installed_run(binary, "cgexec", "4755", &start, &[], &args);
        assert_eq!(refused.code, Some(87), "{build}: {refused:#?}");
        assert!(
            refused
                .stderr
                .starts_with("cgroup change of group failed\n"),
            "{build}: {refused:#?}"
        );
        assert_eq!(refused.stdout, "", "{build}: the program ran");
        assert_eq!(groups.procs("closed"), "", "{build}");

        for mode in ["4755", "2755", "6755"] {
            let open = groups.spec("open");
            let args: Vec<&str> = ["-g", open.as_str()].into_iter().chain(probe).collect();
            let moved = installed_run(binary, "cgexec", mode, &start, &[], &args);
            assert_eq!(moved.code, Some(0), "{build} {mode}: {moved:#?}");
            assert_eq!(
                credentials(&moved.stdout),
                unprivileged(),
                "{build} {mode}: {}",
                moved.stdout
            );
            let placed = format!(":/{}/open\n", groups.guard.name);
            assert!(
                moved.stdout.lines().any(|l| {
                    format!("{l}\n").ends_with(&placed)
                        && (groups.controllers == ":" || l.contains(":memory:"))
                }),
                "{build} {mode}: not in the group: {}",
                moved.stdout
            );
        }
    }
}

/// Every tool but cgexec, installed set-user-ID root (or set-group-ID root) and run by
/// nobody, refuses before doing anything: our message naming the fix, status 1, nothing on
/// stdout (not even the `--help` text asked for).
#[test]
fn other_tools_refuse_to_run_set_user_id() {
    let groups = Groups::new("suid-tools");
    let start = groups.top.join("start");
    let tools = tests::BIN_TOOLS
        .iter()
        .chain(&tests::SBIN_TOOLS)
        .filter(|t| **t != "cgexec");
    for tool in tools {
        for (mode, what, fix) in [
            ("4755", "set-user-ID", "chmod u-s"),
            ("2755", "set-group-ID", "chmod g-s"),
        ] {
            let out = installed_run(&ours(tool), tool, mode, &start, &[], &["--help"]);
            assert_eq!(
                out,
                Output {
                    code: Some(1),
                    signal: None,
                    core_dumped: false,
                    stdout: String::new(),
                    stderr: format!(
                        "{tool}: refusing to run {what}; remove the {what} bit: {fix} <dir>/{tool}\n"
                    ),
                },
                "{tool} {mode}"
            );
        }
    }
}

/// A set-user-ID root cgcreate run by nobody: ours refuses and creates nothing; 3.2.0's
/// creates the group as root where nobody may not (why ours refuses).
#[test]
fn cgcreate_set_user_id_creates_nothing_where_3_2_0_creates_as_root() {
    let groups = Groups::new("suid-create");
    let start = groups.top.join("start");
    let made = groups.top.join("closed/made");
    let spec = groups.spec("closed/made");
    let mine = installed_run(
        &ours("cgcreate"),
        "cgcreate",
        "4755",
        &start,
        &[],
        &["-g", &spec],
    );
    assert_eq!(mine.code, Some(1), "{mine:#?}");
    assert_eq!(
        mine.stderr,
        "cgcreate: refusing to run set-user-ID; remove the set-user-ID bit: chmod u-s <dir>/cgcreate\n"
    );
    assert!(!made.exists());
    let Some(theirs) = reference("cgcreate") else {
        return;
    };
    let theirs = installed_run(&theirs, "cgcreate", "4755", &start, &[], &["-g", &spec]);
    assert_eq!(theirs.code, Some(0), "{theirs:#?}");
    assert!(made.is_dir(), "3.2.0's set-user-ID cgcreate made no group");
}

/// Installed with file capabilities instead (`setcap`), a tool refuses as well, cgexec
/// included (libcgroup installs it set-user-ID; capabilities would survive its drop of ids):
/// the message names `setcap -r`, status 1, nothing on stdout.
#[test]
fn tools_with_file_capabilities_refuse_to_run() {
    if !have("/usr/sbin/setcap", "libcap2-bin") {
        return;
    }
    let groups = Groups::new("caps");
    let start = groups.top.join("start");
    for tool in ["cgget", "cgexec", "unshare"] {
        let out = installed_run(
            &ours(tool),
            tool,
            "cap_sys_admin+ep",
            &start,
            &[],
            &["--help"],
        );
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                Some(1),
                "",
                format!(
                    "{tool}: refusing to run with file capabilities; remove them: setcap -r <dir>/{tool}\n"
                )
                .as_str()
            ),
            "{tool}"
        );
    }
}

/// The set-user-ID cgexec ignores the environment that steers it, as secure_getenv(3) would:
/// nobody's `XDG_RUNTIME_DIR` names a default scope (`top/start`) for `--user`. Installed
/// without the bit (0755), cgexec reads it, looks for `top/open` below the scope and finds
/// nothing; installed set-user-ID root, it reads names as typed and the program runs in
/// `top/open`. 3.2.0 reads the variable either way (no comparison).
#[test]
fn cgexec_set_user_id_ignores_the_callers_environment() {
    let groups = Groups::new("suid-env");
    let start = groups.top.join("start");
    if groups.controllers != ":" {
        // The default scope is looked up in the v2 hierarchy (or v1's cpu), where systemd
        // keeps its scopes; this v1-only host has the test's groups in memory's, so there is
        // no scope for the variable to steer to. Not a skip: the variable is shown ignored on
        // the hybrid host and in the v2 and systemd guests, and nothing differs on v1 (the
        // same trusted_env read).
        return;
    }
    let runtime = scratch();
    chown(runtime.path(), Some(NOBODY), Some(NOBODY)).unwrap();
    let file_dir = runtime.path().join("libcgroup");
    fs::create_dir(&file_dir).unwrap();
    fs::write(
        file_dir.join("systemd"),
        format!("{}/start", groups.guard.name),
    )
    .unwrap();
    let open = groups.spec("open");
    let args = ["--user", "-g", open.as_str(), "cat", "/proc/self/cgroup"];
    let xdg = runtime.path().to_string_lossy().into_owned();
    let env = [("XDG_RUNTIME_DIR", xdg.as_str())];
    let placed = format!("::/{}/open\n", groups.guard.name);
    let plain = installed_run(&ours("cgexec"), "cgexec", "0755", &start, &env, &args);
    assert_ne!(plain.code, Some(0), "read below the scope: {plain:#?}");
    let elevated = installed_run(&ours("cgexec"), "cgexec", "4755", &start, &env, &args);
    assert_eq!(elevated.code, Some(0), "{elevated:#?}");
    assert!(elevated.stdout.contains(&placed), "{elevated:#?}");
    assert_eq!(groups.procs("open"), "");
    assert!(file_dir.join("systemd").exists());
}
