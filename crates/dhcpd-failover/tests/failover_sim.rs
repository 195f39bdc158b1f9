//! Deterministic simulations of a primary and a secondary (both this crate's `Peer`) on a
//! virtual clock: start-up, partition and heal, partner-down and recovery, and the MCLT safety
//! property.
#![allow(clippy::unwrap_used)]

mod sim;

use dhcpd_failover::peer::{Service, State};
use dhcpd_leases::model::BindingState;
use sim::{MCLT, Pair, Side, T0, pool_addrs};

#[test]
fn fresh_pair_reaches_normal_and_splits_the_pool() {
    let pool = pool_addrs(20);
    let mut p = Pair::new(&pool);
    p.run_until(5);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    assert_eq!(p.services(), (Service::Balanced, Service::Balanced));
    // ISC's log of a first start (fo-a-startup).
    for line in [
        "failover peer dhcp-failover: I move from recover to startup",
        "failover peer dhcp-failover: peer moves from unknown-state to recover",
        "failover peer dhcp-failover: I move from startup to recover",
        "Sent update request all message to dhcp-failover",
        "failover peer dhcp-failover: I move from recover to recover-done",
        "failover peer dhcp-failover: I move from recover-done to normal",
    ] {
        assert!(
            p.logged(Side::Primary, line),
            "primary: {line}\n{:#?}",
            p.primary.log
        );
        assert!(p.logged(Side::Secondary, line), "secondary: {line}");
    }
    assert!(
        p.logged(
            Side::Primary,
            "failover peer dhcp-failover: Both servers normal"
        ) || p.logged(
            Side::Secondary,
            "failover peer dhcp-failover: Both servers normal"
        )
    );
    // The primary gave half of its FREE leases to the secondary and both databases agree.
    p.run_until(10);
    for n in [&p.primary, &p.secondary] {
        assert_eq!(n.count(BindingState::Free), 10, "{:?}", n.role());
        assert_eq!(n.count(BindingState::Backup), 10, "{:?}", n.role());
    }
    for a in &pool {
        assert_eq!(
            p.primary.leases[a].binding_state,
            p.secondary.leases[a].binding_state
        );
    }
    // Nothing left unacknowledged, and the STATE on the wire used 254 for no one.
    assert_eq!(p.primary.peer.unacked_updates(), 0);
    assert_eq!(p.secondary.peer.unacked_updates(), 0);
}

#[test]
fn partition_interrupts_and_heal_returns_to_normal() {
    let mut p = Pair::new(&pool_addrs(10));
    p.run_until(5);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    p.partitioned = true;
    let cut = p.time;
    p.run_until(60);
    assert_eq!(
        p.states(),
        (
            State::CommunicationsInterrupted,
            State::CommunicationsInterrupted
        )
    );
    assert_eq!(p.services(), (Service::OwnPool, Service::OwnPool));
    assert!(p.logged(
        Side::Primary,
        "timeout waiting for failover peer dhcp-failover"
    ));
    // The receive timer (30 s after the last message, a CONTACT at most 10 s old) fired
    // between 20 and 30 s after the cut.
    let stos = p.primary.peer.stos();
    assert!((cut + 20..=cut + 30).contains(&stos), "{}", stos - cut);
    p.partitioned = false;
    p.run_until(90);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    assert!(p.logged(
        Side::Primary,
        "failover peer dhcp-failover: I move from communications-interrupted to normal"
    ));
}

