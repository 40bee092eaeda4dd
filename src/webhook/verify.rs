//! Header lookup, signature and timestamp checks: everything [`verify`] does before trusting a byte.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::payload::WebhookEvent;

type HmacSha256 = Hmac<Sha256>;

/// Header naming the event type, e.g. `course.completed`.
pub const HEADER_EVENT: &str = "X-Coassemble-Event";
/// Header with the delivery id, identical on every retry of one delivery.
pub const HEADER_DELIVERY: &str = "X-Coassemble-Delivery";
/// Header with the unix time (seconds) at which the delivery was signed.
pub const HEADER_TIMESTAMP: &str = "X-Coassemble-Timestamp";
/// Header with `sha256=<lowercase hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
pub const HEADER_SIGNATURE: &str = "X-Coassemble-Signature";

/// The usual replay window: a delivery signed more than 5 minutes before (or after) `now` is refused.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Read access to request headers, with names compared case-insensitively.
///
/// Implemented for slices, arrays and `Vec`s of `(name, value)` pairs and for `HashMap` / `BTreeMap`,
/// with any `AsRef<str>` names and values. A framework's header map converts in one line (see
/// `examples/axum_receiver.rs`), so the crate does not depend on `http`.
///
/// ```
/// use coassemble_events::webhook::Headers;
/// use std::collections::HashMap;
///
/// let pairs = [("x-coassemble-event", "course.created")];
/// assert_eq!(pairs.header("X-Coassemble-Event"), Some("course.created"));
///
/// let map: HashMap<String, String> = [("X-COASSEMBLE-EVENT".into(), "course.created".into())].into();
/// assert_eq!(map.header("x-coassemble-event"), Some("course.created"));
/// ```
pub trait Headers {
    /// The first value of the header `name` (ASCII case-insensitive), if present.
    fn header(&self, name: &str) -> Option<&str>;
}

