//! Trees a less-privileged user controls, met by a privileged run: a symbolic link that user
//! plants (as nobody, through setpriv) is refused with a clear error and nothing outside the
//! tree changes; what the tools make there has the mode they mean, whatever the umask. Every
//! mount happens in a private mount namespace.
//!
//! The environment under a set-user-ID install is in tests/tests/cg_setuid.rs.

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::Path;

use tests::{
    AS_NOBODY, MountTableUnchanged, NOBODY, Output, Run, Sleeper, busybox_root, ours, scratch,
    sh_in_private_mount_ns,
};

/// Run `command` as nobody (setpriv); it must succeed.
fn as_nobody(command: &[&str]) {
    let words: Vec<&str> = AS_NOBODY
        .split(' ')
        .chain(command.iter().copied())
        .collect();
    let out = Run::new(words[0]).args(&words[1..]).run();
    assert_eq!(out.code, Some(0), "{command:?} as nobody: {out:#?}");
}

/// `dir` handed to nobody, as a user's own directory is theirs.
fn give_to_nobody(dir: &Path) {
    chown(dir, Some(NOBODY), Some(NOBODY)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// A busybox root file system whose `srv` belongs to nobody, the container's owner.
fn rootfs_with_a_user_dir(d: &Path) -> Option<std::path::PathBuf> {
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    let root = d.join("rootfs");
    if !busybox_root(&root) {
        return None;
    }
    std::fs::create_dir(root.join("srv")).unwrap();
    give_to_nobody(&root.join("srv"));
    Some(root)
}

/// `unshare -m pivot ARGS ROOT /bin/sh -c SCRIPT` with `umask` set first.
fn pivot_in(umask: &str, args: &[&str], root: &Path, script: &str) -> Output {
    Run::new("/bin/sh")
        .args(["-c", &format!("umask {umask}; exec \"$@\""), "sh"])
        .arg_os(ours("unshare"))
        .args(["-m"])
        .arg_os(ours("pivot"))
        .args(args)
        .arg_os(root)
        .args(["/bin/sh", "-c", script])
        .run()
}

/// The container's owner links a directory of the new root to `/proc/PID/cwd` of a host
/// process in a directory of the host, a magic link that leads there once pivot has mounted
/// /proc: a bind's mount point below it is refused (ELOOP), and nothing is made on the host,
/// where the old pivot made the mount point as root (and mounted on it).
#[test]
fn pivot_makes_no_mount_point_through_a_planted_magic_link() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let Some(root) = rootfs_with_a_user_dir(d.path()) else {
        return;
    };
    let victim = d.path().join("host-dir");
    std::fs::create_dir(&victim).unwrap();
    let src = d.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let host = Sleeper::with_cwd(&victim);
    let link = root.join("srv/escape");
    let target = format!("/proc/{}/cwd", host.pid());
    as_nobody(&["ln", "-s", &target, &link.to_string_lossy()]);
    let bind = format!("{}:/srv/escape/made", src.display());
    let out = pivot_in("022", &["--proc", "--bind", &bind], &root, "echo ran");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "", "the command ran");
    assert_eq!(
        out.stderr,
        "pivot: cannot open /srv/escape/made: Too many levels of symbolic links\n"
    );
    assert!(!victim.join("made").exists(), "made on the host");
    assert!(std::fs::read_dir(&victim).unwrap().next().is_none());
}

/// With `--put-old` the old root stays inside the new one: the owner's link from the new root
/// into it (`/srv/escape -> /old/<host dir>`) would have pivot make a bind's mount point in
/// the host's tree. It is refused, and nothing is made there.
#[test]
fn pivot_makes_no_mount_point_through_a_link_into_put_old() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let Some(root) = rootfs_with_a_user_dir(d.path()) else {
        return;
    };
    std::fs::create_dir(root.join("old")).unwrap();
    let victim = d.path().join("host-dir");
    let src = d.path().join("src");
    std::fs::create_dir(&victim).unwrap();
    std::fs::create_dir(&src).unwrap();
    let target = format!("/old{}", victim.display());
    as_nobody(&[
        "ln",
        "-s",
        &target,
        &root.join("srv/escape").to_string_lossy(),
    ]);
    let bind = format!("{}:/srv/escape/made", src.display());
    let put_old = root.join("old");
    let out = pivot_in(
        "022",
        &["--put-old", &put_old.to_string_lossy(), "--bind", &bind],
        &root,
        "echo ran",
    );
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "", "the command ran");
    assert_eq!(
        out.stderr,
        "pivot: cannot create /srv/escape/made: a symbolic link leads into the old root at --put-old /old\n"
    );
    assert!(
        std::fs::read_dir(&victim).unwrap().next().is_none(),
        "made on the host"
    );
}

