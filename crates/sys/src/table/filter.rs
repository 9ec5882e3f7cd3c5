//! The libsmartcols filter language (`scols-filter(5)`) that `lsns -Q` takes: comparisons
//! of column values ("holders") and literals, regular expressions, `and`/`or`/`not`.
//!
//! Types follow libsmartcols: a holder has its column's type, a literal the type it is
//! written in; when the two sides of a comparison differ, the literal's type wins (and a
//! float wins over an integer), and the other side is converted. An empty cell compares
//! unequal to everything (strings: it sorts before every string).

use std::ffi::CString;

use super::DataType;

/// How a filter reads one line: a column's name gives the column's type and the line's text
/// in it (`None`: an empty cell).
pub type Cells<'a> = &'a dyn Fn(&str) -> (DataType, Option<Vec<u8>>);

/// A parsed filter expression.
#[derive(Debug)]
pub struct Filter {
    root: Node,
    holders: Vec<String>,
}

/// Why an expression does not parse: what was found, and where (1-based character position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The position in the expression, counted in characters from 1.
    pub position: usize,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "syntax error at position {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug)]
enum Node {
    Holder(String),
    Literal(Value),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(Cmp, Box<Node>, Box<Node>),
    Match {
        left: Box<Node>,
        regex: Regex,
        negate: bool,
    },
}

/// A typed value; `None` inside is an empty cell.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(Option<Vec<u8>>),
    Num(Option<u64>),
    Float(Option<f64>),
    Bool(Option<bool>),
}

impl Value {
    fn data_type(&self) -> DataType {
        match self {
            Value::Str(_) => DataType::String,
            Value::Num(_) => DataType::Number,
            Value::Float(_) => DataType::Float,
            Value::Bool(_) => DataType::Boolean,
        }
    }

    /// A cell's text as a value of its column's type; `None` when the text is not one.
    fn from_cell(t: DataType, data: Option<Vec<u8>>) -> Option<Value> {
        let Some(data) = data else {
            return Some(empty(t));
        };
        Value::Str(Some(data)).cast(t)
    }

    /// This value as type `t`, as libsmartcols converts; `None` when it cannot be.
    fn cast(self, t: DataType) -> Option<Value> {
        if self.data_type() == t {
            return Some(self);
        }
        let v = match self {
            Value::Str(None) | Value::Num(None) | Value::Float(None) | Value::Bool(None) => {
                return Some(empty(t));
            }
            Value::Str(Some(s)) => {
                let text = String::from_utf8_lossy(&s).into_owned();
                match t {
                    DataType::Number => Value::Num(Some(text.trim_start().parse().ok()?)),
                    DataType::Float => Value::Float(Some(text.trim_start().parse().ok()?)),
                    DataType::Boolean => Value::Bool(Some(
                        text == "1"
                            || text.eq_ignore_ascii_case("true")
                            || text.starts_with(['y', 'Y']),
                    )),
                    DataType::String => Value::Str(Some(s)),
                }
            }
            Value::Num(Some(n)) => match t {
                DataType::String => Value::Str(Some(n.to_string().into_bytes())),
                DataType::Float => Value::Float(Some(n as f64)),
                DataType::Boolean => Value::Bool(Some(n > 0)),
                DataType::Number => Value::Num(Some(n)),
            },
            Value::Float(Some(f)) => match t {
                DataType::String => Value::Str(Some(format!("{f}").into_bytes())),
                DataType::Number => Value::Num(Some(f as u64)),
                DataType::Boolean => Value::Bool(Some(f > 0.0)),
                DataType::Float => Value::Float(Some(f)),
            },
            Value::Bool(Some(b)) => match t {
                DataType::String => {
                    Value::Str(Some(if b { "true" } else { "false" }.as_bytes().to_vec()))
                }
                DataType::Number => Value::Num(Some(u64::from(b))),
                DataType::Float => Value::Float(Some(if b { 1.0 } else { 0.0 })),
                DataType::Boolean => Value::Bool(Some(b)),
            },
        };
        Some(v)
    }

