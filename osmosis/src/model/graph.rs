//! The in-memory graph: nodes and edges in vectors, adjacency lists both ways split by edge
//! kind, and an id index.
//!
//! Sized for a million edges: an edge is a few words, adjacency is two `u32` per edge, and
//! queries walk only the lists of the kind they follow. That matters: a space has one
//! SUBSET in-edge per resource, and a query asking who HOLDs the space must not scan them.

use alloc::string::ToString;
use alloc::vec::Vec;
use core::hash::BuildHasher;
use hashbrown::{DefaultHashBuilder, HashTable};
use smallvec::SmallVec;

use super::{is_valid_key, Edge, EdgeIdx, EdgeKind, ModelError, Node, NodeIdx, NodeKind, Perms};
use super::{TypeTable, Value};

/// An OSmosis model: PDs, resources and resource spaces, and the edges between them.
#[derive(Clone, Debug, Default)]
pub struct Model {
    nodes: Vec<Option<Node>>,
    edges: Vec<Option<Edge>>,
    out: Vec<Lists>,
    inc: Vec<Lists>,
    /// Node indices by the hash of their id (the id itself lives only in the node).
    index: HashTable<NodeIdx>,
    hasher: DefaultHashBuilder,
    live_nodes: usize,
    live_edges: usize,
    /// Slots of removed edges, used again by the next edges added: a model that lives long
    /// and changes (the root task's) does not grow with every edge it ever had.
    free_edges: Vec<EdgeIdx>,
    /// Slots of nodes removed with [`Model::remove_node_reusing`], used again by the next
    /// nodes added (a node removed with [`Model::remove_node`] keeps its slot, empty, so an
    /// index someone kept names nothing rather than a newer node).
    free_nodes: Vec<NodeIdx>,
    /// Which space type each resource type lives in (used by the checker and cleanup).
    pub types: TypeTable,
}

/// One adjacency list per edge kind, in [`EdgeKind::ALL`] order. Most nodes have a few
/// edges of a kind (a region: one SUBSET, one MAP, a holder or two): up to four live inside
/// the list, in the room a `Vec` takes anyway, so adding a node's first edges allocates
/// nothing.
type Lists = [SmallVec<[EdgeIdx; 4]>; 4];

const fn slot(kind: EdgeKind) -> usize {
    match kind {
        EdgeKind::Hold => 0,
        EdgeKind::Map => 1,
        EdgeKind::Request => 2,
        EdgeKind::Subset => 3,
    }
}

fn valid_text(s: &str) -> bool {
    // Ids and types are nearly always printable ASCII: one pass over the bytes says so;
    // anything else gets the full test.
    !s.is_empty() && (s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(char::is_control))
}

impl Model {
    /// An empty model with the built-in type table.
    pub fn new() -> Model {
        Model::default()
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.live_nodes
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.live_edges
    }

    /// Adds a node. Its id must be new, its attribute keys identifiers, and a resource or
    /// space must have a type (a PD has none).
    pub fn add_node(&mut self, node: Node) -> Result<NodeIdx, ModelError> {
        if !valid_text(&node.id) {
            return Err(ModelError::BadId(node.id));
        }
        match (node.kind, node.ty.is_empty()) {
            (NodeKind::Pd, false) => {
                return Err(ModelError::BadType(alloc::format!(
                    "PD {} has a type ({}); only resources and spaces have one",
                    node.id,
                    node.ty
                )))
            }
            (NodeKind::Resource | NodeKind::Space, true) => {
                return Err(ModelError::BadType(alloc::format!("{} {} has no type", node.kind, node.id)))
            }
            _ if !node.ty.is_empty() && !valid_text(&node.ty) => {
                return Err(ModelError::BadType(alloc::format!("type {:?} of {} is not valid", node.ty, node.id)))
            }
            _ => {}
        }
        if let Some(key) = node.attrs.keys().find(|k| !is_valid_key(k)) {
            return Err(ModelError::BadAttrKey(key.to_string()));
        }
        let idx = match self.free_nodes.last() {
            Some(idx) => *idx,
            None => NodeIdx(u32::try_from(self.nodes.len()).map_err(|_| ModelError::TooLarge)?),
        };
        // One hash of the id finds a duplicate or the place of the new one.
        let Model { index, nodes, hasher, .. } = self;
        let id_of = |i: &NodeIdx| nodes[i.0 as usize].as_ref().map_or("", |n| n.id.as_str());
        match index.entry(hasher.hash_one(node.id.as_str()), |i| id_of(i) == node.id, |i| hasher.hash_one(id_of(i))) {
            hashbrown::hash_table::Entry::Occupied(_) => return Err(ModelError::DuplicateId(node.id)),
            hashbrown::hash_table::Entry::Vacant(place) => {
                place.insert(idx);
            }
        }
        if self.free_nodes.last() == Some(&idx) {
            // A free slot's lists were emptied when its node went.
            self.free_nodes.pop();
            self.nodes[idx.0 as usize] = Some(node);
        } else {
            self.nodes.push(Some(node));
            self.out.push(Lists::default());
            self.inc.push(Lists::default());
        }
        self.live_nodes += 1;
        Ok(idx)
    }

