//! The root's `memory` server (idl/memory.idl): address spaces (a component's own, or new
//! ones), regions reserved in them, memory objects of fresh frames charged to the caller's
//! budget, and attaching one to the other (real mappings). The generated service checks
//! every handle (holder, type, staleness) and keeps the handles; this file is the logic,
//! and it keeps the root's part of the model ([`cellulos_keeper`]) in step.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use cellulos::interfaces::memory::{
    resources::{MO, VMR},
    spaces::ADS,
    MemoryError, MemoryServer, MoInfo, RegionInfo, RegionKind, Rights,
};
use cellulos::runtime::server::{Held, New, ObjectId};
use cellulos::runtime::Badge;
use cellulos_keeper::{Keeper, MoId, PdId, Region};
use osmosis::{NodeIdx, Perms};
use sel4::{init, CapRights, Page, Pml4, Word};

use super::pages::{within_budget, Pages};
use super::serve::RootClient;
use super::table::Table;
use crate::kernel::{Kernel, Object};
use crate::process::Process;
use crate::vspace::VSpace;

/// Where regions go when the caller names no address: above every component's image.
const FREE_WINDOW: (Word, Word) = (0x1_0000_0000, 0x2_0000_0000);
/// The lowest and highest user addresses a region may cover (the canonical lower half).
const USER_RANGE: (Word, Word) = (0x1000, 0x7fff_ffff_f000);
/// The largest region or memory object, in pages (64 MiB).
const MAX_PAGES: u32 = 16 * 1024;

/// An address space the server knows.
enum Ads {
    /// A component's own (its instance), as its process maps it.
    Own(usize),
    /// One made by `create_ads`: a PML4 of its own, held by `holder` (an instance).
    New { pml4: Object<Pml4>, vspace: VSpace, node: NodeIdx, holder: usize },
}

/// An address space a handle names, for the CPU server: a component's own (its instance)
/// or one made by `create_ads` (its PML4).
pub enum Space {
    Own(usize),
    New(sel4::Cap<Pml4>),
}

/// The frame caps a region maps and where: a frame's own cap (its index in the memory
/// object) the first time it is mapped, a copy otherwise (a cap maps one place).
type Mapped = Vec<(sel4::Cap<Page>, Word, Option<usize>)>;

/// A reserved region.
struct Reserved {
    ads: usize,
    va: Word,
    pages: u32,
    kind: RegionKind,
    node: NodeIdx,
    /// The memory object behind it, from which page, and the frame caps mapped here.
    attached: Option<(usize, u32, Mapped)>,
}

/// A memory object: fresh frames, charged to an instance.
struct Memory {
    frames: Vec<Object<Page>>,
    /// Which frames' own caps are mapped (by a region: mapping it again takes a copy).
    mapped: Vec<bool>,
    owner: usize,
    node: MoId,
    paddr: Word,
}

impl Memory {
    /// `n` of its frames from `from`.
    fn frames_from(&self, from: usize, n: usize) -> Vec<Frame> {
        let frames = self.frames.iter().zip(&self.mapped).skip(from).take(n);
        frames.map(|(f, mapped)| Frame { cap: f.cap, mapped: *mapped }).collect()
    }
}

/// A memory object's frame: its own cap, and whether that cap is mapped (by a region).
#[derive(Clone, Copy)]
pub struct Frame {
    pub cap: sel4::Cap<Page>,
    pub mapped: bool,
}

/// Copies frame `from` into frame `to` through the root's scratch pages. A frame cap maps
/// one place: one that maps a region already goes there as a copy, minted for the while.
pub fn copy_frame(k: &mut Kernel, vs: &mut VSpace, from: Frame, to: Frame) -> Result<(), crate::KernelError> {
    let view = |k: &mut Kernel, f: Frame| match f.mapped {
        true => k.mint(f.cap, CapRights::READ_WRITE, 0).map(|c| (c, true)),
        false => Ok((f.cap, false)),
    };
    let src = view(k, from)?;
    let dst = match view(k, to) {
        Ok(d) => d,
        Err(e) => {
            if src.1 {
                let _ = k.delete_cap(src.0.bits());
            }
            return Err(e);
        }
    };
    let copied = crate::process::copy_frame(k, vs, src.0, dst.0);
    for (cap, minted) in [src, dst] {
        if minted {
            let _ = k.delete_cap(cap.bits());
        }
    }
    copied
}

