//! A Rust crate's module graph: its top-level modules and its root (lib.rs, main.rs or a
//! `src/bin` file), each with the others its code names. Read by a scanner that knows comments,
//! strings, chars and lifetimes, from every `use` (grouped, nested, `pub use`, `super::`,
//! `self::`, over several lines) and every path in the code (`crate::a::f()`, and `a::f()` where
//! `a` is declared). Items marked `#[cfg(test)]` are left out: a test may reach anywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Modules;

/// The modules of the crate whose root is `root` (found from its `mod` declarations), and the
/// modules each names. `crate::X`, where `X` is no module, names the module the root brings `X` in
/// from (by `use` or `pub use`: the root's modules see both), nothing when it comes from another
/// crate, and the root itself when `X` is the root's own item. Panics on a `mod` without a file.
pub fn crate_modules(root: &Path) -> Modules {
    let root_name = root.file_name().unwrap().to_string_lossy().into_owned();
    let mut read: Vec<(PathBuf, Vec<String>, Scan)> = Vec::new();
    let mut pending = vec![(root.to_path_buf(), Vec::new())];
    while let Some((path, module)) = pending.pop() {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let scan = scan(&text);
        let dir = children_dir(&path, module.is_empty());
        for declared in scan.modules.iter().filter(|declared| declared.file) {
            let dir = declared.inside.iter().fold(dir.clone(), |dir, inline| dir.join(inline));
            // `mod $name;` in a macro (the provider registry's `protocols!`) declares the modules
            // its invocation lists: the folder's files that no other `mod` there declares.
            let names = if declared.name.starts_with('$') {
                undeclared_files(&dir, &path, &scan, &declared.inside)
            } else {
                vec![declared.name.clone()]
            };
            for name in names {
                let file = [dir.join(format!("{name}.rs")), dir.join(&name).join("mod.rs")]
                    .into_iter()
                    .find(|file| file.is_file())
                    .unwrap_or_else(|| panic!("{}: `mod {name};` has no file", path.display()));
                let child = module.iter().chain(&declared.inside).chain([&name]).cloned().collect();
                pending.push((file, child));
            }
        }
        read.push((path, module, scan));
    }

    let root_scan = &read.iter().find(|(_, module, _)| module.is_empty()).unwrap().2;
    let top: Vec<String> = root_scan
        .modules
        .iter()
        .filter(|declared| declared.inside.is_empty())
        .map(|declared| declared.name.clone())
        .collect();
    // The names a `use` of the root brings in, and the node each comes from (None: another crate).
    let in_crate = |full: &[String]| match full.first() {
        Some(first) if top.contains(first) => first.clone(),
        _ => root_name.clone(),
    };
    let mut bound: BTreeMap<String, Option<String>> = BTreeMap::new();
    for named in root_scan.paths.iter().filter(|named| named.inside.is_empty()) {
        if let Some(name) = &named.binds {
            let from = resolve(root_scan, &[], &[], &named.segments).map(|full| in_crate(&full));
            bound.insert(name.clone(), from);
        }
    }
    let node = |full: &[String]| -> Option<String> {
        match full.first() {
            Some(first) if !top.contains(first) && bound.contains_key(first) => bound[first].clone(),
            _ => Some(in_crate(full)),
        }
    };

    let mut modules = Modules::default();
    for name in top.iter().chain([&root_name]) {
        modules.graph.entry(name.clone()).or_default();
    }
    let base = root.parent().unwrap();
    for (path, module, scan) in &read {
        let file = path.strip_prefix(base).unwrap_or(path).display().to_string();
        for named in &scan.paths {
            let here: Vec<String> = module.iter().chain(&named.inside).cloned().collect();
            let Some(to) = resolve(scan, &here, &named.inside, &named.segments).and_then(|full| node(&full)) else {
                continue;
            };
            let reason = format!("{file}:{} names `{}`", named.line, named.segments.join("::"));
            modules.add(&in_crate(&here), &to, reason);
        }
        modules.files.insert(path.clone());
    }
    modules
}

/// The modules whose files are in `dir` (`name.rs`, `name/mod.rs`) and that the file `path`
/// (read as `scan`) declares by no `mod name` of their own in its inline modules `inside`.
fn undeclared_files(dir: &Path, path: &Path, scan: &Scan, inside: &[String]) -> Vec<String> {
    let declared = |name: &str| {
        scan.modules
            .iter()
            .any(|declared| declared.inside == inside && declared.name == name)
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|file| *file != path)
        .filter_map(|file| match file.extension() {
            Some(extension) if extension == "rs" => Some(file.file_stem()?.to_string_lossy().into_owned()),
            None if file.join("mod.rs").is_file() => Some(file.file_name()?.to_string_lossy().into_owned()),
            _ => None,
        })
        .filter(|name| name != "mod" && !declared(name))
        .collect();
    names.sort();
    names
}

