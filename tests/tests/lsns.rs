//! `lsns` run as a user runs it, against namespaces the tests make (processes started with
//! our own `unshare`, bind mounts in private mount namespaces, descriptors and sockets that
//! hold namespaces no process is in), checked against the kernel's view and side by side,
//! byte for byte, with util-linux 2.42.2's `lsns` (stdout, stderr, exit status). The
//! side-by-side cases are narrowed with `-p`, `-t` or a namespace id, and leave out NPROCS of
//! the host's namespaces, so that other processes on the machine cannot make them differ.
//!
//! Every test runs as root on the development host and in the VMs of `cargo xtask vm-test`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

use serde_json::Value;
use tests::{Output, Rootless, Run, ours, reference};

fn lsns(args: &[&str]) -> Output {
    Run::new(ours("lsns")).args(args).run()
}

fn json(args: &[&str]) -> Value {
    let out = lsns(args);
    serde_json::from_str(out.ok()).unwrap_or_else(|e| panic!("not JSON ({e}): {out:#?}"))
}

fn fails_with(out: &Output, code: i32, stderr: &str) {
    assert_eq!(out.code, Some(code), "{out:#?}");
    assert_eq!(out.stderr, stderr, "{out:#?}");
    assert_eq!(out.stdout, "", "{out:#?}");
}

/// The inode of process `pid`'s namespace `name`, as the kernel reports it.
fn ns_inode(pid: u32, name: &str) -> u64 {
    fs::metadata(format!("/proc/{pid}/ns/{name}"))
        .map(|m| m.ino())
        .unwrap_or_else(|e| panic!("no /proc/{pid}/ns/{name}: {e}"))
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} did not happen"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn first_child(pid: u32) -> Option<u32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn comm(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// A process tree in namespaces of its own, killed when dropped: `unshare -fpmuinC
/// --mount-proc sh -c 'exec sleep 60'`, so `outer` (unshare) is in the new mount, UTS, IPC,
/// net and cgroup namespaces, and `inner` (sleep) is also pid 1 of a new pid namespace.
struct Target {
    outer: u32,
    inner: u32,
    launcher: std::process::Child,
}

impl Target {
    fn new() -> Target {
        let launcher = Run::new(ours("unshare"))
            .args(["-fpmuinC", "--mount-proc", "sh", "-c", "exec sleep 60"])
            .spawn();
        let outer = launcher.id();
        let inner = wait_for("the target's start", || {
            first_child(outer).filter(|&c| comm(c) == "sleep")
        });
        Target {
            outer,
            inner,
            launcher,
        }
    }

