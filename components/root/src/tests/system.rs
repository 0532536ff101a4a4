//! Components as protection domains: the composed test system (components/tests/system.toml)
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

/// How each instance ended, and every model extracted, in order.
/// What a run of a system left.
struct Run {
    /// How each instance ended (and whether it was a server).
    ends: Vec<(String, Ended, bool)>,
    /// The snapshots clients asked for.
    models: Vec<osmosis::Model>,
    /// Cleanups that left the model unlike their plans, and extractions that failed.
    failures: usize,
    /// The model once every client was done.
    after: Result<osmosis::Model, String>,
    /// The places the root's PD server had for PDs (the most it knew at once), and its
    /// memory server for address spaces, regions and memory objects.
    pd_places: usize,
    memory_places: usize,
    /// The caller threads the root made: the deepest its calls to servers nested.
    callers: usize,
}

impl Run {
    /// How instance `name` ended (`None`: it was still running at the end).
    fn end(&self, name: &str) -> Option<Ended> {
        self.ends.iter().find(|(n, _, _)| n == name).map(|(_, e, _)| *e)
    }
}

/// The instances of the embedded system (components/tests/system.toml) named, alone: each
/// connection's server index renumbered, badges and slots as compose gave them.
fn subsystem(names: &[&str], cleanup: &str) -> Result<cellulos_system::System, String> {
    let mut system = crate::system::embedded()?.ok_or("no system composed into this root task")?;
    let keep: Vec<usize> =
        (0..system.instances.len()).filter(|i| names.contains(&system.instances[*i].name.as_str())).collect();
    ensure!(keep.len() == names.len(), "components/tests/system.toml lacks some of {names:?}");
    let mut instances = Vec::new();
    for i in &keep {
        let mut inst = system.instances[*i].clone();
        for u in inst.uses.iter_mut().filter(|u| u.server != cellulos_system::ROOT_SERVER) {
            let at = keep.iter().position(|k| *k == u.server as usize);
            u.server = at.ok_or_else(|| alloc::format!("{}: its server is not among {names:?}", inst.name))? as u32;
        }
        instances.push(inst);
    }
    system.instances = instances;
    system.cleanup = String::from(cleanup);
    Ok(system)
}

/// The instances SYSTEM0001 and MODEL0001 boot.
const TRANSPORT: &[&str] = &["counter", "greeter", "probe", "faulty", "intruder"];

