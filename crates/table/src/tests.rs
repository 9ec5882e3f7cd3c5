//! Golden outputs of util-linux `lsns` (reference notes §9.2–9.4), rebuilt through [`Table`].

use super::*;

/// lsns' column definitions: name, hint, right, trunc, wrap, JSON type.
fn lsns_col(name: &str) -> ColumnSpec {
    let (hint, right, dt) = match name {
        "NS" | "PNS" | "ONS" => (10.0, true, DataType::Number),
        "TYPE" => (5.0, false, DataType::String),
        "NPROCS" | "PID" | "PPID" => (5.0, true, DataType::Number),
        "UID" => (0.0, true, DataType::Number),
        "NETNSID" => (0.0, true, DataType::String),
        _ => (0.0, false, DataType::String),
    };
    ColumnSpec {
        name: name.to_owned(),
        width_hint: hint,
        right,
        trunc: name == "COMMAND",
        wrap_lines: false,
        tree: false,
        hidden: false,
        data_type: dt,
    }
}

/// A table of lsns columns; `tree` names the tree column, if any.
fn table(cols: &[&str], tree: Option<&str>) -> Table {
    let mut t = Table::new("namespaces");
    t.set_utf8(true);
    t.set_ascii(false);
    for &c in cols {
        let mut spec = lsns_col(c);
        if Some(c) == tree {
            spec.tree = true;
            spec.right = false;
        }
        t.add_column(spec);
    }
    t
}

/// Add a row; empty strings stay unset.
fn row(t: &mut Table, parent: Option<LineId>, cells: &[&str]) -> LineId {
    let l = t.add_line(parent);
    for (i, c) in cells.iter().enumerate() {
        if !c.is_empty() {
            t.set(l, i, c.as_bytes());
        }
    }
    l
}

