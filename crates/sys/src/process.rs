//! Running programs: exec with util-linux's rules, fork, waiting, and turning a child's end
//! into our own; credentials, root and working directory; capabilities; time offsets.

use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid};

use crate::error::{Context, Errno, Error, Result};
use crate::rootfs::{FutureRoot, Kind};
use crate::signal;

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildEnd {
    /// It called exit with this status.
    Exited(i32),
    /// This signal killed it.
    Signaled(i32),
}

/// A process we forked: the parent's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child(pub i32);

/// Which side of a fork we are on.
#[derive(Debug)]
pub enum Forked {
    /// The parent, with the child's pid.
    Parent(Child),
    /// The child.
    Child,
}

/// fork(2). Errors read `fork failed`.
pub fn fork() -> Result<Forked> {
    crate::fault::point("fork", libc::EAGAIN).context(|| "fork failed".to_owned())?;
    // SAFETY: nsutils tools are single-threaded, so the child may do anything the parent could.
    match unsafe { nix::unistd::fork() }.context(|| "fork failed".to_owned())? {
        ForkResult::Parent { child } => Ok(Forked::Parent(Child(child.as_raw()))),
        ForkResult::Child => Ok(Forked::Child),
    }
}

impl Child {
    /// Wait for the child to end (through EINTR). Errors read `waitpid failed`.
    pub fn wait(self) -> Result<ChildEnd> {
        loop {
            match waitpid(Pid::from_raw(self.0), None) {
                Ok(WaitStatus::Exited(_, code)) => return Ok(ChildEnd::Exited(code)),
                Ok(WaitStatus::Signaled(_, s, _)) => return Ok(ChildEnd::Signaled(s as i32)),
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(Error::os("waitpid failed", e)),
            }
        }
    }

    /// SIGKILL the child and reap it: clean-up when the parent cannot go on.
    pub fn kill_and_reap(self) {
        let _ = nix::sys::signal::kill(Pid::from_raw(self.0), nix::sys::signal::Signal::SIGKILL);
        let _ = self.wait();
    }

    /// Wait for a helper: `Ok` if it exited 0, else an error that exits with its status
    /// (it has already said why).
    pub fn wait_success(self) -> Result<()> {
        match self.wait()? {
            ChildEnd::Exited(0) => Ok(()),
            ChildEnd::Exited(code) => Err(Error::Silent(code as u8)),
            ChildEnd::Signaled(s) => Err(Error::Silent(128u8.wrapping_add(s as u8))),
        }
    }
}

/// End this process the way the child ended: its status, or death by the same signal.
pub fn exit_like(end: ChildEnd) -> ! {
    match end {
        ChildEnd::Exited(code) => std::process::exit(code),
        ChildEnd::Signaled(s) => signal::die_by_signal(s),
    }
}

/// One end of a one-shot "go ahead" signal between a parent and a forked helper: a pipe,
/// so that the helper sees end-of-file, and gives up, if the other side dies first.
#[derive(Debug)]
pub struct Gate {
    read: OwnedFd,
    write: OwnedFd,
}

impl Gate {
    /// A new gate. Errors read `pipe failed`.
    pub fn new() -> Result<Self> {
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .context(|| "pipe failed".to_owned())?;
        Ok(Gate { read, write })
    }

    /// The waiting side: block until opened (`true`) or the other side is gone (`false`).
    pub fn wait(self) -> bool {
        drop(self.write);
        let mut byte = [0u8];
        matches!(File::from(self.read).read(&mut byte), Ok(1))
    }

    /// The opening side: let the waiter go.
    pub fn open(self) -> Result<()> {
        drop(self.read);
        File::from(self.write)
            .write_all(b"\x06")
            .context(|| "failed to write gate".to_owned())
    }
}

