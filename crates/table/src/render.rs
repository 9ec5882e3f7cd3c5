//! The printing half of [`Table`]: cell encoding, width calculation, and the three output
//! formats.

use super::{DataType, JsonFormat, JsonValue, Table};

const SEP: u8 = b' ';

/// Tree glyphs: branch, last branch, vertical line.
struct Glyphs {
    branch: &'static [u8],
    right: &'static [u8],
    vertical: &'static [u8],
}

const UTF8_GLYPHS: Glyphs = Glyphs {
    branch: "├─".as_bytes(),
    right: "└─".as_bytes(),
    vertical: "│ ".as_bytes(),
};

const ASCII_GLYPHS: Glyphs = Glyphs {
    branch: b"|-",
    right: b"`-",
    vertical: b"| ",
};

/// Everything one `print` needs besides the table.
struct Ctx<'a> {
    t: &'a Table,
    glyphs: &'a Glyphs,
    /// Live lines, in the order they were added.
    lines: Vec<usize>,
    tree: bool,
}

impl Ctx<'_> {
    /// A cell's data as libsmartcols sees it: a C string, so up to the first NUL.
    fn data(&self, line: usize, col: usize) -> &[u8] {
        let d = self.t.lines[line]
            .cells
            .get(col)
            .and_then(|c| c.as_deref())
            .unwrap_or_default();
        d.iter().position(|&b| b == 0).map_or(d, |n| &d[..n])
    }

    /// A cell's JSON form, when one was set.
    fn json_value(&self, line: usize, col: usize) -> Option<&JsonValue> {
        self.t.lines[line]
            .json_values
            .get(col)
            .and_then(Option::as_ref)
    }

    fn is_last_child(&self, line: usize) -> bool {
        self.t.lines[line]
            .parent
            .is_some_and(|p| self.t.lines[p].children.last() == Some(&line))
    }

    /// The art an ancestor leaves in its descendants' cells: a vertical line while it has
    /// siblings below it, blanks otherwise.
    fn ancestor_art(&self, line: usize, art: &mut Vec<u8>) {
        if let Some(p) = self.t.lines[line].parent {
            self.ancestor_art(p, art);
            art.extend_from_slice(if self.is_last_child(line) {
                b"  "
            } else {
                self.glyphs.vertical
            });
        }
    }

    /// The glyphs in front of a line's tree cell (empty for a root or a non-tree column).
    fn cell_art(&self, line: usize, col: usize) -> Vec<u8> {
        let mut art = Vec::new();
        if !self.t.columns[col].tree || self.t.json {
            return art;
        }
        if let Some(p) = self.t.lines[line].parent {
            self.ancestor_art(p, &mut art);
            art.extend_from_slice(if self.is_last_child(line) {
                self.glyphs.right
            } else {
                self.glyphs.branch
            });
        }
        art
    }

    /// Lines in print order: as added, or depth-first from each root in a tree.
    fn print_order(&self) -> Vec<usize> {
        if !self.tree {
            return self.lines.clone();
        }
        let mut order = Vec::with_capacity(self.lines.len());
        let mut stack: Vec<usize> = Vec::new();
        for &root in self.lines.iter().rev() {
            if self.t.lines[root].parent.is_none() {
                stack.push(root);
            }
        }
        // The stack holds roots last-first so that popping gives them in order.
        while let Some(l) = stack.pop() {
            order.push(l);
            stack.extend(self.t.lines[l].children.iter().rev());
        }
        order
    }
}

pub(super) fn render(t: &Table, out: &mut Vec<u8>) {
    let ctx = Ctx {
        t,
        glyphs: if t.ascii { &ASCII_GLYPHS } else { &UTF8_GLYPHS },
        lines: (0..t.lines.len())
            .filter(|&i| !t.lines[i].removed)
            .collect(),
        tree: t.columns.iter().any(|c| c.tree),
    };
    if t.json {
        render_json(&ctx, out);
    } else if ctx.lines.is_empty() || t.columns.is_empty() {
        // Nothing at all, not even the header.
    } else if t.raw {
        render_raw(&ctx, out);
    } else {
        render_human(&ctx, out);
    }
}

// ---------------------------------------------------------------------------------------
// Encoding

