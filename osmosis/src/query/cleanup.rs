//! Cleanup planning: what must go when a PD fails or a resource space is deleted.
//!
//! **Who serves a space.** A space is served by each PD that HOLDs it and receives a
//! REQUEST that concerns its type (the space type itself, or a resource type living in
//! it: `VMR` concerns `ADS`). A space no such PD holds is served by its holder if it has
//! exactly one, otherwise by nobody.
//!
//! **The rules** (docs/architecture.md, "Cleanup"), with a policy of two hop limits, PD depth and
//! resource-space depth (each a number or unlimited):
//! - a failed PD is terminated at PD depth 0; a deleted space is deleted at depths 0/0;
//! - the spaces a terminated PD serves are deleted with it, at its PD depth and space
//!   depth 0;
//! - a space that MAPs onto a deleted space at space depth `j` is deleted at `j + 1` (same
//!   PD depth), if the policy's space depth allows `j + 1`;
//! - a PD that HOLDs a resource in a space deleted at PD depth `k` (other than the
//!   space's own server, whose holds are its bookkeeping), or REQUESTs from that space's
//!   (terminated) server a type that concerns it, is terminated at PD depth `k + 1` if the
//!   policy's PD depth allows it.
//!
//! A space can be reached by several routes with different (PD, space) depth pairs; the
//! planner keeps every pair no other pair beats in both, so the plan is exactly the least
//! fixpoint of the rules. Survivors then lose every edge into what is gone: holds of
//! terminated PDs, deleted spaces and their resources, MAPs onto them, REQUESTs to
//! terminated PDs, and REQUESTs for a type whose every space at a surviving server is
//! deleted. Resources that some PD reached before and only terminated PDs reach now (a
//! dead PD's own regions and CPU) are released too, so a model that passed the checker
//! still passes it after the plan is applied. Each entry carries the chain of edges that
//! caused it.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use super::reach::reach;
use crate::check::reachable_from_pds;
use crate::model::{EdgeIdx, EdgeKind, Model, NodeIdx, NodeKind};

/// A hop limit: a number, or unlimited (written `inf` or `-1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    /// At most this many hops.
    Limited(u32),
    /// No limit.
    Unlimited,
}

impl Depth {
    /// Whether a step at `hops` is allowed.
    pub fn allows(self, hops: u32) -> bool {
        match self {
            Depth::Limited(limit) => hops <= limit,
            Depth::Unlimited => true,
        }
    }
}

impl fmt::Display for Depth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Depth::Limited(n) => write!(f, "{n}"),
            Depth::Unlimited => f.write_str("inf"),
        }
    }
}

impl FromStr for Depth {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Depth, PolicyError> {
        match s.trim() {
            "inf" | "-1" | "unlimited" => Ok(Depth::Unlimited),
            n => n.parse().map(Depth::Limited).map_err(|_| PolicyError(s.into())),
        }
    }
}

/// A cleanup policy: how far termination and deletion spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How many PD hops termination spreads.
    pub pd_depth: Depth,
    /// How many MAP hops space deletion spreads.
    pub space_depth: Depth,
}

impl Policy {
    /// Direct resource-space deletion (0/0).
    pub const DIRECT_SPACE: Policy = Policy { pd_depth: Depth::Limited(0), space_depth: Depth::Limited(0) };
    /// Recursive resource-space deletion (0/inf).
    pub const RECURSIVE_SPACE: Policy = Policy { pd_depth: Depth::Limited(0), space_depth: Depth::Unlimited };
    /// Direct PD deletion (1/0).
    pub const DIRECT_PD: Policy = Policy { pd_depth: Depth::Limited(1), space_depth: Depth::Limited(0) };
    /// Recursive PD deletion (inf/0).
    pub const RECURSIVE_PD: Policy = Policy { pd_depth: Depth::Unlimited, space_depth: Depth::Limited(0) };
    /// The four CellulOS presets by name.
    pub const PRESETS: [(&'static str, Policy); 4] = [
        ("direct-space", Policy::DIRECT_SPACE),
        ("recursive-space", Policy::RECURSIVE_SPACE),
        ("direct-pd", Policy::DIRECT_PD),
        ("recursive-pd", Policy::RECURSIVE_PD),
    ];
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((name, _)) = Policy::PRESETS.iter().find(|(_, p)| p == self) {
            write!(f, "{name} ")?;
        }
        write!(f, "(PD depth {}, resource-space depth {})", self.pd_depth, self.space_depth)
    }
}

