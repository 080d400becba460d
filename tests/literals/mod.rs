//! The string literals of Rust and TypeScript source, comments left out: what a program says or
//! shows, as opposed to how it is written (identifiers, paths, comments).

use crate::modules::typescript::regex_end;

/// Rust's string literals (`"…"`, `r#"…"#`, `b"…"`), in order, as written between their quotes.
pub fn rust(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '/' if chars.get(at + 1) == Some(&'/') => at = line_end(&chars, at),
            '/' if chars.get(at + 1) == Some(&'*') => at = block_comment_end(&chars, at),
            '"' => at = quoted(&chars, at, '"', &mut found),
            'r' if !is_ident(chars.get(at.wrapping_sub(1)).copied()) && raw_start(&chars, at + 1).is_some() => {
                let (hashes, open) = raw_start(&chars, at + 1).unwrap();
                let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let end = (open + 1..chars.len())
                    .find(|&i| chars[i..].starts_with(&close))
                    .unwrap_or(chars.len());
                found.push(chars[open + 1..end].iter().collect());
                at = end + close.len();
            }
            // A char literal ('a', '\n', '\''); otherwise a lifetime ('a).
            '\'' if chars.get(at + 1) == Some(&'\\') => {
                at = (at + 3..chars.len())
                    .find(|&i| chars[i] == '\'')
                    .map_or(chars.len(), |i| i + 1);
            }
            '\'' if chars.get(at + 2) == Some(&'\'') => at += 3,
            _ => at += 1,
        }
    }
    found
}

/// TypeScript's string and template literals, in order (a template's text with its `${…}`
/// expressions' own literals after it); regular expression literals are skipped.
pub fn typescript(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut found = Vec::new();
    ts_code(&chars, 0, false, &mut found);
    found
}

/// Reads code from `at` (to the `}` closing a template's `${` when `in_template`); returns
/// where it stopped.
fn ts_code(chars: &[char], mut at: usize, in_template: bool, found: &mut Vec<String>) -> usize {
    let mut depth = 0usize;
    // The last character that was not blank, to tell a regular expression from a division.
    let mut previous = ' ';
    while at < chars.len() {
        let c = chars[at];
        match c {
            '/' if chars.get(at + 1) == Some(&'/') => {
                at = line_end(chars, at);
                continue;
            }
            '/' if chars.get(at + 1) == Some(&'*') => {
                at = block_comment_end(chars, at);
                continue;
            }
            '/' if starts_regex(chars, at, previous) => at = regex_end(chars, at),
            '"' | '\'' => at = quoted(chars, at, c, found),
            '`' => at = template(chars, at, found),
            '{' => {
                depth += 1;
                at += 1;
            }
            '}' if in_template && depth == 0 => return at + 1,
            '}' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            _ => at += 1,
        }
        if !c.is_whitespace() {
            previous = chars[at - 1];
        }
    }
    at
}

/// Reads the template literal opening at `at`; returns the index after it.
fn template(chars: &[char], mut at: usize, found: &mut Vec<String>) -> usize {
    let mut text = String::new();
    let mut inner = Vec::new();
    at += 1;
    while at < chars.len() && chars[at] != '`' {
        match chars[at] {
            '\\' => {
                text.extend(chars.get(at + 1));
                at += 2;
            }
            '$' if chars.get(at + 1) == Some(&'{') => {
                text.push_str("${}");
                at = ts_code(chars, at + 2, true, &mut inner);
            }
            c => {
                text.push(c);
                at += 1;
            }
        }
    }
    found.push(text);
    found.append(&mut inner);
    at + 1
}

/// Whether a `/` after `previous` starts a regular expression literal rather than a division.
fn starts_regex(chars: &[char], at: usize, previous: char) -> bool {
    if "(,=:[!&|?{};+-*%<>~^".contains(previous) || previous == ' ' {
        return true;
    }
    let before: String = chars[..at].iter().collect();
    let word: String = before
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    matches!(word.as_str(), "nruter" | "foepyt" | "esac")
}

/// Reads the literal quoted by `quote` opening at `at` into `found`; returns the index after it.
fn quoted(chars: &[char], mut at: usize, quote: char, found: &mut Vec<String>) -> usize {
    let mut text = String::new();
    at += 1;
    while at < chars.len() && chars[at] != quote {
        if chars[at] == '\\' {
            text.extend(chars.get(at + 1));
            at += 2;
        } else {
            text.push(chars[at]);
            at += 1;
        }
    }
    found.push(text);
    at + 1
}

/// After `r`: the number of `#`s and the index of the opening `"` of a raw string, if one opens.
fn raw_start(chars: &[char], at: usize) -> Option<(usize, usize)> {
    let hashes = chars[at..].iter().take_while(|c| **c == '#').count();
    (chars.get(at + hashes) == Some(&'"')).then_some((hashes, at + hashes))
}

fn is_ident(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn line_end(chars: &[char], at: usize) -> usize {
    (at..chars.len()).find(|&i| chars[i] == '\n').unwrap_or(chars.len())
}

fn block_comment_end(chars: &[char], at: usize) -> usize {
    (at + 2..chars.len())
        .find(|&i| chars[i] == '*' && chars.get(i + 1) == Some(&'/'))
        .map_or(chars.len(), |i| i + 2)
}

#[test]
fn rust_literals_are_read_without_comments_lifetimes_or_chars() {
    let source = r####"
        // "not this"
        /* nor "this" */
        fn f<'a>(x: &'a str) -> char { let _ = ("one", r#"two "quoted""#, b"three", 'c', '\'', "f\"our"); 'x' }
    "####;
    assert_eq!(rust(source), ["one", r#"two "quoted""#, "three", "f\"our"]);
}

#[test]
fn typescript_literals_are_read_with_templates_and_without_regexes() {
    let source = r#"
        // "not this"
        const a = "one", b = 'two' /* "nor this" */;
        const c = x.replace(/["']/g, "") / 2;
        const d = `three ${flag ? `four` : "five"} six`;
        return /'/.test(y) ? 1 : "seven";
    "#;
    assert_eq!(
        typescript(source),
        ["one", "two", "", "three ${} six", "four", "five", "seven"]
    );
}
