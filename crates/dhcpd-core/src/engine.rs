//! The DHCPv4 server engine: ISC dhcpd's message flow (`dhcpdiscover`, `dhcprequest`,
//! `dhcprelease`, `dhcpdecline`, `dhcpinform`), its choice of address, its lease times, its
//! log lines and its reply routing, over the [`Model`], the [`LeaseTable`] and the scopes.
//!
//! Sans-IO: packets and the time come in through [`Engine`]; replies, lease-file records and
//! log lines go out as [`Action`]s. A reply that depends on a lease change is emitted as
//! [`Action::Commit`] so the server sends it only after the record is on disk.

use std::collections::{HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dhcpd_conf::ast::Permit;
use dhcpd_conf::basic::{AddrOrName, HardwareAddr};
use dhcpd_conf::exec::{Event, Executable};
use dhcpd_leases::model::{BindingState, Lease, OnRelease, Statements};
use dhcpd_wire::message::{DhcpOption, Message, MessageType, OpCode};
use dhcpd_wire::options::Registry;
use dhcpd_wire::order::{ReplyParams, build_reply_options, effective_max_message_size};

use crate::classify::{Billing, Member};
use crate::io::{Action, Engine, Level, Received, Route, Transmit};
use crate::leases::{Entry, LeaseTable, LoadReport};
use crate::model::Model;
use crate::scope::{Effect, EvalCtx, OptionSet, Param, execute, execute_scopes};

mod ddns;
pub mod failover; // FAILOVER: the failover side of the engine (engine/failover.rs)
mod omapi_lease; // OMAPI lease updates (engine/omapi_lease.rs)

/// ISC's defaults (includes/dhcpd.h).
const DEFAULT_DEFAULT_LEASE_TIME: u32 = 43_200;
const DEFAULT_MAX_LEASE_TIME: u32 = 86_400;
const DEFAULT_ABANDON_LEASE_TIME: i64 = 86_400;
const DEFAULT_CACHE_THRESHOLD: i64 = 25;
/// An OFFER keeps a free lease at least this long at the back of the free queue (ISC's
/// `dhcpdiscover`: the lease "ends" two minutes after the offer, in memory only).
const OFFER_HOLD: i64 = 120;
/// ISC's ping defaults (includes/dhcpd.h): wait 1 s; a client's own recent lease is not
/// pinged again within 60 s of its last transaction.
const DEFAULT_PING_TIMEOUT: u32 = 1;
const DEFAULT_PING_CLTT_SECS: u32 = 60;
const BROADCAST_FLAG: u16 = 0x8000;

/// An interface of the host, as the server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceInfo {
    /// Kernel index.
    pub index: u32,
    /// Name.
    pub name: String,
    /// Hardware address.
    pub mac: [u8; 6],
    /// IPv4 addresses with prefix lengths (the first is the primary one).
    pub addrs: Vec<(Ipv4Addr, u8)>,
}

#[derive(Debug, Clone)]
struct Served {
    info: IfaceInfo,
    shared: usize,
}

/// Why the server cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who the client is, from its message.
#[derive(Debug, Clone)]
struct Client {
    uid: Option<Vec<u8>>,
    hw: HardwareAddr,
    hostname: Option<Vec<u8>>,
    requested: Option<Ipv4Addr>,
    server_id: Option<Ipv4Addr>,
    requested_lease_time: Option<u32>,
}

impl Client {
    fn of(msg: &Message) -> Client {
        let hlen = usize::from(msg.hlen).min(16);
        let hw = HardwareAddr::from_prefix(msg.htype, &msg.chaddr[..hlen]);
        let addr = |code| {
            msg.option_data(code).and_then(|v| match *v {
                [a, b, c, d] => Some(Ipv4Addr::new(a, b, c, d)),
                _ => None,
            })
        };
        Client {
            uid: msg.option(61).filter(|v| !v.is_empty()),
            hostname: msg.option(12).filter(|v| !v.is_empty()),
            requested: addr(50),
            server_id: addr(54),
            requested_lease_time: msg.option_data(51).and_then(|v| match *v {
                [a, b, c, d] => Some(u32::from_be_bytes([a, b, c, d])),
                _ => None,
            }),
            hw,
        }
    }

    fn owns(&self, l: &Lease) -> bool {
        if !l.uid.is_empty() {
            return self.uid.as_deref() == Some(l.uid.as_slice());
        }
        l.hardware.as_ref() == Some(&self.hw)
    }

    fn mac(&self) -> HwString<'_> {
        HwString(self.hw.addr())
    }
}

/// A log line of the per-packet kind, written into one buffer big enough for the usual
/// line (`format!` would grow it piece by piece).
fn line_text(args: std::fmt::Arguments<'_>) -> String {
    let mut s = String::with_capacity(96);
    let _ = std::fmt::Write::write_fmt(&mut s, args);
    s
}

/// An IPv4 address in dotted quad, written as one string (`Ipv4Addr`'s `Display` goes through
/// the formatter once per octet and dot).
struct Ip(Ipv4Addr);

impl std::fmt::Display for Ip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 15];
        let mut n = 0;
        for (i, o) in self.0.octets().into_iter().enumerate() {
            if i > 0 {
                buf[n] = b'.';
                n += 1;
            }
            if o >= 100 {
                buf[n] = b'0' + o / 100;
                n += 1;
            }
            if o >= 10 {
                buf[n] = b'0' + (o / 10) % 10;
                n += 1;
            }
            buf[n] = b'0' + o % 10;
            n += 1;
        }
        f.write_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

/// ` (ADDRESS)` after a REQUEST's address when the client named a server, or nothing.
struct SidPart(Option<Ipv4Addr>);

impl std::fmt::Display for SidPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) => write!(f, " ({})", Ip(s)),
            None => Ok(()),
        }
    }
}

/// A hardware address as ISC prints it (`xx:xx:…`, lowercase hex), written without building
/// a string.
struct HwString<'a>(&'a [u8]);

impl std::fmt::Display for HwString<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, b) in self.0.iter().enumerate() {
            let pair = [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]];
            if i > 0 {
                f.write_str(":")?;
            }
            f.write_str(std::str::from_utf8(&pair).unwrap_or_default())?;
        }
        Ok(())
    }
}

fn hw_string(addr: &[u8]) -> String {
    HwString(addr).to_string()
}

/// `(hostname) ` as ISC prints it in log lines, or nothing.
fn host_part(name: Option<&[u8]>) -> HostPart<'_> {
    HostPart(name)
}

/// See [`host_part`].
struct HostPart<'a>(Option<&'a [u8]>);

impl std::fmt::Display for HostPart<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) if n.len() <= 64 && n.iter().all(|&c| (0x20..0x7f).contains(&c)) => {
                write!(f, "({}) ", String::from_utf8_lossy(n))
            }
            Some(_) => f.write_str("(Hostname Unsuitable for Printing) "),
            None => Ok(()),
        }
    }
}

/// What a log line says a packet came through: the relay's address, or the interface.
struct Via<'a>(&'a Message, &'a Served);

impl std::fmt::Display for Via<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.giaddr != Ipv4Addr::UNSPECIFIED {
            std::fmt::Display::fmt(&Ip(self.0.giaddr), f)
        } else {
            f.write_str(&self.1.info.name)
        }
    }
}

fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The server parameters the engine reads per packet, looked up once in the registry.
#[derive(Debug, Clone, Copy)]
struct Params {
    cache_threshold: Param,
    default_lease_time: Param,
    max_lease_time: Param,
    min_lease_time: Param,
    filename: Param,
    server_name: Param,
    next_server: Param,
    ping_check: Param,
    ping_cltt_secs: Param,
    ping_timeout_ms: Param,
    ping_timeout: Param,
    one_lease_per_client: Param,
    stash_agent_options: Param,
    duplicates: Param,
    always_reply_rfc1048: Param,
}

impl Params {
    fn new(reg: &Registry) -> Params {
        Params {
            cache_threshold: Param::new(reg, "dhcp-cache-threshold"),
            default_lease_time: Param::new(reg, "default-lease-time"),
            max_lease_time: Param::new(reg, "max-lease-time"),
            min_lease_time: Param::new(reg, "min-lease-time"),
            filename: Param::new(reg, "filename"),
            server_name: Param::new(reg, "server-name"),
            next_server: Param::new(reg, "next-server"),
            ping_check: Param::new(reg, "ping-check"),
            ping_cltt_secs: Param::new(reg, "ping-cltt-secs"),
            ping_timeout_ms: Param::new(reg, "ping-timeout-ms"),
            ping_timeout: Param::new(reg, "ping-timeout"),
            one_lease_per_client: Param::new(reg, "one-lease-per-client"),
            stash_agent_options: Param::new(reg, "stash-agent-options"),
            duplicates: Param::new(reg, "duplicates"),
            always_reply_rfc1048: Param::new(reg, "always-reply-rfc1048"),
        }
    }
}

/// The engine.
#[derive(Debug)]
pub struct Server {
    /// `host-identifier option` lookups, as ISC's `host_id_info` list (see [`HostIdInfo`]).
    host_ids: Vec<HostIdInfo>,
    model: Model,
    registry: Registry,
    /// Server parameter codes of `registry`.
    params: Params,
    leases: LeaseTable,
    /// The served interfaces (shared, so that a packet holds its own without a copy).
    served: Vec<std::sync::Arc<Served>>,
    actions: VecDeque<Action>,
    client_port: u16,
    /// FAILOVER: the relationships and their state machines.
    fo: failover::Failover,
    /// OFFERs waiting for their ping: the address, when to give up waiting, and the
    /// actions (log line, reply) to run when nobody answered.
    pings: HashMap<Ipv4Addr, PendingPing>,
    /// The time of the call being handled, with sub-second precision (ping deadlines).
    clock: SystemTime,
    /// `lease limit` billing: the class (or spawned subclass) each lease is billed to.
    billed: HashMap<Ipv4Addr, Member>,
    /// DHCPINFORMs refused as not authoritative (ISC explains why on the first of every 101).
    inform_warnings: u32,
    /// The packet being handled carries relay agent options stashed on its lease: they are
    /// not echoed and not stashed again (ISC's `agent_options_stashed`).
    agent_stashed: bool,
    /// DDNS (`ddns-update-style interim|standard`): its settings and updater.
    ddns: Option<ddns::DdnsState>,
}

/// The `on` bodies the scope statements left in force for a lease being acknowledged.
struct OnBodies {
    commit: Option<Vec<Executable>>,
    expiry: Option<Statements>,
    release: OnRelease,
}

/// Collects the `on commit`, `on expiry` and `on release` bodies: a later `on` replaces an
/// earlier one for the same event, `on EVENT;` clears it. When one `on expiry or release`
/// statement set both, the lease keeps them as one (written `on expiry or release { … }`).
fn on_bodies(effects: &[Effect]) -> OnBodies {
    let mut slots: [(Option<usize>, Option<&Vec<Executable>>); 3] = [(None, None); 3];
    for (i, e) in effects.iter().enumerate() {
        if let Effect::On { events, body } = e {
            for ev in events {
                let slot = match ev {
                    Event::Commit => 0,
                    Event::Expiry => 1,
                    Event::Release => 2,
                    Event::Transmission => continue,
                };
                slots[slot] = (Some(i), body.as_ref().filter(|b| !b.is_empty()));
            }
        }
    }
    let [(_, commit), (ei, expiry), (ri, release)] = slots;
    let same = expiry.is_some() && release.is_some() && ei == ri;
    let stmts = |b: &Vec<Executable>| Statements { stmts: b.clone() };
    OnBodies {
        commit: commit.cloned(),
        expiry: expiry.map(stmts),
        release: match release {
            Some(_) if same => OnRelease::SameAsExpiry,
            Some(b) => OnRelease::Own(stmts(b)),
            None => OnRelease::None,
        },
    }
}

