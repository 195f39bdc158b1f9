//! The mutable option table used while reading a configuration: the built-in
//! spaces plus user `option space` declarations and `option ... code`
//! definitions, with ISC's replacement rules.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;
use std::fmt;

use super::format::{Encapsulation, Format, FormatError};
use super::tables::BUILTIN_SPACES;

/// One option definition: a name and code in an option space, with a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionDef {
    space: Cow<'static, str>,
    name: Cow<'static, str>,
    code: u32,
    format: Format,
}

impl OptionDef {
    /// A definition with the given parts.
    pub fn new(
        space: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
        code: u32,
        format: Format,
    ) -> OptionDef {
        OptionDef {
            space: space.into(),
            name: name.into(),
            code,
            format,
        }
    }

    /// The definition ISC manufactures for `unknown-CODE`: name
    /// `unknown-CODE`, format `X` (string or hex).
    pub fn unknown(space: impl Into<Cow<'static, str>>, code: u32) -> OptionDef {
        OptionDef {
            space: space.into(),
            name: Cow::Owned(format!("unknown-{code}")),
            code,
            format: Format::string(),
        }
    }

    /// Option space name (`dhcp`, `agent`, a user space ...).
    pub fn space(&self) -> &str {
        &self.space
    }

    /// Option name as defined (original case).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Option code within its space.
    pub fn code(&self) -> u32 {
        self.code
    }

    /// The parsed format.
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The ISC format string (same as `self.format().as_str()`).
    pub fn format_str(&self) -> &str {
        self.format.as_str()
    }
}

/// The option that encapsulates a space: (space name, code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentOption {
    /// Space of the encapsulating option.
    pub space: String,
    /// Code of the encapsulating option.
    pub code: u32,
}

/// Looks `name` up in a map keyed by lowercased names, without building the lowercased
/// name when it is lowercase already (the names the server asks for per packet).
fn get_ignoring_case<'m, V>(map: &'m HashMap<String, V>, name: &str) -> Option<&'m V> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        map.get(&name.to_ascii_lowercase())
    } else {
        map.get(name)
    }
}

/// An option space: code and length widths plus its definitions.
#[derive(Debug, Clone)]
pub struct OptionSpace {
    name: Cow<'static, str>,
    code_width: u8,
    length_width: u8,
    end_code: u32,
    hash_size: Option<u32>,
    parent: Option<ParentOption>,
    defs: Vec<OptionDef>,
    by_name: HashMap<String, usize>,
    by_code: HashMap<u32, usize>,
}

impl OptionSpace {
    fn empty(name: Cow<'static, str>, code_width: u8, length_width: u8) -> OptionSpace {
        OptionSpace {
            name,
            code_width,
            length_width,
            end_code: 0,
            hash_size: None,
            parent: None,
            defs: Vec::new(),
            by_name: HashMap::new(),
            by_code: HashMap::new(),
        }
    }

    /// Space name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of an option code on the wire (1, 2 or 4).
    pub fn code_width(&self) -> u8 {
        self.code_width
    }

    /// Bytes of an option length on the wire (0 = no length field, 1 or 2).
    pub fn length_width(&self) -> u8 {
        self.length_width
    }

    /// Code of the end option (255 for `dhcp`, else 0 = none).
    pub fn end_code(&self) -> u32 {
        self.end_code
    }

    /// `hash size` given in the declaration, if any (no effect on behaviour).
    pub fn hash_size(&self) -> Option<u32> {
        self.hash_size
    }

    /// The option whose value carries this space, if known.
    pub fn parent(&self) -> Option<&ParentOption> {
        self.parent.as_ref()
    }

    /// Looks an option up by name, ASCII case-insensitively (ISC's
    /// `do_case_hash`).
    pub fn lookup_name(&self, name: &str) -> Option<&OptionDef> {
        get_ignoring_case(&self.by_name, name).and_then(|&i| self.defs.get(i))
    }

