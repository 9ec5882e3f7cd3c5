//! The cgroup tools under concurrency and at scale: eight writers creating, setting and
//! deleting overlapping trees at once; cgclassify and cgexec racing with processes that exit;
//! a tree 100 levels deep and paths around PATH_MAX.
//!
//! Every command must end (a hang fails the test), succeed or fail with one of the messages a
//! race explains, and leave a consistent tree. Modes: the hybrid host, the v2 and v1 guests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use tests::{CgroupMode, Output, Run, TestGroup, cgroup_mode, ours};

/// Longer than any one command takes even in a TCG guest: past it, a command hangs.
const LIMIT: Duration = Duration::from_secs(60);

/// `tool args` (named by argv[0] as typed at a shell), which must end within [`LIMIT`].
fn cg(tool: &str, args: &[&str]) -> Output {
    Run::new(ours(tool)).arg0(tool).args(args).run_within(LIMIT)
}

/// The setting names of this layout for the cpu weight and the memory limit, and their
/// values for writer `w`'s `n`-th write (each distinct, so a value read back names its
/// writer).
struct Settings {
    cpu: &'static str,
    memory: &'static str,
}

impl Settings {
    fn here() -> Self {
        match cgroup_mode() {
            CgroupMode::V2 => Settings {
                cpu: "cpu.weight",
                memory: "memory.max",
            },
            _ => Settings {
                cpu: "cpu.shares",
                memory: "memory.limit_in_bytes",
            },
        }
    }

    fn value(setting: &str, w: usize, n: usize) -> String {
        let k = w * 1000 + n + 2;
        if setting.starts_with("memory") {
            (k << 20).to_string()
        } else {
            k.to_string()
        }
    }
}

/// The groups the writers share, below the test's root.
const PATHS: [&str; 6] = ["a", "a/b", "a/b/c", "a/d", "a/d/e", "f"];
const WRITERS: usize = 8;
const ROUNDS: usize = 60;

/// A small deterministic sequence per writer (no dependency for a random generator).
fn next(seed: &mut u64) -> usize {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) as usize
}

/// The relative paths of every group below `root` (a directory), sorted.
fn tree(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, rel: &str, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                walk(&e.path(), &rel, out);
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(root, "", &mut out);
    out
}

/// Whether every line of a failed command's stderr is one a race explains: the group was
/// not there when the command started (another writer removed it), or vanished while the
/// command read or wrote its files (ENOENT, or ENODEV from a file of a removed group).
/// `cgcreate` must always succeed (a parent removed under it is made again), and
/// `cgdelete -r` fails only for a group that was not there (one removed meanwhile, or given
/// a child meanwhile, is removed all the same). Nothing empty, no panic, no other error.
fn race_explained(tool: &str, out: &Output) -> bool {
    let allowed: &[&str] = match tool {
        "cgdelete" => &["No such file or directory"],
        "cgset" => &[
            "Cgroup, requested group parameter does not exist",
            "No such file or directory",
            "No such device",
        ],
        "cgget" => &["No such file or directory", "No such device"],
        _ => &[],
    };
    let lines: Vec<&str> = out.stderr.lines().collect();
    !lines.is_empty()
        && out.signal.is_none()
        && lines
            .iter()
            .all(|line| allowed.iter().any(|why| line.ends_with(why)))
}

