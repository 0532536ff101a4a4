//! A client of the root task's PD server (PD0001): it makes a thread of itself and a
//! process from another component's image, starts the thread, gives the process a
//! resource-directory entry, its own directory and two of its regions (one shared, one
//! copied), has the root dump the model (the root checks what a thread and a process share
//! with it), tries what it may not (an unknown image, a priority above its own,
//! configuring twice, terminating itself, a copy over its budget, a memory object passed as
//! a region), links the thread to the process and terminates the process (both end).
//! Exit code: how many checks failed.
#![no_std]
#![no_main]

use cellulos::runtime::heapless::String;
use cellulos::runtime::CallError;
use cellulos_component::sel4_rt::{println, sel4};
use cellulos_component::{Checks, Component, Error};

use cellulos::interfaces::memory::{MemoryClient, RegionKind, Rights};
use cellulos::interfaces::pd::{PdClient, PdError, PdInfo, ProcessConfig, Sharing, ThreadConfig};
use cellulos::runtime::handle::Handle;

/// What the thread runs: it gives the CPU away until it is terminated.
extern "C" fn worker(_arg: u64, _supervisor: u64, _ipc_buffer: u64) -> ! {
    loop {
        sel4::syscall::yield_now();
    }
}

fn text<const N: usize>(s: &str) -> String<N> {
    String::try_from(s).unwrap_or_default()
}

fn process(image: &str, priority: u8) -> ProcessConfig {
    ProcessConfig { image: text(image), stack_pages: 16, heap_pages: 0, priority }
}

