//! Evaluating dhcp-eval(5) expressions with ISC dhcpd 4.4's semantics.
//!
//! Every expression evaluates to a value or to *nothing* (ISC's "NULL", a failed evaluation:
//! an absent option, an unset variable, an out-of-range `extract-int` ...). How nothing
//! propagates is ISC's, operator by operator (`common/tree.c`):
//!
//! * `A = B` / `A != B`: both sides nothing → equal; one side nothing → not equal; values of
//!   different types → not equal.
//! * `A and B`: `B` is evaluated only when `A` is true; the result is nothing unless both are
//!   something. `A or B`: `B` is evaluated unless `A` is true; the result is nothing only when
//!   both are nothing (nothing counts as false).
//! * `not A`: nothing when `A` is nothing. `if` treats nothing as false.
//! * `substring`, `suffix`, `concat`, `binary-to-ascii`, … are nothing when an operand is.
//! * `pick-first-value` gives the first operand that is something (an empty string counts).
//! * `~=` / `~~` are nothing when an operand is; a pattern that does not compile is false.
//! * A function call yields a value only where ISC's `evaluate_expression` is used (the operands
//!   of `=`/`!=`, `set`, `return`, `eval`, function arguments). Used directly as a boolean,
//!   data or numeric expression it still runs but yields nothing — ISC's evaluators fall
//!   through to "bogus opcode" there.
//!
//! Numbers are ISC's `unsigned long` (64 bits, wrapping).
//!
//! Sans-IO differences, by design: `gethostbyname("…")` yields nothing (no DNS in the engine);
//! `gethostname()` yields [`Env::hostname`] (nothing unless the caller sets it);
//! `client-state` is nothing (it is only defined in the DHCP client, as in ISC's server).
//! An option value naming a host instead of an address (`option routers gw.example;`) is
//! nothing for the same reason (ISC resolves it with DNS).

use std::collections::HashMap;
use std::rc::Rc;

use dhcpd_conf::exec::{BinOp, Executable, Expr, NamedConst};
use dhcpd_conf::options::OptionName;
use dhcpd_leases::model::{BindingValue, Lease};
use dhcpd_wire::message::Message;
use dhcpd_wire::options::{Encapsulation, FormatItem, Registry};

use crate::scope::{Effect, EvalCtx, OptionSet};

/// How deep function calls, `check` and option encapsulations may nest before evaluation gives
/// up (ISC would overflow its stack and crash).
const MAX_DEPTH: u32 = 64;

/// The value of a variable or of an expression of any type (ISC's `binding_value`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A boolean.
    Boolean(bool),
    /// A number (ISC's `unsigned long`).
    Numeric(u64),
    /// A byte string.
    Data(Vec<u8>),
    /// A function defined with `define NAME (ARGS) { … }`.
    Function(Rc<Function>),
}

impl Value {
    /// The value as a lease binding (`None` for functions, which ISC does not store).
    pub fn to_binding(&self) -> Option<BindingValue> {
        Some(match self {
            Value::Boolean(b) => BindingValue::Boolean(*b),
            Value::Numeric(n) => BindingValue::Numeric(*n as i64),
            Value::Data(d) => BindingValue::Data(d.clone()),
            Value::Function(_) => return None,
        })
    }

    /// A lease binding as a value.
    pub fn from_binding(b: &BindingValue) -> Value {
        match b {
            BindingValue::Boolean(b) => Value::Boolean(*b),
            BindingValue::Numeric(n) => Value::Numeric(*n as u64),
            BindingValue::Data(d) => Value::Data(d.clone()),
        }
    }
}

/// A user-defined function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Argument names.
    pub args: Vec<String>,
    /// Its statements.
    pub body: Vec<Executable>,
}

/// One binding: a name and, unless it was unset, a value.
type Binding = (String, Option<Value>);

/// The per-packet state expressions and statements run against: variable scopes, the client's
/// options decoded into their option spaces, and a few caches.
///
/// Variables live in scopes: scope 0 is the one statements run in (ISC: the lease's binding
/// scope, or the global scope when there is no lease). A function call pushes a scope for its
/// arguments; lookups go from the innermost scope outwards (ISC's dynamic scoping: a function
/// sees its caller's variables). `set` changes the innermost binding of that name, or creates
/// one in the innermost scope. Names compare without case, as in ISC.
#[derive(Debug, Clone, Default)]
pub struct Env {
    frames: Vec<Vec<Binding>>,
    incoming: Option<Incoming>,
    raw: Option<Vec<u8>>,
    regexes: HashMap<(Vec<u8>, bool), Option<regex::bytes::Regex>>,
    depth: u32,
    /// What `gethostname()` yields (nothing when `None`: the engine has no system access).
    pub hostname: Option<Vec<u8>>,
}

