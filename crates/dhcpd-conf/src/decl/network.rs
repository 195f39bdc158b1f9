//! shared-network, subnet, subnet6, range, range6, prefix6, fixed-prefix6, pool, pool6 and
//! pool permits (ISC's `parse_shared_net_declaration`, `parse_subnet_declaration`,
//! `parse_subnet6_declaration`, `common_subnet_parsing`, `parse_address_range(6)`,
//! `parse_prefix6`, `parse_fixed_prefix6`, `parse_pool(6)_statement`, `get_permit`).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Scope, atoi_tok, span_at};
use crate::ast::{
    FixedPrefix6, Permit, Pool, PoolPermit, Prefix6, Range, Range6, Range6Kind, SharedNetwork,
    Span, Stmt, Subnet, Subnet6,
};
use crate::cursor::Cursor;
use crate::diag::Diagnostic;
use crate::keywords::Kw;
use crate::lexer::TokKind;
use crate::parser::Parser;
use crate::semantic::{MAX_DUPLICATE_REPORTS, PermitType, PoolInfo};

/// ISC's `is_cidr_mask_valid`: no bits set past the prefix.
fn cidr_ok(addr: Ipv6Addr, bits: u32) -> bool {
    let a = u128::from(addr);
    bits >= 128 || a & (u128::MAX >> bits) == 0
}

/// State of one pool while its body is read.
pub(super) struct PoolCtx {
    info: PoolInfo,
    has_leases: bool,
    after_set: bool,
}