/// An OFFER held back while its address is pinged.
#[derive(Debug, Clone)]
struct PendingPing {
    deadline: SystemTime,
    then: Vec<Action>,
}

/// Where a client is being served: its network, the subnet and pool of its address, its host
/// declaration and its classes.
#[derive(Debug, Clone, Copy)]
struct Place<'c> {
    shared: usize,
    subnet: Option<usize>,
    pool: Option<usize>,
    host: Option<usize>,
    classes: &'c [usize],
}

/// The result of looking for a client's lease (ISC's `find_lease`).
struct Found {
    addr: Option<Ipv4Addr>,
    /// The requested address is ours but not available to this client.
    ours: bool,
}

impl Server {
    /// Builds the engine for a checked configuration and the host's interfaces. `requested`
    /// are the interface names from the command line (all matching ones when empty).
    /// Returns ISC's start-up log lines with it.
    pub fn new(
        model: Model,
        registry: Registry,
        ifaces: &[IfaceInfo],
        requested: &[String],
        client_port: u16,
    ) -> Result<(Server, Vec<String>), StartError> {
        let mut log = Vec::new();
        let mut served = Vec::new();
        for name in requested {
            if !ifaces.iter().any(|i| &i.name == name) {
                return Err(StartError(format!("{name}: interface not found")));
            }
        }
        for i in ifaces {
            if !requested.is_empty() && !requested.contains(&i.name) {
                continue;
            }
            if i.addrs.is_empty() || i.name == "lo" {
                continue;
            }
            let shared = i
                .addrs
                .iter()
                .find_map(|(a, _)| model.subnet_for(*a).map(|s| model.subnets[s].shared));
            match shared {
                Some(shared) => {
                    let net = &model.shared[shared].name;
                    let mac = hw_string(&i.mac);
                    log.push(format!("Listening on LPF/{}/{mac}/{net}", i.name));
                    log.push(format!("Sending on   LPF/{}/{mac}/{net}", i.name));
                    served.push(std::sync::Arc::new(Served {
                        info: i.clone(),
                        shared,
                    }));
                }
                None if !requested.is_empty() || !i.addrs.is_empty() => {
                    let a = i.addrs[0].0;
                    log.push(format!(
                        "\nNo subnet declaration for {} ({a}).\n** Ignoring requests on {}.  If this is not what\n   you want, please write a subnet declaration\n   in your dhcpd.conf file for the network segment\n   to which interface {} is attached. **\n",
                        i.name, i.name, i.name
                    ));
                }
                None => {}
            }
        }
        if served.is_empty() {
            return Err(StartError(
                "Not configured to listen on any interfaces!".to_string(),
            ));
        }
        log.push("Sending on   Socket/fallback/fallback-net".to_string());
        let leases = LeaseTable::new(&model);
        let host_ids = host_id_info(&model, &registry);
        let (ddns, ddns_log) = ddns::DdnsState::from_model(&model, &registry);
        log.extend(ddns_log);
        Ok((
            Server {
                model,
                host_ids,
                params: Params::new(&registry),
                registry,
                leases,
                served,
                actions: VecDeque::new(),
                client_port,
                fo: failover::Failover::default(),
                pings: HashMap::new(),
                clock: UNIX_EPOCH,
                billed: HashMap::new(),
                inform_warnings: 0,
                agent_stashed: false,
                ddns,
            },
            log,
        ))
    }

    /// Applies the lease file read at start-up.
    pub fn load_leases(&mut self, state: &dhcpd_leases::db::State) -> LoadReport {
        self.leases.load(state)
    }

    /// Applies the lease file's host records, in file order, as ISC does when it reads
    /// them after the configuration: a `deleted;` rubout deletes the host holding the name
    /// (one of the configuration's too); any other record enters a host unless a live host
    /// holds the name. Returns ISC's warnings (`host NAME: already exists`).
    pub fn load_hosts(&mut self, records: &[dhcpd_leases::Host]) -> Vec<String> {
        let mut warnings = Vec::new();
        for h in records {
            let holder = self.model.host_by_name(&h.name);
            if h.deleted {
                if let Some(i) = holder {
                    self.model.delete_host(i);
                }
                continue;
            }
            if holder.is_some_and(|i| !self.model.hosts[i].deleted) {
                warnings.push(format!("host {}: already exists", h.name));
                continue;
            }
            self.model.enter_host(h.clone(), 0);
        }
        self.host_ids = host_id_info(&self.model, &self.registry);
        warnings
    }

    /// The live host holding `name`.
    fn live_host(&self, name: &str) -> Option<usize> {
        self.model
            .host_by_name(name)
            .filter(|&i| !self.model.hosts[i].deleted)
    }

    /// The lease table (for the start-up rewrite and tests).
    pub fn leases(&self) -> &LeaseTable {
        &self.leases
    }

    /// The served interfaces (index, name).
    pub fn served(&self) -> Vec<(u32, String)> {
        self.served
            .iter()
            .map(|s| (s.info.index, s.info.name.clone()))
            .collect()
    }

    fn log(&mut self, level: Level, msg: String) {
        self.actions.push_back(Action::Log(level, msg));
    }

    /// The shared network a packet belongs to (ISC's `locate_network`).
    fn locate(&self, iface: &Served, msg: &Message) -> Option<usize> {
        if msg.giaddr != Ipv4Addr::UNSPECIFIED {
            return self
                .model
                .subnet_for(msg.giaddr)
                .map(|s| self.model.subnets[s].shared);
        }
        Some(iface.shared)
    }

    /// What expressions see while only the packet is known (no lease, host or class yet).
    fn packet_ctx<'s>(&'s self, req: &'s Message, now: i64) -> EvalCtx<'s> {
        EvalCtx {
            now,
            model: &self.model,
            registry: &self.registry,
            packet: Some(req),
            lease: None,
            host: None,
            classes: &[],
        }
    }

    /// The classes a packet is in (ISC classifies on the packet alone, before it looks for
    /// the host or the lease).
    fn classes_of(&self, req: &Message, now: i64) -> Vec<usize> {
        let ctx = self.packet_ctx(req, now);
        crate::classify::classify(&ctx)
    }

    /// The host declaration for a client: by client identifier, then by hardware address.
    fn host_for(&self, c: &Client) -> Option<usize> {
        c.uid
            .as_deref()
            .and_then(|uid| self.model.host_by_uid(uid))
            .or_else(|| self.model.host_by_hardware(&c.hw))
    }

    /// ISC's `find_hosts_by_option`: the host whose `host-identifier option` value the
    /// packet carries (options of encapsulated spaces such as `agent.*` included), trying the
    /// options newest first. ISC uses it for DISCOVER and REQUEST when neither the client
    /// identifier nor the hardware address found a host.
    fn host_by_identifier(&self, req: &Message, now: i64) -> Option<usize> {
        if self.host_ids.is_empty() {
            return None;
        }
        let ctx = self.packet_ctx(req, now);
        let mut env = crate::eval::Env::new();
        let mut effects = Vec::new();
        let mut m = crate::eval::Machine {
            ctx: &ctx,
            env: &mut env,
            out: None,
            effects: &mut effects,
        };
        self.host_ids.iter().find_map(|e| {
            let got = m.data(&dhcpd_conf::exec::Expr::Option(e.option.clone()))?;
            e.values.iter().find(|(v, _)| *v == got).map(|&(_, h)| h)
        })
    }

    /// A host's fixed address on a shared network.
    fn fixed_address(&self, host: usize, shared: usize) -> Option<(Ipv4Addr, usize)> {
        self.model.hosts[host].fixed.iter().find_map(|a| match a {
            AddrOrName::Addr(ip) => self
                .model
                .subnet_for(*ip)
                .filter(|&s| self.model.subnets[s].shared == shared)
                .map(|s| (*ip, s)),
            AddrOrName::Name(_) => None,
        })
    }

    fn permitted(&self, pool: usize, host: Option<usize>, classes: &[usize], now: i64) -> bool {
        self.permitted_as(pool, host, classes, now, false)
    }

    /// Pool permits for a client; `bootp` is a BOOTP (not DHCP) client.
    fn permitted_as(
        &self,
        pool: usize,
        host: Option<usize>,
        classes: &[usize],
        now: i64,
        bootp: bool,
    ) -> bool {
        let p = &self.model.pools[pool];
        let matches = |perm: &Permit| match perm {
            Permit::KnownClients => host.is_some(),
            Permit::UnknownClients => host.is_none(),
            Permit::AuthenticatedClients => false,
            Permit::UnauthenticatedClients | Permit::AllClients => true,
            Permit::DynamicBootpClients => bootp,
            Permit::MembersOf(name) => classes.iter().any(|&c| {
                let cl = &self.model.classes[c];
                cl.name == *name
            }),
            Permit::After(date) => date_passed(date, now),
        };
        if p.prohibits.iter().any(matches) {
            return false;
        }
        p.permits.is_empty() || p.permits.iter().any(matches)
    }

    /// ISC's `find_lease`, for a client on `shared`.
    fn find_lease(
        &self,
        c: &Client,
        shared: usize,
        requested: Option<Ipv4Addr>,
        host: Option<usize>,
        classes: &[usize],
        now: i64,
    ) -> Found {
        let on_net = |e: &Entry| self.model.subnets[e.subnet].shared == shared;
        let usable = |e: &Entry| {
            matches!(
                e.lease.binding_state,
                BindingState::Active
                    | BindingState::Free
                    | BindingState::Expired
                    | BindingState::Released
            )
        };
        // The requested address first, when it is this client's or free for it.
        let mut ours = false;
        if let Some(r) = requested {
            if let Some(e) = self.leases.get(r).filter(|e| on_net(e)) {
                // An abandoned lease the client owns was reclaimed and offered to it.
                let mine = c.owns(&e.lease)
                    && (usable(e) || e.lease.binding_state == BindingState::Abandoned);
                let free = self.fo_requested_free(e, now) // FAILOVER hook
                    && self.permitted(e.pool, host, classes, now);
                if mine || free {
                    return Found {
                        addr: Some(r),
                        ours: false,
                    };
                }
                ours = true;
            }
        }
        // ISC walks the client's leases in its order of preference (active first …) and
        // takes the first one on this network that the client may use.
        let by_uid = c.uid.as_ref().and_then(|u| {
            self.leases
                .by_uid(u)
                .find(|e| {
                    on_net(e)
                        && self.fo_own_ok(e, now) // FAILOVER hook
                        && self.permitted(e.pool, host, classes, now)
                })
                .map(|e| e.lease.addr)
        });
        let by_hw = || {
            self.leases
                .by_hardware(&c.hw)
                .find(|e| {
                    let other_uid = !matches!(
                        e.lease.binding_state,
                        BindingState::Free | BindingState::Backup
                    ) && !e.lease.uid.is_empty()
                        && c.uid.as_deref() != Some(e.lease.uid.as_slice());
                    !other_uid
                        && on_net(e)
                        && self.fo_own_ok(e, now) // FAILOVER hook
                        && self.permitted(e.pool, host, classes, now)
                })
                // A lease that carries another identifier is not this client's.
                .filter(|e| {
                    e.lease.uid.is_empty() || c.uid.as_deref() == Some(e.lease.uid.as_slice())
                })
                .map(|e| e.lease.addr)
        };
        let found = by_uid.or_else(by_hw);
        Found { addr: found, ours }
    }

