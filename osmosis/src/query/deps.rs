//! Dependencies between PDs: trusted computing base, impact boundary, fault radius.
//!
//! **Definitions.** PD `P` *depends directly* on PD `Q` (`P -> Q`) when `Q != P` and
//! 1. `P -REQUEST-> Q` (P asks Q for resources), or
//! 2. `Q -HOLD-> P` (Q may terminate P), or
//! 3. `Q -HOLD-> m` for some `m` that P's resources map onto: `m` is the target of a MAP
//!    edge leaving a node of [`reach(P)`](super::reach) (so Q controls memory, blocks ...
//!    behind what P uses).
//!
//! The **TCB** of `P` is every PD reachable from `P` over direct dependencies (the
//! transitive closure: if `Q` fails, whatever depends on `Q` may fail too). The **impact
//! boundary** of `P` is every PD whose TCB contains `P`. The **fault radius** of `P` is the
//! largest number of dependency hops from a PD of its impact boundary to `P` (0 when
//! nothing depends on it), reported with each impacted PD's hop count.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use super::reach::reach;
use crate::model::{EdgeKind, Model, NodeIdx, NodeKind};

/// Why one PD depends directly on another (the first reason found, in definition order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DepReason {
    /// It requests resources of this type from the other.
    Requests(String),
    /// The other holds it.
    HeldBy,
    /// The other holds this node, which one of its resources maps onto.
    MapsOnto(NodeIdx),
}

/// The PDs `pd` depends on directly, each with the first reason, sorted by index.
pub fn direct_dependencies(model: &Model, pd: NodeIdx) -> Vec<(NodeIdx, DepReason)> {
    let mut deps: BTreeMap<NodeIdx, DepReason> = BTreeMap::new();
    let mut add = |q: NodeIdx, why: DepReason| {
        if q != pd && model.node(q).kind == NodeKind::Pd {
            deps.entry(q).or_insert(why);
        }
    };
    for (_, e) in model.out_edges_of(pd, EdgeKind::Request) {
        add(e.to, DepReason::Requests(e.request_type.clone()));
    }
    for (_, e) in model.in_edges_of(pd, EdgeKind::Hold) {
        add(e.from, DepReason::HeldBy);
    }
    for n in reach(model, pd) {
        for (_, m) in model.out_edges_of(n, EdgeKind::Map) {
            for (_, h) in model.in_edges_of(m.to, EdgeKind::Hold) {
                add(h.from, DepReason::MapsOnto(m.to));
            }
        }
    }
    deps.into_iter().collect()
}

/// Breadth-first search over a PD dependency relation; returns each PD found with its hops.
fn bfs(start: NodeIdx, next: impl Fn(NodeIdx) -> Vec<NodeIdx>) -> Vec<(NodeIdx, usize)> {
    let mut hops: BTreeMap<NodeIdx, usize> = BTreeMap::new();
    let mut queue = VecDeque::from([(start, 0usize)]);
    hops.insert(start, 0);
    while let Some((n, d)) = queue.pop_front() {
        for m in next(n) {
            if let alloc::collections::btree_map::Entry::Vacant(v) = hops.entry(m) {
                v.insert(d + 1);
                queue.push_back((m, d + 1));
            }
        }
    }
    hops.remove(&start);
    hops.into_iter().collect()
}

/// The trusted computing base of `pd`, sorted by index.
pub fn tcb(model: &Model, pd: NodeIdx) -> Vec<NodeIdx> {
    bfs(pd, |n| direct_dependencies(model, n).into_iter().map(|(q, _)| q).collect())
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

/// Every PD's direct dependents (the reverse of [`direct_dependencies`]), computed once.
fn dependents(model: &Model) -> BTreeMap<NodeIdx, Vec<NodeIdx>> {
    let mut rev: BTreeMap<NodeIdx, Vec<NodeIdx>> = BTreeMap::new();
    for (p, _) in model.nodes_of(NodeKind::Pd) {
        for (q, _) in direct_dependencies(model, p) {
            rev.entry(q).or_default().push(p);
        }
    }
    rev
}

/// How far a fault in one PD spreads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRadius {
    /// The largest hop count in `impacted` (0 when it is empty).
    pub radius: usize,
    /// Every PD of the impact boundary with its dependency hops to the faulty PD, by index.
    pub impacted: Vec<(NodeIdx, usize)>,
}

/// The fault radius of `pd` (its impact boundary with hop counts).
pub fn fault_radius(model: &Model, pd: NodeIdx) -> FaultRadius {
    let rev = dependents(model);
    let impacted = bfs(pd, |n| rev.get(&n).cloned().unwrap_or_default());
    FaultRadius { radius: impacted.iter().map(|(_, d)| *d).max().unwrap_or(0), impacted }
}

/// The impact boundary of `pd`: every PD whose TCB contains it, sorted by index.
pub fn impact(model: &Model, pd: NodeIdx) -> Vec<NodeIdx> {
    fault_radius(model, pd).impacted.into_iter().map(|(n, _)| n).collect()
}
