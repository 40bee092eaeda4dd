// coassemble-events/inbox: a webhook intake that loses nothing. A delivery is verified, stored durably
// in an inbox table, and only then answered 2xx; workers process it from there with a lease (kept
// alive by heartbeats while the handler runs), retries with backoff and a dead letter after the row's
// `max_attempts` runs. The table, its states and every transition are the SQL in
// sql/inbox.<dialect>.sql, shared with the Rust crate; the lifecycle (attempts, retry schedule) is
// written on each row by the intake, so every worker of a mixed fleet runs a delivery the same way.
// This file is the lifecycle around it: intake, leases, the worker loop, retention, listing and
// re-driving. See inbox.d.ts for the API.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { storedDelivery, verifyWebhookView, WebhookError, DEFAULT_TOLERANCE_SECONDS } from './webhooks.js';
import { openPostgresStore } from './inbox-postgres.js';
import { openSqliteStore, DEFAULT_BUSY_TIMEOUT_MS } from './inbox-sqlite.js';
import { rejectUnknownOptions } from './options.js';
import { createReconciler, ReconcileError, DEFAULT_RECONCILE_LEASE_MS, DEFAULT_RECONCILE_MARGIN_MS } from './inbox-reconcile.js';

export { ReconcileError, DEFAULT_RECONCILE_LEASE_MS, DEFAULT_RECONCILE_MARGIN_MS };

/** Bodies larger than this are refused with 413 (Coassemble's deliveries are a few KB). */
export const MAX_BODY_BYTES = 1 << 20;

/**
 * The defaults, identical in the Rust crate (src/webhook/inbox) and here, and in
 * tests/inbox_conformance/scenarios.json ("defaults").
 */
export const INBOX_DEFAULTS = Object.freeze({
  maxAttempts: 10,
  firstRetryMs: 10_000,
  maxRetryMs: 3_600_000,
  leaseMs: 30_000,
  // heartbeatMs: leaseMs / 3
  handlerTimeoutMs: 20_000,
  retentionMs: 7 * 24 * 3_600_000,
  retentionBatch: 500,
  retentionEveryMs: 60_000,
  concurrency: 4,
  pollMs: 1000,
  maxBodyBytes: MAX_BODY_BYTES,
  bodyTimeoutMs: 10_000,
  busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS,
});

// Each store imports its driver when it opens, so only the one in use must be installed.
const STORES = {
  postgres: { open: openPostgresStore, package: 'pg', install: 'npm install pg' },
  sqlite: { open: openSqliteStore, package: 'better-sqlite3', install: 'npm install better-sqlite3@12' },
};

/** A connection string names PostgreSQL; anything else is the path of a SQLite file. */
function dialectOf(databaseUrl) {
  return /^postgres(ql)?:\/\//i.test(databaseUrl) ? 'postgres' : 'sqlite';
}

async function openStore(databaseUrl, options) {
  const dialect = dialectOf(databaseUrl);
  const store = STORES[dialect];
  try {
    return await store.open(dialect === 'postgres' ? databaseUrl : databaseUrl.replace(/^sqlite:/, ''), options);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(`'${store.package}'`)) {
      throw new Error(
        `openInbox: ${dialect === 'postgres' ? 'a postgres:// DATABASE_URL' : 'a SQLite file'} needs the ` +
          `"${store.package}" package, which is not installed. Run: ${store.install}`,
        { cause: error },
      );
    }
    throw error;
  }
}

// ---- option checks: a wrong option is a programming error, reported at once with a TypeError ----

function checkKnown(where, options, known) {
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options must be an object`);
  if ('retryDelayMs' in options) {
    throw new TypeError(`${where}: \`retryDelayMs\` was replaced by \`firstRetryMs\` and \`maxRetryMs\` (the schedule is written on each row)`);
  }
  rejectUnknownOptions(where, options, known);
}

function integer(where, name, value, min, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TypeError(`${where}: \`${name}\` must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Worker options: `explicit` (what the caller passed) over `base` (openInbox's). heartbeatMs follows
 * leaseMs (a third of it) unless given.
 */
function workerOptions(where, explicit, base) {
  const given = definedOf(explicit);
  const o = { ...base, ...given };
  integer(where, 'leaseMs', o.leaseMs, 10);
  if (given.heartbeatMs === undefined && (given.leaseMs !== undefined || o.heartbeatMs === undefined)) {
    o.heartbeatMs = Math.max(1, Math.floor(o.leaseMs / 3));
  }
  integer(where, 'heartbeatMs', o.heartbeatMs, 1, o.leaseMs - 1);
  integer(where, 'handlerTimeoutMs', o.handlerTimeoutMs, 1);
  if (typeof o.workerId !== 'string' || o.workerId === '') throw new TypeError(`${where}: \`workerId\` must be a non-empty string`);
  return o;
}