    /// A process started by `run`, once its command is `comm`: the launcher itself, or its
    /// child where the launcher is the `runuser` of a login ([`Rootless::run`]).
    fn spawn(run: Run, comm_is: &str) -> Target {
        let launcher = run.spawn();
        let outer = launcher.id();
        let pid = wait_for("the process's exec", || {
            std::iter::once(outer)
                .chain(first_child(outer))
                .find(|&pid| comm(pid) == comm_is)
        });
        Target {
            outer: pid,
            inner: pid,
            launcher,
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.launcher.kill();
        let _ = self.launcher.wait();
        // The inner process dies with its pid namespace's init, which it is.
        kill_started(self.inner);
    }
}

/// SIGKILL a process this test started (by pid; it may be gone already).
fn kill_started(pid: u32) {
    let _ = Run::new("/bin/kill")
        .args(["-KILL", &pid.to_string()])
        .run();
}

/// Our lsns and util-linux 2.42.2's on the same arguments, both called `lsns`: the same
/// stdout, stderr and exit status, byte for byte.
fn side_by_side(args: &[&str]) {
    side_by_side_env(args, None);
}

/// util-linux's lsns run by `run`, again while it lost a race with the processes other tests
/// start and end: it gives up silently (status 1, no output) when a process exits while it
/// reads /proc (a positive ESRCH compared with negative codes), and warns "Unsupported ioctl
/// NS_GET_NSTYPE" when a process closes a namespace descriptor and opens another file under
/// its number between its stat(2) and open(2) of it (other tests run lsns, which does that).
fn settled(run: impl Fn() -> Output) -> Output {
    let raced = |out: &Output| {
        (out.code == Some(1) && out.stderr.is_empty() && out.stdout.is_empty())
            || out.stderr == "lsns: Unsupported ioctl NS_GET_NSTYPE\n"
    };
    let mut theirs = run();
    for _ in 0..10 {
        if !raced(&theirs) {
            break;
        }
        theirs = run();
    }
    theirs
}

/// [`side_by_side`] with `LIBSMARTCOLS_JSON` set to `json` (or left unset).
fn side_by_side_env(args: &[&str], json: Option<&str>) {
    let Some(reference) = reference("lsns") else {
        return;
    };
    let run = |bin: &std::path::Path| {
        let run = Run::new(bin).arg0("lsns").args(args);
        match json {
            Some(v) => run.env("LIBSMARTCOLS_JSON", v),
            None => run.env_remove("LIBSMARTCOLS_JSON"),
        }
        .run()
    };
    let mut theirs = settled(|| run(&reference));
    if json == Some("lines") {
        // The colon util-linux 2.42.2 leaves out in this layout (NOTES; see
        // json_lines_trees_are_json).
        theirs.stdout = theirs.stdout.replace("\"children\"[", "\"children\":[");
    }
    let ours = run(&ours("lsns"));
    assert_eq!(
        (ours.code, &ours.stdout, &ours.stderr),
        (theirs.code, &theirs.stdout, &theirs.stderr),
        "lsns {args:?} (LIBSMARTCOLS_JSON={json:?}): ours {ours:#?}\ntheirs {theirs:#?}"
    );
}

/// The namespaces a target made itself (not the host's, whose NPROCS other processes change).
const OWN_KINDS: [&str; 12] = [
    "-t", "mnt", "-t", "uts", "-t", "ipc", "-t", "pid", "-t", "net", "-t", "cgroup",
];

#[test]
fn a_targets_namespaces_side_by_side() {
    let t = Target::new();
    let pid = t.inner.to_string();
    let mut args: Vec<&str> = vec!["-p", &pid];
    args.extend(OWN_KINDS);
    // The default columns and process tree: the pid namespace's line hangs under the last
    // line its parent process (unshare) printed.
    side_by_side(&args);
    for extra in [
        &["-l"][..],
        &["-r"],
        &["-J"],
        &["-n"],
        &["-J", "-l"],
        &["-r", "-n", "-o", "NS,TYPE"],
        &["-o", "+PATH,PPID,UID"],
        &["-o", "ns,type,pns,ons"],
        &["--output-all", "-l"],
        &["-J", "--output-all"],
        &["-u", "-W"],
    ] {
        let mut a = args.clone();
        a.extend(extra);
        side_by_side(&a);
    }
}

#[test]
fn the_kernels_view_of_a_target() {
    let t = Target::new();
    let pid = t.inner.to_string();
    let v = json(&["-p", &pid, "-J", "--output-all", "-l"]);
    let rows = v["namespaces"].as_array().unwrap();
    assert_eq!(rows.len(), 8, "{v:#}");
    for row in rows {
        let kind = row["type"].as_str().unwrap();
        assert_eq!(
            row["ns"].as_u64().unwrap(),
            ns_inode(t.inner, kind),
            "{row}"
        );
        let own = !matches!(kind, "user" | "time");
        if own {
            let lowest = if kind == "pid" { t.inner } else { t.outer };
            assert_eq!(row["pid"].as_u64().unwrap(), u64::from(lowest), "{row}");
            assert_eq!(
                row["nprocs"].as_u64().unwrap(),
                if kind == "pid" { 1 } else { 2 }
            );
            assert_eq!(row["path"], format!("/proc/{lowest}/ns/{kind}"));
            assert_eq!(row["uid"], 0);
            assert_eq!(row["user"], "root");
        }
        // The owner of everything here is the host's user namespace; only pid and user
        // namespaces have parents.
        assert_eq!(
            row["ons"].as_u64().unwrap(),
            if kind == "user" {
                0
            } else {
                ns_inode(std::process::id(), "user")
            }
        );
        let pns = if kind == "pid" {
            ns_inode(t.outer, "pid")
        } else {
            0
        };
        assert_eq!(row["pns"].as_u64().unwrap(), pns, "{row}");
        let netnsid = if kind == "net" {
            Value::from("unassigned")
        } else {
            Value::Null
        };
        assert_eq!(row["netnsid"], netnsid, "{row}");
    }
    let sleep = rows.iter().find(|r| r["type"] == "pid").unwrap();
    assert_eq!(sleep["command"], "sleep 60");
    assert_eq!(sleep["ppid"].as_u64().unwrap(), u64::from(t.outer));
}

#[test]
fn the_processes_of_one_namespace() {
    let t = Target::new();
    let net = ns_inode(t.outer, "net").to_string();
    let pidns = ns_inode(t.inner, "pid").to_string();
    side_by_side(&[&pidns]);
    side_by_side(&[&net]);
    side_by_side(&[&net, "-o", "NS,PID,COMMAND"]);
    side_by_side(&["-J", &net]);
    side_by_side(&["-l", &net]);
    let out = lsns(&["-r", "-n", "-o", "PID", &net]);
    assert_eq!(out.ok(), format!("{}\n{}\n", t.outer, t.inner));
}

#[test]
fn escapes_in_table_raw_and_json() {
    if !tests::have("/bin/bash", "bash") {
        return;
    }
    // bash itself carries the odd argv[0] (busybox's sleep, in the VM, would look itself up
    // by that name and exit); two commands keep it from exec'ing the first.
    let t = Target::spawn(
        Run::new(ours("unshare")).args([
            "-m",
            "/bin/bash",
            "-c",
            "exec -a $'we\"ird\\\\name\\ttab' /bin/bash -c 'sleep 20; exit'",
        ]),
        "bash",
    );
    wait_for("the exec with the odd name", || {
        let cmdline = fs::read(format!("/proc/{}/cmdline", t.outer)).ok()?;
        cmdline.starts_with(b"we").then_some(())
    });
    let pid = t.outer.to_string();
    let args = ["-p", &pid, "-t", "mnt", "-o", "PID,COMMAND"];
    let table = lsns(&args);
    // PID's width: the header's (3) for pids up to 3 digits, else at least its hint (5).
    let w = if pid.len() <= 3 { 3 } else { pid.len().max(5) };
    assert_eq!(
        table.ok(),
        format!(
            "{:>w$} COMMAND\n{pid:>w$} we\"ird\\name\\x09tab -c sleep 20; exit\n",
            "PID"
        )
    );
    let mut raw = args.to_vec();
    raw.push("-r");
    assert_eq!(
        lsns(&raw).ok(),
        format!("PID COMMAND\n{pid} we\"ird\\x5cname\\x09tab\\x20-c\\x20sleep\\x2020;\\x20exit\n")
    );
    let mut j = args.to_vec();
    j.push("-J");
    assert_eq!(
        json(&j)["namespaces"][0]["command"],
        "we\"ird\\name\ttab -c sleep 20; exit"
    );
    for extra in [&[][..], &["-r"], &["-J"]] {
        let mut a = args.to_vec();
        a.extend(extra);
        side_by_side(&a);
    }
}

#[test]
fn bind_mounted_namespaces_have_no_processes() {
    let dir = tests::scratch();
    // A net and a uts namespace bound to files in a private mount namespace: no process is
    // in them. util-linux 2.38 cannot see them, so no side by side here.
    let script = r#"
        mount -t tmpfs tmpfs "$D" && touch "$D/net" "$D/uts" "$D/net2" &&
        "$U" --net="$D/net" --uts="$D/uts" true &&
        mount --bind "$D/net" "$D/net2" &&
        stat -L -c %i "$D/net" "$D/uts" &&
        echo --- && "$L" -P -J -o NS,TYPE,NPROCS,PID,COMMAND,NSFS,USER &&
        echo --- && "$L" -P -W -r -n -o NS,NSFS -t net &&
        echo --- && "$L" -l -n -r -o NS,NPROCS -t uts
    "#;
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("U", ours("unshare"))
        .env("L", ours("lsns"))
        .env("D", dir.path())
        .run();
    let text = out.ok();
    let parts: Vec<&str> = text.split("---\n").collect();
    let inodes: Vec<u64> = parts[0].lines().map(|l| l.parse().unwrap()).collect();
    let v: Value = serde_json::from_str(parts[1]).unwrap();
    let rows = v["namespaces"].as_array().unwrap();
    let d = dir.path().display();
    for (ino, kind) in inodes.iter().zip(["net", "uts"]) {
        let row = rows
            .iter()
            .find(|r| r["ns"].as_u64() == Some(*ino))
            .unwrap_or_else(|| panic!("{kind} {ino} not listed: {v:#}"));
        assert_eq!(row["type"], kind);
        assert_eq!(row["nprocs"], 0);
        assert_eq!(row["pid"], Value::Null);
        assert_eq!(row["command"], Value::Null);
        assert_eq!(row["user"], "root");
        let nsfs = if kind == "net" {
            format!("{d}/net\n{d}/net2")
        } else {
            format!("{d}/uts")
        };
        assert_eq!(row["nsfs"], nsfs.as_str());
    }
    assert!(
        parts[2].contains(&format!("{} {d}/net,{d}/net2\n", inodes[0])),
        "{text}"
    );
    // Without --persistent it is listed among the others, with NPROCS 0.
    assert!(parts[3].contains(&format!("{} 0\n", inodes[1])), "{text}");
    // Nothing was left behind: the mount namespace is gone with its mounts.
    assert!(
        !tests::mount_table()
            .iter()
            .any(|m| m.starts_with(&*d.to_string()))
    );
}

#[test]
fn namespaces_held_by_descriptors_and_sockets() {
    if !tests::have("/bin/bash", "bash") || !tests::have("/usr/bin/ip", "iproute2") {
        return;
    }
    // fd 3 holds the net namespace of a process that is gone; fd 4 is a UDP socket made in
    // another net namespace whose processes are gone too. The holder sits in the host's.
    let nsenter = ours("nsenter");
    let script = format!(
        r#"
        export O=$$
        {u} -n sleep 30 & A=$!
        {u} -n sleep 30 & B=$!
        sleep 0.3
        exec 3</proc/$A/ns/net
        {n} --net=/proc/$B/ns/net /usr/bin/ip link set lo up
        {n} --net=/proc/$B/ns/net /bin/bash -c 'exec 4<>/dev/udp/127.0.0.1/9; exec {n} --net=/proc/$O/ns/net sleep 30' &
        H=$!
        sleep 0.3
        readlink /proc/$A/ns/net; readlink /proc/$B/ns/net
        kill $A $B
        wait $A $B 2>/dev/null
        echo $H
        exec sleep 30
        "#,
        u = ours("unshare").display(),
        n = nsenter.display()
    );
    let mut child = std::process::Command::new("/bin/bash")
        .args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut inode = || -> u64 {
        let link = lines.next().unwrap().unwrap();
        link.trim_start_matches("net:[")
            .trim_end_matches(']')
            .parse()
            .unwrap()
    };
    let (a, b) = (inode(), inode());
    let socket_holder: u32 = lines.next().unwrap().unwrap().parse().unwrap();
    // The holders' descriptors are in place before they print.
    let v = json(&["-P", "-t", "net", "-J", "-o", "NS,NPROCS,PID,NETNSID"]);
    let _ = child.kill();
    let _ = child.wait();
    kill_started(socket_holder);
    let rows = v["namespaces"].as_array().unwrap();
    for id in [a, b] {
        let row = rows
            .iter()
            .find(|r| r["ns"].as_u64() == Some(id))
            .unwrap_or_else(|| panic!("{id} not listed: {v:#}"));
        assert_eq!(row["nprocs"], 0);
        assert_eq!(row["pid"], Value::Null);
        assert_eq!(row["netnsid"], "unassigned");
    }
}

#[test]
fn a_namespace_opened_through_a_bind_mount_that_is_gone() {
    if !tests::have("/bin/bash", "bash") {
        return;
    }
    let dir = tests::scratch();
    // util-linux's filedesc test: a descriptor opened through the bind mount, which is then
    // removed, so /proc/PID/fd/N reads as a path ("/"); only its device says nsfs.
    let script = r#"
        set -e; touch "$D/net"
        "$U" --net="$D/net" true
        exec 4<"$D/net"
        readlink /proc/$$/ns/net >/dev/null
        stat -L -c %i "$D/net"
        umount -l "$D/net"
        readlink /proc/$$/fd/4
        "$L" -P -t net -n -r -o NS,NPROCS,USER
    "#;
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/bash", "-c", script])
        .env("U", ours("unshare"))
        .env("L", ours("lsns"))
        .env("D", dir.path())
        .run();
    let text = out.ok();
    let mut lines = text.lines();
    let ino = lines.next().unwrap();
    assert!(!lines.next().unwrap().starts_with("net:"), "{text}");
    assert!(text.contains(&format!("{ino} 0 root\n")), "{text}");
}

#[test]
fn network_namespace_ids_and_nsfs_side_by_side() {
    if !tests::have("/usr/bin/ip", "iproute2") {
        return;
    }
    let dir = tests::scratch();
    // As in util-linux's own netnsid test: `ip netns set` gives the id, a second bind mount
    // (iproute2's ip by its full path: the VM's busybox has an `ip` applet without netns);
    // makes NSFS a two-line cell; a process in the namespace lets 2.38.1 see it too.
    let script = r#"
        mount -t tmpfs tmpfs /run && /usr/bin/ip netns add nsutils-t && /usr/bin/ip netns set nsutils-t 7 &&
        touch /run/netns/second && mount --bind /run/netns/nsutils-t /run/netns/second &&
        /usr/bin/ip netns exec nsutils-t sleep 20 & P=$!; sleep 0.5
        # util-linux gives up silently (status 1, no output) when a process exits while it
        # reads /proc (see side_by_side()): run it again then.
        ref() {
            for i in 1 2 3 4 5 6 7 8 9 10; do
                out=$("$R" "$@"); rc=$?
                if [ $rc -ne 1 ] || [ -n "$out" ]; then break; fi
            done
            [ -n "$out" ] && printf '%s\n' "$out"; echo "rc=$rc"
        }
        for args in "-t net" "-t net -W" "-t net -r" "-J -t net -o NS,NETNSID,NSFS,PID,COMMAND" "-l -t net -o NS,NETNSID,NSFS"; do
            echo "== $args"; "$L" -p $P $args; echo "rc=$?"
            echo "== ref $args"; ref -p $P $args
        done
        echo "== persistent"; kill $P; wait; "$L" -P -t net -r -n -o NETNSID,NSFS
    "#;
    let Some(reference) = reference("lsns") else {
        return;
    };
    let out = Run::new(ours("unshare"))
        .args(["-m", "--propagation", "private", "/bin/sh", "-c", script])
        .env("L", ours("lsns"))
        .env("R", reference)
        .env("D", dir.path())
        .run();
    let text = out.ok();
    let text = &format!("{text}\n[stderr]\n{}", out.stderr);
    let sections: Vec<&str> = text.split("== ").skip(1).collect();
    for pair in sections[..10].chunks(2) {
        let (ours, theirs) = (pair[0], pair[1]);
        let (args, ours_body) = ours.split_once('\n').unwrap();
        let theirs_body = theirs.split_once('\n').unwrap().1;
        if args.starts_with("-J") {
            // A multi-line NSFS cell in JSON (NOTES): util-linux 2.42 prints its first line
            // and then a stray line of blanks; nsutils the whole value.
            let full = r#""nsfs": "/run/netns/nsutils-t\n/run/netns/second","#;
            let first = r#""nsfs": "/run/netns/nsutils-t","#;
            assert!(ours_body.contains(full), "{ours}");
            assert!(theirs_body.contains(first), "{theirs}");
            assert_eq!(
                ours_body.replace(full, first),
                theirs_body.replace("\n  \n", "\n"),
                "{ours}\n--- vs ---\n{theirs}"
            );
            continue;
        }
        assert_eq!(ours_body, theirs_body, "{ours}\n--- vs ---\n{theirs}");
    }
    assert!(sections[0].contains(" 7 /run/netns/nsutils-t"), "{text}");
    assert!(sections[0].contains("/run/netns/second"), "{text}");
    assert!(
        sections[10].starts_with("persistent\n7 /run/netns/nsutils-t,/run/netns/second\n"),
        "{text}"
    );
}

#[test]
fn owner_and_parent_trees() {
    // A user namespace made by each unprivileged user (nobody; the login user in its session
    // in the systemd guest), with a net namespace inside: under -T (owner) the net namespace
    // hangs under the new user namespace, which hangs under the host's.
    for user in Rootless::all() {
        owner_and_parent_trees_of(&user);
    }
}

fn owner_and_parent_trees_of(user: &Rootless) {
    let t = Target::spawn(
        user.run(ours("unshare"))
            .args(["-U", "-r", "-n", "-p", "-f", "sleep", "30"]),
        "unshare",
    );
    let child = wait_for("the child", || {
        first_child(t.outer).filter(|&c| comm(c) == "sleep")
    });
    let pid = t.outer.to_string();
    let userns = ns_inode(t.outer, "user");
    let net = ns_inode(t.outer, "net");
    let host_user = ns_inode(std::process::id(), "user");
    let v = json(&["-T", "-p", &pid, "-J", "-o", "NS,TYPE,ONS"]);
    let roots = v["namespaces"].as_array().unwrap();
    let host = roots
        .iter()
        .find(|r| r["ns"].as_u64() == Some(host_user))
        .unwrap_or_else(|| panic!("{user:?}: host user ns not a root: {v:#}"));
    let mine = host["children"]
        .as_array()
        .and_then(|c| c.iter().find(|r| r["ns"].as_u64() == Some(userns)))
        .unwrap_or_else(|| panic!("{user:?}: our user ns not under the host's: {v:#}"));
    let under: Vec<u64> = mine["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ns"].as_u64().unwrap())
        .collect();
    assert!(under.contains(&net), "{user:?}: {v:#}");
    // The child's pid namespace: parent is the host's pid namespace, owner our user ns.
    let pidns = ns_inode(child, "pid");
    let v = json(&["-Tparent", "-t", "pid", "-J", "-o", "NS,PNS"]);
    let text = v.to_string();
    assert!(
        text.contains(&format!(
            "\"ns\":{pidns},\"pns\":{}",
            ns_inode(std::process::id(), "pid")
        )),
        "{v:#}"
    );
    side_by_side(&["-T", "-p", &pid, "-o", "NS,TYPE,PNS,ONS"]);
    side_by_side(&["--tree=owner", "-p", &pid, "-o", "NS,TYPE"]);
    kill_started(child);
}

