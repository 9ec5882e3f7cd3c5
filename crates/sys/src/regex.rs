//! POSIX extended regular expressions through the C library's `regcomp(3)`, as util-linux
//! matches them (the `=~` and `!~` operators of the table filter language).
//!
//! The C library decides the dialect (musl allows repetition bounds up to 255, glibc up to
//! 32767); the error texts are glibc's, whatever the C library, because util-linux prints
//! those.

use std::ffi::{CString, c_int};
use std::fmt;
use std::mem::MaybeUninit;

/// A compiled POSIX extended regular expression (`REG_EXTENDED | REG_NOSUB`), freed on drop.
pub struct Regex {
    re: Box<MaybeUninit<libc::regex_t>>,
    pattern: Vec<u8>,
}

// SAFETY: the compiled pattern is owned heap memory reachable only through this value;
// POSIX requires regexec() to be safe to call concurrently on one compiled pattern (glibc
// and musl both allow it), and nothing mutates it before regfree() in Drop.
unsafe impl Send for Regex {}
// SAFETY: see above; `is_match` only calls regexec(), which takes the pattern read-only.
unsafe impl Sync for Regex {}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", String::from_utf8_lossy(&self.pattern))
    }
}

/// `s` as a C string: up to its first NUL, NUL-terminated.
fn c_string(s: &[u8]) -> CString {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    let mut v = s[..end].to_vec();
    v.push(0);
    CString::from_vec_with_nul(v).unwrap_or_default()
}

/// glibc's regerror() text for a regcomp() error code (the POSIX codes have the same
/// numbers in musl, whose texts differ; util-linux prints glibc's).
fn regerror_text(code: c_int) -> &'static str {
    match code {
        libc::REG_NOMATCH => "No match",
        libc::REG_BADPAT => "Invalid regular expression",
        libc::REG_ECOLLATE => "Invalid collation character",
        libc::REG_ECTYPE => "Invalid character class name",
        libc::REG_EESCAPE => "Trailing backslash",
        libc::REG_ESUBREG => "Invalid back reference",
        libc::REG_EBRACK => "Unmatched [, [^, [:, [., or [=",
        libc::REG_EPAREN => "Unmatched ( or \\(",
        libc::REG_EBRACE => "Unmatched \\{",
        libc::REG_BADBR => "Invalid content of \\{\\}",
        libc::REG_ERANGE => "Invalid range end",
        libc::REG_ESPACE => "Memory exhausted",
        libc::REG_BADRPT => "Invalid preceding regular expression",
        _ => "Invalid regular expression",
    }
}

impl Regex {
    /// Compile `pattern`; the error is glibc's text for regcomp()'s code, or `NUL byte in
    /// pattern` (a C string would silently end there).
    pub fn new(pattern: &[u8]) -> Result<Regex, String> {
        if pattern.contains(&0) {
            return Err("NUL byte in pattern".to_string());
        }
        let c_pattern = c_string(pattern);
        let mut re = Box::new(MaybeUninit::<libc::regex_t>::zeroed());
        // SAFETY: `re` points to writable, properly aligned storage for a regex_t and
        // `c_pattern` is NUL-terminated; both outlive the call.
        let rc = unsafe {
            libc::regcomp(
                re.as_mut_ptr(),
                c_pattern.as_ptr(),
                libc::REG_EXTENDED | libc::REG_NOSUB,
            )
        };
        if rc != 0 {
            return Err(regerror_text(rc).to_owned());
        }
        Ok(Regex {
            re,
            pattern: pattern.to_vec(),
        })
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &[u8] {
        &self.pattern
    }

    /// Whether `text` (up to its first NUL, as a C string) matches anywhere.
    pub fn is_match(&self, text: &[u8]) -> bool {
        let c_text = c_string(text);
        // SAFETY: the pattern was compiled by regcomp() in `new` and is not yet freed;
        // `c_text` is NUL-terminated; with REG_NOSUB and nmatch 0 no match array is written.
        let rc: c_int = unsafe {
            libc::regexec(
                self.re.as_ptr(),
                c_text.as_ptr(),
                0,
                std::ptr::null_mut(),
                0,
            )
        };
        rc == 0
    }
}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: a Regex exists only after a successful regcomp(); it is freed exactly once.
        unsafe { libc::regfree(self.re.as_mut_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_and_errors() {
        let re = Regex::new(b"^n.t$").unwrap();
        assert!(re.is_match(b"net"));
        assert!(!re.is_match(b"mnt"));
        // A C string ends at its NUL.
        assert!(re.is_match(b"net\0x"));
        assert_eq!(re.pattern(), b"^n.t$");
        assert_eq!(Regex::new(b"(").unwrap_err(), "Unmatched ( or \\(");
        assert_eq!(Regex::new(b"a\0b").unwrap_err(), "NUL byte in pattern");
    }
}
