//! The CellulOS model CSV: `NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA`.
//!
//! - A node row fills `NODE_TYPE` (`PD`, `RESOURCE`, `RESOURCE_SPACE`), `NODE_ID`, `DATA`
//!   (a PD's name, a resource's or space's type) and `EXTRA` ([`super::extra`]), and
//!   leaves the edge columns empty.
//! - An edge row leaves `NODE_TYPE` and `NODE_ID` empty and fills `DATA` (the request type
//!   of a REQUEST, `NONE` otherwise), `EDGE_TYPE` (`HOLD`, `MAP`, `REQUEST`, `SUBSET`),
//!   `EDGE_FROM`, `EDGE_TO` and `EXTRA` (the permissions as letters `rwxt`, or empty).
//!
//! Rows may come in any order (an edge may name a node defined further down; such edges
//! are added, in file order, after the last row, so edge order can differ). The reader
//! takes `\n` or `\r\n` line ends and RFC 4180 quoting; every error names its line. The
//! writer puts all node rows first, then all edges, in model order.

use std::io::Write;

use super::{extra, FormatError};
use crate::model::{Edge, EdgeKind, Model, Node, NodeKind, Perms};

/// The header row.
pub const HEADER: [&str; 7] = ["NODE_TYPE", "NODE_ID", "DATA", "EDGE_TYPE", "EDGE_FROM", "EDGE_TO", "EXTRA"];

/// The longest row the reader accepts, in bytes: a real row is well under 1 KiB.
pub const MAX_ROW_BYTES: usize = 1 << 20;

const NO_REQUEST_TYPE: &str = "NONE";

struct PendingEdge {
    line: u64,
    kind: EdgeKind,
    from: String,
    to: String,
    perms: Perms,
    request_type: String,
}

/// Reads a CellulOS CSV model; `name` is the file name used in errors.
pub fn read(name: &str, bytes: &[u8]) -> Result<Model, FormatError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut model = Model::new();
    // The line each node was defined on, by node index (for duplicate-id messages).
    let mut defined_at: Vec<u64> = Vec::new();
    // Edges naming a node not yet defined wait for the end of the file.
    let mut pending = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            FormatError::at(name, line.max(1), format!("malformed CSV: {e}"))
        })?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        let err = |msg: String| FormatError::at(name, line, msg);
        if record.as_slice().len() > MAX_ROW_BYTES {
            return Err(err(format!("row is {} bytes long; the limit is {MAX_ROW_BYTES}", record.as_slice().len())));
        }
        let mut cells: Vec<&str> = Vec::with_capacity(7);
        for (i, cell) in record.iter().enumerate() {
            let text = std::str::from_utf8(cell)
                .map_err(|e| err(format!("column {} is not valid UTF-8 (byte {})", i + 1, e.valid_up_to())))?;
            cells.push(text);
        }
        if first {
            first = false;
            if cells != HEADER {
                return Err(err(format!("expected the header {}, found {}", HEADER.join(","), cells.join(","))));
            }
            continue;
        }
        if cells.len() == 1 && cells[0].is_empty() {
            continue;
        }
        let [node_type, node_id, data, edge_type, from, to, extra_cell] = cells[..] else {
            return Err(err(format!("expected 7 columns, found {}", cells.len())));
        };
        if !node_type.is_empty() {
            let kind = NodeKind::from_name(node_type).ok_or_else(|| {
                err(format!("unknown node type {node_type:?} (expected PD, RESOURCE or RESOURCE_SPACE)"))
            })?;
            if !(edge_type.is_empty() && from.is_empty() && to.is_empty()) {
                return Err(err("a node row must leave EDGE_TYPE, EDGE_FROM and EDGE_TO empty".into()));
            }
            let mut node = match kind {
                NodeKind::Pd => Node::pd(node_id, data),
                NodeKind::Resource => Node::resource(node_id, data.to_string()),
                NodeKind::Space => Node::space(node_id, data.to_string()),
            };
            let ty = if kind == NodeKind::Pd { "" } else { data };
            let (attrs, node_name) = extra::parse(ty, extra_cell).map_err(err)?;
            node.attrs = attrs;
            if let Some(n) = node_name {
                node.name = n;
            }
            if let Some(prev) = model.find(node_id) {
                let prev = defined_at[prev.0 as usize];
                return Err(err(format!("duplicate node id {node_id:?} (first defined on line {prev})")));
            }
            let idx = model.add_node(node).map_err(|e| err(e.to_string()))?;
            defined_at.resize(idx.0 as usize + 1, 0);
            defined_at[idx.0 as usize] = line;
        } else {
            if !node_id.is_empty() {
                return Err(err("NODE_ID is set but NODE_TYPE is empty".into()));
            }
            let kind = EdgeKind::from_name(edge_type).ok_or_else(|| {
                err(format!("unknown edge type {edge_type:?} (expected HOLD, MAP, REQUEST or SUBSET)"))
            })?;
            let perms = extra_cell.parse().map_err(|e| err(format!("bad permissions in EXTRA: {e}")))?;
            let request_type = if data == NO_REQUEST_TYPE { "" } else { data };
            if let (Some(f), Some(t)) = (model.find(from), model.find(to)) {
                let edge = Edge { kind, from: f, to: t, perms, request_type: request_type.into() };
                model.add_edge(edge).map_err(|e| err(e.to_string()))?;
            } else {
                let (from, to, request_type) = (from.into(), to.into(), request_type.into());
                pending.push(PendingEdge { line, kind, from, to, perms, request_type });
            }
        }
    }
    if first {
        return Err(FormatError::at(name, 1, "empty file: expected the CellulOS CSV header"));
    }
    for e in pending {
        let end = |id: &str| {
            model.find(id).ok_or_else(|| FormatError::at(name, e.line, format!("edge names unknown node {id:?}")))
        };
        let (from, to) = (end(&e.from)?, end(&e.to)?);
        let edge = Edge { kind: e.kind, from, to, perms: e.perms, request_type: e.request_type };
        model.add_edge(edge).map_err(|err| FormatError::at(name, e.line, err.to_string()))?;
    }
    Ok(model)
}

/// Writes a model as CellulOS CSV.
pub fn write(model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(HEADER)?;
    for (_, n) in model.nodes() {
        let data: &str = if n.kind == NodeKind::Pd { &n.name } else { &n.ty };
        w.write_record([n.kind.name(), &n.id, data, "", "", "", &extra::format(n)])?;
    }
    for (_, e) in model.edges() {
        let data = if e.request_type.is_empty() { NO_REQUEST_TYPE } else { &e.request_type };
        let (from, to) = (&model.node(e.from).id, &model.node(e.to).id);
        w.write_record(["", "", data, e.kind.name(), from, to, &e.perms.to_string()])?;
    }
    w.flush()
}
