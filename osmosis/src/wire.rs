//! A compact binary form of a whole model, for where there is no `std`: the seL4 root task
//! encodes the live model with it and streams it out; the host decodes it and writes the
//! file formats. Lossless (nodes with attributes, edges with permissions and request types,
//! the type table), and the decoder trusts nothing: every count is bounded by the bytes
//! left, every index and string is checked, and bad input is an error, never a panic.
//!
//! Layout (integers little-endian; `str` = `u32` length + UTF-8 bytes):
//! `"OSMW"`, version `u8`, then
//! types: `u32` n, n × (resource `str`, space `str`);
//! nodes: `u32` n, n × (kind `u8` (0 PD, 1 resource, 2 space), id `str`, type `str`,
//! name `str`, `u32` m, m × (key `str`, tag `u8` (0 int: `u64`, 1 text: `str`)));
//! edges: `u32` n, n × (kind `u8` (0 HOLD, 1 MAP, 2 REQUEST, 3 SUBSET), from `u32`,
//! to `u32` (positions in the node list), perms `u8`, request type `str`).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::model::{Attrs, Edge, EdgeKind, Model, ModelError, Node, NodeIdx, NodeKind, Perms, TypeTable, Value};

/// The first bytes of an encoded model.
pub const MAGIC: [u8; 4] = *b"OSMW";
/// The layout version this code writes and reads.
pub const VERSION: u8 = 1;

/// Why bytes are not a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Not starting with [`MAGIC`].
    BadMagic,
    /// A layout version this code does not read.
    BadVersion(u8),
    /// The bytes end inside a value.
    Truncated,
    /// A count larger than the bytes left could hold.
    BadCount,
    /// A tag byte (node kind, edge kind, value) out of range.
    BadTag(u8),
    /// A string that is not UTF-8.
    BadUtf8,
    /// An edge naming a node position past the node list.
    BadIndex(u32),
    /// Bytes left after the model.
    Trailing(usize),
    /// The decoded graph breaks a model rule (a duplicate id, a bad attribute key ...).
    Model(ModelError),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::BadMagic => f.write_str("not an encoded model (no OSMW magic)"),
            WireError::BadVersion(v) => write!(f, "encoded model version {v} (this reads {VERSION})"),
            WireError::Truncated => f.write_str("encoded model cut short"),
            WireError::BadCount => f.write_str("a count larger than the encoded model"),
            WireError::BadTag(t) => write!(f, "bad tag {t} in encoded model"),
            WireError::BadUtf8 => f.write_str("a string in the encoded model is not UTF-8"),
            WireError::BadIndex(i) => write!(f, "an edge names node {i}, past the node list"),
            WireError::Trailing(n) => write!(f, "{n} bytes after the encoded model"),
            WireError::Model(e) => write!(f, "encoded model: {e}"),
        }
    }
}

