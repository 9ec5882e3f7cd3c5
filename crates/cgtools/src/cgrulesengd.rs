//! `cgrulesengd`: the rules daemon. It listens to the kernel's process events and moves each
//! process that execs, changes its uid or gid, or was forked while its parent was being moved,
//! as the first matching rule of /etc/cgrules.conf says; it classifies the processes already
//! running when it starts, and again after the kernel dropped events (a full netlink buffer).
//! Processes registered on its socket (`cgexec`, `cgclassify --sticky`) are left alone.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use cgroup::cgred::{self, BadRequest};
use cgroup::config::{self, GroupDef};
use cgroup::rules::{self, Directory, ProcessInfo, RuleFiles, SystemDirectory};
use cgroup::{Ecg, Hierarchies};
use clap::{ArgAction, Command};
use sys::cli::{Order, flag, required};
use sys::daemon::Request;
use sys::daemon::{self, SignalQueue};
use sys::procevents::{EventKind, ProcEvent, ProcEvents, Received};
use sys::{Error, Prog, Result, Status};

/// The usage line of the man page.
pub const USAGE: &str = "cgrulesengd [options]";

/// The environment variable that sets the netlink socket's receive buffer (bytes): for tests
/// and diagnosis of lost events, never needed in service.
pub const RCVBUF_ENV: &str = "NSUTILS_CGRULESENGD_RCVBUF";

/// syslog(3) levels.
const LOG_EMERG: i32 = 0;
const LOG_ERR: i32 = 3;
const LOG_WARNING: i32 = 4;
const LOG_INFO: i32 = 6;
const LOG_DEBUG: i32 = 7;
/// The level each verbosity (0 for -q or -Q, 1 by default, one more per -v) logs down to.
const LEVELS: [i32; 5] = [LOG_EMERG, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG];

/// The rules files and the template files (whose groups the rules' templates create).
const CGCONFIG_FILE: &str = "/etc/cgconfig.conf";
const CGCONFIG_DIR: &str = "/etc/cgconfig.d";
const CGRULES_FILE: &str = "/etc/cgrules.conf";

/// The command-line definition.
pub fn command() -> Command {
    Command::new("cgrulesengd")
        .about("Move processes into control groups by the rules of /etc/cgrules.conf as they start or change user.")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args([
            flag("quiet", Some('q'), "quiet", "log less (repeatable)").action(ArgAction::Count),
            flag("verbose", Some('v'), "verbose", "log more (repeatable)").action(ArgAction::Count),
            required("logfile", Some('f'), "logfile", "path", "write the log to this file (- for standard output)"),
            sys::cli::optional_short("syslog", 's', "syslog", "facility", "write the log to syslog: facility 0-7 for local0-7, D for daemon (the default)"),
            flag("nodaemon", Some('n'), "nodaemon", "stay in the foreground"),
            flag("debug", Some('d'), "debug", "the same as -v -v -n -f -"),
            flag("nolog", Some('Q'), "nolog", "log nothing"),
            required("socket-user", Some('u'), "socket-user", "user", "the owner of /var/run/cgred.socket"),
            required("socket-group", Some('g'), "socket-group", "group", "the group of /var/run/cgred.socket"),
            flag("help", Some('h'), "help", "display this help"),
        ])
}

/// The help text, as libcgroup's daemon prints it (after a message line).
fn usage_text() -> String {
    let s = cgred::SOCKET;
    format!(
        "\ncgrulesengd -- a daemon for the cgroups rules engine\n\n\
         Usage : cgrulesengd [options]\n\n\
         \x20 options :\n\
         \x20   -q           | --quiet\t\t  quiet mode\n\
         \x20   -v           | --verbose\t\t  verbose mode\n\
         \x20   -f <path>    | --logfile=<path>\t  write log to file\n\
         \x20   -s[facility] | --syslog=[facility]\t  write log to syslog\n\
         \x20   -n           | --nodaemon\t\t  don't fork daemon\n\
         \x20   -d           | --debug\t\t  same as -v -v -n -f -\n\
         \x20   -Q           | --nolog\t\t  disable logging\n\
         \x20   -u <user>    | --socket-user=<user>   set {s} socket user\n\
         \x20   -g <group>   | --socket-group=<group> set {s} socket group\n\
         \x20   -h           | --help\t\t  show this help\n\n"
    )
}

