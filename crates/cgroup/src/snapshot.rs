//! What `cgsnapshot` reads of a group besides its settings ([`Group::settings`]): who owns
//! it, which controllers a v2 group has, and which settings can be written at all.

use std::fs;
use std::os::unix::fs::MetadataExt;

use super::{Ecg, Group, GroupPath, Hierarchy, Version};
use sys::error::Result;

/// The owners (uid, gid) a cgconfig.conf `perm` section gives a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owners {
    /// Of the group's directory (`admin`: `uid`, `gid`).
    pub admin: (u32, u32),
    /// Of the file a process is moved in by (`task`: `tuid`, `tgid`).
    pub task: (u32, u32),
}

impl Owners {
    /// Whether everything belongs to root, which a configuration need not say.
    pub fn all_root(&self) -> bool {
        *self
            == Owners {
                admin: (0, 0),
                task: (0, 0),
            }
    }
}

impl Group<'_> {
    /// The owners of the group's directory and of its member list: `tasks` on v1 (the
    /// file cgconfigparser's `task` section owns there), `cgroup.procs` on v2
    /// (`cgroup.threads` in a threaded group).
    pub fn owners(&self) -> Result<Owners> {
        let task_file = match self.hierarchy.version {
            Version::V1 => "tasks",
            Version::V2 => self.task_file(),
        };
        let ids = |path: std::path::PathBuf| -> Result<(u32, u32)> {
            let meta = fs::metadata(&path).map_err(|e| Ecg::Other.with_errno(e))?;
            Ok((meta.uid(), meta.gid()))
        };
        Ok(Owners {
            admin: ids(self.dir())?,
            task: ids(self.dir().join(task_file))?,
        })
    }

    /// Whether the group has `controller`: on v1 every group of the hierarchy has all of
    /// its controllers; on v2 those its `cgroup.controllers` lists (the ones its parent
    /// enables).
    pub fn has_controller(&self, controller: &str) -> bool {
        match self.hierarchy.version {
            Version::V1 => self.exists(),
            Version::V2 => sys::read_pseudo_text(&self.dir().join("cgroup.controllers"))
                .is_ok_and(|list| list.split_whitespace().any(|c| c == controller)),
        }
    }
}

impl Hierarchy {
    /// Whether `setting` is one that can be set, judged as libcgroup's cgsnapshot judges
    /// it: by the owner's write bit of the root group's file of that name (below the root,
    /// cgconfigparser may have made every file writable). A setting the root group does not
    /// have (`memory.max`, `cpu.weight` on v2) counts as settable.
    pub fn settable(&self, setting: &str) -> bool {
        if setting.is_empty() || setting.contains('/') || setting.starts_with('.') {
            return false;
        }
        let file = self.group(&GroupPath::root()).dir().join(setting);
        match fs::metadata(file) {
            Ok(meta) => meta.mode() & 0o200 != 0,
            Err(_) => true,
        }
    }
}
