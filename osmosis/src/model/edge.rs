//! Edges: HOLD, MAP, REQUEST and SUBSET.

use alloc::string::String;
use core::fmt;

use super::{NodeIdx, Perms};

/// What an edge says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// PD -> resource / space / PD: direct access (a held PD may be terminated).
    Hold,
    /// resource -> resource or space -> space: implemented by / translated to.
    Map,
    /// PD -> PD, with a resource type: may ask the other for resources of that type.
    Request,
    /// resource -> space: the resource lives in that space.
    Subset,
}

impl EdgeKind {
    /// All kinds, in export order.
    pub const ALL: [EdgeKind; 4] = [EdgeKind::Hold, EdgeKind::Map, EdgeKind::Request, EdgeKind::Subset];

    /// The name used in every format (`HOLD`, `MAP`, `REQUEST`, `SUBSET`).
    pub const fn name(self) -> &'static str {
        match self {
            EdgeKind::Hold => "HOLD",
            EdgeKind::Map => "MAP",
            EdgeKind::Request => "REQUEST",
            EdgeKind::Subset => "SUBSET",
        }
    }

    /// The kind for a name written by [`EdgeKind::name`].
    pub fn from_name(name: &str) -> Option<EdgeKind> {
        EdgeKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An edge's index in its [`Model`](super::Model); stable until the edge is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EdgeIdx(pub u32);

/// One edge of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// What the edge says.
    pub kind: EdgeKind,
    /// Where it starts.
    pub from: NodeIdx,
    /// Where it ends.
    pub to: NodeIdx,
    /// Permissions (HOLD and MAP); empty when none are recorded.
    pub perms: Perms,
    /// The requested resource type (REQUEST only); empty otherwise.
    pub request_type: String,
}

impl Edge {
    /// An edge with no permissions and no request type.
    pub fn new(kind: EdgeKind, from: NodeIdx, to: NodeIdx) -> Edge {
        Edge { kind, from, to, perms: Perms::NONE, request_type: String::new() }
    }

    /// The same edge with these permissions.
    pub fn with_perms(mut self, perms: Perms) -> Edge {
        self.perms = perms;
        self
    }

    /// A REQUEST edge for resources of `ty`.
    pub fn request(from: NodeIdx, to: NodeIdx, ty: &str) -> Edge {
        Edge { request_type: ty.into(), ..Edge::new(EdgeKind::Request, from, to) }
    }
}
