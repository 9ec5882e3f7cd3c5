//! `cargo xtask vm-test`: the integration tests on real kernels with the cgroup layouts this
//! host does not have.
//!
//! The host is a cgroup *hybrid* machine. This boots Debian's packaged 6.1 kernel under QEMU
//! (KVM when it works, TCG otherwise) with an initramfs built on every run: busybox, the
//! kernel modules the tests need, our freshly built binaries and test executables at their
//! host paths, and the reference tools the side-by-side tests compare with, each with the
//! shared libraries it loads. `tests/vm/init.sh` lays out cgroups for the mode (v2-only with
//! `cgroup_no_v1=all`, v1-only, or hybrid), runs the tests with `NSUTILS_MUST_RUN=1`, and
//! reports their status on the serial console; this side streams the console and exits with
//! that status. A guest that panics, hangs or never reports is a failure, with the console's
//! tail printed.
//!
//! `--mode systemd` boots a real Debian 13 (trixie) instead: its own 6.12 kernel, systemd as
//! PID 1 with the system bus, cgroup v2 as systemd sets it up, and an ordinary user with
//! subuid/subgid ranges and lingering enabled. `tests/vm/systemd/build.sh` builds its root
//! image once (mmdebstrap, as root), cached in `target/vm/systemd-<hash>` keyed by a hash of
//! that directory (the package list and the build code). The same payload as the busybox
//! guests' (tests, binaries, references at their host paths, without the host's userland)
//! travels as a tar on a second disk; `vmtest.service` unpacks and runs it after the boot and
//! reports on the console the same way.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A cgroup layout of the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// cgroup2 only, at /sys/fs/cgroup, every controller enabled (current distributions).
    V2,
    /// One v1 hierarchy per controller, `cpu,cpuacct` co-mounted (older distributions).
    V1,
    /// The v1 layout plus an empty cgroup2 at /sys/fs/cgroup/unified (this host's layout).
    Hybrid,
    /// Debian 13 with systemd as PID 1: cgroup v2 as systemd sets it up, a login user.
    Systemd,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::V2 => "v2",
            Mode::V1 => "v1",
            Mode::Hybrid => "hybrid",
            Mode::Systemd => "systemd",
        }
    }

    fn kernel_args(self) -> &'static str {
        match self {
            Mode::V2 => "cgroup_no_v1=all",
            Mode::V1 | Mode::Hybrid => "",
            // systemd's status lines only: its log lines would repeat each on the console.
            Mode::Systemd => "loglevel=4 systemd.show_status=1 systemd.log_color=0",
        }
    }
}

/// What `vm-test` was asked to do.
#[derive(Debug)]
pub struct Options {
    modes: Vec<Mode>,
    timeout: Duration,
    /// Passed to every test executable (test name filters, `--exact`, ...), or to the script.
    test_args: Vec<String>,
    /// `--script FILE`: run this shell script in the guest instead of the tests, with the
    /// release binaries and the benchmark's comparison tools packed too.
    script: Option<PathBuf>,
    /// `--baselines`: run [`BASELINES`] in the guests too.
    baselines: bool,
}

/// `cargo xtask vm-test [--mode v2|v1|hybrid|systemd|all]... [--timeout SECS] [--baselines]
/// [-- TEST-ARGS...]`.
pub fn parse(args: &[&str]) -> Result<Options> {
    let mut modes = Vec::new();
    let mut timeout = Duration::from_secs(2400);
    let mut test_args = Vec::new();
    let mut script = None;
    let mut baselines = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--mode" => match it.next().copied() {
                Some("v2") => modes.push(Mode::V2),
                Some("v1") => modes.push(Mode::V1),
                Some("hybrid") => modes.push(Mode::Hybrid),
                Some("systemd") => modes.push(Mode::Systemd),
                Some("all") => modes.extend([Mode::V2, Mode::V1, Mode::Hybrid, Mode::Systemd]),
                other => bail!("--mode takes v2, v1, hybrid, systemd or all, not {other:?}"),
            },
            "--timeout" => {
                let secs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .context("--timeout SECS")?;
                timeout = Duration::from_secs(secs);
            }
            "--script" => {
                script = Some(PathBuf::from(it.next().context("--script FILE")?));
            }
            "--baselines" => baselines = true,
            "--" => test_args.extend(it.by_ref().map(|s| (*s).to_owned())),
            other => bail!("unknown vm-test argument {other}"),
        }
    }
    if modes.is_empty() {
        modes = vec![Mode::V2, Mode::V1];
    }
    Ok(Options {
        modes,
        timeout,
        test_args,
        script,
        baselines,
    })
}

/// Build, pack, boot once per mode; the first failing mode's status is ours.
pub fn run(root: &Path, opts: &Options) -> Result<ExitCode> {
    let busybox_modes = opts.modes.iter().any(|m| *m != Mode::Systemd);
    let kernel = if busybox_modes {
        Some(setup(root)?)
    } else {
        None
    };
    let debian = if opts.modes.contains(&Mode::Systemd) {
        Some(debian_image(root)?)
    } else {
        None
    };
    let mut built = build(root)?;
    if opts.script.is_some() {
        let debug_dir = built
            .bins
            .first()
            .and_then(|b| b.parent())
            .context("no binaries were built")?
            .to_path_buf();
        built.release = build_release(root, &debug_dir)?;
    }
    // Per run, so that runs at the same time do not pack into each other's tree.
    let work = root.join(format!("target/vm/run-{}", std::process::id()));
    let result = pack_and_boot(root, kernel.as_ref(), debian.as_ref(), &built, opts, &work);
    let _ = fs::remove_dir_all(&work);
    result
}

