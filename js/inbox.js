// coassemble-events/inbox: a webhook intake that loses nothing. A delivery is verified, stored durably
// in an inbox table, and only then answered 2xx; workers process it from there with a lease, retries
// with backoff and a dead letter after `maxAttempts` runs. The table, its states and every transition
// are the SQL in sql/inbox.<dialect>.sql, shared with the Rust crate; this file is the lifecycle around
// it: intake, the worker loop, listing and re-driving. See inbox.d.ts for the API.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { verifyWebhook, WebhookError, DEFAULT_TOLERANCE_SECONDS } from './webhooks.js';
import { decodeWebhookBody } from '../pkg/webhooks/coassemble_events_webhooks.js';
import { openPostgresStore } from './inbox-postgres.js';
import { openSqliteStore } from './inbox-sqlite.js';

/** Bodies larger than this are refused with 413 (Coassemble's deliveries are a few KB). */
export const MAX_BODY_BYTES = 1 << 20;

/** The default retry schedule: 10 s after the first failed run, doubling, at most an hour apart. */
export function exponentialBackoff({ firstMs = 10_000, maxMs = 3_600_000 } = {}) {
  return (attempts) => Math.min(firstMs * 2 ** (attempts - 1), maxMs);
}

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

/**
 * Opens the inbox at `databaseUrl`: `postgres://…` (needs `pg`), or a SQLite file path (needs
 * `better-sqlite3`), created when missing. See inbox.d.ts for the options and the returned API.
 */
