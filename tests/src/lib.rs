//! Helpers for nsutils' integration tests: find the built binaries and the reference ones,
//! run them as a user would (optionally as an unprivileged user, or inside a private mount
//! namespace), and skip loudly.
//!
//! The tests run the binaries that `cargo build --workspace --bins` put next to the test
//! executable's `deps/` directory, so the test command builds them first (see `.ci/run`).

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The uid and gid of `nobody`, an unprivileged user every Debian system has.
pub const NOBODY: u32 = 65534;

/// The path of one of our built binaries.
pub fn ours(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<triple>/<profile>/deps/<test> -> target/<triple>/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let bin = dir.join(name);
    assert!(
        bin.exists(),
        "{} is not built: run `cargo build --workspace --bins` before the tests",
        bin.display()
    );
    bin
}

/// Where `scripts/build-refs.sh` installs the reference builds: `$NSUTILS_REF_DIR`, else
/// `target/ref` of this workspace.
pub fn ref_dir() -> PathBuf {
    match std::env::var_os("NSUTILS_REF_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ref"),
    }
}

/// The release a reference program comes from: util-linux 2.42.2 or libcgroup 3.2.0, and the
/// directories of its build where the program may be.
fn release_of(program: &str) -> (&'static str, [&'static str; 2]) {
    if program.starts_with("cg") || program.starts_with("lscg") || program == "lssubsys" {
        ("libcgroup 3.2.0", ["libcgroup/bin", "libcgroup/sbin"])
    } else {
        ("util-linux 2.42.2", ["util-linux/bin", "util-linux/sbin"])
    }
}

/// The reference build of `program` (`unshare`, `lsns`, `cgcreate`, ...): util-linux 2.42.2 or
/// libcgroup 3.2.0 as `scripts/build-refs.sh` builds them, or a skip (a failure when
/// `NSUTILS_MUST_RUN=1`, as in CI) that says how to build it.
pub fn reference(program: &str) -> Option<PathBuf> {
    let (release, dirs) = release_of(program);
    let base = ref_dir();
    if let Some(path) = dirs
        .iter()
        .map(|dir| base.join(dir).join(program))
        .find(|path| path.exists())
    {
        return Some(path);
    }
    skip(&format!(
        "the reference {program} ({release}) is not built in {}: run scripts/build-refs.sh --deps",
        base.display()
    ));
    None
}

/// Whether an external program is on this machine; a skip when it is not.
pub fn have(path: &str, package: &str) -> bool {
    if Path::new(path).exists() {
        true
    } else {
        skip(&format!(
            "{path} is not installed (apt-get install {package})"
        ));
        false
    }
}

/// The workspace's `examples/NAME` script, by a path without `..` (the guests have
/// `examples/` but no `tests/` to go up from).
pub fn example(name: &str) -> PathBuf {
    let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests_dir
        .parent()
        .unwrap_or(tests_dir)
        .join("examples")
        .join(name)
}

/// The directory of this build's binaries, for a script's `NSUTILS_BIN`.
pub fn bin_dir() -> PathBuf {
    ours("unshare")
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Say why a test does not run. In CI (`NSUTILS_MUST_RUN=1`) a skip is a failure.
pub fn skip(reason: &str) {
    if std::env::var_os("NSUTILS_MUST_RUN").is_some_and(|v| v == "1") {
        panic!("test would be skipped, which NSUTILS_MUST_RUN=1 forbids: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

/// How a run ended, and what it printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit status, if it exited.
    pub code: Option<i32>,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    /// Whether it dumped core.
    pub core_dumped: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Assert a normal exit with `code`, showing stderr if not.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "unexpected end: {self:#?}");
        self
    }

    /// Assert success and return stdout.
    pub fn ok(&self) -> &str {
        self.assert_code(0);
        &self.stdout
    }

    /// Assert success and return stdout as lines of whitespace-separated words (map files
    /// align their columns with spaces).
    pub fn words(&self) -> Vec<Vec<&str>> {
        self.ok()
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect()
    }
}

/// A command to run.
#[derive(Debug)]
pub struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    /// Run `cmd` as this user in a login session ([`Run::as_login_user`]).
    login: Option<LoginUser>,
}

