//! Command lines as util-linux parses them, over a clap definition.
//!
//! Each tool describes its options once, as a clap [`Command`]: that definition feeds the man
//! page, the shell completions and `--help`. Parsing, though, must be glibc's `getopt_long`,
//! byte for byte in its messages: prefix abbreviation with the ambiguity list, optional
//! arguments only when attached, combined short flags, and either stopping at the first
//! operand (`+` optstrings) or permuting. clap cannot be made to do all of that, so
//! [`Getopt`] reads the definition and does the parsing itself.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use clap::{Arg, ArgAction, Command};

use crate::error::{Error, Result};

/// Whether parsing stops at the first operand (getopt's `+` mode) or permutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Stop at the first non-option: the rest belongs to the program to run.
    StopAtOperand,
    /// Options may follow operands.
    Permute,
}

/// Whether an option takes an argument, in getopt's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HasArg {
    No,
    Required,
    /// Only when attached: `--opt=value`, and `-ovalue` if `short_optional`.
    Optional,
}

#[derive(Debug)]
struct Spec {
    id: String,
    short: Option<char>,
    longs: Vec<String>,
    has_arg: HasArg,
    /// The short form takes an attached optional argument too (getopt's `o::`); otherwise
    /// an optional argument exists only on the long form.
    short_optional: bool,
    /// An option of nsutils' own, which the reference tool does not have (see
    /// [`Getopt::own_options`]).
    own: bool,
}

/// A flag that takes no argument.
pub fn flag(id: &'static str, short: Option<char>, long: &'static str, help: &'static str) -> Arg {
    let arg = Arg::new(id)
        .long(long)
        .action(ArgAction::SetTrue)
        .help(help);
    match short {
        Some(c) => arg.short(c),
        None => arg,
    }
}

/// `-h, --help` and `-V, --version`, under the "Help" heading as util-linux's usage puts them.
pub fn help_flags() -> [Arg; 2] {
    [
        flag("help", Some('h'), "help", "display this help").help_heading("Help"),
        flag("version", Some('V'), "version", "display version").help_heading("Help"),
    ]
}

/// An option with a required argument (`--opt VALUE`, `--opt=VALUE`, `-oVALUE`, `-o VALUE`).
pub fn required(
    id: &'static str,
    short: Option<char>,
    long: &'static str,
    value: &'static str,
    help: &'static str,
) -> Arg {
    valued(id, short, long, value, help)
        .num_args(1)
        .allow_hyphen_values(true)
}

/// The parts every option with an argument shares; each use of it wins ("last one wins" is
/// for the plan to decide, so every occurrence is kept).
fn valued(
    id: &'static str,
    short: Option<char>,
    long: &'static str,
    value: &'static str,
    help: &'static str,
) -> Arg {
    let arg = Arg::new(id)
        .long(long)
        .value_name(value)
        .action(ArgAction::Append)
        .help(help);
    match short {
        Some(c) => arg.short(c),
        None => arg,
    }
}

/// An option whose argument must be attached (`--opt[=VALUE]`); the short form, if any, takes
/// no argument at all. (Marked by clap's `require_equals`; see [`optional_short`].)
pub fn optional(
    id: &'static str,
    short: Option<char>,
    long: &'static str,
    value: &'static str,
    help: &'static str,
) -> Arg {
    valued(id, short, long, value, help)
        .num_args(0..=1)
        .require_equals(true)
}

/// Like [`optional`], but the short form takes an attached argument too (`-nFILE`).
pub fn optional_short(
    id: &'static str,
    short: char,
    long: &'static str,
    value: &'static str,
    help: &'static str,
) -> Arg {
    optional(id, Some(short), long, value, help).require_equals(false)
}

