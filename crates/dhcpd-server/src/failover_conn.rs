//! Failover TCP links, as ISC dhcpd 4.4 runs them: per `failover peer` block a listener on
//! our `address`:`port` that accepts only the configured `peer address`, and an outgoing
//! connection to `peer address`:`peer port` from our `address`, tried again every 5 s while
//! there is no link. The first connection up (either direction) carries the relationship;
//! a second one is closed as ISC closes it (a secondary answers its CONNECT with CONNECTACK
//! reject-reason 7 "already connected" first).
//!
//! Streams are non-blocking mio sockets; the interest is recomputed from the queued output
//! after every write (readable always, writable only while bytes wait or a connect is in
//! progress). Bytes go through a [`StreamDecoder`]; messages go to the engine
//! ([`FailoverEngine`]), whose output is written only after the turn's journal flush.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant, SystemTime};

use dhcpd_core::{FailoverEngine, FailoverLink};
use dhcpd_failover::body::{Body, ConnectAck};
use dhcpd_failover::{RejectReason, StreamDecoder};
use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

/// Tokens from here on belong to failover sockets.
pub const FIRST_TOKEN: usize = 1 << 20;
/// ISC's interval between connection attempts.
pub const RECONNECT: Duration = Duration::from_secs(5);
/// How long a rejected second connection may wait for its CONNECT.
const SECOND_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Listener,
    /// The connection that carries (or is about to carry) the relationship.
    Link,
    /// An outgoing connect in progress.
    Connecting,
    /// A surplus connection being turned away.
    Surplus,
}

#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    token: Token,
    decoder: StreamDecoder,
    out: Vec<u8>,
    interest: Interest,
    opened: Instant,
    closing: bool,
}

impl Conn {
    fn new(stream: TcpStream, token: Token, interest: Interest) -> Conn {
        Conn {
            stream,
            token,
            decoder: StreamDecoder::new(),
            out: Vec::new(),
            interest,
            opened: Instant::now(),
            closing: false,
        }
    }

