// What the inbox fault tests share (tests/inbox/*.test.mjs): the receiver processes, a sender that
// behaves like Coassemble, the outcome read straight from the database, and the end checks.
//
// The receivers, Rust (tests/support/inbox_receiver.rs) and Node (tests/support/inbox-receiver.mjs),
// speak one interface:
// - env DATABASE_URL (a SQLite path, or postgres://...; over TLS `?sslmode=verify-full&sslrootcert=<pem>`),
//   COASSEMBLE_WEBHOOK_SECRET, PORT (0: any), ROLE (both | receiver | worker), WORKERS;
// - intake options written on each row: MAX_ATTEMPTS, RETRY_MS (the first retry, in ms);
// - worker options: LEASE_MS (heartbeats every third of it; HEARTBEAT_MS, when a receiver reads it, says
//   the same), HANDLER_TIMEOUT_MS (a run that has not settled by then is a failed run);
// - the handler: HANDLER_MS a run takes; FAIL_PERCENT: a run fails when fnv1a("<id>:<attempt>") % 100 <
//   FAIL_PERCENT; ids containing `poison` fail every run; `slow`: the first run takes SLOW_MS; `hang`:
//   the first run never settles (then runs as usual); `long`: every run takes LONG_MS; an ok run records
//   its effect (fault_effects, ON CONFLICT DO NOTHING) and every finished run is logged (fault_runs), in
//   one transaction, in the inbox's database;
// - BODY_TIMEOUT_MS: a request body that has not fully arrived within it is answered 408 or its
//   connection closed (slowloris); bodies over the intake's limit (1 MiB by default) get 413;
// - worker ids `pid<process id>-<n>`; stdout `ready <port>` once it serves.
// The outcome (inbox rows, effects, runs) is read here, by the test's own client (pg, better-sqlite3):
// it needs no receiver, also during the PostgreSQL outage's aftermath.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const RUST = [join(root, 'target/debug/examples/inbox_test_receiver')];
export const NODE = [process.execPath, join(root, 'tests/support/inbox-receiver.mjs')];
export const SECRET = 'whsec_fault_test';
// Coassemble: 10 s timeout, 4 attempts; its backoff (minutes) compressed to seconds.
export const SENDER = { timeoutMs: 10_000, attempts: 4, waitsMs: [1000, 2000, 4000] };

let built = false;
/** Builds the Rust receiver (a no-op when `cargo test` in npm test built it already). */
export function buildRustReceiver() {
  if (built) return;
  execFileSync('cargo', ['build', '--quiet', '--example', 'inbox_test_receiver', '--features', 'inbox-sqlite,inbox-postgres'],
    { cwd: root, stdio: 'inherit' });
  built = true;
}

/** FNV-1a, 32 bits: the receivers' failure rule. */
export function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Waits for `condition()` (sync or async) to be truthy, polling; fails with `what` after `ms`. */
export async function waitFor(what, condition, { ms = 30_000, every = 100 } = {}) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    assert.ok(Date.now() < deadline, `${what}: not within ${ms} ms`);
    await sleep(every);
  }
}

/** A receiver process on a fixed port (the same again after a restart, as behind a load balancer). */
export class Receiver {
  constructor(name, env, command = RUST) {
    this.name = name;
    this.env = env;
    this.command = command;
    this.log = [];
  }

  get url() { return `http://127.0.0.1:${this.env.PORT}/webhooks`; }

