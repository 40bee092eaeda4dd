// Which origin an embed is trusted from: exactly one `http(s)://host[:port]`, never `*` or `null`.
// The rule is these few lines over the browser's own URL parser, the one copy of it: the npm package
// (js/page/embed-handle.js) and the Rust API (src/web/origin.rs, through wasm-bindgen) both call it.

/**
 * The origin to trust for `iframe`: `explicit` when given (validated; a trailing `/` is fine, a path,
 * query or credentials are not), else the origin of `src` (the URL about to be loaded), else of the
 * iframe's current `src`. Throws the reason (a string) it is invalid; `''` when there is none to trust.
 */
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
