// The inbox under faults, end to end: real receiver processes on one database, a sender that behaves
// like Coassemble, processes SIGKILLed mid-handler, PostgreSQL stopped for a few seconds, handlers
// failing 10 % of the time. At the end every delivery's effect is recorded exactly once, nothing is
// stuck in a lease, and the dead letters are exactly the deliveries whose handler failed every run.
//
// The receivers, Rust (tests/support/inbox_receiver.rs, which documents the interface) and Node
// (tests/support/inbox-receiver.mjs), speak one interface: env DATABASE_URL,
// COASSEMBLE_WEBHOOK_SECRET, PORT, ROLE, WORKERS, HANDLER_MS, FAIL_PERCENT, MAX_ATTEMPTS, LEASE_MS,
// RETRY_MS; stdout `ready <port>`; ROLE=report prints the inbox, effects and runs as JSON.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPostgres } from '../support/postgres.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUST_RECEIVER = join(root, 'target/debug/examples/inbox_test_receiver');
// The Node receiver speaks the same interface (tests/support/inbox-receiver.mjs); the runs mix both.
const NODE_RECEIVER = [process.execPath, join(root, 'tests/support/inbox-receiver.mjs')];
const RUST = [RUST_RECEIVER];
const SECRET = 'whsec_fault_test';
const MAX_ATTEMPTS = 4;
const FAIL_PERCENT = 10;
// Coassemble: 10 s timeout, 4 attempts; its backoff (minutes) compressed to seconds. The three waits
// add up to 7 s, longer than the PostgreSQL outage below.
const SENDER = { timeoutMs: 10_000, attempts: 4, waitsMs: [1000, 2000, 4000] };

before(() => {
  // Built by `cargo test` in npm test already; a no-op then.
  execFileSync('cargo', ['build', '--quiet', '--example', 'inbox_test_receiver', '--features', 'inbox-sqlite,inbox-postgres'],
    { cwd: root, stdio: 'inherit' });
});

/** FNV-1a, 32 bits: the receivers' failure rule (tests/support/inbox_receiver.rs). */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}
const failsOnRun = (id, attempt) => id.includes('poison') || fnv1a(`${id}:${attempt}`) % 100 < FAIL_PERCENT;
const failsEveryRun = (id) => Array.from({ length: MAX_ATTEMPTS }, (_, n) => n + 1).every((a) => failsOnRun(id, a));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** A receiver process on a fixed port (the same again after a restart, as behind a load balancer). */
class Receiver {
  constructor(name, env, command = RUST) {
    this.name = name;
    this.env = env;
    this.command = command;
    this.log = [];
  }

  async start() {
    const [program, ...args] = this.command;
    const child = spawn(program, args, {
      env: { ...process.env, ...this.env, PORT: String(this.env.PORT ?? 0) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.on('data', (chunk) => { this.log.push(String(chunk)); if (this.log.length > 200) this.log.shift(); });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.exited = exited;
    await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const ready = /^ready (\d+)$/m.exec(out);
        if (ready) resolve(Number(ready[1]));
      });
      exited.then((code) => reject(new Error(`${this.name} exited (${code}) before ready:\n${this.log.join('')}`)));
    });
  }

  async kill() {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function report(databaseUrl, onlyId) {
  const env = { ...process.env, DATABASE_URL: databaseUrl, ROLE: 'report' };
  if (onlyId) env.REPORT_ID = onlyId;
  const { stdout } = await promisify(execFile)(RUST_RECEIVER, [], { env, maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/**
 * SIGKILLs the receiver whose worker is running the (4 s) first run of the slow delivery `id`, then
 * starts it again: a kill that lands mid-handler by construction. Returns the receiver's name.
 */
async function killHolder(databaseUrl, receivers, id) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = (await report(databaseUrl, id)).inbox;
    const owner = row && row[1] === 'processing' && /^pid(\d+)-/.exec(row[4]);
    const holder = owner && receivers.find((r) => r.child.pid === Number(owner[1]));
    if (holder) {
      await holder.kill();
      await holder.start();
      return holder.name;
    }
    assert.ok(Date.now() < deadline, `${id} was never seen processing: ${JSON.stringify(row)}`);
    await sleep(100);
  }
}

function signedDelivery(id) {
  const body = JSON.stringify({
    id: `evt_${id}`, type: 'course.completed', occurredAt: new Date().toISOString(), workspaceId: 1,
    data: {
      course: { id: 981, title: 'Onboarding', key: 'onb-1', clientIdentifier: null },
      tracking: { id: 5551, identifier: `learner-${id}`, email: null, commenced: null, completed: null, totalTime: 60 },
    },
  });
  return () => {
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'X-Coassemble-Event': 'course.completed',
        'X-Coassemble-Delivery': id,
        'X-Coassemble-Timestamp': String(timestamp),
        'X-Coassemble-Signature': 'sha256=' + createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex'),
      },
    };
  };
}

