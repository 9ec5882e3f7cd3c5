//! Reading groups for the listing tools (`cgget`, `cgxget`, `lscgroup`, `lssubsys`).
//!
//! - [`Group::settings`]: every setting of one controller in a group, in the kernel's
//!   directory order, as `cgget -g` prints them.
//! - [`display`]: a value as `cgget` prints it (one trailing newline dropped, each further
//!   line indented by a TAB, empty lines dropped).
//! - [`Group::read_as`]: one setting by its v1 or its v2 name, whichever the hierarchy has:
//!   a v1 name on a v2 hierarchy (or the reverse) is read from its counterpart and its value
//!   converted back, the reading side of [`super::translate`].
//! - [`Group::walk`]: a group and its descendants, pre-order, in directory order (as
//!   `lscgroup` lists them).
//! - [`controller_ids`] and [`mount_points`]: `/proc/cgroups` hierarchy ids and every mount of
//!   a hierarchy (for `lssubsys -i` and `-M`).

use std::fs;
use std::io::Read;
use std::path::PathBuf;

use super::{Ecg, Group, GroupPath, Hierarchy, Version};
use sys::error::Result;

/// The named v1 hierarchy that libcgroup's distribution builds keep out of every listing
/// (systemd's own, which has no controller files).
pub const OPAQUE: &str = "name=systemd";

/// The largest v1 memory limit, which v1 shows for "unlimited".
pub const V1_UNLIMITED: &str = "9223372036854771712";

/// How much of a file libcgroup reads (and so how much the text output shows; JSON reads
/// files whole, see [`Group::reading_whole_files`]).
const MAX_VALUE: usize = 4095;

/// One setting and its value, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The file name (`memory.max`).
    pub name: String,
    /// The value without its trailing newline (see [`display`] for the printed form).
    pub value: String,
}

/// A value as `cgget` prints it: one trailing newline removed, empty lines dropped, every
/// line after the first starting with a TAB.
pub fn display(value: &str) -> String {
    let mut lines = value.split('\n').filter(|l| !l.is_empty());
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        out.push_str("\n\t");
        out.push_str(line);
    }
    out
}

/// The controller a setting belongs to: the text before its first `.`.
pub fn controller_of(setting: &str) -> Option<&str> {
    setting
        .split_once('.')
        .map(|(c, _)| c)
        .filter(|c| !c.is_empty())
}

/// A setting's file, its first [`MAX_VALUE`] bytes or, `whole`, all of it.
fn read_limited(path: &std::path::Path, whole: bool) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let limit = if whole { u64::MAX } else { MAX_VALUE as u64 };
    fs::File::open(path)?.take(limit).read_to_end(&mut buf)?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

