//! The one vocabulary every provider's stream is translated into.
//!
//! A stream's life is one [`StreamEvent::Start`], any number of deltas and usage reports, and
//! exactly one ending: [`StreamEvent::Finish`], [`StreamEvent::Error`] or
//! [`StreamEvent::Stopped`]. A consumer never has to guess whether more is coming.

use serde::{Deserialize, Serialize};

use crate::error::StreamError;

/// One typed event of a chat stream, whatever the provider.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The provider accepted the request: its response id and the model that answers.
    Start {
        /// The provider's id for this response (`chatcmpl-…`, `msg_…`), when it sends one.
        #[serde(rename = "id")]
        response_id: Option<String>,
        /// The model that answers, as the provider names it.
        model: Option<String>,
    },
    /// A fragment of the answer's text.
    #[serde(rename = "text")]
    TextDelta {
        /// The fragment, in order.
        text: String,
    },
    /// A fragment of the model's reasoning (Anthropic thinking, `reasoning_content`, …).
    #[serde(rename = "thinking")]
    ThinkingDelta {
        /// The fragment, in order.
        text: String,
    },
    /// A fragment of a refusal (OpenAI `delta.refusal`).
    #[serde(rename = "refusal")]
    RefusalDelta {
        /// The fragment, in order.
        text: String,
    },
    /// A fragment of a tool call: the id and name come with the first fragment of each call.
    #[serde(rename = "tool_call")]
    ToolCallDelta {
        /// Which tool call of this answer (0, 1, …), counted among tool calls only.
        index: u32,
        /// The call's id, on its first fragment.
        id: Option<String>,
        /// The tool's name, on its first fragment.
        name: Option<String>,
        /// A fragment of the JSON arguments.
        arguments: String,
    },
    /// Token counts reported by the provider.
    Usage(Usage),
    /// The answer is complete.
    Finish {
        /// The reason, normalized across providers.
        reason: FinishReason,
        /// The provider's own word for it (`stop`, `end_turn`, …), when it gave one.
        raw_reason: Option<String>,
    },
    /// The stream ended with an error; whatever arrived before it is kept by the consumer.
    Error(StreamError),
    /// The stream was stopped on request; whatever arrived before it is kept by the consumer.
    Stopped,
    /// A raw SSE event as it arrived, for an inspector (only when asked for).
    Raw(RawFrame),
}

impl StreamEvent {
    /// True for the events that end a stream: finish, error and stop.
    pub fn is_ending(&self) -> bool {
        matches!(self, Self::Finish { .. } | Self::Error(_) | Self::Stopped)
    }

    /// Bytes of the strings this event carries: what holding it costs beyond its fixed size,
    /// as [`Limits::answer_bytes`](crate::Limits::answer_bytes) counts it.
    pub fn payload_bytes(&self) -> usize {
        let len = |text: &Option<String>| text.as_ref().map_or(0, String::len);
        match self {
            Self::TextDelta { text } | Self::ThinkingDelta { text } | Self::RefusalDelta { text } => text.len(),
            Self::ToolCallDelta {
                id, name, arguments, ..
            } => arguments.len() + len(id) + len(name),
            Self::Start { response_id, model } => len(response_id) + len(model),
            Self::Finish { raw_reason, .. } => len(raw_reason),
            Self::Raw(frame) => frame.event.len() + frame.data.len(),
            Self::Error(error) => error.message.len() + len(&error.error_type),
            Self::Usage(_) | Self::Stopped => 0,
        }
    }

    /// True for the events that carry a piece of the answer: text, thinking or refusal with text,
    /// and any tool-call fragment (its first names the tool, even before any arguments). The one
    /// rule for "content": the first marks the time to first token, each counts as a token until
    /// the provider reports its own count ([`Metrics`](crate::Metrics)), the first replaces an
    /// answer being regenerated, and the inspector's chart counts them. An empty text delta is
    /// not content: nothing of the answer arrived.
    pub fn is_content(&self) -> bool {
        match self {
            Self::TextDelta { text } | Self::ThinkingDelta { text } | Self::RefusalDelta { text } => !text.is_empty(),
            Self::ToolCallDelta { .. } => true,
            _ => false,
        }
    }
}