fn find<'a, K, V>(mut pairs: impl Iterator<Item = (&'a K, &'a V)>, name: &str) -> Option<&'a str>
where
    K: AsRef<str> + ?Sized + 'a,
    V: AsRef<str> + ?Sized + 'a,
{
    pairs
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn header(&self, name: &str) -> Option<&str> {
        find(self.iter().map(|(k, v)| (k, v)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self[..].header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self[..].header(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, S: BuildHasher> Headers for HashMap<K, V, S> {
    fn header(&self, name: &str) -> Option<&str> {
        find(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for BTreeMap<K, V> {
    fn header(&self, name: &str) -> Option<&str> {
        find(self.iter(), name)
    }
}

impl<T: Headers + ?Sized> Headers for &T {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }
}

/// Why a delivery was refused. Each variant has a stable [`code`](WebhookError::code) (the strings of
/// the test vectors and of the JS `WebhookError`) and the [`http_status`](WebhookError::http_status) a
/// receiver should answer with. Every refusal is about the request's headers or authenticity, never
/// about the content of a correctly signed body; the messages name no server state (not its clock).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required `X-Coassemble-*` header is absent or empty (the header's name is kept).
    MissingHeader(&'static str),
    /// `X-Coassemble-Timestamp` is not a whole number of unix seconds.
    BadTimestamp,
    /// The timestamp is further than the tolerance from `now`, in the past or in the future: a replay,
    /// or a badly wrong clock.
    StaleTimestamp {
        /// The delivery's timestamp, unix seconds.
        timestamp: u64,
    },
    /// No `sha256=<hex>` signature in the header matches any of the secrets.
    BadSignature,
}

impl WebhookError {
    /// The stable machine-readable code: `missing_header`, `bad_timestamp`, `stale_timestamp` or
    /// `bad_signature`.
    ///
    /// ```
    /// use coassemble_events::webhook::WebhookError;
    /// assert_eq!(WebhookError::BadSignature.code(), "bad_signature");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader(_) => "missing_header",
            WebhookError::BadTimestamp => "bad_timestamp",
            WebhookError::StaleTimestamp { .. } => "stale_timestamp",
            WebhookError::BadSignature => "bad_signature",
        }
    }

    /// The HTTP status to answer with: 400 for a malformed request, 401 for one that fails
    /// authentication (stale timestamp or bad signature). Coassemble retries any non-2xx answer.
    ///
    /// ```
    /// use coassemble_events::webhook::WebhookError;
    /// assert_eq!(WebhookError::MissingHeader("X-Coassemble-Signature").http_status(), 400);
    /// assert_eq!(WebhookError::BadSignature.http_status(), 401);
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            WebhookError::StaleTimestamp { .. } | WebhookError::BadSignature => 401,
            WebhookError::MissingHeader(_) | WebhookError::BadTimestamp => 400,
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::MissingHeader(name) => write!(f, "missing header {name}"),
            WebhookError::BadTimestamp => write!(f, "{HEADER_TIMESTAMP} is not unix seconds"),
            WebhookError::StaleTimestamp { timestamp } => {
                write!(f, "timestamp {timestamp} is outside the tolerance window")
            }
            WebhookError::BadSignature => write!(f, "signature does not match any secret"),
        }
    }
}

impl std::error::Error for WebhookError {}

/// A verified delivery: authentic, fresh, and decoded leniently (see [`WebhookEvent`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The delivery id (`X-Coassemble-Delivery`), the same on every retry: deduplicate on it.
    pub id: String,
    /// The event type, e.g. `course.completed`. Taken from the signed body when it names one (the
    /// `X-Coassemble-Event` header is not signed), else from the header.
    pub event_type: String,
    /// When Coassemble signed the delivery (`X-Coassemble-Timestamp`), unix seconds.
    pub timestamp: u64,
    /// A test delivery sent from the dashboard (`"test": true` in the signed body; no unsigned header
    /// can set it): process it in a way that does not touch real records.
    pub test: bool,
    /// The typed view of the body; [`WebhookEvent::NotJson`] when it is not a JSON object.
    pub payload: WebhookEvent,
    /// The whole body as JSON, every field as sent (`Value::Null` when it is not JSON): where a field
    /// that the typed view left out (unexpected type or format, or new) can still be read.
    pub json: Value,
}

impl Delivery {
    /// The event's identity ([`WebhookEvent::identity`]), or `None` for a test delivery (a test sent
    /// from the dashboard must never stand for, nor hide, a learner's real event). The inbox stores
    /// it on the row under a unique index: one row per learner, course and event type.
    pub fn identity(&self) -> Option<String> {
        if self.test {
            None
        } else {
            self.payload.identity()
        }
    }

    /// Decodes an already verified body (the intake's work after [`verify`], and the inbox worker's
    /// on a stored one).
    pub(crate) fn decode(id: String, header_type: &str, timestamp: u64, raw_body: &[u8]) -> Self {
        // The lenient parser: any valid JSON is JSON here, whatever its depth or numbers (see
        // lenient_json.rs); serde_json's from_slice would call a 129-level or a `1e400` body "not JSON".
        let (payload, json) = match super::lenient_json::parse(raw_body) {
            Ok(json) => (WebhookEvent::from_value(&json), json),
            Err(error) => (WebhookEvent::NotJson(error.to_string()), Value::Null),
        };
        let test = json.get("test") == Some(&Value::Bool(true));
        Delivery {
            id,
            event_type: payload.event_type().unwrap_or(header_type).to_owned(),
            timestamp,
            test,
            payload,
            json,
        }
    }
}

/// Verifies one delivery: headers, timestamp window, signature over the raw body; then decodes the
/// body leniently (a signed body is never refused for its content).
///
/// `secrets` are all currently valid signing secrets (several during a rotation; an empty list accepts
/// nothing). The signature header may carry several signatures (`sha256=a,sha256=b`, separated by
/// commas and/or spaces, as Node joins repeated headers with `", "`): one that matches is enough.
/// `tolerance` bounds `|now - timestamp|`; [`DEFAULT_TOLERANCE`] is 300 s. `now` is the verifier's
/// clock, passed in so that tests and wasm hosts control it (`SystemTime::now()` in a server).
///
/// ```
/// use coassemble_events::webhook::{verify, WebhookError};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let headers = vec![
///     ("x-coassemble-event", "course.completed"),
///     ("x-coassemble-delivery", "d-1"),
///     ("x-coassemble-timestamp", "1763900000"),
///     ("x-coassemble-signature", "sha256=00"),
/// ];
/// let now = UNIX_EPOCH + Duration::from_secs(1_763_900_000);
/// let err = verify(&headers, b"{}", &["whsec_x"], Duration::from_secs(300), now).unwrap_err();
/// assert_eq!((err.code(), err.http_status()), ("bad_signature", 401));
/// ```
pub fn verify<H, S>(
    headers: H,
    raw_body: &[u8],
    secrets: &[S],
    tolerance: Duration,
    now: SystemTime,
) -> Result<Delivery, WebhookError>
where
    H: Headers,
    S: AsRef<[u8]>,
{
    let required = |name: &'static str| {
        headers
            .header(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or(WebhookError::MissingHeader(name))
    };
    let header_type = required(HEADER_EVENT)?;
    let id = required(HEADER_DELIVERY)?;
    let timestamp_text = required(HEADER_TIMESTAMP)?;
    let signature = required(HEADER_SIGNATURE)?;

    let timestamp = parse_unix_seconds(timestamp_text).ok_or(WebhookError::BadTimestamp)?;
    // A clock before 1970 counts as 0, which simply makes every real delivery stale.
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if timestamp.abs_diff(now) > tolerance.as_secs() {
        return Err(WebhookError::StaleTimestamp { timestamp });
    }

    let tags: Vec<Vec<u8>> = signature
        .split([',', ' ', '\t'])
        .filter_map(|token| hex::decode(token.strip_prefix("sha256=")?).ok())
        .collect();
    // The timestamp is signed as sent, so a re-formatted number ("01763900000") cannot pass.
    let authentic = secrets.iter().any(|secret| {
        let mac = mac_for(secret.as_ref(), timestamp_text.as_bytes(), raw_body);
        // `verify_slice` compares in constant time.
        tags.iter().any(|tag| mac.clone().verify_slice(tag).is_ok())
    });
    if !authentic {
        return Err(WebhookError::BadSignature);
    }
    Ok(Delivery::decode(
        id.to_owned(),
        header_type,
        timestamp,
        raw_body,
    ))
}

/// Signs `raw_body` as Coassemble does and returns the `X-Coassemble-Signature` header value
/// (`sha256=<lowercase hex>`). For tests, local senders and the demo script.
///
/// ```
/// use coassemble_events::webhook::sign;
/// let sig = sign(b"whsec_test_5f2b8c1e", 1_763_900_000, b"{}");
/// assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
/// ```
pub fn sign(secret: &[u8], timestamp: u64, raw_body: &[u8]) -> String {
    let mac = mac_for(secret, timestamp.to_string().as_bytes(), raw_body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn mac_for(secret: &[u8], timestamp: &[u8], raw_body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(timestamp);
    mac.update(b".");
    mac.update(raw_body);
    mac
}

/// Strict unix seconds: ASCII digits only (no sign, no fraction), at most 19 digits so it fits a u64.
fn parse_unix_seconds(text: &str) -> Option<u64> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}
