//! Stage 1: syntax. Parses one `.idl` text into an [`ast::File`] with `syn`, over tokens
//! lexed by `proc_macro2` itself, so every span knows its line and column in the file
//! (inside the proc-macro the caller forces proc_macro2's fallback lexer for this).

use std::str::FromStr;

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{braced, parenthesized, Attribute, Expr, ExprLit, Ident, Lit, LitInt, LitStr, Meta, Token};

use crate::ast::{Doc, End, Field, File, Interface, Item, Method, Name, Param, Scalar, Target, TypeExpr};
use crate::diag::Pos;

mod kw {
    syn::custom_keyword!(import);
    syn::custom_keyword!(space);
    syn::custom_keyword!(resource);
    syn::custom_keyword!(interface);
    syn::custom_keyword!(serves);
    syn::custom_keyword!(maps);
    syn::custom_keyword!(errors);
    syn::custom_keyword!(new);
    syn::custom_keyword!(unmaps);
    syn::custom_keyword!(pd);
}

/// `item, item, ...` with an optional trailing comma, up to the end of `input`.
fn comma_list<T>(input: ParseStream, mut item: impl FnMut(ParseStream) -> syn::Result<T>) -> syn::Result<Vec<T>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        items.push(item(input)?);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(items)
}

fn pos(file: usize, span: Span) -> Pos {
    let start = span.start();
    Pos { file, line: start.line, col: start.column + 1 }
}

fn name(input: ParseStream, file: usize) -> syn::Result<Name> {
    let ident: Ident = input.parse()?;
    Ok(Name { text: ident.to_string(), pos: pos(file, ident.span()) })
}

/// The documentation lines of `///` / `//!` attributes; any other attribute is an error.
fn docs(attrs: Vec<Attribute>) -> syn::Result<Doc> {
    let mut doc = Vec::new();
    for attr in attrs {
        match &attr.meta {
            Meta::NameValue(nv) if attr.path().is_ident("doc") => match &nv.value {
                Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) => {
                    let line = s.value();
                    doc.push(line.strip_prefix(' ').unwrap_or(&line).to_string());
                }
                _ => return Err(syn::Error::new_spanned(&attr, "documentation must be a string")),
            },
            _ => {
                return Err(syn::Error::new_spanned(
                    &attr,
                    "attributes are not part of the IDL (only `///` and `//!` documentation)",
                ))
            }
        }
    }
    Ok(doc)
}

/// What a capability names: `pd`, `space S`, or a resource type `R`.
fn target(input: ParseStream, file: usize) -> syn::Result<Target> {
    if input.peek(kw::pd) {
        let kw: kw::pd = input.parse()?;
        return Ok(Target::Pd(pos(file, kw.span)));
    }
    if input.peek(kw::space) {
        input.parse::<kw::space>()?;
        return Ok(Target::Space(name(input, file)?));
    }
    Ok(Target::Resource(name(input, file)?))
}

/// Parses a type (which types may stand where is checked in stage 3).
fn ty(input: ParseStream, file: usize) -> syn::Result<TypeExpr> {
    if input.peek(Token![&]) {
        input.parse::<Token![&]>()?;
        return Ok(TypeExpr::Borrow(target(input, file)?));
    }
    if input.peek(kw::new) {
        input.parse::<kw::new>()?;
        return Ok(TypeExpr::New(target(input, file)?));
    }
    if input.peek(kw::space) || input.peek(kw::pd) {
        return Ok(TypeExpr::Consume(target(input, file)?));
    }
    if input.peek(syn::token::Paren) {
        let content;
        let paren = parenthesized!(content in input);
        let items = comma_list(&content, |s| ty(s, file))?;
        return Ok(TypeExpr::Tuple(items, pos(file, paren.span.open())));
    }
    let ident: Ident = input.parse()?;
    let at = pos(file, ident.span());
    let text = ident.to_string();
    if let Some((_, scalar)) = Scalar::ALL.iter().find(|(n, _)| *n == text) {
        return Ok(TypeExpr::Scalar(*scalar, at));
    }
    match text.as_str() {
        "String" | "Bytes" => {
            input.parse::<Token![<]>()?;
            let max: LitInt = input.parse()?;
            input.parse::<Token![>]>()?;
            let max = max.base10_parse::<u64>()?;
            Ok(TypeExpr::Bounded { bytes: text == "Bytes", max, pos: at })
        }
        "Option" => {
            input.parse::<Token![<]>()?;
            let inner = ty(input, file)?;
            input.parse::<Token![>]>()?;
            Ok(TypeExpr::Option(Box::new(inner), at))
        }
        _ => Ok(TypeExpr::Named(Name { text, pos: at })),
    }
}

fn end(input: ParseStream, file: usize) -> syn::Result<End> {
    if input.peek(Token![return]) {
        let r: Token![return] = input.parse()?;
        return Ok(End::Return(pos(file, r.span)));
    }
    Ok(End::Param(name(input, file)?))
}

