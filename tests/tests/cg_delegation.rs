//! cgroup v2 delegation: why a move or an enable was refused, and an ordinary user's limits.
//!
//! On every host, as `nobody` in groups the test makes and delegates by hand (the group's
//! directory, `cgroup.procs`, `cgroup.subtree_control` and `cgroup.threads` chowned to
//! nobody, as systemd's Delegate=yes does): a move the containment rule refuses, an enable
//! the no-internal-process rule refuses (EBUSY), an enable of a controller the parent has
//! not delegated (ENOENT), and a move into a group that enables controllers for its
//! children. Ours names the file and the right, or the rule and the group; libcgroup 3.2.0
//! says "cgroup change of group failed" or the bare errno. Each case runs the reference too
//! and asserts its message next to ours, with the same exit status (a deliberate difference,
//! listed in the tools' man page NOTES). On a v1-only host nothing is explained: ours prints
//! what libcgroup prints.
//!
//! In the systemd guest (`cargo xtask vm-test --mode systemd`), as the guest's ordinary user
//! in a subtree systemd delegated to them: our tools create a group, set memory and CPU
//! limits, run a program in it, show and delete it; the limits hold.

use std::fs;
use std::os::unix::fs::chown;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tests::{
    CgroupMode, NOBODY, Output, Run, TestGroup, cgroup_dir, cgroup_mode, cgroup_mounts, ours,
    reference,
};

/// The cgroup2 mount on this layout (`/sys/fs/cgroup/unified` on the hybrid host), or
/// `None` on a v1-only one.
fn v2_mount() -> Option<PathBuf> {
    match cgroup_mode() {
        CgroupMode::V1 => None,
        CgroupMode::V2 => Some(PathBuf::from("/sys/fs/cgroup")),
        CgroupMode::Hybrid => cgroup_mounts()
            .into_iter()
            .find(|m| m.join("cgroup.controllers").is_file()),
    }
}

/// A controller the root of `mount` enables for its children (so a test group has it), the
/// one every test enables: memory where there is one, else the first (hugetlb on the hybrid
/// host, whose other controllers are on v1).
fn enabled_controller(mount: &Path) -> String {
    let enabled = fs::read_to_string(mount.join("cgroup.subtree_control")).unwrap_or_default();
    let words: Vec<&str> = enabled.split_whitespace().collect();
    let chosen = if words.contains(&"memory") {
        Some("memory")
    } else {
        words.first().copied()
    };
    chosen
        .unwrap_or_else(|| panic!("{} enables no controller: {enabled:?}", mount.display()))
        .to_owned()
}

/// Give `dir` to nobody as systemd's Delegate=yes gives a subtree: the directory and the
/// files that move processes and enable controllers.
fn delegate(dir: &Path) {
    for path in [
        dir.to_path_buf(),
        dir.join("cgroup.procs"),
        dir.join("cgroup.subtree_control"),
        dir.join("cgroup.threads"),
    ] {
        chown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
    }
}

fn setpriv_nobody() -> String {
    format!("setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups")
}

/// `tool args` as nobody, both builds (libcgroup's first); each names itself `tool` in its
/// messages (the reference prints argv[0], so its path is replaced by the name).
fn as_nobody_both(tool: &str, args: &[&str]) -> Option<(Output, Output)> {
    let theirs = reference(tool)?;
    let run = |program: &Path| named(Run::as_nobody(program).args(args).run(), program, tool);
    Some((run(&theirs), run(&ours(tool))))
}

/// `out` with `program`'s path in its messages replaced by `tool`, as typed at a shell.
fn named(mut out: Output, program: &Path, tool: &str) -> Output {
    out.stderr = out.stderr.replace(&program.display().to_string(), tool);
    out
}

/// A `sleep` of our own, in the group `dir` (v1 or v2); killed (by its pid) and reaped when dropped.
struct Sleeper(Child);

