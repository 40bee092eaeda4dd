// coassemble-events/webhooks: verify Coassemble webhook deliveries in Node 20+, Deno, Bun and edge
// runtimes. The checks are the crate's Rust `webhook::verify`, compiled to wasm; this file only adapts
// JS inputs (header shapes, body types, defaults) and turns refusals into `WebhookError`s.
import { decodeWebhookBody, initSync, verifyWebhook as verifyInWasm } from '../../pkg/webhooks/coassemble_events_webhooks.js';
import wasmBytes from '../../pkg/webhooks/wasm-bytes.js';

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
  const found = new Map(); // lower-case name → its values joined
  for (const [name, value] of entries) {
    if (value == null || !/^x-coassemble-/i.test(name)) continue;
    const key = String(name).toLowerCase();
    const text = Array.isArray(value) ? value.map(String).join(', ') : String(value);
    found.set(key, found.has(key) ? `${found.get(key)}, ${text}` : text);
  }
  const list = [];
  for (const [name, value] of found) list.push(name, value);
  return list;
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
export function verifyWebhook(options) {
  const { view, bytes } = verifyWebhookView(options);
  const delivery = withBody(view, bytes);
  // The caller has the body already; `raw` is the inbox's (its handlers get the stored text), and
  // `eventId` its key (`event.id` here).
  delete delivery.raw;
  delete delivery.eventId;
  return delivery;
}

/**
 * The verifier's checks and its view (without `json` and `raw`), with `eventId`; with `withEvent`
 * false, `event` is null: what the inbox's intake needs, without building the typed event as JS
 * objects or parsing the whole body in JS.
 * @internal shared with inbox.js
 */
export function verifyWebhookView({
  headers,
  body,
  secrets,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  now = Date.now() / 1000,
} = {}, withEvent = true) {
  const clock = seconds(now, 'now');
  // Year 5138 in seconds: almost certainly Date.now() milliseconds, which would make every delivery stale.
  if (clock > 1e11) throw new TypeError('verifyWebhook: `now` is unix seconds, not milliseconds');
  const bytes = rawBytes(body);
  const args = [headerList(headers), bytes, secretList(secrets), seconds(toleranceSeconds, 'toleranceSeconds'), clock, withEvent];
  try {
    return { view: verifyInWasm(...args), bytes };
  } catch (e) {
    if (e && typeof e.code === 'string' && typeof e.status === 'number') {
      throw new WebhookError(e.code, e.status, e.message);
    }
    throw e;
  }
}

const KNOWN_TYPES = new Set(['course.created', 'course.commenced', 'course.completed']);

/** BigInts as Numbers, in place (the wasm's view is at most 128 levels deep plus two: recursion is safe). */
function numbers(value) {
  if (typeof value === 'bigint') return Number(value);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const key of Object.keys(value)) value[key] = numbers(value[key]);
  }
  return value;
}

// Keeps a BOM as a character, so `raw` is the body's text exactly (and JSON.parse refuses it, as the
// verifier does).
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The wasm's view (id, type, timestamp, test, event, notJson) with the whole body added:
 * `raw`, its exact text, and `json`, `JSON.parse(raw)` (null when it is not JSON). verifyWebhook
 * returns it without `raw`. The body is parsed
 * here, not in wasm: V8's JSON.parse takes any depth a 1 MiB body can hold, and a number beyond 2^53
 * becomes the nearest JS number as in any JSON.parse, instead of failing a conversion (issue 16).
 * @internal shared with inbox.js
 */
export function withBody(view, bytes) {
  // 64-bit integers come out of the wasm as BigInts (src/webhook/js.rs; serde-wasm-bindgen has no
  // "BigInt only when unsafe" mode): Numbers here, the nearest one beyond 2^53, as JSON.parse gives it
  // (the exact digits are in the body).
  numbers(view);
  view.raw = utf8.decode(bytes);
  view.json = null;
  if (view.notJson == null) {
    try {
      view.json = JSON.parse(view.raw);
      // An event type this version does not know: its record is the body as received, every number
      // as JSON.parse reads it (the wasm's view leaves fractions out: src/webhook/lenient_json.rs).
      if (!KNOWN_TYPES.has(view.type) && view.event != null) view.event = view.json;
    } catch (error) {
      // The verifier accepts only valid JSON, which JSON.parse reads too; kept for safety.
      view.notJson = `JSON.parse: ${error.message}`;
      view.event = null;
    }
  }
  return view;
}

/**
 * A stored delivery as the inbox's handlers get it (see inbox.d.ts): the row's keys, the body (`raw`,
 * `json`), and the verifier's typed `event`, which the wasm decodes from the stored bytes when a
 * handler first reads it (then kept). Built eagerly for every run it was about a third of a worker's
 * CPU per delivery (issue 16), and a handler that reads only `type`, `id` or `json` never needs it.
 * Throws when the body is not JSON (a re-driven delivery that no handler can run).
 * @internal shared with inbox.js
 */
export function storedDelivery({ id, type, signedAt, test, identity }, bytes) {
  const delivery = withBody({ id, type, timestamp: signedAt, test, event: null, notJson: null, identity }, bytes);
  if (delivery.notJson != null) throw new Error(`body is not JSON: ${delivery.notJson}`);
  let decoded;
  const decode = () => (decoded ??= numbers(decodeWebhookBody(id, type, signedAt, bytes)));
  // An unknown type's event is the body as received (as withBody makes it for verifyWebhook).
  lazy(delivery, 'event', () => (KNOWN_TYPES.has(type) ? decode().event : delivery.json));
  // A row stored before the identity column existed has none: the crate's rule, from the body.
  if (identity == null) lazy(delivery, 'identity', () => decode().identity ?? null);
  return delivery;
}

/** `object[key]` computed on first read, then a plain property (assignable, as any other). */
function lazy(object, key, compute) {
  const define = (value) => Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  Object.defineProperty(object, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      define(value);
      return value;
    },
    set: define,
  });
}
