//! The event loop: one mio `Poll` over the packet socket of every served interface, the UDP
//! port-67 socket and the signals, driving a sans-IO [`Engine`].
//!
//! Each turn: read everything that is ready, hand each datagram to the engine, execute its
//! actions (send now, or stage a lease record with the reply that waits for it), then hand
//! everything staged to the journal's writer thread: **one** write and fdatasync per batch
//! (group commit), after which the writer thread sends the batch's replies itself (through
//! the shared [`Outbox`]), so no reply that waits for a record leaves before that record is
//! on disk, and the loop is not woken for it. The loop never blocks on the disk: while a
//! batch syncs it goes on reading the sockets, and whatever it stages meanwhile forms the
//! next batch. Failover BNDACK waiters go back to the loop (the engine must hear of them). On stop or reload everything staged is flushed
//! before [`run`] returns. Timers: the engine's `poll_timeout` bounds the wait. `ping-check`: the
//! engine's [`Action::Ping`] goes out on the ICMP socket, echo replies go back to the engine.
//!
//! Failover (see [`crate::failover_conn`]): the peers' TCP links are polled here too. A
//! received BNDUPD's lease is staged like any other record, its BNDACK waiting for the same
//! flush. Failover messages a turn produced are written only once everything staged so far
//! is durable (a synchronous flush in that turn), so a persisted state change precedes the
//! STATE that announces it and a BNDACK follows its lease. Turns without failover output
//! keep the pipelined journal. The operator's control socket (`partner-down NAME`,
//! `status`) is served here as well, and OMAPI on `omapi-port` ([`crate::omapi`]).

use std::io;
use std::io::{BufRead, Write};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixListener;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dhcpd_core::{Action, Engine, FailoverEngine, Level, Received, Route, Transmit};
use dhcpd_sys::icmp::IcmpSocket;
use dhcpd_sys::packet::{PacketSocket, RecvBatch};
use dhcpd_sys::sendmany::{Datagram, send_many};
use dhcpd_sys::signals::{SIGHUP, SIGINT, SIGTERM, Signals};
use dhcpd_sys::spawn::Children;
use dhcpd_wire::frame::{FrameSpec, RxChecksums, parse_frame};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::failover_conn::FailoverNet;
use crate::journal::Journal;

const SIGNALS: Token = Token(1);
const ICMP: Token = Token(2);
const JOURNAL: Token = Token(3);
const CONTROL: Token = Token(4);
const DDNS: Token = Token(6);
const FIRST_IFACE: usize = 16;

// Interface tokens never reach the failover links' (or, above those, the OMAPI connections').
const _: () = assert!(FIRST_IFACE + 4096 < crate::failover_conn::FIRST_TOKEN);

/// Receive coalescing: while frames arrive at [`BUSY_RATE`] per second or more, the loop
/// sleeps after each turn instead of waiting for the next frame, so that one wake-up, one
/// `recvmmsg`, one `sendmmsg` and one journal batch serve several frames (interrupt
/// moderation, as a NIC does it). The sleep lasts as long as [`TURN_FRAMES`] frames take to
/// arrive at the current rate, within [`COALESCE_MIN`]..=[`COALESCE_MAX`]: a reply leaves at
/// most that much later, and the socket buffer never has to hold more than a few dozen
/// frames. At lower rates every frame still wakes the loop at once.
const COALESCE_MAX: Duration = Duration::from_millis(2);

/// The shortest coalescing sleep (see [`COALESCE_MAX`]).
const COALESCE_MIN: Duration = Duration::from_micros(250);

/// Frames one coalesced turn aims to read (one `recvmmsg` batch).
const TURN_FRAMES: u64 = 32;

/// Frames per second from which the loop coalesces: at least two frames per longest sleep,
/// so that the sleep saves wake-ups instead of adding one.
const BUSY_RATE: u64 = 1_000;

/// How often the receive rate is re-estimated.
const RATE_WINDOW: Duration = Duration::from_millis(50);

/// The receive rate, counted over [`RATE_WINDOW`]s, deciding whether and how long the loop
/// coalesces.
#[derive(Debug)]
struct RxRate {
    since: Instant,
    frames: u64,
    /// Frames per second over the last window.
    per_s: u64,
}

impl RxRate {
    fn new() -> Self {
        RxRate {
            since: Instant::now(),
            frames: 0,
            per_s: 0,
        }
    }

