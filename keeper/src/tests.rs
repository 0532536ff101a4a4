//! The keeper against the model's own checker and queries.

use super::*;
use cellulos_runtime::server::{Class, MapTarget, Object};
use osmosis::query::rsi;

const CODE: Region = Region { va: 0x40_0000, pages: 3, kind: "ELF_CODE", perms: Perms::READ };
const STACK: Region = Region { va: 0x6fff_0000, pages: 16, kind: "STACK", perms: Perms::READ };

fn idx(m: &Model, id: &str) -> NodeIdx {
    m.find(id).unwrap_or_else(|| panic!("no node {id}"))
}

fn has(m: &Model, kind: EdgeKind, from: &str, to: &str) -> bool {
    m.edge_keys().iter().any(|(k, f, t, _, _)| *k == kind && *f == from && *t == to)
}

/// The root and one process with two regions.
fn process() -> (Keeper, PdId) {
    let mut k = Keeper::new().expect("keeper");
    let pd = k.add_pd("alice").expect("pd");
    k.add_region(pd, &CODE, 0x1000).expect("code");
    k.add_region(pd, &STACK, 0x8000).expect("stack");
    (k, pd)
}

#[test]
fn a_process_is_a_valid_model_with_cellulos_ids() {
    let (k, _) = process();
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    let ids: Vec<&str> = m.sorted_nodes().iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "ADS_SPACE_4",
            "MO_1_1",
            "MO_1_2",
            "MO_SPACE_1",
            "PCPU_3_0",
            "PCPU_SPACE_3",
            "PD_0",
            "PD_1",
            "VCPU_2_1",
            "VCPU_SPACE_2",
            "VMR_4_1",
            "VMR_4_2"
        ]
    );
    let vmr = m.node(idx(m, "VMR_4_1"));
    assert_eq!((vmr.int("addr"), vmr.int("pages")), (Some(0x40_0000), Some(3)));
    assert_eq!(vmr.attrs.get("kind").and_then(|v| v.as_text()), Some("ELF_CODE"));
    for (kind, from, to) in [
        (EdgeKind::Hold, "PD_0", "PD_1"),
        (EdgeKind::Hold, "PD_1", "ADS_SPACE_4"),
        (EdgeKind::Hold, "PD_1", "VMR_4_1"),
        (EdgeKind::Map, "VMR_4_1", "MO_1_1"),
        (EdgeKind::Map, "ADS_SPACE_4", "MO_SPACE_1"),
        (EdgeKind::Hold, "PD_1", "VCPU_2_1"),
        (EdgeKind::Map, "VCPU_2_1", "PCPU_3_0"),
    ] {
        assert!(has(m, kind, from, to), "{kind:?} {from} -> {to}");
    }
}

#[test]
fn a_thread_shares_its_process_memory_and_a_process_does_not() {
    let (mut k, parent) = process();
    let thread = k.add_thread(parent, "alice.worker").expect("thread");
    let other = k.add_pd("bob").expect("bob");
    k.add_region(other, &CODE, 0x20_0000).expect("code");
    // A region added later is the thread's too, and one reserved later by the process.
    k.add_region(thread, &Region { va: 0x5000_0000, pages: 4, kind: "STACK", perms: Perms::READ }, 0x9000)
        .expect("thread stack");
    let ads = k.ads_of(parent).expect("ads");
    let heap = Region { va: 0x1_0000_0000, pages: 2, kind: "HEAP", perms: Perms::READ };
    let vmr = k.reserve(parent, ads, &heap).expect("reserve");
    let mo = k.allocate(parent, 2, 0x30_0000).expect("allocate");
    k.attach(vmr, mo, Perms::READ).expect("attach");
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    let node = |pd: PdId| idx(m, &k.pd_node(pd).expect("pd").id);
    let (p, t, o) = (node(parent), node(thread), node(other));
    for ty in ["VMR", "MO"] {
        assert_eq!(rsi(m, p, t, ty).value(), Some(1.0), "{ty}: thread and process");
        assert_eq!(rsi(m, p, o, ty).value(), Some(0.0), "{ty}: two processes");
    }
    // Each has its own CPU.
    assert_eq!(rsi(m, p, t, "VCPU").value(), Some(0.0));
}

