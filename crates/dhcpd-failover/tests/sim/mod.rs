//! A deterministic two-peer harness in quinn's `Pair` style: a primary and a secondary, each
//! a [`Peer`] plus a tiny lease engine, joined by a virtual TCP link with latency, on a
//! virtual clock that jumps to the next thing that happens. Messages cross the link as bytes
//! (encode → [`StreamDecoder`] → decode) so the codec is in the loop.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;

use dhcpd_failover::hash;
use dhcpd_failover::lease::{self, may_allocate};
use dhcpd_failover::message::{Message, StreamDecoder};
use dhcpd_failover::peer::{Config, Event, Incoming, Peer, Role, Service, State, UpdateScope};
use dhcpd_failover::pool::{self, BalanceParams};
use dhcpd_leases::model::{BindingState, FailoverState, HardwareAddr, Lease};

pub const T0: i64 = 1_800_000_000;
pub const MCLT: u32 = 60;

/// One server: the state machine and its lease database.
pub struct Node {
    pub peer: Peer,
    pub leases: BTreeMap<Ipv4Addr, Lease>,
    pub log: Vec<String>,
    pub persisted: Option<FailoverState>,
    pub alive: bool,
    rx: StreamDecoder,
}

impl Node {
    pub fn new(role: Role, pool: &[Ipv4Addr], persisted: Option<&FailoverState>, now: i64) -> Self {
        Self::with_auto_partner_down(role, pool, persisted, now, 0)
    }

    /// [`Node::new`] with `auto-partner-down SECONDS` (0 = off).
    pub fn with_auto_partner_down(
        role: Role,
        pool: &[Ipv4Addr],
        persisted: Option<&FailoverState>,
        now: i64,
        auto_partner_down: u32,
    ) -> Self {
        let mut cfg = Config::new(
            "dhcp-failover",
            role,
            if role == Role::Primary { MCLT } else { 0 },
        );
        cfg.max_unacked_updates = 10;
        cfg.max_response_delay = 30;
        cfg.load_balance_max_seconds = 3;
        cfg.auto_partner_down = auto_partner_down;
        let leases = pool.iter().map(|&a| (a, Lease::new(a))).collect();
        let mut n = Node {
            peer: Peer::new(cfg, persisted, now),
            leases,
            log: Vec::new(),
            persisted: None,
            alive: true,
            rx: StreamDecoder::new(),
        };
        n.events(now);
        n
    }

    pub fn role(&self) -> Role {
        self.peer.config().role
    }

    /// Carries out the events; returns whether the link must be closed.
    pub fn events(&mut self, now: i64) -> bool {
        let mut close = false;
        while let Some(e) = self.peer.poll_event() {
            match e {
                Event::Log(l) => self.log.push(l),
                Event::Persist(r) => self.persisted = Some(r),
                Event::SendUpdates(scope) => {
                    let all: Vec<Lease> = self
                        .leases
                        .values()
                        .filter(|l| scope == UpdateScope::All || lease::needs_update(l))
                        .cloned()
                        .collect();
                    for l in &all {
                        self.peer.queue_lease(now, l);
                    }
                    self.peer.updates_queued(now);
                }
                Event::BalancePools { answer } => {
                    let moved = self.balance(now);
                    if let Some(xid) = answer {
                        self.peer.answer_pool_request(now, xid, moved);
                    }
                }
                Event::PartnerDown { stos, mclt } => {
                    for l in self.leases.values_mut() {
                        lease::enter_partner_down(l, stos, mclt);
                    }
                }
                Event::CloseLink => close = true,
                _ => {}
            }
        }
        close
    }

    pub fn balance(&mut self, now: i64) -> u32 {
        if self.peer.state() != State::Normal {
            return 0;
        }
        let role = self.role();
        let free = self.count(BindingState::Free);
        let backup = self.count(BindingState::Backup);
        let mine: Vec<&Lease> = self
            .leases
            .values()
            .filter(|l| l.binding_state == role.free_state())
            .collect();
        let b = pool::balance(
            role,
            self.peer.hba(),
            &BalanceParams::default(),
            free,
            backup,
            &mine,
        );
        for a in &b.moves {
            let l = self.leases.get_mut(a).unwrap();
            pool::give_away(l, role, now);
            let l = l.clone();
            self.peer.queue_lease(now, &l);
        }
        b.moves.len() as u32
    }

