//! `ovlmount diff` of an upper layer whose overlay is gone: without lowers it reads the copy-up
//! mark overlayfs leaves (`trusted.overlay.origin`, `user.overlay.origin` with `userxattr`),
//! with `--lower` it compares with the lowers given. Every overlay is mounted by our
//! `ovlmount` inside a private mount namespace made by our `unshare -m`; the marks are read
//! from the upper layer afterwards, as the kernel left them.

use std::path::Path;

use tests::{MountTableUnchanged, Output, Rootless, Run, ours, scratch};

/// Two lower layers `a` (top) and `b`, an overlay of them with upper `u` at `m`, and a change
/// of every kind the kernel records differently: a file appended to (`/etc/passwd`), deleted
/// (`/etc/gone`), renamed (`/etc/old` to `/etc/moved`), deleted and made anew (`/etc/re`),
/// created (`/etc/new`, `/srv`), one of two hard links appended to (`/usr/hl`), a file of the
/// second layer changed (`/opt/tool`) or chmod-ed (`/etc/group`), a symlink touched
/// (`/etc/link`), a directory chmod-ed (`/etc`), one removed and made anew (`/var/lib`; not
/// with `$NO_XATTRS` set: an upper layer without xattrs can have no opaque directory).
/// `diff` runs on the mount, then on the upper layer alone and with `--lower a --lower b`;
/// the last two must print what the first did, byte for byte (text and JSON).
const SCENARIO: &str = r#"set -e; cd "$D"; mkdir -p a/etc a/var/lib a/usr b/etc b/opt u w m
echo 1 > a/etc/passwd; echo 1 > a/etc/gone; echo 1 > a/etc/old; echo 1 > a/etc/re
echo 1 > a/usr/hl; ln a/usr/hl a/usr/hl2; ln -s passwd a/etc/link; echo 1 > a/var/lib/x
echo 1 > b/etc/group; echo 1 > b/opt/tool
"$O" mount -l a -l b -u u -w w $OPTIONS m
echo 2 >> m/etc/passwd; rm m/etc/gone; mv m/etc/old m/etc/moved; rm m/etc/re; echo 3 > m/etc/re
echo new > m/etc/new; mkdir m/srv; echo 2 >> m/usr/hl; echo 2 >> m/opt/tool; chmod 700 m/etc
[ -n "$NO_XATTRS" ] || { rm -r m/var/lib; mkdir m/var/lib; echo y > m/var/lib/y; }
touch -h m/etc/link; chmod 600 m/etc/group
"$O" diff m > mounted; "$O" diff -J m > mounted.json
"$O" umount m
"$O" diff u > alone
"$O" diff --lower a --lower b u > given; "$O" diff -J -l a -l b u > given.json
cmp mounted given; cmp mounted.json given.json
echo "== mounted"; cat mounted; echo "== alone"; cat alone"#;

/// What `diff` prints with the lowers known (on the mount, or given with `--lower`).
const WITH_LOWERS: &str = "\
M /etc
D /etc/gone
M /etc/group
M /etc/link
A /etc/moved
A /etc/new
D /etc/old
M /etc/passwd
M /etc/re
M /opt/tool
A /srv
M /usr/hl
O /var/lib
A /var/lib/y
";

/// What `diff` prints for the upper layer alone, as root, after a mount without `index=on`:
/// renamed `/etc/moved` kept its mark, `/etc/re` made anew and the hard link `/usr/hl` have
/// none, the copied-up directories `/opt`, `/usr`, `/var` are listed.
const ALONE: &str = "\
M /etc
D /etc/gone
M /etc/group
M /etc/link
M /etc/moved
A /etc/new
D /etc/old
M /etc/passwd
A /etc/re
M /opt
M /opt/tool
A /srv
M /usr
A /usr/hl
M /var
O /var/lib
A /var/lib/y
";

/// Run [`SCENARIO`] in a private mount namespace, on a new tmpfs over `dir` when `tmpfs`,
/// with `options` (more `ovlmount mount` arguments).
fn scenario(dir: &Path, tmpfs: bool, options: &str) -> Output {
    let mount = if tmpfs {
        r#"mount -t tmpfs tmpfs "$D"; "#
    } else {
        ""
    };
    Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c"])
        .arg_os(format!("{mount}{SCENARIO}"))
        .env("O", ours("ovlmount"))
        .env("D", dir)
        .env("OPTIONS", options)
        .env("NO_XATTRS", "")
        .run()
}

