//! The real CellulOS model GPIKV001: read, check, query, plan cleanups, round-trip.

mod common;

use std::collections::BTreeMap;

use common::{gpikv, ids, idx};
use osmosis::format::{self, Format};
use osmosis::query::{self, Cause, Failure, Policy};
use osmosis::{check, EdgeKind, Model, NodeKind, Value, ViolationKind};

#[test]
fn counts_match_the_original_export() {
    let s = query::stats(&gpikv());
    assert_eq!(s.nodes[&NodeKind::Pd], 5);
    assert_eq!(s.nodes[&NodeKind::Space], 9);
    assert_eq!(s.nodes[&NodeKind::Resource], 1094);
    assert_eq!(s.edges[&EdgeKind::Hold], 1642);
    assert_eq!(s.edges[&EdgeKind::Subset], 1094);
    assert_eq!(s.edges[&EdgeKind::Map], 58);
    assert_eq!(s.edges[&EdgeKind::Request], 20);
    assert_eq!(s.resources["BLOCK"], 1024);
    assert_eq!(s.resources["VMR"], 34);
    assert_eq!(s.requests["RESSPC"], 4);
}

#[test]
fn extra_column_becomes_typed_attributes() {
    let m = gpikv();
    let vmr = m.node(idx(&m, "VMR_8_2"));
    assert_eq!(vmr.attrs["addr"], Value::Int(0x62d000));
    assert_eq!(vmr.attrs["kind"], Value::Text("ELF_DATA".into()));
    assert_eq!(vmr.attrs["pages"], Value::Int(22256));
    assert_eq!(vmr.attrs["size_bits"], Value::Int(12));
    let mo = m.node(idx(&m, "MO_4_1"));
    assert_eq!(mo.int("paddr"), Some(0));
    assert_eq!(mo.int("pages"), Some(16));
    assert_eq!(m.node(idx(&m, "PD_2")).name, "ramdisk_server");
}

#[test]
fn checker_reports_exactly_the_five_cpu_export_violations() {
    let m = gpikv();
    let mut found: Vec<(String, ViolationKind)> = check(&m).into_iter().map(|v| (v.node, v.kind)).collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let map_violation = |vcpu: &str| {
        (
            vcpu.to_string(),
            ViolationKind::MapWithoutSpaceMap {
                to: "PCPU_1_0".into(),
                from_space: "VCPU_SPACE_5".into(),
                to_space: "VCPU_SPACE_5".into(),
            },
        )
    };
    let expected = vec![
        (
            "PCPU_1_0".to_string(),
            ViolationKind::WrongSpaceType {
                resource_type: "PCPU".into(),
                space: "VCPU_SPACE_5".into(),
                space_type: "VCPU".into(),
                expected: "PCPU".into(),
            },
        ),
        map_violation("VCPU_5_1"),
        map_violation("VCPU_5_2"),
        map_violation("VCPU_5_3"),
        map_violation("VCPU_5_4"),
    ];
    assert_eq!(found, expected);
}

#[test]
fn reach_and_rsi() {
    let m = gpikv();
    // hello_kvstore holds its 7 regions, one MO, its ADS, its VCPU and two files; the regions
    // map onto 7 MOs, the ADS onto the MO space, the VCPU onto the PCPU, the files onto 14
    // blocks.
    let pd4 = idx(&m, "PD_4");
    let reached = query::reach(&m, pd4);
    let count = |ty: &str| reached.iter().filter(|n| m.node(**n).ty == ty).count();
    assert_eq!((count("VMR"), count("MO"), count("FILE"), count("BLOCK"), count("VCPU")), (7, 8, 2, 14, 1));
    assert_eq!(query::reach_of_type(&m, pd4, "FILE").len(), 2);

    // The fs server and the kv store share both files and, through them, 14 blocks out of
    // the 512 the fs server holds; they share no region of memory.
    let rsi = query::rsi_all(&m, idx(&m, "PD_3"), pd4);
    let by_type: BTreeMap<&str, (u64, u64)> =
        rsi.iter().map(|r| (r.resource_type.as_str(), (r.shared, r.union))).collect();
    assert_eq!(by_type["FILE"], (2, 2));
    assert_eq!(by_type["BLOCK"], (14, 512));
    assert_eq!(by_type["VMR"].0, 0);
    // MOs weigh their pages: the kv store's 7 MOs and the fs server's 7 share none.
    assert_eq!(by_type["MO"].0, 0);
    let pages: u64 = query::reach_of_type(&m, pd4, "MO").iter().map(|n| m.node(*n).int("pages").unwrap_or(1)).sum();
    assert!(by_type["MO"].1 > pages, "union weighs both PDs' pages");
    assert_eq!(rsi.iter().find(|r| r.resource_type == "FILE").and_then(|r| r.value()), Some(1.0));
    // A type neither reaches has no RSI.
    assert_eq!(query::rsi(&m, idx(&m, "PD_3"), pd4, "CLOCK").value(), None);
}