fn text(t: &Table) -> String {
    let mut out = Vec::new();
    t.print(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

const UNSHARE: &str = "unshare -fpmuinC --mount-proc sh -c hostname ul-research; exec sleep 900";

/// `lsns -p 11963` (§9.3): the process tree with COMMAND as tree column.
fn p11963(tab: &mut Table, nprocs: &str) {
    let cols = ["4026531834", "time", nprocs, "2", "root", "kthreadd"];
    row(tab, None, &cols);
    row(
        tab,
        None,
        &["4026531837", "user", nprocs, "2", "root", "kthreadd"],
    );
    let mut outline = None;
    for (ns, ty) in [
        ("4026532328", "mnt"),
        ("4026532329", "uts"),
        ("4026532330", "ipc"),
    ] {
        outline = Some(row(tab, None, &[ns, ty, "2", "11961", "root", UNSHARE]));
    }
    row(
        tab,
        outline,
        &["4026532331", "pid", "1", "11963", "root", "sleep 900"],
    );
    for (ns, ty) in [("4026532332", "cgroup"), ("4026532333", "net")] {
        row(tab, None, &[ns, ty, "2", "11961", "root", UNSHARE]);
    }
}

const DEFAULT_COLS: [&str; 6] = ["NS", "TYPE", "NPROCS", "PID", "USER", "COMMAND"];

#[test]
fn table_default_process_tree() {
    let mut t = table(&DEFAULT_COLS, Some("COMMAND"));
    p11963(&mut t, "93");
    let want = format!(
        "        NS TYPE   NPROCS   PID USER COMMAND
4026531834 time       93     2 root kthreadd
4026531837 user       93     2 root kthreadd
4026532328 mnt         2 11961 root {UNSHARE}
4026532329 uts         2 11961 root {UNSHARE}
4026532330 ipc         2 11961 root {UNSHARE}
4026532331 pid         1 11963 root └─sleep 900
4026532332 cgroup      2 11961 root {UNSHARE}
4026532333 net         2 11961 root {UNSHARE}
"
    );
    assert_eq!(text(&t), want);
    // 2.42 no longer counts hidden headers in the widths (2.38.1 printed NPROCS 6 wide).
    t.set_noheadings(true);
    assert_eq!(
        text(&t).lines().nth(2),
        Some(format!("4026532328 mnt        2 11961 root {UNSHARE}").as_str())
    );
}

#[test]
fn table_list_ns_type_nprocs() {
    let mut t = table(&["NS", "TYPE", "NPROCS"], None);
    for (ns, ty, n) in [
        ("4026531832", "mnt", "81"),
        ("4026531835", "cgroup", "82"),
        ("4026532180", "pid", "1"),
    ] {
        row(&mut t, None, &[ns, ty, n]);
    }
    assert_eq!(
        text(&t),
        "        NS TYPE   NPROCS
4026531832 mnt        81
4026531835 cgroup     82
4026532180 pid         1
"
    );
}

#[test]
fn width_hint_applies_only_to_data_wider_than_the_header() {
    // 2.42: TYPE with "time" stays at the header's 4, PID with "2" at 3.
    let mut t = table(&["NS", "TYPE", "PID"], None);
    row(&mut t, None, &["4026531834", "time", "2"]);
    assert_eq!(text(&t), "        NS TYPE PID\n4026531834 time   2\n");
    // Without a header the data is wider than the minimum of 1, so the hint applies.
    t.set_noheadings(true);
    assert_eq!(text(&t), "4026531834 time  2\n");
    // On a wide terminal 2.42 widens columns to their absolute hints.
    t.set_noheadings(false);
    t.set_terminal(Some(80));
    assert_eq!(text(&t), "        NS TYPE    PID\n4026531834 time      2\n");
}

#[test]
fn raw_escapes_blanks_and_tree_glyphs() {
    let mut t = table(&DEFAULT_COLS, Some("COMMAND"));
    t.set_raw(true);
    p11963(&mut t, "97");
    let esc = UNSHARE.replace(' ', "\\x20");
    let want = format!(
        "NS TYPE NPROCS PID USER COMMAND
4026531834 time 97 2 root kthreadd
4026531837 user 97 2 root kthreadd
4026532328 mnt 2 11961 root {esc}
4026532329 uts 2 11961 root {esc}
4026532330 ipc 2 11961 root {esc}
4026532331 pid 1 11963 root \\xe2\\x94\\x94\\xe2\\x94\\x80sleep\\x20900
4026532332 cgroup 2 11961 root {esc}
4026532333 net 2 11961 root {esc}
"
    );
    assert_eq!(text(&t), want);
    t.set_noheadings(true);
    assert_eq!(text(&t), want.split_once('\n').unwrap().1);
}

#[test]
fn json_flat_with_null() {
    let mut t = table(
        &[
            "NS", "TYPE", "NPROCS", "PID", "USER", "NETNSID", "NSFS", "COMMAND",
        ],
        Some("COMMAND"),
    );
    t.set_json(true);
    row(
        &mut t,
        None,
        &[
            "4026531833",
            "net",
            "84",
            "2",
            "root",
            "unassigned",
            "",
            "kthreadd",
        ],
    );
    assert_eq!(
        text(&t),
        r#"{
   "namespaces": [
      {
         "ns": 4026531833,
         "type": "net",
         "nprocs": 84,
         "pid": 2,
         "user": "root",
         "netnsid": "unassigned",
         "nsfs": null,
         "command": "kthreadd"
      }
   ]
}
"#
    );
}

#[test]
fn json_children() {
    let mut t = table(&DEFAULT_COLS, Some("COMMAND"));
    t.set_json(true);
    p11963(&mut t, "93");
    let obj = |ns: &str, ty: &str, n: &str, pid: &str, cmd: &str, ind: &str| {
        format!(
            "{ind}\"ns\": {ns},\n{ind}\"type\": \"{ty}\",\n{ind}\"nprocs\": {n},\n{ind}\"pid\": {pid},\n{ind}\"user\": \"root\",\n{ind}\"command\": \"{cmd}\""
        )
    };
    let i = "         ";
    let want = format!(
        "{{\n   \"namespaces\": [\n      {{\n{}\n      }},{{\n{}\n      }},{{\n{}\n      }},{{\n{}\n      }},{{\n{},\n{i}\"children\": [\n            {{\n{}\n            }}\n         ]\n      }},{{\n{}\n      }},{{\n{}\n      }}\n   ]\n}}\n",
        obj("4026531834", "time", "93", "2", "kthreadd", i),
        obj("4026531837", "user", "93", "2", "kthreadd", i),
        obj("4026532328", "mnt", "2", "11961", UNSHARE, i),
        obj("4026532329", "uts", "2", "11961", UNSHARE, i),
        obj("4026532330", "ipc", "2", "11961", UNSHARE, i),
        obj(
            "4026532331",
            "pid",
            "1",
            "11963",
            "sleep 900",
            "               "
        ),
        obj("4026532332", "cgroup", "2", "11961", UNSHARE, i),
        obj("4026532333", "net", "2", "11961", UNSHARE, i),
    );
    assert_eq!(text(&t), want);
}

#[test]
fn json_types_escapes_hidden_and_empty() {
    let mut t = Table::new("Things");
    for (name, dt, hidden) in [
        ("S", DataType::String, false),
        ("N", DataType::Number, false),
        ("B", DataType::Boolean, false),
        ("F", DataType::Float, false),
        ("H", DataType::String, true),
    ] {
        t.add_column(ColumnSpec {
            name: name.into(),
            width_hint: 0.0,
            right: false,
            trunc: false,
            wrap_lines: false,
            tree: false,
            hidden,
            data_type: dt,
        });
    }
    t.set_json(true);
    assert_eq!(text(&t), "{\n   \"things\": [\n\n   ]\n}\n");
    let l = t.add_line(None);
    t.set(l, 0, b"we\"ird\\name\ttab\x01\x7f\xff\n".to_vec());
    t.set(l, 2, "0");
    t.set(l, 3, "1.5");
    t.set(l, 4, "secret");
    let l2 = t.add_line(None);
    t.set(l2, 2, "yes");
    let mut out = Vec::new();
    t.print(&mut out).unwrap();
    assert_eq!(
        out,
        b"{\n   \"things\": [\n      {\n         \"s\": \"we\\\"ird\\\\name\\ttab\\u0001\x7f\xff\\n\",\n         \"n\": null,\n         \"b\": false,\n         \"f\": 1.5\n      },{\n         \"s\": null,\n         \"n\": null,\n         \"b\": true,\n         \"f\": null\n      }\n   ]\n}\n"
    );
}

#[test]
fn empty_table_prints_nothing() {
    let mut t = table(&DEFAULT_COLS, None);
    assert_eq!(text(&t), "");
    t.set_raw(true);
    assert_eq!(text(&t), "");
    let l = t.add_line(None);
    assert!(!t.is_empty());
    t.remove_line(l);
    assert!(t.is_empty());
    assert_eq!(text(&t), "");
}

#[test]
fn owner_tree_with_ns_as_tree_column() {
    // `lsns -l -T` (§9.3), first lines: NS loses its right alignment.
    let mut t = table(
        &["NS", "TYPE", "NPROCS", "PID", "USER", "COMMAND"],
        Some("NS"),
    );
    let user = row(
        &mut t,
        None,
        &["4026531837", "user", "97", "2", "root", "kthreadd"],
    );
    row(
        &mut t,
        Some(user),
        &["4026531832", "mnt", "88", "2", "root", "kthreadd"],
    );
    row(
        &mut t,
        Some(user),
        &["4026531835", "cgroup", "93", "2", "root", "kthreadd"],
    );
    row(
        &mut t,
        Some(user),
        &["4026532331", "pid", "1", "11963", "root", "sleep 900"],
    );
    assert_eq!(
        text(&t),
        "NS           TYPE   NPROCS   PID USER COMMAND
4026531837   user       97     2 root kthreadd
├─4026531832 mnt        88     2 root kthreadd
├─4026531835 cgroup     93     2 root kthreadd
└─4026532331 pid         1 11963 root sleep 900
"
    );
}

#[test]
fn three_level_tree_and_ascii() {
    let mut t = table(&["NS", "TYPE"], Some("NS"));
    let a = row(&mut t, None, &["1", "a"]);
    let b = row(&mut t, Some(a), &["2", "b"]);
    row(&mut t, Some(b), &["3", "c"]);
    row(&mut t, Some(b), &["4", "d"]);
    let e = row(&mut t, Some(a), &["5", "e"]);
    row(&mut t, Some(e), &["6", "f"]);
    row(&mut t, None, &["7", "g"]);
    assert_eq!(
        text(&t),
        "NS         TYPE
1          a
├─2        b
│ ├─3      c
│ └─4      d
└─5        e
  └─6      f
7          g
"
    );
    t.set_ascii(true);
    assert_eq!(
        text(&t),
        "NS         TYPE\n1          a\n|-2        b\n| |-3      c\n| `-4      d\n`-5        e\n  `-6      f\n7          g\n"
    );
    // JSON nests the same lines: `e` holds `f`, and `g` follows `a` at the top.
    t.set_json(true);
    let j = text(&t);
    let tail = "            },{\n               \"ns\": 5,\n               \"type\": \"e\",\n               \"children\": [\n                  {\n                     \"ns\": 6,\n                     \"type\": \"f\"\n                  }\n               ]\n            }\n         ]\n      },{\n         \"ns\": 7,\n         \"type\": \"g\"\n      }\n   ]\n}\n";
    assert!(j.ends_with(tail), "{j}");
}

#[test]
fn ascii_tree_in_c_locale() {
    // `LC_ALL=C lsns -p $CH -t pid -t ipc` (§9.2).
    let mut t = table(&DEFAULT_COLS, Some("COMMAND"));
    t.set_utf8(false);
    t.set_ascii(true);
    let ipc = row(
        &mut t,
        None,
        &["4026532330", "ipc", "2", "11961", "root", UNSHARE],
    );
    row(
        &mut t,
        Some(ipc),
        &["4026532331", "pid", "1", "11963", "root", "sleep 900"],
    );
    assert_eq!(
        text(&t),
        format!(
            "        NS TYPE NPROCS   PID USER COMMAND
4026532330 ipc       2 11961 root {UNSHARE}
4026532331 pid       1 11963 root `-sleep 900
"
        )
    );
    // In the C locale the UTF-8 glyphs would be escaped byte by byte.
    t.set_ascii(false);
    assert!(text(&t).contains("root \\xe2\\x94\\x94\\xe2\\x94\\x80sleep 900\n"));
}

fn netns_table(cols: &[&str], wrap: bool) -> Table {
    let mut t = table(cols, Some("COMMAND"));
    for (c, name) in cols.iter().enumerate() {
        if *name == "NSFS" {
            t.columns[c].wrap_lines = wrap;
        }
    }
    t
}

#[test]
fn nsfs_multi_line_cell() {
    // §9.4 `lsns -t net`.
    let cols = [
        "NS", "TYPE", "NPROCS", "PID", "USER", "NETNSID", "NSFS", "COMMAND",
    ];
    let mut t = netns_table(&cols, true);
    let rows = [
        [
            "4026531833",
            "net",
            "100",
            "2",
            "root",
            "unassigned",
            "",
            "kthreadd",
        ],
        [
            "4026532186",
            "net",
            "2",
            "7824",
            "root",
            "unassigned",
            "",
            "unshare -fpmuin --mount-proc sleep 1000",
        ],
        [
            "4026532413",
            "net",
            "1",
            "14135",
            "root",
            "7",
            "/run/netns/ultest\n/run/netns/second",
            "sleep 5",
        ],
    ];
    for r in &rows {
        row(&mut t, None, r);
    }
    assert_eq!(
        text(&t),
        "        NS TYPE NPROCS   PID USER    NETNSID NSFS              COMMAND
4026531833 net     100     2 root unassigned                   kthreadd
4026532186 net       2  7824 root unassigned                   unshare -fpmuin --mount-proc sleep 1000
4026532413 net       1 14135 root          7 /run/netns/ultest sleep 5
                                             /run/netns/second 
"
    );
    // `-W`: lsns joins with commas and does not wrap.
    let mut w = netns_table(&cols, false);
    for r in &rows {
        let joined = r[6].replace('\n', ",");
        let mut r = r.to_vec();
        r[6] = &joined;
        row(&mut w, None, &r);
    }
    assert_eq!(
        text(&w),
        "        NS TYPE NPROCS   PID USER    NETNSID NSFS                                COMMAND
4026531833 net     100     2 root unassigned                                     kthreadd
4026532186 net       2  7824 root unassigned                                     unshare -fpmuin --mount-proc sleep 1000
4026532413 net       1 14135 root          7 /run/netns/ultest,/run/netns/second sleep 5
"
    );
    // `-r` (which implies -W).
    w.set_raw(true);
    assert_eq!(
        text(&w),
        "NS TYPE NPROCS PID USER NETNSID NSFS COMMAND
4026531833 net 100 2 root unassigned  kthreadd
4026532186 net 2 7824 root unassigned  unshare\\x20-fpmuin\\x20--mount-proc\\x20sleep\\x201000
4026532413 net 1 14135 root 7 /run/netns/ultest,/run/netns/second sleep\\x205
"
    );
    // JSON keeps the whole multi-line value.
    t.set_json(true);
    assert!(text(&t).contains("\"nsfs\": \"/run/netns/ultest\\n/run/netns/second\",\n"));
}

#[test]
fn nsfs_last_column_trailing_space() {
    // §9.4 `lsns -l -t net -o NS,NETNSID,NSFS` and §9.2's `cat -A` capture.
    let mut t = netns_table(&["NS", "NETNSID", "NSFS"], true);
    row(&mut t, None, &["4026531833", "unassigned", ""]);
    row(
        &mut t,
        None,
        &["4026532413", "7", "/run/netns/ultest\n/run/netns/second"],
    );
    assert_eq!(
        text(&t),
        "        NS    NETNSID NSFS
4026531833 unassigned 
4026532413          7 /run/netns/ultest
                      /run/netns/second
"
    );
    let mut t = netns_table(&["NS", "TYPE", "NSFS"], true);
    row(&mut t, None, &["4026531833", "net", ""]);
    row(&mut t, None, &["4026532186", "net", ""]);
    assert_eq!(
        text(&t),
        "        NS TYPE NSFS\n4026531833 net  \n4026532186 net  \n"
    );
}

#[test]
fn terminal_truncation_at_70() {
    // `script -qc "stty cols 70; lsns -p $CH"` (§9.2).
    let mut t = table(&DEFAULT_COLS, Some("COMMAND"));
    p11963(&mut t, "97");
    t.set_terminal(Some(70));
    let out = text(&t);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "        NS TYPE   NPROCS   PID USER COMMAND");
    assert_eq!(lines[1], "4026531834 time       97     2 root kthreadd");
    assert_eq!(
        lines[3],
        "4026532328 mnt         2 11961 root unshare -fpmuinC --mount-proc sh -"
    );
    assert_eq!(lines[6], "4026532331 pid         1 11963 root └─sleep 900");
    // Without the trunc flag (`-u`) nothing is cut.
    t.columns[5].trunc = false;
    assert!(text(&t).contains(UNSHARE));
    // And not on a pipe.
    t.columns[5].trunc = true;
    t.set_terminal(None);
    assert!(text(&t).contains(UNSHARE));
}

#[test]
fn escaping_in_table_and_raw() {
    // §9.2: argv[0] = `we"ird\name<TAB>tab`.
    let mut t = table(&["PID", "COMMAND"], None);
    row(&mut t, None, &["26047", "we\"ird\\name\ttab 20"]);
    assert_eq!(text(&t), "  PID COMMAND\n26047 we\"ird\\name\\x09tab 20\n");
    t.set_raw(true);
    assert_eq!(
        text(&t),
        "PID COMMAND\n26047 we\"ird\\x5cname\\x09tab\\x2020\n"
    );
    t.set_json(true);
    assert!(text(&t).contains("\"command\": \"we\\\"ird\\\\name\\ttab 20\"\n"));
}

#[test]
fn safe_encoding_rules() {
    let enc = |d: &[u8], utf8| {
        let (e, w) = render::tests_safe_encode(d, utf8);
        (String::from_utf8(e).unwrap(), w)
    };
    assert_eq!(enc("é└".as_bytes(), true), ("é└".to_owned(), 2));
    assert_eq!(enc("é".as_bytes(), false), ("\\xc3\\xa9".to_owned(), 8));
    assert_eq!(
        enc(b"\xff\\x\x7f", true),
        ("\\xff\\x5cx\\x7f".to_owned(), 13)
    );
    assert_eq!(enc("漢".as_bytes(), true), ("漢".to_owned(), 2));
    assert_eq!(enc("\u{85}".as_bytes(), true), ("\\xc2\\x85".to_owned(), 8));
}

/// A small owner tree (`user` over `net`, then `uts` alone) in JSON.
fn json_tree(format: JsonFormat) -> Table {
    let mut t = table(&["NS", "TYPE", "PID"], Some("NS"));
    t.set_json(true);
    t.set_json_format(format);
    let user = row(&mut t, None, &["1", "user", "7"]);
    row(&mut t, Some(user), &["2", "net", ""]);
    row(&mut t, None, &["3", "uts", "9"]);
    t
}

#[test]
fn json_compact_and_lines() {
    // LIBSMARTCOLS_JSON=compact: the objects of the table's array each on a line.
    assert_eq!(
        text(&json_tree(JsonFormat::Compact)),
        "{\"namespaces\":[\n{\"ns\":1,\"type\":\"user\",\"pid\":7,\"children\":[{\"ns\":2,\"type\":\"net\",\"pid\":null}]},\n{\"ns\":3,\"type\":\"uts\",\"pid\":9}\n]}\n"
    );
    // LIBSMARTCOLS_JSON=lines: one object per line, "children" with its colon (libsmartcols
    // 2.42 writes `"children"[`).
    assert_eq!(
        text(&json_tree(JsonFormat::Lines)),
        "{\"ns\":1,\"type\":\"user\",\"pid\":7,\"children\":[{\"ns\":2,\"type\":\"net\",\"pid\":null}]}\n{\"ns\":3,\"type\":\"uts\",\"pid\":9}\n"
    );
    // An empty table: the empty array, or nothing at all.
    let mut t = table(&["NS"], None);
    t.set_json(true);
    t.set_json_format(JsonFormat::Compact);
    assert_eq!(text(&t), "{\"namespaces\":[\n]}\n");
    t.set_json_format(JsonFormat::Lines);
    assert_eq!(text(&t), "");
}

/// A table whose second column holds nested JSON values (as `cgget -J` makes it).
fn nested_table(format: JsonFormat) -> Table {
    let mut t = Table::new("cgroups");
    t.set_utf8(true);
    for name in ["NAME", "SETTINGS"] {
        t.add_column(ColumnSpec::plain(name, DataType::String));
    }
    let n = |t: &str| JsonValue::number(t).unwrap();
    let settings = JsonValue::Object(vec![
        ("cpu.weight".into(), n("100")),
        (
            "io.pressure".into(),
            JsonValue::Object(vec![(
                "some".into(),
                JsonValue::Object(vec![("avg10".into(), n("0.00")), ("total".into(), n("7"))]),
            )]),
        ),
        (
            "cgroup.procs".into(),
            JsonValue::Array(vec![n("1"), n("22")]),
        ),
        ("cgroup.threads".into(), JsonValue::Array(vec![])),
        ("memory.stat".into(), JsonValue::Object(vec![])),
        ("Read".into(), JsonValue::String("max \"x\"".into())),
        ("memory.force_empty".into(), JsonValue::Null),
        ("on".into(), JsonValue::Bool(true)),
    ]);
    for (name, json) in [("a", Some(settings)), ("b", None)] {
        let l = t.add_line(None);
        t.set(l, 0, name);
        t.set(l, 1, format!("text of {name}"));
        if let Some(json) = json {
            t.set_json_value(l, 1, json);
        }
    }
    t.set_json(true);
    t.set_json_format(format);
    t
}

#[test]
fn nested_json_values() {
    let out = |format| text(&nested_table(format));
    assert_eq!(
        out(JsonFormat::Pretty),
        r#"{
   "cgroups": [
      {
         "name": "a",
         "settings": {
            "cpu.weight": 100,
            "io.pressure": {
               "some": {
                  "avg10": 0.00,
                  "total": 7
               }
            },
            "cgroup.procs": [
                1, 22
            ],
            "cgroup.threads": [],
            "memory.stat": {},
            "Read": "max \"x\"",
            "memory.force_empty": null,
            "on": true
         }
      },{
         "name": "b",
         "settings": "text of b"
      }
   ]
}
"#
    );
    assert_eq!(
        out(JsonFormat::Compact),
        r#"{"cgroups":[
{"name":"a","settings":{"cpu.weight":100,"io.pressure":{"some":{"avg10":0.00,"total":7}},"cgroup.procs":[1,22],"cgroup.threads":[],"memory.stat":{},"Read":"max \"x\"","memory.force_empty":null,"on":true}},
{"name":"b","settings":"text of b"}
]}
"#
    );
    assert_eq!(
        out(JsonFormat::Lines),
        r#"{"name":"a","settings":{"cpu.weight":100,"io.pressure":{"some":{"avg10":0.00,"total":7}},"cgroup.procs":[1,22],"cgroup.threads":[],"memory.stat":{},"Read":"max \"x\"","memory.force_empty":null,"on":true}}
{"name":"b","settings":"text of b"}
"#
    );
    // The text form stays the text.
    let mut t = nested_table(JsonFormat::Pretty);
    t.set_json(false);
    t.set_raw(true);
    assert_eq!(
        text(&t),
        "NAME SETTINGS\na text\\x20of\\x20a\nb text\\x20of\\x20b\n"
    );
}

#[test]
fn json_numbers() {
    for good in [
        "0",
        "-1",
        "12",
        "0.00",
        "1.5e3",
        "2E-7",
        "18446744073709551615",
    ] {
        assert!(JsonValue::number(good).is_some(), "{good}");
    }
    for bad in [
        "", "-", "max", "007", "1.", ".5", " 1", "1 ", "1e", "+1", "0x10", "1,5",
    ] {
        assert!(JsonValue::number(bad).is_none(), "{bad}");
    }
    assert_eq!(
        JsonValue::number("42"),
        Some(JsonValue::Number(JsonNumber("42".into())))
    );
}
