//! The command-line definition of `nsenter`: parsed by `sys::cli::Getopt`, rendered as
//! `--help`, the man page and the shell completions.

use clap::{Arg, Command, ValueHint};
use sys::cli::{flag, optional_short, required};

/// The usage line of `--help`.
pub const USAGE: &str = "nsenter [options] [<program> [<argument>...]]";

/// The `nsenter` command, options in util-linux's long-option table order (which decides
/// getopt's "ambiguous" list); `display_order` sets the help order.
pub fn command() -> Command {
    let ns = "Namespaces";
    let ctx = "Root, working directory and environment";
    let ids = "Credentials";
    let file = |id, short, long, what| {
        optional_short(id, short, long, "file|:nsid", what)
            .value_hint(ValueHint::FilePath)
            .help_heading(ns)
    };
    let dir = |id, short, long, what| {
        optional_short(id, short, long, "dir", what)
            .value_hint(ValueHint::DirPath)
            .help_heading(ctx)
    };
    let mut args: Vec<Arg> = vec![
        flag(
            "all",
            Some('a'),
            "all",
            "enter every namespace of the target",
        )
        .help_heading(ns),
        required(
            "target",
            Some('t'),
            "target",
            "pid[:inode]",
            "the process whose namespaces to enter\n  (with :inode, its pidfd inode)",
        )
        .help_heading(ns),
        file("mount", 'm', "mount", "enter the mount namespace"),
        file("uts", 'u', "uts", "enter the UTS namespace (host name)"),
        file("ipc", 'i', "ipc", "enter the System V IPC namespace"),
        file("net", 'n', "net", "enter the network namespace"),
        required(
            "net-socket",
            Some('N'),
            "net-socket",
            "fd",
            "enter the network namespace of the target's socket <fd>\n  (needs --target)",
        )
        .help_heading(ns),
        file("pid", 'p', "pid", "enter the pid namespace (forks)"),
        file("user", 'U', "user", "enter the user namespace"),
        file("cgroup", 'C', "cgroup", "enter the cgroup namespace"),
        file("time", 'T', "time", "enter the time namespace"),
        required(
            "setuid",
            Some('S'),
            "setuid",
            "uid|follow",
            "set the uid in the entered namespaces",
        )
        .help_heading(ids),
        required(
            "setgid",
            Some('G'),
            "setgid",
            "gid|follow",
            "set the gid in the entered namespaces",
        )
        .help_heading(ids),
        flag(
            "preserve-credentials",
            None,
            "preserve-credentials",
            "leave uid, gid and groups as they are",
        )
        .help_heading(ids),
        dir(
            "root",
            'r',
            "root",
            "set the root directory (default: the target's)",
        ),
        dir(
            "wd",
            'w',
            "wd",
            "set the working directory (default: the target's)",
        ),
        dir(
            "wdns",
            'W',
            "wdns",
            "set the working directory, as seen inside",
        ),
        flag(
            "env",
            Some('e'),
            "env",
            "take the environment of the target",
        )
        .help_heading(ctx),
        flag(
            "no-fork",
            Some('F'),
            "no-fork",
            "do not fork before executing <program>",
        )
        .help_heading(ns),
        flag(
            "keep-caps",
            None,
            "keep-caps",
            "keep the user namespace's capabilities across exec",
        )
        .help_heading(ids),
        flag(
            "user-parent",
            None,
            "user-parent",
            "enter the parent of the user namespace instead",
        )
        .help_heading(ns),
        flag(
            "join-cgroup",
            Some('c'),
            "join-cgroup",
            "join the target's cgroup (cgroup v2)",
        )
        .help_heading(ctx),
        flag(
            "follow-context",
            Some('Z'),
            "follow-context",
            "take the target's SELinux context\n  (not supported: fails)",
        )
        .help_heading(ctx),
        Arg::new("program")
            .value_name("program")
            .num_args(0..)
            .trailing_var_arg(true)
            .value_hint(ValueHint::CommandWithArguments)
            .help("the program to run, with its arguments (default: the login shell)"),
    ];
    let order = [
        "all",
        "target",
        "mount",
        "uts",
        "ipc",
        "net",
        "net-socket",
        "pid",
        "cgroup",
        "user",
        "user-parent",
        "time",
        "setuid",
        "setgid",
        "preserve-credentials",
        "keep-caps",
        "root",
        "wd",
        "wdns",
        "env",
        "no-fork",
        "join-cgroup",
        "follow-context",
        "help",
        "version",
    ];
    args.extend(sys::cli::help_flags());
    let args = sys::cli::in_display_order(args, &order);
    Command::new("nsenter")
        .about("Run a program in namespaces of other processes.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(args)
}
