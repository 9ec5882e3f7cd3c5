//! cgtop's interactive screen, driven in tmux as a user would drive it: a detached session of
//! a fixed size runs cgtop in a shell, `send-keys` presses keys, `capture-pane` reads what
//! the terminal shows (`-e`: with its attributes), `display -p '#{alternate_on}'` says
//! whether the alternate screen is in use, and `stty -g -F <pane's tty>` what mode the
//! terminal is in.
//!
//! The groups are `nsutils-test-<pid>-<name>` (`TestGroup`), made in every hierarchy, with
//! `sleep` processes of the test's own in them. Each test has its own tmux server (socket in
//! a scratch directory), killed when it ends.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tests::{NOBODY, Sleeper, TestGroup, cgroup_dir, cgroup_mounts, have, ours, scratch, skip};

/// How long the screen may take to show what a test waits for (a debug build on a busy
/// machine, refreshing every half second).
const PATIENCE: Duration = Duration::from_secs(20);

/// A tmux server with one session, whose pane runs `sh -c SCRIPT`.
struct Pane {
    /// Holds the socket; removed with the server.
    _dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Pane {
    /// A session `width` x `height` running `script`; `None` (a skip) without tmux. The
    /// guests of `cargo xtask vm-test` have it: the busybox guests get the host's with the
    /// C.UTF-8 locale it needs, the systemd guest's image installs it.
    fn start(width: u16, height: u16, script: &str) -> Option<Pane> {
        if !have("/usr/bin/tmux", "tmux") {
            return None;
        }
        let dir = scratch();
        let socket = dir.path().join("tmux.sock");
        let pane = Pane { _dir: dir, socket };
        pane.tmux(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            "-c",
            script,
        ]);
        Some(pane)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap_or_else(|e| panic!("tmux: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// What the pane shows, one line per row, trailing spaces cut.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "main"])
    }

    /// The same with the attributes as escape sequences.
    fn screen_with_attributes(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", "main"])
    }

    /// Press keys: tmux key names (`Enter`, `Escape`, `C-u`, `q`).
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Type `text` literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", text]);
    }

    fn alternate_screen(&self) -> bool {
        self.tmux(&["display", "-p", "-t", "main", "#{alternate_on}"])
            .trim()
            == "1"
    }

    /// The terminal's mode, as `stty -g` prints it.
    fn mode(&self) -> String {
        let tty = self.tmux(&["display", "-p", "-t", "main", "#{pane_tty}"]);
        let out = Command::new("stty")
            .args(["-g", "-F", tty.trim()])
            .output()
            .unwrap_or_else(|e| panic!("stty: {e}"));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The pid of the pane's shell's child (cgtop, while it runs).
    fn cgtop_pid(&self) -> u32 {
        let shell = self.tmux(&["display", "-p", "-t", "main", "#{pane_pid}"]);
        let shell = shell.trim();
        let children =
            fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap_or_default();
        let pid = children.split_whitespace().next().unwrap_or_default();
        pid.parse()
            .unwrap_or_else(|_| panic!("the pane's shell has no child: {}", self.screen()))
    }

    /// Wait until the screen satisfies `ready`, then return it; fail with what it showed.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Resize the window.
    fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// A shell script: save the terminal's mode in `dir/before`, print a marker, run `command`,
/// say how it exited, save the mode in `dir/after`.
fn script(dir: &Path, command: &str) -> String {
    format!(
        "stty -g > {before}; echo marker-before-cgtop; {command}; echo \"cgtop exited $?\"; stty -g > {after}; exec sleep 1000",
        before = dir.join("before").display(),
        after = dir.join("after").display(),
    )
}

/// A file the script wrote.
fn saved(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .trim()
        .to_owned()
}

/// cgtop as the scripts run it: refreshing every half second, colours as the test says.
fn cgtop(args: &str) -> String {
    format!("{} -d 0.5 {args}", ours("cgtop").display())
}

/// Make `path` (relative to each hierarchy's root) in every hierarchy.
fn make(path: &str) {
    for mount in cgroup_mounts() {
        let dir = mount.join(path);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    }
}

/// `n` sleepers in `path` in every hierarchy but a v1 cpuset one (whose new groups have no
/// CPUs to run on until given some; cgtop reads nothing there).
fn sleepers(path: &str, n: usize) -> Vec<Sleeper> {
    let mounts: Vec<PathBuf> = cgroup_mounts()
        .into_iter()
        .filter(|m| !(m.join("tasks").exists() && m.join("cpuset.cpus").exists()))
        .collect();
    (0..n)
        .map(|_| {
            let sleeper = Sleeper::new();
            for mount in &mounts {
                let procs = mount.join(path).join("cgroup.procs");
                fs::write(&procs, sleeper.pid().to_string())
                    .unwrap_or_else(|e| panic!("write {}: {e}", procs.display()));
            }
            sleeper
        })
        .collect()
}

/// The cells of the line whose path cell (indented or not) ends with `name`.
fn row<'a>(screen: &'a str, name: &str) -> Option<Vec<&'a str>> {
    screen
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|cells| cells.first().is_some_and(|p| p.ends_with(name)))
}