fn pack_and_boot(
    root: &Path,
    kernel: Option<&Kernel>,
    debian: Option<&DebianImage>,
    built: &Built,
    opts: &Options,
    work: &Path,
) -> Result<ExitCode> {
    let initrd = work.join("initrd.gz");
    if let Some(kernel) = kernel {
        pack(root, kernel, built, opts, &work.join("root"), &initrd)?;
    }
    let payload = work.join("payload.tar");
    if debian.is_some() {
        pack_payload_disk(root, built, opts, &work.join("payload"), &payload)?;
    }
    let mut status = 0u8;
    for mode in &opts.modes {
        let machine = match (mode, kernel, debian) {
            (Mode::Systemd, _, Some(debian)) => Machine::Debian {
                image: debian,
                payload: &payload,
            },
            (_, Some(kernel), _) => Machine::Busybox {
                kernel,
                initrd: &initrd,
            },
            _ => bail!("no guest for the {} mode", mode.name()),
        };
        eprintln!(
            "xtask vm-test: booting {} ({} mode)",
            machine.kernel().display(),
            mode.name()
        );
        let started = Instant::now();
        let code = boot(&machine, *mode, opts.timeout)?;
        eprintln!(
            "xtask vm-test: {} mode exited {code} after {:.1} s",
            mode.name(),
            started.elapsed().as_secs_f64()
        );
        if status == 0 {
            status = code;
        }
    }
    Ok(ExitCode::from(status))
}

struct Kernel {
    image: PathBuf,
    modules: PathBuf,
}

/// The Debian 13 guest of the systemd mode (`tests/vm/systemd/build.sh`).
struct DebianImage {
    /// Trixie's kernel as an ELF image, booted through PVH.
    vmlinux: PathBuf,
    /// Stage 1: mounts the root disk and starts systemd.
    initrd: PathBuf,
    /// The ext4 root, opened as a snapshot: every boot starts from the pristine image.
    rootfs: PathBuf,
}

/// What one boot runs.
enum Machine<'a> {
    /// Debian's 6.1 kernel with the busybox initramfs, our tests in it.
    Busybox {
        kernel: &'a Kernel,
        initrd: &'a Path,
    },
    /// The Debian 13 guest, the tests on a second disk.
    Debian {
        image: &'a DebianImage,
        payload: &'a Path,
    },
}

impl Machine<'_> {
    fn kernel(&self) -> &Path {
        match self {
            Machine::Busybox { kernel, .. } => &kernel.image,
            Machine::Debian { image, .. } => &image.vmlinux,
        }
    }
}

/// The directory of the systemd guest's build code and package list, whose hash names the
/// cached image.
const DEBIAN_BUILD: &str = "tests/vm/systemd";

/// The systemd guest's image from `target/vm/systemd-<hash>`, built there first when that
/// does not exist (as root: mmdebstrap's root mode, chroot, file ownership in the image).
fn debian_image(root: &Path) -> Result<DebianImage> {
    let status = Command::new("bash")
        .arg(root.join("tests/vm/setup.sh"))
        .arg("--systemd")
        .stdout(Stdio::null())
        .status()
        .context("cannot run tests/vm/setup.sh")?;
    if !status.success() {
        bail!("tests/vm/setup.sh --systemd failed");
    }
    let dir = root.join(format!(
        "target/vm/systemd-{:016x}",
        tree_hash(&root.join(DEBIAN_BUILD))?
    ));
    let image = DebianImage {
        vmlinux: dir.join("vmlinux"),
        initrd: dir.join("initrd.img"),
        rootfs: dir.join("rootfs.img"),
    };
    if [&image.vmlinux, &image.initrd, &image.rootfs]
        .iter()
        .all(|f| f.exists())
    {
        eprintln!("xtask vm-test: Debian 13 image cached in {}", dir.display());
        return Ok(image);
    }
    eprintln!(
        "xtask vm-test: building the Debian 13 image in {}",
        dir.display()
    );
    let started = Instant::now();
    // Built aside and renamed, so that an interrupted build is never taken for a cached one.
    let partial = dir.with_extension("partial");
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial)?;
    let status = Command::new("bash")
        .arg(root.join(DEBIAN_BUILD).join("build.sh"))
        .arg(&partial)
        .status()
        .context("cannot run the image build")?;
    if !status.success() {
        bail!("{DEBIAN_BUILD}/build.sh failed");
    }
    fs::rename(&partial, &dir)?;
    eprintln!(
        "xtask vm-test: Debian 13 image built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(image)
}

/// FNV-1a over the names and contents of the files in `dir`, in name order.
fn tree_hash(dir: &Path) -> Result<u64> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in names {
        let name = path.file_name().map(|n| n.as_encoded_bytes().to_vec());
        for byte in name.unwrap_or_default().into_iter().chain(fs::read(&path)?) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    Ok(hash)
}