/// Starts the system, waits for its clients, stops it; checks that every object came back.
fn boot(c: &mut Ctx, system: &cellulos_system::System) -> Result<Run, String> {
    let before = c.k.usage();
    let mut running = crate::system::start(&mut c.k, &mut c.vspace, &mut c.sup, system)?;
    let ends = running.supervise_ends(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    // Every handle that ended had its capability revoked then, not at the end.
    let stale = running.stale_handle_caps();
    ensure!(stale == 0, "{stale} capabilities of handles that ended were not revoked");
    let failures = running.failures();
    let after = running.extract(&mut c.k, &mut c.vspace, &mut c.sup, None);
    let (pd_places, memory_places) = (running.pd_places(), running.memory_places());
    let models = core::mem::take(&mut running.models);
    let callers = running.callers();
    running.stop(&mut c.k, &mut c.vspace, &mut c.sup).map_err(err)?;
    ensure!(c.k.usage() == before, "{}: usage {:?} after, {:?} before", system.cleanup, c.k.usage(), before);
    Ok(Run { ends, models, failures, after, pd_places, memory_places, callers })
}

/// Boots the instances named alone, checks that `client` exited 0 (a test client's exit
/// code counts its failed checks), and returns the run (the models it asked for).
fn boot_client(c: &mut Ctx, names: &[&str], client: &str) -> Result<Run, String> {
    let run = boot(c, &subsystem(names, "recursive-pd")?)?;
    let end = run.end(client);
    ensure!(end == Some(Ended::Exited(0)), "{client}: {end:?} (its exit code counts its failed checks)");
    Ok(run)
}

/// Starts the embedded system, waits for its client, stops it.
pub fn components_talk_through_generated_stubs(c: &mut Ctx) -> Result<(), String> {
    let run = boot(c, &subsystem(TRANSPORT, "recursive-pd")?)?;
    let end = |name: &str| run.end(name);
    ensure!(end("probe") == Some(Ended::Exited(0)), "probe: {:?}", end("probe"));
    match end("faulty") {
        Some(Ended::Faulted(Fault::Vm { addr: 0xdead_0000, .. })) => {}
        other => return Err(alloc::format!("faulty: {other:?}, expected a VM fault at 0xdead0000")),
    }
    // No capability, no call: the kernel answers an empty slot with an error itself.
    ensure!(end("intruder") == Some(Ended::Exited(0)), "intruder: {:?}", end("intruder"));
    ensure!(run.ends.iter().all(|(_, _, server)| !server), "a server ended: {:?}", run.ends);
    Ok(())
}

/// The model the probe had extracted, mid-run: it passes the invariant checker; the probe
/// requests what its connections serve (one edge per type, though it has two connections
/// to the counter), holds exactly its two open tallies, each in the counter's space that
/// the counter holds; and its shared buffers are memory it shares with its servers.
pub fn the_extracted_model_is_what_the_system_holds(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let mut models = boot(c, &subsystem(TRANSPORT, "recursive-pd")?)?.models;
    let m = models.pop().ok_or("no model was extracted")?;
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
            heap_pages: 0,
            provides: None,
            server_id: 0,
            uses: &[],
            clients: &[],
            start: true,
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

/// The cleanup test system under `policy`: crashy faults while serving the victim; what
/// becomes of the victim, the relay (a server using crashy) and the downstream client (of
/// the relay) is what the policy says (`None`: still running when the clients are done).
/// The root checks after each cleanup that the model is as planned (a difference is
/// counted as a failure).
fn crash(c: &mut Ctx, policy: &str, expect: [(&str, Option<Ended>); 3]) -> Result<(), String> {
    let run = boot(c, &subsystem(&["crashy", "relay", "victim", "downstream"], policy)?)?;
    let (end, failures) = (|name: &str| run.end(name), run.failures);
    match end("crashy") {
        Some(Ended::Faulted(Fault::Vm { addr: 0xdead_0000, .. })) => {}
        other => return Err(alloc::format!("crashy: {other:?}, expected its VM fault")),
    }
    for (name, want) in expect {
        ensure!(end(name) == want, "{policy}: {name} {:?}, expected {want:?}", end(name));
    }
    ensure!(failures == 0, "{policy}: {failures} cleanup(s) unlike the plan, or extractions failed");
    Ok(())
}

/// Direct resource-space deletion (0/0): nobody else is terminated; the victim's call and
/// its next one fail with `ServerGone`, the relay's upstream calls fail, and so the
/// downstream client gets an error from the relay. The relay lives on.
pub fn cleanup_direct_space(c: &mut Ctx) -> Result<(), String> {
    let done = Some(Ended::Exited(0));
    crash(c, "direct-space", [("victim", done), ("downstream", done), ("relay", None)])
}

/// Recursive resource-space deletion (0/inf): no space maps onto crashy's, so the same.
pub fn cleanup_recursive_space(c: &mut Ctx) -> Result<(), String> {
    let done = Some(Ended::Exited(0));
    crash(c, "recursive-space", [("victim", done), ("downstream", done), ("relay", None)])
}

/// Direct PD deletion (1/0): whoever requests from crashy (the victim, the relay) is
/// terminated; the downstream client (depth 2) survives and its calls fail.
pub fn cleanup_direct_pd(c: &mut Ctx) -> Result<(), String> {
    let gone = Some(Ended::Terminated);
    crash(c, "direct-pd", [("victim", gone), ("relay", gone), ("downstream", Some(Ended::Exited(0)))])
}

/// Recursive PD deletion (inf/0): the relay's clients go with it.
pub fn cleanup_recursive_pd(c: &mut Ctx) -> Result<(), String> {
    let gone = Some(Ended::Terminated);
    crash(c, "recursive-pd", [("victim", gone), ("relay", gone), ("downstream", gone)])
}

/// A server waiting on another that faults (EXTRACT0002): the pusher's call makes the relay
/// call crashy, which yields a while and faults; meanwhile the quitter asks for a snapshot,
/// and the root waits on crashy (released when it faults), then calls the relay, which
/// could not answer while its own call to crashy waited. When crashy ends, the supervisor
/// thread releases every call waiting on it (the relay's) with `ServerGone`, so the relay
/// answers the root; the snapshot completes, the pusher gets an error, and crashy's end is
/// cleaned up as planned.
pub fn a_server_waiting_on_a_faulting_one_does_not_hang_the_root(c: &mut Ctx) -> Result<(), String> {
    let run = boot(c, &subsystem(&["crashy", "relay", "pusher", "quitter"], "direct-space")?)?;
    let (end, failures) = (|name: &str| run.end(name), run.failures);
    ensure!(end("pusher") == Some(Ended::Exited(0)), "pusher: {:?}", end("pusher"));
    ensure!(end("quitter") == Some(Ended::Exited(0)), "quitter: {:?}", end("quitter"));
    ensure!(failures == 0, "{failures} cleanup(s) unlike the plan, or extractions failed");
    match end("crashy") {
        Some(Ended::Faulted(Fault::Vm { addr: 0xdead_0000, .. })) => Ok(()),
        other => Err(alloc::format!("crashy: {other:?}, expected its VM fault")),
    }
}

/// A server that calls the root while the root calls it (EXTRACT0003): the customer's call
/// makes the borrower yield a while, then ask the root's memory server for a page and give
/// the customer a tally of the counter; the quitter's snapshot meanwhile has the root ask
/// the borrower for its part of the model. The root makes that call from a caller thread
/// and serves the borrower's call and its give (through a second caller thread, to the
/// counter) while it waits (before, each waited for the other, for ever): the snapshot
/// completes, the customer's call succeeds (the pusher's exit code is 1 when it did: the
/// borrower fails it if a give is refused), nobody faults.
pub fn a_server_calling_the_root_while_the_root_calls_it_is_served(c: &mut Ctx) -> Result<(), String> {
    let run = boot(c, &subsystem(&["counter", "borrower", "customer", "quitter"], "direct-space")?)?;
    let end = |name: &str| run.end(name);
    ensure!(end("quitter") == Some(Ended::Exited(0)), "quitter: {:?} (1: its snapshot failed)", end("quitter"));
    ensure!(end("customer") == Some(Ended::Exited(1)), "customer: {:?} (1: its call succeeded)", end("customer"));
    ensure!(run.failures == 0, "{} extraction(s) failed", run.failures);
    let m = run.models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    ensure!(end("borrower").is_none(), "the borrower ended: {:?}", end("borrower"));
    Ok(())
}

/// Calls to servers nested three deep (EXTRACT0004): the quitter's snapshot has the root
/// wait on a server; meanwhile the broker gives the shopper a tally of the lender's (the
/// root calls the lender, which is busy), and the lender then gives the shopper a tally of
/// the counter's (the root calls the counter while it waits on the lender, which waits on
/// this give). Each wait has its caller thread, made when calls first nest that deep (two
/// were all there were, and the third call was refused `NotAllowed`): both gives succeed
/// (each crashy fails its client's call when its give is refused, and a pusher exits 1
/// when its call succeeded), and the snapshot completes.
pub fn gives_nested_three_deep_are_served(c: &mut Ctx) -> Result<(), String> {
    let names = ["counter", "lender", "broker", "shopper", "lendee", "quitter"];
    let run = boot(c, &subsystem(&names, "direct-space")?)?;
    let end = |name: &str| run.end(name);
    ensure!(end("quitter") == Some(Ended::Exited(0)), "quitter: {:?} (1: its snapshot failed)", end("quitter"));
    for client in ["shopper", "lendee"] {
        ensure!(end(client) == Some(Ended::Exited(1)), "{client}: {:?} (1: its call succeeded)", end(client));
    }
    ensure!(run.failures == 0, "{} extraction(s) failed", run.failures);
    ensure!(run.callers == 3, "calls to servers nested {} deep, not 3: the test's timing is off", run.callers);
    let m = run.models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    Ok(())
}

/// A space mapped onto another PD's (CLEANUP0005), once per preset: the block device gives
/// its BLOCK space and a block (the root's resource-space server's) to the file system,
/// which maps its FILE space onto it and a file onto the block; then the block device ends.
/// Its BLOCK space goes with it under every policy; the FILE space under recursive-space
/// (space depth 1, deleted by the root while the file system lives on) and with the file
/// system under the PD policies (it requests BLOCK from the block device and holds a
/// block); direct-space leaves both. The root checks each cleanup against its plan.
pub fn cleanup_follows_a_space_mapped_onto_another_pds(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let presets = [
        ("direct-space", false, true),
        ("recursive-space", false, false),
        ("direct-pd", true, false),
        ("recursive-pd", true, false),
    ];
    for (policy, fs_ends, files_stay) in presets {
        let run = boot(c, &subsystem(&["block-double", "file-double"], policy)?)?;
        let (end, failures) = (|name: &str| run.end(name), run.failures);
        let (after, snapshot) = (run.after.clone(), run.models.first().cloned());
        ensure!(end("block-double") == Some(Ended::Exited(0)), "{policy}: block-double {:?}", end("block-double"));
        let want = if fs_ends { Some(Ended::Terminated) } else { None };
        ensure!(end("file-double") == want, "{policy}: file-double {:?}, expected {want:?}", end("file-double"));
        ensure!(failures == 0, "{policy}: {failures} cleanup(s) unlike the plan, or extractions failed");
        // Mounted: the FILE space (the file system's) MAPs onto the BLOCK space, which both
        // hold; the file system requests BLOCK from the block device.
        let m = snapshot.ok_or("no snapshot")?;
        ensure!(osmosis::check(&m).is_empty(), "invariants: {:?}", osmosis::check(&m));
        let space =
            |m: &osmosis::Model, ty: &str| m.nodes_of(NodeKind::Space).find(|(_, n)| n.ty == ty).map(|(i, _)| i);
        let pd = |name: &str| m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == name).map(|(i, _)| i);
        let (files, blocks) = (space(&m, "FILE").ok_or("no FILE space")?, space(&m, "BLOCK").ok_or("no BLOCK space")?);
        let (dev, fs) = (pd("block-double").ok_or("no block-double")?, pd("file-double").ok_or("no file-double")?);
        ensure!(m.out_edges_of(files, EdgeKind::Map).any(|(_, e)| e.to == blocks), "FILE does not MAP BLOCK");
        for holder in [dev, fs] {
            ensure!(
                m.in_edges_of(blocks, EdgeKind::Hold).any(|(_, e)| e.from == holder),
                "{} does not hold BLOCK",
                m.node(holder).name
            );
        }
        ensure!(
            m.out_edges_of(fs, EdgeKind::Request).any(|(_, e)| e.to == dev && e.request_type == "BLOCK"),
            "the file system does not request BLOCK from the block device"
        );
        let after = after?;
        ensure!(space(&after, "BLOCK").is_none(), "{policy}: the BLOCK space outlived its block device");
        ensure!(
            space(&after, "FILE").is_some() == files_stay,
            "{policy}: the FILE space {}",
            if files_stay { "went" } else { "stayed" }
        );
    }
    Ok(())
}

/// A component server's space mapped onto another component server's (CLEANUP0006): the
/// directory server mounts a tree on a volume of the volume server (the IDL's `maps return
/// => on`: its DIR space MAPs onto the VOLUME space), then the volume server faults. Under
/// recursive-space the plan deletes the tree while the directory server lives on, and the
/// root asks that server to (`DELETE_SPACE`): the tree leaves the model and the server's
/// own count (the mounter's exit code, which it reads after its call to the dead server
/// returned: 0); under direct-space it stays (1); the PD presets terminate the mounter,
/// which requested volumes from the dead server. Each cleanup is checked against its plan.
pub fn cleanup_asks_a_live_server_to_delete_its_space(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let presets = [
        ("direct-space", Some(Ended::Exited(1))),
        ("recursive-space", Some(Ended::Exited(0))),
        ("direct-pd", Some(Ended::Terminated)),
        ("recursive-pd", Some(Ended::Terminated)),
    ];
    for (policy, mounter) in presets {
        let run = boot(c, &subsystem(&["volume-double", "dir-double", "mounter"], policy)?)?;
        let (end, failures) = (|name: &str| run.end(name), run.failures);
        let (after, snapshot) = (run.after.clone(), run.models.first().cloned());
        ensure!(end("mounter") == mounter, "{policy}: mounter {:?}, expected {mounter:?}", end("mounter"));
        ensure!(end("dir-double").is_none(), "{policy}: the directory server ended: {:?}", end("dir-double"));
        ensure!(failures == 0, "{policy}: {failures} cleanup(s) unlike the plan, or extractions failed");
        let m = snapshot.ok_or("no snapshot")?;
        ensure!(osmosis::check(&m).is_empty(), "invariants: {:?}", osmosis::check(&m));
        let space =
            |m: &osmosis::Model, ty: &str| m.nodes_of(NodeKind::Space).find(|(_, n)| n.ty == ty).map(|(i, _)| i);
        let (tree, volume) = (space(&m, "DIR").ok_or("no DIR space")?, space(&m, "VOLUME").ok_or("no VOLUME space")?);
        ensure!(m.out_edges_of(tree, EdgeKind::Map).any(|(_, e)| e.to == volume), "DIR does not MAP VOLUME");
        let after = after?;
        // (The tree, held by the mounter alone, went when the mounter did.)
        ensure!(space(&after, "VOLUME").is_none(), "{policy}: the VOLUME space outlived its server");
    }
    Ok(())
}

/// The root's memory server, driven by the memtest client: it mapped memory and used it
/// (its own checks), and the two snapshots it asked for around its bad requests are the
/// same model, which shows the memory it got: its regions in its own address space, each
/// backed by a memory object it holds (two by the same), and its requests to the root for both types; what
/// it made and ended many times left the server's tables no bigger.
pub fn the_root_serves_memory(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let run = boot_client(c, &["memtest"], "memtest")?;
    // 50 address spaces, memory objects and regions made and ended one after another
    // (150 places if none were used again).
    let places = run.memory_places;
    ensure!(places <= 16, "the memory server has {places} places, expected at most 16");
    let models = run.models;
    ensure!(models.len() == 2, "{} snapshots, expected 2", models.len());
    let (a, b) = (&models[0], &models[1]);
    ensure!(
        a.sorted_nodes() == b.sorted_nodes() && a.edge_keys() == b.edge_keys(),
        "the bad requests changed the model"
    );
    ensure!(osmosis::check(a).is_empty(), "invariants: {:?}", osmosis::check(a));
    let pd = a.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == "memtest").map(|(i, _)| i).ok_or("no memtest PD")?;
    let mut requests: Vec<&str> = a.out_edges_of(pd, EdgeKind::Request).map(|(_, e)| e.request_type.as_str()).collect();
    requests.sort_unstable();
    ensure!(requests == ["MO", "VMR"], "requests {requests:?}");
    let asked: Vec<_> = a
        .out_edges_of(pd, EdgeKind::Hold)
        .map(|(_, e)| e.to)
        .filter(|v| a.node(*v).ty == "VMR" && a.node(*v).int("addr").is_some_and(|x| x >= 0x1_0000_0000))
        .collect();
    ensure!(asked.len() == 3, "{} regions from the memory server, expected 3", asked.len());
    let mut backing = Vec::new();
    for v in asked {
        let mo: Vec<_> = a.out_edges_of(v, EdgeKind::Map).map(|(_, e)| e.to).collect();
        ensure!(mo.len() == 1 && a.node(mo[0]).int("pages") == Some(4), "region {} maps {mo:?}", a.node(v).id);
        ensure!(a.in_edges_of(mo[0], EdgeKind::Hold).any(|(_, e)| e.from == pd), "memtest does not hold its memory");
        backing.push(mo[0]);
    }
    // Two of them map one memory object.
    backing.sort_unstable();
    backing.dedup();
    ensure!(backing.len() == 2, "the 3 regions map {} memory objects, expected 2", backing.len());
    Ok(())
}