#[test]
fn partner_down_then_recover_wait_recover_done_normal() {
    let pool = pool_addrs(10);
    let mut p = Pair::new(&pool);
    p.run_until(5);
    p.kill(Side::Secondary);
    p.run_until(6);
    assert_eq!(p.primary.peer.state(), State::CommunicationsInterrupted);
    // The operator declares the partner down.
    let t = p.time;
    p.primary.peer.set_local_state(t, State::PartnerDown);
    p.run_until(30);
    assert_eq!(p.primary.peer.state(), State::PartnerDown);
    assert_eq!(p.primary.peer.service(), Service::All);
    // The secondary comes back with an empty lease file: RECOVER, a full update, then it
    // waits MCLT from its RECOVER start before RECOVER-DONE.
    p.restart(Side::Secondary, false, &pool);
    let back = p.time;
    p.run_until(40);
    assert_eq!(p.secondary.peer.state(), State::RecoverWait);
    assert_eq!(p.primary.peer.state(), State::PartnerDown);
    assert!(p.logged(
        Side::Secondary,
        "Sent update request all message to dhcp-failover"
    ));
    assert!(p.logged(Side::Primary, "Sent update done message to dhcp-failover"));
    // The secondary has learnt every lease, BACKUP ones included.
    assert_eq!(p.secondary.count(BindingState::Backup), 5);
    p.run_until(back - T0 + i64::from(MCLT) + 5);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    let s = &p.secondary.log;
    let at = |l: &str| {
        s.iter()
            .position(|x| x == l)
            .unwrap_or_else(|| panic!("{l}: {s:#?}"))
    };
    assert!(
        at("failover peer dhcp-failover: I move from recover to recover-wait")
            < at("failover peer dhcp-failover: I move from recover-wait to recover-done")
    );
    assert!(p.logged(
        Side::Primary,
        "failover peer dhcp-failover: I move from partner-down to normal"
    ));
    // RECOVER-DONE came exactly MCLT after the RECOVER start.
    let rd = p
        .wire
        .iter()
        .find(|(t, side, m)| {
            *t >= back
                && *side == Side::Secondary
                && m.u8_option(dhcpd_failover::message::code::SERVER_STATE) == Some(9)
        })
        .map(|(t, _, _)| *t)
        .unwrap();
    assert_eq!(rd, back + i64::from(MCLT));
}

#[test]
fn partition_with_partner_down_heals_through_potential_conflict() {
    let mut p = Pair::new(&pool_addrs(10));
    p.run_until(5);
    p.partitioned = true;
    p.run_until(40);
    let t = p.time;
    p.primary.peer.set_local_state(t, State::PartnerDown);
    p.run_until(50);
    p.partitioned = false;
    p.run_until(70);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    for (side, line) in [
        (
            Side::Primary,
            "failover peer dhcp-failover: I move from partner-down to potential-conflict",
        ),
        (
            Side::Primary,
            "Sent update request message to dhcp-failover",
        ),
        (
            Side::Secondary,
            "failover peer dhcp-failover: I move from communications-interrupted to potential-conflict",
        ),
        (
            Side::Primary,
            "failover peer dhcp-failover: I move from potential-conflict to conflict-done",
        ),
        (
            Side::Secondary,
            "failover peer dhcp-failover: I move from potential-conflict to normal",
        ),
        (
            Side::Primary,
            "failover peer dhcp-failover: I move from conflict-done to normal",
        ),
    ] {
        assert!(p.logged(side, line), "{side:?}: {line}");
    }
}

#[test]
fn restarted_secondary_with_saved_normal_rejoins_without_recovery() {
    // Lab scenario d: the secondary dies, the primary serves alone in
    // COMMUNICATIONS-INTERRUPTED, the secondary restarts with its lease file.
    let pool = pool_addrs(10);
    let mut p = Pair::new(&pool);
    p.run_until(5);
    p.kill(Side::Secondary);
    p.run_until(10);
    assert_eq!(p.primary.peer.state(), State::CommunicationsInterrupted);
    // A client the secondary would serve is served by the primary from its own pool.
    let mac = (0u8..=255)
        .map(|i| [2, 0, 0, 0, 0x0c, i])
        .find(|m| !sim::primary_client(m))
        .unwrap();
    let t = p.time;
    let (addr, _) = p.primary.grant(t, mac, 600).unwrap();
    assert_eq!(p.primary.leases[&addr].ends, t + i64::from(MCLT));
    p.restart(Side::Secondary, true, &pool);
    p.run_until(20);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    assert!(p.logged(
        Side::Secondary,
        "failover peer dhcp-failover: I move from startup to normal"
    ));
    assert!(p.logged(
        Side::Primary,
        "failover peer dhcp-failover: I move from communications-interrupted to normal"
    ));
    // The binding made during the outage reached the secondary.
    assert_eq!(
        p.secondary.leases[&addr].binding_state,
        BindingState::Active
    );
    assert!(p.wire.iter().all(
        |(_, _, m)| m.msg_type != dhcpd_failover::MessageType::UpdReqAll
            || m.time < (T0 + 10) as u32
    ));
}

/// Every grant ever made: (address, client, start, end, granted by the secondary).
type Ledger = Vec<(std::net::Ipv4Addr, [u8; 6], i64, i64, bool)>;

