//! The root's `pd` server (idl/pd.idl): the generic PD API. A component makes PDs at run
//! time: a **process** (a new address space from an embedded component image) or a
//! **thread** (a new CPU in the address space of a PD it holds: itself or a process it
//! made), starts them, gives them resource-directory entries (REQUEST edges), asks how
//! they are, and terminates them. The generated service checks the handles; this is the
//! logic, and it keeps the root's part of the model in step (a thread holds its process's
//! address space and regions, so the two reach the same memory).
//!
//! `share_region` gives a process the caller made one of the caller's attached regions, at
//! the same address: the same memory (`Shared`: both map one memory object) or a copy of it
//! (`Copied`: a new memory object, counted against the caller's budget).
//!
//! `share_directory` copies the caller's REQUEST edges to a PD it made; `link` ties two PDs
//! it made so that when one ends the other is terminated; `dump_model` extracts the whole
//! model now (as `Component::extract_model` does) and answers its size.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use cellulos::interfaces::pd::{
    resources::VMR, ModelSummary, PdError, PdInfo, PdServer, ProcessConfig, Sharing, ThreadConfig,
};
use cellulos::runtime::heapless::String as HString;
use cellulos::runtime::server::{Foreign, Held, New, Pd};
use cellulos::runtime::{Badge, Book, Cap};
use cellulos_keeper::{Keeper, MoId, PdId, Region};
use osmosis::Perms;
use sel4::{CapRights, Page, Word};

use super::memory::{kind_name, Frame, MemoryState};
use super::pages::{within_budget, Pages};
use super::serve::{RootClient, RootService};
use super::table::Table;
use crate::kernel::{Kernel, KernelError, Object};
use crate::process::{Process, ProcessError, Spec, Thread, MAX_HEAP_PAGES};
use crate::thread::Supervisor;
use crate::vspace::VSpace;

/// Where threads' IPC buffers and stacks go in the address space they run in: a window per
/// live thread (far from the image, the stack and the memory server's window), the lowest
/// free one, so that a thread made after another ended reuses its page tables.
const THREAD_WINDOWS: Word = 0x3_0000_0000;
const THREAD_WINDOW: Word = 0x100_0000;
/// Threads one address space may have at once (4 GiB of windows).
const MAX_THREADS: Word = 256;
/// The most stack pages a thread may ask for.
const MAX_THREAD_STACK: u32 = 64;

/// What a PD made at run time runs as.
pub enum Runnable {
    /// A process of its own.
    Process(Process),
    /// A thread in the address space of `parent`.
    Thread { parent: Parent, thread: Thread },
}

/// Whose address space a thread runs in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Parent {
    /// A component of the composition (its instance).
    Instance(usize),
    /// A process made at run time (its entry).
    Made(usize),
}

/// A PD the server knows.
pub struct Entry {
    name: String,
    /// The instance that made it (or whose own PD it is).
    holder: usize,
    /// A component's own PD (its instance).
    own: Option<usize>,
    runnable: Option<Runnable>,
    /// Its PD in the root's model, once configured.
    model: Option<PdId>,
    started: bool,
    faulted: bool,
    /// Regions given to it (a process) by `share_region`.
    shared: Vec<Given>,
}

/// A region `share_region` mapped into a process: the frame-cap copies mapped, and for a
/// copy its own frames and memory object.
struct Given {
    /// The memory object shared (the caller's).
    source: MoId,
    mapped: Vec<(sel4::Cap<Page>, Word)>,
    copy: Option<(Vec<Object<Page>>, MoId)>,
}

impl Given {
    /// Pages of its copy (0: shared).
    fn copied(&self) -> u64 {
        self.copy.as_ref().map_or(0, |(frames, _)| frames.len() as u64)
    }
}

/// The server's state (the root keeps it between calls).
#[derive(Default)]
pub struct PdState {
    entries: Table<Entry>,
    /// PDs that end together.
    links: Vec<(usize, usize)>,
    /// The thread windows in use in each address space that has threads, a bit each.
    windows: BTreeMap<Parent, [u64; WINDOW_WORDS]>,
    /// Pages of the copies `share_region` made, by the instance that asked (counted
    /// against its budget).
    copied: Pages,
}