/// The terminal width of a printable character, `None` for an unprintable one. A compact
/// approximation of glibc's `iswprint`/`wcwidth`: control characters and line/paragraph
/// separators are unprintable, common combining marks and zero-width characters take no
/// cell, East Asian wide ranges and emoji take two.
fn char_width(c: char) -> Option<usize> {
    let u = u32::from(c);
    if c.is_control() || u == 0x2028 || u == 0x2029 {
        return None;
    }
    const ZERO: &[(u32, u32)] = &[
        (0x0300, 0x036F),
        (0x0483, 0x0489),
        (0x0591, 0x05BD),
        (0x0610, 0x061A),
        (0x064B, 0x065F),
        (0x1AB0, 0x1AFF),
        (0x1DC0, 0x1DFF),
        (0x200B, 0x200F),
        (0x20D0, 0x20FF),
        (0xFE00, 0xFE0F),
        (0xFE20, 0xFE2F),
        (0xE0100, 0xE01EF),
    ];
    const WIDE: &[(u32, u32)] = &[
        (0x1100, 0x115F),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x1F300, 0x1F64F),
        (0x1F900, 0x1F9FF),
        (0x20000, 0x2FFFD),
        (0x30000, 0x3FFFD),
    ];
    let within = |r: &[(u32, u32)]| r.iter().any(|&(a, b)| (a..=b).contains(&u));
    Some(if within(ZERO) {
        0
    } else if within(WIDE) {
        2
    } else {
        1
    })
}

/// The first character of `s` when `s` starts with a complete, valid UTF-8 sequence.
fn first_char(s: &[u8]) -> Option<(char, usize)> {
    let len = match s.first()? {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let c = std::str::from_utf8(s.get(..len)?).ok()?.chars().next()?;
    Some((c, len))
}

fn push_hex(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(&[
        b'\\',
        b'x',
        HEX[usize::from(b >> 4)],
        HEX[usize::from(b & 15)],
    ]);
}

/// libsmartcols' cell encoding for table output: control characters, a backslash that
/// starts `\x`, and whatever the locale cannot print become `\xHH`. Returns the encoded bytes
/// and their width in terminal cells; `keep_newlines` passes `\n` through (not counted).
fn safe_encode(data: &[u8], utf8: bool, keep_newlines: bool) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(data.len());
    let mut width = 0;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if keep_newlines && b == b'\n' {
            out.push(b);
            i += 1;
        } else if (b == b'\\' && data.get(i + 1) == Some(&b'x')) || b < 0x20 || b == 0x7f {
            push_hex(&mut out, b);
            width += 4;
            i += 1;
        } else if b < 0x80 {
            out.push(b);
            width += 1;
            i += 1;
        } else if let Some((c, len)) = first_char(&data[i..]).filter(|_| utf8) {
            match char_width(c) {
                Some(w) => {
                    out.extend_from_slice(&data[i..i + len]);
                    width += w;
                }
                None => {
                    for &x in &data[i..i + len] {
                        push_hex(&mut out, x);
                        width += 4;
                    }
                }
            }
            i += len;
        } else {
            // An invalid sequence, or any non-ASCII byte in a single-byte locale.
            push_hex(&mut out, b);
            width += 4;
            i += 1;
        }
    }
    (out, width)
}

fn safe_width(data: &[u8], utf8: bool) -> usize {
    safe_encode(data, utf8, false).1
}

/// Cut encoded data (valid UTF-8 or ASCII) to at most `width` cells; returns the byte length
/// kept and its width.
fn truncate(enc: &[u8], width: usize, utf8: bool) -> (usize, usize) {
    let mut cells = 0;
    let mut i = 0;
    while i < enc.len() {
        let (w, len) = match first_char(&enc[i..]).filter(|_| utf8) {
            Some((c, len)) => (char_width(c).unwrap_or(1), len),
            None => (1, 1),
        };
        if cells + w > width {
            break;
        }
        cells += w;
        i += len;
    }
    (i, cells)
}

