//! Signal names, blocking, forwarding and re-raising.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use nix::sys::signal::{self, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal};

use crate::error::{Context, Error, Result};

/// glibc's `SIGRTMIN`: the kernel's 32 and 33 are taken by the threading library. util-linux,
/// linked against glibc, counts `RTMIN+n` from here, and so do we whatever libc we link.
pub const RTMIN: i32 = 34;
/// `SIGRTMAX`.
pub const RTMAX: i32 = 64;
/// SIGKILL, `--kill-child`'s default.
pub const SIGKILL: i32 = libc::SIGKILL;

const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// A signal number from its name: `TERM`, `SIGTERM`, `term`, `RTMIN`, `RTMIN+3`, `RTMAX-1`.
/// Numbers are refused, as util-linux's `--kill-child` refuses them.
pub fn parse_signal_name(arg: &str) -> Option<i32> {
    let upper = arg.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(&(_, n)) = NAMES.iter().find(|(s, _)| *s == name) {
        return Some(n);
    }
    let offset = |rest: &str| -> Option<i32> {
        if rest.is_empty() {
            return Some(0);
        }
        rest.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| rest.parse().ok())
            .flatten()
    };
    let n = if let Some(rest) = name.strip_prefix("RTMIN") {
        RTMIN
            + offset(
                rest.strip_prefix('+')
                    .unwrap_or(if rest.is_empty() { "" } else { "x" }),
            )?
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        RTMAX
            - offset(
                rest.strip_prefix('-')
                    .unwrap_or(if rest.is_empty() { "" } else { "x" }),
            )?
    } else {
        return None;
    };
    (RTMIN..=RTMAX).contains(&n).then_some(n)
}

fn sig(n: i32) -> Result<Signal> {
    Signal::try_from(n).map_err(|e| Error::os(format!("invalid signal {n}"), e))
}

/// The set {SIGINT, SIGTERM}: what a `--fork` parent holds back or forwards.
fn int_term() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set
}

/// Block SIGINT and SIGTERM; returns the previous mask for [`restore_mask`].
pub fn block_int_term() -> Result<SigSet> {
    let mut old = SigSet::empty();
    signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&int_term()), Some(&mut old))
        .context(|| "sigprocmask block failed".to_owned())?;
    Ok(old)
}

/// Restore a signal mask saved by [`block_int_term`].
pub fn restore_mask(old: &SigSet) -> Result<()> {
    signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(old), None)
        .context(|| "sigprocmask restore failed".to_owned())
}

/// Unblock every signal (before exec: the program starts with a clean mask).
pub fn unblock_all() -> Result<()> {
    signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .context(|| "sigprocmask failed".to_owned())
}

static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(signo: libc::c_int) {
    let pid = FORWARD_TO.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe; a failure (child already gone) needs no
        // handling.
        unsafe { libc::kill(pid, signo) };
    }
}

/// The process [`forward_int_term`]'s handlers send to.
pub fn set_forward_target(child: i32) {
    FORWARD_TO.store(child, Ordering::Relaxed);
}

/// Forward SIGINT and SIGTERM to `child` (0: to nobody yet) from now on.
pub fn forward_int_term(child: i32) -> Result<()> {
    set_forward_target(child);
    let action = SigAction::new(
        SigHandler::Handler(forward),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for (s, name) in [(Signal::SIGINT, "SIGINT"), (Signal::SIGTERM, "SIGTERM")] {
        // SAFETY: the handler only reads an atomic and calls kill(2), which is
        // async-signal-safe.
        unsafe { signal::sigaction(s, &action) }.context(|| format!("sigaction {name} failed"))?;
    }
    Ok(())
}

/// Ask the kernel to send `signo` to this process when its parent dies.
pub fn set_parent_death_signal(signo: i32) -> Result<()> {
    // rustix's typed Signal has no real-time signals, which `--kill-child=RTMIN+n` needs.
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::c_ulong::try_from(signo).unwrap_or(0),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::last_os("prctl failed"))
    }
}

/// Die of `signo`, as the child did: default disposition, no core dump (the child already
/// dumped one if it was going to), unblocked, sent to ourselves. Falls back to exiting with
/// 128+signo if the signal somehow does not kill us.
pub fn die_by_signal(signo: i32) -> ! {
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
    if let Ok(s) = sig(signo) {
        // SIGKILL's disposition cannot be changed (util-linux 2.38 failed here); it needs none.
        if s != Signal::SIGKILL {
            // SAFETY: restoring the default disposition installs no handler.
            let _ = unsafe { signal::signal(s, SigHandler::SigDfl) };
            let mut set = SigSet::empty();
            set.add(s);
            let _ = signal::sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None);
        }
        let _ = signal::raise(s);
    }
    std::process::exit(128 + signo)
}

static SIGPIPE_WAS_IGNORED: AtomicBool = AtomicBool::new(false);

extern "C" fn capture_sigpipe() {
    // SAFETY: querying a disposition (null new action) changes nothing; runs before main.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) == 0 {
            SIGPIPE_WAS_IGNORED.store(old.sa_sigaction == libc::SIG_IGN, Ordering::Relaxed);
        }
    }
}

// The Rust runtime sets SIGPIPE to "ignore" before main, and an ignored signal stays ignored
// across exec. Record what our parent gave us, before the runtime changes it, so that the
// program we exec gets that back.
#[used]
#[unsafe(link_section = ".init_array")]
static CAPTURE_SIGPIPE: extern "C" fn() = capture_sigpipe;

/// Give SIGPIPE back the disposition this process was started with.
pub fn restore_sigpipe() {
    let handler = if SIGPIPE_WAS_IGNORED.load(Ordering::Relaxed) {
        SigHandler::SigIgn
    } else {
        SigHandler::SigDfl
    };
    // SAFETY: default or ignore, no handler function.
    let _ = unsafe { signal::signal(Signal::SIGPIPE, handler) };
}

/// Reset SIGCHLD to its default, so a parent's "ignore" cannot make our wait fail.
pub fn default_sigchld() {
    // SAFETY: installs the default disposition, no handler function.
    let _ = unsafe { signal::signal(Signal::SIGCHLD, SigHandler::SigDfl) };
}

/// Send SIGTERM to `pid`. The error is the OS's (`No such process`, ...), for the caller's
/// message.
pub fn terminate(pid: u32) -> std::result::Result<(), crate::Errno> {
    let pid = i32::try_from(pid).map_err(|_| crate::Errno(libc::ESRCH))?;
    signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM)
        .map_err(|e| crate::Errno(e as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        assert_eq!(parse_signal_name("TERM"), Some(15));
        assert_eq!(parse_signal_name("SIGTERM"), Some(15));
        assert_eq!(parse_signal_name("sigterm"), Some(15));
        assert_eq!(parse_signal_name("kill"), Some(9));
        assert_eq!(parse_signal_name("RTMIN"), Some(34));
        assert_eq!(parse_signal_name("rtmin+3"), Some(37));
        assert_eq!(parse_signal_name("RTMAX-1"), Some(63));
        assert_eq!(parse_signal_name("RTMIN+31"), None);
        assert_eq!(parse_signal_name("RTMIN3"), None);
        assert_eq!(parse_signal_name("15"), None);
        assert_eq!(parse_signal_name("FOO"), None);
        assert_eq!(parse_signal_name(""), None);
    }
}
