//! `/etc/cgrules.conf` and `/etc/cgrules.d/*`: which groups a process belongs in, for
//! `cgexec` and `cgclassify` without `-g`.
//!
//! A rule line is `who[:process] controllers destination [options]`, fields separated by
//! blanks, `#` starting a comment anywhere:
//!
//! * `who` is a user name, `@group` (the group's gid, or a user listed as its member), `*`
//!   (everybody), or `%` (one more line of the rule above: it applies when that one does);
//! * `process`, when given, must equal the process's name as known (a command as typed, or a
//!   full path) or its last path component; ending in `*`, it matches names starting so;
//! * `controllers` is a comma list, `*` meaning every hierarchy;
//! * `destination` is a group path, in which `%u` `%U` `%g` `%G` `%p` `%P` become the user's
//!   name and uid, the group's name and gid, the process's name and pid, and `\` takes the
//!   next character literally; a group named with such templates is created when missing;
//! * `options` is a comma list of `ignore` (a process without a real-time priority stays
//!   where it is) and `ignore_rt` (one with a real-time priority stays); a rule whose ignore
//!   options do not cover the process does not apply to it, and the next rules are tried.
//!
//! The key and the destination may be quoted to hold blanks: a `"` opens a part that runs to
//! the next `"`, and the field ends there (`"*:Web Content"` or `*:"Web Content"`).
//!
//! The first rule that matches wins, together with its `%` lines. `/etc/cgrules.conf` is read
//! first and must exist; then the regular files and symbolic links of `/etc/cgrules.d`, in
//! name order (libcgroup takes directory order), until one has a match. A line with fewer
//! than three fields before the match, or a matching rule with a bad option or no
//! controller, makes the whole lookup fail (libcgroup's "Cgroup parsing failed"). Rules
//! naming an unknown user or group are skipped with their `%` lines, as libcgroup does.
//!
//! [`ProcessInfo`] reads what the rules match on from `/proc/<pid>`; [`apply`] moves a
//! process by the rules.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Ecg, GroupPath, Hierarchies, Hierarchy};
use sys::error::{Error, Result};

/// The user and group databases, as the rules need them (a trait so that tests can fake them).
pub trait Directory {
    /// The uid of user `name`.
    fn uid(&self, name: &str) -> Option<u32>;
    /// The gid of group `name`, and the users listed as its members.
    fn group(&self, name: &str) -> Option<(u32, Vec<String>)>;
    /// The name of user `uid`.
    fn user_name(&self, uid: u32) -> Option<String>;
    /// The name of group `gid`.
    fn group_name(&self, gid: u32) -> Option<String>;
}

/// The system's passwd and group databases.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemDirectory;

impl Directory for SystemDirectory {
    fn uid(&self, name: &str) -> Option<u32> {
        nix::unistd::User::from_name(name)
            .ok()
            .flatten()
            .map(|u| u.uid.as_raw())
    }

    fn group(&self, name: &str) -> Option<(u32, Vec<String>)> {
        nix::unistd::Group::from_name(name)
            .ok()
            .flatten()
            .map(|g| (g.gid.as_raw(), g.mem))
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        sys::user::user_name(uid)
    }

    fn group_name(&self, gid: u32) -> Option<String> {
        nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
            .ok()
            .flatten()
            .map(|g| g.name)
    }
}

/// What the rules match on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The pid (for `%P`).
    pub pid: u32,
    /// The uid matched (cgexec: the real one; cgclassify: the process's effective one).
    pub uid: u32,
    /// The gid matched.
    pub gid: u32,
    /// The process's name: a command as typed or a full path; `None` when unknown.
    pub name: Option<String>,
}

impl ProcessInfo {
    /// Process `pid` as cgclassify sees it: effective uid and gid from `/proc/<pid>/status`,
    /// and as name the executable's full path when its file name agrees with the kernel's
    /// `Name` (which is cut at 15 bytes), else `argv[0]` when that agrees, else `Name`.
    pub fn of_pid(pid: u32) -> Result<Self> {
        let dir = PathBuf::from(format!("/proc/{pid}"));
        let status =
            sys::read_pseudo_text(&dir.join("status")).map_err(|e| Ecg::Other.with_errno(e))?;
        Self::from_proc(pid, &status, &dir)
    }

