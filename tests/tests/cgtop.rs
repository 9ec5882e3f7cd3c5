//! `cgtop` run as a user runs it, its numbers checked against what the test did to its own
//! groups (`nsutils-test-<pid>-*`, made with our `cgcreate` and `cgxset`, removed by
//! `TestGroup`): a busy loop under a 25 % quota, an allocation killed in a 15M group, 8
//! sleeping processes, the group operand and `--depth`, the bad options; in the systemd
//! guest, the same groups as systemd-cgtop shows them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use serde_json::Value;
use tests::{
    CgroupMode, Run, Sleeper, TestGroup, cgroup_dir, cgroup_mode, cgroup_mounts, ours, skip,
    systemd_host,
};

/// The CPU measurements one at a time (two busy loops would share the CPUs).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        skip("cgtop's tests make cgroups: they need root");
    }
    root
}

/// The controllers mounted here, as our `lssubsys` lists them.
fn mounted() -> Vec<String> {
    Run::new(ours("lssubsys"))
        .run()
        .ok()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `cpu`, with `cpuacct` where it is mounted (v1 counts CPU time there).
fn cpu_controllers() -> String {
    if mounted().iter().any(|c| c == "cpuacct") {
        "cpu,cpuacct".to_owned()
    } else {
        "cpu".to_owned()
    }
}

/// Our `cgcreate -g CONTROLLERS:NAME`.
fn create(group: &TestGroup, controllers: &str) {
    Run::new(ours("cgcreate"))
        .args(["-g", &format!("{controllers}:{}", group.name)])
        .run()
        .assert_code(0);
}

/// Our `cgxset -1 -r SETTING ... NAME` (v1 names, translated where the controller is v2).
fn set_v1(group: &str, settings: &[&str]) {
    let mut args = vec!["-1".to_owned()];
    for s in settings {
        args.extend(["-r".to_owned(), (*s).to_owned()]);
    }
    args.push(group.to_owned());
    Run::new(ours("cgxset")).args(args).run().assert_code(0);
}

/// Every directory of `name` (one per hierarchy that has it).
fn dirs_of(name: &str) -> Vec<PathBuf> {
    cgroup_mounts()
        .into_iter()
        .map(|m| m.join(name))
        .filter(|d| d.is_dir())
        .collect()
}

/// Move `pid` into `name` in every hierarchy that has the group.
fn move_into(name: &str, pid: u32) {
    for dir in dirs_of(name) {
        std::fs::write(dir.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|e| panic!("move {pid} into {}: {e}", dir.display()));
    }
}

/// A busy loop of the test's own, killed (by its pid) and reaped when dropped.
struct Busy(Child);

impl Busy {
    fn new_in(name: &str) -> Busy {
        let child = Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start a busy loop");
        let busy = Busy(child);
        move_into(name, busy.0.id());
        busy
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cgtop(args: &[&str]) -> tests::Output {
    Run::new(ours("cgtop")).args(args).run()
}

/// One line of the batch text: the path, and each cell with its column's title.
type Line = (String, Vec<(String, String)>);

/// Batch text as refreshes of lines.
fn refreshes(text: &str) -> Vec<Vec<Line>> {
    text.split("\n\n")
        .map(|refresh| {
            let mut lines = refresh.lines();
            let header = lines.next().expect("a header line");
            let titles: Vec<&str> = header
                .strip_prefix("Control Group")
                .expect("the path column first")
                .split_whitespace()
                .collect();
            lines
                .map(|line| {
                    let words: Vec<&str> = line.split_whitespace().collect();
                    assert_eq!(words.len(), titles.len() + 1, "{line:?} under {header:?}");
                    let cells = titles
                        .iter()
                        .zip(&words[1..])
                        .map(|(t, w)| ((*t).to_owned(), (*w).to_owned()))
                        .collect();
                    (words[0].to_owned(), cells)
                })
                .collect()
        })
        .collect()
}

fn cell<'a>(line: &'a Line, title: &str) -> &'a str {
    line.1
        .iter()
        .find(|(t, _)| t == title)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {title} in {line:?}"))
}

/// The JSON lines of a `-J` run.
fn json_refreshes(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn group_in<'a>(refresh: &'a Value, path: &str) -> &'a Value {
    refresh["groups"]
        .as_array()
        .expect("a groups array")
        .iter()
        .find(|g| g["path"] == path)
        .unwrap_or_else(|| panic!("no group {path} in {refresh}"))
}

