// coassemble-events/inbox/metrics against a real Prometheus (Debian's `prometheus` 2.x and
// `promtool`, installed by `scripts/setup.sh prometheus`; skipped with a message when missing): a
// receiver does known things (stores, duplicates, refusals, runs that succeed, fail, die and time out,
// a lease taken over, a retention pass, a reconciliation report), `promtool check metrics` lints its
// exposition, and a Prometheus server scraping it every second (with the bearer token) must show
// exactly those numbers through its query API. Prometheus is stopped when the test ends, passed or failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openInbox } from 'coassemble-events/inbox';
import { createInboxMetrics } from 'coassemble-events/inbox/metrics';
import { signedDelivery } from '../support/deliveries.mjs';

const SECRET = 'whsec_metrics_test';
const TOKEN = 'metrics-token-0123456789abcdef';

const which = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() || null;
const prometheusBin = process.env.PROMETHEUS_PATH ?? which('prometheus');
const promtoolBin = process.env.PROMTOOL_PATH ?? which('promtool');
const missing = !prometheusBin || !promtoolBin
  ? 'Prometheus is not installed (prometheus and promtool on PATH): as root on Debian `bash scripts/setup.sh prometheus` installs it'
  : false;
if (missing && process.env.COASSEMBLE_EVENTS_REQUIRE_ENGINES === '1') throw new Error(missing);
if (missing) console.error(`[inbox-metrics] SKIPPING: ${missing}`);

