//! nsutils-bench: time nsutils' `unshare` against the reference util-linux `unshare` (and,
//! where gcc is at hand, against a minimal C program making the same syscalls).
//!
//! Every scenario runs each contender the same number of times, in alternating order (ours,
//! reference, C, ours, reference, C, ...) so that drifts of the machine hit all of them alike.
//! Each run is timed from just before fork to just after wait4(2), which also gives the
//! child's peak resident set size. Scenarios that run `true` run a second time with
//! `true_min`, a one-syscall static program, so that the exec'd program weighs on neither the
//! time nor the peak RSS. See `bench/README.md` for how to read the output.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use sys::Prog;
use sys::process::{ChildEnd, Forked};

/// The minimal C unshare, embedded so that the runner needs no source tree at run time.
const UNSHARE_MIN_C: &str = include_str!("../c/unshare_min.c");
/// A `true` with no libc and no loader, to take the exec'd program out of the measurement.
const TRUE_MIN_C: &str = include_str!("../c/true_min.c");

// unshare(2) flags (linux/sched.h); the values are the kernel ABI.
const CLONE_NEWNS: u32 = 0x0002_0000;
const CLONE_NEWUTS: u32 = 0x0400_0000;
const CLONE_NEWIPC: u32 = 0x0800_0000;
const CLONE_NEWUSER: u32 = 0x1000_0000;
const CLONE_NEWPID: u32 = 0x2000_0000;
const CLONE_NEWNET: u32 = 0x4000_0000;

// unshare_min's own options, in the low byte of its HEXFLAGS (see c/unshare_min.c).
const C_FORK: u32 = 0x01;
const C_MOUNT_PROC: u32 = 0x02;
const C_MAP_ROOT: u32 = 0x04;
const C_PRIVATE_ROOT: u32 = 0x08;

/// One thing to measure: the options given to both `unshare`s, the command they run, and
/// what the C program is told to do for the same work.
struct Scenario {
    /// unshare's options.
    options: &'static [&'static str],
    /// The program (and its arguments) to run in the new namespaces.
    command: &'static [&'static str],
    /// unshare_min's HEXFLAGS for the same syscalls, or `None` when it has no equivalent.
    c_flags: Option<u32>,
}

/// The scenarios, in the order they run. Add a line to measure something more.
const SCENARIOS: &[Scenario] = &[
    Scenario {
        options: &["-U", "-r"],
        command: &["true"],
        c_flags: Some(CLONE_NEWUSER | C_MAP_ROOT),
    },
    Scenario {
        options: &["-m"],
        command: &["true"],
        c_flags: Some(CLONE_NEWNS | C_PRIVATE_ROOT),
    },
    Scenario {
        options: &["-fpmuin", "--mount-proc"],
        command: &["true"],
        c_flags: Some(
            CLONE_NEWPID
                | CLONE_NEWNS
                | CLONE_NEWUTS
                | CLONE_NEWIPC
                | CLONE_NEWNET
                | C_FORK
                | C_PRIVATE_ROOT
                | C_MOUNT_PROC,
        ),
    },
];

impl Scenario {
    fn name(&self) -> String {
        format!(
            "unshare {} {}",
            self.options.join(" "),
            self.command.join(" ")
        )
    }

    /// The scenario as written.
    fn case(&self) -> Case {
        Case {
            name: self.name(),
            options: strings(self.options),
            command: strings(self.command),
            c_flags: self.c_flags,
        }
    }

    /// The scenario with `true` replaced by `true_min`, if it runs `true`.
    fn case_with_true_min(&self, true_min: &Path) -> Option<Case> {
        (self.command == ["true"]).then(|| Case {
            name: format!("unshare {} true_min", self.options.join(" ")),
            options: strings(self.options),
            command: vec![true_min.display().to_string()],
            c_flags: self.c_flags,
        })
    }
}

/// A scenario made concrete: what the contenders run, under the name it is reported by.
struct Case {
    name: String,
    options: Vec<String>,
    command: Vec<String>,
    c_flags: Option<u32>,
}

