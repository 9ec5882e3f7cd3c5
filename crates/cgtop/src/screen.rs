//! The interactive screen: the [`View`] of each refresh drawn to the terminal's width and
//! height on the alternate screen, refreshed every [`Settings::delay`], and keys that change
//! the [`Settings`] as systemd-cgtop's keys do (and a few of ours: depth, filter, tree).
//!
//! A frame is a pure function of the view, the window size and the screen's state
//! ([`Screen::frame`]); [`run`] only samples, draws and waits for keys ([`sys::term`]), which
//! also gives the terminal back as it found it however the program ends.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use cgroup::GroupPath;
use cgroup::stats::{Counters, Limit, Sample};
use sys::Result;
use sys::term::{self, Event, Key, Size, Terminal};

use crate::Sampler;
use crate::view::{self, Column, Row, Settings, Value, View};

/// Select Graphic Rendition sequences.
const RESET: &str = "\x1b[0m";
const INVERSE: &str = "\x1b[0;7m";
const BOLD: &str = "\x1b[0;1m";
const RED: &str = "\x1b[0;1;31m";

/// The narrowest the path column becomes before columns on its right are left out (unless
/// every path is shorter).
const PATH_MIN_WIDTH: usize = 30;

/// A group whose use reaches this share of one of its limits is drawn in colour.
const NEAR_LIMIT: f64 = 0.9;

/// What the terminal is sent besides text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Inverse, bold and colour.
    Colour,
    /// Inverse and bold, no colour (`NO_COLOR` is set).
    NoColour,
    /// No attributes at all (`TERM=dumb`).
    Plain,
}

impl Style {
    /// The style the environment asks for: `NO_COLOR` (any value but empty, see
    /// no-color.org) takes colour away, `TERM=dumb` every attribute.
    pub fn from_env() -> Style {
        let term = sys::process::trusted_env("TERM");
        if term.as_deref().is_some_and(|t| t == "dumb") {
            Style::Plain
        } else if sys::process::trusted_env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Style::NoColour
        } else {
            Style::Colour
        }
    }

    /// The sequence for `attribute`, or nothing in the plain style.
    fn sgr(self, attribute: &'static str) -> &'static str {
        match (self, attribute) {
            (Style::Plain, _) => "",
            (Style::NoColour, RED) => BOLD,
            _ => attribute,
        }
    }
}

/// What the keys are doing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Keys change the view.
    Normal,
    /// The help text is shown; any key goes back.
    Help,
    /// A group path is being typed on the status line.
    Filter(String),
}

/// What a key asks of [`run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Draw again from the same samples.
    Redraw,
    /// Take a new sample now (the groups to read changed, or space was pressed).
    Refresh,
    /// Leave.
    Quit,
}

/// The screen's state between frames.
#[derive(Debug)]
pub struct Screen {
    settings: Settings,
    style: Style,
    mode: Mode,
    /// A message for the status line, until the next key.
    message: Option<String>,
    /// The first row shown.
    scroll: usize,
    /// How many rows fit below the headers in the last frame (what a page is).
    page: usize,
    host: String,
    /// Whether `…` may be used (the locale is UTF-8); `...` otherwise.
    unicode: bool,
    /// The longest path cell of the last frame: what the next sample's columns are chosen
    /// for (0 before the first frame: every column that could fit is read).
    longest_path: usize,
}