    /// ISC's `allocate_lease`: over the permitted pools of the network, each pool's
    /// candidate is its free lease that has been free the longest (its abandoned one when it
    /// has no free lease left); a free candidate that still "ends" in the future (offered in
    /// the last two minutes) is skipped. Among the candidates a free lease beats an abandoned
    /// one, a lease never used by any client beats a used one, then the oldest end wins.
    /// `bootp`: permits are checked for a BOOTP client.
    fn allocate(
        &self,
        shared: usize,
        host: Option<usize>,
        classes: &[usize],
        now: i64,
        bootp: bool,
    ) -> Option<Ipv4Addr> {
        let mut best: Option<&Entry> = None;
        for &p in &self.model.shared[shared].pools {
            if !self.permitted_as(p, host, classes, now, bootp) {
                continue;
            }
            let mine = |e: &&Entry| self.fo_may_allocate(e, now); // FAILOVER hook
            let cand = self
                .leases
                .free_in(p)
                .find(mine)
                .or_else(|| self.leases.abandoned_in(p).find(mine));
            let Some(cand) = cand else { continue };
            let abandoned = |e: &Entry| e.lease.binding_state == BindingState::Abandoned;
            if !abandoned(cand) && cand.lease.ends > now {
                continue;
            }
            let Some(cur) = best else {
                best = Some(cand);
                continue;
            };
            let used = |e: &Entry| !e.lease.uid.is_empty() || e.lease.hardware.is_some();
            if abandoned(cur) {
                if !abandoned(cand) || cand.lease.ends < cur.lease.ends {
                    best = Some(cand);
                }
                continue;
            }
            if abandoned(cand) {
                continue;
            }
            if used(cur) {
                if !used(cand) || cand.lease.ends < cur.lease.ends {
                    best = Some(cand);
                }
                continue;
            }
            if used(cand) {
                continue;
            }
            if cand.lease.ends < cur.lease.ends {
                best = Some(cand);
            }
        }
        best.map(|e| e.lease.addr)
    }

    /// Options and parameters for a client getting `subnet`/`pool`, in ISC's scope order.
    fn options_for(
        &self,
        msg: &Message,
        lease: Option<&Lease>,
        at: &Place<'_>,
        now: i64,
    ) -> OptionSet {
        self.options_and_effects(msg, lease, at, now).0
    }

    /// [`Server::options_for`] plus the side effects the statements asked for.
    fn options_and_effects(
        &self,
        msg: &Message,
        lease: Option<&Lease>,
        at: &Place<'_>,
        now: i64,
    ) -> (OptionSet, Vec<Effect>) {
        let Place {
            shared,
            subnet,
            pool,
            host,
            classes,
        } = *at;
        let ctx = EvalCtx {
            now,
            model: &self.model,
            registry: &self.registry,
            packet: Some(msg),
            lease,
            host: host.map(|h| &self.model.hosts[h]),
            classes,
        };
        let mut set = OptionSet::default();
        let mut effects = Vec::new();
        let base = match subnet {
            Some(s) => self.model.subnets[s].scope,
            None => self.model.shared[shared].scope,
        };
        execute_scopes(&ctx, &self.model.chain(base), &mut set, &mut effects);
        let limit = Some(self.model.shared[shared].scope);
        if let Some(p) = pool {
            let chain = self.model.chain_below(self.model.pools[p].scope, limit);
            execute_scopes(&ctx, &chain, &mut set, &mut effects);
        }
        let inner = pool.map_or(base, |p| self.model.pools[p].scope);
        for &cl in classes.iter().rev() {
            let chain = self
                .model
                .chain_below(self.model.classes[cl].scope, Some(inner));
            execute_scopes(&ctx, &chain, &mut set, &mut effects);
        }
        if let Some(h) = host {
            let chain = self
                .model
                .chain_below(self.model.hosts[h].scope, Some(inner));
            execute_scopes(&ctx, &chain, &mut set, &mut effects);
        }
        (set, effects)
    }

    /// Runs a stored `on` body with `lease` in context and turns what it asks for into
    /// actions: `log` lines (ISC's priority) and `execute` commands.
    /// Runs a stored `on` body with `lease` in context and turns what it asks for into
    /// actions: `log` lines (ISC's priority) and `execute` commands. Returns the body's
    /// `set`/`unset` effects, in order, for the caller to apply to the lease's bindings
    /// ([`apply_bindings`]).
    #[must_use]
    fn run_hook(
        &mut self,
        body: &[Executable],
        lease: &Lease,
        packet: Option<&Message>,
        at: Option<&Place<'_>>,
        now: i64,
    ) -> Vec<Effect> {
        let ctx = EvalCtx {
            now,
            model: &self.model,
            registry: &self.registry,
            packet,
            lease: Some(lease),
            host: at.and_then(|p| p.host).map(|h| &self.model.hosts[h]),
            classes: at.map_or(&[], |p| p.classes),
        };
        let (actions, bindings) = hook_actions(&ctx, body);
        self.actions.extend(actions);
        bindings
    }

    fn run_stored_hook(
        &mut self,
        lease: &mut Lease,
        release: bool,
        packet: Option<&Message>,
        now: i64,
    ) {
        let expiry = lease.on_expiry.take();
        let on_release = std::mem::take(&mut lease.on_release);
        let body = match (release, on_release) {
            (false, _) => expiry,
            (true, OnRelease::SameAsExpiry) => expiry,
            (true, OnRelease::Own(b)) => Some(b),
            (true, OnRelease::None) => None,
        };
        if let Some(b) = body {
            let snapshot = lease.clone();
            let set = self.run_hook(&b.stmts, &snapshot, packet, None, now);
            apply_bindings(&mut lease.bindings, &set);
        }
    }

    fn authoritative(&self, shared: usize, subnet: Option<usize>) -> bool {
        let scope = subnet.map_or(self.model.shared[shared].scope, |s| {
            self.model.subnets[s].scope
        });
        self.model.scopes[scope].authoritative
    }

    /// ISC's `reuse_lease`: an active lease of the same client that is younger than
    /// `dhcp-cache-threshold` percent (default 25) of its length is handed out again as it
    /// is — no lease-file write — with its remaining time. Returns its end time.
    fn reusable(&self, set: &OptionSet, old: Option<&Lease>, c: &Client, now: i64) -> Option<i64> {
        let l = old?;
        let same = l.uid.as_slice() == c.uid.as_deref().unwrap_or_default()
            && l.hardware.as_ref() == Some(&c.hw);
        if l.binding_state != BindingState::Active || !same {
            return None;
        }
        let thresh = match set.param(self.params.cache_threshold) {
            Some(&[t]) if t < 100 => i64::from(t),
            _ => DEFAULT_CACHE_THRESHOLD,
        };
        let length = l.ends - l.starts;
        (thresh > 0 && now - l.starts <= length * thresh / 100 && l.ends > now).then_some(l.ends)
    }

    /// The lease time ISC gives (ack_lease): the requested time bounded by min/max, or
    /// `default-lease-time`, never above `max-lease-time`.
    fn lease_time(&self, set: &OptionSet, c: &Client) -> u32 {
        let default = set
            .param_u32(self.params.default_lease_time)
            .unwrap_or(DEFAULT_DEFAULT_LEASE_TIME);
        let max = set
            .param_u32(self.params.max_lease_time)
            .unwrap_or(DEFAULT_MAX_LEASE_TIME);
        let min = set.param_u32(self.params.min_lease_time).unwrap_or(0);
        let t = match c.requested_lease_time {
            Some(r) => r.max(min).min(max),
            None => default,
        };
        t.min(max)
    }

    /// The server identifier on a network (configured, or the interface's address).
    fn server_id(&self, set: &OptionSet, iface: &Served) -> Ipv4Addr {
        match set.get("dhcp", 54) {
            Some(&[a, b, c, d]) => Ipv4Addr::new(a, b, c, d),
            _ => iface
                .info
                .addrs
                .first()
                .map_or(Ipv4Addr::UNSPECIFIED, |(a, _)| *a),
        }
    }

