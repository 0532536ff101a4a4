//! Starting the composed system: every instance as a process (servers first), each server
//! with an endpoint of its own, each client with a badged cap per connection; then the root
//! supervises ([`supervise`]): it reports each exit and fault, cleans up after it
//! ([`cleanup`]), and ends the run when every client is done.
//!
//! Root threads: a supervisor thread waits on the supervisor endpoint (every PD's fault
//! endpoint) and queues each exit, fault and request for the main thread ([`supervise`]);
//! the main thread serves the root's endpoint (its own servers) and owns every kernel
//! object; two caller threads make the root's calls to servers (their parts of the model,
//! [`extraction`]; gives; cleanups), while the main thread serves on, so the root never
//! waits on a server that may be calling it.
//!
//! The root keeps its part of the live model ([`cellulos_keeper`]) as it starts and deletes
//! processes. When a client asks (through its supervisor cap), or else once every client is
//! done, it asks each server for its part (`export_model`, through a connection of its own
//! to each server), merges, and streams the model out on COM2 ([`crate::com2`]).

use alloc::collections::{BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use cellulos::runtime::{Badge, Book};
use cellulos_keeper::{Keeper, PdId, Region};
use cellulos_system::{System, ROOT_SERVER, VERSION};
use osmosis::Perms;
use sel4::{CapRights, Endpoint, Notification, Page, Word};
use sel4_rt::println;
use sel4_rt::start::{CLIENTS_SHARED_VA, SHARED_PAGES, SHARED_STRIDE, USES_SHARED_VA};

use crate::kernel::{Kernel, KernelError, Object};
use crate::process::{Process, Spec, Uses};
use crate::thread::{Supervisor, Thread};
use crate::vspace::VSpace;

/// Where the root maps its shared buffer with server `i`: `ROOT_SHARED_VA + i * SHARED_STRIDE`
/// (PML4 entry 3, apart from thread windows and the scratch page).
const ROOT_SHARED_VA: Word = 0x180_0000_0000;
/// Where the root maps its shared buffer with its own client `n` (a connection to `root`).
const ROOT_CLIENTS_VA: Word = 0x200_0000_0000;
const SHARED_BYTES: usize = SHARED_PAGES as usize * 4096;

mod caller;
mod caps;
mod cleanup;
mod cpus;
mod events;
mod extraction;
mod give;
mod memory;
mod pages;
mod pds;
mod serve;
mod spaces;
mod supervise;
mod table;

use serve::{RootClient, RootService};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/system.rs"));
}

/// The embedded description, decoded; `None` when nothing was composed.
pub fn embedded() -> Result<Option<System>, String> {
    if embedded::SYSTEM.is_empty() {
        return Ok(None);
    }
    let system: System =
        postcard::from_bytes(embedded::SYSTEM).map_err(|e| alloc::format!("system description: {e}"))?;
    if system.version != VERSION {
        return Err(alloc::format!("system description version {} (this root task reads {VERSION})", system.version));
    }
    Ok(Some(system))
}

/// An embedded program image by name.
pub fn image(program: &str) -> Option<&'static [u8]> {
    embedded::IMAGES.iter().find(|(n, _)| *n == program).map(|(_, i)| *i)
}

