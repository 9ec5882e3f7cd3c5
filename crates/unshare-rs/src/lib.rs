//! `unshare`: run a program with some namespaces unshared from the parent, as util-linux 2.42's
//! `unshare(1)` does, option for option.
//!
//! [`cli::command`] defines the command line, [`plan::parse`] turns it into a [`plan::Plan`],
//! and [`execute`] carries the plan out in util-linux's order of operations.

pub mod cli;
pub mod handles;
pub mod plan;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sys::diagnose::{self, Host};
use sys::idmap::{self, IdKind, IdRange, RangeMap, SetgroupsMode};
use sys::mount::{self, Propagation};
use sys::ns::{self, NsKind};
use sys::process::{self, Child, ChildEnd, Forked, Gate, TimeClock};
use sys::{Error, Prog, Result, Status, signal};

use handles::{Handles, Handover, Ready};
use plan::{Action, Plan};

/// The tool's entry point: parse, then print or execute.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    let (euid, egid) = sys::user::effective_ids();
    match plan::parse(prog, args, euid, egid)? {
        Action::Print(text) => sys::print(&text).map(|()| 0),
        Action::Run(plan) => execute(prog, &plan),
    }
}

/// The id maps of a run, resolved to ranges, and who writes them.
struct Maps {
    /// Written by a helper forked before `unshare()`, from outside the new namespace: a
    /// kind's range maps, with its single id laid into them, or its single id with `--owner`.
    helper_uid: Vec<IdRange>,
    /// See `helper_uid`.
    helper_gid: Vec<IdRange>,
    /// A single-id map the unshared process writes itself, as the only map of its kind.
    own_uid: Option<IdRange>,
    /// See `own_uid`; written after `deny` to setgroups.
    own_gid: Option<IdRange>,
}

impl Maps {
    fn need_helper(&self) -> bool {
        !self.helper_uid.is_empty() || !self.helper_gid.is_empty()
    }
}

fn resolve_maps(plan: &Plan) -> Result<Maps> {
    // Which kinds go through the helper is decided per kind, as util-linux does: a gid map
    // written from inside comes with setgroups `deny`, one written from outside does not.
    let resolve = |kind, specs: &[idmap::RangeSpec], single: Option<u32>, outer: u32| {
        let mut ranges: Vec<RangeMap> = Vec::new();
        for spec in specs {
            ranges.extend(
                spec.resolve(kind, plan.euid)
                    .map_err(|e| hint_subids(kind, plan.euid, e))?,
            );
        }
        let single = single.map(|inner| IdRange {
            inner,
            outer,
            count: 1,
        });
        let split = match single {
            Some(single) if ranges.is_empty() && plan.owner.is_none() => (Vec::new(), Some(single)),
            Some(single) => (idmap::merge_single(single, &ranges), None),
            None => (ranges.into_iter().map(|m| m.range).collect(), None),
        };
        let (helper, _) = &split;
        idmap::check_disjoint(kind, helper)?;
        if !helper.is_empty() && plan.euid != 0 {
            idmap::check_subordinate(kind, plan.euid, outer, helper)
                .map_err(|e| hint_subids(kind, plan.euid, e))?;
        }
        Ok::<_, Error>(split)
    };
    let (helper_uid, own_uid) = resolve(IdKind::User, &plan.map_users, plan.map_user, plan.euid)?;
    let (helper_gid, own_gid) =
        resolve(IdKind::Group, &plan.map_groups, plan.map_group, plan.egid)?;
    Ok(Maps {
        helper_uid,
        helper_gid,
        own_uid,
        own_gid,
    })
}

/// The name `/etc/subuid` and `newuidmap` know the user `euid` by.
fn user_name(euid: u32) -> String {
    sys::user::user_name(euid).unwrap_or_else(|| euid.to_string())
}

/// A subordinate-id lookup that failed: the missing line and how to add one.
fn hint_subids(kind: IdKind, euid: u32, e: Error) -> Error {
    e.hinted_by(|_| diagnose::userns::subids(kind, &user_name(euid), euid, &Host::real()))
}

/// A refused `unshare(2)`: the sysctl, capability, chroot, restriction or filter behind it.
fn hint_create(set: ns::NsSet, e: Error) -> Error {
    e.hinted_by(|e| diagnose::userns::create(set, e.errno()?, &Host::real()))
}

/// A refused write of a map file.
fn hint_write_map(e: Error) -> Error {
    e.hinted_by(|e| diagnose::userns::write_map(e.errno()?, &Host::real()))
}

/// A failed `newuidmap`/`newgidmap` run (it said why itself, or exec did): whether it is
/// missing or cannot act, the user's subordinate ids, a restriction.
fn hint_map_helper(kind: IdKind, euid: u32, e: Error) -> Error {
    e.hinted_by(|_| {
        let search_path = process::exec_search_path();
        diagnose::userns::map_helper(kind, &user_name(euid), euid, &search_path, &Host::real())
    })
}