/// A command-line error: the message, the help text, on stderr, and a status.
fn usage_error(message: &str, status: u8) -> Error {
    let text = format!("{message}{}", usage_text());
    Error::Plain {
        text: text.trim_end_matches('\n').to_owned() + "\n",
        status,
    }
}

/// What one run does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Where the log goes: a file, `-` for standard output.
    pub log_file: Option<String>,
    /// The syslog facility, when logging to syslog.
    pub facility: Option<i32>,
    /// 0 (-q, -Q) to 4: see [`LEVELS`].
    pub verbosity: i32,
    /// Fork into the background.
    pub background: bool,
    /// The socket's owner and group (unchanged when `None`).
    pub socket_user: Option<u32>,
    /// See `socket_user`.
    pub socket_group: Option<u32>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `-h`: the help text.
    Help,
    /// Run the daemon.
    Run(Plan),
}

/// `-s`'s argument: `0`-`7` for local0-7, `D` for daemon.
fn facility(arg: &str) -> Option<i32> {
    match arg.as_bytes() {
        [b'D'] => Some(daemon::LOG_DAEMON),
        [d @ b'0'..=b'7'] => daemon::local_facility(d - b'0'),
        _ => None,
    }
}

/// Build the plan. `debug_env` is whether CGROUP_LOGLEVEL asks for debugging (as -d's
/// verbosity and log file, without staying in the foreground).
pub fn parse(prog: &Prog, args: Vec<OsString>, debug_env: bool) -> Result<Action> {
    let cmd = command();
    let mut plan = Plan {
        log_file: debug_env.then(|| "-".to_owned()),
        facility: None,
        verbosity: if debug_env { 4 } else { 1 },
        background: true,
        socket_user: None,
        socket_group: None,
    };
    let mut getopt = sys::cli::Getopt::new(&cmd, args, Order::Permute);
    for opt in getopt.by_ref() {
        let opt = match opt {
            Ok(o) => o,
            Err(Error::Usage { message, .. }) => {
                return Err(usage_error(
                    &format!("{}: {message}\n", prog.argv0_display()),
                    2,
                ));
            }
            Err(e) => return Err(e),
        };
        let text = opt.text();
        match opt.id.as_str() {
            "help" => return Ok(Action::Help),
            "verbose" => plan.verbosity += 1,
            "quiet" => plan.verbosity -= 1,
            "nolog" => plan.verbosity = 0,
            "logfile" => plan.log_file = Some(text),
            "syslog" => match opt.value {
                None => plan.facility = Some(daemon::LOG_DAEMON),
                Some(_) => match facility(&text) {
                    Some(f) => plan.facility = Some(f),
                    None => {
                        return Err(Error::Plain {
                            text: format!("Unknown syslog facility: {text}"),
                            status: 2,
                        });
                    }
                },
            },
            "nodaemon" => plan.background = false,
            "debug" => {
                plan.background = false;
                plan.verbosity = 4;
                plan.log_file = Some("-".to_owned());
            }
            "socket-user" => match SystemDirectory.uid(&text) {
                Some(uid) => plan.socket_user = Some(uid),
                None => return Err(usage_error(&format!("Cannot find user {text}"), 3)),
            },
            "socket-group" => match SystemDirectory.group(&text) {
                Some((gid, _)) => plan.socket_group = Some(gid),
                None => return Err(usage_error(&format!("Cannot find group {text}"), 3)),
            },
            _ => {}
        }
    }
    Ok(Action::Run(plan))
}

/// The tool's entry point.
pub fn run(prog: &Prog, args: Vec<OsString>) -> Result<Status> {
    if sys::user::real_uid() != 0 {
        return Err(Error::Plain {
            text: "Error: Only root can start/stop the control group rules engine daemon".into(),
            status: 1,
        });
    }
    // libcgroup's level names, or their numbers (strtol's way: blanks and a sign before).
    let level = sys::process::trusted_env("CGROUP_LOGLEVEL");
    let debug_env = level.as_deref().and_then(|l| l.to_str()).is_some_and(|l| {
        let number = l.trim_start();
        l.eq_ignore_ascii_case("debug")
            || number.strip_prefix('+').unwrap_or(number).parse() == Ok(4)
    });
    match parse(prog, args, debug_env)? {
        Action::Help => sys::print(&format!("Help:\n{}", usage_text())).map(|()| 0),
        Action::Run(plan) => execute(prog, &plan),
    }
}

