//! Property tests over random valid models: every round trip is lossless, the checker
//! accepts them, and every cleanup plan is closed under its policy.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use osmosis::format::{self, Format};
use osmosis::query::{self, cleanup::servers, Depth, Failure, Policy};
use osmosis::{check, Edge, EdgeKind, Model, Node, NodeIdx, NodeKind, Perms, Value};
use proptest::prelude::*;

/// A small deterministic generator (xorshift), so one `u64` seed describes a whole model.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SPACE_TYPES: [&str; 6] = ["ADS", "MO", "BLOCK", "FILE", "VCPU", "CLOCK"];
const ODD_TEXT: [&str; 8] = ["plain", "with,comma", "quote\"d", "new\nline", "ünïcødé ✓", "{brace", "0x1_A_2_3", ""];

fn resource_type(space_type: &str) -> &str {
    if space_type == "ADS" {
        "VMR"
    } else {
        space_type
    }
}

fn perms(rng: &mut Rng) -> Perms {
    Perms::from_bits((rng.next() % 16) as u8).unwrap_or_default()
}

/// A random model that satisfies every invariant by construction.
fn valid_model(seed: u64) -> Model {
    let mut rng = Rng(seed | 1);
    let mut m = Model::new();
    m.types.insert("CLOCK", "CLOCK");
    let pds: Vec<NodeIdx> = (0..1 + rng.below(6))
        .map(|i| {
            let mut pd = Node::pd(format!("PD_{i}"), *rng.pick(&ODD_TEXT));
            if rng.chance(30) {
                pd = pd.with("pid", rng.next());
            }
            m.add_node(pd).expect("pd")
        })
        .collect();
    let mut spaces: Vec<(NodeIdx, &str, Vec<NodeIdx>)> = Vec::new();
    for s in 0..rng.below(7) {
        let ty = *rng.pick(&SPACE_TYPES);
        let space = m.add_node(Node::space(format!("{ty}_SPACE_{s}"), ty)).expect("space");
        let server = *rng.pick(&pds);
        m.add_edge(Edge::new(EdgeKind::Hold, server, space).with_perms(perms(&mut rng))).expect("hold space");
        let mut members = Vec::new();
        for r in 0..rng.below(8) {
            let rty = resource_type(ty);
            let mut node = Node::resource(format!("{rty}_{s}_{r}"), rty);
            match (rty, rng.below(4)) {
                ("VMR", 0 | 1) => {
                    node = node
                        .with("addr", rng.next())
                        .with("kind", *rng.pick(&["STACK", "ELF_CODE", "IPC_BUF"]))
                        .with("pages", rng.next() % 5000)
                        .with("size_bits", 12);
                }
                ("MO", 0 | 1) => {
                    node = node.with("paddr", rng.next() >> 20).with("pages", rng.next() % 64).with("size_bits", 12);
                }
                (_, 2) => node = node.with("note", *rng.pick(&ODD_TEXT)).with("big", u64::MAX),
                (_, 3) => node.name = rng.pick(&ODD_TEXT).to_string(),
                _ => {}
            }
            let res = m.add_node(node).expect("resource");
            m.add_edge(Edge::new(EdgeKind::Subset, res, space)).expect("subset");
            let holder = if rng.chance(50) { server } else { *rng.pick(&pds) };
            m.add_edge(Edge::new(EdgeKind::Hold, holder, res).with_perms(perms(&mut rng))).expect("hold");
            if rng.chance(20) {
                let other = *rng.pick(&pds);
                m.add_edge(Edge::new(EdgeKind::Hold, other, res).with_perms(perms(&mut rng))).expect("second hold");
            }
            members.push(res);
        }
        spaces.push((space, ty, members));
    }
    // Space MAPs, and resource MAPs only between resources of mapped spaces.
    for _ in 0..rng.below(5) {
        if spaces.len() < 2 {
            break;
        }
        let (a, b) = (rng.below(spaces.len()), rng.below(spaces.len()));
        let (sa, sb) = (spaces[a].0, spaces[b].0);
        m.add_edge(Edge::new(EdgeKind::Map, sa, sb).with_perms(perms(&mut rng))).expect("space map");
        for _ in 0..rng.below(4) {
            if spaces[a].2.is_empty() || spaces[b].2.is_empty() {
                break;
            }
            let (ra, rb) = (*rng.pick(&spaces[a].2), *rng.pick(&spaces[b].2));
            m.add_edge(Edge::new(EdgeKind::Map, ra, rb).with_perms(perms(&mut rng))).expect("resource map");
        }
    }
    for _ in 0..rng.below(8) {
        let (a, b) = (*rng.pick(&pds), *rng.pick(&pds));
        let ty = *rng.pick(&["VMR", "ADS", "MO", "BLOCK", "FILE", "CLOCK", "EP"]);
        m.add_edge(Edge::request(a, b, ty)).expect("request");
    }
    if rng.chance(30) {
        let (a, b) = (*rng.pick(&pds), *rng.pick(&pds));
        m.add_edge(Edge::new(EdgeKind::Hold, a, b).with_perms(Perms::TERMINATE)).expect("pd hold");
    }
    m
}

