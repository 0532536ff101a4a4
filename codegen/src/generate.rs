//! Generation: tokens for one checked IDL file (its own declarations; imports are
//! re-exported from sibling modules named after the imported files).
//!
//! Per file: `resources`/`spaces` marker types, `types` (structs and enums with their
//! `Wire` impls). Per interface: `INTERFACE_ID`, `SIGNATURE`, the error enum, method ids,
//! a client stub over any `Transport`, a server trait with no bookkeeping in it, and a
//! service whose dispatch decodes, checks handles, calls the server and records the
//! model (new objects, their space, holders, MAP edges, released holds).

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};

use crate::check::{camel, Idl, InterfaceDef, MapEnd, MethodDef, Res, Ty};

fn ident(name: &str) -> proc_macro2::Ident {
    proc_macro2::Ident::new(name, Span::call_site())
}

fn docs(lines: &[String]) -> TokenStream {
    quote! { #(#[doc = #lines])* }
}

fn usize_lit(n: u32) -> Literal {
    Literal::usize_unsuffixed(n as usize)
}

/// Options for generation.
pub struct Options {
    /// The path of the runtime crate in generated code (`::cellulos::runtime`).
    pub runtime: TokenStream,
}

impl Default for Options {
    fn default() -> Self {
        Options { runtime: quote!(::cellulos::runtime) }
    }
}

struct Gen<'a> {
    idl: &'a Idl,
    rt: TokenStream,
}

