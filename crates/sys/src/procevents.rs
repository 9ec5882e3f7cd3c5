//! The kernel's process events (the netlink proc connector): fork, exec, uid and gid changes
//! and exits of every process on the machine, as a typed [`ProcEvent`], for the rules daemon.
//!
//! The wire format (`struct nlmsghdr`, `struct cn_msg`, `struct proc_event`) is encoded and
//! decoded here byte by byte, in native byte order, so no raw struct leaves this module and no
//! `unsafe` is needed. Listening needs CAP_NET_ADMIN in the initial network namespace.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use crate::error::{Error, Result};
use crate::nlmsg::{self, u16_at, u32_at, u64_at};

/// The connector's index and value for process events (`CN_IDX_PROC`, `CN_VAL_PROC`).
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
/// `PROC_CN_MCAST_LISTEN`: start sending events to this socket.
const PROC_CN_MCAST_LISTEN: u32 = 1;
/// Netlink message types (`NLMSG_NOOP`, `NLMSG_ERROR`, `NLMSG_DONE`, `NLMSG_OVERRUN`).
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_OVERRUN: u16 = 4;
/// Sizes of `struct nlmsghdr` and `struct cn_msg` (without data).
const NLMSG_HEADER: usize = nlmsg::HEADER_LEN;
const CN_HEADER: usize = 20;
/// `enum what` of `struct proc_event`.
const EVENT_FORK: u32 = 0x1;
const EVENT_EXEC: u32 = 0x2;
const EVENT_UID: u32 = 0x4;
const EVENT_GID: u32 = 0x40;
const EVENT_EXIT: u32 = 0x8000_0000;

/// What happened to a process. Pids are thread ids, tgids process ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A new thread or process; `child_pid == child_tgid` for a process.
    Fork {
        /// The thread that forked.
        parent_pid: u32,
        /// Its process.
        parent_tgid: u32,
        /// The new thread.
        child_pid: u32,
        /// The new thread's process.
        child_tgid: u32,
    },
    /// A thread executed a program.
    Exec {
        /// The thread.
        pid: u32,
        /// Its process.
        tgid: u32,
    },
    /// A thread changed its uids.
    Uid {
        /// The thread.
        pid: u32,
        /// Its process.
        tgid: u32,
        /// The new real uid.
        ruid: u32,
        /// The new effective uid.
        euid: u32,
    },
    /// A thread changed its gids.
    Gid {
        /// The thread.
        pid: u32,
        /// Its process.
        tgid: u32,
        /// The new real gid.
        rgid: u32,
        /// The new effective gid.
        egid: u32,
    },
    /// A thread ended.
    Exit {
        /// The thread.
        pid: u32,
        /// Its process.
        tgid: u32,
    },
    /// Another kind of event (sid, ptrace, comm, coredump...), of no interest here.
    Other,
}

/// One event, with the kernel's timestamp (CLOCK_MONOTONIC nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcEvent {
    /// When it happened.
    pub timestamp_ns: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What one receive brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Events, in the order the kernel sent them (possibly none: a message of another kind).
    Events(Vec<ProcEvent>),
    /// The socket's receive buffer overflowed (ENOBUFS): events were lost.
    Overflow,
    /// Nothing is waiting (the socket does not block).
    Nothing,
}

/// A netlink socket subscribed to the process events.
#[derive(Debug)]
pub struct ProcEvents(OwnedFd);

impl ProcEvents {
    /// Open the socket, bind it to the proc connector's multicast group and ask the kernel to
    /// start sending. `receive_buffer` sets SO_RCVBUF (bytes) when given (the tests use a tiny
    /// one to provoke an overflow). Errors name the step that failed.
    pub fn subscribe(receive_buffer: Option<usize>) -> Result<Self> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            Some(netlink::CONNECTOR),
        )
        .map_err(|e| Error::os("error opening netlink socket", e))?;
        if let Some(size) = receive_buffer {
            rustix::net::sockopt::set_socket_recv_buffer_size(&fd, size)
                .map_err(|e| Error::os("error setting the netlink receive buffer", e))?;
        }
        let pid = std::process::id();
        rustix::net::bind(&fd, &SocketAddrNetlink::new(pid, CN_IDX_PROC))
            .map_err(|e| Error::os("error binding netlink socket", e))?;
        let request = listen_request(pid);
        let sent = rustix::net::send(&fd, &request, SendFlags::empty())
            .map_err(|e| Error::os("failed to send netlink message (mcast ctl op)", e))?;
        if sent != request.len() {
            return Err(Error::msg(
                "failed to send netlink message (mcast ctl op): short write",
            ));
        }
        Ok(ProcEvents(fd))
    }

    /// Receive one datagram, if one is waiting, and decode its events. Datagrams that do not come from
    /// the kernel's proc connector group are dropped (nothing else may feed us events).
    pub fn receive(&self) -> Result<Received> {
        let mut buf = [0u8; 8192];
        loop {
            match rustix::net::recvfrom(&self.0, &mut buf, RecvFlags::empty()) {
                Ok((_, len, from)) => {
                    let from_kernel = from
                        .and_then(|a| SocketAddrNetlink::try_from(a).ok())
                        .is_some_and(|a| a.pid() == 0 && a.groups() == CN_IDX_PROC);
                    if !from_kernel {
                        return Ok(Received::Events(Vec::new()));
                    }
                    return Ok(Received::Events(decode(&buf[..len.min(buf.len())])));
                }
                Err(rustix::io::Errno::NOBUFS) => return Ok(Received::Overflow),
                Err(rustix::io::Errno::AGAIN) => return Ok(Received::Nothing),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(Error::os("error receiving netlink message", e)),
            }
        }
    }
}

