//! The command-line definition of `lsns`: parsed by `sys::cli::Getopt`, rendered as `--help`,
//! the man page and the shell completions.

use clap::{Arg, Command};
use sys::cli::{flag, optional_short, required};

/// The usage line of `--help`.
pub const USAGE: &str = "lsns [options] [<namespace ID>]";

/// The `lsns` command, options in util-linux's long-option table order (which decides
/// getopt's "ambiguous" list); `display_order` sets the help order.
pub fn command() -> Command {
    let opts = "Options";
    let args: Vec<Arg> = vec![
        flag("json", Some('J'), "json", "print JSON").help_heading(opts),
        required(
            "task",
            Some('p'),
            "task",
            "pid",
            "only the namespaces process <pid> is in",
        )
        .help_heading(opts),
        flag("help", Some('h'), "help", "display this help").help_heading("Help"),
        required(
            "output",
            Some('o'),
            "output",
            "list",
            "the columns to print (+<list> adds to the default)",
        )
        .help_heading(opts),
        flag("output-all", None, "output-all", "print every column").help_heading(opts),
        flag(
            "persistent",
            Some('P'),
            "persistent",
            "only namespaces no process is in",
        )
        .help_heading(opts),
        required(
            "filter",
            Some('Q'),
            "filter",
            "expr",
            "only the lines <expr> is true for (see scols-filter(5))",
        )
        .help_heading(opts),
        flag(
            "notruncate",
            Some('u'),
            "notruncate",
            "never shorten a column to fit the terminal",
        )
        .help_heading(opts),
        flag("version", Some('V'), "version", "display version").help_heading("Help"),
        flag("noheadings", Some('n'), "noheadings", "print no header line").help_heading(opts),
        flag(
            "nowrap",
            Some('W'),
            "nowrap",
            "keep each cell on one line (NSFS joined with commas)",
        )
        .help_heading(opts),
        flag("list", Some('l'), "list", "print a flat list, not a tree").help_heading(opts),
        flag(
            "raw",
            Some('r'),
            "raw",
            "print unaligned, with special characters escaped",
        )
        .help_heading(opts),
        required(
            "type",
            Some('t'),
            "type",
            "name",
            "only this kind of namespace (mnt, net, ipc, user,\n  pid, uts, cgroup, time); repeatable",
        )
        .value_parser(["mnt", "net", "ipc", "user", "pid", "uts", "cgroup", "time"])
        .help_heading(opts),
        optional_short(
            "tree",
            'T',
            "tree",
            "rel",
            "print a tree of namespaces by owner (default)\n  or parent, or of processes (process)",
        )
        .value_parser(["owner", "parent", "process"])
        .help_heading(opts),
        flag(
            "list-columns",
            Some('H'),
            "list-columns",
            "list the columns and exit",
        )
        .help_heading("Help"),
        Arg::new("nsid")
            .value_name("namespace ID")
            .num_args(0..=1)
            .help("list the processes of this namespace (an inode number) instead"),
    ];
    let order = [
        "json",
        "list",
        "noheadings",
        "output",
        "output-all",
        "persistent",
        "task",
        "filter",
        "raw",
        "notruncate",
        "nowrap",
        "type",
        "tree",
        "list-columns",
        "help",
        "version",
    ];
    let args = sys::cli::in_display_order(args, &order);
    Command::new("lsns")
        .about("List the namespaces of the system.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(args)
}