/// Install QEMU and busybox and fetch the kernel (tests/vm/setup.sh).
fn setup(root: &Path) -> Result<Kernel> {
    let out = Command::new("bash")
        .arg(root.join("tests/vm/setup.sh"))
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run tests/vm/setup.sh")?;
    if !out.status.success() {
        bail!("tests/vm/setup.sh failed");
    }
    let image = root.join(String::from_utf8_lossy(&out.stdout).trim());
    let version = image
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("vmlinuz-"))
        .context("unexpected kernel image name")?
        .to_owned();
    let modules = root.join("target/vm/kernel/lib/modules").join(version);
    Ok(Kernel { image, modules })
}

struct Built {
    /// The integration test executables.
    tests: Vec<PathBuf>,
    /// Our binaries (the directory the tests find them in).
    bins: Vec<PathBuf>,
    /// Our release binaries, for `--script` (benchmarks).
    release: Vec<PathBuf>,
}

/// `cargo build --release --workspace --bins` and the binaries it made, which land next to
/// the debug ones (`target/<triple>/release`).
fn build_release(root: &Path, debug_dir: &Path) -> Result<Vec<PathBuf>> {
    let status = Command::new("cargo")
        .args(["build", "--quiet", "--release", "--workspace", "--bins"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    let release = debug_dir
        .parent()
        .context("no target directory")?
        .join("release");
    executables_in(&release)
}

/// The executable files (no extension) directly in `dir`.
fn executables_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut bins = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let meta = fs::metadata(&path)?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 && path.extension().is_none() {
            bins.push(path);
        }
    }
    Ok(bins)
}

