// The inbox contract of coassemble-events/inbox, the same cases on both backends (a SQLite file and a
// real PostgreSQL server): store then answer, duplicates, 503 while the store is down, lease expiry
// takeover, retries with backoff, dead letters, re-drive, unparsable and lenient bodies.
// Time-dependent cases run on a clock the test moves (the `now` option), so nothing races a timer.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openInbox } from 'coassemble-events/inbox';
import { startPostgres } from '../support/postgres.mjs';
import { completedBody, signedDelivery } from '../support/deliveries.mjs';

const SECRET = 'whsec_inbox_contract';
const quiet = () => {};

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = Date.now()) {
  let t = start;
  const now = () => t;
  now.advance = (ms) => (t += ms);
  return now;
}

/** Waits until `condition()` holds (checked each turn of the event loop), failing after `ms`. */
async function until(condition, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${condition}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A promise and its resolve, for handlers the test holds mid-run. */
function gate() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { opened, open };
}

let sharedPostgres; // one server for the PostgreSQL cases: npm test's, else one of this file's own
async function postgresServer() {
  if (process.env.COASSEMBLE_TEST_POSTGRES_URL) return { url: process.env.COASSEMBLE_TEST_POSTGRES_URL };
  sharedPostgres ??= startPostgres();
  return sharedPostgres;
}

