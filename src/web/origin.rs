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

// The rule is these few lines over the browser's own URL parser, the only copy of it: written in
// Rust against web-sys, it cost the wasm and its glue the bindings of eight URL getters.
#[wasm_bindgen(inline_js = r#"
export function trustedOrigin(iframe, explicit, src) {
  const parse = (text) => {
    let url;
    try { url = new URL(text); } catch { throw `"${text}": not an absolute URL`; }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw `"${text}": only http: and https: embeds have an origin to trust`;
    }
    return url;
  };
  if (explicit != null) {
    const url = parse(explicit);
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
      throw `"${explicit}": an origin has no path, query or credentials`;
    }
    return url.origin;
  }
  const from = src ?? iframe.src;
  if (!from) throw ''; // nothing to trust: missing_origin
  return parse(from).origin;
}
"#)]
extern "C" {
    /// The trusted origin; throws the reason it is invalid (`""`: there is none to trust).
    #[wasm_bindgen(catch, js_name = trustedOrigin)]
    fn trusted_origin(
        iframe: &HtmlIFrameElement,
        explicit: Option<&str>,
        src: Option<&str>,
    ) -> Result<String, JsValue>;
}
