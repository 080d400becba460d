//! Module graphs, read from source: a Rust crate's top-level modules and its root (`rust.rs`), the
//! page's files (`typescript.rs`), each with the modules it imports and where it says so; and the
//! cycle finder that checks the road goes one way.

pub mod rust;
pub mod typescript;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module and the modules it imports.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// A module graph, the files read for it, and where each import was read.
#[derive(Debug, Default)]
pub struct Modules {
    /// Each module (a crate's root by its file name, lib.rs or main.rs; a page file by its path
    /// under the folder read) and those it imports.
    pub graph: Graph,
    /// The files read.
    pub files: BTreeSet<PathBuf>,
    /// For each import (`from`, `to`), the first place it was read.
    reasons: BTreeMap<(String, String), String>,
}

impl Modules {
    fn add(&mut self, from: &str, to: &str, reason: String) {
        if from == to {
            return;
        }
        self.graph.entry(from.to_owned()).or_default().insert(to.to_owned());
        self.reasons.entry((from.to_owned(), to.to_owned())).or_insert(reason);
    }

    /// A cycle of the graph, if it has one, each import with where it was read: `a → b
    /// (a.rs:3 names `crate::b::f`)`, one a line.
    pub fn cycle(&self) -> Option<String> {
        let found = cycle(&self.graph)?;
        let steps: Vec<String> = found
            .windows(2)
            .map(|pair| {
                let reason = &self.reasons[&(pair[0].clone(), pair[1].clone())];
                format!("{} → {} ({reason})", pair[0], pair[1])
            })
            .collect();
        Some(steps.join("\n"))
    }
}

/// A cycle of `graph`, if it has one: its modules in order, the first repeated at the end.
pub fn cycle(graph: &Graph) -> Option<Vec<String>> {
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

/// The files under `dir` whose names end with `.{extension}`, in every folder below it.
pub fn files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, extension, out);
        } else if path.extension().is_some_and(|ext| ext == extension) {
            out.push(path);
        }
    }
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
