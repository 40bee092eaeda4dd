//! [`Embed`]: the `message` listener of one iframe, removed when the value is dropped.

use crate::decode::Reject;
use crate::state::{Builder, Player, Protocol};
use js_sys::Function;
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
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

impl std::error::Error for AttachError {}

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
///     Ok(PlayerEvent::CourseProgress { percent }) => web_sys::console::log_1(&percent.into()),
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
        Self::attach_with(
            iframe,
            origin,
            None,
            Default::default(),
            None,
            move |_, decoded| on_event(decoded),
        )
    }

    /// Like [`Embed::attach`], for the JS API: `src` is the URL the iframe is about to load, `state`
    /// what is already known (a resumed progress), the callback also gets the posted message (to
    /// hand its raw `data` to JavaScript), and `on_origin` is called with each distinct origin the
    /// iframe's own window posts from, the first time (see `listen` below).
    pub(crate) fn attach_with<F>(
        iframe: &HtmlIFrameElement,
        origin: Option<&str>,
        src: Option<&str>,
        state: P::State<JsValue>,
        on_origin: Option<&Function>,
        mut on_event: F,
    ) -> Result<Self, AttachError>
    where
        F: FnMut(&JsValue, Result<P::Event<JsValue>, Reject>) + 'static,
    {
        // The window the iframe lives in is the one its messages are posted to. (Also smaller than
        // `web_sys::window()`, which looks up the global object through thread-locals.)
        let window = iframe
            .owner_document()
            .and_then(|doc| doc.default_view())
            .ok_or(AttachError::NoWindow)?;
        let origin = super::origin::resolve_origin(iframe, origin, src)?;
        let state = Rc::new(RefCell::new(state));
        let shared = Rc::clone(&state);
        let deliver = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
            let decoded = P::decode(msg.clone());
            // The borrow ends before the callback runs: the callback may read the state. Nothing
            // else borrows it mutably, `state()` clones under a short borrow, and deliveries never
            // nest (`listen` queues a message that arrives during one), so this borrow is always
            // free; `try_borrow_mut` spares the bundle a panic path.
            let Ok(mut state) = shared.try_borrow_mut() else {
                return;
            };
            let accepted = P::accept(&mut state, &decoded);
            drop(state);
            if accepted {
                on_event(&msg, decoded);
            }
        });
        let on_origin = on_origin.map_or(JsValue::UNDEFINED, |f| f.clone().into());
        let remove = listen(
            &window,
            iframe,
            &JsValue::from_str(&origin),
            &deliver,
            &on_origin,
        );
        Ok(Embed {
            state,
            origin,
            _listener: Listener {
                remove,
                _deliver: deliver,
            },
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

// The trust check runs in JavaScript, before anything crosses into wasm: a page sees many
// messages that are not ours, and for each of them this costs two property loads and two `===`, as
// in a hand-written listener (measured: see README, Performance). It is the only copy of the rule.
//
// Also here, off the foreign path: `onOrigin(origin)` hears each distinct origin the iframe's own
// window posts from, once (the diagnostics of a custom domain or redirect, whose messages are still
// not delivered); and a message that arrives while `deliver` runs (a host callback that dispatches
// one) is queued and delivered after it, in order, instead of re-entering the wasm closure.
#[wasm_bindgen(inline_js = r#"
export function listen(window, frame, origin, deliver, onOrigin) {
  let heardTrusted = onOrigin === undefined; // nobody to tell counts as told
  let heardOthers; // the other origins told about, created on the first one
  let queue; // messages waiting while one is delivered
  let removed = false;
  const listener = (event) => {
    const source = event.source;
    // This iframe's window (null once it left the page), exactly this origin; else not ours.
    if (source === null || source !== frame.contentWindow) return;
    if (event.origin !== origin) {
      if (onOrigin !== undefined && !heardOthers?.has(event.origin)) {
        (heardOthers ??= new Set()).add(event.origin);
        onOrigin(event.origin);
      }
      return;
    }
    if (!heardTrusted) { heardTrusted = true; onOrigin(origin); }
    let data = event.data;
    if (typeof data === 'string') {
      try { data = JSON.parse(data); } catch { return; } // text that is not JSON is not ours
    }
    if (queue !== undefined) { queue.push(data); return; }
    queue = [];
    try {
      deliver(data);
      while (queue.length > 0 && !removed) deliver(queue.shift());
    } finally {
      queue = undefined;
    }
  };
  window.addEventListener('message', listener);
  return () => { removed = true; window.removeEventListener('message', listener); };
}
"#)]
extern "C" {
    /// Adds the `message` listener; returns the function that removes it (and drops what is queued).
    fn listen(
        window: &Window,
        frame: &HtmlIFrameElement,
        origin: &JsValue,
        deliver: &Closure<dyn FnMut(JsValue)>,
        on_origin: &JsValue,
    ) -> Function;
}

/// The registered listener: removed, and its closure freed, on drop (RAII, as in gloo-events).
struct Listener {
    remove: Function,
    _deliver: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.remove.call0(&JsValue::NULL);
    }
}