fn serve_clients(p: &mut Pair, ledger: &mut Ledger, clients: &[[u8; 6]], round: usize) {
    let now = p.time;
    for (i, mac) in clients.iter().enumerate() {
        let bound = ledger
            .iter()
            .any(|(_, m, s, e, _)| m == mac && *s <= now && now < *e);
        if bound || (i + round) % 3 != 0 {
            continue;
        }
        // Ask the servers in an order that changes from round to round.
        let order = if (i + round) % 2 == 0 {
            [Side::Primary, Side::Secondary]
        } else {
            [Side::Secondary, Side::Primary]
        };
        for side in order {
            let n = p.node(side);
            if !n.alive {
                continue;
            }
            if let Some((addr, end)) = n.grant(now, *mac, 90) {
                ledger.push((addr, *mac, now, end, side == Side::Secondary));
                break;
            }
        }
    }
}

fn assert_no_double_binding(ledger: &Ledger) {
    let _ = T0;
    for (i, a) in ledger.iter().enumerate() {
        for b in &ledger[i + 1..] {
            if a.0 == b.0 && a.1 != b.1 {
                assert!(
                    a.3 <= b.2 || b.3 <= a.2,
                    "{} bound to {:02x?} over {}..{} and to {:02x?} over {}..{}",
                    a.0,
                    a.1,
                    a.2 - T0,
                    a.3 - T0,
                    b.1,
                    b.2 - T0,
                    b.3 - T0
                );
            }
        }
    }
}

#[test]
fn mclt_keeps_one_address_with_one_client_through_failures() {
    let pool = pool_addrs(16);
    let clients: Vec<[u8; 6]> = (0..12u8).map(|i| [2, 0, 0, 0, 0xcc, i]).collect();
    let mut p = Pair::new(&pool);
    let mut ledger = Ledger::new();
    let mut round = 0;
    let mut run = |p: &mut Pair, ledger: &mut Ledger, until: i64| {
        while p.time < T0 + until {
            let t = p.time - T0 + 7;
            p.run_until(t.min(until));
            // The pool check timer (ISC runs it every min-balance..max-balance seconds).
            if round % 5 == 0 {
                let now = p.time;
                for side in [Side::Primary, Side::Secondary] {
                    if p.node(side).alive {
                        p.node(side).balance(now);
                    }
                }
            }
            serve_clients(p, ledger, &clients, round);
            round += 1;
        }
    };
    run(&mut p, &mut ledger, 200);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    // The secondary dies; the operator declares it down.
    p.kill(Side::Secondary);
    run(&mut p, &mut ledger, 230);
    let t = p.time;
    p.primary.peer.set_local_state(t, State::PartnerDown);
    run(&mut p, &mut ledger, 500);
    // The primary took over addresses the secondary had bound, never before stos + MCLT.
    let pd_stos = t;
    let takeovers: Vec<_> = ledger
        .iter()
        .filter(|g| g.2 >= pd_stos)
        .filter(|g| {
            ledger
                .iter()
                .filter(|h| h.0 == g.0 && h.2 < pd_stos)
                .max_by_key(|h| h.2)
                .is_some_and(|h| h.4 && h.1 != g.1)
        })
        .collect();
    assert!(
        !takeovers.is_empty(),
        "no binding of the secondary was taken over"
    );
    assert!(
        takeovers.iter().all(|g| g.2 > pd_stos + i64::from(MCLT)),
        "taken over before MCLT: {takeovers:?}"
    );
    // The secondary returns with its lease file.
    p.restart(Side::Secondary, true, &pool);
    let back = p.time;
    run(&mut p, &mut ledger, 700);
    if p.states() != (State::Normal, State::Normal) {
        for (t, s, m) in p.wire.iter().filter(|w| w.0 >= back && w.0 < back + 30) {
            eprintln!(
                "{} {:?} {:?} xid={} {:?}",
                t - T0,
                s,
                m.msg_type,
                m.xid,
                m.options
            );
        }
        eprintln!(
            "P unacked {} queued {} connected {}",
            p.primary.peer.unacked_updates(),
            p.primary.peer.queued_updates(),
            p.primary.peer.is_connected()
        );
        eprintln!(
            "P: {:#?}\nS: {:#?}",
            &p.primary.log[p.primary.log.len().saturating_sub(30)..],
            p.secondary.log
        );
    }
    assert_eq!(p.states(), (State::Normal, State::Normal));
    // A partition with both sides serving their own pools, then heal.
    p.partitioned = true;
    run(&mut p, &mut ledger, 900);
    assert_eq!(
        p.states(),
        (
            State::CommunicationsInterrupted,
            State::CommunicationsInterrupted
        )
    );
    p.partitioned = false;
    run(&mut p, &mut ledger, 1000);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    assert!(ledger.len() > 30, "only {} grants", ledger.len());
    assert_no_double_binding(&ledger);
    // Both databases agree on every address once things are quiet.
    run(&mut p, &mut ledger, 1010);
    for a in &pool {
        let (x, y) = (&p.primary.leases[a], &p.secondary.leases[a]);
        if x.binding_state == BindingState::Active || y.binding_state == BindingState::Active {
            assert_eq!(x.hardware, y.hardware, "{a}");
        }
    }
}

