//! What the fuzz targets share: the input cut into fields, and a fake user database.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// `data` cut at each NUL byte: the fields of a target that takes several strings.
pub fn fields(data: &[u8]) -> Vec<&[u8]> {
    data.split(|b| *b == 0).collect()
}

/// `data` cut at each NUL byte into arguments, as a command line arrives (any bytes).
pub fn args(data: &[u8]) -> Vec<OsString> {
    fields(data)
        .into_iter()
        .map(|f| OsString::from_vec(f.to_vec()))
        .collect()
}

/// A field as text, lossily (the parsers taking `&str` get every string the fuzzer makes).
pub fn text(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

/// A fixed user database, so that rules naming users and groups take their matching paths
/// without the system's passwd file.
pub struct Users;

impl cgroup::rules::Directory for Users {
    fn uid(&self, name: &str) -> Option<u32> {
        match name {
            "root" => Some(0),
            "alice" => Some(1000),
            _ => None,
        }
    }

    fn group(&self, name: &str) -> Option<(u32, Vec<String>)> {
        match name {
            "root" => Some((0, vec![])),
            "staff" => Some((50, vec!["alice".into()])),
            _ => None,
        }
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        match uid {
            0 => Some("root".into()),
            1000 => Some("alice".into()),
            _ => None,
        }
    }

    fn group_name(&self, gid: u32) -> Option<String> {
        match gid {
            0 => Some("root".into()),
            50 => Some("staff".into()),
            _ => None,
        }
    }
}