    /// Builds a reply message.
    #[allow(clippy::too_many_arguments)]
    fn reply(
        &self,
        req: &Message,
        kind: MessageType,
        yiaddr: Ipv4Addr,
        set: &OptionSet,
        lease_time: Option<u32>,
        subnet: Option<usize>,
        sid: Ipv4Addr,
    ) -> Option<Vec<u8>> {
        // The values are borrowed (from the option set, the request, or these locals), not
        // copied per reply.
        fn push<'v>(options: &mut Vec<(u8, &'v [u8])>, code: u8, data: &'v [u8]) {
            options.retain(|o| o.0 != code);
            options.push((code, data));
        }
        let kind_byte = [u8::from(kind)];
        let sid_bytes = sid.octets();
        let time_bytes = lease_time.map(u32::to_be_bytes);
        let mask_bytes = subnet.map(|s| self.model.subnets[s].mask.octets());
        let agent = req.option_data(82).filter(|_| !self.agent_stashed);
        let mut options: Vec<(u8, &[u8])> = Vec::with_capacity(16);
        push(&mut options, 53, &kind_byte);
        push(&mut options, 54, &sid_bytes);
        if let Some(t) = &time_bytes {
            push(&mut options, 51, t);
        }
        if kind == MessageType::Nak {
            if let Some(m) = set.get("dhcp", 56) {
                push(&mut options, 56, m);
            }
        } else {
            if let Some(m) = &mask_bytes {
                push(&mut options, 1, m);
            }
            for (code, v) in set.space("dhcp") {
                let Ok(code) = u8::try_from(code) else {
                    continue;
                };
                if matches!(code, 0 | 255 | 53 | 54 | 51 | 52 | 55 | 57 | 82) {
                    continue;
                }
                push(&mut options, code, v);
            }
        }
        if let Some(agent) = &agent {
            push(&mut options, 82, agent);
        }
        let prl = req.option_data(55);
        let mms_client = req.option_data(57);
        let params = ReplyParams {
            prl: if kind == MessageType::Nak {
                None
            } else {
                prl.as_deref()
            },
            request_type: req.message_type(),
            client_sent_fqdn: req.option_data(81).is_some(),
            max_message_size: effective_max_message_size(
                mms_client.as_deref(),
                set.get("dhcp", 57),
                matches!(kind, MessageType::Offer | MessageType::Ack) && lease_time.is_some(),
            ),
            // ISC may put options in `file`/`sname` when they carry no file or server name,
            // in replies to DISCOVER and REQUEST only (not INFORM, NAK or BOOTP).
            overload: if lease_time.is_some() {
                dhcpd_wire::order::Overload {
                    file: set.param(self.params.filename).is_none(),
                    sname: set.param(self.params.server_name).is_none(),
                }
            } else {
                dhcpd_wire::order::Overload::default()
            },
            ..ReplyParams::default()
        };
        let placed = build_reply_options(&params, &options).ok()?;
        let mut msg = Message {
            op: OpCode::Reply,
            htype: req.htype,
            hlen: req.hlen,
            // ISC copies secs and hops from the request, and sets the broadcast flag on NAKs.
            hops: req.hops,
            xid: req.xid,
            secs: req.secs,
            flags: if kind == MessageType::Nak {
                req.flags | BROADCAST_FLAG
            } else {
                req.flags
            },
            ciaddr: if kind == MessageType::Nak {
                Ipv4Addr::UNSPECIFIED
            } else {
                req.ciaddr
            },
            yiaddr,
            siaddr: set
                .param_addr(self.params.next_server)
                .unwrap_or(Ipv4Addr::UNSPECIFIED),
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            sname: Default::default(),
            file: Default::default(),
            vendor: Default::default(),
        };
        if kind != MessageType::Nak {
            if let Some(f) = set.param(self.params.filename) {
                msg.file = boot_field(f);
            }
            if let Some(s) = set.param(self.params.server_name) {
                msg.sname = boot_field(s);
            }
        }
        placed.apply(&mut msg);
        msg.to_vec().ok()
    }

    /// Where a reply goes (ISC's `dhcp_reply` rules).
    fn route(&self, req: &Message, iface: &Served, kind: MessageType, yiaddr: Ipv4Addr) -> Route {
        if req.giaddr != Ipv4Addr::UNSPECIFIED {
            return Route::Udp {
                ip: req.giaddr,
                port: self.client_port.saturating_sub(1),
            };
        }
        let broadcast = req.flags & BROADCAST_FLAG != 0;
        // ISC: a client that sent ciaddr *and* a server identifier (RFC 1541 clients) is
        // answered like one without an address.
        if kind == MessageType::Ack
            && req.ciaddr != Ipv4Addr::UNSPECIFIED
            && !broadcast
            && req.option_data(54).is_none()
        {
            return Route::Udp {
                ip: req.ciaddr,
                port: self.client_port,
            };
        }
        if kind != MessageType::Nak && !broadcast && req.htype == 1 && req.hlen == 6 {
            let mut mac = [0u8; 6];
            mac.copy_from_slice(&req.chaddr[..6]);
            return Route::Frame {
                ifindex: iface.info.index,
                mac,
                ip: yiaddr,
                port: self.client_port,
            };
        }
        Route::Frame {
            ifindex: iface.info.index,
            mac: [0xff; 6],
            ip: Ipv4Addr::BROADCAST,
            port: self.client_port,
        }
    }

    fn via<'a>(req: &'a Message, iface: &'a Served) -> Via<'a> {
        Via(req, iface)
    }

    fn discover(&mut self, req: &Message, iface: &Served, now: i64) {
        let c = Client::of(req);
        let via = Self::via(req, iface);
        let Some(shared) = self.locate(iface, req) else {
            self.log(
                Level::Info,
                format!("DHCPDISCOVER from {} via {via}", c.mac()),
            );
            self.log(
                Level::Info,
                format!("Packet from unknown subnet: {}", req.giaddr),
            );
            return;
        };
        let host = self
            .host_for(&c)
            .or_else(|| self.host_by_identifier(req, now));
        let classes = self.classes_of(req, now);
        // A host's fixed address on this network comes first.
        if let Some((addr, subnet)) = host.and_then(|h| self.fixed_address(h, shared)) {
            let existing = None;
            self.log(
                Level::Info,
                format!(
                    "DHCPDISCOVER from {} {}via {via}",
                    c.mac(),
                    host_part(existing)
                ),
            );
            let at = Place {
                shared,
                subnet: Some(subnet),
                pool: None,
                host,
                classes: &classes,
            };
            self.offer(req, iface, &c, addr, &at, now);
            return;
        }
        let found = self.find_lease(&c, shared, c.requested, host, &classes, now);
        let hostname = found
            .addr
            .and_then(|a| self.leases.get(a))
            .and_then(|e| e.lease.client_hostname.clone());
        let msg = line_text(format_args!(
            "DHCPDISCOVER from {} {}via {via}",
            c.mac(),
            host_part(hostname.as_deref())
        ));
        let addr = match found.addr {
            Some(a) => a,
            None => match self.allocate(shared, host, &classes, now, false) {
                Some(a) => {
                    if self
                        .leases
                        .get(a)
                        .is_some_and(|e| e.lease.binding_state == BindingState::Abandoned)
                    {
                        self.log(Level::Error, format!("Reclaiming abandoned lease {a}."));
                    }
                    a
                }
                None => {
                    // ISC logs only the error line.
                    let name = self.model.shared[shared].name.clone();
                    self.log(
                        Level::Error,
                        format!("{msg}: network {name}: no free leases"),
                    );
                    return;
                }
            },
        };
        if self.fo_discover_blocked(req, addr, &msg, now) {
            return; // FAILOVER hook: not ours to answer (logged)
        }
        if self.pings.contains_key(&addr) {
            // ISC's ack_lease: this lease already has an OFFER in progress (its ping).
            return;
        }
        if !self.bill(req, addr, true, &msg, now) {
            return;
        }
        self.log(Level::Info, msg);
        let Some(e) = self.leases.get(addr) else {
            return;
        };
        let (subnet, pool) = (e.subnet, e.pool);
        let at = Place {
            shared,
            subnet: Some(subnet),
            pool: Some(pool),
            host,
            classes: &classes,
        };
        self.offer(req, iface, &c, addr, &at, now);
    }

    fn offer(
        &mut self,
        req: &Message,
        iface: &Served,
        c: &Client,
        addr: Ipv4Addr,
        at: &Place<'_>,
        now: i64,
    ) {
        let (subnet, pool) = (at.subnet, at.pool);
        let lease = pool.and_then(|_| self.leases.get(addr)).map(|e| {
            let mut l = e.lease.clone();
            // ISC's dhcpdiscover: an expired lease's variables are dropped before the offer
            // (kept in memory, so the ACK does not carry them either).
            if l.ends < now {
                l.bindings.clear();
            }
            l
        });
        let set = self.options_for(req, lease.as_ref(), at, now);
        let t = match self.reusable(&set, lease.as_ref(), c, now) {
            Some(ends) => u32::try_from(ends - now).unwrap_or(u32::MAX),
            None => self.fo_lease_time(addr, self.lease_time(&set, c), now), // FAILOVER: MCLT
        };
        let sid = self.server_id(&set, iface);
        let Some(payload) = self.reply(req, MessageType::Offer, addr, &set, Some(t), subnet, sid)
        else {
            return;
        };
        // Whether the OFFER waits for a ping, decided on the lease as it was.
        let wait = lease.as_ref().and_then(|l| self.ping_wait(&set, l, c, now));
        if let (Some(pool), Some(subnet), Some(mut l)) = (pool, subnet, lease) {
            // ISC supersedes the lease in memory (no lease-file write): it now carries the
            // client and ends two minutes from now, which puts it at the back of the free
            // queue and lets this client find it again.
            if l.binding_state != BindingState::Active {
                l.starts = now;
                l.ends = l.ends.max(now + OFFER_HOLD);
                l.cltt = now;
                l.hardware = Some(c.hw);
                l.uid = c.uid.clone().unwrap_or_default();
                if c.hostname.is_some() {
                    l.client_hostname = c.hostname.clone();
                }
                self.leases.put(Entry {
                    lease: l,
                    pool,
                    subnet,
                });
            }
        }
        let route = self.route(req, iface, MessageType::Offer, addr);
        let then = vec![
            Action::Log(
                Level::Info,
                line_text(format_args!(
                    "DHCPOFFER on {} to {} {}via {}",
                    Ip(addr),
                    c.mac(),
                    // ISC logs the lease's client-hostname; a fixed address is its mocked-up
                    // static lease, which never gets one.
                    host_part(pool.and(c.hostname.as_deref())),
                    Self::via(req, iface)
                )),
            ),
            Action::Send(Transmit {
                route,
                src_ip: sid,
                payload,
            }),
        ];
        match wait {
            Some(wait) => {
                let id = ping_id(addr);
                self.actions.push_back(Action::Ping { addr, id });
                self.pings.insert(
                    addr,
                    PendingPing {
                        deadline: self.clock + wait,
                        then,
                    },
                );
            }
            None => self.actions.extend(then),
        }
    }

    /// ISC's `do_ping_check`: whether an address about to be offered is pinged first, and
    /// how long the answer is waited for. Never for an active lease or a fixed address (the
    /// caller passes pool leases only); not with `ping-check false`; not for the client's
    /// own lease within `ping-cltt-secs` of its last transaction (unless abandoned).
    fn ping_wait(&self, set: &OptionSet, l: &Lease, c: &Client, now: i64) -> Option<Duration> {
        if l.binding_state == BindingState::Active {
            return None;
        }
        if set.param_flag(self.params.ping_check) == Some(false) {
            return None;
        }
        let same = l.uid.as_slice() == c.uid.as_deref().unwrap_or_default()
            && l.hardware.as_ref() == Some(&c.hw);
        if same && l.cltt != 0 && l.binding_state != BindingState::Abandoned {
            let cltt_secs = set
                .param_u32(self.params.ping_cltt_secs)
                .unwrap_or(DEFAULT_PING_CLTT_SECS);
            if now - l.cltt < i64::from(cltt_secs) {
                return None;
            }
        }
        match set.param_u32(self.params.ping_timeout_ms) {
            Some(ms) if ms > 0 => Some(Duration::from_millis(u64::from(ms))),
            _ => Some(Duration::from_secs(u64::from(
                set.param_u32(self.params.ping_timeout)
                    .unwrap_or(DEFAULT_PING_TIMEOUT),
            ))),
        }
    }

    /// ISC's per-class billing in `ack_lease` (`lease limit`), for a pool lease about to be
    /// offered (`offer`) or acknowledged. A lease billed to a class the client is no longer
    /// in is unbilled; a lease without billing is billed to the first of the client's
    /// classes with a limit that has room; when all are full ISC logs and does not answer
    /// (returns false). An OFFER of a lease that is not active only checks: it keeps no
    /// billing.
    fn bill(&mut self, req: &Message, addr: Ipv4Addr, offer: bool, msg: &str, now: i64) -> bool {
        if self.model.classes.iter().all(|c| c.lease_limit.is_none()) {
            return true;
        }
        let members = {
            let ctx = self.packet_ctx(req, now);
            crate::classify::classify_all(&ctx).members
        };
        let current = self.billed.get(&addr).cloned();
        if current.as_ref().is_some_and(|c| members.contains(c)) {
            return true;
        }
        self.billed.remove(&addr);
        let billed = &self.billed;
        let decision = crate::classify::billing(&self.model, &members, None, |m| {
            billed.values().filter(|b| *b == m).count()
        });
        match decision {
            Billing::Refuse { last } => {
                self.log(
                    Level::Info,
                    format!(
                        "{msg}: no available billing: lease limit reached in all matching classes (last: '{last}')"
                    ),
                );
                false
            }
            Billing::Bill(m) => {
                let active = self
                    .leases
                    .get(addr)
                    .is_some_and(|e| e.lease.binding_state == BindingState::Active);
                if !offer || active {
                    self.billed.insert(addr, m);
                }
                true
            }
            Billing::Keep | Billing::NotBilled => true,
        }
    }

    /// ISC's `abandon_lease`: the address is kept from clients for `abandon-lease-time`.
    fn abandon(&mut self, addr: Ipv4Addr, why: &str, now: i64) {
        let Some(mut e) = self.leases.get(addr).cloned() else {
            return;
        };
        self.log(Level::Error, format!("Abandoning IP address {addr}: {why}"));
        e.lease.binding_state = BindingState::Abandoned;
        e.lease.next_binding_state = BindingState::Abandoned;
        e.lease.rewind_binding_state = BindingState::Abandoned;
        e.lease.starts = now;
        e.lease.ends = now + DEFAULT_ABANDON_LEASE_TIME;
        e.lease.hardware = None;
        e.lease.uid.clear();
        e.lease.client_hostname = None;
        self.fo_committing(e.pool, &mut e.lease, failover::FoChange::Decline, now); // FAILOVER hook
        let record = dhcpd_leases::write::write_lease(&e.lease, now);
        self.billed.remove(&addr);
        self.leases.put(e);
        self.actions
            .push_back(Action::Commit { record, then: None });
    }

    fn nak(&mut self, req: &Message, iface: &Served, c: &Client, cip: Ipv4Addr, sid: Ipv4Addr) {
        let mut set = OptionSet::default();
        set.set("dhcp", 56, b"requested address not available".to_vec());
        let Some(payload) = self.reply(
            req,
            MessageType::Nak,
            Ipv4Addr::UNSPECIFIED,
            &set,
            None,
            None,
            sid,
        ) else {
            return;
        };
        self.log(
            Level::Info,
            format!(
                "DHCPNAK on {cip} to {} via {}",
                c.mac(),
                Self::via(req, iface)
            ),
        );
        let route = self.route(req, iface, MessageType::Nak, Ipv4Addr::UNSPECIFIED);
        self.actions.push_back(Action::Send(Transmit {
            route,
            src_ip: sid,
            payload,
        }));
    }

    /// ISC's use of the relay agent options stashed on a lease: a DHCPREQUEST with `ciaddr`,
    /// no `giaddr` and no option 82, for a lease that has agent options, has not ended, and
    /// belongs to this client (its client identifier if the lease has one, else its hardware
    /// address), is handled as if it carried them. Returns that packet.
    fn stashed_agent_options(&self, req: &Message, now: i64) -> Option<Message> {
        if req.ciaddr == Ipv4Addr::UNSPECIFIED
            || req.giaddr != Ipv4Addr::UNSPECIFIED
            || req.option_data(82).is_some()
        {
            return None;
        }
        let l = &self.leases.get(req.ciaddr)?.lease;
        if l.agent_options.is_empty() || l.ends < now {
            return None;
        }
        if !l.uid.is_empty() {
            if req.option_data(61).as_deref() != Some(l.uid.as_slice()) {
                return None;
            }
        } else {
            let hlen = usize::from(req.hlen);
            let hw = l.hardware.as_ref()?;
            if hw.htype != req.htype || req.chaddr.get(..hlen) != Some(hw.addr()) {
                return None;
            }
        }
        let mut agent = Vec::new();
        for o in &l.agent_options {
            let len = u8::try_from(o.data.len()).ok()?;
            agent.push(o.code);
            agent.push(len);
            agent.extend_from_slice(&o.data);
        }
        let list = req.option_list()?;
        let mut m = req.clone();
        m.vendor = dhcpd_wire::message::Vendor::Options(dhcpd_wire::message::OptionList::with_end(
            list.options()
                .cloned()
                .chain(dhcpd_wire::message::RawOption::new(82, agent).ok()),
        ));
        Some(m)
    }

    fn request(&mut self, req: &Message, iface: &Served, classes: Vec<usize>, now: i64) {
        let c = Client::of(req);
        let have_requested = c.requested.is_some();
        let cip = c.requested.unwrap_or(req.ciaddr);
        let subnet = self.model.subnet_for(cip);
        let packet_net = self.locate(iface, req);
        let host = self
            .host_for(&c)
            .or_else(|| self.host_by_identifier(req, now));
        let cip_net = subnet.map(|s| self.model.subnets[s].shared);
        let fixed = match (host, cip_net) {
            (Some(h), Some(net)) => self.fixed_address(h, net).filter(|(a, _)| *a == cip),
            _ => None,
        };
        let found = match cip_net {
            Some(net) if fixed.is_none() => {
                self.find_lease(&c, net, Some(cip), host, &classes, now)
            }
            _ => Found {
                addr: None,
                ours: false,
            },
        };
        // find_lease may prefer another lease of the client; a REQUEST is about `cip`.
        let lease_addr = found.addr.filter(|a| *a == cip);
        let ours = found.ours || (found.addr.is_some() && lease_addr.is_none());
        let hostname = lease_addr
            .and_then(|a| self.leases.get(a))
            .and_then(|e| e.lease.client_hostname.clone());
        let msg = line_text(format_args!(
            "DHCPREQUEST for {}{} from {} {}via {}",
            Ip(cip),
            SidPart(c.server_id),
            c.mac(),
            host_part(hostname.as_deref()),
            Self::via(req, iface)
        ));
        let sid_here = self.server_id(&OptionSet::default(), iface);
        // ISC 4.4 does not look at the server identifier of a REQUEST outside failover
        // pools (server-id-check): a client that chose another server is treated like any
        // other, as ISC does.
        let from_elsewhere = (req.ciaddr != Ipv4Addr::UNSPECIFIED
            && req.giaddr != Ipv4Addr::UNSPECIFIED)
            || (have_requested && req.ciaddr == Ipv4Addr::UNSPECIFIED);
        match packet_net {
            None => {
                if subnet
                    .is_some_and(|s| self.model.scopes[self.model.subnets[s].scope].authoritative)
                {
                    self.log(Level::Info, format!("{msg}: wrong network."));
                    self.nak(req, iface, &c, cip, sid_here);
                } else {
                    let why = if subnet.is_some() {
                        "not authoritative"
                    } else {
                        "unknown subnet"
                    };
                    self.log(Level::Info, format!("{msg}: ignored ({why})."));
                }
                return;
            }
            Some(net) if from_elsewhere && cip_net != Some(net) => {
                if self.authoritative(net, None) {
                    self.log(Level::Info, format!("{msg}: wrong network."));
                    self.nak(req, iface, &c, cip, sid_here);
                } else {
                    self.log(Level::Info, format!("{msg}: ignored (not authoritative)."));
                }
                return;
            }
            Some(_) => {}
        }
        let shared = packet_net.unwrap_or(0);
        if let Some((addr, subnet)) = fixed {
            let at = Place {
                shared,
                subnet: Some(subnet),
                pool: None,
                host,
                classes: &classes,
            };
            self.ack(req, iface, &c, addr, &at, msg, now);
            return;
        }
        if lease_addr.is_none() && ours {
            self.log(Level::Info, format!("{msg}: lease {cip} unavailable."));
            self.nak(req, iface, &c, cip, sid_here);
            return;
        }
        match lease_addr.and_then(|a| self.leases.get(a).map(|e| (a, e.subnet, e.pool))) {
            Some((addr, subnet, pool)) => {
                if self.fo_request_blocked(req, addr, &msg, now) {
                    return; // FAILOVER hook: not ours to answer (logged)
                }
                if !self.bill(req, addr, false, &msg, now) {
                    return;
                }
                let at = Place {
                    shared,
                    subnet: Some(subnet),
                    pool: Some(pool),
                    host,
                    classes: &classes,
                };
                self.ack(req, iface, &c, addr, &at, msg, now);
            }
            None => self.log(Level::Info, format!("{msg}: unknown lease {cip}.")),
        }
    }

    /// ISC's `ack_lease` for a DHCPREQUEST. `msg` is the `DHCPREQUEST for …` line, logged
    /// where ISC logs it: after the statements run at the ACK (the releases of
    /// `one-lease-per-client`, `on commit`), before `DHCPACK on …`.
    #[allow(clippy::too_many_arguments)]
    fn ack(
        &mut self,
        req: &Message,
        iface: &Served,
        c: &Client,
        addr: Ipv4Addr,
        at: &Place<'_>,
        msg: String,
        now: i64,
    ) {
        let (subnet, pool) = (at.subnet, at.pool);
        let mut old = pool
            .and_then(|_| self.leases.get(addr))
            .map(|e| e.lease.clone());
        let (mut set, effects) = self.options_and_effects(req, old.as_ref(), at, now);
        if req.message_type() == Some(MessageType::Request)
            && set.param_flag(self.params.one_lease_per_client) == Some(true)
        {
            self.one_lease_per_client(old.as_ref(), addr, at, &set, req, now);
        }
        let OnBodies {
            commit: on_commit,
            expiry: on_expiry,
            release: on_release,
        } = on_bodies(&effects);
        let reuse = self.reusable(&set, old.as_ref(), c, now);
        let t = match reuse {
            Some(ends) => u32::try_from(ends - now).unwrap_or(u32::MAX),
            None => self.lease_time(&set, c),
        };
        let desired = t; // FAILOVER: the MCLT rule below
        let t = match reuse {
            Some(_) => t,
            None => self.fo_lease_time(addr, t, now),
        };
        // DDNS (ISC's `ddns_updates`, before the reply is built: it sets the reply's client
        // FQDN option). A fixed address is ISC's static lease: no stored variables, updated
        // with `update-static-leases on`. The updates start once the lease is recorded.
        let ddns_plan = {
            let hw = hw_key_of(&c.hw);
            let fixed = pool.is_none();
            self.ddns_plan(
                req,
                &mut set,
                old.as_ref().filter(|_| !fixed),
                addr,
                at,
                c.uid.as_deref(),
                &hw,
                now.saturating_add(i64::from(t)),
                now,
                fixed,
            )
        };
        let sid = self.server_id(&set, iface);
        let Some(payload) = self.reply(req, MessageType::Ack, addr, &set, Some(t), subnet, sid)
        else {
            self.log(Level::Info, msg);
            return;
        };
        let route = self.route(req, iface, MessageType::Ack, addr);
        let tx = Transmit {
            route,
            src_ip: sid,
            payload,
        };
        let logline = line_text(format_args!(
            "DHCPACK on {} to {} {}via {}",
            Ip(addr),
            c.mac(),
            // As for the OFFER: a fixed address (ISC's static lease) has no client-hostname.
            host_part(pool.and(c.hostname.as_deref())),
            Self::via(req, iface)
        ));
        let target = match (pool, subnet, &old, reuse) {
            (Some(p), Some(s), Some(_), None) => Some((p, s)),
            _ => None,
        };
        let (Some((pool, subnet)), Some(mut lease)) = (target, old.take_if(|_| target.is_some()))
        else {
            // A fixed address, or a reused lease: nothing to record.
            let lease = old.unwrap_or_else(|| {
                let mut l = Lease::new(addr);
                l.starts = now;
                l.ends = now.saturating_add(i64::from(t));
                l.binding_state = BindingState::Active;
                l.hardware = Some(c.hw);
                l.uid = c.uid.clone().unwrap_or_default();
                l.client_hostname = c.hostname.clone();
                l
            });
            if let Some(mut e) = self.leases.get(addr).filter(|_| pool.is_some()).cloned() {
                e.lease.on_expiry = on_expiry;
                e.lease.on_release = on_release;
                self.leases.update(e);
            }
            if let Some(body) = on_commit {
                // Not written: a fixed address has no lease record, a reused lease is not
                // rewritten (as in ISC).
                let _ = self.run_hook(&body, &lease, Some(req), Some(at), now);
            }
            self.log(Level::Info, msg);
            self.log(Level::Info, logline);
            self.actions.push_back(Action::Send(tx));
            if let Some(p) = ddns_plan {
                self.ddns_start(p);
            }
            return;
        };
        let was = lease.binding_state; // FAILOVER
        lease.starts = now;
        lease.ends = now.saturating_add(i64::from(t));
        lease.cltt = now;
        lease.tstp = 0;
        lease.binding_state = BindingState::Active;
        lease.next_binding_state = BindingState::Free;
        lease.rewind_binding_state = BindingState::Free;
        lease.hardware = Some(c.hw);
        lease.uid = c.uid.clone().unwrap_or_default();
        lease.client_hostname = c.hostname.clone();
        lease.on_expiry = on_expiry;
        lease.on_release = on_release;
        // Relay agent options: the lease keeps those it has, or takes the packet's
        // (`stash-agent-options`, on unless set false, as in ISC), unless they came from
        // the lease in the first place.
        if !self.agent_stashed && set.param_flag(self.params.stash_agent_options) != Some(false) {
            if let Some(agent) = req.option_data(82).and_then(|v| agent_sub_options(&v)) {
                lease.agent_options = agent;
            }
        }
        let change = failover::FoChange::Ack {
            desired,
            given: t,
            was,
        };
        self.fo_committing(pool, &mut lease, change, now); // FAILOVER hook
        // The lease's variables (ISC's `lease->scope`): `set`/`unset` of the scopes run for
        // this ACK, the client's vendor class (ISC keeps it for DHCPLEASEQUERY), then
        // whatever `on commit` sets.
        apply_bindings(&mut lease.bindings, &effects);
        if let Some(vci) = req.option(60).filter(|v| !v.is_empty()) {
            apply_bindings(
                &mut lease.bindings,
                &[Effect::Set("vendor-class-identifier".to_string(), vci)],
            );
        }
        if let Some(body) = on_commit {
            let set = self.run_hook(&body, &lease, Some(req), Some(at), now);
            apply_bindings(&mut lease.bindings, &set);
        }
        let record = dhcpd_leases::write::write_lease(&lease, now);
        self.leases.put(Entry {
            lease,
            pool,
            subnet,
        });
        self.log(Level::Info, msg);
        self.log(Level::Info, logline);
        self.actions.push_back(Action::Commit {
            record,
            then: Some(tx),
        });
        // The DHCPACK does not wait for DNS (nor does ISC's).
        if let Some(p) = ddns_plan {
            self.ddns_start(p);
        }
    }

    fn release(&mut self, req: &Message, iface: &Served, now: i64) {
        let c = Client::of(req);
        let cip = req.ciaddr;
        let entry = self.leases.get(cip).filter(|e| c.owns(&e.lease)).cloned();
        let hostname = entry.as_ref().and_then(|e| e.lease.client_hostname.clone());
        let found = entry
            .as_ref()
            .is_some_and(|e| e.lease.binding_state == BindingState::Active);
        self.log(
            Level::Info,
            format!(
                "DHCPRELEASE of {cip} from {} {}via {} ({}found)",
                c.mac(),
                host_part(hostname.as_deref()),
                Self::via(req, iface),
                if found { "" } else { "not " }
            ),
        );
        if let (true, Some(e)) = (found, entry) {
            self.release_lease(e, req, now);
        }
    }

    /// ISC's `release_lease`: the lease's `on release` body runs, the lease becomes free
    /// (ends now) and is committed.
    fn release_lease(&mut self, mut e: Entry, req: &Message, now: i64) {
        let addr = e.lease.addr;
        // ISC's release_lease: DNS removals first, with the lease's variables.
        self.ddns_remove(&e.lease.clone(), false);
        self.run_stored_hook(&mut e.lease, true, Some(req), now);
        e.lease.agent_options.clear();
        // ISC's release_lease blows away the lease's variables.
        e.lease.bindings.clear();
        e.lease.ends = now;
        e.lease.binding_state = BindingState::Free;
        e.lease.next_binding_state = BindingState::Free;
        e.lease.rewind_binding_state = BindingState::Free;
        e.lease.tstp = 0;
        self.fo_committing(e.pool, &mut e.lease, failover::FoChange::Release, now); // FAILOVER hook
        let record = dhcpd_leases::write::write_lease(&e.lease, now);
        self.billed.remove(&addr);
        self.leases.update(e);
        self.actions
            .push_back(Action::Commit { record, then: None });
    }

    /// `one-lease-per-client` (ISC's `ack_lease`, on a DHCPREQUEST, before the lease is
    /// committed): the client's other leases that are in use (any state but free, backup,
    /// released, expired and reset) are released. They are found by the lease's client
    /// identifier, and by its hardware address when it has none — or when the client's host
    /// declaration has no client identifier and `duplicates` is off. As in ISC, these are the
    /// identifier and hardware address the lease being ACKed carries *before* the ACK: the
    /// client's after an OFFER of it (or when it is the client's lease already), the previous
    /// holder's — or none — when a client INIT-REBOOTs straight into an address it was never
    /// offered. The lease of a fixed address carries its host's identifier and hardware
    /// address, as ISC's `mockup_lease`.
    fn one_lease_per_client(
        &mut self,
        old: Option<&Lease>,
        addr: Ipv4Addr,
        at: &Place<'_>,
        set: &OptionSet,
        req: &Message,
        now: i64,
    ) {
        let host = at.host.and_then(|h| self.model.hosts.get(h));
        let (uid, hw_key) = match (at.pool, host) {
            (None, Some(h)) => (
                h.uid.clone().unwrap_or_default(),
                h.hardware.as_ref().map_or_else(Vec::new, hw_key_of),
            ),
            _ => match old {
                Some(l) => (
                    l.uid.clone(),
                    l.hardware.as_ref().map_or_else(Vec::new, hw_key_of),
                ),
                None => (Vec::new(), Vec::new()),
            },
        };
        let in_use = |e: &&Entry| {
            e.lease.addr != addr
                && !matches!(
                    e.lease.binding_state,
                    BindingState::Free
                        | BindingState::Backup
                        | BindingState::Released
                        | BindingState::Expired
                        | BindingState::Reset
                )
        };
        let mut others: Vec<Ipv4Addr> = Vec::new();
        if !uid.is_empty() {
            others.extend(
                self.leases
                    .by_uid(&uid)
                    .filter(in_use)
                    .map(|e| e.lease.addr),
            );
        }
        let no_duplicates = host.is_some_and(|h| h.uid.is_none())
            && set.param_flag(self.params.duplicates) == Some(false);
        if (uid.is_empty() || no_duplicates) && !hw_key.is_empty() {
            others.extend(
                self.leases
                    .by_hw(&hw_key)
                    .filter(in_use)
                    .map(|e| e.lease.addr),
            );
        }
        let mut done = std::collections::HashSet::new();
        for a in others {
            if !done.insert(a) {
                continue;
            }
            if let Some(e) = self.leases.get(a).cloned() {
                self.release_lease(e, req, now);
            }
        }
    }

    fn decline(&mut self, req: &Message, iface: &Served, now: i64) {
        let c = Client::of(req);
        let Some(cip) = c.requested else { return };
        let entry = self.leases.get(cip).cloned();
        let status = match &entry {
            None => "not found",
            Some(e) if e.lease.binding_state == BindingState::Abandoned => "already abandoned",
            Some(_) => "abandoned",
        };
        // ISC abandons first, then logs the DECLINE with its outcome.
        if let (Some(_), "abandoned") = (entry, status) {
            self.abandon(cip, "declined.", now);
        }
        self.log(
            Level::Info,
            format!(
                "DHCPDECLINE of {cip} from {} via {}: {status}",
                c.mac(),
                Self::via(req, iface)
            ),
        );
    }

    /// ISC's `dhcpinform`. `src_ip`: the packet's IP source, used when ciaddr is zero.
    fn inform(&mut self, req: &Message, iface: &Served, now: i64, src_ip: Ipv4Addr) {
        let c = Client::of(req);
        let relayed = req.giaddr != Ipv4Addr::UNSPECIFIED;
        let (cip, mut addr_type) = if req.ciaddr != Ipv4Addr::UNSPECIFIED {
            (req.ciaddr, "client")
        } else {
            (src_ip, "source")
        };
        // The subnet is looked up by the relay's address when the client gave none.
        let sip = if req.ciaddr == Ipv4Addr::UNSPECIFIED && relayed {
            addr_type = "relay";
            req.giaddr
        } else {
            cip
        };
        let via = Self::via(req, iface);
        let msg = format!("DHCPINFORM from {cip} via {via}");
        if cip == Ipv4Addr::UNSPECIFIED {
            self.log(
                Level::Info,
                format!("{msg}: ignored (null source address)."),
            );
            return;
        }
        let Some(subnet) = self.model.subnet_for(sip) else {
            self.log(
                Level::Info,
                format!("{msg}: unknown subnet for {addr_type} address {sip}"),
            );
            return;
        };
        if !self.model.scopes[self.model.subnets[subnet].scope].authoritative {
            let net = self.model.subnets[subnet].net;
            self.log(
                Level::Info,
                format!("{msg}: not authoritative for subnet {net}"),
            );
            if self.inform_warnings % 101 == 0 {
                for l in [
                    "If this DHCP server is authoritative for that subnet,",
                    "please write an `authoritative;' directive either in the",
                    "subnet declaration or in some scope that encloses the",
                    "subnet declaration - for example, write it at the top",
                    "of the dhcpd.conf file.",
                ] {
                    self.log(Level::Info, l.to_string());
                }
            }
            self.inform_warnings = self.inform_warnings.wrapping_add(1);
            return;
        }
        let shared = self.model.subnets[subnet].shared;
        let host = self.host_for(&c);
        let classes = self.classes_of(req, now);
        let at = Place {
            shared,
            subnet: Some(subnet),
            pool: None,
            host,
            classes: &classes,
        };
        let set = self.options_for(req, None, &at, now);
        let sid = self.server_id(&set, iface);
        // ISC logs the bare line only once it answers.
        self.log(Level::Info, msg);
        let Some(mut payload) = self.reply(
            req,
            MessageType::Ack,
            Ipv4Addr::UNSPECIFIED,
            &set,
            None,
            Some(subnet),
            sid,
        ) else {
            return;
        };
        // ISC: to ciaddr whenever the client gave one (even through a relay); only a client
        // with no address is answered through its relay, with the broadcast flag set.
        let (route, via) = if req.ciaddr == Ipv4Addr::UNSPECIFIED && relayed {
            if let Some(f) = payload.get_mut(10) {
                *f |= 0x80;
            }
            let r = Route::Udp {
                ip: req.giaddr,
                port: self.client_port.saturating_sub(1),
            };
            (r, via.to_string())
        } else {
            let r = Route::Udp {
                ip: cip,
                port: self.client_port,
            };
            (r, iface.info.name.clone())
        };
        self.log(
            Level::Info,
            format!("DHCPACK to {cip} ({}) via {via}", c.mac()),
        );
        self.actions.push_back(Action::Send(Transmit {
            route,
            src_ip: sid,
            payload,
        }));
    }

    /// ISC's `bootp()`: a host's fixed address, or a dynamic-BOOTP lease that never ends.
    fn bootp(&mut self, req: &Message, raw: &[u8], iface: &Served, now: i64) {
        let c = Client::of(req);
        let via = Self::via(req, iface);
        let msg = format!("BOOTREQUEST from {} via {via}", c.mac());
        let Some(shared) = self.locate(iface, req) else {
            self.log(Level::Info, format!("{msg}: network unknown"));
            return;
        };
        let host = self.model.host_by_hardware(&c.hw);
        let classes = self.classes_of(req, now);
        let fixed = host.and_then(|h| self.fixed_address(h, shared));
        let (addr, subnet, pool) = match fixed {
            Some((a, s)) => (a, s, None),
            None => {
                let own = self
                    .leases
                    .by_hardware(&c.hw)
                    .find(|e| {
                        self.model.subnets[e.subnet].shared == shared
                            && e.lease.bootp
                            && e.lease.binding_state == BindingState::Active
                    })
                    .map(|e| e.lease.addr);
                let free = || self.allocate(shared, host, &classes, now, true);
                match own.or_else(free).and_then(|a| self.leases.get(a)) {
                    Some(e) => (e.lease.addr, e.subnet, Some(e.pool)),
                    None => {
                        self.log(
                            Level::Info,
                            format!("{msg}: BOOTP from dynamic client and no dynamic leases"),
                        );
                        return;
                    }
                }
            }
        };
        let at = Place {
            shared,
            subnet: Some(subnet),
            pool,
            host,
            classes: &classes,
        };
        let old = pool
            .and_then(|_| self.leases.get(addr))
            .map(|e| e.lease.clone());
        let set = self.options_for(req, old.as_ref(), &at, now);
        let Some(payload) = self.bootreply(req, raw, addr, &set, subnet) else {
            return;
        };
        let route = self.route(req, iface, MessageType::Offer, addr);
        let sid = self.server_id(&set, iface);
        let tx = Transmit {
            route,
            src_ip: sid,
            payload,
        };
        self.log(Level::Info, msg);
        match (pool, old) {
            (Some(pool), Some(mut lease)) => {
                let was = lease.binding_state; // FAILOVER
                lease.starts = now;
                lease.ends = dhcpd_leases::model::NEVER;
                lease.cltt = now;
                lease.binding_state = BindingState::Active;
                lease.next_binding_state = BindingState::Free;
                lease.rewind_binding_state = BindingState::Free;
                lease.bootp = true;
                lease.hardware = Some(c.hw);
                lease.uid.clear();
                lease.client_hostname = None;
                let change = failover::FoChange::Ack {
                    desired: u32::MAX,
                    given: u32::MAX,
                    was,
                };
                self.fo_committing(pool, &mut lease, change, now); // FAILOVER hook
                let record = dhcpd_leases::write::write_lease(&lease, now);
                self.leases.put(Entry {
                    lease,
                    pool,
                    subnet,
                });
                self.log(
                    Level::Info,
                    format!("BOOTREPLY on {addr} to {} via {via}", c.mac()),
                );
                self.actions.push_back(Action::Commit {
                    record,
                    then: Some(tx),
                });
            }
            _ => {
                let name = host.map_or("unknown", |h| self.model.hosts[h].name.as_str());
                self.log(
                    Level::Info,
                    format!("BOOTREPLY for {addr} to {name} ({}) via {via}", c.mac()),
                );
                self.actions.push_back(Action::Send(tx));
            }
        }
    }

    /// A BOOTREPLY: no DHCP header options, the vendor area sized like the request's (at
    /// least the 64-byte BOOTP minimum), or the request's vendor bytes echoed when it had no
    /// magic cookie.
    fn bootreply(
        &self,
        req: &Message,
        raw: &[u8],
        yiaddr: Ipv4Addr,
        set: &OptionSet,
        subnet: usize,
    ) -> Option<Vec<u8>> {
        let mut msg = Message {
            op: OpCode::Reply,
            htype: req.htype,
            hlen: req.hlen,
            hops: req.hops,
            xid: req.xid,
            secs: req.secs,
            flags: req.flags,
            ciaddr: req.ciaddr,
            yiaddr,
            siaddr: set
                .param_addr(self.params.next_server)
                .unwrap_or(Ipv4Addr::UNSPECIFIED),
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            sname: Default::default(),
            file: Default::default(),
            vendor: Default::default(),
        };
        if let Some(f) = set.param(self.params.filename) {
            msg.file = boot_field(f);
        }
        if let Some(s) = set.param(self.params.server_name) {
            msg.sname = boot_field(s);
        }
        let valid = matches!(req.vendor, dhcpd_wire::message::Vendor::Options(_));
        let rfc1048 = set
            .param_flag(self.params.always_reply_rfc1048)
            .unwrap_or(false);
        if let Some(echo) = dhcpd_wire::order::bootp_vendor_echo(raw, valid, rfc1048) {
            msg.vendor = dhcpd_wire::message::Vendor::Raw(echo);
            return msg.to_vec().ok();
        }
        let mut options = vec![DhcpOption {
            code: 1,
            data: self.model.subnets[subnet].mask.octets().to_vec(),
        }];
        for (code, v) in set.space("dhcp") {
            let Ok(code) = u8::try_from(code) else {
                continue;
            };
            if matches!(code, 0 | 255 | 53 | 54 | 51 | 52 | 55 | 57 | 61 | 82) {
                continue;
            }
            options.retain(|o| o.code != code);
            options.push(DhcpOption {
                code,
                data: v.to_vec(),
            });
        }
        let prl = req.option_data(55);
        let params = ReplyParams {
            prl: prl.as_deref(),
            bootp_request_len: Some(raw.len()),
            ..ReplyParams::default()
        };
        let placed = build_reply_options(&params, &options).ok()?;
        placed.apply(&mut msg);
        msg.to_vec().ok()
    }

    fn expire(&mut self, now: i64) {
        for a in self.leases.expired(now) {
            let Some(mut e) = self.leases.get(a).cloned() else {
                continue;
            };
            if self.fo_leaves_expiry_to_peer(e.pool) {
                continue; // FAILOVER: the primary expires it
            }
            // ISC's make_binding_state_transition: `active`, so the variables go as each
            // removal completes.
            self.ddns_remove(&e.lease.clone(), true);
            self.run_stored_hook(&mut e.lease, false, None, now);
            // ISC's make_binding_state_transition drops the stashed relay agent options and
            // the client's host name, and sends the expiry time as `tstp` (failover sets its
            // own below).
            e.lease.agent_options.clear();
            e.lease.client_hostname = None;
            e.lease.tstp = e.lease.ends;
            e.lease.binding_state = BindingState::Free;
            e.lease.next_binding_state = BindingState::Free;
            e.lease.rewind_binding_state = BindingState::Free;
            self.fo_committing(e.pool, &mut e.lease, failover::FoChange::Expire, now); // FAILOVER hook
            let record = dhcpd_leases::write::write_lease(&e.lease, now);
            self.billed.remove(&a);
            self.leases.update(e);
            self.actions
                .push_back(Action::Commit { record, then: None });
        }
    }
}

