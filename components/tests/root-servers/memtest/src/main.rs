//! A client of the root task's memory server (MEMORY0001): it maps memory into its own
//! address space and uses it, copies between regions, asks for a snapshot of the model,
//! then tries what it may not (more than its budget, a region over its own code, a bad
//! address or size, a stale handle, a handle of the wrong type, a handle held through its
//! other connection), asks for a second snapshot (which must be the same: nothing changed),
//! and gives everything back. Exit code: how many checks failed.
#![no_std]
#![no_main]

use cellulos::runtime::handle::Handle;
use cellulos::runtime::{limits, CallError, Status};
use cellulos_component::__sel4::{syscall, MessageInfo, Word};
use cellulos_component::sel4_rt::println;
use cellulos_component::{Checks, Component, Error};

mod memory {
    cellulos::idl!("../../../../../idl/memory.idl");
}

use memory::{MemoryClient, MemoryError, RegionKind, Rights};

const RW: Rights = Rights { read: true, write: true, execute: false };

fn err<T>(r: Result<T, CallError<MemoryError>>) -> Option<CallError<MemoryError>> {
    r.err()
}

/// Address spaces, memory objects and regions made and ended one after another.
const CYCLES: usize = 50;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let conn = c.connect("memory")?;
    let raw = conn.raw_cptr();
    let mut mem = MemoryClient::new(conn);
    let mut other = MemoryClient::new(c.connect("again")?);

    let ads = mem.own_ads()?;
    t.check(err(mem.own_ads()) == Some(CallError::App(MemoryError::AlreadyHeld)), "its own space is handed out once");
    let mo = mem.allocate(4, 12)?;
    t.check(mem.mo_info(&mo)?.pages == 4, "a memory object of 4 pages");
    let vmr = mem.reserve(&ads, None, 4, RegionKind::Heap)?;
    t.check(!mem.region_info(&vmr)?.attached, "a reserved region is not backed yet");
    mem.attach(&vmr, &mo, 0, RW)?;
    let info = mem.region_info(&vmr)?;
    t.check(info.attached && info.pages == 4 && info.vaddr % 4096 == 0, "attached: 4 pages at a page boundary");
    // The memory is real: write every page, read it back.
    let base = info.vaddr as *mut u64;
    for page in 0..4 {
        // SAFETY: the root just mapped 4 pages read-write at `base` in this address space.
        unsafe { base.add(page * 512).write_volatile(0xc0de_0000 + page as u64) };
    }
    // SAFETY: as above.
    let back: u64 = (0..4).map(|p| unsafe { base.add(p * 512).read_volatile() }).sum();
    t.check(back == 4 * 0xc0de_0000 + 6, "the attached memory holds what was written");
    // A second region with its own memory, filled by the server's copy.
    let mo2 = mem.allocate(4, 12)?;
    let vmr2 = mem.reserve_attached(&ads, None, &mo2, RegionKind::Generic, RW)?;
    mem.copy(&vmr, &vmr2)?;
    let base2 = mem.region_info(&vmr2)?.vaddr as *const u64;
    // SAFETY: the root mapped 4 pages of mo2 read-write at `base2`.
    let copied: u64 = (0..4).map(|p| unsafe { base2.add(p * 512).read_volatile() }).sum();
    t.check(copied == back && !core::ptr::eq(base2, base), "copy: the second region holds the same");
    // The same memory in a second region (the root maps a copy of each frame cap there):
    // what one writes, the other reads.
    let alias = mem.reserve_attached(&ads, None, &mo, RegionKind::SharedFrames, RW)?;
    let alias_base = mem.region_info(&alias)?.vaddr as *mut u64;
    // SAFETY: the root mapped mo's 4 pages read-write at `alias_base` too.
    unsafe { alias_base.add(512).write_volatile(0xa11a5) };
    // SAFETY: as above, at `base`.
    t.check(unsafe { base.add(512).read_volatile() } == 0xa11a5, "one memory object in two regions: shared");

    t.check(c.extract_model().is_ok(), "a snapshot of the model before the bad requests");
    // Each of these gets an error, and nothing else changes.
    t.check(err(mem.allocate(100, 12)) == Some(CallError::App(MemoryError::NoMemory)), "over its budget: NoMemory");
    t.check(
        err(mem.reserve(&ads, Some(0x40_0000), 1, RegionKind::Generic)) == Some(CallError::App(MemoryError::Overlap)),
        "a region over its own code: Overlap",
    );
    t.check(
        err(mem.reserve(&ads, Some(0x1234), 1, RegionKind::Generic)) == Some(CallError::App(MemoryError::BadAddress)),
        "an unaligned address: BadAddress",
    );
    t.check(err(mem.allocate(1, 21)) == Some(CallError::App(MemoryError::BadSize)), "2 MiB pages: BadSize");
    let stale = mem.allocate(1, 12)?;
    mem.free(stale)?;
    t.check(err(mem.mo_info(&stale)).is_some(), "a freed memory object's handle is stale");
    let as_region: Handle<memory::resources::VMR> = Handle::new(mo.cap);
    t.check(
        err(mem.region_info(&as_region)) == Some(CallError::Status(Status::BadHandle)),
        "a memory object passed as a region: BadHandle",
    );
    t.check(
        err(other.attach(&vmr, &mo2, 0, RW)) == Some(CallError::Status(Status::NotHolder)),
        "a map through a connection that does not hold the region: NotHolder",
    );
    t.check(err(mem.free(mo2)) == Some(CallError::App(MemoryError::InUse)), "an attached memory object: InUse");
    // Malformed raw calls to the root itself: error replies, and the root serves on.
    let call = |label: u32, words: &[Word]| {
        let mut mrs = [0; 4];
        mrs[..words.len()].copy_from_slice(words);
        syscall::call(raw, MessageInfo::new(Word::from(label), 0, 0, words.len() as Word), mrs).info.label()
    };
    let status = |s: Status| s as Word;
    t.check(call(999, &[]) == status(Status::UnknownMethod), "the root: an unknown method gets UnknownMethod");
    t.check(call(memory::methods::ALLOCATE, &[]) == status(Status::Short), "the root: a short message gets Short");
    t.check(
        call(memory::methods::ALLOCATE, &[4, 12, 9]) == status(Status::Trailing),
        "the root: trailing words get Trailing",
    );
    t.check(
        call(limits::EXPORT_MODEL, &[]) == status(Status::NotAllowed)
            && call(limits::RELEASE_HOLDER, &[1]) == status(Status::NotAllowed),
        "the root: its reserved methods are not a client's",
    );
    let through_handle = match mo.cap {
        cellulos::runtime::Cap::Endpoint { badge, .. } => {
            syscall::call(Word::from(badge), MessageInfo::new(Word::from(memory::methods::ALLOCATE), 0, 0, 0), [0; 4])
                .info
                .label()
        }
        cellulos::runtime::Cap::Unwrapped(_) => 0,
    };
    t.check(through_handle == status(Status::NotAllowed), "the root: a call through a handle's capability is refused");
    t.check(mem.mo_info(&mo)?.pages == 4, "the root serves on");
    t.check(c.extract_model().is_ok(), "a snapshot after them");

    // A new, empty address space of its own: regions go in it, and all go with it.
    let other = mem.create_ads()?;
    let far = mem.reserve(&other, Some(0x40_0000), 2, RegionKind::Generic)?;
    t.check(mem.region_info(&far)?.vaddr == 0x40_0000, "a region at its own code's address in another space");
    let moved = mem.allocate(1, 12)?;
    mem.reserve_attached(&other, None, &moved, RegionKind::Generic, RW)?;
    mem.destroy_ads(other)?;
    t.check(err(mem.region_info(&far)).is_some(), "destroying a space ends its regions");
    // Its memory maps again where the space that went had it.
    let here = mem.reserve_attached(&ads, None, &moved, RegionKind::Generic, RW)?;
    let at = mem.region_info(&here)?.vaddr as *mut u64;
    // SAFETY: the root just mapped the page read-write at `at`.
    unsafe { at.write_volatile(7) };
    // SAFETY: as above.
    t.check(unsafe { at.read_volatile() } == 7, "memory of a destroyed space's region maps again");
    mem.remove(here)?;
    mem.free(moved)?;
    t.check(err(mem.destroy_ads(ads)) == Some(CallError::App(MemoryError::InUse)), "its own space cannot be destroyed");
    // Made and ended many times, each kind leaves the server's tables as big as the most it
    // had at once (the root's test counts their places).
    // Each region goes where the one before it was (the first place that is free).
    let mut places = [u64::MAX, 0];
    for _ in 0..CYCLES {
        let space = mem.create_ads()?;
        let page = mem.allocate(1, 12)?;
        let region = mem.reserve_attached(&ads, None, &page, RegionKind::Generic, RW)?;
        let va = mem.region_info(&region)?.vaddr;
        places = [places[0].min(va), places[1].max(va)];
        mem.remove(region)?;
        mem.free(page)?;
        mem.destroy_ads(space)?;
    }
    t.check(places[0] == places[1], "a region removed leaves its place to the next");
    mem.detach(&vmr)?;
    t.check(!mem.region_info(&vmr)?.attached, "detached");
    // Attached again, it shows what the other region wrote meanwhile.
    // SAFETY: `alias` still maps mo's pages read-write at `alias_base`.
    unsafe { alias_base.add(1024).write_volatile(0xbac) };
    mem.attach(&vmr, &mo, 0, RW)?;
    // SAFETY: the root mapped mo's pages at `base` again.
    t.check(unsafe { base.add(1024).read_volatile() } == 0xbac, "detached and attached again: the same memory");
    mem.remove(alias)?;
    mem.remove(vmr)?;
    mem.remove(vmr2)?;
    mem.free(mo)?;
    println!("memtest: {} check(s) failed", t.failed);
    Ok(t.failed)
}
