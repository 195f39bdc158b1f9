//! dhcpd-rs's operating-system layer. Everything that makes a system call lives here (sockets,
//! interfaces, privileges, syslog, systemd notification, durable files, signals) so that the
//! protocol crates stay sans-IO. This is the only crate allowed `unsafe`, in a few audited
//! functions (binding a packet socket to an interface, `PACKET_AUXDATA`), each with a SAFETY
//! comment.

pub mod durable;
pub mod icmp;
pub mod iface;
pub mod notify;
pub mod packet;
pub mod privs;
pub mod sendmany;
pub mod signals;
pub mod spawn;
pub mod syslog;
pub mod udp;
