//! Failover messages as ISC dhcpd 4.4 puts them on the wire.
//!
//! ```text
//! offset size
//! 0      2    length of the whole message, these 2 bytes included (12..=2048)
//! 2      1    message type (1..=12)
//! 3      1    payload offset (ISC always sends 12)
//! 4      4    sender's time, seconds since 1970 UTC
//! 8      4    transaction id
//! 12..   options: code(2) length(2) data, in any order, none twice
//! ```
//!
//! [`Message`] is the owned, lossless model: the options are kept in wire order, so
//! `decode` followed by `encode` gives the same bytes. Unknown option codes, and options that
//! ISC ignores in this message type and whose length does not fit their type, are kept raw
//! ([`FoOption::Raw`]). Typed views of the messages the state machine uses live in
//! [`crate::body`].
//!
//! Guarantees: [`Message::decode`] never panics on any input; [`Message::encode`] never panics.

use std::net::Ipv4Addr;

use crate::codec::{Codec, Reader};
use crate::error::DecodeError;

/// Length of the fixed header, and the payload offset ISC sends.
pub const HEADER_LEN: usize = 12;
/// ISC's largest accepted message.
pub const MAX_MESSAGE_LEN: usize = 2048;

macro_rules! enum_with_unknown {
    (
        $(#[$m:meta])* pub enum $name:ident {
            $( $(#[$vm:meta])* $var:ident = $val:expr, $text:expr ),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vm])* $var, )+
            /// A value this implementation does not know.
            Unknown(u8),
        }

        impl From<u8> for $name {
            fn from(v: u8) -> Self {
                match v {
                    $( $val => $name::$var, )+
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                match v {
                    $( $name::$var => $val, )+
                    $name::Unknown(other) => other,
                }
            }
        }

        impl $name {
            /// The name ISC uses in logs (or "unknown").
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$var => $text, )+
                    $name::Unknown(_) => "unknown",
                }
            }
        }
    };
}

enum_with_unknown! {
    /// Message type (header byte 2), ISC's `FTM_*` numbering: 7 is UPDREQALL, 9 is UPDREQ.
    pub enum MessageType {
        /// Ask the peer to rebalance its free leases.
        PoolReq = 1, "pool request",
        /// Answer to POOLREQ.
        PoolResp = 2, "pool response",
        /// One binding.
        BndUpd = 3, "bind update",
        /// Answer to BNDUPD.
        BndAck = 4, "bind ack",
        /// First message on a link, primary only.
        Connect = 5, "connect",
        /// Answer to CONNECT, secondary only.
        ConnectAck = 6, "connect ack",
        /// Ask for every binding.
        UpdReqAll = 7, "update request all",
        /// End of an answer to UPDREQ/UPDREQALL.
        UpdDone = 8, "update done",
        /// Ask for the bindings not known to be acknowledged.
        UpdReq = 9, "update request",
        /// The sender's failover state.
        State = 10, "state",
        /// Keep-alive.
        Contact = 11, "contact",
        /// Refusal of a CONNECTACK.
        Disconnect = 12, "disconnect",
    }
}

enum_with_unknown! {
    /// The server-state option's values; RECOVER-WAIT is ISC's 254.
    pub enum ServerState {
        /// `unknown-state`
        UnknownState = 0, "unknown-state",
        /// `startup` (ISC never sends it)
        Startup = 1, "startup",
        /// `normal`
        Normal = 2, "normal",
        /// `communications-interrupted`
        CommunicationsInterrupted = 3, "communications-interrupted",
        /// `partner-down`
        PartnerDown = 4, "partner-down",
        /// `potential-conflict`
        PotentialConflict = 5, "potential-conflict",
        /// `recover`
        Recover = 6, "recover",
        /// `paused`
        Paused = 7, "paused",
        /// `shutdown`
        Shutdown = 8, "shutdown",
        /// `recover-done`
        RecoverDone = 9, "recover-done",
        /// `resolution-interrupted`
        ResolutionInterrupted = 10, "resolution-interrupted",
        /// `conflict-done`
        ConflictDone = 11, "conflict-done",
        /// `recover-wait`
        RecoverWait = 254, "recover-wait",
    }
}

