//! The guard record that marks a name as this client's: RFC 4701's DHCID (`ddns-update-style
//! standard`) or ISC's TXT of an MD5 digest (`interim`), and how the lease file keeps it.

use md5::Digest;

use crate::Error;
use crate::message::rtype;
use crate::name::Name;

/// `ddns-update-style`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// RFC 4701 DHCID records.
    Standard,
    /// ISC's TXT records.
    Interim,
}

/// A guard record's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// Which kind.
    pub style: Style,
    /// The RDATA as sent (DHCID: type, digest type, digest; TXT: one length-prefixed string).
    pub rdata: Vec<u8>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The client identity a guard digests, as ISC picks it from the lease.
#[derive(Debug, Clone, Copy)]
pub enum Identity<'a> {
    /// The lease's `uid` (client identifier option, whole).
    ClientId(&'a [u8]),
    /// The hardware type followed by the hardware address (ISC's `hbuf`).
    Hardware(&'a [u8]),
}

impl Guard {
    /// ISC's guard for a lease: `standard` digests the client identifier (identifier type 1;
    /// an RFC 4361 identifier, first octet 255, gives its DUID, type 2) or else the hardware
    /// address (type 0) with the name's wire form, SHA-256; `interim` is the hex MD5 of the
    /// identifier alone, after two hex digits of the type (61 for a client identifier, 0 for
    /// the hardware address), the second one computed modulo 15 as ISC does.
    pub fn for_lease(style: Style, id: Identity<'_>, fwd: &Name) -> Result<Guard, Error> {
        match style {
            Style::Standard => {
                let (ty, data) = match id {
                    Identity::ClientId(u) if u.first() == Some(&255) => {
                        (2u16, u.get(5..).ok_or(Error::ShortIdentifier)?)
                    }
                    Identity::ClientId(u) => (1, u),
                    Identity::Hardware(h) => (0, h),
                };
                let mut d = sha2::Sha256::new();
                d.update(data);
                d.update(fwd.to_wire());
                let mut rdata = ty.to_be_bytes().to_vec();
                rdata.push(1);
                rdata.extend_from_slice(&d.finalize());
                Ok(Guard { style, rdata })
            }
            Style::Interim => {
                let (ty, data) = match id {
                    Identity::ClientId(u) => (61u8, u),
                    Identity::Hardware(h) => (0, h),
                };
                let digest = md5::Md5::digest(data);
                let mut rdata = vec![34, HEX[usize::from(ty >> 4)], HEX[usize::from(ty % 15)]];
                for b in digest {
                    rdata.push(HEX[usize::from(b >> 4)]);
                    rdata.push(HEX[usize::from(b & 0xf)]);
                }
                Ok(Guard { style, rdata })
            }
        }
    }

    /// The RR type.
    pub fn rtype(&self) -> u16 {
        match self.style {
            Style::Standard => rtype::DHCID,
            Style::Interim => rtype::TXT,
        }
    }

    /// The lease variable holding it (`ddns-dhcid` or `ddns-txt`).
    pub fn variable(&self) -> &'static str {
        variable(self.style)
    }

    /// The variable's value: the DHCID RDATA, or the TXT string without its length octet.
    pub fn lease_value(&self) -> Vec<u8> {
        match self.style {
            Style::Standard => self.rdata.clone(),
            Style::Interim => self.rdata.get(1..).unwrap_or_default().to_vec(),
        }
    }

    /// Back from the lease variable.
    pub fn from_lease(style: Style, value: &[u8]) -> Option<Guard> {
        match style {
            Style::Standard => Some(Guard {
                style,
                rdata: value.to_vec(),
            }),
            Style::Interim => {
                let len = u8::try_from(value.len()).ok()?;
                let mut rdata = vec![len];
                rdata.extend_from_slice(value);
                Some(Guard { style, rdata })
            }
        }
    }
}

/// The lease variable of a style's guard.
pub fn variable(style: Style) -> &'static str {
    match style {
        Style::Standard => "ddns-dhcid",
        Style::Interim => "ddns-txt",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4701_example_client_identifier() {
        // RFC 4701 3.6.3: client identifier 01:07:08:09:0a:0b:0c, name chi.example.com.
        let n = Name::parse(b"chi.example.com").unwrap();
        let g = Guard::for_lease(
            Style::Standard,
            Identity::ClientId(&[1, 7, 8, 9, 10, 11, 12]),
            &n,
        )
        .unwrap();
        // AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=
        assert_eq!(
            g.rdata[..8],
            [0x00, 0x01, 0x01, 0x39, 0x20, 0xfe, 0x5d, 0x1d]
        );
        assert_eq!(g.rdata.len(), 35);
        assert_eq!(g.variable(), "ddns-dhcid");
    }

    #[test]
    fn rfc4701_example_hardware() {
        // RFC 4701 3.6.2: htype 1, 01:02:03:04:05:06, client.example.com.
        let n = Name::parse(b"client.example.com").unwrap();
        let g = Guard::for_lease(
            Style::Standard,
            Identity::Hardware(&[1, 1, 2, 3, 4, 5, 6]),
            &n,
        )
        .unwrap();
        // AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=
        assert_eq!(g.rdata[..6], [0x00, 0x00, 0x01, 0xc4, 0xb9, 0xa5]);
    }

    #[test]
    fn interim_txt() {
        let n = Name::parse(b"x.example.org").unwrap();
        let g = Guard::for_lease(Style::Interim, Identity::ClientId(b"\x01abcdef"), &n).unwrap();
        assert_eq!(g.rdata.len(), 35);
        assert_eq!(g.rdata[0], 34);
        assert_eq!(&g.rdata[1..3], b"31"); // 61 = 0x3d; ISC's second digit is 61 % 15
        let v = g.lease_value();
        assert_eq!(v.len(), 34);
        assert_eq!(Guard::from_lease(Style::Interim, &v), Some(g.clone()));
        let hw = Guard::for_lease(Style::Interim, Identity::Hardware(&[1, 2]), &n).unwrap();
        assert_eq!(&hw.rdata[1..3], b"00");
    }
}
