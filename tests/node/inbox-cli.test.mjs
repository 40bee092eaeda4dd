// `npx coassemble-events inbox ...` (testing/cli.js → testing/inbox-cli.js) as a child process, the
// way an operator runs it, on a SQLite file and on the test PostgreSQL (COASSEMBLE_TEST_POSTGRES_URL,
// set by `scripts/postgres.sh run`; else a server of this file's own), each seeded with a day of
// realistic deliveries (tests/support/inbox-seed.mjs): list, counts, redrive, purge, reconcile, serve,
// the exit codes (0 ok, 1 failed, 2 usage) and one-line errors without stack traces or passwords.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshDatabase, startPostgres } from '../support/postgres.mjs';
import { seedInbox } from '../support/inbox-seed.mjs';
import { completedBody } from '../support/deliveries.mjs';
import { loadStatements } from '../../js/server/inbox-sql.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'testing', 'cli.js');
const TOKEN = 'cli-test-token-0123456789';
const ENV = { ...process.env, DATABASE_URL: '', COASSEMBLE_INBOX_TOKEN: '', COASSEMBLE_API_KEY: '' };

/** Runs the CLI: `{ code, stdout, stderr }`. */
function cli(args, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...ENV, ...env }, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
}

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** One line on stderr, no stack frame. */
function oneLine(stderr) {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
}

/** Starts `inbox serve`; resolves with `{ url, child, output }` once it prints its URL. */
function serve(args, env = {}) {
  const child = spawn(process.execPath, [CLI, 'inbox', 'serve', ...args], { cwd: ROOT, env: { ...ENV, ...env } });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d;
      const match = /dashboard at (http:\/\/\S+?)\/ /.exec(output);
      if (match) resolve({ url: match[1], child, output: () => output });
    });
    child.stderr.on('data', (d) => { output += d; });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