  async start() {
    const [program, ...args] = this.command;
    const child = spawn(program, args, {
      env: { ...process.env, ...this.env, PORT: String(this.env.PORT ?? 0) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.on('data', (chunk) => { this.log.push(String(chunk)); if (this.log.length > 200) this.log.shift(); });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    this.exited = exited;
    await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const ready = /^ready (\d+)$/m.exec(out);
        if (ready) resolve(Number(ready[1]));
      });
      child.once('error', reject);
      exited.then((code) => reject(new Error(`${this.name} exited (${code}) before ready:\n${this.log.join('')}`)));
    });
  }

  get alive() { return this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async kill() {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Resident memory of the process, from /proc: `{ rss, hwm }` in bytes (VmRSS, VmHWM: the peak). */
  memory() {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  }
}

/** Starts the receivers (all at once), kills them after the test, prints their stderr if it failed. */
export async function withReceivers(t, receivers) {
  t.after(async () => {
    if (t.passed === false) for (const r of receivers) console.log(`# ${r.name} stderr:\n${r.log.join('')}`);
    for (const r of receivers) await r.kill();
  });
  await Promise.all(receivers.map((r) => r.start()));
}

/** The env of a receiver: intake and workers on `databaseUrl`, with `extra` over the defaults. */
export const receiverEnv = (databaseUrl, extra = {}) => ({
  DATABASE_URL: databaseUrl, COASSEMBLE_WEBHOOK_SECRET: SECRET, ROLE: 'both', WORKERS: '2', HANDLER_MS: '5',
  FAIL_PERCENT: '0', MAX_ATTEMPTS: '4', LEASE_MS: '6000', SLOW_MS: '4000', RETRY_MS: '100', ...extra,
});

/** Delivery bodies: a usual one, and one with integers no double holds (JSON's numbers are unbounded). */
export function bodyOf(id, kind = 'completed') {
  if (kind === 'bigint') {
    // Written by hand: JSON.stringify cannot write these numbers.
    return `{"id":"evt_${id}","type":"course.completed","occurredAt":"${new Date().toISOString()}","workspaceId":12345678901234567890,`
      + `"data":{"course":{"id":98765432109876543210987654321,"title":"Big","key":null,"clientIdentifier":null},`
      + `"tracking":{"id":-99999999999999999999,"identifier":"learner-${id}","email":null,"commenced":null,"completed":null,"totalTime":1e400}}}`;
  }
  return JSON.stringify({
    id: `evt_${id}`, type: 'course.completed', occurredAt: new Date().toISOString(), workspaceId: 1,
    data: {
      course: { id: 981, title: 'Onboarding', key: 'onb-1', clientIdentifier: null },
      tracking: { id: 5551, identifier: `learner-${id}`, email: null, commenced: null, completed: null, totalTime: 60 },
    },
  });
}

/** A function that signs `body` for delivery `id` now (each attempt is signed again, as Coassemble does). */
export function signer(id, body, secret = SECRET) {
  return () => {
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'X-Coassemble-Event': 'course.completed',
        'X-Coassemble-Delivery': id,
        'X-Coassemble-Timestamp': String(timestamp),
        'X-Coassemble-Signature': 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'),
      },
    };
  };
}

/**
 * Sends deliveries as Coassemble does: up to 4 attempts, the same delivery id each time, a retry only
 * for a non-2xx answer, a timeout or a refused connection. `twice` sends the first attempt to two
 * instances at once; `bodies` maps an id to its body (default bodyOf(id)). Returns the latency of each
 * successful attempt, the ids never acknowledged, the count of each answer, and every attempt
 * `{ id, url, status, started, answered }` (performance.now() times). `onProgress(done, id)` runs after
 * each delivery's last attempt. `signal` stops sending (a fault
 * that failed ends the test at once, not after every remaining delivery timed out).
 */