#[test]
fn cgtop_quota_shows_cpu_and_throttling() {
    if !root() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let group = TestGroup::new("cgtop-quota");
    create(&group, &cpu_controllers());
    set_v1(
        &group.name,
        &["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=25000"],
    );
    let _busy = Busy::new_in(&group.name);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let path = format!("/{}", group.name);

    let out = cgtop(&["-b", "-n", "3", "-d", "1", &path]);
    let text = refreshes(out.ok());
    assert_eq!(text.len(), 3, "{}", out.stdout);
    let lines: Vec<_> = text
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 1, "only the group: {r:?}");
            &r[0]
        })
        .collect();
    assert_eq!(lines[0].0, path);
    // The first refresh has no rate yet, as systemd-cgtop's.
    assert_eq!(cell(lines[0], "%CPU"), "-");
    for line in &lines[1..] {
        let cpu: f64 = cell(line, "%CPU").parse().expect("a CPU percentage");
        assert!(
            (20.0..=30.0).contains(&cpu),
            "25 % quota, shown {cpu}: {}",
            out.stdout
        );
    }
    let throttled: Vec<u64> = lines
        .iter()
        .map(|l| cell(l, "Thrott").parse().expect("a throttled count"))
        .collect();
    assert!(
        throttled.windows(2).all(|w| w[0] < w[1]),
        "throttled periods grow: {throttled:?}"
    );

    let out = cgtop(&["-J", "-n", "3", "-d", "1", &path]);
    let json = json_refreshes(out.ok());
    assert_eq!(json.len(), 3);
    let first = group_in(&json[0], &path);
    assert!(first.get("cpu_percent").is_none(), "absent, not 0: {first}");
    assert!(json[0].get("interval").is_none());
    let mut last_throttled = first["cpu_throttled"].as_u64().expect("a number");
    for refresh in &json[1..] {
        let g = group_in(refresh, &path);
        let cpu = g["cpu_percent"].as_f64().expect("a number");
        assert!((20.0..=30.0).contains(&cpu), "25 % quota, {cpu}: {g}");
        let interval = refresh["interval"].as_f64().expect("a number");
        assert!((0.9..1.5).contains(&interval), "{refresh}");
        let throttled = g["cpu_throttled"].as_u64().expect("a number");
        assert!(throttled > last_throttled, "{g}");
        last_throttled = throttled;
        assert!(
            g["cpu_throttled_usec"].as_u64().is_some_and(|t| t > 0),
            "{g}"
        );
        assert!(g["cpu_usage_usec"].as_u64().is_some(), "{g}");
    }
}

