//! Tables as util-linux 2.42's libsmartcols prints them: aligned text, raw, JSON and trees,
//! byte for byte for the features `lsns` uses.
//!
//! Written from a reading of libsmartcols' behaviour (column width calculation, terminal
//! reduction, cell encoding, tree art, the JSON writer), not from its code.
//!
//! Pure formatting: no `unsafe`, no `libc`. What needs the system (the terminal's width, the
//! locale, regcomp() for the filter's `=~`) comes from `sys` ([`sys::display`],
//! [`sys::regex`]); the tools stand above both: tools → {cgroup, table} → sys.
//!
//! What is covered: column widths (header minimum, absolute width hints, tree art, widest line
//! of a multi-line cell), the terminal reduction and enlargement passes, right alignment,
//! truncation, multi-line cells split at `\n`, `\xHH` escaping of what the terminal cannot
//! show, raw output, JSON with typed values and `"children"` arrays in the three layouts
//! `LIBSMARTCOLS_JSON` chooses ([`JsonFormat`]), hidden columns, and (ours, not
//! libsmartcols') cells whose JSON form is a nested value ([`JsonValue`]: an object or an
//! array) while their text stays text, written as libsmartcols writes its array columns.
//! Not covered (lsns does not use them): groups, colors, hyperlinks, titles, `maxout`/`minout`,
//! export format, header repetition, width-based (non-`\n`) wrapping, and the "newline
//! padding" libsmartcols prints when a non-truncatable cell overflows its column (widths are
//! never reduced below the data of such a column, so it cannot happen here).
//!
//! Where 2.42 (the reference, compared byte for byte by tests/tests/lsns.rs) differs from older
//! releases such as Debian's 2.38.1, which matter here:
//! - **Width hints.** 2.38.1 applies an absolute hint when the data is at least as wide as the
//!   header (`TYPE` with only `time` is 5 wide); 2.42 applies it only when the data is wider
//!   than the header (`time` gives 4, `cgroup` 6). This module follows 2.42.
//! - **Headers left out (`-n`).** 2.38.1 still counts the header's width as each column's
//!   minimum; 2.42 does not, so `lsns -n` columns can be narrower (NPROCS with `93` is 5, not 6).
//! - **Enlarging on a terminal.** 2.42 widens columns that are narrower than their absolute
//!   hint while the table is narrower than the terminal (so on a tty `TYPE` with `time` is 5
//!   again and `PID` with `2` is 5); 2.38.1 does not. Only with [`Table::set_terminal`].
//! - **Empty table.** Both print nothing at all in table and raw mode, and
//!   `{"name": [` + blank line + `]}` in JSON (`lsns -J -p 999999` prints that).
//! - **Multi-line cells in JSON.** 2.42 fetches JSON values through its multi-line cell
//!   machinery, so a newline-wrapped cell would give only its first line followed by stray
//!   padding after the object (invalid JSON). That is an upstream bug; this module prints the
//!   whole value with `\n` escaped, as 2.38.1 does (`"nsfs": "/a\n/b"`).

mod render;
#[cfg(test)]
mod tests;

pub mod filter;

use std::io::{self, Write};

/// How a column's cells are typed in JSON output and in filter expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    /// A JSON string; an empty cell is `null`.
    String,
    /// An unquoted JSON number, printed as the cell holds it; an empty cell is `null`.
    Number,
    /// An unquoted JSON number with a fraction; an empty cell is `null`.
    Float,
    /// `true`, or `false` for an empty cell or one starting with `0`, `N` or `n`.
    Boolean,
}

/// A cell's JSON form when it is more than its text typed by the column
/// ([`Table::set_json_value`]): nested objects and arrays, for tools whose values have a
/// structure (`cgget -J`: `cpu.stat` as an object, `cgroup.procs` as an array).
#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, written as its text ([`JsonValue::number`] checks the text).
    Number(JsonNumber),
    /// A string (escaped as the table's strings are).
    String(String),
    /// An array.
    Array(Vec<JsonValue>),
    /// An object, its members in this order; keys are written as they are (column names
    /// are lower-cased, these are not).
    Object(Vec<(String, JsonValue)>),
}

/// The text of a JSON number, as the source wrote it (`0.00` stays `0.00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonNumber(String);