/// Exec `argv[0]` with util-linux's rules: a name without `/` is searched in `$PATH` as glibc's
/// `execvp` does (including running a script without `#!` through `/bin/sh`). Returns only
/// on failure: `failed to execute NAME`, with status 127 when it was not found, 126 otherwise.
pub fn exec_program(argv: &[OsString]) -> Error {
    let Some(name) = argv.first() else {
        return Error::msg("no program to execute").with_status(127);
    };
    prepare_exec();
    let errno = match ExecArgs::new(argv) {
        None => libc::EINVAL,
        Some(args) if name.as_bytes().contains(&b'/') => args.exec_or_sh(Path::new(name)),
        Some(args) => args.search_path(name),
    };
    exec_error(name, errno)
}

/// Exec the file `path` with `argv` as execv(3) does: no `PATH` search and no `/bin/sh` for
/// a script without `#!`. Returns only on failure, as [`exec_program`].
pub fn exec_file(path: &Path, argv: &[OsString]) -> Error {
    prepare_exec();
    let errno = ExecArgs::new(argv).map_or(libc::EINVAL, |args| args.exec(path));
    exec_error(path.as_os_str(), errno)
}

/// Exec the default shell as a login shell (`-sh`): `$SHELL` when set and not empty, else the
/// user's passwd shell, else `/bin/sh`.
pub fn exec_login_shell() -> Error {
    let shell = default_shell();
    let base = shell.file_name().unwrap_or(shell.as_os_str());
    let mut argv0 = OsString::from("-");
    argv0.push(base);
    prepare_exec();
    let errno = ExecArgs::new(&[argv0]).map_or(libc::EINVAL, |args| args.exec(&shell));
    exec_error(shell.as_os_str(), errno)
}

/// The environment programs are executed with when it is not this process's own.
static EXEC_ENVIRONMENT: std::sync::OnceLock<Vec<(OsString, OsString)>> =
    std::sync::OnceLock::new();

/// From now on, execute programs with exactly `vars`, in this order, as their environment
/// instead of this process's own; `PATH` and `SHELL` are looked up there too. This is what
/// clearenv(3) followed by setenv(3) gives a C program, without changing the environment of a
/// process that may have other threads. Only the first call counts.
pub fn set_exec_environment(vars: Vec<(OsString, OsString)>) {
    let _ = EXEC_ENVIRONMENT.set(vars);
}

/// The environment a program is executed with.
fn exec_environment() -> Vec<(OsString, OsString)> {
    match EXEC_ENVIRONMENT.get() {
        Some(vars) => vars.clone(),
        None => std::env::vars_os().collect(),
    }
}

/// The value of `name` in the environment a program is executed with.
fn exec_var(name: &str) -> Option<OsString> {
    match EXEC_ENVIRONMENT.get() {
        Some(vars) => vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
        None => std::env::var_os(name),
    }
}

/// The directories [`exec_program`] searches for a name without a slash: `PATH` of the
/// program's environment, else glibc's default `/bin:/usr/bin`.
pub fn exec_search_path() -> OsString {
    exec_var("PATH").unwrap_or_else(|| "/bin:/usr/bin".into())
}

/// The shell [`exec_login_shell`] runs.
pub fn default_shell() -> PathBuf {
    match exec_var("SHELL") {
        Some(s) if !s.is_empty() => PathBuf::from(s),
        _ => crate::user::user_shell(crate::user::real_uid())
            .unwrap_or_else(|| PathBuf::from("/bin/sh")),
    }
}

fn exec_error(name: &OsStr, errno: i32) -> Error {
    let status = if errno == libc::ENOENT { 127 } else { 126 };
    Error::os(
        format!("failed to execute {}", name.to_string_lossy()),
        errno,
    )
    .with_status(status)
}

/// What every program we start inherits from us: an empty signal mask and the SIGPIPE
/// disposition our parent gave us.
fn prepare_exec() {
    let _ = signal::unblock_all();
    signal::restore_sigpipe();
}

