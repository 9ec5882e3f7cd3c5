//! `/proc/PID/stat` (a command name with spaces and parentheses) and the `/proc/PID/fd/N`
//! link texts that lsns reads namespaces and sockets from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sys::proctab::{holder_of, parse_stat};

fuzz_target!(|data: &[u8]| {
    let _ = parse_stat(data);
    let _ = holder_of(data);
});