    /// Writes what it can; `Err` when the connection is broken.
    fn write_out(&mut self) -> io::Result<()> {
        while !self.out.is_empty() {
            match self.stream.write(&self.out) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what is there into the decoder; `Ok(false)` at end of stream.
    fn read_in(&mut self) -> io::Result<bool> {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => self.decoder.push(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn wanted(&self) -> Interest {
        if self.out.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        }
    }

    fn update_interest(&mut self, reg: &Registry) -> io::Result<()> {
        let w = self.wanted();
        if w != self.interest {
            reg.reregister(&mut self.stream, self.token, w)?;
            self.interest = w;
        }
        Ok(())
    }
}

#[derive(Debug)]
struct LinkNet {
    cfg: FailoverLink,
    secondary: bool,
    listener: Option<(TcpListener, Token)>,
    link: Option<Conn>,
    connecting: Option<Conn>,
    surplus: Vec<Conn>,
    next_connect: Instant,
}

/// Every failover link of the server.
#[derive(Debug)]
pub struct FailoverNet {
    links: Vec<LinkNet>,
    tokens: HashMap<Token, (usize, Kind)>,
    next_token: usize,
}

fn v4(a: SocketAddr) -> Option<Ipv4Addr> {
    match a {
        SocketAddr::V4(a) => Some(*a.ip()),
        SocketAddr::V6(a) => a.ip().to_ipv4_mapped(),
    }
}

/// Opens a non-blocking connection from `local` (port chosen by the kernel) to `peer`.
fn connect_from(local: Option<Ipv4Addr>, peer: SocketAddrV4) -> io::Result<TcpStream> {
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
    s.set_cloexec(true)?;
    if let Some(ip) = local {
        s.bind(&SockAddr::from(SocketAddrV4::new(ip, 0)))?;
    }
    s.set_nonblocking(true)?;
    match s.connect(&SockAddr::from(peer)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(115) || e.kind() == io::ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(TcpStream::from_std(std::net::TcpStream::from(s)))
}

impl FailoverNet {
    /// Opens the listeners of the engine's relationships (as root, before privileges are
    /// dropped). A listener that cannot be bound is logged; the outgoing connection still
    /// works.
    pub fn open(links: Vec<FailoverLink>) -> FailoverNet {
        let mut net = FailoverNet {
            links: Vec::new(),
            tokens: HashMap::new(),
            next_token: FIRST_TOKEN,
        };
        for (i, cfg) in links.into_iter().enumerate() {
            let secondary = cfg.secondary;
            let addr = SocketAddrV4::new(cfg.local.unwrap_or(Ipv4Addr::UNSPECIFIED), cfg.port);
            let listener = match TcpListener::bind(addr.into()) {
                Ok(l) => {
                    let t = net.token(i, Kind::Listener);
                    Some((l, t))
                }
                Err(e) => {
                    log::error!("failover peer {}: can't listen on {addr}: {e}", cfg.name);
                    None
                }
            };
            net.links.push(LinkNet {
                cfg,
                secondary,
                listener,
                link: None,
                connecting: None,
                surplus: Vec::new(),
                next_connect: Instant::now(),
            });
        }
        net
    }

    fn token(&mut self, link: usize, kind: Kind) -> Token {
        let t = Token(self.next_token);
        self.next_token += 1;
        self.tokens.insert(t, (link, kind));
        t
    }

    /// Registers the listeners with the poll.
    pub fn register(&mut self, reg: &Registry) -> io::Result<()> {
        for l in &mut self.links {
            if let Some((s, t)) = l.listener.as_mut() {
                reg.register(s, *t, Interest::READABLE)?;
            }
        }
        Ok(())
    }

    /// Deregisters everything (the loop is returning).
    pub fn deregister(&mut self, reg: &Registry) {
        for l in &mut self.links {
            if let Some((s, _)) = l.listener.as_mut() {
                let _ = reg.deregister(s);
            }
            for c in l
                .link
                .iter_mut()
                .chain(l.connecting.iter_mut())
                .chain(l.surplus.iter_mut())
            {
                let _ = reg.deregister(&mut c.stream);
            }
        }
    }

    /// Whether a token is ours.
    pub fn owns(&self, t: Token) -> bool {
        self.tokens.contains_key(&t)
    }

    /// The next moment [`FailoverNet::handle_timeout`] has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.links
            .iter()
            .flat_map(|l| {
                let c = (l.link.is_none() && l.connecting.is_none()).then_some(l.next_connect);
                let s = l.surplus.iter().map(|c| c.opened + SECOND_TIMEOUT).min();
                let p = l.connecting.as_ref().map(|c| c.opened + SECOND_TIMEOUT);
                [c, s, p]
            })
            .flatten()
            .min()
    }

    /// Starts due connection attempts and drops stale surplus connections.
    pub fn handle_timeout<E: FailoverEngine>(&mut self, engine: &mut E, reg: &Registry) {
        let now = Instant::now();
        for i in 0..self.links.len() {
            let l = &mut self.links[i];
            let stale: Vec<usize> = (0..l.surplus.len())
                .filter(|&k| l.surplus[k].opened + SECOND_TIMEOUT <= now)
                .collect();
            for k in stale.into_iter().rev() {
                let mut c = l.surplus.remove(k);
                let _ = reg.deregister(&mut c.stream);
                self.tokens.remove(&c.token);
            }
            if l.connecting
                .as_ref()
                .is_some_and(|c| c.opened + SECOND_TIMEOUT <= now)
            {
                if let Some(mut c) = l.connecting.take() {
                    let _ = reg.deregister(&mut c.stream);
                    self.tokens.remove(&c.token);
                }
            }
            let l = &self.links[i];
            if l.link.is_some() || l.connecting.is_some() || l.next_connect > now {
                continue;
            }
            self.links[i].next_connect = now + RECONNECT;
            let (local, peer) = (
                self.links[i].cfg.local,
                SocketAddrV4::new(self.links[i].cfg.peer, self.links[i].cfg.peer_port),
            );
            match connect_from(local, peer) {
                Ok(mut s) => {
                    let t = self.token(i, Kind::Connecting);
                    let interest = Interest::READABLE | Interest::WRITABLE;
                    if reg.register(&mut s, t, interest).is_ok() {
                        self.links[i].connecting = Some(Conn::new(s, t, interest));
                    } else {
                        self.tokens.remove(&t);
                    }
                }
                Err(e) => log::debug!(
                    "failover peer {}: connect to {peer}: {e}",
                    self.links[i].cfg.name
                ),
            }
        }
        let _ = engine;
    }

    /// One readiness event on a failover token.
    pub fn handle_event<E: FailoverEngine>(
        &mut self,
        engine: &mut E,
        reg: &Registry,
        token: Token,
        readable: bool,
        writable: bool,
    ) {
        let Some(&(i, kind)) = self.tokens.get(&token) else {
            return;
        };
        match kind {
            Kind::Listener => self.accept(engine, reg, i),
            Kind::Connecting => self.connect_done(engine, reg, i),
            Kind::Link => self.link_io(engine, reg, i, readable, writable),
            Kind::Surplus => self.surplus_io(reg, i, token),
        }
    }

    fn accept<E: FailoverEngine>(&mut self, engine: &mut E, reg: &Registry, i: usize) {
        loop {
            let Some((listener, _)) = self.links[i].listener.as_ref() else {
                return;
            };
            let (mut s, from) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::error!("failover: listener: accept: {e}");
                    return;
                }
            };
            if v4(from) != Some(self.links[i].cfg.peer) {
                log::error!("failover: listener: no matching state");
                let _ = s.shutdown(Shutdown::Both);
                continue;
            }
            if self.links[i].link.is_some() {
                self.add_surplus(reg, i, s);
                continue;
            }
            let t = self.token(i, Kind::Link);
            if reg.register(&mut s, t, Interest::READABLE).is_err() {
                self.tokens.remove(&t);
                continue;
            }
            self.links[i].link = Some(Conn::new(s, t, Interest::READABLE));
            // An outgoing attempt still in progress is no longer needed.
            if let Some(mut c) = self.links[i].connecting.take() {
                let _ = reg.deregister(&mut c.stream);
                self.tokens.remove(&c.token);
            }
            engine.failover_connected(i, SystemTime::now());
        }
    }

    fn add_surplus(&mut self, reg: &Registry, i: usize, mut s: TcpStream) {
        if !self.links[i].secondary {
            // A primary simply drops it (its own CONNECT goes out on the link it keeps).
            let _ = s.shutdown(Shutdown::Both);
            return;
        }
        let t = self.token(i, Kind::Surplus);
        if reg.register(&mut s, t, Interest::READABLE).is_err() {
            self.tokens.remove(&t);
            return;
        }
        self.links[i]
            .surplus
            .push(Conn::new(s, t, Interest::READABLE));
    }

    fn connect_done<E: FailoverEngine>(&mut self, engine: &mut E, reg: &Registry, i: usize) {
        let Some(c) = self.links[i].connecting.as_mut() else {
            return;
        };
        let failed = match c.stream.take_error() {
            Ok(Some(_)) | Err(_) => true,
            Ok(None) => false,
        };
        let connected = !failed && c.stream.peer_addr().is_ok();
        if !failed && !connected {
            return; // not yet
        }
        let Some(mut c) = self.links[i].connecting.take() else {
            return;
        };
        self.tokens.remove(&c.token);
        if failed {
            let _ = reg.deregister(&mut c.stream);
            return;
        }
        if self.links[i].link.is_some() {
            let _ = reg.deregister(&mut c.stream);
            let _ = c.stream.shutdown(Shutdown::Both);
            return;
        }
        let t = self.token(i, Kind::Link);
        c.token = t;
        c.opened = Instant::now();
        if reg
            .reregister(&mut c.stream, t, Interest::READABLE)
            .is_err()
        {
            self.tokens.remove(&t);
            return;
        }
        c.interest = Interest::READABLE;
        self.links[i].link = Some(c);
        engine.failover_connected(i, SystemTime::now());
    }

    fn drop_link<E: FailoverEngine>(&mut self, engine: &mut E, reg: &Registry, i: usize) {
        if let Some(mut c) = self.links[i].link.take() {
            let _ = c.write_out();
            let _ = reg.deregister(&mut c.stream);
            let _ = c.stream.shutdown(Shutdown::Both);
            self.tokens.remove(&c.token);
            engine.failover_disconnected(i, SystemTime::now());
            // Whatever the state machine queued for the old link is void.
            while engine.failover_poll_transmit(i).is_some() {}
            self.links[i].next_connect = Instant::now() + RECONNECT;
        }
    }

    fn link_io<E: FailoverEngine>(
        &mut self,
        engine: &mut E,
        reg: &Registry,
        i: usize,
        readable: bool,
        writable: bool,
    ) {
        let Some(c) = self.links[i].link.as_mut() else {
            return;
        };
        let mut broken = false;
        if writable && c.write_out().is_err() {
            broken = true;
        }
        if readable && !broken {
            match c.read_in() {
                Ok(true) => {}
                Ok(false) | Err(_) => broken = true,
            }
            // Messages received before the end of the stream still count.
            loop {
                let Some(c) = self.links[i].link.as_mut() else {
                    return;
                };
                match c.decoder.next_message() {
                    None => break,
                    Some(Ok(m)) => {
                        if !engine.failover_message(i, SystemTime::now(), m) {
                            broken = true;
                            break;
                        }
                    }
                    Some(Err(e)) => {
                        log::error!("failover peer {}: {e}", self.links[i].cfg.name);
                        broken = true;
                        break;
                    }
                }
            }
        }
        if broken {
            self.drop_link(engine, reg, i);
        } else if let Some(c) = self.links[i].link.as_mut() {
            let _ = c.update_interest(reg);
        }
    }

    fn surplus_io(&mut self, reg: &Registry, i: usize, token: Token) {
        let Some(k) = self.links[i].surplus.iter().position(|c| c.token == token) else {
            return;
        };
        let c = &mut self.links[i].surplus[k];
        let mut done = c.write_out().is_err() || (c.closing && c.out.is_empty());
        if !done && !c.closing {
            let open = c.read_in().unwrap_or(false);
            if let Some(Ok(m)) = c.decoder.next_message() {
                if let Ok(Body::Connect(conn)) = Body::parse(&m) {
                    let ack = ConnectAck {
                        name: conn.name.clone(),
                        max_unacked: None,
                        receive_timer: None,
                        vendor_class: Some(b"isc-4.4.3-P1".to_vec()),
                        protocol_version: Some(1),
                        tls_reply: conn.tls_request.map(|_| 0),
                        reject: Some(RejectReason::DuplicateConnection),
                        message: Some(b"already connected".to_vec()),
                    };
                    let now = dhcpd_core_now();
                    ack.to_message(now, m.xid).encode(&mut c.out);
                    c.closing = true;
                    let _ = c.write_out();
                    done = c.out.is_empty();
                }
            } else if !open {
                done = true;
            }
        }
        if done {
            let mut c = self.links[i].surplus.remove(k);
            let _ = reg.deregister(&mut c.stream);
            let _ = c.stream.shutdown(Shutdown::Both);
            self.tokens.remove(&c.token);
        } else {
            let _ = self.links[i].surplus[k].update_interest(reg);
        }
    }

    /// End of a turn, step 1: closes what the state machines gave up and moves their queued
    /// messages into the connections' output buffers, **without** writing. Returns whether
    /// anything was queued: then the caller makes the journal durable and calls
    /// [`FailoverNet::write`].
    pub fn collect<E: FailoverEngine>(&mut self, engine: &mut E, reg: &Registry) -> bool {
        let mut any = false;
        for i in 0..self.links.len() {
            if engine.failover_poll_close(i) {
                self.drop_link(engine, reg, i);
                continue;
            }
            let Some(c) = self.links[i].link.as_mut() else {
                while engine.failover_poll_transmit(i).is_some() {}
                continue;
            };
            while let Some(m) = engine.failover_poll_transmit(i) {
                m.encode(&mut c.out);
                any = true;
            }
        }
        any
    }

    /// End of a turn, step 2 (after the journal flush): writes what is queued.
    pub fn write<E: FailoverEngine>(&mut self, engine: &mut E, reg: &Registry) {
        for i in 0..self.links.len() {
            let Some(c) = self.links[i].link.as_mut() else {
                continue;
            };
            if c.write_out().is_err() {
                self.drop_link(engine, reg, i);
                continue;
            }
            if let Some(c) = self.links[i].link.as_mut() {
                let _ = c.update_interest(reg);
            }
        }
    }

    /// Whether the state machine of link `i` is waiting for bytes to drain (tests).
    pub fn has_link(&self, i: usize) -> bool {
        self.links.get(i).is_some_and(|l| l.link.is_some())
    }

    /// Closes every connection (shutdown).
    pub fn close_all(&mut self, reg: &Registry) {
        for l in &mut self.links {
            for c in l
                .link
                .iter_mut()
                .chain(l.connecting.iter_mut())
                .chain(l.surplus.iter_mut())
            {
                let _ = c.write_out();
                let _ = reg.deregister(&mut c.stream);
                let _ = c.stream.shutdown(Shutdown::Both);
            }
            l.link = None;
            l.connecting = None;
            l.surplus.clear();
        }
    }
}

fn dhcpd_core_now() -> u32 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
}
