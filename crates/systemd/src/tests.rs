//! A fake systemd Manager served over a socket pair (a peer-to-peer D-Bus connection): it
//! records each method call and its arguments, answers with a job, and emits JobRemoved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use zbus::blocking::connection::Builder;
use zbus::zvariant::{ObjectPath, OwnedValue};

use super::*;

/// One call the fake received: method name and its body's signature.
#[derive(Debug, Clone)]
struct Call {
    method: String,
    message: zbus::Message,
}

/// Serve a fake Manager; `result` is the result word of every JobRemoved it emits, `refuse`
/// makes StartTransientUnit fail with that D-Bus error name instead.
fn fake(result: &'static str, refuse: Option<&'static str>) -> (Manager, Arc<Mutex<Vec<Call>>>) {
    let (ours, theirs) = UnixStream::pair().unwrap();
    let guid = zbus::Guid::generate();
    let server = std::thread::spawn(move || {
        Builder::unix_stream(theirs)
            .server(guid)
            .unwrap()
            .p2p()
            .build()
            .unwrap()
    });
    let client = Builder::unix_stream(ours).p2p().build().unwrap();
    let server = server.join().unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let record = calls.clone();
    // Subscribed before the client can send anything: a message that arrives while no
    // iterator exists is dropped, and the client's call would wait for ever.
    let incoming = MessageIterator::from(&server);
    std::thread::spawn(move || {
        for (n, message) in incoming.flatten().enumerate() {
            let header = message.header();
            if header.message_type() != zbus::message::Type::MethodCall {
                continue;
            }
            let method = header.member().unwrap().to_string();
            record.lock().unwrap().push(Call {
                method: method.clone(),
                message: message.clone(),
            });
            let job = format!("/org/freedesktop/systemd1/job/{n}");
            if method == "GetUnit" {
                let unit =
                    ObjectPath::try_from("/org/freedesktop/systemd1/unit/b_2escope").unwrap();
                server.reply(&header, &unit).unwrap();
                continue;
            }
            if method == "Get" {
                let value = zbus::zvariant::Value::from("/a.slice/b.scope");
                server.reply(&header, &value).unwrap();
                continue;
            }
            let unit: String = match method.as_str() {
                "StartTransientUnit" => {
                    message
                        .body()
                        .deserialize::<(
                            String,
                            String,
                            Vec<(String, OwnedValue)>,
                            Vec<(String, Vec<(String, OwnedValue)>)>,
                        )>()
                        .unwrap()
                        .0
                }
                "StopUnit" => message.body().deserialize::<(String, String)>().unwrap().0,
                _ => {
                    server.reply(&header, &()).unwrap();
                    continue;
                }
            };
            if let (Some(error), "StartTransientUnit") = (refuse, method.as_str()) {
                server
                    .reply_error(&header, error, &"Unit x.scope already exists.")
                    .unwrap();
                continue;
            }
            // Another job's end first: the client must wait for its own.
            let other = ObjectPath::try_from("/org/freedesktop/systemd1/job/999").unwrap();
            let job_path = ObjectPath::try_from(job.as_str()).unwrap();
            for (path, word) in [(other, "failed"), (job_path.clone(), result)] {
                server
                    .emit_signal(
                        None::<&str>,
                        PATH,
                        MANAGER,
                        "JobRemoved",
                        &(7u32, path, unit.as_str(), word),
                    )
                    .unwrap();
            }
            // The reply after the signals, which the client has subscribed to before calling.
            server.reply(&header, &job_path).unwrap();
        }
    });
    (Manager::over(client), calls)
}

fn scope() -> Scope {
    Scope {
        name: "b.scope".into(),
        slice: "a.slice".into(),
        description: "scope created by libcgroup".into(),
        pids: vec![4242],
        delegate: true,
    }
}

