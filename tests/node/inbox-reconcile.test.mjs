// inbox.reconcile against the platform emulator: recovered vs known by identity, the retention
// window, typed errors with nothing stored, the lock of a scheduled run, and a late webhook after its
// reconciled twin. SQLite here (PostgreSQL too when COASSEMBLE_TEST_POSTGRES_URL is set); the
// end-to-end outage test (tests/e2e/outage-recovery.test.mjs) runs the whole story on PostgreSQL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInbox, ReconcileError } from 'coassemble-events/inbox';
import { createCoassembleApi } from 'coassemble-events/api';
import { startPlatform, signWebhook } from 'coassemble-events/testing';

const SECRET = 'whsec_reconcile_test';

async function setup(t) {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const platform = await startPlatform({ courses: [{ id: 981, title: 'Onboarding' }, { id: 982, title: 'Safety' }] });
  t.after(() => platform.close());
  const inbox = await openInbox(join(dir, 'inbox.db'), { secrets: [SECRET], onError: () => {} });
  t.after(() => inbox.close());
  const api = createCoassembleApi({ apiKey: platform.apiKey, baseUrl: platform.baseUrl });
  return { platform, inbox, api };
}

/** A webhook exactly as the platform would sign it, sent through the inbox's intake. */
async function deliver(inbox, body, deliveryId) {
  const signed = signWebhook({ secret: SECRET, body, deliveryId });
  return inbox.receive({ headers: signed.headers, body: signed.body });
}

test('reconcile stores what no webhook brought, once; a webhook after its twin is a duplicate', async (t) => {
  const { platform, inbox, api } = await setup(t);
  for (let n = 0; n < 5; n++) platform.learn({ courseId: 981, identifier: `learner-${n}`, progress: [50], complete: n < 3 });
  // learner-0's completion did arrive by webhook.
  const [tracking0] = platform.trackings({ courseId: 981 });
  const webhookBody = {
    id: 'evt_real_0', type: 'course.completed', occurredAt: tracking0.completed, workspaceId: platform.workspaceId,
    data: { course: { id: 981, title: 'Onboarding', key: 'k', clientIdentifier: null }, tracking: { id: tracking0.id, identifier: 'learner-0', email: null, commenced: tracking0.commenced, completed: tracking0.completed, totalTime: 1 } },
  };
  assert.equal((await deliver(inbox, webhookBody, 'd-real-0')).body.status, 'stored');

  const report = await inbox.reconcile({ api, courseIds: [981, 982] });
  assert.equal(report.listed, 5);
  // 5 commenced + 3 completed = 8 events; learner-0's completion is known.
  assert.equal(report.recovered, 7);
  assert.equal(report.known, 1);
  assert.equal(report.skipped, 0);
  assert.ok(report.recoveredIds.includes('reconciled:course.completed:981:learner-1'));

  // Again: everything known.
  const again = await inbox.reconcile({ api, courseIds: [981] });
  assert.equal(again.recovered, 0);
  assert.equal(again.known, 8);

  // The late webhook of learner-1's completion, after its reconciled twin: a duplicate (identity).
  const late = { ...webhookBody, id: 'evt_real_1', data: { ...webhookBody.data, tracking: { ...webhookBody.data.tracking, identifier: 'learner-1' } } };
  assert.equal((await deliver(inbox, late, 'd-late-1')).body.status, 'duplicate');

  // The handler sees reconciled deliveries shaped like Coassemble's, flagged.
  const seen = [];
  await inbox.work(async (d) => seen.push(d), { limit: 100 });
  const rec = seen.find((d) => d.id === 'reconciled:course.completed:981:learner-2');
  assert.equal(rec.reconciled, true);
  assert.equal(rec.identity, 'course.completed:981:learner-2');
  assert.equal(rec.event.course.id, 981);
  assert.equal(rec.event.tracking.identifier, 'learner-2');
  assert.equal(seen.find((d) => d.id === 'd-real-0').reconciled, false);
  // Never a completion the API does not list: learners 3 and 4 did not complete.
  assert.ok(!seen.some((d) => d.identity === 'course.completed:981:learner-3'));
});

test('events older than the retention window minus the margin are skipped, not stored', async (t) => {
  const { platform, inbox, api } = await setup(t);
  platform.learn({ courseId: 981, identifier: 'old', complete: true });
  // The same database read 6.5 days later: inside retention (7 days) but past the 1-day margin.
  const later = await openInbox(inbox.databaseUrl, { secrets: [SECRET], onError: () => {}, now: () => Date.now() + 6.5 * 24 * 3_600_000 });
  t.after(() => later.close());
  const report = await later.reconcile({ api, courseIds: [981] });
  assert.equal(report.recovered, 0);
  assert.equal(report.skipped, 2);
  assert.equal((await inbox.counts()).received, 0);
  // With a margin of 0 the same events are within the window.
  assert.equal((await later.reconcile({ api, courseIds: [981], marginMs: 0 })).recovered, 2);
});