impl Env {
    /// An empty environment (no variables).
    pub fn new() -> Env {
        Env::default()
    }

    /// An environment whose scope 0 holds the lease's bindings.
    pub fn for_lease(lease: Option<&Lease>) -> Env {
        let mut env = Env::new();
        if let Some(l) = lease {
            // The lease keeps ISC's list order (newest first); bindings are searched from the
            // end here, so push oldest first.
            for b in l.bindings.iter().rev() {
                env.bind_outer(&b.name, Some(Value::from_binding(&b.value)));
            }
        }
        env
    }

    /// Replays the binding effects of earlier statements (`Set`, `Bind`, `Unset`) onto scope 0.
    pub fn replay(&mut self, effects: &[Effect]) {
        for e in effects {
            match e {
                Effect::Set(n, v) => self.bind_outer(n, Some(Value::Data(v.clone()))),
                Effect::Bind { name, value } => {
                    self.bind_outer(name, Some(Value::from_binding(value)))
                }
                Effect::Unset(n) => {
                    if let Some(slot) = self.find_mut(n) {
                        *slot = None;
                    }
                }
                _ => {}
            }
        }
    }

    /// Adds an option to the client's options as if the packet had carried it (ISC does this
    /// with the relay agent options stashed on a lease when a renewing client's packet has
    /// none). `ctx` must be the context the environment is used with.
    pub fn add_incoming(&mut self, ctx: &EvalCtx<'_>, space: &str, code: u32, data: Vec<u8>) {
        self.incoming_mut(ctx).push(space, code, data);
    }