export async function openInbox(databaseUrl, options = {}) {
  if (typeof databaseUrl !== 'string' || databaseUrl === '') {
    throw new TypeError('openInbox: `databaseUrl` must be a postgres:// URL or a SQLite file path');
  }
  const {
    secrets,
    toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
    maxAttempts = 10,
    leaseMs = 30_000,
    retryDelayMs = exponentialBackoff(),
    workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    now = Date.now,
    onError = (error, context) => console.error(`[coassemble inbox] ${context}:`, error),
  } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('openInbox: `maxAttempts` must be an integer ≥ 1');
  if (!(leaseMs > 0)) throw new TypeError('openInbox: `leaseMs` must be a positive number of milliseconds');
  if (typeof retryDelayMs !== 'function') throw new TypeError('openInbox: `retryDelayMs` must be a function of the attempts');

  const store = await openStore(databaseUrl, options);
  const workers = new Set();
  // Lets this process's workers start on a delivery it has just stored instead of at the next poll.
  const wake = () => workers.forEach((w) => w.wake());

  /** Verify, store, answer: the answer as { status, body } (the body is a small JSON object). */
  async function receive({ headers, body }) {
    let delivery;
    try {
      delivery = verifyWebhook({ headers, body, secrets, toleranceSeconds, now: now() / 1000 });
    } catch (error) {
      if (!(error instanceof WebhookError)) throw error;
      return { status: error.status, body: { code: error.code, error: error.message } };
    }
    // An authentic body is stored whatever it holds: one that is not JSON is dead at once (no handler
    // can run it), never refused, since Coassemble would send the same bytes again and again.
    const row = {
      id: delivery.id,
      type: delivery.type,
      signedAt: delivery.timestamp,
      status: delivery.notJson == null ? 'received' : 'dead',
      eventId: typeof delivery.event?.id === 'string' ? delivery.event.id : null,
      test: delivery.test,
      lastError: delivery.notJson == null ? null : `body is not JSON (stored as received): ${delivery.notJson}`,
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

  /** node:http / Express listener: `createServer(inbox.nodeListener)`, `app.post(path, inbox.nodeListener)`. */
  async function nodeListener(req, res) {
    try {
      const body = await nodeBody(req);
      const answer = body ? await receive({ headers: req.headers, body }) : tooLarge();
      const text = JSON.stringify(answer.body);
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    } catch (error) {
      onError(error, 'receiving a delivery');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  /** Fetch-style handler (Request → Response): Deno.serve, Bun.serve, Hono, Next.js route handlers. */
  async function fetchHandler(request) {
    const body = new Uint8Array(await request.arrayBuffer());
    const answer = body.byteLength <= MAX_BODY_BYTES ? await receive({ headers: request.headers, body }) : tooLarge();
    return Response.json(answer.body, { status: answer.status });
  }

  /** Runs one claimed delivery: handler, then complete or fail (fenced by the lease's attempts). */
  async function run(claimed, handler) {
    const lease = { id: claimed.id, workerId, attempts: claimed.attempts };
    let delivery;
    let failure = null;
    let retry = true;
    try {
      delivery = deliveryOf(claimed);
    } catch (error) {
      // A re-driven body that is still not JSON: no handler can run it, so it is dead again at once.
      failure = error;
      retry = false;
    }
    if (delivery) {
      try {
        await handler(delivery);
      } catch (error) {
        failure = error ?? new Error('handler threw a nullish value');
      }
    }
    try {
      const kept = failure
        ? await store.fail({
            ...lease,
            runAt: now() + retryDelayMs(claimed.attempts),
            error: errorText(failure),
            maxAttempts: retry ? maxAttempts : claimed.attempts,
          })
        : await store.complete({ ...lease, now: now() });
      // Not kept: the lease expired and another worker took the delivery over; its run decides.
      if (!kept) return 'lost';
      return failure ? 'failed' : 'processed';
    } catch (error) {
      // The store is down: the lease expires and the delivery runs again (at least once).
      onError(error, `recording the run of delivery ${claimed.id}`);
      return 'lost';
    }
  }

  /** Claims up to `limit` due deliveries and runs them; resolves with what became of each. */
  async function work(handler, { limit = 10 } = {}) {
    if (typeof handler !== 'function') throw new TypeError('inbox.work: `handler` must be a function');
    const claimed = await store.claim({ now: now(), workerId, leaseMs, limit, maxAttempts });
    const outcomes = await Promise.all(claimed.map((c) => run(c, handler)));
    return claimed.map((c, i) => ({ id: c.id, attempts: c.attempts, outcome: outcomes[i] }));
  }

  /** Starts a worker loop in this process; `stop()` lets running handlers finish. */
  function start(handler, { concurrency = 4, pollMs = 1000 } = {}) {
    if (typeof handler !== 'function') throw new TypeError('inbox.start: `handler` must be a function');
    let stopped = false;
    let sleeping = null;
    const running = new Set();
    const worker = {
      wake() {
        sleeping?.();
      },
      async stop() {
        stopped = true;
        worker.wake();
        await loop;
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
        const free = concurrency - running.size;
        let claimed = [];
        if (free > 0) {
          try {
            claimed = await store.claim({ now: now(), workerId, leaseMs, limit: free, maxAttempts });
          } catch (error) {
            onError(error, 'claiming deliveries');
          }
        }
        for (const c of claimed) {
          const job = run(c, handler).finally(() => {
            running.delete(job);
            worker.wake();
          });
          running.add(job);
        }
        if (claimed.length === 0 && !stopped) await nap(pollMs);
      }
    })();
    workers.add(worker);
    return worker;
  }

  return {
    databaseUrl,
    dialect: store.dialect,
    workerId,
    receive,
    nodeListener,
    fetchHandler,
    work,
    start,
    async list({ status = null, limit = 100 } = {}) {
      return store.list({ status, limit });
    },
    async counts() {
      const counts = { received: 0, processing: 0, processed: 0, failed: 0, dead: 0 };
      for (const { status, count } of await store.counts()) counts[status] = count;
      return counts;
    },
    async redrive(target) {
      const all = typeof target === 'object' && target !== null && target.all === true;
      if (!all && (typeof target !== 'string' || target === '')) {
        throw new TypeError('inbox.redrive: pass a delivery id, or { all: true } for every dead delivery');
      }
      const count = await store.redrive({ id: all ? null : target, now: now() });
      if (count > 0) wake();
      return count;
    },
    async close() {
      await Promise.all([...workers].map((w) => w.stop()));
      await store.close();
    },
  };
}

/** What a handler receives: the stored delivery with the verifier's typed view of its body. */
function deliveryOf(claimed) {
  const { notJson, ...delivery } = decodeWebhookBody(claimed.id, claimed.type, claimed.signedAt, claimed.body);
  if (notJson != null) throw new Error(`body is not JSON: ${notJson}`);
  return { ...delivery, attempt: claimed.attempts, receivedAt: claimed.receivedAt };
}

function errorText(error) {
  return String(error?.stack ?? error).slice(0, 2000);
}

function tooLarge() {
  return { status: 413, body: { code: 'body_too_large', error: `bodies over ${MAX_BODY_BYTES} bytes are refused` } };
}

/** The body as a Buffer (no copy) for the driver; verifyWebhook accepted its type already. */
function bytesOf(body) {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The raw body of a node:http request (or Express's express.raw() Buffer); null when over the limit. */
async function nodeBody(req) {
  if (req.body instanceof Uint8Array) return req.body.byteLength <= MAX_BODY_BYTES ? req.body : null;
  if (req.body !== undefined && req.readableEnded) {
    throw new TypeError(
      'inbox.nodeListener: the request body was already parsed; mount the webhook route before any JSON body ' +
        'parser (or use express.raw({ type: "*/*" })): the signature covers the raw bytes',
    );
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null;
}
