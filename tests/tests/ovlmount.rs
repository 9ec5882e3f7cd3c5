//! `ovlmount` run as a user runs it, always inside a private mount namespace made by our
//! `unshare -m` (the host's mount table never changes), checked through the kernel: files
//! written in the merged directory, what lands in the upper layer, `/proc/self/mountinfo`.

use std::path::Path;

use tests::{MountTableUnchanged, Output, Rootless, Run, ours, reference, scratch};

/// Run `script` with `sh` in a private mount namespace; `$O` is ovlmount, `$D` a scratch
/// directory.
fn in_mount_ns(dir: &std::path::Path, script: &str) -> Output {
    in_mount_ns_with(dir, script, &[])
}

/// [`in_mount_ns`] with more variables for the script.
fn in_mount_ns_with(dir: &std::path::Path, script: &str, vars: &[(&str, &Path)]) -> Output {
    let mut run = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("O", ours("ovlmount"))
        .env("D", dir);
    for (name, value) in vars {
        run = run.env(name, value);
    }
    run.run()
}

#[test]
fn copy_on_write_through_the_kernel() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir a b u w m; echo lower > a/f; echo b > b/g
        "$O" mount -l a -l b -u u -w w m
        grep " $D/m " /proc/self/mountinfo | grep -q " - overlay overlay "
        echo new > m/f; rm m/g
        cat a/f u/f m/f; ls m
        stat -c '%F %t:%T' u/g
        "$O" umount m
        ! grep -q " $D/m " /proc/self/mountinfo
        echo done"#,
    );
    assert_eq!(
        out.ok(),
        "lower\nnew\nnew\nf\ncharacter special file 0:0\ndone\n",
        "{out:#?}"
    );
}

#[test]
fn the_seed_command_line_and_list() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir a 'b:c' u w m
        "$O" mount -o "lowerdir=$D/a:$D/b\:c,upperdir=$D/u,workdir=$D/w,index=on" m
        "$O" list m; "$O" list -J m"#,
    );
    let dir = d.path().display();
    let text = out.ok();
    assert!(text.starts_with(&format!(
        "{dir}/m\n  lower {dir}/a\n  lower {dir}/b:c\n  upper {dir}/u\n  work  {dir}/w\n  options rw,"
    )), "{text}");
    assert!(text.contains("index=on"), "{text}");
    assert!(
        text.contains(&format!("\"lower\": [\"{dir}/a\", \"{dir}/b:c\"]")),
        "{text}"
    );
}