fn method(input: ParseStream, file: usize, doc: Doc) -> syn::Result<Method> {
    input.parse::<Token![fn]>()?;
    let method_name = name(input, file)?;
    let content;
    parenthesized!(content in input);
    let params = comma_list(&content, |s| {
        let param_name = name(s, file)?;
        s.parse::<Token![:]>()?;
        Ok(Param { name: param_name, ty: ty(s, file)? })
    })?;
    let ret = if input.peek(Token![->]) {
        input.parse::<Token![->]>()?;
        Some(ty(input, file)?)
    } else {
        None
    };
    let maps = if input.peek(kw::maps) {
        input.parse::<kw::maps>()?;
        let from = end(input, file)?;
        input.parse::<Token![=>]>()?;
        Some((from, end(input, file)?))
    } else {
        None
    };
    let unmaps = if input.peek(kw::unmaps) {
        input.parse::<kw::unmaps>()?;
        Some(end(input, file)?)
    } else {
        None
    };
    input.parse::<Token![;]>()?;
    Ok(Method { doc, name: method_name, params, ret, maps, unmaps })
}

fn interface(input: ParseStream, file: usize, doc: Doc) -> syn::Result<Interface> {
    input.parse::<kw::interface>()?;
    let iface_name = name(input, file)?;
    input.parse::<kw::serves>()?;
    let mut serves = vec![target(input, file)?];
    while input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
        serves.push(target(input, file)?);
    }
    let content;
    braced!(content in input);
    let mut methods = Vec::new();
    let mut errors = None;
    while !content.is_empty() {
        let doc = docs(content.call(Attribute::parse_outer)?)?;
        if content.peek(kw::errors) {
            let kw: kw::errors = content.parse()?;
            if errors.is_some() {
                return Err(syn::Error::new(kw.span, "an interface has one `errors` list"));
            }
            let list;
            braced!(list in content);
            let names = comma_list(&list, |s| name(s, file))?;
            errors = Some(names);
            continue;
        }
        let lookahead = content.lookahead1();
        if !lookahead.peek(Token![fn]) {
            return Err(lookahead.error());
        }
        methods.push(method(&content, file, doc)?);
    }
    Ok(Interface { doc, name: iface_name, serves, methods, errors: errors.unwrap_or_default() })
}

fn item(input: ParseStream, file: usize) -> syn::Result<Item> {
    let doc = docs(input.call(Attribute::parse_outer)?)?;
    let lookahead = input.lookahead1();
    if lookahead.peek(kw::import) {
        let kw: kw::import = input.parse()?;
        let path: LitStr = input.parse()?;
        input.parse::<Token![;]>()?;
        Ok(Item::Import { path: path.value(), pos: pos(file, kw.span) })
    } else if lookahead.peek(kw::space) {
        input.parse::<kw::space>()?;
        let space_name = name(input, file)?;
        input.parse::<Token![;]>()?;
        Ok(Item::Space { doc, name: space_name })
    } else if lookahead.peek(kw::resource) {
        input.parse::<kw::resource>()?;
        let resource_name = name(input, file)?;
        input.parse::<Token![in]>()?;
        let space = name(input, file)?;
        input.parse::<Token![;]>()?;
        Ok(Item::Resource { doc, name: resource_name, space })
    } else if lookahead.peek(Token![struct]) {
        input.parse::<Token![struct]>()?;
        let struct_name = name(input, file)?;
        let content;
        braced!(content in input);
        let fields = comma_list(&content, |s| {
            let doc = docs(s.call(Attribute::parse_outer)?)?;
            let field_name = name(s, file)?;
            s.parse::<Token![:]>()?;
            Ok(Field { doc, name: field_name, ty: ty(s, file)? })
        })?;
        Ok(Item::Struct { doc, name: struct_name, fields })
    } else if lookahead.peek(Token![enum]) {
        input.parse::<Token![enum]>()?;
        let enum_name = name(input, file)?;
        let content;
        braced!(content in input);
        let variants = comma_list(&content, |s| {
            let doc = docs(s.call(Attribute::parse_outer)?)?;
            Ok((doc, name(s, file)?))
        })?;
        Ok(Item::Enum { doc, name: enum_name, variants })
    } else if lookahead.peek(kw::interface) {
        Ok(Item::Interface(interface(input, file, doc)?))
    } else {
        Err(lookahead.error())
    }
}

/// Parses the text of file number `file`. On error: the position and message of the
/// first syntax error (syntax has no reliable recovery, later stages report every error).
pub fn parse_file(file: usize, text: &str) -> Result<File, (Pos, String)> {
    let tokens = TokenStream::from_str(text).map_err(|e| (pos(file, e.span()), format!("cannot read tokens: {e}")))?;
    let parser = |input: ParseStream| -> syn::Result<File> {
        let doc = docs(input.call(Attribute::parse_inner)?)?;
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(item(input, file)?);
        }
        Ok(File { doc, items })
    };
    parser.parse2(tokens).map_err(|e| (pos(file, e.span()), e.to_string()))
}
