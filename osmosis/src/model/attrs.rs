//! Node attributes: small typed key/value data such as a region's address, kind and pages.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// An attribute value. Integers are unsigned 64-bit so that any address fits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// A number: address, page count, pid, inode ...
    Int(u64),
    /// Text: a region kind, a path ... (borrowed when it is the program's own word).
    Text(Text),
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
            Value::Text(s) => Some(s.as_ref()),
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
        Value::Text(String::from(v).into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v.into())
    }
}

/// Attributes of one node: a small map ordered by key, so every export is deterministic.
///
/// A sorted vector rather than a `BTreeMap`: nodes carry a handful of attributes, and a
/// B-tree leaf costs some 600 bytes however few it holds, which dominated the memory of
/// a million-edge model. An empty map allocates nothing.
///
/// Keys are usually the program's own words (`addr`, `pages`): a borrowed key costs no
/// allocation, which the root task, naming nodes on every request it serves, notices.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Attrs {
    entries: Vec<(Key, Value)>,
}

/// Text that is usually the program's own word (borrowed: no allocation), sometimes read
/// from a file (owned): attribute keys, node types.
pub type Text = Cow<'static, str>;

/// An attribute key: the program's own word, or text read from a file.
pub type Key = Text;

type Entry<'a> = (&'a str, &'a Value);
/// The iterator over an [`Attrs`], in key order.
pub type Iter<'a> = core::iter::Map<core::slice::Iter<'a, (Key, Value)>, fn(&'a (Key, Value)) -> Entry<'a>>;

impl Attrs {
    /// No attributes.
    pub const fn new() -> Attrs {
        Attrs { entries: Vec::new() }
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    /// Sets `key`, returning its previous value.
    pub fn insert(&mut self, key: impl Into<Key>, value: Value) -> Option<Value> {
        let key = key.into();
        // Builders add attributes in key order: the new one goes last, found without a
        // search or a move.
        if self.entries.last().is_none_or(|(last, _)| last.as_ref() < key.as_ref()) {
            self.entries.push((key, value));
            return None;
        }
        match self.position(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.position(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// Key/value pairs, in key order.
    pub fn iter(&self) -> Iter<'_> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = Entry<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<(String, Value)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Attrs {
        let mut attrs = Attrs::new();
        for (k, v) in iter {
            attrs.insert(k, v);
        }
        attrs
    }
}

impl core::ops::Index<&str> for Attrs {
    type Output = Value;

    /// # Panics
    /// If the key is absent; use [`Attrs::get`] when it may be.
    fn index(&self, key: &str) -> &Value {
        self.get(key).expect("attribute present")
    }
}

/// Attribute keys are identifiers (`[A-Za-z_][A-Za-z0-9_]*`), so that they can become
/// JSON keys, Neo4j property names and Cypher map keys without quoting.
pub fn is_valid_key(key: &str) -> bool {
    // Bytes, not chars: an identifier is ASCII, and any byte of a longer UTF-8 character
    // is not.
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::format;
    use proptest::prelude::*;

    proptest! {
        /// Inserted in any order, with repeats: the same pairs, in key order, as a map
        /// that keeps the last value of each key.
        #[test]
        fn attrs_behave_as_an_ordered_map(ops in proptest::collection::vec((0u8..12, any::<u64>()), 0..40)) {
            let (mut attrs, mut map) = (Attrs::new(), BTreeMap::new());
            for (k, v) in ops {
                let key = format!("k{k:02}");
                prop_assert_eq!(attrs.insert(key.clone(), Value::Int(v)), map.insert(key, Value::Int(v)));
            }
            let got: Vec<(&str, &Value)> = attrs.iter().collect();
            let want: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
