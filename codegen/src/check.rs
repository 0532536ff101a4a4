//! Stages 2 and 3: resolve names, then check types, model rules and seL4 limits.
//! Each stage reports every error it finds; the next stage runs only on a clean result.

use std::collections::HashMap;

use crate::ast::{self, Doc, End, File, Item, Name, Scalar, Target, TypeExpr};
use crate::canonical;
use crate::diag::{Diagnostic, Diagnostics, Pos, Sources, Stage};

/// The most capabilities one seL4 5.0 message carries.
pub const MAX_CAPS: usize = 3;
/// The most of them that may be capabilities to another server's objects (one receive slot).
pub const MAX_FOREIGN_CAPS: usize = 1;
/// The largest bound of `String<N>` / `Bytes<N>`.
pub const MAX_BOUND: u64 = 65535;
/// Method names the generated code uses itself.
pub const RESERVED_METHODS: [&str; 3] = ["export_model", "handshake", "space_deleted"];
/// Suffixes of the types generated per interface.
pub const GENERATED_SUFFIXES: [&str; 5] = ["Client", "Server", "Request", "Reply", "Error"];

/// What a capability names, resolved: a resource type, a space type, or a PD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Res {
    /// A resource type (index into [`Idl::resources`]).
    Resource(usize),
    /// A space type (index into [`Idl::spaces`]).
    Space(usize),
    /// A protection domain.
    Pd,
}

/// A resolved type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    /// A scalar.
    Scalar(Scalar),
    /// `String<N>`
    String(u32),
    /// `Bytes<N>`
    Bytes(u32),
    /// `Option<T>`
    Option(Box<Ty>),
    /// A struct (index into [`Idl::structs`]).
    Struct(usize),
    /// An enum (index into [`Idl::enums`]).
    Enum(usize),
    /// A borrowed resource or space: `&R`, `&space S`.
    Borrow(Res),
    /// A consumed resource, space or PD: `R`, `space S`, `pd`.
    Consume(Res),
    /// A new resource or space: `new R`, `new space S`.
    New(Res),
    /// A tuple (returns only).
    Tuple(Vec<Ty>),
}

impl Ty {
    /// The capability this type carries in a parameter, if any.
    pub fn capability(&self) -> Option<Res> {
        match self {
            Ty::Borrow(r) | Ty::Consume(r) => Some(*r),
            _ => None,
        }
    }
}

/// A declared space type.
#[derive(Clone, Debug)]
pub struct SpaceDef {
    /// Docs.
    pub doc: Doc,
    /// Name.
    pub name: String,
    /// The file declaring it.
    pub file: usize,
}

/// A declared resource type.
#[derive(Clone, Debug)]
pub struct ResourceDef {
    /// Docs.
    pub doc: Doc,
    /// Name.
    pub name: String,
    /// The space type it lives in.
    pub space: usize,
    /// The file declaring it.
    pub file: usize,
}

/// A declared struct.
#[derive(Clone, Debug)]
pub struct StructDef {
    /// Docs.
    pub doc: Doc,
    /// Name.
    pub name: String,
    /// Fields: docs, name, type.
    pub fields: Vec<(Doc, String, Ty)>,
    /// The file declaring it.
    pub file: usize,
}

/// A declared enum (fieldless; tags in order from 0).
#[derive(Clone, Debug)]
pub struct EnumDef {
    /// Docs.
    pub doc: Doc,
    /// Name.
    pub name: String,
    /// Variants: docs, name.
    pub variants: Vec<(Doc, String)>,
    /// The file declaring it.
    pub file: usize,
}

/// One end of a `maps` annotation, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapEnd {
    /// The parameter at this position.
    Param(usize),
    /// The returned new resource or space.
    Return,
}

/// A checked method.
#[derive(Clone, Debug)]
pub struct MethodDef {
    /// Docs.
    pub doc: Doc,
    /// Name.
    pub name: String,
    /// Wire id: 1, 2, 3 ... in declaration order.
    pub id: u32,
    /// Parameters: name, type.
    pub params: Vec<(String, Ty)>,
    /// Return type.
    pub ret: Option<Ty>,
    /// `maps` annotation.
    pub maps: Option<(MapEnd, MapEnd)>,
    /// `unmaps` annotation.
    pub unmaps: Option<MapEnd>,
}

