//! Starting the composed system: every instance as a process (servers first), each server
//! with an endpoint of its own, each client with a badged cap per connection; then the root
//! supervises: it reports each exit and fault, and ends the run when every client is done.
//!
//! Two root threads: a supervisor thread waits on the supervisor endpoint (every PD's fault
//! endpoint) and passes each exit or fault on by calling the root's endpoint; the main
//! thread serves that endpoint and owns every kernel object, so it never calls anything that
//! may be calling it (DESIGN.md section 4). Issue 6's PD server serves on the same endpoint.
//!
//! The root keeps its part of the live model ([`cellulos_keeper`]) as it starts and deletes
//! processes. When a client asks (through its supervisor cap), or else once every client is
//! done, it asks each server for its part (`export_model`, through a connection of its own
//! to each server), merges, and streams the model out on COM2 ([`crate::com2`]).

use alloc::string::String;
use alloc::vec::Vec;

use cellulos_keeper::{Keeper, PdId, Region, ServerPart};
use cellulos_runtime::{Book, Message};
use cellulos_system::{System, VERSION};
use osmosis::Perms;
use sel4::{CapRights, Endpoint, MessageInfo, Page, Word};
use sel4_rt::println;
use sel4_rt::start::{CLIENTS_SHARED_VA, EXTRACT_LABEL, SHARED_PAGES, SHARED_STRIDE, USES_SHARED_VA};

use crate::kernel::{Kernel, KernelError, Object};
use crate::process::{Process, Spec, Uses};
use crate::thread::{ended, Ended, Supervisor, Thread};
use crate::vspace::VSpace;

/// Where the root maps its shared buffer with server `i`: `ROOT_SHARED_VA + i * SHARED_STRIDE`
/// (PML4 entry 3, apart from thread windows and the scratch page).
const ROOT_SHARED_VA: Word = 0x180_0000_0000;
const SHARED_BYTES: usize = SHARED_PAGES as usize * 4096;

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
    /// The supervisor thread.
    watcher: Option<Thread>,
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
    /// Whether a model went out; how many extractions failed.
    extracted: bool,
    extraction_failures: usize,
    /// The last model extracted (for the in-system tests to check).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub last_model: Option<osmosis::Model>,
}

/// Starts every instance; on failure, stops what was started and says why.
pub fn start(k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, system: &System) -> Result<Running, String> {
    let mut running = Running {
        processes: Vec::new(),
        root_ep: None,
        watcher: None,
        endpoints: Vec::new(),
        buffers: Vec::new(),
        keeper: Keeper::new().map_err(|e| alloc::format!("model: {e}"))?,
        pds: Vec::new(),
        serves: Vec::new(),
        root_conns: Vec::new(),
        root_maps: Vec::new(),
        extracted: false,
        extraction_failures: 0,
        last_model: None,
    };
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
    let arg = sup.endpoint().bits() | root_ep.cap.bits() << 32;
    running.root_ep = Some(root_ep);
    let watcher =
        Thread::spawn(k, vs, sup, watch, arg, 255, 4).map_err(|e| alloc::format!("supervisor thread: {e}"))?;
    running.watcher = Some(watcher);
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
            let ep = running
                .endpoints
                .get(u.server as usize)
                .and_then(|e| e.as_ref())
                .ok_or_else(|| alloc::format!("{}: connection `{}` names no server", inst.name, u.name))?;
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
            provides,
            server_id: if inst.provides.is_some() { i as Word + 1 } else { 0 },
            uses: &uses,
            clients: &clients,
        };
        let mut p = Process::spawn(k, vs, sup, &spec).map_err(|e| alloc::format!("{}: {e}", inst.name))?;
        let modelled = model_process(running, &p, inst);
        let shared = modelled.and_then(|()| share_buffers(running, k, &mut p, i, inst, &clients_of));
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
    Ok(())
}

/// Adds a new process to the model: its PD and its regions; a server's id and root badge.
fn model_process(running: &mut Running, p: &Process, inst: &cellulos_system::Instance) -> Result<(), String> {
    let fail = |e: cellulos_keeper::KeeperError| alloc::format!("{}: model: {e}", inst.name);
    let pd = running.keeper.add_pd(&inst.name).map_err(fail)?;
    for r in &p.regions {
        let perms = if r.write { Perms::READ | Perms::WRITE } else { Perms::READ | Perms::EXECUTE };
        let region = Region { va: r.va, pages: r.pages, kind: r.kind, perms };
        running.keeper.add_region(pd, &region, r.paddr).map_err(fail)?;
    }
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
    for _ in 0..SHARED_PAGES {
        let f = k.create::<Page>().map_err(|e| alloc::format!("{name}: {e}"))?;
        frames.push(f.cap);
        running.buffers.push(f);
    }
    let paddr = frames.first().and_then(|f| k.ipc.page_get_address(*f).ok()).unwrap_or(0);
    let mo = running.keeper.add_shared_mo(SHARED_PAGES, paddr).map_err(|e| alloc::format!("{name}: model: {e}"))?;
    Ok((frames, mo))
}

