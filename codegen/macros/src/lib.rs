//! `idl!("path/to/x.idl")`: generates a file's marker types, types, client stubs, server
//! traits and services in place. A thin front end over `cellulos-codegen`.
//!
//! The path is relative to the file that invokes the macro. An optional second argument
//! `runtime = some::path` names the runtime crate (default `::cellulos::runtime`).
//! Errors in the IDL are reported as `compile_error!`s reading `idl/x.idl:LINE:COL: ...`.

use std::path::{Path, PathBuf};

use proc_macro::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

struct Args {
    path: LitStr,
    runtime: Option<syn::Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Args> {
        let path: LitStr = input.parse()?;
        let mut runtime = None;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if !input.is_empty() {
                let key: syn::Ident = input.parse()?;
                if key != "runtime" {
                    return Err(syn::Error::new(key.span(), "expected `runtime = path`"));
                }
                input.parse::<Token![=]>()?;
                runtime = Some(input.parse()?);
                let _ = input.parse::<Option<Token![,]>>()?;
            }
        }
        Ok(Args { path, runtime })
    }
}

/// Where the invoking source file lives (its directory), or the crate root.
fn base_dir() -> PathBuf {
    proc_macro::Span::call_site()
        .local_file()
        .and_then(|f| f.parent().map(Path::to_path_buf))
        .filter(|d| d.is_absolute() || d.exists())
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
        .unwrap_or_default()
}

/// The path as shown in messages: relative to the crate root when under it.
fn shown(path: &Path, written: &str) -> String {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let canonical = path.canonicalize().ok();
    match (root.and_then(|r| r.canonicalize().ok()), canonical) {
        (Some(root), Some(p)) => {
            p.strip_prefix(&root).map(|r| r.display().to_string()).unwrap_or_else(|_| written.into())
        }
        _ => written.into(),
    }
}

/// Generates the items of an IDL file; see the crate docs.
#[proc_macro]
pub fn idl(input: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(input as Args);
    let written = args.path.value();
    let path = base_dir().join(&written);
    let shown = shown(&path, &written);
    // Lex the IDL with proc_macro2's own lexer so that spans know their line and column
    // in the .idl file; generate with compiler spans afterwards.
    proc_macro2::fallback::force();
    let loaded = cellulos_codegen::load(&path, &shown);
    proc_macro2::fallback::unforce();
    let idl = match loaded {
        Ok(idl) => idl,
        Err(diagnostics) => {
            let errors = diagnostics.errors.iter().map(|d| {
                let text = d.to_string();
                quote::quote_spanned!(args.path.span() => ::core::compile_error!(#text);)
            });
            return quote!(#(#errors)*).into();
        }
    };
    let runtime = args.runtime.map(|p| quote!(#p)).unwrap_or_else(|| quote!(::cellulos::runtime));
    let tokens = cellulos_codegen::generate::generate(&idl, &cellulos_codegen::generate::Options { runtime });
    // Every file read: an edit to any of them rebuilds the users of this macro.
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let reads = std::iter::once(path.clone()).chain(idl.sources.files[1..].iter().map(|(name, _)| {
        // Imports are shown relative to the loaded file's shown name; rebuild their disk path.
        let rel = Path::new(name)
            .strip_prefix(Path::new(&shown).parent().unwrap_or(Path::new("")))
            .unwrap_or(Path::new(name));
        base.join(rel)
    }));
    let includes = reads.filter_map(|p| p.canonicalize().ok()).map(|p| {
        let p = p.display().to_string();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#p);
        )
    });
    quote!(#tokens #(#includes)*).into()
}