/// A checked interface.
#[derive(Clone, Debug)]
pub struct InterfaceDef {
    /// Docs.
    pub doc: Doc,
    /// Name.
    pub name: String,
    /// The file declaring it.
    pub file: usize,
    /// Served resource types.
    pub serves: Vec<usize>,
    /// Whether it serves PDs (`serves pd`).
    pub serves_pd: bool,
    /// Methods, in order.
    pub methods: Vec<MethodDef>,
    /// Its own error names.
    pub errors: Vec<String>,
    /// The canonical signature ([`canonical`]).
    pub signature: String,
    /// FNV-1a-64 of the signature.
    pub id: u64,
}

impl InterfaceDef {
    /// The space types this interface serves: those of its served resource types.
    pub fn served_spaces<'a>(&'a self, idl: &'a Idl) -> impl Iterator<Item = usize> + 'a {
        self.serves.iter().map(|r| idl.resources[*r].space)
    }

    /// Whether it serves a resource or space type.
    pub fn serves_res(&self, idl: &Idl, res: Res) -> bool {
        match res {
            Res::Resource(r) => self.serves.contains(&r),
            Res::Space(s) => self.served_spaces(idl).any(|x| x == s),
            Res::Pd => self.serves_pd,
        }
    }
}

/// A checked set of IDL files (the first is the one loaded; the rest its imports).
#[derive(Clone, Debug)]
pub struct Idl {
    /// The files' names and texts.
    pub sources: Sources,
    /// Each file's `//!` documentation.
    pub docs: Vec<Doc>,
    /// Space types.
    pub spaces: Vec<SpaceDef>,
    /// Resource types.
    pub resources: Vec<ResourceDef>,
    /// Structs.
    pub structs: Vec<StructDef>,
    /// Enums.
    pub enums: Vec<EnumDef>,
    /// Interfaces.
    pub interfaces: Vec<InterfaceDef>,
}

/// What a name in the type name space is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decl {
    Resource(usize),
    Struct(usize),
    Enum(usize),
    Interface(usize),
}

struct Ctx {
    sources: Sources,
    errors: Vec<Diagnostic>,
}

impl Ctx {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        let d = self.sources.error(pos, message);
        self.errors.push(d);
    }

    fn at(&self, pos: Pos) -> String {
        let (file, _) = self.sources.files.get(pos.file).cloned().unwrap_or_default();
        format!("{file}:{}:{}", pos.line, pos.col)
    }

    /// Ends a stage: every error so far, sorted by position.
    fn finish(&mut self, stage: Stage) -> Result<(), Diagnostics> {
        if self.errors.is_empty() {
            return Ok(());
        }
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by(|a, b| (&a.file, a.line, a.col).cmp(&(&b.file, b.line, b.col)));
        Err(Diagnostics { stage, errors })
    }
}

/// Declared names, for resolution.
#[derive(Default)]
struct Names {
    spaces: HashMap<String, (usize, Pos)>,
    types: HashMap<String, (Decl, Pos)>,
}