/// A started system.
pub struct Running {
    /// Each instance's process and name (None once it ended and was deleted).
    pub processes: Vec<(String, Option<Process>, bool)>,
    /// The root's endpoint, served by the main thread.
    root_ep: Option<Object<Endpoint>>,
    /// The supervisor endpoint (its thread answers calls to a gone server: see
    /// [`supervise::GONE_BADGE`]).
    sup_ep: sel4::Cap<Endpoint>,
    /// The supervisor thread.
    watcher: Option<Thread>,
    /// The caller threads ([`caller`]) with their notifications, how many are calling, and
    /// the clients' calls kept until they are done.
    callers: Vec<(Thread, Object<Notification>)>,
    calling: usize,
    deferred: VecDeque<supervise::Deferred>,
    /// The answer to the call just served, sent with the main loop's next receive.
    pending: Option<(sel4::MessageInfo, [Word; 4])>,
    endpoints: Vec<Option<Object<Endpoint>>>,
    /// The frames of every connection's shared buffer (each end maps copies).
    buffers: Vec<Object<Page>>,
    /// The root's part of the live model, and each instance's PD in it.
    keeper: Keeper,
    pds: Vec<PdId>,
    /// What each instance serves (resource type, space type).
    serves: Vec<Vec<(String, String)>>,
    /// The root's connection to each server: its badged cap and its shared buffer's address.
    root_conns: Vec<Option<(sel4::Cap<Endpoint>, Word)>>,
    /// The root's own mappings of those buffers (copies of the frame caps).
    root_maps: Vec<(sel4::Cap<Page>, Word)>,
    /// The description it was started from, and each instance's memory budget (pages) and
    /// priority (the most it may give what it makes), for the root's servers.
    system: System,
    budgets: Vec<u32>,
    priorities: Vec<u8>,
    /// Whether a model went out; how many extractions and cleanups failed.
    extracted: bool,
    failures: usize,
    /// Connections to the root's own servers.
    root_clients: Vec<RootClient>,
    /// The root's memory server: its handles (the generated part) and its state.
    memory_book: Book,
    memory: memory::MemoryState,
    /// The root's PD server: its handles (badges after the memory server's) and its state.
    pd_book: Book,
    pd_state: pds::PdState,
    /// The root's CPU server: its handles (badges after the PD server's) and its state.
    cpu_book: Book,
    cpu_state: cpus::CpuState,
    /// The root's resource-space server: its handles and its state.
    space_book: Book,
    space_state: spaces::SpaceState,
    /// Caps the root minted for its handles.
    handle_caps: caps::HandleCaps,
    /// The size of the last model streamed out, in bytes.
    last_bytes: usize,
    /// The slots the supervisor thread saves callers' reply caps in.
    reply_slots: [Word; events::SAVED_REPLIES],
    /// The notification bound to the main thread, and the supervisor thread's cap to it.
    notification: Option<Object<Notification>>,
    event_signal: Word,
    /// Every model extracted, in order (for the in-system tests to check; its length is
    /// the number of the last snapshot streamed out).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub models: Vec<osmosis::Model>,
}

/// Starts every instance; on failure, stops what was started and says why.
pub fn start(k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, system: &System) -> Result<Running, String> {
    let mut running = Running {
        processes: Vec::new(),
        root_ep: None,
        sup_ep: sup.endpoint(),
        watcher: None,
        callers: Vec::new(),
        calling: 0,
        deferred: VecDeque::new(),
        pending: None,
        endpoints: Vec::new(),
        buffers: Vec::new(),
        keeper: Keeper::new().map_err(|e| alloc::format!("model: {e}"))?,
        pds: Vec::new(),
        serves: Vec::new(),
        root_conns: Vec::new(),
        root_maps: Vec::new(),
        system: system.clone(),
        budgets: system.instances.iter().map(|i| i.memory_pages).collect(),
        priorities: system.instances.iter().map(|i| i.priority).collect(),
        root_clients: Vec::new(),
        memory_book: Book::new(),
        memory: memory::MemoryState::default(),
        pd_book: Book::with_first_badge(
            cellulos::runtime::limits::FIRST_HANDLE_BADGE + cellulos::runtime::server::HANDLES_PER_BOOK,
        ),
        pd_state: pds::PdState::default(),
        cpu_book: Book::with_first_badge(
            cellulos::runtime::limits::FIRST_HANDLE_BADGE + 2 * cellulos::runtime::server::HANDLES_PER_BOOK,
        ),
        cpu_state: cpus::CpuState::default(),
        space_book: Book::with_first_badge(
            cellulos::runtime::limits::FIRST_HANDLE_BADGE + 3 * cellulos::runtime::server::HANDLES_PER_BOOK,
        ),
        space_state: spaces::SpaceState::default(),
        handle_caps: caps::HandleCaps::default(),
        extracted: false,
        failures: 0,
        models: Vec::new(),
        last_bytes: 0,
        reply_slots: [0; events::SAVED_REPLIES],
        notification: None,
        event_signal: 0,
    };
    // Objects of the root's services that end on their own are found by key (settle).
    for book in [&mut running.memory_book, &mut running.pd_book, &mut running.cpu_book, &mut running.space_book] {
        book.index_keys();
    }
    // The root's memory server: physical memory is the space its memory objects live in.
    let (physical, _) = running
        .memory_book
        .add_space::<cellulos::interfaces::memory::spaces::MO>(0, 0)
        .map_err(|e| alloc::format!("memory server: {e}"))?;
    running.memory.physical = physical;
    let spaces = |book: &mut Book| -> Result<_, cellulos::runtime::Status> {
        let (vcpus, _) = book.add_space::<cellulos::interfaces::cpu::spaces::VCPU>(0, 0)?;
        let (pcpus, _) = book.add_space::<cellulos::interfaces::cpu::spaces::PCPU>(0, 0)?;
        Ok((vcpus, pcpus))
    };
    running.cpu_state.spaces = spaces(&mut running.cpu_book).map_err(|e| alloc::format!("cpu server: {e}"))?;
    match start_into(&mut running, k, vs, sup, system) {
        Ok(()) => Ok(running),
        Err(e) => {
            if let Err(stop) = running.stop(k, vs, sup) {
                return Err(alloc::format!("{e}; stopping what had started: {stop}"));
            }
            Err(e)
        }
    }
}

