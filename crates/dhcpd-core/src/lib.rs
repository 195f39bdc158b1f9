//! dhcpd-rs's DHCPv4 engine. Sans-IO: see [`io`] for what goes in and what comes out.

pub mod io;

pub use io::{Action, Engine, Level, Received, Route, Transmit};