impl Sleeper {
    fn new_in(dir: &Path) -> Self {
        let child = Command::new("sleep")
            .arg("100")
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let sleeper = Sleeper(child);
        fs::write(dir.join("cgroup.procs"), sleeper.pid().to_string()).unwrap();
        sleeper
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn procs(dir: &Path) -> String {
    fs::read_to_string(dir.join("cgroup.procs")).unwrap()
}

const MOVE_HINT: &str = "start the program inside a subtree delegated to you instead, e.g. \
     with `systemd-run --user --scope -p Delegate=yes ...`";

/// `cgexec` as nobody from `src` into `dst`, both delegated the same way but with a common
/// ancestor nobody may not write: the kernel refuses (EACCES). Ours names the ancestor's
/// cgroup.procs; libcgroup says "cgroup change of group failed"; both exit 96. cgclassify
/// of a process in `src` the same: the errno there, ours the explanation.
#[test]
fn move_refused_by_the_containment_rule_names_the_common_ancestor() {
    let Some(mount) = v2_mount() else {
        return v1_move_unchanged();
    };
    let g = TestGroup::new("contain");
    let top = mount.join(&g.name);
    let (src, dst) = (top.join("src"), top.join("dst"));
    fs::create_dir_all(&src).unwrap();
    fs::create_dir(&dst).unwrap();
    delegate(&dst);
    let Some(theirs) = reference("cgexec") else {
        return;
    };
    // The shell says its pid (cgexec's, after exec), goes into src as root, then becomes
    // nobody and cgexec.
    let cgexec_as_nobody = |program: &Path| {
        let script = format!(
            "echo $$; echo $$ > {src}/cgroup.procs && exec {setpriv} \"$0\" -g :{name}/dst true",
            src = src.display(),
            setpriv = setpriv_nobody(),
            name = g.name
        );
        named(
            Run::new("sh").args(["-c", &script]).arg_os(program).run(),
            program,
            "cgexec",
        )
    };
    let theirs = cgexec_as_nobody(&theirs);
    let mine = cgexec_as_nobody(&ours("cgexec"));
    assert_eq!(
        theirs.stderr, "cgroup change of group failed\n",
        "{theirs:#?}"
    );
    let pid = mine.stdout.trim();
    assert_eq!(
        mine.stderr,
        format!(
            "cgexec: cannot move process {pid} to {dst}: moving it from {src} needs write \
             access to {top}/cgroup.procs (their common ancestor's), which uid {NOBODY} lacks \
             (owner root, mode 0644)\n{MOVE_HINT}\n",
            dst = dst.display(),
            src = src.display(),
            top = top.display()
        )
    );
    assert_eq!(mine.code, theirs.code);
    assert_eq!(mine.code, Some(96));
    assert_eq!(procs(&dst), "", "nothing moved");

    let sleeper = Sleeper::new_in(&src);
    let pid = sleeper.pid().to_string();
    let (theirs, mine) = as_nobody_both("cgclassify", &["-g", &format!(":{}/dst", g.name), &pid])
        .expect("the reference was found above");
    assert_eq!(
        theirs.stderr,
        format!("Error changing group of pid {pid}: Permission denied\n")
    );
    assert_eq!(
        mine.stderr,
        format!(
            "Error changing group of pid {pid}: cannot move process {pid} to {dst}: moving it \
             from {src} needs write access to {top}/cgroup.procs (their common ancestor's), \
             which uid {NOBODY} lacks (owner root, mode 0644)\n{MOVE_HINT}\n",
            dst = dst.display(),
            src = src.display(),
            top = top.display()
        )
    );
    assert_eq!((mine.code, theirs.code), (Some(1), Some(1)));
    assert_eq!(procs(&src), format!("{pid}\n"), "the process stayed");
}

/// On v1 nothing is explained (the rules are v1's): a refused move prints what libcgroup
/// prints. nobody's cgexec into a group whose tasks file is root's.
fn v1_move_unchanged() {
    let g = TestGroup::new("contain");
    let dir = g.dir("memory");
    fs::create_dir(&dir).unwrap();
    let spec = format!("memory:{}", g.name);
    let Some((theirs, mine)) = as_nobody_both("cgexec", &["-g", &spec, "true"]) else {
        return;
    };
    assert_eq!(mine, theirs);
    assert_eq!(theirs.stderr, "cgroup change of group failed\n");
    assert_eq!(fs::read_to_string(dir.join("tasks")).unwrap(), "");
    assert!(cgroup_dir("memory").join(&g.name).is_dir());
}

/// A delegated group with a process in it cannot enable a controller for its children (the
/// no-internal-process rule, EBUSY), by `cgset -r cgroup.subtree_control=+C` or by
/// `cgcreate -g C:group/child` (which enables it on the way). Ours names the rule and the
/// group's cgroup.procs; libcgroup prints the errno ("No such file or directory" for
/// cgcreate, whose own code misreports it). Status 96 for both; nothing is left behind.
#[test]
fn enable_in_a_group_with_processes_names_the_no_internal_process_rule() {
    let Some(mount) = v2_mount() else {
        return v1_enable_unchanged();
    };
    let c = enabled_controller(&mount);
    let g = TestGroup::new("busy");
    let top = mount.join(&g.name);
    let busy = top.join("busy");
    fs::create_dir_all(&busy).unwrap();
    fs::write(top.join("cgroup.subtree_control"), format!("+{c}")).unwrap();
    delegate(&busy);
    let sleeper = Sleeper::new_in(&busy);
    let busy_name = format!("{}/busy", g.name);
    let why = format!(
        "cannot enable {c} for the children of {busy}: the group has processes (1 in \
         {busy}/cgroup.procs), and a group that passes controllers to its children may hold \
         none (the no-internal-process rule); move them into a child group first",
        busy = busy.display()
    );

    let Some((theirs, mine)) = as_nobody_both(
        "cgset",
        &["-r", &format!("cgroup.subtree_control=+{c}"), &busy_name],
    ) else {
        return;
    };
    assert_eq!(
        theirs.stderr,
        "cgset: cgroup modify error: Device or resource busy\n"
    );
    assert_eq!(mine.stderr, format!("cgset: cgroup modify error: {why}\n"));
    assert_eq!((mine.code, theirs.code), (Some(96), Some(96)));

    let spec = format!("{c}:{busy_name}/sub");
    let (theirs, mine) = as_nobody_both("cgcreate", &["-g", &spec]).unwrap();
    assert_eq!(
        theirs.stderr,
        format!("cgcreate: can't create cgroup {busy_name}/sub: No such file or directory\n")
    );
    assert_eq!(
        mine.stderr,
        format!("cgcreate: can't create cgroup {busy_name}/sub: {why}\n")
    );
    assert_eq!((mine.code, theirs.code), (Some(96), Some(96)));
    assert_eq!(
        fs::read_to_string(busy.join("cgroup.subtree_control")).unwrap(),
        ""
    );
    assert!(!busy.join("sub").exists());
    assert_eq!(procs(&busy), format!("{}\n", sleeper.pid()));
}

/// On v1 there is no cgroup.subtree_control: cgset of it fails as libcgroup's does.
fn v1_enable_unchanged() {
    let g = TestGroup::new("busy");
    fs::create_dir(g.dir("memory")).unwrap();
    let spec = format!("memory:{}/sub", g.name);
    let Some((theirs, mine)) = as_nobody_both("cgcreate", &["-g", &spec]) else {
        return;
    };
    assert_eq!(mine.code, theirs.code);
    assert_ne!(mine.code, Some(0));
    assert!(!g.dir("memory").join("sub").exists());
}

/// A delegated group whose parent has not enabled a controller for it cannot enable that
/// controller for its own children (ENOENT: it is not in the group's cgroup.controllers).
/// `cgset -r cgroup.subtree_control=+C`: ours names the parent's cgroup.subtree_control,
/// libcgroup prints "No such file or directory"; 96 both. `cgcreate -g C:group/child` tries
/// the parent's file first, which nobody may not write: ours names it and the right,
/// libcgroup says "requested group parameter does not exist"; 95 both.
#[test]
fn enable_of_a_controller_the_parent_has_not_delegated_names_the_parent() {
    let Some(mount) = v2_mount() else {
        return v1_enable_unchanged();
    };
    let c = enabled_controller(&mount);
    let g = TestGroup::new("undelegated");
    let top = mount.join(&g.name);
    let del = top.join("del");
    fs::create_dir_all(&del).unwrap();
    delegate(&del);
    let del_name = format!("{}/del", g.name);

    let Some((theirs, mine)) = as_nobody_both(
        "cgset",
        &["-r", &format!("cgroup.subtree_control=+{c}"), &del_name],
    ) else {
        return;
    };
    assert_eq!(
        theirs.stderr,
        "cgset: cgroup modify error: No such file or directory\n"
    );
    assert_eq!(
        mine.stderr,
        format!(
            "cgset: cgroup modify error: cannot enable {c} for the children of {del}: it is \
             not in {del}/cgroup.controllers, because the parent group has not delegated it \
             (not enabled in {top}/cgroup.subtree_control)\n",
            del = del.display(),
            top = top.display()
        )
    );
    assert_eq!((mine.code, theirs.code), (Some(96), Some(96)));

    let spec = format!("{c}:{del_name}/sub");
    let (theirs, mine) = as_nobody_both("cgcreate", &["-g", &spec]).unwrap();
    assert_eq!(
        theirs.stderr,
        format!(
            "cgcreate: can't create cgroup {del_name}/sub: Cgroup, requested group parameter \
             does not exist\n"
        )
    );
    assert_eq!(
        mine.stderr,
        format!(
            "cgcreate: can't create cgroup {del_name}/sub: cannot enable {c} for the children \
             of {top}: writing {top}/cgroup.subtree_control needs write access, which uid \
             {NOBODY} lacks (owner root, mode 0644)\n",
            top = top.display()
        )
    );
    assert_eq!((mine.code, theirs.code), (Some(95), Some(95)));
    assert_eq!(
        fs::read_to_string(top.join("cgroup.subtree_control")).unwrap(),
        ""
    );
    assert!(!del.join("sub").exists());
}

/// A group that enables a controller for its children takes no processes (EBUSY on its
/// cgroup.procs): nobody's cgexec into such a delegated group. Ours names the group's
/// cgroup.subtree_control and the rule; libcgroup "cgroup change of group failed"; 96 both.
#[test]
fn move_into_a_group_that_enables_controllers_names_the_rule() {
    let Some(mount) = v2_mount() else {
        return v1_move_unchanged();
    };
    let c = enabled_controller(&mount);
    let g = TestGroup::new("inner");
    let top = mount.join(&g.name);
    let inner = top.join("inner");
    fs::create_dir_all(inner.join("leaf")).unwrap();
    fs::write(top.join("cgroup.subtree_control"), format!("+{c}")).unwrap();
    fs::write(inner.join("cgroup.subtree_control"), format!("+{c}")).unwrap();
    // nobody may write every cgroup.procs involved: only the rule refuses.
    delegate(&top);
    delegate(&inner);
    let Some(theirs) = reference("cgexec") else {
        return;
    };
    let cgexec_as_nobody = |program: &Path| {
        let script = format!(
            "echo $$; echo $$ > {top}/cgroup.procs && exec {setpriv} \"$0\" -g :{name}/inner true",
            top = top.join("inner/leaf").display(),
            setpriv = setpriv_nobody(),
            name = g.name
        );
        named(
            Run::new("sh").args(["-c", &script]).arg_os(program).run(),
            program,
            "cgexec",
        )
    };
    let theirs = cgexec_as_nobody(&theirs);
    let mine = cgexec_as_nobody(&ours("cgexec"));
    assert_eq!(
        theirs.stderr, "cgroup change of group failed\n",
        "{theirs:#?}"
    );
    let pid = mine.stdout.trim();
    assert_eq!(
        mine.stderr,
        format!(
            "cgexec: cannot move process {pid} to {inner}: the group enables {c} for its \
             children in {inner}/cgroup.subtree_control, so it may hold no processes (the \
             no-internal-process rule); move the process into a child group\n",
            inner = inner.display()
        )
    );
    assert_eq!((mine.code, theirs.code), (Some(96), Some(96)));
    assert_eq!(procs(&inner), "");
}

/// Refusals outside any delegation (groups root made and kept) exit as libcgroup 3.2.0's
/// do: a member file nobody may not open is "not allowed" (87; it was 96 before), a group
/// directory nobody may not make too (87), a setting file nobody may not open "parameter
/// does not exist" (95). On v1 (this host's memory hierarchy, the v1 guest) the messages
/// are libcgroup's too; on v2 ours name the file and the right.
#[test]
fn refusals_outside_a_delegation_exit_as_libcgroups_do() {
    if cgroup_mode() != CgroupMode::V2 {
        let g = TestGroup::new("rootkept1");
        let dir = g.dir("memory");
        fs::create_dir(&dir).unwrap();
        let group = format!("memory:{}", g.name);
        let sleeper = Sleeper::new_in(&dir);
        let pid = sleeper.pid().to_string();
        for (tool, args, status) in [
            ("cgexec", vec!["-g", &group, "true"], 87),
            ("cgcreate", vec!["-g", &format!("{group}/sub")], 87),
            ("cgclassify", vec!["-g", &group, &pid], 1),
            (
                "cgset",
                vec!["-r", "memory.limit_in_bytes=1M", g.name.as_str()],
                95,
            ),
        ] {
            let Some((theirs, mine)) = as_nobody_both(tool, &args) else {
                return;
            };
            assert_eq!(mine.stderr, theirs.stderr, "{tool}");
            assert_eq!(
                (mine.code, theirs.code),
                (Some(status), Some(status)),
                "{tool}"
            );
        }
        assert!(!dir.join("sub").exists());
        assert_eq!(
            fs::read_to_string(dir.join("tasks")).unwrap(),
            format!("{pid}\n")
        );
    }
    let Some(mount) = v2_mount() else {
        return;
    };
    let g = TestGroup::new("rootkept2");
    let top = mount.join(&g.name);
    fs::create_dir(&top).unwrap();
    let (theirs, mine) = as_nobody_both("cgcreate", &["-g", &format!(":{}/sub", g.name)])
        .expect("the reference is built");
    assert_eq!(
        theirs.stderr,
        format!(
            "cgcreate: can't create cgroup {}/sub: Cgroup, operation not allowed\n",
            g.name
        )
    );
    assert_eq!(
        mine.stderr,
        format!(
            "cgcreate: can't create cgroup {name}/sub: cannot create {top}/sub: it needs write \
             access to {top}, which uid {NOBODY} lacks (owner root, mode 0755)\n",
            name = g.name,
            top = top.display()
        )
    );
    assert_eq!((mine.code, theirs.code), (Some(87), Some(87)));
    assert!(!top.join("sub").exists());

    let (theirs, mine) = as_nobody_both("cgexec", &["-g", &format!(":{}", g.name), "true"])
        .expect("the reference is built");
    assert_eq!(theirs.stderr, "cgroup change of group failed\n");
    let pid_free = mine
        .stderr
        .split_once(" to ")
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    assert_eq!(
        pid_free,
        format!(
            "{top}: writing {top}/cgroup.procs needs write access, which uid {NOBODY} lacks \
             (owner root, mode 0644)\n",
            top = top.display()
        ),
        "{mine:#?}"
    );
    assert!(mine.stderr.starts_with("cgexec: cannot move process "));
    assert_eq!((mine.code, theirs.code), (Some(87), Some(87)));
    assert_eq!(procs(&top), "");
}
