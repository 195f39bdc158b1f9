//! Typed views of the messages (the `Repr` level over the lossless [`Message`]): what each
//! message means to the state machine, and builders that emit the options in the order ISC
//! sends them.

use std::net::Ipv4Addr;

use dhcpd_leases::model::{BindingState, HardwareAddr};

use crate::error::ProtocolError;
use crate::message::{
    FoOption, IP_FLAG_BOOTP, IP_FLAG_RESERVED, Message, MessageType, RejectReason, ServerState,
    code,
};

/// The 32-byte hash bucket assignment (bit set = the primary serves the bucket).
pub type Hba = [u8; 32];

/// A binding state from its wire value 1..=7.
pub fn binding_state_from_wire(v: u8) -> Option<BindingState> {
    BindingState::ALL
        .get(usize::from(v).checked_sub(1)?)
        .copied()
}

/// A binding state's wire value 1..=7.
pub fn binding_state_to_wire(s: BindingState) -> u8 {
    match s {
        BindingState::Free => 1,
        BindingState::Active => 2,
        BindingState::Expired => 3,
        BindingState::Released => 4,
        BindingState::Abandoned => 5,
        BindingState::Reset => 6,
        BindingState::Backup => 7,
    }
}

/// BNDUPD: one binding. Received updates may lack fields (ISC answers those with a reject),
/// so everything but the typed parts is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindUpdate {
    /// assigned-IP-address.
    pub addr: Option<Ipv4Addr>,
    /// binding-status.
    pub status: Option<BindingState>,
    /// client-identifier (option 61 payload).
    pub uid: Option<Vec<u8>>,
    /// client-hardware-address.
    pub hardware: Option<HardwareAddr>,
    /// lease-expiration-time (`ends`).
    pub ends: Option<u32>,
    /// potential-expiration-time (the sender's `tstp`).
    pub potential_expiry: Option<u32>,
    /// start-time-of-state (`starts`).
    pub starts: Option<u32>,
    /// client-last-transaction-time.
    pub cltt: Option<u32>,
    /// IP-flags.
    pub ip_flags: Option<u16>,
}

impl BindUpdate {
    /// Whether the RESERVED flag is set.
    pub fn reserved(&self) -> bool {
        self.ip_flags.unwrap_or(0) & IP_FLAG_RESERVED != 0
    }

    /// Whether the BOOTP flag is set.
    pub fn bootp(&self) -> bool {
        self.ip_flags.unwrap_or(0) & IP_FLAG_BOOTP != 0
    }

    /// The message, options in ISC's order: 2, 3, (4), (5), 13, 18, 25, (6), (12); the ones in
    /// parentheses only when set.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        let mut m = Message::new(MessageType::BndUpd, time, xid);
        if let Some(a) = self.addr {
            m.options.push(FoOption::AssignedIpAddress(a));
        }
        if let Some(s) = self.status {
            m.options
                .push(FoOption::BindingStatus(binding_state_to_wire(s)));
        }
        if let Some(u) = &self.uid {
            m.options.push(FoOption::ClientIdentifier(u.clone()));
        }
        if let Some(h) = &self.hardware {
            m.options.push(FoOption::ClientHardwareAddress {
                htype: h.htype,
                addr: h.addr().to_vec(),
            });
        }
        if let Some(v) = self.ends {
            m.options.push(FoOption::LeaseExpirationTime(v));
        }
        if let Some(v) = self.potential_expiry {
            m.options.push(FoOption::PotentialExpirationTime(v));
        }
        if let Some(v) = self.starts {
            m.options.push(FoOption::StartTimeOfState(v));
        }
        if let Some(v) = self.cltt {
            m.options.push(FoOption::ClientLastTransactionTime(v));
        }
        if let Some(v) = self.ip_flags {
            m.options.push(FoOption::IpFlags(v));
        }
        m
    }

    fn parse(m: &Message) -> Result<Self, ProtocolError> {
        let mut u = BindUpdate::default();
        for o in &m.options {
            match o {
                FoOption::AssignedIpAddress(a) => u.addr = Some(*a),
                FoOption::BindingStatus(v) => {
                    u.status = Some(
                        binding_state_from_wire(*v)
                            .ok_or(ProtocolError::BadBindingStatus { value: *v })?,
                    )
                }
                FoOption::ClientIdentifier(v) => u.uid = Some(v.clone()),
                FoOption::ClientHardwareAddress { htype, addr } => {
                    // Longer than any hardware address (20 bytes) is kept as its first 20:
                    // the binding checks reject anything over 16 bytes either way
                    // ("chaddr is too long").
                    u.hardware = Some(HardwareAddr::from_prefix(*htype, addr))
                }
                FoOption::LeaseExpirationTime(v) => u.ends = Some(*v),
                FoOption::PotentialExpirationTime(v) => u.potential_expiry = Some(*v),
                FoOption::StartTimeOfState(v) => u.starts = Some(*v),
                FoOption::ClientLastTransactionTime(v) => u.cltt = Some(*v),
                FoOption::IpFlags(v) => u.ip_flags = Some(*v),
                FoOption::Ddns(_) => return Err(ProtocolError::DdnsOption),
                _ => {}
            }
        }
        Ok(u)
    }
}