/// Where the files of the modules a file declares are: beside a crate root or a `mod.rs`, in a
/// folder named after the module otherwise.
fn children_dir(path: &Path, is_root: bool) -> PathBuf {
    let dir = path.parent().unwrap().to_path_buf();
    if is_root || path.file_name().is_some_and(|name| name == "mod.rs") {
        dir
    } else {
        dir.join(path.file_stem().unwrap())
    }
}

/// The crate path (from the root) that `segments`, written in the module `here`, names: `crate::`,
/// `self::` and `super::` paths, and those starting with a module declared where they are written
/// (`inside` the file's inline modules). None for a path that does not start in this crate
/// (`std::`, `Self::`, a type's associated item).
fn resolve(scan: &Scan, here: &[String], inside: &[String], segments: &[String]) -> Option<Vec<String>> {
    let first = segments.first()?;
    let (base, rest): (&[String], &[String]) = if first == "crate" || first == "$crate" {
        (&[], &segments[1..])
    } else if first == "self" {
        (here, &segments[1..])
    } else if first == "super" {
        let ups = segments.iter().take_while(|segment| *segment == "super").count();
        (&here[..here.len().checked_sub(ups)?], &segments[ups..])
    } else if scan
        .modules
        .iter()
        .any(|declared| declared.inside == inside && declared.name == *first)
    {
        (here, segments)
    } else {
        return None;
    };
    Some(base.iter().chain(rest).cloned().collect())
}

/// What one file says about modules.
#[derive(Debug, Default)]
struct Scan {
    /// The modules it declares (`mod name;` and `mod name { … }`).
    modules: Vec<Declared>,
    /// Every path it names, in a `use` or in the code.
    paths: Vec<Named>,
}

/// A `mod` declaration.
#[derive(Debug, PartialEq)]
struct Declared {
    /// The inline modules it is written in, outermost first.
    inside: Vec<String>,
    name: String,
    /// Whether its body is a file of its own (`mod name;`).
    file: bool,
}

/// A path the code names.
#[derive(Debug)]
struct Named {
    /// The inline modules it is written in, outermost first.
    inside: Vec<String>,
    /// `["crate", "a", "B"]` for `crate::a::B`, whether written whole or in a group.
    segments: Vec<String>,
    /// The name a `use` binds with it (its last segment, or its `as` name); None for a glob or a
    /// path in the code.
    binds: Option<String>,
    line: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    /// `::`
    Colons,
    Punct(char),
}

/// Reads the modules `source` declares and the paths it names, `#[cfg(test)]` items left out.
fn scan(source: &str) -> Scan {
    let lexed = lex(source);
    let tokens: Vec<Token> = lexed.iter().map(|(token, _)| token.clone()).collect();
    let test = test_items(&tokens);
    let mut found = Scan::default();
    // One entry per open `{`: the inline module it opens, if it opens one.
    let mut scopes: Vec<Option<String>> = Vec::new();
    let mut opening_module = None;
    let mut at = 0;
    while at < tokens.len() {
        let line = lexed[at].1;
        match &tokens[at] {
            Token::Punct('{') => scopes.push(opening_module.take()),
            Token::Punct('}') => {
                scopes.pop();
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(name)), Some(Token::Punct(after @ (';' | '{')))) =
                    (tokens.get(at + 1), tokens.get(at + 2))
                {
                    if *after == '{' {
                        opening_module = Some(name.clone());
                    }
                    if !test[at] {
                        let file = *after == ';';
                        found.modules.push(Declared {
                            inside: inside(&scopes),
                            name: name.clone(),
                            file,
                        });
                    }
                }
            }
            // `use<'a>` is a precise capture, not an import.
            Token::Ident(word) if word == "use" && tokens.get(at + 1) != Some(&Token::Punct('<')) => {
                let mut trees = Vec::new();
                let end = use_tree(&tokens, at + 1, &[], &mut trees);
                if !test[at] {
                    let inside = inside(&scopes);
                    found
                        .paths
                        .extend(trees.into_iter().map(|(segments, binds, last)| Named {
                            inside: inside.clone(),
                            segments,
                            binds,
                            line: lexed[last].1,
                        }));
                }
                at = end;
                continue;
            }
            Token::Ident(first)
                if !test[at]
                    && tokens.get(at + 1) == Some(&Token::Colons)
                    && !matches!(
                        at.checked_sub(1).map(|before| &tokens[before]),
                        Some(Token::Colons | Token::Punct('.'))
                    ) =>
            {
                let mut segments = vec![first.clone()];
                let mut next = at + 1;
                while let (Some(Token::Colons), Some(Token::Ident(segment))) = (tokens.get(next), tokens.get(next + 1))
                {
                    segments.push(segment.clone());
                    next += 2;
                }
                found.paths.push(Named {
                    inside: inside(&scopes),
                    segments,
                    binds: None,
                    line,
                });
            }
            _ => {}
        }
        at += 1;
    }
    found
}

