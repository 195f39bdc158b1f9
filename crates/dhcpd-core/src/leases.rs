//! The lease table: one lease per address of every pool, found by address, by client
//! identifier and by hardware address, with each pool's free leases ordered the way ISC hands
//! them out — so a new client gets the same address from us as it would from ISC.
//!
//! ISC keeps each pool's free leases in a list sorted by `ends` (oldest first). Leases with
//! the same `ends` keep the order in which they were inserted, which ISC decides this way:
//! at start-up every lease is queued in the order of ISC's IP-address hash table (address
//! modulo 100003, ascending); a lease goes right after the previously queued one when that
//! one went to the same list with the same `ends`, otherwise in front of the leases with
//! its `ends`. While serving, a lease whose state changes goes in front of the leases with
//! its `ends`. (With one range that is simply the lowest address first; with two ranges in a
//! pool, the second range comes first.) [`LeaseTable::new`] and [`LeaseTable::load`]
//! establish the start-up order; [`LeaseTable::put`] queues like a running server.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use dhcpd_leases::db::State;
use dhcpd_leases::model::{BindingState, HardwareAddr, Lease};
use foldhash::{HashMap, HashMapExt};

use crate::model::Model;

/// A lease with where it belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The lease as it would be written to the lease file.
    pub lease: Lease,
    /// Its pool (index into `Model::pools`).
    pub pool: usize,
    /// Its subnet (index into `Model::subnets`).
    pub subnet: usize,
}

/// What ISC's `client_lease_preferred` looks at of the lease being (re)inserted in a client's
/// chain: its binding state, `cltt` and `ends` *before* the change being recorded (ISC
/// re-hashes a lease in `supersede_lease` before it copies the new times and state).
#[derive(Debug, Clone, Copy)]
struct Snap {
    state: BindingState,
    cltt: i64,
    ends: i64,
}

impl Snap {
    fn of(l: &Lease) -> Snap {
        Snap {
            state: l.binding_state,
            cltt: l.cltt,
            ends: l.ends,
        }
    }
}

/// ISC's `client_lease_preferred(cand, lease)`: whether `lease` goes before `cand`.
fn preferred(cand: &Lease, lease: Snap) -> bool {
    use BindingState::{Abandoned, Active, Expired, Released};
    match cand.binding_state {
        Active => lease.state == Active && lease.ends >= cand.ends,
        Expired | Released => {
            lease.state == Active
                || (matches!(lease.state, Expired | Released) && lease.cltt >= cand.cltt)
        }
        Abandoned => lease.state != Abandoned || lease.cltt >= cand.cltt,
        _ => {
            matches!(lease.state, Active | Expired | Released)
                || (lease.state != Abandoned && lease.cltt >= cand.cltt)
        }
    }
}

/// All leases.
#[derive(Debug, Clone, Default)]
pub struct LeaseTable {
    entries: BTreeMap<Ipv4Addr, Entry>,
    /// Leases per client identifier / hardware address, in ISC's order of preference for
    /// "resuming allocation to the client" (see [`preferred`]).
    /// (Keys the clients choose: foldhash's hasher is seeded per process.)
    by_uid: HashMap<Vec<u8>, Vec<Ipv4Addr>>,
    by_hw: HashMap<HardwareAddr, Vec<Ipv4Addr>>,
    /// Free leases per pool, by (ends, queue position, address).
    free: HashMap<usize, BTreeSet<(i64, i64, Ipv4Addr)>>,
    /// Queue position of each lease among those with the same `ends` (see the module doc).
    seq: HashMap<Ipv4Addr, i64>,
    /// The next position in front of every lease queued so far.
    front: i64,
    /// Active leases by end time (for expiry).
    active_until: BTreeSet<(i64, Ipv4Addr)>,
    /// Abandoned leases per pool, by (ends, address): reclaimed when a pool has no free one.
    abandoned: HashMap<usize, BTreeSet<(i64, Ipv4Addr)>>,
}

/// What loading a lease file found that the configuration does not cover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Leases whose address is in no pool of the configuration (ISC: `lease A: no subnet.`
    /// for addresses outside every subnet; outside every pool they are dropped too).
    pub dropped: Vec<Ipv4Addr>,
}

