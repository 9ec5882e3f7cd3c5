//! `unshare --pid-file FILE` and `--info-fd FD`, nsutils' own (util-linux has neither): the
//! pid of the process that runs the program, in the caller's pid namespace, and bwrap's JSON
//! of it with the new namespaces' inodes. Each run is checked against the kernel's view: the
//! pid's `/proc/PID/ns/*` are the new namespaces, with the inodes the JSON gives, its id maps
//! are written when the handles appear, and `nsenter -t $(cat FILE)` enters them. Refusals
//! happen before any namespace exists: exact status and message, no file and no persistence
//! bind left behind.
//!
//! The program of each run is `cat`, reading the test's pipe, so that it runs until the test
//! closes that pipe; `--info-fd 3` is the test's stdout pipe (`3>&1 >/dev/null`), read to its
//! end while the program runs, which shows that the program does not hold the descriptor.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use tests::{NOBODY, Output, Run, ours, own_ns, reference, scratch, sh_in_private_mount_ns};

/// The kinds under /proc/PID/ns that a namespace option makes, as the JSON names them.
const KINDS: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/// A run of `unshare ARGS --pid-file FILE --info-fd 3 cat`, started and announced.
struct Started {
    child: Child,
    /// The JSON read from descriptor 3 to its end.
    json: String,
    /// That pipe, as /proc/PID/fd shows it (`pipe:[INODE]`).
    info_pipe: String,
}

/// Start `unshare ARGS --pid-file FILE --info-fd 3 cat`, as root or as nobody, and read the
/// JSON (failing after 20 seconds rather than hanging, should the descriptor stay open).
fn start(as_nobody: bool, args: &[&str], pid_file: &Path) -> Started {
    let script = "exec \"$@\" 3>&1 >/dev/null";
    let run = if as_nobody {
        Run::as_nobody("/bin/sh")
    } else {
        Run::new("/bin/sh")
    };
    let mut child = run
        .args(["-c", script, "sh"])
        .arg_os(ours("unshare"))
        .args(args)
        .arg_os("--pid-file")
        .arg_os(pid_file)
        .args(["--info-fd", "3", "cat"])
        .start();
    let mut stdout = child.stdout.take().expect("stdout is a pipe");
    let info_pipe = std::fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&stdout)
    ))
    .expect("readlink our end of the pipe")
    .display()
    .to_string();
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        let _ = send.send(text);
    });
    let Ok(json) = receive.recv_timeout(Duration::from_secs(20)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("unshare {args:?}: descriptor 3 still open after 20 seconds");
    };
    Started {
        child,
        json,
        info_pipe,
    }
}

