//! What one refresh shows, whatever shows it: the batch text, the JSON lines and the
//! interactive screen all print a [`View`] that [`build`] made from two samples and the
//! [`Settings`] (which the command line sets and the screen's keys change).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use cgroup::GroupPath;
use cgroup::stats::{Counters, Limit, Pressure, Sample, Wanted};

/// A column of the view. The group path is always shown first; the others in [`Column::ALL`]
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// The group's path (`/` for the top).
    Path,
    /// Tasks: `pids.current`, else the group's own processes.
    Tasks,
    /// CPU use between the two samples, in percent of one CPU (or CPU time, see
    /// [`Settings::cpu_time`]).
    Cpu,
    /// Memory in use.
    Memory,
    /// Bytes read per second.
    Input,
    /// Bytes written per second.
    Output,
    /// The memory limit.
    MemoryMax,
    /// Swap in use.
    Swap,
    /// `pids.max`.
    TasksMax,
    /// Periods throttled (cumulative).
    Throttled,
    /// Time throttled (cumulative).
    ThrottledTime,
    /// OOM kills (cumulative).
    OomKills,
    /// `cpu.pressure` some avg10.
    CpuPressure,
    /// `memory.pressure` some avg10.
    MemoryPressure,
    /// `io.pressure` some avg10.
    IoPressure,
}

impl Column {
    /// Every column but the path, in the order they are shown.
    pub const ALL: [Column; 14] = [
        Column::Tasks,
        Column::Cpu,
        Column::Memory,
        Column::Input,
        Column::Output,
        Column::MemoryMax,
        Column::Swap,
        Column::TasksMax,
        Column::Throttled,
        Column::ThrottledTime,
        Column::OomKills,
        Column::CpuPressure,
        Column::MemoryPressure,
        Column::IoPressure,
    ];

    /// The header text (systemd-cgtop's for the columns it has).
    pub fn title(&self) -> &'static str {
        match self {
            Column::Path => "Control Group",
            Column::Tasks => "Tasks",
            Column::Cpu => "%CPU",
            Column::Memory => "Memory",
            Column::Input => "Input/s",
            Column::Output => "Output/s",
            Column::MemoryMax => "MemMax",
            Column::Swap => "Swap",
            Column::TasksMax => "TasksMax",
            Column::Throttled => "Thrott",
            Column::ThrottledTime => "ThrTime",
            Column::OomKills => "OOM",
            Column::CpuPressure => "PsiCPU",
            Column::MemoryPressure => "PsiMem",
            Column::IoPressure => "PsiIO",
        }
    }

    /// The header text of [`Column::Cpu`] when it shows time.
    pub const CPU_TIME_TITLE: &'static str = "CPU Time";

    /// The batch text's width for the column (the path's is the longest path's). Wide
    /// enough for the human-readable form; raw numbers may be wider and push the line.
    pub fn width(&self) -> usize {
        match self {
            Column::Path => 0,
            Column::Tasks => 7,
            Column::Cpu => 6,
            Column::OomKills => 5,
            Column::CpuPressure | Column::MemoryPressure | Column::IoPressure => 6,
            _ => 8,
        }
    }

    /// Whether the column is aligned right (all but the path).
    pub fn right(&self) -> bool {
        *self != Column::Path
    }

    /// The key that orders by this column (systemd-cgtop's `p t c m i`, and ours), the
    /// same letter as the short option for the five systemd-cgtop has.
    pub fn key(&self) -> Option<char> {
        match self {
            Column::Path => Some('p'),
            Column::Tasks => Some('t'),
            Column::Cpu => Some('c'),
            Column::Memory => Some('m'),
            Column::Input | Column::Output => Some('i'),
            Column::Swap => Some('s'),
            Column::Throttled | Column::ThrottledTime => Some('y'),
            Column::OomKills => Some('o'),
            Column::CpuPressure | Column::MemoryPressure | Column::IoPressure => Some('u'),
            Column::MemoryMax | Column::TasksMax => None,
        }
    }

    /// The `--order=` name of the order this column sets.
    pub fn order_name(&self) -> Option<&'static str> {
        match self {
            Column::Path => Some("path"),
            Column::Tasks => Some("tasks"),
            Column::Cpu => Some("cpu"),
            Column::Memory => Some("memory"),
            Column::Input | Column::Output => Some("io"),
            Column::Swap => Some("swap"),
            Column::Throttled | Column::ThrottledTime => Some("throttle"),
            Column::OomKills => Some("oom"),
            Column::CpuPressure | Column::MemoryPressure | Column::IoPressure => Some("pressure"),
            Column::MemoryMax | Column::TasksMax => None,
        }
    }

    /// The column an order key selects (the first one with that key).
    pub fn by_key(key: char) -> Option<Column> {
        std::iter::once(Column::Path)
            .chain(Column::ALL)
            .find(|c| c.key() == Some(key))
    }

    /// The column an `--order=` name selects.
    pub fn by_order_name(name: &str) -> Option<Column> {
        std::iter::once(Column::Path)
            .chain(Column::ALL)
            .find(|c| c.order_name() == Some(name))
    }

    /// The counters this column needs read.
    fn wants(&self, wanted: &mut Wanted) {
        match self {
            Column::Path | Column::Tasks => {}
            Column::Cpu => wanted.cpu = true,
            Column::Memory | Column::MemoryMax => wanted.memory = true,
            Column::Input | Column::Output => wanted.io = true,
            Column::Swap => wanted.swap = true,
            Column::TasksMax => wanted.pids_max = true,
            Column::Throttled | Column::ThrottledTime => wanted.throttle = true,
            Column::OomKills => wanted.oom = true,
            Column::CpuPressure | Column::MemoryPressure | Column::IoPressure => {
                wanted.pressure = true;
            }
        }
    }
}