#[test]
fn pds_made_and_removed_again_and_again_leave_no_empty_slots_behind() {
    let (mut k, parent) = process();
    let cycle = |k: &mut Keeper| {
        let thread = k.add_thread(parent, "alice.worker").expect("thread");
        k.add_region(thread, &Region { va: 0x5000_0000, pages: 4, kind: "STACK", perms: Perms::READ }, 0x9000)
            .expect("thread stack");
        k.remove_pd(thread).expect("thread removed");
        let child = k.add_pd("child").expect("process");
        k.add_region(child, &CODE, 0x20_0000).expect("code");
        k.remove_pd(child).expect("process removed");
    };
    cycle(&mut k);
    let (bound, nodes) = (k.model().node_bound(), k.model().node_count());
    for _ in 0..100 {
        cycle(&mut k);
    }
    assert_eq!(k.model().node_bound(), bound, "node slots grew");
    assert_eq!(k.model().node_count(), nodes);
    assert_eq!(osmosis::check(k.model()), []);
    // A process that goes before its thread: the thread's region and the address space it
    // still names keep their slots empty, so no new node takes an index the thread holds.
    let child = k.add_pd("child").expect("process");
    let thread = k.add_thread(child, "child.worker").expect("thread");
    k.add_region(thread, &Region { va: 0x5000_0000, pages: 4, kind: "STACK", perms: Perms::READ }, 0x9000)
        .expect("thread stack");
    let ads = k.ads_of(thread).expect("the thread's address space");
    k.remove_pd(child).expect("process removed");
    for _ in 0..10 {
        k.add_pd("other").expect("another process");
    }
    assert!(k.model().get(ads).is_none(), "a new node took the slot of an address space a thread names");
    k.remove_pd(thread).expect("thread removed");
    assert_eq!(osmosis::check(k.model()), []);
}

#[test]
fn a_shared_buffer_is_one_mo_mapped_by_both() {
    let (mut k, a) = process();
    let b = k.add_pd("counter").expect("b");
    let mo = k.add_shared_mo(16, 0x10_0000).expect("mo");
    let r = |va| Region { va, pages: 16, kind: "SHARED_FRAMES", perms: Perms::READ | Perms::WRITE };
    k.share_region(a, &r(0x7100_0000), mo).expect("a");
    k.share_region(b, &r(0x7200_0000), mo).expect("b");
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    let (na, nb) = (idx(m, "PD_1"), idx(m, "PD_2"));
    assert_eq!(rsi(m, na, nb, "MO").shared, 16);
    // When a ends, the buffer stays (the root owns it) and b still maps it.
    k.remove_pd(a).expect("remove");
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    assert!(m.find("PD_1").is_none() && m.find("ADS_SPACE_4").is_none() && m.find("MO_1_1").is_none());
    assert_eq!(rsi(m, idx(m, "PD_2"), idx(m, "PD_0"), "MO").shared, 16);
    assert_eq!(k.remove_pd(a), Err(KeeperError::NoPd(1)));
    assert_eq!(k.remove_pd(ROOT), Err(KeeperError::Root));
}

/// A counter server's book: its space (held by itself, badge 0) and a tally held by the
/// client behind badge 1.
fn counter_book() -> Book {
    let mut book = Book::new();
    let space = book.add(Object { class: Class::Space, type_name: String::from("COUNTER"), key: 0, space: None });
    book.grant(0, space, 3).expect("space");
    let tally =
        book.add(Object { class: Class::Resource, type_name: String::from("TALLY"), key: 0, space: Some(space) });
    book.grant(1, tally, 3).expect("tally");
    book
}

fn part<'a>(pd: PdId, book: &'a Book, types: &'a [(&'a str, &'a str)]) -> ServerPart<'a> {
    ServerPart { pd, book, types }
}

const COUNTER_TYPES: &[(&str, &str)] = &[("COUNTER", "COUNTER"), ("TALLY", "COUNTER")];

#[test]
fn extraction_merges_servers_books_with_their_holders() {
    let (mut k, alice) = process();
    let counter = k.add_pd("counter").expect("counter");
    k.set_server(counter, 1, 9).expect("server");
    k.connect(alice, counter, 1, &["COUNTER", "TALLY"]).expect("connect");
    // A second connection to the same server: the same requests, one edge each.
    k.connect(alice, counter, 2, &["COUNTER", "TALLY"]).expect("connect again");
    let book = counter_book();
    let m = k.extract(&[part(counter, &book, COUNTER_TYPES)]).expect("extract");
    assert_eq!(osmosis::check(&m), []);
    assert!(has(&m, EdgeKind::Hold, "PD_1", "TALLY_2_1"));
    assert!(has(&m, EdgeKind::Hold, "PD_2", "COUNTER_SPACE_2_0"));
    assert!(has(&m, EdgeKind::Subset, "TALLY_2_1", "COUNTER_SPACE_2_0"));
    let requests: Vec<_> =
        m.edge_keys().into_iter().filter(|e| e.0 == EdgeKind::Request).map(|e| (e.1, e.2, e.4)).collect();
    assert_eq!(requests, [("PD_1", "PD_2", "COUNTER"), ("PD_1", "PD_2", "TALLY")]);
    // The merged PD is the keeper's (named), not a second node.
    assert_eq!(m.node(idx(&m, "PD_2")).name, "counter");
    assert_eq!(m.node_count(), k.model().node_count() + 2);
}