/// Token counts for one answer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt, when reported.
    pub input_tokens: Option<u64>,
    /// Tokens of the answer, when reported.
    pub output_tokens: Option<u64>,
    /// Of the prompt's tokens, those read from the provider's prompt cache, when it counts them
    /// (absent from the JSON when not). `input_tokens` includes them, in every protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cached_input_tokens: Option<u64>,
    /// Of the answer's tokens, those the model spent reasoning, when the provider counts them
    /// (absent from the JSON when not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reasoning_tokens: Option<u64>,
    /// The server's own time generating the answer's tokens, in nanoseconds, when it reports it
    /// (absent from the JSON when not): its tokens per second, free of the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub generation_ns: Option<u64>,
}

/// Why an answer ended, in one vocabulary for every provider.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model finished its answer (or hit a stop sequence).
    Stop,
    /// The answer hit the token limit.
    Length,
    /// The model asks for tool calls.
    ToolCalls,
    /// The provider's filter or the model's refusal cut the answer.
    ContentFilter,
    /// A reason this crate does not know; see the raw reason.
    Other,
}

impl FinishReason {
    /// The stable snake_case word for this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Length => "length",
            Self::ToolCalls => "tool_calls",
            Self::ContentFilter => "content_filter",
            Self::Other => "other",
        }
    }
}

/// One SSE event as it came off the wire, with its arrival time.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawFrame {
    /// Milliseconds since the request was sent.
    pub at_ms: f64,
    /// The SSE `event:` name (`message` when the event had none).
    pub event: String,
    /// The event's data, lines joined by `\n`.
    pub data: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_a_piece_of_the_answer_and_an_ending_is_one_of_three() {
        let text = |text: &str| StreamEvent::TextDelta { text: text.into() };
        let tool = StreamEvent::ToolCallDelta {
            index: 0,
            id: Some("call_1".into()),
            name: Some("f".into()),
            arguments: String::new(),
        };
        assert!(text("a").is_content() && tool.is_content());
        assert!(StreamEvent::ThinkingDelta { text: "hm".into() }.is_content());
        assert!(!text("").is_content(), "an empty delta carries nothing");
        assert!(!StreamEvent::RefusalDelta { text: String::new() }.is_content());
        let usage = StreamEvent::Usage(Usage::default());
        assert!(!usage.is_content() && !usage.is_ending());
        let finish = StreamEvent::Finish {
            reason: FinishReason::Stop,
            raw_reason: None,
        };
        let error = StreamEvent::Error(StreamError::incomplete("cut"));
        assert!([finish, error, StreamEvent::Stopped].iter().all(StreamEvent::is_ending));
        assert!(!text("a").is_ending());
    }

    #[test]
    fn events_serialize_to_the_cli_shape() {
        let text = serde_json::to_string(&StreamEvent::TextDelta { text: "hi".into() }).unwrap();
        assert_eq!(text, r#"{"type":"text","text":"hi"}"#);
        let start = StreamEvent::Start {
            response_id: Some("r1".into()),
            model: Some("m".into()),
        };
        assert_eq!(
            serde_json::to_string(&start).unwrap(),
            r#"{"type":"start","id":"r1","model":"m"}"#
        );
        let usage = StreamEvent::Usage(Usage {
            input_tokens: Some(3),
            output_tokens: Some(5),
            ..Usage::default()
        });
        assert_eq!(
            serde_json::to_string(&usage).unwrap(),
            r#"{"type":"usage","input_tokens":3,"output_tokens":5}"#
        );
        let finish = StreamEvent::Finish {
            reason: FinishReason::Stop,
            raw_reason: Some("end_turn".into()),
        };
        assert_eq!(
            serde_json::to_string(&finish).unwrap(),
            r#"{"type":"finish","reason":"stop","raw_reason":"end_turn"}"#
        );
    }
}
