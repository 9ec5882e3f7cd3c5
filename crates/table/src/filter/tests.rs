use super::*;

use DataType::{Boolean, Float, Number, String as Str};

/// One table line: column name, type, text (`None` = empty cell).
type Line<'a> = &'a [(&'a str, DataType, Option<&'a str>)];

fn eval(expr: &str, line: Line<'_>) -> Result<bool, EvalError> {
    let f = Filter::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
    f.matches(|name| {
        let (_, ty, data) = line
            .iter()
            .find(|(n, _, _)| *n == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        (*ty, data.map(|d| Cow::Borrowed(d.as_bytes())))
    })
}

fn yes(expr: &str, line: Line<'_>) -> bool {
    eval(expr, line).unwrap_or_else(|e| panic!("{expr}: {e}"))
}

fn err(expr: &str) -> ParseError {
    match Filter::parse(expr) {
        Ok(f) => panic!("{expr} parsed: {f:?}"),
        Err(e) => e,
    }
}

const NS: Line<'static> = &[
    ("NS", Number, Some("4026532000")),
    ("TYPE", Str, Some("net")),
    ("NPROCS", Number, Some("1")),
    ("PID", Number, Some("1234")),
    ("NETNSID", Number, None),
    ("NSFS", Str, None),
    ("COMMAND", Str, Some("/usr/bin/bash -l")),
    ("EMPTY", Str, Some("")),
    ("F", Float, Some("1.5")),
    ("B", Boolean, Some("true")),
    ("BN", Boolean, Some("no")),
    ("BAD", Number, Some("abc")),
    ("PADDED", Str, Some("  x  ")),
    ("a-b:c%d/e.f_g", Str, Some("odd")),
];

