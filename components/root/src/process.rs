//! Protection domains from ELF images: a new address space (a PML4 with an ASID), a CSpace
//! of its own, the image's PT_LOAD segments copied into fresh frames, a stack below a guard
//! gap, an IPC buffer, a read-only start page ([`sel4_rt::start`]) and a TCB whose fault
//! endpoint is a badged cap to the root's supervisor endpoint. This is the internal API the
//! PD server of issue 6 serves; deleting a process gives every object back.
//!
//! The child's CSpace: slot 1 its supervisor cap, slot 2 its own endpoint (a server), slot 3
//! its own CNode, then one slot per connection it uses (the slots compose allocated); the
//! rest is the component's for caps it receives and mints. A CPtr in the child is a slot number: the CNode's guard
//! covers the remaining bits.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use sel4::{init, CNode, CapRights, Endpoint, Page, Pml4, Tcb, UserContext, Word};
use sel4_rt::start::{
    self, Client, StartInfo, Use, CLIENTS_SHARED_VA, SHARED_STRIDE, START_INFO_VA, START_MAGIC, USES_SHARED_VA,
};
use xmas_elf::program::Type;
use xmas_elf::ElfFile;

use crate::kernel::{Kernel, KernelError, Object};
use crate::thread::Supervisor;
use crate::vspace::VSpace;

/// Slots of a child CSpace (2^10).
const CNODE_RADIX: u8 = 10;
/// The CSpace of a CPU in an address space of no process ([`Process::bind_alone`]): the
/// supervisor slot and little else.
const ALONE_RADIX: u8 = 2;
/// The CNode guard data of a CSpace root of 2^`radix` slots: a guard of zeros as long as
/// the rest of a 64-bit CPtr, so a CPtr is a slot number.
const fn guard_data(radix: u8) -> Word {
    (64 - radix as Word) << 2
}
/// Child slot of the supervisor cap.
pub const SLOT_SUPERVISOR: Word = 1;
/// Child slot of its own endpoint.
pub const SLOT_ENDPOINT: Word = 2;
/// Child slot of a cap to its own CNode.
pub const SLOT_CNODE: Word = 3;
/// How many child slots are the root's (supervisor caps of threads it makes in the process,
/// handles given to it), at the top of its CSpace; the component allocates below.
pub const ROOT_RANGE: Word = 32;
/// The first of the root's child slots.
const ROOT_SLOTS: Word = (1 << CNODE_RADIX) - ROOT_RANGE;
/// Child slot of its first connection (what compose allocates from).
pub const SLOT_FIRST_USE: Word = cellulos_system::FIRST_USE_SLOT as Word;
/// The IPC buffer, right after the start page.
const IPC_BUFFER_VA: Word = START_INFO_VA + 0x1000;
/// The stack's top; it grows down from here (at most 256 pages, above the image).
const STACK_TOP: Word = START_INFO_VA;
/// The most stack pages a process may have.
const MAX_STACK_PAGES: usize = 256;
/// Where a process's heap is mapped when its configuration asks for one (after the memory
/// server's free window, before the threads' windows).
const HEAP_VA: Word = 0x2_0000_0000;
/// The most heap pages a process configuration may ask for (16 MiB).
pub const MAX_HEAP_PAGES: usize = 4096;
/// Where the root maps a child's frame while it fills it (PML4 entry 2 of the root).
const SCRATCH_VA: Word = 0x100_0000_0000 + 0x4000_0000;

/// File bytes to copy onto one page: (from, to) within the page, and the file offset.
type FileBytes = (usize, usize, usize);

/// Why a process could not be made.
#[derive(Debug)]
pub enum ProcessError {
    /// The image is not an ELF the root can load.
    Image(&'static str),
    /// A kernel object operation failed.
    Kernel(KernelError),
    /// More connections than the start page holds, or a name too long.
    Description(&'static str),
}

impl From<KernelError> for ProcessError {
    fn from(e: KernelError) -> Self {
        ProcessError::Kernel(e)
    }
}

impl core::fmt::Display for ProcessError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ProcessError::Image(why) => write!(f, "bad ELF image: {why}"),
            ProcessError::Kernel(e) => write!(f, "{e}"),
            ProcessError::Description(why) => f.write_str(why),
        }
    }
}

/// A connection a process uses: a badged cap to a server's endpoint.
pub struct Uses<'a> {
    /// The name the component asks for.
    pub name: &'a str,
    /// The interface id.
    pub interface_id: u64,
    /// The server's endpoint (the root's original cap).
    pub endpoint: sel4::Cap<Endpoint>,
    /// The badge this client's calls carry (< 2^28, non-zero).
    pub badge: Word,
    /// The slot compose gave the cap in the client's CSpace.
    pub slot: Word,
}

