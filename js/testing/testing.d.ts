// coassemble-events/testing: stand-ins for Coassemble in your own end-to-end tests (Node 20+): the
// player and builder pages, signed webhooks, and a whole local platform (startPlatform).

/** An envelope the emulator posts: `'type:event'` (no data) or a full `{ type, event?, data? }`. */
export type EmulatedMessage = string | { type: string; event?: string; data?: unknown; [key: string]: unknown };

/** What an emulator page does once it loads in the page under test. */
export interface EmulatorOptions {
  /** The origin of the page that embeds the emulator (it posts only there). Required. */
  parent: string;
  /** `'string'` (JSON text, the classic form; default) or `'object'` (a structured envelope). */
  envelope?: 'string' | 'object';
  /** Messages posted in order right after `session:ready`, e.g. `['course:start', { type: 'course', event: 'progress', data: { progress: 50 } }]`. */
  events?: EmulatedMessage[];
  /** `false`: withhold `session:ready` (to test ready timeouts). Default true. */
  ready?: boolean;
}

/** Running emulators. */
export interface Emulators {
  /** Their origin, e.g. `http://127.0.0.1:41234`: pass it as the embed's `origin` (or let the SDK derive it). */
  readonly origin: string;
  /** URL of the course player emulator, to embed where a signed Coassemble URL would go. */
  playerUrl(options: EmulatorOptions): string;
  /** URL of the course builder emulator. */
  builderUrl(options: EmulatorOptions): string;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the player and builder emulators on their own origin. The pages speak the real wire format
 * and obey commands the host page posts to them:
 * `iframe.contentWindow.postMessage({ coassembleEmulator: 'next' }, emulators.origin)`.
 * Commands: `send` (`{ messages }`), `envelope` (`{ envelope }`), `expire`, `noise`, `malformed`;
 * player: `next`, `back`, `answer` (`{ option }`), `retry`; builder: `title` (`{ title }`), `create`,
 * `back`, `error`. Each page records what it posted in `window.__sent`.
 */
export function startEmulators(options?: { port?: number; host?: string }): Promise<Emulators>;

/** A signed delivery: send it with `fetch(url, { method: 'POST', headers, body })`. */
export interface SignedWebhook {
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs a webhook delivery as Coassemble does (HMAC-SHA256 over `<timestamp>.<body>`, by the same
 * Rust code that verifies). `body`: a string sent as is, or a value sent as its JSON.
 * Defaults: `timestamp` now (unix seconds), `deliveryId` a random UUID, `event` the body's `type`.
 */
export function signWebhook(options: {
  secret: string;
  body: string | object;
  timestamp?: number;
  deliveryId?: string;
  event?: string;
}): SignedWebhook;

/** One of the eight test deliveries, with the answer a correct receiver gives (`'401 bad_signature'`; a bare `'200'` accepts any word). */
export interface TestWebhookCase extends SignedWebhook {
  name: string;
  expected: string;
}

/** The eight cases `npx coassemble-events send-test-webhooks` sends, signed with `secret`. */
export function testWebhookCases(secret: string): TestWebhookCase[];

/** Sends the eight cases to `url`; resolves to what each got. */
export function sendTestWebhooks(
  url: string,
  options: { secret: string; log?: (line: string) => void },
): Promise<{ name: string; expected: string; outcome: string; ok: boolean }[]>;

/** A course of the emulated workspace. */
export interface PlatformCourse {
  id: number | string;
  title: string;
  key: string;
  clientIdentifier: string | null;
  [field: string]: unknown;
}

/** Options of {@link startPlatform}. Unknown options are a `TypeError`. */
export interface PlatformOptions {
  /** The key `Authorization` must carry. Default `COASSEMBLE:<workspaceId>:<64 random hex>`. */
  apiKey?: string;
  /** In the key and in every webhook body. Default 4321. */
  workspaceId?: number;
  /** The workspace's courses. Default 4101 "Workplace Safety Essentials" and 4102 "Customer Conversations 101" (the builder emulator's). */
  courses?: Array<{ id: number | string; title?: string; key?: string; clientIdentifier?: string | null }>;
  /**
   * How much faster than real time the delivery schedule runs. Default 1 (Coassemble's: attempts at
   * the event, then 1, 5 and 30 minutes after the previous one). 600: the waits are 100 ms, 500 ms and
   * 3 s, the whole window 3.6 s. The attempt timeout is `webhookTimeoutMs / timeScale`, but never under
   * 1 s of real time (or under `webhookTimeoutMs` itself when that is shorter): see {@link Platform.timeoutMs}.
   * Signed URLs stay valid 3 real hours whatever the scale.
   */
  timeScale?: number;
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Each attempt's timeout before scaling, ms. Default 10 000 (Coassemble's 10 s). */
  webhookTimeoutMs?: number;
  /**
   * The waits between attempts before scaling, ms; attempts are one more than waits. Default
   * `[60000, 300000, 1800000]`: 4 attempts. Each wait starts when the previous attempt ended.
   */
  schedule?: readonly number[];
  /** Called after every attempt, with its row of {@link Platform.deliveries} (the CLI logs them). */
  onAttempt?: (attempt: AttemptRecord) => void;
}

/** The events an endpoint can subscribe to. */
export type WebhookEventType = 'course.created' | 'course.commenced' | 'course.completed';

/** One learner's tracking of one course, as `GET /api/v1/headless/trackings` answers it. */
export interface PlatformTracking {
  id: number;
  courseId: number | string;
  identifier: string;
  clientIdentifier: string | null;
  email: string | null;
  /** ISO 8601 with milliseconds: the learner's first activity. */
  commenced: string;
  /** ISO 8601, set once, or null. */
  completed: string | null;
  /** 0–100, only rises; 100 once completed. */
  progressPercent: number;
  score: null;
  passed: null;
  /** Seconds from commenced to completed (0 until completed). */
  totalTime: number;
}

/** A registered webhook endpoint. `secret` is in what `addEndpoint` and `POST /webhooks` return only. */
export interface PlatformEndpoint {
  id: number;
  url: string;
  events: WebhookEventType[];
  enabled: boolean;
  secret?: string;
  createdAt: string;
}

/**
 * What became of a delivery: `scheduled` (an attempt is due or under way), `delivered` (an attempt got
 * a 2xx), `lost` (every attempt failed: lost for good, as on Coassemble; the trackings still have it),
 * `cancelled` (its endpoint was deleted, or the platform closed, first).
 */
export type DeliveryState = 'scheduled' | 'delivered' | 'lost' | 'cancelled';

/** One POST of a delivery. */
export interface DeliveryAttempt {
  /** 1 to 4 (with the default schedule). */
  attempt: number;
  /** When it started, ISO 8601. */
  at: string;
  durationMs: number;
  /** The receiver's HTTP status, or null when none came. */
  status: number | null;
  /** Why no status came: `ECONNREFUSED`, `no answer within 1000 ms`, ...; null when one came. */
  error: string | null;
}

/** An attempt with its delivery: a row of {@link Platform.deliveries}. */
export interface AttemptRecord extends DeliveryAttempt {
  /** The `X-Coassemble-Delivery` id, the same on every attempt of a delivery. */
  deliveryId: string;
  event: WebhookEventType;
  endpointId: number;
  url: string;
  /** The delivery's state right after this attempt: `lost` on the last failed one. */
  state: DeliveryState;
}

/** One webhook delivery: one event to one endpoint, with the same id on every attempt. */
export interface Delivery {
  /** The `X-Coassemble-Delivery` id (a UUID). */
  id: string;
  event: WebhookEventType;
  endpointId: number;
  url: string;
  /** The JSON body, the same bytes on every attempt (each attempt is signed afresh, at its own time). */
  body: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
}

/** A running platform emulator. */
export interface Platform {
  /** The Headless API: `createCoassembleApi({ apiKey: platform.apiKey, baseUrl: platform.baseUrl })`. */
  readonly baseUrl: string;
  /**
   * Where the minted player and builder pages are served: the embed's trusted origin. The same server as
   * `baseUrl`. It also answers `GET /mint?kind=player|builder&course=<id>&learner=<id>` with a signed URL,
   * without the key and readable from any origin (CORS `*`): a page under development fetches its URLs
   * there (`npx coassemble-events emulate` prints it).
   */
  readonly origin: string;
  readonly apiKey: string;
  readonly workspaceId: number;
  /** The workspace's courses, with those created in minted builder pages. */
  readonly courses: readonly PlatformCourse[];
  /** Each attempt's real timeout, ms: `max(webhookTimeoutMs / timeScale, min(webhookTimeoutMs, 1000))`. */
  readonly timeoutMs: number;
  /**
   * A learner's activity, as the player reports it: the first makes the tracking (`commenced`, and a
   * `course.commenced` webhook), `progress` values only raise `progressPercent`, `complete: true` sets
   * `completed` once (and a `course.completed` webhook). Throws a `TypeError` for an unknown course.
   * Returns the tracking after it.
   */
  learn(activity: {
    courseId: number | string;
    identifier: string;
    clientIdentifier?: string | null;
    email?: string | null;
    progress?: number | number[];
    complete?: boolean;
  }): PlatformTracking;
  /** A signed player (`view`, default) or builder (`edit`) URL, as `POST /api/v1/headless/embed/course` answers. */
  mint(request: { action?: 'view' | 'edit'; courseId?: number | string; identifier: string; clientIdentifier?: string }): string;
  /**
   * Registers an endpoint without the API (events default: all three). `secret`: your receiver's own,
   * which the API cannot do (it makes one up); default a random `whsec_…`.
   */
  addEndpoint(endpoint: { url: string; events?: WebhookEventType[]; enabled?: boolean; secret?: string }): PlatformEndpoint & { secret: string };
  /** The trackings (of one course), oldest first: copies. */
  trackings(query?: { courseId?: number | string }): PlatformTracking[];
  /** Every attempt so far, oldest first (copies): a receiver's "lost for good" is 4 rows of its delivery id, none a 2xx, the last `state: 'lost'`. */
  readonly deliveries: AttemptRecord[];
  /** Every delivery, oldest first, with its state and attempts (copies). */
  outcomes(): Delivery[];
  /** The next `count` API requests answer `status` (default 503), with `Retry-After: <retryAfter>` seconds when given. */
  failNext(count?: number, status?: number, options?: { retryAfter?: number }): void;
  /** Resolves once no attempt is scheduled or under way (at once when none is). */
  settled(): Promise<void>;
  /** Cancels what is scheduled, aborts attempts under way, stops the server. */
  close(): Promise<void>;
}

/**
 * Starts a local Coassemble: the Headless API at `baseUrl` (minting URLs of the emulator pages,
 * trackings, courses, webhook endpoints; `Authorization` checked, 401 otherwise), learners
 * (`learn()`, or the player page a minted URL opens: it reports its `course` events back), authors (a
 * course created in a minted builder page is added to `courses`, with `course.created`) and signed
 * webhooks to every enabled, subscribed endpoint on Coassemble's schedule: 4 attempts, 10 s timeout
 * each, the same delivery id, success only on a 2xx, nothing after the 4th.
 *
 * ```js
 * import { startPlatform } from 'coassemble-events/testing';
 * import { createCoassembleApi } from 'coassemble-events/api';
 *
 * const platform = await startPlatform({ timeScale: 600 });   // the 36-minute window in 3.6 s
 * const api = createCoassembleApi({ apiKey: platform.apiKey, baseUrl: platform.baseUrl });
 * const { secret } = await api.webhooks.create({ url: 'http://127.0.0.1:3000/webhooks', events: ['course.completed'] });
 * platform.learn({ courseId: 4101, identifier: 'learner-1', progress: [50], complete: true });
 * await platform.settled();
 * platform.deliveries;     // every attempt: [{ deliveryId, event, attempt: 1, status: 200, state: 'delivered', ... }]
 * platform.outcomes();     // every delivery: [{ id, event: 'course.completed', state: 'delivered' | 'lost', attempts: [...] }]
 * await platform.close();
 * ```
 */
export function startPlatform(options?: PlatformOptions): Promise<Platform>;
