//! The libsmartcols filter language, `scols-filter(5)`, as util-linux 2.42 parses and
//! evaluates it (`lsns --filter`).
//!
//! Written from a reading of the manual page and of libsmartcols' behaviour, not from its code.
//!
//! # Syntax
//!
//! - Values: unsigned integers (`42`, with an optional binary suffix `K M G T P E Z Y`, each
//!   optionally followed by `iB`: `4K` and `4KiB` are 4096), floats (`1.5`: digits, a dot,
//!   digits), strings in `"…"` or `'…'` (no escapes, no newline inside; leading and trailing
//!   white space is trimmed), booleans `true`/`false` (or `TRUE`/`FALSE`).
//! - Column names (holders): a letter followed by letters, digits and `_ . % : / -`.
//! - Operators, each with its C-like alias: `and` `&&`, `or` `||`, `not` `!`, `eq` `==`,
//!   `ne` `!=`, `lt` `<`, `le` `<=`, `gt` `>`, `ge` `>=`, and `=~` / `!~` (POSIX extended
//!   regular expression; the right side must be a string literal). Word operators, `true` and
//!   `false` are keywords only all in lower case or all in upper case (`And` is a column name).
//! - Parentheses group.
//! - Precedence, as libsmartcols' grammar really has it (its manual says otherwise): `and` and
//!   `or` share the lowest level and associate to the left, so `a or b and c` is
//!   `(a or b) and c`; all comparisons and `not` share the higher level, so `not a == b` is
//!   `(not a) == b` and `a == b == c` is `(a == b) == c`.
//! - An empty expression (`""`) matches every line; one of only blanks is a syntax error.
//!
//! Errors read as libsmartcols 2.42 words them (see [`ParseError`]).
//!
//! Deliberate differences from 2.42: a character the language does not know (`=`, `&`, `@`,
//! a carriage return) and an unterminated string are syntax errors, `unexpected invalid
//! token` (flex echoes unknown characters, an unterminated `'` or `"` included, to stdout
//! and skips them: `NS == 1 @` prints `@` and succeeds); a regular expression operator
//! whose right side is not a string literal is an error naming that (libsmartcols prints
//! `(null)`, or crashes for a number); nesting (parentheses, `not`, comparison chains) is
//! limited to 256 levels, while `and`/`or` chains may be any length; regular expressions that
//! make regcomp() explode are refused as util-linux does after 2.42 (see `pathological`).
//! The system's regcomp() decides the rest (musl allows repetition bounds up to 255, glibc
//! up to 32767, and their error texts differ).
//!
//! # Evaluation
//!
//! A bare value or column is true when it is not empty and not zero (a string: not empty;
//! a boolean: true). A comparison first chooses one type for both sides: the common type when
//! they agree; otherwise the type of the side that is not a column (the literal wins over the
//! column); with neither or both columns, the left side's type; and a number meeting a float
//! becomes a float. A sub-expression counts as a boolean. Both sides are then converted:
//!
//! | from → to | string | number | float | boolean |
//! |---|---|---|---|---|
//! | string | | decimal `u64` (a `+` allowed; anything else, or a negative, is an error) | a C float | `1`, `true` (any case) or starting with `y`/`Y` |
//! | number | decimal | | exact | non-zero |
//! | float | `%g` (6 significant digits) | truncated | | positive |
//! | boolean | `true`/`false` | 1/0 | 1.0/0.0 | |
//!
//! A column's text is first read as a string and converted to the column's [`DataType`], so a
//! number column with text that is not a number makes the evaluation fail ([`EvalError`]), as
//! does comparing a string column with a number literal when the text is not a number.
//!
//! Empty cells (`None` from the cell callback): number, float and boolean comparisons with an
//! empty side are false (both `==` and `!=`); string comparisons order an empty cell before
//! every string, so `NAME != "x"` is true and `NAME == ""` is false for an empty `NAME`, and a
//! regular expression sees an empty cell as `""`. libsmartcols forgets the emptiness of a
//! non-string value when it converts it, so an empty number column compared with a float or a
//! string literal behaves as `0`; this module does the same.

use std::borrow::Cow;
use std::fmt;

use sys::errno::{EINVAL, ERANGE};
use sys::regex::Regex;

use super::DataType;

