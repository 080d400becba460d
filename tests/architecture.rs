//! The road from socket to page goes one way: no module of a crate (its root lib.rs or main.rs
//! included) or of the page imports, directly or through others, a module that imports it back
//! (docs/ARCHITECTURE.md; the graphs are read by `modules/`, and the tests below plant a cycle of
//! each kind in a scratch folder to show it is caught). And the core alone knows the providers and
//! protocols: the app and the page learn them through IPC, and compare a message's role by the
//! generated `Role`, never as a string.

mod literals;
mod modules;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use runnel_core::catalog::CUSTOM;
use runnel_core::provider::PROTOCOLS;
use runnel_core::{Catalog, Role};

use modules::files;

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cycles = Vec::new();
    for src in [
        "crates/core/src",
        "crates/cli/src",
        "crates/testkit/src",
        "src-tauri/src",
    ] {
        let src = root.join(src);
        let mut read = BTreeSet::new();
        for crate_root in crate_roots(&src) {
            let crate_modules = modules::rust::crate_modules(&crate_root);
            if let Some(cycle) = crate_modules.cycle() {
                let crate_root = crate_root.strip_prefix(root).unwrap().display();
                cycles.push(format!("an import cycle in the crate of {crate_root}:\n{cycle}"));
            }
            read.extend(crate_modules.files);
        }
        let mut all = Vec::new();
        files(&src, "rs", &mut all);
        let unread: Vec<&PathBuf> = all.iter().filter(|file| !read.contains(*file)).collect();
        assert!(
            unread.is_empty(),
            "no crate declares these files, so they were not read: {unread:?}"
        );
        assert!(read.len() > 3, "{} was read", src.display());
    }
    let page = modules::typescript::page_modules(&root.join("ui/src"));
    assert!(page.graph.len() > 10, "ui/src was read");
    if let Some(cycle) = page.cycle() {
        cycles.push(format!("an import cycle in ui/src:\n{cycle}"));
    }
    assert!(cycles.is_empty(), "{}", cycles.join("\n\n"));
}

/// The roots of the crates whose sources are in `src`: lib.rs, main.rs and each of `bin/`.
fn crate_roots(src: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .into_iter()
        .map(|file| src.join(file))
        .filter(|file| file.is_file())
        .collect();
    if let Ok(bins) = std::fs::read_dir(src.join("bin")) {
        for entry in bins {
            let path = entry.unwrap().path();
            roots.push(if path.is_dir() { path.join("main.rs") } else { path });
        }
    }
    roots
}

