//! The lease file at start-up: `dhcpd -T` (check it) and the start-up rewrite, as ISC dhcpd
//! 4.4.3 does them (`server/db.c` `db_startup` and `new_lease_file`, `server/mdb.c`
//! `enter_lease`, `expire_all_pools`, `pool_timer`, `write_leases4`).
//!
//! ISC reads the file, keeps a lease only if its address is in a `range` of the configuration
//! (otherwise `lease A: no subnet.`), puts every address of every range on its pool's queues
//! (free, active, expired, abandoned, backup, reserved; each sorted by `ends`), expires what has
//! ended by "now" (appending each changed lease to the *old* file), and writes the whole
//! database to a new file, which replaces the old one (kept as `FILE~`). The order of the
//! leases in the new file is the order of those queues, which this module reproduces: shared
//! networks in ISC's list order (last declared first), pools in list order (with ISC's merging
//! of identical pools), queue by queue, and inside a queue by `ends`, ties broken as ISC's
//! insertion sort breaks them when it fills the queues in the order of its address hash table.
//!
//! [`check`] is `dhcpd -T`; [`startup`] is the start-up rewrite the server runs before serving.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dhcpd_conf::ast::{self, Config, Permit, Stmt};
use dhcpd_leases::{
    BindingState, FailoverRole, FailoverState, FailoverStateName, LeaseIdFormat, LoadOptions,
    OnRelease, Record, State, WriteOptions, parse_stream,
};
use dhcpd_sys::durable::{self, AppendFile};

/// ISC's `LEASE_HASH_SIZE`: the number of buckets of the lease address hash table, whose
/// order decides how leases with equal `ends` are ordered in the rewritten file.
const LEASE_HASH_SIZE: u32 = 100_003;

/// Which lease queue of a pool (ISC's `FREE_LEASES` … `RESERVED_LEASES`, in write order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum QueueKind {
    Free = 0,
    Active = 1,
    Expired = 2,
    Abandoned = 3,
    Backup = 4,
    Reserved = 5,
}

/// A failover peer of the configuration.
#[derive(Debug, Clone)]
struct PeerDef {
    name: String,
    role: FailoverRole,
    mclt: i64,
    /// What `failover peer "NAME" state { … }` blocks of dhcpd.conf set: the state to start
    /// from when the lease file has no record (ISC reads them before the lease file).
    conf_state: dhcpd_core::engine::failover::ConfState,
}

/// A pool while the configuration is walked.
#[derive(Debug, Clone, Default)]
struct PoolDef {
    /// Index into [`Layout::peers`].
    peer: Option<String>,
    /// `allow` permits and `deny` permits, as comparable strings.
    permit: Vec<String>,
    prohibit: Vec<String>,
    /// The pool has statements of its own (ISC never merges such a pool).
    has_statements: bool,
}

/// An address range and the pool its leases belong to.
#[derive(Debug, Clone, Copy)]
struct RangeDef {
    lo: u32,
    hi: u32,
    /// Global pool index (into [`Layout::pools`], which is in write order).
    pool: u32,
    /// The insertion stamp of the range's first address (ISC adds the addresses of each range
    /// to its hash table in declaration order).
    stamp: u64,
}

/// What the start-up needs from the configuration: the pools, their ranges and failover
/// peers, the classes, the lease-file formats.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Pools in ISC's write order.
    pools: Vec<PoolDef>,
    /// Ranges sorted by their first address.
    ranges: Vec<RangeDef>,
    /// Failover peers in ISC's list order (last declared first).
    peers: Vec<PeerDef>,
    /// Every class name (`class`, `vendor-class`, `user-class`).
    classes: HashSet<String>,
    /// Whether the configuration declares a named group, a host or a class (ISC then logs the
    /// `Wrote N … decls` lines of those sections).
    has_groups: bool,
    has_hosts: bool,
    /// `lease-id-format`.
    lease_id_format: LeaseIdFormat,
    /// Total number of range addresses.
    addresses: u64,
    /// `authoritative;` at the top of the configuration (ISC then writes the statements of
    /// class records).
    authoritative: bool,
}

struct SharedBuild {
    pools: Vec<PoolDef>,
    /// Ranges of each pool: (low, high, declaration stamp).
    ranges: Vec<Vec<(u32, u32, u64)>>,
    peer: Option<String>,
}

struct Builder {
    shared: Vec<SharedBuild>,
    peers: Vec<PeerDef>,
    classes: HashSet<String>,
    has_groups: bool,
    has_hosts: bool,
    lease_id_format: LeaseIdFormat,
    stamp: u64,
}

fn permit_key(p: &Permit) -> String {
    format!("{p:?}")
}

impl Builder {
    fn new_shared(&mut self) -> usize {
        self.shared.push(SharedBuild {
            pools: Vec::new(),
            ranges: Vec::new(),
            peer: None,
        });
        self.shared.len() - 1
    }

    fn add_range(&mut self, sn: usize, pool: usize, r: &ast::Range) {
        let lo = u32::from(r.low);
        let hi = r.high.map_or(lo, u32::from);
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        let stamp = self.stamp;
        self.stamp += u64::from(hi - lo) + 1;
        self.shared[sn].ranges[pool].push((lo, hi, stamp));
    }

    /// A `range` directly in a subnet or shared network: ISC's ad-hoc pool.
    fn adhoc_range(&mut self, sn: usize, r: &ast::Range) {
        let dynamic = r.dynamic_bootp;
        let s = &self.shared[sn];
        let found = s.pools.iter().position(|p| {
            if dynamic {
                p.prohibit.is_empty()
                    && p.permit.len() == 1
                    && p.permit[0] == permit_key(&Permit::AllClients)
            } else {
                p.permit.is_empty()
                    && p.prohibit.len() == 1
                    && p.prohibit[0] == permit_key(&Permit::DynamicBootpClients)
            }
        });
        let idx = match found {
            // ISC takes the pool *before* the matching one (or the first pool).
            Some(k) => k.saturating_sub(1),
            None => {
                let mut p = PoolDef::default();
                if dynamic {
                    p.permit.push(permit_key(&Permit::AllClients));
                } else {
                    p.prohibit.push(permit_key(&Permit::DynamicBootpClients));
                }
                let s = &mut self.shared[sn];
                s.pools.push(p);
                s.ranges.push(Vec::new());
                s.pools.len() - 1
            }
        };
        self.add_range(sn, idx, r);
    }

    /// A `pool { … }` in shared network `sn`.
    fn pool(&mut self, sn: usize, pool: &ast::Pool) {
        if pool.v6 {
            return;
        }
        let mut def = PoolDef {
            peer: self.shared[sn].peer.clone(),
            ..PoolDef::default()
        };
        let mut ranges = Vec::new();
        for st in &pool.body {
            match st {
                Stmt::Range(r) => ranges.push(r.clone()),
                Stmt::Permit(p) => {
                    if p.allow {
                        def.permit.push(permit_key(&p.permit));
                    } else {
                        def.prohibit.push(permit_key(&p.permit));
                    }
                }
                Stmt::PoolFailover(_, peer) => def.peer = peer.clone(),
                _ => def.has_statements = true,
            }
        }
        def.permit.sort();
        def.prohibit.sort();
        let s = &self.shared[sn];
        let merge = if def.has_statements {
            None
        } else {
            s.pools.iter().position(|pp| {
                !pp.has_statements
                    && pp.peer == def.peer
                    && same_set(&pp.permit, &def.permit)
                    && same_set(&pp.prohibit, &def.prohibit)
            })
        };
        let idx = match merge {
            Some(i) => i,
            None => {
                let s = &mut self.shared[sn];
                s.pools.push(def);
                s.ranges.push(Vec::new());
                s.pools.len() - 1
            }
        };
        for r in &ranges {
            self.add_range(sn, idx, r);
        }
    }

