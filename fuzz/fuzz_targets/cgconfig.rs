//! cgconfig.conf: groups, templates, defaults, mounts and systemd scopes, with a few
//! controllers mounted.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let known = |c: &str| matches!(c, "cpu" | "memory" | "pids" | "cpuset" | "name=systemd");
    let _ = cgroup::config::parse(data, &known);
});