/// The server's state (the root keeps it between calls).
#[derive(Default)]
pub struct MemoryState {
    spaces: Table<Ads>,
    regions: Table<Reserved>,
    mos: Table<Memory>,
    /// The book's MO space (every memory object lives in it).
    pub physical: ObjectId,
    /// Instances that asked for their own space already.
    owned: Vec<usize>,
    /// Pages of memory objects by instance (what its budget is charged).
    charged: Pages,
    /// Where each region lies, by address space and first address: its end (regions of a
    /// space never overlap, so a range's clash is found without a scan).
    placed: BTreeMap<(usize, Word), Word>,
}

/// A region as another of the root's servers may use it (the PD server's `share_region`).
pub struct Backed {
    /// Its address (its pages: `frames.len()`).
    pub va: Word,
    /// Its kind.
    pub kind: RegionKind,
    /// The frames behind it (the memory object's own caps, from the region's offset), and
    /// whether each of those caps is mapped.
    pub frames: Vec<Frame>,
    /// The memory object in the model.
    pub mo: MoId,
}

impl MemoryState {
    /// Ends the handles to address spaces, regions and memory objects that ended and frees
    /// their keys ([`Table::settle`]).
    pub fn settle(&mut self, book: &mut cellulos::runtime::Book, revoked: &mut Vec<Badge>) {
        use cellulos::interfaces::memory::{resources, spaces};
        self.spaces.settle::<spaces::ADS>(book, revoked);
        self.regions.settle::<resources::VMR>(book, revoked);
        self.mos.settle::<resources::MO>(book, revoked);
    }

    /// The attached region behind handle `badge` of `book` (the memory server's), if one of
    /// `holders` (an instance's connection badges) holds it.
    pub fn backed(&self, book: &cellulos::runtime::Book, badge: Badge, holders: &[Badge]) -> Option<Backed> {
        let (_, object) = holders.iter().find_map(|h| book.resolve(badge, *h, "VMR").ok())?;
        let r = self.regions.get(object.key as usize)?;
        let (mo, offset, _) = r.attached.as_ref()?;
        let m = self.mos.get(*mo)?;
        let frames = m.frames_from(*offset as usize, r.pages as usize);
        Some(Backed { va: r.va, kind: r.kind, frames, mo: m.node })
    }

    /// The address space handle `badge` of `book` names, if one of `holders` holds it (the
    /// CPU server's `bind`).
    pub fn space_of(&self, book: &cellulos::runtime::Book, badge: Badge, holders: &[Badge]) -> Option<Space> {
        let (_, object) = holders.iter().find_map(|h| book.resolve(badge, *h, "ADS").ok())?;
        match self.spaces.get(object.key as usize)? {
            Ads::Own(i) => Some(Space::Own(*i)),
            Ads::New { pml4, .. } => Some(Space::New(pml4.cap)),
        }
    }

    /// How many places for address spaces, regions and memory objects there are.
    #[cfg_attr(not(feature = "tests"), allow(dead_code))]
    pub fn places(&self) -> usize {
        self.spaces.places() + self.regions.places() + self.mos.places()
    }

    /// Pages instance `i` has allocated through the memory server.
    pub fn charged_to(&self, i: usize) -> u64 {
        self.charged.of(i)
    }

    /// Adds region `r`.
    fn add_region(&mut self, r: Reserved) -> u64 {
        self.placed.insert((r.ads, r.va), r.va + Word::from(r.pages) * 4096);
        self.regions.add(r)
    }

