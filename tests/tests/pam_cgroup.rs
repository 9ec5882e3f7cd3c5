//! `pam_cgroup.so` under `pamtester`, side by side with libcgroup 3.2.0's module.
//!
//! Nothing on the host changes: each session runs in a private mount namespace where an
//! overlay puts the test's own files over `/etc` (a PAM service `nsutils-test` and the
//! rules file, or a whiteout hiding the host's; `/etc/cgrules.d` always hidden) and over
//! `/dev` (a `log` file, over which the test's own datagram socket is bound, so the module's
//! syslog messages reach the test). Each module is copied to `pam_cgroup.so` (PAM names a
//! module by its file in the messages). The service's session stack is the module, then
//! `pam_exec` running a probe that prints the kernel's view of its parent, pamtester:
//! `/proc/<ppid>/cgroup`, after the module moved it (the module moves the PAM application's
//! own process, as 3.2.0's does: its `getpid()`).
//!
//! Our module is built as `make pam-debug` builds it (`target/pam/...`); the systemd guest
//! gets it in its payload. The busybox guests have no PAM: there these tests return at once;
//! they run on the host and in the systemd guest.

use std::fs;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use tests::{
    TestGroup, cgroup_dir, have, ref_dir, scratch, sh_in_private_mount_ns, skip, systemd_host,
};

/// The PAM service the test writes (in its overlay only).
const SERVICE: &str = "nsutils-test";

/// A user that does not exist.
const NO_SUCH_USER: &str = "nsutils-no-such-user";

/// pamtester's line for `PAM_SUCCESS` from `pam_open_session`.
const OPENED: &str = "pamtester: successfully opened a session\n";

/// pamtester's line (on stderr) for `PAM_SESSION_ERR` (pam_strerror's text).
const SESSION_ERR: &str = "pamtester: Cannot make/remove an entry for the specified session\n";

/// Our module as `make pam-debug` builds it.
fn our_module() -> PathBuf {
    let module = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/pam/x86_64-unknown-linux-gnu/debug/libpam_cgroup.so");
    assert!(
        module.is_file(),
        "{} is not built: run `make pam-debug` before the tests",
        module.display()
    );
    module
}

/// libcgroup 3.2.0's module, or a skip.
fn their_module() -> Option<PathBuf> {
    let module = ref_dir().join("libcgroup/lib/security/pam_cgroup.so");
    if module.is_file() {
        Some(module)
    } else {
        skip(&format!(
            "{} is not built (scripts/build-refs.sh)",
            module.display()
        ));
        None
    }
}

/// What one `pamtester nsutils-test USER open_session` did.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    /// pamtester's exit status.
    code: Option<i32>,
    /// pamtester's own lines (the probe's taken out).
    said: String,
    stderr: String,
    /// At each session opening, pamtester's group in the memory controller's hierarchy, from
    /// the probe's reading of `/proc/<pamtester>/cgroup`.
    groups: Vec<String>,
    /// The syslog messages, `<priority>ident: text` (no time stamp), pids as `<pid>`.
    log: Vec<String>,
}

/// Open a session of `user` for pamtester with `module` (its arguments `args`) and `rules`
/// as /etc/cgrules.conf (`None`: no such file).
fn open_session(module: &Path, args: &str, rules: Option<&str>, user: &str) -> Session {
    sessions(module, args, rules, user, None)
}