    /// The value of a variable (`None`: no such variable, or unset).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.find(name)?.as_ref()
    }

    /// Whether a variable exists with a value (ISC's `defined`).
    pub fn defined(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn find(&self, name: &str) -> Option<&Option<Value>> {
        self.frames.iter().rev().find_map(|f| {
            f.iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    }

    fn find_mut(&mut self, name: &str) -> Option<&mut Option<Value>> {
        self.frames.iter_mut().rev().find_map(|f| {
            f.iter_mut()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    }

    /// Binds in scope 0 (replacing an existing binding of the name there).
    fn bind_outer(&mut self, name: &str, value: Option<Value>) {
        if self.frames.is_empty() {
            self.frames.push(Vec::new());
        }
        if let Some(f) = self.frames.first_mut() {
            match f.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                Some(slot) => slot.1 = value,
                None => f.push((name.to_string(), value)),
            }
        }
    }

    /// ISC's `set`: the innermost existing binding, else a new one in the innermost scope.
    /// Returns whether the binding is in scope 0.
    pub(crate) fn set(&mut self, name: &str, value: Option<Value>) -> bool {
        if self.frames.is_empty() {
            self.frames.push(Vec::new());
        }
        let last = self.frames.len() - 1;
        for (i, f) in self.frames.iter_mut().enumerate().rev() {
            if let Some(slot) = f
                .iter_mut()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                slot.1 = value;
                return i == 0;
            }
        }
        if let Some(f) = self.frames.get_mut(last) {
            f.push((name.to_string(), value));
        }
        last == 0
    }

    /// ISC's `unset`: the innermost binding loses its value. Returns whether it was in scope 0
    /// (`None` if there was no such binding).
    pub(crate) fn unset(&mut self, name: &str) -> Option<bool> {
        for (i, f) in self.frames.iter_mut().enumerate().rev() {
            if let Some(slot) = f
                .iter_mut()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                slot.1 = None;
                return Some(i == 0);
            }
        }
        None
    }

    fn incoming_mut(&mut self, ctx: &EvalCtx<'_>) -> &mut Incoming {
        self.incoming.get_or_insert_with(|| match ctx.packet {
            Some(m) => Incoming::from_message(ctx.registry, m),
            None => Incoming::default(),
        })
    }

    fn raw(&mut self, m: &Message) -> &[u8] {
        self.raw
            .get_or_insert_with(|| m.to_vec().unwrap_or_default())
            .as_slice()
    }
}

/// The client's options, decoded into option spaces as ISC's `parse_options` does: the `dhcp`
/// space (instances joined, RFC 3396; an empty `host-name` dropped), and the sub-options of
/// every option whose format encapsulates a space (`agent` for option 82, `fqdn` for 81,
/// `vendor` for 125, the configuration's own spaces). Outside `dhcp` the first instance of a
/// code is the one found, as in ISC.
#[derive(Debug, Clone, Default)]
struct Incoming {
    spaces: HashMap<String, Vec<(u32, Vec<u8>)>>,
}

impl Incoming {
    fn get(&self, space: &str, code: u32) -> Option<&[u8]> {
        self.spaces
            .get(&space.to_ascii_lowercase())?
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, d)| d.as_slice())
    }

    fn push(&mut self, space: &str, code: u32, data: Vec<u8>) {
        self.spaces
            .entry(space.to_ascii_lowercase())
            .or_default()
            .push((code, data));
    }

    fn from_message(reg: &Registry, m: &Message) -> Incoming {
        let mut inc = Incoming::default();
        for o in m.joined_options() {
            if o.code == 12 && o.data.is_empty() {
                continue;
            }
            inc.push("dhcp", u32::from(o.code), o.data);
        }
        // Encapsulations are decoded per instance, as ISC's option parser meets them.
        for o in m.raw_options() {
            inc.decode_encapsulated(reg, "dhcp", u32::from(o.code()), o.data(), None, 0);
        }
        inc
    }

    /// If option `code` of `space` encapsulates a space, decodes `data` into it. `vendor` is
    /// the space an `E.` format stands for (set only by `parse-vendor-option`).
    fn decode_encapsulated(
        &mut self,
        reg: &Registry,
        space: &str,
        code: u32,
        data: &[u8],
        vendor: Option<&str>,
        depth: u32,
    ) {
        let Some(def) = reg.lookup_code(space, code) else {
            return;
        };
        let fmt = def.format();
        if !matches!(
            fmt.items().first(),
            Some(FormatItem::Encapsulate(_) | FormatItem::EncapsulateMarker)
        ) {
            return;
        }
        let target = match fmt.encapsulation() {
            Some(Encapsulation::Space(s)) => s.to_string(),
            Some(Encapsulation::VendorSpace) => match vendor {
                Some(v) => v.to_string(),
                None => return,
            },
            None => return,
        };
        self.decode_space(reg, &target, data, depth + 1);
    }

    /// ISC's `universe->decode` for `space` over `buf`.
    fn decode_space(&mut self, reg: &Registry, space: &str, buf: &[u8], depth: u32) {
        if depth > MAX_DEPTH || space.eq_ignore_ascii_case("server") {
            return;
        }
        if space.eq_ignore_ascii_case("fqdn") {
            self.decode_fqdn(buf);
            return;
        }
        let Some(sp) = reg.space(space) else { return };
        let space_name = sp.name().to_string();
        let cw = usize::from(sp.code_width());
        let lw = usize::from(sp.length_width());
        let end = sp.end_code();
        let read = |at: usize, w: usize| -> Option<u32> {
            let b = buf.get(at..at.checked_add(w)?)?;
            Some(b.iter().fold(0u32, |a, &x| (a << 8) | u32::from(x)))
        };
        let mut off = 0usize;
        while off + cw <= buf.len() {
            let Some(code) = read(off, cw) else { return };
            if code == end {
                break;
            }
            off += cw;
            if code == 0 {
                continue;
            }
            let len = if lw == 0 {
                buf.len().saturating_sub(cw)
            } else {
                if off + lw > buf.len() {
                    return;
                }
                let Some(l) = read(off, lw) else { return };
                l as usize
            };
            off += lw;
            let Some(data) = buf.get(off..off.saturating_add(len)) else {
                return;
            };
            let data = data.to_vec();
            self.decode_encapsulated(reg, &space_name, code, &data, None, depth);
            self.push(&space_name, code, data);
            off += len;
        }
    }

    /// ISC's `fqdn_universe_decode`: option 81 split into the `fqdn` space's sub-options.
    fn decode_fqdn(&mut self, buf: &[u8]) {
        let mut length = buf.len();
        if length < 3 {
            return;
        }
        // ISC's work buffer: [encoded, no-client-update, server-update, rcode1, rcode2,
        // name…] plus slack, the name and rcodes copied from the option.
        let mut d = vec![0u8; length + 4];
        d[3..3 + length - 1].copy_from_slice(&buf[1..length]);
        let flags = buf[0];
        d[0] = u8::from(flags & 4 != 0);
        self.push("fqdn", 3, d[0..1].to_vec());
        d[2] = u8::from(flags & 1 != 0);
        d[1] = u8::from(flags & 2 != 0);
        let slice = |d: &[u8], a: usize, n: usize| d.get(a..a + n).map(<[u8]>::to_vec);
        let mut found: Vec<(u32, Vec<u8>)> = Vec::new();
        if d[0] == 0 {
            if buf[length - 1] == 0 {
                length -= 1;
                d[1] = 1;
            }
            let mut i = 3;
            while i < length && buf[i] != b'.' {
                i += 1;
            }
            let i = i.saturating_sub(3);
            if i > 0 {
                match slice(&d, 5, i) {
                    Some(v) => found.push((6, v)),
                    None => return self.extend(found),
                }
            }
            if length > 4 + i {
                match slice(&d, 6 + i, length - 4 - i) {
                    Some(v) => found.push((7, v)),
                    None => return self.extend(found),
                }
            }
            if length > 3 {
                match slice(&d, 5, length - 3) {
                    Some(v) => found.push((8, v)),
                    None => return self.extend(found),
                }
            }
        } else {
            let mut s = 5usize;
            let mut total = 0usize;
            let mut first = 0usize;
            let mut terminated = false;
            while s < length + 2 {
                let len = usize::from(d[s]);
                if len > 63 || (len != 0 && s + len > length + 3) {
                    return self.extend(found);
                }
                if len == 0 {
                    terminated = true;
                    break;
                }
                if first == 0 {
                    first = len;
                }
                d[s] = b'.';
                s += len + 1;
                total += len + 1;
            }
            total = total.saturating_sub(1);
            if !terminated {
                first = total;
            }
            if first > 0 {
                match slice(&d, 6, first) {
                    Some(v) => found.push((6, v)),
                    None => return self.extend(found),
                }
            }
            if total > 0 && first != total {
                match slice(&d, 6 + first, total - first) {
                    Some(v) => found.push((7, v)),
                    None => return self.extend(found),
                }
            }
            if total > 0 {
                match slice(&d, 6, total) {
                    Some(v) => found.push((8, v)),
                    None => return self.extend(found),
                }
            }
        }
        found.push((1, vec![d[1]]));
        found.push((2, vec![d[2]]));
        found.push((4, vec![d[3]]));
        found.push((5, vec![d[4]]));
        self.extend(found);
    }

    fn extend(&mut self, found: Vec<(u32, Vec<u8>)>) {
        for (c, v) in found {
            self.push("fqdn", c, v);
        }
    }
}

