//! An rtnetlink `RTM_NEWNSID` reply and its attributes, as lsns reads a network
//! namespace's id.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sys::netnsid::parse_reply(data);
});
