//! Lease updates from OMAPI (ISC 4.4.3's `dhcp_lease_set_value`), one value at a time:
//!
//! * `state`: out of 1..=7 → invalid argument; the lease's own state → unchanged; else the
//!   lease moves to it as ISC's `supersede_lease` with no new lease moves it (the state
//!   transition, then the lease is written).
//! * `ends`: the end is set, then the lease moves the same way — to its *next* binding
//!   state, which for an active lease is free: ISC frees an active lease whose end is set,
//!   whatever the new end (lab-tested).
//! * `flags`: only the ephemeral flags change (dhcpd-rs keeps BOOTP and reserved); an
//!   unchanged value is unchanged, else the lease moves as above (re-hashed, as ISC's
//!   `supersede_lease` with a copy does).
//! * a variable: stored in the lease's scope, the lease written; nothing moves.
//!
//! A move (ISC's `make_binding_state_transition`) out of active runs the expiry event (to
//! any state but released) or the release event (to released): DNS removals, the stored
//! `on expiry` / `on release` body, and the lease forgets its relay agent options,
//! client-hostname and billing; `tstp` becomes `ends`. `atsfp` is cleared. When the lease's
//! new sort time (its end) has passed and a further move is pending, ISC's `pool_timer`
//! makes it at once: a second record. Leases of failover pools are refused (ISC would send
//! the peer a BNDUPD; dhcpd-rs does not do that from OMAPI).

use std::net::Ipv4Addr;
use std::time::SystemTime;

use dhcpd_leases::model::{BindingState, Lease};

use super::{Server, secs};
use crate::io::{LeaseChange, LeaseError, Level};
use crate::leases::Entry;

/// ISC's flags that OMAPI may change and dhcpd-rs keeps: BOOTP (2) and reserved (4).
const KEPT_FLAGS: u8 = 2 | 4;

/// ISC's binding-state number (`FTS_*`).
fn state_of(n: u32) -> Option<BindingState> {
    Some(match n {
        1 => BindingState::Free,
        2 => BindingState::Active,
        3 => BindingState::Expired,
        4 => BindingState::Released,
        5 => BindingState::Abandoned,
        6 => BindingState::Reset,
        7 => BindingState::Backup,
        _ => return None,
    })
}

fn flags_of(l: &Lease) -> u8 {
    (if l.bootp { 2 } else { 0 }) | (if l.reserved { 4 } else { 0 })
}

impl Server {
    /// [`crate::Engine::lease_update`].
    pub(super) fn omapi_lease_update(
        &mut self,
        addr: Ipv4Addr,
        change: LeaseChange,
        now: SystemTime,
    ) -> Result<Option<Vec<String>>, LeaseError> {
        self.clock = now;
        let now = secs(now);
        let mut e = self.leases.get(addr).cloned().ok_or(LeaseError::NotFound)?;
        if let Some(peer) = &self.model.pools[e.pool].failover {
            return Err(LeaseError::Refused(format!(
                "lease {addr} is in a pool of failover peer {peer}: dhcpd-rs does not \
                 change failover leases over OMAPI"
            )));
        }
        match change {
            LeaseChange::State(n) => {
                let to = state_of(n).ok_or_else(|| {
                    LeaseError::InvalidArg(format!("state {n}: not a binding state (1-7)"))
                })?;
                let from = e.lease.binding_state;
                if from == to {
                    return Ok(None);
                }
                let mut records = self.omapi_move(&mut e, to, now);
                records.extend(self.omapi_settle(e, now, false));
                self.log(
                    Level::Info,
                    format!(
                        "lease {addr} state changed from {} to {}",
                        from.name(),
                        to.name()
                    ),
                );
                Ok(Some(records))
            }
            LeaseChange::Ends(t) => {
                let old = e.lease.ends;
                e.lease.ends = i64::from(t);
                let next = e.lease.next_binding_state;
                let mut records = self.omapi_move(&mut e, next, now);
                records.extend(self.omapi_settle(e, now, false));
                self.log(
                    Level::Info,
                    format!("lease {addr} end changed from {old} to {t}"),
                );
                Ok(Some(records))
            }
            LeaseChange::Flags(f) => {
                let old = flags_of(&e.lease);
                let new = f & KEPT_FLAGS;
                if old == new {
                    return Ok(None);
                }
                // The flags change before the move (ISC requeues the lease by its new
                // flags: a reserved lease is never handed out).
                e.lease.bootp = new & 2 != 0;
                e.lease.reserved = new & 4 != 0;
                let next = e.lease.next_binding_state;
                let mut records = self.omapi_move(&mut e, next, now);
                records.extend(self.omapi_settle(e, now, true));
                self.log(
                    Level::Debug,
                    format!("lease flags changed from  {old:x} to {new:x} for lease {addr}."),
                );
                Ok(Some(records))
            }
            LeaseChange::Variable(b) => {
                let mut bindings = e.lease.bindings.clone();
                match bindings.iter_mut().find(|x| x.name == b.name) {
                    Some(x) => x.value = b.value,
                    None => bindings.insert(0, b),
                }
                e.lease.bindings = bindings.clone();
                let record = dhcpd_leases::write::write_lease(&e.lease, now);
                self.leases.set_bindings(addr, bindings);
                Ok(Some(vec![record]))
            }
        }
    }

    /// ISC's `supersede_lease` with no new lease, up to the write: `atsfp` cleared, the
    /// transition to `next` made (with the expiry or release event when the lease leaves
    /// active), the lease written. Returns the record.
    fn omapi_move(&mut self, e: &mut Entry, next: BindingState, now: i64) -> Vec<String> {
        e.lease.atsfp = 0;
        let from = e.lease.binding_state;
        if next != from && from == BindingState::Active {
            let release = next == BindingState::Released;
            // As make_binding_state_transition: `active`.
            self.ddns_remove(&e.lease.clone(), true);
            self.run_stored_hook(&mut e.lease, release, None, now);
            e.lease.agent_options.clear();
            e.lease.client_hostname = None;
            e.lease.billing = None;
            self.billed.remove(&e.lease.addr);
            e.lease.tstp = e.lease.ends;
        }
        e.lease.binding_state = next;
        e.lease.next_binding_state = match next {
            BindingState::Free | BindingState::Backup => next,
            _ => BindingState::Free,
        };
        vec![dhcpd_leases::write::write_lease(&e.lease, now)]
    }

    /// Requeues the moved lease (`rehash`: in its client's chains too, as ISC's
    /// `supersede_lease` with a copy); when its end has passed and a move is pending, ISC's
    /// `pool_timer` makes that move at once: its record is returned.
    fn omapi_settle(&mut self, mut e: Entry, now: i64, rehash: bool) -> Vec<String> {
        let mut records = Vec::new();
        if e.lease.ends < now && e.lease.next_binding_state != e.lease.binding_state {
            let put = e.clone();
            self.omapi_store(put, rehash);
            let next = e.lease.next_binding_state;
            records.extend(self.omapi_move(&mut e, next, now));
            self.leases.update(e);
        } else {
            self.omapi_store(e, rehash);
        }
        records
    }

    fn omapi_store(&mut self, e: Entry, rehash: bool) {
        if rehash {
            self.leases.put(e);
        } else {
            self.leases.update(e);
        }
    }
}