/// BNDACK: the answer to one BNDUPD.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindAck {
    /// assigned-IP-address of the update answered.
    pub addr: Option<Ipv4Addr>,
    /// Set when the update was refused.
    pub reject: Option<RejectReason>,
    /// Text with the refusal.
    pub message: Option<Vec<u8>>,
}

impl BindAck {
    /// The message as ISC sends it: assigned-IP-address, then reject-reason and message.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        let mut m = Message::new(MessageType::BndAck, time, xid);
        if let Some(a) = self.addr {
            m.options.push(FoOption::AssignedIpAddress(a));
        }
        if let Some(r) = self.reject {
            m.options.push(FoOption::RejectReason(r));
        }
        if let Some(t) = &self.message {
            m.options.push(FoOption::Message(t.clone()));
        }
        m
    }
}

/// CONNECT (primary → secondary).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connect {
    /// relationship-name.
    pub name: Option<Vec<u8>>,
    /// max-unacked-bndupd.
    pub max_unacked: Option<u32>,
    /// receive-timer.
    pub receive_timer: Option<u32>,
    /// vendor-class-identifier.
    pub vendor_class: Option<Vec<u8>>,
    /// protocol-version.
    pub protocol_version: Option<u8>,
    /// TLS-request.
    pub tls_request: Option<u8>,
    /// MCLT.
    pub mclt: Option<u32>,
    /// hash-bucket-assignment as received (ISC wants exactly 32 bytes).
    pub hba: Option<Vec<u8>>,
}

impl Connect {
    /// Options in ISC's order: 22, 14, 19, 28, 20, 27, 15, 11.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        let mut m = Message::new(MessageType::Connect, time, xid);
        let o = &mut m.options;
        if let Some(v) = &self.name {
            o.push(FoOption::RelationshipName(v.clone()));
        }
        if let Some(v) = self.max_unacked {
            o.push(FoOption::MaxUnackedBndupd(v));
        }
        if let Some(v) = self.receive_timer {
            o.push(FoOption::ReceiveTimer(v));
        }
        if let Some(v) = &self.vendor_class {
            o.push(FoOption::VendorClass(v.clone()));
        }
        if let Some(v) = self.protocol_version {
            o.push(FoOption::ProtocolVersion(v));
        }
        if let Some(v) = self.tls_request {
            o.push(FoOption::TlsRequest(v));
        }
        if let Some(v) = self.mclt {
            o.push(FoOption::Mclt(v));
        }
        if let Some(v) = &self.hba {
            o.push(FoOption::HashBucketAssignment(v.clone()));
        }
        m
    }

    /// The HBA when it has ISC's required 32 bytes.
    pub fn hba32(&self) -> Option<Hba> {
        self.hba.as_deref()?.try_into().ok()
    }
}

