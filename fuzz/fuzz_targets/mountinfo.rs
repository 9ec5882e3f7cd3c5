//! `/proc/PID/mountinfo`: each line as the tools parse it, with its octal escapes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sys::mount::{MountInfo, unescape};

fuzz_target!(|data: &[u8]| {
    for line in data.split(|b| *b == b'\n') {
        if let Some(mount) = MountInfo::parse(line) {
            let _ = mount.is_shared();
        }
    }
    let _ = unescape(data);
});