    /// Ends region `key`.
    fn take_region(&mut self, key: usize) -> Option<Reserved> {
        let r = self.regions.take(key)?;
        self.placed.remove(&(r.ads, r.va));
        Some(r)
    }
}

/// What a call may touch, borrowed from the running system for one call.
pub struct MemoryCtx<'a> {
    pub k: &'a mut Kernel,
    pub vs: &'a mut VSpace,
    /// The PD server's state: copies it made (counted against budgets) and memory objects
    /// it mapped into other processes (not to be freed).
    pub made: &'a super::pds::PdState,
    /// The CPU server's state: CPUs that run in an address space made here.
    pub cpus: &'a super::cpus::CpuState,
    pub processes: &'a mut [(String, Option<Process>, bool)],
    pub keeper: &'a mut Keeper,
    pub pds: &'a [PdId],
    pub budgets: &'a [u32],
    pub clients: &'a [RootClient],
    pub st: &'a mut MemoryState,
}

/// CellulOS's name for a region kind.
pub fn kind_name(kind: RegionKind) -> &'static str {
    match kind {
        RegionKind::ElfCode => "ELF_CODE",
        RegionKind::ElfData => "ELF_DATA",
        RegionKind::Stack => "STACK",
        RegionKind::Heap => "HEAP",
        RegionKind::IpcBuffer => "IPC_BUF",
        RegionKind::SharedFrames => "SHARED_FRAMES",
        RegionKind::Generic => "GENERIC",
        RegionKind::Device => "DEVICE",
    }
}

fn perms(r: &Rights) -> Perms {
    let mut p = Perms::NONE;
    for (on, bit) in [(r.read, Perms::READ), (r.write, Perms::WRITE), (r.execute, Perms::EXECUTE)] {
        if on {
            p = p | bit;
        }
    }
    p
}

