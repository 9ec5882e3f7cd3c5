//! Applying a parsed cgconfig.conf: the groups, with their owners, modes and settings
//! (names translated between v1 and v2 as `cgset` translates them), below the `namespace`
//! groups; and one template's group for a name a rule expanded.
//!
//! Everything a run creates is recorded, so that a failure removes it again (the deepest
//! directories first) and leaves the system as it found it, except for settings already
//! written into groups that existed before. libcgroup 3.2.0 instead deleted, recursively,
//! every group the file names, including groups that existed before the run.

use std::path::PathBuf;

use super::{Config, GroupDef, Perm};
use crate::read::counterpart;
use crate::{Ecg, GroupPath, Hierarchies, Hierarchy, Version};
use sys::error::Error;

/// What a successful run created: the directories, parents first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The group directories made, parents before children.
    pub made: Vec<PathBuf>,
}

/// A failure while applying, after what the run created was removed again.
#[derive(Debug)]
pub struct ApplyError {
    /// libcgroup 3.2.0's `Error:` line for it (without `Error: `), on standard output.
    pub upstream: String,
    /// What exactly failed, in our words.
    pub why: String,
    /// The error libcgroup reports last (its text and exit status).
    pub error: Error,
}

/// The group `name` of a `group` section means: `.` is the root group. `None` for a name
/// that leaves the hierarchy (`..`) or is empty.
pub fn group_path(name: &str) -> Option<GroupPath> {
    match name {
        "." | "/" => Some(GroupPath::root()),
        "" => None,
        _ => GroupPath::parse(name).ok(),
    }
}

/// The hierarchy a controller block means: `cgroup` is the v2 hierarchy's own files.
fn hierarchy_of(all: &Hierarchies, controller: &str) -> Option<Hierarchy> {
    if controller == "cgroup" {
        return all.unified();
    }
    all.for_controller(controller).cloned()
}

/// Whether `controller` can be named in a group: mounted (`cgroup` when cgroup v2 is).
pub fn known_controller(all: &Hierarchies, controller: &str) -> bool {
    hierarchy_of(all, controller).is_some()
}

/// The `namespace` entries checked against the mounted hierarchies: for each hierarchy, the
/// group below which the file's group names are. As libcgroup: an unknown controller is
/// [`Ecg::NamespaceController`], a controller given twice or co-mounted controllers given
/// different groups [`Ecg::NamespacePaths`].
pub fn namespaces(
    all: &Hierarchies,
    config: &Config,
) -> Result<Vec<(Hierarchy, GroupPath)>, Error> {
    let mut out: Vec<(Hierarchy, GroupPath)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (controller, path) in &config.namespaces {
        let Some(h) = hierarchy_of(all, controller) else {
            return Err(Ecg::NamespaceController.error());
        };
        let Ok(below) = GroupPath::parse(path) else {
            return Err(Ecg::NamespacePaths
                .error()
                .context(format!("namespace {controller} = {path}")));
        };
        if seen.contains(&controller.as_str()) {
            return Err(Ecg::NamespacePaths.error());
        }
        seen.push(controller);
        match out.iter().find(|(o, _)| o.mount_point == h.mount_point) {
            Some((_, other)) if *other != below => return Err(Ecg::NamespacePaths.error()),
            Some(_) => {}
            None => out.push((h, below)),
        }
    }
    Ok(out)
}

/// Create the groups of `config`: each with its `perm` (missing fields from `defaults`), in
/// every hierarchy its controllers are in (a group without controllers in the v2
/// hierarchy), then its settings. On failure everything made is removed again.
pub fn apply_groups(
    all: &Hierarchies,
    config: &Config,
    defaults: Perm,
    below: &[(Hierarchy, GroupPath)],
) -> Result<Applied, ApplyError> {
    let mut made = Vec::new();
    for def in &config.groups {
        if let Err(e) = create(all, def, def.perm.or(defaults), below, &mut made) {
            crate::Group::undo_create(&made);
            return Err(e);
        }
    }
    Ok(Applied { made })
}

/// Create the group `group` from the template `template` of `templates` for the given
/// controllers, as libcgroup's `cgroup_config_create_template_group`: a controller the
/// template has gets its settings and `perm`; any other controller an empty group. The
/// directories made are returned (parents first); on failure they are removed again.
pub fn template(
    all: &Hierarchies,
    templates: &[GroupDef],
    template: &str,
    group: &GroupPath,
    controllers: &[&str],
) -> Result<Applied, ApplyError> {
    let mut made = Vec::new();
    let name = if group.is_root() {
        ".".to_owned()
    } else {
        group.as_str().to_owned()
    };
    for controller in controllers {
        let found = templates
            .iter()
            .filter(|t| t.name == template)
            .find_map(|t| {
                t.controllers
                    .iter()
                    .find(|c| c.name == *controller)
                    .map(|c| (t, c))
            });
        let (perm, block) = match found {
            Some((t, c)) => (t.perm, c.clone()),
            None => (
                Perm::default(),
                super::Controller {
                    name: (*controller).to_owned(),
                    settings: Vec::new(),
                },
            ),
        };
        let def = GroupDef {
            name: name.clone(),
            line: 0,
            perm,
            controllers: vec![block],
        };
        if let Err(e) = create(all, &def, perm, &[], &mut made) {
            crate::Group::undo_create(&made);
            return Err(e);
        }
    }
    Ok(Applied { made })
}