#[test]
fn filters() {
    let t = Target::new();
    let pidns = ns_inode(t.inner, "pid");
    // util-linux's own filter test, with our target instead of its helper.
    for opt in ["-Q", "--filter"] {
        let expr = format!("NS == {pidns} && NPROCS == 1");
        let out = lsns(&["-n", "--raw", "-o", "PID", opt, &expr]);
        assert_eq!(out.ok(), format!("{}\n", t.inner));
    }
    let pid = t.outer.to_string();
    let expr = r#"TYPE =~ "^(net|uts)$" or (NPROCS > 2 and not (TYPE != "user"))"#;
    let out = lsns(&["-p", &pid, "-r", "-n", "-o", "TYPE", "-Q", expr]);
    assert_eq!(out.ok(), format!("user\n{}", own_uts_and_net(&t)));
    // A column the filter names need not be printed.
    let inner = t.inner.to_string();
    let out = lsns(&[
        "-p",
        &inner,
        "-n",
        "-r",
        "-o",
        "TYPE",
        "-Q",
        &format!("NS == {pidns}"),
    ]);
    assert_eq!(out.ok(), "pid\n");
    let out = lsns(&["-Q", "NS == (1"]);
    assert_eq!(out.code, Some(1), "{out:#?}");
    assert!(
        out.stderr
            .starts_with("lsns: failed to parse \"NS == (1\": "),
        "{out:#?}"
    );
    fails_with(
        &lsns(&["-Q", "BOGUS == 1 or ALSO > 2"]),
        1,
        "lsns: unknown column: BOGUS\nlsns: unknown column: ALSO\nlsns: failed to initialize filter\n",
    );
}

