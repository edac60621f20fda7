//! Procedural macros of the Warren guest SDK. Use them through the
//! `warren` crate: `#[warren::main]`.

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, ItemFn, parse_macro_input};

/// Makes a function a process entry: an export of the same name (wasm type
/// `() -> ()`) that installs the SDK's panic hook (a panic ends the process
/// with the panic's message as its reason, with the SDK's feature `std`),
/// then runs the function.
///
/// The function takes no parameter, or one: the spawn argument, decoded as
/// a term (serde) of the parameter's type (a spawn argument that is not
/// one ends the process with a reason that says so). It returns `()`,
/// `Result<(), E>` with `E: Display` (an `Err` ends the process with its
/// text as the reason) or a `warren::Reason`.
///
/// ```ignore
/// #[warren::main]
/// fn main() {
///     let msg = warren::receive();
///     // ...
/// }
///
/// #[warren::main]
/// fn worker(config: (String, u32)) -> Result<(), String> {
///     // spawned with `warren::spawn("worker", &warren::term::to_vec(&config)?)`
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        let attr = proc_macro2::TokenStream::from(attr);
        return syn::Error::new_spanned(attr, "#[warren::main] takes no arguments").to_compile_error().into();
    }
    let function = parse_macro_input!(item as ItemFn);
    match expand(function) {
        Ok(tokens) => tokens.into(),
        Err(error) => error.to_compile_error().into(),
    }
}

fn expand(mut function: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let sig = &function.sig;
    if let Some(asyncness) = &sig.asyncness {
        return Err(syn::Error::new_spanned(asyncness, "#[warren::main] functions cannot be async"));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(&sig.generics, "#[warren::main] functions cannot be generic"));
    }
    if sig.inputs.len() > 1 {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            "#[warren::main] functions take no parameter or one (the spawn argument)",
        ));
    }
    if let Some(FnArg::Receiver(receiver)) = sig.inputs.first() {
        return Err(syn::Error::new_spanned(receiver, "#[warren::main] functions cannot take self"));
    }
    let export = sig.ident.clone();
    let inner = format_ident!("__warren_main_{}", export);
    function.sig.ident = inner.clone();
    let run = if function.sig.inputs.is_empty() {
        quote! { ::warren::__private::run_main(#inner) }
    } else {
        quote! { ::warren::__private::run_main_with(#inner) }
    };
    Ok(quote! {
        #function

        /// The process entry made by `#[warren::main]`.
        #[unsafe(no_mangle)]
        pub extern "C" fn #export() {
            #run
        }
    })
}