#[test]
fn a_hold_by_an_unknown_badge_is_an_error_not_a_lost_edge() {
    let (mut k, _) = process();
    let counter = k.add_pd("counter").expect("counter");
    k.set_server(counter, 1, 9).expect("server");
    // Badge 1 was never connected.
    let err = k.extract(&[part(counter, &counter_book(), COUNTER_TYPES)]).expect_err("unknown badge");
    assert!(matches!(err, KeeperError::Model(ModelError::UnknownNode(_))), "{err}");
}

#[test]
fn a_map_onto_another_servers_object_is_resolved() {
    let (mut k, alice) = process();
    let counter = k.add_pd("counter").expect("counter");
    let greeter = k.add_pd("greeter").expect("greeter");
    k.set_server(counter, 1, 9).expect("server");
    k.set_server(greeter, 2, 9).expect("server");
    k.connect(alice, counter, 1, &["TALLY"]).expect("connect");
    k.connect(alice, greeter, 1, &["GREETING"]).expect("connect");
    let counter_book = counter_book();
    let mut greeter_book = Book::new();
    let space =
        greeter_book.add(Object { class: Class::Space, type_name: String::from("GREETING"), key: 0, space: None });
    greeter_book.grant(0, space, 3).expect("space");
    let g = greeter_book.add(Object {
        class: Class::Resource,
        type_name: String::from("GREETING"),
        key: 0,
        space: Some(space),
    });
    greeter_book.grant(1, g, 3).expect("greeting");
    // The greeting maps onto alice's tally, and so the greetings onto the counter's space
    // (at the counter, the first handle is the space's, the second the tally's).
    let first = cellulos_runtime::limits::FIRST_HANDLE_BADGE;
    greeter_book.map(g, MapTarget::Foreign(Cap::Endpoint { endpoint: 1, badge: first + 1 }));
    greeter_book.map(space, MapTarget::Foreign(Cap::Endpoint { endpoint: 1, badge: first }));
    let types: &[(&str, &str)] = &[("GREETING", "GREETING")];
    let m = k
        .extract(&[part(counter, &counter_book, COUNTER_TYPES), part(greeter, &greeter_book, types)])
        .expect("extract");
    assert_eq!(osmosis::check(&m), []);
    assert!(has(&m, EdgeKind::Map, "GREETING_3_1", "TALLY_2_1"));
    assert!(has(&m, EdgeKind::Map, "GREETING_SPACE_3_0", "COUNTER_SPACE_2_0"));
    // A capability naming no live handle cannot be resolved: an error, not a dropped edge.
    greeter_book.map(g, MapTarget::Foreign(Cap::Endpoint { endpoint: 1, badge: 7 }));
    assert!(k.extract(&[part(counter, &counter_book, COUNTER_TYPES), part(greeter, &greeter_book, types)]).is_err());
}

#[test]
fn memory_on_request_reserved_allocated_attached_and_released() {
    let (mut k, pd) = process();
    let ads = k.ads_of(pd).expect("own space");
    let region = Region { va: 0x1_0000_0000, pages: 4, kind: "HEAP", perms: Perms::READ | Perms::WRITE };
    let vmr = k.reserve(pd, ads, &region).expect("reserve");
    let mo = k.allocate(pd, 4, 0x20_0000).expect("allocate");
    k.attach(vmr, mo, Perms::READ | Perms::WRITE).expect("attach");
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    // Numbered after the process's own regions.
    assert!(has(m, EdgeKind::Map, "VMR_4_3", "MO_1_3") && has(m, EdgeKind::Hold, "PD_1", "MO_1_3"));
    // A new address space, held by the process, with a region of its own numbering.
    let other = k.new_ads(pd).expect("new space");
    let far = k.reserve(pd, other, &region).expect("reserve there");
    assert_eq!(k.model().node(far).id, "VMR_5_1");
    k.detach(vmr);
    assert!(!has(k.model(), EdgeKind::Map, "VMR_4_3", "MO_1_3"));
    k.remove_node(far);
    k.remove_node(other);
    k.remove_mo(mo);
    assert_eq!(osmosis::check(k.model()), []);
    assert!(k.model().find("ADS_SPACE_5").is_none() && k.model().find("MO_1_3").is_none());
    assert_eq!(k.ads_of(ROOT), Err(KeeperError::Root));
}

