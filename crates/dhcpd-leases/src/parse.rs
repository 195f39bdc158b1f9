//! The reader: ISC's `lease_file_subparse` and the functions it calls, over the token
//! [`Cursor`] of `dhcpd-conf`, consuming and peeking where ISC does so that errors are
//! reported on ISC's lines.

use std::collections::{HashMap, HashSet};
use std::net::Ipv4Addr;
use std::rc::Rc;

use dhcpd_conf::Kw;
use dhcpd_conf::ast::Stmt;
use dhcpd_conf::basic::atoi;
use dhcpd_conf::cursor::Cursor;
use dhcpd_conf::decl::Scope;
use dhcpd_conf::diag::Diagnostic;
use dhcpd_conf::exec::{AllowVerb, Else, Event, Executable, Expr, IfStmt, Parsed};
use dhcpd_conf::lexer::{TokKind, Token};
use dhcpd_conf::options::{Atom, OptionName, OptionValue};
use dhcpd_conf::parser::StatementParser;
use dhcpd_wire::options::Registry;

use crate::model::{
    AgentOption, Billing, BindingState, BindingValue, ByteOrder, Class, ClassKey,
    FailoverStateName, FailoverStateRecord, Group, Host, IaKind, IaRecord, Lease, NEVER, OnRelease,
    PeerState, Record, Statements,
};
use crate::text::{AgentFormat, agent_option_by_name};

/// This server's role in a failover pair (decides whether `mclt` may appear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverRole {
    /// The primary (an `mclt` line is an error).
    Primary,
    /// The secondary.
    Secondary,
}

/// What the reader needs to know from outside the file.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The current time: a lease without `binding state` is active if it ends after this,
    /// and `my state S;` without `at` means "since now".
    pub now: i64,
    /// The failover peers of the configuration, by name. `None` accepts every peer (no
    /// configuration at hand); `Some` reports `unknown failover peer` as ISC does.
    pub failover_peers: Option<HashMap<String, FailoverRole>>,
    /// This machine's byte order (a file authored in the other one gets ISC's warning).
    pub native_byte_order: ByteOrder,
    /// The classes of the configuration. `None` accepts every `billing class`; `Some`
    /// reports `unknown class` and drops the billing, as ISC does.
    pub classes: Option<HashSet<String>>,
}

/// The result of reading one lease file.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    /// The records that were read successfully, in file order.
    pub records: Vec<Record>,
    /// Errors and warnings, in order.
    pub diagnostics: Vec<Diagnostic>,
    /// ISC would have exited (`log_fatal`) while reading this file.
    pub fatal: bool,
    /// For each record, how many diagnostics had been reported when it was read (ISC acts
    /// on a record, e.g. prints `lease A: no subnet.`, right after reading it; this lets a
    /// caller put such messages between the diagnostics where ISC prints them).
    pub diag_marks: Vec<usize>,
}

/// Reads a lease file. `name` is the file name used in diagnostics.
pub fn parse_file(name: &str, src: &[u8], opts: &LoadOptions) -> ParsedFile {
    let mut out = ParsedFile::default();
    let mut count = 0;
    let read = parse_stream(name, src, opts, |diags, record| {
        count += diags.len();
        out.diagnostics.extend(diags);
        if let Some(r) = record {
            out.records.push(r);
            out.diag_marks.push(count);
        }
    });
    // Reading from a slice cannot fail.
    out.fatal = read.unwrap_or(true);
    out
}

/// How many bytes [`parse_stream`] reads at a time, and keeps unread ahead of the record it
/// starts (doubled while a single record does not fit).
const PIECE: usize = 1 << 20;

/// Reads a lease file from `input` record by record, holding only a piece of it (about
/// 2 MiB) at a time. For each top-level record, `each` gets the diagnostics reported while
/// reading it and the record (`None` when it was dropped or gives nothing to keep). Returns
/// whether ISC would have exited (`log_fatal`) while reading the file, or the error `input`
/// gave.
///
/// The records and diagnostics are the ones [`parse_file`] gives for the whole file: a piece
/// always ends at a record boundary, and a record that reaches the end of its piece is read
/// again from a larger piece. (One difference is possible: a lexer error in the token *after*
/// such a record, when the record's reader had peeked at it, is reported twice.)
pub fn parse_stream(
    name: &str,
    input: impl std::io::Read,
    opts: &LoadOptions,
    each: impl FnMut(Vec<Diagnostic>, Option<Record>),
) -> std::io::Result<bool> {
    parse_pieces(name, input, opts, PIECE, each)
}

