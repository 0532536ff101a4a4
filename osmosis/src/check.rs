//! The invariant checker (docs/osmosis.md, "Invariants").
//!
//! Rules, each reported per offending node and never by panicking:
//! 1. every edge joins the right kinds: HOLD PD -> anything, REQUEST PD -> PD (with a
//!    resource type), SUBSET resource -> space, MAP resource -> resource or space -> space;
//! 2. a resource SUBSETs exactly one space,
//! 3. of the space type its resource type lives in (the model's [`TypeTable`](crate::TypeTable));
//! 4. a resource is reachable from some PD over HOLD/MAP edges;
//! 5. a resource -> resource MAP needs a MAP between their spaces.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::model::{EdgeKind, Model, NodeIdx, NodeKind};

/// One broken invariant, named by the node it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The id of the node the violation is about (an edge's source for edge rules).
    pub node: String,
    /// What is wrong.
    pub kind: ViolationKind,
}

/// The invariants of docs/osmosis.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// An edge joins kinds its type does not allow.
    BadEndpoints {
        /// The edge type.
        edge: EdgeKind,
        /// The id of the edge's target.
        to: String,
    },
    /// A REQUEST edge names no resource type.
    RequestWithoutType {
        /// The id of the requested PD.
        to: String,
    },
    /// A resource SUBSETs no space.
    NoSpace,
    /// A resource SUBSETs more than one space.
    ManySpaces {
        /// The ids of the spaces.
        spaces: Vec<String>,
    },
    /// A resource SUBSETs a space of the wrong type.
    WrongSpaceType {
        /// The resource's type.
        resource_type: String,
        /// The id of the space.
        space: String,
        /// The space's type.
        space_type: String,
        /// The space type the resource type lives in.
        expected: String,
    },
    /// No PD reaches the resource over HOLD/MAP.
    Unreachable,
    /// A resource MAPs onto another but their spaces have no MAP edge.
    MapWithoutSpaceMap {
        /// The id of the resource mapped onto.
        to: String,
        /// The id of the source's space.
        from_space: String,
        /// The id of the target's space.
        to_space: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = &self.node;
        match &self.kind {
            ViolationKind::BadEndpoints { edge, to } => {
                let allowed = match edge {
                    EdgeKind::Hold => "PD -> any node",
                    EdgeKind::Map => "resource -> resource or space -> space",
                    EdgeKind::Request => "PD -> PD",
                    EdgeKind::Subset => "resource -> space",
                };
                write!(f, "{n}: {edge} edge to {to} joins the wrong kinds (allowed: {allowed})")
            }
            ViolationKind::RequestWithoutType { to } => write!(f, "{n}: REQUEST edge to {to} names no resource type"),
            ViolationKind::NoSpace => write!(f, "{n}: resource SUBSETs no resource space"),
            ViolationKind::ManySpaces { spaces } => {
                write!(f, "{n}: resource SUBSETs {} spaces ({}); it must live in exactly one", spaces.len(), spaces.join(", "))
            }
            ViolationKind::WrongSpaceType { resource_type, space, space_type, expected } => write!(
                f,
                "{n}: {resource_type} resource SUBSETs {space} of type {space_type}; {resource_type} lives in {expected} spaces"
            ),
            ViolationKind::Unreachable => write!(f, "{n}: resource is not reachable from any PD over HOLD/MAP"),
            ViolationKind::MapWithoutSpaceMap { to, from_space, to_space } => write!(
                f,
                "{n}: MAP to {to} but its space {from_space} has no MAP to {to}'s space {to_space}"
            ),
        }
    }
}