/**
 * Sends deliveries as Coassemble does: up to 4 attempts, the same delivery id each time, a retry only
 * for a non-2xx answer, a timeout or a refused connection. `twice` sends the first attempt to two
 * instances at once. Returns the latency of each successful attempt and the ids never acknowledged.
 */
async function sendAll({ ids, urls, concurrency, duplicates, twice, onProgress }) {
  const latencies = [];
  const unacknowledged = [];
  const statuses = {};
  const attempt = async (url, request) => {
    const started = performance.now();
    try {
      const res = await fetch(url, { method: 'POST', ...request, signal: AbortSignal.timeout(SENDER.timeoutMs) });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.ok) latencies.push(performance.now() - started);
      return res.ok;
    } catch (error) {
      statuses[error.name] = (statuses[error.name] ?? 0) + 1;
      return false;
    }
  };
  const deliver = async (id) => {
    const request = signedDelivery(id);
    for (let n = 0; n < SENDER.attempts; n++) {
      const pick = () => urls[Math.floor(Math.random() * urls.length)];
      const targets = n === 0 && twice.has(id) ? [urls[0], urls[1]] : [pick()];
      const results = await Promise.all(targets.map((url) => attempt(url, request())));
      if (results.some(Boolean)) return true;
      if (n < SENDER.waitsMs.length) await sleep(SENDER.waitsMs[n]);
    }
    return false;
  };
  const queue = [...ids, ...duplicates];
  let done = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (queue.length) {
      const id = queue.shift();
      if (!(await deliver(id))) unacknowledged.push(id);
      done++;
      await onProgress(done);
    }
  }));
  return { latencies, unacknowledged, statuses };
}

/** Waits until no delivery is received, processing or failed (all processed or dead), with a deadline. */
async function drained(databaseUrl, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const outcome = await report(databaseUrl);
    const open = outcome.inbox.filter(([, status]) => status !== 'processed' && status !== 'dead');
    if (open.length === 0) return outcome;
    if (Date.now() > deadline) {
      assert.fail(`not drained after ${deadlineMs} ms: ${open.length} open, e.g. ${JSON.stringify(open.slice(0, 5))}`);
    }
    await sleep(500);
  }
}

