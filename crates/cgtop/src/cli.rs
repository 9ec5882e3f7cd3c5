//! The command-line definition of `cgtop`: parsed by `sys::cli::Getopt`, rendered as `--help`,
//! the man page and the shell completions. The options are systemd-cgtop's where it has them
//! (`-p -t -c -m -i`, `--order`, `-b`, `-n`, `-1`, `-d`, `--depth`, `-r`, `--cpu`), with
//! the same letters and meanings.

use clap::{Arg, ArgAction, Command};
use sys::cli::{flag, optional, required};

/// The usage line of `--help`.
pub const USAGE: &str = "cgtop [options] [<group>]";

/// A short option without a long form.
fn short(id: &'static str, c: char, help: &'static str) -> Arg {
    Arg::new(id).short(c).action(ArgAction::SetTrue).help(help)
}

/// The `cgtop` command.
pub fn command() -> Command {
    let order = "Order";
    let opts = "Options";
    let args: Vec<Arg> =
        vec![
        short("by-path", 'p', "order by group path").help_heading(order),
        short("by-tasks", 't', "order by number of tasks").help_heading(order),
        short("by-cpu", 'c', "order by CPU load (default)").help_heading(order),
        short("by-memory", 'm', "order by memory in use").help_heading(order),
        short("by-io", 'i', "order by I/O rate (read and written)").help_heading(order),
        required(
            "order",
            None,
            "order",
            "key",
            "order by path, tasks, cpu, memory, io, swap,\n  throttle, oom or pressure",
        )
        .help_heading(order),
        flag(
            "reverse",
            Some('R'),
            "reverse",
            "reverse the order (smallest first, paths Z to A)",
        )
        .help_heading(order),
        flag(
            "batch",
            Some('b'),
            "batch",
            "print refreshes as text, read no keys",
        )
        .help_heading(opts),
        flag("json", Some('J'), "json", "print one JSON object per refresh").help_heading(opts),
        required(
            "iterations",
            Some('n'),
            "iterations",
            "N",
            "stop after N refreshes (0: never)",
        )
        .help_heading(opts),
        short("once", '1', "one refresh only (--iterations=1)").help_heading(opts),
        required(
            "delay",
            Some('d'),
            "delay",
            "delay",
            "time between refreshes: seconds, or a number\n  with us, ms, s or min (default 1s)",
        )
        .help_heading(opts),
        required(
            "depth",
            None,
            "depth",
            "N",
            "show groups at most N levels below the top\n  one (default 3)",
        )
        .help_heading(opts),
        flag("flat", None, "flat", "one sorted list, not a tree").help_heading(opts),
        flag(
            "raw",
            Some('r'),
            "raw",
            "print raw numbers (bytes, microseconds)",
        )
        .help_heading(opts),
        optional(
            "cpu",
            None,
            "cpu",
            "how",
            "show CPU use as percentage (default) or time",
        )
        .value_parser(["percentage", "time"])
        .help_heading(opts),
        flag("help", Some('h'), "help", "display this help").help_heading("Help"),
        flag("version", Some('V'), "version", "display version").help_heading("Help"),
        Arg::new("group")
            .value_name("group")
            .num_args(0..=1)
            .help("show only this group and the groups below it"),
    ];
    Command::new("cgtop")
        .about("Show every control group's resource use, limits, throttling and pressure.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(args)
}