    /// This process as cgexec sees it: the real uid and gid, and the command as typed.
    pub fn this_process(command: Option<&str>) -> Self {
        ProcessInfo {
            pid: std::process::id(),
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            name: command.map(str::to_owned),
        }
    }

    /// Process `pid` from the text of its `status` file and its `/proc` directory `dir` (for
    /// the `exe` link and `cmdline`).
    pub fn from_proc(pid: u32, status: &str, dir: &Path) -> Result<Self> {
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::trim)
        };
        let second = |key: &str| -> Result<u32> {
            field(key)
                .and_then(|v| v.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| Error::msg(format!("no {key} line in /proc/{pid}/status")))
        };
        let (uid, gid) = (second("Uid:")?, second("Gid:")?);
        let comm = field("Name:").map(str::to_owned);
        let agrees = |path: &str| {
            comm.as_deref()
                .is_some_and(|c| !c.is_empty() && basename(path).starts_with(c))
        };
        let exe = fs::read_link(dir.join("exe"))
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
            .map(|p| p.strip_suffix(" (deleted)").map(str::to_owned).unwrap_or(p));
        // argv[0] only when the executable's name does not do (it costs one more read).
        let argv0 = || {
            sys::read_pseudo_file(&dir.join("cmdline"))
                .ok()
                .and_then(|b| {
                    b.split(|c| *c == 0)
                        .next()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                })
                .filter(|a| !a.is_empty())
        };
        let name = match exe {
            Some(e) if agrees(&e) => Some(e),
            _ => argv0().filter(|a| agrees(a)).or(comm),
        };
        Ok(ProcessInfo {
            pid,
            uid,
            gid,
            name,
        })
    }
}

/// The last path component of `path`.
fn basename(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((_, base)) => base,
        None => trimmed,
    }
}

/// One line of a rules file, split but not yet looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    number: usize,
    /// The `who` part of the key.
    who: String,
    /// The process part of the key, if any.
    process: Option<String>,
    controllers: String,
    destination: String,
    options: Option<String>,
}

/// Why a line is not a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Broken {
    /// Fewer than three fields; `true` when it starts with `%`.
    Short(usize, bool),
    /// A quote where none may be, or one never closed.
    Quote(usize),
}

/// The next field of `rest` and what follows it: blanks are skipped, then the field runs to
/// the next blank; a `"` in it (where `quotes` allows) opens a part that runs to the next `"`,
/// blanks included, and the field ends with that closing quote. `Err` for a quote that is
/// not allowed or never closed; `Ok(None)` at the end of the line.
fn field(rest: &str, quotes: bool) -> std::result::Result<Option<(String, &str)>, ()> {
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() {
        return Ok(None);
    }
    let mut value = String::new();
    for (i, c) in rest.char_indices() {
        match c {
            ' ' | '\t' => return Ok(Some((value, &rest[i..]))),
            '"' if !quotes => return Err(()),
            '"' => {
                let inner = &rest[i + 1..];
                let Some(close) = inner.find('"') else {
                    return Err(());
                };
                value.push_str(&inner[..close]);
                return Ok(Some((value, &inner[close + 1..])));
            }
            other => value.push(other),
        }
    }
    Ok(Some((value, "")))
}

/// One line: `Ok(None)` for a blank or comment line.
fn split_line(number: usize, raw: &str) -> std::result::Result<Option<Line>, Broken> {
    let content = raw.split('#').next().unwrap_or_default();
    let quote = |_| Broken::Quote(number);
    let Some((key, rest)) = field(content, true).map_err(quote)? else {
        return Ok(None);
    };
    let short = Broken::Short(number, key.starts_with('%'));
    let Some((controllers, rest)) = field(rest, false).map_err(quote)? else {
        return Err(short);
    };
    let Some((destination, rest)) = field(rest, true).map_err(quote)? else {
        return Err(short);
    };
    let options = field(rest, false).map_err(quote)?.map(|(o, _)| o);
    let (who, process) = match key.split_once(':') {
        Some((w, p)) => (w.to_owned(), (!p.is_empty()).then(|| p.to_owned())),
        None => (key, None),
    };
    Ok(Some(Line {
        number,
        who,
        process,
        controllers,
        destination,
        options,
    }))
}

