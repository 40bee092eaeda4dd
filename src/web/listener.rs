//! [`Embed`]: the `message` listener of one iframe, removed when the value is dropped.

use crate::decode::Reject;
use crate::json_text::JsonTape;
use crate::state::{Builder, Player, Protocol};
use alloc::rc::Rc;
use alloc::string::String;
use core::cell::RefCell;
use core::fmt;
use js_sys::Function;
use wasm_bindgen::prelude::{wasm_bindgen, Closure};
use wasm_bindgen::JsValue;
use web_sys::{HtmlIFrameElement, Window};

/// Why an embed could not be attached. [`AttachError::code`] gives the stable string the JS API uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachError {
    /// There is no `window` (server-side rendering, a worker).
    NoWindow,
    /// The element given is not an `<iframe>`.
    NotAnIframe,
    /// The iframe has no `src` and no origin was given, so there is nothing to trust.
    MissingOrigin,
    /// The origin (or `src`) is not a valid `http(s)` origin; the text says which and why.
    InvalidOrigin(String),
}

impl AttachError {
    /// A stable code: `no_dom`, `not_an_iframe`, `missing_origin`, `invalid_origin`.
    pub fn code(&self) -> &'static str {
        match self {
            AttachError::NoWindow => "no_dom",
            AttachError::NotAnIframe => "not_an_iframe",
            AttachError::MissingOrigin => "missing_origin",
            AttachError::InvalidOrigin(_) => "invalid_origin",
        }
    }
}

impl AttachError {
    /// A sentence naming the problem. (Built without `core::fmt`, which would cost the bundle KBs.)
    pub fn message(&self) -> String {
        match self {
            AttachError::NoWindow => {
                "no window: embeds can only be attached in a browser page".into()
            }
            AttachError::NotAnIframe => "the element to attach to is not an <iframe>".into(),
            AttachError::MissingOrigin => {
                "the iframe has no src and no origin was given: pass the embed's origin".into()
            }
            AttachError::InvalidOrigin(why) => {
                let mut text = String::from("invalid embed origin ");
                text.push_str(why);
                text
            }
        }
    }
}

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for AttachError {}

/// The listener for one embedded iframe of protocol `P` ([`Player`] or [`Builder`]).
///
/// It hears only messages whose `source` is the iframe's window **and** whose origin is exactly the
/// trusted origin; foreign messages are ignored silently; progress is kept monotonic by
/// [`Protocol::accept`]. Dropping it removes the listener and frees the closure.
///
/// A message that arrives while `on_event` runs (a callback that dispatches or posts synchronously)
/// is delivered after the current one returns, in arrival order. Attaching twice to one iframe gives
/// two independent embeds: each has its own listener, state and lifetime.
///
/// The JS API's `origin_mismatch` diagnostics (the iframe's window posting from another origin) are
/// not reported here: such messages are ignored silently, as foreign ones.
///
/// ```no_run
/// use coassemble_events::{web::PlayerEmbed, PlayerEvent};
/// # fn demo(iframe: &web_sys::HtmlIFrameElement) -> Result<(), coassemble_events::web::AttachError> {
/// let embed = PlayerEmbed::attach(iframe, None, |event| match event {
///     Ok(PlayerEvent::CourseProgress { percent, .. }) => web_sys::console::log_1(&percent.into()),
///     Ok(other) => web_sys::console::log_1(&other.name().into()),
///     Err(malformed) => web_sys::console::warn_1(&malformed.message().into()),
/// })?;
/// // Keep `embed` alive as long as you want events (e.g. in your component's state).
/// # Ok(()) }
/// ```
#[must_use = "the embed stops listening as soon as it is dropped"]
pub struct Embed<P: Protocol> {
    state: Rc<RefCell<P::State<JsValue>>>,
    origin: String,
    _listener: Listener,
}

/// An [`Embed`] of a course player.
pub type PlayerEmbed = Embed<Player>;
/// An [`Embed`] of a course builder.
pub type BuilderEmbed = Embed<Builder>;