/// Where the line of `name` is on the screen.
fn line_of(screen: &str, name: &str) -> Option<usize> {
    screen.lines().position(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|p| p.ends_with(name))
    })
}

/// The screen is cgtop's (its titles are shown).
fn showing(screen: &str) -> bool {
    screen.contains("Control Group")
}

#[test]
fn screen_shows_a_group_with_its_tasks_and_quit_restores_the_terminal() {
    let group = TestGroup::new("screen");
    make(&group.name);
    let _sleepers = sleepers(&group.name, 3);
    let dir = scratch();
    let command = cgtop(&format!("/{}", group.name));
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &command)) else {
        return;
    };
    let screen = pane.wait_for("the group with 3 tasks", |s| {
        row(s, &group.name).is_some_and(|cells| cells.get(1) == Some(&"3"))
    });
    assert!(
        screen
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("cgtop on ")),
        "{screen}"
    );
    assert!(!screen.contains("marker-before-cgtop"), "{screen}");
    assert!(pane.alternate_screen());
    let during = pane.mode();

    pane.keys(&["q"]);
    let screen = pane.wait_for("the shell again", |s| s.contains("cgtop exited"));
    assert!(screen.contains("cgtop exited 0"), "{screen}");
    assert!(screen.contains("marker-before-cgtop"), "{screen}");
    assert!(!showing(&screen), "cgtop's screen stayed:\n{screen}");
    assert!(!pane.alternate_screen());
    // The mode is what the shell had before, not raw.
    let after = pane.mode();
    assert_ne!(during, after, "cgtop did not change the terminal's mode");
    assert_eq!(saved(dir.path(), "before"), after);
    assert_eq!(saved(dir.path(), "after"), after);
}

#[test]
fn screen_order_keys() {
    let top = TestGroup::new("order");
    let (few, many) = (format!("{}/few", top.name), format!("{}/many", top.name));
    make(&few);
    make(&many);
    let _sleepers = (sleepers(&few, 1), sleepers(&many, 3));
    let dir = scratch();
    let command = cgtop(&format!("-p /{}", top.name));
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &command)) else {
        return;
    };
    let in_order = |first: &'static str, second: &'static str| {
        move |s: &str| {
            line_of(s, first)
                .zip(line_of(s, second))
                .is_some_and(|(a, b)| a < b)
        }
    };
    let screen = pane.wait_for("few before many (by path)", in_order("few", "many"));
    assert!(screen.contains("order: path"), "{screen}");
    pane.keys(&["t"]);
    let screen = pane.wait_for("many before few (by tasks)", in_order("many", "few"));
    assert!(screen.contains("order: tasks"), "{screen}");
    assert_eq!(row(&screen, "many").map(|c| c[1]), Some("3"), "{screen}");
    assert_eq!(row(&screen, "few").map(|c| c[1]), Some("1"), "{screen}");
    pane.keys(&["R"]);
    let screen = pane.wait_for("few before many (reversed)", in_order("few", "many"));
    assert!(screen.contains("order: tasks reversed"), "{screen}");
    pane.keys(&["m"]);
    pane.wait_for("order: memory", |s| s.contains("order: memory"));
    pane.keys(&["q"]);
    pane.wait_for("cgtop exited 0", |s| s.contains("cgtop exited 0"));
}