const WINDOW_WORDS: usize = MAX_THREADS as usize / 64;

/// What a call may touch, borrowed from the running system for one call.
pub struct PdCtx<'a> {
    pub k: &'a mut Kernel,
    pub vs: &'a mut VSpace,
    pub sup: &'a mut Supervisor,
    pub processes: &'a mut [(String, Option<Process>, bool)],
    pub keeper: &'a mut Keeper,
    pub pds: &'a [PdId],
    pub priorities: &'a [u8],
    pub clients: &'a [RootClient],
    pub st: &'a mut PdState,
    /// The memory server's state and handles, to find a region given to `share_region`.
    pub memory: &'a MemoryState,
    pub memory_book: &'a Book,
    pub budgets: &'a [u32],
    /// The summary of a model extracted for this call, if it is a `dump_model`.
    pub dump: Option<ModelSummary>,
}

impl PdCtx<'_> {
    fn caller(&self, badge: Badge) -> Result<usize, PdError> {
        super::serve::instance_of(self.clients, badge).ok_or(PdError::NotAllowed)
    }

    fn entry(&mut self, key: u64) -> Result<&mut Entry, PdError> {
        self.st.entries.get_mut(key as usize).ok_or(PdError::NotConfigured)
    }

    /// The model PD of an entry (a component's own, or one configured).
    fn model_pd(&self, key: u64) -> Result<PdId, PdError> {
        let e = self.st.entries.get(key as usize).ok_or(PdError::NotConfigured)?;
        match e.own {
            Some(i) => self.pds.get(i).copied().ok_or(PdError::NotConfigured),
            None => e.model.ok_or(PdError::NotConfigured),
        }
    }

    /// Refuses a priority above the caller's own (its maximum controlled priority).
    fn check_priority(&self, caller: usize, priority: u8) -> Result<(), PdError> {
        super::serve::within_priority(self.priorities, caller, priority).then_some(()).ok_or(PdError::NotAllowed)
    }

    /// An entry that is no component's own and not configured yet.
    fn unconfigured(&mut self, key: u64) -> Result<&mut Entry, PdError> {
        let e = self.entry(key)?;
        if e.own.is_some() {
            return Err(PdError::NotAllowed);
        }
        if e.runnable.is_some() {
            return Err(PdError::AlreadyConfigured);
        }
        Ok(e)
    }
}

