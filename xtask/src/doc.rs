//! The hand-written sections of a man page, in a small plain-text format, turned into roff.
//!
//! The format, line by line:
//!
//! - `# ...` in the first column is a comment.
//! - `:date: YYYY-MM-DD`, before the first section, is the date of the page.
//! - `== TITLE` starts a section (`.SH`), `=== Title` a subsection (`.SS`). The section
//!   `== OPTIONS` must be there: the option list generated from the clap definition follows
//!   whatever text it has. NAME and SYNOPSIS are generated and may not appear.
//! - Blank lines separate blocks. A block is a paragraph, unless:
//!   - its first line ends in `::`: a tagged paragraph (`.TP`), that line being the tag;
//!   - its lines start with `* ` or `1. `: list items (`.IP`), continuation lines indented
//!     by two spaces;
//!   - its lines are indented by four spaces: an example, shown as it is (`.EX`), blank lines
//!     included.
//! - A line holding only `+` inside a block starts a new paragraph of that block: of a tagged
//!   paragraph it keeps the tag's indent (`.sp`), as AsciiDoc's list continuation does.
//! - Inline: `` `literal` `` is bold, with no line break at its spaces (`-S -1` stays
//!   together), `*placeholder*` italic, `name(N)` becomes a reference (the name in bold), and
//!   `\` takes the next character literally. Markup does not span lines.
//!
//! Everything reaches roff through the `roff` crate, which escapes `\`, `-` and a leading `.`
//! or `'`.

use anyhow::{Context, Result, bail, ensure};
use roff::{Inline, Roff, bold, italic, roman};

/// Stands for a space no line may break at, in the roff text of a [`Section`]: the `roff`
/// crate would escape a `\ ` written directly, so [`unbreakable`] puts it in afterwards.
const NBSP: char = '\u{E000}';

/// Rendered roff with each [`NBSP`] turned into roff's unbreakable space.
pub fn unbreakable(roff: &str) -> String {
    roff.replace(NBSP, "\\ ")
}

/// A parsed source file.
#[derive(Debug)]
pub struct Doc {
    /// The `:date:` attribute, for `.TH`.
    pub date: String,
    /// The sections, in file order.
    pub sections: Vec<Section>,
}

/// One `== TITLE` section.
#[derive(Debug)]
pub struct Section {
    /// The title, upper case.
    pub title: String,
    /// The body, without the `.SH` line.
    pub body: Roff,
}