#[cfg(test)]
mod tests;

/// How deep the expression tree may grow; deeper input is refused rather than risking the
/// stack in the recursive parser and evaluator.
const MAX_DEPTH: usize = 256;

/// A parsed filter expression.
#[derive(Debug)]
pub struct Filter {
    /// `None` for the empty expression, which matches every line.
    root: Option<Node>,
    /// The column names, each once, in order of first appearance.
    holders: Vec<String>,
}

/// Why an expression could not be parsed.
///
/// Its [`Display`](fmt::Display) is libsmartcols 2.42's message: bison's
/// `syntax error, unexpected NUMBER, expecting end of file` (token names as its grammar
/// declares them, without the `T_` prefix libsmartcols strips), a number token's
/// `"99999999999999999999K" token error: Numerical result out of range`, or the C library's
/// text for a regular expression that does not compile (glibc's wording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    column: usize,
    message: String,
}

impl ParseError {
    fn new(column: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            column,
            message: message.into(),
        }
    }

    /// bison's message for `tok` where it cannot go; `at_end` when only the end of the
    /// expression could follow (a complete expression outside parentheses).
    fn unexpected(tok: &Token, at_end: bool) -> ParseError {
        let also = if at_end {
            ", expecting end of file"
        } else {
            ""
        };
        ParseError::new(
            tok.column,
            format!("syntax error, unexpected {}{also}", tok.tok.bison_name()),
        )
    }

    /// The 1-based character column of the problem (one past the end for a premature end).
    pub fn column(&self) -> usize {
        self.column
    }

    /// The message, as [`Display`](fmt::Display) prints it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

/// Why a line could not be evaluated: a cell whose text cannot be converted to the type the
/// comparison needs (`NPROCS` holding `abc`, or `TYPE == 5` on `net`), or a regular
/// expression operator applied where libsmartcols cannot (a non-string left side that is not
/// a column). libsmartcols reports these as an error return with `errno` set; lsns then dies
/// with `failed to apply filter: <strerror>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    errno: i32,
    message: String,
}

impl EvalError {
    fn new(errno: i32, message: String) -> EvalError {
        EvalError { errno, message }
    }

