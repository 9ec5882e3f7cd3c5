//! Network namespace ids (`ip netns set NAME ID`) as our own network namespace knows them,
//! asked of the kernel with one rtnetlink `RTM_GETNSID` request per namespace.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

use crate::nlmsg;

// <linux/rtnetlink.h>, <linux/net_namespace.h>, <linux/netlink.h>
const RTM_NEWNSID: u16 = 88;
const RTM_GETNSID: u16 = 90;
const NETNSA_NSID: u16 = 1;
const NETNSA_FD: u16 = 3;
const NLM_F_REQUEST: u16 = 1;
/// `struct rtgenmsg` (one byte) padded to netlink's 4-byte alignment.
const RTGENMSG_SPACE: usize = 4;

/// What the kernel says about one network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetNsId {
    /// The id our namespace gave it.
    Id(u32),
    /// Our namespace has no id for it (`NETNSA_NSID_NOT_ASSIGNED`).
    Unassigned,
}

/// A netlink route socket for [`NsidQuery::nsid`] requests.
#[derive(Debug)]
pub struct NsidQuery {
    socket: OwnedFd,
}

impl NsidQuery {
    /// Open the socket; `None` when the kernel refuses one (then no id is known, as in
    /// util-linux, which leaves the cells empty).
    pub fn open() -> Option<NsidQuery> {
        rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::RAW,
            SocketFlags::CLOEXEC,
            None, // NETLINK_ROUTE is protocol 0
        )
        .ok()
        .map(|socket| NsidQuery { socket })
    }

    /// The id of the network namespace `ns` (an nsfs file descriptor); `None` when the
    /// kernel does not answer with one.
    pub fn nsid(&self, ns: BorrowedFd<'_>) -> Option<NetNsId> {
        let request = request(ns.as_raw_fd());
        rustix::net::send(&self.socket, &request, SendFlags::empty()).ok()?;
        let mut reply = [0u8; 256];
        let len = rustix::net::recv(&self.socket, &mut reply[..], RecvFlags::empty())
            .ok()?
            .0;
        parse_reply(reply.get(..len)?)
    }
}

/// `nlmsghdr` + `rtgenmsg` + one `NETNSA_FD` attribute.
fn request(fd: i32) -> [u8; 28] {
    let mut msg = [0u8; 28];
    msg[..nlmsg::HEADER_LEN].copy_from_slice(&nlmsg::header(28, RTM_GETNSID, NLM_F_REQUEST, 0));
    // rtgen_family is AF_UNSPEC (0)
    msg[20..22].copy_from_slice(&8u16.to_ne_bytes());
    msg[22..24].copy_from_slice(&NETNSA_FD.to_ne_bytes());
    msg[24..28].copy_from_slice(&fd.to_ne_bytes());
    msg
}

/// The `NETNSA_NSID` attribute of an `RTM_NEWNSID` reply; `None` for an error reply or a
/// malformed one.
pub fn parse_reply(reply: &[u8]) -> Option<NetNsId> {
    let u16_at = |at: usize| nlmsg::u16_at(reply, at);
    let len = usize::try_from(nlmsg::u32_at(reply, 0)?).ok()?;
    if len < nlmsg::HEADER_LEN || len > reply.len() || u16_at(4)? != RTM_NEWNSID {
        return None;
    }
    let mut at = nlmsg::HEADER_LEN + RTGENMSG_SPACE;
    while at + 4 <= len {
        let attr_len = usize::from(u16_at(at)?);
        if attr_len < 4 || at + attr_len > len {
            return None;
        }
        if u16_at(at + 2)? == NETNSA_NSID && attr_len >= 8 {
            let id = i32::from_ne_bytes(reply.get(at + 4..at + 8)?.try_into().ok()?);
            return match id {
                -1 => Some(NetNsId::Unassigned),
                id => u32::try_from(id).ok().map(NetNsId::Id),
            };
        }
        at += attr_len.div_ceil(4) * 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(msg_type: u16, attrs: &[(u16, i32)]) -> Vec<u8> {
        let mut body = vec![0u8; RTGENMSG_SPACE];
        for &(kind, value) in attrs {
            body.extend_from_slice(&8u16.to_ne_bytes());
            body.extend_from_slice(&kind.to_ne_bytes());
            body.extend_from_slice(&value.to_ne_bytes());
        }
        let mut msg = Vec::new();
        msg.extend_from_slice(&((nlmsg::HEADER_LEN + body.len()) as u32).to_ne_bytes());
        msg.extend_from_slice(&msg_type.to_ne_bytes());
        msg.extend_from_slice(&[0u8; 10]);
        msg.extend_from_slice(&body);
        msg
    }

    #[test]
    fn replies() {
        assert_eq!(
            parse_reply(&reply(RTM_NEWNSID, &[(NETNSA_NSID, 7)])),
            Some(NetNsId::Id(7))
        );
        assert_eq!(
            parse_reply(&reply(RTM_NEWNSID, &[(NETNSA_NSID, -1)])),
            Some(NetNsId::Unassigned)
        );
        // the id after another attribute
        assert_eq!(
            parse_reply(&reply(RTM_NEWNSID, &[(5, 1), (NETNSA_NSID, 3)])),
            Some(NetNsId::Id(3))
        );
        // an error reply (NLMSG_ERROR), a truncated one, one without the attribute
        assert_eq!(parse_reply(&reply(2, &[(NETNSA_NSID, 7)])), None);
        assert_eq!(
            parse_reply(&reply(RTM_NEWNSID, &[(NETNSA_NSID, 7)])[..20]),
            None
        );
        assert_eq!(parse_reply(&reply(RTM_NEWNSID, &[(5, 1)])), None);
        assert_eq!(parse_reply(&[]), None);
    }

    #[test]
    fn the_kernel_answers_for_our_own_namespace() {
        let query = NsidQuery::open().unwrap();
        let own = std::fs::File::open("/proc/self/ns/net").unwrap();
        use std::os::fd::AsFd;
        // The kernel answers for our own namespace too; only `ip netns set` gives it an id.
        assert!(query.nsid(own.as_fd()).is_some());
    }
}