impl LeaseTable {
    /// A free lease for every address of every pool (the first pool that declares an address
    /// owns it).
    pub fn new(model: &Model) -> LeaseTable {
        let mut t = LeaseTable::default();
        for (addr, pool) in model.pool_addresses() {
            if t.entries.contains_key(&addr) {
                continue;
            }
            let Some(subnet) = model.subnet_for(addr) else {
                continue;
            };
            t.insert(Entry {
                lease: Lease::new(addr),
                pool,
                subnet,
            });
        }
        t.startup_order();
        t
    }

    /// ISC's start-up queueing (`lease_instantiate` over the address hash, with the
    /// insertion shortcut it uses while starting): assigns every free lease its position.
    fn startup_order(&mut self) {
        /// ISC's `LEASE_HASH_SIZE`: the address hash is walked bucket by bucket.
        const HASH: u32 = 100_003;
        let mut order: Vec<(u32, Ipv4Addr)> = self
            .entries
            .keys()
            .map(|a| (u32::from(*a) % HASH, *a))
            .collect();
        order.sort_unstable();
        // Runs: a new run starts in front of the older ones; a run grows at its end.
        let mut run: i64 = 0;
        let mut idx: i64 = 0;
        let mut last: Option<(usize, i64)> = None;
        let mut seq = HashMap::with_capacity(order.len());
        for (_, a) in order {
            let Some(e) = self.entries.get(&a) else {
                continue;
            };
            if !matches!(
                e.lease.binding_state,
                BindingState::Free | BindingState::Backup
            ) {
                // Queued elsewhere (active, abandoned …): the next free lease starts a run.
                last = None;
                continue;
            }
            let key = (e.pool, e.lease.ends);
            if last == Some(key) {
                idx += 1;
            } else {
                run += 1;
                idx = 0;
            }
            last = Some(key);
            seq.insert(a, -run * (1 << 32) + idx);
        }
        self.front = -(run + 1) * (1 << 32);
        self.seq = seq;
        let entries: Vec<Entry> = self.entries.values().cloned().collect();
        self.free.clear();
        for e in &entries {
            self.index(e);
        }
        // Client chains as ISC builds them at start-up: leases in address-hash order, each
        // inserted by its own state and times.
        self.by_uid.clear();
        self.by_hw.clear();
        let mut walk: Vec<&Entry> = entries.iter().collect();
        walk.sort_by_key(|e| (u32::from(e.lease.addr) % HASH, e.lease.addr));
        for e in walk {
            self.index_chains(e.lease.addr, Snap::of(&e.lease));
        }
    }

    /// Applies what the lease file says, as ISC does at start-up.
    pub fn load(&mut self, state: &State) -> LoadReport {
        let mut report = LoadReport::default();
        for (addr, lease) in &state.leases {
            match self.entries.get(addr) {
                Some(e) => {
                    let (pool, subnet) = (e.pool, e.subnet);
                    self.put(Entry {
                        lease: lease.clone(),
                        pool,
                        subnet,
                    });
                }
                None => report.dropped.push(*addr),
            }
        }
        self.startup_order();
        report
    }

    /// Takes a lease out of every index. A client chain left empty is dropped, unless
    /// `next` (the lease about to replace this one) goes back into it.
    fn unindex(&mut self, e: &Entry, next: Option<&Lease>) {
        let a = e.lease.addr;
        if !e.lease.uid.is_empty() {
            if let Some(s) = self.by_uid.get_mut(&e.lease.uid) {
                s.retain(|x| *x != a);
                if s.is_empty() && next.is_none_or(|n| n.uid != e.lease.uid) {
                    self.by_uid.remove(&e.lease.uid);
                }
            }
        }
        if let Some(k) = &e.lease.hardware {
            if let Some(s) = self.by_hw.get_mut(k) {
                s.retain(|x| *x != a);
                if s.is_empty() && next.is_none_or(|n| n.hardware.as_ref() != Some(k)) {
                    self.by_hw.remove(k);
                }
            }
        }
        if let Some(f) = self.free.get_mut(&e.pool) {
            let seq = self.seq.get(&a).copied().unwrap_or(0);
            f.remove(&(e.lease.ends, seq, a));
        }
        self.active_until.remove(&(e.lease.ends, a));
        if let Some(s) = self.abandoned.get_mut(&e.pool) {
            s.remove(&(e.lease.ends, a));
        }
    }

