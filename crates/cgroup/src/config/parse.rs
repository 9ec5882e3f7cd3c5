//! The grammar of cgconfig.conf, as libcgroup 3.2.0 accepts it:
//!
//! ```text
//! file       := { group | template | default | mount | namespace | systemd }
//! group      := "group" (WORD | "default") "{" body "}"
//! template   := "template" WORD "{" body "}"
//! body       := perm { controller } | controller { controller }   (perm first, at most once)
//! controller := WORD "{" { WORD "=" WORD ";" } "}"
//! perm       := "perm" "{" (task admin | admin task) "}"
//! task       := "task" "{" pair { pair } "}"      (uid, gid, fperm; other names ignored)
//! admin      := "admin" "{" pair { pair } "}"     (uid, gid, dperm, fperm)
//! default    := "default" "{" perm "}"
//! mount      := "mount" "{" pair { pair } "}"
//! namespace  := "namespace" "{" pair { pair } "}"
//! systemd    := "systemd" "{" pair { pair } "}"   (slice, scope, setdefault, pid)
//! pair       := WORD "=" WORD ";"
//! ```
//!
//! The checks libcgroup makes while parsing are made at the same points (so that its line
//! numbers come out the same): a controller must be mounted and appear once per group, a
//! setting once per controller (checked at the controller's `}`); a user or group name must
//! exist and a mode be octal (at the pair's `;`); the systemd section's names and values.

use super::lex::{Keyword, Kind, Lexer, Token};
use super::{Config, Controller, GroupDef, Mount, ParseError, Perm, SystemdScope, Upstream};

/// Parse one file's text. `known` tells whether a controller is mounted (libcgroup refuses a
/// group or template naming one that is not).
pub fn parse(text: &[u8], known: &dyn Fn(&str) -> bool) -> Result<Config, ParseError> {
    let mut lexer = Lexer::new(text);
    let tok = lexer.next_token();
    let mut p = Parser {
        lexer,
        tok,
        known,
        config: Config::default(),
    };
    p.file()?;
    Ok(p.config)
}

type Parsed<T> = Result<T, ParseError>;

struct Parser<'a> {
    lexer: Lexer<'a>,
    /// The lookahead.
    tok: Token,
    known: &'a dyn Fn(&str) -> bool,
    config: Config,
}

/// Which `perm` fields a pair may set.
#[derive(Clone, Copy)]
enum PermBlock {
    Task,
    Admin,
}

/// Which section a list of pairs belongs to.
#[derive(Clone, Copy)]
enum Section {
    Mount,
    Namespace,
    Systemd,
}

fn describe(kind: &Kind) -> String {
    match kind {
        Kind::End => "end of file".to_owned(),
        Kind::Char(b'"') => "'\"' (a quote that is never closed)".to_owned(),
        _ => String::new(),
    }
}

