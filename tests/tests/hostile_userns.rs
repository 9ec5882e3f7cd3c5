//! Hostile hosts, produced for real: a namespace limit of 0, a missing capability, a seccomp
//! filter, a user without subordinate ids, a `newuidmap` that is not set-user-ID or not there,
//! a chroot, and (in the systemd guest) `kernel.unprivileged_userns_clone = 0`. Each test
//! checks the exit status and first line against util-linux 2.42.2's `unshare`/`nsenter` run
//! the same way, then our one more line, `PROG: hint: ...`, and that nothing is left behind.
//!
//! The causes these kernels cannot produce (Ubuntu's AppArmor restriction, the nesting limits,
//! a kernel without a kind of namespace) are unit-tested over fake files in
//! crates/sys/src/diagnose/userns.rs.

use std::fs;
use std::path::Path;

use tests::{
    AS_NOBODY, MountTableUnchanged, NOBODY, Output, Run, Sleeper, ours, reference, scratch,
    split_hint,
};

/// Held by the test that turns `kernel.unprivileged_userns_clone` off (a host-wide sysctl, in
/// the systemd guest) and by the tests that make a user namespace without CAP_SYS_ADMIN in
/// the initial one (as an unprivileged user, or inside another user namespace, where Debian's
/// check refuses root too), which must not run meanwhile. (util-linux's unshare, when its
/// unshare(2) fails after it forked the child that runs newuidmap, even leaves that child
/// waiting for ever, on an eventfd that never reports the parent's end, and with it the
/// test's output pipes.)
static UNPRIVILEGED_USERNS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn unprivileged_userns() -> std::sync::MutexGuard<'static, ()> {
    UNPRIVILEGED_USERNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Our run must match the reference's (status, stdout, stderr) except for one more last line
/// on stderr, which is `PROG: hint: HINT`.
fn same_but_hint(theirs: &Output, ours: &Output, prog: &str, hint: &str) {
    assert_eq!(ours.code, theirs.code, "ours {ours:#?}\ntheirs {theirs:#?}");
    assert_eq!(
        ours.stdout, theirs.stdout,
        "ours {ours:#?}\ntheirs {theirs:#?}"
    );
    assert_eq!(
        split_hint(&ours.stderr, prog),
        (theirs.stderr.as_str(), Some(hint)),
        "ours {ours:#?}\ntheirs {theirs:#?}"
    );
}

/// `run` of util-linux's unshare fails with unshare(2)'s bare "Operation not permitted";
/// `run` of ours prints the same and then `hint`.
fn unshare_refused_then_hint(run: impl Fn(&Path) -> Output, theirs: &Path, hint: &str) {
    let theirs = run(theirs);
    assert_eq!(
        (theirs.code, theirs.stderr.as_str()),
        (
            Some(1),
            "unshare: unshare failed: Operation not permitted\n"
        )
    );
    same_but_hint(&theirs, &run(&ours("unshare")), "unshare", hint);
}

/// `sh -c SCRIPT` inside a user namespace of the reference unshare's (`-Ur`), with `$U` the
/// unshare to test.
fn in_own_user_ns(unshare: &Path, script: &str) -> Option<Output> {
    let reference = reference("unshare")?;
    Some(
        Run::new(reference)
            .args(["-Ur", "/bin/sh", "-c", script])
            .env("U", unshare)
            .run(),
    )
}

