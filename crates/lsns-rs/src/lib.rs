//! `lsns`: list namespaces, as util-linux 2.42's `lsns(8)` does.
//!
//! [`cli::command`] defines the command line, [`plan::parse`] turns it into a [`plan::Plan`],
//! [`scan::scan`] reads the machine, and [`execute`] prints what the plan asks for, line by
//! line in util-linux's order (which decides where tree branches hang).

pub mod cli;
pub mod columns;
pub mod plan;
pub mod scan;

use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;

use sys::netnsid::NetNsId;
use sys::{Error, Prog, Result, Status};
use table::{ColumnSpec, DataType, LineId, Table};

use columns::Column;
use plan::{Action, Plan, Tree};
use scan::{OWNER, PARENT, Snapshot, Wanted, kind_index};

/// The tool's entry point: parse, then print.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match plan::parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::ListColumns { json, raw } => print_table(&column_list(json, raw)),
        Action::Run(plan) => execute(&plan),
    }
}

/// Read the machine and print what `plan` asks for.
pub fn execute(plan: &Plan) -> Result<Status> {
    let owner_or_parent = matches!(plan.tree, Tree::Owner | Tree::Parent);
    let wanted = Wanted {
        kinds: plan.kinds,
        related: owner_or_parent || plan.uses(Column::Pns) || plan.uses(Column::Ons),
        netnsid: plan.uses(Column::NetNsId),
        nsid: plan.nsid,
        commands: plan.uses(Column::Command),
    };
    let mut snap = scan::scan(wanted)?;
    if owner_or_parent {
        snap.connect(plan.kinds);
    }
    let mut lines = Lines::new(plan, &snap);
    match plan.nsid {
        Some(id) => {
            let n = snap
                .get(id)
                .ok_or_else(|| Error::msg(format!("not found namespace: {id}")))?;
            lines.processes_of(n)?;
        }
        None => lines.namespaces()?,
    }
    print_table(&lines.table)
}

fn print_table(table: &Table) -> Result<Status> {
    let mut out = std::io::stdout().lock();
    table
        .print(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::os("write error", &e))?;
    Ok(0)
}

/// `--list-columns`: each column's name, type and description.
fn column_list(json: bool, raw: bool) -> Table {
    let mut table = Table::new("lsns-columns");
    table.set_noheadings(true);
    table.set_json(json);
    table.set_raw(raw);
    for (name, right) in [("HOLDER", true), ("TYPE", false), ("DESCRIPTION", false)] {
        table.add_column(spec(name, 0.0, right, DataType::String));
    }
    for c in Column::ALL {
        let line = table.add_line(None);
        table.set(line, 0, c.name());
        let kind = match c.data_type() {
            DataType::Number => "<integer>",
            DataType::Float => "<float>",
            DataType::Boolean => "<boolean>",
            DataType::String => "<string>",
        };
        table.set(line, 1, kind);
        table.set(line, 2, c.description());
    }
    table
}

fn spec(name: &str, width_hint: f64, right: bool, data_type: DataType) -> ColumnSpec {
    ColumnSpec {
        name: name.to_owned(),
        width_hint,
        right,
        trunc: false,
        wrap_lines: false,
        tree: false,
        hidden: false,
        data_type,
    }
}

/// The output table being filled, and which line each process and namespace got last (the
/// parent of the lines added after it).
struct Lines<'a> {
    plan: &'a Plan,
    snap: &'a Snapshot,
    table: Table,
    proc_line: Vec<Option<LineId>>,
    ns_line: Vec<Option<LineId>>,
    users: HashMap<u32, String>,
}

impl<'a> Lines<'a> {
    fn new(plan: &'a Plan, snap: &'a Snapshot) -> Self {
        let mut table = Table::new("namespaces");
        table.set_json(plan.json);
        table.set_raw(plan.raw);
        table.set_noheadings(plan.noheadings);
        table.set_ascii(!sys::display::locale_is_utf8());
        table.set_terminal(sys::display::stdout_terminal_width());
        for &c in &plan.columns {
            let mut s = spec(c.name(), c.width_hint(), c.right(), c.data_type());
            s.trunc = c == Column::Command && !plan.notruncate;
            s.wrap_lines = c == Column::Nsfs && !plan.nowrap;
            if plan.tree == Tree::Process && c == Column::Command {
                s.tree = true;
            }
            if matches!(plan.tree, Tree::Owner | Tree::Parent) && c == Column::Ns {
                s.tree = true;
                s.right = false;
            }
            table.add_column(s);
        }
        Lines {
            plan,
            snap,
            table,
            proc_line: vec![None; snap.processes.len()],
            ns_line: vec![None; snap.namespaces.len()],
            users: HashMap::new(),
        }
    }

    /// The namespace list: each namespace once, in inode order, owners and parents first in
    /// the owner and parent trees.
    fn namespaces(&mut self) -> Result<()> {
        for n in 0..self.snap.namespaces.len() {
            let ns = &self.snap.namespaces[n];
            if let Some(task) = self.plan.task {
                let inside = self
                    .snap
                    .process(task)
                    .is_some_and(|p| p.ns[kind_index(ns.kind)] == ns.id);
                if !inside {
                    continue;
                }
            }
            if self.plan.persistent && ns.nprocs != 0 {
                continue;
            }
            if self.ns_line[n].is_none() {
                self.show_namespace(n)?;
            }
        }
        Ok(())
    }