#[test]
fn start_scope_sends_the_unit_mode_properties_and_pids() {
    let (manager, calls) = fake("done", None);
    manager.start_scope(&scope()).unwrap();
    let calls = calls.lock().unwrap().clone();
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(methods, ["Subscribe", "StartTransientUnit"]);
    let header = calls[1].message.header();
    assert_eq!(header.destination().unwrap().as_str(), DESTINATION);
    assert_eq!(header.path().unwrap().as_str(), PATH);
    assert_eq!(header.interface().unwrap().as_str(), MANAGER);
    assert_eq!(
        calls[1].message.body().signature().to_string_no_parens(),
        "ssa(sv)a(sa(sv))"
    );
    type Body = (
        String,
        String,
        Vec<(String, OwnedValue)>,
        Vec<(String, Vec<(String, OwnedValue)>)>,
    );
    let (name, mode, properties, auxiliary): Body = calls[1].message.body().deserialize().unwrap();
    assert_eq!((name.as_str(), mode.as_str()), ("b.scope", "fail"));
    assert!(auxiliary.is_empty());
    let names: Vec<&str> = properties.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Description", "PIDs", "Slice", "Delegate"]);
    let value = |i: usize| &properties[i].1;
    assert_eq!(
        String::try_from(value(0).try_clone().unwrap()).unwrap(),
        "scope created by libcgroup"
    );
    assert_eq!(
        Vec::<u32>::try_from(value(1).try_clone().unwrap()).unwrap(),
        [4242]
    );
    assert_eq!(
        String::try_from(value(2).try_clone().unwrap()).unwrap(),
        "a.slice"
    );
    assert!(bool::try_from(value(3).try_clone().unwrap()).unwrap());
}

#[test]
fn a_failed_job_names_its_result() {
    let (manager, _) = fake("failed", None);
    let e = manager.start_scope(&scope()).unwrap_err();
    assert_eq!(
        e,
        Error::Job {
            unit: "b.scope".into(),
            result: "failed".into()
        }
    );
    assert_eq!(e.to_string(), "the job of b.scope ended: failed");
}

#[test]
fn a_refused_start_carries_systemds_message() {
    let (manager, _) = fake("done", Some("org.freedesktop.systemd1.UnitExists"));
    let e = manager.start_scope(&scope()).unwrap_err();
    assert_eq!(
        e,
        Error::Call {
            name: "org.freedesktop.systemd1.UnitExists".into(),
            message: "Unit x.scope already exists.".into()
        }
    );
    assert_eq!(e.to_string(), "error message: Unit x.scope already exists.");
}

#[test]
fn stop_unit_sends_the_name_and_replace() {
    let (manager, calls) = fake("done", None);
    manager.stop_unit("b.scope").unwrap();
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls[1].method, "StopUnit");
    let (name, mode): (String, String) = calls[1].message.body().deserialize().unwrap();
    assert_eq!((name.as_str(), mode.as_str()), ("b.scope", "replace"));
}

#[test]
fn no_bus_is_libcgroups_message() {
    let e = Error::Connect {
        bus: Bus::System,
        errno: 2,
    };
    assert_eq!(e.to_string(), "failed to open the system bus: 2");
    assert_eq!(
        sys::Error::from(e).to_string(),
        "failed to open the system bus: 2"
    );
}

#[test]
fn control_group_reads_the_scopes_property() {
    let (manager, calls) = fake("done", None);
    assert_eq!(
        manager.control_group("b.scope").unwrap(),
        "/a.slice/b.scope"
    );
    let calls = calls.lock().unwrap().clone();
    let (name,): (String,) = calls[0].message.body().deserialize().unwrap();
    assert_eq!(
        (calls[0].method.as_str(), name.as_str()),
        ("GetUnit", "b.scope")
    );
    let header = calls[1].message.header();
    assert_eq!(
        header.path().unwrap().as_str(),
        "/org/freedesktop/systemd1/unit/b_2escope"
    );
    let (interface, property): (String, String) = calls[1].message.body().deserialize().unwrap();
    assert_eq!(
        (
            calls[1].method.as_str(),
            interface.as_str(),
            property.as_str()
        ),
        ("Get", "org.freedesktop.systemd1.Scope", "ControlGroup")
    );
}
