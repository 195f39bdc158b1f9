//! dhcpd-rs's DHCPv4 engine. Sans-IO: see [`io`] for what goes in and what comes out.

pub mod classify;
pub mod engine;
pub mod eval;
pub mod io;
pub mod leases;
pub mod model;
pub mod scope;

pub use io::{
    Action, Engine, FailoverEngine, FailoverLink, FailoverView, HostError, HostKey, HostView,
    LeaseChange, LeaseError, LeaseView, Level, Received, Route, Transmit,
};