/// `cargo build --workspace --bins` and the `tests` package's test executables.
fn build(root: &Path) -> Result<Built> {
    let status = Command::new("cargo")
        .args(["build", "--quiet", "--workspace", "--bins"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let out = Command::new("cargo")
        .args([
            "test",
            "--quiet",
            "-p",
            "tests",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        bail!("cargo test --no-run failed");
    }
    let mut tests = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if !line.contains("\"test\":true") || !line.contains("\"kind\":[\"test\"]") {
            continue;
        }
        // `install` checks `make install` and the man pages with man-db: packaging, the same
        // on any kernel, and the guest has neither make nor man.
        if json_string(line, "name").as_deref() == Some("install") {
            continue;
        }
        if let Some(exe) = json_string(line, "executable") {
            tests.push(PathBuf::from(exe));
        }
    }
    let Some(dir) = tests
        .first()
        .and_then(|t| t.parent())
        .and_then(Path::parent)
    else {
        bail!("no integration test executables were built");
    };
    let mut bins = executables_in(dir)?;
    bins.push(build_pam_module(root)?);
    Ok(Built {
        tests,
        bins,
        release: Vec::new(),
    })
}

/// `make pam-debug`: pam_cgroup.so as tests/tests/pam_cgroup.rs loads it (a glibc shared
/// object, built apart from the static binaries: see the Makefile).
fn build_pam_module(root: &Path) -> Result<PathBuf> {
    let status = Command::new("make")
        .args(["--quiet", "pam-debug"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("make pam-debug failed");
    }
    Ok(root.join("target/pam/x86_64-unknown-linux-gnu/debug/libpam_cgroup.so"))
}

fn json_string(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let end = line[start..].find('"')? + start;
    Some(line[start..end].replace("\\\\", "\\"))
}

/// Host programs the tests run, packed with their libraries. Busybox provides the rest. The
/// references the side-by-side tests compare with are the builds in `target/ref`
/// ([`pack_references`]), not these.
const HOST_TOOLS: &[&str] = &[
    "/usr/bin/setpriv",
    "/usr/bin/findmnt",
    "/usr/bin/mount",
    "/usr/bin/umount",
    "/usr/bin/newuidmap",
    "/usr/bin/newgidmap",
    "/usr/bin/ip",
    "/usr/sbin/ip",
    "/usr/bin/script",
    "/usr/bin/bash",
    "/usr/bin/dash",
    "/usr/sbin/pivot_root",
    "/usr/sbin/switch_root",
    // tests/tests/cg_setuid.rs: tools installed with file capabilities.
    "/usr/sbin/setcap",
    // libcgroup's ftests (tests/tests/upstream_suites.rs): their busy loops are perl, found by
    // `ps x`, which busybox's ps does not take.
    "/usr/bin/perl",
    "/usr/bin/ps",
    // tests/tests/ovl_oci.rs: the layers ovlmount imports, compared with umoci's unpacking.
    "/usr/bin/umoci",
    // tests/tests/cgtop_screen.rs: cgtop's screen driven in tmux (which also needs the
    // C.UTF-8 locale, packed below).
    "/usr/bin/tmux",
];

/// What upstream's suites need from the reference sources in `target/ref/src`: util-linux's
/// test scripts for the three tools, their expected outputs and the C helpers they call, and
/// libcgroup's Python ftests.
const UPSTREAM_SUITE_FILES: &[&str] = &[
    "util-linux-2.42.2/tests/functions.sh",
    "util-linux-2.42.2/tests/commands.sh",
    "util-linux-2.42.2/tests/run.sh",
    "util-linux-2.42.2/tests/ts/lsns",
    "util-linux-2.42.2/tests/ts/nsenter",
    "util-linux-2.42.2/tests/ts/unshare",
    "util-linux-2.42.2/tests/expected/lsns",
    "util-linux-2.42.2/tests/expected/nsenter",
    "util-linux-2.42.2/tests/expected/unshare",
    "util-linux-2.42.2/test_mkfds",
    "util-linux-2.42.2/test_sysinfo",
    "util-linux-2.42.2/test_sigreceive",
    "util-linux-2.42.2/test_strerror",
    "libcgroup-3.2.0/tests/ftests",
];

/// Parts of Python's standard library that libcgroup's ftests never import (a third of it:
/// the initramfs is unpacked into the guest's memory).
const PYTHON_UNUSED: &[&str] = &[
    "config-3.11-x86_64-linux-gnu",
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "pydoc_data",
    "distutils",
    "site-packages",
    "dist-packages",
];

/// What `--script` benchmarks compare with, packed with their libraries when installed.
const BENCH_TOOLS: &[&str] = &["/usr/bin/crun", "/usr/bin/bwrap", "/usr/bin/hyperfine"];

/// Modules the tests need, loaded in this order after their dependencies.
const MODULES: &[&str] = &["overlay", "binfmt_misc", "veth"];

fn pack(
    root: &Path,
    kernel: &Kernel,
    built: &Built,
    opts: &Options,
    stage: &Path,
    initrd: &Path,
) -> Result<()> {
    if stage.exists() {
        fs::remove_dir_all(stage)?;
    }
    fs::create_dir_all(stage)?;
    for dir in [
        "usr/bin",
        "usr/sbin",
        "usr/lib",
        "usr/lib64",
        "etc/nsutils-vm",
        "root",
        "tmp",
    ] {
        fs::create_dir_all(stage.join(dir))?;
    }
    for (link, target) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/sbin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
    ] {
        symlink(target, stage.join(link))?;
    }
    // Host tools first: a packed file wins over the busybox applet of the same name.
    let mut libs = BTreeSet::new();
    for tool in HOST_TOOLS {
        let path = Path::new(tool);
        if !path.exists() {
            eprintln!(
                "xtask vm-test: warning: {tool} is not installed; the tests that use it will fail"
            );
            continue;
        }
        add_file(stage, path)?;
        libs.extend(shared_libraries(path)?);
    }
    libs.extend(pack_payload(root, built, stage)?);
    libs.extend(pack_python(stage)?);
    // tmux refuses to start without a UTF-8 locale; glibc finds C.UTF-8 in this directory.
    let c_utf8 = Path::new("/usr/lib/locale/C.utf8");
    if c_utf8.is_dir() {
        add_tree(stage, c_utf8, &[])?;
    }
    for lib in &libs {
        add_file(stage, lib)?;
    }
    // /bin/sh is dash, as on the host: Debian's static busybox runs its own applets before
    // anything in PATH, so its sh would run its unshare, ip, ... instead of the tools under
    // test whenever a script names them.
    symlink("dash", stage.join("usr/bin/sh"))?;
    add_file(stage, Path::new("/bin/busybox"))?;
    let list = Command::new("/bin/busybox").arg("--list-full").output()?;
    let packed: BTreeSet<&str> = HOST_TOOLS
        .iter()
        .filter_map(|t| t.rsplit('/').next())
        .collect();
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        let dest = stage.join(applet.trim_start_matches('/'));
        let name = applet.rsplit('/').next().unwrap_or_default();
        if !packed.contains(name) && fs::symlink_metadata(&dest).is_err() {
            let _ = symlink("/usr/bin/busybox", &dest);
        }
    }
    // The modules, each after what it depends on.
    let mut order = Vec::new();
    for name in MODULES {
        module_with_deps(&kernel.modules, name, &mut order)?;
    }
    let mut module_list = String::new();
    for (i, ko) in order.iter().enumerate() {
        let dest = format!(
            "/lib/modules/nsutils/{i:02}-{}",
            ko.file_name().and_then(|n| n.to_str()).unwrap_or("m.ko")
        );
        fs::create_dir_all(stage.join("usr/lib/modules/nsutils"))?;
        fs::copy(
            ko,
            stage.join(dest.trim_start_matches('/').replacen("lib/", "usr/lib/", 1)),
        )?;
        module_list.push_str(&dest);
        module_list.push('\n');
    }
    fs::write(stage.join("etc/nsutils-vm/modules"), module_list)?;
    // Stage 1 of the guest's init leaves the initramfs with our switch_root, and stage 2
    // checks that it carried the mounts over and cleared the initramfs.
    let switch_root = built
        .bins
        .iter()
        .find(|b| b.file_name().is_some_and(|n| n == "switch_root"))
        .context("switch_root was not built")?;
    fs::write(
        stage.join("etc/nsutils-vm/switch_root"),
        format!("{}\n", switch_root.display()),
    )?;
    write_run_script(root, stage, built, opts, false)?;
    fs::write(
        stage.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    )?;
    fs::write(stage.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")?;
    fs::write(stage.join("etc/subuid"), "")?;
    fs::write(stage.join("etc/subgid"), "")?;
    fs::write(stage.join("etc/hostname"), "nsutils-vm\n")?;
    let init = stage.join("init");
    fs::copy(root.join("tests/vm/init.sh"), &init)?;
    fs::set_permissions(&init, fs::Permissions::from_mode(0o755))?;
    fs::set_permissions(stage.join("tmp"), fs::Permissions::from_mode(0o1777))?;

    let status = Command::new("sh")
        .arg("-c")
        .arg("find . | cpio --quiet -o -H newc -R 0:0 | gzip -1 > \"$1\"")
        .arg("sh")
        .arg(initrd)
        .current_dir(stage)
        .status()?;
    if !status.success() {
        bail!("cannot pack the initramfs");
    }
    Ok(())
}

/// The payload every guest runs: the test executables, our binaries, the example scripts
/// (tests/examples.rs runs them from the checkout), the systemd units of contrib/
/// (tests/services.rs installs them), the runners of upstream's suites with their expected
/// results (tests/upstream_suites.rs) and the references, all at their host paths; returns
/// the libraries the references load.
fn pack_payload(root: &Path, built: &Built, stage: &Path) -> Result<BTreeSet<PathBuf>> {
    for file in built.tests.iter().chain(&built.bins) {
        add_file(stage, file)?;
    }
    for entry in fs::read_dir(root.join("examples"))? {
        add_file(stage, &entry?.path())?;
    }
    for file in [
        "tests/ultests/run.sh",
        "tests/ftests/run.sh",
        "tests/ftests/expected",
        "contrib/systemd/cgconfig.service",
        "contrib/systemd/cgred.service",
    ] {
        add_file(stage, &root.join(file))?;
    }
    pack_references(root, stage)
}

/// The ordinary user of the systemd guest (`tests/vm/systemd/build.sh` creates it).
const LOGIN_USER: &str = "tester";

/// The one ignored test that is not for the systemd guest: it checks the release binaries,
/// which the guest does not carry (tests/tests/faults.rs).
const HOST_ONLY_TEST: &str = "release_binaries_have_no_fault_points";

/// The reference builds' own runs of upstream's suites (tests/tests/upstream_suites.rs): they
/// check the reference and the expected lists, not nsutils, and take about half of a guest's
/// time under TCG, so the guests leave them to the host unless `--baselines` is given. (The
/// sudo ftests' baseline needs systemd as PID 1 and stays in the systemd guest.)
const BASELINES: [&str; 2] = [
    "util_linux_2_42_2_tests_pass_with_util_linux",
    "libcgroup_3_2_0_ftests_give_the_expected_results_with_libcgroup",
];

/// `/etc/nsutils-vm/run`: every test executable (with the libtest arguments given), or the
/// `--script` with the release binaries (and, in the busybox guests, the benchmark's
/// comparison tools); exits 1 if any failed. The systemd guest's run first waits for the
/// boot to finish and for the login user's manager, and sets what the busybox guests' init
/// sets; it runs the tests that need systemd too (`--include-ignored`), but not
/// [`HOST_ONLY_TEST`]. [`BASELINES`] run only with `--baselines`.
fn write_run_script(
    root: &Path,
    stage: &Path,
    built: &Built,
    opts: &Options,
    systemd: bool,
) -> Result<()> {
    let test_args = opts.test_args.join(" ");
    let mut run = String::new();
    let mut libtest = String::from("--test-threads=2");
    if !opts.baselines {
        for baseline in BASELINES {
            libtest.push_str(" --skip ");
            libtest.push_str(baseline);
        }
    }
    if systemd {
        // Every ignored test but the release-build check, which reads the release binaries
        // on the host (.ci/run runs it there).
        libtest.push_str(" --include-ignored --skip ");
        libtest.push_str(HOST_ONLY_TEST);
        run.push_str(&format!(
            "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \\
    NSUTILS_CGROUP_MODE=v2 NSUTILS_VM=1 NSUTILS_MUST_RUN=1 NSUTILS_LOGIN_USER={LOGIN_USER}
# libcgroup's systemd support starts this helper by name when it creates a scope.
idle={refs}/libcgroup/bin/libcgroup_systemd_idle_thread
[ ! -x $idle ] || ln -sf $idle /usr/local/bin/
timeout 300 systemctl is-system-running --wait > /dev/null
uid=$(id -u {LOGIN_USER})
i=0
until [ $i -ge 300 ]; do
    case $(systemctl is-active user@$uid.service) in active | failed) break ;; esac
    sleep 0.2
    i=$((i + 1))
done
systemctl is-active -q user@$uid.service ||
    journalctl -b --no-pager -o cat _SYSTEMD_UNIT=user@$uid.service + UNIT=user@$uid.service | tail -n 40
echo \"nsutils-vm: kernel $(uname -r), $(systemctl --version | head -n 1), system $(systemctl is-system-running), user@$uid.service $(systemctl is-active user@$uid.service) at uptime $(cut -d' ' -f1 /proc/uptime)\"
",
            refs = fs::canonicalize(root.join("target/ref"))
                .unwrap_or_default()
                .display(),
        ));
    }
    run.push_str("rc=0\n");
    if let Some(script) = &opts.script {
        let script = fs::canonicalize(script)
            .with_context(|| format!("cannot resolve {}", script.display()))?;
        add_file(stage, &script)?;
        for file in &built.release {
            add_file(stage, file)?;
        }
        for tool in BENCH_TOOLS.iter().filter(|_| !systemd) {
            let path = Path::new(tool);
            if path.exists() {
                add_file(stage, path)?;
                for lib in shared_libraries(path)? {
                    add_file(stage, &lib)?;
                }
            }
        }
        run.push_str(&format!("sh {} {test_args} || rc=1\n", script.display()));
    }
    for test in built.tests.iter().filter(|_| opts.script.is_none()) {
        run.push_str(&format!(
            "{} {libtest} {test_args} || rc=1\n",
            test.display()
        ));
    }
    run.push_str("exit $rc\n");
    fs::write(stage.join("etc/nsutils-vm/run"), run)?;
    Ok(())
}

/// The systemd guest's payload disk: [`pack_payload`] without the host's userland (the guest
/// has its own, newer, libraries: only those of the reference builds travel), as a raw tar
/// that the guest unpacks at `/`.
fn pack_payload_disk(
    root: &Path,
    built: &Built,
    opts: &Options,
    stage: &Path,
    disk: &Path,
) -> Result<()> {
    if stage.exists() {
        fs::remove_dir_all(stage)?;
    }
    fs::create_dir_all(stage.join("etc/nsutils-vm"))?;
    let system = ["/lib", "/lib64", "/usr/"];
    for lib in pack_payload(root, built, stage)? {
        if !system.iter().any(|dir| lib.starts_with(dir)) {
            add_file(stage, &lib)?;
        }
    }
    write_run_script(root, stage, built, opts, true)?;
    // What is below the top directories, not those: GNU tar gives a directory it unpacks
    // mode 0700 until it is done, and `/` or `/etc` so hidden from users during the boot
    // keeps the user's manager from starting.
    let mut members = Vec::new();
    for top in fs::read_dir(stage)? {
        let top = top?.file_name();
        for entry in fs::read_dir(stage.join(&top))? {
            members.push(Path::new(&top).join(entry?.file_name()));
        }
    }
    let status = Command::new("tar")
        .args(["--owner=0", "--group=0", "-cf"])
        .arg(disk)
        .arg("-C")
        .arg(stage)
        .args(&members)
        .status()?;
    if !status.success() {
        bail!("cannot pack the payload disk");
    }
    // A disk's size is a multiple of its 512-byte sectors.
    let file = fs::OpenOptions::new().write(true).open(disk)?;
    let len = file.metadata()?.len();
    file.set_len(len.div_ceil(512) * 512)?;
    Ok(())
}

/// The reference builds of `scripts/build-refs.sh` (util-linux 2.42.2, libcgroup 3.2.0) at their
/// host paths, so that the side-by-side tests and upstream's suites run in the guest as on the
/// host; returns the libraries they load. Without `target/ref` the tests that need it fail in
/// the guest (`NSUTILS_MUST_RUN=1`) and say how to build it.
fn pack_references(root: &Path, stage: &Path) -> Result<BTreeSet<PathBuf>> {
    let refs = root.join("target/ref");
    let mut libs = BTreeSet::new();
    if !refs.is_dir() {
        eprintln!(
            "xtask vm-test: warning: {} is not built (scripts/build-refs.sh); the tests that use it will fail",
            refs.display()
        );
        return Ok(libs);
    }
    for dir in [
        "util-linux/bin",
        "util-linux/sbin",
        "libcgroup/bin",
        "libcgroup/sbin",
    ] {
        for exe in executables_in(&refs.join(dir))? {
            add_file(stage, &exe)?;
            libs.extend(shared_libraries(&exe)?);
        }
    }
    // 3.2.0's PAM module, beside which tests/tests/pam_cgroup.rs runs ours.
    let pam_module = refs.join("libcgroup/lib/security/pam_cgroup.so");
    if pam_module.exists() {
        add_file(stage, &pam_module)?;
        libs.extend(shared_libraries(&pam_module)?);
    }
    for part in UPSTREAM_SUITE_FILES {
        let path = refs.join("src").join(part);
        if path.is_dir() {
            add_tree(stage, &path, &[])?;
        } else if path.exists() {
            add_file(stage, &path)?;
            libs.extend(shared_libraries(&path)?);
        }
    }
    Ok(libs)
}

/// The host's python3 and its standard library (less [`PYTHON_UNUSED`]), which libcgroup's
/// ftests run on; returns the libraries the interpreter and its extension modules load.
fn pack_python(stage: &Path) -> Result<BTreeSet<PathBuf>> {
    let mut libs = BTreeSet::new();
    let python = Path::new("/usr/bin/python3");
    let Ok(real) = fs::canonicalize(python) else {
        eprintln!("xtask vm-test: warning: python3 is not installed; libcgroup's ftests will fail");
        return Ok(libs);
    };
    add_file(stage, python)?;
    libs.extend(shared_libraries(&real)?);
    let version = real
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("python3");
    let stdlib = Path::new("/usr/lib").join(version);
    add_tree(stage, &stdlib, PYTHON_UNUSED)?;
    for module in fs::read_dir(stdlib.join("lib-dynload"))? {
        libs.extend(shared_libraries(&module?.path())?);
    }
    Ok(libs)
}

/// Every file under `dir` (not under a directory named in `skip`), with [`add_file`].
fn add_tree(stage: &Path, dir: &Path, skip: &[&str]) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            if !skip.contains(&name) {
                add_tree(stage, &path, skip)?;
            }
        } else if path.exists() {
            add_file(stage, &path)?;
        }
    }
    Ok(())
}