#[test]
fn tcb_impact_and_fault_radius() {
    let m = gpikv();
    // The kv store requests from the root (VMR, MO, RESSPC) and the fs server (FILE); its
    // files map onto blocks the ramdisk holds; its regions map onto MOs the test process
    // (PD_1, which created it) holds.
    assert_eq!(ids(&m, &query::tcb(&m, idx(&m, "PD_4"))), ["PD_0", "PD_1", "PD_2", "PD_3"]);
    // The ramdisk's failure impacts the fs server (requests BLOCK) and the kv store (its
    // files map onto ramdisk blocks): both one hop away.
    let radius = query::fault_radius(&m, idx(&m, "PD_2"));
    assert_eq!(radius.radius, 1);
    assert_eq!(
        radius.impacted.iter().map(|(n, d)| (m.node(*n).id.as_str(), *d)).collect::<Vec<_>>(),
        [("PD_3", 1), ("PD_4", 1)]
    );
    assert_eq!(ids(&m, &query::impact(&m, idx(&m, "PD_4"))), Vec::<String>::new());
    // Everyone depends on the root task.
    assert_eq!(ids(&m, &query::impact(&m, idx(&m, "PD_0"))), ["PD_1", "PD_2", "PD_3", "PD_4"]);
}

struct Expect {
    terminate: &'static [(&'static str, u32)],
    delete: &'static [(&'static str, u32, u32)],
    resources: usize,
    revoke: &'static [(EdgeKind, usize)],
    requests_revoked: &'static [(&'static str, &'static str, &'static str)],
}

fn assert_plan(m: &Model, policy: Policy, want: Expect) {
    let plan = query::plan_cleanup(m, Failure::Pd(idx(m, "PD_2")), policy).expect("plan");
    let terminate: Vec<(&str, u32)> = plan.terminate.iter().map(|t| (m.node(t.pd).id.as_str(), t.depth)).collect();
    assert_eq!(terminate, want.terminate, "{policy}: terminated PDs");
    let delete: Vec<(&str, u32, u32)> =
        plan.delete.iter().map(|d| (m.node(d.space).id.as_str(), d.pd_depth, d.space_depth)).collect();
    assert_eq!(delete, want.delete, "{policy}: deleted spaces");
    assert_eq!(plan.resources.len(), want.resources, "{policy}: deleted resources");
    let mut revoke: BTreeMap<EdgeKind, usize> = BTreeMap::new();
    for r in &plan.revoke {
        *revoke.entry(m.edge(r.edge).kind).or_default() += 1;
    }
    assert_eq!(revoke.into_iter().collect::<Vec<_>>(), want.revoke, "{policy}: revoked edges");
    let requests: Vec<(&str, &str, &str)> = plan
        .revoke
        .iter()
        .map(|r| m.edge(r.edge))
        .filter(|e| e.kind == EdgeKind::Request)
        .map(|e| (m.node(e.from).id.as_str(), m.node(e.to).id.as_str(), e.request_type.as_str()))
        .collect();
    assert_eq!(requests, want.requests_revoked, "{policy}: revoked requests");
    // Every chain starts at the failure.
    for chain in plan.terminate.iter().map(|t| &t.chain).chain(plan.delete.iter().map(|d| &d.chain)) {
        assert_eq!(chain[0], Cause::Failed { pd: idx(m, "PD_2") });
    }
    // Carrying the plan out leaves a model with no new violations.
    let mut after = m.clone();
    plan.apply(&mut after);
    assert_eq!(check(&after).len(), 5, "{policy}: only the original CPU violations remain");
}