/** The end checks, the same for both backends; returns figures to print. */
function check(outcome, ids) {
  const sent = new Set(ids);
  const inbox = new Map(outcome.inbox.map(([id, status, attempts, lastError, leaseOwner, receivedAt]) =>
    [id, { status, attempts, lastError, leaseOwner, receivedAt }]));
  const effects = new Map();
  for (const [id, attempt, at] of outcome.effects) {
    assert.ok(!effects.has(id), `effect of ${id} recorded twice`);
    effects.set(id, { attempt, at });
  }
  const finishedRuns = new Map();
  for (const [id, attempt, result] of outcome.runs) {
    finishedRuns.set(`${id}:${attempt}`, result);
  }
  assert.equal(inbox.size, sent.size, 'one inbox row per delivery id, none lost, none extra');
  let dead = 0;
  let unfinishedRuns = 0;
  for (const id of sent) {
    const row = inbox.get(id);
    assert.ok(row, `${id} stored`);
    assert.equal(row.leaseOwner, '', `${id} not stuck in a lease`);
    for (let a = 1; a <= row.attempts; a++) if (!finishedRuns.has(`${id}:${a}`)) unfinishedRuns++;
    if (failsEveryRun(id)) assert.equal(row.status, 'dead', `${id} fails every run: dead`);
    if (row.status === 'processed') {
      assert.ok(effects.has(id), `${id} processed, its effect recorded`);
      assert.equal(finishedRuns.get(`${id}:${effects.get(id).attempt}`), 'ok', `${id}: the effect is an ok run's`);
    } else {
      assert.equal(row.status, 'dead', `${id} processed or dead`);
      assert.ok(!effects.has(id), `${id} dead without an effect`);
      assert.equal(row.attempts, MAX_ATTEMPTS, `${id} dead after ${MAX_ATTEMPTS} runs`);
      for (let a = 1; a <= row.attempts; a++) {
        // Every run of a dead delivery failed: by the failure rule, or its worker died (no outcome).
        const result = finishedRuns.get(`${id}:${a}`);
        assert.ok(result === undefined ? true : result === 'fail' && failsOnRun(id, a), `${id} run ${a}: ${result}`);
      }
      dead++;
    }
  }
  for (const id of effects.keys()) assert.ok(sent.has(id), `effect of an unknown delivery ${id}`);
  const e2e = [...effects].map(([id, { at }]) => at - inbox.get(id).receivedAt).sort((a, b) => a - b);
  return { dead, unfinishedRuns, e2e };
}

function summary(label, { seconds, sent, latencies, statuses, e2e, dead, unfinishedRuns, reRuns }) {
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`# ${label}: ${sent} deliveries in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s overall, outage and restarts included)`);
  console.log(`#   intake latency of acknowledged attempts: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms; answers ${JSON.stringify(statuses)}`);
  console.log(`#   end to end (stored -> effect): p50 ${percentile(e2e, 50)} ms, p99 ${percentile(e2e, 99)} ms, max ${e2e.at(-1)} ms`);
  console.log(`#   dead letters ${dead}; runs cut off mid-handler or lost ${unfinishedRuns}; handler re-runs after a lost lease ${reRuns}`);
}

const reRunsOf = (outcome) => outcome.runs.filter(([, , result]) => result === 'ok').length - outcome.effects.length;

const workerEnv = (databaseUrl) => ({
  DATABASE_URL: databaseUrl, COASSEMBLE_WEBHOOK_SECRET: SECRET, ROLE: 'both', WORKERS: '2', HANDLER_MS: '5',
  FAIL_PERCENT: String(FAIL_PERCENT), MAX_ATTEMPTS: String(MAX_ATTEMPTS), LEASE_MS: '6000', SLOW_MS: '4000',
  RETRY_MS: '100',
});

async function withReceivers(t, receivers) {
  t.after(async () => {
    for (const r of receivers) if (r.child && r.child.exitCode === null && r.child.signalCode === null) await r.kill();
  });
  await Promise.all(receivers.map((r) => r.start()));
}