/// A run of lines that renders as one unit.
#[derive(Debug)]
enum Block<'a> {
    Section(&'a str),
    Subsection(&'a str),
    Attribute(&'a str, &'a str),
    /// Lines of text, with their line numbers.
    Prose(Vec<(usize, &'a str)>),
    /// Lines shown as they are, the four-space indent removed.
    Example(Vec<&'a str>),
}

/// Parse a source file; a tool's (`options`) must have an OPTIONS section, a file format's
/// has none. Errors name the line.
pub fn parse(text: &str, options: bool) -> Result<Doc> {
    let mut date = None;
    let mut sections: Vec<Section> = Vec::new();
    // Whether the next block starts its section (and so needs no paragraph macro).
    let mut fresh = true;
    for (n, block) in blocks(text)? {
        match block {
            Block::Attribute("date", value) => {
                ensure!(
                    sections.is_empty(),
                    "line {n}: :date: belongs before the first section"
                );
                ensure!(
                    is_date(value),
                    "line {n}: :date: wants YYYY-MM-DD, not '{value}'"
                );
                date = Some(value.to_owned());
            }
            Block::Attribute(name, _) => bail!("line {n}: unknown attribute :{name}:"),
            Block::Section(title) => {
                ensure!(
                    !title.is_empty() && title == title.to_uppercase(),
                    "line {n}: a section title is upper case: '{title}'"
                );
                ensure!(
                    !matches!(title, "NAME" | "SYNOPSIS"),
                    "line {n}: {title} is generated from the clap definition"
                );
                ensure!(
                    sections.iter().all(|s| s.title != title),
                    "line {n}: a second {title} section"
                );
                sections.push(Section {
                    title: title.to_owned(),
                    body: Roff::new(),
                });
                fresh = true;
            }
            Block::Subsection(title) => {
                ensure!(!title.is_empty(), "line {n}: empty subsection title");
                body(&mut sections, n)?.control("SS", [title]);
                fresh = true;
            }
            Block::Prose(lines) => {
                prose(body(&mut sections, n)?, &lines, fresh)?;
                fresh = false;
            }
            Block::Example(lines) => {
                let roff = body(&mut sections, n)?;
                if !fresh {
                    roff.control("PP", []);
                }
                roff.control("RS", ["4"]).control("EX", []);
                for line in lines {
                    roff.text([roman(line)]);
                }
                roff.control("EE", []).control("RE", []);
                fresh = false;
            }
        }
    }
    let Some(date) = date else {
        bail!("no :date: attribute");
    };
    ensure!(
        !options || sections.iter().any(|s| s.title == "OPTIONS"),
        "no == OPTIONS section (the generated option list goes there)"
    );
    ensure!(
        options || sections.iter().all(|s| s.title != "OPTIONS"),
        "a file format's page has no OPTIONS section"
    );
    Ok(Doc { date, sections })
}

/// The body of the current section, for the block at line `n`.
fn body(sections: &mut [Section], n: usize) -> Result<&mut Roff> {
    match sections.last_mut() {
        Some(section) => Ok(&mut section.body),
        None => bail!("line {n}: text before the first section"),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

/// Split the text into blocks, each with the number of its first line.
fn blocks(text: &str) -> Result<Vec<(usize, Block<'_>)>> {
    let mut out = Vec::new();
    let mut prose: Vec<(usize, &str)> = Vec::new();
    let mut example: Vec<&str> = Vec::new();
    let mut example_start = 0;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        ensure!(!line.contains('\t'), "line {n}: a tab; indent with spaces");
        let line = line.trim_end();
        if line.starts_with('#') {
            continue;
        }
        if let Some(verbatim) = line.strip_prefix("    ") {
            flush_prose(&mut prose, &mut out);
            if example.is_empty() {
                example_start = n;
            }
            example.push(verbatim);
            continue;
        }
        if line.is_empty() {
            flush_prose(&mut prose, &mut out);
            if !example.is_empty() {
                example.push("");
            }
            continue;
        }
        flush_example(&mut example, example_start, &mut out);
        if let Some(title) = line.strip_prefix("=== ") {
            flush_prose(&mut prose, &mut out);
            out.push((n, Block::Subsection(title.trim())));
        } else if let Some(title) = line.strip_prefix("== ") {
            flush_prose(&mut prose, &mut out);
            out.push((n, Block::Section(title.trim())));
        } else if line.starts_with('=') {
            bail!("line {n}: a heading is '== TITLE' or '=== Title'");
        } else if let Some((name, value)) = attribute(line) {
            flush_prose(&mut prose, &mut out);
            out.push((n, Block::Attribute(name, value)));
        } else {
            prose.push((n, line));
        }
    }
    flush_prose(&mut prose, &mut out);
    flush_example(&mut example, example_start, &mut out);
    Ok(out)
}

fn flush_prose<'a>(prose: &mut Vec<(usize, &'a str)>, out: &mut Vec<(usize, Block<'a>)>) {
    if let Some((n, _)) = prose.first() {
        out.push((*n, Block::Prose(std::mem::take(prose))));
    }
}

/// End an example block, without its trailing blank lines.
fn flush_example<'a>(example: &mut Vec<&'a str>, n: usize, out: &mut Vec<(usize, Block<'a>)>) {
    while example.last().is_some_and(|l| l.is_empty()) {
        example.pop();
    }
    if !example.is_empty() {
        out.push((n, Block::Example(std::mem::take(example))));
    }
}

/// `:name: value`.
fn attribute(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    let (name, value) = rest.split_once(": ")?;
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()))
        .then_some((name, value.trim()))
}

/// The marker of a list item line and the text after it: `* text` or `12. text`.
fn list_item(line: &str) -> Option<(String, &str)> {
    if let Some(text) = line.strip_prefix("* ") {
        return Some((r"\(bu".to_owned(), text));
    }
    let (number, text) = line.split_once(". ")?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()))
        .then(|| (format!("{number}."), text))
}

