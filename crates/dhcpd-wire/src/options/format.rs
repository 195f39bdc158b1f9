//! ISC option format strings (`common/tables.c` letters) and their parsed model.
//!
//! A format string describes the layout of an option's value: `"IA"` is an
//! array of IPv4 addresses, `"fIa"` a flag followed by one or more addresses,
//! `"Enwip."` an encapsulation of the `nwip` option space. [`Format::parse`]
//! turns such a string into a list of [`FormatItem`]s and rejects strings that
//! ISC could not interpret; [`Format::as_str`] gives the original text back.

use std::fmt;

use super::tables::enumeration;

/// One letter (atom or modifier) of an ISC option format string.
///
/// The order of items in a [`Format`] is the order of the letters in the
/// string; modifiers (`o`, `a`, `A`) apply to what precedes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormatItem {
    /// `I`: an IPv4 address (4 bytes).
    Ip4Address,
    /// `6`: an IPv6 address (16 bytes).
    Ip6Address,
    /// `l`: signed 32-bit integer.
    Int32,
    /// `L`: unsigned 32-bit integer.
    Uint32,
    /// `s`: signed 16-bit integer.
    Int16,
    /// `S`: unsigned 16-bit integer.
    Uint16,
    /// `b`: signed 8-bit integer.
    Int8,
    /// `B`: unsigned 8-bit integer.
    Uint8,
    /// `T`: lease time, unsigned 32-bit seconds; all-ones means `infinite`.
    LeaseTime,
    /// `f`: boolean flag (1 byte).
    Flag,
    /// `F`: implicit flag; the presence of the option means true (1 byte).
    ImplicitFlag,
    /// `t`: text (the rest of the option).
    Text,
    /// `X`: string or binary data (the rest of the option).
    String,
    /// `d`: one domain name in RFC 1035 wire form.
    DomainName,
    /// `D` (`Dc` when `compressed`): a list of domain names in RFC 1035 wire
    /// form; compression pointers are emitted only when `compressed`.
    DomainList {
        /// `true` for `Dc`: emit RFC 1035 compression pointers.
        compressed: bool,
    },
    /// `N<name>.`: a value of the named enumeration (see [`enumeration`]).
    Enumeration(String),
    /// `E<space>.`: the rest of the option holds options of `space`;
    /// `E.` (`None`) means the configured vendor option space.
    Encapsulate(Option<String>),
    /// `e`: marker placed first when an `E` is not the first letter.
    EncapsulateMarker,
    /// `U`: the name of an option space (server parameters only).
    SpaceName,
    /// `k`: a key name (server parameters only).
    KeyName,
    /// `Z`: zero-length option.
    ZeroLength,
    /// `o`: the preceding item is optional.
    Optional,
    /// `A`: everything before repeats as a record (array of records).
    ArrayOfRecord,
    /// `a`: the last item before repeats (array of the preceding item).
    ArrayOfLast,
}

impl FormatItem {
    /// The format letter introducing this item (`E`/`N` are followed by a
    /// name and `.` in the string; `Dc` is `D`).
    pub fn letter(&self) -> char {
        match self {
            FormatItem::Ip4Address => 'I',
            FormatItem::Ip6Address => '6',
            FormatItem::Int32 => 'l',
            FormatItem::Uint32 => 'L',
            FormatItem::Int16 => 's',
            FormatItem::Uint16 => 'S',
            FormatItem::Int8 => 'b',
            FormatItem::Uint8 => 'B',
            FormatItem::LeaseTime => 'T',
            FormatItem::Flag => 'f',
            FormatItem::ImplicitFlag => 'F',
            FormatItem::Text => 't',
            FormatItem::String => 'X',
            FormatItem::DomainName => 'd',
            FormatItem::DomainList { .. } => 'D',
            FormatItem::Enumeration(_) => 'N',
            FormatItem::Encapsulate(_) => 'E',
            FormatItem::EncapsulateMarker => 'e',
            FormatItem::SpaceName => 'U',
            FormatItem::KeyName => 'k',
            FormatItem::ZeroLength => 'Z',
            FormatItem::Optional => 'o',
            FormatItem::ArrayOfRecord => 'A',
            FormatItem::ArrayOfLast => 'a',
        }
    }