impl JsonNumber {
    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl JsonValue {
    /// A number from its text, when the text is a JSON number (`-?(0|[1-9][0-9]*)` with an
    /// optional `.digits` fraction and `e` exponent); `None` for anything else (`max`,
    /// `007`, `1.`, ` 1`).
    pub fn number(text: &str) -> Option<JsonValue> {
        is_json_number(text.as_bytes()).then(|| JsonValue::Number(JsonNumber(text.to_owned())))
    }
}

/// Whether `s` is a number in JSON's grammar.
fn is_json_number(s: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let s = s.strip_prefix(b"-").unwrap_or(s);
    let int = digits(s);
    if int == 0 || (int > 1 && s[0] == b'0') {
        return false;
    }
    let mut rest = &s[int..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        let n = digits(exp);
        if n == 0 {
            return false;
        }
        rest = &exp[n..];
    }
    rest.is_empty()
}

/// The layout of JSON output, as libsmartcols reads it from `LIBSMARTCOLS_JSON` when a
/// table is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonFormat {
    /// Indented, one member per line (the default, and any value but the two below).
    Pretty,
    /// `compact`: no blanks; each object of the table's array on a line of its own.
    Compact,
    /// `lines`: one object per line (JSON Lines), without the enclosing object and array.
    Lines,
}

impl JsonFormat {
    /// The format `LIBSMARTCOLS_JSON` asks for.
    pub fn from_env() -> JsonFormat {
        match sys::process::trusted_env("LIBSMARTCOLS_JSON").as_deref() {
            Some(v) if v == "compact" => JsonFormat::Compact,
            Some(v) if v == "lines" => JsonFormat::Lines,
            _ => JsonFormat::Pretty,
        }
    }
}

/// One column: its header, width hint, flags and JSON type.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpec {
    /// Header text; the JSON key is its lower-case form.
    pub name: String,
    /// libsmartcols' width hint: `>= 1` an absolute width, `< 1` a fraction of the terminal.
    pub width_hint: f64,
    /// Right-aligned (`SCOLS_FL_RIGHT`).
    pub right: bool,
    /// May be truncated to fit the terminal (`SCOLS_FL_TRUNC`).
    pub trunc: bool,
    /// A multi-line cell: the data is split at `\n` and each part printed on its own line
    /// (libsmartcols' `scols_wrapnl_*` functions with `\n` as a safe character).
    pub wrap_lines: bool,
    /// This column carries the tree glyphs (`SCOLS_FL_TREE`); any such column makes the
    /// table a tree.
    pub tree: bool,
    /// Never printed (`SCOLS_FL_HIDDEN`); for columns only a filter looks at.
    pub hidden: bool,
    /// The JSON type of the cells.
    pub data_type: DataType,
}

impl ColumnSpec {
    /// A column of `data_type` named `name` with no width hint and no flags: what a table that
    /// is only ever printed as JSON, or plainly, needs.
    pub fn plain(name: &str, data_type: DataType) -> ColumnSpec {
        ColumnSpec {
            name: name.to_owned(),
            width_hint: 0.0,
            right: false,
            trunc: false,
            wrap_lines: false,
            tree: false,
            hidden: false,
            data_type,
        }
    }
}

/// A handle on a line of a [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineId(usize);

#[derive(Debug, Clone, Default)]
struct Line {
    parent: Option<usize>,
    children: Vec<usize>,
    cells: Vec<Option<Vec<u8>>>,
    /// JSON forms that replace what the text would give, by column.
    json_values: Vec<Option<JsonValue>>,
    removed: bool,
}

/// A table being filled and then printed once, as a libsmartcols table.
#[derive(Debug, Clone)]
pub struct Table {
    name: String,
    columns: Vec<ColumnSpec>,
    lines: Vec<Line>,
    raw: bool,
    json: bool,
    json_format: JsonFormat,
    noheadings: bool,
    ascii: bool,
    utf8: bool,
    terminal: Option<usize>,
}

impl Table {
    /// An empty table; `name` is the top-level JSON key (`namespaces` for lsns). The locale
    /// decides the escaping and the tree glyphs ([`sys::display::locale_is_utf8`]); not a terminal.
    pub fn new(name: &str) -> Table {
        let utf8 = sys::display::locale_is_utf8();
        Table {
            name: name.to_owned(),
            columns: Vec::new(),
            lines: Vec::new(),
            raw: false,
            json: false,
            json_format: JsonFormat::from_env(),
            noheadings: false,
            ascii: !utf8,
            utf8,
            terminal: None,
        }
    }

    /// Add a column after the others; returns its index for [`Table::set`].
    pub fn add_column(&mut self, spec: ColumnSpec) -> usize {
        self.columns.push(spec);
        self.columns.len() - 1
    }