impl Run {
    /// `program args...`.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let mut cmd = Command::new(program);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Run {
            cmd,
            stdin: None,
            login: None,
        }
    }

    /// `program args...` as the unprivileged user nobody, with no supplementary groups.
    pub fn as_nobody(program: impl AsRef<OsStr>) -> Self {
        let mut run = Run::new("/usr/bin/setpriv");
        run.cmd.args([
            format!("--reuid={NOBODY}"),
            format!("--regid={NOBODY}"),
            "--clear-groups".into(),
            "--".into(),
        ]);
        run.cmd.arg(program);
        run
    }

    /// `program args...` as `user` in a real PAM login session: `runuser -l` (its PAM service
    /// `runuser-l` has pam_systemd register the session, so the process is in the user's
    /// `session-N.scope`), with `XDG_RUNTIME_DIR` and `DBUS_SESSION_BUS_ADDRESS` set so that
    /// `systemd-run --user` and our `--user` options reach the user's manager. The login
    /// starts in the user's home with a clean environment, to which the variables given with
    /// [`Run::env`] are added; [`Run::arg0`] does not carry over.
    pub fn as_login_user(user: &LoginUser, program: impl AsRef<OsStr>) -> Self {
        let mut run = Run::new(program);
        run.login = Some(user.clone());
        run
    }

    /// The command to start: `cmd` itself, or `cmd` through a login as [`Run::login`].
    fn command(&mut self) -> &mut Command {
        if let Some(user) = self.login.take() {
            let runtime = format!("/run/user/{}", user.uid);
            let mut login = Command::new("/usr/sbin/runuser");
            login.args([
                "-l".into(),
                "-c".into(),
                format!(
                    "export XDG_RUNTIME_DIR={runtime} DBUS_SESSION_BUS_ADDRESS=unix:path={runtime}/bus; exec \"$0\" \"$@\""
                ),
                "--".into(),
                user.name,
                "/usr/bin/env".into(),
            ]);
            for (key, value) in self.cmd.get_envs() {
                if let Some(value) = value {
                    let mut pair = key.to_os_string();
                    pair.push("=");
                    pair.push(value);
                    login.arg(pair);
                }
            }
            login
                .arg(self.cmd.get_program())
                .args(self.cmd.get_args())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .stdin(if self.stdin.is_some() {
                    Stdio::piped()
                } else {
                    Stdio::null()
                });
            self.cmd = login;
        }
        &mut self.cmd
    }

    /// The program and arguments this starts (for [`Run::as_login_user`], the login that
    /// runs them), for a wrapper to run as `"$@"`: root's shell in a private mount namespace
    /// that first bind-mounts files the user's program should see. Variables set with
    /// [`Run::env`] carry over only through a login; the wrapper passes on its own.
    pub fn command_line(mut self) -> Vec<std::ffi::OsString> {
        let cmd = self.command();
        std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(OsStr::to_os_string)
            .collect()
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Add one argument that is not UTF-8 text (a path).
    pub fn arg_os(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    /// Set an environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Remove an environment variable.
    pub fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Run with this argv[0].
    pub fn arg0(mut self, name: &str) -> Self {
        self.cmd.arg0(name);
        self
    }

    /// Feed this on standard input.
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.as_bytes().to_vec());
        self.cmd.stdin(Stdio::piped());
        self
    }

    /// Send standard output to this file instead of capturing it.
    pub fn stdout_to(mut self, file: std::fs::File) -> Self {
        self.command().stdout(file);
        self
    }

    /// Start it without waiting.
    pub fn spawn(mut self) -> std::process::Child {
        self.command().stdout(Stdio::null()).stderr(Stdio::null());
        self.cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.cmd))
    }

    /// Start it without waiting, its standard input, output and error pipes held by the
    /// test: for a program that runs until its input ends, while the test reads its output.
    pub fn start(mut self) -> std::process::Child {
        self.command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.cmd))
    }

    /// Run to the end.
    pub fn run(mut self) -> Output {
        let mut child = self
            .command()
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", self.cmd));
        if let (Some(text), Some(mut pipe)) = (self.stdin.take(), child.stdin.take()) {
            let _ = pipe.write_all(&text);
        }
        let out = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("wait failed: {e}"));
        Output {
            code: out.status.code(),
            signal: out.status.signal(),
            core_dumped: out.status.core_dumped(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run to the end, which must come within `limit`: a program still running then is a
    /// hang, killed (by its pid) and reported as the test's failure.
    pub fn run_within(mut self, limit: std::time::Duration) -> Output {
        let line = format!("{:?}", self.cmd);
        let mut child = self
            .command()
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {line}: {e}"));
        // The pipes are drained while waiting, so that a full pipe cannot look like a hang.
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut text);
                }
                String::from_utf8_lossy(&text).into_owned()
            })
        };
        let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
        let start = std::time::Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() < limit => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{line} still ran after {limit:?}: a hang");
                }
                Err(e) => panic!("wait for {line}: {e}"),
            }
        };
        Output {
            code: status.code(),
            signal: status.signal(),
            core_dumped: status.core_dumped(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }
}

