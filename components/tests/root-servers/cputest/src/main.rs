//! A client of the root task's CPU server (CPU0001): it creates a virtual CPU, binds it to
//! its own address space, gives it an IPC buffer and a stack (regions of its own from the
//! memory server), points it at a function of its own and starts it; the function writes a
//! flag the component then sees. It pins the CPU to the core, asks for a snapshot of the
//! model, tries what it may not (a priority above its own, a core that does not exist,
//! starting an unbound CPU), stops and destroys it. Then two CPUs in an address space of
//! their own (`create_ads`): a page of code and a page of data mapped there and here; each
//! writes the data page, one faults and the other ends through its supervisor cap, which
//! the root hears of through the CSpace it made for each. Exit code: how many checks failed.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};

use cellulos::interfaces::cpu::{CpuClient, CpuError, CpuState, Registers};
use cellulos::interfaces::memory::{MemoryClient, MemoryError, RegionKind, Rights};
use cellulos::runtime::CallError;
use cellulos_component::sel4_rt::{println, sel4};
use cellulos_component::{Checks, Component, Error};

/// What the new CPU writes: the proof that it ran.
static FLAG: AtomicU64 = AtomicU64::new(0);
/// The value it writes.
const RAN: u64 = 42;
/// The code of the CPUs in an address space of their own (their CSpace holds only their
/// supervisor cap, at 1): the first writes 42 at `rdi` and faults (`mov qword [rdi], 42;
/// ud2`); the second, at [`EXITER`], writes 43 at `rdi + 8` and ends through its
/// supervisor cap with code 7 (`mov qword [rdi+8], 43; mov edi, 1; mov esi, <info>; mov
/// r10d, 7; mov rdx, -1; mov rbx, rsp; syscall`: seL4_Call, the message info written in
/// at [`EXIT_INFO`]).
const ALONE_CODE: [u8; 54] = [
    0x48, 0xc7, 0x07, 0x2a, 0x00, 0x00, 0x00, 0x0f, 0x0b, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, // faulter
    0x48, 0xc7, 0x47, 0x08, 0x2b, 0x00, 0x00, 0x00, // mov qword [rdi+8], 43
    0xbf, 0x01, 0x00, 0x00, 0x00, // mov edi, 1
    0xbe, 0x00, 0x00, 0x00, 0x00, // mov esi, <info>
    0x41, 0xba, 0x07, 0x00, 0x00, 0x00, // mov r10d, 7
    0x48, 0xc7, 0xc2, 0xff, 0xff, 0xff, 0xff, // mov rdx, -1 (seL4_SysCall)
    0x48, 0x89, 0xe3, // mov rbx, rsp
    0x0f, 0x05, // syscall
    0x0f, 0x0b, // ud2 (not reached: nobody answers an exit)
];
/// The exiting CPU's entry, and where its message info goes.
const EXITER: u64 = 16;
const EXIT_INFO: usize = 30;
/// Where their code and data pages are, in that address space.
const ALONE_CODE_VA: u64 = 0x40_0000;
const ALONE_DATA_VA: u64 = 0x50_0000;

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

    // A CPU in an address space of its own, its code and data pages mapped here too.
    let space = mem.create_ads()?;
    let (code_mo, data_mo) = (mem.allocate(1, 12)?, mem.allocate(1, 12)?);
    let code_here = mem.reserve_attached(&ads, None, &code_mo, RegionKind::Generic, rw())?;
    let data_here = mem.reserve_attached(&ads, None, &data_mo, RegionKind::Generic, rw())?;
    let rx = Rights { read: true, write: false, execute: true };
    mem.reserve_attached(&space, Some(ALONE_CODE_VA), &code_mo, RegionKind::ElfCode, rx)?;
    mem.reserve_attached(&space, Some(ALONE_DATA_VA), &data_mo, RegionKind::ElfData, rw())?;
    let mut code_bytes = ALONE_CODE;
    let info = sel4::MessageInfo::new(cellulos_component::sel4_rt::start::EXIT_LABEL, 0, 0, 1).0;
    code_bytes[EXIT_INFO..EXIT_INFO + 4].copy_from_slice(&(info as u32).to_le_bytes());
    let code = mem.region_info(&code_here)?.vaddr as *mut u8;
    for (i, b) in code_bytes.iter().enumerate() {
        // SAFETY: the root just mapped a page read-write at `code`.
        unsafe { code.add(i).write_volatile(*b) };
    }
    let data = mem.region_info(&data_here)?.vaddr as *const u64;
    let mut alone = |entry: u64, until: CpuState| -> Result<_, Error> {
        let cpu = cpus.create(100)?;
        cpus.bind(&cpu, &space)?;
        let rip = ALONE_CODE_VA + entry;
        let registers = Registers { rip, rsp: 0, rflags: 0x202, rdi: ALONE_DATA_VA, rsi: 0, rdx: 0, fs_base: 0 };
        cpus.write_registers(&cpu, registers)?;
        cpus.start(&cpu)?;
        for _ in 0..10_000 {
            if cpus.info(&cpu)?.state == until {
                break;
            }
            sel4::syscall::yield_now();
        }
        Ok((cpu, cpus.info(&cpu)?.state, cpus.read_registers(&cpu)?.rip))
    };
    let (faulter, state, ip) = alone(0, CpuState::Faulted)?;
    // SAFETY: the root mapped the data page read-write at `data`.
    t.check(unsafe { data.read_volatile() } == RAN, "a CPU in an address space of its own ran its code there");
    t.check(state == CpuState::Faulted, "its fault reached the root through its own CSpace");
    t.check(ip == ALONE_CODE_VA + 7, "it stopped at its ud2");
    let (exiter, state, _) = alone(EXITER, CpuState::Stopped)?;
    // SAFETY: as above.
    t.check(unsafe { data.add(1).read_volatile() } == RAN + 1, "a second CPU there ran its code");
    t.check(state == CpuState::Stopped, "it ended through its supervisor cap: stopped, not faulted");
    let in_use = Some(CallError::App(MemoryError::InUse));
    t.check(mem.destroy_ads(space).err() == in_use, "their address space is not destroyed under them");
    cpus.destroy(faulter)?;
    t.check(mem.destroy_ads(space).err() == in_use, "nor under the one left");
    cpus.destroy(exiter)?;
    mem.destroy_ads(space)?;
    mem.remove(code_here)?;
    mem.remove(data_here)?;
    mem.free(code_mo)?;
    mem.free(data_mo)?;
    println!("cputest: {} check(s) failed", t.failed);
    Ok(t.failed)
}