enum_with_unknown! {
    /// The reject-reason option's values (draft-12 §12.21, ISC `failover.h`).
    pub enum RejectReason {
        /// 1
        IllegalIpAddr = 1, "Illegal IP address (not part of any address pool).",
        /// 2
        FatalConflict = 2, "Fatal conflict exists: address in use by other client.",
        /// 3
        MissingBindinfo = 3, "Missing binding information.",
        /// 4
        TimeMismatch = 4, "Connection rejected, time mismatch too great.",
        /// 5
        InvalidMclt = 5, "Connection rejected, invalid MCLT.",
        /// 6
        UnknownReason = 6, "Connection rejected, unknown reason.",
        /// 7
        DuplicateConnection = 7, "Connection rejected, duplicate connection.",
        /// 8
        InvalidPartner = 8, "Connection rejected, invalid failover partner.",
        /// 9
        TlsUnsupported = 9, "TLS not supported.",
        /// 10
        TlsUnconfigured = 10, "TLS supported but not configured.",
        /// 11
        TlsRequired = 11, "TLS required but not supported by partner.",
        /// 12
        DigestUnsupported = 12, "Message digest not supported.",
        /// 13
        DigestUnconfigured = 13, "Message digest not configured.",
        /// 14
        VersionMismatch = 14, "Protocol version mismatch.",
        /// 15
        OutdatedBindInfo = 15, "Outdated binding information.",
        /// 16
        LessCriticalBindInfo = 16, "Less critical binding information.",
        /// 17
        NoTrafficTimeout = 17, "No traffic within sufficient time.",
        /// 18
        HbaConflict = 18, "Hash bucket assignment conflict.",
        /// 19
        IpNotReserved = 19, "IP not reserved on this server.",
        /// 20
        DigestMissing = 20, "Message digest missing.",
        /// 21
        DigestBad = 21, "Message digest bad.",
        /// 254
        Unknown254 = 254, "Unknown: Error occurred but does not match any reason code.",
    }
}

/// Option codes of draft-12 as ISC numbers them.
pub mod code {
    #![allow(missing_docs)]
    pub const ADDRESSES_TRANSFERRED: u16 = 1;
    pub const ASSIGNED_IP_ADDRESS: u16 = 2;
    pub const BINDING_STATUS: u16 = 3;
    pub const CLIENT_IDENTIFIER: u16 = 4;
    pub const CLIENT_HARDWARE_ADDRESS: u16 = 5;
    pub const CLIENT_LAST_TRANSACTION_TIME: u16 = 6;
    pub const CLIENT_REPLY_OPTIONS: u16 = 7;
    pub const CLIENT_REQUEST_OPTIONS: u16 = 8;
    pub const DDNS: u16 = 9;
    pub const DELAYED_SERVICE_PARAMETER: u16 = 10;
    pub const HASH_BUCKET_ASSIGNMENT: u16 = 11;
    pub const IP_FLAGS: u16 = 12;
    pub const LEASE_EXPIRATION_TIME: u16 = 13;
    pub const MAX_UNACKED_BNDUPD: u16 = 14;
    pub const MCLT: u16 = 15;
    pub const MESSAGE: u16 = 16;
    pub const MESSAGE_DIGEST: u16 = 17;
    pub const POTENTIAL_EXPIRATION_TIME: u16 = 18;
    pub const RECEIVE_TIMER: u16 = 19;
    pub const PROTOCOL_VERSION: u16 = 20;
    pub const REJECT_REASON: u16 = 21;
    pub const RELATIONSHIP_NAME: u16 = 22;
    pub const SERVER_FLAGS: u16 = 23;
    pub const SERVER_STATE: u16 = 24;
    pub const START_TIME_OF_STATE: u16 = 25;
    pub const TLS_REPLY: u16 = 26;
    pub const TLS_REQUEST: u16 = 27;
    pub const VENDOR_CLASS: u16 = 28;
    pub const VENDOR_OPTIONS: u16 = 29;
}

/// IP-flags bit: the lease is reserved.
pub const IP_FLAG_RESERVED: u16 = 0x0001;
/// IP-flags bit: the lease is a dynamic BOOTP lease.
pub const IP_FLAG_BOOTP: u16 = 0x0002;
/// server-flags bit: the sender is in STARTUP.
pub const SERVER_FLAG_STARTUP: u8 = 0x01;

