//! Terminal input as cgtop's screen decodes it: keys, UTF-8 characters, CSI and SS3
//! sequences, each decoded from the start of what is left.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sys::term::{Decoded, decode};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while !rest.is_empty() {
        match decode(rest) {
            Decoded::Key(_, len) => {
                assert!(len > 0 && len <= rest.len(), "a key of {len} bytes");
                rest = &rest[len..];
            }
            Decoded::Incomplete => break,
        }
    }
});