/// A rules file, line by line (blank and comment lines left out).
fn split(text: &str) -> Vec<std::result::Result<Line, Broken>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| split_line(i + 1, raw).transpose())
        .collect()
}

/// The `ignore` options of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ignore {
    /// `ignore`: processes without a real-time priority stay where they are.
    pub normal: bool,
    /// `ignore_rt`: processes with a real-time priority stay where they are.
    pub realtime: bool,
}

impl Ignore {
    /// Whether a process (real-time or not) stays put by this rule.
    pub fn leaves(self, realtime: bool) -> bool {
        if realtime { self.realtime } else { self.normal }
    }

    /// Whether the rule has an ignore option at all.
    pub fn any(self) -> bool {
        self.normal || self.realtime
    }
}

/// The options field: a comma list of `ignore` and `ignore_rt`.
fn parse_options(file: &Path, line: &Line) -> Result<Ignore> {
    let mut ignore = Ignore::default();
    let Some(options) = &line.options else {
        return Ok(ignore);
    };
    if options.split(',').all(str::is_empty) {
        return Err(parse_fail(file, line.number, "empty option list"));
    }
    for option in options.split(',').filter(|o| !o.is_empty()) {
        match option {
            "ignore" => ignore.normal = true,
            "ignore_rt" => ignore.realtime = true,
            _ => {
                return Err(parse_fail(
                    file,
                    line.number,
                    &format!("unsupported option '{option}'"),
                ));
            }
        }
    }
    Ok(ignore)
}

/// The controllers field: a comma list, not empty.
fn parse_controllers(file: &Path, line: &Line) -> Result<Vec<String>> {
    let controllers: Vec<String> = line
        .controllers
        .split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    if controllers.is_empty() {
        return Err(parse_fail(file, line.number, "no controller listed"));
    }
    Ok(controllers)
}

/// Why a broken line fails.
fn broken_fail(file: &Path, broken: &Broken) -> Error {
    match broken {
        Broken::Short(number, _) => parse_fail(file, *number, "a rule needs at least three fields"),
        Broken::Quote(number) => parse_fail(file, *number, "a quote not allowed or not closed"),
    }
}

/// A rule that matched, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The file it came from, and its line.
    pub file: PathBuf,
    /// Its line number.
    pub line: usize,
    /// The controllers (`*` for every hierarchy).
    pub controllers: Vec<String>,
    /// The destination as written.
    pub destination: String,
    /// The process stays where it is: the rule's ignore option covers it.
    pub ignore: bool,
}

/// Why the rules could not be used.
fn parse_fail(file: &Path, line: usize, why: &str) -> Error {
    Error::msg(format!("{}:{line}: {why}", file.display())).with_status(Ecg::ParseFail.status())
}

/// Who the current rule is about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Who {
    /// Nobody (before the first rule, or after a rule whose process did not match).
    Invalid,
    User(u32),
    Group(u32, Vec<String>),
    Any,
}

/// Whether a rule's process name fits the process's: the whole name or its last component,
/// or, for a rule ending in `*`, the start of either.
fn process_fits(rule: &str, name: &str) -> bool {
    match rule.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix) || basename(name).starts_with(prefix),
        None => name == rule || basename(name) == rule,
    }
}

