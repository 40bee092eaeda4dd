//! Which origin an embed is trusted from: exactly one `http(s)://host[:port]`, never `*` or `null`.

use super::listener::AttachError;
use alloc::string::String;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::HtmlIFrameElement;

/// The origin to trust for `iframe`: `explicit` when given (validated), else the origin of `src`
/// (the URL about to be loaded), else the origin of the iframe's current `src`.
///
/// An explicit origin may carry a trailing `/` (`https://acme.coassemble.com/`); a path, query,
/// credentials or a non-http(s) scheme is an [`AttachError::InvalidOrigin`].
pub fn resolve_origin(
    iframe: &HtmlIFrameElement,
    explicit: Option<&str>,
    src: Option<&str>,
) -> Result<String, AttachError> {
    trusted_origin(iframe, explicit, src).map_err(|why| match why.as_string() {
        Some(why) if !why.is_empty() => AttachError::InvalidOrigin(why),
        _ => AttachError::MissingOrigin,
    })
}

// The rule is in js/page/origin.js, the one copy of it (the npm package calls it too).
#[wasm_bindgen(module = "/js/page/origin.js")]
extern "C" {
    /// The trusted origin; throws the reason it is invalid (`""`: there is none to trust).
    #[wasm_bindgen(catch, js_name = trustedOrigin)]
    fn trusted_origin(
        iframe: &HtmlIFrameElement,
        explicit: Option<&str>,
        src: Option<&str>,
    ) -> Result<String, JsValue>;
}