impl Case {
    /// The contenders, in the order they take turns: ours, the reference, the C program.
    fn contenders(&self, ours: &Path, reference: &Path, c: Option<&Path>) -> Vec<Contender> {
        let args: Vec<String> = self.options.iter().chain(&self.command).cloned().collect();
        let mut contenders = vec![
            Contender::new("ours", ours, args.clone()),
            Contender::new("ref", reference, args),
        ];
        if let (Some(c), Some(flags)) = (c, self.c_flags) {
            let args = std::iter::once(format!("{flags:x}"))
                .chain(self.command.iter().cloned())
                .collect();
            contenders.push(Contender::new("C", c, args));
        }
        contenders
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

const USAGE: &str = "\
Usage: nsutils-bench [options]

Time nsutils' unshare against the reference unshare (and a minimal C program).

Options:
  --runs N          timed runs of each contender per scenario (default 200)
  --warmup N        untimed runs of each first (default 5, at least 1)
  --ours PATH       our unshare (default: `unshare` next to this program)
  --reference PATH  the reference unshare (default: util-linux 2.42.2 in target/ref)
  --only TEXT       only the scenarios whose command line contains TEXT
  --no-c            build nothing with gcc: no C column, no true_min runs
  -h, --help        this text

Exit status: 0 when every run succeeded, 1 when a run failed or on an error,
2 when our binary or the reference is missing.
";

struct Options {
    runs: usize,
    warmup: usize,
    ours: Option<PathBuf>,
    reference: PathBuf,
    only: Option<String>,
    c: bool,
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Option<Options>> {
    let mut opts = Options {
        runs: 200,
        warmup: 5,
        ours: None,
        reference: Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/ref/util-linux/bin/unshare"),
        only: None,
        c: true,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| anyhow!("invalid argument {a:?}"))?;
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<OsString> {
            match inline.clone() {
                Some(v) => Ok(v.into()),
                None => args
                    .next()
                    .ok_or_else(|| anyhow!("option {name} needs a value")),
            }
        };
        match name.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "--runs" => opts.runs = count(&value()?, "--runs")?,
            "--warmup" => opts.warmup = count(&value()?, "--warmup")?,
            "--ours" => opts.ours = Some(value()?.into()),
            "--reference" => opts.reference = value()?.into(),
            "--only" => {
                opts.only = Some(
                    value()?
                        .into_string()
                        .map_err(|v| anyhow!("invalid --only {v:?}"))?,
                );
            }
            "--no-c" => opts.c = false,
            _ => bail!("unknown argument '{arg}' (try --help)"),
        }
    }
    Ok(Some(opts))
}

fn count(value: &std::ffi::OsStr, option: &str) -> Result<usize> {
    let n: usize = value
        .to_str()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow!("{option} wants a number, not {value:?}"))?;
    if n == 0 {
        bail!("{option} must be at least 1");
    }
    Ok(n)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("nsutils-bench: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<u8> {
    let Some(opts) = parse_args(std::env::args_os().skip(1))? else {
        return Ok(0);
    };
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let exe_dir = exe.parent().unwrap_or(Path::new("."));
    let ours = opts.ours.clone().unwrap_or_else(|| exe_dir.join("unshare"));
    if !ours.is_file() {
        eprintln!(
            "nsutils-bench: our unshare is not at {} (build it with \
             `cargo build --release -p unshare-rs`, or pass --ours PATH)",
            ours.display()
        );
        return Ok(2);
    }
    if !opts.reference.is_file() {
        eprintln!(
            "nsutils-bench: the reference {} does not exist: nothing to compare against \
             (pass --reference PATH)",
            opts.reference.display()
        );
        return Ok(2);
    }
    let scenarios: Vec<&Scenario> = SCENARIOS
        .iter()
        .filter(|s| opts.only.as_ref().is_none_or(|t| s.name().contains(t)))
        .collect();
    if scenarios.is_empty() {
        bail!("no scenario matches --only");
    }

    println!("nsutils-bench");
    println!("  ours:      {}", describe_binary(&ours));
    println!("  reference: {}", describe_binary(&opts.reference));
    let build = |label: &str, name: &str, source: &str, flags: &[&str]| {
        if !opts.c {
            println!("  {label:<10} skipped (--no-c)");
            return None;
        }
        match build_c(exe_dir, name, source, flags) {
            Ok(path) => {
                println!("  {label:<10} {}", describe_binary(&path));
                Some(path)
            }
            Err(why) => {
                println!("  {label:<10} skipped: {why}");
                None
            }
        }
    };
    let c_program = build("C:", "unshare_min", UNSHARE_MIN_C, &["-O2", "-static"]);
    let true_min = build(
        "true_min:",
        "true_min",
        TRUE_MIN_C,
        &["-O2", "-static", "-nostdlib"],
    );
    println!(
        "  runs:      {} timed per contender and scenario, after {} untimed warm-up runs; \
         order alternates",
        opts.runs, opts.warmup
    );
    let proc_text = |path: &str| {
        std::fs::read_to_string(path).map_or_else(|_| "?".to_owned(), |s| s.trim().to_owned())
    };
    println!(
        "  machine:   {} CPUs, kernel {}, load average {} (other work skews the times)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        proc_text("/proc/sys/kernel/osrelease"),
        proc_text("/proc/loadavg")
            .split(' ')
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    flush();

    // The floor under every scenario: the program they all end by running, alone.
    let mut floors = vec![("true".to_owned(), PathBuf::from("true"))];
    floors.extend(true_min.iter().map(|t| ("true_min".to_owned(), t.clone())));
    for (name, program) in floors {
        let mut alone = [Contender::new("floor", &program, Vec::new())];
        let floor = measure(&mut alone, &opts)?
            .pop()
            .map(|(_, s)| s)
            .unwrap_or_default();
        println!(
            "  floor:     `{name}` alone: median {:.3} ms, peak RSS {} KiB{}",
            ms(floor.median()),
            floor.max_rss(),
            failed_note(&floor)
        );
    }
    println!();

    // Each scenario as written, then (when it runs `true`) with `true_min` instead.
    let mut cases: Vec<Case> = scenarios.iter().map(|s| s.case()).collect();
    if let Some(t) = &true_min {
        cases.extend(scenarios.iter().filter_map(|s| s.case_with_true_min(t)));
    }

    let mut results = Vec::new();
    for case in cases {
        let mut contenders = case.contenders(&ours, &opts.reference, c_program.as_deref());
        print!("running {} ...", case.name);
        flush();
        let stats = measure(&mut contenders, &opts)?;
        println!(" done");
        results.push((case.name, stats));
    }
    println!();
    Ok(report(&results, c_program.is_some()))
}

fn flush() {
    let _ = std::io::stdout().flush();
}

/// A program with its arguments, and what its runs gave.
struct Contender {
    label: &'static str,
    program: PathBuf,
    args: Vec<String>,
    stats: Stats,
}

impl Contender {
    fn new(label: &'static str, program: &Path, args: Vec<String>) -> Self {
        Contender {
            label,
            program: program.to_owned(),
            args,
            stats: Stats::default(),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args).stdin(Stdio::null());
        cmd
    }

    fn argv(&self) -> Vec<OsString> {
        std::iter::once(self.program.clone().into_os_string())
            .chain(self.args.iter().map(OsString::from))
            .collect()
    }

    fn command_line(&self) -> String {
        format!("{} {}", self.program.display(), self.args.join(" "))
    }
}

/// The runs of one contender in one scenario. Failed runs are counted, not timed.
#[derive(Default, Clone)]
struct Stats {
    wall: Vec<Duration>,
    rss_kib: Vec<u64>,
    failed: Vec<ChildEnd>,
}

impl Stats {
    fn sorted(&self) -> Vec<Duration> {
        let mut w = self.wall.clone();
        w.sort();
        w
    }

    /// The median wall time (the mean of the middle two for an even count).
    fn median(&self) -> Duration {
        let w = self.sorted();
        match w.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => w[n / 2],
            n => (w[n / 2 - 1] + w[n / 2]) / 2,
        }
    }

    /// The wall time below which `p` percent of the runs fall (nearest rank).
    fn percentile(&self, p: usize) -> Duration {
        let w = self.sorted();
        if w.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p * w.len()).div_ceil(100).clamp(1, w.len());
        w[rank - 1]
    }

