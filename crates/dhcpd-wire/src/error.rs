//! Errors of the DHCPv4 codec.

use std::fmt;

/// Which part of a message an option was read from or written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// The options field after the magic cookie.
    Options,
    /// The `file` field, used for options when option 52 says so.
    File,
    /// The `sname` field, used for options when option 52 says so.
    Sname,
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Area::Options => "options",
            Area::File => "file",
            Area::Sname => "sname",
        })
    }
}

/// Why a DHCPv4 message could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// The buffer is shorter than the fixed BOOTP header.
    Truncated {
        /// Length of the buffer.
        len: usize,
        /// Minimum length required.
        min: usize,
    },
    /// An option's length byte or data runs past the end of its area.
    OptionTruncated {
        /// The area the option is in.
        area: Area,
        /// Offset of the option's code byte from the start of the message.
        offset: usize,
        /// The option code.
        code: u8,
    },
    /// Option data longer than 255 bytes in one option instance.
    OptionTooLong {
        /// The option code.
        code: u8,
        /// The data length.
        len: usize,
    },
    /// Options placed in `file` or `sname` do not fit the field.
    AreaOverflow {
        /// The overfull field.
        area: Area,
        /// Bytes the options need.
        len: usize,
        /// Size of the field.
        capacity: usize,
    },
    /// The output buffer is smaller than [`Message::buffer_len`](crate::Message::buffer_len).
    BufferTooSmall {
        /// Buffer length given.
        len: usize,
        /// Length needed.
        needed: usize,
    },
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated { len, min } => {
                write!(
                    f,
                    "message of {len} bytes is shorter than the {min}-byte BOOTP header"
                )
            }
            WireError::OptionTruncated { area, offset, code } => {
                write!(
                    f,
                    "option {code} at offset {offset} runs past the end of the {area} area"
                )
            }
            WireError::OptionTooLong { code, len } => {
                write!(f, "option {code} instance of {len} bytes exceeds 255 bytes")
            }
            WireError::AreaOverflow {
                area,
                len,
                capacity,
            } => {
                write!(
                    f,
                    "{len} bytes of options do not fit the {capacity}-byte {area} field"
                )
            }
            WireError::BufferTooSmall { len, needed } => {
                write!(f, "buffer of {len} bytes is too small; {needed} needed")
            }
        }
    }
}

impl std::error::Error for WireError {}

/// Result type of the codec.
pub type Result<T> = std::result::Result<T, WireError>;