    /// The body of a subnet or shared network (`sn` is its shared network).
    fn net_body(&mut self, sn: usize, body: &[Stmt]) {
        for st in body {
            match st {
                Stmt::Subnet(s) => self.net_body(sn, &s.body),
                Stmt::Range(r) => self.adhoc_range(sn, r),
                Stmt::Pool(p) => self.pool(sn, p),
                Stmt::FailoverPeerRef(_, name) => self.shared[sn].peer = Some(name.clone()),
                Stmt::Include(i) => self.net_body(sn, &i.statements),
                _ => self.other(st),
            }
        }
    }

    /// Global scope, groups, includes.
    fn scope(&mut self, body: &[Stmt]) {
        for st in body {
            match st {
                Stmt::Subnet(s) => {
                    let sn = self.new_shared();
                    self.net_body(sn, &s.body);
                }
                Stmt::SharedNetwork(s) => {
                    let sn = self.new_shared();
                    self.net_body(sn, &s.body);
                }
                Stmt::Include(i) => self.scope(&i.statements),
                Stmt::Group(g) => {
                    if g.name.is_some() {
                        self.has_groups = true;
                    }
                    self.scope(&g.body);
                }
                _ => self.other(st),
            }
        }
    }

    fn other(&mut self, st: &Stmt) {
        match st {
            Stmt::FailoverPeer(p) => self.peers.push(PeerDef {
                name: p.name.clone(),
                role: match p.role {
                    Some(ast::FailoverRole::Secondary) => FailoverRole::Secondary,
                    _ => FailoverRole::Primary,
                },
                mclt: p.mclt.unwrap_or(0),
                conf_state: Default::default(),
            }),
            Stmt::FailoverState(st) => {
                if let Some(p) = self.peers.iter_mut().find(|p| p.name == st.name) {
                    p.conf_state.apply(&st.items);
                }
            }
            Stmt::Class(c) => {
                self.classes.insert(c.name.clone());
            }
            Stmt::Host(h) => {
                self.has_hosts = true;
                self.scope(&h.body);
            }
            Stmt::Group(g) => {
                if g.name.is_some() {
                    self.has_groups = true;
                }
                self.scope(&g.body);
            }
            Stmt::LeaseIdFormat(_, f) => {
                self.lease_id_format = match f {
                    ast::LeaseIdFormat::Hex => LeaseIdFormat::Hex,
                    ast::LeaseIdFormat::Octal => LeaseIdFormat::Octal,
                }
            }
            _ => {}
        }
    }
}

/// The last `authoritative;`/`not authoritative;` at the top level (through includes).
fn root_authoritative(body: &[Stmt]) -> Option<bool> {
    let mut last = None;
    for st in body {
        match st {
            Stmt::Authoritative(_, on) => last = Some(*on),
            Stmt::Include(i) => {
                if let Some(v) = root_authoritative(&i.statements) {
                    last = Some(v);
                }
            }
            _ => {}
        }
    }
    last
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}

impl Layout {
    /// Reads what the lease file needs out of a parsed configuration.
    ///
    /// Not yet taken from the configuration (the AST does not carry them yet):
    /// `db-time-format` (the default format is used) and `dont-use-fsync`.
    pub fn from_config(config: &Config) -> Layout {
        let mut b = Builder {
            shared: Vec::new(),
            peers: Vec::new(),
            classes: HashSet::new(),
            has_groups: false,
            has_hosts: false,
            lease_id_format: LeaseIdFormat::Octal,
            stamp: 0,
        };
        b.scope(&config.statements);
        let mut layout = Layout {
            authoritative: root_authoritative(&config.statements).unwrap_or(false),
            classes: b.classes,
            has_groups: b.has_groups,
            has_hosts: b.has_hosts,
            lease_id_format: b.lease_id_format,
            ..Layout::default()
        };
        // ISC puts each new shared network (and each failover peer) at the head of its list.
        for s in b.shared.into_iter().rev() {
            for (p, ranges) in s.pools.into_iter().zip(s.ranges) {
                let idx = layout.pools.len() as u32;
                layout.pools.push(p);
                for (lo, hi, stamp) in ranges {
                    layout.addresses += u64::from(hi - lo) + 1;
                    layout.ranges.push(RangeDef {
                        lo,
                        hi,
                        pool: idx,
                        stamp,
                    });
                }
            }
        }
        layout.ranges.sort_by_key(|r| r.lo);
        layout.peers = b.peers.into_iter().rev().collect();
        layout
    }

    /// The range holding `addr`, if any.
    fn range_of(&self, addr: u32) -> Option<&RangeDef> {
        let i = self.ranges.partition_point(|r| r.lo <= addr);
        self.ranges[..i].iter().rev().find(|r| r.hi >= addr)
    }

    fn peer(&self, name: &str) -> Option<&PeerDef> {
        self.peers.iter().find(|p| p.name == name)
    }

    /// The options for reading the lease file against this configuration.
    pub fn load_options(&self, now: i64) -> LoadOptions {
        LoadOptions {
            now,
            failover_peers: Some(
                self.peers
                    .iter()
                    .map(|p| (p.name.clone(), p.role))
                    .collect::<HashMap<_, _>>(),
            ),
            classes: Some(self.classes.clone()),
            ..LoadOptions::default()
        }
    }
}

/// One address of a range: ISC's `struct lease` before and after the file is read.
#[derive(Debug, Clone, Copy)]
struct Slot {
    addr: u32,
    pool: u32,
    /// Index of the address's lease in the lease store (`u32::MAX`: none, a fresh free lease).
    record: u32,
    /// Its queue, and a generation number for lazy removal from the queues.
    generation: u32,
    queue: QueueKind,
    /// When it was (last) added to the address hash table.
    stamp: u64,
}

/// No lease from the file for this address.
const NO_RECORD: u32 = u32::MAX;

/// How many bytes of hardware address, uid and client host name a [`Small`] lease holds.
const INLINE: usize = 52;

/// A lease as the start-up keeps it while the file is read: the common lease (times that
/// fit ISC's 32-bit dates, hardware address, uid and host name that fit [`INLINE`] bytes
/// together, nothing else) in 88 bytes, any other one as a full [`dhcpd_leases::Lease`].
#[derive(Debug, Clone)]
enum Stored {
    Small(Small),
    Full(Box<dhcpd_leases::Lease>),
}

#[derive(Debug, Clone)]
struct Small {
    /// starts, ends, tstp, tsfp, atsfp, cltt.
    times: [i32; 6],
    binding: BindingState,
    next: BindingState,
    rewind: BindingState,
    /// bit 0: reserved; bit 1: dynamic-bootp; bit 2: hardware present; bit 3: host name
    /// present.
    flags: u8,
    hw_type: u8,
    hw_len: u8,
    uid_len: u8,
    name_len: u8,
    /// The hardware address, the uid and the host name, one after the other.
    data: [u8; INLINE],
}

