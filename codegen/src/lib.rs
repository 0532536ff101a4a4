//! The CellulOS IDL compiler: parse -> resolve -> check (-> generate, next).
//!
//! The language is documented in `idl/README.md`. Each stage collects every error it
//! finds (as serde_derive's `Ctxt` does) and reports them as [`Diagnostic`]s that name
//! `file:LINE:COL` with the offending line, so a bad `.idl` is never a panic and never
//! only its first mistake.

pub mod ast;
pub mod canonical;
pub mod check;
pub mod diag;
pub mod generate;
pub mod load;
pub mod parse;

pub use check::{Idl, Ty};
pub use diag::{Diagnostic, Diagnostics, Stage};
pub use load::{load, load_str};
