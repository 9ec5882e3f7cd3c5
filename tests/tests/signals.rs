//! Signals at random moments (issue 19). SIGINT, SIGTERM and SIGHUP are delivered, after
//! delays drawn from a seeded generator, to `examples/container.sh`, `pod.sh` and `limits.sh`
//! and to `unshare --kill-child` and `nsenter` with a child: to the process alone, or to its
//! whole process group as a terminal's Ctrl-C does. After each run the exit status is one the
//! README documents (the tools' as util-linux 2.42.2's, run side by side) and nothing of the
//! run is left: no process (each run marks its processes in their environment), no cgroup, no
//! mount in our table, no file. SIGKILL of a script leaves what the README says, and the
//! README's cleanup command removes it.
//!
//! Each test prints its seed: `NSUTILS_SIGNAL_SEED=N` replays it. `NSUTILS_SIGNAL_RUNS=N` sets
//! the runs per signal (default 10 on a host, 3 in the guests, whose TCG is slow).

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use tests::{
    TestGroup, bin_dir, busybox_root, cgroup_mounts, example, mount_table, ours, processes_marked,
    reference, remove_tree, scratch, skip,
};

/// The environment variable that marks a run's processes; its value names the run.
const MARK: &str = "NSUTILS_SIGNAL_RUN";

const SIGNALS: [(i32, &str); 3] = [
    (libc::SIGINT, "SIGINT"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGHUP, "SIGHUP"),
];

/// Where a signal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// The process alone (`kill PID`).
    Process,
    /// Its process group, which it leads (a terminal's Ctrl-C, `kill -- -PID`).
    Group,
}

const TARGETS: [Target; 2] = [Target::Process, Target::Group];

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Exited(i32),
    Killed(i32),
}

impl Outcome {
    fn of(status: ExitStatus) -> Self {
        match status.code() {
            Some(code) => Outcome::Exited(code),
            None => Outcome::Killed(status.signal().unwrap_or_default()),
        }
    }
}

/// splitmix64: small, seeded, good enough to spread delays.
struct Rng(u64);