impl Group<'_> {
    /// This group with its settings read whole: libcgroup reads only the first 4095 bytes of
    /// a file, which `cgget` copies in its text, but a value cut there (a long
    /// `cgroup.procs`, `memory.numa_stat` on many nodes) would be a wrong one in JSON.
    pub fn reading_whole_files(self) -> Self {
        Group {
            whole_files: true,
            ..self
        }
    }

    /// Every setting of `controller` in this group, in directory (kernfs) order: the regular
    /// files whose name before the first `.` is the controller. A file that cannot be read
    /// (a write-only one such as `memory.force_empty`) shows an empty value, as libcgroup
    /// shows it. A missing group has no settings.
    pub fn settings(&self, controller: &str) -> Result<Vec<Setting>> {
        let entries = match fs::read_dir(self.dir()) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Ecg::Other.with_errno(e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if controller_of(&name) != Some(controller)
                || !entry.file_type().is_ok_and(|t| t.is_file())
            {
                continue;
            }
            let value = read_limited(&entry.path(), self.whole_files).unwrap_or_default();
            out.push(Setting { name, value });
        }
        Ok(out)
    }

    /// The controllers whose settings `cgget -a` shows for this group: the hierarchy's
    /// (named hierarchies have none). On v2 that is the root's `cgroup.controllers`, as in
    /// libcgroup's mount table, not the group's: a controller the group's parent does not
    /// enable still shows its files the group has (the PSI `io.pressure`, `cpu.stat`).
    pub fn all_controllers(&self) -> Vec<String> {
        let h = self.hierarchy();
        h.controllers
            .iter()
            .filter(|c| !c.starts_with("name="))
            .cloned()
            .collect()
    }

    /// Read one setting without translation, by its exact file name. A missing file (or
    /// group) is the errno's error ("No such file or directory"), as `cgget -r` reports it.
    pub fn read_raw(&self, setting: &str) -> Result<String> {
        if setting.is_empty() || setting.contains('/') || setting.starts_with('.') {
            return Err(Ecg::ValueNotExist.error());
        }
        read_limited(&self.dir().join(setting), self.whole_files)
            .map_err(|e| Ecg::Other.with_errno(e))
    }

    /// Read `setting`, by its v1 or v2 name: a name of the other version is read from its
    /// counterpart in this hierarchy and converted back (`cpu.shares` on v2 from
    /// `cpu.weight`, `memory.max` on v1 from `memory.limit_in_bytes`, ...). Any other name
    /// is read as it is.
    pub fn read_as(&self, setting: &str) -> Result<String> {
        let raw = |name: &str| self.read_raw(name);
        let number = |name: &str| -> Result<u64> {
            let text = raw(name)?;
            text.trim().parse().map_err(|_| {
                sys::Error::msg(format!("{name} holds '{text}', not a number"))
                    .with_status(Ecg::Fail.status())
            })
        };
        let field = |n: usize| -> Result<String> {
            let max = raw("cpu.max")?;
            Ok(max.split_whitespace().nth(n).unwrap_or_default().to_owned())
        };
        let v1_limit = |v: String| {
            if v == "max" {
                V1_UNLIMITED.to_owned()
            } else {
                v
            }
        };
        let v2_limit = |v: String| {
            if v == "-1" || v == V1_UNLIMITED {
                "max".to_owned()
            } else {
                v
            }
        };
        match (self.hierarchy().version, setting) {
            (Version::V2, "cpu.shares") => Ok((number("cpu.weight")? * 1024 / 100).to_string()),
            (Version::V2, "cpu.cfs_quota_us") => {
                let quota = field(0)?;
                Ok(if quota == "max" { "-1".into() } else { quota })
            }
            (Version::V2, "cpu.cfs_period_us") => field(1),
            (Version::V2, "memory.limit_in_bytes") => raw("memory.max").map(v1_limit),
            (Version::V2, "memory.soft_limit_in_bytes") => raw("memory.high").map(v1_limit),
            (Version::V2, "memory.memsw.limit_in_bytes") => {
                let (swap, memory) = (raw("memory.swap.max")?, raw("memory.max")?);
                match (swap.parse::<u64>(), memory.parse::<u64>()) {
                    (Ok(s), Ok(m)) => Ok(s.saturating_add(m).to_string()),
                    _ => Ok(V1_UNLIMITED.to_owned()),
                }
            }
            (Version::V2, "cpuset.cpu_exclusive") => {
                let p = raw("cpuset.cpus.partition")?;
                Ok(if p == "root" { "1" } else { "0" }.to_owned())
            }
            (Version::V2, "cpuset.effective_cpus") => raw("cpuset.cpus.effective"),
            (Version::V2, "cpuset.effective_mems") => raw("cpuset.mems.effective"),
            (Version::V1, "cpu.weight") => Ok((number("cpu.shares")? * 100 / 1024)
                .clamp(1, 10000)
                .to_string()),
            (Version::V1, "cpu.max") => {
                let quota = raw("cpu.cfs_quota_us")?;
                let period = raw("cpu.cfs_period_us")?;
                let quota = if quota == "-1" {
                    "max".to_owned()
                } else {
                    quota
                };
                Ok(format!("{quota} {period}"))
            }
            (Version::V1, "memory.max") => raw("memory.limit_in_bytes").map(v2_limit),
            (Version::V1, "memory.high") => raw("memory.soft_limit_in_bytes").map(v2_limit),
            (Version::V1, "memory.swap.max") => {
                let memsw = raw("memory.memsw.limit_in_bytes")?;
                let memory = raw("memory.limit_in_bytes")?;
                if memsw == V1_UNLIMITED || memsw == "-1" {
                    return Ok("max".to_owned());
                }
                match (memsw.parse::<u64>(), memory.parse::<u64>()) {
                    (Ok(s), Ok(m)) => Ok(s.saturating_sub(m).to_string()),
                    _ => Ok("max".to_owned()),
                }
            }
            (Version::V1, "cpuset.cpus.partition") => {
                let e = raw("cpuset.cpu_exclusive")?;
                Ok(if e == "1" { "root" } else { "member" }.to_owned())
            }
            (Version::V1, "cpuset.cpus.effective") => raw("cpuset.effective_cpus"),
            (Version::V1, "cpuset.mems.effective") => raw("cpuset.effective_mems"),
            _ => raw(setting),
        }
    }

    /// The direct children in directory order (as `fts` walks them, unsorted).
    pub fn children_unsorted(&self) -> Vec<GroupPath> {
        let Ok(entries) = fs::read_dir(self.dir()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| self.path().join(&e.file_name().to_string_lossy()))
            .collect()
    }

    /// This group and every descendant, pre-order, children in directory order. Empty when
    /// the group does not exist.
    pub fn walk(&self) -> Vec<GroupPath> {
        if !self.exists() {
            return Vec::new();
        }
        let mut out = vec![self.path().clone()];
        for child in self.children_unsorted() {
            out.extend(self.hierarchy().group(&child).walk());
        }
        out
    }
}