/// The root's PD server, driven by the spawner client: a thread of itself and a process
/// made at run time. In the snapshot it asked for, the thread reaches exactly the memory of
/// its process (RSI 1 for regions and memory objects) and the process none of it (RSI 0)
/// but the page it was given shared: what OSmosis predicts for a thread and a process;
/// each has a CPU of its own.
pub fn the_root_makes_threads_and_processes(c: &mut Ctx) -> Result<(), String> {
    use osmosis::query::rsi;
    use osmosis::{EdgeKind, NodeKind};
    let run = boot(c, &subsystem(&["spawner"], "recursive-pd")?)?;
    let (end, models) = (|name: &str| run.end(name), &run.models);
    ensure!(end("spawner") == Some(Ended::Exited(0)), "spawner: {:?}", end("spawner"));
    // The process it started with a heap found its allocations there (its exit code).
    ensure!(end("spawner.heapy") == Some(Ended::Exited(0)), "spawner.heapy: {:?}", end("spawner.heapy"));
    // PDs that ended leave their places to new ones: 6 at most at once, then 50 made and
    // ended one after another (59 places if none were used again).
    ensure!(run.pd_places <= 8, "the PD server has {} places for PDs, expected at most 8", run.pd_places);
    let m = models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    let pd = |name: &str| m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == name).map(|(i, _)| i);
    let parent = pd("spawner").ok_or("no spawner")?;
    let thread = pd("spawner.worker").ok_or("no thread")?;
    let child = pd("spawner.child").ok_or("no process")?;
    for ty in ["VMR", "MO"] {
        let t = rsi(m, parent, thread, ty);
        ensure!(t.value() == Some(1.0), "{ty}: thread {t:?}, expected RSI 1");
    }
    // The process shares no region (each its own VMRs), and of memory only the one page
    // given as `Shared` (the copied page is its own).
    let (v, mo) = (rsi(m, parent, child, "VMR"), rsi(m, parent, child, "MO"));
    ensure!(v.shared == 0 && v.union > 0, "VMR: process {v:?}, expected RSI 0");
    ensure!(mo.shared == 1, "MO: process {mo:?}, expected 1 page shared");
    let copies: Vec<_> = m
        .out_edges_of(child, EdgeKind::Hold)
        .map(|(_, e)| e.to)
        .filter(|n| m.node(*n).ty == "MO" && m.node(*n).int("pages") == Some(1))
        .collect();
    ensure!(copies.len() == 1, "the process holds {} one-page copies, expected 1", copies.len());
    // Its configuration asked for a heap: a HEAP region of 64 pages.
    let heaps: Vec<_> = m
        .out_edges_of(child, EdgeKind::Hold)
        .map(|(_, e)| m.node(e.to))
        .filter(|n| n.ty == "VMR" && n.attrs.get("kind").and_then(|k| k.as_text()) == Some("HEAP"))
        .map(|n| n.int("pages"))
        .collect();
    ensure!(heaps == [Some(64)], "the process's heap regions: {heaps:?}, expected one of 64 pages");
    ensure!(rsi(m, parent, thread, "VCPU").shared == 0, "the thread has a CPU of its own");
    // Its own entry to the spawner, and the spawner's three to the root (shared directory).
    let mut requests: Vec<_> = m
        .out_edges_of(child, EdgeKind::Request)
        .map(|(_, e)| (m.node(e.to).id.as_str(), e.request_type.as_str()))
        .collect();
    requests.sort_unstable();
    let parent_id = m.node(parent).id.as_str();
    let want = {
        let mut w = alloc::vec![("PD_0", "MO"), ("PD_0", "PD"), ("PD_0", "VMR"), (parent_id, "PD")];
        w.sort_unstable();
        w
    };
    ensure!(requests == want, "the process's requests: {requests:?}");
    // Both ended with the spawner's terminate; nothing of them is left in its second snapshot.
    ensure!(models.len() == 2, "{} snapshots, expected 2", models.len());
    let last = &models[1];
    ensure!(
        last.nodes_of(NodeKind::Pd).all(|(_, n)| !n.name.starts_with("spawner.")),
        "a PD made at run time outlived its terminate"
    );
    // A thread made after the first ended took its place: its stack and IPC buffer are
    // where the first's were (the lowest free window of the address space).
    let windows = |m: &osmosis::Model, name: &str| -> Result<Vec<u64>, String> {
        let pd = m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == name).map(|(i, _)| i).ok_or("no such thread")?;
        let mut addrs: Vec<u64> = m
            .out_edges_of(pd, EdgeKind::Hold)
            .filter_map(|(_, e)| m.node(e.to).int("addr"))
            .filter(|a| (0x3_0000_0000..0x4_0000_0000).contains(a))
            .collect();
        addrs.sort_unstable();
        Ok(addrs)
    };
    let (first, again) = (windows(m, "spawner.worker")?, windows(last, "worker.again")?);
    ensure!(first.len() == 2, "the first thread's regions in its window: {first:x?}");
    ensure!(again == first, "the second thread's regions {again:x?}, not where the first's were {first:x?}");
    Ok(())
}

