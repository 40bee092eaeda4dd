// The inbox under faults, end to end: real receiver processes, Rust and Node side by side on one
// database, a sender that behaves like Coassemble, processes SIGKILLed mid-handler, PostgreSQL stopped
// for a few seconds, handlers failing 10 % of the time, bodies with integers no double holds. At the end
// every delivery's effect is recorded exactly once, nothing is stuck in a lease, and the dead letters
// are exactly the deliveries whose handler failed every run.
//
// PostgreSQL is TLS-only here, as managed databases are (scripts/postgres.sh `start DIR tls`): every
// receiver connects with `?sslmode=verify-full&sslrootcert=<root>` (Node's pg reads sslrootcert through
// pg-connection-string; the Rust receiver verifies with rustls). A plain connection would be refused.
// The receivers' interface: tests/inbox/kit.mjs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../support/postgres.mjs';
import {
  RUST, NODE, Receiver, buildRustReceiver, withReceivers, receiverEnv, freePort, sendAll, drained, check,
  summary, killHolder, fnv1a, bodyOf, storedBodies, sleep,
} from './kit.mjs';

// 6, not Coassemble's 4: a run whose outcome cannot be recorded during the PostgreSQL outage keeps its
// lease until it expires, and a lease that expires on the last attempt makes the delivery dead even
// though its effect happened (at least once: a re-drive runs it again, idempotently). With 4 attempts
// the failure rule's 10 % and one outage run could use them all up (seen once in about 10 runs).
const MAX_ATTEMPTS = 6;
const FAIL_PERCENT = 10;
const RETRY_MS = 100;
// On PostgreSQL the first retry is 1 s (then 2 s, 4 s): a run that fails because the database is down
// (the handler's own connection broke) is retried after the 3 s outage, not four times within it. With
// 100 ms the four runs fit inside the outage and a delivery whose first run had succeeded (its outcome
// lost with the connection) could end dead with its effect done: a retry schedule shorter than an outage
// is the application's choice, not a fault of the inbox.
const PG_RETRY_MS = 1000;
const failsOnRun = (id, attempt) => id.includes('poison') || fnv1a(`${id}:${attempt}`) % 100 < FAIL_PERCENT;
const fleetEnv = (databaseUrl, retryMs = RETRY_MS) => receiverEnv(databaseUrl, {
  FAIL_PERCENT: String(FAIL_PERCENT), MAX_ATTEMPTS: String(MAX_ATTEMPTS), RETRY_MS: String(retryMs),
  LEASE_MS: '6000', SLOW_MS: '4000',
});

before(() => buildRustReceiver());

/** Every 100th delivery (n % 100 == 11) has a body of big integers; returns the bodies by id. */
function bigintBodies(ids) {
  return new Map(ids.filter((_, n) => n % 100 === 11).map((id) => [id, bodyOf(id, 'bigint')]));
}

/** The big-integer bodies are stored byte for byte, and were processed once (check() saw the effects). */
async function checkBigints(databaseUrl, bodies, figures) {
  const stored = await storedBodies(databaseUrl, [...bodies.keys()]);
  for (const [id, body] of bodies) {
    assert.equal(stored.get(id)?.toString('utf8'), body, `${id}: the body with big integers stored as sent`);
    assert.equal(figures.inbox.get(id).status, 'processed', `${id} (big integers) processed`);
    assert.ok(figures.effects.has(id), `${id} (big integers): its effect, once`);
  }
}