/// The names of the inline modules open in `scopes`, outermost first.
fn inside(scopes: &[Option<String>]) -> Vec<String> {
    scopes.iter().flatten().cloned().collect()
}

/// A path of a use tree, the name it binds and the index of its last token.
type UsePath = (Vec<String>, Option<String>, usize);

/// Reads the use tree starting at `at` under `prefix` into `out`; returns the index after it (at
/// its `,`, `}` or `;`).
fn use_tree(tokens: &[Token], mut at: usize, prefix: &[String], out: &mut Vec<UsePath>) -> usize {
    let mut path = prefix.to_vec();
    let mut alias = None;
    let mut last = at;
    loop {
        match tokens.get(at) {
            Some(Token::Colons) => at += 1,
            Some(Token::Ident(word)) if word == "as" => {
                if let Some(Token::Ident(name)) = tokens.get(at + 1) {
                    alias = Some(name.clone());
                }
                at += 2;
            }
            Some(Token::Ident(segment)) => {
                path.push(segment.clone());
                last = at;
                at += 1;
            }
            Some(Token::Punct('*')) => {
                out.push((path, None, at));
                return at + 1;
            }
            Some(Token::Punct('{')) => {
                at += 1;
                while !matches!(tokens.get(at), Some(Token::Punct('}')) | None) {
                    at = use_tree(tokens, at, &path, out);
                    if tokens.get(at) == Some(&Token::Punct(',')) {
                        at += 1;
                    }
                }
                return at + 1;
            }
            _ => break,
        }
    }
    if path.len() > prefix.len() {
        // `a::{self}` names `a` itself.
        if path.len() > 1 && path.last().is_some_and(|last| last == "self") {
            path.pop();
        }
        let binds = alias.or_else(|| path.last().cloned());
        out.push((path, binds, last));
    }
    at
}

/// For each token, whether it belongs to an item marked `#[cfg(test)]` (the attribute, any other
/// attributes after it, and the item up to its `;` or its closing `}`).
fn test_items(tokens: &[Token]) -> Vec<bool> {
    let attribute = [
        Token::Punct('#'),
        Token::Punct('['),
        Token::Ident("cfg".into()),
        Token::Punct('('),
        Token::Ident("test".into()),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    let mut test = vec![false; tokens.len()];
    let mut at = 0;
    while at < tokens.len() {
        if !tokens[at..].starts_with(&attribute) {
            at += 1;
            continue;
        }
        let start = at;
        let mut depth = 0usize;
        at += attribute.len();
        while at < tokens.len() {
            match tokens[at] {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(')' | ']') => depth = depth.saturating_sub(1),
                Token::Punct('}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                // The end of an attribute (`#[…]`) is not the end of the item.
                Token::Punct(';') if depth == 0 => break,
                _ => {}
            }
            at += 1;
        }
        test[start..(at + 1).min(tokens.len())].fill(true);
        at += 1;
    }
    test
}

/// The tokens of `source` with their line numbers: identifiers (keywords and `$name`s included),
/// `::` and other punctuation; comments, literals and lifetimes leave none.
fn lex(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut at = 0;
    let start_of_ident = |c: char| c.is_alphabetic() || c == '_';
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        let from = at;
        match c {
            '/' if next == Some('/') => {
                at = (at..chars.len()).find(|&i| chars[i] == '\n').unwrap_or(chars.len());
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                while at < chars.len() {
                    if chars[at..].starts_with(&['/', '*']) {
                        depth += 1;
                        at += 2;
                    } else if chars[at..].starts_with(&['*', '/']) {
                        depth -= 1;
                        at += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        at += 1;
                    }
                }
            }
            '"' => at = string_end(&chars, at),
            '\'' if next == Some('\\') => {
                at = (at + 3..chars.len())
                    .find(|&i| chars[i] == '\'')
                    .map_or(chars.len(), |i| i + 1);
            }
            '\'' if chars.get(at + 2) == Some(&'\'') => at += 3,
            // A lifetime or a label.
            '\'' => {
                at += 1;
                while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                    at += 1;
                }
            }
            ':' if next == Some(':') => {
                tokens.push((Token::Colons, line));
                at += 2;
            }
            '$' if next.is_some_and(start_of_ident) => {
                let end = ident_end(&chars, at + 1);
                tokens.push((Token::Ident(chars[at..end].iter().collect()), line));
                at = end;
            }
            c if start_of_ident(c) => {
                let end = ident_end(&chars, at);
                let word: String = chars[at..end].iter().collect();
                let after = chars.get(end).copied();
                let hashes = chars[end..].iter().take_while(|c| **c == '#').count();
                if matches!(word.as_str(), "r" | "br" | "cr") && chars.get(end + hashes) == Some(&'"') {
                    let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                    at = (end + hashes + 1..chars.len())
                        .find(|&i| chars[i..].starts_with(&close))
                        .map_or(chars.len(), |i| i + close.len());
                } else if matches!(word.as_str(), "b" | "c") && after == Some('"') {
                    at = string_end(&chars, end);
                } else if word == "b" && after == Some('\'') {
                    let escaped = usize::from(chars.get(end + 1) == Some(&'\\'));
                    at = (end + 2 + escaped..chars.len())
                        .find(|&i| chars[i] == '\'')
                        .map_or(chars.len(), |i| i + 1);
                } else if word == "r" && after == Some('#') && chars.get(end + 1).is_some_and(|c| start_of_ident(*c)) {
                    // A raw identifier: `r#type` is `type`.
                    let raw_end = ident_end(&chars, end + 1);
                    tokens.push((Token::Ident(chars[end + 1..raw_end].iter().collect()), line));
                    at = raw_end;
                } else {
                    tokens.push((Token::Ident(word), line));
                    at = end;
                }
            }
            c if c.is_ascii_digit() => at = ident_end(&chars, at),
            c if c.is_whitespace() => at += 1,
            c => {
                tokens.push((Token::Punct(c), line));
                at += 1;
            }
        }
        line += chars[from..at.min(chars.len())].iter().filter(|c| **c == '\n').count();
    }
    tokens
}

