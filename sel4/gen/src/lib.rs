//! The seL4 5.0 ABI numbers, generated from the kernel's own interface files (never
//! hand-copied): syscall numbers from `libsel4/include/api/syscall.xml`, invocation labels
//! from `libsel4/include/interfaces/sel4.xml` then the `sel4_arch` and `arch` files, each
//! `condition=` evaluated against the `autoconf.h` in use (labels shift with the config).
//! The numbering follows the kernel's generators (`tools/syscall_header_gen.py`,
//! `tools/invocation_header_gen.py`). Also the invocations' argument layout, object types,
//! object sizes and `seL4_UserContext` (see [`interfaces`], [`headers`]); [`rust::render`]
//! turns it all into the source the `sel4` crate's build script writes.

mod condition;
pub mod headers;
pub mod interfaces;
pub mod rust;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use condition::eval;

/// Why the ABI could not be generated.
#[derive(Debug)]
pub enum Error {
    /// A file could not be read.
    Io(PathBuf, std::io::Error),
    /// A file is not the XML it should be.
    Xml(PathBuf, String),
    /// A `condition=` could not be evaluated.
    Condition(String, String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(p, e) => write!(f, "{}: {e}", p.display()),
            Error::Xml(p, e) => write!(f, "{}: {e}", p.display()),
            Error::Condition(c, e) => write!(f, "condition {c:?}: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// `#define NAME VALUE` lines of an autoconf.h (a define without a value is `1`).
pub fn parse_autoconf(text: &str) -> BTreeMap<String, String> {
    let mut defines = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("#define") {
            if let Some(name) = words.next() {
                let value: Vec<&str> = words.collect();
                defines.insert(name.to_string(), if value.is_empty() { "1".into() } else { value.join(" ") });
            }
        }
    }
    defines
}

/// The ABI numbers of one kernel configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Abi {
    /// Syscall name (`Call`, `DebugPutChar`) -> number (-1, -9).
    pub syscalls: Vec<(String, i32)>,
    /// Invocation label name (`UntypedRetype`, `X86IOPortOut8`) -> label (1, 47).
    pub labels: Vec<(String, u32)>,
    /// The invocations with their parameters, by interface.
    pub interfaces: Vec<interfaces::Interface>,
    /// Object type name (`seL4_TCBObject`) -> number.
    pub object_types: Vec<(String, u32)>,
    /// `TCBBits` -> 11 and the like.
    pub size_bits: Vec<(String, u32)>,
    /// The registers of `seL4_UserContext` in order.
    pub user_context: Vec<String>,
    /// The configuration's defines.
    pub config: BTreeMap<String, String>,
}

impl Abi {
    /// The number of a syscall.
    pub fn syscall(&self, name: &str) -> Option<i32> {
        self.syscalls.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// The label of an invocation.
    pub fn label(&self, name: &str) -> Option<u32> {
        self.labels.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

pub(crate) fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Io(path.into(), e))
}

pub(crate) fn included(node: roxmltree::Node<'_, '_>, defines: &BTreeMap<String, String>) -> Result<bool, Error> {
    match node.attribute("condition") {
        None | Some("") => Ok(true),
        Some(c) => eval(c, defines).map_err(|e| Error::Condition(c.into(), e)),
    }
}

/// Syscalls in file order: API ones from -1 down, then debug ones continuing downwards.
pub fn syscalls(xml: &str, path: &Path, defines: &BTreeMap<String, String>) -> Result<Vec<(String, i32)>, Error> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| Error::Xml(path.into(), e.to_string()))?;
    let mut out = Vec::new();
    let mut next = -1;
    for section in ["api", "debug"] {
        for block in doc.descendants().filter(|n| n.has_tag_name(section)) {
            for config in block.children().filter(|n| n.has_tag_name("config")) {
                if !included(config, defines)? {
                    continue;
                }
                for call in config.children().filter(|n| n.has_tag_name("syscall")) {
                    let name = call
                        .attribute("name")
                        .ok_or_else(|| Error::Xml(path.into(), "a syscall without a name".into()))?;
                    out.push((name.to_string(), next));
                    next -= 1;
                }
            }
        }
    }
    Ok(out)
}

/// The ABI of the kernel tree `source` under the configuration `autoconf` (x86_64).
pub fn generate(source: &Path, autoconf: &Path) -> Result<Abi, Error> {
    let defines = parse_autoconf(&read(autoconf)?);
    let libsel4 = source.join("libsel4");
    let syscall_xml = libsel4.join("include/api/syscall.xml");
    let syscalls = syscalls(&read(&syscall_xml)?, &syscall_xml, &defines)?;
    // Generic labels start after InvalidInvocation (0); sel4_arch ones continue from there,
    // then arch ones (the order of the kernel's invocation headers).
    let mut all = Vec::new();
    let mut next = 1u32;
    for file in [
        "include/interfaces/sel4.xml",
        "sel4_arch_include/x86_64/interfaces/sel4arch.xml",
        "arch_include/x86/interfaces/sel4arch.xml",
    ] {
        let path = libsel4.join(file);
        all.extend(interfaces::parse(&read(&path)?, &path, &defines, &mut next)?);
    }
    let labels = all.iter().flat_map(|i| i.methods.iter().map(|m| (m.id.clone(), m.label))).collect();
    Ok(Abi {
        syscalls,
        labels,
        interfaces: all,
        object_types: headers::object_types(&libsel4, &defines)?,
        size_bits: headers::size_bits(&libsel4)?,
        user_context: headers::user_context(&libsel4)?,
        config: defines,
    })
}
