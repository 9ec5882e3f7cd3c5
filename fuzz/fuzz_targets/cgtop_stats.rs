//! The cgroup files cgtop samples: limits (`memory.max`), `io.stat`, v1 blkio counters, PSI
//! pressure lines and flat keyed files (`cpu.stat`).
#![no_main]

use cgroup::stats::{keyed_all, parse_blkio, parse_io_stat, parse_limit, parse_pressure};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = nsutils_fuzz::text(data);
    let _ = parse_limit(&text);
    let _ = parse_io_stat(&text);
    let _ = parse_blkio(&text);
    let _ = parse_pressure(&text);
    let _ = keyed_all(&text, ["usage_usec", "nr_periods", "oom_kill"]);
});
