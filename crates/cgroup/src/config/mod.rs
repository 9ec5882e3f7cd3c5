//! cgconfig.conf(5): the file format [`parse`] reads into a [`Config`], and what applying one
//! does ([`apply`]): create the groups with their owners, modes and settings, and undo what it
//! created when something fails. [`template`] creates one group from a `template` section
//! for a name a rule expanded (`%u`, `%g`, `%p`), as cgrulesengd, cgexec and cgclassify
//! need for rules whose destination is a template.
//!
//! The parser is written by hand (a lexer and a recursive descent) rather than with a
//! parser generator: the grammar is small, and repeating libcgroup's messages byte for byte
//! (the line libcgroup counts, the token it stopped at, which failures name no line) needs
//! control over exactly when each check runs.

pub mod apply;
mod lex;
mod parse;

pub use apply::{Applied, ApplyError, apply_groups, template};
pub use parse::parse;

/// Owners and modes of a `perm` section (or of the defaults), each field optional: what is
/// not given comes from the defaults (`default { perm {...} }` or cgconfigparser's options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Perm {
    /// `task { uid }`: owner of the task files.
    pub task_uid: Option<u32>,
    /// `task { gid }`.
    pub task_gid: Option<u32>,
    /// `task { fperm }`: mode of the task files.
    pub task_fperm: Option<u32>,
    /// `admin { uid }`: owner of the directory and the setting files.
    pub admin_uid: Option<u32>,
    /// `admin { gid }`.
    pub admin_gid: Option<u32>,
    /// `admin { dperm }`: mode of the directory.
    pub admin_dperm: Option<u32>,
    /// `admin { fperm }`: mode of the setting files.
    pub admin_fperm: Option<u32>,
}

impl Perm {
    /// Each field of `self`, or `defaults`' where `self` has none.
    pub fn or(self, defaults: Perm) -> Perm {
        Perm {
            task_uid: self.task_uid.or(defaults.task_uid),
            task_gid: self.task_gid.or(defaults.task_gid),
            task_fperm: self.task_fperm.or(defaults.task_fperm),
            admin_uid: self.admin_uid.or(defaults.admin_uid),
            admin_gid: self.admin_gid.or(defaults.admin_gid),
            admin_dperm: self.admin_dperm.or(defaults.admin_dperm),
            admin_fperm: self.admin_fperm.or(defaults.admin_fperm),
        }
    }

    /// As the group model takes it. An owner with one half given keeps the other half as the
    /// caller's (libcgroup leaves it unchanged, which for a group it creates is the same).
    pub fn access(self) -> crate::Access {
        let (uid, gid) = sys::user::effective_ids();
        let pair = |u: Option<u32>, g: Option<u32>| {
            (u.is_some() || g.is_some()).then(|| (u.unwrap_or(uid), g.unwrap_or(gid)))
        };
        crate::Access {
            owner: pair(self.admin_uid, self.admin_gid),
            task_owner: pair(self.task_uid, self.task_gid),
            dir_mode: self.admin_dperm,
            file_mode: self.admin_fperm,
            task_mode: self.task_fperm,
        }
    }
}

/// One controller block of a group: `cpu { cpu.shares = 512; }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    /// The controller (`cgroup` for the v2 hierarchy's own files).
    pub name: String,
    /// `name = value` pairs, in order.
    pub settings: Vec<(String, String)>,
}

/// A `group NAME {...}` or `template NAME {...}` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDef {
    /// The name as written (`.` is the root group; a template's holds `%u`-style variables).
    pub name: String,
    /// The line of the section's closing brace (where libcgroup counts it parsed).
    pub line: u32,
    /// Its `perm` section (all empty without one).
    pub perm: Perm,
    /// Its controllers, in order.
    pub controllers: Vec<Controller>,
}

/// One `systemd {...}` section: a delegated scope to start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemdScope {
    /// `slice = NAME.slice`.
    pub slice: Option<String>,
    /// `scope = NAME.scope`.
    pub scope: Option<String>,
    /// `setdefault = yes`: make it the default scope (as `cgcreate -c -S`).
    pub setdefault: bool,
    /// `pid = N`: the process the scope is made of (else an idle process).
    pub pid: Option<u32>,
}

