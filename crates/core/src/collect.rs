//! Collect while streaming: folds a stream's events into the full message, its usage, its
//! outcome and its numbers ([`Metrics`]), so that whenever and however the stream ends, all of it
//! is at hand.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::cost::Price;
use crate::error::StreamError;
use crate::event::{FinishReason, StreamEvent, Usage};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::recording::Recording;

/// How a stream ended (or that it has not yet), in the words the app stores and shows for a
/// message's state (`streaming`, `done`, `stopped`, `error`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outcome {
    /// Still streaming.
    Streaming,
    /// Complete, with the provider's reason.
    Done {
        /// The normalized reason.
        reason: FinishReason,
        /// The provider's own word for it.
        raw_reason: Option<String>,
    },
    /// Stopped on request; the text is what arrived before.
    Stopped,
    /// Failed; the text is what arrived before the error.
    Error {
        /// What went wrong.
        error: StreamError,
    },
}

/// One tool call, assembled from its fragments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id.
    pub id: Option<String>,
    /// The tool's name.
    pub name: Option<String>,
    /// The JSON arguments, as streamed.
    pub arguments: String,
}

/// Everything a stream produced: the message, usage, outcome and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The provider's id for the response.
    pub response_id: Option<String>,
    /// The model that answered, as the provider named it.
    pub model: Option<String>,
    /// The answer's text.
    pub text: String,
    /// The model's reasoning, when it streamed any.
    pub thinking: String,
    /// A refusal, when the model refused.
    pub refusal: String,
    /// Tool calls, by index.
    pub tool_calls: Vec<ToolCall>,
    /// Token counts as reported.
    pub usage: Usage,
    /// How the stream ended.
    pub outcome: Outcome,
    /// Timings and counts, as [`Metrics`] defines them.
    pub metrics: Metrics,
    /// The response as it arrived, when the stream was recorded
    /// ([`StreamOptions::record`](crate::StreamOptions::record)); set just before the ending.
    #[serde(skip)]
    pub recording: Option<Recording>,
}

/// Folds events into a [`Completion`] as they arrive.
#[derive(Debug, Clone)]
pub struct Collector {
    started: Instant,
    /// [`Limits::tool_calls`]: a tool-call index at or past it is never allocated for.
    max_tool_calls: u32,
    /// The model's price, when known: the cost is worked out from each usage report.
    price: Option<Price>,
    completion: Completion,
}

impl Collector {
    /// A collector for a stream whose request was sent at `started`, with the default limits.
    pub fn new(started: Instant) -> Self {
        Self::with_limits(started, Limits::default())
    }

    /// A collector that ignores tool-call fragments whose index is at or past
    /// `limits.tool_calls`. (A [`ChatStream`](crate::ChatStream) ends with a
    /// [`TooLarge`](crate::ErrorKind::TooLarge) error before one reaches it.)
    pub fn with_limits(started: Instant, limits: Limits) -> Self {
        Self {
            started,
            max_tool_calls: limits.tool_calls,
            price: None,
            completion: Completion {
                response_id: None,
                model: None,
                text: String::new(),
                thinking: String::new(),
                refusal: String::new(),
                tool_calls: Vec::new(),
                usage: Usage::default(),
                outcome: Outcome::Streaming,
                metrics: Metrics::default(),
                recording: None,
            },
        }
    }

    /// Works out the answer's cost at `price` (when given) from each usage report from now on
    /// ([`Metrics::cost_usd`]).
    pub fn set_price(&mut self, price: Option<Price>) {
        self.price = price;
    }

    /// Records the arrival of the response head.
    pub fn connected(&mut self, at: Instant) {
        let at_ms = self.ms_since_start(at);
        self.completion.metrics.connected(at_ms);
    }

    /// Keeps the stream's recording.
    pub fn recorded(&mut self, recording: Recording) {
        self.completion.recording = Some(recording);
    }