/// The copy-up mark of `u/rel` in namespace `prefix` (`trusted.` or `user.`), as the kernel
/// left it.
fn origin(dir: &Path, rel: &str, prefix: &str) -> Option<Vec<u8>> {
    let path = dir.join("u").join(rel);
    sys::xattr::get(&path, &format!("{prefix}overlay.origin"))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The scratch directory's file system, for messages.
fn fs_type(dir: &Path) -> String {
    Run::new("stat")
        .args(["-f", "-c", "%T"])
        .arg_os(dir)
        .run()
        .stdout
        .trim()
        .to_owned()
}

/// The upper layer alone, as root: the `trusted.overlay.origin` the kernel put on every file
/// it copied up makes it `M`; renamed files keep their mark (`M` at the new name), files made
/// anew and hard-linked files copied up without `index=on` have none (`A`), and copied-up
/// directories are listed `M` (there is no lower owner and mode to compare with). `--lower`
/// gives back exactly what the mount showed.
#[test]
fn upper_alone_after_umount_and_with_lowers_given() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = scenario(d.path(), false, "");
    let text = out.ok();
    let fs = fs_type(d.path());
    assert!(
        text.starts_with(&format!("== mounted\n{WITH_LOWERS}== alone\n")),
        "{fs}: {out:#?}"
    );
    // The kernel's view: which entries of the upper layer carry the mark.
    let marked = [
        "etc",
        "etc/passwd",
        "etc/moved",
        "etc/group",
        "etc/link",
        "opt",
    ];
    for rel in marked {
        assert!(
            origin(d.path(), rel, "trusted.").is_some(),
            "{fs}: {rel} has no origin"
        );
    }
    for rel in ["etc/new", "etc/re", "srv", "usr/hl", "var/lib", "var/lib/y"] {
        assert_eq!(origin(d.path(), rel, "trusted."), None, "{fs}: {rel}");
    }
    assert_eq!(
        text,
        format!("== mounted\n{WITH_LOWERS}== alone\n{ALONE}"),
        "{fs}"
    );
    // Given other lowers than the mount's (`b` only), they decide, marks or not: the
    // whiteouts of names only `a` had hide nothing and are not listed, what only `a` had is
    // new, and the opaque directory over nothing is just a new one.
    let only_b = Run::new(ours("ovlmount"))
        .args(["diff", "--lower"])
        .arg_os(d.path().join("b"))
        .arg_os(d.path().join("u"))
        .run();
    assert_eq!(
        only_b.ok(),
        "M /etc\nM /etc/group\nA /etc/link\nA /etc/moved\nA /etc/new\nA /etc/passwd\n\
         A /etc/re\nM /opt/tool\nA /srv\nA /usr\nA /usr/hl\nA /var\nA /var/lib\n\
         A /var/lib/y\n",
        "{fs}"
    );
}

/// The same on a tmpfs (upper and lowers): tmpfs keeps `trusted.*` xattrs and makes file
/// handles, so the upper alone reads the same. (The marks themselves go with the tmpfs when
/// the namespace ends; the other tests read them.)
#[test]
fn upper_alone_on_tmpfs() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = scenario(d.path(), true, "");
    assert_eq!(
        out.ok(),
        format!("== mounted\n{WITH_LOWERS}== alone\n{ALONE}"),
        "{out:#?}"
    );
    // Nothing of the tmpfs is left: the directory it covered is as empty as it was.
    let left = std::fs::read_dir(d.path()).map(|r| r.count());
    assert_eq!(left.ok(), Some(0));
}

/// With `index=on` the kernel marks a copied-up hard link too, and makes every new directory
/// in a merged one opaque (it allows no offline changes of the lowers then): the upper alone
/// says `M /usr/hl` and `O /srv`, the lowers given still `M /usr/hl` and `A /srv`.
#[test]
fn upper_alone_with_index_on() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = scenario(d.path(), false, "-o index=on");
    let fs = fs_type(d.path());
    assert!(origin(d.path(), "usr/hl", "trusted.").is_some(), "{fs}");
    let srv = sys::xattr::get(&d.path().join("u/srv"), "trusted.overlay.opaque")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(srv.as_deref(), Some(&b"y"[..]), "{fs}");
    let alone = ALONE
        .replace("A /srv", "O /srv")
        .replace("A /usr/hl", "M /usr/hl");
    assert_eq!(
        out.ok(),
        format!("== mounted\n{WITH_LOWERS}== alone\n{alone}"),
        "{fs}: {out:#?}"
    );
}

