//! The models the root task streamed out on COM2 (QEMU writes it to a file): its frames
//! decoded (garbage, cut and corrupt frames reported, never trusted), every model kept as
//! a numbered snapshot with who asked and when (`snapshots/`), and the one a task wants
//! written in every format, summarised and checked.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cellulos_system::frame::{self, KIND_MODEL, KIND_SNAPSHOT};
use cellulos_system::snapshot::Snapshot;
use osmosis::format::{self, Format};
use osmosis::query::stats;
use osmosis::{EdgeKind, Model, NodeKind};

use crate::error::{io, Error};

/// One model of a run, with the label the root sent before it (none if it was lost).
#[derive(Debug)]
pub struct Taken {
    /// Its number in the run, who asked and when.
    pub snapshot: Option<Snapshot>,
    /// The model.
    pub model: Model,
}

/// The models in a COM2 stream, in order; what was wrong with the stream goes to `problems`.
pub fn models(stream: &[u8], problems: &mut Vec<String>) -> Vec<Taken> {
    let (frames, errors) = frame::decode(stream);
    problems.extend(errors.iter().map(|e| format!("COM2 stream: {e}")));
    let mut out = Vec::new();
    let mut label = None;
    for f in &frames {
        match f.kind {
            KIND_SNAPSHOT => match Snapshot::decode(&f.payload) {
                Ok(s) => label = Some(s),
                Err(e) => problems.push(format!("COM2 frame at byte {}: {e}", f.offset)),
            },
            // A label goes with the model frame after it, whether that decodes or not.
            KIND_MODEL => match (label.take(), osmosis::wire::decode(&f.payload)) {
                (snapshot, Ok(model)) => out.push(Taken { snapshot, model }),
                (_, Err(e)) => problems.push(format!("COM2 frame at byte {}: {e}", f.offset)),
            },
            other => problems.push(format!("COM2 frame at byte {}: unknown kind {other}", f.offset)),
        }
    }
    out
}

