//! Browser glue: an RAII listener for one embedded iframe, and the JS API of the npm package.
//!
//! Every `message` event on the page reaches the listener; most are not ours. The path is:
//! source identity (`event.source === iframe.contentWindow`) → exact origin (`===` on JS strings) →
//! `JSON.parse` of string data → [`crate::Protocol`] decode and accept → callback. Nothing is copied
//! into wasm memory before the decoder reads the envelope's `type` and `event`.

mod js_api;
mod js_message;
mod listener;
mod origin;

pub use listener::{AttachError, BuilderEmbed, Embed, PlayerEmbed};
pub use origin::resolve_origin;

// The npm package's wasm uses a small free-list allocator (see the `npm-bundle` feature): its few
// allocations are short-lived strings, and dlmalloc would be a fifth of the bundle.
#[cfg(feature = "npm-bundle")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