/// CONNECTACK (secondary → primary), accepting or (with `reject`) refusing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectAck {
    /// relationship-name.
    pub name: Option<Vec<u8>>,
    /// max-unacked-bndupd.
    pub max_unacked: Option<u32>,
    /// receive-timer.
    pub receive_timer: Option<u32>,
    /// vendor-class-identifier.
    pub vendor_class: Option<Vec<u8>>,
    /// protocol-version.
    pub protocol_version: Option<u8>,
    /// TLS-reply.
    pub tls_reply: Option<u8>,
    /// reject-reason.
    pub reject: Option<RejectReason>,
    /// message.
    pub message: Option<Vec<u8>>,
}

impl ConnectAck {
    /// Options in ISC's order: 22, 14, 19, 28, 20, then TLS-reply, reject-reason and message when set.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        let mut m = Message::new(MessageType::ConnectAck, time, xid);
        let o = &mut m.options;
        if let Some(v) = &self.name {
            o.push(FoOption::RelationshipName(v.clone()));
        }
        if let Some(v) = self.max_unacked {
            o.push(FoOption::MaxUnackedBndupd(v));
        }
        if let Some(v) = self.receive_timer {
            o.push(FoOption::ReceiveTimer(v));
        }
        if let Some(v) = &self.vendor_class {
            o.push(FoOption::VendorClass(v.clone()));
        }
        if let Some(v) = self.protocol_version {
            o.push(FoOption::ProtocolVersion(v));
        }
        if let Some(v) = self.tls_reply {
            o.push(FoOption::TlsReply(v));
        }
        if let Some(v) = self.reject {
            o.push(FoOption::RejectReason(v));
        }
        if let Some(v) = &self.message {
            o.push(FoOption::Message(v.clone()));
        }
        m
    }
}

/// STATE: the sender's failover state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateMsg {
    /// server-state.
    pub state: ServerState,
    /// server-flags (0x01 = STARTUP).
    pub flags: u8,
    /// start-time-of-state (ISC ignores it on receipt).
    pub stos: u32,
}

impl StateMsg {
    /// Options in ISC's order: 24, 23, 25.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        Message::new(MessageType::State, time, xid)
            .with(FoOption::ServerState(self.state))
            .with(FoOption::ServerFlags(self.flags))
            .with(FoOption::StartTimeOfState(self.stos))
    }
}

/// DISCONNECT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disconnect {
    /// reject-reason.
    pub reject: Option<RejectReason>,
    /// message.
    pub message: Option<Vec<u8>>,
}

impl Disconnect {
    /// Options: 21, then 16 when set.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        let mut m = Message::new(MessageType::Disconnect, time, xid);
        if let Some(r) = self.reject {
            m.options.push(FoOption::RejectReason(r));
        }
        if let Some(t) = &self.message {
            m.options.push(FoOption::Message(t.clone()));
        }
        m
    }
}

/// What a message means.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// POOLREQ.
    PoolReq,
    /// POOLRESP with addresses-transferred.
    PoolResp(Option<u32>),
    /// BNDUPD.
    BndUpd(BindUpdate),
    /// BNDACK.
    BndAck(BindAck),
    /// CONNECT.
    Connect(Connect),
    /// CONNECTACK.
    ConnectAck(ConnectAck),
    /// UPDREQALL.
    UpdReqAll,
    /// UPDDONE.
    UpdDone,
    /// UPDREQ.
    UpdReq,
    /// STATE.
    State(StateMsg),
    /// CONTACT.
    Contact,
    /// DISCONNECT.
    Disconnect(Disconnect),
    /// A type above 12 without options (ISC parses and ignores it).
    Unknown(u8),
}

