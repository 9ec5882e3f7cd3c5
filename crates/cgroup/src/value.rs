//! The structure of a setting's value, for JSON output (`cgget -J`): one number, text, a
//! list (`cgroup.procs`), or keys with values (`memory.stat`, `io.stat`, `cpu.pressure`).
//!
//! The kernel's cgroup files come in a few formats (the kernel's cgroup-v2.rst, "Interface
//! Files"): one value; values one per line or separated by blanks; flat keyed (`key value`
//! per line); nested keyed (`key sub=value sub=value` per line). v1 adds `device operation
//! value` lines (`8:0 Read 4096`, ending with `Total value`) in the blkio statistics, and
//! lines of pairs only (`total=5 N0=5`) in `memory.numa_stat`. A file's
//! name tells which format to expect, since the text alone cannot (`max 0` is `pids.events`'
//! one key, `max 100000` is `cpu.max`'s two values); a keyed file whose text does not parse
//! as expected (`cgroup.pressure` holds `1`) is typed as one value instead.

/// A setting's value, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Nothing: an empty file, or one that cannot be read (a write-only file such as
    /// `memory.force_empty`, which cgget shows with an empty value).
    Empty,
    /// One number, as the file writes it (`100`, `-5`, `0.00`).
    Number(String),
    /// Anything else, without the trailing newline: `max`, `max 100000`, `0-3`, lines that
    /// fit no format.
    Text(String),
    /// Items, one per line or per blank-separated word, each a number or text.
    List(Vec<Value>),
    /// Keys with their values, in the file's order; a nested keyed line's value is keyed
    /// itself.
    Keyed(Vec<(String, Value)>),
}

/// The format a file's name announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Single,
    List,
    Keyed,
    Text,
}

/// Files of values one per line or separated by blanks.
const LISTS: &[&str] = &[
    "cgroup.procs",
    "cgroup.threads",
    "tasks",
    "cgroup.controllers",
    "cgroup.subtree_control",
    "cpuacct.usage_percpu",
    "cpuacct.usage_percpu_user",
    "cpuacct.usage_percpu_sys",
];

/// Keyed files by their whole name (others by [`KEYED_SUFFIXES`], and v1's `blkio.*`).
const KEYED: &[&str] = &[
    "memory.oom_control",
    "cpuacct.stat",
    "io.max",
    "io.weight",
    "io.bfq.weight",
    "io.latency",
    "io.cost.qos",
    "io.cost.model",
    "rdma.max",
    "rdma.current",
    "misc.max",
    "misc.current",
    "misc.capacity",
    "misc.peak",
    "net_prio.ifpriomap",
];

/// Keyed files by the end of their name: `cpu.stat`, `memory.events.local`, `io.pressure`.
const KEYED_SUFFIXES: &[&str] = &[
    ".stat",
    ".stat.local",
    ".events",
    ".events.local",
    ".pressure",
    ".numa_stat",
];

fn format_of(name: &str) -> Format {
    if LISTS.contains(&name) {
        Format::List
    } else if KEYED.contains(&name)
        || KEYED_SUFFIXES.iter().any(|s| name.ends_with(s))
        || name.starts_with("blkio.")
    {
        Format::Keyed
    } else if name
        .strip_prefix("cpuset.")
        .is_some_and(|rest| rest.contains("cpus") || rest.contains("mems"))
    {
        // CPU and node lists (`0-3,8`): text even when they happen to be one number.
        Format::Text
    } else {
        Format::Single
    }
}

/// `value` (a file's content, as read) typed by the format the setting `name` announces.
pub fn typed(name: &str, value: &str) -> Value {
    let text = value.trim_end();
    if text.trim_start().is_empty() {
        return match format_of(name) {
            Format::List => Value::List(Vec::new()),
            Format::Keyed => Value::Keyed(Vec::new()),
            Format::Single | Format::Text => Value::Empty,
        };
    }
    match format_of(name) {
        Format::List => Value::List(text.split_whitespace().map(word).collect()),
        Format::Keyed => keyed(text).unwrap_or_else(|| single(text)),
        Format::Single => single(text),
        Format::Text => Value::Text(text.to_owned()),
    }
}

/// One value: a number when the text is one, text otherwise.
fn single(text: &str) -> Value {
    let trimmed = text.trim();
    if is_number(trimmed) {
        Value::Number(trimmed.to_owned())
    } else {
        Value::Text(text.to_owned())
    }
}

/// One word of a line: a number or text.
fn word(w: &str) -> Value {
    if is_number(w) {
        Value::Number(w.to_owned())
    } else {
        Value::Text(w.to_owned())
    }
}

