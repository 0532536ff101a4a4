//! Tries to call a server it was not connected to: it has no capability for one, so the
//! best it can do is `seL4_Call` a slot of its CSpace that holds nothing. The kernel answers
//! with an invalid-capability error and no server sees a message; the exit code says
//! whether that is what happened (0) or not (1). Started through the PD server with a heap
//! (PD0001), it also checks that its allocations come from that heap.
#![no_std]
#![no_main]

extern crate alloc;

use cellulos_component::__sel4::{syscall, Error as Sel4Error, MessageInfo};
use cellulos_component::sel4_rt::println;
use cellulos_component::{Component, Error};

/// A slot of its CSpace past everything the root gave it.
const EMPTY_SLOT: u64 = 900;

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let r = syscall::call(EMPTY_SLOT, MessageInfo::new(1, 0, 0, 0), [0; 4]);
    let answer = Sel4Error::check(r.info.label());
    println!("intruder: a call through an empty slot: {answer:?}");
    let mut failed = u64::from(answer != Err(Sel4Error::InvalidCapability));
    if let Some((va, bytes)) = c.mapped_heap() {
        // Most of the heap, written through: the mapped pages are there and the allocator's.
        let block = alloc::vec![0x5au8; bytes as usize / 2];
        let at = block.as_ptr() as u64;
        let inside = (va..va + bytes).contains(&at) && block.iter().all(|b| *b == 0x5a);
        println!(
            "intruder: {} KiB from the heap the root mapped at {va:#x}: {}",
            bytes / 2048,
            if inside { "ok" } else { "NOT THERE" }
        );
        failed += u64::from(!inside);
    }
    Ok(failed)
}