fn bytes(m: &Message, c: u16) -> Option<Vec<u8>> {
    m.bytes_option(c).map(<[u8]>::to_vec)
}

impl Body {
    /// The message for this body, options in ISC's order.
    pub fn to_message(&self, time: u32, xid: u32) -> Message {
        match self {
            Body::PoolReq => Message::new(MessageType::PoolReq, time, xid),
            Body::PoolResp(n) => {
                let mut m = Message::new(MessageType::PoolResp, time, xid);
                if let Some(n) = n {
                    m.options.push(FoOption::AddressesTransferred(*n));
                }
                m
            }
            Body::BndUpd(u) => u.to_message(time, xid),
            Body::BndAck(a) => a.to_message(time, xid),
            Body::Connect(c) => c.to_message(time, xid),
            Body::ConnectAck(c) => c.to_message(time, xid),
            Body::UpdReqAll => Message::new(MessageType::UpdReqAll, time, xid),
            Body::UpdDone => Message::new(MessageType::UpdDone, time, xid),
            Body::UpdReq => Message::new(MessageType::UpdReq, time, xid),
            Body::State(s) => s.to_message(time, xid),
            Body::Contact => Message::new(MessageType::Contact, time, xid),
            Body::Disconnect(d) => d.to_message(time, xid),
            Body::Unknown(t) => Message::new(MessageType::Unknown(*t), time, xid),
        }
    }

