//! The OSmosis model of isolation and sharing.
//!
//! A model is a graph of protection domains (PDs), resources and resource spaces joined by
//! `HOLD`, `MAP`, `REQUEST` and `SUBSET` edges ([`model`]). On it this crate checks the
//! model's invariants ([`check`]), answers the questions OSmosis asks (reach, RSI, TCB,
//! impact boundary, fault radius, cleanup plans and diffs: [`query`]) and, with the `std`
//! feature, reads and writes it in every format the project speaks ([`format`]).
//!
//! The core is `no_std` + `alloc`: the seL4 root task keeps its live model in these types
//! and executes cleanup plans computed by [`query::cleanup`].
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod check;
#[cfg(feature = "std")]
pub mod format;
pub mod model;
pub mod query;

pub use check::{check, Violation, ViolationKind};
pub use model::{Edge, EdgeIdx, EdgeKind, Model, ModelError, Node, NodeIdx, NodeKind, Perms, TypeTable, Value};
