//! The peers of connected unix sockets, asked of the kernel's `sock_diag` netlink interface
//! (`/proc/net/unix` lists the sockets but not who is connected to whom).
//!
//! The kernel answers for the network namespace the asking socket lives in: another
//! namespace is asked from a thread moved into it (`setns`, which needs CAP_SYS_ADMIN).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use rustix::net::netlink::{self, SocketAddrNetlink};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketType};

/// `SOCK_DIAG_BY_FAMILY`, the request and answer type.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
/// `NLM_F_REQUEST | NLM_F_DUMP`.
const DUMP: u16 = 0x1 | 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
/// `UDIAG_SHOW_PEER`, and the attribute it adds (`UNIX_DIAG_PEER`).
const SHOW_PEER: u32 = 0x4;
const UNIX_DIAG_PEER: u16 = 2;
/// `struct nlmsghdr` and `struct unix_diag_msg`.
const HEADER: usize = 16;
const DIAG_MSG: usize = 16;

/// Socket inode -> its peer's inode, for every connected unix socket of the scanner's
/// network namespace.
pub fn peers() -> io::Result<BTreeMap<u64, u64>> {
    let fd = rustix::net::socket(AddressFamily::NETLINK, SocketType::DGRAM, Some(netlink::SOCK_DIAG))?;
    rustix::net::sendto(&fd, &request(), SendFlags::empty(), &SocketAddrNetlink::new(0, 0))?;
    let mut found = BTreeMap::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let (n, _) = rustix::net::recv(&fd, &mut buf[..], RecvFlags::empty())?;
        if parse(&buf[..n], &mut found)? {
            return Ok(found);
        }
    }
}

/// The same for the network namespace `ns` names (a `/proc/PID/ns/net` link), asked from a
/// thread moved into it.
pub fn peers_in(ns: &Path) -> io::Result<BTreeMap<u64, u64>> {
    let file = std::fs::File::open(ns)?;
    std::thread::scope(|s| {
        s.spawn(|| {
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&file),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )?;
            peers()
        })
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the thread asking for unix peers panicked")))
    })
}

/// A dump of every unix socket (all states) with its peer.
fn request() -> [u8; HEADER + 24] {
    let mut r = [0u8; HEADER + 24];
    r[0..4].copy_from_slice(&((HEADER + 24) as u32).to_ne_bytes());
    r[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r[6..8].copy_from_slice(&DUMP.to_ne_bytes());
    // struct unix_diag_req: family, protocol, pad, states, ino, show, cookie.
    r[HEADER] = 1; // AF_UNIX
    r[HEADER + 4..HEADER + 8].copy_from_slice(&u32::MAX.to_ne_bytes());
    r[HEADER + 12..HEADER + 16].copy_from_slice(&SHOW_PEER.to_ne_bytes());
    r
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn malformed(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("sock_diag answer: {what}"))
}

/// Reads one datagram of the answer into `found`; true once the dump is done.
fn parse(mut b: &[u8], found: &mut BTreeMap<u64, u64>) -> io::Result<bool> {
    while !b.is_empty() {
        let (Some(len), Some(ty)) = (u32_at(b, 0), u16_at(b, 4)) else { return Err(malformed("a cut header")) };
        let len = len as usize;
        if len < HEADER || len > b.len() {
            return Err(malformed("a message longer than the datagram or shorter than its header"));
        }
        let body = &b[HEADER..len];
        match ty {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => {
                let code = u32_at(body, 0).ok_or_else(|| malformed("a cut error"))? as i32;
                return Err(io::Error::from_raw_os_error(code.wrapping_neg()));
            }
            SOCK_DIAG_BY_FAMILY => {
                let inode = u32_at(body, 4).ok_or_else(|| malformed("a cut socket"))?;
                let mut attrs = body.get(DIAG_MSG..).unwrap_or_default();
                while let (Some(alen), Some(aty)) = (u16_at(attrs, 0), u16_at(attrs, 2)) {
                    let alen = alen as usize;
                    if alen < 4 || alen > attrs.len() {
                        return Err(malformed("an attribute longer than its message"));
                    }
                    if aty == UNIX_DIAG_PEER {
                        if let Some(peer) = u32_at(attrs, 4).filter(|p| *p != 0) {
                            found.insert(u64::from(inode), u64::from(peer));
                        }
                    }
                    attrs = attrs.get(align(alen)..).unwrap_or_default();
                }
            }
            _ => {}
        }
        b = b.get(align(len)..).unwrap_or_default();
    }
    Ok(false)
}

/// Netlink messages and attributes are 4-byte aligned.
fn align(n: usize) -> usize {
    (n + 3) & !3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(ty: u16, body: &[u8]) -> Vec<u8> {
        let mut m = ((HEADER + body.len()) as u32).to_ne_bytes().to_vec();
        m.extend(ty.to_ne_bytes());
        m.extend([0u8; 10]);
        m.extend(body);
        while !m.len().is_multiple_of(4) {
            m.push(0);
        }
        m
    }

    fn socket(inode: u32, peer: Option<u32>) -> Vec<u8> {
        let mut body = vec![1u8, 1, 1, 0];
        body.extend(inode.to_ne_bytes());
        body.extend([0u8; 8]);
        body.extend([8u8, 0, 9, 0, 1, 2, 3, 4]); // an attribute of another type, first
        if let Some(p) = peer {
            body.extend(8u16.to_ne_bytes());
            body.extend(UNIX_DIAG_PEER.to_ne_bytes());
            body.extend(p.to_ne_bytes());
        }
        message(SOCK_DIAG_BY_FAMILY, &body)
    }

    #[test]
    fn sockets_with_peers_are_found_and_the_dump_ends() {
        let mut found = BTreeMap::new();
        let dgram = [socket(10, Some(11)), socket(11, Some(10)), socket(12, None)].concat();
        assert!(!parse(&dgram, &mut found).expect("parses"));
        assert!(parse(&message(NLMSG_DONE, &[0; 4]), &mut found).expect("parses"));
        assert_eq!(found, BTreeMap::from([(10, 11), (11, 10)]));
    }

    #[test]
    fn errors_and_cut_or_lying_lengths_are_errors_not_panics() {
        let mut found = BTreeMap::new();
        let err = parse(&message(NLMSG_ERROR, &(-13i32).to_ne_bytes()), &mut found).expect_err("an error");
        assert_eq!(err.raw_os_error(), Some(13));
        let good = socket(10, Some(11));
        for cut in 1..good.len() {
            let _ = parse(&good[..cut], &mut found);
        }
        let mut lying = good.clone();
        lying[0..4].copy_from_slice(&1000u32.to_ne_bytes());
        assert!(parse(&lying, &mut found).is_err());
        let mut lying_attr = good;
        let at = HEADER + DIAG_MSG;
        lying_attr[at..at + 2].copy_from_slice(&200u16.to_ne_bytes());
        assert!(parse(&lying_attr, &mut found).is_err());
    }

    #[test]
    fn the_kernel_names_the_peers_of_a_socket_pair() {
        let (a, b) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let inode = |s| rustix::fs::fstat(s).map(|st| st.st_ino).expect("fstat");
        let (a, b) = (inode(&a), inode(&b));
        let found = peers().expect("sock_diag answers");
        assert_eq!((found.get(&a), found.get(&b)), (Some(&b), Some(&a)));
    }
}
