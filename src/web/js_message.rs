//! [`Message`] for a `JsValue`: the decoder reads a JS object directly, with no JSON round trip.
//! (The npm package's listener reads JSON text instead, see [`crate::json_text`]; this reader is
//! for Rust callers holding JS values.)

use crate::message::{Field, Message};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// Any JS value, read with a plain `value[key]`.
    type Value;
    /// `value[key]`: one call into JS (Reflect.get needs an `is_object` check first), `None` for
    /// `undefined` and `null` alike (a `null` member is as unusable as a missing one, and the glue
    /// tells them apart without another call). Throws only for a `null`/`undefined` `value` (and
    /// exotic objects: a throwing getter, a revoked Proxy): not ours.
    #[wasm_bindgen(method, structural, indexing_getter, catch)]
    fn get(this: &Value, key: &str) -> Result<Option<JsValue>, JsValue>;
}

impl Message for JsValue {
    fn member(&self, key: &str) -> Option<JsValue> {
        self.unchecked_ref::<Value>().get(key).ok()?
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