    fn mean(&self) -> Duration {
        let n = u32::try_from(self.wall.len()).unwrap_or(u32::MAX).max(1);
        self.wall.iter().sum::<Duration>() / n
    }

    fn max_rss(&self) -> u64 {
        self.rss_kib.iter().copied().max().unwrap_or(0)
    }

    fn median_rss(&self) -> u64 {
        let mut r = self.rss_kib.clone();
        r.sort_unstable();
        r.get(r.len() / 2).copied().unwrap_or(0)
    }
}

/// One run: fork and exec, wait4, and the wall time between the two.
///
/// This is a plain fork(2), not std's posix_spawn: Linux counts the resident pages of the
/// address space a child leaves at exec into its `ru_maxrss`, and under posix_spawn's
/// CLONE_VM that is this whole process; a fork leaves only the few pages this process wrote.
fn run_once(argv: &[OsString]) -> Result<(Duration, ChildEnd, u64)> {
    let start = Instant::now();
    let child = match sys::process::fork()? {
        Forked::Parent(child) => child,
        Forked::Child => {
            let e = sys::process::exec_program(argv);
            e.report(&Prog::new(None, "nsutils-bench"));
            std::process::exit(i32::from(e.status()));
        }
    };
    let (end, usage) = sys::rusage::wait_with_usage(child)?;
    Ok((start.elapsed(), end, usage.max_rss_kib))
}