    /// Looks an option up by code.
    pub fn lookup_code(&self, code: u32) -> Option<&OptionDef> {
        self.by_code.get(&code).and_then(|&i| self.defs.get(i))
    }

    /// The definitions still reachable by name or code, in definition order.
    pub fn options(&self) -> impl Iterator<Item = &OptionDef> + '_ {
        self.defs.iter().enumerate().filter_map(move |(i, d)| {
            let by_name = self.by_name.get(&d.name.to_ascii_lowercase()) == Some(&i);
            let by_code = self.by_code.get(&d.code) == Some(&i);
            (by_name || by_code).then_some(d)
        })
    }

    /// Adds `def` with ISC's rules (`server/confpars.c` + `common/parse.c`
    /// `parse_option_code_definition`): if the name was known, the old option
    /// loses its name and code entries; whatever option held the new code
    /// loses its code entry (it stays reachable by its own name).
    fn insert(&mut self, def: OptionDef) -> &OptionDef {
        let key = def.name.to_ascii_lowercase();
        if let Some(old) = self.by_name.remove(&key) {
            if let Some(old_code) = self.defs.get(old).map(|d| d.code) {
                if self.by_code.get(&old_code) == Some(&old) {
                    self.by_code.remove(&old_code);
                }
            }
        }
        self.by_code.remove(&def.code);
        let index = self.defs.len();
        self.by_name.insert(key, index);
        self.by_code.insert(def.code, index);
        self.defs.push(def);
        &self.defs[index]
    }
}

/// An `option space NAME [code width W] [length width L] [hash size N];`
/// declaration. Widths default to 1 as in ISC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceDecl {
    /// Space name.
    pub name: String,
    /// Code width: 1, 2 or 4.
    pub code_width: u8,
    /// Length width: 1 or 2.
    pub length_width: u8,
    /// `hash size`, if given.
    pub hash_size: Option<u32>,
}

impl SpaceDecl {
    /// `option space NAME;` with default widths (1, 1).
    pub fn new(name: impl Into<String>) -> SpaceDecl {
        SpaceDecl {
            name: name.into(),
            code_width: 1,
            length_width: 1,
            hash_size: None,
        }
    }
}

/// Errors from [`Registry`] operations. `Display` gives ISC's wording where
/// ISC has one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// `no option space named NAME.`
    NoSuchSpace {
        /// The space name as written.
        space: String,
    },
    /// `unknown option SPACE.NAME`
    UnknownOption {
        /// Space name.
        space: String,
        /// Option name as written.
        name: String,
    },
    /// `Option codes 0 and END are illegal in the SPACE space.`
    IllegalCode {
        /// Space name.
        space: String,
        /// The end code of the space.
        end_code: u32,
    },
    /// `invalid code width (W), expecting a 1, 2 or 4.`
    InvalidCodeWidth {
        /// The width given.
        width: u8,
    },
    /// `invalid length width (L) expecting 1 or 2.`
    InvalidLengthWidth {
        /// The width given.
        width: u8,
    },
    /// `unknown option space SPACE` (in an `encapsulate SPACE` type).
    UnknownEncapsulatedSpace {
        /// The space name.
        space: String,
    },
    /// The format string of a definition is not valid.
    Format(FormatError),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::NoSuchSpace { space } => write!(f, "no option space named {space}."),
            RegistryError::UnknownOption { space, name } => {
                write!(f, "unknown option {space}.{name}")
            }
            RegistryError::IllegalCode { space, end_code } => {
                write!(
                    f,
                    "Option codes 0 and {end_code} are illegal in the {space} space."
                )
            }
            RegistryError::InvalidCodeWidth { width } => {
                write!(f, "invalid code width ({width}), expecting a 1, 2 or 4.")
            }
            RegistryError::InvalidLengthWidth { width } => {
                write!(f, "invalid length width ({width}) expecting 1 or 2.")
            }
            RegistryError::UnknownEncapsulatedSpace { space } => {
                write!(f, "unknown option space {space}")
            }
            RegistryError::Format(e) => write!(f, "invalid option format: {e}"),
        }
    }
}