/// Runs expressions (and, through [`crate::scope`], statements) for one client: the context,
/// the environment, the options being built (`None` where ISC has no configuration options,
/// as during classification) and the side effects collected.
pub struct Machine<'m, 'a> {
    /// The client and configuration.
    pub ctx: &'m EvalCtx<'a>,
    /// Variables and decoded options.
    pub env: &'m mut Env,
    /// The options in force so far (`config-option` reads them, statements write them).
    pub out: Option<&'m mut OptionSet>,
    /// Side effects.
    pub effects: &'m mut Vec<Effect>,
}

impl Machine<'_, '_> {
    /// ISC's `evaluate_expression`: a value of whatever type the expression has.
    pub fn any(&mut self, e: &Expr) -> Option<Value> {
        match e {
            Expr::Variable(name) => self.env.get(name).cloned(),
            Expr::FunCall(name, args) => self.call(name, args),
            _ if e.is_boolean() => self.boolean(e).map(Value::Boolean),
            _ if e.is_numeric() => self.numeric(e).map(Value::Numeric),
            _ if e.is_data() => self.data(e).map(Value::Data),
            _ => None,
        }
    }

    /// Calls a user-defined function; its value is what it `return`s.
    fn call(&mut self, name: &str, args: &[Expr]) -> Option<Value> {
        let Some(Value::Function(f)) = self.env.get(name).cloned() else {
            return None;
        };
        if f.args.len() != args.len() || self.env.depth >= MAX_DEPTH {
            return None;
        }
        let mut frame = Vec::with_capacity(args.len());
        for (n, a) in f.args.iter().zip(args) {
            let v = self.any(a);
            frame.push((n.clone(), v));
        }
        self.env.frames.push(frame);
        self.env.depth += 1;
        let r = self.run(&f.body, true);
        self.env.depth -= 1;
        self.env.frames.pop();
        r
    }

