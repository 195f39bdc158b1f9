//! Failover in the engine (ISC dhcpd 4.4's DHCPv4 failover): one [`Peer`] state machine per
//! `failover peer` block, driven by the server through [`FailoverEngine`], and the hooks the
//! DHCP message flow calls for leases of a pool with a `failover peer` — which leases this
//! server may hand out (`lease_mine_to_reallocate`), which DISCOVERs it answers (RFC 3074
//! load balancing), the MCLT lease-time rule, and a BNDUPD for every lease change.
//!
//! Received BNDUPDs become [`Action::CommitAck`]: the server appends the lease, fsyncs, and
//! only then gives the BNDACK back ([`FailoverEngine::failover_committed`]). State changes
//! become lease-file records (`failover peer "NAME" state { … }`) committed before the STATE
//! message that announces them leaves (the server writes failover messages only after the
//! turn's journal flush).

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_conf::ast::{
    Config as ConfAst, Date, FailoverPeer, FailoverRole, FailoverStateItem,
    FailoverStateName as ConfStateName, Stmt,
};
use dhcpd_conf::basic::AddrOrName;
use dhcpd_failover::peer::{Event, Incoming, Peer, Role, Service, UpdateScope};
use dhcpd_failover::pool::{self, BalanceParams};
use dhcpd_failover::{Config as PeerConfig, Message as FoMessage, hash, lease as fol};
use dhcpd_leases::model::{BindingState, FailoverState, FailoverStateName, Lease};
use dhcpd_leases::write::WriteOptions;
use dhcpd_wire::message::Message;

use super::Server;
use crate::io::{Action, FailoverEngine, FailoverLink, Level};
use crate::leases::Entry;

/// ISC's default failover port (both `port` and `peer port`).
pub const DEFAULT_PORT: u16 = 647;

/// One relationship as configured.
#[derive(Debug, Clone)]
pub struct PeerSetup {
    /// Where to listen and connect.
    pub link: FailoverLink,
    /// The state machine's configuration.
    pub config: PeerConfig,
    /// Pool balancing knobs.
    pub balance: BalanceParams,
    /// What `failover peer "NAME" state { … }` blocks in dhcpd.conf set (ISC reads them into
    /// the peer before the lease file, whose record, if any, overrides them).
    pub conf_state: ConfState,
}

/// The settings of `failover peer "NAME" state { my state S [at DATE]; partner state S
/// [at DATE]; mclt N; }` blocks in dhcpd.conf, later ones overriding earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfState {
    /// `my state`: the state and its start (`None`: no `at`, ISC takes the time it reads it).
    pub me: Option<(FailoverStateName, Option<i64>)>,
    /// `partner state`.
    pub partner: Option<(FailoverStateName, Option<i64>)>,
    /// `mclt` (a secondary's).
    pub mclt: Option<u32>,
}

impl ConfState {
    /// Applies the statements of one `failover peer "NAME" state { … }` block, in order.
    pub fn apply(&mut self, items: &[FailoverStateItem]) {
        for item in items {
            match item {
                FailoverStateItem::My(s, at) => {
                    self.me = Some((state_name(*s), at.as_ref().map(date_secs)));
                }
                FailoverStateItem::Partner(s, at) => {
                    self.partner = Some((state_name(*s), at.as_ref().map(date_secs)));
                }
                FailoverStateItem::Mclt(n) => self.mclt = Some(clamp_u32(Some(*n), 0)),
            }
        }
    }

    /// Whether no block set anything.
    pub fn is_empty(&self) -> bool {
        *self == ConfState::default()
    }

    /// The state record these settings make, on top of ISC's initial one (me RECOVER,
    /// partner unknown-state, both since `now`).
    pub fn record(&self, name: &str, now: i64) -> FailoverState {
        let side = |v: Option<(FailoverStateName, Option<i64>)>, dflt: FailoverStateName| {
            let (state, at) = v.unwrap_or((dflt, None));
            dhcpd_leases::model::PeerState {
                state,
                stos: at.unwrap_or(now),
            }
        };
        FailoverState {
            peer: name.to_string(),
            me: side(self.me, FailoverStateName::Recover),
            partner: side(self.partner, FailoverStateName::Unknown),
            mclt: self.mclt,
        }
    }
}

