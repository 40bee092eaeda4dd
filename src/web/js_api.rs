//! The wasm-bindgen surface behind `js/index.js`: one handle per embed, events handed to JS as plain
//! objects. The JS layer adds on/off, the ready promise, error isolation and cleanup.

use super::js_message::js_key;
use super::listener::{AttachError, Embed};
use crate::decode::{BuilderEvent, PlayerEvent, Reject, ScreenRef};
use crate::message::Message;
use crate::progress::ProgressRule;
use crate::state::{Builder, BuilderState, CourseState, Player, Protocol};
use js_sys::{Function, Object, Reflect};
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
            Kind::Course(embed) => embed.origin().to_owned(),
            Kind::Builder(embed) => embed.origin().to_owned(),
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
    let object = Object::new();
    set(&object, "code", error.code());
    set(&object, "message", error.message());
    object.into()
}

fn deliver(dispatch: &Function, msg: &JsValue, event: Result<Object, Reject>) {
    let object = event.unwrap_or_else(|reject| {
        let error = Object::new();
        set(&error, "name", "error");
        set(&error, "code", "malformed_message");
        set(&error, "message", reject.message());
        set(&error, "raw", msg.clone());
        error
    });
    // js/embed.js never throws from dispatch; if it did, there is no one to tell but the console.
    let _ = dispatch.call1(&JsValue::NULL, &object);
}

fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let value = value.into();
    let _ = Reflect::set(object, js_key(key), &value);
}

// Builds an event object in one call: setting each property from Rust would cost one JS↔wasm
// crossing per property (and one per string), on the path of every accepted message.
#[wasm_bindgen(inline_js = r#"
export function eventObject(name, msg, k1, v1, k2, v2, k3, v3) {
  // `type`/`event` are the canonical halves of `name` (`unknown` sets the wire values as fields).
  const colon = name.indexOf(':');
  const event = colon > 0 ? { name, type: name.slice(0, colon), event: name.slice(colon + 1) }
    : { name, type: name, event: undefined };
  event.data = msg.data;
  if (v1 !== undefined) event[k1] = v1;
  if (v2 !== undefined) event[k2] = v2;
  if (v3 !== undefined) event[k3] = v3;
  return event;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = eventObject)]
    #[allow(clippy::too_many_arguments)]
    fn event_object(
        name: &JsValue,
        msg: &JsValue,
        k1: &JsValue,
        v1: JsValue,
        k2: &JsValue,
        v2: JsValue,
        k3: &JsValue,
        v3: JsValue,
    ) -> Object;
}

/// The event object for `name` with up to three typed fields (a `None` value is left out).
fn build(name: &str, msg: &JsValue, fields: [(&str, Option<JsValue>); 3]) -> Object {
    let [(k1, v1), (k2, v2), (k3, v3)] =
        fields.map(|(key, value)| (key, value.unwrap_or(JsValue::UNDEFINED)));
    event_object(
        js_key(name),
        msg,
        js_key(k1),
        v1,
        js_key(k2),
        v2,
        js_key(k3),
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
        PlayerEvent::Unknown { family, event, .. } => unknown_fields(family, event, msg),
        _ => [("", None), ("", None), ("", None)],
    };
    build(event.name(), msg, fields)
}

/// The wire `type` and `event` of an `unknown` event, and the whole message as `raw`.
fn unknown_fields<'a>(family: &str, event: &str, msg: &JsValue) -> [(&'a str, Option<JsValue>); 3] {
    [
        ("type", Some(JsValue::from_str(family))),
        ("event", Some(JsValue::from_str(event))),
        ("raw", Some(msg.clone())),
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
        BuilderEvent::Unknown { family, event, .. } => unknown_fields(family, event, msg),
        _ => [("", None), ("", None), ("", None)],
    };
    build(event.name(), msg, fields)
}

fn course_state(state: &CourseState<JsValue>) -> Object {
    let object = Object::new();
    set(&object, "ready", state.ready);
    set(&object, "started", state.started);
    set(&object, "progress", state.progress.percent());
    set(&object, "completed", state.completed);
    set(
        &object,
        "feedback",
        state.feedback.clone().unwrap_or(JsValue::NULL),
    );
    set(
        &object,
        "lastScreen",
        state
            .last_screen
            .as_ref()
            .map_or(JsValue::NULL, screen_value),
    );
    set(&object, "droppedProgress", state.progress.dropped());
    object
}

fn builder_state(state: &BuilderState) -> Object {
    let object = Object::new();
    set(&object, "ready", state.ready);
    set(&object, "expired", state.expired);
    set(
        &object,
        "courseId",
        state
            .course_id
            .map_or(JsValue::NULL, |id| JsValue::from_f64(id as f64)),
    );
    set(
        &object,
        "title",
        state
            .title
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    object
}
