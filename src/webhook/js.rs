//! The wasm-bindgen seam of `coassemble-events/webhooks` and `/inbox`: plain JS values in and out.
//!
//! `js/server/webhooks.js` normalises the JS inputs (header shapes, body types, defaults) and turns the error
//! object into a `WebhookError`; all checks happen in [`verify`]. `signWebhook` is for the test kit
//! (`coassemble-events/testing`), so deliveries are signed by the same code that verifies them.
//! `js/server/inbox.js` decodes stored bodies with [`decode_webhook_body`].

use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{sign, verify, Delivery, WebhookError, WebhookEvent};

/// A verified delivery as the JS API gets it: the lenient typed `event` (`null` when the body is not
/// JSON, then `notJson` says why). The whole body (`json`, and `raw` for the inbox) is added in JS:
/// `JSON.parse` of the body text there (any depth V8 handles; big integers as JS numbers).
///
/// serde-wasm-bindgen's json_compatible serializer fails on an integer beyond 2^53 (`"workspaceId":
/// 12345678901234567890`), which turned the whole delivery into an Error object and the intake's
/// answer into a 503 (issue 16). So [`to_js`] writes 64-bit integers as BigInts (serde-wasm-bindgen has
/// no "only when unsafe" mode), and js/server/webhooks.js turns them into Numbers, the nearest one beyond
/// 2^53, as `JSON.parse` does. (A JSON text through serde_json's
/// serializer, or a `serde_json::to_value` pass, would do too but cost several KB gzipped of number
/// formatting in the wasm: size-budget.json.)
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsDelivery<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: u64,
    test: bool,
    /// `null` too when the caller asked for the keys only (the inbox's intake: see [`verify_webhook`]).
    event: Option<&'a WebhookEvent>,
    /// [`WebhookEvent::event_id`]: the inbox's second unique key, one rule for Rust and Node.
    event_id: Option<&'a str>,
    not_json: Option<&'a str>,
    /// [`Delivery::identity`]: the inbox stores it (`identity` column), so Node and Rust use one rule.
    identity: Option<String>,
}

/// A refused delivery as a plain object; the JS wrapper rethrows it as a `WebhookError`.
#[derive(Serialize)]
struct JsError<'a> {
    code: &'a str,
    status: u16,
    message: String,
}

/// Verifies a delivery. `headers` is flattened `[name, value, name, value, ...]`; `now` and
/// `tolerance_seconds` are seconds. Returns `{ id, type, timestamp, test, event, eventId, notJson,
/// identity }` or throws `{ code, status, message }`. With `with_event` false, `event` is `null`: the
/// inbox's intake stores the keys and the bytes, and building the typed event as JS objects was about
/// a fifth of its CPU per delivery (issue 16); its worker decodes the stored body when a handler reads it.
#[wasm_bindgen(js_name = verifyWebhook)]
pub fn verify_webhook(
    headers: Vec<String>,
    body: &[u8],
    secrets: Vec<String>,
    tolerance_seconds: f64,
    now: f64,
    with_event: bool,
) -> Result<JsValue, JsValue> {
    let pairs: Vec<(&str, &str)> = headers
        .chunks_exact(2)
        .map(|p| (p[0].as_str(), p[1].as_str()))
        .collect();
    // Negative or NaN inputs saturate to 0 (`as` casts from f64 saturate).
    let tolerance = Duration::from_secs(tolerance_seconds as u64);
    let now = UNIX_EPOCH + Duration::from_secs(now as u64);
    match verify(&pairs, body, &secrets, tolerance, now) {
        Ok(delivery) => Ok(to_js(&delivery_view(&delivery, with_event))),
        Err(error) => Err(to_js(&error_view(&error))),
    }
}

/// The `X-Coassemble-Signature` value (`sha256=<hex>`) for `body` signed with `secret` at
/// `timestamp` (unix seconds), as [`sign`] computes it.
#[wasm_bindgen(js_name = signWebhook)]
pub fn sign_webhook(secret: &str, timestamp: u64, body: &[u8]) -> String {
    sign(secret.as_bytes(), timestamp, body)
}

/// Decodes a body that [`verify`] accepted before: the inbox stores the raw bytes, and its worker
/// (maybe another process, long after the signature's window) decodes them here, so the handler gets
/// the verifier's own lenient view, not a second copy of it in JS. `id`, `header_type` and
/// `timestamp` are the stored row's. Returns `{ id, type, timestamp, test, event, notJson }`, the shape
/// of `verifyWebhook`'s result (js/server/webhooks.js adds `json`, and `raw` for the inbox).
#[wasm_bindgen(js_name = decodeWebhookBody)]
pub fn decode_webhook_body(id: String, header_type: &str, timestamp: f64, body: &[u8]) -> JsValue {
    to_js(&delivery_view(
        &Delivery::decode(id, header_type, timestamp as u64, body),
        true,
    ))
}

fn delivery_view(delivery: &Delivery, with_event: bool) -> JsDelivery<'_> {
    JsDelivery {
        id: &delivery.id,
        event_type: &delivery.event_type,
        timestamp: delivery.timestamp,
        test: delivery.test,
        event: match &delivery.payload {
            WebhookEvent::NotJson(_) => None,
            _ if !with_event => None,
            event => Some(event),
        },
        event_id: delivery.payload.event_id(),
        not_json: match &delivery.payload {
            WebhookEvent::NotJson(reason) => Some(reason),
            _ => None,
        },
        identity: delivery.identity(),
    }
}

fn error_view(error: &WebhookError) -> JsError<'_> {
    JsError {
        code: error.code(),
        status: error.http_status(),
        message: error.to_string(),
    }
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    // JSON-compatible (`None` as `null`, maps as plain objects), except that 64-bit integers are
    // BigInts, never an error (see `JsDelivery`).
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true)
        .serialize_large_number_types_as_bigints(true);
    value.serialize(&serializer).unwrap_or_else(JsValue::from)
}
