//! The ICMP echo socket of `ping-check`: before offering an address, ISC dhcpd sends it an
//! ICMP echo request and holds the OFFER back; an echo reply from the address means some host
//! already uses it. A raw `IPPROTO_ICMP` socket (opened as root, before privileges are given
//! up; it keeps working afterwards), non-blocking and registered with mio. The kernel hands
//! a raw ICMP socket every ICMP datagram the host receives, IPv4 header included;
//! [`parse_echo_reply`] keeps the echo replies.

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol, Socket, Type};

const ECHO_REPLY: u8 = 0;
const ECHO_REQUEST: u8 = 8;

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request (type 8) with identifier `id`, sequence `seq` and `payload`.
pub fn echo_request(id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(8 + payload.len());
    p.extend_from_slice(&[ECHO_REQUEST, 0, 0, 0]);
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(payload);
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// The sender and ICMP identifier of an echo reply, from a datagram as a raw ICMP socket
/// delivers it (IPv4 header first); `None` for anything else or anything malformed.
pub fn parse_echo_reply(dgram: &[u8]) -> Option<(Ipv4Addr, u16)> {
    let first = *dgram.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < 20 || dgram.get(9) != Some(&1) {
        return None;
    }
    let src = dgram.get(12..16)?;
    let icmp = dgram.get(ihl..)?;
    if icmp.len() < 8 || icmp[0] != ECHO_REPLY || icmp[1] != 0 {
        return None;
    }
    Some((
        Ipv4Addr::new(src[0], src[1], src[2], src[3]),
        u16::from_be_bytes([icmp[4], icmp[5]]),
    ))
}

/// The raw ICMP socket.
#[derive(Debug)]
pub struct IcmpSocket {
    sock: Socket,
}

impl IcmpSocket {
    /// Opens the socket (needs CAP_NET_RAW, only while opening).
    pub fn open() -> io::Result<Self> {
        let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
        sock.set_nonblocking(true)?;
        Ok(IcmpSocket { sock })
    }

    /// Sends an echo request to `addr`.
    pub fn send_echo(&self, addr: Ipv4Addr, id: u16) -> io::Result<()> {
        let pkt = echo_request(id, 0, b"dhcpd-rs ping-check");
        self.sock
            .send_to(&pkt, &SocketAddrV4::new(addr, 0).into())
            .map(drop)
    }

    /// The next echo reply waiting on the socket: its sender and identifier. Skips other
    /// ICMP messages; `Ok(None)` when nothing is left to read.
    pub fn recv_reply(&self) -> io::Result<Option<(Ipv4Addr, u16)>> {
        let mut buf = [0u8; 2048];
        loop {
            match (&self.sock).read(&mut buf) {
                Ok(n) => {
                    if let Some(r) = buf.get(..n).and_then(parse_echo_reply) {
                        return Ok(Some(r));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Source for IcmpSocket {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.sock.as_raw_fd()).deregister(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_checksums_to_zero() {
        let p = echo_request(0x1234, 7, b"abc");
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
        assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
        assert_ne!(&p[2..4], &[0, 0]);
    }

    fn reply(ty: u8, proto: u8) -> Vec<u8> {
        let mut d = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, proto, 0, 0];
        d.extend_from_slice(&[198, 51, 100, 50, 198, 51, 100, 1]);
        d.extend_from_slice(&[ty, 0, 0, 0, 0xab, 0xcd, 0, 0]);
        d
    }

    #[test]
    fn parses_echo_replies_only() {
        assert_eq!(
            parse_echo_reply(&reply(0, 1)),
            Some((Ipv4Addr::new(198, 51, 100, 50), 0xabcd))
        );
        assert_eq!(parse_echo_reply(&reply(8, 1)), None, "a request");
        assert_eq!(parse_echo_reply(&reply(3, 1)), None, "unreachable");
        assert_eq!(parse_echo_reply(&reply(0, 17)), None, "not ICMP");
        assert_eq!(parse_echo_reply(&reply(0, 1)[..25]), None, "truncated");
        assert_eq!(parse_echo_reply(&[]), None);
    }

    #[test]
    fn pings_loopback_and_reads_the_reply() {
        let Ok(s) = IcmpSocket::open() else {
            eprintln!("no CAP_NET_RAW: raw ICMP socket not tested here");
            return;
        };
        s.send_echo(Ipv4Addr::LOCALHOST, 0x4242).expect("send");
        let end = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut got = None;
        while std::time::Instant::now() < end && got.is_none() {
            // Other processes' echo replies reach a raw socket too: wait for ours.
            got = s.recv_reply().expect("recv").filter(|r| r.1 == 0x4242);
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(got, Some((Ipv4Addr::LOCALHOST, 0x4242)));
    }
}
