//! The CellulOS CSV `EXTRA` column: how node attributes travel in it.
//!
//! CellulOS writes a virtual region as `0x<vaddr>_<KIND>_<pages>_<size bits>`
//! (`0x2f400000_STACK_17_12`, where KIND may hold underscores: `ELF_CODE`) and a memory
//! object as `0x<paddr>_<pages>_<size bits>`. We read those into the attributes
//! `addr`/`kind`/`pages`/`size_bits` (VMR) and `paddr`/`pages`/`size_bits` (MO), and write
//! them back the same way. Any other attributes (or a name on a resource or space) go in
//! as a JSON object (`{"pid":42,"@name":"x"}`); an EXTRA that is neither is kept verbatim
//! as the text attribute `extra`. So the CSV carries every model losslessly.

use serde_json::{Map, Value as Json};

use crate::model::{Attrs, Node, Value};

const NAME_KEY: &str = "@name";

fn hex(s: &str) -> Option<u64> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

fn dec(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

/// Attributes from a CellulOS convention for resource type `ty`, if `extra` follows one.
fn conventional(ty: &str, extra: &str) -> Option<Attrs> {
    let parts: Vec<&str> = extra.split('_').collect();
    let mut attrs = Attrs::new();
    match (ty, parts.as_slice()) {
        ("VMR", [addr, kind @ .., pages, bits]) if !kind.is_empty() => {
            let kind = kind.join("_");
            if kind.is_empty() || kind.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                return None;
            }
            attrs.insert("addr", Value::Int(hex(addr)?));
            attrs.insert("kind", Value::Text(kind.into()));
            attrs.insert("pages", Value::Int(dec(pages)?));
            attrs.insert("size_bits", Value::Int(dec(bits)?));
        }
        ("MO", [paddr, pages, bits]) => {
            attrs.insert("paddr", Value::Int(hex(paddr)?));
            attrs.insert("pages", Value::Int(dec(pages)?));
            attrs.insert("size_bits", Value::Int(dec(bits)?));
        }
        _ => return None,
    }
    Some(attrs)
}

/// The attributes and (for resources and spaces) the name an EXTRA cell gives a node of
/// resource type `ty`, or a message saying why the cell is malformed.
pub fn parse(ty: &str, extra: &str) -> Result<(Attrs, Option<String>), String> {
    if extra.is_empty() {
        return Ok((Attrs::new(), None));
    }
    if extra.starts_with('{') {
        let map: Map<String, Json> =
            serde_json::from_str(extra).map_err(|e| format!("EXTRA is not a JSON object of attributes: {e}"))?;
        let mut attrs = Attrs::new();
        let mut name = None;
        for (key, value) in map {
            match (key.as_str(), value) {
                (NAME_KEY, Json::String(s)) => name = Some(s),
                (_, Json::String(s)) => {
                    attrs.insert(key, Value::Text(s.into()));
                }
                (_, Json::Number(n)) if n.is_u64() => {
                    attrs.insert(key, Value::Int(n.as_u64().unwrap_or(0)));
                }
                (_, other) => {
                    return Err(format!("EXTRA attribute {key:?} must be a string or an unsigned integer, not {other}"))
                }
            }
        }
        return Ok((attrs, name));
    }
    if let Some(attrs) = conventional(ty, extra) {
        return Ok((attrs, None));
    }
    let mut attrs = Attrs::new();
    attrs.insert("extra", Value::from(extra));
    Ok((attrs, None))
}

/// The EXTRA cell for a node: the CellulOS convention when the attributes are exactly
/// one, the raw text when the only attribute is an `extra` text that reads back as
/// itself, a JSON object otherwise.
pub fn format(node: &Node) -> String {
    let name = (node.kind != crate::model::NodeKind::Pd && !node.name.is_empty()).then_some(&node.name);
    if name.is_none() {
        if node.attrs.is_empty() {
            return String::new();
        }
        if let Some(text) = convention_text(node) {
            return text;
        }
        if let (1, Some(Value::Text(raw))) = (node.attrs.len(), node.attrs.get("extra")) {
            let (back, _) = parse(&node.ty, raw).unwrap_or_default();
            if back == node.attrs {
                return raw.clone().into_owned();
            }
        }
    }
    let mut map = Map::new();
    if let Some(name) = name {
        map.insert(NAME_KEY.into(), Json::String(name.clone()));
    }
    for (k, v) in &node.attrs {
        let v = match v {
            Value::Int(i) => Json::from(*i),
            Value::Text(s) => Json::String(s.clone().into_owned()),
        };
        map.insert(k.to_string(), v);
    }
    Json::Object(map).to_string()
}

fn convention_text(node: &Node) -> Option<String> {
    let a = &node.attrs;
    let text = match &*node.ty {
        "VMR" if a.len() == 4 => format!(
            "{:#x}_{}_{}_{}",
            a.get("addr")?.as_int()?,
            a.get("kind")?.as_text()?,
            a.get("pages")?.as_int()?,
            a.get("size_bits")?.as_int()?
        ),
        "MO" if a.len() == 3 => {
            format!("{:#x}_{}_{}", a.get("paddr")?.as_int()?, a.get("pages")?.as_int()?, a.get("size_bits")?.as_int()?)
        }
        _ => return None,
    };
    // Only when it reads back to the same attributes (a kind with odd characters does not).
    (conventional(&node.ty, &text).as_ref() == Some(a)).then_some(text)
}
