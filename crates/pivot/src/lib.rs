//! Changing the root file system: `pivot_root` and `switch_root`, drop-ins for util-linux's,
//! and `pivot`, one safe step into a root file system.

pub mod pivot;
pub mod pivot_root;
pub mod switch_root;

use clap::Command;
use sys::cli::{self, Getopt};
use sys::{Error, Prog, Result};

/// The `-h`/`-V` of util-linux's two-option tools: the text to print when the first option is
/// one of them (both end the run, so only the first one matters).
fn help_or_version(
    getopt: &mut Getopt,
    cmd: &Command,
    prog: &Prog,
    usage: &str,
    man: &str,
) -> Result<Option<String>> {
    let Some(opt) = getopt.next() else {
        return Ok(None);
    };
    match opt?.id.as_str() {
        "help" => Ok(Some(cli::help_at(cmd, usage, man, 16))),
        "version" => Ok(Some(cli::version(&prog.name, "util-linux 2.42"))),
        other => Err(Error::msg(format!("unhandled option {other}"))),
    }
}

/// `prog: MESSAGE` and the --help hint, as util-linux's warnx + errtryhelp (the short name,
/// unlike getopt's messages, which print argv[0]).
fn usage_error(prog: &Prog, message: &str) -> Error {
    Error::Plain {
        text: format!(
            "{0}: {message}\nTry '{0} --help' for more information.",
            prog.name
        ),
        status: 1,
    }
}
