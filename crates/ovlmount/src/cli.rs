//! The command-line definition of `ovlmount`: one clap command per subcommand, each parsed by
//! `sys::cli::Getopt`.

use clap::{Arg, Command, ValueHint};
use sys::cli::{flag, help_flags, optional, required};

/// The usage lines of `--help`.
pub const USAGE: &str = "ovlmount mount [options] <merged>\n ovlmount umount [--lazy] <merged>\n ovlmount list [-J] [<merged>]\n ovlmount diff [-J|--oci] [--lower <dir>...] <upper>|<merged>\n ovlmount import <layer> <dir>";

/// `ovlmount mount`.
pub fn mount() -> Command {
    let dir = |id, short, long, what| {
        required(id, short, long, "dir", what).value_hint(ValueHint::DirPath)
    };
    Command::new("mount")
        .about("Mount an overlay at <merged>.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            dir(
                "lower",
                Some('l'),
                "lower",
                "a lower layer, top first (repeatable;\n:idmap=MAP idmaps it)",
            ),
            dir(
                "upper",
                Some('u'),
                "upper",
                "the upper (writable) layer (:idmap=MAP idmaps it)",
            ),
            dir(
                "work",
                Some('w'),
                "work",
                "the work directory, on the upper's file system",
            ),
            dir(
                "data-lower",
                None,
                "data-lower",
                "a data-only lower layer (repeatable)",
            ),
            flag(
                "create",
                None,
                "create",
                "make missing upper, work and merged directories (0755, work 0700); refuse a link",
            ),
            flag("read-only", None, "read-only", "mount read-only"),
            flag(
                "userxattr",
                None,
                "userxattr",
                "keep overlay's xattrs in user.overlay.* (automatic in a user namespace)",
            ),
            optional(
                "tmpfs-upper",
                None,
                "tmpfs-upper",
                "size",
                "upper and work on a new tmpfs (of at most <size>) that\ngoes away with the overlay",
            ),
            flag(
                "volatile",
                None,
                "volatile",
                "skip syncing the upper layer (lost on a crash)",
            ),
            required(
                "idmap",
                None,
                "idmap",
                "map",
                "idmap every lower layer: [u:|g:|b:]inner:outer:count ... (an\nid that is inner on disk is seen as outer), or a user namespace file",
            )
            .value_hint(ValueHint::Other),
            required(
                "userns",
                None,
                "userns",
                "file",
                "idmap every lower layer with the maps of this user\nnamespace (/proc/PID/ns/user)",
            )
            .value_hint(ValueHint::FilePath),
            required(
                "options",
                Some('o'),
                "options",
                "list",
                "overlay's own options (lowerdir=..,upperdir=..,workdir=..,index=on,...)",
            ),
        ])
        .args(help_flags())
        .arg(
            Arg::new("merged")
                .value_name("merged")
                .value_hint(ValueHint::DirPath)
                .help("where to mount the overlay"),
        )
}

/// `ovlmount umount`.
pub fn umount() -> Command {
    Command::new("umount")
        .about("Unmount the overlay at <merged>.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(flag(
            "lazy",
            None,
            "lazy",
            "detach now, let go when no longer busy",
        ))
        .args(help_flags())
        .arg(Arg::new("merged").value_name("merged"))
}

/// `ovlmount list`.
pub fn list() -> Command {
    Command::new("list")
        .about("List overlay mounts with their layers.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(flag("json", Some('J'), "json", "print JSON"))
        .args(help_flags())
        .arg(Arg::new("merged").value_name("merged"))
}

/// `ovlmount diff`.
pub fn diff() -> Command {
    Command::new("diff")
        .about("Show what an upper layer adds, changes and deletes.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(flag("json", Some('J'), "json", "print JSON"))
        .arg(
            required(
                "lower",
                Some('l'),
                "lower",
                "dir",
                "a lower layer of <upper>, top first (repeatable)",
            )
            .value_hint(ValueHint::DirPath),
        )
        .arg(flag(
            "oci",
            None,
            "oci",
            "write the changes as an OCI layer tar to stdout",
        ))
        .args(help_flags())
        .arg(Arg::new("layer").value_name("upper|merged"))
}

/// `ovlmount import`.
pub fn import() -> Command {
    Command::new("import")
        .about("Unpack an OCI layer tar (plain, gzip or zstd; - for stdin) into <dir> as an overlay lower layer.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(help_flags())
        .arg(
            Arg::new("layer")
                .value_name("layer")
                .value_hint(ValueHint::FilePath),
        )
        .arg(Arg::new("dir").value_name("dir").value_hint(ValueHint::DirPath))
}

/// The whole `ovlmount` command, with its subcommands.
pub fn command() -> Command {
    Command::new("ovlmount")
        .about("Mount, list and inspect overlay file systems.")
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(help_flags())
        .subcommands([mount(), umount(), list(), diff(), import()])
}