/// One option. Times are seconds since 1970 UTC as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FoOption {
    /// 1: leases queued for the peer in answer to a POOLREQ.
    AddressesTransferred(u32),
    /// 2: the lease address.
    AssignedIpAddress(Ipv4Addr),
    /// 3: binding state 1..7 (kept raw so out-of-range values round-trip).
    BindingStatus(u8),
    /// 4: the client's option-61 payload.
    ClientIdentifier(Vec<u8>),
    /// 5: htype followed by the hardware address.
    ClientHardwareAddress {
        /// ARP hardware type.
        htype: u8,
        /// The address.
        addr: Vec<u8>,
    },
    /// 6: client last transaction time.
    ClientLastTransactionTime(u32),
    /// 7: client reply options (stored by ISC, unused).
    ClientReplyOptions(Vec<u8>),
    /// 8: client request options (stored by ISC, unused).
    ClientRequestOptions(Vec<u8>),
    /// 9: DDNS (never valid towards ISC).
    Ddns(Vec<u8>),
    /// 10: delayed service parameter (ISC ignores it).
    DelayedServiceParameter(u8),
    /// 11: hash bucket assignment; ISC requires exactly 32 bytes (checked by the receiver).
    HashBucketAssignment(Vec<u8>),
    /// 12: IP flags ([`IP_FLAG_RESERVED`], [`IP_FLAG_BOOTP`]), two bytes.
    IpFlags(u16),
    /// 13: lease expiration time.
    LeaseExpirationTime(u32),
    /// 14: how many BNDUPDs the sender accepts unacknowledged.
    MaxUnackedBndupd(u32),
    /// 15: maximum client lead time, seconds.
    Mclt(u32),
    /// 16: human-readable text, no terminator.
    Message(Vec<u8>),
    /// 17: message digest (parsed and kept; ISC neither sends nor checks it).
    MessageDigest(Vec<u8>),
    /// 18: potential expiration time (the sender's tstp).
    PotentialExpirationTime(u32),
    /// 19: receive timer, seconds (the sender's max-response-delay).
    ReceiveTimer(u32),
    /// 20: protocol version (1).
    ProtocolVersion(u8),
    /// 21: reject reason.
    RejectReason(RejectReason),
    /// 22: relationship (failover peer) name.
    RelationshipName(Vec<u8>),
    /// 23: server flags ([`SERVER_FLAG_STARTUP`]).
    ServerFlags(u8),
    /// 24: server state.
    ServerState(ServerState),
    /// 25: start time of state (STATE) or lease start (BNDUPD).
    StartTimeOfState(u32),
    /// 26: TLS reply.
    TlsReply(u8),
    /// 27: TLS request.
    TlsRequest(u8),
    /// 28: vendor class identifier (`isc-4.4.3-P1`).
    VendorClass(Vec<u8>),
    /// 29: vendor-specific options.
    VendorOptions(Vec<u8>),
    /// Any other code, or a known code whose length does not fit its type in a message type
    /// that does not use it (ISC skips both).
    Raw {
        /// The code.
        code: u16,
        /// The data.
        data: Vec<u8>,
    },
}

/// Fixed data length of an option code in ISC's table (`None` = variable).
fn fixed_len(c: u16) -> Option<usize> {
    use code::*;
    match c {
        ADDRESSES_TRANSFERRED
        | ASSIGNED_IP_ADDRESS
        | CLIENT_LAST_TRANSACTION_TIME
        | LEASE_EXPIRATION_TIME
        | MAX_UNACKED_BNDUPD
        | MCLT
        | POTENTIAL_EXPIRATION_TIME
        | RECEIVE_TIMER
        | START_TIME_OF_STATE => Some(4),
        BINDING_STATUS
        | DELAYED_SERVICE_PARAMETER
        | PROTOCOL_VERSION
        | REJECT_REASON
        | SERVER_FLAGS
        | SERVER_STATE
        | TLS_REPLY
        | TLS_REQUEST => Some(1),
        IP_FLAGS => Some(2),
        _ => None,
    }
}

/// Whether ISC parses and keeps option `c` in a message of type `t` (`fto_allowed`); other
/// options are skipped without any check.
pub fn accepted(t: MessageType, c: u16) -> bool {
    use code::*;
    match t {
        MessageType::PoolResp => c == ADDRESSES_TRANSFERRED,
        MessageType::BndUpd => matches!(c, 2..=9 | 12 | 13 | 18 | 25),
        MessageType::BndAck => matches!(c, 2..=9 | 12 | 13 | 16 | 18 | 21 | 25),
        MessageType::Connect => matches!(c, 11 | 14 | 15 | 19 | 20 | 22 | 27 | 28),
        MessageType::ConnectAck => matches!(c, 14 | 16 | 19 | 20 | 21 | 22 | 26 | 28),
        MessageType::State => matches!(c, SERVER_FLAGS | SERVER_STATE | START_TIME_OF_STATE),
        MessageType::Disconnect => matches!(c, MESSAGE | REJECT_REASON),
        _ => false,
    }
}