    /// The integer item for a config type `[signed|unsigned] integer BITS`
    /// (`integer` alone is signed, as in ISC). `None` for widths other than
    /// 8, 16 and 32 (ISC: "N bit precision is not supported.").
    pub fn integer(signed: bool, bits: u32) -> Option<FormatItem> {
        Some(match (signed, bits) {
            (true, 8) => FormatItem::Int8,
            (false, 8) => FormatItem::Uint8,
            (true, 16) => FormatItem::Int16,
            (false, 16) => FormatItem::Uint16,
            (true, 32) => FormatItem::Int32,
            (false, 32) => FormatItem::Uint32,
            _ => return None,
        })
    }

    /// `true` for the modifiers `o`, `A`, `a` (and the `e` marker), which
    /// occupy no bytes of their own.
    pub fn is_modifier(&self) -> bool {
        matches!(
            self,
            FormatItem::Optional
                | FormatItem::ArrayOfRecord
                | FormatItem::ArrayOfLast
                | FormatItem::EncapsulateMarker
        )
    }

    /// Bytes this item occupies on the wire when it has a fixed size.
    ///
    /// `None` for items that take the rest of the option or a
    /// self-delimited length (`t`, `X`, `d`, `D`, `E`, `U`, `k`) and for
    /// modifiers. `Z` is `Some(0)`. An enumeration has the width of the
    /// named built-in enumeration, or 1 if ISC knows no such enumeration.
    pub fn fixed_width(&self) -> Option<usize> {
        match self {
            FormatItem::Ip4Address
            | FormatItem::Int32
            | FormatItem::Uint32
            | FormatItem::LeaseTime => Some(4),
            FormatItem::Ip6Address => Some(16),
            FormatItem::Int16 | FormatItem::Uint16 => Some(2),
            FormatItem::Int8 | FormatItem::Uint8 | FormatItem::Flag | FormatItem::ImplicitFlag => {
                Some(1)
            }
            FormatItem::ZeroLength => Some(0),
            FormatItem::Enumeration(name) => {
                Some(enumeration(name).map_or(1, |e| usize::from(e.width)))
            }
            _ => None,
        }
    }

    fn write_to(&self, out: &mut String) {
        match self {
            FormatItem::DomainList { compressed: true } => out.push_str("Dc"),
            FormatItem::Enumeration(name) => {
                out.push('N');
                out.push_str(name);
                out.push('.');
            }
            FormatItem::Encapsulate(space) => {
                out.push('E');
                if let Some(space) = space {
                    out.push_str(space);
                }
                out.push('.');
            }
            other => out.push(other.letter()),
        }
    }
}

/// Which option space an `E` item encapsulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encapsulation<'a> {
    /// `E.`: the vendor option space configured with `vendor-option-space`.
    VendorSpace,
    /// `E<name>.`: the named option space.
    Space(&'a str),
}

/// A parsed ISC option format string.
///
/// Invariant: `items` is exactly what `text` spells, and `text` is accepted by
/// [`Format::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Format {
    text: String,
    items: Vec<FormatItem>,
}

/// Why a format string was rejected by [`Format::parse`] or
/// [`Format::from_items`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// A letter that is not an ISC format letter.
    UnknownLetter {
        /// Byte offset of the letter in the format string.
        offset: usize,
        /// The letter.
        letter: char,
    },
    /// `E` or `N` without the `.` ending its name.
    UnterminatedName {
        /// Byte offset of the `E`/`N`.
        offset: usize,
    },
    /// A modifier (`o`, `a`, `A`) with no item before it, or `c` not
    /// directly after `D`.
    MisplacedModifier {
        /// Byte offset of the modifier.
        offset: usize,
        /// The modifier letter.
        letter: char,
    },
    /// Letters after an array marker (`A` or `a`), which must come last.
    TrailingAfterArray {
        /// Byte offset of the first letter after the array marker.
        offset: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::UnknownLetter { offset, letter } => {
                write!(f, "unknown format letter {letter:?} at offset {offset}")
            }
            FormatError::UnterminatedName { offset } => {
                write!(f, "name at offset {offset} is not terminated by '.'")
            }
            FormatError::MisplacedModifier { offset, letter } => {
                write!(
                    f,
                    "modifier {letter:?} at offset {offset} has nothing to modify"
                )
            }
            FormatError::TrailingAfterArray { offset } => {
                write!(
                    f,
                    "format letters after the array marker at offset {offset}"
                )
            }
        }
    }
}

impl std::error::Error for FormatError {}

