//! [`Message`] for the `JsValue` a `MessageEvent` delivers: the decoder reads the posted object
//! directly, with no JSON round trip.

use crate::message::{Field, Message};
use js_sys::Reflect;
use wasm_bindgen::JsValue;

impl Message for JsValue {
    fn member(&self, key: &str) -> Option<JsValue> {
        if !self.is_object() {
            return None;
        }
        // Reflect::get only fails on exotic objects (a throwing getter, a revoked Proxy): not ours.
        let value = Reflect::get(self, &JsValue::from_str(key)).ok()?;
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
