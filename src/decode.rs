//! The wire decoder: a posted message in, a typed player or builder event out (or why not).
//!
//! Envelope: `{ "type": <family>, "event": <name>, "data": {...} }`. A message without a string
//! `type` is [`Reject::Foreign`] (ignored silently, it belongs to another script); a Coassemble envelope
//! with unusable data is [`Reject::Malformed`]; an envelope this version does not know — an unknown
//! event of a known family, or any string `type` with a string `event` — is decoded as `Unknown`, so
//! that new Coassemble features are surfaced, never dropped. (An unknown `type` without a string
//! `event` stays foreign: `{ "type": "webpackOk" }` is another script's.)
//!
//! One meaning for `null`: a member that is `null` reads as missing, natively and in the browser.
//! Numbers are finite: a numeric string too long for a float (`"9999…"`, 400 digits) is not a number.

use crate::message::{Field, Message, Pick};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why a message did not decode to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// Not a Coassemble envelope (another script's message): ignore it silently.
    Foreign,
    /// A Coassemble envelope whose content cannot be used: report it once as an SDK error.
    Malformed(Malformed),
}

/// What is wrong with a malformed Coassemble message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// The envelope has a family but neither `event` nor `payload.status`.
    MissingEvent,
    /// `course:progress` without a finite numeric `progress`.
    BadProgress,
    /// `course:created`/`course:updated` without a non-negative integer `id`.
    BadCourseId,
}

impl Reject {
    /// A short English explanation. (Plain `&str`: `core::fmt` would cost the wasm bundle kilobytes.)
    pub fn message(&self) -> &'static str {
        match self {
            Reject::Foreign => "not a Coassemble message",
            Reject::Malformed(Malformed::MissingEvent) => {
                "Coassemble message without an event name"
            }
            Reject::Malformed(Malformed::BadProgress) => {
                "course:progress without a numeric progress value"
            }
            Reject::Malformed(Malformed::BadCourseId) => "course event without a numeric course id",
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for Reject {}

/// A screen a `screen:*` event refers to: an index or an id, as the player sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenRef {
    /// A numeric screen index or id.
    Number(f64),
    /// A textual screen id.
    Id(String),
}

/// What happened on a screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenAction {
    /// The learner entered the screen.
    Start,
    /// The learner left the screen.
    End,
    /// The screen was viewed or its requirements met.
    Complete,
    /// A quiz question was answered.
    Answer,
    /// A scored quiz was failed.
    Failed,
    /// A quiz was retried.
    Retry,
}

impl ScreenAction {
    /// The canonical wire name (`"start"`, `"answer"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ScreenAction::Start => "start",
            ScreenAction::End => "end",
            ScreenAction::Complete => "complete",
            ScreenAction::Answer => "answer",
            ScreenAction::Failed => "failed",
            ScreenAction::Retry => "retry",
        }
    }
}

/// The known fields of a screen event; the shape is undocumented, so everything is optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScreenInfo {
    /// The first of `data.screen`, `screenId`, `screenIndex`, `id`, `index` that is a finite number or
    /// a string.
    pub screen: Option<ScreenRef>,
    /// `data.correct` on quiz answers.
    pub correct: Option<bool>,
    /// `data.score` on quiz results.
    pub score: Option<f64>,
}

/// An event from the embedded course **player**. `M` is the message type the raw data stays in.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent<M> {
    /// `session:ready`: the player is mounted.
    SessionReady,
    /// `session:expired`: the signed embed URL expired (a learner session outlives it too, not only
    /// an author's); mint a new one.
    SessionExpired,
    /// `course:start` (also `commenced`, `started`): the learner started the course.
    CourseStart,
    /// `course:progress`: the progress, a whole percent clamped to 0..=100.
    CourseProgress {
        /// Whole percent, 0..=100.
        percent: u8,
        /// `false` for a progress the player sent. `true` for the progress of 100 that a
        /// `course:completed` below 100 implies: [`crate::Protocol::accept_implying`] reports it
        /// just before that `CourseCompleted` (never decoded from the wire).
        implied: bool,
    },
    /// `course:feedback`: the learner chose course feedback (shape undocumented: raw data kept).
    CourseFeedback {
        /// The message's `data`.
        data: Option<M>,
    },
    /// `course:completed` (also `complete`, legacy `finished`).
    CourseCompleted,
    /// `screen:<action>`.
    Screen {
        /// Which screen event.
        action: ScreenAction,
        /// Known fields.
        info: ScreenInfo,
        /// The message's `data`.
        data: Option<M>,
    },
    /// A well-formed Coassemble message this version does not know (a newer Coassemble feature).
    Unknown {
        /// The wire `type`, as posted (`"quiz"`, or `"course"` for an unknown course event).
        family: String,
        /// The wire event name, as posted (in `event`, or `payload.status`).
        event: String,
        /// The whole message.
        raw: M,
    },
}