impl Stored {
    fn new(l: dhcpd_leases::Lease) -> Stored {
        let times = [l.starts, l.ends, l.tstp, l.tsfp, l.atsfp, l.cltt].map(i32::try_from);
        let hw = l.hardware.as_ref().map_or(0, |h| h.addr().len());
        let name = l.client_hostname.as_ref().map_or(0, Vec::len);
        let small = l.billing.is_none()
            && l.bindings.is_empty()
            && l.agent_options.is_empty()
            && l.on_expiry.is_none()
            && l.on_release == OnRelease::None
            && times.iter().all(Result::is_ok)
            && hw <= 255
            && l.uid.len() <= 255
            && name <= 255
            && hw + l.uid.len() + name <= INLINE;
        if !small {
            return Stored::Full(Box::new(l));
        }
        let mut data = [0u8; INLINE];
        let mut at = 0;
        for part in [
            l.hardware.as_ref().map_or(&[][..], |h| h.addr()),
            &l.uid[..],
            l.client_hostname.as_deref().unwrap_or_default(),
        ] {
            data[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Stored::Small(Small {
            times: times.map(|t| t.unwrap_or(0)),
            binding: l.binding_state,
            next: l.next_binding_state,
            rewind: l.rewind_binding_state,
            flags: u8::from(l.reserved)
                | u8::from(l.bootp) << 1
                | u8::from(l.hardware.is_some()) << 2
                | u8::from(l.client_hostname.is_some()) << 3,
            hw_type: l.hardware.as_ref().map_or(0, |h| h.htype),
            hw_len: hw as u8,
            uid_len: l.uid.len() as u8,
            name_len: name as u8,
            data,
        })
    }

    fn lease(&self, addr: u32) -> dhcpd_leases::Lease {
        match self {
            Stored::Full(l) => (**l).clone(),
            Stored::Small(s) => {
                let mut l = dhcpd_leases::Lease::new(Ipv4Addr::from(addr));
                let t = s.times.map(i64::from);
                (l.starts, l.ends, l.tstp, l.tsfp, l.atsfp, l.cltt) =
                    (t[0], t[1], t[2], t[3], t[4], t[5]);
                l.binding_state = s.binding;
                l.next_binding_state = s.next;
                l.rewind_binding_state = s.rewind;
                l.reserved = s.flags & 1 != 0;
                l.bootp = s.flags & 2 != 0;
                let (hw, uid) = (usize::from(s.hw_len), usize::from(s.uid_len));
                let name = usize::from(s.name_len);
                if s.flags & 4 != 0 {
                    l.hardware = Some(dhcpd_leases::HardwareAddr::from_prefix(
                        s.hw_type,
                        &s.data[..hw],
                    ));
                }
                l.uid = s.data[hw..hw + uid].to_vec();
                if s.flags & 8 != 0 {
                    l.client_hostname = Some(s.data[hw + uid..hw + uid + name].to_vec());
                }
                l
            }
        }
    }

    fn binding(&self) -> BindingState {
        match self {
            Stored::Full(l) => l.binding_state,
            Stored::Small(s) => s.binding,
        }
    }

    fn next(&self) -> BindingState {
        match self {
            Stored::Full(l) => l.next_binding_state,
            Stored::Small(s) => s.next,
        }
    }

    fn reserved(&self) -> bool {
        match self {
            Stored::Full(l) => l.reserved,
            Stored::Small(s) => s.flags & 1 != 0,
        }
    }

    fn ends(&self) -> i64 {
        match self {
            Stored::Full(l) => l.ends,
            Stored::Small(s) => i64::from(s.times[1]),
        }
    }

    fn tsfp(&self) -> i64 {
        match self {
            Stored::Full(l) => l.tsfp,
            Stored::Small(s) => i64::from(s.times[3]),
        }
    }

    /// [`dhcpd_leases::db::worth_writing`].
    fn worth_writing(&self) -> bool {
        match self {
            Stored::Full(l) => dhcpd_leases::db::worth_writing(l),
            Stored::Small(s) => {
                s.flags & 4 != 0
                    || s.uid_len != 0
                    || s.times[3] != 0
                    || s.binding != BindingState::Free
            }
        }
    }

    /// The queue and sort time of the lease (ISC's `lease_enqueue`).
    fn queue_key(&self, partner_down: bool) -> (QueueKind, i64) {
        let q = queue_of(self.binding(), self.reserved());
        let key = if q == QueueKind::Expired && partner_down {
            self.tsfp().max(self.ends())
        } else {
            self.ends()
        };
        (q, key)
    }
}

/// One entry of a pool queue. A queue is ordered by sort time; among equal sort times, by
/// run, the newest run first (ISC's insertion sort puts a lease before every lease with the
/// same sort time, unless it directly follows the previous insertion into the same queue,
/// which continues that run), and inside a run in insertion order.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: i64,
    run: u32,
    seq: u32,
    slot: u32,
    generation: u32,
}

/// A pool queue (see [`Entry`]), sorted on demand.
#[derive(Debug, Default)]
struct Queue {
    entries: Vec<Entry>,
    sorted: bool,
}

impl Queue {
    fn push(&mut self, e: Entry) {
        self.entries.push(e);
        self.sorted = false;
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.entries
                .sort_unstable_by_key(|e| (e.key, std::cmp::Reverse(e.run), e.seq));
            self.sorted = true;
        }
    }
}

/// Who wrote the file, for its header line (ISC writes `isc-dhcp-4.4.3-P1` there).
pub const WRITER: &str = concat!("dhcpd-rs-", env!("CARGO_PKG_VERSION"));

/// The result of the start-up processing of a lease file.
#[derive(Debug, Default)]
pub struct Rewrite {
    /// ISC would have exited (fatal error while reading); nothing was written.
    pub fatal: bool,
    /// Number of leases written.
    pub leases_written: usize,
    /// `execute` commands of the `on expiry` / `on release` bodies run by the start-up
    /// expiry (command, arguments), in order.
    pub executes: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    /// Leases the start-up expiry expired or released that carry DDNS variables
    /// (`ddns-fwd-name`, `ddns-rev-name`, `ddns-client-fqdn`), as they were before the
    /// transition: ISC's `make_binding_state_transition` starts their DNS removals, which
    /// the running server makes (see `Server::ddns_startup_removals`).
    pub ddns_removals: Vec<dhcpd_leases::Lease>,
}

/// Whether a lease carries the variables ISC's `ddns_removals` works from.
fn has_ddns_names(l: &dhcpd_leases::Lease) -> bool {
    l.bindings.iter().any(|b| {
        ["ddns-fwd-name", "ddns-rev-name", "ddns-client-fqdn"]
            .iter()
            .any(|n| b.name.eq_ignore_ascii_case(n))
    })
}

/// Where [`rewrite`] puts what it makes.
pub struct Sinks<'a> {
    /// Each message ISC prints while reading and rewriting, in its order.
    pub log: &'a mut dyn FnMut(&str),
    /// Lease records the start-up expiry appends to the old file (before the rewrite).
    pub expired: &'a mut dyn Write,
    /// The new file.
    pub new_file: &'a mut dyn Write,
}

/// What failed in [`rewrite`].
#[derive(Debug)]
pub enum RewriteError {
    /// Reading the lease file.
    Read(std::io::Error),
    /// Appending the expired leases to the old file.
    Expired(std::io::Error),
    /// Writing the new file.
    NewFile(std::io::Error),
}

fn queue_of(binding: BindingState, reserved: bool) -> QueueKind {
    match binding {
        BindingState::Free if reserved => QueueKind::Reserved,
        BindingState::Free => QueueKind::Free,
        BindingState::Active => QueueKind::Active,
        BindingState::Expired | BindingState::Released | BindingState::Reset => QueueKind::Expired,
        BindingState::Abandoned => QueueKind::Abandoned,
        BindingState::Backup if reserved => QueueKind::Reserved,
        BindingState::Backup => QueueKind::Backup,
    }
}

/// How much of the new file is gathered before it is handed to [`Sinks::new_file`].
const WRITE_PIECE: usize = 1 << 20;

