//! Header lookup, signature and timestamp checks: everything [`verify`] does before trusting a byte.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
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
/// receiver should answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// A required `X-Coassemble-*` header is absent (the header's name is kept).
    MissingHeader(&'static str),
    /// `X-Coassemble-Timestamp` is not a whole number of unix seconds.
    BadTimestamp,
    /// The timestamp is further than the tolerance from `now`, in the past or in the future: a replay,
    /// or a badly wrong clock.
    StaleTimestamp {
        /// The delivery's timestamp, unix seconds.
        timestamp: u64,
        /// The verifier's clock, unix seconds.
        now: u64,
    },
    /// The signature is malformed or matches none of the secrets.
    BadSignature,
    /// The signed body is not a JSON delivery (the parser's message is kept).
    InvalidJson(String),
}

impl WebhookError {
    /// The stable machine-readable code: `missing_header`, `bad_timestamp`, `stale_timestamp`,
    /// `bad_signature` or `invalid_json`.
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
            WebhookError::InvalidJson(_) => "invalid_json",
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
            WebhookError::MissingHeader(_)
            | WebhookError::BadTimestamp
            | WebhookError::InvalidJson(_) => 400,
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::MissingHeader(name) => write!(f, "missing header {name}"),
            WebhookError::BadTimestamp => write!(f, "{HEADER_TIMESTAMP} is not unix seconds"),
            WebhookError::StaleTimestamp { timestamp, now } => write!(
                f,
                "timestamp {timestamp} is outside the tolerance window around {now}"
            ),
            WebhookError::BadSignature => write!(f, "signature does not match any secret"),
            WebhookError::InvalidJson(why) => write!(f, "body is not a valid delivery: {why}"),
        }
    }
}

impl std::error::Error for WebhookError {}

/// A verified delivery: authentic, fresh, and decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The delivery id (`X-Coassemble-Delivery`), the same on every retry: deduplicate on it.
    pub id: String,
    /// The event type, e.g. `course.completed`. Taken from the signed body when it names one (the
    /// `X-Coassemble-Event` header is not signed), else from the header.
    pub event_type: String,
    /// When Coassemble signed the delivery (`X-Coassemble-Timestamp`), unix seconds.
    pub timestamp: u64,
    /// A test delivery sent from the dashboard (`"test": true` in the body or an
    /// `X-Coassemble-Test: true` header): process it in a way that does not touch real records.
    pub test: bool,
    /// The typed body.
    pub payload: WebhookEvent,
}

/// Verifies one delivery: headers, timestamp window, signature over the raw body, then JSON.
///
/// `secrets` are all currently valid signing secrets (several during a rotation; an empty list accepts
/// nothing). `tolerance` bounds `|now - timestamp|`; [`DEFAULT_TOLERANCE`] is 300 s. `now` is the
/// verifier's clock, passed in so that tests and wasm hosts control it (`SystemTime::now()` in a server).
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
            .ok_or(WebhookError::MissingHeader(name))
    };
    let header_type = required(HEADER_EVENT)?;
    let id = required(HEADER_DELIVERY)?;
    let timestamp_text = required(HEADER_TIMESTAMP)?;
    let signature = required(HEADER_SIGNATURE)?;

    let timestamp = parse_unix_seconds(timestamp_text.trim()).ok_or(WebhookError::BadTimestamp)?;
    // A clock before 1970 counts as 0, which simply makes every real delivery stale.
    let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if timestamp.abs_diff(now) > tolerance.as_secs() {
        return Err(WebhookError::StaleTimestamp { timestamp, now });
    }

    let tag = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|hex_tag| hex::decode(hex_tag).ok())
        .ok_or(WebhookError::BadSignature)?;
    // The timestamp is signed as sent, so a re-formatted number ("01763900000") cannot pass.
    let authentic = secrets.iter().any(|secret| {
        // `verify_slice` compares in constant time.
        mac_for(secret.as_ref(), timestamp_text.trim().as_bytes(), raw_body)
            .verify_slice(&tag)
            .is_ok()
    });
    if !authentic {
        return Err(WebhookError::BadSignature);
    }

    let (payload, body_test) = WebhookEvent::from_json(raw_body)?;
    let test = body_test
        || headers
            .header("X-Coassemble-Test")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1");
    Ok(Delivery {
        id: id.to_owned(),
        event_type: payload.event_type().unwrap_or(header_type).to_owned(),
        timestamp,
        test,
        payload,
    })
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