/// Where log lines go and which are kept.
struct Log {
    file: Option<Box<dyn Write>>,
    facility: Option<i32>,
    level: i32,
}

impl Log {
    /// Open the destinations: syslog (LOG_DAEMON) when neither a file nor a facility was
    /// given; a file that cannot be opened falls back to standard output, as libcgroup's.
    fn open(plan: &Plan) -> Log {
        let facility = match (&plan.log_file, plan.facility) {
            (None, None) => Some(daemon::LOG_DAEMON),
            (_, f) => f,
        };
        let file: Option<Box<dyn Write>> = match plan.log_file.as_deref() {
            None => None,
            Some("-") => Some(Box::new(std::io::stdout())),
            Some(path) => match OpenOptions::new().append(true).create(true).open(path) {
                Ok(f) => Some(Box::new(f)),
                Err(e) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "Failed to open log file {path}, error: {}. Continuing anyway.",
                        sys::errno::io_strerror(&e)
                    );
                    Some(Box::new(std::io::stdout()))
                }
            },
        };
        if let Some(f) = facility {
            daemon::open_syslog("CGRE", f);
        }
        let index = usize::try_from(plan.verbosity.max(0))
            .unwrap_or(0)
            .min(LEVELS.len() - 1);
        Log {
            file,
            facility,
            level: LEVELS[index],
        }
    }

    /// Log `text` (a whole line, newline included) at `level`.
    fn line(&mut self, level: i32, text: &str) {
        if level > self.level {
            return;
        }
        if let Some(file) = self.file.as_mut() {
            let _ = file.write_all(text.as_bytes());
            let _ = file.flush();
        }
        if let Some(facility) = self.facility {
            daemon::syslog(facility | level, text);
        }
    }

    /// Whether lines at `level` are kept (to spare formatting the others).
    fn keeps(&self, level: i32) -> bool {
        level <= self.level
    }

    /// Whether lines at `level` are kept and a file receives them (the rules listing).
    fn file_at(&self, level: i32) -> bool {
        self.file.is_some() && self.level >= level
    }
}

/// libcgroup's error code for a failure (its status is the code's low byte).
fn ecg_code(e: &Error) -> u32 {
    [
        Ecg::NotMounted,
        Ecg::GroupNotExist,
        Ecg::SubsysNotMounted,
        Ecg::NotOwner,
        Ecg::NotAllowed,
        Ecg::Inval,
        Ecg::ControllerCreateFailed,
        Ecg::Fail,
        Ecg::ValueNotExist,
        Ecg::ParseFail,
        Ecg::NonEmpty,
    ]
    .into_iter()
    .find(|c| c.status() == e.status())
    .unwrap_or(Ecg::Other)
    .code()
}

/// The template files' directory must be readable if it is there, as for libcgroup's daemon
/// (which exits there). A missing one holds no templates: libcgroup's refuses to start then,
/// so it could not run on a host with a cgrules.conf and nothing else (NOTES).
fn check_template_dir(prog: &Prog) -> Result<()> {
    match std::fs::read_dir(CGCONFIG_DIR) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other,
    }
    .map(drop)
    .map_err(|e| Error::Plain {
        text: format!(
            "{}: cannot open {CGCONFIG_DIR}: {}",
            prog.argv0_display(),
            sys::errno::io_strerror(&e)
        ),
        status: 1,
    })
}

/// The templates of /etc/cgconfig.conf and /etc/cgconfig.d/*.conf; a file that cannot be
/// read or parsed fails as libcgroup's daemon fails.
fn load_templates(all: &Hierarchies) -> Result<Vec<GroupDef>> {
    // No /etc/cgconfig.conf is no template, as no /etc/cgconfig.d.
    let mut files: Vec<PathBuf> = Some(PathBuf::from(CGCONFIG_FILE))
        .filter(|f| f.exists())
        .into_iter()
        .collect();
    files.extend(config::files_in(Path::new(CGCONFIG_DIR)).unwrap_or_default());
    config::templates_of(&files, all).map_err(|(file, e)| {
        if let config::LoadError::Read(_) = e {
            libcgroup_line(&format!("failed to open file {}", file.display()));
        }
        Error::Plain {
            text: format!(
                "Error: Failed to initialize template rules from {}.Invalid error code",
                file.display()
            ),
            status: Ecg::Other.status(),
        }
    })
}