/// An event from the embedded course **builder**.
#[derive(Debug, Clone, PartialEq)]
pub enum BuilderEvent<M> {
    /// `session:ready`: the builder is mounted.
    SessionReady,
    /// `session:error`: the builder reported an error.
    SessionError {
        /// `data.message`, when present.
        message: Option<String>,
        /// `data.code`, when present (numbers are given as their decimal text).
        code: Option<String>,
        /// The message's `data`.
        data: Option<M>,
    },
    /// `session:expired`: the signed embed URL expired; mint a new one.
    SessionExpired,
    /// `course:created` (also `generated`): a course was created.
    CourseCreated {
        /// The course id.
        course_id: u64,
        /// The course title, when sent.
        title: Option<String>,
    },
    /// `course:updated`: a course was saved in the builder.
    CourseUpdated {
        /// The course id.
        course_id: u64,
        /// The course title, when sent.
        title: Option<String>,
    },
    /// `back`: the builder's Back button was clicked.
    Back,
    /// A well-formed Coassemble message this version does not know.
    Unknown {
        /// The wire `type`, as posted.
        family: String,
        /// The wire event name, as posted (in `event`, or `payload.status`).
        event: String,
        /// The whole message.
        raw: M,
    },
}

impl<M> PlayerEvent<M> {
    /// The event's name as the JS API spells it: `"course:progress"`, `"screen:answer"`, `"unknown"`.
    pub fn name(&self) -> &'static str {
        match self {
            PlayerEvent::SessionReady => "session:ready",
            PlayerEvent::SessionExpired => "session:expired",
            PlayerEvent::CourseStart => "course:start",
            PlayerEvent::CourseProgress { .. } => "course:progress",
            PlayerEvent::CourseFeedback { .. } => "course:feedback",
            PlayerEvent::CourseCompleted => "course:completed",
            PlayerEvent::Screen { action, .. } => match action {
                ScreenAction::Start => "screen:start",
                ScreenAction::End => "screen:end",
                ScreenAction::Complete => "screen:complete",
                ScreenAction::Answer => "screen:answer",
                ScreenAction::Failed => "screen:failed",
                ScreenAction::Retry => "screen:retry",
            },
            PlayerEvent::Unknown { .. } => "unknown",
        }
    }
}

impl<M> PlayerEvent<M> {
    /// The same event with its message data (if it carries any) turned into `N` by `f`. A reader
    /// that decodes in place uses it to build the data as an object only for an event that has it.
    pub fn map_data<N>(self, mut f: impl FnMut(M) -> N) -> PlayerEvent<N> {
        match self {
            PlayerEvent::SessionReady => PlayerEvent::SessionReady,
            PlayerEvent::SessionExpired => PlayerEvent::SessionExpired,
            PlayerEvent::CourseStart => PlayerEvent::CourseStart,
            PlayerEvent::CourseProgress { percent, implied } => {
                PlayerEvent::CourseProgress { percent, implied }
            }
            PlayerEvent::CourseFeedback { data } => {
                PlayerEvent::CourseFeedback { data: data.map(f) }
            }
            PlayerEvent::CourseCompleted => PlayerEvent::CourseCompleted,
            PlayerEvent::Screen { action, info, data } => PlayerEvent::Screen {
                action,
                info,
                data: data.map(f),
            },
            PlayerEvent::Unknown { family, event, raw } => PlayerEvent::Unknown {
                family,
                event,
                raw: f(raw),
            },
        }
    }
}

impl<M> BuilderEvent<M> {
    /// The same event with its message data turned into `N` (see [`PlayerEvent::map_data`]).
    pub fn map_data<N>(self, mut f: impl FnMut(M) -> N) -> BuilderEvent<N> {
        match self {
            BuilderEvent::SessionReady => BuilderEvent::SessionReady,
            BuilderEvent::SessionError {
                message,
                code,
                data,
            } => BuilderEvent::SessionError {
                message,
                code,
                data: data.map(f),
            },
            BuilderEvent::SessionExpired => BuilderEvent::SessionExpired,
            BuilderEvent::CourseCreated { course_id, title } => {
                BuilderEvent::CourseCreated { course_id, title }
            }
            BuilderEvent::CourseUpdated { course_id, title } => {
                BuilderEvent::CourseUpdated { course_id, title }
            }
            BuilderEvent::Back => BuilderEvent::Back,
            BuilderEvent::Unknown { family, event, raw } => BuilderEvent::Unknown {
                family,
                event,
                raw: f(raw),
            },
        }
    }
}