/// The setting names a v1 or v2 name corresponds to in the other version, for `cgxget`:
/// `Some(names)` when it maps (possibly to the same name, as `cpuset.cpus`), `None` when it
/// has no counterpart. `from` is the version the name belongs to.
pub fn counterpart(name: &str, from: Version) -> Option<&'static [&'static str]> {
    let names: &'static [&'static str] = match (from, name) {
        (Version::V1, "cpu.shares") => &["cpu.weight"],
        (Version::V1, "cpu.cfs_quota_us" | "cpu.cfs_period_us") => &["cpu.max"],
        (Version::V1, "memory.limit_in_bytes") => &["memory.max"],
        (Version::V1, "memory.soft_limit_in_bytes") => &["memory.high"],
        (Version::V1, "memory.memsw.limit_in_bytes") => &["memory.swap.max"],
        (Version::V1, "cpuset.cpu_exclusive") => &["cpuset.cpus.partition"],
        (Version::V1, "cpuset.effective_cpus") => &["cpuset.cpus.effective"],
        (Version::V1, "cpuset.effective_mems") => &["cpuset.mems.effective"],
        (Version::V2, "cpu.weight") => &["cpu.shares"],
        (Version::V2, "cpu.max") => &["cpu.cfs_quota_us", "cpu.cfs_period_us"],
        (Version::V2, "memory.max") => &["memory.limit_in_bytes"],
        (Version::V2, "memory.high") => &["memory.soft_limit_in_bytes"],
        (Version::V2, "memory.swap.max") => &["memory.memsw.limit_in_bytes"],
        (Version::V2, "cpuset.cpus.partition") => &["cpuset.cpu_exclusive"],
        (Version::V2, "cpuset.cpus.effective") => &["cpuset.effective_cpus"],
        (Version::V2, "cpuset.mems.effective") => &["cpuset.effective_mems"],
        (_, "cpuset.cpus") => &["cpuset.cpus"],
        (_, "cpuset.mems") => &["cpuset.mems"],
        _ => return None,
    };
    Some(names)
}