let databases = 0;
const backends = {
  /** A fresh SQLite file per test. */
  async sqlite(t) {
    const dir = mkdtempSync(join(tmpdir(), 'inbox-sqlite-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'inbox.sqlite');
  },
  /** A fresh database per test on the shared server. */
  async postgres(t) {
    const { url } = await postgresServer();
    const name = `inbox_contract_${process.pid}_${++databases}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const databaseUrl = new URL(url);
    databaseUrl.pathname = `/${name}`;
    return databaseUrl.href;
  },
};

async function open(t, databaseUrl, options = {}) {
  const inbox = await openInbox(databaseUrl, { secrets: [SECRET], onError: quiet, ...options });
  t.after(() => inbox.close());
  return inbox;
}

const delivery = (options) => signedDelivery({ secret: SECRET, ...options });
const byId = async (inbox, id) => (await inbox.list()).find((d) => d.id === id);

for (const [backend, freshDatabase] of Object.entries(backends)) {
  describe(`inbox on ${backend}`, () => {
    test('store, then answer: the 200 comes after the row is committed, visible to another connection', async (t) => {
      const url = await freshDatabase(t);
      const inbox = await open(t, url);
      const server = createServer(inbox.nodeListener);
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      t.after(() => server.close());
      const d = delivery();

      const res = await fetch(`http://127.0.0.1:${server.address().port}/webhooks`, { method: 'POST', headers: d.headers, body: d.body });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'stored', id: d.id });

      const other = await open(t, url); // a second process would see the same
      const stored = await byId(other, d.id);
      assert.equal(stored.status, 'received');
      assert.equal(stored.attempts, 0);
      assert.equal(stored.type, 'course.completed');
    });

    test('a refused delivery is answered 4xx and stores nothing', async (t) => {
      const inbox = await open(t, await freshDatabase(t));
      const d = delivery();
      const answer = await inbox.receive({ headers: d.headers, body: d.body + ' ' });
      assert.equal(answer.status, 401);
      assert.equal(answer.body.code, 'bad_signature');
      assert.deepEqual(await inbox.list(), []);
    });

    test('a known delivery id answers 200 duplicate, stores nothing new, and runs the handler once', async (t) => {
      const inbox = await open(t, await freshDatabase(t));
      const d = delivery();
      assert.deepEqual((await inbox.receive(d)).body, { status: 'stored', id: d.id });
      const concurrent = await Promise.all([inbox.receive(d), inbox.receive(d)]);
      assert.deepEqual(concurrent.map((a) => [a.status, a.body.status]), [[200, 'duplicate'], [200, 'duplicate']]);

      const seen = [];
      await inbox.work(async (x) => seen.push(x.id));
      assert.deepEqual((await inbox.receive(d)).body.status, 'duplicate');
      await inbox.work(async (x) => seen.push(x.id));
      assert.deepEqual(seen, [d.id]);
      assert.equal((await inbox.list()).length, 1);
    });

    test('the handler gets the typed event, the raw JSON and its attempt; processed is final', async (t) => {
      const inbox = await open(t, await freshDatabase(t));
      const d = delivery();
      await inbox.receive(d);
      let got;
      const outcome = await inbox.work(async (x) => (got = x));
      assert.deepEqual(outcome, [{ id: d.id, attempts: 1, outcome: 'processed' }]);
      assert.equal(got.id, d.id);
      assert.equal(got.type, 'course.completed');
      assert.equal(got.event.tracking.email, 'sam@example.com');
      assert.equal(got.json.data.tracking.totalTime, 4380);
      assert.equal(got.attempt, 1);
      assert.equal(got.test, false);
      assert.equal((await byId(inbox, d.id)).status, 'processed');
      assert.deepEqual(await inbox.work(() => assert.fail('nothing is due')), []);
    });

    test('a failed handler is retried after its backoff, then processed', async (t) => {
      const now = manualClock();
      const inbox = await open(t, await freshDatabase(t), { now, firstRetryMs: 1000 });
      const d = delivery();
      await inbox.receive(d);
      let runs = 0;
      const flaky = async () => {
        if (++runs === 1) throw new Error('CRM is down');
      };
      assert.equal((await inbox.work(flaky))[0].outcome, 'failed');
      const failed = await byId(inbox, d.id);
      assert.equal(failed.status, 'failed');
      assert.match(failed.lastError, /CRM is down/);
      assert.equal(failed.runAt, now() + 1000);

      now.advance(999);
      assert.deepEqual(await inbox.work(flaky), [], 'not due before its backoff');
      now.advance(1);
      assert.deepEqual(await inbox.work(flaky), [{ id: d.id, attempts: 2, outcome: 'processed' }]);
      assert.equal((await byId(inbox, d.id)).status, 'processed');
    });

    test('after maxAttempts failed runs a delivery is dead: kept, listed, never claimed again', async (t) => {
      const now = manualClock();
      const inbox = await open(t, await freshDatabase(t), { now, maxAttempts: 3, firstRetryMs: 10, maxRetryMs: 10 });
      const d = delivery();
      await inbox.receive(d);
      const failing = async () => {
        throw new Error('always');
      };
      for (let run = 1; run <= 3; run++) {
        assert.deepEqual(await inbox.work(failing), [{ id: d.id, attempts: run, outcome: run < 3 ? 'failed' : 'dead' }]);
        now.advance(10);
      }
      const dead = await byId(inbox, d.id);
      assert.equal(dead.status, 'dead');
      assert.equal(dead.attempts, 3);
      assert.deepEqual((await inbox.list({ status: 'dead' })).map((x) => x.id), [d.id]);
      now.advance(3_600_000);
      assert.deepEqual(await inbox.work(failing), []);
    });

    test('an expired lease is taken over by another worker; the first worker\'s late result is ignored', async (t) => {
      const now = manualClock();
      const url = await freshDatabase(t);
      const first = await open(t, url, { now, leaseMs: 5000, workerId: 'worker-a' });
      const second = await open(t, url, { now, leaseMs: 5000, workerId: 'worker-b' });
      const d = delivery();
      await first.receive(d);

      const hung = gate();
      const firstRun = first.work(() => hung.opened); // claims, then hangs in the handler
      await until(async () => (await byId(second, d.id)).status === 'processing');
      assert.deepEqual(await second.work(() => assert.fail('the lease is held')), []);

      now.advance(5000);
      const seen = [];
      assert.deepEqual(await second.work(async (x) => seen.push(x.attempt)), [{ id: d.id, attempts: 2, outcome: 'processed' }]);
      assert.deepEqual(seen, [2]);

      hung.open();
      assert.deepEqual(await firstRun, [{ id: d.id, attempts: 1, outcome: 'lost' }]);
      const row = await byId(second, d.id);
      assert.equal(row.status, 'processed');
      assert.equal(row.attempts, 2);
    });

    test('a lease that expires on the last allowed run makes the delivery dead', async (t) => {
      const now = manualClock();
      const inbox = await open(t, await freshDatabase(t), { now, leaseMs: 1000, maxAttempts: 1 });
      const d = delivery();
      await inbox.receive(d);
      const hung = gate();
      const run = inbox.work(() => hung.opened);
      await until(async () => (await byId(inbox, d.id)).status === 'processing');
      now.advance(1000);
      assert.deepEqual(await inbox.work(() => assert.fail('dead, not claimable')), []);
      const dead = await byId(inbox, d.id);
      assert.equal(dead.status, 'dead');
      assert.match(dead.lastError, /lease expired/);
      hung.open();
      assert.equal((await run)[0].outcome, 'lost');
    });

    test('redrive(id) and redrive({ all: true }) give dead deliveries a full set of attempts again', async (t) => {
      const now = manualClock();
      const inbox = await open(t, await freshDatabase(t), { now, maxAttempts: 1 });
      const [a, b, c] = [delivery(), delivery(), delivery()];
      for (const d of [a, b, c]) await inbox.receive(d);
      await inbox.work(async () => {
        throw new Error('down');
      });
      assert.equal((await inbox.counts()).dead, 3);

      assert.equal(await inbox.redrive(a.id), 1);
      assert.equal(await inbox.redrive(a.id), 0, 'no longer dead');
      assert.equal((await byId(inbox, a.id)).status, 'received');
      assert.deepEqual(await inbox.work(async () => {}), [{ id: a.id, attempts: 1, outcome: 'processed' }]);

      assert.equal(await inbox.redrive({ all: true }), 2);
      const processed = await inbox.work(async () => {});
      assert.deepEqual(processed.map((x) => x.id).sort(), [b.id, c.id].sort());
      assert.deepEqual(await inbox.counts(), { received: 0, processing: 0, processed: 3, failed: 0, dead: 0 });
      await assert.rejects(() => inbox.redrive(), TypeError);
    });

    test('a signed body that is not JSON is stored and dead at once, never refused', async (t) => {
      const inbox = await open(t, await freshDatabase(t));
      const d = delivery({ body: 'not json {' });
      assert.deepEqual(await inbox.receive(d), { status: 200, body: { status: 'stored', id: d.id } });
      const dead = await byId(inbox, d.id);
      assert.equal(dead.status, 'dead');
      assert.equal(dead.attempts, 0);
      assert.match(dead.lastError, /not JSON/);
      assert.deepEqual(await inbox.work(() => assert.fail('a dead delivery is not run')), []);
      assert.equal((await inbox.receive(d)).body.status, 'duplicate');
    });

    test('lenient body: "totalTime": 12.5 and an unknown field are stored and processed', async (t) => {
      const inbox = await open(t, await freshDatabase(t));
      const d = delivery({ body: completedBody({ tracking: { totalTime: 12.5 }, extra: { newField: { x: 1 } } }) });
      assert.deepEqual((await inbox.receive(d)).body, { status: 'stored', id: d.id });
      let got;
      assert.equal((await inbox.work(async (x) => (got = x)))[0].outcome, 'processed');
      assert.equal(got.event.tracking.email, 'sam@example.com');
      assert.equal(got.event.tracking.totalTime, null, 'left out of the typed record');
      assert.equal(got.json.data.tracking.totalTime, 12.5, 'kept in the raw JSON');
      assert.deepEqual(got.json.newField, { x: 1 });
    });

    test('the start() worker loop processes stored deliveries and retries failures', async (t) => {
      const inbox = await open(t, await freshDatabase(t), { firstRetryMs: 0, maxRetryMs: 0 });
      const seen = [];
      let failOnce = true;
      const done = gate();
      const worker = inbox.start(
        async (x) => {
          if (failOnce) {
            failOnce = false;
            throw new Error('first run fails');
          }
          seen.push([x.id, x.attempt]);
          if (seen.length === 2) done.open();
        },
        { pollMs: 20 },
      );
      t.after(() => worker.stop());
      const [a, b] = [delivery(), delivery()];
      await inbox.receive(a);
      await inbox.receive(b);
      await done.opened;
      await worker.stop();
      assert.deepEqual(seen.map(([id]) => id).sort(), [a.id, b.id].sort());
      assert.ok(seen.some(([, attempt]) => attempt === 2), 'one of them on its second run');
      assert.equal((await inbox.counts()).processed, 2);
    });
  });
}

