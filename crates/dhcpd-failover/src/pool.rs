//! Pool balancing between FREE (the primary's) and BACKUP (the secondary's) leases, as ISC
//! dhcpd 4.4 does it: each server gives away from its own free state, first the leases whose
//! last client hashes to the peer, then the oldest ones; a server far below its share sends
//! POOLREQ.

use std::net::Ipv4Addr;

use dhcpd_leases::model::Lease;

use crate::body::Hba;
use crate::hash::peer_wants_lease;
use crate::peer::Role;

/// The balancing knobs of `failover peer { … }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceParams {
    /// `max-lease-misbalance` percent (default 15).
    pub max_lease_misbalance: u32,
    /// `max-lease-ownership` percent (default 10).
    pub max_lease_ownership: u32,
    /// `min-balance` seconds (default 60).
    pub min_balance: u32,
    /// `max-balance` seconds (default 3600).
    pub max_balance: u32,
}

impl Default for BalanceParams {
    fn default() -> Self {
        BalanceParams {
            max_lease_misbalance: 15,
            max_lease_ownership: 10,
            min_balance: 60,
            max_balance: 3600,
        }
    }
}

/// The outcome of one balancing pass over one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Leases to give to the peer, in order: set each to the peer's free state with
    /// [`give_away`], commit, and queue its BNDUPD.
    pub moves: Vec<Ipv4Addr>,
    /// "Leases to send" before the pass: (mine − peer's) / 2.
    pub lts: i64,
    /// lts after the pass.
    pub lts_after: i64,
    /// The misbalance threshold (leases).
    pub thresh: i64,
    /// The ownership allowance (leases).
    pub hold: i64,
    /// Whether we are short enough to send POOLREQ (lts < panic level).
    pub request_peer: bool,
}

fn percent(total: i64, p: u32) -> i64 {
    (total * i64::from(p) + 50) / 100
}

/// One pass of ISC's `dhcp_failover_pool_dobalance` for one pool (NORMAL state only).
/// `free` and `backup` are the pool's counts; `mine` is this server's free queue (FREE for the
/// primary, BACKUP for the secondary), oldest `ends` first.
pub fn balance(
    role: Role,
    hba: &Hba,
    params: &BalanceParams,
    free: u32,
    backup: u32,
    mine: &[&Lease],
) -> Balance {
    let (my_count, peer_count) = match role {
        Role::Primary => (i64::from(free), i64::from(backup)),
        Role::Secondary => (i64::from(backup), i64::from(free)),
    };
    let lts0 = (my_count - peer_count) / 2;
    let total = i64::from(free) + i64::from(backup);
    let thresh = percent(total, params.max_lease_misbalance);
    let hold = percent(total, params.max_lease_ownership);
    let panic = if thresh == 0 { -1 } else { -2 * thresh };
    let mut lts = lts0;
    let mut moved = vec![false; mine.len()];
    let mut moves = Vec::new();
    // Pass 1: leases the peer's clients would get, down to -hold.
    let mut reached_end = true;
    for (i, l) in mine.iter().enumerate() {
        if lts <= -hold {
            reached_end = false;
            break;
        }
        if peer_wants_lease(hba, role, l) {
            lts -= 1;
            moved[i] = true;
            moves.push(l.addr);
        }
    }
    // Pass 2: the oldest leases, keeping `hold` of the used ones.
    if reached_end {
        for (i, l) in mine.iter().enumerate() {
            if moved[i] {
                continue;
            }
            let stop = if l.ends != 0 { lts <= hold } else { lts <= 0 };
            if stop {
                break;
            }
            lts -= 1;
            moves.push(l.addr);
        }
    }
    Balance {
        moves,
        lts: lts0,
        lts_after: lts,
        thresh,
        hold,
        request_peer: lts0 < panic,
    }
}

/// Gives a lease to the peer: its next state is the peer's free state; `tstp` and `starts`
/// become `now`; client details are scrubbed (ISC `scrub_lease`).
pub fn give_away(l: &mut Lease, role: Role, now: i64) {
    let s = role.peer_free_state();
    l.binding_state = s;
    l.next_binding_state = s;
    l.tstp = now;
    l.starts = now;
    l.atsfp = 0;
    l.client_hostname = None;
}

