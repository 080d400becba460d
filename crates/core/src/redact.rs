//! Keeping a key out of every string that leaves the core.
//!
//! A [`Redactor`] masks any run of [`MIN_RUN`] or more characters of a key, wherever it appears
//! and however the key was cut: a server that echoes half a key, or a snippet cut in the middle
//! of one, shows `[redacted]` instead.
//!
//! Text from outside (an error body, a frame) is cut for people with [`clip`], which redacts
//! *before* it cuts, with the key of the request being served: [`scope`] installs that key for
//! everything a request's future runs (the decoders and error readers need not carry it).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::Arc;

/// The shortest run of a key's characters that is masked; a key shorter than this is masked
/// only whole.
pub const MIN_RUN: usize = 8;

/// What a masked run becomes in text for people.
pub const MASK: &str = "[redacted]";

/// What each byte of a masked run becomes in bytes kept at rest ([`Redactor::mask_bytes`]): the
/// run keeps its length, so offsets into the bytes stay valid.
pub const MASK_BYTE: u8 = b'*';

tokio::task_local! {
    static ACTIVE: Redactor;
}

/// Masks fragments of one key. Cheap to clone; `Debug` never shows the key.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every `width`-byte window of the key (the whole key when it is shorter), packed into a
    /// `u64` ([`pack`]: exact, since `width` is at most 8), so a scan of many megabytes costs a
    /// few nanoseconds a byte.
    windows: Arc<HashSet<u64, BuildHasherDefault<WindowHasher>>>,
    width: usize,
}

/// The bytes of a window (at most 8) as one number; all windows of a key have the same width, so
/// two windows are equal exactly when their numbers are.
fn pack(window: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[..window.len()].copy_from_slice(window);
    u64::from_le_bytes(bytes)
}

/// A hasher for packed windows: one multiplication (they are not chosen by an attacker who
/// could make them collide: they come from the key).
#[derive(Default)]
struct WindowHasher(u64);

impl Hasher for WindowHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = (value ^ (value >> 29)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Redactor {
    /// A redactor for `secret`; an empty one masks nothing.
    pub fn new(secret: &str) -> Self {
        let bytes = secret.as_bytes();
        let width = bytes.len().min(MIN_RUN);
        if width == 0 {
            return Self::default();
        }
        let windows = bytes.windows(width).map(pack).collect();
        Self {
            windows: Arc::new(windows),
            width,
        }
    }

    /// True when there is nothing to mask.
    pub fn is_empty(&self) -> bool {
        self.width == 0
    }

    /// `text` with every run of the key's characters masked (borrowed when there is none).
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let ranges = self.find(text.as_bytes());
        if ranges.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut kept = 0;
        for range in ranges {
            // Masked runs are widened to whole characters so the result stays valid UTF-8.
            let start = floor_char_boundary(text, range.start).max(kept);
            let end = ceil_char_boundary(text, range.end);
            out.push_str(&text[kept..start]);
            out.push_str(MASK);
            kept = end;
        }
        out.push_str(&text[kept..]);
        Cow::Owned(out)
    }

    /// Masks every run of the key's characters in `bytes` in place, each byte of a run becoming
    /// [`MASK_BYTE`], so the bytes keep their length; returns how many runs were masked.
    pub fn mask_bytes(&self, bytes: &mut [u8]) -> usize {
        let ranges = self.find(bytes);
        for range in &ranges {
            bytes[range.clone()].fill(MASK_BYTE);
        }
        ranges.len()
    }

    /// The byte ranges of `haystack` covered by windows of the key, merged where they touch.
    fn find(&self, haystack: &[u8]) -> Vec<Range<usize>> {
        let mut ranges: Vec<Range<usize>> = Vec::new();
        if self.is_empty() || haystack.len() < self.width {
            return ranges;
        }
        for (start, window) in haystack.windows(self.width).enumerate() {
            if !self.windows.contains(&pack(window)) {
                continue;
            }
            let end = start + self.width;
            match ranges.last_mut() {
                Some(last) if last.end >= start => last.end = end,
                _ => ranges.push(start..end),
            }
        }
        ranges
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redactor(***)")
    }
}

/// Runs `future` with `redactor` as the key [`clip`] masks.
pub(crate) async fn scope<F: Future>(redactor: Redactor, future: F) -> F::Output {
    ACTIVE.scope(redactor, future).await
}