    pub fn count(&self, s: BindingState) -> u32 {
        self.leases
            .values()
            .filter(|l| l.binding_state == s)
            .count() as u32
    }

    /// A message arrived; returns false if the link must close.
    fn receive(&mut self, now: i64, bytes: &[u8]) -> bool {
        self.rx.push(bytes);
        while let Some(m) = self.rx.next_message() {
            let m = m.unwrap();
            match self.peer.handle_message(now, m) {
                Ok(Incoming::BindUpdate(rx)) => {
                    let cur = rx.update.addr.and_then(|a| self.leases.get(&a)).cloned();
                    let out = self.peer.process_bind_update(now, &rx, cur.as_ref());
                    if let Some(l) = out.commit {
                        self.leases.insert(l.addr, l);
                    }
                    // "fsync", then the ack may go.
                    self.peer.queue_ack(now, out.ack);
                }
                Ok(Incoming::Acked(sent)) => {
                    let role = self.role();
                    if let Some(l) = sent.addr.and_then(|a| self.leases.get_mut(&a)) {
                        lease::apply_ack(l, &sent, role);
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    self.log.push(format!("protocol error: {e}"));
                    return false;
                }
            }
        }
        true
    }

    /// Whether this server would answer a DISCOVER from `mac`.
    pub fn answers(&self, mac: &[u8]) -> bool {
        self.peer.serves_discover(mac, 0)
    }

    /// Serves a client (DISCOVER → REQUEST → ACK collapsed): picks a lease it may allocate,
    /// grants the MCLT-limited time, commits and queues the BNDUPD.
    pub fn grant(&mut self, now: i64, mac: [u8; 6], desired: u32) -> Option<(Ipv4Addr, i64)> {
        self.grant_from(now, mac, desired).map(|(a, e, _)| (a, e))
    }

    /// [`Node::grant`], also telling whether the address was the peer's (its BACKUP/FREE
    /// lease, or a binding the peer made that has expired).
    pub fn grant_from(
        &mut self,
        now: i64,
        mac: [u8; 6],
        desired: u32,
    ) -> Option<(Ipv4Addr, i64, bool)> {
        if !self.answers(&mac) {
            return None;
        }
        let role = self.role();
        let (svc, stos, mclt) = (self.peer.service(), self.peer.stos(), self.peer.mclt());
        let addr = self
            .leases
            .values()
            .find(|l| {
                l.hardware.as_ref().map(|h| h.addr()) == Some(&mac[..])
                    && l.binding_state == BindingState::Active
            })
            .or_else(|| {
                let mut free: Vec<&Lease> = self
                    .leases
                    .values()
                    .filter(|l| may_allocate(l, role, svc, stos, mclt, now))
                    .collect();
                free.sort_by_key(|l| (l.binding_state != role.free_state(), l.ends));
                free.into_iter().next()
            })?
            .addr;
        let l = self.leases.get_mut(&addr).unwrap();
        let peers = l.binding_state == role.peer_free_state()
            || matches!(
                l.binding_state,
                BindingState::Expired | BindingState::Released
            ) && l.rewind_binding_state != role.free_state();
        let given = lease::lease_time(desired, mclt, l.tsfp, now);
        lease::on_client_ack(l, now, desired, given);
        l.binding_state = BindingState::Active;
        l.next_binding_state = BindingState::Expired;
        l.hardware = HardwareAddr::new(1, &mac);
        l.starts = now;
        l.ends = now + i64::from(given);
        let l = l.clone();
        self.peer.queue_lease(now, &l);
        Some((addr, l.ends, peers))
    }

    /// Lease expiry as ISC runs it under failover.
    pub fn expire(&mut self, now: i64) {
        let role = self.role();
        let state = self.peer.state();
        let mut changed = Vec::new();
        for l in self.leases.values_mut() {
            match l.binding_state {
                BindingState::Active if l.ends <= now => {
                    // A secondary in NORMAL leaves expiry to the primary.
                    if role == Role::Secondary && state == State::Normal {
                        continue;
                    }
                    if state == State::CommunicationsInterrupted
                        && l.rewind_binding_state == role.free_state()
                    {
                        l.binding_state = role.free_state();
                    } else {
                        l.binding_state = BindingState::Expired;
                    }
                    l.next_binding_state = l.binding_state;
                    changed.push(l.clone());
                }
                BindingState::Expired | BindingState::Released
                    if state == State::PartnerDown && lease::partner_down_free_at(l) <= now =>
                {
                    l.binding_state = role.free_state();
                    l.next_binding_state = l.binding_state;
                    changed.push(l.clone());
                }
                _ => {}
            }
        }
        for l in changed {
            self.peer.queue_lease(now, &l);
        }
    }
}

/// Which side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Primary,
    Secondary,
}