    /// ISC's `evaluate_boolean_expression` (`None` = nothing).
    pub fn boolean(&mut self, e: &Expr) -> Option<bool> {
        match e {
            Expr::Check(collection) => Some(self.check(collection)),
            Expr::Binary(op @ (BinOp::Equal | BinOp::NotEqual), l, r) => {
                let a = self.any(l);
                let b = self.any(r);
                let same = match (a, b) {
                    (Some(a), Some(b)) => match (a, b) {
                        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(&x, &y),
                        (a, b) => a == b,
                    },
                    (None, None) => true,
                    _ => false,
                };
                Some(same == (*op == BinOp::Equal))
            }
            Expr::Binary(op @ (BinOp::RegexMatch | BinOp::IRegexMatch), l, r) => {
                let subject = self.data(l);
                let pattern = self.data(r);
                let (Some(s), Some(p)) = (subject, pattern) else {
                    return None;
                };
                let icase = *op == BinOp::IRegexMatch;
                Some(self.regex_match(&s, &p, icase))
            }
            Expr::Binary(BinOp::And, l, r) => {
                let a = self.boolean(l);
                let b = if a == Some(true) {
                    self.boolean(r)
                } else {
                    None
                };
                match (a, b) {
                    (Some(a), Some(b)) => Some(a && b),
                    _ => None,
                }
            }
            Expr::Binary(BinOp::Or, l, r) => {
                let a = self.boolean(l);
                let b = if a != Some(true) {
                    self.boolean(r)
                } else {
                    None
                };
                if a.is_none() && b.is_none() {
                    None
                } else {
                    Some(a.unwrap_or(false) || b.unwrap_or(false))
                }
            }
            Expr::Not(x) => self.boolean(x).map(|b| !b),
            Expr::Exists(name) => Some(self.ctx.packet.is_some() && self.incoming(name).is_some()),
            Expr::Known => self.ctx.packet.map(|_| self.ctx.host.is_some()),
            Expr::Static => Some(self.is_static()),
            Expr::VariableExists(name) => Some(self.env.defined(name)),
            Expr::Variable(name) => match self.env.get(name) {
                Some(Value::Boolean(b)) => Some(*b),
                _ => None,
            },
            Expr::FunCall(name, args) => {
                let _ = self.call(name, args);
                None
            }
            _ => None,
        }
    }

    /// ISC's `evaluate_data_expression` (`None` = nothing).
    pub fn data(&mut self, e: &Expr) -> Option<Vec<u8>> {
        match e {
            Expr::Substring(d, off, len) => {
                let d = self.data(d);
                let off = self.numeric(off);
                let len = self.numeric(len);
                let (d, off, len) = (d?, off?, len?);
                let off = usize::try_from(off).unwrap_or(usize::MAX);
                if off >= d.len() {
                    return Some(Vec::new());
                }
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let end = off.saturating_add(len).min(d.len());
                Some(d[off..end].to_vec())
            }
            Expr::Suffix(d, len) => {
                let d = self.data(d);
                let len = self.numeric(len);
                let (d, len) = (d?, len?);
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                if d.len() > len {
                    Some(d[d.len() - len..].to_vec())
                } else {
                    Some(d)
                }
            }
            Expr::Lcase(d) => self.data(d).map(|mut v| {
                v.make_ascii_lowercase();
                v
            }),
            Expr::Ucase(d) => self.data(d).map(|mut v| {
                v.make_ascii_uppercase();
                v
            }),
            Expr::Option(name) => {
                self.ctx.packet?;
                self.incoming(name).map(<[u8]>::to_vec)
            }
            Expr::ConfigOption(name) => {
                let code = self.code_of(name)?;
                self.out
                    .as_ref()?
                    .get(&name.space, code)
                    .map(<[u8]>::to_vec)
            }
            Expr::Hardware => {
                if let Some(m) = self.ctx.packet {
                    let hlen = usize::from(m.hlen);
                    let ch = m.chaddr.get(..hlen)?;
                    let mut v = Vec::with_capacity(hlen + 1);
                    v.push(m.htype);
                    v.extend_from_slice(ch);
                    Some(v)
                } else {
                    let hw = self.ctx.lease?.hardware.as_ref()?;
                    let mut v = vec![hw.htype];
                    v.extend_from_slice(hw.addr());
                    Some(v)
                }
            }
            Expr::Packet(off, len) => {
                let m = self.ctx.packet?;
                let off = self.numeric(off);
                let len = self.numeric(len);
                let (off, len) = (off?, len?);
                let raw = self.env.raw(m);
                let off = usize::try_from(off).ok().filter(|&o| o < raw.len())?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                let end = off.saturating_add(len).min(raw.len());
                Some(raw[off..end].to_vec())
            }
            Expr::ConstData { bytes, .. } => Some(bytes.clone()),
            Expr::HostLookup(_) => None,
            Expr::Concat(parts) => {
                // ISC's parser nests concat pairwise; every operand is evaluated.
                let mut out = Some(Vec::new());
                for p in parts {
                    let v = self.data(p);
                    out = match (out, v) {
                        (Some(mut o), Some(v)) => {
                            o.extend_from_slice(&v);
                            Some(o)
                        }
                        _ => None,
                    };
                }
                out
            }
            Expr::EncodeInt(n, bits) => {
                let n = self.numeric(n)?;
                Some(match bits {
                    8 => vec![n as u8],
                    16 => (n as u16).to_be_bytes().to_vec(),
                    _ => (n as u32).to_be_bytes().to_vec(),
                })
            }
            Expr::BinaryToAscii(base, width, sep, d) => {
                let base = self.numeric(base);
                let width = self.numeric(width);
                let sep = self.data(sep);
                let d = self.data(d);
                binary_to_ascii(base?, width?, &sep?, &d?)
            }
            Expr::Reverse(width, d) => {
                let w = self.numeric(width);
                let d = self.data(d);
                let (w, d) = (w?, d?);
                let w = usize::try_from(w).ok().filter(|&w| w > 0)?;
                if d.len() % w != 0 {
                    return None;
                }
                Some(d.chunks(w).rev().flatten().copied().collect())
            }
            Expr::LeasedAddress => Some(self.ctx.lease?.addr.octets().to_vec()),
            Expr::PickFirstValue(list) => list.iter().find_map(|x| self.data(x)),
            Expr::HostDeclName => {
                self.ctx.lease?;
                Some(self.ctx.host?.name.as_bytes().to_vec())
            }
            Expr::Null => None,
            Expr::Variable(name) => match self.env.get(name) {
                Some(Value::Data(d)) => Some(d.clone()),
                _ => None,
            },
            Expr::FunCall(name, args) => {
                let _ = self.call(name, args);
                None
            }
            Expr::Filename => {
                let m = self.ctx.packet?;
                raw_field(self.env.raw(m), 108, 128)
            }
            Expr::ServerName => {
                let m = self.ctx.packet?;
                raw_field(self.env.raw(m), 44, 64)
            }
            Expr::GetHostName => self.env.hostname.clone(),
            Expr::V6Relay(n, d) => match self.numeric(n)? {
                0 => self.data(d),
                _ => None,
            },
            _ => None,
        }
    }

