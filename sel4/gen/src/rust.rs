//! Renders an [`Abi`] as the Rust source the `sel4` crate includes: syscall numbers,
//! invocation labels, object types and sizes, the numeric kernel configuration, capability
//! marker types, `UserContext`, and one method on `IpcBuffer` per invocation.

use std::fmt::Write;

use crate::interfaces::{kind, positions, Dir, Kind, Method, Param};
use crate::Abi;

/// CamelCase (with acronyms and digits) split into words: `X86IOPortOut8` -> X86 IO Port Out8.
pub fn words(name: &str) -> Vec<String> {
    let name = name.replace("CNode", "Cnode");
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        // `4K` stays one word; `X86IO` splits after the digits.
        let digits_only = !current.is_empty() && current.chars().all(|d| d.is_ascii_digit());
        let boundary = c.is_ascii_uppercase()
            && !digits_only
            && prev.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn upper(name: &str) -> String {
    words(name).iter().map(|w| w.to_ascii_uppercase()).collect::<Vec<_>>().join("_")
}

fn snake(name: &str) -> String {
    words(name).iter().map(|w| w.to_ascii_lowercase()).collect::<Vec<_>>().join("_")
}

/// The Rust marker type of a C capability type: `seL4_X86_PageTable` -> `PageTable`.
pub fn marker(c_type: &str) -> String {
    let stem = c_type.trim_start_matches("seL4_");
    let stem = stem.strip_prefix("X86_").or_else(|| stem.strip_prefix("X64_")).unwrap_or(stem);
    if stem == "CPtr" {
        return "Unspecified".into();
    }
    if stem == "CNode" {
        return "CNode".into();
    }
    words(stem)
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut c = lower.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn ident(name: &str) -> String {
    let name = snake(name);
    match name.as_str() {
        "type" | "ref" | "move" | "fn" | "in" | "loop" | "match" => format!("r#{name}"),
        _ => name,
    }
}

fn rust_type(p: &Param, ctx: u32) -> Option<String> {
    Some(match kind(&p.ty, ctx)? {
        Kind::Value(1) => "bool".into(),
        Kind::Value(8) => "u8".into(),
        Kind::Value(16) => "u16".into(),
        Kind::Value(32) if p.ty == "int" => "i32".into(),
        Kind::Value(32) => "u32".into(),
        Kind::Value(_) => "Word".into(),
        Kind::Bitfield if p.ty == "seL4_CapRights_t" => "CapRights".into(),
        Kind::Bitfield => "Word".into(),
        Kind::Cap => format!("Cap<{}>", marker(&p.ty)),
        Kind::Struct(_) if p.ty == "seL4_UserContext" => "UserContext".into(),
        Kind::Struct(_) => return None,
    })
}

fn size(p: &Param, ctx: u32) -> u32 {
    match kind(&p.ty, ctx) {
        Some(Kind::Value(b)) => b,
        Some(Kind::Struct(w)) => w * 64,
        _ => 64,
    }
}

/// One method on `IpcBuffer`, or `None` when a parameter type has no Rust form here.
fn method(iface: &str, m: &Method, ctx: u32) -> Option<String> {
    let ins: Vec<&Param> = m.params.iter().filter(|p| p.dir == Dir::In).collect();
    let outs: Vec<&Param> = m.params.iter().filter(|p| p.dir == Dir::Out).collect();
    let caps: Vec<&Param> = ins.iter().copied().filter(|p| kind(&p.ty, ctx) == Some(Kind::Cap)).collect();
    let data: Vec<&Param> = ins.iter().copied().filter(|p| kind(&p.ty, ctx) != Some(Kind::Cap)).collect();
    let mut args = vec![format!("service: Cap<{}>", marker(iface))];
    for p in &ins {
        let ty = rust_type(p, ctx)?;
        let ty = if kind(&p.ty, ctx).is_some_and(|k| matches!(k, Kind::Struct(_))) { format!("&{ty}") } else { ty };
        args.push(format!("{}: {ty}", ident(&p.name)));
    }
    let out_types: Vec<String> = outs.iter().map(|p| rust_type(p, ctx)).collect::<Option<_>>()?;
    let ret = match out_types.len() {
        0 => "()".to_string(),
        1 => out_types[0].clone(),
        _ => format!("({})", out_types.join(", ")),
    };
    let in_pos = positions(&data.iter().map(|p| size(p, ctx)).collect::<Vec<_>>());
    let in_words = in_pos.last().map_or(0, |(first, bits)| (first + bits).div_ceil(64));
    let mut b = String::new();
    let _ = writeln!(b, "    /// {} (`{}_{}`, label `{}`).", m.brief, iface, m.name, m.id);
    let _ = writeln!(b, "    #[allow(clippy::too_many_arguments, unused_mut, clippy::identity_op)]");
    let _ = writeln!(
        b,
        "    pub fn {}_{}(&mut self, {}) -> Result<{ret}, Error> {{",
        snake(&marker(iface)),
        snake(&m.name),
        args.join(", ")
    );
    let _ = writeln!(b, "        let mut words = [0 as Word; {in_words}];");
    for (p, (first, bits)) in data.iter().zip(&in_pos) {
        let name = ident(&p.name);
        let (word, shift) = (first / 64, first % 64);
        match kind(&p.ty, ctx) {
            Some(Kind::Struct(n)) => {
                let _ = writeln!(b, "        words[{word}..{}].copy_from_slice(&{name}.to_words());", word + n);
            }
            Some(Kind::Bitfield) if p.ty == "seL4_CapRights_t" => {
                let _ = writeln!(b, "        words[{word}] |= {name}.bits();");
            }
            _ if *bits == 64 => {
                let _ = writeln!(b, "        words[{word}] |= {name} as Word;");
            }
            _ => {
                let _ =
                    writeln!(b, "        words[{word}] |= (({name} as Word) & {:#x}) << {shift};", (1u64 << bits) - 1);
            }
        }
    }
    for (i, c) in caps.iter().enumerate() {
        let _ = writeln!(b, "        self.caps_or_badges[{i}] = {}.bits();", ident(&c.name));
    }
    let _ = writeln!(b, "        let info = MessageInfo::new(label::{}, 0, {}, {in_words});", upper(&m.id), caps.len());
    let mrs = if outs.is_empty() { "_" } else { "mrs" };
    let _ = writeln!(b, "        let (reply, {mrs}) = self.call(service.bits(), info, &words);");
    let _ = writeln!(b, "        Error::check(reply.label())?;");
    let out_pos = positions(&outs.iter().map(|p| size(p, ctx)).collect::<Vec<_>>());
    let mut values = Vec::new();
    for (p, (first, bits)) in outs.iter().zip(&out_pos) {
        let (word, shift) = (first / 64, first % 64);
        let get = format!("self.reply_word(&mrs, {word})");
        let v = match kind(&p.ty, ctx) {
            Some(Kind::Struct(n)) => {
                let _ = writeln!(b, "        let mut {}_words = [0 as Word; {n}];", ident(&p.name));
                let _ = writeln!(
                    b,
                    "        for (i, w) in {}_words.iter_mut().enumerate() {{ *w = self.reply_word(&mrs, {word} + i); }}",
                    ident(&p.name)
                );
                format!("UserContext::from_words(&{}_words)", ident(&p.name))
            }
            Some(Kind::Value(1)) => format!("(({get} >> {shift}) & 1) != 0"),
            Some(Kind::Value(64)) => get,
            Some(Kind::Value(bits)) => {
                let ty = rust_type(p, ctx)?;
                format!("(({get} >> {shift}) & {:#x}) as {ty}", (1u64 << bits) - 1)
            }
            _ => format!("{get} as Word"),
        };
        let _ = *bits;
        values.push(v);
    }
    let result = match values.len() {
        0 => "()".to_string(),
        1 => values.remove(0),
        _ => format!("({})", values.join(", ")),
    };
    let _ = writeln!(b, "        Ok({result})");
    let _ = writeln!(b, "    }}");
    Some(b)
}

/// The whole generated file.
pub fn render(abi: &Abi) -> String {
    let ctx = abi.user_context.len() as u32;
    let mut s = String::from("// Generated by sel4-gen from the kernel's XML interfaces and headers. Do not edit.\n\n");
    s += "/// Syscall numbers (`api/syscall.xml`).\npub mod syscall_id {\n";
    for (name, n) in &abi.syscalls {
        let _ = writeln!(s, "    /// `seL4_Sys{name}`.\n    pub const {}: isize = {n};", upper(name));
    }
    s += "}\n\n/// Invocation labels (the interface XML files, conditions evaluated).\npub mod label {\n    use crate::Word;\n";
    for (name, n) in &abi.labels {
        let _ = writeln!(s, "    /// `{name}`.\n    pub const {}: Word = {n};", upper(name));
    }
    s += "    /// How many labels this configuration has (the kernel's `nInvocationLabels` equivalent).\n";
    let _ = writeln!(s, "    pub const COUNT: Word = {};", abi.labels.len() + 1);
    s += "}\n\n/// Object types for `untyped_retype` (`objecttype.h`, conditions evaluated).\npub mod object_type {\n    use crate::Word;\n";
    for (name, n) in &abi.object_types {
        let stem = name.trim_start_matches("seL4_");
        let stem = stem.strip_suffix("Object").unwrap_or(stem);
        let _ = writeln!(s, "    /// `{name}`.\n    pub const {}: Word = {n};", upper(stem));
    }
    s += "}\n\n/// Object sizes as powers of two (`constants.h`).\npub mod size_bits {\n";
    for (name, n) in &abi.size_bits {
        let _ = writeln!(
            s,
            "    /// `seL4_{name}`.\n    pub const {}: u32 = {n};",
            upper(name.strip_suffix("Bits").unwrap_or(name))
        );
    }
    s += "}\n\n/// The numeric settings of the kernel configuration in use (`autoconf.h`).\npub mod config {\n";
    for (name, value) in &abi.config {
        let Some(stem) = name.strip_prefix("CONFIG_") else { continue };
        if let Ok(v) = value.parse::<u64>() {
            let _ = writeln!(s, "    /// `{name}`.\n    pub const {stem}: u64 = {v};");
        }
    }
    s += "    /// Every define of the configuration, for printing.\n    pub const DEFINES: &[(&str, &str)] = &[\n";
    for (name, value) in &abi.config {
        let _ = writeln!(s, "        ({name:?}, {value:?}),");
    }
    s += "    ];\n}\n\n";

    // Capability marker types.
    let mut markers: Vec<(String, String)> = Vec::new();
    let mut add = |c: &str| {
        let m = marker(c);
        if !markers.iter().any(|(n, _)| *n == m) {
            markers.push((m, c.to_string()));
        }
    };
    add("seL4_CPtr");
    for iface in &abi.interfaces {
        add(&iface.name);
        for m in &iface.methods {
            for p in &m.params {
                if kind(&p.ty, ctx) == Some(Kind::Cap) {
                    add(&p.ty);
                }
            }
        }
    }
    for (m, c) in &markers {
        let _ = writeln!(
            s,
            "/// Capability type `{c}`.\n#[derive(Clone, Copy, Debug, PartialEq, Eq)]\npub struct {m};\nimpl CapType for {m} {{\n    const NAME: &'static str = {c:?};\n}}\n"
        );
    }

    // UserContext.
    s += "/// A thread's registers (`seL4_UserContext`), in the kernel's order.\n#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]\npub struct UserContext {\n";
    for r in &abi.user_context {
        let _ = writeln!(s, "    /// `{r}`.\n    pub {r}: Word,");
    }
    let n = abi.user_context.len();
    s += "}\n\nimpl UserContext {\n    /// The number of registers.\n";
    let _ = writeln!(s, "    pub const WORDS: usize = {n};");
    let _ = writeln!(
        s,
        "    /// As message words.\n    pub fn to_words(&self) -> [Word; {n}] {{\n        [{}]\n    }}",
        abi.user_context.iter().map(|r| format!("self.{r}")).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        s,
        "    /// From message words.\n    pub fn from_words(w: &[Word; {n}]) -> Self {{\n        Self {{ {} }}\n    }}\n}}\n",
        abi.user_context.iter().enumerate().map(|(i, r)| format!("{r}: w[{i}]")).collect::<Vec<_>>().join(", ")
    );

    s += "impl IpcBuffer {\n";
    for iface in &abi.interfaces {
        for m in &iface.methods {
            if let Some(text) = method(&iface.name, m, ctx) {
                s += &text;
            }
        }
    }
    s += "}\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(upper("X86IOPortOut8"), "X86_IO_PORT_OUT8");
        assert_eq!(upper("TCBWriteRegisters"), "TCB_WRITE_REGISTERS");
        assert_eq!(upper("CNodeCopy"), "CNODE_COPY");
        assert_eq!(upper("X86_4K"), "X86_4K");
        assert_eq!(upper("X64_PML4"), "X64_PML4");
        assert_eq!(snake("SetIPCBuffer"), "set_ipc_buffer");
        assert_eq!(marker("seL4_X86_ASIDPool"), "AsidPool");
        assert_eq!(marker("seL4_CNode"), "CNode");
        assert_eq!(marker("seL4_TCB"), "Tcb");
        assert_eq!(marker("seL4_X64_PML4"), "Pml4");
        assert_eq!(marker("seL4_X86_IOPort"), "IoPort");
        assert_eq!(marker("seL4_CPtr"), "Unspecified");
    }
}
