//! `make install` and `make uninstall` into a scratch DESTDIR: every file where it belongs,
//! every installed binary runs, every installed man page renders without a warning, and
//! uninstall takes back exactly what install put there.

use std::path::{Path, PathBuf};

use tests::{Run, have, ours, scratch};

use tests::{BIN_TOOLS as BIN, SBIN_TOOLS as SBIN};

fn workspace() -> PathBuf {
    let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests_dir.parent().unwrap_or(tests_dir).to_path_buf()
}

/// Every file and link below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("entry").path();
            if path.is_dir() && !path.is_symlink() {
                todo.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("below dir");
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}

fn make(target: &str, destdir: &Path) -> tests::Output {
    let build_dir = ours("unshare")
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Run::new("make")
        .args(["-C"])
        .arg_os(workspace())
        .args([target, "NO_BUILD=1", "PREFIX=/usr/local"])
        .arg_os(format!("BUILD_DIR={}", build_dir.display()))
        .arg_os(format!("DESTDIR={}", destdir.display()))
        .run()
}

/// The man pages of no binary `make install` installs: the file formats (no completions
/// either), and the PAM module (installed apart, by `make install-pam`).
const PAGES_WITHOUT_TOOL: [&str; 4] = [
    "cgconfig.conf.5",
    "cgrules.conf.5",
    "cgred.conf.5",
    "pam_cgroup.8",
];

#[test]
fn make_install_and_uninstall() {
    if !have("/usr/bin/make", "make") || !have("/usr/bin/man", "man-db") {
        return;
    }
    let d = scratch();
    let dest = d.path();
    make("install", dest).ok();
    let prefix = dest.join("usr/local");

    let tools: Vec<&str> = BIN.iter().chain(&SBIN).copied().collect();
    let mut expected: Vec<String> = Vec::new();
    expected.extend(BIN.iter().map(|t| format!("bin/{t}")));
    expected.extend(SBIN.iter().map(|t| format!("sbin/{t}")));
    expected.push("sbin/mount.overlay".into());
    let pages: Vec<PathBuf> = std::fs::read_dir(workspace().join("man"))
        .expect("man/")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(
        pages.len(),
        tools.len() + PAGES_WITHOUT_TOOL.len(),
        "one man page per tool, and {PAGES_WITHOUT_TOOL:?}: {pages:?}"
    );
    for name in PAGES_WITHOUT_TOOL {
        assert!(pages.iter().any(|p| p.ends_with(name)), "no man/{name}");
    }
    // The services' systemd units.
    expected.push("lib/systemd/system/cgconfig.service".into());
    expected.push("lib/systemd/system/cgred.service".into());
    for page in &pages {
        let name = page.file_name().and_then(|n| n.to_str()).expect("name");
        let section = name.rsplit('.').next().expect("section");
        expected.push(format!("share/man/man{section}/{name}"));
    }
    for t in &tools {
        expected.push(format!("share/bash-completion/completions/{t}"));
        expected.push(format!("share/zsh/site-functions/_{t}"));
        expected.push(format!("share/fish/vendor_completions.d/{t}.fish"));
    }
    expected.sort();
    assert_eq!(files(&prefix), expected);
    assert_eq!(
        std::fs::read_link(prefix.join("sbin/mount.overlay")).expect("a link"),
        Path::new("ovlmount")
    );
    // The unit runs the installed cgconfigparser, as libcgroup's does its own.
    let unit = std::fs::read_to_string(prefix.join("lib/systemd/system/cgconfig.service"))
        .expect("the unit");
    assert!(
        unit.contains("\nExecStart=/usr/local/sbin/cgconfigparser -l /etc/cgconfig.conf -s 1664\n"),
        "{unit}"
    );
    // The cgred service runs the daemon installed, with the options file beside it.
    let unit =
        std::fs::read_to_string(prefix.join("lib/systemd/system/cgred.service")).expect("the unit");
    assert!(
        unit.contains("exec /usr/local/sbin/cgrulesengd --nodaemon"),
        "{unit}"
    );
    assert!(dest.join("etc/sysconfig/cgred").is_file());
    // The init scripts, each with the installed binary written in.
    make("install-openrc", dest).ok();
    make("install-sysvinit", dest).ok();
    for (script, binary) in [("cgred", "cgrulesengd"), ("cgconfig", "cgconfigparser")] {
        let text =
            std::fs::read_to_string(dest.join("etc/init.d").join(script)).expect("the script");
        assert!(
            text.contains(&format!("/usr/local/sbin/{binary}")),
            "{text}"
        );
    }

    // The AppArmor profile of unshare, attached to the installed unshare (the systemd guest
    // parses and loads it: tests/tests/hostile_userns.rs).
    make("install-apparmor", dest).ok();
    let profile =
        std::fs::read_to_string(dest.join("etc/apparmor.d/nsutils")).expect("the profile");
    assert!(
        profile.contains(
            "\nprofile nsutils-unshare /usr/local/bin/unshare flags=(unconfined) {\n  userns,\n"
        ),
        "{profile}"
    );
    assert!(!profile.contains('@'), "{profile}");

    // Each installed binary runs: `--version` names it; libcgroup's tools have no
    // `--version` (nor do ours, to stay drop-ins), so they show their usage with `-h`.
    for t in &tools {
        let dir = if SBIN.contains(t) { "sbin" } else { "bin" };
        let binary = prefix.join(dir).join(t);
        if t.starts_with("cg") || t.starts_with("ls") && *t != "lsns" {
            let out = Run::new(&binary).args(["-h"]).run();
            assert!(out.ok().contains(&format!(" {t} ")), "{t}: {out:#?}");
        } else {
            let out = Run::new(&binary).args(["--version"]).run();
            assert!(
                out.ok().starts_with(&format!("{t} from nsutils ")),
                "{t}: {out:#?}"
            );
        }
    }
    // Each installed man page renders with man-db, warnings on, and says nothing on stderr.
    for page in &pages {
        let name = page.file_name().and_then(|n| n.to_str()).expect("name");
        let section = name.rsplit('.').next().expect("section");
        let installed = prefix.join(format!("share/man/man{section}/{name}"));
        let out = Run::new("/usr/bin/man")
            .args(["--warnings", "-l"])
            .arg_os(&installed)
            .env("MANWIDTH", "80")
            .env("MAN_DISABLE_SECCOMP", "1")
            .run();
        assert_eq!((out.code, out.stderr.as_str()), (Some(0), ""), "{name}");
        assert!(out.stdout.contains("NAME"), "{name}: {}", out.stdout);
    }

    make("uninstall", dest).ok();
    assert_eq!(files(dest), Vec::<String>::new());
}