/// argv and the environment as C strings, built once however many paths are tried.
struct ExecArgs {
    args: Vec<CString>,
    /// Kept alive for `envp`'s pointers.
    _env: Vec<CString>,
    /// The null-terminated pointer arrays execve takes, made once: they point into the
    /// CStrings' heap buffers, which do not move when the vectors holding them do.
    argp: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

impl ExecArgs {
    /// `None` when an argument holds a NUL byte, which no exec can pass.
    fn new(argv: &[OsString]) -> Option<Self> {
        let args = argv
            .iter()
            .map(|a| CString::new(a.as_bytes()).ok())
            .collect::<Option<_>>()?;
        let env = exec_environment()
            .into_iter()
            .filter_map(|(k, v)| {
                let mut kv = k.into_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv).ok()
            })
            .collect();
        let pointers = |strings: &Vec<CString>| {
            strings
                .iter()
                .map(|c| c.as_ptr())
                .chain([std::ptr::null()])
                .collect()
        };
        let (argp, envp) = (pointers(&args), pointers(&env));
        Some(ExecArgs {
            args,
            _env: env,
            argp,
            envp,
        })
    }

    fn search_path(&self, name: &OsStr) -> i32 {
        let path = exec_search_path();
        let mut seen_eacces = false;
        let mut last = libc::ENOENT;
        // One buffer for every candidate: no allocation per PATH entry.
        let mut candidate: Vec<u8> = Vec::with_capacity(path.len() + name.len() + 2);
        for dir in path.as_bytes().split(|b| *b == b':') {
            // An empty element means the current directory.
            candidate.clear();
            candidate.extend_from_slice(if dir.is_empty() { b"." } else { dir });
            candidate.push(b'/');
            candidate.extend_from_slice(name.as_bytes());
            last = self.exec_or_sh(Path::new(OsStr::from_bytes(&candidate)));
            match last {
                libc::EACCES => seen_eacces = true,
                libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
                _ => return last,
            }
        }
        if seen_eacces { libc::EACCES } else { last }
    }

    /// execve, and for a file the kernel cannot run (ENOEXEC) run it with `/bin/sh` as glibc
    /// does.
    fn exec_or_sh(&self, path: &Path) -> i32 {
        let errno = self.exec(path);
        if errno != libc::ENOEXEC {
            return errno;
        }
        let mut sh_argv: Vec<OsString> = vec!["/bin/sh".into(), path.into()];
        sh_argv.extend(
            self.args
                .iter()
                .skip(1)
                .map(|a| OsStr::from_bytes(a.as_bytes()).to_owned()),
        );
        if let Some(sh) = ExecArgs::new(&sh_argv) {
            sh.exec(Path::new("/bin/sh"));
        }
        errno
    }

    /// execve(path, args, env); returns the errno on failure.
    fn exec(&self, path: &Path) -> i32 {
        let mut cpath = Vec::with_capacity(path.as_os_str().len() + 1);
        cpath.extend_from_slice(path.as_os_str().as_bytes());
        cpath.push(0);
        let Ok(cpath) = std::ffi::CStr::from_bytes_with_nul(&cpath) else {
            return libc::ENOENT;
        };
        // SAFETY: every pointer is to a NUL-terminated string that outlives the call, and both
        // arrays end with a null pointer.
        unsafe { libc::execve(cpath.as_ptr(), self.argp.as_ptr(), self.envp.as_ptr()) };
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    }
}

/// Drop supplementary groups. Errors read `setgroups failed`.
pub fn clear_groups() -> Result<()> {
    nix::unistd::setgroups(&[]).context(|| "setgroups failed".to_owned())
}

/// setgid(2). Errors read `setgid() failed`.
pub fn set_gid(gid: u32) -> Result<()> {
    crate::fault::point("setgid", libc::EPERM)
        .map_err(Errno::from)
        .and_then(|()| nix::unistd::setgid(nix::unistd::Gid::from_raw(gid)).map_err(Errno::from))
        .context(|| "setgid() failed".to_owned())
}

/// setuid(2). Errors read `setuid() failed`.
pub fn set_uid(uid: u32) -> Result<()> {
    crate::fault::point("setuid", libc::EPERM)
        .map_err(Errno::from)
        .and_then(|()| nix::unistd::setuid(nix::unistd::Uid::from_raw(uid)).map_err(Errno::from))
        .context(|| "setuid() failed".to_owned())
}

