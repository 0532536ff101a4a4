//! Fault messages: what the kernel sends to a thread's fault endpoint, by label
//! (`seL4_Fault` tags of `arch/shared_types.bf`, registers of `sel4_arch/constants.h`).

use core::fmt;

use crate::{IpcBuffer, MessageInfo, Word};

/// A fault a thread took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A capability lookup failed (`seL4_Fault_CapFault`).
    Cap {
        /// Instruction pointer.
        ip: Word,
        /// The cap address that failed.
        addr: Word,
    },
    /// A syscall number the kernel does not know.
    UnknownSyscall {
        /// Instruction pointer.
        ip: Word,
        /// The number.
        syscall: Word,
    },
    /// A CPU exception (divide by zero, invalid opcode ...).
    UserException {
        /// Instruction pointer.
        ip: Word,
        /// Exception number.
        number: Word,
        /// Its code.
        code: Word,
    },
    /// A page fault.
    Vm {
        /// Instruction pointer.
        ip: Word,
        /// The faulting address.
        addr: Word,
        /// Instruction fetch (1) or data access (0).
        prefetch: Word,
        /// The fault status (x86 error code).
        fsr: Word,
    },
    /// A label that is no fault this crate knows.
    Other(Word),
}

impl Fault {
    /// Decodes a received fault message.
    pub fn decode(info: MessageInfo, mrs: &[Word; 4], ipc: &IpcBuffer) -> Fault {
        let w = |i: usize| ipc.reply_word(mrs, i);
        match info.label() {
            1 => Fault::Cap { ip: w(0), addr: w(1) },
            2 => Fault::UnknownSyscall { ip: w(15), syscall: w(18) },
            3 => Fault::UserException { ip: w(0), number: w(3), code: w(4) },
            5 => Fault::Vm { ip: w(0), addr: w(1), prefetch: w(2), fsr: w(3) },
            other => Fault::Other(other),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Cap { ip, addr } => write!(f, "cap fault at cap address {addr:#x}, ip {ip:#x}"),
            Fault::UnknownSyscall { ip, syscall } => write!(f, "unknown syscall {syscall}, ip {ip:#x}"),
            Fault::UserException { ip, number, code } => {
                write!(f, "user exception {number} (code {code:#x}), ip {ip:#x}")
            }
            Fault::Vm { ip, addr, prefetch, fsr } => write!(
                f,
                "vm fault on {} at address {addr:#x} (status {fsr:#x}), ip {ip:#x}",
                if *prefetch != 0 { "instruction" } else { "data" }
            ),
            Fault::Other(label) => write!(f, "fault with label {label}"),
        }
    }
}