/// A policy string was neither a preset name nor `PD/SPACE` depths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad cleanup policy {:?}: expected direct-space, recursive-space, direct-pd, recursive-pd \
             or PD/SPACE depths such as 1/inf",
            self.0
        )
    }
}

impl FromStr for Policy {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Policy, PolicyError> {
        if let Some((_, p)) = Policy::PRESETS.iter().find(|(name, _)| *name == s) {
            return Ok(*p);
        }
        let (pd, space) = s.split_once('/').ok_or_else(|| PolicyError(s.into()))?;
        let bad = |_| PolicyError(s.into());
        Ok(Policy { pd_depth: pd.parse().map_err(bad)?, space_depth: space.parse().map_err(bad)? })
    }
}

/// What went wrong first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// A PD failed (faulted or exited).
    Pd(NodeIdx),
    /// A resource space was deleted.
    Space(NodeIdx),
}

/// One link of the chain that explains a plan entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// This PD failed.
    Failed {
        /// The failed PD.
        pd: NodeIdx,
    },
    /// This space was deleted.
    Deleted {
        /// The deleted space.
        space: NodeIdx,
    },
    /// The PD served the space, which dies with it.
    Serves {
        /// The terminated server.
        pd: NodeIdx,
        /// The space it served.
        space: NodeIdx,
    },
    /// The space MAPs onto a deleted space.
    MapsOnto {
        /// The space deleted by this link.
        space: NodeIdx,
        /// The deleted space it maps onto.
        onto: NodeIdx,
    },
    /// The PD REQUESTs this type from a terminated server.
    Requests {
        /// The PD terminated by this link.
        pd: NodeIdx,
        /// The terminated server.
        server: NodeIdx,
        /// The requested type.
        request_type: String,
    },
    /// Only this terminated PD reached the resource, which is released with it.
    Orphaned {
        /// The released resource.
        resource: NodeIdx,
        /// The terminated PD that reached it.
        pd: NodeIdx,
    },
    /// The PD HOLDs a resource in a deleted space.
    HoldsIn {
        /// The PD terminated by this link.
        pd: NodeIdx,
        /// The held resource.
        resource: NodeIdx,
        /// Its deleted space.
        space: NodeIdx,
    },
}

impl Cause {
    /// The cause in words, with node ids.
    pub fn describe(&self, model: &Model) -> String {
        let id = |n: &NodeIdx| model.node(*n).id.as_str();
        match self {
            Cause::Failed { pd } => alloc::format!("{} failed", id(pd)),
            Cause::Deleted { space } => alloc::format!("{} was deleted", id(space)),
            Cause::Serves { pd, space } => alloc::format!("{} serves {}", id(pd), id(space)),
            Cause::MapsOnto { space, onto } => alloc::format!("{} -MAP-> {}", id(space), id(onto)),
            Cause::Requests { pd, server, request_type } => {
                alloc::format!("{} -REQUEST({request_type})-> {}", id(pd), id(server))
            }
            Cause::Orphaned { resource, pd } => {
                alloc::format!("{} was reached only through {}", id(resource), id(pd))
            }
            Cause::HoldsIn { pd, resource, space } => {
                alloc::format!("{} -HOLD-> {} -SUBSET-> {}", id(pd), id(resource), id(space))
            }
        }
    }
}

/// A PD the plan terminates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdStep {
    /// The PD.
    pub pd: NodeIdx,
    /// Its PD depth (0 for the failed PD).
    pub depth: u32,
    /// Why, from the failure to this PD.
    pub chain: Vec<Cause>,
}

/// A space the plan deletes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceStep {
    /// The space.
    pub space: NodeIdx,
    /// The least PD depth it is deleted at.
    pub pd_depth: u32,
    /// The least space depth it is deleted at.
    pub space_depth: u32,
    /// Why, from the failure to this space (along the route of least depths).
    pub chain: Vec<Cause>,
}

/// An edge of a survivor the plan removes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// The edge.
    pub edge: EdgeIdx,
    /// Why its target is gone.
    pub chain: Vec<Cause>,
}

