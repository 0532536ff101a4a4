//! Untyped memory with reclamation: a buddy allocator over untyped caps.
//!
//! seL4 hands memory back only when *everything* retyped from an untyped is deleted (the
//! next retype then starts from its beginning again). So every object gets an untyped block
//! of exactly its size, split off by retyping a bigger free block into two halves; freeing
//! an object frees its block. Merging is lazy: a free block whose buddy is free too is
//! merged back (deleting both halves' caps, which empties their parent) only when an
//! allocation finds no free block big enough, or when [`UntypedAllocator::coalesce`] is
//! asked. Eager merging made every create after a delete split the same blocks again, and
//! seL4 zeroes an emptied untyped's used part on its next retype: a 4 KiB object then cost
//! ten times a reused block. After `coalesce` the free bytes, the blocks and the slots they
//! use are back where they were.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use sel4::{init, object_type, size_bits, IpcBuffer, Untyped, Word};

use crate::cspace::SlotAllocator;
use crate::KernelError;

/// Index of a block.
pub type BlockId = u32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Used,
    Split,
    Gone,
}

struct Block {
    cap: Word,
    bits: u8,
    /// Physical address of its first byte (an object made of the whole block starts there).
    paddr: Word,
    parent: Option<BlockId>,
    buddy: Option<BlockId>,
    state: State,
}

/// The untyped memory of the root task.
pub struct UntypedAllocator {
    blocks: Vec<Block>,
    free: Vec<BTreeSet<BlockId>>,
    spare_ids: Vec<BlockId>,
    free_bytes: u64,
    total_bytes: u64,
}

const MIN_BITS: u8 = size_bits::MIN_UNTYPED as u8;
const MAX_BITS: u8 = 48;

impl UntypedAllocator {
    /// The non-device untyped caps the kernel handed over: `(cap, size_bits, paddr)`.
    pub fn new(untypeds: impl Iterator<Item = (Word, u8, Word)>) -> Self {
        let mut this = Self {
            blocks: Vec::new(),
            free: (0..=MAX_BITS).map(|_| BTreeSet::new()).collect(),
            spare_ids: Vec::new(),
            free_bytes: 0,
            total_bytes: 0,
        };
        for (cap, bits, paddr) in untypeds {
            if (MIN_BITS..=MAX_BITS).contains(&bits) {
                let id = this.new_block(Block { cap, bits, paddr, parent: None, buddy: None, state: State::Free });
                this.free[usize::from(bits)].insert(id);
                this.free_bytes += 1 << bits;
                this.total_bytes += 1 << bits;
            }
        }
        this
    }

    fn new_block(&mut self, block: Block) -> BlockId {
        match self.spare_ids.pop() {
            Some(id) => {
                self.blocks[id as usize] = block;
                id
            }
            None => {
                self.blocks.push(block);
                (self.blocks.len() - 1) as BlockId
            }
        }
    }

    /// Bytes not allocated.
    pub fn free_bytes(&self) -> u64 {
        self.free_bytes
    }

    /// Bytes of all non-device untypeds.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The biggest free block, as a power of two.
    pub fn largest_free(&self) -> Option<u8> {
        (MIN_BITS..=MAX_BITS).rev().find(|b| !self.free[usize::from(*b)].is_empty())
    }

    /// The physical address of a block: of the object made of it, without asking the
    /// kernel (a retype into an empty untyped starts at its beginning).
    pub fn paddr(&self, id: BlockId) -> Word {
        self.blocks[id as usize].paddr
    }

    /// The untyped cap of a block.
    pub fn cap(&self, id: BlockId) -> sel4::Cap<Untyped> {
        sel4::Cap::from_bits(self.blocks[id as usize].cap)
    }