/// Raw-mode encoding: blanks, backslashes and every byte that is not printable ASCII.
fn raw_encode(data: &[u8], out: &mut Vec<u8>) {
    for &b in data {
        if b == b' ' || b == b'\t' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            push_hex(out, b);
        } else {
            out.push(b);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Raw

fn render_raw(ctx: &Ctx<'_>, out: &mut Vec<u8>) {
    let t = ctx.t;
    let visible: Vec<usize> = (0..t.columns.len())
        .filter(|&c| !t.columns[c].hidden)
        .collect();
    let row = |out: &mut Vec<u8>, cell: &dyn Fn(usize) -> Vec<u8>| {
        for (k, &c) in visible.iter().enumerate() {
            raw_encode(&cell(c), out);
            if k + 1 < visible.len() {
                out.push(SEP);
            }
        }
        out.push(b'\n');
    };
    if !t.noheadings {
        row(out, &|c| t.columns[c].name.as_bytes().to_vec());
    }
    for l in ctx.print_order() {
        row(out, &|c| {
            let mut buf = ctx.cell_art(l, c);
            buf.extend_from_slice(ctx.data(l, c));
            buf
        });
    }
}

// ---------------------------------------------------------------------------------------
// JSON

/// The JSON writer's layout rules, in the three layouts `LIBSMARTCOLS_JSON` chooses.
/// Pretty: three-space indent, `},{` between objects in an array, `,\n` before a named
/// member. Compact: no blanks, each object of the table's array on its own line. Lines:
/// one object per line, without the enclosing object and array.
struct Json<'a> {
    out: &'a mut Vec<u8>,
    format: JsonFormat,
    indent: usize,
    after_close: bool,
}

impl Json<'_> {
    fn put(&mut self, s: &[u8]) {
        self.out.extend_from_slice(s);
    }

    fn indent(&mut self) {
        for _ in 0..self.indent {
            self.out.extend_from_slice(b"   ");
        }
    }

    fn name(&mut self, name: Option<&[u8]>) {
        if self.after_close {
            let sep: &[u8] = match (self.format, name.is_some()) {
                (JsonFormat::Lines, _) if self.indent == 0 => b"\n",
                (JsonFormat::Lines | JsonFormat::Compact, _) | (JsonFormat::Pretty, false) => b",",
                (JsonFormat::Pretty, true) => b",\n",
            };
            self.put(sep);
        }
        if self.format == JsonFormat::Pretty && (name.is_some() || !self.after_close) {
            self.indent();
        }
        if let Some(n) = name {
            json_string(n, self.out);
        }
    }

    fn open(&mut self, name: Option<&[u8]>, array: bool) {
        self.name(name);
        let named = name.is_some();
        let s: &[u8] = match (self.format, array) {
            (JsonFormat::Pretty, true) if named => b": [\n",
            (JsonFormat::Pretty, true) => b"[\n",
            (JsonFormat::Pretty, false) if named => b": {\n",
            (JsonFormat::Pretty, false) => b"{\n",
            // libsmartcols 2.42 leaves the colon out in the lines format (`"children"[`):
            // not valid JSON, so it is written here.
            (JsonFormat::Compact | JsonFormat::Lines, true) if named => b":[",
            (JsonFormat::Compact | JsonFormat::Lines, true) => b"[",
            // Objects of the table's array start on a line of their own.
            (JsonFormat::Compact, false) if self.indent == 2 && named => b":{",
            (JsonFormat::Compact, false) if self.indent == 2 => b"\n{",
            // libsmartcols never names an object elsewhere; its writer would leave the colon
            // out here too.
            (JsonFormat::Compact | JsonFormat::Lines, false) if named => b":{",
            (JsonFormat::Compact | JsonFormat::Lines, false) => b"{",
        };
        self.put(s);
        self.indent += 1;
        self.after_close = false;
    }

    fn close(&mut self, array: bool) {
        self.indent = self.indent.saturating_sub(1);
        match self.format {
            JsonFormat::Pretty => {
                self.out.push(b'\n');
                self.indent();
            }
            // The table's array ends on a line of its own.
            JsonFormat::Compact if self.indent == 1 => self.out.push(b'\n'),
            JsonFormat::Compact | JsonFormat::Lines => {}
        }
        self.out.push(if array { b']' } else { b'}' });
        if self.indent == 0 && self.format != JsonFormat::Lines {
            self.out.push(b'\n');
        }
        self.after_close = true;
    }

    /// The start of a scalar member (named) or array element (unnamed).
    fn value_open(&mut self, name: Option<&[u8]>) {
        self.name(name);
        self.put(match (self.format, name.is_some()) {
            (JsonFormat::Pretty, true) => b": ",
            (JsonFormat::Pretty, false) => b" ",
            (JsonFormat::Compact | JsonFormat::Lines, true) => b":",
            (JsonFormat::Compact | JsonFormat::Lines, false) => b"",
        });
    }

    fn value(&mut self, name: &[u8], value: &[u8], kind: DataType) {
        self.value_open(Some(name));
        match kind {
            DataType::String if !value.is_empty() => json_string(value, self.out),
            DataType::Number | DataType::Float if !value.is_empty() => {
                self.out.extend_from_slice(value);
            }
            DataType::Boolean => {
                let no = matches!(value.first(), None | Some(b'0' | b'N' | b'n'));
                self.out
                    .extend_from_slice(if no { b"false" } else { b"true" });
            }
            _ => self.out.extend_from_slice(b"null"),
        }
        self.after_close = true;
    }

    /// An empty array or object (`[]`, `{}`) on the line of its name.
    fn empty(&mut self, name: Option<&[u8]>, brackets: &[u8]) {
        self.name(name);
        if name.is_some() {
            self.put(if self.format == JsonFormat::Pretty {
                b": "
            } else {
                b":"
            });
        }
        self.put(brackets);
        self.after_close = true;
    }

    /// A nested value, member (named) or element (unnamed), laid out as libsmartcols lays
    /// out its array columns: each element on its own line in the pretty format.
    fn nested(&mut self, name: Option<&[u8]>, value: &JsonValue) {
        match value {
            JsonValue::Array(items) if items.is_empty() => self.empty(name, b"[]"),
            JsonValue::Object(members) if members.is_empty() => self.empty(name, b"{}"),
            JsonValue::Array(items) => {
                self.open(name, true);
                for item in items {
                    self.nested(None, item);
                }
                self.close(true);
            }
            JsonValue::Object(members) => {
                self.open(name, false);
                for (key, member) in members {
                    self.nested(Some(key.as_bytes()), member);
                }
                self.close(false);
            }
            JsonValue::Null => self.scalar(name, b"null"),
            JsonValue::Bool(true) => self.scalar(name, b"true"),
            JsonValue::Bool(false) => self.scalar(name, b"false"),
            JsonValue::Number(n) => self.scalar(name, n.as_str().as_bytes()),
            JsonValue::String(s) => {
                self.value_open(name);
                json_string(s.as_bytes(), self.out);
                self.after_close = true;
            }
        }
    }

    /// A scalar written as `text`.
    fn scalar(&mut self, name: Option<&[u8]>, text: &[u8]) {
        self.value_open(name);
        self.put(text);
        self.after_close = true;
    }
}

