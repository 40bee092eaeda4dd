/**
 * A Coassemble webhook intake that loses nothing: each delivery is verified, stored durably in an
 * inbox table keyed by its delivery id, and only then answered 2xx ("stored", never "processed").
 * Workers run your handler from the inbox under a lease (kept alive by heartbeats while it runs, ended
 * by a handler timeout), retry failures with backoff and keep a delivery that failed `maxAttempts`
 * times as dead (listed, re-driven or purged by an explicit call, never removed by retention). The
 * lifecycle (attempts, retry schedule) is written on each row by the intake: every worker of a mixed
 * Rust/Node fleet runs a delivery the same way, whatever its own options.
 *
 * The table and every transition are the SQL in the package's `sql/` folder, shared with the Rust
 * crate: a Rust and a Node receiver can serve one database. PostgreSQL (`postgres://…`, needs `pg`)
 * for many instances; a SQLite file (needs `better-sqlite3`) on one machine, one or several processes.
 *
 * @example
 * ```js
 * import { createServer } from 'node:http';
 * import { openInbox } from 'coassemble-events/inbox';
 *
 * const inbox = await openInbox(process.env.DATABASE_URL ?? 'webhooks.sqlite', {
 *   secrets: process.env.COASSEMBLE_WEBHOOK_SECRET.split(','),
 * });
 * inbox.start(async (delivery, { signal }) => {
 *   if (delivery.type === 'course.completed') await grantCertificate(delivery.id, delivery.event, { signal });
 * });
 * createServer(inbox.nodeListener).listen(3000);
 * ```
 *
 * Types: these declarations use the Fetch globals (`Request`, `Response`, `Headers`, `AbortSignal`).
 * A Node project without the `dom` lib gets them from `@types/node` (an optional peer dependency of
 * this package: `npm i -D @types/node`); the `node:http` request and response are declared here
 * ({@link NodeRequest}, {@link NodeResponse}), so nothing else is needed.
 * @packageDocumentation
 */
import type { KnownWebhookEvent, OtherWebhookEvent, WebhookErrorCode, WebhookHeaders } from './webhooks.js';

/** Bodies larger than this (1 MiB) are answered 413 (the default of {@link InboxOptions.maxBodyBytes}). */
export declare const MAX_BODY_BYTES: number;

/**
 * The defaults, identical in the Rust crate and in `tests/inbox_conformance/scenarios.json`:
 * maxAttempts 10, firstRetryMs 10 000, maxRetryMs 3 600 000, leaseMs 30 000 (heartbeatMs leaseMs / 3),
 * handlerTimeoutMs 20 000, retentionMs 7 days (batches of 500, at most once a minute per worker),
 * concurrency 4, pollMs 1000, maxBodyBytes 1 MiB, bodyTimeoutMs 10 000, busyTimeoutMs 5000.
 */
export declare const INBOX_DEFAULTS: Readonly<{
  maxAttempts: number;
  firstRetryMs: number;
  maxRetryMs: number;
  leaseMs: number;
  handlerTimeoutMs: number;
  retentionMs: number;
  retentionBatch: number;
  retentionEveryMs: number;
  concurrency: number;
  pollMs: number;
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  busyTimeoutMs: number;
}>;

/** A delivery's state, kept on its row. */
export type DeliveryStatus =
  /** Stored by the intake (the 2xx was sent after it was committed); waiting for a worker. */
  | 'received'
  /** A worker holds a lease on it (renewed by heartbeats); when the lease expires another worker takes it over. */
  | 'processing'
  /** The handler returned. Removed after `retentionMs`. */
  | 'processed'
  /** The handler threw or timed out; it runs again after the row's backoff. */
  | 'failed'
  /** Failed the row's `maxAttempts` times, or its body is not JSON: kept until re-driven or purged. */
  | 'dead';

/**
 * Options of {@link openInbox}. Unknown names are refused with a TypeError (a typo must not silently
 * fall back to a default), and so is the retired `retryDelayMs`.
 */