#[test]
fn screen_depth_keys() {
    let top = TestGroup::new("depth");
    let deepest = format!("{}/one/two/three", top.name);
    make(&deepest);
    let dir = scratch();
    let command = cgtop(&format!("-p /{}", top.name));
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &command)) else {
        return;
    };
    let shows = |depth: usize, last: &'static str, hidden: Option<&'static str>| {
        move |s: &str| {
            s.contains(&format!("depth: {depth}"))
                && line_of(s, last).is_some()
                && hidden.is_none_or(|h| line_of(s, h).is_none())
        }
    };
    pane.wait_for("three levels", shows(3, "three", None));
    pane.keys(&["<"]);
    pane.wait_for("two levels", shows(2, "two", Some("three")));
    pane.keys(&["["]);
    pane.wait_for("one level", shows(1, "one", Some("two")));
    pane.keys(&["<"]);
    let screen = pane.wait_for("the top group only", shows(0, "depth", Some("one")));
    assert!(line_of(&screen, &top.name).is_some(), "{screen}");
    pane.keys(&[">", "]"]);
    pane.wait_for("two levels again", shows(2, "two", Some("three")));
    pane.keys(&["q"]);
    pane.wait_for("cgtop exited 0", |s| s.contains("cgtop exited 0"));
}

#[test]
fn screen_filter_key() {
    let top = TestGroup::new("filter");
    let (left, right) = (format!("{}/left", top.name), format!("{}/right", top.name));
    make(&format!("{left}/inner"));
    make(&right);
    let dir = scratch();
    let command = cgtop(&format!("-p /{}", top.name));
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &command)) else {
        return;
    };
    pane.wait_for("both children", |s| {
        line_of(s, "left").is_some() && line_of(s, "right").is_some()
    });
    // Typed on the status line, applied with Enter.
    pane.keys(&["/"]);
    pane.wait_for("the prompt", |s| s.contains("Show group"));
    pane.keys(&["C-u"]);
    pane.type_text(&format!("/{left}"));
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("left only", |s| {
        line_of(s, "inner").is_some() && line_of(s, "right").is_none()
    });
    assert!(screen.contains(&format!("group: /{left}")), "{screen}");
    // A group that is not there changes nothing and says so.
    pane.keys(&["/", "C-u"]);
    pane.type_text(&format!("/{}/nothing", top.name));
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("the message", |s| s.contains("no such group"));
    assert!(
        screen.contains(&format!("/{}/nothing: no such group", top.name)),
        "{screen}"
    );
    assert!(line_of(&screen, "inner").is_some(), "{screen}");
    // Escape leaves the filter as it was.
    pane.keys(&["/", "C-u"]);
    pane.type_text("/");
    pane.keys(&["Escape"]);
    pane.wait_for("the prompt gone", |s| !s.contains("Show group"));
    assert!(pane.screen().contains(&format!("group: /{left}")));
    // A path prefix: the groups it starts.
    pane.keys(&["/", "C-u"]);
    pane.type_text(&format!("/{}/lef", top.name));
    pane.keys(&["Enter"]);
    let screen = pane.wait_for("the groups /lef starts", |s| {
        s.contains("/lef") && line_of(s, "right").is_none()
    });
    assert!(line_of(&screen, "left").is_some(), "{screen}");
    // Back to the top group.
    pane.keys(&["/", "C-u"]);
    pane.type_text(&format!("/{}", top.name));
    pane.keys(&["Enter"]);
    pane.wait_for("both children again", |s| {
        line_of(s, "left").is_some() && line_of(s, "right").is_some()
    });
    pane.keys(&["q"]);
    pane.wait_for("cgtop exited 0", |s| s.contains("cgtop exited 0"));
}