/// One cell's value, raw; [`Value::text`] formats it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A count (tasks, periods, kills).
    Count(u64),
    /// Bytes.
    Bytes(u64),
    /// Bytes per second.
    BytesPerSec(f64),
    /// Percent of one CPU.
    Percent(f64),
    /// A time, in microseconds.
    Usec(u64),
    /// A PSI average, in percent.
    Pressure(f64),
    /// A limit that is not set (`max`).
    Unlimited,
}

impl Value {
    /// The cell as the batch text prints it (and the screen draws it): sizes in
    /// systemd-cgtop's human-readable form (`1.5M`) unless `raw`, percentages with one
    /// decimal, times as `1h2min`, `3.25s`, `120ms`.
    pub fn text(&self, raw: bool) -> String {
        match *self {
            Value::Count(n) => n.to_string(),
            Value::Bytes(n) if raw => n.to_string(),
            Value::Bytes(n) => human_bytes(n as f64),
            Value::BytesPerSec(r) if raw => format!("{}", r.round() as u64),
            Value::BytesPerSec(r) => human_bytes(r),
            Value::Percent(p) => format!("{p:.1}"),
            Value::Usec(us) if raw => us.to_string(),
            Value::Usec(us) => human_time(us),
            Value::Pressure(p) => format!("{p:.2}"),
            Value::Unlimited => "max".to_owned(),
        }
    }

    /// The number ordering compares (an unset limit above every number).
    fn magnitude(&self) -> f64 {
        match *self {
            Value::Count(n) | Value::Bytes(n) | Value::Usec(n) => n as f64,
            Value::BytesPerSec(r) | Value::Percent(r) | Value::Pressure(r) => r,
            Value::Unlimited => f64::INFINITY,
        }
    }
}

/// Bytes as systemd-cgtop prints them: `B`, `K`, `M`, `G`, `T`, `P`, `E` in powers of 1024,
/// one decimal below 10 units... as systemd's `format_bytes`: one decimal always but for
/// bytes.
fn human_bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024.0 {
        return format!("{}B", n.round() as u64);
    }
    let mut value = n / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1}{}", UNITS[unit])
}

/// A time as systemd's `format_timespan` with a 10 ms accuracy shows it, shortened to its
/// two largest units: `1h 2min` is `1h2min`, `3.25s`, `120ms`, `0`.
fn human_time(us: u64) -> String {
    const MIN: u64 = 60_000_000;
    const HOUR: u64 = 60 * MIN;
    if us == 0 {
        return "0".to_owned();
    }
    if us >= HOUR {
        return format!("{}h{}min", us / HOUR, us % HOUR / MIN);
    }
    if us >= MIN {
        return format!("{}min{}s", us / MIN, us % MIN / 1_000_000);
    }
    if us >= 1_000_000 {
        return format!("{:.2}s", us as f64 / 1e6);
    }
    format!("{}ms", us / 1000)
}