impl PdServer for PdCtx<'_> {
    fn own_pd(&mut self, caller: Badge) -> Result<New<Pd>, PdError> {
        let i = self.caller(caller)?;
        if self.st.entries.values().any(|e| e.own == Some(i)) {
            return Err(PdError::AlreadyHeld);
        }
        let name = self.processes.get(i).map(|(n, _, _)| n.clone()).unwrap_or_default();
        let entry = Entry {
            name,
            holder: i,
            own: Some(i),
            runnable: None,
            model: None,
            started: true,
            faulted: false,
            shared: Vec::new(),
        };
        Ok(New::object(self.st.entries.add(entry)))
    }

    fn create(&mut self, caller: Badge, name: HString<32>) -> Result<New<Pd>, PdError> {
        let holder = self.caller(caller)?;
        let entry = Entry {
            name: String::from(name.as_str()),
            holder,
            own: None,
            runnable: None,
            model: None,
            started: false,
            faulted: false,
            shared: Vec::new(),
        };
        Ok(New::object(self.st.entries.add(entry)))
    }

    fn configure_process(&mut self, caller: Badge, target: Held<Pd>, config: ProcessConfig) -> Result<(), PdError> {
        let i = self.caller(caller)?;
        self.check_priority(i, config.priority)?;
        let name = self.unconfigured(target.key)?.name.clone();
        let image = super::image(config.image.as_str()).ok_or(PdError::BadImage)?;
        if config.stack_pages == 0 || config.stack_pages > 256 || config.heap_pages as usize > MAX_HEAP_PAGES {
            return Err(PdError::NoMemory);
        }
        let spec = Spec {
            name: &name,
            image,
            priority: config.priority,
            stack_pages: config.stack_pages as usize,
            heap_pages: config.heap_pages as usize,
            provides: None,
            server_id: 0,
            uses: &[],
            clients: &[],
            start: false,
        };
        let p = Process::spawn(self.k, self.vs, self.sup, &spec).map_err(|e| match e {
            ProcessError::Image(_) => PdError::BadImage,
            _ => PdError::NoMemory,
        })?;
        let model = match super::model_regions(self.keeper, &name, &p) {
            Ok(pd) => pd,
            Err(_) => {
                let _ = p.delete(self.k);
                return Err(PdError::NoMemory);
            }
        };
        let e = self.entry(target.key)?;
        (e.runnable, e.model) = (Some(Runnable::Process(p)), Some(model));
        Ok(())
    }

    fn configure_thread(
        &mut self,
        caller: Badge,
        target: Held<Pd>,
        parent: Held<Pd>,
        config: ThreadConfig,
    ) -> Result<(), PdError> {
        let i = self.caller(caller)?;
        self.check_priority(i, config.priority)?;
        if config.stack_pages == 0 || config.stack_pages > MAX_THREAD_STACK {
            return Err(PdError::NoMemory);
        }
        let name = self.unconfigured(target.key)?.name.clone();
        let (of, parent_pd) = {
            let e = self.st.entries.get(parent.key as usize).ok_or(PdError::NotConfigured)?;
            match (&e.own, &e.runnable) {
                (Some(inst), _) => (Parent::Instance(*inst), self.model_pd(parent.key)?),
                (None, Some(Runnable::Process(_))) => (Parent::Made(parent.key as usize), self.model_pd(parent.key)?),
                _ => return Err(PdError::NotConfigured),
            }
        };
        let va = self.st.take_window(of).ok_or(PdError::NoMemory)?;
        let (k, sup) = (&mut *self.k, &mut *self.sup);
        let process = match of {
            Parent::Instance(inst) => self.processes.get_mut(inst).and_then(|(_, p, _)| p.as_mut()),
            Parent::Made(key) => match self.st.entries.get_mut(key) {
                Some(Entry { runnable: Some(Runnable::Process(p)), .. }) => Some(p),
                _ => None,
            },
        }
        .ok_or(PdError::NotConfigured);
        let (entry, arg) = (config.entry, config.arg);
        let thread = process.and_then(|process| {
            let spawned = process.spawn_thread(k, sup, entry, arg, config.stack_pages as usize, config.priority, va);
            spawned.map(|t| (process, t)).map_err(|_| PdError::NoMemory)
        });
        let (process, thread) = match thread {
            Ok(made) => made,
            Err(e) => {
                self.st.give_window(of, va);
                return Err(e);
            }
        };
        let regions = thread.regions(k);
        let model = self.keeper.add_thread(parent_pd, &name).map_err(|_| PdError::NoMemory);
        let model = model.and_then(|pd| {
            for (va, pages, kind, paddr) in regions {
                let region = Region { va, pages, kind, perms: Perms::READ | Perms::WRITE };
                self.keeper.add_region(pd, &region, paddr).map_err(|_| PdError::NoMemory)?;
            }
            Ok(pd)
        });
        let model = match model {
            Ok(pd) => pd,
            Err(e) => {
                let _ = process.delete_thread(self.k, thread);
                self.st.give_window(of, va);
                return Err(e);
            }
        };
        let e = self.entry(target.key)?;
        (e.runnable, e.model) = (Some(Runnable::Thread { parent: of, thread }), Some(model));
        Ok(())
    }

    fn share_region(
        &mut self,
        caller: Badge,
        target: Held<Pd>,
        region: Foreign<VMR>,
        how: Sharing,
    ) -> Result<(), PdError> {
        let i = self.caller(caller)?;
        // The region is the memory server's: held through one of the caller's connections.
        let Cap::Endpoint { endpoint: super::serve::ROOT_SERVER_ID_U32, badge } = region.cap else {
            return Err(PdError::NotAllowed);
        };
        let holders: Vec<Badge> = self
            .clients
            .iter()
            .filter(|c| c.instance == i && c.service == RootService::Memory)
            .map(|c| c.badge)
            .collect();
        let backed = self.memory.backed(self.memory_book, badge, &holders).ok_or(PdError::NotAllowed)?;
        let pages = backed.frames.len() as u64;
        if how == Sharing::Copied && !within_budget(self.budgets, self.memory, self.st, i, pages) {
            return Err(PdError::NoMemory);
        }
        let model = self.model_pd(target.key)?;
        let (k, vs) = (&mut *self.k, &mut *self.vs);
        let e = self.st.entries.get_mut(target.key as usize).ok_or(PdError::NotConfigured)?;
        let Some(Runnable::Process(p)) = e.runnable.as_mut().filter(|_| e.holder == i) else {
            return Err(PdError::NotConfigured);
        };
        let end = backed.va + pages * 4096;
        let taken = p.mapped_ranges().any(|(at, n)| at < end && backed.va < at + n * 4096)
            || e.shared.iter().flat_map(|g| g.mapped.iter()).any(|(_, at)| (backed.va..end).contains(at));
        if taken {
            return Err(PdError::NotAllowed);
        }
        // A copy: fresh frames filled from the region's.
        let mut copy = None;
        if how == Sharing::Copied {
            let mut frames = Vec::new();
            for src in &backed.frames {
                let frame = match k.create::<Page>() {
                    Ok(f) => f,
                    Err(_) => break,
                };
                let copied = super::memory::copy_frame(k, vs, *src, Frame { cap: frame.cap, mapped: false });
                frames.push(frame);
                if copied.is_err() {
                    break;
                }
            }
            let paddr = frames.first().map_or(0, |f| k.paddr(f));
            let mo = match frames.len() as u64 == pages {
                true => self.keeper.allocate(model, pages, paddr).ok(),
                false => None,
            };
            let Some(mo) = mo else {
                for f in frames {
                    let _ = k.destroy(f);
                }
                return Err(PdError::NoMemory);
            };
            copy = Some((frames, mo));
        }
        let sources: Vec<sel4::Cap<Page>> = match &copy {
            Some((frames, _)) => frames.iter().map(|f| f.cap).collect(),
            None => backed.frames.iter().map(|f| f.cap).collect(),
        };
        let mut given = Given { source: backed.mo, mapped: Vec::new(), copy };
        let mut failed = false;
        for (n, frame) in sources.iter().enumerate() {
            let at = backed.va + n as Word * 4096;
            let Ok(c) = k.mint(*frame, CapRights::READ_WRITE, 0) else {
                failed = true;
                break;
            };
            if p.map_frame(k, c, at, CapRights::READ_WRITE).is_err() {
                let _ = k.delete_cap(c.bits());
                failed = true;
                break;
            }
            given.mapped.push((c, at));
        }
        let mo = given.copy.as_ref().map_or(backed.mo, |(_, mo)| *mo);
        let region = Region { va: backed.va, pages, kind: kind_name(backed.kind), perms: Perms::READ | Perms::WRITE };
        let recorded = match (failed, self.keeper.ads_of(model)) {
            (false, Ok(ads)) => self
                .keeper
                .reserve(model, ads, &region)
                .and_then(|vmr| self.keeper.attach(vmr, mo, region.perms))
                .is_ok(),
            _ => false,
        };
        if !recorded {
            give_back(k, p, self.keeper, given);
            return Err(PdError::NoMemory);
        }
        let (holder, pages) = (e.holder, given.copied());
        e.shared.push(given);
        self.st.copied.add(holder, pages);
        Ok(())
    }

    fn add_request(
        &mut self,
        _caller: Badge,
        target: Held<Pd>,
        server: Held<Pd>,
        resource_type: HString<32>,
    ) -> Result<(), PdError> {
        let (from, to) = (self.model_pd(target.key)?, self.model_pd(server.key)?);
        self.keeper.request(from, to, resource_type.as_str()).map_err(|_| PdError::NotAllowed)
    }

    fn share_directory(&mut self, caller: Badge, target: Held<Pd>) -> Result<(), PdError> {
        let i = self.caller(caller)?;
        let to = self.model_pd(target.key)?;
        let from = self.pds.get(i).copied().ok_or(PdError::NotConfigured)?;
        self.keeper.copy_requests(from, to).map_err(|_| PdError::NotAllowed)
    }

    fn link(&mut self, _caller: Badge, a: Held<Pd>, b: Held<Pd>) -> Result<(), PdError> {
        // A component's own PD ends with its process, as composed: only PDs made are linked.
        for key in [a.key, b.key] {
            if self.entry(key)?.own.is_some() {
                return Err(PdError::NotAllowed);
            }
        }
        if a.key != b.key && !self.st.links.contains(&(a.key as usize, b.key as usize)) {
            self.st.links.push((a.key as usize, b.key as usize));
        }
        Ok(())
    }

    fn start(&mut self, _caller: Badge, target: Held<Pd>) -> Result<(), PdError> {
        let k = &mut *self.k;
        let e = self.st.entries.get_mut(target.key as usize).ok_or(PdError::NotConfigured)?;
        if e.started {
            return Err(PdError::AlreadyConfigured);
        }
        let started = match &e.runnable {
            Some(Runnable::Process(p)) => p.start(k),
            Some(Runnable::Thread { thread, .. }) => thread.start(k),
            None => return Err(PdError::NotConfigured),
        };
        started.map_err(|_| PdError::Faulted)?;
        e.started = true;
        Ok(())
    }

    fn terminate(&mut self, _caller: Badge, target: Held<Pd>) -> Result<(), PdError> {
        if self.entry(target.key)?.own.is_some() {
            return Err(PdError::NotAllowed);
        }
        end(self.k, self.processes, self.keeper, self.st, target.key as usize).map_err(|_| PdError::Faulted)
    }

    fn info(&mut self, _caller: Badge, target: Held<Pd>) -> Result<PdInfo, PdError> {
        let e = self.st.entries.get(target.key as usize).ok_or(PdError::NotConfigured)?;
        let (holds, requests) = match self.model_pd(target.key) {
            Ok(pd) => self.keeper.counts(pd).unwrap_or((0, 0)),
            Err(_) => (0, 0),
        };
        Ok(PdInfo {
            name: HString::try_from(e.name.as_str()).unwrap_or_default(),
            running: e.started && (e.own.is_some() || e.runnable.is_some()) && !e.faulted,
            faulted: e.faulted,
            holds: holds as u32,
            requests: requests as u32,
        })
    }

    fn dump_model(&mut self, _caller: Badge) -> Result<ModelSummary, PdError> {
        // Extracted before this call was dispatched (the root must be between calls to ask
        // its servers); a server's call gets none.
        self.dump.take().ok_or(PdError::NotAllowed)
    }
}

