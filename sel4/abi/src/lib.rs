//! The seL4 5.0 x86_64 ABI for CellulOS programs, without libsel4 or libc.
//!
//! - [`syscall`]: the system calls in inline assembly (rdx = number, rdi = cap or badge,
//!   rsi = message info, r10 r8 r9 r15 = MR0..MR3; rbx carries rsp across `syscall`
//!   because the kernel's fast path does not save it);
//! - [`MessageInfo`], [`IpcBuffer`] (message words, extra caps, the receive slot),
//!   [`BootInfo`] (packed, as the kernel lays it out), typed capabilities [`Cap`];
//! - every kernel invocation as a method of [`IpcBuffer`] (`ipc.tcb_set_priority(tcb, 100)`),
//!   with [`label`]s, [`object_type`]s, [`size_bits`] and the numeric [`config`],
//!   **generated at build time** from the kernel's XML and headers by `sel4-gen`, with every
//!   `condition=` evaluated against the `autoconf.h` in use;
//! - [`Fault`]: fault messages decoded; [`debug`]: the debug kernel's console.
//!
//! Invocations take the IPC buffer explicitly: this 5.0 x86_64 setup has no thread-local
//! storage (no `fsgsbase`), and an explicit `&mut IpcBuffer` makes "one buffer per thread"
//! a property the borrow checker keeps. Like rust-sel4, invocations are safe functions: what
//! they can break is the kernel's objects, which the kernel itself checks.
#![no_std]

mod bootinfo;
mod cap;
pub mod debug;
mod error;
mod fault;
mod ipc_buffer;
mod message;
pub mod syscall;

/// A machine word.
pub type Word = u64;

pub use bootinfo::{BootInfo, SlotRegion, UntypedDesc};
pub use cap::{init, Cap, CapRights, CapType, Endpoint, Notification};
pub use error::Error;
pub use fault::Fault;
pub use ipc_buffer::IpcBuffer;
pub use message::{MessageInfo, MAX_EXTRA_CAPS, MSG_MAX_WORDS, REGISTER_WORDS};

mod generated {
    #![allow(missing_docs, clippy::all)]
    use crate::{Cap, CapRights, CapType, Error, IpcBuffer, MessageInfo, Word};
    include!(concat!(env!("OUT_DIR"), "/abi.rs"));
}

pub use generated::*;

/// Badges are 28 bits on endpoint caps in 5.0 (`capEPBadge`); the debug kernel halts on
/// a larger one, so mints check against this first.
pub const BADGE_BITS: u32 = 28;
