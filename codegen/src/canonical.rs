//! Interface ids: FNV-1a-64 over a canonical signature (format in `idl/README.md`).
//!
//! Never `std`'s hasher: its algorithm may change between releases, and the id must not.

use crate::check::{Idl, InterfaceDef, MapEnd, Res, Ty};

/// FNV-1a-64 offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a-64 prime.
pub const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a-64 of `bytes`.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = FNV_OFFSET;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(FNV_PRIME);
        i += 1;
    }
    hash
}

/// A capability target as written: `VMR`, `space ADS`, `pd`.
pub fn res(idl: &Idl, r: Res) -> String {
    match r {
        Res::Resource(i) => idl.resources[i].name.clone(),
        Res::Space(i) => format!("space {}", idl.spaces[i].name),
        Res::Pd => "pd".to_string(),
    }
}

/// The canonical form of a type: structs and enums spelled out, so that a change to
/// their shape changes the id of every interface that uses them.
pub fn ty(idl: &Idl, t: &Ty) -> String {
    match t {
        Ty::Scalar(s) => s.name().to_string(),
        Ty::String(n) => format!("String<{n}>"),
        Ty::Bytes(n) => format!("Bytes<{n}>"),
        Ty::Option(inner) => format!("Option<{}>", ty(idl, inner)),
        Ty::Struct(i) => {
            let s = &idl.structs[*i];
            let fields: Vec<String> = s.fields.iter().map(|(_, n, t)| format!("{n}:{}", ty(idl, t))).collect();
            format!("{}{{{}}}", s.name, fields.join(","))
        }
        Ty::Enum(i) => {
            let e = &idl.enums[*i];
            let variants: Vec<&str> = e.variants.iter().map(|(_, v)| v.as_str()).collect();
            format!("{}{{{}}}", e.name, variants.join(","))
        }
        Ty::Borrow(r) => format!("&{}", res(idl, *r)),
        Ty::Consume(r) => res(idl, *r),
        Ty::New(r) => format!("new {}", res(idl, *r)),
        Ty::Tuple(items) => format!("({})", items.iter().map(|t| ty(idl, t)).collect::<Vec<_>>().join(",")),
    }
}

/// The canonical signature of an interface.
pub fn signature(idl: &Idl, iface: &InterfaceDef) -> String {
    let mut out = format!("interface {}{{", iface.name);
    for m in &iface.methods {
        let params: Vec<String> = m.params.iter().map(|(_, t)| ty(idl, t)).collect();
        out.push_str(&format!("fn {}({})", m.name, params.join(",")));
        if let Some(ret) = &m.ret {
            out.push_str(&format!("->{}", ty(idl, ret)));
        }
        let end = |e: MapEnd| match e {
            MapEnd::Param(p) => p.to_string(),
            MapEnd::Return => "return".to_string(),
        };
        if let Some((a, b)) = m.maps {
            out.push_str(&format!(" maps {}=>{}", end(a), end(b)));
        }
        if let Some(a) = m.unmaps {
            out.push_str(&format!(" unmaps {}", end(a)));
        }
        out.push(';');
    }
    out.push_str(&format!("}}errors{{{}}}", iface.errors.join(",")));
    out
}