    /// Adds an edge between two nodes of this model.
    pub fn add_edge(&mut self, edge: Edge) -> Result<EdgeIdx, ModelError> {
        for end in [edge.from, edge.to] {
            if self.get(end).is_none() {
                return Err(ModelError::UnknownNode(alloc::format!("#{}", end.0)));
            }
        }
        if !edge.request_type.is_empty() && !valid_text(&edge.request_type) {
            return Err(ModelError::BadType(alloc::format!("request type {:?} is not valid", edge.request_type)));
        }
        let idx = match self.free_edges.pop() {
            Some(idx) => idx,
            None => EdgeIdx(u32::try_from(self.edges.len()).map_err(|_| ModelError::TooLarge)?),
        };
        self.out[edge.from.0 as usize][slot(edge.kind)].push(idx);
        self.inc[edge.to.0 as usize][slot(edge.kind)].push(idx);
        match self.edges.get_mut(idx.0 as usize) {
            Some(free) => *free = Some(edge),
            None => self.edges.push(Some(edge)),
        }
        self.live_edges += 1;
        Ok(idx)
    }

    /// Adds an edge between nodes named by id: the convenient form for builders and tests.
    pub fn link(
        &mut self,
        kind: EdgeKind,
        from: &str,
        to: &str,
        perms: Perms,
        request_type: &str,
    ) -> Result<EdgeIdx, ModelError> {
        let from = self.find(from).ok_or_else(|| ModelError::UnknownNode(from.to_string()))?;
        let to = self.find(to).ok_or_else(|| ModelError::UnknownNode(to.to_string()))?;
        self.add_edge(Edge { kind, from, to, perms, request_type: request_type.to_string() })
    }

    /// Removes an edge; `None` if it was already gone. Its index may name the next edge
    /// added.
    pub fn remove_edge(&mut self, idx: EdgeIdx) -> Option<Edge> {
        let edge = self.edges.get_mut(idx.0 as usize)?.take()?;
        self.out[edge.from.0 as usize][slot(edge.kind)].retain(|e| *e != idx);
        self.inc[edge.to.0 as usize][slot(edge.kind)].retain(|e| *e != idx);
        self.live_edges -= 1;
        self.free_edges.push(idx);
        Some(edge)
    }

    /// Removes a node like [`Model::remove_node`], and lets the next node added take its
    /// slot: for a node whose index nobody else keeps (a model that lives long and changes
    /// does not grow with every such node it ever had).
    pub fn remove_node_reusing(&mut self, idx: NodeIdx) -> Option<Node> {
        let node = self.remove_node(idx)?;
        self.free_nodes.push(idx);
        Some(node)
    }

    /// Removes a node and every edge that touches it; `None` if it was already gone. Its
    /// slot stays empty: an index kept elsewhere goes on naming nothing.
    pub fn remove_node(&mut self, idx: NodeIdx) -> Option<Node> {
        self.get(idx)?;
        let i = idx.0 as usize;
        let touching: Vec<EdgeIdx> = self.out[i].iter().chain(&self.inc[i]).flatten().copied().collect();
        for e in touching {
            self.remove_edge(e);
        }
        // Its (now empty) adjacency lists give their memory back.
        (self.out[i], self.inc[i]) = (Lists::default(), Lists::default());
        let hash = self.hasher.hash_one(self.node(idx).id.as_str());
        if let Ok(entry) = self.index.find_entry(hash, |n| *n == idx) {
            entry.remove();
        }
        let node = self.nodes[i].take()?;
        self.live_nodes -= 1;
        Some(node)
    }

    /// Sets an attribute of a node.
    pub fn set_attr(&mut self, idx: NodeIdx, key: &str, value: Value) -> Result<(), ModelError> {
        if !is_valid_key(key) {
            return Err(ModelError::BadAttrKey(key.to_string()));
        }
        let node = self
            .nodes
            .get_mut(idx.0 as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| ModelError::UnknownNode(alloc::format!("#{}", idx.0)))?;
        node.attrs.insert(key.to_string(), value);
        Ok(())
    }

    /// The node with this id.
    pub fn find(&self, id: &str) -> Option<NodeIdx> {
        let hash = self.hasher.hash_one(id);
        self.index.find(hash, |i| self.get(*i).is_some_and(|n| n.id == id)).copied()
    }

    /// The node at `idx`, if it exists.
    pub fn get(&self, idx: NodeIdx) -> Option<&Node> {
        self.nodes.get(idx.0 as usize).and_then(Option::as_ref)
    }

    /// The node at `idx`.
    ///
    /// # Panics
    /// If `idx` was removed or belongs to another model: indices handed out by this model's
    /// iterators and edges are always live.
    pub fn node(&self, idx: NodeIdx) -> &Node {
        self.get(idx).expect("live node index")
    }

