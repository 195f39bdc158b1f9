//! dhcpd-rs's DHCPv4 engine. Sans-IO: see [`io`] for what goes in and what comes out.

pub mod io;
pub mod model;
pub mod scope;

pub use io::{Action, Engine, Level, Received, Route, Transmit};