/// The rules of one file that apply to `who`: the first matching rule and its `%` lines, or
/// an empty list. `realtime` says whether the process has a real-time priority (asked only
/// when a matching rule has an ignore option).
fn match_lines(
    lines: &[std::result::Result<Line, Broken>],
    file: &Path,
    who: &ProcessInfo,
    dir: &dyn Directory,
    realtime: &dyn Fn() -> bool,
) -> Result<Vec<Matched>> {
    let mut found = Vec::new();
    let mut current = Who::Invalid;
    let mut matched = false;
    let mut skipped = false;
    for line in lines {
        let line = match line {
            Ok(l) => l,
            // A short `%` line of a skipped rule goes with it; any other broken line fails.
            Err(Broken::Short(_, true)) if skipped => continue,
            Err(broken) => return Err(broken_fail(file, broken)),
        };
        let continuation = line.who.starts_with('%');
        if skipped && continuation {
            continue;
        }
        skipped = false;
        if matched && !continuation {
            break;
        }
        if let Some(group) = line.who.strip_prefix('@') {
            match dir.group(group) {
                Some((gid, members)) => current = Who::Group(gid, members),
                None => {
                    skipped = true;
                    continue;
                }
            }
        } else if line.who.starts_with('*') {
            current = Who::Any;
        } else if !continuation {
            match dir.uid(&line.who) {
                Some(uid) => current = Who::User(uid),
                None => {
                    skipped = true;
                    continue;
                }
            }
        }
        let applies = match &current {
            Who::Invalid => false,
            Who::Any => true,
            Who::User(uid) => *uid == who.uid,
            Who::Group(gid, members) => {
                *gid == who.gid
                    || dir
                        .user_name(who.uid)
                        .is_some_and(|name| members.contains(&name))
            }
        };
        matched |= applies;
        if !matched {
            continue;
        }
        if let Some(process) = &line.process {
            let fits = who
                .name
                .as_deref()
                .is_some_and(|n| process_fits(process, n));
            if !fits {
                current = Who::Invalid;
                matched = false;
                continue;
            }
        }
        let ignore = parse_options(file, line)?;
        // An ignore option covering only the other kind of process (real-time or not) makes
        // the rule not apply at all: the next rules are tried.
        if !continuation && ignore.any() && !ignore.leaves(realtime()) {
            current = Who::Invalid;
            matched = false;
            skipped = true;
            continue;
        }
        let controllers = parse_controllers(file, line)?;
        found.push(Matched {
            file: file.to_owned(),
            line: line.number,
            controllers,
            destination: line.destination.clone(),
            ignore: ignore.any(),
        });
    }
    Ok(found)
}

/// The lines of one rules file, split once.
type Lines = Vec<std::result::Result<Line, Broken>>;

/// The rules files, read and split once: `<root>/etc/cgrules.conf` then the regular files and
/// links of `<root>/etc/cgrules.d` in name order. A file of the directory that cannot be read
/// fails only when a lookup reaches it, as in libcgroup.
#[derive(Debug, Clone)]
pub struct RuleFiles {
    files: Vec<(PathBuf, std::result::Result<Lines, Error>)>,
}

/// A rules file that cannot be read: libcgroup's parse failure.
fn unreadable(file: &Path, e: &std::io::Error) -> Error {
    Error::msg(format!("cannot read {}: {e}", file.display())).with_status(Ecg::ParseFail.status())
}

impl RuleFiles {
    /// The rules of one file's `text`, as [`RuleFiles::load`] reads `file` (its name appears
    /// in the messages).
    pub fn from_text(file: &Path, text: &str) -> Self {
        RuleFiles {
            files: vec![(file.to_owned(), Ok(split(text)))],
        }
    }

    /// Read the files under `root` (`/` on a real system). A missing main file is an error.
    pub fn load(root: &Path) -> Result<Self> {
        let etc = root.join("etc");
        let main = etc.join("cgrules.conf");
        let text = fs::read_to_string(&main).map_err(|e| unreadable(&main, &e))?;
        let RuleFiles { mut files } = RuleFiles::from_text(&main, &text);
        if let Ok(entries) = fs::read_dir(etc.join("cgrules.d")) {
            let mut extra: Vec<PathBuf> = entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
                .map(|e| e.path())
                .collect();
            extra.sort();
            for file in extra {
                let lines = fs::read_to_string(&file)
                    .map(|t| split(&t))
                    .map_err(|e| unreadable(&file, &e));
                files.push((file, lines));
            }
        }
        Ok(RuleFiles { files })
    }