/// The failure of PD_2, the ramdisk server, under each CellulOS preset.
///
/// The facts that decide it: PD_2 serves BLOCK_SPACE_a (it holds it and PD_3 requests BLOCK
/// from it). PD_3, the fs server, holds 512 of its blocks, requests BLOCK from PD_2 and
/// serves FILE_SPACE_c, which MAPs onto BLOCK_SPACE_a; its 2 files map onto 14 blocks.
/// PD_4, the kv store, requests FILE from PD_3 and holds both files. PD_2's 8 regions
/// (ADS_SPACE_9) are reached by no other PD, so they are released with it; its VCPU and
/// MOs are held by PD_1 too, so they stay.
#[test]
fn cleanup_plans_for_the_ramdisk_failure() {
    let m = gpikv();
    // direct resource-space deletion (0/0): only PD_2's own space goes. Survivors lose
    // PD_3's 512 block holds, the 14 file -> block MAPs and the FILE -> BLOCK space MAP,
    // and PD_3's BLOCK request. 1024 blocks + PD_2's 8 regions are deleted.
    assert_plan(
        &m,
        Policy::DIRECT_SPACE,
        Expect {
            terminate: &[("PD_2", 0)],
            delete: &[("BLOCK_SPACE_a", 0, 0)],
            resources: 1024 + 8,
            revoke: &[(EdgeKind::Hold, 512), (EdgeKind::Map, 15), (EdgeKind::Request, 1)],
            requests_revoked: &[("PD_3", "PD_2", "BLOCK")],
        },
    );
    // recursive resource-space deletion (0/inf): FILE_SPACE_c maps onto BLOCK_SPACE_a, so it
    // goes too (space depth 1) with its 2 files. PD_3 survives without its FILE space: it
    // loses the 512 block holds, its hold on FILE_SPACE_c and both files; PD_4 loses both
    // file holds and its FILE request (PD_3 has no FILE space left).
    assert_plan(
        &m,
        Policy::RECURSIVE_SPACE,
        Expect {
            terminate: &[("PD_2", 0)],
            delete: &[("BLOCK_SPACE_a", 0, 0), ("FILE_SPACE_c", 0, 1)],
            resources: 1024 + 2 + 8,
            revoke: &[(EdgeKind::Hold, 512 + 1 + 2 + 2), (EdgeKind::Request, 2)],
            requests_revoked: &[("PD_3", "PD_2", "BLOCK"), ("PD_4", "PD_3", "FILE")],
        },
    );
    // direct PD deletion (1/0): PD_3 requests BLOCK from the dead PD_2, so it is terminated
    // at depth 1 and FILE_SPACE_c dies with it. PD_4 would be depth 2: it survives, losing
    // its two file holds and its FILE request. PD_3's 7 regions are released too.
    assert_plan(
        &m,
        Policy::DIRECT_PD,
        Expect {
            terminate: &[("PD_2", 0), ("PD_3", 1)],
            delete: &[("BLOCK_SPACE_a", 0, 0), ("FILE_SPACE_c", 1, 0)],
            resources: 1024 + 2 + 8 + 7,
            revoke: &[(EdgeKind::Hold, 2), (EdgeKind::Request, 1)],
            requests_revoked: &[("PD_4", "PD_3", "FILE")],
        },
    );
    // recursive PD deletion (inf/0): PD_4 requests FILE from the dead PD_3: terminated at
    // depth 2, with its 7 regions. Nothing of a survivor points into what is gone.
    assert_plan(
        &m,
        Policy::RECURSIVE_PD,
        Expect {
            terminate: &[("PD_2", 0), ("PD_3", 1), ("PD_4", 2)],
            delete: &[("BLOCK_SPACE_a", 0, 0), ("FILE_SPACE_c", 1, 0)],
            resources: 1024 + 2 + 8 + 7 + 7,
            revoke: &[],
            requests_revoked: &[],
        },
    );
}

