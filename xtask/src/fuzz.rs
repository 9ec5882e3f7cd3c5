//! `cargo xtask fuzz`: the coverage-guided fuzz targets of `fuzz/` (see `fuzz/README.md`).
//!
//! The targets are libFuzzer binaries (the `libfuzzer-sys` crate, which builds libFuzzer with
//! the system's C++ compiler). The stable compiler has no `-Zsanitizer`, but its LLVM passes
//! take the sanitizer-coverage options directly ([`RUSTFLAGS`]): inline 8-bit counters, the
//! PC table and compare tracing are all libFuzzer needs to be guided by coverage. They are
//! built for the glibc host target (libFuzzer is C++ against the system's libstdc++) into
//! `target/fuzz/`.
//!
//! Each target runs with a working corpus in `target/fuzz/corpus/<target>/` (where libFuzzer
//! writes what it finds) and the committed seeds of `fuzz/corpus/<target>/`; a crash, timeout
//! or out-of-memory input goes to `target/fuzz/artifacts/<target>/`, and the run fails.
//! `--lint` checks that every target is listed in `fuzz/README.md`, has seeds and a source.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};

/// The coverage instrumentation of the targets, on the stable compiler: the passes cargo-fuzz
/// asks for with `-Zsanitizer`-less builds, plus the `fuzzing` cfg and the checks a debug
/// build has (an overflow is a finding).
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// The target triple the fuzzers are built for.
const TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// Seconds a target runs: CI's smoke test, and the documented long run.
const SMOKE_SECS: u64 = 15;
const LONG_SECS: u64 = 600;

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    lint: bool,
    secs: u64,
    targets: Vec<String>,
}