impl<M> BuilderEvent<M> {
    /// The event's name as the JS API spells it: `"course:updated"`, `"back"`, `"unknown"`.
    pub fn name(&self) -> &'static str {
        match self {
            BuilderEvent::SessionReady => "session:ready",
            BuilderEvent::SessionError { .. } => "session:error",
            BuilderEvent::SessionExpired => "session:expired",
            BuilderEvent::CourseCreated { .. } => "course:created",
            BuilderEvent::CourseUpdated { .. } => "course:updated",
            BuilderEvent::Back => "back",
            BuilderEvent::Unknown { .. } => "unknown",
        }
    }
}

/// The families of Coassemble envelopes; `Other` is a `type` this version does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Session,
    Course,
    Screen,
    Back,
    Other,
}

/// A checked envelope: the family, the event name (`None` only for `back`), and the message.
struct Envelope<M> {
    family: Family,
    event: Option<&'static str>,
    /// The event name was in `payload.status`, not in `event`.
    event_in_payload: bool,
    msg: M,
}

impl<M: Message> Envelope<M> {
    /// The wire `type` and event name, for an `Unknown` event (read only on that rare path).
    fn wire_names(&self) -> (String, String) {
        let event = if self.event_in_payload {
            self.msg.member("payload").and_then(|p| p.text("status"))
        } else {
            self.msg.text("event")
        };
        (
            self.msg.text("type").unwrap_or_default(),
            event.unwrap_or_default(),
        )
    }
}

/// The `type` values of Coassemble envelopes.
const FAMILIES: &[&str] = &["session", "course", "module", "screen", "back"];

/// Every `event` name the decoders know; any other name decodes as `Unknown`. (Listed once so a
/// [`Message`] can compare in place; the vector tests fail if a name used below is missing here.)
const EVENTS: &[&str] = &[
    "ready",
    "expired",
    "error",
    "start",
    "started",
    "commenced",
    "progress",
    "feedback",
    "completed",
    "complete",
    "finished",
    "end",
    "answer",
    "failed",
    "retry",
    "created",
    "generated",
    "updated",
];

/// Stands for an event name that is not in [`EVENTS`]: it matches no decoder arm.
const OTHER_EVENT: &str = "";

fn envelope<M: Message>(msg: M) -> Result<Envelope<M>, Reject> {
    let family = match msg.pick("type", FAMILIES) {
        Pick::Is("session") => Family::Session,
        // Legacy trackable links use "module" for "course".
        Pick::Is("course" | "module") => Family::Course,
        Pick::Is("screen") => Family::Screen,
        Pick::Is("back") => Family::Back,
        Pick::Is(_) | Pick::Other => Family::Other,
        Pick::Missing => return Err(Reject::Foreign),
    };
    let mut event = msg.pick("event", EVENTS);
    // Another `type` is Coassemble's only with a string `event`: else it is another script's message.
    if family == Family::Other {
        return match event {
            Pick::Missing => Err(Reject::Foreign),
            _ => Ok(Envelope {
                family,
                event: Some(OTHER_EVENT),
                event_in_payload: false,
                msg,
            }),
        };
    }
    // Some senders put the name in `payload.status` instead of `event`.
    let event_in_payload = event == Pick::Missing;
    if event_in_payload {
        event = msg
            .member("payload")
            .map_or(Pick::Missing, |p| p.pick("status", EVENTS));
    }
    let event = match event {
        Pick::Is(name) => Some(name),
        Pick::Other => Some(OTHER_EVENT),
        Pick::Missing if family == Family::Back => None,
        Pick::Missing => return Err(Reject::Malformed(Malformed::MissingEvent)),
    };
    Ok(Envelope {
        family,
        event,
        event_in_payload,
        msg,
    })
}

