//! Typed, secure events from embedded Coassemble course players and course builders.
//!
//! Embedded Coassemble iframes talk to their host page with `postMessage`; hand-written listeners get
//! the origin check, the JSON handling and the progress rules wrong. This crate decodes those messages
//! into typed enums ([`PlayerEvent`], [`BuilderEvent`]), keeps progress monotonic ([`CourseState`]), and,
//! on `wasm32` with the `browser` feature, attaches an RAII listener to an iframe (`web::Embed`, in the wasm32 docs only)
//! that only accepts messages from that iframe's window and exact origin. With the `webhook` feature it
//! verifies and deduplicates Coassemble webhook deliveries on the server ([`webhook`]).
//!
//! The protocol logic ([`decode`], [`progress`]) is plain Rust with no browser types: it reads messages
//! through the small [`Message`] trait, implemented for `serde_json::Value` (feature `json`), for JSON
//! text read in place ([`JsonText`], what the browser listener decodes) and for `JsValue`.
#![deny(missing_docs, missing_debug_implementations)]
// `deny`, not `forbid`: the npm build's C ABI (src/abi.rs) allows it, for its exports alone.
#![deny(unsafe_code)]
// The npm package's in-page wasm is built without std: its panics then need no formatting machinery
// (`core::fmt`, about a fifth of that wasm), and everything it uses is in `core` and `alloc`. The
// in-page modules (decode, json_text, message, progress, state, web) are written against those.
#![cfg_attr(feature = "npm-bundle", no_std)]

#[cfg(all(feature = "npm-bundle", any(feature = "webhook", feature = "browser")))]
compile_error!("`npm-bundle` is the in-page wasm alone (no_std, its own ABI); build `webhook` and `browser` separately");

extern crate alloc;

pub mod decode;
pub mod json_text;
pub mod message;
pub mod progress;
pub mod state;

#[cfg(feature = "json")]
pub use decode::parse_message;

#[cfg(all(feature = "browser", target_arch = "wasm32"))]
pub mod web;

#[cfg(all(feature = "npm-bundle", target_arch = "wasm32"))]
mod abi;
// The layout of the ABI's answer; compiled for tests too, which compare it with the JS reader's.
#[cfg(any(test, all(feature = "npm-bundle", target_arch = "wasm32")))]
#[cfg_attr(test, allow(dead_code))]
mod record;

#[cfg(feature = "webhook")]
pub mod webhook;

pub use decode::{decode_builder, decode_player, BuilderEvent, PlayerEvent, Reject};
pub use decode::{Malformed, ScreenAction, ScreenInfo, ScreenRef};
pub use json_text::{JsonTape, JsonText};
pub use message::{Field, Message, Pick};
pub use progress::{ProgressRule, ProgressUpdate};
pub use state::{Builder, BuilderState, CourseState, Player, Protocol};

// The docs' Rust examples (the Rust guide of the docs site) run as doctests, so they cannot drift
// from the API.
#[cfg(all(doctest, feature = "webhook"))]
#[doc = include_str!("../docs/guide/rust.md")]
struct RustGuideDoctests;