/// Ends entry `key`: its threads first (a process's threads live in its address space),
/// then itself; its part of the model goes with it.
pub fn end(
    k: &mut Kernel,
    processes: &mut [(String, Option<Process>, bool)],
    keeper: &mut Keeper,
    st: &mut PdState,
    key: usize,
) -> Result<(), KernelError> {
    let threads = st
        .entries
        .keys_where(|e| matches!(e.runnable, Some(Runnable::Thread { parent: Parent::Made(p), .. }) if p == key));
    for t in threads {
        end(k, processes, keeper, st, t)?;
    }
    let Some(entry) = st.entries.take(key) else { return Ok(()) };
    // What it is linked to ends with it.
    let linked: Vec<usize> =
        st.links.iter().filter_map(|(a, b)| (*a == key).then_some(*b).or((*b == key).then_some(*a))).collect();
    st.links.retain(|(a, b)| *a != key && *b != key);
    if let Some(pd) = entry.model {
        let _ = keeper.remove_pd(pd);
    }
    let ended = end_runnable(k, processes, keeper, st, entry);
    for other in linked {
        end(k, processes, keeper, st, other)?;
    }
    ended
}

/// Ends what an entry ran (its model PD already gone).
fn end_runnable(
    k: &mut Kernel,
    processes: &mut [(String, Option<Process>, bool)],
    keeper: &mut Keeper,
    st: &mut PdState,
    entry: Entry,
) -> Result<(), KernelError> {
    if let Some(Runnable::Thread { parent, thread }) = &entry.runnable {
        if let Some(va) = thread.base() {
            st.give_window(*parent, va);
        }
    }
    match entry.runnable {
        Some(Runnable::Process(mut p)) => {
            for given in entry.shared {
                st.copied.sub(entry.holder, given.copied());
                give_back(k, &mut p, keeper, given);
            }
            p.delete(k)
        }
        Some(Runnable::Thread { parent: Parent::Instance(i), thread }) => {
            match processes.get_mut(i).and_then(|(_, p, _)| p.as_mut()) {
                Some(p) => p.delete_thread(k, thread),
                None => Ok(()),
            }
        }
        Some(Runnable::Thread { parent: Parent::Made(p), thread }) => {
            match st.entries.get_mut(p).and_then(|e| e.runnable.as_mut()) {
                Some(Runnable::Process(p)) => p.delete_thread(k, thread),
                _ => Ok(()),
            }
        }
        None => Ok(()),
    }
}

