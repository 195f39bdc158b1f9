//! The event loop: one mio `Poll` over the packet socket of every served interface, the UDP
//! port-67 socket and the signals, driving a sans-IO [`Engine`].
//!
//! Each turn: read everything that is ready, hand each datagram to the engine, execute its
//! actions (send now, or stage a lease record with the reply that waits for it), then send the
//! replies of the batch the journal's writer thread has made durable, and hand it everything
//! staged since as the next batch: **one** write and fdatasync per batch (group commit), and
//! no reply that waits for a record leaves before that record is on disk. The loop never
//! blocks on the disk: while a batch syncs it goes on reading the sockets, and whatever it
//! stages meanwhile forms the next batch. On stop or reload everything staged is flushed
//! before [`run`] returns. Timers: the engine's `poll_timeout` bounds the wait. `ping-check`: the
//! engine's [`Action::Ping`] goes out on the ICMP socket, echo replies go back to the engine.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use dhcpd_core::{Action, Engine, Level, Received, Route, Transmit};
use dhcpd_sys::icmp::IcmpSocket;
use dhcpd_sys::packet::PacketSocket;
use dhcpd_sys::signals::{SIGHUP, SIGINT, SIGTERM, Signals};
use dhcpd_wire::frame::{FrameSpec, RxChecksums, parse_frame};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::journal::Journal;

const UDP: Token = Token(0);
const SIGNALS: Token = Token(1);
const ICMP: Token = Token(2);
const JOURNAL: Token = Token(3);
const FIRST_IFACE: usize = 16;

/// An interface the server serves.
#[derive(Debug)]
pub struct ServedInterface {
    /// Name (`eth0`).
    pub name: String,
    /// Kernel index.
    pub index: u32,
    /// Hardware address (source of our frames).
    pub mac: [u8; 6],
    /// The packet socket bound to it.
    pub sock: PacketSocket,
}

/// Why the loop returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// SIGTERM or SIGINT: stop (the journal is flushed).
    Stop,
    /// SIGHUP: reload the configuration, then call [`run`] again.
    Reload,
}

/// Sockets and the journal the loop works with.
#[derive(Debug)]
pub struct Io {
    /// Served interfaces.
    pub ifaces: Vec<ServedInterface>,
    /// The UDP socket on the server port.
    pub udp: mio::net::UdpSocket,
    /// The server's UDP port (67, or `-p`).
    pub port: u16,
    /// The lease journal; each waiter is the reply to send once its record is durable.
    pub journal: Journal<Option<Transmit>>,
    /// The ICMP echo socket for `ping-check` (`None` when it could not be opened: the
    /// engine then simply waits out each ping).
    pub icmp: Option<IcmpSocket>,
}

fn log_line(level: Level, msg: &str) {
    match level {
        Level::Error => log::error!("{msg}"),
        Level::Warn => log::warn!("{msg}"),
        Level::Info => log::info!("{msg}"),
        Level::Debug => log::debug!("{msg}"),
    }
}

impl Io {
    /// Sends one datagram the way its route says.
    fn send(&self, t: &Transmit) {
        let res = match t.route {
            Route::Frame {
                ifindex,
                mac,
                ip,
                port,
            } => match self.ifaces.iter().find(|i| i.index == ifindex) {
                Some(iface) => {
                    let spec = FrameSpec {
                        src_mac: iface.mac,
                        dst_mac: mac,
                        vlan: None,
                        src_ip: t.src_ip,
                        dst_ip: ip,
                        src_port: self.port,
                        dst_port: port,
                    };
                    match dhcpd_wire::frame::build_frame(&spec, &t.payload) {
                        Ok(frame) => iface.sock.send(&frame).map(drop),
                        Err(e) => Err(io::Error::other(e.to_string())),
                    }
                }
                None => Err(io::Error::other(format!("no served interface {ifindex}"))),
            },
            Route::Udp { ip, port } => self
                .udp
                .send_to(&t.payload, SocketAddrV4::new(ip, port).into())
                .map(drop),
        };
        if let Err(e) = res {
            log::error!("send_packet: {e}");
        }
    }

    /// Executes the engine's pending actions.
    fn drain<E: Engine>(&mut self, engine: &mut E) {
        while let Some(a) = engine.poll_action() {
            match a {
                Action::Send(t) => self.send(&t),
                Action::Commit { record, then } => {
                    if let Err(e) = self.journal.stage(record.as_bytes(), then) {
                        log::error!("{e}; the reply is not sent");
                    }
                }
                Action::Log(level, msg) => log_line(level, &msg),
                Action::Ping { addr, id } => {
                    if let Some(icmp) = &self.icmp {
                        if let Err(e) = icmp.send_echo(addr, id) {
                            log::error!("icmp_echorequest {addr}: {e}");
                        }
                    }
                }
            }
        }
    }

    /// Makes every staged record durable (waiting for the disk), then sends what waited.
    fn commit(&mut self) {
        let r = self.journal.flush();
        self.released(r);
    }

    /// Sends the replies of the batch the writer thread finished, if it has, and hands it
    /// everything staged since.
    fn pipeline(&mut self, waker: &Arc<Waker>) {
        if let Some(r) = self.journal.poll_flush() {
            self.released(r);
        }
        if let Err(e) = self.journal.begin_flush(waker) {
            log::error!("{e}: no DHCPACK is sent until the lease file can be written again");
        }
    }

