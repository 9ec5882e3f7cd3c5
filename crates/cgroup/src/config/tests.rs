//! The grammar: every section, comments and quoting, and every error with libcgroup's line
//! and ours.

use super::*;

fn known(c: &str) -> bool {
    ["cpu", "cpuacct", "memory", "pids", "cpuset", "cgroup"].contains(&c)
}

fn ok(text: &str) -> Config {
    match parse(text.as_bytes(), &known) {
        Ok(c) => c,
        Err(e) => panic!("{text:?}: {e:?}"),
    }
}

fn err(text: &str) -> ParseError {
    match parse(text.as_bytes(), &known) {
        Ok(c) => panic!("{text:?} parsed: {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn groups_and_settings() {
    let c = ok(
        "group a/b {\n cpu {\n  cpu.shares = 512;\n  cpu.cfs_quota_us = \"-1\";\n }\n memory {}\n}\n",
    );
    assert_eq!(c.groups.len(), 1);
    let g = &c.groups[0];
    assert_eq!(g.name, "a/b");
    assert_eq!(g.line, 7);
    assert_eq!(g.perm, Perm::default());
    assert_eq!(g.controllers[0].name, "cpu");
    assert_eq!(
        g.controllers[0].settings,
        vec![
            ("cpu.shares".to_owned(), "512".to_owned()),
            ("cpu.cfs_quota_us".to_owned(), "-1".to_owned())
        ]
    );
    assert!(g.controllers[1].settings.is_empty());
    // `.` is the root group; `default` may name a group; a perm-only group has no
    // controllers.
    let c = ok(
        "group . { cpu {} } group default { memory {} } group x { perm { admin { uid = 0; } task { gid = 0; } } }",
    );
    let names: Vec<&str> = c.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, [".", "default", "x"]);
    assert!(c.groups[2].controllers.is_empty());
    assert_eq!(apply::group_path(".").map(|p| p.is_root()), Some(true));
}

#[test]
fn perm_sections() {
    let c = ok(
        "group g {\n perm {\n  task { uid = root; gid = 0; fperm = 660; foo = bar; }\n  admin { uid = 0; gid = root; dperm = 0775; fperm = 644; }\n }\n cpu {}\n}\n",
    );
    let p = c.groups[0].perm;
    assert_eq!(
        p,
        Perm {
            task_uid: Some(0),
            task_gid: Some(0),
            task_fperm: Some(0o660),
            admin_uid: Some(0),
            admin_gid: Some(0),
            admin_dperm: Some(0o775),
            admin_fperm: Some(0o644),
        }
    );
    // admin first is fine too; defaults fill what a group leaves out.
    let c = ok("default { perm { admin { dperm = 700; } task { fperm = 600; } } }");
    let d = c.default.unwrap_or_default();
    assert_eq!((d.admin_dperm, d.task_fperm), (Some(0o700), Some(0o600)));
    let merged = Perm {
        task_uid: Some(5),
        ..Perm::default()
    }
    .or(d);
    assert_eq!(
        (merged.task_uid, merged.admin_dperm),
        (Some(5), Some(0o700))
    );
}

#[test]
fn mount_namespace_systemd_template() {
    let c = ok("mount {\n cpu = /c;\n cpuacct = /c;\n \"name=x\" = /n;\n}\n");
    assert_eq!(
        c.mounts,
        vec![
            Mount {
                controllers: "cpu,cpuacct".into(),
                path: "/c".into()
            },
            Mount {
                controllers: "name=x".into(),
                path: "/n".into()
            }
        ]
    );
    let c = ok("namespace { cpu = /daemons; memory = x; }");
    assert_eq!(
        c.namespaces,
        vec![
            ("cpu".to_owned(), "/daemons".to_owned()),
            ("memory".to_owned(), "x".to_owned())
        ]
    );
    let c = ok(
        "systemd { slice = a.slice; scope = b.scope; setdefault = YES; pid = 42; }\nsystemd { scope = c.scope; }",
    );
    assert_eq!(
        c.systemd,
        vec![
            SystemdScope {
                slice: Some("a.slice".into()),
                scope: Some("b.scope".into()),
                setdefault: true,
                pid: Some(42)
            },
            SystemdScope {
                scope: Some("c.scope".into()),
                ..SystemdScope::default()
            }
        ]
    );
    let c = ok(
        "template users/%u { perm { task { uid = root; } admin { uid = root; } } pids { pids.max = 10; } }",
    );
    assert_eq!(c.templates[0].name, "users/%u");
    assert!(c.groups.is_empty());
}

#[test]
fn comments_and_quoting() {
    let c = ok(
        "# a comment\n   # an indented one\n* a star at column 0\ngroup \"with space\" {\n cpu { cpu.x = \"a b;c{}\"; }\n}\n",
    );
    assert_eq!(c.groups[0].name, "with space");
    assert_eq!(c.groups[0].controllers[0].settings[0].1, "a b;c{}");
    // Empty file, blank file.
    assert_eq!(ok(""), Config::default());
    assert_eq!(ok("\n\n  \t\n"), Config::default());
    // A # after text is a token, not a comment.
    let e = err("group g { # x\n cpu {} }");
    assert_eq!(
        e.upstream_line().0,
        "error at line number 1 at #:syntax error"
    );
    // A star not at column 0 is a token.
    let e = err(" * x");
    assert_eq!(
        e.upstream_line().0,
        "error at line number 1 at *:syntax error"
    );
}

#[test]
fn syntax_errors_name_line_and_token() {
    let e = err("group g {\n  cpu {\n  cpu.shares = 512\n }\n}\n");
    assert_eq!(
        e.upstream_line(),
        ("error at line number 4 at }:syntax error".into(), false)
    );
    assert_eq!(e.line, 4);
    assert_eq!(e.token, "}");
    assert_eq!(
        e.ours("f.conf"),
        "f.conf:4: syntax error: unexpected '}', expected ';'"
    );
    let e = err("group g {\n cpu {\n cpu.shares = 1:2;\n }\n}\n");
    assert_eq!(
        e.upstream_line().0,
        "error at line number 3 at ::syntax error"
    );
    // The end of the file: an empty token, the line count reached.
    let e = err("group g {\n pids {\n");
    assert_eq!(
        e.upstream_line().0,
        "error at line number 3 at :syntax error"
    );
    assert_eq!(e.why, "syntax error: unexpected end of file, expected '}'");
    // A keyword where a name is wanted; perm after a controller; two perms.
    assert_eq!(
        err("group task { cpu {} }").upstream_line().0,
        "error at line number 1 at task:syntax error"
    );
    assert_eq!(
        err("group g { cpu {}\n perm { task { uid = 0; } admin { uid = 0; } } }")
            .upstream_line()
            .0,
        "error at line number 2 at perm:syntax error"
    );
    // Both task and admin are needed; empty blocks are errors.
    assert!(
        err("group g { perm { task { uid = 0; } } cpu {} }")
            .why
            .contains("'admin'")
    );
    err("group g { perm { task { } admin { uid = 0; } } }");
    err("mount { }");
    err("namespace { }");
    err("systemd { }");
    err("group g { }");
    err("default { cpu {} }");
    err("template default { cpu {} }");
    // Quoted value next to another value; an unterminated quote.
    assert_eq!(
        err("group g {\n pids {\n pids.max = \"10\" \"x\";}}")
            .upstream_line()
            .0,
        "error at line number 3 at \"x\":syntax error"
    );
    let e = err("group g { pids { pids.max = \"10; } }");
    assert_eq!(e.token, "\"");
    assert!(e.why.contains("never closed"), "{}", e.why);
    // libcgroup does not count newlines inside quotes; we do.
    let e = err("group g {\n pids { pids.max = \"1\n2\"; }\n x }");
    assert_eq!(
        (e.upstream_line().0.as_str(), e.line),
        ("error at line number 3 at }:syntax error", 4)
    );
}

#[test]
fn semantic_errors() {
    // Unknown controller: at its closing brace, libcgroup names no token.
    let e = err("# c\ngroup g {\n  bogus {\n  }\n}\n");
    assert_eq!(
        e.upstream_line(),
        ("parsing failed at line number 4".into(), false)
    );
    assert_eq!(
        e.ours("u.conf"),
        "u.conf:4: controller 'bogus' is not mounted"
    );
    assert_eq!(e.token, "bogus");
    // Templates check their controllers too.
    err("template t { bogus {} }");
    // Twice the same setting, twice the same controller.
    let e = err("group g {\n pids {\n pids.max = 10; pids.max = 20;}}");
    assert_eq!(e.upstream_line().0, "parsing failed at line number 3");
    assert!(e.why.contains("twice"));
    assert_eq!(
        err("group g {\n pids {}\n pids {}\n}\n").upstream_line().0,
        "parsing failed at line number 3"
    );
    // Unknown user or group, bad mode: at the pair's ';'.
    let e = err(
        "group g {\n perm {\n task { uid = nsutils-no-such-user; }\n admin { uid = root; }\n }\n pids {}\n}\n",
    );
    assert_eq!(e.upstream_line().0, "parsing failed at line number 3");
    assert_eq!(e.ours("f"), "f:3: unknown user 'nsutils-no-such-user'");
    let e = err(
        "group g { perm { task { gid = nsutils-no-such-group; } admin { uid = root; } } pids {} }",
    );
    assert!(e.why.contains("unknown group"));
    assert!(
        err("group g { perm { task { fperm = 8; } admin { uid = root; } } }")
            .why
            .contains("octal")
    );
    // A group name that leaves the hierarchy.
    assert!(
        err("group ../x { pids {} }")
            .why
            .contains("invalid group name")
    );
}

#[test]
fn systemd_errors() {
    let e = err("systemd {\n slice = a.slice;\n setdefault = no;\n}\n");
    assert_eq!(
        e.upstream_line(),
        (
            "Error: Invalid systemd configuration setdefault value no".into(),
            true
        )
    );
    assert_eq!(e.line, 3);
    assert_eq!(
        err("systemd { bogus = a.slice; }").upstream_line().0,
        "Error: Invalid systemd configuration bogus"
    );
    assert_eq!(
        err("systemd { slice = a.slice; bogus = x; }")
            .upstream_line()
            .0,
        "Error: Invalid systemd configuration bogus value x"
    );
    assert_eq!(
        err("systemd { slice = a; }").upstream_line().0,
        "Error: Invalid systemd configuration slice value a"
    );
    assert_eq!(
        err("systemd { scope = a.slice; }").upstream_line().0,
        "Error: Invalid systemd configuration scope value a.slice"
    );
    assert_eq!(
        err("systemd { pid = 1; }").upstream_line().0,
        "Error: Invalid systemd configuration pid value 1"
    );
    assert_eq!(ok("systemd { pid = 12abc; }").systemd[0].pid, Some(12));
}

/// No input makes the parser panic: every byte string of a few tokens' worth, built from
/// the characters that matter, and some mutations of a real file.
#[test]
fn no_panics() {
    let alphabet: &[&[u8]] = &[
        b"group", b"g", b"{", b"}", b"=", b";", b"\"", b"\n", b"#", b"*", b"perm", b"task",
        b"admin", b"default", b"mount", b"systemd", b" ", b"\xff", b"cpu",
    ];
    let mut seeds = vec![Vec::new()];
    for _ in 0..4 {
        let mut next = Vec::new();
        for s in &seeds {
            for a in alphabet {
                let mut t = s.clone();
                t.extend_from_slice(a);
                next.push(t);
            }
        }
        seeds = next;
    }
    for s in &seeds {
        let _ = parse(s, &known);
    }
    let real = b"group a { perm { task { uid = 0; } admin { dperm = 755; } } cpu { cpu.shares = \"5\"; } }";
    for cut in 0..real.len() {
        let _ = parse(&real[..cut], &known);
        let mut t = real.to_vec();
        t.remove(cut);
        let _ = parse(&t, &known);
    }
}

/// A template's group over a fake hybrid tree: the template's controller gets its settings,
/// another controller an empty group; a failure removes every directory made.
#[test]
fn template_groups() {
    let f = crate::tests::Fake::new("config-template");
    let all = crate::tests::hybrid(&f);
    let c = ok("template users/%u { memory { } }\ntemplate bad/%u { cpu { cpu.nosuch = 1; } }");
    let group = crate::GroupPath::parse("users/alice").unwrap_or_else(|e| panic!("{e}"));
    let made = template(&all, &c.templates, "users/%u", &group, &["memory", "cpu"])
        .unwrap_or_else(|e| panic!("{}", e.why));
    assert_eq!(
        made.made,
        vec![
            f.dir.join("memory/users"),
            f.dir.join("memory/users/alice"),
            f.dir.join("cpu,cpuacct/users"),
            f.dir.join("cpu,cpuacct/users/alice"),
        ]
    );
    let bad = crate::GroupPath::parse("bad/bob").unwrap_or_else(|e| panic!("{e}"));
    let e = template(&all, &c.templates, "bad/%u", &bad, &["memory", "cpu"])
        .err()
        .unwrap_or_else(|| panic!("a missing setting file was written"));
    assert_eq!(e.upstream, "Conversion of controller failed.");
    assert_eq!(e.error.status(), 91);
    assert!(e.why.contains("cpu.nosuch"), "{}", e.why);
    assert!(!f.dir.join("memory/bad").exists());
    assert!(!f.dir.join("cpu,cpuacct/bad").exists());
}

#[test]
fn directory_listing() {
    let f = crate::tests::Fake::new("config-dir");
    for name in [
        "b.conf",
        "a.conf",
        ".conf",
        "c.conf.bak",
        "d.txt",
        "e.conf.x.conf",
    ] {
        std::fs::write(f.dir.join(name), "").unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::create_dir(f.dir.join("sub.conf")).unwrap_or_else(|e| panic!("{e}"));
    let files = files_in(&f.dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(files, vec![f.dir.join("a.conf"), f.dir.join("b.conf")]);
    assert!(files_in(&f.dir.join("missing")).is_err());
}
