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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dhcpd_conf::ast::{self, Config, Permit, Stmt};
use dhcpd_leases::{
    BindingState, FailoverRole, FailoverState, FailoverStateName, LeaseIdFormat, LoadOptions,
    OnRelease, Record, State, WriteOptions, parse_file,
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
    /// Index of the record in the file holding this lease (`u32::MAX`: none, a fresh free
    /// lease).
    record: u32,
    /// When it was (last) added to the address hash table.
    stamp: u64,
    /// Its queue and sort time, and a generation number for lazy removal.
    queue: QueueKind,
    key: i64,
    generation: u32,
}

/// One pool queue: groups of equal sort time; inside a group, runs of leases, the newest run
/// first (ISC's insertion sort puts a lease before every lease with the same sort time, unless
/// it directly follows the previous insertion into the same queue).
#[derive(Debug, Default)]
struct Queue {
    groups: BTreeMap<i64, Vec<Vec<(u32, u32)>>>,
}

impl Queue {
    /// The entries (slot, generation) in queue order.
    fn ordered(&self) -> impl Iterator<Item = (i64, u32, u32)> + '_ {
        self.groups.iter().flat_map(|(k, runs)| {
            runs.iter()
                .rev()
                .flat_map(move |run| run.iter().map(move |&(s, g)| (*k, s, g)))
        })
    }
}

/// Who wrote the file, for its header line (ISC writes `isc-dhcp-4.4.3-P1` there).
pub const WRITER: &str = concat!("dhcpd-rs-", env!("CARGO_PKG_VERSION"));

/// The result of the start-up processing of a lease file.
#[derive(Debug, Default)]
pub struct Rewrite {
    /// Messages ISC prints while reading and rewriting, in its order.
    pub log: Vec<String>,
    /// ISC would have exited (fatal error while reading).
    pub fatal: bool,
    /// Lease records appended to the old file by the start-up expiry (before the rewrite).
    pub expired: String,
    /// The complete new file.
    pub contents: String,
    /// Number of leases written.
    pub leases_written: usize,
}

fn queue_for(l: &dhcpd_leases::Lease) -> QueueKind {
    match l.binding_state {
        BindingState::Free if l.reserved => QueueKind::Reserved,
        BindingState::Free => QueueKind::Free,
        BindingState::Active => QueueKind::Active,
        BindingState::Expired | BindingState::Released | BindingState::Reset => QueueKind::Expired,
        BindingState::Abandoned => QueueKind::Abandoned,
        BindingState::Backup if l.reserved => QueueKind::Reserved,
        BindingState::Backup => QueueKind::Backup,
    }
}

