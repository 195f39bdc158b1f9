//! Typed errors: [`DecodeError`] for bytes that are not a failover message, [`ProtocolError`]
//! for a well-formed message the peer should not have sent (ISC drops the connection on both).

use std::fmt;

use crate::message::MessageType;

/// Why bytes could not be decoded as one failover message. Offsets are from the start of the
/// message (its length field).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer than the 12 bytes of the fixed header.
    ShortHeader {
        /// Bytes available.
        len: usize,
    },
    /// The length field is below 12 or above 2048 (ISC closes the connection).
    LengthOutOfRange {
        /// The length field.
        declared: u16,
    },
    /// The length field does not match the bytes given.
    LengthMismatch {
        /// The length field.
        declared: u16,
        /// Bytes given.
        actual: usize,
    },
    /// The payload offset points inside the fixed header or past the message.
    BadPayloadOffset {
        /// The payload-offset byte.
        payload_offset: u8,
    },
    /// An option's code/length header or its data runs past the end of the message.
    TruncatedOption {
        /// Where the option starts.
        offset: usize,
        /// Its code, when the code itself could be read.
        code: Option<u16>,
    },
    /// A fixed-size option (ISC's table) has the wrong length in a message that uses it.
    OptionLength {
        /// Where the option starts.
        offset: usize,
        /// The option code.
        code: u16,
        /// The length found.
        len: u16,
    },
    /// An option that the message type uses appears twice (ISC: protocol error).
    DuplicateOption {
        /// Where the second copy starts.
        offset: usize,
        /// The option code.
        code: u16,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::ShortHeader { len } => {
                write!(
                    f,
                    "failover message of {len} bytes is shorter than its header"
                )
            }
            DecodeError::LengthOutOfRange { declared } => {
                write!(f, "failover message length {declared} is outside 12..2048")
            }
            DecodeError::LengthMismatch { declared, actual } => write!(
                f,
                "failover message length field says {declared} bytes, {actual} given"
            ),
            DecodeError::BadPayloadOffset { payload_offset } => {
                write!(f, "bad failover payload offset {payload_offset}")
            }
            DecodeError::TruncatedOption { offset, code } => match code {
                Some(c) => write!(f, "option {c} at offset {offset} is truncated"),
                None => write!(f, "truncated option header at offset {offset}"),
            },
            DecodeError::OptionLength { offset, code, len } => {
                write!(f, "option {code} at offset {offset} has bad length {len}")
            }
            DecodeError::DuplicateOption { offset, code } => {
                write!(f, "option {code} at offset {offset} appears twice")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A decodable message that breaks ISC's rules; the connection must be closed (ISC does not
/// answer, it just closes the socket).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes were not a message.
    Decode(DecodeError),
    /// A message type above 12 that carries options.
    OptionsInUnknownMessage {
        /// The type byte.
        msg_type: u8,
    },
    /// The DDNS option (9): ISC declares it with size 0, so any copy is a protocol error.
    DdnsOption,
    /// A binding-status outside 1..7 (ISC would abort).
    BadBindingStatus {
        /// The value.
        value: u8,
    },
    /// A server-state value ISC does not know (ISC moves itself to SHUTDOWN).
    BadServerState {
        /// The value.
        value: u8,
    },
    /// The message is not valid in this direction or on this link (e.g. a CONNECT received by
    /// a primary, a BNDUPD before the link is up).
    Unexpected {
        /// Its type.
        msg_type: MessageType,
    },
    /// A required option is missing (e.g. server-state in STATE).
    MissingOption {
        /// Its type.
        msg_type: MessageType,
        /// The missing option's code.
        code: u16,
    },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Decode(e) => e.fmt(f),
            ProtocolError::OptionsInUnknownMessage { msg_type } => {
                write!(f, "options in unknown message type {msg_type}")
            }
            ProtocolError::DdnsOption => f.write_str("DDNS option in a binding message"),
            ProtocolError::BadBindingStatus { value } => {
                write!(f, "binding status {value} out of range")
            }
            ProtocolError::BadServerState { value } => write!(f, "Invalid state: {value}"),
            ProtocolError::Unexpected { msg_type } => {
                write!(f, "unexpected {} message", msg_type.name())
            }
            ProtocolError::MissingOption { msg_type, code } => {
                write!(f, "{} message without option {code}", msg_type.name())
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

impl From<DecodeError> for ProtocolError {
    fn from(e: DecodeError) -> Self {
        ProtocolError::Decode(e)
    }
}
