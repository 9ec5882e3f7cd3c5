//! The tokens of cgconfig.conf, as libcgroup 3.2.0's lexer cuts them.
//!
//! - A word is a run of `A-Z a-z 0-9 _ - / . , % @ \`; the words `mount`, `group`, `perm`,
//!   `task`, `admin`, `namespace`, `template`, `systemd` and `default` are keywords (a longer
//!   word that starts with one is a plain word).
//! - `"..."` is a word holding everything up to the next `"`, newlines included; there is no
//!   escape. A `"` with no closing one is a token of its own (a syntax error).
//! - A line whose first non-blank character is `#`, or whose first character is `*`, is a
//!   comment. A `#` anywhere else is a token of its own, so a comment after text on a line is
//!   a syntax error, as in libcgroup.
//! - Spaces and tabs separate tokens; any other character is a token of its own.
//!
//! The lexer keeps two line counts: the true one, and libcgroup's, which does not count the
//! newlines inside quotes (its messages are repeated byte for byte, ours name the true line).

/// A keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// `mount`
    Mount,
    /// `group`
    Group,
    /// `perm`
    Perm,
    /// `task`
    Task,
    /// `admin`
    Admin,
    /// `namespace`
    Namespace,
    /// `template`
    Template,
    /// `systemd`
    Systemd,
    /// `default`
    Default,
}

impl Keyword {
    fn of(word: &[u8]) -> Option<Keyword> {
        Some(match word {
            b"mount" => Keyword::Mount,
            b"group" => Keyword::Group,
            b"perm" => Keyword::Perm,
            b"task" => Keyword::Task,
            b"admin" => Keyword::Admin,
            b"namespace" => Keyword::Namespace,
            b"template" => Keyword::Template,
            b"systemd" => Keyword::Systemd,
            b"default" => Keyword::Default,
            _ => return None,
        })
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A word or a quoted string (its content).
    Word(String),
    /// A keyword.
    Keyword(Keyword),
    /// Any other single character (`{`, `}`, `=`, `;`, or one that is a syntax error).
    Char(u8),
    /// The end of the file.
    End,
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Its text as written (quotes included; empty at the end of the file).
    pub text: String,
    /// The line it ends on.
    pub line: u32,
    /// The line libcgroup counts there (newlines inside quotes not counted).
    pub upstream_line: u32,
}

/// The tokens of one file.
pub struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
    line: u32,
    upstream_line: u32,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-/.,%@\\".contains(&b)
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Lexer {
            input,
            pos: 0,
            line: 1,
            upstream_line: 1,
        }
    }

    fn at_line_start(&self) -> bool {
        self.pos == 0 || self.input.get(self.pos - 1) == Some(&b'\n')
    }

    fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or_default()
    }

    /// Skip to the end of the line (the newline stays).
    fn skip_line(&mut self) {
        let len = self
            .rest()
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(self.rest().len());
        self.pos += len;
    }

    fn token(&self, kind: Kind, text: &[u8]) -> Token {
        Token {
            kind,
            text: String::from_utf8_lossy(text).into_owned(),
            line: self.line,
            upstream_line: self.upstream_line,
        }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Token {
        loop {
            if self.at_line_start() {
                let blanks = self
                    .rest()
                    .iter()
                    .take_while(|&&b| b == b' ' || b == b'\t')
                    .count();
                let first = self.rest().first().copied();
                if self.rest().get(blanks) == Some(&b'#') || first == Some(b'*') {
                    self.skip_line();
                    continue;
                }
            }
            let Some(&b) = self.rest().first() else {
                return self.token(Kind::End, b"");
            };
            match b {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.upstream_line += 1;
                }
                b' ' | b'\t' => self.pos += 1,
                b'"' => {
                    let rest = self.rest();
                    let Some(close) = rest.iter().skip(1).position(|&c| c == b'"') else {
                        self.pos += 1;
                        return self.token(Kind::Char(b), b"\"");
                    };
                    let text = rest.get(..close + 2).unwrap_or_default();
                    let inner = text.get(1..close + 1).unwrap_or_default();
                    self.pos += close + 2;
                    let newlines = inner.iter().filter(|&&c| c == b'\n').count();
                    self.line += u32::try_from(newlines).unwrap_or(u32::MAX);
                    let kind = Kind::Word(String::from_utf8_lossy(inner).into_owned());
                    return self.token(kind, text);
                }
                b if is_word_byte(b) => {
                    let rest = self.rest();
                    let len = rest.iter().take_while(|&&c| is_word_byte(c)).count();
                    let word = rest.get(..len).unwrap_or_default();
                    self.pos += len;
                    let kind = match Keyword::of(word) {
                        Some(k) => Kind::Keyword(k),
                        None => Kind::Word(String::from_utf8_lossy(word).into_owned()),
                    };
                    return self.token(kind, word);
                }
                other => {
                    self.pos += 1;
                    return self.token(Kind::Char(other), &[other]);
                }
            }
        }
    }
}
