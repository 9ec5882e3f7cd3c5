//! Overlay mount options (`mount -t overlay -o lowerdir=a\:b:c,upperdir=...`) through
//! mount.overlay's helper convention, and the escape splitting they use.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;
use ovlmount::plan::{parse, split_escaped, unescape};
use sys::Prog;

fuzz_target!(|data: &[u8]| {
    let prog = Prog::new(Some("mount.overlay".as_ref()), "mount.overlay");
    let options = OsString::from_vec(data.to_vec());
    let args = vec!["overlay".into(), "/merged".into(), "-o".into(), options];
    let _ = parse(&prog, args);
    let text = nsutils_fuzz::text(data);
    for part in split_escaped(&text, ',') {
        let _ = unescape(&part);
    }
});
