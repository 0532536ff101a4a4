//! The live OSmosis model the root task keeps (docs/architecture.md, "The model: who
//! records what"): every PD, its address space (ADS) and regions (VMRs), the memory objects
//! (MOs) behind them, its CPU (a VCPU mapped onto the one PCPU of this single-core kernel),
//! and the REQUEST edges of its connections. Servers keep their own parts (generated code); [`Keeper::extract`] merges
//! those in. `no_std`: the root task runs it, and host tests check it.
//!
//! Node ids follow CellulOS (`PD_<n>`, `<TYPE>_SPACE_<space>`, `<TYPE>_<space>_<n>`, numbers
//! in hex), and so do the attributes CellulOS writes: a VMR's address, kind and pages, an
//! MO's physical address and pages.
#![no_std]

extern crate alloc;

mod error;
mod ids;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use cellulos_runtime::server::{merge, Book, Fragment};
use cellulos_runtime::{Badge, Cap};
use osmosis::{EdgeKind, Model, ModelError, Node, NodeIdx, Perms, Value};

pub use error::KeeperError;

/// A PD the keeper knows: `PD_<n>`, 0 is the root task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PdId(pub u32);

/// The root task's PD.
pub const ROOT: PdId = PdId(0);

/// A memory object (to share: map it into a second region).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoId(NodeIdx);

/// A region of an address space, as the root maps it.
#[derive(Clone, Copy, Debug)]
pub struct Region {
    /// Its first virtual address.
    pub va: u64,
    /// 4 KiB pages.
    pub pages: u64,
    /// What it is, in CellulOS's words: `ELF_CODE`, `ELF_DATA`, `STACK`, `IPC_BUF`,
    /// `SHARED_FRAMES`, ... (the root's own words: the model borrows them)
    pub kind: &'static str,
    /// How the PD may access it.
    pub perms: Perms,
}

/// A resource space and the number of its next resource.
#[derive(Clone, Debug)]
struct Space {
    node: NodeIdx,
    number: u32,
    next: u32,
}

#[derive(Clone, Debug)]
struct Pd {
    node: NodeIdx,
    ads: Space,
    /// Whose address space it is: itself (a process) or its parent (a thread).
    ads_owner: PdId,
    vcpu: NodeIdx,
    /// Each region's VMR, and its MO when the MO ends with the PD.
    regions: Vec<(u64, NodeIdx, Option<NodeIdx>)>,
    /// The server id its clients' caps name (0: not a server).
    server_id: u32,
    /// The badge the root's calls to it carry (for `export_model`).
    root_badge: Badge,
    /// The threads that share its address space (on the address space's owner): they
    /// hold every region added to it.
    sharers: Vec<PdId>,
}

/// A server's part of the model, as the root collects it for [`Keeper::extract`].
#[derive(Clone, Copy)]
pub struct ServerPart<'a> {
    /// The server.
    pub pd: PdId,
    /// Its book, as its `export_model` answered.
    pub book: &'a Book,
    /// Its IDL's resource-type -> space-type table.
    pub types: &'a [(&'a str, &'a str)],
}

/// A static or run-time connection: `client` calls `server` with `badge`.
#[derive(Clone, Copy, Debug)]
struct Connection {
    client: PdId,
    server: PdId,
    badge: Badge,
}

/// The root's part of the model, and what it needs to name the holders in servers' parts.
pub struct Keeper {
    model: Model,
    next_space: u32,
    mo: Space,
    vcpus: Space,
    pcpu: NodeIdx,
    pds: Vec<Option<Pd>>,
    connections: Vec<Connection>,
    /// Address spaces made on request (not a process's own).
    spaces: Vec<Space>,
    /// Each live process's own address space, by node: its owner.
    process_ads: BTreeMap<NodeIdx, PdId>,
}