#[test]
fn a_cpu_on_request_runs_on_the_core_once_pinned() {
    let (mut k, pd) = process();
    let vcpu = k.new_vcpu(pd).expect("vcpu");
    assert_eq!(osmosis::check(k.model()), []);
    assert!(k.model().out_edges_of(vcpu, EdgeKind::Map).next().is_none(), "mapped before pin");
    k.claim_core(pd).expect("claim");
    k.claim_core(pd).expect("claim again");
    k.pin(vcpu).expect("pin");
    let m = k.model();
    assert!(has(m, EdgeKind::Map, &m.node(vcpu).id, "PCPU_3_0") && has(m, EdgeKind::Hold, "PD_1", "PCPU_3_0"));
    let holds = m.edge_keys().iter().filter(|e| e.0 == EdgeKind::Hold && e.1 == "PD_1" && e.2 == "PCPU_3_0").count();
    assert_eq!(holds, 1, "one hold however often claimed");
    k.remove_node(vcpu);
    assert_eq!(osmosis::check(k.model()), []);
}

#[test]
fn spaces_registered_at_run_time_map_onto_each_other() {
    let (mut k, pd) = process();
    let blocks = k.register_space(pd, "BLOCK", "BLOCK").expect("blocks");
    let files = k.register_space(pd, "DOC", "DOCS").expect("files");
    let b = k.add_resource(pd, blocks, "BLOCK", 7).expect("block");
    let f = k.add_resource(pd, files, "DOC", 1).expect("file");
    k.map(files, blocks).expect("space map");
    k.map(f, b).expect("resource map");
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    assert_eq!(m.types.space_type_of("DOC"), "DOCS");
    assert_eq!(m.node(b).int("local_id"), Some(7));
    assert!(k.reaches(files, blocks) && !k.reaches(blocks, files), "the MAP goes one way");
    // A core type cannot be registered again, nor a type under a second space type.
    assert!(k.register_space(pd, "VMR", "X").is_err() && k.register_space(pd, "X", "MO").is_err());
    assert!(k.register_space(pd, "DOC", "OTHER").is_err());
    k.remove_node(f);
    k.remove_node(files);
    assert_eq!(osmosis::check(k.model()), []);
}

#[test]
fn a_space_given_is_held_and_its_resources_requested_from_the_giver() {
    let (mut k, giver) = process();
    let taker = k.add_pd("taker").expect("taker");
    let blocks = k.register_space(giver, "BLOCK", "BLOCKS").expect("blocks");
    let b = k.add_resource(giver, blocks, "BLOCK", 0).expect("block");
    // A space whose resource type has its name too (no exception in the type table).
    let files = k.register_space(giver, "FILE", "FILE").expect("files");
    k.give(giver, taker, files, Perms::READ).expect("give the FILE space");
    k.give(giver, taker, blocks, Perms::READ).expect("give the space");
    k.give(giver, taker, b, Perms::READ).expect("give a block");
    k.give(giver, taker, b, Perms::READ).expect("given twice: one edge");
    let m = k.model();
    assert_eq!(osmosis::check(m), []);
    let (t, g) = (k.pd_node(taker).expect("taker").id.clone(), k.pd_node(giver).expect("giver").id.clone());
    let taker_node = idx(m, &t);
    assert_eq!(m.out_edges_of(taker_node, EdgeKind::Hold).filter(|(_, e)| e.to == b).count(), 1);
    assert!(m.out_edges_of(taker_node, EdgeKind::Hold).any(|(_, e)| e.to == blocks));
    let mut requests: Vec<_> = m
        .out_edges_of(taker_node, EdgeKind::Request)
        .map(|(_, e)| (m.node(e.to).id.clone(), e.request_type.clone()))
        .collect();
    requests.sort();
    assert_eq!(requests, [(g.clone(), String::from("BLOCK")), (g, String::from("FILE"))]);
    // The planner now knows who serves the space: the giver, whose end deletes it.
    let servers = osmosis::query::cleanup::servers(m);
    assert_eq!(servers.get(&blocks).map(|s| s.as_slice()), Some(&[idx(m, &k.pd_node(giver).expect("giver").id)][..]));
}