/// A JSON string: `"` and `\` escaped, short escapes for the usual controls, `\u00XX` for
/// other controls, every other byte (UTF-8 or not) as it is.
pub(super) fn json_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..0x20 => out.extend_from_slice(format!("\\u00{b:02x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn render_json(ctx: &Ctx<'_>, out: &mut Vec<u8>) {
    let mut j = Json {
        out,
        format: ctx.t.json_format,
        indent: 0,
        after_close: false,
    };
    if j.format == JsonFormat::Lines {
        // No enclosing object and array: each top-level line is an object of its own line;
        // an empty table prints nothing at all.
        if ctx.lines.is_empty() {
            return;
        }
        for &l in &ctx.lines {
            if !ctx.tree || ctx.t.lines[l].parent.is_none() {
                json_line(ctx, &mut j, l, ctx.tree);
            }
        }
        j.out.push(b'\n');
        return;
    }
    j.open(None, false);
    j.open(Some(&ctx.t.name.as_bytes().to_ascii_lowercase()), true);
    if ctx.tree {
        for &l in &ctx.lines {
            if ctx.t.lines[l].parent.is_none() {
                json_line(ctx, &mut j, l, true);
            }
        }
    } else {
        for &l in &ctx.lines {
            json_line(ctx, &mut j, l, false);
        }
    }
    j.close(true);
    j.close(false);
}

fn json_line(ctx: &Ctx<'_>, j: &mut Json<'_>, line: usize, tree: bool) {
    j.open(None, false);
    for (c, col) in ctx.t.columns.iter().enumerate() {
        if col.hidden {
            continue;
        }
        let name = col.name.as_bytes().to_ascii_lowercase();
        match ctx.json_value(line, c) {
            Some(value) => j.nested(Some(&name), value),
            None => j.value(&name, ctx.data(line, c), col.data_type),
        }
    }
    let children = &ctx.t.lines[line].children;
    if tree && !children.is_empty() {
        j.open(Some(b"children"), true);
        for &child in children {
            json_line(ctx, j, child, true);
        }
        j.close(true);
    }
    j.close(false);
}

// ---------------------------------------------------------------------------------------
// Width calculation

/// The statistics libsmartcols keeps per column while fitting a table to a terminal.
#[derive(Debug, Default, Clone)]
struct Stat {
    min: usize,
    max: usize,
    treeart: usize,
    avg: f64,
    deviation: f64,
}

/// Final column widths, and which columns are hidden (a column reduced to nothing is).
struct Layout {
    width: Vec<usize>,
    hidden: Vec<bool>,
}

impl Layout {
    fn is_last(&self, col: usize) -> bool {
        self.hidden[col + 1..].iter().all(|&h| h)
    }
}

/// The parts of a multi-line cell.
fn chunks(data: &[u8]) -> Vec<&[u8]> {
    if data.is_empty() {
        Vec::new()
    } else {
        data.split(|&b| b == b'\n').collect()
    }
}

/// The square root as libsmartcols computes it (Newton's method until it stops moving), so
/// that ties between columns break the same way.
fn sqrt_newton(num: f64) -> f64 {
    let (mut tmp, mut sq) = (0.0, num / 2.0);
    let mut steps = 0;
    while sq != tmp && steps < 200 {
        tmp = sq;
        sq = (num / tmp + tmp) / 2.0;
        steps += 1;
    }
    sq
}

fn calculate(ctx: &Ctx<'_>) -> Layout {
    let t = ctx.t;
    let n = t.columns.len();
    let mut layout = Layout {
        width: vec![0; n],
        hidden: t.columns.iter().map(|c| c.hidden).collect(),
    };
    let mut stats = vec![Stat::default(); n];
    let mut cell_widths = vec![vec![0usize; ctx.lines.len()]; n];
    let mut total = 0;
    for c in 0..n {
        let col = &t.columns[c];
        if col.hidden {
            continue;
        }
        let st = &mut stats[c];
        let no_header = t.noheadings;
        if !no_header {
            st.min = safe_width(col.name.as_bytes(), t.utf8);
        }
        if st.min == 0 {
            st.min = 1;
        }
        for (k, &l) in ctx.lines.iter().enumerate() {
            let mut buf = ctx.cell_art(l, c);
            let art = safe_width(&buf, t.utf8);
            let data = ctx.data(l, c);
            if col.wrap_lines {
                // The part with the most bytes decides, the last of equals.
                let widest = chunks(data)
                    .into_iter()
                    .max_by_key(|p| p.len())
                    .unwrap_or_default();
                buf.extend_from_slice(widest);
            } else {
                buf.extend_from_slice(data);
            }
            let w = safe_width(&buf, t.utf8);
            cell_widths[c][k] = w;
            st.max = st.max.max(w);
            if col.tree {
                st.treeart = st.treeart.max(art);
            }
        }
        let hint = col.width_hint;
        let mut width = st.max;
        if width <= st.min {
            width = st.min;
        } else if hint >= 1.0 && width < hint as usize && st.min < hint as usize {
            width = hint as usize;
        }
        if st.max == 0 && no_header && st.min == 1 && width <= 1 {
            width = 0;
            st.min = 0;
        }
        layout.width[c] = width;
        total += width + usize::from(!layout.is_last(c));
    }
    let Some(outwidth) = t.terminal else {
        return layout;
    };

    for c in 0..n {
        let st = &mut stats[c];
        let count = ctx.lines.len();
        if count == 0 {
            continue;
        }
        let sum: usize = cell_widths[c].iter().sum();
        st.avg = sum as f64 / count as f64;
        if count > 1 {
            let sqr: f64 = cell_widths[c]
                .iter()
                .map(|&w| (w as f64 - st.avg).powi(2))
                .sum();
            st.deviation = sqrt_newton(sqr / (count - 1) as f64);
        }
    }

    // Reduce, worst (widest and most uneven) column first, stage by stage.
    let mut order: Vec<usize> = (0..n).collect();
    let mut sorted = false;
    let mut stage = 0;
    while total > outwidth {
        if !sorted {
            let key = |c: usize| stats[c].avg + 3.0 * stats[c].deviation;
            order.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
            sorted = true;
        }
        let before = total;
        let mut stop = false;
        for (nth, &c) in order.iter().rev().enumerate() {
            if total <= outwidth {
                break;
            }
            match reduce_column(
                ctx,
                &mut layout,
                &stats[c],
                c,
                &mut total,
                outwidth,
                stage,
                nth,
            ) {
                Reduce::Next => {}
                Reduce::Stop => {
                    stop = true;
                    break;
                }
            }
        }
        if stop {
            break;
        }
        if before == total {
            stage += 1;
        }
    }

    // Enlarge: first the columns narrower than their absolute hints, then the last column.
    if total < outwidth {
        loop {
            let mut changed = false;
            for &c in order.iter().rev() {
                let hint = t.columns[c].width_hint;
                if layout.hidden[c] || hint < 1.0 || layout.width[c] >= hint as usize {
                    continue;
                }
                layout.width[c] += 1;
                total += 1;
                changed = true;
                if total == outwidth {
                    break;
                }
            }
            if !changed || total >= outwidth {
                break;
            }
        }
        if total < outwidth && n > 0 && !t.columns[n - 1].right {
            layout.width[n - 1] += outwidth - total;
        }
    }
    layout
}

enum Reduce {
    Next,
    Stop,
}

#[allow(clippy::too_many_arguments)]
fn reduce_column(
    ctx: &Ctx<'_>,
    layout: &mut Layout,
    st: &Stat,
    c: usize,
    total: &mut usize,
    outwidth: usize,
    stage: usize,
    nth: usize,
) -> Reduce {
    let col = &ctx.t.columns[c];
    if stage > 6 || outwidth >= *total {
        return Reduce::Stop;
    }
    let width = layout.width[c];
    if layout.hidden[c] || width == st.min || width == 0 || (col.tree && *total <= st.treeart) {
        return Reduce::Next;
    }
    let wanted = *total - outwidth;
    let is_trunc = col.trunc;
    let to_68 = |width: usize| -> usize {
        if st.deviation < 1.0 {
            return width;
        }
        let new = ((st.avg + st.deviation) as usize).clamp(st.min, st.max.max(st.min));
        if new >= width {
            width
        } else if width - new > wanted {
            width - wanted
        } else {
            new
        }
    };
    let relative = col.width_hint > 0.0 && col.width_hint < 1.0;
    let new = match stage {
        0 if is_trunc && nth == 0 => to_68(width),
        3 | 4
            if (stage == 4 || st.deviation >= st.avg / 2.0)
                && is_trunc
                && relative
                && width >= (col.width_hint * outwidth as f64) as usize =>
        {
            to_68(width)
        }
        5 | 6 if (stage == 6 || st.deviation >= st.avg / 2.2) && is_trunc => {
            let mut reduce = if nth == 0 { wanted.min(3) } else { 1 };
            reduce = reduce.min(width);
            if width - reduce > st.min {
                width - reduce
            } else {
                st.min
            }
        }
        _ => width,
    };
    if new == 0 {
        layout.hidden[c] = true;
    }
    layout.width[c] = new;
    *total -= width - new;
    Reduce::Next
}

// ---------------------------------------------------------------------------------------
// Table output

fn pad(out: &mut Vec<u8>, from: usize, to: usize) {
    for _ in from..to {
        out.push(b' ');
    }
}

fn render_human(ctx: &Ctx<'_>, out: &mut Vec<u8>) {
    let t = ctx.t;
    let layout = calculate(ctx);
    let visible: Vec<usize> = (0..t.columns.len())
        .filter(|&c| !layout.hidden[c])
        .collect();
    if !t.noheadings {
        for &c in &visible {
            cell_out(ctx, &layout, c, t.columns[c].name.as_bytes(), out);
        }
        out.push(b'\n');
    }
    for l in ctx.print_order() {
        // The parts of multi-line cells still to print, per column.
        let mut pending: Vec<Vec<&[u8]>> = vec![Vec::new(); t.columns.len()];
        for &c in &visible {
            let mut buf = ctx.cell_art(l, c);
            let data = ctx.data(l, c);
            if t.columns[c].wrap_lines {
                let mut parts = chunks(data);
                if !parts.is_empty() {
                    buf.extend_from_slice(parts.remove(0));
                }
                parts.reverse();
                pending[c] = parts;
            } else {
                buf.extend_from_slice(data);
            }
            cell_out(ctx, &layout, c, &buf, out);
        }
        while pending.iter().any(|p| !p.is_empty()) {
            out.push(b'\n');
            for &c in &visible {
                if let Some(part) = pending[c].pop() {
                    let mut buf = ctx.cell_art(l, c);
                    buf.extend_from_slice(part);
                    if !continued_cell_out(ctx, &layout, c, &buf, out) {
                        pending.iter_mut().for_each(Vec::clear);
                        break;
                    }
                } else {
                    empty_cell_out(ctx, &layout, c, l, out);
                }
            }
        }
        out.push(b'\n');
    }
}

/// A cell on a line's first output line (or a header cell).
fn cell_out(ctx: &Ctx<'_>, layout: &Layout, c: usize, buf: &[u8], out: &mut Vec<u8>) {
    let col = &ctx.t.columns[c];
    let (mut enc, mut len) = safe_encode(buf, ctx.t.utf8, col.wrap_lines);
    if len == 0 {
        enc.clear();
    }
    let last = layout.is_last(c);
    let mut width = layout.width[c];
    if last && len < width && !col.right {
        width = len;
    }
    if len > width && col.trunc {
        let (bytes, cells) = truncate(&enc, width, ctx.t.utf8);
        enc.truncate(bytes);
        len = cells;
    }
    if !enc.is_empty() {
        if col.right {
            pad(out, len, width);
            len = width;
        }
        out.extend_from_slice(&enc);
    }
    if last {
        return;
    }
    pad(out, len, width);
    out.push(SEP);
}

/// A further part of a multi-line cell: never right-aligned. False when the column has no
/// width, which ends the line as libsmartcols does.
fn continued_cell_out(
    ctx: &Ctx<'_>,
    layout: &Layout,
    c: usize,
    buf: &[u8],
    out: &mut Vec<u8>,
) -> bool {
    let width = layout.width[c];
    if width == 0 {
        return false;
    }
    let (enc, len) = safe_encode(buf, ctx.t.utf8, ctx.t.columns[c].wrap_lines);
    if len == 0 {
        return true;
    }
    out.extend_from_slice(&enc);
    if !layout.is_last(c) {
        pad(out, len, width);
        out.push(SEP);
    }
    true
}

/// A blank cell on a continuation line; a tree column keeps its vertical lines going.
fn empty_cell_out(ctx: &Ctx<'_>, layout: &Layout, c: usize, line: usize, out: &mut Vec<u8>) {
    let mut len = 0;
    if ctx.t.columns[c].tree {
        let mut art = Vec::new();
        ctx.ancestor_art(line, &mut art);
        if !ctx.t.lines[line].children.is_empty() {
            art.extend_from_slice(ctx.glyphs.vertical);
        }
        let (enc, w) = safe_encode(&art, ctx.t.utf8, false);
        if w > 0 {
            out.extend_from_slice(&enc);
            len = w;
        }
    }
    if layout.is_last(c) {
        return;
    }
    pad(out, len, layout.width[c]);
    out.push(SEP);
}

/// [`safe_encode`] for the unit tests.
#[cfg(test)]
pub(super) fn tests_safe_encode(data: &[u8], utf8: bool) -> (Vec<u8>, usize) {
    safe_encode(data, utf8, false)
}