/// The working directory is a planted link to `/proc/PID/cwd` of a host process (a real
/// directory of that name in the root gets it past the check before the pivot): after the
/// pivot it would put the command in a directory of the host. It is refused, and the command
/// does not run.
#[test]
fn pivot_does_not_change_to_a_working_directory_outside_the_new_root() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let Some(root) = rootfs_with_a_user_dir(d.path()) else {
        return;
    };
    let host = Sleeper::with_cwd(d.path());
    let magic = format!("/proc/{}/cwd", host.pid());
    std::fs::create_dir_all(root.join(&magic[1..])).unwrap();
    let link = root.join("srv/w");
    as_nobody(&["ln", "-s", &magic, &link.to_string_lossy()]);
    let out = pivot_in("022", &["--proc", "-w", "/srv/w"], &root, "pwd; ls");
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "", "the command ran");
    assert_eq!(
        out.stderr,
        "pivot: cannot change directory to /srv/w: Too many levels of symbolic links\n"
    );
}

/// `unshare --root --wd` into a root that has a proc mounted in it, where the root's owner
/// linked the working directory to `/proc/PID/cwd` of a host process: after chroot(2) that
/// magic link leads out of the root, and util-linux 2.42.2 runs the command in the host's
/// directory. Ours looks the directory up inside the root only: refused, nothing runs.
#[test]
fn unshare_does_not_change_to_a_working_directory_outside_the_root() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let Some(root) = rootfs_with_a_user_dir(d.path()) else {
        return;
    };
    std::fs::create_dir(root.join("proc")).unwrap();
    let host = Sleeper::with_cwd(d.path());
    let link = root.join("srv/w");
    as_nobody(&[
        "ln",
        "-s",
        &format!("/proc/{}/cwd", host.pid()),
        &link.to_string_lossy(),
    ]);
    let run = |unshare: &Path| {
        tests::private_mount_ns(
            r#"mount -t proc proc "$D/rootfs/proc" && exec "$T" -R "$D/rootfs" -w /srv/w /bin/sh -c 'echo ran in $(pwd); ls'"#,
        )
        .env("D", d.path())
        .env("T", unshare)
        .run()
    };
    let out = run(&ours("unshare"));
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(out.stdout, "", "the command ran");
    assert_eq!(
        out.stderr,
        "unshare: cannot change directory to /srv/w: Too many levels of symbolic links\n"
    );
    if let Some(theirs) = tests::reference("unshare") {
        let out = run(&theirs);
        assert_eq!(out.code, Some(0), "{out:#?}");
        assert!(
            out.stdout.contains("rootfs"),
            "util-linux's ran in the host's directory: {out:#?}"
        );
    }
}

/// The mount points pivot makes have its modes (0555 proc and sys, 0755 dev and a bind's
/// directory with its parents, 1777 tmp, 0644 a file's) under umask 000 and 077 alike.
#[test]
fn pivot_mount_points_have_their_modes_whatever_the_umask() {
    let _host = MountTableUnchanged::new();
    for umask in ["000", "077"] {
        let d = scratch();
        let Some(root) = rootfs_with_a_user_dir(d.path()) else {
            return;
        };
        let (dir, file) = (d.path().join("dir"), d.path().join("file"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(&file, "x").unwrap();
        let binds = [
            format!("{}:/srv/a/b", dir.display()),
            format!("{}:/etc/conf/f", file.display()),
        ];
        let out = pivot_in(
            umask,
            &[
                "--proc", "--sys", "--dev", "--tmp", "--bind", &binds[0], "--bind", &binds[1],
            ],
            &root,
            "echo ran",
        );
        assert_eq!(out.ok(), "ran\n", "umask {umask}");
        let modes: Vec<(&str, u32)> = [
            "proc",
            "sys",
            "dev",
            "tmp",
            "srv/a",
            "srv/a/b",
            "etc",
            "etc/conf",
            "etc/conf/f",
        ]
        .into_iter()
        .map(|p| (p, mode(&root.join(p))))
        .collect();
        assert_eq!(
            modes,
            [
                ("proc", 0o555),
                ("sys", 0o555),
                ("dev", 0o755),
                ("tmp", 0o1777),
                ("srv/a", 0o755),
                ("srv/a/b", 0o755),
                ("etc", 0o755),
                ("etc/conf", 0o755),
                ("etc/conf/f", 0o644),
            ],
            "umask {umask}"
        );
    }
}

/// `ovlmount --create` where the upper layer's name, in a directory nobody may write, is
/// nobody's link to a directory of root's: refused, with nothing mounted, made or changed
/// (the overlay would have written its changes into root's directory).
#[test]
fn ovlmount_create_refuses_a_planted_upper_link() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (lower, victim, user) = (
        d.path().join("lower"),
        d.path().join("root-only"),
        d.path().join("user"),
    );
    for dir in [&lower, &victim, &user] {
        std::fs::create_dir(dir).unwrap();
    }
    give_to_nobody(&user);
    let upper = user.join("upper");
    as_nobody(&[
        "ln",
        "-s",
        &victim.to_string_lossy(),
        &upper.to_string_lossy(),
    ]);
    let out = sh_in_private_mount_ns(
        d.path(),
        r#"cd "$D"; "$O" mount --create -l lower -u user/upper -w user/work user/merged; echo "rc=$?"
        grep -c " - overlay " /proc/self/mountinfo"#
            .replace("$O", &ours("ovlmount").to_string_lossy())
            .as_str(),
    );
    assert_eq!(out.stdout, "rc=1\n0\n", "{out:#?}");
    assert_eq!(
        out.stderr,
        "ovlmount: --create: user/upper is a symbolic link; refusing to follow it\n"
    );
    let mut left: Vec<String> = std::fs::read_dir(&user)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["upper"]);
    assert!(std::fs::read_dir(&victim).unwrap().next().is_none());
}