#[test]
fn eight_writers_on_overlapping_trees() {
    let g = TestGroup::new("race");
    let settings = Settings::here();
    let spec = |p: &str| format!("cpu,memory:{}/{p}", g.name);
    let group = |p: &str| format!("{}/{p}", g.name);
    cg("cgcreate", &["-g", &format!("cpu,memory:{}", g.name)]).assert_code(0);
    let get = |setting: &str, path: &str| {
        let out = cg("cgget", &["-n", "-v", "-r", setting, path]);
        out.ok().trim().to_owned()
    };
    // A group made afresh has its parent's defaults: the root's values, which nobody sets.
    let defaults: BTreeMap<&str, String> = [settings.cpu, settings.memory]
        .into_iter()
        .map(|s| (s, get(s, &g.name)))
        .collect();
    // Every value written, by (path, setting).
    let written: Mutex<BTreeMap<(String, String), BTreeSet<String>>> = Mutex::default();
    let failures: Mutex<Vec<(String, Output)>> = Mutex::default();
    let counts: Mutex<BTreeMap<String, (usize, usize)>> = Mutex::default();
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (spec, group, settings) = (&spec, &group, &settings);
            let (written, failures, counts) = (&written, &failures, &counts);
            s.spawn(move || {
                let mut seed = w as u64 + 1;
                for n in 0..ROUNDS {
                    let path = PATHS[next(&mut seed) % PATHS.len()];
                    let (tool, out) = match next(&mut seed) % 8 {
                        0..=2 => ("cgcreate", cg("cgcreate", &["-g", &spec(path)])),
                        3 | 4 => {
                            let setting = if n % 2 == 0 {
                                settings.cpu
                            } else {
                                settings.memory
                            };
                            let value = Settings::value(setting, w, n);
                            // Recorded before the write: a reader may see it at once.
                            written
                                .lock()
                                .unwrap()
                                .entry((path.to_owned(), setting.to_owned()))
                                .or_default()
                                .insert(value.clone());
                            let assignment = format!("{setting}={value}");
                            ("cgset", cg("cgset", &["-r", &assignment, &group(path)]))
                        }
                        5 => ("cgget", cg("cgget", &["-r", settings.cpu, &group(path)])),
                        _ => ("cgdelete", cg("cgdelete", &["-r", &spec(path)])),
                    };
                    let mut counts = counts.lock().unwrap();
                    let count = counts.entry(tool.to_owned()).or_default();
                    if out.code == Some(0) {
                        count.0 += 1;
                    } else {
                        count.1 += 1;
                        failures
                            .lock()
                            .unwrap()
                            .push((format!("{tool} {path}"), out));
                    }
                }
            });
        }
    });
    eprintln!("(succeeded, failed) by tool: {:?}", counts.lock().unwrap());
    let said: BTreeSet<String> = failures
        .lock()
        .unwrap()
        .iter()
        .flat_map(|(_, out)| out.stderr.lines().map(|l| l.replace(&g.name, "G")))
        .collect();
    eprintln!("what the failures said: {said:#?}");
    for (what, out) in failures.lock().unwrap().iter() {
        let tool = what.split(' ').next().unwrap_or_default();
        assert!(
            race_explained(tool, out),
            "{what}: a failure no race explains: {out:#?}"
        );
    }

    // The tree is consistent: the same groups in the cpu and the memory hierarchy (one
    // directory on v2, where each group has both controllers).
    let cpu_tree = tree(&g.dir("cpu"));
    assert_eq!(cpu_tree, tree(&g.dir("memory")), "cpu and memory disagree");
    if cgroup_mode() == CgroupMode::V2 {
        for p in &cpu_tree {
            let listed = std::fs::read_to_string(g.dir("cpu").join(p).join("cgroup.controllers"))
                .unwrap_or_default();
            for c in ["cpu", "memory"] {
                assert!(listed.split_whitespace().any(|x| x == c), "{p}: {listed}");
            }
        }
    }
    // Each value read back is one some writer set, or the default of a group made afresh.
    let written = written.lock().unwrap();
    for p in &cpu_tree {
        for setting in [settings.cpu, settings.memory] {
            let value = get(setting, &group(p));
            let set = written.get(&(p.clone(), setting.to_owned()));
            assert!(
                value == defaults[setting] || set.is_some_and(|s| s.contains(&value)),
                "{p} {setting}={value}: nobody wrote it"
            );
        }
    }
    cg("cgdelete", &["-r", &format!("cpu,memory:{}", g.name)]).assert_code(0);
    for c in ["cpu", "memory"] {
        assert!(!g.dir(c).exists(), "{} is left", g.dir(c).display());
    }
}