    /// Counts `frames` received now; returns how long the loop should sleep before it looks
    /// at its sockets again (`None`: wait for the next event as usual).
    fn update(&mut self, frames: usize, now: Instant) -> Option<Duration> {
        self.frames += frames as u64;
        let span = now.saturating_duration_since(self.since);
        if span >= RATE_WINDOW {
            self.per_s = self.frames * 1_000_000 / (span.as_micros().max(1) as u64);
            self.since = now;
            self.frames = 0;
        }
        if frames == 0 || self.per_s < BUSY_RATE {
            return None;
        }
        let fill = Duration::from_micros(TURN_FRAMES * 1_000_000 / self.per_s);
        Some(fill.clamp(COALESCE_MIN, COALESCE_MAX))
    }
}

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
    /// The UDP socket on the server port (send only: see `dhcpd_sys::udp::open_udp`).
    pub udp: UdpSocket,
    /// The server's UDP port (67, or `-p`).
    pub port: u16,
    /// The lease journal; each waiter is what to send once its record is durable.
    pub journal: Journal<Waiter>,
    /// The ICMP echo socket for `ping-check` (`None` when it could not be opened: the
    /// engine then simply waits out each ping).
    pub icmp: Option<IcmpSocket>,
    /// The failover links (none without `failover peer` blocks).
    pub failover: Option<FailoverNet>,
    /// The operator's control socket (non-blocking), if one could be opened.
    pub control: Option<UnixListener>,
    /// OMAPI on `omapi-port` (`None` when not configured).
    pub omapi: Option<crate::omapi::OmapiNet>,
    /// `execute` commands started and not yet reaped.
    pub children: Children,
    /// The hourly lease-file rewrite (`None`: the journal only appends).
    pub rewrite: Option<crate::rewrite::PeriodicRewrite>,
    /// Replies of this turn that wait for nothing, sent together at its end
    /// ([`Io::send_queued`]).
    pub outq: Vec<Transmit>,
    /// The DDNS socket ([`run`] opens it when the engine makes DNS updates).
    pub ddns: Option<crate::ddns_net::DdnsNet>,
}

/// What waits for a journal record.
#[derive(Debug)]
pub enum Waiter {
    /// A DHCP reply (or nothing).
    Reply(Option<Transmit>),
    /// A failover BNDACK for link `.0`.
    Ack(usize, dhcpd_failover::Message),
    /// OMAPI answers of connection `.0` that wait for its record number `.1` (a host
    /// created, updated or removed).
    Omapi(Token, u64),
}

fn log_line(level: Level, msg: &str) {
    match level {
        Level::Error => log::error!("{msg}"),
        Level::Warn => log::warn!("{msg}"),
        Level::Info => log::info!("{msg}"),
        Level::Debug => log::debug!("{msg}"),
    }
}

/// Where replies leave: a duplicate of each served interface's packet socket and of the UDP
/// socket. Shared by the loop and the journal's writer thread, which sends the replies of a
/// batch right after its fdatasync.
#[derive(Debug)]
pub struct Outbox {
    ifaces: Vec<(u32, [u8; 6], PacketSocket)>,
    udp: UdpSocket,
    port: u16,
}

impl Outbox {
    /// Duplicates the sending sockets of `io`.
    pub fn new(io: &Io) -> io::Result<Self> {
        let mut ifaces = Vec::with_capacity(io.ifaces.len());
        for i in &io.ifaces {
            ifaces.push((i.index, i.mac, i.sock.try_clone()?));
        }
        Ok(Outbox {
            ifaces,
            udp: io.udp.try_clone()?,
            port: io.port,
        })
    }

