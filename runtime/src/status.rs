//! Reply status codes, shared by every interface, and the error a client call returns.

use core::fmt;

use crate::transport::TransportError;
use crate::wire::WireError;

/// The status in a reply's label. Interface errors follow from [`APP_ERROR_BASE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// No such method in this interface.
    UnknownMethod = 1,
    /// The message ended early.
    Short = 2,
    /// Bytes were left after the last argument.
    Trailing = 3,
    /// A bool, Option or enum tag had no meaning.
    BadTag = 4,
    /// A length exceeded its bound.
    Oversize = 5,
    /// Text was not UTF-8.
    BadUtf8 = 6,
    /// The capabilities do not match the method.
    CapCount = 7,
    /// The connection is for another interface (or version).
    WrongInterface = 8,
    /// A handle names nothing.
    BadHandle = 9,
    /// The caller does not hold the handle it presented.
    NotHolder = 10,
    /// The caller may not call this (`export_model` is the root's).
    NotAllowed = 11,
    /// The server is gone (released by the root after it failed).
    ServerGone = 12,
    /// The server's handle table is full.
    NoHandles = 13,
    /// The reply does not fit its buffers.
    Overflow = 14,
}

/// Reply labels from here on carry the interface's own errors, in IDL order.
pub const APP_ERROR_BASE: u32 = 0x100;

impl Status {
    const ALL: [Status; 15] = [
        Status::Ok,
        Status::UnknownMethod,
        Status::Short,
        Status::Trailing,
        Status::BadTag,
        Status::Oversize,
        Status::BadUtf8,
        Status::CapCount,
        Status::WrongInterface,
        Status::BadHandle,
        Status::NotHolder,
        Status::NotAllowed,
        Status::ServerGone,
        Status::NoHandles,
        Status::Overflow,
    ];

    /// The status a label code stands for.
    pub fn from_code(code: u32) -> Option<Status> {
        Status::ALL.into_iter().find(|s| *s as u32 == code)
    }
}

impl From<WireError> for Status {
    fn from(e: WireError) -> Status {
        match e {
            WireError::Short => Status::Short,
            WireError::Trailing => Status::Trailing,
            WireError::BadTag => Status::BadTag,
            WireError::Oversize => Status::Oversize,
            WireError::BadUtf8 => Status::BadUtf8,
            WireError::Overflow => Status::Overflow,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Status::Ok => "ok",
            Status::UnknownMethod => "unknown method",
            Status::Short => "message too short",
            Status::Trailing => "trailing bytes",
            Status::BadTag => "invalid tag",
            Status::Oversize => "length over its bound",
            Status::BadUtf8 => "text is not UTF-8",
            Status::CapCount => "capabilities do not match the method",
            Status::WrongInterface => "wrong interface or version",
            Status::BadHandle => "no such handle",
            Status::NotHolder => "the caller does not hold that handle",
            Status::NotAllowed => "not allowed",
            Status::ServerGone => "the server is gone",
            Status::NoHandles => "handle table full",
            Status::Overflow => "reply too large",
        };
        f.write_str(text)
    }
}

/// Why a call failed: a shared status, the interface's own error, or the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError<E> {
    /// A status every interface shares.
    Status(Status),
    /// The interface's own error.
    App(E),
    /// The message could not be delivered.
    Transport(TransportError),
}

impl<E: fmt::Debug> fmt::Display for CallError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Status(s) => write!(f, "{s}"),
            CallError::App(e) => write!(f, "{e:?}"),
            CallError::Transport(t) => write!(f, "{t}"),
        }
    }
}

impl<E> From<WireError> for CallError<E> {
    fn from(e: WireError) -> Self {
        CallError::Status(e.into())
    }
}

impl<E> From<TransportError> for CallError<E> {
    fn from(e: TransportError) -> Self {
        CallError::Transport(e)
    }
}