impl Started {
    /// Close the program's input, so that `cat` and then unshare end; their output.
    fn finish(mut self) -> Output {
        drop(self.child.stdin.take());
        let out = self.child.wait_with_output().expect("wait for unshare");
        Output {
            code: out.status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&out.status),
            core_dumped: false,
            stdout: String::new(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The JSON object's members, numbers only (as the JSON has).
fn members(json: &str) -> BTreeMap<String, u64> {
    let value: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {json:?}"));
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {json}"));
    object
        .iter()
        .map(|(k, v)| {
            let n = v
                .as_u64()
                .unwrap_or_else(|| panic!("{k} is not a number: {json}"));
            (k.clone(), n)
        })
        .collect()
}

/// The inode of `/proc/<pid>/ns/<kind>`: the namespace's identity.
fn ns_inode(pid: &str, kind: &str) -> u64 {
    std::fs::metadata(format!("/proc/{pid}/ns/{kind}"))
        .unwrap_or_else(|e| panic!("stat /proc/{pid}/ns/{kind}: {e}"))
        .ino()
}

/// The test process's own namespace of `kind`, as an inode.
fn own_inode(kind: &str) -> u64 {
    ns_inode("self", kind)
}

/// Check a started run against the kernel: the JSON has `child-pid` and exactly the kinds in
/// `new`; the pid file holds the same pid; that process's namespaces are the JSON's inodes
/// for the new kinds (none of them the test's own) and the test's own for every other kind;
/// `nsenter -t $(cat FILE) ENTER readlink /proc/self/ns/KIND` shows the new namespace.
/// Returns the pid.
fn check_handles(started: &Started, pid_file: &Path, new: &[&str], enter: (&str, &str)) -> String {
    let json = members(&started.json);
    let mut expected: Vec<String> = new.iter().map(|k| format!("{k}-namespace")).collect();
    expected.push("child-pid".into());
    expected.sort();
    assert_eq!(
        json.keys().cloned().collect::<Vec<_>>(),
        expected,
        "{}",
        started.json
    );
    let pid = json["child-pid"].to_string();
    assert_eq!(
        std::fs::read_to_string(pid_file).expect("the pid file is there"),
        format!("{pid}\n")
    );
    for kind in KINDS {
        let seen = ns_inode(&pid, kind);
        match json.get(&format!("{kind}-namespace")) {
            Some(inode) => {
                assert_eq!(seen, *inode, "{kind}: {}", started.json);
                assert_ne!(seen, own_inode(kind), "{kind} is not new");
            }
            None => assert_eq!(seen, own_inode(kind), "{kind} should be the test's own"),
        }
    }
    let (option, kind) = enter;
    let out = Run::new("/bin/sh")
        .args([
            "-c",
            "exec \"$0\" -t \"$(cat \"$1\")\" \"$2\" readlink \"/proc/self/ns/$3\"",
        ])
        .arg_os(ours("nsenter"))
        .arg_os(pid_file)
        .args([option, kind])
        .run();
    assert_eq!(
        out.ok(),
        format!("{kind}:[{}]\n", json[&format!("{kind}-namespace")])
    );
    pid
}

/// A scratch directory that nobody may write too.
fn open_scratch() -> tempfile::TempDir {
    let dir = scratch();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod the scratch directory");
    dir
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the scratch directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn nspid(pid: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ---------------------------------------------------------------- the handles, kernel's view

/// With `--fork` and `--pid`, the handles name the child, pid 1 of its namespace, by its
/// pid outside; the pid file goes when the run ends.
#[test]
fn fork_with_a_pid_namespace_names_the_child_by_its_outer_pid() {
    let dir = open_scratch();
    let file = dir.path().join("box.pid");
    let started = start(false, &["-fpmuinCT", "--mount-proc"], &file);
    let pid = check_handles(
        &started,
        &file,
        &["cgroup", "ipc", "mnt", "net", "pid", "time", "uts"],
        ("-u", "uts"),
    );
    assert_eq!(nspid(&pid), format!("{pid} 1"));
    // The child, not unshare.
    assert_ne!(pid, started.child.id().to_string());
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    started.finish().assert_code(0);
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

/// Without `--fork`, unshare itself becomes the program: its own pid, and the pid file stays
/// (no process is left to remove it).
#[test]
fn without_fork_the_pid_is_unshares_own() {
    let dir = open_scratch();
    let file = dir.path().join("p");
    let started = start(false, &["-muin"], &file);
    let pid = check_handles(
        &started,
        &file,
        &["ipc", "mnt", "net", "uts"],
        ("-n", "net"),
    );
    // sh executed unshare, which executes cat: one process.
    assert_eq!(pid, started.child.id().to_string());
    started.finish().assert_code(0);
    assert_eq!(listing(dir.path()), ["p"]);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap_or_default(),
        format!("{pid}\n")
    );
}

/// Without `--fork`, a new pid namespace has no process yet, so no inode to give (the kernel
/// shows pid_for_children only once its process 1 exists): the JSON leaves it out, as
/// documented.
#[test]
fn a_pid_namespace_without_fork_has_no_inode_yet() {
    let dir = open_scratch();
    let file = dir.path().join("p");
    let started = start(false, &["-pu"], &file);
    check_handles(&started, &file, &["uts"], ("-u", "uts"));
    started.finish().assert_code(0);
}

/// As nobody, with a user namespace: the handles appear only once the id maps are written
/// (a script may `nsenter -U` at once), with and without `--fork`.
#[test]
fn user_namespace_as_nobody_is_mapped_when_announced() {
    let dir = open_scratch();
    for (args, new, enter) in [
        (&["-rn"][..], &["net", "user"][..], ("-n", "net")),
        (
            &["-r", "--fork", "--pid", "--mount-proc"],
            &["mnt", "pid", "user"],
            // Not -m: /proc in there is the new pid namespace's, where nsenter has no pid.
            ("-p", "pid"),
        ),
    ] {
        let file = dir.path().join("nobody.pid");
        let started = start(true, args, &file);
        let pid = check_handles(&started, &file, new, enter);
        assert_eq!(std::fs::metadata(&file).map(|m| m.uid()).ok(), Some(NOBODY));
        let out = Run::new(ours("nsenter"))
            .args(["-t", &pid, "-U", "id", "-u"])
            .run();
        assert_eq!(out.ok(), "0\n", "{args:?}");
        started.finish().assert_code(0);
        let _ = std::fs::remove_file(&file);
    }
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

/// The moment the handles appear, frozen: descriptor 3 is a FIFO that the test has filled,
/// so writing the JSON (which comes after the pid file) blocks until the test reads. What the
/// test sees of the pid meanwhile is what a script sees when the handles appear: as nobody
/// with `-r`, the uid and gid maps are already written (by unshare itself, or by the child
/// with `--fork`, whose parent writes the handles).
#[test]
fn maps_are_written_before_the_handles_appear() {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = open_scratch();
    let fifo = dir.path().join("info");
    for args in [&["-r"][..], &["-r", "--fork", "--pid"]] {
        let file = dir.path().join("p");
        let _ = std::fs::remove_file(&fifo);
        Run::new("mkfifo")
            .args(["-m", "666"])
            .arg_os(&fifo)
            .run()
            .assert_code(0);
        // Read and write, so that opening it blocks neither us nor unshare.
        let mut pipe = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
            .expect("open the FIFO");
        let mut filled = 0;
        for chunk in [4096, 1] {
            while let Ok(n) = pipe.write(&vec![b' '; chunk]) {
                filled += n;
            }
        }
        let mut child = Run::as_nobody("/bin/sh")
            .args(["-c", "exec \"$@\" 3>\"$0\""])
            .arg_os(&fifo)
            .arg_os(ours("unshare"))
            .args(args)
            .arg_os("--pid-file")
            .arg_os(&file)
            .args(["--info-fd", "3", "cat"])
            .start();
        let mut waited = 0;
        let pid = loop {
            if let Ok(text) = std::fs::read_to_string(&file) {
                break text.trim_end().to_owned();
            }
            waited += 1;
            assert!(waited < 1000, "{args:?}: no pid file after 10 seconds");
            std::thread::sleep(Duration::from_millis(10));
        };
        for map in ["uid_map", "gid_map"] {
            let text = std::fs::read_to_string(format!("/proc/{pid}/{map}")).unwrap_or_default();
            assert_eq!(
                text.split_whitespace().collect::<Vec<_>>(),
                ["0", &NOBODY.to_string(), "1"],
                "{args:?} {map}"
            );
        }
        // Let unshare write the JSON; it names the same pid.
        let mut text = Vec::new();
        let mut buf = vec![0u8; 65536];
        while !text.ends_with(b"}\n") {
            match std::io::Read::read(&mut pipe, &mut buf) {
                Ok(n) => text.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    waited += 1;
                    assert!(waited < 2000, "{args:?}: no JSON");
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => panic!("read the FIFO: {e}"),
            }
        }
        let json = String::from_utf8_lossy(&text[filled..]).into_owned();
        assert_eq!(members(&json)["child-pid"].to_string(), pid, "{json}");
        drop(child.stdin.take());
        assert!(child.wait().expect("wait").success(), "{args:?}");
        let _ = std::fs::remove_file(&file);
    }
}

/// The program does not inherit the descriptor: reading it to its end (done by `start`)
/// while the program runs shows that, and no descriptor of the program's is that pipe.
#[test]
fn the_program_does_not_hold_the_descriptor() {
    let dir = open_scratch();
    let file = dir.path().join("p");
    for args in [&["-u"][..], &["-fu"]] {
        let started = start(false, args, &file);
        let pid = members(&started.json)["child-pid"].to_string();
        let links: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("the program runs")
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .map(|p| p.display().to_string())
            .collect();
        assert!(
            links.iter().all(|l| *l != started.info_pipe),
            "{args:?}: {links:?} hold {}",
            started.info_pipe
        );
        started.finish().assert_code(0);
        let _ = std::fs::remove_file(&file);
    }
}

/// The pid file appears whole: a script polling for it reads either nothing or the pid and
/// its newline, never a part.
#[test]
fn the_pid_file_is_never_seen_half_written() {
    let dir = open_scratch();
    let file = dir.path().join("p");
    for _ in 0..20 {
        let mut child = Run::new(ours("unshare"))
            .arg_os("--pid-file")
            .arg_os(&file)
            .args(["--fork", "-u", "cat"])
            .start();
        let mut reads = 0;
        let text = loop {
            reads += 1;
            assert!(reads < 1_000_000, "the pid file never appeared");
            match std::fs::read_to_string(&file) {
                Ok(text) => break text,
                Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
            }
        };
        assert!(
            text.ends_with('\n') && text.trim_end().parse::<u32>().is_ok(),
            "{text:?} after {reads} reads"
        );
        drop(child.stdin.take());
        assert!(child.wait().expect("wait").success());
        assert!(!file.exists());
    }
}

/// Mode 0644 less the umask, as daemons make pid files.
#[test]
fn the_pid_file_mode_is_0644_less_the_umask() {
    let dir = open_scratch();
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("000", 0o644)] {
        let file = dir.path().join(format!("p{umask}"));
        let out = Run::new("/bin/sh")
            .args(["-c", "umask \"$1\"; exec \"$0\" --pid-file \"$2\" true"])
            .arg_os(ours("unshare"))
            .arg_os(umask)
            .arg_os(&file)
            .run();
        out.assert_code(0);
        let meta = std::fs::metadata(&file).expect("the pid file stays without --fork");
        assert_eq!(meta.mode() & 0o7777, mode, "umask {umask}");
    }
}

/// A program that cannot be started takes its pid file with it, with and without `--fork`,
/// and leaves no temporary file.
#[test]
fn a_failed_start_leaves_no_pid_file() {
    let dir = open_scratch();
    let file = dir.path().join("p");
    for fork in [&["-f"][..], &[]] {
        let out = Run::new(ours("unshare"))
            .args(fork)
            .arg_os("--pid-file")
            .arg_os(&file)
            .args(["-u", "nsutils-no-such-cmd"])
            .run();
        assert_eq!(out.code, Some(127), "{out:#?}");
        assert_eq!(
            out.stderr,
            "unshare: failed to execute nsutils-no-such-cmd: No such file or directory\n"
        );
        assert_eq!(listing(dir.path()), Vec::<String>::new(), "{fork:?}");
    }
}

// ---------------------------------------------------------------- refusals, before anything

/// A descriptor that is not open, or open only for reading, and a pid file that cannot be
/// made: status 1, the message, and nothing made: a `--mount=FILE` persistence file stays
/// unbound, no pid file nor temporary file appears.
#[test]
fn refused_before_any_namespace_exists() {
    let dir = scratch();
    let d = dir.path().display().to_string();
    for (setup, handle, message) in [
        (
            "",
            "--info-fd 9",
            "unshare: cannot write to file descriptor 9: Bad file descriptor".to_owned(),
        ),
        (
            "exec 9</dev/null",
            "--info-fd 9",
            "unshare: cannot write to file descriptor 9: Bad file descriptor".to_owned(),
        ),
        (
            "",
            "--pid-file $D/no/p",
            format!("unshare: cannot open {d}/no/p: No such file or directory"),
        ),
        (
            "mkdir $D/p",
            "--pid-file $D/p",
            format!("unshare: cannot open {d}/p: Is a directory"),
        ),
        (
            "mkdir $D/ro && mount -t tmpfs -o ro tmpfs $D/ro",
            "--pid-file $D/ro/p",
            format!("unshare: cannot open {d}/ro/p: Read-only file system"),
        ),
    ] {
        let script = format!(
            "{setup}\ntouch $D/mnt && $U {handle} --mount=$D/mnt -f true; echo rc=$?; \
             grep -c \" $D/mnt \" /proc/self/mountinfo; ls -A $D | tr '\\n' ' '"
        );
        let out = sh_in_private_mount_ns(dir.path(), &script);
        assert_eq!(out.stderr, format!("{message}\n"), "{handle}");
        let listed = match setup {
            s if s.starts_with("mkdir $D/p") => "mnt p ",
            s if s.starts_with("mkdir $D/ro") => "mnt ro ",
            _ => "mnt ",
        };
        assert_eq!(out.stdout, format!("rc=1\n0\n{listed}"), "{handle}");
        for name in ["mnt", "p", "ro"] {
            let path = dir.path().join(name);
            if path.is_dir() {
                std::fs::remove_dir(&path).expect("rmdir");
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

/// As nobody, a pid file in a directory nobody may not write: refused before the user
/// namespace is made, and nothing is left in the directory.
#[test]
fn unwritable_pid_file_as_nobody() {
    let dir = scratch();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let file = dir.path().join("p");
    let out = Run::as_nobody(ours("unshare"))
        .args(["-r", "--pid-file"])
        .arg_os(&file)
        .args(["true"])
        .run();
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "unshare: cannot open {}: Permission denied\n",
            file.display()
        )
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

/// `--info-fd` reads a number as util-linux reads descriptor numbers (nsenter's message), from
/// 0 to INT_MAX, and needs an argument.
#[test]
fn the_descriptor_number_is_parsed_strictly() {
    let unshare = ours("unshare");
    for (arg, message) in [
        ("x", "failed to parse file descriptor: 'x'"),
        ("3x", "failed to parse file descriptor: '3x'"),
        ("", "failed to parse file descriptor: ''"),
        (
            "-1",
            "failed to parse file descriptor: '-1': Numerical result out of range",
        ),
        (
            "2147483648",
            "failed to parse file descriptor: '2147483648': Numerical result out of range",
        ),
    ] {
        let out = Run::new(&unshare)
            .args(["--info-fd", arg, "-u", "true"])
            .run();
        assert_eq!(out.code, Some(1), "{arg}");
        assert_eq!(out.stderr, format!("unshare: {message}\n"), "{arg}");
    }
    let out = Run::new(&unshare).args(["--info-fd"]).run();
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "{}: option '--info-fd' requires an argument\nTry 'unshare --help' for more information.\n",
            unshare.display()
        )
    );
    // Blanks and + before the digits, as util-linux allows.
    let out = Run::new("/bin/sh")
        .args(["-c", "exec \"$0\" --info-fd ' +3' -u true 3>&1 >/dev/null"])
        .arg_os(&unshare)
        .run();
    let json = members(out.ok());
    assert!(json.contains_key("uts-namespace"), "{json:?}");
}

// ---------------------------------------------------------------- abbreviations

/// Options util-linux 2.42.2 lacks never take one of its abbreviations: `--pi` is still
/// `--pid`, `--i` `--ipc`, `--c` `--cgroup`, `--w` `--wd`, and `--p` lists 2.42.2's two
/// options only, side by side with 2.42.2 (it reaches the program, or fails the same way).
/// Exact names and prefixes only ours have reach ours.
#[test]
fn abbreviations_with_the_new_options() {
    let unshare = ours("unshare");
    for (abbrev, kind) in [("--pi", "pid"), ("--i", "ipc"), ("--c", "cgroup")] {
        let out = Run::new(&unshare)
            .args([abbrev, "-f", "readlink", &format!("/proc/self/ns/{kind}")])
            .run();
        assert_ne!(out.ok().trim(), own_ns(kind), "{abbrev}");
    }
    let out = Run::new(&unshare).args(["--w", "/", "pwd"]).run();
    assert_eq!(out.ok(), "/\n");
    let out = Run::new(&unshare).args(["--p", "true"]).run();
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "{}: option '--p' is ambiguous; possibilities: '--pid' '--propagation'\nTry 'unshare --help' for more information.\n",
            unshare.display()
        )
    );
    if let Some(reference) = reference("unshare") {
        for args in [
            &["--pi", "-f", "readlink", "/proc/self/ns/pid"][..],
            &["--i", "readlink", "/proc/self/ns/ipc"],
            &["--c", "readlink", "/proc/self/ns/cgroup"],
            &["--w", "/", "pwd"],
            &["--p", "true"],
        ] {
            let theirs = Run::new(&reference).arg0("unshare").args(args).run();
            let ours = Run::new(&unshare).arg0("unshare").args(args).run();
            assert_eq!(
                (ours.code, ours.stdout.lines().count(), &ours.stderr),
                (theirs.code, theirs.stdout.lines().count(), &theirs.stderr),
                "{args:?}"
            );
        }
    }
    // --pid exactly is still --pid; --pid-f and --inf are ours.
    let out = Run::new(&unshare)
        .args(["--pid", "-f", "readlink", "/proc/self/ns/pid"])
        .run();
    assert_ne!(out.ok().trim(), own_ns("pid"));
    let dir = open_scratch();
    let file: PathBuf = dir.path().join("p");
    let out = Run::new("/bin/sh")
        .args([
            "-c",
            "exec \"$0\" --pid-f \"$1\" --inf 3 -u cat \"$1\" 3>/dev/null",
        ])
        .arg_os(&unshare)
        .arg_os(&file)
        .run();
    assert_eq!(
        out.ok().trim(),
        std::fs::read_to_string(&file).unwrap_or_default().trim()
    );
}
