// coassemble-events/webhooks: verify Coassemble webhook deliveries in Node 20+, Deno, Bun and edge
// runtimes. The checks are the crate's Rust `webhook::verify`, compiled to wasm; this file only adapts
// JS inputs (header shapes, body types, defaults) and turns refusals into `WebhookError`s.
import { initSync, verifyWebhook as verifyInWasm } from '../pkg/webhooks/coassemble_events_webhooks.js';
import wasmBytes from '../pkg/webhooks/wasm-bytes.js';

// The wasm is inlined (no fetch, no fs) and small, so it is compiled once, synchronously, at import.
initSync({ module: wasmBytes });

/** The usual replay window, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A refused delivery: `code` is stable, `status` is the HTTP status to answer with. */
export class WebhookError extends Error {
  constructor(code, status, message) {
    super(message ?? code);
    this.name = 'WebhookError';
    this.code = code;
    this.status = status;
  }
}

const encoder = new TextEncoder();

function rawBytes(body) {
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body; // Node's Buffer too
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(
    'verifyWebhook: `body` must be the raw request body (Buffer, Uint8Array, ArrayBuffer or string), ' +
      'not parsed JSON: the signature covers the exact bytes',
  );
}

// Flattens a plain object (any case; Node's IncomingMessage.headers), a Fetch `Headers`, a `Map` or
// pairs into [name, value, ...] of the X-Coassemble-* headers. Every value reaches the verifier as
// sent: a header repeated in an array (Node's `headersDistinct`, hand-built objects) or in several
// pairs is joined with ", ", as HTTP combines repeated fields and as Node and Fetch `Headers` already
// do; the verifier accepts a signature header when any one of its signatures matches. An empty value
// stays empty: the verifier refuses it as `missing_header`.
function headerList(headers) {
  if (headers == null || typeof headers !== 'object') {
    throw new TypeError('verifyWebhook: `headers` must be an object, a Headers or a Map');
  }
  const entries = typeof headers[Symbol.iterator] === 'function' ? headers : Object.entries(headers);
  const found = new Map();
  for (const [name, value] of entries) {
    if (value == null || !/^x-coassemble-/i.test(name)) continue;
    const key = String(name).toLowerCase();
    if (!found.has(key)) found.set(key, []);
    found.get(key).push(...(Array.isArray(value) ? value : [value]).map(String));
  }
  return [...found].flatMap(([name, values]) => [name, values.join(', ')]);
}

function secretList(secrets) {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s !== '')) {
    throw new TypeError('verifyWebhook: `secrets` must be a non-empty array of non-empty strings');
  }
  return list;
}

function seconds(value, name) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`verifyWebhook: \`${name}\` must be a non-negative number of seconds`);
  }
  return Math.floor(value);
}

/**
 * Verifies a webhook delivery: headers, timestamp window, HMAC-SHA256 signature over the raw body (any of
 * `secrets`, constant-time), then a lenient JSON view. Returns `{ id, type, timestamp, test, event, json,
 * notJson }`; throws a `WebhookError` (`code`, `status`) when the delivery must be refused (never for
 * the content of a signed body). See webhooks.d.ts.
 */
export function verifyWebhook({
  headers,
  body,
  secrets,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  now = Date.now() / 1000,
} = {}) {
  const clock = seconds(now, 'now');
  // Year 5138 in seconds: almost certainly Date.now() milliseconds, which would make every delivery stale.
  if (clock > 1e11) throw new TypeError('verifyWebhook: `now` is unix seconds, not milliseconds');
  const args = [headerList(headers), rawBytes(body), secretList(secrets), seconds(toleranceSeconds, 'toleranceSeconds'), clock];
  try {
    return verifyInWasm(...args);
  } catch (e) {
    if (e && typeof e.code === 'string' && typeof e.status === 'number') {
      throw new WebhookError(e.code, e.status, e.message);
    }
    throw e;
  }
}
