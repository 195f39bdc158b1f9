//! Generic value parsers shared by every part of the grammar: semicolons, strings, numbers,
//! dotted and colon-separated aggregates, addresses, host names, hardware addresses, base64.
//!
//! Each consumes and peeks tokens exactly where ISC's equivalent does, reports ISC's message on
//! failure (returning `None`), and recovers the way ISC does, so follow-on errors and line
//! numbers match.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::cursor::Cursor;
use crate::keywords::Kw;
use crate::lexer::{TokKind, Token};

/// An address or a DNS name to be resolved when the value is used.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddrOrName {
    /// A dotted-quad literal.
    Addr(Ipv4Addr),
    /// A host name (dotted identifiers), resolved at run time.
    Name(String),
}

impl std::fmt::Display for AddrOrName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddrOrName::Addr(a) => write!(f, "{a}"),
            AddrOrName::Name(n) => f.write_str(n),
        }
    }
}

/// Longest hardware address ISC keeps (its `HARDWARE_ADDR_LEN`); `hardware` with more bytes
/// is an error in a configuration or lease file.
pub const HARDWARE_ADDR_LEN: usize = 20;

/// A hardware address: ISC's type byte and the address bytes, stored inline (no heap
/// allocation: a configuration can declare 100,000 of them, and lease tables hold one per
/// lease).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HardwareAddr {
    /// ARP hardware type (1 = Ethernet, 6 = token ring, 8 = FDDI, 32 = InfiniBand).
    pub htype: u8,
    /// How many bytes of `bytes` are the address.
    len: u8,
    /// The address, then zeros (always zeros, so the derived comparisons and hash see the
    /// address only).
    bytes: [u8; HARDWARE_ADDR_LEN],
}

impl HardwareAddr {
    /// An address of type `htype`; `None` when `addr` is longer than [`HARDWARE_ADDR_LEN`].
    /// The address may be empty (`hardware ethernet;`).
    pub fn new(htype: u8, addr: &[u8]) -> Option<Self> {
        let mut bytes = [0; HARDWARE_ADDR_LEN];
        bytes.get_mut(..addr.len())?.copy_from_slice(addr);
        Some(HardwareAddr {
            htype,
            len: addr.len() as u8,
            bytes,
        })
    }

    /// An address of type `htype` from the first [`HARDWARE_ADDR_LEN`] bytes of `addr` (for
    /// addresses read from the wire, where 16 bytes is the most a DHCP `chaddr` holds).
    pub fn from_prefix(htype: u8, addr: &[u8]) -> Self {
        let addr = addr.get(..HARDWARE_ADDR_LEN).unwrap_or(addr);
        let mut bytes = [0; HARDWARE_ADDR_LEN];
        bytes[..addr.len()].copy_from_slice(addr);
        HardwareAddr {
            htype,
            len: addr.len() as u8,
            bytes,
        }
    }

    /// The address bytes (without the type).
    pub fn addr(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The keyword ISC writes for this hardware type.
    pub fn type_name(&self) -> String {
        match self.htype {
            1 => "ethernet".into(),
            6 => "token-ring".into(),
            8 => "fddi".into(),
            32 => "infiniband".into(),
            n => format!("unknown-{n}"),
        }
    }
}

impl std::fmt::Debug for HardwareAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HardwareAddr")
            .field("htype", &self.htype)
            .field("addr", &self.addr())
            .finish()
    }
}

impl std::fmt::Display for HardwareAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.type_name())?;
        for (i, b) in self.addr().iter().enumerate() {
            write!(f, "{}{b:02x}", if i == 0 { " " } else { ":" })?;
        }
        Ok(())
    }
}

