//! What one `lsns` run will print, built from the command line before anything is read.

use std::ffi::OsString;

use sys::cli::{self, Getopt, Order};
use sys::ns::NsKind;
use sys::{Error, Prog, Result};
use table::filter::Filter;

use crate::cli::{USAGE, command};
use crate::columns::Column;

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// Print this text (`--help`, `--version`) and exit 0.
    Print(String),
    /// Print the column list (`--list-columns`), as JSON or raw when asked.
    ListColumns {
        /// `--json`.
        json: bool,
        /// `--raw`.
        raw: bool,
    },
    /// List namespaces or processes.
    Run(Box<Plan>),
}

/// Which tree the lines form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    /// A flat list.
    None,
    /// Each process under its parent process (COMMAND carries the tree).
    Process,
    /// Each namespace under its owner user namespace (NS carries the tree).
    Owner,
    /// Each namespace under its parent namespace, else its owner.
    Parent,
}

/// Everything an `lsns` run prints, in data.
#[derive(Debug)]
pub struct Plan {
    /// The columns, in order (duplicates allowed, as in util-linux).
    pub columns: Vec<Column>,
    /// The tree.
    pub tree: Tree,
    /// `--json`.
    pub json: bool,
    /// `--raw`.
    pub raw: bool,
    /// `--noheadings`.
    pub noheadings: bool,
    /// `--notruncate`.
    pub notruncate: bool,
    /// `--nowrap` (also set by `--raw`).
    pub nowrap: bool,
    /// `--persistent`.
    pub persistent: bool,
    /// `--task`.
    pub task: Option<u32>,
    /// The kinds to list (`--type`; all when not given), in [`NsKind::ALL`] order.
    pub kinds: [bool; 8],
    /// The namespace whose processes to list.
    pub nsid: Option<u64>,
    /// `--filter`.
    pub filter: Option<Filter>,
}

impl Plan {
    /// Whether `column` is printed or tested by the filter.
    pub fn uses(&self, column: Column) -> bool {
        self.columns.contains(&column) || self.filter_columns().contains(&column)
    }

