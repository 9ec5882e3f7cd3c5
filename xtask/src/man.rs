//! A man page: NAME, SYNOPSIS and the option list from clap_mangen, everything else from the
//! tool's hand-written source (`doc.rs`).

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::{Arg, Command};
use clap_mangen::Man;
use roff::Roff;

use crate::doc::Doc;
use crate::tools::{Format, Tool};

/// What the `roff` crate writes at the top of every rendering (it defines the `Aq` string that
/// apostrophes are written as). The page has it once, at the top.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// The whole page.
pub fn page(tool: &Tool, doc: &Doc) -> Result<String> {
    let cmd = tool.command().mut_args(values_in_help);
    let version = cmd
        .get_version()
        .map_or_else(|| env!("CARGO_PKG_VERSION").to_owned(), str::to_owned);
    // NAME reads "unshare - run a program ...": no capital, no full stop.
    let about = cmd.get_about().map(|a| name_line(&a.to_string()));
    let mut head = cmd.clone();
    if let Some(about) = about {
        head = head.about(about);
    }
    if let Some(synopsis) = tool.synopsis {
        head = head.override_usage(synopsis);
    }
    let manual = match tool.section {
        "8" => "System Administration",
        _ => "User Commands",
    };
    let man = Man::new(head)
        .title(tool.name.to_uppercase())
        .section(tool.section)
        .date(&doc.date)
        .source(format!("nsutils {version}"))
        .manual(manual);

    let mut out = head_sections(&man)?;
    out += &rendered(|w| man.render_synopsis_section(w))?;
    for section in &doc.sections {
        let mut sh = Roff::new();
        sh.control("SH", [section.title.as_str()]);
        out += &roff_body(&sh)?;
        out += &crate::doc::unbreakable(&roff_body(&section.body)?);
        if section.title == "OPTIONS" {
            out += &options(tool.name, &cmd)?;
        }
    }
    Ok(out)
}

/// A file format's page: title and NAME, then the hand-written sections.
pub fn format_page(format: &Format, doc: &Doc) -> Result<String> {
    let man = Man::new(format.command())
        .title(format.name.to_uppercase())
        .section(format.section)
        .date(&doc.date)
        .source(format!("nsutils {}", env!("CARGO_PKG_VERSION")))
        .manual("File Formats");
    let mut out = head_sections(&man)?;
    for section in &doc.sections {
        let mut sh = Roff::new();
        sh.control("SH", [section.title.as_str()]);
        out += &roff_body(&sh)?;
        out += &crate::doc::unbreakable(&roff_body(&section.body)?);
    }
    Ok(out)
}

/// The preamble, `.TH`, the layout and NAME.
fn head_sections(man: &Man) -> Result<String> {
    let mut out = String::from(PREAMBLE);
    out += &rendered(|w| man.render_title(w))?;
    // Ragged right, no hyphenation: option names stay whole.
    let mut layout = Roff::new();
    layout.control("ad", ["l"]).control("nh", []);
    out += &roff_body(&layout)?;
    out += &rendered(|w| man.render_name_section(w))?;
    Ok(out)
}

/// The about text as the NAME line wants it: lower case first word, no full stop.
fn name_line(about: &str) -> String {
    let about = about.trim().trim_end_matches('.');
    let mut chars = about.chars();
    match (chars.next(), chars.next()) {
        // Leave acronyms ("IPC ...") alone.
        (Some(first), Some(second)) if !second.is_uppercase() => first
            .to_lowercase()
            .chain(about[first.len_utf8()..].chars())
            .collect(),
        _ => about.to_owned(),
    }
}

