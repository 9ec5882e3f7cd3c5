//! `--pid-file` and `--info-fd`, nsutils' own: what a script needs to reach the namespaces it
//! had made (`nsenter -t PID`) without digging the pid out of /proc.
//!
//! Both are taken before anything changes ([`Handles::open`]) and written once the
//! namespaces exist and their id maps are written, before the program runs: by the process
//! that runs it, or with `--fork` by the parent, which knows the child's pid in the caller's
//! pid namespace (see [`Ready`] and [`Handover`]).

use std::fmt::Write;

use sys::handles::{InfoFd, PidFile};
use sys::ns::{self, NsKind, NsSet};
use sys::process::{Child, Gate};
use sys::{Error, Result};

use crate::plan::Plan;

/// The handles a run was asked for, taken and checked.
#[derive(Debug)]
pub struct Handles {
    pid_file: Option<PidFile>,
    info_fd: Option<InfoFd>,
}

impl Handles {
    /// Claim `--info-fd` and make `--pid-file`'s temporary file, or refuse; `None` when
    /// neither was asked for.
    pub fn open(plan: &Plan) -> Result<Option<Handles>> {
        if plan.pid_file.is_none() && plan.info_fd.is_none() {
            return Ok(None);
        }
        let info_fd = plan.info_fd.map(InfoFd::claim).transpose()?;
        let pid_file = plan.pid_file.as_deref().map(PidFile::create).transpose()?;
        Ok(Some(Handles { pid_file, info_fd }))
    }

    /// Write both for the process `pid`, which runs the program in the namespaces of
    /// `namespaces`: the descriptor is closed after; the pid file stays until the value is
    /// dropped.
    /// The pid file comes first, so that a script that has read the descriptor to its end
    /// finds the file in place.
    fn write(&mut self, pid: u32, namespaces: NsSet) -> Result<()> {
        if let Some(file) = &mut self.pid_file {
            file.publish(pid)?;
        }
        if let Some(fd) = self.info_fd.take() {
            let inodes = ns::namespace_inodes(pid, namespaces)?;
            fd.write_and_close(&info_json(pid, &inodes))?;
        }
        Ok(())
    }

    /// In a forked child, whose parent writes the handles: close the descriptor (so that a
    /// reader sees its end once the parent has written) and leave the pid file to the parent.
    pub fn leave(self) {
        if let Some(file) = self.pid_file {
            file.leave();
        }
    }
}

/// One JSON object, laid out as bwrap's `--info-fd` writes it: `"child-pid"`, then
/// `"KIND-namespace"` with the inode number for each new namespace, KIND being its name under
/// /proc/PID/ns, in alphabetical order as bwrap lists them.
pub fn info_json(pid: u32, inodes: &[(NsKind, u64)]) -> String {
    let mut sorted: Vec<(&str, u64)> = inodes.iter().map(|(k, i)| (k.proc_name(), *i)).collect();
    sorted.sort();
    let mut text = format!("{{\n    \"child-pid\": {pid}");
    for (name, inode) in sorted {
        // Writing to a String cannot fail.
        let _ = write!(text, ",\n    \"{name}-namespace\": {inode}");
    }
    text.push_str("\n}\n");
    text
}

/// What the process that will run the program does once its id maps are written.
#[derive(Debug)]
pub enum Ready {
    /// No handle was asked for.
    Unasked,
    /// Without `--fork`: it writes the handles itself, with its own pid.
    Here(Handles),
    /// With `--fork`, in the child: it tells the parent and waits until the parent wrote them.
    TellParent(Handover),
}

impl Ready {
    /// Announce the namespaces; returns the handles written here, to be kept until the
    /// program is executed (dropped on a later failure, they remove the pid file).
    pub fn announce(self, namespaces: NsSet) -> Result<Option<Handles>> {
        match self {
            Ready::Unasked => Ok(None),
            Ready::Here(mut handles) => {
                handles.write(sys::process::own_pid(), namespaces)?;
                Ok(Some(handles))
            }
            Ready::TellParent(handover) => {
                handover.ready.open()?;
                if handover.go.wait() {
                    Ok(None)
                } else {
                    // The parent failed and has said why.
                    Err(Error::Silent(1))
                }
            }
        }
    }
}

/// The two gates between a forked child and its parent around the handles: the child opens
/// `ready` once its maps are written, the parent opens `go` once it wrote the handles.
#[derive(Debug)]
pub struct Handover {
    ready: Gate,
    go: Gate,
}

impl Handover {
    /// Both gates, made before the fork.
    pub fn new() -> Result<Handover> {
        Ok(Handover {
            ready: Gate::new()?,
            go: Gate::new()?,
        })
    }

    /// In the parent: wait until `child` is ready, write the handles with its pid, and let
    /// it go on. A child that failed first (it has reported why) gets no handles. Returns
    /// the handles, to be dropped (removing the pid file) once the child has ended.
    pub fn in_parent(
        self,
        mut handles: Handles,
        child: Child,
        namespaces: NsSet,
    ) -> Result<Handles> {
        if self.ready.wait() {
            // A fork's pid is positive.
            handles.write(child.0.unsigned_abs(), namespaces)?;
            self.go.open()?;
        }
        Ok(handles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_as_bwrap_lays_it_out() {
        assert_eq!(info_json(7, &[]), "{\n    \"child-pid\": 7\n}\n");
        assert_eq!(
            info_json(
                42,
                &[
                    (NsKind::Mount, 4026532001),
                    (NsKind::Uts, 4026532002),
                    (NsKind::User, 4026532003),
                    (NsKind::Cgroup, 4026532004),
                ]
            ),
            "{\n    \"child-pid\": 42,\n    \"cgroup-namespace\": 4026532004,\n    \"mnt-namespace\": 4026532001,\n    \"user-namespace\": 4026532003,\n    \"uts-namespace\": 4026532002\n}\n"
        );
    }
}