#[test]
fn many_long_layers() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    // 500 layers of 60-character names: far beyond the one-page option string of util-linux
    // 2.42.2's mount(8).
    let Some(mount) = reference("mount") else {
        return;
    };
    let out = in_mount_ns_with(
        d.path(),
        r#"set -e; cd "$D"; mkdir m u w
        args=""; i=1
        while [ $i -le 500 ]; do
            l=$(printf 'layer-with-a-rather-long-name-to-fill-the-option-page-%05d' $i)
            mkdir "$l"; echo $i > "$l/n$i"; args="$args -l $D/$l"; i=$((i+1))
        done
        for n in 1 10 100 500; do
            set -- $args; shift $(( (500 - n) * 2 ))
            if "$O" mount "$@" -u u -w w m; then ls m | wc -l; "$O" umount m; fi
        done
        opts=$(echo $args | sed 's/ -l /:/g; s/^-l //')
        "$M" -t overlay -o "lowerdir=$opts" none m 2>&1 && echo "mount(8) took it" || echo "mount(8) refused"
        # 5 of them are past the 256 bytes fsconfig(2) takes in one string, which is how
        # util-linux 2.42 hands lowerdir over (2.38 passed a whole page through mount(2))
        set -- $args; shift 990
        opts=$(echo "$@" | sed 's/ -l /:/g; s/^-l //')
        "$M" -t overlay -o "lowerdir=$opts,upperdir=$D/u,workdir=$D/w" none m 2>/dev/null &&
            echo "mount(8) took 5" || echo "mount(8) refused 5""#,
        &[("M", &mount)],
    );
    let text = out.ok();
    assert!(text.contains("mount(8) refused\n"), "{text}");
    assert!(text.ends_with("mount(8) refused 5\n"), "{text}");
    if tests::kernel_version() >= (6, 8) {
        // lowerdir+ takes one layer at a time: no limit but the kernel's 500.
        assert!(
            text.starts_with("1\n10\n100\n500\n"),
            "{text}\n{}",
            out.stderr
        );
    } else {
        // Older kernels take the layers in one option page, and ovlmount says so.
        assert!(text.starts_with("1\n10\n"), "{text}\n{}", out.stderr);
        assert!(
            out.stderr.contains("more than mount(2) takes (4095)"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn bad_input_leaves_nothing() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = in_mount_ns(
        d.path(),
        r#"cd "$D"; mkdir a u w m file-dir; touch f; mkdir w2 && touch w2/junk; mkdir u/inner
        mount -t tmpfs tmpfs "$D/w" 2>/dev/null
        for args in "-l nope -l a m" "-l f -l a m" "-l a -l u nope-m" "-l a -l a -l u m" "-l a -u u -w w m" \
                    "-l a -u u -w w2 m" "-l a -u u -w u/inner m" "-o lowerdir=a,bogus=1 m" \
                    "-o lowerdir=a,index=on,index=off m" "-l a -u new-u -w new-w new-m --create -o index=maybe" "-l a m"; do
            "$O" mount $args; echo "rc=$?"
        done
        "$O" umount a; echo "rc=$?"
        ls; grep -c overlay /proc/self/mountinfo || true"#,
    );
    let stderr = out.stderr.replace(&d.path().display().to_string(), "$D");
    let expected = [
        "ovlmount: lower layer nope: No such file or directory",
        "ovlmount: lower layer f: Not a directory",
        "ovlmount: mount point nope-m: No such file or directory",
        "ovlmount: a is given twice as a layer",
        "ovlmount: without an upper layer, an overlay needs at least two lower layers",
        "ovlmount: upper layer u and work directory w are on different file systems",
        "ovlmount: work directory w2 is not empty (junk is in it)",
        "ovlmount: work directory u/inner and upper layer u must not contain each other",
        "ovlmount: unknown overlay option: bogus",
        "ovlmount: option index is given twice",
    ];
    for line in expected {
        assert!(stderr.contains(line), "missing {line:?} in {stderr}");
    }
    // The kernel's own reason for a bad option value, not a bare "Invalid argument".
    assert!(stderr.contains("index"), "{stderr}");
    let text = out.ok();
    assert_eq!(text.matches("rc=1").count(), 12, "{text}\n{stderr}");
    assert!(stderr.contains("a: not mounted"), "{stderr}");
    // --create made new-u, new-w and new-m, and took them away again.
    assert!(!text.contains("new-"), "{text}");
    assert!(text.ends_with("0\n"), "{text}");
}

/// As each unprivileged user (nobody; the login user in its session in the systemd guest)
/// would: `unshare -Ur -m`, where overlayfs needs userxattr, in a directory of its own.
#[test]
fn inside_a_user_namespace() {
    for user in Rootless::all() {
        let d = scratch();
        std::os::unix::fs::chown(d.path(), Some(user.uid()), Some(user.gid()))
            .unwrap_or_else(|e| panic!("chown {}: {e}", d.path().display()));
        let out = user
            .run(ours("unshare"))
            .args(["-U", "-r", "-m", "/bin/sh", "-c"])
            .arg_os(
                r#"set -e; cd "$D"; mkdir a u w m; echo x > a/f
                "$O" mount -l a -u u -w w m; echo y > m/f; rm m/f
                grep " $D/m " /proc/self/mountinfo | grep -o userxattr; "$O" umount m; echo ok"#,
            )
            .env("O", ours("ovlmount"))
            .env("D", d.path())
            .run();
        assert_eq!(out.ok(), "userxattr\nok\n", "{user:?}: {out:#?}");
    }
}

#[test]
fn mount_t_overlay_runs_the_installed_helper() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    // util-linux 2.42.2's mount(8) by its full path (the VM's busybox has a `mount` applet,
    // which tries mount(2) first and a helper only after that fails).
    let Some(mount) = reference("mount") else {
        return;
    };
    // "Installed" the way a private mount namespace allows: an overlay over /usr/sbin (where
    // /sbin points) whose upper layer holds mount.overlay. mount(8) passes "none" as the
    // source; the helper records "overlay", which shows who mounted.
    let out = in_mount_ns_with(
        d.path(),
        r#"set -e; cd "$D"; mkdir sbin-up sbin-work a b up wk m; echo x > a/f
        cp "$O" sbin-up/mount.overlay
        "$O" mount -l /usr/sbin -u sbin-up -w sbin-work /usr/sbin
        "$M" -t overlay -o "lowerdir=$D/a:$D/b,upperdir=$D/up,workdir=$D/wk" none "$D/m"
        grep " $D/m " /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1,2
        cat m/f
        "$M" -t overlay -o "lowerdir=$D/a:$D/b,bogus" none "$D/m" || echo "rc=$?""#,
        &[("M", &mount)],
    );
    let text = out.ok();
    assert!(
        out.stderr
            .contains("mount.overlay: unknown overlay option: bogus"),
        "{out:#?}"
    );
    assert_eq!(text, "overlay overlay\nx\nrc=1\n", "{out:#?}");
}

#[test]
fn diff_reports_what_the_upper_layer_changes() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir -p a/etc a/var u w m; echo 1 > a/etc/passwd; echo 2 > a/etc/gone
        "$O" mount -l a -u u -w w m
        echo changed > m/etc/passwd; rm m/etc/gone; echo new > m/etc/new; mkdir m/var/log
        echo "== merged"; "$O" diff m
        echo "== json"; "$O" diff -J m
        echo "== upper"; "$O" diff u
        "$O" diff /proc || echo "rc=$?""#,
    );
    let text = out.ok();
    assert!(
        text.contains("== merged\nM /etc\nD /etc/gone\nA /etc/new\nM /etc/passwd\nA /var/log\n")
            || text.contains("== merged\nD /etc/gone\nA /etc/new\nM /etc/passwd\nA /var/log\n"),
        "{text}"
    );
    assert!(text.contains("\"path\": \"/etc/gone\""), "{text}");
    assert!(text.contains("\"change\": \"deleted\""), "{text}");
    assert!(text.contains("== upper\n"), "{text}");
    assert!(text.ends_with("rc=1\n"), "{text}");
    assert!(
        out.stderr
            .contains("/proc: a proc mount, not an overlay or an upper layer"),
        "{out:#?}"
    );
}