#[test]
fn a_namespace_limit_of_zero_in_this_user_namespace() {
    let Some(theirs_unshare) = reference("unshare") else {
        return;
    };
    let _userns = unprivileged_userns();
    for (sysctl, option, seen) in [
        ("max_user_namespaces", "-U", "user.max_user_namespaces"),
        ("max_mnt_namespaces", "-m", "user.max_mnt_namespaces"),
    ] {
        let script = format!(
            "echo 0 > /proc/sys/user/{sysctl} && exec \"$U\" {option} cat /proc/sys/user/{sysctl}"
        );
        let (Some(theirs), Some(ours)) = (
            in_own_user_ns(&theirs_unshare, &script),
            in_own_user_ns(&ours("unshare"), &script),
        ) else {
            return;
        };
        assert_eq!(
            (theirs.code, theirs.stderr.as_str()),
            (
                Some(1),
                "unshare: unshare failed: No space left on device\n"
            )
        );
        same_but_hint(
            &theirs,
            &ours,
            "unshare",
            &format!("{seen} is 0 in this user namespace; raise it: sysctl -w {seen}=15000"),
        );
    }
    // The limit was the test's own namespace's: the host's is untouched.
    let host = fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap_or_default();
    assert_ne!(host.trim(), "0");
}

/// `$R -Ur` nested `levels` deep (the reference unshare), then `sh -c SCRIPT` there, with
/// `$U` the unshare to test.
fn nested_user_ns(unshare: &Path, levels: u32, script: &str) -> Option<Output> {
    let reference = reference("unshare")?;
    let nest = "if [ $N -lt $LEVELS ]; then N=$((N+1)) exec \"$R\" -Ur /bin/sh -c \"$NEST\"; \
                else exec /bin/sh -c \"$SCRIPT\"; fi";
    Some(
        Run::new("/bin/sh")
            .args(["-c", nest])
            .env("NEST", nest)
            .env("N", "0")
            .env("LEVELS", levels.to_string())
            .env("SCRIPT", script)
            .env("R", reference)
            .env("U", unshare)
            .run(),
    )
}

/// Since Linux 4.9 the nesting limit of user namespaces (33 levels below the initial one) and an
/// ancestor's `user.max_user_namespaces` both give ENOSPC; in a namespace where nobody set
/// the limit it reads 2147483647, so the limit reached is not this namespace's.
#[test]
fn an_ancestors_limit_or_the_nesting_depth() {
    let Some(theirs_unshare) = reference("unshare") else {
        return;
    };
    let _userns = unprivileged_userns();
    let hint = "user.max_user_namespaces is 2147483647 (no limit) in this user namespace: the \
                limit reached is an ancestor user namespace's, or the kernel's limit on nesting \
                user namespaces; raise it there (sysctl -w user.max_user_namespaces=15000), or \
                nest less deep";
    for (levels, script) in [
        // 33 levels below the initial namespace (the kernel refuses a new one in a namespace
        // above level 32, the initial one being 0): one more is refused.
        (33, "exec \"$U\" -Ur true"),
        // The test's own namespace allows two more below it; the third is refused.
        (
            1,
            "echo 2 > /proc/sys/user/max_user_namespaces && \
             exec \"$R\" -Ur \"$R\" -Ur \"$U\" -Ur true",
        ),
    ] {
        let (Some(theirs), Some(ours)) = (
            nested_user_ns(&theirs_unshare, levels, script),
            nested_user_ns(&ours("unshare"), levels, script),
        ) else {
            return;
        };
        assert_eq!(
            (theirs.code, theirs.stderr.as_str()),
            (
                Some(1),
                "unshare: unshare failed: No space left on device\n"
            ),
            "{levels} levels"
        );
        same_but_hint(&theirs, &ours, "unshare", hint);
    }
    // One level less is allowed: the nesting is what was refused.
    if let Some(out) = nested_user_ns(&ours("unshare"), 32, "exec \"$U\" -Ur true") {
        out.assert_code(0);
    }
}

/// A user namespace whose maps were never written (`unshare -U`): its process runs as the
/// overflow ids, which the kernel refuses as the owner of a new user namespace.
#[test]
fn an_unmapped_user_cannot_make_a_user_namespace() {
    let Some(theirs_unshare) = reference("unshare") else {
        return;
    };
    let _userns = unprivileged_userns();
    let run = |program: &Path| {
        Run::new(&theirs_unshare)
            .arg_os("-U")
            .arg_os(program)
            .args(["-U", "true"])
            .run()
    };
    unshare_refused_then_hint(
        run,
        &theirs_unshare,
        "this process's uid is not mapped in its user namespace (/proc/self/uid_map), and only \
         a mapped user makes a user namespace; map it when making this one: unshare --user \
         --map-root-user",
    );
}