/// The exact cleanup to carry out, in order: revoke, then delete, then terminate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CleanupPlan {
    /// The policy planned for.
    pub policy: Policy,
    /// What failed.
    pub failure: Failure,
    /// PDs to terminate, by depth then id.
    pub terminate: Vec<PdStep>,
    /// Spaces to delete, by depths then id.
    pub delete: Vec<SpaceStep>,
    /// Resources that go: those in deleted spaces, and those only terminated PDs reached,
    /// by id.
    pub resources: Vec<NodeIdx>,
    /// Edges of survivors to remove, by type, source id and target id.
    pub revoke: Vec<Revocation>,
}

/// Why a cleanup could not be planned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The failed node is not a PD.
    NotAPd(String),
    /// The deleted node is not a resource space.
    NotASpace(String),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::NotAPd(id) => write!(f, "{id} is not a PD"),
            PlanError::NotASpace(id) => write!(f, "{id} is not a resource space"),
        }
    }
}

/// The servers of every space, and the spaces every PD serves (see the module docs).
pub fn servers(model: &Model) -> BTreeMap<NodeIdx, Vec<NodeIdx>> {
    let mut requested: BTreeMap<NodeIdx, BTreeSet<&str>> = BTreeMap::new();
    for (_, e) in model.edges().filter(|(_, e)| e.kind == EdgeKind::Request) {
        requested.entry(e.to).or_default().insert(e.request_type.as_str());
    }
    let mut out = BTreeMap::new();
    for (s, space) in model.nodes_of(NodeKind::Space) {
        let holders: Vec<NodeIdx> = model
            .in_edges_of(s, EdgeKind::Hold)
            .filter(|(_, e)| model.node(e.from).kind == NodeKind::Pd)
            .map(|(_, e)| e.from)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let serving: Vec<NodeIdx> = holders
            .iter()
            .copied()
            .filter(|h| {
                requested.get(h).is_some_and(|types| types.iter().any(|t| model.types.request_concerns(t, &space.ty)))
            })
            .collect();
        let chosen = match (serving.is_empty(), holders.len()) {
            (false, _) => serving,
            (true, 1) => holders,
            (true, _) => Vec::new(),
        };
        if !chosen.is_empty() {
            out.insert(s, chosen);
        }
    }
    out
}

/// One (PD depth, space depth) pair reaching a node, with how it got there.
struct Label {
    k: u32,
    j: u32,
    cause: Cause,
    pred: Option<usize>,
    beaten: bool,
}

struct Planner<'m> {
    model: &'m Model,
    policy: Policy,
    labels: Vec<Label>,
    by_node: BTreeMap<NodeIdx, Vec<usize>>,
    /// (PD depth, space depth, PDs before spaces, node, label).
    queue: BTreeSet<(u32, u32, u8, NodeIdx, usize)>,
    /// Least PD depth of each terminated PD (set when its label is taken from the queue).
    dead: BTreeMap<NodeIdx, u32>,
}