/// A helper process forked before `unshare()`, so that it stays in the original namespaces,
/// held at a gate until the parent is ready for it.
struct Helper {
    child: Child,
    gate: Gate,
}

impl Helper {
    /// Fork a helper that runs `work` once released and exits with its outcome.
    fn spawn(prog: &Prog, work: impl FnOnce() -> Result<()>) -> Result<Helper> {
        let gate = Gate::new()?;
        match process::fork()? {
            Forked::Parent(child) => Ok(Helper { child, gate }),
            Forked::Child => {
                // The parent failed before releasing us: there is nothing to do.
                if !gate.wait() {
                    std::process::exit(0);
                }
                let code = match work() {
                    Ok(()) => 0,
                    Err(e) => {
                        e.report(prog);
                        i32::from(e.status())
                    }
                };
                std::process::exit(code)
            }
        }
    }

    /// Release the helper and wait for it; its failure becomes ours, with its status.
    fn release(self) -> Result<()> {
        self.gate.open()?;
        self.child.wait_success()
    }

    /// Let the helper go without its work, and reap it.
    fn abandon(self) {
        drop(self.gate);
        let _ = self.child.wait();
    }
}

/// Bind `/proc/<pid>/ns/*` onto the persistence files, user namespace first. On failure the
/// files bound so far are unmounted again, so a failed run leaves none behind.
fn bind_ns_files(pid: u32, persist: &[(NsKind, PathBuf)]) -> Result<()> {
    let mut bound: Vec<&Path> = Vec::new();
    for kind in NsKind::BIND_ORDER {
        let Some((_, file)) = persist.iter().find(|(k, _)| *k == kind) else {
            continue;
        };
        if let Err(e) = mount::bind(&kind.for_children_path(pid), file) {
            for done in bound.iter().rev() {
                let _ = mount::detach(done);
            }
            return Err(hint_shared(kind, file, e));
        }
        bound.push(file);
    }
    Ok(())
}

/// A mount namespace cannot be bound onto a shared mount (the kernel says only "Invalid
/// argument"); say why, as a hint, when that is the case.
fn hint_shared(kind: NsKind, file: &Path, e: Error) -> Error {
    e.hinted_by(|e| {
        let shared = kind == NsKind::Mount
            && e.errno() == Some(sys::errno::EINVAL)
            && mount::mountinfo()
                .ok()
                .and_then(|t| mount::mount_of(&t, file))
                .is_some_and(|m| m.is_shared());
        shared.then(|| {
            format!(
                "{file} is on a mount with shared propagation, where a mount namespace \
                 cannot be bound; make its directory a private mount first \
                 (mount --bind DIR DIR; mount --make-private DIR)",
                file = file.display()
            )
        })
    })
}