#[test]
fn filter_empty_expression_matches_all() {
    let f = Filter::parse("").unwrap();
    assert!(f.holders().is_empty());
    assert!(
        f.matches(|_| -> (DataType, Option<Cow<'static, [u8]>>) { panic!() })
            .unwrap()
    );
    assert_eq!(err("   ").column(), 4);
}

#[test]
fn filter_upstream_lsns_expressions() {
    assert!(yes("NS == 4026532000 && NPROCS == 1", NS));
    assert!(!yes("NS == 4026532000 && NPROCS == 2", NS));
    assert!(!yes("NS == 4026532001 && NPROCS == 1", NS));
    assert!(yes("TYPE == \"net\" and NPROCS == 1", NS));
    assert!(!yes("TYPE == \"net\" and NPROCS == 0", NS));
    assert!(yes("PID == 1234 and TYPE == \"net\"", NS));
    // netnsid-for-persistent-namespaces: a number column against a quoted value.
    let line: Line<'_> = &[("NETNSID", Number, Some("3"))];
    assert!(yes("NETNSID == '3'", line));
    assert!(!yes("NETNSID == '4'", line));
}

#[test]
fn filter_holders_in_order_once() {
    let f = Filter::parse("NS == 1 and (TYPE eq 'x' or NS > 2) || a-b:c%d/e.f_g").unwrap();
    assert_eq!(f.holders(), ["NS", "TYPE", "a-b:c%d/e.f_g"]);
    assert!(f.has_holder("TYPE"));
    assert!(!f.has_holder("type"));
}

#[test]
fn filter_number_operators() {
    for (expr, want) in [
        ("PID == 1234", true),
        ("PID eq 1234", true),
        ("PID EQ 1235", false),
        ("PID != 1234", false),
        ("PID ne 1", true),
        ("PID < 1235", true),
        ("PID lt 1234", false),
        ("PID <= 1234", true),
        ("PID LE 1233", false),
        ("PID > 1233", true),
        ("PID gt 1234", false),
        ("PID >= 1234", true),
        ("PID ge 1235", false),
        // Numerically, not as text: "1234" < "999" as strings.
        ("PID > 999", true),
        ("1234 == PID", true),
        ("PID == 1K", false),
        ("PID > 1K", true),
        ("PID < 2KiB", true),
        ("NS > 3G", true),
        ("NS < 4G", true),
    ] {
        assert_eq!(yes(expr, NS), want, "{expr}");
    }
}

#[test]
fn filter_string_operators() {
    for (expr, want) in [
        ("TYPE == 'net'", true),
        ("TYPE == \"net\"", true),
        ("TYPE == 'NET'", false),
        ("TYPE != 'mnt'", true),
        ("TYPE < 'pid'", true),
        ("TYPE <= 'net'", true),
        ("TYPE > 'mnt'", true),
        ("TYPE >= 'nez'", false),
        ("TYPE == ' net '", true),
        ("PADDED == 'x'", true),
        ("COMMAND == '/usr/bin/bash -l'", true),
        ("a-b:c%d/e.f_g == 'odd'", true),
    ] {
        assert_eq!(yes(expr, NS), want, "{expr}");
    }
}

#[test]
fn filter_precedence_and_grouping() {
    // and/or share one level, left to right: (true or true) and false.
    assert!(!yes("TYPE == 'net' or PID == 1 and NPROCS == 5", NS));
    assert!(yes("TYPE == 'net' or (PID == 1 and NPROCS == 5)", NS));
    // false and false or true = (false and false) or true.
    assert!(yes("PID == 1 and NPROCS == 5 or TYPE == 'net'", NS));
    assert!(!yes("PID == 1 and (NPROCS == 5 or TYPE == 'net')", NS));
    // Comparisons bind tighter than and/or.
    assert!(yes("PID == 1234 && TYPE == 'net' || PID == 1", NS));
}

#[test]
fn filter_not() {
    assert!(yes("not PID == 1", NS) == yes("(not PID) == 1", NS));
    assert!(yes("!(PID == 1)", NS));
    assert!(!yes("NOT (PID == 1234)", NS));
    assert!(yes("not not TYPE", NS));
    assert!(yes("!NSFS", NS));
    // `not` binds as tightly as a comparison: (not PID) == false.
    assert!(yes("not PID == false", NS));
    assert!(yes("!(TYPE == 'mnt') and NPROCS == 1", NS));
}

#[test]
fn filter_bare_values() {
    assert!(yes("TYPE", NS));
    assert!(!yes("NSFS", NS));
    assert!(!yes("EMPTY", NS));
    assert!(!yes("NETNSID", NS));
    assert!(yes("PID", NS));
    assert!(yes("B", NS));
    assert!(!yes("BN", NS));
    assert!(yes("F", NS));
    assert!(yes("1", NS));
    assert!(!yes("0", NS));
    assert!(!yes("0.0", NS));
    assert!(yes("'x'", NS));
    assert!(!yes("''", NS));
    assert!(yes("true", NS));
    assert!(!yes("FALSE", NS));
}

#[test]
fn filter_regex() {
    assert!(yes("TYPE =~ 'ne'", NS));
    assert!(yes("TYPE =~ \"^n(e|x)t$\"", NS));
    assert!(!yes("TYPE =~ '^et'", NS));
    assert!(yes("TYPE !~ '^et'", NS));
    assert!(!yes("TYPE !~ 'net'", NS));
    assert!(yes("COMMAND =~ 'bash( -l)?$'", NS));
    // ERE, not BRE: + is a repetition.
    assert!(yes("PID =~ '^[0-9]+$'", NS));
    // An empty cell is matched as "".
    assert!(yes("NSFS =~ '^$'", NS));
    assert!(yes("NSFS !~ 'x'", NS));
    assert!(yes("TYPE =~ ('n')", NS));
}

#[test]
fn filter_regex_errors() {
    // The code decides the text, in glibc's words; the C library decides the code.
    assert_eq!(err("TYPE =~ '('").to_string(), "Unmatched ( or \\(");
    assert_eq!(
        err("TYPE =~ '*'").to_string(),
        "Invalid preceding regular expression"
    );
    assert_eq!(err("TYPE =~ '\\'").to_string(), "Trailing backslash");
    let e = err("TYPE =~ NAME");
    assert_eq!(e.column(), 9);
    assert!(err("TYPE =~ 5").message().contains("must be a string"));
    assert!(Filter::parse("TYPE =~ (TYPE == 'x')").is_err());
    // Patterns that would blow up regcomp() are refused.
    for bad in [
        "a++",
        "x*+",
        "(a+)*",
        "(ab*c)+",
        "a{,2000}",
        "a{1,99999999999999999999999}",
    ] {
        let e = err(&format!("TYPE =~ '{bad}'"));
        assert_eq!(e.column(), 9, "{e}");
    }
    assert!(
        err(&format!("TYPE =~ '{}'", "a".repeat(257)))
            .message()
            .contains("256")
    );
    for good in ["a+b*", "(ab)+", "a{2,200}", "(a|b)*c+", "x{3}"] {
        assert!(
            Filter::parse(&format!("TYPE =~ '{good}'")).is_ok(),
            "{good}"
        );
    }
    assert!(yes("TYPE =~ '^n{1}e{1,2}t'", NS));
    // A literal number on the left cannot be matched.
    assert!(eval("5 =~ '5'", NS).is_err());
}

#[test]
fn filter_null_cells() {
    // Numbers: every comparison with an empty side is false.
    assert!(!yes("NETNSID == 0", NS));
    assert!(!yes("NETNSID != 0", NS));
    assert!(!yes("NETNSID < 5", NS));
    assert!(yes("not NETNSID", NS));
    // Strings: an unset cell sorts before any string, even "".
    assert!(!yes("NSFS == ''", NS));
    assert!(yes("NSFS != ''", NS));
    assert!(yes("NSFS < 'a'", NS));
    assert!(yes("EMPTY == ''", NS));
    // libsmartcols forgets emptiness when converting a number: it acts as 0.
    assert!(yes("NETNSID == '0'", NS));
    assert!(yes("NETNSID == 0.0", NS));
}

#[test]
fn filter_type_conversions() {
    // Number column vs float literal: compared as floats.
    assert!(yes("PID > 1233.5", NS));
    assert!(!yes("PID > 1234.5", NS));
    // Float column vs integer literal.
    assert!(yes("F > 1", NS));
    assert!(!yes("F > 2", NS));
    assert!(yes("F == 1.5", NS));
    assert!(yes("F == '1.5'", NS));
    // Number column vs string literal: compared as the decimal text.
    assert!(yes("PID == '1234'", NS));
    assert!(yes("PID < '2'", NS));
    // Boolean column.
    assert!(yes("B == true", NS));
    assert!(yes("BN == FALSE", NS));
    assert!(yes("B == 1", NS));
    // The literal's type wins: B becomes the text "true".
    assert!(yes("B == 'true'", NS));
    assert!(!yes("B == 'yes'", NS));
    // A sub-expression is a boolean.
    assert!(yes("(PID == 1234) == true", NS));
    assert!(yes("(PID == 1) == 0", NS));
    // Literal vs literal: the left type wins.
    assert!(yes("'1' == 1", NS));
    assert!(yes("1 == '1'", NS));
    assert!(eval("1 == 'x'", NS).is_err());
    assert!(yes("'x' == 'x'", NS));
}

#[test]
fn filter_eval_errors() {
    // A string column that is not a number, compared with a number.
    let e = eval("TYPE == 5", NS).unwrap_err();
    assert_eq!(e.errno(), sys::errno::EINVAL);
    assert!(e.to_string().contains("\"net\""), "{e}");
    // A number column whose text is not a number.
    assert!(eval("BAD", NS).is_err());
    assert!(eval("BAD == 1", NS).is_err());
    let neg: Line<'_> = &[("N", Number, Some("-5"))];
    assert_eq!(eval("N == 1", neg).unwrap_err().errno(), sys::errno::ERANGE);
    // Short-circuiting never fetches the bad column.
    assert!(!yes("PID == 1 and BAD == 1", NS));
    assert!(yes("PID == 1234 or BAD == 1", NS));
}

#[test]
fn filter_keywords_case() {
    assert!(yes("PID == 1234 AND TYPE == 'net'", NS));
    assert!(yes("PID == 1 OR TYPE == 'net'", NS));
    // Mixed case is a column name, so this is a syntax error (two operands in a row).
    let e = err("PID == 1 And TYPE == 'net'");
    assert_eq!(e.column(), 10);
    assert_eq!(
        e.to_string(),
        "syntax error, unexpected HOLDER, expecting end of file"
    );
    let f = Filter::parse("And").unwrap();
    assert_eq!(f.holders(), ["And"]);
}

#[test]
fn filter_parse_errors() {
    // bison's messages, as libsmartcols 2.42 passes them on.
    for (expr, message, column) in [
        ("NS == )", "syntax error, unexpected ')'", 7),
        ("NS ==", "syntax error, unexpected end of file", 6),
        ("(NS == 1", "syntax error, unexpected end of file", 9),
        ("(NS == 1 2)", "syntax error, unexpected NUMBER", 10),
        (
            "NS == 1)",
            "syntax error, unexpected ')', expecting end of file",
            8,
        ),
        (
            "NS NS",
            "syntax error, unexpected HOLDER, expecting end of file",
            4,
        ),
        ("and", "syntax error, unexpected AND", 1),
        ("NS == <", "syntax error, unexpected LT", 7),
        ("not not", "syntax error, unexpected end of file", 8),
        ("!~", "syntax error, unexpected NREG", 1),
        (
            "'a' 1.5",
            "syntax error, unexpected FLOAT, expecting end of file",
            5,
        ),
        (
            "1 FALSE",
            "syntax error, unexpected FALSE, expecting end of file",
            3,
        ),
        // Unknown characters and unterminated strings: bison's undefined token.
        (
            "NS = 1",
            "syntax error, unexpected invalid token, expecting end of file",
            4,
        ),
        ("NS == 'abc", "syntax error, unexpected invalid token", 7),
        (
            "NS == \"a\nb\"",
            "syntax error, unexpected invalid token",
            7,
        ),
        (
            "NS & 1",
            "syntax error, unexpected invalid token, expecting end of file",
            4,
        ),
        ("é == 1", "syntax error, unexpected invalid token", 1),
        ("x == é", "syntax error, unexpected invalid token", 6),
        (
            "1e5",
            "syntax error, unexpected HOLDER, expecting end of file",
            2,
        ),
        // The lexer's message for a size too large, where a value may stand.
        (
            "NS == 99999999999999999999Y",
            "\"99999999999999999999Y\" token error: Numerical result out of range",
            7,
        ),
        (
            "NS 99999999999999999999Y",
            "syntax error, unexpected INVALID_NUMBER, expecting end of file",
            4,
        ),
    ] {
        let e = err(expr);
        assert_eq!(
            (e.to_string().as_str(), e.column()),
            (message, column),
            "{expr:?}"
        );
    }
}

#[test]
fn filter_numbers() {
    let f = |s: &str| match lex(s).unwrap()[0].tok.clone() {
        Tok::Number(n) => n,
        t => panic!("{t:?}"),
    };
    assert_eq!(f("0"), 0);
    assert_eq!(f("10K"), 10 * 1024);
    assert_eq!(f("10KiB"), 10 * 1024);
    assert_eq!(f("3M"), 3 << 20);
    assert_eq!(f("1E"), 1 << 60);
    assert_eq!(f("99999999999999999999999"), u64::MAX);
    assert!(matches!(lex("1.25").unwrap()[0].tok, Tok::Float(x) if x == 1.25));
    // "10Ki" is 10K followed by the column name "i".
    assert!(matches!(&lex("10Ki").unwrap()[1].tok, Tok::Holder(h) if h == "i"));
}

#[test]
fn filter_format_g() {
    for (x, want) in [
        (1.5, "1.5"),
        (0.0, "0"),
        (100.0, "100"),
        (123456.0, "123456"),
        (1234567.0, "1.23457e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1.0 / 3.0, "0.333333"),
        (2.5e300, "2.5e+300"),
    ] {
        assert_eq!(format_g(x), want, "{x}");
    }
}

#[test]
fn filter_deep_nesting_is_refused_not_crashing() {
    let deep = format!("{}TYPE{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep).message().contains("too deeply"));
    let nots = format!("{}TYPE", "! ".repeat(100_000));
    assert!(Filter::parse(&nots).is_err());
    let ok = format!("{}TYPE{}", "(".repeat(250), ")".repeat(250));
    assert!(yes(&ok, NS));
    let nots = format!("{}TYPE", "! ".repeat(250));
    assert!(yes(&nots, NS));
    let mixed = format!("{}TYPE == 'net'{}", "!(".repeat(125), ")".repeat(125));
    assert!(!yes(&mixed, NS));
    // and/or chains do not nest: any length works.
    let chain = vec!["PID == 1"; 50_000].join(" or ") + " or TYPE == 'net'";
    assert!(yes(&chain, NS));
    let chain = vec!["PID == 1234"; 50_000].join(" && ") + " and TYPE == 'mnt'";
    assert!(!yes(&chain, NS));
}