/// Copy `src` (following symlinks) to the same path in the stage, keeping its mode bits
/// (newuidmap's setuid bit among them), and recreate the symlink chain at the original path.
fn add_file(stage: &Path, src: &Path) -> Result<()> {
    let real =
        fs::canonicalize(src).with_context(|| format!("cannot resolve {}", src.display()))?;
    let dest = staged(stage, &real);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)?;
    }
    if !dest.exists() {
        fs::copy(&real, &dest).with_context(|| format!("cannot copy {}", real.display()))?;
        let mode = fs::metadata(&real)?.permissions().mode();
        fs::set_permissions(&dest, fs::Permissions::from_mode(mode))?;
    }
    let alias = staged(stage, src);
    if alias != dest && fs::symlink_metadata(&alias).is_err() {
        if let Some(parent) = alias.parent() {
            fs::create_dir_all(parent)?;
        }
        symlink(&real, &alias)?;
    }
    Ok(())
}

/// Where a host path goes in the merged-/usr stage.
fn staged(stage: &Path, path: &Path) -> PathBuf {
    let rel = path.strip_prefix("/").unwrap_or(path);
    let mut parts = rel.components();
    let first = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let rest = parts.as_path();
    match first.as_deref() {
        Some(dir @ ("bin" | "sbin" | "lib" | "lib64")) => stage.join("usr").join(dir).join(rest),
        _ => stage.join(rel),
    }
}