    /// The edge at `idx`, if it exists.
    pub fn get_edge(&self, idx: EdgeIdx) -> Option<&Edge> {
        self.edges.get(idx.0 as usize).and_then(Option::as_ref)
    }

    /// The edge at `idx`.
    ///
    /// # Panics
    /// If `idx` was removed (indices from adjacency lists are always live).
    pub fn edge(&self, idx: EdgeIdx) -> &Edge {
        self.get_edge(idx).expect("live edge index")
    }

    /// Every node, in insertion order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeIdx, &Node)> + '_ {
        self.nodes.iter().enumerate().filter_map(|(i, n)| n.as_ref().map(|n| (NodeIdx(i as u32), n)))
    }

    /// Every node of one kind, in insertion order.
    pub fn nodes_of(&self, kind: NodeKind) -> impl Iterator<Item = (NodeIdx, &Node)> + '_ {
        self.nodes().filter(move |(_, n)| n.kind == kind)
    }

    /// Every edge, in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (EdgeIdx, &Edge)> + '_ {
        self.edges.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (EdgeIdx(i as u32), e)))
    }

    /// The edges leaving `idx`, grouped by kind.
    pub fn out_edges(&self, idx: NodeIdx) -> impl Iterator<Item = (EdgeIdx, &Edge)> + '_ {
        self.adjacent(&self.out, idx, None)
    }

    /// The edges arriving at `idx`, grouped by kind.
    pub fn in_edges(&self, idx: NodeIdx) -> impl Iterator<Item = (EdgeIdx, &Edge)> + '_ {
        self.adjacent(&self.inc, idx, None)
    }

    /// The edges of one kind leaving `idx`, visiting no edge of another kind.
    pub fn out_edges_of(&self, idx: NodeIdx, kind: EdgeKind) -> impl Iterator<Item = (EdgeIdx, &Edge)> + '_ {
        self.adjacent(&self.out, idx, Some(kind))
    }

    /// The edges of one kind arriving at `idx`, visiting no edge of another kind.
    pub fn in_edges_of(&self, idx: NodeIdx, kind: EdgeKind) -> impl Iterator<Item = (EdgeIdx, &Edge)> + '_ {
        self.adjacent(&self.inc, idx, Some(kind))
    }

    fn adjacent<'a>(
        &'a self,
        lists: &'a [Lists],
        idx: NodeIdx,
        kind: Option<EdgeKind>,
    ) -> impl Iterator<Item = (EdgeIdx, &'a Edge)> + 'a {
        let (first, last) = kind.map_or((0, 4), |k| (slot(k), slot(k) + 1));
        lists
            .get(idx.0 as usize)
            .into_iter()
            .flat_map(move |l| l[first..last].iter().flatten())
            .map(move |e| (*e, self.edge(*e)))
    }

    /// Adds every node and edge of `other` (a server's part of the model, say): a node
    /// already here is shared when it is the same node, and a conflict when it differs.
    pub fn merge(&mut self, other: &Model) -> Result<(), ModelError> {
        for (resource, space) in other.types.entries() {
            self.types.insert(resource, space);
        }
        let mut map = alloc::vec![NodeIdx(0); other.node_bound()];
        for (i, node) in other.nodes() {
            map[i.0 as usize] = match self.find(&node.id) {
                Some(existing) if self.node(existing) == node => existing,
                Some(_) => return Err(ModelError::DuplicateId(node.id.clone())),
                None => self.add_node(node.clone())?,
            };
        }
        for (_, e) in other.edges() {
            let edge = Edge { from: map[e.from.0 as usize], to: map[e.to.0 as usize], ..e.clone() };
            self.add_edge(edge)?;
        }
        Ok(())
    }

    /// One past the largest node index: the size for per-node scratch vectors.
    pub fn node_bound(&self) -> usize {
        self.nodes.len()
    }

    /// Every edge as `(kind, from id, to id, perms, request type)`, sorted: two models are
    /// equal when their nodes and these lists are.
    pub fn edge_keys(&self) -> Vec<(EdgeKind, &str, &str, Perms, &str)> {
        let mut keys: Vec<_> = self
            .edges()
            .map(|(_, e)| {
                (e.kind, self.node(e.from).id.as_str(), self.node(e.to).id.as_str(), e.perms, e.request_type.as_str())
            })
            .collect();
        keys.sort_unstable();
        keys
    }

    /// Every node, sorted by id.
    pub fn sorted_nodes(&self) -> Vec<&Node> {
        let mut nodes: Vec<&Node> = self.nodes().map(|(_, n)| n).collect();
        nodes.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        nodes
    }
}

/// Models are equal when they have the same type table, the same nodes (by id, with all
/// their data) and the same edges (as a multiset), whatever the insertion order.
impl PartialEq for Model {
    fn eq(&self, other: &Model) -> bool {
        self.types == other.types
            && self.node_count() == other.node_count()
            && self.edge_count() == other.edge_count()
            && self.sorted_nodes() == other.sorted_nodes()
            && self.edge_keys() == other.edge_keys()
    }
}

impl Eq for Model {}
