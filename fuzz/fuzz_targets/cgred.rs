//! A request to cgrulesengd's socket (pid, then flags, in host byte order), read from a
//! client stream that may end anywhere.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cgroup::cgred::read_request(&mut &data[..]);
});
