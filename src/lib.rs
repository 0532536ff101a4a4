//! CellulOS in Rust: an OS personality on seL4 that implements the OSmosis model.
//!
//! This facade re-exports the pieces users build on: the model library ([`osmosis`]) and
//! the runtime generated stubs run on ([`runtime`]); the IDL proc-macro and the seL4
//! crates join it as they land.
//!
//! ```
//! // The OSmosis model of the original CellulOS's KV-store test: 5 PDs, 2814 edges.
//! let model = cellulos::osmosis::format::read_path("osmosis/tests/data/GPIKV001.output".as_ref()).unwrap();
//! assert_eq!((model.node_count(), model.edge_count()), (1108, 2814));
//! ```
#![no_std]

pub use cellulos_runtime as runtime;
pub use osmosis;
