//! Option values decoded from / encoded to wire bytes through a [`Format`]
//! (ISC's rules from `pretty_print_option` and the option parser): fixed
//! atoms take their width, `t`/`X`/`E`/`k`/`U` the rest of the data, `d` one
//! RFC 1035 name, `D` names until the end (`Dc`: compression pointers on
//! encode; pointers are always followed on decode), `o` makes the preceding
//! item optional, `A` repeats the whole record and `a` the last item.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::format::{Format, FormatItem};

/// One decoded value of a format item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Value {
    /// `I`.
    Ip4(Ipv4Addr),
    /// `6`.
    Ip6(Ipv6Addr),
    /// `l`, `s`, `b`.
    Int(i64),
    /// `L`, `S`, `B`, `T`, and `N` (the enumeration's numeric value).
    Uint(u64),
    /// `f`, `F`.
    Flag(bool),
    /// `t`, `k`, `U`: text bytes as sent (not necessarily UTF-8).
    Text(Vec<u8>),
    /// `X`, `E`: raw bytes.
    Bytes(Vec<u8>),
    /// `d`: a name in presentation form (`\.` and `\DDD` escapes).
    DomainName(String),
    /// `D`: names in presentation form.
    DomainList(Vec<String>),
}

/// Why a value could not be decoded or encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueError {
    /// The data ended inside a fixed-size item.
    Truncated {
        /// Offset in the option data.
        offset: usize,
    },
    /// Bytes left after the format was satisfied.
    TrailingBytes {
        /// Offset of the first unused byte.
        offset: usize,
    },
    /// A malformed or looping RFC 1035 name.
    BadDomainName {
        /// Offset of the name in the option data.
        offset: usize,
    },
    /// A value does not match the format item it is encoded for, or is out
    /// of range for it.
    Mismatch {
        /// Index of the value.
        index: usize,
    },
    /// Fewer values than the format requires, or more than it takes.
    WrongCount,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::Truncated { offset } => write!(f, "option data ends at offset {offset}"),
            ValueError::TrailingBytes { offset } => {
                write!(f, "extra bytes in option data from offset {offset}")
            }
            ValueError::BadDomainName { offset } => {
                write!(f, "invalid domain name at offset {offset}")
            }
            ValueError::Mismatch { index } => {
                write!(f, "value {index} does not fit its format item")
            }
            ValueError::WrongCount => f.write_str("wrong number of values for the format"),
        }
    }
}

impl std::error::Error for ValueError {}

/// The items that carry values (modifiers dropped), with optional marks,
/// and how the format repeats.
struct Plan<'a> {
    atoms: Vec<(&'a FormatItem, bool)>,
    repeat: Repeat,
}

#[derive(PartialEq)]
enum Repeat {
    None,
    Record,
    Last,
}

fn plan(format: &Format) -> Plan<'_> {
    let mut atoms: Vec<(&FormatItem, bool)> = Vec::new();
    let mut repeat = Repeat::None;
    for item in format.items() {
        match item {
            FormatItem::Optional => {
                if let Some(last) = atoms.last_mut() {
                    last.1 = true;
                }
            }
            FormatItem::ArrayOfRecord => repeat = Repeat::Record,
            FormatItem::ArrayOfLast => repeat = Repeat::Last,
            FormatItem::EncapsulateMarker | FormatItem::ZeroLength => {}
            other => atoms.push((other, false)),
        }
    }
    Plan { atoms, repeat }
}

/// Decodes option data through a format into values, in order.
pub fn decode(format: &Format, data: &[u8]) -> Result<Vec<Value>, ValueError> {
    let plan = plan(format);
    let mut out = Vec::new();
    let mut pos = 0;
    if plan.atoms.is_empty() {
        return if data.is_empty() {
            Ok(out)
        } else {
            Err(ValueError::TrailingBytes { offset: 0 })
        };
    }
    let mut first = true;
    loop {
        let atoms: &[(&FormatItem, bool)] = if !first && plan.repeat == Repeat::Last {
            &plan.atoms[plan.atoms.len() - 1..]
        } else {
            &plan.atoms
        };
        for &(item, optional) in atoms {
            if optional && pos >= data.len() {
                break;
            }
            out.push(decode_one(item, data, &mut pos)?);
        }
        first = false;
        if plan.repeat == Repeat::None || pos >= data.len() {
            break;
        }
    }
    if pos < data.len() {
        return Err(ValueError::TrailingBytes { offset: pos });
    }
    Ok(out)
}

