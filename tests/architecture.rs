//! The road from socket to page goes one way: no module of a crate (or of the page) imports,
//! directly or through others, a module that imports it back (docs/ARCHITECTURE.md). And the
//! core alone knows the providers and protocols: the app and the page learn them through IPC,
//! and compare a message's role by the generated `Role`, never as a string.

mod literals;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use runnel_core::catalog::CUSTOM;
use runnel_core::provider::PROTOCOLS;
use runnel_core::{Catalog, Role};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, extension, out);
        } else if path.extension().is_some_and(|ext| ext == extension) {
            out.push(path);
        }
    }
}

/// A Rust crate's top-level modules and the others each one names through `crate::` (tests and
/// comments left out).
fn rust_modules(src: &Path) -> Graph {
    let mut graph = Graph::new();
    let mut paths = Vec::new();
    files(src, "rs", &mut paths);
    for path in paths {
        let relative = path.strip_prefix(src).unwrap().to_string_lossy().into_owned();
        let module = relative.split(['/', '.']).next().unwrap().to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let deps = graph.entry(module.clone()).or_default();
        for line in code.lines().filter(|line| !line.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let name: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != module && name.chars().next().unwrap().is_lowercase() {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

/// The page's modules and the ones each imports for its code (type-only imports left out).
fn page_modules(src: &Path) -> Graph {
    let mut graph = Graph::new();
    let mut paths = Vec::new();
    files(src, "ts", &mut paths);
    for path in paths
        .iter()
        .filter(|path| !path.to_string_lossy().ends_with(".test.ts"))
    {
        let text = std::fs::read_to_string(path).unwrap();
        let module = path.with_extension("").to_string_lossy().into_owned();
        let deps = graph.entry(module).or_default();
        for statement in text.split(';').map(str::trim) {
            if !statement.starts_with("import ") || statement.starts_with("import type ") {
                continue;
            }
            if let Some(target) = statement.split('"').nth(1).filter(|target| target.starts_with('.')) {
                let joined = path.parent().unwrap().join(target);
                let mut normal = PathBuf::new();
                for part in joined.components() {
                    match part {
                        std::path::Component::ParentDir => {
                            normal.pop();
                        }
                        std::path::Component::CurDir => {}
                        other => normal.push(other),
                    }
                }
                deps.insert(normal.to_string_lossy().into_owned());
            }
        }
    }
    graph
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(node: &str, graph: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|seen| seen == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in [
        "crates/core/src",
        "crates/cli/src",
        "crates/testkit/src",
        "src-tauri/src",
    ] {
        let graph = rust_modules(&root.join(src));
        assert!(graph.len() > 3, "{src} was read");
        assert_eq!(cycle(&graph), None, "an import cycle in {src}");
    }
    let page = page_modules(&root.join("ui/src"));
    assert!(page.len() > 10, "ui/src was read");
    assert_eq!(cycle(&page), None, "an import cycle in ui/src");
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
        .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let graph: Graph = [("a", "b"), ("b", "c")]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
        .collect();
    assert_eq!(cycle(&graph), None);
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
