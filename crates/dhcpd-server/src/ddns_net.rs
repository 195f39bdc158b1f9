//! The DDNS socket: one UDP socket on an ephemeral port (as ISC's DNS client uses) through
//! which the engine's UPDATE messages go to the zones' primaries and their answers come back.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::SystemTime;

use dhcpd_core::Engine;
use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};

/// The socket, registered in the loop's `Poll`.
#[derive(Debug)]
pub struct DdnsNet {
    sock: UdpSocket,
}

impl DdnsNet {
    /// Opens the socket (0.0.0.0, a port the kernel picks), non-blocking.
    pub fn open() -> io::Result<DdnsNet> {
        let sock = UdpSocket::bind(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)))?;
        Ok(DdnsNet { sock })
    }

    /// Registers it for reading under `token`.
    pub fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.sock, token, Interest::READABLE)
    }

    /// Deregisters it.
    pub fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.sock);
    }

    /// Sends one message.
    pub fn send(&self, to: SocketAddrV4, payload: &[u8]) {
        if let Err(e) = self.sock.send_to(payload, SocketAddr::V4(to)) {
            log::error!("DDNS: send to {to}: {e}");
        }
    }

    /// Hands every waiting answer to the engine.
    pub fn read_all<E: Engine>(&self, engine: &mut E) {
        let mut buf = [0u8; 4096];
        loop {
            match self.sock.recv_from(&mut buf) {
                Ok((n, SocketAddr::V4(from))) => {
                    engine.handle_dns_response(SystemTime::now(), from, &buf[..n]);
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::error!("DDNS: receive: {e}");
                    return;
                }
            }
        }
    }
}
