//! The checks ISC makes on the meaning of a configuration: the network registry used while
//! reading (subnets and their overlaps, shared networks, pools, every declared address) and
//! the checks that run after the whole configuration is read (failover sanity).
//!
//! ISC makes most of these checks at the moment a declaration is read (`enter_subnet`,
//! `new_address_range`, `enter_host` in its `mdb.c`), so the declaration parser calls into
//! `Networks` at those moments and reports in line; `Parser::check` does the rest.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ast::Config;
use crate::diag::Diagnostic;
use crate::parser::Parser;

/// A permit type of a pool's allow/deny list (what ISC compares when it looks for a pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PermitType {
    Known,
    Unknown,
    Authenticated,
    Unauthenticated,
    All,
    DynamicBootp,
    Class,
    After,
}

/// A pool of a shared network, as far as the range parser needs to know it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PoolInfo {
    pub(crate) permits: Vec<PermitType>,
    pub(crate) prohibits: Vec<PermitType>,
    pub(crate) peer: Option<usize>,
}

/// A shared network (declared, or the implicit one around a lone subnet).
#[derive(Debug, Clone, Default)]
pub(crate) struct ShareInfo {
    pub(crate) name: String,
    pub(crate) implicit: bool,
    /// Completed subnets in ISC's sibling order.
    pub(crate) subnets: Vec<usize>,
    pub(crate) has_interface: bool,
    pub(crate) failover_peer: Option<usize>,
    pub(crate) pools: Vec<PoolInfo>,
}

/// A subnet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubnetInfo {
    pub(crate) net: u32,
    pub(crate) mask: u32,
    pub(crate) share: usize,
    /// A subnet6 (v6 subnets take no part in the v4 checks).
    pub(crate) v6: bool,
    pub(crate) prefix_len: u8,
    pub(crate) net6: u128,
}

/// Most "lease X is declared twice!" messages reported for one range (ISC prints one per
/// address, which can be millions).
pub(crate) const MAX_DUPLICATE_REPORTS: usize = 1000;

/// Subnets, shared networks, pools and every declared address.
#[derive(Debug, Default)]
pub(crate) struct Networks {
    pub(crate) subnets: Vec<SubnetInfo>,
    /// The head of ISC's global subnet list: the subnet entered last.
    last_entered: Option<usize>,
    pub(crate) shares: Vec<ShareInfo>,
    /// Declared addresses: disjoint inclusive intervals, start → end.
    leases: BTreeMap<u32, u32>,
    /// Interface names bound so far.
    interfaces: HashSet<String>,
}

/// ISC's prefix length for a mask in its overlap warning: 32 minus the index of the lowest
/// set bit. For an all-zero mask ISC reads past the address (a bug); on the little-endian
/// machines it runs on that gives index 58.
fn isc_prefix_len(mask: u32) -> i32 {
    if mask == 0 {
        32 - 58
    } else {
        32 - mask.trailing_zeros() as i32
    }
}

impl Networks {
    /// A new shared network; returns its index.
    pub(crate) fn new_share(&mut self, name: String, implicit: bool) -> usize {
        self.shares.push(ShareInfo {
            name,
            implicit,
            ..ShareInfo::default()
        });
        self.shares.len() - 1
    }

    /// A new v4 subnet (not yet in any list); returns its index.
    pub(crate) fn new_subnet(&mut self, net: Ipv4Addr, mask: Ipv4Addr, share: usize) -> usize {
        self.subnets.push(SubnetInfo {
            net: u32::from(net),
            mask: u32::from(mask),
            share,
            v6: false,
            prefix_len: 0,
            net6: 0,
        });
        self.subnets.len() - 1
    }

    /// A new v6 subnet; returns its index.
    pub(crate) fn new_subnet6(&mut self, net6: u128, prefix_len: u8, share: usize) -> usize {
        self.subnets.push(SubnetInfo {
            net: 0,
            mask: 0,
            share,
            v6: true,
            prefix_len,
            net6,
        });
        self.subnets.len() - 1
    }