/// What to start.
pub struct Spec<'a> {
    /// Instance name.
    pub name: &'a str,
    /// The ELF image.
    pub image: &'a [u8],
    /// Its priority.
    pub priority: u8,
    /// Stack pages.
    pub stack_pages: usize,
    /// Heap pages mapped for it (0: it has only the heap in its image).
    pub heap_pages: usize,
    /// Its own endpoint and interface id, if it is a server, and the badge the root calls with.
    pub provides: Option<(sel4::Cap<Endpoint>, u64, Word)>,
    /// Its server id (non-zero for a server).
    pub server_id: Word,
    /// The connections it uses.
    pub uses: &'a [Uses<'a>],
    /// The badges of its clients, if it is a server (client `j`'s shared buffer is at
    /// `CLIENTS_SHARED_VA + j * SHARED_STRIDE`).
    pub clients: &'a [Word],
    /// Whether it runs at once (else [`Process::start`] starts it).
    pub start: bool,
}

/// A region the root mapped into a process, as the model shows it.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// First virtual address.
    pub va: Word,
    /// 4 KiB pages.
    pub pages: u64,
    /// CellulOS's name for what it is (`ELF_CODE`, `STACK` ...).
    pub kind: &'static str,
    /// Writable (else read-only).
    pub write: bool,
    /// The physical address of its first frame.
    pub paddr: Word,
}

/// A running process.
pub struct Process {
    /// The badge its faults and exit arrive with at the supervisor.
    pub badge: Word,
    tcb: Object<Tcb>,
    cnode: Object<CNode>,
    pml4: Object<Pml4>,
    vspace: VSpace,
    frames: Vec<(Object<Page>, Word)>,
    /// Copies of shared-buffer frames (the root owns the frames) mapped here.
    shared: Vec<(sel4::Cap<Page>, Word)>,
    /// Its own memory, region by region (for the model).
    pub regions: Vec<Region>,
    /// The root's slots in its CSpace that hold threads' supervisor caps.
    thread_slots: Vec<Word>,
    /// The root's slots in its CSpace that handles given to it went to (a slot whose handle
    /// was revoked since is empty and is used again).
    given_slots: Vec<Word>,
}

/// A thread the root made in a process ([`Process::spawn_thread`]).
pub struct Thread {
    /// The badge its faults and exit arrive with at the supervisor.
    pub badge: Word,
    tcb: Object<Tcb>,
    frames: Vec<(Object<Page>, Word)>,
    slot: Word,
}

impl Thread {
    /// The lowest address of its pages (the `va` it was made at).
    pub fn base(&self) -> Option<Word> {
        self.frames.iter().map(|(_, va)| *va).min()
    }

    /// Lets it run.
    pub fn start(&self, k: &mut Kernel) -> Result<(), KernelError> {
        k.ipc.tcb_resume(self.tcb.cap).map_err(|e| KernelError::Sel4("tcb_resume", e))
    }

