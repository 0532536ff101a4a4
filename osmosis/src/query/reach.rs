//! What a PD reaches.
//!
//! **Definition.** `reach(P)` is the set of resources and resource spaces `n` such that a
//! path `P -HOLD-> n1 -MAP-> n2 -MAP-> ... -MAP-> n` exists (zero or more MAP edges after
//! one HOLD edge from `P`). A PD that `P` holds is not reached and nothing is reached
//! through it: holding a PD means `P` may terminate it, not that `P` can use its resources.

use alloc::vec::Vec;
use hashbrown::HashSet;

use crate::model::{EdgeKind, Model, NodeIdx, NodeKind};

/// Every resource and space `pd` reaches, sorted by node index.
pub fn reach(model: &Model, pd: NodeIdx) -> Vec<NodeIdx> {
    let mut seen: HashSet<NodeIdx> = HashSet::new();
    let mut stack: Vec<NodeIdx> = Vec::new();
    let mut found = Vec::new();
    let mut visit = |n: NodeIdx, stack: &mut Vec<NodeIdx>| {
        if model.node(n).kind != NodeKind::Pd && seen.insert(n) {
            stack.push(n);
            found.push(n);
        }
    };
    for (_, e) in model.out_edges_of(pd, EdgeKind::Hold) {
        visit(e.to, &mut stack);
    }
    while let Some(n) = stack.pop() {
        for (_, e) in model.out_edges_of(n, EdgeKind::Map) {
            visit(e.to, &mut stack);
        }
    }
    found.sort_unstable();
    found
}

/// The resources of type `ty` that `pd` reaches, sorted by node index.
pub fn reach_of_type(model: &Model, pd: NodeIdx, ty: &str) -> Vec<NodeIdx> {
    reach(model, pd)
        .into_iter()
        .filter(|n| {
            let node = model.node(*n);
            node.kind == NodeKind::Resource && node.ty == ty
        })
        .collect()
}