fn spec_of(arg: &Arg) -> Option<Spec> {
    let short = arg.get_short();
    let mut longs: Vec<String> = arg.get_long().map(str::to_owned).into_iter().collect();
    longs.extend(
        arg.get_all_aliases()
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned),
    );
    if short.is_none() && longs.is_empty() {
        return None; // a positional operand
    }
    let has_arg = if !arg.get_action().takes_values() {
        HasArg::No
    } else if arg.get_num_args().is_some_and(|n| n.min_values() == 0) {
        HasArg::Optional
    } else {
        HasArg::Required
    };
    let short_optional = has_arg == HasArg::Optional && !arg.is_require_equals_set();
    Some(Spec {
        id: arg.get_id().to_string(),
        short,
        longs,
        has_arg,
        short_optional,
        own: false,
    })
}

/// One parsed option: its clap id and its argument, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// The clap id of the argument definition.
    pub id: String,
    /// The option's argument, when given.
    pub value: Option<OsString>,
}

impl Opt {
    /// The argument as UTF-8, lossily (option values that name things are text).
    pub fn text(&self) -> String {
        self.value
            .as_deref()
            .map(OsStr::to_string_lossy)
            .unwrap_or_default()
            .into_owned()
    }
}

/// getopt_long over a clap definition: an iterator of options in command-line order, with the
/// operands collected for [`Getopt::operands`] afterwards.
#[derive(Debug)]
pub struct Getopt {
    specs: Vec<Spec>,
    args: std::vec::IntoIter<OsString>,
    order: Order,
    /// The rest of a bundle of short options (`-fpm` after `-f`).
    pending_shorts: Vec<u8>,
    operands: Vec<OsString>,
    done: bool,
}

impl Getopt {
    /// Parse `args` (without argv[0]) against the options of `cmd`.
    pub fn new(cmd: &Command, args: Vec<OsString>, order: Order) -> Self {
        let specs = cmd.get_arguments().filter_map(spec_of).collect();
        Getopt {
            specs,
            args: args.into_iter(),
            order,
            pending_shorts: Vec::new(),
            operands: Vec::new(),
            done: false,
        }
    }

    /// Mark the options `ids` as nsutils' own. An abbreviation that a reference option also
    /// matches means what it means to the reference tool (its option, or its "ambiguous"
    /// list), so adding an option never breaks a script written for util-linux or libcgroup
    /// (`--pi` stays `--pid` next to our `--pid-file`); an own option is reached by its whole
    /// name or by a prefix no reference option has.
    #[must_use]
    pub fn own_options(mut self, ids: &[&str]) -> Self {
        for spec in &mut self.specs {
            spec.own = ids.contains(&spec.id.as_str());
        }
        self
    }

    /// The operands: with [`Order::StopAtOperand`], the first operand and everything after it.
    pub fn operands(mut self) -> Vec<OsString> {
        self.operands.extend(self.args);
        self.operands
    }

    fn short(&mut self) -> Result<Opt> {
        let c = self.pending_shorts.remove(0);
        let spec = self
            .specs
            .iter()
            .find(|s| s.short.is_some_and(|s| s as u32 == u32::from(c)));
        let Some(spec) = spec else {
            self.pending_shorts.clear();
            return Err(Error::usage(format!(
                "invalid option -- '{}'",
                char::from(c)
            )));
        };
        let id = spec.id.clone();
        match spec.has_arg {
            HasArg::No => Ok(Opt { id, value: None }),
            HasArg::Optional if !spec.short_optional => Ok(Opt { id, value: None }),
            HasArg::Optional | HasArg::Required if !self.pending_shorts.is_empty() => {
                let rest = std::mem::take(&mut self.pending_shorts);
                Ok(Opt {
                    id,
                    value: Some(OsString::from_vec(rest)),
                })
            }
            HasArg::Optional => Ok(Opt { id, value: None }),
            HasArg::Required => match self.args.next() {
                Some(v) => Ok(Opt { id, value: Some(v) }),
                None => Err(Error::usage(format!(
                    "option requires an argument -- '{}'",
                    char::from(c)
                ))),
            },
        }
    }

