//! The message tag (`seL4_MessageInfo_t`): label, unwrapped caps, extra caps, length.

use crate::Word;

/// Message registers passed in CPU registers (r10 r8 r9 r15).
pub const REGISTER_WORDS: usize = 4;
/// `seL4_MsgMaxLength`: words in one message, registers included.
pub const MSG_MAX_WORDS: usize = 120;
/// `seL4_MsgMaxExtraCaps`.
pub const MAX_EXTRA_CAPS: usize = 3;

/// A message tag: 20-bit label, 3 bits of unwrapped caps, 2 of extra caps, 7 of length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageInfo(pub Word);

impl MessageInfo {
    /// Label bits.
    pub const LABEL_BITS: u32 = 20;

    /// A tag; out-of-range fields are cut to their width, as the kernel does.
    pub const fn new(label: Word, caps_unwrapped: Word, extra_caps: Word, length: Word) -> Self {
        Self(((label & 0xf_ffff) << 12) | ((caps_unwrapped & 7) << 9) | ((extra_caps & 3) << 7) | (length & 0x7f))
    }

    /// The label (a method id, a fault type, or an error code in replies from the kernel).
    pub const fn label(self) -> Word {
        (self.0 >> 12) & 0xf_ffff
    }

    /// Which extra caps arrived unwrapped (as badges), one bit each.
    pub const fn caps_unwrapped(self) -> Word {
        (self.0 >> 9) & 7
    }

    /// How many extra caps the message carries.
    pub const fn extra_caps(self) -> usize {
        ((self.0 >> 7) & 3) as usize
    }

    /// How many message words.
    pub const fn length(self) -> usize {
        (self.0 & 0x7f) as usize
    }
}