/// Run `script` with `/bin/sh` inside a new, private mount namespace made by our `unshare`,
/// so that whatever it mounts never reaches the host's mount table. `$U` is our `unshare`,
/// `$D` the directory given.
pub fn sh_in_private_mount_ns(dir: &Path, script: &str) -> Output {
    private_mount_ns(script)
        .env("U", ours("unshare"))
        .env("D", dir)
        .run()
}

/// `script` with `/bin/sh` inside a new, private mount namespace made by our `unshare`, to
/// run once more is added (arguments: `$0` first).
pub fn private_mount_ns(script: &str) -> Run {
    Run::new(ours("unshare")).args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
}

/// Whether the ELF64 image names a program interpreter (a `PT_INTERP` program header): a
/// dynamically linked executable.
fn has_interpreter(image: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let field = |at: usize, len: usize| -> Option<u64> {
        let bytes = image.get(at..at + len)?;
        Some(bytes.iter().rev().fold(0, |v, b| (v << 8) | u64::from(*b)))
    };
    let headers = || -> Option<bool> {
        let (offset, size, count) = (
            usize::try_from(field(0x20, 8)?).ok()?,
            usize::try_from(field(0x36, 2)?).ok()?,
            usize::try_from(field(0x38, 2)?).ok()?,
        );
        Some((0..count).any(|i| field(offset + i * size, 4) == Some(u64::from(PT_INTERP))))
    };
    image.starts_with(b"\x7fELF") && headers().unwrap_or(true)
}

/// The throw-away initramfs of the switch_root tests: a tmpfs made `/` of a private mount
/// namespace (pivot_root, old root detached), with busybox and our switch_root in `/bin`,
/// proc, a tmpfs /dev with a null device, sysfs and a tmpfs /run mounted, and a new root
/// `/new` (a tmpfs with busybox and `proc dev sys` but no `run`). `$SETUP_NEW` runs in the
/// old root before the switch; `$SWITCH` is the switch_root command line.
const SWITCH_ROOT_INITRAMFS: &str = r#"
set -e
mount -t tmpfs nsutils-initramfs "$D"
mkdir "$D/new" "$D/proc" "$D/dev" "$D/sys" "$D/run" "$D/keep" "$D/oldhost"
cp -a "$R/." "$D/"
echo data > "$D/bin/data"
mount -t tmpfs nsutils-newroot "$D/new"
mkdir "$D/new/proc" "$D/new/dev" "$D/new/sys"
cp -a "$R/." "$D/new/"
echo data > "$D/new/bin/data"
mount -t tmpfs nsutils-keep "$D/keep"
echo kept > "$D/keep/file"
cd "$D"
/usr/sbin/pivot_root . oldhost
export PATH=/bin
mount -t proc proc /proc
umount -l /oldhost
rmdir /oldhost
mount -t tmpfs dev /dev
mknod /dev/null c 1 3
mount -t sysfs sys /sys
mount -t tmpfs run /run
eval "$SETUP_NEW"
# A process that keeps the old root as its root, to look into it after the switch; it must
# have opened /dev/null before /dev moves, which it says by making /ready (its inherited
# stdin, the host's /dev/null under the detached /oldhost, reads as /dev/null too, so its
# fd 0 cannot tell).
sh -c ': > /ready; exec sleep 300' </dev/null &
export S=$!
i=0
until [ -e /ready ] || [ $i -gt 3000 ]; do sleep 0.01; i=$((i + 1)); done
rm /ready
grep -c . /proc/self/mountinfo > /run/before
eval "exec $SWITCH"
"#;