test('PostgreSQL, three receivers: SIGKILLs mid-handler, a database outage, failing handlers; every effect once', { timeout: 180_000 }, async (t) => {
  const pg = await startPostgres(t);
  const receivers = [];
  for (const [name, command] of [['a', RUST], ['b', RUST], ['c', NODE_RECEIVER]]) {
    receivers.push(new Receiver(name, { ...workerEnv(pg.url), PORT: await freePort() }, command));
  }
  t.after(() => { if (t.passed === false) for (const r of receivers) console.log(`# ${r.name} stderr:\n${r.log.join('')}`); });
  await withReceivers(t, receivers);
  const urls = receivers.map((r) => `http://127.0.0.1:${r.env.PORT}/webhooks`);

  // Every 500th delivery is poison: its handler always fails, so it must end dead. Two are slow: the
  // process running one is killed mid-handler.
  const kind = (n) => (n % 500 === 3 ? '-poison' : n === 1400 || n === 4100 ? '-slow' : '');
  const ids = Array.from({ length: 5000 }, (_, n) => `pg-${n}${kind(n)}-${randomUUID().slice(0, 8)}`);
  const duplicates = ids.filter((_, n) => n % 5 === 0); // 20 % sent again after their first success
  const twice = new Set(ids.filter((_, n) => n % 20 === 7)); // 5 % first sent to two instances at once
  const events = [];
  const faults = new Map([
    [1500, async () => { events.push(`killed ${await killHolder(pg.url, receivers, ids[1400])}`); }],
    [2800, async () => {
      await pg.stop(); events.push('postgres down');
      await sleep(3000);
      await pg.start(); events.push('postgres up');
    }],
    [4200, async () => { events.push(`killed ${await killHolder(pg.url, receivers, ids[4100])}`); }],
  ]);
  const pending = [];
  const started = performance.now();
  const sent = await sendAll({
    ids, urls, concurrency: 32, duplicates, twice,
    onProgress: async (done) => { const fault = faults.get(done); if (fault) pending.push(fault()); },
  });
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(events.map((e) => e.replace(/killed [abc]/, 'killed')), ['killed', 'postgres down', 'postgres up', 'killed']);
  assert.deepEqual(sent.unacknowledged, [], 'every delivery acknowledged within 4 attempts');
  assert.ok(sent.statuses[503] > 0, `receivers answered 503 during the outage: ${JSON.stringify(sent.statuses)}`);

  const outcome = await drained(pg.url, 60_000);
  const figures = check(outcome, ids);
  assert.ok(figures.dead >= 10, `the 10 poison deliveries are dead: ${figures.dead}`);
  assert.ok(figures.unfinishedRuns > 0, 'a kill landed mid-handler (a run without outcome, taken over)');
  summary('PostgreSQL, 3 receivers (2 Rust, 1 Node)', { seconds, sent: ids.length + duplicates.length, ...sent, ...figures, reRuns: reRunsOf(outcome) });
});

test('SQLite, two processes on one file: SIGKILL mid-handler, failing handlers; every effect once', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-fault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = join(dir, 'inbox.db');
  const receivers = [];
  for (const [name, command] of [['a', RUST], ['b', NODE_RECEIVER]]) {
    receivers.push(new Receiver(name, { ...workerEnv(databaseUrl), PORT: await freePort() }, command));
  }
  t.after(() => { if (t.passed === false) for (const r of receivers) console.log(`# ${r.name} stderr:\n${r.log.join('')}`); });
  // The first creates the schema alone; the second opens a ready file.
  await withReceivers(t, receivers.slice(0, 1));
  await withReceivers(t, receivers.slice(1));
  const urls = receivers.map((r) => `http://127.0.0.1:${r.env.PORT}/webhooks`);

  const kind = (n) => (n % 500 === 3 ? '-poison' : n === 800 ? '-slow' : '');
  const ids = Array.from({ length: 2000 }, (_, n) => `sq-${n}${kind(n)}-${randomUUID().slice(0, 8)}`);
  const duplicates = ids.filter((_, n) => n % 5 === 0);
  const twice = new Set(ids.filter((_, n) => n % 20 === 7));
  const pending = [];
  const started = performance.now();
  const sent = await sendAll({
    ids, urls, concurrency: 16, duplicates, twice,
    onProgress: async (done) => {
      if (done === 900) pending.push(killHolder(databaseUrl, receivers, ids[800]));
    },
  });
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(sent.unacknowledged, [], 'every delivery acknowledged within 4 attempts');

  const outcome = await drained(databaseUrl, 60_000);
  const figures = check(outcome, ids);
  assert.ok(figures.dead >= 4, `the 4 poison deliveries are dead: ${figures.dead}`);
  assert.ok(figures.unfinishedRuns > 0, 'the kill landed mid-handler (a run without outcome, taken over)');
  summary('SQLite, 2 processes (1 Rust, 1 Node)', { seconds, sent: ids.length + duplicates.length, ...sent, ...figures, reRuns: reRunsOf(outcome) });
});
