//! What printed output goes to: the terminal's width, the locale's character set. The table
//! renderer (crate `table`) is pure formatting; the tools ask these and hand the answers to
//! it, so the syscall and the environment stay here.

use std::io::{self, IsTerminal};

/// Whether the locale from `LC_ALL` / `LC_CTYPE` / `LANG` (the first non-empty one) uses
/// UTF-8 (codeset `UTF-8` or `utf8`, any case); `C`, `POSIX` or unset is not. Decides the
/// tree glyphs and which bytes count as printable.
pub fn locale_is_utf8() -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|name| crate::process::trusted_env(name))
        .find(|v| !v.is_empty());
    value.is_some_and(|v| codeset_is_utf8(&v.to_string_lossy()))
}

/// `lang_TERRITORY.codeset@modifier`: is the codeset UTF-8?
fn codeset_is_utf8(locale: &str) -> bool {
    let Some((_, rest)) = locale.split_once('.') else {
        // glibc's C.UTF-8 has a dot; a bare name is a single-byte locale.
        return false;
    };
    let codeset = rest.split('@').next().unwrap_or_default();
    codeset.eq_ignore_ascii_case("utf-8") || codeset.eq_ignore_ascii_case("utf8")
}

/// The terminal width when stdout is a terminal, `None` otherwise. As libsmartcols: the
/// `TIOCGWINSZ` column count, or else a positive `COLUMNS`, or else 80.
pub fn stdout_terminal_width() -> Option<usize> {
    let stdout = io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let from_tty = rustix::termios::tcgetwinsize(&stdout)
        .ok()
        .map(|w| usize::from(w.ws_col))
        .filter(|&c| c > 0);
    let from_env = || {
        crate::process::trusted_env("COLUMNS")
            .and_then(|c| c.to_str()?.trim().parse::<usize>().ok())
            .filter(|&c| c > 0)
    };
    Some(from_tty.or_else(from_env).unwrap_or(80))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_codeset() {
        assert!(codeset_is_utf8("en_US.UTF-8"));
        assert!(codeset_is_utf8("C.utf8"));
        assert!(codeset_is_utf8("de_DE.utf8@euro"));
        assert!(!codeset_is_utf8("C"));
        assert!(!codeset_is_utf8("POSIX"));
        assert!(!codeset_is_utf8("en_US.ISO-8859-1"));
    }
}
