//! `osmosis linux`: the OSmosis model of the running Linux system, from `/proc`.

pub mod maps;
pub mod scan;
pub mod unix;
