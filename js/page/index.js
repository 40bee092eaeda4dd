// coassemble-events: typed, secure events from embedded Coassemble course players and builders.
// The public API: attach to an existing <iframe>, or embed a signed URL into a container.
import { Embed } from './embed.js';
import { CoassembleError } from './errors.js';

export { DEFAULT_READY_TIMEOUT_MS } from './embed.js';
export { MAX_TIMER_MS } from './timers.js';
export { CoassembleError, TimeoutError, DestroyedError } from './errors.js';

// Importing does not touch the DOM (nor the wasm, instantiated by the first attach), so server-side
// rendering can import the package.
async function load() {
  if (typeof document === 'undefined') {
    throw new CoassembleError('no_dom', 'coassemble-events needs a browser page (window): attach in the client, not during server-side rendering');
  }
}

async function attach(kind, iframe, options) {
  await load();
  return new Embed(kind, iframe, options);
}

// Coassemble recommends `fullscreen; autoplay; presentation; clipboard-write`; `presentation` is not a
// permissions-policy feature that browsers know (Chromium warns "Unrecognized feature" on every embed).
const DEFAULT_ALLOW = ['fullscreen', 'autoplay', 'clipboard-write'];

// Where the browser lists the features it knows (Chromium), keep only those: no console warning.
function defaultAllow(doc) {
  const known = doc.featurePolicy?.features?.();
  return DEFAULT_ALLOW.filter((feature) => !known || known.includes(feature)).join('; ');
}

async function embed(kind, container, signedUrl, options = {}) {
  await load();
  if (!container || typeof container.appendChild !== 'function') {
    throw new CoassembleError('invalid_container', 'the container must be a DOM element to put the iframe in');
  }
  if (typeof signedUrl !== 'string' || signedUrl === '') {
    throw new CoassembleError('missing_url', 'pass the signed embed URL minted by your server');
  }
  const { iframe: attrs = {}, ...attachOptions } = options;
  const iframe = container.ownerDocument.createElement('iframe');
  iframe.setAttribute('allow', defaultAllow(container.ownerDocument));
  iframe.setAttribute('title', `Coassemble course${kind === 'builder' ? ' builder' : ''}`);
  iframe.style.border = '0';
  iframe.style.width = '100%';
  iframe.style.height = '100%';
  // Boolean attributes (`allowfullscreen`) are on when present at all: `true` sets an empty one,
  // `false`, `null` and `undefined` set none.
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) iframe.setAttribute(name, '');
    else if (value !== false && value != null) iframe.setAttribute(name, String(value));
  }
  // The listener is live before the iframe exists, so not even the first session:ready is missed.
  const created = new Embed(kind, iframe, attachOptions, signedUrl, true);
  iframe.src = signedUrl;
  container.appendChild(iframe);
  return created;
}

/**
 * Listens to an existing course player `<iframe>`. Attach before the iframe loads (or use
 * `embedCourse`) so that `session:ready` is not sent before anyone listens.
 * @param {HTMLIFrameElement} iframe
 * @param {import('./index.js').AttachOptions} [options] `origin` defaults to the origin of `iframe.src`
 * @returns {Promise<Embed>}
 */
export function attachCourse(iframe, options) {
  return attach('course', iframe, options);
}

/**
 * Listens to an existing course builder `<iframe>`.
 * @param {HTMLIFrameElement} iframe
 * @param {import('./index.js').AttachOptions} [options]
 * @returns {Promise<Embed>}
 */
export function attachBuilder(iframe, options) {
  return attach('builder', iframe, options);
}

/**
 * Creates a course player iframe for `signedUrl` inside `container`, after the listener is live.
 * `options.iframe` holds the iframe's attributes (`{ iframe: { title: 'Onboarding', loading: 'lazy' } }`;
 * an `allow` given there replaces the default); any other option AttachOptions lacks is `invalid_option`. The embed owns the iframe: `destroy()` removes it.
 * @param {Element} container
 * @param {string} signedUrl the signed embed URL minted by your server
 * @param {import('./index.js').EmbedOptions} [options]
 * @returns {Promise<Embed>}
 */
export function embedCourse(container, signedUrl, options) {
  return embed('course', container, signedUrl, options);
}

/**
 * Creates a course builder iframe for `signedUrl` inside `container`, after the listener is live.
 * The embed owns the iframe: `destroy()` removes it.
 * @param {Element} container
 * @param {string} signedUrl
 * @param {import('./index.js').EmbedOptions} [options]
 * @returns {Promise<Embed>}
 */
export function embedBuilder(container, signedUrl, options) {
  return embed('builder', container, signedUrl, options);
}