/// Run the screen until `q` (or the end of the input, or `iterations` refreshes), sampling
/// with `sampler`. The terminal is restored however it ends.
pub fn run(settings: Settings, iterations: Option<u64>, sampler: &mut Sampler) -> Result<()> {
    // Keys come from standard input, or from the controlling terminal when that is not one
    // (`cgtop < file`).
    let mut terminal = if term::is_terminal(std::io::stdin()) {
        Terminal::enter(std::io::stdin(), std::io::stdout())?
    } else {
        let tty = std::fs::File::open("/dev/tty")
            .map_err(|e| sys::Error::os("cannot open /dev/tty", &e))?;
        Terminal::enter(&tty, std::io::stdout())?
    };
    let mut screen = Screen::new(
        settings,
        Style::from_env(),
        term::hostname(),
        sys::display::locale_is_utf8(),
    );
    let mut prev: Option<Sample> = None;
    let mut cur = sampler.sample(&screen.shown(terminal.size()?));
    let mut refreshes = 1u64;
    let mut next = Instant::now() + screen.settings.delay;
    loop {
        let size = terminal.size()?;
        let view = view::build(prev.as_ref(), &cur, &screen.shown(size));
        let frame = screen.frame(&view, size);
        terminal.write(&frame)?;
        let action = match terminal.next_event(next.saturating_duration_since(Instant::now()))? {
            Event::Timeout => {
                if iterations.is_some_and(|n| refreshes >= n) {
                    return Ok(());
                }
                // Only these count: not a refresh asked for by a key or a new window size.
                refreshes += 1;
                Action::Refresh
            }
            // A wider window may show columns the sample has not read.
            Event::Redraw => Action::Refresh,
            Event::Closed => Action::Quit,
            Event::Key(key) => {
                // A filter names a group, or is a path prefix some groups start with.
                let settings = screen.settings.clone();
                screen.key(key, &mut |group| {
                    sampler.has(group) || {
                        let with = Settings {
                            filter: Some(group.clone()),
                            ..settings.clone()
                        };
                        !view::build(None, &sampler.sample(&with), &with)
                            .rows
                            .is_empty()
                    }
                })
            }
        };
        match action {
            Action::Quit => return Ok(()),
            Action::Redraw => {}
            Action::Refresh => {
                let settings = screen.shown(terminal.size()?);
                prev = Some(std::mem::replace(&mut cur, sampler.sample(&settings)));
                next = Instant::now() + screen.settings.delay;
            }
        }
    }
}

/// The delay as the header shows it: `1s`, `1.5s`, `200ms`.
fn delay_text(delay: Duration) -> String {
    let ms = delay.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}s", (delay.as_secs_f64() * 100.0).round() / 100.0)
    }
}

/// `text` cut or padded to exactly `width` characters, cut in the middle (a third of the
/// room before the ellipsis, the rest after it: the end of a path says the most), as
/// systemd-cgtop cuts paths.
fn fit(text: &str, width: usize, unicode: bool) -> String {
    let len = text.chars().count();
    if len <= width {
        return format!("{text:<width$}");
    }
    let ellipsis = if unicode { "…" } else { "..." };
    let dots = ellipsis.chars().count();
    if width <= dots {
        return text.chars().take(width).collect();
    }
    let room = width - dots;
    let head = room / 3;
    let tail = room - head;
    let mut out: String = text.chars().take(head).collect();
    out.push_str(ellipsis);
    out.extend(text.chars().skip(len - tail));
    out
}

/// Whether the group uses at least [`NEAR_LIMIT`] of a limit it has (memory, swap, tasks).
fn near_limit(c: &Counters) -> bool {
    let over = |used: Option<u64>, limit: Option<Limit>| match (used, limit) {
        (Some(used), Some(Limit::Value(max))) => max > 0 && used as f64 >= NEAR_LIMIT * max as f64,
        _ => false,
    };
    over(c.memory_current, c.memory_max)
        || over(c.swap_current, c.swap_max)
        || over(c.pids_current, c.pids_max)
}

/// The path cells of a view's rows: full paths in a flat list; in a tree, each row indented
/// two spaces a level under the row it hangs from, and named relative to it.
fn path_cells(view: &View, tree: bool) -> Vec<String> {
    if !tree {
        return view.rows.iter().map(|r| r.path.clone()).collect();
    }
    // The rows the current one may hang from, outermost first.
    let mut ancestors: Vec<&str> = Vec::new();
    view.rows
        .iter()
        .map(|row| {
            let inside = |ancestor: &str| {
                ancestor == "/"
                    || row
                        .path
                        .strip_prefix(ancestor)
                        .is_some_and(|rest| rest.starts_with('/'))
            };
            while ancestors.last().is_some_and(|a| !inside(a)) {
                ancestors.pop();
            }
            let cell = match ancestors.last() {
                None => row.path.clone(),
                Some(&parent) => {
                    let name = row.path[parent.len()..].trim_start_matches('/');
                    format!("{}{name}", "  ".repeat(ancestors.len()))
                }
            };
            ancestors.push(&row.path);
            cell
        })
        .collect()
}

impl Screen {
    /// A screen showing `settings`.
    pub fn new(settings: Settings, style: Style, host: String, unicode: bool) -> Screen {
        Screen {
            settings,
            style,
            mode: Mode::Normal,
            message: None,
            scroll: 0,
            page: 1,
            host,
            unicode,
            longest_path: 0,
        }
    }