    /// Whether a lone value counts as true: not empty, not zero, not false.
    fn truth(&self) -> bool {
        match self {
            Value::Str(s) => s.as_ref().is_some_and(|s| !s.is_empty()),
            Value::Num(n) => n.is_some_and(|n| n != 0),
            Value::Float(f) => f.is_some_and(|f| f != 0.0),
            Value::Bool(b) => b.unwrap_or(false),
        }
    }
}

fn empty(t: DataType) -> Value {
    match t {
        DataType::String => Value::Str(None),
        DataType::Number => Value::Num(None),
        DataType::Float => Value::Float(None),
        DataType::Boolean => Value::Bool(None),
    }
}

fn compare(op: Cmp, l: &Value, r: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (l, r) {
        // Strings: an empty cell sorts before every string and equals another empty one.
        (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
        (Value::Num(Some(a)), Value::Num(Some(b))) => Some(a.cmp(b)),
        (Value::Float(Some(a)), Value::Float(Some(b))) => a.partial_cmp(b),
        (Value::Bool(Some(a)), Value::Bool(Some(b))) => Some(a.cmp(b)),
        _ => None,
    };
    let Some(ord) = ord else { return false };
    match op {
        Cmp::Eq => ord == Ordering::Equal,
        Cmp::Ne => ord != Ordering::Equal,
        Cmp::Lt => ord == Ordering::Less,
        Cmp::Le => ord != Ordering::Greater,
        Cmp::Gt => ord == Ordering::Greater,
        Cmp::Ge => ord != Ordering::Less,
    }
}

/// A compiled POSIX extended regular expression (`regcomp(3)`, as libsmartcols uses).
struct Regex {
    compiled: Box<libc::regex_t>,
}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Regex")
    }
}

impl Regex {
    fn new(pattern: &[u8]) -> Result<Regex, String> {
        let pattern = CString::new(pattern).map_err(|_| "NUL in regular expression".to_owned())?;
        // SAFETY: regex_t is plain data that regcomp fills in; all-zero is a valid start.
        let mut compiled: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: both pointers are valid for the call; the pattern is NUL-terminated.
        let rc = unsafe {
            libc::regcomp(
                &mut *compiled,
                pattern.as_ptr(),
                libc::REG_EXTENDED | libc::REG_NOSUB,
            )
        };
        if rc != 0 {
            let mut buf = [0u8; 256];
            // SAFETY: regerror writes at most buf.len() bytes, NUL-terminated.
            unsafe {
                libc::regerror(rc, &*compiled, buf.as_mut_ptr().cast(), buf.len());
            }
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return Err(String::from_utf8_lossy(&buf[..end]).into_owned());
        }
        Ok(Regex { compiled })
    }