impl From<ModelError> for WireError {
    fn from(e: ModelError) -> Self {
        WireError::Model(e)
    }
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    // Counts and lengths of an in-memory model fit: a model has < 2^32 nodes.
    out.extend_from_slice(&(n.min(u32::MAX as usize) as u32).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn node_tag(kind: NodeKind) -> u8 {
    match kind {
        NodeKind::Pd => 0,
        NodeKind::Resource => 1,
        NodeKind::Space => 2,
    }
}

fn edge_tag(kind: EdgeKind) -> u8 {
    match kind {
        EdgeKind::Hold => 0,
        EdgeKind::Map => 1,
        EdgeKind::Request => 2,
        EdgeKind::Subset => 3,
    }
}

/// Appends `model`'s encoding to `out`.
pub fn encode(model: &Model, out: &mut Vec<u8>) {
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    let types: Vec<(&str, &str)> = model.types.entries().collect();
    put_u32(out, types.len());
    for (resource, space) in types {
        put_str(out, resource);
        put_str(out, space);
    }
    // Live nodes get positions 0.. in model order; edges name those positions.
    let mut position = alloc::vec![u32::MAX; model.node_bound()];
    put_u32(out, model.node_count());
    for (n, (idx, node)) in model.nodes().enumerate() {
        position[idx.0 as usize] = n as u32;
        out.push(node_tag(node.kind));
        put_str(out, &node.id);
        put_str(out, &node.ty);
        put_str(out, &node.name);
        put_u32(out, node.attrs.len());
        for (key, value) in &node.attrs {
            put_str(out, key);
            match value {
                Value::Int(i) => {
                    out.push(0);
                    out.extend_from_slice(&i.to_le_bytes());
                }
                Value::Text(t) => {
                    out.push(1);
                    put_str(out, t);
                }
            }
        }
    }
    put_u32(out, model.edge_count());
    for (_, e) in model.edges() {
        out.push(edge_tag(e.kind));
        out.extend_from_slice(&position[e.from.0 as usize].to_le_bytes());
        out.extend_from_slice(&position[e.to.0 as usize].to_le_bytes());
        out.push(e.perms.bits());
        put_str(out, &e.request_type);
    }
}

/// `model` encoded.
pub fn to_bytes(model: &Model) -> Vec<u8> {
    let mut out = Vec::new();
    encode(model, &mut out);
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.bytes.len() {
            return Err(WireError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        let b = self.take(8)?;
        let mut w = [0; 8];
        w.copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }

    /// A count of records of at least `min` bytes each: more than the bytes left can hold
    /// is a lie, refused before anything is allocated for it.
    fn count(&mut self, min: usize) -> Result<usize, WireError> {
        let n = self.u32()? as usize;
        if n > self.bytes.len() / min {
            return Err(WireError::BadCount);
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<&'a str, WireError> {
        let n = self.u32()? as usize;
        core::str::from_utf8(self.take(n)?).map_err(|_| WireError::BadUtf8)
    }
}

/// The model encoded in `bytes` (exactly: trailing bytes are an error).
pub fn decode(bytes: &[u8]) -> Result<Model, WireError> {
    let mut r = Reader { bytes };
    if r.take(4).map_err(|_| WireError::BadMagic)? != MAGIC {
        return Err(WireError::BadMagic);
    }
    let version = r.u8()?;
    if version != VERSION {
        return Err(WireError::BadVersion(version));
    }
    let mut model = Model::new();
    model.types = TypeTable::empty();
    for _ in 0..r.count(8)? {
        let (resource, space) = (r.str()?, r.str()?);
        model.types.insert(resource, space);
    }
    let nodes = r.count(1 + 4 * 4)?;
    let mut index = Vec::with_capacity(nodes);
    for _ in 0..nodes {
        let kind = match r.u8()? {
            0 => NodeKind::Pd,
            1 => NodeKind::Resource,
            2 => NodeKind::Space,
            t => return Err(WireError::BadTag(t)),
        };
        let (id, ty, name) = (r.str()?, r.str()?, r.str()?);
        let mut attrs = Attrs::new();
        for _ in 0..r.count(4 + 1 + 4)? {
            let key = String::from(r.str()?);
            let value = match r.u8()? {
                0 => Value::Int(r.u64()?),
                1 => Value::Text(String::from(r.str()?).into()),
                t => return Err(WireError::BadTag(t)),
            };
            attrs.insert(key, value);
        }
        let node = Node { id: String::from(id), kind, ty: String::from(ty).into(), name: String::from(name), attrs };
        index.push(model.add_node(node)?);
    }
    let edges = r.count(1 + 4 + 4 + 1 + 4)?;
    for _ in 0..edges {
        let kind = match r.u8()? {
            0 => EdgeKind::Hold,
            1 => EdgeKind::Map,
            2 => EdgeKind::Request,
            3 => EdgeKind::Subset,
            t => return Err(WireError::BadTag(t)),
        };
        let at = |i: u32| index.get(i as usize).copied().ok_or(WireError::BadIndex(i));
        let (from, to): (NodeIdx, NodeIdx) = (at(r.u32()?)?, at(r.u32()?)?);
        let bits = r.u8()?;
        let perms = Perms::from_bits(bits).ok_or(WireError::BadTag(bits))?;
        let request_type = String::from(r.str()?);
        model.add_edge(Edge { kind, from, to, perms, request_type })?;
    }
    if !r.bytes.is_empty() {
        return Err(WireError::Trailing(r.bytes.len()));
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Model {
        let mut m = Model::new();
        m.types.insert("TALLY", "COUNTER");
        m.add_node(Node::pd("PD_0", "ROOT_TASK")).expect("valid");
        m.add_node(Node::pd("PD_1", "counter").with("priority", 100u64)).expect("valid");
        m.add_node(Node::space("ADS_SPACE_1", "ADS")).expect("valid");
        let vmr = Node::resource("VMR_1_1", "VMR").with("addr", 0x40_0000u64).with("kind", "ELF_CODE");
        m.add_node(vmr.with("pages", 3u64)).expect("valid");
        m.link(EdgeKind::Hold, "PD_1", "VMR_1_1", Perms::READ | Perms::EXECUTE, "").expect("valid");
        m.link(EdgeKind::Subset, "VMR_1_1", "ADS_SPACE_1", Perms::NONE, "").expect("valid");
        m.link(EdgeKind::Request, "PD_1", "PD_0", Perms::NONE, "VMR").expect("valid");
        m.link(EdgeKind::Hold, "PD_0", "PD_1", Perms::TERMINATE, "").expect("valid");
        m
    }

    fn same(a: &Model, b: &Model) {
        assert_eq!(a.sorted_nodes(), b.sorted_nodes());
        assert_eq!(a.edge_keys(), b.edge_keys());
        assert_eq!(a.types, b.types);
    }

    #[test]
    fn round_trips_nodes_attributes_edges_and_types() {
        let m = sample();
        let back = decode(&to_bytes(&m)).expect("valid");
        same(&m, &back);
        assert_eq!(back.types.space_type_of("TALLY"), "COUNTER");
    }

    #[test]
    fn round_trips_after_removals() {
        // Removed nodes leave holes in the indices; positions on the wire have none.
        let mut m = sample();
        let gone = m.find("ADS_SPACE_1").expect("valid");
        m.remove_node(gone);
        same(&m, &decode(&to_bytes(&m)).expect("valid"));
    }

    #[test]
    fn every_cut_is_an_error() {
        let bytes = to_bytes(&sample());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "cut at {n} decoded");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer).expect_err("refused"), WireError::Trailing(1));
    }

    #[test]
    fn lies_are_refused() {
        let bytes = to_bytes(&sample());
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(decode(&bad).expect_err("refused"), WireError::BadMagic);
        let mut bad = bytes.clone();
        bad[4] = 9;
        assert_eq!(decode(&bad).expect_err("refused"), WireError::BadVersion(9));
        // The type count: a huge count is refused before allocating.
        let mut bad = bytes.clone();
        bad[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&bad).expect_err("refused"), WireError::BadCount);
        // A duplicate node id is a model error, not a second node.
        let mut m = Model::new();
        m.types = TypeTable::empty();
        m.add_node(Node::pd("PD_0", "a")).expect("valid");
        let one = to_bytes(&m);
        // magic, version, 0 types | 1 node | the node | 0 edges
        let node = &one[13..one.len() - 4];
        let mut twice = one[..9].to_vec();
        twice.extend_from_slice(&2u32.to_le_bytes());
        twice.extend_from_slice(node);
        twice.extend_from_slice(node);
        twice.extend_from_slice(&0u32.to_le_bytes());
        assert!(matches!(decode(&twice), Err(WireError::Model(ModelError::DuplicateId(_)))));
    }

    #[test]
    fn every_byte_flip_is_an_error_or_a_model() {
        // Never a panic: each flipped byte either still decodes or is refused.
        let bytes = to_bytes(&sample());
        let (mut refused, mut decoded) = (0, 0);
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                match decode(&b) {
                    Ok(_) => decoded += 1,
                    Err(_) => refused += 1,
                }
            }
        }
        // Flips in the text decode (to another model); flips in the framing do not.
        assert!(refused > bytes.len() && decoded > 0, "{refused} refused, {decoded} decoded");
    }
}
