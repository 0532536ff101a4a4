//! In-system benchmarks: the raw `seL4_Call`/`seL4_ReplyRecv` round trip between two threads,
//! in TSC cycles. Run under QEMU with `-icount shift=0,sleep=off` the TSC follows executed
//! instructions, so numbers repeat; only ratios within one run mean anything. The baseline
//! is the kernel's fast path: equal priorities, at most 4 words, no caps (docs/wire.md).
//! Each line `BENCH <name> <mean cycles> <best batch cycles>` is read by `cargo xtask bench`.

use core::sync::atomic::{AtomicU64, Ordering};

use sel4::{config, Endpoint, IpcBuffer, MessageInfo, Word};
use sel4_rt::println;

use crate::exit::{exit, FAILURE, SUCCESS};
use crate::kernel::{Kernel, KernelError};
use crate::thread::{self, Ended, Supervisor, Thread};
use crate::vspace::VSpace;

const WARMUP: u64 = 200;
const BATCHES: u64 = 10;
const PER_BATCH: u64 = 1000;

static TOTAL: AtomicU64 = AtomicU64::new(0);
static BEST: AtomicU64 = AtomicU64::new(0);

use sel4::debug::rdtsc;

extern "C" fn server(ep: Word, _ipc: &'static mut IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let mut r = sel4::syscall::recv(ep);
    loop {
        r = sel4::syscall::reply_recv(ep, MessageInfo::new(0, 0, 0, r.info.length() as Word), r.mrs);
    }
}

/// `arg` = endpoint cap | words << 32.
extern "C" fn client(arg: Word, ipc: &'static mut IpcBuffer, sup: sel4::Cap<Endpoint>) -> ! {
    let (ep, words) = (arg & 0xffff_ffff, (arg >> 32) as usize);
    let payload = [7 as Word; 8];
    let info = MessageInfo::new(1, 0, 0, words as Word);
    let one = |ipc: &mut IpcBuffer| {
        if words <= 4 {
            sel4::syscall::call(ep, info, [payload[0], payload[1], payload[2], payload[3]]);
        } else {
            ipc.call(ep, info, &payload[..words]);
        }
    };
    for _ in 0..WARMUP {
        one(ipc);
    }
    let (mut total, mut best) = (0, u64::MAX);
    for _ in 0..BATCHES {
        let t0 = rdtsc();
        for _ in 0..PER_BATCH {
            one(ipc);
        }
        let t = rdtsc() - t0;
        total += t;
        best = best.min(t);
    }
    TOTAL.store(total / (BATCHES * PER_BATCH), Ordering::SeqCst);
    BEST.store(best / PER_BATCH, Ordering::SeqCst);
    thread::exit(sup, 0)
}

struct Case {
    name: &'static str,
    words: u64,
    client_priority: u8,
    server_priority: u8,
}

const CASES: &[Case] = &[
    Case { name: "call_0w_fastpath", words: 0, client_priority: 100, server_priority: 100 },
    Case { name: "call_4w_fastpath", words: 4, client_priority: 100, server_priority: 100 },
    Case { name: "call_5w_ipcbuffer", words: 5, client_priority: 100, server_priority: 100 },
    Case { name: "call_0w_server_lower_priority", words: 0, client_priority: 100, server_priority: 50 },
];

fn measure(k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, case: &Case) -> Result<(u64, u64), KernelError> {
    let ep = k.create::<Endpoint>()?;
    let s = Thread::spawn(k, vs, sup, server, ep.cap.bits(), case.server_priority, 1)?;
    let c = Thread::spawn(k, vs, sup, client, ep.cap.bits() | case.words << 32, case.client_priority, 1)?;
    let (badge, ended) = sup.wait(k);
    if badge != c.badge || ended != Ended::Exited(0) {
        println!("cellulos bench: {}: thread {badge} ended with {ended:?}", case.name);
        exit(FAILURE);
    }
    c.delete(k, vs, sup)?;
    s.delete(k, vs, sup)?;
    k.destroy(ep)?;
    Ok((TOTAL.load(Ordering::SeqCst), BEST.load(Ordering::SeqCst)))
}

/// Runs every case and ends QEMU.
pub fn run(mut k: Kernel) -> ! {
    let defines: alloc::vec::Vec<alloc::string::String> =
        sel4::config::DEFINES.iter().map(|(n, v)| alloc::format!("{n}={v}")).collect();
    println!("BENCH-CONFIG {}", defines.join(" "));
    println!(
        "cellulos bench: {} batches of {} round trips after {} warm-up, debug build {}, fast path {}",
        BATCHES,
        PER_BATCH,
        WARMUP,
        config::DEBUG_BUILD,
        config::FASTPATH
    );
    let before = k.usage();
    let mut vs = VSpace::new(sel4::init::VSPACE);
    let mut sup = match Supervisor::new(&mut k) {
        Ok(s) => s,
        Err(e) => {
            println!("cellulos bench: {e}");
            exit(FAILURE)
        }
    };
    for case in CASES {
        match measure(&mut k, &mut vs, &mut sup, case) {
            Ok((mean, best)) => println!("BENCH {} {mean} {best}", case.name),
            Err(e) => {
                println!("cellulos bench: {}: {e}", case.name);
                exit(FAILURE)
            }
        }
    }
    // The generated stubs against raw calls, and the root's servers against raw kernel
    // operations: the composed bench system's clients measure the tracked sides.
    match crate::system::embedded() {
        Ok(Some(system)) => {
            let bad = crate::system::start(&mut k, &mut vs, &mut sup, &system).and_then(|mut running| {
                let bad = running.supervise(&mut k, &mut vs, &mut sup).map_err(|e| alloc::format!("{e}"))?;
                running.stop(&mut k, &mut vs, &mut sup).map_err(|e| alloc::format!("{e}"))?;
                Ok(bad)
            });
            match bad {
                Ok(0) => {}
                Ok(n) => {
                    println!("cellulos bench: {n} component(s) ended badly");
                    exit(FAILURE)
                }
                Err(e) => {
                    println!("cellulos bench: {e}");
                    exit(FAILURE)
                }
            }
        }
        Ok(None) => println!("cellulos bench: no system composed; only the raw IPC cases ran"),
        Err(e) => {
            println!("cellulos bench: {e}");
            exit(FAILURE)
        }
    }
    let image = crate::system::image("rawecho").unwrap_or_default();
    if let Err(e) = crate::bench_model::run(&mut k, &mut vs, &mut sup, image) {
        println!("cellulos bench: model: {e}");
        exit(FAILURE)
    }
    if let Err(e) = crate::bench_model::extraction() {
        println!("cellulos bench: model: {e}");
        exit(FAILURE)
    }
    if let Err(e) = sup.destroy(&mut k) {
        println!("cellulos bench: {e}");
        exit(FAILURE)
    }
    if k.usage() != before || vs.table_count() != 0 {
        println!("cellulos bench: memory or slots not returned: {:?} after, {before:?} before", k.usage());
        exit(FAILURE)
    }
    println!("cellulos bench: done");
    exit(SUCCESS)
}
