//! How numbers of a stream are written in the terminal, the same in `chat --stats` and `compare`.

use runnel_core::Metrics;

/// Milliseconds, or `-` when unknown.
pub fn ms(value: Option<f64>) -> String {
    value.map_or("-".to_owned(), |ms| format!("{ms:.0} ms"))
}

/// Output tokens, with `~` when counted from deltas rather than reported, or `-`.
pub fn tokens(metrics: &Metrics) -> String {
    match metrics.output_tokens {
        Some(tokens) if metrics.tokens_estimated => format!("~{tokens}"),
        Some(tokens) => tokens.to_string(),
        None => "-".to_owned(),
    }
}

/// Tokens per second, or `-`.
pub fn rate(metrics: &Metrics) -> String {
    metrics
        .tokens_per_sec
        .map_or("-".to_owned(), |rate| format!("{rate:.1}"))
}