/// The time of the first STATE message `side` sent with wire state `state` at or after `from`
/// (the simulated logs carry no times).
fn state_sent_at(p: &Pair, side: Side, state: u8, from: i64) -> Option<i64> {
    p.wire
        .iter()
        .find(|(t, s, m)| {
            *t >= from
                && *s == side
                && m.u8_option(dhcpd_failover::message::code::SERVER_STATE) == Some(state)
        })
        .map(|(t, _, _)| *t)
}

/// Steps the pair one virtual second at a time until `f` holds (at most `limit` seconds);
/// returns the time it first held.
fn first_time(p: &mut Pair, limit: i64, mut f: impl FnMut(&Pair) -> bool) -> Option<i64> {
    let end = p.time - T0 + limit;
    while p.time - T0 < end {
        if f(p) {
            return Some(p.time);
        }
        let next = p.time - T0 + 1;
        p.run_until(next);
    }
    f(p).then_some(p.time)
}

#[test]
fn auto_partner_down_fires_its_delay_after_communications_interrupted() {
    // ISC 4.4: `auto-partner-down 40;` — 40 s after entering COMMUNICATIONS-INTERRUPTED the
    // survivor moves to PARTNER-DOWN by itself; the partner's free leases become usable MCLT
    // after that, not before.
    const APD: u32 = 40;
    let pool = pool_addrs(10);
    let mut p = Pair::with_auto_partner_down(&pool, APD);
    p.run_until(10);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    p.kill(Side::Secondary);
    let ci = first_time(&mut p, 5, |p| {
        p.primary.peer.state() == State::CommunicationsInterrupted
    })
    .expect("the primary notices the closed link");
    assert_eq!(p.primary.peer.service(), Service::OwnPool);
    let pd = first_time(&mut p, i64::from(APD) + 5, |p| {
        p.primary.peer.state() == State::PartnerDown
    })
    .expect("auto-partner-down fires");
    assert_eq!(
        pd - ci,
        i64::from(APD),
        "PARTNER-DOWN {} s after C-I",
        pd - ci
    );
    assert!(p.logged(
        Side::Primary,
        "failover peer dhcp-failover: I move from communications-interrupted to partner-down"
    ));
    assert_eq!(p.primary.peer.stos(), pd);
    assert_eq!(p.primary.peer.service(), Service::All);
    // The secondary's BACKUP leases: not before MCLT has passed since PARTNER-DOWN.
    let backup: Vec<_> = pool
        .iter()
        .filter(|a| p.primary.leases[a].binding_state == BindingState::Backup)
        .copied()
        .collect();
    assert!(!backup.is_empty());
    let usable = |p: &Pair| {
        let (svc, stos, mclt, now) = (
            p.primary.peer.service(),
            p.primary.peer.stos(),
            p.primary.peer.mclt(),
            p.time,
        );
        backup.iter().all(|a| {
            dhcpd_failover::lease::may_allocate(
                &p.primary.leases[a],
                dhcpd_failover::peer::Role::Primary,
                svc,
                stos,
                mclt,
                now,
            )
        })
    };
    assert!(!usable(&p));
    let takeover = first_time(&mut p, i64::from(MCLT) + 5, usable).expect("takeover");
    // ISC's lease_mine_to_reallocate: strictly after stos + MCLT (the first whole second).
    assert_eq!(takeover - pd, i64::from(MCLT) + 1);
    // The partner returns with its lease file (saved NORMAL): it finds its partner in
    // PARTNER-DOWN and goes to RECOVER. Leaving STARTUP keeps the saved state's stos (ISC), and
    // that NORMAL began more than MCLT ago, so after the UPDDONE it skips RECOVER-WAIT and goes
    // straight to RECOVER-DONE (ISC's dhcp_failover_process_update_done); then both NORMAL.
    // (With an empty lease file stos is the restart and RECOVER-WAIT lasts MCLT:
    // `partner_down_then_recover_wait_recover_done_normal`.)
    p.restart(Side::Secondary, true, &pool);
    let back = p.time;
    p.run_until(back - T0 + 20);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    assert!(state_sent_at(&p, Side::Secondary, 254, back).is_none());
    let at = |l: &str| {
        p.secondary
            .log
            .iter()
            .position(|x| x == l)
            .unwrap_or_else(|| panic!("{l}: {:#?}", p.secondary.log))
    };
    assert!(
        at("failover peer dhcp-failover: peer moves from normal to partner-down")
            < at("failover peer dhcp-failover: I move from startup to recover")
    );
    assert!(
        at("failover peer dhcp-failover: I move from startup to recover")
            < at("failover peer dhcp-failover: I move from recover to recover-done")
    );
    assert!(
        at("failover peer dhcp-failover: I move from recover to recover-done")
            < at("failover peer dhcp-failover: I move from recover-done to normal")
    );
    assert!(p.logged(
        Side::Primary,
        "failover peer dhcp-failover: I move from partner-down to normal"
    ));
}

