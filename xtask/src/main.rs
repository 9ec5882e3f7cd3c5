//! nsutils' developer tasks, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! `cargo xtask docs` generates, for every tool in [`tools::TOOLS`], the man page
//! `man/<tool>.<section>` and the completions `completions/bash/<tool>`,
//! `completions/zsh/_<tool>` and `completions/fish/<tool>.fish`. The man page's NAME,
//! SYNOPSIS and OPTIONS come from the tool's clap definition (its `cli::command()`), the other
//! sections from a hand-written text file in the tool's crate (format: [`doc`]).
//!
//! `cargo xtask vm-test` runs the integration tests in virtual machines with the cgroup
//! layouts this host lacks: see [`vm`].
//!
//! `cargo xtask fuzz` builds and runs the coverage-guided fuzz targets of `fuzz/`: see
//! [`fuzz`].
//!
//! `cargo xtask docs --check` generates the same files in memory and fails, naming each file,
//! if a committed one differs; the unit test `committed_files_are_current` checks the same.

mod doc;
mod fuzz;
mod man;
mod tools;
mod vm;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap_complete::Shell;

use tools::{FORMATS, TOOLS, Tool};

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  docs            write man/ and completions/ from the clap definitions and crates/*/doc/
  docs --check    fail if a committed file in man/ or completions/ is out of date
  vm-test [--mode v2|v1|hybrid|systemd|all]... [--timeout SECS] [--script FILE] [-- TEST-ARGS...]
                  run the integration tests in a VM per cgroup mode (default: v2 and v1;
                  systemd: a Debian 13 guest with systemd as PID 1, built once as root)
  fuzz [--smoke] [--lint] [--time SECS] [TARGET...]
                  build the fuzz targets of fuzz/ and run each (default 600 s a target,
                  --smoke 15 s); --lint: every target is documented and seeded
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        ["docs"] => write_docs(&root()),
        ["docs", "--check"] => check_docs(&root()),
        ["fuzz", ref rest @ ..] => fuzz::parse(rest).and_then(|opts| fuzz::run(&root(), &opts)),
        ["vm-test", ref rest @ ..] => vm::parse(rest).and_then(|opts| vm::run(&root(), &opts)),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprint!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("xtask: {e:#}");
        ExitCode::FAILURE
    })
}

/// The workspace root, which every generated path is relative to.
fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_owned()
}

/// One file to generate: its path relative to the workspace root, and its contents.
struct Output {
    path: String,
    contents: Vec<u8>,
}

/// Every generated file, for every tool.
fn generate(root: &Path) -> Result<Vec<Output>> {
    let mut out = Vec::new();
    for tool in TOOLS {
        let source = root.join(tool.doc);
        let text = fs::read_to_string(&source)
            .with_context(|| format!("cannot read {}", source.display()))?;
        let doc = doc::parse(&text, true).with_context(|| tool.doc.to_owned())?;
        out.push(Output {
            path: tool.man_path(),
            contents: man::page(tool, &doc)
                .with_context(|| format!("{}: man page", tool.name))?
                .into_bytes(),
        });
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            out.push(completion(tool, shell));
        }
    }
    for format in FORMATS {
        let source = root.join(format.doc);
        let text = fs::read_to_string(&source)
            .with_context(|| format!("cannot read {}", source.display()))?;
        let doc = doc::parse(&text, false).with_context(|| format.doc.to_owned())?;
        out.push(Output {
            path: format.man_path(),
            contents: man::format_page(format, &doc)
                .with_context(|| format!("{}: man page", format.name))?
                .into_bytes(),
        });
    }
    Ok(out)
}

fn completion(tool: &Tool, shell: Shell) -> Output {
    let name = tool.name;
    let path = match shell {
        Shell::Zsh => format!("completions/zsh/_{name}"),
        Shell::Fish => format!("completions/fish/{name}.fish"),
        _ => format!("completions/{shell}/{name}"),
    };
    let mut cmd = tool.command();
    if shell == Shell::Zsh {
        cmd = cmd.mut_args(zsh_value_names);
    }
    let mut contents = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut contents);
    Output { path, contents }
}

/// clap_complete writes value names into zsh's `:message:action` specs as they are, so a
/// name like `inner:outer:count` would split the spec; escape its colons.
fn zsh_value_names(arg: clap::Arg) -> clap::Arg {
    let Some(names) = arg.get_value_names() else {
        return arg;
    };
    if !names.iter().any(|n| n.contains(':')) {
        return arg;
    }
    // clap (without its `string` feature) keeps only `&'static str` names; xtask is a
    // short-lived process, so leaking these few strings is fine.
    let escaped: Vec<&'static str> = names
        .iter()
        .map(|n| &*Box::leak(n.replace(':', "\\:").into_boxed_str()))
        .collect();
    arg.value_names(escaped)
}

fn write_docs(root: &Path) -> Result<ExitCode> {
    for file in generate(root)? {
        let path = root.join(&file.path);
        if fs::read(&path).is_ok_and(|old| old == file.contents) {
            continue;
        }
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        fs::write(&path, &file.contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", file.path);
    }
    Ok(ExitCode::SUCCESS)
}

/// The generated files whose committed copy is missing or differs, with what is wrong.
fn stale(root: &Path) -> Result<Vec<String>> {
    Ok(generate(root)?
        .into_iter()
        .filter_map(|file| match fs::read(root.join(&file.path)) {
            Ok(old) if old == file.contents => None,
            Ok(_) => Some(format!("{} is out of date", file.path)),
            Err(_) => Some(format!("{} is missing", file.path)),
        })
        .collect())
}

fn check_docs(root: &Path) -> Result<ExitCode> {
    let stale = stale(root)?;
    for problem in &stale {
        eprintln!("xtask: {problem}");
    }
    if stale.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("xtask: run `cargo xtask docs` and commit the result");
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_files_are_current() {
        assert_eq!(stale(&root()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn every_tool_has_four_files() {
        let files = generate(&root()).unwrap();
        assert_eq!(files.len(), 4 * TOOLS.len() + FORMATS.len());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths[..4],
            [
                "man/unshare.1",
                "completions/bash/unshare",
                "completions/zsh/_unshare",
                "completions/fish/unshare.fish"
            ]
        );
    }
}