    /// Sends datagrams the way their routes say: the frames for each interface with one
    /// `sendmmsg` on its packet socket, the UDP datagrams with one on the UDP socket (in their
    /// order within each socket). A datagram that cannot be sent is logged as ISC logs it.
    pub fn send_all(&self, ts: &[Transmit]) {
        if ts.is_empty() {
            return;
        }
        let mut udp = Vec::new();
        let mut frames: Vec<Vec<Vec<u8>>> = vec![Vec::new(); self.ifaces.len()];
        for t in ts {
            match t.route {
                Route::Frame {
                    ifindex,
                    mac,
                    ip,
                    port,
                } => match self.ifaces.iter().position(|i| i.0 == ifindex) {
                    Some(k) => {
                        let spec = FrameSpec {
                            src_mac: self.ifaces[k].1,
                            dst_mac: mac,
                            vlan: None,
                            src_ip: t.src_ip,
                            dst_ip: ip,
                            src_port: self.port,
                            dst_port: port,
                        };
                        match dhcpd_wire::frame::build_frame(&spec, &t.payload) {
                            Ok(frame) => frames[k].push(frame),
                            Err(e) => log::error!("send_packet: {e}"),
                        }
                    }
                    None => log::error!("send_packet: no served interface {ifindex}"),
                },
                Route::Udp { ip, port } => udp.push(Datagram {
                    to: Some(SocketAddrV4::new(ip, port)),
                    data: &t.payload,
                }),
            }
        }
        if !udp.is_empty() {
            for (_, e) in send_many(&self.udp, &udp) {
                log::error!("send_packet: {e}");
            }
        }
        for (k, list) in frames.iter().enumerate() {
            if list.is_empty() {
                continue;
            }
            let refs: Vec<&[u8]> = list.iter().map(Vec::as_slice).collect();
            for (_, e) in self.ifaces[k].2.send_many(&refs) {
                log::error!("send_packet: {e}");
            }
        }
    }
}