fn start_into(
    running: &mut Running,
    k: &mut Kernel,
    vs: &mut VSpace,
    sup: &mut Supervisor,
    system: &System,
) -> Result<(), String> {
    // The supervisor thread first: a PD that faults at once is reported too.
    let root_ep = k.create::<Endpoint>().map_err(|e| alloc::format!("root endpoint: {e}"))?;
    running.root_ep = Some(root_ep);
    // The supervisor thread's news arrive through a notification bound to this thread.
    let notification = k.create::<Notification>().map_err(|e| alloc::format!("notification: {e}"))?;
    let signal = k.mint(notification.cap, sel4::CapRights::WRITE, events::EVENT_BADGE);
    running.notification = Some(notification);
    let signal = signal.map_err(|e| alloc::format!("notification: {e}"))?;
    running.event_signal = signal.bits();
    if let Some(n) = running.notification.as_ref() {
        k.ipc
            .tcb_bind_notification(sel4::init::TCB, n.cap.cast())
            .map_err(|e| alloc::format!("binding the notification: {e:?}"))?;
    }
    events::reset();
    let arg = sup.endpoint().bits() | signal.bits() << 32;
    let mut replies = [0; events::SAVED_REPLIES];
    for slot in &mut replies {
        *slot = k.slots.alloc().ok_or_else(|| String::from("no slots for the supervisor thread's saved replies"))?;
    }
    events::set_reply_slots(&replies);
    running.reply_slots = replies;
    let watcher = Thread::spawn(k, vs, sup, supervise::watch, arg, supervise::WATCHER_PRIORITY, 4)
        .map_err(|e| alloc::format!("supervisor thread: {e}"))?;
    running.watcher = Some(watcher);
    // The first caller thread, which makes the root's calls to servers (the others come
    // when calls nest).
    running.caller(k, vs, sup, 0).map_err(|e| alloc::format!("caller thread: {e}"))?;
    // Each server's clients in description order: (client, use) -> its index at the server.
    let clients_of = |s: usize| -> Vec<(usize, usize, Word)> {
        let mut out = Vec::new();
        for (ci, inst) in system.instances.iter().enumerate() {
            for (ui, u) in inst.uses.iter().enumerate() {
                if u.server as usize == s {
                    out.push((ci, ui, Word::from(u.badge)));
                }
            }
        }
        out
    };
    for inst in &system.instances {
        let ep = match &inst.provides {
            Some(_) => Some(k.create::<Endpoint>().map_err(|e| alloc::format!("{}: {e}", inst.name))?),
            None => None,
        };
        running.endpoints.push(ep);
    }
    for (i, inst) in system.instances.iter().enumerate() {
        let image = image(&inst.program)
            .ok_or_else(|| alloc::format!("{}: program `{}` is not embedded", inst.name, inst.program))?;
        let mut uses = Vec::new();
        for u in &inst.uses {
            let ep = if u.server == ROOT_SERVER {
                // The root serves this one itself, on its own endpoint.
                if RootService::of(u.interface_id).is_none() {
                    return Err(alloc::format!(
                        "{}: the root does not serve `{}` (this version)",
                        inst.name,
                        u.interface
                    ));
                }
                running.root_ep.as_ref()
            } else {
                running.endpoints.get(u.server as usize).and_then(|e| e.as_ref())
            };
            let ep = ep.ok_or_else(|| alloc::format!("{}: connection `{}` names no server", inst.name, u.name))?;
            uses.push(Uses {
                name: &u.name,
                interface_id: u.interface_id,
                endpoint: ep.cap,
                badge: Word::from(u.badge),
                slot: Word::from(u.slot),
            });
        }
        let provides = match (&inst.provides, &running.endpoints[i]) {
            (Some(p), Some(ep)) => Some((ep.cap, p.interface_id, Word::from(p.root_badge))),
            _ => None,
        };
        // The root is the last client of every server.
        let mut clients: Vec<Word> = clients_of(i).iter().map(|(_, _, b)| *b).collect();
        clients.extend(inst.provides.as_ref().map(|p| Word::from(p.root_badge)));
        let spec = Spec {
            name: &inst.name,
            image,
            priority: inst.priority,
            stack_pages: inst.stack_pages as usize,
            heap_pages: 0,
            provides,
            server_id: if inst.provides.is_some() { i as Word + 1 } else { 0 },
            uses: &uses,
            clients: &clients,
            start: true,
        };
        let mut p = Process::spawn(k, vs, sup, &spec).map_err(|e| alloc::format!("{}: {e}", inst.name))?;
        let modelled = model_process(running, &p, inst);
        let shared = modelled.and_then(|()| share_buffers(running, k, vs, &mut p, i, inst, &clients_of));
        let connected = shared.and_then(|()| match &inst.provides {
            Some(provided) => connect_root(running, k, vs, &mut p, i, clients.len() - 1, provided.root_badge),
            None => Ok(()),
        });
        if let Err(e) = connected {
            let _ = p.delete(k);
            return Err(e);
        }
        println!(
            "cellulos root: started {} ({}, priority {}{})",
            inst.name,
            inst.program,
            inst.priority,
            inst.provides.as_ref().map(|p| alloc::format!(", serves {}", p.interface)).unwrap_or_default()
        );
        running.processes.push((inst.name.clone(), Some(p), inst.provides.is_some()));
    }
    // Every client's calls to every component server, for the supervisor thread to release
    // when that server ends.
    for (c, inst) in system.instances.iter().enumerate() {
        let Some((_, Some(client), _)) = running.processes.get(c) else { continue };
        let mut servers: Vec<u32> = inst.uses.iter().map(|u| u.server).filter(|s| *s != ROOT_SERVER).collect();
        servers.sort_unstable();
        servers.dedup();
        for s in servers {
            let Some((_, Some(server), _)) = running.processes.get(s as usize) else { continue };
            let slots: Vec<Word> = running.uses_to(c, s as usize).map(|u| Word::from(u.slot)).collect();
            if !events::watch_calls(client.tcb_slot(), server.badge, &slots) {
                return Err(alloc::format!("{}: too many connections for the supervisor thread to watch", inst.name));
            }
        }
    }
    Ok(())
}

