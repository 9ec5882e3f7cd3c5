//! The services of `contrib/` as systemd runs them, in the systemd guest
//! (`cargo xtask vm-test --mode systemd`): `cgconfig.service` (cgconfigparser at boot) makes
//! the groups of `/etc/cgconfig.conf`, and `cgred.service` (the rules daemon) moves a process
//! by `/etc/cgrules.conf`, is reloaded by `systemctl reload` and removes its socket when
//! stopped. The units are the files `make install` installs, with the directory of the
//! binaries under test written in for SBINDIR, put in `/run/systemd/system` (gone at the next
//! boot); the configuration files are written for the test and removed after it, also when it
//! fails, so that no other test sees them.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tests::{Run, TestGroup, ours, scratch, systemd_host};

const UNITS: [&str; 2] = ["cgconfig", "cgred"];
const SOCKET: &str = "/var/run/cgred.socket";

/// What the test put in place: stopped and removed on drop, whatever happened.
struct Installed {
    files: Vec<PathBuf>,
}

impl Installed {
    /// Write `text` to `path`, which must not exist yet (nothing of the guest's is replaced).
    fn write(&mut self, path: &str, text: &str) {
        assert!(!Path::new(path).exists(), "{path} exists already");
        fs::write(path, text).unwrap_or_else(|e| panic!("{path}: {e}"));
        self.files.push(PathBuf::from(path));
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        for unit in UNITS {
            Run::new("systemctl").args(["stop", unit]).run();
        }
        for file in &self.files {
            let _ = fs::remove_file(file);
        }
        Run::new("systemctl").args(["daemon-reload"]).run();
    }
}

fn systemctl(args: &[&str]) -> String {
    let out = Run::new("systemctl").args(args).run();
    format!("{}{}", out.stdout, out.stderr).trim().to_owned()
}

/// Wait up to 10 s for `done`; on a timeout, say what systemd says of `unit`.
fn eventually(what: &str, unit: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(10) {
            let status = systemctl(&["status", "--no-pager", "-l", unit]);
            let journal = Run::new("journalctl")
                .args(["--no-pager", "-n", "40", "-u", unit])
                .run();
            panic!("timed out: {what}\n{status}\n{}", journal.stdout);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "systemd guest: cargo xtask vm-test --mode systemd"]
fn cgconfig_and_cgred_run_as_systemd_services() {
    assert!(systemd_host(), "systemd is not PID 1 here");
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let sbin = ours("cgconfigparser");
    let sbin = sbin.parent().expect("the binaries' directory");
    let g = TestGroup::new("svc");
    let d = scratch();
    // A program of the test's own name, so the rule matches nothing else of the guest's.
    let program = d.path().join(format!("{}-prog", g.name));
    fs::copy("/bin/sleep", &program).expect("a copy of sleep");

    let mut installed = Installed { files: Vec::new() };
    for unit in UNITS {
        let text = fs::read_to_string(workspace.join(format!("contrib/systemd/{unit}.service")))
            .expect("the unit")
            .replace("@SBINDIR@", &sbin.display().to_string());
        installed.write(&format!("/run/systemd/system/{unit}.service"), &text);
    }
    installed.write(
        "/etc/cgconfig.conf",
        &format!("group {} {{ pids {{ pids.max = \"42\"; }} }}\n", g.name),
    );
    installed.write(
        "/etc/cgrules.conf",
        &format!("*:{}-prog pids {}\n", g.name, g.name),
    );
    assert_eq!(systemctl(&["daemon-reload"]), "");

    // cgconfig: a oneshot that stays active, its group made with its setting.
    assert_eq!(systemctl(&["start", "cgconfig.service"]), "");
    assert_eq!(systemctl(&["is-active", "cgconfig.service"]), "active");
    let dir = Path::new("/sys/fs/cgroup").join(&g.name);
    assert_eq!(
        fs::read_to_string(dir.join("pids.max"))
            .expect("the group")
            .trim(),
        "42"
    );

    // cgred: the daemon runs, listens, and moves a matching process as it starts.
    assert_eq!(systemctl(&["start", "cgred.service"]), "");
    eventually("the daemon's socket", "cgred.service", || {
        Path::new(SOCKET).exists()
    });
    assert_eq!(systemctl(&["is-active", "cgred.service"]), "active");
    let mut child = std::process::Command::new(&program)
        .arg("60")
        .spawn()
        .expect("the program");
    let pid = child.id();
    let moved = format!("0::/{}\n", g.name);
    eventually("the process in its group", "cgred.service", || {
        fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default() == moved
    });
    // ExecReload= sends SIGUSR2: the daemon reads the rules again and keeps running.
    assert_eq!(systemctl(&["reload", "cgred.service"]), "");
    assert_eq!(systemctl(&["is-active", "cgred.service"]), "active");
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(systemctl(&["stop", "cgred.service"]), "");
    assert!(
        !Path::new(SOCKET).exists(),
        "the socket outlived the daemon"
    );
    drop(installed);
    assert!(!Path::new("/etc/cgconfig.conf").exists());
}