impl MemoryCtx<'_> {
    /// The instance behind a connection badge.
    fn caller(&self, badge: Badge) -> Result<usize, MemoryError> {
        super::serve::instance_of(self.clients, badge).ok_or(MemoryError::BadAddress)
    }

    fn region(&mut self, key: u64) -> Result<&mut Reserved, MemoryError> {
        self.st.regions.get_mut(key as usize).ok_or(MemoryError::BadAddress)
    }

    /// Whether `[va, va + pages)` is free in address space `ads`: no region reserved there,
    /// and for a component's own space nothing the root mapped (image, stack, buffers).
    fn is_free(&self, ads: usize, va: Word, pages: u32) -> bool {
        self.clash_end(ads, va, pages).is_none()
    }

    /// Where what is in the way of `[va, va + pages)` in address space `ads` ends, if
    /// anything is.
    fn clash_end(&self, ads: usize, va: Word, pages: u32) -> Option<Word> {
        let end = va + Word::from(pages) * 4096;
        // The last region starting below `end`: the only one that can reach into the range.
        if let Some((_, region_end)) = self.st.placed.range((ads, 0)..(ads, end)).next_back() {
            if *region_end > va {
                return Some(*region_end);
            }
        }
        match self.st.spaces.get(ads) {
            Some(Ads::Own(i)) => {
                let p = self.processes.get(*i).and_then(|(_, p, _)| p.as_ref())?;
                let clashing = p.mapped_ranges().filter(|(start, n)| *start < end && va < start + n * 4096);
                clashing.map(|(start, n)| start + n * 4096).max()
            }
            _ => None,
        }
    }

    /// Maps the frames of `mo` from `offset` at region `key`'s address: each frame's own
    /// cap if it maps nothing yet, else a copy (a mint: the kernel work the memory object's
    /// first region saves).
    fn map(&mut self, key: u64, mo: usize, offset: u32, rights: &Rights) -> Result<(), MemoryError> {
        let (ads, va, pages) = {
            let r = self.region(key)?;
            if r.attached.is_some() {
                return Err(MemoryError::AlreadyAttached);
            }
            (r.ads, r.va, r.pages)
        };
        let from = offset as usize;
        let frames = {
            let m = self.st.mos.get(mo).ok_or(MemoryError::BadAddress)?;
            if from + pages as usize > m.frames.len() {
                return Err(MemoryError::BadSize);
            }
            m.frames_from(from, pages as usize)
        };
        let cap_rights = if rights.write { CapRights::READ_WRITE } else { CapRights::READ };
        let mut copies = Vec::new();
        let mut result = Ok(());
        for (n, frame) in frames.iter().enumerate() {
            let at = va + n as Word * 4096;
            let (copy, own) = match frame.mapped {
                false => (frame.cap, Some(from + n)),
                true => match self.k.mint(frame.cap, CapRights::READ_WRITE, 0) {
                    Ok(c) => (c, None),
                    Err(_) => {
                        result = Err(MemoryError::NoMemory);
                        break;
                    }
                },
            };
            let mapped = match self.st.spaces.get_mut(ads) {
                Some(Ads::Own(i)) => match self.processes.get_mut(*i).and_then(|(_, p, _)| p.as_mut()) {
                    Some(p) => p.map_frame(self.k, copy, at, cap_rights),
                    None => Err(crate::KernelError::Sel4("map: process gone", sel4::Error::InvalidArgument)),
                },
                Some(Ads::New { vspace, .. }) => vspace.map(self.k, copy, at, cap_rights),
                None => Err(crate::KernelError::Sel4("map: no space", sel4::Error::InvalidArgument)),
            };
            if mapped.is_err() {
                if own.is_none() {
                    let _ = self.k.delete_cap(copy.bits());
                }
                result = Err(MemoryError::NoMemory);
                break;
            }
            copies.push((copy, at, own));
            if let (Some(f), Some(m)) = (own, self.st.mos.get_mut(mo)) {
                m.mapped[f] = true;
            }
        }
        if let Err(e) = result {
            self.unmap_copies(ads, mo, copies);
            return Err(e);
        }
        self.region(key)?.attached = Some((mo, offset, copies));
        Ok(())
    }

    /// Unmaps what a region of address space `ads` mapped of memory object `mo`: copies
    /// are deleted, the memory object's own caps may map again.
    fn unmap_copies(&mut self, ads: usize, mo: usize, copies: Mapped) {
        for (copy, at, own) in copies {
            let unmapped = match self.st.spaces.get_mut(ads) {
                Some(Ads::Own(i)) => match self.processes.get_mut(*i).and_then(|(_, p, _)| p.as_mut()) {
                    Some(p) => p.unmap_frame(self.k, copy, at),
                    None => Err(crate::KernelError::Sel4("unmap: process gone", sel4::Error::InvalidArgument)),
                },
                Some(Ads::New { vspace, .. }) => vspace.unmap(self.k, copy, at),
                None => Err(crate::KernelError::Sel4("unmap: no space", sel4::Error::InvalidArgument)),
            };
            match own {
                None => {
                    let _ = self.k.delete_cap(copy.bits());
                }
                Some(f) => {
                    if unmapped.is_err() {
                        // Its space went first: the cap still names the mapping, which
                        // the kernel clears (and finds gone).
                        let _ = self.k.ipc.page_unmap(copy);
                    }
                    if let Some(m) = self.st.mos.get_mut(mo) {
                        m.mapped[f] = false;
                    }
                }
            }
        }
    }

    fn mo_of(&self, key: u64) -> Result<&Memory, MemoryError> {
        self.st.mos.get(key as usize).ok_or(MemoryError::BadAddress)
    }
}