#[test]
fn nobody_lacks_the_capability_to_create_or_enter() {
    let (Some(theirs_unshare), Some(theirs_nsenter)) = (reference("unshare"), reference("nsenter"))
    else {
        return;
    };
    let _mounts = MountTableUnchanged::new();
    let unshare = |program: &Path| Run::as_nobody(program).args(["-m", "true"]).run();
    same_but_hint(
        &unshare(&theirs_unshare),
        &unshare(&ours("unshare")),
        "unshare",
        "creating mnt namespaces needs CAP_SYS_ADMIN, which this process does not have; \
         run it as root, or add --user --map-root-user",
    );
    let target = Sleeper::new();
    let pid = target.pid().to_string();
    let nsenter = |program: &Path| {
        Run::as_nobody(program)
            .args(["-t", &pid, "-m", "true"])
            .run()
    };
    let theirs = nsenter(&theirs_nsenter);
    assert_eq!(theirs.code, Some(1), "{theirs:#?}");
    same_but_hint(
        &theirs,
        &nsenter(&ours("nsenter")),
        "nsenter",
        "entering mnt namespaces needs CAP_SYS_ADMIN and CAP_SYS_CHROOT in the user namespace \
         that owns them, and this process lacks CAP_SYS_ADMIN and CAP_SYS_CHROOT; run it as root",
    );
}

/// The audit architecture and `unshare` system call number of this build's target.
fn arch_and_unshare_nr() -> Option<(u32, u32)> {
    if cfg!(target_arch = "x86_64") {
        Some((0xC000_003E, 272))
    } else if cfg!(target_arch = "aarch64") {
        Some((0xC000_00B7, 97))
    } else {
        None
    }
}

/// A classic BPF seccomp program, as `struct sock_filter` bytes: `unshare(2)` of this
/// architecture fails with EPERM, everything else is allowed.
fn refuse_unshare_filter(arch: u32, nr: u32) -> Vec<u8> {
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const ALLOW: u32 = 0x7fff_0000;
    const ERRNO_EPERM: u32 = 0x0005_0000 | 1;
    // seccomp_data: nr at offset 0, arch at 4.
    let program: [(u16, u8, u8, u32); 7] = [
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, arch),
        (RET_K, 0, 0, ALLOW),
        (LD_W_ABS, 0, 0, 0),
        (JEQ_K, 0, 1, nr),
        (RET_K, 0, 0, ERRNO_EPERM),
        (RET_K, 0, 0, ALLOW),
    ];
    let mut bytes = Vec::new();
    for (code, jt, jf, k) in program {
        bytes.extend(code.to_ne_bytes());
        bytes.extend([jt, jf]);
        bytes.extend(k.to_ne_bytes());
    }
    bytes
}

#[test]
fn a_seccomp_filter_refusing_unshare() {
    let (Some(theirs_unshare), Some(setpriv)) = (reference("unshare"), reference("setpriv")) else {
        return;
    };
    let Some((arch, nr)) = arch_and_unshare_nr() else {
        tests::skip("no seccomp filter for this architecture");
        return;
    };
    let dir = scratch();
    let filter = dir.path().join("filter.bpf");
    fs::write(&filter, refuse_unshare_filter(arch, nr)).unwrap();
    let run = |program: &Path| {
        Run::new(&setpriv)
            .arg_os("--seccomp-filter")
            .arg_os(&filter)
            .arg_os(program)
            .args(["-U", "true"])
            .run()
    };
    unshare_refused_then_hint(
        run,
        &theirs_unshare,
        "a seccomp filter may refuse unshare(2) (/proc/self/status: Seccomp: 2, \
         Seccomp_filters: 1); run it without that filter (a container's seccomp profile must \
         allow unshare(2))",
    );
}

