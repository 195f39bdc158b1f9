//! Sending several datagrams with one system call (`sendmmsg`): the replies of one loop turn,
//! or the DHCPACKs of one durable journal batch, leave together. Besides the system calls
//! saved, the receiver (a relay, a client's socket) is woken once per burst instead of once
//! per datagram.

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::AsRawFd;

use nix::libc;

/// One datagram to send: its bytes, and where to (`None` on a connected or packet socket,
/// where the bytes carry their own destination).
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Destination (UDP); `None` for a packet socket's complete frames.
    pub to: Option<SocketAddrV4>,
    /// The datagram or frame.
    pub data: &'a [u8],
}

/// At most this many datagrams per `sendmmsg` call (the kernel's `UIO_MAXIOV` is 1024).
const CHUNK: usize = 64;

fn sockaddr(a: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(a.ip().octets()),
        },
        sin_zero: [0; 8],
    }
}

/// Sends every datagram of `msgs` on `sock`, in order, with as few `sendmmsg` calls as the
/// kernel allows. A datagram the kernel refuses is skipped (the others still go); the
/// refusals come back as (index in `msgs`, error).
#[allow(unsafe_code)]
pub fn send_many(sock: &impl AsRawFd, msgs: &[Datagram<'_>]) -> Vec<(usize, io::Error)> {
    let fd = sock.as_raw_fd();
    let mut failed = Vec::new();
    let mut start = 0;
    while start < msgs.len() {
        let end = msgs.len().min(start + CHUNK);
        let part = &msgs[start..end];
        let mut addrs: Vec<libc::sockaddr_in> = part
            .iter()
            .map(|m| sockaddr(m.to.unwrap_or(SocketAddrV4::new([0; 4].into(), 0))))
            .collect();
        let mut iovs: Vec<libc::iovec> = part
            .iter()
            .map(|m| libc::iovec {
                iov_base: m.data.as_ptr().cast_mut().cast(),
                iov_len: m.data.len(),
            })
            .collect();
        let mut hdrs: Vec<libc::mmsghdr> = part
            .iter()
            .zip(iovs.iter_mut().zip(addrs.iter_mut()))
            .map(|(m, (iov, addr))| {
                // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
                let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
                h.msg_hdr.msg_iov = std::ptr::from_mut(iov);
                h.msg_hdr.msg_iovlen = 1;
                if m.to.is_some() {
                    h.msg_hdr.msg_name = std::ptr::from_mut(addr).cast();
                    h.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_in>() as u32;
                }
                h
            })
            .collect();
        let vlen = u32::try_from(hdrs.len()).unwrap_or(1);
        // SAFETY: `hdrs` holds `vlen` headers whose iovec and name pointers point into `iovs`
        // and `addrs` (and through them to the caller's byte slices), all alive and of the
        // stated lengths for the duration of the call; the kernel only reads them, apart from
        // writing each header's `msg_len`.
        let n = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), vlen, libc::MSG_DONTWAIT) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // The first datagram of the call failed: skip it, go on with the next.
            failed.push((start, e));
            start += 1;
        } else if n == 0 {
            failed.push((start, io::Error::other("sendmmsg sent nothing")));
            start += 1;
        } else {
            start += n as usize;
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::time::Duration;

    #[test]
    fn every_datagram_arrives_in_order_at_its_own_destination() {
        let a = UdpSocket::bind("127.0.0.1:0").expect("a");
        let b = UdpSocket::bind("127.0.0.1:0").expect("b");
        for s in [&a, &b] {
            s.set_read_timeout(Some(Duration::from_secs(2)))
                .expect("timeout");
        }
        let to = |s: &UdpSocket| match s.local_addr().expect("addr") {
            std::net::SocketAddr::V4(v) => v,
            std::net::SocketAddr::V6(_) => unreachable!("bound to IPv4"),
        };
        let (ta, tb) = (to(&a), to(&b));
        let payloads: Vec<Vec<u8>> = (0..150u8).map(|i| vec![i; 1 + usize::from(i)]).collect();
        let msgs: Vec<Datagram<'_>> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| Datagram {
                to: Some(if i % 3 == 0 { tb } else { ta }),
                data: p,
            })
            .collect();
        let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
        let failed = send_many(&sender, &msgs);
        assert!(failed.is_empty(), "{failed:?}");
        let mut buf = [0u8; 512];
        for (i, p) in payloads.iter().enumerate() {
            let s = if i % 3 == 0 { &b } else { &a };
            let (n, _) = s.recv_from(&mut buf).expect("arrives");
            assert_eq!(&buf[..n], &p[..], "datagram {i}");
        }
    }

    #[test]
    fn a_refused_datagram_is_reported_and_the_rest_still_go() {
        let a = UdpSocket::bind("127.0.0.1:0").expect("a");
        a.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let ta = match a.local_addr().expect("addr") {
            std::net::SocketAddr::V4(v) => v,
            std::net::SocketAddr::V6(_) => unreachable!("bound to IPv4"),
        };
        let big = vec![0u8; 70_000]; // larger than any UDP datagram: EMSGSIZE
        let msgs = [
            Datagram {
                to: Some(ta),
                data: b"one",
            },
            Datagram {
                to: Some(ta),
                data: &big,
            },
            Datagram {
                to: Some(ta),
                data: b"three",
            },
        ];
        let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
        let failed = send_many(&sender, &msgs);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert_eq!(failed[0].0, 1);
        let mut buf = [0u8; 64];
        for want in [&b"one"[..], b"three"] {
            let (n, _) = a.recv_from(&mut buf).expect("arrives");
            assert_eq!(&buf[..n], want);
        }
    }
}