/// The libraries `ldd` says `binary` loads (none for a static one).
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let out = Command::new("ldd").arg(binary).output()?;
    let mut libs = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            libs.push(PathBuf::from(p));
        }
    }
    Ok(libs)
}

/// `name.ko` and, first, the modules its `.modinfo` says it depends on.
fn module_with_deps(tree: &Path, name: &str, order: &mut Vec<PathBuf>) -> Result<()> {
    let index = module_index(tree)?;
    let mut stack = vec![name.to_owned()];
    let mut seen = BTreeMap::new();
    while let Some(m) = stack.pop() {
        let Some(path) = index.get(&m.replace('-', "_")) else {
            bail!("kernel module {m} not found")
        };
        if seen.contains_key(&m) {
            continue;
        }
        let deps = module_depends(path)?;
        let pending: Vec<String> = deps
            .into_iter()
            .filter(|d| !order.iter().any(|p| stem(p) == d.replace('-', "_")))
            .collect();
        if pending.is_empty() {
            seen.insert(m.clone(), ());
            if !order.contains(path) {
                order.push(path.clone());
            }
        } else {
            stack.push(m);
            stack.extend(pending);
        }
    }
    Ok(())
}

fn stem(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.trim_end_matches(".ko").replace('-', "_"))
        .unwrap_or_default()
}