    /// The errno libsmartcols would report: `EINVAL`, or `ERANGE` for an out-of-range number.
    pub fn errno(&self) -> i32 {
        self.errno
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

impl Filter {
    /// Parse an expression. The empty string gives a filter that matches every line.
    pub fn parse(expr: &str) -> Result<Filter, ParseError> {
        if expr.is_empty() {
            return Ok(Filter {
                root: None,
                holders: Vec::new(),
            });
        }
        let tokens = lex(expr)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            nesting: 0,
            holders: Vec::new(),
        };
        let (root, _) = parser.expr()?;
        let tok = parser.peek();
        if tok.tok != Tok::End {
            return Err(ParseError::unexpected(tok, true));
        }
        Ok(Filter {
            root: Some(root),
            holders: parser.holders,
        })
    }

    /// The column names the expression refers to, each once, in order of first appearance,
    /// as written (names are case-sensitive; mapping them to columns is the caller's job).
    pub fn holders(&self) -> Vec<&str> {
        self.holders.iter().map(String::as_str).collect()
    }

    /// Whether the expression refers to the column `name`.
    pub fn has_holder(&self, name: &str) -> bool {
        self.holders.iter().any(|h| h == name)
    }

    /// Evaluate the expression for one table line.
    ///
    /// `cell(name)` is called with a name from [`holders`](Self::holders) whenever the
    /// evaluation needs that column (possibly more than once, and not at all for columns
    /// short-circuited away by `and`/`or`, so it may compute data lazily). It returns the
    /// column's type and the cell's text: `None` for an unset cell (libsmartcols' NULL data),
    /// `Some` otherwise. Note that `Some(b"")` is a set but empty string, which differs from
    /// `None` in string comparisons and is an error for a number column, exactly as in
    /// libsmartcols; return `None` for cells that have no value. Text is read up to a NUL
    /// byte and trimmed of white space, then converted to the column's type.
    ///
    /// ```
    /// use std::borrow::Cow;
    /// use table::{DataType, filter::Filter};
    ///
    /// let filter = Filter::parse("TYPE == 'net' and NPROCS > 1").unwrap();
    /// assert_eq!(filter.holders(), ["TYPE", "NPROCS"]);
    /// let line = |name: &str| match name {
    ///     "TYPE" => (DataType::String, Some(Cow::Borrowed(b"net".as_slice()))),
    ///     _ => (DataType::Number, Some(Cow::Owned(b"3".to_vec()))),
    /// };
    /// assert!(filter.matches(line).unwrap());
    /// ```
    pub fn matches<'a, F>(&self, mut cell: F) -> Result<bool, EvalError>
    where
        F: FnMut(&str) -> (DataType, Option<Cow<'a, [u8]>>),
    {
        match &self.root {
            None => Ok(true),
            Some(root) => {
                let mut ctx = Ctx {
                    holders: &self.holders,
                    cell: &mut cell,
                };
                ctx.eval(root)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Cmp(CmpOp),
    /// `=~` (false) or `!~` (true).
    Regex(bool),
    Bool(bool),
    Number(u64),
    Float(f64),
    Str(Vec<u8>),
    Holder(String),
    /// A number with a size suffix too large for 64 bits, and its message.
    InvalidNumber(String),
    /// A character the language does not know, or an unterminated string.
    Invalid,
    End,
}

impl Tok {
    /// The name bison gives the token in its messages (libsmartcols' `T_` names, whose
    /// prefix it strips, its character literals, and bison's own names).
    fn bison_name(&self) -> &'static str {
        match self {
            Tok::LParen => "'('",
            Tok::RParen => "')'",
            Tok::And => "AND",
            Tok::Or => "OR",
            Tok::Not => "NEG",
            Tok::Cmp(CmpOp::Eq) => "EQ",
            Tok::Cmp(CmpOp::Ne) => "NE",
            Tok::Cmp(CmpOp::Lt) => "LT",
            Tok::Cmp(CmpOp::Le) => "LE",
            Tok::Cmp(CmpOp::Gt) => "GT",
            Tok::Cmp(CmpOp::Ge) => "GE",
            Tok::Regex(false) => "REG",
            Tok::Regex(true) => "NREG",
            Tok::Bool(true) => "TRUE",
            Tok::Bool(false) => "FALSE",
            Tok::Number(_) => "NUMBER",
            Tok::Float(_) => "FLOAT",
            Tok::Str(_) => "STRING",
            Tok::Holder(_) => "HOLDER",
            Tok::InvalidNumber(_) => "INVALID_NUMBER",
            Tok::Invalid => "invalid token",
            Tok::End => "end of file",
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// 1-based character column.
    column: usize,
}

fn keyword(word: &str) -> Option<Tok> {
    let lower = word.to_ascii_lowercase();
    // Keywords are recognised in lower case or in upper case only.
    if word != lower && word != word.to_ascii_uppercase() {
        return None;
    }
    Some(match lower.as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "eq" => Tok::Cmp(CmpOp::Eq),
        "ne" => Tok::Cmp(CmpOp::Ne),
        "lt" => Tok::Cmp(CmpOp::Lt),
        "le" => Tok::Cmp(CmpOp::Le),
        "gt" => Tok::Cmp(CmpOp::Gt),
        "ge" => Tok::Cmp(CmpOp::Ge),
        "true" => Tok::Bool(true),
        "false" => Tok::Bool(false),
        _ => return None,
    })
}

fn is_holder_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'%' | b':' | b'/' | b'-')
}

fn lex(expr: &str) -> Result<Vec<Token>, ParseError> {
    let b = expr.as_bytes();
    // The 1-based character column of each byte offset.
    let mut columns = Vec::with_capacity(expr.len() + 1);
    for (n, ch) in expr.chars().enumerate() {
        columns.extend(std::iter::repeat_n(n + 1, ch.len_utf8()));
    }
    columns.push(columns.last().map_or(1, |&c| c + 1));
    let column_of = |i: usize| columns.get(i).copied().unwrap_or(1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = if let Some((tok, len)) = operator(&b[i..]) {
            i += len;
            tok
        } else {
            match c {
                b' ' | b'\t' | b'\n' => {
                    i += 1;
                    continue;
                }
                b'"' | b'\'' => {
                    let len = b[i + 1..].iter().position(|&x| x == c || x == b'\n');
                    match len.map(|len| i + 1 + len).filter(|&end| b[end] == c) {
                        Some(end) => {
                            i = end + 1;
                            Tok::Str(trim(&b[start + 1..end]).to_vec())
                        }
                        None => {
                            i = b.len();
                            Tok::Invalid
                        }
                    }
                }
                b'0'..=b'9' => {
                    i = lex_number(b, i);
                    number_token(&expr[start..i]).unwrap_or_else(Tok::InvalidNumber)
                }
                _ if c.is_ascii_alphabetic() => {
                    while i < b.len() && is_holder_char(b[i]) {
                        i += 1;
                    }
                    let word = &expr[start..i];
                    keyword(word).unwrap_or_else(|| Tok::Holder(word.to_string()))
                }
                _ => {
                    i = b.len();
                    Tok::Invalid
                }
            }
        };
        // Nothing after an invalid token is read: the parse stops there.
        out.push(Token {
            tok,
            column: column_of(start),
        });
    }
    out.push(Token {
        tok: Tok::End,
        column: column_of(b.len()),
    });
    Ok(out)
}

/// The operator or parenthesis `b` starts with, and its length in bytes (two-byte operators
/// before their one-byte prefixes: `!=` and `!~` before `!`, `<=` before `<`).
fn operator(b: &[u8]) -> Option<(Tok, usize)> {
    let two = match b.get(..2) {
        Some(b"&&") => Some(Tok::And),
        Some(b"||") => Some(Tok::Or),
        Some(b"==") => Some(Tok::Cmp(CmpOp::Eq)),
        Some(b"!=") => Some(Tok::Cmp(CmpOp::Ne)),
        Some(b"<=") => Some(Tok::Cmp(CmpOp::Le)),
        Some(b">=") => Some(Tok::Cmp(CmpOp::Ge)),
        Some(b"=~") => Some(Tok::Regex(false)),
        Some(b"!~") => Some(Tok::Regex(true)),
        _ => None,
    };
    if let Some(tok) = two {
        return Some((tok, 2));
    }
    let one = match b.first()? {
        b'(' => Tok::LParen,
        b')' => Tok::RParen,
        b'!' => Tok::Not,
        b'<' => Tok::Cmp(CmpOp::Lt),
        b'>' => Tok::Cmp(CmpOp::Gt),
        _ => return None,
    };
    Some((one, 1))
}

/// The end of the number starting at `i`: digits, then either `.digits` or a size suffix.
fn lex_number(b: &[u8], mut i: usize) -> usize {
    let digits = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += digits(i);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1 + digits(i + 1);
    } else if b.get(i).is_some_and(|c| b"KMGTPEZY".contains(c)) {
        i += 1;
        if b.get(i..i + 2) == Some(b"iB") {
            i += 2;
        }
    }
    i
}

fn number_token(text: &str) -> Result<Tok, String> {
    if text.contains('.') {
        return text
            .parse::<f64>()
            .map(Tok::Float)
            .map_err(|_| format!("\"{text}\" token error"));
    }
    let digits_end = text
        .bytes()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    let Some(suffix_char) = suffix.bytes().next() else {
        // A plain integer saturates, as strtoumax() does.
        return Ok(Tok::Number(digits.parse::<u64>().unwrap_or(u64::MAX)));
    };
    let power = b"KMGTPEZY"
        .iter()
        .position(|&c| c == suffix_char)
        .map_or(0, |p| p as u32 + 1);
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| 1024u64.checked_pow(power).and_then(|m| n.checked_mul(m)))
        .map(Tok::Number)
        .ok_or_else(|| format!("\"{text}\" token error: Numerical result out of range"))
}

/// C `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| !is_c_space(c)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&c| !is_c_space(c))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

// ---------------------------------------------------------------------------------------------
// Parser

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Logic {
    And,
    Or,
}

#[derive(Debug)]
enum Node {
    Literal(Value),
    /// An index into `Filter::holders`.
    Holder(usize),
    /// `first op x op y …`, evaluated left to right (`and`/`or` share one level, left
    /// associative); kept flat so that long chains need no deep recursion.
    Chain(Box<Node>, Vec<(Logic, Node)>),
    Not(Box<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    Regex {
        negated: bool,
        left: Box<Node>,
        re: Regex,
    },
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(Vec<u8>),
    Number(u64),
    Float(f64),
    Bool(bool),
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Open parentheses and `not`s around the current position.
    nesting: usize,
    holders: Vec<String>,
}

type Parsed = Result<(Node, usize), ParseError>;

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends the list with `End`, and `next` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let tok = self.peek().clone();
        if tok.tok != Tok::End {
            self.pos += 1;
        }
        tok
    }

