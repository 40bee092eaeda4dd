//! Verify and decode Coassemble webhook deliveries on the server, and keep them in a durable inbox.
//!
//! A webhook endpoint is a public URL: anyone can POST to it, and Coassemble itself retries a delivery
//! (up to four times, with the same delivery id) only when it gets no 2xx answer. [`verify`] checks a
//! delivery (headers, HMAC-SHA256 signature over the **raw** body with a constant-time compare,
//! timestamp window) and decodes the body leniently into a [`Delivery`]; the [`inbox`] (features
//! `inbox-sqlite`, `inbox-postgres`) stores it before the answer and processes it afterwards.
//!
//! Checks run in this order (headers first, then the timestamp, then the signature), each with its own
//! [`WebhookError`] code and HTTP status:
//!
//! | step | failure | code | status |
//! |---|---|---|---|
//! | the four `X-Coassemble-*` headers are present and not empty | [`WebhookError::MissingHeader`] | `missing_header` | 400 |
//! | `X-Coassemble-Timestamp` is unix seconds | [`WebhookError::BadTimestamp`] | `bad_timestamp` | 400 |
//! | timestamp within the tolerance (past or future) | [`WebhookError::StaleTimestamp`] | `stale_timestamp` | 401 |
//! | a `sha256=<hex>` in the signature header matches one of the secrets | [`WebhookError::BadSignature`] | `bad_signature` | 401 |
//!
//! Then the body is decoded, which never refuses a delivery: a field of an unexpected type or format
//! is `None` in the typed record and kept in [`Delivery::json`]; a body that is not JSON is
//! [`WebhookEvent::NotJson`] (an inbox stores it and dead-letters it at once). A duplicate delivery is
//! not an error of [`verify`] either: it is what [`inbox::Inbox::intake`] reports
//! ([`inbox::Intake::Duplicate`]), answered with 200 so Coassemble stops retrying.
//!
//! ```
//! use coassemble_events::webhook::{verify, sign, WebhookEvent};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let body = br#"{"id":"evt_1","type":"course.created","occurredAt":"2025-11-23T12:13:20Z","workspaceId":1,
//!                 "data":{"course":{"id":7,"title":"Safety","key":"safe-1","clientIdentifier":null}}}"#;
//! let signature = sign(b"whsec_current", 1_763_900_000, body);
//! let headers = [
//!     ("X-Coassemble-Event", "course.created"),
//!     ("X-Coassemble-Delivery", "0b3c6e0a-5d1f-4f7e-8a41-6f0d0c9b2a11"),
//!     ("X-Coassemble-Timestamp", "1763900000"),
//!     ("X-Coassemble-Signature", signature.as_str()),
//! ];
//! let now = UNIX_EPOCH + Duration::from_secs(1_763_900_010);
//! // The old secret stays accepted during a rotation.
//! let delivery = verify(&headers[..], body, &["whsec_old", "whsec_current"], Duration::from_secs(300), now)?;
//! if let WebhookEvent::CourseCreated(created) = &delivery.payload {
//!     assert_eq!(created.course.title.as_deref(), Some("Safety"));
//! }
//! assert_eq!(delivery.json["data"]["course"]["key"], "safe-1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Security notes: keep secrets out of logs and source; pass every active secret while rotating and
//! remove the old one afterwards; do not parse or re-serialise the body before [`verify`] (the signature
//! is over the exact bytes); the delivery id header is not covered by the signature, so the signed
//! [`WebhookEvent::event_id`] is a second key to deduplicate on if replays inside the window matter.

#[cfg(any(feature = "inbox-sqlite", feature = "inbox-postgres"))]
pub mod inbox;
mod lenient_json;
mod payload;
mod verify;

#[cfg(all(feature = "webhook-js", target_arch = "wasm32"))]
pub mod js;

pub use payload::{
    Course, CourseCreated, LearnerProgress, Timestamp, TimestampError, Tracking, WebhookEvent,
};
pub use verify::{
    sign, verify, Delivery, Headers, WebhookError, DEFAULT_TOLERANCE, HEADER_DELIVERY,
    HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
