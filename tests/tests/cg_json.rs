//! `cgget -J`, `cgxget -J`, `lscgroup -J` and `lssubsys -J` (options of ours): the output is
//! parsed and checked against the kernel's cgroup files read directly (numbers equal,
//! objects' keys the file's keys, arrays the file's words) and against the tools' own text
//! output; the `LIBSMARTCOLS_JSON` layouts; the options `-J` cannot go with.
//!
//! Modes: every test must pass on the hybrid development host (v1 controllers and an empty
//! cgroup2 mount) and in the v2-only and v1-only VMs (`cargo xtask vm-test -- cg_json_`).
//! Groups are only ever `nsutils-test-<pid>-<name>` ones, made by our cgcreate and removed
//! by `TestGroup`, also on failure; the processes in them are the test's own `Sleeper`s.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tests::{CgroupMode, Output, Run, Sleeper, TestGroup, cgroup_dir, cgroup_mode, ours};

/// `tool args`, as typed at a shell, with the default JSON layout.
fn cg(tool: &str, args: &[&str]) -> Output {
    Run::new(ours(tool))
        .arg0(tool)
        .env_remove("LIBSMARTCOLS_JSON")
        .args(args)
        .run()
}

/// `tool args` with `LIBSMARTCOLS_JSON=layout`.
fn cg_layout(tool: &str, layout: &str, args: &[&str]) -> Output {
    Run::new(ours(tool))
        .arg0(tool)
        .env("LIBSMARTCOLS_JSON", layout)
        .args(args)
        .run()
}