    fn deeper(column: usize, depth: usize) -> Result<usize, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(ParseError::new(column, "expression nested too deeply"));
        }
        Ok(depth + 1)
    }

    /// `and` / `or`: one level, left-associative.
    fn expr(&mut self) -> Parsed {
        let (first, mut depth) = self.comparison()?;
        let mut rest = Vec::new();
        let mut column = 0;
        loop {
            let op = match self.peek().tok {
                Tok::And => Logic::And,
                Tok::Or => Logic::Or,
                _ => break,
            };
            column = self.next().column;
            let (right, rdepth) = self.comparison()?;
            depth = depth.max(rdepth);
            rest.push((op, right));
        }
        if rest.is_empty() {
            return Ok((first, depth));
        }
        Ok((
            Node::Chain(Box::new(first), rest),
            Self::deeper(column, depth)?,
        ))
    }

    /// Comparisons and regular expressions: one level, left-associative.
    fn comparison(&mut self) -> Parsed {
        let (mut left, mut depth) = self.unary()?;
        loop {
            match self.peek().tok {
                Tok::Cmp(op) => {
                    let column = self.next().column;
                    let (right, rdepth) = self.unary()?;
                    depth = Self::deeper(column, depth.max(rdepth))?;
                    left = Node::Cmp(op, Box::new(left), Box::new(right));
                }
                Tok::Regex(negated) => {
                    let column = self.next().column;
                    let rcolumn = self.peek().column;
                    let (right, _) = self.unary()?;
                    let Node::Literal(Value::Str(pattern)) = right else {
                        return Err(ParseError::new(
                            rcolumn,
                            "the right side of a regular expression operator must be a string",
                        ));
                    };
                    let re =
                        compile_regex(&pattern).map_err(|msg| ParseError::new(rcolumn, msg))?;
                    depth = Self::deeper(column, depth)?;
                    left = Node::Regex {
                        negated,
                        left: Box::new(left),
                        re,
                    };
                }
                _ => return Ok((left, depth)),
            }
        }
    }

    /// `not` and primaries.
    fn unary(&mut self) -> Parsed {
        let tok = self.next();
        if matches!(tok.tok, Tok::Not | Tok::LParen) {
            self.nesting = Self::deeper(tok.column, self.nesting)?;
        }
        let node = match tok.tok {
            Tok::Not => {
                let (inner, depth) = self.unary()?;
                self.nesting -= 1;
                return Ok((Node::Not(Box::new(inner)), Self::deeper(tok.column, depth)?));
            }
            Tok::LParen => {
                let (inner, depth) = self.expr()?;
                self.nesting -= 1;
                let close = self.next();
                if close.tok != Tok::RParen {
                    return Err(ParseError::unexpected(&close, false));
                }
                return Ok((inner, Self::deeper(tok.column, depth)?));
            }
            Tok::Bool(v) => Node::Literal(Value::Bool(v)),
            Tok::Number(n) => Node::Literal(Value::Number(n)),
            Tok::Float(x) => Node::Literal(Value::Float(x)),
            Tok::Str(s) => Node::Literal(Value::Str(s)),
            Tok::Holder(name) => {
                let idx = match self.holders.iter().position(|h| *h == name) {
                    Some(idx) => idx,
                    None => {
                        self.holders.push(name);
                        self.holders.len() - 1
                    }
                };
                Node::Holder(idx)
            }
            // The lexer's message stands: the grammar takes the token as a value and gives up.
            Tok::InvalidNumber(message) => return Err(ParseError::new(tok.column, message)),
            _ => return Err(ParseError::unexpected(&tok, false)),
        };
        Ok((node, 1))
    }
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

