//! The UDP port-67 socket: replies to relays (giaddr) and to renewing clients (ciaddr) go
//! through it so that the kernel routes and resolves them, as ISC's "fallback" socket does.
//! Being bound, it also stops the kernel from answering relayed requests with ICMP port
//! unreachable; what it receives is read and dropped by the server (the packet sockets see
//! the same requests).

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};

use socket2::{Domain, Protocol, Socket, Type};

/// Opens `0.0.0.0:port` with SO_REUSEADDR and SO_BROADCAST, non-blocking, as a mio socket.
pub fn open_udp(port: u16) -> io::Result<mio::net::UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    sock.set_broadcast(true)?;
    sock.set_nonblocking(true)?;
    sock.bind(&SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port).into())?;
    Ok(mio::net::UdpSocket::from_std(sock.into()))
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
