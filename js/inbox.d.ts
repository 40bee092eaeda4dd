/**
 * A Coassemble webhook intake that loses nothing: each delivery is verified, stored durably in an
 * inbox table keyed by its delivery id, and only then answered 2xx ("stored", never "processed").
 * Workers run your handler from the inbox with a lease, retry failures with backoff and keep a
 * delivery that failed `maxAttempts` times as dead (listed, re-driven with one call, never deleted).
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
 * inbox.start(async (delivery) => {
 *   if (delivery.type === 'course.completed') await grantCertificate(delivery.id, delivery.event);
 * });
 * createServer(inbox.nodeListener).listen(3000);
 * ```
 * @packageDocumentation
 */
import type { WebhookHeaders } from './webhooks.js';

/** Bodies larger than this (1 MiB) are answered 413. */
export declare const MAX_BODY_BYTES: number;

/** A delivery's state, kept on its row. */
export type DeliveryStatus =
  /** Stored by the intake (the 2xx was sent after it was committed); waiting for a worker. */
  | 'received'
  /** A worker holds a lease on it; when the lease expires another worker takes it over. */
  | 'processing'
  /** The handler returned. Final. */
  | 'processed'
  /** The handler threw; it runs again after its backoff. */
  | 'failed'
  /** Failed `maxAttempts` times, or its body is not JSON: kept until re-driven. */
  | 'dead';

/** Options of {@link openInbox}. */
export interface InboxOptions {
  /** Every currently valid signing secret (two during a rotation). Needed to receive. */
  secrets?: readonly string[] | string;
  /** Replay window of the verifier, seconds. Default 300. */
  toleranceSeconds?: number;
  /** Runs before a delivery is dead. Default 10. */
  maxAttempts?: number;
  /**
   * How long a worker owns a claimed delivery, ms. Default 30 000. A handler that runs longer can be
   * taken over by another worker and run twice: keep handlers shorter, or raise it.
   */
  leaseMs?: number;
  /** Delay before the next run after `attempts` failed runs, ms. Default {@link exponentialBackoff}(). */
  retryDelayMs?: (attempts: number) => number;
  /** This process's name on the leases it holds. Default `host:pid:random`. */
  workerId?: string;
  /** The clock, unix milliseconds. Default `Date.now` (tests pass their own). */
  now?: () => number;
  /** SQLite only: how long a write waits for another process's lock before failing (503), ms. Default 10 000 (sql/inbox.sqlite.sql, `connect`). */
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
  | { kind: 'intake'; outcome: 'stored' | 'duplicate' | 'refused' | 'unavailable'; code: string | null; status: number; id: string | null; durationMs: number }
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
  | { kind: 'reconcile'; outcome: 'ok' | 'failed'; recovered?: number }
  /** Other kinds may be added: ignore what you do not know. */
  | { kind: string; [key: string]: unknown };

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

/** The answer to a delivery: send `status` with `body` as JSON. */
export interface IntakeAnswer {
  /** 200 stored or duplicate; 400/401 refused by the verifier; 413 too large; 503 the store is down. */
  status: 200 | 400 | 401 | 413 | 503;
  body:
    | { status: 'stored' | 'duplicate'; id: string }
    | { code: string; error: string };
}

/** What a handler receives: a stored delivery, with the verifier's typed view of its body. */
export interface InboxDelivery {
  /** The delivery id: key your effect on it (or on `event.id`) so a second run changes nothing. */
  id: string;
  /** The event type, e.g. `course.completed`. */
  type: string;
  /** When Coassemble signed it, unix seconds. */
  timestamp: number;
  /** A test delivery from the dashboard (from the signed body). */
  test: boolean;
  /**
   * The typed event, as `verifyWebhook` returns it (see `WebhookDelivery['event']`): a field of an
   * unexpected type or format is `null` here and kept in `json`.
   */
  event: Record<string, unknown> & { id?: string };
  /** The whole body as parsed JSON. */
  json: Record<string, unknown>;
  /** This run's number, 1 on the first run. */
  attempt: number;
  /** When the intake stored it, unix milliseconds. */
  receivedAt: number;
}

/** A delivery's row, as {@link Inbox.list} returns it. */
export interface ListedDelivery {
  id: string;
  type: string;
  status: DeliveryStatus;
  /** Runs so far (reset to 0 by a re-drive). */
  attempts: number;
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

/** What became of one claimed delivery in {@link Inbox.work}. */
export interface WorkOutcome {
  id: string;
  /** The run's number. */
  attempts: number;
  /** `lost`: the lease expired meanwhile and another worker took the delivery over. */
  outcome: 'processed' | 'failed' | 'lost';
}

/** A worker loop started by {@link Inbox.start}. */
export interface InboxWorker {
  /** Stops claiming; resolves when the running handlers have finished. */
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
   */
  readonly nodeListener: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>;
  /** Fetch-style handler: `Deno.serve(inbox.fetchHandler)`, Bun, Hono, Next.js route handlers. */
  readonly fetchHandler: (request: Request) => Promise<Response>;
  /** Claims up to `limit` (default 10) due deliveries, runs them, and says what became of each. */
  work(handler: (delivery: InboxDelivery) => unknown, options?: { limit?: number }): Promise<WorkOutcome[]>;
  /**
   * Runs a worker loop in this process: up to `concurrency` (default 4) handlers at once, polling every
   * `pollMs` (default 1000) when idle, and at once for deliveries this process stores.
   */
  start(handler: (delivery: InboxDelivery) => unknown, options?: { concurrency?: number; pollMs?: number }): InboxWorker;
  /** Deliveries, newest first (default: all statuses and types, 100). */
  list(options?: { status?: DeliveryStatus | null; type?: string | null; limit?: number }): Promise<ListedDelivery[]>;
  /** One delivery with its stored body, or null. */
  get(id: string): Promise<StoredDelivery | null>;
  /** How long the longest-waiting due delivery has been due, ms; 0 when nothing is due. */
  oldestDueMs(): Promise<number>;
  /** Received and processed deliveries per `bucketMs` (default 1 h) over the last `hours` (default 24), oldest first, empty buckets included. */
  activity(options?: { hours?: number; bucketMs?: number }): Promise<ActivityBucket[]>;
  /** Removes one dead delivery, or every dead one. Resolves with how many. */
  purgeDead(target: string | { all: true }): Promise<number>;
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
  /** How many deliveries are in each state. */
  counts(): Promise<Record<DeliveryStatus, number>>;
  /** Makes one dead delivery, or every dead one, due again with a full set of attempts. Resolves with how many. */
  redrive(target: string | { all: true }): Promise<number>;
  /** Stops this inbox's workers (running handlers finish) and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the inbox: `postgres://…` (or `postgresql://`) for PostgreSQL, anything else is a SQLite file
 * path (created when missing). Creates the table when missing. Rejects with an Error naming the package
 * to install when its driver (`pg` or `better-sqlite3`) is missing.
 */
export declare function openInbox(databaseUrl: string, options?: InboxOptions): Promise<Inbox>;

/** A retry schedule: `firstMs` (default 10 000) after the first failed run, doubling, at most `maxMs` (default 3 600 000). */
export declare function exponentialBackoff(options?: { firstMs?: number; maxMs?: number }): (attempts: number) => number;
