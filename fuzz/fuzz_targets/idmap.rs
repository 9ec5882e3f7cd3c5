//! User-namespace id maps: `--map-users`/`--map-groups` specs, `--setgroups`, idmapped-mount
//! map lists (`--idmap`, `X-mount.idmap=`), and the lines of `/etc/subuid` and `/etc/subgid`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sys::idmap::{MountIdmap, RangeSpec, SetgroupsMode, subid_lines};

fuzz_target!(|data: &[u8]| {
    let text = nsutils_fuzz::text(data);
    let _ = RangeSpec::parse(&text);
    let _ = SetgroupsMode::parse(&text);
    let _ = MountIdmap::parse(&text);
    let _ = subid_lines(&text, "alice", 1000);
});
