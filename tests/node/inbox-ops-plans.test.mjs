// The operating statements (the end of sql/inbox.*.sql: get, list_type, list_status_type, oldest_due,
// expired_leases, activity) use indexes, on 20,000 rows of four event types with fresh statistics:
// the dashboard and the metrics read them every few seconds on tables of any size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openInbox } from 'coassemble-events/inbox';
import { freshDatabase } from '../support/postgres.mjs';

const POSTGRES = process.env.COASSEMBLE_TEST_POSTGRES_URL;
const ROWS = 20_000;
// Rows i = 1..ROWS: received_at = i; course.created every 100th row (rare, as in real inboxes; a common
// type is read faster through the received index, which PostgreSQL rightly prefers), the others
// completed or commenced; status by i % 8, dead at 4 (processed rows processed at i).
const PLANNED = {
  get: () => ['d123'],
  list_type: () => ['course.created', 100],
  list_status_type: () => ['dead', 'course.created', 100],
  oldest_due: () => [ROWS],
  expired_leases: () => [ROWS, 100],
  activity: () => [ROWS - 500, 100],
};
const INDEX_OF = {
  sqlite: {
    get: /USING INDEX sqlite_autoindex_coassemble_webhook_inbox_1 \(delivery_id=\?\)/,
    list_type: /USING INDEX coassemble_webhook_inbox_type \(event_type=\?\)/,
    list_status_type: /USING INDEX coassemble_webhook_inbox_type \(event_type=\?\)/,
    oldest_due: /USING (COVERING )?INDEX coassemble_webhook_inbox_due/,
    expired_leases: /USING INDEX coassemble_webhook_inbox_due/,
    activity: /USING COVERING INDEX coassemble_webhook_inbox_received \(received_at>\?\)[\s\S]*USING COVERING INDEX coassemble_webhook_inbox_retention \(processed_at>\?\)/,
  },
  postgres: {
    get: /coassemble_webhook_inbox_pkey/,
    list_type: /coassemble_webhook_inbox_type/,
    list_status_type: /coassemble_webhook_inbox_type/,
    oldest_due: /coassemble_webhook_inbox_due/,
    expired_leases: /coassemble_webhook_inbox_due/,
    activity: /coassemble_webhook_inbox_received[\s\S]*coassemble_webhook_inbox_retention|coassemble_webhook_inbox_retention[\s\S]*coassemble_webhook_inbox_received/,
  },
};

test('sqlite: EXPLAIN QUERY PLAN of the operating statements', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-ops-plans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const url = join(dir, 'inbox.sqlite');
  const inbox = await openInbox(url, { onError: () => {} });
  t.after(() => inbox.close());
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(url);
  t.after(() => db.close());
  const insert = db.prepare(`INSERT INTO coassemble_webhook_inbox (delivery_id, event_type, signed_at, received_at, body, status, run_at, processed_at)
    VALUES (?, ?, 0, ?, x'7b7d', ?, ?, ?)`);
  const type = (i) => (i % 100 === 0 ? 'course.created' : i % 2 ? 'course.completed' : 'course.commenced');
  const statuses = ['processed', 'processed', 'processed', 'processed', 'dead', 'processed', 'received', 'processing'];
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) insert.run(`d${i}`, type(i), i, statuses[i % 8], i, statuses[i % 8] === 'processed' ? i : null);
  })();
  db.exec('ANALYZE');
  for (const [name, values] of Object.entries(PLANNED)) {
    const plan = inbox._store.plan(name, values());
    t.diagnostic(`${name}:\n${plan}`);
    assert.match(plan, INDEX_OF.sqlite[name], `${name} uses its index:\n${plan}`);
    assert.doesNotMatch(plan, /SCAN coassemble_webhook_inbox(?! USING)|USE TEMP B-TREE FOR ORDER BY/, `${name} neither scans the table nor sorts:\n${plan}`);
  }
  // And they answer what the rows say.
  assert.equal((await inbox.list({ type: 'course.created', status: 'dead', limit: 3 })).map((d) => d.id).join(), 'd19900,d19700,d19500');
  assert.equal((await inbox.get('d123')).type, 'course.completed');
});

test('postgres: EXPLAIN of the operating statements after VACUUM ANALYZE', { skip: POSTGRES ? false : 'COASSEMBLE_TEST_POSTGRES_URL is not set' }, async (t) => {
  const url = await freshDatabase(POSTGRES, `inbox_ops_plans_${process.pid}`);
  const inbox = await openInbox(url, { onError: () => {} });
  t.after(() => inbox.close());
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.after(() => client.end());
  await client.query(`INSERT INTO coassemble_webhook_inbox (delivery_id, event_type, signed_at, received_at, body, status, run_at, processed_at)
    SELECT 'd' || i, CASE WHEN i % 100 = 0 THEN 'course.created' WHEN i % 2 = 1 THEN 'course.completed' ELSE 'course.commenced' END,
           0, i, convert_to(repeat('x', 800), 'UTF8'),
           (ARRAY['processed','processed','processed','processed','dead','processed','received','processing'])[1 + i % 8], i,
           CASE WHEN i % 8 IN (0, 1, 2, 3, 5) THEN i END
    FROM generate_series(1, ${ROWS}) AS i`);
  await client.query('VACUUM ANALYZE coassemble_webhook_inbox');
  for (const [name, values] of Object.entries(PLANNED)) {
    const plan = await inbox._store.plan(name, values());
    t.diagnostic(`${name}:\n${plan}`);
    assert.match(plan, INDEX_OF.postgres[name], `${name} uses its index:\n${plan}`);
    assert.doesNotMatch(plan, /Seq Scan on coassemble_webhook_inbox/, `${name} does not scan the table:\n${plan}`);
  }
  assert.equal((await inbox.list({ type: 'course.created', status: 'dead', limit: 3 })).map((d) => d.id).join(), 'd19900,d19700,d19500');
});