#[test]
fn screen_redraws_at_the_new_size() {
    let group = TestGroup::new("resize");
    make(&group.name);
    let dir = scratch();
    let command = cgtop(&format!("/{}", group.name));
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &command)) else {
        return;
    };
    // 160 columns hold every column; 70 only the path and the first five.
    let screen = pane.wait_for("every column", |s| s.contains("PsiIO"));
    assert!(screen.contains("MemMax"), "{screen}");
    pane.resize(70, 20);
    let screen = pane.wait_for("the narrow layout", |s| {
        showing(s) && !s.contains("MemMax") && s.contains("Output/s")
    });
    assert!(screen.lines().all(|l| l.chars().count() <= 70), "{screen}");
    let titles = screen
        .lines()
        .find(|l| l.starts_with("Control Group"))
        .unwrap_or_default();
    assert!(titles.ends_with("Output/s"), "{screen}");
    assert!(line_of(&screen, &group.name).is_some(), "{screen}");
    // The status line is on the last row of the smaller window.
    assert_eq!(screen.lines().count(), 20, "{screen}");
    assert!(
        screen
            .lines()
            .nth(19)
            .is_some_and(|l| l.starts_with("rows 1-1 of 1"))
    );
    pane.keys(&["q"]);
    pane.wait_for("cgtop exited 0", |s| s.contains("cgtop exited 0"));
}

#[test]
fn screen_colours() {
    let group = TestGroup::new("colours");
    make(&group.name);
    let pids_max = cgroup_dir("pids").join(&group.name).join("pids.max");
    if !pids_max.exists() {
        skip("no pids controller for the group: cannot set a limit to reach");
        return;
    }
    // One task of one allowed: over 90 % of the limit.
    fs::write(&pids_max, "1").unwrap_or_else(|e| panic!("{}: {e}", pids_max.display()));
    let _sleeper = sleepers(&group.name, 1);
    let with = |env: &str| {
        let dir = scratch();
        let command = format!(
            "env -u NO_COLOR {env} {}",
            cgtop(&format!("/{}", group.name))
        );
        let pane = Pane::start(160, 20, &script(dir.path(), &command))?;
        pane.wait_for("the group", |s| line_of(s, &group.name).is_some());
        let screen = pane.screen_with_attributes();
        pane.keys(&["q"]);
        pane.wait_for("cgtop exited 0", |s| s.contains("cgtop exited 0"));
        Some(screen)
    };
    let Some(colour) = with("TERM=tmux-256color") else {
        return;
    };
    // The attributes in force where `text` starts on the line that has it (not the summary
    // line): what tmux set since its last reset (`ESC[0;...m`), as SGR parameters.
    let attributes = |screen: &str, text: &str| -> Vec<String> {
        let line = screen
            .lines()
            .find(|l| l.contains(text) && !l.contains("order: "))
            .unwrap_or_else(|| panic!("no line with {text}: {screen:?}"));
        let before = &line[..line.find(text).unwrap_or(0)];
        let since_reset = &before[before.rfind("\x1b[0").unwrap_or(0)..];
        since_reset
            .split("\x1b[")
            .filter_map(|seq| seq.split_once('m').map(|(params, _)| params))
            .flat_map(|params| params.split(';').map(str::to_owned))
            .collect()
    };
    let has = |set: &[String], param: &str| set.iter().any(|p| p == param);
    // The group at its limit is red (31), bold; the titles inverse (7), the order's column
    // (%CPU) bold and not inverse.
    let group_row = attributes(&colour, &group.name);
    assert!(
        has(&group_row, "31") && has(&group_row, "1"),
        "{group_row:?}"
    );
    let titles = attributes(&colour, "Control Group");
    assert!(has(&titles, "7"), "{titles:?}");
    let sorted = attributes(&colour, "%CPU");
    assert!(has(&sorted, "1") && !has(&sorted, "7"), "{sorted:?}");

    // NO_COLOR: no colour, the rest as before.
    let Some(no_colour) = with("NO_COLOR=1") else {
        return;
    };
    let group_row = attributes(&no_colour, &group.name);
    assert!(
        !has(&group_row, "31") && has(&group_row, "1"),
        "{group_row:?}"
    );
    assert!(has(&attributes(&no_colour, "Control Group"), "7"));
    assert!(!no_colour.contains("31m"), "{no_colour:?}");

    // TERM=dumb: no attributes at all.
    let Some(dumb) = with("TERM=dumb") else {
        return;
    };
    assert!(!dumb.contains('\x1b'), "{dumb:?}");
}

