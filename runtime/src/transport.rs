//! The transport a client stub calls through: seL4 IPC on the target, the loopback on
//! the host. Both enforce [`check`], so code that works on one works on the other.

use core::fmt;

use crate::limits::{LABEL_BITS, MAX_BADGE, MAX_WORDS, REGISTER_WORDS};
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

/// A reply in registers: its label, words 0..3 and how many of them count.
pub type RegisterReply = (u32, [u64; REGISTER_WORDS], usize);

/// A connection to one server.
pub trait Transport {
    /// Sends `msg` and waits for the reply, which replaces it.
    fn call(&mut self, msg: &mut Message) -> Result<(), TransportError>;
    /// The connection's shared buffer, for payloads over 960 bytes.
    fn shared(&mut self) -> &mut [u8];
    /// The caller gave up `cap` (a consumed handle whose call succeeded): a transport that
    /// keeps a slot per received capability (seL4) frees it here.
    fn forget(&mut self, cap: Cap) {
        let _ = cap;
    }

    /// A call of at most 4 words and no capabilities whose reply is expected the same way:
    /// the kernel's fast path, with no `Message` in between on transports that can (seL4).
    /// `scratch` is the client's message, for transports that need one; this default goes
    /// through [`Transport::call`], so every transport keeps every rule.
    fn call_registers(
        &mut self,
        scratch: &mut Message,
        label: u32,
        words: [u64; REGISTER_WORDS],
        len: usize,
    ) -> Result<RegisterReply, TransportError> {
        scratch.reset(label);
        scratch.words[..REGISTER_WORDS].copy_from_slice(&words);
        scratch.len = len.min(REGISTER_WORDS);
        self.call(scratch)?;
        let mut out = [0; REGISTER_WORDS];
        let n = scratch.len.min(REGISTER_WORDS);
        out[..n].copy_from_slice(&scratch.words[..n]);
        // A reply that is not all in registers is reported by its true length (the caller
        // then refuses it) rather than cut.
        let len = if scratch.is_shared() || scratch.cap_count() > 0 { usize::MAX } else { scratch.len };
        Ok((scratch.label, out, len))
    }
}