/// Resolves and checks parsed files (index 0 is the file loaded).
pub fn check(sources: Sources, files: Vec<File>) -> Result<Idl, Diagnostics> {
    let mut cx = Ctx { sources, errors: Vec::new() };
    let mut names = Names::default();
    let mut idl = Idl {
        sources: Sources::default(),
        docs: files.iter().map(|f| f.doc.clone()).collect(),
        spaces: Vec::new(),
        resources: Vec::new(),
        structs: Vec::new(),
        enums: Vec::new(),
        interfaces: Vec::new(),
    };

    // Stage 2a: declare every name.
    let mut counts = [0usize; 4];
    for item in files.iter().flat_map(|f| &f.items) {
        let (decl_name, decl) = match item {
            Item::Space { name, .. } => {
                if let Some((_, first)) = names.spaces.get(&name.text) {
                    let first = cx.at(*first);
                    cx.error(name.pos, format!("space type `{}` is declared twice (first at {first})", name.text));
                } else {
                    names.spaces.insert(name.text.clone(), (names.spaces.len(), name.pos));
                }
                continue;
            }
            Item::Resource { name, .. } => (name, Decl::Resource(counts[0])),
            Item::Struct { name, .. } => (name, Decl::Struct(counts[1])),
            Item::Enum { name, .. } => (name, Decl::Enum(counts[2])),
            Item::Interface(i) => (&i.name, Decl::Interface(counts[3])),
            Item::Import { .. } => continue,
        };
        let slot = match decl {
            Decl::Resource(_) => 0,
            Decl::Struct(_) => 1,
            Decl::Enum(_) => 2,
            Decl::Interface(_) => 3,
        };
        counts[slot] += 1;
        if let Some((_, first)) = names.types.get(&decl_name.text) {
            let first = cx.at(*first);
            cx.error(decl_name.pos, format!("`{}` is declared twice (first at {first})", decl_name.text));
        } else {
            names.types.insert(decl_name.text.clone(), (decl, decl_name.pos));
        }
    }

    // Stage 2b: resolve every use.
    for (file_index, file) in files.iter().enumerate() {
        for item in &file.items {
            match item {
                Item::Space { doc, name } if names.spaces.get(&name.text).is_some_and(|(_, p)| *p == name.pos) => {
                    idl.spaces.push(SpaceDef { doc: doc.clone(), name: name.text.clone(), file: file_index });
                }
                Item::Resource { doc, name, space } => {
                    let space = match names.spaces.get(&space.text) {
                        Some((i, _)) => *i,
                        None => {
                            cx.error(space.pos, format!("unknown space type `{}`", space.text));
                            0
                        }
                    };
                    idl.resources.push(ResourceDef {
                        doc: doc.clone(),
                        name: name.text.clone(),
                        space,
                        file: file_index,
                    });
                }
                Item::Struct { doc, name, fields } => {
                    let mut seen: HashMap<&str, Pos> = HashMap::new();
                    let mut out = Vec::new();
                    for f in fields {
                        duplicate(&mut cx, &mut seen, &f.name, "field");
                        out.push((f.doc.clone(), f.name.text.clone(), resolve(&mut cx, &names, &f.ty)));
                    }
                    idl.structs.push(StructDef {
                        doc: doc.clone(),
                        name: name.text.clone(),
                        fields: out,
                        file: file_index,
                    });
                }
                Item::Enum { doc, name, variants } => {
                    let mut seen: HashMap<&str, Pos> = HashMap::new();
                    for (_, v) in variants {
                        duplicate(&mut cx, &mut seen, v, "variant");
                    }
                    if variants.is_empty() {
                        cx.error(name.pos, format!("enum `{}` has no variants", name.text));
                    }
                    let variants = variants.iter().map(|(d, v)| (d.clone(), v.text.clone())).collect();
                    idl.enums.push(EnumDef { doc: doc.clone(), name: name.text.clone(), variants, file: file_index });
                }
                Item::Interface(i) => {
                    let def = resolve_interface(&mut cx, &names, i, file_index);
                    idl.interfaces.push(def);
                }
                Item::Space { .. } | Item::Import { .. } => {}
            }
        }
    }
    cx.finish(Stage::Resolve)?;

    // Stage 3: model rules and limits.
    let positions = positions(&files);
    check_model(&mut cx, &idl, &positions);
    cx.finish(Stage::Model)?;
    for i in 0..idl.interfaces.len() {
        let signature = canonical::signature(&idl, &idl.interfaces[i]);
        idl.interfaces[i].id = canonical::fnv1a64(signature.as_bytes());
        idl.interfaces[i].signature = signature;
    }
    idl.sources = cx.sources;
    Ok(idl)
}

fn duplicate<'a>(cx: &mut Ctx, seen: &mut HashMap<&'a str, Pos>, name: &'a Name, what: &str) {
    if let Some(first) = seen.get(name.text.as_str()) {
        let first = cx.at(*first);
        cx.error(name.pos, format!("{what} `{}` is declared twice (first at {first})", name.text));
    } else {
        seen.insert(&name.text, name.pos);
    }
}

