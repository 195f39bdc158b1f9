//! Leases under failover: the MCLT rule for lease times, the tstp/tsfp/atsfp bookkeeping,
//! who may allocate what, and the translation between a `dhcpd_leases` lease and a BNDUPD
//! (both directions), as ISC dhcpd 4.4 does them. Plain functions the engine calls.

use dhcpd_leases::model::{BindingState, HardwareAddr, Lease, NEVER};

use crate::body::BindUpdate;
use crate::message::{IP_FLAG_BOOTP, IP_FLAG_RESERVED, RejectReason};
use crate::peer::{Role, Service};

/// ISC's allowance for clock skew when a peer expires a lease we hold ACTIVE, seconds.
pub const EXPIRY_FUDGE: i64 = 65;

fn wire(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

/// The lease time to give a client (ISC `ack_lease`): a new binding the peer has not yet
/// heard of gets at most MCLT, or up to MCLT past what the peer was last told (`tsfp`).
/// `desired` is the lease time after configuration and client limits.
pub fn lease_time(desired: u32, mclt: u32, tsfp: i64, now: i64) -> u32 {
    if desired <= mclt {
        return desired;
    }
    if tsfp <= now {
        return mclt;
    }
    let limit = tsfp - now + i64::from(mclt);
    if now + i64::from(desired) > tsfp + i64::from(mclt) {
        limit.clamp(0, i64::from(u32::MAX)) as u32
    } else {
        desired
    }
}

/// Records a DHCPACK on `l` (bound for `given` seconds at `now`, the client asked for or was
/// configured `desired`): `tstp` = now + desired + given/2 (infinite leases: [`NEVER`]),
/// `tsfp` lowered to `tstp` if above, `atsfp` cleared (the change must be propagated),
/// `cltt` = now. The caller sets the binding state, `starts`, `ends` and client identity.
pub fn on_client_ack(l: &mut Lease, now: i64, desired: u32, given: u32) {
    l.tstp = if desired == u32::MAX || given == u32::MAX {
        NEVER
    } else {
        (now + i64::from(desired) + i64::from(given / 2)).min(NEVER)
    };
    if l.tstp < l.tsfp {
        l.tsfp = l.tstp;
    }
    l.atsfp = 0;
    l.cltt = now;
}

/// Whether ISC would (re)send the lease on UPDREQ or on entering NORMAL: not known to be
/// acknowledged (`tstp > atsfp`), or EXPIRED/RELEASED/RESET.
pub fn needs_update(l: &Lease) -> bool {
    l.tstp > l.atsfp
        || matches!(
            l.binding_state,
            BindingState::Expired | BindingState::Released | BindingState::Reset
        )
}

/// The BNDUPD ISC sends for a lease: the lease's current state, its uid and hardware address
/// (neither for ABANDONED), `ends`, `tstp` as potential expiry, `starts`, `cltt` if set, and
/// the IP flags if any is set.
pub fn bind_update_from_lease(l: &Lease) -> BindUpdate {
    let abandoned = l.binding_state == BindingState::Abandoned;
    let flags =
        if l.reserved { IP_FLAG_RESERVED } else { 0 } | if l.bootp { IP_FLAG_BOOTP } else { 0 };
    BindUpdate {
        addr: Some(l.addr),
        status: Some(l.binding_state),
        uid: (!abandoned && !l.uid.is_empty()).then(|| l.uid.clone()),
        hardware: l.hardware.filter(|h| !abandoned && !h.addr().is_empty()),
        ends: Some(wire(l.ends)),
        potential_expiry: Some(wire(l.tstp)),
        starts: Some(wire(l.starts)),
        cltt: (l.cltt != 0).then(|| wire(l.cltt)),
        ip_flags: (flags != 0).then_some(flags),
    }
}

fn refused(
    addr: std::net::Ipv4Addr,
    from: BindingState,
    to: BindingState,
) -> (RejectReason, String) {
    (
        RejectReason::FatalConflict,
        format!(
            "{addr}: invalid state transition: {} to {}",
            from.name(),
            to.name()
        ),
    )
}

/// Applies a peer's BNDUPD to our lease `cur` (ISC's checks in ISC's order, after the
/// dueling-update check the [`crate::peer::Peer`] does). `normal` is whether this server's
/// relationship state is NORMAL (ISC's "normal check"; otherwise the "conflict check").
/// Returns the lease to commit, or the reject reason and text for the BNDACK.
pub fn apply_update(
    cur: &Lease,
    u: &BindUpdate,
    role: Role,
    normal: bool,
    now: i64,
) -> Result<Lease, (RejectReason, String)> {
    use BindingState::*;
    let addr = cur.addr;
    let Some(to) = u.status else {
        return Err((
            RejectReason::MissingBindinfo,
            "binding status missing".into(),
        ));
    };
    // Client identity.
    match (&u.hardware, to) {
        (Some(_), Abandoned) => {
            return Err((
                RejectReason::UnknownReason,
                "Hardware address supplied on abandoned lease".into(),
            ));
        }
        (Some(h), _) if h.addr().len() > 16 => {
            return Err((RejectReason::UnknownReason, "chaddr is too long".into()));
        }
        (None, Active | Expired | Released) => {
            return Err((
                RejectReason::MissingBindinfo,
                "must have hardware address for this binding state".into(),
            ));
        }
        _ => {}
    }
    if u.uid.is_some() && to == Abandoned {
        return Err((
            RejectReason::UnknownReason,
            "client identifier supplied on abandoned lease".into(),
        ));
    }
    // RESERVED/BOOTP on an address I hold as an ordinary free lease of my own.
    let flags = u.ip_flags.unwrap_or(0);
    if (flags & IP_FLAG_RESERVED != 0 && !cur.reserved || flags & IP_FLAG_BOOTP != 0 && !cur.bootp)
        && cur.binding_state == role.free_state()
    {
        return Err((
            RejectReason::IpNotReserved,
            "IP address is not reserved on this server".into(),
        ));
    }
    // State transition check, against the stored state.
    let from = cur.binding_state;
    let pot = u.potential_expiry.map_or(0, i64::from);
    if from != to {
        let ok = if normal {
            match from {
                Free | Abandoned | Released | Backup => true,
                Active => match role {
                    Role::Primary => matches!(to, Released | Abandoned),
                    Role::Secondary => match to {
                        Free | Backup => pot <= now,
                        Expired => cur.ends - EXPIRY_FUDGE <= now,
                        _ => true,
                    },
                },
                Expired | Reset => match to {
                    Free | Backup => pot <= now,
                    _ => true,
                },
            }
        } else {
            match from {
                Active => match to {
                    Free | Backup => false,
                    Expired => cur.ends - EXPIRY_FUDGE <= now,
                    _ => true,
                },
                _ => true,
            }
        };
        if !ok {
            return Err(refused(addr, from, to));
        }
    }
    let mut l = cur.clone();
    match &u.hardware {
        Some(h) => l.hardware = Some(*h),
        None if to == Abandoned => l.hardware = None,
        None => {}
    }
    match &u.uid {
        Some(id) => l.uid = id.clone(),
        None if !matches!(to, Free | Backup | Reset) => l.uid.clear(),
        None => {}
    }
    if let Some(s) = u.starts {
        l.starts = i64::from(s);
    }
    if let Some(e) = u.ends {
        l.ends = i64::from(e);
    }
    if let Some(p) = u.potential_expiry {
        l.tsfp = i64::from(p);
        l.atsfp = i64::from(p);
    }
    l.reserved = flags & IP_FLAG_RESERVED != 0;
    l.bootp = flags & IP_FLAG_BOOTP != 0;
    let stored = match to {
        Expired | Released | Reset => Free,
        s => s,
    };
    l.binding_state = stored;
    l.next_binding_state = if stored == Active { Expired } else { stored };
    l.rewind_binding_state = stored;
    Ok(l)
}

/// Applies the peer's acceptance of our BNDUPD `sent` to the lease: `tsfp` = `atsfp` = the
/// potential expiry we sent; an EXPIRED/RELEASED/RESET lease becomes FREE (a reserved lease
/// on the secondary: BACKUP); the rewind state follows.
pub fn apply_ack(l: &mut Lease, sent: &BindUpdate, role: Role) {
    if let Some(p) = sent.potential_expiry {
        l.tsfp = i64::from(p);
        l.atsfp = i64::from(p);
    }
    if matches!(
        l.binding_state,
        BindingState::Expired | BindingState::Released | BindingState::Reset
    ) {
        l.binding_state = if role == Role::Secondary && l.reserved {
            BindingState::Backup
        } else {
            BindingState::Free
        };
        l.next_binding_state = l.binding_state;
    }
    l.rewind_binding_state = l.binding_state;
}

/// Entering PARTNER-DOWN (stos, MCLT): an EXPIRED/RELEASED/RESET lease gets `tsfp` = stos +
/// MCLT; it may become free at [`partner_down_free_at`].
pub fn enter_partner_down(l: &mut Lease, stos: i64, mclt: u32) {
    if matches!(
        l.binding_state,
        BindingState::Expired | BindingState::Released | BindingState::Reset
    ) {
        l.tsfp = stos + i64::from(mclt);
    }
}

/// When an EXPIRED/RELEASED/RESET lease becomes FREE in PARTNER-DOWN: max(tsfp, ends).
pub fn partner_down_free_at(l: &Lease) -> i64 {
    l.tsfp.max(l.ends)
}

/// ISC's `lease_mine_to_reallocate`: whether this server may give the (non-active) lease to a
/// new client. `service`, `stos` and `mclt` come from the [`crate::peer::Peer`].
pub fn may_allocate(
    l: &Lease,
    role: Role,
    service: Service,
    stos: i64,
    mclt: u32,
    now: i64,
) -> bool {
    use BindingState::*;
    let partner_down = service == Service::All;
    let after_mclt = || {
        let base = if l.tsfp < stos { stos } else { l.tsfp };
        partner_down && now > base + i64::from(mclt)
    };
    match l.binding_state {
        Active => false,
        Free | Abandoned => role == Role::Primary || after_mclt(),
        Backup => role == Role::Secondary || after_mclt(),
        Expired | Released => {
            l.rewind_binding_state == role.free_state() || partner_down && l.tsfp < now
        }
        Reset => partner_down && l.tsfp < now,
    }
}

/// The hardware address of a BNDUPD as the lease file keeps it (at most its first 20
/// bytes, ISC's longest hardware address).
pub fn hardware(htype: u8, addr: &[u8]) -> HardwareAddr {
    HardwareAddr::from_prefix(htype, addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: i64 = 1_795_836_201;

    #[test]
    fn lab_lease_times() {
        // MCLT 60, default-lease-time 600, first ACK: 60 s, tstp = A + 600 + 30.
        assert_eq!(lease_time(600, 60, 0, A), 60);
        let mut l = Lease::new(Ipv4Addr::new(192, 0, 2, 137));
        on_client_ack(&mut l, A, 600, 60);
        assert_eq!(l.tstp, A + 630);
        // Reference §9.2: MCLT 300, 3600 s desired: potential expiry A + 3750.
        assert_eq!(lease_time(3600, 300, 0, A), 300);
        let mut l = Lease::new(Ipv4Addr::new(10, 9, 0, 103));
        on_client_ack(&mut l, A, 3600, 300);
        assert_eq!(l.tstp, A + 3750);
        // After the BNDACK (tsfp = A+3750) a renewal at A+150 gets the full 3600 s.
        assert_eq!(lease_time(3600, 300, A + 3750, A + 150), 3600);
        // Later renewals are capped at tsfp + MCLT.
        assert_eq!(lease_time(3600, 300, A + 3750, A + 1000), 3750 - 1000 + 300);
        // Short leases are never shortened.
        assert_eq!(lease_time(30, 60, 0, A), 30);
    }

    #[test]
    fn bndupd_of_a_lease_matches_the_lab_layout() {
        let mut l = Lease::new(Ipv4Addr::new(192, 0, 2, 137));
        l.binding_state = BindingState::Active;
        l.hardware = Some(hardware(1, &[2, 0, 0, 0, 0x0c, 1]));
        l.starts = A;
        l.ends = A + 60;
        l.tstp = A + 630;
        l.cltt = A;
        let u = bind_update_from_lease(&l);
        let m = u.to_message(A as u32, 0x167);
        let codes: Vec<u16> = m.options.iter().map(|o| o.code()).collect();
        assert_eq!(codes, [2, 3, 5, 13, 18, 25, 6]);
        assert_eq!(m.to_vec().len(), 68);
        // A never-used free lease: no hardware, no cltt, zero times (fo-a-startup).
        let f = bind_update_from_lease(&Lease::new(Ipv4Addr::new(192, 0, 2, 20)));
        let codes: Vec<u16> = f
            .to_message(0, 1)
            .options
            .iter()
            .map(|o| o.code())
            .collect();
        assert_eq!(codes, [2, 3, 13, 18, 25]);
    }

    #[test]
    fn transition_checks() {
        let mut cur = Lease::new(Ipv4Addr::new(10, 0, 0, 1));
        cur.binding_state = BindingState::Active;
        cur.ends = A + 600;
        let mut u = bind_update_from_lease(&cur);
        u.status = Some(BindingState::Free);
        u.hardware = None;
        // Primary in NORMAL holding ACTIVE refuses FREE.
        let e = apply_update(&cur, &u, Role::Primary, true, A).unwrap_err();
        assert_eq!(e.0, RejectReason::FatalConflict);
        assert_eq!(e.1, "10.0.0.1: invalid state transition: active to free");
        // EXPIRED without hardware address: missing binding info.
        u.status = Some(BindingState::Expired);
        assert_eq!(
            apply_update(&cur, &u, Role::Secondary, true, A)
                .unwrap_err()
                .0,
            RejectReason::MissingBindinfo
        );
        // Secondary: EXPIRED accepted only within 65 s of its own end.
        u.hardware = Some(hardware(1, &[1, 2, 3, 4, 5, 6]));
        assert!(apply_update(&cur, &u, Role::Secondary, true, A + 500).is_err());
        let l = apply_update(&cur, &u, Role::Secondary, true, A + 540).unwrap();
        assert_eq!(
            l.binding_state,
            BindingState::Free,
            "expired is stored free"
        );
        // RELEASED is accepted by a primary holding ACTIVE.
        u.status = Some(BindingState::Released);
        assert!(apply_update(&cur, &u, Role::Primary, true, A).is_ok());
        // Abandoned with a hardware address: reject 6.
        u.status = Some(BindingState::Abandoned);
        assert_eq!(
            apply_update(&cur, &u, Role::Primary, true, A)
                .unwrap_err()
                .0,
            RejectReason::UnknownReason
        );
    }

    #[test]
    fn allocation_rights() {
        let mut l = Lease::new(Ipv4Addr::new(10, 0, 0, 1));
        assert!(may_allocate(&l, Role::Primary, Service::Balanced, A, 60, A));
        assert!(!may_allocate(
            &l,
            Role::Secondary,
            Service::Balanced,
            A,
            60,
            A
        ));
        // Secondary in PARTNER-DOWN: only after stos + MCLT.
        assert!(!may_allocate(
            &l,
            Role::Secondary,
            Service::All,
            A,
            60,
            A + 60
        ));
        assert!(may_allocate(
            &l,
            Role::Secondary,
            Service::All,
            A,
            60,
            A + 61
        ));
        l.binding_state = BindingState::Backup;
        assert!(may_allocate(
            &l,
            Role::Secondary,
            Service::OwnPool,
            A,
            60,
            A
        ));
        assert!(!may_allocate(
            &l,
            Role::Primary,
            Service::OwnPool,
            A,
            60,
            A + 1000
        ));
    }
}
