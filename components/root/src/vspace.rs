//! x86_64 address spaces: mapping frames, with the paging structures (PDPT, page directory,
//! page table) created on demand and counted, so that the last unmap of a table deletes it
//! and its memory goes back to the untyped allocator.

use alloc::collections::BTreeMap;

use sel4::{CapRights, Page, PageDirectory, PageTable, Pdpt, Pml4, Unspecified, Word};

use crate::kernel::{Kernel, KernelError, Object};

/// A paging structure and how many mappings hang under it.
enum Paging {
    Pdpt(Object<Pdpt>),
    Directory(Object<PageDirectory>),
    Table(Object<PageTable>),
}

/// Level 3 = PDPT (512 GiB each), 2 = page directory (1 GiB), 1 = page table (2 MiB).
const fn shift(level: u8) -> u32 {
    12 + 9 * level as u32
}

/// An address space the root task manages (its own, or later a PD's).
pub struct VSpace {
    root: sel4::Cap<Pml4>,
    tables: BTreeMap<(u8, Word), (Paging, u32)>,
}

impl VSpace {
    /// Manages mappings in `root`. Only regions whose PML4 entries are not used by anything
    /// else may be mapped (the root task uses its own from 512 GiB up).
    pub fn new(root: sel4::Cap<Pml4>) -> Self {
        Self { root, tables: BTreeMap::new() }
    }

    /// How many paging structures this space created and holds.
    pub fn table_count(&self) -> usize {
        self.tables.len()
    }

    fn ensure(&mut self, k: &mut Kernel, level: u8, va: Word) -> Result<(), KernelError> {
        let key = (level, va >> shift(level));
        if self.tables.contains_key(&key) {
            return Ok(());
        }
        if level < 3 {
            self.ensure(k, level + 1, va)?;
        }
        let base = va & !((1 << shift(level)) - 1);
        let root = self.root;
        let vroot: sel4::Cap<Unspecified> = root.cast();
        let table = match level {
            3 => {
                let o = k.create::<Pdpt>()?;
                let r = k.ipc.pdpt_map(o.cap, root, base, 0);
                mapped(k, o, r, "pdpt_map").map(Paging::Pdpt)?
            }
            2 => {
                let o = k.create::<PageDirectory>()?;
                let r = k.ipc.page_directory_map(o.cap, vroot, base, 0);
                mapped(k, o, r, "page_directory_map").map(Paging::Directory)?
            }
            _ => {
                let o = k.create::<PageTable>()?;
                let r = k.ipc.page_table_map(o.cap, vroot, base, 0);
                mapped(k, o, r, "page_table_map").map(Paging::Table)?
            }
        };
        self.tables.insert(key, (table, 0));
        if level < 3 {
            self.count(level + 1, va, 1);
        }
        Ok(())
    }

    fn count(&mut self, level: u8, va: Word, delta: i32) -> u32 {
        match self.tables.get_mut(&(level, va >> shift(level))) {
            Some((_, n)) => {
                *n = n.saturating_add_signed(delta);
                *n
            }
            None => 0,
        }
    }

    /// Maps `frame` at `va` (page aligned) with `rights`.
    pub fn map(
        &mut self,
        k: &mut Kernel,
        frame: sel4::Cap<Page>,
        va: Word,
        rights: CapRights,
    ) -> Result<(), KernelError> {
        self.ensure(k, 1, va)?;
        k.ipc.page_map(frame, self.root.cast(), va, rights, 0).map_err(|e| KernelError::Sel4("page_map", e))?;
        self.count(1, va, 1);
        Ok(())
    }

    /// Unmaps `frame` from `va`, deleting the tables that no longer map anything.
    pub fn unmap(&mut self, k: &mut Kernel, frame: sel4::Cap<Page>, va: Word) -> Result<(), KernelError> {
        k.ipc.page_unmap(frame).map_err(|e| KernelError::Sel4("page_unmap", e))?;
        let mut level = 1;
        while level <= 3 && self.count(level, va, -1) == 0 {
            if let Some((table, _)) = self.tables.remove(&(level, va >> shift(level))) {
                match table {
                    Paging::Pdpt(o) => k.destroy(o)?,
                    Paging::Directory(o) => k.destroy(o)?,
                    Paging::Table(o) => k.destroy(o)?,
                }
            }
            level += 1;
        }
        Ok(())
    }
}

/// Keeps a table that mapped, destroys one that did not.
fn mapped<T: sel4::CapType>(
    k: &mut Kernel,
    o: Object<T>,
    result: Result<(), sel4::Error>,
    op: &'static str,
) -> Result<Object<T>, KernelError> {
    match result {
        Ok(()) => Ok(o),
        Err(e) => {
            k.destroy(o)?;
            Err(KernelError::Sel4(op, e))
        }
    }
}
