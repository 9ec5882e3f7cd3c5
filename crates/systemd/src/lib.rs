//! A small typed client of systemd's service manager (`org.freedesktop.systemd1.Manager`)
//! over D-Bus, for the cgroup tools: start a transient, delegated scope and wait for its job,
//! and stop a unit. It talks to the system manager over the system bus, or to the calling
//! user's own manager over their session bus.
//!
//! Only the cgroup tools that talk to systemd call into this crate, so the others do not carry
//! a D-Bus client (the linker drops what no code reaches).

use std::sync::mpsc;
use std::time::Duration;

use zbus::blocking::{Connection, MessageIterator};
use zbus::zvariant::{OwnedObjectPath, Value};

const DESTINATION: &str = "org.freedesktop.systemd1";
const PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";

/// How long to wait for the manager's reply to a call, and for a scope's start job: systemd
/// answers and starts a scope at once, so anything near this means the manager is stuck
/// (D-Bus's own default reply timeout, which libcgroup's sd_bus_call uses too).
const JOB_TIMEOUT: Duration = Duration::from_secs(25);

/// Which service manager to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    /// The system's manager (PID 1), over the system bus.
    System,
    /// The calling user's own manager (`systemd --user`), over their session bus.
    User,
}

impl Bus {
    /// The name libcgroup's messages use for this bus.
    fn name(self) -> &'static str {
        match self {
            Bus::System => "system",
            Bus::User => "session",
        }
    }
}

/// What went wrong talking to systemd. `Display` is the text libcgroup prints for the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The bus could not be reached; `errno` as the connect reported it (0 when it was not a
    /// system call that failed).
    Connect {
        /// The bus.
        bus: Bus,
        /// The errno of the failed connect.
        errno: i32,
    },
    /// The manager refused or failed a call: its D-Bus error message.
    Call {
        /// The D-Bus error's name (`org.freedesktop.systemd1.UnitExists`, ...).
        name: String,
        /// The D-Bus error's message.
        message: String,
    },
    /// The unit's job ended with a result other than `done`.
    Job {
        /// The unit.
        unit: String,
        /// systemd's result word (`failed`, `canceled`, `timeout`, ...).
        result: String,
    },
    /// No JobRemoved for the job within the timeout.
    Timeout,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Connect { bus, errno } => {
                write!(f, "failed to open the {} bus: {errno}", bus.name())
            }
            Error::Call { message, .. } => write!(f, "error message: {message}"),
            Error::Job { unit, result } => write!(f, "the job of {unit} ended: {result}"),
            Error::Timeout => f.write_str("The create scope command timed out"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The lines libcgroup 3.2 prints for this error (each after `Error: `): a refused call is
    /// two, the first naming the errno of the request message, which is always 0.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Call { .. } => vec!["sd_bus_call() failed: 0".to_owned(), self.to_string()],
            _ => vec![self.to_string()],
        }
    }
}

impl From<Error> for sys::Error {
    fn from(e: Error) -> sys::Error {
        sys::Error::msg(e.to_string())
    }
}

fn call_error(e: zbus::Error) -> Error {
    match e {
        zbus::Error::MethodError(name, message, _) => Error::Call {
            name: name.to_string(),
            message: message.unwrap_or_default(),
        },
        other => Error::Call {
            name: String::new(),
            message: other.to_string(),
        },
    }
}

/// A transient scope to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The unit's name, `NAME.scope`.
    pub name: String,
    /// The slice it goes in, `NAME.slice`.
    pub slice: String,
    /// Its description.
    pub description: String,
    /// The processes that make it up (a scope needs at least one).
    pub pids: Vec<u32>,
    /// Whether its subtree is delegated to its owner (`Delegate=yes`).
    pub delegate: bool,
}

/// A connection to a service manager.
#[derive(Debug)]
pub struct Manager {
    conn: Connection,
}

impl Manager {
    /// Connect to the manager on `bus`.
    pub fn connect(bus: Bus) -> Result<Manager, Error> {
        let builder = match bus {
            Bus::System => zbus::blocking::connection::Builder::system(),
            Bus::User => zbus::blocking::connection::Builder::session(),
        };
        // A manager that never answers must not hang the tool.
        let conn = builder
            .and_then(|b| b.method_timeout(JOB_TIMEOUT).build())
            .map_err(|e| Error::Connect {
                bus,
                errno: connect_errno(&e),
            })?;
        Ok(Manager { conn })
    }

    /// A manager over an existing connection (a peer-to-peer one in tests).
    pub fn over(conn: Connection) -> Manager {
        Manager { conn }
    }

