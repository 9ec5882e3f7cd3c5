//! What netlink messages share, for the two modules that speak it (`netnsid` over
//! NETLINK_ROUTE, `procevents` over NETLINK_CONNECTOR): the header `struct nlmsghdr` and
//! reading its native-endian fields out of a datagram without trusting its lengths.

/// `sizeof(struct nlmsghdr)`: length, type, flags, sequence number, port id.
pub(crate) const HEADER_LEN: usize = 16;

/// A `struct nlmsghdr` for a message of `total` bytes (header included) of type `kind`, with
/// `flags`, sequence number 0 and port id `port`.
pub(crate) fn header(total: usize, kind: u16, flags: u16, port: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_ne_bytes());
    h[4..6].copy_from_slice(&kind.to_ne_bytes());
    h[6..8].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&port.to_ne_bytes());
    h
}

/// The native-endian `u16` at byte `at`, if the bytes are there.
pub(crate) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// The native-endian `u32` at byte `at`, if the bytes are there.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The native-endian `u64` at byte `at`, if the bytes are there.
pub(crate) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}
