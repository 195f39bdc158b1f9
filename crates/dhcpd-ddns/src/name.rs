//! Domain names: text (as dhcpd.conf and the lease file hold them) to wire labels, and the
//! name compression BIND's renderer applies to the names of an UPDATE message.

use crate::Error;

/// A domain name as wire labels (no root label stored; every name is absolute).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

impl Name {
    /// Parses a name in presentation form: labels separated by `.`, a trailing `.` optional
    /// (the name is absolute either way, as ISC's `MRns_name_pton` makes it), `\.` and
    /// `\DDD` escapes. Refuses empty labels, labels over 63 octets and names over 255.
    pub fn parse(text: &[u8]) -> Result<Name, Error> {
        let mut labels = Vec::new();
        let mut cur = Vec::new();
        let mut i = 0;
        if text == b"." {
            return Ok(Name { labels });
        }
        while i < text.len() {
            let c = text[i];
            match c {
                b'\\' => {
                    let d = text
                        .get(i + 1..i + 4)
                        .filter(|d| d.iter().all(u8::is_ascii_digit));
                    if let Some(d) = d {
                        let v = d.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0'));
                        cur.push(u8::try_from(v).map_err(|_| Error::BadName)?);
                        i += 4;
                    } else {
                        cur.push(*text.get(i + 1).ok_or(Error::BadName)?);
                        i += 2;
                    }
                    continue;
                }
                b'.' => {
                    if cur.is_empty() {
                        return Err(Error::BadName);
                    }
                    labels.push(std::mem::take(&mut cur));
                }
                _ => cur.push(c),
            }
            i += 1;
        }
        if !cur.is_empty() {
            labels.push(cur);
        }
        let n = Name { labels };
        if n.labels.is_empty() || n.labels.iter().any(|l| l.len() > 63) || n.wire_len() > 255 {
            return Err(Error::BadName);
        }
        Ok(n)
    }

    /// The labels, most specific first.
    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// Length of the uncompressed wire form (with the root label).
    pub fn wire_len(&self) -> usize {
        self.labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1
    }

    /// The uncompressed wire form, case kept.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len());
        self.write_plain(&mut out, false);
        out
    }

    /// Appends the uncompressed wire form; `lower`: in canonical (lower-case) form, as TSIG
    /// digests want it.
    pub fn write_plain(&self, out: &mut Vec<u8>, lower: bool) {
        for l in &self.labels {
            out.push(l.len() as u8); // ≤ 63, checked by parse
            if lower {
                out.extend(l.iter().map(u8::to_ascii_lowercase));
            } else {
                out.extend_from_slice(l);
            }
        }
        out.push(0);
    }

    /// The parent names, from the name itself to the last label (not the root).
    pub fn suffixes(&self) -> impl Iterator<Item = Name> + '_ {
        (0..self.labels.len()).map(|i| Name {
            labels: self.labels[i..].to_vec(),
        })
    }

    /// Equal ignoring ASCII case (DNS name equality).
    pub fn eq_ignore_case(&self, other: &Name) -> bool {
        self.labels.len() == other.labels.len()
            && self
                .labels
                .iter()
                .zip(&other.labels)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for l in &self.labels {
            for &b in l {
                match b {
                    b'.' | b'\\' => write!(f, "\\{}", b as char)?,
                    0x21..=0x7e => write!(f, "{}", b as char)?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
            f.write_str(".")?;
        }
        if self.labels.is_empty() {
            f.write_str(".")?;
        }
        Ok(())
    }
}

/// Writes names into a message, pointing at an earlier copy of the longest suffix already
/// written (RFC 1035 4.1.4), as BIND's renderer does for the owner names of a message.
#[derive(Debug, Default)]
pub struct Compressor {
    /// Suffixes written so far (lower-cased labels) and their offsets.
    table: Vec<(Vec<Vec<u8>>, u16)>,
}

impl Compressor {
    /// Appends `name` to `out` (a whole message so far), compressed.
    pub fn write(&mut self, out: &mut Vec<u8>, name: &Name) {
        let lower: Vec<Vec<u8>> = name.labels.iter().map(|l| l.to_ascii_lowercase()).collect();
        for i in 0..lower.len() {
            if let Some(&(_, off)) = self.table.iter().find(|(s, _)| s[..] == lower[i..]) {
                out.extend_from_slice(&(0xc000 | off).to_be_bytes());
                return;
            }
            if let Ok(off) = u16::try_from(out.len()) {
                if off < 0x4000 {
                    self.table.push((lower[i..].to_vec(), off));
                }
            }
            out.push(name.labels[i].len() as u8);
            out.extend_from_slice(&name.labels[i]);
        }
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_wire() {
        let n = Name::parse(b"Host.example.org").unwrap();
        assert_eq!(n.to_wire(), b"\x04Host\x07example\x03org\x00");
        assert_eq!(n, Name::parse(b"Host.example.org.").unwrap());
        assert_eq!(n.to_string(), "Host.example.org.");
        assert!(Name::parse(b"a..b").is_err());
        assert!(Name::parse(&[b'a'; 64]).is_err());
        assert_eq!(Name::parse(b"a\\.b.c").unwrap().labels().len(), 2);
        assert_eq!(Name::parse(b"a\\032b").unwrap().labels()[0], b"a b");
    }

    #[test]
    fn compression_points_at_longest_suffix() {
        let mut out = vec![0u8; 12];
        let mut c = Compressor::default();
        c.write(&mut out, &Name::parse(b"example.org").unwrap());
        c.write(&mut out, &Name::parse(b"HOST.Example.org").unwrap());
        c.write(&mut out, &Name::parse(b"host.example.org").unwrap());
        assert_eq!(
            &out[12..],
            b"\x07example\x03org\x00\x04HOST\xc0\x0c\xc0\x19".as_slice()
        );
    }
}
