//! Browser glue: an RAII listener for one embedded iframe, and the JS API of the npm package.
//!
//! Every `message` event on the page reaches the listener; most are not ours. The path is:
//! source identity (`event.source === iframe.contentWindow`, no allocation) → exact origin →
//! parse (JSON strings only when they look like an object) → [`crate::Protocol`] decode and accept →
//! callback.

mod js_api;
mod js_message;
mod listener;
mod origin;

pub use listener::{AttachError, BuilderEmbed, Embed, PlayerEmbed};
pub use origin::resolve_origin;
