//! Counts of what a model holds.

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::model::{EdgeKind, Model, NodeKind};

/// Node and edge counts by kind and type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Nodes per kind.
    pub nodes: BTreeMap<NodeKind, usize>,
    /// Resources per resource type.
    pub resources: BTreeMap<String, usize>,
    /// Spaces per space type.
    pub spaces: BTreeMap<String, usize>,
    /// Edges per kind.
    pub edges: BTreeMap<EdgeKind, usize>,
    /// REQUEST edges per requested type.
    pub requests: BTreeMap<String, usize>,
}

/// Counts every node and edge.
pub fn stats(model: &Model) -> Stats {
    let mut s = Stats::default();
    for kind in NodeKind::ALL {
        s.nodes.insert(kind, 0);
    }
    for kind in EdgeKind::ALL {
        s.edges.insert(kind, 0);
    }
    for (_, n) in model.nodes() {
        *s.nodes.entry(n.kind).or_default() += 1;
        let by_type = match n.kind {
            NodeKind::Pd => continue,
            NodeKind::Resource => &mut s.resources,
            NodeKind::Space => &mut s.spaces,
        };
        *by_type.entry(n.ty.clone().into_owned()).or_default() += 1;
    }
    for (_, e) in model.edges() {
        *s.edges.entry(e.kind).or_default() += 1;
        if e.kind == EdgeKind::Request {
            *s.requests.entry(e.request_type.clone()).or_default() += 1;
        }
    }
    s
}