export interface InboxOptions {
  /** Every currently valid signing secret (two during a rotation). Needed to receive. */
  secrets?: readonly string[] | string;
  /** Replay window of the verifier, seconds. Default 300. */
  toleranceSeconds?: number;
  /**
   * Intake option, written on each row this inbox stores: runs before the delivery is dead. Default 10.
   * Workers follow the row's value, never their own.
   */
  maxAttempts?: number;
  /**
   * Intake option, written on each row: the wait after the first failed run, ms, doubling after each
   * failed run (`firstRetryMs * 2^(attempts - 1)`), at most {@link maxRetryMs}. Default 10 000.
   */
  firstRetryMs?: number;
  /** Intake option, written on each row: the longest wait between runs, ms. Default 3 600 000 (1 h). */
  maxRetryMs?: number;
  /**
   * How long a worker owns a claimed delivery, ms. Default 30 000. Heartbeats renew it while the
   * handler runs, so a long handler keeps it; a worker that dies loses it after this long, and another
   * worker runs the delivery again.
   */
  leaseMs?: number;
  /** How often a running handler's lease is renewed, ms. Default `leaseMs / 3`; less than `leaseMs`. */
  heartbeatMs?: number;
  /**
   * A handler run longer than this is a failed run (`lastError` says "timed out"), its slot freed and
   * its `signal` aborted, ms. Default 20 000 (below the lease).
   */
  handlerTimeoutMs?: number;
  /**
   * Processed deliveries older than this are removed by the workers (in batches of 500, at most once a
   * minute per worker), ms. Default 7 days: keep it well past Coassemble's retry window, or a retry of
   * a removed delivery is stored and run again. Dead deliveries are never removed by retention.
   */
  retentionMs?: number;
  /** Bodies over this many bytes are refused with 413 `body_too_large` as soon as it is known. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A body not fully received within this long is answered 408 `body_timeout` (slow senders), ms. Default 10 000. */
  bodyTimeoutMs?: number;
  /** This process's name on the leases it holds. Default `host:pid:random`. */
  workerId?: string;
  /** The clock, unix milliseconds. Default `Date.now` (tests pass their own). */
  now?: () => number;
  /**
   * SQLite only: how long a write waits for another process's write lock before failing (the intake
   * answers 503), ms. Default 5000, well below Coassemble's 10 s timeout. The wait is asynchronous:
   * the event loop never blocks on another process's lock.
   */
  busyTimeoutMs?: number;
  /** PostgreSQL only: connections in each of its two pools (intake, workers). Default 10. */
  poolSize?: number;
  /** Called with store and handler-recording errors (the intake answers 503 for them). Default `console.error`. */
  onError?: (error: unknown, context: string) => void;
  /** An observer from the start: the same as calling {@link Inbox.observe} with it. */
  onEvent?: (event: InboxEvent) => void;
}

/**
 * What the inbox did, as {@link Inbox.observe} reports it (the metrics of
 * `coassemble-events/inbox/metrics` are built on these). Only this process's intakes and runs.
 */
export type InboxEvent =
  /** A delivery answered by the intake. `code`: the refusal's (bad_signature, stale_timestamp, body_too_large…). */
  | { kind: 'intake'; outcome: 'stored' | 'duplicate' | 'refused' | 'unavailable'; code: Exclude<NodeIntakeAnswer['body'], { id: string }>['code'] | null; status: NodeIntakeAnswer['status']; id: string | null; durationMs: number }
  /**
   * A handler run and what became of it (`timed_out`: the handler outlived `handlerTimeoutMs`; the
   * row is then failed, or dead on its last run, as `recorded` says). `durationMs`: the handler's time.
   */
  | { kind: 'run'; outcome: 'processed' | 'failed' | 'dead' | 'lost' | 'timed_out'; recorded: 'processed' | 'failed' | 'dead' | 'lost'; id: string; type: string; attempt: number; durationMs: number }
  /** A claim found expired leases: `takenOver` it runs again, `buried` expired on their last run (now dead). */
  | { kind: 'leases_expired'; takenOver: number; buried: number }
  /** A retention pass (purgeProcessed) removed `removed` processed deliveries. */
  | { kind: 'retention'; removed: number }
  /** purgeDead removed `removed` dead deliveries. */
  | { kind: 'purge_dead'; removed: number }
  /** Reported by reconciliation through {@link Inbox.emit}: one run, and the deliveries it recovered. */
  | { kind: 'reconcile'; outcome: 'ok' | 'failed'; code?: ReconcileErrorCode; recovered?: number; known?: number; listed?: number; skipped?: number; durationMs?: number }
  /** Other kinds may be added: ignore what you do not know. */
  | { kind: string; [key: string]: unknown };