/// Decodes a message posted by an embedded course **player**.
///
/// ```
/// # #[cfg(feature = "json")] {
/// use coassemble_events::{decode_player, PlayerEvent};
/// let msg = serde_json::json!({ "type": "course", "event": "progress", "data": { "progress": "42.7" } });
/// assert_eq!(decode_player(msg), Ok(PlayerEvent::CourseProgress { percent: 42, implied: false }));
/// # }
/// ```
pub fn decode_player<M: Message>(msg: M) -> Result<PlayerEvent<M>, Reject> {
    let envelope = envelope(msg)?;
    let (family, msg) = (envelope.family, &envelope.msg);
    let data = msg.member("data");
    let unknown = || {
        let (family, event) = envelope.wire_names();
        PlayerEvent::Unknown {
            family,
            event,
            raw: envelope.msg.clone(),
        }
    };
    let event = match (family, envelope.event.unwrap_or(OTHER_EVENT)) {
        (Family::Session, "ready") => PlayerEvent::SessionReady,
        (Family::Session, "expired") => PlayerEvent::SessionExpired,
        (Family::Course, "start" | "started" | "commenced") => PlayerEvent::CourseStart,
        (Family::Course, "progress") => PlayerEvent::CourseProgress {
            percent: progress_of(msg, data.as_ref())?,
            implied: false,
        },
        (Family::Course, "feedback") => PlayerEvent::CourseFeedback { data },
        (Family::Course, "completed" | "complete" | "finished") => PlayerEvent::CourseCompleted,
        (Family::Screen, name) => match screen_action(name) {
            Some(action) => PlayerEvent::Screen {
                action,
                info: screen_info(data.as_ref()),
                data,
            },
            None => unknown(),
        },
        _ => unknown(),
    };
    Ok(event)
}

/// Decodes a message posted by an embedded course **builder**.
///
/// ```
/// # #[cfg(feature = "json")] {
/// use coassemble_events::{decode_builder, BuilderEvent};
/// let msg = serde_json::json!({ "type": "course", "event": "updated", "data": { "id": "981" } });
/// assert_eq!(decode_builder(msg), Ok(BuilderEvent::CourseUpdated { course_id: 981, title: None }));
/// # }
/// ```
pub fn decode_builder<M: Message>(msg: M) -> Result<BuilderEvent<M>, Reject> {
    let envelope = envelope(msg)?;
    let family = envelope.family;
    let data = envelope.msg.member("data");
    let event = match (family, envelope.event.unwrap_or(OTHER_EVENT)) {
        (Family::Back, _) => BuilderEvent::Back,
        (Family::Session, "ready") => BuilderEvent::SessionReady,
        (Family::Session, "expired") => BuilderEvent::SessionExpired,
        (Family::Session, "error") => BuilderEvent::SessionError {
            message: data.as_ref().and_then(|d| d.text("message")),
            code: data
                .as_ref()
                .and_then(|d| d.member("code"))
                .and_then(|c| match c.field() {
                    Field::Text(s) => Some(s),
                    Field::Number(n) if is_whole(n) => Some(whole_to_text(n)),
                    _ => None,
                }),
            data,
        },
        // Some builder versions say "generated" where "created" is meant.
        (Family::Course, "created" | "generated") => {
            let (course_id, title) = course_of(data.as_ref())?;
            BuilderEvent::CourseCreated { course_id, title }
        }
        (Family::Course, "updated") => {
            let (course_id, title) = course_of(data.as_ref())?;
            BuilderEvent::CourseUpdated { course_id, title }
        }
        _ => {
            let (family, event) = envelope.wire_names();
            BuilderEvent::Unknown {
                family,
                event,
                raw: envelope.msg,
            }
        }
    };
    Ok(event)
}

/// Parses a message that was posted as a JSON string. Text that is not JSON is another script's
/// message, so it is [`Reject::Foreign`], not an error.
///
/// ```
/// use coassemble_events::{decode::parse_message, decode_builder, BuilderEvent, Reject};
/// let msg = parse_message(r#"{"type":"back"}"#)?;
/// assert_eq!(decode_builder(msg), Ok(BuilderEvent::Back));
/// assert_eq!(parse_message("hello"), Err(Reject::Foreign));
/// # Ok::<(), Reject>(())
/// ```
#[cfg(feature = "json")]
pub fn parse_message(text: &str) -> Result<serde_json::Value, Reject> {
    serde_json::from_str(text).map_err(|_| Reject::Foreign)
}

fn screen_action(name: &str) -> Option<ScreenAction> {
    Some(match name {
        "start" => ScreenAction::Start,
        "end" => ScreenAction::End,
        "complete" | "completed" => ScreenAction::Complete,
        "answer" => ScreenAction::Answer,
        "failed" => ScreenAction::Failed,
        "retry" => ScreenAction::Retry,
        _ => return None,
    })
}