fn be32(d: &[u8]) -> u32 {
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

impl FoOption {
    /// The option code.
    pub fn code(&self) -> u16 {
        use code::*;
        match self {
            FoOption::AddressesTransferred(_) => ADDRESSES_TRANSFERRED,
            FoOption::AssignedIpAddress(_) => ASSIGNED_IP_ADDRESS,
            FoOption::BindingStatus(_) => BINDING_STATUS,
            FoOption::ClientIdentifier(_) => CLIENT_IDENTIFIER,
            FoOption::ClientHardwareAddress { .. } => CLIENT_HARDWARE_ADDRESS,
            FoOption::ClientLastTransactionTime(_) => CLIENT_LAST_TRANSACTION_TIME,
            FoOption::ClientReplyOptions(_) => CLIENT_REPLY_OPTIONS,
            FoOption::ClientRequestOptions(_) => CLIENT_REQUEST_OPTIONS,
            FoOption::Ddns(_) => DDNS,
            FoOption::DelayedServiceParameter(_) => DELAYED_SERVICE_PARAMETER,
            FoOption::HashBucketAssignment(_) => HASH_BUCKET_ASSIGNMENT,
            FoOption::IpFlags(_) => IP_FLAGS,
            FoOption::LeaseExpirationTime(_) => LEASE_EXPIRATION_TIME,
            FoOption::MaxUnackedBndupd(_) => MAX_UNACKED_BNDUPD,
            FoOption::Mclt(_) => MCLT,
            FoOption::Message(_) => MESSAGE,
            FoOption::MessageDigest(_) => MESSAGE_DIGEST,
            FoOption::PotentialExpirationTime(_) => POTENTIAL_EXPIRATION_TIME,
            FoOption::ReceiveTimer(_) => RECEIVE_TIMER,
            FoOption::ProtocolVersion(_) => PROTOCOL_VERSION,
            FoOption::RejectReason(_) => REJECT_REASON,
            FoOption::RelationshipName(_) => RELATIONSHIP_NAME,
            FoOption::ServerFlags(_) => SERVER_FLAGS,
            FoOption::ServerState(_) => SERVER_STATE,
            FoOption::StartTimeOfState(_) => START_TIME_OF_STATE,
            FoOption::TlsReply(_) => TLS_REPLY,
            FoOption::TlsRequest(_) => TLS_REQUEST,
            FoOption::VendorClass(_) => VENDOR_CLASS,
            FoOption::VendorOptions(_) => VENDOR_OPTIONS,
            FoOption::Raw { code, .. } => *code,
        }
    }

    /// Builds the typed option for `code` from `data`, or `None` when the length does not fit
    /// the option's type.
    pub fn from_parts(c: u16, data: &[u8]) -> Option<FoOption> {
        use code::*;
        if let Some(n) = fixed_len(c)
            && data.len() != n
        {
            return None;
        }
        let v = data.to_vec();
        Some(match c {
            ADDRESSES_TRANSFERRED => FoOption::AddressesTransferred(be32(data)),
            ASSIGNED_IP_ADDRESS => {
                FoOption::AssignedIpAddress(Ipv4Addr::new(data[0], data[1], data[2], data[3]))
            }
            BINDING_STATUS => FoOption::BindingStatus(data[0]),
            CLIENT_IDENTIFIER => FoOption::ClientIdentifier(v),
            CLIENT_HARDWARE_ADDRESS => {
                let (&htype, addr) = data.split_first()?;
                FoOption::ClientHardwareAddress {
                    htype,
                    addr: addr.to_vec(),
                }
            }
            CLIENT_LAST_TRANSACTION_TIME => FoOption::ClientLastTransactionTime(be32(data)),
            CLIENT_REPLY_OPTIONS => FoOption::ClientReplyOptions(v),
            CLIENT_REQUEST_OPTIONS => FoOption::ClientRequestOptions(v),
            DDNS => FoOption::Ddns(v),
            DELAYED_SERVICE_PARAMETER => FoOption::DelayedServiceParameter(data[0]),
            HASH_BUCKET_ASSIGNMENT => FoOption::HashBucketAssignment(v),
            IP_FLAGS => FoOption::IpFlags(u16::from_be_bytes([data[0], data[1]])),
            LEASE_EXPIRATION_TIME => FoOption::LeaseExpirationTime(be32(data)),
            MAX_UNACKED_BNDUPD => FoOption::MaxUnackedBndupd(be32(data)),
            MCLT => FoOption::Mclt(be32(data)),
            MESSAGE => FoOption::Message(v),
            MESSAGE_DIGEST => FoOption::MessageDigest(v),
            POTENTIAL_EXPIRATION_TIME => FoOption::PotentialExpirationTime(be32(data)),
            RECEIVE_TIMER => FoOption::ReceiveTimer(be32(data)),
            PROTOCOL_VERSION => FoOption::ProtocolVersion(data[0]),
            REJECT_REASON => FoOption::RejectReason(data[0].into()),
            RELATIONSHIP_NAME => FoOption::RelationshipName(v),
            SERVER_FLAGS => FoOption::ServerFlags(data[0]),
            SERVER_STATE => FoOption::ServerState(data[0].into()),
            START_TIME_OF_STATE => FoOption::StartTimeOfState(be32(data)),
            TLS_REPLY => FoOption::TlsReply(data[0]),
            TLS_REQUEST => FoOption::TlsRequest(data[0]),
            VENDOR_CLASS => FoOption::VendorClass(v),
            VENDOR_OPTIONS => FoOption::VendorOptions(v),
            _ => FoOption::Raw { code: c, data: v },
        })
    }

    /// Appends the option's data (without code and length).
    fn encode_data(&self, out: &mut Vec<u8>) {
        match self {
            FoOption::AddressesTransferred(v)
            | FoOption::ClientLastTransactionTime(v)
            | FoOption::LeaseExpirationTime(v)
            | FoOption::MaxUnackedBndupd(v)
            | FoOption::Mclt(v)
            | FoOption::PotentialExpirationTime(v)
            | FoOption::ReceiveTimer(v)
            | FoOption::StartTimeOfState(v) => out.extend_from_slice(&v.to_be_bytes()),
            FoOption::AssignedIpAddress(a) => out.extend_from_slice(&a.octets()),
            FoOption::BindingStatus(v)
            | FoOption::DelayedServiceParameter(v)
            | FoOption::ProtocolVersion(v)
            | FoOption::ServerFlags(v)
            | FoOption::TlsReply(v)
            | FoOption::TlsRequest(v) => out.push(*v),
            FoOption::RejectReason(r) => out.push((*r).into()),
            FoOption::ServerState(s) => out.push((*s).into()),
            FoOption::IpFlags(v) => out.extend_from_slice(&v.to_be_bytes()),
            FoOption::ClientHardwareAddress { htype, addr } => {
                out.push(*htype);
                out.extend_from_slice(addr);
            }
            FoOption::ClientIdentifier(v)
            | FoOption::ClientReplyOptions(v)
            | FoOption::ClientRequestOptions(v)
            | FoOption::Ddns(v)
            | FoOption::HashBucketAssignment(v)
            | FoOption::Message(v)
            | FoOption::MessageDigest(v)
            | FoOption::RelationshipName(v)
            | FoOption::VendorClass(v)
            | FoOption::VendorOptions(v)
            | FoOption::Raw { data: v, .. } => out.extend_from_slice(v),
        }
    }
}

impl Codec for FoOption {
    /// Writes code, length and data. Data longer than 65535 bytes cannot be represented and is
    /// cut to 65535 (no message that long is valid anyway: the maximum is 2048).
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.code().to_be_bytes());
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        self.encode_data(out);
        let len = (out.len() - at - 2).min(usize::from(u16::MAX));
        out.truncate(at + 2 + len);
        out[at..at + 2].copy_from_slice(&(len as u16).to_be_bytes());
    }

    /// Reads one option without message context: a length that does not fit the code's type
    /// gives [`FoOption::Raw`].
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let offset = r.offset();
        let c = r
            .u16()
            .ok_or(DecodeError::TruncatedOption { offset, code: None })?;
        let len = r.u16().ok_or(DecodeError::TruncatedOption {
            offset,
            code: Some(c),
        })?;
        let data = r
            .take(usize::from(len))
            .ok_or(DecodeError::TruncatedOption {
                offset,
                code: Some(c),
            })?;
        Ok(
            FoOption::from_parts(c, data).unwrap_or_else(|| FoOption::Raw {
                code: c,
                data: data.to_vec(),
            }),
        )
    }
}

