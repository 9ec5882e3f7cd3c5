//! The C interface: the two session functions libpam looks up in the module, and the three
//! libpam functions they use. Every `unsafe` of the module is here.

use std::ffi::{CStr, CString, c_char, c_int, c_void};

use crate::{Answer, Options, Priority};

/// `pam_handle_t`, opaque.
#[repr(C)]
pub struct PamHandle {
    _private: [u8; 0],
}

/// `PAM_USER`, the item holding the user's name.
const PAM_USER: c_int = 2;

#[link(name = "pam")]
unsafe extern "C" {
    fn pam_get_item(pamh: *const PamHandle, item_type: c_int, item: *mut *const c_void) -> c_int;
    fn pam_syslog(pamh: *const PamHandle, priority: c_int, fmt: *const c_char, ...);
}

/// Log `text` as the module: PAM prefixes it with the service and the module type.
fn syslog(pamh: *const PamHandle, priority: Priority, text: &str) {
    // A NUL inside the text (from a user name) would cut it: drop those bytes.
    let Ok(text) = CString::new(text.replace('\0', "")) else {
        return;
    };
    // SAFETY: pamh is the handle PAM passed to the module; the format is a literal "%s" and
    // its one argument a NUL-terminated string that outlives the call.
    unsafe { pam_syslog(pamh, priority as c_int, c"%s".as_ptr(), text.as_ptr()) };
}

/// The user's name, if PAM has one (and it is UTF-8, as names in passwd are).
fn user(pamh: *const PamHandle) -> Option<String> {
    let mut item: *const c_void = std::ptr::null();
    // SAFETY: pamh is PAM's handle and item a valid place for the pointer PAM stores.
    let status = unsafe { pam_get_item(pamh, PAM_USER, &mut item) };
    if status != 0 || item.is_null() {
        return None;
    }
    // SAFETY: PAM_USER's item is a NUL-terminated string owned by PAM, valid during the call.
    let name = unsafe { CStr::from_ptr(item.cast::<c_char>()) };
    name.to_str().ok().map(str::to_owned)
}

/// The module's arguments, as strings.
fn arguments<'a>(argc: c_int, argv: *const *const c_char) -> Vec<&'a str> {
    let count = usize::try_from(argc).unwrap_or(0);
    if argv.is_null() {
        return Vec::new();
    }
    (0..count)
        .filter_map(|i| {
            // SAFETY: PAM passes argc strings in argv, each NUL-terminated and alive for
            // the call.
            let arg = unsafe { *argv.add(i) };
            // SAFETY: as above; a null entry is skipped.
            (!arg.is_null()).then(|| unsafe { CStr::from_ptr(arg) }.to_str().unwrap_or(""))
        })
        .collect()
}

/// PAM's entry point for a session opening. A panic (a bug) fails the session instead of
/// unwinding into C.
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_open_session(
    pamh: *const PamHandle,
    _flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    let run = || {
        let mut log = |priority: Priority, text: &str| syslog(pamh, priority, text);
        let options = Options::parse(arguments(argc, argv), &mut log);
        crate::open_session(
            user(pamh).as_deref(),
            std::process::id(),
            &options,
            &mut log,
        )
    };
    std::panic::catch_unwind(run).unwrap_or(Answer::SessionErr) as c_int
}

/// PAM's entry point for a session closing: nothing to undo (the processes leave their
/// groups when they end).
///
/// # Safety
/// Called by libpam only.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_close_session(
    _pamh: *const PamHandle,
    _flags: c_int,
    _argc: c_int,
    _argv: *const *const c_char,
) -> c_int {
    Answer::Success as c_int
}