/// Unmaps a region `share_region` gave `p`, and frees its copy if it was one.
fn give_back(k: &mut Kernel, p: &mut Process, keeper: &mut Keeper, given: Given) {
    for (c, at) in given.mapped {
        let _ = p.unmap_frame(k, c, at);
        let _ = k.delete_cap(c.bits());
    }
    if let Some((frames, mo)) = given.copy {
        keeper.remove_mo(mo);
        for f in frames {
            let _ = k.destroy(f);
        }
    }
}

impl PdState {
    /// Ends the handles to PDs that ended and frees their keys ([`Table::settle`]).
    pub fn settle(&mut self, book: &mut Book, revoked: &mut Vec<Badge>) {
        self.entries.settle::<cellulos::runtime::server::Pd>(book, revoked);
    }

    /// How many places for PDs there are (the most it knew at once).
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn places(&self) -> usize {
        self.entries.places()
    }

    /// Whether `share_region` mapped memory object `mo` into a process (`Shared`).
    pub fn shares(&self, mo: MoId) -> bool {
        let given = self.entries.values().flat_map(|e| e.shared.iter());
        given.filter(|g| g.copy.is_none()).any(|g| g.source == mo)
    }

    /// Pages of copies made for the PDs instance `i` made (counted against its budget).
    pub fn copied(&self, i: usize) -> u64 {
        self.copied.of(i)
    }

