//! Which space type each resource type lives in.

use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};

/// The resource-type -> space-type table of docs/osmosis.md ("Invariants").
///
/// A resource type that the table does not name lives in a space type of its own name:
/// that is the CellulOS convention (MO in MO, FILE in FILE), so only exceptions such as
/// `VMR` in `ADS` need entries. New types (declared in the IDL, or found by `osmosis
/// linux`) extend the table with [`TypeTable::insert`]; JSON models carry their table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeTable {
    space_of: BTreeMap<String, String>,
}

/// The built-in entries: the resource types CellulOS serves.
pub const BUILTIN_TYPES: &[(&str, &str)] = &[
    ("VMR", "ADS"),
    ("MO", "MO"),
    ("VCPU", "VCPU"),
    ("PCPU", "PCPU"),
    ("CPU", "CPU"),
    ("BLOCK", "BLOCK"),
    ("FILE", "FILE"),
];

impl Default for TypeTable {
    fn default() -> Self {
        let mut table = TypeTable::empty();
        for (resource, space) in BUILTIN_TYPES {
            table.insert(resource, space);
        }
        table
    }
}

impl TypeTable {
    /// A table with no entries: every type lives in a space of its own name.
    pub fn empty() -> Self {
        TypeTable { space_of: BTreeMap::new() }
    }

    /// Declares that resources of `resource_type` live in spaces of `space_type`.
    ///
    /// Only exceptions to the same-name rule are stored, so two tables that place every
    /// type alike compare equal, and a table survives formats that cannot carry it as
    /// long as it has no exceptions beyond the built-in ones.
    pub fn insert(&mut self, resource_type: &str, space_type: &str) {
        if resource_type == space_type {
            self.space_of.remove(resource_type);
        } else {
            self.space_of.insert(resource_type.to_string(), space_type.to_string());
        }
    }

    /// The space type that resources of `resource_type` live in.
    pub fn space_type_of<'a>(&'a self, resource_type: &'a str) -> &'a str {
        self.space_of.get(resource_type).map_or(resource_type, String::as_str)
    }

    /// Whether a request for `request_type` concerns spaces of `space_type`: the request
    /// names the space type itself (`ADS`) or a resource type living in it (`VMR`).
    pub fn request_concerns(&self, request_type: &str, space_type: &str) -> bool {
        request_type == space_type || self.space_type_of(request_type) == space_type
    }

    /// The exceptions to the same-name rule, resource type first, in name order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.space_of.iter().map(|(r, s)| (r.as_str(), s.as_str()))
    }
}
