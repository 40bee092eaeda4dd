//! Typed webhook bodies: one enum variant per event type, typed course and tracking records.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::verify::WebhookError;

/// The body of a delivery, by event type.
///
/// Event types this crate does not know yet are kept whole in [`WebhookEvent::Unknown`] rather than
/// refused, so a receiver keeps working (and answering 2xx) when Coassemble adds one. A known type whose
/// body does not have the documented fields is an [`WebhookError::InvalidJson`] from
/// [`verify`](super::verify).
///
/// Serialises (for logs and the JS binding) as the flat event record, camelCase, without the wire's
/// `data` wrapper: `{ "id", "occurredAt", "workspaceId", "course", "tracking" }`.
///
/// ```
/// use coassemble_events::webhook::WebhookEvent;
///
/// let event: WebhookEvent = serde_json::from_str(r#"{"id":"evt_9","type":"course.archived","x":1}"#)?;
/// assert_eq!(event.event_type(), Some("course.archived"));
/// assert!(matches!(event, WebhookEvent::Unknown(_)));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum WebhookEvent {
    /// `course.created`: a course was created in the workspace.
    CourseCreated(CourseCreated),
    /// `course.commenced`: a learner started a course for the first time.
    CourseCommenced(LearnerProgress),
    /// `course.completed`: a learner completed a course for the first time.
    CourseCompleted(LearnerProgress),
    /// Any other event type, or a body without `type`: the JSON as received.
    Unknown(Value),
}

/// The body of a `course.created` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseCreated {
    /// The event id (signed, unlike the delivery id header).
    pub id: String,
    /// When the event happened.
    pub occurred_at: Timestamp,
    /// The Coassemble workspace.
    pub workspace_id: u64,
    /// The new course.
    pub course: Course,
}

/// The body of a `course.commenced` or `course.completed` event: a learner's progress on a course.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnerProgress {
    /// The event id (signed, unlike the delivery id header).
    pub id: String,
    /// When the event happened.
    pub occurred_at: Timestamp,
    /// The Coassemble workspace.
    pub workspace_id: u64,
    /// The course.
    pub course: Course,
    /// The learner's tracking record on that course.
    pub tracking: Tracking,
}

/// A course, as webhooks describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Course {
    /// Coassemble's course id.
    pub id: u64,
    /// The course title.
    pub title: String,
    /// The course key, if it has one.
    #[serde(default)]
    pub key: Option<String>,
    /// The host's own identifier for the course, if it set one.
    #[serde(default)]
    pub client_identifier: Option<String>,
}

/// A learner's tracking record on one course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    /// Coassemble's tracking id.
    pub id: u64,
    /// The host's identifier for the learner (the `identifier` the course was launched with).
    #[serde(default)]
    pub identifier: Option<String>,
    /// The learner's email; `null` when Coassemble does not know it.
    #[serde(default)]
    pub email: Option<String>,
    /// When the learner first started the course.
    #[serde(default)]
    pub commenced: Option<Timestamp>,
    /// When the learner first completed the course; `None` until then.
    #[serde(default)]
    pub completed: Option<Timestamp>,
    /// Time spent in the course, seconds.
    #[serde(default)]
    pub total_time: u64,
}

/// The wire layout of known events; converted into the flat public records.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    id: String,
    occurred_at: Timestamp,
    workspace_id: u64,
    data: WireData,
}

#[derive(Deserialize)]
struct WireData {
    course: Course,
    #[serde(default)]
    tracking: Option<Tracking>,
}

/// The fields needed to choose a variant; everything else is skipped (validated, not built).
#[derive(Deserialize)]
struct Peek {
    #[serde(rename = "type", default)]
    kind: Option<Value>,
    #[serde(default)]
    test: Option<Value>,
}

/// The event types with a typed variant.
#[derive(Clone, Copy)]
enum Known {
    Created,
    Commenced,
    Completed,
}

impl Known {
    fn of(kind: Option<&Value>) -> Option<Known> {
        match kind.and_then(Value::as_str)? {
            "course.created" => Some(Known::Created),
            "course.commenced" => Some(Known::Commenced),
            "course.completed" => Some(Known::Completed),
            _ => None,
        }
    }

    fn build(self, wire: Wire) -> Result<WebhookEvent, serde_json::Error> {
        use serde::de::Error;
        let Wire {
            id,
            occurred_at,
            workspace_id,
            data,
        } = wire;
        let WireData { course, tracking } = data;
        Ok(match self {
            Known::Created => WebhookEvent::CourseCreated(CourseCreated {
                id,
                occurred_at,
                workspace_id,
                course,
            }),
            Known::Commenced | Known::Completed => {
                let tracking =
                    tracking.ok_or_else(|| serde_json::Error::missing_field("tracking"))?;
                let progress = LearnerProgress {
                    id,
                    occurred_at,
                    workspace_id,
                    course,
                    tracking,
                };
                if let Known::Commenced = self {
                    WebhookEvent::CourseCommenced(progress)
                } else {
                    WebhookEvent::CourseCompleted(progress)
                }
            }
        })
    }
}

fn not_an_object() -> serde_json::Error {
    serde::de::Error::custom("a delivery body is a JSON object")
}