/// `uts` and `net`, in the inode order of the target's namespaces of those kinds.
fn own_uts_and_net(t: &Target) -> String {
    let mut kinds: Vec<(u64, &str)> = ["uts", "net"]
        .into_iter()
        .map(|k| (ns_inode(t.outer, k), k))
        .collect();
    kinds.sort();
    kinds.iter().map(|(_, k)| format!("{k}\n")).collect()
}

#[test]
fn bad_input() {
    fails_with(&lsns(&["-o", "BOGUS"]), 1, "lsns: unknown column: BOGUS\n");
    fails_with(
        &lsns(&["-t", "bogus"]),
        1,
        "lsns: unknown namespace type: bogus\n",
    );
    fails_with(&lsns(&["-Tbogus"]), 1, "lsns: unknown tree type: bogus\n");
    fails_with(&lsns(&["--tree=x"]), 1, "lsns: unknown tree type: x\n");
    fails_with(
        &lsns(&["-p", "abc"]),
        1,
        "lsns: invalid PID argument: 'abc'\n",
    );
    fails_with(
        &lsns(&["-p", "-5"]),
        1,
        "lsns: invalid PID argument: '-5': Numerical result out of range\n",
    );
    fails_with(
        &lsns(&["abc"]),
        1,
        "lsns: invalid namespace argument: 'abc'\n",
    );
    fails_with(&lsns(&["1"]), 1, "lsns: not found namespace: 1\n");
    fails_with(&lsns(&["0"]), 1, "lsns: not found namespace: 0\n");
    fails_with(
        &lsns(&["99999999999999999999"]),
        1,
        "lsns: invalid namespace argument: '99999999999999999999': Numerical result out of range\n",
    );
    fails_with(
        &lsns(&["-p", "1", "4026531836"]),
        1,
        "lsns: --task is mutually exclusive with <namespace>\n",
    );
    fails_with(
        &lsns(&["-J", "-r"]),
        1,
        "lsns: options --json and --raw cannot be combined\n",
    );
    fails_with(
        &lsns(&["-P", "-p", "1"]),
        1,
        "lsns: options --persistent and --task cannot be combined\n",
    );
    let out = Run::new(ours("lsns")).arg0("lsns").args(["--bogus"]).run();
    fails_with(
        &out,
        1,
        "lsns: unrecognized option '--bogus'\nTry 'lsns --help' for more information.\n",
    );
    // Side by side with 2.42.2 (stdout, stderr, status).
    for args in [
        &["--bogus"][..],
        &["-Tbogus"],
        &["--tree=x"],
        &["-p", "-5"],
        &["99999999999999999999"],
        &["-p", "1", "4026531836"],
        &["-o", "BOGUS"][..],
        &["-t", "bogus"],
        &["abc"],
        &["1"],
        &["-p", "abc"],
        &["-J", "-r"],
        &["-Tbogus"],
        &["-p", "999999"],
        &["-J", "-p", "999999"],
        &["-t", "net", "-p", "999999"],
    ] {
        side_by_side(args);
    }
    // Nothing matched: nothing at all, or an empty array.
    assert_eq!(lsns(&["-p", "999999"]).ok(), "");
    assert_eq!(
        lsns(&["-J", "-p", "999999"]).ok(),
        "{\n   \"namespaces\": [\n\n   ]\n}\n"
    );
}