/// A shared buffer region of `pages` at `va`, as the model shows it.
fn buffer_region(va: Word) -> Region<'static> {
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
    for (n, frame) in frames.iter().enumerate() {
        let copy = k.mint(*frame, CapRights::READ_WRITE, 0).map_err(fail)?;
        let va = root_va + n as Word * 4096;
        if let Err(e) = vs.map(k, copy, va, CapRights::READ_WRITE) {
            k.delete_cap(copy.bits()).map_err(fail)?;
            return Err(fail(e));
        }
        running.root_maps.push((copy, va));
    }
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
        let server = running
            .processes
            .get_mut(u.server as usize)
            .and_then(|(_, p, _)| p.as_mut())
            .ok_or_else(|| alloc::format!("{}: its server is not running", inst.name))?;
        let server_va = CLIENTS_SHARED_VA + server_at as Word * SHARED_STRIDE;
        server.map_shared(k, &frames, server_va).map_err(fail)?;
        let model = |e: cellulos_keeper::KeeperError| alloc::format!("{}: model: {e}", inst.name);
        let (client, server) = (running.pds[i], running.pds[u.server as usize]);
        running.keeper.share_region(client, &buffer_region(client_va), mo).map_err(model)?;
        running.keeper.share_region(server, &buffer_region(server_va), mo).map_err(model)?;
        let types: Vec<&str> = running.serves[u.server as usize].iter().map(|(r, _)| r.as_str()).collect();
        running.keeper.connect(client, server, u.badge, &types).map_err(model)?;
    }
    Ok(())
}

/// The label of "a PD ended" on the root's endpoint.
const ENDED: Word = 1;
/// The label of "a PD asks for an extraction" on the root's endpoint.
const EXTRACT: Word = 2;

/// The supervisor thread: each exit or fault on the supervisor endpoint goes to the main
/// thread as a call to the root's endpoint (`arg`: supervisor endpoint | root endpoint << 32);
/// a request to extract the model too, answered when the main thread answers.
extern "C" fn watch(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (sup_ep, root_ep) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        let r = sel4::syscall::recv(sup_ep);
        if r.info.label() == EXTRACT_LABEL {
            // Calling does not touch this thread's reply cap: the requester gets the answer.
            let (info, _) = ipc.call(root_ep, MessageInfo::new(EXTRACT, 0, 0, 1), &[r.badge]);
            sel4::syscall::reply(MessageInfo::new(info.label(), 0, 0, 0), [0; 4]);
            continue;
        }
        let w = ended(&r, ipc).to_words();
        ipc.call(root_ep, MessageInfo::new(ENDED, 0, 0, 6), &[r.badge, w[0], w[1], w[2], w[3], w[4]]);
    }
}

/// What the supervisor thread passes on.
enum Event {
    /// A PD ended (its badge, how); already answered.
    Ended(Word, Ended),
    /// A PD (its badge) asks for an extraction; answer with [`answer`].
    Extract(Word),
}

/// Answers the pending [`Event::Extract`] with `status` (0: done).
fn answer(status: Word) {
    sel4::syscall::reply(MessageInfo::new(status, 0, 0, 0), [0; 4]);
}

impl Running {
    /// The next event the supervisor thread reports.
    fn next_event(&self, k: &mut Kernel) -> Event {
        let ep = self.root_ep.as_ref().map_or(0, |e| e.cap.bits());
        loop {
            let r = sel4::syscall::recv(ep);
            let word = |i: usize| k.ipc.reply_word(&r.mrs, i);
            let (label, len) = (r.info.label(), r.info.length());
            if label == EXTRACT && len == 1 {
                return Event::Extract(word(0));
            }
            let words = [word(0), word(1), word(2), word(3), word(4), word(5)];
            sel4::syscall::reply(MessageInfo::new(0, 0, 0, 0), [0; 4]);
            if label == ENDED && len == 6 {
                return Event::Ended(words[0], Ended::from_words([words[1], words[2], words[3], words[4], words[5]]));
            }
        }
    }

    /// Waits until every client has ended; returns how many ended badly (a fault, a non-zero
    /// exit, or a server that ended while serving), and extractions that failed.
    #[cfg_attr(feature = "tests", allow(dead_code))]
    pub fn supervise(&mut self, k: &mut Kernel) -> Result<usize, KernelError> {
        let ends = self.supervise_ends(k)?;
        let bad = ends.iter().filter(|(_, end, server)| *server || *end != Ended::Exited(0)).count();
        Ok(bad + self.extraction_failures)
    }