/// When the next balance check is due (ISC `dhcp_failover_pool_check`): for each queue the
/// age of its oldest lease (`now − ends`, 0 if none) × misbalance %, doubled for our own
/// queue; the smaller estimate, capped at `max-balance`, and not before `last_run +
/// min-balance`. (ISC adds 0–4 s of jitter; the caller may.)
pub fn next_check(
    now: i64,
    last_run: i64,
    oldest_mine_ends: Option<i64>,
    oldest_peer_ends: Option<i64>,
    params: &BalanceParams,
) -> i64 {
    let est = |ends: Option<i64>, factor: i64| {
        ends.map(|e| (now - e).max(0) * i64::from(params.max_lease_misbalance) / 100 * factor)
    };
    let delay = match (est(oldest_mine_ends, 2), est(oldest_peer_ends, 1)) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => i64::from(params.max_balance),
    }
    .min(i64::from(params.max_balance));
    (now + delay).max(last_run + i64::from(params.min_balance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hba_from_split;
    use dhcpd_leases::model::HardwareAddr;

    fn pool(n: u8) -> Vec<Lease> {
        (0..n)
            .map(|i| Lease::new(Ipv4Addr::new(192, 0, 2, 20 + i)))
            .collect()
    }

    #[test]
    fn lab_first_normal_moves_half_lowest_first() {
        // fo-a-startup: 235 fresh leases, all FREE: lts 117, hold 24, thresh 35; the primary
        // moved 192.0.2.20 .. .136 to BACKUP and ended at lts 0.
        let leases = pool(235);
        let refs: Vec<&Lease> = leases.iter().collect();
        let b = balance(
            Role::Primary,
            &hba_from_split(128),
            &BalanceParams::default(),
            235,
            0,
            &refs,
        );
        assert_eq!((b.lts, b.hold, b.thresh), (117, 24, 35));
        assert_eq!(b.moves.len(), 117);
        assert_eq!(b.moves[0], Ipv4Addr::new(192, 0, 2, 20));
        assert_eq!(b.moves[116], Ipv4Addr::new(192, 0, 2, 136));
        assert_eq!(b.lts_after, 0);
        assert!(!b.request_peer);
        // The secondary, seeing the same pool, moves nothing (lts -117) but is far below the
        // panic level -70.
        let b = balance(
            Role::Secondary,
            &hba_from_split(128),
            &BalanceParams::default(),
            235,
            0,
            &[],
        );
        assert_eq!(b.lts, -117);
        assert!(b.moves.is_empty());
        assert!(b.request_peer);
    }

    #[test]
    fn affinity_moves_first_and_keeps_hold() {
        // Ten used FREE leases; client 00:11:22:33:44:55 hashes to the secondary (bucket 135).
        let mut leases = pool(10);
        for (i, l) in leases.iter_mut().enumerate() {
            l.ends = 1000 + i as i64;
            // Bucket 57: the primary's.
            l.hardware = HardwareAddr::new(1, &[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
        }
        leases[7].hardware = HardwareAddr::new(1, &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
        let refs: Vec<&Lease> = leases.iter().collect();
        let b = balance(
            Role::Primary,
            &hba_from_split(128),
            &BalanceParams::default(),
            10,
            0,
            &refs,
        );
        // lts 5, hold 1: the affine lease first, then oldest used leases until lts = hold.
        assert_eq!(b.moves[0], leases[7].addr);
        assert_eq!(b.moves.len(), 4);
        assert_eq!(b.lts_after, 1);
    }

    #[test]
    fn check_schedule_respects_min_and_max() {
        let p = BalanceParams::default();
        assert_eq!(next_check(10_000, 0, None, None, &p), 10_000 + 3600);
        assert_eq!(
            next_check(10_000, 9_990, Some(10_000), None, &p),
            9_990 + 60
        );
        assert_eq!(
            next_check(10_000, 0, Some(9_000), Some(8_000), &p),
            10_000 + 300
        );
    }
}