fn state_name(s: ConfStateName) -> FailoverStateName {
    match s {
        ConfStateName::UnknownState => FailoverStateName::Unknown,
        ConfStateName::PartnerDown => FailoverStateName::PartnerDown,
        ConfStateName::Normal => FailoverStateName::Normal,
        ConfStateName::CommunicationsInterrupted => FailoverStateName::CommunicationsInterrupted,
        ConfStateName::ConflictDone => FailoverStateName::ConflictDone,
        ConfStateName::ResolutionInterrupted => FailoverStateName::ResolutionInterrupted,
        ConfStateName::PotentialConflict => FailoverStateName::PotentialConflict,
        ConfStateName::Recover => FailoverStateName::Recover,
        ConfStateName::RecoverWait => FailoverStateName::RecoverWait,
        ConfStateName::RecoverDone => FailoverStateName::RecoverDone,
        ConfStateName::Shutdown => FailoverStateName::Shutdown,
        ConfStateName::Paused => FailoverStateName::Paused,
        ConfStateName::Startup => FailoverStateName::Startup,
    }
}

/// Seconds since 1970 of a dhcpd.conf date, as ISC's `parse_date_core` computes it for a
/// lease-file date (years after 2037 and `never` are "never").
fn date_secs(d: &Date) -> i64 {
    match *d {
        Date::Never => dhcpd_leases::NEVER,
        Date::Epoch(t) => t,
        Date::Calendar {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tzoff,
            ..
        } => {
            // ISC reads the numbers into `int`s.
            let int = |v: i64| v as i32;
            dhcpd_leases::text::isc_date_secs(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second),
                int(tzoff.unwrap_or(0)),
            )
        }
    }
}

fn clamp_u32(v: Option<i64>, default: u32) -> u32 {
    v.map_or(default, |v| v.clamp(0, i64::from(u32::MAX)) as u32)
}

fn setup_of(p: &FailoverPeer) -> Result<PeerSetup, String> {
    let role = match p.role {
        Some(FailoverRole::Secondary) => Role::Secondary,
        _ => Role::Primary,
    };
    let addr = |a: &Option<AddrOrName>, what: &str| match a {
        None => Ok(None),
        Some(AddrOrName::Addr(ip)) => Ok(Some(*ip)),
        Some(AddrOrName::Name(n)) => n
            .parse::<Ipv4Addr>()
            .map(Some)
            .map_err(|_| format!("failover peer {}: {what} {n}: not an IPv4 address", p.name)),
    };
    let local = addr(&p.me.address, "address")?;
    let peer = addr(&p.partner.address, "peer address")?
        .ok_or_else(|| format!("failover peer {}: no peer address", p.name))?;
    let port = |v: Option<i64>| {
        v.and_then(|v| u16::try_from(v).ok())
            .unwrap_or(DEFAULT_PORT)
    };
    let mut config = PeerConfig::new(&p.name, role, clamp_u32(p.mclt, 0));
    if let Some(split) = p.split {
        config.hba = hash::hba_from_split(split.clamp(0, 256) as u16);
    }
    if let Some(h) = p
        .hba
        .as_ref()
        .and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
    {
        config.hba = h;
    }
    config.max_unacked_updates = clamp_u32(p.me.max_unacked_updates, 100);
    config.max_response_delay = clamp_u32(p.me.max_response_delay, 20);
    config.load_balance_max_seconds = clamp_u32(p.load_balance_max_seconds, 0);
    config.auto_partner_down = clamp_u32(p.auto_partner_down, 0);
    let d = BalanceParams::default();
    let balance = BalanceParams {
        max_lease_misbalance: clamp_u32(p.max_lease_misbalance, d.max_lease_misbalance),
        max_lease_ownership: clamp_u32(p.max_lease_ownership, d.max_lease_ownership),
        min_balance: clamp_u32(p.min_balance, d.min_balance),
        max_balance: clamp_u32(p.max_balance, d.max_balance),
    };
    Ok(PeerSetup {
        link: FailoverLink {
            name: p.name.clone(),
            local,
            port: port(p.me.port),
            peer,
            peer_port: port(p.partner.port),
            secondary: role == Role::Secondary,
        },
        config,
        balance,
        conf_state: ConfState::default(),
    })
}