/**
 * The part of a `node:http` `IncomingMessage` the Node handlers use (any IncomingMessage, or an
 * Express request, is one). Declared here so the types need no `@types/node`.
 */
export interface NodeRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}
/** The part of a `node:http` `ServerResponse` the Node handlers use (any ServerResponse is one). */
export interface NodeResponse {
  writeHead(...args: any[]): unknown;
  end(...args: any[]): unknown;
}

/** A delivery with its stored body, as {@link Inbox.get} returns it. */
export interface StoredDelivery extends ListedDelivery {
  /** The row's run limit. */
  maxAttempts: number;
  /** When Coassemble signed it, unix seconds. */
  signedAt: number;
  /** The body's `id` (the event id), when it has one. */
  eventId: string | null;
  /** The worker holding (or last holding) its lease. */
  leaseOwner: string | null;
  firstRetryMs: number;
  maxRetryMs: number;
  /** The event's identity (`course.completed:981:learner-77`), its unique key; null for none. */
  identity: string | null;
  /** True: stored by {@link Inbox.reconcile}; false: a webhook; null: stored before the column existed. */
  reconciled: boolean | null;
  /** The raw body, as received. */
  body: Uint8Array;
}

/** Deliveries received and processed in one time bucket, as {@link Inbox.activity} returns them. */
export interface ActivityBucket {
  /** The bucket's start, unix ms. */
  bucket: number;
  received: number;
  /** Processed deliveries still within retention. */
  processed: number;
}

/** A refusal's JSON body: a stable `code` to switch on, and what to change in `error`. */
export interface IntakeRefusal<C extends string> {
  code: C;
  error: string;
}

/**
 * The answer to a delivery: send `status` with `body` as JSON. Discriminated on `status`, each with
 * its codes. Coassemble retries every answer but a 2xx.
 */
export type IntakeAnswer =
  /** Stored now, or a duplicate of a stored delivery (not stored or run again). */
  | { status: 200; body: { status: 'stored' | 'duplicate'; id: string } }
  /** Refused by the verifier: malformed. */
  | { status: 400; body: IntakeRefusal<Extract<WebhookErrorCode, 'missing_header' | 'bad_timestamp'>> }
  /** Refused by the verifier: not authentic, or stale. */
  | { status: 401; body: IntakeRefusal<Extract<WebhookErrorCode, 'stale_timestamp' | 'bad_signature'>> }
  /** The body did not arrive within `bodyTimeoutMs`. */
  | { status: 408; body: IntakeRefusal<'body_timeout'> }
  /** The body is over `maxBodyBytes`. */
  | { status: 413; body: IntakeRefusal<'body_too_large'> }
  /** The store is unavailable (Coassemble retries). */
  | { status: 503; body: IntakeRefusal<'store_unavailable'> };

/**
 * What {@link Inbox.nodeListener} answers: an {@link IntakeAnswer}, or a 500 (retried by Coassemble,
 * so nothing is lost once the cause is fixed) with a JSON body:
 * - `body_already_parsed`: a body parser (`express.json()`, `express.text()`, Fastify's) read the body
 *   before the intake, whose signature covers the raw bytes. Mount the webhook route before any body
 *   parser, or give it `express.raw({ type: '*\/*' })` (a Buffer `req.body` is used as the raw body);
 *   see the package's docs, "Raw body".
 * - `intake_failed`: anything else (the request broke off, an unexpected error; `onError` has it).
 */
export type NodeIntakeAnswer =
  | IntakeAnswer
  | { status: 500; body: IntakeRefusal<'body_already_parsed' | 'intake_failed'> };

