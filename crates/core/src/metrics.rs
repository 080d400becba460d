//! A stream's numbers, folded from its events as they arrive: one definition for every front end.
//! The CLI's `--stats` and `compare` table, the app's stats under an answer, its compare table and
//! live column stats, and the inspector's summary all read a [`Metrics`]; none works a number out
//! on its own.
//!
//! The definitions (every time in milliseconds since the request was sent):
//! - **time to first token**: to the first event carrying content ([`StreamEvent::is_content`]);
//! - **output tokens**: the provider's count, from the latest usage report that gives one; until
//!   then the content events counted, marked `tokens_estimated`;
//! - **tokens per second**: output tokens divided by the seconds from the first content event to
//!   the last event seen (the ending included); none until there are two tokens and time between
//!   them;
//! - **duration**: to the last event seen;
//! - **cached input tokens**: of the input tokens, those the provider read from its prompt cache,
//!   from the latest usage report that gives them;
//! - **cost**: the answer's price in US dollars, from the provider's own counts and the model's
//!   price ([`cost::answer_cost`](crate::cost::answer_cost), which states the rule), set by the
//!   stream's [`Collector`](crate::Collector) when it knows the price; none without both;
//! - **reasoning tokens**: of the output tokens, those the provider says the model spent
//!   reasoning, from the latest usage report that gives them;
//! - **server tokens per second**: output tokens divided by the server's own generation time,
//!   when its usage report gives one (Ollama's): the model's pace without the network's.
//!
//! A running stream's events are timed by its consumer's clock as each batch of reads arrives
//! ([`Collector`](crate::Collector)); a recorded stream's by the arrival of the read that completed
//! each event ([`inspect::RowReader`](crate::inspect::RowReader)).

use serde::{Deserialize, Serialize};

use crate::event::StreamEvent;

/// Timings and counts of one stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Milliseconds from sending the request to the response head.
    pub ttfb_ms: Option<f64>,
    /// Milliseconds from sending the request to the first piece of the answer.
    pub ttft_ms: Option<f64>,
    /// Milliseconds from sending the request to the last event seen.
    pub duration_ms: f64,
    /// Content events received (text, thinking, refusal with text; tool-call fragments).
    pub deltas: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Prompt tokens, as the provider last reported them.
    pub input_tokens: Option<u64>,
    /// Output tokens: the provider's count, or the number of content events until it sends one.
    pub output_tokens: Option<u64>,
    /// True when `output_tokens` is the count of content events, not the provider's count.
    pub tokens_estimated: bool,
    /// Output tokens per second between the first content event and the last event.
    pub tokens_per_sec: Option<f64>,
    /// Of the output tokens, those spent reasoning, as the provider last reported them.
    pub reasoning_tokens: Option<u64>,
    /// Output tokens per second of the server's own generation time, when it reports one.
    pub server_tokens_per_sec: Option<f64>,
    /// Of the input tokens, those read from the provider's prompt cache, as it last reported them.
    #[serde(default)]
    pub cached_input_tokens: Option<u64>,
    /// What the answer cost in US dollars, from the provider's counts and the model's price;
    /// none without a price or without the provider's counts.
    #[serde(default)]
    pub cost_usd: Option<f64>,
}

impl Metrics {
    /// The response head arrived `at_ms` after the request was sent.
    pub fn connected(&mut self, at_ms: f64) {
        self.ttfb_ms = Some(at_ms);
    }