    /// The lowest free thread window of `parent`'s address space, now taken.
    fn take_window(&mut self, parent: Parent) -> Option<Word> {
        let bits = self.windows.entry(parent).or_default();
        let (word, bit) =
            bits.iter().enumerate().find_map(|(w, b)| (*b != u64::MAX).then(|| (w, b.trailing_ones())))?;
        bits[word] |= 1 << bit;
        Some(THREAD_WINDOWS + (word as Word * 64 + Word::from(bit)) * THREAD_WINDOW)
    }

    /// Frees the thread window at `va` of `parent`'s address space.
    fn give_window(&mut self, parent: Parent, va: Word) {
        let n = va.wrapping_sub(THREAD_WINDOWS) / THREAD_WINDOW;
        if let Some(bits) = self.windows.get_mut(&parent).filter(|_| n < MAX_THREADS) {
            bits[n as usize / 64] &= !(1 << (n % 64));
            if bits.iter().all(|b| *b == 0) {
                self.windows.remove(&parent);
            }
        }
    }

    /// The entry whose PD sent to the supervisor with `badge`.
    pub fn by_badge(&self, badge: Word) -> Option<usize> {
        self.entries.iter().find_map(|(key, e)| match &e.runnable {
            Some(Runnable::Process(p)) if p.badge == badge => Some(key),
            Some(Runnable::Thread { thread, .. }) if thread.badge == badge => Some(key),
            _ => None,
        })
    }

    /// The name of entry `key`.
    pub fn name(&self, key: usize) -> &str {
        self.entries.get(key).map_or("?", |e| e.name.as_str())
    }

    /// The entries instance `i` made or runs threads for (to end with it).
    pub fn of_instance(&self, i: usize) -> Vec<usize> {
        self.entries.keys_where(|e| {
            e.holder == i || matches!(e.runnable, Some(Runnable::Thread { parent: Parent::Instance(p), .. }) if p == i)
        })
    }

    /// Every entry.
    pub fn all(&self) -> Vec<usize> {
        self.entries.keys()
    }
}