    /// The settings with only the columns a window of `size` shows: the columns not shown
    /// are not read (each costs a file per group and hierarchy).
    fn shown(&self, size: Size) -> Settings {
        let (columns, _) = fitting_columns(
            &self.settings.columns,
            &self.settings,
            usize::from(size.columns),
            self.longest_path,
        );
        Settings {
            columns: columns.into_iter().map(|(_, c)| c).collect(),
            ..self.settings.clone()
        }
    }

    /// Act on `key`; `exists` says whether a filter shows any group.
    fn key(&mut self, key: Key, exists: &mut dyn FnMut(&GroupPath) -> bool) -> Action {
        self.message = None;
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Help => Action::Redraw,
            Mode::Filter(text) => self.filter_key(text, key, exists),
            Mode::Normal => self.normal_key(key),
        }
    }

    fn normal_key(&mut self, key: Key) -> Action {
        let s = &mut self.settings;
        let c = match key {
            Key::Char(c) => c,
            Key::Up => return self.scroll_by(-1),
            Key::Down => return self.scroll_by(1),
            Key::PageUp => return self.scroll_by(-(self.page as isize)),
            Key::PageDown => return self.scroll_by(self.page as isize),
            Key::Home => return self.scroll_by(isize::MIN / 2),
            Key::End => return self.scroll_by(isize::MAX / 2),
            Key::Enter => return Action::Refresh,
            Key::Escape | Key::Backspace | Key::Left | Key::Right | Key::Other => {
                return Action::Redraw;
            }
        };
        match c {
            'q' => return Action::Quit,
            ' ' => return Action::Refresh,
            'h' | '?' => self.mode = Mode::Help,
            '\x0c' => {}
            'R' => s.reverse = !s.reverse,
            '%' => s.cpu_time = !s.cpu_time,
            'r' => s.raw = !s.raw,
            'T' => s.tree = !s.tree,
            '+' => {
                s.delay += if s.delay < Duration::from_secs(1) {
                    Duration::from_millis(100)
                } else {
                    Duration::from_secs(1)
                };
                self.message = Some(format!("refresh every {}", delay_text(s.delay)));
            }
            '-' => {
                s.delay = if s.delay > Duration::from_secs(1) {
                    s.delay - Duration::from_secs(1)
                } else {
                    s.delay
                        .saturating_sub(Duration::from_millis(100))
                        .max(Duration::from_millis(100))
                };
                self.message = Some(format!("refresh every {}", delay_text(s.delay)));
            }
            '<' | '[' => {
                s.depth = Some(s.depth.map_or(0, |d| d.saturating_sub(1)));
                return Action::Refresh;
            }
            '>' | ']' => {
                s.depth = s.depth.map(|d| d + 1);
                return Action::Refresh;
            }
            '/' => {
                let current = s.filter.as_ref().map(|f| f.to_string()).unwrap_or_default();
                self.mode = Mode::Filter(current);
            }
            c => match Column::by_key(c) {
                Some(column) => {
                    s.sort = column;
                    self.scroll = 0;
                    // A column not read yet (its counters are only read when shown or
                    // ordered by) needs a sample that has them.
                    return Action::Refresh;
                }
                None => self.message = Some(format!("unknown key '{c}': h for help")),
            },
        }
        Action::Redraw
    }

    fn filter_key(
        &mut self,
        mut text: String,
        key: Key,
        exists: &mut dyn FnMut(&GroupPath) -> bool,
    ) -> Action {
        match key {
            Key::Escape => return Action::Redraw,
            Key::Enter => {
                let text = text.trim();
                if text.is_empty() || text == "/" {
                    self.settings.filter = None;
                } else {
                    match GroupPath::parse(text) {
                        Err(e) => self.message = Some(e),
                        Ok(group) if !exists(&group) => {
                            self.message = Some(format!("{group}: no such group"));
                        }
                        Ok(group) => self.settings.filter = Some(group),
                    }
                }
                self.scroll = 0;
                return Action::Refresh;
            }
            Key::Backspace => {
                text.pop();
            }
            Key::Char('\x15') => text.clear(),
            Key::Char(c) if !c.is_control() => text.push(c),
            _ => {}
        }
        self.mode = Mode::Filter(text);
        Action::Redraw
    }

    fn scroll_by(&mut self, lines: isize) -> Action {
        self.scroll = self.scroll.saturating_add_signed(lines);
        Action::Redraw
    }

    /// The whole screen for `view` in a window of `size`: the summary line, the column
    /// titles, as many rows as fit, the status line. Each line is placed by cursor position
    /// and cleared to its end, and never reaches past the last column, so nothing scrolls.
    pub fn frame(&mut self, view: &View, size: Size) -> String {
        let width = usize::from(size.columns);
        let height = usize::from(size.rows);
        let mut lines: Vec<String> = Vec::with_capacity(height);
        lines.extend(self.summary(view, width));
        if self.mode == Mode::Help {
            lines.extend(self.help().iter().map(|l| fit(l, width, self.unicode)));
        } else {
            let paths = path_cells(view, self.settings.tree);
            self.longest_path = paths.iter().map(|p| p.chars().count()).max().unwrap_or(0);
            let (columns, path_width) =
                fitting_columns(&view.columns, &self.settings, width, self.longest_path);
            lines.push(self.titles(&columns, path_width, width));
            let room = height.saturating_sub(4);
            self.page = room.max(1);
            self.scroll = self.scroll.min(view.rows.len().saturating_sub(room));
            for (row, path) in view.rows.iter().zip(&paths).skip(self.scroll).take(room) {
                lines.push(self.row(row, path, &columns, path_width, width));
            }
        }
        lines.truncate(height.saturating_sub(1));
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let _ = write!(out, "\x1b[{};1H{line}\x1b[K", i + 1);
        }
        // Clear what the last frame had below, then the status line.
        if lines.len() < height {
            let _ = write!(out, "\x1b[{};1H\x1b[J", lines.len() + 1);
        }
        if height > 0 {
            let status = self.status(view, width);
            let _ = write!(out, "\x1b[{height};1H{status}\x1b[K");
        }
        out
    }

    /// Host, time, how many groups and CPUs; then what the settings are.
    fn summary(&self, view: &View, width: usize) -> [String; 2] {
        let s = &self.settings;
        let mut first = format!(
            "cgtop on {}  {}  {} groups, {} shown  {} CPUs",
            self.host,
            term::clock_time(view.at),
            view.totals.groups,
            view.rows.len(),
            view.totals.cpus,
        );
        // The totals are the top group's, as top's are the whole system's.
        let top = view.rows.iter().find(|r| r.depth == 0);
        if let Some(cpu) = top.and_then(|r| r.cpu_percent) {
            let _ = write!(first, "  CPU {cpu:.1}%");
        }
        if let Some(memory) = top.and_then(|r| r.counters.memory_current) {
            let _ = write!(first, "  memory {}", Value::Bytes(memory).text(s.raw));
        }
        let _ = write!(first, "  every {}", delay_text(s.delay));
        let mut second = format!(
            "order: {}{}  depth: {}  {}",
            s.sort.order_name().unwrap_or("?"),
            if s.reverse { " reversed" } else { "" },
            s.depth.map_or_else(|| "all".to_owned(), |d| d.to_string()),
            if s.tree { "tree" } else { "flat" },
        );
        if let Some(filter) = &s.filter {
            let _ = write!(second, "  group: {filter}");
        }
        [first, second].map(|line| {
            let line: String = line.chars().take(width).collect();
            format!("{}{line}{}", self.style.sgr(BOLD), self.style.sgr(RESET))
        })
    }

    /// The column titles, inverse, the one ordered by standing out.
    fn titles(&self, columns: &[(usize, Column)], path_width: usize, width: usize) -> String {
        let inverse = self.style.sgr(INVERSE);
        let highlight = |column: Column, text: String| {
            let sorted = self.settings.sort == column
                || (matches!(self.settings.sort, Column::Input) && column == Column::Output);
            if sorted && self.style != Style::Plain {
                format!("{BOLD}{text}{inverse}")
            } else {
                text
            }
        };
        let mut out = String::from(inverse);
        out.push_str(&highlight(
            Column::Path,
            fit(Column::Path.title(), path_width, self.unicode),
        ));
        let mut used = path_width;
        for &(_, column) in columns {
            let title = self.title(column);
            let w = self.column_width(column);
            out.push(' ');
            out.push_str(&highlight(column, format!("{title:>w$}")));
            used += 1 + w;
        }
        // The inverse bar spans the whole line.
        out.push_str(&" ".repeat(width.saturating_sub(used)));
        out.push_str(self.style.sgr(RESET));
        out
    }

    fn title(&self, column: Column) -> &'static str {
        if column == Column::Cpu && self.settings.cpu_time {
            Column::CPU_TIME_TITLE
        } else {
            column.title()
        }
    }

    fn column_width(&self, column: Column) -> usize {
        column.width().max(self.title(column).len())
    }

    fn row(
        &self,
        row: &Row,
        path: &str,
        columns: &[(usize, Column)],
        path_width: usize,
        width: usize,
    ) -> String {
        let mut out = fit(path, path_width, self.unicode);
        for &(index, column) in columns {
            let w = self.column_width(column);
            let _ = write!(out, " {:>w$}", row.text(index, self.settings.raw));
        }
        // Raw numbers may be wider than their column: never past the last column.
        let out: String = out.chars().take(width).collect();
        if near_limit(&row.counters) {
            format!("{}{out}{}", self.style.sgr(RED), self.style.sgr(RESET))
        } else {
            out
        }
    }

    /// The filter being typed, a message, or the keys to remember.
    fn status(&self, view: &View, width: usize) -> String {
        let text = match (&self.mode, &self.message) {
            (Mode::Filter(text), _) => format!("Show group (Enter: apply, Escape: cancel): {text}"),
            (_, Some(message)) => message.clone(),
            (Mode::Help, None) => "Press any key to go back".to_owned(),
            (Mode::Normal, None) => {
                let rows = view.rows.len();
                let position = if rows == 0 {
                    "no groups".to_owned()
                } else {
                    let last = (self.scroll + self.page).min(rows);
                    format!("rows {}-{last} of {rows}", self.scroll + 1)
                };
                format!("{position}  q quit  h help  p t c m i order  < > depth  / filter  T tree")
            }
        };
        text.chars().take(width).collect()
    }

    fn help(&self) -> Vec<String> {
        let lines = [
            "",
            "Keys",
            "",
            "  p t c m i   order by path, tasks, CPU, memory, I/O (as systemd-cgtop)",
            "  s y o u     order by swap, throttling, OOM kills, pressure",
            "  R           reverse the order",
            "  %           CPU as percentage or as time",
            "  r           raw numbers or human-readable ones",
            "  + -         refresh less or more often",
            "  < > [ ]     show one level less or more",
            "  /           show one group and the groups below it (empty: all)",
            "  T           tree or flat list",
            "  arrows, PgUp, PgDn, Home, End   scroll",
            "  space       refresh now",
            "  h ?         this help",
            "  q           quit",
        ];
        lines.iter().map(|l| (*l).to_owned()).collect()
    }
}