/// Everything ISC does with the lease file between reading the configuration and serving,
/// without touching a file: `src` is the lease file's contents, `name` its name for messages,
/// `now` the time. Sans-IO; [`startup`] and [`check`] do the file work.
///
/// The file's bytes are taken by value and freed as soon as they are read: the records own
/// their data, and the new file need not coexist with the old one in memory.
pub fn rewrite(layout: &Layout, name: &str, src: Vec<u8>, now: i64) -> Rewrite {
    let mut out = Rewrite::default();
    let opts = layout.load_options(now);
    let parsed = parse_file(name, &src, &opts);
    let src_len = src.len();
    drop(src);
    let mut records = parsed.records;
    records.shrink_to_fit();

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
                record: u32::MAX,
                stamp: r.stamp + u64::from(a - r.lo),
                queue: QueueKind::Free,
                key: 0,
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

    // Read the records in order: enter_lease for leases, the rest into a state.
    let mut state = State::default();
    let mut diag_next = 0;
    let mut stamp = stamp_max;
    for (i, r) in records.iter().enumerate() {
        let mark = parsed.diag_marks.get(i).copied().unwrap_or(0);
        while diag_next < mark.min(parsed.diagnostics.len()) {
            out.log.push(parsed.diagnostics[diag_next].to_string());
            diag_next += 1;
        }
        match r {
            Record::Lease(l) => match slot_of(u32::from(l.addr)) {
                Some(s) => {
                    slots[s].record = i as u32;
                    slots[s].stamp = stamp;
                    stamp += 1;
                }
                None => out.log.push(format!("lease {}: no subnet.", l.addr)),
            },
            Record::Ia(_) | Record::ServerDuid(_) => {}
            other => state.apply(other),
        }
    }
    for d in &parsed.diagnostics[diag_next..] {
        out.log.push(d.to_string());
    }
    if parsed.fatal {
        out.fatal = true;
        return out;
    }

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

    // A fresh free lease for slots the file did not name.
    let mut fresh = dhcpd_leases::Lease::new(Ipv4Addr::UNSPECIFIED);

    // lease_instantiate over the hash table, in bucket order (newest first in a bucket).
    let mut order: Vec<u32> = (0..slots.len() as u32).collect();
    order.sort_unstable_by_key(|&i| {
        let s = &slots[i as usize];
        (s.addr % LEASE_HASH_SIZE, std::cmp::Reverse(s.stamp))
    });
    let mut queues: Vec<[Queue; 6]> = (0..layout.pools.len())
        .map(|_| Default::default())
        .collect();
    let mut last: Option<(u32, QueueKind, i64)> = None;
    for &si in &order {
        let s = slots[si as usize];
        let pool = s.pool;
        let (q, key) = {
            let l = match records.get_mut(s.record as usize) {
                Some(Record::Lease(l)) => l,
                _ => &mut fresh,
            };
            if l.binding_state == BindingState::Backup && !has_peer(pool) {
                l.binding_state = BindingState::Free;
                l.next_binding_state = BindingState::Free;
                l.rewind_binding_state = BindingState::Free;
            }
            // The billing survives only on leases that are or were in use.
            if !matches!(
                l.binding_state,
                BindingState::Active
                    | BindingState::Expired
                    | BindingState::Released
                    | BindingState::Reset
            ) {
                l.billing = None;
            }
            let q = queue_for(l);
            let key = match (q, partner_down(pool)) {
                (QueueKind::Expired, Some(_)) => l.tsfp.max(l.ends),
                _ => l.ends,
            };
            (q, key)
        };
        let runs = queues[pool as usize][q as usize]
            .groups
            .entry(key)
            .or_default();
        match (last, runs.last_mut()) {
            (Some((lp, lq, lk)), Some(run)) if lp == pool && lq == q && lk == key => {
                run.push((si, 0));
            }
            _ => runs.push(vec![(si, 0)]),
        }
        last = Some((pool, q, key));
        let s = &mut slots[si as usize];
        s.queue = q;
        s.key = key;
    }

    // pool_timer on every pool: move what has reached its time.
    let wopts = WriteOptions {
        lease_id_format: layout.lease_id_format,
        version: WRITER.to_string(),
        class_statements: layout.authoritative,
        ..WriteOptions::default()
    };
    for pool in 0..layout.pools.len() as u32 {
        let peer = has_peer(pool);
        for qk in [
            QueueKind::Free,
            QueueKind::Active,
            QueueKind::Expired,
            QueueKind::Abandoned,
            QueueKind::Backup,
            QueueKind::Reserved,
        ] {
            if peer && partner_down(pool).is_none() {
                if qk == QueueKind::Active && secondary_normal(pool) {
                    continue;
                }
                if qk == QueueKind::Expired {
                    continue;
                }
            }
            let entries: Vec<(i64, u32, u32)> =
                queues[pool as usize][qk as usize].ordered().collect();
            for (key, si, generation) in entries {
                let s = slots[si as usize];
                if s.generation != generation || s.queue != qk {
                    continue;
                }
                if key > now {
                    break;
                }
                let Some(Record::Lease(l)) = records.get_mut(s.record as usize) else {
                    continue;
                };
                if l.next_binding_state == l.binding_state {
                    continue;
                }
                // supersede_lease(lease, NULL, commit, propagate, …): out of the queue,
                // atsfp cleared, the state transition, back on a queue, written.
                l.atsfp = 0;
                transition(l, peer, partner_down(pool));
                let q = queue_for(l);
                let key = match (q, partner_down(pool)) {
                    (QueueKind::Expired, Some(_)) => l.tsfp.max(l.ends),
                    _ => l.ends,
                };
                out.expired.push_str(&wopts.lease(l, now));
                let s = &mut slots[si as usize];
                s.generation += 1;
                s.queue = q;
                s.key = key;
                let g = s.generation;
                queues[pool as usize][q as usize]
                    .groups
                    .entry(key)
                    .or_default()
                    .push(vec![(si, g)]);
            }
        }
    }

    // write_leases.
    let mut leases = Vec::new();
    for pq in &queues {
        for q in pq {
            for (_, si, generation) in q.ordered() {
                let s = &slots[si as usize];
                if s.generation != generation {
                    continue;
                }
                if let Some(Record::Lease(l)) = records.get(s.record as usize) {
                    leases.push(l);
                }
            }
        }
    }
    let written = leases
        .iter()
        .filter(|l| dhcpd_leases::db::worth_writing(l))
        .count();
    // Made large enough at once (a rewrite is about as long as the file it replaces): grown by
    // doubling, the copies would leave the heap fragmented and the process larger.
    let mut contents = String::with_capacity(src_len + src_len / 8 + 4096);
    wopts.database_into(
        &mut contents,
        &state,
        now,
        failover.iter(),
        leases.iter().copied(),
    );
    out.contents = contents;
    out.leases_written = written;

    if !layout.classes.is_empty() || !state.classes.is_empty() {
        let n = state
            .classes
            .values()
            .filter(|c| matches!(c.key, dhcpd_leases::ClassKey::Class(_)))
            .count();
        out.log
            .push(format!("Wrote {n} class decls to leases file."));
    }
    if layout.has_groups || !state.groups.is_empty() {
        let n = state
            .groups
            .values()
            .filter(|g| g.dynamic || (g.is_static && g.deleted))
            .count();
        out.log
            .push(format!("Wrote {n} group decls to leases file."));
    }
    if layout.has_hosts || !state.hosts.is_empty() {
        let n = state
            .hosts
            .values()
            .filter(|h| !h.dynamic && h.deleted)
            .count();
        out.log
            .push(format!("Wrote {n} deleted host decls to leases file."));
        // ISC counts failed writes here, so it always says 0.
        out.log
            .push("Wrote 0 new dynamic host decls to leases file.".to_string());
    }
    out.log
        .push(format!("Wrote {written} leases to leases file."));
    records.clear();
    out
}

