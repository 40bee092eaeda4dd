//! [`Message`] for the `JsValue` a `MessageEvent` delivers: the decoder reads the posted object
//! directly, with no JSON round trip.

use crate::message::{Field, Message};
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// JS strings of the member names the decoder reads and the event objects carry. Turning a
    /// Rust `&str` into a JS string goes through `TextDecoder`, several times slower than this
    /// lookup; the set is small and fixed (the names in decode.rs and js_api.rs), so a list will do.
    static KEYS: RefCell<Vec<(Box<str>, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `key` as a JS string, converted once per page.
pub(crate) fn with_key<R>(key: &str, f: impl FnOnce(&JsValue) -> R) -> R {
    KEYS.with(|keys| {
        let Ok(mut keys) = keys.try_borrow_mut() else { return f(&JsValue::from_str(key)) };
        let index = match keys.iter().position(|(k, _)| **k == *key) {
            Some(index) => index,
            None => {
                keys.push((key.into(), JsValue::from_str(key)));
                keys.len() - 1
            }
        };
        f(&keys[index].1)
    })
}

#[wasm_bindgen]
extern "C" {
    /// Any JS value, read with a plain `value[key]`.
    type Value;
    /// `value[key]`: one call into JS (Reflect.get needs an `is_object` check first). Throws only
    /// for `null`/`undefined` (and exotic objects: a throwing getter, a revoked Proxy): not ours.
    #[wasm_bindgen(method, structural, indexing_getter, catch)]
    fn get(this: &Value, key: &JsValue) -> Result<JsValue, JsValue>;
}

impl Message for JsValue {
    fn member(&self, key: &str) -> Option<JsValue> {
        let value = with_key(key, |key| self.unchecked_ref::<Value>().get(key)).ok()?;
        (!value.is_undefined()).then_some(value)
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