/// Carry out the plan, in util-linux's order of operations. Returns only on failure or, with
/// `--fork`, never (the parent ends as its child did); otherwise the process becomes the
/// program.
pub fn execute(prog: &Prog, plan: &Plan) -> Result<Status> {
    signal::default_sigchld();
    let maps = resolve_maps(plan)?;
    // util-linux finds a missing --root or --wd only at chroot or chdir, after the
    // namespaces were made and the persistence files bound, and leaves those binds behind.
    process::check_root_and_dir(plan.root.as_deref(), plan.wd.as_deref())?;
    let handles = Handles::open(plan)?;
    let pid = process::own_pid();

    // The persistence files are bound from outside the new namespaces (a mount or user
    // namespace can only be bound from there, and after --root the files' paths would
    // resolve in the new root), once the set-up inside has succeeded: a failed set-up then
    // leaves no file bound (util-linux binds first and leaves them), and the new mount
    // namespace's copy of a shared mount no longer propagates, which would make the kernel
    // refuse the bind (EINVAL) on a shared file system.
    let persist_helper = if !plan.persist.is_empty() {
        let persist = plan.persist.clone();
        Some(Helper::spawn(prog, move || bind_ns_files(pid, &persist))?)
    } else {
        None
    };
    let map_helper = if maps.need_helper() {
        let (uid, gid, euid) = (maps.helper_uid.clone(), maps.helper_gid.clone(), plan.euid);
        let prog_for_helper = prog.clone();
        Some(Helper::spawn(prog, move || {
            write_maps_from_outside(&prog_for_helper, pid, euid, &uid, &gid)
        })?)
    } else {
        None
    };

    if let Some((uid, gid)) = plan.owner {
        process::clear_groups()?;
        process::set_gid(gid)?;
        process::set_uid(uid)?;
    }
    // The persistence helper binds the new mount namespace from this one.
    let outer_mount_ns = plan
        .persist
        .iter()
        .any(|(kind, _)| *kind == NsKind::Mount)
        .then(ns::own_mount_ns_id)
        .flatten();
    ns::unshare(plan.namespaces).map_err(|e| hint_create(plan.namespaces, e))?;
    if let Some(outer) = outer_mount_ns {
        ns::renew_mount_ns_above(outer)?;
    }
    // setgroups can only be changed before gid_map is written; util-linux writes it after the
    // helper's maps, where `--map-groups=... --setgroups=deny` then fails with EPERM.
    if let Some(mode) = plan.setgroups {
        idmap::write_setgroups(None, mode)?;
    }
    if let Some(helper) = map_helper {
        helper.release()?;
    }
    // The boot-time offset first, as util-linux; children are born with both.
    if let Some(secs) = plan.boottime {
        process::set_time_offset(TimeClock::Boottime, secs)?;
    }
    if let Some(secs) = plan.monotonic {
        process::set_time_offset(TimeClock::Monotonic, secs)?;
    }

    let ready = if plan.fork {
        let held = if plan.forward_signals {
            // Installed before the fork so no signal finds the default action in between;
            // until the child's pid is known the handlers do nothing.
            signal::forward_int_term(0)?;
            None
        } else {
            Some(signal::block_int_term()?)
        };
        let parent_fd = match plan.kill_child {
            Some(_) => Some(process::pidfd_self()?),
            None => None,
        };
        // The child tells when its set-up is done (`set_up`), and starts the program only
        // once the parent had the persistence files bound (`persisted`), so a failure to
        // bind them cannot leave a program running.
        let persist_gates = if plan.persist.is_empty() {
            None
        } else {
            Some((Gate::new()?, Gate::new()?))
        };
        let handover = handles.as_ref().map(|_| Handover::new()).transpose()?;
        match process::fork()? {
            Forked::Parent(child) => {
                if plan.forward_signals {
                    signal::set_forward_target(child.0);
                }
                let handles = match (handles, handover) {
                    (Some(handles), Some(handover)) => {
                        match handover.in_parent(handles, child, plan.namespaces) {
                            Ok(handles) => Some(handles),
                            Err(e) => {
                                child.kill_and_reap();
                                return Err(e);
                            }
                        }
                    }
                    _ => None,
                };
                if let (Some((set_up, persisted)), Some(helper)) = (persist_gates, persist_helper) {
                    // A child whose set-up failed has said why; its status is ours.
                    if set_up.wait() {
                        if let Err(e) = helper.release() {
                            child.kill_and_reap();
                            return Err(e);
                        }
                        persisted.open()?;
                    } else {
                        helper.abandon();
                    }
                }
                let end = child.wait()?;
                // The pid file goes with the process it names.
                drop(handles);
                process::exit_like(end)
            }
            Forked::Child => {
                if let Some(handles) = handles {
                    handles.leave();
                }
                if let Some(old) = &held {
                    signal::restore_mask(old)?;
                }
                if let Some(signo) = plan.kill_child {
                    signal::set_parent_death_signal(signo)?;
                    // The parent may have died before the death signal was armed.
                    if parent_fd.as_ref().map(process::has_exited).transpose()? == Some(true) {
                        return Err(Error::Silent(1));
                    }
                }
                let ready = handover.map_or(Ready::Unasked, Ready::TellParent);
                let persist = move || match persist_gates {
                    Some((set_up, persisted)) => {
                        set_up.open()?;
                        if persisted.wait() {
                            Ok(())
                        } else {
                            Err(Error::Silent(1))
                        }
                    }
                    None => Ok(()),
                };
                return Err(become_program(plan, &maps, ready, persist));
            }
        }
    } else {
        handles.map_or(Ready::Unasked, Ready::Here)
    };
    let persist = move || persist_helper.map_or(Ok(()), Helper::release);
    Err(become_program(plan, &maps, ready, persist))
}

/// Written by the helper, from the parent user namespace: as root straight into the map
/// files, otherwise through the setuid `newuidmap`/`newgidmap`.
fn write_maps_from_outside(
    prog: &Prog,
    pid: u32,
    euid: u32,
    uid: &[IdRange],
    gid: &[IdRange],
) -> Result<()> {
    for (kind, ranges) in [(IdKind::User, uid), (IdKind::Group, gid)] {
        if ranges.is_empty() {
            continue;
        }
        if euid == 0 {
            idmap::write_map(Some(pid), kind, ranges).map_err(hint_write_map)?;
        } else {
            run_helper(prog, &idmap::helper_argv(pid, kind, ranges))
                .map_err(|e| hint_map_helper(kind, euid, e))?;
        }
    }
    Ok(())
}