impl Format {
    /// Parses an ISC format string such as `"IA"`, `"Nstatus-codes.to"` or
    /// `"Evendor."`. The empty string is valid (ISC uses it for the `nwip`
    /// `illegal-N` entries): such an option carries no interpretable value.
    pub fn parse(text: &str) -> Result<Format, FormatError> {
        let bytes = text.as_bytes();
        let mut items = Vec::new();
        let mut i = 0;
        let mut seen_array = false;
        while i < bytes.len() {
            if seen_array {
                return Err(FormatError::TrailingAfterArray { offset: i });
            }
            let start = i;
            let letter = bytes[i];
            let item = match letter {
                b'I' => FormatItem::Ip4Address,
                b'6' => FormatItem::Ip6Address,
                b'l' => FormatItem::Int32,
                b'L' => FormatItem::Uint32,
                b's' => FormatItem::Int16,
                b'S' => FormatItem::Uint16,
                b'b' => FormatItem::Int8,
                b'B' => FormatItem::Uint8,
                b'T' => FormatItem::LeaseTime,
                b'f' => FormatItem::Flag,
                b'F' => FormatItem::ImplicitFlag,
                b't' => FormatItem::Text,
                b'X' => FormatItem::String,
                b'd' => FormatItem::DomainName,
                b'D' => {
                    if bytes.get(i + 1) == Some(&b'c') {
                        i += 1;
                        FormatItem::DomainList { compressed: true }
                    } else {
                        FormatItem::DomainList { compressed: false }
                    }
                }
                b'E' | b'N' => {
                    let rest = &text[i + 1..];
                    let Some(dot) = rest.find('.') else {
                        return Err(FormatError::UnterminatedName { offset: start });
                    };
                    let name = rest[..dot].to_string();
                    i += dot + 1;
                    if letter == b'N' {
                        FormatItem::Enumeration(name)
                    } else if name.is_empty() {
                        FormatItem::Encapsulate(None)
                    } else {
                        FormatItem::Encapsulate(Some(name))
                    }
                }
                b'e' => FormatItem::EncapsulateMarker,
                b'U' => FormatItem::SpaceName,
                b'k' => FormatItem::KeyName,
                b'Z' => FormatItem::ZeroLength,
                b'o' | b'a' | b'A' => {
                    let has_operand = items.iter().any(|it: &FormatItem| !it.is_modifier());
                    if !has_operand {
                        return Err(FormatError::MisplacedModifier {
                            offset: start,
                            letter: char::from(letter),
                        });
                    }
                    match letter {
                        b'o' => FormatItem::Optional,
                        b'a' => {
                            seen_array = true;
                            FormatItem::ArrayOfLast
                        }
                        _ => {
                            seen_array = true;
                            FormatItem::ArrayOfRecord
                        }
                    }
                }
                b'c' => {
                    return Err(FormatError::MisplacedModifier {
                        offset: start,
                        letter: 'c',
                    });
                }
                _ => {
                    // Report the whole (possibly multi-byte) character.
                    let letter = text[start..].chars().next().unwrap_or('\u{fffd}');
                    return Err(FormatError::UnknownLetter {
                        offset: start,
                        letter,
                    });
                }
            };
            items.push(item);
            i += 1;
        }
        Ok(Format {
            text: text.to_string(),
            items,
        })
    }

    /// Builds a format from items (e.g. from a config `option ... code N =
    /// TYPE;` definition) and validates it as [`Format::parse`] would.
    pub fn from_items(items: &[FormatItem]) -> Result<Format, FormatError> {
        let mut text = String::new();
        for item in items {
            item.write_to(&mut text);
        }
        Format::parse(&text)
    }

    /// The format `X` (string or hex), ISC's format for undefined options.
    pub fn string() -> Format {
        Format {
            text: "X".to_string(),
            items: vec![FormatItem::String],
        }
    }

    /// The ISC format string, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The items in string order.
    pub fn items(&self) -> &[FormatItem] {
        &self.items
    }

    /// ISC's "has text" test, deciding which options get a NUL appended for
    /// clients that terminate their strings: a `t` or `k` before any of
    /// `A`, `a`, `X`, `x`, `D`, `d`.
    pub fn has_text(&self) -> bool {
        for item in &self.items {
            match item {
                FormatItem::Text | FormatItem::KeyName => return true,
                FormatItem::ArrayOfRecord
                | FormatItem::ArrayOfLast
                | FormatItem::String
                | FormatItem::DomainName
                | FormatItem::DomainList { .. } => return false,
                _ => {}
            }
        }
        false
    }