    /// ISC's `evaluate_numeric_expression` (`None` = nothing).
    pub fn numeric(&mut self, e: &Expr) -> Option<u64> {
        match e {
            Expr::ExtractInt(d, bits) => {
                let d = self.data(d)?;
                match bits {
                    8 => d.first().map(|&b| u64::from(b)),
                    16 => d
                        .get(..2)
                        .map(|b| u64::from(u16::from_be_bytes([b[0], b[1]]))),
                    _ => d
                        .get(..4)
                        .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
                }
            }
            Expr::ConstInt(n) => Some(*n as u64),
            Expr::Named(c) => Some(named_value(*c)),
            Expr::LeaseTime => {
                let l = self.ctx.lease?;
                if l.ends < self.ctx.now {
                    return None;
                }
                Some((l.ends - self.ctx.now) as u64)
            }
            Expr::ClientState => None,
            Expr::Variable(name) => match self.env.get(name) {
                Some(Value::Numeric(n)) => Some(*n),
                _ => None,
            },
            Expr::FunCall(name, args) => {
                let _ = self.call(name, args);
                None
            }
            Expr::Binary(op, l, r) if e.is_numeric() => {
                let a = self.numeric(l);
                let b = self.numeric(r);
                let (a, b) = (a?, b?);
                match op {
                    BinOp::Add => Some(a.wrapping_add(b)),
                    BinOp::Subtract => Some(a.wrapping_sub(b)),
                    BinOp::Multiply => Some(a.wrapping_mul(b)),
                    BinOp::Divide => a.checked_div(b),
                    BinOp::Remainder => a.checked_rem(b),
                    BinOp::BinaryAnd => Some(a & b),
                    BinOp::BinaryOr => Some(a | b),
                    BinOp::BinaryXor => Some(a ^ b),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The code of an option as named (by name in its space, else the code it was read with).
    fn code_of(&self, name: &OptionName) -> Option<u32> {
        match self.ctx.registry.lookup_name(&name.space, &name.name) {
            Some(d) => Some(d.code()),
            None if name.known => Some(name.code),
            None => None,
        }
    }

    /// The client's option (ISC's `get_option` on the packet's options).
    fn incoming(&mut self, name: &OptionName) -> Option<&[u8]> {
        let code = self.code_of(name)?;
        let ctx = self.ctx;
        self.env.incoming_mut(ctx).get(&name.space, code)
    }

    /// `static`: the lease is a host's fixed address.
    fn is_static(&self) -> bool {
        let (Some(l), Some(h)) = (self.ctx.lease, self.ctx.host) else {
            return false;
        };
        h.fixed
            .iter()
            .any(|a| matches!(a, dhcpd_conf::basic::AddrOrName::Addr(ip) if *ip == l.addr))
    }

    /// `check "COLLECTION"`: whether the client matches a class of the collection (only
    /// `default` exists in ISC). Unlike ISC, the classes matched are not added again.
    fn check(&mut self, collection: &str) -> bool {
        if collection != "default" || self.env.depth >= MAX_DEPTH {
            return false;
        }
        self.env.depth += 1;
        let ctx = self.ctx;
        let r = crate::classify::check_collection(self, ctx);
        self.env.depth -= 1;
        r
    }

    fn regex_match(&mut self, subject: &[u8], pattern: &[u8], icase: bool) -> bool {
        // regexec/regcomp see C strings: both end at the first NUL.
        let cut = |b: &[u8]| b.iter().position(|&c| c == 0).unwrap_or(b.len());
        let pattern = &pattern[..cut(pattern)];
        let subject = &subject[..cut(subject)];
        let re = self
            .env
            .regexes
            .entry((pattern.to_vec(), icase))
            .or_insert_with(|| compile_posix(pattern, icase));
        re.as_ref().is_some_and(|r| r.is_match(subject))
    }

    /// ISC's `parse-vendor-option`: decodes the client's option 43 into the space named by the
    /// `vendor-option-space` parameter, adding its sub-options to the client's options.
    pub(crate) fn parse_vendor_option(&mut self) {
        if self.ctx.packet.is_none() {
            return;
        }
        let reg = self.ctx.registry;
        let Some(space) = self
            .out
            .as_ref()
            .and_then(|o| o.server(reg, "vendor-option-space"))
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
        else {
            return;
        };
        let ctx = self.ctx;
        let inc = self.env.incoming_mut(ctx);
        let Some(data) = inc.get("dhcp", 43).map(<[u8]>::to_vec) else {
            return;
        };
        if data.is_empty() {
            return;
        }
        inc.decode_encapsulated(reg, "dhcp", 43, &data, Some(&space), 0);
    }
}

/// `filename` / `server-name`: the raw field up to its first NUL; nothing if it starts with
/// one.
fn raw_field(raw: &[u8], start: usize, len: usize) -> Option<Vec<u8>> {
    let f = raw.get(start..start + len)?;
    if f.first() == Some(&0) {
        return None;
    }
    let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
    Some(f[..end].to_vec())
}

/// The number a keyword stands for: DNS update results as ISC's result codes, client states
/// as ISC's `enum dhcp_state`.
fn named_value(c: NamedConst) -> u64 {
    // ISC_RESULTCLASS_DHCP (bind 9's result class 6).
    const DHCP: u64 = 6 << 16;
    match c {
        NamedConst::NoError => 0,
        NamedConst::FormErr => 1,
        NamedConst::NotImp => 27,
        NamedConst::ServFail => DHCP + 14,
        NamedConst::NxDomain => DHCP + 15,
        NamedConst::Refused => DHCP + 17,
        NamedConst::YxDomain => DHCP + 18,
        NamedConst::YxRrset => DHCP + 19,
        NamedConst::NxRrset => DHCP + 20,
        NamedConst::NotAuth => DHCP + 21,
        NamedConst::NotZone => DHCP + 22,
        NamedConst::Reboot => 1,
        NamedConst::Booting => 2,
        NamedConst::Select => 3,
        NamedConst::Request => 4,
        NamedConst::Bound => 5,
        NamedConst::Renew => 6,
        NamedConst::Rebind => 7,
    }
}

/// Digits of one number in `base` (ISC's `converted_length`).
fn converted_length(n: u32, base: u32) -> usize {
    if base > 16 {
        return 0;
    }
    let mut power = 1;
    let mut col = base;
    loop {
        let c = col;
        if n < c {
            return power;
        }
        power += 1;
        col = c.wrapping_mul(base);
        if col <= c {
            return power;
        }
    }
}

/// `binary-to-ascii (BASE, WIDTH, SEPARATOR, DATA)`.
fn binary_to_ascii(base: u64, width: u64, sep: &[u8], d: &[u8]) -> Option<Vec<u8>> {
    let w = match width {
        8 => 1,
        16 => 2,
        32 => 4,
        _ => return None,
    };
    if d.len() % w != 0 {
        return None;
    }
    let base = base as u32;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::new();
    let n_chunks = d.len() / w;
    for (i, chunk) in d.chunks(w).enumerate() {
        let mut n = chunk.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        let power = converted_length(n, base);
        if power > 0 {
            // ISC divides by the base: a zero base would trap; give nothing instead.
            if base == 0 {
                return None;
            }
            let start = out.len();
            out.resize(start + power, b'0');
            for k in (0..power).rev() {
                out[start + k] = DIGITS[(n % base) as usize];
                n /= base;
            }
        }
        if i + 1 != n_chunks {
            out.extend_from_slice(sep);
        }
    }
    Some(out)
}

/// Compiles a POSIX extended regular expression (as glibc's `regcomp` with `REG_EXTENDED`, C
/// locale: bytes, `.` matches newlines, `^`/`$` only at the ends). `None` if it does not
/// compile.
fn compile_posix(pattern: &[u8], icase: bool) -> Option<regex::bytes::Regex> {
    let mut s = String::with_capacity(pattern.len() * 2);
    let mut i = 0;
    let mut in_bracket = false;
    while i < pattern.len() {
        let c = pattern[i];
        if in_bracket {
            // Inside [...]: a backslash is literal; `[` starts a class only as `[:`, `[.`, `[=`.
            match c {
                b']' if !bracket_start(pattern, i) => {
                    in_bracket = false;
                    s.push(']');
                }
                b'[' if matches!(pattern.get(i + 1), Some(b':' | b'.' | b'=')) => {
                    let close = [pattern[i + 1], b']'];
                    let rest = &pattern[i + 2..];
                    let end = rest.windows(2).position(|w| w == close)?;
                    let inner = &rest[..end];
                    match pattern[i + 1] {
                        b':' => {
                            s.push_str("[:");
                            s.push_str(std::str::from_utf8(inner).ok()?);
                            s.push_str(":]");
                        }
                        _ => {
                            for &b in inner {
                                push_escaped(&mut s, b);
                            }
                        }
                    }
                    i += 2 + end + 2;
                    continue;
                }
                b'^' if pattern.get(i.wrapping_sub(1)) == Some(&b'[') => s.push('^'),
                b'-' => s.push('-'),
                _ => push_escaped(&mut s, c),
            }
            i += 1;
            continue;
        }
        match c {
            b'[' => {
                in_bracket = true;
                s.push('[');
                // `]` right after `[` or `[^` is a literal.
                let mut j = i + 1;
                if pattern.get(j) == Some(&b'^') {
                    s.push('^');
                    j += 1;
                }
                if pattern.get(j) == Some(&b']') {
                    s.push_str("\\]");
                    j += 1;
                }
                i = j;
                continue;
            }
            b'\\' => {
                let n = *pattern.get(i + 1)?;
                match n {
                    b'w' | b'W' | b's' | b'S' | b'b' | b'B' => {
                        s.push('\\');
                        s.push(n as char);
                    }
                    b'<' => s.push_str("\\b{start}"),
                    b'>' => s.push_str("\\b{end}"),
                    b'`' => s.push_str("\\A"),
                    b'\'' => s.push_str("\\z"),
                    _ => push_escaped(&mut s, n),
                }
                i += 2;
                continue;
            }
            b'.' | b'*' | b'+' | b'?' | b'(' | b')' | b'|' | b'^' | b'$' | b'{' | b'}' => {
                s.push(c as char)
            }
            _ => push_escaped(&mut s, c),
        }
        i += 1;
    }
    if in_bracket {
        return None;
    }
    regex::bytes::RegexBuilder::new(&s)
        .unicode(false)
        .case_insensitive(icase)
        .dot_matches_new_line(true)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// Whether position `i` (a `]`) is the literal first member of a bracket expression.
fn bracket_start(p: &[u8], i: usize) -> bool {
    i >= 1 && (p[i - 1] == b'[' || (i >= 2 && p[i - 1] == b'^' && p[i - 2] == b'['))
}

fn push_escaped(s: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() || b == b' ' || b == b'_' {
        s.push(b as char);
    } else {
        s.push_str(&format!("\\x{b:02x}"));
    }
}

#[cfg(test)]
pub(crate) mod tests;