    fn is_match(&self, text: &[u8]) -> bool {
        // Cell text cannot hold NUL (it comes from C strings in util-linux too).
        let Ok(text) = CString::new(text) else {
            return false;
        };
        // SAFETY: the regex was compiled by regcomp; the text is NUL-terminated; no match
        // array is asked for (REG_NOSUB).
        unsafe { libc::regexec(&*self.compiled, text.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
    }
}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: compiled by a successful regcomp and freed once.
        unsafe { libc::regfree(&mut *self.compiled) }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Holder(String),
    Str(Vec<u8>),
    Num(u64),
    Float(f64),
    Bool(bool),
    And,
    Or,
    Not,
    Cmp(Cmp),
    Match,
    NoMatch,
    Open,
    Close,
}

fn describe(t: &Token) -> String {
    match t {
        Token::Holder(h) => format!("column name {h}"),
        Token::Str(s) => format!("string \"{}\"", String::from_utf8_lossy(s)),
        Token::Num(n) => format!("number {n}"),
        Token::Float(f) => format!("number {f}"),
        Token::Bool(b) => format!("{b}"),
        Token::And => "'and'".into(),
        Token::Or => "'or'".into(),
        Token::Not => "'not'".into(),
        Token::Cmp(_) => "comparison".into(),
        Token::Match => "'=~'".into(),
        Token::NoMatch => "'!~'".into(),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
    }
}

/// Split the expression into tokens, each with its 1-based character position.
fn tokenize(expr: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, message: String| ParseError {
        position: at + 1,
        message,
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
        let op = match two.as_str() {
            "&&" => Some(Token::And),
            "||" => Some(Token::Or),
            "==" => Some(Token::Cmp(Cmp::Eq)),
            "!=" => Some(Token::Cmp(Cmp::Ne)),
            "<=" => Some(Token::Cmp(Cmp::Le)),
            ">=" => Some(Token::Cmp(Cmp::Ge)),
            "=~" => Some(Token::Match),
            "!~" => Some(Token::NoMatch),
            _ => None,
        };
        if let Some(t) = op {
            out.push((start + 1, t));
            i += 2;
            continue;
        }
        let one = match c {
            '<' => Some(Token::Cmp(Cmp::Lt)),
            '>' => Some(Token::Cmp(Cmp::Gt)),
            '!' => Some(Token::Not),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            _ => None,
        };
        if let Some(t) = one {
            out.push((start + 1, t));
            i += 1;
            continue;
        }
        if c == '"' || c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == c || x == '\n')
                .map(|p| p + i + 1);
            match end {
                Some(e) if chars[e] == c => {
                    let s: String = chars[i + 1..e].iter().collect();
                    out.push((start + 1, Token::Str(s.into_bytes())));
                    i = e + 1;
                    continue;
                }
                _ => return Err(err(start, "unterminated string".into())),
            }
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            let int: String = chars[i..j].iter().collect();
            if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
                let mut k = j + 1;
                while k < chars.len() && chars[k].is_ascii_digit() {
                    k += 1;
                }
                let text: String = chars[i..k].iter().collect();
                let f = text
                    .parse()
                    .map_err(|_| err(start, format!("bad number {text}")))?;
                out.push((start + 1, Token::Float(f)));
                i = k;
                continue;
            }
            let mut value: u64 = int
                .parse()
                .map_err(|_| err(start, format!("number {int} is too large")))?;
            // K, M, G, ... with an optional "iB": powers of 1024.
            if let Some(p) = chars.get(j).and_then(|s| "KMGTPEZY".find(*s)) {
                j += 1;
                if chars.get(j) == Some(&'i') && chars.get(j + 1) == Some(&'B') {
                    j += 2;
                }
                let factor = 1024u64.checked_pow(p as u32 + 1);
                value = factor
                    .and_then(|f| value.checked_mul(f))
                    .ok_or_else(|| err(start, format!("number {int} is too large")))?;
            }
            if chars.get(j).is_some_and(|x| x.is_ascii_alphanumeric()) {
                return Err(err(j, format!("unexpected '{}' after a number", chars[j])));
            }
            out.push((start + 1, Token::Num(value)));
            i = j;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let mut j = i + 1;
            while j < chars.len()
                && (chars[j].is_ascii_alphanumeric() || "_.%:/-".contains(chars[j]))
            {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect();
            let t = match word.as_str() {
                "and" | "AND" => Token::And,
                "or" | "OR" => Token::Or,
                "not" | "NOT" => Token::Not,
                "eq" | "EQ" => Token::Cmp(Cmp::Eq),
                "ne" | "NE" => Token::Cmp(Cmp::Ne),
                "lt" | "LT" => Token::Cmp(Cmp::Lt),
                "le" | "LE" => Token::Cmp(Cmp::Le),
                "gt" | "GT" => Token::Cmp(Cmp::Gt),
                "ge" | "GE" => Token::Cmp(Cmp::Ge),
                "true" | "TRUE" => Token::Bool(true),
                "false" | "FALSE" => Token::Bool(false),
                _ => Token::Holder(word),
            };
            out.push((start + 1, t));
            i = j;
            continue;
        }
        return Err(err(start, format!("unexpected character '{c}'")));
    }
    Ok(out)
}

