//! The normal start-up until components arrive (issue 5): start a server thread, call it
//! through an endpoint, report, and end QEMU cleanly.

use sel4::{Endpoint, IpcBuffer, MessageInfo, Word};
use sel4_rt::println;

use crate::exit::{exit, FAILURE, SUCCESS};
use crate::kernel::{Kernel, KernelError};
use crate::thread::{self, Ended, Supervisor, Thread};
use crate::vspace::VSpace;

extern "C" fn greeter(ep: Word, _ipc: &'static mut IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let mut r = sel4::syscall::recv(ep);
    loop {
        println!("cellulos server thread: request {} with argument {}", r.info.label(), r.mrs[0]);
        r = sel4::syscall::reply_recv(ep, MessageInfo::new(0, 0, 0, 1), [r.mrs[0] * r.mrs[0], 0, 0, 0]);
    }
}

extern "C" fn worker(n: Word, _ipc: &'static mut IpcBuffer, sup: sel4::Cap<Endpoint>) -> ! {
    let sum = (1..=n).sum();
    println!("cellulos worker thread: 1 + ... + {n} = {sum}; exiting");
    thread::exit(sup, sum)
}

fn demo(k: &mut Kernel) -> Result<(), KernelError> {
    let before = k.usage();
    let mut vspace = VSpace::new(sel4::init::VSPACE);
    let mut sup = Supervisor::new(k)?;
    let ep = k.create::<Endpoint>()?;
    let server = Thread::spawn(k, &mut vspace, &mut sup, greeter, ep.cap.bits(), 200, 2)?;
    for x in 1..=3 {
        let (_, mrs) = k.ipc.call(ep.cap.bits(), MessageInfo::new(1, 0, 0, 1), &[x]);
        println!("cellulos root: the server squared {x}: {}", mrs[0]);
    }
    server.delete(k, &mut vspace, &mut sup)?;
    let w = Thread::spawn(k, &mut vspace, &mut sup, worker, 100, 100, 2)?;
    match sup.wait(k) {
        (badge, Ended::Exited(code)) if badge == w.badge => println!("cellulos root: the worker exited with {code}"),
        (badge, other) => println!("cellulos root: thread {badge} ended: {other:?}"),
    }
    w.delete(k, &mut vspace, &mut sup)?;
    k.destroy(ep)?;
    sup.destroy(k)?;
    let (bytes, slots) = k.usage();
    println!(
        "cellulos root: done; {} KiB untyped and {slots} slots free, {}",
        bytes >> 10,
        if k.usage() == before && vspace.table_count() == 0 { "as at start" } else { "NOT as at start" }
    );
    Ok(())
}

/// Boots the composed system, supervises it until its clients are done, and stops it.
fn boot_system(k: &mut Kernel, system: &cellulos_system::System) -> Result<usize, alloc::string::String> {
    let before = k.usage();
    let mut vspace = VSpace::new(sel4::init::VSPACE);
    let mut sup = Supervisor::new(k).map_err(|e| alloc::format!("{e}"))?;
    let mut running = crate::system::start(k, &mut vspace, &mut sup, system)?;
    let bad = running.supervise(k, &mut vspace, &mut sup).map_err(|e| alloc::format!("{e}"))?;
    running.stop(k, &mut vspace, &mut sup).map_err(|e| alloc::format!("{e}"))?;
    sup.destroy(k).map_err(|e| alloc::format!("{e}"))?;
    let returned = k.usage() == before && vspace.table_count() == 0;
    println!(
        "cellulos root: system stopped; {} KiB untyped and {} slots free, {}",
        k.usage().0 >> 10,
        k.usage().1,
        if returned { "as at start" } else { "NOT as at start" }
    );
    Ok(bad + usize::from(!returned))
}

/// Runs the composed system if there is one (the demo otherwise) and ends QEMU.
pub fn run(mut k: Kernel) -> ! {
    match crate::system::embedded() {
        Ok(Some(system)) => match boot_system(&mut k, &system) {
            Ok(0) => exit(SUCCESS),
            Ok(bad) => {
                println!("cellulos root: {bad} component(s) ended badly");
                exit(FAILURE)
            }
            Err(e) => {
                println!("cellulos root: failed: {e}");
                exit(FAILURE)
            }
        },
        Ok(None) => {}
        Err(e) => {
            println!("cellulos root: {e}");
            exit(FAILURE)
        }
    }
    match demo(&mut k) {
        Ok(()) => exit(SUCCESS),
        Err(e) => {
            println!("cellulos root: failed: {e}");
            exit(FAILURE)
        }
    }
}
