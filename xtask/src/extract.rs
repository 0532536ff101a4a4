//! The model the root task streamed out on COM2 (QEMU writes it to a file): its frames
//! decoded (garbage, cut and corrupt frames reported, never trusted), the last model
//! decoded from `osmosis::wire`, written in every format, summarised and checked.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cellulos_system::frame::{self, KIND_MODEL};
use osmosis::format::{self, Format};
use osmosis::query::stats;
use osmosis::{EdgeKind, Model, NodeKind};

use crate::error::{io, Error};

/// The models in a COM2 stream, in order; what was wrong with the stream goes to `problems`.
pub fn models(stream: &[u8], problems: &mut Vec<String>) -> Vec<Model> {
    let (frames, errors) = frame::decode(stream);
    problems.extend(errors.iter().map(|e| format!("COM2 stream: {e}")));
    let mut out = Vec::new();
    for f in frames.iter().filter(|f| f.kind == KIND_MODEL) {
        match osmosis::wire::decode(&f.payload) {
            Ok(m) => out.push(m),
            Err(e) => problems.push(format!("COM2 frame at byte {}: {e}", f.offset)),
        }
    }
    out
}

/// Writes `model` as `model.json`, `model.csv`, `neo4j/` (import files and `model.cypher`)
/// and `model.svg` in `dir`; returns the paths.
pub fn write_all(model: &Model, dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let neo4j = dir.join("neo4j");
    if neo4j.exists() {
        std::fs::remove_dir_all(&neo4j).map_err(io(&neo4j))?;
    }
    let files = [
        (dir.join("model.json"), Format::Json),
        (dir.join("model.csv"), Format::Csv),
        (neo4j.clone(), Format::Neo4j),
        (neo4j.join("model.cypher"), Format::Cypher),
        (dir.join("model.svg"), Format::Svg),
    ];
    for (path, f) in &files {
        format::write_path(model, *f, path).map_err(|e| Error::Tree(e.to_string()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// One line per kind: PDs, spaces and resources by type, edges by kind.
pub fn summary(model: &Model) -> String {
    let s = stats::stats(model);
    let count = |k: NodeKind| s.nodes.get(&k).copied().unwrap_or(0);
    let by_type = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter().map(|(t, n)| format!("{n} {t}")).collect::<Vec<_>>().join(", ")
    };
    let mut out = String::new();
    let _ = writeln!(out, "model: {} PDs", count(NodeKind::Pd));
    let _ = writeln!(out, "model: {} spaces ({})", count(NodeKind::Space), by_type(&s.spaces));
    let _ = writeln!(out, "model: {} resources ({})", count(NodeKind::Resource), by_type(&s.resources));
    let edges: Vec<String> =
        EdgeKind::ALL.iter().map(|k| format!("{} {}", s.edges.get(k).copied().unwrap_or(0), k.name())).collect();
    let _ = writeln!(out, "model: {} edges ({})", model.edge_count(), edges.join(", "));
    out
}

/// Which of a run's models to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The first (the test run: the probe's snapshot, taken mid-run).
    First,
    /// The last (a run: the one a client asked for, or the root's at the end).
    Last,
}

/// Reads the COM2 stream at `stream`, writes the model `pick` chooses in every format
/// beside it, prints the summary, and fails when there is no model or it breaks an
/// invariant.
pub fn extract(stream: &Path, pick: Pick) -> Result<Model, Error> {
    let bytes = std::fs::read(stream).map_err(io(stream))?;
    let mut problems = Vec::new();
    let models = models(&bytes, &mut problems);
    for p in &problems {
        eprintln!("xtask: {p}");
    }
    let count = models.len();
    let chosen = match pick {
        Pick::First => models.into_iter().next(),
        Pick::Last => models.into_iter().last(),
    };
    let model = chosen.ok_or_else(|| {
        Error::Tree(format!("no model in {} ({} bytes): the root task streamed none", stream.display(), bytes.len()))
    })?;
    let dir = stream.parent().unwrap_or(Path::new("."));
    let files = write_all(&model, dir)?;
    if count > 1 {
        println!("model: {count} extracted; writing the {}", if pick == Pick::First { "first" } else { "last" });
    }
    print!("{}", summary(&model));
    let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    println!("model: written to {}", shown.join(", "));
    let violations = osmosis::check(&model);
    if !violations.is_empty() {
        let lines: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        return Err(Error::Tree(format!("the extracted model breaks its invariants:\n{}", lines.join("\n"))));
    }
    println!("model: invariants hold (osmosis check)");
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use osmosis::{Node, Perms};

    fn model() -> Model {
        let mut m = Model::new();
        m.add_node(Node::pd("PD_0", "ROOT_TASK")).expect("pd");
        m.add_node(Node::space("MO_SPACE_1", "MO")).expect("space");
        m.add_node(Node::resource("MO_1_1", "MO").with("pages", 2u64)).expect("mo");
        m.link(EdgeKind::Hold, "PD_0", "MO_1_1", Perms::READ, "").expect("hold");
        m.link(EdgeKind::Subset, "MO_1_1", "MO_SPACE_1", Perms::NONE, "").expect("subset");
        m
    }

    fn framed(m: &Model) -> Vec<u8> {
        let mut out = Vec::new();
        frame::encode(KIND_MODEL, &osmosis::wire::to_bytes(m), |b| out.extend_from_slice(b)).expect("frame");
        out
    }

    #[test]
    fn the_last_intact_model_of_a_noisy_stream_is_read() {
        let first = model();
        let mut second = model();
        second.add_node(Node::pd("PD_1", "alice")).expect("pd");
        let mut stream = b"noise".to_vec();
        stream.extend(framed(&first));
        let mut corrupt = framed(&second);
        let mid = corrupt.len() / 2;
        corrupt[mid] ^= 1;
        stream.extend(corrupt);
        stream.extend(framed(&second));
        let mut problems = Vec::new();
        let models = models(&stream, &mut problems);
        assert_eq!(models.len(), 2);
        assert_eq!(models[1].node_count(), 4);
        // The leading noise, the bad checksum, and the rest of the corrupt frame.
        assert!(problems[0].contains("5 bytes that are no frame"), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("bad checksum")), "{problems:?}");
    }

    #[test]
    fn every_format_is_written_and_the_summary_counts() {
        let dir = std::env::temp_dir().join(format!("xtask-extract-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let files = write_all(&model(), &dir).expect("write");
        for f in &files {
            assert!(f.exists(), "{}", f.display());
        }
        assert!(dir.join("neo4j/model.cypher").is_file());
        let back = format::read_path(&dir.join("model.json")).expect("json");
        assert_eq!(back, model());
        let _ = std::fs::remove_dir_all(&dir);
        let s = summary(&model());
        assert!(
            s.contains("model: 1 PDs") && s.contains("1 MO") && s.contains("1 HOLD, 0 MAP, 0 REQUEST, 1 SUBSET"),
            "{s}"
        );
    }

    #[test]
    fn a_stream_without_a_model_is_an_error() {
        let path = std::env::temp_dir().join(format!("xtask-empty-{}.bin", std::process::id()));
        std::fs::write(&path, b"nothing framed").expect("write");
        let err = extract(&path, Pick::Last).expect_err("no model");
        assert!(err.to_string().contains("no model"), "{err}");
        let _ = std::fs::remove_file(&path);
    }
}