/// [`Cursor::convert_num`] of a number with nothing to report: 1 to 8 digits of `base` (10 or
/// 16; no sign, no prefix) whose value fits in `bits`. `None`: the general path decides.
#[inline]
pub(crate) fn small_number(text: &[u8], base: u32, bits: u32) -> Option<u32> {
    if text.is_empty() || text.len() > 8 || !(base == 10 || base == 16) || bits > 32 {
        return None;
    }
    let mut val: u64 = 0;
    for &c in text {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' if base == 16 => c - b'a' + 10,
            b'A'..=b'F' if base == 16 => c - b'A' + 10,
            _ => return None,
        };
        val = val * u64::from(base) + u64::from(d);
    }
    (val < 1u64 << bits).then_some(val as u32)
}

/// Characters base64 accepts, mapped to their values (64 = not base64).
fn from64(c: u8) -> u8 {
    match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => 64,
    }
}

impl Cursor<'_> {
    /// `;` or `semicolon expected.` (then skips to the next `;`).
    pub fn parse_semi(&mut self) -> bool {
        if self.next().is_punct(b';') {
            return true;
        }
        self.error_help(
            "semicolon expected.",
            "end the statement with `;` (values with dots, like file names, need quotes)",
        );
        self.skip_to_semi();
        false
    }

    /// `{` or `expecting left brace.` (then skips to the next `;`).
    pub fn parse_lbrace(&mut self) -> bool {
        if self.next().is_punct(b'{') {
            return true;
        }
        self.error_help(
            "expecting left brace.",
            "a declaration's body starts with `{`",
        );
        self.skip_to_semi();
        false
    }

    /// A quoted string followed by `;`.
    pub fn parse_string(&mut self) -> Option<Vec<u8>> {
        let t = self.next();
        if t.kind != TokKind::Str {
            self.error_help("expecting a string", "put the value in double quotes");
            self.skip_to_semi();
            return None;
        }
        let s = self.text(&t).to_vec();
        self.parse_semi().then_some(s)
    }

    /// [`Cursor::convert_num`] of a token's text.
    pub fn convert_token(&mut self, tok: &Token, base: u32, bits: u32) -> u32 {
        match self.source_text(tok) {
            Some(text) => self.convert_num(text, base, bits),
            None => {
                let text = self.text(tok).to_vec();
                self.convert_num(&text, base, bits)
            }
        }
    }

    /// ISC's `convert_num`: `text` as an unsigned number of `bits` bits in `base` (0 = from
    /// the prefix: `0x` hex, `0` octal, else decimal). Bad digits and overflow are reported
    /// (as errors) but a value is still produced, as in ISC. Negative values wrap.
    pub fn convert_num(&mut self, text: &[u8], base: u32, bits: u32) -> u32 {
        // The common case first: a short decimal or hex number in range (every byte of an
        // address, most option values). Anything else takes the general path below.
        if let Some(v) = small_number(text, base, bits) {
            return v;
        }
        self.convert_num_general(text, base, bits)
    }

    /// [`Cursor::convert_num`] without its fast path.
    fn convert_num_general(&mut self, text: &[u8], base: u32, bits: u32) -> u32 {
        // Only needed for error messages; built lazily since numbers are everywhere.
        let shown = || String::from_utf8_lossy(text);
        let mut s = text;
        let negative = s.first() == Some(&b'-');
        if negative {
            s = &s[1..];
        }
        let mut base = base;
        if base == 0 {
            if s.first() == Some(&b'0') {
                if s.get(1) == Some(&b'x') {
                    base = 16;
                    s = &s[2..];
                } else if s.get(1).is_some_and(u8::is_ascii_digit) {
                    base = 8;
                    s = &s[1..];
                } else {
                    base = 10;
                }
            } else {
                base = 10;
            }
        }
        let mut val: u32 = 0;
        // ISC reads at least one character (the terminating NUL of an empty string is "bogus").
        let mut digits = s.iter().copied().peekable();
        if digits.peek().is_none() {
            self.error(format!("Bogus number: {}.", shown()));
        }
        for c in digits {
            let d = if c >= b'a' {
                u32::from(c - b'a') + 10
            } else if c >= b'A' {
                u32::from(c - b'A') + 10
            } else if c >= b'0' {
                u32::from(c - b'0')
            } else {
                self.error(format!("Bogus number: {}.", shown()));
                break;
            };
            if d >= base {
                self.error_help(
                    format!("Bogus number {}: digit {d} not in base {base}", shown()),
                    if base == 16 {
                        "write hexadecimal digits 0-9 and a-f only"
                    } else {
                        "write a decimal number (or 0x… for hexadecimal)"
                    },
                );
                break;
            }
            val = val.wrapping_mul(base).wrapping_add(d);
        }
        let max: u32 = match (bits, negative) {
            (32, false) => u32::MAX,
            (b, false) => (1u32 << b) - 1,
            (b, true) => 1u32 << (b - 1),
        };
        if val > max {
            let sign = if negative { "-" } else { "" };
            let shown_val = match base {
                8 => format!("{val:o}"),
                16 => format!("{val:x}"),
                _ => val.to_string(),
            };
            let max_i = if negative || bits < 32 {
                max as i64
            } else {
                -1
            };
            self.error_help(
                format!("{sign}{shown_val} exceeds max ({max_i}) for precision."),
                format!("the value must fit in {bits} bits"),
            );
        }
        let v = if negative { val.wrapping_neg() } else { val };
        if bits < 32 {
            v & ((1u32 << bits) - 1)
        } else {
            v
        }
    }

    /// ISC's `parse_numeric_aggregate`: numbers separated by `sep`; exactly `count` of them,
    /// or any number when `count` is `None`. Each is converted in `base` to `bits` bits.
    pub fn parse_numeric_aggregate(
        &mut self,
        count: Option<usize>,
        sep: u8,
        base: u32,
        bits: u32,
    ) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        self.numeric_aggregate(count, sep, base, bits, |n| out.push(n))?;
        Some(out)
    }

    /// [`Cursor::parse_numeric_aggregate`] of bytes (`bits` = 8).
    pub fn parse_byte_aggregate(
        &mut self,
        count: Option<usize>,
        sep: u8,
        base: u32,
    ) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.numeric_aggregate(count, sep, base, 8, |n| out.push(n as u8))?;
        Some(out)
    }

    /// The parser of [`Cursor::parse_numeric_aggregate`]: hands each number to `sink` and
    /// returns how many there were (`None` after an error).
    fn numeric_aggregate(
        &mut self,
        count: Option<usize>,
        sep: u8,
        base: u32,
        bits: u32,
        mut sink: impl FnMut(u32),
    ) -> Option<usize> {
        let n = self.fast_numbers(count, sep, base, bits, &mut sink);
        if n > 0 && count == Some(n) {
            return Some(n);
        }
        self.numeric_aggregate_from(n, count, sep, base, bits, sink)
    }

    /// [`Cursor::numeric_aggregate`] token by token, after `n` numbers were read.
    fn numeric_aggregate_from(
        &mut self,
        mut n: usize,
        count: Option<usize>,
        sep: u8,
        base: u32,
        bits: u32,
        mut sink: impl FnMut(u32),
    ) -> Option<usize> {
        loop {
            if n > 0 {
                if !self.peek().is_punct(sep) {
                    if count.is_none() {
                        break;
                    }
                    if !matches!(self.peek_kind(), TokKind::Punct(b'}' | b'{')) {
                        let t = self.next();
                        self.error_help(
                            "too few numbers.",
                            format!(
                                "expected {} numbers separated by `{}`",
                                count.unwrap_or(0),
                                sep as char
                            ),
                        );
                        if !t.is_punct(b';') {
                            self.skip_to_semi();
                        }
                    } else {
                        self.error("too few numbers.");
                        self.skip_to_semi();
                    }
                    return None;
                }
                self.skip();
            }
            let t = self.next();
            if t.is_eof() {
                self.error("unexpected end of file");
                break;
            }
            let ok = t.kind == TokKind::Number || (base == 16 && t.kind == TokKind::NumberOrName);
            if !ok {
                self.error_help(
                    "expecting numeric value.",
                    if sep == b'.' {
                        "write an IPv4 address as four decimal numbers, like 198.51.100.1"
                    } else {
                        "write hexadecimal bytes separated by `:`, like 00:16:3e:01:02:03"
                    },
                );
                self.skip_to_semi();
                return None;
            }
            sink(self.convert_token(&t, base, bits));
            n += 1;
            if count == Some(n) {
                break;
            }
        }
        Some(n)
    }

    /// A dotted-quad IPv4 address (ISC's `parse_ip_addr`).
    pub fn parse_ip_addr(&mut self) -> Option<Ipv4Addr> {
        let mut octets = [0u8; 4];
        let mut k = 0;
        let n = self.numeric_aggregate(Some(4), b'.', 10, 8, |b| {
            if let Some(o) = octets.get_mut(k) {
                *o = b as u8;
            }
            k += 1;
        })?;
        (n == 4).then_some(Ipv4Addr::from(octets))
    }

    /// ISC's `parse_host_name`: identifiers or numbers joined by dots. `None` (no error
    /// reported) when the next token cannot start a name.
    pub fn parse_host_name(&mut self) -> Option<String> {
        let mut name = String::new();
        self.parse_host_name_into(&mut name).then_some(name)
    }

    /// [`Cursor::parse_host_name`] into `name` (cleared first; reused by the caller):
    /// `false` when the next token cannot start a name.
    pub fn parse_host_name_into(&mut self, name: &mut String) -> bool {
        name.clear();
        loop {
            let t = self.peek();
            if !(t.is_identifier() || t.kind == TokKind::Number) {
                break;
            }
            let t = self.next();
            match std::str::from_utf8(self.text(&t)) {
                Ok(text) => name.push_str(text),
                Err(_) => name.push_str(&String::from_utf8_lossy(self.text(&t))),
            }
            if self.peek().is_punct(b'.') {
                self.skip();
                name.push('.');
            } else {
                break;
            }
        }
        !name.is_empty()
    }

    /// Whether the file's bytes right after the number `t` (the next token, nothing else
    /// scanned yet) are `.` and a number, written without spaces: then the two tokens after
    /// `t` are `.` and a number, which is what `parse_ip_addr_or_hostname` looks ahead for,
    /// known without scanning them. `false` only means "not known this way".
    fn number_dot_number_follows(&mut self, t: &Token) -> bool {
        if self.pending() != 1 {
            return false;
        }
        let rest = self.source().get(t.end as usize..).unwrap_or_default();
        let Some((&b'.', after)) = rest.split_first() else {
            return false;
        };
        let (len, all) = crate::lexer::name_run(after);
        len > 0 && all & crate::lexer::DIGIT != 0
    }

    /// ISC's `parse_ip_addr_or_hostname`.
    pub fn parse_ip_addr_or_hostname(&mut self) -> Option<AddrOrName> {
        let t = *self.peek();
        if t.kind == TokKind::Number
            && (self.number_dot_number_follows(&t)
                || (self.peek_nth(1).is_punct(b'.') && self.peek_nth(2).kind == TokKind::Number))
        {
            if let Some(a) = self.parse_ip_addr() {
                return Some(AddrOrName::Addr(a));
            }
            // ISC then goes on to read a host name from whatever follows the error.
            return self.parse_host_name().map(AddrOrName::Name);
        }
        if t.is_identifier() || t.kind == TokKind::Number {
            return self.parse_host_name().map(AddrOrName::Name);
        }
        let mut t = t;
        if !matches!(t.kind, TokKind::Punct(b'}' | b'{')) {
            t = self.next();
        }
        let shown = self.string(&t);
        self.error_help(
            format!(
                "{shown} ({}): expecting IP address or hostname",
                isc_token_number(&t.kind).map_or("keyword".to_string(), |n| n.to_string())
            ),
            "write an IPv4 address like 198.51.100.1 or a host name",
        );
        if !t.is_punct(b';') {
            self.skip_to_semi();
        }
        None
    }

    /// ISC's `parse_ip6_addr`: raw tokens glued together until whitespace, then parsed.
    pub fn parse_ip6_addr(&mut self) -> Option<Ipv6Addr> {
        let mut text = String::new();
        let mut first = true;
        loop {
            let t = *self.peek();
            if !first && t.space_before {
                break;
            }
            let part = match t.kind {
                TokKind::Name | TokKind::NumberOrName => {
                    let s = self.text(&t).to_vec();
                    if s.iter().all(u8::is_ascii_hexdigit) {
                        Some(s)
                    } else {
                        None
                    }
                }
                TokKind::Number | TokKind::Kw(Kw::Add) | TokKind::Punct(b'.' | b':') => {
                    Some(self.text(&t).to_vec())
                }
                _ => None,
            };
            let Some(part) = part else { break };
            self.skip();
            first = false;
            text.push_str(&String::from_utf8_lossy(&part));
            if text.len() >= 46 {
                break;
            }
        }
        match text.parse::<Ipv6Addr>() {
            Ok(a) if text.len() < 46 => Some(a),
            _ => {
                self.error_help(
                    "Invalid IPv6 address.",
                    "write an IPv6 address like 2001:db8::1",
                );
                self.skip_to_semi();
                None
            }
        }
    }

    /// ISC's `parse_cshl`: colon-separated hex bytes (`01:02:aa`).
    pub fn parse_cshl(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let t = self.next();
            if !matches!(t.kind, TokKind::Number | TokKind::NumberOrName) {
                self.error_help(
                    "expecting hexadecimal number.",
                    "write bytes as hexadecimal pairs separated by `:`, like 01:00:16:3e",
                );
                self.skip_to_semi();
                return None;
            }
            out.push(self.convert_token(&t, 16, 8) as u8);
            if !self.peek().is_punct(b':') {
                break;
            }
            self.skip();
        }
        Some(out)
    }

    /// ISC's `parse_hardware_param`: `TYPE HEX-LIST ;` after the `hardware` keyword.
    pub fn parse_hardware_param(&mut self) -> Option<HardwareAddr> {
        let t = self.next();
        let htype = match t.kind {
            TokKind::Kw(Kw::Ethernet) => 1,
            TokKind::Kw(Kw::TokenRing) => 6,
            TokKind::Kw(Kw::Fddi) => 8,
            TokKind::Kw(Kw::Infiniband) => 32,
            _ => {
                let text = self.text(&t).to_vec();
                match text.strip_prefix(b"unknown-") {
                    Some(n) => atoi(n) as u8,
                    None => {
                        self.error_help(
                            "expecting a network hardware type",
                            "use ethernet, token-ring, fddi, infiniband or unknown-N",
                        );
                        self.skip_to_semi();
                        return None;
                    }
                }
            }
        };
        let mut hw = HardwareAddr::new(htype, &[])?;
        if !self.peek().is_punct(b';') {
            let mut bytes = [0u8; HARDWARE_ADDR_LEN];
            let mut n = 0;
            self.numeric_aggregate(None, b':', 16, 8, |b| {
                if let Some(slot) = bytes.get_mut(n) {
                    *slot = b as u8;
                }
                n += 1;
            })?;
            match bytes.get(..n).and_then(|a| HardwareAddr::new(htype, a)) {
                Some(h) => hw = h,
                None => self.error("hardware address too long"),
            }
        }
        if !self.next().is_punct(b';') {
            self.error_help("expecting semicolon.", "end the statement with `;`");
            self.skip_to_semi();
        }
        Some(hw)
    }

    /// ISC's `parse_base64`: tokens glued while they look like base64 (a `+` or `/` splits a
    /// value into several tokens), then decoded.
    pub fn parse_base64(&mut self) -> Option<Vec<u8>> {
        let mut text: Vec<u8> = Vec::new();
        loop {
            let t = self.next();
            text.extend_from_slice(self.text(&t));
            if t.is_eof() {
                break;
            }
            let p = *self.peek();
            let pv = self.text(&p);
            let valid = !p.is_eof()
                && pv
                    .iter()
                    .all(|&c| (b' '..=b'z').contains(&c) && (from64(c) < 64 || c == b'='));
            if !valid {
                break;
            }
        }
        let mut out = Vec::new();
        let (mut acc, mut k, mut terminated) = (0u32, 0usize, false);
        for (i, &c) in text.iter().enumerate() {
            if terminated && c != b'=' {
                self.error(format!(
                    "stuff after base64 '=' terminator: {}.",
                    String::from_utf8_lossy(&text[i..])
                ));
                return None;
            }
            if c == b'=' {
                terminated = true;
            } else {
                let v = from64(c);
                if v == 64 {
                    self.error_help(
                        format!("invalid base64 character {}.", c as i8),
                        "a key secret is base64 text: A-Z a-z 0-9 + / and = padding",
                    );
                    return None;
                }
                acc = (acc << 6) + u32::from(v);
                match k % 4 {
                    1 => {
                        out.push((acc >> 4) as u8);
                        acc &= 0x0f;
                    }
                    2 => {
                        out.push((acc >> 2) as u8);
                        acc &= 0x03;
                    }
                    3 => {
                        out.push(acc as u8);
                        acc = 0;
                    }
                    _ => {}
                }
            }
            k += 1;
        }
        if k % 4 != 0 && acc != 0 {
            self.error(format!("partial base64 value left over: {acc}."));
        }
        (!out.is_empty()).then_some(out)
    }
}