impl Parser<'_> {
    fn bump(&mut self) -> Token {
        let next = self.lexer.next_token();
        std::mem::replace(&mut self.tok, next)
    }

    fn syntax(&self, expected: &str) -> ParseError {
        let found = match describe(&self.tok.kind) {
            d if d.is_empty() => format!("'{}'", self.tok.text),
            d => d,
        };
        ParseError {
            upstream: Upstream::Syntax {
                line: self.tok.upstream_line,
            },
            line: self.tok.line,
            token: self.tok.text.clone(),
            why: format!("syntax error: unexpected {found}, expected {expected}"),
        }
    }

    /// A check that failed on the token `at` (just consumed: libcgroup reports the line it
    /// had reached when it reduced the rule, which needs no lookahead).
    fn failed(at: &Token, token: &str, why: String) -> ParseError {
        ParseError {
            upstream: Upstream::Failed {
                line: at.upstream_line,
            },
            line: at.line,
            token: token.to_owned(),
            why,
        }
    }

    fn expect_char(&mut self, c: u8) -> Parsed<Token> {
        if self.tok.kind == Kind::Char(c) {
            Ok(self.bump())
        } else {
            Err(self.syntax(&format!("'{}'", c as char)))
        }
    }

    fn word(&mut self, expected: &str) -> Parsed<(String, Token)> {
        match &self.tok.kind {
            Kind::Word(w) => {
                let w = w.clone();
                Ok((w, self.bump()))
            }
            _ => Err(self.syntax(expected)),
        }
    }

    fn is_word(&self) -> bool {
        matches!(self.tok.kind, Kind::Word(_))
    }

    fn is_keyword(&self, k: Keyword) -> bool {
        self.tok.kind == Kind::Keyword(k)
    }

    /// `NAME = VALUE ;`: the name, its token, the value, and the `;` token.
    fn pair(&mut self) -> Parsed<(String, Token, String, Token)> {
        let (name, name_tok) = self.word("a name")?;
        self.expect_char(b'=')?;
        let (value, _) = self.word("a value")?;
        let semi = self.expect_char(b';')?;
        Ok((name, name_tok, value, semi))
    }

    fn file(&mut self) -> Parsed<()> {
        loop {
            match &self.tok.kind {
                Kind::End => return Ok(()),
                Kind::Keyword(Keyword::Group) => {
                    let g = self.group(Keyword::Group)?;
                    self.config.groups.push(g);
                }
                Kind::Keyword(Keyword::Template) => {
                    let g = self.group(Keyword::Template)?;
                    self.config.templates.push(g);
                }
                Kind::Keyword(Keyword::Default) => {
                    self.bump();
                    self.expect_char(b'{')?;
                    if !self.is_keyword(Keyword::Perm) {
                        return Err(self.syntax("'perm'"));
                    }
                    let perm = self.perm()?;
                    self.expect_char(b'}')?;
                    self.config.default = Some(perm);
                }
                Kind::Keyword(Keyword::Mount) => self.pairs(Section::Mount)?,
                Kind::Keyword(Keyword::Namespace) => self.pairs(Section::Namespace)?,
                Kind::Keyword(Keyword::Systemd) => self.pairs(Section::Systemd)?,
                _ => {
                    return Err(self.syntax(
                        "a section (group, template, default, mount, namespace, systemd)",
                    ));
                }
            }
        }
    }

    fn group(&mut self, which: Keyword) -> Parsed<GroupDef> {
        self.bump();
        let name = match &self.tok.kind {
            Kind::Word(w) => w.clone(),
            Kind::Keyword(Keyword::Default) if which == Keyword::Group => "default".to_owned(),
            _ => return Err(self.syntax("a group name")),
        };
        let name_tok = self.bump();
        self.expect_char(b'{')?;
        let mut def = GroupDef {
            name,
            line: 0,
            perm: Perm::default(),
            controllers: Vec::new(),
        };
        if self.is_keyword(Keyword::Perm) {
            def.perm = self.perm()?;
        } else if !self.is_word() {
            return Err(self.syntax("'perm' or a controller"));
        }
        while self.is_word() {
            let c = self.controller(&def.controllers)?;
            def.controllers.push(c);
        }
        let close = self.expect_char(b'}')?;
        if which == Keyword::Group && super::apply::group_path(&def.name).is_none() {
            return Err(Self::failed(
                &close,
                &name_tok.text,
                format!("invalid group name '{}'", def.name),
            ));
        }
        def.line = close.line;
        Ok(def)
    }

    fn controller(&mut self, earlier: &[Controller]) -> Parsed<Controller> {
        let (name, name_tok) = self.word("a controller")?;
        self.expect_char(b'{')?;
        let mut settings: Vec<(String, String)> = Vec::new();
        let mut duplicate = None;
        while self.is_word() {
            let (setting, setting_tok, value, _) = self.pair()?;
            if duplicate.is_none() && settings.iter().any(|(s, _)| *s == setting) {
                duplicate = Some((setting.clone(), setting_tok.text));
            }
            settings.push((setting, value));
        }
        let close = self.expect_char(b'}')?;
        if !(self.known)(&name) {
            return Err(Self::failed(
                &close,
                &name_tok.text,
                format!("controller '{name}' is not mounted"),
            ));
        }
        if earlier.iter().any(|c| c.name == name) {
            return Err(Self::failed(
                &close,
                &name_tok.text,
                format!("controller '{name}' appears twice in the group"),
            ));
        }
        if let Some((setting, text)) = duplicate {
            return Err(Self::failed(
                &close,
                &text,
                format!("setting '{setting}' appears twice in '{name}'"),
            ));
        }
        Ok(Controller { name, settings })
    }

    /// `perm { task {...} admin {...} }`, in either order, both required.
    fn perm(&mut self) -> Parsed<Perm> {
        self.bump();
        self.expect_char(b'{')?;
        let mut perm = Perm::default();
        let first = if self.is_keyword(Keyword::Task) {
            PermBlock::Task
        } else if self.is_keyword(Keyword::Admin) {
            PermBlock::Admin
        } else {
            return Err(self.syntax("'task' or 'admin'"));
        };
        self.perm_block(first, &mut perm)?;
        let second = match first {
            PermBlock::Task => PermBlock::Admin,
            PermBlock::Admin => PermBlock::Task,
        };
        let (keyword, name) = match second {
            PermBlock::Task => (Keyword::Task, "'task'"),
            PermBlock::Admin => (Keyword::Admin, "'admin'"),
        };
        if !self.is_keyword(keyword) {
            return Err(self.syntax(name));
        }
        self.perm_block(second, &mut perm)?;
        self.expect_char(b'}')?;
        Ok(perm)
    }

    fn perm_block(&mut self, block: PermBlock, perm: &mut Perm) -> Parsed<()> {
        self.bump();
        self.expect_char(b'{')?;
        loop {
            let (name, _, value, semi) = self.pair()?;
            let bad = |why: String| Self::failed(&semi, &value, why);
            match (block, name.as_str()) {
                (PermBlock::Task, "uid") => perm.task_uid = Some(user(&value).map_err(bad)?),
                (PermBlock::Task, "gid") => perm.task_gid = Some(group(&value).map_err(bad)?),
                (PermBlock::Task, "fperm") => perm.task_fperm = Some(mode(&value).map_err(bad)?),
                (PermBlock::Admin, "uid") => perm.admin_uid = Some(user(&value).map_err(bad)?),
                (PermBlock::Admin, "gid") => perm.admin_gid = Some(group(&value).map_err(bad)?),
                (PermBlock::Admin, "fperm") => {
                    perm.admin_fperm = Some(mode(&value).map_err(bad)?);
                }
                (PermBlock::Admin, "dperm") => {
                    perm.admin_dperm = Some(mode(&value).map_err(bad)?);
                }
                // libcgroup ignores any other name.
                _ => {}
            }
            if !self.is_word() {
                break;
            }
        }
        self.expect_char(b'}')?;
        Ok(())
    }

    /// `mount`, `namespace` or `systemd`: one or more pairs.
    fn pairs(&mut self, section: Section) -> Parsed<()> {
        self.bump();
        self.expect_char(b'{')?;
        let mut scope = SystemdScope::default();
        let mut first = true;
        loop {
            let (name, name_tok, value, _) = self.pair()?;
            match section {
                Section::Mount => self.mount(name, value),
                Section::Namespace => self.config.namespaces.push((name, value)),
                Section::Systemd => systemd_pair(&mut scope, &name, &value, first, &name_tok)?,
            }
            first = false;
            if !self.is_word() {
                break;
            }
        }
        self.expect_char(b'}')?;
        if let Section::Systemd = section {
            self.config.systemd.push(scope);
        }
        Ok(())
    }

    /// Controllers mounted at the same place are mounted together.
    fn mount(&mut self, controller: String, path: String) {
        match self.config.mounts.iter_mut().find(|m| m.path == path) {
            Some(m) => {
                m.controllers.push(',');
                m.controllers.push_str(&controller);
            }
            None => self.config.mounts.push(Mount {
                controllers: controller,
                path,
            }),
        }
    }
}