impl Planner<'_> {
    fn push(&mut self, node: NodeIdx, k: u32, j: u32, cause: Cause, pred: Option<usize>) {
        let existing = self.by_node.entry(node).or_default();
        if existing.iter().any(|l| !self.labels[*l].beaten && self.labels[*l].k <= k && self.labels[*l].j <= j) {
            return;
        }
        for l in existing.iter() {
            let old = &mut self.labels[*l];
            if k <= old.k && j <= old.j {
                old.beaten = true;
            }
        }
        let id = self.labels.len();
        existing.push(id);
        self.labels.push(Label { k, j, cause, pred, beaten: false });
        let rank = u8::from(self.model.node(node).kind != NodeKind::Pd);
        self.queue.insert((k, j, rank, node, id));
    }

    fn run(&mut self, served: &BTreeMap<NodeIdx, Vec<NodeIdx>>, servers: &BTreeMap<NodeIdx, Vec<NodeIdx>>) {
        let model = self.model;
        while let Some((k, j, _, node, id)) = self.queue.pop_first() {
            if self.labels[id].beaten {
                continue;
            }
            if model.node(node).kind == NodeKind::Pd {
                self.dead.entry(node).or_insert(k);
                for &space in served.get(&node).into_iter().flatten() {
                    self.push(space, k, 0, Cause::Serves { pd: node, space }, Some(id));
                }
                continue;
            }
            if self.policy.space_depth.allows(j + 1) {
                for (_, e) in model.in_edges_of(node, EdgeKind::Map) {
                    if model.node(e.from).kind == NodeKind::Space {
                        self.push(e.from, k, j + 1, Cause::MapsOnto { space: e.from, onto: node }, Some(id));
                    }
                }
            }
            if !self.policy.pd_depth.allows(k + 1) {
                continue;
            }
            let ty = &model.node(node).ty;
            for &server in servers.get(&node).into_iter().flatten() {
                if self.dead.get(&server).is_none_or(|d| *d > k) {
                    continue;
                }
                for (_, req) in model.in_edges_of(server, EdgeKind::Request) {
                    if model.types.request_concerns(&req.request_type, ty) {
                        let cause = Cause::Requests { pd: req.from, server, request_type: req.request_type.clone() };
                        self.push(req.from, k + 1, 0, cause, Some(id));
                    }
                }
            }
            for (_, sub) in model.in_edges_of(node, EdgeKind::Subset) {
                for (_, hold) in model.in_edges_of(sub.from, EdgeKind::Hold) {
                    let is_server = servers.get(&node).is_some_and(|s| s.contains(&hold.from));
                    if model.node(hold.from).kind == NodeKind::Pd && !is_server {
                        let cause = Cause::HoldsIn { pd: hold.from, resource: sub.from, space: node };
                        self.push(hold.from, k + 1, 0, cause, Some(id));
                    }
                }
            }
        }
    }

    fn chain(&self, mut label: usize) -> Vec<Cause> {
        let mut chain = Vec::new();
        loop {
            chain.push(self.labels[label].cause.clone());
            match self.labels[label].pred {
                Some(p) => label = p,
                None => break,
            }
        }
        chain.reverse();
        chain
    }

    /// The live labels of a node, least (PD depth, space depth) first.
    fn live(&self, node: NodeIdx) -> Vec<usize> {
        let mut live: Vec<usize> = self.by_node[&node].iter().copied().filter(|l| !self.labels[*l].beaten).collect();
        live.sort_by_key(|l| (self.labels[*l].k, self.labels[*l].j));
        live
    }
}