/// One `mount` entry (controllers sharing a mount point are merged, `cpu,cpuacct`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The controllers (and `name=X`), comma-separated, as the mount options start.
    pub controllers: String,
    /// Where to mount them.
    pub path: String,
}

/// One cgconfig.conf file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// `group` sections, in order.
    pub groups: Vec<GroupDef>,
    /// `template` sections, in order.
    pub templates: Vec<GroupDef>,
    /// The last `default { perm {...} }` section: it replaces the defaults entirely.
    pub default: Option<Perm>,
    /// `mount` entries, in order.
    pub mounts: Vec<Mount>,
    /// `namespace` entries: (controller, the group the file's group names are below).
    pub namespaces: Vec<(String, String)>,
    /// `systemd` sections, in order.
    pub systemd: Vec<SystemdScope>,
}

/// Why a file could not be parsed: what libcgroup 3.2.0 prints, and what we add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// libcgroup's own report.
    pub upstream: Upstream,
    /// The true line (libcgroup does not count newlines inside quotes).
    pub line: u32,
    /// The token it is about, as written.
    pub token: String,
    /// What is wrong, in our words.
    pub why: String,
}

/// libcgroup 3.2.0's report of a parse failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// On standard error: `error at line number N at TOKEN:syntax error`.
    Syntax {
        /// libcgroup's line count.
        line: u32,
    },
    /// On standard error: `parsing failed at line number N`.
    Failed {
        /// libcgroup's line count.
        line: u32,
    },
    /// On standard output, no line number: `Error: TEXT` (the systemd section's checks).
    Error(String),
}

impl ParseError {
    /// libcgroup's line and whether it goes to standard output.
    pub fn upstream_line(&self) -> (String, bool) {
        match &self.upstream {
            Upstream::Syntax { line } => (
                format!("error at line number {line} at {}:syntax error", self.token),
                false,
            ),
            Upstream::Failed { line } => (format!("parsing failed at line number {line}"), false),
            Upstream::Error(text) => (format!("Error: {text}"), true),
        }
    }

    /// Our line: `FILE:LINE: what is wrong`.
    pub fn ours(&self, file: &str) -> String {
        format!("{file}:{}: {}", self.line, self.why)
    }
}

/// The system's file.
pub const SYSTEM_FILE: &str = "/etc/cgconfig.conf";

/// The system's directory of more files.
pub const SYSTEM_DIR: &str = "/etc/cgconfig.d";

/// Why a file could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// It could not be read.
    Read(std::io::Error),
    /// It could not be parsed.
    Parse(ParseError),
}

/// Read and parse `file`, checking controllers against the mounted hierarchies.
pub fn parse_file(file: &std::path::Path, all: &crate::Hierarchies) -> Result<Config, LoadError> {
    let text = std::fs::read(file).map_err(LoadError::Read)?;
    parse(&text, &|c| apply::known_controller(all, c)).map_err(LoadError::Parse)
}

/// The files of `dir` that `cgconfigparser -L` reads, sorted by name: regular files (or
/// links) named `*.conf`, as libcgroup picks them (`.conf` alone is not one, and the first
/// `.conf` in the name must end it).
pub fn files_in(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let regular = kind.is_file()
            || kind.is_symlink()
            || (!kind.is_dir() && entry.metadata().is_ok_and(|m| m.is_file()));
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let picked = name
            .find(".conf")
            .is_some_and(|at| at > 0 && at + 5 == name.len());
        if regular && picked {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Every template of `files`, in order (what cgrulesengd caches: libcgroup's
/// `cgroup_load_templates_cache_from_files`). The first file that fails stops it, with its
/// path.
pub fn templates_of(
    files: &[std::path::PathBuf],
    all: &crate::Hierarchies,
) -> Result<Vec<GroupDef>, (std::path::PathBuf, LoadError)> {
    let mut out = Vec::new();
    for file in files {
        let config = parse_file(file, all).map_err(|e| (file.clone(), e))?;
        out.extend(config.templates);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
