//! Recorded-style provider bytes shipped in `fixtures/`: SSE streams (`.sse`),
//! NDJSON streams (`.ndjson`) and JSON bodies (`.json`). `fixtures/EXPECTED.md` says what each one holds.

use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");

/// The bytes of fixture `name` (e.g. `"openai_text.sse"`); panics if it does not exist.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(DIR).join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {name:?} not found at {} ({e}); known fixtures: {:?}",
            path.display(),
            fixture_names()
        )
    })
}

/// The names of all fixtures (`.sse`, `.ndjson` and `.json` files), sorted.
pub fn fixture_names() -> Vec<String> {
    let entries = std::fs::read_dir(DIR).unwrap_or_else(|e| panic!("cannot list fixtures in {DIR}: {e}"));
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| [".sse", ".ndjson", ".json"].iter().any(|ext| name.ends_with(ext)))
        .collect();
    names.sort();
    names
}
