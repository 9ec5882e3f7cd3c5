//! `examples/limits.sh`, run as a user runs it with the nsutils binaries of this build
//! (`NSUTILS_BIN`): the OOM kill in a 15M group, a 25 % CPU quota and a 768:256 split of CPU 0
//! by cpu.shares, as the script measures and prints them, checked with tolerances; then that
//! it leaves no group and no process behind, also when interrupted with Ctrl-C.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tests::{Run, bin_dir, cgroup_dir, cgroup_mounts, example, ours, skip};

/// The script's runs one at a time: the CPU measurements should not share the CPUs with
/// another run's busy loops.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Whether the script can run here: root, and the memory, cpu and cpuset controllers
/// mounted (as our lssubsys lists them, the way the script looks); a skip if not.
fn preconditions() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        skip("examples/limits.sh needs root to create cgroups");
        return false;
    }
    let listed = Run::new(ours("lssubsys")).run();
    let mounted: Vec<&str> = listed
        .ok()
        .split(|c: char| c == ',' || c.is_whitespace())
        .collect();
    for controller in ["memory", "cpu", "cpuset"] {
        if !mounted.contains(&controller) {
            skip(&format!(
                "the {controller} controller is not mounted (lssubsys: {:?})",
                listed.stdout
            ));
            return false;
        }
    }
    true
}

/// The `nsutils-limits-*` groups in every hierarchy, as paths: at the top, and in
/// `nsutils.slice`, where the script's scope goes on a systemd host (examples/cgroup-home.sh).
fn limits_groups() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for mount in cgroup_mounts() {
        let dirs = [mount.clone(), mount.join("nsutils.slice")];
        for entry in dirs.iter().flat_map(std::fs::read_dir).flatten().flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with("nsutils-limits-")
            {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// The number in `line` between `before` and the next `after`.
/// Assert that the `nsutils-limits-*` groups are those of `before` again, once systemd has had
/// up to 10 s to stop the script's scope (on a systemd host it goes a little after the script).
fn assert_no_groups_left(before: &[PathBuf]) {
    for _ in 0..100 {
        if limits_groups() == before {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(limits_groups(), before, "groups left behind");
}

fn number(line: &str, before: &str, after: &str) -> f64 {
    let start = line
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in {line:?}"))
        + before.len();
    let rest = &line[start..];
    let end = rest
        .find(after)
        .unwrap_or_else(|| panic!("no {after:?} after {before:?} in {line:?}"));
    rest[..end]
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{:?} in {line:?}: {e}", &rest[..end]))
}

/// The one line of `text` that starts with `prefix`.
fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(lines.len(), 1, "one {prefix:?} line expected in:\n{text}");
    lines[0]
}

/// Wait for `child` at most `limit`; a script that hangs is killed and fails the test.
fn wait_at_most(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("limits.sh did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn example_limits_measures_what_the_limits_promise_and_leaves_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !preconditions() {
        return;
    }
    let before = limits_groups();
    let out = Run::new(example("limits.sh"))
        .env("NSUTILS_BIN", bin_dir())
        .env("NSUTILS_SECONDS", "3")
        .run();
    let text = out.ok();
    eprintln!("{text}{}", out.stderr);

    // 1. memory: "memory: allocation of 64M in a 15M group without swap: killed by SIGKILL
    // (oom_kill 1)": the hog died of the OOM killer's signal, and the group counted it.
    let memory = line(text, "memory: ");
    assert!(
        memory.starts_with("memory: allocation of 64M in a 15M group"),
        "{memory}"
    );
    assert!(
        memory.contains(": killed by SIGKILL (oom_kill "),
        "{memory}"
    );
    let kills = number(memory, "(oom_kill ", ")");
    assert!(kills >= 1.0, "no OOM kill counted: {memory}");

    // 2. quota: "cpu quota 25%: used 24.8% of a CPU over 3.0 s".
    let quota = line(text, "cpu quota ");
    assert!(quota.starts_with("cpu quota 25%: used "), "{quota}");
    let used = number(quota, "used ", "%");
    assert!((15.0..=35.0).contains(&used), "not about 25 %: {quota}");
    let over = number(quota, " over ", " s");
    assert!((2.5..=6.0).contains(&over), "{quota}");

    // 3. shares: "cpu.shares 768:256 on CPU 0: 74.9% / 25.1% (together 99.6% of CPU 0 ...)".
    let shares = line(text, "cpu.shares ");
    assert!(
        shares.starts_with("cpu.shares 768:256 on CPU 0: "),
        "{shares}"
    );
    let first = number(shares, "on CPU 0: ", "%");
    let second = number(shares, "% / ", "%");
    assert!((60.0..=90.0).contains(&first), "not about 3:1: {shares}");
    assert!((first + second - 100.0).abs() < 0.15, "{shares}");
    // CPU time over wall time: the two clocks are read apart, and a QEMU guest under TCG
    // showed 101.4%; more than 2% over would mean the loops ran off CPU 0.
    let together = number(shares, "(together ", "%");
    assert!(
        (20.0..=102.0).contains(&together),
        "the loops hardly ran, or used more than CPU 0: {shares}"
    );

    assert_no_groups_left(&before);
}

#[test]
fn example_limits_cleans_up_when_interrupted() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !preconditions() {
        return;
    }
    let before = limits_groups();
    // Its own process group, as a shell gives a foreground job, for a Ctrl-C to the group.
    let mut child = Command::new(example("limits.sh"))
        .env("NSUTILS_BIN", bin_dir())
        .env("NSUTILS_SECONDS", "30")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start limits.sh");
    let pid = child.id();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("read");
    assert!(first.starts_with("memory: "), "{first:?}");
    // The quota demo's busy loop, in its group.
    let group = format!("nsutils-limits-{pid}-quota");
    let procs = if tests::systemd_host() && tests::cgroup_mode() == tests::CgroupMode::V2 {
        // In the script's scope (examples/cgroup-home.sh).
        cgroup_dir("cpu").join(format!("nsutils.slice/nsutils-limits-{pid}.scope/{group}"))
    } else {
        cgroup_dir("cpu").join(group)
    }
    .join("cgroup.procs");
    let deadline = Instant::now() + Duration::from_secs(10);
    let loops = loop {
        let listed = std::fs::read_to_string(&procs).unwrap_or_default();
        if !listed.trim().is_empty() {
            break listed;
        }
        assert!(Instant::now() < deadline, "no loop in {}", procs.display());
        std::thread::sleep(Duration::from_millis(20));
    };
    let pgid = i32::try_from(pid).expect("pid");
    // SAFETY: a signal to the process group of our own child, which it leads.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGINT) }, 0, "kill");
    let status = wait_at_most(&mut child, Duration::from_secs(20));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("read");
    assert_eq!(status.code(), Some(130), "{first}{rest}");
    assert_eq!(rest, "", "it went on after Ctrl-C");
    for p in loops.lines() {
        assert!(
            !Path::new(&format!("/proc/{p}")).exists(),
            "the busy loop {p} outlived the script"
        );
    }
    assert_no_groups_left(&before);
}