#[test]
fn exclusive_options_side_by_side() {
    // Every pair util-linux 2.42.2 excludes, both orders, short and long: the message names
    // the two options in command-line order.
    for (a, b) in [
        ("-J", "-r"),
        ("--json", "--raw"),
        ("-P", "-p1"),
        ("--persistent", "--task=1"),
        ("--js", "--ra"),
    ] {
        for args in [[a, b], [b, a]] {
            side_by_side(&args);
            let out = lsns(&args);
            assert_eq!(out.code, Some(1), "{out:#?}");
            assert!(out.stderr.ends_with(" cannot be combined\n"), "{out:#?}");
        }
    }
    fails_with(
        &lsns(&["--raw", "--json"]),
        1,
        "lsns: options --raw and --json cannot be combined\n",
    );
    fails_with(
        &lsns(&["--task", "1", "-P"]),
        1,
        "lsns: options --task and --persistent cannot be combined\n",
    );
    // The first pair stops the parse before anything else is looked at.
    side_by_side(&["-J", "-r", "-p", "abc"]);
    side_by_side(&["-p", "abc", "-J", "-r"]);
    // -l with -T is accepted, in either order: the tree wins.
    let t = Target::new();
    let pid = t.inner.to_string();
    for args in [
        &["-l", "-T", "-p", &pid][..],
        &["-T", "-l", "-p", &pid],
        &["-l", "-Tparent", "-p", &pid, "-o", "NS,TYPE,PNS"],
        &["--tree=process", "--list", "-p", &pid],
    ] {
        let mut args = args.to_vec();
        args.extend(OWN_KINDS);
        side_by_side(&args);
    }
    let v = json(&["-l", "-T", "-p", &pid, "-J", "-o", "NS,TYPE"]);
    let roots = v["namespaces"].as_array().unwrap();
    assert!(
        roots.iter().any(|r| r["children"].is_array()),
        "not a tree: {v:#}"
    );
}