/// A new process in the model: its PD named `name` and its regions.
fn model_regions(keeper: &mut Keeper, name: &str, p: &Process) -> Result<PdId, cellulos_keeper::KeeperError> {
    let pd = keeper.add_pd(name)?;
    for r in &p.regions {
        let perms = if r.write { Perms::READ | Perms::WRITE } else { Perms::READ | Perms::EXECUTE };
        let region = Region { va: r.va, pages: r.pages, kind: r.kind, perms };
        keeper.add_region(pd, &region, r.paddr)?;
    }
    Ok(pd)
}

/// Adds a new process to the model: its PD and its regions; a server's id and root badge.
fn model_process(running: &mut Running, p: &Process, inst: &cellulos_system::Instance) -> Result<(), String> {
    let fail = |e: cellulos_keeper::KeeperError| alloc::format!("{}: model: {e}", inst.name);
    let pd = model_regions(&mut running.keeper, &inst.name, p).map_err(fail)?;
    if let Some(provided) = &inst.provides {
        let server_id = running.pds.len() as u32 + 1;
        running.keeper.set_server(pd, server_id, provided.root_badge).map_err(fail)?;
    }
    running.pds.push(pd);
    running.serves.push(inst.provides.as_ref().map(|p| p.serves.clone()).unwrap_or_default());
    Ok(())
}

/// Fresh frames for one shared buffer, kept by `running`, and the MO that models them.
fn new_buffer(
    running: &mut Running,
    k: &mut Kernel,
    name: &str,
) -> Result<(Vec<sel4::Cap<Page>>, cellulos_keeper::MoId), String> {
    let mut frames = Vec::new();
    let mut paddr = 0;
    for n in 0..SHARED_PAGES {
        let f = k.create::<Page>().map_err(|e| alloc::format!("{name}: {e}"))?;
        if n == 0 {
            paddr = k.paddr(&f);
        }
        frames.push(f.cap);
        running.buffers.push(f);
    }
    let mo = running.keeper.add_shared_mo(SHARED_PAGES, paddr).map_err(|e| alloc::format!("{name}: model: {e}"))?;
    Ok((frames, mo))
}

