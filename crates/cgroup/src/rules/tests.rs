//! The rules over temporary files, with a fake user database and a fake cgroupfs tree.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use sys::mount::MountInfo;

struct Users;

impl Directory for Users {
    fn uid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "alice" => Some(1000),
            "bob" => Some(1001),
            _ => None,
        }
    }

    fn group(&self, name: &str) -> Option<(u32, Vec<String>)> {
        match name {
            "root" => Some((0, vec![])),
            "staff" => Some((50, vec!["bob".into()])),
            "alice" => Some((1000, vec![])),
            _ => None,
        }
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        match uid {
            0 => Some("root".into()),
            1000 => Some("alice".into()),
            1001 => Some("bob".into()),
            _ => None,
        }
    }

    fn group_name(&self, gid: u32) -> Option<String> {
        match gid {
            0 => Some("root".into()),
            50 => Some("staff".into()),
            1000 => Some("alice".into()),
            _ => None,
        }
    }
}

struct Root {
    dir: PathBuf,
}

impl Root {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("nsutils-test-{}-rules-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("etc")).unwrap();
        Root { dir }
    }

    fn conf(self, text: &str) -> Self {
        fs::write(self.dir.join("etc/cgrules.conf"), text).unwrap();
        self
    }

    fn extra(self, name: &str, text: &str) -> Self {
        fs::create_dir_all(self.dir.join("etc/cgrules.d")).unwrap();
        fs::write(self.dir.join("etc/cgrules.d").join(name), text).unwrap();
        self
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn who(uid: u32, gid: u32, name: Option<&str>) -> ProcessInfo {
    ProcessInfo {
        pid: 4242,
        uid,
        gid,
        name: name.map(str::to_owned),
    }
}

/// (controllers, destination) of each matched line.
fn dests(root: &Root, p: &ProcessInfo) -> Vec<(String, String)> {
    find(&root.dir, p, &Users)
        .unwrap()
        .into_iter()
        .map(|m| (m.controllers.join(","), m.destination))
        .collect()
}

fn pair(c: &str, d: &str) -> (String, String) {
    (c.to_owned(), d.to_owned())
}

#[test]
fn users_groups_and_wildcards() {
    let r = Root::new("who").conf(
        "# comment line\n\
         \n\
         alice   memory        users/alice   # trailing comment\n\
         @staff  cpu,memory    staff\n\
         *       *             others\n",
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("sh"))),
        [pair("memory", "users/alice")]
    );
    // bob is a listed member of staff; gid 50 matches by itself too.
    assert_eq!(
        dests(&r, &who(1001, 1001, None)),
        [pair("cpu,memory", "staff")]
    );
    assert_eq!(dests(&r, &who(7, 50, None)), [pair("cpu,memory", "staff")]);
    assert_eq!(dests(&r, &who(0, 0, None)), [pair("*", "others")]);
}

#[test]
fn continuation_lines_follow_their_rule() {
    let r = Root::new("cont").conf(
        "alice  memory  a\n\
         %      cpu     a-cpu\n\
         %      pids    a-pids\n\
         bob    memory  b\n\
         %      cpu     b-cpu\n\
         *      memory  rest\n",
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, None)),
        [
            pair("memory", "a"),
            pair("cpu", "a-cpu"),
            pair("pids", "a-pids")
        ]
    );
    assert_eq!(
        dests(&r, &who(1001, 1001, None)),
        [pair("memory", "b"), pair("cpu", "b-cpu")]
    );
    assert_eq!(dests(&r, &who(0, 0, None)), [pair("memory", "rest")]);
}

#[test]
fn unknown_users_are_skipped_with_their_continuations() {
    let r = Root::new("unknown").conf(
        "nosuchuser  memory  x\n\
         %           cpu     x-cpu\n\
         %\n\
         @nosuchgrp  memory  y\n\
         *           memory  z\n",
    );
    assert_eq!(dests(&r, &who(1000, 1000, None)), [pair("memory", "z")]);
}