#[test]
fn numbers_side_by_side() {
    let t = Target::new();
    let pid = t.inner.to_string();
    let pidns = ns_inode(t.inner, "pid").to_string();
    let plus = format!("+{pid}");
    let blank = format!(" \t{pid}");
    // -p: 1 to INT_MAX, a sign and leading blanks taken.
    for task in [
        &plus[..],
        &blank,
        "0",
        "+0",
        "-1",
        "2147483648",
        "1x",
        "",
        " ",
        &format!("{pid} "),
    ] {
        side_by_side(&["-p", task, "-t", "pid", "-o", "NS,PID"]);
    }
    assert_eq!(
        lsns(&["-p", &blank, "-t", "pid", "-n", "-r", "-o", "NS"]).ok(),
        format!("{pidns}\n")
    );
    // The namespace operand: unsigned 64 bits, a sign and leading blanks taken.
    for nsid in [
        format!("+{pidns}"),
        format!(" {pidns}"),
        format!("{pidns}x"),
        "-1".to_owned(),
        "-0x".to_owned(),
        "18446744073709551616".to_owned(),
        "18446744073709551615".to_owned(),
    ] {
        side_by_side(&["-o", "PID", "--", &nsid]);
    }
    assert_eq!(
        lsns(&["-n", "-o", "PID", &format!("+{pidns}")]).ok().trim(),
        pid
    );
}

