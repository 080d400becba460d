//! The app's commands as the page calls them, read from their own signatures: every
//! `#[tauri::command]` function under src-tauri/src, the arguments `invoke` takes (those Tauri
//! injects, such as `State`, left out) and what it resolves to, in TypeScript.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use syn::{FnArg, GenericArgument, Item, ItemFn, Pat, PathArguments, ReturnType, Type};

/// Arguments Tauri fills in itself: the page never passes them.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

/// One command: its arguments (name, type) in order and the type its `AppResult` carries.
pub struct Command {
    /// The arguments the page passes, by their snake_case names.
    pub args: Vec<(String, Type)>,
    /// What the call resolves to.
    pub returns: Type,
}

/// Every `#[tauri::command]` function in the `.rs` files under `dir`, by name.
pub fn commands(dir: &Path) -> BTreeMap<String, Command> {
    let mut found = BTreeMap::new();
    let mut paths = Vec::new();
    rust_files(dir, &mut paths);
    for path in paths {
        let file = syn::parse_file(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        for item in file.items {
            if let Item::Fn(function) = item
                && let Some(command) = command(&function, &path)
            {
                let name = function.sig.ident.to_string();
                assert!(
                    found.insert(name.clone(), command).is_none(),
                    "two commands are named {name}"
                );
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// `function` as a command, if it is one; it must take its arguments in snake_case, as the page
/// passes them, and return an `AppResult`.
fn command(function: &ItemFn, path: &Path) -> Option<Command> {
    let attribute = function.attrs.iter().find(|attr| {
        let segments: Vec<String> = attr.path().segments.iter().map(|s| s.ident.to_string()).collect();
        segments == ["tauri", "command"]
    })?;
    let name = &function.sig.ident;
    let options = attribute
        .meta
        .require_list()
        .map(|list| list.tokens.to_string())
        .unwrap_or_default();
    assert!(
        options.replace(' ', "") == "rename_all=\"snake_case\"",
        "{}: command {name} must be #[tauri::command(rename_all = \"snake_case\")]: the page passes snake_case arguments",
        path.display()
    );
    let args = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(arg) if !INJECTED.contains(&last_segment(&arg.ty).as_str()) => match &*arg.pat {
                Pat::Ident(ident) => Some((ident.ident.to_string(), (*arg.ty).clone())),
                _ => panic!(
                    "{}: command {name} takes an argument without a plain name",
                    path.display()
                ),
            },
            _ => None,
        })
        .collect();
    let returns = match &function.sig.output {
        ReturnType::Type(_, ty) if last_segment(ty) == "AppResult" => generic(ty, 0).clone(),
        _ => panic!("{}: command {name} must return an AppResult", path.display()),
    };
    Some(Command { args, returns })
}

/// The name of the last segment of `ty`'s path (`State` for `tauri::State<'_, AppState>`).
fn last_segment(ty: &Type) -> String {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The `index`th type argument of `ty` (`T` of `Option<T>`).
fn generic(ty: &Type, index: usize) -> &Type {
    let Type::Path(path) = ty else {
        panic!("`{}` has no type arguments", last_segment(ty))
    };
    let PathArguments::AngleBracketed(arguments) = &path.path.segments.last().unwrap().arguments else {
        panic!("`{}` has no type arguments", last_segment(ty))
    };
    arguments
        .args
        .iter()
        .filter_map(|argument| match argument {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .nth(index)
        .unwrap_or_else(|| panic!("`{}` has too few type arguments", last_segment(ty)))
}

/// `ty` in TypeScript, as serde sends it and the generated declarations (`declared`) name it;
/// `Channel<T>` is `@tauri-apps/api/core`'s. A type that is none of these is an error naming it.
pub fn typescript(ty: &Type, declared: &BTreeSet<String>) -> Result<String, String> {
    if let Type::Tuple(tuple) = ty
        && tuple.elems.is_empty()
    {
        return Ok("null".into());
    }
    let name = last_segment(ty);
    Ok(match name.as_str() {
        "String" => "string".into(),
        "bool" => "boolean".into(),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" | "f32" | "f64" => {
            "number".into()
        }
        "Option" => format!("{} | null", typescript(generic(ty, 0), declared)?),
        "Vec" => match typescript(generic(ty, 0), declared)? {
            item if item.contains(' ') => format!("({item})[]"),
            item => format!("{item}[]"),
        },
        "Channel" => format!("Channel<{}>", typescript(generic(ty, 0), declared)?),
        _ if declared.contains(&name) => name,
        _ => {
            return Err(format!(
                "`{name}` crosses IPC but is not a generated type: derive ts_rs::TS and add it to tests/bindings.rs"
            ));
        }
    })
}