impl MemoryServer for MemoryCtx<'_> {
    fn own_ads(&mut self, caller: Badge) -> Result<New<ADS>, MemoryError> {
        let i = self.caller(caller)?;
        if self.st.owned.contains(&i) {
            return Err(MemoryError::AlreadyHeld);
        }
        self.st.owned.push(i);
        Ok(New::object(self.st.spaces.add(Ads::Own(i))))
    }

    fn create_ads(&mut self, caller: Badge) -> Result<New<ADS>, MemoryError> {
        let i = self.caller(caller)?;
        let pml4 = self.k.create::<Pml4>().map_err(|_| MemoryError::NoMemory)?;
        if self.k.ipc.asid_pool_assign(init::ASID_POOL, pml4.cap.cast()).is_err() {
            let _ = self.k.destroy(pml4);
            return Err(MemoryError::NoMemory);
        }
        let node = match self.keeper.new_ads(self.pds[i]) {
            Ok(n) => n,
            Err(_) => {
                let _ = self.k.destroy(pml4);
                return Err(MemoryError::NoMemory);
            }
        };
        let vspace = VSpace::new(pml4.cap);
        Ok(New::object(self.st.spaces.add(Ads::New { pml4, vspace, node, holder: i })))
    }

    fn destroy_ads(&mut self, _caller: Badge, ads: Held<ADS>) -> Result<(), MemoryError> {
        let key = ads.key as usize;
        match self.st.spaces.get(key) {
            // A CPU runs in it: destroy the CPU first.
            Some(Ads::New { pml4, .. }) if self.cpus.runs_in(pml4.cap) => return Err(MemoryError::InUse),
            Some(Ads::New { .. }) => {}
            // A component's own space ends with the component, not by request.
            _ => return Err(MemoryError::InUse),
        }
        let regions = self.st.regions.keys_where(|x| x.ads == key);
        for r in regions {
            self.remove_region(r);
        }
        if let Some(Ads::New { pml4, node, .. }) = self.st.spaces.take(key) {
            self.keeper.remove_node(node);
            let _ = self.k.destroy(pml4);
        }
        Ok(())
    }

    fn reserve(
        &mut self,
        caller: Badge,
        ads: Held<ADS>,
        vaddr: Option<u64>,
        pages: u32,
        kind: RegionKind,
    ) -> Result<New<VMR>, MemoryError> {
        let i = self.caller(caller)?;
        if pages == 0 || pages > MAX_PAGES {
            return Err(MemoryError::BadSize);
        }
        let key = ads.key as usize;
        let bytes = Word::from(pages) * 4096;
        let va = match vaddr {
            Some(va) => {
                if va % 4096 != 0 || va < USER_RANGE.0 || va.checked_add(bytes).is_none_or(|end| end > USER_RANGE.1) {
                    return Err(MemoryError::BadAddress);
                }
                if !self.is_free(key, va, pages) {
                    return Err(MemoryError::Overlap);
                }
                va
            }
            None => {
                // The first MiB boundary where it fits: past whatever is in the way.
                let mut at = FREE_WINDOW.0;
                while at + bytes <= FREE_WINDOW.1 {
                    match self.clash_end(key, at, pages) {
                        None => break,
                        Some(end) => at = end.max(at + 1).next_multiple_of(0x10_0000),
                    }
                }
                if at + bytes > FREE_WINDOW.1 {
                    return Err(MemoryError::NoMemory);
                }
                at
            }
        };
        let ads_node = match self.st.spaces.get(key) {
            Some(Ads::Own(owner)) => self.keeper.ads_of(self.pds[*owner]).map_err(|_| MemoryError::BadAddress)?,
            Some(Ads::New { node, .. }) => *node,
            None => return Err(MemoryError::BadAddress),
        };
        let region = Region { va, pages: u64::from(pages), kind: kind_name(kind), perms: Perms::READ | Perms::WRITE };
        let node = self.keeper.reserve(self.pds[i], ads_node, &region).map_err(|_| MemoryError::NoMemory)?;
        Ok(New::resource(self.st.add_region(Reserved { ads: key, va, pages, kind, node, attached: None }), ads.id))
    }

    fn allocate(&mut self, caller: Badge, pages: u32, page_bits: u8) -> Result<New<MO>, MemoryError> {
        let i = self.caller(caller)?;
        if page_bits != 12 || pages == 0 || pages > MAX_PAGES {
            return Err(MemoryError::BadSize);
        }
        if !within_budget(self.budgets, self.st, self.made, i, u64::from(pages)) {
            return Err(MemoryError::NoMemory);
        }
        let mut frames = Vec::new();
        for _ in 0..pages {
            match self.k.create::<Page>() {
                Ok(f) => frames.push(f),
                Err(_) => {
                    for f in frames {
                        let _ = self.k.destroy(f);
                    }
                    return Err(MemoryError::NoMemory);
                }
            }
        }
        let paddr = frames.first().map_or(0, |f| self.k.paddr(f));
        let node = match self.keeper.allocate(self.pds[i], u64::from(pages), paddr) {
            Ok(n) => n,
            Err(_) => {
                for f in frames {
                    let _ = self.k.destroy(f);
                }
                return Err(MemoryError::NoMemory);
            }
        };
        let mapped = alloc::vec![false; frames.len()];
        self.st.charged.add(i, u64::from(pages));
        Ok(New::resource(self.st.mos.add(Memory { frames, mapped, owner: i, node, paddr }), self.st.physical))
    }

    fn attach(
        &mut self,
        _caller: Badge,
        vmr: Held<VMR>,
        mo: Held<MO>,
        offset: u32,
        rights: Rights,
    ) -> Result<(), MemoryError> {
        self.map(vmr.key, mo.key as usize, offset, &rights)?;
        let (vmr_node, mo_node) = (self.region(vmr.key)?.node, self.mo_of(mo.key)?.node);
        self.keeper.attach(vmr_node, mo_node, perms(&rights)).map_err(|_| MemoryError::NoMemory)
    }

    fn reserve_attached(
        &mut self,
        caller: Badge,
        ads: Held<ADS>,
        vaddr: Option<u64>,
        mo: Held<MO>,
        kind: RegionKind,
        rights: Rights,
    ) -> Result<New<VMR>, MemoryError> {
        let pages = u32::try_from(self.mo_of(mo.key)?.frames.len()).map_err(|_| MemoryError::BadSize)?;
        let new = self.reserve(caller, ads, vaddr, pages, kind)?;
        let attached = self.map(new.key, mo.key as usize, 0, &rights).and_then(|()| {
            let (vmr_node, mo_node) = (self.region(new.key)?.node, self.mo_of(mo.key)?.node);
            self.keeper.attach(vmr_node, mo_node, perms(&rights)).map_err(|_| MemoryError::NoMemory)
        });
        if let Err(e) = attached {
            // Nothing else changes: the region goes again (the generated code records the
            // new object only on success).
            self.remove_region(new.key as usize);
            return Err(e);
        }
        Ok(new)
    }

    fn detach(&mut self, _caller: Badge, vmr: Held<VMR>) -> Result<(), MemoryError> {
        let r = self.region(vmr.key)?;
        let (ads, node) = (r.ads, r.node);
        let (mo, _, copies) = r.attached.take().ok_or(MemoryError::NotAttached)?;
        self.unmap_copies(ads, mo, copies);
        self.keeper.detach(node);
        Ok(())
    }

    fn remove(&mut self, _caller: Badge, vmr: Held<VMR>) -> Result<(), MemoryError> {
        self.region(vmr.key)?;
        self.remove_region(vmr.key as usize);
        Ok(())
    }

    fn free(&mut self, _caller: Badge, mo: Held<MO>) -> Result<(), MemoryError> {
        let key = mo.key as usize;
        self.mo_of(mo.key)?;
        if self.st.regions.values().any(|r| r.attached.as_ref().is_some_and(|(m, _, _)| *m == key)) {
            return Err(MemoryError::InUse);
        }
        if self.made.shares(self.mo_of(mo.key)?.node) {
            return Err(MemoryError::InUse);
        }
        self.free_mo(key);
        Ok(())
    }

    fn region_info(&mut self, _caller: Badge, vmr: Held<VMR>) -> Result<RegionInfo, MemoryError> {
        let r = self.region(vmr.key)?;
        Ok(RegionInfo { vaddr: r.va, pages: r.pages, page_bits: 12, kind: r.kind, attached: r.attached.is_some() })
    }

    fn mo_info(&mut self, _caller: Badge, mo: Held<MO>) -> Result<MoInfo, MemoryError> {
        let m = self.mo_of(mo.key)?;
        let pages = u32::try_from(m.frames.len()).map_err(|_| MemoryError::BadSize)?;
        Ok(MoInfo { paddr: m.paddr, pages, page_bits: 12 })
    }

    fn copy(&mut self, _caller: Badge, from: Held<VMR>, to: Held<VMR>) -> Result<(), MemoryError> {
        // The memory objects' own frame caps.
        let frames = |ctx: &mut Self, key: u64| -> Result<Vec<Frame>, MemoryError> {
            let (mo, offset, n) = {
                let r = ctx.region(key)?;
                let (mo, offset, _) = r.attached.as_ref().ok_or(MemoryError::NotAttached)?;
                (*mo, *offset as usize, r.pages as usize)
            };
            let m = ctx.st.mos.get(mo).ok_or(MemoryError::NotAttached)?;
            Ok(m.frames_from(offset, n))
        };
        let (src, dst) = (frames(self, from.key)?, frames(self, to.key)?);
        if dst.len() < src.len() {
            return Err(MemoryError::BadSize);
        }
        for (s, d) in src.iter().zip(&dst) {
            if s.cap != d.cap {
                copy_frame(self.k, self.vs, *s, *d).map_err(|_| MemoryError::NoMemory)?;
            }
        }
        Ok(())
    }

    fn map_to_physical(
        &mut self,
        _caller: Badge,
        ads: Held<ADS>,
        _memory: Held<cellulos::interfaces::memory::spaces::MO>,
    ) -> Result<(), MemoryError> {
        // Every address space the root makes translates to physical memory already (the
        // keeper records ADS -> MO space for each): nothing to add.
        self.st.spaces.get(ads.key as usize).map(|_| ()).ok_or(MemoryError::BadAddress)
    }
}

