// Another process holds the SQLite write lock for about 3 s while deliveries arrive at a Node receiver.
// better-sqlite3 is synchronous: a receiver that waited for the lock inside SQLite (busy_timeout) would
// stop its whole event loop, every request and worker with it. Expected instead: each delivery that
// arrives during the lock is answered 200 only after the lock is released (its row committed), or 503
// (the sender's retry stores it); nothing is lost, every effect happens once; and the event loop stays
// responsive: a request that needs no database (a wrong signature) is answered during the lock in well
// under a second (the figure is printed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NODE, Receiver, withReceivers, receiverEnv, freePort, sendAll, drained, check, summary, percentile,
  root, sleep, bodyOf, waitFor,
} from './kit.mjs';

const LOCK_MS = 3000;

/** A process that takes the write lock (BEGIN IMMEDIATE) and commits when told on stdin. */
function startLocker(databaseUrl) {
  const script = `
    import Database from 'better-sqlite3';
    const db = new Database(process.argv[1], { timeout: 10000 });
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); console.log('released'); process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, databaseUrl], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  return {
    child,
    said: (word) => waitFor(`locker said ${word}`, () => out.includes(word) || (child.exitCode !== null && assert.fail(`locker exited ${child.exitCode}`)), { ms: 10_000, every: 10 }),
  };
}

test('SQLite write lock held 3 s by another process: answers 200 after the release or 503, nothing lost, the Node receiver stays responsive', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = join(dir, 'inbox.db');
  const env = receiverEnv(databaseUrl, { WORKERS: '1', MAX_ATTEMPTS: '4', RETRY_MS: '100' });
  const receiver = new Receiver('node', { ...env, PORT: await freePort() }, NODE);
  await withReceivers(t, [receiver]);

  const warmup = Array.from({ length: 20 }, (_, n) => `warm-${n}-${randomUUID().slice(0, 8)}`);
  assert.deepEqual((await sendAll({ ids: warmup, urls: [receiver.url], concurrency: 4 })).unacknowledged, []);

  // The stall probe: every 100 ms a delivery with a wrong signature, which the intake refuses (4xx)
  // without touching the database, so its answer time is the event loop's.
  const probes = [];
  let probing = true;
  const probeLoop = (async () => {
    const body = bodyOf('probe');
    while (probing) {
      const started = performance.now();
      const res = await fetch(receiver.url, {
        method: 'POST', body, signal: AbortSignal.timeout(10_000),
        headers: {
          'content-type': 'application/json', 'X-Coassemble-Event': 'course.completed', 'X-Coassemble-Delivery': `probe-${randomUUID()}`,
          'X-Coassemble-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-Coassemble-Signature': `sha256=${'0'.repeat(64)}`,
        },
      }).then((r) => r.arrayBuffer().then(() => r.status), (error) => error.name);
      probes.push({ started, answered: performance.now(), status: res });
      await sleep(100); // the probe's pace, not a wait for a condition
    }
  })();

  const locker = startLocker(databaseUrl);
  t.after(() => { if (locker.child.exitCode === null) locker.child.kill('SIGKILL'); });
  await locker.said('locked');
  const lockedAt = performance.now();
  const ids = Array.from({ length: 120 }, (_, n) => `lock-${n}-${randomUUID().slice(0, 8)}`);
  const sending = sendAll({ ids, urls: [receiver.url], concurrency: 16 });
  await sleep(LOCK_MS); // the lock's length, not a wait for a condition
  const releaseAt = performance.now();
  locker.child.stdin.write('release\n');
  await locker.said('released');
  const sent = await sending;
  probing = false;
  await probeLoop;

  assert.deepEqual(sent.unacknowledged, [], 'every delivery acknowledged (503s retried)');
  const duringLock = sent.attempts.filter((a) => a.started >= lockedAt && a.started < releaseAt);
  assert.ok(duringLock.length >= 16, `deliveries arrived during the lock: ${duringLock.length}`);
  for (const a of duringLock) {
    assert.ok(a.status === 503 || (a.status === 200 && a.answered >= releaseAt),
      `${a.id}, sent during the lock, answered ${a.status} ${(a.answered - releaseAt).toFixed(0)} ms after the release: only 503, or 200 once the lock is released`);
  }
  const lockProbes = probes.filter((p) => p.started >= lockedAt && p.started < releaseAt);
  const probeMs = lockProbes.map((p) => p.answered - p.started).sort((a, b) => a - b);
  assert.ok(lockProbes.length >= 5, `the probe ran during the lock: ${lockProbes.length} probes`);
  for (const p of lockProbes) assert.ok(p.status >= 400 && p.status < 500, `the probe refused as a bad delivery: ${p.status}`);
  assert.ok(probeMs.at(-1) < 1000, `the event loop answered within 1 s during the lock: slowest probe ${probeMs.at(-1).toFixed(0)} ms`);

  const outcome = await drained(databaseUrl, 60_000, warmup.length + ids.length);
  const figures = check(outcome, [...warmup, ...ids], { maxAttempts: 4, retryMs: 100, failsOnRun: (id) => id.includes('poison') });
  const answers = {};
  for (const a of duringLock) answers[a.status] = (answers[a.status] ?? 0) + 1;
  summary('SQLite write lock held 3 s, 1 Node receiver', { seconds: (performance.now() - lockedAt) / 1000, sent: ids.length, ...sent, ...figures });
  console.log(`#   during the lock: ${duringLock.length} attempts answered ${JSON.stringify(answers)}; stall probe (wrong signature) ${lockProbes.length} answers, p50 ${percentile(probeMs, 50).toFixed(1)} ms, max ${probeMs.at(-1).toFixed(1)} ms`);
});
