//! The kernel's invocations as the XML interface files declare them: interface, method,
//! label, and parameters with their direction and C type. The argument layout follows the
//! kernel's stub generator (`libsel4/tools/syscall_stub_gen.py`): the service cap and other
//! cap parameters travel as caps; every other input is packed in order, each aligned to its
//! own size or to a word (whichever is smaller), into message words.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{included, Error};

/// Whether a parameter goes to the kernel or comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// An argument.
    In,
    /// A result.
    Out,
}

/// What a C type of the interface files is on the wire (x86_64: 64-bit words).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A plain value of this many bits.
    Value(u32),
    /// A bitfield type the size of a word (`seL4_CapRights_t`, `seL4_CapData_t` ...).
    Bitfield,
    /// A capability: travels in the extra caps.
    Cap,
    /// A struct of this many words, passed by reference.
    Struct(u32),
}

/// The wire kind of a C type, or `None` for a type this generator does not know.
pub fn kind(ty: &str, user_context_words: u32) -> Option<Kind> {
    Some(match ty {
        "seL4_Bool" => Kind::Value(1),
        "seL4_Uint8" => Kind::Value(8),
        "seL4_Uint16" => Kind::Value(16),
        "seL4_Uint32" | "int" => Kind::Value(32),
        "seL4_Uint64" | "seL4_Word" | "long" | "seL4_X86_VMAttributes" => Kind::Value(64),
        "seL4_CapData_t" | "seL4_PrioProps_t" | "seL4_CapRights_t" => Kind::Bitfield,
        "seL4_UserContext" => Kind::Struct(user_context_words),
        "seL4_VCPUContext" => Kind::Struct(7),
        t if is_cap_type(t) => Kind::Cap,
        _ => return None,
    })
}

/// The capability types of the stub generator (x86_64).
fn is_cap_type(ty: &str) -> bool {
    matches!(
        ty,
        "seL4_CPtr"
            | "seL4_CNode"
            | "seL4_IRQHandler"
            | "seL4_IRQControl"
            | "seL4_TCB"
            | "seL4_Untyped"
            | "seL4_DomainSet"
            | "seL4_X86_IOPort"
            | "seL4_X86_ASIDControl"
            | "seL4_X86_ASIDPool"
            | "seL4_X86_IOSpace"
            | "seL4_X86_Page"
            | "seL4_X64_PML4"
            | "seL4_X86_PDPT"
            | "seL4_X86_PageDirectory"
            | "seL4_X86_PageTable"
            | "seL4_X86_IOPageTable"
            | "seL4_X86_VCPU"
            | "seL4_X86_EPTPML4"
            | "seL4_X86_EPTPDPT"
            | "seL4_X86_EPTPD"
            | "seL4_X86_EPTPT"
    )
}

/// One parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Its name in the XML.
    pub name: String,
    /// Its C type.
    pub ty: String,
    /// In or out.
    pub dir: Dir,
}

/// One invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Method {
    /// The label's name (`UntypedRetype`).
    pub id: String,
    /// The method's name within its interface (`Retype`).
    pub name: String,
    /// The message label.
    pub label: u32,
    /// The one-line description.
    pub brief: String,
    /// Parameters in XML order (the service cap is implicit).
    pub params: Vec<Param>,
}

/// One interface: the methods invoked on one kind of capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// The C name (`seL4_Untyped`), also the type of its service cap.
    pub name: String,
    /// Its methods whose conditions hold.
    pub methods: Vec<Method>,
}

/// Where one packed input sits: (first bit, bits).
pub fn positions(sizes: &[u32]) -> Vec<(u32, u32)> {
    let mut used = 0u32;
    let mut out = Vec::new();
    for &size in sizes {
        let align = size.min(64);
        used = used.div_ceil(align) * align;
        out.push((used, size));
        used += size;
    }
    out
}

/// The interfaces of one XML file, labels numbered from `next`.
pub fn parse(
    xml: &str,
    path: &Path,
    defines: &BTreeMap<String, String>,
    next: &mut u32,
) -> Result<Vec<Interface>, Error> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| Error::Xml(path.into(), e.to_string()))?;
    let attr = |n: roxmltree::Node<'_, '_>, a: &str| {
        n.attribute(a)
            .map(str::to_string)
            .ok_or_else(|| Error::Xml(path.into(), format!("a <{}> without {a}", n.tag_name().name())))
    };
    let mut out = Vec::new();
    for iface in doc.descendants().filter(|n| n.has_tag_name("interface")) {
        let mut methods = Vec::new();
        for method in iface.children().filter(|n| n.has_tag_name("method")) {
            if !included(method, defines)? {
                continue;
            }
            let mut params = Vec::new();
            for p in method.children().filter(|n| n.has_tag_name("param")) {
                let dir = match p.attribute("dir") {
                    Some("in") => Dir::In,
                    Some("out") => Dir::Out,
                    other => return Err(Error::Xml(path.into(), format!("param direction {other:?}"))),
                };
                params.push(Param { name: attr(p, "name")?, ty: attr(p, "type")?, dir });
            }
            let brief = method
                .children()
                .find(|n| n.has_tag_name("brief"))
                .map(|b| {
                    b.descendants()
                        .filter_map(|t| if t.is_text() { t.text() } else { t.attribute("text") })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            methods.push(Method {
                id: attr(method, "id")?,
                name: attr(method, "name")?,
                label: *next,
                brief: brief.split_whitespace().collect::<Vec<_>>().join(" "),
                params,
            });
            *next += 1;
        }
        out.push(Interface { name: attr(iface, "name")?, methods });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_follows_the_kernel_stub_generator() {
        // TCB_ReadRegisters: bool, u8, word -> bit 0, bits 8..16, word 1.
        assert_eq!(positions(&[1, 8, 64]), vec![(0, 1), (8, 8), (64, 64)]);
        // A struct of 19 words after a word starts on the next word.
        assert_eq!(positions(&[64, 19 * 64]), vec![(0, 64), (64, 1216)]);
        // u16 then u8 then u16: 0, 16, 32.
        assert_eq!(positions(&[16, 8, 16]), vec![(0, 16), (16, 8), (32, 16)]);
    }
}