#[test]
fn process_names_match_whole_or_basename() {
    let r = Root::new("proc").conf(
        "alice:/usr/bin/sleep  memory  full\n\
         alice:sleep           memory  base\n\
         *:sh                  cpu     shells\n\
         alice                 memory  plain\n",
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("/usr/bin/sleep"))),
        [pair("memory", "full")]
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("/bin/sleep"))),
        [pair("memory", "base")]
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("sleep"))),
        [pair("memory", "base")]
    );
    assert_eq!(
        dests(&r, &who(0, 0, Some("/bin/sh"))),
        [pair("cpu", "shells")]
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("cat"))),
        [pair("memory", "plain")]
    );
    // No name known: rules with a process never match.
    assert_eq!(dests(&r, &who(1000, 1000, None)), [pair("memory", "plain")]);
    assert!(dests(&r, &who(0, 0, None)).is_empty());
}

#[test]
fn continuation_of_a_rule_whose_process_did_not_match() {
    let r = Root::new("proccont").conf(
        "alice:sleep  memory  s\n\
         %            cpu     s-cpu\n\
         alice        memory  other\n",
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("cat"))),
        [pair("memory", "other")]
    );
    assert_eq!(
        dests(&r, &who(1000, 1000, Some("sleep"))),
        [pair("memory", "s"), pair("cpu", "s-cpu")]
    );
}

#[test]
fn files_in_cgrules_d_come_after_the_main_file_in_name_order() {
    let r = Root::new("dir")
        .conf("bob  memory  main\n")
        .extra("20-b", "alice  memory  second\n")
        .extra("10-a", "alice  cpu  first\n%  memory  first-mem\n")
        .extra("30-c", "*  memory  last\n");
    assert_eq!(
        dests(&r, &who(1000, 1000, None)),
        [pair("cpu", "first"), pair("memory", "first-mem")]
    );
    assert_eq!(dests(&r, &who(1001, 1001, None)), [pair("memory", "main")]);
    assert_eq!(dests(&r, &who(0, 0, None)), [pair("memory", "last")]);
}

#[test]
fn a_missing_main_file_fails_even_with_a_directory() {
    let r = Root::new("missing").extra("10", "*  memory  x\n");
    let e = find(&r.dir, &who(0, 0, None), &Users).unwrap_err();
    assert_eq!(e.status(), 99);
    // An empty main file is fine: nothing matches.
    let r = Root::new("empty").conf("");
    assert!(find(&r.dir, &who(0, 0, None), &Users).unwrap().is_empty());
}

#[test]
fn broken_lines_fail_where_libcgroup_fails() {
    // A short line before the match fails.
    let r = Root::new("short").conf("alice memory\n*  memory  x\n");
    let e = find(&r.dir, &who(0, 0, None), &Users).unwrap_err();
    assert_eq!(e.status(), 99);
    assert!(
        e.to_string()
            .ends_with("cgrules.conf:1: a rule needs at least three fields")
    );
    // So does one right after the match (it could have been a continuation) ...
    let r = Root::new("after").conf("*  memory  x\nbroken\n");
    assert_eq!(
        find(&r.dir, &who(0, 0, None), &Users).unwrap_err().status(),
        99
    );
    // ... but parsing stops at the next rule: libcgroup never reads further.
    let r = Root::new("after2").conf("*  memory  x\nalice memory y\nbroken\n");
    assert_eq!(dests(&r, &who(0, 0, None)), [pair("memory", "x")]);
    // Bad options or controllers fail only for a rule that matches.
    let r = Root::new("opts").conf("alice memory a frobnicate\n*  memory  x\n");
    assert_eq!(dests(&r, &who(0, 0, None)), [pair("memory", "x")]);
    assert_eq!(
        find(&r.dir, &who(1000, 1000, None), &Users)
            .unwrap_err()
            .status(),
        99
    );
    let r = Root::new("ctrls").conf("*  ,,  x\n");
    assert_eq!(
        find(&r.dir, &who(0, 0, None), &Users).unwrap_err().status(),
        99
    );
    // A short continuation of a skipped rule goes with it.
    let r = Root::new("shortcont").conf("nosuch memory a\n% memory\n* memory x\n");
    assert_eq!(dests(&r, &who(0, 0, None)), [pair("memory", "x")]);
}