    fn long(&mut self, body: &[u8]) -> Result<Opt> {
        let (name, attached) = match body.iter().position(|b| *b == b'=') {
            Some(i) => (&body[..i], Some(OsString::from_vec(body[i + 1..].to_vec()))),
            None => (body, None),
        };
        let shown = String::from_utf8_lossy(body);
        let name_str = String::from_utf8_lossy(name);
        let exact = self
            .specs
            .iter()
            .find(|s| s.longs.iter().any(|l| l.as_bytes() == name));
        let spec = match exact {
            Some(s) => s,
            None => {
                // Every long name this prefix could mean, in definition order; only the
                // reference tool's own when it has any (see `own_options`).
                let mut candidates: Vec<(&Spec, &String)> = self
                    .specs
                    .iter()
                    .flat_map(|s| s.longs.iter().map(move |l| (s, l)))
                    .filter(|(_, l)| !name.is_empty() && l.as_bytes().starts_with(name))
                    .collect();
                if candidates.iter().any(|(s, _)| !s.own) {
                    candidates.retain(|(s, _)| !s.own);
                }
                let first = match candidates.first() {
                    None => return Err(Error::usage(format!("unrecognized option '--{shown}'"))),
                    Some((s, _)) => *s,
                };
                if candidates.iter().any(|(s, _)| s.id != first.id) {
                    let list: String = candidates
                        .iter()
                        .map(|(_, l)| format!(" '--{l}'"))
                        .collect();
                    return Err(Error::usage(format!(
                        "option '--{shown}' is ambiguous; possibilities:{list}"
                    )));
                }
                first
            }
        };
        let full = spec
            .longs
            .iter()
            .find(|l| l.as_bytes().starts_with(name))
            .cloned();
        let full = full.unwrap_or_else(|| name_str.into_owned());
        let id = spec.id.clone();
        match (spec.has_arg, attached) {
            (HasArg::No, Some(_)) => Err(Error::usage(format!(
                "option '--{full}' doesn't allow an argument"
            ))),
            (HasArg::No, None) | (HasArg::Optional, None) => Ok(Opt { id, value: None }),
            (_, Some(v)) => Ok(Opt { id, value: Some(v) }),
            (HasArg::Required, None) => match self.args.next() {
                Some(v) => Ok(Opt { id, value: Some(v) }),
                None => Err(Error::usage(format!(
                    "option '--{full}' requires an argument"
                ))),
            },
        }
    }
}

impl Iterator for Getopt {
    type Item = Result<Opt>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.pending_shorts.is_empty() {
            return Some(self.short());
        }
        while !self.done {
            let arg = self.args.next()?;
            let bytes = arg.as_bytes();
            if bytes == b"--" {
                self.done = true;
                break;
            }
            if let Some(body) = bytes.strip_prefix(b"--") {
                let body = body.to_vec();
                return Some(self.long(&body));
            }
            if bytes.len() > 1 && bytes[0] == b'-' {
                self.pending_shorts = bytes[1..].to_vec();
                return Some(self.short());
            }
            self.operands.push(arg);
            if self.order == Order::StopAtOperand {
                self.done = true;
            }
        }
        None
    }
}