    /// The columns the filter names.
    pub fn filter_columns(&self) -> Vec<Column> {
        self.filter
            .as_ref()
            .map(|f| {
                f.holders()
                    .into_iter()
                    .filter_map(Column::by_name)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// util-linux's pairs of options that exclude each other, by clap id. util-linux 2.42 also
/// lists `-l` with `-T`, but out of its ASCII order, so `-T` never takes part and the pair
/// is accepted (the tree wins): it is left out here.
const EXCLUSIVE: &[&[&str]] = &[&["json", "raw"], &["persistent", "task"]];

/// The most columns `-o` may name, as util-linux (twice the number of columns).
const MAX_COLUMNS: usize = 26;

fn kind_by_name(name: &str) -> Option<NsKind> {
    NsKind::ALL.into_iter().find(|k| k.proc_name() == name)
}

/// Parse `-o LIST` onto `columns`: `+LIST` appends, anything else replaces.
fn output_columns(list: &str, columns: &mut Vec<Column>) -> Result<()> {
    let names = match list.strip_prefix('+') {
        Some(rest) => rest,
        None => {
            columns.clear();
            list
        }
    };
    // util-linux allows one trailing comma and nothing else empty.
    let names = names.strip_suffix(',').unwrap_or(names);
    if names.is_empty() {
        return Err(Error::msg(format!("no column names in '{list}'")));
    }
    for name in names.split(',') {
        if name.is_empty() {
            return Err(Error::msg(format!("empty column name in '{list}'")));
        }
        let column =
            Column::by_name(name).ok_or_else(|| Error::msg(format!("unknown column: {name}")))?;
        if columns.len() >= MAX_COLUMNS {
            return Err(Error::msg(format!(
                "too many columns specified, the limit is {MAX_COLUMNS} columns"
            )));
        }
        columns.push(column);
    }
    Ok(())
}

fn parse_tree(value: Option<&str>) -> Result<Tree> {
    let Some(value) = value else {
        return Ok(Tree::Owner);
    };
    // `-T=parent` reaches us with the `=`.
    let value = value.strip_prefix('=').unwrap_or(value);
    match value {
        "owner" => Ok(Tree::Owner),
        "parent" => Ok(Tree::Parent),
        "process" => Ok(Tree::Process),
        other => Err(Error::msg(format!("unknown tree type: {other}"))),
    }
}

/// `-p PID` as util-linux's `strtopid_or_err`: 1 to INT_MAX.
fn parse_task(text: &str) -> Result<u32> {
    let pid = cli::parse_i64_in(text, "invalid PID argument", 1..=i64::from(i32::MAX))?;
    u32::try_from(pid).map_err(|_| Error::msg(format!("invalid PID argument: '{text}'")))
}

/// Build the action from the arguments after argv[0].
pub fn parse(prog: &Prog, args: Vec<OsString>) -> Result<Action> {
    let cmd = command();
    let mut plan = Plan {
        columns: Vec::new(),
        tree: Tree::None,
        json: false,
        raw: false,
        noheadings: false,
        notruncate: false,
        nowrap: false,
        persistent: false,
        task: None,
        kinds: [false; 8],
        nsid: None,
        filter: None,
    };
    let mut force_list = false;
    let mut output: Option<String> = None;
    let mut list_columns = false;
    let mut is_net = false;
    let mut exclusive = cli::Exclusive::new(EXCLUSIVE);
    let mut getopt = Getopt::new(&cmd, args, Order::Permute);
    for opt in getopt.by_ref() {
        let opt = opt?;
        let id = opt.id.as_str();
        exclusive.check(&cmd, id)?;
        let text = opt.text();
        match id {
            "json" => plan.json = true,
            "list" => force_list = true,
            "output" => output = Some(text),
            "output-all" => plan.columns = Column::ALL.to_vec(),
            "persistent" => plan.persistent = true,
            "task" => plan.task = Some(parse_task(&text)?),
            "noheadings" => plan.noheadings = true,
            "raw" => {
                plan.raw = true;
                plan.nowrap = true;
            }
            "notruncate" => plan.notruncate = true,
            "type" => {
                let kind = kind_by_name(&text)
                    .ok_or_else(|| Error::msg(format!("unknown namespace type: {text}")))?;
                plan.kinds[crate::scan::kind_index(kind)] = true;
                is_net |= kind == NsKind::Net;
            }
            "nowrap" => plan.nowrap = true,
            "tree" => plan.tree = parse_tree(opt.value.is_some().then_some(text.as_str()))?,
            "filter" => {
                let filter = Filter::parse(&text)
                    .map_err(|e| Error::msg(format!("failed to parse \"{text}\": {e}")))?;
                plan.filter = Some(filter);
            }
            "list-columns" => list_columns = true,
            "help" => return Ok(Action::Print(cli::help(&cmd, USAGE, "lsns(8)"))),
            "version" => {
                return Ok(Action::Print(cli::version(&prog.name, "util-linux 2.42")));
            }
            other => return Err(Error::msg(format!("unhandled option {other}"))),
        }
    }
    if list_columns {
        return Ok(Action::ListColumns {
            json: plan.json,
            raw: plan.raw,
        });
    }
    if !plan.kinds.contains(&true) {
        plan.kinds = [true; 8];
    }
    let operands = getopt.operands();
    if let Some(nsid) = operands.first() {
        if plan.task.is_some() {
            return Err(Error::msg("--task is mutually exclusive with <namespace>"));
        }
        let text = nsid.to_string_lossy();
        let id = cli::parse_u64(&text, "invalid namespace argument")?;
        plan.nsid = Some(id);
        if plan.tree == Tree::None && !force_list {
            plan.tree = Tree::Process;
        }
        if plan.columns.is_empty() {
            plan.columns = vec![Column::Pid, Column::Ppid, Column::User, Column::Command];
        }
    }
    if plan.columns.is_empty() {
        plan.columns = vec![
            Column::Ns,
            Column::Type,
            Column::Nprocs,
            Column::Pid,
            Column::User,
        ];
        // util-linux adds these when `-t net` is among the types, even with others.
        if is_net {
            plan.columns.extend([Column::NetNsId, Column::Nsfs]);
        }
        plan.columns.push(Column::Command);
        if plan.tree == Tree::None && !force_list {
            plan.tree = Tree::Process;
        }
    }
    if let Some(list) = output {
        output_columns(&list, &mut plan.columns)?;
    }
    if let Some(filter) = &plan.filter {
        // util-linux warns of each unknown column, then gives up.
        let mut lines: Vec<String> = filter
            .holders()
            .into_iter()
            .filter(|h| Column::by_name(h).is_none())
            .map(|h| format!("unknown column: {h}"))
            .collect();
        if !lines.is_empty() {
            lines.push("failed to initialize filter".to_owned());
            return Err(Error::msg(lines.join(&format!("\n{}: ", prog.name))));
        }
    }
    Ok(Action::Run(Box::new(plan)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan> {
        let prog = Prog::new(None, "lsns");
        match parse(&prog, args.iter().map(OsString::from).collect())? {
            Action::Run(p) => Ok(*p),
            other => panic!("not a run: {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        plan(args)
            .map(|p| format!("{p:?}"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn default_columns_and_trees() {
        let p = plan(&[]).unwrap();
        assert_eq!(p.tree, Tree::Process);
        assert_eq!(
            p.columns,
            [
                Column::Ns,
                Column::Type,
                Column::Nprocs,
                Column::Pid,
                Column::User,
                Column::Command
            ]
        );
        let p = plan(&["-t", "net", "-t", "pid"]).unwrap();
        assert!(p.columns.contains(&Column::NetNsId) && p.columns.contains(&Column::Nsfs));
        assert_eq!(plan(&["-l"]).unwrap().tree, Tree::None);
        // --output-all fills the columns first: a flat list.
        assert_eq!(plan(&["--output-all"]).unwrap().tree, Tree::None);
        // -o comes after the defaults: still a process tree.
        let p = plan(&["-o", "ns,PID"]).unwrap();
        assert_eq!(p.tree, Tree::Process);
        assert_eq!(p.columns, [Column::Ns, Column::Pid]);
        let p = plan(&["-o+path", "4026531836"]).unwrap();
        assert_eq!(p.nsid, Some(4026531836));
        assert_eq!(p.columns.last(), Some(&Column::Path));
        assert_eq!(p.columns.len(), 5);
        assert_eq!(plan(&["-T"]).unwrap().tree, Tree::Owner);
        assert_eq!(plan(&["-T=parent"]).unwrap().tree, Tree::Parent);
        assert_eq!(plan(&["--tree=process"]).unwrap().tree, Tree::Process);
        // A separate word after -T is the namespace operand.
        assert_eq!(err(&["-T", "bogus"]), "invalid namespace argument: 'bogus'");
    }

    #[test]
    fn refusals() {
        assert_eq!(err(&["-o", "BOGUS"]), "unknown column: BOGUS");
        assert_eq!(err(&["-t", "bogus"]), "unknown namespace type: bogus");
        assert_eq!(err(&["-Tbogus"]), "unknown tree type: bogus");
        assert_eq!(err(&["-p", "abc"]), "invalid PID argument: 'abc'");
        assert_eq!(
            err(&["-p", "0"]),
            "invalid PID argument: '0': Numerical result out of range"
        );
        assert_eq!(err(&["abc"]), "invalid namespace argument: 'abc'");
        assert_eq!(
            err(&["-p", "1", "5"]),
            "--task is mutually exclusive with <namespace>"
        );
        assert_eq!(
            err(&["-J", "-r"]),
            "options --json and --raw cannot be combined"
        );
        assert_eq!(
            err(&["--raw", "-J"]),
            "options --raw and --json cannot be combined"
        );
        assert_eq!(
            err(&["-p1", "-P"]),
            "options --task and --persistent cannot be combined"
        );
        assert_eq!(plan(&["-T", "-l"]).unwrap().tree, Tree::Owner);
        assert_eq!(plan(&["-l", "-Tparent"]).unwrap().tree, Tree::Parent);
        assert_eq!(plan(&["-p", " +5"]).unwrap().task, Some(5));
        assert_eq!(err(&["-o", "ns,,type"]), "empty column name in 'ns,,type'");
        assert!(err(&["-Q", "NS =="]).starts_with("failed to parse \"NS ==\": "));
        assert_eq!(
            err(&["-Q", "FOO == 1"]),
            "unknown column: FOO\nlsns: failed to initialize filter"
        );
        let many = vec!["NS"; 27].join(",");
        assert!(err(&["-o", &many]).starts_with("too many columns"));
    }
}
