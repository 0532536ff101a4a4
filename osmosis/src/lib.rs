//! The OSmosis model of isolation and sharing.
//!
//! A model is a graph of protection domains (PDs), resources and resource spaces joined by
//! `HOLD`, `MAP`, `REQUEST` and `SUBSET` edges ([`model`]). On it this crate checks the
//! model's invariants ([`check`]), answers the questions OSmosis asks (reach, RSI, TCB,
//! impact boundary, fault radius, cleanup plans and diffs: [`query`]) and, with the `std`
//! feature, reads and writes it in every format the project speaks ([`format`]).
//!
//! The core is `no_std` + `alloc`: the seL4 root task keeps its live model in these types
//! and executes cleanup plans computed by [`query::cleanup`], and streams it out in the
//! compact binary form of [`wire`].
//!
//! ```
//! use osmosis::query::{self, Failure, Policy};
//! use osmosis::{EdgeKind, Model, Node, Perms};
//!
//! // A ramdisk serving a BLOCK space, and a file system that holds one of its blocks.
//! let mut m = Model::new();
//! let ramdisk = m.add_node(Node::pd("PD_1", "ramdisk")).unwrap();
//! let fs = m.add_node(Node::pd("PD_2", "fs")).unwrap();
//! m.add_node(Node::space("BLOCK_SPACE_1", "BLOCK")).unwrap();
//! m.add_node(Node::resource("BLOCK_1_0", "BLOCK")).unwrap();
//! m.link(EdgeKind::Hold, "PD_1", "BLOCK_SPACE_1", Perms::READ | Perms::WRITE, "").unwrap();
//! m.link(EdgeKind::Subset, "BLOCK_1_0", "BLOCK_SPACE_1", Perms::NONE, "").unwrap();
//! m.link(EdgeKind::Hold, "PD_2", "BLOCK_1_0", Perms::READ, "").unwrap();
//! m.link(EdgeKind::Request, "PD_2", "PD_1", Perms::NONE, "BLOCK").unwrap();
//! assert!(osmosis::check(&m).is_empty());
//!
//! // The file system depends on the ramdisk; with direct PD deletion it dies with it.
//! assert_eq!(query::tcb(&m, fs), vec![ramdisk]);
//! let plan = query::plan_cleanup(&m, Failure::Pd(ramdisk), Policy::DIRECT_PD).unwrap();
//! assert_eq!(plan.terminate.iter().map(|t| t.pd).collect::<Vec<_>>(), vec![ramdisk, fs]);
//! ```
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod check;
#[cfg(feature = "std")]
pub mod format;
pub mod model;
pub mod query;
pub mod wire;

pub use check::{check, Violation, ViolationKind};
pub use model::{Edge, EdgeIdx, EdgeKind, Model, ModelError, Node, NodeIdx, NodeKind, Perms, Text, TypeTable, Value};
