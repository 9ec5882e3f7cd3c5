//! The cgroup tools' group arguments: `-g controllers:path`, a group path alone, and
//! `-r name=value`.
#![no_main]

use cgroup::GroupPath;
use cgtools::common::{Spec, parse_rule};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = nsutils_fuzz::text(data);
    let _ = Spec::parse(&text);
    if let Ok(path) = GroupPath::parse(&text) {
        let _ = path.parent();
        let _ = path.join("child");
    }
    let _ = parse_rule(&text);
});
