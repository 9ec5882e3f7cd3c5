//! A cgroup file's content typed by its name's format (flat keyed, nested keyed, lists,
//! single values), as cgget and cgsnapshot show it: name, NUL byte, content.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fields = nsutils_fuzz::fields(data);
    let name = nsutils_fuzz::text(fields[0]);
    let value = fields
        .get(1)
        .map(|f| nsutils_fuzz::text(f))
        .unwrap_or_default();
    let _ = cgroup::value::typed(&name, &value);
});
