//! The command line of `pivot`, parsed by `sys::cli::Getopt` (options stop at NEWROOT, so
//! the command's own options pass through).

use clap::{Arg, Command, ValueHint};
use sys::cli::{flag, help_flags, required};

/// The usage line of `--help`.
pub const USAGE: &str = "pivot [options] <newroot> [<command> [<argument>...]]";

/// The `pivot` command.
pub fn command() -> Command {
    Command::new("pivot")
        .about(
            "Make a directory the root of this mount namespace and run a command in it.\n\
             When / is the initramfs, which cannot be pivoted, the directory is moved over it\n\
             and chrooted into: the initramfs stays below it, out of reach, not unmounted.",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            flag(
                "force",
                None,
                "force",
                "also in the initial mount (and UTS) namespace,\nwhich changes the whole system",
            ),
            required(
                "put-old",
                None,
                "put-old",
                "dir",
                "keep the old root at <dir> (under <newroot>)\ninstead of detaching it",
            )
            .value_hint(ValueHint::DirPath),
            flag("proc", None, "proc", "mount proc at /proc"),
            flag("sys", None, "sys", "mount sysfs at /sys, read-only"),
            flag(
                "dev",
                None,
                "dev",
                "a tmpfs /dev: the host's null zero full random\nurandom tty, pts, shm and the usual links",
            ),
            flag("tmp", None, "tmp", "mount a tmpfs at /tmp"),
            required(
                "bind",
                None,
                "bind",
                "src:dst[:ro][:idmap=map]",
                "bind the host's <src> at <dst> in the new root\n(repeatable; :ro read-only; :idmap=MAP shows the owners\nthrough MAP, as ovlmount --idmap)",
            ),
            flag("read-only", None, "read-only", "make the new root read-only"),
            required("hostname", None, "hostname", "name", "set the hostname"),
            required(
                "wd",
                Some('w'),
                "wd",
                "dir",
                "working directory in the new root (default /)",
            )
            .value_hint(ValueHint::DirPath),
        ])
        .args(help_flags())
        .args([
            Arg::new("newroot")
                .value_name("newroot")
                .value_hint(ValueHint::DirPath)
                .help("the directory to become /"),
            Arg::new("command")
                .value_name("command")
                .num_args(0..)
                .trailing_var_arg(true)
                .value_hint(ValueHint::CommandWithArguments)
                .help("what to run there (default: $SHELL, else /bin/sh)"),
        ])
}