/// A recursive-descent parser with libsmartcols' precedence: `and` and `or` (one level) <
/// comparisons and matches (left to right) < `not`.
struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    end: usize,
    holders: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    fn position(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |(p, _)| *p)
    }

    fn unexpected(&self, expecting: &str) -> ParseError {
        let found = self
            .peek()
            .map_or_else(|| "end of expression".to_owned(), describe);
        ParseError {
            position: self.position(),
            message: format!("unexpected {found}, expecting {expecting}"),
        }
    }

    /// `and` and `or` share one precedence level and group from the left, as in
    /// libsmartcols' grammar (`a or b and c` is `(a or b) and c`).
    fn or(&mut self) -> Result<Node, ParseError> {
        let mut left = self.comparison()?;
        loop {
            let op = self.peek().cloned();
            if !matches!(op, Some(Token::And | Token::Or)) {
                return Ok(left);
            }
            self.at += 1;
            let right = Box::new(self.comparison()?);
            left = if op == Some(Token::And) {
                Node::And(Box::new(left), right)
            } else {
                Node::Or(Box::new(left), right)
            };
        }
    }

    fn comparison(&mut self) -> Result<Node, ParseError> {
        let mut left = self.unary()?;
        loop {
            match self.peek().cloned() {
                Some(Token::Cmp(op)) => {
                    self.at += 1;
                    left = Node::Compare(op, Box::new(left), Box::new(self.unary()?));
                }
                Some(t @ (Token::Match | Token::NoMatch)) => {
                    self.at += 1;
                    let position = self.position();
                    let Some(Token::Str(pattern)) = self.peek().cloned() else {
                        return Err(self.unexpected("a string (the regular expression)"));
                    };
                    self.at += 1;
                    let regex = Regex::new(&pattern).map_err(|e| ParseError {
                        position,
                        message: format!("bad regular expression: {e}"),
                    })?;
                    left = Node::Match {
                        left: Box::new(left),
                        regex,
                        negate: t == Token::NoMatch,
                    };
                }
                _ => return Ok(left),
            }
        }
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.unexpected("a value, a column name, 'not' or '('"));
        };
        self.at += 1;
        Ok(match t {
            Token::Not => Node::Not(Box::new(self.unary()?)),
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err(self.unexpected("')'"));
                }
                self.at += 1;
                inner
            }
            Token::Holder(h) => {
                if !self.holders.contains(&h) {
                    self.holders.push(h.clone());
                }
                Node::Holder(h)
            }
            Token::Str(s) => Node::Literal(Value::Str(Some(s))),
            Token::Num(n) => Node::Literal(Value::Num(Some(n))),
            Token::Float(f) => Node::Literal(Value::Float(Some(f))),
            Token::Bool(b) => Node::Literal(Value::Bool(Some(b))),
            _ => {
                self.at -= 1;
                return Err(self.unexpected("a value, a column name, 'not' or '('"));
            }
        })
    }
}

impl Filter {
    /// Parse `expr`.
    pub fn parse(expr: &str) -> Result<Filter, ParseError> {
        let tokens = tokenize(expr)?;
        let mut parser = Parser {
            tokens,
            at: 0,
            end: expr.chars().count() + 1,
            holders: Vec::new(),
        };
        let root = parser.or()?;
        if parser.at < parser.tokens.len() {
            return Err(parser.unexpected("'and', 'or', a comparison or the end"));
        }
        Ok(Filter {
            root,
            holders: parser.holders,
        })
    }

    /// The column names the expression refers to, each once, in order of first appearance,
    /// as written.
    pub fn holders(&self) -> Vec<&str> {
        self.holders.iter().map(String::as_str).collect()
    }

    /// Whether the expression is true for one line. `cell(name)` gives the column's type and
    /// the line's text in it (`None`: an empty cell). A value that cannot be converted to
    /// the type a comparison needs (`unassigned` as a number) makes that comparison false.
    pub fn matches(&self, cell: Cells<'_>) -> bool {
        eval(&self.root, cell)
    }
}