    /// Inserts `a` into a client chain before the first lease it is preferred to.
    fn chain_insert(
        entries: &BTreeMap<Ipv4Addr, Entry>,
        chain: &mut Vec<Ipv4Addr>,
        a: Ipv4Addr,
        snap: Snap,
    ) {
        let pos = chain
            .iter()
            .position(|c| entries.get(c).is_some_and(|ce| preferred(&ce.lease, snap)))
            .unwrap_or(chain.len());
        chain.insert(pos, a);
    }

    /// Puts the lease at `a` (already in `entries`) into its client chains.
    fn index_chains(&mut self, a: Ipv4Addr, snap: Snap) {
        let Some(e) = self.entries.get(&a) else {
            return;
        };
        if !e.lease.uid.is_empty() {
            match self.by_uid.get_mut(&e.lease.uid) {
                Some(chain) => Self::chain_insert(&self.entries, chain, a, snap),
                None => {
                    self.by_uid.insert(e.lease.uid.clone(), vec![a]);
                }
            }
        }
        if let Some(k) = e.lease.hardware {
            let chain = self.by_hw.entry(k).or_default();
            Self::chain_insert(&self.entries, chain, a, snap);
        }
    }

    fn index(&mut self, e: &Entry) {
        let a = e.lease.addr;
        match e.lease.binding_state {
            // A reserved lease goes to ISC's `reserved` queue: never handed out.
            BindingState::Free | BindingState::Backup if !e.lease.reserved => {
                let seq = self.seq.get(&a).copied().unwrap_or(0);
                self.free
                    .entry(e.pool)
                    .or_default()
                    .insert((e.lease.ends, seq, a));
            }
            BindingState::Active => {
                self.active_until.insert((e.lease.ends, a));
            }
            BindingState::Abandoned => {
                self.abandoned
                    .entry(e.pool)
                    .or_default()
                    .insert((e.lease.ends, a));
            }
            _ => {}
        }
    }

    fn insert(&mut self, e: Entry) {
        self.index(&e);
        self.entries.insert(e.lease.addr, e);
    }

    /// Inserts and chains a lease, `snap` being what ISC compares when it re-hashes it.
    fn insert_chained(&mut self, e: Entry, snap: Snap) {
        self.index(&e);
        let a = e.lease.addr;
        self.entries.insert(a, e);
        self.index_chains(a, snap);
    }

    /// Replaces the lease at its address (keeping its pool and subnet), re-indexing it.
    pub fn put(&mut self, e: Entry) {
        let snap = match self.entries.remove(&e.lease.addr) {
            Some(old) => {
                self.unindex(&old, Some(&e.lease));
                Snap::of(&old.lease)
            }
            None => Snap::of(&e.lease),
        };
        // Requeued while serving: in front of the leases with the same `ends`.
        self.front -= 1;
        self.seq.insert(e.lease.addr, self.front);
        self.insert_chained(e, snap);
    }

    /// Records a change that ISC makes without re-hashing the lease (`supersede_lease`
    /// with no new lease: release, expiry): its place in its client's chains is kept. The
    /// client identifier and hardware address must be unchanged.
    pub fn update(&mut self, e: Entry) {
        let a = e.lease.addr;
        let Some(old) = self.entries.remove(&a) else {
            self.put(e);
            return;
        };
        if old.lease.uid != e.lease.uid || old.lease.hardware != e.lease.hardware {
            self.entries.insert(a, old);
            self.put(e);
            return;
        }
        if let Some(f) = self.free.get_mut(&old.pool) {
            let seq = self.seq.get(&a).copied().unwrap_or(0);
            f.remove(&(old.lease.ends, seq, a));
        }
        self.active_until.remove(&(old.lease.ends, a));
        if let Some(s) = self.abandoned.get_mut(&old.pool) {
            s.remove(&(old.lease.ends, a));
        }
        self.front -= 1;
        self.seq.insert(a, self.front);
        self.index(&e);
        self.entries.insert(a, e);
    }