/// One group's line.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The group's path, `/` for the top group.
    pub path: String,
    /// How many levels below the view's top group (the filter, else the root) it is: 0
    /// for the top group itself.
    pub depth: usize,
    /// The cells, one for each of the view's columns (`None`: nothing to show, printed
    /// `-`).
    pub cells: Vec<Option<Value>>,
    /// The counters the cells came from, and the rates (for the JSON lines).
    pub counters: Counters,
    /// CPU use between the two samples, percent of one CPU.
    pub cpu_percent: Option<f64>,
    /// Bytes read per second between the two samples.
    pub read_rate: Option<f64>,
    /// Bytes written per second between the two samples.
    pub write_rate: Option<f64>,
}

impl Row {
    /// Cell `index` as the batch text prints it: the value's text, or `-`.
    pub fn text(&self, index: usize, raw: bool) -> String {
        self.cells
            .get(index)
            .copied()
            .flatten()
            .map_or_else(|| "-".to_owned(), |v| v.text(raw))
    }
}

/// What a view adds up to, for a header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Groups sampled (before the depth cut).
    pub groups: usize,
    /// CPUs this process may run on (100 % each).
    pub cpus: usize,
    /// The time between the two samples; `None` for the first refresh.
    pub interval: Option<Duration>,
}

/// One refresh, ready to print: sorted, filtered and cut to depth.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The columns after the path, in order.
    pub columns: Vec<Column>,
    /// The lines, in order.
    pub rows: Vec<Row>,
    /// When the (newer) sample was taken.
    pub at: SystemTime,
    /// Totals.
    pub totals: Totals,
}

/// What to show and how; the command line sets it, the screen's keys change it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The column ordered by.
    pub sort: Column,
    /// Reverse the order (numbers are largest first, paths A to Z, unless reversed).
    pub reverse: bool,
    /// The deepest level shown below the top group (`Some(0)`: the top group only).
    pub depth: Option<usize>,
    /// Only this group and its descendants, or, when no group has this path, the groups
    /// whose paths start with it and their descendants (the operand).
    pub filter: Option<GroupPath>,
    /// A tree (each group's children after it, siblings in order) or one flat list.
    pub tree: bool,
    /// Time between refreshes.
    pub delay: Duration,
    /// Raw numbers (bytes, microseconds) instead of human-readable ones.
    pub raw: bool,
    /// Show [`Column::Cpu`] as CPU time used rather than percent.
    pub cpu_time: bool,
    /// The columns after the path.
    pub columns: Vec<Column>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sort: Column::Cpu,
            reverse: false,
            depth: Some(3),
            filter: None,
            tree: true,
            delay: Duration::from_secs(1),
            raw: false,
            cpu_time: false,
            columns: Column::ALL.to_vec(),
        }
    }
}

impl Settings {
    /// The counters the columns need.
    pub fn wanted(&self) -> Wanted {
        let mut wanted = Wanted::default();
        for c in &self.columns {
            c.wants(&mut wanted);
        }
        self.sort.wants(&mut wanted);
        wanted
    }
}

/// The change of a cumulative counter per second; `None` when either sample lacks it or it
/// went back (the group was made anew under the same path).
fn rate(prev: Option<u64>, cur: Option<u64>, seconds: f64) -> Option<f64> {
    let (prev, cur) = (prev?, cur?);
    (cur >= prev && seconds > 0.0).then(|| (cur - prev) as f64 / seconds)
}

fn limit_value(limit: Option<Limit>) -> Option<Value> {
    limit.map(|l| match l {
        Limit::Unlimited => Value::Unlimited,
        Limit::Value(n) => Value::Bytes(n),
    })
}

fn pressure_value(p: Option<Pressure>) -> Option<Value> {
    p.map(|p| Value::Pressure(p.some_avg10))
}