fn take<'a>(data: &'a [u8], pos: &mut usize, n: usize) -> Result<&'a [u8], ValueError> {
    let s = data
        .get(*pos..*pos + n)
        .ok_or(ValueError::Truncated { offset: *pos })?;
    *pos += n;
    Ok(s)
}

fn uint(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

fn decode_one(item: &FormatItem, data: &[u8], pos: &mut usize) -> Result<Value, ValueError> {
    Ok(match item {
        FormatItem::Ip4Address => {
            let b = take(data, pos, 4)?;
            Value::Ip4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        }
        FormatItem::Ip6Address => {
            let mut a = [0u8; 16];
            a.copy_from_slice(take(data, pos, 16)?);
            Value::Ip6(Ipv6Addr::from(a))
        }
        FormatItem::Int32 => Value::Int(i64::from(uint(take(data, pos, 4)?) as u32 as i32)),
        FormatItem::Int16 => Value::Int(i64::from(uint(take(data, pos, 2)?) as u16 as i16)),
        FormatItem::Int8 => Value::Int(i64::from(uint(take(data, pos, 1)?) as u8 as i8)),
        FormatItem::Flag | FormatItem::ImplicitFlag => Value::Flag(take(data, pos, 1)?[0] != 0),
        FormatItem::Text | FormatItem::KeyName | FormatItem::SpaceName => {
            Value::Text(take(data, pos, data.len() - *pos)?.to_vec())
        }
        FormatItem::String | FormatItem::Encapsulate(_) => {
            Value::Bytes(take(data, pos, data.len() - *pos)?.to_vec())
        }
        FormatItem::DomainName => {
            let start = *pos;
            let (name, next) = read_name(data, start)?;
            *pos = next;
            Value::DomainName(name)
        }
        FormatItem::DomainList { .. } => {
            let mut names = Vec::new();
            while *pos < data.len() {
                let (name, next) = read_name(data, *pos)?;
                names.push(name);
                *pos = next;
            }
            Value::DomainList(names)
        }
        other => {
            // Fixed-width unsigned items: L S B T N.
            let width = other.fixed_width().unwrap_or(1);
            Value::Uint(uint(take(data, pos, width)?))
        }
    })
}

/// Reads one RFC 1035 name at `start`, following compression pointers
/// within `data`; returns the presentation form and the offset after the
/// name's in-place bytes.
fn read_name(data: &[u8], start: usize) -> Result<(String, usize), ValueError> {
    let bad = ValueError::BadDomainName { offset: start };
    let mut labels: Vec<&[u8]> = Vec::new();
    let mut pos = start;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *data.get(pos).ok_or(bad.clone())?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                end.get_or_insert(pos + 1);
                break;
            }
            0x00 => {
                let label = data
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or(bad.clone())?;
                labels.push(label);
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *data.get(pos + 1).ok_or(bad.clone())?;
                end.get_or_insert(pos + 2);
                jumps += 1;
                if jumps > 128 {
                    return Err(bad);
                }
                pos = (usize::from(len & 0x3f) << 8) | usize::from(low);
            }
            _ => return Err(bad),
        }
    }
    let mut name = String::new();
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            name.push('.');
        }
        for &c in *label {
            match c {
                b'.' | b'\\' | b'"' | b';' | b'(' | b')' | b'$' | b'@' => {
                    name.push('\\');
                    name.push(char::from(c));
                }
                0x21..=0x7e => name.push(char::from(c)),
                _ => name.push_str(&format!("\\{c:03}")),
            }
        }
    }
    Ok((name, end.unwrap_or(pos + 1)))
}

/// Splits a presentation-form name into labels (handles `\.`, `\DDD`, a
/// trailing dot). `None` if a label is empty or longer than 63 bytes.
fn labels(name: &str) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                let d = b
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                if let Some(d) = d {
                    let v = d.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0'));
                    cur.push(u8::try_from(v).ok()?);
                    i += 4;
                } else {
                    cur.push(*b.get(i + 1)?);
                    i += 2;
                }
            }
            b'.' => {
                if cur.is_empty() {
                    return None;
                }
                out.push(std::mem::take(&mut cur));
                i += 1;
            }
            c => {
                cur.push(c);
                i += 1;
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.iter().any(|l| l.len() > 63) {
        return None;
    }
    Some(out)
}