let pgServer;
const backends = {
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'inbox-cli-'));
    return { url: join(dir, 'inbox.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  },
  async postgres() {
    let base = process.env.COASSEMBLE_TEST_POSTGRES_URL;
    if (!base) {
      pgServer ??= await startPostgres();
      base = pgServer.url;
    }
    return { url: await freshDatabase(base, `inbox_cli_${process.pid}`), cleanup: () => {} };
  },
};
after(() => pgServer?.close());

for (const [backend, make] of Object.entries(backends)) describe(backend, () => {
  let db, inbox, ids;
  before(async () => {
    db = await make();
    ({ inbox, ids } = await seedInbox(db.url));
  });
  after(async () => {
    await inbox?.close();
    db?.cleanup();
  });

  test('counts, as a table and as JSON', async () => {
    const counts = await inbox.counts();
    const json = await cli(['inbox', 'counts', '--database', db.url, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.ok(parsed.oldestDueMs > 0);
    delete parsed.oldestDueMs;
    assert.deepEqual(parsed, counts);
    const text = await cli(['inbox', 'counts', '--database', db.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^dead\\s+${counts.dead}$`, 'm'));
    assert.match(text.stdout, /^oldest due\s+\d+ s$/m);
  });

  test('list, filtered by status and type, as a table and as JSON', async () => {
    const dead = await cli(['inbox', 'list', '--database', db.url, '--status', 'dead', '--json']);
    assert.equal(dead.code, 0, dead.stderr);
    assert.deepEqual(JSON.parse(dead.stdout).map((d) => d.id).sort(), [...ids.dead].sort());
    const commenced = await cli(['inbox', 'list', '--database', db.url, '--type', 'course.commenced', '--limit', '5', '--json']);
    const rows = JSON.parse(commenced.stdout);
    assert.equal(rows.length, 5);
    assert.ok(rows.every((d) => d.type === 'course.commenced'));
    assert.deepEqual(rows.map((d) => d.id), (await inbox.list({ type: 'course.commenced', limit: 5 })).map((d) => d.id));
    const both = JSON.parse((await cli(['inbox', 'list', '--database', db.url, '--status', 'dead', '--type', 'course.created', '--json'])).stdout);
    assert.ok(both.every((d) => d.type === 'course.created' && d.status === 'dead'));
    const table = await cli(['inbox', 'list', '--database', db.url, '--status', 'failed']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0], /^ID\s+TYPE\s+STATUS\s+ATTEMPTS\s+RECEIVED\s+NEXT RUN\s+LAST ERROR$/);
    assert.equal(lines.length, 1 + ids.failed.length);
    assert.match(table.stdout, /CRM answered 503/);
  });

  test('redrive one dead delivery, refuse one that is not dead, then --all', async () => {
    const [first, ...rest] = ids.dead;
    const one = await cli(['inbox', 'redrive', first, '--database', db.url]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`re-drove ${first}`));
    assert.equal((await inbox.get(first)).status, 'received');
    const notDead = await cli(['inbox', 'redrive', first, '--database', db.url]);
    assert.equal(notDead.code, 1);
    oneLine(notDead.stderr);
    assert.match(notDead.stderr, /is received, not dead/);
    const unknown = await cli(['inbox', 'redrive', 'no-such-delivery', '--database', db.url]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no delivery no-such-delivery/);
    const all = await cli(['inbox', 'redrive', '--all', '--database', db.url]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`re-drove ${rest.length} dead deliveries`));
    assert.equal((await inbox.counts()).dead, 0);
  });

  test('purge removes dead deliveries and names them', async () => {
    // Make the due ones dead again (a run that fails for good).
    for (const lease of await inbox.claim({ limit: 100 })) await lease.fail(new Error('still refused'), { final: true });
    const dead = (await inbox.list({ status: 'dead', limit: 1000 })).map((d) => d.id);
    assert.ok(dead.length >= 2, `dead: ${dead.length}`);
    const one = await cli(['inbox', 'purge', dead[0], '--database', db.url]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`^removed 1 dead delivery:\\n  ${dead[0]}  `));
    assert.equal(await inbox.get(dead[0]), null);
    const processed = (await inbox.list({ status: 'processed', limit: 1 }))[0].id;
    const refused = await cli(['inbox', 'purge', processed, '--database', db.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is processed, not dead/);
    const all = await cli(['inbox', 'purge', '--all', '--database', db.url]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`^removed ${dead.length - 1} dead deliver`));
    for (const id of dead.slice(1)) assert.ok(all.stdout.includes(id), id);
    assert.equal((await inbox.counts()).dead, 0);
    const none = await cli(['inbox', 'purge', '--all', '--database', db.url]);
    assert.equal(none.code, 0);
    assert.match(none.stdout, /no dead deliveries to remove/);
  });

  test('reconcile: the report, exit 0; a wrong key or an unreachable API, exit 1 in one line; usage, exit 2', async (t) => {
    const { startPlatform } = await import('coassemble-events/testing');
    const platform = await startPlatform({ courses: [{ id: 981, title: 'Onboarding' }] });
    t.after(() => platform.close());
    platform.learn({ courseId: 981, identifier: `cli-${db.url.length}`, complete: true });
    const env = { COASSEMBLE_API_KEY: platform.apiKey, COASSEMBLE_API_URL: platform.baseUrl };
    const ok = await cli(['inbox', 'reconcile', '--course', '981', '--database', db.url, '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const report = JSON.parse(ok.stdout);
    assert.equal(report.listed, 1);
    assert.equal(report.recovered + report.known, 2);
    const again = await cli(['inbox', 'reconcile', '--course', '981', '--database', db.url], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /1 trackings listed, 0 recovered \(stored now\), 2 known/);
    const wrong = await cli(['inbox', 'reconcile', '--course', '981', '--database', db.url], { ...env, COASSEMBLE_API_KEY: 'COASSEMBLE:1:x' });
    assert.equal(wrong.code, 1);
    oneLine(wrong.stderr);
    assert.match(wrong.stderr, /api_unauthorized/);
    assert.equal((await cli(['inbox', 'reconcile', '--database', db.url], env)).code, 2);
    assert.equal((await cli(['inbox', 'reconcile', '--course', '981', '--database', db.url], { COASSEMBLE_API_KEY: '' })).code, 2);
  });

  test('serve: the dashboard API and /metrics behind the token, stopped by SIGTERM', async () => {
    const server = await serve(['--database', db.url, '--port', '0'], { COASSEMBLE_INBOX_TOKEN: TOKEN });
    try {
      assert.equal((await fetch(`${server.url}/api/summary`)).status, 401);
      const summary = await (await fetch(`${server.url}/api/summary`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
      assert.deepEqual(summary.counts, await inbox.counts());
      assert.equal(summary.reconcile, false);
      assert.equal((await fetch(`${server.url}/`)).status, 200);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
      const metrics = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      assert.match(metrics, new RegExp(`^coassemble_inbox_deliveries\\{status="processed"\\} ${(await inbox.counts()).processed}$`, 'm'));
    } finally {
      server.child.kill('SIGTERM');
    }
    const [code] = await new Promise((resolve) => server.child.once('exit', (...a) => resolve(a)));
    assert.equal(code, 0);
  });
});

test('a database no Node code wrote: the shared schema and insert statement only, as another receiver writes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-cli-foreign-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'rust-receiver.sqlite');
  const { default: Database } = await import('better-sqlite3');
  const sql = loadStatements('sqlite');
  const db = new Database(path);
  db.exec(sql.connect);
  db.exec(sql.schema); // the table only: a receiver that never ran `indexes`
  const insert = db.prepare(sql.insert);
  const now = Date.now();
  const row = (id, status, error) => Object.fromEntries([id, 'course.completed', Math.floor(now / 1000) - 60, now - 60_000,
    Buffer.from(completedBody()), `evt_${id}`, 0, status, error, 10, 10_000, 3_600_000, null, 0].map((v, i) => [i + 1, v]));
  insert.run(row('rust-1', 'received', null));
  insert.run(row('rust-2', 'dead', 'body is not JSON (stored as received): expected value at line 1'));
  db.close();
  const counts = JSON.parse((await cli(['inbox', 'counts', '--database', path, '--json'])).stdout);
  assert.deepEqual({ ...counts, oldestDueMs: undefined }, { received: 1, processing: 0, processed: 0, failed: 0, dead: 1, oldestDueMs: undefined });
  assert.ok(counts.oldestDueMs >= 60_000);
  const dead = await cli(['inbox', 'list', '--database', path, '--status', 'dead']);
  assert.match(dead.stdout, /^rust-2\s+course\.completed\s+dead\s+0\/10\s+\S+\s+-\s+body is not JSON/m);
  const redrive = await cli(['inbox', 'redrive', 'rust-2', '--database', path]);
  assert.equal(redrive.code, 0, redrive.stderr);
});

describe('usage and failures', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'inbox-cli-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help exits 0; bad usage exits 2 with one line and a pointer to --help', async () => {
    const help = await cli(['inbox', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: coassemble-events inbox <command> --database <url>/);
    for (const command of ['serve', 'list', 'counts', 'redrive', 'purge', 'reconcile']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    const db = join(dir, 'x.sqlite');
    for (const args of [['inbox'], ['inbox', 'frobnicate', '--database', db], ['inbox', 'list'], ['inbox', 'list', '--database', db, '--status', 'lost'],
      ['inbox', 'list', '--database', db, '--limit', 'ten'], ['inbox', 'counts', '--database', db, '--bogus'], ['inbox', 'redrive', '--database', db],
      ['inbox', 'purge', 'a', '--all', '--database', db], ['inbox', 'counts', '--database', db, '--all'], ['nope']]) {
      const res = await cli(args);
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stdout}${res.stderr}`);
      assert.doesNotMatch(res.stderr, /^\s+at /m);
    }
    const top = await cli([]);
    assert.equal(top.code, 2);
    assert.match(top.stderr, /usage: coassemble-events send-test-webhooks/);
    assert.match(top.stderr, /coassemble-events inbox </);
  });

  test('a database that does not answer: exit 1, one line naming the host, never the password', async () => {
    const port = await freePort();
    const res = await cli(['inbox', 'counts', '--database', `postgres://ops:s3cr3t-pw@127.0.0.1:${port}/inbox`]);
    assert.equal(res.code, 1, res.stderr);
    oneLine(res.stderr);
    assert.match(res.stderr, new RegExp(`postgres://ops@127\\.0\\.0\\.1:${port}/inbox: connection refused \\(ECONNREFUSED\\)`));
    assert.doesNotMatch(res.stderr, /s3cr3t/);
    // A server that accepts and never answers (a firewall that drops packets looks the same).
    const silent = createServer(() => {});
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const hung = await cli(['inbox', 'counts', '--database', `postgres://ops:s3cr3t-pw@127.0.0.1:${silent.address().port}/inbox`],
        { COASSEMBLE_INBOX_OPEN_TIMEOUT_MS: '1500' });
      assert.equal(hung.code, 1);
      oneLine(hung.stderr);
      assert.match(hung.stderr, /postgres:\/\/ops@127\.0\.0\.1:\d+\/inbox: no answer within 1\.5 s/);
      assert.doesNotMatch(hung.stderr, /s3cr3t/);
    } finally {
      silent.close();
    }
    const missing = await cli(['inbox', 'list', '--database', join(dir, 'nowhere.sqlite')]);
    assert.equal(missing.code, 1);
    oneLine(missing.stderr);
    assert.match(missing.stderr, /no inbox database at/);
  });

  test('serve refuses a non-loopback host without a token; on loopback it answers without one', async () => {
    const db = join(dir, 'serve.sqlite');
    const { inbox } = await seedInbox(db, { hours: 1 });
    await inbox.close();
    const refused = await cli(['inbox', 'serve', '--database', db, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refusing to serve the dashboard on 0\.0\.0\.0 without a token/);
    const server = await serve(['--database', db, '--port', '0']);
    try {
      assert.match(server.output(), /no token: answering loopback requests only/);
      assert.equal((await fetch(`${server.url}/api/summary`)).status, 200);
      // A DNS-rebinding page reaches the port under another name: refused.
      // (node:http: fetch does not let a caller set Host.)
      const status = await new Promise((resolve, reject) => {
        get(`${server.url}/api/summary`, { headers: { host: 'evil.example' } }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject);
      });
      assert.equal(status, 403);
    } finally {
      server.child.kill('SIGTERM');
    }
  });
});