/// What the start-up expiry needs to run the `on expiry` / `on release` bodies of the leases
/// it expires, as ISC does: the configuration's model (for `config-option` and friends) and
/// option definitions.
pub struct Hooks {
    /// The configuration, as the engine sees it.
    pub model: dhcpd_core::model::Model,
    /// The option definitions.
    pub registry: dhcpd_wire::options::Registry,
}

/// Everything ISC does with the lease file between reading the configuration and serving
/// (`startup`), or when a running server rewrites it (not `startup`): `src` is the lease
/// file, `name` its name for messages, `now` the time. Sans-IO: the file is read from `src`
/// record by record (only the last lease of each address is kept, in a compact form), and
/// the new file goes to `sinks.new_file` in pieces; [`startup`] and [`Periodic`] do the file
/// work. Nothing is written to `sinks.new_file` or `sinks.expired` when reading the file is
/// fatal.
///
/// The start-up expiry (`pool_timer`) is done only when `startup` is set: the hourly rewrite
/// of a running server writes the leases as they are (the engine expires leases itself and
/// journals each expiry), and writes nothing to `sinks.expired`. With `hooks`, the start-up
/// expiry runs the expired leases' `on expiry` (or, for a release, `on release`) bodies as
/// ISC does: their `set`/`unset` change the lease written, their `log` lines (every level,
/// with ISC's `execute_statement argv[N]` trace) go to `sinks.log` as they come and their
/// `execute` commands to [`Rewrite::executes`]; without, the bodies are dropped unrun. A
/// lease with such a body is never kept in the compact form, so the body is there to run.
pub fn rewrite(
    layout: &Layout,
    name: &str,
    src: impl std::io::Read,
    now: i64,
    startup: bool,
    hooks: Option<&Hooks>,
    sinks: Sinks<'_>,
) -> Result<Rewrite, RewriteError> {
    let Sinks {
        log,
        expired,
        new_file,
    } = sinks;
    let mut out = Rewrite::default();
    let opts = layout.load_options(now);

    // Slots: every range address, in declaration order of the ranges.
    let mut slots: Vec<Slot> = Vec::with_capacity(layout.addresses as usize);
    let mut by_range: Vec<(u32, usize)> = Vec::with_capacity(layout.ranges.len());
    let mut stamp_max = 0;
    for r in &layout.ranges {
        by_range.push((r.lo, slots.len()));
        for a in r.lo..=r.hi {
            slots.push(Slot {
                addr: a,
                pool: r.pool,
                record: NO_RECORD,
                stamp: r.stamp + u64::from(a - r.lo),
                queue: QueueKind::Free,
                generation: 0,
            });
        }
        stamp_max = stamp_max.max(r.stamp + u64::from(r.hi - r.lo) + 1);
    }
    let slot_of = |addr: u32| -> Option<usize> {
        let r = layout.range_of(addr)?;
        let i = by_range.partition_point(|(lo, _)| *lo < r.lo);
        by_range
            .get(i)
            .map(|(_, base)| base + (addr - r.lo) as usize)
    };

    // Read the records in order: enter_lease for leases (the last one of an address wins),
    // the rest into a state.
    let mut state = State::default();
    let mut leases: Vec<Stored> = Vec::new();
    let mut stamp = stamp_max;
    let fatal = parse_stream(name, src, &opts, |diags, record| {
        for d in diags {
            log(&d.to_string());
        }
        match record {
            Some(Record::Lease(l)) => match slot_of(u32::from(l.addr)) {
                Some(s) => {
                    let slot = &mut slots[s];
                    let stored = Stored::new(l);
                    match leases.get_mut(slot.record as usize) {
                        Some(old) => *old = stored,
                        None => {
                            slot.record = leases.len() as u32;
                            leases.push(stored);
                        }
                    }
                    slot.stamp = stamp;
                    stamp += 1;
                }
                None => log(&format!("lease {}: no subnet.", l.addr)),
            },
            Some(Record::Ia(_) | Record::ServerDuid(_)) | None => {}
            Some(other) => state.apply(&other),
        }
    })
    .map_err(RewriteError::Read)?;
    if fatal {
        out.fatal = true;
        return Ok(out);
    }
    leases.shrink_to_fit();

    // Failover states: one per configured peer, from the file where it has a record.
    let failover: Vec<FailoverState> = layout
        .peers
        .iter()
        .map(|p| {
            // Without a record: ISC's initial state (RECOVER, partner unknown-state, both since
            // now) as a dhcpd.conf state block changed it.
            let mut f = state
                .failover
                .get(&p.name)
                .cloned()
                .unwrap_or_else(|| p.conf_state.record(&p.name, now));
            f.mclt = match p.role {
                FailoverRole::Secondary => Some(f.mclt.map_or(p.mclt, i64::from) as u32),
                FailoverRole::Primary => None,
            };
            f
        })
        .collect();
    let partner_down = |pool: u32| -> Option<(i64, i64)> {
        let name = layout.pools.get(pool as usize)?.peer.as_ref()?;
        let f = failover.iter().find(|f| &f.peer == name)?;
        let p = layout.peer(name)?;
        let mclt = f.mclt.map_or(p.mclt, i64::from);
        (f.me.state == FailoverStateName::PartnerDown).then_some((f.me.stos, mclt))
    };
    let has_peer = |pool: u32| -> bool {
        layout
            .pools
            .get(pool as usize)
            .is_some_and(|p| p.peer.is_some())
    };
    let secondary_normal = |pool: u32| -> bool {
        let Some(name) = layout
            .pools
            .get(pool as usize)
            .and_then(|p| p.peer.as_ref())
        else {
            return false;
        };
        let normal = failover
            .iter()
            .find(|f| &f.peer == name)
            .is_some_and(|f| f.me.state == FailoverStateName::Normal);
        normal
            && layout
                .peer(name)
                .is_some_and(|p| p.role == FailoverRole::Secondary)
    };
    // Per pool, computed once: (has a peer, partner-down (stos, mclt)).
    let pool_info: Vec<(bool, Option<(i64, i64)>)> = (0..layout.pools.len() as u32)
        .map(|p| (has_peer(p), partner_down(p)))
        .collect();

    // lease_instantiate over the hash table, in bucket order (newest first in a bucket).
    let mut order: Vec<u32> = (0..slots.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let s = &slots[i as usize];
        (s.addr % LEASE_HASH_SIZE, std::cmp::Reverse(s.stamp))
    });
    let mut queues: Vec<[Queue; 6]> = (0..layout.pools.len())
        .map(|_| Default::default())
        .collect();
    let (mut run, mut seq) = (0u32, 0u32);
    let mut last: Option<(u32, QueueKind, i64)> = None;
    for &si in &order {
        let s = slots[si as usize];
        let pool = s.pool;
        let (peer, pdown) = pool_info[pool as usize];
        let (q, key) = match leases.get_mut(s.record as usize) {
            Some(l) => {
                let backup = l.binding() == BindingState::Backup && !peer;
                // The billing survives only on leases that are or were in use.
                let billing = matches!(l, Stored::Full(f) if f.billing.is_some())
                    && !matches!(
                        l.binding(),
                        BindingState::Active
                            | BindingState::Expired
                            | BindingState::Released
                            | BindingState::Reset
                    );
                if backup || billing {
                    let mut f = l.lease(s.addr);
                    if backup {
                        f.binding_state = BindingState::Free;
                        f.next_binding_state = BindingState::Free;
                        f.rewind_binding_state = BindingState::Free;
                    }
                    if !matches!(
                        f.binding_state,
                        BindingState::Active
                            | BindingState::Expired
                            | BindingState::Released
                            | BindingState::Reset
                    ) {
                        f.billing = None;
                    }
                    *l = Stored::new(f);
                }
                l.queue_key(pdown.is_some())
            }
            None => (QueueKind::Free, 0),
        };
        if last != Some((pool, q, key)) {
            run += 1;
        }
        queues[pool as usize][q as usize].push(Entry {
            key,
            run,
            seq,
            slot: si,
            generation: 0,
        });
        seq += 1;
        last = Some((pool, q, key));
        slots[si as usize].queue = q;
    }
    drop(order);

    // pool_timer on every pool: move what has reached its time.
    let wopts = WriteOptions {
        lease_id_format: layout.lease_id_format,
        version: WRITER.to_string(),
        class_statements: layout.authoritative,
        ..WriteOptions::default()
    };
    // Not on a running server's rewrite (see above).
    let timer_pools = if startup { layout.pools.len() } else { 0 };
    for pool in 0..timer_pools as u32 {
        let (peer, pdown) = pool_info[pool as usize];
        for qk in [
            QueueKind::Free,
            QueueKind::Active,
            QueueKind::Expired,
            QueueKind::Abandoned,
            QueueKind::Backup,
            QueueKind::Reserved,
        ] {
            if peer && pdown.is_none() {
                if qk == QueueKind::Active && secondary_normal(pool) {
                    continue;
                }
                if qk == QueueKind::Expired {
                    continue;
                }
            }
            queues[pool as usize][qk as usize].sort();
            let len = queues[pool as usize][qk as usize].entries.len();
            for i in 0..len {
                let e = queues[pool as usize][qk as usize].entries[i];
                let s = slots[e.slot as usize];
                if s.generation != e.generation || s.queue != qk {
                    continue;
                }
                if e.key > now {
                    break;
                }
                let Some(stored) = leases.get_mut(s.record as usize) else {
                    continue;
                };
                if stored.next() == stored.binding() {
                    continue;
                }
                // supersede_lease(lease, NULL, commit, propagate, …): out of the queue,
                // atsfp cleared, the state transition, back on a queue, written.
                let mut l = stored.lease(s.addr);
                l.atsfp = 0;
                if let Some(h) = hooks {
                    let (expiry, release) = transition_kind(&l, peer);
                    // ISC: the DNS removals first, from the variables as they are.
                    if (expiry || release) && has_ddns_names(&l) {
                        out.ddns_removals.push(l.clone());
                    }
                    if expiry || release {
                        let acts = dhcpd_core::engine::run_lease_hook(
                            &h.model,
                            &h.registry,
                            &mut l,
                            release && !expiry,
                            now,
                        );
                        for a in acts {
                            match a {
                                // ISC prints every level while it starts.
                                dhcpd_core::Action::Log(_, text) => log(&text),
                                dhcpd_core::Action::Execute { command, args } => {
                                    out.executes.push((command, args))
                                }
                                _ => {}
                            }
                        }
                    }
                }
                transition(&mut l, peer, pdown);
                expired
                    .write_all(wopts.lease(&l, now).as_bytes())
                    .map_err(RewriteError::Expired)?;
                *stored = Stored::new(l);
                let (q, key) = stored.queue_key(pdown.is_some());
                let s = &mut slots[e.slot as usize];
                s.generation += 1;
                s.queue = q;
                run += 1;
                queues[pool as usize][q as usize].push(Entry {
                    key,
                    run,
                    seq,
                    slot: e.slot,
                    generation: s.generation,
                });
                seq += 1;
            }
        }
    }

    // write_leases, in pieces.
    let mut buf = String::with_capacity(WRITE_PIECE + 4096);
    wopts.database_head(&mut buf, &state, failover.iter());
    let mut written = 0;
    for pq in &mut queues {
        for q in pq.iter_mut() {
            q.sort();
            for e in &q.entries {
                let s = &slots[e.slot as usize];
                if s.generation != e.generation {
                    continue;
                }
                let Some(l) = leases.get(s.record as usize) else {
                    continue;
                };
                if !l.worth_writing() {
                    continue;
                }
                buf.push_str(&wopts.lease(&l.lease(s.addr), now));
                written += 1;
                if buf.len() >= WRITE_PIECE {
                    new_file
                        .write_all(buf.as_bytes())
                        .map_err(RewriteError::NewFile)?;
                    buf.clear();
                }
            }
            q.entries = Vec::new();
        }
    }
    wopts.database_tail(&mut buf, &state);
    new_file
        .write_all(buf.as_bytes())
        .and_then(|()| new_file.flush())
        .map_err(RewriteError::NewFile)?;
    out.leases_written = written;

    if !layout.classes.is_empty() || !state.classes.is_empty() {
        let n = state
            .classes
            .values()
            .filter(|c| matches!(c.key, dhcpd_leases::ClassKey::Class(_)))
            .count();
        log(&format!("Wrote {n} class decls to leases file."));
    }
    if layout.has_groups || !state.groups.is_empty() {
        let n = state
            .groups
            .values()
            .filter(|g| g.dynamic || (g.is_static && g.deleted))
            .count();
        log(&format!("Wrote {n} group decls to leases file."));
    }
    if layout.has_hosts || !state.hosts.is_empty() {
        let n = state
            .hosts
            .values()
            .filter(|h| !h.dynamic && h.deleted)
            .count();
        log(&format!("Wrote {n} deleted host decls to leases file."));
        // ISC counts failed writes here, so it always says 0.
        log("Wrote 0 new dynamic host decls to leases file.");
    }
    log(&format!("Wrote {written} leases to leases file."));
    Ok(out)
}

