//! The npm package's in-page wasm: six exported functions, called by `js/page/embed-handle.js`.
//!
//! The seam is one call per trusted message. The JS listener (`js/page/listen.js`) checks the source
//! window and the exact origin, writes the message's JSON text into the embed's input buffer here,
//! and calls [`embed_deliver`]. Rust decodes the text in place ([`Protocol::decode_text`], on the
//! slot's reused [`JsonTape`]), applies the protocol
//! rules ([`Protocol::accept`]), and answers 0 (nothing for the host: another script's message, a
//! progress that does not advance) or the address of a [`Record`] that describes the event, which
//! JS turns into the event object. A message that is not acted on costs no JS object and no
//! allocation.
//!
//! Why not wasm-bindgen here (Rust users' [`crate::web::Embed`] keeps it): its class, closure and
//! string glue was 6 KB of minified JS and a third of the wasm, and each message paid its closure
//! trampoline and string copy through `malloc` (CONTRIBUTING.md, Speed). The ABI is this file: plain
//! numbers and addresses into the wasm memory, which JS reads with a `DataView`.
//!
//! Safety: JS is the only caller, and it passes back exactly the `Box<Slot>` addresses that
//! [`embed_new`] returned, each until it calls [`embed_free`] once; so every `&mut Slot` below is
//! a live, unaliased box (wasm is single-threaded, and nothing here calls back into JS but the
//! number parser, which does not re-enter).
#![allow(unsafe_code)] // `#[no_mangle]` exports, and the one imported function

use crate::decode::{BuilderEvent, PlayerEvent, Reject, ScreenRef};
use crate::json_text::JsonTape;
use crate::progress::ProgressRule;
use crate::record::{Field, Record, FALSE, JSON, NULL, NUMBER, TEXT, TRUE};
use crate::state::{Builder, BuilderState, CourseState, Player, Protocol};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

// Without std (see lib.rs), a panic is an abort: a trap, as `panic = "abort"` makes it with std
// too, minus the message formatting nobody can read in a page.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

// The few allocations are input buffers and short-lived strings of accepted events: a 1 KB
// free-list allocator, where dlmalloc would be a fifth of the bundle.
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

extern "C" {
    /// JavaScript's `Number(text)` for the number literal at `ptr`: every number the JSON text reader does
    /// not read itself (those that are not whole, or longer than 15 digits), so that no float parser
    /// is compiled into the wasm.
    fn parse_number(ptr: *const u8, len: usize) -> f64;
}

fn js_number(text: &str) -> f64 {
    // SAFETY: the import only reads `len` bytes at `ptr`, which `text` keeps alive.
    unsafe { parse_number(text.as_ptr(), text.len()) }
}

/// One attached embed: its protocol state, the buffer JS writes messages into, and the record of
/// the last answer.
pub struct Slot {
    state: State,
    input: Vec<u8>,
    tape: JsonTape,
    out: Out,
}

enum State {
    Course(Core<Player>),
    Builder(Core<Builder>),
}

/// The protocol core of one embed: what it reported so far, and the decoding of the last message
/// text. (Named `Core`, not `Embed`: the embed is the JS object of js/page/embed.js, or
/// [`crate::web::Embed`] for Rust users; this is only the part of it that lives in the wasm.)
/// Decoding is a pure function of the text, so the same text again (a player re-sending its
/// progress) is decoded once and its decoding accepted again, by the same rule ([`embed_again`]).
struct Core<P: Protocol> {
    state: P::State<String>,
    /// `None` before the first message; `Err(Reject::Foreign)` for text that is not JSON.
    last: Option<Result<P::Event<String>, Reject>>,
}

impl<P: Protocol> Core<P>
where
    P::Event<String>: Describe,
{
    fn new(state: P::State<String>) -> Self {
        Core { state, last: None }
    }

    /// Decodes `text` on `tape`, then accepts it.
    fn deliver(&mut self, tape: &mut JsonTape, text: &str, out: &mut Out) -> usize {
        // The data an event carries is kept as its JSON text: JS parses it for the event object.
        self.last = Some(P::decode_text(tape, text, js_number, |data| {
            data.as_str().into()
        }));
        self.again(out)
    }

    /// Accepts the last decoding (again), and describes it when the host should hear of it.
    fn again(&mut self, out: &mut Out) -> usize {
        let Some(decoded) = &self.last else {
            return 0;
        };
        // A completion below 100 implies a progress of 100, answered first: its fields come
        // before the completion's in the record (`split`), written as it is implied.
        out.clear();
        if !P::accept_implying(&mut self.state, decoded, |event| {
            event.describe(out);
            out.then();
        }) {
            return 0;
        }
        match decoded {
            Ok(event) => event.describe(out),
            Err(reject) => {
                out.text("name", "error");
                out.text("message", reject.message());
            }
        }
        out.finish()
    }
}