test('sqlite: 503 while another process holds the write lock past the busy timeout, 200 after', async (t) => {
  const url = await backends.sqlite(t);
  const inbox = await open(t, url, { busyTimeoutMs: 50 });
  const other = new Database(url);
  t.after(() => other.close());
  other.exec('BEGIN IMMEDIATE');
  const d = delivery();
  const answer = await inbox.receive(d);
  assert.equal(answer.status, 503);
  assert.equal(answer.body.code, 'store_unavailable');
  other.exec('COMMIT');
  assert.deepEqual((await inbox.receive(d)).body, { status: 'stored', id: d.id });
});

test('postgres: 503 while the server is down, 200 once it is back (the retry is stored)', async (t) => {
  const server = await startPostgres(t);
  const inbox = await open(t, server.url);
  const before = delivery();
  assert.equal((await inbox.receive(before)).status, 200);

  await server.stop();
  const d = delivery();
  const answer = await inbox.receive(d);
  assert.equal(answer.status, 503);
  assert.equal(answer.body.code, 'store_unavailable');

  await server.start();
  assert.deepEqual((await inbox.receive(d)).body, { status: 'stored', id: d.id });
  assert.deepEqual((await inbox.list()).map((x) => x.id).sort(), [before.id, d.id].sort());
});

test('openInbox refuses bad options with a TypeError', async () => {
  await assert.rejects(() => openInbox(''), TypeError);
  await assert.rejects(() => openInbox('/tmp/x.sqlite', { maxAttempts: 0 }), TypeError);
  await assert.rejects(() => openInbox('/tmp/x.sqlite', { retryDelayMs: 5 }), TypeError);
});

after(async () => (await sharedPostgres)?.close());