/// One entry of ISC's `host_id_info` list: the hosts identified by one option (ISC keys the
/// entries by option code and relay count, the first host's option naming the entry), with
/// each value's first host.
#[derive(Debug, Clone)]
struct HostIdInfo {
    option: dhcpd_conf::options::OptionName,
    values: Vec<(Vec<u8>, usize)>,
}

/// ISC's `enter_host` for the host identifiers: entries newest first, a value's first host
/// kept. A `v6relopt` count other than 0 never matches a DHCPv4 packet, so those are left out.
fn host_id_info(model: &Model, registry: &Registry) -> Vec<HostIdInfo> {
    let mut list: Vec<HostIdInfo> = Vec::new();
    for (h, host) in model.hosts.iter().enumerate() {
        let Some(id) = &host.identifier else { continue };
        if host.deleted {
            continue;
        }
        if id.relays.is_some_and(|r| r != 0) {
            continue;
        }
        let def = registry
            .lookup_name(&id.option.space, &id.option.name)
            .or_else(|| registry.lookup_code(&id.option.space, id.option.code));
        let Some(def) = def else { continue };
        let value = match &id.value {
            dhcpd_conf::options::OptionValue::Values(groups) => {
                crate::scope::encode_values(def.format(), groups)
            }
            other => crate::scope::constant_value(other),
        };
        let Some(value) = value else { continue };
        let code = def.code();
        let entry = match list.iter().position(|e| e.option.code == code) {
            Some(i) => i,
            None => {
                list.insert(
                    0,
                    HostIdInfo {
                        option: id.option.clone(),
                        values: Vec::new(),
                    },
                );
                0
            }
        };
        if !list[entry].values.iter().any(|(v, _)| *v == value) {
            list[entry].values.push((value, h));
        }
    }
    list
}