/// Run each contender once, capturing its output, to make sure it works at all; a failure
/// stops the benchmark (exit status 1) with what the program said.
fn check_works(contender: &Contender) -> Result<()> {
    let out = contender
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run {}", contender.command_line()))?;
    if !out.status.success() {
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let said = match said.trim_end() {
            "" => "no output".to_owned(),
            text => format!("it said:\n{text}"),
        };
        bail!(
            "{} failed ({}), {said}",
            contender.command_line(),
            out.status
        );
    }
    Ok(())
}

/// The warm-up (untimed but checked), then the timed runs, round robin over the contenders.
fn measure(contenders: &mut [Contender], opts: &Options) -> Result<Vec<(&'static str, Stats)>> {
    for c in contenders.iter() {
        check_works(c)?;
    }
    let argvs: Vec<Vec<OsString>> = contenders.iter().map(Contender::argv).collect();
    flush();
    for _ in 1..opts.warmup {
        for (argv, c) in argvs.iter().zip(contenders.iter()) {
            let (_, end, _) = run_once(argv)?;
            if end != ChildEnd::Exited(0) {
                bail!("warm-up run of {} ended with {end:?}", c.command_line());
            }
        }
    }
    for _ in 0..opts.runs {
        for (argv, c) in argvs.iter().zip(contenders.iter_mut()) {
            let (wall, end, rss) = run_once(argv)?;
            if end == ChildEnd::Exited(0) {
                c.stats.wall.push(wall);
                c.stats.rss_kib.push(rss);
            } else {
                c.stats.failed.push(end);
            }
        }
    }
    Ok(contenders
        .iter()
        .map(|c| (c.label, c.stats.clone()))
        .collect())
}