/// ISC's `make_binding_state_transition` for a lease read from the file (the `on expiry` and
/// `on release` statements are dropped, not run: see docs/compatibility.md).
fn transition(l: &mut dhcpd_leases::Lease, peer: bool, partner_down: Option<(i64, i64)>) {
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
    if expiry || release {
        l.on_expiry = None;
        l.on_release = OnRelease::None;
        l.billing = None;
        l.agent_options.clear();
        l.client_hostname = None;
        l.tstp = l.ends;
    }
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
}

/// Reads the lease file and rewrites it as ISC does at start-up (or, with `inv.test`, writes
/// the rewrite to `FILE.<time>` and removes it, as `dhcpd -T` does). Messages go to `err`.
/// `Err` carries the message of a fatal error (already partly printed).
pub fn startup(
    inv: &Invocation<'_>,
    config: &Config,
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
    let src = std::fs::read(&path).map_err(|e| {
        format!(
            "Can't open lease database {shown}: {} --\n  check for failed database rewrite \
             attempt!\nPlease read the dhcpd.leases manual page if you\ndon't know what to do \
             about this.",
            os_message(&e)
        )
    })?;
    let layout = Layout::from_config(config);
    let t = now();
    let rw = rewrite(&layout, &shown, src, t);
    for l in &rw.log {
        let _ = writeln!(err, "{l}");
    }
    if rw.fatal {
        return Err(String::new());
    }
    if inv.test {
        // ISC writes the whole file to FILE.<time>, then removes it.
        let tmp = format!("{shown}.{t}");
        std::fs::write(&tmp, rw.contents.as_bytes())
            .map_err(|e| format!("Can't create new lease file: {}", os_message(&e)))?;
        let _ = std::fs::remove_file(&tmp);
        let _ = writeln!(
            err,
            "Lease file test successful, removing temp lease file: {tmp}"
        );
        return Ok(None);
    }
    // The start-up expiry appends to the old file before the rewrite (so FILE~ has it).
    if !rw.expired.is_empty() {
        let mut old = AppendFile::open(&path)
            .map_err(|e| format!("Can't open {shown} for append: {}", os_message(&e)))?;
        old.append(rw.expired.as_bytes())
            .and_then(|()| old.sync())
            .map_err(|e| format!("Can't write {shown}: {}", os_message(&e)))?;
    }
    let mut backup = path.as_os_str().to_owned();
    backup.push("~");
    let file =
        durable::replace(&path, rw.contents.as_bytes(), Some(Path::new(&backup))).map_err(|e| {
            format!(
                "Can't install new lease database {shown}: {}",
                os_message(&e)
            )
        })?;
    Ok(Some(Started {
        file,
        path,
        leases_written: rw.leases_written,
    }))
}