/// A scratch folder holding `sources` (each a path under it and its text).
fn plant(sources: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in sources {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The import cycle of the planted crate whose root is `root`, if the test finds one.
fn rust_cycle(sources: &[(&str, &str)], root: &str) -> Option<String> {
    let dir = plant(sources);
    modules::rust::crate_modules(&dir.path().join(root)).cycle()
}

/// The import cycle of a planted page, if the test finds one.
fn page_cycle(sources: &[(&str, &str)]) -> Option<String> {
    let dir = plant(sources);
    modules::typescript::page_modules(dir.path()).cycle()
}

#[test]
fn a_rust_cycle_through_grouped_imports_is_found() {
    let lib = "mod a;\nmod b;\nmod c;\n";
    // a → b only in a nested group, b → a only in a group over several lines.
    let a = "//! A.\nuse crate::{c::C, b::{self, Beta}};\npub struct Alpha;\n";
    let b = "//! B.\npub use crate::{\n    a::{Alpha as First},\n};\npub struct Beta;\n";
    let found = rust_cycle(
        &[("lib.rs", lib), ("a.rs", a), ("b.rs", b), ("c.rs", "pub struct C;")],
        "lib.rs",
    );
    let found = found.expect("the cycle a → b → a is found");
    assert!(found.contains("a → b (a.rs:2 names `crate::b`)"), "{found}");
    assert!(found.contains("b → a (b.rs:3 names `crate::a::Alpha`)"), "{found}");

    // The same through `super::` from a submodule, and a path in the code.
    let a = "//! A.\nmod inner;\n";
    let inner = "use super::super::{b::Beta};\n";
    let b = "pub struct Beta;\nfn f() { crate::a::g() }\n";
    let lib = "mod a;\nmod b;\n";
    let found = rust_cycle(
        &[("lib.rs", lib), ("a.rs", a), ("a/inner.rs", inner), ("b.rs", b)],
        "lib.rs",
    );
    assert!(found.is_some(), "the cycle a → b → a through a::inner is found");

    // One way only: no cycle.
    let a = "use crate::{b::{self, Beta}};\n";
    let found = rust_cycle(
        &[("lib.rs", lib), ("a.rs", a), ("b.rs", "pub struct Beta;\n")],
        "lib.rs",
    );
    assert_eq!(found, None);
}

#[test]
fn a_rust_cycle_through_the_crate_root_is_found() {
    // A module uses an item of lib.rs, whose code uses the module.
    let lib = "mod a;\npub fn helper() {}\npub fn run() { a::go() }\n";
    let a = "pub fn go() { crate::helper() }\n";
    let found = rust_cycle(&[("lib.rs", lib), ("a.rs", a)], "lib.rs").expect("the cycle through lib.rs is found");
    assert!(found.contains("lib.rs → a (lib.rs:3 names `a::go`)"), "{found}");
    // main.rs's items, named in a group.
    let main = "mod a;\nstruct Args;\nconst EXIT: u8 = 1;\nfn main() { a::run(Args) }\n";
    let a = "use crate::{Args, EXIT};\npub fn run(_: Args) -> u8 { EXIT }\n";
    let found = rust_cycle(&[("main.rs", main), ("a.rs", a)], "main.rs");
    assert!(found.is_some_and(|found| found.contains("a → main.rs (a.rs:1 names `crate::Args`)")));
    // A name lib.rs re-exports is its module's: b uses a's `Alpha` through the root, no cycle.
    let lib = "mod a;\nmod b;\npub use a::Alpha;\npub use b::Beta;\n";
    let b = "use crate::Alpha;\npub struct Beta(Alpha);\n";
    let found = rust_cycle(
        &[("lib.rs", lib), ("a.rs", "pub struct Alpha;\n"), ("b.rs", b)],
        "lib.rs",
    );
    assert_eq!(found, None);
    // ... unless a uses b back.
    let a = "pub struct Alpha;\nfn f(_: crate::Beta) {}\n";
    let found = rust_cycle(&[("lib.rs", lib), ("a.rs", a), ("b.rs", b)], "lib.rs");
    assert!(found.is_some_and(|found| found.contains("a → b (a.rs:2 names `crate::Beta`)")));
}

#[test]
fn a_typescript_cycle_through_a_files_first_import_is_found() {
    // Each file's first import, at the very start of one and after a comment in the other.
    let a = "import { b } from \"./b\";\nexport const a = () => b;\n";
    let b = "/** B. */\nimport type { A } from \"./a\";\nexport const b: A | null = null;\n";
    let found = page_cycle(&[("a.ts", a), ("b.ts", b)]).expect("the cycle a → b → a is found");
    assert!(found.contains("a.ts → b.ts (a.ts:1 imports \"./b\")"), "{found}");
    assert!(found.contains("b.ts → a.ts (b.ts:2 imports \"./a\")"), "{found}");
    // Through a folder, an import over several lines and one for its effect only.
    let a = "import {\n  b,\n} from \"./views/b\";\nexport const a = b;\n";
    let b = "import \"../a\";\nexport const b = 1;\n";
    assert!(page_cycle(&[("a.ts", a), ("views/b.ts", b)]).is_some());
    // One way only: no cycle.
    let b = "export const b = 1;\n";
    assert_eq!(page_cycle(&[("a.ts", a), ("views/b.ts", b)]), None);
}

#[test]
fn a_typescript_cycle_through_export_from_is_found() {
    let a = "// A.\nexport { b } from \"./b\";\n";
    let b = "export * from \"./a\";\n";
    let found = page_cycle(&[("a.ts", a), ("b.ts", b)]).expect("the cycle a → b → a is found");
    assert!(found.contains("a.ts → b.ts (a.ts:2 imports \"./b\")"), "{found}");
    assert!(found.contains("b.ts → a.ts (b.ts:1 imports \"./a\")"), "{found}");
    let b = "export type * from \"./a\";\n";
    assert!(page_cycle(&[("a.ts", a), ("b.ts", b)]).is_some());
}

#[test]
#[should_panic(expected = "names no file")]
fn a_typescript_import_of_no_file_fails() {
    page_cycle(&[("a.ts", "import { b } from \"./b.mjs\";\n")]);
}

/// Every id and name of a built-in provider (the `custom` template's id is a word, not a
/// provider) and of a protocol, in lower case.
fn provider_and_protocol_names() -> BTreeSet<String> {
    let catalog = Catalog::builtin();
    let providers = catalog.all().iter().flat_map(|def| {
        let id = (def.id != CUSTOM).then(|| def.id.clone());
        id.into_iter().chain([def.name.clone()])
    });
    let protocols = PROTOCOLS
        .iter()
        .flat_map(|protocol| [protocol.id().to_owned(), protocol.name().to_owned()]);
    providers.chain(protocols).map(|name| name.to_lowercase()).collect()
}

/// Whether `text` holds `name` as a word of its own (not inside a longer run of letters and
/// digits), ignoring case.
fn names(text: &str, name: &str) -> bool {
    let (text, name) = (text.to_lowercase(), name.to_lowercase());
    text.match_indices(&name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
    })
}

/// `text` without the `{name}` placeholders of a format string: they name a value, in code.
fn without_placeholders(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        kept.push_str(&rest[..open]);
        let inside = &rest[open + 1..];
        let name_len = inside
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(inside.len());
        match inside[name_len..].find('}') {
            Some(close) if name_len > 0 && (close == 0 || inside[name_len..].starts_with(':')) => {
                rest = &inside[name_len + close + 1..];
            }
            _ => {
                kept.push('{');
                rest = inside;
            }
        }
    }
    kept.push_str(rest);
    kept
}