/// Applies `set`/`unset` effects to a lease's variables as ISC's binding scope takes them: a
/// variable already bound (names compared without case) keeps its place and takes the new
/// value, a new one goes first (ISC's list, written newest first). `unset` removes the
/// variable (ISC keeps it without a value, which its writer skips).
fn apply_bindings(bindings: &mut Vec<dhcpd_leases::Binding>, effects: &[Effect]) {
    for e in effects {
        let (name, value) = match e {
            Effect::Set(n, v) => (n, Some(dhcpd_leases::BindingValue::Data(v.clone()))),
            Effect::Bind { name, value } => (name, Some(value.clone())),
            Effect::Unset(n) => (n, None),
            _ => continue,
        };
        let at = bindings
            .iter()
            .position(|b| b.name.eq_ignore_ascii_case(name));
        match (at, value) {
            (Some(i), Some(v)) => bindings[i].value = v,
            (None, Some(v)) => bindings.insert(
                0,
                dhcpd_leases::Binding {
                    name: name.clone(),
                    value: v,
                },
            ),
            (Some(i), None) => {
                bindings.remove(i);
            }
            (None, None) => {}
        }
    }
}

/// The sub-options of a relay agent information option (`None` when they do not parse).
fn agent_sub_options(v: &[u8]) -> Option<Vec<dhcpd_leases::AgentOption>> {
    let mut out = Vec::new();
    let mut rest = v;
    while let [code, len, tail @ ..] = rest {
        let n = usize::from(*len);
        let data = tail.get(..n)?;
        out.push(dhcpd_leases::AgentOption {
            code: *code,
            data: data.to_vec(),
        });
        rest = &tail[n..];
    }
    rest.is_empty().then_some(out)
}