/// The first `max` characters of `text` for an error message, `…` marking a cut. Fragments of
/// the key of the current [`scope`] are masked first, so a cut never leaves part of one.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let redacted = ACTIVE
        .try_with(|redactor| redact_head(redactor, text, max))
        .unwrap_or(Cow::Borrowed(text));
    match redacted.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &redacted[..cut]),
        None => redacted.into_owned(),
    }
}

/// `text` masked as far as a cut at `max` characters can show. A head of it is enough when,
/// masked, it still runs more than [`MIN_RUN`] characters past the cut: the only difference
/// from masking everything is a fragment of the key left at the head's very end, past the cut.
/// Otherwise (runs of the key shrank the head) the whole text is masked.
fn redact_head<'a>(redactor: &Redactor, text: &'a str, max: usize) -> Cow<'a, str> {
    if let Some((end, _)) = text.char_indices().nth(2 * max + 4 * MIN_RUN) {
        let head = redactor.text(&text[..end]);
        if head.chars().count() > max + MIN_RUN {
            return head;
        }
    }
    redactor.text(text)
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-ant-api03-QZXJ0193KWPVmnbv7766";

    #[test]
    fn every_run_of_eight_or_more_is_masked_and_shorter_ones_are_not() {
        let redactor = Redactor::new(KEY);
        assert_eq!(redactor.text(&format!("key {KEY}!")), "key [redacted]!");
        // A key cut after 10 characters, and its tail alone.
        assert_eq!(redactor.text("cut: sk-ant-api…"), "cut: [redacted]…");
        assert_eq!(redactor.text("tail=KWPVmnbv7766;"), "tail=[redacted];");
        assert_eq!(redactor.text("short sk-ant- stays"), "short sk-ant- stays");
        assert!(matches!(redactor.text("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_keys_are_masked_whole_and_empty_ones_mask_nothing() {
        assert_eq!(Redactor::new("abc").text("abcabc ab"), "[redacted] ab");
        assert_eq!(Redactor::new("").text("anything"), "anything");
    }

    #[test]
    fn masking_keeps_text_valid_around_multibyte_characters() {
        let redactor = Redactor::new("ékeyékeyékey");
        assert_eq!(redactor.text("«ékeyékeyé»"), "«[redacted]»");
    }

    #[test]
    fn bytes_are_masked_in_place_keeping_their_length() {
        let redactor = Redactor::new(KEY);
        let mut body = format!(r#"{{"error":"bad key {KEY}","tail":"KWPVmnbv7766","short":"sk-ant-"}}"#).into_bytes();
        let length = body.len();
        assert_eq!(redactor.mask_bytes(&mut body), 2);
        assert_eq!(body.len(), length);
        let stars = "*".repeat(KEY.len());
        assert_eq!(
            String::from_utf8(body).unwrap(),
            format!(r#"{{"error":"bad key {stars}","tail":"************","short":"sk-ant-"}}"#)
        );
        let mut nothing = b"nothing here".to_vec();
        assert_eq!(redactor.mask_bytes(&mut nothing), 0);
        assert_eq!(Redactor::default().mask_bytes(&mut nothing), 0);
    }

    #[tokio::test]
    async fn clip_redacts_before_it_cuts() {
        let text = format!("{}{KEY} and more", "x".repeat(20));
        // Cut inside the key: without redaction first, `sk-ant-` would be left before the `…`.
        let clipped = scope(Redactor::new(KEY), async { clip(&text, 27) }).await;
        assert_eq!(clipped, format!("{}[redact…", "x".repeat(20)));
        assert_eq!(clip("abcdef", 3), "abc…");
    }

    #[tokio::test]
    async fn clip_masks_a_head_only_when_that_shows_the_same() {
        let redactor = Redactor::new(KEY);
        let cases = [
            // The key straddles the end of the head that is masked.
            format!("{}{KEY} tail", "a".repeat(45)),
            // Copies of the key shrink the head below the cut: the whole text is masked.
            format!("{}x{KEY}yyyyyyyyyyyyyyyyyyyyyyy", KEY.repeat(20)),
        ];
        for text in cases {
            let everything = redactor.text(&text).into_owned();
            let expected = format!("{}…", everything.chars().take(10).collect::<String>());
            assert_eq!(scope(redactor.clone(), async { clip(&text, 10) }).await, expected);
        }
        assert_eq!(clip("abc", 3), "abc");
    }
}