/// A decimal number as the kernel writes one: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
fn is_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit());
    digits(int) && (int == "0" || !int.starts_with('0')) && frac.is_none_or(digits)
}

/// The lines of a keyed file, or `None` when one of them fits no keyed form or a key comes
/// twice with values that cannot merge.
fn keyed(text: &str) -> Option<Value> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (&first, rest) = words.split_first()?;
        // v1's `memory.numa_stat`: `total=5 N0=5`, keyed by the first pair's name, which
        // stays among its members.
        let (key, rest) = match first.split_once('=') {
            Some((key, _)) => (key, words.as_slice()),
            None => (first, rest),
        };
        let value = match rest {
            // `usage_usec 123`
            [v] if !v.contains('=') && !first.contains('=') => word(v),
            // `8:0 rbytes=1 wbytes=2`, `some avg10=0.00 total=7`
            pairs if !pairs.is_empty() && pairs.iter().all(|p| p.contains('=')) => {
                let mut members = Vec::new();
                for p in pairs {
                    let (k, v) = p.split_once('=')?;
                    if k.is_empty() {
                        return None;
                    }
                    members.push((k.to_owned(), word(v)));
                }
                Value::Keyed(members)
            }
            // v1 blkio: `8:0 Read 4096`, merged per device.
            [op, v] if !first.contains('=') && !op.contains('=') && !v.contains('=') => {
                Value::Keyed(vec![((*op).to_owned(), word(v))])
            }
            _ => return None,
        };
        match out.iter_mut().find(|(k, _)| k == key) {
            None => out.push((key.to_owned(), value)),
            Some((_, Value::Keyed(members))) => match value {
                Value::Keyed(more) => members.extend(more),
                _ => return None,
            },
            Some(_) => return None,
        }
    }
    Some(Value::Keyed(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Value {
        Value::Number(s.to_owned())
    }

    fn t(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    fn k(members: &[(&str, Value)]) -> Value {
        Value::Keyed(
            members
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn single_values() {
        assert_eq!(typed("cpu.weight", "100\n"), n("100"));
        assert_eq!(typed("cpu.weight.nice", "-5\n"), n("-5"));
        assert_eq!(typed("cpu.uclamp.min", "0.00\n"), n("0.00"));
        assert_eq!(typed("memory.max", "max\n"), t("max"));
        assert_eq!(typed("cpu.max", "max 100000\n"), t("max 100000"));
        assert_eq!(typed("memory.force_empty", ""), Value::Empty);
        // Odd input: trailing blank lines, blanks, a number with a leading zero, a sign.
        assert_eq!(typed("pids.current", "3\n\n\n"), n("3"));
        assert_eq!(typed("pids.current", "  \n"), Value::Empty);
        assert_eq!(typed("cgroup.freeze", "007\n"), t("007"));
        assert_eq!(typed("cgroup.freeze", "+1\n"), t("+1"));
        assert_eq!(typed("cgroup.freeze", "1.\n"), t("1."));
        assert_eq!(
            typed("devices.list", "a *:* rwm\nc 1:3 r\n"),
            t("a *:* rwm\nc 1:3 r")
        );
        // CPU lists are text, even as one number.
        assert_eq!(typed("cpuset.cpus.effective", "0\n"), t("0"));
        assert_eq!(typed("cpuset.mems", "0-1\n"), t("0-1"));
        assert_eq!(typed("cpuset.cpus", ""), Value::Empty);
        assert_eq!(typed("cpuset.cpu_exclusive", "1\n"), n("1"));
    }

    #[test]
    fn lists() {
        assert_eq!(
            typed("cgroup.procs", "12\n345\n"),
            Value::List(vec![n("12"), n("345")])
        );
        assert_eq!(typed("cgroup.procs", ""), Value::List(vec![]));
        assert_eq!(typed("tasks", "\n\n"), Value::List(vec![]));
        assert_eq!(
            typed("cgroup.controllers", "cpuset cpu io memory pids\n"),
            Value::List(["cpuset", "cpu", "io", "memory", "pids"].map(t).to_vec())
        );
        assert_eq!(typed("cgroup.subtree_control", "\n"), Value::List(vec![]));
        assert_eq!(
            typed("cpuacct.usage_percpu", "1234 5678 \n"),
            Value::List(vec![n("1234"), n("5678")])
        );
    }

    #[test]
    fn flat_keyed() {
        assert_eq!(
            typed(
                "cpu.stat",
                "usage_usec 1043\nuser_usec 900\nnr_throttled 0\n"
            ),
            k(&[
                ("usage_usec", n("1043")),
                ("user_usec", n("900")),
                ("nr_throttled", n("0"))
            ])
        );
        assert_eq!(
            typed(
                "memory.events",
                "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n\n"
            ),
            k(&[
                ("low", n("0")),
                ("high", n("0")),
                ("max", n("3")),
                ("oom", n("1")),
                ("oom_kill", n("1"))
            ])
        );
        // One line is one key, not a pair of values.
        assert_eq!(typed("pids.events", "max 0\n"), k(&[("max", n("0"))]));
        assert_eq!(typed("memory.stat", ""), k(&[]));
        assert_eq!(
            typed(
                "memory.oom_control",
                "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"
            ),
            k(&[
                ("oom_kill_disable", n("0")),
                ("under_oom", n("0")),
                ("oom_kill", n("2"))
            ])
        );
        // A value that is not a number stays text; a line without a value, or a key that
        // comes twice, makes the whole file one text.
        assert_eq!(
            typed("memory.stat", "anon 5\nfile x\n"),
            k(&[("anon", n("5")), ("file", t("x"))])
        );
        assert_eq!(typed("memory.stat", "anon 5\nfile\n"), t("anon 5\nfile"));
        assert_eq!(
            typed("memory.stat", "anon 5\nanon 6\n"),
            t("anon 5\nanon 6")
        );
        // A keyed name holding one value.
        assert_eq!(typed("cgroup.pressure", "1\n"), n("1"));
    }

    #[test]
    fn nested_keyed() {
        assert_eq!(
            typed(
                "io.stat",
                "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n259:0 rbytes=1 wbytes=2\n"
            ),
            k(&[
                (
                    "8:0",
                    k(&[
                        ("rbytes", n("4096")),
                        ("wbytes", n("0")),
                        ("rios", n("1")),
                        ("wios", n("0")),
                        ("dbytes", n("0")),
                        ("dios", n("0"))
                    ])
                ),
                ("259:0", k(&[("rbytes", n("1")), ("wbytes", n("2"))]))
            ])
        );
        assert_eq!(typed("io.stat", ""), k(&[]));
        assert_eq!(
            typed(
                "memory.pressure",
                "some avg10=0.00 avg60=1.50 avg300=0.00 total=7\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
            ),
            k(&[
                (
                    "some",
                    k(&[
                        ("avg10", n("0.00")),
                        ("avg60", n("1.50")),
                        ("avg300", n("0.00")),
                        ("total", n("7"))
                    ])
                ),
                (
                    "full",
                    k(&[
                        ("avg10", n("0.00")),
                        ("avg60", n("0.00")),
                        ("avg300", n("0.00")),
                        ("total", n("0"))
                    ])
                )
            ])
        );
        assert_eq!(
            typed("io.max", "8:0 rbps=max wbps=1048576 riops=max wiops=max\n"),
            k(&[(
                "8:0",
                k(&[
                    ("rbps", t("max")),
                    ("wbps", n("1048576")),
                    ("riops", t("max")),
                    ("wiops", t("max"))
                ])
            )])
        );
        assert_eq!(
            typed("io.weight", "default 100\n8:16 200\n"),
            k(&[("default", n("100")), ("8:16", n("200"))])
        );
        // An empty sub-key is not keyed.
        assert_eq!(typed("io.stat", "8:0 =1\n"), t("8:0 =1"));
        // v1 blkio: operations merged per device, then the total.
        assert_eq!(
            typed(
                "blkio.throttle.io_service_bytes",
                "8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n"
            ),
            k(&[
                (
                    "8:0",
                    k(&[("Read", n("4096")), ("Write", n("0")), ("Total", n("4096"))])
                ),
                ("Total", n("4096"))
            ])
        );
        assert_eq!(typed("blkio.weight", "500\n"), n("500"));
        // v1 memory.numa_stat: pairs only, keyed by the first.
        assert_eq!(
            typed("memory.numa_stat", "total=7 N0=5 N1=2\nanon=0 N0=0 N1=0\n"),
            k(&[
                (
                    "total",
                    k(&[("total", n("7")), ("N0", n("5")), ("N1", n("2"))])
                ),
                (
                    "anon",
                    k(&[("anon", n("0")), ("N0", n("0")), ("N1", n("0"))])
                )
            ])
        );
        // v2 memory.numa_stat.
        assert_eq!(
            typed("memory.numa_stat", "anon N0=4096\n"),
            k(&[("anon", k(&[("N0", n("4096"))]))])
        );
        // A lone pair with an empty name is not keyed.
        assert_eq!(typed("memory.numa_stat", "=1\n"), t("=1"));
        assert_eq!(typed("blkio.throttle.read_bps_device", ""), k(&[]));
    }
}