    fn released(&mut self, r: Result<Vec<Option<Transmit>>, crate::journal::JournalError>) {
        match r {
            Ok(ready) => {
                for t in ready.into_iter().flatten() {
                    self.send(&t);
                }
            }
            Err(e) => {
                log::error!("{e}: no DHCPACK is sent until the lease file can be written again")
            }
        }
    }
}

/// Runs until a signal asks to stop or reload.
pub fn run<E: Engine>(engine: &mut E, io: &mut Io, signals: &mut Signals) -> io::Result<Exit> {
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut io.udp, UDP, Interest::READABLE)?;
    poll.registry()
        .register(signals, SIGNALS, Interest::READABLE)?;
    for (i, iface) in io.ifaces.iter_mut().enumerate() {
        poll.registry()
            .register(&mut iface.sock, Token(FIRST_IFACE + i), Interest::READABLE)?;
    }
    if let Some(icmp) = &mut io.icmp {
        poll.registry().register(icmp, ICMP, Interest::READABLE)?;
    }
    let waker = Arc::new(Waker::new(poll.registry(), JOURNAL)?);
    let result = turn_loop(engine, io, signals, &mut poll, &waker);
    // Nothing staged is left behind: the next `run` (after a reload) has another waker.
    io.commit();
    if let Some(icmp) = &mut io.icmp {
        let _ = poll.registry().deregister(icmp);
    }
    let _ = poll.registry().deregister(&mut io.udp);
    let _ = poll.registry().deregister(signals);
    for iface in &mut io.ifaces {
        let _ = poll.registry().deregister(&mut iface.sock);
    }
    result
}

fn turn_loop<E: Engine>(
    engine: &mut E,
    io: &mut Io,
    signals: &mut Signals,
    poll: &mut Poll,
    waker: &Arc<Waker>,
) -> io::Result<Exit> {
    let mut events = Events::with_capacity(256);
    let mut buf = vec![0u8; 65536];
    loop {
        let timeout = engine.poll_timeout().map(|t| {
            t.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        });
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let mut exit = None;
        for ev in &events {
            match ev.token() {
                UDP => loop {
                    // The packet sockets see the same requests; ISC discards these.
                    match io.udp.recv_from(&mut buf) {
                        Ok(_) => continue,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => {
                            log::error!("receive on the UDP socket: {e}");
                            break;
                        }
                    }
                },
                SIGNALS => {
                    for s in signals.pending() {
                        exit = Some(match s {
                            SIGHUP => Exit::Reload,
                            SIGTERM | SIGINT => Exit::Stop,
                            _ => continue,
                        });
                    }
                }
                ICMP => read_icmp(engine, io),
                // The writer thread finished a batch: `pipeline` below picks it up.
                JOURNAL => {}
                Token(t) if t >= FIRST_IFACE => {
                    let i = t - FIRST_IFACE;
                    read_interface(engine, io, i, &mut buf);
                }
                Token(_) => {}
            }
        }
        let now = SystemTime::now();
        if engine.poll_timeout().is_some_and(|t| t <= now) {
            engine.handle_timeout(now);
            io.drain(engine);
        }
        io.pipeline(waker);
        if let Some(e) = exit {
            return Ok(e);
        }
    }
}

fn read_icmp<E: Engine>(engine: &mut E, io: &mut Io) {
    loop {
        let Some(icmp) = &io.icmp else { return };
        match icmp.recv_reply() {
            Ok(Some((from, _id))) => {
                engine.handle_icmp_reply(SystemTime::now(), from);
                io.drain(engine);
            }
            Ok(None) => return,
            Err(e) => {
                log::error!("receive on the ICMP socket: {e}");
                return;
            }
        }
    }
}

fn read_interface<E: Engine>(engine: &mut E, io: &mut Io, i: usize, buf: &mut [u8]) {
    loop {
        let Some(iface) = io.ifaces.get(i) else {
            return;
        };
        let meta = match iface.sock.recv(buf) {
            Ok(Some(m)) => m,
            Ok(None) => return,
            Err(e) => {
                log::error!("receive on {}: {e}", iface.name);
                return;
            }
        };
        if meta.vlan_tci.is_some_and(|t| t != 0) {
            continue; // belongs to a VLAN interface, as ISC decides
        }
        let checks = RxChecksums {
            udp: !meta.csum_not_ready,
        };
        let Some(data) = buf.get(..meta.len) else {
            continue;
        };
        let frame = match parse_frame(data, checks) {
            Ok(f) => f,
            Err(e) => {
                log::debug!("{}: dropped a frame: {e}", iface.name);
                continue;
            }
        };
        let rx = Received {
            ifindex: iface.index,
            src_mac: frame.src_mac,
            src_ip: frame.src_ip,
            dst_ip: frame.dst_ip,
            src_port: frame.src_port,
            payload: frame.payload,
        };
        engine.handle_packet(SystemTime::now(), &rx);
        io.drain(engine);
    }
}

/// The broadcast address, for engines building routes.
pub const BROADCAST: Ipv4Addr = Ipv4Addr::BROADCAST;
