//! The syntax tree of one `.idl` file, every name with its position.

use crate::diag::Pos;

/// A name and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The identifier.
    pub text: String,
    /// Where it is.
    pub pos: Pos,
}

/// Documentation lines (from `///` or `//!`).
pub type Doc = Vec<String>;

/// One parsed file.
#[derive(Clone, Debug, Default)]
pub struct File {
    /// `//!` documentation.
    pub doc: Doc,
    /// The items, in order.
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Clone, Debug)]
pub enum Item {
    /// `import "x.idl";`
    Import {
        /// The path as written.
        path: String,
        /// Where it is.
        pos: Pos,
    },
    /// `space NAME;`
    Space {
        /// Docs.
        doc: Doc,
        /// The space type.
        name: Name,
    },
    /// `resource NAME in SPACE;`
    Resource {
        /// Docs.
        doc: Doc,
        /// The resource type.
        name: Name,
        /// The space type it lives in.
        space: Name,
    },
    /// `struct NAME { fields }`
    Struct {
        /// Docs.
        doc: Doc,
        /// The struct.
        name: Name,
        /// Its fields.
        fields: Vec<Field>,
    },
    /// `enum NAME { variants }`
    Enum {
        /// Docs.
        doc: Doc,
        /// The enum.
        name: Name,
        /// Its variants with their docs.
        variants: Vec<(Doc, Name)>,
    },
    /// `interface NAME serves R, ... { methods errors }`
    Interface(Interface),
}

/// A struct field.
#[derive(Clone, Debug)]
pub struct Field {
    /// Docs.
    pub doc: Doc,
    /// The field.
    pub name: Name,
    /// Its type.
    pub ty: TypeExpr,
}

/// An interface declaration.
#[derive(Clone, Debug)]
pub struct Interface {
    /// Docs.
    pub doc: Doc,
    /// The interface.
    pub name: Name,
    /// The resource types (and `pd`) it serves.
    pub serves: Vec<Target>,
    /// Its methods, in order.
    pub methods: Vec<Method>,
    /// Its own error names.
    pub errors: Vec<Name>,
}

/// A method.
#[derive(Clone, Debug)]
pub struct Method {
    /// Docs.
    pub doc: Doc,
    /// The method.
    pub name: Name,
    /// Its parameters.
    pub params: Vec<Param>,
    /// Its return type, if any.
    pub ret: Option<TypeExpr>,
    /// `maps A => B`, if declared.
    pub maps: Option<(End, End)>,
    /// `unmaps A`, if declared: the MAP edges leaving A end.
    pub unmaps: Option<End>,
}

/// A parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// The parameter.
    pub name: Name,
    /// Its type.
    pub ty: TypeExpr,
}

/// One end of a `maps` annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// A parameter, by name.
    Param(Name),
    /// The method's returned (new) resource or space.
    Return(Pos),
}

/// What a capability type names: a resource type, a space type, or a PD (`pd`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A resource type by name.
    Resource(Name),
    /// A space type by name (written `space S`).
    Space(Name),
    /// A protection domain (written `pd`).
    Pd(Pos),
}

impl Target {
    /// Where it is written.
    pub fn pos(&self) -> Pos {
        match self {
            Target::Resource(n) | Target::Space(n) => n.pos,
            Target::Pd(pos) => *pos,
        }
    }
}

/// Fixed-size scalar types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `bool`
    Bool,
}

impl Scalar {
    /// Every scalar with its IDL name.
    pub const ALL: [(&'static str, Scalar); 9] = [
        ("u8", Scalar::U8),
        ("u16", Scalar::U16),
        ("u32", Scalar::U32),
        ("u64", Scalar::U64),
        ("i8", Scalar::I8),
        ("i16", Scalar::I16),
        ("i32", Scalar::I32),
        ("i64", Scalar::I64),
        ("bool", Scalar::Bool),
    ];

    /// The IDL (and Rust) name.
    pub fn name(self) -> &'static str {
        Scalar::ALL.iter().find(|(_, s)| *s == self).map_or("?", |(n, _)| n)
    }

    /// Size on the wire, in bytes.
    pub fn size(self) -> usize {
        match self {
            Scalar::U8 | Scalar::I8 | Scalar::Bool => 1,
            Scalar::U16 | Scalar::I16 => 2,
            Scalar::U32 | Scalar::I32 => 4,
            Scalar::U64 | Scalar::I64 => 8,
        }
    }
}

/// A type as written, before names are resolved.
#[derive(Clone, Debug)]
pub enum TypeExpr {
    /// `u32`, `bool` ...
    Scalar(Scalar, Pos),
    /// `String<N>` (`bytes == false`) or `Bytes<N>`.
    Bounded {
        /// Whether it is `Bytes`.
        bytes: bool,
        /// The bound N.
        max: u64,
        /// Where it is.
        pos: Pos,
    },
    /// `Option<T>`
    Option(Box<TypeExpr>, Pos),
    /// A struct, enum or resource (consumed, in a parameter) by name.
    Named(Name),
    /// `space S` or `pd` (consumed, in a parameter).
    Consume(Target),
    /// `&R`, `&space S`, `&pd`.
    Borrow(Target),
    /// `new R`, `new space S`, `new pd`.
    New(Target),
    /// `(A, B, ...)`
    Tuple(Vec<TypeExpr>, Pos),
}

impl TypeExpr {
    /// Where the type starts.
    pub fn pos(&self) -> Pos {
        match self {
            TypeExpr::Scalar(_, pos)
            | TypeExpr::Bounded { pos, .. }
            | TypeExpr::Option(_, pos)
            | TypeExpr::Tuple(_, pos) => *pos,
            TypeExpr::Named(name) => name.pos,
            TypeExpr::Consume(t) | TypeExpr::Borrow(t) | TypeExpr::New(t) => t.pos(),
        }
    }
}