impl AsFd for ProcEvents {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

/// The netlink message that subscribes socket `pid` to the events.
fn listen_request(pid: u32) -> Vec<u8> {
    let total = NLMSG_HEADER + CN_HEADER + 4;
    let mut msg = Vec::with_capacity(total);
    msg.extend_from_slice(&nlmsg::header(total, NLMSG_DONE, 0, pid));
    msg.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    msg.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    msg.extend_from_slice(&0u32.to_ne_bytes()); // seq
    msg.extend_from_slice(&0u32.to_ne_bytes()); // ack
    msg.extend_from_slice(&4u16.to_ne_bytes()); // data length
    msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
    msg.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    msg
}

/// The events of one datagram: its netlink messages, each a connector message carrying a
/// `struct proc_event`. Truncated or malformed messages end the decoding.
pub fn decode(datagram: &[u8]) -> Vec<ProcEvent> {
    let mut events = Vec::new();
    let mut rest = datagram;
    while let (Some(len), Some(kind)) = (u32_at(rest, 0), u16_at(rest, 4)) {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len < NLMSG_HEADER || len > rest.len() {
            break;
        }
        if kind == NLMSG_ERROR || kind == NLMSG_OVERRUN {
            break;
        }
        if kind != NLMSG_NOOP {
            if let Some(event) = decode_event(&rest[NLMSG_HEADER..len]) {
                events.push(event);
            }
        }
        if kind == NLMSG_DONE {
            break;
        }
        let aligned = (len + 3) & !3;
        rest = rest.get(aligned..).unwrap_or_default();
    }
    events
}

/// One connector message: `struct cn_msg` then `struct proc_event` (what, cpu, timestamp,
/// then the event's own fields).
fn decode_event(cn: &[u8]) -> Option<ProcEvent> {
    if u32_at(cn, 0)? != CN_IDX_PROC || u32_at(cn, 4)? != CN_VAL_PROC {
        return None;
    }
    let ev = cn.get(CN_HEADER..)?;
    let what = u32_at(ev, 0)?;
    let timestamp_ns = u64_at(ev, 8)?;
    let field = |i: usize| u32_at(ev, 16 + 4 * i);
    let kind = match what {
        EVENT_FORK => EventKind::Fork {
            parent_pid: field(0)?,
            parent_tgid: field(1)?,
            child_pid: field(2)?,
            child_tgid: field(3)?,
        },
        EVENT_EXEC => EventKind::Exec {
            pid: field(0)?,
            tgid: field(1)?,
        },
        EVENT_UID => EventKind::Uid {
            pid: field(0)?,
            tgid: field(1)?,
            ruid: field(2)?,
            euid: field(3)?,
        },
        EVENT_GID => EventKind::Gid {
            pid: field(0)?,
            tgid: field(1)?,
            rgid: field(2)?,
            egid: field(3)?,
        },
        EVENT_EXIT => EventKind::Exit {
            pid: field(0)?,
            tgid: field(1)?,
        },
        _ => EventKind::Other,
    };
    Some(ProcEvent { timestamp_ns, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(what: u32, fields: &[u32]) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what.to_ne_bytes());
        ev.extend_from_slice(&0u32.to_ne_bytes());
        ev.extend_from_slice(&77u64.to_ne_bytes());
        for f in fields {
            ev.extend_from_slice(&f.to_ne_bytes());
        }
        let mut msg = listen_request(0);
        msg.truncate(NLMSG_HEADER + CN_HEADER);
        let total = u32::try_from(msg.len() + ev.len()).unwrap();
        msg[0..4].copy_from_slice(&total.to_ne_bytes());
        msg.extend_from_slice(&ev);
        msg
    }

    #[test]
    fn request_is_a_40_byte_listen_message() {
        let r = listen_request(9);
        assert_eq!(r.len(), 40);
        assert_eq!(u32_at(&r, 0), Some(40));
        assert_eq!(u16_at(&r, 4), Some(NLMSG_DONE));
        assert_eq!(u32_at(&r, 12), Some(9));
        assert_eq!(u32_at(&r, 36), Some(PROC_CN_MCAST_LISTEN));
    }

    #[test]
    fn decodes_each_kind() {
        let fork = decode(&message(EVENT_FORK, &[1, 2, 3, 4]));
        assert_eq!(
            fork,
            [ProcEvent {
                timestamp_ns: 77,
                kind: EventKind::Fork {
                    parent_pid: 1,
                    parent_tgid: 2,
                    child_pid: 3,
                    child_tgid: 4
                }
            }]
        );
        let uid = decode(&message(EVENT_UID, &[5, 5, 0, 65534]));
        assert_eq!(
            uid[0].kind,
            EventKind::Uid {
                pid: 5,
                tgid: 5,
                ruid: 0,
                euid: 65534
            }
        );
        let exit = decode(&message(EVENT_EXIT, &[6, 6, 0, 0, 1, 1]));
        assert_eq!(exit[0].kind, EventKind::Exit { pid: 6, tgid: 6 });
        assert_eq!(decode(&message(0x200, &[1, 1]))[0].kind, EventKind::Other);
        // Truncated: nothing.
        let mut short = message(EVENT_EXEC, &[1, 1]);
        short.truncate(30);
        assert!(decode(&short).is_empty());
    }
}
