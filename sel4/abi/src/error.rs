//! The kernel's error codes (`libsel4/include/sel4/errors.h`).

use core::fmt;

use crate::Word;

/// Why an invocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `seL4_InvalidArgument`.
    InvalidArgument,
    /// `seL4_InvalidCapability`.
    InvalidCapability,
    /// `seL4_IllegalOperation`.
    IllegalOperation,
    /// `seL4_RangeError`.
    RangeError,
    /// `seL4_AlignmentError`.
    AlignmentError,
    /// `seL4_FailedLookup`.
    FailedLookup,
    /// `seL4_TruncatedMessage`.
    TruncatedMessage,
    /// `seL4_DeleteFirst`.
    DeleteFirst,
    /// `seL4_RevokeFirst`.
    RevokeFirst,
    /// `seL4_NotEnoughMemory`.
    NotEnoughMemory,
    /// A code this crate does not know.
    Unknown(Word),
}

impl Error {
    /// `Ok` for `seL4_NoError` (0), the error otherwise.
    pub fn check(code: Word) -> Result<(), Error> {
        Err(match code {
            0 => return Ok(()),
            1 => Error::InvalidArgument,
            2 => Error::InvalidCapability,
            3 => Error::IllegalOperation,
            4 => Error::RangeError,
            5 => Error::AlignmentError,
            6 => Error::FailedLookup,
            7 => Error::TruncatedMessage,
            8 => Error::DeleteFirst,
            9 => Error::RevokeFirst,
            10 => Error::NotEnoughMemory,
            other => Error::Unknown(other),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Error::InvalidArgument => "invalid argument",
            Error::InvalidCapability => "invalid capability",
            Error::IllegalOperation => "illegal operation",
            Error::RangeError => "range error",
            Error::AlignmentError => "alignment error",
            Error::FailedLookup => "failed lookup",
            Error::TruncatedMessage => "truncated message",
            Error::DeleteFirst => "delete first",
            Error::RevokeFirst => "revoke first",
            Error::NotEnoughMemory => "not enough memory",
            Error::Unknown(code) => return write!(f, "unknown seL4 error {code}"),
        };
        f.write_str(name)
    }
}
