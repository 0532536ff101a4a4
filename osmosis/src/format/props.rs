//! Property values for graph databases, whose integers are signed 64-bit.

use crate::model::Value;

/// A property value as a graph database stores it.
pub enum Prop<'a> {
    /// Fits a signed 64-bit integer.
    Int(i64),
    /// Text, or an integer too large for i64 written as `0x` hex text.
    Text(std::borrow::Cow<'a, str>),
}

/// The database form of an attribute value.
pub fn prop(v: &Value) -> Prop<'_> {
    match v {
        Value::Int(i) => match i64::try_from(*i) {
            Ok(i) => Prop::Int(i),
            Err(_) => Prop::Text(format!("{i:#x}").into()),
        },
        Value::Text(s) => Prop::Text(s.as_ref().into()),
    }
}