/// `script` run by the reference unshare in a private mount namespace, with `$U` the unshare
/// to test and `$D` a scratch directory holding `subuid` and `newuidmap` (a 0755 copy).
fn with_private_binds(unshare: &Path, dir: &Path, script: &str) -> Option<Output> {
    let reference = reference("unshare")?;
    Some(
        Run::new(reference)
            .args(["-m", "--propagation=private", "/bin/sh", "-c", script])
            .env("U", unshare)
            .env("D", dir)
            .run(),
    )
}

#[test]
fn no_subuid_line_and_newuidmap_not_set_user_id_or_missing() {
    let Some(theirs_unshare) = reference("unshare") else {
        return;
    };
    if !tests::have("/usr/bin/newuidmap", "uidmap") {
        return;
    }
    let _userns = unprivileged_userns();
    let _mounts = MountTableUnchanged::new();
    let dir = scratch();
    fs::write(dir.path().join("no-nobody"), "tester:100000:65536\n").unwrap();
    fs::write(
        dir.path().join("nobody"),
        format!("{NOBODY}:100000:65536\n"),
    )
    .unwrap();
    let copy = dir.path().join("newuidmap");
    fs::copy("/usr/bin/newuidmap", &copy).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    // Each case: the binds, the command as nobody, the hint.
    let user_name = "nobody";
    let cases = [
        (
            "mount --bind $D/no-nobody /etc/subuid",
            format!("{AS_NOBODY} \"$U\" --map-auto true"),
            format!(
                "user \"{user_name}\" has no line in /etc/subuid; add one: usermod --add-subuids \
                 100000-165535 {user_name}"
            ),
        ),
        (
            "mount --bind $D/nobody /etc/subuid && mount --bind $D/nobody /etc/subgid && \
             mount --bind $D/newuidmap /usr/bin/newuidmap",
            format!("{AS_NOBODY} \"$U\" --map-users=0:100000:10 true"),
            "/usr/bin/newuidmap is not set-user-ID root and has no file capability, so it can map \
             only your own id; chmod u+s /usr/bin/newuidmap (or setcap cap_setuid+ep \
             /usr/bin/newuidmap)"
                .to_owned(),
        ),
        (
            "mount --bind $D/nobody /etc/subuid",
            format!("{AS_NOBODY} env PATH=/nonexistent \"$U\" --map-users=0:100000:10 true"),
            "newuidmap is not installed (not found in PATH); install the uidmap package".to_owned(),
        ),
    ];
    for (binds, command, hint) in cases {
        let script = format!("{binds} && exec {command}");
        let (Some(theirs), Some(ours)) = (
            with_private_binds(&theirs_unshare, dir.path(), &script),
            with_private_binds(&ours("unshare"), dir.path(), &script),
        ) else {
            return;
        };
        assert_ne!(theirs.code, Some(0), "{command}: {theirs:#?}");
        same_but_hint(&theirs, &ours, "unshare", &hint);
    }
}

#[test]
fn a_new_user_namespace_in_a_chroot() {
    let _mounts = MountTableUnchanged::new();
    let dir = scratch();
    fs::copy(ours("unshare"), dir.path().join("unshare")).unwrap();
    fs::create_dir(dir.path().join("proc")).unwrap();
    // Our static binary in the new root, with a proc to read; util-linux's dynamically linked
    // one cannot run there, so its line is the one it prints for EPERM.
    let out = tests::sh_in_private_mount_ns(
        dir.path(),
        "mount -t proc proc $D/proc && exec chroot $D /unshare -U true",
    );
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert_eq!(
        out.stderr,
        "unshare: unshare failed: Operation not permitted\n\
         unshare: hint: this process is in a chroot (no mount at / in /proc/self/mountinfo), \
         where the kernel refuses a new user namespace; run unshare outside it, with --root=DIR\n"
    );
    // --root, the fix named, chroots after making the namespace.
    let out = tests::sh_in_private_mount_ns(
        dir.path(),
        "mount -t proc proc $D/proc && exec $U -U --root=$D /unshare --help",
    );
    assert_eq!(out.code, Some(0), "{out:#?}");
}