impl<P: Protocol> fmt::Debug for Embed<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embed")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl<P: Protocol + 'static> Embed<P> {
    /// Listens to `iframe`, trusting `origin` (default: the origin of the iframe's `src`).
    ///
    /// `on_event` gets each accepted event, and `Err` for a malformed Coassemble message from the
    /// trusted frame; foreign messages never reach it.
    pub fn attach<F>(
        iframe: &HtmlIFrameElement,
        origin: Option<&str>,
        mut on_event: F,
    ) -> Result<Self, AttachError>
    where
        F: FnMut(Result<P::Event<JsValue>, Reject>) + 'static,
    {
        let state = Rc::new(RefCell::new(P::State::<JsValue>::default()));
        let shared = Rc::clone(&state);
        let mut tape = JsonTape::default();
        let deliver = Closure::<Deliver>::new(move |text: String| {
            // Read in place: a message that is not acted on (another script's, a progress that
            // does not advance) costs no JS object; the data an accepted event carries is parsed
            // into JS objects for it alone. Numbers that are not small whole ones go to
            // JavaScript's `Number`: no float parser in the wasm.
            let decoded = P::decode_text(&mut tape, &text, js_number, |data| {
                parse_json(data.as_str())
            });
            // The borrow ends before the callback runs: the callback may read the state. Nothing
            // else borrows it mutably, `state()` clones under a short borrow, and deliveries never
            // nest (`listen` queues a message that arrives during one), so this borrow is always
            // free; `try_borrow_mut` spares the bundle a panic path.
            let Ok(mut state) = shared.try_borrow_mut() else {
                return;
            };
            // An event the rules imply (the progress of 100 of a completion below 100) is heard
            // first, after the borrow ends like the event itself.
            let mut implied = None;
            let accepted = P::accept_implying(&mut state, &decoded, |event| implied = Some(event));
            drop(state);
            if let Some(event) = implied {
                on_event(Ok(event));
            }
            if accepted {
                on_event(decoded);
            }
        });
        let (origin, listener) = Listener::new(iframe, origin, deliver)?;
        Ok(Embed {
            state,
            origin,
            _listener: listener,
        })
    }

    /// A snapshot of what the embed has reported so far. A copy, not a borrow: holding it (across an
    /// `.await`, say) never keeps the listener from updating the state.
    pub fn state(&self) -> P::State<JsValue>
    where
        P::State<JsValue>: Clone,
    {
        self.state.borrow().clone()
    }

    /// The exact origin messages are accepted from.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// The listener's entry into wasm: the message as JSON text.
type Deliver = dyn FnMut(String);

// The trust check, the origin diagnostics and the queue of re-entrant messages are in js/page/listen.js,
// the one copy of them (the npm package runs the same listener): a foreign message never enters wasm.
#[wasm_bindgen(module = "/js/page/listen.js")]
extern "C" {
    /// Adds the `message` listener; returns the function that removes it (and drops what is queued).
    fn listen(
        window: &Window,
        frame: &HtmlIFrameElement,
        origin: &JsValue,
        deliver: &Closure<Deliver>,
    ) -> Function;
}

#[wasm_bindgen]
extern "C" {
    /// JavaScript's `Number(text)`, for a JSON number literal.
    #[wasm_bindgen(js_name = Number)]
    fn js_number(text: &str) -> f64;
    /// `JSON.parse(text)`, for text [`crate::JsonText`] checked.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn parse_json(text: &str) -> JsValue;
}

/// The registered listener: removed, and its closure freed, on drop (RAII, as in gloo-events).
struct Listener {
    remove: Function,
    _deliver: Closure<Deliver>,
}

impl Listener {
    /// Registers `deliver` for the messages of `iframe` from its trusted origin (the same for every
    /// protocol, so it is compiled once). Returns the origin and the registration.
    fn new(
        iframe: &HtmlIFrameElement,
        origin: Option<&str>,
        deliver: Closure<Deliver>,
    ) -> Result<(String, Listener), AttachError> {
        // The window the iframe lives in is the one its messages are posted to. (Also smaller than
        // `web_sys::window()`, which looks up the global object through thread-locals.)
        let window = iframe
            .owner_document()
            .and_then(|doc| doc.default_view())
            .ok_or(AttachError::NoWindow)?;
        let origin = super::origin::resolve_origin(iframe, origin, None)?;
        let remove = listen(&window, iframe, &JsValue::from_str(&origin), &deliver);
        Ok((
            origin,
            Listener {
                remove,
                _deliver: deliver,
            },
        ))
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.remove.call0(&JsValue::NULL);
    }
}