/// Appends a name; with `compress`, reuses the longest suffix already
/// written in `out` (RFC 1035 §4.1.4, as BIND's `ns_name_compress`), and
/// records new label positions in `seen`.
fn write_name(out: &mut Vec<u8>, name: &str, compress: Option<&mut Vec<usize>>) -> Option<()> {
    let labels = labels(name)?;
    let mut seen = compress;
    for i in 0..labels.len() {
        if let Some(seen) = seen.as_deref_mut() {
            let suffix = &labels[i..];
            if let Some(&at) = seen.iter().find(|&&at| suffix_at(out, at, suffix)) {
                let ptr = 0xc000u16 | u16::try_from(at).ok()?;
                out.extend_from_slice(&ptr.to_be_bytes());
                return Some(());
            }
            if out.len() < 0x4000 {
                seen.push(out.len());
            }
        }
        let label = &labels[i];
        out.push(u8::try_from(label.len()).ok()?);
        out.extend_from_slice(label);
    }
    out.push(0);
    Some(())
}

/// Whether the name written at `at` in `buf` equals `suffix`
/// (case-insensitive).
fn suffix_at(buf: &[u8], at: usize, suffix: &[Vec<u8>]) -> bool {
    let mut pos = at;
    let mut jumps = 0;
    for label in suffix {
        loop {
            let Some(&len) = buf.get(pos) else {
                return false;
            };
            if len & 0xc0 == 0xc0 {
                let Some(&low) = buf.get(pos + 1) else {
                    return false;
                };
                pos = (usize::from(len & 0x3f) << 8) | usize::from(low);
                jumps += 1;
                if jumps > 128 {
                    return false;
                }
                continue;
            }
            let Some(l) = buf.get(pos + 1..pos + 1 + usize::from(len)) else {
                return false;
            };
            if !l.eq_ignore_ascii_case(label) {
                return false;
            }
            pos += 1 + usize::from(len);
            break;
        }
    }
    // The name must end here too.
    loop {
        match buf.get(pos) {
            Some(0) => return true,
            Some(&len) if len & 0xc0 == 0xc0 => {
                let Some(&low) = buf.get(pos + 1) else {
                    return false;
                };
                pos = (usize::from(len & 0x3f) << 8) | usize::from(low);
                jumps += 1;
                if jumps > 128 {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Encodes values through a format (the inverse of [`decode`]).
pub fn encode(format: &Format, values: &[Value]) -> Result<Vec<u8>, ValueError> {
    let plan = plan(format);
    let mut out = Vec::new();
    let mut seen = Vec::new();
    let mut vi = 0;
    if plan.atoms.is_empty() {
        return if values.is_empty() {
            Ok(out)
        } else {
            Err(ValueError::WrongCount)
        };
    }
    let mut first = true;
    loop {
        let atoms: &[(&FormatItem, bool)] = if !first && plan.repeat == Repeat::Last {
            &plan.atoms[plan.atoms.len() - 1..]
        } else {
            &plan.atoms
        };
        for &(item, optional) in atoms {
            let Some(v) = values.get(vi) else {
                if optional {
                    break;
                }
                return Err(ValueError::WrongCount);
            };
            encode_one(item, v, &mut out, &mut seen).ok_or(ValueError::Mismatch { index: vi })?;
            vi += 1;
        }
        first = false;
        if plan.repeat == Repeat::None || vi >= values.len() {
            break;
        }
    }
    if vi < values.len() {
        return Err(ValueError::WrongCount);
    }
    Ok(out)
}

fn encode_one(
    item: &FormatItem,
    v: &Value,
    out: &mut Vec<u8>,
    seen: &mut Vec<usize>,
) -> Option<()> {
    match (item, v) {
        (FormatItem::Ip4Address, Value::Ip4(a)) => out.extend_from_slice(&a.octets()),
        (FormatItem::Ip6Address, Value::Ip6(a)) => out.extend_from_slice(&a.octets()),
        (FormatItem::Int32, Value::Int(n)) => {
            out.extend_from_slice(&i32::try_from(*n).ok()?.to_be_bytes())
        }
        (FormatItem::Int16, Value::Int(n)) => {
            out.extend_from_slice(&i16::try_from(*n).ok()?.to_be_bytes())
        }
        (FormatItem::Int8, Value::Int(n)) => {
            out.extend_from_slice(&i8::try_from(*n).ok()?.to_be_bytes())
        }
        (FormatItem::Flag | FormatItem::ImplicitFlag, Value::Flag(b)) => out.push(u8::from(*b)),
        (FormatItem::Text | FormatItem::KeyName | FormatItem::SpaceName, Value::Text(t)) => {
            out.extend_from_slice(t)
        }
        (FormatItem::String | FormatItem::Encapsulate(_), Value::Bytes(b)) => {
            out.extend_from_slice(b)
        }
        (FormatItem::DomainName, Value::DomainName(n)) => write_name(out, n, None)?,
        (FormatItem::DomainList { compressed }, Value::DomainList(names)) => {
            for n in names {
                write_name(out, n, compressed.then_some(&mut *seen))?;
            }
        }
        (other, Value::Uint(n)) => {
            let width = match other {
                FormatItem::Uint32 | FormatItem::LeaseTime => 4,
                FormatItem::Uint16 => 2,
                FormatItem::Uint8 => 1,
                FormatItem::Enumeration(_) => other.fixed_width()?,
                _ => return None,
            };
            if width < 8 && *n >> (8 * width) != 0 {
                return None;
            }
            out.extend_from_slice(&n.to_be_bytes()[8 - width..]);
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Format {
        Format::parse(s).expect("valid format")
    }

    #[test]
    fn arrays_and_records() {
        let data = [10, 0, 0, 1, 10, 0, 0, 2];
        let v = decode(&f("IA"), &data).expect("decodes");
        assert_eq!(
            v,
            [
                Value::Ip4(Ipv4Addr::new(10, 0, 0, 1)),
                Value::Ip4(Ipv4Addr::new(10, 0, 0, 2))
            ]
        );
        assert_eq!(encode(&f("IA"), &v).as_deref(), Ok(&data[..]));
        // fIa: a flag then addresses.
        let data = [1, 1, 2, 3, 4, 5, 6, 7, 8];
        let v = decode(&f("fIa"), &data).expect("decodes");
        assert_eq!(v.len(), 3);
        assert_eq!(v[0], Value::Flag(true));
        assert_eq!(encode(&f("fIa"), &v).as_deref(), Ok(&data[..]));
        // IIA static routes: pairs; an odd address is an error.
        assert!(decode(&f("IIA"), &[1, 2, 3, 4, 5, 6, 7, 8]).is_ok());
        assert_eq!(
            decode(&f("IIA"), &[1, 2, 3, 4]),
            Err(ValueError::Truncated { offset: 4 })
        );
        assert_eq!(
            decode(&f("B"), &[1, 2]),
            Err(ValueError::TrailingBytes { offset: 1 })
        );
    }

    #[test]
    fn optional_and_integers() {
        assert_eq!(decode(&f("fto"), &[0]), Ok(vec![Value::Flag(false)]));
        assert_eq!(
            decode(&f("fto"), b"\x01abc"),
            Ok(vec![Value::Flag(true), Value::Text(b"abc".to_vec())])
        );
        assert_eq!(
            decode(&f("l"), &[0xff, 0xff, 0xff, 0xfe]),
            Ok(vec![Value::Int(-2)])
        );
        assert_eq!(decode(&f("S"), &[1, 0]), Ok(vec![Value::Uint(256)]));
        assert_eq!(
            encode(&f("B"), &[Value::Uint(256)]),
            Err(ValueError::Mismatch { index: 0 })
        );
        assert_eq!(encode(&f("b"), &[Value::Int(-1)]), Ok(vec![0xff]));
        let status = decode(&f("Nstatus-codes.to"), &[0, 2, b'x']).expect("decodes");
        assert_eq!(status, [Value::Uint(2), Value::Text(b"x".to_vec())]);
    }

    #[test]
    fn domain_names() {
        let v = vec![Value::DomainName("a.example".into())];
        let wire = encode(&f("d"), &v).expect("encodes");
        assert_eq!(wire, b"\x01a\x07example\x00");
        assert_eq!(decode(&f("d"), &wire), Ok(v));
        let list = vec![Value::DomainList(vec![
            "a.example.com".into(),
            "b.example.com".into(),
        ])];
        let plain = encode(&f("D"), &list).expect("encodes");
        let compressed = encode(&f("Dc"), &list).expect("encodes");
        assert_eq!(compressed, b"\x01a\x07example\x03com\x00\x01b\xc0\x02");
        assert!(compressed.len() < plain.len());
        assert_eq!(decode(&f("Dc"), &compressed), Ok(list.clone()));
        assert_eq!(decode(&f("D"), &plain), Ok(list));
        // A pointer loop is an error, not a hang.
        assert_eq!(
            decode(&f("D"), &[0xc0, 0x00]),
            Err(ValueError::BadDomainName { offset: 0 })
        );
        // Escapes survive a round trip.
        let odd = vec![Value::DomainName("a\\.b.c\\032d".into())];
        let wire = encode(&f("d"), &odd).expect("encodes");
        assert_eq!(wire, b"\x03a.b\x03c d\x00");
        assert_eq!(decode(&f("d"), &wire), Ok(odd));
    }
}
