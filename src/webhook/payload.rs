//! The typed view of a webhook body: one enum variant per event type, lenient records.
//!
//! Lenient because the body is already verified when it is decoded: a delivery Coassemble signed is
//! never refused for its content. A field of an unexpected type or format (`"totalTime": 12.5`, a
//! date without a colon in its offset) is `None` in the typed record and kept as sent in the raw JSON
//! ([`Delivery::json`](super::Delivery::json)).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The body of a delivery, by event type.
///
/// Event types this crate does not know yet are kept whole in [`WebhookEvent::Unknown`], so a receiver
/// keeps working when Coassemble adds one. A known type is decoded leniently: every field of its record
/// is an `Option`, `None` when the body lacks it or holds something else than documented.
///
/// Serialises (for logs and the JS binding) as the flat event record, camelCase, without the wire's
/// `data` wrapper: `{ "id", "occurredAt", "workspaceId", "course", "tracking" }`, `None` as `null`.
///
/// ```
/// use coassemble_events::webhook::WebhookEvent;
///
/// let event = WebhookEvent::from_json(br#"{"id":"evt_9","type":"course.archived","x":1}"#);
/// assert_eq!(event.event_type(), Some("course.archived"));
/// assert!(matches!(event, WebhookEvent::Unknown(_)));
///
/// let event = WebhookEvent::from_json(br#"{"type":"course.completed","data":{"tracking":{"totalTime":12.5}}}"#);
/// let WebhookEvent::CourseCompleted(progress) = event else { unreachable!() };
/// assert_eq!(progress.tracking.total_time, None); // not whole seconds: absent here, kept in the JSON
///
/// assert!(matches!(WebhookEvent::from_json(b"not json"), WebhookEvent::NotJson(_)));
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
    /// The body is not a JSON object (the parser's reason). An inbox stores such a delivery and
    /// dead-letters it at once: there is nothing a handler could read.
    NotJson(String),
}

/// The body of a `course.created` event.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CourseCreated {
    /// The event id (signed, unlike the delivery id header).
    pub id: Option<String>,
    /// When the event happened.
    pub occurred_at: Option<Timestamp>,
    /// The Coassemble workspace.
    pub workspace_id: Option<u64>,
    /// The new course.
    pub course: Course,
}

/// The body of a `course.commenced` or `course.completed` event: a learner's progress on a course.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnerProgress {
    /// The event id (signed, unlike the delivery id header).
    pub id: Option<String>,
    /// When the event happened.
    pub occurred_at: Option<Timestamp>,
    /// The Coassemble workspace.
    pub workspace_id: Option<u64>,
    /// The course.
    pub course: Course,
    /// The learner's tracking record on that course.
    pub tracking: Tracking,
}

/// A course, as webhooks describe it (`data.course`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Course {
    /// Coassemble's course id.
    pub id: Option<u64>,
    /// The course title.
    pub title: Option<String>,
    /// The course key, if it has one.
    pub key: Option<String>,
    /// The host's own identifier for the course, if it set one.
    pub client_identifier: Option<String>,
}

/// A learner's tracking record on one course (`data.tracking`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracking {
    /// Coassemble's tracking id.
    pub id: Option<u64>,
    /// The host's identifier for the learner (the `identifier` the course was launched with).
    pub identifier: Option<String>,
    /// The learner's email; `None` also when Coassemble does not know it (`null`).
    pub email: Option<String>,
    /// When the learner first started the course.
    pub commenced: Option<Timestamp>,
    /// When the learner first completed the course; `None` until then.
    pub completed: Option<Timestamp>,
    /// Time spent in the course, whole seconds.
    pub total_time: Option<u64>,
    /// The learner's progress, whole percent 0..=100, when the body carries it (`progress_percent` or
    /// `progressPercent`, a whole number or a numeric string, in `data.tracking`, `data` or the body; a
    /// fraction in a string is rounded down). Usually absent on `course.completed`, which implies 100.
    pub progress_percent: Option<u8>,
}

fn text(record: &Value, key: &str) -> Option<String> {
    record.get(key)?.as_str().map(str::to_owned)
}