/// ISC's `make_binding_state_transition` for a lease read from the file (the `on expiry` and
/// `on release` statements are dropped: [`rewrite`] has run them before when given
/// [`Hooks`]).
fn transition(l: &mut dhcpd_leases::Lease, peer: bool, partner_down: Option<(i64, i64)>) {
    use BindingState as B;
    let (expiry, release) = transition_kind(l, peer);
    if expiry || release {
        l.on_expiry = None;
        l.on_release = OnRelease::None;
        l.billing = None;
        l.agent_options.clear();
        l.client_hostname = None;
        l.tstp = l.ends;
    }
    let next = l.next_binding_state;
    l.binding_state = next;
    l.next_binding_state = match next {
        B::Active if peer => B::Expired,
        B::Active => B::Free,
        B::Expired | B::Released | B::Abandoned | B::Reset => {
            if let Some((stos, mclt)) = partner_down {
                l.tsfp = stos + mclt;
            }
            B::Free
        }
        B::Free | B::Backup => next,
    };
}

/// Whether the transition `make_binding_state_transition` is about to make is an expiry or a
/// release (the two whose `on` bodies ISC runs).
fn transition_kind(l: &dhcpd_leases::Lease, peer: bool) -> (bool, bool) {
    use BindingState as B;
    let (bs, next) = (l.binding_state, l.next_binding_state);
    let expiry = next != bs
        && if peer {
            matches!(bs, B::Expired | B::Active) && matches!(next, B::Free | B::Backup)
        } else {
            bs == B::Active && next != B::Released
        };
    let release = next != bs
        && if peer {
            bs == B::Released && matches!(next, B::Free | B::Backup)
        } else {
            bs == B::Active && next == B::Released
        };
    (expiry, release)
}

/// How the lease file is named and what to do with it.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// `-cf` (for the `Config file:` line).
    pub conf: &'a str,
    /// `-lf` or the default.
    pub leases: &'a str,
    /// `-pf` or the default.
    pub pid: &'a str,
    /// `-lf` was given (ISC then makes a relative path absolute).
    pub lf_given: bool,
    /// `-q`.
    pub quiet: bool,
    /// `-T`: check only (the rewrite goes to a temporary file, removed at once).
    pub test: bool,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What the start-up rewrite leaves behind for the server.