    fn show_namespace(&mut self, n: usize) -> Result<()> {
        let related = self.snap.namespaces[n].related;
        let first = match self.plan.tree {
            Tree::Owner => related[OWNER],
            Tree::Parent => related[PARENT].or(related[OWNER]),
            _ => None,
        };
        if let Some(up) = first.filter(|&up| self.ns_line[up].is_none()) {
            self.show_namespace(up)?;
        }
        self.add_line(n, self.snap.namespaces[n].proc)
    }

    /// The processes of namespace `n`, in pid order, each under its parent when that is in
    /// the same namespace.
    fn processes_of(&mut self, n: usize) -> Result<()> {
        let ns = &self.snap.namespaces[n];
        let k = kind_index(ns.kind);
        for p in 0..self.snap.processes.len() {
            if self.snap.processes[p].ns[k] == ns.id && self.proc_line[p].is_none() {
                self.show_process(p, n)?;
            }
        }
        Ok(())
    }

    fn show_process(&mut self, p: usize, n: usize) -> Result<()> {
        let k = kind_index(self.snap.namespaces[n].kind);
        let procs = &self.snap.processes;
        if self.plan.tree == Tree::Process {
            if let Some(pp) = procs[p].parent {
                if self.proc_line[pp].is_none() && procs[pp].ns[k] == procs[p].ns[k] {
                    self.show_process(pp, n)?;
                }
            }
        }
        self.add_line(n, Some(p))
    }

    fn add_line(&mut self, n: usize, proc: Option<usize>) -> Result<()> {
        let ns = &self.snap.namespaces[n];
        let parent = match self.plan.tree {
            Tree::Process => proc
                .and_then(|p| self.snap.processes[p].parent)
                .and_then(|pp| self.proc_line[pp]),
            Tree::Parent => ns.related[PARENT].and_then(|r| self.ns_line[r]),
            Tree::Owner => ns.related[OWNER].and_then(|r| self.ns_line[r]),
            Tree::None => None,
        };
        if let Some(filter) = &self.plan.filter {
            let matched = filter.matches(|name: &str| match Column::by_name(name) {
                Some(c) => (c.data_type(), self.cell(c, n, proc).map(Cow::Owned)),
                None => (DataType::String, None),
            });
            match matched {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                // A value the comparison cannot convert (NETNSID `unassigned` as a number)
                // stops util-linux too.
                Err(e) => return Err(Error::os("failed to apply filter", sys::Errno(e.errno()))),
            }
        }
        let line = self.table.add_line(parent);
        for (i, &c) in self.plan.columns.iter().enumerate() {
            if let Some(data) = self.cell(c, n, proc) {
                self.table.set(line, i, data);
            }
        }
        if matches!(self.plan.tree, Tree::Owner | Tree::Parent) {
            self.ns_line[n] = Some(line);
        } else if let Some(p) = proc {
            self.proc_line[p] = Some(line);
        }
        Ok(())
    }

    /// The text of column `c` for namespace `n` shown through process `proc`; `None` for an
    /// empty cell.
    fn cell(&mut self, c: Column, n: usize, proc: Option<usize>) -> Option<Vec<u8>> {
        let ns = &self.snap.namespaces[n];
        let proc = proc.map(|p| &self.snap.processes[p]);
        let text = |s: String| Some(s.into_bytes());
        match c {
            Column::Ns => text(ns.id.to_string()),
            Column::Type => text(ns.kind.proc_name().to_owned()),
            Column::Path => {
                proc.and_then(|p| text(format!("/proc/{}/ns/{}", p.pid, ns.kind.proc_name())))
            }
            Column::Nprocs => text(ns.nprocs.to_string()),
            Column::Pid => proc.and_then(|p| text(p.pid.to_string())),
            Column::Ppid => proc.and_then(|p| text(p.ppid.to_string())),
            Column::Command => proc.and_then(|p| p.command.clone()),
            Column::Uid => text(proc.map_or(ns.owner_uid, |p| p.uid).to_string()),
            Column::User => {
                let uid = proc.map_or(ns.owner_uid, |p| p.uid);
                let name = self.users.entry(uid).or_insert_with(|| {
                    sys::user::user_name(uid).unwrap_or_else(|| uid.to_string())
                });
                text(name.clone())
            }
            Column::NetNsId => match ns.netnsid {
                Some(NetNsId::Id(id)) => text(id.to_string()),
                Some(NetNsId::Unassigned) => text("unassigned".to_owned()),
                None => None,
            },
            Column::Nsfs => {
                let root = format!("{}:[{}]", ns.kind.proc_name(), ns.id);
                let targets = self.snap.nsfs_mounts.get(root.as_bytes())?;
                let sep = if self.plan.nowrap { b"," } else { b"\n" };
                Some(targets.join(&sep[..]))
            }
            Column::Pns => text(ns.related_id[PARENT].to_string()),
            Column::Ons => text(ns.related_id[OWNER].to_string()),
        }
    }
}
