//! nsenter's `--target PID[:INODE]`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = nsenter_rs::plan::parse_target(&nsutils_fuzz::text(data));
});
