//! dhcpd.leases: read the lease files ISC dhcpd 4.4 writes, and write them byte for byte as
//! ISC does.
//!
//! The crate is sans-IO: it takes the file's bytes and gives text back; it never opens a
//! file or reads the clock ("now" is a parameter wherever ISC looks at the time).
//!
//! * [`parse::parse_file`] reads every record ISC writes or reads (`lease`, `host`, `group`,
//!   `class`/`subclass`, `failover peer … state`, `server-duid`, `authoring-byte-order`,
//!   `ia-na`/`ia-ta`/`ia-pd`), reporting errors in ISC's words at ISC's lines through the
//!   `dhcpd-conf` token cursor.
//! * [`LeaseDb::load`] applies the records in order (later ones override earlier ones) into a
//!   [`State`].
//! * The statements of `host`/`group`/`class` records and of `on expiry|release` blocks are
//!   parsed by `dhcpd-conf` and written back as ISC's `write_statements` does
//!   ([`statements::write_statements`]).
//! * [`WriteOptions`] writes records ([`write_lease`]), the header ([`write_header`]) and the
//!   full start-up rewrite ([`write_database`]) exactly as ISC's `server/db.c` does.

pub mod db;
pub mod model;
pub mod parse;
pub mod statements;
pub mod text;
pub mod write;

pub use db::{LeaseDb, State, write_database};
pub use model::*;
pub use parse::{FailoverRole, LoadOptions, ParsedFile, parse_file, parse_stream};
pub use text::{DbTimeFormat, LeaseIdFormat};
pub use write::{WriteOptions, write_header, write_lease};