test('PostgreSQL over TLS, Rust and Node receivers: SIGKILLs mid-handler, a database outage, failing handlers, big integers; every effect once', { timeout: 240_000 }, async (t) => {
  const pg = await startPostgres(t, { tls: true });
  const databaseUrl = pg.verifyUrl;
  const receivers = [];
  for (const [name, command] of [['a', RUST], ['b', RUST], ['c', NODE]]) {
    receivers.push(new Receiver(name, { ...fleetEnv(databaseUrl, PG_RETRY_MS), PORT: await freePort() }, command));
  }
  await withReceivers(t, receivers);
  const urls = receivers.map((r) => r.url);

  // Every 500th delivery is poison: its handler always fails, so it must end dead. Two are slow: the
  // process running one is killed mid-handler. 4000 deliveries (and 800 sent again): the Rust
  // receivers are debug builds, whose TLS and SCRAM run unoptimised; this keeps the fault suite near
  // 3 minutes on a busy 2-core machine.
  const kind = (n) => (n % 500 === 3 ? '-poison' : n === 1100 || n === 3300 ? '-slow' : '');
  const ids = Array.from({ length: 4000 }, (_, n) => `pg-${n}${kind(n)}-${randomUUID().slice(0, 8)}`);
  const bodies = bigintBodies(ids);
  const duplicates = ids.filter((_, n) => n % 5 === 0); // 20 % sent again after their first success
  const twice = new Set(ids.filter((_, n) => n % 20 === 7)); // 5 % first sent to two instances at once
  const events = [];
  // The kills start when the slow delivery is acknowledged (its 4 s first run is then due or running),
  // not at a count of deliveries: on a loaded machine a count can come after the slow run ended.
  const faults = new Map([
    [ids[1100], async () => { events.push(`killed ${await killHolder(databaseUrl, receivers, ids[1100])}`); }],
    [2200, async () => {
      await pg.stop(); events.push('postgres down');
      await sleep(3000); // the outage's length, not a wait for a condition
      await pg.start(); events.push('postgres up');
    }],
    [ids[3300], async () => { events.push(`killed ${await killHolder(databaseUrl, receivers, ids[3300])}`); }],
  ]);
  const pending = [];
  const stop = new AbortController();
  const started = performance.now();
  const trigger = (key) => {
    const fault = faults.get(key);
    if (!fault) return;
    faults.delete(key); // once (the slow ids are sent again as duplicates)
    pending.push(fault().catch((error) => { stop.abort(); return error; }));
  };
  const sent = await sendAll({
    ids, urls, concurrency: 32, duplicates, twice, bodies, signal: stop.signal,
    onProgress: async (done, id) => { trigger(done); trigger(id); },
  });
  for (const error of await Promise.all(pending)) if (error) throw error;
  const seconds = (performance.now() - started) / 1000;
  // Each fault happened (the kills' order against the outage depends on the machine's pace).
  assert.deepEqual(events.map((e) => e.replace(/killed [abc]/, 'killed')).sort(), ['killed', 'killed', 'postgres down', 'postgres up']);
  assert.deepEqual(sent.unacknowledged, [], 'every delivery acknowledged within 4 attempts');
  assert.ok(sent.statuses[503] > 0, `receivers answered 503 during the outage: ${JSON.stringify(sent.statuses)}`);

  const outcome = await drained(databaseUrl, 60_000, ids.length);
  const figures = check(outcome, ids, { maxAttempts: MAX_ATTEMPTS, retryMs: PG_RETRY_MS, failsOnRun });
  assert.ok(figures.dead >= 8, `the 8 poison deliveries are dead: ${figures.dead}`);
  assert.ok(figures.unfinishedRuns > 0, 'a kill landed mid-handler (a run without outcome, taken over)');
  await checkBigints(databaseUrl, bodies, figures);
  summary('PostgreSQL over TLS, 3 receivers (2 Rust, 1 Node)', { seconds, sent: ids.length + duplicates.length, ...sent, ...figures, receivers });
});

test('SQLite, two processes on one file: SIGKILL mid-handler, failing handlers, big integers; every effect once', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-fault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = join(dir, 'inbox.db');
  const receivers = [];
  for (const [name, command] of [['a', RUST], ['b', NODE]]) {
    receivers.push(new Receiver(name, { ...fleetEnv(databaseUrl), PORT: await freePort() }, command));
  }
  // The first creates the schema alone; the second opens a ready file.
  await withReceivers(t, receivers.slice(0, 1));
  await withReceivers(t, receivers.slice(1));
  const urls = receivers.map((r) => r.url);

  const kind = (n) => (n % 500 === 3 ? '-poison' : n === 800 ? '-slow' : '');
  const ids = Array.from({ length: 2000 }, (_, n) => `sq-${n}${kind(n)}-${randomUUID().slice(0, 8)}`);
  const bodies = bigintBodies(ids);
  const duplicates = ids.filter((_, n) => n % 5 === 0);
  const twice = new Set(ids.filter((_, n) => n % 20 === 7));
  const pending = [];
  const stop = new AbortController();
  const started = performance.now();
  const sent = await sendAll({
    ids, urls, concurrency: 16, duplicates, twice, bodies, signal: stop.signal,
    onProgress: async (done, id) => {
      // When the slow delivery is acknowledged (see the PostgreSQL test); once (it is sent again).
      if (id === ids[800] && pending.length === 0) {
        pending.push(killHolder(databaseUrl, receivers, ids[800]).then(() => undefined, (error) => { stop.abort(); return error; }));
      }
    },
  });
  for (const error of await Promise.all(pending)) if (error) throw error;
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(sent.unacknowledged, [], 'every delivery acknowledged within 4 attempts');

  const outcome = await drained(databaseUrl, 60_000, ids.length);
  const figures = check(outcome, ids, { maxAttempts: MAX_ATTEMPTS, retryMs: RETRY_MS, failsOnRun });
  assert.ok(figures.dead >= 4, `the 4 poison deliveries are dead: ${figures.dead}`);
  assert.ok(figures.unfinishedRuns > 0, 'the kill landed mid-handler (a run without outcome, taken over)');
  await checkBigints(databaseUrl, bodies, figures);
  summary('SQLite, 2 processes (1 Rust, 1 Node)', { seconds, sent: ids.length + duplicates.length, ...sent, ...figures, receivers });
});