/// Two servers and the virtual network between them.
pub struct Pair {
    pub time: i64,
    pub latency: i64,
    pub primary: Node,
    pub secondary: Node,
    /// Bytes in flight: (delivery time, to, bytes).
    in_flight: VecDeque<(i64, Side, Vec<u8>)>,
    pub partitioned: bool,
    /// `auto-partner-down` of both servers (kept across restarts).
    pub auto_partner_down: u32,
    next_connect: i64,
    /// Every message that crossed the link: (time, from, message).
    pub wire: Vec<(i64, Side, Message)>,
}

pub fn pool_addrs(n: u8) -> Vec<Ipv4Addr> {
    (0..n).map(|i| Ipv4Addr::new(192, 0, 2, 20 + i)).collect()
}

impl Pair {
    pub fn new(pool: &[Ipv4Addr]) -> Self {
        Self::with_auto_partner_down(pool, 0)
    }

    /// A fresh pair whose servers both have `auto-partner-down SECONDS`.
    pub fn with_auto_partner_down(pool: &[Ipv4Addr], secs: u32) -> Self {
        Pair {
            time: T0,
            latency: 0,
            primary: Node::with_auto_partner_down(Role::Primary, pool, None, T0, secs),
            secondary: Node::with_auto_partner_down(Role::Secondary, pool, None, T0, secs),
            in_flight: VecDeque::new(),
            partitioned: false,
            auto_partner_down: secs,
            next_connect: T0,
            wire: Vec::new(),
        }
    }

    pub fn node(&mut self, s: Side) -> &mut Node {
        match s {
            Side::Primary => &mut self.primary,
            Side::Secondary => &mut self.secondary,
        }
    }

    fn linked(&self) -> bool {
        self.primary.peer.is_connected() || self.secondary.peer.is_connected()
    }

    /// Closes the TCP connection on both sides (what the other side sees as FIN/RST).
    pub fn close(&mut self) {
        let now = self.time;
        self.in_flight.clear();
        for side in [Side::Primary, Side::Secondary] {
            if self.node(side).alive {
                self.node(side).peer.handle_disconnected(now);
            }
        }
        self.primary.rx = StreamDecoder::new();
        self.secondary.rx = StreamDecoder::new();
        self.next_connect = now + dhcpd_failover::peer::RECONNECT_INTERVAL;
    }

    /// Kills a server (no message, the TCP connection just closes).
    pub fn kill(&mut self, s: Side) {
        self.node(s).alive = false;
        self.close();
    }

    /// Restarts a killed server, with its persisted failover state (or none: empty lease
    /// file) and a fresh pool.
    pub fn restart(&mut self, s: Side, keep_state: bool, pool: &[Ipv4Addr]) {
        let now = self.time;
        let old = self.node(s);
        let persisted = if keep_state {
            old.persisted.clone()
        } else {
            None
        };
        let leases = if keep_state {
            Some(old.leases.clone())
        } else {
            None
        };
        let role = old.role();
        let apd = self.auto_partner_down;
        let mut n = Node::with_auto_partner_down(role, pool, persisted.as_ref(), now, apd);
        if let Some(l) = leases {
            n.leases = l;
        }
        *self.node(s) = n;
    }

