//! Streams of any length for benchmarks and stress tests, shaped like the
//! `openai_text.sse`, `anthropic_text.sse`, `openai_responses_text.sse` and `gemini_text.sse`
//! fixtures.

use std::time::Duration;

use crate::reply::{Chunking, Reply};

const OPENAI_PREFIX: &str = r#"{"id":"chatcmpl-RunnelGen0000000000000000000000","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":"#;

/// The text of delta `i`: a short ASCII word that needs no JSON escaping.
fn word(i: usize) -> String {
    format!("tok{i} ")
}

/// A reply that streams [`openai_stream`]`(20_000)` slowly (200 bytes every 5 ms, about a minute
/// in all), so a test that stops it, quits or crashes mid-answer always finds it mid-stream.
pub fn slow_openai_reply() -> Reply {
    Reply::sse(openai_stream(20_000))
        .chunking(Chunking::Fixed(200))
        .delay(Duration::from_millis(5))
}

/// An OpenAI Chat Completions stream: a role chunk, `deltas` content chunks
/// (see [`openai_text_of`]), a `finish_reason: "stop"` chunk, a usage chunk
/// and `data: [DONE]`.
pub fn openai_stream(deltas: usize) -> Vec<u8> {
    let mut out = String::with_capacity(300 * (deltas + 4));
    let mut chunk = |choices: &str, usage: &str| {
        out.push_str("data: ");
        out.push_str(OPENAI_PREFIX);
        out.push_str(choices);
        out.push_str(r#","usage":"#);
        out.push_str(usage);
        out.push_str(r#","obfuscation":"q3X"}"#);
        out.push_str("\n\n");
    };
    let choice = |delta: &str, finish: &str| {
        format!(r#"[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]"#)
    };
    chunk(
        &choice(r#"{"role":"assistant","content":"","refusal":null}"#, "null"),
        "null",
    );
    for i in 0..deltas {
        chunk(&choice(&format!(r#"{{"content":"{}"}}"#, word(i)), "null"), "null");
    }
    chunk(&choice("{}", r#""stop""#), "null");
    let usage = format!(
        r#"{{"prompt_tokens":12,"completion_tokens":{deltas},"total_tokens":{},"prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}}"#,
        deltas + 12
    );
    chunk("[]", &usage);
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// The exact text [`openai_stream`]`(deltas)` encodes.
pub fn openai_text_of(deltas: usize) -> String {
    (0..deltas).map(word).collect()
}

/// An Anthropic Messages stream: `message_start`, `content_block_start`,
/// `deltas` `text_delta` events (see [`anthropic_text_of`]),
/// `content_block_stop`, `message_delta` (`end_turn`) and `message_stop`.
pub fn anthropic_stream(deltas: usize) -> Vec<u8> {
    let mut out = String::with_capacity(120 * (deltas + 6));
    let mut event = |name: &str, data: &str| {
        out.push_str("event: ");
        out.push_str(name);
        out.push_str("\ndata: ");
        out.push_str(data);
        out.push_str("\n\n");
    };
    event(
        "message_start",
        r#"{"type":"message_start","message":{"model":"claude-sonnet-4-5-20250929","id":"msg_01RunnelGenerated00000000","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}"#,
    );
    event(
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    );
    for i in 0..deltas {
        let data = format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{}"}}}}"#,
            word(i)
        );
        event("content_block_delta", &data);
    }
    event("content_block_stop", r#"{"type":"content_block_stop","index":0}"#);
    let delta = format!(
        r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}},"usage":{{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":{deltas}}}}}"#
    );
    event("message_delta", &delta);
    event("message_stop", r#"{"type":"message_stop"}"#);
    out.into_bytes()
}

/// The exact text [`anthropic_stream`]`(deltas)` encodes.
pub fn anthropic_text_of(deltas: usize) -> String {
    (0..deltas).map(word).collect()
}

/// One SSE event whose single `data:` line carries `bytes` bytes of `x`.
pub fn long_line_event(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 8);
    out.extend_from_slice(b"data: ");
    out.resize(6 + bytes, b'x');
    out.extend_from_slice(b"\n\n");
    out
}

/// An OpenAI Responses stream: `response.created`, a message item, `deltas`
/// `response.output_text.delta` events (the text of [`anthropic_text_of`]), the item's `.done`
/// events and `response.completed` with the usage; every event named and numbered.
pub fn responses_stream(deltas: usize) -> Vec<u8> {
    let mut out = String::with_capacity(190 * (deltas + 8));
    let mut sequence = 0;
    let mut event = |name: &str, fields: &str| {
        out.push_str(&format!(
            "event: {name}\ndata: {{\"type\":\"{name}\",{fields},\"sequence_number\":{sequence}}}\n\n"
        ));
        sequence += 1;
    };
    let response = |status: &str, usage: &str| {
        format!(
            r#""response":{{"id":"resp_RunnelGenerated000000000000000000000000000000","object":"response","created_at":1757540514,"status":"{status}","error":null,"incomplete_details":null,"model":"gpt-4o-mini-2024-07-18","output":[],"usage":{usage}}}"#
        )
    };
    let item = r#""item_id":"msg_RunnelGenerated0000000000000000000000000000000","output_index":0,"content_index":0"#;
    event("response.created", &response("in_progress", "null"));
    event(
        "response.output_item.added",
        r#""output_index":0,"item":{"id":"msg_RunnelGenerated0000000000000000000000000000000","type":"message","status":"in_progress","content":[],"role":"assistant"}"#,
    );
    for i in 0..deltas {
        event(
            "response.output_text.delta",
            &format!(r#"{item},"delta":"{}","logprobs":[],"obfuscation":"q3X""#, word(i)),
        );
    }
    event("response.output_text.done", &format!(r#"{item},"text":"…""#));
    let usage = format!(
        r#"{{"input_tokens":12,"input_tokens_details":{{"cached_tokens":0}},"output_tokens":{deltas},"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":{}}}"#,
        12 + deltas
    );
    event("response.completed", &response("completed", &usage));
    out.into_bytes()
}

/// A Google Gemini stream: `deltas` chunks of one text part each (the text of
/// [`anthropic_text_of`]) with the running usage, then a chunk whose candidate ends with
/// `finishReason: "STOP"` and the final usage; CRLF-framed, in Google's JSON style, as
/// `gemini_text.sse` is.
pub fn gemini_stream(deltas: usize) -> Vec<u8> {
    let mut out = String::with_capacity(330 * (deltas + 1));
    let names = r#","modelVersion": "gemini-2.5-flash","responseId": "RunnelGen00000000000000"}"#;
    let prompt = r#""promptTokenCount": 12"#;
    let prompt_details = r#""promptTokensDetails": [{"modality": "TEXT","tokenCount": 12}]"#;
    for i in 0..deltas {
        out.push_str(&format!(
            r#"data: {{"candidates": [{{"content": {{"parts": [{{"text": "{}"}}],"role": "model"}},"index": 0}}],"usageMetadata": {{{prompt},"totalTokenCount": 12,{prompt_details}}}{names}"#,
            word(i)
        ));
        out.push_str("\r\n\r\n");
    }
    out.push_str(&format!(
        r#"data: {{"candidates": [{{"content": {{"parts": [{{"text": ""}}],"role": "model"}},"finishReason": "STOP","index": 0}}],"usageMetadata": {{{prompt},"candidatesTokenCount": {deltas},"totalTokenCount": {},{prompt_details}}}{names}"#,
        12 + deltas
    ));
    out.push_str("\r\n\r\n");
    out.into_bytes()
}