#[test]
fn deleting_a_space_directly() {
    let m = gpikv();
    let plan = query::plan_cleanup(&m, Failure::Space(idx(&m, "FILE_SPACE_c")), Policy::DIRECT_PD).expect("plan");
    // PD_4 holds files in the deleted space: terminated at depth 1. PD_3 holds them too, but
    // as their server: it lives, and loses its holds on the space and both files.
    let terminated: Vec<&str> = plan.terminate.iter().map(|t| m.node(t.pd).id.as_str()).collect();
    assert_eq!(terminated, ["PD_4"]);
    let revoked: Vec<String> = plan
        .revoke
        .iter()
        .map(|r| m.edge(r.edge))
        .map(|e| format!("{} {} {}", m.node(e.from).id, e.kind, m.node(e.to).id))
        .collect();
    assert_eq!(revoked, ["PD_3 HOLD FILE_SPACE_c", "PD_3 HOLD FILE_c_2", "PD_3 HOLD FILE_c_3"]);
    assert!(query::plan_cleanup(&m, Failure::Space(idx(&m, "PD_4")), Policy::DIRECT_PD).is_err());
    assert!(query::plan_cleanup(&m, Failure::Pd(idx(&m, "FILE_SPACE_c")), Policy::DIRECT_PD).is_err());
}

fn round_trip(m: &Model, format: Format) -> Model {
    let mut bytes = Vec::new();
    format::write(m, format, &mut bytes).expect("write");
    format::read_model(&format!("round-trip.{format}"), &bytes).expect("read back")
}

#[test]
fn json_and_csv_round_trips_are_lossless() {
    let m = gpikv();
    let json = round_trip(&m, Format::Json);
    assert_eq!(json, m);
    let csv = round_trip(&m, Format::Csv);
    assert_eq!(csv, m);
    assert_eq!(round_trip(&csv, Format::Json), m);
    assert!(query::diff(&m, &json).is_empty());
}

#[test]
fn csv_writer_speaks_cellulos() {
    let m = gpikv();
    let mut bytes = Vec::new();
    format::write(&m, Format::Csv, &mut bytes).expect("write");
    let text = String::from_utf8(bytes).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA");
    assert_eq!(lines.len(), 1 + 1108 + 2814);
    // The rows of the original (line ends aside) are exactly our rows, in another order.
    let original = std::fs::read_to_string(common::gpikv_path()).expect("read");
    let mut ours: Vec<&str> = lines.clone();
    let mut theirs: Vec<&str> = original.lines().collect();
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(ours, theirs);
}

#[test]
fn diff_names_what_a_cleanup_removed() {
    let m = gpikv();
    let plan = query::plan_cleanup(&m, Failure::Pd(idx(&m, "PD_2")), Policy::DIRECT_SPACE).expect("plan");
    let mut after = m.clone();
    plan.apply(&mut after);
    let d = query::diff(&m, &after);
    assert!(d.added_nodes.is_empty() && d.added_edges.is_empty() && d.changed_nodes.is_empty());
    assert_eq!(d.removed_nodes.len(), 1 + 1 + 1032);
    assert!(d.removed_nodes.contains(&"PD_2".to_string()));
    assert_eq!(m.edge_count() - after.edge_count(), d.removed_edges.len());
}

fn text_of(m: &Model, format: Format) -> String {
    let mut bytes = Vec::new();
    format::write(m, format, &mut bytes).expect("write");
    String::from_utf8(bytes).expect("utf-8")
}

#[test]
fn dot_declares_every_node_and_draws_every_edge() {
    let m = gpikv();
    let dot = text_of(&m, Format::Dot);
    assert!(dot.starts_with("digraph osmosis {") && dot.trim_end().ends_with('}'));
    for (_, n) in m.nodes() {
        assert!(dot.contains(&format!("\"{}\" [shape=", n.id)), "{} is not declared", n.id);
    }
    assert_eq!(dot.lines().filter(|l| l.contains(" -> ")).count(), m.edge_count());
    // Resources sit in their space's cluster: one cluster per space.
    assert_eq!(dot.matches("subgraph \"cluster_").count(), 9);
}

#[test]
fn svg_is_well_formed_and_shows_every_pd_and_space() {
    let m = gpikv();
    let svg = text_of(&m, Format::Svg);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let texts: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect();
    for (_, pd) in m.nodes_of(NodeKind::Pd) {
        assert!(texts.contains(&pd.name.as_str()), "PD {} has no box", pd.id);
    }
    for (_, space) in m.nodes_of(NodeKind::Space) {
        let label = format!("{} ({})", space.id, space.ty);
        assert!(texts.contains(&label.as_str()), "{label} has no box");
    }
    assert!(texts.contains(&"1024 × BLOCK"), "the ramdisk's space lists its blocks");
    assert!(texts.iter().any(|t| t.starts_with("REQUEST BLOCK")), "the fs server's request is drawn");
    assert!(texts.iter().any(|t| t.contains("1094 resources, 2814 edges")));
}