/// Longest regular expression accepted.
const MAX_PATTERN: usize = 256;

/// Largest `{m,n}` repetition bound accepted.
const MAX_REPEAT: u64 = 1024;

/// Why a pattern is refused before compiling, if it is: patterns that make regcomp() build
/// enormous automata (the limits util-linux added after 2.42): longer than 256 bytes, a
/// quantifier right after `+` or `*` (`a++`), a repeated group holding a `+` or `*`
/// (`(a+)*`), or a `{…}` bound over 1024.
fn pathological(p: &[u8]) -> Option<&'static str> {
    if p.len() > MAX_PATTERN {
        return Some("pattern longer than 256 bytes");
    }
    let star_or_plus = |c: u8| c == b'+' || c == b'*';
    for (i, pair) in p.windows(2).enumerate() {
        if star_or_plus(pair[0]) && star_or_plus(pair[1]) {
            return Some("consecutive quantifiers");
        }
        if pair[0] == b')' && star_or_plus(pair[1]) {
            let group = &p[..i];
            let open = group.iter().rposition(|&c| c == b'(').map_or(0, |o| o + 1);
            if group[open..].iter().any(|&c| star_or_plus(c)) {
                return Some("nested repetition of a group");
            }
        }
    }
    let mut rest = p;
    while let Some(open) = rest.iter().position(|&c| c == b'{') {
        rest = &rest[open + 1..];
        let close = rest.iter().position(|&c| c == b'}').unwrap_or(rest.len());
        let bounds = &rest[..close];
        for number in bounds
            .split(|c| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
        {
            let too_big = number.iter().try_fold(0u64, |acc, &d| {
                let v = acc * 10 + u64::from(d - b'0');
                (v <= MAX_REPEAT).then_some(v)
            });
            if too_big.is_none() {
                return Some("repetition bound over 1024");
            }
        }
        rest = &rest[close..];
    }
    None
}

