//! Kernel objects of the root task: each one retyped from an untyped block of exactly its
//! size into a slot of its own, and destroyed by revoking and deleting its cap (which
//! empties the block) before block and slot are freed.

use core::fmt;

use sel4::{
    init, object_type, size_bits, BootInfo, CNode, Cap, CapType, Endpoint, IpcBuffer, Notification, Page,
    PageDirectory, PageTable, Pdpt, Pml4, Tcb, Word,
};

use crate::cspace::SlotAllocator;
use crate::untyped::{BlockId, UntypedAllocator};

/// Why a kernel-object operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelError {
    /// An invocation failed.
    Sel4(&'static str, sel4::Error),
    /// No free untyped block of 2^bits bytes.
    OutOfMemory {
        /// The size asked for.
        bits: u8,
    },
    /// The root CNode is full.
    OutOfSlots,
    /// A block freed twice or never allocated.
    BadBlock(BlockId),
    /// No virtual window left for a thread.
    OutOfWindows,
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::Sel4(op, e) => write!(f, "{op}: {e}"),
            KernelError::OutOfMemory { bits } => write!(f, "no free untyped memory block of 2^{bits} bytes"),
            KernelError::OutOfSlots => f.write_str("the root CNode has no free slot"),
            KernelError::BadBlock(id) => write!(f, "untyped block {id} is not allocated"),
            KernelError::OutOfWindows => f.write_str("no free virtual window for a thread"),
        }
    }
}

/// A kind of object the root task creates: its `object_type` and size.
pub trait Retype: CapType {
    /// `object_type::*`.
    const TYPE: Word;
    /// Its size as a power of two.
    const BITS: u32;
}

macro_rules! retype {
    ($($t:ty => $ty:expr, $bits:expr;)*) => {$(
        impl Retype for $t {
            const TYPE: Word = $ty;
            const BITS: u32 = $bits;
        }
    )*};
}

retype! {
    Tcb => object_type::TCB, size_bits::TCB;
    Endpoint => object_type::ENDPOINT, size_bits::ENDPOINT;
    Notification => object_type::NOTIFICATION, size_bits::NOTIFICATION;
    Page => object_type::X86_4K, size_bits::PAGE;
    PageTable => object_type::X86_PAGE_TABLE, size_bits::PAGE_TABLE;
    PageDirectory => object_type::X86_PAGE_DIRECTORY, size_bits::PAGE_DIR;
    Pdpt => object_type::X86_PDPT, size_bits::PDPT;
    Pml4 => object_type::X64_PML4, size_bits::PML4;
}

/// An object the root task created: its cap and the block it lives in.
#[derive(Debug)]
pub struct Object<T: CapType> {
    /// The original cap.
    pub cap: Cap<T>,
    block: BlockId,
}

/// The root task's kernel-object management.
pub struct Kernel {
    /// The root thread's IPC buffer.
    pub ipc: &'static mut IpcBuffer,
    /// Untyped memory.
    pub untyped: UntypedAllocator,
    /// Root CNode slots.
    pub slots: SlotAllocator,
}

impl Kernel {
    /// Takes over the resources BootInfo lists.
    pub fn new(boot: &BootInfo, ipc: &'static mut IpcBuffer) -> Self {
        let empty = boot.empty();
        Self {
            ipc,
            untyped: UntypedAllocator::new(
                boot.untypeds().filter(|(_, d)| d.is_device == 0).map(|(cap, d)| (cap, d.size_bits, d.paddr)),
            ),
            slots: SlotAllocator::new(empty.start, empty.end),
        }
    }

    /// A new object of type `T`.
    pub fn create<T: Retype>(&mut self) -> Result<Object<T>, KernelError> {
        let block = self.untyped.alloc(self.ipc, &mut self.slots, T::BITS as u8)?;
        let Some(slot) = self.slots.alloc() else {
            self.untyped.free(block)?;
            return Err(KernelError::OutOfSlots);
        };
        let ut = self.untyped.cap(block);
        if let Err(e) = self.ipc.untyped_retype(ut, T::TYPE, 0, init::CNODE, 0, 0, slot, 1) {
            self.slots.free(slot);
            self.untyped.free(block)?;
            return Err(KernelError::Sel4("untyped_retype", e));
        }
        Ok(Object { cap: Cap::from_bits(slot), block })
    }

    /// The physical address of an object (a frame's, for the model), from the untyped
    /// block it was made of.
    pub fn paddr<T: CapType>(&self, o: &Object<T>) -> Word {
        self.untyped.paddr(o.block)
    }

    /// A new CNode of 2^`radix` slots.
    pub fn create_cnode(&mut self, radix: u8) -> Result<Object<CNode>, KernelError> {
        let block = self.untyped.alloc(self.ipc, &mut self.slots, radix + size_bits::SLOT as u8)?;
        let Some(slot) = self.slots.alloc() else {
            self.untyped.free(block)?;
            return Err(KernelError::OutOfSlots);
        };
        let ut = self.untyped.cap(block);
        let r = self.ipc.untyped_retype(ut, object_type::CAP_TABLE, Word::from(radix), init::CNODE, 0, 0, slot, 1);
        if let Err(e) = r {
            self.slots.free(slot);
            self.untyped.free(block)?;
            return Err(KernelError::Sel4("untyped_retype (cnode)", e));
        }
        Ok(Object { cap: Cap::from_bits(slot), block })
    }

    /// Destroys an object: revokes every cap derived from it, deletes it (the kernel undoes
    /// whatever it was: a TCB stops, a mapped frame or table is unmapped), frees its memory.
    pub fn destroy<T: CapType>(&mut self, object: Object<T>) -> Result<(), KernelError> {
        self.delete_cap(object.cap.bits())?;
        self.untyped.free(object.block)
    }

    /// Revokes and deletes the cap in `slot`, then frees the slot.
    pub fn delete_cap(&mut self, slot: Word) -> Result<(), KernelError> {
        self.ipc.cnode_revoke(init::CNODE, slot, 64).map_err(|e| KernelError::Sel4("cnode_revoke", e))?;
        self.ipc.cnode_delete(init::CNODE, slot, 64).map_err(|e| KernelError::Sel4("cnode_delete", e))?;
        self.slots.free(slot);
        Ok(())
    }

    /// A copy of `cap` with `rights` and `badge` (< 2^28) in a new slot.
    pub fn mint<T: CapType>(
        &mut self,
        cap: Cap<T>,
        rights: sel4::CapRights,
        badge: Word,
    ) -> Result<Cap<T>, KernelError> {
        if badge >> sel4::BADGE_BITS != 0 {
            return Err(KernelError::Sel4("mint: badge wider than 28 bits", sel4::Error::InvalidArgument));
        }
        let slot = self.slots.alloc().ok_or(KernelError::OutOfSlots)?;
        if let Err(e) = self.ipc.cnode_mint(init::CNODE, slot, 64, init::CNODE, cap.bits(), 64, rights, badge) {
            self.slots.free(slot);
            return Err(KernelError::Sel4("cnode_mint", e));
        }
        Ok(Cap::from_bits(slot))
    }

    /// Free untyped bytes and free slots, after merging free blocks (their halves' slots
    /// come back): what the reclamation tests compare.
    pub fn usage(&mut self) -> (u64, Word) {
        if let Err(e) = self.untyped.coalesce(self.ipc, &mut self.slots) {
            sel4_rt::println!("cellulos root: merging free untyped blocks: {e}");
        }
        (self.untyped.free_bytes(), self.slots.free_count())
    }
}
