//! Verify, decode and deduplicate Coassemble webhook deliveries on the server.
//!
//! A webhook endpoint is a public URL: anyone can POST to it, and Coassemble itself retries a delivery up
//! to four times with the same delivery id. [`verify`] checks a delivery (headers, HMAC-SHA256 signature
//! over the **raw** body with a constant-time compare, timestamp window, then JSON) and returns a typed
//! [`Delivery`]; a [`DeliveryStore`] makes sure each delivery id is processed once and recorded as done
//! only after it was processed.
//!
//! Checks run in this order, each with its own [`WebhookError`] code and HTTP status:
//!
//! | step | failure | code | status |
//! |---|---|---|---|
//! | the four `X-Coassemble-*` headers are present | [`WebhookError::MissingHeader`] | `missing_header` | 400 |
//! | `X-Coassemble-Timestamp` is unix seconds | [`WebhookError::BadTimestamp`] | `bad_timestamp` | 400 |
//! | timestamp within the tolerance (past or future) | [`WebhookError::StaleTimestamp`] | `stale_timestamp` | 401 |
//! | `sha256=<hex>` matches one of the secrets | [`WebhookError::BadSignature`] | `bad_signature` | 401 |
//! | the body is a JSON delivery | [`WebhookError::InvalidJson`] | `invalid_json` | 400 |
//!
//! A duplicate delivery is not an error of [`verify`]: it is what [`DeliveryStore::begin`] reports
//! ([`Begin::Duplicate`]), and a receiver answers it with 200 so Coassemble stops retrying.
//!
//! ```
//! use coassemble_events::webhook::{verify, sign, Begin, DeliveryStore, MemoryStore, WebhookEvent};
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
//!
//! let store = MemoryStore::default();
//! if store.begin(&delivery.id) == Begin::Process {
//!     // Answer 200 first, then do the slow work; record it as done only afterwards.
//!     if let WebhookEvent::CourseCreated(created) = &delivery.payload {
//!         assert_eq!(created.course.title, "Safety");
//!     }
//!     store.complete(&delivery.id)?;
//! }
//! assert_eq!(store.begin(&delivery.id), Begin::Duplicate);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Security notes: keep secrets out of logs and source; pass every active secret while rotating and
//! remove the old one afterwards; do not parse or re-serialise the body before [`verify`] (the signature
//! is over the exact bytes); the delivery id header is not covered by the signature, so the signed
//! [`WebhookEvent::event_id`] is a second key to deduplicate on if replays inside the window matter.

mod payload;
mod store;
mod verify;

#[cfg(all(feature = "webhook-js", target_arch = "wasm32"))]
pub mod js;

pub use payload::{
    Course, CourseCreated, LearnerProgress, Timestamp, TimestampError, Tracking, WebhookEvent,
};
pub use store::{Begin, DeliveryStore, FileStore, MemoryStore};
pub use verify::{
    sign, verify, Delivery, Headers, WebhookError, DEFAULT_TOLERANCE, HEADER_DELIVERY,
    HEADER_EVENT, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