/// C's `atoi`: leading decimal digits (with an optional `-`), 0 when there are none.
pub fn atoi(s: &[u8]) -> i64 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg { -v } else { v }
}

/// The number ISC prints for a token kind in messages like `x (262): expecting …`: single
/// characters are their byte value, strings/numbers/names ISC's token numbers. Keywords have
/// numbers of their own in ISC that we do not reproduce: `None`, and the message says "keyword".
pub fn isc_token_number(kind: &TokKind) -> Option<u32> {
    match kind {
        TokKind::Punct(c) => Some(u32::from(*c)),
        TokKind::Str => Some(262),
        TokKind::Number => Some(263),
        TokKind::NumberOrName => Some(264),
        TokKind::Name => Some(265),
        TokKind::Eof => Some(607),
        TokKind::Kw(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(s: &str) -> Cursor<'_> {
        Cursor::new("t.conf".into(), 0, s.as_bytes())
    }

    /// Everything observable after reading an aggregate: the result, the numbers, the
    /// diagnostics as printed, the error position and every token left in the file.
    fn aggregate_trace(
        text: &str,
        peeked: usize,
        (count, sep, base, bits): (Option<usize>, u8, u32, u32),
        fast: bool,
    ) -> String {
        let mut c = cur(text);
        if text.starts_with("x ") {
            c.skip();
        }
        for k in 0..peeked {
            c.peek_nth(k);
        }
        let mut values = Vec::new();
        let r = if fast {
            c.numeric_aggregate(count, sep, base, bits, |v| values.push(v))
        } else {
            c.numeric_aggregate_from(0, count, sep, base, bits, |v| values.push(v))
        };
        let mut out = format!("{r:?} {values:?} {:?}\n", c.pos());
        for d in c.diagnostics() {
            out.push_str(&format!("{d}\n"));
        }
        loop {
            let t = c.next();
            out.push_str(&format!(
                "{:?} {:?} {:?} {:?}\n",
                t.kind,
                t.pos,
                t.space_before,
                c.text(&t)
            ));
            if t.is_eof() {
                break;
            }
        }
        for d in c.diagnostics() {
            out.push_str(&format!("{d}\n"));
        }
        out
    }

    #[test]
    fn fast_numbers_read_like_tokens() {
        let alphabet = [
            "0", "1", "2", "5", "9", "a", "F", "g", "x", ".", ":", " ", "-", ";", "\n", "25",
            "255", "256",
        ];
        let modes = [
            (Some(4), b'.', 10, 8),
            (None, b':', 16, 8),
            (Some(2), b':', 16, 16),
            (None, b'.', 10, 32),
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        let mut fast_runs = 0;
        let fixed = [
            "10.0.0.1;",
            "x 10.0.0.1 ;",
            "00:16:3e:01:02:03;",
            "10.0.0.1x;",
            "1.2.3",
            "02:00: 01;",
            "0a:0b:add;",
            "ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff:ff;",
            "300.1.1.1;",
            "1.-2.3.4;",
            "1.2.3.4.5;",
            "0x1f:2;",
            "\n 7:8\n;",
        ];
        for text in fixed {
            for mode in modes {
                for peeked in 0..4 {
                    assert_eq!(
                        aggregate_trace(text, peeked, mode, true),
                        aggregate_trace(text, peeked, mode, false),
                        "{text:?} {mode:?} peeked {peeked}"
                    );
                }
            }
        }
        for _ in 0..20000 {
            let len = 1 + next(14);
            let mut text = String::from("x ");
            for _ in 0..len {
                text.push_str(alphabet[next(alphabet.len())]);
            }
            let text = &text[next(3)..];
            let mode = modes[next(modes.len())];
            let peeked = next(4);
            let fast = aggregate_trace(text, peeked, mode, true);
            let slow = aggregate_trace(text, peeked, mode, false);
            assert_eq!(fast, slow, "{text:?} {mode:?} peeked {peeked}");
            let mut probe = cur(text);
            if text.starts_with("x ") {
                probe.skip();
            }
            let (count, sep, base, bits) = mode;
            fast_runs += usize::from(probe.fast_numbers(count, sep, base, bits, &mut |_| {}) > 1);
        }
        assert!(fast_runs > 100, "{fast_runs}");
        // The fast path relies on this: no keyword is a word of one or two hex digits.
        for w in crate::keywords::KEYWORDS {
            assert!(
                w.0.len() > 2 || !w.0.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}",
                w.0
            );
        }
    }

    #[test]
    fn dotted_lookahead_from_bytes_agrees_with_tokens() {
        let alphabet = ["1", "25", "0", ".", " ", "a", "-", "x", ";", "\n", "9z"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut known = 0;
        for _ in 0..5000 {
            let mut text = String::from("1");
            for _ in 0..5 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let mut c = cur(&text);
            let t = *c.peek();
            if t.kind != TokKind::Number || !c.number_dot_number_follows(&t) {
                continue;
            }
            known += 1;
            assert!(
                c.peek_nth(1).is_punct(b'.') && c.peek_nth(2).kind == TokKind::Number,
                "{text:?}"
            );
        }
        assert!(known > 100, "{known}");
    }

    #[test]
    fn ip_and_semicolon() {
        let mut c = cur("10.0.0.1;");
        assert_eq!(c.parse_ip_addr(), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert!(c.parse_semi());
        assert!(!c.has_errors());
    }

    #[test]
    fn too_few_numbers_reports_at_the_bad_token() {
        let mut c = cur("10.0.0\n;");
        assert_eq!(c.parse_ip_addr(), None);
        let d = &c.diagnostics()[0];
        assert_eq!(d.message, "too few numbers.");
        assert_eq!(d.line(), Some(2), "ISC consumes the `;` before reporting");
    }

    #[test]
    fn semicolon_error_is_reported_at_the_consumed_token() {
        let mut c = cur("max-lease-time\n}\n");
        c.skip();
        assert!(!c.parse_semi());
        assert_eq!(c.diagnostics()[0].line(), Some(2));
    }

    #[test]
    fn bogus_numbers_like_isc() {
        let mut c = cur("");
        c.convert_num(b"i", 10, 32);
        assert_eq!(
            c.diagnostics()[0].message,
            "Bogus number i: digit 18 not in base 10"
        );
        let mut c = cur("");
        assert_eq!(c.convert_num(b"300", 10, 8), 300 & 0xff);
        assert_eq!(
            c.diagnostics()[0].message,
            "300 exceeds max (255) for precision."
        );
        let mut c = cur("");
        assert_eq!(c.convert_num(b"0x1f", 0, 32), 31);
        // The fast path agrees with the general one wherever it answers.
        let mut answered = 0;
        for text in [
            &b"0"[..],
            b"9",
            b"255",
            b"256",
            b"ff",
            b"FF",
            b"fg",
            b"100",
            b"65535",
            b"65536",
            b"4294967295",
            b"ffffffff",
            b"fffffffff",
            b"007",
            b"1a",
            b"",
            b"-1",
            b"0x10",
        ] {
            for base in [0, 8, 10, 16] {
                for bits in [8, 16, 32] {
                    if let Some(v) = small_number(text, base, bits) {
                        answered += 1;
                        let mut g = Cursor::new("t".into(), 0, b"");
                        assert_eq!(g.convert_num_general(text, base, bits), v);
                        assert!(g.diagnostics().is_empty(), "{text:?} {base} {bits}");
                    }
                }
            }
        }
        assert!(answered > 20);
        assert!(!c.has_errors());
    }

    #[test]
    fn hardware_and_hostnames() {
        let mut c = cur("ethernet 00:1a:2B:3c:4d:5e; www.example.com 10.1.2.3");
        let h = c.parse_hardware_param().expect("hardware");
        assert_eq!(h.addr(), [0, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e]);
        assert_eq!(h.to_string(), "ethernet 00:1a:2b:3c:4d:5e");
        // ISC keeps up to 20 bytes; one more is an error and leaves the address empty.
        let twenty = vec!["01"; 20].join(":");
        let (t20, t21) = (
            format!("ethernet {twenty};"),
            format!("ethernet {twenty}:02;"),
        );
        let mut c20 = cur(&t20);
        let h = c20.parse_hardware_param().expect("hardware");
        assert_eq!((h.addr(), c20.diagnostics().len()), (&[1u8; 20][..], 0));
        let mut c21 = cur(&t21);
        let h = c21.parse_hardware_param().expect("hardware");
        assert!(h.addr().is_empty());
        assert_eq!(c21.diagnostics()[0].message, "hardware address too long");
        assert_eq!(HardwareAddr::new(1, &[0; 21]), None);
        assert_eq!(HardwareAddr::from_prefix(1, &[7; 21]).addr(), [7; 20]);
        assert_eq!(
            c.parse_ip_addr_or_hostname(),
            Some(AddrOrName::Name("www.example.com".into()))
        );
        assert_eq!(
            c.parse_ip_addr_or_hostname(),
            Some(AddrOrName::Addr(Ipv4Addr::new(10, 1, 2, 3)))
        );
    }

    #[test]
    fn ipv6_glues_raw_tokens() {
        let mut c = cur("2001:db8::1 ;");
        assert_eq!(c.parse_ip6_addr(), Some("2001:db8::1".parse().expect("v6")));
        assert!(c.parse_semi());
    }

    #[test]
    fn base64_split_tokens_and_bad_chars() {
        let mut c = cur("c3R1Ym+rZXk=;");
        assert!(c.parse_base64().is_some());
        assert!(c.peek().is_punct(b';'));
        let mut c = cur("YOUR_HMAC;");
        assert_eq!(c.parse_base64(), None);
        assert_eq!(c.diagnostics()[0].message, "invalid base64 character 95.");
    }
}
