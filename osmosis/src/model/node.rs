//! Nodes: protection domains, resources and resource spaces.

use alloc::string::String;
use core::fmt;

use super::{Attrs, Text};

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKind {
    /// A protection domain: thread, process, VM, server, the kernel.
    Pd,
    /// A resource: a virtual region, memory object, CPU, file, block ...
    Resource,
    /// A resource space: an address space, a file namespace, physical memory ...
    Space,
}

impl NodeKind {
    /// All kinds, in export order.
    pub const ALL: [NodeKind; 3] = [NodeKind::Pd, NodeKind::Resource, NodeKind::Space];

    /// The name used in the CellulOS CSV `NODE_TYPE` column, JSON and Neo4j labels.
    pub const fn name(self) -> &'static str {
        match self {
            NodeKind::Pd => "PD",
            NodeKind::Resource => "RESOURCE",
            NodeKind::Space => "RESOURCE_SPACE",
        }
    }

    /// The kind for a name written by [`NodeKind::name`].
    pub fn from_name(name: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A node's index in its [`Model`](super::Model); stable until the node is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(pub u32);

/// One node of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The external id, unique in the model (CellulOS style: `PD_1`, `VMR_7_1`, `ADS_SPACE_7`).
    pub id: String,
    /// PD, resource or resource space.
    pub kind: NodeKind,
    /// The resource type (`VMR`) or space type (`ADS`); empty for a PD. Usually the
    /// program's own word: borrowed, it costs no allocation (the root task names nodes on
    /// the requests it serves, and copies every server's at extraction).
    pub ty: Text,
    /// A human name: a PD's program (`ramdisk_server`); optional for the others.
    pub name: String,
    /// Extra data: a region's address, kind and pages, a memory object's pages, a pid ...
    pub attrs: Attrs,
}

impl Node {
    /// A protection domain.
    pub fn pd(id: impl Into<String>, name: impl Into<String>) -> Node {
        Node { id: id.into(), kind: NodeKind::Pd, ty: Text::Borrowed(""), name: name.into(), attrs: Attrs::new() }
    }

    /// A resource of type `ty`.
    pub fn resource(id: impl Into<String>, ty: impl Into<Text>) -> Node {
        Node { id: id.into(), kind: NodeKind::Resource, ty: ty.into(), name: String::new(), attrs: Attrs::new() }
    }

    /// A resource space of type `ty`.
    pub fn space(id: impl Into<String>, ty: impl Into<Text>) -> Node {
        Node { id: id.into(), kind: NodeKind::Space, ty: ty.into(), name: String::new(), attrs: Attrs::new() }
    }

    /// Adds an attribute (builder style).
    pub fn with(mut self, key: impl Into<super::attrs::Key>, value: impl Into<super::Value>) -> Node {
        self.attrs.insert(key, value.into());
        self
    }

    /// An integer attribute, if present.
    pub fn int(&self, key: &str) -> Option<u64> {
        self.attrs.get(key).and_then(super::Value::as_int)
    }
}
