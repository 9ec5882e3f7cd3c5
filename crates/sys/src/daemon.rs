//! What a long-running service needs from the system: leaving the terminal (setsid, `/`,
//! standard streams on /dev/null), syslog, signals as a file descriptor, and whether a
//! process runs with a real-time scheduling priority.

use std::ffi::CString;
use std::fs::OpenOptions;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::OnceLock;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};

use crate::error::{Error, Result};

/// Become a session leader in `/`, with stdin and stderr (and stdout unless `keep_stdout`) on
/// /dev/null. Call after fork(2), in the child.
pub fn detach(keep_stdout: bool) -> Result<()> {
    rustix::process::setsid().map_err(|e| Error::os("Failed to get a new SID", e))?;
    std::env::set_current_dir("/").map_err(|e| Error::os("Failed to chdir to /", &e))?;
    let null = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|e| Error::os("cannot open /dev/null", &e))?;
    let mut targets = vec![libc::STDIN_FILENO, libc::STDERR_FILENO];
    if !keep_stdout {
        targets.push(libc::STDOUT_FILENO);
    }
    for target in targets {
        // SAFETY: dup2 on a descriptor we own onto a standard stream number; no Rust object
        // owns 0, 1 or 2.
        if unsafe { libc::dup2(null.as_raw_fd(), target) } < 0 {
            return Err(Error::last_os("dup2 failed"));
        }
    }
    Ok(())
}

/// The identity given to openlog(3), which keeps the pointer: it must live for ever.
static SYSLOG_IDENT: OnceLock<CString> = OnceLock::new();

/// openlog(3) with `ident`, the pid in each line, and `facility` (e.g. `libc::LOG_DAEMON`).
/// A second call keeps the first identity.
pub fn open_syslog(ident: &str, facility: i32) {
    let ident = SYSLOG_IDENT.get_or_init(|| CString::new(ident).unwrap_or_default());
    // SAFETY: the identity string is static for the rest of the process.
    unsafe { libc::openlog(ident.as_ptr(), libc::LOG_CONS | libc::LOG_PID, facility) };
}

/// syslog(3) one message at `priority` (facility | level); interior NULs are dropped.
pub fn syslog(priority: i32, message: &str) {
    let text = CString::new(message.replace('\0', "")).unwrap_or_default();
    // SAFETY: a constant "%s" format with one C string argument.
    unsafe { libc::syslog(priority, c"%s".as_ptr(), text.as_ptr()) };
}

/// closelog(3).
pub fn close_syslog() {
    // SAFETY: closelog has no preconditions.
    unsafe { libc::closelog() };
}

/// syslog's `daemon` facility.
pub const LOG_DAEMON: i32 = libc::LOG_DAEMON;

/// syslog's `local0` to `local7` facilities.
pub fn local_facility(n: u8) -> Option<i32> {
    [
        libc::LOG_LOCAL0,
        libc::LOG_LOCAL1,
        libc::LOG_LOCAL2,
        libc::LOG_LOCAL3,
        libc::LOG_LOCAL4,
        libc::LOG_LOCAL5,
        libc::LOG_LOCAL6,
        libc::LOG_LOCAL7,
    ]
    .get(usize::from(n))
    .copied()
}

/// What a service is asked by signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// SIGUSR1.
    User1,
    /// SIGUSR2.
    User2,
    /// SIGTERM or SIGINT.
    Stop,
}

/// SIGUSR1, SIGUSR2, SIGTERM and SIGINT received through a file descriptor (signalfd): they
/// are blocked and queued, to be read when the descriptor polls readable.
#[derive(Debug)]
pub struct SignalQueue(SignalFd);

impl SignalQueue {
    /// Block the four signals and open a non-blocking signalfd for them.
    pub fn new() -> Result<Self> {
        let mut set = SigSet::empty();
        for signal in [
            Signal::SIGUSR1,
            Signal::SIGUSR2,
            Signal::SIGTERM,
            Signal::SIGINT,
        ] {
            set.add(signal);
        }
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)
            .map_err(|e| Error::os("sigprocmask failed", e))?;
        let fd = SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            .map_err(|e| Error::os("signalfd failed", e))?;
        Ok(SignalQueue(fd))
    }

    /// The next pending request, if any.
    pub fn next(&self) -> Option<Request> {
        let info = self.0.read_signal().ok()??;
        match i32::try_from(info.ssi_signo).ok()? {
            libc::SIGUSR1 => Some(Request::User1),
            libc::SIGUSR2 => Some(Request::User2),
            _ => Some(Request::Stop),
        }
    }
}

/// Wait until one of `fds` is readable (through EINTR); which ones are.
pub fn wait_readable(fds: &[BorrowedFd<'_>]) -> Result<Vec<bool>> {
    let mut polled: Vec<rustix::event::PollFd<'_>> = fds
        .iter()
        .map(|fd| rustix::event::PollFd::new(fd, rustix::event::PollFlags::IN))
        .collect();
    loop {
        match rustix::event::poll(&mut polled, None) {
            Ok(_) => return Ok(polled.iter().map(|p| !p.revents().is_empty()).collect()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(Error::os("Selecting error", e)),
        }
    }
}

impl AsFd for SignalQueue {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// Whether process `pid` has a real-time priority (that of SCHED_FIFO or SCHED_RR, 1 to 99);
/// `false` when it cannot be read (the process is gone).
pub fn is_realtime(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: sched_param is a plain C struct for which all zeroes is a valid value.
    let mut param: libc::sched_param = unsafe { std::mem::zeroed() };
    // The system call itself: musl's sched_getparam() is a stub that fails with ENOSYS.
    // SAFETY: sched_getparam writes one sched_param we own.
    if unsafe { libc::syscall(libc::SYS_sched_getparam, pid, &mut param) } != 0 {
        return false;
    }
    // SAFETY: plain queries of constants (the system calls, for the same reason).
    let (min, max) = unsafe {
        (
            libc::syscall(libc::SYS_sched_get_priority_min, libc::SCHED_RR),
            libc::syscall(libc::SYS_sched_get_priority_max, libc::SCHED_RR),
        )
    };
    let priority = libc::c_long::from(param.sched_priority);
    (min..=max).contains(&priority)
}

/// The current time as ctime(3) writes it, e.g. `Sun Dec  6 09:09:00 2026\n` (local time).
pub fn ctime_now() -> String {
    // SAFETY: time(NULL) has no preconditions.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    // SAFETY: tm is a plain C struct for which all zeroes is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let mut buf = [0 as libc::c_char; 64];
    // SAFETY: localtime_r fills the tm we own; asctime_r writes at most 26 bytes into our
    // 64-byte buffer.
    let ptr = unsafe {
        if libc::localtime_r(&now, &mut tm).is_null() {
            std::ptr::null_mut()
        } else {
            libc::asctime_r(&tm, buf.as_mut_ptr())
        }
    };
    if ptr.is_null() {
        return "\n".to_owned();
    }
    // SAFETY: asctime_r wrote a NUL-terminated string into buf.
    unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// CLOCK_MONOTONIC in nanoseconds: the clock of the kernel's process event timestamps.
pub fn monotonic_ns() -> u64 {
    // SAFETY: timespec is a plain C struct for which all zeroes is a valid value.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime fills the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(ts.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}