impl MemoryCtx<'_> {
    /// Removes region `key`: unmapped first if attached.
    fn remove_region(&mut self, key: usize) {
        let Some(r) = self.st.take_region(key) else { return };
        if let Some((mo, _, copies)) = r.attached {
            self.unmap_copies(r.ads, mo, copies);
        }
        self.keeper.remove_node(r.node);
    }

    /// Gives memory object `key`'s frames back.
    fn free_mo(&mut self, key: usize) {
        let Some(m) = self.st.mos.take(key) else { return };
        self.st.charged.sub(m.owner, m.frames.len() as u64);
        self.keeper.remove_mo(m.node);
        for f in m.frames {
            let _ = self.k.destroy(f);
        }
    }

    /// Instance `i` is going (its process still runs, or is stopped but not deleted): its
    /// regions are unmapped and go, its memory objects are freed (unmapped first wherever
    /// they are attached), and the address spaces it made are deleted.
    pub fn release_instance(&mut self, i: usize) {
        let spaces = self.st.spaces.keys_where(|s| match s {
            Ads::Own(x) => *x == i,
            Ads::New { holder, .. } => *holder == i,
        });
        let mos = self.st.mos.keys_where(|x| x.owner == i);
        let regions = self
            .st
            .regions
            .keys_where(|x| spaces.contains(&x.ads) || x.attached.as_ref().is_some_and(|(m, _, _)| mos.contains(m)));
        for r in regions {
            self.remove_region(r);
        }
        for m in mos {
            self.free_mo(m);
        }
        for s in spaces {
            if let Some(Ads::New { pml4, node, .. }) = self.st.spaces.take(s) {
                self.keeper.remove_node(node);
                let _ = self.k.destroy(pml4);
            }
        }
        self.st.owned.retain(|x| *x != i);
    }
}
