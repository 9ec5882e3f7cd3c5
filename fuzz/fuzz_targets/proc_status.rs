//! `/proc/PID/status` as cgclassify reads it (the effective `Uid:` and `Gid:`, `Name:`),
//! with this process's `/proc` directory for the `exe` link and `cmdline`.
#![no_main]

use std::path::Path;

use cgroup::rules::ProcessInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let status = nsutils_fuzz::text(data);
    let _ = ProcessInfo::from_proc(1, &status, Path::new("/proc/self"));
});