/// One failover message, lossless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Message type.
    pub msg_type: MessageType,
    /// Sender's time (seconds since 1970 UTC).
    pub time: u32,
    /// Transaction id.
    pub xid: u32,
    /// Extra header bytes between byte 12 and the payload offset (ISC sends none).
    pub extra_header: Vec<u8>,
    /// Options in wire order.
    pub options: Vec<FoOption>,
}

impl Message {
    /// A message with no options and ISC's payload offset.
    pub fn new(msg_type: MessageType, time: u32, xid: u32) -> Self {
        Message {
            msg_type,
            time,
            xid,
            extra_header: Vec::new(),
            options: Vec::new(),
        }
    }

    /// Adds an option at the end (builder style).
    pub fn with(mut self, opt: FoOption) -> Self {
        self.options.push(opt);
        self
    }

    /// How many bytes a complete message needs, from the first bytes of a stream: `None`
    /// while fewer than 2 bytes are there, else the length field (an error when it is outside
    /// 12..=2048, after which ISC closes the connection).
    pub fn frame_len(stream: &[u8]) -> Option<Result<usize, DecodeError>> {
        let b = stream.get(..2)?;
        let declared = u16::from_be_bytes([b[0], b[1]]);
        let n = usize::from(declared);
        Some(if (HEADER_LEN..=MAX_MESSAGE_LEN).contains(&n) {
            Ok(n)
        } else {
            Err(DecodeError::LengthOutOfRange { declared })
        })
    }