/// The `failover peer` blocks of a configuration (global scope and groups; ISC allows them
/// at the top level and in shared networks), in order.
pub fn setups_from_config(cfg: &ConfAst) -> Result<Vec<PeerSetup>, String> {
    fn walk(body: &[Stmt], out: &mut Vec<PeerSetup>) -> Result<(), String> {
        for s in body {
            match s {
                Stmt::FailoverPeer(p) => out.push(setup_of(p)?),
                // The parser accepts a state block only after its peer's declaration.
                Stmt::FailoverState(st) => {
                    if let Some(setup) = out.iter_mut().find(|x| x.link.name == st.name) {
                        setup.conf_state.apply(&st.items);
                    }
                }
                Stmt::Include(i) => walk(&i.statements, out)?,
                Stmt::Group(g) => walk(&g.body, out)?,
                Stmt::SharedNetwork(n) => walk(&n.body, out)?,
                _ => {}
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&cfg.statements, &mut out)?;
    Ok(out)
}

/// What happened to a lease of a failover pool (the engine's commit sites).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoChange {
    /// DHCPACK / BOOTREPLY: bound for `given` seconds, `desired` before the MCLT cut.
    Ack {
        /// Lease time before the MCLT rule.
        desired: u32,
        /// Lease time given.
        given: u32,
        /// The lease's binding state before the ACK.
        was: BindingState,
    },
    /// DHCPRELEASE.
    Release,
    /// The lease ran out.
    Expire,
    /// DHCPDECLINE (abandoned).
    Decline,
}

#[derive(Debug, Clone)]
struct LinkState {
    setup: PeerSetup,
    peer: Peer,
    close: bool,
    next_balance: Option<i64>,
    last_balance: i64,
}

/// The failover part of the engine's state.
#[derive(Debug, Clone, Default)]
pub struct Failover {
    links: Vec<LinkState>,
    pool_link: HashMap<usize, usize>,
}

fn secs(t: SystemTime) -> i64 {
    super::secs(t)
}

fn to_time(t: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(t.max(0)).unwrap_or(0))
}

impl Failover {
    fn link_of(&self, pool: usize) -> Option<usize> {
        self.pool_link.get(&pool).copied()
    }
}

impl Server {
    /// Starts failover: one state machine per relationship, with the state the lease file
    /// recorded (`persisted`, by peer name), or else the one a `failover peer "NAME" state`
    /// block of dhcpd.conf set ([`PeerSetup::conf_state`]), as ISC reads both. Pools name
    /// their peer with `failover peer`; a pool naming an unknown peer is an error (as in ISC). Call after
    /// [`Server::load_leases`]; the returned state records and log lines are queued as
    /// actions.
    pub fn enable_failover(
        &mut self,
        setups: Vec<PeerSetup>,
        persisted: &BTreeMap<String, FailoverState>,
        now: SystemTime,
    ) -> Result<(), String> {
        let now = secs(now);
        let mut fo = Failover::default();
        for s in setups {
            let from_conf =
                (!s.conf_state.is_empty()).then(|| s.conf_state.record(&s.link.name, now));
            let rec = persisted.get(&s.link.name).or(from_conf.as_ref());
            let peer = Peer::new(s.config.clone(), rec, now);
            fo.links.push(LinkState {
                setup: s,
                peer,
                close: false,
                next_balance: None,
                last_balance: 0,
            });
        }
        for (i, p) in self.model.pools.iter().enumerate() {
            if let Some(name) = &p.failover {
                let Some(l) = fo.links.iter().position(|l| &l.setup.link.name == name) else {
                    return Err(format!("failover peer {name}: unknown failover peer"));
                };
                fo.pool_link.insert(i, l);
            }
        }
        for (i, l) in fo.links.iter().enumerate() {
            if !fo.pool_link.values().any(|&x| x == i) {
                return Err(format!(
                    "failover peer {} is not referenced by any pool",
                    l.setup.link.name
                ));
            }
        }
        self.fo = fo;
        for i in 0..self.fo.links.len() {
            self.fo_pump(i, now);
        }
        Ok(())
    }

    /// Whether an ACTIVE lease of `pool` that has run out must be left for the peer to expire:
    /// ISC's secondary in NORMAL does not expire leases itself (`pool_timer`), it waits for the
    /// primary's EXPIRED BNDUPD; in any other state it expires them as usual.
    pub(super) fn fo_leaves_expiry_to_peer(&self, pool: usize) -> bool {
        self.fo_pool_peer(pool).is_some_and(|p| {
            p.config().role == Role::Secondary && p.state() == FailoverStateName::Normal
        })
    }

    fn fo_pool_peer(&self, pool: usize) -> Option<&Peer> {
        self.fo.link_of(pool).map(|l| &self.fo.links[l].peer)
    }

