//! The in-memory state a lease file builds (later records override earlier ones, as in ISC),
//! and the full rewrite ISC does at start-up and once an hour (`new_lease_file`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use dhcpd_conf::diag::Diagnostic;

use crate::model::{
    BindingState, ByteOrder, Class, ClassKey, FailoverState, Group, Host, IaKind, IaRecord, Lease,
    Record,
};
use crate::parse::{LoadOptions, ParsedFile, parse_file};
use crate::write::WriteOptions;

/// What a lease file says, after every record has been applied in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// `authoring-byte-order`, if the file had one.
    pub authoring_byte_order: Option<ByteOrder>,
    /// The server DUID (last one wins).
    pub server_duid: Option<Vec<u8>>,
    /// v4 leases by address; each is the last record for its address.
    pub leases: BTreeMap<Ipv4Addr, Lease>,
    /// Host records by name. A record with `deleted` stays here as a rubout (it may cancel
    /// a host of the configuration, which the caller applies).
    pub hosts: BTreeMap<String, Host>,
    /// Group records by name (last one wins).
    pub groups: BTreeMap<String, Group>,
    /// Spawned classes and subclasses (last one wins).
    pub classes: BTreeMap<ClassKey, Class>,
    /// Failover state per peer name.
    pub failover: BTreeMap<String, FailoverState>,
    /// v6 records by kind and id (last one wins), kept as text.
    pub ias: BTreeMap<(IaKind, Vec<u8>), IaRecord>,
}

impl State {
    /// Applies one record, as ISC does when it reads it.
    pub fn apply(&mut self, r: &Record) {
        match r {
            Record::Lease(l) => {
                self.leases.insert(l.addr, l.clone());
            }
            other => self.apply_other(other),
        }
    }

    /// [`apply`](Self::apply), taking the record (a lease is moved in, not copied).
    pub fn apply_record(&mut self, r: Record) {
        match r {
            Record::Lease(l) => {
                self.leases.insert(l.addr, l);
            }
            other => self.apply_other(&other),
        }
    }

    fn apply_other(&mut self, r: &Record) {
        match r {
            Record::AuthoringByteOrder(b) => self.authoring_byte_order = Some(*b),
            Record::ServerDuid(d) => self.server_duid = Some(d.clone()),
            Record::Lease(l) => {
                self.leases.insert(l.addr, l.clone());
            }
            Record::Host(h) => {
                if h.deleted {
                    match self.hosts.get_mut(&h.name) {
                        // ISC forgets a deleted dynamic host but keeps a static one, flagged.
                        Some(old) if old.dynamic => {
                            self.hosts.remove(&h.name);
                        }
                        Some(old) => old.deleted = true,
                        // A rubout for a host we do not know: probably one of the
                        // configuration's; kept for the caller to apply.
                        None => {
                            self.hosts.insert(h.name.clone(), h.clone());
                        }
                    }
                } else {
                    self.hosts.insert(h.name.clone(), h.clone());
                }
            }
            Record::Group(g) => {
                self.groups.insert(g.name.clone(), g.clone());
            }
            Record::Class(c) => {
                self.classes.insert(c.key.clone(), c.clone());
            }
            Record::FailoverState(f) => self
                .failover
                .entry(f.peer.clone())
                .or_insert_with(|| FailoverState::new(&f.peer))
                .apply(f),
            Record::Ia(ia) => {
                self.ias.insert((ia.kind, ia.id.clone()), ia.clone());
            }
        }
    }
}

/// A loaded lease file: the records in file order, the resulting state, and what was wrong.
#[derive(Debug, Clone, Default)]
pub struct LeaseDb {
    /// The records read, in file order.
    pub records: Vec<Record>,
    /// The state after applying them.
    pub state: State,
    /// Errors and warnings, in ISC's wording and at ISC's positions.
    pub diagnostics: Vec<Diagnostic>,
    /// ISC would have exited while reading the file.
    pub fatal: bool,
}

impl LeaseDb {
    /// Reads a lease file from its bytes. `name` is used in diagnostics.
    pub fn load(name: &str, src: &[u8], opts: &LoadOptions) -> LeaseDb {
        let ParsedFile {
            records,
            diagnostics,
            fatal,
            ..
        } = parse_file(name, src, opts);
        let mut state = State::default();
        for r in &records {
            state.apply(r);
        }
        LeaseDb {
            records,
            state,
            diagnostics,
            fatal,
        }
    }