/// The root's CPU server, driven by the cputest client: a CPU it made ran a function of its
/// address space (its own checks); in its snapshot it holds that CPU besides its own, both
/// pinned to the one physical core it also holds.
pub fn the_root_serves_cpus(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let models = boot_client(c, &["cputest"], "cputest")?.models;
    let m = models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    let pd = m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == "cputest").map(|(i, _)| i).ok_or("no cputest")?;
    let held: Vec<_> = m.out_edges_of(pd, EdgeKind::Hold).map(|(_, e)| e.to).collect();
    let vcpus: Vec<_> = held.iter().filter(|n| m.node(**n).ty == "VCPU").collect();
    ensure!(vcpus.len() == 2, "cputest holds {} VCPUs, expected 2", vcpus.len());
    let pcpu = held.iter().find(|n| m.node(**n).ty == "PCPU").ok_or("cputest holds no PCPU")?;
    for v in vcpus {
        ensure!(m.out_edges_of(*v, EdgeKind::Map).any(|(_, e)| e.to == *pcpu), "{} is not pinned", m.node(*v).id);
    }
    Ok(())
}

/// A resource given to another PD (GIVE0001): the giver gives its tally to the taker, which
/// bumps it through its own counter connection. In the giver's snapshot both hold the one
/// tally (HOLD edges from both PDs to a single TALLY, recorded by the counter's generated
/// code), the taker holds no other, and the model passes the checker; the refusals are the
/// giver's own checks (its exit code). Its second snapshot, after it gave until the taker
/// had no slot left, shows a hold for each of the taker's slots and none for the refused.
pub fn a_resource_is_given_to_another_pd(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let models = boot_client(c, &["counter", "giver", "taker"], "giver")?.models;
    let m = models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    let tallies = |m: &osmosis::Model, name: &str| -> Result<Vec<osmosis::NodeIdx>, String> {
        let pd = m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == name).map(|(i, _)| i).ok_or("no such PD")?;
        Ok(m.out_edges_of(pd, EdgeKind::Hold).map(|(_, e)| e.to).filter(|t| m.node(*t).ty == "TALLY").collect())
    };
    let (giver, taker) = (tallies(m, "giver")?, tallies(m, "taker")?);
    ensure!(giver.len() == 1, "the giver holds {} tallies, expected 1", giver.len());
    ensure!(taker == giver, "the taker holds {:?}, not the giver's tally {:?}", taker, giver);
    // Then gifts until the taker had no slot left: one hold for each slot of the root's
    // range in its CSpace, none for the gift refused.
    let m = models.get(1).ok_or("no second snapshot")?;
    let taker = tallies(m, "taker")?;
    let slots = crate::process::ROOT_RANGE as usize;
    ensure!(
        taker.len() == slots,
        "the taker holds {} handles, expected one for each of its {slots} slots",
        taker.len()
    );
    ensure!(taker.iter().all(|t| giver.contains(t)), "the taker holds other tallies: {taker:?}");
    Ok(())
}