    /// `true` if the format ends in `A` (array of records).
    pub fn is_record_array(&self) -> bool {
        self.items.last() == Some(&FormatItem::ArrayOfRecord)
    }

    /// `true` if the format ends in `a` (array of the last item).
    pub fn is_last_item_array(&self) -> bool {
        self.items.last() == Some(&FormatItem::ArrayOfLast)
    }

    /// The encapsulated option space, if the format contains an `E` item.
    pub fn encapsulation(&self) -> Option<Encapsulation<'_>> {
        self.items.iter().find_map(|item| match item {
            FormatItem::Encapsulate(None) => Some(Encapsulation::VendorSpace),
            FormatItem::Encapsulate(Some(space)) => Some(Encapsulation::Space(space)),
            _ => None,
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Format {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Format, FormatError> {
        Format::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_simple_and_compound_formats() {
        let f = Format::parse("IA").expect("valid");
        assert_eq!(
            f.items(),
            &[FormatItem::Ip4Address, FormatItem::ArrayOfRecord]
        );
        assert!(f.is_record_array());
        let f = Format::parse("fIa").expect("valid");
        assert_eq!(
            f.items(),
            &[
                FormatItem::Flag,
                FormatItem::Ip4Address,
                FormatItem::ArrayOfLast
            ]
        );
        assert!(f.is_last_item_array());
        let f = Format::parse("Nstatus-codes.to").expect("valid");
        assert_eq!(
            f.items(),
            &[
                FormatItem::Enumeration("status-codes".into()),
                FormatItem::Text,
                FormatItem::Optional
            ]
        );
        assert_eq!(f.items()[0].fixed_width(), Some(2));
        let f = Format::parse("Dc").expect("valid");
        assert_eq!(f.items(), &[FormatItem::DomainList { compressed: true }]);
        assert_eq!(f.as_str(), "Dc");
    }

    #[test]
    fn encapsulation_names() {
        let f = Format::parse("E.").expect("valid");
        assert_eq!(f.encapsulation(), Some(Encapsulation::VendorSpace));
        let f = Format::parse("Evendor-class.").expect("valid");
        assert_eq!(
            f.encapsulation(),
            Some(Encapsulation::Space("vendor-class"))
        );
        let f = Format::parse("BX").expect("valid");
        assert_eq!(f.encapsulation(), None);
    }

    #[test]
    fn rejects_bad_formats() {
        assert_eq!(
            Format::parse("IQ"),
            Err(FormatError::UnknownLetter {
                offset: 1,
                letter: 'Q'
            })
        );
        assert_eq!(
            Format::parse("Efoo"),
            Err(FormatError::UnterminatedName { offset: 0 })
        );
        assert_eq!(
            Format::parse("A"),
            Err(FormatError::MisplacedModifier {
                offset: 0,
                letter: 'A'
            })
        );
        assert_eq!(
            Format::parse("oa"),
            Err(FormatError::MisplacedModifier {
                offset: 0,
                letter: 'o'
            })
        );
        assert_eq!(
            Format::parse("Ic"),
            Err(FormatError::MisplacedModifier {
                offset: 1,
                letter: 'c'
            })
        );
        assert_eq!(
            Format::parse("IAI"),
            Err(FormatError::TrailingAfterArray { offset: 2 })
        );
        assert!(matches!(
            Format::parse("Ié"),
            Err(FormatError::UnknownLetter {
                offset: 1,
                letter: 'é'
            })
        ));
    }

    #[test]
    fn from_items_round_trips_text() {
        for text in [
            "IA",
            "fIa",
            "BB6Ia",
            "Nstatus-codes.to",
            "Eisc.",
            "E.",
            "Dc",
            "D",
            "",
            "eIEfoo.",
        ] {
            let f = Format::parse(text).expect("valid");
            let g = Format::from_items(f.items()).expect("valid");
            assert_eq!(g.as_str(), text);
            assert_eq!(g, f);
        }
    }

    #[test]
    fn integer_constructor_matches_isc_letters() {
        assert_eq!(FormatItem::integer(false, 8).map(|i| i.letter()), Some('B'));
        assert_eq!(FormatItem::integer(true, 16).map(|i| i.letter()), Some('s'));
        assert_eq!(
            FormatItem::integer(false, 32).map(|i| i.letter()),
            Some('L')
        );
        assert_eq!(FormatItem::integer(true, 64), None);
    }
}