#[test]
fn filter_syntax_errors_side_by_side() {
    // bison's messages as libsmartcols 2.42.2 passes them on, with its token names.
    for expr in [
        "NS ==",
        "NS == (1",
        "(NS == 1",
        "(NS == 1 2)",
        "NS == 1)",
        "NS 1",
        "NS == 1 NS",
        "==",
        ")",
        "(",
        "()",
        "  ",
        "NS == 'abc",
        "'",
        "NS == 1 and",
        "not",
        "NS == 1 and or 2",
        "NS == 1 true",
        "NS ! 1",
        "NS < < 1",
        "\"abc\" \"def\"",
        "1.5 1.5",
        "NS == 99999999999999999999999K",
        "NS 99999999999999999999999K",
        "NS == 10Q",
        "NS =~ \"(\"",
        "NS =~ \"*\"",
        "NS =~ \"\\\"",
        "NS =~ \"a{2,1}\"",
        "NS =~ \"(\" 1",
        "NS =~ \"a\" (",
    ] {
        side_by_side(&["-p", "999999", "-Q", expr]);
    }
    fails_with(
        &lsns(&["-Q", "NS == 1 NS"]),
        1,
        "lsns: failed to parse \"NS == 1 NS\": syntax error, unexpected HOLDER, expecting end of file\n",
    );
    fails_with(
        &lsns(&["--filter=NS =="]),
        1,
        "lsns: failed to parse \"NS ==\": syntax error, unexpected end of file\n",
    );
}

#[test]
fn filter_characters_outside_the_language() {
    // util-linux's scanner echoes what it does not know to stdout and goes on without it
    // (NOTES): `NS == 1 @` prints "@" and filters by `NS == 1`. nsutils refuses it.
    fails_with(
        &lsns(&["-p", "999999", "-Q", "NS == 1 @"]),
        1,
        "lsns: failed to parse \"NS == 1 @\": syntax error, unexpected invalid token, expecting end of file\n",
    );
    fails_with(
        &lsns(&["-p", "999999", "-Q", "NS = 1"]),
        1,
        "lsns: failed to parse \"NS = 1\": syntax error, unexpected invalid token, expecting end of file\n",
    );
    if let Some(reference) = reference("lsns") {
        let out = Run::new(&reference)
            .args(["-p", "999999", "-Q", "NS == 1 @"])
            .run();
        // Only the echo is compared: util-linux's exit status here depends on whether some
        // process exits while it reads /proc (its positive-ESRCH comparison, NOTES), which a
        // busy CI machine running tests in parallel makes happen.
        assert_eq!(out.stdout, "@", "{out:#?}");
        let out = Run::new(&reference)
            .args(["-p", "999999", "-Q", "NS = 1"])
            .run();
        assert_eq!(out.stdout, "=", "{out:#?}");
        assert!(
            out.stderr
                .ends_with("unexpected NUMBER, expecting end of file\n")
        );
    }
}

