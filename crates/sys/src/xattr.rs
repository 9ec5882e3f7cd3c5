//! Extended attributes of a path itself, never of a symlink's target (`lgetxattr(2)`,
//! `llistxattr(2)`, `lsetxattr(2)`): overlayfs keeps its whiteout, opaque, redirect and
//! metacopy marks in `trusted.overlay.*` or `user.overlay.*` attributes.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;

use rustix::io::Errno;

use crate::error::{Error, Result};

/// How often a value that grew between asking its size and reading it is asked for again.
const RETRIES: usize = 4;

/// The value of attribute `name` of `path`, or `None` when it has none by that name or its
/// file system has no extended attributes (`ENODATA`, `ENOTSUP`): both mean "not marked".
/// Errors read `cannot get extended attribute NAME of PATH`.
pub fn get(path: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    let what = || format!("cannot get extended attribute {name} of {}", path.display());
    for _ in 0..RETRIES {
        let size = match rustix::fs::lgetxattr_query(path, name) {
            Ok(size) => size,
            Err(Errno::NODATA | Errno::NOTSUP) => return Ok(None),
            Err(e) => return Err(Error::os(what(), e)),
        };
        let mut value = vec![0; size];
        match rustix::fs::lgetxattr(path, name, value.as_mut_slice()) {
            Ok(len) => {
                value.truncate(len);
                return Ok(Some(value));
            }
            // Removed between the two calls.
            Err(Errno::NODATA | Errno::NOTSUP) => return Ok(None),
            // Grown between the two calls: ask for the size again.
            Err(Errno::RANGE) => {}
            Err(e) => return Err(Error::os(what(), e)),
        }
    }
    Err(Error::os(what(), Errno::RANGE))
}

/// Whether `path` has attribute `name` at all, whatever its value.
pub fn has(path: &Path, name: &str) -> Result<bool> {
    get(path, name).map(|v| v.is_some())
}

/// The names of the attributes of `path` the caller may see (`trusted.*` only with
/// `CAP_SYS_ADMIN`); empty when its file system has none (`ENOTSUP`). Errors read
/// `cannot list extended attributes of PATH`.
pub fn list(path: &Path) -> Result<Vec<OsString>> {
    let what = || format!("cannot list extended attributes of {}", path.display());
    for _ in 0..RETRIES {
        let size = match rustix::fs::llistxattr_query(path) {
            Ok(size) => size,
            Err(Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(Error::os(what(), e)),
        };
        let mut names = vec![0; size];
        match rustix::fs::llistxattr(path, names.as_mut_slice()) {
            Ok(len) => {
                names.truncate(len);
                // The kernel's list is NUL-terminated names one after the other.
                return Ok(names
                    .split(|&b| b == 0)
                    .filter(|n| !n.is_empty())
                    .map(|n| OsString::from_vec(n.to_vec()))
                    .collect());
            }
            Err(Errno::RANGE) => {}
            Err(e) => return Err(Error::os(what(), e)),
        }
    }
    Err(Error::os(what(), Errno::RANGE))
}

/// Set attribute `name` of `path` to `value`, creating or replacing it. Errors read
/// `cannot set extended attribute NAME of PATH`.
pub fn set(path: &Path, name: &str, value: &[u8]) -> Result<()> {
    rustix::fs::lsetxattr(path, name, value, rustix::fs::XattrFlags::empty()).map_err(|e| {
        Error::os(
            format!("cannot set extended attribute {name} of {}", path.display()),
            e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xattr_get_set_list() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(get(&file, "user.nsutils.test").ok(), Some(None));
        match set(&file, "user.nsutils.test", b"y") {
            Ok(()) => {}
            Err(e) if e.errno() == Some(libc::ENOTSUP) => {
                eprintln!(
                    "skipped: no user.* extended attributes under {}",
                    dir.path().display()
                );
                return;
            }
            Err(e) => panic!("{e}"),
        }
        assert_eq!(
            get(&file, "user.nsutils.test").ok(),
            Some(Some(b"y".to_vec()))
        );
        assert_eq!(has(&file, "user.nsutils.test").ok(), Some(true));
        // A value longer than the first guess of nothing at all.
        let long = vec![b'x'; 3000];
        assert!(set(&file, "user.nsutils.long", &long).is_ok());
        assert_eq!(get(&file, "user.nsutils.long").ok(), Some(Some(long)));
        let names = list(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(names.iter().any(|n| n == "user.nsutils.test"), "{names:?}");
        assert!(names.iter().any(|n| n == "user.nsutils.long"), "{names:?}");
    }

    #[test]
    fn xattr_of_symlink_not_target() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        let link = dir.path().join("l");
        std::fs::write(&file, b"").unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&file, &link).unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = set(&file, "user.nsutils.test", b"y") {
            eprintln!("skipped: {e}");
            return;
        }
        assert_eq!(get(&link, "user.nsutils.test").ok(), Some(None));
    }

    #[test]
    fn xattr_errors_name_the_path() {
        let missing = Path::new("/nonexistent-nsutils/x");
        let e = get(missing, "user.a").err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "cannot get extended attribute user.a of /nonexistent-nsutils/x: No such file or directory"
            )
        );
        let e = list(missing).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "cannot list extended attributes of /nonexistent-nsutils/x: No such file or directory"
            )
        );
    }
}
