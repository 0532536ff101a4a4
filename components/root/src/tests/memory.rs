//! Untyped memory, slots, mapping, and the allocator's reclamation.

use alloc::string::String;
use alloc::vec::Vec;

use sel4::{size_bits, CapRights, Endpoint, Notification, Page, Tcb, Word};

use super::{err, Ctx};
use crate::ensure;
use crate::kernel::Object;

/// Objects of four types come out of untyped memory, are usable, and go back.
pub fn untyped_objects(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let ep = c.k.create::<Endpoint>().map_err(err)?;
    let ntfn = c.k.create::<Notification>().map_err(err)?;
    let tcb = c.k.create::<Tcb>().map_err(err)?;
    let page = c.k.create::<Page>().map_err(err)?;
    let used =
        (1u64 << size_bits::ENDPOINT) + (1 << size_bits::NOTIFICATION) + (1 << size_bits::TCB) + (1 << size_bits::PAGE);
    ensure!(before.0 - c.k.usage().0 == used, "{} bytes used, expected {used}", before.0 - c.k.usage().0);
    // The kernel knows them for what they are: a TCB takes a priority, a page has an address.
    c.k.ipc.tcb_set_priority(tcb.cap, 10).map_err(err)?;
    let paddr = c.k.ipc.page_get_address(page.cap).map_err(err)?;
    ensure!(paddr % 4096 == 0 && paddr != 0, "page physical address {paddr:#x}");
    ensure!(c.k.paddr(&page) == paddr, "the root says the page is at {:#x}, the kernel {paddr:#x}", c.k.paddr(&page));
    // So for every frame, blocks split off others (the model's MOs name these addresses).
    let frames: Vec<Object<Page>> = (0..64).map(|_| c.k.create::<Page>()).collect::<Result<_, _>>().map_err(err)?;
    for f in &frames {
        let kernel = c.k.ipc.page_get_address(f.cap).map_err(err)?;
        ensure!(c.k.paddr(f) == kernel, "the root says a frame is at {:#x}, the kernel {kernel:#x}", c.k.paddr(f));
    }
    for f in frames {
        c.k.destroy(f).map_err(err)?;
    }
    // (An endpoint cannot be asked: invoking it is a message send.)
    ensure!(c.k.ipc.tcb_set_priority(page.cap.cast(), 10).is_err(), "a frame accepted a TCB invocation");
    c.k.destroy(ep).map_err(err)?;
    c.k.destroy(ntfn).map_err(err)?;
    c.k.destroy(tcb).map_err(err)?;
    c.k.destroy(page).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// A frame the kernel makes reads zero, even where a frame written before lived (its block
/// used again): the root maps fresh stack, heap and IPC-buffer frames without writing them.
pub fn frames_start_zeroed(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let dirty = c.k.create::<Page>().map_err(err)?;
    let paddr = c.k.ipc.page_get_address(dirty.cap).map_err(err)?;
    crate::process::fill(&mut c.k, &mut c.vspace, dirty.cap, |page| page.fill(0xa5)).map_err(err)?;
    let mut read = 0xa5u8;
    crate::process::fill(&mut c.k, &mut c.vspace, dirty.cap, |page| read = page[4095]).map_err(err)?;
    ensure!(read == 0xa5, "a written frame reads {read:#x}");
    c.k.destroy(dirty).map_err(err)?;
    // New frames until one is where the written one was (the allocator takes free blocks
    // lowest first).
    let mut others = Vec::new();
    let fresh = loop {
        let f = c.k.create::<Page>().map_err(err)?;
        if c.k.ipc.page_get_address(f.cap).map_err(err)? == paddr {
            break Some(f);
        }
        others.push(f);
        if others.len() == 1024 {
            break None;
        }
    };
    for f in others {
        c.k.destroy(f).map_err(err)?;
    }
    let fresh = fresh.ok_or("no new frame where the written one was, in 1024")?;
    let mut nonzero = usize::MAX;
    crate::process::fill(&mut c.k, &mut c.vspace, fresh.cap, |page| nonzero = page.iter().filter(|b| **b != 0).count())
        .map_err(err)?;
    ensure!(nonzero == 0, "a new frame has {nonzero} bytes not zero");
    c.k.destroy(fresh).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// Slots are distinct, empty and usable, and come back.
pub fn slots(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let ntfn = c.k.create::<Notification>().map_err(err)?;
    let mut minted = Vec::new();
    for badge in 1..=200 {
        minted.push(c.k.mint(ntfn.cap, CapRights::ALL, badge).map_err(err)?);
    }
    let mut bits: Vec<Word> = minted.iter().map(|m| m.bits()).collect();
    bits.sort_unstable();
    bits.dedup();
    ensure!(bits.len() == 200, "slots handed out twice");
    // Each minted cap works and carries its badge.
    sel4::syscall::signal(minted[41].bits());
    let got = sel4::syscall::wait(ntfn.cap.bits());
    ensure!(got == 42, "badge {got}, expected 42");
    for m in minted {
        c.k.delete_cap(m.bits()).map_err(err)?;
    }
    c.k.destroy(ntfn).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// Frames mapped into the root's own space can be written and read; unmapping deletes the
/// page tables it made.
pub fn map_and_touch(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let base: Word = 0x100_0000_0000;
    let mut frames: Vec<Object<Page>> = Vec::new();
    for i in 0..16u64 {
        let f = c.k.create::<Page>().map_err(err)?;
        // Spread over two page tables (the second 2 MiB region).
        let va = base + i * 4096 + if i >= 8 { 2 << 20 } else { 0 };
        c.vspace.map(&mut c.k, f.cap, va, CapRights::READ_WRITE).map_err(err)?;
        frames.push(f);
    }
    ensure!(c.vspace.table_count() == 4, "{} paging structures, expected PDPT + PD + 2 PT", c.vspace.table_count());
    for i in 0..16u64 {
        let va = base + i * 4096 + if i >= 8 { 2 << 20 } else { 0 };
        let p = va as *mut u64;
        // SAFETY: `va` was just mapped read-write to a frame of our own, nothing else uses it.
        unsafe {
            p.write_volatile(0xC0FFEE00 + i);
            p.add(511).write_volatile(i);
        }
    }
    for i in 0..16u64 {
        let va = base + i * 4096 + if i >= 8 { 2 << 20 } else { 0 };
        let p = va as *const u64;
        // SAFETY: as above.
        let (a, b) = unsafe { (p.read_volatile(), p.add(511).read_volatile()) };
        ensure!(a == 0xC0FFEE00 + i && b == i, "page {i} reads {a:#x} {b}");
    }
    for (i, f) in frames.into_iter().enumerate() {
        let i = i as u64;
        let va = base + i * 4096 + if i >= 8 { 2 << 20 } else { 0 };
        c.vspace.unmap(&mut c.k, f.cap, va).map_err(err)?;
        c.k.destroy(f).map_err(err)?;
    }
    ensure!(c.vspace.table_count() == 0, "{} paging structures left", c.vspace.table_count());
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    // A frame reallocated after use is zeroed by the kernel's retype.
    let f = c.k.create::<Page>().map_err(err)?;
    c.vspace.map(&mut c.k, f.cap, base, CapRights::READ_WRITE).map_err(err)?;
    // SAFETY: mapped just above.
    let v = unsafe { (base as *const u64).read_volatile() };
    c.vspace.unmap(&mut c.k, f.cap, base).map_err(err)?;
    c.k.destroy(f).map_err(err)?;
    ensure!(v == 0, "a fresh frame reads {v:#x}");
    Ok(())
}

/// Mixed sizes allocated and freed in another order: every byte, block and slot comes back,
/// and the largest free block is whole again (once merged: `usage` merges).
pub fn allocator_coalesces(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let largest = c.k.untyped.largest_free();
    let mut blocks = Vec::new();
    for round in 0..4u8 {
        for bits in [4u8, 12, 5, 11, 21, 4, 16, 12] {
            let b = c.k.untyped.alloc(c.k.ipc, &mut c.k.slots, bits + round % 2).map_err(err)?;
            blocks.push(b);
        }
    }
    ensure!(c.k.usage().0 < before.0, "nothing was allocated");
    // Free every third, then the rest backwards.
    let mut order: Vec<usize> = (0..blocks.len()).filter(|i| i % 3 == 0).collect();
    order.extend((0..blocks.len()).rev().filter(|i| i % 3 != 0));
    for i in order {
        c.k.untyped.free(blocks[i]).map_err(err)?;
    }
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    ensure!(
        c.k.untyped.largest_free() == largest,
        "largest free block {:?}, was {largest:?}",
        c.k.untyped.largest_free()
    );
    // Freeing twice is refused, not corrupting.
    ensure!(c.k.untyped.free(blocks[0]).is_err(), "a block was freed twice");
    Ok(())
}