/// Maps copies of `frames` at `va` in the root (kept in `root_maps` until [`Running::stop`]).
fn map_in_root(
    running: &mut Running,
    k: &mut Kernel,
    vs: &mut VSpace,
    frames: &[sel4::Cap<Page>],
    va: Word,
) -> Result<(), KernelError> {
    for (n, frame) in frames.iter().enumerate() {
        let copy = k.mint(*frame, CapRights::READ_WRITE, 0)?;
        let at = va + n as Word * 4096;
        if let Err(e) = vs.map(k, copy, at, CapRights::READ_WRITE) {
            k.delete_cap(copy.bits())?;
            return Err(e);
        }
        running.root_maps.push((copy, at));
    }
    Ok(())
}

/// A shared buffer region of `pages` at `va`, as the model shows it.
fn buffer_region(va: Word) -> Region {
    Region { va, pages: SHARED_PAGES, kind: "SHARED_FRAMES", perms: Perms::READ | Perms::WRITE }
}

/// The root's own connection to server `i` (its client `at`): a cap badged `root_badge`
/// and a shared buffer mapped in both, for `export_model`.
fn connect_root(
    running: &mut Running,
    k: &mut Kernel,
    vs: &mut VSpace,
    p: &mut Process,
    i: usize,
    at: usize,
    root_badge: u32,
) -> Result<(), String> {
    let name = "root connection";
    let (frames, mo) = new_buffer(running, k, name)?;
    let fail = |e: KernelError| alloc::format!("{name}: {e}");
    let server_va = CLIENTS_SHARED_VA + at as Word * SHARED_STRIDE;
    p.map_shared(k, &frames, server_va).map_err(fail)?;
    let pd = running.pds[i];
    running.keeper.share_region(pd, &buffer_region(server_va), mo).map_err(|e| alloc::format!("{name}: model: {e}"))?;
    let root_va = ROOT_SHARED_VA + i as Word * SHARED_STRIDE;
    map_in_root(running, k, vs, &frames, root_va).map_err(fail)?;
    let ep = running.endpoints.get(i).and_then(|e| e.as_ref()).map(|e| e.cap).ok_or_else(|| String::from(name))?;
    let cap = k.mint(ep, CapRights::WRITE_GRANT, Word::from(root_badge)).map_err(fail)?;
    running.root_conns.resize(i + 1, None);
    running.root_conns[i] = Some((cap, root_va));
    Ok(())
}

/// Each connection of client `i`'s: fresh frames, a copy mapped at each end; in the model,
/// one MO mapped by both, and the client's REQUEST edges to the server.
fn share_buffers(
    running: &mut Running,
    k: &mut Kernel,
    vs: &mut VSpace,
    p: &mut Process,
    i: usize,
    inst: &cellulos_system::Instance,
    clients_of: &dyn Fn(usize) -> Vec<(usize, usize, Word)>,
) -> Result<(), String> {
    for (ui, u) in inst.uses.iter().enumerate() {
        let (frames, mo) = new_buffer(running, k, &inst.name)?;
        let server_at = clients_of(u.server as usize).iter().position(|(c, x, _)| *c == i && *x == ui).unwrap_or(0);
        let fail = |e: KernelError| alloc::format!("{}: shared buffer: {e}", inst.name);
        let client_va = USES_SHARED_VA + ui as Word * SHARED_STRIDE;
        p.map_shared(k, &frames, client_va).map_err(fail)?;
        let model = |e: cellulos_keeper::KeeperError| alloc::format!("{}: model: {e}", inst.name);
        if u.server == ROOT_SERVER {
            // A connection to the root: its other end is mapped in the root.
            let root_va = ROOT_CLIENTS_VA + running.root_clients.len() as Word * SHARED_STRIDE;
            map_in_root(running, k, vs, &frames, root_va).map_err(fail)?;
            let service =
                RootService::of(u.interface_id).ok_or_else(|| alloc::format!("{}: not a root service", u.name))?;
            running.root_clients.push(RootClient { badge: u.badge, instance: i, va: root_va, service });
            let client = running.pds[i];
            running.keeper.share_region(client, &buffer_region(client_va), mo).map_err(model)?;
            let types: Vec<&str> = service.requests().to_vec();
            running.keeper.connect(client, cellulos_keeper::ROOT, u.badge, &types).map_err(model)?;
            continue;
        }
        let server = running
            .processes
            .get_mut(u.server as usize)
            .and_then(|(_, p, _)| p.as_mut())
            .ok_or_else(|| alloc::format!("{}: its server is not running", inst.name))?;
        let server_va = CLIENTS_SHARED_VA + server_at as Word * SHARED_STRIDE;
        server.map_shared(k, &frames, server_va).map_err(fail)?;
        let (client, server) = (running.pds[i], running.pds[u.server as usize]);
        running.keeper.share_region(client, &buffer_region(client_va), mo).map_err(model)?;
        running.keeper.share_region(server, &buffer_region(server_va), mo).map_err(model)?;
        let types: Vec<&str> = running.serves[u.server as usize].iter().map(|(r, _)| r.as_str()).collect();
        running.keeper.connect(client, server, u.badge, &types).map_err(model)?;
    }
    Ok(())
}