/// chroot(2). Errors read `cannot change root directory to 'DIR'`.
pub fn change_root(dir: &Path) -> Result<()> {
    crate::fault::point("chroot", libc::EPERM)
        .and_then(|()| rustix::process::chroot(dir))
        .map_err(|e| change_root_error(dir, e.into()))
}

/// chdir(2). Errors read `cannot change directory to DIR`.
pub fn change_dir(dir: &Path) -> Result<()> {
    crate::fault::point("chdir", libc::EACCES)
        .and_then(|()| rustix::process::chdir(dir))
        .map_err(|e| change_dir_error(dir, e.into()))
}

/// chdir(2) to `dir` looked up inside the current root only ([`crate::dirfd::open_in_root`]):
/// an absolute link counts from the root, and `/proc`'s magic links, which lead out of a
/// chroot or a new root once a proc is mounted in it, are refused (`ELOOP`). For a directory
/// named inside a root someone else may have filled. Errors read as [`change_dir`]'s.
pub fn change_dir_in_root(dir: &Path) -> Result<()> {
    use crate::dirfd::{Access, open_dir, open_in_root};
    let found = crate::fault::point("chdir", libc::EACCES)
        .map_err(Errno::from)
        .and_then(|()| open_dir(Path::new("/")))
        .and_then(|root| open_in_root(root.as_fd(), dir, Access::Place))
        .map_err(|e| change_dir_error(dir, e))?;
    change_dir_to(found.as_fd(), dir)
}

/// fchdir(2) to the directory `dir` (opened already, so no symbolic link is followed now),
/// `shown` as its name in errors, which read as [`change_dir`]'s.
pub fn change_dir_to(dir: std::os::fd::BorrowedFd<'_>, shown: &Path) -> Result<()> {
    rustix::process::fchdir(dir).map_err(|e| change_dir_error(shown, e.into()))
}

fn change_root_error(dir: &Path, errno: Errno) -> Error {
    Error::os(
        format!("cannot change root directory to '{}'", dir.display()),
        errno,
    )
}

fn change_dir_error(dir: &Path, errno: Errno) -> Error {
    Error::os(
        format!("cannot change directory to {}", dir.display()),
        errno,
    )
}

/// Check, before anything is changed, that [`change_root`] to `root` and then [`change_dir`]
/// to `wd` will find their directories: a missing directory (ENOENT) or something else than a
/// directory (ENOTDIR) fails here with the error they would give. Any other error (no
/// permission, a kernel without openat2) is left for them to meet, with the credentials
/// and mounts they will run with.
pub fn check_root_and_dir(root: Option<&Path>, wd: Option<&Path>) -> Result<()> {
    let certain = |errno: &Errno| [libc::ENOENT, libc::ENOTDIR].contains(&errno.0);
    let future_root = match root {
        None => None,
        Some(dir) => match FutureRoot::open(dir) {
            Ok(r) => Some(r),
            Err(e) => match e.errno().map(Errno).filter(certain) {
                Some(errno) => return Err(change_root_error(dir, errno)),
                None => None,
            },
        },
    };
    let Some(wd) = wd else { return Ok(()) };
    // After chroot(2) an absolute directory is looked up in the new root; a relative one is
    // still looked up from the working directory, which chroot does not change.
    let found = match &future_root {
        Some(r) if wd.is_absolute() => r.kind(wd).map(|k| k == Kind::Dir),
        _ => std::fs::metadata(wd)
            .map(|m| m.is_dir())
            .map_err(Errno::from),
    };
    match found {
        Ok(true) => Ok(()),
        Ok(false) => Err(change_dir_error(wd, Errno(libc::ENOTDIR))),
        Err(errno) if certain(&errno) => Err(change_dir_error(wd, errno)),
        Err(_) => Ok(()),
    }
}