    fn fo_allowed(&self, peer: &Peer, l: &Lease, now: i64) -> bool {
        fol::may_allocate(
            l,
            peer.config().role,
            peer.service(),
            peer.stos(),
            peer.mclt(),
            now,
        )
    }

    /// Whether a free (or abandoned) lease may be handed to a new client (`allocate`); always
    /// outside failover pools.
    pub(super) fn fo_may_allocate(&self, e: &Entry, now: i64) -> bool {
        match self.fo_pool_peer(e.pool) {
            None => true,
            Some(p) => self.fo_allowed(p, &e.lease, now),
        }
    }

    /// Whether a requested address that is not the client's may be given to it.
    pub(super) fn fo_requested_free(&self, e: &Entry, now: i64) -> bool {
        match self.fo_pool_peer(e.pool) {
            None => matches!(
                e.lease.binding_state,
                BindingState::Free | BindingState::Expired | BindingState::Released
            ),
            Some(p) => {
                e.lease.binding_state != BindingState::Abandoned
                    && self.fo_allowed(p, &e.lease, now)
            }
        }
    }

    /// Whether the client's own (inactive) lease may be given back to it (ISC discards it in
    /// `dhcpdiscover` unless active, last active, or ours to reallocate).
    pub(super) fn fo_own_ok(&self, e: &Entry, now: i64) -> bool {
        match self.fo_pool_peer(e.pool) {
            None => true,
            Some(p) => {
                e.lease.binding_state == BindingState::Active
                    || e.lease.rewind_binding_state == BindingState::Active
                    || self.fo_allowed(p, &e.lease, now)
            }
        }
    }

    /// `dhcpdiscover`: whether the failover state keeps us from offering `addr` (logged).
    pub(super) fn fo_discover_blocked(
        &mut self,
        req: &Message,
        addr: Ipv4Addr,
        msg: &str,
        _now: i64,
    ) -> bool {
        let Some(pool) = self.leases.get(addr).map(|e| e.pool) else {
            return false;
        };
        let Some(peer) = self.fo_pool_peer(pool) else {
            return false;
        };
        let line = match peer.service() {
            Service::None => Some(format!("{msg}: not responding (startup)")),
            Service::Balanced if !peer.serves_discover(&hash::client_key(req), req.secs) => Some(
                format!("{msg}: load balance to peer {}", peer.config().name),
            ),
            _ => None,
        };
        match line {
            Some(l) => {
                self.log(Level::Debug, l);
                true
            }
            None => false,
        }
    }

    /// `dhcprequest`: whether the failover state keeps us from answering for `addr` (logged).
    pub(super) fn fo_request_blocked(
        &mut self,
        req: &Message,
        addr: Ipv4Addr,
        msg: &str,
        now: i64,
    ) -> bool {
        let Some(e) = self.leases.get(addr) else {
            return false;
        };
        let Some(peer) = self.fo_pool_peer(e.pool) else {
            return false;
        };
        let st = e.lease.binding_state;
        let free = matches!(st, BindingState::Free | BindingState::Backup);
        let line = if peer.service() == Service::None {
            Some(format!("{msg}: not responding (startup)"))
        } else if req.ciaddr == Ipv4Addr::UNSPECIFIED
            && free
            && peer.service() == Service::Balanced
            && !peer.serves_discover(&hash::client_key(req), req.secs)
        {
            Some(format!(
                "{msg}: load balance to peer {}",
                peer.config().name
            ))
        } else if free && !self.fo_allowed(peer, &e.lease, now) {
            Some(format!("{msg}: lease owned by peer"))
        } else if matches!(st, BindingState::Released | BindingState::Expired)
            && e.lease.rewind_binding_state != BindingState::Active
            && !self.fo_allowed(peer, &e.lease, now)
        {
            Some(format!("{msg}: lease in transition state {}", st.name()))
        } else {
            None
        };
        match line {
            Some(l) => {
                self.log(Level::Debug, l);
                true
            }
            None => false,
        }
    }

    /// The lease time for `addr` after ISC's MCLT rule (unchanged outside failover pools).
    pub(super) fn fo_lease_time(&self, addr: Ipv4Addr, desired: u32, now: i64) -> u32 {
        let Some(e) = self.leases.get(addr) else {
            return desired;
        };
        match self.fo_pool_peer(e.pool) {
            None => desired,
            Some(p) => fol::lease_time(desired, p.mclt(), e.lease.tsfp, now),
        }
    }

