//! A setting between cgroup v1 and v2 names and units (`cgset -r`, `cgxset -1/-2`): name,
//! value and the target group's current value, cut at NUL bytes, translated both ways; and
//! memparse-style sizes.
#![no_main]

use cgroup::{Version, parse_size, translate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fields = nsutils_fuzz::fields(data);
    let field = |i: usize| {
        fields
            .get(i)
            .map(|f| nsutils_fuzz::text(f))
            .unwrap_or_default()
    };
    let (name, value, current) = (field(0), field(1), field(2));
    for to in [Version::V1, Version::V2] {
        let _ = translate(&name, &value, to, |_| Some(current.clone()));
    }
    let _ = parse_size(&value);
});
