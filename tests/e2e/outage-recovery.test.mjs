// The headline of issue 17: a receiver fleet that is down for longer than Coassemble's whole retry
// window loses webhooks for good; reconciliation finds them again through the trackings API, and every
// learner's commenced and completed effect happens exactly once.
//
// Real processes, real HTTP, real PostgreSQL: the platform emulator (startPlatform, time-compressed:
// the 36-minute retry window in ~4 s) sends signed webhooks to one endpoint, a small round-robin proxy
// in front of the fleet: two Node receivers (tests/support/inbox-receiver.mjs: intake, workers, and the
// scheduled reconciliation under the lock row) and the Rust receiver (intake only; it computes the
// same identity, so a late webhook it takes is a duplicate too). 500 learners commence two courses and
// about two thirds complete; the fleet is killed; the last third completes while it is down, and the
// platform gives up on those deliveries (state `lost`); the fleet comes back, the schedule recovers
// them, and a manual `coassemble-events inbox reconcile` finds nothing more to do. Late copies of
// the lost webhooks, sent after their reconciled twins, are duplicates. The handler's effect is keyed
// by identity (e2e_effects), and every run is logged (e2e_runs) to catch a second delivery of one
// identity running. Waits are on conditions with generous deadlines, never fixed sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPlatform, signWebhook } from 'coassemble-events/testing';
import { startPostgres, freshDatabase } from '../support/postgres.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUST_RECEIVER = join(root, 'target/debug/examples/inbox_test_receiver');
const SECRET = 'whsec_outage_recovery';
const LEARNERS = 500;
const COURSES = [981, 982];
const TIME_SCALE = 600; // 1 min, 5 min, 30 min → 0.1 s, 0.5 s, 3 s; attempt timeout 1 s.

