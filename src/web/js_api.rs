//! The wasm-bindgen surface behind `js/index.js`: one handle per embed, events handed to JS as plain
//! objects. The JS layer adds on/off, the ready promise, error isolation and cleanup.

use super::listener::{AttachError, Embed};
use crate::decode::{BuilderEvent, PlayerEvent, Reject, ScreenRef};
use crate::message::Message;
use crate::progress::ProgressRule;
use crate::state::{Builder, BuilderState, CourseState, Player, Protocol};
use alloc::string::String;
use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use web_sys::HtmlIFrameElement;

#[derive(Debug)]
enum Kind {
    Course(Embed<Player>),
    Builder(Embed<Builder>),
}

/// One attached embed, driven from `js/embed.js`. `free()` (on `destroy()`) removes the listener.
#[wasm_bindgen]
#[derive(Debug)]
pub struct EmbedHandle {
    kind: Kind,
}

#[wasm_bindgen]
impl EmbedHandle {
    /// Attaches to `iframe` as a `"course"` or `"builder"` embed. `dispatch(event)` receives every
    /// accepted event object, and `{ name: "error", code: "malformed_message", ... }` descriptors;
    /// `on_origin(origin)` each distinct origin the iframe's window posts from, once.
    /// A course's progress starts from `initial_progress` (0..=100, validated in JS).
    /// Throws `{ code, message }` when the embed cannot be attached.
    #[wasm_bindgen(constructor)]
    pub fn new(
        kind: &str,
        iframe: JsValue,
        origin: Option<String>,
        src: Option<String>,
        initial_progress: Option<u8>,
        dispatch: Function,
        on_origin: Function,
    ) -> Result<EmbedHandle, JsValue> {
        let iframe = as_iframe(iframe).map_err(error_object)?;
        let (origin, src) = (origin.as_deref(), src.as_deref());
        let kind = if kind == "builder" {
            let state = BuilderState::default();
            Kind::Builder(attach(
                &iframe,
                origin,
                src,
                state,
                &on_origin,
                dispatch,
                builder_event,
            )?)
        } else {
            let state = CourseState {
                progress: initial_progress
                    .map_or_else(ProgressRule::default, ProgressRule::resumed_at),
                ..CourseState::default()
            };
            Kind::Course(attach(
                &iframe,
                origin,
                src,
                state,
                &on_origin,
                dispatch,
                player_event,
            )?)
        };
        Ok(EmbedHandle { kind })
    }

    /// The exact origin messages are accepted from.
    #[wasm_bindgen(getter)]
    pub fn origin(&self) -> String {
        match &self.kind {
            Kind::Course(embed) => embed.origin().into(),
            Kind::Builder(embed) => embed.origin().into(),
        }
    }

    /// A fresh snapshot of the embed's state.
    pub fn state(&self) -> Object {
        match &self.kind {
            Kind::Course(embed) => course_state(&embed.state()),
            Kind::Builder(embed) => builder_state(&embed.state()),
        }
    }
}

/// Attaches an embed of protocol `P` whose accepted events reach `dispatch` as `to_js` objects.
fn attach<P: Protocol + 'static>(
    iframe: &HtmlIFrameElement,
    origin: Option<&str>,
    src: Option<&str>,
    state: P::State<JsValue>,
    on_origin: &Function,
    dispatch: Function,
    to_js: fn(&P::Event<JsValue>, &JsValue) -> Object,
) -> Result<Embed<P>, JsValue> {
    Embed::<P>::attach_with(
        iframe,
        origin,
        src,
        state,
        Some(on_origin),
        move |msg, decoded| deliver(&dispatch, msg, decoded.map(|event| to_js(&event, msg))),
    )
    .map_err(error_object)
}

/// Elements from another realm fail `instanceof`, so the tag name decides.
fn as_iframe(value: JsValue) -> Result<HtmlIFrameElement, AttachError> {
    match value.text("tagName") {
        Some(tag) if tag.eq_ignore_ascii_case("iframe") => Ok(value.unchecked_into()),
        _ => Err(AttachError::NotAnIframe),
    }
}

fn error_object(error: AttachError) -> JsValue {
    attach_error_object(error.code(), &error.message()).into()
}

fn deliver(dispatch: &Function, msg: &JsValue, event: Result<Object, Reject>) {
    let object =
        event.unwrap_or_else(|reject| malformed_object(&JsValue::from_str(reject.message()), msg));
    // js/embed.js never throws from dispatch; if it did, there is no one to tell but the console.
    let _ = dispatch.call1(&JsValue::NULL, &object);
}

// Builds each object in one call: setting each property from Rust would cost one JS↔wasm crossing
// per property (and one per string), on the path of every accepted message and state snapshot.
#[wasm_bindgen(inline_js = r#"
// `posted` is the message as posted: JSON text (decoded in place in wasm) is parsed only here, for
// an accepted event. `own` is the message data the decoded event carries (`raw` for `unknown`).
const message = (posted) => (typeof posted === 'string' ? JSON.parse(posted) : posted);

export function eventObject(name, posted, own, k1, v1, k2, v2, k3, v3) {
  // `type`/`event` are the canonical halves of `name` (`unknown` sets the wire values as fields).
  const colon = name.indexOf(':');
  const event = colon > 0 ? { name, type: name.slice(0, colon), event: name.slice(colon + 1) }
    : { name, type: name, event: undefined };
  event.data = name === 'unknown' ? own.data : own !== undefined ? own : message(posted)?.data;
  if (v1 !== undefined) event[k1] = v1;
  if (v2 !== undefined) event[k2] = v2;
  if (v3 !== undefined) event[k3] = v3;
  return event;
}

