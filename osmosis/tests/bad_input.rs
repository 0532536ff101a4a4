//! Malformed files give `file:LINE: message`, never a panic and never a partial model.

use osmosis::format::read_model;

const HEADER: &str = "NODE_TYPE,NODE_ID,DATA,EDGE_TYPE,EDGE_FROM,EDGE_TO,EXTRA\n";

/// Reads `text` as `bad.csv`/`bad.json` and returns the error message, which must name
/// the file and `line`.
fn error(name: &str, bytes: &[u8], line: u64) -> String {
    let err = read_model(name, bytes).expect_err("malformed input must be refused");
    let text = err.to_string();
    assert_eq!(err.line, Some(line), "wrong line in {text:?}");
    assert!(text.starts_with(&format!("{name}:{line}: ")), "{text:?} must start with {name}:{line}:");
    text
}

fn csv(body: &str) -> Vec<u8> {
    format!("{HEADER}{body}").into_bytes()
}

#[test]
fn csv_wrong_column_count() {
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,\nPD,PD_1,X,,,\n"), 3);
    assert!(msg.contains("expected 7 columns, found 6"), "{msg}");
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,,\n"), 2);
    assert!(msg.contains("found 8"), "{msg}");
}

#[test]
fn csv_unknown_node_and_edge_types() {
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,\nTHREAD,T_1,x,,,,\n"), 3);
    assert!(msg.contains("unknown node type \"THREAD\""), "{msg}");
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,\n,,NONE,OWNS,PD_0,PD_0,\n"), 3);
    assert!(msg.contains("unknown edge type \"OWNS\""), "{msg}");
}

#[test]
fn csv_dangling_edge_names_its_own_line() {
    let body = "PD,PD_0,ROOT,,,,\n,,NONE,HOLD,PD_0,VMR_1_1,\nRESOURCE,VMR_1_2,VMR,,,,\n";
    let msg = error("bad.csv", &csv(body), 3);
    assert!(msg.contains("unknown node \"VMR_1_1\""), "{msg}");
}

#[test]
fn csv_duplicate_id_names_both_lines() {
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,\nPD,PD_1,A,,,,\nPD,PD_0,B,,,,\n"), 4);
    assert!(msg.contains("duplicate node id \"PD_0\" (first defined on line 2)"), "{msg}");
}

#[test]
fn csv_bad_utf8() {
    let mut bytes = csv("PD,PD_0,ROOT,,,,\nPD,PD_1,");
    bytes.extend_from_slice(b"caf\xe9,,,,\n");
    let msg = error("bad.csv", &bytes, 3);
    assert!(msg.contains("column 3 is not valid UTF-8"), "{msg}");
}

#[test]
fn csv_huge_line() {
    let huge = "x".repeat(osmosis::format::cellulos_csv::MAX_ROW_BYTES + 10);
    let msg = error("bad.csv", &csv(&format!("PD,PD_0,ROOT,,,,\nPD,PD_1,{huge},,,,\n")), 3);
    assert!(msg.contains("the limit is"), "{msg}");
}

#[test]
fn csv_bad_header_and_empty_file() {
    let msg = error("bad.csv", b"TYPE,ID,DATA\nPD,PD_0,ROOT\n", 1);
    assert!(msg.contains("expected the header"), "{msg}");
    let msg = error("bad.csv", b"", 1);
    assert!(msg.contains("empty file"), "{msg}");
}

#[test]
fn csv_row_shapes() {
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,HOLD,,,\n"), 2);
    assert!(msg.contains("node row must leave"), "{msg}");
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,\n,PD_0,NONE,HOLD,PD_0,PD_0,\n"), 3);
    assert!(msg.contains("NODE_ID is set"), "{msg}");
    let msg = error("bad.csv", &csv("RESOURCE,VMR_1,,,,,\n"), 2);
    assert!(msg.contains("has no type"), "{msg}");
    let msg = error("bad.csv", &csv("PD,PD_0,ROOT,,,,\n,,NONE,HOLD,PD_0,PD_0,rwz\n"), 3);
    assert!(msg.contains("bad permission letter 'z'"), "{msg}");
    let msg = error("bad.csv", &csv("PD,\"PD\t0\",ROOT,,,,\n"), 2);
    assert!(msg.contains("control character"), "{msg}");
}

#[test]
fn csv_bad_extra_json() {
    let msg = error("bad.csv", &csv("RESOURCE,R_1,CLOCK,,,,\"{\"\"a\"\": -1}\"\n"), 2);
    assert!(msg.contains("string or an unsigned integer"), "{msg}");
    let msg = error("bad.csv", &csv("RESOURCE,R_1,CLOCK,,,,{oops\n"), 2);
    assert!(msg.contains("not a JSON object"), "{msg}");
    let msg = error("bad.csv", &csv("RESOURCE,R_1,CLOCK,,,,\"{\"\"bad key\"\": 1}\"\n"), 2);
    assert!(msg.contains("not an identifier"), "{msg}");
}

