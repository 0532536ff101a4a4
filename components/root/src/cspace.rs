//! Slots of the root CNode: the kernel hands over one empty range at boot; slots are taken
//! from it and given back (empty) when their cap is deleted.

use alloc::vec::Vec;

use sel4::Word;

/// Free slots of the root CNode.
pub struct SlotAllocator {
    next: Word,
    end: Word,
    free: Vec<Word>,
}

impl SlotAllocator {
    /// All slots in `[start, end)` are empty.
    pub fn new(start: Word, end: Word) -> Self {
        Self { next: start, end, free: Vec::new() }
    }

    /// An empty slot, if any is left.
    pub fn alloc(&mut self) -> Option<Word> {
        if let Some(slot) = self.free.pop() {
            return Some(slot);
        }
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    /// Gives back a slot whose cap has been deleted.
    pub fn free(&mut self, slot: Word) {
        self.free.push(slot);
    }

    /// How many slots are free.
    pub fn free_count(&self) -> Word {
        self.end - self.next + self.free.len() as Word
    }
}