fn prose(roff: &mut Roff, lines: &[(usize, &str)], fresh: bool) -> Result<()> {
    let text = |roff: &mut Roff, (n, line): (usize, &str)| -> Result<()> {
        if line.trim() == "+" {
            // A paragraph break that keeps the current indent (a tagged paragraph's body).
            roff.control("sp", []);
        } else {
            roff.text(inline(line.trim()).with_context(|| format!("line {n}"))?);
        }
        Ok(())
    };
    let (first_n, first) = lines[0];
    ensure!(
        first.trim() != "+",
        "line {first_n}: a + line continues a block; none comes before it"
    );
    if let Some(tag) = first.strip_suffix("::") {
        ensure!(
            lines.len() > 1,
            "line {first_n}: a tag with no text under it"
        );
        roff.control("TP", []);
        text(roff, (first_n, tag))?;
        for line in &lines[1..] {
            text(roff, *line)?;
        }
    } else if list_item(first).is_some() {
        for &(n, line) in lines {
            match list_item(line) {
                Some((marker, rest)) => {
                    let indent = if marker.ends_with('.') { "4" } else { "2" };
                    roff.control("IP", [marker.as_str(), indent]);
                    text(roff, (n, rest))?;
                }
                None if line.starts_with("  ") => text(roff, (n, line))?,
                None => bail!("line {n}: in a list, continuation lines are indented by two spaces"),
            }
        }
    } else {
        if !fresh {
            roff.control("PP", []);
        }
        for line in lines {
            text(roff, *line)?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Roman,
    Bold,
    Italic,
}

/// One line of text with its inline markup.
fn inline(line: &str) -> Result<Vec<Inline>> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut font = Font::Roman;
    let mut chars = line.chars();
    let close = |out: &mut Vec<Inline>, buf: &mut String, font: Font| -> Result<()> {
        let text = std::mem::take(buf);
        match font {
            Font::Roman => roman_with_refs(&text, out),
            _ if text.is_empty() => bail!("empty `` or **"),
            Font::Bold => out.push(bold(text.replace(' ', &NBSP.to_string()))),
            Font::Italic => out.push(italic(text)),
        }
        Ok(())
    };
    while let Some(c) = chars.next() {
        match (font, c) {
            (Font::Bold, '`') => {
                close(&mut out, &mut buf, font)?;
                font = Font::Roman;
            }
            (Font::Bold, c) => buf.push(c),
            (_, '\\') => match chars.next() {
                Some(c) => buf.push(c),
                None => bail!("a line cannot end in a backslash"),
            },
            (Font::Roman, '`') => {
                close(&mut out, &mut buf, font)?;
                font = Font::Bold;
            }
            (Font::Roman, '*') => {
                close(&mut out, &mut buf, font)?;
                font = Font::Italic;
            }
            (Font::Italic, '*') => {
                close(&mut out, &mut buf, font)?;
                font = Font::Roman;
            }
            (Font::Italic, '`') => bail!("` inside *...*"),
            (_, c) => buf.push(c),
        }
    }
    match font {
        Font::Roman => close(&mut out, &mut buf, font)?,
        Font::Bold => bail!("unclosed `"),
        Font::Italic => bail!("unclosed *"),
    }
    Ok(out)
}

/// Roman text, with each `name(N)` set as a man page reference: the name in bold.
fn roman_with_refs(text: &str, out: &mut Vec<Inline>) {
    let mut rest = text;
    while let Some((start, open, end)) = find_ref(rest) {
        if start > 0 {
            out.push(roman(&rest[..start]));
        }
        out.push(bold(&rest[start..open]));
        out.push(roman(&rest[open..end]));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        out.push(roman(rest));
    }
}

/// The first `name(N)` in `s`: where the name starts, where `(` is, where `)` ends.
fn find_ref(s: &str) -> Option<(usize, usize, usize)> {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut from = 0;
    while let Some(i) = s[from..].find('(').map(|i| i + from) {
        from = i + 1;
        let Some(len) = s[i + 1..].find(')') else {
            break;
        };
        let section = &s[i + 1..i + 1 + len];
        let section_ok = section.len() <= 4
            && section.starts_with(|c: char| c.is_ascii_digit())
            && section[1..].bytes().all(|b| b.is_ascii_lowercase());
        let start = s[..i]
            .char_indices()
            .rev()
            .take_while(|(_, c)| name_char(*c))
            .last()
            .map_or(i, |(j, _)| j);
        // A name starts with a letter: skip leading punctuation (`--`, `.`).
        let start = s[start..i]
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or(i, |j| start + j);
        if section_ok && start < i {
            return Some((start, i, i + 2 + len));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> String {
        let doc = parse(
            &format!(":date: 2026-01-02\n== OPTIONS\n== DESCRIPTION\n{text}"),
            true,
        )
        .unwrap();
        unbreakable(&doc.sections[1].body.to_roff())
    }

    #[test]
    fn escapes_roff_specials() {
        assert_eq!(
            body(".dot\n'quote\nback\\\\slash and --long-option\n"),
            "\\&.dot\n\\&'quote\nback\\\\slash and \\-\\-long\\-option\n"
        );
        assert_eq!(
            body("    .x '\\-y\n"),
            ".RS 4\n.EX\n\\&.x '\\\\\\-y\n.EE\n.RE\n"
        );
    }

    #[test]
    fn blocks_render() {
        assert_eq!(
            body("One\ntwo.\n\nThree `--opt=`*file* see nsenter(1), (x) f(y).\n"),
            "One\ntwo.\n.PP\nThree \\fB\\-\\-opt=\\fR\\fIfile\\fR see \\fBnsenter\\fR(1), (x) f(y).\n"
        );
        assert_eq!(
            body(
                "`--a`::\nText.\n\n* one\n  more\n* two\n\n1. first\n=== Sub\nPara\n    ex\n\n    ex2\n\nEnd\n"
            ),
            ".TP\n\\fB\\-\\-a\\fR\nText.\n.IP \\(bu 2\none\nmore\n.IP \\(bu 2\ntwo\n.IP 1. 4\nfirst\n\
             .SS Sub\nPara\n.PP\n.RS 4\n.EX\nex\n\nex2\n.EE\n.RE\n.PP\nEnd\n"
        );
        assert_eq!(body("a \\*b\\* \\`c\\`\n"), "a *b* `c`\n");
        assert_eq!(
            body("`x`::\nOne.\n+\nTwo.\n"),
            ".TP\n\\fBx\\fR\nOne.\n.sp\nTwo.\n"
        );
        assert_eq!(body("`-S -1` x y\n"), "\\fB\\-S\\ \\-1\\fR x y\n");
    }

    #[test]
    fn refs() {
        let refs = |s: &str| {
            let mut out = Vec::new();
            roman_with_refs(s, &mut out);
            out
        };
        assert_eq!(
            refs("see user_namespaces(7), --mount.overlay(8) and (5)"),
            vec![
                roman("see "),
                bold("user_namespaces"),
                roman("(7)"),
                roman(", --"),
                bold("mount.overlay"),
                roman("(8)"),
                roman(" and (5)"),
            ]
        );
    }

    #[test]
    fn refuses_bad_input() {
        let err = |text: &str| format!("{:#}", parse(text, true).unwrap_err());
        let ok = ":date: 2026-01-02\n== OPTIONS\n";
        assert_eq!(err("== OPTIONS\n"), "no :date: attribute");
        assert_eq!(
            err(":date: 2026-01-02\n"),
            "no == OPTIONS section (the generated option list goes there)"
        );
        assert_eq!(
            err(":date: 2 Jan\n"),
            "line 1: :date: wants YYYY-MM-DD, not '2 Jan'"
        );
        assert_eq!(err(&format!("{ok}x `y\n")), "line 3: unclosed `");
        assert_eq!(err(&format!("{ok}x *y\n")), "line 3: unclosed *");
        assert_eq!(err(&format!("{ok}x ``\n")), "line 3: empty `` or **");
        assert_eq!(
            err(&format!("{ok}== Lower\n")),
            "line 3: a section title is upper case: 'Lower'"
        );
        assert_eq!(
            err(&format!("{ok}== NAME\n")),
            "line 3: NAME is generated from the clap definition"
        );
        assert_eq!(
            err(&format!("{ok}tag::\n")),
            "line 3: a tag with no text under it"
        );
        assert_eq!(
            err(&format!("{ok}* a\nb\n")),
            "line 4: in a list, continuation lines are indented by two spaces"
        );
        assert_eq!(err("text\n"), "line 1: text before the first section");
    }
}
