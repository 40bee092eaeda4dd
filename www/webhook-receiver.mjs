// The demo's webhook receiver: coassemble-events/inbox on the embedded default (a SQLite file in the
// data dir), so `npm start` shows the whole pipeline: stored before the 200, processed by a worker,
// retried with backoff, dead-lettered, re-driven. www/server.mjs mounts it:
//
//   POST /webhooks                 intake: verify, store, then 200 (503 when the store cannot write)
//   GET  /api/webhooks             { deliveries: [{ id, type, status, attempts, ... }], counts }
//   POST /api/webhooks/fail        {"count": N}: the next N handler runs throw (in memory only)
//   POST /api/webhooks/redrive     {"id": "..."} or {"all": true}: dead deliveries run again
//   /admin/webhooks/               the inbox dashboard (coassemble-events/inbox/dashboard): with
//                                  COASSEMBLE_INBOX_TOKEN set it needs that token, else loopback only
//   GET  /metrics                  Prometheus metrics of the inbox (coassemble-events/inbox/metrics)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openInbox } from 'coassemble-events/inbox';
import { createInboxDashboard } from 'coassemble-events/inbox/dashboard';
import { createInboxMetrics } from 'coassemble-events/inbox/metrics';

/**
 * The demo's retry schedule: the first retry 1 s after a failure (the demo promises one within 2 s),
 * then 2, 4, 8 s. A production receiver keeps the library's default (10 s doubling up to an hour).
 * (Inbox v2 writes the schedule on each row: firstRetryMs doubling up to maxRetryMs.)
 */
export const DEMO_RETRY = { firstRetryMs: 1000, maxRetryMs: 8000 };
/** Runs before a delivery is dead in the demo (the library's default is 10). */
export const DEMO_MAX_ATTEMPTS = 4;

/**
 * Opens the inbox in `dataDir`/webhooks.sqlite and starts its worker.
 * @param {object} options
 * @param {string} options.dataDir created if missing
 * @param {string[]} options.secrets every valid signing secret
 * @param {(line: string) => void} [options.log=console.log]
 */
export async function createWebhookReceiver({ dataDir, secrets, log = console.log }) {
  mkdirSync(dataDir, { recursive: true });
  const inbox = await openInbox(join(dataDir, 'webhooks.sqlite'), {
    secrets,
    maxAttempts: DEMO_MAX_ATTEMPTS,
    ...DEMO_RETRY,
    leaseMs: 10_000,
    onError: (error, context) => log(`[webhooks] ${context}: ${error?.message ?? error}`),
  });
  let failNext = 0; // POST /api/webhooks/fail: not persisted, a restart forgets it

  // The application's work for one delivery. Here it only logs; a real handler grants the
  // certificate or writes the grade, keyed by delivery.id so that a second run changes nothing.
  async function handle(delivery) {
    if (failNext > 0) {
      failNext -= 1;
      throw new Error(`simulated handler failure (POST /api/webhooks/fail; ${failNext} left)`);
    }
    const tracking = delivery.event?.tracking;
    const who = tracking ? ` · ${tracking.email ?? tracking.identifier ?? `learner ${tracking.id}`}` : '';
    log(`[webhooks] ${delivery.id} ${delivery.type}${who}: processed (run ${delivery.attempt})`);
  }
  inbox.start(handle, { pollMs: 250 });
  const dashboard = createInboxDashboard(inbox, { token: process.env.COASSEMBLE_INBOX_TOKEN || null, basePath: '/admin/webhooks' });
  const metrics = createInboxMetrics(inbox);

  return {
    /** node:http handler for POST /webhooks. */
    handle: inbox.nodeListener,
    /** node:http handler for /admin/webhooks/… (the dashboard). */
    dashboard,
    /** node:http handler for GET /metrics. */
    metrics: metrics.handler,
    /** The pipeline for GET /api/webhooks: newest first, one entry per delivery id. */
    async deliveries() {
      const [deliveries, counts] = await Promise.all([inbox.list({ limit: 50 }), inbox.counts()]);
      return {
        deliveries: deliveries.map((d) => ({
          id: d.id,
          type: d.type,
          status: d.status,
          attempts: d.attempts,
          maxAttempts: DEMO_MAX_ATTEMPTS,
          test: d.test,
          receivedAt: new Date(d.receivedAt).toISOString(),
          processedAt: d.processedAt == null ? null : new Date(d.processedAt).toISOString(),
          nextRunAt: d.status === 'failed' || d.status === 'received' ? new Date(d.runAt).toISOString() : null,
          lastError: d.lastError?.split('\n')[0] ?? null,
        })),
        counts,
        failNext,
      };
    },
    /** The next `count` handler runs throw. */
    failNext(count) {
      failNext = count;
      return { failNext };
    },
    /** Re-drives one dead delivery, or all of them. */
    async redrive(target) {
      return { redriven: await inbox.redrive(target) };
    },
    /** Stops the worker (running handlers finish) and closes the database. */
    close: () => {
      metrics.close();
      return inbox.close();
    },
  };
}