/// A server that faults while the root waits in its `export_model` (EXTRACT0001), after
/// another PD (the quitter) ended meanwhile: the supervisor thread, which queued that end
/// without waiting for the blocked main thread, takes the fault and releases the main
/// thread with `ServerGone`; the extraction the client asked for completes instead of
/// hanging the system (crashy represented by the space it served, as a failed server is
/// for a cleanup plan), both ends are handled as planned, and the next extraction succeeds
/// (the client's own checks).
pub fn a_server_faulting_during_an_extraction_does_not_hang_the_root(c: &mut Ctx) -> Result<(), String> {
    let run = boot(c, &subsystem(&["crashy", "asker", "quitter"], "direct-space")?)?;
    let (failures, models) = (run.failures, &run.models);
    ensure!(failures == 0, "{failures} cleanup(s) unlike the plan, or extractions failed");
    let m = models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    let crashy = m.nodes_of(osmosis::NodeKind::Pd).find(|(_, n)| n.name == "crashy").map(|(i, _)| i);
    let served = crashy
        .map(|pd| m.out_edges_of(pd, osmosis::EdgeKind::Hold).filter(|(_, e)| m.node(e.to).ty == "COUNTER").count());
    ensure!(served == Some(1), "crashy in the snapshot taken as it faulted: {served:?} COUNTER spaces, expected 1");
    let end = |name: &str| run.end(name);
    ensure!(end("asker") == Some(Ended::Exited(0)), "asker: {:?}", end("asker"));
    ensure!(end("quitter") == Some(Ended::Exited(0)), "quitter: {:?}", end("quitter"));
    match end("crashy") {
        Some(Ended::Faulted(Fault::Vm { addr: 0xdead_0000, .. })) => Ok(()),
        other => Err(alloc::format!("crashy: {other:?}, expected its VM fault")),
    }
}

