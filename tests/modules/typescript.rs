//! The page's module graph: each TypeScript file under a folder and the files it imports, read by a
//! scanner that knows comments, strings, templates and regular expressions, from every form an
//! import takes — `import … from`, `import type`, over several lines, `import "./x"` for its
//! effect, `import("./x")`, `export … from` and `export * from` — wherever it is in the file.

use std::path::{Component, Path, PathBuf};

use super::{Modules, files};

/// The `.ts` files under `src` (tests too: nothing imports a test, so a test closes no cycle),
/// named by their path under it, and the files each imports by a relative path. Panics on a
/// relative import that names no file, which would otherwise leave an import unread.
pub fn page_modules(src: &Path) -> Modules {
    let mut paths = Vec::new();
    files(src, "ts", &mut paths);
    let mut modules = Modules::default();
    let name = |path: &Path| {
        let relative = path.strip_prefix(src).unwrap();
        relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    };
    for path in &paths {
        let from = name(path);
        modules.graph.entry(from.clone()).or_default();
        let text = std::fs::read_to_string(path).unwrap();
        for (specifier, line) in imports(&text)
            .into_iter()
            .filter(|(specifier, _)| specifier.starts_with('.'))
        {
            let target = resolve(path.parent().unwrap(), &specifier)
                .unwrap_or_else(|| panic!("{from}:{line}: the import of {specifier:?} names no file"));
            modules.add(&from, &name(&target), format!("{from}:{line} imports {specifier:?}"));
        }
        modules.files.insert(path.clone());
    }
    modules
}

/// The file a relative import from `dir` names, as a bundler finds it: the path as written, or
/// with `.ts` (for `./x.js` too), or its folder's `index.ts`.
fn resolve(dir: &Path, specifier: &str) -> Option<PathBuf> {
    let mut joined = PathBuf::new();
    for part in dir.join(specifier).components() {
        match part {
            Component::ParentDir => {
                joined.pop();
            }
            Component::CurDir => {}
            other => joined.push(other),
        }
    }
    let written = joined.to_string_lossy().into_owned();
    let candidates = [
        joined.clone(),
        PathBuf::from(format!("{written}.ts")),
        PathBuf::from(format!("{}.ts", written.strip_suffix(".js").unwrap_or(&written))),
        joined.join("index.ts"),
    ];
    candidates.into_iter().find(|candidate| candidate.is_file())
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier or keyword.
    Word(String),
    /// A string literal's value.
    Str(String),
    Punct(char),
}

/// What each import and re-export of `source` names, in order, with its line.
fn imports(source: &str) -> Vec<(String, usize)> {
    let lexed = lex(source);
    let tokens: Vec<&Token> = lexed.iter().map(|(token, _)| token).collect();
    let word = |at: usize, expected: &str| matches!(tokens.get(at), Some(Token::Word(found)) if found == expected);
    let punct =
        |at: usize, expected: &[char]| matches!(tokens.get(at), Some(Token::Punct(found)) if expected.contains(found));
    let mut found = Vec::new();
    for (at, (_, line)) in lexed.iter().enumerate() {
        // `x.import(…)` is a method; `import.meta` is not an import either.
        if at > 0 && punct(at - 1, &['.']) || punct(at + 1, &['.']) {
            continue;
        }
        let specifier = if word(at, "import") {
            match tokens.get(at + 1) {
                Some(Token::Str(specifier)) => Some(specifier.clone()),
                Some(Token::Punct('(')) => match tokens.get(at + 2) {
                    Some(Token::Str(specifier)) => Some(specifier.clone()),
                    _ => None,
                },
                _ => from_clause(&tokens, at + 1),
            }
        } else if word(at, "export")
            && (punct(at + 1, &['*', '{']) || word(at + 1, "type") && punct(at + 2, &['*', '{']))
        {
            from_clause(&tokens, at + 1)
        } else {
            None
        };
        found.extend(specifier.map(|specifier| (specifier, *line)));
    }
    found
}

/// What the clause of an `import` or `export` starting at `at` (names, `{ … }`, `* as x`, `type`)
/// imports from, when it ends in `from "…"`.
fn from_clause(tokens: &[&Token], mut at: usize) -> Option<String> {
    let mut depth = 0usize;
    let mut group_closed = false;
    loop {
        match tokens.get(at)? {
            Token::Word(word) if depth == 0 && word == "from" => {
                return match tokens.get(at + 1)? {
                    Token::Str(specifier) => Some(specifier.clone()),
                    _ => None,
                };
            }
            // After `{ … }` only `from` may come: anything else is another statement.
            _ if group_closed => return None,
            Token::Word(word) if depth == 0 && (word == "import" || word == "export") => return None,
            Token::Word(_) => {}
            Token::Str(_) if depth > 0 => {}
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.checked_sub(1)?;
                group_closed = depth == 0;
            }
            Token::Punct(',' | '*') => {}
            _ => return None,
        }
        at += 1;
    }
}

