//! `nsenter`: run a program in namespaces of other processes, as util-linux 2.42's
//! `nsenter(1)` does.
//!
//! [`cli::command`] defines the command line, [`plan::parse`] turns it into a [`plan::Plan`],
//! and [`execute`] carries the plan out in util-linux's order of operations.

pub mod cli;
pub mod plan;

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::OwnedFd;

use sys::diagnose::{self, Host};
use sys::ns::{self, NsKind, NsSet};
use sys::process::{self, Forked};
use sys::{Error, Prog, Result, Status, target};

use plan::{Action, Dir, Id, Plan, Source};

/// The tool's entry point: parse, then print or execute.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    match plan::parse(prog, args)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Run(plan) => execute(&plan),
    }
}

/// A namespace ready to enter.
enum Entry {
    /// Through its own file.
    File(File),
    /// Through the target's pidfd, together with the others of the same kind.
    Pidfd,
}

fn need_target(plan: &Plan, what: &str) -> Result<u32> {
    plan.target.map(|(pid, _)| pid).ok_or_else(|| {
        Error::msg(format!(
            "neither filename nor target pid supplied for {what}"
        ))
    })
}

fn open_dir(plan: &Plan, dir: &Dir, name: &str) -> Result<OwnedFd> {
    match dir {
        Dir::Path(p) => target::open_dir(p),
        Dir::Target => {
            let pid = need_target(plan, name)?;
            target::open_dir(std::path::Path::new(&format!("/proc/{pid}/{name}")))
        }
    }
}

/// Enter what is left of `entries` (user namespace included only when `with_user`); with
/// `report`, the first failure is returned, otherwise failures are left for the next pass.
fn enter_pass(
    entries: &[(NsKind, Entry)],
    pidfd: Option<&OwnedFd>,
    done: &mut NsSet,
    with_user: bool,
    report: bool,
) -> Result<()> {
    let wanted = |done: &NsSet, k: NsKind| !done.contains(k) && (with_user || k != NsKind::User);
    for (kind, entry) in entries {
        if let (Entry::File(file), true) = (entry, wanted(done, *kind)) {
            match target::setns_file(file, *kind) {
                Ok(()) => done.insert(*kind),
                Err(e) if report => {
                    let mut kinds = NsSet::default();
                    kinds.insert(*kind);
                    return Err(hint_enter(kinds, e));
                }
                Err(_) => {}
            }
        }
    }
    let mut mask = NsSet::default();
    for (kind, entry) in entries {
        if matches!(entry, Entry::Pidfd) && wanted(done, *kind) {
            mask.insert(*kind);
        }
    }
    if let (Some(fd), false) = (pidfd, mask.is_empty()) {
        match target::setns_pidfd(fd, mask) {
            Ok(()) => {
                for (kind, _) in entries {
                    if mask.contains(*kind) {
                        done.insert(*kind);
                    }
                }
            }
            Err(e) if report => return Err(hint_enter(mask, e)),
            Err(_) => {}
        }
    }
    Ok(())
}

/// A refused `setns(2)`: the capabilities it needs and this process lacks, or a filter.
fn hint_enter(kinds: NsSet, e: Error) -> Error {
    e.hinted_by(|e| diagnose::userns::enter(kinds, e.errno()?, &Host::real()))
}

/// Put `entry` in the place of the namespace of `kind`, or add it in table order.
fn set_entry(entries: &mut Vec<(NsKind, Entry)>, kind: NsKind, entry: Entry) {
    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == kind) {
        slot.1 = entry;
        return;
    }
    let rank = |k: NsKind| NsKind::BIND_ORDER.iter().position(|o| *o == k);
    let at = entries
        .iter()
        .position(|(k, _)| rank(*k) > rank(kind))
        .unwrap_or(entries.len());
    entries.insert(at, (kind, entry));
}

/// `--user-parent`: the user namespace that owns the first namespace found of: the one
/// `--user` names by file, the target's user namespace through its pidfd, the first of the
/// other namespaces with a file of its own, the target's `/proc/PID/ns/user`. For a user
/// namespace that is its parent.
fn user_parent(plan: &Plan, entries: &[(NsKind, Entry)], pidfd: Option<&OwnedFd>) -> Result<File> {
    use std::os::fd::AsFd;
    let user_file = entries.iter().find_map(|(k, e)| match e {
        Entry::File(f) if *k == NsKind::User => Some(f),
        _ => None,
    });
    if let Some(file) = user_file {
        return target::parent_user_namespace(file.as_fd());
    }
    if let Some(fd) = pidfd.and_then(target::pidfd_user_namespace) {
        return target::parent_user_namespace(fd.as_fd());
    }
    // The first namespace enabled; through the pidfd, it has no file to ask.
    if let Some((_, Entry::File(file))) = entries.first() {
        return target::parent_user_namespace(file.as_fd());
    }
    let pid = need_target(plan, "ns/user")?;
    let file = target::open_ns_file(&NsKind::User.proc_path(pid))?;
    target::parent_user_namespace(file.as_fd())
}