    /// The rules that apply to `who`: the first file with a match gives them; no match is an
    /// empty list.
    pub fn find(&self, who: &ProcessInfo, dir: &dyn Directory) -> Result<Vec<Matched>> {
        let realtime = || sys::daemon::is_realtime(who.pid);
        for (file, text) in &self.files {
            let lines = text.as_ref().map_err(Clone::clone)?;
            let found = match_lines(lines, file, who, dir, &realtime)?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        Ok(Vec::new())
    }

    /// Check every line of every file, as a daemon does when it loads them all: the first
    /// broken line, bad option, empty controller list or unreadable file is the error, worded
    /// as libcgroup reports it (`failed to parse configuration file on line 3`,
    /// `Unsupported option: x`, `failed to parse controllers on line 3`). Rules of unknown
    /// users and groups are skipped with their `%` lines, unchecked.
    pub fn check(&self, dir: &dyn Directory) -> Result<()> {
        let fail = |text: String| Error::msg(text).with_status(Ecg::ParseFail.status());
        for (_, text) in &self.files {
            let lines = text.as_ref().map_err(Clone::clone)?;
            let mut skipped = false;
            for line in lines {
                let line = match line {
                    Ok(l) => l,
                    Err(Broken::Short(_, true)) if skipped => continue,
                    Err(Broken::Short(n, _) | Broken::Quote(n)) => {
                        return Err(fail(format!(
                            "failed to parse configuration file on line {n}"
                        )));
                    }
                };
                let continuation = line.who.starts_with('%');
                if !(skipped && continuation) {
                    skipped = if let Some(group) = line.who.strip_prefix('@') {
                        dir.group(group).is_none()
                    } else {
                        !continuation && !line.who.starts_with('*') && dir.uid(&line.who).is_none()
                    };
                }
                if skipped {
                    continue;
                }
                if let Some(options) = &line.options {
                    if let Some(bad) = options
                        .split(',')
                        .find(|o| !o.is_empty() && *o != "ignore" && *o != "ignore_rt")
                    {
                        return Err(fail(format!("Unsupported option: {bad}")));
                    }
                    if options.split(',').all(str::is_empty) {
                        return Err(fail(format!("failed to parse options: {options}")));
                    }
                }
                if line.controllers.split(',').all(str::is_empty) {
                    let n = line.number;
                    return Err(fail(format!("failed to parse controllers on line {n}")));
                }
            }
        }
        Ok(())
    }

    /// The rules as libcgroup's daemon lists them in its log: per rule (known users and
    /// groups only), its key, uid, gid, destination, controllers and whether it ignores.
    pub fn describe(&self, dir: &dyn Directory) -> String {
        let mut out = String::new();
        for (_, text) in &self.files {
            let Ok(lines) = text else { continue };
            let (mut uid, mut gid) = ("N/A".to_owned(), "N/A".to_owned());
            let mut skipped = false;
            for line in lines.iter().flatten() {
                let continuation = line.who.starts_with('%');
                if skipped && continuation {
                    continue;
                }
                skipped = false;
                if let Some(group) = line.who.strip_prefix('@') {
                    match dir.group(group) {
                        Some((g, _)) => (uid, gid) = ("N/A".into(), g.to_string()),
                        None => {
                            skipped = true;
                            continue;
                        }
                    }
                } else if line.who.starts_with('*') {
                    (uid, gid) = ("any".into(), "any".into());
                } else if !continuation {
                    match dir.uid(&line.who) {
                        Some(u) => (uid, gid) = (u.to_string(), "N/A".into()),
                        None => {
                            skipped = true;
                            continue;
                        }
                    }
                }
                out.push_str(&format!("Rule: {}", line.who));
                if let Some(process) = &line.process {
                    out.push_str(&format!(":{process}"));
                }
                out.push_str(&format!(
                    "\n  UID: {uid}\n  GID: {gid}\n  DEST: {}\n  CONTROLLERS:\n",
                    line.destination
                ));
                for c in line.controllers.split(',').filter(|c| !c.is_empty()) {
                    out.push_str(&format!("    {c}\n"));
                }
                let ignores = line
                    .options
                    .as_deref()
                    .is_some_and(|o| o.split(',').any(|o| o == "ignore" || o == "ignore_rt"));
                out.push_str(&format!(
                    "  OPTIONS:\n    IS_IGNORE: {}\n\n",
                    if ignores { "True" } else { "False" }
                ));
            }
        }
        if out.is_empty() {
            out.push_str("The rules table is empty.\n\n");
        }
        out
    }
}

/// The rules that apply to `who`, from `<root>/etc/cgrules.conf` and then
/// `<root>/etc/cgrules.d/*` (root is `/` on a real system). A missing main file is an error,
/// as in libcgroup; no match is an empty list.
pub fn find(root: &Path, who: &ProcessInfo, dir: &dyn Directory) -> Result<Vec<Matched>> {
    RuleFiles::load(root)?.find(who, dir)
}

/// A destination with its templates filled in. `%` followed by anything else (or nothing)
/// stays as written; `\x` is `x`.
pub fn expand(destination: &str, who: &ProcessInfo, dir: &dyn Directory) -> String {
    let mut out = String::new();
    let mut chars = destination.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => {
                let Some(t) = chars.next() else {
                    out.push('%');
                    break;
                };
                match t {
                    'U' => out.push_str(&who.uid.to_string()),
                    'u' => out.push_str(
                        &dir.user_name(who.uid)
                            .unwrap_or_else(|| who.uid.to_string()),
                    ),
                    'G' => out.push_str(&who.gid.to_string()),
                    'g' => out.push_str(
                        &dir.group_name(who.gid)
                            .unwrap_or_else(|| who.gid.to_string()),
                    ),
                    'P' => out.push_str(&who.pid.to_string()),
                    'p' => match &who.name {
                        Some(name) => out.push_str(basename(name)),
                        None => out.push_str(&who.pid.to_string()),
                    },
                    other => {
                        out.push('%');
                        out.push(other);
                    }
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The hierarchies a rule names; an unknown controller is libcgroup's "operation not
/// allowed".
fn hierarchies_of<'a>(all: &'a Hierarchies, controllers: &[String]) -> Result<Vec<&'a Hierarchy>> {
    if controllers.iter().any(|c| c == "*") {
        return Ok(all.list.iter().collect());
    }
    let names: Vec<&str> = controllers.iter().map(String::as_str).collect();
    all.for_controllers(&names)
        .map_err(|_| Ecg::NotAllowed.error())
}

/// Move process `who.pid` by the rules under `root` (`/` on a real system): each line of the
/// first matching rule, in order, moves it into its destination in the hierarchies of its
/// controllers; a destination with templates is created first when missing. Nothing
/// matching, or a first match with `ignore`, moves nothing.
pub fn apply(all: &Hierarchies, root: &Path, who: &ProcessInfo) -> Result<()> {
    apply_with(all, root, who, &SystemDirectory)
}

/// [`apply`] with another user and group database.
pub fn apply_with(
    all: &Hierarchies,
    root: &Path,
    who: &ProcessInfo,
    dir: &dyn Directory,
) -> Result<()> {
    apply_matched(all, &find(root, who, dir)?, who, dir, &[])
}

/// Move process `who.pid` by rules already found for it ([`RuleFiles::find`]): nothing when
/// there are none or the first says ignore. A missing destination named with templates is
/// made from the cgconfig.conf template of that name in `templates` (the daemon's; cgexec
/// and cgclassify pass none), else as a plain group.
pub fn apply_matched(
    all: &Hierarchies,
    rules: &[Matched],
    who: &ProcessInfo,
    dir: &dyn Directory,
    templates: &[crate::config::GroupDef],
) -> Result<()> {
    if rules.first().is_some_and(|r| r.ignore) {
        return Ok(());
    }
    for rule in rules.iter().filter(|r| !r.ignore) {
        let dest = expand(&rule.destination, who, dir);
        let path = GroupPath::parse(&dest)
            .map_err(|why| Error::msg(why).with_status(Ecg::Inval.status()))?;
        let hierarchies = hierarchies_of(all, &rule.controllers)?;
        for hierarchy in hierarchies {
            let group = hierarchy.group(&path);
            if dest != rule.destination && !group.exists() {
                let controllers: Vec<&str> = hierarchy
                    .controllers
                    .iter()
                    .filter(|c| !c.starts_with("name="))
                    .filter(|c| rule.controllers.iter().any(|r| r == "*" || r == *c))
                    .map(String::as_str)
                    .collect();
                if templates.is_empty() {
                    group.create(&controllers)?;
                } else {
                    crate::config::template(all, templates, &rule.destination, &path, &controllers)
                        .map_err(|e| e.error)?;
                }
            }
            group.attach(who.pid)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