/// A new embed: a course player, or a course builder (`flags` bit 0); a course resumes at
/// `initial_progress` when it is 0..=100 (the JS API validated it, or it is the progress of the
/// embed's trapped core, carried to a new one with its `ready`, bit 1: js/page/embed-handle.js;
/// -1 for none).
#[no_mangle]
pub extern "C" fn embed_new(flags: u32, initial_progress: i32) -> Box<Slot> {
    let ready = flags & 2 != 0;
    let state = if flags & 1 != 0 {
        State::Builder(Core::new(BuilderState {
            ready,
            ..BuilderState::default()
        }))
    } else {
        let progress = u8::try_from(initial_progress)
            .map_or_else(|_| ProgressRule::default(), ProgressRule::resumed_at);
        State::Course(Core::new(CourseState {
            ready,
            progress,
            ..CourseState::default()
        }))
    };
    Box::new(Slot {
        state,
        input: Vec::new(),
        tape: JsonTape::default(),
        out: Out::default(),
    })
}

/// The address of the slot's input buffer, `len` bytes long from now on (JS asks again only when a
/// message needs more than it last asked for).
#[no_mangle]
pub extern "C" fn embed_input(slot: &mut Slot, len: usize) -> *mut u8 {
    slot.input.resize(len, 0);
    slot.input.as_mut_ptr()
}

/// Decodes the `len` bytes of JSON text in the input buffer. Returns 0 when the host hears nothing,
/// else the address of the [`Record`] of the event (fields `name`, then the event's own).
#[no_mangle]
pub extern "C" fn embed_deliver(slot: &mut Slot, len: usize) -> usize {
    let bytes = slot.input.get(..len).unwrap_or_default();
    // Bytes that are not UTF-8 read as "", which is not JSON either: not ours.
    let text = core::str::from_utf8(bytes).unwrap_or_default();
    match &mut slot.state {
        State::Course(embed) => embed.deliver(&mut slot.tape, text, &mut slot.out),
        State::Builder(embed) => embed.deliver(&mut slot.tape, text, &mut slot.out),
    }
}

/// Like [`embed_deliver`] for the same text as the last one (JS compared them): its decoding is
/// accepted again, without reading the text.
#[no_mangle]
pub extern "C" fn embed_again(slot: &mut Slot) -> usize {
    match &mut slot.state {
        State::Course(embed) => embed.again(&mut slot.out),
        State::Builder(embed) => embed.again(&mut slot.out),
    }
}

/// The address of a [`Record`] of the embed's state (course: `ready`, `started`, `progress`,
/// `completed`, `feedback`, `lastScreen`, `droppedProgress`; builder: `ready`, `expired`,
/// `courseId`, `title`).
#[no_mangle]
pub extern "C" fn embed_state(slot: &mut Slot) -> usize {
    let out = &mut slot.out;
    out.clear();
    match &slot.state {
        State::Course(Core { state, .. }) => {
            out.boolean("ready", state.ready);
            out.boolean("started", state.started);
            out.number("progress", state.progress.percent().into());
            out.boolean("completed", state.completed);
            match &state.feedback {
                Some(json) => out.json("feedback", json),
                None => out.null("feedback"),
            }
            match &state.last_screen {
                Some(screen) => out.screen("lastScreen", screen),
                None => out.null("lastScreen"),
            }
            out.number("droppedProgress", state.progress.dropped().into());
        }
        State::Builder(Core { state, .. }) => {
            out.boolean("ready", state.ready);
            out.boolean("expired", state.expired);
            match state.course_id {
                Some(id) => out.number("courseId", id as f64),
                None => out.null("courseId"),
            }
            match &state.title {
                Some(title) => out.text("title", title),
                None => out.null("title"),
            }
        }
    }
    out.finish()
}

/// Frees the embed (JS has removed its listener).
#[no_mangle]
pub extern "C" fn embed_free(slot: Box<Slot>) {
    drop(slot);
}

/// A [`Record`] being written, with the bytes of its texts.
#[derive(Default)]
struct Out {
    record: Record,
    texts: Vec<u8>,
}

impl Out {
    fn clear(&mut self) {
        self.record.count = 0;
        self.record.split = 0;
        self.texts.clear();
    }