fn round_trip(m: &Model, format: Format) -> Model {
    let mut bytes = Vec::new();
    format::write(m, format, &mut bytes).expect("write");
    format::read_model("prop", &bytes).unwrap_or_else(|e| panic!("{format} reads back: {e}"))
}

fn random_policy(rng: &mut Rng) -> Policy {
    let depth = |rng: &mut Rng| if rng.chance(25) { Depth::Unlimited } else { Depth::Limited(rng.below(3) as u32) };
    Policy { pd_depth: depth(rng), space_depth: depth(rng) }
}

/// The policy's rules, checked from the outside on the plan's result: nothing the rules
/// would still remove survives, and everything removed is explained.
fn assert_closed(m: &Model, failure: Failure, policy: Policy) {
    let plan = query::plan_cleanup(m, failure, policy).expect("plan");
    assert_eq!(plan, query::plan_cleanup(m, failure, policy).expect("plan"), "deterministic");
    let dead: BTreeMap<NodeIdx, u32> = plan.terminate.iter().map(|t| (t.pd, t.depth)).collect();
    let deleted: BTreeMap<NodeIdx, (u32, u32)> =
        plan.delete.iter().map(|d| (d.space, (d.pd_depth, d.space_depth))).collect();
    let servers = servers(m);
    if let Failure::Pd(pd) = failure {
        assert_eq!(dead.get(&pd), Some(&0));
    }
    for (space, pds) in &servers {
        for pd in pds {
            if let Some(k) = dead.get(pd) {
                let (sk, sj) = deleted.get(space).copied().unwrap_or_else(|| panic!("a dead server's space survives"));
                assert!(sk <= *k && sj == 0);
            }
        }
    }
    for (&space, &(k, j)) in &deleted {
        // Spaces that map onto it are deleted when the space depth allows one more hop.
        for (_, e) in m.in_edges_of(space, EdgeKind::Map) {
            if m.node(e.from).kind == NodeKind::Space && policy.space_depth.allows(j + 1) {
                assert!(deleted.contains_key(&e.from), "a space mapping onto a deleted one survives");
            }
        }
        if !policy.pd_depth.allows(k + 1) {
            continue;
        }
        let server_of = servers.get(&space).cloned().unwrap_or_default();
        // Clients holding its resources are terminated.
        for (_, sub) in m.in_edges_of(space, EdgeKind::Subset) {
            for (_, h) in m.in_edges_of(sub.from, EdgeKind::Hold) {
                if m.node(h.from).kind == NodeKind::Pd && !server_of.contains(&h.from) {
                    assert!(dead.get(&h.from).is_some_and(|d| *d <= k + 1), "a holder survives");
                }
            }
        }
        // Requesters of its type from its dead server are terminated.
        for server in server_of.iter().filter(|s| dead.get(s).is_some_and(|d| *d <= k)) {
            for (_, r) in m.in_edges_of(*server, EdgeKind::Request) {
                if m.types.request_concerns(&r.request_type, &m.node(space).ty) {
                    assert!(dead.get(&r.from).is_some_and(|d| *d <= k + 1), "a requester survives");
                }
            }
        }
    }
    // Applying the plan keeps every invariant, and removes exactly what it names.
    let mut after = m.clone();
    plan.apply(&mut after);
    assert_eq!(check(&after), vec![], "the model stays valid");
    let gone: BTreeSet<String> = plan
        .terminate
        .iter()
        .map(|t| t.pd)
        .chain(plan.delete.iter().map(|d| d.space))
        .chain(plan.resources.iter().copied())
        .map(|n| m.node(n).id.clone())
        .collect();
    let d = query::diff(m, &after);
    assert_eq!(d.removed_nodes.into_iter().collect::<BTreeSet<_>>(), gone);
    assert!(d.added_nodes.is_empty() && d.added_edges.is_empty());
    // No survivor keeps a REQUEST to a terminated PD.
    for (_, e) in after.edges() {
        assert!(after.get(e.to).is_some());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_models_pass_the_checker(seed in any::<u64>()) {
        let m = valid_model(seed);
        prop_assert_eq!(check(&m), vec![]);
    }

    #[test]
    fn random_models_survive_every_round_trip(seed in any::<u64>()) {
        let m = valid_model(seed);
        prop_assert_eq!(&round_trip(&m, Format::Json), &m);
        prop_assert_eq!(&round_trip(&m, Format::Csv), &m);
        prop_assert!(query::diff(&m, &round_trip(&m, Format::Csv)).is_empty());
        prop_assert_eq!(&osmosis::wire::decode(&osmosis::wire::to_bytes(&m)).expect("wire"), &m);
        for f in [Format::Cypher, Format::Dot, Format::Svg] {
            let mut out = Vec::new();
            format::write(&m, f, &mut out).expect("write");
            prop_assert!(std::str::from_utf8(&out).is_ok());
        }
        let dir = std::env::temp_dir().join(format!("osmosis-prop-{seed}"));
        format::write_path(&m, Format::Neo4j, &dir).expect("neo4j files");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Edges and nodes removed and added in any order (removed edges' slots are used
    /// again, and nodes' removed for reuse): the model is the one built afresh from what is left, every edge is in the
    /// adjacency lists of both its ends and no list names a removed one, and the edge slots
    /// never outnumber the most edges the model had at once.
    #[test]
    fn removals_and_additions_keep_the_graph_consistent(seed in any::<u64>()) {
        let mut m = valid_model(seed);
        let mut rng = Rng(seed.rotate_left(29) | 1);
        let mut most = m.edge_count();
        let (bound, mut tombstones) = (m.node_bound(), Vec::new());
        for _ in 0..60 {
            let edges: Vec<(osmosis::EdgeIdx, Edge)> = m.edges().map(|(i, e)| (i, e.clone())).collect();
            if edges.is_empty() {
                break;
            }
            let (i, e) = rng.pick(&edges).clone();
            m.remove_edge(i);
            if rng.chance(70) {
                m.add_edge(e).expect("the same edge again");
            }
            if rng.chance(10) {
                let nodes: Vec<NodeIdx> = m.nodes().map(|(n, _)| n).collect();
                let n = *rng.pick(&nodes);
                if rng.chance(50) {
                    // Its slot is free: the next node added takes it, edges none of it.
                    let node = m.remove_node_reusing(n).expect("a live node");
                    prop_assert_eq!(m.add_node(node).expect("the same node again"), n);
                } else {
                    m.remove_node(n);
                    tombstones.push(n);
                }
            }
            most = most.max(m.edge_count());
        }
        // Nodes removed without reuse keep their slots empty; the others came back in theirs.
        prop_assert!(tombstones.iter().all(|n| m.get(*n).is_none()));
        prop_assert_eq!(m.node_bound(), bound);
        let mut fresh = Model::new();
        fresh.types = m.types.clone();
        for n in m.sorted_nodes() {
            fresh.add_node(n.clone()).expect("node");
        }
        for (_, e) in m.edges() {
            let (from, to) = (m.node(e.from).id.as_str(), m.node(e.to).id.as_str());
            let (f, t) = (fresh.find(from).expect("from"), fresh.find(to).expect("to"));
            fresh.add_edge(Edge { from: f, to: t, ..e.clone() }).expect("edge");
        }
        prop_assert_eq!(m.sorted_nodes(), fresh.sorted_nodes());
        prop_assert_eq!(m.edge_keys(), fresh.edge_keys());
        let mut listed = 0;
        for (n, _) in m.nodes() {
            for kind in EdgeKind::ALL {
                for (i, e) in m.out_edges_of(n, kind) {
                    prop_assert!(e.from == n && e.kind == kind && m.in_edges_of(e.to, kind).any(|(j, _)| j == i));
                    listed += 1;
                }
            }
        }
        prop_assert_eq!(listed, m.edge_count());
        prop_assert!(m.edges().map(|(i, _)| i.0 as usize + 1).max().unwrap_or(0) <= most);
    }

    #[test]
    fn cleanup_plans_are_closed_under_their_policy(seed in any::<u64>()) {
        let m = valid_model(seed);
        let mut rng = Rng(seed.rotate_left(17) | 1);
        let pds: Vec<NodeIdx> = m.nodes_of(NodeKind::Pd).map(|(i, _)| i).collect();
        for pd in &pds {
            for (_, preset) in Policy::PRESETS {
                assert_closed(&m, Failure::Pd(*pd), preset);
            }
            assert_closed(&m, Failure::Pd(*pd), random_policy(&mut rng));
        }
        for (space, _) in m.nodes_of(NodeKind::Space) {
            assert_closed(&m, Failure::Space(space), random_policy(&mut rng));
        }
    }

    #[test]
    fn readers_never_panic_on_mutated_input(seed in any::<u64>(), flips in 1usize..8) {
        let m = valid_model(seed);
        let mut rng = Rng(seed | 1);
        for f in [Format::Json, Format::Csv] {
            let mut bytes = Vec::new();
            format::write(&m, f, &mut bytes).expect("write");
            for _ in 0..flips {
                if bytes.is_empty() { break; }
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            let _ = format::read_model("mutated", &bytes);
        }
        let mut bytes = osmosis::wire::to_bytes(&m);
        for _ in 0..flips {
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
        }
        let _ = osmosis::wire::decode(&bytes);
    }
}

#[test]
fn extra_conventions_are_exact() {
    // An attribute set that only looks conventional must still round-trip.
    let mut m = Model::new();
    m.add_node(
        Node::resource("VMR_1", "VMR")
            .with("addr", 0u64)
            .with("kind", "A B")
            .with("pages", 1u64)
            .with("size_bits", 12u64),
    )
    .expect("node");
    m.add_node(Node::resource("MO_1", "MO").with("extra", "0x0_1_12")).expect("node");
    m.add_node(Node::resource("MO_2", "MO").with("extra", "{not json")).expect("node");
    m.add_node(
        Node::resource("MO_3", "MO")
            .with("paddr", Value::Text("0x10".into()))
            .with("pages", 1u64)
            .with("size_bits", 12u64),
    )
    .expect("node");
    assert_eq!(round_trip(&m, Format::Csv), m);
}