/// Our unshare running [`SWITCH_ROOT_INITRAMFS`] in a private mount namespace: the initramfs
/// made in `root` (an empty directory) from `files` ([`initramfs_files`]), with `$SETUP_NEW`
/// and `$SWITCH` (run later, as a command of its own, from `$SWITCH_NOW`).
pub fn switch_root_initramfs(root: &Path, files: &Path, setup_new: &str, switch: &str) -> Run {
    private_mount_ns(SWITCH_ROOT_INITRAMFS)
        .env("D", root)
        .env("R", files)
        .env("SETUP_NEW", setup_new)
        .env("SWITCH", switch)
}

/// Build the busybox root (plus our switch_root) that [`SWITCH_ROOT_INITRAMFS`] copies, or skip.
pub fn initramfs_files(dir: &Path) -> Option<PathBuf> {
    let files = dir.join("files");
    std::fs::create_dir_all(files.join("bin")).unwrap();
    std::fs::copy(ours("switch_root"), files.join("bin/switch_root")).unwrap();
    busybox_root(&files).then_some(files)
}

/// Make `dir` a minimal root file system: Debian's static busybox at `bin/busybox` and a
/// relative link to it for every applet in `bin`. `false` (a skip) without busybox-static.
pub fn busybox_root(dir: &Path) -> bool {
    let busybox = Path::new("/bin/busybox");
    if !have("/bin/busybox", "busybox-static") {
        return false;
    }
    // Debian's plain `busybox` package is dynamically linked: useless inside another root.
    let image = std::fs::read(busybox).unwrap_or_default();
    if has_interpreter(&image) {
        skip("/bin/busybox is dynamically linked (apt-get install busybox-static)");
        return false;
    }
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("mkdir {}: {e}", bin.display()));
    std::fs::copy(busybox, bin.join("busybox")).unwrap_or_else(|e| panic!("copy busybox: {e}"));
    let list = Run::new(busybox).arg0("busybox").args(["--list"]).run();
    for applet in list.ok().lines() {
        // Links already there (our own tools copied in first) win.
        let _ = std::os::unix::fs::symlink("busybox", bin.join(applet));
    }
    true
}

/// A scratch directory, removed at the end of the test (also when it fails).
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("nsutils-test-{}-", std::process::id()))
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot make a scratch directory: {e}"))
}

/// The mount points of this process's mount namespace.
pub fn mount_table() -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .map(|l| l.split(' ').nth(4).unwrap_or_default().to_owned())
        .collect()
}

/// Asserts on drop that the test process's mount table is what it was at creation.
#[derive(Debug)]
pub struct MountTableUnchanged(Vec<String>);

impl MountTableUnchanged {
    /// Take the snapshot.
    pub fn new() -> Self {
        MountTableUnchanged(mount_table())
    }
}

impl Default for MountTableUnchanged {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for MountTableUnchanged {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let now = mount_table();
            let added: Vec<_> = now.iter().filter(|m| !self.0.contains(m)).collect();
            assert!(
                added.is_empty(),
                "mounts left behind in the host's table: {added:?}"
            );
        }
    }
}

