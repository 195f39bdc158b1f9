//! ISC's OMAPI (Object Management API) protocol, the one `omshell` and `dhcpctl` speak to
//! ISC dhcpd on `omapi-port`, sans-IO.
//!
//! * [`codec`]: the byte stream. Each side first sends an 8-byte introduction (protocol
//!   version 100, header size 24), then messages: a 24-byte header (authid, authlen, op,
//!   handle, id, rid, all big-endian `u32`), the message's name/value list, the object's
//!   name/value list (each entry: a 2-byte name length, the name, a 4-byte value length,
//!   the value; a zero name length ends a list), then `authlen` bytes of signature.
//! * [`session`]: the server side of one connection: OPEN (look an object up by its key
//!   values, optionally update it), REFRESH, UPDATE (by handle), answered with UPDATE or
//!   STATUS messages as ISC answers them. The objects themselves are behind the
//!   [`session::Objects`] trait.
//!
//! Unauthenticated only: a message carrying an authenticator is answered with a STATUS error.

pub mod codec;
pub mod session;

pub use codec::{Decoder, Error, Message, Op};
pub use session::{Key, Objects, Session, Value};
