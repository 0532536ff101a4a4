//! Components as protection domains: the composed test system (components/tests.toml)
//! starts, its probe client checks the seL4 transport through the counter server, a client
//! that faults is reported with the address it touched while the server serves on, one with
//! no connection that calls an empty slot gets the kernel's error instead of a server, and
//! stopping it gives every object back.

use alloc::string::String;

use super::{err, Ctx};
use sel4::Fault;

use crate::ensure;
use crate::thread::Ended;

/// Starts the embedded system, waits for its client, stops it.
pub fn components_talk_through_generated_stubs(c: &mut Ctx) -> Result<(), String> {
    let system = crate::system::embedded()?.ok_or("no system composed into this root task")?;
    let before = c.k.usage();
    let mut running = crate::system::start(&mut c.k, &mut c.vspace, &mut c.sup, &system)?;
    let ends = running.supervise_ends(&mut c.k).map_err(err)?;
    running.stop(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    let end = |name: &str| ends.iter().find(|(n, _, _)| n == name).map(|(_, e, _)| *e);
    ensure!(end("probe") == Some(Ended::Exited(0)), "probe: {:?}", end("probe"));
    match end("faulty") {
        Some(Ended::Faulted(Fault::Vm { addr: 0xdead_0000, .. })) => {}
        other => return Err(alloc::format!("faulty: {other:?}, expected a VM fault at 0xdead0000")),
    }
    // No capability, no call: the kernel answers an empty slot with an error itself.
    ensure!(end("intruder") == Some(Ended::Exited(0)), "intruder: {:?}", end("intruder"));
    ensure!(ends.iter().all(|(_, _, server)| !server), "a server ended: {ends:?}");
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok(())
}
