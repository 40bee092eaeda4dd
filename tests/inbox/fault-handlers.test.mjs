// Handlers that misbehave, with real receiver processes (Rust and Node side by side on one database):
// - hung handlers: for ids containing `hang` the first run never settles. HANDLER_TIMEOUT_MS, far below
//   the lease, ends such a run as a failed run; its retry succeeds. More hung runs than the receivers
//   have run slots arrive first: a hung run that kept its slot would stop every delivery after it.
// - handlers longer than the lease: ids containing `long` take LONG_MS, well over LEASE_MS; the
//   worker's heartbeat keeps the lease, so no other worker takes the delivery over: one run each.
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
  summary, percentile,
} from './kit.mjs';

const MAX_ATTEMPTS = 4;
const RETRY_MS = 100;
const neverFails = (id) => id.includes('poison');

before(() => buildRustReceiver());

test('hung handlers time out (HANDLER_TIMEOUT_MS below the lease), every other delivery keeps flowing, each effect once', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-hang-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = join(dir, 'inbox.db');
  // The lease is long (15 s) and the timeout short (0.5 s): a hung run ended by the lease instead of
  // the timeout shows as a hang delivery processed 15 s or more after it was stored.
  const LEASE_MS = 15_000;
  const HANDLER_TIMEOUT_MS = 500;
  const env = receiverEnv(databaseUrl, {
    MAX_ATTEMPTS: String(MAX_ATTEMPTS), RETRY_MS: String(RETRY_MS), LEASE_MS: String(LEASE_MS),
    HANDLER_TIMEOUT_MS: String(HANDLER_TIMEOUT_MS), WORKERS: '2',
  });
  const receivers = [new Receiver('rust', { ...env, PORT: await freePort() }, RUST), new Receiver('node', { ...env, PORT: await freePort() }, NODE)];
  await withReceivers(t, receivers.slice(0, 1)); // the first creates the schema alone
  await withReceivers(t, receivers.slice(1));
  const urls = receivers.map((r) => r.url);

  // 48 hung first runs: more than the two receivers' run slots (2 workers x 4 each, per receiver), all
  // sent before the 400 others.
  const hang = Array.from({ length: 48 }, (_, n) => `hang-${n}-${randomUUID().slice(0, 8)}`);
  const others = Array.from({ length: 400 }, (_, n) => `ok-${n}-${randomUUID().slice(0, 8)}`);
  const ids = [...hang, ...others];
  const started = performance.now();
  const sent = await sendAll({ ids: hang, urls, concurrency: 16 });
  const sentOthers = await sendAll({ ids: others, urls, concurrency: 16 });
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual([...sent.unacknowledged, ...sentOthers.unacknowledged], [], 'every delivery acknowledged');

  const outcome = await drained(databaseUrl, 60_000, ids.length);
  const figures = check(outcome, ids, { maxAttempts: MAX_ATTEMPTS, retryMs: RETRY_MS, failsOnRun: neverFails });
  assert.equal(figures.dead, 0, 'no dead letters');
  const e2eOf = (id) => figures.effects.get(id).at - figures.inbox.get(id).receivedAt;
  for (const id of hang) {
    const row = figures.inbox.get(id);
    assert.equal(row.status, 'processed', `${id} processed`);
    assert.equal(row.attempts, 2, `${id}: the hung run, then the one that succeeded`);
    assert.equal(figures.effects.get(id).attempt, 2, `${id}: the effect is the second run's`);
    assert.equal(figures.finishedRuns.get(`${id}:1`), undefined, `${id}: the hung run never finished`);
    assert.ok(e2eOf(id) >= HANDLER_TIMEOUT_MS, `${id}: processed after its first run timed out (${e2eOf(id)} ms)`);
    assert.ok(e2eOf(id) < LEASE_MS, `${id}: the timeout, not the lease's expiry, ended the hung run (${e2eOf(id)} ms)`);
  }
  for (const id of others) assert.equal(figures.inbox.get(id).attempts, 1, `${id}: one run`);
  const hangE2e = hang.map(e2eOf).sort((a, b) => a - b);
  const othersE2e = others.map(e2eOf).sort((a, b) => a - b);
  assert.ok(othersE2e.at(-1) < LEASE_MS, `the other deliveries kept flowing: the slowest took ${othersE2e.at(-1)} ms, below the lease`);
  summary('hung handlers, SQLite, 1 Rust + 1 Node', { seconds, sent: ids.length, ...sentOthers, ...figures });
  console.log(`#   hang deliveries stored -> effect: p50 ${percentile(hangE2e, 50)} ms, max ${hangE2e.at(-1)} ms (timeout ${HANDLER_TIMEOUT_MS} ms, lease ${LEASE_MS} ms); others p50 ${percentile(othersE2e, 50)} ms, max ${othersE2e.at(-1)} ms`);
});

test('handlers longer than the lease (LONG_MS > LEASE_MS) run once: the heartbeat keeps the lease (PostgreSQL over TLS)', { timeout: 120_000 }, async (t) => {
  const pg = await startPostgres(t, { tls: true });
  const databaseUrl = pg.verifyUrl;
  // A lease of 4 s, heartbeats every third of it: one late heartbeat (a busy machine, a debug build's
  // TLS) does not lose it; two leases and more (9 s) are outlived only thanks to them.
  const LEASE_MS = 4000;
  const LONG_MS = 9000;
  const env = receiverEnv(databaseUrl, {
    MAX_ATTEMPTS: String(MAX_ATTEMPTS), RETRY_MS: String(RETRY_MS), LEASE_MS: String(LEASE_MS),
    LONG_MS: String(LONG_MS), HANDLER_TIMEOUT_MS: '20000',
    // A receiver that derives its heartbeat from the lease (a third of it) needs no HEARTBEAT_MS.
    HEARTBEAT_MS: String(LEASE_MS / 3),
  });
  const receivers = [new Receiver('rust', { ...env, PORT: await freePort() }, RUST), new Receiver('node', { ...env, PORT: await freePort() }, NODE)];
  await withReceivers(t, receivers);
  const urls = receivers.map((r) => r.url);

  const long = Array.from({ length: 12 }, (_, n) => `long-${n}-${randomUUID().slice(0, 8)}`);
  const others = Array.from({ length: 300 }, (_, n) => `ok-${n}-${randomUUID().slice(0, 8)}`);
  const ids = [...long, ...others];
  const started = performance.now();
  const sent = await sendAll({ ids, urls, concurrency: 16 });
  assert.deepEqual(sent.unacknowledged, [], 'every delivery acknowledged');

  const outcome = await drained(databaseUrl, 60_000, ids.length);
  const seconds = (performance.now() - started) / 1000;
  const figures = check(outcome, ids, { maxAttempts: MAX_ATTEMPTS, retryMs: RETRY_MS, failsOnRun: neverFails });
  for (const id of long) {
    const row = figures.inbox.get(id);
    assert.equal(row.status, 'processed', `${id} processed`);
    assert.equal(row.attempts, 1, `${id}: one run, never taken over though it outlived its lease ${LONG_MS / LEASE_MS} times: ${JSON.stringify(row)}`);
    const e2e = figures.effects.get(id).at - row.receivedAt;
    assert.ok(e2e >= LONG_MS, `${id}: the run really took LONG_MS (${e2e} ms)`);
  }
  assert.equal(figures.reRuns, 0, 'no handler ran twice');
  assert.equal(outcome.runs.length, ids.length, 'one finished run per delivery');
  summary('handlers longer than the lease, PostgreSQL over TLS, 1 Rust + 1 Node', { seconds, sent: ids.length, ...sent, ...figures });
});