/// The parsed stdout of a run that must succeed without a word on stderr.
fn json_of(out: &Output) -> Value {
    assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{out:#?}");
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn json(tool: &str, args: &[&str]) -> Value {
    json_of(&cg(tool, args))
}

/// The cgroup2 mount, if there is one (none on a v1-only host).
fn unified() -> Option<PathBuf> {
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| {
            l.split(" - ")
                .nth(1)
                .is_some_and(|r| r.starts_with("cgroup2 "))
        })
        .and_then(|l| l.split(' ').nth(4))
        .map(PathBuf::from)
}

/// The settings of the `index`th group of a `cgget -J` document.
fn settings(doc: &Value, index: usize) -> &serde_json::Map<String, Value> {
    doc["cgroups"][index]["settings"]
        .as_object()
        .unwrap_or_else(|| panic!("no settings object: {doc}"))
}

/// A JSON number equal to the kernel's text of one number.
fn number_is(n: &serde_json::Number, text: &str) -> bool {
    if let Some(u) = n.as_u64() {
        text.parse::<u64>() == Ok(u)
    } else if let Some(i) = n.as_i64() {
        text.parse::<i64>() == Ok(i)
    } else {
        text.parse::<f64>().ok() == n.as_f64()
    }
}

/// A scalar JSON value (an array item, an object member) equal to one word of a file.
fn word_is(value: &Value, word: &str) -> bool {
    match value {
        Value::Number(n) => number_is(n, word),
        Value::String(s) => s == word,
        _ => false,
    }
}

/// Check one setting's JSON value against its file's content (`None`: the file cannot be
/// read). `stable`: the file read the same before and after the run, so values must be equal
/// too; otherwise (a live counter) only the shape and the keys are compared.
fn assert_matches_file(setting: &str, value: &Value, content: Option<&str>, stable: bool) {
    let text = content.unwrap_or_default().trim_end();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let why = || format!("{setting}: {value} against {text:?}");
    match value {
        Value::Null => assert!(text.trim().is_empty(), "{}", why()),
        Value::Number(n) => {
            assert_eq!(lines.len(), 1, "{}", why());
            assert!(!stable || number_is(n, text.trim()), "{}", why());
        }
        Value::String(s) => assert!(!stable || s == text, "{}", why()),
        Value::Bool(_) => panic!("no file holds a boolean: {}", why()),
        Value::Array(items) => {
            let words: Vec<&str> = text.split_whitespace().collect();
            if stable {
                assert_eq!(items.len(), words.len(), "{}", why());
                for (item, word) in items.iter().zip(&words) {
                    assert!(word_is(item, word), "{}", why());
                }
            }
        }
        Value::Object(members) => {
            // A line's key: its first word, or that word's name when it is a pair (v1's
            // `memory.numa_stat`, `total=5 N0=5`, whose pairs are then all members).
            let split = |line: &str| -> (String, Vec<String>) {
                let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
                match words[0].split_once('=') {
                    Some((key, _)) => (key.to_owned(), words.clone()),
                    None => (words[0].clone(), words[1..].to_vec()),
                }
            };
            // The keys: each line's, once, in the file's order.
            let mut keys: Vec<String> = Vec::new();
            for line in &lines {
                let (key, _) = split(line);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            let got: Vec<&String> = members.keys().collect();
            assert_eq!(got, keys.iter().collect::<Vec<_>>(), "{}", why());
            for line in &lines {
                let (key, rest) = split(line);
                let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
                let member = &members[&key];
                match rest.as_slice() {
                    [v] if !v.contains('=') => assert!(!stable || word_is(member, v), "{}", why()),
                    pairs if pairs.iter().all(|p| p.contains('=')) => {
                        let inner = member.as_object().unwrap_or_else(|| panic!("{}", why()));
                        let sub: Vec<&str> = pairs
                            .iter()
                            .filter_map(|p| p.split_once('='))
                            .map(|(k, _)| k)
                            .collect();
                        let inner_keys: Vec<&str> = inner.keys().map(String::as_str).collect();
                        assert_eq!(inner_keys, sub, "{}", why());
                        for p in pairs {
                            let (k, v) = p.split_once('=').unwrap_or_default();
                            assert!(!stable || word_is(&inner[k], v), "{}", why());
                        }
                    }
                    // v1 blkio: `8:0 Read 4096`.
                    [op, v] => {
                        assert!(!stable || word_is(&member[*op], v), "{}", why());
                    }
                    _ => panic!("a keyed line of another form: {}", why()),
                }
            }
        }
    }
}

/// A group with a 15M memory limit and a 50 ms per 100 ms CPU quota (set by their v1 names,
/// translated on v2), also in the cgroup2 hierarchy on a hybrid host, with two sleepers in
/// it everywhere.
fn busy_group(name: &str) -> (TestGroup, Vec<Sleeper>) {
    let g = TestGroup::new(name);
    cg("cgcreate", &["-g", &format!("memory,cpu:{}", g.name)]).assert_code(0);
    if cgroup_mode() == CgroupMode::Hybrid {
        cg("cgcreate", &["-g", &format!(":{}", g.name)]).assert_code(0);
    }
    cg(
        "cgset",
        &[
            "-r",
            "memory.limit_in_bytes=15M",
            "-r",
            "cpu.cfs_quota_us=50000",
            &g.name,
        ],
    )
    .assert_code(0);
    let sleepers = vec![
        Sleeper::new_in(&g.dir("memory")),
        Sleeper::new_in(&g.dir("memory")),
    ];
    for s in &sleepers {
        for dir in [g.dir("cpu")]
            .into_iter()
            .chain(unified().map(|u| u.join(&g.name)))
        {
            fs::write(dir.join("cgroup.procs"), s.pid().to_string())
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
    }
    (g, sleepers)
}

/// The file of `setting` in the group `g`: in the cgroup2 hierarchy for `cgroup.*`, in the
/// hierarchy of its controller otherwise.
fn file_of(g: &TestGroup, setting: &str) -> PathBuf {
    match setting.split('.').next() {
        Some("cgroup") => unified().unwrap_or_default().join(&g.name).join(setting),
        Some(controller) => g.dir(controller).join(setting),
        None => panic!("{setting}"),
    }
}

/// Run `cgget` with `args` and check every setting it prints for the group `g` (the first)
/// against its file; returns the document and how many settings were compared in full.
fn cgget_against_files(g: &TestGroup, args: &[&str]) -> (Value, usize) {
    let read = |p: &Path| fs::read_to_string(p).ok();
    // Which files: a first run names them.
    let names: Vec<String> = settings(&json("cgget", args), 0).keys().cloned().collect();
    let before: Vec<Option<String>> = names.iter().map(|n| read(&file_of(g, n))).collect();
    let doc = json("cgget", args);
    let after: Vec<Option<String>> = names.iter().map(|n| read(&file_of(g, n))).collect();
    let got = settings(&doc, 0);
    let mut full = 0;
    for (i, name) in names.iter().enumerate() {
        let value = got
            .get(name)
            .unwrap_or_else(|| panic!("{name} went away: {doc}"));
        let stable = before[i] == after[i];
        assert_matches_file(name, value, after[i].as_deref(), stable);
        full += usize::from(stable);
    }
    (doc, full)
}

#[test]
fn cg_json_cgget_all_settings_are_the_kernels_files() {
    let (g, _sleepers) = busy_group("json-all");
    let (doc, full) = cgget_against_files(&g, &["-J", "-a", &g.name]);
    let group = &doc["cgroups"][0];
    assert_eq!(group["name"], g.name.as_str());
    assert_eq!(group["path"], format!("/{}", g.name));
    let got = settings(&doc, 0);
    // Most files of a group of sleepers do not move while they are read twice.
    assert!(full * 2 > got.len(), "{full} of {}: {doc}", got.len());
    // Files of every format were there and typed as such.
    let (limit, stat) = match cgroup_mode() {
        CgroupMode::V2 => ("memory.max", "memory.events"),
        _ => ("memory.limit_in_bytes", "memory.oom_control"),
    };
    assert_eq!(got[limit], 15728640, "{doc}");
    assert!(
        got[stat].is_object() && got["cpu.stat"].is_object(),
        "{doc}"
    );
    if cgroup_mode() == CgroupMode::V2 {
        assert_eq!(got["cpu.max"], "50000 100000");
        assert!(got["memory.stat"]["anon"].is_u64(), "{doc}");
        if let Some(pressure) = got.get("memory.pressure") {
            assert!(pressure["some"]["avg10"].is_number(), "{doc}");
        }
    } else {
        assert_eq!(got["cpu.cfs_quota_us"], 50000);
        assert_eq!(got["cpu.cfs_period_us"], 100000);
        assert!(got["memory.stat"]["rss"].is_u64(), "{doc}");
    }
}

#[test]
fn cg_json_cgget_settings_by_name_are_the_kernels_files() {
    let (g, sleepers) = busy_group("json-named");
    let mut names = vec!["memory.stat", "cpu.stat"];
    let unified_dir = unified().map(|u| u.join(&g.name));
    if let Some(dir) = &unified_dir {
        names.extend([
            "cgroup.procs",
            "cgroup.controllers",
            "cgroup.stat",
            "cgroup.events",
        ]);
        for pressure in ["cpu.pressure", "memory.pressure", "io.pressure"] {
            if dir.join(pressure).exists() && cgroup_mode() == CgroupMode::V2 {
                names.push(pressure);
            }
        }
    }
    match cgroup_mode() {
        CgroupMode::V2 => {
            names.extend(["memory.events", "memory.max"]);
            // Where the guest's root enables them for its children.
            for optional in ["io.stat", "pids.current"] {
                if file_of(&g, optional).exists() {
                    names.push(optional);
                }
            }
        }
        _ => names.extend([
            "memory.oom_control",
            "memory.limit_in_bytes",
            "cpu.cfs_quota_us",
        ]),
    }
    let mut args = vec!["-J"];
    for n in &names {
        args.extend(["-r", n]);
    }
    args.push(&g.name);
    let (doc, _) = cgget_against_files(&g, &args);
    let got = settings(&doc, 0);
    let keys: BTreeSet<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(keys, names.iter().copied().collect(), "{doc}");
    if unified_dir.is_some() {
        // The processes, as the kernel lists them, as numbers.
        let procs: BTreeSet<u64> = got["cgroup.procs"]
            .as_array()
            .unwrap_or_else(|| panic!("{doc}"))
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let pids: BTreeSet<u64> = sleepers.iter().map(|s| u64::from(s.pid())).collect();
        assert_eq!(procs, pids, "{doc}");
        assert_eq!(got["cgroup.events"]["populated"], 1, "{doc}");
    }
    // A v1 name and a v2 name of the same limit, on every layout.
    let doc = json(
        "cgget",
        &[
            "-J",
            "-r",
            "memory.max",
            "-r",
            "memory.limit_in_bytes",
            &g.name,
        ],
    );
    let got = settings(&doc, 0);
    assert_eq!(
        (&got["memory.max"], &got["memory.limit_in_bytes"]),
        (&15728640.into(), &15728640.into())
    );
    let doc = json("cgget", &["-J", "-r", "cpu.max", &g.name]);
    assert_eq!(settings(&doc, 0)["cpu.max"], "50000 100000");
    // cgxget: the dialect's names and values.
    let doc = json(
        "cgxget",
        &["-J", "-2", "-r", "memory.max", "-r", "cpu.max", &g.name],
    );
    assert_eq!(settings(&doc, 0)["memory.max"], 15728640, "{doc}");
    assert_eq!(settings(&doc, 0)["cpu.max"], "50000 100000", "{doc}");
    let doc = json("cgxget", &["-J", "-1", "-r", "cpu.cfs_quota_us", &g.name]);
    assert_eq!(settings(&doc, 0)["cpu.cfs_quota_us"], 50000, "{doc}");
}

#[test]
fn cg_json_cgget_forms_and_layouts() {
    let (g, _sleepers) = busy_group("json-forms");
    let h = TestGroup::new("json-forms-2");
    cg("cgcreate", &["-g", &format!("memory,cpu:{}", h.name)]).assert_code(0);
    let stable = ["-r", "memory.max", "-r", "cpu.max"];
    let two = [&stable[..], &[&g.name, &h.name]].concat();
    let doc = json("cgget", &[&["-J"][..], &two].concat());
    let groups = doc["cgroups"].as_array().unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[1]["name"], h.name.as_str());
    assert_eq!(settings(&doc, 0)["memory.max"], 15728640);
    assert_eq!(settings(&doc, 1)["memory.max"], "max");
    // -n changes nothing in JSON.
    assert_eq!(json("cgget", &[&["-J", "-n"][..], &two].concat()), doc);
    // `-g ctrl:path` and `-g ctrl path` are the same request.
    let a = json("cgget", &["-J", "-g", &format!("memory:{}", g.name)]);
    let b = json("cgget", &["-J", "-g", "memory", &g.name]);
    assert_eq!(
        settings(&a, 0).keys().collect::<Vec<_>>(),
        settings(&b, 0).keys().collect::<Vec<_>>()
    );
    assert!(
        settings(&a, 0).keys().all(|k| k.starts_with("memory.")),
        "{a}"
    );
    // Asked twice, one member.
    let twice = json("cgget", &["-J", "-g", "memory", "-g", "memory", &g.name]);
    assert_eq!(settings(&twice, 0).len(), settings(&b, 0).len());
    // A group that does not exist, listed with -g: an empty object (its name line in text).
    let missing = TestGroup::new("json-missing");
    let doc_missing = json("cgget", &["-J", "-g", "memory", &missing.name]);
    assert_eq!(doc_missing["cgroups"][0]["settings"], serde_json::json!({}));
    assert_eq!(
        cg("cgget", &["-g", "memory", &missing.name]).ok(),
        format!("{}:\n\n", missing.name)
    );
    // The layouts: the same values; compact has each group on a line of its own, lines has
    // only the groups, one per line.
    let compact = cg_layout("cgget", "compact", &[&["-J"][..], &two].concat());
    assert_eq!(json_of(&compact), doc);
    let rows: Vec<&str> = compact.stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{}", compact.stdout);
    assert_eq!((rows[0], rows[3]), ("{\"cgroups\":[", "]}"));
    let lines = cg_layout("cgget", "lines", &[&["-J"][..], &two].concat());
    assert_eq!(lines.code, Some(0));
    let objects: Vec<Value> = lines
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(Value::Array(objects), doc["cgroups"]);
    // -c: the controllers with their versions, as the text table has them.
    let doc = json("cgget", &["-c", "-J"]);
    let text = cg("cgget", &["-c"]);
    let from_json: Vec<String> = doc["controllers"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"))
        .iter()
        .map(|c| {
            format!(
                "{:<11}\t{}",
                c["controller"].as_str().unwrap_or_default(),
                c["version"]
            )
        })
        .collect();
    let from_text: Vec<String> = text.ok().lines().skip(1).map(str::to_owned).collect();
    assert_eq!(from_json, from_text);
}

#[test]
fn cg_json_lscgroup_lists_the_groups() {
    let g = TestGroup::new("json-ls");
    for sub in ["", "/a", "/a/b", "/c"] {
        cg("cgcreate", &["-g", &format!("memory:{}{sub}", g.name)]).assert_code(0);
    }
    let spec = format!("memory:/{}", g.name);
    let doc = json("lscgroup", &["-J", &spec]);
    let groups = doc["cgroups"].as_array().unwrap_or_else(|| panic!("{doc}"));
    // As the text lines, the base with its trailing slash.
    let text = cg("lscgroup", &[&spec]);
    let rebuilt: Vec<String> = groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let controllers: Vec<&str> = group["controllers"]
                .as_array()
                .unwrap_or_else(|| panic!("{doc}"))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let slash = if i == 0 { "/" } else { "" };
            format!(
                "{}:{}{slash}",
                controllers.join(","),
                group["path"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(rebuilt, text.ok().lines().collect::<Vec<_>>());
    // The paths are the kernel's directories.
    let paths: BTreeSet<&str> = groups.iter().filter_map(|x| x["path"].as_str()).collect();
    let dirs: BTreeSet<String> = ["", "/a", "/a/b", "/c"]
        .iter()
        .map(|s| format!("/{}{s}", g.name))
        .filter(|p| cgroup_dir("memory").join(&p[1..]).is_dir())
        .collect();
    assert_eq!(paths, dirs.iter().map(String::as_str).collect());
    assert!(groups.iter().all(|x| {
        x["controllers"]
            .as_array()
            .is_some_and(|c| c.contains(&"memory".into()))
    }));
    // JSON lines.
    let lines = cg_layout("lscgroup", "lines", &["-J", &spec]);
    assert_eq!(lines.ok().lines().count(), 4);
    // A controller that is not mounted: the groups listed before it, as a whole document,
    // then libcgroup's message and status.
    let out = cg("lscgroup", &["-J", &spec, "nosuch:/"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            Some(93),
            "lscgroup: cannot find group nosuch:/: Cgroup operation failed\n"
        )
    );
    let partial: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:#?}"));
    assert_eq!(partial, doc);
}

#[test]
fn cg_json_lssubsys_is_its_text() {
    for opts in [
        &[][..],
        &["-i"],
        &["-m"],
        &["-M"],
        &["-a"],
        &["-a", "-i", "-m"],
        &["-a", "-i", "-M"],
        &["-i", "-m", "memory"],
    ] {
        let text = cg("lssubsys", opts);
        let doc = json("lssubsys", &[&["-J"][..], opts].concat());
        let ids = opts.contains(&"-i");
        let all_mounts = opts.contains(&"-M");
        let mount = opts.contains(&"-m");
        let mut rebuilt = Vec::new();
        for entry in doc["subsystems"]
            .as_array()
            .unwrap_or_else(|| panic!("{doc}"))
        {
            let controllers: Vec<&str> = entry["controllers"]
                .as_array()
                .unwrap_or_else(|| panic!("{doc}"))
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let mut line = controllers.join(",");
            assert_eq!(entry.get("hierarchy").is_some(), ids, "{doc}");
            assert_eq!(entry.get("mountpoints").is_some(), all_mounts, "{doc}");
            assert_eq!(
                entry.get("mountpoint").is_some(),
                mount && !all_mounts,
                "{doc}"
            );
            if entry.get("hierarchy").is_some_and(Value::is_null) {
                // A controller no hierarchy carries (-a): its name alone.
                rebuilt.push(line);
                continue;
            }
            if ids {
                line.push_str(&format!(" {}", entry["hierarchy"]));
            }
            if all_mounts {
                for m in entry["mountpoints"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{doc}"))
                {
                    rebuilt.push(format!("{line} {}", m.as_str().unwrap_or_default()));
                }
            } else if mount {
                let at = entry["mountpoint"].as_str().unwrap_or_default();
                if !at.is_empty() {
                    // The kernel's view: that controller's hierarchy is mounted there.
                    assert_eq!(Path::new(at), cgroup_dir(controllers[0]), "{doc}");
                }
                rebuilt.push(format!("{line} {at}"));
            } else {
                rebuilt.push(line);
            }
        }
        assert_eq!(rebuilt, text.ok().lines().collect::<Vec<_>>(), "{opts:?}");
    }
    // Nothing to list: an empty array, as the text prints nothing.
    assert_eq!(cg("lssubsys", &["nosuch"]).ok(), "");
    assert_eq!(
        json("lssubsys", &["-J", "nosuch"]),
        serde_json::json!({"subsystems": []})
    );
}

#[test]
fn cg_json_bad_options() {
    let g = TestGroup::new("json-bad");
    for (tool, args, option) in [
        ("cgget", &["-J", "-v", "-r", "memory.max", "/"][..], 'v'),
        ("cgget", &["-v", "--json", "/"], 'v'),
        ("cgget", &["-m", "-J"], 'm'),
        ("cgxget", &["-2", "-J", "-v", "-r", "memory.max", "/"], 'v'),
    ] {
        let out = cg(tool, args);
        assert_eq!(
            (out.code, out.stderr.as_str(), out.stdout.as_str()),
            (
                Some(129),
                format!("{tool}: -J cannot be used with -{option}\n").as_str(),
                ""
            ),
            "{args:?}"
        );
    }
    // libcgroup's own usage errors stay as they are with -J.
    let with = cg("cgget", &["-J", "-r", "memory.max", "-a", "/"]);
    let without = cg("cgget", &["-r", "memory.max", "-a", "/"]);
    assert_eq!(
        (with.code, &with.stderr, &with.stdout),
        (Some(129), &without.stderr, &String::new())
    );
    let with = cg("lssubsys", &["-J", "-q"]);
    let without = cg("lssubsys", &["-q"]);
    assert_eq!((with.code, &with.stderr), (Some(129), &without.stderr));
    // A group that does not exist: libcgroup's message and status, nothing on stdout.
    let text = cg("cgget", &["-r", "memory.max", &g.name]);
    let out = cg("cgget", &["-J", "-r", "memory.max", &g.name]);
    assert_eq!(
        (out.code, out.stderr.as_str(), out.stdout.as_str()),
        (
            Some(96),
            "variable file read failed No such file or directory\n",
            ""
        )
    );
    assert_eq!((text.code, &text.stderr), (out.code, &out.stderr));
    if let Some(reference) = tests::reference("cgget") {
        let theirs = Run::new(reference)
            .arg0("cgget")
            .args(["-r", "memory.max", &g.name])
            .run();
        assert_eq!(
            (theirs.code, theirs.stderr.as_str()),
            (out.code, out.stderr.as_str())
        );
    }
    // Nothing was made.
    assert!(!g.dir("memory").exists());
}