impl std::error::Error for RegistryError {}

impl From<FormatError> for RegistryError {
    fn from(e: FormatError) -> RegistryError {
        RegistryError::Format(e)
    }
}

/// How [`Registry::resolve`] found an option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<'a> {
    /// A defined option, found by name (or by `unknown-CODE` naming a
    /// defined code, which ISC logs as "option unknown-N has been redefined
    /// as option NAME").
    Defined(&'a OptionDef),
    /// `unknown-CODE` with no definition: ISC manufactures an `X` option.
    Unknown(OptionDef),
}

impl Resolved<'_> {
    /// The definition, borrowed.
    pub fn def(&self) -> &OptionDef {
        match self {
            Resolved::Defined(d) => d,
            Resolved::Unknown(d) => d,
        }
    }
}

/// All option spaces known while reading a configuration.
///
/// Starts with [`BUILTIN_SPACES`]; `option space` and `option ... code ...`
/// statements modify it through [`Registry::declare_space`] and
/// [`Registry::define`]. Space and option names are matched ASCII
/// case-insensitively, as in ISC.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Append-only; index 0 is the built-in `dhcp` space, which unqualified
    /// option names always use (even after a later `option space dhcp;`).
    spaces: Vec<OptionSpace>,
    /// Lowercased name -> newest space of that name.
    by_name: HashMap<String, usize>,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::new()
    }
}

/// Name of the default DHCPv4 option space.
pub const DHCP_SPACE: &str = "dhcp";

impl Registry {
    /// A registry holding exactly ISC's built-in spaces and options.
    pub fn new() -> Registry {
        let mut reg = Registry {
            spaces: Vec::new(),
            by_name: HashMap::new(),
        };
        for b in BUILTIN_SPACES {
            let mut space = OptionSpace::empty(Cow::Borrowed(b.name), b.code_width, b.length_width);
            space.end_code = b.end_code;
            space.parent = b.parent.map(|p| ParentOption {
                space: p.space.to_string(),
                code: p.code,
            });
            for o in b.options {
                // Built-in formats are checked by the unit tests; an entry that
                // failed to parse would simply be absent.
                if let Ok(format) = Format::parse(o.format) {
                    space.insert(OptionDef::new(b.name, o.name, o.code, format));
                }
            }
            reg.push_space(space);
        }
        reg
    }

    fn push_space(&mut self, space: OptionSpace) {
        let index = self.spaces.len();
        self.by_name.insert(space.name.to_ascii_lowercase(), index);
        self.spaces.push(space);
    }

    fn space_index(&self, name: &str) -> Option<usize> {
        get_ignoring_case(&self.by_name, name).copied()
    }

    /// The space of that name (the newest declaration wins).
    pub fn space(&self, name: &str) -> Option<&OptionSpace> {
        self.space_index(name).and_then(|i| self.spaces.get(i))
    }

    /// The built-in `dhcp` space used for option names without `SPACE.`.
    pub fn dhcp(&self) -> &OptionSpace {
        &self.spaces[0]
    }

