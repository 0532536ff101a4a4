//! The questions OSmosis asks of a model, each defined exactly in its module.
//!
//! All are pure functions of the model and deterministic (sorted results), so the same
//! answer comes out on the host and inside the root task.

pub mod cleanup;
pub mod deps;
pub mod diff;
pub mod reach;
pub mod rsi;
pub mod stats;

pub use cleanup::{plan_cleanup, Cause, CleanupPlan, Depth, Failure, Policy};
pub use deps::{direct_dependencies, fault_radius, impact, tcb, DepReason, FaultRadius};
pub use diff::{diff, ModelDiff};
pub use reach::{reach, reach_of_type};
pub use rsi::{rsi, rsi_all, Rsi};
pub use stats::{stats, Stats};
