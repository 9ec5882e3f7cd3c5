//! Injected failures, for the tests that check every step of a multi-step operation fails
//! cleanly (tests/tests/faults.rs). Compiled only into debug builds: in a release build
//! [`point`] is an empty inline function and the variables' names are not in the binary.
//!
//! A point stands just before the system call it is named for and fails as that call would:
//! the caller's error path turns the errno into the same message and exit status as a real
//! failure. Two environment variables drive them:
//! - `NSUTILS_FAULT=NAME[@N][:ERRNO][,...]` fails the Nth arrival (the first by default) at
//!   the point NAME with ERRNO (a number or a name such as `EACCES`; the point's own default
//!   otherwise);
//! - `NSUTILS_FAULT_TRACE=FILE` appends `NAME N` to FILE at each arrival, so a test takes the
//!   steps of an operation from a real run.
//!
//! Both are ignored by a process started with privileges its caller lacks (`AT_SECURE`: a
//! set-user-ID `cgexec`, file capabilities), whose environment is the caller's to choose.
//! Arrival counts are per process; a forked child goes on from its parent's counts.

/// Arrive at the point `name`, which fails with `default` unless the spec names an errno.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn point(_name: &str, _default: i32) -> rustix::io::Result<()> {
    Ok(())
}

/// Arrive at the point `name`, which fails with `default` unless the spec names an errno.
#[cfg(debug_assertions)]
pub fn point(name: &str, default: i32) -> rustix::io::Result<()> {
    injected::arrive(name, default).map_err(rustix::io::Errno::from_raw_os_error)
}

/// [`point`] for a caller whose error path takes an `io::Error`.
#[inline(always)]
pub fn point_io(name: &str, default: i32) -> std::io::Result<()> {
    point(name, default).map_err(std::io::Error::from)
}

#[cfg(debug_assertions)]
mod injected {
    use std::collections::HashMap;
    use std::io::Write;
    use std::sync::{Mutex, OnceLock};

    /// One `NAME[@N][:ERRNO]` of the spec.
    struct Fault {
        name: String,
        arrival: u32,
        errno: Option<i32>,
    }

    struct Setting {
        faults: Vec<Fault>,
        /// Opened at the first arrival, so that a process that changes its root (pivot,
        /// `unshare --root`) goes on writing to the same file.
        trace: Option<Mutex<std::fs::File>>,
        arrivals: Mutex<HashMap<String, u32>>,
    }

    fn setting() -> &'static Setting {
        static SETTING: OnceLock<Setting> = OnceLock::new();
        SETTING.get_or_init(|| {
            let var = crate::process::trusted_env;
            let faults = var("NSUTILS_FAULT")
                .map(|spec| parse(&spec.to_string_lossy()))
                .unwrap_or_default();
            Setting {
                faults,
                // A trace that cannot be opened shows as steps missing from the test's list.
                trace: var("NSUTILS_FAULT_TRACE")
                    .and_then(|path| {
                        std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(path)
                            .ok()
                    })
                    .map(Mutex::new),
                arrivals: Mutex::new(HashMap::new()),
            }
        })
    }

    fn parse(spec: &str) -> Vec<Fault> {
        spec.split(',')
            .filter(|f| !f.is_empty())
            .map(|f| {
                let (rest, errno) = match f.split_once(':') {
                    Some((rest, e)) => (rest, errno_of(e)),
                    None => (f, None),
                };
                let (name, arrival) = match rest.split_once('@') {
                    Some((name, n)) => (name, n.parse().unwrap_or(1)),
                    None => (rest, 1),
                };
                Fault {
                    name: name.to_owned(),
                    arrival,
                    errno,
                }
            })
            .collect()
    }

    fn errno_of(text: &str) -> Option<i32> {
        text.parse().ok().or(match text {
            "EPERM" => Some(libc::EPERM),
            "ENOENT" => Some(libc::ENOENT),
            "EIO" => Some(libc::EIO),
            "ENOMEM" => Some(libc::ENOMEM),
            "EACCES" => Some(libc::EACCES),
            "EBUSY" => Some(libc::EBUSY),
            "EEXIST" => Some(libc::EEXIST),
            "ENOTDIR" => Some(libc::ENOTDIR),
            "EINVAL" => Some(libc::EINVAL),
            "ENOSPC" => Some(libc::ENOSPC),
            "EROFS" => Some(libc::EROFS),
            "EAGAIN" => Some(libc::EAGAIN),
            "ENOSYS" => Some(libc::ENOSYS),
            _ => None,
        })
    }

    pub(super) fn arrive(name: &str, default: i32) -> Result<(), i32> {
        let setting = setting();
        if setting.faults.is_empty() && setting.trace.is_none() {
            return Ok(());
        }
        let arrival = {
            let mut arrivals = setting
                .arrivals
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = arrivals.entry(name.to_owned()).or_insert(0);
            *count += 1;
            *count
        };
        if let Some(trace) = &setting.trace {
            let mut file = trace
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // One write per line: forked processes append to the same file.
            let _ = file.write_all(format!("{name} {arrival}\n").as_bytes());
        }
        match setting
            .faults
            .iter()
            .find(|f| f.name == name && f.arrival == arrival)
        {
            Some(fault) => Err(fault.errno.unwrap_or(default)),
            None => Ok(()),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn spec_parts() {
            let faults = parse("mount.bind@2:EACCES,unshare,mkdir:5");
            let got: Vec<_> = faults
                .iter()
                .map(|f| (f.name.as_str(), f.arrival, f.errno))
                .collect();
            assert_eq!(
                got,
                [
                    ("mount.bind", 2, Some(libc::EACCES)),
                    ("unshare", 1, None),
                    ("mkdir", 1, Some(5))
                ]
            );
        }
    }
}
