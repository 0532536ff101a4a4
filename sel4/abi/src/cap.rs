//! Typed capability pointers in the style of rust-sel4's `Cap<T>`: a slot address in the
//! caller's CSpace plus, in the type, which kernel object it should name. The marker types
//! (`Tcb`, `Untyped`, `Page` ...) are generated from the interface files.

use core::fmt;
use core::marker::PhantomData;

use crate::Word;

/// A kind of kernel object.
pub trait CapType: Copy {
    /// Its libsel4 name.
    const NAME: &'static str;
}

/// A capability pointer to an object of type `T`.
#[repr(transparent)]
pub struct Cap<T: CapType> {
    bits: Word,
    kind: PhantomData<T>,
}

impl<T: CapType> Cap<T> {
    /// The null cap pointer (slot 0 is always empty).
    pub const NULL: Self = Self::from_bits(0);

    /// The cap at CSpace address `bits`.
    pub const fn from_bits(bits: Word) -> Self {
        Self { bits, kind: PhantomData }
    }

    /// Its CSpace address.
    pub const fn bits(self) -> Word {
        self.bits
    }

    /// The same slot seen as another type (the kernel checks the real type on use).
    pub const fn cast<U: CapType>(self) -> Cap<U> {
        Cap::from_bits(self.bits)
    }
}

impl<T: CapType> Clone for Cap<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: CapType> Copy for Cap<T> {}
impl<T: CapType> PartialEq for Cap<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<T: CapType> Eq for Cap<T> {}
impl<T: CapType> fmt::Debug for Cap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:#x})", T::NAME, self.bits)
    }
}

/// Capability type of an endpoint (no invocations: it is called, not invoked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint;
impl CapType for Endpoint {
    const NAME: &'static str = "seL4_Endpoint";
}

/// Capability type of a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification;
impl CapType for Notification {
    const NAME: &'static str = "seL4_Notification";
}

/// Access rights of a cap (`seL4_CapRights_t`: write bit 0, read bit 1, grant bit 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapRights(Word);

impl CapRights {
    /// No rights.
    pub const NONE: Self = Self(0);
    /// Read, write and grant.
    pub const ALL: Self = Self(0b111);
    /// Read and write (frames mapped for data).
    pub const READ_WRITE: Self = Self(0b011);
    /// Read only.
    pub const READ: Self = Self(0b010);
    /// Write only (= signal, on a notification).
    pub const WRITE: Self = Self(0b001);
    /// Write (= send on an endpoint) and grant: what a `Call` and a fault endpoint need in 5.0.
    pub const WRITE_GRANT: Self = Self(0b101);

    /// The rights as the kernel's word.
    pub const fn bits(self) -> Word {
        self.0
    }
}

/// The capabilities the kernel gives the root task (`bootinfo_types.h`).
pub mod init {
    use crate::{AsidControl, AsidPool, CNode, Cap, DomainSet, IoPort, IrqControl, Page, Pml4, Tcb};

    /// The root task's TCB.
    pub const TCB: Cap<Tcb> = Cap::from_bits(1);
    /// The root task's CNode (its whole CSpace).
    pub const CNODE: Cap<CNode> = Cap::from_bits(2);
    /// The root task's VSpace (a PML4 on x86_64).
    pub const VSPACE: Cap<Pml4> = Cap::from_bits(3);
    /// IRQ control.
    pub const IRQ_CONTROL: Cap<IrqControl> = Cap::from_bits(4);
    /// ASID control.
    pub const ASID_CONTROL: Cap<AsidControl> = Cap::from_bits(5);
    /// The root task's ASID pool.
    pub const ASID_POOL: Cap<AsidPool> = Cap::from_bits(6);
    /// All I/O ports.
    pub const IO_PORT: Cap<IoPort> = Cap::from_bits(7);
    /// The BootInfo frame.
    pub const BOOT_INFO_FRAME: Cap<Page> = Cap::from_bits(9);
    /// The root task's IPC buffer frame.
    pub const IPC_BUFFER: Cap<Page> = Cap::from_bits(10);
    /// The domain controller.
    pub const DOMAIN: Cap<DomainSet> = Cap::from_bits(11);
}