fn resolve(cx: &mut Ctx, names: &Names, t: &TypeExpr) -> Ty {
    match t {
        TypeExpr::Scalar(s, _) => Ty::Scalar(*s),
        TypeExpr::Bounded { bytes, max, pos } => {
            if *max == 0 || *max > MAX_BOUND {
                cx.error(*pos, format!("bound {max} is out of range (1 to {MAX_BOUND})"));
            }
            let max = u32::try_from(*max).unwrap_or(u32::MAX);
            if *bytes {
                Ty::Bytes(max)
            } else {
                Ty::String(max)
            }
        }
        TypeExpr::Option(inner, _) => Ty::Option(Box::new(resolve(cx, names, inner))),
        TypeExpr::Tuple(items, _) => Ty::Tuple(items.iter().map(|i| resolve(cx, names, i)).collect()),
        TypeExpr::Named(name) => match names.types.get(&name.text) {
            Some((Decl::Struct(i), _)) => Ty::Struct(*i),
            Some((Decl::Enum(i), _)) => Ty::Enum(*i),
            Some((Decl::Resource(i), _)) => Ty::Consume(Res::Resource(*i)),
            Some((Decl::Interface(_), _)) => {
                cx.error(name.pos, format!("`{}` is an interface, not a type", name.text));
                Ty::Scalar(Scalar::U8)
            }
            None => {
                let hint = if names.spaces.contains_key(&name.text) {
                    " (a space type: write `&space` or `new space`)"
                } else {
                    ""
                };
                cx.error(name.pos, format!("unknown type `{}`{hint}", name.text));
                Ty::Scalar(Scalar::U8)
            }
        },
        TypeExpr::Consume(t) => Ty::Consume(resolve_target(cx, names, t)),
        TypeExpr::Borrow(t) => Ty::Borrow(resolve_target(cx, names, t)),
        TypeExpr::New(t) => Ty::New(resolve_target(cx, names, t)),
    }
}

fn resolve_target(cx: &mut Ctx, names: &Names, target: &Target) -> Res {
    let name = match target {
        Target::Pd(_) => return Res::Pd,
        Target::Space(name) => {
            return match names.spaces.get(&name.text) {
                Some((i, _)) => Res::Space(*i),
                None => {
                    cx.error(name.pos, format!("unknown space type `{}`", name.text));
                    Res::Space(0)
                }
            }
        }
        Target::Resource(name) => name,
    };
    match names.types.get(&name.text) {
        Some((Decl::Resource(i), _)) => Res::Resource(*i),
        Some(_) => {
            cx.error(name.pos, format!("`{}` is not a resource type", name.text));
            Res::Resource(0)
        }
        None => {
            let hint = if names.spaces.contains_key(&name.text) {
                " (for the space type, write `space` before it)"
            } else {
                ""
            };
            cx.error(name.pos, format!("unknown resource type `{}`{hint}", name.text));
            Res::Resource(0)
        }
    }
}

fn resolve_interface(cx: &mut Ctx, names: &Names, i: &ast::Interface, file: usize) -> InterfaceDef {
    let mut serves = Vec::new();
    let mut serves_pd = false;
    for s in &i.serves {
        match s {
            Target::Pd(_) => serves_pd = true,
            Target::Resource(n) | Target::Space(n) => match names.types.get(&n.text) {
                Some((Decl::Resource(r), _)) if matches!(s, Target::Resource(_)) => serves.push(*r),
                _ => cx.error(
                    n.pos,
                    format!("`{}` is not a resource type: `serves` lists resource types and `pd`", n.text),
                ),
            },
        }
    }
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for e in &i.errors {
        duplicate(cx, &mut seen, e, "error");
    }
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    let mut methods = Vec::new();
    for (n, m) in i.methods.iter().enumerate() {
        duplicate(cx, &mut seen, &m.name, "method");
        let mut params_seen: HashMap<&str, Pos> = HashMap::new();
        let params: Vec<(String, Ty)> = m
            .params
            .iter()
            .map(|p| {
                duplicate(cx, &mut params_seen, &p.name, "parameter");
                (p.name.text.clone(), resolve(cx, names, &p.ty))
            })
            .collect();
        let ret = m.ret.as_ref().map(|r| resolve(cx, names, r));
        let end = |cx: &mut Ctx, e: &End| match e {
            End::Return(_) => MapEnd::Return,
            End::Param(name) => match m.params.iter().position(|p| p.name.text == name.text) {
                Some(i) => MapEnd::Param(i),
                None => {
                    cx.error(
                        name.pos,
                        format!("`maps` names `{}`, which is not a parameter of `{}`", name.text, m.name.text),
                    );
                    MapEnd::Return
                }
            },
        };
        let maps = m.maps.as_ref().map(|(a, b)| (end(cx, a), end(cx, b)));
        let unmaps = m.unmaps.as_ref().map(|a| end(cx, a));
        let id = u32::try_from(n + 1).unwrap_or(u32::MAX);
        methods.push(MethodDef { doc: m.doc.clone(), name: m.name.text.clone(), id, params, ret, maps, unmaps });
    }
    InterfaceDef {
        doc: i.doc.clone(),
        name: i.name.text.clone(),
        file,
        serves,
        serves_pd,
        methods,
        errors: i.errors.iter().map(|e| e.text.clone()).collect(),
        signature: String::new(),
        id: 0,
    }
}