/// One group in each of its hierarchies; the directories made go to `made`.
fn create(
    all: &Hierarchies,
    def: &GroupDef,
    perm: Perm,
    below: &[(Hierarchy, GroupPath)],
    made: &mut Vec<PathBuf>,
) -> Result<(), ApplyError> {
    let failed_create = |why: String, error: Error| ApplyError {
        upstream: format!("Failed to create cgroup {}", def.name),
        why,
        error,
    };
    let Some(path) = group_path(&def.name) else {
        return Err(failed_create(
            format!("invalid group name '{}'", def.name),
            Ecg::Inval.error(),
        ));
    };
    let access = perm.access();
    let mut blocks: Vec<(Option<&super::Controller>, Hierarchy)> = Vec::new();
    if def.controllers.is_empty() {
        let Some(h) = all.unified() else {
            return Err(failed_create(
                "cgroup v2 is not mounted".to_owned(),
                Ecg::NotMounted.error(),
            ));
        };
        blocks.push((None, h));
    }
    for c in &def.controllers {
        let Some(h) = hierarchy_of(all, &c.name) else {
            return Err(failed_create(
                format!("controller {} is not mounted", c.name),
                Ecg::SubsysNotMounted.error(),
            ));
        };
        blocks.push((Some(c), h));
    }
    for (controller, hierarchy) in &blocks {
        let full = match below
            .iter()
            .find(|(h, _)| h.mount_point == hierarchy.mount_point)
        {
            Some((_, ns)) if path.is_root() => ns.clone(),
            Some((_, ns)) => GroupPath::parse(&format!("{}/{}", ns.as_str(), path.as_str()))
                .unwrap_or_else(|_| path.clone()),
            None => path.clone(),
        };
        let group = hierarchy.group(&full);
        let enable: Vec<&str> = controller
            .map(|c| c.name.as_str())
            .filter(|c| *c != "cgroup")
            .into_iter()
            .collect();
        let dir = group.dir();
        let result = group.create(&enable).and_then(|dirs| {
            made.extend(dirs);
            if access == crate::Access::default() {
                Ok(())
            } else {
                group.set_access(&access)
            }
        });
        if let Err(e) = result {
            return Err(failed_create(
                format!("cannot create {}: {e}", dir.display()),
                e,
            ));
        }
        let Some(controller) = controller else {
            continue;
        };
        for (name, value) in &controller.settings {
            if !loadable(&group, name, value) {
                continue;
            }
            match group.set(name, value) {
                // A setting the kernel has deprecated (and still lists) is passed over.
                Err(e) if e.errno() == Some(sys::errno::ENOTSUP) => {}
                Err(e) => return Err(setting_failed(def, hierarchy.version, name, value, &dir, e)),
                Ok(()) => {}
            }
        }
    }
    Ok(())
}

/// Whether a setting of the file is written at all. As libcgroup 3.2.0 loads a file, a value
/// of several lines (a statistic such as `memory.oom_control`, which cgsnapshot writes out
/// as read) and a file without its owner's write bit (read-only) are passed over without a
/// word, so that a snapshot loads back.
fn loadable(group: &crate::Group<'_>, name: &str, value: &str) -> bool {
    if value.trim_end_matches('\n').contains('\n') {
        return false;
    }
    match std::fs::metadata(group.dir().join(name)) {
        Ok(meta) => std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o200 != 0,
        Err(_) => true,
    }
}

/// A setting the kernel (or the translation) refused, reported as libcgroup 3.2.0 reports
/// it: after a failed write it reads the setting as a name of the other cgroup version and
/// converts it to this hierarchy's, then tries again. So a name the other version has
/// (`cpuset.cpus`, `cpu.weight` on v1) fails as the group's creation, with the write's
/// error ("Failed to create cgroup"); any other name (`cpu.shares` on v1, `pids.max`) as a
/// failed conversion (ECGINVAL).
fn setting_failed(
    def: &GroupDef,
    version: Version,
    name: &str,
    value: &str,
    dir: &std::path::Path,
    e: Error,
) -> ApplyError {
    let why = format!("cannot set {name} = \"{value}\" in {}: {e}", dir.display());
    let other = match version {
        Version::V1 => Version::V2,
        Version::V2 => Version::V1,
    };
    let has_counterpart = counterpart(name, other).is_some();
    if has_counterpart {
        ApplyError {
            upstream: format!("Failed to create cgroup {}", def.name),
            why,
            error: e,
        }
    } else {
        ApplyError {
            upstream: "Conversion of controller failed.".to_owned(),
            why,
            error: Ecg::Inval.error(),
        }
    }
}
