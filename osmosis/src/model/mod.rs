//! The model's vocabulary and its in-memory graph.

mod attrs;
mod edge;
mod error;
mod graph;
mod node;
mod perms;
mod types;

pub use attrs::{is_valid_key, Attrs, Text, Value};
pub use edge::{Edge, EdgeIdx, EdgeKind};
pub use error::ModelError;
pub use graph::Model;
pub use node::{Node, NodeIdx, NodeKind};
pub use perms::Perms;
pub use types::TypeTable;
