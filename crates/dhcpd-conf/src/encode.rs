//! Option values written as constants in dhcpd.conf (and in lease files) turned into the
//! bytes ISC stores for them: one copy, used by the engine (options sent to clients) and the
//! lease-file writer (statements re-printed as ISC does).

use std::fmt::Write as _;

use dhcpd_wire::options::value::{self, Value};
use dhcpd_wire::options::{Format, FormatItem};

use crate::basic::AddrOrName;
use crate::options::{Atom, IntKind};

/// The wire bytes of constant option values (ISC's `parse_option_token` for each atom).
/// `None` when a value cannot be encoded here (a host name where an address goes).
pub fn encode_values(format: &Format, groups: &[Vec<Atom>]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for g in groups {
        for a in g {
            encode_atom(format, a, &mut out)?;
        }
    }
    Some(out)
}

fn encode_atom(format: &Format, a: &Atom, out: &mut Vec<u8>) -> Option<()> {
    match a {
        Atom::Addr(AddrOrName::Addr(ip)) => out.extend_from_slice(&ip.octets()),
        Atom::Addr(AddrOrName::Name(_)) => return None,
        Atom::Addr6(ip) => out.extend_from_slice(&ip.octets()),
        Atom::Int(kind, v) => match kind {
            IntKind::U8 | IntKind::I8 => out.push(*v as u8),
            IntKind::U16 | IntKind::I16 => out.extend_from_slice(&(*v as u16).to_be_bytes()),
            IntKind::U32 | IntKind::I32 => out.extend_from_slice(&v.to_be_bytes()),
        },
        Atom::LeaseTime(v) => out.extend_from_slice(&v.to_be_bytes()),
        Atom::Flag(b) => out.push(*b),
        Atom::Text(t) => out.extend_from_slice(t),
        Atom::Data { bytes, .. } => out.extend_from_slice(bytes),
        Atom::DomainName(n) => {
            let f = Format::parse("d").ok()?;
            out.extend(value::encode(&f, &[Value::DomainName(n.clone())]).ok()?);
        }
        Atom::DomainList(names) => {
            let compressed = format
                .items()
                .contains(&FormatItem::DomainList { compressed: true });
            let f = Format::parse(if compressed { "Dc" } else { "D" }).ok()?;
            let names = names.iter().map(|n| presentation(n)).collect();
            out.extend(value::encode(&f, &[Value::DomainList(names)]).ok()?);
        }
        Atom::Enum(_, v) => {
            let width = format
                .items()
                .iter()
                .find(|i| matches!(i, FormatItem::Enumeration(_)))
                .and_then(FormatItem::fixed_width)
                .unwrap_or(1);
            let bytes = v.to_be_bytes();
            out.extend_from_slice(bytes.get(4usize.saturating_sub(width)..)?);
        }
        Atom::SpaceName(n) | Atom::KeyName(n) => out.extend_from_slice(n.as_bytes()),
        Atom::Empty => {}
    }
    Some(())
}

/// A name as read (bytes, possibly with `\` escapes) in the presentation form the wire
/// encoder takes: bytes outside printable ASCII as `\DDD`.
fn presentation(name: &[u8]) -> String {
    let cut = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    let mut s = String::with_capacity(cut);
    for &b in &name[..cut] {
        if (0x21..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            let _ = write!(s, "\\{b:03}");
        }
    }
    s
}