    /// Moves queued events and messages onto the wire.
    fn flush(&mut self) {
        let now = self.time;
        for side in [Side::Primary, Side::Secondary] {
            let close = self.node(side).events(now);
            let mut out = Vec::new();
            while let Some(m) = self.node(side).peer.poll_transmit() {
                out.push(m);
            }
            for m in out {
                let to = match side {
                    Side::Primary => Side::Secondary,
                    Side::Secondary => Side::Primary,
                };
                self.wire.push((now, side, m.clone()));
                if !self.partitioned && self.node(to).alive {
                    self.in_flight
                        .push_back((now + self.latency, to, m.to_vec()));
                }
            }
            if close && !self.partitioned {
                self.close();
            }
        }
    }

    /// One step: deliver what is due, fire timers, connect if due; then jump the clock to the
    /// next thing. Returns false when nothing at all is scheduled.
    pub fn step(&mut self) -> bool {
        let now = self.time;
        self.flush();
        while let Some(pos) = self.in_flight.iter().position(|(t, _, _)| *t <= now) {
            let (_, to, bytes) = self.in_flight.remove(pos).unwrap();
            let ok = self.node(to).receive(now, &bytes);
            self.flush();
            if !ok {
                self.close();
            }
        }
        for side in [Side::Primary, Side::Secondary] {
            if self.node(side).alive
                && self
                    .node(side)
                    .peer
                    .poll_timeout()
                    .is_some_and(|t| t <= now)
            {
                self.node(side).peer.handle_timeout(now);
                self.flush();
            }
        }
        if !self.linked()
            && !self.partitioned
            && self.primary.alive
            && self.secondary.alive
            && now >= self.next_connect
        {
            self.primary.peer.handle_connected(now);
            self.secondary.peer.handle_connected(now);
            self.next_connect = now + dhcpd_failover::peer::RECONNECT_INTERVAL;
            self.flush();
        }
        // Next event time.
        let mut next: Option<i64> = self.in_flight.iter().map(|(t, _, _)| *t).min();
        for n in [&self.primary, &self.secondary] {
            if n.alive
                && let Some(t) = n.peer.poll_timeout()
            {
                next = Some(next.map_or(t, |x| x.min(t)));
            }
        }
        if !self.linked() && !self.partitioned && self.primary.alive && self.secondary.alive {
            next = Some(next.map_or(self.next_connect, |x| x.min(self.next_connect)));
        }
        match next {
            Some(t) => {
                self.time = t.max(now);
                true
            }
            None => false,
        }
    }

    /// Runs until `until` (virtual seconds since T0), leases expiring on the way.
    pub fn run_until(&mut self, until: i64) {
        let end = T0 + until;
        let mut steps = 0;
        while self.time < end {
            let before = self.time;
            if !self.step() {
                self.time = end;
            }
            if self.time > end {
                self.time = end;
            }
            if self.time > before {
                for side in [Side::Primary, Side::Secondary] {
                    if self.node(side).alive {
                        let t = self.time;
                        self.node(side).expire(t);
                    }
                }
            }
            steps += 1;
            assert!(steps < 1_000_000, "simulation does not settle");
        }
        // Deliver anything due at exactly `end`.
        self.step();
        self.time = end;
    }

    pub fn states(&self) -> (State, State) {
        (self.primary.peer.state(), self.secondary.peer.state())
    }

    pub fn services(&self) -> (Service, Service) {
        (self.primary.peer.service(), self.secondary.peer.service())
    }

    /// Whether `line` appears in a node's log.
    pub fn logged(&self, s: Side, line: &str) -> bool {
        let n = match s {
            Side::Primary => &self.primary,
            Side::Secondary => &self.secondary,
        };
        n.log.iter().any(|l| l == line)
    }
}

/// The hash bucket check a client key would get (for choosing test clients).
pub fn primary_client(mac: &[u8]) -> bool {
    hash::primary_serves(&hash::hba_from_split(128), hash::bucket(mac))
}