    /// Add a line after all others. With a parent it prints under that parent, after the
    /// parent's earlier children (in a tree table; a table without a tree column is flat and
    /// prints lines in the order they were added).
    pub fn add_line(&mut self, parent: Option<LineId>) -> LineId {
        let id = self.lines.len();
        let parent = parent
            .map(|p| p.0)
            .filter(|&p| self.lines.get(p).is_some_and(|l| !l.removed));
        if let Some(p) = parent {
            self.lines[p].children.push(id);
        }
        self.lines.push(Line {
            parent,
            ..Line::default()
        });
        LineId(id)
    }

    /// Set a cell's data: bytes, not necessarily UTF-8. libsmartcols keeps C strings, so
    /// anything from a NUL byte on is ignored; empty data is the same as no data.
    pub fn set(&mut self, line: LineId, column: usize, data: impl Into<Vec<u8>>) {
        if column >= self.columns.len() {
            return;
        }
        if let Some(l) = self.lines.get_mut(line.0) {
            if l.cells.len() <= column {
                l.cells.resize(column + 1, None);
            }
            l.cells[column] = Some(data.into());
        }
    }

    /// Set a cell's JSON form: in JSON output the cell is `value`, whatever its text and the
    /// column's [`DataType`]; the text (from [`Table::set`]) stays what table and raw output
    /// print and what a filter sees.
    pub fn set_json_value(&mut self, line: LineId, column: usize, value: JsonValue) {
        if column >= self.columns.len() {
            return;
        }
        if let Some(l) = self.lines.get_mut(line.0) {
            if l.json_values.len() <= column {
                l.json_values.resize(column + 1, None);
            }
            l.json_values[column] = Some(value);
        }
    }

    /// A cell's data as set, `None` when it was never set.
    pub fn get(&self, line: LineId, column: usize) -> Option<&[u8]> {
        self.lines
            .get(line.0)
            .and_then(|l| l.cells.get(column))
            .and_then(|c| c.as_deref())
    }

    /// Remove a line, as lsns does with a line its filter rejects (detach it from its parent,
    /// then `scols_table_remove_line`). Its children, if any, go with it: libsmartcols would
    /// leave them pointing at a freed parent, which nothing relies on.
    pub fn remove_line(&mut self, line: LineId) {
        let Some(l) = self.lines.get(line.0) else {
            return;
        };
        if l.removed {
            return;
        }
        if let Some(p) = l.parent {
            self.lines[p].children.retain(|&c| c != line.0);
        }
        let mut stack = vec![line.0];
        while let Some(i) = stack.pop() {
            let l = &mut self.lines[i];
            l.removed = true;
            l.cells.clear();
            l.json_values.clear();
            stack.append(&mut l.children);
        }
    }

    /// Raw output (`-r`): no alignment, one space between fields, blanks, backslashes and
    /// unprintable bytes as `\xHH`.
    pub fn set_raw(&mut self, raw: bool) {
        self.raw = raw;
    }

    /// JSON output (`-J`); it wins over raw.
    pub fn set_json(&mut self, json: bool) {
        self.json = json;
    }

    /// The JSON layout ([`Table::new`] takes it from `LIBSMARTCOLS_JSON`).
    pub fn set_json_format(&mut self, format: JsonFormat) {
        self.json_format = format;
    }

    /// Leave out the header line (`-n`).
    pub fn set_noheadings(&mut self, noheadings: bool) {
        self.noheadings = noheadings;
    }

    /// Tree glyphs `|-`, `` `- ``, `| ` instead of `├─`, `└─`, `│ `.
    pub fn set_ascii(&mut self, ascii: bool) {
        self.ascii = ascii;
    }

    /// Whether the output locale is UTF-8, which decides which bytes are printable (set from
    /// [`sys::display::locale_is_utf8`] by [`Table::new`]; for tests).
    pub fn set_utf8(&mut self, utf8: bool) {
        self.utf8 = utf8;
    }

    /// The terminal width when stdout is a terminal, `None` when it is not: only a terminal
    /// gets columns truncated (and widened to their hints) to fit.
    pub fn set_terminal(&mut self, width: Option<usize>) {
        self.terminal = width;
    }

    /// Whether the table has no lines (it then prints nothing, except in JSON).
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.removed)
    }

    /// Print the table as `scols_print_table` does.
    pub fn print(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut buf = Vec::new();
        render::render(self, &mut buf);
        out.write_all(&buf)
    }
}

/// `s` as a JSON string literal, escaped as the table's JSON output escapes it (for tools
/// whose JSON has shapes a table cannot hold, such as arrays).
pub fn json_quoted(s: &[u8]) -> String {
    let mut out = Vec::new();
    render::json_string(s, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