/** Fields of every delivery a handler receives. */
export interface InboxDeliveryBase {
  /** The delivery id: key your effect on it (or on `event.id`) so a second run changes nothing. */
  id: string;
  /** When Coassemble signed it, unix seconds. */
  timestamp: number;
  /** A test delivery from the dashboard (from the signed body). */
  test: boolean;
  /**
   * The whole body as `JSON.parse(raw)`. As with any `JSON.parse`, an integer beyond 2^53
   * (`"workspaceId": 12345678901234567890`) is the nearest JS number here and `1e400` is `Infinity`:
   * read such values exactly from {@link raw}. Any depth is accepted (10,000 levels and more).
   */
  json: any;
  /** The body's JSON text, exactly as stored (byte for byte what Coassemble signed). */
  raw: string;
  /** The body's bytes, as stored. */
  body: Uint8Array;
  /** Always `null` here: a body that is not JSON never reaches a handler (it is dead at intake). */
  notJson: null;
  /** This run's number, 1 on the first run. */
  attempt: number;
  /** The row's `maxAttempts`: on this run number the delivery is dead if it fails. */
  maxAttempts: number;
  /** When the intake stored it, unix milliseconds. */
  receivedAt: number;
  /**
   * The event's identity, `"<type>:<course id>:<learner>"` (e.g. `"course.completed:981:learner-77"`),
   * for `course.commenced` / `course.completed`; `null` for other events and test deliveries. A unique
   * key of the inbox: one delivery per identity ever runs (while its row is kept: the retention period).
   * Key a learner's effect on it to be exactly-once across webhooks and reconciliation.
   */
  identity: string | null;
  /**
   * `true` when {@link Inbox.reconcile} stored it: rebuilt from the trackings API because no webhook
   * came (the body is shaped like Coassemble's, with `"reconciled": true`, unsigned, `id` null; the
   * course's title and key are null). `false` for a webhook.
   */
  reconciled: boolean;
}

/**
 * What a handler receives: a stored delivery, with the verifier's lenient typed view (`event`) and the
 * raw JSON. `type` narrows `event` exactly as for `verifyWebhook` (the same {@link KnownWebhookEvent}):
 * `if (delivery.type === 'course.completed') delivery.event.tracking.email`. An event type this version
 * does not know arrives as {@link UnknownInboxDelivery} (read it in a `default:` branch).
 */
export type InboxDelivery = InboxDeliveryBase & KnownWebhookEvent;

/** A delivery of an event type this version does not know: `event` is the body's JSON (a lenient copy). */
export interface UnknownInboxDelivery extends InboxDeliveryBase, OtherWebhookEvent {}

/** The second argument of a handler. */
export interface HandlerContext {
  /**
   * Aborted when the run is given up: it exceeded `handlerTimeoutMs` (`reason.code === 'handler_timeout'`)
   * or a heartbeat found the lease lost (`'lease_lost'`: another worker took the delivery over, and this
   * run's outcome will not be recorded). Pass it to `fetch`, database drivers, timers, so the work stops.
   */
  signal: AbortSignal;
}

/** A handler: resolve to mark the delivery processed; throw (or reject) for a failed run. */
export type InboxHandler = (delivery: InboxDelivery, context: HandlerContext) => unknown;

/** A delivery's row, as {@link Inbox.list} returns it. */
export interface ListedDelivery {
  id: string;
  type: string;
  status: DeliveryStatus;
  /** Runs so far (reset to 0 by a re-drive). */
  attempts: number;
  /** The row's lifecycle: runs before it is dead. */
  maxAttempts: number;
  /** Unix ms. */
  receivedAt: number;
  /** Unix ms: when a `received`/`failed` delivery is due, or when a `processing` lease ends. */
  runAt: number | null;
  /** Unix ms, for `processed`. */
  processedAt: number | null;
  /** Why the last run failed, or why it is dead. */
  lastError: string | null;
  test: boolean;
}

/**
 * A claimed delivery under a lease (see {@link Inbox.claim}). Its outcome calls are fenced by the
 * lease: after the lease expired and another worker took the delivery over, they change nothing and
 * resolve `false`.
 */