fn eval(node: &Node, cell: Cells<'_>) -> bool {
    match node {
        Node::And(l, r) => eval(l, cell) && eval(r, cell),
        Node::Or(l, r) => eval(l, cell) || eval(r, cell),
        Node::Not(n) => !eval(n, cell),
        Node::Literal(v) => v.truth(),
        Node::Holder(_) => value(node, cell).is_some_and(|v| v.truth()),
        Node::Match {
            left,
            regex,
            negate,
        } => {
            let text = match value(left, cell).and_then(|v| v.cast(DataType::String)) {
                Some(Value::Str(s)) => s.unwrap_or_default(),
                _ => return false,
            };
            regex.is_match(&text) != *negate
        }
        Node::Compare(op, l, r) => {
            let t = common_type(l, r, cell);
            let (Some(a), Some(b)) = (
                value(l, cell).and_then(|v| v.cast(t)),
                value(r, cell).and_then(|v| v.cast(t)),
            ) else {
                return false;
            };
            compare(*op, &a, &b)
        }
    }
}

/// A node's value: a literal, a cell, or an expression's truth as a boolean. `None` when a
/// cell's text is not of its column's type.
fn value(node: &Node, cell: Cells<'_>) -> Option<Value> {
    match node {
        Node::Literal(v) => Some(v.clone()),
        Node::Holder(name) => {
            let (t, data) = cell(name);
            Value::from_cell(t, data)
        }
        other => Some(Value::Bool(Some(eval(other, cell)))),
    }
}

fn node_type(node: &Node, cell: Cells<'_>) -> DataType {
    match node {
        Node::Literal(v) => v.data_type(),
        Node::Holder(name) => cell(name).0,
        _ => DataType::Boolean,
    }
}

