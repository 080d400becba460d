//! A non-2xx response → a typed [`StreamError`]: the kind from the status (refined by the
//! provider's error type), the provider's message, and when to retry. Also a 200 whose body is
//! not an event stream ([`not_an_event_stream`]).

use std::time::SystemTime;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::error::{ErrorKind, StreamError};
use crate::provider::{Protocol, ProviderErrorBody};

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    error: Option<ErrorField<'a>>,
    /// vLLM and some proxies put the message at the top level.
    #[serde(borrow)]
    message: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField<'a> {
    Object(#[serde(borrow)] ProviderErrorBody<'a>),
    Text(#[serde(borrow)] std::borrow::Cow<'a, str>),
}

/// The error a response with a failing `status` stands for, from its headers and body (whose
/// error type `protocol` reads).
pub fn error_from_response(protocol: &dyn Protocol, status: u16, headers: &HeaderMap, body: &[u8]) -> StreamError {
    let status_kind = ErrorKind::from_status(status);
    let (error_type, provider_message) = provider_words(protocol, body);
    // The status decides, except where the provider's type is more specific (a 400 that is
    // really a quota problem or a rejected key, a 500 that says "overloaded").
    let kind = match error_type
        .as_deref()
        .and_then(|error_type| protocol.error_kind(error_type))
    {
        Some(specific @ (ErrorKind::RateLimited | ErrorKind::Overloaded | ErrorKind::Authentication)) => specific,
        _ => status_kind,
    };
    let mut error = StreamError::new(kind, describe(status, provider_message.as_deref()));
    error.status = Some(status);
    error.error_type = error_type;
    error.retry_after = retry_after(headers).or_else(|| protocol.retry_after(body));
    error
}

/// The error a 200 stands for whose body is not an event stream (its `content_type` is another):
/// a captive portal's page, a proxy's notice, a JSON answer to a streaming request. An error the
/// provider names in a JSON body keeps its kind; anything else is a protocol error naming the
/// content type and showing the body's first line.
pub fn not_an_event_stream(
    protocol: &dyn Protocol,
    content_type: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> StreamError {
    let (error_type, provider_message) = provider_words(protocol, body);
    let kind = error_type
        .as_deref()
        .and_then(|error_type| protocol.error_kind(error_type))
        .unwrap_or(ErrorKind::Protocol);
    let content_type: String = content_type.chars().filter(|c| !c.is_control()).collect();
    let content_type = crate::redact::clip(&content_type, 100);
    let mut message = format!("expected an event stream (`text/event-stream`), got `{content_type}`");
    match provider_message
        .as_deref()
        .and_then(first_line)
        .or_else(|| plain_text(body))
    {
        Some(line) => {
            message.push_str(": ");
            message.push_str(&line);
        }
        None => message.push_str(" with an empty body"),
    }
    let mut error = StreamError::new(kind, message);
    error.status = Some(200);
    error.error_type = error_type;
    error.retry_after = retry_after(headers).or_else(|| protocol.retry_after(body));
    error
}

/// The provider's error type and message in a body, when it is JSON of a known shape, else the
/// body's first line as the message; the more specific reason `protocol` reads in the body, if
/// any, is the type.
fn provider_words(protocol: &dyn Protocol, body: &[u8]) -> (Option<String>, Option<String>) {
    let (error_type, message) = common_words(body);
    (protocol.error_reason(body).or(error_type), message)
}

/// The error type and message of the body's common shapes.
fn common_words(body: &[u8]) -> (Option<String>, Option<String>) {
    let parsed = serde_json::from_slice::<Body>(body).ok();
    match parsed {
        Some(Body {
            error: Some(ErrorField::Object(object)),
            ..
        }) => (
            object.error_type().map(str::to_owned),
            object.message.map(|m| m.into_owned()),
        ),
        Some(Body {
            error: Some(ErrorField::Text(text)),
            ..
        }) => (None, Some(text.into_owned())),
        Some(Body { message, .. }) => (None, message.map(|m| m.into_owned())),
        None => (None, plain_text(body)),
    }
}

fn describe(status: u16, provider_message: Option<&str>) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or(if status == 529 { "Overloaded" } else { "error" });
    match provider_message {
        Some(message) if !message.is_empty() => format!("HTTP {status} {reason}: {message}"),
        _ => format!("HTTP {status} {reason}"),
    }
}

/// A short, printable body that was not JSON (an HTML error page is cut to its first line).
fn plain_text(body: &[u8]) -> Option<String> {
    first_line(&String::from_utf8_lossy(body))
}

/// The first non-blank line of `text`, trimmed, without control characters, at most 200
/// characters.
fn first_line(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    let line: String = line.chars().filter(|c| !c.is_control()).collect();
    Some(crate::redact::clip(&line, 200))
}

/// Seconds to wait, from `retry-after-ms` (OpenAI), or `retry-after` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<f64> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    if let Some(ms) = header("retry-after-ms").and_then(|value| value.parse::<f64>().ok()) {
        return Some(ms / 1000.0);
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<f64>() {
        return Some(seconds.max(0.0));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .map(|wait| wait.as_secs_f64())
            .unwrap_or(0.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::protocol;
    use reqwest::header::HeaderValue;

    fn openai() -> &'static dyn Protocol {
        protocol("openai").unwrap()
    }

    fn anthropic() -> &'static dyn Protocol {
        protocol("anthropic").unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn openai_401_is_authentication_with_the_providers_message() {
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        let error = error_from_response(openai(), 401, &HeaderMap::new(), body);
        assert_eq!(error.kind, ErrorKind::Authentication);
        assert_eq!(error.status, Some(401));
        assert_eq!(error.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(
            error.message,
            "HTTP 401 Unauthorized: Incorrect API key provided: sk-abc***xyz."
        );
    }

    #[test]
    fn anthropic_529_is_overloaded() {
        let body = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let error = error_from_response(anthropic(), 529, &HeaderMap::new(), body);
        assert_eq!(error.kind, ErrorKind::Overloaded);
        assert_eq!(error.message, "HTTP 529 Overloaded: Overloaded");
    }

    #[test]
    fn rate_limits_carry_retry_after_in_seconds_or_ms_or_a_date() {
        let body = br#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#;
        let error = error_from_response(openai(), 429, &headers(&[("retry-after", "20")]), body);
        assert_eq!((error.kind, error.retry_after), (ErrorKind::RateLimited, Some(20.0)));
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "1500"), ("retry-after", "2")])),
            Some(1.5)
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + std::time::Duration::from_secs(90));
        let wait = retry_after(&headers(&[("retry-after", &later)])).unwrap();
        assert!((85.0..=90.0).contains(&wait), "{wait}");
    }

    #[test]
    fn a_protocol_reads_when_to_retry_from_the_body_when_no_header_says() {
        struct BodySays;
        impl Protocol for BodySays {
            fn routes(&self) -> crate::provider::Routes {
                openai().routes()
            }
            fn name(&self) -> &'static str {
                "body says"
            }
            fn headers(&self, key: Option<&crate::ApiKey>) -> HeaderMap {
                openai().headers(key)
            }
            fn chat_body(&self, request: &crate::ChatRequest, quirks: &crate::provider::Quirks) -> serde_json::Value {
                openai().chat_body(request, quirks)
            }
            fn decoder(&self) -> Box<dyn crate::provider::EventDecoder> {
                openai().decoder()
            }
            fn finish_reason(&self, raw: &str) -> crate::FinishReason {
                openai().finish_reason(raw)
            }
            fn error_kind(&self, error_type: &str) -> Option<ErrorKind> {
                openai().error_kind(error_type)
            }
            fn parse_models(&self, body: &[u8]) -> Result<Vec<crate::provider::ModelInfo>, StreamError> {
                openai().parse_models(body)
            }
            fn describe(&self, frame: &crate::sse::SseFrame) -> Vec<crate::provider::Field> {
                openai().describe(frame)
            }
            fn retry_after(&self, body: &[u8]) -> Option<f64> {
                (body == b"wait 7").then_some(7.0)
            }
        }
        let error = error_from_response(&BodySays, 429, &HeaderMap::new(), b"wait 7");
        assert_eq!((error.kind, error.retry_after), (ErrorKind::RateLimited, Some(7.0)));
        let error = error_from_response(&BodySays, 429, &headers(&[("retry-after", "2")]), b"wait 7");
        assert_eq!(error.retry_after, Some(2.0));
        let error = error_from_response(openai(), 429, &HeaderMap::new(), b"wait 7");
        assert_eq!(error.retry_after, None);
    }

    #[test]
    fn string_errors_and_html_pages_are_readable() {
        let error = error_from_response(
            openai(),
            404,
            &HeaderMap::new(),
            br#"{"error":"model \"nope\" not found, try pulling it first"}"#,
        );
        assert_eq!(error.kind, ErrorKind::NotFound);
        assert!(
            error
                .message
                .ends_with(r#"model "nope" not found, try pulling it first"#)
        );
        let error = error_from_response(
            openai(),
            502,
            &HeaderMap::new(),
            b"\n<html><body>Bad gateway</body></html>",
        );
        assert_eq!(error.kind, ErrorKind::Server);
        assert_eq!(
            error.message,
            "HTTP 502 Bad Gateway: <html><body>Bad gateway</body></html>"
        );
    }
}
