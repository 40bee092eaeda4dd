//! The wasm-bindgen surface behind `js/index.js`: one handle per embed, events handed to JS as plain
//! objects. The JS layer adds on/off, the ready promise, error isolation and cleanup.

use super::js_message::with_key;
use super::listener::{AttachError, Embed};
use crate::decode::{BuilderEvent, PlayerEvent, Reject, ScreenRef};
use crate::message::Message;
use crate::state::{Builder, BuilderState, CourseState, Player};
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
    /// accepted event object, and `{ name: "error", code: "malformed_message", ... }` descriptors.
    /// Throws `{ code, message }` when the embed cannot be attached.
    #[wasm_bindgen(constructor)]
    pub fn new(
        kind: &str,
        iframe: JsValue,
        origin: Option<String>,
        src: Option<String>,
        dispatch: Function,
    ) -> Result<EmbedHandle, JsValue> {
        let iframe = as_iframe(iframe).map_err(error_object)?;
        let (origin, src) = (origin.as_deref(), src.as_deref());
        let kind = if kind == "builder" {
            Kind::Builder(
                Embed::<Builder>::attach_with(&iframe, origin, src, move |msg, decoded| {
                    deliver(&dispatch, msg, decoded.map(|event| builder_event(&event, msg)))
                })
                .map_err(error_object)?,
            )
        } else {
            Kind::Course(
                Embed::<Player>::attach_with(&iframe, origin, src, move |msg, decoded| {
                    deliver(&dispatch, msg, decoded.map(|event| player_event(&event, msg)))
                })
                .map_err(error_object)?,
            )
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
    let _ = with_key(key, |key| Reflect::set(object, key, &value));
}

/// `{ name, type, event, data }`: `type`/`event` are the canonical halves of `name`; for `unknown`
/// they are the wire values and `raw` is the whole message.
fn base(name: &'static str, msg: &JsValue) -> Object {
    let object = Object::new();
    set(&object, "name", name);
    match name.split_once(':') {
        Some((family, event)) => {
            set(&object, "type", family);
            set(&object, "event", event);
        }
        None if name == "unknown" => {
            set(&object, "type", msg.member("type").unwrap_or(JsValue::UNDEFINED));
            set(&object, "event", msg.member("event").unwrap_or(JsValue::UNDEFINED));
            set(&object, "raw", msg.clone());
        }
        None => set(&object, "type", name),
    }
    set(&object, "data", msg.member("data").unwrap_or(JsValue::UNDEFINED));
    object
}

fn screen_value(screen: &ScreenRef) -> JsValue {
    match screen {
        ScreenRef::Number(n) => JsValue::from_f64(*n),
        ScreenRef::Id(id) => JsValue::from_str(id),
    }
}

fn player_event(event: &PlayerEvent<JsValue>, msg: &JsValue) -> Object {
    let object = base(event.name(), msg);
    match event {
        PlayerEvent::CourseProgress { percent } => set(&object, "progress", *percent),
        PlayerEvent::Screen { info, .. } => {
            if let Some(screen) = &info.screen {
                set(&object, "screen", screen_value(screen));
            }
            if let Some(correct) = info.correct {
                set(&object, "correct", correct);
            }
            if let Some(score) = info.score {
                set(&object, "score", score);
            }
        }
        _ => {}
    }
    object
}

fn builder_event(event: &BuilderEvent<JsValue>, msg: &JsValue) -> Object {
    let object = base(event.name(), msg);
    match event {
        BuilderEvent::CourseCreated { course_id, title } | BuilderEvent::CourseUpdated { course_id, title } => {
            set(&object, "courseId", *course_id as f64);
            if let Some(title) = title {
                set(&object, "title", title.as_str());
            }
        }
        BuilderEvent::SessionError { message, code, .. } => {
            if let Some(message) = message {
                set(&object, "message", message.as_str());
            }
            if let Some(code) = code {
                set(&object, "code", code.as_str());
            }
        }
        _ => {}
    }
    object
}

fn course_state(state: &CourseState<JsValue>) -> Object {
    let object = Object::new();
    set(&object, "ready", state.ready);
    set(&object, "started", state.started);
    set(&object, "progress", state.progress.percent());
    set(&object, "completed", state.completed);
    set(&object, "feedback", state.feedback.clone().unwrap_or(JsValue::NULL));
    set(&object, "lastScreen", state.last_screen.as_ref().map_or(JsValue::NULL, screen_value));
    set(&object, "droppedProgress", state.progress.dropped());
    object
}

fn builder_state(state: &BuilderState) -> Object {
    let object = Object::new();
    set(&object, "ready", state.ready);
    set(&object, "expired", state.expired);
    set(&object, "courseId", state.course_id.map_or(JsValue::NULL, |id| JsValue::from_f64(id as f64)));
    set(&object, "title", state.title.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    object
}
