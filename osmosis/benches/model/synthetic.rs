//! A synthetic CellulOS-shaped model of any size: the workload of the benchmarks.

use osmosis::{Edge, EdgeKind, Model, Node, NodeIdx, Perms};

/// Regions per PD; each brings 5 edges (its HOLD, SUBSET and MAP, its MO's SUBSET and HOLD),
/// or 1 edge for a thread (its HOLD).
const REGIONS: usize = 100;

/// About `edges` edges: a root task serving one MO space and an address space per PD, PDs
/// with `REGIONS` regions each mapped onto their own MO, every fourth PD a thread sharing
/// its predecessor's address space, and REQUESTs to the root and to a neighbour server.
pub fn model(edges: usize) -> Model {
    // Three PDs in four bring 5 edges per region, threads 1: 4 per region on average, plus
    // a few per PD for its space, holds and requests.
    let pds = (edges / (REGIONS * 4 + 6)).max(2) + 1;
    let mut m = Model::new();
    let add = |m: &mut Model, kind, from: NodeIdx, to: NodeIdx, perms| {
        m.add_edge(Edge::new(kind, from, to).with_perms(perms)).expect("edge");
    };
    let root = m.add_node(Node::pd("PD_0", "ROOT_TASK")).expect("root");
    let mo_space = m.add_node(Node::space("MO_SPACE_0", "MO")).expect("mo space");
    add(&mut m, EdgeKind::Hold, root, mo_space, Perms::READ | Perms::WRITE);
    let mut previous_ads = None;
    for p in 1..pds {
        let pd = m.add_node(Node::pd(format!("PD_{p}"), format!("program_{}", p % 17))).expect("pd");
        let shares = p % 4 == 0 && previous_ads.is_some();
        let ads = match (shares, previous_ads) {
            (true, Some(ads)) => ads,
            _ => {
                let ads = m.add_node(Node::space(format!("ADS_SPACE_{p}"), "ADS")).expect("ads");
                add(&mut m, EdgeKind::Hold, root, ads, Perms::READ | Perms::WRITE);
                add(&mut m, EdgeKind::Map, ads, mo_space, Perms::NONE);
                for r in 0..REGIONS {
                    let vmr = Node::resource(format!("VMR_{p}_{r}"), "VMR")
                        .with("addr", 0x40_0000 + (r as u64) * 0x1000)
                        .with("kind", if r == 0 { "ELF_CODE" } else { "HEAP" })
                        .with("pages", 1 + (r as u64 % 16))
                        .with("size_bits", 12);
                    let vmr = m.add_node(vmr).expect("vmr");
                    let mo = Node::resource(format!("MO_{p}_{r}"), "MO")
                        .with("paddr", (p * REGIONS + r) as u64 * 0x1000)
                        .with("pages", 1 + (r as u64 % 16))
                        .with("size_bits", 12);
                    let mo = m.add_node(mo).expect("mo");
                    add(&mut m, EdgeKind::Subset, vmr, ads, Perms::NONE);
                    add(&mut m, EdgeKind::Subset, mo, mo_space, Perms::NONE);
                    add(&mut m, EdgeKind::Hold, pd, vmr, Perms::READ | Perms::WRITE);
                    add(&mut m, EdgeKind::Hold, root, mo, Perms::READ | Perms::WRITE);
                    add(&mut m, EdgeKind::Map, vmr, mo, Perms::READ | Perms::WRITE);
                }
                ads
            }
        };
        add(&mut m, EdgeKind::Hold, pd, ads, Perms::READ);
        if shares {
            // A thread: it holds every region of the address space it shares.
            let regions: Vec<NodeIdx> = m.in_edges_of(ads, EdgeKind::Subset).map(|(_, e)| e.from).collect();
            for vmr in regions {
                add(&mut m, EdgeKind::Hold, pd, vmr, Perms::READ | Perms::WRITE);
            }
        }
        for ty in ["ADS", "VMR", "MO"] {
            m.add_edge(Edge::request(pd, root, ty)).expect("request");
        }
        if p > 1 {
            let server = m.find(&format!("PD_{}", p - 1)).expect("neighbour");
            m.add_edge(Edge::request(pd, server, "EP")).expect("request");
        }
        previous_ads = Some(ads);
    }
    m
}