#[test]
fn cgtop_counts_an_oom_kill() {
    if !root() {
        return;
    }
    let group = TestGroup::new("cgtop-oom");
    create(&group, "memory");
    let limit = 15 * 1024 * 1024;
    set_v1(&group.name, &[&format!("memory.limit_in_bytes={limit}")]);
    // Swap would take what the limit keeps out (as examples/limits.sh).
    let memsw = Run::new(ours("cgxget"))
        .args(["-1", "-r", "memory.memsw.limit_in_bytes", &group.name])
        .run();
    if memsw.code == Some(0) {
        set_v1(
            &group.name,
            &[&format!("memory.memsw.limit_in_bytes={limit}")],
        );
    }
    let path = format!("/{}", group.name);
    let kills = |out: &tests::Output| {
        let json = json_refreshes(out.ok());
        group_in(&json[0], &path)["oom_kills"]
            .as_u64()
            .expect("an oom_kills number")
    };
    let before = kills(&cgtop(&["-J", "-1", &path]));
    let before_text = refreshes(cgtop(&["-b", "-1", &path]).ok());
    assert_eq!(cell(&before_text[0][0], "OOM"), before.to_string());
    assert_eq!(cell(&before_text[0][0], "MemMax"), "15.0M");

    let mut hog = Command::new("sh")
        .args([
            "-c",
            r#"read _; x=$(head -c 67108864 /dev/zero | tr "\0" x); echo "${#x}""#,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the allocation");
    move_into(&group.name, hog.id());
    drop(hog.stdin.take()); // go
    let status = hog.wait().expect("wait for the allocation");
    assert!(!status.success(), "64M in a 15M group was not killed");

    // The kernel's own count: one allocation can end in more than one kill (in the v1 guest
    // it killed the shell that held the growing string, then its command substitution).
    let file = match cgroup_mode() {
        CgroupMode::V2 => "memory.events",
        _ => "memory.oom_control",
    };
    let counted = std::fs::read_to_string(cgroup_dir("memory").join(&group.name).join(file))
        .expect("the group's OOM counter")
        .lines()
        .find_map(|l| l.strip_prefix("oom_kill ")?.parse::<u64>().ok())
        .expect("an oom_kill line");
    let after = kills(&cgtop(&["-J", "-1", &path]));
    assert!(after > before, "no OOM kill counted: {before} then {after}");
    assert_eq!(after, counted, "cgtop's count is the kernel's {file}");
    let text = refreshes(cgtop(&["-b", "-1", &path]).ok());
    assert_eq!(cell(&text[0][0], "OOM"), after.to_string());
}

#[test]
fn cgtop_counts_eight_tasks() {
    if !root() {
        return;
    }
    let group = TestGroup::new("cgtop-tasks");
    let mut controllers = "cpu".to_owned();
    if mounted().iter().any(|c| c == "pids") {
        controllers.push_str(",pids");
    }
    create(&group, &controllers);
    let sleepers: Vec<Sleeper> = (0..8)
        .map(|_| {
            let s = Sleeper::new();
            move_into(&group.name, s.pid());
            s
        })
        .collect();
    let path = format!("/{}", group.name);
    let text = refreshes(cgtop(&["-b", "-1", &path]).ok());
    assert_eq!(cell(&text[0][0], "Tasks"), "8");
    let json = json_refreshes(cgtop(&["-J", "-1", &path]).ok());
    assert_eq!(group_in(&json[0], &path)["tasks"], 8);
    // An ordinary user reads the same (the counters are world-readable).
    let as_nobody = Run::as_nobody(ours("cgtop"))
        .args(["-b", "-1", &path])
        .run();
    assert_eq!(cell(&refreshes(as_nobody.ok())[0][0], "Tasks"), "8");
    drop(sleepers);
}

#[test]
fn cgtop_survives_groups_coming_and_going() {
    if !root() {
        return;
    }
    let group = TestGroup::new("cgtop-churn");
    create(&group, "cpu,memory");
    let top = format!("/{}", group.name);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        let dirs = dirs_of(&group.name);
        std::thread::spawn(move || {
            let mut made = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for dir in &dirs {
                    let _ = std::fs::create_dir(dir.join(format!("c{}", made % 7)));
                    let _ = std::fs::remove_dir(dir.join(format!("c{}", (made + 3) % 7)));
                }
                made += 1;
            }
            made
        })
    };
    let out = cgtop(&["-J", "-n", "40", "-d", "0.02", &top]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let made = churn.join().expect("the churning thread");
    assert!(made > 10, "groups were made and removed meanwhile ({made})");
    let json = json_refreshes(out.ok());
    assert_eq!(json.len(), 40, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    for refresh in &json {
        group_in(refresh, &top);
    }
}

#[test]
fn cgtop_group_operand_and_depth() {
    if !root() {
        return;
    }
    let group = TestGroup::new("cgtop-tree");
    let sibling = TestGroup::new("cgtop-tree-sibling");
    for name in ["", "/b", "/a", "/a/x", "/a/x/y"] {
        Run::new(ours("cgcreate"))
            .args(["-g", &format!("cpu:{}{name}", group.name)])
            .run()
            .assert_code(0);
    }
    create(&sibling, "cpu");
    let top = format!("/{}", group.name);
    let paths = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["-b", "-1", "-p"];
        all.extend(args);
        refreshes(cgtop(&all).ok())[0]
            .iter()
            .map(|l| l.0.clone())
            .collect()
    };
    let under = |rel: &[&str]| -> Vec<String> { rel.iter().map(|r| format!("{top}{r}")).collect() };
    // A tree by default: each group's children after it.
    assert_eq!(
        paths(&[&top]),
        under(&["", "/a", "/a/x", "/a/x/y", "/b"]),
        "the operand's subtree, not its sibling"
    );
    assert_eq!(paths(&["--depth=1", &top]), under(&["", "/a", "/b"]));
    assert_eq!(paths(&["--depth", "0", &top]), under(&[""]));
    assert_eq!(
        paths(&[&top, "--depth=2"]),
        under(&["", "/a", "/a/x", "/b"])
    );
    // Reversed, flat: Z to A.
    assert_eq!(
        paths(&["-R", "--flat", &format!("{top}/a")]),
        under(&["/a/x/y", "/a/x", "/a"])
    );
    // A prefix no group has: the groups it starts, each with its subtree.
    let sibling_path = format!("/{}", sibling.name);
    assert_eq!(paths(&[&format!("{top}-sib")]), vec![sibling_path.clone()]);
    let both = paths(&["--depth=0", &format!("{top}-")]);
    assert_eq!(both, vec![sibling_path.clone()], "{top}- is not {top}");
    let both = paths(&["--depth=0", &top[..top.len() - 1]]);
    assert_eq!(both, [top.clone(), sibling_path], "the prefix of both");
    // The whole host at depth 1 has both groups, and nothing deeper.
    let host = paths(&["--depth=1"]);
    assert!(host.contains(&top) && host.contains(&format!("/{}", sibling.name)));
    assert!(host.iter().all(|p| p.matches('/').count() <= 1), "{host:?}");
}

#[test]
fn cgtop_bad_options() {
    let missing = format!("/nsutils-test-{}-cgtop-none", std::process::id());
    let cases: &[(&[&str], &str)] = &[
        (
            &["-x"],
            "cgtop: invalid option -- 'x'\nTry 'cgtop --help' for more information.\n",
        ),
        (
            &["--bogus"],
            "cgtop: unrecognized option '--bogus'\nTry 'cgtop --help' for more information.\n",
        ),
        (
            &["--json=1"],
            "cgtop: option '--json' doesn't allow an argument\nTry 'cgtop --help' for more information.\n",
        ),
        (
            &["-d"],
            "cgtop: option requires an argument -- 'd'\nTry 'cgtop --help' for more information.\n",
        ),
        (&["-d", "0"], "cgtop: invalid delay: '0'\n"),
        (&["-d", "1x"], "cgtop: invalid delay: '1x'\n"),
        // Under a microsecond: a delay of 0 before the fix (found by fuzzing, fuzz/README.md).
        (&["-d", "0.0000001"], "cgtop: invalid delay: '0.0000001'\n"),
        (&["--delay=-1"], "cgtop: invalid delay: '-1'\n"),
        (&["-n", "x"], "cgtop: invalid number of iterations: 'x'\n"),
        (
            &["--depth=-1"],
            "cgtop: invalid depth: '-1': Numerical result out of range\n",
        ),
        (&["--order=bogus"], "cgtop: invalid order: 'bogus'\n"),
        (&["--cpu=x"], "cgtop: invalid CPU display: 'x'\n"),
        (
            &["/a", "/b"],
            "cgtop: unexpected argument: '/b'\nTry 'cgtop --help' for more information.\n",
        ),
        (
            &["a/../b"],
            "cgtop: group path 'a/../b' leaves its hierarchy ('..')\n",
        ),
        (
            &["-1", &missing],
            &format!("cgtop: {missing}: no such group\n"),
        ),
    ];
    for (args, stderr) in cases {
        let out = Run::new(ours("cgtop")).arg0("cgtop").args(*args).run();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (Some(1), "", *stderr),
            "{args:?}"
        );
    }
    // Abbreviations and bundles as getopt_long takes them.
    let out = Run::new(ours("cgtop"))
        .args(["--it=1", "-bp", "--dep=0", "--or", "tasks"])
        .run();
    assert_eq!(out.ok().lines().count(), 2, "header and /: {}", out.stdout);
    let version = Run::new(ours("cgtop")).arg0("cgtop").args(["-V"]).run();
    assert!(version.ok().starts_with("cgtop from nsutils "));
    let help = Run::new(ours("cgtop")).args(["-h"]).run();
    assert!(help.ok().contains(" --depth <N> "));
}