    /// Folds one event that arrived at `at`, when `bytes` body bytes had been received.
    pub fn apply(&mut self, at: Instant, bytes: u64, event: &StreamEvent) {
        let at_ms = self.ms_since_start(at);
        let completion = &mut self.completion;
        completion.metrics.record(at_ms, bytes, event);
        match event {
            StreamEvent::Start { response_id, model } => {
                completion.response_id.clone_from(response_id);
                completion.model.clone_from(model);
            }
            StreamEvent::TextDelta { text } => completion.text.push_str(text),
            StreamEvent::ThinkingDelta { text } => completion.thinking.push_str(text),
            StreamEvent::RefusalDelta { text } => completion.refusal.push_str(text),
            StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            } if *index < self.max_tool_calls => {
                let index = *index as usize;
                if completion.tool_calls.len() <= index {
                    completion.tool_calls.resize_with(index + 1, ToolCall::default);
                }
                let call = &mut completion.tool_calls[index];
                if id.is_some() {
                    call.id.clone_from(id);
                }
                if name.is_some() {
                    call.name.clone_from(name);
                }
                call.arguments.push_str(arguments);
            }
            StreamEvent::Usage(usage) => {
                completion.usage = *usage;
                completion.metrics.cost_usd = self
                    .price
                    .and_then(|price| crate::cost::answer_cost(&completion.metrics, &price));
            }
            StreamEvent::Finish { reason, raw_reason } => {
                completion.outcome = Outcome::Done {
                    reason: *reason,
                    raw_reason: raw_reason.clone(),
                };
            }
            StreamEvent::Error(error) => completion.outcome = Outcome::Error { error: error.clone() },
            StreamEvent::Stopped => completion.outcome = Outcome::Stopped,
            StreamEvent::Raw(_) | StreamEvent::ToolCallDelta { .. } => {}
        }
    }

    /// The completion so far.
    pub fn completion(&self) -> &Completion {
        &self.completion
    }

    /// The completion, taken.
    pub fn into_completion(self) -> Completion {
        self.completion
    }

    fn ms_since_start(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64() * 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn folds_text_tools_usage_outcome_and_timings() {
        let start = Instant::now();
        let ms = |n| start + Duration::from_millis(n);
        let mut collector = Collector::new(start);
        collector.connected(ms(100));
        let events = [
            StreamEvent::Start {
                response_id: Some("r".into()),
                model: Some("m".into()),
            },
            StreamEvent::TextDelta { text: "Hel".into() },
            StreamEvent::TextDelta { text: "lo".into() },
            StreamEvent::ToolCallDelta {
                index: 1,
                id: Some("t2".into()),
                name: Some("f".into()),
                arguments: "{".into(),
            },
            StreamEvent::ToolCallDelta {
                index: 1,
                id: None,
                name: None,
                arguments: "}".into(),
            },
            StreamEvent::Usage(Usage {
                input_tokens: Some(2),
                output_tokens: Some(10),
                ..Usage::default()
            }),
            StreamEvent::Finish {
                reason: FinishReason::Stop,
                raw_reason: Some("stop".into()),
            },
        ];
        for (i, event) in events.iter().enumerate() {
            collector.apply(ms(200 + 100 * i as u64), 10 * i as u64, event);
        }
        let completion = collector.completion();
        assert_eq!(completion.text, "Hello");
        assert_eq!(
            completion.tool_calls[1],
            ToolCall {
                id: Some("t2".into()),
                name: Some("f".into()),
                arguments: "{}".into()
            }
        );
        assert_eq!(completion.metrics.ttfb_ms, Some(100.0));
        assert_eq!(completion.metrics.ttft_ms, Some(300.0));
        assert_eq!(completion.metrics.duration_ms, 800.0);
        assert_eq!(completion.metrics.deltas, 4);
        assert_eq!(completion.metrics.output_tokens, Some(10));
        assert_eq!(completion.metrics.tokens_per_sec, Some(10.0 / 0.5));
        assert!(matches!(
            completion.outcome,
            Outcome::Done {
                reason: FinishReason::Stop,
                ..
            }
        ));
    }

    #[test]
    fn a_tool_call_index_past_the_limit_is_never_allocated_for() {
        let mut collector = Collector::new(Instant::now());
        let call = |index| StreamEvent::ToolCallDelta {
            index,
            id: None,
            name: None,
            arguments: "{}".into(),
        };
        collector.apply(Instant::now(), 0, &call(u32::MAX));
        collector.apply(Instant::now(), 0, &call(Limits::default().tool_calls));
        assert!(collector.completion().tool_calls.is_empty());
        collector.apply(Instant::now(), 0, &call(2));
        assert_eq!(collector.completion().tool_calls.len(), 3);
    }

    #[test]
    fn without_usage_tokens_are_estimated_from_deltas() {
        let start = Instant::now();
        let mut collector = Collector::new(start);
        collector.apply(start, 0, &StreamEvent::TextDelta { text: "a".into() });
        collector.apply(
            start + Duration::from_secs(1),
            0,
            &StreamEvent::TextDelta { text: "b".into() },
        );
        collector.apply(start + Duration::from_secs(1), 0, &StreamEvent::Stopped);
        let metrics = &collector.completion().metrics;
        assert_eq!((metrics.output_tokens, metrics.tokens_estimated), (Some(2), true));
        assert_eq!(collector.completion().outcome, Outcome::Stopped);
    }
}