/// Make every permitted capability inheritable and ambient, so an exec'd program keeps them
/// (`--keep-caps` in a new user namespace, where we hold all of them).
pub fn raise_ambient_capabilities() -> Result<()> {
    use rustix::thread::{CapabilitySet, CapabilitySets};
    let mut sets: CapabilitySets =
        rustix::thread::capabilities(None).context(|| "capget failed".to_owned())?;
    sets.inheritable = sets.permitted;
    rustix::thread::set_capabilities(None, sets).context(|| "capset failed".to_owned())?;
    for bit in 0..64 {
        let Some(cap) = CapabilitySet::from_bits(1 << bit) else {
            continue;
        };
        if !sets.permitted.contains(cap) {
            continue;
        }
        // Capabilities newer than the running kernel fail with EINVAL: skip them.
        match rustix::thread::configure_capability_in_ambient_set(cap, true) {
            Ok(()) | Err(rustix::io::Errno::INVAL) => {}
            Err(e) => return Err(Error::os("prctl(PR_CAP_AMBIENT) failed", e)),
        }
    }
    Ok(())
}

/// A pidfd for this process, to let a child notice that we are gone.
pub fn pidfd_self() -> Result<OwnedFd> {
    rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )
    .context(|| "pidfd_open failed".to_owned())
}

/// Whether the process behind `pidfd` has exited (its pidfd polls readable).
pub fn has_exited(pidfd: &OwnedFd) -> Result<bool> {
    use rustix::event::{PollFd, PollFlags, poll};
    let fd = pidfd.as_fd();
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let n = poll(
        &mut fds,
        Some(&rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }),
    )
    .context(|| "poll parent pidfd failed".to_owned())?;
    Ok(n > 0)
}

/// The pid of this process.
pub fn own_pid() -> u32 {
    std::process::id()
}

/// The command-line arguments of this process's parent (`/proc/PPID/cmdline`), empty when
/// they cannot be read: for a helper that must know what its caller was asked, such as
/// `mount.overlay` under mount(8), which passes it only some of the options.
pub fn parent_arguments() -> Vec<OsString> {
    use std::os::unix::ffi::OsStringExt;
    let ppid = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get());
    let path = format!("/proc/{ppid}/cmdline");
    let bytes = crate::read_pseudo_file(Path::new(&path)).unwrap_or_default();
    bytes
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect()
}

/// A clock a time namespace can offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeClock {
    /// CLOCK_MONOTONIC.
    Monotonic,
    /// CLOCK_BOOTTIME.
    Boottime,
}

/// Set the offset of `clock` for the time namespace our children will be born in.
pub fn set_time_offset(clock: TimeClock, seconds: i64) -> Result<()> {
    let path = "/proc/self/timens_offsets";
    let id = match clock {
        TimeClock::Monotonic => libc::CLOCK_MONOTONIC,
        TimeClock::Boottime => libc::CLOCK_BOOTTIME,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .context(|| format!("failed to open {path}"))?;
    f.write_all(format!("{id} {seconds} 0").as_bytes())
        .context(|| format!("failed to write to {path}"))
}

/// Start a copy of this program as a detached placeholder process named `argv0` (what
/// `/proc/PID/cmdline` shows), and return its pid without waiting for it. The copy holds
/// none of our descriptors: its standard input, output and error are `/dev/null`, every
/// other descriptor is closed, and it runs in a session of its own, so a caller reading our
/// output through a pipe sees end-of-file when we exit, however long the copy lives. The
/// program's `main` must recognise `argv0` and call [`idle_forever`].
pub fn spawn_idle(argv0: &str) -> Result<Child> {
    let args = ExecArgs::new(&[OsString::from(argv0)])
        .ok_or_else(|| Error::msg("bad idle process name"))?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .context(|| "cannot open /dev/null".to_owned())?;
    match fork()? {
        Forked::Parent(child) => Ok(child),
        Forked::Child => {
            let null = std::os::fd::AsRawFd::as_raw_fd(&null);
            // SAFETY: plain system calls on descriptor numbers in a freshly forked,
            // single-threaded child, which exits rather than return if any of them fails.
            unsafe {
                libc::setsid();
                for fd in 0..3 {
                    if libc::dup2(null, fd) < 0 {
                        libc::_exit(127);
                    }
                }
                libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            }
            prepare_exec();
            args.exec(Path::new("/proc/self/exe"));
            // SAFETY: _exit ends the forked child without running the parent's clean-up.
            unsafe { libc::_exit(127) }
        }
    }
}

/// What a placeholder from [`spawn_idle`] does: sleep until a signal ends it.
pub fn idle_forever() -> ! {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(24 * 60 * 60));
    }
}

