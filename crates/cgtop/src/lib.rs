//! `cgtop`: every control group's resource use, limits, throttling, OOM kills and pressure,
//! refreshed, on v1, v2 and hybrid hosts.
//!
//! [`cli::command`] defines the command line, [`parse`] turns it into a [`Plan`], a
//! [`Sampler`] reads the groups ([`cgroup::stats`]), [`view::build`] makes a refresh's
//! [`view::View`] from two samples, and [`execute`] prints views as text or JSON lines
//! until the refreshes asked for are done.

pub mod cli;
pub mod screen;
pub mod view;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime};

use cgroup::stats::{self, Counters, Limit, Pressure, Sample};
use cgroup::{GroupPath, Hierarchies};
use sys::cli::{Getopt, Order};
use sys::{Error, Prog, Result, Status};

use cli::{USAGE, command};
use view::{Column, Settings, View};

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// Print this text (`--help`, `--version`) and exit 0.
    Print(String),
    /// Show the groups.
    Run(Plan),
}

/// How refreshes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The interactive screen (stdout is a terminal, neither `-b` nor `-J`).
    Screen,
    /// Batch text (`-b`, or stdout is not a terminal).
    Text,
    /// One JSON object per refresh (`-J`).
    Json,
}

/// Everything a `cgtop` run does, in data.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// What to show.
    pub settings: Settings,
    /// How.
    pub output: Output,
    /// How many refreshes; `None`: until killed (or `q` on the screen).
    pub iterations: Option<u64>,
}

/// The tool's entry point: parse, then run.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    let on_terminal = std::io::stdout().is_terminal();
    match parse(prog, args, on_terminal)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Run(plan) => execute(&plan).map(|()| 0),
    }
}

/// A delay as systemd-cgtop reads it: a positive number of seconds, or a number with a unit
/// (`us`, `ms`, `s`, `min`, and their long forms `usec`, `msec`, `sec`).
fn parse_delay(text: &str) -> Result<Duration> {
    let bad = || Error::msg(format!("invalid delay: '{text}'"));
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit.trim_start() {
        "" | "s" | "sec" => 1.0,
        "ms" | "msec" => 1e-3,
        "us" | "usec" => 1e-6,
        "min" => 60.0,
        _ => return Err(bad()),
    };
    let seconds: f64 = number.parse().map_err(|_| bad())?;
    let seconds = seconds * scale;
    if !(seconds > 0.0 && seconds < 1e9) {
        return Err(bad());
    }
    // Under a microsecond the delay would round to nothing (a busy loop): refused, as
    // systemd-cgtop refuses what its microsecond clock reads as 0.
    let delay = Duration::from_secs_f64(seconds);
    if delay < Duration::from_micros(1) {
        return Err(bad());
    }
    Ok(delay)
}

fn parse_order(text: &str) -> Result<Column> {
    Column::by_order_name(text).ok_or_else(|| Error::msg(format!("invalid order: '{text}'")))
}