/// Compile a filter's regular expression: a NUL byte is refused first, then a
/// [`pathological`] pattern, then whatever the C library's regcomp() refuses
/// ([`sys::regex::Regex`]).
fn compile_regex(pattern: &[u8]) -> Result<Regex, String> {
    match pathological(pattern) {
        Some(why) if !pattern.contains(&0) => Err(why.to_string()),
        _ => Regex::new(pattern),
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// A value during evaluation, as libsmartcols keeps a parameter: typed data and whether it
/// came from an empty cell.
#[derive(Debug, Clone)]
struct Val<'a> {
    data: Data<'a>,
    empty: bool,
}

#[derive(Debug, Clone)]
enum Data<'a> {
    /// `None` is an unset cell (NULL).
    Str(Option<Cow<'a, [u8]>>),
    Number(u64),
    Float(f64),
    Bool(bool),
}

impl Data<'_> {
    fn data_type(&self) -> DataType {
        match self {
            Data::Str(_) => DataType::String,
            Data::Number(_) => DataType::Number,
            Data::Float(_) => DataType::Float,
            Data::Bool(_) => DataType::Boolean,
        }
    }
}

fn display_bytes(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

/// `ul_strtou64(s, 10)`: an optional sign and decimal digits, nothing else; negative values
/// are out of range.
fn str_to_u64(s: &[u8]) -> Result<u64, EvalError> {
    let invalid = || EvalError::new(EINVAL, format!("\"{}\" is not a number", display_bytes(s)));
    let range = || EvalError::new(ERANGE, format!("\"{}\" is out of range", display_bytes(s)));
    let (negative, rest) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let ndigits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if ndigits == 0 {
        return Err(invalid());
    }
    let mut value: Option<u64> = Some(0);
    for &d in &rest[..ndigits] {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(d - b'0')));
    }
    let value = match value {
        None => return Err(range()),
        Some(v) if negative && v != 0 => return Err(range()),
        Some(v) => v,
    };
    if ndigits != rest.len() {
        return Err(invalid());
    }
    Ok(value)
}

/// `ul_strtold`: the whole string must be a float (`inf` and `nan` included).
fn str_to_float(s: &[u8]) -> Result<f64, EvalError> {
    std::str::from_utf8(s)
        .ok()
        .filter(|t| !t.is_empty())
        .and_then(|t| t.parse::<f64>().ok())
        .ok_or_else(|| EvalError::new(EINVAL, format!("\"{}\" is not a number", display_bytes(s))))
}