fn failed_note(s: &Stats) -> String {
    if s.failed.is_empty() {
        String::new()
    } else {
        format!(
            " ({} FAILED runs not timed: {:?})",
            s.failed.len(),
            s.failed
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

/// Print the table, the details and the machine-readable lines; the exit status is 1 when
/// a run failed.
fn report(results: &[(String, Vec<(&'static str, Stats)>)], with_c: bool) -> u8 {
    let width = results
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut table = format!(
        "{:width$}  {:>8}  {:>8}  {:>8}",
        "scenario", "ours ms", "ref ms", "ours/ref"
    );
    if with_c {
        let _ = write!(table, "  {:>8}  {:>8}", "C ms", "ours/C");
    }
    let _ = write!(table, "  {:>9}  {:>9}", "ours KiB", "ref KiB");
    if with_c {
        let _ = write!(table, "  {:>9}", "C KiB");
    }
    table.push_str("  verdict\n");

    let mut details =
        String::from("details: wall ms min / median / p90 / mean; peak RSS KiB median / max\n");
    let mut machine = String::new();
    let mut any_failed = false;

    for (name, stats) in results {
        let get = |label: &str| stats.iter().find(|(l, _)| *l == label).map(|(_, s)| s);
        let (Some(ours), Some(reference)) = (get("ours"), get("ref")) else {
            continue;
        };
        let c = get("C");
        let time_ratio = ratio(ms(ours.median()), ms(reference.median()));
        let rss_ratio = ratio(ours.max_rss() as f64, reference.max_rss() as f64);
        let failed: usize = stats.iter().map(|(_, s)| s.failed.len()).sum();
        any_failed |= failed > 0;

        let _ = write!(
            table,
            "{name:width$}  {:>8.3}  {:>8.3}  {:>8.2}",
            ms(ours.median()),
            ms(reference.median()),
            time_ratio
        );
        if with_c {
            match c {
                Some(c) => {
                    let _ = write!(
                        table,
                        "  {:>8.3}  {:>8.2}",
                        ms(c.median()),
                        ratio(ms(ours.median()), ms(c.median()))
                    );
                }
                None => {
                    let _ = write!(table, "  {:>8}  {:>8}", "-", "-");
                }
            }
        }
        let _ = write!(table, "  {:>9}  {:>9}", ours.max_rss(), reference.max_rss());
        if with_c {
            let _ = write!(
                table,
                "  {:>9}",
                c.map_or_else(|| "-".to_owned(), |c| c.max_rss().to_string())
            );
        }
        let mut misses = Vec::new();
        if failed > 0 {
            misses.push(format!("{failed} FAILED runs"));
        }
        if time_ratio.is_nan() || time_ratio > 1.0 {
            misses.push("slower".to_owned());
        }
        if ours.max_rss() > reference.max_rss() {
            misses.push("more RSS".to_owned());
        }
        let verdict = if misses.is_empty() {
            "meets goal".to_owned()
        } else {
            format!("MISSES goal: {}", misses.join(", "))
        };
        let _ = writeln!(table, "  {verdict}");

        let _ = writeln!(details, "  {name}");
        for (label, s) in stats {
            let _ = writeln!(
                details,
                "    {label:<4}  {:.3} / {:.3} / {:.3} / {:.3}   RSS {} / {}   {} runs{}",
                ms(s.percentile(0)),
                ms(s.median()),
                ms(s.percentile(90)),
                ms(s.mean()),
                s.median_rss(),
                s.max_rss(),
                s.wall.len(),
                failed_note(s)
            );
        }

        let _ = write!(
            machine,
            "bench: {name}: median_ratio={time_ratio:.2} rss_ratio={rss_ratio:.2}"
        );
        if let Some(c) = c {
            let _ = write!(
                machine,
                " c_ratio={:.2}",
                ratio(ms(ours.median()), ms(c.median()))
            );
        }
        let _ = writeln!(
            machine,
            " ours_ms={:.3} ref_ms={:.3} ours_rss_kib={} ref_rss_kib={} failed={failed}",
            ms(ours.median()),
            ms(reference.median()),
            ours.max_rss(),
            reference.max_rss()
        );
    }
    print!("{table}\n{details}\n{machine}");
    flush();
    u8::from(any_failed)
}

/// `PATH (N bytes, static|dynamic)`.
fn describe_binary(path: &Path) -> String {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let linking = match std::fs::read(path) {
        Ok(bytes) if has_interp(&bytes) => "dynamic",
        Ok(_) => "static",
        Err(_) => "unreadable",
    };
    format!("{} ({size} bytes, {linking})", path.display())
}

/// Whether an ELF64 file has a PT_INTERP program header, i.e. needs a dynamic loader.
fn has_interp(elf: &[u8]) -> bool {
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if elf.get(..5) != Some(b"\x7fELF\x02") {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return false;
    };
    (0..usize::from(phnum)).any(|i| {
        usize::try_from(phoff)
            .ok()
            .map(|off| off + i * usize::from(phentsize))
            .and_then(|o| elf.get(o..o + 4))
            == Some(&3u32.to_le_bytes()[..])
    })
}

/// The cargo target directory this program was built in: the outermost of its ancestors
/// (up to `target/<triple>/<profile>`) that holds cargo's `CACHEDIR.TAG`.
fn target_dir(exe_dir: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    exe_dir
        .ancestors()
        .take(3)
        .filter(|d| d.join("CACHEDIR.TAG").is_file())
        .last()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Compile an embedded C program with gcc into `target/bench/NAME`; the error says why
/// there is none.
fn build_c(
    exe_dir: &Path,
    name: &str,
    source: &str,
    flags: &[&str],
) -> std::result::Result<PathBuf, String> {
    let dir = target_dir(exe_dir).join("bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let out = dir.join(name);
    let mut gcc = match Command::new("gcc")
        .args(flags)
        .args(["-x", "c", "-", "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(gcc) => gcc,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("gcc is not installed".to_owned());
        }
        Err(e) => return Err(format!("cannot run gcc: {e}")),
    };
    if let Some(mut stdin) = gcc.stdin.take() {
        stdin
            .write_all(source.as_bytes())
            .map_err(|e| format!("cannot feed gcc: {e}"))?;
    }
    let result = gcc
        .wait_with_output()
        .map_err(|e| format!("gcc failed: {e}"))?;
    if !result.status.success() {
        return Err(format!(
            "gcc {} failed ({}): {}",
            flags.join(" "),
            result.status,
            String::from_utf8_lossy(&result.stderr).trim_end()
        ));
    }
    Ok(out)
}
