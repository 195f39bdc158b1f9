//! The writer: the exact bytes ISC dhcpd 4.4 writes for each record (`server/db.c`).

use std::fmt::Write as _;

use crate::model::{
    Billing, ByteOrder, Class, ClassKey, FailoverState, Group, Host, IaRecord, Lease, OnRelease,
    Record,
};
use crate::statements::write_statements;
use crate::text::{self, DbTimeFormat, LeaseIdFormat, quote};

/// The version string ISC puts in the header (`isc-dhcp-VERSION`).
pub const DEFAULT_VERSION: &str = "4.4.3-P1";

/// What the writer needs to know besides the records: the configuration's formats and the
/// header's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    /// `db-time-format`.
    pub time_format: DbTimeFormat,
    /// `lease-id-format`.
    pub lease_id_format: LeaseIdFormat,
    /// The writer named in the header line (ISC: `isc-dhcp-4.4.3-P1`).
    pub version: String,
    /// The byte order named in the header (ISC writes its own).
    pub byte_order: ByteOrder,
    /// Whether a class record's statements are written: ISC writes them only when the
    /// class's group is authoritative, which for a class read from the lease file means an
    /// `authoritative;` at the top of the configuration.
    pub class_statements: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            time_format: DbTimeFormat::Default,
            lease_id_format: LeaseIdFormat::Octal,
            version: format!("isc-dhcp-{DEFAULT_VERSION}"),
            byte_order: ByteOrder::Little,
            class_statements: false,
        }
    }
}

/// Continues a statement on the next line: a field of a lease, host or group.
fn field(out: &mut String, indent: usize, body: &str) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(body);
}

impl WriteOptions {
    /// The lines at the top of every rewritten file (`new_lease_file`), ending with the empty
    /// line after `authoring-byte-order`.
    pub fn header(&self) -> String {
        format!(
            "# The format of this file is documented in the dhcpd.leases(5) manual page.\n\
             # This lease file was written by {}\n\n\
             # authoring-byte-order entry is generated, DO NOT DELETE\n\
             authoring-byte-order {};\n\n",
            self.version,
            self.byte_order.name()
        )
    }

    /// One lease record (`write_lease`). `now` decides whether a billing class is still
    /// written (only while the lease has not ended).
    pub fn lease(&self, l: &Lease, now: i64) -> String {
        let mut out = String::with_capacity(320);
        let _ = write!(out, "lease {} {{", l.addr);
        let times = [
            ("starts", l.starts),
            ("ends", l.ends),
            ("tstp", l.tstp),
            ("tsfp", l.tsfp),
            ("atsfp", l.atsfp),
            ("cltt", l.cltt),
        ];
        for (name, t) in times {
            if t != 0
                && let Some(s) = self.time_format.print(t)
            {
                for part in ["\n  ", name, " ", &s] {
                    out.push_str(part);
                }
            }
        }
        for part in ["\n  binding state ", l.binding_state.name(), ";"] {
            out.push_str(part);
        }
        if l.next_binding_state != l.binding_state {
            for part in ["\n  next binding state ", l.next_binding_state.name(), ";"] {
                out.push_str(part);
            }
        }
        if l.rewind_binding_state != l.binding_state {
            for part in [
                "\n  rewind binding state ",
                l.rewind_binding_state.name(),
                ";",
            ] {
                out.push_str(part);
            }
        }
        if l.reserved {
            field(&mut out, 2, "reserved;");
        }
        if l.bootp {
            field(&mut out, 2, "dynamic-bootp;");
        }
        if let Some(b) = &l.billing
            && l.ends > now
        {
            field(&mut out, 2, &billing(b));
        }
        if let Some(hw) = &l.hardware {
            for part in ["\n  hardware ", &text::hardware(hw), ";"] {
                out.push_str(part);
            }
        }
        if !l.uid.is_empty() {
            for part in ["\n  uid ", &self.lease_id_format.format(&l.uid), ";"] {
                out.push_str(part);
            }
        }
        for b in &l.bindings {
            field(&mut out, 2, &binding(&b.name, &b.value));
        }
        for o in &l.agent_options {
            if !o.data.is_empty() {
                let (name, _) = text::agent_option(o.code);
                field(
                    &mut out,
                    2,
                    &format!(
                        "option agent.{name} {};",
                        text::agent_value(o.code, &o.data)
                    ),
                );
            }
        }
        if let Some(h) = &l.client_hostname
            && text::db_printable(h)
        {
            for part in ["\n  client-hostname \"", &text::escape(h), "\";"] {
                out.push_str(part);
            }
        }
        if let Some(e) = &l.on_expiry {
            let both = l.on_release == OnRelease::SameAsExpiry;
            field(
                &mut out,
                2,
                &format!("on expiry{} {{", if both { " or release" } else { "" }),
            );
            write_statements(&mut out, &e.stmts, 4, None);
            field(&mut out, 2, "}");
        }
        if let OnRelease::Own(r) = &l.on_release {
            field(&mut out, 2, "on release {");
            write_statements(&mut out, &r.stmts, 4, None);
            field(&mut out, 2, "}");
        }
        out.push_str("\n}\n");
        out
    }