    /// Waits until every client has ended, extracting the model when a client asks (and
    /// once at the end if none did); returns how each instance that ended did, in order:
    /// (name, how, whether it was a server).
    pub fn supervise_ends(&mut self, k: &mut Kernel) -> Result<Vec<(String, Ended, bool)>, KernelError> {
        let mut ends = Vec::new();
        while self.processes.iter().any(|(_, p, server)| p.is_some() && !server) {
            let (badge, ended) = match self.next_event(k) {
                Event::Ended(badge, ended) => (badge, ended),
                Event::Extract(badge) => {
                    let who = self.processes.iter().find(|(_, p, _)| p.as_ref().is_some_and(|p| p.badge == badge));
                    // A server waiting here could not answer for its own part.
                    let status = match who {
                        Some((_, _, false)) => self.extract_and_send(k),
                        _ => 1,
                    };
                    answer(status);
                    continue;
                }
            };
            let Some(index) = self.processes.iter().position(|(_, p, _)| p.as_ref().is_some_and(|p| p.badge == badge))
            else {
                println!("cellulos root: a message from unknown badge {badge}: {ended:?}");
                continue;
            };
            let entry = &mut self.processes[index];
            match ended {
                Ended::Exited(0) if !entry.2 => println!("cellulos root: {} exited", entry.0),
                Ended::Exited(code) => println!("cellulos root: {} exited with code {code:#x}", entry.0),
                Ended::Faulted(f) => println!("cellulos root: {} faulted: {f}", entry.0),
            }
            ends.push((entry.0.clone(), ended, entry.2));
            if let Some(p) = entry.1.take() {
                p.delete(k)?;
            }
            if let Err(e) = self.keeper.remove_pd(self.pds[index]) {
                println!("cellulos root: model: {e}");
            }
        }
        if !self.extracted {
            self.extract_and_send(k);
        }
        Ok(ends)
    }

    /// Extracts the model and streams it out; the status to answer a requester with.
    fn extract_and_send(&mut self, k: &mut Kernel) -> Word {
        let sent = self.extract(k).and_then(|model| {
            let bytes = osmosis::wire::to_bytes(&model);
            crate::com2::send(cellulos_system::frame::KIND_MODEL, &bytes).map_err(String::from)?;
            Ok((model, bytes.len()))
        });
        match sent {
            Ok((model, bytes)) => {
                let (nodes, edges) = (model.node_count(), model.edge_count());
                println!("cellulos root: model extracted: {nodes} nodes, {edges} edges ({bytes} bytes on COM2)");
                self.extracted = true;
                self.last_model = Some(model);
                0
            }
            Err(e) => {
                println!("cellulos root: model extraction failed: {e}");
                self.extraction_failures += 1;
                2
            }
        }
    }

    /// The whole model: the root's part, and each live server's part as its
    /// `export_model` answers through the root's connection.
    pub fn extract(&self, k: &mut Kernel) -> Result<osmosis::Model, String> {
        let mut books: Vec<(usize, Book)> = Vec::new();
        for (i, conn) in self.root_conns.iter().enumerate() {
            let (Some((cap, va)), Some((name, Some(_), true))) = (conn, self.processes.get(i)) else { continue };
            let label = cellulos_runtime::limits::EXPORT_MODEL as Word;
            let (info, mrs) = k.ipc.call(cap.bits(), MessageInfo::new(label, 0, 0, 0), &[]);
            let mut msg = Message::new(info.label() as u32);
            msg.len = info.length().min(msg.words.len());
            for (n, w) in msg.words.iter_mut().enumerate().take(msg.len) {
                *w = k.ipc.reply_word(&mrs, n);
            }
            if msg.code() != 0 {
                return Err(alloc::format!("{name}: export_model answered status {}", msg.code()));
            }
            // SAFETY: the root mapped SHARED_BYTES of this connection's frames read-write at
            // `va` for as long as `running` lives; the server wrote its answer before
            // replying and is now waiting for its next call, so nothing writes meanwhile.
            let shared = unsafe { core::slice::from_raw_parts(*va as *const u8, SHARED_BYTES) };
            let book: Book = msg.decode(shared).map_err(|e| alloc::format!("{name}: its model: {e}"))?;
            books.push((i, book));
        }
        let types: Vec<Vec<(&str, &str)>> = books
            .iter()
            .map(|(i, _)| self.serves[*i].iter().map(|(r, s)| (r.as_str(), s.as_str())).collect())
            .collect();
        let parts: Vec<ServerPart<'_>> =
            books.iter().zip(&types).map(|((i, book), types)| ServerPart { pd: self.pds[*i], book, types }).collect();
        self.keeper.extract(&parts).map_err(|e| alloc::format!("merging the model: {e}"))
    }

    /// Deletes every process still running, the supervisor thread and every endpoint.
    pub fn stop(mut self, k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor) -> Result<(), KernelError> {
        if let Some(w) = self.watcher.take() {
            w.delete(k, vs, sup)?;
        }
        if let Some(ep) = self.root_ep.take() {
            k.destroy(ep)?;
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