/// Parse `[--smoke] [--lint] [--time SECS] [TARGET...]`.
pub fn parse(args: &[&str]) -> Result<Options> {
    let mut options = Options {
        lint: false,
        secs: LONG_SECS,
        targets: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--smoke" => options.secs = SMOKE_SECS,
            "--lint" => options.lint = true,
            "--time" => {
                options.secs = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|s| *s > 0)
                    .context("--time SECS (a whole number above 0)")?;
            }
            other if other.starts_with('-') => bail!("unknown fuzz argument {other}"),
            target => options.targets.push(target.to_owned()),
        }
    }
    Ok(options)
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`: the targets.
fn targets(root: &Path) -> Result<Vec<String>> {
    let manifest = root.join("fuzz/Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let Some(value) = line.strip_prefix("name = ").filter(|_| in_bin) {
            names.push(value.trim_matches('"').to_owned());
        }
    }
    Ok(names)
}

/// The target names of `fuzz/README.md`'s table: its rows' first cells, in backquotes.
fn documented(root: &Path) -> Result<BTreeSet<String>> {
    let readme = root.join("fuzz/README.md");
    let text =
        fs::read_to_string(&readme).with_context(|| format!("cannot read {}", readme.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect())
}

/// Everything that is wrong with the targets' bookkeeping, one problem a line.
fn lint(root: &Path) -> Result<Vec<String>> {
    let targets = targets(root)?;
    let documented = documented(root)?;
    let mut problems = Vec::new();
    for t in &targets {
        if !documented.contains(t) {
            problems.push(format!("{t}: not in the table of fuzz/README.md"));
        }
        if !root.join(format!("fuzz/fuzz_targets/{t}.rs")).is_file() {
            problems.push(format!("{t}: fuzz/fuzz_targets/{t}.rs is missing"));
        }
        let seeds = root.join(format!("fuzz/corpus/{t}"));
        if fs::read_dir(&seeds).map_or(true, |mut d| d.next().is_none()) {
            problems.push(format!("{t}: no seeds in fuzz/corpus/{t}/"));
        }
    }
    for name in &documented {
        if !targets.contains(name) {
            problems.push(format!(
                "{name}: in fuzz/README.md but not a [[bin]] of fuzz/Cargo.toml"
            ));
        }
    }
    let corpus = root.join("fuzz/corpus");
    for entry in
        fs::read_dir(&corpus).with_context(|| format!("cannot read {}", corpus.display()))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !targets.contains(&name) {
            problems.push(format!("fuzz/corpus/{name}/ belongs to no target"));
        }
    }
    Ok(problems)
}

/// How one target's run went, from libFuzzer's output.
#[derive(Debug, Default, PartialEq, Eq)]
struct Report {
    executions: u64,
    coverage: u64,
    features: u64,
    corpus: u64,
}

/// The last `cov:`/`ft:`/`corp:` figures and the executions of libFuzzer's final statistics.
fn report(log: &str) -> Report {
    let mut r = Report::default();
    let after = |line: &str, key: &str| -> Option<u64> {
        let rest = line.split_once(key)?.1.trim_start();
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    for line in log.lines() {
        if line.starts_with('#') {
            r.coverage = after(line, "cov:").unwrap_or(r.coverage);
            r.features = after(line, "ft:").unwrap_or(r.features);
            r.corpus = after(line, "corp:").unwrap_or(r.corpus);
        }
        if let Some(n) = after(line, "stat::number_of_executed_units:") {
            r.executions = n;
        }
    }
    r
}

fn build(root: &Path) -> Result<PathBuf> {
    let target_dir = root.join("target/fuzz");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(root.join("fuzz"))
        .env("RUSTFLAGS", RUSTFLAGS)
        .args([
            "build",
            "--release",
            "--bins",
            "--target",
            TRIPLE,
            "--target-dir",
        ])
        .arg(&target_dir)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building the fuzz targets failed");
    }
    Ok(target_dir.join(TRIPLE).join("release"))
}

/// Run one target for `secs` seconds; its log goes to `target/fuzz/logs/<target>.log`.
fn run_target(root: &Path, bins: &Path, target: &str, secs: u64) -> Result<(Report, Vec<PathBuf>)> {
    let fuzz = root.join("target/fuzz");
    let corpus = fuzz.join("corpus").join(target);
    let artifacts = fuzz.join("artifacts").join(target);
    let logs = fuzz.join("logs");
    for dir in [&corpus, &artifacts, &logs] {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let log_path = logs.join(format!("{target}.log"));
    let log = fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let mut prefix = artifacts.clone().into_os_string();
    prefix.push("/");
    let status = Command::new(bins.join(target))
        .arg(&corpus)
        .arg(root.join("fuzz/corpus").join(target))
        .arg(format!("-max_total_time={secs}"))
        .arg({
            let mut a = std::ffi::OsString::from("-artifact_prefix=");
            a.push(&prefix);
            a
        })
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .status()
        .with_context(|| format!("cannot run the {target} fuzzer"))?;
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let mut found: Vec<PathBuf> = fs::read_dir(&artifacts)?
        .flatten()
        .map(|e| e.path())
        .collect();
    found.sort();
    if !status.success() && found.is_empty() {
        bail!(
            "the {target} fuzzer failed ({status}); see {}",
            log_path.display()
        );
    }
    Ok((report(&text), found))
}

/// `cargo xtask fuzz`: lint, or build and run the targets.
pub fn run(root: &Path, options: &Options) -> Result<ExitCode> {
    if options.lint {
        let problems = lint(root)?;
        for p in &problems {
            eprintln!("xtask: {p}");
        }
        return Ok(if problems.is_empty() {
            println!(
                "fuzz: {} targets, each documented and seeded",
                targets(root)?.len()
            );
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let all = targets(root)?;
    for t in &options.targets {
        if !all.contains(t) {
            bail!("no fuzz target {t} (targets: {})", all.join(" "));
        }
    }
    let chosen = if options.targets.is_empty() {
        &all
    } else {
        &options.targets
    };
    let bins = build(root)?;
    println!(
        "{:<16} {:>12} {:>6} {:>7} {:>6}  result",
        "target", "executions", "cov", "ft", "corpus"
    );
    let mut failed = false;
    for target in chosen {
        let (r, found) = run_target(root, &bins, target, options.secs)?;
        let result = if found.is_empty() {
            "ok".to_owned()
        } else {
            failed = true;
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "{target:<16} {:>12} {:>6} {:>7} {:>6}  {result}",
            r.executions, r.coverage, r.features, r.corpus
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let o = parse(&["--smoke", "cli"]).unwrap();
        assert_eq!(
            (o.lint, o.secs, o.targets),
            (false, SMOKE_SECS, vec!["cli".into()])
        );
        assert_eq!(parse(&["--time", "60"]).unwrap().secs, 60);
        assert!(parse(&["--time", "0"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn reads_libfuzzers_figures() {
        let log = "#2\tINITED cov: 10 ft: 12 corp: 1/1b exec/s: 0 rss: 30Mb\n\
                   #1024\tNEW    cov: 42 ft: 99 corp: 7/80b lim: 4 exec/s: 0 rss: 31Mb\n\
                   stat::number_of_executed_units: 123456\n";
        assert_eq!(
            report(log),
            Report {
                executions: 123_456,
                coverage: 42,
                features: 99,
                corpus: 7
            }
        );
    }

    #[test]
    fn every_target_is_documented_and_seeded() {
        assert_eq!(lint(&crate::root()).unwrap(), Vec::<String>::new());
    }
}
