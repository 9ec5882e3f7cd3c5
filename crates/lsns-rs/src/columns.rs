//! The 13 columns of util-linux's lsns: names, alignment, width hints and types.

use table::DataType;

/// One output column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// The namespace's inode number.
    Ns,
    /// Its kind (`mnt`, `net`, ...).
    Type,
    /// `/proc/PID/ns/TYPE` of its lowest pid.
    Path,
    /// How many processes are in it.
    Nprocs,
    /// Its lowest pid.
    Pid,
    /// That process's parent.
    Ppid,
    /// That process's command line.
    Command,
    /// That process's uid.
    Uid,
    /// That uid's name.
    User,
    /// The network namespace id.
    NetNsId,
    /// Where the namespace is bind-mounted.
    Nsfs,
    /// The parent namespace's inode.
    Pns,
    /// The owner namespace's inode.
    Ons,
}

impl Column {
    /// Every column, in util-linux's order (`--output-all`, `--list-columns`).
    pub const ALL: [Column; 13] = [
        Column::Ns,
        Column::Type,
        Column::Path,
        Column::Nprocs,
        Column::Pid,
        Column::Ppid,
        Column::Command,
        Column::Uid,
        Column::User,
        Column::NetNsId,
        Column::Nsfs,
        Column::Pns,
        Column::Ons,
    ];

    /// The header, also the name `-o` and `-Q` use (case-insensitively).
    pub fn name(self) -> &'static str {
        match self {
            Column::Ns => "NS",
            Column::Type => "TYPE",
            Column::Path => "PATH",
            Column::Nprocs => "NPROCS",
            Column::Pid => "PID",
            Column::Ppid => "PPID",
            Column::Command => "COMMAND",
            Column::Uid => "UID",
            Column::User => "USER",
            Column::NetNsId => "NETNSID",
            Column::Nsfs => "NSFS",
            Column::Pns => "PNS",
            Column::Ons => "ONS",
        }
    }

    /// The column named `name`, in any case.
    pub fn by_name(name: &str) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// libsmartcols' width hint: the narrowest a column with data as wide as its header gets.
    pub fn width_hint(self) -> f64 {
        match self {
            Column::Ns | Column::Pns | Column::Ons => 10.0,
            Column::Type | Column::Nprocs | Column::Pid | Column::Ppid => 5.0,
            _ => 0.0,
        }
    }

    /// Whether the cells are aligned to the right.
    pub fn right(self) -> bool {
        matches!(
            self,
            Column::Ns
                | Column::Nprocs
                | Column::Pid
                | Column::Ppid
                | Column::Uid
                | Column::NetNsId
                | Column::Pns
                | Column::Ons
        )
    }

    /// The JSON (and filter) type. NETNSID is a string: it may read `unassigned`.
    pub fn data_type(self) -> DataType {
        match self {
            Column::Ns
            | Column::Nprocs
            | Column::Pid
            | Column::Ppid
            | Column::Uid
            | Column::Pns
            | Column::Ons => DataType::Number,
            _ => DataType::String,
        }
    }

    /// What `--list-columns` says of it.
    pub fn description(self) -> &'static str {
        match self {
            Column::Ns => "the namespace's inode number, its identifier",
            Column::Type => "the kind of namespace",
            Column::Path => "the namespace file of its lowest PID",
            Column::Nprocs => "how many processes are in it",
            Column::Pid => "the lowest PID in it",
            Column::Ppid => "the parent PID of that process",
            Column::Command => "the command line of that process",
            Column::Uid => "the UID of that process (or the namespace's owner)",
            Column::User => "the user name of that UID",
            Column::NetNsId => "the id the network stack gives the namespace",
            Column::Nsfs => "where the namespace file is bind-mounted",
            Column::Pns => "the parent namespace's inode number",
            Column::Ons => "the owner (user) namespace's inode number",
        }
    }
}
