//! A message as seL4 carries it: a label, up to 120 words (the first 4 in registers, the
//! rest in the IPC buffer), up to 3 capabilities, and, for payloads over 960 bytes, the
//! connection's shared buffer with the byte length in word 0.

use crate::handle::Badge;
use crate::limits::{MAX_CAPS, MAX_INLINE_BYTES, MAX_METHOD_ID, MAX_WORDS, REGISTER_WORDS, SHARED_FLAG};
use crate::wire::{Reader, Wire, WireError, Writer};

/// A capability in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// An endpoint capability: `endpoint` names the server, `badge` its object.
    Endpoint {
        /// The server's endpoint.
        endpoint: u32,
        /// The object's badge at that server.
        badge: Badge,
    },
    /// What a server receives of a capability to its own endpoint: the badge alone
    /// (seL4 unwraps it; no slot is used).
    Unwrapped(Badge),
}

/// One message, request or reply.
#[derive(Clone, Debug)]
pub struct Message {
    /// The method id (request) or status (reply), plus [`SHARED_FLAG`].
    pub label: u32,
    /// How many of `words` are used.
    pub len: usize,
    /// Message words: 0-3 travel in registers, 4-119 in the IPC buffer.
    pub words: [u64; MAX_WORDS],
    /// Extra capabilities.
    pub caps: [Option<Cap>; MAX_CAPS],
    /// Set by the transport on delivery: the badge of the connection the sender called
    /// through (who the caller is).
    pub badge: Badge,
}

impl Message {
    /// An empty message with this label.
    pub const fn new(label: u32) -> Message {
        Message { label, len: 0, words: [0; MAX_WORDS], caps: [None; MAX_CAPS], badge: 0 }
    }

    /// Makes this a new, empty message with `label`, without clearing its words: only the
    /// first `len` words are ever read, and every encode writes those. Lets a client keep
    /// one message instead of zeroing 960 bytes per call.
    pub fn reset(&mut self, label: u32) {
        self.label = label;
        self.len = 0;
        self.caps = [None; MAX_CAPS];
        self.badge = 0;
    }

    /// The method id or status, without the shared-buffer flag.
    pub fn code(&self) -> u32 {
        self.label & MAX_METHOD_ID
    }

    /// Whether the payload is in the shared buffer.
    pub fn is_shared(&self) -> bool {
        self.label & SHARED_FLAG != 0
    }

    /// How many capabilities it carries.
    pub fn cap_count(&self) -> usize {
        self.caps.iter().filter(|c| c.is_some()).count()
    }

    /// Whether it can take seL4's fast path: at most 4 words (all in registers), no
    /// capabilities, no shared buffer.
    pub fn in_registers(&self) -> bool {
        self.len <= REGISTER_WORDS && self.cap_count() == 0 && !self.is_shared()
    }

    /// Appends a capability.
    pub fn push_cap(&mut self, cap: Cap) -> Result<(), WireError> {
        let slot = self.caps.iter_mut().find(|c| c.is_none()).ok_or(WireError::Overflow)?;
        *slot = Some(cap);
        Ok(())
    }

    /// Stores `value` as the payload: in the message words when its encoding fits 960
    /// bytes, otherwise in `shared` (word 0 then holds the byte length).
    pub fn encode<T: Wire>(&mut self, value: &T, shared: &mut [u8]) -> Result<(), WireError> {
        // A type that always fits the registers (the fast path) needs no 960-byte scratch:
        // `MAX_SIZE` is a constant, so only one branch is compiled per type.
        if T::MAX_SIZE <= REGISTER_WORDS * 8 {
            let mut buf = [0u8; REGISTER_WORDS * 8];
            let mut w = Writer::new(&mut buf);
            value.encode(&mut w)?;
            let n = w.len();
            self.pack(&buf[..n.div_ceil(8) * 8]);
            return Ok(());
        }
        let mut buf = [0u8; MAX_INLINE_BYTES];
        let mut w = Writer::new(&mut buf);
        match value.encode(&mut w) {
            Ok(()) => {
                let n = w.len();
                self.pack(&buf[..n.div_ceil(8) * 8]);
                Ok(())
            }
            Err(WireError::Overflow) => {
                let mut w = Writer::new(shared);
                value.encode(&mut w)?;
                self.label |= SHARED_FLAG;
                self.words[0] = w.len() as u64;
                self.len = 1;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Puts whole words of payload into the message (inline, not shared).
    fn pack(&mut self, bytes: &[u8]) {
        self.label &= !SHARED_FLAG;
        self.len = bytes.len() / 8;
        for (word, chunk) in self.words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *word = u64::from_le_bytes(b);
        }
    }

    /// Decodes `T` from the first `len` words, unpacked into `buf`.
    fn unpack_decode<T: Wire>(&self, buf: &mut [u8]) -> Result<T, WireError> {
        let bytes = buf.get_mut(..self.len * 8).ok_or(WireError::Oversize)?;
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(&self.words[..self.len]) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let mut r = Reader::new(bytes);
        let value = T::decode(&mut r)?;
        r.finish(7)?;
        Ok(value)
    }

    /// Reads the payload as a `T`, trusting nothing: a short payload, bad tags, oversize
    /// lengths and trailing bytes (beyond the zero padding of the last word) are errors.
    pub fn decode<T: Wire>(&self, shared: &[u8]) -> Result<T, WireError> {
        if self.is_shared() {
            if self.len != 1 {
                return Err(WireError::Trailing);
            }
            let n = usize::try_from(self.words[0]).map_err(|_| WireError::Oversize)?;
            let bytes = shared.get(..n).ok_or(WireError::Oversize)?;
            let mut r = Reader::new(bytes);
            let value = T::decode(&mut r)?;
            r.finish(0)?;
            return Ok(value);
        }
        if self.len > MAX_WORDS {
            return Err(WireError::Oversize);
        }
        // The fast path's few words need no 960-byte scratch either.
        if self.len <= REGISTER_WORDS {
            return self.unpack_decode(&mut [0u8; REGISTER_WORDS * 8]);
        }
        self.unpack_decode(&mut [0u8; MAX_INLINE_BYTES])
    }
}