    /// ISC's `subnet_inner_than`: whether `a` is narrower than an overlapping `b`; pushes the
    /// overlap warning when asked. `Err`: one is v4 and the other v6, which ISC's address
    /// arithmetic treats as a fatal error.
    fn inner_than(&self, a: usize, b: usize, warn: Option<&mut Vec<String>>) -> Result<bool, ()> {
        let (sa, sb) = (self.subnets[a], self.subnets[b]);
        if sa.v6 != sb.v6 {
            return Err(());
        }
        let (overlap, i, j, na, nb) = if sa.v6 {
            let m = |p: u8| {
                if p == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(p))
                }
            };
            let (ma, mb) = (m(sa.prefix_len), m(sb.prefix_len));
            // ISC reads the prefix length from the first four bytes of the mask only.
            let isc_len = |mask: u128| {
                let top = (mask >> 96) as u32;
                if top == 0 {
                    32 - 60
                } else {
                    32 - top.trailing_zeros() as i32
                }
            };
            (
                (sa.net6 & mb) == sb.net6 || (sb.net6 & ma) == sa.net6,
                isc_len(ma),
                isc_len(mb),
                Ipv6Addr::from(sa.net6).to_string(),
                Ipv6Addr::from(sb.net6).to_string(),
            )
        } else {
            (
                (sa.net & sb.mask) == sb.net || (sb.net & sa.mask) == sa.net,
                isc_prefix_len(sa.mask),
                isc_prefix_len(sb.mask),
                Ipv4Addr::from(sa.net).to_string(),
                Ipv4Addr::from(sb.net).to_string(),
            )
        };
        if !overlap {
            return Ok(false);
        }
        if let Some(w) = warn {
            w.push(format!("Warning: subnet {na}/{i} overlaps subnet {nb}/{j}"));
        }
        Ok(i > j)
    }

    /// ISC's `enter_subnet`: returns the overlap warnings. ISC's loop never advances past
    /// the head of its list, which is always the subnet entered last: so a new subnet is
    /// compared with that one only, and always becomes the new head. `Err`: a v4 and a v6
    /// subnet met (fatal in ISC).
    pub(crate) fn enter_subnet(&mut self, idx: usize) -> Result<Vec<String>, ()> {
        let mut warnings = Vec::new();
        if let Some(head) = self.last_entered {
            self.inner_than(idx, head, Some(&mut warnings))?;
        }
        self.last_entered = Some(idx);
        Ok(warnings)
    }

    /// The end of ISC's `common_subnet_parsing`: the subnet joins its shared network's list.
    /// `Err` as for [`Networks::enter_subnet`].
    pub(crate) fn add_to_share(&mut self, idx: usize) -> Result<(), ()> {
        let share = self.subnets[idx].share;
        let list = self.shares[share].subnets.clone();
        // ISC never compares against the last sibling.
        for (pos, &t) in list.iter().enumerate().take(list.len().saturating_sub(1)) {
            if self.inner_than(idx, t, None)? {
                self.shares[share].subnets.insert(pos, idx);
                return Ok(());
            }
        }
        self.shares[share].subnets.push(idx);
        Ok(())
    }

    /// ISC's `new_shared_network_interface`: `Err` when the network already has one.
    pub(crate) fn bind_interface(&mut self, share: usize, name: &str) -> Result<(), ()> {
        if self.shares[share].has_interface {
            return Err(());
        }
        if self.interfaces.insert(name.to_string()) {
            self.shares[share].has_interface = true;
        }
        Ok(())
    }

    /// The subnet of `share` that `addr` is in (ISC's search in `parse_address_range`).
    pub(crate) fn subnet_for(&self, share: usize, addr: u32) -> Option<usize> {
        self.shares[share]
            .subnets
            .iter()
            .copied()
            .find(|&s| addr & self.subnets[s].mask == self.subnets[s].net)
    }

    /// Declares the host numbers `min..=max` of `subnet` (ISC's `new_address_range` loop);
    /// returns the addresses that were declared before, in ISC's order (at most
    /// [`MAX_DUPLICATE_REPORTS`]) and how many there were in all.
    pub(crate) fn declare(&mut self, subnet: usize, min: u32, max: u32) -> (Vec<Ipv4Addr>, u64) {
        let s = self.subnets[subnet];
        let contiguous = (!s.mask).wrapping_add(1) & !s.mask == 0;
        let mut dups = Vec::new();
        let mut total = 0u64;
        if contiguous {
            let (lo, hi) = (s.net | min, s.net | max);
            self.insert_interval(lo, hi, &mut dups, &mut total);
        } else {
            // Rare (non-contiguous masks): address by address, bounded.
            for n in (min..=max).take(1 << 16) {
                let ip = s.net | n;
                self.insert_interval(ip, ip, &mut dups, &mut total);
            }
        }
        (dups, total)
    }

    fn insert_interval(&mut self, lo: u32, hi: u32, dups: &mut Vec<Ipv4Addr>, total: &mut u64) {
        // Overlapping intervals: the one starting at or before `lo`, and those starting in
        // (lo, hi].
        let mut overlapping: Vec<(u32, u32)> = Vec::new();
        if let Some((&a, &b)) = self.leases.range(..=lo).next_back() {
            if b >= lo {
                overlapping.push((a, b));
            }
        }
        if lo < hi {
            for (&a, &b) in self.leases.range(lo + 1..=hi) {
                overlapping.push((a, b));
            }
        }
        let (mut new_lo, mut new_hi) = (lo, hi);
        for &(a, b) in &overlapping {
            let (x, y) = (a.max(lo), b.min(hi));
            *total += u64::from(y - x) + 1;
            let mut ip = x;
            while dups.len() < MAX_DUPLICATE_REPORTS {
                dups.push(Ipv4Addr::from(ip));
                if ip == y {
                    break;
                }
                ip += 1;
            }
            new_lo = new_lo.min(a);
            new_hi = new_hi.max(b);
            self.leases.remove(&a);
        }
        // Merge with touching neighbours to keep the map small.
        if new_lo > 0 {
            if let Some((&a, &b)) = self.leases.range(..new_lo).next_back() {
                if b == new_lo - 1 {
                    self.leases.remove(&a);
                    new_lo = a;
                }
            }
        }
        if new_hi < u32::MAX {
            if let Some(&b) = self.leases.get(&(new_hi + 1)) {
                self.leases.remove(&(new_hi + 1));
                new_hi = b;
            }
        }
        self.leases.insert(new_lo, new_hi);
    }
}