    /// Interprets a decoded message, applying ISC's receive rules: unknown types with options,
    /// a DDNS option, a binding-status outside 1..7 and an unknown server-state are protocol
    /// errors; options ISC does not use in this type were already left aside by the decoder.
    pub fn parse(m: &Message) -> Result<Body, ProtocolError> {
        use code::*;
        Ok(match m.msg_type {
            MessageType::PoolReq => Body::PoolReq,
            MessageType::PoolResp => Body::PoolResp(m.u32_option(ADDRESSES_TRANSFERRED)),
            MessageType::BndUpd => Body::BndUpd(BindUpdate::parse(m)?),
            MessageType::BndAck => {
                if m.options.iter().any(|o| matches!(o, FoOption::Ddns(_))) {
                    return Err(ProtocolError::DdnsOption);
                }
                Body::BndAck(BindAck {
                    addr: m.assigned_ip(),
                    reject: m.reject_reason(),
                    message: bytes(m, MESSAGE),
                })
            }
            MessageType::Connect => Body::Connect(Connect {
                name: bytes(m, RELATIONSHIP_NAME),
                max_unacked: m.u32_option(MAX_UNACKED_BNDUPD),
                receive_timer: m.u32_option(RECEIVE_TIMER),
                vendor_class: bytes(m, VENDOR_CLASS),
                protocol_version: m.u8_option(PROTOCOL_VERSION),
                tls_request: m.u8_option(TLS_REQUEST),
                mclt: m.u32_option(MCLT),
                hba: bytes(m, HASH_BUCKET_ASSIGNMENT),
            }),
            MessageType::ConnectAck => Body::ConnectAck(ConnectAck {
                name: bytes(m, RELATIONSHIP_NAME),
                max_unacked: m.u32_option(MAX_UNACKED_BNDUPD),
                receive_timer: m.u32_option(RECEIVE_TIMER),
                vendor_class: bytes(m, VENDOR_CLASS),
                protocol_version: m.u8_option(PROTOCOL_VERSION),
                tls_reply: m.u8_option(TLS_REPLY),
                reject: m.reject_reason(),
                message: bytes(m, MESSAGE),
            }),
            MessageType::UpdReqAll => Body::UpdReqAll,
            MessageType::UpdDone => Body::UpdDone,
            MessageType::UpdReq => Body::UpdReq,
            MessageType::State => {
                let state = match m.option(SERVER_STATE) {
                    Some(FoOption::ServerState(s)) => *s,
                    _ => {
                        return Err(ProtocolError::MissingOption {
                            msg_type: m.msg_type,
                            code: SERVER_STATE,
                        });
                    }
                };
                if let ServerState::Unknown(value) = state {
                    return Err(ProtocolError::BadServerState { value });
                }
                Body::State(StateMsg {
                    state,
                    flags: m.u8_option(SERVER_FLAGS).unwrap_or(0),
                    stos: m.u32_option(START_TIME_OF_STATE).unwrap_or(0),
                })
            }
            MessageType::Contact => Body::Contact,
            MessageType::Disconnect => Body::Disconnect(Disconnect {
                reject: m.reject_reason(),
                message: bytes(m, MESSAGE),
            }),
            MessageType::Unknown(t) => {
                if !m.options.is_empty() {
                    return Err(ProtocolError::OptionsInUnknownMessage { msg_type: t });
                }
                Body::Unknown(t)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bndupd_from_reference_bytes_parses_and_rebuilds() {
        // §10.4 of the reference: ACTIVE lease 10.9.0.103 for 00:11:22:33:44:55.
        let b: Vec<u8> = [
            0x00, 0x44, 0x03, 0x0c, 0x6b, 0x0a, 0x3f, 0xdb, 0, 0, 0, 0x0f, 0, 2, 0, 4, 10, 9, 0,
            0x67, 0, 3, 0, 1, 2, 0, 5, 0, 7, 1, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x0d, 0, 4,
            0x6b, 0x0a, 0x41, 0x07, 0, 0x12, 0, 4, 0x6b, 0x0a, 0x4e, 0x81, 0, 0x19, 0, 4, 0x6b,
            0x0a, 0x3f, 0xdb, 0, 6, 0, 4, 0x6b, 0x0a, 0x3f, 0xdb,
        ]
        .to_vec();
        let m = Message::decode(&b).unwrap();
        let Body::BndUpd(u) = Body::parse(&m).unwrap() else {
            panic!("not a BNDUPD")
        };
        assert_eq!(u.addr, Some(Ipv4Addr::new(10, 9, 0, 103)));
        assert_eq!(u.status, Some(BindingState::Active));
        assert_eq!(u.hardware.as_ref().map(|h| h.htype), Some(1));
        assert_eq!(u.ends, Some(0x6b0a_3fdb + 300));
        assert_eq!(u.potential_expiry, Some(0x6b0a_3fdb + 3750));
        assert_eq!(u.to_message(m.time, m.xid).to_vec(), b);
    }

    #[test]
    fn receive_rules() {
        let bad = Message::new(MessageType::BndUpd, 0, 1).with(FoOption::BindingStatus(8));
        assert_eq!(
            Body::parse(&bad),
            Err(ProtocolError::BadBindingStatus { value: 8 })
        );
        let ddns = Message::new(MessageType::BndUpd, 0, 1).with(FoOption::Ddns(vec![]));
        assert_eq!(Body::parse(&ddns), Err(ProtocolError::DdnsOption));
        let st = Message::new(MessageType::State, 0, 1)
            .with(FoOption::ServerState(ServerState::Unknown(99)));
        assert_eq!(
            Body::parse(&st),
            Err(ProtocolError::BadServerState { value: 99 })
        );
        let unk = Message::new(MessageType::Unknown(13), 0, 1);
        assert_eq!(Body::parse(&unk), Ok(Body::Unknown(13)));
        let unk = unk.with(FoOption::Mclt(1));
        assert_eq!(
            Body::parse(&unk),
            Err(ProtocolError::OptionsInUnknownMessage { msg_type: 13 })
        );
        for v in 1..=7u8 {
            let s = binding_state_from_wire(v).unwrap();
            assert_eq!(binding_state_to_wire(s), v);
        }
        assert_eq!(binding_state_from_wire(0), None);
    }
}