/// A pid that was a child of the test and is gone (reaped).
fn gone_pid() -> u32 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start true: {e}"));
    let pid = child.id();
    let _ = child.wait();
    pid
}

/// The pids listed in the group's member file in each hierarchy of `controllers`.
fn members(g: &TestGroup, controllers: &[&str]) -> String {
    controllers
        .iter()
        .map(|c| std::fs::read_to_string(g.dir(c).join("cgroup.procs")).unwrap_or_default())
        .collect()
}

#[test]
fn cgclassify_of_processes_that_exit() {
    let g = TestGroup::new("classify");
    let spec = format!("cpu,memory:{}", g.name);
    cg("cgcreate", &["-g", &spec]).assert_code(0);

    // A pid that is gone: libcgroup 3.2.0's message and status.
    let gone = gone_pid().to_string();
    let out = cg("cgclassify", &["-g", &spec, &gone]);
    let said = format!("Error changing group of pid {gone}: No such process\n");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (Some(1), said.as_str()),
        "{out:#?}"
    );
    if let Some((theirs, _)) =
        tests::libcgroup_and_ours("cgclassify", &["-g", &spec, &gone], || {}, String::new)
    {
        assert_eq!(theirs.0, out, "libcgroup 3.2.0 said otherwise");
    }

    // Many short-lived processes, reaped as they end: some exit before cgclassify reaches
    // them, some while it moves them.
    let children: Vec<std::process::Child> = (0..60)
        .map(|i| {
            std::process::Command::new("sleep")
                .arg(format!("0.{:03}", i * 5))
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start sleep: {e}"))
        })
        .collect();
    let pids: Vec<String> = children.iter().map(|c| c.id().to_string()).collect();
    let reaper = std::thread::spawn(move || {
        for mut c in children {
            let _ = c.wait();
        }
    });
    let mut argv = vec!["-g", spec.as_str()];
    argv.extend(pids.iter().map(String::as_str));
    let out = cg("cgclassify", &argv);
    let _ = reaper.join();
    assert!(matches!(out.code, Some(0 | 1)), "{out:#?}");
    assert_eq!(out.code == Some(1), !out.stderr.is_empty(), "{out:#?}");
    for line in out.stderr.lines() {
        let pid = line
            .strip_prefix("Error changing group of pid ")
            .and_then(|l| l.strip_suffix(": No such process"));
        assert!(
            pid.is_some_and(|p| pids.iter().any(|q| q == p)),
            "not a process that ended: {line}"
        );
    }
    eprintln!("{} of 60 had ended", out.stderr.lines().count());
    // They all ended: nothing is left in the group, and nothing was made below it.
    assert_eq!(members(&g, &["cpu", "memory"]), "");
    assert_eq!(tree(&g.dir("cpu")), BTreeSet::new());
    cg("cgdelete", &["-g", &spec]).assert_code(0);
    assert!(!g.dir("cpu").exists() && !g.dir("memory").exists());
}

#[test]
fn cgexec_of_programs_that_exit_at_once_in_parallel() {
    let g = TestGroup::new("exec");
    let spec = format!("cpu,memory:{}", g.name);
    cg("cgcreate", &["-g", &spec]).assert_code(0);
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let spec = &spec;
            s.spawn(move || {
                for n in 0..15 {
                    let status = ((w + n) % 3) as i32;
                    let out = cg(
                        "cgexec",
                        &["-g", spec, "sh", "-c", &format!("exit {status}")],
                    );
                    assert_eq!(
                        (out.code, out.stderr.as_str()),
                        (Some(status), ""),
                        "{out:#?}"
                    );
                }
            });
        }
    });
    assert_eq!(members(&g, &["cpu", "memory"]), "");
    assert_eq!(tree(&g.dir("cpu")), BTreeSet::new());
    cg("cgdelete", &["-g", &spec]).assert_code(0);
    assert!(!g.dir("cpu").exists() && !g.dir("memory").exists());
}

