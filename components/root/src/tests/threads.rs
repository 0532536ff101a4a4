//! Threads: a second thread runs, a fault is reported and survived, and 1,000 create/delete
//! cycles give every byte and slot back.

use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use sel4::{Endpoint, Fault, IpcBuffer, Word};

use super::{err, Ctx};
use crate::ensure;
use crate::thread::{exit, Ended, Thread};

static SEEN: AtomicU64 = AtomicU64::new(0);

extern "C" fn doubler(arg: Word, _ipc: &'static mut IpcBuffer, sup: sel4::Cap<Endpoint>) -> ! {
    // Use the stack a little: the frames behind it are really mapped.
    let mut buf = [0u64; 256];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = arg.wrapping_add(i as Word);
    }
    SEEN.store(core::hint::black_box(buf)[0] * 2, Ordering::SeqCst);
    exit(sup, 7)
}

extern "C" fn faulter(arg: Word, _ipc: &'static mut IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    // SAFETY: none; this is the point. `arg` is an unmapped address and the store faults.
    unsafe { (arg as *mut u64).write_volatile(1) };
    loop {
        sel4::syscall::yield_now();
    }
}

extern "C" fn overflow(arg: Word, _ipc: &'static mut IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    // Three pages of stack on a one-page stack: the stack probe runs into unmapped memory.
    let buf = [arg; 1536];
    SEEN.store(core::hint::black_box(buf)[1000], Ordering::SeqCst);
    loop {
        sel4::syscall::yield_now();
    }
}

/// A second thread runs on its own stack, and says it has finished.
pub fn second_thread(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    SEEN.store(0, Ordering::SeqCst);
    let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, doubler, 21, 100, 2).map_err(err)?;
    let (badge, ended) = c.sup.wait(&mut c.k);
    ensure!(badge == t.badge, "badge {badge}, thread has {}", t.badge);
    ensure!(ended == Ended::Exited(7), "{ended:?}");
    ensure!(SEEN.load(Ordering::SeqCst) == 42, "the thread computed {}", SEEN.load(Ordering::SeqCst));
    t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// A thread that touches unmapped memory is reported with the address and where it was;
/// the system carries on and can start threads again.
pub fn fault_is_reported_and_survived(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    let bad: Word = 0x10;
    let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, faulter, bad, 100, 1).map_err(err)?;
    let (badge, ended) = c.sup.wait(&mut c.k);
    ensure!(badge == t.badge, "badge {badge}, thread has {}", t.badge);
    match ended {
        Ended::Faulted(f @ Fault::Vm { addr, ip, .. }) => {
            sel4_rt::println!("  reported: thread {badge}: {f}");
            ensure!(addr == bad, "fault address {addr:#x}");
            let start = faulter as *const () as Word;
            ensure!((start..start + 256).contains(&ip), "fault ip {ip:#x}, the faulting function starts at {start:#x}");
        }
        other => return Err(alloc::format!("expected a VM fault, got {other:?}")),
    }
    t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    // A stack overflow is reported at the full 64-bit address just below the stack.
    let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, overflow, 3, 100, 1).map_err(err)?;
    let (_, ended) = c.sup.wait(&mut c.k);
    let below = t.stack_bottom() - 4096..t.stack_bottom();
    match ended {
        Ended::Faulted(f @ Fault::Vm { addr, .. }) if below.contains(&addr) => sel4_rt::println!("  reported: {f}"),
        other => return Err(alloc::format!("stack overflow: {other:?}, expected a fault in {below:#x?}")),
    }
    t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    // Survived: the next thread runs normally.
    SEEN.store(0, Ordering::SeqCst);
    let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, doubler, 5, 100, 2).map_err(err)?;
    let (_, ended) = c.sup.wait(&mut c.k);
    ensure!(ended == Ended::Exited(7) && SEEN.load(Ordering::SeqCst) == 10, "after the fault: {ended:?}");
    t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}

/// 1,000 cycles of: create a thread with its stack and IPC-buffer frames, run it to its
/// exit, delete it. Free untyped bytes and free slots end where they started.
pub fn thousand_thread_cycles(c: &mut Ctx) -> Result<(), String> {
    let before = c.k.usage();
    for i in 0..1000u64 {
        let t = Thread::spawn(&mut c.k, &mut c.vspace, &mut c.sup, doubler, i, 100, 2)
            .map_err(|e| alloc::format!("cycle {i}: {e}"))?;
        let (_, ended) = c.sup.wait(&mut c.k);
        ensure!(ended == Ended::Exited(7) && SEEN.load(Ordering::SeqCst) == 2 * i, "cycle {i}: {ended:?}");
        t.delete(&mut c.k, &mut c.vspace, &mut c.sup).map_err(|e| alloc::format!("cycle {i}: {e}"))?;
    }
    let after = c.k.usage();
    sel4_rt::println!("  free untyped bytes {} -> {}, free slots {} -> {}", before.0, after.0, before.1, after.1);
    ensure!(after == before, "usage {after:?} after, {before:?} before");
    ensure!(c.vspace.table_count() == 0, "{} paging structures left", c.vspace.table_count());
    Ok(())
}