export function malformedObject(text, posted) {
  return { name: 'error', code: 'malformed_message', message: text, raw: message(posted) };
}

export function attachErrorObject(code, message) {
  return { code, message };
}

export function courseStateObject(ready, started, progress, completed, feedback, lastScreen, droppedProgress) {
  return { ready, started, progress, completed, feedback, lastScreen, droppedProgress };
}

export function builderStateObject(ready, expired, courseId, title) {
  return { ready, expired, courseId: courseId ?? null, title: title ?? null };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = eventObject)]
    #[allow(clippy::too_many_arguments)]
    fn event_object(
        name: &JsValue,
        posted: &JsValue,
        own: Option<&JsValue>,
        k1: &JsValue,
        v1: JsValue,
        k2: &JsValue,
        v2: JsValue,
        k3: &JsValue,
        v3: JsValue,
    ) -> Object;

    /// The `malformed_message` descriptor js/embed.js turns into a `CoassembleError`.
    #[wasm_bindgen(js_name = malformedObject)]
    fn malformed_object(message: &JsValue, posted: &JsValue) -> Object;

    /// `{ code, message }`, what js/embed.js turns into a `CoassembleError`.
    #[wasm_bindgen(js_name = attachErrorObject)]
    fn attach_error_object(code: &str, message: &str) -> Object;

    #[wasm_bindgen(js_name = courseStateObject)]
    #[allow(clippy::too_many_arguments)]
    fn course_state_object(
        ready: bool,
        started: bool,
        progress: u8,
        completed: bool,
        feedback: JsValue,
        last_screen: JsValue,
        dropped_progress: u32,
    ) -> Object;

    #[wasm_bindgen(js_name = builderStateObject)]
    fn builder_state_object(
        ready: bool,
        expired: bool,
        course_id: Option<f64>,
        title: Option<&str>,
    ) -> Object;
}

/// The event object for `name`, with the message data the event carries (`own`) and up to three
/// typed fields (a `None` value is left out).
fn build(
    name: &str,
    posted: &JsValue,
    own: Option<&JsValue>,
    fields: [(&str, Option<JsValue>); 3],
) -> Object {
    let [(k1, v1), (k2, v2), (k3, v3)] =
        fields.map(|(key, value)| (key, value.unwrap_or(JsValue::UNDEFINED)));
    let key = JsValue::from_str;
    event_object(
        &key(name),
        posted,
        own,
        &key(k1),
        v1,
        &key(k2),
        v2,
        &key(k3),
        v3,
    )
}

fn screen_value(screen: &ScreenRef) -> JsValue {
    match screen {
        ScreenRef::Number(n) => JsValue::from_f64(*n),
        ScreenRef::Id(id) => JsValue::from_str(id),
    }
}

fn player_event(event: &PlayerEvent<JsValue>, msg: &JsValue) -> Object {
    let fields = match event {
        PlayerEvent::CourseProgress { percent } => [
            ("progress", Some((*percent).into())),
            ("", None),
            ("", None),
        ],
        PlayerEvent::Screen { info, .. } => [
            ("screen", info.screen.as_ref().map(screen_value)),
            ("correct", info.correct.map(JsValue::from)),
            ("score", info.score.map(JsValue::from)),
        ],
        PlayerEvent::Unknown { family, event, raw } => unknown_fields(family, event, raw),
        _ => [("", None), ("", None), ("", None)],
    };
    let own = match event {
        PlayerEvent::CourseFeedback { data } | PlayerEvent::Screen { data, .. } => data.as_ref(),
        PlayerEvent::Unknown { raw, .. } => Some(raw),
        _ => None,
    };
    build(event.name(), msg, own, fields)
}

/// The wire `type` and `event` of an `unknown` event, and the whole message as `raw`.
fn unknown_fields<'a>(family: &str, event: &str, raw: &JsValue) -> [(&'a str, Option<JsValue>); 3] {
    [
        ("type", Some(JsValue::from_str(family))),
        ("event", Some(JsValue::from_str(event))),
        ("raw", Some(raw.clone())),
    ]
}

fn builder_event(event: &BuilderEvent<JsValue>, msg: &JsValue) -> Object {
    let text = |value: &Option<String>| value.as_deref().map(JsValue::from_str);
    let fields = match event {
        BuilderEvent::CourseCreated { course_id, title }
        | BuilderEvent::CourseUpdated { course_id, title } => [
            ("courseId", Some((*course_id as f64).into())),
            ("title", text(title)),
            ("", None),
        ],
        BuilderEvent::SessionError { message, code, .. } => {
            [("message", text(message)), ("code", text(code)), ("", None)]
        }
        BuilderEvent::Unknown { family, event, raw } => unknown_fields(family, event, raw),
        _ => [("", None), ("", None), ("", None)],
    };
    let own = match event {
        BuilderEvent::SessionError { data, .. } => data.as_ref(),
        BuilderEvent::Unknown { raw, .. } => Some(raw),
        _ => None,
    };
    build(event.name(), msg, own, fields)
}

fn course_state(state: &CourseState<JsValue>) -> Object {
    course_state_object(
        state.ready,
        state.started,
        state.progress.percent(),
        state.completed,
        state.feedback.clone().unwrap_or(JsValue::NULL),
        state
            .last_screen
            .as_ref()
            .map_or(JsValue::NULL, screen_value),
        state.progress.dropped(),
    )
}

fn builder_state(state: &BuilderState) -> Object {
    builder_state_object(
        state.ready,
        state.expired,
        state.course_id.map(|id| id as f64),
        state.title.as_deref(),
    )
}