impl WebhookEvent {
    /// Decodes a JSON body that is already trusted (see [`verify`](super::verify)). Returns the event
    /// and whether the body flags it as a test delivery (`"test": true`).
    ///
    /// Known event types are decoded straight from the bytes into their records (a first pass reads
    /// only `type` and `test`), without building a `serde_json::Value` of the whole body.
    pub(crate) fn from_json(raw_body: &[u8]) -> Result<(Self, bool), WebhookError> {
        let invalid = |e: serde_json::Error| WebhookError::InvalidJson(e.to_string());
        let peek: Peek = serde_json::from_slice(raw_body).map_err(invalid)?;
        // A derived struct would also accept a JSON array; a delivery is an object.
        if raw_body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(invalid(not_an_object()));
        }
        let test = matches!(peek.test, Some(Value::Bool(true)));
        let event = match Known::of(peek.kind.as_ref()) {
            Some(known) => known.build(serde_json::from_slice(raw_body).map_err(invalid)?),
            None => serde_json::from_slice(raw_body).map(WebhookEvent::Unknown),
        };
        Ok((event.map_err(invalid)?, test))
    }

    fn from_value(value: Value) -> Result<Self, serde_json::Error> {
        if !value.is_object() {
            return Err(not_an_object());
        }
        match Known::of(value.get("type")) {
            Some(known) => known.build(serde_json::from_value(value)?),
            None => Ok(WebhookEvent::Unknown(value)),
        }
    }

    /// The event type: the known name of a typed variant, or the body's `type` for an unknown one.
    pub fn event_type(&self) -> Option<&str> {
        match self {
            WebhookEvent::CourseCreated(_) => Some("course.created"),
            WebhookEvent::CourseCommenced(_) => Some("course.commenced"),
            WebhookEvent::CourseCompleted(_) => Some("course.completed"),
            WebhookEvent::Unknown(value) => value.get("type").and_then(Value::as_str),
        }
    }

    /// The event id from the signed body (`evt_...`), if the body has one.
    ///
    /// ```
    /// use coassemble_events::webhook::WebhookEvent;
    /// let event: WebhookEvent = serde_json::from_str(r#"{"id":"evt_1","type":"x.y"}"#)?;
    /// assert_eq!(event.event_id(), Some("evt_1"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn event_id(&self) -> Option<&str> {
        match self {
            WebhookEvent::CourseCreated(e) => Some(&e.id),
            WebhookEvent::CourseCommenced(e) | WebhookEvent::CourseCompleted(e) => Some(&e.id),
            WebhookEvent::Unknown(value) => value.get("id").and_then(Value::as_str),
        }
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        WebhookEvent::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// An RFC 3339 date-time (`2025-11-23T12:13:00Z`, `2025-11-23T13:13:00.250+01:00`), validated and
/// converted to unix time, keeping the text as received.
///
/// A small type instead of a date-time crate dependency: webhooks only need to read these instants.
///
/// ```
/// use coassemble_events::webhook::Timestamp;
///
/// let t: Timestamp = "2025-11-23T13:13:00.5+01:00".parse()?;
/// assert_eq!(t.unix_seconds(), 1_763_899_980);
/// assert_eq!(t.subsec_nanos(), 500_000_000);
/// assert_eq!(t.as_str(), "2025-11-23T13:13:00.5+01:00");
/// assert!("2025-02-30T00:00:00Z".parse::<Timestamp>().is_err());
/// # Ok::<(), coassemble_events::webhook::TimestampError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    text: String,
    unix_seconds: i64,
    nanos: u32,
}

/// The text is not an RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError(String);

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an RFC 3339 date-time: {:?}", self.0)
    }
}

impl std::error::Error for TimestampError {}

impl Timestamp {
    /// Parses an RFC 3339 date-time (`T` or space separator, optional fraction, `Z` or `±HH:MM`).
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        parse_rfc3339(text.as_bytes())
            .map(|(unix_seconds, nanos)| Timestamp {
                text: text.to_owned(),
                unix_seconds,
                nanos,
            })
            .ok_or_else(|| TimestampError(text.to_owned()))
    }

    /// Seconds since 1970-01-01T00:00:00Z (leap seconds are not counted, as in unix time).
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// The fraction of the second, in nanoseconds (digits past the ninth are dropped).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// The text as received.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `YYYY-MM-DD(T|t| )HH:MM:SS[.f+](Z|z|(+|-)HH:MM)` to (unix seconds, nanoseconds).
fn parse_rfc3339(s: &[u8]) -> Option<(i64, u32)> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = s.get(range)?;
        digits.iter().try_fold(0i64, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
        })
    };
    let sep = |i: usize, allowed: &[u8]| s.get(i).is_some_and(|b| allowed.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[(month - 1) as usize]
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }

    let mut i = 19;
    let mut nanos = 0u32;
    if sep(i, b".") {
        i += 1;
        let start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(s[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((i - start) as u32));
    }
    let offset_seconds = match s.get(i)? {
        b'Z' | b'z' if s.len() == i + 1 => 0,
        sign @ (b'+' | b'-') if s.len() == i + 6 && sep(i + 3, b":") => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let offset = h * 3600 + m * 60;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };

    // Days from the civil date (Howard Hinnant's algorithm, proleptic Gregorian calendar).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds,
        nanos,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_instants() {
        let t = |s: &str| Timestamp::parse(s).map(|t| t.unix_seconds());
        assert_eq!(t("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(t("2025-11-23T12:13:00Z"), Ok(1_763_899_980));
        assert_eq!(t("2024-02-29T00:00:00-00:30"), Ok(1_709_166_600));
        assert_eq!(t("1969-12-31T23:59:59Z"), Ok(-1));
        for bad in [
            "2025-11-23",
            "2025-11-23T12:13:00",
            "2025-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2025-11-23T24:00:00Z",
            "2025-11-23T12:13:00.Z",
            "2025-11-23T12:13:00+0100",
            "2025-11-23T12:13:00Zjunk",
            "２025-11-23T12:13:00Z",
        ] {
            assert!(t(bad).is_err(), "{bad}");
        }
    }
}
