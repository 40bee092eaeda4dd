/**
 * Verify Coassemble webhook deliveries: `X-Coassemble-*` headers, a timestamp window against replays,
 * the HMAC-SHA256 signature over the raw body (constant-time, several secrets for rotation), then the
 * typed JSON body. Synchronous; works in Node 20+, Deno, Bun and edge runtimes (the wasm is inlined).
 *
 * @example
 * ```js
 * import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';
 *
 * try {
 *   const delivery = verifyWebhook({ headers: req.headers, body: rawBody, secrets: [process.env.SECRET] });
 *   if (delivery.type === 'course.completed') console.log(delivery.event.tracking.email);
 * } catch (e) {
 *   if (e instanceof WebhookError) { res.writeHead(e.status).end(e.code); } else throw e;
 * }
 * ```
 * @packageDocumentation
 */

/** The usual replay window: 300 seconds. */
export declare const DEFAULT_TOLERANCE_SECONDS: 300;

/** Stable reasons for refusing a delivery, in the order they are checked. */
export type WebhookErrorCode =
  /** A required `X-Coassemble-*` header is absent (400). */
  | 'missing_header'
  /** `X-Coassemble-Timestamp` is not unix seconds (400). */
  | 'bad_timestamp'
  /** The timestamp is outside the tolerance window, in the past or future: a replay (401). */
  | 'stale_timestamp'
  /** No `sha256=<hex>` in the signature header (several may be listed) matches any secret (401). */
  | 'bad_signature';

/** Thrown by {@link verifyWebhook} when a delivery must be refused. */
export declare class WebhookError extends Error {
  readonly name: 'WebhookError';
  /** Stable code to switch on. */
  readonly code: WebhookErrorCode;
  /** HTTP status to answer with: 400 (malformed) or 401 (not authentic or stale). */
  readonly status: 400 | 401;
  constructor(code: WebhookErrorCode, status: number, message?: string);
}

/**
 * Request headers in any common shape: a plain object with names in any case (Node's
 * `IncomingMessage.headers`, Express `req.headers`), a Fetch `Headers`, a `Map`, or `[name, value]` pairs.
 */
export type WebhookHeaders =
  | Record<string, string | string[] | undefined>
  | Headers
  | Map<string, string>
  | Iterable<readonly [string, string]>;

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** The request headers. */
  headers: WebhookHeaders;
  /**
   * The raw request body, exactly as received: read it before any JSON body parser
   * (Express: `express.raw({ type: 'application/json' })`). A string is encoded as UTF-8.
   */
  body: Uint8Array | ArrayBuffer | ArrayBufferView | string;
  /** Every currently valid signing secret (two during a rotation). A single string is accepted too. */
  secrets: readonly string[] | string;
  /** Maximum distance between the delivery's timestamp and `now`. Default 300. */
  toleranceSeconds?: number;
  /** The verifier's clock, unix **seconds** (milliseconds are refused with a TypeError). Default `Date.now() / 1000`. */
  now?: number;
}

/**
 * A course as webhooks describe it. Every typed field is lenient: `null` when the body lacks it or
 * holds another type or format than documented; the value as sent is in {@link DeliveryBase.json}.
 */
export interface Course {
  id: number | null;
  title: string | null;
  key: string | null;
  /** The host's own identifier for the course, if it set one. */
  clientIdentifier: string | null;
}

/** A learner's tracking record on one course (lenient, like {@link Course}). */
export interface Tracking {
  id: number | null;
  /** The host's identifier for the learner. */
  identifier: string | null;
  /** `null` when Coassemble does not know the learner's email. */
  email: string | null;
  /** RFC 3339 date-time (validated) of the first start. */
  commenced: string | null;
  /** RFC 3339 date-time (validated) of the first completion; `null` until then. */
  completed: string | null;
  /** Time spent in the course, whole seconds (`null` for anything else, e.g. `12.5`). */
  totalTime: number | null;
  /**
   * Progress, whole percent 0..100, from `progress_percent` / `progressPercent` (whole number or numeric
   * string) when the body carries it; usually `null` on `course.completed` (which implies 100).
   */
  progressPercent: number | null;
}

