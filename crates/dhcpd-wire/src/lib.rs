//! DHCPv4 wire codec and the option tables shared with the config parser.
//!
//! Sans-IO: this crate never touches sockets, files or the clock.
//!
//! Two levels, as in smoltcp's `wire` module:
//!
//! * [`DhcpPacket`]: a zero-copy view over a byte buffer with field getters
//!   and setters. `new_checked` (or `check_len`) guarantees the fixed
//!   236-byte header is present; after that no accessor panics.
//! * [`Message`]: the owned model. [`Message::parse`] never panics on any
//!   input and is lossless (every option instance, pad, end option, trailing
//!   byte and overloaded `sname`/`file` area is kept), so
//!   `Message::parse(p)?.emit(..)` reproduces `p` byte for byte.
//!   [`Message::emit`] never panics and succeeds on any buffer of at least
//!   [`Message::buffer_len`] bytes whose `file`/`sname` option lists fit.
//!   Logical views: [`Message::option`] (RFC 3396 join across instances and
//!   overloaded areas), [`Message::joined_options`]; [`layout_options`]
//!   builds the areas for a reply the way ISC does (splitting, option 52).
//!
//! [`frame`] parses and builds the Ethernet/IPv4/UDP frames of the raw
//! socket path with ISC's rules and header fields.
//!
//! [`order`] chooses, orders and places reply options as ISC's
//! `cons_options`/`store_options` do (priority list, maximum message size,
//! overload, relay agent information, BOOTP minimum).
//!
//! [`options`] holds ISC's option spaces and definitions, the parsed format
//! strings, the config-time [`options::Registry`], and
//! [`options::value`] to decode/encode option data through a format.

#![warn(missing_docs)]

pub mod error;
pub mod frame;
pub mod message;
pub mod options;
pub mod order;
pub mod packet;

pub use error::{Area, WireError};
pub use frame::{
    Frame, FrameError, FrameSpec, RxChecksums, VlanTag, build_frame, emit_frame, parse_frame,
};
pub use message::{
    BootField, DhcpOption, Entry, Message, MessageType, OpCode, OptionList, RawOption, Vendor,
    layout_options,
};
pub use packet::{DhcpPacket, Options};