    /// Start `scope` (job mode `fail`: an existing unit of that name is an error) and wait
    /// until its start job is removed: `Ok` when its result is `done`.
    pub fn start_scope(&self, scope: &Scope) -> Result<(), Error> {
        let properties: Vec<(&str, Value<'_>)> = vec![
            ("Description", Value::from(scope.description.as_str())),
            ("PIDs", Value::from(scope.pids.clone())),
            ("Slice", Value::from(scope.slice.as_str())),
            ("Delegate", Value::from(scope.delegate)),
        ];
        let auxiliary: Vec<(&str, Vec<(&str, Value<'_>)>)> = Vec::new();
        let removed = self.job_removals()?;
        let reply = self.call(
            "StartTransientUnit",
            &(scope.name.as_str(), "fail", properties, auxiliary),
        )?;
        let job: OwnedObjectPath = reply.body().deserialize().map_err(call_error)?;
        match wait_for_job(&removed, job.as_str())? {
            r if r == "done" => Ok(()),
            r => Err(Error::Job {
                unit: scope.name.clone(),
                result: r,
            }),
        }
    }

    /// Stop the unit `name` (job mode `replace`) and wait for the job; a unit that is not
    /// loaded is already stopped.
    pub fn stop_unit(&self, name: &str) -> Result<(), Error> {
        let removed = self.job_removals()?;
        let reply = match self.call("StopUnit", &(name, "replace")) {
            Err(Error::Call { name: error, .. })
                if error == "org.freedesktop.systemd1.NoSuchUnit" =>
            {
                return Ok(());
            }
            other => other?,
        };
        let job: OwnedObjectPath = reply.body().deserialize().map_err(call_error)?;
        match wait_for_job(&removed, job.as_str())? {
            r if r == "done" => Ok(()),
            r => Err(Error::Job {
                unit: name.to_owned(),
                result: r,
            }),
        }
    }

    /// The cgroup of the unit `name` (its `ControlGroup`, e.g.
    /// `/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope` for a user's scope).
    pub fn control_group(&self, name: &str) -> Result<String, Error> {
        let reply = self.call("GetUnit", &(name,))?;
        let unit: OwnedObjectPath = reply.body().deserialize().map_err(call_error)?;
        let interface = if name.ends_with(".scope") {
            "org.freedesktop.systemd1.Scope"
        } else {
            "org.freedesktop.systemd1.Unit"
        };
        let reply = self
            .conn
            .call_method(
                Some(DESTINATION),
                unit.as_str(),
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &(interface, "ControlGroup"),
            )
            .map_err(call_error)?;
        let value: zbus::zvariant::OwnedValue = reply.body().deserialize().map_err(call_error)?;
        String::try_from(value).map_err(|e| call_error(e.into()))
    }

    fn call<B>(&self, method: &str, body: &B) -> Result<zbus::Message, Error>
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn
            .call_method(Some(DESTINATION), PATH, Some(MANAGER), method, body)
            .map_err(call_error)
    }

    /// Subscribe to JobRemoved before a job is queued (so its end cannot be missed): the
    /// channel the (job, result) pairs arrive on. The thread reading them ends with the
    /// connection.
    fn job_removals(&self) -> Result<mpsc::Receiver<(String, String)>, Error> {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(MANAGER)
            .and_then(|b| b.member("JobRemoved"))
            .and_then(|b| b.path(PATH))
            .map_err(call_error)?
            .build();
        let messages =
            MessageIterator::for_match_rule(rule, &self.conn, Some(64)).map_err(call_error)?;
        // systemd sends its signals only while some client is subscribed.
        self.call("Subscribe", &())?;
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for message in messages.flatten() {
                let body = message.body();
                let Ok((_, job, _, result)) =
                    body.deserialize::<(u32, OwnedObjectPath, String, String)>()
                else {
                    continue;
                };
                if send.send((job.to_string(), result)).is_err() {
                    break;
                }
            }
        });
        Ok(receive)
    }
}

fn wait_for_job(removed: &mpsc::Receiver<(String, String)>, job: &str) -> Result<String, Error> {
    let deadline = std::time::Instant::now() + JOB_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match removed.recv_timeout(left) {
            Ok((path, result)) if path == job => return Ok(result),
            Ok(_) => {}
            Err(_) => return Err(Error::Timeout),
        }
    }
}

/// The errno of a failed connect, as libcgroup prints it.
fn connect_errno(e: &zbus::Error) -> i32 {
    match e {
        zbus::Error::InputOutput(io) => io.raw_os_error().unwrap_or(0),
        zbus::Error::Address(_) => sys::errno::ENOENT,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
