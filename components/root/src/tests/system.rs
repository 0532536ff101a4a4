//! Components as protection domains: the composed test system (components/tests.toml)
//! starts, its probe client checks the seL4 transport through the counter server, a client
//! that faults is reported with the address it touched while the server serves on, one with
//! no connection that calls an empty slot gets the kernel's error instead of a server, and
//! stopping it gives every object back.

use alloc::string::String;
use alloc::vec::Vec;

use super::{err, Ctx};
use sel4::Fault;

use crate::ensure;
use crate::thread::Ended;

/// How each instance ended, and the model the probe had extracted.
type Run = (Vec<(String, Ended, bool)>, Option<osmosis::Model>);

/// Starts the embedded system, waits for its clients, stops it; checks that every object
/// came back.
fn boot(c: &mut Ctx) -> Result<Run, String> {
    let system = crate::system::embedded()?.ok_or("no system composed into this root task")?;
    let before = c.k.usage();
    let mut running = crate::system::start(&mut c.k, &mut c.vspace, &mut c.sup, &system)?;
    let ends = running.supervise_ends(&mut c.k).map_err(err)?;
    let model = running.last_model.take();
    running.stop(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    ensure!(c.k.usage() == before, "usage {:?} after, {:?} before", c.k.usage(), before);
    Ok((ends, model))
}

/// Starts the embedded system, waits for its client, stops it.
pub fn components_talk_through_generated_stubs(c: &mut Ctx) -> Result<(), String> {
    let (ends, _) = boot(c)?;
    let end = |name: &str| ends.iter().find(|(n, _, _)| n == name).map(|(_, e, _)| *e);
    ensure!(end("probe") == Some(Ended::Exited(0)), "probe: {:?}", end("probe"));
    match end("faulty") {
        Some(Ended::Faulted(Fault::Vm { addr: 0xdead_0000, .. })) => {}
        other => return Err(alloc::format!("faulty: {other:?}, expected a VM fault at 0xdead0000")),
    }
    // No capability, no call: the kernel answers an empty slot with an error itself.
    ensure!(end("intruder") == Some(Ended::Exited(0)), "intruder: {:?}", end("intruder"));
    ensure!(ends.iter().all(|(_, _, server)| !server), "a server ended: {ends:?}");
    Ok(())
}

/// The model the probe had extracted, mid-run: it passes the invariant checker; the probe
/// requests what its connections serve (one edge per type, though it has two connections
/// to the counter), holds exactly its two open tallies, each in the counter's space that
/// the counter holds; and its shared buffers are memory it shares with its servers.
pub fn the_extracted_model_is_what_the_system_holds(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let (_, model) = boot(c)?;
    let m = model.ok_or("no model was extracted")?;
    let violations = osmosis::check(&m);
    ensure!(violations.is_empty(), "invariants: {violations:?}");
    let pd = |name: &str| m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == name).map(|(i, _)| i);
    let (probe, counter, greeter) =
        (pd("probe").ok_or("no probe")?, pd("counter").ok_or("no counter")?, pd("greeter").ok_or("no greeter")?);
    let mut requests: Vec<(&str, &str)> = m
        .out_edges_of(probe, EdgeKind::Request)
        .map(|(_, e)| (m.node(e.to).name.as_str(), e.request_type.as_str()))
        .collect();
    requests.sort_unstable();
    ensure!(
        requests == [("counter", "COUNTER"), ("counter", "TALLY"), ("greeter", "GREETING")],
        "the probe's requests: {requests:?}"
    );
    let tallies: Vec<_> =
        m.out_edges_of(probe, EdgeKind::Hold).map(|(_, e)| e.to).filter(|r| m.node(*r).ty == "TALLY").collect();
    ensure!(tallies.len() == 2, "the probe holds {} tallies, expected 2", tallies.len());
    for t in &tallies {
        let spaces: Vec<_> = m.out_edges_of(*t, EdgeKind::Subset).map(|(_, e)| e.to).collect();
        ensure!(spaces.len() == 1 && m.node(spaces[0]).ty == "COUNTER", "tally {}: spaces {spaces:?}", m.node(*t).id);
        ensure!(
            m.in_edges_of(spaces[0], EdgeKind::Hold).any(|(_, e)| e.from == counter),
            "the counter does not hold its space"
        );
    }
    // Two connections to the counter, one to the greeter: 16 shared pages each.
    let mo = |a, b| osmosis::query::rsi(&m, a, b, "MO").shared;
    ensure!(
        mo(probe, counter) == 32 && mo(probe, greeter) == 16,
        "shared MO pages {} and {}",
        mo(probe, counter),
        mo(probe, greeter)
    );
    ensure!(osmosis::query::rsi(&m, probe, counter, "VMR").shared == 0, "a process shares no region with another");
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