fn whole(record: &Value, key: &str) -> Option<u64> {
    record.get(key)?.as_u64()
}

fn instant(record: &Value, key: &str) -> Option<Timestamp> {
    Timestamp::parse(record.get(key)?.as_str()?).ok()
}

/// A whole number sent as a JSON number or as a numeric string (`"981"`): Coassemble's plugin accepts
/// both for ids.
fn whole_or_text(record: &Value, key: &str) -> Option<u64> {
    let value = record.get(key)?;
    value
        .as_u64()
        .or_else(|| value.as_str()?.trim().parse::<u64>().ok())
}

/// The first of `keys` found in the first of `records` that has it (the payload variants that
/// Coassemble's own plugin tolerates: PROTOCOL.md §3).
fn first<T>(
    records: &[&Value],
    keys: &[&str],
    read: impl Fn(&Value, &str) -> Option<T>,
) -> Option<T> {
    records
        .iter()
        .find_map(|record| keys.iter().find_map(|key| read(record, key)))
}

/// A percent 0..=100 from a whole number or a numeric string (`"40"`, `"99.5"`: a fraction in a string
/// is rounded down). A JSON number with a fraction is not read: the wasm build's lenient parser leaves
/// fractions out (lenient_json.rs), and the Rust and JS views must agree. No float parsing: Rust's
/// float parser costs the webhooks wasm kilobytes (size-budget.json); the digits before the point do.
fn percent(record: &Value, key: &str) -> Option<u8> {
    let value = record.get(key)?;
    let whole = match value.as_u64() {
        Some(whole) => whole,
        None => {
            let text = value.as_str()?.trim();
            let (int, fraction) = text.split_once('.').unwrap_or((text, ""));
            if int.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            int.parse::<u64>().ok()?
        }
    };
    u8::try_from(whole).ok().filter(|p| *p <= 100)
}

impl Course {
    /// `data.course`, with the course id also read from `data.course_id`, `data.courseId` or a flat
    /// `courseId` (the variants Coassemble's plugin tolerates), as a number or a numeric string.
    fn lenient(course: &Value, data: &Value, body: &Value) -> Course {
        Course {
            id: whole_or_text(course, "id")
                .or_else(|| first(&[data, body], &["course_id", "courseId"], whole_or_text)),
            title: text(course, "title"),
            key: text(course, "key"),
            client_identifier: text(course, "clientIdentifier"),
        }
    }
}

impl Tracking {
    /// `data.tracking`, with the learner also read from a flat `identifier` (in `data` or the body),
    /// and the progress from `progress_percent` / `progressPercent` wherever it is.
    fn lenient(tracking: &Value, data: &Value, body: &Value) -> Tracking {
        Tracking {
            id: whole(tracking, "id"),
            identifier: first(&[tracking, data, body], &["identifier"], text),
            progress_percent: first(
                &[tracking, data, body],
                &["progress_percent", "progressPercent"],
                percent,
            ),
            email: text(tracking, "email"),
            commenced: instant(tracking, "commenced"),
            completed: instant(tracking, "completed"),
            total_time: whole(tracking, "totalTime"),
        }
    }
}

impl LearnerProgress {
    fn lenient(body: &Value) -> LearnerProgress {
        let data = body.get("data").unwrap_or(&Value::Null);
        LearnerProgress {
            id: text(body, "id"),
            occurred_at: instant(body, "occurredAt"),
            workspace_id: whole(body, "workspaceId"),
            course: Course::lenient(data.get("course").unwrap_or(&Value::Null), data, body),
            tracking: Tracking::lenient(data.get("tracking").unwrap_or(&Value::Null), data, body),
        }
    }
}

impl WebhookEvent {
    /// Decodes a body that is already trusted (see [`verify`](super::verify)); never fails: a body
    /// that is not a JSON object is [`WebhookEvent::NotJson`].
    pub fn from_json(raw_body: &[u8]) -> WebhookEvent {
        match super::lenient_json::parse(raw_body) {
            Ok(value) => WebhookEvent::from_value(&value),
            Err(error) => WebhookEvent::NotJson(error.to_string()),
        }
    }