/// The rows of `cur`, rates against `prev` (none for the first refresh).
fn row(
    path: &GroupPath,
    depth: usize,
    counters: &Counters,
    prev: Option<(&Counters, f64)>,
    settings: &Settings,
) -> Row {
    let rate_of = |get: fn(&Counters) -> Option<u64>| {
        prev.and_then(|(p, seconds)| rate(get(p), get(counters), seconds))
    };
    let cpu_percent = rate_of(|c| c.cpu_usage_usec).map(|per_sec| per_sec / 10_000.0);
    let read_rate = rate_of(|c| c.io_read_bytes);
    let write_rate = rate_of(|c| c.io_write_bytes);
    let cells = settings
        .columns
        .iter()
        .map(|column| match column {
            Column::Path => None,
            Column::Tasks => counters.tasks().map(Value::Count),
            Column::Cpu if settings.cpu_time => counters.cpu_usage_usec.map(Value::Usec),
            Column::Cpu => cpu_percent.map(Value::Percent),
            Column::Memory => counters.memory_current.map(Value::Bytes),
            Column::Input => read_rate.map(Value::BytesPerSec),
            Column::Output => write_rate.map(Value::BytesPerSec),
            Column::MemoryMax => limit_value(counters.memory_max),
            Column::Swap => counters.swap_current.map(Value::Bytes),
            Column::TasksMax => counters.pids_max.map(|l| match l {
                Limit::Unlimited => Value::Unlimited,
                Limit::Value(n) => Value::Count(n),
            }),
            Column::Throttled => counters.cpu_throttled.map(Value::Count),
            Column::ThrottledTime => counters.cpu_throttled_usec.map(Value::Usec),
            Column::OomKills => counters.oom_kills.map(Value::Count),
            Column::CpuPressure => pressure_value(counters.cpu_pressure),
            Column::MemoryPressure => pressure_value(counters.memory_pressure),
            Column::IoPressure => pressure_value(counters.io_pressure),
        })
        .collect();
    Row {
        path: path.to_string(),
        depth,
        cells,
        counters: counters.clone(),
        cpu_percent,
        read_rate,
        write_rate,
    }
}

/// The number a row is ordered by, for `column`.
fn sort_value(row: &Row, column: Column, settings: &Settings) -> Option<f64> {
    let c = &row.counters;
    match column {
        Column::Path => None,
        Column::Tasks => c.tasks().map(|n| n as f64),
        Column::Cpu if settings.cpu_time => c.cpu_usage_usec.map(|n| n as f64),
        Column::Cpu => row.cpu_percent,
        Column::Memory => c.memory_current.map(|n| n as f64),
        Column::Input | Column::Output => match (row.read_rate, row.write_rate) {
            (None, None) => None,
            (r, w) => Some(r.unwrap_or(0.0) + w.unwrap_or(0.0)),
        },
        Column::MemoryMax => limit_value(c.memory_max).map(|v| v.magnitude()),
        Column::Swap => c.swap_current.map(|n| n as f64),
        Column::TasksMax => c.pids_max.map(|l| match l {
            Limit::Unlimited => f64::INFINITY,
            Limit::Value(n) => n as f64,
        }),
        Column::Throttled | Column::ThrottledTime => c.cpu_throttled_usec.map(|n| n as f64),
        Column::OomKills => c.oom_kills.map(|n| n as f64),
        Column::CpuPressure | Column::MemoryPressure | Column::IoPressure => {
            [c.cpu_pressure, c.memory_pressure, c.io_pressure]
                .into_iter()
                .flatten()
                .map(|p| p.some_avg10)
                .reduce(f64::max)
        }
    }
}