impl Parser<'_> {
    /// ISC's `parse_shared_net_declaration` (keyword consumed).
    pub(super) fn parse_shared_net_declaration(
        &mut self,
        c: &mut Cursor<'_>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let name = if c.peek().kind == TokKind::Str {
            let t = c.next();
            let mut v = c.string(&t);
            if v.is_empty() {
                c.error_help(
                    "zero-length shared network name",
                    "give the shared-network a name",
                );
                v = "<no-name-given>".into();
            }
            v
        } else {
            match c.parse_host_name() {
                Some(n) => n,
                None => {
                    c.error_help(
                        "expecting a name for shared-network",
                        "write shared-network NAME { ... }",
                    );
                    c.skip_to_semi();
                    return;
                }
            }
        };
        let share = self.decls.net.new_share(name.clone(), false);
        if !c.parse_lbrace() {
            return;
        }
        let mut body = Vec::new();
        let mut declaration = false;
        loop {
            if self.aborted {
                return;
            }
            let t = *c.peek();
            match t.kind {
                TokKind::Punct(b'}') => {
                    c.skip();
                    if self.decls.net.shares[share].subnets.is_empty() {
                        c.error_help(
                            "empty shared-network decl",
                            "a shared-network must contain at least one subnet",
                        );
                    }
                    break;
                }
                TokKind::Eof => {
                    c.skip();
                    c.error_help("unexpected end of file", "a `}` is missing");
                    break;
                }
                TokKind::Kw(Kw::Interface) => {
                    c.skip();
                    if !self.parse_interface(c, share, span_at(c, t.pos), &mut body) {
                        break;
                    }
                }
                _ => {
                    declaration = self.parse_statement(
                        c,
                        Scope::SharedNet(share),
                        None,
                        declaration,
                        &mut body,
                    );
                }
            }
        }
        out.push(Stmt::SharedNetwork(Box::new(SharedNetwork {
            span,
            name,
            body,
        })));
    }

    /// `interface NAME;` in a shared-network or subnet (keyword consumed); `false` when the
    /// `;` is missing (ISC then stops reading the block's body).
    fn parse_interface(
        &mut self,
        c: &mut Cursor<'_>,
        share: usize,
        span: Span,
        body: &mut Vec<Stmt>,
    ) -> bool {
        let t = c.next();
        let name = c.string(&t);
        if self.decls.net.bind_interface(share, &name).is_err() {
            c.error_help(
                "A subnet or shared network can't be connected to two interfaces.",
                "remove one of the `interface` statements",
            );
        }
        if !c.parse_semi() {
            return false;
        }
        body.push(Stmt::Interface(span, name));
        true
    }

    /// `subnet` or `subnet6` (keyword consumed) in shared network `share`.
    pub(super) fn parse_subnet_any(
        &mut self,
        c: &mut Cursor<'_>,
        share: usize,
        v6: bool,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        if v6 {
            self.parse_subnet6_declaration(c, share, span, out);
        } else {
            self.parse_subnet_declaration(c, share, span, out);
        }
    }

    fn parse_subnet_declaration(
        &mut self,
        c: &mut Cursor<'_>,
        share: usize,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let Some(addr) = c.parse_ip_addr() else {
            return;
        };
        if !c.next().is_kw(Kw::Netmask) {
            c.error_help(
                "Expecting netmask",
                "write subnet ADDRESS netmask MASK { ... }",
            );
            c.skip_to_semi();
            return;
        }
        let Some(mask) = c.parse_ip_addr() else {
            return;
        };
        if u32::from(addr) & !u32::from(mask) != 0 {
            c.error_help(
                format!("subnet {addr} netmask {mask}: bad subnet number/mask combination."),
                format!(
                    "the subnet number must have no host bits: did you mean subnet {} netmask {mask}?",
                    Ipv4Addr::from(u32::from(addr) & u32::from(mask))
                ),
            );
            c.skip_to_semi();
            return;
        }
        let idx = self.decls.net.new_subnet(addr, mask, share);
        if self.decls.net.shares[share].implicit {
            self.decls.net.shares[share].name = format!("{addr}/{}", u32::from(mask).count_ones());
        }
        if let Some(body) = self.common_subnet_parsing(c, idx, share) {
            out.push(Stmt::Subnet(Subnet {
                span,
                addr,
                mask,
                body,
            }));
        }
    }

    fn parse_subnet6_declaration(
        &mut self,
        c: &mut Cursor<'_>,
        share: usize,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        if !self.options.v6 {
            c.error_help(
                "subnet6 statement is only supported in DHCPv6 mode.",
                "this is a DHCPv6 declaration; the DHCPv4 server cannot use it",
            );
            c.skip_to_semi();
            return;
        }
        let Some(addr) = c.parse_ip6_addr() else {
            return;
        };
        if !c.next().is_punct(b'/') {
            c.error_help("Expecting a '/'.", "write subnet6 PREFIX/LENGTH { ... }");
            c.skip_to_semi();
            return;
        }
        let t = c.next();
        if t.kind != TokKind::Number {
            c.error_help("Expecting a number.", "write the prefix length as a number");
            c.skip_to_semi();
            return;
        }
        let text = c.string(&t);
        let bits = match text.parse::<u32>() {
            Ok(b) if b <= 128 => b,
            _ => {
                c.error_help(
                    "Expecting a number between 0 and 128.",
                    "an IPv6 prefix length is 0 to 128",
                );
                c.skip_to_semi();
                return;
            }
        };
        if !cidr_ok(addr, bits) {
            c.error_help(
                "New subnet mask too short.",
                "the prefix has bits set beyond its length",
            );
            c.skip_to_semi();
            return;
        }
        let idx = self
            .decls
            .net
            .new_subnet6(u128::from(addr), bits as u8, share);
        if self.decls.net.shares[share].implicit {
            self.decls.net.shares[share].name = format!("{addr}/{bits}");
        }
        if let Some(body) = self.common_subnet_parsing(c, idx, share) {
            out.push(Stmt::Subnet6(Box::new(Subnet6 {
                span,
                addr,
                prefix_len: bits as u8,
                body,
            })));
        }
    }

    /// ISC's `common_subnet_parsing`: enters the subnet, reads its body.
    fn common_subnet_parsing(
        &mut self,
        c: &mut Cursor<'_>,
        idx: usize,
        share: usize,
    ) -> Option<Vec<Stmt>> {
        match self.decls.net.enter_subnet(idx) {
            Ok(warnings) => {
                for w in warnings {
                    self.log_line(c, w);
                }
            }
            Err(()) => {
                self.family_mismatch(c);
                return None;
            }
        }
        if !c.parse_lbrace() {
            return None;
        }
        let mut body = Vec::new();
        let mut declaration = false;
        loop {
            if self.aborted {
                return Some(body);
            }
            let t = *c.peek();
            match t.kind {
                TokKind::Punct(b'}') => {
                    c.skip();
                    break;
                }
                TokKind::Eof => {
                    c.skip();
                    c.error_help("unexpected end of file", "a `}` is missing");
                    break;
                }
                TokKind::Kw(Kw::Interface) => {
                    c.skip();
                    if !self.parse_interface(c, share, span_at(c, t.pos), &mut body) {
                        break;
                    }
                }
                _ => {
                    declaration =
                        self.parse_statement(c, Scope::Subnet(idx), None, declaration, &mut body);
                }
            }
        }
        if self.decls.net.add_to_share(idx).is_err() {
            self.family_mismatch(c);
        }
        Some(body)
    }

    /// ISC's fatal error when its address arithmetic meets a v4 and a v6 subnet (`-6` with
    /// both `subnet` and `subnet6`).
    fn family_mismatch(&mut self, c: &mut Cursor<'_>) {
        let d = Diagnostic::error("subnet_number():inet.c:45: Addr/mask length mismatch.")
            .with_help("a DHCPv6 configuration cannot also declare IPv4 subnets (and vice versa)");
        self.fatal(c, d);
    }

    /// ISC's `parse_address_range` (keyword consumed). `scope` is the scope the range (or its
    /// pool) is in: a subnet, or a shared-network for pools declared there.
    pub(super) fn parse_address_range(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        subnet: Option<usize>,
        pool: Option<&mut PoolCtx>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let dynamic = c.peek_is_kw(Kw::DynamicBootp);
        if dynamic {
            c.skip();
        }
        let Some(low) = c.parse_ip_addr() else {
            return;
        };
        let high = if c.peek_is(b';') {
            None
        } else {
            let Some(h) = c.parse_ip_addr() else {
                return;
            };
            Some(h)
        };
        if !c.next().is_punct(b';') {
            c.error_help(
                "semicolon expected.",
                "write range LOW-ADDRESS HIGH-ADDRESS;",
            );
            c.skip_to_semi();
            return;
        }
        let lo = u32::from(low);
        let hi = u32::from(high.unwrap_or(low));
        let (subnet, share) = match (subnet, scope) {
            (Some(s), _) => (s, self.decls.net.subnets[s].share),
            (None, Scope::SharedNet(share)) => match self.decls.net.subnet_for(share, lo) {
                Some(s) => (s, share),
                None => {
                    let name = self.decls.net.shares[share].name.clone();
                    c.error_help(
                        format!("address range not on network {name}"),
                        "declare the subnet that contains this range before the pool",
                    );
                    self.log_line(
                        c,
                        "Be sure to place pool statement after related subnet declarations.",
                    );
                    return;
                }
            },
            _ => return,
        };
        // Which pool the addresses go to matters only for the dynamic-bootp/failover check.
        let has_peer = match &pool {
            Some(p) => p.info.peer.is_some(),
            None => {
                dynamic
                    && self.decls.net.shares[share]
                        .pools
                        .iter()
                        .find(|p| {
                            p.prohibits.is_empty()
                                && p.permits.len() == 1
                                && p.permits[0] == PermitType::All
                        })
                        .is_some_and(|p| p.peer.is_some())
            }
        };
        if !dynamic && pool.is_none() {
            let exists = self.decls.net.shares[share].pools.iter().any(|p| {
                p.permits.is_empty()
                    && p.prohibits.len() == 1
                    && p.prohibits[0] == PermitType::DynamicBootp
            });
            if !exists {
                self.decls.net.shares[share].pools.push(PoolInfo {
                    permits: vec![],
                    prohibits: vec![PermitType::DynamicBootp],
                    peer: None,
                });
            }
        } else if dynamic && pool.is_none() {
            let exists = self.decls.net.shares[share].pools.iter().any(|p| {
                p.prohibits.is_empty() && p.permits.len() == 1 && p.permits[0] == PermitType::All
            });
            if !exists {
                self.decls.net.shares[share].pools.push(PoolInfo {
                    permits: vec![PermitType::All],
                    prohibits: vec![],
                    peer: None,
                });
            }
        }
        if has_peer && dynamic {
            c.error_help(
                "dynamic-bootp flag is not permitted for address",
                "put dynamic-bootp ranges in a pool with `no failover peer`",
            );
            for l in [
                "range declarations where there is a failover",
                "peer in scope.   If you wish to declare an",
                "address range from which dynamic bootp leases",
                "can be allocated, please declare it within a",
                "pool declaration that also contains the \"no",
                "failover\" statement.   The failover protocol",
                "itself does not permit dynamic bootp - this",
                "is not a limitation specific to the ISC DHCP",
                "server.   Please don't ask me to defend this",
                "until you have read and really tried to understand",
                "the failover protocol specification.",
            ] {
                self.log_line(c, l);
            }
        }
        // ISC's new_address_range.
        let s = self.decls.net.subnets[subnet];
        if s.v6 {
            self.family_mismatch(c);
            return;
        }
        for a in [lo, hi] {
            if a & s.mask != s.net {
                let d = Diagnostic::error(format!(
                    "bad range, address {} not in subnet {} netmask {}",
                    Ipv4Addr::from(a),
                    Ipv4Addr::from(s.net),
                    Ipv4Addr::from(s.mask)
                ))
                .with_help("a range must lie inside the subnet it is declared in");
                self.fatal(c, d);
                return;
            }
        }
        let (mut min, mut max) = (lo & !s.mask, hi & !s.mask);
        if min > max {
            std::mem::swap(&mut min, &mut max);
        }
        let (dups, total) = self.decls.net.declare(subnet, min, max);
        for ip in &dups {
            c.error_help(
                format!("lease {ip} is declared twice!"),
                "this address is already in another range; ranges must not overlap",
            );
        }
        if total > MAX_DUPLICATE_REPORTS as u64 {
            self.log_line(
                c,
                format!(
                    "({} more addresses of this range are declared twice)",
                    total - MAX_DUPLICATE_REPORTS as u64
                ),
            );
        }
        if let Some(p) = pool {
            p.has_leases = true;
        }
        out.push(Stmt::Range(Range {
            span,
            dynamic_bootp: dynamic,
            low,
            high,
        }));
    }

    /// ISC's `parse_pool_statement` (keyword consumed; `scope` is a subnet or shared-network).
    pub(super) fn parse_pool_statement(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let share = match scope {
            Scope::Subnet(s) => self.decls.net.subnets[s].share,
            Scope::SharedNet(sh) => sh,
            _ => return,
        };
        let mut pool = PoolCtx {
            info: PoolInfo {
                peer: self.decls.net.shares[share].failover_peer,
                ..PoolInfo::default()
            },
            has_leases: false,
            after_set: false,
        };
        if !c.parse_lbrace() {
            return;
        }
        let mut body = Vec::new();
        let mut declaration = false;
        loop {
            if self.aborted {
                return;
            }
            let t = *c.peek();
            let sspan = span_at(c, t.pos);
            match t.kind {
                TokKind::Kw(Kw::No) => {
                    c.skip();
                    let a = c.next();
                    if !a.is_kw(Kw::Failover) || !c.next().is_kw(Kw::Peer) {
                        c.error_help(
                            "expecting \"failover peer\".",
                            "the only `no` statement in a pool is `no failover peer`",
                        );
                        c.skip_to_semi();
                        continue;
                    }
                    pool.info.peer = None;
                    body.push(Stmt::PoolFailover(sspan, None));
                }
                TokKind::Kw(Kw::Failover) => {
                    c.skip();
                    if !c.next().is_kw(Kw::Peer) {
                        c.error_help("expecting 'peer'.", "write failover peer \"NAME\";");
                        c.skip_to_semi();
                        continue;
                    }
                    let n = c.next();
                    if n.kind != TokKind::Str {
                        c.error_help(
                            "expecting string.",
                            "the peer name in a pool must be quoted: failover peer \"NAME\";",
                        );
                        c.skip_to_semi();
                        continue;
                    }
                    let name = c.string(&n);
                    pool.info.peer = None;
                    match self.decls.peer(&name) {
                        Some(i) => {
                            self.decls.peers[i].pool_count += 1;
                            pool.info.peer = Some(i);
                        }
                        None => c.error_help(
                            format!("failover peer {name}: not found"),
                            "declare the failover peer (at the top level) before the pools that refer to it",
                        ),
                    }
                    if c.parse_semi() {
                        body.push(Stmt::PoolFailover(sspan, Some(name)));
                    }
                }
                TokKind::Kw(Kw::Range) => {
                    c.skip();
                    let subnet = match scope {
                        Scope::Subnet(s) => Some(s),
                        _ => None,
                    };
                    self.parse_address_range(c, scope, subnet, Some(&mut pool), sspan, &mut body);
                }
                TokKind::Kw(kw @ (Kw::Allow | Kw::Deny)) => {
                    c.skip();
                    self.get_permit(c, &mut pool, kw == Kw::Allow, sspan, &mut body);
                }
                TokKind::Punct(b'}') => {
                    c.skip();
                    break;
                }
                TokKind::Eof => {
                    c.error_help("unexpected end of file", "a `}` is missing");
                    return;
                }
                _ => {
                    declaration =
                        self.parse_statement(c, Scope::Pool, None, declaration, &mut body);
                }
            }
        }
        if !pool.has_leases {
            c.error_help(
                "Pool declaration with no address range.",
                "add a `range LOW HIGH;` statement to the pool",
            );
            self.log_line(c, "Pool declarations must always contain at least");
            self.log_line(c, "one range statement.");
        }
        self.decls.net.shares[share].pools.push(pool.info);
        out.push(Stmt::Pool(Pool {
            span,
            v6: false,
            body,
        }));
    }

    /// ISC's `get_permit` (`allow`/`deny` consumed).
    fn get_permit(
        &mut self,
        c: &mut Cursor<'_>,
        pool: &mut PoolCtx,
        allow: bool,
        span: Span,
        body: &mut Vec<Stmt>,
    ) {
        let t = c.next();
        let mut need_clients = true;
        let (permit, ty) = match t.kind {
            TokKind::Kw(Kw::Unknown) => (Permit::UnknownClients, PermitType::Unknown),
            TokKind::Kw(Kw::KnownClients) => {
                need_clients = false;
                (Permit::KnownClients, PermitType::Known)
            }
            TokKind::Kw(Kw::UnknownClients) => {
                need_clients = false;
                (Permit::UnknownClients, PermitType::Unknown)
            }
            TokKind::Kw(Kw::Known) => (Permit::KnownClients, PermitType::Known),
            TokKind::Kw(Kw::Authenticated) => {
                (Permit::AuthenticatedClients, PermitType::Authenticated)
            }
            TokKind::Kw(Kw::Unauthenticated) => {
                (Permit::UnauthenticatedClients, PermitType::Unauthenticated)
            }
            TokKind::Kw(Kw::All) => (Permit::AllClients, PermitType::All),
            TokKind::Kw(Kw::Dynamic) => {
                if !c.next().is_kw(Kw::Bootp) {
                    c.error_help("expecting \"bootp\"", "write dynamic bootp clients");
                    c.skip_to_semi();
                    return;
                }
                (Permit::DynamicBootpClients, PermitType::DynamicBootp)
            }
            TokKind::Kw(Kw::Members) => {
                need_clients = false;
                if !c.next().is_kw(Kw::Of) {
                    c.error_help("expecting \"of\"", "write members of \"CLASS\"");
                    c.skip_to_semi();
                    return;
                }
                let n = c.next();
                if n.kind != TokKind::Str {
                    c.error_help(
                        "expecting class name.",
                        "the class name must be quoted: members of \"CLASS\"",
                    );
                    c.skip_to_semi();
                    return;
                }
                let name = c.string(&n);
                if !self.decls.class_exists(&name) {
                    c.error_help(
                        format!("no such class: {name}"),
                        "declare the class before the pool that refers to it",
                    );
                }
                (Permit::MembersOf(name), PermitType::Class)
            }
            TokKind::Kw(Kw::After) => {
                need_clients = false;
                if pool.after_set {
                    c.error_help(
                        "duplicate \"after\" clause.",
                        "a pool may have one `after` permit",
                    );
                    c.skip_to_semi();
                    return;
                }
                let (date, nonzero) = self.parse_date_core(c);
                pool.after_set = nonzero;
                match date {
                    Some(d) => (Permit::After(d), PermitType::After),
                    None => (Permit::After(crate::ast::Date::Epoch(0)), PermitType::After),
                }
            }
            _ => {
                c.error_help(
                    "expecting permit type.",
                    "permits are: known-clients, unknown-clients, known clients, unknown clients, members of \"CLASS\", dynamic bootp clients, authenticated clients, unauthenticated clients, all clients, after DATE",
                );
                c.skip_to_semi();
                return;
            }
        };
        if need_clients && !c.next().is_kw(Kw::Clients) {
            c.error_help(
                "expecting \"clients\"",
                "this permit ends with the word `clients`",
            );
            c.skip_to_semi();
            return;
        }
        if allow {
            pool.info.permits.push(ty);
        } else {
            pool.info.prohibits.push(ty);
        }
        if c.parse_semi() {
            body.push(Stmt::Permit(Box::new(PoolPermit {
                span,
                allow,
                permit,
            })));
        }
    }

    /// ISC's `parse_address_range6` (keyword consumed, scope checked).
    pub(super) fn parse_address_range6(
        &mut self,
        c: &mut Cursor<'_>,
        subnet: usize,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        if !self.options.v6 {
            c.error_help(
                "range6 statement is only supported in DHCPv6 mode.",
                "this is a DHCPv6 statement; the DHCPv4 server cannot use it",
            );
            c.skip_to_semi();
            return;
        }
        let s = self.decls.net.subnets[subnet];
        let in_subnet = |a: Ipv6Addr| {
            let mask = if s.prefix_len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(s.prefix_len))
            };
            u128::from(a) & mask == s.net6
        };
        let Some(lo) = c.parse_ip6_addr() else {
            return;
        };
        if !s.v6 {
            self.family_mismatch(c);
            return;
        }
        if !in_subnet(lo) {
            c.error_help(
                "range6 start address is outside the subnet",
                "a range6 must lie inside its subnet6",
            );
            c.skip_to_semi();
            return;
        }
        let kind = if c.peek_is(b'/') {
            c.skip();
            let t = c.next();
            if t.kind != TokKind::Number {
                c.error_help("expecting number", "write the prefix length as a number");
                c.skip_to_semi();
                return;
            }
            let bits = atoi_tok(c, &t);
            if !(0..=128).contains(&bits) {
                c.error_help(
                    "networks have 0 to 128 bits",
                    "use a prefix length of 0 to 128",
                );
                c.skip_to_semi();
                return;
            }
            if bits < i64::from(s.prefix_len) {
                c.error_help(
                    "network mask smaller than subnet mask",
                    "the range's prefix must be at least as long as the subnet's",
                );
                c.skip_to_semi();
                return;
            }
            if !cidr_ok(lo, bits as u32) {
                c.error_help(
                    "network mask too short",
                    "the address has bits set beyond the prefix",
                );
                c.skip_to_semi();
                return;
            }
            let mut temporary = false;
            if c.peek_is_kw(Kw::Temporary) {
                if bits < 64 {
                    c.error("temporary mask too short");
                }
                if bits == 128 {
                    c.error("temporary singleton?");
                }
                c.skip();
                temporary = true;
            }
            Range6Kind::Cidr {
                addr: lo,
                bits: bits as u8,
                temporary,
            }
        } else if c.peek_is_kw(Kw::Temporary) {
            c.skip();
            if !cidr_ok(lo, 64) {
                c.error_help(
                    "network mask too short",
                    "the address has bits set beyond /64",
                );
                c.skip_to_semi();
                return;
            }
            Range6Kind::Temporary(lo)
        } else {
            let Some(hi) = c.parse_ip6_addr() else {
                return;
            };
            if !in_subnet(hi) {
                c.error_help(
                    "range6 end address is outside the subnet",
                    "a range6 must lie inside its subnet6",
                );
                c.skip_to_semi();
                return;
            }
            Range6Kind::Span(lo, hi)
        };
        if !c.next().is_punct(b';') {
            c.error_help("semicolon expected.", "end the statement with `;`");
            c.skip_to_semi();
            return;
        }
        out.push(Stmt::Range6(Range6 { span, kind }));
    }

    /// ISC's `parse_prefix6` (keyword consumed, scope checked).
    pub(super) fn parse_prefix6(&mut self, c: &mut Cursor<'_>, span: Span, out: &mut Vec<Stmt>) {
        if !self.options.v6 {
            c.error_help(
                "prefix6 statement is only supported in DHCPv6 mode.",
                "this is a DHCPv6 statement; the DHCPv4 server cannot use it",
            );
            c.skip_to_semi();
            return;
        }
        let Some(low) = c.parse_ip6_addr() else {
            return;
        };
        let Some(high) = c.parse_ip6_addr() else {
            return;
        };
        let Some(bits) = self.slash_bits(c) else {
            return;
        };
        if !(1..128).contains(&bits) {
            c.error_help(
                "networks have 0 to 128 bits (exclusive)",
                "use a prefix length of 1 to 127",
            );
            return;
        }
        if !cidr_ok(low, bits as u32) || !cidr_ok(high, bits as u32) {
            c.error_help(
                "network mask too short",
                "the prefixes have bits set beyond their length",
            );
            c.skip_to_semi();
            return;
        }
        if !c.next().is_punct(b';') {
            c.error_help("semicolon expected.", "end the statement with `;`");
            c.skip_to_semi();
            return;
        }
        out.push(Stmt::Prefix6(Prefix6 {
            span,
            low,
            high,
            bits: bits as u8,
        }));
    }

    /// `/ NUMBER` as in prefix6 and fixed-prefix6.
    fn slash_bits(&mut self, c: &mut Cursor<'_>) -> Option<i64> {
        let t = c.next();
        if !t.is_punct(b'/') {
            c.error_help("expecting '/'", "write the prefix length after a `/`");
            if !t.is_punct(b';') {
                c.skip_to_semi();
            }
            return None;
        }
        let t = c.next();
        if t.kind != TokKind::Number {
            c.error_help("expecting number", "write the prefix length as a number");
            if !t.is_punct(b';') {
                c.skip_to_semi();
            }
            return None;
        }
        Some(atoi_tok(c, &t))
    }

    /// ISC's `parse_fixed_prefix6` (keyword consumed, host checked).
    pub(super) fn parse_fixed_prefix6(
        &mut self,
        c: &mut Cursor<'_>,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let Some(addr) = c.parse_ip6_addr() else {
            return;
        };
        let Some(bits) = self.slash_bits(c) else {
            return;
        };
        if !c.next().is_punct(b';') {
            c.error_help("semicolon expected.", "end the statement with `;`");
            c.skip_to_semi();
            return;
        }
        if !(0..=128).contains(&bits) {
            c.error_help(
                "networks have 0 to 128 bits",
                "use a prefix length of 0 to 128",
            );
            return;
        }
        if !cidr_ok(addr, bits as u32) {
            c.error_help(
                "network mask too short",
                "the address has bits set beyond the prefix",
            );
            return;
        }
        out.push(Stmt::FixedPrefix6(FixedPrefix6 {
            span,
            addr,
            bits: bits as u8,
        }));
    }

    /// ISC's `parse_pool6_statement` (keyword consumed, scope is a subnet).
    pub(super) fn parse_pool6_statement(
        &mut self,
        c: &mut Cursor<'_>,
        scope: Scope,
        span: Span,
        out: &mut Vec<Stmt>,
    ) {
        let Scope::Subnet(subnet) = scope else {
            return;
        };
        let mut pool = PoolCtx {
            info: PoolInfo::default(),
            has_leases: false,
            after_set: false,
        };
        if !c.parse_lbrace() {
            return;
        }
        let mut body = Vec::new();
        let mut declaration = false;
        loop {
            if self.aborted {
                return;
            }
            let t = *c.peek();
            let sspan = span_at(c, t.pos);
            match t.kind {
                TokKind::Kw(Kw::Range6) => {
                    c.skip();
                    let n = body.len();
                    self.parse_address_range6(c, subnet, sspan, &mut body);
                    pool.has_leases |= body.len() > n;
                }
                TokKind::Kw(Kw::Prefix6) => {
                    c.skip();
                    let n = body.len();
                    self.parse_prefix6(c, sspan, &mut body);
                    pool.has_leases |= body.len() > n;
                }
                TokKind::Kw(kw @ (Kw::Allow | Kw::Deny)) => {
                    c.skip();
                    self.get_permit(c, &mut pool, kw == Kw::Allow, sspan, &mut body);
                }
                TokKind::Punct(b'}') => {
                    c.skip();
                    break;
                }
                TokKind::Eof => {
                    c.error_help("unexpected end of file", "a `}` is missing");
                    return;
                }
                _ => {
                    declaration =
                        self.parse_statement(c, Scope::Pool, None, declaration, &mut body);
                }
            }
        }
        if !pool.has_leases {
            c.error_help(
                "Pool6 declaration with no address range6 or prefix6.",
                "add a range6 or prefix6 statement to the pool6",
            );
            self.log_line(c, "Pool6 declarations must always contain at least");
            self.log_line(c, "one range6 or prefix6 statement.");
        }
        out.push(Stmt::Pool(Pool {
            span,
            v6: true,
            body,
        }));
    }
}