    /// Decodes exactly one message occupying all of `buf`.
    pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::ShortHeader { len: buf.len() });
        }
        let mut r = Reader::new(buf);
        let declared = r.u16().ok_or(DecodeError::ShortHeader { len: buf.len() })?;
        if !(HEADER_LEN..=MAX_MESSAGE_LEN).contains(&usize::from(declared)) {
            return Err(DecodeError::LengthOutOfRange { declared });
        }
        if usize::from(declared) != buf.len() {
            return Err(DecodeError::LengthMismatch {
                declared,
                actual: buf.len(),
            });
        }
        let short = DecodeError::ShortHeader { len: buf.len() };
        let msg_type = MessageType::from(r.u8().ok_or(short.clone())?);
        let payload_offset = r.u8().ok_or(short.clone())?;
        let time = r.u32().ok_or(short.clone())?;
        let xid = r.u32().ok_or(short)?;
        let po = usize::from(payload_offset);
        if po < HEADER_LEN || po > buf.len() {
            return Err(DecodeError::BadPayloadOffset { payload_offset });
        }
        let extra_header = r
            .take(po - HEADER_LEN)
            .ok_or(DecodeError::BadPayloadOffset { payload_offset })?
            .to_vec();
        let mut options: Vec<FoOption> = Vec::new();
        let mut seen = [false; 64];
        while r.left() > 0 {
            let offset = r.offset();
            let c = r
                .u16()
                .ok_or(DecodeError::TruncatedOption { offset, code: None })?;
            let len = r.u16().ok_or(DecodeError::TruncatedOption {
                offset,
                code: Some(c),
            })?;
            let data = r
                .take(usize::from(len))
                .ok_or(DecodeError::TruncatedOption {
                    offset,
                    code: Some(c),
                })?;
            let keep = accepted(msg_type, c);
            if keep {
                let i = usize::from(c);
                if seen[i] {
                    return Err(DecodeError::DuplicateOption { offset, code: c });
                }
                seen[i] = true;
            }
            let opt = match FoOption::from_parts(c, data) {
                Some(o) => o,
                None if keep && c != code::DDNS => {
                    return Err(DecodeError::OptionLength {
                        offset,
                        code: c,
                        len,
                    });
                }
                None => FoOption::Raw {
                    code: c,
                    data: data.to_vec(),
                },
            };
            options.push(opt);
        }
        Ok(Message {
            msg_type,
            time,
            xid,
            extra_header,
            options,
        })
    }

    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        let mut v = Vec::new();
        self.encode(&mut v);
        v.len()
    }

    /// Appends the wire form. The payload offset is `12 + extra_header.len()` (ISC: 12).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0, 0]);
        out.push(self.msg_type.into());
        let po = (HEADER_LEN + self.extra_header.len()).min(255);
        out.push(po as u8);
        out.extend_from_slice(&self.time.to_be_bytes());
        out.extend_from_slice(&self.xid.to_be_bytes());
        out.extend_from_slice(&self.extra_header[..po - HEADER_LEN]);
        for o in &self.options {
            o.encode(out);
        }
        let len = (out.len() - start).min(usize::from(u16::MAX));
        out[start..start + 2].copy_from_slice(&(len as u16).to_be_bytes());
    }

    /// The encoded message as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// The first option with this code.
    pub fn option(&self, c: u16) -> Option<&FoOption> {
        self.options.iter().find(|o| o.code() == c)
    }

    /// The value of a 32-bit option (times, counters), if present and typed.
    pub fn u32_option(&self, c: u16) -> Option<u32> {
        match self.option(c)? {
            FoOption::AddressesTransferred(v)
            | FoOption::ClientLastTransactionTime(v)
            | FoOption::LeaseExpirationTime(v)
            | FoOption::MaxUnackedBndupd(v)
            | FoOption::Mclt(v)
            | FoOption::PotentialExpirationTime(v)
            | FoOption::ReceiveTimer(v)
            | FoOption::StartTimeOfState(v) => Some(*v),
            _ => None,
        }
    }

    /// The bytes of a variable-length option, if present.
    pub fn bytes_option(&self, c: u16) -> Option<&[u8]> {
        match self.option(c)? {
            FoOption::ClientIdentifier(v)
            | FoOption::ClientReplyOptions(v)
            | FoOption::ClientRequestOptions(v)
            | FoOption::Ddns(v)
            | FoOption::HashBucketAssignment(v)
            | FoOption::Message(v)
            | FoOption::MessageDigest(v)
            | FoOption::RelationshipName(v)
            | FoOption::VendorClass(v)
            | FoOption::VendorOptions(v) => Some(v),
            _ => None,
        }
    }

    /// `assigned-IP-address`.
    pub fn assigned_ip(&self) -> Option<Ipv4Addr> {
        match self.option(code::ASSIGNED_IP_ADDRESS)? {
            FoOption::AssignedIpAddress(a) => Some(*a),
            _ => None,
        }
    }

    /// `reject-reason`.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self.option(code::REJECT_REASON)? {
            FoOption::RejectReason(r) => Some(*r),
            _ => None,
        }
    }

    /// A one-byte option's value (binding-status, flags, versions, TLS).
    pub fn u8_option(&self, c: u16) -> Option<u8> {
        match self.option(c)? {
            FoOption::BindingStatus(v)
            | FoOption::DelayedServiceParameter(v)
            | FoOption::ProtocolVersion(v)
            | FoOption::ServerFlags(v)
            | FoOption::TlsReply(v)
            | FoOption::TlsRequest(v) => Some(*v),
            FoOption::RejectReason(r) => Some((*r).into()),
            FoOption::ServerState(s) => Some((*s).into()),
            _ => None,
        }
    }
}

