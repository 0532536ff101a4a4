//! CellulOS in Rust: an OS personality on seL4 that implements the OSmosis model.
//!
//! This facade re-exports the pieces users build on. Today that is the model library
//! ([`osmosis`]); the IDL compiler, runtime and seL4 crates join it as they land.
#![no_std]

pub use osmosis;
