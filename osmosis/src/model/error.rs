//! Errors from building a model.

use alloc::string::String;
use core::fmt;

/// Why a node or edge could not be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// Another node already has this id.
    DuplicateId(String),
    /// An edge names a node that is not in the model.
    UnknownNode(String),
    /// An attribute key is not an identifier.
    BadAttrKey(String),
    /// A node id is empty or has a control character.
    BadId(String),
    /// A PD has a type, or a resource or space has none.
    BadType(String),
    /// The model already holds 2^32 nodes or edges.
    TooLarge,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::DuplicateId(id) => write!(f, "duplicate node id {id:?}"),
            ModelError::UnknownNode(id) => write!(f, "edge names unknown node {id:?}"),
            ModelError::BadAttrKey(k) => {
                write!(f, "attribute key {k:?} is not an identifier ([A-Za-z_][A-Za-z0-9_]*)")
            }
            ModelError::BadId(id) => {
                write!(f, "node id {id:?} is empty or contains a control character")
            }
            ModelError::BadType(msg) => f.write_str(msg),
            ModelError::TooLarge => f.write_str("the model already holds 2^32 nodes or edges"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ModelError {}