#[test]
fn ignore_option() {
    let r = Root::new("ignore").conf(
        "alice  memory  a  ignore\n\
         *      memory  x\n",
    );
    let m = find(&r.dir, &who(1000, 1000, None), &Users).unwrap();
    assert_eq!(m.len(), 1);
    assert!(m[0].ignore);
    assert!(!find(&r.dir, &who(0, 0, None), &Users).unwrap()[0].ignore);
}

#[test]
fn templates() {
    let p = ProcessInfo {
        pid: 77,
        uid: 1000,
        gid: 50,
        name: Some("/usr/bin/sleep".into()),
    };
    assert_eq!(
        expand("u/%u/%U/%g/%G/%p/%P", &p, &Users),
        "u/alice/1000/staff/50/sleep/77"
    );
    assert_eq!(expand("a%xb%", &p, &Users), "a%xb%");
    assert_eq!(expand("a\\%u", &p, &Users), "a%u");
    let nobody = ProcessInfo {
        pid: 5,
        uid: 4000,
        gid: 4000,
        name: None,
    };
    assert_eq!(expand("%u-%g-%p", &nobody, &Users), "4000-4000-5");
}

#[test]
fn process_info_from_proc_files() {
    let dir = std::env::temp_dir().join(format!("nsutils-test-{}-procinfo", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let status = "Name:\tsleep\nUmask:\t0022\nUid:\t1000\t1001\t1001\t1001\nGid:\t50\t51\t51\t51\n";
    fs::write(dir.join("cmdline"), b"sleep\x0010\x00").unwrap();
    std::os::unix::fs::symlink("/usr/bin/sleep", dir.join("exe")).unwrap();
    let p = ProcessInfo::from_proc(9, status, &dir).unwrap();
    assert_eq!((p.uid, p.gid), (1001, 51));
    assert_eq!(p.name.as_deref(), Some("/usr/bin/sleep"));
    // An interpreter: the exe does not agree with the name, argv[0] does.
    fs::remove_file(dir.join("exe")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/python3", dir.join("exe")).unwrap();
    let status = status.replace("sleep", "myscript.py");
    fs::write(dir.join("cmdline"), b"/opt/myscript.py\x00").unwrap();
    let p = ProcessInfo::from_proc(9, &status, &dir).unwrap();
    assert_eq!(p.name.as_deref(), Some("/opt/myscript.py"));
    // Neither agrees: the kernel's name.
    fs::write(dir.join("cmdline"), b"other\x00").unwrap();
    let p = ProcessInfo::from_proc(9, &status, &dir).unwrap();
    assert_eq!(p.name.as_deref(), Some("myscript.py"));
    let _ = fs::remove_dir_all(&dir);
    assert!(ProcessInfo::from_proc(9, "Name:\tx\n", Path::new("/nonexistent")).is_err());
}

fn v1_tree(root: &Path) -> Hierarchies {
    let mut mounts = Vec::new();
    for (i, c) in ["memory", "cpu"].iter().enumerate() {
        let point = root.join("cg").join(c);
        fs::create_dir_all(&point).unwrap();
        fs::write(point.join("cgroup.procs"), "").unwrap();
        let line = format!(
            "{} 1 0:{} / {} rw - cgroup cgroup rw,{c}",
            50 + i,
            50 + i,
            point.display()
        );
        mounts.push(MountInfo::parse(line.as_bytes()).unwrap());
    }
    Hierarchies::from_mounts(&mounts, &["memory", "cpu"], |p| fs::read_to_string(p).ok())
}

#[test]
fn apply_moves_into_each_line_of_the_rule() {
    let r = Root::new("apply").conf(
        "alice  memory  jobs/a\n\
         %      cpu     jobs/a-cpu\n\
         bob    memory  b  ignore\n\
         root   nosuch  r\n",
    );
    let all = v1_tree(&r.dir);
    for (c, g) in [("memory", "jobs/a"), ("cpu", "jobs/a-cpu")] {
        let d = r.dir.join("cg").join(c).join(g);
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("cgroup.procs"), "").unwrap();
    }
    let p = who(1000, 1000, None);
    apply_with(&all, &r.dir, &p, &Users).unwrap();
    let procs = |c: &str, g: &str| {
        fs::read_to_string(r.dir.join("cg").join(c).join(g).join("cgroup.procs")).unwrap()
    };
    assert_eq!(procs("memory", "jobs/a"), "4242");
    assert_eq!(procs("cpu", "jobs/a-cpu"), "4242");
    // ignore: nothing happens, and no group is needed.
    apply_with(&all, &r.dir, &who(1001, 1001, None), &Users).unwrap();
    // An unknown controller is "operation not allowed" (87).
    let e = apply_with(&all, &r.dir, &who(0, 0, None), &Users).unwrap_err();
    assert_eq!(e.status(), 87);
    // No match at all: nothing to do.
    apply_with(&all, &r.dir, &who(4000, 4000, None), &Users).unwrap();
}

#[test]
fn apply_creates_template_groups_only() {
    let r = Root::new("tmpl").conf(
        "alice  memory  users/%u\n\
         bob    memory  fixed\n",
    );
    let all = v1_tree(&r.dir);
    // The fake tree has no kernel to fill the new group, so the attach itself fails; the
    // group was made.
    assert!(apply_with(&all, &r.dir, &who(1000, 1000, None), &Users).is_err());
    assert!(r.dir.join("cg/memory/users/alice").is_dir());
    // A plain destination is never created: a missing group is "Cgroup does not exist".
    let e = apply_with(&all, &r.dir, &who(1001, 1001, None), &Users).unwrap_err();
    assert_eq!(e.status(), 82);
    assert!(!r.dir.join("cg/memory/fixed").exists());
}

#[test]
fn quoted_keys_and_destinations_hold_blanks() {
    // libcgroup #462: the whole key quoted, or only its process part.
    let r = Root::new("quotes").conf(
        "\"*:Web Content\"   memory  \"app/my browser\"\n\
         *:\"two words\"     cpu     b\n\
         *                  memory  x\n",
    );
    assert_eq!(
        dests(&r, &who(0, 0, Some("Web Content"))),
        [pair("memory", "app/my browser")]
    );
    assert_eq!(
        dests(&r, &who(0, 0, Some("/opt/two words"))),
        [pair("cpu", "b")]
    );
    assert_eq!(dests(&r, &who(0, 0, Some("Web"))), [pair("memory", "x")]);
    // A quote never closed, or in the controllers, fails.
    for bad in [
        "\"*:x  memory  a\n",
        "*  \"memory\"  a\n",
        "*  memory  a  \"ignore\"\n",
    ] {
        let r = Root::new("badquote").conf(bad);
        assert_eq!(
            find(&r.dir, &who(0, 0, None), &Users).unwrap_err().status(),
            99,
            "{bad}"
        );
        let files = RuleFiles::load(&r.dir).unwrap();
        assert_eq!(
            files.check(&Users).unwrap_err().to_string(),
            "failed to parse configuration file on line 1"
        );
    }
}

#[test]
fn ignore_rt_and_ignore_cover_their_kind_of_process() {
    let text = "alice  memory  a  ignore\n\
                bob    memory  b  ignore_rt\n\
                root   memory  c  ignore,ignore_rt\n\
                *      memory  x\n";
    let r = Root::new("ignore_rt").conf(text);
    let main = r.dir.join("etc/cgrules.conf");
    let lines = split(text);
    let run = |w: &ProcessInfo, rt: bool| match_lines(&lines, &main, w, &Users, &|| rt).unwrap();
    // ignore: a normal process stays; a real-time one goes on to the next rule.
    assert!(run(&who(1000, 1000, None), false)[0].ignore);
    assert_eq!(run(&who(1000, 1000, None), true)[0].destination, "x");
    // ignore_rt: the other way round.
    assert_eq!(run(&who(1001, 1001, None), false)[0].destination, "x");
    assert!(run(&who(1001, 1001, None), true)[0].ignore);
    // Both: every process stays.
    assert!(run(&who(0, 0, None), false)[0].ignore);
    assert!(run(&who(0, 0, None), true)[0].ignore);
    let files = RuleFiles::load(&r.dir).unwrap();
    files.check(&Users).unwrap();
    let r = Root::new("ignore_bad").conf("*  memory  x  ignore,frob\n");
    let files = RuleFiles::load(&r.dir).unwrap();
    assert_eq!(
        files.check(&Users).unwrap_err().to_string(),
        "Unsupported option: frob"
    );
}

#[test]
fn process_names_ending_in_a_star_match_prefixes() {
    let r = Root::new("star").conf("*:fire*  memory  f\n*  memory  x\n");
    assert_eq!(
        dests(&r, &who(0, 0, Some("firefox"))),
        [pair("memory", "f")]
    );
    assert_eq!(
        dests(&r, &who(0, 0, Some("/usr/lib/firefox/firefox-bin"))),
        [pair("memory", "f")]
    );
    assert_eq!(dests(&r, &who(0, 0, Some("safire"))), [pair("memory", "x")]);
}

#[test]
fn check_and_describe_as_the_daemon_lists_rules() {
    let r = Root::new("describe").conf(
        "# comment\n\
         alice:cat  cpu,memory  a\n\
         %          memory      b\n\
         nosuch     ,,          never\n\
         %          frob\n\
         @staff     *           s  ignore\n\
         *          cpu         x\n",
    );
    let files = RuleFiles::load(&r.dir).unwrap();
    files.check(&Users).unwrap();
    assert_eq!(
        files.describe(&Users),
        "Rule: alice:cat\n  UID: 1000\n  GID: N/A\n  DEST: a\n  CONTROLLERS:\n    cpu\n    memory\n  OPTIONS:\n    IS_IGNORE: False\n\n\
         Rule: %\n  UID: 1000\n  GID: N/A\n  DEST: b\n  CONTROLLERS:\n    memory\n  OPTIONS:\n    IS_IGNORE: False\n\n\
         Rule: @staff\n  UID: N/A\n  GID: 50\n  DEST: s\n  CONTROLLERS:\n    *\n  OPTIONS:\n    IS_IGNORE: True\n\n\
         Rule: *\n  UID: any\n  GID: any\n  DEST: x\n  CONTROLLERS:\n    cpu\n  OPTIONS:\n    IS_IGNORE: False\n\n"
    );
    let r = Root::new("describe_empty").conf("# nothing\n");
    assert_eq!(
        RuleFiles::load(&r.dir).unwrap().describe(&Users),
        "The rules table is empty.\n\n"
    );
    let r = Root::new("check_short").conf("alice  memory  a\n\nbob memory\n");
    assert_eq!(
        RuleFiles::load(&r.dir)
            .unwrap()
            .check(&Users)
            .unwrap_err()
            .to_string(),
        "failed to parse configuration file on line 3"
    );
    let r = Root::new("check_ctrl").conf("alice  ,  a\n");
    assert_eq!(
        RuleFiles::load(&r.dir)
            .unwrap()
            .check(&Users)
            .unwrap_err()
            .to_string(),
        "failed to parse controllers on line 1"
    );
}
