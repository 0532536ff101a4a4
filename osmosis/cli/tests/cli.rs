//! The `osmosis` command, run as a user runs it: output, errors and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gpikv() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/GPIKV001.output")
}

fn osmosis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_osmosis")).args(args).output().expect("run osmosis")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn check_reports_violations_with_the_file_and_exits_1() {
    let file = gpikv();
    let o = osmosis(&["check", path(&file)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let violations: Vec<&str> = out.lines().filter(|l| l.contains(": PCPU") || l.contains(": VCPU")).collect();
    assert_eq!(violations.len(), 5, "{out}");
    assert!(violations.iter().all(|l| l.starts_with(path(&file))));
    assert!(out.contains("1108 nodes, 2814 edges, 5 violations"), "{out}");
}

#[test]
fn check_passes_a_valid_model_and_takes_new_space_types() {
    let dir = scratch("valid");
    let file = dir.join("clock.csv");
    std::fs::write(
        &file,
        "NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA\n\
         PD,PD_0,clock_server,,,,\nRESOURCE_SPACE,TIME_SPACE_1,TIME,,,,\nRESOURCE,CLOCK_1_1,CLOCK,,,,\n\
         ,,NONE,HOLD,PD_0,TIME_SPACE_1,\n,,NONE,HOLD,PD_0,CLOCK_1_1,rw\n,,NONE,SUBSET,CLOCK_1_1,TIME_SPACE_1,\n",
    )
    .expect("write");
    // By the same-name rule a CLOCK lives in a CLOCK space: one violation ...
    let o = osmosis(&["check", path(&file)]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("CLOCK_1_1: CLOCK resource SUBSETs TIME_SPACE_1 of type TIME"));
    // ... until the type table says CLOCKs live in TIME spaces.
    let o = osmosis(&["--space-type", "CLOCK=TIME", "check", path(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 violations"));
    let o = osmosis(&["--space-type", "CLOCK", "check", path(&file)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn malformed_and_missing_files_exit_3_naming_file_and_line() {
    let dir = scratch("bad");
    let file = dir.join("bad.csv");
    std::fs::write(&file, "NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA\nPD,PD_0,x,,,,\nPD,PD_1\n")
        .expect("write");
    let o = osmosis(&["stats", path(&file)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains(&format!("{}:3: expected 7 columns, found 2", path(&file))), "{}", stderr(&o));
    let o = osmosis(&["check", path(&dir.join("missing.json"))]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

#[test]
fn queries() {
    let file = gpikv();
    let f = path(&file);
    let o = osmosis(&["stats", f]);
    assert!(stdout(&o).lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["HOLD", "1642"]), "{}", stdout(&o));
    let o = osmosis(&["query", "reach", f, "PD_4", "--type", "FILE"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("PD_4 reaches 2 nodes"), "{}", stdout(&o));
    let o = osmosis(&["query", "rsi", f, "PD_3", "PD_4", "--type", "FILE"]);
    assert!(stdout(&o).contains("FILE     1.0000"), "{}", stdout(&o));
    let o = osmosis(&["query", "tcb", f, "PD_4"]);
    let out = stdout(&o);
    assert!(out.starts_with("TCB of PD_4: 4 PDs"), "{out}");
    assert!(out.contains("PD_3\tfs_server\tPD_4 requests FILE from it"), "{out}");
    assert!(out.contains("PD_2\tramdisk_server\tPD_4 maps onto BLOCK_a_a, which it holds"), "{out}");
    let o = osmosis(&["query", "impact", f, "PD_2"]);
    assert!(stdout(&o).starts_with("impact boundary of PD_2: 2 PDs"), "{}", stdout(&o));
    let o = osmosis(&["query", "fault-radius", f, "PD_2"]);
    assert!(stdout(&o).starts_with("fault radius of PD_2: 1 (2 PDs impacted)"), "{}", stdout(&o));
    let o = osmosis(&["query", "tcb", f, "NOPE"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("no node \"NOPE\""));
}

#[test]
fn cleanup() {
    let file = gpikv();
    let f = path(&file);
    let o = osmosis(&["cleanup", f, "--pd", "PD_2", "--policy", "recursive-pd"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("terminate 3 PDs"), "{out}");
    assert!(out.contains("PD_4\tPD depth 2\tPD_2 failed; PD_2 serves BLOCK_SPACE_a;"), "{out}");
    let o = osmosis(&["cleanup", f, "--pd", "PD_2", "--policy", "0/inf"]);
    assert!(stdout(&o).contains("recursive-space (PD depth 0, resource-space depth inf)"), "{}", stdout(&o));
    let o = osmosis(&["cleanup", f, "--space", "FILE_SPACE_c", "--policy", "1/0", "--verbose"]);
    assert!(stdout(&o).contains("PD_3 -HOLD-> FILE_c_2"), "{}", stdout(&o));
    let o = osmosis(&["cleanup", f, "--pd", "PD_2", "--policy", "sideways"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad cleanup policy \"sideways\""));
    let o = osmosis(&["cleanup", f, "--pd", "FILE_SPACE_c"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("FILE_SPACE_c is a RESOURCE_SPACE, not a PD"), "{}", stderr(&o));
    let o = osmosis(&["cleanup", f]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn convert_and_diff() {
    let dir = scratch("convert");
    let file = gpikv();
    let json = dir.join("model.json");
    let o = osmosis(&["convert", path(&file), "--to", "json", "-o", path(&json)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = osmosis(&["diff", path(&file), path(&json)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    for format in ["csv", "cypher", "dot", "svg"] {
        let o = osmosis(&["convert", path(&json), "--to", format]);
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        assert!(o.stdout.len() > 1000, "{format}");
    }
    let o = osmosis(&["convert", path(&json), "--to", "neo4j", "-o", path(&dir.join("neo4j"))]);
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.join("neo4j/edges_HOLD.csv").exists());
    let o = osmosis(&["convert", path(&json), "--to", "neo4j"]);
    assert_eq!(o.status.code(), Some(2));
    let o = osmosis(&["convert", path(&json), "--to", "xml"]);
    assert_eq!(o.status.code(), Some(2));

    // A model without the fs server's FILE request differs by exactly that edge.
    let text = std::fs::read_to_string(&json).expect("read");
    let edited: String = text
        .lines()
        .filter(|l| !l.contains(r#""from":"PD_4","to":"PD_3","resource_type":"FILE""#))
        .map(|l| format!("{l}\n"))
        .collect();
    let edited_path = dir.join("edited.json");
    std::fs::write(&edited_path, edited).expect("write");
    let o = osmosis(&["diff", path(&json), path(&edited_path), "--verbose"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("REQUEST: 0 added, 1 removed"), "{out}");
    assert!(out.contains("- REQUEST PD_4 -> PD_3  FILE"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}