/// Thread PDs made and terminated one after another.
const CYCLES: usize = 50;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut pds = PdClient::new(c.connect("pd")?);
    let me = pds.own_pd()?;
    t.check(pds.own_pd().err() == Some(CallError::App(PdError::AlreadyHeld)), "its own PD is handed out once");

    let thread = pds.create(text("spawner.worker"))?;
    let entry = worker as extern "C" fn(u64, u64, u64) -> ! as usize as u64;
    pds.configure_thread(&thread, &me, ThreadConfig { entry, arg: 7, stack_pages: 4, priority: 100 })?;
    pds.start(&thread)?;
    t.check(pds.info(&thread)?.running, "a thread of itself runs");

    let child = pds.create(text("spawner.child"))?;
    t.check(
        pds.configure_process(&child, process("no-such-program", 100)).err() == Some(CallError::App(PdError::BadImage)),
        "an image that is not embedded: BadImage",
    );
    t.check(
        pds.configure_process(&child, process("intruder", 200)).err() == Some(CallError::App(PdError::NotAllowed)),
        "a priority above its own: NotAllowed",
    );
    let huge_heap = ProcessConfig { heap_pages: 5000, ..process("intruder", 100) };
    t.check(
        pds.configure_process(&child, huge_heap).err() == Some(CallError::App(PdError::NoMemory)),
        "a heap over 4096 pages: NoMemory",
    );
    // Its heap (64 pages) is mapped by the root, and its allocator uses it.
    pds.configure_process(&child, ProcessConfig { heap_pages: 64, ..process("intruder", 100) })?;
    t.check(
        pds.configure_process(&child, process("intruder", 100)).err()
            == Some(CallError::App(PdError::AlreadyConfigured)),
        "configuring twice: AlreadyConfigured",
    );
    pds.add_request(&child, &me, text("PD"))?;
    // Two regions of its own memory for the process: one shared, one copied.
    let mut mem = MemoryClient::new(c.connect("memory")?);
    let ads = mem.own_ads()?;
    let rw = || Rights { read: true, write: true, execute: false };
    let (mo_a, mo_b) = (mem.allocate(1, 12)?, mem.allocate(1, 12)?);
    let shared = mem.reserve_attached(&ads, None, &mo_a, RegionKind::SharedFrames, rw())?;
    let copied = mem.reserve_attached(&ads, None, &mo_b, RegionKind::Generic, rw())?;
    pds.share_region(&child, &Handle::new(shared.cap), Sharing::Shared)?;
    pds.share_region(&child, &Handle::new(copied.cap), Sharing::Copied)?;
    t.check(
        pds.share_region(&child, &Handle::new(copied.cap), Sharing::Copied).err()
            == Some(CallError::App(PdError::NoMemory)),
        "a second copy over its budget (3 pages: 2 allocated, 1 copied): NoMemory",
    );
    t.check(
        pds.share_region(&child, &Handle::new(mo_a.cap), Sharing::Shared).err()
            == Some(CallError::App(PdError::NotAllowed)),
        "a memory object passed as a region: NotAllowed",
    );
    t.check(
        mem.free(mo_a).err().is_some(),
        "memory shared with another process cannot be freed (it is attached and mapped there)",
    );
    let info = pds.info(&child)?;
    t.check(!info.running && info.requests == 1, "a process made, not started, with one request");

    // Its own directory (REQUEST edges: PD, VMR and MO to the root) copied to the process.
    pds.share_directory(&child)?;
    t.check(pds.info(&child)?.requests == 4, "its directory shared: the process has 4 requests");
    let summary = pds.dump_model()?;
    t.check(summary.pds >= 4 && summary.edges > 0 && summary.bytes > 0, "dump_model: the whole model went out");
    t.check(pds.terminate(me).err() == Some(CallError::App(PdError::NotAllowed)), "it cannot terminate itself");
    // A process with a heap of 64 pages, started: it checks its allocations come from that
    // heap (its exit code, which the root's test reads) and ends on its own.
    let heapy = pds.create(text("spawner.heapy"))?;
    pds.configure_process(&heapy, ProcessConfig { heap_pages: 64, ..process("intruder", 100) })?;
    pds.start(&heapy)?;
    let ended = (0..10_000).any(|_| {
        sel4::syscall::yield_now();
        pds.info(&heapy).is_err()
    });
    t.check(ended, "the process with a heap ran and ended");
    t.check(mem.allocate(1, 12).is_err(), "the copy counts against its budget: a page more is refused");
    // Linked, the thread ends with the process.
    pds.link(&thread, &child)?;
    pds.terminate(child)?;
    t.check(pds.info(&thread).is_err(), "linked: the thread ended with the process");
    let page = mem.allocate(1, 12);
    t.check(page.is_ok(), "the copy ended with the process: its page is in the budget again");
    if let Ok(page) = page {
        mem.free(page)?;
    }
    // A second thread, made after the first ended, gets the place the first had in its
    // address space (the root's test compares their regions' addresses).
    let again = pds.create(text("worker.again"))?;
    pds.configure_thread(&again, &me, ThreadConfig { entry, arg: 7, stack_pages: 4, priority: 100 })?;
    // New PDs take the places of those that ended: the handle of one that ended names none
    // of them, and PDs made and ended many times leave the server no bigger (the root's test
    // counts its places).
    let fresh = [
        pds.create(text("spawner.fresh"))?,
        pds.create(text("spawner.fresh"))?,
        pds.create(text("spawner.fresh"))?,
        pds.create(text("spawner.fresh"))?,
    ];
    t.check(pds.info(&heapy).is_err(), "the handle of a process that ended names no new PD");
    let named = |i: Result<PdInfo, _>| i.is_ok_and(|i| i.name.as_str() == "spawner.fresh");
    t.check(fresh.iter().all(|f| named(pds.info(f))), "each new PD's handle names it");
    for f in fresh {
        pds.terminate(f)?;
    }
    for _ in 0..CYCLES {
        let cycle = pds.create(text("spawner.cycle"))?;
        pds.configure_thread(&cycle, &me, ThreadConfig { entry, arg: 7, stack_pages: 4, priority: 100 })?;
        pds.terminate(cycle)?;
    }
    t.check(c.extract_model().is_ok(), "a snapshot after both ended");
    println!("spawner: {} check(s) failed", t.failed);
    Ok(t.failed)
}