/// C `printf("%g")`: six significant digits, trailing zeros removed, exponent form for very
/// small or large magnitudes.
fn format_g(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{x:.5e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mantissa), exp.unsigned_abs())
    } else {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        strip(&format!("{x:.decimals$}"))
    }
}

/// Whether the text means yes to a boolean column: `1`, `true` in any case, or a word
/// starting with `y`/`Y` (rpmatch()).
fn str_to_bool(s: Option<&[u8]>) -> bool {
    match s {
        None | Some([]) => false,
        Some(s) => s == b"1" || s.eq_ignore_ascii_case(b"true") || matches!(s[0], b'y' | b'Y'),
    }
}

impl<'a> Val<'a> {
    fn literal(v: &Value) -> Val<'a> {
        let data = match v {
            Value::Str(s) => Data::Str(Some(Cow::Owned(s.clone()))),
            Value::Number(n) => Data::Number(*n),
            Value::Float(x) => Data::Float(*x),
            Value::Bool(b) => Data::Bool(*b),
        };
        Val { data, empty: false }
    }

    /// Convert in place, keeping `empty` (libsmartcols' cast of a parameter).
    fn cast_in_place(&mut self, to: DataType) -> Result<(), EvalError> {
        let data = match (&self.data, to) {
            (d, to) if d.data_type() == to => return Ok(()),
            (Data::Str(s), DataType::Number) => {
                Data::Number(s.as_deref().map_or(Ok(0), str_to_u64)?)
            }
            (Data::Str(s), DataType::Float) => {
                Data::Float(s.as_deref().map_or(Ok(0.0), str_to_float)?)
            }
            (Data::Str(s), _) => Data::Bool(str_to_bool(s.as_deref())),
            (Data::Number(n), DataType::String) => {
                Data::Str(Some(Cow::Owned(n.to_string().into_bytes())))
            }
            (Data::Number(n), DataType::Float) => Data::Float(*n as f64),
            (Data::Number(n), _) => Data::Bool(*n > 0),
            (Data::Float(x), DataType::String) => {
                Data::Str(Some(Cow::Owned(format_g(*x).into_bytes())))
            }
            (Data::Float(x), DataType::Number) => Data::Number(*x as u64),
            (Data::Float(x), _) => Data::Bool(*x > 0.0),
            (Data::Bool(b), DataType::String) => Data::Str(Some(Cow::Borrowed(if *b {
                b"true".as_slice()
            } else {
                b"false".as_slice()
            }))),
            (Data::Bool(b), DataType::Number) => Data::Number(u64::from(*b)),
            (Data::Bool(b), _) => Data::Float(if *b { 1.0 } else { 0.0 }),
        };
        self.data = data;
        Ok(())
    }

    /// Convert for a comparison: unchanged when the type already fits; otherwise a copy,
    /// which (as in libsmartcols) is empty only for an unset string.
    fn cast(self, to: DataType) -> Result<Val<'a>, EvalError> {
        if self.data.data_type() == to {
            return Ok(self);
        }
        let empty = matches!(self.data, Data::Str(None));
        let mut copy = Val {
            data: self.data,
            empty,
        };
        copy.cast_in_place(to)?;
        Ok(copy)
    }

    /// The value on its own as a condition.
    fn truth(&self) -> bool {
        if self.empty {
            return false;
        }
        match &self.data {
            Data::Str(s) => s.as_deref().is_some_and(|s| !s.is_empty()),
            Data::Number(n) => *n != 0,
            Data::Float(x) => *x != 0.0,
            Data::Bool(b) => *b,
        }
    }
}