/// Build the action from the arguments after argv[0]; `on_terminal`: whether stdout is a
/// terminal (the screen then, and refreshes until stopped).
pub fn parse(prog: &Prog, args: Vec<OsString>, on_terminal: bool) -> Result<Action> {
    let cmd = command();
    let mut settings = Settings::default();
    let mut batch = false;
    let mut json = false;
    let mut iterations: Option<u64> = None;
    let mut getopt = Getopt::new(&cmd, args, Order::Permute);
    for opt in getopt.by_ref() {
        let opt = opt?;
        let text = opt.text();
        match opt.id.as_str() {
            "by-path" => settings.sort = Column::Path,
            "by-tasks" => settings.sort = Column::Tasks,
            "by-cpu" => settings.sort = Column::Cpu,
            "by-memory" => settings.sort = Column::Memory,
            "by-io" => settings.sort = Column::Input,
            "order" => settings.sort = parse_order(&text)?,
            "reverse" => settings.reverse = true,
            "batch" => batch = true,
            "json" => json = true,
            "iterations" => {
                iterations = Some(sys::cli::parse_u64(&text, "invalid number of iterations")?);
            }
            "once" => iterations = Some(1),
            "delay" => settings.delay = parse_delay(&text)?,
            "depth" => {
                let depth = sys::cli::parse_u32(&text, "invalid depth")?;
                settings.depth = Some(depth as usize);
            }
            "flat" => settings.tree = false,
            "raw" => settings.raw = true,
            "cpu" => {
                settings.cpu_time = match opt.value.as_ref().map(|_| text.as_str()) {
                    None | Some("time") => true,
                    Some("percentage") => false,
                    Some(other) => {
                        return Err(Error::msg(format!("invalid CPU display: '{other}'")));
                    }
                };
            }
            "help" => {
                return Ok(Action::Print(sys::cli::help(&cmd, USAGE, "cgtop(1)")));
            }
            "version" => return Ok(Action::Print(sys::cli::version_own(&prog.name))),
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    let operands = getopt.operands();
    if operands.len() > 1 {
        return Err(Error::usage(format!(
            "unexpected argument: '{}'",
            operands[1].to_string_lossy()
        )));
    }
    if let Some(group) = operands.first() {
        let text = group.to_string_lossy();
        settings.filter = Some(GroupPath::parse(&text).map_err(Error::msg)?);
    }
    let output = match (json, batch || !on_terminal) {
        (true, _) => Output::Json,
        (false, true) => Output::Text,
        (false, false) => Output::Screen,
    };
    // As systemd-cgtop: refresh until stopped on a terminal, once into a pipe or file;
    // `-n 0` is "until stopped" too.
    let iterations = match iterations {
        Some(0) => None,
        Some(n) => Some(n),
        None if on_terminal => None,
        None => Some(1),
    };
    Ok(Action::Run(Plan {
        settings,
        output,
        iterations,
    }))
}

/// Reads samples of the host's groups: the hierarchies found once, at the start, their
/// groups' files kept open between samples (see [`stats::Watcher`]).
#[derive(Debug)]
pub struct Sampler {
    watcher: stats::Watcher,
}

impl Sampler {
    /// Find the hierarchies to watch (see [`stats::watched`]).
    pub fn new() -> Result<Sampler> {
        let hierarchies = stats::watched(&Hierarchies::discover()?);
        if hierarchies.is_empty() {
            return Err(Error::msg("no cgroup hierarchy is mounted"));
        }
        Ok(Sampler {
            watcher: stats::Watcher::new(hierarchies),
        })
    }

    /// A sample of the groups `settings` shows, with the counters its columns need: below
    /// the filter group, or, when the filter is a path prefix no group has, below its parent
    /// (see [`Settings::filter`]).
    pub fn sample(&mut self, settings: &Settings) -> Sample {
        let (under, depth) = match &settings.filter {
            None => (GroupPath::root(), settings.depth),
            Some(group) if self.has(group) => (group.clone(), settings.depth),
            Some(prefix) => (
                prefix.parent().unwrap_or_else(GroupPath::root),
                settings.depth.map(|d| d + 1),
            ),
        };
        self.watcher.sample(&under, depth, &settings.wanted())
    }

    /// Whether `group` is in any watched hierarchy.
    pub fn has(&self, group: &GroupPath) -> bool {
        self.watcher
            .hierarchies()
            .iter()
            .any(|h| h.group(group).exists())
    }
}

/// Carry out `plan`.
pub fn execute(plan: &Plan) -> Result<()> {
    let mut sampler = Sampler::new()?;
    if plan.output == Output::Screen {
        return screen::run(plan.settings.clone(), plan.iterations, &mut sampler);
    }
    let mut out = std::io::stdout().lock();
    let mut prev: Option<Sample> = None;
    let mut done = 0u64;
    loop {
        let cur = sampler.sample(&plan.settings);
        let view = view::build(prev.as_ref(), &cur, &plan.settings);
        if let Some(filter) = plan
            .settings
            .filter
            .as_ref()
            .filter(|_| view.rows.is_empty())
        {
            if done == 0 {
                return Err(Error::msg(format!("{filter}: no such group")));
            }
        }
        let text = match plan.output {
            Output::Json => json_line(&view),
            Output::Text | Output::Screen => text_refresh(&view, &plan.settings, done > 0),
        };
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Error::os("write error", e))?;
        done += 1;
        if plan.iterations.is_some_and(|n| done >= n) {
            return Ok(());
        }
        std::thread::sleep(plan.settings.delay);
        prev = Some(cur);
    }
}

/// One refresh as batch text: a header line, then one line per group, the path padded to the
/// longest, each other cell right-aligned in its column's width (systemd-cgtop's widths for
/// its columns) after one space. Refreshes after the first start with an empty line, as
/// systemd-cgtop separates them.
pub fn text_refresh(view: &View, settings: &Settings, separate: bool) -> String {
    let path_width = view
        .rows
        .iter()
        .map(|r| r.path.chars().count())
        .chain(std::iter::once(Column::Path.title().len()))
        .max()
        .unwrap_or(0);
    // Written in place: a refresh of 1,000 groups has 15,000 cells.
    let mut out = String::with_capacity((path_width + 100) * (view.rows.len() + 2));
    if separate {
        out.push('\n');
    }
    let _ = write!(out, "{:<path_width$}", Column::Path.title());
    for c in &view.columns {
        let title = if *c == Column::Cpu && settings.cpu_time {
            Column::CPU_TIME_TITLE
        } else {
            c.title()
        };
        let _ = write!(out, " {title:>w$}", w = c.width());
    }
    out.push('\n');
    for row in &view.rows {
        out.push_str(&row.path);
        pad(
            &mut out,
            path_width.saturating_sub(row.path.chars().count()),
        );
        for (i, c) in view.columns.iter().enumerate() {
            let text = row.text(i, settings.raw);
            pad(&mut out, 1 + c.width().saturating_sub(text.len()));
            out.push_str(&text);
        }
        out.push('\n');
    }
    out
}

/// `n` spaces (cheaper than the formatter's padding, which writes them one by one).
fn pad(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = n;
    while left > 0 {
        let now = left.min(SPACES.len());
        out.push_str(&SPACES[..now]);
        left -= now;
    }
}

/// A JSON string literal, appended to `out`.
fn json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object written into a string, member by member, absent values left out.
struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, first: true }
    }

    /// The key, ready for its value.
    fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        json_string(self.out, key);
        self.out.push(':');
        self.out
    }

    fn int(&mut self, key: &str, value: Option<u64>) {
        if let Some(v) = value {
            let _ = write!(self.key(key), "{v}");
        }
    }

    /// A float with `decimals` digits after the point (a JSON number).
    fn float(&mut self, key: &str, value: Option<f64>, decimals: usize) {
        if let Some(v) = value {
            let _ = write!(self.key(key), "{v:.decimals$}");
        }
    }

    /// A limit: its number, or the string `"max"`.
    fn limit(&mut self, key: &str, value: Option<Limit>) {
        match value {
            Some(Limit::Unlimited) => self.key(key).push_str("\"max\""),
            Some(Limit::Value(n)) => self.int(key, Some(n)),
            None => {}
        }
    }

    fn pressure(&mut self, key: &str, value: Option<Pressure>) {
        if let Some(p) = value {
            let mut inner = Object::new(self.key(key));
            inner.float("some_avg10", Some(p.some_avg10), 2);
            inner.float("full_avg10", p.full_avg10, 2);
            inner.end();
        }
    }

    fn end(self) {
        self.out.push('}');
    }
}

