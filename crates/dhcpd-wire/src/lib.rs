//! DHCPv4 wire codec and the option tables shared with the config parser.
//!
//! Sans-IO: this crate never touches sockets, files or the clock.

#![warn(missing_docs)]

pub mod error;
pub mod message;
pub mod options;
pub mod packet;

pub use error::{Area, WireError};
pub use message::{
    BootField, DhcpOption, Entry, Message, MessageType, OpCode, OptionList, RawOption, Vendor,
    layout_options,
};
pub use packet::DhcpPacket;