/** Polls `check` until it returns a truthy value; fails with `what` after `ms`. */
async function until(what, check, ms = 60_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A child process that prints `ready <port>` (and maybe `dashboard <port>`) once it serves. */
function startProcess(name, program, args, env) {
  const child = spawn(program, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log.push(String(chunk));
      out += chunk;
      const port = /^ready (\d+)$/m.exec(out);
      if (port) resolve({ port: Number(port[1]), dashboard: Number(/^dashboard (\d+)$/m.exec(out)?.[1] ?? 0) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => log.push(String(chunk)));
    exited.then((code) => reject(new Error(`${name} exited (${code}) before ready:\n${log.join('')}`)));
  });
  return { name, child, ready, exited, log, kill: () => (child.exitCode === null ? (child.kill('SIGKILL'), exited) : exited) };
}

/** A round-robin HTTP proxy over the live receivers: 502 when none answers (the fleet is down). */
async function startProxy() {
  let backends = [];
  let next = 0;
  const forward = (port, req, body) => new Promise((resolve, reject) => {
    const out = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    out.on('error', reject);
    out.end(body);
  });
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    for (let tries = 0; tries < backends.length; tries++) {
      const port = backends[next++ % backends.length];
      try {
        const answer = await forward(port, req, body);
        res.writeHead(answer.status, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
        return res.end(answer.body);
      } catch {
        // That receiver is down: the next one.
      }
    }
    res.writeHead(502);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    set: (ports) => {
      backends = ports;
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

test('a fleet down past the retry window loses webhooks; reconciliation recovers each exactly once', { timeout: 180_000 }, async (t) => {
  const started = Date.now();
  const pg = await startPostgres(t);
  const databaseUrl = await freshDatabase(pg.url, 'outage');
  const platform = await startPlatform({ timeScale: TIME_SCALE, courses: COURSES.map((id) => ({ id, title: `Course ${id}` })) });
  t.after(() => platform.close());
  const proxy = await startProxy();
  t.after(() => proxy.close());
  platform.addEndpoint({ url: proxy.url, secret: SECRET, events: ['course.commenced', 'course.completed'] });

  const receiverEnv = {
    DATABASE_URL: databaseUrl,
    COASSEMBLE_WEBHOOK_SECRET: SECRET,
    PORT: '0',
    ROLE: 'both',
    WORKERS: '1',
    FAIL_PERCENT: '0',
    HANDLER_MS: '1',
    EFFECTS: 'identity',
    RECONCILE_EVERY_MS: '1500',
    // A run holds the lock this long; a receiver killed mid-run (step 2) leaves it held until then.
    RECONCILE_LEASE_MS: '5000',
    RECONCILE_COURSES: COURSES.join(','),
    COASSEMBLE_API_KEY: platform.apiKey,
    COASSEMBLE_API_URL: platform.baseUrl,
    DASHBOARD_PORT: '0',
  };
  const rust = existsSync(RUST_RECEIVER);
  if (!rust) t.diagnostic(`no ${RUST_RECEIVER} (cargo test builds it): the fleet is Node only`);
  let fleet = [];
  async function fleetUp() {
    fleet = [
      startProcess('node-a', process.execPath, ['tests/support/inbox-receiver.mjs'], receiverEnv),
      startProcess('node-b', process.execPath, ['tests/support/inbox-receiver.mjs'], receiverEnv),
      ...(rust ? [startProcess('rust', RUST_RECEIVER, [], { DATABASE_URL: databaseUrl, COASSEMBLE_WEBHOOK_SECRET: SECRET, PORT: '0', ROLE: 'receiver' })] : []),
    ];
    const ready = await Promise.all(fleet.map((p) => p.ready));
    proxy.set(ready.map((r) => r.port));
    return ready;
  }
  t.after(() => Promise.all(fleet.map((p) => p.kill())));

  const { default: pgClient } = await import('pg');
  const db = new pgClient.Pool({ connectionString: databaseUrl, max: 2 });
  db.on('error', () => {}); // idle clients when the server stops at the end
  t.after(() => db.end());
  const count = async (sql) => Number((await db.query(sql).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);
  const effects = () => count('SELECT count(*) AS n FROM e2e_effects');

  // ---- 1. The fleet is up: 500 learners commence, two thirds complete.
  await fleetUp();
  const learners = Array.from({ length: LEARNERS }, (_, n) => ({ identifier: `learner-${n}`, courseId: COURSES[n % COURSES.length] }));
  const lostLearners = learners.filter((_, n) => n % 3 === 2); // completed while the fleet is down
  // In waves of 50 learners, as a day of learners would (1,000 at the same millisecond would only
  // measure this 2-core machine: an attempt unanswered within 1 s is a failed attempt).
  for (let i = 0; i < learners.length; i += 50) {
    const wave = learners.slice(i, i + 50);
    for (const l of wave) platform.learn({ ...l, progress: [10] });
    for (const l of wave) if (!lostLearners.includes(l)) platform.learn({ ...l, progress: [100], complete: true });
    await platform.settled();
  }
  // Deliveries lost while the fleet was up (a slow machine: 4 attempts unanswered within 1 s) are
  // recovered by the schedule too; they are reported, and not counted as the outage's.
  const lostFirst = new Set(platform.outcomes().filter((d) => d.state === 'lost').map((d) => d.id));
  if (lostFirst.size) t.diagnostic(`${lostFirst.size} deliveries lost while the fleet was up (attempts timed out)`);
  const deliveredFirst = LEARNERS + (LEARNERS - lostLearners.length);
  await until('the first events to be processed', async () => (await effects()) === deliveredFirst);

  // ---- 2. The fleet goes down for longer than the whole retry window; a third complete meanwhile.
  await Promise.all(fleet.map((p) => p.kill()));
  const downAt = Date.now();
  for (const l of lostLearners) platform.learn({ ...l, progress: [100], complete: true });
  await platform.settled(); // every attempt made: 4 each, the last one ~3.6 s (36 min scaled) later
  const lost = platform.outcomes().filter((d) => d.state === 'lost' && !lostFirst.has(d.id));
  assert.equal(lost.length, lostLearners.length, 'every completion sent while the fleet was down is lost for good');
  assert.ok(lost.every((d) => d.attempts.length === 4 && d.event === 'course.completed'));
  const downMs = Date.now() - downAt;
  assert.ok(downMs > 3_600 + 100, `down for ${downMs} ms, longer than the scaled 36-minute window`);
  assert.equal(await effects(), deliveredFirst, 'nothing processed while down');

  // ---- 3. The fleet comes back: the schedule (one instance at a time) recovers the lost completions.
  const recoveredAt = Date.now();
  const [a, b] = await fleetUp();
  await until('every event to have its effect', async () => (await effects()) === LEARNERS * 2, 60_000);
  t.diagnostic(`recovered ${lostLearners.length} lost completions ${Date.now() - recoveredAt} ms after the fleet came back`);

  // Late copies of the lost webhooks (Coassemble re-sending them, signed now, same delivery ids),
  // after their reconciled twins: duplicates, through every receiver of the fleet.
  for (const d of lost.slice(0, 30)) {
    const signed = signWebhook({ secret: SECRET, body: d.body, deliveryId: d.id, event: d.event });
    const answer = await fetch(proxy.url, { method: 'POST', headers: signed.headers, body: signed.body });
    assert.equal(answer.status, 200);
    // The Node receivers say so (the Rust test receiver answers a bare 200): checked on the rows below.
    const text = await answer.text();
    if (text) assert.equal(JSON.parse(text).status, 'duplicate', `late webhook ${d.id}`);
  }
  const lateIds = lost.slice(0, 30).map((d) => d.id);
  assert.equal(Number((await db.query('SELECT count(*) AS n FROM coassemble_webhook_inbox WHERE delivery_id = ANY($1)', [lateIds])).rows[0].n), 0,
    'a late webhook after its reconciled twin is not stored');

  // ---- 4. Reconciliation once more by hand, through the CLI: nothing left to recover.
  const cli = await promisify(execFile)(process.execPath, ['testing/cli.js', 'inbox', 'reconcile', '--course', COURSES.join(','), '--database', databaseUrl, '--json'], {
    cwd: root, env: { ...process.env, COASSEMBLE_API_KEY: platform.apiKey, COASSEMBLE_API_URL: platform.baseUrl },
  });
  const manual = JSON.parse(cli.stdout);
  assert.equal(manual.recovered, 0);
  assert.equal(manual.known, LEARNERS * 2);
  assert.equal(manual.listed, LEARNERS);

  // ---- Exactly once, and nothing invented.
  const expected = new Set();
  for (const tr of platform.trackings()) {
    expected.add(`course.commenced:${tr.courseId}:${tr.identifier}`);
    if (tr.completed) expected.add(`course.completed:${tr.courseId}:${tr.identifier}`);
  }
  const rows = (await db.query('SELECT identity, delivery_id, reconciled FROM e2e_effects')).rows;
  assert.equal(rows.length, expected.size);
  for (const r of rows) assert.ok(expected.has(r.identity), `an effect the platform did not produce: ${r.identity}`);
  const doubles = (await db.query('SELECT identity FROM e2e_runs GROUP BY identity HAVING count(DISTINCT delivery_id) > 1')).rows;
  assert.deepEqual(doubles, [], 'two deliveries of one event both ran');
  const lostIdentities = new Set(lostLearners.map((l) => `course.completed:${l.courseId}:${l.identifier}`));
  for (const r of rows) if (lostIdentities.has(r.identity)) assert.equal(r.reconciled, true, `${r.identity} was recovered by reconciliation`);
  assert.equal(rows.filter((r) => r.reconciled).length >= lostIdentities.size, true);
  // One inbox row per event: webhooks and reconciled twins never both stored.
  assert.equal(await count("SELECT count(*) AS n FROM coassemble_webhook_inbox WHERE identity IS NOT NULL"), expected.size);
  assert.equal(await count("SELECT count(*) AS n FROM coassemble_webhook_inbox WHERE status <> 'processed'"), 0);

  // ---- The dashboard and /metrics show it.
  const summary = await (await fetch(`http://127.0.0.1:${a.dashboard}/api/summary`)).json();
  assert.equal(summary.counts.processed, expected.size);
  assert.equal(summary.reconcile, true);
  assert.equal(summary.lastReconcile.lastOutcome, 'ok');
  let reconciledTotal = 0;
  for (const port of [a.dashboard, b.dashboard]) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    reconciledTotal += Number(/^coassemble_inbox_reconciled_total(?:\{\})? (\d+)/m.exec(text)?.[1] ?? 0);
    assert.match(text, /coassemble_inbox_reconcile_runs_total\{outcome="ok"\} \d+/);
  }
  assert.ok(reconciledTotal >= lostIdentities.size, `coassemble_inbox_reconciled_total ${reconciledTotal}`);
  t.diagnostic(`wall time ${Date.now() - started} ms`);
});
