//! The cgroup model over fake cgroupfs trees. A real kernel adds what a directory tree
//! cannot: v2 refusing a controller its parent has not enabled, files appearing in a new
//! group by themselves, `cgroup.procs` moving a process; the integration tests and the VM
//! modes (`cargo xtask vm-test`) check those.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use sys::mount::MountInfo;

fn mount(id: u32, point: &Path, fstype: &str, super_options: &str) -> MountInfo {
    let line = format!(
        "{id} 1 0:{id} / {} rw,nosuid - {fstype} cgroup {super_options}",
        point.display()
    );
    MountInfo::parse(line.as_bytes()).unwrap()
}

const KERNEL: &[&str] = &[
    "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "pids", "hugetlb", "misc",
];

pub(crate) struct Fake {
    pub(crate) dir: PathBuf,
}

impl Fake {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("nsutils-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Fake { dir }
    }

    fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.dir.join(rel);
        fs::create_dir_all(&p).unwrap();
        p
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// This host's layout: v1 per controller, name=systemd, cgroup2 with only hugetlb.
pub(crate) fn hybrid(f: &Fake) -> Hierarchies {
    let mounts = vec![
        mount(30, &f.mkdir("systemd"), "cgroup", "rw,xattr,name=systemd"),
        mount(31, &f.mkdir("unified"), "cgroup2", "rw,nsdelegate"),
        mount(32, &f.mkdir("cpu,cpuacct"), "cgroup", "rw,cpu,cpuacct"),
        mount(33, &f.mkdir("memory"), "cgroup", "rw,memory"),
        mount(34, &f.mkdir("cpuset"), "cgroup", "rw,cpuset"),
    ];
    fs::write(f.dir.join("unified/cgroup.controllers"), "hugetlb memory\n").unwrap();
    Hierarchies::from_mounts(&mounts, KERNEL, |p| fs::read_to_string(p).ok())
}

fn unified(f: &Fake) -> Hierarchies {
    let root = f.mkdir("v2");
    fs::write(
        root.join("cgroup.controllers"),
        "cpuset cpu io memory hugetlb pids\n",
    )
    .unwrap();
    fs::write(root.join("cgroup.subtree_control"), "").unwrap();
    let mounts = vec![mount(
        40,
        &root,
        "cgroup2",
        "rw,nsdelegate,memory_recursiveprot",
    )];
    Hierarchies::from_mounts(&mounts, KERNEL, |p| fs::read_to_string(p).ok())
}

#[test]
fn discovers_hybrid_layout_like_libcgroup() {
    let f = Fake::new("hybrid");
    let h = hybrid(&f);
    assert_eq!(h.mode(), Some(Mode::Hybrid));
    let names: Vec<Vec<String>> = h.list.iter().map(|x| x.controllers.clone()).collect();
    assert_eq!(
        names,
        [
            vec!["name=systemd".to_owned()],
            vec!["cpu".into(), "cpuacct".into()],
            vec!["memory".into()],
            vec!["cpuset".into()],
            vec!["hugetlb".into()]
        ]
    );
    // memory is bound to v1, so the v2 hierarchy keeps only hugetlb.
    assert_eq!(
        h.for_controller("memory").map(|x| x.version),
        Some(Version::V1)
    );
    assert_eq!(
        h.for_controller("hugetlb").map(|x| x.version),
        Some(Version::V2)
    );
    assert!(h.for_controller("io").is_none());
    // Co-mounted controllers are one hierarchy: one directory to create or delete.
    assert_eq!(
        h.for_controllers(&["cpu", "cpuacct", "memory"])
            .map(|v| v.len()),
        Ok(2)
    );
    assert_eq!(
        h.for_controllers(&["cpu", "nosuch"]).err().as_deref(),
        Some("nosuch")
    );
}

#[test]
fn discovers_unified_and_legacy() {
    let f = Fake::new("unified");
    let h = unified(&f);
    assert_eq!(h.mode(), Some(Mode::Unified));
    assert_eq!(h.list.len(), 1);
    assert!(h.for_controller("io").is_some());
    let legacy = Hierarchies::from_mounts(
        &[mount(1, &f.mkdir("memory"), "cgroup", "rw,memory")],
        KERNEL,
        |_| None,
    );
    assert_eq!(legacy.mode(), Some(Mode::Legacy));
    assert!(legacy.unified().is_none());
    assert_eq!(Hierarchies::from_mounts(&[], KERNEL, |_| None).mode(), None);
}

#[test]
fn group_paths_stay_inside() {
    assert_eq!(GroupPath::parse("/a/b").unwrap().as_str(), "a/b");
    assert_eq!(GroupPath::parse("a/b/").unwrap().as_str(), "a/b");
    assert!(GroupPath::parse("/").unwrap().is_root());
    for bad in ["../x", "a/../../x", "a//b", "./a", "a/.", "//a"] {
        assert!(GroupPath::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        GroupPath::parse("../x").unwrap_err(),
        "group path '../x' leaves its hierarchy ('..')"
    );
    let p = GroupPath::parse("a/b").unwrap();
    assert_eq!(p.parent(), Some(GroupPath::parse("a").unwrap()));
    assert_eq!(p.to_string(), "/a/b");
}

#[test]
fn v2_create_enables_controllers_in_every_ancestor() {
    let f = Fake::new("v2create");
    let h = unified(&f);
    let v2 = h.for_controller("memory").unwrap();
    // A real kernel makes these files in every new group.
    let a = f.dir.join("v2/a");
    let group = v2.group(&GroupPath::parse("a/b").unwrap());
    let made = {
        // Pre-create a's control file as the kernel would once a exists: done after the
        // first level by writing it when the directory appears.
        let made = group.create(&["memory", "cpu"]);
        // The fake tree has no a/cgroup.subtree_control until we make it, so the first try
        // fails at the second level and must remove what it made.
        assert!(made.is_err());
        assert!(!a.exists(), "a failed create left {a:?} behind");
        fs::create_dir(&a).unwrap();
        fs::write(a.join("cgroup.subtree_control"), "memory").unwrap();
        group.create(&["memory", "cpu"]).unwrap()
    };
    assert_eq!(made, [a.join("b")]);
    assert_eq!(
        fs::read_to_string(f.dir.join("v2/cgroup.subtree_control")).unwrap(),
        "+cpu"
    );
    assert_eq!(
        fs::read_to_string(a.join("cgroup.subtree_control")).unwrap(),
        "+cpu"
    );
    assert!(group.exists());
    // Existing groups are fine.
    assert_eq!(group.create(&[]).unwrap(), Vec::<PathBuf>::new());
}

#[test]
fn v1_settings_attach_and_delete() {
    let f = Fake::new("v1ops");
    let h = hybrid(&f);
    let mem = h.for_controller("memory").unwrap();
    let g = mem.group(&GroupPath::parse("g").unwrap());
    assert_eq!(g.create(&["memory"]).unwrap(), [f.dir.join("memory/g")]);
    fs::write(
        g.dir().join("memory.limit_in_bytes"),
        "9223372036854771712\n",
    )
    .unwrap();
    fs::write(g.dir().join("cgroup.procs"), "").unwrap();
    assert_eq!(
        g.read("memory.limit_in_bytes").unwrap(),
        "9223372036854771712"
    );
    g.write("memory.limit_in_bytes", "15M").unwrap();
    assert_eq!(g.read("memory.limit_in_bytes").unwrap(), "15M");
    assert_eq!(g.read("memory.nosuch").unwrap_err().status(), 95);
    assert_eq!(g.write("memory.nosuch", "1").unwrap_err().status(), 95);
    assert_eq!(g.read("../memory.limit_in_bytes").unwrap_err().status(), 95);
    assert!(g.write("memory.limit_in_bytes", "1\n2").is_err());
    g.attach(42).unwrap();
    assert_eq!(g.procs().unwrap(), [42]);
    let missing = mem.group(&GroupPath::parse("nosuch").unwrap());
    assert_eq!(missing.attach(1).unwrap_err().status(), 82);
    // Deleting moves the tasks up first; the fake root has a procs file of its own.
    fs::write(f.dir.join("memory/cgroup.procs"), "").unwrap();
    let err = g.delete(false);
    // A directory tree cannot rmdir a directory with files in it (cgroupfs can): the
    // attempt still moved the pid to the parent.
    assert!(err.is_err());
    assert_eq!(
        fs::read_to_string(f.dir.join("memory/cgroup.procs")).unwrap(),
        "42"
    );
}

#[test]
fn delete_refuses_a_group_with_children_unless_recursive() {
    let f = Fake::new("v1busy");
    let h = hybrid(&f);
    let mem = h.for_controller("memory").unwrap();
    let g = mem.group(&GroupPath::parse("g").unwrap());
    let child = mem.group(&GroupPath::parse("g/c").unwrap());
    child.create(&["memory"]).unwrap();
    fs::write(g.dir().join("cgroup.procs"), "42").unwrap();
    fs::write(f.dir.join("memory/cgroup.procs"), "").unwrap();
    let err = g.delete(false).unwrap_err();
    assert_eq!(
        (err.to_string(), err.status()),
        ("Device or resource busy".to_owned(), 96)
    );
    // Refused before anything moved: the pid stays, the tree stays.
    assert_eq!(
        fs::read_to_string(f.dir.join("memory/cgroup.procs")).unwrap(),
        ""
    );
    assert!(child.exists());
}

#[test]
fn ecg_statuses() {
    assert_eq!(Ecg::GroupNotExist.status(), 82);
    assert_eq!(Ecg::SubsysNotMounted.status(), 84);
    assert_eq!(Ecg::NotAllowed.status(), 87);
    assert_eq!(Ecg::ValueNotExist.status(), 95);
    assert_eq!(Ecg::Other.status(), 96);
    let e = Ecg::Other
        .with_errno(sys::errno::EINVAL)
        .context("cgroup modify error");
    assert_eq!(e.to_string(), "cgroup modify error: Invalid argument");
    assert_eq!(e.status(), 96);
    assert_eq!(
        Ecg::GroupNotExist.error().to_string(),
        "Cgroup does not exist"
    );
}

#[test]
fn settings_translate_both_ways() {
    let none = |_: &str| None;
    let t = |name: &str, value: &str, to, cur: &dyn Fn(&str) -> Option<String>| {
        translate(name, value, to, cur)
            .unwrap()
            .into_iter()
            .map(|x| format!("{}={}", x.name, x.value))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        t("memory.limit_in_bytes", "15M", Version::V2, &none),
        ["memory.max=15M"]
    );
    assert_eq!(
        t("memory.limit_in_bytes", "-1", Version::V2, &none),
        ["memory.max=max"]
    );
    assert_eq!(
        t("memory.limit_in_bytes", "15M", Version::V1, &none),
        ["memory.limit_in_bytes=15M"]
    );
    assert_eq!(
        t("memory.max", "max", Version::V1, &none),
        ["memory.limit_in_bytes=-1"]
    );
    assert_eq!(
        t("cpu.shares", "768", Version::V2, &none),
        ["cpu.weight=75"]
    );
    assert_eq!(t("cpu.shares", "2", Version::V2, &none), ["cpu.weight=1"]);
    assert_eq!(
        t("cpu.weight", "50", Version::V1, &none),
        ["cpu.shares=512"]
    );
    let period = |n: &str| (n == "cpu.max").then(|| "max 50000".to_owned());
    assert_eq!(
        t("cpu.cfs_quota_us", "25000", Version::V2, &period),
        ["cpu.max=25000 50000"]
    );
    assert_eq!(
        t("cpu.cfs_quota_us", "25000", Version::V2, &none),
        ["cpu.max=25000 100000"]
    );
    assert_eq!(
        t("cpu.cfs_quota_us", "-1", Version::V2, &period),
        ["cpu.max=max 50000"]
    );
    assert_eq!(
        t("cpu.cfs_period_us", "200000", Version::V2, &period),
        ["cpu.max=max 200000"]
    );
    assert_eq!(
        t("cpu.max", "25000 100000", Version::V1, &none),
        ["cpu.cfs_period_us=100000", "cpu.cfs_quota_us=25000"]
    );
    assert_eq!(
        t("cpu.max", "max", Version::V1, &none),
        ["cpu.cfs_quota_us=-1"]
    );
    let mem = |n: &str| (n == "memory.max").then(|| "15728640".to_owned());
    assert_eq!(
        t("memory.memsw.limit_in_bytes", "20M", Version::V2, &mem),
        ["memory.swap.max=5242880"]
    );
    assert!(translate("memory.memsw.limit_in_bytes", "10M", Version::V2, mem).is_err());
    assert!(translate("memory.memsw.limit_in_bytes", "20M", Version::V2, none).is_err());
    let v1mem = |n: &str| (n == "memory.limit_in_bytes").then(|| "15728640".to_owned());
    assert_eq!(
        t("memory.swap.max", "5M", Version::V1, &v1mem),
        ["memory.memsw.limit_in_bytes=20971520"]
    );
    assert_eq!(
        t("cpuset.cpu_exclusive", "1", Version::V2, &none),
        ["cpuset.cpus.partition=root"]
    );
    assert_eq!(
        t("cpuset.cpus.partition", "member", Version::V1, &none),
        ["cpuset.cpu_exclusive=0"]
    );
    assert_eq!(t("cpuset.cpus", "0", Version::V2, &none), ["cpuset.cpus=0"]);
    assert_eq!(t("pids.max", "10", Version::V1, &none), ["pids.max=10"]);
    assert_eq!(
        translate("cpu.shares", "x", Version::V2, none)
            .unwrap_err()
            .status(),
        91
    );
}

/// Found by fuzzing (fuzz/README.md, cgroup_setting): the v1<->v2 scalings overflowed on huge
/// values (a panic in debug builds, a wrapped value in release ones).
#[test]
fn huge_settings_saturate_or_are_refused() {
    let none = |_: &str| None;
    let value = |name: &str, value: &str, to| {
        translate(name, value, to, none)
            .map(|t| t.into_iter().map(|x| x.value).collect::<Vec<_>>())
            .unwrap()
    };
    assert_eq!(
        value("cpu.weight", "9223372036854775807", Version::V1),
        ["18446744073709551615"]
    );
    assert_eq!(value("cpu.weight", "10000", Version::V1), ["102400"]);
    assert_eq!(
        value("cpu.shares", "18446744073709551615", Version::V2),
        ["10000"]
    );
    let v1mem = |n: &str| (n == "memory.limit_in_bytes").then(|| "15728640".to_owned());
    let err = translate(
        "memory.swap.max",
        "18446744073709551615",
        Version::V1,
        v1mem,
    )
    .unwrap_err();
    assert_eq!(err.status(), 91);
    assert!(
        err.to_string().contains("beyond the largest limit"),
        "{err}"
    );
}

#[test]
fn sizes_as_memparse_reads_them() {
    assert_eq!(parse_size("15M"), Some(15 << 20));
    assert_eq!(parse_size("2g"), Some(2 << 30));
    assert_eq!(parse_size("12"), Some(12));
    assert_eq!(parse_size("M"), None);
    assert_eq!(parse_size("-1"), None);
}

#[test]
fn inside_a_cgroup_namespace_the_mount_at_its_root_wins() {
    let f = Fake::new("cgns");
    // The host's mounts show `/..` inside the namespace; a mount made inside shows `/`.
    let mut outer = mount(30, &f.mkdir("host-memory"), "cgroup", "rw,memory");
    outer.root = PathBuf::from("/..");
    let inner = mount(31, &f.mkdir("ns-memory"), "cgroup", "rw,memory");
    let mut outer2 = mount(32, &f.mkdir("host-unified"), "cgroup2", "rw");
    outer2.root = PathBuf::from("/..");
    let inner2 = mount(33, &f.mkdir("ns-unified"), "cgroup2", "rw");
    let mut late2 = mount(34, &f.mkdir("late-unified"), "cgroup2", "rw");
    late2.root = PathBuf::from("/..");
    let h = Hierarchies::from_mounts(&[outer, inner, outer2, inner2, late2], KERNEL, |_| None);
    assert_eq!(
        h.for_controller("memory").unwrap().mount_point,
        f.dir.join("ns-memory")
    );
    assert_eq!(h.unified().unwrap().mount_point, f.dir.join("ns-unified"));
    // Outside any namespace (every root `/`), the first v1 mount and the last v2 one, as
    // libcgroup.
    let a = mount(40, &f.mkdir("a"), "cgroup", "rw,memory");
    let b = mount(41, &f.mkdir("b"), "cgroup", "rw,memory");
    let h = Hierarchies::from_mounts(&[a, b], KERNEL, |_| None);
    assert_eq!(
        h.for_controller("memory").unwrap().mount_point,
        f.dir.join("a")
    );
}

#[test]
fn refused_enables_are_explained_from_the_groups_state() {
    let f = Fake::new("explain");
    let all = unified(&f);
    let h = &all.list[0];
    let dir = f.mkdir("v2/a/b");
    fs::write(dir.join("cgroup.controllers"), "pids\n").unwrap();
    fs::write(dir.join("cgroup.procs"), "123\n456\n").unwrap();
    let group = h.group(&GroupPath::parse("a/b").unwrap());
    let v2 = f.dir.join("v2");
    let explain = |value, errno| delegation::explain_subtree_control(&group, value, errno);
    assert_eq!(
        explain("+memory", sys::errno::ENOENT).as_deref(),
        Some(
            format!(
                "cannot enable memory for the children of {0}/a/b: it is not in \
                 {0}/a/b/cgroup.controllers, because the parent group has not delegated it \
                 (not enabled in {0}/a/cgroup.subtree_control)",
                v2.display()
            )
            .as_str()
        )
    );
    // The first word the group lacks is named, not the first word.
    assert!(
        explain("+pids +memory", sys::errno::ENOENT)
            .is_some_and(|m| m.starts_with("cannot enable memory "))
    );
    assert_eq!(
        explain("+pids", sys::errno::EBUSY).as_deref(),
        Some(
            format!(
                "cannot enable pids for the children of {0}/a/b: the group has processes (2 in \
                 {0}/a/b/cgroup.procs), and a group that passes controllers to its children \
                 may hold none (the no-internal-process rule); move them into a child group \
                 first",
                v2.display()
            )
            .as_str()
        )
    );
    // Nothing to explain: disabling, an empty group, another errno.
    assert_eq!(explain("-pids", sys::errno::EBUSY), None);
    assert_eq!(explain("+pids", sys::errno::EINVAL), None);
    fs::write(dir.join("cgroup.procs"), "").unwrap();
    assert_eq!(explain("+pids", sys::errno::EBUSY), None);
}