/// A line of libcgroup's own log, which goes to standard output.
fn libcgroup_line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Error: {text}");
    let _ = out.flush();
}

/// Read and check the rules (every line, as a daemon keeps them all).
fn load_rules() -> Result<RuleFiles> {
    let files = RuleFiles::load(Path::new("/"))?;
    files.check(&SystemDirectory)?;
    Ok(files)
}

/// Start: check the configuration, go to the background, listen, classify what runs, then
/// serve events until SIGTERM or SIGINT.
pub fn execute(prog: &Prog, plan: &Plan) -> Result<Status> {
    let all = crate::common::hierarchies().map_err(|e| Error::Plain {
        text: format!("Error: libcgroup initialization failed, {e}"),
        status: e.status(),
    })?;
    check_template_dir(prog)?;
    let rules = load_rules().map_err(|e| {
        // An unreadable file is only a warning in libcgroup's log; a bad line an error.
        if !e.to_string().starts_with("cannot read") {
            libcgroup_line(&e.to_string());
        }
        Error::Plain {
            text: format!(
                "Error: libcgroup failed to initialize rulescache from {CGRULES_FILE}. {}",
                Ecg::ParseFail.text()
            ),
            status: e.status(),
        }
    })?;
    let templates = load_templates(&all)?;
    if plan.background {
        match sys::process::fork()? {
            sys::process::Forked::Parent(_) => return Ok(0),
            sys::process::Forked::Child => {}
        }
    }
    let mut log = Log::open(plan);
    log.line(LOG_DEBUG, "CGroup Rules Engine Daemon log started\n");
    log.line(
        LOG_DEBUG,
        &format!("Current time: {}\n", daemon::ctime_now()),
    );
    log.line(
        LOG_DEBUG,
        &format!(
            "Opened log file: {}, log facility: {},log level: {}\n",
            plan.log_file.as_deref().unwrap_or("(null)"),
            log.facility.unwrap_or(0),
            log.level
        ),
    );
    if plan.background {
        let keep_stdout = plan.log_file.as_deref() == Some("-");
        if let Err(e) = daemon::detach(keep_stdout) {
            log.line(LOG_ERR, &format!("{e}\n"));
            return Ok(2);
        }
    }
    log.line(
        LOG_INFO,
        &format!("Proceeding with PID {}\n", std::process::id()),
    );
    let mut engine = Engine {
        all,
        rules,
        templates,
        log,
        unchanged: HashMap::new(),
        moved_at: Vec::new(),
    };
    let status = engine.serve(plan);
    let _ = std::fs::remove_file(cgred::SOCKET);
    status
}

/// The daemon's state.
struct Engine {
    all: Hierarchies,
    rules: RuleFiles,
    /// The template groups of cgconfig.conf, for destinations named with templates.
    templates: Vec<GroupDef>,
    log: Log,
    /// Processes to leave alone (registered on the socket), with their flags.
    unchanged: HashMap<u32, i32>,
    /// When each recently moved process was moved (monotonic ns): a child forked before that
    /// moment was forked in the old group and is moved too.
    moved_at: Vec<(u64, u32)>,
}

impl Engine {
    fn serve(&mut self, plan: &Plan) -> Result<Status> {
        let signals = SignalQueue::new()?;
        if self.log.file_at(LOG_INFO) {
            let listing = self.rules.describe(&SystemDirectory);
            self.log.line(LOG_INFO, &listing);
        }
        // Listen first, then look at what already runs: a process that starts in between is
        // seen either way.
        self.log.line(
            LOG_DEBUG,
            "Sending proc connector: PROC_CN_MCAST_LISTEN...\n",
        );
        let rcvbuf = sys::process::trusted_env(RCVBUF_ENV).and_then(|v| v.to_str()?.parse().ok());
        let events = match ProcEvents::subscribe(rcvbuf) {
            Ok(e) => e,
            Err(e) => {
                self.log.line(LOG_ERR, &format!("Error: {e}\n"));
                return Ok(255);
            }
        };
        self.log.line(LOG_DEBUG, "Message sent\n");
        let listener = match self.listen(plan) {
            Ok(l) => l,
            Err(e) => {
                self.log.line(LOG_ERR, &format!("{e}\n"));
                return Ok(255);
            }
        };
        self.classify_all();
        self.log
            .line(LOG_INFO, "Started the CGroup Rules Engine Daemon.\n");
        loop {
            let fds = [events.as_fd(), listener.as_fd(), signals.as_fd()];
            let ready = match daemon::wait_readable(&fds) {
                Ok(r) => r,
                Err(e) => {
                    self.log.line(LOG_ERR, &format!("{e}\n"));
                    return Ok(255);
                }
            };
            if ready[0] {
                self.drain(&events);
            }
            if ready[1] {
                self.answer(&listener);
            }
            if ready[2] {
                while let Some(request) = signals.next() {
                    if let Some(status) = self.on_signal(request) {
                        return Ok(status);
                    }
                }
            }
        }
    }