    /// Its IPC buffer page and its stack, as (address, pages, kind, physical address of the
    /// first frame) regions for the model.
    pub fn regions(&self, k: &Kernel) -> [(Word, u64, &'static str, Word); 2] {
        let at = |n: usize| self.frames.get(n).map_or((0, 0), |(f, va)| (*va, k.paddr(f)));
        let ((ipc, ipc_paddr), (stack, stack_paddr)) = (at(0), at(1));
        [(ipc, 1, "IPC_BUF", ipc_paddr), (stack, self.frames.len().saturating_sub(1) as u64, "STACK", stack_paddr)]
    }
}

/// Copies the contents of frame `from` into frame `to` through two scratch pages of the
/// root (neither frame may be mapped elsewhere through these caps).
pub fn copy_frame(
    k: &mut Kernel,
    root_vs: &mut VSpace,
    from: sel4::Cap<Page>,
    to: sel4::Cap<Page>,
) -> Result<(), KernelError> {
    const SOURCE_VA: Word = SCRATCH_VA + 4096;
    root_vs.map(k, from, SOURCE_VA, CapRights::READ)?;
    let filled = fill(k, root_vs, to, |dst| {
        // SAFETY: SOURCE_VA was just mapped to `from`, page aligned, read-only, and nothing
        // else uses it; it is a different page from the scratch page `dst` is.
        dst.copy_from_slice(unsafe { &*(SOURCE_VA as *const [u8; 4096]) });
    });
    let unmapped = root_vs.unmap(k, from, SOURCE_VA);
    filled.and(unmapped)
}

/// What [`Process`]'s `map_new` writes into a frame left as the kernel made it: nothing.
const ZEROED: Option<fn(&mut [u8; 4096])> = None;

/// Maps `frame` into the root's scratch window, lets `f` fill it, and unmaps it. A frame
/// that is to start zeroed needs none of this: the kernel zeroes every frame it makes
/// (`frames_start_zeroed` tests it), and a visit of the scratch window costs page tables.
pub(crate) fn fill(
    k: &mut Kernel,
    root_vs: &mut VSpace,
    frame: sel4::Cap<Page>,
    f: impl FnOnce(&mut [u8; 4096]),
) -> Result<(), KernelError> {
    root_vs.map(k, frame, SCRATCH_VA, CapRights::READ_WRITE)?;
    // SAFETY: SCRATCH_VA was just mapped to this frame read-write, page aligned, and nothing
    // else uses the scratch window while it is mapped.
    f(unsafe { &mut *(SCRATCH_VA as *mut [u8; 4096]) });
    root_vs.unmap(k, frame, SCRATCH_VA)
}

impl Process {
    /// Creates and starts a process (see the module docs).
    pub fn spawn(
        k: &mut Kernel,
        root_vs: &mut VSpace,
        sup: &mut Supervisor,
        spec: &Spec<'_>,
    ) -> Result<Process, ProcessError> {
        let elf = ElfFile::new(spec.image).map_err(ProcessError::Image)?;
        // The program header table must lie inside the file before anything walks it.
        let h = &elf.header.pt2;
        let table_end = u64::from(h.ph_count())
            .checked_mul(u64::from(h.ph_entry_size()))
            .and_then(|n| n.checked_add(h.ph_offset()));
        if table_end.is_none_or(|end| end > spec.image.len() as u64) {
            return Err(ProcessError::Image("program headers past the end of the file"));
        }
        let pml4 = k.create::<Pml4>()?;
        if let Err(e) = k.ipc.asid_pool_assign(init::ASID_POOL, pml4.cap.cast()) {
            k.destroy(pml4)?;
            return Err(KernelError::Sel4("asid_pool_assign", e).into());
        }
        let cnode = match k.create_cnode(CNODE_RADIX) {
            Ok(c) => c,
            Err(e) => {
                k.destroy(pml4)?;
                return Err(e.into());
            }
        };
        let tcb = match k.create::<Tcb>() {
            Ok(t) => t,
            Err(e) => {
                k.destroy(cnode)?;
                k.destroy(pml4)?;
                return Err(e.into());
            }
        };
        let vspace = VSpace::new(pml4.cap);
        let mut p = Process {
            badge: sup.next_badge(),
            tcb,
            cnode,
            pml4,
            vspace,
            frames: Vec::new(),
            shared: Vec::new(),
            regions: Vec::new(),
            thread_slots: Vec::new(),
            given_slots: Vec::new(),
        };
        match p.build(k, root_vs, sup, spec, &elf) {
            Ok(()) => Ok(p),
            Err(e) => {
                let _ = p.delete(k);
                Err(e)
            }
        }
    }

    /// Maps a new frame at `va`, filled by `f` (`None`: left as the kernel made it, zeroed).
    fn map_new(
        &mut self,
        k: &mut Kernel,
        root_vs: &mut VSpace,
        va: Word,
        rights: CapRights,
        f: Option<impl FnOnce(&mut [u8; 4096])>,
    ) -> Result<(), KernelError> {
        let frame = k.create::<Page>()?;
        let filled = match f {
            Some(f) => fill(k, root_vs, frame.cap, f),
            None => Ok(()),
        };
        let filled = filled.and_then(|()| self.vspace.map(k, frame.cap, va, rights));
        match filled {
            Ok(()) => {
                self.frames.push((frame, va));
                Ok(())
            }
            Err(e) => {
                k.destroy(frame)?;
                Err(e)
            }
        }
    }

    /// Records the frames mapped from `va` on as one region.
    fn record(&mut self, k: &Kernel, va: Word, pages: u64, kind: &'static str, write: bool) {
        let paddr = self.frames.iter().find(|(_, at)| *at == va).map_or(0, |(f, _)| k.paddr(f));
        self.regions.push(Region { va, pages, kind, write, paddr });
    }

