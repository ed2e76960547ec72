//! What the generated client holds, read from its syntax tree: the builder
//! of each operation with its fields, the type each `send()` decodes, and
//! the request types with their fields. Types are written back as paths
//! that resolve inside `kernel` (`crate::types::Browser`).

use quote::ToTokens;
use std::collections::HashMap;
use syn::{Fields, GenericArgument, Item, PathArguments, ReturnType, Type};

/// One field of a request type (a typify struct).
#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub ident: String,
    pub ty: Type,
    pub docs: String,
    /// `#[serde(default)]`: may be left out.
    pub default: bool,
}

#[derive(Clone, Debug)]
pub enum TypeInfo {
    Struct {
        fields: Vec<FieldInfo>,
    },
    /// A newtype over `String`: constructed with `TryFrom<String>`.
    StringNewtype,
    /// Anything else: an enum, a tuple struct. `parts` are the types inside
    /// it (variant payloads, tuple fields), for the checks that must see
    /// through it.
    Other {
        parts: Vec<Type>,
    },
}

#[derive(Clone, Debug)]
pub struct BuilderInfo {
    /// `(field, type inside Result<_, String>)`, `client` left out.
    pub fields: Vec<(String, Type)>,
    /// `T` of `send() -> Result<ResponseValue<T>, _>`.
    pub response: Type,
}

/// The generated client, indexed.
#[derive(Debug, Default)]
pub struct Sys {
    /// Client method → builder struct name.
    pub methods: HashMap<String, String>,
    pub builders: HashMap<String, BuilderInfo>,
    pub types: HashMap<String, TypeInfo>,
}

impl Sys {
    pub fn read(file: &syn::File) -> Result<Self, String> {
        let mut sys = Sys::default();
        for item in &file.items {
            match item {
                Item::Mod(m) if m.ident == "types" => {
                    let items = &m.content.as_ref().ok_or("empty types module")?.1;
                    sys.read_types(items);
                }
                Item::Mod(m) if m.ident == "builder" => {
                    let items = &m.content.as_ref().ok_or("empty builder module")?.1;
                    sys.read_builders(items)?;
                }
                Item::Impl(i) if i.trait_.is_none() && type_name(&i.self_ty) == "Client" => {
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            if let ReturnType::Type(_, ty) = &f.sig.output {
                                let text = ty.to_token_stream().to_string().replace(' ', "");
                                if let Some(rest) = text.strip_prefix("builder::") {
                                    let name = rest.split('<').next().unwrap_or_default();
                                    sys.methods
                                        .insert(f.sig.ident.to_string(), name.to_string());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if sys.methods.is_empty() || sys.builders.is_empty() {
            return Err("the generated client has no operation builders".into());
        }
        Ok(sys)
    }

    pub(crate) fn read_types(&mut self, items: &[Item]) {
        for item in items {
            match item {
                Item::Struct(s) => {
                    let info = match &s.fields {
                        Fields::Named(named) => TypeInfo::Struct {
                            fields: named
                                .named
                                .iter()
                                .map(|f| FieldInfo {
                                    ident: f
                                        .ident
                                        .as_ref()
                                        .map(ToString::to_string)
                                        .unwrap_or_default(),
                                    ty: f.ty.clone(),
                                    docs: docs(&f.attrs),
                                    default: serde_default(&f.attrs),
                                })
                                .collect(),
                        },
                        Fields::Unnamed(un)
                            if un.unnamed.len() == 1
                                && type_name(&un.unnamed[0].ty) == "String" =>
                        {
                            TypeInfo::StringNewtype
                        }
                        fields => TypeInfo::Other {
                            parts: field_types(fields),
                        },
                    };
                    self.types.insert(s.ident.to_string(), info);
                }
                Item::Enum(e) => {
                    let parts = e.variants.iter().flat_map(|v| field_types(&v.fields));
                    let parts = parts.collect();
                    self.types
                        .insert(e.ident.to_string(), TypeInfo::Other { parts });
                }
                _ => {}
            }
        }
    }

    fn read_builders(&mut self, items: &[Item]) -> Result<(), String> {
        let mut responses = HashMap::new();
        for item in items {
            match item {
                Item::Struct(s) => {
                    let Fields::Named(named) = &s.fields else {
                        continue;
                    };
                    let fields = named
                        .named
                        .iter()
                        .filter(|f| f.ident.as_ref().is_some_and(|i| i != "client"))
                        .filter_map(|f| {
                            let inner = first_generic(&f.ty)?;
                            Some((f.ident.as_ref()?.to_string(), inner))
                        })
                        .collect();
                    self.builders.insert(
                        s.ident.to_string(),
                        BuilderInfo {
                            fields,
                            response: syn::parse_quote!(()),
                        },
                    );
                }
                Item::Impl(i) if i.trait_.is_none() => {
                    for it in &i.items {
                        let syn::ImplItem::Fn(f) = it else { continue };
                        if f.sig.ident != "send" {
                            continue;
                        }
                        let ReturnType::Type(_, ty) = &f.sig.output else {
                            continue;
                        };
                        // Result<ResponseValue<T>, Error<()>>
                        let value = first_generic(ty).and_then(|rv| first_generic(&rv));
                        if let Some(value) = value {
                            responses.insert(type_name(&i.self_ty), value);
                        }
                    }
                }
                _ => {}
            }
        }
        for (name, response) in responses {
            if let Some(b) = self.builders.get_mut(&name) {
                b.response = response;
            }
        }
        Ok(())
    }
}

/// The last path segment's name: `::std::string::String` → `String`.
pub fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The types of a struct's or variant's fields.
fn field_types(fields: &Fields) -> Vec<Type> {
    fields.iter().map(|f| f.ty.clone()).collect()
}

/// The type arguments of the last path segment.
pub fn generics(ty: &Type) -> Vec<Type> {
    let Type::Path(p) = ty else { return Vec::new() };
    let Some(last) = p.path.segments.last() else {
        return Vec::new();
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn first_generic(ty: &Type) -> Option<Type> {
    generics(ty).into_iter().next()
}

/// The path's segments as written: `crate::open::X` → `["crate", "open", "X"]`.
pub fn segments(ty: &Type) -> Vec<String> {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect(),
        _ => Vec::new(),
    }
}

fn docs(attrs: &[syn::Attribute]) -> String {
    let mut out = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &a.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                out.push(s.value());
            }
        }
    }
    out.join("\n").trim().to_string()
}

fn serde_default(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("serde")
            && a.to_token_stream()
                .to_string()
                .split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|w| w == "default")
    })
}
