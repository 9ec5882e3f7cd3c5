//! An OCI layer tar (ustar, GNU and PAX headers, whiteouts, links) imported by `ovlmount
//! import` into a fresh directory per run; nothing may be written outside that directory.
#![no_main]

use std::fs;
use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // base/ holds the layer file and the target; a path escaping the target lands in base/
    // (or above it, in `outer`), which is checked after each run.
    // In memory where there is a tmpfs: twenty times the executions of a disk-backed /tmp.
    let tmp = Path::new("/dev/shm");
    let tmp = if tmp.is_dir() {
        tmp.to_owned()
    } else {
        std::env::temp_dir()
    };
    let outer = tmp.join(format!("nsutils-fuzz-oci-{}", std::process::id()));
    let base = outer.join("run");
    let _ = fs::remove_dir_all(&outer);
    if fs::create_dir_all(&base).is_err() {
        return;
    }
    let layer = base.join("layer.tar");
    let root = base.join("root");
    if fs::write(&layer, data).is_err() {
        return;
    }
    let _ = ovlmount::oci::import(&layer, &root);
    let names = |dir: &PathBuf| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let (outside, beside) = (names(&outer), names(&base));
    let _ = fs::remove_dir_all(&outer);
    assert_eq!(outside, ["run"], "the import wrote outside its directory");
    assert!(
        beside.iter().all(|n| n == "layer.tar" || n == "root"),
        "the import wrote outside its directory: {beside:?}"
    );
});