/// The pidfd of `pid`, which must have the inode `inode` (util-linux's
/// `ul_get_valid_pidfd_or_err`: a process that is gone or another one is "No such process";
/// before pidfs (Linux 6.9) no pidfd has an inode of its own to check: "Operation not
/// supported").
fn validated_pidfd(pid: u32, inode: u64) -> Result<OwnedFd> {
    let fd = target::open_pidfd(pid)
        .and_then(|fd| fd.ok_or_else(|| Error::os("pidfd_open", sys::errno::ENOSYS)))
        .and_then(|fd| match target::pidfd_inode(&fd)? {
            Some(have) if have == inode => Ok(fd),
            Some(_) => Err(Error::os("pidfd inode", sys::errno::ESRCH)),
            None => Err(Error::os("pidfd inode", sys::errno::ENOTSUP)),
        });
    fd.map_err(|e| {
        Error::os(
            format!("failed to obtain a valid file descriptor for PID {pid}"),
            e.errno().unwrap_or_default(),
        )
    })
}

/// Carry out the plan. Returns only on failure; otherwise the process becomes the program
/// (or, when it forked, ends as the program did).
pub fn execute(plan: &Plan) -> Result<Status> {
    sys::signal::default_sigchld();
    let mut plan = plan.clone();
    // `--target PID:INODE` is checked first, as util-linux checks it while it parses; that
    // pidfd is the one used from then on, so the pid cannot name another process later.
    let mut pidfd = match plan.target {
        Some((pid, Some(inode))) => Some(validated_pidfd(pid, inode)?),
        _ => None,
    };
    if plan.all {
        let Some((pid, _)) = plan.target else {
            return Err(Error::msg("no target PID specified"));
        };
        for kind in NsKind::BIND_ORDER {
            if plan.enters(kind) || !target::kernel_has(kind) {
                continue;
            }
            // setns() into the user namespace we are already in fails: leave it out.
            if kind == NsKind::User {
                let theirs = ns::ns_inode(pid, kind).map_err(|e| {
                    Error::os(
                        format!("stat of {} failed", kind.proc_path(pid).display()),
                        e.errno().unwrap_or_default(),
                    )
                })?;
                if ns::ns_inode(process::own_pid(), kind).ok() == Some(theirs) {
                    continue;
                }
            }
            plan.namespaces.push((kind, Source::Target));
        }
    }

    // Namespace files and IDs first, in command-line order: util-linux opens them while it
    // parses the options.
    let mut opened = Vec::new();
    for (kind, source) in &plan.namespaces {
        match source {
            Source::File(path) => opened.push((*kind, target::open_ns_file(path)?)),
            Source::Id(id) => opened.push((*kind, target::open_ns_by_id(*id)?)),
            Source::Target => {}
        }
    }
    plan.namespaces.sort_by_key(|(k, _)| {
        NsKind::BIND_ORDER
            .iter()
            .position(|o| o == k)
            .unwrap_or(usize::MAX)
    });
    let from_target = plan
        .namespaces
        .iter()
        .any(|(_, source)| *source == Source::Target);
    if from_target || plan.net_socket.is_some() || plan.user_parent {
        let Some((pid, _)) = plan.target else {
            return Err(Error::msg("no target PID specified"));
        };
        // A target that cannot be opened as a pidfd (gone, or a kernel without pidfds)
        // fails later, on the first /proc file that is needed.
        if pidfd.is_none() {
            pidfd = target::open_pidfd(pid).ok().flatten();
        }
    }
    let via_pidfd = pidfd.is_some() && target::setns_takes_pidfd();
    let mut entries = Vec::new();
    for (kind, source) in &plan.namespaces {
        let entry = match source {
            Source::File(_) | Source::Id(_) => {
                let at = opened.iter().position(|(k, _)| k == kind);
                match at {
                    Some(at) => Entry::File(opened.remove(at).1),
                    None => continue,
                }
            }
            Source::Target => {
                let pid = need_target(&plan, "ns")?;
                if via_pidfd {
                    Entry::Pidfd
                } else {
                    Entry::File(target::open_ns_file(&kind.proc_path(pid))?)
                }
            }
        };
        entries.push((*kind, entry));
    }
    let root = plan
        .root
        .as_ref()
        .map(|d| open_dir(&plan, d, "root"))
        .transpose()?;
    let wd = plan
        .wd
        .as_ref()
        .map(|d| open_dir(&plan, d, "cwd"))
        .transpose()?;
    let wdns = match &plan.wdns {
        None => None,
        Some(Dir::Path(p)) => Some(p.clone()),
        Some(Dir::Target) => Some(target::cwd_path(need_target(&plan, "cwd")?)?),
    };
    let environ = if plan.env {
        Some(target::open_environ(need_target(&plan, "environ")?)?)
    } else {
        None
    };
    let follow = if plan.uid == Some(Id::Follow) || plan.gid == Some(Id::Follow) {
        Some(target::owner(need_target(&plan, "process")?)?)
    } else {
        None
    };
    let cgroup_procs = if plan.join_cgroup {
        let pid = need_target(&plan, "cgroup")?;
        let dir = target::unified_cgroup(pid)?
            .ok_or_else(|| Error::msg("--join-cgroup is only supported in cgroup v2"))?;
        Some(target::open_cgroup_procs(&dir)?)
    } else {
        None
    };
    if plan.user_parent {
        let parent = user_parent(&plan, &entries, pidfd.as_ref())?;
        set_entry(&mut entries, NsKind::User, Entry::File(parent));
    }
    if let Some(fd) = plan.net_socket {
        let pid = need_target(&plan, "net-socket")?;
        if pidfd.is_none() {
            pidfd = target::open_pidfd(pid)?;
        }
        let netns = target::socket_netns(pidfd.as_ref(), pid, fd)?;
        set_entry(&mut entries, NsKind::Net, Entry::File(netns));
    }
    if entries.is_empty() {
        return Err(Error::msg("no namespace specified"));
    }
    let enters = |kind: NsKind| entries.iter().any(|(k, _)| *k == kind);
    let enters_user = enters(NsKind::User);
    let fork = enters(NsKind::Pid) && !plan.no_fork;

    let resolve = |id: Option<Id>, pick: fn((u32, u32)) -> u32| match id {
        Some(Id::Is(n)) => Some(n),
        Some(Id::Follow) => follow.map(pick),
        None => None,
    };
    let mut uid = resolve(plan.uid, |(u, _)| u);
    let mut gid = resolve(plan.gid, |(_, g)| g);
    if enters_user && !plan.preserve_credentials {
        uid = uid.or(Some(0));
        gid = gid.or(Some(0));
    }
    // Dropping the groups may only be allowed before entering (a user namespace whose
    // setgroups is "deny"); try now, and again later.
    let groups_dropped_early = gid.is_some() && process::clear_groups().is_ok();

    let mut done = NsSet::default();
    enter_pass(&entries, pidfd.as_ref(), &mut done, false, false)?;
    enter_pass(&entries, pidfd.as_ref(), &mut done, true, true)?;

    if let Some(root) = &root {
        target::enter_root(root)?;
    }
    if let Some(dir) = &wdns {
        let fd = target::open_dir(dir).map_err(|e| {
            Error::os(
                "cannot open current working directory",
                e.errno().unwrap_or_default(),
            )
        })?;
        target::enter_dir(&fd)?;
    }
    if let Some(wd) = &wd {
        target::enter_dir(wd)?;
    }
    if let Some(environ) = environ {
        target::adopt_environment(environ)?;
    }
    if let Some(procs) = cgroup_procs {
        target::join_cgroup(procs)?;
    }
    drop(entries);
    drop(pidfd);

    if fork {
        match process::fork()? {
            Forked::Parent(child) => process::exit_like(child.wait()?),
            Forked::Child => {}
        }
    }
    if let Some(gid) = gid {
        if let Err(e) = process::clear_groups() {
            if !groups_dropped_early {
                return Err(e);
            }
        }
        process::set_gid(gid)?;
    }
    if let Some(uid) = uid {
        process::set_uid(uid)?;
    }
    if plan.keep_caps && enters_user {
        process::raise_ambient_capabilities()?;
    }
    Err(if plan.program.is_empty() {
        process::exec_login_shell()
    } else {
        process::exec_program(&plan.program)
    })
}