#[allow(dead_code)] // read by the server start-up (not wired yet)
#[derive(Debug)]
pub struct Started {
    /// The new lease file, open for appending (the journal's file).
    pub file: AppendFile,
    /// The path of the lease file (absolute when ISC would have made it so).
    pub path: PathBuf,
    /// The number of leases written.
    pub leases_written: usize,
    /// Leases whose DNS records the start-up expiry removes (see [`Rewrite::ddns_removals`]).
    pub ddns_removals: Vec<dhcpd_leases::Lease>,
}

/// Reads the lease file and rewrites it as ISC does at start-up (or, with `inv.test`, writes
/// the rewrite to `FILE.<time>` and removes it, as `dhcpd -T` does). Messages go to `err`.
/// `Err` carries the message of a fatal error (already partly printed).
pub fn startup(
    inv: &Invocation<'_>,
    config: &Config,
    registry: &dhcpd_wire::options::Registry,
    err: &mut impl Write,
) -> Result<Option<Started>, String> {
    let mut path = PathBuf::from(inv.leases);
    if inv.lf_given && !inv.leases.starts_with('/') {
        path = std::fs::canonicalize(inv.leases).map_err(|e| {
            format!(
                "Failed to get realpath for {}: {}",
                inv.leases,
                os_message(&e)
            )
        })?;
    }
    let shown = path.display().to_string();
    if !inv.quiet {
        let _ = writeln!(
            err,
            "Config file: {}\nDatabase file: {shown}\nPID file: {}",
            inv.conf, inv.pid
        );
    }
    let src = std::fs::File::open(&path).map_err(|e| {
        format!(
            "Can't open lease database {shown}: {} --\n  check for failed database rewrite \
             attempt!\nPlease read the dhcpd.leases manual page if you\ndon't know what to do \
             about this.",
            os_message(&e)
        )
    })?;
    let layout = Layout::from_config(config);
    let t = now();
    let hooks = Hooks {
        model: dhcpd_core::model::Model::from_config(config),
        registry: registry.clone(),
    };
    // ISC writes the whole file to FILE.<time> and removes it (-T), or appends the expired
    // leases to the old file and replaces it. Files are made when the first byte is written:
    // none when reading the lease file is fatal.
    let tmp = format!("{shown}.{t}");
    let mut test_file = Lazy::new(|| std::fs::File::create(&tmp));
    let mut new_file = Lazy::new(|| durable::NewFile::create(&path));
    let mut old_file = Lazy::new(|| AppendFile::open(&path));
    let mut ignored = std::io::sink();
    let result = {
        let mut log = |l: &str| {
            let _ = writeln!(err, "{l}");
        };
        let sinks = if inv.test {
            Sinks {
                log: &mut log,
                expired: &mut ignored,
                new_file: &mut test_file,
            }
        } else {
            Sinks {
                log: &mut log,
                expired: &mut old_file,
                new_file: &mut new_file,
            }
        };
        let src = std::io::BufReader::new(src);
        rewrite(&layout, &shown, src, t, true, Some(&hooks), sinks)
    };
    drop(hooks);
    let rw = result.map_err(|e| match e {
        RewriteError::Read(e) => format!("Can't read lease database {shown}: {}", os_message(&e)),
        RewriteError::Expired(e) => format!("Can't write {shown}: {}", os_message(&e)),
        RewriteError::NewFile(e) if inv.test => {
            format!("Can't create new lease file: {}", os_message(&e))
        }
        RewriteError::NewFile(e) => format!(
            "Can't install new lease database {shown}: {}",
            os_message(&e)
        ),
    })?;
    // ISC runs (and waits for) the `execute` commands of the expired leases' bodies; a
    // check (`-T`) does not run them here.
    if !inv.test {
        for (command, args) in &rw.executes {
            run_execute(command, args, err);
        }
    }
    if rw.fatal {
        return Err(String::new());
    }
    if inv.test {
        test_file
            .get()
            .map_err(|e| format!("Can't create new lease file: {}", os_message(&e)))?;
        drop(test_file);
        let _ = std::fs::remove_file(&tmp);
        let _ = writeln!(
            err,
            "Lease file test successful, removing temp lease file: {tmp}"
        );
        return Ok(None);
    }
    // The start-up expiry appended to the old file before the rewrite (so FILE~ has it).
    if let Some(old) = old_file.inner.as_mut() {
        old.sync()
            .map_err(|e| format!("Can't write {shown}: {}", os_message(&e)))?;
    }
    drop(old_file);
    let file = install(&path, new_file).map_err(|e| {
        format!(
            "Can't install new lease database {shown}: {}",
            os_message(&e)
        )
    })?;
    Ok(Some(Started {
        file,
        path,
        leases_written: rw.leases_written,
        ddns_removals: rw.ddns_removals,
    }))
}

/// A writer made when it is first needed (or by [`Lazy::get`]).
struct Lazy<T, F> {
    open: F,
    inner: Option<T>,
}

impl<T, F: FnMut() -> std::io::Result<T>> Lazy<T, F> {
    fn new(open: F) -> Self {
        Lazy { open, inner: None }
    }

    fn get(&mut self) -> std::io::Result<&mut T> {
        if self.inner.is_none() {
            self.inner = Some((self.open)()?);
        }
        self.inner
            .as_mut()
            .ok_or_else(|| std::io::Error::other("not opened"))
    }
}

impl<T: Write, F: FnMut() -> std::io::Result<T>> Write for Lazy<T, F> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.get()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.inner {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

/// Puts the new file written through `new_file` (created by the first write, or now for an
/// empty one) in place of `path`, the old file kept as `FILE~` (see
/// [`durable::NewFile::commit`]). Returns the new file open for appending.
fn install<F: FnMut() -> std::io::Result<durable::NewFile>>(
    path: &Path,
    mut new_file: Lazy<durable::NewFile, F>,
) -> std::io::Result<AppendFile> {
    new_file.get()?;
    let mut backup = path.as_os_str().to_owned();
    backup.push("~");
    match new_file.inner.take() {
        Some(n) => n.commit(Some(Path::new(&backup))),
        None => Err(std::io::Error::other("not written")),
    }
}

/// The hourly rewrite of a running server (ISC's `commit_leases` → `new_lease_file`): the
/// lease file as it is on disk, read record by record and rewritten with ISC's order and
/// without the start-up expiry ([`rewrite`] without `startup`), written in pieces to
/// `FILE.new`, fsynced, `FILE~` hard-linked to the old file, renamed over `FILE`, the
/// directory fsynced.
#[derive(Debug)]
pub struct Periodic {
    /// The configuration's pools and peers.
    pub layout: Layout,
    /// The lease file.
    pub path: PathBuf,
}

impl dhcpd_server::rewrite::LeaseFileRewriter for Periodic {
    fn rewrite(&mut self, now: i64) -> Result<(AppendFile, Vec<String>), String> {
        let shown = self.path.display().to_string();
        let src = std::fs::File::open(&self.path)
            .map_err(|e| format!("Can't open lease database {shown}: {}", os_message(&e)))?;
        let path = self.path.clone();
        let mut new_file = Lazy::new(|| durable::NewFile::create(&path));
        let mut lines = Vec::new();
        let result = {
            let mut log = |l: &str| lines.push(l.to_string());
            let sinks = Sinks {
                log: &mut log,
                expired: &mut std::io::sink(),
                new_file: &mut new_file,
            };
            let src = std::io::BufReader::new(src);
            rewrite(&self.layout, &shown, src, now, false, None, sinks)
        };
        let install_error = |e: std::io::Error| {
            format!(
                "Can't install new lease database {shown}: {}",
                os_message(&e)
            )
        };
        let rw = result.map_err(|e| match e {
            RewriteError::Read(e) => {
                format!("Can't read lease database {shown}: {}", os_message(&e))
            }
            RewriteError::Expired(e) | RewriteError::NewFile(e) => install_error(e),
        })?;
        if rw.fatal {
            let mut m = lines.join("\n");
            m.push_str("\nlease database not rewritten");
            return Err(m);
        }
        let file = install(&self.path, new_file).map_err(install_error)?;
        Ok((file, lines))
    }
}

/// ISC's `execute` outside the event loop: runs the command and waits for it, reporting a
/// failure in ISC's words.
fn run_execute(command: &[u8], args: &[Vec<u8>], err: &mut impl Write) {
    use std::os::unix::ffi::OsStrExt;
    let shown = String::from_utf8_lossy(command).into_owned();
    let status = std::process::Command::new(std::ffi::OsStr::from_bytes(command))
        .args(args.iter().map(|a| std::ffi::OsStr::from_bytes(a)))
        .stdin(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            let _ = writeln!(
                err,
                "execute: {shown} exit status {}",
                s.code().unwrap_or(-1)
            );
        }
        Err(e) => {
            let _ = writeln!(
                err,
                "Unable to execute {shown}: {}",
                dhcpd_sys::spawn::strerror(&e)
            );
        }
    }
}