    /// A lease of `pool` is about to be committed after `change`: apply the failover
    /// bookkeeping (binding states, tstp) and queue its BNDUPD.
    pub(super) fn fo_committing(&mut self, pool: usize, l: &mut Lease, change: FoChange, now: i64) {
        let Some(link) = self.fo.link_of(pool) else {
            return;
        };
        match change {
            FoChange::Ack {
                desired,
                given,
                was,
            } => {
                fol::on_client_ack(l, now, desired, given);
                l.next_binding_state = BindingState::Expired;
                if matches!(was, BindingState::Free | BindingState::Backup) {
                    l.rewind_binding_state = was;
                }
            }
            FoChange::Release => {
                l.binding_state = BindingState::Released;
                l.next_binding_state = BindingState::Released;
                l.tstp = now;
            }
            FoChange::Expire => {
                l.binding_state = BindingState::Expired;
                l.next_binding_state = BindingState::Expired;
                l.tstp = now;
            }
            FoChange::Decline => {
                l.tstp = now;
            }
        }
        l.atsfp = 0;
        self.fo.links[link].peer.queue_lease(now, l);
        self.fo_pump(link, now);
    }

    /// Puts a lease changed by failover into the table and the journal (no waiter).
    fn fo_store(&mut self, lease: Lease, now: i64) {
        let Some(e) = self.leases.get(lease.addr) else {
            return;
        };
        let (pool, subnet) = (e.pool, e.subnet);
        let record = dhcpd_leases::write::write_lease(&lease, now);
        self.leases.put(Entry {
            lease,
            pool,
            subnet,
        });
        self.actions
            .push_back(Action::Commit { record, then: None });
    }

    fn fo_pools(&self, link: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .fo
            .pool_link
            .iter()
            .filter(|(_, l)| **l == link)
            .map(|(p, _)| *p)
            .collect();
        v.sort_unstable();
        v
    }

    /// Carries out what the state machine of `link` asks, until it has nothing more.
    fn fo_pump(&mut self, link: usize, now: i64) {
        while let Some(ev) = self.fo.links[link].peer.poll_event() {
            match ev {
                Event::Log(line) => self.log(Level::Info, line),
                Event::Persist(rec) => {
                    let record = WriteOptions::default().failover_state(&rec);
                    self.actions
                        .push_back(Action::Commit { record, then: None });
                }
                Event::SendUpdates(scope) => {
                    let all = matches!(scope, UpdateScope::All);
                    let pools = self.fo_pools(link);
                    let leases: Vec<Lease> = self
                        .leases
                        .iter()
                        .filter(|e| pools.contains(&e.pool))
                        .filter(|e| all || fol::needs_update(&e.lease))
                        .map(|e| e.lease.clone())
                        .collect();
                    let peer = &mut self.fo.links[link].peer;
                    for l in &leases {
                        peer.queue_lease(now, l);
                    }
                    peer.updates_queued(now);
                }
                Event::BalancePools { answer } => self.fo_balance(link, answer, false, now),
                Event::PartnerDown { stos, mclt } => {
                    let pools = self.fo_pools(link);
                    let changed: Vec<Lease> = self
                        .leases
                        .iter()
                        .filter(|e| pools.contains(&e.pool))
                        .filter_map(|e| {
                            let mut l = e.lease.clone();
                            fol::enter_partner_down(&mut l, stos, mclt);
                            (l != e.lease).then_some(l)
                        })
                        .collect();
                    for l in changed {
                        self.fo_store(l, now);
                    }
                }
                Event::ServiceChanged(s) => {
                    let name = self.fo.links[link].setup.link.name.clone();
                    self.log(Level::Debug, format!("failover peer {name}: service {s:?}"));
                }
                Event::CloseLink => self.fo.links[link].close = true,
                Event::StateChanged { to, .. } if to != FailoverStateName::Normal => {
                    self.fo.links[link].next_balance = None;
                }
                _ => {}
            }
        }
    }

