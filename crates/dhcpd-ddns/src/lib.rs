//! ISC dhcpd 4.4's dynamic DNS updates, sans-IO.
//!
//! - [`name`]: domain names, text to wire, with the compression BIND's renderer applies;
//! - [`message`]: RFC 2136 UPDATE messages, TSIG signatures (RFC 8945) and the answers;
//! - [`guard`]: the DHCID (RFC 4701, `ddns-update-style standard`) and ISC's interim TXT that
//!   mark a name as a client's, and the lease variables that keep them;
//! - [`txn`]: the add and remove transactions of ISC's `ddns.c`, per lease address.
//!
//! No sockets, no clock: [`txn::Ddns`] takes the time and the answers as arguments and says
//! what to send and which lease variables change. TSIG uses the RustCrypto `hmac`, `md-5` and
//! `sha2` crates.

pub mod guard;
pub mod message;
pub mod name;
pub mod txn;

pub use guard::{Guard, Identity, Style};
pub use message::{Algorithm, TsigKey};
pub use name::Name;
pub use txn::{Add, Ddns, Output, Remove, Settings, Zone};

/// Why a name, guard or answer could not be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A domain name that is empty, has an empty label, a label over 63 octets or is over
    /// 255 octets.
    BadName,
    /// An RFC 4361 client identifier too short to hold a DUID.
    ShortIdentifier,
    /// A message shorter than its contents say.
    Truncated,
    /// Not an answer to an UPDATE.
    NotAnUpdateResponse,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::BadName => "bad domain name",
            Error::ShortIdentifier => "client identifier too short for a DUID",
            Error::Truncated => "truncated message",
            Error::NotAnUpdateResponse => "not an UPDATE response",
        })
    }
}

impl std::error::Error for Error {}