#[test]
fn a_tree_100_levels_deep() {
    let g = TestGroup::new("deep");
    let settings = Settings::here();
    let rel = (1..=100)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("/");
    let deep = format!("{}/{rel}", g.name);
    let spec = format!("cpu,memory:{deep}");
    cg("cgcreate", &["-g", &spec]).assert_code(0);
    for c in ["cpu", "memory"] {
        assert!(g.dir(c).join(&rel).is_dir(), "{c}: {rel}");
    }
    let value = Settings::value(settings.cpu, 1, 1);
    cg(
        "cgset",
        &["-r", &format!("{}={value}", settings.cpu), &deep],
    )
    .assert_code(0);
    let out = cg("cgget", &["-n", "-v", "-r", settings.cpu, &deep]);
    assert_eq!(out.ok().trim(), value);
    let listed = cg("lscgroup", &[&format!("cpu:{}", g.name)]);
    // The group and its 100 descendants.
    assert_eq!(listed.ok().lines().count(), 101, "{listed:#?}");
    assert!(
        listed
            .stdout
            .lines()
            .any(|l| l.trim_end_matches('/').ends_with(&rel))
    );
    cg("cgdelete", &["-r", &format!("cpu,memory:{}", g.name)]).assert_code(0);
    for c in ["cpu", "memory"] {
        assert!(!g.dir(c).exists(), "{c}");
    }
}

/// A group path below `g` whose directory is `length` bytes long (or one less) in the
/// hierarchy of `controllers` with the longest mount point, and a few bytes shorter in the
/// others (components of 200 bytes, the last one shorter).
fn path_of_length(g: &TestGroup, controllers: &[&str], length: usize) -> String {
    let longest = controllers
        .iter()
        .map(|c| g.dir(c).as_os_str().len())
        .max()
        .unwrap_or_default();
    let mut rel = String::new();
    loop {
        let used = longest + 1 + rel.len() + usize::from(!rel.is_empty());
        if used >= length {
            break;
        }
        if !rel.is_empty() {
            rel.push('/');
        }
        rel.push_str(&"x".repeat((length - used).min(200)));
    }
    rel
}

#[test]
fn paths_near_and_past_path_max() {
    let g = TestGroup::new("long");
    let settings = Settings::here();
    let spec_of = |rel: &str| format!("cpu,memory:{}/{rel}", g.name);
    cg("cgcreate", &["-g", &format!("cpu,memory:{}", g.name)]).assert_code(0);

    // Room for the setting file's name below PATH_MAX (4096 with its NUL).
    let near = path_of_length(
        &g,
        &["cpu", "memory"],
        4095 - "/memory.limit_in_bytes".len(),
    );
    cg("cgcreate", &["-g", &spec_of(&near)]).assert_code(0);
    let group = format!("{}/{near}", g.name);
    let value = Settings::value(settings.memory, 1, 1);
    cg(
        "cgset",
        &["-r", &format!("{}={value}", settings.memory), &group],
    )
    .assert_code(0);
    let out = cg("cgget", &["-n", "-v", "-r", settings.memory, &group]);
    assert_eq!(out.ok().trim(), value);
    cg(
        "cgdelete",
        &["-r", &spec_of(near.split('/').next().unwrap_or_default())],
    )
    .assert_code(0);
    assert_eq!(tree(&g.dir("cpu")), BTreeSet::new());

    // Past it: refused with libcgroup 3.2.0's message and status (which leaves the
    // directories it made on the way; here they are gone).
    let past = path_of_length(&g, &["cpu", "memory"], 4200);
    let out = cg("cgcreate", &["-g", &spec_of(&past)]);
    let said = format!(
        "cgcreate: can't create cgroup {}/{past}: File name too long\n",
        g.name
    );
    assert_eq!((out.code, out.stderr.as_str()), (Some(96), said.as_str()));
    for c in ["cpu", "memory"] {
        assert_eq!(tree(&g.dir(c)), BTreeSet::new(), "{c}");
    }
}