/// Source positions the model stage reports at, by declaration order.
struct Positions {
    /// Every struct, enum and interface name.
    decls: Vec<(String, Pos)>,
    structs: Vec<(Pos, Vec<Pos>)>,
    /// Per interface: its name, its methods (name, params' type positions, return position, maps position).
    interfaces: Vec<(Pos, Vec<MethodPos>)>,
}

struct MethodPos {
    name: Pos,
    params: Vec<Pos>,
    ret: Option<Pos>,
    maps: Option<Pos>,
    unmaps: Option<Pos>,
}

fn positions(files: &[File]) -> Positions {
    let mut p = Positions { decls: Vec::new(), structs: Vec::new(), interfaces: Vec::new() };
    for item in files.iter().flat_map(|f| &f.items) {
        match item {
            Item::Struct { name, .. } | Item::Enum { name, .. } => p.decls.push((name.text.clone(), name.pos)),
            Item::Interface(i) => p.decls.push((i.name.text.clone(), i.name.pos)),
            _ => {}
        }
        match item {
            Item::Struct { name, fields, .. } => {
                p.structs.push((name.pos, fields.iter().map(|f| f.ty.pos()).collect()))
            }
            Item::Interface(i) => p.interfaces.push((
                i.name.pos,
                i.methods
                    .iter()
                    .map(|m| MethodPos {
                        name: m.name.pos,
                        params: m.params.iter().map(|x| x.ty.pos()).collect(),
                        ret: m.ret.as_ref().map(TypeExpr::pos),
                        maps: m.maps.as_ref().map(|(a, _)| end_pos(a)),
                        unmaps: m.unmaps.as_ref().map(end_pos),
                    })
                    .collect(),
            )),
            _ => {}
        }
    }
    p
}

fn end_pos(e: &End) -> Pos {
    match e {
        End::Param(n) => n.pos,
        End::Return(pos) => *pos,
    }
}

/// Where a value type may stand: nothing resource-like inside it.
fn check_value(cx: &mut Ctx, t: &Ty, pos: Pos, place: &str) {
    match t {
        Ty::Borrow(_) | Ty::Consume(_) | Ty::New(_) => {
            cx.error(pos, format!("a resource cannot be {place}: resources travel as parameters and returns"));
        }
        Ty::Option(inner) => check_value(cx, inner, pos, "inside Option"),
        Ty::Tuple(_) => cx.error(pos, format!("a tuple cannot be {place}: tuples are for returns")),
        _ => {}
    }
}

fn res_name(idl: &Idl, res: Res) -> String {
    canonical::res(idl, res)
}

fn check_model(cx: &mut Ctx, idl: &Idl, pos: &Positions) {
    for (s, def) in idl.structs.iter().enumerate() {
        for (f, (_, _, ty)) in def.fields.iter().enumerate() {
            check_value(cx, ty, pos.structs[s].1[f], "a struct field");
        }
        if contains_struct(idl, &Ty::Struct(s), s, &mut vec![false; idl.structs.len()]) {
            cx.error(pos.structs[s].0, format!("struct `{}` contains itself", def.name));
        }
    }
    let generated: Vec<(String, &str)> = idl
        .interfaces
        .iter()
        .flat_map(|i| {
            GENERATED_SUFFIXES.iter().map(move |suffix| (format!("{}{suffix}", camel(&i.name)), i.name.as_str()))
        })
        .collect();
    for (name, at) in &pos.decls {
        if let Some((_, iface)) = generated.iter().find(|(g, _)| g == name) {
            cx.error(*at, format!("`{name}` collides with a type generated for interface `{iface}`"));
        }
    }
    for (i, iface) in idl.interfaces.iter().enumerate() {
        let (iface_pos, method_pos) = &pos.interfaces[i];
        if iface.methods.is_empty() {
            cx.error(*iface_pos, format!("interface `{}` has no methods", iface.name));
        }
        for (m, method) in iface.methods.iter().enumerate() {
            check_method(cx, idl, iface, method, &method_pos[m]);
        }
    }
}