    /// Replaces the variables of the lease at `a` in place (ISC sets a scope variable
    /// without requeueing the lease). `false`: no lease there.
    pub fn set_bindings(
        &mut self,
        a: Ipv4Addr,
        bindings: Vec<dhcpd_leases::model::Binding>,
    ) -> bool {
        match self.entries.get_mut(&a) {
            Some(e) => {
                e.lease.bindings = bindings;
                true
            }
            None => false,
        }
    }

    /// The lease at an address.
    pub fn get(&self, a: Ipv4Addr) -> Option<&Entry> {
        self.entries.get(&a)
    }

    /// Every lease, by address.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> + '_ {
        self.entries.values()
    }

    /// Leases with this client identifier, in ISC's order of preference.
    pub fn by_uid(&self, uid: &[u8]) -> impl Iterator<Item = &Entry> + '_ {
        self.by_uid
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|a| self.entries.get(a))
    }

    /// Leases with this hardware address (type byte then address), in ISC's order of
    /// preference.
    pub fn by_hw(&self, key: &[u8]) -> impl Iterator<Item = &Entry> + '_ {
        let hw = key
            .split_first()
            .and_then(|(&htype, addr)| HardwareAddr::new(htype, addr));
        hw.and_then(|hw| self.by_hw.get(&hw))
            .into_iter()
            .flatten()
            .filter_map(|a| self.entries.get(a))
    }

    /// Leases with this hardware address, in ISC's order of preference.
    pub fn by_hardware(&self, hw: &HardwareAddr) -> impl Iterator<Item = &Entry> + '_ {
        self.by_hw
            .get(hw)
            .into_iter()
            .flatten()
            .filter_map(|a| self.entries.get(a))
    }

    /// The free leases of a pool in ISC's order of handing them out.
    pub fn free_in(&self, pool: usize) -> impl Iterator<Item = &Entry> + '_ {
        self.free
            .get(&pool)
            .into_iter()
            .flatten()
            .filter_map(|(_, _, a)| self.entries.get(a))
    }

    /// The abandoned leases of a pool, abandoned the longest first.
    pub fn abandoned_in(&self, pool: usize) -> impl Iterator<Item = &Entry> + '_ {
        self.abandoned
            .get(&pool)
            .into_iter()
            .flatten()
            .filter_map(|(_, a)| self.entries.get(a))
    }

    /// The earliest end time of an active lease.
    pub fn next_expiry(&self) -> Option<i64> {
        self.active_until.first().map(|(t, _)| *t)
    }

    /// Active leases by end time, soonest first.
    pub fn by_end(&self) -> impl Iterator<Item = (i64, Ipv4Addr)> + '_ {
        self.active_until.iter().copied()
    }

    /// Active leases that have ended by `now`.
    pub fn expired(&self, now: i64) -> Vec<Ipv4Addr> {
        self.active_until
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, a)| *a)
            .collect()
    }

    /// How many leases are in each binding state (for logs and tests).
    pub fn count(&self, state: BindingState) -> usize {
        self.entries
            .values()
            .filter(|e| e.lease.binding_state == state)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcpd_conf::{MemLoader, ParseOptions, parse_config};
    use dhcpd_leases::model::HardwareAddr;

    fn table() -> (Model, LeaseTable) {
        let mut l = MemLoader::single(
            "t.conf",
            "subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.10 198.51.100.14; }\n",
        );
        let out = parse_config("t.conf", &mut l, ParseOptions::default());
        let m = Model::from_config(&out.config);
        let t = LeaseTable::new(&m);
        (m, t)
    }

    #[test]
    fn free_order_is_oldest_end_then_lowest_address() {
        let (_m, mut t) = table();
        let order: Vec<_> = t.free_in(0).map(|e| e.lease.addr.octets()[3]).collect();
        assert_eq!(order, vec![10, 11, 12, 13, 14]);
        let mut e = t
            .get("198.51.100.10".parse().expect("ip"))
            .expect("lease")
            .clone();
        e.lease.ends = 1000;
        t.put(e);
        let order: Vec<_> = t.free_in(0).map(|e| e.lease.addr.octets()[3]).collect();
        assert_eq!(
            order,
            vec![11, 12, 13, 14, 10],
            "a lease freed later goes last"
        );
    }

    fn order_of(conf: &str, pool: usize) -> Vec<u8> {
        let mut l = MemLoader::single("t.conf", conf);
        let out = parse_config("t.conf", &mut l, ParseOptions::default());
        let t = LeaseTable::new(&Model::from_config(&out.config));
        t.free_in(pool).map(|e| e.lease.addr.octets()[3]).collect()
    }

    #[test]
    fn start_up_order_follows_isc_queueing() {
        // One pool, two ranges, nothing between them in ISC's hash walk: one run.
        assert_eq!(
            order_of(
                "subnet 198.51.100.0 netmask 255.255.255.0 { range 198.51.100.50 198.51.100.52; range 198.51.100.100 198.51.100.101; }\n",
                0
            ),
            vec![50, 51, 52, 100, 101]
        );
        // Another pool's addresses between the two ranges: the second run goes in front
        // (observed with ISC dhcpd 4.4.3: .100 is offered before .50).
        assert_eq!(
            order_of(
                "subnet 198.51.100.0 netmask 255.255.255.0 { pool { range 198.51.100.50 198.51.100.52; range 198.51.100.100 198.51.100.101; } pool { range 198.51.100.60 198.51.100.61; } }\n",
                0
            ),
            vec![100, 101, 50, 51, 52]
        );
    }

    #[test]
    fn client_chains_follow_isc_rehashing() {
        let (_m, mut t) = table();
        let hw = HardwareAddr::new(1, &[2, 0, 0, 0, 0, 7]).expect("short");
        let key = [1, 2, 0, 0, 0, 0, 7];
        let at = |d: u8| Ipv4Addr::new(198, 51, 100, d);
        let chain = |t: &LeaseTable| -> Vec<u8> {
            t.by_hw(&key).map(|e| e.lease.addr.octets()[3]).collect()
        };
        // An OFFER of .10 (free, the client attached, cltt 100).
        let mut e = t.get(at(10)).expect("lease").clone();
        e.lease.hardware = Some(hw);
        e.lease.cltt = 100;
        e.lease.ends = 220;
        t.put(e);
        // The client then gets .11 ACKed: ISC re-hashes it with its *previous* state (free,
        // never used), which does not beat the offered lease.
        let mut e = t.get(at(11)).expect("lease").clone();
        e.lease.hardware = Some(hw);
        e.lease.binding_state = BindingState::Active;
        e.lease.cltt = 110;
        e.lease.ends = 800;
        t.put(e);
        assert_eq!(chain(&t), vec![10, 11]);
        // A release keeps the chain as it is.
        let mut e = t.get(at(11)).expect("lease").clone();
        e.lease.binding_state = BindingState::Free;
        e.lease.ends = 120;
        t.update(e);
        assert_eq!(chain(&t), vec![10, 11]);
        // Acked again from its active state: now it goes first.
        let mut e = t.get(at(11)).expect("lease").clone();
        e.lease.binding_state = BindingState::Active;
        t.put(e.clone());
        e.lease.ends = 900;
        t.put(e);
        assert_eq!(chain(&t), vec![11, 10]);
    }

    #[test]
    fn indexes_follow_updates() {
        let (_m, mut t) = table();
        let a: Ipv4Addr = "198.51.100.12".parse().expect("ip");
        let mut e = t.get(a).expect("lease").clone();
        e.lease.binding_state = BindingState::Active;
        e.lease.ends = 500;
        e.lease.uid = vec![1, 2, 3];
        e.lease.hardware = HardwareAddr::new(1, &[2, 0, 0, 0, 0, 1]);
        t.put(e);
        assert_eq!(t.by_uid(&[1, 2, 3]).count(), 1);
        assert_eq!(t.by_hw(&[1, 2, 0, 0, 0, 0, 1]).count(), 1);
        assert_eq!(t.free_in(0).count(), 4);
        assert_eq!(t.expired(499), Vec::<Ipv4Addr>::new());
        assert_eq!(t.expired(500), vec![a]);
        let mut e = t.get(a).expect("lease").clone();
        e.lease.uid.clear();
        e.lease.binding_state = BindingState::Free;
        t.put(e);
        assert_eq!(t.by_uid(&[1, 2, 3]).count(), 0);
        assert_eq!(t.next_expiry(), None);
    }
}