export async function sendAll({ ids, urls, concurrency, duplicates = [], twice = new Set(), bodies = new Map(), onProgress = async () => {}, signal }) {
  const latencies = [];
  const unacknowledged = [];
  const statuses = {};
  const attempts = [];
  const attempt = async (id, url, request) => {
    const started = performance.now();
    let status;
    try {
      const timeout = AbortSignal.timeout(SENDER.timeoutMs);
      const res = await fetch(url, { method: 'POST', ...request, signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
      await res.arrayBuffer();
      status = res.status;
    } catch (error) {
      status = error.name === 'TypeError' ? (error.cause?.code ?? 'TypeError') : error.name;
    }
    const answered = performance.now();
    statuses[status] = (statuses[status] ?? 0) + 1;
    attempts.push({ id, url, status, started, answered });
    if (status >= 200 && status < 300) latencies.push(answered - started);
    return status >= 200 && status < 300;
  };
  const deliver = async (id) => {
    const request = signer(id, bodies.get(id) ?? bodyOf(id));
    for (let n = 0; n < SENDER.attempts; n++) {
      const pick = () => urls[Math.floor(Math.random() * urls.length)];
      const targets = n === 0 && twice.has(id) ? [urls[0], urls[1]] : [pick()];
      const results = await Promise.all(targets.map((url) => attempt(id, url, request())));
      if (results.some(Boolean)) return true;
      if (signal?.aborted) return false;
      if (n < SENDER.waitsMs.length) await sleep(SENDER.waitsMs[n]);
    }
    return false;
  };
  const queue = [...ids, ...duplicates];
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (queue.length && !signal?.aborted) {
      const id = queue.shift();
      if (!(await deliver(id))) unacknowledged.push(id);
      done++;
      await onProgress(done, id);
    }
  }));
  return { latencies, unacknowledged, statuses, attempts };
}

const isPostgres = (url) => /^postgres(ql)?:\/\//.test(url);

/**
 * Reads the outcome from the database: `{ inbox, effects, runs }`, inbox rows as objects
 * `{ id, status, attempts, maxAttempts, retryFirstMs, lastError, leaseOwner, receivedAt, processedAt }`,
 * effects `[id, attempt, at]`, runs `[id, attempt, outcome]`; `onlyId` reads that row alone. The effect
 * tables exist once a handler ran: before, they read as empty. A database that is down fails the call.
 */