#[test]
fn auto_partner_down_is_cancelled_when_the_link_returns_in_time() {
    const APD: u32 = 60;
    let mut p = Pair::with_auto_partner_down(&pool_addrs(10), APD);
    p.run_until(10);
    p.partitioned = true;
    let ci = first_time(&mut p, 40, |p| {
        p.states()
            == (
                State::CommunicationsInterrupted,
                State::CommunicationsInterrupted,
            )
    })
    .expect("both interrupted");
    // Heal 20 s later, well before the timer; run far past the would-be deadline.
    p.run_until(ci - T0 + 20);
    p.partitioned = false;
    p.run_until(ci - T0 + i64::from(APD) + 60);
    assert_eq!(p.states(), (State::Normal, State::Normal));
    for side in [Side::Primary, Side::Secondary] {
        assert!(
            !p.node(side)
                .log
                .iter()
                .any(|l| l.ends_with("to partner-down")),
            "{side:?}"
        );
    }
    // The timer starts afresh at the next interruption (and fires then).
    p.partitioned = true;
    let ci2 = first_time(&mut p, 40, |p| {
        p.primary.peer.state() == State::CommunicationsInterrupted
    })
    .expect("interrupted again");
    let pd = first_time(&mut p, i64::from(APD) + 5, |p| {
        p.primary.peer.state() == State::PartnerDown
    })
    .expect("fires the second time");
    assert_eq!(pd - ci2, i64::from(APD));
}

#[test]
fn auto_partner_down_restarts_with_a_saved_communications_interrupted() {
    // A survivor restarted while COMMUNICATIONS-INTERRUPTED goes back there after STARTUP
    // (the partner still silent) and the timer counts from that moment, as ISC's does.
    const APD: u32 = 30;
    let pool = pool_addrs(10);
    let mut p = Pair::with_auto_partner_down(&pool, APD);
    p.run_until(10);
    p.kill(Side::Secondary);
    p.run_until(20);
    assert_eq!(p.primary.peer.state(), State::CommunicationsInterrupted);
    p.kill(Side::Primary);
    p.run_until(25);
    p.restart(Side::Primary, true, &pool);
    assert_eq!(p.primary.peer.state(), State::Startup);
    let ci = first_time(&mut p, 20, |p| {
        p.primary.peer.state() == State::CommunicationsInterrupted
    })
    .expect("back to C-I after STARTUP");
    assert_eq!(ci - T0, 25 + dhcpd_failover::peer::STARTUP_DELAY);
    let pd = first_time(&mut p, i64::from(APD) + 5, |p| {
        p.primary.peer.state() == State::PartnerDown
    })
    .expect("fires");
    assert_eq!(pd - ci, i64::from(APD));
}