fn json_counters(m: &mut Object, c: &Counters) {
    m.int("tasks", c.tasks());
    m.int("pids_current", c.pids_current);
    m.limit("pids_max", c.pids_max);
    m.int("cpu_usage_usec", c.cpu_usage_usec);
    m.int("cpu_periods", c.cpu_periods);
    m.int("cpu_throttled", c.cpu_throttled);
    m.int("cpu_throttled_usec", c.cpu_throttled_usec);
    m.int("memory_current", c.memory_current);
    m.limit("memory_max", c.memory_max);
    m.int("swap_current", c.swap_current);
    m.limit("swap_max", c.swap_max);
    m.int("io_read_bytes", c.io_read_bytes);
    m.int("io_write_bytes", c.io_write_bytes);
    m.int("oom_kills", c.oom_kills);
    m.pressure("cpu_pressure", c.cpu_pressure);
    m.pressure("memory_pressure", c.memory_pressure);
    m.pressure("io_pressure", c.io_pressure);
}

/// One refresh as one line of JSON (the schema is in the man page).
pub fn json_line(view: &View) -> String {
    let mut out = String::with_capacity(600 * (view.rows.len() + 1));
    let time = view
        .at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut top = Object::new(&mut out);
    top.float("time", Some(time), 3);
    top.float("interval", view.totals.interval.map(|d| d.as_secs_f64()), 3);
    top.int("cpus", Some(view.totals.cpus as u64));
    top.int("groups_sampled", Some(view.totals.groups as u64));
    let groups = top.key("groups");
    groups.push('[');
    for (i, row) in view.rows.iter().enumerate() {
        if i > 0 {
            groups.push(',');
        }
        let mut m = Object::new(groups);
        json_string(m.key("path"), &row.path);
        m.int("depth", Some(row.depth as u64));
        json_counters(&mut m, &row.counters);
        m.float("cpu_percent", row.cpu_percent, 2);
        m.float("io_read_bytes_per_sec", row.read_rate, 0);
        m.float("io_write_bytes_per_sec", row.write_rate, 0);
        m.end();
    }
    groups.push(']');
    top.end();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use view::{Row, Totals};

    fn plan(args: &[&str], on_terminal: bool) -> Result<Plan> {
        let prog = Prog::new(None, "cgtop");
        match parse(
            &prog,
            args.iter().map(OsString::from).collect(),
            on_terminal,
        )? {
            Action::Run(plan) => Ok(plan),
            Action::Print(text) => panic!("printed {text}"),
        }
    }

    #[test]
    fn defaults_as_systemd_cgtop() {
        let p = plan(&[], true).unwrap();
        assert_eq!((p.output, p.iterations), (Output::Screen, None));
        assert_eq!(p.settings, Settings::default());
        let p = plan(&[], false).unwrap();
        assert_eq!((p.output, p.iterations), (Output::Text, Some(1)));
        let p = plan(&["-b"], true).unwrap();
        assert_eq!((p.output, p.iterations), (Output::Text, None));
        let p = plan(&["-b", "-J", "-n", "0"], false).unwrap();
        assert_eq!((p.output, p.iterations), (Output::Json, None));
        let p = plan(&["-n", "5", "-1"], true).unwrap();
        assert_eq!(p.iterations, Some(1), "the last one wins");
    }

    #[test]
    fn options() {
        let s = plan(
            &["-m", "--depth=0", "--flat", "-r", "-d", "250ms", "/a/"],
            false,
        )
        .unwrap()
        .settings;
        assert_eq!(s.sort, Column::Memory);
        assert_eq!(s.depth, Some(0));
        assert!(!s.tree && s.raw);
        assert_eq!(s.delay, Duration::from_millis(250));
        assert_eq!(s.filter, Some(GroupPath::parse("a").unwrap()));
        for (args, sort) in [
            (&["-p"][..], Column::Path),
            (&["-t"], Column::Tasks),
            (&["-i"], Column::Input),
            (&["-c"], Column::Cpu),
            (&["-m", "--order=oom"], Column::OomKills),
            (&["--order", "throttle"], Column::Throttled),
            (&["--order=pressure"], Column::CpuPressure),
            (&["--order=swap"], Column::Swap),
        ] {
            assert_eq!(plan(args, false).unwrap().settings.sort, sort, "{args:?}");
        }
        assert!(plan(&["--cpu"], false).unwrap().settings.cpu_time);
        assert!(plan(&["--cpu=time"], false).unwrap().settings.cpu_time);
        assert!(
            !plan(&["--cpu=time", "--cpu=percentage"], false)
                .unwrap()
                .settings
                .cpu_time
        );
        assert!(plan(&["-R"], false).unwrap().settings.reverse);
    }

    #[test]
    fn delays() {
        assert_eq!(parse_delay("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_delay("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_delay("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_delay("1min").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_delay("100 ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_delay("500us").unwrap(), Duration::from_micros(500));
        assert_eq!(parse_delay("1us").unwrap(), Duration::from_micros(1));
        // Found by fuzzing (fuzz/README.md, cli_cgtop): under a microsecond became a delay of 0.
        for bad in [
            "",
            "0",
            "0s",
            "x",
            "1x",
            "-1",
            "1.2.3",
            "s",
            "0.0000001",
            "0.5us",
        ] {
            assert_eq!(
                parse_delay(bad).unwrap_err().to_string(),
                format!("invalid delay: '{bad}'")
            );
        }
    }

    fn view() -> View {
        let counters = Counters {
            pids_current: Some(8),
            memory_max: Some(Limit::Unlimited),
            cpu_pressure: Some(Pressure {
                some_avg10: 1.5,
                full_avg10: None,
            }),
            ..Counters::default()
        };
        let row = |path: &str, depth| Row {
            path: path.to_owned(),
            depth,
            cells: vec![Some(view::Value::Count(8)), None],
            counters: counters.clone(),
            cpu_percent: Some(12.5),
            read_rate: None,
            write_rate: None,
        };
        View {
            columns: vec![Column::Tasks, Column::Cpu],
            rows: vec![row("/", 0), row("/a \"b\"", 1)],
            at: SystemTime::UNIX_EPOCH + Duration::from_millis(1500),
            totals: Totals {
                groups: 2,
                cpus: 4,
                interval: Some(Duration::from_secs(1)),
            },
        }
    }

    #[test]
    fn text_layout() {
        let settings = Settings::default();
        assert_eq!(
            text_refresh(&view(), &settings, false),
            "Control Group   Tasks   %CPU\n\
             /                   8      -\n\
             /a \"b\"              8      -\n"
        );
        let time = Settings {
            cpu_time: true,
            ..settings
        };
        assert!(
            text_refresh(&view(), &time, true).starts_with("\nControl Group   Tasks CPU Time\n")
        );
    }

    #[test]
    fn json_layout() {
        assert_eq!(
            json_line(&view()),
            concat!(
                r#"{"time":1.500,"interval":1.000,"cpus":4,"groups_sampled":2,"groups":["#,
                r#"{"path":"/","depth":0,"tasks":8,"pids_current":8,"memory_max":"max","#,
                r#""cpu_pressure":{"some_avg10":1.50},"cpu_percent":12.50},"#,
                r#"{"path":"/a \"b\"","depth":1,"tasks":8,"pids_current":8,"memory_max":"max","#,
                r#""cpu_pressure":{"some_avg10":1.50},"cpu_percent":12.50}]}"#,
                "\n"
            )
        );
        let mut quoted = String::new();
        json_string(&mut quoted, "a\u{1}\\\n");
        assert_eq!(quoted, r#""a\u0001\\\n""#);
    }
}
