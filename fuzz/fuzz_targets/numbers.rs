//! Number arguments as the tools read them: C `strtoull`/`strtoll` semantics (blanks, signs,
//! bases), strict unsigned numbers with a maximum, and the checked `parse_*` helpers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sys::cli;

fuzz_target!(|data: &[u8]| {
    let text = nsutils_fuzz::text(data);
    let _ = cli::c_strtou64(&text);
    let _ = cli::c_strtos64(&text);
    let _ = cli::unsigned_number(&text, u64::from(u32::MAX));
    let _ = cli::unsigned_number(&text, u64::MAX);
    let _ = cli::parse_u32(&text, "bad");
    let _ = cli::parse_u64(&text, "bad");
    let _ = cli::parse_i64(&text, "bad");
    let _ = cli::parse_i64_in(&text, "bad", -20..=19);
});
