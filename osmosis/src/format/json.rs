//! Our JSON model format, schema version 1.
//!
//! ```json
//! {
//!   "format": "osmosis-model",
//!   "version": 1,
//!   "types": {"VMR": "ADS", "MO": "MO"},
//!   "nodes": [
//!     {"id": "PD_1", "kind": "PD", "name": "GPIKV001"},
//!     {"id": "ADS_SPACE_8", "kind": "RESOURCE_SPACE", "type": "ADS"},
//!     {"id": "VMR_8_1", "kind": "RESOURCE", "type": "VMR",
//!      "attrs": {"addr": 4194304, "kind": "ELF_CODE", "pages": 557, "size_bits": 12}}
//!   ],
//!   "edges": [
//!     {"type": "HOLD", "from": "PD_1", "to": "VMR_8_1", "perms": "rx"},
//!     {"type": "SUBSET", "from": "VMR_8_1", "to": "ADS_SPACE_8"},
//!     {"type": "REQUEST", "from": "PD_1", "to": "PD_0", "resource_type": "VMR"}
//!   ]
//! }
//! ```
//! - `format` and `version` are required; a reader refuses a version it does not know.
//! - `types` is the resource-type -> space-type table ([`crate::TypeTable`]); when absent
//!   the built-in table applies. A type it does not name lives in a space of its own name.
//! - A node has `id` (unique), `kind` (`PD`, `RESOURCE`, `RESOURCE_SPACE`), `type` (not
//!   for PDs), an optional `name` and optional `attrs` whose keys are identifiers and whose
//!   values are strings or unsigned 64-bit integers.
//! - An edge has `type` (`HOLD`, `MAP`, `REQUEST`, `SUBSET`), `from`, `to`, optional
//!   `perms` (letters `rwxt`) and, for a REQUEST, `resource_type`.
//!
//! Unknown fields are errors (a typo must not silently drop data). The writer puts one
//! node or edge per line, so files diff well and errors name a useful line.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::{json_pos::element_line, FormatError};
use crate::model::{Attrs, Edge, EdgeKind, Model, Node, NodeKind, TypeTable, Value};

/// The `format` field's value.
pub const FORMAT_NAME: &str = "osmosis-model";
/// The schema version this code reads and writes.
pub const VERSION: u32 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    format: String,
    version: u32,
    #[serde(default)]
    types: Option<BTreeMap<String, String>>,
    nodes: Vec<NodeIn>,
    edges: Vec<EdgeIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeIn {
    id: String,
    kind: String,
    #[serde(default, rename = "type")]
    ty: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attrs: BTreeMap<String, ValueIo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeIn {
    #[serde(rename = "type")]
    kind: String,
    from: String,
    to: String,
    #[serde(default)]
    perms: String,
    #[serde(default)]
    resource_type: String,
}

#[derive(Deserialize, Serialize)]
#[serde(untagged)]
enum ValueIo {
    Int(u64),
    Text(String),
}

#[derive(Serialize)]
struct NodeOut<'a> {
    id: &'a str,
    kind: &'a str,
    #[serde(rename = "type", skip_serializing_if = "str::is_empty")]
    ty: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attrs: BTreeMap<&'a str, ValueIo>,
}

#[derive(Serialize)]
struct EdgeOut<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    from: &'a str,
    to: &'a str,
    #[serde(skip_serializing_if = "String::is_empty")]
    perms: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    resource_type: &'a str,
}

/// Reads a JSON model; `name` is the file name used in errors.
pub fn read(name: &str, bytes: &[u8]) -> Result<Model, FormatError> {
    let file: FileIn = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON",
            _ => "not an osmosis model",
        };
        FormatError::at(name, e.line().max(1) as u64, format!("{what}: {e}"))
    })?;
    if file.format != FORMAT_NAME {
        return Err(FormatError::at(name, 1, format!("format is {:?}, expected {FORMAT_NAME:?}", file.format)));
    }
    if file.version != VERSION {
        return Err(FormatError::at(
            name,
            1,
            format!("schema version {} is not supported (this osmosis reads version {VERSION})", file.version),
        ));
    }
    let mut model = Model::new();
    if let Some(types) = file.types {
        model.types = TypeTable::empty();
        for (resource, space) in types {
            model.types.insert(&resource, &space);
        }
    }
    let line_of = |key: &str, i: usize| element_line(bytes, key, i).unwrap_or(1);
    for (i, n) in file.nodes.into_iter().enumerate() {
        let err = |msg: String| FormatError::at(name, line_of("nodes", i), msg);
        let kind = NodeKind::from_name(&n.kind)
            .ok_or_else(|| err(format!("unknown node kind {:?} (expected PD, RESOURCE or RESOURCE_SPACE)", n.kind)))?;
        let attrs: Attrs = n
            .attrs
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    ValueIo::Int(i) => Value::Int(i),
                    ValueIo::Text(s) => Value::Text(s.into()),
                };
                (k, v)
            })
            .collect();
        let id = n.id.clone();
        model
            .add_node(Node { id: n.id, kind, ty: n.ty.into(), name: n.name, attrs })
            .map_err(|e| err(format!("node {id:?}: {e}")))?;
    }
    for (i, e) in file.edges.into_iter().enumerate() {
        let err = |msg: String| FormatError::at(name, line_of("edges", i), msg);
        let kind = EdgeKind::from_name(&e.kind)
            .ok_or_else(|| err(format!("unknown edge type {:?} (expected HOLD, MAP, REQUEST or SUBSET)", e.kind)))?;
        let end = |id: &str| model.find(id).ok_or_else(|| err(format!("edge names unknown node {id:?}")));
        let (from, to) = (end(&e.from)?, end(&e.to)?);
        let perms = e.perms.parse().map_err(|p| err(format!("{p}")))?;
        let edge = Edge { kind, from, to, perms, request_type: e.resource_type };
        model.add_edge(edge).map_err(|x| err(x.to_string()))?;
    }
    Ok(model)
}

/// Writes a model as JSON, one node or edge per line.
pub fn write(model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    let types: BTreeMap<&str, &str> = model.types.entries().collect();
    writeln!(out, "{{\n\"format\": \"{FORMAT_NAME}\",\n\"version\": {VERSION},")?;
    writeln!(out, "\"types\": {},", serde_json::to_string(&types)?)?;
    writeln!(out, "\"nodes\": [")?;
    let mut sep = "";
    for (_, n) in model.nodes() {
        let attrs = n
            .attrs
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Int(i) => ValueIo::Int(*i),
                    Value::Text(s) => ValueIo::Text(s.clone().into_owned()),
                };
                (k, v)
            })
            .collect();
        let node = NodeOut { id: &n.id, kind: n.kind.name(), ty: &n.ty, name: &n.name, attrs };
        write!(out, "{sep}{}", serde_json::to_string(&node)?)?;
        sep = ",\n";
    }
    writeln!(out, "\n],\n\"edges\": [")?;
    sep = "";
    for (_, e) in model.edges() {
        let edge = EdgeOut {
            kind: e.kind.name(),
            from: &model.node(e.from).id,
            to: &model.node(e.to).id,
            perms: e.perms.to_string(),
            resource_type: &e.request_type,
        };
        write!(out, "{sep}{}", serde_json::to_string(&edge)?)?;
        sep = ",\n";
    }
    writeln!(out, "\n]\n}}")
}