/// The type both sides of a comparison are converted to: the literal's rather than the
/// column's, a float's rather than an integer's.
fn common_type(l: &Node, r: &Node, cell: Cells<'_>) -> DataType {
    let (lt, rt) = (node_type(l, cell), node_type(r, cell));
    if lt == rt {
        return lt;
    }
    let holder = |n: &Node| matches!(n, Node::Holder(_));
    let t = if holder(l) && !holder(r) { rt } else { lt };
    if t == DataType::Number && (lt == DataType::Float || rt == DataType::Float) {
        DataType::Float
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of lsns: NS, NPROCS, TYPE, COMMAND, NETNSID; anything else is an empty string.
    fn line(name: &str) -> (DataType, Option<Vec<u8>>) {
        match name {
            "NS" => (DataType::Number, Some(b"4026532000".to_vec())),
            "NPROCS" => (DataType::Number, Some(b"1".to_vec())),
            "PID" => (DataType::Number, None),
            "TYPE" => (DataType::String, Some(b"net".to_vec())),
            "COMMAND" => (DataType::String, Some(b"sleep 60".to_vec())),
            "NETNSID" => (DataType::String, Some(b"unassigned".to_vec())),
            "ID" => (DataType::String, Some(b"7".to_vec())),
            _ => (DataType::String, None),
        }
    }

    fn t(expr: &str) -> bool {
        Filter::parse(expr)
            .unwrap_or_else(|e| panic!("{expr}: {e}"))
            .matches(&line)
    }

    fn parse_err(expr: &str) -> String {
        Filter::parse(expr).unwrap_err().to_string()
    }

    #[test]
    fn upstream_expressions() {
        assert!(t("NS == 4026532000 && NPROCS == 1"));
        assert!(t(r#"TYPE == "net" and NPROCS != 0"#));
        assert!(!t(r#"TYPE == "net" and NPROCS == 0"#));
        assert!(t("NS == 4026532000 AND NPROCS == 1"));
    }

    #[test]
    fn operators_on_numbers_and_strings() {
        for (expr, want) in [
            ("NPROCS < 2", true),
            ("NPROCS <= 1", true),
            ("NPROCS > 1", false),
            ("NPROCS >= 1", true),
            ("NPROCS lt 2", true),
            ("NPROCS ge 2", false),
            ("NS eq 4026532000", true),
            ("NS ne 4026532000", false),
            ("NPROCS == 1.0", true),
            ("NPROCS < 1.5", true),
            (r#"TYPE < "pid""#, true),
            (r#"TYPE >= "net""#, true),
            (r#"TYPE == 'net'"#, true),
            ("NPROCS == 1K", false),
            ("1K == 1024", true),
            ("1KiB == 1024", true),
            ("2M == 2097152", true),
            // A number column against a string literal: compared as text.
            (r#"NS == "4026532000""#, true),
            // A string column against a number: converted when it can be.
            ("ID == 7", true),
            ("NETNSID == 7", false),
            ("NETNSID != 7", false),
        ] {
            assert_eq!(t(expr), want, "{expr}");
        }
    }

    #[test]
    fn logic_precedence_and_parentheses() {
        // One level, from the left: (true or false) and false.
        assert!(!t("NPROCS == 1 or NPROCS == 2 and TYPE == \"pid\""));
        assert!(t("NPROCS == 1 or (NPROCS == 2 and TYPE == \"pid\")"));
        assert!(!t("(NPROCS == 2 or NPROCS == 1) and TYPE == \"pid\""));
        // `not` applies to NPROCS alone: (not NPROCS) == 2 is false == true.
        assert!(!t("not NPROCS == 2"));
        assert!(t("!(NPROCS == 2)"));
        assert!(!t("not (NPROCS == 1 || false)"));
        assert!(t("true"));
        assert!(!t("FALSE"));
        // `not` binds tighter than a comparison: (not TYPE) == false.
        assert!(t("not TYPE == false"));
    }

    #[test]
    fn regular_expressions() {
        assert!(t(r#"COMMAND =~ "^sleep [0-9]+$""#));
        assert!(!t(r#"COMMAND !~ "^sleep""#));
        assert!(t(r#"TYPE =~ "^(net|uts)$""#));
        assert!(t(r#"NS =~ "^4026""#));
        assert!(parse_err(r#"TYPE =~ "(""#).contains("bad regular expression"));
        assert_eq!(
            parse_err("TYPE =~ 5"),
            "syntax error at position 9: unexpected number 5, expecting a string (the regular expression)"
        );
    }

    #[test]
    fn empty_cells() {
        // A bare column is true when its cell is not empty.
        assert!(t("TYPE"));
        assert!(!t("USER"));
        assert!(!t("PID"));
        // An empty number compares false every way.
        assert!(!t("PID == 0"));
        assert!(!t("PID != 0"));
        // An empty string sorts first and equals nothing but another empty one.
        assert!(!t(r#"USER == """#));
        assert!(t(r#"USER < "a""#));
        assert!(t("USER == PATH"));
    }

    #[test]
    fn holders_in_order() {
        let f = Filter::parse("NS == 1 or (TYPE == \"x\" and NS > 2) or net-x.y%:/z").unwrap();
        assert_eq!(f.holders(), ["NS", "TYPE", "net-x.y%:/z"]);
    }

    #[test]
    fn errors_name_the_position() {
        assert_eq!(
            parse_err("NS =="),
            "syntax error at position 6: unexpected end of expression, expecting a value, a column name, 'not' or '('"
        );
        assert_eq!(
            parse_err("NS == (1"),
            "syntax error at position 9: unexpected end of expression, expecting ')'"
        );
        assert_eq!(
            parse_err("NS == 1)"),
            "syntax error at position 8: unexpected ')', expecting 'and', 'or', a comparison or the end"
        );
        assert_eq!(
            parse_err("TYPE == \"net"),
            "syntax error at position 9: unterminated string"
        );
        assert_eq!(
            parse_err("NS # 1"),
            "syntax error at position 4: unexpected character '#'"
        );
        assert_eq!(
            parse_err("NS == 99999999999999999999"),
            "syntax error at position 7: number 99999999999999999999 is too large"
        );
        assert_eq!(
            parse_err(""),
            "syntax error at position 1: unexpected end of expression, expecting a value, a column name, 'not' or '('"
        );
        assert!(parse_err("NS 1").contains("position 4"));
    }
}
