//! Criterion benchmarks on a synthetic model of a million edges: load, check, queries and
//! every export, each beside a baseline measured in the same run (a generic parse of the
//! same bytes, one graph traversal, a raw write of the same rows). After criterion has
//! run, a table prints each measurement as a ratio to its baseline.
//!
//! Run: `cargo bench -p osmosis --bench model` (set `OSMOSIS_BENCH_EDGES` for another size).

#[path = "../../../benches/report.rs"]
mod report;
mod synthetic;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion};
use osmosis::format::{self, Format};
use osmosis::query::{self, Failure, Policy};
use osmosis::{EdgeKind, Model, NodeKind};

const GROUP: &str = "model";

/// (benchmark, its baseline): the rows of the final table.
const PAIRS: &[(&str, &str)] = &[
    ("load_json", "baseline_parse_json_value"),
    ("load_csv", "baseline_parse_csv_records"),
    ("check", "baseline_traverse_all_edges"),
    ("rsi", "baseline_traverse_all_edges"),
    ("tcb", "baseline_traverse_all_edges"),
    ("cleanup_direct_pd", "baseline_traverse_all_edges"),
    ("write_json", "baseline_write_json_value"),
    ("write_csv", "baseline_write_csv_records"),
    ("write_cypher", "baseline_write_csv_records"),
    ("write_neo4j", "baseline_write_csv_records"),
    ("write_dot", "baseline_write_csv_records"),
    ("write_svg", "baseline_traverse_all_edges"),
];

/// One pass over every node's out-edges: the least any whole-model query must do.
fn traverse(m: &Model) -> usize {
    let mut seen = vec![false; m.node_bound()];
    let mut n = 0;
    for (i, _) in m.nodes() {
        for (_, e) in m.out_edges(i) {
            if !seen[e.to.0 as usize] {
                seen[e.to.0 as usize] = true;
                n += 1;
            }
        }
    }
    n
}

fn bytes(m: &Model, f: Format) -> Vec<u8> {
    let mut out = Vec::new();
    format::write(m, f, &mut out).expect("write");
    out
}

fn bench(c: &mut Criterion, m: &Model) {
    let json = bytes(m, Format::Json);
    let csv = bytes(m, Format::Csv);
    let pd = |id: &str| m.find(id).expect("pd");
    // PD_8 is a thread of PD_7 (it shares its address space): RSI over both.
    let (a, thread) = (pd("PD_7"), pd("PD_8"));
    let rows: Vec<[String; 3]> = m
        .edges()
        .map(|(_, e)| [m.node(e.from).id.clone(), m.node(e.to).id.clone(), e.kind.name().to_string()])
        .collect();
    let value: serde_json::Value = serde_json::from_slice(&json).expect("value");
    let neo4j_dir = std::env::temp_dir().join(format!("osmosis-bench-{}", std::process::id()));

    let mut g: BenchmarkGroup<_> = c.benchmark_group(GROUP);
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    g.bench_function("load_json", |x| x.iter(|| format::read_model("bench.json", black_box(&json)).expect("json")));
    g.bench_function("baseline_parse_json_value", |x| {
        x.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&json)).expect("value"))
    });
    g.bench_function("load_csv", |x| x.iter(|| format::read_model("bench.csv", black_box(&csv)).expect("csv")));
    g.bench_function("baseline_parse_csv_records", |x| {
        x.iter(|| {
            let mut r = csv::Reader::from_reader(black_box(&csv[..]));
            let mut rec = csv::ByteRecord::new();
            let mut n = 0;
            while r.read_byte_record(&mut rec).expect("record") {
                n += rec.len();
            }
            n
        })
    });
    g.bench_function("check", |x| x.iter(|| osmosis::check(black_box(m))));
    g.bench_function("baseline_traverse_all_edges", |x| x.iter(|| traverse(black_box(m))));
    g.bench_function("rsi", |x| x.iter(|| query::rsi_all(black_box(m), a, thread)));
    g.bench_function("tcb", |x| x.iter(|| query::tcb(black_box(m), thread)));
    g.bench_function("cleanup_direct_pd", |x| {
        x.iter(|| query::plan_cleanup(black_box(m), Failure::Pd(a), Policy::DIRECT_PD).expect("plan"))
    });
    for (name, f) in [
        ("write_json", Format::Json),
        ("write_csv", Format::Csv),
        ("write_cypher", Format::Cypher),
        ("write_dot", Format::Dot),
        ("write_svg", Format::Svg),
    ] {
        g.bench_function(name, |x| x.iter(|| bytes(black_box(m), f)));
    }
    g.bench_function("write_neo4j", |x| {
        x.iter(|| format::write_path(black_box(m), Format::Neo4j, &neo4j_dir).expect("neo4j"))
    });
    g.bench_function("baseline_write_json_value", |x| x.iter(|| serde_json::to_vec(black_box(&value)).expect("json")));
    g.bench_function("baseline_write_csv_records", |x| {
        x.iter(|| {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in black_box(&rows) {
                w.write_record(r).expect("row");
            }
            w.into_inner().map(|v| v.len()).unwrap_or(0)
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(neo4j_dir);
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let edges = std::env::var("OSMOSIS_BENCH_EDGES").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let start = std::time::Instant::now();
    let m = synthetic::model(edges);
    let built = start.elapsed();
    let pds = m.nodes_of(NodeKind::Pd).count();
    let holds = m.edges().filter(|(_, e)| e.kind == EdgeKind::Hold).count();
    println!(
        "synthetic model: {} nodes ({pds} PDs), {} edges ({holds} HOLD), built in {built:.2?}; peak RSS {:.0} MiB",
        m.node_count(),
        m.edge_count(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    assert!(osmosis::check(&m).is_empty(), "the synthetic model is valid");

    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &m);
    c.final_summary();

    report::print_ratios(GROUP, PAIRS);
}
