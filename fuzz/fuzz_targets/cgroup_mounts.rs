//! The cgroup hierarchies from a mount table (mountinfo lines), the kernel's controller list
//! (one a line, after a NUL byte) and every `cgroup.controllers` file reading the rest.
#![no_main]

use cgroup::{GroupPath, Hierarchies};
use libfuzzer_sys::fuzz_target;
use sys::mount::MountInfo;

fuzz_target!(|data: &[u8]| {
    let fields = nsutils_fuzz::fields(data);
    let mounts: Vec<MountInfo> = fields[0]
        .split(|b| *b == b'\n')
        .filter_map(MountInfo::parse)
        .collect();
    let controllers = fields
        .get(1)
        .map(|f| nsutils_fuzz::text(f))
        .unwrap_or_default();
    let names: Vec<&str> = controllers.lines().collect();
    let v2 = fields.get(2).map(|f| nsutils_fuzz::text(f));
    let all = Hierarchies::from_mounts(&mounts, &names, |_| v2.clone());
    let _ = all.mode();
    let _ = all.unified();
    for name in &names {
        if let Some(h) = all.for_controller(name) {
            let _ = h.group(&GroupPath::root()).dir();
        }
    }
    let _ = all.for_controllers(&names);
});