impl Parser<'_> {
    /// Post-parse checks (run only when reading found no errors): ISC's failover sanity
    /// check, which runs before `-t` exits.
    pub(crate) fn check(&mut self, config: &mut Config, diags: &mut Vec<Diagnostic>) {
        if self.check_global_parameters(config, diags) {
            return;
        }
        let mut failed = false;
        // ISC keeps peers newest first.
        for p in self.decls.peers.iter().rev() {
            if p.pool_count == 0 {
                diags.push(
                    Diagnostic::error(format!(
                        "ERROR: Failover peer, {}, has no referring pools. You must refer to each peer in at least one pool declaration.",
                        p.name
                    ))
                    .with_help(format!(
                        "add `failover peer \"{}\";` to the pools this peer serves",
                        p.name
                    )),
                );
                failed = true;
            }
            if p.load_balance_max_secs == 0 {
                diags.push(Diagnostic::warning(format!(
                    "WARNING: load balancing will be disabled for failover peer, {}, because its load balance max secs is 0",
                    p.name
                )));
            }
        }
        if failed {
            diags.push(Diagnostic::error(
                "Failover configuration sanity check failed",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_warnings_and_order_like_isc() {
        let mut n = Networks::default();
        let sh = n.new_share(String::new(), true);
        let a = n.new_subnet(
            Ipv4Addr::new(10, 0, 0, 0),
            Ipv4Addr::new(255, 255, 0, 0),
            sh,
        );
        assert_eq!(n.enter_subnet(a), Ok(vec![]));
        let b = n.new_subnet(
            Ipv4Addr::new(10, 0, 1, 0),
            Ipv4Addr::new(255, 255, 255, 0),
            sh,
        );
        assert_eq!(
            n.enter_subnet(b),
            Ok(vec![
                "Warning: subnet 10.0.1.0/24 overlaps subnet 10.0.0.0/16".to_string()
            ])
        );
        // Compared with the last subnet entered only (ISC's loop stops at its list head).
        let c = n.new_subnet(Ipv4Addr::new(10, 0, 0, 0), Ipv4Addr::new(255, 0, 0, 0), sh);
        assert_eq!(
            n.enter_subnet(c),
            Ok(vec![
                "Warning: subnet 10.0.0.0/8 overlaps subnet 10.0.1.0/24".to_string()
            ])
        );
        let d = n.new_subnet6(0x2001_0db8 << 96, 32, sh);
        assert_eq!(n.enter_subnet(d), Err(()));
    }

    #[test]
    fn duplicate_addresses_are_found_in_order() {
        let mut n = Networks::default();
        let sh = n.new_share(String::new(), true);
        let s = n.new_subnet(
            Ipv4Addr::new(10, 0, 0, 0),
            Ipv4Addr::new(255, 255, 255, 0),
            sh,
        );
        assert_eq!(n.declare(s, 10, 20).1, 0);
        assert_eq!(n.declare(s, 30, 40).1, 0);
        let (d, total) = n.declare(s, 18, 31);
        assert_eq!(total, 5);
        assert_eq!(d.first(), Some(&Ipv4Addr::new(10, 0, 0, 18)));
        assert_eq!(d.last(), Some(&Ipv4Addr::new(10, 0, 0, 31)));
        assert_eq!(n.declare(s, 0, 255).1, 41 - 10);
        assert_eq!(n.declare(s, 5, 5).1, 1);
        assert_eq!(n.declare(s, 255, 255).1, 1);
    }
}