/// Writes every model of a run as `snapshots/NN-<who>.json` in `dir`, NN its place in the
/// stream (the folder made anew, so a run leaves only its own), with `index.tsv`: that
/// place, the root's own number for it (the test suite boots many systems, each numbering
/// from 1), who asked, the root's TSC when it began, nodes, edges, file. Returns the folder.
pub fn write_snapshots(taken: &[Taken], dir: &Path) -> Result<PathBuf, Error> {
    let folder = dir.join("snapshots");
    if folder.exists() {
        std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
    }
    std::fs::create_dir_all(&folder).map_err(io(&folder))?;
    let mut index = String::from("n\tseq\twho\tcycles\tnodes\tedges\tfile\n");
    for (i, t) in taken.iter().enumerate() {
        let (seq, who, cycles) = match &t.snapshot {
            Some(s) => (s.seq.to_string(), s.who.as_str(), s.cycles.to_string()),
            None => (String::from("-"), "unlabelled", String::from("-")),
        };
        let n = i + 1;
        let name = format!("{n:02}-{who}.json");
        let path = folder.join(&name);
        format::write_path(&t.model, Format::Json, &path).map_err(|e| Error::Tree(e.to_string()))?;
        let _ =
            writeln!(index, "{n}\t{seq}\t{who}\t{cycles}\t{}\t{}\t{name}", t.model.node_count(), t.model.edge_count());
    }
    let path = folder.join("index.tsv");
    std::fs::write(&path, index).map_err(io(&path))?;
    Ok(folder)
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
    let dir = stream.parent().unwrap_or(Path::new("."));
    if count > 0 {
        let folder = write_snapshots(&models, dir)?;
        let asked: Vec<String> =
            models.iter().filter_map(|t| t.snapshot.as_ref()).map(|s| format!("{} by {}", s.seq, s.who)).collect();
        println!("model: {count} snapshot(s) kept in {} ({})", folder.display(), asked.join(", "));
    }
    let chosen = match pick {
        Pick::First => models.into_iter().next(),
        Pick::Last => models.into_iter().last(),
    };
    let model = chosen.map(|t| t.model).ok_or_else(|| {
        Error::Tree(format!("no model in {} ({} bytes): the root task streamed none", stream.display(), bytes.len()))
    })?;
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
        assert_eq!(models[1].model.node_count(), 4);
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

    fn labelled(seq: u32, who: &str, m: &Model) -> Vec<u8> {
        let label = Snapshot { seq, cycles: 1000 * u64::from(seq), who: who.into() };
        let mut out = Vec::new();
        frame::encode(KIND_SNAPSHOT, &label.encode().expect("label"), |b| out.extend_from_slice(b)).expect("frame");
        out.extend(framed(m));
        out
    }

    #[test]
    fn every_snapshot_of_a_run_is_kept_with_who_asked_and_when() {
        let dir = std::env::temp_dir().join(format!("xtask-snapshots-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snapshots")).expect("dir");
        std::fs::write(dir.join("snapshots/07-stale.json"), "{}").expect("stale");
        let (first, mut second) = (model(), model());
        second.add_node(Node::pd("PD_1", "alice")).expect("pd");
        let mut stream = labelled(1, "alice", &first);
        // A label whose model frame is lost: the next model must not take it.
        let mut lost = labelled(2, "bob", &first);
        let cut = lost.len() - 3;
        lost[cut] ^= 1;
        stream.extend(lost);
        stream.extend(labelled(3, "root", &second));
        stream.extend(framed(&second));
        let path = dir.join("model.bin");
        std::fs::write(&path, &stream).expect("stream");
        let last = extract(&path, Pick::Last).expect("extract");
        assert_eq!(last, second);
        let mut files: Vec<String> = std::fs::read_dir(dir.join("snapshots"))
            .expect("snapshots")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        files.sort();
        assert_eq!(files, ["01-alice.json", "02-root.json", "03-unlabelled.json", "index.tsv"]);
        assert_eq!(format::read_path(&dir.join("snapshots/01-alice.json")).expect("json"), first);
        let index = std::fs::read_to_string(dir.join("snapshots/index.tsv")).expect("index");
        let rows: Vec<&str> = index.lines().collect();
        assert_eq!(rows[1], "1\t1\talice\t1000\t3\t2\t01-alice.json");
        assert_eq!(rows[2], "2\t3\troot\t3000\t4\t2\t02-root.json");
        assert!(rows[3].starts_with("3\t-\tunlabelled\t-\t"), "{index}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_labels_and_unknown_frames_are_reported_and_label_nothing() {
        let mut stream = Vec::new();
        let push = |stream: &mut Vec<u8>, kind: u8, payload: &[u8]| {
            frame::encode(kind, payload, |b| stream.extend_from_slice(b)).expect("frame")
        };
        push(&mut stream, KIND_SNAPSHOT, b"\x01\0\0\0\0\0\0\0\0\0\0\0../etc");
        push(&mut stream, 9, b"what");
        stream.extend(framed(&model()));
        stream.extend(labelled(2, "alice", &model()));
        // A label whose model does not decode labels nothing after it.
        let bob = Snapshot { seq: 3, cycles: 0, who: "bob".into() }.encode().expect("label");
        push(&mut stream, KIND_SNAPSHOT, &bob);
        push(&mut stream, KIND_MODEL, b"no model");
        stream.extend(framed(&model()));
        let mut problems = Vec::new();
        let taken = models(&stream, &mut problems);
        assert!(problems.iter().any(|p| p.contains("asker is no instance name")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("unknown kind 9")), "{problems:?}");
        assert_eq!(taken.len(), 3, "{problems:?}");
        assert_eq!(taken[0].snapshot, None);
        assert_eq!(taken[1].snapshot.as_ref().map(|s| s.who.as_str()), Some("alice"));
        assert_eq!(taken[2].snapshot, None, "a label outlived the model it was for");
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