/// Checks every invariant and returns the violations, in node order then rule order.
pub fn check(model: &Model) -> Vec<Violation> {
    let mut found = Vec::new();
    let reachable = reachable_from_pds(model, |_| false);
    let violation = |node: NodeIdx, kind| Violation { node: model.node(node).id.clone(), kind };
    for (idx, node) in model.nodes() {
        for (_, e) in model.out_edges(idx) {
            let to = model.node(e.to);
            let ok = match e.kind {
                EdgeKind::Hold => node.kind == NodeKind::Pd,
                EdgeKind::Request => node.kind == NodeKind::Pd && to.kind == NodeKind::Pd,
                EdgeKind::Subset => node.kind == NodeKind::Resource && to.kind == NodeKind::Space,
                EdgeKind::Map => node.kind == to.kind && node.kind != NodeKind::Pd,
            };
            if !ok {
                found.push(violation(idx, ViolationKind::BadEndpoints { edge: e.kind, to: to.id.clone() }));
            } else if e.kind == EdgeKind::Request && e.request_type.is_empty() {
                found.push(violation(idx, ViolationKind::RequestWithoutType { to: to.id.clone() }));
            }
        }
        if node.kind != NodeKind::Resource {
            continue;
        }
        let spaces = spaces_of(model, idx);
        match spaces.as_slice() {
            [] => found.push(violation(idx, ViolationKind::NoSpace)),
            [space] => {
                let space = model.node(*space);
                let expected = model.types.space_type_of(&node.ty);
                if space.ty != expected {
                    found.push(violation(
                        idx,
                        ViolationKind::WrongSpaceType {
                            resource_type: node.ty.clone().into_owned(),
                            space: space.id.clone(),
                            space_type: space.ty.clone().into_owned(),
                            expected: expected.into(),
                        },
                    ));
                }
            }
            many => found.push(violation(
                idx,
                ViolationKind::ManySpaces { spaces: many.iter().map(|s| model.node(*s).id.clone()).collect() },
            )),
        }
        if !reachable[idx.0 as usize] {
            found.push(violation(idx, ViolationKind::Unreachable));
        }
        for (_, e) in model.out_edges_of(idx, EdgeKind::Map) {
            let target = model.node(e.to);
            if target.kind != NodeKind::Resource {
                continue;
            }
            if let ([from_space], [to_space]) = (spaces.as_slice(), spaces_of(model, e.to).as_slice()) {
                let mapped = model.out_edges_of(*from_space, EdgeKind::Map).any(|(_, m)| m.to == *to_space);
                if !mapped {
                    found.push(violation(
                        idx,
                        ViolationKind::MapWithoutSpaceMap {
                            to: target.id.clone(),
                            from_space: model.node(*from_space).id.clone(),
                            to_space: model.node(*to_space).id.clone(),
                        },
                    ));
                }
            }
        }
    }
    found
}

/// The spaces a node SUBSETs (only spaces: a SUBSET to another kind is an endpoint violation).
pub fn spaces_of(model: &Model, idx: NodeIdx) -> Vec<NodeIdx> {
    model
        .out_edges_of(idx, EdgeKind::Subset)
        .filter(|(_, e)| model.node(e.to).kind == NodeKind::Space)
        .map(|(_, e)| e.to)
        .collect()
}

/// Marks every node reachable from some PD over HOLD and MAP edges (one pass, all PDs),
/// treating the nodes for which `gone` is true as absent.
pub(crate) fn reachable_from_pds(model: &Model, gone: impl Fn(NodeIdx) -> bool) -> Vec<bool> {
    let mut seen = alloc::vec![false; model.node_bound()];
    let mut stack: Vec<NodeIdx> = model.nodes_of(NodeKind::Pd).map(|(i, _)| i).filter(|i| !gone(*i)).collect();
    for pd in &stack {
        seen[pd.0 as usize] = true;
    }
    while let Some(n) = stack.pop() {
        for (_, e) in model.out_edges_of(n, EdgeKind::Hold).chain(model.out_edges_of(n, EdgeKind::Map)) {
            if !seen[e.to.0 as usize] && !gone(e.to) {
                seen[e.to.0 as usize] = true;
                stack.push(e.to);
            }
        }
    }
    seen
}