/// An operand of a comparison, resolved far enough to know its type.
enum Operand<'n, 'a> {
    /// A value (a literal or a fetched column) and whether it is a column.
    Param(Val<'a>, bool),
    /// A sub-expression, evaluated when converted.
    Expr(&'n Node),
}

impl Operand<'_, '_> {
    fn data_type(&self) -> DataType {
        match self {
            Operand::Param(v, _) => v.data.data_type(),
            Operand::Expr(_) => DataType::Boolean,
        }
    }

    fn is_holder(&self) -> bool {
        matches!(self, Operand::Param(_, true))
    }
}

/// The type both sides of a comparison are converted to.
fn common_type(l: DataType, r: DataType, l_holder: bool, r_holder: bool) -> DataType {
    if l == r {
        return l;
    }
    let t = if l_holder && !r_holder { r } else { l };
    if t == DataType::Number && (l == DataType::Float || r == DataType::Float) {
        DataType::Float
    } else {
        t
    }
}

struct Ctx<'f, 'c, F> {
    holders: &'f [String],
    cell: &'c mut F,
}

impl<'a, F> Ctx<'_, '_, F>
where
    F: FnMut(&str) -> (DataType, Option<Cow<'a, [u8]>>),
{
    fn fetch(&mut self, idx: usize) -> Result<Val<'a>, EvalError> {
        let name = self.holders.get(idx).map_or("", String::as_str);
        let (ty, data) = (self.cell)(name);
        let data = data.map(|d| match d {
            Cow::Borrowed(b) => Cow::Borrowed(trim(until_nul(b))),
            Cow::Owned(v) => Cow::Owned(trim(until_nul(&v)).to_vec()),
        });
        let mut v = Val {
            empty: data.is_none(),
            data: Data::Str(data),
        };
        v.cast_in_place(ty)?;
        Ok(v)
    }

    fn operand<'n>(&mut self, node: &'n Node) -> Result<Operand<'n, 'a>, EvalError> {
        Ok(match node {
            Node::Literal(v) => Operand::Param(Val::literal(v), false),
            Node::Holder(idx) => Operand::Param(self.fetch(*idx)?, true),
            _ => Operand::Expr(node),
        })
    }

    fn convert(&mut self, op: Operand<'_, 'a>, to: DataType) -> Result<Val<'a>, EvalError> {
        match op {
            Operand::Param(v, _) => v.cast(to),
            Operand::Expr(node) => {
                let b = self.eval(node)?;
                Val {
                    data: Data::Bool(b),
                    empty: false,
                }
                .cast(to)
            }
        }
    }

    fn eval(&mut self, node: &Node) -> Result<bool, EvalError> {
        match node {
            Node::Literal(v) => Ok(Val::literal(v).truth()),
            Node::Holder(idx) => Ok(self.fetch(*idx)?.truth()),
            Node::Chain(first, rest) => {
                let mut acc = self.eval(first)?;
                for (op, node) in rest {
                    acc = match op {
                        Logic::And => acc && self.eval(node)?,
                        Logic::Or => acc || self.eval(node)?,
                    };
                }
                Ok(acc)
            }
            Node::Not(inner) => Ok(!self.eval(inner)?),
            Node::Cmp(op, l, r) => {
                let lo = self.operand(l)?;
                let ro = self.operand(r)?;
                let to = common_type(
                    lo.data_type(),
                    ro.data_type(),
                    lo.is_holder(),
                    ro.is_holder(),
                );
                let lv = self.convert(lo, to)?;
                let rv = self.convert(ro, to)?;
                Ok(compare(*op, &lv, &rv))
            }
            Node::Regex { negated, left, re } => {
                let lo = self.operand(left)?;
                let to = common_type(lo.data_type(), DataType::String, lo.is_holder(), false);
                let lv = self.convert(lo, to)?;
                match &lv.data {
                    Data::Str(s) => Ok(re.is_match(s.as_deref().unwrap_or(b"")) != *negated),
                    _ => Err(EvalError::new(
                        EINVAL,
                        format!(
                            "regular expression {:?} cannot be applied to a non-string value",
                            String::from_utf8_lossy(re.pattern())
                        ),
                    )),
                }
            }
        }
    }
}

fn until_nul(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())]
}

fn compare(op: CmpOp, l: &Val<'_>, r: &Val<'_>) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (&l.data, &r.data) {
        // Strings compare even when empty: an unset cell sorts before everything.
        (Data::Str(a), Data::Str(b)) => Some(a.as_deref().cmp(&b.as_deref())),
        _ if l.empty || r.empty => return false,
        (Data::Number(a), Data::Number(b)) => Some(a.cmp(b)),
        (Data::Float(a), Data::Float(b)) => a.partial_cmp(b),
        (Data::Bool(a), Data::Bool(b)) => Some(a.cmp(b)),
        // Both sides were converted to one type.
        _ => return false,
    };
    match op {
        CmpOp::Eq => ord == Some(Ordering::Equal),
        CmpOp::Ne => ord != Some(Ordering::Equal),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}