/// Debian's kernels (the systemd guest's 6.12) have `kernel.unprivileged_userns_clone`; at 0
/// only root may make user namespaces. The test sets it in the guest and restores it.
#[test]
#[ignore = "systemd guest: cargo xtask vm-test --mode systemd"]
fn unprivileged_userns_clone_off_in_the_systemd_guest() {
    const SYSCTL: &str = "/proc/sys/kernel/unprivileged_userns_clone";
    if !tests::systemd_host() {
        tests::skip("systemd is not PID 1 here");
        return;
    }
    let Some(user) = tests::login_user() else {
        tests::skip("no login user (NSUTILS_LOGIN_USER)");
        return;
    };
    let Ok(before) = fs::read_to_string(SYSCTL) else {
        tests::skip("this kernel has no kernel.unprivileged_userns_clone");
        return;
    };
    /// Puts the sysctl back, also when the test fails.
    struct Restore(String);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = fs::write(SYSCTL, &self.0);
        }
    }
    let _userns = unprivileged_userns();
    let _restore = Restore(before);
    fs::write(SYSCTL, "0").unwrap();
    let run = |program: &Path| {
        Run::as_login_user(&user, program)
            .args(["-U", "true"])
            .run()
    };
    let Some(theirs_unshare) = reference("unshare") else {
        return;
    };
    unshare_refused_then_hint(
        run,
        &theirs_unshare,
        "kernel.unprivileged_userns_clone is 0, which keeps user namespaces to root; allow \
         them: sysctl -w kernel.unprivileged_userns_clone=1",
    );
}

/// contrib/apparmor/nsutils as `make install-apparmor` writes it, for `bindir`.
fn apparmor_profile(bindir: &Path) -> String {
    include_str!("../../contrib/apparmor/nsutils").replace("@BINDIR@", &bindir.to_string_lossy())
}

/// The profile needs AppArmor 4's parser (`abi <abi/4.0>`, the `userns` rule): Debian 13's
/// (the systemd guest has the apparmor package), not Debian 12's 3.0. There the profile,
/// attached to our built unshare, parses, loads, and labels the unshare it attaches to.
#[test]
#[ignore = "systemd guest: cargo xtask vm-test --mode systemd"]
fn the_apparmor_profile_parses_and_attaches_to_unshare() {
    const PARSER: &str = "/usr/sbin/apparmor_parser";
    if !tests::have(PARSER, "apparmor") {
        return;
    }
    let unshare = ours("unshare");
    let bindir = unshare.parent().unwrap_or(Path::new("/"));
    let dir = scratch();
    let file = dir.path().join("nsutils");
    fs::write(&file, apparmor_profile(bindir)).unwrap();
    let parse = Run::new(PARSER).args(["-Q", "-K"]).arg_os(&file).run();
    assert_eq!(
        (parse.code, parse.stderr.as_str()),
        (Some(0), ""),
        "{parse:#?}"
    );

    if !Path::new("/sys/kernel/security/apparmor/profiles").exists() {
        tests::skip("AppArmor is not enabled in this kernel: the profile is parsed, not loaded");
        return;
    }
    /// Unloads the profile, also when the test fails.
    struct Unload(std::path::PathBuf);
    impl Drop for Unload {
        fn drop(&mut self) {
            let _ = Run::new(PARSER).args(["-R"]).arg_os(&self.0).run();
        }
    }
    Run::new(PARSER).args(["-r", "-K"]).arg_os(&file).run().ok();
    let _unload = Unload(file.clone());
    let label = Run::new(&unshare)
        .args(["-U", "cat", "/proc/self/attr/apparmor/current"])
        .run();
    assert_eq!(label.ok(), "nsutils-unshare (unconfined)\n");
}
