//! Node attributes: small typed key/value data such as a region's address, kind and pages.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt;

/// An attribute value. Integers are unsigned 64-bit so that any address fits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// A number: address, page count, pid, inode ...
    Int(u64),
    /// Text: a region kind, a path ...
    Text(String),
}

impl Value {
    /// The number, if this is one.
    pub fn as_int(&self) -> Option<u64> {
        match self {
            Value::Int(v) => Some(*v),
            Value::Text(_) => None,
        }
    }

    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Int(_) => None,
            Value::Text(s) => Some(s),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

/// Attributes of one node, ordered by key so every export is deterministic.
pub type Attrs = BTreeMap<String, Value>;

/// Attribute keys are identifiers (`[A-Za-z_][A-Za-z0-9_]*`), so that they can become
/// JSON keys, Neo4j property names and Cypher map keys without quoting.
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
