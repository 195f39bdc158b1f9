//! The UDP port-67 socket: replies to relays (giaddr) and to renewing clients (ciaddr) go
//! through it so that the kernel routes and resolves them, as ISC's "fallback" socket does.
//! Being bound, it also stops the kernel from answering relayed requests with ICMP port
//! unreachable. It never needs to receive: the packet sockets see the same requests (ISC
//! reads and discards what its fallback socket receives). So a socket filter that accepts
//! nothing is attached to it: the kernel drops each copy on arrival, and the server spends
//! no wake-up and no system call on it.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};

use socket2::{Domain, Protocol, SockFilter, Socket, Type};

/// Classic BPF `ret #0`: accept no byte of any packet.
const DROP_ALL: [(u16, u8, u8, u32); 1] = [(0x06, 0, 0, 0)];

/// Opens `0.0.0.0:port` with SO_REUSEADDR and SO_BROADCAST, non-blocking, for sending only:
/// everything it would receive is dropped by the kernel (see the module comment).
pub fn open_udp(port: u16) -> io::Result<UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    sock.set_broadcast(true)?;
    sock.set_nonblocking(true)?;
    let prog: Vec<SockFilter> = DROP_ALL
        .iter()
        .map(|&(code, jt, jf, k)| SockFilter::new(code, jt, jf, k))
        .collect();
    sock.attach_filter(&prog)?;
    sock.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port).into())?;
    Ok(sock.into())
}

/// Opens a UDP socket bound to `addr:port` (tests, and `-s`-style sending), non-blocking.
pub fn open_udp_at(addr: Ipv4Addr, port: u16) -> io::Result<mio::net::UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    sock.set_broadcast(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&SocketAddrV4::new(addr, port).into())?;
    Ok(mio::net::UdpSocket::from_std(sock.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_socket_sends_and_receives_nothing() {
        // An unprivileged port on loopback stands in for 67.
        let port = 20000 + (std::process::id() % 20000) as u16;
        let s = open_udp(port).expect("open");
        let peer = UdpSocket::bind("127.0.0.1:0").expect("peer");
        peer.set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .expect("timeout");
        let to = peer.local_addr().expect("addr");
        s.send_to(b"reply", to).expect("send");
        let mut buf = [0u8; 64];
        let (n, _) = peer.recv_from(&mut buf).expect("the reply arrives");
        assert_eq!(&buf[..n], b"reply");
        peer.send_to(b"request", ("127.0.0.1", port)).expect("send");
        std::thread::sleep(std::time::Duration::from_millis(100));
        let e = s.recv_from(&mut buf).expect_err("the filter drops it");
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
}
