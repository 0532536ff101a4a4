//! The runtime under generated IDL stubs: `no_std`, allocation-free on the call path, and
//! built to the seL4 5.0 limits of docs/wire.md even on the host, so that the seL4
//! transport is a drop-in for the [`loopback`] one.
//!
//! - [`limits`]: label, message, capability and badge limits;
//! - [`wire`]: the fixed-width little-endian codec and its [`Wire`] trait;
//! - [`message`]: a message as seL4 carries it (registers, IPC buffer, shared buffer);
//! - [`status`]: the reply status codes every interface shares;
//! - [`handle`]: typed handles and the server's badge -> (holder, resource, rights) table;
//! - [`transport`]: the trait a client stub calls through;
//! - [`server`]: the server's part of the model, kept by generated dispatch code.
#![no_std]

extern crate alloc;

/// Re-exported for generated code (`String<N>` and `Bytes<N>` are heapless types).
pub use heapless;
/// Re-exported for generated code: services export their part of the model.
pub use osmosis;
/// Re-exported for generated code: IDL types and requests/replies derive serde.
pub use serde;

pub mod handle;
pub mod limits;
#[cfg(feature = "loopback")]
pub mod loopback;
pub mod message;
pub mod server;
pub mod status;
pub mod transport;
pub mod wire;

pub use handle::{Badge, HandleEntry, HandleTable};
pub use message::{Cap, Message};
pub use server::{Book, ServeCtx};
pub use status::{CallError, Status};
pub use transport::{Transport, TransportError};
pub use wire::{Reader, Wire, WireError, Writer};
