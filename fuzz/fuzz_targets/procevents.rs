//! The kernel's process events: a netlink datagram of proc-connector messages (fork, exec,
//! uid/gid changes, exit, ...), as cgrulesengd receives it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sys::procevents::decode(data);
});
