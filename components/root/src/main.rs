//! The CellulOS root task: the first user program seL4 starts. It takes over the memory and
//! capabilities the kernel hands over (BootInfo), manages kernel objects (untyped memory
//! with reclamation, CSpace slots, address spaces, threads, endpoints), supervises the
//! threads it starts (faults are reported, not hangs), and ends QEMU with a status.
//!
//! Built by `cargo xtask` only; the feature `tests` runs the in-system suite and `bench`
//! the in-system benchmarks instead of the normal start-up.
#![no_std]
#![no_main]

extern crate alloc;

mod com2;
mod cspace;
mod exit;
mod kernel;
mod process;
mod system;
mod thread;
mod untyped;
mod vspace;

#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "bench")]
mod bench_model;
#[cfg(not(any(feature = "tests", feature = "bench")))]
mod demo;
#[cfg(feature = "tests")]
mod tests;

use buddy_system_allocator::LockedHeap;
use sel4::{BootInfo, IpcBuffer, Word};
use sel4_rt::println;

pub use kernel::KernelError;

const STACK_SIZE: usize = 256 * 1024;
// Room for a model of tens of thousands of nodes, merged and encoded (the extraction
// benchmark builds one of 12,000), with a buddy allocator's rounding to powers of two.
const HEAP_SIZE: usize = 64 << 20;

sel4_rt::entry!(main, STACK_SIZE);

/// A buddy allocator: the model's many small nodes, strings and edges made a first-fit list
/// allocator's searches the larger part of the root's bookkeeping (extracting 12,000 nodes:
/// 175M cycles with it, 68M with this).
#[global_allocator]
static HEAP: LockedHeap<32> = LockedHeap::<32>::empty();

#[repr(C, align(4096))]
struct HeapSpace([u8; HEAP_SIZE]);
static mut HEAP_SPACE: HeapSpace = HeapSpace([0; HEAP_SIZE]);

fn main(boot: Word) -> ! {
    // SAFETY: the kernel passes a pointer to BootInfo, mapped read-write for the root task
    // for its whole life, and nothing else refers to it.
    let boot: &'static BootInfo = unsafe { &*(boot as *const BootInfo) };
    // SAFETY: the heap space is used by nothing but the allocator, initialised once here
    // before any allocation.
    unsafe { HEAP.lock().init(core::ptr::addr_of_mut!(HEAP_SPACE) as usize, HEAP_SIZE) };
    // SAFETY: BootInfo's IPC buffer is this thread's, mapped for its whole life; this is the
    // only reference made to it.
    let ipc: &'static mut IpcBuffer = unsafe { &mut *boot.ipc_buffer() };
    let empty = boot.empty();
    let image = boot.user_image_frames();
    println!(
        "cellulos root: seL4 5.0 x86_64, {} untyped caps, {} free slots of 2^{}, image {} pages, TSC {} MHz",
        boot.untypeds().count(),
        empty.end - empty.start,
        boot.cnode_size_bits(),
        image.end - image.start,
        boot.tsc_mhz()
    );
    let k = kernel::Kernel::new(boot, ipc);
    guard_stack(boot, k.ipc);
    println!(
        "cellulos root: {} MiB of untyped memory, largest block 2^{}",
        k.untyped.total_bytes() >> 20,
        k.untyped.largest_free().unwrap_or(0)
    );
    run(k)
}

/// Unmaps the page below the root's stack: an overflow then faults (the kernel reports
/// it and the runner stops QEMU) instead of overwriting the data beneath. The image's frame
/// caps are in BootInfo in page order from the image's first page.
fn guard_stack(boot: &BootInfo, ipc: &mut IpcBuffer) {
    const IMAGE_START: Word = 0x40_0000;
    let frames = boot.user_image_frames();
    let index = (stack_guard() - IMAGE_START) / 4096;
    let cap = sel4::Cap::<sel4::Page>::from_bits(frames.start + index);
    if frames.start + index >= frames.end || ipc.page_unmap(cap).is_err() {
        println!("cellulos root: could not unmap the stack guard page; stack overflows go unnoticed");
    }
}

#[cfg(feature = "tests")]
fn run(k: kernel::Kernel) -> ! {
    tests::run(k)
}

#[cfg(feature = "bench")]
fn run(k: kernel::Kernel) -> ! {
    bench::run(k)
}

#[cfg(not(any(feature = "tests", feature = "bench")))]
fn run(k: kernel::Kernel) -> ! {
    demo::run(k)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    println!("cellulos root: PANIC: {info}");
    exit::exit(exit::PANIC)
}