impl Running {
    /// Instance `c`'s connections to instance `s` (the composition's).
    fn uses_to(&self, c: usize, s: usize) -> impl Iterator<Item = &cellulos_system::Used> + '_ {
        let uses = self.system.instances.get(c).map(|i| i.uses.as_slice()).unwrap_or_default();
        uses.iter().filter(move |u| u.server as usize == s)
    }

    /// The places the PD server has for PDs (keys are used again: the most it knew at once).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn pd_places(&self) -> usize {
        self.pd_state.places()
    }

    /// The places the memory server has for address spaces, regions and memory objects.
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn memory_places(&self) -> usize {
        self.memory.places()
    }

    /// How many caps the root keeps for handles that ended (each should have been revoked
    /// when its handle ended).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn stale_handle_caps(&self) -> usize {
        let books = [&self.memory_book, &self.pd_book, &self.cpu_book, &self.space_book];
        let live: BTreeSet<Badge> = books.iter().flat_map(|b| b.handles().map(|(badge, ..)| badge)).collect();
        self.handle_caps.badges().filter(|b| !live.contains(b)).count()
    }

    /// How many extractions and cleanups failed (a cleanup that left the model unlike its
    /// plan, or could not be planned).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn failures(&self) -> usize {
        self.failures
    }

    /// Deletes every process still running, the supervisor thread and every endpoint.
    pub fn stop(mut self, k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor) -> Result<(), KernelError> {
        if let Some(w) = self.watcher.take() {
            w.delete(k, vs, sup)?;
        }
        for (thread, jobs) in core::mem::take(&mut self.callers) {
            thread.delete(k, vs, sup)?;
            k.destroy(jobs)?;
        }
        if let Some(ep) = self.root_ep.take() {
            k.destroy(ep)?;
        }
        if let Some(n) = self.notification.take() {
            k.ipc
                .tcb_unbind_notification(sel4::init::TCB)
                .map_err(|e| KernelError::Sel4("tcb_unbind_notification", e))?;
            if self.event_signal != 0 {
                k.delete_cap(core::mem::take(&mut self.event_signal))?;
            }
            k.destroy(n)?;
        }
        for slot in core::mem::take(&mut self.reply_slots) {
            if slot != 0 {
                k.delete_cap(slot)?;
            }
        }
        for key in self.cpu_state.all() {
            cpus::destroy(k, &mut self.processes, &mut self.keeper, &mut self.cpu_state, key)?;
        }
        for key in self.pd_state.all() {
            pds::end(k, &mut self.processes, &mut self.keeper, &mut self.pd_state, key)?;
        }
        for i in 0..self.processes.len() {
            self.release_root_holds(k, vs, i)?;
        }
        for slot in self.handle_caps.drain() {
            k.delete_cap(slot)?;
        }
        for (_, p, _) in &mut self.processes {
            if let Some(p) = p.take() {
                p.delete(k)?;
            }
        }
        for (copy, va) in core::mem::take(&mut self.root_maps) {
            vs.unmap(k, copy, va)?;
            k.delete_cap(copy.bits())?;
        }
        for (cap, _) in self.root_conns.iter().flatten() {
            k.delete_cap(cap.bits())?;
        }
        for ep in self.endpoints.into_iter().flatten() {
            k.destroy(ep)?;
        }
        for frame in self.buffers {
            k.destroy(frame)?;
        }
        Ok(())
    }
}