/// Options that exclude each other, checked as each one is parsed (util-linux's
/// `err_exclusive_options`): the second option of a group stops the parse with
/// `options --FIRST and --SECOND cannot be combined`, the two in command-line order.
#[derive(Debug)]
pub struct Exclusive {
    groups: &'static [&'static [&'static str]],
    /// The option of each group seen first, by id.
    seen: Vec<Option<String>>,
}

impl Exclusive {
    /// Groups of option ids.
    pub fn new(groups: &'static [&'static [&'static str]]) -> Exclusive {
        Exclusive {
            groups,
            seen: vec![None; groups.len()],
        }
    }

    /// Note option `id` (an option of `cmd`); an error if another of its group came before.
    pub fn check(&mut self, cmd: &Command, id: &str) -> Result<()> {
        for (group, seen) in self.groups.iter().zip(self.seen.iter_mut()) {
            if !group.contains(&id) {
                continue;
            }
            match seen {
                None => *seen = Some(id.to_owned()),
                Some(first) if first != id => {
                    let name = |id: &str| {
                        let arg = cmd.get_arguments().find(|a| a.get_id() == id);
                        match arg.and_then(|a| a.get_long()) {
                            Some(long) => format!("--{long}"),
                            None => format!("-{}", arg.and_then(Arg::get_short).unwrap_or('?')),
                        }
                    };
                    return Err(Error::msg(format!(
                        "options {} and {} cannot be combined",
                        name(first),
                        name(id)
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Give each argument its place in `--help` and the man page: its position in `order` (ids),
/// the ones not listed last. The definition order itself stays the long-option table order,
/// which decides getopt's "ambiguous" list.
pub fn in_display_order(args: Vec<Arg>, order: &[&str]) -> Vec<Arg> {
    args.into_iter()
        .map(|a| {
            let pos = order
                .iter()
                .position(|id| a.get_id() == *id)
                .unwrap_or(order.len());
            a.display_order(pos)
        })
        .collect()
}

/// `--help` in util-linux's layout, from the clap definition: usage, about, the options in
/// groups (a blank line wherever the help heading changes), and a pointer to the man page.
pub fn help(cmd: &Command, usage: &str, man: &str) -> String {
    help_at(cmd, usage, man, 27)
}

/// [`help`] with the descriptions at `column` (util-linux's `USAGE_HELP_OPTIONS(n)` puts them
/// at 16 in tools with only `-h` and `-V`).
pub fn help_at(cmd: &Command, usage: &str, man: &str, column: usize) -> String {
    let mut out = format!("\nUsage:\n {usage}\n\n");
    if let Some(about) = cmd.get_about() {
        out.push_str(&format!("{about}\n\n"));
    }
    out.push_str("Options:\n");
    let mut heading: Option<Option<&str>> = None;
    let mut args: Vec<&Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    args.sort_by_key(|a| a.get_display_order());
    for arg in args {
        let Some(spec) = spec_of(arg) else { continue };
        if heading.is_some_and(|h| h != arg.get_help_heading()) {
            out.push('\n');
        }
        heading = Some(arg.get_help_heading());
        let mut left = match (spec.short, arg.get_long()) {
            (Some(c), Some(_)) => format!(" -{c}, "),
            (Some(c), None) => format!(" -{c}"),
            (None, _) => " ".to_owned(),
        };
        if let Some(long) = arg.get_long() {
            left.push_str("--");
            left.push_str(long);
        }
        let value = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map(ToString::to_string);
        match (spec.has_arg, value) {
            (HasArg::Required, Some(v)) => left.push_str(&format!(" <{v}>")),
            (HasArg::Optional, Some(v)) => left.push_str(&format!("[=<{v}>]")),
            _ => {}
        }
        let text = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let mut lines = text.lines();
        let first = lines.next().unwrap_or_default();
        if left.len() < column - 1 {
            out.push_str(&format!("{left:<column$}{first}\n"));
        } else {
            out.push_str(&format!("{left}\n{:column$}{first}\n", ""));
        }
        for line in lines {
            out.push_str(&format!("{:column$}{line}\n", ""));
        }
    }
    out.push_str(&format!("\nFor more details see {man}.\n"));
    out
}

/// The `--version` line of every nsutils tool.
pub fn version(name: &str, compatible: &str) -> String {
    format!(
        "{name} from nsutils {} ({compatible} compatible)\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// [`version`] with the optional features built in, as util-linux after 2.42.2 prints them
/// (` (features: a, b)`; nothing when there are none).
pub fn version_with_features(name: &str, compatible: &str, features: &[&str]) -> String {
    let line = version(name, compatible);
    if features.is_empty() {
        return line;
    }
    format!("{} (features: {})\n", line.trim_end(), features.join(", "))
}

/// The `--version` line of a tool that is nsutils' own (no upstream to be compatible with).
pub fn version_own(name: &str) -> String {
    format!("{name} from nsutils {}\n", env!("CARGO_PKG_VERSION"))
}

/// Why a number did not parse, as util-linux's `ul_strtou64` family tells it by errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadNumber {
    /// Not a number, or something after it (`EINVAL`).
    Invalid,
    /// A number out of the allowed range (`ERANGE`).
    Range,
}

/// The parts of a decimal number as C's `strtoimax` reads it: leading white space (C's
/// `isspace`), one optional sign, at least one digit; `None` for the magnitude when it does
/// not fit in 64 bits. The bool is whether anything follows the digits.
fn c_decimal(arg: &str) -> std::result::Result<(bool, Option<u64>, bool), BadNumber> {
    let s = arg.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(BadNumber::Invalid);
    }
    let magnitude = s[..digits].parse::<u64>().ok();
    Ok((negative, magnitude, digits < s.len()))
}

/// An unsigned decimal number as util-linux's `ul_strtou64` reads it: leading blanks and a
/// `+` are accepted, a negative number is out of range (not wrapped), and a number too large
/// is out of range even with something after it.
pub fn c_strtou64(arg: &str) -> std::result::Result<u64, BadNumber> {
    let (negative, magnitude, trailing) = c_decimal(arg)?;
    match magnitude {
        None => Err(BadNumber::Range),
        Some(m) if negative && m > 0 => Err(BadNumber::Range),
        Some(_) if trailing => Err(BadNumber::Invalid),
        Some(v) => Ok(v),
    }
}

/// A signed decimal number as util-linux's `ul_strtos64` reads it (leading blanks, one
/// sign; out of range beats something after the digits).
pub fn c_strtos64(arg: &str) -> std::result::Result<i64, BadNumber> {
    let (negative, magnitude, trailing) = c_decimal(arg)?;
    let value = match (negative, magnitude) {
        (false, Some(m)) => i64::try_from(m).ok(),
        (true, Some(m)) => 0i64.checked_sub_unsigned(m),
        (_, None) => None,
    };
    match value {
        None => Err(BadNumber::Range),
        Some(_) if trailing => Err(BadNumber::Invalid),
        Some(v) => Ok(v),
    }
}

/// util-linux's `*_or_err` message for `arg`: `what: 'arg'`, with the reason
/// `Numerical result out of range` for a number out of range.
fn number_error(arg: &str, what: &str, bad: BadNumber) -> Error {
    match bad {
        BadNumber::Invalid => Error::msg(format!("{what}: '{arg}'")),
        BadNumber::Range => Error::os(format!("{what}: '{arg}'"), libc::ERANGE),
    }
}

/// Parse an unsigned decimal number as util-linux's `strtou32_or_err`: see [`c_strtou64`].
/// On failure, the message is `what: 'arg'`, with `: Numerical result out of range` for
/// values out of range, as util-linux prints them. (util-linux reads uids and gids with
/// `strtoul_or_err`, which lets 4294967296 become uid 0; here it is out of range.)
pub fn parse_u32(arg: &str, what: &str) -> Result<u32> {
    parse_u64(arg, what)
        .and_then(|v| u32::try_from(v).map_err(|_| number_error(arg, what, BadNumber::Range)))
}

/// [`parse_u32`] for 64-bit values (`strtou64_or_err`).
pub fn parse_u64(arg: &str, what: &str) -> Result<u64> {
    c_strtou64(arg).map_err(|bad| number_error(arg, what, bad))
}

/// Parse a signed decimal number in `range` as util-linux's `str2num_or_err`: see
/// [`c_strtos64`]; outside `range` is out of range.
pub fn parse_i64_in(arg: &str, what: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
    c_strtos64(arg)
        .and_then(|v| {
            if range.contains(&v) {
                Ok(v)
            } else {
                Err(BadNumber::Range)
            }
        })
        .map_err(|bad| number_error(arg, what, bad))
}

/// Parse a signed 64-bit decimal number (`strtos64_or_err`).
pub fn parse_i64(arg: &str, what: &str) -> Result<i64> {
    parse_i64_in(arg, what, i64::MIN..=i64::MAX)
}

/// util-linux's `ul_strtou64` with an upper bound, as its `str2unum_or_err` checks it: see
/// [`c_strtou64`]; above `max` is out of range.
pub fn unsigned_number(arg: &str, max: u64) -> std::result::Result<u64, BadNumber> {
    match c_strtou64(arg)? {
        v if v > max => Err(BadNumber::Range),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> Command {
        Command::new("t")
            .arg(optional("mount", Some('m'), "mount", "file", "m"))
            .arg(optional("mount-proc", None, "mount-proc", "dir", "mp"))
            .arg(required("map-user", None, "map-user", "uid", "mu"))
            .arg(required("map-users", None, "map-users", "map", "mus"))
            .arg(flag("fork", Some('f'), "fork", "f"))
            .arg(required("setuid", Some('S'), "setuid", "uid", "s"))
            .arg(Arg::new("program").num_args(0..))
    }

    fn parse(args: &[&str]) -> (Vec<Result<Opt>>, Vec<OsString>) {
        let mut g = Getopt::new(
            &cmd(),
            args.iter().map(OsString::from).collect(),
            Order::StopAtOperand,
        );
        let opts: Vec<_> = g.by_ref().collect();
        (opts, g.operands())
    }

    fn ok(id: &str, v: Option<&str>) -> Result<Opt> {
        Ok(Opt {
            id: id.into(),
            value: v.map(OsString::from),
        })
    }

    #[test]
    fn getopt_forms() {
        assert_eq!(
            parse(&["-fm", "x", "-f"]),
            (
                vec![ok("fork", None), ok("mount", None)],
                vec!["x".into(), "-f".into()]
            )
        );
        assert_eq!(parse(&["-mf"]).0, vec![ok("mount", None), ok("fork", None)]);
        assert_eq!(parse(&["--mount-p"]).0, vec![ok("mount-proc", None)]);
        assert_eq!(
            parse(&["--mount-p=/p"]).0,
            vec![ok("mount-proc", Some("/p"))]
        );
        assert_eq!(
            parse(&["--mount", "/x"]),
            (vec![ok("mount", None)], vec!["/x".into()])
        );
        assert_eq!(parse(&["-S-1"]).0, vec![ok("setuid", Some("-1"))]);
        assert_eq!(
            parse(&["-S", "--fork"]).0,
            vec![ok("setuid", Some("--fork"))]
        );
        assert_eq!(parse(&["--setuid=5"]).0, vec![ok("setuid", Some("5"))]);
        assert_eq!(
            parse(&["--map-user", "0"]).0,
            vec![ok("map-user", Some("0"))]
        );
        assert_eq!(parse(&["--", "-f"]), (vec![], vec!["-f".into()]));
        assert_eq!(parse(&["-", "-f"]), (vec![], vec!["-".into(), "-f".into()]));
    }

    #[test]
    fn getopt_errors() {
        let msg = |args: &[&str]| match parse(args).0.pop() {
            Some(Err(Error::Usage { message, .. })) => message,
            other => panic!("{other:?}"),
        };
        assert_eq!(msg(&["--bogus"]), "unrecognized option '--bogus'");
        assert_eq!(msg(&["-x"]), "invalid option -- 'x'");
        assert_eq!(msg(&["-m/x"]), "invalid option -- '/'");
        assert_eq!(msg(&["-S"]), "option requires an argument -- 'S'");
        assert_eq!(msg(&["--setu"]), "option '--setuid' requires an argument");
        assert_eq!(
            msg(&["--fork=1"]),
            "option '--fork' doesn't allow an argument"
        );
        assert_eq!(
            msg(&["--m"]),
            "option '--m' is ambiguous; possibilities: '--mount' '--mount-proc' '--map-user' '--map-users'"
        );
        assert_eq!(
            msg(&["--map-us"]),
            "option '--map-us' is ambiguous; possibilities: '--map-user' '--map-users'"
        );
    }

    #[test]
    fn own_options_never_take_a_reference_abbreviation() {
        let cmd = cmd()
            .arg(optional("mount-file", None, "mount-file", "file", "ours"))
            .arg(flag("zap", None, "zap", "ours"));
        let run = |args: &[&str]| {
            Getopt::new(
                &cmd,
                args.iter().map(OsString::from).collect(),
                Order::StopAtOperand,
            )
            .own_options(&["mount-file", "zap"])
            .next()
        };
        let ambiguous = |r: Option<Result<Opt>>| match r {
            Some(Err(Error::Usage { message, .. })) => message,
            other => panic!("{other:?}"),
        };
        // The reference's own choices and ambiguity lists, as if ours were not there.
        assert_eq!(run(&["--mount-p"]), Some(ok("mount-proc", None)));
        assert_eq!(
            ambiguous(run(&["--m"])),
            "option '--m' is ambiguous; possibilities: '--mount' '--mount-proc' '--map-user' '--map-users'"
        );
        assert_eq!(run(&["--mount-"]), Some(ok("mount-proc", None)));
        // Ours by their whole names and by prefixes no reference option has.
        assert_eq!(run(&["--mount-file=x"]), Some(ok("mount-file", Some("x"))));
        assert_eq!(run(&["--mount-f"]), Some(ok("mount-file", None)));
        assert_eq!(run(&["--z"]), Some(ok("zap", None)));
    }

    #[test]
    fn version_lines() {
        let v = env!("CARGO_PKG_VERSION");
        assert_eq!(
            version_with_features("x", "util-linux 2.42", &["nsfs"]),
            format!("x from nsutils {v} (util-linux 2.42 compatible) (features: nsfs)\n")
        );
        assert_eq!(
            version_with_features("x", "util-linux 2.42", &["a", "b"]),
            format!("x from nsutils {v} (util-linux 2.42 compatible) (features: a, b)\n")
        );
        assert_eq!(version_with_features("x", "u", &[]), version("x", "u"));
    }

    #[test]
    fn numbers_as_util_linux_reads_them() {
        assert_eq!(parse_u32("42", "uid").ok(), Some(42));
        assert_eq!(parse_u32("+42", "uid").ok(), Some(42));
        assert_eq!(parse_u32(" \t\n42", "uid").ok(), Some(42));
        assert_eq!(parse_u32("-0", "uid").ok(), Some(0));
        assert_eq!(
            parse_u32("-1", "failed to parse uid")
                .unwrap_err()
                .to_string(),
            "failed to parse uid: '-1': Numerical result out of range"
        );
        assert_eq!(c_strtou64("-1x"), Err(BadNumber::Range));
        assert_eq!(c_strtou64("-x"), Err(BadNumber::Invalid));
        assert_eq!(c_strtou64("-0x"), Err(BadNumber::Invalid));
        assert_eq!(c_strtou64("1 "), Err(BadNumber::Invalid));
        assert_eq!(c_strtou64("+"), Err(BadNumber::Invalid));
        assert_eq!(c_strtou64(""), Err(BadNumber::Invalid));
        assert_eq!(c_strtou64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(c_strtou64("18446744073709551616x"), Err(BadNumber::Range));
        assert_eq!(c_strtos64("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(c_strtos64("9223372036854775808"), Err(BadNumber::Range));
        assert_eq!(c_strtos64(" +7"), Ok(7));
        assert_eq!(
            parse_i64_in("0", "invalid PID argument", 1..=i64::from(i32::MAX))
                .unwrap_err()
                .to_string(),
            "invalid PID argument: '0': Numerical result out of range"
        );
        assert_eq!(
            parse_u32("4294967296", "failed to parse uid")
                .unwrap_err()
                .to_string(),
            "failed to parse uid: '4294967296': Numerical result out of range"
        );
        assert!(parse_u32("1.5", "x").is_err());
        assert_eq!(unsigned_number("5", 4), Err(BadNumber::Range));
        assert_eq!(unsigned_number(" +4", 4), Ok(4));
        for a in ["", " ", "5 ", "+-5", "- 5", "0x10"] {
            assert_eq!(
                parse_u32(a, "failed to parse uid").map_err(|e| e.to_string()),
                Err(format!("failed to parse uid: '{a}'")),
                "{a}"
            );
        }
        assert_eq!(parse_i64("-5", "x").ok(), Some(-5));
        assert_eq!(parse_i64(" +5", "x").ok(), Some(5));
        assert_eq!(parse_i64("-9223372036854775808", "x").ok(), Some(i64::MIN));
        assert!(parse_i64("1.5", "x").is_err());
        assert_eq!(
            parse_i64("9223372036854775808x", "x").map_err(|e| e.to_string()),
            Err("x: '9223372036854775808x': Numerical result out of range".to_owned())
        );
    }
}
