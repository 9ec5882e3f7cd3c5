//! Reaping a child together with what it used: wait4(2) and its `struct rusage`.
//!
//! `getrusage(RUSAGE_CHILDREN)` keeps only the maximum peak over every child ever reaped, so
//! it cannot tell one run from the next; wait4 hands back the figures of the one child it
//! reaps. The benchmark runner uses it for each child's peak resident set size.

use std::time::Duration;

use nix::errno::Errno;

use crate::error::{Error, Result};
use crate::process::{Child, ChildEnd};

/// What a reaped child used, from the `struct rusage` wait4(2) filled in.
///
/// As Linux counts it, the figures cover the child itself and those of its own descendants
/// that it waited for; across an exec the kernel keeps the higher of the two programs' peaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Peak resident set size in KiB (`ru_maxrss`, which Linux counts in kilobytes).
    pub max_rss_kib: u64,
    /// CPU time spent in user mode (`ru_utime`).
    pub user_time: Duration,
    /// CPU time spent in the kernel (`ru_stime`).
    pub system_time: Duration,
}

/// Wait for `child` to end (through EINTR) and return how it ended and what it used.
/// Errors read `wait4 failed`.
pub fn wait_with_usage(child: Child) -> Result<(ChildEnd, Usage)> {
    let mut status: libc::c_int = 0;
    // SAFETY: `struct rusage` is plain old data (integers and `timeval`s), for which all zero
    // bytes are a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `ru` are live, writable locals of exactly the types wait4(2)
        // writes through these pointers, and nothing else refers to them during the call.
        let r = unsafe { libc::wait4(child.0, &mut status, 0, &mut ru) };
        match Errno::result(r) {
            Ok(_) => break,
            Err(Errno::EINTR) => {}
            Err(e) => return Err(Error::os("wait4 failed", e)),
        }
    }
    // Without WUNTRACED or WCONTINUED wait4 reports only the end of a child.
    let end = if libc::WIFEXITED(status) {
        ChildEnd::Exited(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        ChildEnd::Signaled(libc::WTERMSIG(status))
    } else {
        return Err(Error::msg(format!("wait4: unexpected status {status:#x}")));
    };
    let usage = Usage {
        max_rss_kib: u64::try_from(ru.ru_maxrss).unwrap_or(0),
        user_time: timeval(ru.ru_utime),
        system_time: timeval(ru.ru_stime),
    };
    Ok((end, usage))
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}