test('a wrong API key, a 500 and garbage are typed errors that store nothing', async (t) => {
  const { platform, inbox, api } = await setup(t);
  platform.learn({ courseId: 981, identifier: 'x', complete: true });
  const wrong = createCoassembleApi({ apiKey: 'COASSEMBLE:1:' + '0'.repeat(64), baseUrl: platform.baseUrl });
  await assert.rejects(inbox.reconcile({ api: wrong, courseIds: [981] }), (e) => e instanceof ReconcileError && e.code === 'api_unauthorized');
  // 500s on every retry (the client retries GETs).
  platform.failNext(20, 500);
  await assert.rejects(inbox.reconcile({ api, courseIds: [981] }), (e) => e instanceof ReconcileError && e.code === 'api_unavailable');
  const garbage = { async *trackings() { yield* []; throw Object.assign(new Error('not JSON'), { code: 'invalid_answer', name: 'CoassembleApiError' }); } };
  await assert.rejects(inbox.reconcile({ api: garbage, courseIds: [981] }), (e) => e instanceof ReconcileError && e.code === 'api_invalid_answer');
  assert.equal((await inbox.list()).length, 0);
});

test('a database that is down is store_unavailable', async (t) => {
  const { platform, inbox, api } = await setup(t);
  platform.learn({ courseId: 981, identifier: 'y', complete: true });
  const broken = await openInbox(join(mkdtempSync(join(tmpdir(), 'reconcile-down-')), 'inbox.db'), { secrets: [SECRET], onError: () => {} });
  broken._store.insert = async () => {
    throw new Error('connection refused');
  };
  await assert.rejects(broken.reconcile({ api, courseIds: [981] }), (e) => e instanceof ReconcileError && e.code === 'store_unavailable');
  await broken.close();
  void inbox;
});

test('a schedule runs on one instance at a time and records its last run', async (t) => {
  const { platform, inbox, api } = await setup(t);
  const other = await openInbox(inbox.databaseUrl, { secrets: [SECRET], onError: () => {} });
  t.after(() => other.close());
  for (let n = 0; n < 3; n++) platform.learn({ courseId: 981, identifier: `s-${n}`, complete: true });
  let runs = 0;
  for (const i of [inbox, other]) i.observe((e) => e.kind === 'reconcile' && runs++);
  const handler = async () => {};
  const schedule = { api, courseIds: [981], everyMs: 60_000 };
  const a = inbox.start(handler, { pollMs: 20, reconcile: schedule });
  const b = other.start(handler, { pollMs: 20, reconcile: schedule });
  const deadline = Date.now() + 15_000;
  while (!(await inbox.lastReconcile())?.lastRunAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300));
  await Promise.all([a.stop(), b.stop()]);
  // Both checked at start; one ran (the other found the lock taken or the run recent).
  assert.equal(runs, 1);
  const last = await inbox.lastReconcile();
  assert.equal(last.lastOutcome, 'ok');
  assert.equal(last.lastReport.recovered, 6);
});

/** A named statement of an old schema file (tests/support_inbox/inbox-0.2.<dialect>.sql). */
function oldStatement(dialect, name) {
  const text = readFileSync(new URL(`../support_inbox/inbox-0.2.${dialect}.sql`, import.meta.url), 'utf8');
  return text.split(`-- name: ${name}\n`)[1].split('-- name: ')[0];
}

test('a 0.2 table (no identity) is upgraded when opened: SQLite, and PostgreSQL when available', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-upgrade-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const urls = [];
  const path = join(dir, 'v2.db');
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.exec(oldStatement('sqlite', 'schema'));
  db.exec(oldStatement('sqlite', 'indexes'));
  db.close();
  urls.push(path);
  if (process.env.COASSEMBLE_TEST_POSTGRES_URL) {
    const { freshDatabase } = await import('../support/postgres.mjs');
    const url = await freshDatabase(process.env.COASSEMBLE_TEST_POSTGRES_URL, 'reconcile_upgrade');
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(oldStatement('postgres', 'schema'));
    await client.end();
    urls.push(url);
  }
  for (const url of urls) {
    const inbox = await openInbox(url, { secrets: [SECRET], onError: () => {} });
    const again = await openInbox(url, { secrets: [SECRET], onError: () => {} });
    const body = (event) => ({ id: event, type: 'course.completed', data: { course: { id: 981 }, tracking: { identifier: 'u-1' } } });
    assert.equal((await deliver(inbox, body('evt_u1'), 'u-a')).body.status, 'stored', url);
    assert.equal((await deliver(again, body('evt_u2'), 'u-b')).body.status, 'duplicate', url);
    assert.equal((await inbox.get('u-a')).identity, 'course.completed:981:u-1');
    await again.close();
    await inbox.close();
  }
});