export async function report(databaseUrl, onlyId) {
  const inboxSql = `SELECT delivery_id, status, attempts, max_attempts, retry_first_ms, COALESCE(last_error, '') AS last_error,
    COALESCE(lease_owner, '') AS lease_owner, received_at, COALESCE(processed_at, 0) AS processed_at FROM coassemble_webhook_inbox`;
  const rowOf = (r) => ({
    id: r.delivery_id, status: r.status, attempts: Number(r.attempts), maxAttempts: Number(r.max_attempts),
    retryFirstMs: Number(r.retry_first_ms), lastError: r.last_error, leaseOwner: r.lease_owner,
    receivedAt: Number(r.received_at), processedAt: Number(r.processed_at),
  });
  const missingTable = (error) => /no such table|does not exist/.test(error.message);
  if (isPostgres(databaseUrl)) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
    client.on('error', () => {});
    await client.connect();
    try {
      const q = async (sql, params = []) => {
        try { return (await client.query(sql, params)).rows; } catch (error) { if (missingTable(error)) return []; throw error; }
      };
      const inbox = (await q(onlyId ? `${inboxSql} WHERE delivery_id = $1` : inboxSql, onlyId ? [onlyId] : [])).map(rowOf);
      if (onlyId) return { inbox, effects: [], runs: [] };
      const effects = (await q('SELECT delivery_id, attempt, at FROM fault_effects')).map((r) => [r.delivery_id, r.attempt, Number(r.at)]);
      const runs = (await q('SELECT delivery_id, attempt, outcome FROM fault_runs')).map((r) => [r.delivery_id, r.attempt, r.outcome]);
      return { inbox, effects, runs };
    } finally {
      await client.end().catch(() => {});
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(databaseUrl, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    const q = (sql, ...params) => {
      try { return db.prepare(sql).all(...params); } catch (error) { if (missingTable(error)) return []; throw error; }
    };
    const inbox = q(onlyId ? `${inboxSql} WHERE delivery_id = ?` : inboxSql, ...(onlyId ? [onlyId] : [])).map(rowOf);
    if (onlyId) return { inbox, effects: [], runs: [] };
    const effects = q('SELECT delivery_id, attempt, at FROM fault_effects').map((r) => [r.delivery_id, r.attempt, Number(r.at)]);
    const runs = q('SELECT delivery_id, attempt, outcome FROM fault_runs').map((r) => [r.delivery_id, r.attempt, r.outcome]);
    return { inbox, effects, runs };
  } finally {
    db.close();
  }
}

/** The stored body of each of `ids`, as bytes (Buffer), read by the test's own client. */
export async function storedBodies(databaseUrl, ids) {
  if (isPostgres(databaseUrl)) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => {});
    await client.connect();
    try {
      const { rows } = await client.query('SELECT delivery_id, body FROM coassemble_webhook_inbox WHERE delivery_id = ANY($1)', [ids]);
      return new Map(rows.map((r) => [r.delivery_id, Buffer.from(r.body)]));
    } finally {
      await client.end().catch(() => {});
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(databaseUrl, { readonly: true, fileMustExist: true });
  try {
    const get = db.prepare('SELECT body FROM coassemble_webhook_inbox WHERE delivery_id = ?');
    return new Map(ids.map((id) => [id, Buffer.from(get.get(id)?.body ?? '')]));
  } finally {
    db.close();
  }
}

/**
 * SIGKILLs the receiver whose worker is running the (SLOW_MS) first run of the slow delivery `id`, then
 * starts it again: a kill that lands mid-handler by construction. Returns the receiver's name.
 */
export async function killHolder(databaseUrl, receivers, id) {
  const holder = await waitFor(`${id} seen processing`, async () => {
    const [row] = (await report(databaseUrl, id).catch(() => ({ inbox: [] }))).inbox;
    const owner = row && row.status === 'processing' && /^pid(\d+)-/.exec(row.leaseOwner);
    return owner && receivers.find((r) => r.alive && r.child.pid === Number(owner[1]));
  }, { ms: 90_000 }); // its first run starts once the backlog before it is worked off
  await holder.kill();
  await holder.start();
  return holder.name;
}

/** Waits until no delivery is received, processing or failed (all processed or dead), with a deadline. */
export async function drained(databaseUrl, deadlineMs, expected) {
  let last;
  try {
    return await waitFor('drained', async () => {
      last = await report(databaseUrl).catch((error) => ({ error }));
      if (last.error) return false;
      const open = last.inbox.filter(({ status }) => status !== 'processed' && status !== 'dead');
      return open.length === 0 && (expected === undefined || last.inbox.length >= expected) && last;
    }, { ms: deadlineMs, every: 500 });
  } catch (error) {
    const open = last?.inbox?.filter(({ status }) => status !== 'processed' && status !== 'dead') ?? [];
    error.message += `: ${open.length} open, e.g. ${JSON.stringify(open.slice(0, 5))}${last?.error ? `; last read failed: ${last.error.message}` : ''}`;
    throw error;
  }
}

/**
 * The headline checks: one row per delivery id (none lost, none extra), none stuck in a lease, each
 * processed delivery's effect recorded exactly once by an ok run, each dead one failed every run, the
 * intake's lifecycle options on every row. `failsOnRun(id, attempt)` is the failure rule. Returns
 * figures to print, and the rows and effects by id.
 */
export function check(outcome, ids, { maxAttempts, retryMs, failsOnRun }) {
  const sent = new Set(ids);
  const inbox = new Map(outcome.inbox.map((row) => [row.id, row]));
  const effects = new Map();
  for (const [id, attempt, at] of outcome.effects) {
    assert.ok(!effects.has(id), `effect of ${id} recorded twice`);
    effects.set(id, { attempt, at });
  }
  const finishedRuns = new Map();
  for (const [id, attempt, result] of outcome.runs) finishedRuns.set(`${id}:${attempt}`, result);
  const failsEveryRun = (id) => Array.from({ length: maxAttempts }, (_, n) => n + 1).every((a) => failsOnRun(id, a));
  assert.equal(inbox.size, sent.size, 'one inbox row per delivery id, none lost, none extra');
  let dead = 0;
  let unfinishedRuns = 0;
  const runsOf = (id) => outcome.runs.filter(([runId]) => runId === id).map(([, attempt, result]) => `${attempt}:${result}`).join(' ');
  for (const id of sent) {
    const row = inbox.get(id);
    assert.ok(row, `${id} stored`);
    // What a failed check below prints about the delivery: its row, its finished runs, its effect.
    const about = () => `${JSON.stringify(row)}; runs ${runsOf(id) || 'none'}; effect ${JSON.stringify(effects.get(id) ?? null)}`;
    assert.equal(row.leaseOwner, '', `${id} not stuck in a lease: ${about()}`);
    assert.equal(row.maxAttempts, maxAttempts, `${id}: the intake wrote MAX_ATTEMPTS on the row`);
    if (retryMs !== undefined) assert.equal(row.retryFirstMs, retryMs, `${id}: the intake wrote RETRY_MS on the row`);
    for (let a = 1; a <= row.attempts; a++) if (!finishedRuns.has(`${id}:${a}`)) unfinishedRuns++;
    if (failsEveryRun(id)) assert.equal(row.status, 'dead', `${id} fails every run: dead: ${about()}`);
    if (row.status === 'processed') {
      assert.ok(effects.has(id), `${id} processed, its effect recorded: ${about()}`);
      assert.equal(finishedRuns.get(`${id}:${effects.get(id).attempt}`), 'ok', `${id}: the effect is an ok run's: ${about()}`);
    } else {
      assert.equal(row.status, 'dead', `${id} processed or dead: ${about()}`);
      assert.ok(!effects.has(id), `${id} dead without an effect: ${about()}`);
      assert.equal(row.attempts, maxAttempts, `${id} dead after ${maxAttempts} runs: ${about()}`);
      for (let a = 1; a <= row.attempts; a++) {
        // Every run of a dead delivery failed: by the failure rule, or its worker died (no outcome).
        const result = finishedRuns.get(`${id}:${a}`);
        assert.ok(result === undefined ? true : result === 'fail' && failsOnRun(id, a), `${id} run ${a}: ${result}: ${about()}`);
      }
      dead++;
    }
  }
  for (const id of effects.keys()) assert.ok(sent.has(id), `effect of an unknown delivery ${id}`);
  const e2e = [...effects].map(([id, { at }]) => at - inbox.get(id).receivedAt).sort((a, b) => a - b);
  const reRuns = outcome.runs.filter(([, , result]) => result === 'ok').length - outcome.effects.length;
  return { dead, unfinishedRuns, e2e, reRuns, inbox, effects, finishedRuns };
}

export function summary(label, { seconds, sent, latencies, statuses, e2e, dead, unfinishedRuns, reRuns, attempts, receivers }) {
  const sorted = [...latencies].sort((a, b) => a - b);
  if (attempts && receivers) {
    // Intake latency per receiver (acknowledged attempts): which implementation is the slow one.
    const per = receivers.map((r) => {
      const ms = attempts.filter((a) => a.url === r.url && a.status === 200).map((a) => a.answered - a.started).sort((a, b) => a - b);
      return `${r.name} (${r.command === NODE ? 'Node' : 'Rust'}) p50 ${percentile(ms, 50).toFixed(1)} / p99 ${percentile(ms, 99).toFixed(1)} ms`;
    });
    console.log(`# ${label}: intake latency per receiver: ${per.join('; ')}`);
  }
  console.log(`# ${label}: ${sent} deliveries in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s overall, faults included)`);
  console.log(`#   intake latency of acknowledged attempts: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms; answers ${JSON.stringify(statuses)}`);
  console.log(`#   end to end (stored -> effect): p50 ${percentile(e2e, 50)} ms, p99 ${percentile(e2e, 99)} ms, max ${e2e.at(-1)} ms`);
  console.log(`#   dead letters ${dead}; runs cut off mid-handler or lost ${unfinishedRuns}; handler re-runs after a lost lease ${reRuns}`);
}
