//! DHCPv4 wire codec and the option tables shared with the config parser.
//!
//! Sans-IO: this crate never touches sockets, files or the clock.

#![warn(missing_docs)]

pub mod options;