const freePort = () => new Promise((resolve, reject) => {
  const s = netServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** What the receiver does; returns what the metrics must say. */
async function exercise(inbox) {
  const send = (options) => inbox.receive(signedDelivery({ secret: SECRET, ...options }));
  const good = [];
  for (let i = 0; i < 5; i++) {
    const d = signedDelivery({ secret: SECRET, id: `good-${i}` });
    good.push(d);
    assert.equal((await inbox.receive(d)).body.status, 'stored');
  }
  assert.equal((await inbox.receive(good[0])).body.status, 'duplicate');
  assert.equal((await send({ id: 'poison-1' })).body.status, 'stored');
  assert.equal((await send({ id: 'slow-1' })).body.status, 'stored');
  assert.equal((await inbox.receive(signedDelivery({ secret: 'whsec_someone_else' }))).body.code, 'bad_signature');
  assert.equal((await inbox.receive(signedDelivery({ secret: 'whsec_someone_else' }))).body.code, 'bad_signature');
  const stale = signedDelivery({ secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 });
  assert.equal((await inbox.receive(stale)).body.code, 'stale_timestamp');

  // A worker claims good-0 with a 50 ms lease and dies: the next claim takes it over.
  const [abandoned] = await inbox.claim({ limit: 1, leaseMs: 50 });
  assert.equal(abandoned.id, 'good-0');
  await sleep(120);
  const handler = async (delivery, { signal }) => {
    if (delivery.id.startsWith('poison')) throw new Error('the CRM refused it');
    if (delivery.id.startsWith('slow') && delivery.attempt === 1) await sleep(1500, null, { signal }).catch(() => {});
  };
  const first = await inbox.work(handler, { limit: 100, handlerTimeoutMs: 300 });
  assert.deepEqual(first.map((o) => `${o.id}:${o.outcome}`).sort(),
    ['good-0:processed', 'good-1:processed', 'good-2:processed', 'good-3:processed', 'good-4:processed', 'poison-1:failed', 'slow-1:failed']);
  assert.equal(await inbox.purgeProcessed({ olderThanMs: 0 }), 5);
  const second = await inbox.work(handler, { limit: 100, handlerTimeoutMs: 300 });
  assert.deepEqual(second.map((o) => `${o.id}:${o.outcome}`).sort(), ['poison-1:dead', 'slow-1:processed']);
  // Reconciliation (another part of issue 17) reports through the inbox.
  inbox.emit({ kind: 'reconcile', outcome: 'ok', recovered: 3 });
  inbox.emit({ kind: 'reconcile', outcome: 'failed' });
  // One delivery left waiting: the oldest due age grows from now on.
  assert.equal((await send({ id: 'waiting-1' })).body.status, 'stored');

  return {
    'coassemble_inbox_intakes_total{outcome="stored"}': 8,
    'coassemble_inbox_intakes_total{outcome="duplicate"}': 1,
    'coassemble_inbox_intakes_total{code="bad_signature",outcome="refused"}': 2,
    'coassemble_inbox_intakes_total{code="stale_timestamp",outcome="refused"}': 1,
    'coassemble_inbox_intakes_total{outcome="unavailable"}': 0,
    'coassemble_inbox_intake_duration_seconds_count': 12,
    'coassemble_inbox_runs_total{outcome="processed"}': 6,
    'coassemble_inbox_runs_total{outcome="failed"}': 1,
    'coassemble_inbox_runs_total{outcome="dead"}': 1,
    'coassemble_inbox_runs_total{outcome="timed_out"}': 1,
    'coassemble_inbox_runs_total{outcome="lost"}': 0,
    'coassemble_inbox_handler_duration_seconds_count{outcome="processed"}': 6,
    'coassemble_inbox_leases_expired_total{how="taken_over"}': 1,
    'coassemble_inbox_leases_expired_total{how="buried"}': 0,
    'coassemble_inbox_retention_purged_total': 5,
    'coassemble_inbox_retention_runs_total': 1,
    'coassemble_inbox_reconcile_runs_total{outcome="ok"}': 1,
    'coassemble_inbox_reconcile_runs_total{outcome="failed"}': 1,
    'coassemble_inbox_reconciled_total': 3,
    'coassemble_inbox_deliveries{status="received"}': 1,
    'coassemble_inbox_deliveries{status="processing"}': 0,
    'coassemble_inbox_deliveries{status="processed"}': 1,
    'coassemble_inbox_deliveries{status="failed"}': 0,
    'coassemble_inbox_deliveries{status="dead"}': 1,
    'coassemble_inbox_database_up': 1,
  };
}

/** `name{a="x",b="y"}` of a Prometheus query result, labels sorted, without job/instance. */
function seriesName({ metric }) {
  const { __name__: name, job, instance, ...labels } = metric;
  const keys = Object.keys(labels).filter((k) => labels[k] !== '').sort();
  return keys.length ? `${name}{${keys.map((k) => `${k}="${labels[k]}"`).join(',')}}` : name;
}

test('a real Prometheus scrapes the inbox metrics and sees what the receiver did', { skip: missing, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inbox = await openInbox(join(dir, 'inbox.sqlite'), { secrets: [SECRET], maxAttempts: 2, firstRetryMs: 0, maxRetryMs: 0, onError: () => {} });
  t.after(() => inbox.close());
  const metrics = createInboxMetrics(inbox, { token: TOKEN });
  t.after(() => metrics.close());
  const expected = await exercise(inbox);

  const receiver = createServer((req, res) => (req.url === '/metrics' ? metrics.handler(req, res) : inbox.nodeListener(req, res)));
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => { receiver.closeAllConnections(); receiver.close(resolve); }));
  const target = `127.0.0.1:${receiver.address().port}`;

  // The handler: the exposition needs the token; promtool finds nothing to lint.
  assert.equal((await fetch(`http://${target}/metrics`)).status, 401);
  const scraped = await fetch(`http://${target}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(scraped.status, 200);
  assert.equal(scraped.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const exposition = await scraped.text();
  const lint = spawnSync(promtoolBin, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  assert.equal(lint.status, 0, `promtool check metrics:\n${lint.stdout}${lint.stderr}`);
  assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '');
  for (const line of exposition.split('\n').filter((l) => l && !l.startsWith('#'))) {
    assert.match(line, /^coassemble_inbox_/);
  }

  // A real Prometheus, scraping every second with the bearer token.
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: coassemble-inbox
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials: ${TOKEN}
    static_configs:
      - targets: ['${target}']
`);
  const check = spawnSync(promtoolBin, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  let log = '';
  const prometheus = spawn(prometheusBin, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => prometheus.once('exit', resolve));
  t.after(async () => {
    if (prometheus.exitCode === null) prometheus.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => prometheus.kill('SIGKILL'))]);
  });
  const base = `http://127.0.0.1:${port}`;
  const query = async (q) => {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
    const json = await res.json();
    assert.equal(json.status, 'success', JSON.stringify(json));
    return json.data.result;
  };

  // Until every expected series is there (the first samples come after about 5 to 7 s).
  const deadline = Date.now() + 60_000;
  let seen = {};
  for (;;) {
    if (prometheus.exitCode !== null) assert.fail(`prometheus exited (${prometheus.exitCode}): ${log}`);
    try {
      const results = await query('{__name__=~"coassemble_inbox_.+"}');
      seen = Object.fromEntries(results.map((r) => [seriesName(r), Number(r.value[1])]));
      if (Object.keys(expected).every((k) => k in seen)) break;
    } catch (error) {
      if (error.code === 'ERR_ASSERTION') throw error;
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      const targets = await fetch(`${base}/api/v1/targets`).then((r) => r.json()).catch(() => null);
      assert.fail(`series missing after 60 s: ${Object.keys(expected).filter((k) => !(k in seen)).join(', ')}\n`
        + `targets: ${JSON.stringify(targets?.data?.activeTargets?.map((a) => [a.health, a.lastError]))}\n${log}`);
    }
    await sleep(500);
  }
  const wrong = Object.entries(expected).filter(([k, v]) => seen[k] !== v).map(([k, v]) => `${k}: ${seen[k]} (expected ${v})`);
  assert.deepEqual(wrong, []);
  const [target0] = (await fetch(`${base}/api/v1/targets`).then((r) => r.json())).data.activeTargets;
  assert.equal(target0.health, 'up');
  // The waiting delivery has been due since before the first scrape.
  assert.ok(seen.coassemble_inbox_oldest_due_age_seconds > 0, `oldest due age ${seen.coassemble_inbox_oldest_due_age_seconds}`);
  // Histograms work in PromQL: every intake took under 5 s.
  const [within] = await query('coassemble_inbox_intake_duration_seconds_bucket{le="5"}');
  assert.equal(Number(within.value[1]), expected.coassemble_inbox_intake_duration_seconds_count);
});

test('the exposition without a database: database_up 0, and still an answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-metrics-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const inbox = await openInbox(join(dir, 'inbox.sqlite'), { secrets: [SECRET], onError: () => {} });
  const metrics = createInboxMetrics(inbox);
  assert.match(await metrics.text(), /^coassemble_inbox_database_up 1$/m);
  await inbox.close();
  const text = await metrics.text();
  assert.match(text, /^coassemble_inbox_database_up 0$/m);
  assert.match(text, /^coassemble_inbox_deliveries\{status="received"\} 0$/m);
  metrics.close();
  assert.throws(() => createInboxMetrics({}), /openInbox/);
  assert.throws(() => createInboxMetrics(inbox, { token: 'short' }), /16 characters/);
});