    /// Folds one event that arrived `at_ms` after the request was sent, when `bytes` body bytes
    /// had arrived.
    pub fn record(&mut self, at_ms: f64, bytes: u64, event: &StreamEvent) {
        if event.is_content() {
            self.deltas += 1;
            self.ttft_ms.get_or_insert(at_ms);
            if self.output_tokens.is_none() || self.tokens_estimated {
                self.output_tokens = Some(self.deltas);
                self.tokens_estimated = true;
            }
        }
        if let StreamEvent::Usage(usage) = event {
            if let Some(tokens) = usage.output_tokens {
                self.output_tokens = Some(tokens);
                self.tokens_estimated = false;
            }
            self.input_tokens = usage.input_tokens.or(self.input_tokens);
            self.reasoning_tokens = usage.reasoning_tokens.or(self.reasoning_tokens);
            self.cached_input_tokens = usage.cached_input_tokens.or(self.cached_input_tokens);
            if let (Some(tokens), Some(ns)) = (usage.output_tokens, usage.generation_ns.filter(|ns| *ns > 0)) {
                self.server_tokens_per_sec = Some(tokens as f64 * 1e9 / ns as f64);
            }
        }
        self.duration_ms = at_ms;
        self.bytes = bytes;
        self.tokens_per_sec = match (self.output_tokens, self.ttft_ms) {
            (Some(tokens), Some(first)) if tokens > 1 && at_ms > first => {
                Some(tokens as f64 * 1000.0 / (at_ms - first))
            }
            _ => None,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{FinishReason, Usage};

    fn text(text: &str) -> StreamEvent {
        StreamEvent::TextDelta { text: text.into() }
    }

    fn usage(input: Option<u64>, output: Option<u64>) -> StreamEvent {
        StreamEvent::Usage(Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        })
    }

    #[test]
    fn the_first_content_is_the_first_token_and_the_rate_runs_from_it_to_the_last_event() {
        let mut metrics = Metrics::default();
        metrics.connected(50.0);
        let start = StreamEvent::Start {
            response_id: None,
            model: None,
        };
        metrics.record(100.0, 10, &start);
        metrics.record(150.0, 20, &text(""));
        assert_eq!((metrics.ttft_ms, metrics.output_tokens), (None, None), "no content yet");
        metrics.record(200.0, 30, &text("Hel"));
        assert_eq!(metrics.tokens_per_sec, None, "one token is no rate");
        metrics.record(700.0, 40, &text("lo"));
        assert_eq!(metrics.ttft_ms, Some(200.0));
        assert_eq!((metrics.output_tokens, metrics.tokens_estimated), (Some(2), true));
        assert_eq!(metrics.tokens_per_sec, Some(4.0), "2 tokens over 0.5 s");
        let finish = StreamEvent::Finish {
            reason: FinishReason::Stop,
            raw_reason: None,
        };
        metrics.record(1200.0, 50, &finish);
        assert_eq!(
            metrics.tokens_per_sec,
            Some(2.0),
            "to the last event, the ending included"
        );
        assert_eq!(
            (metrics.ttfb_ms, metrics.duration_ms, metrics.bytes),
            (Some(50.0), 1200.0, 50)
        );
        assert_eq!(metrics.deltas, 2);
    }

    #[test]
    fn the_providers_latest_count_replaces_the_estimate_and_stays() {
        let mut metrics = Metrics::default();
        metrics.record(100.0, 0, &text("a"));
        metrics.record(200.0, 0, &usage(Some(7), Some(10)));
        assert_eq!((metrics.output_tokens, metrics.tokens_estimated), (Some(10), false));
        metrics.record(300.0, 0, &text("b"));
        assert_eq!(
            metrics.output_tokens,
            Some(10),
            "a reported count is not replaced by a count of deltas"
        );
        metrics.record(400.0, 0, &usage(None, None));
        assert_eq!((metrics.input_tokens, metrics.output_tokens), (Some(7), Some(10)));
        metrics.record(500.0, 0, &usage(None, Some(12)));
        assert_eq!(metrics.output_tokens, Some(12));
        assert_eq!(metrics.tokens_per_sec, Some(12.0 / 0.4));
    }

    #[test]
    fn reasoning_tokens_and_the_servers_own_rate_come_from_the_usage_that_gives_them() {
        let mut metrics = Metrics::default();
        metrics.record(100.0, 0, &text("a"));
        assert_eq!((metrics.reasoning_tokens, metrics.server_tokens_per_sec), (None, None));
        let reported = Usage {
            input_tokens: Some(5),
            output_tokens: Some(40),
            reasoning_tokens: Some(30),
            cached_input_tokens: None,
            generation_ns: Some(500_000_000),
        };
        metrics.record(200.0, 0, &StreamEvent::Usage(reported));
        assert_eq!(metrics.reasoning_tokens, Some(30));
        assert_eq!(
            metrics.server_tokens_per_sec,
            Some(80.0),
            "40 tokens in the server's 0.5 s"
        );
        metrics.record(300.0, 0, &usage(None, Some(41)));
        assert_eq!(
            (metrics.reasoning_tokens, metrics.server_tokens_per_sec),
            (Some(30), Some(80.0)),
            "a later report without them keeps them"
        );
        let instant = Usage {
            output_tokens: Some(3),
            generation_ns: Some(0),
            ..Usage::default()
        };
        metrics.record(400.0, 0, &StreamEvent::Usage(instant));
        assert_eq!(metrics.server_tokens_per_sec, Some(80.0), "no time is no rate");
    }
}
