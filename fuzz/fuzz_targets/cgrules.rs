//! cgrules.conf: the file checked as cgrulesengd loads it, described as `cgrulesengd -v`
//! lists it, and matched against a process as cgexec and cgclassify do (destination
//! templates expanded).
#![no_main]

use std::path::Path;

use cgroup::rules::{ProcessInfo, RuleFiles, expand};
use libfuzzer_sys::fuzz_target;
use nsutils_fuzz::Users;

fuzz_target!(|data: &[u8]| {
    let text = nsutils_fuzz::text(data);
    let rules = RuleFiles::from_text(Path::new("/etc/cgrules.conf"), &text);
    let _ = rules.check(&Users);
    let _ = rules.describe(&Users);
    let who = ProcessInfo {
        pid: std::process::id(),
        uid: 1000,
        gid: 50,
        name: Some("/usr/bin/sleep".into()),
    };
    if let Ok(found) = rules.find(&who, &Users) {
        for matched in found {
            let _ = expand(&matched.destination, &who, &Users);
        }
    }
});