/// The tokens of `source` with their lines; comments and regular expressions leave none, a
/// template leaves the tokens of its `${…}` and then a '`'.
fn lex(source: &str) -> Vec<(Token, usize)> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    code(&chars, 0, false, &mut tokens);
    let newlines: Vec<usize> = (0..chars.len()).filter(|&at| chars[at] == '\n').collect();
    tokens
        .into_iter()
        .map(|(token, at)| (token, 1 + newlines.partition_point(|&newline| newline < at)))
        .collect()
}

/// Lexes code from `at` (to the `}` closing a template's `${` when `in_template`) into `tokens`,
/// each with where it starts; returns where it stopped.
fn code(chars: &[char], mut at: usize, in_template: bool, tokens: &mut Vec<(Token, usize)>) -> usize {
    let mut depth = 0usize;
    while at < chars.len() {
        let c = chars[at];
        let next = chars.get(at + 1).copied();
        let start = at;
        match c {
            '/' if next == Some('/') => at = (at..chars.len()).find(|&i| chars[i] == '\n').unwrap_or(chars.len()),
            '/' if next == Some('*') => {
                at = (at + 2..chars.len())
                    .find(|&i| chars[i..].starts_with(&['*', '/']))
                    .map_or(chars.len(), |i| i + 2);
            }
            '/' if starts_regex(tokens.last().map(|(token, _)| token)) => at = regex_end(chars, at),
            '"' | '\'' => {
                let mut text = String::new();
                at += 1;
                while at < chars.len() && chars[at] != c && chars[at] != '\n' {
                    if chars[at] == '\\' {
                        at += 1;
                    }
                    text.extend(chars.get(at));
                    at += 1;
                }
                at += 1;
                tokens.push((Token::Str(text), start));
            }
            '`' => {
                at += 1;
                while at < chars.len() && chars[at] != '`' {
                    if chars[at] == '\\' {
                        at += 2;
                    } else if chars[at..].starts_with(&['$', '{']) {
                        at = code(chars, at + 2, true, tokens);
                    } else {
                        at += 1;
                    }
                }
                at += 1;
                tokens.push((Token::Punct('`'), start));
            }
            '}' if in_template && depth == 0 => return at + 1,
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                at = (at..chars.len())
                    .find(|&i| !(chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$'))
                    .unwrap_or(chars.len());
                tokens.push((Token::Word(chars[start..at].iter().collect()), start));
            }
            c if c.is_whitespace() => at += 1,
            c => {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                tokens.push((Token::Punct(c), start));
                at += 1;
            }
        }
    }
    at
}

/// Whether a `/` after `previous` starts a regular expression rather than a division.
fn starts_regex(previous: Option<&Token>) -> bool {
    match previous {
        None => true,
        Some(Token::Punct(c)) => "(,=:[!&|?{};+-*%<>~^".contains(*c),
        Some(Token::Word(word)) => matches!(
            word.as_str(),
            "return"
                | "typeof"
                | "case"
                | "do"
                | "else"
                | "in"
                | "of"
                | "new"
                | "delete"
                | "void"
                | "throw"
                | "instanceof"
                | "yield"
                | "await"
        ),
        Some(Token::Str(_)) => false,
    }
}

/// The index after the regular expression whose `/` is at `at` (also the names test's scanner's).
pub fn regex_end(chars: &[char], mut at: usize) -> usize {
    let mut in_class = false;
    at += 1;
    while at < chars.len() {
        match chars[at] {
            '\\' => at += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '/' if !in_class => return at + 1,
            '\n' => return at,
            _ => {}
        }
        at += 1;
    }
    at
}

#[test]
fn every_import_form_is_read_and_comments_strings_and_regexes_are_not() {
    let source = r#"import "./side-effect-first";
/** A file. */
import def from "./default";
import * as ns from "./namespace";
import type { T } from "./type-only";
import {
  a,
  type B,
  from,
} from "./multi-line";
import def2, { c } from "./default-and-named";
export { d } from "./re-export";
export * from "./star";
export * as n from "./star-as";
export type { E } from "./type-re-export";
export type * from "./type-star";
const lazy = await import("./dynamic");
// import { x } from "./line-comment";
/* import { x } from "./block-comment"; */
const s = "import { y } from './in-string'";
const t = `import { z } from "./in-template" ${await import("./in-template-expression")} ${`${"nested"}`}`;
const half = a / 2, re = /import "\.\/in-regex"/;
export { local };
import "./after-local-export";
export const from2 = 1;
obj.import("./method");
if (import.meta.env.DEV) {}
export default class {}
"#;
    let found = imports(source);
    let specifiers: Vec<&str> = found.iter().map(|(specifier, _)| specifier.as_str()).collect();
    assert_eq!(
        specifiers,
        [
            "./side-effect-first",
            "./default",
            "./namespace",
            "./type-only",
            "./multi-line",
            "./default-and-named",
            "./re-export",
            "./star",
            "./star-as",
            "./type-re-export",
            "./type-star",
            "./dynamic",
            "./in-template-expression",
            "./after-local-export",
        ]
    );
    let lines: Vec<usize> = found.iter().map(|(_, line)| *line).collect();
    assert_eq!(lines, [1, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 17, 21, 24]);
}