fn hold(m: &mut Model, from: NodeIdx, to: NodeIdx, perms: Perms) -> Result<(), ModelError> {
    m.add_edge(osmosis::Edge::new(EdgeKind::Hold, from, to).with_perms(perms)).map(|_| ())
}

fn edge(m: &mut Model, kind: EdgeKind, from: NodeIdx, to: NodeIdx) -> Result<(), ModelError> {
    m.add_edge(osmosis::Edge::new(kind, from, to)).map(|_| ())
}

impl Keeper {
    /// The root task alone: `PD_0` holding physical memory (the MO space), the VCPU space
    /// and the PCPU (space and resource) of this single-core kernel.
    pub fn new() -> Result<Keeper, KeeperError> {
        let mut model = Model::new();
        let root = model.add_node(Node::pd("PD_0", "ROOT_TASK"))?;
        let mut next_space = 1;
        let mut space = |m: &mut Model, ty: &'static str| -> Result<Space, ModelError> {
            let number = next_space;
            next_space += 1;
            let node = m.add_node(Node::space(ids::hex(&[ty, "_SPACE"], &[number]), ty))?;
            hold(m, root, node, Perms::READ | Perms::WRITE)?;
            Ok(Space { node, number, next: 1 })
        };
        let mo = space(&mut model, "MO")?;
        let vcpus = space(&mut model, "VCPU")?;
        let pcpus = space(&mut model, "PCPU")?;
        let pcpu =
            model.add_node(Node::resource(ids::hex(&["PCPU"], &[pcpus.number, 0]), "PCPU").with("core", 0u64))?;
        edge(&mut model, EdgeKind::Subset, pcpu, pcpus.node)?;
        hold(&mut model, root, pcpu, Perms::READ | Perms::WRITE)?;
        edge(&mut model, EdgeKind::Map, vcpus.node, pcpus.node)?;
        let pds = alloc::vec![Some(Pd {
            node: root,
            ads: Space { node: root, number: 0, next: 0 },
            ads_owner: ROOT,
            vcpu: root,
            regions: Vec::new(),
            server_id: 0,
            root_badge: 0,
            sharers: Vec::new(),
        })];
        Ok(Keeper {
            model,
            next_space,
            mo,
            vcpus,
            pcpu,
            pds,
            connections: Vec::new(),
            spaces: Vec::new(),
            process_ads: BTreeMap::new(),
        })
    }

    fn new_space(&mut self, ty: impl Into<osmosis::Text> + AsRef<str>) -> Result<Space, ModelError> {
        let number = self.next_space;
        self.next_space += 1;
        let node = self.model.add_node(Node::space(ids::hex(&[ty.as_ref(), "_SPACE"], &[number]), ty))?;
        Ok(Space { node, number, next: 1 })
    }

    fn pd(&self, pd: PdId) -> Result<&Pd, KeeperError> {
        self.pds.get(pd.0 as usize).and_then(Option::as_ref).ok_or(KeeperError::NoPd(pd.0))
    }

    fn pd_mut(&mut self, pd: PdId) -> Result<&mut Pd, KeeperError> {
        self.pds.get_mut(pd.0 as usize).and_then(Option::as_mut).ok_or(KeeperError::NoPd(pd.0))
    }

    /// A new PD named `name` (a process: a component instance), with a new address space
    /// and a VCPU. The root holds it (may terminate it) and its address space.
    pub fn add_pd(&mut self, name: &str) -> Result<PdId, KeeperError> {
        let ads = self.new_space("ADS")?;
        let root = self.pd(ROOT)?.node;
        hold(&mut self.model, root, ads.node, Perms::READ | Perms::WRITE)?;
        edge(&mut self.model, EdgeKind::Map, ads.node, self.mo.node)?;
        self.add_runnable(name, ads, None)
    }

    /// A new PD named `name` that shares `parent`'s address space (a thread): it holds the
    /// same ADS and every region in it, so it reaches the same virtual and physical memory.
    pub fn add_thread(&mut self, parent: PdId, name: &str) -> Result<PdId, KeeperError> {
        let ads = self.pd(parent)?.ads.clone();
        let owner = self.pd(parent)?.ads_owner;
        self.add_runnable(name, ads, Some(owner))
    }

    fn add_runnable(&mut self, name: &str, ads: Space, ads_owner: Option<PdId>) -> Result<PdId, KeeperError> {
        let id = PdId(u32::try_from(self.pds.len()).map_err(|_| ModelError::TooLarge)?);
        let node = self.model.add_node(Node::pd(ids::pd(id.0), name))?;
        let root = self.pd(ROOT)?.node;
        hold(&mut self.model, root, node, Perms::TERMINATE)?;
        hold(&mut self.model, node, ads.node, Perms::READ | Perms::WRITE)?;
        let owner = ads_owner.unwrap_or(id);
        // A thread holds what its address space already has.
        let shared: Vec<(NodeIdx, Perms)> = match ads_owner {
            Some(_) => self
                .model
                .in_edges_of(ads.node, EdgeKind::Subset)
                .map(|(_, e)| e.from)
                .map(|vmr| {
                    let perms = self.model.in_edges_of(vmr, EdgeKind::Hold).map(|(_, e)| e.perms).next();
                    (vmr, perms.unwrap_or(Perms::READ))
                })
                .collect(),
            None => Vec::new(),
        };
        for (vmr, perms) in shared {
            hold(&mut self.model, node, vmr, perms)?;
        }
        let v = self.vcpus.next;
        self.vcpus.next += 1;
        let vcpu = self.model.add_node(Node::resource(ids::hex(&["VCPU"], &[self.vcpus.number, v]), "VCPU"))?;
        edge(&mut self.model, EdgeKind::Subset, vcpu, self.vcpus.node)?;
        hold(&mut self.model, node, vcpu, Perms::READ | Perms::WRITE)?;
        edge(&mut self.model, EdgeKind::Map, vcpu, self.pcpu)?;
        let ads_node = ads.node;
        let pd = Pd {
            node,
            ads,
            ads_owner: owner,
            vcpu,
            regions: Vec::new(),
            server_id: 0,
            root_badge: 0,
            sharers: Vec::new(),
        };
        self.pds.push(Some(pd));
        match ads_owner {
            Some(owner) => self.pd_mut(owner)?.sharers.push(id),
            None => {
                self.process_ads.insert(ads_node, id);
            }
        }
        Ok(id)
    }

    /// Records that `pd` serves as server `server_id` and answers the root's `export_model`
    /// calls badged `root_badge`.
    pub fn set_server(&mut self, pd: PdId, server_id: u32, root_badge: Badge) -> Result<(), KeeperError> {
        let p = self.pd_mut(pd)?;
        (p.server_id, p.root_badge) = (server_id, root_badge);
        Ok(())
    }

    fn add_vmr(&mut self, pd: PdId, r: &Region) -> Result<NodeIdx, KeeperError> {
        if pd == ROOT {
            return Err(KeeperError::Root);
        }
        let p = self.pd(pd)?;
        let (owner, number, ads) = (p.ads_owner, p.ads.number, p.ads.node);
        // The address space's owner numbers its regions (its threads share the count).
        let o = self.pd_mut(owner)?;
        let n = o.ads.next;
        o.ads.next += 1;
        let vmr = Node::resource(ids::hex(&["VMR"], &[number, n]), "VMR")
            .with("addr", r.va)
            .with("kind", Value::Text(r.kind.into()))
            .with("pages", r.pages)
            .with("size_bits", 12u64);
        let vmr = self.model.add_node(vmr)?;
        edge(&mut self.model, EdgeKind::Subset, vmr, ads)?;
        // Every PD of this address space holds it.
        let Keeper { model, pds, .. } = self;
        let o = pds.get(owner.0 as usize).and_then(Option::as_ref).ok_or(KeeperError::NoPd(owner.0))?;
        let sharers = o.sharers.iter().filter_map(|t| pds.get(t.0 as usize)?.as_ref().map(|p| p.node));
        for h in core::iter::once(o.node).chain(sharers) {
            hold(model, h, vmr, r.perms)?;
        }
        Ok(vmr)
    }

    fn add_mo(&mut self, pages: u64, paddr: u64) -> Result<NodeIdx, KeeperError> {
        let n = self.mo.next;
        self.mo.next += 1;
        let mo = Node::resource(ids::hex(&["MO"], &[self.mo.number, n]), "MO")
            .with("paddr", paddr)
            .with("pages", pages)
            .with("size_bits", 12u64);
        let mo = self.model.add_node(mo)?;
        edge(&mut self.model, EdgeKind::Subset, mo, self.mo.node)?;
        let root = self.pd(ROOT)?.node;
        hold(&mut self.model, root, mo, Perms::READ | Perms::WRITE)?;
        Ok(mo)
    }

    /// A region of `pd`'s own memory: a VMR mapping a new MO (physical address of its first
    /// frame `paddr`) that ends with the PD.
    pub fn add_region(&mut self, pd: PdId, region: &Region, paddr: u64) -> Result<MoId, KeeperError> {
        let vmr = self.add_vmr(pd, region)?;
        let mo = self.add_mo(region.pages, paddr)?;
        edge(&mut self.model, EdgeKind::Map, vmr, mo)?;
        self.pd_mut(pd)?.regions.push((region.va, vmr, Some(mo)));
        Ok(MoId(mo))
    }

    /// Memory the root owns and several PDs map (a connection's shared buffer): an MO that
    /// outlives the PDs that map it, until [`Keeper::remove_mo`].
    pub fn add_shared_mo(&mut self, pages: u64, paddr: u64) -> Result<MoId, KeeperError> {
        self.add_mo(pages, paddr).map(MoId)
    }

    /// A region of `pd` mapping the existing `mo`.
    pub fn share_region(&mut self, pd: PdId, region: &Region, mo: MoId) -> Result<(), KeeperError> {
        let vmr = self.add_vmr(pd, region)?;
        edge(&mut self.model, EdgeKind::Map, vmr, mo.0)?;
        self.pd_mut(pd)?.regions.push((region.va, vmr, None));
        Ok(())
    }

    /// The address space node of `pd` (a process's own, or its parent's for a thread).
    pub fn ads_of(&self, pd: PdId) -> Result<NodeIdx, KeeperError> {
        if pd == ROOT {
            return Err(KeeperError::Root);
        }
        Ok(self.pd(pd)?.ads.node)
    }

    /// A new, empty address space held by `holder` (and the root, which made it); it
    /// translates to physical memory like every other.
    pub fn new_ads(&mut self, holder: PdId) -> Result<NodeIdx, KeeperError> {
        let h = self.pd(holder)?.node;
        let ads = self.new_space("ADS")?;
        let root = self.pd(ROOT)?.node;
        hold(&mut self.model, root, ads.node, Perms::READ | Perms::WRITE)?;
        hold(&mut self.model, h, ads.node, Perms::READ | Perms::WRITE)?;
        edge(&mut self.model, EdgeKind::Map, ads.node, self.mo.node)?;
        self.spaces.push(ads.clone());
        Ok(ads.node)
    }

    /// A region reserved in address space `ads` (a node from [`Keeper::ads_of`] or
    /// [`Keeper::new_ads`]), held by `holder`; nothing backs it yet.
    pub fn reserve(&mut self, holder: PdId, ads: NodeIdx, region: &Region) -> Result<NodeIdx, KeeperError> {
        let h = self.pd(holder)?.node;
        let space = self.space_mut(ads)?;
        let (number, n) = (space.number, space.next);
        space.next += 1;
        let vmr = Node::resource(ids::hex(&["VMR"], &[number, n]), "VMR")
            .with("addr", region.va)
            .with("kind", Value::Text(region.kind.into()))
            .with("pages", region.pages)
            .with("size_bits", 12u64);
        let vmr = self.model.add_node(vmr)?;
        edge(&mut self.model, EdgeKind::Subset, vmr, ads)?;
        hold(&mut self.model, h, vmr, region.perms)?;
        // Every other PD of that address space (its threads) reaches it too.
        let others: Vec<NodeIdx> =
            self.pds.iter().flatten().filter(|p| p.ads.node == ads && p.node != h).map(|p| p.node).collect();
        for o in others {
            hold(&mut self.model, o, vmr, region.perms)?;
        }
        Ok(vmr)
    }

    /// A memory object of `pages` fresh frames held by `holder`, who allocated it.
    pub fn allocate(&mut self, holder: PdId, pages: u64, paddr: u64) -> Result<MoId, KeeperError> {
        let h = self.pd(holder)?.node;
        let mo = self.add_mo(pages, paddr)?;
        hold(&mut self.model, h, mo, Perms::READ | Perms::WRITE)?;
        Ok(MoId(mo))
    }

    /// Region `vmr` is backed by `mo` (a MAP edge).
    pub fn attach(&mut self, vmr: NodeIdx, mo: MoId, _perms: Perms) -> Result<(), KeeperError> {
        edge(&mut self.model, EdgeKind::Map, vmr, mo.0)?;
        Ok(())
    }

    /// Region `vmr` is backed by nothing any longer.
    pub fn detach(&mut self, vmr: NodeIdx) {
        let maps: Vec<osmosis::EdgeIdx> = self.model.out_edges_of(vmr, EdgeKind::Map).map(|(e, _)| e).collect();
        for e in maps {
            self.model.remove_edge(e);
        }
    }

    /// A new virtual CPU held by `holder` (the CPU server's `create`); it runs nowhere until
    /// [`Keeper::pin`].
    pub fn new_vcpu(&mut self, holder: PdId) -> Result<NodeIdx, KeeperError> {
        let h = self.pd(holder)?.node;
        let v = self.vcpus.next;
        self.vcpus.next += 1;
        let vcpu = self.model.add_node(Node::resource(ids::hex(&["VCPU"], &[self.vcpus.number, v]), "VCPU"))?;
        edge(&mut self.model, EdgeKind::Subset, vcpu, self.vcpus.node)?;
        hold(&mut self.model, h, vcpu, Perms::READ | Perms::WRITE)?;
        Ok(vcpu)
    }

    /// `holder` holds the physical core (the CPU server's `claim_core`).
    pub fn claim_core(&mut self, holder: PdId) -> Result<(), KeeperError> {
        let h = self.pd(holder)?.node;
        if !self.model.out_edges_of(h, EdgeKind::Hold).any(|(_, e)| e.to == self.pcpu) {
            hold(&mut self.model, h, self.pcpu, Perms::READ)?;
        }
        Ok(())
    }

    /// Virtual CPU `vcpu` runs on the physical core (a MAP edge).
    pub fn pin(&mut self, vcpu: NodeIdx) -> Result<(), KeeperError> {
        if !self.model.out_edges_of(vcpu, EdgeKind::Map).any(|(_, e)| e.to == self.pcpu) {
            edge(&mut self.model, EdgeKind::Map, vcpu, self.pcpu)?;
        }
        Ok(())
    }

    /// A space of a type registered at run time (`space_type`, whose resources are of
    /// `resource_type`), held by `holder`, which serves it. The model's type table learns
    /// the pair. The root's own types (VMR, MO, ...) cannot be registered, nor a resource
    /// type under a second space type.
    pub fn register_space(
        &mut self,
        holder: PdId,
        resource_type: &str,
        space_type: &str,
    ) -> Result<NodeIdx, KeeperError> {
        // The root's own types are the root's; BLOCK, FILE and new ones are any server's.
        const ROOT_TYPES: [&str; 6] = ["VMR", "ADS", "MO", "VCPU", "PCPU", "PD"];
        if ROOT_TYPES.contains(&resource_type) || ROOT_TYPES.contains(&space_type) {
            return Err(KeeperError::Model(ModelError::BadType(String::from(space_type))));
        }
        let known = self.model.types.space_type_of(resource_type);
        if known != resource_type && known != space_type {
            return Err(KeeperError::Model(ModelError::BadType(String::from(resource_type))));
        }
        let h = self.pd(holder)?.node;
        let space = self.new_space(String::from(space_type))?;
        hold(&mut self.model, h, space.node, Perms::READ | Perms::WRITE)?;
        self.model.types.insert(resource_type, space_type);
        self.spaces.push(space.clone());
        Ok(space.node)
    }

    /// A resource of type `resource_type` in registered space `space`, held by `holder`;
    /// `local_id` (the server's own name for it) is kept as an attribute.
    pub fn add_resource(
        &mut self,
        holder: PdId,
        space: NodeIdx,
        resource_type: &str,
        local_id: u64,
    ) -> Result<NodeIdx, KeeperError> {
        let h = self.pd(holder)?.node;
        let s = self.space_mut(space)?;
        let (number, n) = (s.number, s.next);
        s.next += 1;
        let id = ids::hex(&[resource_type], &[number, n]);
        let node = Node::resource(id, String::from(resource_type)).with("local_id", local_id);
        let node = self.model.add_node(node)?;
        edge(&mut self.model, EdgeKind::Subset, node, space)?;
        hold(&mut self.model, h, node, Perms::READ | Perms::WRITE)?;
        Ok(node)
    }

    /// `to` now holds `node` too (a resource or space `from` gave it). A space given is
    /// one whose resources `to` now asks `from` for: a resource-directory entry (REQUEST)
    /// for its resource type, which also tells the cleanup planner who serves it.
    pub fn give(&mut self, from: PdId, to: PdId, node: NodeIdx, perms: Perms) -> Result<(), KeeperError> {
        let t = self.pd(to)?.node;
        if self.model.get(node).is_none() {
            return Err(KeeperError::Model(ModelError::UnknownNode(alloc::format!("#{}", node.0))));
        }
        if !self.model.out_edges_of(t, EdgeKind::Hold).any(|(_, e)| e.to == node) {
            hold(&mut self.model, t, node, perms)?;
        }
        if self.model.node(node).kind == osmosis::NodeKind::Space {
            // Its resource type (a type named like its space is no exception in the table).
            let space_type = String::from(&*self.model.node(node).ty);
            let entry = self.model.types.entries().find(|(_, s)| *s == space_type).map(|(r, _)| String::from(r));
            self.request(to, from, &entry.unwrap_or(space_type))?;
        }
        Ok(())
    }

    /// A MAP edge `from` -> `to` (a space onto a space, a resource onto a resource).
    pub fn map(&mut self, from: NodeIdx, to: NodeIdx) -> Result<(), KeeperError> {
        if !self.model.out_edges_of(from, EdgeKind::Map).any(|(_, e)| e.to == to) {
            edge(&mut self.model, EdgeKind::Map, from, to)?;
        }
        Ok(())
    }

    /// Whether there is a MAP edge `from` -> `to`.
    pub fn has_map(&self, from: NodeIdx, to: NodeIdx) -> bool {
        self.model.out_edges_of(from, EdgeKind::Map).any(|(_, e)| e.to == to)
    }

    /// How many MAP edges reach `node`, and leave it.
    pub fn map_degree(&self, node: NodeIdx) -> (usize, usize) {
        (self.model.in_edges_of(node, EdgeKind::Map).count(), self.model.out_edges_of(node, EdgeKind::Map).count())
    }

    /// Whether `to` can be reached from `from` over MAP edges (so a MAP `to` -> `from`
    /// would close a cycle).
    pub fn reaches(&self, from: NodeIdx, to: NodeIdx) -> bool {
        let mut todo = alloc::vec![from];
        let mut seen = alloc::collections::BTreeSet::new();
        while let Some(n) = todo.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                todo.extend(self.model.out_edges_of(n, EdgeKind::Map).map(|(_, e)| e.to));
            }
        }
        false
    }

    /// Forgets a region or an address space (with every edge touching it).
    pub fn remove_node(&mut self, node: NodeIdx) {
        self.model.remove_node(node);
        self.spaces.retain(|s| s.node != node);
    }

    fn space_mut(&mut self, ads: NodeIdx) -> Result<&mut Space, KeeperError> {
        if let Some(s) = self.spaces.iter_mut().find(|s| s.node == ads) {
            return Ok(s);
        }
        // A process's own: the process numbers its regions (its threads hold copies).
        let owner = self.process_ads.get(&ads).copied();
        let owner = owner.and_then(|o| self.pds.get_mut(o.0 as usize)?.as_mut());
        owner.map(|p| &mut p.ads).ok_or(KeeperError::Model(ModelError::UnknownNode(format!("#{}", ads.0))))
    }

    /// Forgets a shared MO (its frames were given back).
    pub fn remove_mo(&mut self, mo: MoId) {
        self.model.remove_node(mo.0);
    }

    /// A resource-directory entry: `from` may ask `to` for resources of `ty` (a REQUEST
    /// edge; one per pair and type).
    pub fn request(&mut self, from: PdId, to: PdId, ty: &str) -> Result<(), KeeperError> {
        let (f, t) = (self.pd(from)?.node, self.pd(to)?.node);
        if !self.model.out_edges_of(f, EdgeKind::Request).any(|(_, e)| e.to == t && e.request_type == ty) {
            self.model.add_edge(osmosis::Edge::request(f, t, ty))?;
        }
        Ok(())
    }

    /// Gives `to` a copy of every resource-directory entry (REQUEST edge) of `from`.
    pub fn copy_requests(&mut self, from: PdId, to: PdId) -> Result<(), KeeperError> {
        let f = self.pd(from)?.node;
        let entries: Vec<(NodeIdx, String)> =
            self.model.out_edges_of(f, EdgeKind::Request).map(|(_, e)| (e.to, e.request_type.clone())).collect();
        let t = self.pd(to)?.node;
        for (server, ty) in entries {
            if server != t
                && !self.model.out_edges_of(t, EdgeKind::Request).any(|(_, e)| e.to == server && e.request_type == ty)
            {
                self.model.add_edge(osmosis::Edge::request(t, server, &ty))?;
            }
        }
        Ok(())
    }

    /// How many HOLD and REQUEST edges leave `pd`.
    pub fn counts(&self, pd: PdId) -> Result<(usize, usize), KeeperError> {
        let n = self.pd(pd)?.node;
        Ok((self.model.out_edges_of(n, EdgeKind::Hold).count(), self.model.out_edges_of(n, EdgeKind::Request).count()))
    }

    /// A connection: `client` may ask `server` for resources of each of `types` (REQUEST
    /// edges), and calls it with `badge` (which is how the server's part names it).
    pub fn connect(&mut self, client: PdId, server: PdId, badge: Badge, types: &[&str]) -> Result<(), KeeperError> {
        // Two connections to one server request the same: one edge each.
        for ty in types {
            self.request(client, server, ty)?;
        }
        self.connections.push(Connection { client, server, badge });
        Ok(())
    }

    /// A PD ended: it, its address space, regions, own MOs and VCPU leave the model, with
    /// every edge touching them (its holds, requests, and others' requests to it).
    pub fn remove_pd(&mut self, pd: PdId) -> Result<(), KeeperError> {
        if pd == ROOT {
            return Err(KeeperError::Root);
        }
        let p = self.pds.get_mut(pd.0 as usize).and_then(Option::take).ok_or(KeeperError::NoPd(pd.0))?;
        // Its own nodes' slots are used again: only the keeper names them (a region of a
        // thread whose process went first is gone already, and its slot was kept empty).
        for (_, vmr, mo) in &p.regions {
            self.model.remove_node_reusing(*vmr);
            if let Some(mo) = mo {
                self.model.remove_node_reusing(*mo);
            }
        }
        self.model.remove_node_reusing(p.vcpu);
        if p.ads_owner != pd {
            if let Some(Some(owner)) = self.pds.get_mut(p.ads_owner.0 as usize) {
                owner.sharers.retain(|t| *t != pd);
            }
        }
        if p.ads_owner == pd {
            self.process_ads.remove(&p.ads.node);
            // Its address space ends with it, with every region in it (its threads' too, and
            // those the memory server reserved: their indices are kept elsewhere, so their
            // slots stay empty).
            let vmrs: Vec<NodeIdx> =
                self.model.in_edges_of(p.ads.node, EdgeKind::Subset).map(|(_, e)| e.from).collect();
            for vmr in vmrs {
                self.model.remove_node(vmr);
            }
            // A thread that outlives it still names the address space.
            match p.sharers.is_empty() {
                true => self.model.remove_node_reusing(p.ads.node),
                false => self.model.remove_node(p.ads.node),
            };
        }
        self.model.remove_node_reusing(p.node);
        self.connections.retain(|c| c.client != pd && c.server != pd);
        Ok(())
    }

    /// The root's part of the model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model node of a PD.
    pub fn pd_node(&self, pd: PdId) -> Result<&Node, KeeperError> {
        Ok(self.model.node(self.pd(pd)?.node))
    }

    /// The badge the root calls server `pd` with, for `export_model`.
    pub fn root_badge(&self, pd: PdId) -> Result<Badge, KeeperError> {
        Ok(self.pd(pd)?.root_badge)
    }

    /// The PD behind a badge of server `server`'s: itself (0), the root, or a client.
    fn holder(&self, server: PdId, badge: Badge) -> Result<Node, ModelError> {
        let unknown = || ModelError::UnknownNode(format!("badge {badge} of PD_{}", server.0));
        let s = self.pd(server).map_err(|_| unknown())?;
        let pd = if badge == 0 {
            server
        } else if badge == s.root_badge {
            ROOT
        } else {
            self.connections.iter().find(|c| c.server == server && c.badge == badge).ok_or_else(unknown)?.client
        };
        Ok(self.pd_node(pd).map_err(|_| unknown())?.clone())
    }

    /// The whole model: the root's part merged with each server's part. MAP edges onto
    /// another server's object are resolved through that server's book.
    pub fn extract(&self, servers: &[ServerPart<'_>]) -> Result<Model, KeeperError> {
        let mut fragments = alloc::vec![Fragment { model: self.model.clone(), foreign_maps: Vec::new() }];
        let part_of = |cap: &Cap| -> bool {
            let Cap::Endpoint { endpoint, .. } = cap else { return true };
            servers.iter().any(|s| self.pd(s.pd).is_ok_and(|p| p.server_id == *endpoint))
        };
        for s in servers {
            let name = s.pd.0.to_string();
            let mut fragment = s.book.export_with(&name, s.types, |badge| self.holder(s.pd, badge))?;
            // A MAP onto an object of a server that is gone ended with it (a space mounted
            // on a dead server's that the cleanup kept); onto a live one it must resolve.
            fragment.foreign_maps.retain(|(_, cap)| part_of(cap));
            fragments.push(fragment);
        }
        let name = |cap: Cap| -> Option<String> {
            let Cap::Endpoint { endpoint, badge } = cap else { return None };
            let s = servers.iter().find(|s| self.pd(s.pd).is_ok_and(|p| p.server_id == endpoint))?;
            s.book.exported_name(&s.pd.0.to_string(), badge)
        };
        Ok(merge(fragments, name)?)
    }
}

#[cfg(test)]
mod tests;