/** Body of `course.created`, flattened (no `data` wrapper). */
export interface CourseCreatedEvent {
  /** The event id from the signed body (`evt_...`). */
  id: string | null;
  /** RFC 3339 date-time (validated). */
  occurredAt: string | null;
  workspaceId: number | null;
  course: Course;
}

/** Body of `course.commenced` and `course.completed`, flattened (no `data` wrapper). */
export interface LearnerProgressEvent extends CourseCreatedEvent {
  tracking: Tracking;
}

/** Fields of every delivery. */
export interface DeliveryBase {
  /** The delivery id (`X-Coassemble-Delivery`), identical on every retry: deduplicate on it. */
  id: string;
  /** When Coassemble signed the delivery, unix seconds. */
  timestamp: number;
  /** A test delivery sent from the dashboard (`"test": true` in the signed body only). */
  test: boolean;
  /**
   * The whole body as `JSON.parse(raw)`, every field as sent; `null` when the body is not JSON.
   * As with any `JSON.parse`, an integer beyond 2^53 (`"workspaceId": 12345678901234567890`) is the
   * nearest JS number here, and `1e400` is `Infinity`: read such a value exactly from the raw body
   * (e.g. with a JSON parser that keeps big integers). Any depth V8 parses is accepted.
   */
  json: unknown;
  /** Why the body is not JSON (an inbox stores such a delivery dead); `null` when it is. */
  notJson: string | null;
  /**
   * What the event is about, once per learner per course: `"<type>:<course id>:<learner>"`, e.g.
   * `"course.completed:981:learner-77"`, for `course.commenced` / `course.completed`; `null` for
   * other events, test deliveries, and when the course id or the learner is missing. Computed by the
   * crate's one rule (`WebhookEvent::identity`); the inbox deduplicates on it.
   */
  identity: string | null;
}

/**
 * The event types this version knows, each with its typed `event`: a union discriminated on `type`.
 * The one definition behind {@link WebhookDelivery} and the inbox's `InboxDelivery`
 * (`coassemble-events/inbox`), so both narrow alike.
 */
export type KnownWebhookEvent =
  | { type: 'course.created'; event: CourseCreatedEvent }
  | { type: 'course.commenced' | 'course.completed'; event: LearnerProgressEvent };

/**
 * An event type this version does not know (a newer Coassemble event): not refused, it arrives with
 * its own `type` and `event` as the JSON received. Left out of the unions that `type` narrows (a
 * `type: string` member would stop `type === 'course.completed'` from narrowing `event`): read it in a
 * `default:` branch as {@link UnknownWebhookDelivery} (or the inbox's `UnknownInboxDelivery`).
 */
export interface OtherWebhookEvent {
  type: string;
  event: Record<string, unknown>;
}

/**
 * A verified delivery. `type` comes from the signed body (else the `X-Coassemble-Event` header) and
 * narrows `event`: `switch (delivery.type) { case 'course.completed': delivery.event.tracking.email }`.
 * An event type this version does not know: {@link UnknownWebhookDelivery}.
 */
export type WebhookDelivery = DeliveryBase & KnownWebhookEvent;

/** A delivery of an event type this version does not know: `event` is the body as received. */
export interface UnknownWebhookDelivery extends DeliveryBase, Omit<OtherWebhookEvent, 'event'> {
  /** `null` when the body is not JSON (see {@link DeliveryBase.notJson}). */
  event: OtherWebhookEvent['event'] | null;
}

/**
 * Verifies one delivery; checks run in this order: headers present (400), timestamp is a number (400),
 * timestamp within `toleranceSeconds` of `now` (401), signature matches one secret (401). The body is
 * never refused after that: a body that is not JSON arrives with `notJson` set.
 * Duplicates are not detected here: deduplicate on `delivery.id` and answer 200 to a duplicate.
 *
 * @throws {@link WebhookError} when the delivery must be refused (answer `error.status`).
 * @throws TypeError when an option has the wrong type (a programming error, not a bad delivery).
 */
export declare function verifyWebhook(options: VerifyWebhookOptions): WebhookDelivery;
