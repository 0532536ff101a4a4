//! Text reports for the terminal: stable, line-oriented, easy to grep.

use std::collections::BTreeMap;
use std::fmt::Write;

use osmosis::query::{deps::direct_dependencies, CleanupPlan, DepReason, FaultRadius, ModelDiff, Rsi, Stats};
use osmosis::{EdgeKind, Model, NodeIdx};

pub fn stats(s: &Stats) -> String {
    let mut out = String::new();
    for (kind, n) in &s.nodes {
        let _ = writeln!(out, "{:<16} {n}", kind.name());
    }
    for (ty, n) in &s.spaces {
        let _ = writeln!(out, "  space {ty:<10} {n}");
    }
    for (ty, n) in &s.resources {
        let _ = writeln!(out, "  resource {ty:<7} {n}");
    }
    for (kind, n) in &s.edges {
        let _ = writeln!(out, "{:<16} {n}", kind.name());
    }
    for (ty, n) in &s.requests {
        let _ = writeln!(out, "  request {ty:<8} {n}");
    }
    out
}

pub fn reach(model: &Model, pd: &str, nodes: &[NodeIdx]) -> String {
    let mut out = format!("{pd} reaches {} node{}\n", nodes.len(), if nodes.len() == 1 { "" } else { "s" });
    for n in nodes {
        let node = model.node(*n);
        let _ = writeln!(out, "{}\t{}\t{}", node.id, node.kind, node.ty);
    }
    out
}

pub fn rsi(a: &str, b: &str, rows: &[Rsi]) -> String {
    let mut out = format!("RSI of {a} and {b}\n");
    for r in rows {
        let value = r.value().map_or_else(|| "undefined (neither reaches any)".to_string(), |v| format!("{v:.4}"));
        let _ = writeln!(out, "{:<8} {value}\t(shared {} / union {})", r.resource_type, r.shared, r.union);
    }
    out
}

fn reason(model: &Model, why: &DepReason) -> String {
    match why {
        DepReason::Requests(ty) => format!("requests {ty} from it"),
        DepReason::HeldBy => "is held by it".into(),
        DepReason::MapsOnto(n) => format!("maps onto {}, which it holds", model.node(*n).id),
    }
}

pub fn tcb(model: &Model, pd: NodeIdx, tcb: &[NodeIdx]) -> String {
    let mut out = format!("TCB of {}: {} PD{}\n", model.node(pd).id, tcb.len(), if tcb.len() == 1 { "" } else { "s" });
    // Explain each member by a direct dependency of some PD already in the TCB.
    let mut explained: BTreeMap<NodeIdx, String> = BTreeMap::new();
    let mut frontier = vec![pd];
    while let Some(p) = frontier.pop() {
        for (q, why) in direct_dependencies(model, p) {
            if q != pd && !explained.contains_key(&q) {
                explained.insert(q, format!("{} {}", model.node(p).id, reason(model, &why)));
                frontier.push(q);
            }
        }
    }
    for n in tcb {
        let node = model.node(*n);
        let _ = writeln!(out, "{}\t{}\t{}", node.id, node.name, explained.get(n).map_or("", String::as_str));
    }
    out
}

pub fn pd_list(model: &Model, title: &str, pds: &[NodeIdx]) -> String {
    let mut out = format!("{title}: {} PD{}\n", pds.len(), if pds.len() == 1 { "" } else { "s" });
    for n in pds {
        let node = model.node(*n);
        let _ = writeln!(out, "{}\t{}", node.id, node.name);
    }
    out
}

pub fn fault_radius(model: &Model, pd: &str, f: &FaultRadius) -> String {
    let mut out = format!("fault radius of {pd}: {} ({} PDs impacted)\n", f.radius, f.impacted.len());
    for (n, hops) in &f.impacted {
        let node = model.node(*n);
        let _ = writeln!(out, "{}\t{}\t{hops} hop{}", node.id, node.name, if *hops == 1 { "" } else { "s" });
    }
    out
}

pub fn cleanup(model: &Model, plan: &CleanupPlan, verbose: bool) -> String {
    let id = |n: NodeIdx| model.node(n).id.clone();
    let chain = |c: &[osmosis::query::Cause]| c.iter().map(|c| c.describe(model)).collect::<Vec<_>>().join("; ");
    let mut out = format!("cleanup plan, policy {}\n", plan.policy);
    let _ = writeln!(out, "terminate {} PD{}", plan.terminate.len(), if plan.terminate.len() == 1 { "" } else { "s" });
    for t in &plan.terminate {
        let _ = writeln!(out, "  {}\tPD depth {}\t{}", id(t.pd), t.depth, chain(&t.chain));
    }
    let _ =
        writeln!(out, "delete {} resource space{}", plan.delete.len(), if plan.delete.len() == 1 { "" } else { "s" });
    for d in &plan.delete {
        let _ = writeln!(
            out,
            "  {}\tPD depth {}, space depth {}\t{}",
            id(d.space),
            d.pd_depth,
            d.space_depth,
            chain(&d.chain)
        );
    }
    let _ = writeln!(out, "delete {} resources with them", plan.resources.len());
    let mut by_kind: BTreeMap<EdgeKind, usize> = BTreeMap::new();
    for r in &plan.revoke {
        *by_kind.entry(model.edge(r.edge).kind).or_default() += 1;
    }
    let counts: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(out, "revoke {} edges of survivors ({})", plan.revoke.len(), counts.join(", "));
    for r in &plan.revoke {
        let e = model.edge(r.edge);
        if verbose || e.kind == EdgeKind::Request {
            let ty = if e.request_type.is_empty() { String::new() } else { format!("({})", e.request_type) };
            let _ = writeln!(out, "  {} -{}{ty}-> {}\t{}", id(e.from), e.kind, id(e.to), chain(&r.chain));
        }
    }
    out
}

pub fn diff(d: &ModelDiff, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "nodes: {} added, {} removed, {} changed",
        d.added_nodes.len(),
        d.removed_nodes.len(),
        d.changed_nodes.len()
    );
    let mut by_kind: BTreeMap<EdgeKind, (usize, usize)> = BTreeMap::new();
    for e in &d.added_edges {
        by_kind.entry(e.kind).or_default().0 += 1;
    }
    for e in &d.removed_edges {
        by_kind.entry(e.kind).or_default().1 += 1;
    }
    for (kind, (added, removed)) in &by_kind {
        let _ = writeln!(out, "{kind}: {added} added, {removed} removed");
    }
    if verbose {
        for (sign, ids) in [("+", &d.added_nodes), ("-", &d.removed_nodes), ("~", &d.changed_nodes)] {
            for id in ids {
                let _ = writeln!(out, "{sign} node {id}");
            }
        }
        for (sign, edges) in [("+", &d.added_edges), ("-", &d.removed_edges)] {
            for e in edges {
                let _ = writeln!(out, "{sign} {} {} -> {} {} {}", e.kind, e.from, e.to, e.perms, e.request_type);
            }
        }
    }
    out
}