fn check_method(cx: &mut Ctx, idl: &Idl, iface: &InterfaceDef, method: &MethodDef, at: &MethodPos) {
    if RESERVED_METHODS.contains(&method.name.as_str()) {
        cx.error(at.name, format!("`{}` is reserved for the generated code", method.name));
    }
    for (p, (name, _)) in method.params.iter().enumerate() {
        if name.starts_with("__") {
            cx.error(at.params[p], format!("`{name}`: names starting with `__` are reserved for the generated code"));
        }
    }
    let mut caps = 0;
    let mut foreign = 0;
    for (p, (_, ty)) in method.params.iter().enumerate() {
        match ty {
            Ty::New(_) => {
                cx.error(at.params[p], "`new` is only for returns: a parameter borrows (`&R`) or consumes (`R`)")
            }
            Ty::Tuple(_) => cx.error(at.params[p], "a tuple cannot be a parameter: tuples are for returns"),
            Ty::Option(inner) => check_value(cx, inner, at.params[p], "inside Option"),
            _ => {}
        }
        if let Some(res) = ty.capability() {
            caps += 1;
            if !iface.serves_res(idl, res) {
                foreign += 1;
            }
        }
    }
    if caps > MAX_CAPS {
        cx.error(
            at.name,
            format!("`{}` takes {caps} capability parameters; an seL4 message carries at most {MAX_CAPS}", method.name),
        );
    }
    if foreign > MAX_FOREIGN_CAPS {
        cx.error(
            at.name,
            format!(
                "`{}` takes {foreign} capabilities to objects `{}` does not serve; at most {MAX_FOREIGN_CAPS} can arrive \
                 (one receive slot)",
                method.name, iface.name
            ),
        );
    }
    let mut news = Vec::new();
    if let (Some(ret), Some(ret_pos)) = (&method.ret, at.ret) {
        let items: Vec<&Ty> = match ret {
            Ty::Tuple(items) => items.iter().collect(),
            t => vec![t],
        };
        for t in items {
            match t {
                Ty::New(res) => {
                    news.push(*res);
                    if !iface.serves_res(idl, *res) {
                        cx.error(
                            ret_pos,
                            format!(
                                "`{}` returns a new {}, which `{}` does not serve (a server creates only what it serves)",
                                method.name,
                                res_name(idl, *res),
                                iface.name
                            ),
                        );
                    }
                }
                Ty::Borrow(_) | Ty::Consume(_) => {
                    cx.error(ret_pos, "a method returns only values and `new` resources (`new R`, `new space S`)")
                }
                Ty::Tuple(_) => cx.error(ret_pos, "tuples do not nest"),
                other => check_value(cx, other, ret_pos, "inside Option"),
            }
        }
        if news.len() > 1 {
            cx.error(ret_pos, "a method returns at most one `new` resource or space");
        }
    }
    let end = |e: MapEnd| -> Option<Res> {
        match e {
            MapEnd::Return => news.first().copied(),
            MapEnd::Param(p) => match &method.params[p].1 {
                Ty::Borrow(r) => Some(*r),
                _ => None,
            },
        }
    };
    if let (Some((a, b)), Some(maps_pos)) = (method.maps, at.maps) {
        match (end(a), end(b)) {
            (Some(Res::Resource(_)), Some(Res::Resource(_))) | (Some(Res::Space(_)), Some(Res::Space(_))) => {}
            (Some(_), Some(_)) => cx.error(maps_pos, "`maps` joins two resources or two spaces"),
            _ => cx.error(
                maps_pos,
                "`maps` ends must be borrowed resources or spaces (`&R`, `&space S`) or a returned `new` one",
            ),
        }
    }
    if let (Some(a), Some(unmaps_pos)) = (method.unmaps, at.unmaps) {
        if !matches!(end(a), Some(Res::Resource(_) | Res::Space(_))) || a == MapEnd::Return {
            cx.error(unmaps_pos, "`unmaps` names a borrowed resource or space (`&R`, `&space S`)");
        }
    }
}

fn contains_struct(idl: &Idl, t: &Ty, target: usize, visiting: &mut Vec<bool>) -> bool {
    match t {
        Ty::Option(inner) => contains_struct(idl, inner, target, visiting),
        Ty::Tuple(items) => items.iter().any(|i| contains_struct(idl, i, target, visiting)),
        Ty::Struct(s) => {
            if visiting[*s] {
                return *s == target;
            }
            visiting[*s] = true;
            let found = idl.structs[*s].fields.iter().any(|(_, _, f)| {
                matches!(f, Ty::Struct(x) if *x == target) || contains_struct(idl, f, target, visiting)
            });
            visiting[*s] = false;
            found
        }
        _ => false,
    }
}

/// `memory` -> `Memory`, `resource_space` -> `ResourceSpace`: the prefix of generated types.
pub fn camel(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}
