//! Browser glue: an RAII listener for one embedded iframe, and the JS API of the npm package.
//!
//! Every `message` event on the page reaches the listener; most are not ours. The path is:
//! source identity (`event.source === iframe.contentWindow`) → exact origin (`===`), in the
//! listener's few lines of JavaScript (`listener.rs`), so a foreign message never crosses into wasm
//! → the message as JSON text (as posted, or `JSON.stringify` of an object envelope) handed to wasm
//! once → [`crate::Protocol`] decode, reading the text in place ([`crate::JsonText`]), and accept →
//! callback. Only an accepted event gets JS objects; a progress that does not advance gets none.
//!
//! Why not gloo-events' `EventListener`: its callback enters wasm for every message on the page, and
//! the trust check then costs four JS↔wasm crossings per foreign message. The RAII design is kept
//! (dropping an [`Embed`] removes the listener and frees the closure); measured in README, Performance.

mod js_api;
mod js_message;
mod listener;
mod origin;

pub use listener::{AttachError, BuilderEmbed, Embed, PlayerEmbed};
pub use origin::resolve_origin;

// The npm package's wasm uses a small free-list allocator (see the `npm-bundle` feature): its few
// allocations are short-lived strings, and dlmalloc would be a fifth of the bundle.
// Without std (see lib.rs), a panic is an abort: a trap, as `panic = "abort"` makes it with std
// too, minus the message formatting nobody can read in a page.
#[cfg(feature = "npm-bundle")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(feature = "npm-bundle")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
