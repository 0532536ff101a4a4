//! What can go wrong in a component's own start-up and wiring.

use core::fmt;

use alloc::string::String;

use cellulos::runtime::CallError;

/// A component's error.
#[derive(Debug)]
pub enum Error {
    /// The start page is not one (the root task did not start this program).
    BadStartPage,
    /// `connect` named a connection this instance does not use.
    NoSuchConnection,
    /// `serve` in an instance that provides no interface.
    NotAServer,
    /// `connect` twice with one name (a connection has one shared buffer).
    AlreadyConnected,
    /// A call failed (the generated error, as text: each interface has its own type).
    Call(String),
    /// The root could not extract the model (its status).
    Extraction(u64),
    /// A give was refused (the status: `NotHolder`, `NotAllowed` ...).
    Give(u64),
}

impl Error {
    /// The exit code that reports it.
    pub fn code(&self) -> u64 {
        match self {
            Error::BadStartPage => 0xE1,
            Error::NoSuchConnection => 0xE2,
            Error::NotAServer => 0xE3,
            Error::AlreadyConnected => 0xE5,
            Error::Call(_) => 0xE4,
            Error::Extraction(_) => 0xE6,
            Error::Give(_) => 0xE7,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadStartPage => f.write_str("no start page: this program was not started by the root task"),
            Error::NoSuchConnection => f.write_str("no such connection in this instance's `uses`"),
            Error::NotAServer => f.write_str("this instance provides no interface to serve"),
            Error::AlreadyConnected => f.write_str("this connection is already in use"),
            Error::Call(e) => write!(f, "call failed: {e}"),
            Error::Extraction(status) => write!(f, "the root could not extract the model (status {status})"),
            Error::Give(status) => write!(f, "the give was refused (status {status})"),
        }
    }
}

impl<E: fmt::Debug> From<CallError<E>> for Error {
    fn from(e: CallError<E>) -> Self {
        Error::Call(alloc::format!("{e}"))
    }
}