/// As each unprivileged user (nobody; the login user in its session in the systemd guest):
/// the overlay mounted in `unshare -Ur -m` keeps its marks in `user.overlay.*` (an empty
/// origin: no file handles there), which the user reads afterwards outside the namespace.
/// Symlinks take no `user.*` xattrs, so a copied-up symlink has no mark and reads `A`. On a
/// file system without `user.*` xattrs (tmpfs before Linux 6.6, the busybox guests' `/tmp`)
/// the kernel keeps no marks at all: the upper layer alone is all `A` and `D`, and only
/// `--lower` tells modified from added.
#[test]
fn user_xattr_upper_read_by_its_user() {
    for user in Rootless::all() {
        let d = scratch();
        std::os::unix::fs::chown(d.path(), Some(user.uid()), Some(user.gid()))
            .unwrap_or_else(|e| panic!("chown {}: {e}", d.path().display()));
        let fs = fs_type(d.path());
        let xattrs = match sys::xattr::set(d.path(), "user.nsutils-probe", b"") {
            Ok(()) => true,
            Err(e) if e.errno() == Some(libc::EOPNOTSUPP) => false,
            Err(e) => panic!("{e}"),
        };
        let out = user
            .run(ours("unshare"))
            .args(["-U", "-r", "-m", "/bin/sh", "-c"])
            .arg_os(SCENARIO)
            .env("O", ours("ovlmount"))
            .env("D", d.path())
            .env("OPTIONS", "")
            .env("NO_XATTRS", if xattrs { "" } else { "1" })
            .run();
        let text = out.ok();
        let (with_lowers, alone) = if xattrs {
            for rel in ["etc", "etc/passwd", "etc/moved", "opt/tool"] {
                assert!(
                    origin(d.path(), rel, "user.").is_some(),
                    "{user:?} {fs}: {rel} has no user.overlay.origin"
                );
                assert_eq!(origin(d.path(), rel, "trusted."), None, "{user:?}: {rel}");
            }
            assert_eq!(origin(d.path(), "etc/link", "user."), None, "{user:?}");
            (
                WITH_LOWERS.to_owned(),
                ALONE.replace("M /etc/link", "A /etc/link"),
            )
        } else {
            let no_var = |text: &str| -> String {
                text.lines()
                    .filter(|l| !l.ends_with("/var") && !l.contains("/var/"))
                    .map(|l| format!("{l}\n"))
                    .collect()
            };
            (no_var(WITH_LOWERS), no_var(ALONE).replace("M /", "A /"))
        };
        assert_eq!(
            text,
            format!("== mounted\n{with_lowers}== alone\n{alone}"),
            "{user:?} {fs}: {out:#?}"
        );
        // The user, outside any namespace, reads the same from the same directories.
        let u = d.path().join("u");
        let again = user.run(ours("ovlmount")).arg_os("diff").arg_os(&u).run();
        assert_eq!(again.ok(), alone, "{user:?}: {again:#?}");
        let given = user
            .run(ours("ovlmount"))
            .args(["diff", "-l"])
            .arg_os(d.path().join("a"))
            .arg_os("-l")
            .arg_os(d.path().join("b"))
            .arg_os(&u)
            .run();
        assert_eq!(given.ok(), with_lowers, "{user:?}: {given:#?}");
    }
}

/// Bad `--lower` values: exit status 1, one message, nothing printed or made.
#[test]
fn bad_lowers() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c"])
        .arg_os(
            r#"cd "$D"; mkdir a u w m; echo x > a/f; echo x > file
            "$O" diff -l missing u; echo "rc=$?"
            "$O" diff -l a -l file u; echo "rc=$?"
            "$O" diff u -l; echo "rc=$?"
            "$O" mount -l a -u u -w w m
            "$O" diff -l a m; echo "rc=$?"
            "$O" umount m; ls; ls u"#,
        )
        .env("O", ours("ovlmount"))
        .env("D", d.path())
        .run();
    assert_eq!(
        out.ok(),
        "rc=1\nrc=1\nrc=1\nrc=1\na\nfile\nm\nu\nw\n",
        "{out:#?}"
    );
    let o = ours("ovlmount");
    assert_eq!(
        out.stderr,
        format!(
            "ovlmount: lower layer missing: No such file or directory\n\
             ovlmount: lower layer file: Not a directory\n\
             {o}: option requires an argument -- 'l'\n\
             Try 'ovlmount --help' for more information.\n\
             ovlmount: m: a mounted overlay, whose lowers are known; --lower goes with an \
             upper layer\n",
            o = o.display()
        )
    );
}
