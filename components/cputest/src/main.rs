//! A client of the root task's CPU server (CPU0001): it creates a virtual CPU, binds it to
//! its own address space, gives it an IPC buffer and a stack (regions of its own from the
//! memory server), points it at a function of its own and starts it; the function writes a
//! flag the component then sees. It pins the CPU to the core, asks for a snapshot of the
//! model, tries what it may not (a priority above its own, a core that does not exist,
//! starting an unbound CPU), stops and destroys it. Exit code: how many checks failed.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use cellulos::interfaces::cpu::{CpuClient, CpuError, CpuState, Registers};
use cellulos::interfaces::memory::{MemoryClient, RegionKind, Rights};
use cellulos::runtime::CallError;
use cellulos_component::sel4_rt::{println, sel4};
use cellulos_component::{Checks, Component, Error};

/// What the new CPU writes: the proof that it ran.
static FLAG: AtomicU64 = AtomicU64::new(0);
/// The value it writes.
const RAN: u64 = 42;

/// The new CPU's code: it sets the flag (its address in rdi) and gives the core away.
extern "C" fn worker(flag: u64) -> ! {
    // SAFETY: `flag` is the address of FLAG, a static of this very address space.
    let flag = unsafe { &*(flag as *const AtomicU64) };
    flag.store(RAN, Ordering::SeqCst);
    loop {
        sel4::syscall::yield_now();
    }
}

cellulos_component::main!(run);

fn run(c: &mut Component) -> Result<u64, Error> {
    let mut t = Checks { failed: 0 };
    let mut mem = MemoryClient::new(c.connect("memory")?);
    let mut cpus = CpuClient::new(c.connect("cpu")?);
    let rw = || Rights { read: true, write: true, execute: false };
    let ads = mem.own_ads()?;
    let stack_mo = mem.allocate(4, 12)?;
    let stack = mem.reserve_attached(&ads, None, &stack_mo, RegionKind::Stack, rw())?;
    let ipc_mo = mem.allocate(1, 12)?;
    let ipc = mem.reserve_attached(&ads, None, &ipc_mo, RegionKind::IpcBuffer, rw())?;

    t.check(cpus.create(200).err() == Some(CallError::App(CpuError::BadPriority)), "a priority above its own");
    let unbound = cpus.create(100)?;
    t.check(cpus.start(&unbound).err() == Some(CallError::App(CpuError::NotBound)), "an unbound CPU cannot start");
    cpus.destroy(unbound)?;

    let cpu = cpus.create(100)?;
    cpus.bind(&cpu, &ads)?;
    cpus.set_ipc_buffer(&cpu, &ipc)?;
    let top = mem.region_info(&stack)?.vaddr + 4 * 4096;
    let entry = worker as extern "C" fn(u64) -> ! as usize as u64;
    let flag = &FLAG as *const AtomicU64 as u64;
    let registers = Registers { rip: entry, rsp: top - 8, rflags: 0x202, rdi: flag, rsi: 0, rdx: 0, fs_base: 0 };
    cpus.write_registers(&cpu, registers)?;
    cpus.start(&cpu)?;
    for _ in 0..10_000 {
        if FLAG.load(Ordering::SeqCst) == RAN {
            break;
        }
        sel4::syscall::yield_now();
    }
    t.check(FLAG.load(Ordering::SeqCst) == RAN, "the new CPU ran a function of this address space");
    let info = cpus.info(&cpu)?;
    t.check(info.bound && info.state == CpuState::Running && info.core.is_none(), "bound, running, not pinned");
    t.check(cpus.elevate(&cpu, 200).err() == Some(CallError::App(CpuError::BadPriority)), "elevate above its own");
    cpus.elevate(&cpu, 90)?;
    t.check(cpus.info(&cpu)?.priority == 90, "elevate within its own: priority 90");
    t.check(cpus.claim_core(1).err() == Some(CallError::App(CpuError::NoSuchCore)), "core 1 does not exist");
    let core = cpus.claim_core(0)?;
    cpus.pin(&cpu, &core)?;
    t.check(cpus.info(&cpu)?.core == Some(0), "pinned to core 0");
    let rip = cpus.read_registers(&cpu)?.rip;
    t.check(rip != 0 && rip != entry, "its registers read back (it is past its first instruction)");
    t.check(c.extract_model().is_ok(), "a snapshot with the CPU");
    cpus.stop(&cpu)?;
    t.check(cpus.info(&cpu)?.state == CpuState::Stopped, "stopped");
    cpus.destroy(cpu)?;
    println!("cputest: {} check(s) failed", t.failed);
    Ok(t.failed)
}