    /// One pool balancing pass over the pools of `link`. `timer` is ISC's timer-driven
    /// `dhcp_failover_pool_rebalance`, the only pass that may send POOLREQ; the passes on
    /// entering NORMAL and on a POOLREQ never do (no ping-pong).
    fn fo_balance(&mut self, link: usize, answer: Option<u32>, timer: bool, now: i64) {
        let role = self.fo.links[link].peer.config().role;
        let hba = *self.fo.links[link].peer.hba();
        let params = self.fo.links[link].setup.balance;
        let mut moved_total = 0u32;
        let mut request = false;
        let mut oldest: (Option<i64>, Option<i64>) = (None, None);
        for p in self.fo_pools(link) {
            let mut free = 0u32;
            let mut backup = 0u32;
            let mut lease_count = 0u32;
            let mut mine: Vec<&Lease> = Vec::new();
            for e in self.leases.iter().filter(|e| e.pool == p) {
                lease_count += 1;
                match e.lease.binding_state {
                    BindingState::Free => free += 1,
                    BindingState::Backup => backup += 1,
                    _ => continue,
                }
                if e.lease.binding_state == role.free_state() {
                    mine.push(&e.lease);
                }
            }
            mine.sort_by_key(|l| (l.ends, l.addr));
            let b = pool::balance(role, &hba, &params, free, backup, &mine);
            let net = self
                .model
                .shared
                .get(self.model.pools[p].shared)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            let req = timer && answer.is_none() && b.request_peer;
            let line = format!(
                "balancing pool {p:x} {net}  total {lease_count}  free {free}  backup {backup}  lts {}  max-own (+/-){}{}",
                b.lts,
                b.hold,
                if req {
                    "  (requesting peer rebalance!)"
                } else {
                    ""
                }
            );
            request |= req;
            let moves = b.moves.clone();
            drop(mine);
            self.log(Level::Info, line);
            let mut moved = 0i64;
            for a in moves {
                let Some(mut l) = self.leases.get(a).map(|e| e.lease.clone()) else {
                    continue;
                };
                pool::give_away(&mut l, role, now);
                self.fo.links[link].peer.queue_lease(now, &l);
                self.fo_store(l, now);
                moved_total += 1;
                moved += 1;
            }
            let (f2, b2) = match role {
                Role::Primary => (i64::from(free) - moved, i64::from(backup) + moved),
                Role::Secondary => (i64::from(free) + moved, i64::from(backup) - moved),
            };
            self.log(
                Level::Info,
                format!(
                    "balanced pool {p:x} {net}  total {lease_count}  free {f2}  backup {b2}  lts {}  max-misbal {}",
                    b.lts_after,
                    b.thresh
                ),
            );
            let ends = |s: BindingState| {
                self.leases
                    .iter()
                    .filter(|e| e.pool == p && e.lease.binding_state == s)
                    .map(|e| e.lease.ends)
                    .min()
            };
            let (m, o) = (ends(role.free_state()), ends(role.peer_free_state()));
            oldest.0 = oldest.0.min(m).or(oldest.0).or(m);
            oldest.1 = oldest.1.min(o).or(oldest.1).or(o);
        }
        let ls = &mut self.fo.links[link];
        ls.last_balance = now;
        ls.next_balance = Some(pool::next_check(now, now, oldest.0, oldest.1, &params));
        match answer {
            Some(xid) => ls.peer.answer_pool_request(now, xid, moved_total),
            None if request => ls.peer.request_pool(now),
            None => {}
        }
    }

    fn fo_incoming(&mut self, link: usize, inc: Incoming, now: i64) {
        match inc {
            Incoming::BindUpdate(rx) => {
                let pools = self.fo_pools(link);
                let current = rx
                    .update
                    .addr
                    .and_then(|a| self.leases.get(a))
                    .filter(|e| pools.contains(&e.pool))
                    .map(|e| e.lease.clone());
                let out = self.fo.links[link]
                    .peer
                    .process_bind_update(now, &rx, current.as_ref());
                match out.commit {
                    Some(lease) => {
                        let Some(e) = self.leases.get(lease.addr) else {
                            return;
                        };
                        let (pool, subnet) = (e.pool, e.subnet);
                        let record = dhcpd_leases::write::write_lease(&lease, now);
                        self.leases.put(Entry {
                            lease,
                            pool,
                            subnet,
                        });
                        self.actions.push_back(Action::CommitAck {
                            record,
                            link,
                            ack: out.ack,
                        });
                    }
                    None => self.fo.links[link].peer.queue_ack(now, out.ack),
                }
            }
            Incoming::Acked(sent) => {
                let role = self.fo.links[link].peer.config().role;
                let Some(mut l) = sent
                    .addr
                    .and_then(|a| self.leases.get(a))
                    .map(|e| e.lease.clone())
                else {
                    return;
                };
                fol::apply_ack(&mut l, &sent, role);
                self.fo_store(l, now);
            }
            _ => {}
        }
    }