    /// All spaces currently reachable by name, in declaration order.
    pub fn spaces(&self) -> impl Iterator<Item = &OptionSpace> + '_ {
        self.spaces
            .iter()
            .enumerate()
            .filter(move |(i, s)| self.by_name.get(&s.name.to_ascii_lowercase()) == Some(i))
            .map(|(_, s)| s)
    }

    /// `space` = `None` means the unqualified (built-in `dhcp`) space.
    fn space_for(&self, space: Option<&str>) -> Result<usize, RegistryError> {
        match space {
            None => Ok(0),
            Some(name) => self
                .space_index(name)
                .ok_or_else(|| RegistryError::NoSuchSpace {
                    space: name.to_string(),
                }),
        }
    }

    /// Looks an option up by space and name (both case-insensitive).
    pub fn lookup_name(&self, space: &str, name: &str) -> Option<&OptionDef> {
        self.space(space)?.lookup_name(name)
    }

    /// Looks an option up by space and code.
    pub fn lookup_code(&self, space: &str, code: u32) -> Option<&OptionDef> {
        self.space(space)?.lookup_code(code)
    }

    /// Resolves an option reference as written in `option [SPACE.]NAME ...`
    /// (ISC `parse_option_name` without allocation): the name itself, else
    /// `unknown-CODE` by code, else a manufactured `X` definition.
    /// `space` = `None` for a name written without `SPACE.`.
    pub fn resolve(&self, space: Option<&str>, name: &str) -> Result<Resolved<'_>, RegistryError> {
        let sp = &self.spaces[self.space_for(space)?];
        if let Some(def) = sp.lookup_name(name) {
            return Ok(Resolved::Defined(def));
        }
        let Some(code) = unknown_option_code(name) else {
            return Err(RegistryError::UnknownOption {
                space: sp.name.to_string(),
                name: name.to_string(),
            });
        };
        if code == 0 || code == sp.end_code {
            return Err(RegistryError::IllegalCode {
                space: sp.name.to_string(),
                end_code: sp.end_code,
            });
        }
        Ok(match sp.lookup_code(code) {
            Some(def) => Resolved::Defined(def),
            None => Resolved::Unknown(OptionDef::unknown(sp.name.to_string(), code)),
        })
    }

    /// Declares an option space (`option space ...;`). Declaring an existing
    /// name creates a new, empty space that hides the old one (ISC does the
    /// same), except that unqualified option names keep using the built-in
    /// `dhcp` space.
    pub fn declare_space(&mut self, decl: SpaceDecl) -> Result<&OptionSpace, RegistryError> {
        if !matches!(decl.code_width, 1 | 2 | 4) {
            return Err(RegistryError::InvalidCodeWidth {
                width: decl.code_width,
            });
        }
        if !matches!(decl.length_width, 1 | 2) {
            return Err(RegistryError::InvalidLengthWidth {
                width: decl.length_width,
            });
        }
        let mut space =
            OptionSpace::empty(Cow::Owned(decl.name), decl.code_width, decl.length_width);
        space.hash_size = decl.hash_size;
        self.push_space(space);
        let last = self.spaces.len() - 1;
        Ok(&self.spaces[last])
    }

    /// Defines an option (`option [SPACE.]NAME code CODE = TYPE;`) with the
    /// format string the type translates to. `space` = `None` for the
    /// built-in `dhcp` space. An existing definition with the same name or
    /// code is replaced as ISC does (see [`OptionSpace::options`]). A format
    /// with `E<space>.` makes this option the parent of that space.
    pub fn define(
        &mut self,
        space: Option<&str>,
        name: &str,
        code: u32,
        format: Format,
    ) -> Result<&OptionDef, RegistryError> {
        let sp_index = self.space_for(space)?;
        let encapsulated = match format.encapsulation() {
            Some(Encapsulation::Space(enc)) => Some(self.space_index(enc).ok_or_else(|| {
                RegistryError::UnknownEncapsulatedSpace {
                    space: enc.to_string(),
                }
            })?),
            _ => None,
        };
        let space_name = self.spaces[sp_index].name.to_string();
        if let Some(enc) = encapsulated {
            self.spaces[enc].parent = Some(ParentOption {
                space: space_name.clone(),
                code,
            });
        }
        let def = OptionDef::new(space_name, name.to_string(), code, format);
        Ok(self.spaces[sp_index].insert(def))
    }
}

/// The code in an `unknown-N` option name, with C `atoi` semantics on the
/// digits after `unknown-` (`unknown-12x` is 12, `unknown-x` is 0), or `None`
/// if the name does not start with `unknown-` (case-insensitive).
pub fn unknown_option_code(name: &str) -> Option<u32> {
    let prefix = name.get(..8)?;
    if !prefix.eq_ignore_ascii_case("unknown-") {
        return None;
    }
    let rest = name[8..].trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative {
        value = -value;
    }
    // ISC stores atoi's int in an unsigned: wrap like C does.
    Some(value as i32 as u32)
}
