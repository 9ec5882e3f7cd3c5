//! The command-line definition of `unshare`: parsed by `sys::cli::Getopt`, rendered as
//! `--help`, the man page and the shell completions.

use clap::{Arg, Command, ValueHint};
use sys::cli::{flag, optional, required};

/// The usage line of `--help`.
pub const USAGE: &str = "unshare [options] [<program> [<argument>...]]";

/// The options util-linux 2.42.2's unshare does not have (two from util-linux master, two of
/// nsutils'): they never take an abbreviation 2.42.2 gives a meaning (`--c` is `--cgroup`,
/// `--pi` is `--pid`, `--i` is `--ipc`, `--w` is `--wd`).
pub const OWN_OPTIONS: [&str; 4] = ["clear-env", "whitelist-env", "pid-file", "info-fd"];

/// The `unshare` command. The order of the arguments is util-linux's long-option table order,
/// which decides the order of getopt's "ambiguous" list; `display_order` groups them for help.
pub fn command() -> Command {
    let ns = "Namespaces";
    let mnt = "Mounts and root";
    let ids = "User namespace maps and credentials";
    let fork = "Fork and signals";
    let misc = "User namespace and time namespace settings";
    let env = "Environment";
    let handles = "Handles for scripts (nsutils)";
    let file = |id, short, long, what| {
        optional(id, Some(short), long, "file", what)
            .value_hint(ValueHint::FilePath)
            .help_heading(ns)
    };
    let mut args: Vec<Arg> = sys::cli::help_flags().into();
    args.extend([
        file("mount", 'm', "mount", "new mount namespace"),
        file(
            "uts",
            'u',
            "uts",
            "new UTS namespace (host and domain name)",
        ),
        file(
            "ipc",
            'i',
            "ipc",
            "new System V IPC and POSIX message queue namespace",
        ),
        file("net", 'n', "net", "new network namespace"),
        file(
            "pid",
            'p',
            "pid",
            "new pid namespace (for the forked child)",
        ),
        file("user", 'U', "user", "new user namespace"),
        file("cgroup", 'C', "cgroup", "new cgroup namespace"),
        file(
            "time",
            'T',
            "time",
            "new time namespace (for the forked child)",
        ),
        flag(
            "fork",
            Some('f'),
            "fork",
            "run <program> as a child and wait for it",
        )
        .help_heading(fork),
        optional(
            "kill-child",
            None,
            "kill-child",
            "signame",
            "kill the child with <signame> when unshare dies\n  (default SIGKILL; implies --fork)",
        )
        .help_heading(fork),
        flag(
            "forward-signals",
            None,
            "forward-signals",
            "pass SIGINT and SIGTERM on to the child\n  (implies --fork)",
        )
        .help_heading(fork),
        optional(
            "mount-proc",
            None,
            "mount-proc",
            "dir",
            "mount a new proc at <dir> (default /proc)\n  (implies --mount)",
        )
        .value_hint(ValueHint::DirPath)
        .help_heading(mnt),
        optional(
            "mount-binfmt",
            None,
            "mount-binfmt",
            "dir",
            "mount binfmt_misc at <dir> (implies --user\n  and --mount)",
        )
        .value_hint(ValueHint::DirPath)
        .help_heading(mnt),
        required(
            "map-user",
            None,
            "map-user",
            "uid|name",
            "map the current user to <uid> (implies --user)",
        )
        .help_heading(ids),
        required(
            "map-users",
            None,
            "map-users",
            "inner:outer:count",
            "map a range of users; also auto, subids, all\n  (repeatable; implies --user)",
        )
        .help_heading(ids),
        required(
            "map-group",
            None,
            "map-group",
            "gid|name",
            "map the current group to <gid> (implies --user)",
        )
        .help_heading(ids),
        required(
            "map-groups",
            None,
            "map-groups",
            "inner:outer:count",
            "map a range of groups; also auto, subids, all\n  (repeatable; implies --user)",
        )
        .help_heading(ids),
        flag(
            "map-root-user",
            Some('r'),
            "map-root-user",
            "map the current user and group to root\n  (implies --user)",
        )
        .help_heading(ids),
        flag(
            "map-current-user",
            Some('c'),
            "map-current-user",
            "map the current user and group to themselves\n  (implies --user)",
        )
        .help_heading(ids),
        flag(
            "map-auto",
            None,
            "map-auto",
            "map the first subordinate id ranges from 0\n  (implies --user)",
        )
        .help_heading(ids),
        flag(
            "map-subids",
            None,
            "map-subids",
            "map the first subordinate id ranges to\n  themselves (implies --user)",
        )
        .help_heading(ids),
        required(
            "owner",
            None,
            "owner",
            "uid:gid",
            "create the user namespace as <uid>:<gid>\n  (implies --user)",
        )
        .help_heading(ids),
        required(
            "propagation",
            None,
            "propagation",
            "slave|shared|private|unchanged",
            "propagation of / in the new mount namespace",
        )
        .value_parser(["slave", "shared", "private", "unchanged"])
        .help_heading(mnt),
        required(
            "setgroups",
            None,
            "setgroups",
            "allow|deny",
            "allow or deny setgroups(2) in the user namespace",
        )
        .value_parser(["allow", "deny"])
        .help_heading(misc),
        flag(
            "keep-caps",
            None,
            "keep-caps",
            "keep the user namespace's capabilities across exec",
        )
        .help_heading(misc),
        required(
            "setuid",
            Some('S'),
            "setuid",
            "uid",
            "set the uid in the new namespaces",
        )
        .help_heading(ids),
        required(
            "setgid",
            Some('G'),
            "setgid",
            "gid",
            "set the gid in the new namespaces",
        )
        .help_heading(ids),
        required(
            "root",
            Some('R'),
            "root",
            "dir",
            "run <program> with <dir> as its root directory",
        )
        .value_hint(ValueHint::DirPath)
        .help_heading(mnt),
        required("wd", Some('w'), "wd", "dir", "run <program> in <dir>")
            .value_hint(ValueHint::DirPath)
            .help_heading(mnt),
        required(
            "monotonic",
            None,
            "monotonic",
            "offset",
            "CLOCK_MONOTONIC offset in seconds (needs --time)",
        )
        .help_heading(misc),
        required(
            "boottime",
            None,
            "boottime",
            "offset",
            "CLOCK_BOOTTIME offset in seconds (needs --time)",
        )
        .help_heading(misc),
        required(
            "load-interp",
            Some('l'),
            "load-interp",
            "rule",
            "register a binfmt_misc interpreter\n  (implies --mount-binfmt)",
        )
        .help_heading(mnt),
        flag(
            "clear-env",
            None,
            "clear-env",
            "start <program> with an empty environment",
        )
        .help_heading(env),
        required(
            "whitelist-env",
            None,
            "whitelist-env",
            "list",
            "start <program> with only the variables named\n  in the comma-separated <list> (repeatable)",
        )
        .help_heading(env),
        // Last in the table, so that getopt's "ambiguous" lists of util-linux's options keep
        // their order.
        required(
            "pid-file",
            None,
            "pid-file",
            "file",
            "write the pid of the process that runs <program>\n  to <file> once its namespaces exist",
        )
        .value_hint(ValueHint::FilePath)
        .help_heading(handles),
        required(
            "info-fd",
            None,
            "info-fd",
            "fd",
            "write that pid and the new namespaces' inodes\n  to descriptor <fd> as JSON, then close it",
        )
        .help_heading(handles),
        Arg::new("program")
            .value_name("program")
            .num_args(0..)
            .trailing_var_arg(true)
            .value_hint(ValueHint::CommandWithArguments)
            .help("the program to run, with its arguments (default: the login shell)"),
    ]);
    let order = [
        "mount",
        "uts",
        "ipc",
        "net",
        "pid",
        "user",
        "cgroup",
        "time",
        "mount-proc",
        "mount-binfmt",
        "load-interp",
        "propagation",
        "root",
        "wd",
        "setuid",
        "setgid",
        "map-user",
        "map-group",
        "map-root-user",
        "map-current-user",
        "map-auto",
        "map-subids",
        "map-users",
        "map-groups",
        "owner",
        "fork",
        "kill-child",
        "forward-signals",
        "setgroups",
        "keep-caps",
        "monotonic",
        "boottime",
        "clear-env",
        "whitelist-env",
        "pid-file",
        "info-fd",
        "help",
        "version",
    ];
    let args = sys::cli::in_display_order(args, &order);
    Command::new("unshare")
        .about("Run a program with some namespaces unshared from the parent.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(args)
}