/// `dhcpd -T`: runs [`startup`] in test mode and exits as ISC does (0 after a successful check,
/// 1 after a fatal error). Without `test` (a caller that does not serve) it rewrites the file
/// and exits 1 saying serving is not available; the server itself calls [`startup`].
pub fn run(inv: &Invocation<'_>, config: &Config, err: &mut impl Write) -> ExitCode {
    let fail = |err: &mut dyn Write, msg: &str| {
        if !msg.is_empty() {
            let _ = writeln!(err, "{msg}");
        }
        let _ = writeln!(err, "\nexiting.");
        ExitCode::from(1)
    };
    match startup(inv, config, err) {
        Err(msg) => fail(err, &msg),
        Ok(None) => ExitCode::SUCCESS,
        Ok(Some(started)) => {
            drop(started);
            fail(
                err,
                "The lease file was read and rewritten; serving DHCP is not implemented yet \
                 in this version of dhcpd-rs. See docs/compatibility.md.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcpd_conf::{MemLoader, ParseOptions, parse_config};

    fn layout(state_block: &str) -> Layout {
        let text = format!(
            "failover peer \"fo\" {{ primary; address 198.51.100.2; peer address 198.51.100.3; \
             mclt 30; split 128; }}\n{state_block}\n\
             subnet 198.51.100.0 netmask 255.255.255.0 {{ pool {{ failover peer \"fo\"; \
             range 198.51.100.100 198.51.100.101; }} }}\n"
        );
        let mut l = MemLoader::single("t.conf", &text);
        let out = parse_config("t.conf", &mut l, ParseOptions::default());
        assert!(!out.has_errors(), "{:?}", out.diagnostics);
        Layout::from_config(&out.config)
    }

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_conf_state_block_is_the_state_written_when_the_file_has_none() {
        let l = layout(
            "failover peer \"fo\" state { my state partner-down at 4 2026/11/26 10:00:00; \
             partner state communications-interrupted at 4 2026/11/26 09:00:00; }",
        );
        let rw = rewrite(&l, "t.leases", Vec::new(), NOW);
        assert!(
            rw.contents
                .contains("  my state partner-down at 4 2026/11/26 10:00:00;\n  partner state communications-interrupted at 4 2026/11/26 09:00:00;"),
            "{}",
            rw.contents
        );
        // A record in the file wins.
        let file = "failover peer \"fo\" state {\n  my state normal at 4 2026/11/26 11:00:00;\n  \
                    partner state normal at 4 2026/11/26 11:00:00;\n}\n";
        let rw = rewrite(&l, "t.leases", file.as_bytes().to_vec(), NOW);
        assert!(
            rw.contents
                .contains("my state normal at 4 2026/11/26 11:00:00;"),
            "{}",
            rw.contents
        );
        assert!(!rw.contents.contains("partner-down"), "{}", rw.contents);
        // Without a block: ISC's initial RECOVER, since now.
        let rw = rewrite(&layout(""), "t.leases", Vec::new(), NOW);
        assert!(
            rw.contents.contains("  my state recover at "),
            "{}",
            rw.contents
        );
    }
}
