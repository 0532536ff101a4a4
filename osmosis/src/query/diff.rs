//! The difference between two models, for comparing isolation configurations.
//!
//! **Definition.** Nodes are matched by id: a node only in `new` is added, only in `old`
//! removed, in both with a different kind, type, name or attributes changed. Edges are
//! matched as a multiset of `(kind, from id, to id, permissions, request type)`: an edge
//! whose permissions changed shows as one removed and one added.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::model::{EdgeKind, Model, Perms};

/// An edge named by its endpoints' ids.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EdgeKey {
    /// The edge type.
    pub kind: EdgeKind,
    /// Source id.
    pub from: String,
    /// Target id.
    pub to: String,
    /// Permissions.
    pub perms: Perms,
    /// Request type (REQUEST only).
    pub request_type: String,
}

/// What changed from one model to another; every list is sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelDiff {
    /// Ids of nodes only in the new model.
    pub added_nodes: Vec<String>,
    /// Ids of nodes only in the old model.
    pub removed_nodes: Vec<String>,
    /// Ids of nodes in both whose data differs.
    pub changed_nodes: Vec<String>,
    /// Edges only in the new model (with multiplicity).
    pub added_edges: Vec<EdgeKey>,
    /// Edges only in the old model (with multiplicity).
    pub removed_edges: Vec<EdgeKey>,
}

impl ModelDiff {
    /// Whether the models are the same.
    pub fn is_empty(&self) -> bool {
        self.added_nodes.is_empty()
            && self.removed_nodes.is_empty()
            && self.changed_nodes.is_empty()
            && self.added_edges.is_empty()
            && self.removed_edges.is_empty()
    }
}

fn edge_counts(model: &Model) -> BTreeMap<EdgeKey, usize> {
    let mut counts = BTreeMap::new();
    for (kind, from, to, perms, request_type) in model.edge_keys() {
        let key = EdgeKey { kind, from: from.into(), to: to.into(), perms, request_type: request_type.into() };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// Only in `a` (with multiplicity).
fn minus(a: &BTreeMap<EdgeKey, usize>, b: &BTreeMap<EdgeKey, usize>) -> Vec<EdgeKey> {
    let mut out = Vec::new();
    for (key, n) in a {
        for _ in 0..n.saturating_sub(b.get(key).copied().unwrap_or(0)) {
            out.push(key.clone());
        }
    }
    out
}

/// What changed from `old` to `new`.
pub fn diff(old: &Model, new: &Model) -> ModelDiff {
    let mut d = ModelDiff::default();
    for (_, n) in new.nodes() {
        match old.find(&n.id).map(|i| old.node(i)) {
            None => d.added_nodes.push(n.id.clone()),
            Some(o) if o != n => d.changed_nodes.push(n.id.clone()),
            Some(_) => {}
        }
    }
    d.removed_nodes = old.nodes().filter(|(_, n)| new.find(&n.id).is_none()).map(|(_, n)| n.id.clone()).collect();
    let (old_edges, new_edges) = (edge_counts(old), edge_counts(new));
    d.added_edges = minus(&new_edges, &old_edges);
    d.removed_edges = minus(&old_edges, &new_edges);
    d.added_nodes.sort_unstable();
    d.removed_nodes.sort_unstable();
    d.changed_nodes.sort_unstable();
    d
}
