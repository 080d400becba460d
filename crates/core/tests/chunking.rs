//! Property: however a fixture's bytes are split into chunks, the body decoder (SSE framing and
//! the protocol's decoder) yields exactly the events of the unsplit body.

use std::ops::ControlFlow;

use proptest::prelude::*;
use runnel_core::body::{BodyDecoder, Part};
use runnel_core::provider::protocol;
use runnel_core::sse::SseDecoder;
use runnel_core::{Limits, StreamEvent};
use runnel_testkit::fixture;

const FIXTURES: &[(&str, &str)] = &[
    ("openai", "openai_text.sse"),
    ("openai", "openai_crlf.sse"),
    ("openai", "openai_cr.sse"),
    ("openai", "openai_comments.sse"),
    ("openai", "openai_tool_calls.sse"),
    ("openai", "openai_reasoning.sse"),
    ("openai", "openai_refusal.sse"),
    ("anthropic", "anthropic_text.sse"),
    ("anthropic", "anthropic_thinking.sse"),
    ("anthropic", "anthropic_tool_use.sse"),
    ("anthropic", "anthropic_unknown_event.sse"),
    ("openai-responses", "openai_responses_text.sse"),
    ("openai-responses", "openai_responses_reasoning.sse"),
    ("openai-responses", "openai_responses_tool_call.sse"),
    ("openai-responses", "openai_responses_incomplete.sse"),
    ("openai-responses", "openai_responses_failed.sse"),
    ("openai-responses", "openai_responses_error.sse"),
    ("openai-responses", "openai_responses_error_nested.sse"),
    ("gemini", "gemini_text.sse"),
    ("gemini", "gemini_thinking.sse"),
    ("gemini", "gemini_function_call.sse"),
    ("gemini", "gemini_max_tokens.sse"),
    ("gemini", "gemini_safety.sse"),
    ("gemini", "gemini_prompt_blocked.sse"),
    ("gemini", "gemini_error_midstream.sse"),
];

/// Decodes `chunks` to events, the stream's ending last when an event or the body's end brought one.
fn decode(protocol_id: &str, chunks: &[&[u8]]) -> Vec<StreamEvent> {
    let mut body = BodyDecoder::new(protocol(protocol_id).unwrap(), Limits::default().event_bytes);
    let mut events = Vec::new();
    let mut take = |part: Part<'_>| {
        let Part::Event(decoded) = part else {
            return ControlFlow::Continue(());
        };
        events.append(decoded.events);
        match decoded.end {
            Some(end) => {
                events.push(end.clone().into_event());
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    };
    for chunk in chunks {
        let flow = body
            .feed(chunk, &mut take)
            .expect("fixtures are far within the event limit");
        if flow.is_break() {
            return events;
        }
    }
    body.finish(|part| {
        let _ = take(part);
    });
    events
}

fn split_at<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (body.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for point in points.into_iter().chain([body.len()]) {
        chunks.push(&body[start..point]);
        start = point;
    }
    chunks
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_chunking_yields_the_same_events(index in 0..FIXTURES.len(), cuts in prop::collection::vec(any::<usize>(), 0..200)) {
        let (protocol_id, name) = FIXTURES[index];
        let body = fixture(name);
        let whole = decode(protocol_id, &[&body]);
        prop_assert!(whole.last().is_some_and(StreamEvent::is_ending), "{} should end", name);
        let chunks = split_at(&body, &cuts);
        prop_assert_eq!(decode(protocol_id, &chunks), whole);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A malformed stream is an error, never a panic: arbitrary bytes, and fixtures with bytes
    /// flipped, through the SSE decoder and the protocol decoders.
    #[test]
    fn garbage_never_panics(
        noise in prop::collection::vec(any::<u8>(), 0..2048),
        index in 0..FIXTURES.len(),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..16),
    ) {
        for protocol_id in ["openai", "anthropic", "openai-responses", "gemini"] {
            let _ = decode(protocol_id, &[&noise]);
        }
        let (protocol_id, name) = FIXTURES[index];
        let mut body = fixture(name);
        for (at, byte) in flips {
            let at = at % body.len();
            body[at] = byte;
        }
        let _ = decode(protocol_id, &[&body]);
        let mut sse = SseDecoder::new();
        let mut frames = Vec::new();
        sse.feed(&body, &mut frames).expect("within the event limit");
        let _ = sse.finish();
    }
}

#[test]
fn one_byte_chunks_yield_the_same_events_for_every_fixture() {
    for (protocol_id, name) in FIXTURES {
        let body = fixture(name);
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode(protocol_id, &bytes), decode(protocol_id, &[&body]), "{name}");
    }
}