/// Settings libcgroup's conversion table lists as having no counterpart in the other version
/// (`cgxget` fails on them with ECGNOVERSIONCONVERT, or skips them with `-i`).
pub fn unmappable(name: &str) -> bool {
    matches!(
        name,
        "cpu.stat"
            | "cpuset.mem_exclusive"
            | "cpuset.mem_hardwall"
            | "cpuset.memory_migrate"
            | "cpuset.memory_pressure"
            | "cpuset.memory_pressure_enabled"
            | "cpuset.mem_pressure_enabled"
            | "cpuset.memory_spread_page"
            | "cpuset.memory_spread_slab"
            | "cpuset.sched_load_balance"
            | "cpuset.sched_relax_domain_level"
    )
}

/// Each controller of `/proc/cgroups` with its hierarchy id (0: not mounted on v1, or v2).
pub fn controller_ids() -> Vec<(String, u32)> {
    parse_proc_cgroups(&fs::read_to_string("/proc/cgroups").unwrap_or_default())
}

fn parse_proc_cgroups(text: &str) -> Vec<(String, u32)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_owned(), f.next()?.parse().ok()?))
        })
        .collect()
}

/// Every mount point of `hierarchy`, in mount-table order (a v1 hierarchy may be mounted
/// more than once; on v2, every cgroup2 mount).
pub fn mount_points(hierarchy: &Hierarchy) -> Vec<PathBuf> {
    let mounts = sys::mount::mountinfo().unwrap_or_default();
    let mut out: Vec<PathBuf> = mounts
        .iter()
        .filter(|m| match hierarchy.version {
            Version::V2 => m.fstype == "cgroup2",
            Version::V1 => {
                m.fstype == "cgroup" && {
                    let opts: Vec<&str> = m.super_options.split(',').collect();
                    hierarchy
                        .controllers
                        .iter()
                        .all(|c| opts.contains(&c.as_str()))
                }
            }
        })
        .map(|m| m.mount_point.clone())
        .collect();
    if out.is_empty() {
        out.push(hierarchy.mount_point.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A scratch directory removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("nsutils-test-{}-read-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn hierarchy(version: Version, dir: &Path, controllers: &[&str]) -> Hierarchy {
        Hierarchy {
            version,
            controllers: controllers.iter().map(|c| (*c).to_owned()).collect(),
            mount_point: dir.to_path_buf(),
            mount_root: PathBuf::from("/"),
        }
    }

    #[test]
    fn display_indents_lines() {
        assert_eq!(display("1024"), "1024");
        assert_eq!(display("a 1\nb 2\n\nc 3"), "a 1\n\tb 2\n\tc 3");
        assert_eq!(display(""), "");
    }

    #[test]
    fn controller_names() {
        assert_eq!(controller_of("memory.max"), Some("memory"));
        assert_eq!(controller_of("cpu.stat.local"), Some("cpu"));
        assert_eq!(controller_of("nodot"), None);
        assert_eq!(controller_of(".x"), None);
    }

    #[test]
    fn settings_of_one_controller() {
        let dir = Scratch::new("settings");
        let g = dir.path().join("g");
        fs::create_dir_all(g.join("memory.child")).unwrap();
        fs::write(g.join("memory.max"), "max\n").unwrap();
        fs::write(g.join("memory.stat"), "anon 1\nfile 2\n").unwrap();
        fs::write(g.join("memoryx.y"), "no").unwrap();
        fs::write(g.join("cgroup.procs"), "").unwrap();
        let h = hierarchy(Version::V2, dir.path(), &["memory"]);
        let group = h.group(&GroupPath::parse("g").unwrap());
        let mut got = group.settings("memory").unwrap();
        got.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(
            got,
            vec![
                Setting {
                    name: "memory.max".into(),
                    value: "max".into()
                },
                Setting {
                    name: "memory.stat".into(),
                    value: "anon 1\nfile 2".into()
                },
            ]
        );
        let missing = h.group(&GroupPath::parse("nosuch").unwrap());
        assert!(missing.settings("memory").unwrap().is_empty());
    }

    #[test]
    fn reading_v1_names_on_v2() {
        let dir = Scratch::new("v1onv2");
        for (f, v) in [
            ("cpu.weight", "50\n"),
            ("cpu.max", "max 100000\n"),
            ("memory.max", "max\n"),
            ("memory.high", "1048576\n"),
            ("memory.swap.max", "1024\n"),
            ("cpuset.cpus.partition", "root\n"),
            ("cpuset.cpus.effective", "0-1\n"),
        ] {
            fs::write(dir.path().join(f), v).unwrap();
        }
        let h = hierarchy(Version::V2, dir.path(), &["cpu", "memory", "cpuset"]);
        let g = h.group(&GroupPath::root());
        let read = |n: &str| g.read_as(n).unwrap();
        assert_eq!(read("cpu.shares"), "512");
        assert_eq!(read("cpu.cfs_quota_us"), "-1");
        assert_eq!(read("cpu.cfs_period_us"), "100000");
        assert_eq!(read("memory.limit_in_bytes"), V1_UNLIMITED);
        assert_eq!(read("memory.soft_limit_in_bytes"), "1048576");
        assert_eq!(read("memory.memsw.limit_in_bytes"), V1_UNLIMITED);
        assert_eq!(read("cpuset.cpu_exclusive"), "1");
        assert_eq!(read("cpuset.effective_cpus"), "0-1");
        assert_eq!(read("cpu.weight"), "50");
        let e = g.read_as("cpu.nosuch").unwrap_err();
        assert_eq!(
            (e.to_string(), e.status()),
            ("No such file or directory".into(), 96)
        );
    }

    #[test]
    fn reading_v2_names_on_v1() {
        let dir = Scratch::new("v2onv1");
        for (f, v) in [
            ("cpu.shares", "2\n"),
            ("cpu.cfs_quota_us", "50000\n"),
            ("cpu.cfs_period_us", "100000\n"),
            ("memory.limit_in_bytes", "15728640\n"),
            ("memory.soft_limit_in_bytes", "9223372036854771712\n"),
            ("memory.memsw.limit_in_bytes", "16777216\n"),
            ("cpuset.cpu_exclusive", "0\n"),
        ] {
            fs::write(dir.path().join(f), v).unwrap();
        }
        let h = hierarchy(Version::V1, dir.path(), &["cpu"]);
        let g = h.group(&GroupPath::root());
        let read = |n: &str| g.read_as(n).unwrap();
        assert_eq!(read("cpu.weight"), "1");
        assert_eq!(read("cpu.max"), "50000 100000");
        assert_eq!(read("memory.max"), "15728640");
        assert_eq!(read("memory.high"), "max");
        assert_eq!(read("memory.swap.max"), "1048576");
        assert_eq!(read("cpuset.cpus.partition"), "member");
        fs::write(dir.path().join("cpu.cfs_quota_us"), "-1\n").unwrap();
        assert_eq!(read("cpu.max"), "max 100000");
    }

    #[test]
    fn walk_is_preorder() {
        let dir = Scratch::new("walk");
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::create_dir_all(dir.path().join("a/c")).unwrap();
        fs::write(dir.path().join("a/file"), "").unwrap();
        let h = hierarchy(Version::V1, dir.path(), &["cpu"]);
        let got = h.group(&GroupPath::parse("a").unwrap()).walk();
        assert_eq!(got[0].as_str(), "a");
        let mut rest: Vec<&str> = got[1..].iter().map(GroupPath::as_str).collect();
        rest.sort_unstable();
        assert_eq!(rest, ["a/b", "a/c"]);
        assert!(h.group(&GroupPath::parse("zz").unwrap()).walk().is_empty());
    }

    #[test]
    fn proc_cgroups_ids() {
        let got = parse_proc_cgroups(
            "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\nhugetlb\t0\t1\t1\n",
        );
        assert_eq!(got, vec![("cpuset".into(), 3), ("hugetlb".into(), 0)]);
    }

    #[test]
    fn counterparts() {
        assert_eq!(counterpart("cpu.max", Version::V2).unwrap().len(), 2);
        assert_eq!(
            counterpart("cpuset.cpus", Version::V1),
            Some(&["cpuset.cpus"][..])
        );
        assert_eq!(counterpart("pids.max", Version::V1), None);
        assert!(unmappable("cpu.stat"));
        assert!(!unmappable("cpu.max"));
    }
}
