// The inbox conformance runner for Node: every scenario of tests/inbox_conformance/scenarios.json (the
// lifecycle written once, run by every implementation; its "about" says what each step means) against
// a fresh SQLite file and, when COASSEMBLE_TEST_POSTGRES_URL is set (always in npm test), a fresh
// PostgreSQL schema per scenario. Time is virtual (openInbox's `now`), except a handler timeout, which
// runs in real time as the scenarios say. Also here: the statements' query plans use the indexes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openInbox } from 'coassemble-events/inbox';
import { signedDelivery } from '../support/deliveries.mjs';

const spec = JSON.parse(readFileSync(new URL('../inbox_conformance/scenarios.json', import.meta.url), 'utf8'));
const POSTGRES = process.env.COASSEMBLE_TEST_POSTGRES_URL;

let schemas = 0;
const backends = {
  /** A fresh SQLite file. */
  async sqlite(t) {
    const dir = mkdtempSync(join(tmpdir(), 'inbox-conformance-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'inbox.sqlite');
  },
  /** A fresh schema on the test server, named on every connection by its search_path. */
  async postgres(t) {
    const schema = `conformance_${process.pid}_${++schemas}`;
    const admin = new pg.Client({ connectionString: POSTGRES });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    t.after(async () => {
      const c = new pg.Client({ connectionString: POSTGRES });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    });
    const url = new URL(POSTGRES);
    url.searchParams.set('options', `-csearch_path=${schema}`);
    return url.href;
  },
};

/** The value at a dotted path ("data.course.title") of a parsed body. */
const at = (value, path) => path.split('.').reduce((v, key) => (v == null ? undefined : v[key]), value);

const handlers = {
  ok: async () => {},
  throw: async () => {
    throw new Error('handler failed (conformance)');
  },
  hang: () => new Promise(() => {}),
};

async function runScenario(t, scenario, databaseUrl) {
  const T0 = Math.floor(Date.now() / 1000) * 1000;
  let clock = T0;
  const now = () => clock;
  const inboxSpecs = scenario.inboxes ?? { main: {} };
  const inboxes = {};
  for (const [name, options] of Object.entries(inboxSpecs)) {
    inboxes[name] = await openInbox(databaseUrl, { secrets: [spec.secret], now, onError: () => {}, ...options });
    t.after(() => inboxes[name].close());
  }
  const first = Object.keys(inboxes)[0];
  const workers = {};
  for (const [name, { inbox = first, ...options }] of Object.entries(scenario.workers ?? {})) {
    workers[name] = { inbox: inboxes[inbox], options: { workerId: `worker-${name}`, ...options }, leases: new Map() };
  }
  const saw = new Map();
  const record = async (delivery) => {
    saw.set(delivery.id, delivery);
  };
  const rows = async () => new Map((await inboxes[first].list({ limit: 1000 })).map((r) => [r.id, r]));

  for (const [n, step] of scenario.steps.entries()) {
    const where = `${scenario.name}, step ${n + 1}: ${JSON.stringify(step).slice(0, 200)}`;
    if (step.at !== undefined) clock = T0 + step.at;
    if (step.deliver !== undefined) {
      const template = spec.bodies[step.body ?? 'completed'];
      const body = template.replaceAll('{id}', step.deliver);
      const inbox = inboxes[step.via ?? first];
      const d = signedDelivery({ secret: step.secret ?? spec.secret, id: step.deliver, body, timestamp: Math.floor(clock / 1000) });
      const answer = await inbox.receive(d);
      const got = { status: answer.status };
      if ('outcome' in step.expect) got.outcome = answer.body.status;
      if ('code' in step.expect) got.code = answer.body.code;
      assert.deepEqual(got, step.expect, where);
    } else if (step.claim !== undefined) {
      const w = workers[step.claim];
      const leases = await w.inbox.claim({ limit: step.limit ?? 10, workerId: w.options.workerId, leaseMs: w.options.leaseMs });
      for (const lease of leases) w.leases.set(lease.id, lease);
      assert.deepEqual(leases.map((l) => l.id), step.expect, where);
    } else if (step.complete !== undefined || step.fail !== undefined || step.heartbeat !== undefined) {
      const id = step.complete ?? step.fail ?? step.heartbeat;
      const lease = workers[step.worker].leases.get(id);
      assert.ok(lease, `${where}: worker ${step.worker} holds no lease of ${id}`);
      const recorded = step.complete !== undefined
        ? await lease.complete()
        : step.fail !== undefined
          ? await lease.fail(step.error ?? 'failed')
          : await lease.heartbeat();
      assert.equal(recorded, step.expect, where);
    } else if (step.run !== undefined) {
      const w = workers[step.run];
      const handler = step.handler === 'record' ? record : handlers[step.handler];
      const outcomes = await w.inbox.work(handler, { limit: step.limit ?? 10, ...w.options });
      assert.deepEqual(outcomes.map(({ id, outcome }) => ({ id, outcome })), step.expect, where);
    } else if (step.redrive !== undefined) {
      const count = await inboxes[first].redrive(step.redrive === '*' ? { all: true } : step.redrive);
      assert.equal(count, step.expect, where);
    } else if (step.purgeDead !== undefined) {
      const count = await inboxes[first].purgeDead(step.purgeDead === '*' ? { all: true } : step.purgeDead);
      assert.equal(count, step.expect, where);
    } else if (step.retention !== undefined) {
      assert.equal(await workers[step.retention].inbox.purgeProcessed(), step.expect, where);
    } else if (step.rows !== undefined) {
      const all = await rows();
      for (const [id, expected] of Object.entries(step.rows)) {
        const row = all.get(id);
        if (expected === null) {
          assert.equal(row, undefined, `${where}: ${id} has a row`);
          continue;
        }
        assert.ok(row, `${where}: ${id} has no row`);
        for (const [field, value] of Object.entries(expected)) {
          if (field === 'runAt') assert.equal(row.runAt - T0, value, `${where}: ${id}.runAt`);
          else if (field === 'lastError') assert.match(row.lastError ?? '', new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${where}: ${id}.lastError`);
          else assert.equal(row[field], value, `${where}: ${id}.${field}`);
        }
      }
      if (step.total !== undefined) assert.equal(all.size, step.total, `${where}: total`);
    } else if (step.counts !== undefined) {
      assert.deepEqual(await inboxes[first].counts(), step.counts, where);
    } else if (step.saw !== undefined) {
      for (const [id, expected] of Object.entries(step.saw)) {
        const delivery = saw.get(id);
        assert.ok(delivery, `${where}: the handler never saw ${id}`);
        const body = spec.bodies[Object.keys(spec.bodies).find((name) => delivery.raw === spec.bodies[name].replaceAll('{id}', id))];
        for (const [field, value] of Object.entries(expected)) {
          if (field === 'type') assert.equal(delivery.type, value, where);
          else if (field === 'eventType') assert.equal(delivery.type, value, where);
          else if (field === 'identity') assert.equal(delivery.identity, value, `${where}: ${id}.identity`);
          else if (field === 'rawIsBody') assert.equal(body !== undefined && Buffer.from(delivery.raw).equals(Buffer.from(delivery.body)), value, where);
          else if (field === 'json') {
            for (const [path, text] of Object.entries(value)) assert.equal(JSON.stringify(at(delivery.json, path)), text, `${where}: json ${path}`);
          } else assert.fail(`${where}: unknown saw field ${field}`);
        }
      }
    } else {
      assert.fail(`${where}: unknown step`);
    }
  }
}

for (const backend of Object.keys(backends)) {
  describe(`inbox conformance on ${backend} (Node)`, () => {
    if (backend === 'postgres' && !POSTGRES) {
      test('PostgreSQL scenarios', { skip: 'COASSEMBLE_TEST_POSTGRES_URL is not set: run under `bash scripts/postgres.sh run` (npm test always does)' }, () => {});
      return;
    }
    for (const scenario of spec.scenarios) {
      test(scenario.name, async (t) => runScenario(t, scenario, await backends[backend](t)));
    }
  });
}

// The statements that run often or on big tables use their indexes: claim (due index), retention
// (retention index), list / list_status (received / status index) and counts (status index). On
// PostgreSQL with enough rows and fresh statistics (ANALYZE), so the planner's choice is the real one.
const PLANNED = {
  claim: (now) => [now, 'w', 30_000, 4],
  purge_processed: (now) => [now - 1000, 500],
  list: () => [100],
  list_status: () => ['dead', 100],
  counts: () => [],
};
const INDEX_OF = {
  claim: /coassemble_webhook_inbox_due/,
  purge_processed: /coassemble_webhook_inbox_retention/,
  list: /coassemble_webhook_inbox_received/,
  list_status: /coassemble_webhook_inbox_status/,
  counts: /coassemble_webhook_inbox_status/,
};

describe('query plans use the indexes', () => {
  test('sqlite: EXPLAIN QUERY PLAN', async (t) => {
    const url = await backends.sqlite(t);
    const inbox = await openInbox(url, { secrets: [spec.secret], onError: () => {} });
    t.after(() => inbox.close());
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(url);
    t.after(() => db.close());
    const insert = db.prepare(`INSERT INTO coassemble_webhook_inbox (delivery_id, event_type, signed_at, received_at, body, status, run_at, processed_at)
      VALUES (?, 'course.completed', 0, ?, x'7b7d', ?, ?, ?)`);
    const statuses = ['processed', 'processed', 'processed', 'dead', 'received', 'failed'];
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(`d${i}`, i, statuses[i % 6], i, statuses[i % 6] === 'processed' ? i : null);
    })();
    db.exec('ANALYZE');
    for (const [name, values] of Object.entries(PLANNED)) {
      const plan = inbox._store.plan(name, values(Date.now()));
      t.diagnostic(`${name}:\n${plan}`);
      assert.match(plan, INDEX_OF[name], `${name} uses its index:\n${plan}`);
      assert.doesNotMatch(plan, /SCAN coassemble_webhook_inbox(?! USING)|USE TEMP B-TREE FOR ORDER BY/, `${name} neither scans the table nor sorts:\n${plan}`);
    }
  });

  test('postgres: EXPLAIN after VACUUM ANALYZE, 20,000 rows', { skip: POSTGRES ? false : 'COASSEMBLE_TEST_POSTGRES_URL is not set' }, async (t) => {
    const url = await backends.postgres(t);
    const inbox = await openInbox(url, { secrets: [spec.secret], onError: () => {} });
    t.after(() => inbox.close());
    // Rows as wide as real deliveries (bodies of ~800 B), so the planner weighs table and index as
    // in production; a table of 2-byte bodies is no larger than its indexes. Through a plain client:
    // the workers' pool commits asynchronously, and VACUUM cannot mark pages all-visible (which
    // index-only scans, counts', rely on) until those commits are flushed.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.after(() => client.end());
    await client.query(`INSERT INTO coassemble_webhook_inbox (delivery_id, event_type, signed_at, received_at, body, status, run_at, processed_at)
      SELECT 'd' || i, 'course.completed', 0, i, convert_to(repeat('x', 800), 'UTF8'),
             (ARRAY['processed','processed','processed','processed','processed','dead','received','failed'])[1 + i % 8], i,
             CASE WHEN i % 8 < 5 THEN i END
      FROM generate_series(1, 20000) AS i`);
    // VACUUM as autovacuum would: it sets the visibility map, which index-only scans (counts) rely on.
    await client.query('VACUUM ANALYZE coassemble_webhook_inbox');
    for (const [name, values] of Object.entries(PLANNED)) {
      const plan = await inbox._store.plan(name, values(10_000));
      t.diagnostic(`${name}:\n${plan}`);
      assert.match(plan, INDEX_OF[name], `${name} uses its index:\n${plan}`);
      assert.doesNotMatch(plan, /Seq Scan on coassemble_webhook_inbox/, `${name} does not scan the table:\n${plan}`);
    }
  });
});
