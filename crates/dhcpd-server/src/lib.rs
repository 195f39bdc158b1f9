//! dhcpd-rs server: the mio event loop, the lease journal, failover connections.

pub mod ddns_net;
pub mod event_loop;
pub mod failover_conn;
pub mod journal;
pub mod omapi;
pub mod rewrite;