export interface InboxLease {
  id: string;
  type: string;
  /** This run's number (the lease's fencing token). */
  attempt: number;
  /** The row's `maxAttempts`. */
  maxAttempts: number;
  receivedAt: number;
  /** When Coassemble signed it, unix seconds. */
  signedAt: number;
  workerId: string;
  leaseMs: number;
  /** The stored body. */
  body: Uint8Array;
  /** Decodes the body as a handler receives it; throws when it is not JSON (fail it with `final`). */
  delivery(): InboxDelivery;
  /** Moves the lease's end to now + `leaseMs`. Resolves whether the lease was still held. */
  heartbeat(): Promise<boolean>;
  /** Marks it processed. Resolves whether the lease was still held (else nothing changed). */
  complete(): Promise<boolean>;
  /**
   * Records a failed run: `failed` until the row's backoff, or `dead` on its last attempt, or at once
   * with `final: true` (nothing can run it). Resolves whether the lease was still held.
   */
  fail(error: unknown, options?: { final?: boolean }): Promise<boolean>;
}

/** What became of one claimed delivery in {@link Inbox.work}. */
export interface WorkOutcome {
  id: string;
  /** The run's number. */
  attempts: number;
  /**
   * `processed`; `failed` (due again after its backoff); `dead` (its last attempt failed, or it is not
   * JSON); `lost`: the lease expired meanwhile and another worker took the delivery over (or the
   * outcome could not be written: the lease will expire and the delivery run again).
   */
  outcome: 'processed' | 'failed' | 'dead' | 'lost';
}

/** Options of a worker: {@link Inbox.start}, {@link Inbox.work}. Unset ones are openInbox's. */
export interface WorkerOptions {
  /** The lease of each claimed delivery, ms. */
  leaseMs?: number;
  /** Heartbeat period, ms; default this worker's `leaseMs / 3`. */
  heartbeatMs?: number;
  /** A run longer than this is a failed run ("timed out"), ms. */
  handlerTimeoutMs?: number;
  /** The name on its leases. */
  workerId?: string;
}

/** A worker loop started by {@link Inbox.start}. */
export interface InboxWorker {
  /** Stops claiming; resolves when the running handlers have finished (or timed out) and their outcomes are written. */
  stop(): Promise<void>;
}