    /// A block of exactly 2^`bits` bytes, split off a bigger one if needed (merging free
    /// buddies first when no free block is big enough).
    pub fn alloc(&mut self, ipc: &mut IpcBuffer, slots: &mut SlotAllocator, bits: u8) -> Result<BlockId, KernelError> {
        let bits = bits.max(MIN_BITS);
        let find = |this: &Self| (bits..=MAX_BITS).find(|b| !this.free[usize::from(*b)].is_empty());
        let from = match find(self) {
            Some(from) => from,
            None => {
                self.coalesce(ipc, slots)?;
                find(self).ok_or(KernelError::OutOfMemory { bits })?
            }
        };
        let mut id = self.free[usize::from(from)].pop_first().ok_or(KernelError::OutOfMemory { bits })?;
        while self.blocks[id as usize].bits > bits {
            match self.split(ipc, slots, id) {
                Ok((low, high)) => {
                    self.free[usize::from(self.blocks[high as usize].bits)].insert(high);
                    id = low;
                }
                Err(e) => {
                    // Put back what is left; the halves made so far stay as free blocks.
                    self.blocks[id as usize].state = State::Free;
                    let b = self.blocks[id as usize].bits;
                    self.free[usize::from(b)].insert(id);
                    return Err(e);
                }
            }
        }
        self.blocks[id as usize].state = State::Used;
        self.free_bytes -= 1 << bits;
        Ok(id)
    }

    /// Retypes block `id` into two untyped halves (two new caps, each in its own slot).
    fn split(
        &mut self,
        ipc: &mut IpcBuffer,
        slots: &mut SlotAllocator,
        id: BlockId,
    ) -> Result<(BlockId, BlockId), KernelError> {
        let Block { cap, bits, paddr, .. } = self.blocks[id as usize];
        let half = Word::from(bits - 1);
        let mut halves = [0; 2];
        for (i, h) in halves.iter_mut().enumerate() {
            let slot = slots.alloc().ok_or(KernelError::OutOfSlots)?;
            let result =
                ipc.untyped_retype(sel4::Cap::from_bits(cap), object_type::UNTYPED, half, init::CNODE, 0, 0, slot, 1);
            if let Err(e) = result {
                slots.free(slot);
                if i == 1 {
                    let _ = ipc.cnode_delete(init::CNODE, halves[0], 64);
                    slots.free(halves[0]);
                }
                return Err(KernelError::Sel4("untyped_retype (split)", e));
            }
            *h = slot;
        }
        // The two retypes took the halves in order.
        let low = self.new_block(Block {
            cap: halves[0],
            bits: bits - 1,
            paddr,
            parent: Some(id),
            buddy: None,
            state: State::Free,
        });
        let high = self.new_block(Block {
            cap: halves[1],
            bits: bits - 1,
            paddr: paddr + (1 << (bits - 1)),
            parent: Some(id),
            buddy: Some(low),
            state: State::Free,
        });
        self.blocks[low as usize].buddy = Some(high);
        self.blocks[id as usize].state = State::Split;
        Ok((low, high))
    }

    /// Frees a block whose objects have all been deleted (merged with its buddy later: see
    /// the module docs).
    pub fn free(&mut self, id: BlockId) -> Result<(), KernelError> {
        if self.blocks.get(id as usize).is_none_or(|b| b.state != State::Used) {
            return Err(KernelError::BadBlock(id));
        }
        let bits = self.blocks[id as usize].bits;
        self.free_bytes += 1 << bits;
        self.blocks[id as usize].state = State::Free;
        self.free[usize::from(bits)].insert(id);
        Ok(())
    }

    /// Merges every free block whose buddy is free too, smallest first, so that merged
    /// halves merge again one level up.
    pub fn coalesce(&mut self, ipc: &mut IpcBuffer, slots: &mut SlotAllocator) -> Result<(), KernelError> {
        for bits in MIN_BITS..MAX_BITS {
            let level: Vec<BlockId> = self.free[usize::from(bits)].iter().copied().collect();
            for id in level {
                // Gone already: merged as the buddy of an earlier one.
                if self.blocks[id as usize].state != State::Free {
                    continue;
                }
                let (Some(parent), Some(buddy)) = (self.blocks[id as usize].parent, self.blocks[id as usize].buddy)
                else {
                    continue;
                };
                if self.blocks[buddy as usize].state != State::Free {
                    continue;
                }
                for half in [id, buddy] {
                    let cap = self.blocks[half as usize].cap;
                    ipc.cnode_delete(init::CNODE, cap, 64).map_err(|e| KernelError::Sel4("cnode_delete (merge)", e))?;
                    slots.free(cap);
                    self.free[usize::from(bits)].remove(&half);
                    self.blocks[half as usize].state = State::Gone;
                    self.spare_ids.push(half);
                }
                self.blocks[parent as usize].state = State::Free;
                self.free[usize::from(bits + 1)].insert(parent);
            }
        }
        Ok(())
    }
}