/// The order of two rows' sort values: largest first, reversed on request, rows without a
/// value last either way.
fn compare(a: Option<f64>, b: Option<f64>, reverse: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => {
            let larger_first = y.total_cmp(&x);
            if reverse {
                larger_first.reverse()
            } else {
                larger_first
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The indices of `rows` (which are in path order) in the order of `settings`: by the sort
/// column (see [`compare`]), ties by path; by path A to Z, or Z to A reversed. The sort is
/// stable over indices already in path order, so no two paths are ever compared.
fn order(rows: &[Row], settings: &Settings) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    if settings.sort == Column::Path {
        if settings.reverse {
            order.reverse();
        }
        return order;
    }
    let values: Vec<Option<f64>> = rows
        .iter()
        .map(|row| sort_value(row, settings.sort, settings))
        .collect();
    order.sort_by(|&a, &b| compare(values[a], values[b], settings.reverse));
    order
}

/// How many levels `path` is below `top`; `None` when it is not in `top`'s subtree.
fn depth_below(path: &GroupPath, top: &GroupPath) -> Option<usize> {
    if top.is_root() {
        return Some(if path.is_root() {
            0
        } else {
            path.as_str().split('/').count()
        });
    }
    let rest = path.as_str().strip_prefix(top.as_str())?;
    if rest.is_empty() {
        return Some(0);
    }
    let rest = rest.strip_prefix('/')?;
    Some(rest.split('/').count())
}

/// The depth of `path` in the view, `None` when the filter leaves it out. A filter naming
/// a group (`filter_is_group`) shows that group and its subtree, depths counted from it;
/// any other filter shows the groups whose paths start with it and their subtrees, depths
/// counted from those groups (`/nsutils-limits-` shows every `/nsutils-limits-*`).
fn depth_in_view(
    path: &GroupPath,
    filter: Option<&GroupPath>,
    filter_is_group: bool,
) -> Option<usize> {
    match filter {
        None => depth_below(path, &GroupPath::root()),
        Some(group) if filter_is_group => depth_below(path, group),
        Some(prefix) => {
            if !path.as_str().starts_with(prefix.as_str()) {
                return None;
            }
            let parent = prefix.parent().unwrap_or_else(GroupPath::root);
            depth_below(path, &parent)?.checked_sub(1)
        }
    }
}

/// The view of `cur` (rates against `prev`, when there is one) under `settings`.
pub fn build(prev: Option<&Sample>, cur: &Sample, settings: &Settings) -> View {
    let interval = prev.map(|p| cur.at.saturating_duration_since(p.at));
    let seconds = interval.map_or(0.0, |d| d.as_secs_f64());
    let filter = settings.filter.as_ref();
    let filter_is_group = filter.is_some_and(|f| cur.groups.contains_key(f));
    // Both samples are in path order: the previous counters of a group are found by walking
    // the previous sample alongside (a lookup for each would compare paths ten times over).
    let mut previous = prev.map(|p| p.groups.iter().peekable());
    let rows: Vec<Row> = cur
        .groups
        .iter()
        .filter_map(|(path, counters)| {
            let depth = depth_in_view(path, filter, filter_is_group)?;
            if settings.depth.is_some_and(|max| depth > max) {
                return None;
            }
            let before = previous.as_mut().and_then(|groups| {
                while groups.next_if(|(p, _)| *p < path).is_some() {}
                groups
                    .next_if(|(p, _)| *p == path)
                    .map(|(_, c)| (c, seconds))
            });
            Some(row(path, depth, counters, before, settings))
        })
        .collect();
    // Rows are big: order their indices, then move each row once.
    let mut order = order(&rows, settings);
    if settings.tree {
        order = tree_order(&rows, &order);
    }
    let mut slots: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    let rows = order.into_iter().filter_map(|i| slots[i].take()).collect();
    View {
        columns: settings.columns.clone(),
        rows,
        at: cur.wall,
        totals: Totals {
            groups: cur.groups.len(),
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            interval,
        },
    }
}

/// The rows in `sorted` order as a tree: each row followed by its descendants, siblings
/// keeping their order. A row whose parent is not shown hangs from its nearest shown
/// ancestor.
fn tree_order(rows: &[Row], sorted: &[usize]) -> Vec<usize> {
    let index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.path.as_str(), i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
    let mut roots = Vec::new();
    for &i in sorted {
        let mut parent = rows[i].path.as_str();
        let found = loop {
            if parent == "/" {
                break None;
            }
            parent = match parent.rsplit_once('/') {
                Some(("", _)) => "/",
                Some((p, _)) => p,
                None => break None,
            };
            if let Some(&p) = index.get(parent) {
                break Some(p);
            }
        };
        match found {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(rows.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }
    order
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn path(p: &str) -> GroupPath {
        GroupPath::parse(p).unwrap()
    }

    fn sample(at: Instant, groups: &[(&str, Counters)]) -> Sample {
        Sample {
            at,
            wall: SystemTime::UNIX_EPOCH,
            groups: groups.iter().map(|(p, c)| (path(p), c.clone())).collect(),
        }
    }

    fn cpu(usage: u64, memory: Option<u64>) -> Counters {
        Counters {
            cpu_usage_usec: Some(usage),
            memory_current: memory,
            io_read_bytes: Some(usage),
            ..Counters::default()
        }
    }

    fn paths(view: &View) -> Vec<&str> {
        view.rows.iter().map(|r| r.path.as_str()).collect()
    }

    #[test]
    fn rates_from_two_samples() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(2);
        let prev = sample(t0, &[("a", cpu(1_000_000, None)), ("b", cpu(500, None))]);
        let cur = sample(
            t1,
            &[
                ("a", cpu(1_500_000, None)),
                ("b", cpu(100, None)),
                ("c", cpu(7, None)),
            ],
        );
        let settings = Settings {
            columns: vec![Column::Cpu, Column::Input, Column::Memory],
            ..Settings::default()
        };
        let view = build(Some(&prev), &cur, &settings);
        assert_eq!(view.totals.interval, Some(Duration::from_secs(2)));
        let a = &view.rows[0];
        assert_eq!(a.path, "/a");
        // 0.5 s of CPU in 2 s: 25 %; 500000 bytes in 2 s.
        assert_eq!(a.cells[0], Some(Value::Percent(25.0)));
        assert_eq!(a.cells[1], Some(Value::BytesPerSec(250_000.0)));
        assert_eq!(a.text(0, false), "25.0");
        assert_eq!(a.text(1, false), "244.1K");
        assert_eq!(a.text(1, true), "250000");
        assert_eq!(a.text(2, false), "-", "absent memory");
        // A counter that went back (a new group under the old path), and a new group: no rate.
        let rest: Vec<_> = view.rows[1..]
            .iter()
            .map(|r| (&r.path[..], r.cells[0]))
            .collect();
        assert_eq!(rest, [("/b", None), ("/c", None)]);
        // The first refresh has none at all.
        let first = build(None, &cur, &settings);
        assert!(first.rows.iter().all(|r| r.cells[0].is_none()));
        assert_eq!(first.totals.interval, None);
        // CPU time instead of percent.
        let time = Settings {
            cpu_time: true,
            ..settings
        };
        let view = build(None, &cur, &time);
        assert_eq!(view.rows[0].cells[0], Some(Value::Usec(1_500_000)));
        assert_eq!(view.rows[0].text(0, false), "1.50s");
    }

    #[test]
    fn order_tree_depth_and_filter() {
        let t = Instant::now();
        let cur = sample(
            t,
            &[
                ("", cpu(0, Some(100))),
                ("a", cpu(0, Some(5))),
                ("a/x", cpu(0, Some(1))),
                ("a/y", cpu(0, Some(3))),
                ("a/y/deep", cpu(0, None)),
                ("b", cpu(0, Some(50))),
                ("ab", cpu(0, Some(7))),
            ],
        );
        let by_memory = Settings {
            sort: Column::Memory,
            depth: None,
            ..Settings::default()
        };
        let view = build(None, &cur, &by_memory);
        assert_eq!(
            paths(&view),
            ["/", "/b", "/ab", "/a", "/a/y", "/a/y/deep", "/a/x"]
        );
        assert_eq!(
            view.rows.iter().map(|r| r.depth).collect::<Vec<_>>(),
            [0, 1, 1, 1, 2, 3, 2]
        );
        let flat = Settings {
            tree: false,
            ..by_memory.clone()
        };
        // Largest first, the group without a value last.
        assert_eq!(
            paths(&build(None, &cur, &flat)),
            ["/", "/b", "/ab", "/a", "/a/y", "/a/x", "/a/y/deep"]
        );
        let reversed = Settings {
            reverse: true,
            ..flat.clone()
        };
        assert_eq!(
            paths(&build(None, &cur, &reversed)),
            ["/a/x", "/a/y", "/a", "/ab", "/b", "/", "/a/y/deep"]
        );
        let shallow = Settings {
            depth: Some(1),
            ..by_memory.clone()
        };
        assert_eq!(
            paths(&build(None, &cur, &shallow)),
            ["/", "/b", "/ab", "/a"]
        );
        // The filter is a subtree: /ab is not under /a; depth counts from the filter.
        let under_a = Settings {
            filter: Some(path("a")),
            depth: Some(1),
            sort: Column::Path,
            ..Settings::default()
        };
        let view = build(None, &cur, &under_a);
        assert_eq!(paths(&view), ["/a", "/a/x", "/a/y"]);
        assert_eq!(view.rows[0].depth, 0);
        // No group /a/ is named so: the groups starting with it, each at depth 0.
        let prefix = Settings {
            filter: Some(path("a/")),
            ..under_a.clone()
        };
        let prefix_a = Settings {
            filter: Some(path("a")),
            ..under_a.clone()
        };
        assert_eq!(prefix.filter, prefix_a.filter, "a/ is a");
        let starting = Settings {
            filter: Some(path("a/y/de")),
            depth: None,
            ..under_a.clone()
        };
        let view = build(None, &cur, &starting);
        assert_eq!(paths(&view), ["/a/y/deep"]);
        assert_eq!(view.rows[0].depth, 0);
        let view = build(
            None,
            &cur,
            &Settings {
                filter: Some(path("a")),
                depth: None,
                ..under_a.clone()
            },
        );
        assert!(
            !paths(&view).contains(&"/ab"),
            "a names a group: its subtree only"
        );
        let view = build(
            None,
            &cur,
            &Settings {
                filter: Some(path("")),
                ..under_a
            },
        );
        assert_eq!(view.rows[0].path, "/");
    }

    #[test]
    fn keys_and_names() {
        for c in std::iter::once(Column::Path).chain(Column::ALL) {
            if let Some(k) = c.key() {
                let chosen = Column::by_key(k).unwrap();
                assert_eq!(chosen.order_name(), c.order_name(), "{c:?}");
            }
            assert!(c.title().len() <= c.width() || c == Column::Path, "{c:?}");
        }
        assert_eq!(Column::by_order_name("io"), Some(Column::Input));
        assert_eq!(Column::by_key('p'), Some(Column::Path));
        assert_eq!(Column::by_order_name("bogus"), None);
    }

    #[test]
    fn value_texts() {
        assert_eq!(Value::Bytes(0).text(false), "0B");
        assert_eq!(Value::Bytes(1023).text(false), "1023B");
        assert_eq!(Value::Bytes(1536).text(false), "1.5K");
        assert_eq!(Value::Bytes(15 << 20).text(false), "15.0M");
        assert_eq!(Value::Bytes(15 << 20).text(true), "15728640");
        assert_eq!(Value::Bytes(3 << 40).text(false), "3.0T");
        assert_eq!(Value::Usec(0).text(false), "0");
        assert_eq!(Value::Usec(120_000).text(false), "120ms");
        assert_eq!(Value::Usec(3_250_000).text(false), "3.25s");
        assert_eq!(Value::Usec(125_000_000).text(false), "2min5s");
        assert_eq!(Value::Usec(3_720_000_000).text(false), "1h2min");
        assert_eq!(Value::Usec(3_720_000_000).text(true), "3720000000");
        assert_eq!(Value::Percent(12.345).text(false), "12.3");
        assert_eq!(Value::Pressure(0.5).text(false), "0.50");
        assert_eq!(Value::Unlimited.text(true), "max");
        assert_eq!(Value::Count(8).text(false), "8");
    }

    #[test]
    fn wanted_follows_the_columns() {
        let settings = Settings {
            columns: vec![Column::Tasks, Column::Memory],
            sort: Column::OomKills,
            ..Settings::default()
        };
        let w = settings.wanted();
        assert!(w.memory && w.oom);
        assert!(!w.cpu && !w.io && !w.pressure && !w.swap && !w.throttle && !w.pids_max);
        assert_eq!(Settings::default().wanted(), Wanted::ALL);
    }
}
