//! The server side of generated code: the server's part of the OSmosis model (its
//! objects, who holds them, what maps onto what), kept by the generated dispatch so that
//! no server author writes bookkeeping, and exported as a model fragment.

pub use alloc::string::String;
use alloc::vec::Vec;
use core::marker::PhantomData;

use crate::handle::Badge;
use crate::message::Cap;

mod book;
mod export;
mod links;

pub use book::{Book, Class, MapTarget, Object, ObjectId, HANDLES_PER_BOOK, MAX_HANDLE_SLOT, MAX_OBJECT_ID};
pub use export::{merge, Fragment};

/// What a server may do while serving a message, besides replying. The transport (the
/// loopback, or seL4 IPC) builds it and carries out the revocations afterwards.
pub struct ServeCtx<'a> {
    /// The calling connection's shared buffer.
    pub shared: &'a mut [u8],
    endpoint: u32,
    revoked: Vec<Badge>,
}

impl<'a> ServeCtx<'a> {
    /// A context for a server at `endpoint` answering through `shared`.
    pub fn new(shared: &'a mut [u8], endpoint: u32) -> ServeCtx<'a> {
        ServeCtx { shared, endpoint, revoked: Vec::new() }
    }

    /// A capability to one of this server's objects, to return to the caller.
    pub fn mint(&self, badge: Badge) -> Cap {
        Cap::Endpoint { endpoint: self.endpoint, badge }
    }

    /// Revokes every capability with this badge (before its handle index is reused).
    /// Allocates only when something is revoked.
    pub fn revoke(&mut self, badge: Badge) {
        self.revoked.push(badge);
    }

    /// The revocations to carry out (for transports).
    pub fn take_revoked(&mut self) -> Vec<Badge> {
        core::mem::take(&mut self.revoked)
    }
}

/// A borrowed (or consumed) object of this server, as a server method receives it.
#[derive(Debug, PartialEq, Eq)]
pub struct Held<T> {
    /// The object in the server's book.
    pub id: ObjectId,
    /// The server's own key for it.
    pub key: u64,
    marker: PhantomData<fn() -> T>,
}

impl<T> Held<T> {
    /// Wraps a resolved object (generated code only).
    pub fn new(id: ObjectId, key: u64) -> Held<T> {
        Held { id, key, marker: PhantomData }
    }
}

/// A capability to another server's object, as a server method receives it.
#[derive(Debug, PartialEq, Eq)]
pub struct Foreign<T> {
    /// The capability (in the receive slot on seL4).
    pub cap: Cap,
    marker: PhantomData<fn() -> T>,
}

impl<T> Foreign<T> {
    /// Wraps a received capability (generated code only).
    pub fn new(cap: Cap) -> Foreign<T> {
        Foreign { cap, marker: PhantomData }
    }
}

/// What a server method returns for a `new` object: its own key, and for a resource the
/// space it lives in.
#[derive(Debug, PartialEq, Eq)]
pub struct New<T> {
    /// The server's own key for the object.
    pub key: u64,
    /// The space a new resource lives in.
    pub space: Option<ObjectId>,
    marker: PhantomData<fn() -> T>,
}

impl<T> New<T> {
    /// A new resource `key` in `space`.
    pub fn resource(key: u64, space: ObjectId) -> New<T> {
        New { key, space: Some(space), marker: PhantomData }
    }

    /// A new space or PD `key`.
    pub fn object(key: u64) -> New<T> {
        New { key, space: None, marker: PhantomData }
    }
}

/// What a transport hands a server: generated services implement it over their dispatch.
pub trait Serve {
    /// Serves a request of at most 4 words without capabilities in place, when the method
    /// is one whose request and reply are plain 64-bit words (the fast path): returns the
    /// reply label, with the reply in `words[..*len]`. `None`: not such a method, serve the
    /// message through [`Serve::serve`]. Same answers either way.
    fn serve_registers(
        &mut self,
        label: u32,
        caller: crate::handle::Badge,
        words: &mut [u64; 4],
        len: &mut usize,
    ) -> Option<u32> {
        let _ = (label, caller, words, len);
        None
    }
    /// Handles `msg` (a request) and leaves the reply in it.
    fn serve(&mut self, ctx: &mut ServeCtx<'_>, msg: &mut crate::message::Message);
}

/// Generated marker types say what a handle names.
pub trait Named {
    /// The resource or space type (`VMR`, `ADS`), or `PD`.
    const TYPE_NAME: &'static str;
    /// Resource, space or PD.
    const CLASS: Class;
}

/// The PD marker: `&pd`, `new pd` in the IDL.
#[derive(Debug)]
pub enum Pd {}

impl Named for Pd {
    const TYPE_NAME: &'static str = "PD";
    const CLASS: Class = Class::Pd;
}
