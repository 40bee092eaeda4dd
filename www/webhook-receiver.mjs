// Demo webhook receiver for a plain node:http server: verify, deduplicate durably, acknowledge fast,
// process after. Mount it with two routes (see www/server.mjs):
//
//   const webhooks = createWebhookReceiver({ dataDir, secrets: ['whsec_demo'], toleranceSeconds: 300 });
//   if (path === '/webhooks' && req.method === 'POST') return webhooks.handle(req, res);
//   if (path === '/api/webhooks' && req.method === 'GET') return sendJson(res, 200, webhooks.deliveries());
//
// Answers: 400/401 {code} for a refused delivery (verifyWebhook's checks), 200 {status:'accepted'} for a
// new one, 200 {status:'duplicate'} for one already processed, 409 {status:'in_progress'} while another
// request processes the same delivery id (Coassemble retries later), 413 for bodies over 1 MiB.
import { mkdirSync, openSync, closeSync, readFileSync, writeSync, fsyncSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';

const MAX_BODY_BYTES = 1 << 20;

/**
 * A durable delivery-id store for a single Node process: processed deliveries are appended to a JSON
 * Lines file and fsync'ed before they count as done, and read back on start, so a restart between a
 * delivery and its retry neither loses nor re-processes it. Same protocol as the Rust `DeliveryStore`:
 * `begin(id)` → 'process' | 'duplicate' | 'in_progress', then `complete(record)` or `fail(id)`.
 * Writes are synchronous on purpose: one small append per delivery, and no interleaving to reason about.
 */
export function createFileDeliveryStore(path) {
  const fd = openSync(path, 'a+');
  const bytes = readFileSync(fd);
  // A line torn by a crash mid-append was never acknowledged as done: cut it off.
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end < bytes.length) ftruncateSync(fd, end);
  const done = new Map();
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    if (!line) continue;
    try {
      const record = JSON.parse(line);
      done.set(record.id, record);
    } catch {
      // Not ours or corrupt: skip it rather than refuse to start.
    }
  }
  const inProgress = new Set();
  return {
    begin(id) {
      if (done.has(id)) return 'duplicate';
      if (inProgress.has(id)) return 'in_progress';
      inProgress.add(id);
      return 'process';
    },
    complete(record) {
      writeSync(fd, JSON.stringify(record) + '\n');
      fsyncSync(fd);
      inProgress.delete(record.id);
      done.set(record.id, record);
    },
    fail(id) {
      inProgress.delete(id);
    },
    records: () => [...done.values()],
    close: () => closeSync(fd),
  };
}

/**
 * Creates the receiver.
 * @param {object} options
 * @param {string} options.dataDir directory for `webhook-deliveries.jsonl` (created if missing)
 * @param {string[]} options.secrets every valid signing secret
 * @param {number} [options.toleranceSeconds=300]
 * @param {(delivery: import('../js/webhooks.d.ts').WebhookDelivery) => unknown} [options.onDelivery]
 *   the slow work, run after the 200 was sent; a throw (or rejection) leaves the delivery unprocessed
 *   so that a retry processes it
 * @param {(line: string) => void} [options.log=console.log]
 */
export function createWebhookReceiver({ dataDir, secrets, toleranceSeconds = 300, onDelivery, log = console.log }) {
  mkdirSync(dataDir, { recursive: true });
  const store = createFileDeliveryStore(join(dataDir, 'webhook-deliveries.jsonl'));
  const pending = new Set();

  async function processDelivery(delivery, receivedAt) {
    try {
      await onDelivery?.(delivery);
      const { event } = delivery;
      store.complete({
        id: delivery.id,
        type: delivery.type,
        timestamp: delivery.timestamp,
        test: delivery.test,
        eventId: event.id ?? null,
        course: event.course ?? null,
        tracking: event.tracking ?? null,
        identifier: event.tracking?.identifier ?? null,
        status: delivery.test ? 'processed (test)' : 'processed',
        receivedAt,
        processedAt: new Date().toISOString(),
      });
      log(`[webhooks] ${delivery.id} ${delivery.type}: processed`);
    } catch (err) {
      store.fail(delivery.id);
      log(`[webhooks] ${delivery.id} ${delivery.type}: processing failed, a retry will process it: ${err?.stack ?? err}`);
    }
  }

  async function idle() {
    while (pending.size) await Promise.all(pending);
  }

  async function handle(req, res) {
    if (req.method !== 'POST') return reply(res, 405, { code: 'method_not_allowed' });
    const body = await readBody(req);
    if (!body) return reply(res, 413, { code: 'body_too_large' });

    let delivery;
    try {
      delivery = verifyWebhook({ headers: req.headers, body, secrets, toleranceSeconds });
    } catch (err) {
      if (!(err instanceof WebhookError)) throw err;
      log(`[webhooks] refused: ${err.code} (${err.message})`);
      return reply(res, err.status, { code: err.code, error: err.message });
    }

    const claim = store.begin(delivery.id);
    if (claim === 'duplicate') return reply(res, 200, { status: 'duplicate', id: delivery.id });
    if (claim === 'in_progress') return reply(res, 409, { status: 'in_progress', id: delivery.id });

    // Acknowledge first (Coassemble gives up after 10 s), then process; done is recorded after.
    const receivedAt = new Date().toISOString();
    reply(res, 200, { status: 'accepted', id: delivery.id });
    const job = new Promise((resolve) => setImmediate(resolve)).then(() => processDelivery(delivery, receivedAt));
    pending.add(job);
    job.finally(() => pending.delete(job));
  }

  return {
    handle,
    /** Processed deliveries, oldest first (also those of earlier runs). */
    deliveries: () => store.records(),
    /** Resolves when every accepted delivery has been processed (for tests and graceful shutdown). */
    idle,
    /** Waits for pending processing, then closes the log file. */
    close: async () => {
      await idle();
      store.close();
    },
  };
}

/** The raw body, or null when it is larger than MAX_BODY_BYTES (read to the end, but not kept). */
async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null;
}

function reply(res, status, json) {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