/// The target of `/proc/self/ns/<name>` of the test process, e.g. `net:[4026531833]`.
pub fn own_ns(name: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{name}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The running kernel's (major, minor) version, for features that depend on it.
pub fn kernel_version() -> (u32, u32) {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse().ok());
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// How cgroups are laid out where the tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupMode {
    /// cgroup2 only (`cargo xtask vm-test --mode v2`).
    V2,
    /// cgroup v1 only (`--mode v1`).
    V1,
    /// v1 hierarchies plus a cgroup2 mount (this development host, `--mode hybrid`).
    Hybrid,
}

/// The group path for `controller` in a `/proc/PID/cgroup` text: the v1 hierarchy that has
/// it, or the unified one on a v2-only host (empty when there is none).
pub fn group_in(text: &str, controller: &str) -> String {
    let v2 = cgroup_mode() == CgroupMode::V2;
    text.lines()
        .find(|l| {
            if v2 {
                l.starts_with("0::")
            } else {
                l.split(':')
                    .nth(1)
                    .unwrap_or_default()
                    .split(',')
                    .any(|c| c == controller)
            }
        })
        .and_then(|l| l.splitn(3, ':').nth(2))
        .unwrap_or_default()
        .to_owned()
}

/// The cgroup layout: from the mount table (the VM's init also says it in
/// `NSUTILS_CGROUP_MODE`, which must agree).
pub fn cgroup_mode() -> CgroupMode {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let fstypes: Vec<&str> = table
        .lines()
        .filter_map(|l| l.split(" - ").nth(1)?.split(' ').next())
        .collect();
    let v1 = fstypes.contains(&"cgroup");
    let v2 = fstypes.contains(&"cgroup2");
    let mode = match (v1, v2) {
        (true, true) => CgroupMode::Hybrid,
        (true, false) => CgroupMode::V1,
        _ => CgroupMode::V2,
    };
    if let Ok(said) = std::env::var("NSUTILS_CGROUP_MODE") {
        assert_eq!(
            format!("{mode:?}").to_lowercase(),
            said,
            "the VM's cgroup layout is not the one asked for"
        );
    }
    mode
}

/// A test cgroup, `nsutils-test-<pid>-<name>`, removed from every hierarchy when the guard is
/// dropped, also when the test fails: descendants first, any process still inside moved to
/// the root group first. Only groups with this test process's prefix are ever touched.
#[derive(Debug)]
pub struct TestGroup {
    /// The group's name (a path relative to each hierarchy's root).
    pub name: String,
}

impl TestGroup {
    /// A fresh name for this test; nothing is created.
    pub fn new(name: &str) -> Self {
        let group = TestGroup {
            name: format!("nsutils-test-{}-{name}", std::process::id()),
        };
        group.remove();
        group
    }

    /// The group's directory in the hierarchy of `controller` on this host's layout.
    pub fn dir(&self, controller: &str) -> PathBuf {
        cgroup_dir(controller).join(&self.name)
    }

    fn remove(&self) {
        for mount in cgroup_mounts() {
            remove_tree(&mount.join(&self.name), &mount);
        }
    }
}

impl Drop for TestGroup {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Remove the group at `dir` in the hierarchy mounted at `root` with everything below it (what
/// [`TestGroup`] does on drop; also for the groups a script named), moving any process still
/// inside to the hierarchy's root group first.
pub fn remove_tree(dir: &Path, root: &Path) {
    if !dir.is_dir() {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&e.path(), root);
            }
        }
    }
    // A process killed a moment ago may still be leaving the group (the kernel refuses the
    // rmdir with EBUSY until it has): move what is listed and try again, for up to 2 s.
    for _ in 0..100 {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        for pid in procs.lines() {
            let _ = std::fs::write(root.join("cgroup.procs"), pid);
        }
        match std::fs::remove_dir(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::ResourceBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            _ => return,
        }
    }
}

/// The binaries `make install` puts in BINDIR, as the Makefile's BIN_TOOLS lists them.
pub const BIN_TOOLS: [&str; 15] = [
    "unshare",
    "nsenter",
    "lsns",
    "cgcreate",
    "cgset",
    "cgexec",
    "cgdelete",
    "cgget",
    "cgclassify",
    "lscgroup",
    "lssubsys",
    "cgxget",
    "cgxset",
    "cgsnapshot",
    "cgtop",
];