fn ident_end(chars: &[char], mut at: usize) -> usize {
    while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
        at += 1;
    }
    at
}

/// The index after the string literal whose `"` is at `at`.
fn string_end(chars: &[char], mut at: usize) -> usize {
    at += 1;
    while at < chars.len() && chars[at] != '"' {
        at += if chars[at] == '\\' { 2 } else { 1 };
    }
    at + 1
}

#[test]
fn every_use_and_crate_path_is_read_and_tests_comments_and_literals_are_not() {
    let source = r####"//! A module.
use crate::{a, b::{c, d as e}, f::{self, G}};
pub use super::h::*;
pub(crate) use self::i;
use crate::{
    j,
    k::L,
};
use std::fmt;
// use crate::commented;
/* use crate::block /* nested */ commented; */
const S: &str = "crate::in_string \" crate::escaped";
const R: &str = r#"crate::raw " crate::still_raw"#;
fn f<'a>(x: &'a str) -> impl Sized + use<'a> { crate::m::call(); let _ = ('x', '\'', b'"', b'\''); l::n(); x.l::<u8>() }
mod l;
pub mod inline {
    use super::o;
    fn q() { super::super::p(); }
}
#[cfg(test)]
mod tests {
    use crate::tested;
}
#[cfg(test)]
use crate::test_only;
#[cfg(test)]
mod test_file;
fn after() { crate::after_tests::r#type(); }
"####;
    let found = scan(source);
    let paths: Vec<(String, Option<&str>, String)> = found
        .paths
        .iter()
        .filter(|named| named.segments[0] != "std")
        .map(|named| {
            (
                named.segments.join("::"),
                named.binds.as_deref(),
                named.inside.join("::"),
            )
        })
        .collect();
    let expected = [
        ("crate::a", Some("a"), ""),
        ("crate::b::c", Some("c"), ""),
        ("crate::b::d", Some("e"), ""),
        ("crate::f", Some("f"), ""),
        ("crate::f::G", Some("G"), ""),
        ("super::h", None, ""),
        ("self::i", Some("i"), ""),
        ("crate::j", Some("j"), ""),
        ("crate::k::L", Some("L"), ""),
        ("crate::m::call", None, ""),
        ("l::n", None, ""),
        ("super::o", Some("o"), "inline"),
        ("super::super::p", None, "inline"),
        ("crate::after_tests::type", None, ""),
    ];
    let expected: Vec<(String, Option<&str>, String)> = expected
        .into_iter()
        .map(|(path, binds, inside)| (path.to_owned(), binds, inside.to_owned()))
        .collect();
    assert_eq!(paths, expected);
    let declared: Vec<(&str, bool)> = found
        .modules
        .iter()
        .map(|module| (module.name.as_str(), module.file))
        .collect();
    assert_eq!(declared, [("l", true), ("inline", false)]);
    let lines: Vec<usize> = found.paths.iter().take(3).map(|named| named.line).collect();
    assert_eq!(lines, [2, 2, 2]);
    // A group over several lines: each path on its own line.
    assert_eq!(
        found
            .paths
            .iter()
            .find(|named| named.segments == ["crate", "j"])
            .unwrap()
            .line,
        6
    );
}
