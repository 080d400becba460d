//! What an inspector shows of a protocol's event: labelled values, as the protocol's SDK guides
//! print them ([`Protocol::describe`](super::Protocol::describe)), and the helpers protocols share
//! to write them from an event's JSON.

use serde::Serialize;
use serde_json::{Map, Value};

/// One labelled value an inspector shows of an event (`content` → `"Hello"`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The guides' name for it (`content`, `finish_reason`, `type`).
    pub label: String,
    /// Its value, ready to show.
    pub value: String,
}

impl Field {
    /// `value` labelled `label`.
    pub fn new(label: &str, value: impl Into<String>) -> Self {
        Self {
            label: label.to_owned(),
            value: value.into(),
        }
    }
}

/// A JSON object, by its members.
pub type Object = Map<String, Value>;

/// An event's data as a JSON object, or `None` when it is anything else (`[DONE]`, text, an array).
pub fn object(data: &str) -> Option<Object> {
    if !data.trim_start().starts_with('{') {
        return None;
    }
    match serde_json::from_str(data) {
        Ok(Value::Object(object)) => Some(object),
        _ => None,
    }
}

/// The object at `key` of `object`, if it is one.
pub fn member<'a>(object: &'a Object, key: &str) -> Option<&'a Object> {
    object.get(key).and_then(Value::as_object)
}

/// A value shown exactly: JSON, so `""` and `null` differ, and `(absent)` when it is missing.
pub fn exact(value: Option<&Value>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), Value::to_string)
}

/// A value shown plainly: a string as it is, anything else as JSON.
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// `key` of `object` shown plainly, or `missing` when it is absent or null.
pub fn plain_or(object: &Object, key: &str, missing: &str) -> String {
    match object.get(key) {
        None | Some(Value::Null) => missing.to_owned(),
        Some(value) => plain(value),
    }
}

/// The `error` object an event carries (`{ "type", "code", "message" }`), in a few words:
/// `rate_limit_exceeded Rate limit reached`.
pub fn error(object: &Object) -> Option<Field> {
    let error = member(object, "error")?;
    let kind = ["type", "code"]
        .iter()
        .find_map(|key| error.get(*key).filter(|value| !value.is_null()))
        .map_or_else(String::new, plain);
    let message = plain_or(error, "message", "");
    Some(Field::new("error", format!("{kind} {message}").trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_exactly_or_plainly() {
        let object = object(r#" {"a":"","b":null,"c":"Hi\n","d":[1,{"x":2}]}"#).unwrap();
        let shown: Vec<String> = ["a", "b", "c", "z"].iter().map(|key| exact(object.get(*key))).collect();
        assert_eq!(shown, [r#""""#, "null", r#""Hi\n""#, "(absent)"]);
        assert_eq!(plain(&object["c"]), "Hi\n");
        assert_eq!(plain(&object["d"]), r#"[1,{"x":2}]"#);
        assert_eq!(plain_or(&object, "b", "?"), "?");
        assert!(super::object("[DONE]").is_none() && super::object("[1]").is_none());
        assert!(super::object("{broken").is_none());
    }

    #[test]
    fn an_error_object_in_a_few_words() {
        let with = |json: &str| error(&object(json).unwrap());
        assert_eq!(
            with(r#"{"error":{"message":"Slow down","type":null,"code":"rate_limit_exceeded"}}"#),
            Some(Field::new("error", "rate_limit_exceeded Slow down"))
        );
        assert_eq!(
            with(r#"{"error":{"type":"server_error"}}"#),
            Some(Field::new("error", "server_error"))
        );
        assert_eq!(with(r#"{"error":"text"}"#), None);
    }
}