/// The binaries `make install` puts in SBINDIR (SBIN_TOOLS).
pub const SBIN_TOOLS: [&str; 6] = [
    "pivot_root",
    "switch_root",
    "pivot",
    "ovlmount",
    "cgconfigparser",
    "cgrulesengd",
];

/// Every cgroup (v1 and v2) mount point.
pub fn cgroup_mounts() -> Vec<PathBuf> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            matches!(
                l.split(" - ").nth(1).and_then(|r| r.split(' ').next()),
                Some("cgroup" | "cgroup2")
            )
        })
        .filter_map(|l| l.split(' ').nth(4).map(PathBuf::from))
        .collect()
}

/// The directory of the hierarchy that carries `controller` (`/sys/fs/cgroup` on v2).
pub fn cgroup_dir(controller: &str) -> PathBuf {
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for line in table.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut r = right.split(' ');
        let (fstype, super_options) = (r.next(), r.nth(1).unwrap_or_default());
        if fstype == Some("cgroup") && super_options.split(',').any(|o| o == controller) {
            return PathBuf::from(left.split(' ').nth(4).unwrap_or_default());
        }
    }
    // Not on v1: the v2 mount whose root lists it.
    cgroup_mounts()
        .into_iter()
        .find(|m| {
            std::fs::read_to_string(m.join("cgroup.controllers"))
                .is_ok_and(|c| c.split_whitespace().any(|x| x == controller))
        })
        .unwrap_or_else(|| PathBuf::from("/sys/fs/cgroup"))
}

/// libcgroup 3.2.0's `tool`, then ours, on the same arguments, each with `tool` as argv[0]
/// (libcgroup names itself in messages by argv[0]): `prepare` runs before each, so both start
/// from the same state, and `observe` after each, to compare what they left in the kernel's
/// files. Returns (theirs, ours), each with what `observe` saw; `None` (a skip) when the
/// reference is not built.
pub fn libcgroup_and_ours<S: AsRef<OsStr>>(
    tool: &str,
    args: &[S],
    prepare: impl Fn(),
    observe: impl Fn() -> String,
) -> Option<((Output, String), (Output, String))> {
    let theirs = reference(tool)?;
    let mut results = [theirs, ours(tool)].into_iter().map(|program| {
        prepare();
        let out = Run::new(program).arg0(tool).args(args).run();
        (out, observe())
    });
    let theirs = results.next()?;
    let mine = results.next()?;
    Some((theirs, mine))
}

/// Each argument vector of `cases` through [`libcgroup_and_ours`]: the same stdout, stderr
/// and exit status, and the same `observe` after each. False when the reference is not built
/// (a skip).
pub fn same_as_libcgroup(
    tool: &str,
    cases: &[Vec<String>],
    prepare: impl Fn(),
    observe: impl Fn() -> String,
) -> bool {
    for args in cases {
        let Some((theirs, mine)) = libcgroup_and_ours(tool, args, &prepare, &observe) else {
            return false;
        };
        assert_eq!(mine, theirs, "{tool} {args:?}");
    }
    true
}

/// Owned words, for tables of argument vectors.
pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| (*a).to_owned()).collect()
}

/// Whether systemd is PID 1 here (`/run/systemd/system` exists, as `sd_booted()` checks): the
/// systemd guest of `cargo xtask vm-test --mode systemd`.
pub fn systemd_host() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// An ordinary user of this host, who can log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The ordinary user of the systemd guest, named by `NSUTILS_LOGIN_USER` (only the guest's
/// runner sets it: the user exists there, with a subuid/subgid range and lingering enabled,
/// so its `user@UID.service` runs), if any. Panics when the variable names no user in
/// `/etc/passwd`: the guest is broken then, and its tests must not pass by skipping.
pub fn login_user() -> Option<LoginUser> {
    let name = std::env::var("NSUTILS_LOGIN_USER").ok()?;
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let fields = passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && f[0] == name)
        .unwrap_or_else(|| panic!("NSUTILS_LOGIN_USER={name}: no such user in /etc/passwd"));
    let id = |field: &str| {
        field
            .parse()
            .unwrap_or_else(|e| panic!("/etc/passwd: {name}'s id {field:?}: {e}"))
    };
    Some(LoginUser {
        uid: id(fields[2]),
        gid: id(fields[3]),
        name,
    })
}

