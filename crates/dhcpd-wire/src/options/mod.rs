//! ISC dhcpd's option tables, defined once for the config parser and the codec.
//!
//! * [`tables`]: the raw facts — every built-in option space of ISC dhcpd
//!   4.4.3 ([`BUILTIN_SPACES`]) with names, codes and ISC format strings, and
//!   the named enumerations ([`ENUMERATIONS`]).
//! * [`Format`] / [`FormatItem`]: a parsed ISC format string (`"IA"`,
//!   `"fIa"`, `"Enwip."` ...).
//! * [`Registry`]: the owned, cloneable table a configuration is read
//!   against; it starts with the built-ins and takes user `option space` and
//!   `option ... code N = TYPE` statements, replacing definitions as ISC does.
//!
//! ```
//! use dhcpd_wire::options::{Format, Registry, SpaceDecl};
//!
//! let mut reg = Registry::new();
//! assert_eq!(reg.lookup_name("dhcp", "Routers").map(|d| d.code()), Some(3));
//! reg.declare_space(SpaceDecl::new("ipxe")).unwrap();
//! let fmt = Format::parse("B").unwrap();
//! reg.define(Some("ipxe"), "no-pxedhcp", 176, fmt).unwrap();
//! assert_eq!(reg.lookup_code("ipxe", 176).map(|d| d.name()), Some("no-pxedhcp"));
//! ```

mod format;
mod registry;
pub mod tables;
pub mod value;

pub use format::{Encapsulation, Format, FormatError, FormatItem};
pub use registry::{
    DHCP_SPACE, OptionDef, OptionSpace, ParentOption, Registry, RegistryError, Resolved, SpaceDecl,
    unknown_option_code,
};
pub use tables::{BUILTIN_SPACES, ENUMERATIONS, Enumeration, enumeration};
pub use value::{Value, ValueError};

#[cfg(test)]
mod tests;