    fn fo_link_index(&self, name: &str) -> Option<usize> {
        self.fo.links.iter().position(|l| l.setup.link.name == name)
    }

    /// The operator's partner-down (control socket, OMAPI): refused while the peer is
    /// connected and normal; already partner-down is not an error.
    fn fo_partner_down(&mut self, name: &str, now: i64) -> Result<String, String> {
        let Some(i) = self.fo_link_index(name) else {
            return Err(format!("failover peer {name}: no such relationship"));
        };
        let p = &mut self.fo.links[i].peer;
        if p.state() == FailoverStateName::PartnerDown {
            return Ok(format!("failover peer {name}: already partner-down"));
        }
        if p.is_connected() && p.partner_state() == FailoverStateName::Normal {
            return Err(format!(
                "failover peer {name}: refused: the peer is connected and normal"
            ));
        }
        p.set_local_state(now, FailoverStateName::PartnerDown);
        self.fo_pump(i, now);
        Ok(format!("failover peer {name}: partner-down"))
    }

    /// My failover state and the partner's for a relationship (tests, status).
    pub fn failover_state(&self, name: &str) -> Option<(FailoverStateName, FailoverStateName)> {
        let i = self.fo_link_index(name)?;
        let p = &self.fo.links[i].peer;
        Some((p.state(), p.partner_state()))
    }
}

impl FailoverEngine for Server {
    fn failover_links(&self) -> Vec<FailoverLink> {
        self.fo.links.iter().map(|l| l.setup.link.clone()).collect()
    }

    fn failover_connected(&mut self, link: usize, now: SystemTime) {
        let now = secs(now);
        if let Some(l) = self.fo.links.get_mut(link) {
            l.close = false;
            l.peer.handle_connected(now);
            self.fo_pump(link, now);
        }
    }

    fn failover_disconnected(&mut self, link: usize, now: SystemTime) {
        let now = secs(now);
        if let Some(l) = self.fo.links.get_mut(link) {
            l.peer.handle_disconnected(now);
            l.close = false;
            self.fo_pump(link, now);
        }
    }

    fn failover_message(&mut self, link: usize, now: SystemTime, msg: FoMessage) -> bool {
        let now = secs(now);
        let Some(l) = self.fo.links.get_mut(link) else {
            return false;
        };
        let r = l.peer.handle_message(now, msg);
        self.fo_pump(link, now);
        match r {
            Ok(inc) => {
                self.fo_incoming(link, inc, now);
                self.fo_pump(link, now);
                true
            }
            Err(e) => {
                let name = self.fo.links[link].setup.link.name.clone();
                self.log(Level::Error, format!("failover peer {name}: {e}"));
                false
            }
        }
    }

    fn failover_committed(&mut self, link: usize, ack: FoMessage, now: SystemTime) {
        let now = secs(now);
        if let Some(l) = self.fo.links.get_mut(link) {
            l.peer.queue_ack(now, ack);
            self.fo_pump(link, now);
        }
    }

    fn failover_poll_transmit(&mut self, link: usize) -> Option<FoMessage> {
        self.fo.links.get_mut(link)?.peer.poll_transmit()
    }

    fn failover_poll_close(&mut self, link: usize) -> bool {
        self.fo
            .links
            .get_mut(link)
            .is_some_and(|l| std::mem::take(&mut l.close))
    }

    fn failover_timeout(&self) -> Option<SystemTime> {
        self.fo
            .links
            .iter()
            .flat_map(|l| [l.peer.poll_timeout(), l.next_balance])
            .flatten()
            .min()
            .map(to_time)
    }

