//! Helpers shared by the integration tests (each test file includes this module).
#![allow(dead_code)]

use std::path::PathBuf;

use osmosis::{Model, NodeIdx};

/// The real model extracted from the original CellulOS (SQLite KV store test GPIKV001).
pub fn gpikv_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/GPIKV001.output")
}

/// GPIKV001 read through the CellulOS CSV reader.
pub fn gpikv() -> Model {
    osmosis::format::read_path(&gpikv_path()).expect("GPIKV001.output reads")
}

/// The index of a node that must exist.
pub fn idx(model: &Model, id: &str) -> NodeIdx {
    model.find(id).unwrap_or_else(|| panic!("no node {id}"))
}

/// The ids of nodes, in the order given.
pub fn ids(model: &Model, nodes: &[NodeIdx]) -> Vec<String> {
    nodes.iter().map(|n| model.node(*n).id.clone()).collect()
}