/// Runs an `on` body in `ctx`: its `log` lines (ISC's priority) and `execute` commands (with
/// ISC's debug trace of the argument vector) as actions, and its `set`/`unset` effects.
fn hook_actions(ctx: &EvalCtx<'_>, body: &[Executable]) -> (Vec<Action>, Vec<Effect>) {
    let mut scratch = OptionSet::default();
    let mut effects = Vec::new();
    execute(ctx, body, &mut scratch, &mut effects);
    let (mut actions, mut bindings) = (Vec::new(), Vec::new());
    for e in effects {
        match e {
            e @ (Effect::Set(..) | Effect::Bind { .. } | Effect::Unset(_)) => bindings.push(e),
            Effect::Log(p, text) => {
                let level = match p.as_str() {
                    "fatal" | "error" => Level::Error,
                    "info" => Level::Info,
                    _ => Level::Debug,
                };
                actions.push(Action::Log(level, text));
            }
            Effect::Execute { command, args } => {
                let argv = std::iter::once(&command).chain(&args);
                for (i, a) in argv.enumerate() {
                    actions.push(Action::Log(
                        Level::Debug,
                        format!(
                            "execute_statement argv[{i}] = {}",
                            String::from_utf8_lossy(a)
                        ),
                    ));
                }
                actions.push(Action::Execute { command, args });
            }
            _ => {}
        }
    }
    (actions, bindings)
}

