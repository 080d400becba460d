//! What an answer cost: a model's [`Price`] (US dollars per million tokens) applied to the tokens
//! its server reported ([`Metrics`], folded from [`Usage`](crate::Usage)). Never an estimate: an
//! answer whose server did not report both its prompt and its answer tokens has no cost, and
//! neither has a model without a price.
//!
//! The rule, the same for every protocol, because each protocol's decoder reports usage in one
//! shape ([`Usage`](crate::Usage)):
//! - **input**: the prompt's tokens, cached ones included (Anthropic's `input_tokens` leaves its
//!   cache reads and writes out; its decoder adds them back). Of those, the cached ones
//!   (OpenAI's `cached_tokens`, Anthropic's `cache_read_input_tokens`, Gemini's
//!   `cachedContentTokenCount`) are charged at the cached-input price when the model has one, the
//!   rest at the input price;
//! - **output**: the answer's tokens, reasoning included (OpenAI's `completion_tokens` and
//!   `output_tokens` already count their reasoning tokens; Gemini's decoder adds its
//!   `thoughtsTokenCount` to `candidatesTokenCount`). Of those, the reasoning ones are charged at
//!   the reasoning price when the model has one, the rest at the output price: reasoning is never
//!   charged twice.

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;

/// The highest price accepted, in dollars per million tokens: far above any published price, low
/// enough that a slip (a price per token typed as per million, an extra digit run) is refused.
pub const MAX_PRICE: f64 = 10_000.0;

/// A model's price in US dollars per million tokens.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Per million prompt tokens.
    pub input: f64,
    /// Per million answer tokens.
    pub output: f64,
    /// Per million prompt tokens read from the provider's cache, when that differs from `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cached_input: Option<f64>,
    /// Per million reasoning tokens, when that differs from `output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub reasoning: Option<f64>,
}

/// Checked prices hold finite numbers only, so equality is total.
impl Eq for Price {}

/// Why a price was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    /// A number that is not finite (NaN, infinity).
    #[error("the {field} price must be a number")]
    NotANumber {
        /// The price's field (`input`, `output`, `cached_input`, `reasoning`).
        field: &'static str,
    },
    /// A number below zero.
    #[error("the {field} price must not be negative (it is {value})")]
    Negative {
        /// The price's field.
        field: &'static str,
        /// The number given.
        value: f64,
    },
    /// A number above [`MAX_PRICE`].
    #[error("the {field} price must be at most {MAX_PRICE} dollars per million tokens (it is {value})")]
    TooHigh {
        /// The price's field.
        field: &'static str,
        /// The number given.
        value: f64,
    },
}

impl Price {
    /// The price, when each of its numbers is finite, not negative and at most [`MAX_PRICE`].
    pub fn checked(self) -> Result<Self, PriceError> {
        let fields = [
            ("input", Some(self.input)),
            ("output", Some(self.output)),
            ("cached_input", self.cached_input),
            ("reasoning", self.reasoning),
        ];
        for (field, value) in fields {
            let Some(value) = value else { continue };
            if !value.is_finite() {
                return Err(PriceError::NotANumber { field });
            }
            if value < 0.0 {
                return Err(PriceError::Negative { field, value });
            }
            if value > MAX_PRICE {
                return Err(PriceError::TooHigh { field, value });
            }
        }
        Ok(self)
    }
}

/// What the answer `metrics` describes cost at `price`, in US dollars (the rule is this module's
/// doc). `None` unless the server reported both the prompt's and the answer's tokens: an answer
/// whose tokens were only counted as they arrived, or a stream stopped before its usage report,
/// has no cost rather than a guess.
pub fn answer_cost(metrics: &Metrics, price: &Price) -> Option<f64> {
    let input = metrics.input_tokens?;
    let output = metrics.output_tokens.filter(|_| !metrics.tokens_estimated)?;
    let cached = metrics.cached_input_tokens.unwrap_or(0).min(input);
    let reasoning = metrics.reasoning_tokens.unwrap_or(0).min(output);
    let per_token = |tokens: u64, per_million: f64| tokens as f64 * per_million / 1e6;
    let cached_price = price.cached_input.unwrap_or(price.input);
    let reasoning_price = price.reasoning.unwrap_or(price.output);
    Some(
        per_token(input - cached, price.input)
            + per_token(cached, cached_price)
            + per_token(output - reasoning, price.output)
            + per_token(reasoning, reasoning_price),
    )
}