#[test]
fn read_only_without_upper_create_and_lazy_umount() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir a b; echo x > a/f
        "$O" mount -l a -l b --create m
        grep " $D/m " /proc/self/mountinfo | cut -d' ' -f6 | cut -d, -f1
        touch m/new 2>/dev/null || echo "read-only"
        (cd m && exec sleep 3) & sleep 0.3
        "$O" umount m 2>&1 | sed "s|$D|D|" || true
        "$O" umount --lazy m
        grep -c " $D/m " /proc/self/mountinfo || true
        kill $! 2>/dev/null || true
        "$O" mount -l a --create -u up -w wk m2; echo y > m2/g; cat up/g; "$O" umount m2"#,
    );
    assert_eq!(
        out.ok(),
        "ro\nread-only\novlmount: D/m: umount failed: Device or resource busy\n0\ny\n",
        "{out:#?}"
    );
}

#[test]
fn tmpfs_upper_over_its_own_lower_directory() {
    let _host = MountTableUnchanged::new();
    let d = scratch();
    // The overlay covers its lower directory; writes land on a tmpfs of at most 1 MiB that no
    // directory holds, and the lower directory is untouched afterwards.
    let out = in_mount_ns(
        d.path(),
        r#"set -e; cd "$D"; mkdir r; echo lower > r/f
        "$O" mount --lower "$D/r" --tmpfs-upper=1m "$D/r"
        grep " $D/r " /proc/self/mountinfo | grep -q " - overlay overlay .*upperdir="
        # The tmpfs is attached nowhere (on kernels that want attached layers, ovlmount
        # attaches it for the time of the mount only).
        [ -z "$(awk '$5 ~ /ovlmount-upper/' /proc/self/mountinfo)" ]
        ! ls -d /tmp/.ovlmount-upper-* 2>/dev/null
        echo new > r/f; echo added > r/g
        cat r/f r/g
        if head -c 2000000 /dev/zero > r/big 2>/dev/null; then echo "no size limit"; fi
        "$O" umount r
        cat r/f; ls r
        echo done"#,
    );
    assert_eq!(out.ok(), "new\nadded\nlower\nf\ndone\n", "{out:#?}");
    let bad = in_mount_ns(
        d.path(),
        r#"cd "$D"; mkdir -p r u w; "$O" mount --lower r --upper u --work w --tmpfs-upper r"#,
    );
    assert_eq!(
        (bad.code, bad.stderr.as_str()),
        (
            Some(1),
            "ovlmount: --tmpfs-upper makes the upper and work directories; --upper and --work are not given with it\n"
        )
    );
    let bad = in_mount_ns(
        d.path(),
        r#"cd "$D"; "$O" mount --lower r --tmpfs-upper=lots r"#,
    );
    assert_eq!(bad.code, Some(1), "{bad:#?}");
    assert!(
        bad.stderr.starts_with("ovlmount: size=lots failed"),
        "{bad:#?}"
    );
}