/** An open inbox. */
export interface Inbox {
  readonly dialect: 'sqlite' | 'postgres';
  readonly workerId: string;
  /** Verify, store, answer. Never throws for a bad delivery or a store outage: read the answer. */
  receive(request: { headers: WebhookHeaders; body: Uint8Array | ArrayBuffer | ArrayBufferView | string }): Promise<IntakeAnswer>;
  /**
   * `node:http` / Express listener: `createServer(inbox.nodeListener)` or
   * `app.post('/webhooks', inbox.nodeListener)` (before any JSON body parser, or after `express.raw()`).
   * A declared or streamed body over `maxBodyBytes` is answered 413 at once (the rest is not read, the
   * connection closed); a body slower than `bodyTimeoutMs` is answered 408; a body a parser already
   * read is answered 500 `body_already_parsed` (see {@link NodeIntakeAnswer}), never parsed JSON verified.
   */
  readonly nodeListener: (req: NodeRequest, res: NodeResponse) => Promise<void>;
  /** Fetch-style handler: `Deno.serve(inbox.fetchHandler)`, Bun, Hono, Next.js route handlers. Same limits. */
  readonly fetchHandler: (request: Request) => Promise<Response>;
  /**
   * The lease-level API: claims up to `limit` (default 10) due deliveries for `workerId` (default this
   * inbox's) under a lease of `leaseMs`. You run them and call `complete()` / `fail()` yourself, and
   * `heartbeat()` while a run lasts. A lease that expired on the row's last attempt makes its delivery
   * dead first.
   */
  claim(options?: { limit?: number; workerId?: string; leaseMs?: number }): Promise<InboxLease[]>;
  /**
   * One pass: claims up to `limit` (default 10) due deliveries, runs them at once (with timeout and
   * heartbeats as the loop does), and says what became of each. For cron jobs and tests.
   */
  work(handler: InboxHandler, options?: WorkerOptions & { limit?: number }): Promise<WorkOutcome[]>;
  /**
   * Runs a worker loop in this process: up to `concurrency` (default 4) handlers at once, each under
   * `handlerTimeoutMs` with heartbeats; claims only its free slots; polls every `pollMs` (default 1000)
   * when idle, and at once for deliveries this process stores; runs retention at most once a minute.
   */
  start(handler: InboxHandler, options?: WorkerOptions & { concurrency?: number; pollMs?: number; reconcile?: ReconcileSchedule }): InboxWorker;
  /**
   * Finds the `course.commenced` / `course.completed` events Coassemble gave up delivering (it tries 4
   * times over ~36 min) through the Headless API, and stores each as a delivery the handler runs
   * (`delivery.reconciled === true`). Pulls every tracking of `courseIds` (all pages; the API has no
   * `since` filter, so every run reads every tracking of those courses) and, for each commenced or
   * completed time within the retention window, stores `reconciled:<identity>` through the intake's
   * insert: the unique identity decides `recovered` (stored now) or `known` (a webhook, or an earlier
   * run, has it). Never stores an event twice, never one the API does not list.
   *
   * Guarantee and limit: processed rows are purged after `retentionMs` (7 days), taking their identity
   * with them, so events older than `retentionMs - marginMs` (default 6 days) are not stored but
   * counted in `skipped`: reconcile at least daily. Only commenced/completed (not `course.created`).
   *
   * With no options: those of `inbox.start`'s `reconcile` schedule; `{ courseId }` narrows to one course.
   * @throws {@link ReconcileError} `api_unauthorized` | `api_unavailable` | `api_invalid_answer` |
   *   `api_failed` (nothing stored: every course is listed before anything is stored) |
   *   `store_unavailable` (whole deliveries stored so far stay; run again). TypeError: a wrong option.
   */
  reconcile(options?: ReconcileOptions | { courseId?: number | string }): Promise<ReconcileReport>;
  /** The fleet's last scheduled reconciliation (its lock row), or null before the first. */
  lastReconcile(): Promise<ReconcileRun | null>;
  /** Whether `inbox.start` was given a `reconcile` schedule in this process. */
  reconcileConfigured(): boolean;
  /** Deliveries, newest first (default: all statuses and types, 100). Uses the `list*` statements (indexed). */
  list(options?: { status?: DeliveryStatus | null; type?: string | null; limit?: number }): Promise<ListedDelivery[]>;
  /** One delivery with its stored body, or null. */
  get(id: string): Promise<StoredDelivery | null>;
  /** How long the longest-waiting due delivery has been due, ms; 0 when nothing is due. */
  oldestDueMs(): Promise<number>;
  /** Received and processed deliveries per `bucketMs` (default 1 h) over the last `hours` (default 24), oldest first, empty buckets included. */
  activity(options?: { hours?: number; bucketMs?: number }): Promise<ActivityBucket[]>;
  /**
   * Calls `listener` with each {@link InboxEvent} of this inbox (intakes, runs, expired leases,
   * retention). With no listener the inbox measures nothing. Returns a function that removes it.
   */
  observe(listener: (event: InboxEvent) => void): () => void;
  /**
   * Sends `event` to the listeners: how an extension reports, e.g. reconciliation:
   * `inbox.emit({ kind: 'reconcile', outcome: 'ok', recovered: 2 })` (counted by the metrics).
   */
  emit(event: InboxEvent): void;
  /** How many deliveries are in each state (one index probe per status). */
  counts(): Promise<Record<DeliveryStatus, number>>;
  /** Makes one dead delivery, or every dead one, due again with a full set of attempts. Resolves with how many. */
  redrive(target: string | { all: true }): Promise<number>;
  /** Removes one dead delivery, or every dead one (dead letters are kept until this or a re-drive). Resolves with how many. */
  purgeDead(target: string | { all: true }): Promise<number>;
  /**
   * One retention pass (the worker loop runs one at most once a minute): removes processed deliveries
   * older than `olderThanMs` (default the inbox's `retentionMs`), `batch` (default 500) rows per
   * statement until none is left. Resolves with how many.
   */
  purgeProcessed(options?: { olderThanMs?: number; batch?: number }): Promise<number>;
  /** Stops this inbox's workers (running handlers finish) and closes the database. */
  close(): Promise<void>;
}