/// [`open_session`]; with `then`, the probe of the first session writes `then` into the
/// rules file, and pamtester closes the session and opens a second one.
fn sessions(
    module: &Path,
    args: &str,
    rules: Option<&str>,
    user: &str,
    then: Option<&str>,
) -> Session {
    let dir = scratch();
    let d = dir.path();
    for sub in ["etc/pam.d", "dev", "module"] {
        fs::create_dir_all(d.join(sub)).unwrap();
    }
    fs::copy(module, d.join("module/pam_cgroup.so")).unwrap();
    let probe = d.join("probe");
    let mut operations = "open_session";
    if let Some(text) = then {
        fs::write(d.join("then"), text).unwrap();
        operations = "open_session close_session open_session";
    }
    // The rules file is rewritten in place: the overlay reads that inode of its lower layer.
    fs::write(
        &probe,
        format!(
            "#!/bin/sh\necho \"probe=$PPID\"\ncat /proc/$PPID/cgroup\n\
             [ ! -f {d}/then ] || {{ cat {d}/then > {d}/etc/cgrules.conf; rm {d}/then; }}\n",
            d = d.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&probe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fs::write(
        d.join("etc/pam.d").join(SERVICE),
        format!(
            "auth required pam_permit.so\naccount required pam_permit.so\n\
             session required {module} {args}\n\
             session optional pam_exec.so type=open_session stdout {probe}\n",
            module = d.join("module/pam_cgroup.so").display(),
            probe = probe.display(),
        ),
    )
    .unwrap();
    let mut whiteouts = vec!["etc/cgrules.d"];
    match rules {
        Some(text) => fs::write(d.join("etc/cgrules.conf"), text).unwrap(),
        None => whiteouts.push("etc/cgrules.conf"),
    }
    for name in whiteouts {
        let made = std::process::Command::new("mknod")
            .arg(d.join(name))
            .args(["c", "0", "0"])
            .status()
            .unwrap();
        assert!(made.success(), "mknod {name}");
    }
    fs::write(d.join("dev/log"), "").unwrap();
    let socket = d.join("log.socket");
    let log = UnixDatagram::bind(&socket).unwrap();
    let script = format!(
        "mount -t overlay -o lowerdir=\"$D/etc:/etc\" nsutils-etc /etc || exit 90
         mount -t overlay -o lowerdir=\"$D/dev:/dev\" nsutils-dev /dev || exit 91
         mount --bind \"$D/log.socket\" /dev/log || exit 92
         echo \"pamtester=$$\"
         exec pamtester {SERVICE} {user} {operations}"
    );
    let out = sh_in_private_mount_ns(d, &script);
    let mut pamtester = None;
    let mut probe_parent = None;
    let mut said = String::new();
    let mut groups = Vec::new();
    let memory = memory_hierarchy_field();
    for line in out.stdout.lines() {
        if let Some(pid) = line.strip_prefix("pamtester=") {
            pamtester = Some(pid.to_owned());
        } else if let Some(pid) = line.strip_prefix("probe=") {
            probe_parent = Some(pid.to_owned());
        } else if let Some(path) = line.split_once(':').and_then(|(_, rest)| {
            rest.split_once(':')
                .filter(|(controllers, _)| *controllers == memory)
        }) {
            groups.push(path.1.to_owned());
        } else if !line.starts_with(|c: char| c.is_ascii_digit()) {
            said.push_str(line);
            said.push('\n');
        }
    }
    let pamtester = pamtester.unwrap_or_else(|| panic!("{out:#?}"));
    assert_eq!(
        probe_parent.as_deref(),
        Some(pamtester.as_str()),
        "the probe's parent is not pamtester: {out:#?}"
    );
    log.set_nonblocking(true).unwrap();
    let mut messages = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = log.recv(&mut buf) {
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        messages.push(without_time_stamp(&text).replace(&pamtester, "<pid>"));
    }
    Session {
        code: out.code,
        said,
        stderr: out.stderr,
        groups,
        log: messages,
    }
}

/// `<PRI>Mmm dd hh:mm:ss rest` (glibc's syslog format) as `<PRI>rest`.
fn without_time_stamp(message: &str) -> String {
    match message.split_once('>') {
        Some((priority, rest)) => format!("{priority}>{}", rest.get(16..).unwrap_or(rest)),
        None => message.to_owned(),
    }
}

/// The controllers field of `/proc/<pid>/cgroup` for the hierarchy the tests use: `memory`
/// on v1 and hybrid hosts, empty on cgroup v2.
fn memory_hierarchy_field() -> &'static str {
    if cgroup_dir("memory").join("cgroup.controllers").is_file() {
        ""
    } else {
        "memory"
    }
}

/// pamtester, or a skip; `false` without a skip in the busybox guests of `cargo xtask
/// vm-test`, which have no PAM at all (only the systemd guest and hosts have).
fn pam() -> bool {
    if std::env::var_os("NSUTILS_VM").is_some() && !systemd_host() {
        return false;
    }
    have("/usr/bin/pamtester", "pamtester")
}

/// Both modules (theirs first) in the same session, or `None` (a skip).
fn both(args: &str, rules: Option<&str>, user: &str) -> Option<(Session, Session)> {
    if !pam() {
        return None;
    }
    let theirs = their_module()?;
    Some((
        open_session(&theirs, args, rules, user),
        open_session(&our_module(), args, rules, user),
    ))
}

/// `ident: module(service:session): text` at syslog priority `level` (facility authpriv).
fn logged(level: u8, text: &str) -> String {
    format!(
        "<{}>pamtester: pam_cgroup({SERVICE}:session): {text}",
        (10 << 3) + u32::from(level)
    )
}

const LOG_ERR: u8 = 3;
const LOG_DEBUG: u8 = 7;

/// A rule for the user moves pamtester (the PAM application's process) into its group;
/// PAM_SUCCESS; with `debug` the success is logged. The same for 3.2.0's module, whose
/// message ends with a newline (a fixed bug: it shows in the log).
#[test]
fn session_of_a_user_with_a_rule_moves_the_application() {
    let g = TestGroup::new("pam-moved");
    fs::create_dir(g.dir("memory")).unwrap();
    let rules = format!("nobody memory {}\n", g.name);
    let Some((theirs, mine)) = both("debug", Some(&rules), "nobody") else {
        return;
    };
    let expected = format!("/{}", g.name);
    for (who, session) in [("3.2.0", &theirs), ("ours", &mine)] {
        assert_eq!(session.code, Some(0), "{who}: {session:#?}");
        assert_eq!(session.said, OPENED, "{who}");
        assert_eq!(
            session.groups,
            std::slice::from_ref(&expected),
            "{who}: {session:#?}"
        );
        assert_eq!(session.stderr, "", "{who}");
    }
    let text = "Changed cgroup for process <pid> with username nobody.";
    assert_eq!(mine.log, [logged(LOG_DEBUG, text)]);
    assert_eq!(theirs.log, [logged(LOG_DEBUG, &format!("{text}\n"))]);
}

/// No rule for the user: PAM_SUCCESS and pamtester stays where it was, both modules.
#[test]
fn session_of_a_user_without_a_rule_moves_nothing() {
    let g = TestGroup::new("pam-other");
    fs::create_dir(g.dir("memory")).unwrap();
    let rules = format!("root memory {}\n", g.name);
    let Some((theirs, mine)) = both("", Some(&rules), "nobody") else {
        return;
    };
    assert_eq!(mine, theirs);
    assert_eq!(mine.code, Some(0), "{mine:#?}");
    assert_eq!(mine.said, OPENED);
    assert_eq!(mine.groups.len(), 1);
    assert_ne!(mine.groups, [format!("/{}", g.name)]);
    assert!(mine.log.is_empty(), "{mine:#?}");
}

/// A user the passwd database does not know: PAM_SESSION_ERR, logged only with `debug`.
#[test]
fn session_of_an_unknown_user_fails() {
    let rules = "* memory /\n";
    for args in ["", "debug"] {
        let Some((theirs, mine)) = both(args, Some(rules), NO_SUCH_USER) else {
            return;
        };
        assert_eq!(mine, theirs, "{args}");
        assert_eq!(mine.code, Some(1), "{mine:#?}");
        assert_eq!(
            (mine.said.as_str(), mine.stderr.as_str()),
            ("", SESSION_ERR)
        );
        let expected = match args {
            "" => Vec::new(),
            _ => vec![logged(
                LOG_ERR,
                &format!("open_session username '{NO_SUCH_USER}' does not exist"),
            )],
        };
        assert_eq!(mine.log, expected);
    }
}

/// The failures of the move itself, with `debug`: no /etc/cgrules.conf, and a rule whose
/// destination does not exist. PAM_SESSION_ERR from both modules, pamtester not moved;
/// 3.2.0 logs its message in two (the second line ending with a newline), ours in one.
#[test]
fn session_fails_without_rules_or_destination() {
    let g = TestGroup::new("pam-missing");
    let missing_destination = format!("nobody memory {}\n", g.name);
    for rules in [None, Some(missing_destination.as_str())] {
        let Some((theirs, mine)) = both("debug", rules, "nobody") else {
            return;
        };
        for (who, session) in [("3.2.0", &theirs), ("ours", &mine)] {
            assert_eq!(session.code, Some(1), "{who} {rules:?}: {session:#?}");
            assert_eq!(session.said, "", "{who} {rules:?}");
            assert_eq!(session.stderr, SESSION_ERR, "{who} {rules:?}");
            assert_eq!(session.groups.len(), 1, "{who} {rules:?}");
            assert_ne!(session.groups, [format!("/{}", g.name)], "{who} {rules:?}");
        }
        assert_eq!(
            mine.log,
            [logged(
                LOG_ERR,
                "Change of cgroup for process with username nobody failed."
            )],
            "{rules:?}"
        );
        assert_eq!(
            theirs.log,
            [
                logged(LOG_ERR, "Change of cgroup for process with username"),
                logged(LOG_ERR, "nobody failed.\n"),
            ],
            "{rules:?}"
        );
        assert!(!g.dir("memory").exists());
    }
}

/// An argument other than `debug` is logged as unknown (whether or not `debug` is given)
/// and the session goes on.
#[test]
fn unknown_arguments_are_logged() {
    let rules = "root memory /\n";
    let Some((theirs, mine)) = both("bogus", Some(rules), "nobody") else {
        return;
    };
    assert_eq!(mine, theirs);
    assert_eq!(mine.said, OPENED);
    assert_eq!(mine.log, [logged(LOG_ERR, "unknown option: bogus")]);
}

/// A rule naming a process applies to that process only: the PAM application here is
/// pamtester, so `nobody:sshd` is passed over and the next rule for nobody applies. 3.2.0's
/// module looks the rules up with no process name, and then a rule naming any process
/// matches (a fixed bug: listed in pam_cgroup(8) NOTES).
#[test]
fn a_rule_for_another_program_does_not_apply() {
    let sshd = TestGroup::new("pam-sshd");
    let any = TestGroup::new("pam-any");
    for g in [&sshd, &any] {
        fs::create_dir(g.dir("memory")).unwrap();
    }
    let rules = format!(
        "nobody:sshd memory {}\nnobody memory {}\n",
        sshd.name, any.name
    );
    let Some((theirs, mine)) = both("", Some(&rules), "nobody") else {
        return;
    };
    assert_eq!((mine.code, theirs.code), (Some(0), Some(0)));
    assert_eq!(mine.groups, [format!("/{}", any.name)], "{mine:#?}");
    assert_eq!(theirs.groups, [format!("/{}", sshd.name)], "{theirs:#?}");
}

/// The rules are read at every session: a rule changed after the first session of a process
/// applies to its second. 3.2.0's module keeps the rules it read first for the life of the
/// process (a fixed bug, in pam_cgroup(8) NOTES): its second session goes by the old rule.
#[test]
fn a_changed_rule_applies_to_the_next_session_of_the_same_process() {
    let first = TestGroup::new("pam-first");
    let second = TestGroup::new("pam-second");
    for g in [&first, &second] {
        fs::create_dir(g.dir("memory")).unwrap();
    }
    if !pam() {
        return;
    }
    let Some(theirs) = their_module() else {
        return;
    };
    let rules = format!("nobody memory {}\n", first.name);
    let then = format!("nobody memory {}\n", second.name);
    let run = |module: &Path| sessions(module, "", Some(&rules), "nobody", Some(&then));
    let (theirs, mine) = (run(&theirs), run(&our_module()));
    let (first, second) = (format!("/{}", first.name), format!("/{}", second.name));
    assert_eq!(mine.code, Some(0), "{mine:#?}");
    assert_eq!(mine.groups, [first.clone(), second], "{mine:#?}");
    assert_eq!(theirs.code, Some(0), "{theirs:#?}");
    assert_eq!(theirs.groups, [first.clone(), first], "{theirs:#?}");
}
