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
//! Authentication: with a [`session::Key`] (HMAC-MD5, omshell's default; ISC also takes the
//! other TSIG algorithms, this crate does not) the client must open the `authenticator`
//! object and sign every message; answers are signed.
//! Without one, a signed message is answered with a STATUS error.

pub mod codec;
pub mod session;

pub use codec::{Decoder, Error, Message, Op};
pub use session::{Key, Objects, Session, Value};