impl Rng {
    fn for_test(test: &str) -> Self {
        let seed = std::env::var("NSUTILS_SIGNAL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or_default()
            });
        eprintln!("{test}: seed {seed} (NSUTILS_SIGNAL_SEED={seed} replays it)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Run `i` of `n`'s delay: a random point of the i-th of n equal slices of `span`, so
    /// that the runs together reach every phase of it.
    fn delay(&mut self, i: usize, n: usize, span: Duration) -> Duration {
        let slice = span / n.max(1) as u32;
        let micros = slice.as_micros() as u64;
        slice * i as u32 + Duration::from_micros(if micros == 0 { 0 } else { self.next() % micros })
    }
}

fn in_guest() -> bool {
    std::env::var_os("NSUTILS_VM").is_some()
}

fn runs_per_signal() -> usize {
    std::env::var("NSUTILS_SIGNAL_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if in_guest() { 3 } else { 10 })
}

/// How long a run's processes may take to be gone once it has ended (the kernel reaps a
/// SIGKILLed namespace's processes asynchronously; systemd stops a scope a little later).
fn grace() -> Duration {
    Duration::from_secs(if in_guest() { 30 } else { 10 })
}

fn send(pid: u32, target: Target, signal: i32) {
    let pid = i32::try_from(pid).expect("pid");
    let to = match target {
        Target::Process => pid,
        Target::Group => -pid,
    };
    // SAFETY: a signal to a child of this test (or the group it leads), not yet reaped, so
    // its pid cannot name another process. ESRCH (a group already gone) is no error here.
    unsafe { libc::kill(to, signal) };
}

/// A process of a run: started in a process group of its own, its processes marked, its
/// output in a log file.
struct Started {
    child: Child,
    marker: String,
    log: PathBuf,
    at: Instant,
    /// Its descendants seen while it ran (`wait` looks).
    seen: Vec<u32>,
}

impl Started {
    fn new(mut cmd: Command, marker: &str, log: PathBuf) -> Self {
        let out = File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out.try_clone().expect("dup");
        let child = cmd
            .env(MARK, marker)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Started {
            child,
            marker: marker.to_owned(),
            log,
            at: Instant::now(),
            seen: Vec::new(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Signal it `delay` after its start (at once if that is past).
    fn signal_at(&mut self, delay: Duration, target: Target, signal: i32) {
        std::thread::sleep(delay.saturating_sub(self.at.elapsed()));
        self.signal(target, signal);
    }

    /// Signal it now, noting its descendants first: a tool killed at once has none by the
    /// time `wait` looks.
    fn signal(&mut self, target: Target, signal: i32) {
        for (pid, _) in self.descendants() {
            if !self.seen.contains(&pid) {
                self.seen.push(pid);
            }
        }
        send(self.pid(), target, signal);
    }

    /// Its end, within `limit` of now; a run that hangs is killed with its group and whatever
    /// it marked, and fails the test.
    fn wait(&mut self, limit: Duration) -> Outcome {
        let deadline = Instant::now() + limit;
        loop {
            for (pid, _) in self.descendants() {
                if !self.seen.contains(&pid) {
                    self.seen.push(pid);
                }
            }
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Outcome::of(status);
            }
            if Instant::now() > deadline {
                send(self.pid(), Target::Group, libc::SIGKILL);
                let _ = self.child.wait();
                kill_marked(&self.marker);
                panic!(
                    "{} did not end within {limit:?}: {}",
                    self.marker,
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its descendants now, as (pid, command line): found from it down through each
    /// process's `children`, cheap however many processes the host runs (the marker scan of
    /// `left` reads every process's environment).
    fn descendants(&self) -> Vec<(u32, String)> {
        let mut found = Vec::new();
        let mut next = vec![self.pid()];
        while let Some(pid) = next.pop() {
            for task in std::fs::read_dir(format!("/proc/{pid}/task"))
                .into_iter()
                .flatten()
                .flatten()
            {
                let children =
                    std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                    let cmdline =
                        std::fs::read(format!("/proc/{child}/cmdline")).unwrap_or_default();
                    let words: Vec<String> = cmdline
                        .split(|b| *b == 0)
                        .filter(|w| !w.is_empty())
                        .map(|w| String::from_utf8_lossy(w).into_owned())
                        .collect();
                    found.push((child, words.join(" ")));
                    next.push(child);
                }
            }
        }
        found
    }

    /// Whether a descendant seen while it ran is still alive (not gone, not a zombie).
    fn seen_alive(&self) -> bool {
        self.seen.iter().any(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let state = stat.rsplit_once(") ")?.1.chars().next()?;
                    Some(state != 'Z')
                })
                .unwrap_or(false)
        })
    }

    /// The processes of this run still there.
    fn left(&self) -> Vec<(u32, String)> {
        processes_marked(MARK, &self.marker)
    }

    /// Assert that no process of the run is left once `grace()` has passed.
    fn assert_no_process_left(&self, context: &str) {
        let deadline = Instant::now() + grace();
        while !self.left().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let left = self.left();
        if !left.is_empty() {
            kill_marked(&self.marker);
            panic!("{context}: processes left: {left:?}\n{}", self.output());
        }
    }
}

/// SIGKILL every process that carries the run's marker: only ours carry it.
fn kill_marked(marker: &str) {
    for (pid, _) in processes_marked(MARK, marker) {
        if let Ok(pid) = i32::try_from(pid) {
            // SAFETY: a process of this test's run (it carries the run's marker).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The groups, in every hierarchy, at the top and in `nsutils.slice` (where the examples'
/// scopes go on a systemd host), named `stem`, `stem-*` or `stem.*`.
fn groups_named(stem: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for mount in cgroup_mounts() {
        for dir in [mount.clone(), mount.join("nsutils.slice")] {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name == stem
                    || name.starts_with(&format!("{stem}-"))
                    || name.starts_with(&format!("{stem}."))
                {
                    found.push(entry.path());
                }
            }
        }
    }
    found
}

/// Removes the groups named by a stem when dropped (after a failure): the safety net for
/// groups a script names itself.
struct GroupsNamed(String);

impl Drop for GroupsNamed {
    fn drop(&mut self) {
        for mount in cgroup_mounts() {
            remove_tree(&mount.join(&self.0), &mount);
            for dir in groups_named(&self.0) {
                if dir.starts_with(&mount) && !dir.starts_with(mount.join("nsutils.slice")) {
                    remove_tree(&dir, &mount);
                }
            }
        }
    }
}

fn assert_no_group_left(stem: &str, context: &str, output: &str) {
    let deadline = Instant::now() + grace();
    while !groups_named(stem).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left = groups_named(stem);
    assert!(
        left.is_empty(),
        "{context}: groups left: {left:?}\n{output}"
    );
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The statuses a script may end with when `signal` reaches it: 0 when it had finished, 128 +
/// the signal from its trap, or death by the signal itself when it came before the script had
/// set its traps (at its first lines, before it made anything).
fn script_statuses(signal: i32) -> [Outcome; 3] {
    [
        Outcome::Exited(0),
        Outcome::Exited(128 + signal),
        Outcome::Killed(signal),
    ]
}

/// One example script, its arguments and environment, and the cgroup stem a run makes.
struct Script<'a> {
    name: &'a str,
    args: Vec<std::ffi::OsString>,
    env: Vec<(&'a str, std::ffi::OsString)>,
}

struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    tmp: PathBuf,
    logs: PathBuf,
}

/// A scratch directory with a busybox root, an empty `tmp` for the scripts' own scratch
/// directories (TMPDIR) and `logs` for the runs' output.
fn setup() -> Option<Scratch> {
    use std::os::unix::fs::PermissionsExt;
    if !is_root() {
        skip("the example scripts need root");
        return None;
    }
    let dir = scratch();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let root = dir.path().join("rootfs");
    if !busybox_root(&root) {
        return None;
    }
    let tmp = dir.path().join("tmp");
    let logs = dir.path().join("logs");
    for d in [&tmp, &logs] {
        std::fs::create_dir(d).expect("mkdir");
    }
    Some(Scratch {
        _dir: dir,
        root,
        tmp,
        logs,
    })
}

/// How a script names the cgroups of a run.
#[derive(Clone, Copy)]
enum Naming {
    /// By `NSUTILS_NAME`, set to a fresh test group's name for each run.
    Env,
    /// PREFIX-PID, PID the script's.
    Pid(&'static str),
}

/// The runs of one script: one undisturbed, whose length spans the delays, then for each
/// signal `runs` runs, to the process and to the group in turn.
fn signal_script(test: &str, s: &Scratch, script: &Script, naming: Naming, runs: usize) {
    let mut rng = Rng::for_test(test);
    let mut seen: BTreeMap<(&str, Target, Outcome), usize> = BTreeMap::new();
    let rootfs_before = listing(&s.root.join("bin"));
    let mut number = 0;
    let run = |signal: Option<(i32, Target, Duration)>, number: usize| -> (Outcome, Duration) {
        let mounts_before = mount_table();
        let group = match naming {
            Naming::Env => Some(TestGroup::new(&format!("signal{number}"))),
            Naming::Pid(_) => None,
        };
        let mut cmd = Command::new(example(script.name));
        cmd.args(&script.args)
            .env("NSUTILS_BIN", bin_dir())
            .env("TMPDIR", &s.tmp);
        for (k, v) in &script.env {
            cmd.env(k, v);
        }
        if let Some(group) = &group {
            cmd.env("NSUTILS_NAME", &group.name);
        }
        let marker = format!("{test}-{}-{number}", std::process::id());
        let mut started = Started::new(cmd, &marker, s.logs.join(&marker));
        let stem = match naming {
            Naming::Env => group.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
            Naming::Pid(prefix) => format!("{prefix}-{}", started.pid()),
        };
        let _safety = GroupsNamed(stem.clone());
        if let Some((signo, target, delay)) = signal {
            started.signal_at(delay, target, signo);
        }
        let outcome = started.wait(Duration::from_secs(if in_guest() { 600 } else { 120 }));
        let took = started.at.elapsed();
        let context = format!("{} run {number} ({signal:?}): {outcome:?}", script.name);
        started.assert_no_process_left(&context);
        assert_no_group_left(&stem, &context, &started.output());
        let added: Vec<String> = mount_table()
            .into_iter()
            .filter(|m| !mounts_before.contains(m))
            .collect();
        assert!(added.is_empty(), "{context}: mounts left {added:?}");
        assert_eq!(
            listing(&s.tmp),
            Vec::<String>::new(),
            "{context}: files left"
        );
        assert_eq!(listing(&s.root.join("bin")), rootfs_before, "{context}");
        match signal {
            None => assert_eq!(
                outcome,
                Outcome::Exited(0),
                "{context}: {}",
                started.output()
            ),
            Some((signo, _, _)) => assert!(
                script_statuses(signo).contains(&outcome),
                "{context}: not one of {:?}\n{}",
                script_statuses(signo),
                started.output()
            ),
        }
        (outcome, took)
    };
    let (_, length) = run(None, number);
    eprintln!("{}: an undisturbed run takes {length:?}", script.name);
    let n = runs;
    for (signo, signame) in SIGNALS {
        for i in 0..n {
            number += 1;
            let target = TARGETS[i % 2];
            let delay = rng.delay(i, n, length);
            let (outcome, took) = run(Some((signo, target, delay)), number);
            eprintln!(
                "{} run {number}: {signame} to the {target:?} at {delay:?}: {outcome:?} after {took:?}",
                script.name
            );
            *seen.entry((signame, target, outcome)).or_default() += 1;
        }
    }
    eprintln!("{}: outcomes seen {seen:?}", script.name);
}

#[test]
fn container_sh_at_random_signals() {
    let Some(s) = setup() else { return };
    let script = Script {
        name: "container.sh",
        args: vec![
            s.root.clone().into(),
            "/bin/sh".into(),
            "-c".into(),
            "sleep 0.3; echo done".into(),
        ],
        env: vec![],
    };
    signal_script(
        "container_sh_at_random_signals",
        &s,
        &script,
        Naming::Env,
        runs_per_signal(),
    );
}

#[test]
fn pod_sh_at_random_signals() {
    let Some(s) = setup() else { return };
    let script = Script {
        name: "pod.sh",
        args: vec![],
        env: vec![],
    };
    // pod.sh makes no cgroup: a stem no group has.
    signal_script(
        "pod_sh_at_random_signals",
        &s,
        &script,
        Naming::Pid("nsutils-pod"),
        runs_per_signal(),
    );
}

/// The one moment a random signal seldom hits: mktemp has made pod.sh's directory and is
/// killed (a signal to the process group) before it prints the name. A `mktemp` first in
/// PATH makes the directory with the real one, then signals the script and ends unprinted.
#[test]
fn pod_sh_signalled_during_mktemp_leaves_no_directory() {
    use std::os::unix::fs::PermissionsExt;
    let Some(s) = setup() else { return };
    let wrappers = s.logs.join("wrappers");
    std::fs::create_dir(&wrappers).expect("mkdir");
    let mktemp = wrappers.join("mktemp");
    std::fs::write(
        &mktemp,
        "#!/bin/sh\n/usr/bin/mktemp \"$@\" > /dev/null || exit\nkill -TERM $PPID\nexit 143\n",
    )
    .expect("write");
    std::fs::set_permissions(&mktemp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        wrappers.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(example("pod.sh"))
        .env("NSUTILS_BIN", bin_dir())
        .env("PATH", path)
        .env("TMPDIR", &s.tmp)
        .output()
        .expect("pod.sh");
    assert_eq!(out.status.code(), Some(143), "{out:?}");
    assert_eq!(listing(&s.tmp), Vec::<String>::new(), "{out:?}");
}

/// The controllers limits.sh needs are mounted (a skip if not).
fn limits_can_run() -> bool {
    let listed = std::process::Command::new(ours("lssubsys"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mounted: Vec<&str> = listed
        .split(|c: char| c == ',' || c.is_whitespace())
        .collect();
    for controller in ["memory", "cpu", "cpuset"] {
        if !mounted.contains(&controller) {
            skip(&format!("the {controller} controller is not mounted"));
            return false;
        }
    }
    true
}

/// examples/limits.sh with one-second demos, when it can run here (else a skip).
fn limits_script() -> Option<Script<'static>> {
    limits_can_run().then(|| Script {
        name: "limits.sh",
        args: vec![],
        env: vec![("NSUTILS_SECONDS", "1".into())],
    })
}

#[test]
fn limits_sh_at_random_signals() {
    let Some(s) = setup() else { return };
    let Some(script) = limits_script() else {
        return;
    };
    signal_script(
        "limits_sh_at_random_signals",
        &s,
        &script,
        Naming::Pid("nsutils-limits"),
        // Its runs are long (seconds of measurement): fewer of them.
        (runs_per_signal() * 4 / 5).max(2),
    );
}

/// The README's cleanup after a `kill -9` of container.sh or limits.sh (section "After kill
/// -9"), word for word but for PID, the script's process ID.
const README_CLEANUP: &str =
    r#"lscgroup | grep -E ":/nsutils-(container|limits)-$PID(-|$)" | xargs -r -n1 cgdelete -g"#;

/// SIGKILL of `script` `delay` after its start (or, with no delay, once a process of the run
/// runs `waiting_for`): what the README says remains does, the README's cleanup removes it.
fn sigkill_then_readme_cleanup(
    test: &str,
    s: &Scratch,
    script: &Script,
    stem: &str,
    waiting_for: &str,
) {
    let mounts_before = mount_table();
    let mut cmd = Command::new(example(script.name));
    cmd.args(&script.args)
        .env("NSUTILS_BIN", bin_dir())
        .env("TMPDIR", &s.tmp);
    for (k, v) in &script.env {
        cmd.env(k, v);
    }
    let marker = format!("{test}-{}", std::process::id());
    let mut started = Started::new(cmd, &marker, s.logs.join(&marker));
    let stem = format!("{stem}-{}", started.pid());
    let _safety = GroupsNamed(stem.clone());
    let deadline = Instant::now() + grace();
    while !started
        .descendants()
        .iter()
        .any(|(_, cmd)| cmd.starts_with(waiting_for))
    {
        assert!(
            Instant::now() < deadline,
            "no {waiting_for}: {:?}\n{}",
            started.descendants(),
            started.output()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    started.seen = started
        .descendants()
        .into_iter()
        .map(|(pid, _)| pid)
        .collect();
    send(started.pid(), Target::Process, libc::SIGKILL);
    let outcome = started.wait(grace());
    assert_eq!(outcome, Outcome::Killed(libc::SIGKILL));
    // What remains: the group, with the processes the script started, which end by
    // themselves (the container when its command ends, limits.sh's loops when they see the
    // script gone). No mount: the container's die with its mount namespace.
    assert!(!groups_named(&stem).is_empty(), "no group after kill -9");
    assert!(started.seen_alive(), "no process after kill -9");
    started.assert_no_process_left(&format!("{} after kill -9", script.name));
    let cleanup = Command::new("/bin/sh")
        .args(["-c", README_CLEANUP])
        .env("PID", started.pid().to_string())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run the cleanup");
    assert!(cleanup.status.success(), "{cleanup:?}");
    assert_no_group_left(&stem, &format!("{} after the cleanup", script.name), "");
    let added: Vec<String> = mount_table()
        .into_iter()
        .filter(|m| !mounts_before.contains(m))
        .collect();
    assert!(added.is_empty(), "mounts left {added:?}");
    assert_eq!(listing(&s.tmp), Vec::<String>::new(), "files left");
}

#[test]
fn container_sh_sigkill_leaves_a_group_the_readme_cleanup_removes() {
    let Some(s) = setup() else { return };
    if tests::systemd_host() && tests::cgroup_mode() == tests::CgroupMode::V2 {
        // The group is in a scope systemd removes once its processes have ended.
        eprintln!("in a systemd scope: nothing for the cleanup to do");
    }
    let script = Script {
        name: "container.sh",
        args: vec![
            s.root.clone().into(),
            "/bin/sh".into(),
            "-c".into(),
            "sleep 1; echo done".into(),
        ],
        env: vec![],
    };
    sigkill_then_readme_cleanup(
        "container_sh_sigkill",
        &s,
        &script,
        "nsutils-container",
        "sleep 1",
    );
}

#[test]
fn limits_sh_sigkill_leaves_groups_the_readme_cleanup_removes() {
    let Some(s) = setup() else { return };
    let Some(script) = limits_script() else {
        return;
    };
    // The quota demo's busy loop runs.
    sigkill_then_readme_cleanup(
        "limits_sh_sigkill",
        &s,
        &script,
        "nsutils-limits",
        "sh -c while kill -0",
    );
}

/// A tool with a child, ours and the reference side by side: how each ended, and whether its
/// child outlived it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ToolEnd {
    outcome: Outcome,
    child_outlived: bool,
}

/// Run `program args` (marked), wait until it and its descendants are `ready` processes (the
/// tool and its child are up; not when `delay` is given: then the signal goes `delay` after
/// the start), then signal it; how it ended, and whether a descendant it had was still there a
/// moment after. Nothing of the run may be left once the child's own time is up.
fn tool_run(
    program: &Path,
    args: &[&str],
    marker: &str,
    log: PathBuf,
    ready: usize,
    signal: (i32, Target),
    delay: Option<Duration>,
) -> (ToolEnd, Duration) {
    let mut cmd = Command::new(program);
    cmd.args(args);
    let mut started = Started::new(cmd, marker, log);
    let startup = match delay {
        Some(delay) => {
            started.signal_at(delay, signal.1, signal.0);
            delay
        }
        None => {
            let deadline = Instant::now() + grace();
            while 1 + started.descendants().len() < ready {
                assert!(
                    Instant::now() < deadline,
                    "{marker}: {:?}",
                    started.descendants()
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            let startup = started.at.elapsed();
            started.signal(signal.1, signal.0);
            startup
        }
    };
    let outcome = started.wait(grace() * 2);
    // A child killed along with the tool is gone within this; one that outlives it runs its
    // sleep (seconds) to the end.
    std::thread::sleep(Duration::from_millis(if in_guest() { 500 } else { 100 }));
    let child_outlived = started.seen_alive();
    started.assert_no_process_left(marker);
    (
        ToolEnd {
            outcome,
            child_outlived,
        },
        startup,
    )
}

/// `run` for ours and for the reference at once, in two threads: (ours, util-linux's).
fn side_by_side<T: Send>(
    mine: &Path,
    theirs: &Path,
    run: impl Fn(&'static str, &Path) -> T + Sync,
) -> (T, T) {
    std::thread::scope(|scope| {
        let ours = scope.spawn(|| run("ours", mine));
        let reference = run("util-linux", theirs);
        (ours.join().expect("our run"), reference)
    })
}

/// For each signal and target: a run of ours and of the reference once the child runs, which
/// must end alike; then runs of both at random delays from 0 to that start-up time, each
/// ending as that, or killed by the signal before the tool had set up its handling (its child
/// then never started or went with it), or as if no signal had come (`child_status`, the
/// status of the child's command): the signal reached the tool while it blocked it, and the
/// child not, or only while it ignored it (a pid 1 ignores a signal it has no handler for).
fn tool_side_by_side(test: &str, tool: &str, args: &[&str], ready: usize, child_status: i32) {
    let Some(theirs) = reference(tool) else {
        return;
    };
    let mine = ours(tool);
    let logs = scratch();
    let mut rng = Rng::for_test(test);
    let n = (runs_per_signal() / 2).max(2);
    let mut seen: BTreeMap<(&str, Target, &str, ToolEnd), usize> = BTreeMap::new();
    for (signo, signame) in SIGNALS {
        for target in TARGETS {
            let run = |delay: Option<Duration>, i: usize| {
                side_by_side(&mine, &theirs, |who, program| {
                    let marker = format!(
                        "{test}-{}-{signame}-{target:?}-{who}-{i}",
                        std::process::id()
                    );
                    let log = logs.path().join(&marker);
                    tool_run(program, args, &marker, log, ready, (signo, target), delay)
                })
            };
            let ((late, ours_startup), (reference_late, reference_startup)) = run(None, 0);
            assert_eq!(
                late, reference_late,
                "{tool} {args:?}, {signame} to the {target:?} once its child runs: ours, util-linux's"
            );
            eprintln!("{tool} {args:?}: {signame} to the {target:?} once the child runs: {late:?}");
            let early = ToolEnd {
                outcome: Outcome::Killed(signo),
                child_outlived: false,
            };
            let undisturbed = ToolEnd {
                outcome: Outcome::Exited(child_status),
                child_outlived: false,
            };
            let startup = ours_startup.max(reference_startup);
            for i in 1..=n {
                let delay = rng.delay(i - 1, n, startup);
                let ((mine, _), (reference, _)) = run(Some(delay), i);
                for (who, end) in [("ours", mine), ("util-linux", reference)] {
                    assert!(
                        [late, early, undisturbed].contains(&end),
                        "{who} {tool} {args:?}, {signame} to the {target:?} at {delay:?}: {end:?}, not {late:?}, {early:?} or {undisturbed:?}"
                    );
                    *seen.entry((signame, target, who, end)).or_default() += 1;
                }
            }
        }
    }
    eprintln!("{tool} {args:?}: outcomes seen at random moments {seen:?}");
}

fn child_seconds() -> &'static str {
    if in_guest() { "3" } else { "1" }
}

#[test]
fn unshare_kill_child_at_random_signals() {
    if !is_root() {
        skip("unshare --pid needs root");
        return;
    }
    let secs = child_seconds();
    tool_side_by_side(
        "unshare_kill_child",
        "unshare",
        &["--fork", "--kill-child", "sleep", secs],
        2,
        0,
    );
    let script = format!("sleep {secs}; exit 3");
    tool_side_by_side(
        "unshare_pid_kill_child",
        "unshare",
        &[
            "--fork",
            "--pid",
            "--mount-proc",
            "--kill-child",
            "/bin/sh",
            "-c",
            &script,
        ],
        3,
        3,
    );
}

#[test]
fn nsenter_pid_namespace_child_at_random_signals() {
    if !is_root() {
        skip("nsenter -p needs root");
        return;
    }
    // A process in a pid namespace of its own to enter: unshare's child, pid 1 there.
    let holder = Holder(
        Command::new(ours("unshare"))
            .args(["--fork", "--pid", "--kill-child", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start unshare"),
    );
    let tid = holder.0.id();
    let children = format!("/proc/{tid}/task/{tid}/children");
    let deadline = Instant::now() + grace();
    let target = loop {
        let listed = std::fs::read_to_string(&children).unwrap_or_default();
        if let Some(pid) = listed.split_whitespace().next() {
            break pid.to_owned();
        }
        assert!(Instant::now() < deadline, "unshare made no child");
        std::thread::sleep(Duration::from_millis(5));
    };
    tool_side_by_side(
        "nsenter_pid_child",
        "nsenter",
        &["-t", &target, "-p", "--", "sleep", child_seconds()],
        2,
        0,
    );
    drop(holder);
}

/// The unshare that holds the pid namespace nsenter enters; SIGKILLed when dropped (also when
/// the test fails), and its --kill-child takes its sleep along.
struct Holder(Child);

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