    /// A host record (`write_host`); `None` when ISC would not write it (a name that is not
    /// printable).
    pub fn host(&self, h: &Host) -> Option<String> {
        if !text::db_printable(h.name.as_bytes()) {
            return None;
        }
        let mut out = format!("host {} {{", h.name);
        if h.dynamic {
            field(&mut out, 2, "dynamic;");
        }
        if h.deleted {
            field(&mut out, 2, "deleted;");
        } else {
            if let Some(hw) = &h.hardware {
                field(&mut out, 2, &format!("hardware {};", text::hardware(hw)));
            }
            if !h.uid.is_empty() {
                let v = if text::db_printable(&h.uid) {
                    format!("\"{}\"", String::from_utf8_lossy(&h.uid))
                } else {
                    text::colon_hex(&h.uid)
                };
                field(&mut out, 2, &format!("uid {v};"));
            }
            if !h.fixed_address.is_empty() {
                let list: Vec<String> = h.fixed_address.iter().map(|a| a.to_string()).collect();
                field(&mut out, 2, &format!("fixed-address {};", list.join(",")));
            }
            if let Some(g) = &h.group {
                field(&mut out, 2, &format!("group \"{g}\";"));
            }
            write_statements(&mut out, &h.statements, 8, None);
        }
        out.push_str("\n}\n");
        Some(out)
    }

    /// A group record (`write_group`); `None` for a name ISC would not write.
    pub fn group(&self, g: &Group) -> Option<String> {
        if !text::db_printable(g.name.as_bytes()) {
            return None;
        }
        let mut out = format!("group {} {{", g.name);
        if g.dynamic {
            field(&mut out, 2, "dynamic;");
        }
        if g.is_static {
            field(&mut out, 2, "static;");
        }
        if g.deleted {
            field(&mut out, 2, "deleted;");
        } else {
            write_statements(&mut out, &g.statements, 8, None);
        }
        out.push_str("\n}\n");
        Some(out)
    }

    /// A spawned class or subclass (`write_named_billing_class`).
    pub fn class(&self, c: &Class) -> String {
        let mut out = match &c.key {
            ClassKey::Class(name) => format!("class \"{name}\" {{\n"),
            ClassKey::Subclass(name, value) => {
                format!("subclass \"{name}\" {} {{\n", hash_string(value))
            }
        };
        out.push_str(if c.deleted {
            "  deleted;\n"
        } else {
            "  dynamic;\n"
        });
        if c.lease_limit > 0 {
            let _ = writeln!(out, "  lease limit {};", c.lease_limit);
        }
        if self.class_statements {
            // Each statement starts on a new line, and the brace follows the last directly.
            write_statements(&mut out, &c.statements, 8, None);
        }
        out.push_str("}\n\n");
        out
    }

    /// A failover state record (`write_failover_state`), including ISC's leading empty line.
    /// A `startup` state is written as it is given: ISC writes the state it had before
    /// start-up instead, which the caller knows.
    pub fn failover_state(&self, s: &FailoverState) -> String {
        let mut out = format!("\nfailover peer \"{}\" state {{", s.peer);
        if let Some(t) = self.time_format.print(s.me.stos) {
            field(
                &mut out,
                2,
                &format!("my state {} at {t}", s.me.state.name()),
            );
        }
        if let Some(t) = self.time_format.print(s.partner.stos) {
            field(
                &mut out,
                2,
                &format!("partner state {} at {t}", s.partner.state.name()),
            );
        }
        if let Some(m) = s.mclt {
            field(&mut out, 2, &format!("mclt {m};"));
        }
        out.push_str("\n}\n");
        out
    }

    /// The `server-duid` record, with its trailing empty line.
    pub fn server_duid(&self, duid: &[u8]) -> String {
        format!("server-duid {};\n\n", self.lease_id_format.format(duid))
    }

    /// A v6 record, written back as it was read (with ISC's empty line after it).
    pub fn ia(&self, ia: &IaRecord) -> String {
        format!("{}\n\n", ia.text)
    }

    /// Any record. A failover record missing one side is completed with `unknown-state` at
    /// time 0; `authoring-byte-order` is written as its own line (ISC writes it only in the
    /// header).
    pub fn record(&self, r: &Record, now: i64) -> String {
        match r {
            Record::AuthoringByteOrder(b) => format!("authoring-byte-order {};\n", b.name()),
            Record::ServerDuid(d) => self.server_duid(d),
            Record::Lease(l) => self.lease(l, now),
            Record::Host(h) => self.host(h).unwrap_or_default(),
            Record::Group(g) => self.group(g).unwrap_or_default(),
            Record::Class(c) => self.class(c),
            Record::FailoverState(f) => {
                let mut s = FailoverState::new(&f.peer);
                s.apply(f);
                self.failover_state(&s)
            }
            Record::Ia(ia) => self.ia(ia),
        }
    }
}

/// `billing class "X";` / `billing subclass "X" VALUE;`
fn billing(b: &Billing) -> String {
    match b {
        Billing::Class(name) => format!("billing class \"{name}\";"),
        Billing::Subclass { class, value } => {
            format!("billing subclass \"{class}\" {};", hash_string(value))
        }
    }
}

/// ISC's `print_hash_string`: a quoted string when printable, else colon hex.
fn hash_string(v: &[u8]) -> String {
    if v.iter().all(|&c| text::is_print(c)) {
        format!("\"{}\"", String::from_utf8_lossy(v))
    } else {
        text::colon_hex(v)
    }
}

/// `set NAME = VALUE;` (`write_binding_scope`).
fn binding(name: &str, v: &crate::model::BindingValue) -> String {
    use crate::model::BindingValue;
    match v {
        BindingValue::Data(d) => format!("set {name} = {};", quote(d)),
        BindingValue::Numeric(n) => format!("set {name} = %{n};"),
        BindingValue::Boolean(b) => format!("set {name} = {b};"),
    }
}

/// [`WriteOptions::lease`] with ISC's default formats.
pub fn write_lease(lease: &Lease, now: i64) -> String {
    WriteOptions::default().lease(lease, now)
}

/// [`WriteOptions::header`] for ISC 4.4.3-P1 on a little-endian machine.
pub fn write_header() -> String {
    WriteOptions::default().header()
}