    /// The typed view of a parsed body (see [`WebhookEvent::from_json`]).
    pub fn from_value(body: &Value) -> WebhookEvent {
        if !body.is_object() {
            return WebhookEvent::NotJson("a delivery body is a JSON object".to_owned());
        }
        match body.get("type").and_then(Value::as_str) {
            Some("course.created") => {
                let progress = LearnerProgress::lenient(body);
                WebhookEvent::CourseCreated(CourseCreated {
                    id: progress.id,
                    occurred_at: progress.occurred_at,
                    workspace_id: progress.workspace_id,
                    course: progress.course,
                })
            }
            Some("course.commenced") => {
                WebhookEvent::CourseCommenced(LearnerProgress::lenient(body))
            }
            Some("course.completed") => {
                WebhookEvent::CourseCompleted(LearnerProgress::lenient(body))
            }
            _ => WebhookEvent::Unknown(body.clone()),
        }
    }

    /// The event type: the known name of a typed variant, or the body's `type` for an unknown one.
    pub fn event_type(&self) -> Option<&str> {
        match self {
            WebhookEvent::CourseCreated(_) => Some("course.created"),
            WebhookEvent::CourseCommenced(_) => Some("course.commenced"),
            WebhookEvent::CourseCompleted(_) => Some("course.completed"),
            WebhookEvent::Unknown(value) => value.get("type").and_then(Value::as_str),
            WebhookEvent::NotJson(_) => None,
        }
    }

    /// The event id from the signed body (`evt_...`), if the body has one.
    ///
    /// ```
    /// use coassemble_events::webhook::WebhookEvent;
    /// let event = WebhookEvent::from_json(br#"{"id":"evt_1","type":"x.y"}"#);
    /// assert_eq!(event.event_id(), Some("evt_1"));
    /// ```
    pub fn event_id(&self) -> Option<&str> {
        match self {
            WebhookEvent::CourseCreated(e) => e.id.as_deref(),
            WebhookEvent::CourseCommenced(e) | WebhookEvent::CourseCompleted(e) => e.id.as_deref(),
            WebhookEvent::Unknown(value) => value.get("id").and_then(Value::as_str),
            WebhookEvent::NotJson(_) => None,
        }
    }
}

impl WebhookEvent {
    /// What this event is about, once per learner per course: `course.commenced` and
    /// `course.completed` fire once per learner per course, so `<event type>:<course id>:<learner
    /// identifier>` (e.g. `course.completed:981:learner-77`) names the event whatever delivery
    /// carried it: a webhook, its retries, the same event re-sent under a new delivery id, or a
    /// delivery rebuilt from the trackings API by reconciliation. `None` for other events and when the
    /// course id or the learner is missing. The one rule: the Node inbox reads it from the wasm
    /// verifier's view ([`Delivery::identity`](super::Delivery::identity) adds "not a test delivery").
    ///
    /// ```
    /// use coassemble_events::webhook::WebhookEvent;
    /// let event = WebhookEvent::from_json(br#"{"type":"course.completed","data":{"course_id":"981","identifier":"learner-77"}}"#);
    /// assert_eq!(event.identity().as_deref(), Some("course.completed:981:learner-77"));
    /// let created = WebhookEvent::from_json(br#"{"type":"course.created","data":{"course":{"id":981}}}"#);
    /// assert_eq!(created.identity(), None);
    /// ```
    pub fn identity(&self) -> Option<String> {
        let (kind, progress) = match self {
            WebhookEvent::CourseCommenced(p) => ("course.commenced", p),
            WebhookEvent::CourseCompleted(p) => ("course.completed", p),
            _ => return None,
        };
        let course = progress.course.id?;
        let learner = progress.tracking.identifier.as_deref()?;
        (!learner.is_empty()).then(|| format!("{kind}:{course}:{learner}"))
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    /// Lenient like [`WebhookEvent::from_value`]; fails only where the input is not JSON.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(WebhookEvent::from_value(&Value::deserialize(deserializer)?))
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
