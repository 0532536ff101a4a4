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

/// Images that are no ELF, or whose segments run past the file, are refused with the
/// reason, and nothing is left behind.
pub fn bad_images_are_refused(c: &mut Ctx) -> Result<(), String> {
    use crate::process::{Process, ProcessError, Spec};
    let before = c.k.usage();
    let image = crate::system::image("counter").ok_or("no counter image embedded")?;
    let cut = &image[..image.len() / 2];
    let headers_cut = &image[..100];
    let garbage = [0x7fu8; 256];
    for (what, bytes) in [("garbage", &garbage[..]), ("a cut image", cut), ("cut program headers", headers_cut)] {
        let spec = Spec {
            name: "bad",
            image: bytes,
            priority: 100,
            stack_pages: 4,
            provides: None,
            server_id: 0,
            uses: &[],
            clients: &[],
        };
        match Process::spawn(&mut c.k, &mut c.vspace, &mut c.sup, &spec) {
            Err(ProcessError::Image(why)) => sel4_rt::println!("  {what}: refused: {why}"),
            Err(e) => return Err(alloc::format!("{what}: {e}, expected a bad-image error")),
            Ok(p) => {
                p.delete(&mut c.k).map_err(err)?;
                return Err(alloc::format!("{what} was started"));
            }
        }
        ensure!(c.k.usage() == before, "{what}: usage {:?} after, {:?} before", c.k.usage(), before);
    }
    Ok(())
}
