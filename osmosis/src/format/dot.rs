//! Graphviz DOT: every node and edge, resources drawn inside their space's cluster.
//!
//! PDs are boxes, resources ellipses, spaces folders; HOLD edges are black, MAP blue,
//! REQUEST red and dashed (labelled with the type), SUBSET grey and dotted (they also
//! place a resource in its space's cluster). Render with `dot -Tsvg model.dot`.

use std::collections::BTreeMap;
use std::io::Write;

use crate::check::spaces_of;
use crate::model::{EdgeKind, Model, Node, NodeIdx, NodeKind};

/// A DOT double-quoted string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn node_line(n: &Node) -> String {
    let (shape, color) = match n.kind {
        NodeKind::Pd => ("box", "#f6d55c"),
        NodeKind::Resource => ("ellipse", "#a8dadc"),
        NodeKind::Space => ("folder", "#e9c46a"),
    };
    let mut label = n.id.clone();
    let detail: &str = if n.kind == NodeKind::Pd { &n.name } else { &n.ty };
    if !detail.is_empty() {
        label = format!("{label}\n{detail}");
    }
    for (k, v) in &n.attrs {
        label = format!("{label}\n{k}={v}");
    }
    format!("{} [shape={shape}, style=filled, fillcolor=\"{color}\", label={}];", quote(&n.id), quote(&label))
}

/// Writes the DOT graph.
pub fn write(model: &Model, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "digraph osmosis {{")?;
    writeln!(
        out,
        "  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];"
    )?;
    // Resources that live in exactly one space are drawn inside its cluster.
    let mut members: BTreeMap<NodeIdx, Vec<NodeIdx>> = BTreeMap::new();
    for (r, _) in model.nodes_of(NodeKind::Resource) {
        if let [space] = spaces_of(model, r)[..] {
            members.entry(space).or_default().push(r);
        }
    }
    let clustered: std::collections::HashSet<NodeIdx> = members.values().flatten().copied().collect();
    for (s, space) in model.nodes_of(NodeKind::Space) {
        writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{}", space.id)))?;
        writeln!(
            out,
            "    label={}; style=rounded; color=\"#999999\";",
            quote(&format!("{} ({})", space.id, space.ty))
        )?;
        writeln!(out, "    {}", node_line(space))?;
        for r in members.get(&s).into_iter().flatten() {
            writeln!(out, "    {}", node_line(model.node(*r)))?;
        }
        writeln!(out, "  }}")?;
    }
    for (i, n) in model.nodes() {
        if n.kind != NodeKind::Space && !clustered.contains(&i) {
            writeln!(out, "  {}", node_line(n))?;
        }
    }
    for (_, e) in model.edges() {
        let mut attrs = match e.kind {
            EdgeKind::Hold => "color=\"#222222\"".to_string(),
            EdgeKind::Map => "color=\"#1d4ed8\"".to_string(),
            EdgeKind::Request => "color=\"#c0392b\", style=dashed".to_string(),
            EdgeKind::Subset => "color=\"#aaaaaa\", style=dotted, arrowhead=none".to_string(),
        };
        let mut label = e.kind.name().to_string();
        if !e.request_type.is_empty() {
            label = format!("{label} {}", e.request_type);
        }
        if !e.perms.is_empty() {
            label = format!("{label} {}", e.perms);
        }
        if e.kind != EdgeKind::Subset {
            attrs = format!("{attrs}, label={}", quote(&label));
        }
        writeln!(out, "  {} -> {} [{attrs}];", quote(&model.node(e.from).id), quote(&model.node(e.to).id))?;
    }
    writeln!(out, "}}")
}
