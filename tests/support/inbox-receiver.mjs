// The Node receiver of the inbox fault tests (tests/inbox/fault.test.mjs): coassemble-events/inbox's
// intake and workers, with the handler of tests/support/inbox_receiver.rs (the Rust receiver), so that
// Rust and Node receivers serve one database side by side. It speaks the same interface:
// - env DATABASE_URL, COASSEMBLE_WEBHOOK_SECRET, PORT (0: any free port);
// - ROLE `both` (intake and workers), `receiver` or `worker` (the report role is the Rust receiver's);
// - WORKERS (2), HANDLER_MS (5), SLOW_MS (4000: the first run of a delivery whose id contains `slow`),
//   FAIL_PERCENT (10), LEASE_MS (6000), HANDLER_TIMEOUT_MS (a run that exceeds it is a failed run;
//   default LEASE_MS * 2), LONG_MS (LEASE_MS * 3 / 2: a run of an id containing `long`; keep it
//   between LEASE_MS and HANDLER_TIMEOUT_MS);
// - MAX_ATTEMPTS (4) and RETRY_MS, the first retry (100, doubling, at most 8x), are intake options:
//   written on each row this process stores, and followed by every worker whatever its language;
// - worker ids `pid<process id>-<n>`; stdout `ready <port>` once it serves (`ready 0` for a worker).
// The outage test (tests/e2e/outage-recovery.test.mjs) adds:
// - EFFECTS=identity: the handler's effect is keyed by the delivery's identity (a learner's
//   commenced/completed event, whichever delivery carried it: webhook or reconciled), in e2e_effects
//   (INSERT ... ON CONFLICT DO NOTHING), and every run is logged in e2e_runs (identity, delivery id,
//   reconciled), in one transaction; FAIL_PERCENT applies as below;
// - RECONCILE_EVERY_MS with RECONCILE_COURSES (comma-separated), COASSEMBLE_API_KEY,
//   COASSEMBLE_API_URL, RECONCILE_LEASE_MS: worker 0 runs inbox.start's scheduled reconciliation;
// - DASHBOARD_PORT: worker 0's inbox also serves the dashboard and /metrics there (stdout
//   `dashboard <port>` before `ready`).
// Handler rule by delivery id: an id containing `poison` always fails; `hang` never settles on its
// first run (the handler timeout ends it as a failed run; then it succeeds); `long` takes LONG_MS,
// longer than the lease (the heartbeat keeps it: exactly one effect, no takeover); otherwise a run
// fails when fnv1a("<id>:<attempt>") % 100 < FAIL_PERCENT. An ok run records its effect (INSERT ...
// ON CONFLICT DO NOTHING) and every finished run is logged, in one transaction, in the same database.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { openInbox } from 'coassemble-events/inbox';
import { createCoassembleApi } from 'coassemble-events/api';
import { createInboxDashboard } from 'coassemble-events/inbox/dashboard';
import { createInboxMetrics } from 'coassemble-events/inbox/metrics';

const env = (name, fallback) => process.env[name] ?? fallback;
const number = (name, fallback) => Number(env(name, fallback));
const url = env('DATABASE_URL', 'target/fault-inbox.db');
const role = env('ROLE', 'both');
const postgres = /^postgres(ql)?:\/\//.test(url);

/** FNV-1a, 32 bits: the failure rule, the same as the Rust receiver's. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

const EFFECTS_SCHEMA = `CREATE TABLE IF NOT EXISTS fault_effects (delivery_id TEXT PRIMARY KEY, attempt INTEGER NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS fault_runs (delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, outcome TEXT NOT NULL)`;

/**
 * A PostgreSQL pool on the inbox's database with `schema` created (under advisory lock `lock`, so
 * processes starting together do not race), and `transaction(statements)`: `[text, values]` pairs
 * run in one transaction.
 */
async function openPostgresEffects(lock, schema) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // A server that goes away mid-transaction fails the query (the run is not recorded, its lease
  // expires, it runs again); without these listeners the connection's 'error' would end the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  await pool.query(`SELECT pg_advisory_xact_lock(${lock}); ${schema}`);
  return async function transaction(statements) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const [text, values] of statements) await client.query(text, values);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
}