fn run_helper(prog: &Prog, argv: &[OsString]) -> Result<()> {
    match process::fork()? {
        Forked::Parent(child) => match child.wait()? {
            ChildEnd::Exited(0) => Ok(()),
            ChildEnd::Exited(code) => Err(Error::Silent(code as u8)),
            ChildEnd::Signaled(s) => Err(Error::Silent(128u8.wrapping_add(s as u8))),
        },
        Forked::Child => {
            let e = process::exec_program(argv);
            e.report(prog);
            std::process::exit(i32::from(e.status()))
        }
    }
}

/// The steps inside the new namespaces, then `persist` (the persistence files bound), ending
/// in exec. Returns the error that stopped it.
fn become_program(
    plan: &Plan,
    maps: &Maps,
    ready: Ready,
    persist: impl FnOnce() -> Result<()>,
) -> Error {
    // The handles written here live until the exec, and are removed if it fails.
    match setup_inside(plan, maps, ready).and_then(|handles| persist().map(|()| handles)) {
        Err(e) => e,
        Ok(_handles) if plan.program.is_empty() => process::exec_login_shell(),
        Ok(_handles) => process::exec_program(&plan.program),
    }
}

fn setup_inside(plan: &Plan, maps: &Maps, ready: Ready) -> Result<Option<Handles>> {
    if let Some(single) = maps.own_uid {
        idmap::write_map(None, IdKind::User, &[single]).map_err(hint_write_map)?;
    }
    if let Some(single) = maps.own_gid {
        // Needed before an unprivileged gid_map write; util-linux does it for root too.
        idmap::write_setgroups(None, SetgroupsMode::Deny)?;
        idmap::write_map(None, IdKind::Group, &[single]).map_err(hint_write_map)?;
    }
    // The namespaces are complete: a script may enter them from here on.
    let handles = ready.announce(plan.namespaces)?;
    if plan.namespaces.contains(NsKind::Mount) {
        mount::set_root_propagation(plan.propagation)?;
    }
    let mut binfmt_done = false;
    // A rule with the F flag opens its interpreter when registered: do it while the
    // interpreter's path still resolves in the old root.
    if let (Some(rule), Some(dir), Some(_)) = (&plan.load_interp, &plan.mount_binfmt, &plan.root) {
        if binfmt_flags(rule).contains('F') {
            mount::mount_binfmt(dir)?;
            mount::binfmt_register(dir, rule.as_encoded_bytes())?;
            binfmt_done = true;
        }
    }
    if let Some(root) = &plan.root {
        process::change_root(root)?;
    }
    if let Some(wd) = plan
        .wd
        .as_deref()
        .or(plan.root.as_ref().map(|_| Path::new("/")))
    {
        if plan.root.is_some() {
            // Inside the new root only: one that holds a mounted proc would otherwise let a
            // planted link (w -> /proc/1/cwd) leave the program in a directory of the host.
            process::change_dir_in_root(wd)?;
        } else {
            process::change_dir(wd)?;
        }
    }
    if let Some(dir) = &plan.mount_proc {
        if plan.root.is_none() && plan.propagation != Propagation::Private {
            mount::make_private(dir)?;
        }
        mount_proc(dir)?;
    }
    if let (Some(dir), false) = (&plan.mount_binfmt, binfmt_done) {
        mount::mount_binfmt(dir)?;
        if let Some(rule) = &plan.load_interp {
            mount::binfmt_register(dir, rule.as_encoded_bytes())?;
        }
    }
    if let Some(gid) = plan.setgid {
        process::clear_groups()?;
        process::set_gid(gid)?;
    }
    if let Some(uid) = plan.setuid {
        process::set_uid(uid)?;
    }
    if plan.keep_caps && plan.namespaces.contains(NsKind::User) {
        process::raise_ambient_capabilities()?;
    }
    if let Some(vars) = &plan.environment {
        process::set_exec_environment(vars.clone());
    }
    Ok(handles)
}

/// `--mount-proc`: a new proc at `dir`, with the cause of a refusal (a masked `/proc`, a pid
/// or mount namespace made outside the user namespace) as a hint.
fn mount_proc(dir: &Path) -> Result<()> {
    mount::mount_proc(dir).map_err(|e| {
        e.hinted_by(|e| {
            let facts = sys::diagnose::mounts::Facts::of(&sys::diagnose::Host::real());
            sys::diagnose::mounts::kernel_fs_refused("proc", e.errno()?, &facts)
        })
    })
}

/// The flags field of a binfmt_misc rule (`:name:type:offset:magic:mask:interpreter:flags`).
fn binfmt_flags(rule: &OsString) -> String {
    let text = rule.to_string_lossy();
    let sep = text.chars().next().unwrap_or(':');
    text.split(sep).nth(7).unwrap_or_default().to_owned()
}