/// Splits a TCP byte stream into messages (sans-IO: feed it what `read` returned).
#[derive(Debug, Default, Clone)]
pub struct StreamDecoder {
    buf: Vec<u8>,
}

impl StreamDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet part of a returned message.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete message: `None` when more bytes are needed, `Some(Err)` when the
    /// stream is broken (close the connection).
    pub fn next_message(&mut self) -> Option<Result<Message, DecodeError>> {
        let n = match Message::frame_len(&self.buf)? {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        if self.buf.len() < n {
            return None;
        }
        let rest = self.buf.split_off(n);
        let frame = std::mem::replace(&mut self.buf, rest);
        Some(Message::decode(&frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn connect_from_reference_decodes_and_reencodes() {
        let b = hex(
            "0069050c 6b0a3fcb 00000000 0016000 36c6162 000e0004 0000000a 00130004 0000001e
             001c000c 6973632d 342e342e 332d5031 00140001 01 001b0001 00 000f0004 0000012c
             000b0020 ffffffffffffffffffffffffffffffff 00000000000000000000000000000000",
        );
        let m = Message::decode(&b).unwrap();
        assert_eq!(m.msg_type, MessageType::Connect);
        assert_eq!(m.time, 0x6b0a3fcb);
        assert_eq!(m.bytes_option(code::RELATIONSHIP_NAME), Some(&b"lab"[..]));
        assert_eq!(m.u32_option(code::MCLT), Some(300));
        assert_eq!(m.u32_option(code::RECEIVE_TIMER), Some(30));
        assert_eq!(
            m.bytes_option(code::HASH_BUCKET_ASSIGNMENT)
                .map(<[u8]>::len),
            Some(32)
        );
        assert_eq!(m.to_vec(), b);
    }

    #[test]
    fn recover_wait_is_254_and_rejects_round_trip() {
        let m = Message::new(MessageType::State, 5, 6)
            .with(FoOption::ServerState(ServerState::RecoverWait))
            .with(FoOption::ServerFlags(0))
            .with(FoOption::StartTimeOfState(4));
        let b = m.to_vec();
        assert_eq!(b[12..17], [0, 24, 0, 1, 254]);
        assert_eq!(Message::decode(&b).unwrap(), m);
        let ack = hex("0052040c 6b0a3fcb 00000004 00020004 0a090064 00150001 10");
        let mut ack = ack;
        let text = b"incoming update is less critical than outgoing update";
        ack.extend_from_slice(&[0, 16, 0, text.len() as u8]);
        ack.extend_from_slice(text);
        let m = Message::decode(&ack).unwrap();
        assert_eq!(m.reject_reason(), Some(RejectReason::LessCriticalBindInfo));
        assert_eq!(m.to_vec(), ack);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            Message::decode(&[0, 12, 11, 12]),
            Err(DecodeError::ShortHeader { len: 4 })
        );
        let mut b = Message::new(MessageType::Contact, 1, 2).to_vec();
        b[1] = 11;
        assert_eq!(
            Message::decode(&b),
            Err(DecodeError::LengthOutOfRange { declared: 11 })
        );
        let mut b = Message::new(MessageType::Contact, 1, 2).to_vec();
        b[3] = 8;
        assert_eq!(
            Message::decode(&b),
            Err(DecodeError::BadPayloadOffset { payload_offset: 8 })
        );
        // binding-status with 2 bytes in a BNDUPD: fixed size violated.
        let m = Message::new(MessageType::BndUpd, 1, 2).with(FoOption::Raw {
            code: 3,
            data: vec![1, 2],
        });
        assert_eq!(
            Message::decode(&m.to_vec()),
            Err(DecodeError::OptionLength {
                offset: 12,
                code: 3,
                len: 2
            })
        );
        // ... but skipped (kept raw) in a STATE, as ISC does.
        let m = Message::new(MessageType::State, 1, 2).with(FoOption::Raw {
            code: 3,
            data: vec![1, 2],
        });
        assert_eq!(Message::decode(&m.to_vec()), Ok(m));
        // Duplicate assigned-IP-address: ISC's "one binding per BNDUPD".
        let a = FoOption::AssignedIpAddress(Ipv4Addr::new(10, 0, 0, 1));
        let m = Message::new(MessageType::BndUpd, 1, 2)
            .with(a.clone())
            .with(a);
        assert_eq!(
            Message::decode(&m.to_vec()),
            Err(DecodeError::DuplicateOption {
                offset: 20,
                code: 2
            })
        );
        // Truncated option data.
        let mut b = Message::new(MessageType::State, 1, 2)
            .with(FoOption::StartTimeOfState(9))
            .to_vec();
        b.pop();
        b[1] -= 1;
        assert_eq!(
            Message::decode(&b),
            Err(DecodeError::TruncatedOption {
                offset: 12,
                code: Some(25)
            })
        );
    }

    #[test]
    fn stream_decoder_splits_and_waits() {
        let a = Message::new(MessageType::Contact, 1, 2).to_vec();
        let b = Message::new(MessageType::State, 3, 4)
            .with(FoOption::ServerState(ServerState::Normal))
            .to_vec();
        let mut all = a.clone();
        all.extend_from_slice(&b);
        let mut d = StreamDecoder::new();
        d.push(&all[..5]);
        assert!(d.next_message().is_none());
        d.push(&all[5..a.len() + 3]);
        assert_eq!(d.next_message().unwrap().unwrap().to_vec(), a);
        assert!(d.next_message().is_none());
        d.push(&all[a.len() + 3..]);
        assert_eq!(d.next_message().unwrap().unwrap().to_vec(), b);
        assert_eq!(d.pending(), 0);
    }
}
