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

/// ` (N reasoning)` when the provider counted reasoning tokens (some), else nothing.
pub fn reasoning(metrics: &Metrics) -> String {
    metrics
        .reasoning_tokens
        .filter(|tokens| *tokens > 0)
        .map_or_else(String::new, |tokens| format!(" ({tokens} reasoning)"))
}

/// ` (server N)`, the rate by the server's own generation time when it reported one, else nothing.
pub fn server_rate(metrics: &Metrics) -> String {
    metrics
        .server_tokens_per_sec
        .map_or_else(String::new, |rate| format!(" (server {rate:.1})"))
}

/// `  cost $0.0042` when the answer has a cost (a priced model, the server's counts), else
/// nothing: a model without a price shows no cost rather than a guess.
pub fn cost(metrics: &Metrics) -> String {
    metrics.cost_usd.map_or_else(String::new, |usd| {
        format!("  cost {}", runnel_core::cost::format_usd(usd))
    })
}