#[test]
#[ignore = "systemd guest: cargo xtask vm-test --mode systemd"]
fn cgtop_agrees_with_systemd_cgtop() {
    if !systemd_host() || !root() {
        skip("systemd-cgtop needs systemd as PID 1 (the systemd guest)");
        return;
    }
    let Some(systemd_cgtop) = ["/usr/bin/systemd-cgtop", "/bin/systemd-cgtop"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        skip("no systemd-cgtop");
        return;
    };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let group = TestGroup::new("cgtop-systemd");
    create(&group, &format!("{},memory,pids", cpu_controllers()));
    set_v1(
        &group.name,
        &["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=25000"],
    );
    let _sleepers: Vec<Sleeper> = (0..7)
        .map(|_| {
            let s = Sleeper::new();
            move_into(&group.name, s.pid());
            s
        })
        .collect();
    let _busy = Busy::new_in(&group.name);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let path = format!("/{}", group.name);
    // Both at once, over the same two seconds.
    let theirs = Command::new(systemd_cgtop)
        .args(["-b", "-n", "2", "-d", "1", "--raw", &path])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start systemd-cgtop");
    let ours = cgtop(&["-b", "-n", "2", "-d", "1", "--raw", &path]);
    let theirs = theirs.wait_with_output().expect("systemd-cgtop's output");
    let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
    // systemd-cgtop prints no header into a pipe: path, tasks, %CPU, memory, in/s, out/s.
    let their_last: Vec<&str> = theirs
        .split("\n\n")
        .filter(|r| !r.trim().is_empty())
        .last()
        // systemd-cgtop 252 writes the operand group itself as `//group`.
        .and_then(|r| {
            r.lines().find(|l| {
                l.split_whitespace()
                    .next()
                    .map(|p| p.trim_start_matches('/'))
                    == Some(path.trim_start_matches('/'))
            })
        })
        .unwrap_or_else(|| panic!("no {path} in {theirs:?}"))
        .split_whitespace()
        .collect();
    let ours = refreshes(ours.ok());
    let our_last = &ours[1][0];
    eprintln!("systemd-cgtop: {their_last:?}\ncgtop: {our_last:?}");
    assert_eq!(our_last.0, path);
    assert_eq!(
        cell(our_last, "Tasks"),
        their_last[1],
        "tasks: ours {our_last:?}, theirs {their_last:?}"
    );
    let our_cpu: f64 = cell(our_last, "%CPU").parse().expect("a number");
    let their_cpu: f64 = their_last[2].parse().expect("a number");
    assert!(
        (our_cpu - their_cpu).abs() <= 5.0,
        "CPU within 5 points: ours {our_cpu}, theirs {their_cpu}"
    );
    let our_memory: f64 = cell(our_last, "Memory").parse().expect("bytes");
    let their_memory: f64 = their_last[3].parse().expect("bytes");
    assert!(
        (our_memory - their_memory).abs() <= (their_memory * 0.1).max(512.0 * 1024.0),
        "memory within 10 % or 512K: ours {our_memory}, theirs {their_memory}"
    );
}
