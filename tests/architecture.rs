//! The road from socket to page goes one way: no module of a crate (or of the page) imports,
//! directly or through others, a module that imports it back (docs/ARCHITECTURE.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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
