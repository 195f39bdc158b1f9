//! dhcpd-rs server: the mio event loop, the lease journal, failover connections.

pub mod journal;
