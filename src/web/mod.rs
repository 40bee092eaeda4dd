//! Browser glue for Rust/Wasm apps: an RAII listener for one embedded iframe (wasm-bindgen). The npm
//! package runs the same listener (`js/page/listen.js`) and rules over its own narrow ABI (`src/abi.rs`).
//!
//! Every `message` event on the page reaches the listener; most are not ours. The path is:
//! source identity (`event.source === iframe.contentWindow`) → exact origin (`===`), in the
//! listener's few lines of JavaScript (`js/page/listen.js`), so a foreign message never crosses into wasm
//! → the message as JSON text (as posted, or `JSON.stringify` of an object envelope) handed to wasm
//! once → [`crate::Protocol`] decode, reading the text in place ([`crate::JsonText`]), and accept →
//! callback. Only an accepted event gets JS objects; a progress that does not advance gets none.
//!
//! Why not gloo-events' `EventListener`: its callback enters wasm for every message on the page, and
//! the trust check then costs four JS↔wasm crossings per foreign message. The RAII design is kept
//! (dropping an [`Embed`] removes the listener and frees the closure); measured in CONTRIBUTING.md, Speed.

mod js_message;
mod listener;
mod origin;

pub use listener::{AttachError, BuilderEmbed, Embed, PlayerEmbed};
pub use origin::resolve_origin;