    /// The socket: bound afresh, owned as asked, mode 0660.
    fn listen(&mut self, plan: &Plan) -> std::result::Result<UnixListener, String> {
        let path = cgred::SOCKET;
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).map_err(|e| {
            format!(
                "Error binding UNIX socket {path}: {}",
                sys::errno::io_strerror(&e)
            )
        })?;
        listener.set_nonblocking(true).map_err(|e| {
            format!(
                "Error listening on UNIX socket {path}: {}",
                sys::errno::io_strerror(&e)
            )
        })?;
        std::os::unix::fs::chown(path, plan.socket_user, plan.socket_group).map_err(|e| {
            format!(
                "Error changing {path} socket owner: {}",
                sys::errno::io_strerror(&e)
            )
        })?;
        let id = |v: Option<u32>| v.map_or(-1, i64::from);
        self.log.line(
            LOG_DEBUG,
            &format!(
                "Socket {path} owner successfully set to {}:{}\n",
                id(plan.socket_user),
                id(plan.socket_group)
            ),
        );
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(|e| {
            format!(
                "Error changing {path} socket permissions: {}",
                sys::errno::io_strerror(&e)
            )
        })?;
        Ok(listener)
    }

    /// Every event waiting; a lost batch (ENOBUFS) is made up for by looking at every process.
    fn drain(&mut self, events: &ProcEvents) {
        loop {
            match events.receive() {
                Ok(Received::Events(list)) => {
                    for event in list {
                        self.on_event(event);
                    }
                }
                Ok(Received::Overflow) => {
                    self.log
                        .line(LOG_ERR, "ERROR: NETLINK BUFFER FULL, MESSAGE DROPPED!\n");
                    self.log.line(
                        LOG_INFO,
                        "Classifying every process again after lost events\n",
                    );
                    self.classify_all();
                }
                Ok(Received::Nothing) => return,
                Err(e) => {
                    self.log.line(LOG_ERR, &format!("{e}\n"));
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, event: ProcEvent) {
        // Forget moves older than this event: no fork still to come can predate them.
        self.moved_at.retain(|(t, _)| *t >= event.timestamp_ns);
        match event.kind {
            EventKind::Exec { pid, tgid } => {
                if self.log.keeps(LOG_DEBUG) {
                    self.log.line(
                        LOG_DEBUG,
                        &format!("EXEC Event: PID = {pid}, tGID = {tgid}\n"),
                    );
                }
                if !self.unchanged.contains_key(&tgid) {
                    self.classify(tgid, None, None);
                }
            }
            EventKind::Uid {
                pid,
                tgid,
                ruid,
                euid,
            } => {
                if self.log.keeps(LOG_DEBUG) {
                    self.log.line(
                        LOG_DEBUG,
                        &format!(
                            "UID Event: PID = {pid}, tGID = {tgid}, rUID = {ruid}, eUID = {euid}\n"
                        ),
                    );
                }
                if !self.unchanged.contains_key(&tgid) {
                    self.classify(tgid, Some(euid), None);
                }
            }
            EventKind::Gid {
                pid,
                tgid,
                rgid,
                egid,
            } => {
                if self.log.keeps(LOG_DEBUG) {
                    self.log.line(
                        LOG_DEBUG,
                        &format!(
                            "GID Event: PID = {pid}, tGID = {tgid}, rGID = {rgid}, eGID = {egid}\n"
                        ),
                    );
                }
                if !self.unchanged.contains_key(&tgid) {
                    self.classify(tgid, None, Some(egid));
                }
            }
            EventKind::Fork {
                parent_tgid,
                child_pid,
                child_tgid,
                ..
            } => {
                // A new thread belongs where its process is.
                if child_pid != child_tgid {
                    return;
                }
                let parent_flags = self.unchanged.get(&parent_tgid).copied();
                if parent_flags.is_some_and(|f| f & cgred::UNCHANGE_CHILDREN != 0) {
                    self.store_unchanged(child_tgid, cgred::UNCHANGE_CHILDREN);
                    return;
                }
                let forked_during_move = self
                    .moved_at
                    .iter()
                    .any(|(t, p)| *p == parent_tgid && *t >= event.timestamp_ns);
                if forked_during_move && parent_flags.is_none() {
                    self.classify(child_tgid, None, None);
                }
            }
            EventKind::Exit { pid, tgid } => {
                if pid == tgid && self.unchanged.remove(&tgid).is_some() {
                    self.log.line(
                        LOG_DEBUG,
                        &format!("Remove the unchanged process (PID: {tgid})\n"),
                    );
                }
            }
            EventKind::Other => {}
        }
    }

    /// Move process `pid` by the rules, with the uid or gid an event just gave it.
    fn classify(&mut self, pid: u32, euid: Option<u32>, egid: Option<u32>) {
        let Ok(mut who) = ProcessInfo::of_pid(pid) else {
            return; // gone already
        };
        if let Some(uid) = euid {
            who.uid = uid;
        }
        if let Some(gid) = egid {
            who.gid = gid;
        }
        let name = who.name.clone().unwrap_or_default();
        let outcome = self.rules.find(&who, &SystemDirectory).and_then(|found| {
            let moves = found.first().is_some_and(|r| !r.ignore);
            rules::apply_matched(&self.all, &found, &who, &SystemDirectory, &self.templates)
                .map(|()| moves)
        });
        let (uid, gid) = (who.uid, who.gid);
        match outcome {
            Ok(true) => {
                self.log.line(
                    LOG_INFO,
                    &format!(
                        "Cgroup change for PID: {pid}, UID: {uid}, GID: {gid}, PROCNAME: {name} OK\n"
                    ),
                );
                self.moved_at.push((daemon::monotonic_ns(), pid));
            }
            Ok(false) => {}
            Err(_) if !Path::new(&format!("/proc/{pid}")).exists() => {
                // It ended while being moved: children it forked meanwhile are moved.
                self.moved_at.push((daemon::monotonic_ns(), pid));
            }
            Err(e) => {
                self.log.line(
                    LOG_WARNING,
                    &format!(
                        "Cgroup change for PID: {pid}, UID: {uid}, GID: {gid}, PROCNAME: {name} FAILED! (Error Code: {})\n",
                        ecg_code(&e)
                    ),
                );
            }
        }
    }

    /// Every process of the machine but the ones left alone.
    fn classify_all(&mut self) {
        let pids = match sys::proctab::ProcRoot::open().and_then(|p| p.pids()) {
            Ok(p) => p,
            Err(_) => {
                self.log
                    .line(LOG_WARNING, "Failed to initialize running tasks.\n");
                return;
            }
        };
        for pid in pids {
            if !self.unchanged.contains_key(&pid) {
                self.classify(pid, None, None);
            }
        }
    }

    fn store_unchanged(&mut self, pid: u32, flags: i32) {
        if self.unchanged.contains_key(&pid) {
            return;
        }
        self.unchanged.insert(pid, flags);
        self.log.line(
            LOG_DEBUG,
            &format!("Store the unchanged process (PID: {pid}, FLAGS: {flags})\n"),
        );
    }

    /// One client of the socket: a process to leave alone, or to forget.
    fn answer(&mut self, listener: &UnixListener) {
        loop {
            let mut stream: UnixStream = match listener.accept() {
                Ok((s, _)) => s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.log.line(
                        LOG_WARNING,
                        &format!(
                            "Warning: 'accept' command error: {}\n",
                            sys::errno::io_strerror(&e)
                        ),
                    );
                    return;
                }
            };
            // A client that never writes must not stop the daemon.
            let _ = stream.set_nonblocking(false);
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let request = match cgred::read_request(&mut stream) {
                Ok(r) => r,
                Err(BadRequest::NoPid(why)) => {
                    self.log.line(
                        LOG_WARNING,
                        &format!("Warning: 'read' command error: {why}\n"),
                    );
                    continue;
                }
                Err(BadRequest::NoProcess(pid)) => {
                    self.log.line(
                        LOG_WARNING,
                        &format!("Warning: there is no such process (PID: {pid})\n"),
                    );
                    continue;
                }
                Err(BadRequest::NoFlags(why)) => {
                    self.log.line(
                        LOG_WARNING,
                        &format!("Warning: error reading daemon socket: {why}\n"),
                    );
                    continue;
                }
            };
            let Ok(pid) = u32::try_from(request.pid) else {
                continue;
            };
            if request.flags == cgred::CANCEL_UNCHANGE {
                if self.unchanged.remove(&pid).is_some() {
                    self.log.line(
                        LOG_DEBUG,
                        &format!("Remove the unchanged process (PID: {pid})\n"),
                    );
                }
            } else {
                self.store_unchanged(pid, request.flags);
            }
            if let Err(e) = stream.write_all(cgred::REPLY) {
                self.log.line(
                    LOG_WARNING,
                    &format!(
                        "Warning: cannot write to daemon socket: {}\n",
                        sys::errno::io_strerror(&e)
                    ),
                );
            }
        }
    }

    /// Read the templates again; broken files leave the ones in force.
    fn reload_templates(&mut self) {
        match load_templates(&self.all) {
            Ok(t) => self.templates = t,
            Err(e) => self
                .log
                .line(LOG_WARNING, &format!("{e}; the previous templates stay\n")),
        }
    }

    /// SIGUSR2 reloads the rules and the templates, SIGUSR1 the templates; SIGTERM and SIGINT stop (the status).
    fn on_signal(&mut self, request: Request) -> Option<Status> {
        match request {
            Request::User2 => {
                self.log.line(LOG_INFO, "Reloading rules configuration\n");
                self.log.line(
                    LOG_DEBUG,
                    &format!("Current time: {}\n", daemon::ctime_now()),
                );
                match load_rules() {
                    Ok(rules) => self.rules = rules,
                    // The rules in force stay: a broken file must not stop all classification.
                    Err(e) => self.log.line(
                        LOG_WARNING,
                        &format!(
                            "error parsing configuration file '{CGRULES_FILE}': {} ({e}); the previous rules stay\n",
                            Ecg::ParseFail.code()
                        ),
                    ),
                }
                if self.log.file_at(LOG_INFO) {
                    let listing = self.rules.describe(&SystemDirectory) + "\n";
                    self.log.line(LOG_INFO, &listing);
                }
                self.reload_templates();
                None
            }
            Request::User1 => {
                self.log
                    .line(LOG_INFO, "Reloading templates configuration.\n");
                self.log.line(
                    LOG_DEBUG,
                    &format!("Current time: {}\n", daemon::ctime_now()),
                );
                None
            }
            Request::Stop => {
                self.log.line(
                    LOG_INFO,
                    &format!(
                        "Stopped CGroup Rules Engine Daemon at {}\n",
                        daemon::ctime_now()
                    ),
                );
                if self.log.facility.is_some() {
                    daemon::close_syslog();
                }
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Action> {
        let prog = Prog::new(None, "cgrulesengd");
        parse(&prog, args.iter().map(OsString::from).collect(), false)
    }

    #[test]
    fn options() {
        let Action::Run(p) = plan(&["-vv", "-n", "-s3", "-f", "/x"]).unwrap() else {
            panic!()
        };
        assert_eq!(p.verbosity, 3);
        assert!(!p.background);
        assert_eq!(p.facility, daemon::local_facility(3));
        assert_eq!(p.log_file.as_deref(), Some("/x"));
        let Action::Run(p) = plan(&["-d", "-q", "--syslog"]).unwrap() else {
            panic!()
        };
        assert_eq!((p.verbosity, p.facility), (3, Some(daemon::LOG_DAEMON)));
        assert_eq!(plan(&["-h"]).unwrap(), Action::Help);
        assert_eq!(plan(&["-x"]).unwrap_err().status(), 2);
        assert_eq!(plan(&["-s9"]).unwrap_err().status(), 2);
        assert_eq!(
            plan(&["-u", "nsutils-no-such-user"]).unwrap_err().status(),
            3
        );
        assert_eq!(
            plan(&["-g", "nsutils-no-such-group"]).unwrap_err().status(),
            3
        );
    }
}