    fn failover_handle_timeout(&mut self, now: SystemTime) {
        let now = secs(now);
        for i in 0..self.fo.links.len() {
            if self.fo.links[i]
                .peer
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                self.fo.links[i].peer.handle_timeout(now);
                self.fo_pump(i, now);
            }
            if self.fo.links[i].next_balance.is_some_and(|t| t <= now) {
                self.fo.links[i].next_balance = None;
                if self.fo.links[i].peer.state() == FailoverStateName::Normal {
                    self.fo_balance(i, None, true, now);
                    self.fo_pump(i, now);
                }
            }
        }
    }

    fn failover_view(&self, name: &str) -> Option<crate::io::FailoverView> {
        let l = &self.fo.links[self.fo_link_index(name)?];
        let p = &l.peer;
        let rec = p.record();
        let cfg = p.config();
        Some(crate::io::FailoverView {
            name: name.to_string(),
            partner_address: l.setup.link.peer,
            partner_port: l.setup.link.peer_port,
            local_address: l.setup.link.local.unwrap_or(Ipv4Addr::UNSPECIFIED),
            local_port: l.setup.link.port,
            max_outstanding_updates: cfg.max_unacked_updates,
            mclt: p.mclt(),
            load_balance_max_secs: cfg.load_balance_max_seconds,
            hba: *p.hba(),
            partner_state: isc_state_number(p.partner_state()),
            local_state: isc_state_number(p.state()),
            partner_stos: rec.partner.stos,
            local_stos: p.stos(),
            hierarchy: u32::from(cfg.role == Role::Secondary),
            max_response_delay: cfg.max_response_delay,
            cur_unacked_updates: u32::try_from(p.unacked_updates()).unwrap_or(u32::MAX),
        })
    }

    fn failover_set_local_state(
        &mut self,
        name: &str,
        state: u32,
        now: SystemTime,
    ) -> Result<(), String> {
        if self.fo_link_index(name).is_none() {
            return Err(format!("failover peer {name}: no such relationship"));
        }
        if state != isc_state_number(FailoverStateName::PartnerDown) {
            return Err(format!(
                "failover peer {name}: local-state {state}: only 4 (partner-down) can be set"
            ));
        }
        self.fo_partner_down(name, secs(now)).map(|_| ())
    }

    fn failover_control(&mut self, cmd: &str, now: SystemTime) -> String {
        let now = secs(now);
        let mut words = cmd.split_whitespace();
        match (words.next(), words.next()) {
            (Some("partner-down"), Some(name)) => match self.fo_partner_down(name, now) {
                Ok(m) | Err(m) => m,
            },
            (Some("status"), _) => {
                let mut out = String::new();
                for l in &self.fo.links {
                    out.push_str(&format!(
                        "failover peer {}: my state {}, partner state {}, {}; ",
                        l.setup.link.name,
                        l.peer.state().name(),
                        l.peer.partner_state().name(),
                        if l.peer.is_connected() {
                            "connected"
                        } else {
                            "not connected"
                        }
                    ));
                }
                if out.is_empty() {
                    "no failover relationships".to_string()
                } else {
                    out.trim_end_matches("; ").to_string()
                }
            }
            _ => "unknown command (partner-down NAME | status)".to_string(),
        }
    }
}

/// ISC's number for a failover state (`enum failover_state`, OMAPI's `local-state`).
fn isc_state_number(s: FailoverStateName) -> u32 {
    use FailoverStateName as S;
    match s {
        S::Unknown => 0,
        S::Startup => 1,
        S::Normal => 2,
        S::CommunicationsInterrupted => 3,
        S::PartnerDown => 4,
        S::PotentialConflict => 5,
        S::Recover => 6,
        S::Paused => 7,
        S::Shutdown => 8,
        S::RecoverDone => 9,
        S::ResolutionInterrupted => 10,
        S::ConflictDone => 11,
        S::RecoverWait => 254,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Date {
        Date::Calendar {
            weekday: 0,
            year,
            month,
            day,
            hour,
            minute,
            second,
            tzoff: None,
        }
    }

    #[test]
    fn conf_dates_are_read_as_isc_reads_them() {
        // 2026-11-26 10:00:00 UTC; 2024-02-29 23:59:59 UTC (leap day).
        assert_eq!(date_secs(&cal(2026, 11, 26, 10, 0, 0)), 1_795_687_200);
        assert_eq!(date_secs(&cal(2024, 2, 29, 23, 59, 59)), 1_709_251_199);
        assert_eq!(date_secs(&cal(2040, 1, 1, 0, 0, 0)), dhcpd_leases::NEVER);
        assert_eq!(date_secs(&Date::Never), dhcpd_leases::NEVER);
        assert_eq!(date_secs(&Date::Epoch(12)), 12);
        // Absurd numbers give some date, not a panic.
        let _ = date_secs(&cal(
            i64::MIN,
            i64::MIN,
            i64::MAX,
            i64::MAX,
            i64::MIN,
            i64::MAX,
        ));
        let _ = date_secs(&cal(-5, 0, 0, -1, 0, 0));
    }
}