/** What {@link Inbox.reconcile} reads. */
export interface ReconcileOptions {
  /** A Headless API client: `createCoassembleApi({ apiKey })` from `coassemble-events/api`. */
  api: { trackings(query: { courseId: number | string; clientIdentifier?: string; pageSize?: number; signal?: AbortSignal }): AsyncIterable<unknown> };
  /** The courses whose trackings are read. */
  courseIds: Array<number | string>;
  /** Only the trackings of this client (multi-tenant workspaces); written into the rebuilt bodies. */
  clientIdentifier?: string;
  /** Events older than `retentionMs - marginMs` are skipped. Default 1 day ({@link DEFAULT_RECONCILE_MARGIN_MS}). */
  marginMs?: number;
  /** Trackings per API page (default 100). */
  pageSize?: number;
  signal?: AbortSignal;
}

/** `inbox.start(handler, { reconcile })`: reconciliation every `everyMs`, by one instance of the fleet at a time. */
export interface ReconcileSchedule extends ReconcileOptions {
  /**
   * The fleet's period: each instance checks every min(everyMs, 60 s) and runs it when it takes the
   * lock row (coassemble_webhook_inbox_lock) and the fleet's last run ended `everyMs` ago or more.
   */
  everyMs: number;
  /**
   * How long a run holds the lock (default 10 min, {@link DEFAULT_RECONCILE_LEASE_MS}): if its instance
   * dies, another takes over after it. Keep it above a run's duration; an overlap stores nothing twice
   * (the unique keys decide), it only repeats work.
   */
  leaseMs?: number;
}

/** What one reconciliation did. */
export interface ReconcileReport {
  courses: number;
  /** Trackings listed by the API. */
  listed: number;
  /** Events stored now (no delivery had them): the handler runs them. */
  recovered: number;
  /** Events the inbox already had (by identity): nothing stored. */
  known: number;
  /** Events older than the window (or with an unreadable time): not considered. */
  skipped: number;
  /** Events without a course id or learner identifier (no identity): not stored. */
  unidentified: number;
  /** The window's start, unix ms: events before it are `skipped`. */
  since: number;
  startedAt: number;
  durationMs: number;
  /** The recovered deliveries' ids (`reconciled:<identity>`, at most 1000). */
  recoveredIds: string[];
}

/** The lock row: the fleet's last scheduled run. */
export interface ReconcileRun {
  name: string;
  /** The instance holding the lock now (null when free). */
  owner: string | null;
  leaseUntil: number;
  lastRunAt: number | null;
  /** `ok`, or the error code of the last run. */
  lastOutcome: string | null;
  lastReport: Omit<ReconcileReport, 'recoveredIds'> | null;
}

export type ReconcileErrorCode = 'api_unauthorized' | 'api_unavailable' | 'api_invalid_answer' | 'api_failed' | 'store_unavailable';

/** Why a reconciliation stopped. `report`: what it did before. */
export declare class ReconcileError extends Error {
  readonly code: ReconcileErrorCode;
  readonly report: ReconcileReport | null;
}

export declare const DEFAULT_RECONCILE_MARGIN_MS: number;
export declare const DEFAULT_RECONCILE_LEASE_MS: number;

/**
 * Opens the inbox: `postgres://…` (or `postgresql://`) for PostgreSQL, anything else is a SQLite file
 * path (created when missing). Creates the table when missing (and brings a 0.1 table up to date).
 * Rejects with an Error naming the package to install when its driver (`pg` or `better-sqlite3`) is
 * missing, and with a TypeError for a wrong or unknown option.
 */
export declare function openInbox(databaseUrl: string, options?: InboxOptions): Promise<Inbox>;