/// [`parse_stream`] with pieces of `piece` bytes.
fn parse_pieces(
    name: &str,
    mut input: impl std::io::Read,
    opts: &LoadOptions,
    piece: usize,
    mut each: impl FnMut(Vec<Diagnostic>, Option<Record>),
) -> std::io::Result<bool> {
    let name: Rc<str> = Rc::from(name);
    let mut st = ReadState::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut eof = false;
    let (mut start, mut line) = (0usize, 1u32);
    let mut want = piece.max(1);
    loop {
        // Forget what was read, keeping the line the next record starts on (for messages).
        let keep = buf[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        buf.drain(..keep);
        start -= keep;
        while !eof && buf.len() - start < 2 * want {
            let old = buf.len();
            buf.resize(old + want, 0);
            let n = loop {
                match input.read(&mut buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            buf.truncate(old + n);
            eof = n == 0;
        }
        let mut r = Reader {
            c: Cursor::resume(name.clone(), 0, &buf, start, line),
            src: &buf,
            opts,
            st: &mut st,
            records: Vec::new(),
            host_change: None,
        };
        match r.items(eof, want, &mut each) {
            Piece::Done => return Ok(st.fatal),
            Piece::Next(s, l) => (start, line) = (s, l),
            Piece::Larger(s, l) => {
                (start, line) = (s, l);
                want *= 2;
            }
        }
    }
}

/// How a piece of the file ended.
enum Piece {
    /// The end of the file, or a fatal error.
    Done,
    /// Too little is left: continue from this offset and line with the next piece.
    Next(usize, u32),
    /// A record reached the end of the piece: read it again from a larger piece.
    Larger(usize, u32),
}

/// What the reader keeps from one piece of the file to the next.
#[derive(Default)]
struct ReadState {
    /// ISC's `authoring_byte_order != 0`.
    byte_order_set: bool,
    /// Hosts entered and not deleted (for ISC's `already exists`).
    live_hosts: HashSet<String>,
    fatal: bool,
    /// The statement parser, made when the first statement is met.
    sp: Option<StatementParser>,
}

struct Reader<'a, 'o, 's> {
    c: Cursor<'a>,
    src: &'a [u8],
    opts: &'o LoadOptions,
    st: &'s mut ReadState,
    /// The record(s) of the current top-level item.
    records: Vec<Record>,
    /// A host record's change to [`ReadState::live_hosts`] (name, added), applied once the
    /// record is known to be complete.
    host_change: Option<(String, bool)>,
}

/// Which date field of a lease.
#[derive(Clone, Copy)]
enum DateField {
    Starts,
    Ends,
    Tstp,
    Tsfp,
    Atsfp,
    Cltt,
}

fn is_name(c: &Cursor<'_>, t: &Token, word: &str) -> bool {
    t.kind == TokKind::Name && c.text(t).eq_ignore_ascii_case(word.as_bytes())
}

impl Reader<'_, '_, '_> {
    fn text(&self, t: &Token) -> String {
        self.c.string(t)
    }

    /// The items of this piece; see [`Piece`].
    fn items(
        &mut self,
        eof: bool,
        want: usize,
        each: &mut impl FnMut(Vec<Diagnostic>, Option<Record>),
    ) -> Piece {
        loop {
            let (at, line) = self.c.resume_point();
            // (Not after a peek: a new cursor would scan that token again, and report its
            // lexer errors again.)
            if !eof && self.src.len() - at < want && !self.c.has_peeked() {
                return Piece::Next(at, line);
            }
            let (fatal, byte_order_set) = (self.st.fatal, self.st.byte_order_set);
            let more = self.item();
            if !eof && self.c.reached_end() {
                // The item may have been cut by the end of the piece: undo it.
                self.st.fatal = fatal;
                self.st.byte_order_set = byte_order_set;
                return Piece::Larger(at, line);
            }
            if let Some((name, added)) = self.host_change.take() {
                if added {
                    self.st.live_hosts.insert(name);
                } else {
                    self.st.live_hosts.remove(&name);
                }
            }
            let diags = self.c.take_diagnostics();
            let mut records = std::mem::take(&mut self.records).into_iter();
            each(diags, records.next());
            for r in records {
                each(Vec::new(), Some(r));
            }
            if !more || self.st.fatal {
                return Piece::Done;
            }
        }
    }

    /// One top-level item of `lease_file_subparse`; `false` at the end of the file.
    fn item(&mut self) -> bool {
        let t = self.c.next();
        match t.kind {
            TokKind::Eof => return false,
            TokKind::Kw(Kw::Lease) => match self.lease() {
                Some(l) => self.records.push(Record::Lease(l)),
                None => {
                    if self.st.fatal {
                        return false;
                    }
                    self.c.error_help(
                        "possibly corrupt lease file",
                        "the lease record above was dropped; fix or remove it",
                    );
                }
            },
            TokKind::Kw(Kw::IaNa) => self.ia(IaKind::Na, &t),
            TokKind::Kw(Kw::IaTa) => self.ia(IaKind::Ta, &t),
            TokKind::Kw(Kw::IaPd) => self.ia(IaKind::Pd, &t),
            TokKind::Kw(Kw::Class) => self.class(false),
            TokKind::Kw(Kw::Subclass) => self.class(true),
            TokKind::Kw(Kw::Host) => self.host(),
            TokKind::Kw(Kw::Group) => self.group(),
            TokKind::Kw(Kw::Failover) => self.failover_state(),
            TokKind::Kw(Kw::AuthoringByteOrder) => self.authoring_byte_order(),
            TokKind::Kw(Kw::ServerDuid) => self.server_duid(),
            // (older keyword tables of dhcpd-conf lacked `server-duid`)
            _ if is_name(&self.c, &t, "server-duid") => self.server_duid(),
            _ => {
                self.c.push(
                    Diagnostic::error("Corrupt lease file - possible data loss!")
                        .with_help("a lease file holds only lease, host, group, class, subclass, failover, server-duid, authoring-byte-order and ia-* records"),
                );
                self.c.skip_to_semi();
            }
        }
        !self.st.fatal
    }

    /// ISC's `parse_date_core`: the date, or 0 after an error (already reported).
    fn date_core(&mut self) -> i64 {
        let c = &mut self.c;
        let t = *c.peek();
        if t.is_kw(Kw::Never) {
            c.skip();
            return NEVER;
        }
        if t.is_kw(Kw::Epoch) {
            c.skip();
            let t = *c.peek();
            if t.kind != TokKind::Number {
                if !t.is_punct(b';') {
                    c.skip();
                }
                c.error_help(
                    "Seconds since epoch expected.",
                    "write `epoch N;` with N in seconds since 1970",
                );
                return 0;
            }
            c.skip();
            // ISC keeps the value in an int.
            return i64::from(atoi(c.text(&t)) as i32);
        }
        // (message, what to expect: a number, or a punctuation byte)
        let steps: [(&str, Option<u8>); 11] = [
            ("numeric day of week expected.", None),
            ("numeric year expected.", None),
            ("expected slash separating year from month.", Some(b'/')),
            ("numeric month expected.", None),
            ("expected slash separating month from day.", Some(b'/')),
            ("numeric day of month expected.", None),
            ("numeric hour expected.", None),
            ("expected colon separating hour from minute.", Some(b':')),
            ("numeric minute expected.", None),
            ("expected colon separating minute from second.", Some(b':')),
            ("numeric second expected.", None),
        ];
        let (mut nums, mut n) = ([0i32; 7], 0);
        for (msg, punct) in steps {
            let t = *c.peek();
            let ok = match punct {
                Some(p) => t.is_punct(p),
                None => t.kind == TokKind::Number,
            };
            if !ok {
                if !t.is_punct(b';') {
                    c.skip();
                }
                c.error_help(
                    msg,
                    "dates are written `W YYYY/MM/DD HH:MM:SS;` (UTC), `epoch N;` or `never;`",
                );
                return 0;
            }
            c.skip();
            if punct.is_none() {
                if let Some(v) = nums.get_mut(n) {
                    *v = atoi(c.text(&t)) as i32;
                    n += 1;
                }
            }
        }
        let mut tzoff = 0i32;
        let t = *c.peek();
        if t.kind == TokKind::Number {
            c.skip();
            tzoff = atoi(c.text(&t)) as i32;
        } else if !t.is_punct(b';') {
            c.skip();
            c.error_help(
                "Time zone offset or semicolon expected.",
                "dates are in UTC; an optional offset after the time is a signed number of seconds",
            );
            return 0;
        }
        let [_, year, mon, mday, hour, min, sec] = nums;
        crate::text::isc_date_secs(year, mon, mday, hour, min, sec, tzoff)
    }

    /// ISC's `parse_date`: the date and its `;`.
    fn date(&mut self) -> i64 {
        let t = self.date_core();
        if !self.c.parse_semi() {
            return 0;
        }
        t
    }

    /// ISC's `parse_X`: a quoted string or colon-separated hex bytes.
    fn parse_x(&mut self, max: usize) -> Option<Vec<u8>> {
        let t = *self.c.peek();
        match t.kind {
            TokKind::Number | TokKind::NumberOrName => {
                let mut out = Vec::new();
                loop {
                    let t = self.c.next();
                    if !matches!(t.kind, TokKind::Number | TokKind::NumberOrName) {
                        self.c.error_help(
                            "expecting hexadecimal constant.",
                            "write bytes as hexadecimal pairs separated by `:`",
                        );
                        self.c.skip_to_semi();
                        return None;
                    }
                    if out.len() >= max {
                        self.c.error("hexadecimal constant too long.");
                        self.c.skip_to_semi();
                        return None;
                    }
                    let text = self.c.text(&t).to_vec();
                    out.push(self.c.convert_num(&text, 16, 8) as u8);
                    if !self.c.peek_is(b':') {
                        break;
                    }
                    self.c.skip();
                }
                Some(out)
            }
            TokKind::Str => {
                self.c.skip();
                let v = self.c.text(&t).to_vec();
                if v.len() + 1 > max {
                    self.c.error("string constant too long.");
                    self.c.skip_to_semi();
                    return None;
                }
                Some(v)
            }
            _ => {
                self.c.error_help(
                    "expecting string or hexadecimal data",
                    "write a quoted string or hexadecimal bytes separated by `:`",
                );
                self.c.skip_to_semi();
                None
            }
        }
    }

    /// `parse_lease_declaration`, after `lease`. `None`: the record is dropped (the error is
    /// reported).
    fn lease(&mut self) -> Option<Lease> {
        let v = self.c.parse_numeric_aggregate(Some(4), b'.', 10, 8)?;
        let [a, b, c, d] = v[..] else { return None };
        let addr = Ipv4Addr::new(a as u8, b as u8, c as u8, d as u8);
        if !self.c.parse_lbrace() {
            return None;
        }
        let mut l = Lease::new(addr);
        let mut seen: u32 = 0;
        let mut rewind_set = false;
        loop {
            let t = self.c.next();
            if t.is_punct(b'}') {
                break;
            }
            if t.is_eof() {
                self.c
                    .error_help("unexpected end of file", "close the lease with `}`");
                break;
            }
            let seenbit: u32 = match t.kind {
                TokKind::Kw(
                    kw @ (Kw::Starts
                    | Kw::Ends
                    | Kw::Timestamp
                    | Kw::Tstp
                    | Kw::Tsfp
                    | Kw::Atsfp
                    | Kw::Cltt),
                ) => {
                    let v = self.date();
                    let (bit, f) = match kw {
                        Kw::Starts => (1, DateField::Starts),
                        Kw::Ends => (2, DateField::Ends),
                        Kw::Tstp => (65536, DateField::Tstp),
                        Kw::Tsfp => (131_072, DateField::Tsfp),
                        Kw::Atsfp => (262_144, DateField::Atsfp),
                        Kw::Cltt => (524_288, DateField::Cltt),
                        _ => {
                            // ISC 4.4.3 accepts `timestamp` here and then stops with a
                            // fatal error.
                            self.c.push(
                                Diagnostic::error("Impossible error at confpars.c:3227.")
                                    .with_help("ISC dhcpd exits on `timestamp` in a lease; remove the line"),
                            );
                            self.st.fatal = true;
                            return None;
                        }
                    };
                    match f {
                        DateField::Starts => l.starts = v,
                        DateField::Ends => l.ends = v,
                        DateField::Tstp => l.tstp = v,
                        DateField::Tsfp => l.tsfp = v,
                        DateField::Atsfp => l.atsfp = v,
                        DateField::Cltt => l.cltt = v,
                    }
                    bit
                }
                TokKind::Kw(Kw::Uid) => {
                    let mut bit = 8;
                    let p = *self.c.peek();
                    if p.kind == TokKind::Str {
                        self.c.skip();
                        l.uid = self.c.text(&p).to_vec();
                    } else {
                        let v = self.c.parse_numeric_aggregate(None, b':', 16, 8)?;
                        if v.is_empty() {
                            l.uid.clear();
                            self.c.error("zero-length uid");
                            bit = 0;
                        } else {
                            l.uid = v.into_iter().map(|b| b as u8).collect();
                        }
                    }
                    self.c.parse_semi();
                    bit
                }
                TokKind::Kw(Kw::Class) => {
                    let t = self.c.next();
                    if !t.is_identifier() {
                        if !t.is_punct(b';') {
                            self.c.skip_to_rbrace(1);
                        }
                        return None;
                    }
                    self.c.parse_semi();
                    32
                }
                TokKind::Kw(Kw::Hardware) => {
                    if let Some(hw) = self.c.parse_hardware_param() {
                        l.hardware = Some(hw);
                    }
                    64
                }
                TokKind::Kw(Kw::Reserved) => {
                    l.reserved = true;
                    self.c.parse_semi();
                    0
                }
                TokKind::Kw(Kw::DynamicBootp) => {
                    l.bootp = true;
                    self.c.parse_semi();
                    0
                }
                TokKind::Kw(Kw::Abandoned) => {
                    l.binding_state = BindingState::Abandoned;
                    l.next_binding_state = BindingState::Abandoned;
                    self.c.parse_semi();
                    256
                }
                TokKind::Kw(kw @ (Kw::Next | Kw::Rewind | Kw::Binding)) => {
                    let bit = match kw {
                        Kw::Next => 128,
                        Kw::Rewind => 512,
                        _ => 256,
                    };
                    if bit != 256 && !self.c.next().is_kw(Kw::Binding) {
                        self.c
                            .error_help("expecting 'binding'", "write `next binding state S;`");
                        self.c.skip_to_semi();
                    } else if !self.c.next().is_kw(Kw::State) {
                        self.c
                            .error_help("expecting 'state'", "write `binding state S;`");
                        self.c.skip_to_semi();
                    } else {
                        let st = self.c.next();
                        let new_state = match st.kind {
                            TokKind::Kw(Kw::Abandoned) => BindingState::Abandoned,
                            TokKind::Kw(Kw::Free) => BindingState::Free,
                            TokKind::Kw(Kw::Active) => BindingState::Active,
                            TokKind::Kw(Kw::Expired) => BindingState::Expired,
                            TokKind::Kw(Kw::Released) => BindingState::Released,
                            TokKind::Kw(Kw::Reset) => BindingState::Reset,
                            TokKind::Kw(Kw::Backup) => BindingState::Backup,
                            TokKind::Kw(Kw::Reserved) => {
                                l.reserved = true;
                                BindingState::Active
                            }
                            TokKind::Kw(Kw::Bootp) => {
                                l.bootp = true;
                                BindingState::Active
                            }
                            _ => {
                                let v = self.text(&st);
                                self.c.error_help(
                                    format!("{v}: expecting a binding state."),
                                    "one of free, active, expired, released, abandoned, reset, backup",
                                );
                                self.c.skip_to_semi();
                                return None;
                            }
                        };
                        match bit {
                            256 => {
                                l.binding_state = new_state;
                                if seen & 128 == 0 {
                                    l.next_binding_state = new_state;
                                }
                                if seen & 512 == 0 {
                                    l.rewind_binding_state = new_state;
                                    rewind_set = true;
                                }
                            }
                            128 => l.next_binding_state = new_state,
                            _ => {
                                l.rewind_binding_state = new_state;
                                rewind_set = true;
                            }
                        }
                        self.c.parse_semi();
                    }
                    bit
                }
                TokKind::Kw(Kw::ClientHostname) => {
                    let p = *self.c.peek();
                    let name = if p.kind == TokKind::Str {
                        self.c.parse_string()?
                    } else {
                        match self.c.parse_host_name() {
                            Some(n) => {
                                self.c.parse_semi();
                                n.into_bytes()
                            }
                            None => {
                                self.c.error_help(
                                    "expecting a hostname.",
                                    "write the name in double quotes",
                                );
                                self.c.skip_to_semi();
                                return None;
                            }
                        }
                    };
                    // ISC keeps it as a C string.
                    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                    l.client_hostname = Some(name[..end].to_vec());
                    1024
                }
                TokKind::Kw(Kw::Billing) => {
                    self.billing(&mut l);
                    2048
                }
                TokKind::Kw(Kw::On) => self.on(&mut l)?,
                TokKind::Kw(Kw::Option | Kw::Supersede) => {
                    self.agent_option(&mut l);
                    0
                }
                TokKind::Kw(Kw::Set) => {
                    let n = self.c.next();
                    if !matches!(n.kind, TokKind::Name | TokKind::NumberOrName) {
                        let v = self.text(&n);
                        self.c.error_help(
                            format!("{v} can't be a variable name"),
                            "variable names are identifiers that are not keywords",
                        );
                        self.c.skip_to_semi();
                        return None;
                    }
                    let name = self.text(&n);
                    if !self.c.next().is_punct(b'=') {
                        self.c.error_help(
                            "expecting '=' in set statement.",
                            "write `set NAME = VALUE;`",
                        );
                        self.c.skip_to_semi();
                        return None;
                    }
                    let v = self.binding_value()?;
                    l.bind(&name, v);
                    self.c.parse_semi();
                    0
                }
                _ => {
                    let v = self.text(&t);
                    let bit = if v.eq_ignore_ascii_case("ddns-fwd-name") {
                        4096
                    } else if v.eq_ignore_ascii_case("ddns-rev-name") {
                        8192
                    } else {
                        self.c.error_help(
                            "Unexpected configuration directive.",
                            "this is not a lease field (see dhcpd.leases(5))",
                        );
                        self.c.skip_to_semi();
                        return None;
                    };
                    let val = self.binding_value()?;
                    l.bind(&v, val);
                    self.c.parse_semi();
                    bit
                }
            };
            if seen & seenbit != 0 {
                let mut tbuf = self.text(&t);
                // ISC keeps 31 bytes; cut at a character boundary of our (lossy UTF-8) copy.
                let mut cut = tbuf.len().min(31);
                while !tbuf.is_char_boundary(cut) {
                    cut -= 1;
                }
                tbuf.truncate(cut);
                self.c.error_help(
                    format!("Too many {tbuf} parameters in lease {addr}"),
                    "each field may appear once per lease record",
                );
            } else {
                seen |= seenbit;
            }
        }
        if seen & 256 == 0 {
            let handlers = l.on_expiry.is_some() || l.on_release != OnRelease::None;
            if l.ends > self.opts.now || handlers {
                l.binding_state = BindingState::Active;
                l.next_binding_state = BindingState::Free;
            } else {
                l.binding_state = BindingState::Free;
                l.next_binding_state = BindingState::Free;
            }
            l.rewind_binding_state = l.binding_state;
        } else if !rewind_set {
            // ISC leaves the rewind state unset (0), which is never written: the same as
            // "equal to the binding state".
            l.rewind_binding_state = l.binding_state;
        }
        if seen & 65536 == 0 {
            l.tstp = l.ends;
        }
        Some(l)
    }

    /// `billing class "X";` / `billing subclass "X" VALUE;` (after `billing`).
    fn billing(&mut self, l: &mut Lease) {
        let t = self.c.next();
        if t.is_kw(Kw::Class) {
            let n = self.c.next();
            if n.kind != TokKind::Str {
                self.c
                    .error_help("expecting string", "write `billing class \"NAME\";`");
                if !n.is_punct(b';') {
                    self.c.skip_to_semi();
                }
                return;
            }
            let name = self.text(&n);
            l.billing = None;
            if self
                .opts
                .classes
                .as_ref()
                .is_some_and(|c| !c.contains(&name))
            {
                self.c.error_help(
                    format!("unknown class {name}"),
                    "the configuration declares no class of this name",
                );
            } else {
                l.billing = Some(Billing::Class(name));
            }
            self.c.parse_semi();
        } else if t.is_kw(Kw::Subclass) {
            l.billing = None;
            let n = self.c.next();
            if n.kind != TokKind::Str {
                self.c.error_help(
                    "Expecting class name",
                    "write `billing subclass \"NAME\" VALUE;`",
                );
                self.c.skip_to_semi();
                return;
            }
            let class = self.text(&n);
            let Some(value) = self.subclass_value() else {
                return;
            };
            if self.c.parse_semi() {
                l.billing = Some(Billing::Subclass { class, value });
            }
        } else {
            self.c
                .error_help("expecting \"class\"", "write `billing class \"NAME\";`");
            if !t.is_punct(b';') {
                self.c.skip_to_semi();
            }
        }
    }

    /// A subclass key: a string or colon-separated hex.
    fn subclass_value(&mut self) -> Option<Vec<u8>> {
        let p = *self.c.peek();
        match p.kind {
            TokKind::Str => {
                self.c.skip();
                Some(self.c.text(&p).to_vec())
            }
            TokKind::Number | TokKind::NumberOrName => self.c.parse_cshl(),
            _ => {
                self.c.skip();
                self.c.error_help(
                    "Expecting string or hex list.",
                    "a subclass key is a quoted string or hexadecimal bytes",
                );
                self.c.skip_to_semi();
                None
            }
        }
    }

    /// `parse_on_statement` for a lease: returns the seen-bits, or `None` when the lease is
    /// dropped.
    fn on(&mut self, l: &mut Lease) -> Option<u32> {
        let parsed = {
            let opts = self.opts;
            let sp = self.st.sp.get_or_insert_with(|| new_statement_parser(opts));
            let r = sp.on_statement(&mut self.c);
            sp.reset();
            r
        };
        let Parsed::Ok(Executable::On { events, body }) = parsed else {
            self.c.skip_to_rbrace(1);
            return None;
        };
        let expiry = events.contains(&Event::Expiry);
        let release = events.contains(&Event::Release);
        // ISC keeps no statement list for an empty block (nor for `on expiry;`).
        let Some(stmts) = body.filter(|b| !b.is_empty()) else {
            return Some(0);
        };
        let s = Statements {
            stmts: self.normalize(stmts),
        };
        let mut bits = 0;
        if expiry {
            bits |= 16384;
            if l.on_release == OnRelease::SameAsExpiry
                && !release
                && let Some(old) = l.on_expiry.take()
            {
                l.on_release = OnRelease::Own(old);
            }
            l.on_expiry = Some(s.clone());
        }
        if release {
            bits |= 32768;
            l.on_release = if expiry {
                OnRelease::SameAsExpiry
            } else {
                OnRelease::Own(s)
            };
        }
        Some(bits)
    }

    /// `option agent.NAME VALUE;` inside a lease (after `option` or `supersede`).
    fn agent_option(&mut self, l: &mut Lease) {
        let t = self.c.next();
        if !t.is_identifier() {
            self.c.error_help(
                "expecting identifier after option keyword.",
                "write `option agent.NAME VALUE;`",
            );
            if !t.is_punct(b';') {
                self.c.skip_to_semi();
            }
            return;
        }
        let first = self.text(&t);
        let (space, name) = if self.c.peek_is(b'.') {
            self.c.skip();
            let n = self.c.next();
            if !n.is_identifier() {
                self.c.error_help(
                    "expecting identifier after '.'",
                    "write `option agent.NAME VALUE;`",
                );
                if !n.is_punct(b';') {
                    self.c.skip_to_semi();
                }
                return;
            }
            (first, self.text(&n))
        } else {
            ("dhcp".to_string(), first)
        };
        if !space.eq_ignore_ascii_case("agent") {
            // Only agent options are kept with a lease. ISC parses the value by the
            // option's format first; we skip to the `;`, where ISC ends up as well.
            self.c.skip_to_semi();
            self.c.error_help(
                "agent option expected.",
                "only relay agent sub-options (`option agent.NAME …;`) are stored with a lease",
            );
            return;
        }
        let Some((code, fmt)) = agent_option_by_name(&name) else {
            self.c.error_help(
                format!("no option named {name} in space agent"),
                "agent sub-options: circuit-id, remote-id, agent-id, DOCSIS-device-class, link-selection, relay-port, unknown-N",
            );
            self.c.skip_to_semi();
            return;
        };
        let data = match fmt {
            AgentFormat::Data => match self.parse_x(1024) {
                Some(d) => d,
                None => return,
            },
            AgentFormat::Ip => match self.c.parse_ip_addr() {
                Some(a) => a.octets().to_vec(),
                None => return,
            },
            AgentFormat::U32 => {
                let n = self.c.next();
                if n.kind != TokKind::Number {
                    self.c
                        .error_help("expecting number.", "write a decimal number");
                    self.c.skip_to_semi();
                    return;
                }
                let text = self.c.text(&n).to_vec();
                self.c.convert_num(&text, 0, 32).to_be_bytes().to_vec()
            }
            AgentFormat::Empty => Vec::new(),
        };
        if self.c.parse_semi() {
            l.agent_options.push(AgentOption { code, data });
        }
    }

    /// `parse_binding_value`.
    fn binding_value(&mut self) -> Option<BindingValue> {
        let t = *self.c.peek();
        match t.kind {
            TokKind::Str => {
                self.c.skip();
                Some(BindingValue::Data(self.c.text(&t).to_vec()))
            }
            TokKind::NumberOrName => match self.c.parse_numeric_aggregate(None, b':', 16, 8) {
                Some(v) => Some(BindingValue::Data(v.into_iter().map(|b| b as u8).collect())),
                None => {
                    self.c.skip_to_semi();
                    None
                }
            },
            TokKind::Punct(b'%') => {
                self.c.skip();
                let n = self.c.next();
                if n.kind != TokKind::Number {
                    self.c
                        .error_help("expecting decimal number.", "write `%N` for a number");
                    if !n.is_punct(b';') {
                        self.c.skip_to_semi();
                    }
                    return None;
                }
                Some(BindingValue::Numeric(atoi(self.c.text(&n))))
            }
            TokKind::Name => {
                self.c.skip();
                let v = self.text(&t);
                if v.eq_ignore_ascii_case("true") {
                    Some(BindingValue::Boolean(true))
                } else if v.eq_ignore_ascii_case("false") {
                    Some(BindingValue::Boolean(false))
                } else {
                    self.c
                        .error_help("expecting true or false", "a bare word must be a boolean");
                    self.c.skip_to_semi();
                    None
                }
            }
            _ => {
                self.c.error_help(
                    "expecting a constant value.",
                    "a value is \"text\", hex bytes like 01:02, %N or true/false",
                );
                if !t.is_punct(b';') {
                    self.c.skip_to_semi();
                }
                None
            }
        }
    }

    /// `parse_failover_state_declaration` (after `failover`).
    fn failover_state(&mut self) {
        if !self.c.next().is_kw(Kw::Peer) {
            self.c.error_help(
                "expecting \"peer\"",
                "write `failover peer \"NAME\" state { … }`",
            );
            self.c.skip_to_semi();
            return;
        }
        let t = self.c.next();
        if !(t.is_identifier() || t.kind == TokKind::Str) {
            self.c.error_help(
                "expecting failover peer name.",
                "write `failover peer \"NAME\" state { … }`",
            );
            self.c.skip_to_semi();
            return;
        }
        let peer = self.text(&t);
        let role = match &self.opts.failover_peers {
            None => None,
            Some(peers) => match peers.get(&peer) {
                Some(r) => Some(*r),
                None => {
                    self.c.error_help(
                        format!("unknown failover peer: {peer}"),
                        "the configuration declares no failover peer of this name",
                    );
                    self.c.skip_to_semi();
                    return;
                }
            },
        };
        let t = self.c.next();
        if !t.is_kw(Kw::State) {
            self.c.error_help(
                "expecting 'state'",
                "write `failover peer \"NAME\" state { … }`",
            );
            if !t.is_punct(b';') {
                self.c.skip_to_semi();
            }
            return;
        }
        let t = self.c.next();
        if !t.is_punct(b'{') {
            self.c
                .error_help("expecting left brace", "the states follow in `{ … }`");
            if !t.is_punct(b';') {
                self.c.skip_to_semi();
            }
            return;
        }
        let mut rec = FailoverStateRecord {
            peer,
            me: None,
            partner: None,
            mclt: None,
        };
        loop {
            let t = self.c.next();
            let bogus = match t.kind {
                TokKind::Punct(b'}') => break,
                TokKind::Kw(kw @ (Kw::My | Kw::Partner)) => {
                    if !self.c.next().is_kw(Kw::State) {
                        self.c
                            .error_help("expecting 'state'", "write `my state S at DATE;`");
                        true
                    } else {
                        if let Some(s) = self.peer_state() {
                            if kw == Kw::My {
                                rec.me = Some(s);
                            } else {
                                rec.partner = Some(s);
                            }
                        }
                        false
                    }
                }
                TokKind::Kw(Kw::Mclt) => {
                    if role == Some(FailoverRole::Primary) {
                        self.c.error_help(
                            "mclt not valid for primary",
                            "only the secondary records the MCLT it learned",
                        );
                        true
                    } else {
                        let n = self.c.next();
                        if n.kind != TokKind::Number {
                            self.c
                                .error_help("expecting a number.", "write `mclt SECONDS;`");
                            true
                        } else {
                            rec.mclt = Some(atoi(self.c.text(&n)) as u32);
                            self.c.parse_semi();
                            false
                        }
                    }
                }
                _ => {
                    self.c.error_help(
                        "expecting state setting.",
                        "write `my state S at DATE;`, `partner state S at DATE;` or `mclt N;`",
                    );
                    true
                }
            };
            if bogus {
                self.c.skip_to_rbrace(1);
                break;
            }
        }
        self.records.push(Record::FailoverState(rec));
    }

    /// `parse_failover_state`: `S at DATE;` or `S;` (since now). `None` after an error.
    fn peer_state(&mut self) -> Option<PeerState> {
        let t = self.c.next();
        let state = match t.kind {
            TokKind::Kw(Kw::UnknownState) => Some(FailoverStateName::Unknown),
            TokKind::Kw(Kw::PartnerDown) => Some(FailoverStateName::PartnerDown),
            TokKind::Kw(Kw::Normal) => Some(FailoverStateName::Normal),
            TokKind::Kw(Kw::ConflictDone) => Some(FailoverStateName::ConflictDone),
            TokKind::Kw(Kw::PotentialConflict) => Some(FailoverStateName::PotentialConflict),
            TokKind::Kw(Kw::Recover) => Some(FailoverStateName::Recover),
            TokKind::Kw(Kw::RecoverWait) => Some(FailoverStateName::RecoverWait),
            TokKind::Kw(Kw::RecoverDone) => Some(FailoverStateName::RecoverDone),
            TokKind::Kw(Kw::Shutdown) => Some(FailoverStateName::Shutdown),
            TokKind::Kw(Kw::Paused) => Some(FailoverStateName::Paused),
            TokKind::Kw(Kw::Startup) => Some(FailoverStateName::Startup),
            TokKind::Kw(Kw::CommunicationsInterrupted) => {
                Some(FailoverStateName::CommunicationsInterrupted)
            }
            TokKind::Kw(Kw::ResolutionInterrupted) => {
                Some(FailoverStateName::ResolutionInterrupted)
            }
            // Keywords in ISC that dhcpd-conf's table lacks.
            TokKind::Name => match self.text(&t).to_ascii_lowercase().as_str() {
                "communications-interrupted" => Some(FailoverStateName::CommunicationsInterrupted),
                "resolution-interrupted" => Some(FailoverStateName::ResolutionInterrupted),
                _ => None,
            },
            _ => None,
        };
        let Some(state) = state else {
            self.c.error_help(
                "unknown failover state",
                "states: normal, communications-interrupted, partner-down, recover, recover-wait, recover-done, potential-conflict, conflict-done, resolution-interrupted, shutdown, paused, startup, unknown-state",
            );
            self.c.skip_to_semi();
            return None;
        };
        let t = self.c.next();
        let stos = if t.is_punct(b';') {
            self.opts.now
        } else {
            if !t.is_kw(Kw::At) {
                self.c
                    .error_help("expecting \"at\"", "write `my state S at DATE;`");
                self.c.skip_to_semi();
                return None;
            }
            let d = self.date();
            if d == 0 {
                return None;
            }
            d
        };
        Some(PeerState { state, stos })
    }

    /// `authoring-byte-order little-endian|big-endian;`
    fn authoring_byte_order(&mut self) {
        if self.st.byte_order_set {
            self.c.error_help(
                "authoring-byte-order specified too late.\nIt must occur before the first lease in file",
                "only one authoring-byte-order line, before any ia-* record",
            );
            self.c.skip_to_semi();
            return;
        }
        let t = self.c.next();
        let order = match t.kind {
            TokKind::Kw(Kw::LittleEndian) => ByteOrder::Little,
            TokKind::Kw(Kw::BigEndian) => ByteOrder::Big,
            _ => {
                self.c.error_help(
                    "authoring-byte-order is invalid:  it must be big-endian or little-endian.",
                    "write `authoring-byte-order little-endian;`",
                );
                self.c.skip_to_semi();
                return;
            }
        };
        self.st.byte_order_set = true;
        self.records.push(Record::AuthoringByteOrder(order));
        if order != self.opts.native_byte_order {
            self.c.push(Diagnostic::warning(
                "WARNING: Lease file authored using different byte order, will attempt to convert",
            ));
        }
        if !self.c.next().is_punct(b';') {
            self.c.error_help(
                "corrupt lease file; expecting a semicolon",
                "end the statement with `;`",
            );
            self.c.skip_to_semi();
        }
    }

    /// `server-duid VALUE;` (the lease-file form).
    fn server_duid(&mut self) {
        let Some(v) = self.parse_x(128) else { return };
        if v.len() <= 2 {
            self.c
                .error_help("Invalid duid contents", "a DUID is longer than two bytes");
            self.c.skip_to_semi();
            return;
        }
        self.records.push(Record::ServerDuid(v));
        self.c.parse_semi();
    }

    /// `ia-na|ia-ta|ia-pd ID { … }`: kept as text.
    fn ia(&mut self, kind: IaKind, kw: &Token) {
        let Some(id) = self.parse_x(132) else { return };
        if id.len() <= 5 {
            self.c.error_help(
                "corrupt lease file; iaid+ia_xx string too short",
                "the id is a 4-byte IAID followed by the client DUID",
            );
            self.c.skip_to_semi();
            return;
        }
        if !self.st.byte_order_set {
            self.st.byte_order_set = true;
            self.c.push(Diagnostic::warning(
                "WARNING: authoring-byte-order not in the lease file.\nAssuming file byte order matches this server.",
            ));
        }
        if !self.c.parse_lbrace() {
            return;
        }
        let mut depth = 0u32;
        loop {
            let t = self.c.next();
            if t.is_eof() {
                self.c
                    .error_help("unexpected end of file", "close the record with `}`");
                return;
            }
            if t.is_punct(b'{') {
                depth += 1;
            } else if t.is_punct(b'}') {
                if depth == 0 {
                    let text = String::from_utf8_lossy(
                        self.src
                            .get(kw.pos.offset as usize..t.end as usize)
                            .unwrap_or_default(),
                    )
                    .into_owned();
                    self.records.push(Record::Ia(IaRecord { kind, id, text }));
                    return;
                }
                depth -= 1;
            }
        }
    }

    /// One statement of a host, group or class body, read by `dhcpd-conf` as ISC's
    /// `parse_statement` reads it; its executable statements are appended to `out`
    /// (declarations and class matching rules, which ISC does not write back, are dropped).
    fn body_statement(&mut self, scope: Scope, out: &mut Vec<Executable>) {
        let before = self.c.pos();
        let mut stmts = Vec::new();
        {
            let opts = self.opts;
            let sp = self.st.sp.get_or_insert_with(|| new_statement_parser(opts));
            sp.statement(&mut self.c, scope, &mut stmts);
            sp.reset();
        }
        if self.c.pos() == before && !self.c.peek().is_eof() {
            // Never loop on a token nothing consumed.
            self.c.skip();
        }
        for st in stmts {
            if let Stmt::Exec(_, e) = st {
                out.extend(self.normalize(vec![*e]));
            }
        }
    }

    /// What ISC keeps of parsed statements: option values given as constants become their
    /// bytes (ISC's option cache holds the encoded data), `allow|deny|ignore FLAG` becomes
    /// `supersede server.FLAG = BYTE` (ISC's form), and blocks are treated alike within.
    fn normalize(&self, stmts: Vec<Executable>) -> Vec<Executable> {
        let Some(sp) = &self.st.sp else { return stmts };
        let reg = sp.registry();
        stmts.into_iter().map(|s| normalize_stmt(reg, s)).collect()
    }

    /// `parse_host_declaration` for a lease file (after `host`).
    fn host(&mut self) {
        let Some(name) = self.c.parse_host_name() else {
            self.c.error_help(
                "expecting a name for host declaration.",
                "write `host NAME { … }`",
            );
            self.c.skip_to_semi();
            return;
        };
        if !self.c.parse_lbrace() {
            return;
        }
        let mut h = Host {
            name,
            ..Host::default()
        };
        loop {
            let t = *self.c.peek();
            match t.kind {
                TokKind::Punct(b'}') => {
                    self.c.skip();
                    break;
                }
                TokKind::Eof => {
                    self.c.skip();
                    self.c
                        .error_help("unexpected end of file", "close the host with `}`");
                    break;
                }
                TokKind::Kw(kw @ (Kw::Dynamic | Kw::Deleted)) => {
                    self.c.skip();
                    if kw == Kw::Dynamic {
                        h.dynamic = true;
                    } else {
                        h.deleted = true;
                    }
                    if !self.c.parse_semi() {
                        break;
                    }
                }
                TokKind::Kw(Kw::Group) => {
                    self.c.skip();
                    let n = self.c.next();
                    if !(n.kind == TokKind::Str || n.is_identifier()) {
                        self.c.error_help(
                            "expecting string or identifier.",
                            "write `group \"NAME\";`",
                        );
                        self.c.skip_to_rbrace(1);
                        break;
                    }
                    h.group = Some(self.text(&n));
                    if !self.c.parse_semi() {
                        break;
                    }
                }
                TokKind::Kw(Kw::Uid) => {
                    self.c.skip();
                    if !h.uid.is_empty() {
                        let shown = crate::text::colon_hex(&h.uid);
                        self.c.error_help(
                            format!("Host '{}' already has a uid '{shown}'", h.name),
                            "a host has one uid",
                        );
                        self.c.skip_to_rbrace(1);
                        break;
                    }
                    let p = *self.c.peek();
                    if p.kind == TokKind::Str {
                        self.c.skip();
                        h.uid = self.c.text(&p).to_vec();
                    } else if let Some(v) = self.c.parse_numeric_aggregate(None, b':', 16, 8) {
                        h.uid = v.into_iter().map(|b| b as u8).collect();
                    } else {
                        self.c
                            .error_help("expecting hex list.", "write `uid 01:02:03;`");
                        self.c.skip_to_semi();
                    }
                    if !self.c.parse_semi() {
                        break;
                    }
                }
                TokKind::Kw(Kw::Hardware) => {
                    self.c.skip();
                    if let Some(hw) = self.c.parse_hardware_param() {
                        h.hardware = Some(hw);
                    }
                }
                TokKind::Kw(Kw::FixedAddress) => {
                    self.c.skip();
                    let mut list = Vec::new();
                    while let Some(a) = self.c.parse_ip_addr_or_hostname() {
                        list.push(a);
                        if !self.c.peek_is(b',') {
                            break;
                        }
                        self.c.skip();
                    }
                    if self.c.parse_semi() {
                        h.fixed_address = list;
                    }
                }
                _ => self.body_statement(Scope::Host, &mut h.statements),
            }
        }
        if h.deleted {
            self.host_change = Some((h.name.clone(), false));
            self.records.push(Record::Host(h));
        } else if self.st.live_hosts.contains(&h.name) {
            self.c.error_help(
                format!("host {}: already exists", h.name),
                "delete the earlier host record (`deleted;`) before adding it again",
            );
        } else {
            self.host_change = Some((h.name.clone(), true));
            self.records.push(Record::Host(h));
        }
    }

    /// A group record (after `group`).
    fn group(&mut self) {
        let t = self.c.next();
        if !(t.kind == TokKind::Str || t.is_identifier()) {
            self.c
                .error_help("expecting a group name.", "write `group NAME { … }`");
            self.c.skip_to_semi();
            return;
        }
        let mut g = Group {
            name: self.text(&t),
            ..Group::default()
        };
        if !self.c.parse_lbrace() {
            return;
        }
        loop {
            let t = *self.c.peek();
            match t.kind {
                TokKind::Punct(b'}') => {
                    self.c.skip();
                    break;
                }
                TokKind::Eof => {
                    self.c.skip();
                    self.c
                        .error_help("unexpected end of file", "close the group with `}`");
                    break;
                }
                TokKind::Kw(kw @ (Kw::Dynamic | Kw::Static | Kw::Deleted)) => {
                    self.c.skip();
                    match kw {
                        Kw::Dynamic => g.dynamic = true,
                        Kw::Static => g.is_static = true,
                        _ => g.deleted = true,
                    }
                    if !self.c.parse_semi() {
                        break;
                    }
                }
                _ => self.body_statement(Scope::Group, &mut g.statements),
            }
        }
        self.records.push(Record::Group(g));
    }

    /// A `class "NAME" { … }` or `subclass "NAME" VALUE { … }` record.
    fn class(&mut self, sub: bool) {
        let t = self.c.next();
        if t.kind != TokKind::Str && !t.is_identifier() {
            self.c
                .error_help("Expecting class name", "write `class \"NAME\" { … }`");
            self.c.skip_to_semi();
            return;
        }
        let name = self.text(&t);
        if !sub {
            // Later `add "NAME"` statements may name it, as in ISC.
            let opts = self.opts;
            self.st
                .sp
                .get_or_insert_with(|| new_statement_parser(opts))
                .declare_class(&name);
        }
        let key = if sub {
            let Some(v) = self.subclass_value() else {
                return;
            };
            ClassKey::Subclass(name, v)
        } else {
            ClassKey::Class(name)
        };
        let mut class = Class {
            key,
            deleted: false,
            lease_limit: 0,
            statements: Vec::new(),
        };
        let t = self.c.next();
        if t.is_punct(b';') && sub {
            self.records.push(Record::Class(class));
            return;
        }
        if !t.is_punct(b'{') {
            self.c
                .error_help("expecting left brace", "the class body follows in `{ … }`");
            self.c.skip_to_semi();
            return;
        }
        loop {
            let t = *self.c.peek();
            match t.kind {
                TokKind::Punct(b'}') => {
                    self.c.skip();
                    break;
                }
                TokKind::Eof => {
                    self.c.skip();
                    self.c
                        .error_help("unexpected end of file", "close the class with `}`");
                    break;
                }
                TokKind::Kw(Kw::Dynamic) => {
                    self.c.skip();
                    self.c.parse_semi();
                }
                TokKind::Kw(Kw::Deleted) => {
                    self.c.skip();
                    class.deleted = true;
                    self.c.parse_semi();
                }
                TokKind::Kw(Kw::Lease) if self.c.peek_nth(1).is_kw(Kw::Limit) => {
                    self.c.skip();
                    self.c.skip();
                    let n = self.c.next();
                    if n.kind != TokKind::Number {
                        self.c
                            .error_help("expecting integer", "write `lease limit N;`");
                        self.c.skip_to_semi();
                        continue;
                    }
                    class.lease_limit = atoi(self.c.text(&n)).clamp(0, i64::from(u32::MAX)) as u32;
                    self.c.parse_semi();
                }
                _ => self.body_statement(Scope::Class, &mut class.statements),
            }
        }
        self.records.push(Record::Class(class));
    }
}

/// The statement parser for a file read with `opts`: `add "CLASS"` knows the configured
/// classes, or every class when there is no configuration at hand.
fn new_statement_parser(opts: &LoadOptions) -> StatementParser {
    let mut sp = StatementParser::new();
    match &opts.classes {
        None => sp.accept_any_class(true),
        Some(cs) => cs.iter().for_each(|c| sp.declare_class(c)),
    }
    sp
}

/// See [`Reader::normalize`].
fn normalize_stmt(reg: &Registry, s: Executable) -> Executable {
    let block = |b: Vec<Executable>| -> Vec<Executable> {
        b.into_iter().map(|s| normalize_stmt(reg, s)).collect()
    };
    fn if_stmt(reg: &Registry, i: IfStmt) -> IfStmt {
        IfStmt {
            cond: i.cond,
            then: i.then.into_iter().map(|s| normalize_stmt(reg, s)).collect(),
            otherwise: i.otherwise.map(|e| match e {
                Else::Block(b) => {
                    Else::Block(b.into_iter().map(|s| normalize_stmt(reg, s)).collect())
                }
                Else::ElseIf(i) => Else::ElseIf(Box::new(if_stmt(reg, *i))),
                Else::Elsif(i) => Else::Elsif(Box::new(if_stmt(reg, *i))),
            }),
        }
    }
    match s {
        Executable::Option {
            op,
            name,
            value: OptionValue::Values(groups),
        } => {
            // ISC keeps one constant per value and concatenates them (left to right).
            let format = reg
                .lookup_name(&name.space, &name.name)
                .or_else(|| reg.lookup_code(&name.space, name.code))
                .map(|d| d.format());
            let consts: Option<Vec<Expr>> = format.and_then(|f| {
                groups
                    .iter()
                    .flatten()
                    .filter(|a| !matches!(a, Atom::Empty))
                    .map(|a| {
                        dhcpd_conf::encode::encode_values(f, &[vec![a.clone()]])
                            .map(|bytes| Expr::ConstData { bytes, hex: false })
                    })
                    .collect()
            });
            let value = match consts {
                Some(mut v) if v.len() == 1 => OptionValue::Expr(v.remove(0)),
                Some(v) if !v.is_empty() => OptionValue::Expr(Expr::Concat(v)),
                _ => OptionValue::Values(groups),
            };
            Executable::Option { op, name, value }
        }
        Executable::AllowDeny { verb, flag } => {
            let code = flag.server_code();
            let name = reg
                .lookup_code("server", code)
                .map_or_else(|| flag.keyword().to_string(), |d| d.name().to_string());
            let b = match verb {
                AllowVerb::Allow => 1u8,
                AllowVerb::Deny => 0,
                AllowVerb::Ignore => 2,
            };
            Executable::Option {
                op: dhcpd_conf::exec::OptionOp::Supersede,
                name: OptionName {
                    written_space: Some("server".to_string()),
                    space: "server".to_string(),
                    name,
                    code,
                    known: true,
                },
                value: OptionValue::Expr(Expr::ConstData {
                    bytes: vec![b],
                    hex: true,
                }),
            }
        }
        Executable::If(i) => Executable::If(if_stmt(reg, i)),
        Executable::Switch { expr, body } => Executable::Switch {
            expr,
            body: block(body),
        },
        Executable::On { events, body } => Executable::On {
            events,
            body: body.map(block),
        },
        Executable::Function {
            define,
            name,
            args,
            body,
        } => Executable::Function {
            define,
            name,
            args,
            body: block(body),
        },
        other => other,
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    /// Every record and diagnostic of `src`, read in pieces of `piece` bytes.
    fn read(src: &[u8], piece: usize) -> (Vec<Record>, Vec<String>, bool) {
        let (mut records, mut diags) = (Vec::new(), Vec::new());
        let opts = LoadOptions::default();
        let fatal = parse_pieces("t.leases", src, &opts, piece, |d, r| {
            diags.extend(d.iter().map(|d| d.to_string()));
            records.extend(r);
        })
        .expect("a slice reads");
        (records, diags, fatal)
    }

    /// Reading in small pieces gives what reading the whole file at once gives, for the
    /// fuzz findings kept in this crate (many of them malformed) and, when `DHCPD_RS_CORPUS`
    /// is set (scripts/test.sh always sets it), the corpus's lease files. Without the variable
    /// (the RPM's `%check`, which has no corpus) only the fuzz findings are read; the corpus
    /// integration tests in `tests/corpus.rs` fail loudly when the corpus is missing.
    #[test]
    fn pieces_read_like_the_whole_file() {
        let mut dirs =
            vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-findings")];
        if let Some(corpus) = std::env::var_os("DHCPD_RS_CORPUS") {
            dirs.push(std::path::PathBuf::from(corpus).join("leases"));
        }
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        for dir in dirs {
            let rd = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e} (check DHCPD_RS_CORPUS)", dir.display()));
            files.extend(rd.filter_map(Result::ok).map(|e| e.path()));
        }
        files.sort();
        let mut checked = 0;
        for f in &files {
            let Ok(src) = std::fs::read(f) else { continue };
            let whole = read(&src, src.len() + 1);
            for piece in [1, 2, 3, 5, 7, 13, 64, 4096] {
                let got = read(&src, piece);
                assert_eq!(got.0, whole.0, "{} records, pieces of {piece}", f.display());
                assert_eq!(
                    got.1,
                    whole.1,
                    "{} diagnostics, pieces of {piece}",
                    f.display()
                );
                assert_eq!(got.2, whole.2, "{} fatal, pieces of {piece}", f.display());
            }
            checked += 1;
        }
        assert!(checked > 0, "no lease files found");
    }

    #[test]
    fn a_record_longer_than_a_piece_is_read_whole() {
        let src = b"lease 10.0.0.1 {\n  starts 4 2026/11/26 10:00:00;\n  ends 4 2026/11/26 11:00:00;\n  client-hostname \"a-long-name-for-a-small-piece\";\n}\nlease 10.0.0.2 { ends 4 2026/11/26 11:00:00; }\n";
        let (records, diags, fatal) = read(src, 3);
        assert_eq!(records.len(), 2, "{diags:?}");
        assert!(diags.is_empty(), "{diags:?}");
        assert!(!fatal);
        let Record::Lease(l) = &records[0] else {
            panic!("not a lease: {:?}", records[0]);
        };
        assert_eq!(
            l.client_hostname.as_deref(),
            Some(&b"a-long-name-for-a-small-piece"[..])
        );
    }
}