    /// The fields written so far are an event dispatched first; the next ones are another's.
    fn then(&mut self) {
        self.record.split = self.record.count;
    }

    /// Adds a field; a text is copied, and its `text` is an offset into `texts` until [`Out::finish`].
    fn put(&mut self, key: &'static str, kind: u32, text: &str, number: f64) {
        let record = &mut self.record;
        let Some(field) = record.fields.get_mut(record.count as usize) else {
            return; // more fields than any record has: not reachable
        };
        // Addresses and lengths are wasm32's (u32): `as` loses nothing there.
        *field = Field {
            key: key.as_ptr() as u32,
            key_len: key.len() as u32,
            kind,
            text: self.texts.len() as u32,
            text_len: text.len() as u32,
            number,
        };
        self.texts.extend_from_slice(text.as_bytes());
        record.count += 1;
    }

    /// Turns text offsets into addresses (`texts` no longer moves) and returns the record's address.
    fn finish(&mut self) -> usize {
        let base = self.texts.as_ptr() as u32;
        let count = self.record.count as usize;
        for field in self.record.fields.iter_mut().take(count) {
            field.text += base;
        }
        &self.record as *const Record as usize
    }

    fn number(&mut self, key: &'static str, value: f64) {
        self.put(key, NUMBER, "", value);
    }
    fn text(&mut self, key: &'static str, value: &str) {
        self.put(key, TEXT, value, 0.0);
    }
    fn json(&mut self, key: &'static str, value: &str) {
        self.put(key, JSON, value, 0.0);
    }
    fn boolean(&mut self, key: &'static str, value: bool) {
        self.put(key, if value { TRUE } else { FALSE }, "", 0.0);
    }
    fn null(&mut self, key: &'static str) {
        self.put(key, NULL, "", 0.0);
    }
    fn screen(&mut self, key: &'static str, screen: &ScreenRef) {
        match screen {
            ScreenRef::Number(n) => self.number(key, *n),
            ScreenRef::Id(id) => self.text(key, id),
        }
    }
    /// The wire names of an `unknown` event, and the whole message as `raw`.
    fn unknown(&mut self, family: &str, event: &str, raw: &str) {
        self.text("type", family);
        self.text("event", event);
        self.json("raw", raw);
    }
}

/// An accepted event as record fields: `name`, `data` when the event carries it, then its own
/// fields (a missing optional one is left out). JS adds `type`/`event` from the name, and `data`
/// from the posted message for an event that carries none (js/page/embed-handle.js).
trait Describe {
    fn describe(&self, out: &mut Out);
}

impl Describe for PlayerEvent<String> {
    // Called twice in `again` (an implied event, the event): one copy, not two inlined.
    #[inline(never)]
    fn describe(&self, out: &mut Out) {
        out.text("name", self.name());
        match self {
            PlayerEvent::CourseProgress { percent, implied } => {
                out.number("progress", (*percent).into());
                // Only on the progress a completion implies: the player's own carry no flag.
                if *implied {
                    out.boolean("implied", true);
                }
            }
            PlayerEvent::CourseFeedback { data: Some(data) } => out.json("data", data),
            PlayerEvent::Screen { info, data, .. } => {
                if let Some(data) = data {
                    out.json("data", data);
                }
                if let Some(screen) = &info.screen {
                    out.screen("screen", screen);
                }
                if let Some(correct) = info.correct {
                    out.boolean("correct", correct);
                }
                if let Some(score) = info.score {
                    out.number("score", score);
                }
            }
            PlayerEvent::Unknown { family, event, raw } => out.unknown(family, event, raw),
            _ => {}
        }
    }
}

impl Describe for BuilderEvent<String> {
    #[inline(never)]
    fn describe(&self, out: &mut Out) {
        out.text("name", self.name());
        match self {
            BuilderEvent::CourseCreated { course_id, title }
            | BuilderEvent::CourseUpdated { course_id, title } => {
                out.number("courseId", *course_id as f64);
                if let Some(title) = title {
                    out.text("title", title);
                }
            }
            BuilderEvent::SessionError {
                message,
                code,
                data,
            } => {
                if let Some(data) = data {
                    out.json("data", data);
                }
                if let Some(message) = message {
                    out.text("message", message);
                }
                if let Some(code) = code {
                    out.text("code", code);
                }
            }
            BuilderEvent::Unknown { family, event, raw } => out.unknown(family, event, raw),
            _ => {}
        }
    }
}