    fn build(
        &mut self,
        k: &mut Kernel,
        root_vs: &mut VSpace,
        sup: &Supervisor,
        spec: &Spec<'_>,
        elf: &ElfFile<'_>,
    ) -> Result<(), ProcessError> {
        // 1. The image: every PT_LOAD page, file bytes copied, the rest left zero.
        // Page -> (writable, what to copy onto it).
        let mut pages: BTreeMap<Word, (bool, Vec<FileBytes>)> = BTreeMap::new();
        for ph in elf.program_iter() {
            if ph.get_type() != Ok(Type::Load) || ph.mem_size() == 0 {
                continue;
            }
            let (va, mem, file, off) = (ph.virtual_addr(), ph.mem_size(), ph.file_size(), ph.offset());
            let limit = STACK_TOP - (MAX_STACK_PAGES as Word + 1) * 4096;
            if va.checked_add(mem).is_none_or(|end| end > limit) || file > mem {
                return Err(ProcessError::Image("a segment outside the program area"));
            }
            if off.checked_add(file).is_none_or(|end| end > spec.image.len() as u64) {
                return Err(ProcessError::Image("a segment past the end of the file"));
            }
            let mut page = va & !0xfff;
            while page < va + mem {
                let entry = pages.entry(page).or_insert((false, Vec::new()));
                entry.0 |= ph.flags().is_write();
                // File bytes on this page: [from, to) of the page, from file offset.
                let from = va.max(page);
                let to = (va + file).min(page + 4096);
                if from < to {
                    entry.1.push(((from - page) as usize, (to - page) as usize, (off + from - va) as usize));
                }
                page += 4096;
            }
        }
        // Runs of adjacent pages alike in rights are one region each: code or data.
        let mut run: Option<(Word, u64, bool)> = None;
        let mut runs = Vec::new();
        for (va, (write, copies)) in pages {
            let rights = if write { CapRights::READ_WRITE } else { CapRights::READ };
            // A page of bss alone starts zeroed.
            let copy = (!copies.is_empty()).then_some(|dst: &mut [u8; 4096]| {
                for (from, to, at) in copies {
                    dst[from..to].copy_from_slice(&spec.image[at..at + (to - from)]);
                }
            });
            self.map_new(k, root_vs, va, rights, copy)?;
            run = match run {
                Some((start, n, w)) if w == write && start + n * 4096 == va => Some((start, n + 1, w)),
                other => {
                    runs.extend(other);
                    Some((va, 1, write))
                }
            };
        }
        runs.extend(run);
        for (va, n, write) in runs {
            self.record(k, va, n, if write { "ELF_DATA" } else { "ELF_CODE" }, write);
        }
        // 2. CSpace: the supervisor cap, its endpoint, its connections.
        let cnode = self.cnode.cap;
        let depth = CNODE_RADIX;
        let mint = |k: &mut Kernel, slot: Word, src: Word, rights: CapRights, badge: Word| {
            k.ipc
                .cnode_mint(cnode, slot, depth, init::CNODE, src, 64, rights, badge)
                .map_err(|e| KernelError::Sel4("cnode_mint (child)", e))
        };
        mint(k, SLOT_SUPERVISOR, sup.endpoint().bits(), CapRights::WRITE_GRANT, self.badge)?;
        // Its own CNode, with guard 0 (the badge of a CNode mint is its guard).
        mint(k, SLOT_CNODE, self.cnode.cap.bits(), CapRights::ALL, 0)?;
        let first_free = spec.uses.iter().map(|u| u.slot + 1).max().unwrap_or(SLOT_FIRST_USE).max(SLOT_FIRST_USE);
        let mut info = StartInfo {
            magic: START_MAGIC,
            name: start::name(spec.name).ok_or(ProcessError::Description("instance name over 32 bytes"))?,
            ipc_buffer: IPC_BUFFER_VA,
            supervisor: SLOT_SUPERVISOR,
            endpoint: 0,
            provides: 0,
            root_badge: 0,
            server_id: spec.server_id,
            cnode: SLOT_CNODE,
            cnode_bits: Word::from(CNODE_RADIX),
            free_slots: [first_free, ROOT_SLOTS],
            use_count: spec.uses.len() as u64,
            uses: [Use { name: [0; start::NAME_BYTES], interface_id: 0, cptr: 0, shared_va: 0 }; start::MAX_USES],
            client_count: spec.clients.len() as u64,
            clients: [Client { badge: 0, shared_va: 0 }; start::MAX_CLIENTS],
            heap: match spec.heap_pages {
                0 => [0, 0],
                pages => [HEAP_VA, pages as u64 * 4096],
            },
        };
        if spec.clients.len() > start::MAX_CLIENTS {
            return Err(ProcessError::Description("more clients than the start page holds"));
        }
        for (j, badge) in spec.clients.iter().enumerate() {
            info.clients[j] = Client { badge: *badge, shared_va: CLIENTS_SHARED_VA + j as Word * SHARED_STRIDE };
        }
        if let Some((ep, interface_id, root_badge)) = spec.provides {
            mint(k, SLOT_ENDPOINT, ep.bits(), CapRights::ALL, 0)?;
            (info.endpoint, info.provides, info.root_badge) = (SLOT_ENDPOINT, interface_id, root_badge);
        }
        if spec.uses.len() > start::MAX_USES {
            return Err(ProcessError::Description("more connections than the start page holds"));
        }
        for (i, u) in spec.uses.iter().enumerate() {
            if u.badge == 0 || u.badge >> sel4::BADGE_BITS != 0 {
                return Err(ProcessError::Description("a connection badge of 0 or over 28 bits"));
            }
            let slot = u.slot;
            if !(SLOT_FIRST_USE..1 << CNODE_RADIX).contains(&slot) {
                return Err(ProcessError::Description("a connection slot outside the component's CSpace"));
            }
            // Write+Grant: a Call through a cap without Grant never gets its reply in 5.0.
            mint(k, slot, u.endpoint.bits(), CapRights::WRITE_GRANT, u.badge)?;
            info.uses[i] = Use {
                name: start::name(u.name).ok_or(ProcessError::Description("connection name over 32 bytes"))?,
                interface_id: u.interface_id,
                cptr: slot,
                shared_va: USES_SHARED_VA + i as Word * SHARED_STRIDE,
            };
        }
        // 3. Start page, IPC buffer, stack.
        self.map_new(
            k,
            root_vs,
            START_INFO_VA,
            CapRights::READ,
            Some(|page: &mut [u8; 4096]| {
                let bytes = core::mem::size_of::<StartInfo>();
                // SAFETY: StartInfo is plain repr(C) data of integers and byte arrays, smaller
                // than a page; viewing it as bytes reads nothing uninitialised (no padding:
                // every field is 8-byte sized or a 32-byte array).
                let src = unsafe { core::slice::from_raw_parts((&info as *const StartInfo).cast::<u8>(), bytes) };
                page[..bytes].copy_from_slice(src);
            }),
        )?;
        self.record(k, START_INFO_VA, 1, "START_INFO", false);
        self.map_new(k, root_vs, IPC_BUFFER_VA, CapRights::READ_WRITE, ZEROED)?;
        self.record(k, IPC_BUFFER_VA, 1, "IPC_BUF", true);
        if spec.stack_pages == 0 || spec.stack_pages > MAX_STACK_PAGES {
            return Err(ProcessError::Description("stack pages out of range 1..=256"));
        }
        for i in (1..=spec.stack_pages as Word).rev() {
            self.map_new(k, root_vs, STACK_TOP - i * 4096, CapRights::READ_WRITE, ZEROED)?;
        }
        self.record(k, STACK_TOP - spec.stack_pages as Word * 4096, spec.stack_pages as u64, "STACK", true);
        if spec.heap_pages > MAX_HEAP_PAGES {
            return Err(ProcessError::Description("heap pages over 4096"));
        }
        for i in 0..spec.heap_pages as Word {
            self.map_new(k, root_vs, HEAP_VA + i * 4096, CapRights::READ_WRITE, ZEROED)?;
        }
        if spec.heap_pages > 0 {
            self.record(k, HEAP_VA, spec.heap_pages as u64, "HEAP", true);
        }
        // 4. The thread.
        let ipc_frame = self.frames.iter().find(|(_, va)| *va == IPC_BUFFER_VA).map(|(f, _)| f.cap);
        let tcb = self.tcb.cap;
        let guard = guard_data(CNODE_RADIX);
        let sel = |op, r: Result<(), sel4::Error>| r.map_err(|e| ProcessError::Kernel(KernelError::Sel4(op, e)));
        sel("tcb_set_space", k.ipc.tcb_set_space(tcb, SLOT_SUPERVISOR, cnode, guard, self.pml4.cap.cast(), 0))?;
        let ipc_frame = ipc_frame.ok_or(ProcessError::Description("no IPC buffer frame"))?;
        sel("tcb_set_ipc_buffer", k.ipc.tcb_set_ipc_buffer(tcb, IPC_BUFFER_VA, ipc_frame.cast()))?;
        sel("tcb_set_priority", k.ipc.tcb_set_priority(tcb, spec.priority))?;
        let regs = UserContext {
            rip: elf.header.pt2.entry_point(),
            rsp: STACK_TOP - 8,
            rflags: 0x202,
            rdi: START_INFO_VA,
            ..UserContext::default()
        };
        sel("tcb_write_registers", k.ipc.tcb_write_registers(tcb, spec.start, 0, UserContext::WORDS as Word, &regs))
    }