/// ISC's `make_binding_state_transition` hooks for a lease outside the running engine (the
/// start-up expiry of the lease file): when `release` is false the lease's `on expiry` body
/// runs, else its `on release` body (or `on expiry` when the two were written as one);
/// both are taken off the lease, its variables take the body's `set`/`unset`, and the
/// body's `log` lines and `execute` commands come back as actions, in order.
pub fn run_lease_hook(
    model: &Model,
    registry: &Registry,
    lease: &mut Lease,
    release: bool,
    now: i64,
) -> Vec<Action> {
    let expiry = lease.on_expiry.take();
    let on_release = std::mem::take(&mut lease.on_release);
    let body = match (release, on_release) {
        (false, _) => expiry,
        (true, OnRelease::SameAsExpiry) => expiry,
        (true, OnRelease::Own(b)) => Some(b),
        (true, OnRelease::None) => None,
    };
    let Some(body) = body else {
        return Vec::new();
    };
    let snapshot = lease.clone();
    let ctx = EvalCtx {
        now,
        model,
        registry,
        packet: None,
        lease: Some(&snapshot),
        host: None,
        classes: &[],
    };
    let (actions, bindings) = hook_actions(&ctx, &body.stmts);
    apply_bindings(&mut lease.bindings, &bindings);
    actions
}

/// A hardware address as the lease table keys it: type byte, then the address.
fn hw_key_of(hw: &HardwareAddr) -> Vec<u8> {
    let mut k = vec![hw.htype];
    k.extend_from_slice(hw.addr());
    k
}

/// The ICMP identifier of a ping to `addr` (ISC folds the address into the id).
fn ping_id(addr: Ipv4Addr) -> u16 {
    let v = u32::from(addr);
    (v ^ (v >> 16)) as u16
}

fn boot_field<const N: usize>(v: &[u8]) -> dhcpd_wire::message::BootField<N> {
    let mut b = [0u8; N];
    let n = v.len().min(N);
    b[..n].copy_from_slice(&v[..n]);
    dhcpd_wire::message::BootField::Bytes(b)
}

fn date_passed(d: &dhcpd_conf::ast::Date, now: i64) -> bool {
    match d {
        dhcpd_conf::ast::Date::Never => false,
        dhcpd_conf::ast::Date::Epoch(t) => now > *t,
        _ => false,
    }
}

impl Engine for Server {
    fn host_find(&self, key: &crate::io::HostKey) -> Option<String> {
        use crate::io::HostKey;
        let i = match key {
            HostKey::Name(n) => self.live_host(n),
            HostKey::Hardware(hw) => self.model.host_by_hardware(hw),
            HostKey::Uid(u) => self.model.host_by_uid(u),
        }?;
        Some(self.model.hosts[i].name.clone())
    }

    fn host_view(&self, name: &str) -> Option<crate::io::HostView> {
        let h = &self.model.hosts[self.live_host(name)?];
        Some(crate::io::HostView {
            name: h.name.clone(),
            hardware: h.hardware,
            uid: h.uid.clone(),
            fixed: h
                .fixed
                .iter()
                .filter_map(|a| match a {
                    AddrOrName::Addr(ip) => Some(*ip),
                    AddrOrName::Name(_) => None,
                })
                .collect(),
            dynamic: h.dynamic,
            has_statements: h.has_statements,
        })
    }

    fn host_enter(
        &mut self,
        host: dhcpd_leases::Host,
        replace: bool,
    ) -> Result<Vec<String>, crate::io::HostError> {
        use crate::io::HostError;
        let w = dhcpd_leases::WriteOptions::default();
        let old = self.live_host(&host.name);
        let mut records = Vec::new();
        // ISC: an updated host keeps its flags (a host of the configuration stays static).
        let mut host = host;
        let mut parent = 0;
        let dynamic = match (old, replace) {
            (Some(_), false) => return Err(HostError::Exists),
            (None, true) => return Err(HostError::NotFound),
            (Some(i), true) => {
                let o = &self.model.hosts[i];
                // ISC updates the host in place: it keeps its group and its statements
                // (which OMAPI can set only on a host without any).
                parent = self.model.scopes[o.scope].parent.unwrap_or(0);
                if host.statements.is_empty() {
                    host.statements = self.model.scopes[o.scope].stmts.clone();
                }
                let rubout = dhcpd_leases::Host {
                    name: o.name.clone(),
                    dynamic: o.dynamic,
                    deleted: true,
                    ..Default::default()
                };
                records.extend(w.host(&rubout));
                o.dynamic
            }
            (None, false) => true,
        };
        let rec = dhcpd_leases::Host {
            dynamic,
            deleted: false,
            ..host
        };
        let Some(text) = w.host(&rec) else {
            return Err(HostError::Refused(format!(
                "host name {:?} cannot be written to the lease file",
                rec.name
            )));
        };
        records.push(text);
        if let Some(i) = old {
            self.model.delete_host(i);
        }
        self.model.enter_host(rec, parent);
        self.host_ids = host_id_info(&self.model, &self.registry);
        Ok(records)
    }

    fn host_remove(&mut self, name: &str) -> Result<String, crate::io::HostError> {
        let i = self.live_host(name).ok_or(crate::io::HostError::NotFound)?;
        let o = &self.model.hosts[i];
        let rubout = dhcpd_leases::Host {
            name: o.name.clone(),
            dynamic: o.dynamic,
            deleted: true,
            ..Default::default()
        };
        let record = dhcpd_leases::WriteOptions::default()
            .host(&rubout)
            .ok_or_else(|| {
                crate::io::HostError::Refused(format!(
                    "host name {name:?} cannot be written to the lease file"
                ))
            })?;
        self.model.delete_host(i);
        self.host_ids = host_id_info(&self.model, &self.registry);
        Ok(record)
    }

    fn leases_of(&self, key: &crate::io::HostKey) -> Vec<Ipv4Addr> {
        use crate::io::HostKey;
        match key {
            HostKey::Name(_) => Vec::new(),
            HostKey::Hardware(hw) => self
                .leases
                .by_hw(&hw_key_of(hw))
                .map(|e| e.lease.addr)
                .collect(),
            HostKey::Uid(u) => self.leases.by_uid(u).map(|e| e.lease.addr).collect(),
        }
    }

    fn lease_view(&self, addr: Ipv4Addr) -> Option<crate::io::LeaseView> {
        let l = &self.leases.get(addr)?.lease;
        Some(crate::io::LeaseView {
            addr,
            state: u32::from(dhcpd_failover::body::binding_state_to_wire(l.binding_state)),
            uid: l.uid.clone(),
            client_hostname: l.client_hostname.clone(),
            hardware: l.hardware.as_ref().map(|h| (h.htype, h.addr().to_vec())),
            times: [l.ends, l.starts, l.tstp, l.tsfp, l.atsfp, l.cltt],
            flags: (if l.bootp { 2 } else { 0 }) | (if l.reserved { 4 } else { 0 }),
        })
    }

    fn lease_variables(&self, addr: Ipv4Addr) -> Vec<dhcpd_leases::model::Binding> {
        self.leases
            .get(addr)
            .map(|e| e.lease.bindings.clone())
            .unwrap_or_default()
    }

    fn lease_update(
        &mut self,
        addr: Ipv4Addr,
        change: crate::io::LeaseChange,
        now: SystemTime,
    ) -> Result<Option<Vec<String>>, crate::io::LeaseError> {
        self.omapi_lease_update(addr, change, now)
    }

    fn handle_packet(&mut self, now: SystemTime, rx: &Received<'_>) {
        self.clock = now;
        let now = secs(now);
        let Ok(msg) = Message::from_bytes(rx.payload) else {
            return;
        };
        if msg.op != OpCode::Request {
            return;
        }
        let Some(iface) = self
            .served
            .iter()
            .find(|s| s.info.index == rx.ifindex)
            .cloned()
        else {
            return;
        };
        match msg.message_type() {
            Some(MessageType::Discover) => self.discover(&msg, &iface, now),
            Some(MessageType::Request) => {
                // A renewing client's packet without relay agent options takes those stashed
                // on its lease (ISC's `dhcp()`); classification has already seen the packet
                // as it came.
                let classes = self.classes_of(&msg, now);
                let stashed = self.stashed_agent_options(&msg, now);
                self.agent_stashed = stashed.is_some();
                self.request(stashed.as_ref().unwrap_or(&msg), &iface, classes, now);
                self.agent_stashed = false;
            }
            Some(MessageType::Release) => self.release(&msg, &iface, now),
            Some(MessageType::Decline) => self.decline(&msg, &iface, now),
            Some(MessageType::Inform) => self.inform(&msg, &iface, now, rx.src_ip),
            None => self.bootp(&msg, rx.payload, &iface, now),
            _ => {}
        }
    }

    fn handle_icmp_reply(&mut self, now: SystemTime, addr: Ipv4Addr) {
        self.clock = now;
        let now = secs(now);
        if self.pings.remove(&addr).is_none() {
            if !self.pings.is_empty() {
                let what = if self.leases.get(addr).is_some() {
                    format!("ICMP Echo Reply for {addr} late or spurious.")
                } else {
                    format!("unexpected ICMP Echo Reply from {addr}")
                };
                self.log(Level::Debug, what);
            }
            return;
        }
        if self.leases.get(addr).is_some_and(|e| e.lease.ends > now) {
            self.log(
                Level::Debug,
                format!("ICMP Echo reply while lease {addr} valid."),
            );
        }
        self.abandon(addr, "pinged before offer", now);
    }

    fn handle_timeout(&mut self, now: SystemTime) {
        self.clock = now;
        let mut due: Vec<(SystemTime, Ipv4Addr)> = self
            .pings
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(a, p)| (p.deadline, *a))
            .collect();
        due.sort();
        for (_, a) in due {
            if let Some(p) = self.pings.remove(&a) {
                self.actions.extend(p.then);
            }
        }
        self.expire(secs(now));
        self.ddns_timeout(now);
    }

    fn handle_dns_response(
        &mut self,
        now: SystemTime,
        from: std::net::SocketAddrV4,
        payload: &[u8],
    ) {
        self.ddns_response(now, from, payload);
    }

    fn ddns_enabled(&self) -> bool {
        self.ddns.is_some()
    }

    fn poll_timeout(&self) -> Option<SystemTime> {
        // The first lease to expire, passing over those that have run out but are left to
        // the failover peer (they stay ACTIVE until its EXPIRED BNDUPD, or until this server
        // leaves NORMAL, when they are due at once).
        let now = secs(self.clock);
        let next = self
            .leases
            .by_end()
            .find(|&(t, a)| {
                t > now
                    || !self
                        .leases
                        .get(a)
                        .is_some_and(|e| self.fo_leaves_expiry_to_peer(e.pool))
            })
            .map(|(t, _)| t);
        let lease = next.map(|t| {
            let t = u64::try_from(t.max(0)).unwrap_or(0);
            UNIX_EPOCH + Duration::from_secs(t)
        });
        let ping = self.pings.values().map(|p| p.deadline).min();
        [lease, ping, self.ddns_poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_prints_as_ipv4addr_does() {
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [198, 51, 100, 2],
            [10, 9, 100, 99],
            [1, 20, 200, 0],
        ] {
            let a = Ipv4Addr::from(a);
            assert_eq!(Ip(a).to_string(), a.to_string());
        }
        assert_eq!(
            SidPart(Some(Ipv4Addr::new(192, 0, 2, 1))).to_string(),
            " (192.0.2.1)"
        );
        assert_eq!(SidPart(None).to_string(), "");
    }
}
