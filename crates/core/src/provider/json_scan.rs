//! A strict JSON reader over a `&str` for hand-written fast paths of hot decoders.
//!
//! It reads only what serde_json would accept, and gives up (`None`) on anything it does not read
//! exactly as serde_json would: an escape it does not decode, a number past `u64`, nesting deeper
//! than [`MAX_DEPTH`]. A caller falls back to serde_json whenever it gives up, so serde_json stays
//! the judge of every input the fast path does not take, and its errors are the ones reported.

use std::borrow::Cow;

/// Nesting a skipped value may have (serde_json refuses more than 128).
const MAX_DEPTH: u32 = 64;

/// A position in a JSON text.
pub struct Scan<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Scan<'a> {
    /// At the start of `text`.
    pub fn new(text: &'a str) -> Self {
        Self { text, at: 0, depth: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// Skips whitespace, then returns the next byte without taking it.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&byte) = self.bytes().get(self.at) {
            if !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(byte);
            }
            self.at += 1;
        }
        None
    }

    /// Takes `byte` (after whitespace).
    pub fn take(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Takes `literal` (after whitespace), if it is next.
    fn take_literal(&mut self, literal: &str) -> bool {
        self.peek();
        let found = self.bytes()[self.at..].starts_with(literal.as_bytes());
        if found {
            self.at += literal.len();
        }
        found
    }

    /// Takes `null` if it is next.
    pub fn null(&mut self) -> bool {
        self.take_literal("null")
    }

    /// Only whitespace is left.
    pub fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }

    /// A string, borrowed when it has no escapes.
    pub fn string(&mut self) -> Option<Cow<'a, str>> {
        self.take(b'"')?;
        let start = self.at;
        loop {
            let byte = *self.bytes().get(self.at)?;
            match byte {
                b'"' => {
                    self.at += 1;
                    return Some(Cow::Borrowed(&self.text[start..self.at - 1]));
                }
                b'\\' => break,
                0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        let mut owned = String::from(&self.text[start..self.at]);
        loop {
            let byte = *self.bytes().get(self.at)?;
            match byte {
                b'"' => {
                    self.at += 1;
                    return Some(Cow::Owned(owned));
                }
                b'\\' => {
                    self.at += 1;
                    owned.push(self.escape()?);
                }
                0..=0x1f => return None,
                _ => {
                    // Copy the run up to the next quote, backslash or control character whole.
                    let run = self.bytes()[self.at..]
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                        .unwrap_or(self.text.len() - self.at);
                    owned.push_str(&self.text[self.at..self.at + run]);
                    self.at += run;
                }
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Option<char> {
        let byte = *self.bytes().get(self.at)?;
        self.at += 1;
        Some(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF => {
                        // Only a whole surrogate pair; anything else is serde_json's to judge.
                        if !self.bytes()[self.at..].starts_with(b"\\u") {
                            return None;
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    0xDC00..=0xDFFF => return None,
                    unit => char::from_u32(unit)?,
                }
            }
            _ => return None,
        })
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).ok()
    }

    /// An unsigned integer without sign, fraction or exponent that fits `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.peek();
        let digits = self.bytes()[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let text = &self.text[self.at..self.at + digits];
        if digits == 0 || (digits > 1 && text.starts_with('0')) {
            return None;
        }
        if matches!(self.bytes().get(self.at + digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at += digits;
        text.parse().ok()
    }

    /// Skips one value of any kind, checking it is valid JSON.
    pub fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|scan, _| scan.skip()),
            b'[' => self.array(|scan| scan.skip()),
            b't' => self.take_literal("true").then_some(()),
            b'f' => self.take_literal("false").then_some(()),
            b'n' => self.null().then_some(()),
            _ => self.number(),
        }
    }

    /// Skips a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        let bytes = self.bytes();
        let digits = |at: usize| bytes[at..].iter().take_while(|b| b.is_ascii_digit()).count();
        let mut at = self.at;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let whole = digits(at);
        if whole == 0 || (whole > 1 && bytes[at] == b'0') {
            return None;
        }
        at += whole;
        if bytes.get(at) == Some(&b'.') {
            let fraction = digits(at + 1);
            if fraction == 0 {
                return None;
            }
            at += 1 + fraction;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let exponent = digits(at);
            if exponent == 0 {
                return None;
            }
            at += exponent;
        }
        self.at = at;
        Some(())
    }

    /// An object: `field` reads the value of each key (and must take it whole).
    pub fn object(&mut self, mut field: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>) -> Option<()> {
        self.nested(b'{', b'}', |scan| {
            let key = scan.string()?;
            scan.take(b':')?;
            field(scan, key)
        })
    }

    /// An array: `item` reads each element (and must take it whole).
    pub fn array(&mut self, item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.nested(b'[', b']', item)
    }

    fn nested(&mut self, open: u8, close: u8, mut member: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.take(open)?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        if self.peek()? == close {
            self.at += 1;
        } else {
            loop {
                member(self)?;
                match self.peek()? {
                    b',' => self.at += 1,
                    byte if byte == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &str) -> Option<Cow<'_, str>> {
        let mut scan = Scan::new(text);
        let value = scan.string()?;
        scan.end()?;
        Some(value)
    }

    fn skips(text: &str) -> bool {
        let mut scan = Scan::new(text);
        scan.skip().and_then(|()| scan.end()).is_some()
    }

    #[test]
    fn strings_are_borrowed_without_escapes_and_decoded_with_them() {
        assert!(matches!(string(r#""plain é""#), Some(Cow::Borrowed("plain é"))));
        assert_eq!(
            string(r#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00 end""#).as_deref(),
            Some("a\"b\\c/d\n\té😀 end")
        );
        for refused in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\x""#,
            "\"a\u{1}\"",
            r#""open"#,
            r#""\u12""#,
        ] {
            assert_eq!(string(refused), None, "{refused}");
        }
    }

    #[test]
    fn skipping_takes_valid_json_only() {
        for valid in [
            "0",
            "-1.5e+3",
            "true",
            "null",
            r#"{"a":[1,{"b":null}],"c":"d"}"#,
            " [ ] ",
            "{}",
        ] {
            assert!(skips(valid), "{valid}");
        }
        for invalid in [
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "[1,]",
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            "[1 2]",
            "+1",
        ] {
            assert!(!skips(invalid), "{invalid}");
        }
        assert!(!skips(&"[".repeat(100)));
    }

    #[test]
    fn integers_fit_u64_without_fraction_or_exponent() {
        let read = |text: &str| Scan::new(text).u64();
        assert_eq!(read(" 42"), Some(42));
        assert_eq!(read("18446744073709551615"), Some(u64::MAX));
        for refused in ["18446744073709551616", "-1", "1.0", "1e3", "01", ""] {
            assert_eq!(read(refused), None, "{refused}");
        }
    }
}