const OPEN_OPTIONS = ['secrets', 'toleranceSeconds', 'maxAttempts', 'firstRetryMs', 'maxRetryMs', 'leaseMs', 'heartbeatMs',
  'handlerTimeoutMs', 'retentionMs', 'maxBodyBytes', 'bodyTimeoutMs', 'busyTimeoutMs', 'poolSize', 'workerId', 'now', 'onError',
  'onEvent'];

/**
 * Opens the inbox at `databaseUrl`: `postgres://…` (needs `pg`), or a SQLite file path (needs
 * `better-sqlite3`), created when missing. See inbox.d.ts for the options and the returned API.
 */
export async function openInbox(databaseUrl, options = {}) {
  const where = 'openInbox';
  if (typeof databaseUrl !== 'string' || databaseUrl === '') {
    throw new TypeError('openInbox: `databaseUrl` must be a postgres:// URL or a SQLite file path');
  }
  checkKnown(where, options, OPEN_OPTIONS);
  const {
    secrets,
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    maxAttempts = INBOX_DEFAULTS.maxAttempts,
    firstRetryMs = INBOX_DEFAULTS.firstRetryMs,
    maxRetryMs = INBOX_DEFAULTS.maxRetryMs,
    retentionMs = INBOX_DEFAULTS.retentionMs,
    maxBodyBytes = INBOX_DEFAULTS.maxBodyBytes,
    bodyTimeoutMs = INBOX_DEFAULTS.bodyTimeoutMs,
    busyTimeoutMs = INBOX_DEFAULTS.busyTimeoutMs,
    poolSize = 10,
    now = Date.now,
    onError = (error, context) => console.error(`[coassemble inbox] ${context}:`, error),
  } = options;
  integer(where, 'maxAttempts', maxAttempts, 1, 1000);
  integer(where, 'firstRetryMs', firstRetryMs, 0);
  integer(where, 'maxRetryMs', maxRetryMs, firstRetryMs);
  integer(where, 'retentionMs', retentionMs, 0);
  integer(where, 'maxBodyBytes', maxBodyBytes, 1);
  integer(where, 'bodyTimeoutMs', bodyTimeoutMs, 1);
  integer(where, 'busyTimeoutMs', busyTimeoutMs, 0);
  integer(where, 'poolSize', poolSize, 1);
  if (typeof now !== 'function') throw new TypeError('openInbox: `now` must be a function returning unix milliseconds');
  if (typeof onError !== 'function') throw new TypeError('openInbox: `onError` must be a function');
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new TypeError('openInbox: `onEvent` must be a function');
  const defaults = workerOptions(where, {
    leaseMs: options.leaseMs,
    heartbeatMs: options.heartbeatMs,
    handlerTimeoutMs: options.handlerTimeoutMs,
    workerId: options.workerId,
  }, {
    leaseMs: INBOX_DEFAULTS.leaseMs,
    handlerTimeoutMs: INBOX_DEFAULTS.handlerTimeoutMs,
    workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  });
  const workerId = defaults.workerId;

  const store = await openStore(databaseUrl, { busyTimeoutMs, poolSize });
  const workers = new Set();
  // Lets this process's workers start on a delivery it has just stored instead of at the next poll.
  const wake = () => workers.forEach((w) => w.wake());

  // Observers (onEvent, observe()): what happened, as it happens, for metrics (createInboxMetrics)
  // and logs. With none, the intake and the workers pay one Set size check; with some, a clock read
  // and a call per intake or run. An observer that throws is reported to onError, never to the caller.
  const observers = new Set(options.onEvent ? [options.onEvent] : []);
  function emit(event) {
    for (const observer of observers) {
      try {
        observer(event);
      } catch (error) {
        onError(error, `an inbox observer, on a ${event?.kind} event`);
      }
    }
  }
  /** An intake's answer as an event: stored | duplicate | refused (with its code) | unavailable. */
  function intakeEvent(answer, durationMs) {
    const outcome = answer.status === 200 ? answer.body.status : answer.status === 503 ? 'unavailable' : 'refused';
    emit({ kind: 'intake', outcome, code: outcome === 'refused' ? answer.body.code : null, status: answer.status, id: answer.body.id ?? null, durationMs });
    return answer;
  }

  // Reconciliation (inbox-reconcile.js): synthetic deliveries through the same insert.
  const reconciler = createReconciler({ store, now, retentionMs, lifecycle: { maxAttempts, firstRetryMs, maxRetryMs }, emit, wake });
  // The last scheduled reconciliation's options (inbox.start), the dashboard's default.
  let scheduledReconcile = null;

  /** Verify, store, answer; observed when anyone listens. */
  async function receive(request) {
    if (observers.size === 0) return intake(request);
    const started = performance.now();
    const answer = await intake(request);
    return intakeEvent(answer, performance.now() - started);
  }
  /** A refusal before the body was read (too large, too slow), observed. */
  const early = (answer) => (observers.size === 0 ? answer : intakeEvent(answer, 0));

  /** Verify, store, answer: the answer as { status, body } (the body is a small JSON object). */
  async function intake({ headers, body }) {
    let view;
    try {
      view = verifyWebhookView({ headers, body, secrets, toleranceSeconds, now: now() / 1000 }, false).view;
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error;
      return { status: error.status, body: { code: error.code, error: error.message } };
    }
    // An authentic body is stored whatever it holds: one that is not JSON is dead at once (no handler
    // can run it), never refused, since Coassemble would send the same bytes again and again.
    const row = {
      id: view.id,
      type: view.type,
      signedAt: Number(view.timestamp), // a BigInt from the wasm (src/webhook/js.rs)
      status: view.notJson == null ? 'received' : 'dead',
      eventId: view.eventId ?? null,
      test: view.test,
      lastError: view.notJson == null ? null : `body is not JSON (stored as received): ${view.notJson}`,
      maxAttempts,
      firstRetryMs,
      maxRetryMs,
      // The crate's one rule (WebhookEvent::identity, via the wasm's view): null for a test delivery.
      identity: view.identity ?? null,
      reconciled: false,
    };
    let stored;
    try {
      stored = await store.insert({ ...row, receivedAt: now(), body: bytesOf(body) });
    } catch (error) {
      onError(error, `storing delivery ${row.id}`);
      return { status: 503, body: { code: 'store_unavailable', error: 'the inbox cannot store deliveries now; retry later' } };
    }
    if (stored && row.status === 'received') wake();
    return { status: 200, body: { status: stored ? 'stored' : 'duplicate', id: row.id } };
  }

  const tooLarge = () => ({
    status: 413,
    body: { code: 'body_too_large', error: `bodies over ${maxBodyBytes} bytes are refused` },
  });
  const tooSlow = () => ({
    status: 408,
    body: { code: 'body_timeout', error: `the body did not arrive within ${bodyTimeoutMs} ms` },
  });
  // A 5xx, so Coassemble retries the delivery (and nothing is lost) once the route is fixed.
  const alreadyParsed = () => ({
    status: 500,
    body: { code: 'body_already_parsed', error: PARSED_ERROR },
  });

  /** node:http / Express listener: `createServer(inbox.nodeListener)`, `app.post(path, inbox.nodeListener)`. */
  async function nodeListener(req, res) {
    try {
      const read = await nodeBody(req, maxBodyBytes, bodyTimeoutMs);
      const answer = read.body ? await receive({ headers: req.headers, body: read.body })
        : early(read.tooLarge ? tooLarge() : read.timedOut ? tooSlow() : alreadyParsed());
      const text = JSON.stringify(answer.body);
      const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
      if (!read.tooLarge && !read.timedOut) {
        res.writeHead(answer.status, headers);
        res.end(text);
      } else {
        // An early answer (413, 408): the rest of the body is not kept and the connection closes. The
        // whole answer is written at once, but the response is ended (and so the socket closed) only
        // after drainThenClose has read and dropped what the client still sends: Node destroys a
        // `Connection: close` socket as its response ends, and closing with the client's bytes unread
        // makes the client see a reset instead of the answer (tests/inbox/fault-bodies.test.mjs).
        res.writeHead(answer.status, { ...headers, connection: 'close' });
        res.write(text);
        drainThenClose(req, () => res.end());
      }
    } catch (error) {
      onError(error, 'receiving a delivery');
      // Never a bare 500: the body says where the reason is (and Coassemble retries a 5xx).
      if (res.headersSent) return void res.end();
      const text = JSON.stringify({ code: 'intake_failed', error: 'the intake failed on this request; the reason went to the server log (onError)' });
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
      res.end(text);
    }
  }

  /** Fetch-style handler (Request → Response): Deno.serve, Bun.serve, Hono, Next.js route handlers. */
  async function fetchHandler(request) {
    const read = await fetchBody(request, maxBodyBytes, bodyTimeoutMs);
    const answer = read.body ? await receive({ headers: request.headers, body: read.body }) : early(read.tooLarge ? tooLarge() : tooSlow());
    return Response.json(answer.body, { status: answer.status, headers: read.body ? undefined : { connection: 'close' } });
  }

  /** A claimed delivery: the lease's fencing token is (id, workerId, attempts). */
  function leaseOf(claimed, lease) {
    const token = { id: claimed.id, workerId: lease.workerId, attempts: claimed.attempts };
    // No local "settled" flag: the SQL fences every outcome (a second one, or one after the lease
    // was taken over, affects no row and resolves false).
    return {
      id: claimed.id,
      type: claimed.type,
      attempt: claimed.attempts,
      maxAttempts: claimed.maxAttempts,
      receivedAt: claimed.receivedAt,
      signedAt: claimed.signedAt,
      workerId: lease.workerId,
      leaseMs: lease.leaseMs,
      body: claimed.body,
      delivery: () => deliveryOf(claimed),
      heartbeat: () => store.heartbeat({ ...token, until: now() + lease.leaseMs }),
      async complete() {
        return store.complete({ ...token, now: now() });
      },
      async fail(error, { final = false } = {}) {
        return store.fail({ ...token, now: now(), error: errorText(error), final });
      },
    };
  }

  /** Claims up to `limit` due deliveries under a lease (see inbox.d.ts, `claim`). */
  async function claim(options = {}) {
    const where = 'inbox.claim';
    checkKnown(where, options, ['limit', 'workerId', 'leaseMs']);
    const { limit = 10 } = options;
    integer(where, 'limit', limit, 1, 1000);
    const lease = workerOptions(where, { leaseMs: options.leaseMs, workerId: options.workerId }, defaults);
    const observe = observers.size > 0;
    const claimed = await store.claim({ now: now(), workerId: lease.workerId, leaseMs: lease.leaseMs, limit, observe });
    if (observe && (claimed.takenOver > 0 || claimed.buried > 0)) {
      emit({ kind: 'leases_expired', takenOver: claimed.takenOver, buried: claimed.buried });
    }
    return claimed.map((c) => leaseOf(c, lease));
  }

  /** Runs one lease (see runLease), observed: a `run` event with its outcome and the handler's time. */
  async function run(lease, handler, o, handlerDone) {
    if (observers.size === 0) return runLease(lease, handler, o, handlerDone);
    const outcome = await runLease(lease, handler, o, handlerDone);
    emit({
      kind: 'run',
      // timed_out: the handler outlived handlerTimeoutMs (the row is failed, or dead on its last run).
      outcome: lease.timedOut && outcome !== 'lost' ? 'timed_out' : outcome,
      recorded: outcome,
      id: lease.id,
      type: lease.type,
      attempt: lease.attempt,
      durationMs: lease.handlerMs ?? 0,
    });
    return outcome;
  }

  /**
   * Runs one lease: the handler under a timeout and heartbeats, then complete or fail. Resolves with
   * 'processed' | 'failed' | 'dead' | 'lost'; never rejects.
   */
  async function runLease(lease, handler, { handlerTimeoutMs, heartbeatMs }, handlerDone = () => {}) {
    let delivery;
    try {
      delivery = lease.delivery();
    } catch (error) {
      // A re-driven body that is still not JSON: no handler can run it, so it is dead again at once.
      handlerDone();
      return record(lease, error, true);
    }
    const controller = new AbortController();
    let lost = false;
    let timer;
    let beat;
    const ended = new Promise((resolve) => {
      timer = setTimeout(() => {
        const error = new Error(`handler timed out after ${handlerTimeoutMs} ms`);
        error.code = 'handler_timeout';
        lease.timedOut = true;
        controller.abort(error);
        resolve({ error });
      }, handlerTimeoutMs);
      beat = setInterval(async () => {
        try {
          if (!(await lease.heartbeat()) && !controller.signal.aborted) {
            lost = true;
            const error = new Error('the lease was lost (it expired and another worker took the delivery over)');
            error.code = 'lease_lost';
            controller.abort(error);
            resolve({ error });
          }
        } catch (error) {
          // The store is unreachable: keep running; the next heartbeat (or the outcome) tells.
          onError(error, `heartbeat of delivery ${lease.id}`);
        }
      }, heartbeatMs);
    });
    let outcome;
    const started = performance.now();
    try {
      outcome = await Promise.race([
        (async () => {
          try {
            await handler(delivery, { signal: controller.signal });
            return {};
          } catch (error) {
            return { error: error ?? new Error('handler threw a nullish value') };
          }
        })(),
        ended,
      ]);
    } finally {
      clearTimeout(timer);
      clearInterval(beat);
      lease.handlerMs = performance.now() - started;
      // The handler's slot is free now; recording the outcome (batched with others) runs on its own.
      handlerDone();
    }
    if (lost) return 'lost';
    // Let a handler that watches the signal stop its work once its run is over.
    if (!controller.signal.aborted && outcome.error) controller.abort(outcome.error);
    return outcome.error ? record(lease, outcome.error, false) : record(lease, null, false);
  }

  async function record(lease, failure, final) {
    try {
      const kept = failure ? await lease.fail(failure, { final }) : await lease.complete();
      // Not kept: the lease expired and another worker took the delivery over; its run decides.
      if (!kept) return 'lost';
      if (!failure) return 'processed';
      return final || lease.attempt >= lease.maxAttempts ? 'dead' : 'failed';
    } catch (error) {
      // The store is down: the lease expires and the delivery runs again (at least once).
      onError(error, `recording the run of delivery ${lease.id}`);
      return 'lost';
    }
  }

  /** Claims up to `limit` due deliveries and runs them; resolves with what became of each. */
  async function work(handler, options = {}) {
    const where = 'inbox.work';
    if (typeof handler !== 'function') throw new TypeError('inbox.work: `handler` must be a function');
    checkKnown(where, options, ['limit', 'workerId', 'leaseMs', 'heartbeatMs', 'handlerTimeoutMs']);
    const { limit = 10, ...rest } = options;
    const o = workerOptions(where, rest, defaults);
    const leases = await claim({ limit, workerId: o.workerId, leaseMs: o.leaseMs });
    const outcomes = await Promise.all(leases.map((lease) => run(lease, handler, o)));
    return leases.map((lease, i) => ({ id: lease.id, attempts: lease.attempt, outcome: outcomes[i] }));
  }

  /** Retention: removes processed deliveries older than `retentionMs`, in bounded batches. */
  async function purgeProcessed(options = {}) {
    checkKnown('inbox.purgeProcessed', options, ['olderThanMs', 'batch']);
    const { olderThanMs = retentionMs, batch = INBOX_DEFAULTS.retentionBatch } = options;
    integer('inbox.purgeProcessed', 'olderThanMs', olderThanMs, 0);
    integer('inbox.purgeProcessed', 'batch', batch, 1, 100_000);
    const cutoff = now() - olderThanMs;
    let removed = 0;
    for (;;) {
      const n = await store.purgeProcessed({ cutoff, batch });
      removed += n;
      if (n < batch) {
        if (observers.size > 0) emit({ kind: 'retention', removed });
        return removed;
      }
      // Let intakes and claims in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Starts a worker loop in this process; `stop()` lets running handlers finish. */
  function start(handler, options = {}) {
    const where = 'inbox.start';
    if (typeof handler !== 'function') throw new TypeError('inbox.start: `handler` must be a function');
    checkKnown(where, options, ['concurrency', 'pollMs', 'leaseMs', 'heartbeatMs', 'handlerTimeoutMs', 'workerId', 'reconcile']);
    const { concurrency = INBOX_DEFAULTS.concurrency, pollMs = INBOX_DEFAULTS.pollMs, reconcile: reconcileSchedule, ...rest } = options;
    const schedule = reconcileSchedule === undefined ? null : scheduleOf(where, reconcileSchedule);
    integer(where, 'concurrency', concurrency, 1, 1000);
    integer(where, 'pollMs', pollMs, 1);
    const o = workerOptions(where, rest, defaults);
    let stopped = false;
    let sleeping = null;
    let woken = false;
    let lastRetention = -Infinity;
    // `busy`: handlers running (what `concurrency` bounds); `running`: runs not yet recorded (what
    // stop() awaits). A slot frees when its handler ends, before its outcome is written, so the next
    // claim overlaps the batched writes instead of waiting for them.
    let busy = 0;
    const running = new Set();
    let reconcileNap = null;
    const worker = {
      wake() {
        woken = true;
        sleeping?.();
      },
      async stop() {
        stopped = true;
        worker.wake();
        reconcileNap?.();
        await loop;
        await reconcileLoop;
        await Promise.all(running);
        workers.delete(worker);
      },
    };
    const nap = (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        sleeping = () => {
          clearTimeout(timer);
          resolve();
        };
      }).finally(() => {
        sleeping = null;
      });
    const loop = (async () => {
      while (!stopped) {
        woken = false;
        // Retention at most once a minute per worker (bounded batches, see purgeProcessed).
        if (Date.now() - lastRetention >= INBOX_DEFAULTS.retentionEveryMs) {
          lastRetention = Date.now();
          try {
            await purgeProcessed();
          } catch (error) {
            onError(error, 'removing processed deliveries past their retention');
          }
        }
        const free = concurrency - busy;
        let leases = [];
        // Claims only as many as it starts now (its free slots), so each lease runs from its start.
        if (free > 0) {
          try {
            leases = await claim({ limit: free, workerId: o.workerId, leaseMs: o.leaseMs });
          } catch (error) {
            onError(error, 'claiming deliveries');
          }
        }
        for (const lease of leases) {
          busy++;
          let freed = false;
          const handlerDone = () => {
            if (freed) return;
            freed = true;
            busy--;
            worker.wake();
          };
          const job = run(lease, handler, o, handlerDone).finally(() => {
            handlerDone();
            running.delete(job);
          });
          running.add(job);
        }
        // Full, or nothing due: sleep until a slot frees up, a local intake, or the poll.
        if ((leases.length === 0 || leases.length === free) && !stopped && !woken) await nap(pollMs);
      }
    })();
    // Scheduled reconciliation: every instance checks every min(everyMs, 60 s); the lock row lets one
    // of the fleet run it, and only when the fleet's last run is everyMs old (inbox-reconcile.js).
    const reconcileLoop = schedule && (async () => {
      scheduledReconcile = schedule.reconcileOptions;
      const checkMs = Math.max(50, Math.min(schedule.everyMs, 60_000));
      while (!stopped) {
        try {
          await reconciler.scheduledRound({ owner: o.workerId, ...schedule });
        } catch (error) {
          onError(error, 'reconciling (scheduled)');
        }
        if (stopped) break;
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, checkMs);
          reconcileNap = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        reconcileNap = null;
      }
    })();
    workers.add(worker);
    return worker;
  }

  /** inbox.start's `reconcile` option, checked. */
  function scheduleOf(where, r) {
    if (r === null || typeof r !== 'object') throw new TypeError(`${where}: \`reconcile\` must be { api, courseIds, everyMs }`);
    const { everyMs, leaseMs = DEFAULT_RECONCILE_LEASE_MS, ...reconcileOptions } = r;
    integer(where, 'reconcile.everyMs', everyMs, 10);
    integer(where, 'reconcile.leaseMs', leaseMs, 10);
    if (!reconcileOptions.api || typeof reconcileOptions.api.trackings !== 'function') throw new TypeError(`${where}: \`reconcile.api\` must be a Headless API client`);
    if (!Array.isArray(reconcileOptions.courseIds) || reconcileOptions.courseIds.length === 0) throw new TypeError(`${where}: \`reconcile.courseIds\` must be a non-empty array`);
    return { everyMs, leaseMs, reconcileOptions };
  }

  return {
    databaseUrl,
    dialect: store.dialect,
    workerId,
    receive,
    nodeListener,
    fetchHandler,
    claim,
    work,
    start,
    purgeProcessed,
    /**
     * Finds deliveries Coassemble gave up on through the trackings API and stores them (see
     * inbox.d.ts and inbox-reconcile.js). With no options, the scheduled ones (inbox.start's
     * `reconcile`); `courseId` (one course) narrows them, for the dashboard's button.
     */
    async reconcile(options = {}) {
      const { courseId, ...rest } = options ?? {};
      const base = scheduledReconcile ?? {};
      const merged = { ...base, ...rest };
      if (courseId !== undefined) merged.courseIds = [courseId];
      return reconciler.reconcile(merged);
    },
    /** The fleet's last scheduled reconciliation (the lock row), or null. */
    lastReconcile: () => reconciler.lastRun(),
    /** Whether inbox.start was given a `reconcile` schedule in this process (the dashboard's default). */
    reconcileConfigured: () => scheduledReconcile !== null,
    async list(options = {}) {
      checkKnown('inbox.list', options, ['status', 'type', 'limit']);
      const { status = null, type = null, limit = 100 } = options;
      if (status !== null && !STATUSES.includes(status)) {
        throw new TypeError(`inbox.list: \`status\` must be one of ${STATUSES.join(', ')} (or null for all)`);
      }
      if (type !== null && (typeof type !== 'string' || type === '')) throw new TypeError('inbox.list: `type` must be an event type (or null for all)');
      integer('inbox.list', 'limit', limit, 1, 100_000);
      return store.list({ status, type, limit });
    },
    /** One delivery with its stored body (Buffer), or null. */
    async get(id) {
      if (typeof id !== 'string' || id === '') throw new TypeError('inbox.get: pass a delivery id');
      return store.get({ id });
    },
    /** How long the longest-waiting due delivery has been due, ms (0: nothing is due). */
    async oldestDueMs() {
      const t = now();
      const runAt = await store.oldestDue({ now: t });
      return runAt == null ? 0 : Math.max(0, t - runAt);
    },
    /** Deliveries received and processed per `bucketMs` (default an hour) over the last `hours` (default 24). */
    async activity(options = {}) {
      checkKnown('inbox.activity', options, ['hours', 'bucketMs']);
      const { hours = 24, bucketMs = 3_600_000 } = options;
      integer('inbox.activity', 'hours', hours, 1, 24 * 90);
      integer('inbox.activity', 'bucketMs', bucketMs, 60_000);
      const t = now();
      const first = Math.floor((t - hours * 3_600_000) / bucketMs + 1) * bucketMs;
      const rows = new Map((await store.activity({ since: first, bucketMs })).map((r) => [r.bucket, r]));
      const buckets = [];
      for (let b = first; b <= t; b += bucketMs) buckets.push(rows.get(b) ?? { bucket: b, received: 0, processed: 0 });
      return buckets;
    },
    /**
     * Watches what the inbox does: `listener(event)` for each intake, run, retention pass and
     * expired lease of this process (see inbox.d.ts, InboxEvent). Returns a function that stops it.
     */
    observe(listener) {
      if (typeof listener !== 'function') throw new TypeError('inbox.observe: `listener` must be a function');
      observers.add(listener);
      return () => observers.delete(listener);
    },
    /**
     * Sends an event to the observers: how extensions of the inbox (reconciliation) report, e.g.
     * `inbox.emit({ kind: 'reconcile', outcome: 'ok', recovered: 3 })`.
     */
    emit,
    async counts() {
      const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
      for (const { status, count } of await store.counts()) counts[status] = count;
      return counts;
    },
    async redrive(target) {
      const count = await store.redrive({ id: targetOf('inbox.redrive', target), now: now() });
      if (count > 0) wake();
      return count;
    },
    async purgeDead(target) {
      const removed = await store.purgeDead({ id: targetOf('inbox.purgeDead', target) });
      if (observers.size > 0 && removed > 0) emit({ kind: 'purge_dead', removed });
      return removed;
    },
    /** @internal tests: the plan of a named statement on this database. */
    _store: store,
    async close() {
      await Promise.all([...workers].map((w) => w.stop()));
      await store.close();
    },
  };
}