/// Plans the cleanup after `failure` under `policy`.
pub fn plan_cleanup(model: &Model, failure: Failure, policy: Policy) -> Result<CleanupPlan, PlanError> {
    let servers = servers(model);
    let mut served: BTreeMap<NodeIdx, Vec<NodeIdx>> = BTreeMap::new();
    for (space, pds) in &servers {
        for pd in pds {
            served.entry(*pd).or_default().push(*space);
        }
    }
    let mut p = Planner {
        model,
        policy,
        labels: Vec::new(),
        by_node: BTreeMap::new(),
        queue: BTreeSet::new(),
        dead: BTreeMap::new(),
    };
    match failure {
        Failure::Pd(pd) => match model.get(pd) {
            Some(n) if n.kind == NodeKind::Pd => p.push(pd, 0, 0, Cause::Failed { pd }, None),
            Some(n) => return Err(PlanError::NotAPd(n.id.clone())),
            None => return Err(PlanError::NotAPd(alloc::format!("#{}", pd.0))),
        },
        Failure::Space(space) => match model.get(space) {
            Some(n) if n.kind == NodeKind::Space => p.push(space, 0, 0, Cause::Deleted { space }, None),
            Some(n) => return Err(PlanError::NotASpace(n.id.clone())),
            None => return Err(PlanError::NotASpace(alloc::format!("#{}", space.0))),
        },
    }
    p.run(&served, &servers);

    let id = |n: NodeIdx| model.node(n).id.as_str();
    let gone: Vec<NodeIdx> = p.by_node.keys().copied().collect();
    let mut terminate = Vec::new();
    let mut delete = Vec::new();
    for node in gone {
        let live = p.live(node);
        let best = &p.labels[live[0]];
        let chain = p.chain(live[0]);
        if model.node(node).kind == NodeKind::Pd {
            terminate.push(PdStep { pd: node, depth: best.k, chain });
        } else {
            let space_depth = live.iter().map(|l| p.labels[*l].j).min().unwrap_or(0);
            delete.push(SpaceStep { space: node, pd_depth: best.k, space_depth, chain });
        }
    }
    terminate.sort_by(|a, b| (a.depth, id(a.pd)).cmp(&(b.depth, id(b.pd))));
    delete.sort_by(|a, b| (a.pd_depth, a.space_depth, id(a.space)).cmp(&(b.pd_depth, b.space_depth, id(b.space))));

    // Everything that is gone, with the chain that explains it, by node index.
    let mut why: Vec<Option<&Vec<Cause>>> = alloc::vec![None; model.node_bound()];
    for t in &terminate {
        why[t.pd.0 as usize] = Some(&t.chain);
    }
    for d in &delete {
        why[d.space.0 as usize] = Some(&d.chain);
    }
    let mut resources = Vec::new();
    for d in &delete {
        for (_, sub) in model.in_edges_of(d.space, EdgeKind::Subset) {
            if why[sub.from.0 as usize].is_none() {
                why[sub.from.0 as usize] = Some(&d.chain);
                resources.push(sub.from);
            }
        }
    }
    // Resources that some PD reached before and only terminated PDs reach now: a dead
    // PD's own regions, its CPU ... They are released, so the model stays valid.
    let reached_before = reachable_from_pds(model, |_| false);
    let reached_after = reachable_from_pds(model, |n| why[n.0 as usize].is_some());
    let mut orphans: BTreeMap<NodeIdx, Vec<Cause>> = BTreeMap::new();
    for t in &terminate {
        for r in reach(model, t.pd) {
            let (i, node) = (r.0 as usize, model.node(r));
            if node.kind == NodeKind::Resource && reached_before[i] && !reached_after[i] && why[i].is_none() {
                orphans.entry(r).or_insert_with(|| {
                    let mut chain = t.chain.clone();
                    chain.push(Cause::Orphaned { resource: r, pd: t.pd });
                    chain
                });
            }
        }
    }
    for (r, chain) in &orphans {
        why[r.0 as usize] = Some(chain);
        resources.push(*r);
    }
    resources.sort_by(|a, b| id(*a).cmp(id(*b)));

    // Survivors' edges into what is gone: only the in-edges of gone nodes need a look.
    let mut revoke = Vec::new();
    let gone = terminate.iter().map(|t| t.pd).chain(delete.iter().map(|d| d.space)).chain(resources.iter().copied());
    for g in gone {
        for (e, edge) in model.in_edges(g) {
            if why[edge.from.0 as usize].is_none() {
                revoke.push(Revocation { edge: e, chain: why[g.0 as usize].cloned().unwrap_or_default() });
            }
        }
    }
    // REQUESTs to a surviving server for a type whose every space it serves is deleted.
    let starved_servers: BTreeSet<NodeIdx> = delete
        .iter()
        .flat_map(|d| servers.get(&d.space).into_iter().flatten().copied())
        .filter(|s| why[s.0 as usize].is_none())
        .collect();
    for server in starved_servers {
        for (e, req) in model.in_edges_of(server, EdgeKind::Request) {
            if why[req.from.0 as usize].is_some() {
                continue;
            }
            let concerned: Vec<NodeIdx> = served
                .get(&server)
                .into_iter()
                .flatten()
                .copied()
                .filter(|s| model.types.request_concerns(&req.request_type, &model.node(*s).ty))
                .collect();
            if let Some(first) = concerned.first() {
                if concerned.iter().all(|s| why[s.0 as usize].is_some()) {
                    revoke.push(Revocation { edge: e, chain: why[first.0 as usize].cloned().unwrap_or_default() });
                }
            }
        }
    }
    revoke.sort_by(|a, b| {
        let (ea, eb) = (model.edge(a.edge), model.edge(b.edge));
        (ea.kind, id(ea.from), id(ea.to), a.edge).cmp(&(eb.kind, id(eb.from), id(eb.to), b.edge))
    });
    Ok(CleanupPlan { policy, failure, terminate, delete, resources, revoke })
}

impl CleanupPlan {
    /// Carries the plan out on `model` (the model it was planned on): removes revoked
    /// edges, deleted resources and spaces, and terminated PDs with all their edges.
    pub fn apply(&self, model: &mut Model) {
        for r in &self.revoke {
            model.remove_edge(r.edge);
        }
        let nodes = self.resources.iter().chain(self.delete.iter().map(|d| &d.space));
        for n in nodes.chain(self.terminate.iter().map(|t| &t.pd)) {
            model.remove_node(*n);
        }
    }
}