/// Which of `all` fit in `width` after a path column of at least [`PATH_MIN_WIDTH`] (or the
/// `longest` path cell, if shorter), in order, each with its index in `all` (a row's cells),
/// and the path column's width: the rest of the line. Columns on the right are left out
/// first.
fn fitting_columns(
    all: &[Column],
    settings: &Settings,
    width: usize,
    longest: usize,
) -> (Vec<(usize, Column)>, usize) {
    let title = |c: Column| {
        if c == Column::Cpu && settings.cpu_time {
            Column::CPU_TIME_TITLE
        } else {
            c.title()
        }
    };
    let path_min = PATH_MIN_WIDTH
        .min(longest.max(Column::Path.title().len()))
        .min(width);
    let mut used = 0;
    let mut columns = Vec::new();
    for (index, &column) in all.iter().enumerate() {
        let w = 1 + column.width().max(title(column).len());
        if path_min + used + w > width {
            break;
        }
        used += w;
        columns.push((index, column));
    }
    (columns, width - used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;
    use view::Totals;

    fn row(path: &str, depth: usize, cells: Vec<Option<Value>>) -> Row {
        Row {
            path: path.to_owned(),
            depth,
            cells,
            counters: Counters::default(),
            cpu_percent: None,
            read_rate: None,
            write_rate: None,
        }
    }

    fn view(rows: Vec<Row>) -> View {
        View {
            columns: vec![Column::Tasks, Column::Cpu, Column::Memory],
            rows,
            at: SystemTime::now(),
            totals: Totals {
                groups: 3,
                cpus: 2,
                interval: None,
            },
        }
    }

    fn settings() -> Settings {
        Settings {
            columns: vec![Column::Tasks, Column::Cpu, Column::Memory],
            ..Settings::default()
        }
    }

    fn screen(style: Style) -> Screen {
        Screen::new(settings(), style, "host".to_owned(), false)
    }

    /// The text of a frame as the terminal would show it: escape sequences dropped, one
    /// string per line placed.
    fn text_lines(frame: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for part in frame.split("\x1b[").skip(1) {
            // CUP `row;1H` starts a line; other sequences end at their final letter.
            let end = part
                .find(|c: char| c.is_ascii_alphabetic())
                .unwrap_or(part.len());
            let (seq, rest) = part.split_at(end);
            let (letter, text) = rest.split_at(rest.len().min(1));
            if letter == "H" && seq.contains(';') {
                lines.push(String::new());
            }
            if let Some(line) = lines.last_mut() {
                line.push_str(text);
            }
        }
        lines
    }

    fn sample_view() -> View {
        view(vec![
            row(
                "/",
                0,
                vec![Some(Value::Count(90)), Some(Value::Percent(12.5)), None],
            ),
            row(
                "/a",
                1,
                vec![Some(Value::Count(8)), None, Some(Value::Bytes(2048))],
            ),
            row("/a/b", 2, vec![Some(Value::Count(1)), None, None]),
            row("/c", 1, vec![None, None, None]),
        ])
    }

    #[test]
    fn tree_and_flat_paths() {
        let v = sample_view();
        assert_eq!(path_cells(&v, true), ["/", "  a", "    b", "  c"]);
        assert_eq!(path_cells(&v, false), ["/", "/a", "/a/b", "/c"]);
        // A row whose parent is not shown hangs from the nearest shown ancestor, named
        // relative to it; a top that is not the root shows its full path.
        let v = view(vec![
            row("/x/y", 0, vec![]),
            row("/x/y/z/w", 2, vec![]),
            row("/x/yy", 0, vec![]),
        ]);
        assert_eq!(path_cells(&v, true), ["/x/y", "  z/w", "/x/yy"]);
    }

    #[test]
    fn fit_cuts_in_the_middle() {
        assert_eq!(fit("/a", 4, false), "/a  ");
        assert_eq!(fit("/abcdefghijklmnop", 11, false), "/a...klmnop");
        assert_eq!(fit("/abcdefghijklmnop", 11, false).len(), 11);
        assert_eq!(fit("/abcdefghijklmnop", 10, true), "/ab…klmnop");
        assert_eq!(fit("/abcdef", 2, false), "/a");
    }

    #[test]
    fn frame_fits_the_window() {
        let mut s = screen(Style::Plain);
        let frame = s.frame(
            &sample_view(),
            Size {
                rows: 10,
                columns: 60,
            },
        );
        assert!(
            !frame.contains("\x1b[0"),
            "no attributes when plain: {frame:?}"
        );
        let lines = text_lines(&frame);
        assert!(lines[0].starts_with("cgtop on host  "), "{lines:?}");
        assert!(
            lines[0].ends_with("  3 groups, 4 shown  2 CPUs  every 1s"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "order: cpu  depth: 3  tree");
        assert_eq!(
            lines[2],
            format!("{:<36}   Tasks   %CPU   Memory", "Control Group")
        );
        assert_eq!(
            lines[3],
            format!("{:<36} {:>7} {:>6} {:>8}", "/", 90, "12.5", "-")
        );
        assert_eq!(
            lines[4],
            format!("{:<36} {:>7} {:>6} {:>8}", "  a", 8, "-", "2.0K")
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{lines:?}");
        assert!(
            lines
                .last()
                .is_some_and(|l| l.starts_with("rows 1-4 of 4  q quit"))
        );

        // Narrower: the path shrinks to its minimum, then columns go from the right.
        let lines = text_lines(&s.frame(
            &sample_view(),
            Size {
                rows: 10,
                columns: 36,
            },
        ));
        assert!(!lines[0].contains("CPU "), "{lines:?}");
        assert_eq!(lines[2], format!("{:<21}   Tasks   %CPU", "Control Group"));
        assert!(lines.iter().all(|l| l.chars().count() <= 36), "{lines:?}");

        // Lower: the rows that fit, and the status line on the last one.
        let lines = text_lines(&s.frame(
            &sample_view(),
            Size {
                rows: 6,
                columns: 60,
            },
        ));
        assert_eq!(lines.len(), 7, "{lines:?}"); // and a clear below
        assert!(lines[4].starts_with("  a "));
        assert!(lines[6].starts_with("rows 1-2 of 4"));
    }

    #[test]
    fn totals_of_the_top_group() {
        let mut v = sample_view();
        v.rows[0].cpu_percent = Some(157.44);
        v.rows[0].counters.memory_current = Some(3 << 30);
        let size = Size {
            rows: 10,
            columns: 120,
        };
        let lines = text_lines(&screen(Style::Plain).frame(&v, size));
        assert!(
            lines[0].ends_with("  2 CPUs  CPU 157.4%  memory 3.0G  every 1s"),
            "{lines:?}"
        );
    }

    #[test]
    fn colours() {
        let mut v = sample_view();
        v.rows[1].counters.memory_current = Some(95);
        v.rows[1].counters.memory_max = Some(Limit::Value(100));
        v.rows[2].counters.pids_current = Some(1);
        v.rows[2].counters.pids_max = Some(Limit::Value(100));
        let size = Size {
            rows: 10,
            columns: 60,
        };
        let frame = screen(Style::Colour).frame(&v, size);
        // The titles inverse, %CPU (the order) bold out of it; /a near its memory limit red.
        assert!(
            frame.contains(&format!("{INVERSE}Control Group")),
            "{frame:?}"
        );
        assert!(
            frame.contains(&format!("{BOLD}  %CPU{INVERSE}")),
            "{frame:?}"
        );
        assert!(frame.contains(&format!("{RED}  a ")), "{frame:?}");
        assert!(!frame.contains(&format!("{RED}    b")), "{frame:?}");
        let frame = screen(Style::NoColour).frame(&v, size);
        assert!(!frame.contains("31m"), "{frame:?}");
        assert!(frame.contains(&format!("{BOLD}  a ")), "{frame:?}");
        let frame = screen(Style::Plain).frame(&v, size);
        assert!(!frame.contains("\x1b[0"), "{frame:?}");
    }

    #[test]
    fn keys_change_the_settings() {
        let mut s = screen(Style::Plain);
        let mut none = |_: &GroupPath| false;
        let mut all = |_: &GroupPath| true;
        assert_eq!(s.key(Key::Char('m'), &mut none), Action::Refresh);
        assert_eq!(s.settings.sort, Column::Memory);
        assert_eq!(s.key(Key::Char('p'), &mut none), Action::Refresh);
        assert_eq!(s.settings.sort, Column::Path);
        s.key(Key::Char('R'), &mut none);
        assert!(s.settings.reverse);
        s.key(Key::Char('T'), &mut none);
        assert!(!s.settings.tree);
        s.key(Key::Char('%'), &mut none);
        assert!(s.settings.cpu_time);
        assert_eq!(s.key(Key::Char('<'), &mut none), Action::Refresh);
        assert_eq!(s.settings.depth, Some(2));
        s.key(Key::Char(']'), &mut none);
        s.key(Key::Char('>'), &mut none);
        assert_eq!(s.settings.depth, Some(4));
        for _ in 0..6 {
            s.key(Key::Char('['), &mut none);
        }
        assert_eq!(s.settings.depth, Some(0));

        s.key(Key::Char('+'), &mut none);
        assert_eq!(s.settings.delay, Duration::from_secs(2));
        assert_eq!(s.message.as_deref(), Some("refresh every 2s"));
        for _ in 0..3 {
            s.key(Key::Char('-'), &mut none);
        }
        assert_eq!(s.settings.delay, Duration::from_millis(800));
        for _ in 0..20 {
            s.key(Key::Char('-'), &mut none);
        }
        assert_eq!(s.settings.delay, Duration::from_millis(100));

        assert_eq!(s.key(Key::Char('?'), &mut none), Action::Redraw);
        assert_eq!(s.mode, Mode::Help);
        assert_eq!(s.key(Key::Char('q'), &mut none), Action::Redraw);
        assert_eq!(s.mode, Mode::Normal);
        assert_eq!(s.key(Key::Char('x'), &mut none), Action::Redraw);
        assert_eq!(s.message.as_deref(), Some("unknown key 'x': h for help"));
        assert_eq!(s.key(Key::Char(' '), &mut none), Action::Refresh);
        assert_eq!(s.key(Key::Char('q'), &mut none), Action::Quit);

        // The filter: typed, edited, applied only when the group is there.
        s.key(Key::Char('/'), &mut none);
        for c in "/nope".chars() {
            s.key(Key::Char(c), &mut none);
        }
        assert_eq!(s.mode, Mode::Filter("/nope".to_owned()));
        assert_eq!(s.key(Key::Enter, &mut none), Action::Refresh);
        assert_eq!(s.settings.filter, None);
        assert_eq!(s.message.as_deref(), Some("/nope: no such group"));
        s.key(Key::Char('/'), &mut all);
        for c in "/a/../b".chars() {
            s.key(Key::Char(c), &mut all);
        }
        s.key(Key::Enter, &mut all);
        assert_eq!(s.settings.filter, None);
        assert!(
            s.message
                .as_deref()
                .is_some_and(|m| m.contains("leaves its hierarchy"))
        );
        s.key(Key::Char('/'), &mut all);
        for c in "/a/bx".chars() {
            s.key(Key::Char(c), &mut all);
        }
        s.key(Key::Backspace, &mut all);
        s.key(Key::Enter, &mut all);
        assert_eq!(s.settings.filter, GroupPath::parse("/a/b").ok());
        // Escape leaves it as it was; an empty path shows everything again.
        s.key(Key::Char('/'), &mut all);
        s.key(Key::Char('\x15'), &mut all);
        assert_eq!(s.key(Key::Escape, &mut all), Action::Redraw);
        assert_eq!(s.settings.filter, GroupPath::parse("/a/b").ok());
        s.key(Key::Char('/'), &mut all);
        s.key(Key::Char('\x15'), &mut all);
        s.key(Key::Enter, &mut all);
        assert_eq!(s.settings.filter, None);
    }

    #[test]
    fn only_the_columns_shown_are_read() {
        let mut s = Screen::new(Settings::default(), Style::Plain, "host".to_owned(), false);
        let size = Size {
            rows: 24,
            columns: 80,
        };
        // Before the first frame, for the shortest path column.
        let first = s.shown(size).columns;
        assert_eq!(first.first(), Some(&Column::Tasks));
        let v = view(vec![row(&format!("/{}", "x".repeat(40)), 0, vec![None; 3])]);
        s.frame(&v, size);
        // The path column then keeps its 30 columns: what systemd-cgtop shows is left.
        assert_eq!(
            s.shown(size).columns,
            [
                Column::Tasks,
                Column::Cpu,
                Column::Memory,
                Column::Input,
                Column::Output
            ]
        );
        assert!(first.len() > 5, "{first:?}");
        let wanted = s.shown(size).wanted();
        assert!(wanted.cpu && wanted.memory && wanted.io);
        assert!(!wanted.pressure && !wanted.oom && !wanted.throttle && !wanted.swap);
        // The column ordered by is read even when it is not shown.
        s.settings.sort = Column::OomKills;
        assert!(s.shown(size).wanted().oom);
    }

    #[test]
    fn scrolling() {
        let mut s = screen(Style::Plain);
        let v = view(
            (0..50)
                .map(|i| row(&format!("/g{i:02}"), 1, vec![None, None, None]))
                .collect(),
        );
        let size = Size {
            rows: 12,
            columns: 60,
        };
        let mut none = |_: &GroupPath| false;
        s.frame(&v, size);
        s.key(Key::PageDown, &mut none);
        let lines = text_lines(&s.frame(&v, size));
        assert!(lines[3].starts_with("/g08 "), "{lines:?}");
        s.key(Key::End, &mut none);
        let lines = text_lines(&s.frame(&v, size));
        assert!(lines[3].starts_with("/g42 "), "{lines:?}");
        assert!(
            lines
                .last()
                .is_some_and(|l| l.starts_with("rows 43-50 of 50"))
        );
        s.key(Key::Home, &mut none);
        s.key(Key::Down, &mut none);
        let lines = text_lines(&s.frame(&v, size));
        assert!(lines[3].starts_with("/g01 "), "{lines:?}");
    }
}