    /// The slot of the root's CSpace holding its (main) thread's TCB.
    pub fn tcb_slot(&self) -> Word {
        self.tcb.cap.bits()
    }

    /// Starts a process spawned with `start: false`.
    pub fn start(&self, k: &mut Kernel) -> Result<(), KernelError> {
        k.ipc.tcb_resume(self.tcb.cap).map_err(|e| KernelError::Sel4("tcb_resume", e))
    }

    /// A new thread in this process (its address space and CSpace): an IPC buffer page at
    /// `va`, an unmapped guard page, then `stack_pages` of stack; its fault endpoint a new
    /// badged supervisor cap in one of the root's slots of the process's CSpace. Suspended
    /// until [`Thread::start`]; it begins at `entry` with `arg` in rdi, that supervisor slot
    /// in rsi (to exit through) and its IPC buffer's address in rdx.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_thread(
        &mut self,
        k: &mut Kernel,
        sup: &mut Supervisor,
        entry: Word,
        arg: Word,
        stack_pages: usize,
        priority: u8,
        va: Word,
    ) -> Result<Thread, KernelError> {
        let slot = self.free_root_slot().ok_or(KernelError::OutOfSlots)?;
        let mut t = Thread { badge: sup.next_badge(), tcb: k.create::<Tcb>()?, frames: Vec::new(), slot };
        match self.build_thread(k, sup, &mut t, (entry, arg), stack_pages, priority, va) {
            Ok(()) => {
                self.thread_slots.push(slot);
                Ok(t)
            }
            Err(e) => {
                let _ = self.delete_thread(k, t);
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn build_thread(
        &mut self,
        k: &mut Kernel,
        sup: &Supervisor,
        t: &mut Thread,
        (entry, arg): (Word, Word),
        stack_pages: usize,
        priority: u8,
        va: Word,
    ) -> Result<(), KernelError> {
        let sel = |op| move |e| KernelError::Sel4(op, e);
        let (cnode, depth) = (self.cnode.cap, CNODE_RADIX);
        k.ipc
            .cnode_mint(cnode, t.slot, depth, init::CNODE, sup.endpoint().bits(), 64, CapRights::WRITE_GRANT, t.badge)
            .map_err(sel("cnode_mint (thread supervisor)"))?;
        let stack_bottom = va + 2 * 4096;
        let mut vas = alloc::vec![va];
        vas.extend((0..stack_pages as Word).map(|n| stack_bottom + n * 4096));
        for at in vas {
            // Zeroed by the kernel: nothing to write.
            let frame = k.create::<Page>()?;
            if let Err(e) = self.vspace.map(k, frame.cap, at, CapRights::READ_WRITE) {
                k.destroy(frame)?;
                return Err(e);
            }
            t.frames.push((frame, at));
        }
        let ipc_frame = t.frames.first().map(|(f, _)| f.cap).ok_or(KernelError::OutOfSlots)?;
        let tcb = t.tcb.cap;
        let guard = guard_data(CNODE_RADIX);
        k.ipc.tcb_set_space(tcb, t.slot, cnode, guard, self.pml4.cap.cast(), 0).map_err(sel("tcb_set_space"))?;
        k.ipc.tcb_set_ipc_buffer(tcb, va, ipc_frame.cast()).map_err(sel("tcb_set_ipc_buffer"))?;
        k.ipc.tcb_set_priority(tcb, priority).map_err(sel("tcb_set_priority"))?;
        let regs = UserContext {
            rip: entry,
            rsp: stack_bottom + stack_pages as Word * 4096 - 8,
            rflags: 0x202,
            rdi: arg,
            rsi: t.slot,
            rdx: va,
            ..UserContext::default()
        };
        k.ipc.tcb_write_registers(tcb, false, 0, UserContext::WORDS as Word, &regs).map_err(sel("tcb_write_registers"))
    }

    /// Runs `tcb` (a CPU the CPU server made) in this process: its address space and CSpace,
    /// its faults to a new badged supervisor cap in one of the root's slots of the CSpace.
    /// Returns the badge and the slot (give the slot back with [`Process::unbind`]).
    pub fn bind(
        &mut self,
        k: &mut Kernel,
        sup: &mut Supervisor,
        tcb: sel4::Cap<Tcb>,
    ) -> Result<(Word, Word), KernelError> {
        let slot = self.free_root_slot().ok_or(KernelError::OutOfSlots)?;
        let badge = sup.next_badge();
        let sel = |op| move |e| KernelError::Sel4(op, e);
        let (cnode, depth) = (self.cnode.cap, CNODE_RADIX);
        k.ipc
            .cnode_mint(cnode, slot, depth, init::CNODE, sup.endpoint().bits(), 64, CapRights::WRITE_GRANT, badge)
            .map_err(sel("cnode_mint (cpu supervisor)"))?;
        let guard = guard_data(CNODE_RADIX);
        if let Err(e) = k.ipc.tcb_set_space(tcb, slot, cnode, guard, self.pml4.cap.cast(), 0) {
            let _ = k.ipc.cnode_delete(cnode, slot, depth);
            return Err(KernelError::Sel4("tcb_set_space", e));
        }
        self.thread_slots.push(slot);
        Ok((badge, slot))
    }

    /// Runs `tcb` in address space `pml4`, which no process has (one `create_ads` made),
    /// with a CSpace of its own: a CNode of [`ALONE_RADIX`] holding only its faults'
    /// supervisor cap, badged anew, at [`SLOT_SUPERVISOR`] (the code it runs can end
    /// through it and nothing else). Returns the CNode and the badge.
    pub fn bind_alone(
        k: &mut Kernel,
        sup: &mut Supervisor,
        tcb: sel4::Cap<Tcb>,
        pml4: sel4::Cap<Pml4>,
    ) -> Result<(Object<CNode>, Word), KernelError> {
        let cnode = k.create_cnode(ALONE_RADIX)?;
        let badge = sup.next_badge();
        let (at, depth) = (cnode.cap, ALONE_RADIX);
        let minted = k.ipc.cnode_mint(
            at,
            SLOT_SUPERVISOR,
            depth,
            init::CNODE,
            sup.endpoint().bits(),
            64,
            CapRights::WRITE_GRANT,
            badge,
        );
        let guard = guard_data(ALONE_RADIX);
        let set = minted.and_then(|()| k.ipc.tcb_set_space(tcb, SLOT_SUPERVISOR, at, guard, pml4.cast(), 0));
        if let Err(e) = set {
            let _ = k.destroy(cnode);
            return Err(KernelError::Sel4("binding a CPU to an address space", e));
        }
        Ok((cnode, badge))
    }

    /// A slot of the root's range used for nothing yet.
    fn free_root_slot(&self) -> Option<Word> {
        (ROOT_SLOTS..1 << CNODE_RADIX).find(|s| !self.thread_slots.contains(s) && !self.given_slots.contains(s))
    }

    /// Moves the capability in the root's `slot` (a handle given to this process) into a
    /// slot of the root's range in its CSpace, or copies it there (`copy`: the root keeps
    /// the original, to revoke): that slot. A move keeps the capability where it was in the
    /// derivation tree, and a copy is derived from the original, so a revocation by the
    /// handle's server reaches it either way.
    pub fn place_given(&mut self, k: &mut Kernel, slot: Word, copy: bool) -> Result<Word, KernelError> {
        let (cnode, depth) = (self.cnode.cap, CNODE_RADIX);
        let place = |k: &mut Kernel, at: Word| match copy {
            true => k.ipc.cnode_copy(cnode, at, depth, init::CNODE, slot, 64, CapRights::WRITE_GRANT),
            false => k.ipc.cnode_move(cnode, at, depth, init::CNODE, slot, 64),
        };
        // First a slot never used; then one given before whose handle is gone, which only
        // the kernel knows: it refuses a full one (and a debug kernel says so on the console,
        // slowly, which is why never-used slots go first).
        if let Some(at) = self.free_root_slot() {
            place(k, at).map_err(|e| KernelError::Sel4("placing a given cap", e))?;
            self.given_slots.push(at);
            return Ok(at);
        }
        self.given_slots.iter().copied().find(|at| place(k, *at).is_ok()).ok_or(KernelError::OutOfSlots)
    }

    /// Keeps a slot of the root's range in this process's CSpace for a gift that is yet to
    /// come (its server has not granted it yet): a placeholder, an endpoint cap with no
    /// rights, fills it until [`Process::fill_given`] or [`Process::clear_given`]. A gift
    /// then always has somewhere to go once its server has granted it.
    pub fn reserve_given(&mut self, k: &mut Kernel, endpoint: sel4::Cap<sel4::Endpoint>) -> Result<Word, KernelError> {
        let placeholder = k.mint(endpoint, CapRights::NONE, 0)?;
        match self.place_given(k, placeholder.bits(), false) {
            Ok(at) => {
                k.slots.free(placeholder.bits());
                Ok(at)
            }
            Err(e) => {
                let _ = k.delete_cap(placeholder.bits());
                Err(e)
            }
        }
    }

    /// Moves the capability in the root's `slot` into given slot `at`, which
    /// [`Process::reserve_given`] kept.
    pub fn fill_given(&mut self, k: &mut Kernel, at: Word, slot: Word) -> Result<(), KernelError> {
        self.clear_given(k, at)?;
        let (cnode, depth) = (self.cnode.cap, CNODE_RADIX);
        k.ipc
            .cnode_move(cnode, at, depth, init::CNODE, slot, 64)
            .map_err(|e| KernelError::Sel4("placing a given cap", e))
    }

    /// Empties given slot `at` (its gift did not come; it may take another).
    pub fn clear_given(&mut self, k: &mut Kernel, at: Word) -> Result<(), KernelError> {
        k.ipc.cnode_delete(self.cnode.cap, at, CNODE_RADIX).map_err(|e| KernelError::Sel4("cnode_delete (given)", e))
    }

    /// Whether `slot` is one a handle given to this process went to.
    pub fn holds_given(&self, slot: Word) -> bool {
        self.given_slots.contains(&slot)
    }

    /// Gives back a slot [`Process::bind`] used (its CPU is deleted).
    pub fn unbind(&mut self, k: &mut Kernel, slot: Word) -> Result<(), KernelError> {
        k.ipc
            .cnode_delete(self.cnode.cap, slot, CNODE_RADIX)
            .map_err(|e| KernelError::Sel4("cnode_delete (cpu)", e))?;
        self.thread_slots.retain(|s| *s != slot);
        Ok(())
    }

    /// Stops and deletes a thread of this process, unmapping its pages.
    pub fn delete_thread(&mut self, k: &mut Kernel, t: Thread) -> Result<(), KernelError> {
        k.destroy(t.tcb)?;
        for (frame, at) in t.frames {
            self.vspace.unmap(k, frame.cap, at)?;
            k.destroy(frame)?;
        }
        k.ipc
            .cnode_delete(self.cnode.cap, t.slot, CNODE_RADIX)
            .map_err(|e| KernelError::Sel4("cnode_delete (thread)", e))?;
        self.thread_slots.retain(|s| *s != t.slot);
        Ok(())
    }

    /// Maps copies of `frames` (a connection's shared buffer, owned by the caller) from `va`.
    pub fn map_shared(&mut self, k: &mut Kernel, frames: &[sel4::Cap<Page>], va: Word) -> Result<(), KernelError> {
        for (i, frame) in frames.iter().enumerate() {
            let copy = k.mint(*frame, CapRights::READ_WRITE, 0)?;
            let at = va + i as Word * 4096;
            if let Err(e) = self.vspace.map(k, copy, at, CapRights::READ_WRITE) {
                k.delete_cap(copy.bits())?;
                return Err(e);
            }
            self.shared.push((copy, at));
        }
        Ok(())
    }

    /// If the process is waiting in a `seL4_Call` through one of `slots` (queued at the
    /// server or waiting for its reply), makes that call return `status` as its reply label
    /// and nothing else, and lets it run on ([`crate::thread::release_call`]). Returns
    /// whether it was waiting there.
    pub fn release_call(&self, k: &mut Kernel, slots: &[Word], status: Word) -> Result<bool, KernelError> {
        crate::thread::release_call(k.ipc, self.tcb.cap, Some(slots), status)
            .map_err(|e| KernelError::Sel4("releasing a call", e))
    }

    /// Puts a copy of `src` (a cap in the root's CSpace) with Write+Grant and `badge` in
    /// `slot` of the process's CSpace (emptied first).
    pub fn install(
        &self,
        k: &mut Kernel,
        slot: Word,
        src: sel4::Cap<Endpoint>,
        badge: Word,
    ) -> Result<(), KernelError> {
        let (cnode, depth) = (self.cnode.cap, CNODE_RADIX);
        k.ipc.cnode_delete(cnode, slot, depth).map_err(|e| KernelError::Sel4("cnode_delete (child)", e))?;
        k.ipc
            .cnode_mint(cnode, slot, depth, init::CNODE, src.bits(), 64, CapRights::WRITE_GRANT, badge)
            .map_err(|e| KernelError::Sel4("cnode_mint (child)", e))
    }

    /// Every range the root mapped (or keeps unmapped as a guard) in the process: start and
    /// pages. The memory server keeps regions it reserves clear of them.
    pub fn mapped_ranges(&self) -> impl Iterator<Item = (Word, u64)> + '_ {
        let stack_guard = self.regions.iter().filter(|r| r.kind == "STACK").map(|r| (r.va - 4096, 1));
        self.regions
            .iter()
            .map(|r| (r.va, r.pages))
            .chain(stack_guard)
            .chain(self.shared.iter().map(|(_, va)| (*va, 1)))
    }

    /// Maps `frame` (a copy the caller owns) at `va` of the process's address space.
    pub fn map_frame(
        &mut self,
        k: &mut Kernel,
        frame: sel4::Cap<Page>,
        va: Word,
        rights: CapRights,
    ) -> Result<(), KernelError> {
        self.vspace.map(k, frame, va, rights)
    }

    /// Unmaps `frame` from `va` (tables left empty are deleted).
    pub fn unmap_frame(&mut self, k: &mut Kernel, frame: sel4::Cap<Page>, va: Word) -> Result<(), KernelError> {
        self.vspace.unmap(k, frame, va)
    }

    /// Stops the process and gives back everything it used.
    pub fn delete(mut self, k: &mut Kernel) -> Result<(), KernelError> {
        k.destroy(self.tcb)?;
        for (copy, va) in core::mem::take(&mut self.shared) {
            self.vspace.unmap(k, copy, va)?;
            k.delete_cap(copy.bits())?;
        }
        for (frame, va) in core::mem::take(&mut self.frames) {
            self.vspace.unmap(k, frame.cap, va)?;
            k.destroy(frame)?;
        }
        k.destroy(self.cnode)?;
        k.destroy(self.pml4)
    }
}