fn screen_info<M: Message>(data: Option<&M>) -> ScreenInfo {
    let Some(data) = data else {
        return ScreenInfo::default();
    };
    let screen = ["screen", "screenId", "screenIndex", "id", "index"]
        .iter()
        .find_map(|key| match data.member(key)?.field() {
            Field::Number(n) if n.is_finite() => Some(ScreenRef::Number(n)),
            Field::Text(s) => Some(ScreenRef::Id(s)),
            _ => None,
        });
    let correct = match data.member("correct").map(|c| c.field()) {
        Some(Field::Bool(b)) => Some(b),
        _ => None,
    };
    let score = data.member("score").and_then(|s| number_of(&s));
    ScreenInfo {
        screen,
        correct,
        score,
    }
}

/// `data.progress`, or a legacy top-level `progress`, as a whole clamped percent.
fn progress_of<M: Message>(msg: &M, data: Option<&M>) -> Result<u8, Reject> {
    let value = data
        .and_then(|d| d.member("progress"))
        .or_else(|| msg.member("progress"))
        .and_then(|p| number_of(&p))
        .ok_or(Reject::Malformed(Malformed::BadProgress))?;
    Ok(clamp_percent(value))
}

/// Truncates to a whole percent within 0..=100 (`value` is finite).
pub(crate) fn clamp_percent(value: f64) -> u8 {
    if value >= 100.0 {
        100
    } else if value > 0.0 {
        value as u8 // truncation toward zero is the documented rule
    } else {
        0
    }
}

/// `data.id` (number or numeric string) and optional `data.title`.
fn course_of<M: Message>(data: Option<&M>) -> Result<(u64, Option<String>), Reject> {
    let bad = Reject::Malformed(Malformed::BadCourseId);
    let data = data.ok_or(bad)?;
    let id = data.member("id").and_then(|id| number_of(&id)).ok_or(bad)?;
    // Ids are whole and within the range JS numbers hold exactly.
    if id < 0.0 || !is_whole(id) {
        return Err(bad);
    }
    Ok((id as u64, data.text("title")))
}

/// A finite number, or a string holding one (`"55"`, `" 33.6 "`, `"-3"`).
fn number_of<M: Message>(value: &M) -> Option<f64> {
    let n = match value.field() {
        Field::Number(n) => n,
        Field::Text(s) => parse_decimal(s.trim())?,
        _ => return None,
    };
    n.is_finite().then_some(n)
}

/// Parses `[-+]digits[.digits]` without pulling the full float parser into the wasm bundle. Works on
/// bytes: `&str` slicing would bring in its char-boundary panic and, with it, `core::fmt` tables.
fn parse_decimal(s: &str) -> Option<f64> {
    let (negative, unsigned) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        bytes => (false, bytes),
    };
    let mut parts = unsigned.splitn(2, |&b| b == b'.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next().unwrap_or_default();
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut value = 0.0f64;
    for &b in whole {
        value = value * 10.0 + digit(b)?;
    }
    let mut scale = 0.1;
    for &b in fraction {
        value += digit(b)? * scale;
        scale /= 10.0;
    }
    Some(if negative { -value } else { value })
}

fn digit(b: u8) -> Option<f64> {
    b.is_ascii_digit().then(|| f64::from(b - b'0'))
}

/// Whole and exactly representable in a JS number (so it converts to an integer losslessly).
fn is_whole(n: f64) -> bool {
    // (`as i64` for the integer part: `f64::fract` needs std.)
    n.abs() <= MAX_SAFE_INTEGER && (n as i64) as f64 == n
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// Decimal text of a whole number (as [`is_whole`] checks), without `core::fmt`.
fn whole_to_text(n: f64) -> String {
    let mut digits = Vec::new();
    let mut rest = n.abs() as u64;
    loop {
        digits.push(b'0' + (rest % 10) as u8);
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0.0 {
        digits.push(b'-');
    }
    digits.iter().rev().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimals_strictly() {
        assert_eq!(parse_decimal("55"), Some(55.0));
        assert_eq!(parse_decimal("-3"), Some(-3.0));
        assert_eq!(parse_decimal("33.6").map(|v| v as u8), Some(33));
        assert_eq!(parse_decimal(".5"), Some(0.5));
        for bad in ["", "-", ".", "abc", "1e2", "12abc", "1.2.3", "--1", "0x10"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn writes_whole_numbers() {
        assert_eq!(whole_to_text(503.0), "503");
        assert_eq!(whole_to_text(0.0), "0");
        assert_eq!(whole_to_text(-42.0), "-42");
    }

    #[test]
    fn clamps_and_truncates() {
        assert_eq!(clamp_percent(-0.5), 0);
        assert_eq!(clamp_percent(99.99), 99);
        assert_eq!(clamp_percent(250.0), 100);
    }
}
