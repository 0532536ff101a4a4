//! A Cypher script that loads the model into Neo4j (`cypher-shell -f model.cypher`) or any
//! openCypher database that runs it statement by statement (FalkorDB in our tests).
//!
//! Nodes get the label of their kind (`PD`, `RESOURCE`, `RESOURCE_SPACE`) and the
//! properties `id`, `type`, `name` and their attributes; relationships get the type of
//! their edge and `perms` (HOLD, MAP) or `resource_type` (REQUEST) when set. Statements
//! are `UNWIND`-batched (one round trip per thousand rows, not per node), each ends with
//! `;` at the end of a line, and strings escape only `\\`, `'` and control characters, so
//! a reader may split the script on `";\n"`.

use std::collections::BTreeMap;
use std::io::Write;

use super::props::{prop, Prop};
use crate::model::{EdgeKind, Model, Node, NodeKind};

/// Rows per `UNWIND` statement.
pub const BATCH: usize = 1000;

/// A Cypher string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn node_map(n: &Node) -> String {
    let mut parts = vec![format!("id:{}", string(&n.id))];
    if !n.ty.is_empty() {
        parts.push(format!("type:{}", string(&n.ty)));
    }
    if !n.name.is_empty() {
        parts.push(format!("name:{}", string(&n.name)));
    }
    for (k, v) in &n.attrs {
        let v = match prop(v) {
            Prop::Int(i) => i.to_string(),
            Prop::Text(s) => string(&s),
        };
        parts.push(format!("`{k}`:{v}"));
    }
    format!("{{{}}}", parts.join(", "))
}

fn batches<T>(items: &[T], mut line: impl FnMut(&T) -> String, tail: &str, out: &mut dyn Write) -> std::io::Result<()> {
    for chunk in items.chunks(BATCH) {
        writeln!(out, "UNWIND [")?;
        let rows: Vec<String> = chunk.iter().map(&mut line).collect();
        writeln!(out, "{}", rows.join(",\n"))?;
        writeln!(out, "] AS row {tail};")?;
    }
    Ok(())
}

/// Writes the Cypher script.
pub fn write(model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "// OSmosis model: {} nodes, {} edges. Load into an empty database with: cypher-shell -f <this file>",
        model.node_count(),
        model.edge_count()
    )?;
    for kind in NodeKind::ALL {
        writeln!(out, "CREATE INDEX FOR (n:{}) ON (n.id);", kind.name())?;
    }
    for kind in NodeKind::ALL {
        let nodes: Vec<&Node> = model.nodes_of(kind).map(|(_, n)| n).collect();
        batches(&nodes, |n| node_map(n), &format!("CREATE (n:{}) SET n = row", kind.name()), out)?;
    }
    // One pass over the edges, grouped by (type, source label, target label) so that each
    // MATCH uses its label's id index.
    let mut groups: BTreeMap<(EdgeKind, NodeKind, NodeKind), Vec<String>> = BTreeMap::new();
    for (_, e) in model.edges() {
        let (from, to) = (model.node(e.from), model.node(e.to));
        let prop = match e.kind {
            EdgeKind::Hold | EdgeKind::Map if !e.perms.is_empty() => format!("perms:{}", string(&e.perms.to_string())),
            EdgeKind::Request if !e.request_type.is_empty() => format!("resource_type:{}", string(&e.request_type)),
            _ => String::new(),
        };
        let row = format!("{{f:{}, t:{}, p:{{{prop}}}}}", string(&from.id), string(&to.id));
        groups.entry((e.kind, from.kind, to.kind)).or_default().push(row);
    }
    for ((edge_kind, from, to), rows) in groups {
        let tail = format!(
            "MATCH (a:{} {{id: row.f}}) MATCH (b:{} {{id: row.t}}) CREATE (a)-[r:{}]->(b) SET r = row.p",
            from.name(),
            to.name(),
            edge_kind.name()
        );
        batches(&rows, |r| r.clone(), &tail, out)?;
    }
    Ok(())
}
