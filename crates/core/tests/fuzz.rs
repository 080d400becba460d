//! A long property test of everything that reads a server's bytes: SSE framing, the protocol
//! decoders, the limits and the collector, fed random streams (well-formed pieces, garbage, lines
//! far past the limits, absurd indexes) in random chunks, with small random limits.
//!
//! It must never panic, never hold more than the limits allow, and give the same events however
//! the bytes are chunked. It is `#[ignore]`d and runs for `RUNNEL_FUZZ_SECS` seconds (default 5),
//! so `scripts/test` runs it briefly; docs/PERFORMANCE.md says how to run it for 10 minutes.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use runnel_core::body::{BodyDecoder, Decoded, End, Part};
use runnel_core::limits::AnswerMeter;
use runnel_core::provider::protocol;
use runnel_core::{Collector, Completion, Limits, StreamEvent};

/// One piece of a generated stream.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let text = "[a-zé日🦀\"\\\\]{0,12}";
    let index = prop_oneof![0u64..4, Just(u64::from(u32::MAX)), any::<u32>().prop_map(u64::from)];
    prop_oneof![
        text.prop_map(|t| format!(
            r#"data: {{"id":"c","choices":[{{"index":0,"delta":{{"content":{},"reasoning_content":"r"}}}}]}}"#,
            serde_json::to_string(&t).unwrap()
        )
        .into_bytes()),
        (index.clone(), text).prop_map(|(i, t)| format!(
            r#"data: {{"choices":[{{"index":0,"delta":{{"tool_calls":[{{"index":{i},"id":"x","function":{{"name":"f","arguments":{}}}}}]}},"finish_reason":"tool_calls"}}]}}"#,
            serde_json::to_string(&t).unwrap()
        )
        .into_bytes()),
        Just(br#"data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"#.to_vec()),
        Just(b"data: [DONE]".to_vec()),
        Just(br#"data: {"error":{"message":"m","type":"server_error"}}"#.to_vec()),
        Just(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":1}}}".to_vec()),
        (index.clone(), prop_oneof![Just("tool_use"), Just("text"), Just("thinking")]).prop_map(|(i, kind)| format!(
            r#"event: content_block_start
data: {{"type":"content_block_start","index":{i},"content_block":{{"type":"{kind}","id":"t","name":"f","text":"a","thinking":"b"}}}}"#
        )
        .into_bytes()),
        (index.clone(), text, prop_oneof![Just("text_delta"), Just("thinking_delta"), Just("input_json_delta")]).prop_map(|(i, t, kind)| {
            let t = serde_json::to_string(&t).unwrap();
            format!(
                r#"event: content_block_delta
data: {{"type":"content_block_delta","index":{i},"delta":{{"type":"{kind}","text":{t},"thinking":{t},"partial_json":{t}}}}}"#
            )
            .into_bytes()
        }),
        Just(b"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}".to_vec()),
        Just(b"event: message_stop\ndata: {\"type\":\"message_stop\"}".to_vec()),
        Just(b"event: ping\ndata: {\"type\":\"ping\"}".to_vec()),
        // OpenAI Responses: typed events, named or not.
        Just(b"event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"m\"},\"sequence_number\":0}".to_vec()),
        (text, prop_oneof![Just("output_text"), Just("reasoning_summary_text"), Just("refusal"), Just("function_call_arguments")]).prop_map(|(t, kind)| format!(
            r#"data: {{"type":"response.{kind}.delta","output_index":1,"delta":{},"sequence_number":2}}"#,
            serde_json::to_string(&t).unwrap()
        )
        .into_bytes()),
        (index, prop_oneof![Just("added"), Just("done")]).prop_map(|(i, when)| format!(
            r#"data: {{"type":"response.output_item.{when}","output_index":{i},"item":{{"type":"function_call","call_id":"c","name":"f","arguments":"{{}}"}}}}"#
        )
        .into_bytes()),
        prop_oneof![Just("completed"), Just("incomplete"), Just("failed")].prop_map(|end| format!(
            r#"data: {{"type":"response.{end}","response":{{"incomplete_details":{{"reason":"max_output_tokens"}},"usage":{{"input_tokens":1,"output_tokens":2}},"error":{{"code":"server_error","message":"m"}}}}}}"#
        )
        .into_bytes()),
        Just(br#"data: {"type":"error","code":"server_error","message":"m","param":null}"#.to_vec()),
        Just(br#"data: {"type":"error","error":{"type":"server_error","message":"m"}}"#.to_vec()),
        // Google Gemini: whole responses, in Google's JSON style.
        (text, any::<bool>(), prop_oneof![Just(""), Just(r#","finishReason": "STOP""#), Just(r#","finishReason": "MAX_TOKENS""#)]).prop_map(|(t, thought, finish)| format!(
            r#"data: {{"candidates": [{{"content": {{"parts": [{{"text": {},"thought": {thought}}}],"role": "model"}}{finish},"index": 0}}],"usageMetadata": {{"promptTokenCount": 1,"candidatesTokenCount": 2,"thoughtsTokenCount": 3}},"modelVersion": "m","responseId": "r"}}"#,
            serde_json::to_string(&t).unwrap()
        )
        .into_bytes()),
        text.prop_map(|t| format!(
            r#"data: {{"candidates": [{{"content": {{"parts": [{{"functionCall": {{"name": "f","args": {{"a": {}}}}}}}],"role": "model"}},"index": 0}}]}}"#,
            serde_json::to_string(&t).unwrap()
        )
        .into_bytes()),
        Just(br#"data: {"promptFeedback": {"blockReason": "SAFETY"}}"#.to_vec()),
        Just(br#"data: {"error": {"code": 429,"message": "m","status": "RESOURCE_EXHAUSTED"}}"#.to_vec()),
        Just(b": comment".to_vec()),
        Just(b"id: 42\nretry: 100".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        prop::collection::vec(any::<u8>(), 0..48),
        // Lines and events past the limits, also of invalid UTF-8 (which grows when replaced).
        (1usize..6000, prop_oneof![Just(b'x'), Just(0xFF_u8), Just(b'\n')])
            .prop_map(|(n, byte)| [b"data: ".as_slice(), &vec![byte; n]].concat()),
    ]
}

fn line_end() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        4 => Just(&b"\n\n"[..]),
        1 => Just(&b"\r\n\r\n"[..]),
        1 => Just(&b"\r\r"[..]),
        1 => Just(&b"\n"[..]),
        1 => Just(&b""[..]),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    protocol: &'static str,
    body: Vec<u8>,
    cuts: Vec<usize>,
    limits: Limits,
}

fn case() -> impl Strategy<Value = Case> {
    let limits = (8usize..4096, 0usize..3000, 0u32..6).prop_map(|(event_bytes, answer_bytes, tool_calls)| Limits {
        event_bytes,
        answer_bytes,
        tool_calls,
        ..Limits::default()
    });
    (
        prop_oneof![
            Just("openai"),
            Just("anthropic"),
            Just("openai-responses"),
            Just("gemini")
        ],
        prop::collection::vec((piece(), line_end()), 0..40),
        prop::collection::vec(any::<usize>(), 0..60),
        limits,
    )
        .prop_map(|(protocol, pieces, cuts, limits)| Case {
            protocol,
            body: pieces
                .into_iter()
                .flat_map(|(piece, end)| [piece, end.to_vec()].concat())
                .collect(),
            cuts,
            limits,
        })
}

fn split<'a>(body: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (body.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut start = 0;
    let mut chunks = Vec::new();
    for point in points.into_iter().chain([body.len()]) {
        chunks.push(&body[start..point]);
        start = point;
    }
    chunks
}

/// How a run ended: the events the engine would emit, and what the collector folded from them.
struct Run {
    events: Vec<StreamEvent>,
    completion: Completion,
}

/// The engine's road for one stream, without the socket: the body decoder (SSE framing under the
/// event limit, the protocol decoder), the answer meter, the collector. Also feeds a second
/// collector the decoder's events unmetered, which must bound tool calls on its own.
fn run(case: &Case, chunks: &[&[u8]]) -> Run {
    let limits = case.limits;
    let mut body = BodyDecoder::new(protocol(case.protocol).unwrap(), limits.event_bytes);
    let mut meter = AnswerMeter::new(limits);
    let mut collector = Collector::with_limits(Instant::now(), limits);
    let mut unmetered = Collector::with_limits(Instant::now(), limits);
    let mut emitted = Vec::new();
    let mut ended = false;
    let mut on_event = |decoded: Decoded<'_>, ended: &mut bool| {
        assert!(
            decoded.frame.data.len() + decoded.frame.event.len() <= limits.event_bytes,
            "a frame past the event limit"
        );
        for event in decoded.events.iter() {
            unmetered.apply(Instant::now(), 0, event);
        }
        let admitted = meter.admit(decoded.events);
        if let Err((position, _)) = admitted {
            decoded.events.truncate(position);
        }
        emitted.append(decoded.events);
        // As the engine does: the decoder returns the ending, the driver emits it.
        if admitted.is_ok()
            && let Some(End::Complete(finish)) = decoded.end
        {
            emitted.push(finish.clone().into());
        }
        let stop = admitted.is_err() || decoded.end.is_some();
        *ended |= stop;
        if stop {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    for chunk in chunks {
        let framed = body.feed(chunk, |part| match part {
            Part::Event(decoded) => on_event(decoded, &mut ended),
            Part::Comment(_) => ControlFlow::Continue(()),
        });
        match framed {
            Ok(ControlFlow::Continue(())) => {}
            Ok(ControlFlow::Break(())) => break,
            Err(_) => {
                ended = true;
                break;
            }
        }
        assert!(
            body.buffered_len() <= limits.event_bytes,
            "the decoder held past its limit"
        );
    }
    if !ended {
        body.finish(|part| {
            if let Part::Event(decoded) = part {
                let _ = on_event(decoded, &mut ended);
            }
        });
    }
    for event in &emitted {
        collector.apply(Instant::now(), 0, event);
    }
    let completion = collector.into_completion();
    let answer = completion.text.len()
        + completion.thinking.len()
        + completion.refusal.len()
        + completion
            .tool_calls
            .iter()
            .map(|call| {
                call.arguments.len()
                    + call.id.as_ref().map_or(0, String::len)
                    + call.name.as_ref().map_or(0, String::len)
            })
            .sum::<usize>();
    assert!(
        answer <= limits.answer_bytes,
        "an answer of {answer} bytes passed the limit"
    );
    assert!(completion.tool_calls.len() <= limits.tool_calls as usize);
    assert!(unmetered.completion().tool_calls.len() <= limits.tool_calls as usize);
    Run {
        events: emitted,
        completion,
    }
}

fn check(case: Case) -> Result<(), TestCaseError> {
    let whole = run(&case, &[&case.body]);
    let chunked = run(&case, &split(&case.body, &case.cuts));
    prop_assert_eq!(&whole.events, &chunked.events, "chunking changed the events");
    prop_assert_eq!(&whole.completion.text, &chunked.completion.text);
    Ok(())
}

#[test]
#[ignore = "long: runs for RUNNEL_FUZZ_SECS seconds (default 5); scripts/test includes it"]
fn random_streams_never_panic_nor_hold_past_the_limits() {
    let seconds = std::env::var("RUNNEL_FUZZ_SECS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(5);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let config = Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    };
    // A runner runs its number of cases once: each batch gets a fresh one, seeded from the first.
    let mut seeds = TestRunner::new(config.clone());
    let mut cases = 0u64;
    while Instant::now() < deadline {
        let mut batch = TestRunner::new_with_rng(config.clone(), seeds.new_rng());
        if let Err(failure) = batch.run(&case(), check) {
            panic!("{failure}");
        }
        cases += u64::from(config.cases);
    }
    println!("fuzz: {cases} random streams in {seconds} s, no panic, no limit passed");
}
