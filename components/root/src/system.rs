//! Starting the composed system: every instance as a process (servers first), each server
//! with an endpoint of its own, each client with a badged cap per connection; then the root
//! supervises: it reports each exit and fault, and ends the run when every client is done.
//!
//! Two root threads: a supervisor thread waits on the supervisor endpoint (every PD's fault
//! endpoint) and passes each exit or fault on by calling the root's endpoint; the main
//! thread serves that endpoint and owns every kernel object, so it never calls anything that
//! may be calling it (DESIGN.md section 4). Issue 6's PD server serves on the same endpoint.

use alloc::string::String;
use alloc::vec::Vec;

use cellulos_system::{System, VERSION};
use sel4::{Endpoint, Page, Word};
use sel4_rt::println;
use sel4_rt::start::{CLIENTS_SHARED_VA, SHARED_PAGES, SHARED_STRIDE, USES_SHARED_VA};

use crate::kernel::{Kernel, KernelError, Object};
use crate::process::{Process, Spec, Uses};
use crate::thread::{receive_ended, Ended, Supervisor, Thread};
use crate::vspace::VSpace;

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
}

/// Starts every instance; on failure, stops what was started and says why.
pub fn start(k: &mut Kernel, vs: &mut VSpace, sup: &mut Supervisor, system: &System) -> Result<Running, String> {
    let mut running =
        Running { processes: Vec::new(), root_ep: None, watcher: None, endpoints: Vec::new(), buffers: Vec::new() };
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
        let clients: Vec<Word> = clients_of(i).iter().map(|(_, _, b)| *b).collect();
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
        if let Err(e) = share_buffers(running, k, &mut p, i, inst, &clients_of) {
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

/// Each connection of client `i`'s: fresh frames, a copy mapped at each end.
fn share_buffers(
    running: &mut Running,
    k: &mut Kernel,
    p: &mut Process,
    i: usize,
    inst: &cellulos_system::Instance,
    clients_of: &dyn Fn(usize) -> Vec<(usize, usize, Word)>,
) -> Result<(), String> {
    for (ui, u) in inst.uses.iter().enumerate() {
        let mut frames = Vec::new();
        for _ in 0..SHARED_PAGES {
            let f = k.create::<Page>().map_err(|e| alloc::format!("{}: {e}", inst.name))?;
            frames.push(f.cap);
            running.buffers.push(f);
        }
        let server_at = clients_of(u.server as usize).iter().position(|(c, x, _)| *c == i && *x == ui).unwrap_or(0);
        let fail = |e: KernelError| alloc::format!("{}: shared buffer: {e}", inst.name);
        p.map_shared(k, &frames, USES_SHARED_VA + ui as Word * SHARED_STRIDE).map_err(fail)?;
        let server = running
            .processes
            .get_mut(u.server as usize)
            .and_then(|(_, p, _)| p.as_mut())
            .ok_or_else(|| alloc::format!("{}: its server is not running", inst.name))?;
        server.map_shared(k, &frames, CLIENTS_SHARED_VA + server_at as Word * SHARED_STRIDE).map_err(fail)?;
    }
    Ok(())
}

/// The label of "a PD ended" on the root's endpoint.
const ENDED: Word = 1;

/// The supervisor thread: each exit or fault on the supervisor endpoint goes to the main
/// thread as a call to the root's endpoint (`arg`: supervisor endpoint | root endpoint << 32).
extern "C" fn watch(arg: Word, ipc: &'static mut sel4::IpcBuffer, _sup: sel4::Cap<Endpoint>) -> ! {
    let (sup_ep, root_ep) = (arg & 0xffff_ffff, arg >> 32);
    loop {
        let (badge, ended) = receive_ended(sup_ep, ipc);
        let w = ended.to_words();
        ipc.call(root_ep, sel4::MessageInfo::new(ENDED, 0, 0, 6), &[badge, w[0], w[1], w[2], w[3], w[4]]);
    }
}

impl Running {
    /// The next PD that ended, as the supervisor thread reports it: (badge, how).
    fn next_ended(&self, k: &mut Kernel) -> (Word, Ended) {
        let ep = self.root_ep.as_ref().map_or(0, |e| e.cap.bits());
        loop {
            let r = sel4::syscall::recv(ep);
            let word = |i: usize| k.ipc.reply_word(&r.mrs, i);
            let (label, len) = (r.info.label(), r.info.length());
            let words = [word(0), word(1), word(2), word(3), word(4), word(5)];
            sel4::syscall::reply(sel4::MessageInfo::new(0, 0, 0, 0), [0; 4]);
            if label == ENDED && len == 6 {
                return (words[0], Ended::from_words([words[1], words[2], words[3], words[4], words[5]]));
            }
        }
    }

    /// Waits until every client has ended; returns how many ended badly (a fault, a non-zero
    /// exit, or a server that ended while serving).
    #[cfg_attr(feature = "tests", allow(dead_code))]
    pub fn supervise(&mut self, k: &mut Kernel) -> Result<usize, KernelError> {
        let ends = self.supervise_ends(k)?;
        Ok(ends.iter().filter(|(_, end, server)| *server || *end != Ended::Exited(0)).count())
    }

    /// Waits until every client has ended; returns how each instance that ended did, in
    /// order: (name, how, whether it was a server).
    pub fn supervise_ends(&mut self, k: &mut Kernel) -> Result<Vec<(String, Ended, bool)>, KernelError> {
        let mut ends = Vec::new();
        while self.processes.iter().any(|(_, p, server)| p.is_some() && !server) {
            let (badge, ended) = self.next_ended(k);
            let Some(entry) = self.processes.iter_mut().find(|(_, p, _)| p.as_ref().is_some_and(|p| p.badge == badge))
            else {
                println!("cellulos root: a message from unknown badge {badge}: {ended:?}");
                continue;
            };
            match ended {
                Ended::Exited(0) if !entry.2 => println!("cellulos root: {} exited", entry.0),
                Ended::Exited(code) => println!("cellulos root: {} exited with code {code:#x}", entry.0),
                Ended::Faulted(f) => println!("cellulos root: {} faulted: {f}", entry.0),
            }
            ends.push((entry.0.clone(), ended, entry.2));
            if let Some(p) = entry.1.take() {
                p.delete(k)?;
            }
        }
        Ok(ends)
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
        for ep in self.endpoints.into_iter().flatten() {
            k.destroy(ep)?;
        }
        for frame in self.buffers {
            k.destroy(frame)?;
        }
        Ok(())
    }
}