    /// Whether any error (not just a warning) was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// ISC's rule for which pool leases a rewrite keeps: everything except free leases that have
/// never been used (no hardware address, no uid, no `tsfp`).
pub fn worth_writing(l: &Lease) -> bool {
    l.hardware.is_some()
        || !l.uid.is_empty()
        || l.tsfp != 0
        || l.binding_state != BindingState::Free
}

impl WriteOptions {
    /// The complete file ISC writes when it rewrites the database (`new_lease_file` then
    /// `write_leases`): the header, then spawned classes, dynamic or deleted-static groups,
    /// deleted hosts, dynamic hosts, failover states, the v4 leases in `leases` order (ISC:
    /// shared network → pool → free/active/expired/abandoned/backup/reserved queue, which
    /// the caller knows; those [`worth_writing`] only), then the server DUID and v6 records.
    ///
    /// Differences from ISC that the caller may need to know: hosts, groups and classes come
    /// out in name order (ISC: its hash-table order), and ISC writes either v4 leases or v6
    /// records depending on the server's family, never both.
    pub fn database_with<'l>(
        &self,
        state: &State,
        now: i64,
        leases: impl IntoIterator<Item = &'l Lease>,
    ) -> String {
        self.database_full(state, now, state.failover.values(), leases)
    }

    /// [`database_with`](Self::database_with), with the failover states given by the caller
    /// (ISC writes one block per *configured* peer, in its list order, whether or not the file
    /// had a record for it).
    pub fn database_full<'l, 'f>(
        &self,
        state: &State,
        now: i64,
        failover: impl IntoIterator<Item = &'f FailoverState>,
        leases: impl IntoIterator<Item = &'l Lease>,
    ) -> String {
        let mut out = String::new();
        self.database_into(&mut out, state, now, failover, leases);
        out
    }

    /// [`database_full`](Self::database_full), appended to `out` (which the caller may have
    /// made large enough beforehand: a rewrite is about as long as the file it replaces).
    pub fn database_into<'l, 'f>(
        &self,
        out: &mut String,
        state: &State,
        now: i64,
        failover: impl IntoIterator<Item = &'f FailoverState>,
        leases: impl IntoIterator<Item = &'l Lease>,
    ) {
        self.database_head(out, state, failover);
        for l in leases {
            if worth_writing(l) {
                out.push_str(&self.lease(l, now));
            }
        }
        self.database_tail(out, state);
    }

    /// What [`database_into`](Self::database_into) writes before the v4 leases: the header,
    /// classes, groups, hosts and failover states. A caller writing the file in pieces writes
    /// this, then each lease [`worth_writing`] with [`lease`](Self::lease), then
    /// [`database_tail`](Self::database_tail).
    pub fn database_head<'f>(
        &self,
        out: &mut String,
        state: &State,
        failover: impl IntoIterator<Item = &'f FailoverState>,
    ) {
        out.push_str(&self.header());
        for c in state.classes.values() {
            out.push_str(&self.class(c));
        }
        for g in state.groups.values() {
            if g.dynamic || (g.is_static && g.deleted) {
                out.push_str(&self.group(g).unwrap_or_default());
            }
        }
        for h in state.hosts.values() {
            if !h.dynamic && h.deleted {
                out.push_str(&self.host(h).unwrap_or_default());
            }
        }
        for h in state.hosts.values() {
            if h.dynamic {
                out.push_str(&self.host(h).unwrap_or_default());
            }
        }
        for f in failover {
            out.push_str(&self.failover_state(f));
        }
    }

    /// What [`database_into`](Self::database_into) writes after the v4 leases: the server
    /// DUID and the v6 records.
    pub fn database_tail(&self, out: &mut String, state: &State) {
        if !state.ias.is_empty() {
            if let Some(d) = &state.server_duid {
                out.push_str(&self.server_duid(d));
            }
            for ia in state.ias.values() {
                out.push_str(&self.ia(ia));
            }
        }
    }

    /// [`database_with`](Self::database_with), leases in address order.
    pub fn database(&self, state: &State, now: i64) -> String {
        self.database_with(state, now, state.leases.values())
    }
}

/// The start-up rewrite with ISC's default formats (see [`WriteOptions::database`]).
pub fn write_database(state: &State, now: i64) -> String {
    WriteOptions::default().database(state, now)
}
