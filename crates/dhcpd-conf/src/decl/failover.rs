//! Failover peers (ISC's `parse_failover_peer`, `parse_failover_state_declaration`,
//! `parse_failover_state`) and dates (`parse_date_core`).

use super::{Scope, atoi_tok};
use crate::ast::{
    Date, FailoverPeer, FailoverRole, FailoverSide, FailoverState, FailoverStateItem,
    FailoverStateName, Span, Stmt,
};
use crate::cursor::Cursor;
use crate::keywords::Kw;
use crate::lexer::{TokKind, Token};
use crate::parser::Parser;

/// A declared failover peer, as the later checks need it.
#[derive(Debug, Clone)]
pub(crate) struct PeerInfo {
    pub(crate) name: String,
    pub(crate) role: Option<FailoverRole>,
    /// Pools that name this peer (`failover peer "NAME";` in a pool).
    pub(crate) pool_count: u32,
    pub(crate) load_balance_max_secs: i64,
}

/// The per-side field a `peer`-able statement sets.
#[derive(Clone, Copy)]
enum SideField {
    MaxResponseDelay,
    MaxUnackedUpdates,
}

impl Parser<'_> {
    /// `failover ...` (the `failover` keyword consumed, scope checked).
    pub(super) fn parse_failover_peer(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        if !c.next().is_kw(Kw::Peer) {
            c.error_help("expecting \"peer\"", "write failover peer \"NAME\" { ... }");
            c.skip_to_semi();
            return;
        }
        let t = c.next();
        if !(t.is_identifier() || t.kind == TokKind::Str) {
            c.error_help(
                "expecting failover peer name.",
                "write failover peer \"NAME\" { ... }",
            );
            c.skip_to_semi();
            return;
        }
        let name = c.string(&t);
        let existing = self.decls.peer(&name);
        let t = c.next();
        if t.is_punct(b';') {
            match scope {
                Scope::SharedNet(share) => match existing {
                    Some(i) => {
                        self.decls.net.shares[share].failover_peer = Some(i);
                        out.push(Stmt::FailoverPeerRef(span, name));
                    }
                    None => c.error_help(
                        format!("reference to unknown failover peer {name}"),
                        "declare the failover peer before referring to it",
                    ),
                },
                _ => c.error_help(
                    "failover peer reference not in shared-network declaration",
                    "refer to a failover peer inside a pool (or shared-network): failover peer \"NAME\";",
                ),
            }
            return;
        }
        if t.is_kw(Kw::State) {
            let Some(i) = existing else {
                c.error_help(
                    format!("state declaration for unknown failover peer {name}"),
                    "declare the failover peer before its state",
                );
                return;
            };
            let primary = self.decls.peers[i].role != Some(FailoverRole::Secondary);
            if let Some(items) = self.parse_failover_state_block(c, primary) {
                out.push(Stmt::FailoverState(Box::new(FailoverState {
                    span,
                    name,
                    items,
                })));
            }
            return;
        }
        if !t.is_punct(b'{') {
            c.error_help(
                "expecting left brace",
                "a failover peer is declared with failover peer \"NAME\" { ... } and referred to from pools",
            );
            c.skip_to_semi();
        }
        if existing.is_some() {
            c.error_help(
                format!("redeclaration of failover peer {name}"),
                "each failover peer is declared once",
            );
            c.skip_to_rbrace(1);
            return;
        }
        let mut peer = FailoverPeer::new(span, name);
        let mut token: Token;
        loop {
            let mut partner = false;
            token = c.next();
            while token.is_kw(Kw::Peer) {
                partner = true;
                token = c.next();
            }
            fn side(peer: &mut FailoverPeer, partner: bool) -> &mut FailoverSide {
                if partner {
                    &mut peer.partner
                } else {
                    &mut peer.me
                }
            }
            match token.kind {
                TokKind::Punct(b'}') => {}
                TokKind::Kw(Kw::Primary) => peer.role = Some(FailoverRole::Primary),
                TokKind::Kw(Kw::Secondary) => {
                    peer.role = Some(FailoverRole::Secondary);
                    if peer.hba.is_some() || peer.split.is_some_and(|s| s <= 256) {
                        c.error_help(
                            "secondary may not define load balance settings.",
                            "`split`/`hba` belong on the primary only",
                        );
                    }
                }
                TokKind::Kw(Kw::Address) => match c.parse_ip_addr_or_hostname() {
                    Some(a) => side(&mut peer, partner).address = Some(a),
                    None => {
                        c.skip_to_rbrace(1);
                        return;
                    }
                },
                TokKind::Kw(Kw::Port) => {
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting number", "write port NUMBER;");
                        c.skip_to_rbrace(1);
                    }
                    side(&mut peer, partner).port = Some(atoi_tok(c, &n));
                    token = n;
                }
                TokKind::Kw(
                    k @ (Kw::MaxLeaseMisbalance
                    | Kw::MaxLeaseOwnership
                    | Kw::MaxBalance
                    | Kw::MinBalance
                    | Kw::AutoPartnerDown
                    | Kw::MaxResponseDelay
                    | Kw::MaxUnackedUpdates
                    | Kw::Mclt),
                ) => {
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting number.", format!("write {} NUMBER;", k.as_str()));
                        c.skip_to_rbrace(1);
                        return;
                    }
                    let v = Some(atoi_tok(c, &n));
                    token = n;
                    let field = match k {
                        Kw::MaxResponseDelay => Some(SideField::MaxResponseDelay),
                        Kw::MaxUnackedUpdates => Some(SideField::MaxUnackedUpdates),
                        _ => None,
                    };
                    match (field, k) {
                        (Some(SideField::MaxResponseDelay), _) => {
                            side(&mut peer, partner).max_response_delay = v
                        }
                        (Some(SideField::MaxUnackedUpdates), _) => {
                            side(&mut peer, partner).max_unacked_updates = v
                        }
                        (None, Kw::MaxLeaseMisbalance) => peer.max_lease_misbalance = v,
                        (None, Kw::MaxLeaseOwnership) => peer.max_lease_ownership = v,
                        (None, Kw::MaxBalance) => peer.max_balance = v,
                        (None, Kw::MinBalance) => peer.min_balance = v,
                        (None, Kw::AutoPartnerDown) => peer.auto_partner_down = v,
                        _ => peer.mclt = v,
                    }
                }
                TokKind::Kw(Kw::Hba) => {
                    if peer.role == Some(FailoverRole::Secondary) {
                        c.error_help(
                            "secondary may not define load balance settings.",
                            "`split`/`hba` belong on the primary only",
                        );
                    }
                    let Some(v) = c.parse_byte_aggregate(Some(32), b':', 16) else {
                        c.skip_to_rbrace(1);
                        return;
                    };
                    if v.len() != 32 {
                        c.error_help(
                            "HBA must be exactly 32 bytes.",
                            "write 32 colon-separated hex bytes, or use split",
                        );
                    } else {
                        peer.hba = Some(v);
                        peer.split = None;
                    }
                }
                TokKind::Kw(Kw::Split) => {
                    let n = c.next();
                    if peer.role == Some(FailoverRole::Secondary) {
                        c.error_help(
                            "secondary may not define load balance settings.",
                            "`split`/`hba` belong on the primary only",
                        );
                    }
                    if n.kind != TokKind::Number {
                        c.error_help("expecting number", "write split 0..256;");
                        c.skip_to_rbrace(1);
                        return;
                    }
                    let v = atoi_tok(c, &n);
                    token = n;
                    // ISC stores the value unsigned: negative numbers are huge.
                    if !(0..=256).contains(&v) {
                        c.error_help(
                            "split must be between 0 and 256, inclusive",
                            "split is the share of the hash space the primary serves, out of 256",
                        );
                    } else {
                        peer.split = Some(v);
                        peer.hba = None;
                    }
                }
                TokKind::Kw(Kw::Load) => {
                    let steps: [(Kw, &str); 3] = [
                        (Kw::Balance, "expecting 'balance'"),
                        (Kw::Max, "expecting 'max'"),
                        (Kw::Seconds, "expecting 'secs'"),
                    ];
                    let mut ok = true;
                    for (kw, msg) in steps {
                        token = c.next();
                        if !token.is_kw(kw) {
                            c.error_help(msg, "write load balance max seconds N;");
                            c.skip_to_rbrace(1);
                            ok = false;
                            break;
                        }
                    }
                    if ok {
                        token = c.next();
                        if token.kind != TokKind::Number {
                            c.error_help("expecting number", "write load balance max seconds N;");
                            c.skip_to_rbrace(1);
                        } else {
                            peer.load_balance_max_seconds = Some(atoi_tok(c, &token));
                        }
                    }
                }
                _ => {
                    c.error_help(
                        "invalid statement in peer declaration",
                        "a failover peer takes: primary, secondary, address, port, peer address, peer port, max-response-delay, max-unacked-updates, mclt, split, hba, load balance max seconds, max-lease-misbalance, max-lease-ownership, min-balance, max-balance, auto-partner-down",
                    );
                    c.skip_to_rbrace(1);
                    return;
                }
            }
            if !token.is_punct(b'}') && !c.parse_semi() {
                c.skip_to_rbrace(1);
                return;
            }
            if token.is_punct(b'}') {
                break;
            }
        }
        if peer.partner.address.is_none() {
            c.error_help(
                "peer address may not be omitted",
                "add `peer address ADDRESS;` (the partner server's address)",
            );
        }
        // ISC's role defaults to primary (the first value of its enum).
        if peer.role != Some(FailoverRole::Secondary) {
            if peer.hba.is_none() && peer.split.is_none() {
                c.error_help(
                    "primary failover server must have hba or split.",
                    "add `split 128;` to the primary",
                );
            } else if peer.mclt.unwrap_or(0) == 0 {
                c.error_help(
                    "primary failover server must have mclt.",
                    "add `mclt 3600;` to the primary",
                );
            }
        }
        let idx = self.decls.peers.len();
        self.decls.peers.push(PeerInfo {
            name: peer.name.clone(),
            role: peer.role,
            pool_count: 0,
            load_balance_max_secs: peer.load_balance_max_seconds.unwrap_or(0),
        });
        if let Scope::SharedNet(share) = scope {
            self.decls.net.shares[share].failover_peer = Some(idx);
        }
        out.push(Stmt::FailoverPeer(Box::new(peer)));
    }

    /// ISC's `parse_failover_state_declaration` for a known peer (after `state`).
    fn parse_failover_state_block(
        &mut self,
        c: &mut Cursor<'_>,
        primary: bool,
    ) -> Option<Vec<FailoverStateItem>> {
        let t = c.next();
        if !t.is_punct(b'{') {
            c.error_help(
                "expecting left brace",
                "write failover peer \"NAME\" state { ... }",
            );
            if !t.is_punct(b';') {
                c.skip_to_semi();
            }
            return None;
        }
        let mut items = Vec::new();
        loop {
            let t = c.next();
            match t.kind {
                TokKind::Punct(b'}') => return Some(items),
                TokKind::Kw(k @ (Kw::My | Kw::Partner)) => {
                    if !c.next().is_kw(Kw::State) {
                        c.error_help(
                            "expecting 'state'",
                            "write my state STATE; or partner state STATE;",
                        );
                        c.skip_to_rbrace(1);
                        return None;
                    }
                    if let Some((s, at)) = self.parse_failover_state(c) {
                        items.push(if k == Kw::My {
                            FailoverStateItem::My(s, at)
                        } else {
                            FailoverStateItem::Partner(s, at)
                        });
                    }
                }
                TokKind::Kw(Kw::Mclt) => {
                    if primary {
                        c.error_help(
                            "mclt not valid for primary",
                            "remove mclt from the state block",
                        );
                        c.skip_to_rbrace(1);
                        return None;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Number {
                        c.error_help("expecting a number.", "write mclt NUMBER;");
                        c.skip_to_rbrace(1);
                        return None;
                    }
                    items.push(FailoverStateItem::Mclt(atoi_tok(c, &n)));
                    c.parse_semi();
                }
                _ => {
                    c.error_help(
                        "expecting state setting.",
                        "a state block takes: my state STATE; partner state STATE; mclt N;",
                    );
                    c.skip_to_rbrace(1);
                    return None;
                }
            }
        }
    }

    /// ISC's `parse_failover_state`: `STATE [at DATE] ;`.
    fn parse_failover_state(
        &mut self,
        c: &mut Cursor<'_>,
    ) -> Option<(FailoverStateName, Option<Date>)> {
        use FailoverStateName as S;
        let t = c.next();
        let s = match t.kind {
            TokKind::Kw(Kw::UnknownState) => S::UnknownState,
            TokKind::Kw(Kw::PartnerDown) => S::PartnerDown,
            TokKind::Kw(Kw::Normal) => S::Normal,
            TokKind::Kw(Kw::CommunicationsInterrupted) => S::CommunicationsInterrupted,
            TokKind::Kw(Kw::ConflictDone) => S::ConflictDone,
            TokKind::Kw(Kw::ResolutionInterrupted) => S::ResolutionInterrupted,
            TokKind::Kw(Kw::PotentialConflict) => S::PotentialConflict,
            TokKind::Kw(Kw::Recover) => S::Recover,
            TokKind::Kw(Kw::RecoverWait) => S::RecoverWait,
            TokKind::Kw(Kw::RecoverDone) => S::RecoverDone,
            TokKind::Kw(Kw::Shutdown) => S::Shutdown,
            TokKind::Kw(Kw::Paused) => S::Paused,
            TokKind::Kw(Kw::Startup) => S::Startup,
            _ => {
                c.error_help(
                    "unknown failover state",
                    "states: unknown-state, partner-down, normal, communications-interrupted, conflict-done, resolution-interrupted, potential-conflict, recover, recover-wait, recover-done, shutdown, paused, startup",
                );
                c.skip_to_semi();
                return None;
            }
        };
        let t = c.next();
        if t.is_punct(b';') {
            return Some((s, None));
        }
        if !t.is_kw(Kw::At) {
            c.error_help("expecting \"at\"", "write STATE at DATE; or STATE;");
            c.skip_to_semi();
            return None;
        }
        let (date, nonzero) = self.parse_date_core(c);
        if !c.parse_semi() || !nonzero {
            return None;
        }
        date.map(|d| (s, Some(d)))
    }

    /// ISC's `parse_date_core`: the date (or `None` after an error) and whether ISC's value is
    /// non-zero (ISC treats a zero time as "no date").
    pub(super) fn parse_date_core(&mut self, c: &mut Cursor<'_>) -> (Option<Date>, bool) {
        let t = *c.peek();
        if t.is_kw(Kw::Never) {
            c.skip();
            return (Some(Date::Never), true);
        }
        if t.is_kw(Kw::Epoch) {
            c.skip();
            let n = *c.peek();
            if n.kind != TokKind::Number {
                if !n.is_punct(b';') {
                    c.skip();
                }
                c.error_help("Seconds since epoch expected.", "write epoch SECONDS");
                return (None, false);
            }
            c.skip();
            let v = atoi_tok(c, &n);
            return (Some(Date::Epoch(v)), v != 0);
        }
        // DOW YEAR / MONTH / DAY HOUR : MINUTE : SECOND [TZ]
        let steps: [(Option<u8>, &str); 11] = [
            (None, "numeric day of week expected."),
            (None, "numeric year expected."),
            (Some(b'/'), "expected slash separating year from month."),
            (None, "numeric month expected."),
            (Some(b'/'), "expected slash separating month from day."),
            (None, "numeric day of month expected."),
            (None, "numeric hour expected."),
            (Some(b':'), "expected colon separating hour from minute."),
            (None, "numeric minute expected."),
            (Some(b':'), "expected colon separating minute from second."),
            (None, "numeric second expected."),
        ];
        let mut nums = Vec::with_capacity(7);
        for (punct, msg) in steps {
            let n = *c.peek();
            let ok = match punct {
                Some(p) => n.is_punct(p),
                None => n.kind == TokKind::Number,
            };
            if !ok {
                if !n.is_punct(b';') {
                    c.skip();
                }
                c.error_help(
                    msg,
                    "dates are written DOW YYYY/MM/DD HH:MM:SS, e.g. 4 2025/01/30 12:00:00",
                );
                return (None, false);
            }
            c.skip();
            if punct.is_none() {
                nums.push(atoi_tok(c, &n));
            }
        }
        let n = *c.peek();
        let tzoff = if n.kind == TokKind::Number {
            c.skip();
            Some(atoi_tok(c, &n))
        } else if !n.is_punct(b';') {
            c.skip();
            c.error_help(
                "Time zone offset or semicolon expected.",
                "end the date with `;`",
            );
            return (None, false);
        } else {
            None
        };
        let [weekday, year, month, day, hour, minute, second] = nums[..] else {
            return (None, false);
        };
        let d = Date::Calendar {
            weekday,
            year,
            month,
            day,
            hour,
            minute,
            second,
            tzoff,
        };
        // ISC's value is zero only for one instant in 1970; treat every calendar date as set.
        (Some(d), true)
    }
}