/// The root's resource-space server, driven by the spacetest client: in its snapshot the
/// spaces it registered are in the model (a DISK space of SECTORs included: the type table
/// learnt the new type), held by it, the FILE space MAPs onto the BLOCK space and its file
/// onto a block, and the model passes the checker (a resource MAP with its spaces' MAP).
pub fn the_root_registers_spaces(c: &mut Ctx) -> Result<(), String> {
    use osmosis::{EdgeKind, NodeKind};
    let models = boot_client(c, &["spacetest"], "spacetest")?.models;
    let m = models.first().ok_or("no snapshot")?;
    ensure!(osmosis::check(m).is_empty(), "invariants: {:?}", osmosis::check(m));
    ensure!(m.types.space_type_of("SECTOR") == "DISK", "the type table did not learn SECTOR in DISK");
    let pd = m.nodes_of(NodeKind::Pd).find(|(_, n)| n.name == "spacetest").map(|(i, _)| i).ok_or("no spacetest")?;
    let space = |ty: &str| m.nodes_of(NodeKind::Space).find(|(_, n)| n.ty == ty).map(|(i, _)| i);
    let (files, blocks, disks) =
        (space("FILE").ok_or("no FILE")?, space("BLOCK").ok_or("no BLOCK")?, space("DISK").ok_or("no DISK")?);
    for s in [files, blocks, disks] {
        ensure!(m.in_edges_of(s, EdgeKind::Hold).any(|(_, e)| e.from == pd), "{} not held", m.node(s).id);
    }
    ensure!(m.out_edges_of(files, EdgeKind::Map).any(|(_, e)| e.to == blocks), "FILE does not MAP BLOCK");
    let in_space = |s| m.in_edges_of(s, EdgeKind::Subset).map(|(_, e)| e.from).collect::<Vec<_>>();
    let (f, b) = (in_space(files), in_space(blocks));
    ensure!(f.len() == 1 && b.len() == 1, "{} files and {} blocks, expected 1 and 1 (one deleted)", f.len(), b.len());
    ensure!(m.out_edges_of(f[0], EdgeKind::Map).any(|(_, e)| e.to == b[0]), "the file does not MAP its block");
    Ok(())
}