/// `usd` as people read a price: cents from a dollar up (`$1.25`), two significant digits below
/// (`$0.0042`, `$0.00045`), at most six decimals (`<$0.000001` below that), no trailing zeros past
/// the cents. The page's `formatCost` writes the same.
pub fn format_usd(usd: f64) -> String {
    if usd <= 0.0 {
        return "$0.00".to_owned();
    }
    if usd < 0.000_001 {
        return "<$0.000001".to_owned();
    }
    if usd >= 1.0 {
        return format!("${usd:.2}");
    }
    let decimals = (1 - usd.log10().floor() as i32).clamp(2, 6) as usize;
    let written = format!("{usd:.decimals$}");
    let trimmed = written.trim_end_matches('0');
    let cents = "0.00".len();
    format!(
        "${}",
        if trimmed.len() < cents {
            &written[..cents]
        } else {
            trimmed
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(input: f64, output: f64) -> Price {
        Price {
            input,
            output,
            cached_input: None,
            reasoning: None,
        }
    }

    fn reported(input: u64, output: u64) -> Metrics {
        Metrics {
            input_tokens: Some(input),
            output_tokens: Some(output),
            ..Metrics::default()
        }
    }

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a cost");
        assert!((actual - expected).abs() < 1e-12, "{actual} ≠ {expected}");
    }

    #[test]
    fn prompt_and_answer_tokens_are_charged_per_million() {
        // gpt-4o-mini: $0.15 in, $0.60 out; 1,000 in and 500 out.
        close(answer_cost(&reported(1000, 500), &price(0.15, 0.6)), 0.00045);
        close(answer_cost(&reported(0, 0), &price(0.15, 0.6)), 0.0);
    }

    #[test]
    fn cached_prompt_tokens_are_charged_at_the_cached_price_and_the_rest_at_the_input_price() {
        let metrics = Metrics {
            cached_input_tokens: Some(600),
            ..reported(1000, 100)
        };
        let cached = Price {
            cached_input: Some(0.5),
            ..price(2.0, 8.0)
        };
        // 400 × $2 + 600 × $0.50 + 100 × $8, per million.
        close(answer_cost(&metrics, &cached), 0.0019);
        // No cached price: every prompt token at the input price.
        close(answer_cost(&metrics, &price(2.0, 8.0)), 0.0028);
        // A server claiming more cached tokens than its prompt had charges no negative rest.
        let over = Metrics {
            cached_input_tokens: Some(5000),
            ..reported(1000, 0)
        };
        close(answer_cost(&over, &cached), 0.0005);
    }

    #[test]
    fn reasoning_is_part_of_the_output_and_is_never_charged_twice() {
        let metrics = Metrics {
            reasoning_tokens: Some(300),
            ..reported(0, 1000)
        };
        // Output already counts the reasoning: 1,000 tokens at $4, not 1,300.
        close(answer_cost(&metrics, &price(1.0, 4.0)), 0.004);
        let dearer = Price {
            reasoning: Some(10.0),
            ..price(1.0, 4.0)
        };
        // 700 × $4 + 300 × $10.
        close(answer_cost(&metrics, &dearer), 0.0058);
    }

    #[test]
    fn without_the_servers_counts_there_is_no_cost() {
        let counted = Metrics {
            output_tokens: Some(40),
            tokens_estimated: true,
            input_tokens: Some(10),
            ..Metrics::default()
        };
        assert_eq!(
            answer_cost(&counted, &price(1.0, 1.0)),
            None,
            "counted deltas are not usage"
        );
        let no_prompt = Metrics {
            input_tokens: None,
            ..reported(0, 10)
        };
        assert_eq!(answer_cost(&no_prompt, &price(1.0, 1.0)), None);
        assert_eq!(answer_cost(&Metrics::default(), &price(1.0, 1.0)), None);
    }

    #[test]
    fn costs_are_written_with_two_significant_digits_below_a_dollar() {
        let cases = [
            (0.0, "$0.00"),
            (0.000_000_4, "<$0.000001"),
            (0.000_001_2, "$0.000001"),
            (0.000_012_3, "$0.000012"),
            (0.000_45, "$0.00045"),
            (0.004_2, "$0.0042"),
            (0.004_249, "$0.0042"),
            (0.099_9, "$0.10"),
            (0.123, "$0.12"),
            (0.5, "$0.50"),
            (1.0, "$1.00"),
            (12.345, "$12.35"),
        ];
        for (usd, written) in cases {
            assert_eq!(format_usd(usd), written, "{usd}");
        }
    }

    #[test]
    fn prices_are_finite_not_negative_and_bounded() {
        assert!(price(0.0, 0.0).checked().is_ok());
        assert_eq!(
            price(-1.0, 1.0).checked(),
            Err(PriceError::Negative {
                field: "input",
                value: -1.0
            })
        );
        assert_eq!(
            price(1.0, f64::NAN).checked(),
            Err(PriceError::NotANumber { field: "output" })
        );
        let huge = Price {
            reasoning: Some(MAX_PRICE * 2.0),
            ..price(1.0, 1.0)
        };
        let error = huge.checked().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the reasoning price must be at most 10000 dollars per million tokens (it is 20000)"
        );
        let cached = Price {
            cached_input: Some(f64::INFINITY),
            ..price(1.0, 1.0)
        };
        assert_eq!(cached.checked(), Err(PriceError::NotANumber { field: "cached_input" }));
    }
}