/// How this run holds more privilege than the user who started it: what the kernel flags
/// as a secure execution (util-linux's `is_privileged_execution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elevation {
    /// The effective uid is not the real one: the file is set-user-ID.
    SetUserId,
    /// The effective gid is not the real one: the file is set-group-ID.
    SetGroupId,
    /// The ids agree but the kernel set `AT_SECURE`: file capabilities (or a security
    /// module's transition).
    Secure,
}

/// Whether, and how, this run is elevated; `None` for an ordinary run (root's included).
pub fn elevation() -> Option<Elevation> {
    use rustix::process::{getegid, geteuid, getgid, getuid};
    // SAFETY: getauxval reads the auxiliary vector the kernel gave this process; it has no
    // preconditions and returns 0 for an entry that is missing.
    let secure = unsafe { libc::getauxval(libc::AT_SECURE) } != 0;
    if geteuid() != getuid() {
        Some(Elevation::SetUserId)
    } else if getegid() != getgid() {
        Some(Elevation::SetGroupId)
    } else if secure {
        Some(Elevation::Secure)
    } else {
        None
    }
}

/// The environment variable `name`, unless this run is elevated ([`elevation`]), glibc's
/// secure_getenv(3): the caller's environment may not steer a program that holds privileges
/// its caller lacks (the set-user-ID cgexec is the one tool that runs so), and it stays
/// ignored after the privilege is dropped, as the kernel's `AT_SECURE` flag stays set. Every
/// variable that changes what a tool does is read through this; what is passed on to a
/// program the tool executes as the caller (its environment, `PATH`) is not.
pub fn trusted_env(name: &str) -> Option<OsString> {
    if elevation().is_some() {
        return None;
    }
    std::env::var_os(name)
}

/// Give up a set-user-ID or set-group-ID file's privilege for good, before acting for the
/// user: the supplementary groups set again to the caller's own (an exec never changes
/// them; only root may set them, so only then), then real, effective and saved gid, then
/// uid, all the real ones. Checked afterwards: no saved id differs from the real one, and
/// for an ordinary user no capability is left (the kernel clears them when the last uid 0
/// goes). Errors read `setresgid failed: ...`, `privileges remain after dropping them`.
pub fn drop_elevation() -> Result<()> {
    use nix::unistd::{getgid, getgroups, getresgid, getresuid, getuid, setgroups};
    use nix::unistd::{setresgid, setresuid};
    let (uid, gid) = (getuid(), getgid());
    if nix::unistd::geteuid().is_root() {
        let groups = getgroups().context(|| "getgroups failed".to_owned())?;
        setgroups(&groups).context(|| "setgroups failed".to_owned())?;
    }
    setresgid(gid, gid, gid).context(|| "setresgid failed".to_owned())?;
    setresuid(uid, uid, uid).context(|| "setresuid failed".to_owned())?;
    let uids = getresuid().context(|| "getresuid failed".to_owned())?;
    let gids = getresgid().context(|| "getresgid failed".to_owned())?;
    let ids_dropped = [uids.real, uids.effective, uids.saved] == [uid; 3]
        && [gids.real, gids.effective, gids.saved] == [gid; 3];
    let caps = rustix::thread::capabilities(None).context(|| "capget failed".to_owned())?;
    let caps_dropped = uid.is_root() || (caps.permitted.is_empty() && caps.effective.is_empty());
    if ids_dropped && caps_dropped {
        Ok(())
    } else {
        Err(Error::msg("privileges remain after dropping them"))
    }
}