#[test]
fn screen_killed_or_suspended_gives_the_terminal_back() {
    let group = TestGroup::new("signals");
    make(&group.name);
    let dir = scratch();
    // The shell runs a handler for SIGINT, so that ^C ends cgtop only (a handler is not
    // inherited, an ignored signal would be).
    let go = dir.path().join("go");
    let command = format!(
        "trap : INT; {one}; echo \"first $?\"; until [ -e {go} ]; do sleep 0.1; done; {one}",
        one = cgtop(&format!("/{}", group.name)),
        go = go.display(),
    );
    let Some(pane) = Pane::start(120, 20, &script(dir.path(), &command)) else {
        return;
    };
    pane.wait_for("cgtop", showing);
    pane.keys(&["C-c"]);
    let screen = pane.wait_for("the first run's end", |s| s.contains("first "));
    assert!(
        screen.contains("first 130"),
        "not killed by SIGINT:\n{screen}"
    );
    assert!(!pane.alternate_screen());
    let shell_mode = saved(dir.path(), "before");
    assert_eq!(pane.mode(), shell_mode);
    fs::write(&go, "").unwrap_or_else(|e| panic!("{}: {e}", go.display()));
    pane.wait_for("cgtop again", showing);
    assert!(pane.alternate_screen());
    assert_ne!(pane.mode(), shell_mode);

    // Suspended: the terminal is the shell's while it is stopped, cgtop's again after.
    let pid = pane.cgtop_pid();
    let state = || {
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| rest.chars().next()))
            .flatten()
    };
    let _ = Command::new("kill")
        .args(["-TSTP", &pid.to_string()])
        .status();
    let start = Instant::now();
    while state() != Some('T') {
        assert!(start.elapsed() < PATIENCE, "cgtop did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!pane.alternate_screen());
    assert_eq!(pane.mode(), shell_mode);
    let _ = Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status();
    let start = Instant::now();
    while !pane.alternate_screen() {
        assert!(
            start.elapsed() < PATIENCE,
            "cgtop did not take the terminal back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    pane.wait_for("cgtop", showing);

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let screen = pane.wait_for("the second run's end", |s| s.contains("cgtop exited"));
    assert!(
        screen.contains("cgtop exited 143"),
        "not killed by SIGTERM:\n{screen}"
    );
    assert!(!pane.alternate_screen());
    assert_eq!(pane.mode(), shell_mode);
}

#[test]
fn screen_as_nobody_shows_what_nobody_can_read() {
    let top = TestGroup::new("nobody");
    let (open, closed) = (
        format!("{}/open/seen", top.name),
        format!("{}/closed", top.name),
    );
    make(&open);
    make(&format!("{closed}/hidden"));
    for mount in cgroup_mounts() {
        let dir = mount.join(&closed);
        Command::new("chmod")
            .arg("0700")
            .arg(&dir)
            .status()
            .unwrap_or_else(|e| panic!("chmod {}: {e}", dir.display()));
    }
    let dir = scratch();
    let as_root = cgtop(&format!("-p /{}", top.name));
    let as_nobody = format!(
        "setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups {}",
        cgtop(&format!("-p /{}", top.name))
    );
    // Root sees the group nobody cannot list; nobody the others.
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &as_root)) else {
        return;
    };
    pane.wait_for("every group", |s| {
        line_of(s, "seen").is_some() && line_of(s, "hidden").is_some()
    });
    pane.keys(&["q"]);
    pane.wait_for("cgtop exited 0", |s| s.contains("cgtop exited 0"));

    let dir = scratch();
    let Some(pane) = Pane::start(160, 30, &script(dir.path(), &as_nobody)) else {
        return;
    };
    let screen = pane.wait_for("the groups nobody can read", |s| {
        line_of(s, "seen").is_some()
    });
    assert!(line_of(&screen, "hidden").is_none(), "{screen}");
    pane.keys(&["q"]);
    let screen = pane.wait_for("cgtop's end", |s| s.contains("cgtop exited"));
    assert!(screen.contains("cgtop exited 0"), "{screen}");
    assert!(!pane.alternate_screen());
}
