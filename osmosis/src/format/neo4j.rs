//! Files for `neo4j-admin database import full`: one CSV per node label and per
//! relationship type, with Neo4j's header conventions.
//!
//! - `nodes_PD.csv`: `id:ID,:LABEL,name,<attributes>`
//! - `nodes_RESOURCE.csv`, `nodes_RESOURCE_SPACE.csv`: `id:ID,:LABEL,type,name,<attributes>`
//! - `edges_HOLD.csv`, `edges_MAP.csv`: `:START_ID,:END_ID,:TYPE,perms`
//! - `edges_REQUEST.csv`: `:START_ID,:END_ID,:TYPE,resource_type`
//! - `edges_SUBSET.csv`: `:START_ID,:END_ID,:TYPE`
//!
//! An attribute column is `name:long` when every value of it fits a signed 64-bit integer,
//! text otherwise (an integer above `i64::MAX` is written as `0x` hex). An empty cell means
//! the node has no such attribute. Import with:
//! `neo4j-admin database import full --nodes=nodes_PD.csv --nodes=nodes_RESOURCE.csv
//! --nodes=nodes_RESOURCE_SPACE.csv --relationships=edges_HOLD.csv ... neo4j`.

use std::collections::BTreeMap;
use std::path::Path;

use super::props::{prop, Prop};
use crate::model::{EdgeKind, Model, NodeKind, Value};

/// The file for nodes of one kind.
pub fn node_file(kind: NodeKind) -> String {
    format!("nodes_{}.csv", kind.name())
}

/// The file for edges of one kind.
pub fn edge_file(kind: EdgeKind) -> String {
    format!("edges_{}.csv", kind.name())
}

/// The property an edge kind carries, if any.
pub fn edge_property(kind: EdgeKind) -> Option<&'static str> {
    match kind {
        EdgeKind::Hold | EdgeKind::Map => Some("perms"),
        EdgeKind::Request => Some("resource_type"),
        EdgeKind::Subset => None,
    }
}

/// Writes the import files into `dir` (created if needed).
pub fn write_dir(model: &Model, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for kind in NodeKind::ALL {
        let nodes: Vec<_> = model.nodes_of(kind).map(|(_, n)| n).collect();
        // Each attribute key with whether every value is a database integer.
        let mut keys: BTreeMap<&str, bool> = BTreeMap::new();
        for n in &nodes {
            for (k, v) in &n.attrs {
                let is_int = matches!(prop(v), Prop::Int(_));
                *keys.entry(k).or_insert(true) &= is_int;
            }
        }
        let mut w = csv::Writer::from_path(dir.join(node_file(kind)))?;
        let mut header = vec!["id:ID".to_string(), ":LABEL".into()];
        if kind != NodeKind::Pd {
            header.push("type".into());
        }
        header.push("name".into());
        header.extend(keys.iter().map(|(k, int)| if *int { format!("{k}:long") } else { k.to_string() }));
        w.write_record(&header)?;
        for n in nodes {
            let mut row = vec![n.id.clone(), kind.name().to_string()];
            if kind != NodeKind::Pd {
                row.push(n.ty.clone().into_owned());
            }
            row.push(n.name.clone());
            for k in keys.keys() {
                row.push(n.attrs.get(k).map_or_else(String::new, |v| match (v, prop(v)) {
                    (Value::Int(i), _) if keys[k] => i.to_string(),
                    (_, Prop::Int(i)) => i.to_string(),
                    (_, Prop::Text(s)) => s.into_owned(),
                }));
            }
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    for kind in EdgeKind::ALL {
        let mut w = csv::Writer::from_path(dir.join(edge_file(kind)))?;
        let mut header = vec![":START_ID", ":END_ID", ":TYPE"];
        header.extend(edge_property(kind));
        w.write_record(&header)?;
        for (_, e) in model.edges().filter(|(_, e)| e.kind == kind) {
            let mut row = vec![model.node(e.from).id.clone(), model.node(e.to).id.clone(), kind.name().into()];
            match kind {
                EdgeKind::Hold | EdgeKind::Map => row.push(e.perms.to_string()),
                EdgeKind::Request => row.push(e.request_type.clone()),
                EdgeKind::Subset => {}
            }
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(())
}