impl Io {
    /// Executes the engine's pending actions.
    fn drain<E: Engine>(&mut self, engine: &mut E) {
        while let Some(a) = engine.poll_action() {
            match a {
                Action::Send(t) => self.outq.push(t),
                Action::Commit { record, then } => {
                    if let Err(e) = self.journal.stage(record.as_bytes(), Waiter::Reply(then)) {
                        log::error!("{e}; the reply is not sent");
                    }
                }
                Action::CommitAck { record, link, ack } => {
                    if let Err(e) = self
                        .journal
                        .stage(record.as_bytes(), Waiter::Ack(link, ack))
                    {
                        log::error!("{e}; the failover update is not acknowledged");
                    }
                }
                Action::Log(level, msg) => log_line(level, &msg),
                Action::Execute { command, args } => {
                    if let Err(e) = self.children.spawn(&command, &args) {
                        log::error!(
                            "Unable to execute {}: {}",
                            String::from_utf8_lossy(&command),
                            dhcpd_sys::spawn::strerror(&e)
                        );
                    }
                }
                Action::DnsSend { to, payload } => {
                    if let Some(d) = &self.ddns {
                        d.send(to, &payload);
                    }
                }
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

    /// Sends the replies queued this turn, together.
    fn send_queued(&mut self, out: &Outbox) {
        if !self.outq.is_empty() {
            out.send_all(&self.outq);
            self.outq.clear();
        }
    }

    /// Makes every staged record durable (waiting for the disk), then sends what waited.
    fn commit<E: FailoverEngine>(&mut self, engine: &mut E, out: &Outbox) {
        let r = self.journal.flush();
        self.released(engine, r, out);
    }

    /// ISC's hourly rewrite: when it is due, everything staged is made durable in the old
    /// file first (and what waited for it sent), then the file is rewritten and the journal
    /// moves to the new one.
    fn rewrite_if_due<E: FailoverEngine>(&mut self, engine: &mut E, out: &Outbox) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        if !self
            .rewrite
            .as_ref()
            .is_some_and(|r| r.due(&self.journal, now))
        {
            return;
        }
        self.commit(engine, out);
        if let Some(r) = self.rewrite.as_mut() {
            match r.run(&mut self.journal, now) {
                Ok(lines) => lines.iter().for_each(|l| log::info!("{l}")),
                Err(e) => log::error!("{e}"),
            }
        }
    }

    /// Takes what the writer thread handed back (BNDACKs, errors), and hands it everything
    /// staged since as the next batch.
    fn pipeline<E: FailoverEngine>(&mut self, engine: &mut E, waker: &Arc<Waker>, out: &Outbox) {
        while let Some(r) = self.journal.poll_flush() {
            self.released(engine, r, out);
        }
        if let Err(e) = self.journal.begin_flush(waker) {
            log::error!("{e}: no DHCPACK is sent until the lease file can be written again");
        }
    }

    fn released<E: FailoverEngine>(
        &mut self,
        engine: &mut E,
        r: Result<Vec<Waiter>, crate::journal::JournalError>,
        out: &Outbox,
    ) {
        match r {
            Ok(ready) => {
                let mut replies = Vec::new();
                for w in ready {
                    match w {
                        Waiter::Reply(Some(t)) => replies.push(t),
                        Waiter::Reply(None) => {}
                        Waiter::Ack(link, ack) => {
                            engine.failover_committed(link, ack, SystemTime::now())
                        }
                        Waiter::Omapi(t, seq) => {
                            if let Some(o) = self.omapi.as_mut() {
                                o.committed(t, seq);
                            }
                        }
                    }
                }
                out.send_all(&replies);
            }
            Err(e) => {
                log::error!("{e}: no DHCPACK is sent until the lease file can be written again")
            }
        }
    }
}

/// Runs until a signal asks to stop or reload.
pub fn run<E: Engine + FailoverEngine>(
    engine: &mut E,
    io: &mut Io,
    signals: &mut Signals,
) -> io::Result<Exit> {
    let mut poll = Poll::new()?;
    if let Some(f) = io.failover.as_mut() {
        f.register(poll.registry())?;
    }
    if let Some(c) = io.control.as_ref() {
        poll.registry()
            .register(&mut SourceFd(&c.as_raw_fd()), CONTROL, Interest::READABLE)?;
    }
    if let Some(o) = io.omapi.as_mut() {
        o.register(poll.registry())?;
    }
    poll.registry()
        .register(signals, SIGNALS, Interest::READABLE)?;
    for (i, iface) in io.ifaces.iter_mut().enumerate() {
        poll.registry()
            .register(&mut iface.sock, Token(FIRST_IFACE + i), Interest::READABLE)?;
    }
    if let Some(icmp) = &mut io.icmp {
        poll.registry().register(icmp, ICMP, Interest::READABLE)?;
    }
    if engine.ddns_enabled() && io.ddns.is_none() {
        match crate::ddns_net::DdnsNet::open() {
            Ok(d) => io.ddns = Some(d),
            Err(e) => log::error!("DDNS: cannot open a UDP socket: {e}; no DNS updates"),
        }
    }
    if let Some(d) = &mut io.ddns {
        d.register(poll.registry(), DDNS)?;
    }
    let waker = Arc::new(Waker::new(poll.registry(), JOURNAL)?);
    let out = Arc::new(Outbox::new(io)?);
    // The writer thread sends a durable batch's DHCP replies itself; BNDACKs and OMAPI answers
    // come back here.
    let sender = out.clone();
    io.journal
        .set_deliver(Some(Arc::new(move |ws: Vec<Waiter>| {
            let mut replies = Vec::new();
            let mut back = Vec::new();
            for w in ws {
                match w {
                    Waiter::Reply(Some(t)) => replies.push(t),
                    Waiter::Reply(None) => {}
                    w @ (Waiter::Ack(..) | Waiter::Omapi(..)) => back.push(w),
                }
            }
            sender.send_all(&replies);
            back
        })));
    // Log lines go out once per turn (one write, one sendmmsg), not one by one.
    dhcpd_sys::syslog::batch_this_thread(true);
    let result = turn_loop(engine, io, signals, &mut poll, &waker, &out);
    // Nothing staged is left behind: the next `run` (after a reload) has another waker.
    io.drain(engine);
    io.send_queued(&out);
    io.commit(engine, &out);
    io.journal.set_deliver(None);
    dhcpd_sys::syslog::batch_this_thread(false);
    if let Some(f) = io.failover.as_mut() {
        f.deregister(poll.registry());
    }
    if let Some(c) = io.control.as_ref() {
        let _ = poll.registry().deregister(&mut SourceFd(&c.as_raw_fd()));
    }
    if let Some(o) = io.omapi.as_mut() {
        o.deregister(poll.registry());
    }
    if let Some(icmp) = &mut io.icmp {
        let _ = poll.registry().deregister(icmp);
    }
    if let Some(d) = &mut io.ddns {
        d.deregister(poll.registry());
    }
    let _ = poll.registry().deregister(signals);
    for iface in &mut io.ifaces {
        let _ = poll.registry().deregister(&mut iface.sock);
    }
    result
}

/// The end of a turn. Without failover output: the pipelined journal. With it: every record
/// staged so far is made durable first (persisted states, the leases BNDACKs answer), then
/// the failover messages go out; what the released waiters produce goes round again.
fn settle<E: Engine + FailoverEngine>(
    engine: &mut E,
    io: &mut Io,
    poll: &Poll,
    waker: &Arc<Waker>,
    out: &Outbox,
) {
    io.drain(engine);
    io.rewrite_if_due(engine, out);
    for _ in 0..64 {
        io.drain(engine);
        let held = match io.failover.as_mut() {
            Some(f) => f.collect(engine, poll.registry()),
            None => false,
        };
        if !held {
            break;
        }
        io.drain(engine);
        io.commit(engine, out);
        if let Some(f) = io.failover.as_mut() {
            f.write(engine, poll.registry());
        }
    }
    io.drain(engine);
    io.send_queued(out);
    io.pipeline(engine, waker, out);
}

/// Serves one connection on the control socket: one command line in, one line out.
fn control<E: FailoverEngine>(engine: &mut E, listener: &UnixListener) {
    loop {
        let (stream, _) = match listener.accept() {
            Ok(x) => x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                log::error!("control socket: {e}");
                return;
            }
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let mut line = String::new();
        let mut r = io::BufReader::new(&stream);
        if r.read_line(&mut line).is_err() {
            continue;
        }
        let cmd = line.trim();
        log::info!("control: {cmd}");
        let answer = engine.failover_control(cmd, SystemTime::now());
        let mut w = &stream;
        let _ = writeln!(w, "{answer}");
    }
}

fn turn_loop<E: Engine + FailoverEngine>(
    engine: &mut E,
    io: &mut Io,
    signals: &mut Signals,
    poll: &mut Poll,
    waker: &Arc<Waker>,
    out: &Outbox,
) -> io::Result<Exit> {
    let mut events = Events::with_capacity(256);
    let mut batch = RecvBatch::new(32);
    let mut rx_rate = RxRate::new();
    // Start-up records (the failover state) and the first connection attempts.
    if let Some(f) = io.failover.as_mut() {
        f.handle_timeout(engine, poll.registry());
    }
    settle(engine, io, poll, waker, out);
    loop {
        let until = |t: SystemTime| {
            t.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        };
        let net = io
            .failover
            .as_ref()
            .and_then(|f| f.next_deadline())
            .map(|t| t.saturating_duration_since(Instant::now()));
        let timeout = [
            engine.poll_timeout().map(until),
            engine.failover_timeout().map(until),
            net,
        ]
        .into_iter()
        .flatten()
        // Finished `execute` commands are reaped on each turn: come back within a second.
        .chain((!io.children.is_empty()).then_some(Duration::from_secs(1)))
        .min();
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        let mut exit = None;
        let mut frames = 0;
        for ev in &events {
            match ev.token() {
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
                DDNS => {
                    if let Some(d) = &io.ddns {
                        d.read_all(engine);
                    }
                    io.drain(engine);
                }
                // The writer thread finished a batch: `pipeline` below picks it up.
                JOURNAL => {}
                CONTROL => {
                    if let Some(c) = io.control.as_ref() {
                        control(engine, c);
                    }
                }
                t if io.failover.as_ref().is_some_and(|f| f.owns(t)) => {
                    if let Some(f) = io.failover.as_mut() {
                        f.handle_event(
                            engine,
                            poll.registry(),
                            t,
                            ev.is_readable() || ev.is_read_closed() || ev.is_error(),
                            ev.is_writable() || ev.is_write_closed(),
                        );
                    }
                    io.drain(engine);
                }
                t if io.omapi.as_ref().is_some_and(|o| o.owns(t)) => {
                    let mut records = Vec::new();
                    if let Some(o) = io.omapi.as_mut() {
                        o.handle_event(engine, poll.registry(), t);
                        records = o.take_records();
                    }
                    for (conn, seq, record) in records {
                        let w = Waiter::Omapi(conn, seq);
                        if let Err(e) = io.journal.stage(record.as_bytes(), w) {
                            log::error!("{e}; the OMAPI change is not confirmed");
                        }
                    }
                    io.drain(engine);
                }
                Token(t) if t >= FIRST_IFACE => {
                    let i = t - FIRST_IFACE;
                    frames += read_interface(engine, io, i, &mut batch);
                }
                Token(_) => {}
            }
        }
        let now = SystemTime::now();
        if engine.poll_timeout().is_some_and(|t| t <= now) {
            engine.handle_timeout(now);
            io.drain(engine);
        }
        if engine.failover_timeout().is_some_and(|t| t <= now) {
            engine.failover_handle_timeout(now);
            io.drain(engine);
        }
        if let Some(f) = io.failover.as_mut() {
            f.handle_timeout(engine, poll.registry());
        }
        settle(engine, io, poll, waker, out);
        for f in io.children.reap() {
            log::error!("execute: {} exit status {}", f.command, f.status);
        }
        log::logger().flush();
        if let Some(e) = exit {
            if let (Some(f), Exit::Stop) = (io.failover.as_mut(), e) {
                f.close_all(poll.registry());
            }
            if let (Some(o), Exit::Stop) = (io.omapi.as_mut(), e) {
                o.close_all(poll.registry());
            }
            return Ok(e);
        }
        if let Some(pause) = rx_rate.update(frames, Instant::now()) {
            std::thread::sleep(pause);
        }
    }
}

fn read_icmp<E: Engine + FailoverEngine>(engine: &mut E, io: &mut Io) {
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

/// Reads every frame waiting on interface `i`, a batch per `recvmmsg`, and hands each to the
/// engine. A short batch means the queue was empty: the next frame raises a new event.
/// Returns how many frames were read.
fn read_interface<E: Engine + FailoverEngine>(
    engine: &mut E,
    io: &mut Io,
    i: usize,
    batch: &mut RecvBatch,
) -> usize {
    let mut total = 0;
    loop {
        let Some(iface) = io.ifaces.get(i) else {
            return total;
        };
        let truncated = batch.truncated;
        let n = match iface.sock.recv_many(batch) {
            Ok(n) => n,
            Err(e) => {
                log::error!("receive on {}: {e}", iface.name);
                return total;
            }
        };
        total += n;
        if batch.truncated != truncated {
            log::debug!("{}: dropped a frame too long to be DHCP", iface.name);
        }
        let index = iface.index;
        for (data, meta) in batch.frames() {
            if meta.vlan_tci.is_some_and(|t| t != 0) {
                continue; // belongs to a VLAN interface, as ISC decides
            }
            let checks = RxChecksums {
                udp: !meta.csum_not_ready,
            };
            let frame = match parse_frame(data, checks) {
                Ok(f) => f,
                Err(e) => {
                    let name = io.ifaces.get(i).map_or("?", |f| f.name.as_str());
                    log::debug!("{name}: dropped a frame: {e}");
                    continue;
                }
            };
            let rx = Received {
                ifindex: index,
                src_mac: frame.src_mac,
                src_ip: frame.src_ip,
                dst_ip: frame.dst_ip,
                src_port: frame.src_port,
                payload: frame.payload,
            };
            engine.handle_packet(SystemTime::now(), &rx);
            io.drain(engine);
        }
        if n < batch.capacity() {
            return total;
        }
    }
}

/// The broadcast address, for engines building routes.
pub const BROADCAST: Ipv4Addr = Ipv4Addr::BROADCAST;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_tokens_are_distinct_and_below_the_interfaces_and_connections() {
        let fixed = [
            SIGNALS,
            ICMP,
            JOURNAL,
            CONTROL,
            DDNS,
            crate::omapi::LISTENER,
        ];
        for (i, a) in fixed.iter().enumerate() {
            assert!(a.0 < FIRST_IFACE, "{a:?}");
            for b in &fixed[i + 1..] {
                assert_ne!(a, b, "two sources share a token");
            }
        }
    }

    #[test]
    fn the_loop_coalesces_only_when_busy_and_never_longer_than_the_maximum() {
        let t0 = Instant::now();
        let mut r = RxRate::new();
        r.since = t0;
        // 10 frames in the first 50 ms window: 200/s, below BUSY_RATE.
        assert_eq!(r.update(10, t0 + Duration::from_millis(50)), None);
        // 1,000 frames in the next window: 20,000/s; 32 frames take 1.6 ms at that rate.
        r.update(990, t0 + Duration::from_millis(60));
        let p = r.update(10, t0 + Duration::from_millis(100));
        assert_eq!(p, Some(Duration::from_micros(1600)));
        // A turn that read nothing does not sleep, however busy the window was.
        assert_eq!(r.update(0, t0 + Duration::from_millis(101)), None);
        // 10,000 frames in a window (200,000/s; 32 frames in 160 us): the shortest sleep.
        r.update(10_000, t0 + Duration::from_millis(150));
        assert_eq!(
            r.update(1, t0 + Duration::from_millis(151)),
            Some(COALESCE_MIN)
        );
        // 60 frames in a window (1,200/s): busy, but 32 frames would take 26 ms: the longest.
        r.update(59, t0 + Duration::from_millis(200));
        assert_eq!(
            r.update(1, t0 + Duration::from_millis(201)),
            Some(COALESCE_MAX)
        );
    }
}