/// The string literals of the app's Rust (tests left out) and of the page's TypeScript (tests,
/// their helpers in `testing.ts` and the generated types left out), each with its file.
fn app_and_page_literals(root: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut paths = Vec::new();
    files(&root.join("src-tauri/src"), "rs", &mut paths);
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let file = path.strip_prefix(root).unwrap().display().to_string();
        found.extend(
            literals::rust(code)
                .into_iter()
                .map(|literal| (file.clone(), without_placeholders(&literal))),
        );
    }
    paths.clear();
    files(&root.join("ui/src"), "ts", &mut paths);
    for path in &paths {
        let file = path.strip_prefix(root).unwrap().display().to_string();
        if file.ends_with(".test.ts") || file == "ui/src/testing.ts" || file.starts_with("ui/src/generated/") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        found.extend(
            literals::typescript(&text)
                .into_iter()
                .map(|literal| (file.clone(), literal)),
        );
    }
    found
}

#[test]
fn the_app_and_the_page_name_no_provider_or_protocol() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names_known = provider_and_protocol_names();
    assert!(names_known.len() > 10, "the catalog was read: {names_known:?}");
    let literals = app_and_page_literals(root);
    assert!(literals.len() > 500, "the sources were read");
    let naming: Vec<String> = literals
        .iter()
        .flat_map(|(file, literal)| {
            names_known
                .iter()
                .filter(|name| names(literal, name))
                .map(move |name| format!("{file}: {literal:?} names {name:?}"))
        })
        .collect();
    assert!(
        naming.is_empty(),
        "a provider or protocol is named outside the core (learn it through IPC):\n{}",
        naming.join("\n")
    );
}

#[test]
fn no_role_is_a_string_of_the_app_or_the_page() {
    // TypeScript lets a string enum be compared with a string: only this keeps `role === "user"`
    // out, so roles are compared by name (`Role.user`, `Role::User`).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let words: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
    let strings: Vec<String> = app_and_page_literals(root)
        .into_iter()
        .filter(|(_, literal)| words.contains(&literal.as_str()))
        .map(|(file, literal)| format!("{file}: {literal:?}"))
        .collect();
    assert!(
        strings.is_empty(),
        "a role written as a string (use the generated Role):\n{}",
        strings.join("\n")
    );
}

#[test]
fn a_name_is_found_as_a_word_only() {
    assert!(names("You're on the offline demo model", "demo"));
    assert!(names("runnel.demo-hint", "demo"));
    assert!(names("From OPENAI_API_KEY", "openai"));
    assert!(names("Chat with OpenAI or Anthropic", "Anthropic"));
    assert!(!names("a demonstration", "demo"));
    assert!(!names("grok", "groq"));
    assert_eq!(without_placeholders("{DEMO}/{} {x:?} {"), "/{}  {");
}