/// One `systemd` pair, checked as libcgroup checks it (its message names no line).
fn systemd_pair(
    scope: &mut SystemdScope,
    name: &str,
    value: &str,
    first: bool,
    at: &Token,
) -> Parsed<()> {
    let fail = |text: String, why: String| ParseError {
        upstream: Upstream::Error(text),
        line: at.line,
        token: at.text.clone(),
        why,
    };
    let known = ["slice", "scope", "setdefault", "pid"];
    if first && !known.contains(&name) {
        return Err(fail(
            format!("Invalid systemd configuration {name}"),
            format!("unknown systemd setting '{name}' (slice, scope, setdefault or pid)"),
        ));
    }
    let bad = |why: &str| {
        Err(fail(
            format!("Invalid systemd configuration {name} value {value}"),
            why.to_owned(),
        ))
    };
    match name {
        "slice" if value.ends_with(".slice") => scope.slice = Some(value.to_owned()),
        "slice" => return bad("a slice's name ends with .slice"),
        "scope" if value.ends_with(".scope") => scope.scope = Some(value.to_owned()),
        "scope" => return bad("a scope's name ends with .scope"),
        "setdefault" if value.eq_ignore_ascii_case("yes") => scope.setdefault = true,
        "setdefault" => return bad("setdefault takes only 'yes'"),
        "pid" => match atoi(value) {
            Some(pid) if pid > 1 => scope.pid = Some(pid),
            _ => return bad("pid takes a process id above 1"),
        },
        _ => return bad("unknown systemd setting (slice, scope, setdefault or pid)"),
    }
    Ok(())
}

/// C's atoi for a positive number: leading blanks, an optional `+`, digits; what follows
/// is ignored. `None` for no digits, a `-`, or a value past `u32`.
fn atoi(text: &str) -> Option<u32> {
    let t = text.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn user(value: &str) -> Result<u32, String> {
    sys::user::uid_by_name_or_number(value).ok_or_else(|| format!("unknown user '{value}'"))
}

fn group(value: &str) -> Result<u32, String> {
    sys::user::gid_by_name_or_number(value).ok_or_else(|| format!("unknown group '{value}'"))
}

/// An octal mode, as libcgroup reads it (strtol base 8, nothing after the digits).
fn mode(value: &str) -> Result<u32, String> {
    let digits = value.trim_start();
    if digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        if digits.is_empty() {
            return Ok(0);
        }
        if let Ok(m) = u32::from_str_radix(digits, 8) {
            if m <= 0o7777 {
                return Ok(m);
            }
        }
    }
    Err(format!("'{value}' is not an octal mode"))
}