/// An unprivileged user the rootless tests run as: `nobody` on every host (no subordinate
/// ids, no session), and in the systemd guest also the login user ([`login_user`]) through a
/// real login session, with its own /etc/subuid and /etc/subgid ranges.
#[derive(Debug, Clone)]
pub enum Rootless {
    Nobody,
    Login(LoginUser),
}

impl Rootless {
    /// `nobody`, then the login user where there is one.
    pub fn all() -> Vec<Rootless> {
        let mut users = vec![Rootless::Nobody];
        users.extend(login_user().map(Rootless::Login));
        users
    }

    pub fn uid(&self) -> u32 {
        match self {
            Rootless::Nobody => NOBODY,
            Rootless::Login(user) => user.uid,
        }
    }

    pub fn gid(&self) -> u32 {
        match self {
            Rootless::Nobody => NOBODY,
            Rootless::Login(user) => user.gid,
        }
    }

    /// `program args...` as this user ([`Run::as_nobody`], [`Run::as_login_user`]).
    pub fn run(&self, program: impl AsRef<OsStr>) -> Run {
        match self {
            Rootless::Nobody => Run::as_nobody(program),
            Rootless::Login(user) => Run::as_login_user(user, program),
        }
    }
}

/// A `sleep` of the test's own, killed (by its pid) and reaped when dropped.
#[derive(Debug)]
pub struct Sleeper(std::process::Child);

impl Sleeper {
    /// Start one.
    pub fn new() -> Self {
        Sleeper::with_cwd(Path::new("/"))
    }

    /// Start one whose working directory is `dir` (its `/proc/PID/cwd` leads there).
    pub fn with_cwd(dir: &Path) -> Self {
        let child = Command::new("sleep")
            .arg("100")
            .current_dir(dir)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sleep: {e}"));
        Sleeper(child)
    }

    /// Start one and move it into the group at `dir` (its `cgroup.procs`).
    pub fn new_in(dir: &Path) -> Self {
        let sleeper = Sleeper::new();
        let procs = dir.join("cgroup.procs");
        std::fs::write(&procs, sleeper.pid().to_string())
            .unwrap_or_else(|e| panic!("write {}: {e}", procs.display()));
        sleeper
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Default for Sleeper {
    fn default() -> Self {
        Sleeper::new()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A tool's stderr split into the part util-linux or libcgroup would print and nsutils' one
/// more last line `PROG: hint: HINT` (issue 16), whose HINT is returned when it is there.
pub fn split_hint<'a>(stderr: &'a str, prog: &str) -> (&'a str, Option<&'a str>) {
    let body = stderr.strip_suffix('\n').unwrap_or(stderr);
    let start = body.rfind('\n').map_or(0, |i| i + 1);
    match body[start..].strip_prefix(&format!("{prog}: hint: ")) {
        Some(hint) => (&stderr[..start], Some(hint)),
        None => (stderr, None),
    }
}

/// A shell command prefix that runs the rest as `nobody` with no groups (util-linux's
/// `setpriv`), for tests that script several steps.
pub const AS_NOBODY: &str = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --";

/// The processes whose environment holds `KEY=VALUE`, as (pid, command line): a test marks
/// the processes of a run so in their environment, which every child inherits, and finds any
/// the run left behind, also in other pid namespaces (zombies have no environment to show).
pub fn processes_marked(key: &str, value: &str) -> Vec<(u32, String)> {
    let mark = format!("{key}={value}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ.split(|b| *b == 0).any(|v| v == mark.as_bytes()) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let words: Vec<String> = cmdline
                .split(|b| *b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect();
            found.push((pid, words.join(" ")));
        }
    }
    found
}
