//! The rules daemon's socket (`/var/run/cgred.socket`), as libcgroup 3.2.0 speaks it, so that
//! its tools and ours register with either daemon.
//!
//! A client connects (a stream socket), writes the pid (a native-endian 32-bit int) and then
//! the flags (the same): 0 leaves the process alone, [`UNCHANGE_CHILDREN`] its future children
//! too, [`CANCEL_UNCHANGE`] forgets it. The daemon answers [`REPLY`] (with its NUL) once the
//! process is recorded, and closes. No daemon listening counts as success: there is nobody to
//! keep from moving the process.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Where the daemon listens.
pub const SOCKET: &str = "/var/run/cgred.socket";
/// The daemon's answer to a request it carried out, NUL included.
pub const REPLY: &[u8] = b"SUCCESS_STORE_PID\0";
/// Flag: the process's children (forked later) are left alone too.
pub const UNCHANGE_CHILDREN: i32 = 0x1;
/// Flag: the daemon may move the process again.
pub const CANCEL_UNCHANGE: i32 = 0x2;

/// How long a client waits for the daemon's answer: a stuck daemon must not hang cgexec.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Ask the daemon listening on `socket` to leave process `pid` alone (or, with
/// [`CANCEL_UNCHANGE`], to forget it). `true` when the daemon acknowledged or none listens;
/// `false` when one listens but did not acknowledge (libcgroup's "registration of process
/// failed").
pub fn register_at(socket: &Path, pid: u32, flags: i32) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return true;
    };
    let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    let mut request = Vec::with_capacity(8);
    request.extend_from_slice(&pid.to_ne_bytes());
    request.extend_from_slice(&flags.to_ne_bytes());
    if stream.write_all(&request).is_err() {
        return false;
    }
    let mut answer = [0u8; REPLY.len()];
    stream.read_exact(&mut answer).is_ok() && answer == REPLY
}

/// [`register_at`] the daemon's usual socket.
pub fn register(pid: u32, flags: i32) -> bool {
    register_at(Path::new(SOCKET), pid, flags)
}

/// One request, as the daemon reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The process.
    pub pid: i32,
    /// Its flags.
    pub flags: i32,
}

/// Why a request could not be read (the daemon logs it and drops the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadRequest {
    /// The pid could not be read.
    NoPid(String),
    /// No such process.
    NoProcess(i32),
    /// The flags could not be read.
    NoFlags(String),
}

/// Read a request from a client: the pid, a check that `/proc/<pid>` exists, the flags.
pub fn read_request(stream: &mut impl Read) -> Result<Request, BadRequest> {
    let mut word = [0u8; 4];
    stream
        .read_exact(&mut word)
        .map_err(|e| BadRequest::NoPid(sys::errno::io_strerror(&e).into_owned()))?;
    let pid = i32::from_ne_bytes(word);
    if pid <= 0 || !Path::new(&format!("/proc/{pid}")).exists() {
        return Err(BadRequest::NoProcess(pid));
    }
    stream
        .read_exact(&mut word)
        .map_err(|e| BadRequest::NoFlags(sys::errno::io_strerror(&e).into_owned()))?;
    Ok(Request {
        pid,
        flags: i32::from_ne_bytes(word),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    #[test]
    fn no_daemon_is_success() {
        assert!(register_at(
            Path::new("/nonexistent/nsutils-cgred.socket"),
            1,
            0
        ));
    }

    #[test]
    fn a_request_and_its_answer() {
        let dir = std::env::temp_dir().join(format!("nsutils-test-{}-cgred", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("s");
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path).unwrap();
        let me = std::process::id();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let req = read_request(&mut s).unwrap();
            s.write_all(REPLY).unwrap();
            req
        });
        assert!(register_at(&path, me, UNCHANGE_CHILDREN));
        let req = server.join().unwrap();
        assert_eq!(
            req,
            Request {
                pid: i32::try_from(me).unwrap(),
                flags: 1
            }
        );
        // A daemon that closes without answering: failure.
        let listener = UnixListener::bind(dir.join("t")).unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            read_request(&mut s)
        });
        assert!(!register_at(&dir.join("t"), 999_999_999, 0));
        assert_eq!(
            server.join().unwrap(),
            Err(BadRequest::NoProcess(999_999_999))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
