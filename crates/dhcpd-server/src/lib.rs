//! dhcpd-rs server: the mio event loop, the lease journal, failover connections.

pub mod event_loop;
pub mod journal;