impl Gen<'_> {
    /// Serde derives that find serde through the runtime's re-export.
    fn serde(&self) -> TokenStream {
        let rt = &self.rt;
        let path = format!("{}::serde", rt).replace(' ', "");
        quote! {
            #[derive(#rt::serde::Serialize, #rt::serde::Deserialize)]
            #[serde(crate = #path)]
        }
    }

    /// A value type.
    fn value(&self, t: &Ty) -> TokenStream {
        let rt = &self.rt;
        match t {
            Ty::Scalar(s) => {
                let s = ident(s.name());
                quote!(#s)
            }
            Ty::String(n) => {
                let n = usize_lit(*n);
                quote!(#rt::heapless::String<#n>)
            }
            Ty::Bytes(n) => {
                let n = usize_lit(*n);
                quote!(#rt::heapless::Vec<u8, #n>)
            }
            Ty::Option(inner) => {
                let inner = self.value(inner);
                quote!(::core::option::Option<#inner>)
            }
            Ty::Struct(i) => {
                let n = ident(&self.idl.structs[*i].name);
                quote!(types::#n)
            }
            Ty::Enum(i) => {
                let n = ident(&self.idl.enums[*i].name);
                quote!(types::#n)
            }
            // Capabilities never reach here (the checker keeps them out of values).
            _ => quote!(()),
        }
    }

    /// The service's book, borrowed from its field (`B: BorrowMut<Book>`): mutably and
    /// shared. A field-precise borrow, so the server may be called meanwhile.
    fn book_access(&self) -> (TokenStream, TokenStream) {
        let rt = &self.rt;
        (
            quote!(::core::borrow::BorrowMut::<#rt::Book>::borrow_mut(&mut self.book)),
            quote!(::core::borrow::Borrow::<#rt::Book>::borrow(&self.book)),
        )
    }

    fn marker(&self, r: Res) -> TokenStream {
        let rt = &self.rt;
        match r {
            Res::Resource(i) => {
                let n = ident(&self.idl.resources[i].name);
                quote!(resources::#n)
            }
            Res::Space(i) => {
                let n = ident(&self.idl.spaces[i].name);
                quote!(spaces::#n)
            }
            Res::Pd => quote!(#rt::server::Pd),
        }
    }

    fn type_name(&self, r: Res) -> String {
        match r {
            Res::Resource(i) => self.idl.resources[i].name.clone(),
            Res::Space(i) => self.idl.spaces[i].name.clone(),
            Res::Pd => "PD".into(),
        }
    }

    fn class(&self, r: Res) -> TokenStream {
        let rt = &self.rt;
        match r {
            Res::Resource(_) => quote!(#rt::server::Class::Resource),
            Res::Space(_) => quote!(#rt::server::Class::Space),
            Res::Pd => quote!(#rt::server::Class::Pd),
        }
    }

    fn markers(&self) -> TokenStream {
        let rt = &self.rt;
        let own = |file: usize| file == 0;
        let resources = self.idl.resources.iter().filter(|r| own(r.file)).map(|r| {
            let (n, d, name) = (ident(&r.name), docs(&r.doc), &r.name);
            quote! { #d #[allow(missing_docs)] pub enum #n {} impl #rt::server::Named for #n { const TYPE_NAME: &'static str = #name; const CLASS: #rt::server::Class = #rt::server::Class::Resource; } }
        });
        let spaces = self.idl.spaces.iter().filter(|s| own(s.file)).map(|s| {
            let (n, d, name) = (ident(&s.name), docs(&s.doc), &s.name);
            quote! { #d #[allow(missing_docs)] pub enum #n {} impl #rt::server::Named for #n { const TYPE_NAME: &'static str = #name; const CLASS: #rt::server::Class = #rt::server::Class::Space; } }
        });
        let imports = self.imports();
        quote! {
            /// Marker types of the resource types declared in this file (and its imports).
            #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
            pub mod resources {
                #(#resources)*
                #(pub use super::super::#imports::resources::*;)*
            }
            /// Marker types of the space types declared in this file (and its imports).
            #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
            pub mod spaces {
                #(#spaces)*
                #(pub use super::super::#imports::spaces::*;)*
            }
        }
    }

    /// Sibling modules of imported files (named after the file stems).
    fn imports(&self) -> Vec<proc_macro2::Ident> {
        self.idl.sources.files[1..]
            .iter()
            .filter_map(|(name, _)| std::path::Path::new(name).file_stem().and_then(|s| s.to_str()).map(ident))
            .collect()
    }

    fn types(&self) -> TokenStream {
        let rt = &self.rt;
        let structs = self.idl.structs.iter().filter(|s| s.file == 0).map(|s| {
            let (n, d) = (ident(&s.name), docs(&s.doc));
            let fields: Vec<_> = s.fields.iter().map(|(_, f, _)| ident(f)).collect();
            let field_docs = s.fields.iter().map(|(fd, _, _)| docs(fd));
            let tys: Vec<_> = s.fields.iter().map(|(_, _, t)| self.value(t)).collect();
            let serde = self.serde();
            quote! {
                #d
                #[allow(missing_docs)]
                #[derive(Clone, Debug, PartialEq, Eq)]
                #serde
                pub struct #n { #(#field_docs pub #fields: #tys,)* }
                impl #rt::wire::Wire for #n {
                    const MAX_SIZE: usize = 0 #(+ <#tys as #rt::wire::Wire>::MAX_SIZE)*;
                    fn encode(&self, w: &mut #rt::wire::Writer<'_>) -> ::core::result::Result<(), #rt::wire::WireError> {
                        #(#rt::wire::Wire::encode(&self.#fields, w)?;)*
                        Ok(())
                    }
                    fn decode(r: &mut #rt::wire::Reader<'_>) -> ::core::result::Result<Self, #rt::wire::WireError> {
                        Ok(#n { #(#fields: <#tys as #rt::wire::Wire>::decode(r)?,)* })
                    }
                }
            }
        });
        let enums = self.idl.enums.iter().filter(|e| e.file == 0).map(|e| {
            let (n, d) = (ident(&e.name), docs(&e.doc));
            let variants: Vec<_> = e.variants.iter().map(|(_, v)| ident(v)).collect();
            let variant_docs = e.variants.iter().map(|(vd, _)| docs(vd));
            let tags: Vec<_> = (0..e.variants.len()).map(|i| Literal::u8_unsuffixed(i as u8)).collect();
            let serde = self.serde();
            quote! {
                #d
                #[allow(missing_docs)]
                #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
                #serde
                pub enum #n { #(#variant_docs #variants,)* }
                impl #rt::wire::Wire for #n {
                    const MAX_SIZE: usize = 1;
                    fn encode(&self, w: &mut #rt::wire::Writer<'_>) -> ::core::result::Result<(), #rt::wire::WireError> {
                        let tag: u8 = match self { #(#n::#variants => #tags,)* };
                        w.put(&[tag])
                    }
                    fn decode(r: &mut #rt::wire::Reader<'_>) -> ::core::result::Result<Self, #rt::wire::WireError> {
                        match r.take(1)?[0] {
                            #(#tags => Ok(#n::#variants),)*
                            _ => Err(#rt::wire::WireError::BadTag),
                        }
                    }
                }
            }
        });
        let imports = self.imports();
        quote! {
            /// Structs and enums declared in this file (and its imports).
            pub mod types {
                #[allow(unused_imports)]
                use super::*;
                #(#structs)*
                #(#enums)*
                #(pub use super::super::#imports::types::*;)*
            }
            pub use types::*;
        }
    }

    fn interface(&self, iface: &InterfaceDef) -> TokenStream {
        let rt = &self.rt;
        let (book_mut, book_ref) = self.book_access();
        let prefix = camel(&iface.name);
        let (client, server, service, error) = (
            format_ident!("{prefix}Client"),
            format_ident!("{prefix}Server"),
            format_ident!("{prefix}Service"),
            format_ident!("{prefix}Error"),
        );
        let doc = docs(&iface.doc);
        let (id, signature) = (iface.id, &iface.signature);
        let errors: Vec<_> = iface.errors.iter().map(|e| ident(e)).collect();
        let error_codes: Vec<_> = (0..iface.errors.len()).map(|i| Literal::u32_unsuffixed(i as u32)).collect();
        let error_texts = iface.errors.iter();
        let consts = iface.methods.iter().map(|m| {
            let (c, id) = (ident(&m.name.to_uppercase()), Literal::u32_unsuffixed(m.id));
            let doc = format!("The method id of `{}`.", m.name);
            quote!(#[doc = #doc] pub const #c: u32 = #id;)
        });
        let client_methods = iface.methods.iter().map(|m| self.client_method(iface, m, &error));
        let server_methods = iface.methods.iter().map(|m| self.server_method(iface, m, &error));
        let arms = iface.methods.iter().map(|m| self.dispatch_arm(iface, m));
        let register_arms: Vec<_> = iface.methods.iter().filter_map(|m| self.serve_registers_arm(iface, m)).collect();
        let messages = self.messages(iface);
        let iface_name = &iface.name;
        let upper = iface.name.to_uppercase();
        let (id_const, sig_const, methods_mod) = (
            format_ident!("{upper}_INTERFACE_ID"),
            format_ident!("{upper}_SIGNATURE"),
            format_ident!("{}_methods", iface.name),
        );
        let id_doc = format!("The id of interface `{}`: FNV-1a-64 of its canonical signature.", iface.name);
        let sig_doc = format!("The canonical signature of interface `{}`.", iface.name);
        let methods_doc = format!("Method ids of interface `{}` (the message label).", iface.name);
        quote! {
            #[doc = #id_doc]
            pub const #id_const: u64 = #id;
            #[doc = #sig_doc]
            pub const #sig_const: &str = #signature;
            #[doc = #methods_doc]
            pub mod #methods_mod { #(#consts)* }

            #[doc = concat!("Errors of the `", #iface_name, "` interface.")]
            #[allow(missing_docs)]
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub enum #error { #(#errors,)* }
            #[allow(unreachable_code)]
            impl #error {
                /// The reply label carrying this error.
                pub fn code(self) -> u32 {
                    let index: u32 = match self { #(#error::#errors => #error_codes,)* };
                    #rt::status::APP_ERROR_BASE + index
                }
                /// The error a reply label carries, if it is one of these.
                pub fn from_code(code: u32) -> ::core::option::Option<Self> {
                    match code.checked_sub(#rt::status::APP_ERROR_BASE)? { #(#error_codes => Some(#error::#errors),)* _ => None }
                }
            }
            #[allow(unreachable_code)]
            impl ::core::fmt::Display for #error {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(match *self { #(#error::#errors => #error_texts,)* })
                }
            }

            #messages

            #doc
            #[doc = ""]
            #[doc = "The client stub: each method encodes its arguments, calls through the transport and decodes the reply."]
            pub struct #client<T> { transport: T, msg: #rt::Message }
            #[allow(missing_docs, unreachable_code)]
            impl<T: #rt::Transport> #client<T> {
                /// A client over a connection to a server of this interface.
                pub fn new(transport: T) -> Self { #client { transport, msg: #rt::Message::new(0) } }
                /// The connection.
                pub fn transport(&mut self) -> &mut T { &mut self.transport }
                fn fail(code: u32) -> #rt::CallError<#error> {
                    match (#rt::Status::from_code(code), #error::from_code(code)) {
                        (Some(s), _) => #rt::CallError::Status(s),
                        (None, Some(e)) => #rt::CallError::App(e),
                        (None, None) => #rt::CallError::Status(#rt::Status::BadTag),
                    }
                }
                #(#client_methods)*
            }

            #doc
            #[doc = ""]
            #[doc = "What a server implements: the logic only. The generated service keeps the model."]
            #[allow(missing_docs)]
            pub trait #server {
                #(#server_methods)*

                /// A space of this server's was deleted by a cleanup plan while the server
                /// lives on (its key; its resources and every handle to them are gone from
                /// the book already): forget what it kept for it. Nothing, unless overridden.
                fn space_deleted(&mut self, key: u64) {
                    let _ = key;
                }
            }

            /// A server of this interface with its part of the model: decodes requests,
            /// checks handles, calls the server, records new objects, holds and MAP edges.
            /// It owns its book, or borrows it (`&mut Book`: a server of several
            /// interfaces that keeps each book between calls, as the root does).
            pub struct #service<S, B = #rt::Book> {
                /// The server's logic.
                pub server: S,
                /// Its part of the model.
                pub book: B,
                /// The connection badge of the root, the only caller of `export_model`.
                pub root: #rt::Badge,
            }
            impl<S: #server> #service<S> {
                /// A service whose `export_model` answers only the connection badged `root`.
                pub fn new(server: S, root: #rt::Badge) -> Self { #service { server, book: #rt::Book::new(), root } }
            }
            #[allow(unreachable_code)]
            impl<S: #server, B: ::core::borrow::BorrowMut<#rt::Book>> #service<S, B> {
                /// This server's part of the model, with the IDL's type table.
                pub fn export(
                    &self,
                    server: &str,
                    holder: impl Fn(#rt::Badge) -> #rt::server::String,
                ) -> ::core::result::Result<#rt::server::Fragment, #rt::osmosis::ModelError> {
                    #book_ref.export(server, TYPES, holder)
                }

                /// Serves one request in `msg`, leaving the reply in it. Never panics on
                /// bad input: every decoding or handle error becomes an error reply.
                pub fn dispatch(&mut self, ctx: &mut #rt::ServeCtx<'_>, msg: &mut #rt::Message) {
                    let caller = msg.badge;
                    if let Err(code) = self.handle(ctx, msg, caller) {
                        msg.label = code;
                        msg.len = 0;
                        msg.caps = [None; #rt::limits::MAX_CAPS];
                    }
                }

                // Every local below starts with `__`: IDL names may not (the checker
                // reserves them), so a parameter can never shadow the caller or the message.

                #[allow(unused_variables, clippy::let_unit_value)]
                fn handle(&mut self, __ctx: &mut #rt::ServeCtx<'_>, __msg: &mut #rt::Message, __caller: #rt::Badge) -> ::core::result::Result<(), u32> {
                    let __wire = |e: #rt::wire::WireError| #rt::Status::from(e) as u32;
                    let __status = |s: #rt::Status| s as u32;
                    match __msg.code() {
                        #(#arms)*
                        #rt::limits::EXPORT_MODEL => {
                            if __caller != self.root || __msg.len != 0 || __msg.cap_count() != 0 {
                                return Err(__status(#rt::Status::NotAllowed));
                            }
                            __msg.caps = [None; #rt::limits::MAX_CAPS];
                            __msg.label = 0;
                            __msg.encode(#book_ref, __ctx.shared).map_err(__wire)
                        }
                        #rt::limits::RELEASE_HOLDER => {
                            if __caller != self.root || __msg.cap_count() != 0 {
                                return Err(__status(#rt::Status::NotAllowed));
                            }
                            let holder: u32 = __msg.decode(__ctx.shared).map_err(__wire)?;
                            for badge in #book_mut.release_holder(holder) {
                                __ctx.revoke(badge);
                            }
                            __msg.label = 0;
                            __msg.encode(&(), __ctx.shared).map_err(__wire)
                        }
                        #rt::limits::GIVE => {
                            if __caller != self.root || __msg.cap_count() != 0 {
                                return Err(__status(#rt::Status::NotAllowed));
                            }
                            let (badge, from, to, rights): (u32, u32, u32, u8) = __msg.decode(__ctx.shared).map_err(__wire)?;
                            let (__new_badge, _) = #book_mut.give(badge, from, to, rights).map_err(__status)?;
                            __msg.label = 0;
                            __msg.encode(&__new_badge, __ctx.shared).map_err(__wire)?;
                            __msg.caps[0] = Some(__ctx.mint(__new_badge));
                            Ok(())
                        }
                        #rt::limits::DELETE_SPACE => {
                            if __caller != self.root || __msg.cap_count() != 0 {
                                return Err(__status(#rt::Status::NotAllowed));
                            }
                            let id: u32 = __msg.decode(__ctx.shared).map_err(__wire)?;
                            let (key, ended) = #book_mut.delete_space(#rt::server::ObjectId(id)).map_err(__status)?;
                            for badge in ended {
                                __ctx.revoke(badge);
                            }
                            self.server.space_deleted(key);
                            __msg.label = 0;
                            __msg.encode(&(), __ctx.shared).map_err(__wire)
                        }
                        #rt::limits::HANDSHAKE => {
                            let id: u64 = __msg.decode(__ctx.shared).map_err(__wire)?;
                            if id != #id_const || __msg.cap_count() != 0 {
                                return Err(__status(#rt::Status::WrongInterface));
                            }
                            __msg.label = 0;
                            __msg.encode(&(), __ctx.shared).map_err(__wire)
                        }
                        _ => Err(__status(#rt::Status::UnknownMethod)),
                    }
                }
            }
            impl<S: #server, B: ::core::borrow::BorrowMut<#rt::Book>> #rt::server::Serve for #service<S, B> {
                #[allow(unused_variables, clippy::let_unit_value, clippy::unnecessary_cast)]
                fn serve_registers(&mut self, __label: u32, __caller: #rt::Badge, __w: &mut [u64; 4], __len: &mut usize) -> ::core::option::Option<u32> {
                    match __label {
                        #(#register_arms)*
                        _ => None,
                    }
                }

                fn serve(&mut self, ctx: &mut #rt::ServeCtx<'_>, msg: &mut #rt::Message) {
                    self.dispatch(ctx, msg)
                }
            }
        }
    }

    /// `<Name>Request` and `<Name>Reply`: a typed, serde-serializable view of the values
    /// of each method's messages (capabilities travel as capabilities, not in these), with
    /// `from_message` to read them off a real message: for tracing, tests and host tools.
    fn messages(&self, iface: &InterfaceDef) -> TokenStream {
        let rt = &self.rt;
        let prefix = camel(&iface.name);
        let (request, reply) = (format_ident!("{prefix}Request"), format_ident!("{prefix}Reply"));
        let methods_mod = format_ident!("{}_methods", iface.name);
        let serde = self.serde();
        let variant = |m: &MethodDef| format_ident!("{}", camel(&m.name));
        let mut req_variants = Vec::new();
        let mut req_arms = Vec::new();
        let mut rep_variants = Vec::new();
        let mut rep_arms = Vec::new();
        for m in &iface.methods {
            let v = variant(m);
            let c = ident(&m.name.to_uppercase());
            let doc = format!("The values of a `{}` request.", m.name);
            let values: Vec<_> = m.params.iter().filter(|(_, t)| t.capability().is_none()).collect();
            let names: Vec<_> = values.iter().map(|(p, _)| ident(p)).collect();
            let tys: Vec<_> = values.iter().map(|(_, t)| self.value(t)).collect();
            req_variants.push(quote!(#[doc = #doc] #v { #(#names: #tys,)* }));
            req_arms.push(quote! {
                #methods_mod::#c => {
                    let (#(#names,)*): (#(#tys,)*) = msg.decode(shared)?;
                    Ok(#request::#v { #(#names,)* })
                }
            });
            let (ret_values, _) = Self::ret_parts(m);
            let ret_tys: Vec<_> = ret_values.iter().map(|t| self.value(t)).collect();
            let fields: Vec<_> = (0..ret_tys.len()).map(|i| format_ident!("value{i}")).collect();
            let doc = format!("The values of a `{}` reply (a new object travels as a capability).", m.name);
            rep_variants.push(quote!(#[doc = #doc] #v { #(#fields: #ret_tys,)* }));
            rep_arms.push(quote! {
                #methods_mod::#c => {
                    let (#(#fields,)*): (#(#ret_tys,)*) = msg.decode(shared)?;
                    Ok(#reply::#v { #(#fields,)* })
                }
            });
        }
        let req_doc = format!("The requests of interface `{}`, by method.", iface.name);
        let rep_doc = format!("The successful replies of interface `{}`, by method.", iface.name);
        quote! {
            #[doc = #req_doc]
            #[allow(missing_docs)]
            #[derive(Clone, Debug, PartialEq, Eq)]
            #serde
            pub enum #request { #(#req_variants,)* }
            impl #request {
                /// Reads a request off a message (its label is the method id).
                pub fn from_message(msg: &#rt::Message, shared: &[u8]) -> ::core::result::Result<Self, #rt::Status> {
                    let decoded: ::core::result::Result<Self, #rt::wire::WireError> = match msg.code() {
                        #(#req_arms)*
                        _ => return Err(#rt::Status::UnknownMethod),
                    };
                    decoded.map_err(Into::into)
                }
            }
            #[doc = #rep_doc]
            #[allow(missing_docs)]
            #[derive(Clone, Debug, PartialEq, Eq)]
            #serde
            pub enum #reply { #(#rep_variants,)* }
            impl #reply {
                /// Reads the reply to a `method` request off a message (status 0).
                pub fn from_message(method: u32, msg: &#rt::Message, shared: &[u8]) -> ::core::result::Result<Self, #rt::Status> {
                    if msg.code() != 0 {
                        return Err(#rt::Status::from_code(msg.code()).unwrap_or(#rt::Status::BadTag));
                    }
                    let decoded: ::core::result::Result<Self, #rt::wire::WireError> = match method {
                        #(#rep_arms)*
                        _ => return Err(#rt::Status::UnknownMethod),
                    };
                    decoded.map_err(Into::into)
                }
            }
        }
    }

    /// The capability parameters of a method, in order: (position, target, consumed).
    fn caps(m: &MethodDef) -> Vec<(usize, Res, bool)> {
        m.params
            .iter()
            .enumerate()
            .filter_map(|(i, (_, t))| match t {
                Ty::Borrow(r) => Some((i, *r, false)),
                Ty::Consume(r) => Some((i, *r, true)),
                _ => None,
            })
            .collect()
    }

    /// The return, item by item in IDL order (a tuple's items, or the one type), each
    /// mapped by `item`, folded into `()`, the item, or a tuple.
    fn ret_shape(m: &MethodDef, mut item: impl FnMut(&Ty) -> TokenStream) -> TokenStream {
        let items: Vec<TokenStream> = match &m.ret {
            None => Vec::new(),
            Some(Ty::Tuple(items)) => items.iter().map(&mut item).collect(),
            Some(t) => vec![item(t)],
        };
        match items.len() {
            0 => quote!(()),
            1 => items[0].clone(),
            _ => quote!((#(#items),*)),
        }
    }

    /// The return as a pattern or expression: `new_name` where the `new` object stands,
    /// `v0`, `v1` ... for the values in order.
    fn ret_binding(m: &MethodDef, new_name: &str) -> TokenStream {
        let mut n = 0;
        let new_name = ident(new_name);
        Self::ret_shape(m, |t| match t {
            Ty::New(_) => quote!(#new_name),
            _ => {
                let v = format_ident!("__v{n}");
                n += 1;
                quote!(#v)
            }
        })
    }

    /// The value items of a return (with the `new` one, if any, noted apart).
    fn ret_parts(m: &MethodDef) -> (Vec<Ty>, Option<Res>) {
        let items = match &m.ret {
            None => Vec::new(),
            Some(Ty::Tuple(items)) => items.clone(),
            Some(t) => vec![t.clone()],
        };
        let new = items.iter().find_map(|t| if let Ty::New(r) = t { Some(*r) } else { None });
        (items.into_iter().filter(|t| !matches!(t, Ty::New(_))).collect(), new)
    }

    /// Whether a method is all 64-bit words: at most 4 `u64`/`i64` parameters and nothing or
    /// one `u64`/`i64` back, no capabilities. Such calls skip the codec on both sides (the
    /// bytes would be exactly these words) and take the kernel's fast path.
    /// Returns the parameters' and the result's Rust scalar types.
    fn register_shape(&self, m: &MethodDef) -> Option<(Vec<TokenStream>, Option<TokenStream>)> {
        let word = |t: &Ty| match t {
            Ty::Scalar(crate::ast::Scalar::U64) => Some(quote!(u64)),
            Ty::Scalar(crate::ast::Scalar::I64) => Some(quote!(i64)),
            _ => None,
        };
        if m.params.len() > 4 {
            return None;
        }
        let params = m.params.iter().map(|(_, t)| word(t)).collect::<Option<Vec<_>>>()?;
        let ret = match &m.ret {
            None => None,
            Some(t) => Some(word(t)?),
        };
        Some((params, ret))
    }

    /// The register path of a client method (see [`Gen::register_shape`]).
    fn client_registers(&self, iface: &InterfaceDef, m: &MethodDef, error: &proc_macro2::Ident) -> Option<TokenStream> {
        let (tys, ret) = self.register_shape(m)?;
        let rt = &self.rt;
        let methods_mod = format_ident!("{}_methods", iface.name);
        let (name, doc, method_const) = (ident(&m.name), docs(&m.doc), ident(&m.name.to_uppercase()));
        let names: Vec<_> = m.params.iter().map(|(p, _)| ident(p)).collect();
        let n = names.len();
        let pad = (n..4).map(|_| quote!(0));
        let reply_words = usize::from(ret.is_some());
        let (ret_ty, value) = match &ret {
            Some(t) => (t.clone(), quote!(__w[0] as #t)),
            None => (quote!(()), quote!(())),
        };
        Some(quote! {
            #doc
            #[allow(clippy::unnecessary_cast)]
            pub fn #name(&mut self, #(#names: #tys),*) -> ::core::result::Result<#ret_ty, #rt::CallError<#error>> {
                let Self { transport: __transport, msg: __msg } = self;
                let (__label, __w, __len) = __transport.call_registers(
                    __msg,
                    #methods_mod::#method_const,
                    [#(#names as u64,)* #(#pad),*],
                    #n,
                )?;
                let __code = __label & #rt::limits::MAX_METHOD_ID;
                if __code != 0 {
                    return Err(Self::fail(__code));
                }
                if __label & #rt::limits::SHARED_FLAG != 0 || __len != #reply_words {
                    return Err(#rt::CallError::Status(if __len < #reply_words { #rt::Status::Short } else { #rt::Status::Trailing }));
                }
                let _ = __w;
                Ok(#value)
            }
        })
    }

    /// The register path of the service: one arm per method of [`Gen::register_shape`].
    fn serve_registers_arm(&self, iface: &InterfaceDef, m: &MethodDef) -> Option<TokenStream> {
        let (tys, ret) = self.register_shape(m)?;
        let rt = &self.rt;
        let methods_mod = format_ident!("{}_methods", iface.name);
        let (name, method_const) = (ident(&m.name), ident(&m.name.to_uppercase()));
        let n = tys.len();
        let args = tys.iter().enumerate().map(|(i, t)| quote!(__w[#i] as #t));
        let ok = match ret {
            Some(_) => quote! { __w[0] = __v as u64; *__len = 1; },
            None => quote! { let () = __v; *__len = 0; },
        };
        Some(quote! {
            #methods_mod::#method_const => {
                if *__len != #n {
                    let __s = if *__len < #n { #rt::Status::Short } else { #rt::Status::Trailing };
                    *__len = 0;
                    return Some(__s as u32);
                }
                match self.server.#name(__caller, #(#args),*) {
                    Ok(__v) => {
                        #ok
                        Some(0)
                    }
                    Err(__e) => {
                        *__len = 0;
                        Some(__e.code())
                    }
                }
            }
        })
    }

    fn client_method(&self, iface: &InterfaceDef, m: &MethodDef, error: &proc_macro2::Ident) -> TokenStream {
        if let Some(fast) = self.client_registers(iface, m, error) {
            return fast;
        }
        let rt = &self.rt;
        let methods_mod = format_ident!("{}_methods", iface.name);
        let name = ident(&m.name);
        let doc = docs(&m.doc);
        let method_const = ident(&m.name.to_uppercase());
        let mut params = Vec::new();
        let mut pushes = Vec::new();
        let mut forgets = Vec::new();
        let mut values = Vec::new();
        for (p, t) in &m.params {
            let pn = ident(p);
            match t {
                Ty::Borrow(r) => {
                    let marker = self.marker(*r);
                    params.push(quote!(#pn: &#rt::handle::Handle<#marker>));
                    pushes.push(quote!(__msg.push_cap(#pn.cap)?;));
                }
                Ty::Consume(r) => {
                    let marker = self.marker(*r);
                    params.push(quote!(#pn: #rt::handle::Handle<#marker>));
                    pushes.push(quote!(__msg.push_cap(#pn.cap)?;));
                    forgets.push(quote!(__transport.forget(#pn.cap);));
                }
                other => {
                    let ty = self.value(other);
                    params.push(quote!(#pn: #ty));
                    values.push(pn);
                }
            }
        }
        let (ret_values, new) = Self::ret_parts(m);
        let ret_tys: Vec<_> = ret_values.iter().map(|t| self.value(t)).collect();
        // The Rust return type, in IDL order, with the new handle where `new` stood.
        let ret_ty = Self::ret_shape(m, |t| self.client_ret(t));
        let value_names: Vec<_> = (0..ret_values.len()).map(|i| format_ident!("__v{i}")).collect();
        let result = Self::ret_binding(m, "__handle");
        let take_handle = new.map(|_| {
            quote! {
                let __handle = #rt::handle::Handle::new(__msg.caps[0].ok_or(#rt::CallError::Status(#rt::Status::CapCount))?);
            }
        });
        quote! {
            #doc
            pub fn #name(&mut self, #(#params),*) -> ::core::result::Result<#ret_ty, #rt::CallError<#error>> {
                // One message per client, reset per call: no 960-byte clearing on the call path.
                let Self { transport: __transport, msg: __msg } = self;
                __msg.reset(#methods_mod::#method_const);
                #(#pushes)*
                __msg.encode(&(#(#values,)*), __transport.shared())?;
                __transport.call(__msg)?;
                if __msg.code() != 0 {
                    return Err(Self::fail(__msg.code()));
                }
                let (#(#value_names,)*): (#(#ret_tys,)*) = __msg.decode(__transport.shared())?;
                // The server ended the consumed handles; their capabilities are gone.
                #(#forgets)*
                #take_handle
                Ok(#result)
            }
        }
    }

    fn client_ret(&self, t: &Ty) -> TokenStream {
        let rt = &self.rt;
        match t {
            Ty::New(r) => {
                let marker = self.marker(*r);
                quote!(#rt::handle::Handle<#marker>)
            }
            other => self.value(other),
        }
    }

    fn server_method(&self, iface: &InterfaceDef, m: &MethodDef, error: &proc_macro2::Ident) -> TokenStream {
        let rt = &self.rt;
        let name = ident(&m.name);
        let doc = docs(&m.doc);
        let params = m.params.iter().map(|(p, t)| {
            let pn = ident(p);
            let ty = match t {
                Ty::Borrow(r) | Ty::Consume(r) => {
                    let marker = self.marker(*r);
                    if iface.serves_res(self.idl, *r) {
                        quote!(#rt::server::Held<#marker>)
                    } else {
                        quote!(#rt::server::Foreign<#marker>)
                    }
                }
                other => self.value(other),
            };
            quote!(#pn: #ty)
        });
        let ret_ty = Self::ret_shape(m, |t| self.server_ret(t));
        quote! {
            #doc
            fn #name(&mut self, caller: #rt::Badge, #(#params),*) -> ::core::result::Result<#ret_ty, #error>;
        }
    }

    fn server_ret(&self, t: &Ty) -> TokenStream {
        let rt = &self.rt;
        match t {
            Ty::New(r) => {
                let marker = self.marker(*r);
                quote!(#rt::server::New<#marker>)
            }
            other => self.value(other),
        }
    }

    fn dispatch_arm(&self, iface: &InterfaceDef, m: &MethodDef) -> TokenStream {
        let rt = &self.rt;
        let (book_mut, _) = self.book_access();
        let methods_mod = format_ident!("{}_methods", iface.name);
        let name = ident(&m.name);
        let method_const = ident(&m.name.to_uppercase());
        let caps = Self::caps(m);
        let n_caps = caps.len();
        // Resolve each capability parameter: ids and badges kept for bookkeeping after the call.
        let resolve = caps.iter().enumerate().map(|(slot, (p, r, _))| {
            let pn = format_ident!("__p_{}", m.params[*p].0);
            let (badge, id) = (format_ident!("__{}_badge", m.params[*p].0), format_ident!("__{}_id", m.params[*p].0));
            let type_name = self.type_name(*r);
            if iface.serves_res(self.idl, *r) {
                quote! {
                    let #badge = match __msg.caps[#slot] {
                        Some(#rt::Cap::Unwrapped(b)) => b,
                        _ => return Err(__status(#rt::Status::CapCount)),
                    };
                    let (#id, __key) = #book_mut.resolve(#badge, __caller, #type_name).map(|(id, o)| (id, o.key)).map_err(__status)?;
                    let #pn = #rt::server::Held::new(#id, __key);
                }
            } else {
                quote! {
                    let #id = match __msg.caps[#slot] {
                        Some(cap @ #rt::Cap::Endpoint { .. }) => cap,
                        _ => return Err(__status(#rt::Status::CapCount)),
                    };
                    let #pn = #rt::server::Foreign::new(#id);
                }
            }
        });
        let value_params: Vec<_> =
            m.params.iter().filter(|(_, t)| !matches!(t, Ty::Borrow(_) | Ty::Consume(_))).collect();
        let value_names: Vec<_> = value_params.iter().map(|(p, _)| format_ident!("__p_{p}")).collect();
        let value_tys: Vec<_> = value_params.iter().map(|(_, t)| self.value(t)).collect();
        let args = m.params.iter().map(|(p, _)| format_ident!("__p_{p}"));

        let (ret_values, new) = Self::ret_parts(m);
        let ret_value_names: Vec<_> = (0..ret_values.len()).map(|i| format_ident!("__v{i}")).collect();
        let bind = Self::ret_binding(m, "__created");
        let record_new = new.map(|r| {
            let (class, type_name) = (self.class(r), self.type_name(r));
            let rights = if r == Res::Pd { 8u8 } else { 3u8 };
            quote! {
                let __new_id = #book_mut.add(#rt::server::Object {
                    class: #class,
                    type_name: ::core::convert::Into::into(#type_name),
                    key: __created.key,
                    space: __created.space,
                });
                let __new_badge = #book_mut.grant(__caller, __new_id, #rights).map_err(__status)?;
                __msg.caps[0] = Some(__ctx.mint(__new_badge));
            }
        });
        let end_target = |e: MapEnd| -> TokenStream {
            match e {
                MapEnd::Return => quote!(#rt::server::MapTarget::Local(__new_id)),
                MapEnd::Param(p) => {
                    let id = format_ident!("__{}_id", m.params[p].0);
                    let served = m.params[p].1.capability().is_some_and(|r| iface.serves_res(self.idl, r));
                    if served {
                        quote!(#rt::server::MapTarget::Local(#id))
                    } else {
                        quote!(#rt::server::MapTarget::Foreign(#id))
                    }
                }
            }
        };
        let end_local = |e: MapEnd| -> TokenStream {
            match e {
                MapEnd::Return => quote!(__new_id),
                MapEnd::Param(p) => {
                    let id = format_ident!("__{}_id", m.params[p].0);
                    quote!(#id)
                }
            }
        };
        // A map from a foreign object cannot be recorded here: its owner records it.
        let local_from = |e: MapEnd| match e {
            MapEnd::Return => true,
            MapEnd::Param(p) => m.params[p].1.capability().is_some_and(|r| iface.serves_res(self.idl, r)),
        };
        let maps = m.maps.filter(|(a, _)| local_from(*a)).map(|(a, b)| {
            let (from, to) = (end_local(a), end_target(b));
            quote!(#book_mut.map(#from, #to);)
        });
        let unmaps = m.unmaps.filter(|a| local_from(*a)).map(|a| {
            let from = end_local(a);
            quote!(#book_mut.unmap(#from);)
        });
        let releases =
            caps.iter().filter(|(_, r, consumed)| *consumed && iface.serves_res(self.idl, *r)).map(|(p, _, _)| {
                let badge = format_ident!("__{}_badge", m.params[*p].0);
                quote! {
                    for __ended in #book_mut.release(#badge) {
                        __ctx.revoke(__ended);
                    }
                    __ctx.revoke(#badge);
                }
            });
        quote! {
            #methods_mod::#method_const => {
                if __msg.cap_count() != #n_caps {
                    return Err(__status(#rt::Status::CapCount));
                }
                #(#resolve)*
                let (#(#value_names,)*): (#(#value_tys,)*) = __msg.decode(__ctx.shared).map_err(__wire)?;
                let #bind = self.server.#name(__caller, #(#args),*).map_err(|e| e.code())?;
                __msg.caps = [None; #rt::limits::MAX_CAPS];
                #record_new
                #maps
                #unmaps
                #(#releases)*
                __msg.label = 0;
                __msg.encode(&(#(#ret_value_names,)*), __ctx.shared).map_err(__wire)
            }
        }
    }
}

/// Generates the items for a checked IDL (its file 0: the file loaded).
pub fn generate(idl: &Idl, options: &Options) -> TokenStream {
    let g = Gen { idl, rt: options.runtime.clone() };
    let markers = g.markers();
    let types = g.types();
    let file_doc = docs(&idl.docs[0]);
    let own: Vec<&InterfaceDef> = idl.interfaces.iter().filter(|i| i.file == 0).collect();
    let interfaces = own.iter().map(|i| g.interface(i));
    // A file with one interface (the usual case) also gets the short names.
    let aliases = (own.len() == 1).then(|| {
        let upper = own[0].name.to_uppercase();
        let (id, sig, methods) = (
            format_ident!("{upper}_INTERFACE_ID"),
            format_ident!("{upper}_SIGNATURE"),
            format_ident!("{}_methods", own[0].name),
        );
        quote! {
            /// The interface id: FNV-1a-64 of [`SIGNATURE`].
            pub const INTERFACE_ID: u64 = #id;
            /// The canonical signature the id is computed from.
            pub const SIGNATURE: &str = #sig;
            /// Method ids (the message label).
            pub use #methods as methods;
        }
    });
    let type_pairs = idl.resources.iter().map(|r| {
        let (res, space) = (&r.name, &idl.spaces[r.space].name);
        quote!((#res, #space))
    });
    quote! {
        #file_doc
        #markers
        #types
        /// Which space type each resource type lives in (for the model checker).
        pub const TYPES: &[(&str, &str)] = &[#(#type_pairs),*];
        #(#interfaces)*
        #aliases
    }
}