#[test]
fn json_layouts_side_by_side() {
    // LIBSMARTCOLS_JSON=compact and =lines, flat and as trees, on the target's namespaces.
    let t = Target::new();
    let pid = t.inner.to_string();
    let net = ns_inode(t.outer, "net").to_string();
    for format in ["compact", "lines", "pretty", "bogus"] {
        for extra in [
            &[][..],
            &["-l"],
            &["-n", "-o", "NS,TYPE,NPROCS,PID,PPID,COMMAND,NETNSID,NSFS"],
            &["-o", "NS,TYPE,PNS,ONS", "-Tparent"],
        ] {
            let mut args = vec!["-J", "-p", &pid];
            args.extend(OWN_KINDS);
            args.extend(extra);
            side_by_side_env(&args, Some(format));
        }
        // The processes of a namespace, as a process tree and flat; no lines at all.
        side_by_side_env(&["-J", &net], Some(format));
        side_by_side_env(&["-J", "-l", &net], Some(format));
        side_by_side_env(&["-J", "-p", "999999"], Some(format));
    }
    // The kernel's view, one object per line.
    let out = Run::new(ours("lsns"))
        .args([
            "-J", "-l", "-o", "NS,TYPE", "-p", &pid, "-t", "pid", "-t", "net",
        ])
        .env("LIBSMARTCOLS_JSON", "lines")
        .run();
    let lines: Vec<Value> = out
        .ok()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 2, "{out:#?}");
    for row in lines {
        let kind = row["type"].as_str().unwrap_or_default();
        assert_eq!(row["ns"].as_u64(), Some(ns_inode(t.inner, kind)), "{row}");
    }
}

#[test]
fn json_lines_trees_are_json() {
    // With LIBSMARTCOLS_JSON=lines, util-linux 2.42.2 writes nested arrays without their
    // colon (`"children"[`), which no JSON parser takes (NOTES); nsutils writes the colon.
    let t = Target::new();
    let pid = t.outer.to_string();
    let args = ["-J", "-T", "-o", "NS,TYPE", "-p", &pid];
    let out = Run::new(ours("lsns"))
        .args(args)
        .env("LIBSMARTCOLS_JSON", "lines")
        .run();
    for line in out.ok().lines() {
        let row: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(row["children"].is_array(), "{row}");
    }
    if let Some(reference) = reference("lsns") {
        let theirs = settled(|| {
            Run::new(&reference)
                .args(args)
                .env("LIBSMARTCOLS_JSON", "lines")
                .run()
        });
        assert!(theirs.ok().contains("\"children\"[{"), "{theirs:#?}");
        assert_eq!(
            theirs.ok().replace("\"children\"[", "\"children\":["),
            out.ok()
        );
    }
}

#[test]
fn list_columns() {
    let out = lsns(&["-H"]);
    let names: Vec<&str> = out
        .ok()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "NS", "TYPE", "PATH", "NPROCS", "PID", "PPID", "COMMAND", "UID", "USER", "NETNSID",
            "NSFS", "PNS", "ONS"
        ]
    );
    let v = json(&["-H", "-J"]);
    let rows = v["lsns-columns"].as_array().unwrap();
    assert_eq!(rows[0]["holder"], "NS");
    assert_eq!(rows[0]["type"], "<integer>");
    assert_eq!(rows[9]["type"], "<string>");
}

#[test]
fn a_terminal_truncates_command() {
    if !tests::have("/usr/bin/script", "bsdutils") {
        return;
    }
    let Some(reference) = reference("lsns") else {
        return;
    };
    let t = Target::new();
    let pid = t.inner.to_string();
    let run = |bin: &std::path::Path, extra: &str| {
        let cmd = format!(
            "stty cols 70; {} -p {pid} -t mnt -t pid -t ipc {extra}",
            bin.display()
        );
        let out = Run::new("/usr/bin/script")
            .args(["-qc", &cmd, "/dev/null"])
            .run();
        out.stdout.replace('\r', "")
    };
    let width = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    // unshare's command line (its full path, then the arguments) is longer than 70
    // characters: cut to fit, unless -u.
    let cut = run(&ours("lsns"), "");
    assert!(width(&cut) <= 70, "{cut}");
    assert!(cut.contains(" /"), "{cut}");
    assert!(!cut.contains("exec sleep 60"), "{cut}");
    let whole = run(&ours("lsns"), "-u");
    assert!(whole.contains("sh -c exec sleep 60"), "{whole}");
    // Byte for byte what util-linux 2.42.2 prints on the same terminal.
    for extra in ["", "-u", "-o NS,TYPE,PID,COMMAND,PPID", "-n"] {
        let ours = run(&ours("lsns"), extra);
        // util-linux may give up silently on a process exiting mid-scan: see side_by_side().
        let mut theirs = run(&reference, extra);
        for _ in 0..10 {
            if !theirs.is_empty() {
                break;
            }
            theirs = run(&reference, extra);
        }
        assert_eq!(ours, theirs, "{extra:?}");
    }
}

#[test]
fn processes_that_exit_while_listed_leave_no_partial_rows() {
    // A shell starting and reaping short-lived processes in their own namespaces while lsns
    // runs: every namespace with processes has a PID and a command, or is not there.
    let churn = Target::spawn(
        Run::new("/bin/sh").args([
            "-c",
            &format!("while :; do {} -u true; done", ours("unshare").display()),
        ]),
        "sh",
    );
    for _ in 0..40 {
        let v = json(&["-J", "-l", "-o", "NS,NPROCS,PID,COMMAND"]);
        for row in v["namespaces"].as_array().unwrap() {
            if row["nprocs"].as_u64().unwrap() > 0 {
                assert!(row["pid"].is_u64() && row["command"].is_string(), "{row}");
            }
        }
    }
    drop(churn);
}
