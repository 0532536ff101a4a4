//! The transport a client stub calls through: seL4 IPC on the target, the loopback on
//! the host. Both enforce [`check`], so code that works on one works on the other.

use core::fmt;

use crate::limits::{LABEL_BITS, MAX_BADGE, MAX_WORDS};
use crate::message::{Cap, Message};

/// Why a message could not be delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The label does not fit its 20 bits.
    BadLabel,
    /// More than 120 message words.
    TooLong,
    /// More than one capability to an object of another server.
    TooManyForeignCaps,
    /// A badge of 0 or of more than 28 bits.
    BadBadge,
    /// A capability names an endpoint that does not exist (or was revoked).
    DeadCapability,
    /// The server is gone.
    ServerGone,
    /// What the message needs, this transport does not carry (named).
    Unsupported(&'static str),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::BadLabel => "label over 20 bits",
            TransportError::TooLong => "more than 120 message words",
            TransportError::TooManyForeignCaps => "more than one capability to another server's object",
            TransportError::BadBadge => "badge 0 or over 28 bits",
            TransportError::DeadCapability => "capability to nothing (revoked or never minted)",
            TransportError::ServerGone => "the server is gone",
            TransportError::Unsupported(what) => return write!(f, "not carried by this transport: {what}"),
        })
    }
}

/// The checks every transport applies to a message before it goes out.
pub fn check(msg: &Message) -> Result<(), TransportError> {
    if msg.label >> LABEL_BITS != 0 {
        return Err(TransportError::BadLabel);
    }
    if msg.len > MAX_WORDS {
        return Err(TransportError::TooLong);
    }
    for cap in msg.caps.iter().flatten() {
        let badge = match cap {
            Cap::Endpoint { badge, .. } | Cap::Unwrapped(badge) => *badge,
        };
        if badge == 0 || badge > MAX_BADGE {
            return Err(TransportError::BadBadge);
        }
    }
    Ok(())
}

/// A connection to one server.
pub trait Transport {
    /// Sends `msg` and waits for the reply, which replaces it.
    fn call(&mut self, msg: &mut Message) -> Result<(), TransportError>;
    /// The connection's shared buffer, for payloads over 960 bytes.
    fn shared(&mut self) -> &mut [u8];
}