fn module_index(tree: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut index = BTreeMap::new();
    let mut dirs = vec![tree.join("kernel")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "ko") {
                index.insert(stem(&path), path);
            }
        }
    }
    Ok(index)
}

/// The `depends=` field of a module's `.modinfo` section, read straight from the file.
fn module_depends(path: &Path) -> Result<Vec<String>> {
    let bytes = fs::read(path)?;
    let key = b"depends=";
    let Some(at) = bytes.windows(key.len()).position(|w| w == key) else {
        return Ok(Vec::new());
    };
    let rest = &bytes[at + key.len()..];
    let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    Ok(String::from_utf8_lossy(&rest[..end])
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

/// A raw virtio disk of QEMU's `-drive` (a file name's commas doubled, as QEMU wants).
fn drive(file: &Path, options: &str) -> String {
    format!(
        "file={},format=raw,if=virtio,{options}",
        file.display().to_string().replace(',', ",,")
    )
}

/// KVM only where the CPU offers hardware virtualisation and /dev/kvm opens.
fn kvm_usable() -> bool {
    let flags = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let hw = flags
        .lines()
        .any(|l| l.starts_with("flags") && (l.contains(" vmx") || l.contains(" svm")));
    hw && fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// Boot one mode and stream its console; the tests' status, or 124 (timeout) / 125 (no
/// status: a panic or a crash) with the console's tail on stderr.
fn boot(machine: &Machine, mode: Mode, timeout: Duration) -> Result<u8> {
    let accel = if kvm_usable() { "kvm" } else { "tcg" };
    eprintln!("xtask vm-test: accelerator {accel}");
    let mut qemu = Command::new("qemu-system-x86_64");
    qemu.args([
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-no-reboot",
    ])
    .args(["-accel", accel, "-m", "4G", "-smp", "2", "-serial", "stdio"]);
    // TCG's own CPU model lacks features the Debian kernel and systemd look for.
    if accel == "tcg" && mode == Mode::Systemd {
        qemu.args(["-cpu", "max"]);
    }
    let append = match machine {
        Machine::Busybox { kernel, initrd } => {
            qemu.arg("-kernel")
                .arg(&kernel.image)
                .arg("-initrd")
                .arg(initrd);
            format!("console=ttyS0 quiet panic=-1 nsutils.mode={}", mode.name())
        }
        Machine::Debian { image, payload } => {
            qemu.arg("-kernel")
                .arg(&image.vmlinux)
                .arg("-initrd")
                .arg(&image.initrd)
                .arg("-drive")
                .arg(drive(&image.rootfs, "snapshot=on,cache=unsafe"))
                .arg("-drive")
                .arg(drive(payload, "readonly=on"))
                .args(["-device", "virtio-rng-pci"]);
            "console=ttyS0 panic=-1 cryptomgr.notests random.trust_cpu=on".to_owned()
        }
    };
    let mut child = qemu
        .args(["-append", &format!("{append} {}", mode.kernel_args())])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start qemu-system-x86_64 (tests/vm/setup.sh installs it)")?;
    let pid = child.id();
    let stdout = child.stdout.take().context("no console pipe")?;
    let timed_out = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let watchdog = {
        let timed_out = Arc::clone(&timed_out);
        std::thread::spawn(move || {
            if done_rx.recv_timeout(timeout).is_err() {
                timed_out.store(true, Ordering::Relaxed);
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        })
    };
    let mut tail: VecDeque<String> = VecDeque::new();
    let mut code = None;
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).split(b'\n') {
        let line = String::from_utf8_lossy(&line?)
            .trim_end_matches('\r')
            .to_owned();
        // Anywhere in the line: systemd's status output may share it.
        if let Some(n) = line
            .split_once("@@VM-RUN-EXIT=")
            .and_then(|(_, r)| r.split_once("@@"))
            .map(|(n, _)| n)
        {
            code = n.parse::<u8>().ok();
        }
        let _ = writeln!(out, "{line}");
        tail.push_back(line);
        if tail.len() > 60 {
            tail.pop_front();
        }
    }
    let _ = child.wait();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    let show_tail = |why: &str| {
        eprintln!("xtask vm-test: {} mode: {why}; console tail:", mode.name());
        for l in &tail {
            eprintln!("  | {l}");
        }
    };
    match code {
        _ if timed_out.load(Ordering::Relaxed) => {
            show_tail(&format!("no end after {} s", timeout.as_secs()));
            Ok(124)
        }
        Some(c) => Ok(c),
        None => {
            show_tail("the guest never reported a status (kernel panic or crash)");
            Ok(125)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = parse(&[]).unwrap();
        assert_eq!(o.modes, [Mode::V2, Mode::V1]);
        let o = parse(&[
            "--mode",
            "hybrid",
            "--timeout",
            "5",
            "--",
            "binfmt",
            "--exact",
        ])
        .unwrap();
        assert_eq!(o.modes, [Mode::Hybrid]);
        assert_eq!(o.timeout, Duration::from_secs(5));
        assert_eq!(o.test_args, ["binfmt", "--exact"]);
        assert_eq!(
            parse(&["--mode", "all"]).unwrap().modes,
            [Mode::V2, Mode::V1, Mode::Hybrid, Mode::Systemd]
        );
        assert_eq!(
            parse(&["--mode", "v2", "--mode", "systemd"]).unwrap().modes,
            [Mode::V2, Mode::Systemd]
        );
        assert!(parse(&["--mode", "v3"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn the_image_key_follows_names_and_contents() {
        let dir = std::env::temp_dir().join(format!("nsutils-test-{}-hash", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("packages"), "systemd\n").unwrap();
        let first = tree_hash(&dir).unwrap();
        assert_eq!(tree_hash(&dir).unwrap(), first);
        fs::write(dir.join("packages"), "systemd\npython3\n").unwrap();
        let second = tree_hash(&dir).unwrap();
        assert_ne!(second, first);
        fs::rename(dir.join("packages"), dir.join("list")).unwrap();
        assert_ne!(tree_hash(&dir).unwrap(), second);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn host_paths_land_in_a_merged_usr() {
        let stage = Path::new("/s");
        assert_eq!(
            staged(stage, Path::new("/bin/busybox")),
            Path::new("/s/usr/bin/busybox")
        );
        assert_eq!(
            staged(stage, Path::new("/lib64/ld-linux-x86-64.so.2")),
            Path::new("/s/usr/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(
            staged(stage, Path::new("/work/x/target/t")),
            Path::new("/s/work/x/target/t")
        );
    }

    #[test]
    fn cargo_json_and_modinfo() {
        let line =
            r#"{"reason":"compiler-artifact","executable":"/t/deps/unshare-1","fresh":true}"#;
        assert_eq!(
            json_string(line, "executable").as_deref(),
            Some("/t/deps/unshare-1")
        );
        assert_eq!(json_string(line, "missing"), None);
        let dir = std::env::temp_dir().join(format!("nsutils-test-{}-modinfo", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let ko = dir.join("m.ko");
        fs::write(&ko, b"\x7fELF...license=GPL\0depends=a,b-c\0vermagic=6.1\0").unwrap();
        assert_eq!(module_depends(&ko).unwrap(), ["a", "b-c"]);
        fs::write(&ko, b"\x7fELF...license=GPL\0depends=\0").unwrap();
        assert!(module_depends(&ko).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
