//! Read access to a posted message, whatever holds it.
//!
//! The decoder never sees `serde_json` or `JsValue` directly: it asks a [`Message`] for members and
//! scalars. That keeps the protocol rules in one place, tested natively, while the browser glue reads
//! the very object `postMessage` delivered (no re-serialisation on the hot path).

use alloc::string::String;

/// A scalar read from a message, classified the way the decoder needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// JSON `null` (or JS `undefined`): a top-level message can be `null`; a `null` member is
    /// never read as one ([`Message::member`] answers `None` for it).
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (may be NaN or infinite when it comes from JS).
    Number(f64),
    /// A string.
    Text(String),
    /// An object or array.
    Structured,
}

/// Which word of an expected list a string member is (see [`Message::pick`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The member is missing or not a string.
    Missing,
    /// A string that is none of the words.
    Other,
    /// This word.
    Is(&'static str),
}

/// A message value the decoder can read: a JSON-like tree.
pub trait Message: Clone {
    /// The member `key` of an object; `None` when `self` is not an object, has no such member, or the
    /// member is `null` (or `undefined`): one meaning for null, whatever holds the message.
    fn member(&self, key: &str) -> Option<Self>;
    /// What kind of scalar `self` is.
    fn field(&self) -> Field;

    /// The string at `key`, if it is a string.
    fn text(&self, key: &str) -> Option<String> {
        match self.member(key)?.field() {
            Field::Text(s) => Some(s),
            _ => None,
        }
    }

    /// Which of `words` the string at `key` is. The browser implementation compares in place, so
    /// the envelope's `type` and `event` are never copied out of JavaScript.
    fn pick(&self, key: &str, words: &'static [&'static str]) -> Pick {
        match self.text(key) {
            None => Pick::Missing,
            Some(text) => words
                .iter()
                .find(|w| **w == text)
                .map_or(Pick::Other, |w| Pick::Is(w)),
        }
    }
}

#[cfg(feature = "json")]
impl Message for serde_json::Value {
    fn member(&self, key: &str) -> Option<Self> {
        self.as_object()?.get(key).filter(|v| !v.is_null()).cloned()
    }

    fn field(&self) -> Field {
        use serde_json::Value;
        match self {
            Value::Null => Field::Null,
            Value::Bool(b) => Field::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Field::Structured, Field::Number),
            Value::String(s) => Field::Text(s.clone()),
            Value::Array(_) | Value::Object(_) => Field::Structured,
        }
    }
}