/** The effect store, on the inbox's database; `record` writes a run (and an ok run's effect) atomically. */
async function openEffects() {
  if (postgres) {
    const transaction = await openPostgresEffects(77, EFFECTS_SCHEMA);
    return {
      record: (id, attempt, outcome) => transaction([
        ...(outcome === 'ok' ? [['INSERT INTO fault_effects VALUES ($1, $2, $3) ON CONFLICT (delivery_id) DO NOTHING', [id, attempt, Date.now()]]] : []),
        ['INSERT INTO fault_runs VALUES ($1, $2, $3)', [id, attempt, outcome]],
      ]),
    };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(url, { timeout: 10_000 });
  db.exec(EFFECTS_SCHEMA);
  const effect = db.prepare('INSERT INTO fault_effects VALUES (?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING');
  const run = db.prepare('INSERT INTO fault_runs VALUES (?, ?, ?)');
  const record = db.transaction((id, attempt, outcome) => {
    if (outcome === 'ok') effect.run(id, attempt, Date.now());
    run.run(id, attempt, outcome);
  });
  return { record: async (id, attempt, outcome) => record.immediate(id, attempt, outcome) };
}

const IDENTITY_SCHEMA = `CREATE TABLE IF NOT EXISTS e2e_effects (identity TEXT PRIMARY KEY, delivery_id TEXT NOT NULL, reconciled BOOLEAN NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS e2e_runs (identity TEXT NOT NULL, delivery_id TEXT NOT NULL, reconciled BOOLEAN NOT NULL, attempt INTEGER NOT NULL)`;

/** EFFECTS=identity (PostgreSQL): one effect per identity, every run logged, atomically. */
async function openIdentityEffects() {
  const transaction = await openPostgresEffects(78, IDENTITY_SCHEMA);
  return {
    record: (delivery) => transaction([
      ['INSERT INTO e2e_effects VALUES ($1, $2, $3, $4) ON CONFLICT (identity) DO NOTHING', [delivery.identity, delivery.id, delivery.reconciled, Date.now()]],
      ['INSERT INTO e2e_runs VALUES ($1, $2, $3, $4)', [delivery.identity, delivery.id, delivery.reconciled, delivery.attempt]],
    ]),
  };
}

/** Opens the inbox, retrying while the database is down (a restart during the PostgreSQL outage). */
async function open(options) {
  for (;;) {
    try {
      return await openInbox(url, { onError: () => {}, ...options });
    } catch (error) {
      console.error(`inbox-receiver: ${error.message}; retrying`);
      await sleep(200);
    }
  }
}

const secrets = [env('COASSEMBLE_WEBHOOK_SECRET', 'whsec_demo')];
const retryMs = number('RETRY_MS', 100);
const leaseMs = number('LEASE_MS', 6000);
const inboxOptions = {
  secrets,
  // The lifecycle, written on the rows this process stores (intake options).
  maxAttempts: number('MAX_ATTEMPTS', 4),
  firstRetryMs: retryMs,
  maxRetryMs: retryMs * 8,
  leaseMs,
  handlerTimeoutMs: number('HANDLER_TIMEOUT_MS', leaseMs * 2),
  bodyTimeoutMs: number('BODY_TIMEOUT_MS', 10_000),
};
const longMs = number('LONG_MS', Math.floor((leaseMs * 3) / 2));
if (longMs >= inboxOptions.handlerTimeoutMs) console.error('inbox-receiver: LONG_MS >= HANDLER_TIMEOUT_MS: `long` runs will time out');

if (role === 'both' || role === 'worker') {
  const failPercent = number('FAIL_PERCENT', 10);
  const handlerMs = number('HANDLER_MS', 5);
  const slowMs = number('SLOW_MS', 4000);
  let effects = null;
  const byIdentity = env('EFFECTS', 'delivery') === 'identity';
  const handler = byIdentity ? async (delivery) => {
    if (delivery.identity === null) return;
    await sleep(handlerMs);
    effects ??= await openIdentityEffects();
    await effects.record(delivery);
  } : async (delivery, { signal }) => {
    // A hung first run: never settles (the inbox's handler timeout ends it); nothing is recorded.
    if (delivery.id.includes('hang') && delivery.attempt === 1) return new Promise(() => {});
    const slow = delivery.id.includes('slow') && delivery.attempt === 1;
    const long = delivery.id.includes('long');
    await sleep(long ? longMs : slow ? slowMs : handlerMs);
    // The run was given up (timed out, or its lease lost): record nothing, as a crashed run would.
    if (signal.aborted) return;
    const fails = delivery.id.includes('poison') || fnv1a(`${delivery.id}:${delivery.attempt}`) % 100 < failPercent;
    const outcome = fails ? 'fail' : 'ok';
    effects ??= await openEffects();
    await effects.record(delivery.id, delivery.attempt, outcome);
    if (fails) throw new Error(`injected failure on run ${delivery.attempt}`);
  };
  for (let n = 0; n < number('WORKERS', 2); n++) {
    const inbox = await open({ ...inboxOptions, workerId: `pid${process.pid}-${n}` });
    let reconcile;
    if (n === 0 && process.env.RECONCILE_EVERY_MS) {
      const api = createCoassembleApi({ apiKey: env('COASSEMBLE_API_KEY'), baseUrl: env('COASSEMBLE_API_URL') });
      const courseIds = env('RECONCILE_COURSES', '').split(',').filter(Boolean).map(Number);
      reconcile = { api, courseIds, everyMs: number('RECONCILE_EVERY_MS'), leaseMs: number('RECONCILE_LEASE_MS', 10_000) };
    }
    if (n === 0 && process.env.DASHBOARD_PORT) {
      const dashboard = createInboxDashboard(inbox, { token: null });
      const metrics = createInboxMetrics(inbox);
      const server = createServer((req, res) => (req.url.split('?')[0] === '/metrics' ? metrics.handler(req, res) : dashboard(req, res)));
      await new Promise((resolve) => server.listen(number('DASHBOARD_PORT'), '127.0.0.1', resolve));
      console.log(`dashboard ${server.address().port}`);
    }
    // A `long` run outlives its lease: the heartbeat (every LEASE_MS / 3) keeps it.
    inbox.start(handler, { concurrency: byIdentity ? 8 : 4, pollMs: 50, ...(reconcile ? { reconcile } : {}) });
  }
}

if (role === 'worker') {
  console.log('ready 0');
} else {
  const inbox = await open({ ...inboxOptions, workerId: `pid${process.pid}-intake` });
  const server = createServer(inbox.nodeListener);
  server.listen(number('PORT', 0), '127.0.0.1', () => console.log(`ready ${server.address().port}`));
}