fn json(nodes: &str, edges: &str) -> Vec<u8> {
    format!("{{\n\"format\": \"osmosis-model\",\n\"version\": 1,\n\"nodes\": [\n{nodes}\n],\n\"edges\": [\n{edges}\n]\n}}\n")
        .into_bytes()
}

const PD0: &str = r#"{"id": "PD_0", "kind": "PD", "name": "root"}"#;

#[test]
fn json_syntax_error_names_its_line() {
    let msg = error("bad.json", &json(&format!("{PD0},\n{{\"id\": \"PD_1\" \"kind\": \"PD\"}}"), ""), 6);
    assert!(msg.contains("malformed JSON"), "{msg}");
    let msg = error("bad.json", b"{\"format\": \"osmosis-model\",\n", 2);
    assert!(msg.contains("malformed JSON"), "{msg}");
}

#[test]
fn json_schema_errors() {
    let wrong_format = String::from_utf8(json(PD0, "")).unwrap_or_default().replace("osmosis-model", "other");
    let msg = error("bad.json", wrong_format.as_bytes(), 1);
    assert!(msg.contains("expected \"osmosis-model\""), "{msg}");
    let newer = String::from_utf8(json(PD0, "")).unwrap_or_default().replace("\"version\": 1", "\"version\": 2");
    let msg = error("bad.json", newer.as_bytes(), 1);
    assert!(msg.contains("schema version 2 is not supported"), "{msg}");
    let msg = error("bad.json", &json(r#"{"id": "PD_0", "kind": "PD", "colour": "red"}"#, ""), 5);
    assert!(msg.contains("unknown field `colour`"), "{msg}");
    let msg = error("bad.json", &json(&format!("{PD0},\n{{\"id\": \"X\", \"kind\": \"GHOST\"}}"), ""), 6);
    assert!(msg.contains("unknown node kind \"GHOST\""), "{msg}");
}

#[test]
fn json_dangling_edge_and_duplicate_id_name_their_lines() {
    let edges = "{\"type\": \"HOLD\", \"from\": \"PD_0\", \"to\": \"PD_0\"},\n{\"type\": \"HOLD\", \"from\": \"PD_0\", \"to\": \"nope\"}";
    let msg = error("bad.json", &json(PD0, edges), 9);
    assert!(msg.contains("unknown node \"nope\""), "{msg}");
    let msg = error("bad.json", &json(&format!("{PD0},\n{PD0}"), ""), 6);
    assert!(msg.contains("duplicate node id \"PD_0\""), "{msg}");
    let edges = "{\"type\": \"LINK\", \"from\": \"PD_0\", \"to\": \"PD_0\"}";
    let msg = error("bad.json", &json(PD0, edges), 8);
    assert!(msg.contains("unknown edge type \"LINK\""), "{msg}");
}

#[test]
fn json_bad_values() {
    let node = r#"{"id": "R", "kind": "RESOURCE", "type": "MO", "attrs": {"pages": -3}}"#;
    let msg = error("bad.json", &json(node, ""), 5);
    assert!(msg.contains("not an osmosis model"), "{msg}");
    let node = r#"{"id": "R", "kind": "RESOURCE", "type": "MO", "attrs": {"2pages": 3}}"#;
    let msg = error("bad.json", &json(node, ""), 5);
    assert!(msg.contains("not an identifier"), "{msg}");
    let mut bytes = json(r#"{"id": "PD_0", "kind": "PD", "name": "ro"}"#, "");
    let at = bytes.windows(3).position(|w| w == b"ro\"").unwrap_or(0) + 2;
    bytes.insert(at, 0xff);
    let msg = error("bad.json", &bytes, 5);
    assert!(msg.contains("malformed JSON"), "{msg}");
}

#[test]
fn ids_and_types_with_control_characters_are_refused() {
    use osmosis::{Model, ModelError, Node};
    let mut m = Model::new();
    // ASCII controls (C0 and DEL), a C1 control (two UTF-8 bytes), and empty text.
    for id in ["", "PD\n1", "PD\u{7f}", "PD_\u{85}"] {
        assert!(matches!(m.add_node(Node::pd(id, "x")), Err(ModelError::BadId(_))), "{id:?}");
    }
    for ty in ["V\tMR", "VMR\u{9f}"] {
        assert!(matches!(m.add_node(Node::resource("VMR_1_1", ty)), Err(ModelError::BadType(_))), "{ty:?}");
    }
    // Non-ASCII text without controls is an id like any other.
    m.add_node(Node::pd("PD_é", "x")).expect("a non-ASCII id");
    m.add_node(Node::resource("VMR_1_1", "VMR")).expect("an ASCII id");
    assert_eq!(m.node_count(), 2);
}
