//! A body's SSE events read by the spec's rules on their own, without Runnel's decoder: what a
//! test compares an inspector's rows with.

/// The SSE events of `body` as (event name, data), in order: blocks split at blank lines (CRLF
/// read as LF), `message` when a block has no `event:`, `data:` lines joined by `\n`; a comment
/// line is `("", its text after the colon)`, before the event of its block (which dispatches at
/// the block's end), as the app's inspector rows name comments.
pub fn sse_events(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        let mut event = None;
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(comment) = line.strip_prefix(':') {
                events.push((String::new(), comment.to_owned()));
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => event = Some(value.to_owned()),
                "data" => data.push(value),
                _ => {}
            }
        }
        if !data.is_empty() {
            events.push((event.unwrap_or_else(|| "message".into()), data.join("\n")));
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_comments_in_their_order() {
        let body = b": hi\r\n\r\nevent: ping\ndata: {}\n\n: tick\ndata: a\ndata: b\n\n";
        let pair = |e: &str, d: &str| (e.to_owned(), d.to_owned());
        assert_eq!(
            sse_events(body),
            [
                pair("", " hi"),
                pair("ping", "{}"),
                pair("", " tick"),
                pair("message", "a\nb")
            ]
        );
    }
}