/// clap_mangen lists an option's possible values as a bulleted list after `.br` lines, which
/// mandoc's lint rejects; the value name (`<allow|deny>`) usually shows them already, and
/// otherwise the help says them.
fn values_in_help(arg: Arg) -> Arg {
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    if values.is_empty() {
        return arg;
    }
    let shown = arg
        .get_value_names()
        .map(|names| names.join(" "))
        .unwrap_or_default();
    let listed = shown
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .collect::<Vec<_>>();
    let arg = arg.hide_possible_values(true);
    if values.iter().all(|v| listed.contains(&v.as_str())) {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let sep = if help.is_empty() { "" } else { " " };
    arg.help(format!("{help}{sep}(one of: {})", values.join(", ")))
}

/// The option list: the options without a help heading first, then one subsection per
/// heading, in the order of the help (`display_order`), each from clap_mangen.
fn options(name: &'static str, cmd: &Command) -> Result<String> {
    let mut groups: Vec<(Option<String>, Vec<Arg>)> = Vec::new();
    let mut args: Vec<Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .cloned()
        .collect();
    args.sort_by_key(|a| a.get_display_order());
    // A tool with subcommands: each subcommand's options under a heading of its name
    // (`ovlmount mount`), the shared -h/-V once.
    for sub in cmd.get_subcommands() {
        // clap takes a 'static heading without its "string" feature; xtask runs once.
        let heading: &'static str =
            Box::leak(format!("{} {}", cmd.get_name(), sub.get_name()).into_boxed_str());
        let mut sub_args: Vec<&Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && a.get_help_heading() != Some("Help"))
            .filter(|a| a.get_short().is_some() || a.get_long().is_some())
            .collect();
        sub_args.sort_by_key(|a| a.get_display_order());
        args.extend(
            sub_args
                .into_iter()
                .map(|a| a.clone().help_heading(heading)),
        );
    }
    for arg in args {
        let heading = arg.get_help_heading().map(str::to_owned);
        match groups.iter_mut().find(|(h, _)| *h == heading) {
            Some((_, list)) => list.push(arg.clone()),
            None => groups.push((heading, vec![arg.clone()])),
        }
    }
    groups.sort_by_key(|(heading, _)| heading.is_some());

    let mut out = String::new();
    for (heading, args) in groups {
        if let Some(heading) = &heading {
            let mut ss = Roff::new();
            ss.control("SS", [heading.as_str()]);
            out += &roff_body(&ss)?;
        }
        // A command of just these arguments, without a heading: clap_mangen puts them under
        // one `.SH OPTIONS`, which is dropped for our `.SS`.
        let part = Command::new(name)
            .disable_help_flag(true)
            .disable_version_flag(true)
            .args(args.into_iter().map(|a| a.help_heading(None)));
        let text = rendered(|w| Man::new(part).render_options_section(w))?;
        let Some(items) = text.strip_prefix(".SH OPTIONS\n") else {
            bail!("clap_mangen's options section does not start with .SH OPTIONS: {text:?}");
        };
        out += items;
    }
    Ok(out)
}

/// Text a clap_mangen `render_*` function writes, without the roff preamble.
fn rendered(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<String> {
    let mut buf = Vec::new();
    f(&mut buf)?;
    let text = String::from_utf8(buf).context("clap_mangen wrote something not UTF-8")?;
    without_preamble(text)
}

fn roff_body(roff: &Roff) -> Result<String> {
    without_preamble(roff.render())
}

fn without_preamble(text: String) -> Result<String> {
    match text.strip_prefix(PREAMBLE) {
        Some(body) => Ok(body.to_owned()),
        None => bail!("roff output without the expected preamble: {text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_line_conventions() {
        assert_eq!(name_line("Run a program."), "run a program");
        assert_eq!(name_line("IPC things"), "IPC things");
    }

    #[test]
    fn possible_values_are_not_a_list() {
        let shown = values_in_help(
            Arg::new("a")
                .value_name("x|y")
                .value_parser(["x", "y"])
                .help("h"),
        );
        assert!(shown.is_hide_possible_values_set());
        assert_eq!(shown.get_help().map(ToString::to_string), Some("h".into()));
        let hidden = values_in_help(Arg::new("a").value_name("v").value_parser(["x", "y"]));
        assert_eq!(
            hidden.get_help().map(ToString::to_string),
            Some("(one of: x, y)".into())
        );
    }

    #[test]
    fn page_layout() {
        let tool = crate::tools::TOOLS[0];
        let doc = crate::doc::parse(
            ":date: 2026-01-02\n== DESCRIPTION\nText.\n== OPTIONS\n",
            true,
        )
        .unwrap();
        let page = page(&tool, &doc).unwrap();
        assert!(page.starts_with(PREAMBLE));
        assert_eq!(page.matches(".ds Aq").count(), 2, "one preamble");
        let sh: Vec<&str> = page.lines().filter(|l| l.starts_with(".SH")).collect();
        assert_eq!(
            sh,
            [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"]
        );
        // Every visible option of the definition is listed, each once.
        for arg in tool.command().get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long() {
                let item = format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-"));
                let lines: Vec<_> = page.lines().filter(|l| l.contains(&item)).collect();
                assert!(!lines.is_empty(), "{long} missing");
            }
        }
    }
}
