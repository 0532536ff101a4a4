//! Numbers the kernel keeps in C headers rather than XML: object types (enums whose members
//! depend on `#ifdef CONFIG_...`), object sizes (`#define seL4_...Bits`), and the register
//! order of `seL4_UserContext`. Read with just enough of the preprocessor for these files.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{eval, read, Error};

/// Whether each line of `text` is compiled under `defines` (`#if`, `#ifdef`, `#ifndef`,
/// `#else`, `#endif`); directive lines themselves are reported as not compiled.
fn live_lines<'a>(text: &'a str, defines: &BTreeMap<String, String>, path: &Path) -> Result<Vec<&'a str>, Error> {
    let mut stack: Vec<(bool, bool)> = Vec::new(); // (this branch live, enclosing live)
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let live = stack.last().is_none_or(|(l, _)| *l);
        let directive = t.strip_prefix('#').map(str::trim_start);
        match directive.map(|d| d.split_once(char::is_whitespace).unwrap_or((d, ""))) {
            Some(("ifdef", name)) => stack.push((live && defines.contains_key(name.trim()), live)),
            Some(("ifndef", name)) => stack.push((live && !defines.contains_key(name.trim()), live)),
            Some(("if", cond)) => {
                let cond = cond.split("/*").next().unwrap_or("").trim();
                let value = eval(cond, defines).map_err(|e| Error::Condition(cond.into(), e))?;
                stack.push((live && value, live));
            }
            Some(("else", _)) => {
                let (l, outer) = stack.pop().ok_or_else(|| Error::Xml(path.into(), "#else without #if".into()))?;
                stack.push((outer && !l, outer));
            }
            Some(("endif", _)) => {
                stack.pop().ok_or_else(|| Error::Xml(path.into(), "#endif without #if".into()))?;
            }
            Some(_) => {}
            None if live => out.push(line),
            None => {}
        }
    }
    Ok(out)
}

/// Members of the object-type enums in order: the API file, then `sel4_arch`, then `arch`;
/// each `X = seL4_...Count` continues the count, `...Count` members are not types.
pub fn object_types(libsel4: &Path, defines: &BTreeMap<String, String>) -> Result<Vec<(String, u32)>, Error> {
    let mut out = Vec::new();
    let mut next = 0u32;
    for file in [
        "include/sel4/objecttype.h",
        "sel4_arch_include/x86_64/sel4/sel4_arch/objecttype.h",
        "arch_include/x86/sel4/arch/objecttype.h",
    ] {
        let path = libsel4.join(file);
        let text = read(&path)?;
        let mut inside = false;
        for line in live_lines(&text, defines, &path)? {
            let t = line.trim();
            if t.starts_with("typedef enum") {
                inside = true;
            } else if t.starts_with('}') {
                inside = false;
            } else if inside {
                let name = t.split(['=', ',']).next().unwrap_or("").trim();
                if name.is_empty() || !name.starts_with("seL4_") {
                    continue;
                }
                // `X = seL4_...Count` starts an enum where the previous one ended: a count
                // takes no number of its own.
                if !name.ends_with("Count") {
                    out.push((name.to_string(), next));
                    next += 1;
                }
            }
        }
    }
    Ok(out)
}

/// `#define seL4_<Name>Bits N` of the constants headers: object and page sizes.
pub fn size_bits(libsel4: &Path) -> Result<Vec<(String, u32)>, Error> {
    let mut out = Vec::new();
    for file in ["sel4_arch_include/x86_64/sel4/sel4_arch/constants.h", "include/sel4/constants.h"] {
        let path = libsel4.join(file);
        for line in read(&path)?.lines() {
            let mut words = line.split_whitespace();
            if words.next() != Some("#define") {
                continue;
            }
            let (Some(name), Some(value)) = (words.next(), words.next()) else { continue };
            if let (Some(stem), Ok(v)) = (name.strip_prefix("seL4_"), value.parse::<u32>()) {
                if stem.ends_with("Bits") {
                    out.push((stem.to_string(), v));
                }
            }
        }
    }
    Ok(out)
}

/// The register names of `seL4_UserContext`, in order (the layout of TCB register calls).
pub fn user_context(libsel4: &Path) -> Result<Vec<String>, Error> {
    let path = libsel4.join("sel4_arch_include/x86_64/sel4/sel4_arch/types.h");
    let text = read(&path)?;
    let body = text
        .split_once("typedef struct seL4_UserContext_")
        .and_then(|(_, rest)| rest.split_once('{'))
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(body, _)| body)
        .ok_or_else(|| Error::Xml(path.clone(), "no seL4_UserContext".into()))?;
    let mut names = Vec::new();
    for decl in body.split(';') {
        let decl = decl.trim();
        let Some(list) = decl.strip_prefix("seL4_Word") else { continue };
        names.extend(list.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()));
    }
    Ok(names)
}