/// `ovlmount --create`'s directories: upper 0755 (the overlay's root takes its mode), work
/// 0700 (the kernel's alone), merged 0755, under umask 000 and 077 alike.
#[test]
fn ovlmount_create_modes_whatever_the_umask() {
    let _host = MountTableUnchanged::new();
    for umask in ["000", "077"] {
        let d = scratch();
        std::fs::create_dir(d.path().join("lower")).unwrap();
        let script = format!(
            r#"cd "$D"; umask {umask}; "{o}" mount --create -l lower -u up -w wk m && stat -c %a m && "{o}" umount m"#,
            o = ours("ovlmount").display()
        );
        let out = sh_in_private_mount_ns(d.path(), &script);
        assert_eq!(out.ok(), "755\n", "umask {umask}: the mounted root");
        let modes: Vec<u32> = ["up", "wk", "m"]
            .iter()
            .map(|p| mode(&d.path().join(p)))
            .collect();
        assert_eq!(modes, [0o755, 0o700, 0o755], "umask {umask}");
    }
}

/// Root with another user's `XDG_RUNTIME_DIR` (kept by `su`): `--user` does not read, and
/// above all does not remove, anything there. nobody links `libcgroup` in their runtime
/// directory to a directory of root's holding a file named `systemd`; the old tools read it,
/// found no such group in it and removed it as a stale default.
#[test]
fn user_scope_file_is_not_followed_out_of_a_users_runtime_directory() {
    let d = scratch();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let (runtime, victim) = (d.path().join("run-user"), d.path().join("root-only"));
    std::fs::create_dir(&runtime).unwrap();
    std::fs::create_dir(&victim).unwrap();
    give_to_nobody(&runtime);
    let precious = victim.join("systemd");
    std::fs::write(&precious, "root's file, not a scope name\n").unwrap();
    as_nobody(&[
        "ln",
        "-s",
        &victim.to_string_lossy(),
        &runtime.join("libcgroup").to_string_lossy(),
    ]);
    for tool in ["lscgroup", "cgget"] {
        let out = Run::new(ours(tool))
            .env("XDG_RUNTIME_DIR", &runtime)
            .args(["--user", "-g", "cpu:/"])
            .run();
        assert!(out.code.is_some(), "{tool}: {out:#?}");
        assert!(precious.exists(), "{tool} removed {}", precious.display());
    }
}

/// Why the cgroup tools need no symlink care in a delegated tree (SECURITY.md): in a group
/// handed to nobody (directory chowned, as `cgcreate -a` and systemd's Delegate=yes do),
/// nobody may make groups, but not a symbolic link or a node, in every hierarchy of the host.
#[test]
fn a_delegated_cgroup_tree_takes_no_symbolic_link() {
    let group = tests::TestGroup::new("delegated");
    for mount in tests::cgroup_mounts() {
        let dir = mount.join(&group.name);
        std::fs::create_dir(&dir).unwrap();
        give_to_nobody(&dir);
        as_nobody(&["mkdir", &dir.join("child").to_string_lossy()]);
        for command in [
            vec!["ln", "-s", "/etc", &*dir.join("link").to_string_lossy()],
            vec!["mkfifo", &*dir.join("fifo").to_string_lossy()],
        ] {
            let words: Vec<&str> = AS_NOBODY
                .split(' ')
                .chain(command.iter().map(|s| &**s))
                .collect();
            let out = Run::new(words[0]).args(&words[1..]).run();
            assert_ne!(
                out.code,
                Some(0),
                "{} {command:?}: {out:#?}",
                mount.display()
            );
        }
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| !t.is_file()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["child"], "{}", mount.display());
    }
}