const STATUSES = ['received', 'processing', 'processed', 'failed', 'dead'];

function targetOf(where, target) {
  if (typeof target === 'object' && target !== null && target.all === true) return null;
  if (typeof target === 'string' && target !== '') return target;
  throw new TypeError(`${where}: pass a delivery id, or { all: true } for every dead delivery`);
}

function definedOf(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

/** What a handler receives: the stored delivery with the verifier's typed view and the raw JSON. */
function deliveryOf(claimed) {
  const bytes = claimed.body;
  const view = storedDelivery(claimed, bytes);
  view.body = bytes;
  view.attempt = claimed.attempts;
  view.maxAttempts = claimed.maxAttempts;
  view.receivedAt = claimed.receivedAt;
  // Stored by reconciliation (rebuilt from the trackings API; no webhook was received for it).
  view.reconciled = claimed.reconciled === true;
  return view;
}

function errorText(error) {
  // No NUL: PostgreSQL's TEXT refuses it (and a failed write would lose the outcome of a whole batch).
  return String(error?.stack ?? error).replaceAll('\0', '\uFFFD').slice(0, 2000);
}

const PARSED_ERROR = 'a body parser read the request body before the inbox (express.json(), express.text(), '
  + "Fastify's JSON parser): the signature covers the raw bytes. Mount the webhook route before express.json(), "
  + "or give it express.raw({ type: '*/*' }) (its Buffer is used as the raw body); Fastify: a raw-body content "
  + 'type parser (https://coassemble-events.github.io/coassemble-events/guide/raw-body)';

/** The body as a Buffer (no copy) for the driver; verifyWebhook accepted its type already. */
function bytesOf(body) {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * The raw body of a node:http request (or Express's express.raw() Buffer), read at most to the limit:
 * `{ body }`, or `{ tooLarge: true }` as soon as the declared Content-Length or the bytes read pass
 * it (nothing more is read: at most the limit plus one chunk is held), or `{ timedOut: true }` when
 * the whole body has not arrived within `timeoutMs` (a slow sender must not hold a request forever),
 * or `{ parsed: true }` when a body parser read it before.
 */
function nodeBody(req, limit, timeoutMs) {
  if (req.body instanceof Uint8Array) return Promise.resolve(req.body.byteLength <= limit ? { body: req.body } : { tooLarge: true });
  // Read already (express.json/text/urlencoded, Fastify's parsers): the raw bytes are gone. A parser
  // whose type did not match leaves the stream unread (Express 4 still sets `req.body = {}`).
  if (req.readableEnded) return Promise.resolve({ parsed: true });
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const done = (result) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (!result.body) req.pause();
      resolve(result);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) done({ tooLarge: true });
      else chunks.push(chunk);
    };
    const onEnd = () => done({ body: Buffer.concat(chunks, size) });
    const onError = (error) => {
      clearTimeout(timer);
      reject(error);
    };
    const onAborted = () => onError(new Error('the request was aborted'));
    const timer = setTimeout(() => done({ timedOut: true }), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

// After an early answer (413, 408) the client may still be sending. Closing a socket with unread bytes
// makes the kernel reset it, and the client then sees the reset instead of the answer (RFC 9112 §9.6:
// a staged close), so what it still sends is read and dropped, at most DRAIN_BYTES and DRAIN_MS, then
// the connection is closed. Measured by tests/inbox/fault-bodies.test.mjs: without it 10 of 25
// declared-size and 3 of 25 streamed oversized requests saw a reset; memory stays flat (nothing kept).
const DRAIN_BYTES = 16 << 20;
const DRAIN_MS = 2000;
function drainThenClose(req, close) {
  let drained = 0;
  let closed = false;
  const done = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    req.off('data', onData);
    close();
  };
  // Past DRAIN_BYTES nothing more is read, but the connection stays until DRAIN_MS (TCP flow control
  // stops the client): closing at once could reset a fast client before it read the answer.
  const onData = (chunk) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) req.pause();
  };
  const timer = setTimeout(done, DRAIN_MS);
  req.on('data', onData);
  req.once('end', done);
  req.once('error', done);
  req.once('close', done);
  req.resume();
}

/** The body of a Fetch Request, with the same limits as {@link nodeBody}. */
async function fetchBody(request, limit, timeoutMs) {
  const declared = Number(request.headers.get('content-length'));
  if (declared > limit) {
    request.body?.cancel().catch(() => {});
    return { tooLarge: true };
  }
  if (!request.body) return { body: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs)));
  try {
    for (;;) {
      const step = await Promise.race([reader.read(), timeout]);
      if (step.timedOut) {
        reader.cancel().catch(() => {});
        return step;
      }
      if (step.done) break;
      size += step.value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        return { tooLarge: true };
      }
      chunks.push(step.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return { body: Buffer.concat(chunks, size) };
}
