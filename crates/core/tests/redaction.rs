//! A key never leaves the core in an error, whole or in part: not where a server echoes it, not
//! in the provider's error type, not where a snippet of a frame or body is cut in the middle of it.

mod common;

use common::{SECRET, endpoint, play};
use runnel_core::{Completion, Outcome, StreamError};
use runnel_testkit::{FakeServer, Reply};

fn failure(completion: &Completion) -> &StreamError {
    match &completion.outcome {
        Outcome::Error { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// No four characters in a row of the key appear in `text`.
fn assert_no_fragment(text: &str) {
    for window in SECRET.as_bytes().windows(4) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(!text.contains(window), "`{window}` of the key leaked: {text}");
    }
}

#[tokio::test]
async fn a_key_cut_by_the_frame_snippet_is_masked_before_the_cut() {
    // Malformed JSON whose snippet (120 characters) ends 5 characters into the key: redacting
    // after the cut would leave `sk-te`.
    let data = format!(r#"{{"pad":"{}{SECRET}"#, "a".repeat(107));
    assert_eq!(data.find(SECRET), Some(115));
    let (_, completion) = play("openai", Reply::sse(format!("data: {data}\n\n"))).await;
    let error = failure(&completion);
    assert!(error.message.contains("[reda…"), "{}", error.message);
    assert_no_fragment(&error.message);
}

#[tokio::test]
async fn a_key_cut_by_the_error_body_snippet_is_masked_before_the_cut() {
    // An HTML error page whose first line is cut at 200 characters, 6 characters into the key.
    let line = format!("<html>{}{SECRET} and more</html>", "b".repeat(188));
    let (_, completion) = play("openai", Reply::json(502, &line)).await;
    let error = failure(&completion);
    assert!(error.message.contains("[redac…"), "{}", error.message);
    assert_no_fragment(&error.message);
}

#[tokio::test]
async fn a_partial_key_echoed_in_the_message_or_the_error_type_is_masked() {
    let half = &SECRET[..14];
    let body =
        format!(r#"{{"error":{{"message":"Incorrect API key provided: {half}***","type":"bad_key:{SECRET}"}}}}"#);
    let (events, completion) = play("openai", Reply::json(401, &body)).await;
    let error = failure(&completion);
    assert_eq!(
        error.message,
        "HTTP 401 Unauthorized: Incorrect API key provided: [redacted]***"
    );
    assert_eq!(error.error_type.as_deref(), Some("bad_key:[redacted]"));
    for event in &events {
        assert_no_fragment(&serde_json::to_string(event).unwrap());
    }
}

#[tokio::test]
async fn a_model_list_error_is_masked_too() {
    let server = FakeServer::start().await;
    let line = format!("{}{SECRET}", "c".repeat(196));
    server.route("/v1/models", Reply::json(500, &line));
    let error = common::engine().models(&endpoint(&server, "openai")).await.unwrap_err();
    assert_no_fragment(&error.message);
}
