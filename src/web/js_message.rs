//! [`Message`] for the `JsValue` a `MessageEvent` delivers: the decoder reads the posted object
//! directly, with no JSON round trip.

use crate::message::{Field, Message, Pick};
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// JS strings of the member names the decoder reads and the event objects carry. Turning a
    /// Rust `&str` into a JS string goes through `TextDecoder`, several times slower than this
    /// lookup; the set is small and fixed (the names in decode.rs and js_api.rs), so a list will do,
    /// and its entries live as long as the page (leaked on purpose: they are never freed anyway).
    static KEYS: RefCell<Vec<(&'static str, &'static JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// `key` as a JS string, converted once per page.
pub(crate) fn js_key(key: &str) -> &'static JsValue {
    KEYS.with(|keys| {
        let Ok(mut keys) = keys.try_borrow_mut() else {
            return &*Box::leak(Box::new(JsValue::from_str(key)));
        };
        if let Some((_, value)) = keys.iter().find(|(k, _)| *k == key) {
            return *value;
        }
        let entry: (&'static str, &'static JsValue) = (
            Box::leak(key.into()),
            Box::leak(Box::new(JsValue::from_str(key))),
        );
        keys.push(entry);
        entry.1
    })
}

thread_local! {
    /// The word lists of `Message::pick` as JS arrays, built once per list (keyed by address: the
    /// lists are `'static` constants of the decoder).
    static WORDS: RefCell<Vec<(usize, &'static JsValue)>> = const { RefCell::new(Vec::new()) };
}

fn js_words(words: &'static [&'static str]) -> &'static JsValue {
    let id = words.as_ptr() as usize;
    WORDS.with(|lists| {
        let Ok(mut lists) = lists.try_borrow_mut() else {
            return &*Box::leak(Box::new(array_of(words)));
        };
        if let Some((_, array)) = lists.iter().find(|(k, _)| *k == id) {
            return *array;
        }
        let array: &'static JsValue = Box::leak(Box::new(array_of(words)));
        lists.push((id, array));
        array
    })
}

fn array_of(words: &[&str]) -> JsValue {
    words
        .iter()
        .map(|w| js_key(w).clone())
        .collect::<js_sys::Array>()
        .into()
}

// One call reads the member and finds it among the words, comparing JS strings in place.
#[wasm_bindgen(inline_js = r#"
export function pickWord(value, key, words) {
  const text = value == null ? undefined : value[key];
  return typeof text === 'string' ? words.indexOf(text) : -2;
}
"#)]
extern "C" {
    /// Index of `value[key]` in `words`; -1 for another string, -2 when missing or not a string.
    #[wasm_bindgen(js_name = pickWord)]
    fn pick_word(value: &JsValue, key: &JsValue, words: &JsValue) -> i32;
}

#[wasm_bindgen]
extern "C" {
    /// Any JS value, read with a plain `value[key]`.
    type Value;
    /// `value[key]`: one call into JS (Reflect.get needs an `is_object` check first), `None` for
    /// `undefined` and `null` alike (a `null` member is as unusable as a missing one, and the glue
    /// tells them apart without another call). Throws only for a `null`/`undefined` `value` (and
    /// exotic objects: a throwing getter, a revoked Proxy): not ours.
    #[wasm_bindgen(method, structural, indexing_getter, catch)]
    fn get(this: &Value, key: &JsValue) -> Result<Option<JsValue>, JsValue>;
}

impl Message for JsValue {
    fn member(&self, key: &str) -> Option<JsValue> {
        self.unchecked_ref::<Value>().get(js_key(key)).ok()?
    }

    fn pick(&self, key: &str, words: &'static [&'static str]) -> Pick {
        match pick_word(self, js_key(key), js_words(words)) {
            -2 => Pick::Missing,
            index => usize::try_from(index)
                .ok()
                .and_then(|i| words.get(i))
                .map_or(Pick::Other, |w| Pick::Is(w)),
        }
    }

    fn field(&self) -> Field {
        if let Some(text) = self.as_string() {
            Field::Text(text)
        } else if let Some(n) = self.as_f64() {
            Field::Number(n)
        } else if let Some(b) = self.as_bool() {
            Field::Bool(b)
        } else if self.is_null() || self.is_undefined() {
            Field::Null
        } else {
            Field::Structured
        }
    }
}