/// `dhcpd -T`: runs [`startup`] in test mode and exits as ISC does (0 after a successful check,
/// 1 after a fatal error). Only for `-T` (`inv.test`); the server calls [`startup`] itself.
pub fn run(
    inv: &Invocation<'_>,
    config: &Config,
    registry: &dhcpd_wire::options::Registry,
    err: &mut impl Write,
) -> ExitCode {
    let fail = |err: &mut dyn Write, msg: &str| {
        if !msg.is_empty() {
            let _ = writeln!(err, "{msg}");
        }
        let _ = writeln!(err, "\nexiting.");
        ExitCode::from(1)
    };
    match startup(inv, config, registry, err) {
        Err(msg) => fail(err, &msg),
        Ok(None) => ExitCode::SUCCESS,
        // Only without `inv.test`, which `main` never asks of this function.
        Ok(Some(_)) => fail(
            err,
            "internal error: the lease file check (-T) ran as a start-up; please report it",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcpd_leases::{Billing, HardwareAddr, Lease};

    fn lease(hw: usize, uid: usize, name: Option<usize>) -> Lease {
        let mut l = Lease::new(Ipv4Addr::new(10, 1, 2, 3));
        (l.starts, l.ends, l.tstp, l.tsfp, l.atsfp, l.cltt) = (1, 2, 3, 4, 5, 6);
        l.binding_state = BindingState::Active;
        l.next_binding_state = BindingState::Free;
        l.rewind_binding_state = BindingState::Expired;
        l.reserved = true;
        l.hardware = HardwareAddr::new(6, &(0..hw as u8).collect::<Vec<_>>());
        l.uid = (100..100 + uid as u8).collect();
        l.client_hostname = name.map(|n| vec![b'h'; n]);
        l
    }

    /// A lease stored compactly or in full comes back as it went in.
    #[test]
    fn stored_leases_come_back_unchanged() {
        let addr = u32::from(Ipv4Addr::new(10, 1, 2, 3));
        let mut cases = vec![
            (lease(6, 7, Some(11)), true),
            (lease(0, 0, None), true),
            (lease(0, 0, Some(0)), true),
            (lease(16, 20, Some(16)), true),
            (lease(16, 20, Some(17)), false),
            (lease(6, 7, Some(300)), false),
        ];
        let mut l = lease(6, 7, Some(3));
        l.hardware = None;
        l.bootp = true;
        cases.push((l, true));
        let mut l = lease(6, 7, Some(3));
        l.ends = i64::from(i32::MAX) + 1;
        cases.push((l, false));
        let mut l = lease(6, 7, Some(3));
        l.billing = Some(Billing::Class("c".into()));
        cases.push((l, false));
        for (l, small) in cases {
            let s = Stored::new(l.clone());
            assert_eq!(matches!(s, Stored::Small(_)), small, "{l:?}");
            assert_eq!(s.lease(addr), l);
            assert_eq!(s.worth_writing(), dhcpd_leases::db::worth_writing(&l));
            assert_eq!(s.ends(), l.ends);
            assert_eq!(s.binding(), l.binding_state);
        }
        assert!(std::mem::size_of::<Stored>() <= 96);
        let mut l = lease(6, 7, Some(3));
        l.on_expiry = Some(dhcpd_leases::Statements { stmts: Vec::new() });
        assert!(matches!(Stored::new(l.clone()), Stored::Full(_)));
        l.on_expiry = None;
        l.on_release = OnRelease::SameAsExpiry;
        assert!(matches!(Stored::new(l), Stored::Full(_)));
    }

    use dhcpd_server::rewrite::LeaseFileRewriter;

    const CONF: &str =
        "subnet 198.51.100.0 netmask 255.255.255.0 {\n  range 198.51.100.10 198.51.100.12;\n}\n";

    fn lease_text(addr: &str, state: &str, ends: &str, mac: &str) -> String {
        format!(
            "lease {addr} {{\n  starts 4 2026/11/26 10:00:00;\n  ends {ends};\n  cltt 4 2026/11/26 10:00:00;\n  binding state {state};\n  next binding state free;\n  rewind binding state free;\n  hardware ethernet {mac};\n}}\n"
        )
    }

    #[test]
    fn periodic_rewrite_keeps_the_newest_record_of_each_lease_and_no_expiry() {
        let dir = std::env::temp_dir().join(format!("dhcpd-periodic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("dhcpd.leases");
        let out = dhcpd_conf::parse_config(
            "dhcpd.conf",
            &mut dhcpd_conf::MemLoader::single("dhcpd.conf", CONF),
            dhcpd_conf::ParseOptions::default(),
        );
        assert!(!out.has_errors());
        // A journal: the same lease committed three times, another once; the second lease
        // ended long ago but the running server has not expired it yet.
        let mut journal = String::new();
        for h in ["11", "12", "13"] {
            journal.push_str(&lease_text(
                "198.51.100.10",
                "active",
                &format!("4 2036/11/26 {h}:00:00"),
                "00:00:5e:00:53:01",
            ));
        }
        journal.push_str(&lease_text(
            "198.51.100.11",
            "active",
            "4 2026/11/26 11:00:00",
            "00:00:5e:00:53:02",
        ));
        std::fs::write(&path, &journal).expect("write");
        let mut p = Periodic {
            layout: Layout::from_config(&out.config),
            path: path.clone(),
        };
        let now = 1_900_000_000; // 2030, after the second lease's end
        let (mut file, log) = p.rewrite(now).expect("rewrite");
        assert_eq!(log, vec!["Wrote 2 leases to leases file.".to_string()]);
        let new = std::fs::read_to_string(&path).expect("new");
        assert_eq!(new.matches("lease 198.51.100.10 {").count(), 1);
        assert!(new.contains("2036/11/26 13:00:00;"), "{new}");
        assert!(!new.contains("2036/11/26 11:00:00"));
        // Not expired by the rewrite: that is the engine's job (and journal's record).
        let l11 = &new[new.find("lease 198.51.100.11 {").expect("kept")..];
        assert!(l11.contains("binding state active;"), "{l11}");
        assert!(new.starts_with("# The format of this file is documented"));
        assert_eq!(
            std::fs::read_to_string(dir.join("dhcpd.leases~")).expect("backup"),
            journal
        );
        // The returned file appends to the new one.
        file.append(b"# appended\n").expect("append");
        file.sync().expect("sync");
        let after = std::fs::read_to_string(&path).expect("after");
        assert_eq!(after, format!("{new}# appended\n"));
        // And the start-up rewrite of the same file does expire the old lease.
        let start = in_memory(&p.layout, journal.as_bytes(), now, true, None);
        let l11 = &start.contents[start.contents.find("lease 198.51.100.11 {").expect("kept")..];
        assert!(l11.contains("binding state free;"), "{l11}");
        assert!(start.expired.contains("lease 198.51.100.11 {"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// What [`rewrite`] made, gathered in memory.
    struct Made {
        rw: Rewrite,
        log: Vec<String>,
        expired: String,
        contents: String,
    }

    fn in_memory(
        layout: &Layout,
        src: &[u8],
        now: i64,
        startup: bool,
        hooks: Option<&Hooks>,
    ) -> Made {
        let (mut log, mut expired, mut contents) = (Vec::new(), Vec::new(), Vec::new());
        let rw = rewrite(
            layout,
            "dhcpd.leases",
            src,
            now,
            startup,
            hooks,
            Sinks {
                log: &mut |l: &str| log.push(l.to_string()),
                expired: &mut expired,
                new_file: &mut contents,
            },
        )
        .expect("in memory");
        Made {
            rw,
            log,
            expired: String::from_utf8(expired).expect("utf-8"),
            contents: String::from_utf8(contents).expect("utf-8"),
        }
    }

    const HOOK_LEASE: &str = "lease 198.51.100.10 {\n  starts 4 2020/11/26 10:00:00;\n  \
        ends 4 2020/11/26 11:00:00;\n  cltt 4 2020/11/26 10:00:00;\n  binding state active;\n  \
        next binding state free;\n  rewind binding state free;\n  \
        hardware ethernet 00:00:5e:00:53:01;\n  set kept = \"k\";\n  on expiry {\n    \
        set lapsed = concat (\"gone-\", binary-to-ascii (10, 8, \".\", leased-address));\n    \
        unset kept;\n    \
        log (info, concat (\"hook expired \", binary-to-ascii (10, 8, \".\", leased-address)));\n    \
        execute (\"/bin/echo\", binary-to-ascii (10, 8, \".\", leased-address));\n  }\n}\n\
        lease 198.51.100.11 {\n  starts 4 2020/11/26 10:00:00;\n  ends 4 2020/11/26 11:00:00;\n  \
        cltt 4 2020/11/26 10:00:00;\n  binding state active;\n  next binding state free;\n  \
        hardware ethernet 00:00:5e:00:53:02;\n}\n";

    /// The start-up expiry runs an expired lease's `on expiry` body (kept in full while the
    /// file is read): `set`/`unset` reach the lease written to the old and the new file, the
    /// `log` line comes out before the `Wrote` lines, `execute` is handed back. Without hooks
    /// or on a running server's rewrite, nothing runs.
    #[test]
    fn startup_expiry_runs_on_expiry_bodies_of_streamed_leases() {
        let out = dhcpd_conf::parse_config(
            "dhcpd.conf",
            &mut dhcpd_conf::MemLoader::single("dhcpd.conf", CONF),
            dhcpd_conf::ParseOptions::default(),
        );
        assert!(!out.has_errors());
        let layout = Layout::from_config(&out.config);
        let hooks = Hooks {
            model: dhcpd_core::model::Model::from_config(&out.config),
            registry: out.registry.clone(),
        };
        let now = 1_900_000_000;
        let m = in_memory(&layout, HOOK_LEASE.as_bytes(), now, true, Some(&hooks));
        let hook = m
            .log
            .iter()
            .position(|l| l == "hook expired 198.51.100.10")
            .expect("log line");
        let wrote = m
            .log
            .iter()
            .position(|l| l == "Wrote 2 leases to leases file.")
            .expect("wrote");
        assert!(hook < wrote, "{:?}", m.log);
        assert_eq!(
            m.rw.executes,
            vec![(b"/bin/echo".to_vec(), vec![b"198.51.100.10".to_vec()])]
        );
        for text in [&m.expired, &m.contents] {
            let l10 = &text[text.find("lease 198.51.100.10 {").expect("written")..];
            let l10 = &l10[..l10.find("}\n").expect("end")];
            assert!(l10.contains("binding state free;"), "{l10}");
            assert!(
                l10.contains("set lapsed = \"gone-198.51.100.10\";"),
                "{l10}"
            );
            assert!(!l10.contains("set kept"), "{l10}");
            assert!(!l10.contains("on expiry"), "{l10}");
        }
        // Without hooks the body is dropped unrun; the lease still expires.
        let m = in_memory(&layout, HOOK_LEASE.as_bytes(), now, true, None);
        assert!(m.rw.executes.is_empty());
        assert!(!m.log.iter().any(|l| l.starts_with("hook")));
        assert!(!m.contents.contains("set lapsed = \"gone"));
        assert!(m.contents.contains("set kept = \"k\";"));
        // A running server's rewrite expires nothing and runs nothing, even with hooks.
        let m = in_memory(&layout, HOOK_LEASE.as_bytes(), now, false, Some(&hooks));
        assert!(m.rw.executes.is_empty() && m.expired.is_empty());
        assert!(m.contents.contains("on expiry"), "{}", m.contents);
        assert!(!m.contents.contains("set lapsed = \"gone"));
        assert!(!m.log.iter().any(|l| l.starts_with("hook")));
    }
    fn failover_layout(state_block: &str) -> Layout {
        let text = format!(
            "failover peer \"fo\" {{ primary; address 198.51.100.2; peer address 198.51.100.3; \
             mclt 30; split 128; }}\n{state_block}\n\
             subnet 198.51.100.0 netmask 255.255.255.0 {{ pool {{ failover peer \"fo\"; \
             range 198.51.100.100 198.51.100.101; }} }}\n"
        );
        let mut l = dhcpd_conf::MemLoader::single("t.conf", &text);
        let out = dhcpd_conf::parse_config("t.conf", &mut l, dhcpd_conf::ParseOptions::default());
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        Layout::from_config(&out.config)
    }

    #[test]
    fn a_conf_state_block_is_the_state_written_when_the_file_has_none() {
        const NOW: i64 = 1_800_000_000;
        let l = failover_layout(
            "failover peer \"fo\" state { my state partner-down at 4 2026/11/26 10:00:00; \
             partner state communications-interrupted at 4 2026/11/26 09:00:00; }",
        );
        let rw = in_memory(&l, b"", NOW, true, None);
        assert!(
            rw.contents
                .contains("  my state partner-down at 4 2026/11/26 10:00:00;\n  partner state communications-interrupted at 4 2026/11/26 09:00:00;"),
            "{}",
            rw.contents
        );
        // A record in the file wins.
        let file = "failover peer \"fo\" state {\n  my state normal at 4 2026/11/26 11:00:00;\n  \
                    partner state normal at 4 2026/11/26 11:00:00;\n}\n";
        let rw = in_memory(&l, file.as_bytes(), NOW, true, None);
        assert!(
            rw.contents
                .contains("my state normal at 4 2026/11/26 11:00:00;"),
            "{}",
            rw.contents
        );
        assert!(!rw.contents.contains("partner-down"), "{}", rw.contents);
        // Without a block: ISC's initial RECOVER, since now.
        let rw = in_memory(&failover_layout(""), b"", NOW, true, None);
        assert!(
            rw.contents.contains("  my state recover at "),
            "{}",
            rw.contents
        );
    }
}
