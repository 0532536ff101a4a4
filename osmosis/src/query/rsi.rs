//! The resource similarity index (RSI) of two PDs.
//!
//! **Definition.** For a resource type `T`, let `R(P)` be the resources of type `T` in
//! [`reach(P)`](super::reach). Then `RSI_T(A, B) = w(R(A) ∩ R(B)) / w(R(A) ∪ R(B))`, where
//! `w(S)` sums a weight over `S`: a memory object (`MO`) weighs its `pages` attribute
//! (1 when it has none), every other resource weighs 1. When the union weighs 0 the RSI
//! is undefined (`None`): neither PD reaches anything of that type.
//!
//! So a thread and its process (one address space) have `RSI_VMR = 1`; two processes that
//! share no memory have `RSI_MO = 0`.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;

use super::reach::reach;
use crate::model::{Model, NodeIdx, NodeKind};

/// The RSI of one resource type.
#[derive(Clone, Debug, PartialEq)]
pub struct Rsi {
    /// The resource type.
    pub resource_type: String,
    /// Weight of what both reach.
    pub shared: u64,
    /// Weight of what either reaches.
    pub union: u64,
}

impl Rsi {
    /// `shared / union`, or `None` when the union weighs nothing.
    pub fn value(&self) -> Option<f64> {
        (self.union > 0).then(|| self.shared as f64 / self.union as f64)
    }
}

/// The weight of one resource in an RSI.
pub fn weight(model: &Model, n: NodeIdx) -> u64 {
    let node = model.node(n);
    if node.ty == "MO" {
        node.int("pages").unwrap_or(1)
    } else {
        1
    }
}

fn resources(model: &Model, pd: NodeIdx) -> Vec<NodeIdx> {
    reach(model, pd).into_iter().filter(|n| model.node(*n).kind == NodeKind::Resource).collect()
}

fn rsi_of(model: &Model, a: &[NodeIdx], b: &[NodeIdx], ty: &str) -> Rsi {
    let of_type =
        |s: &[NodeIdx]| -> BTreeSet<NodeIdx> { s.iter().copied().filter(|n| model.node(*n).ty == ty).collect() };
    let (a, b) = (of_type(a), of_type(b));
    let shared = a.intersection(&b).map(|n| weight(model, *n)).sum();
    let union = a.union(&b).map(|n| weight(model, *n)).sum();
    Rsi { resource_type: ty.into(), shared, union }
}

/// The RSI of `a` and `b` for resource type `ty`.
pub fn rsi(model: &Model, a: NodeIdx, b: NodeIdx, ty: &str) -> Rsi {
    rsi_of(model, &resources(model, a), &resources(model, b), ty)
}

/// The RSI of `a` and `b` for every resource type either reaches, in type order.
pub fn rsi_all(model: &Model, a: NodeIdx, b: NodeIdx) -> Vec<Rsi> {
    let (ra, rb) = (resources(model, a), resources(model, b));
    let types: BTreeSet<&str> = ra.iter().chain(&rb).map(|n| &*model.node(*n).ty).collect();
    types.into_iter().map(|ty| rsi_of(model, &ra, &rb, ty)).collect()
}
