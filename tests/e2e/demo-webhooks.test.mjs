// The demo's webhook pipeline end to end: `node www/server.mjs` as a child process (so that it can be
// SIGKILLed and restarted on the same DEMO_DATA_DIR), deliveries signed as Coassemble signs them, the
// API that tests and scripts rely on, and the pipeline panel in headless Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';
import { completedBody, signedDelivery } from '../support/deliveries.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET = 'whsec_demo'; // the demo's default

const running = new Set();
after(async () => {
  for (const demo of running) await demo.kill('SIGTERM');
});

/** Starts the demo server on `dataDir`; resolves with `{ base, kill(signal) }` once it printed its URL. */
async function startDemo(dataDir) {
  const child = spawn(process.execPath, ['www/server.mjs'], {
    cwd: ROOT, env: { ...process.env, PORT: '0', EMU_PORT: '0', DEMO_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /coassemble-events demo: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`demo server exited (${code}) before printing its URL:\n${out}`)));
  });
  child.stdout.resume();
  const demo = {
    base,
    async kill(signal) {
      running.delete(demo);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  running.add(demo);
  return demo;
}

function dataDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'coassemble-demo-webhooks-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const api = async (base, path, json) => {
  const res = await fetch(new URL(path, base), json === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json),
  });
  return { status: res.status, json: await res.json() };
};

async function post(base, delivery) {
  const res = await fetch(new URL('/webhooks', base), { method: 'POST', headers: delivery.headers, body: delivery.body });
  return { status: res.status, json: await res.json() };
}

/** Polls GET /api/webhooks until `check(entry)` holds for delivery `id`; fails after `ms`. */
async function untilDelivery(base, id, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = (await api(base, '/api/webhooks')).json.deliveries.find((d) => d.id === id);
    if (last && check(last)) return last;
    if (Date.now() > deadline) throw new Error(`delivery ${id} did not reach the expected state; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('GET /api/webhooks: one entry per delivery id with id, type, status, attempts', async (t) => {
  const demo = await startDemo(dataDir(t));
  const d = signedDelivery({ secret: SECRET });
  assert.deepEqual(await post(demo.base, d), { status: 200, json: { status: 'stored', id: d.id } });
  assert.deepEqual(await post(demo.base, d), { status: 200, json: { status: 'duplicate', id: d.id } });
  const entry = await untilDelivery(demo.base, d.id, (x) => x.status === 'processed');
  assert.equal(entry.type, 'course.completed');
  assert.equal(entry.attempts, 1);
  const { deliveries } = (await api(demo.base, '/api/webhooks')).json;
  assert.equal(deliveries.filter((x) => x.id === d.id).length, 1);
  for (const x of deliveries) assert.ok(['received', 'processing', 'processed', 'failed', 'dead'].includes(x.status));
  assert.equal((await api(demo.base, '/api/webhooks/fail', { count: -1 })).status, 400);
});

test('a delivery whose handler throws once is processed by a retry', async (t) => {
  const demo = await startDemo(dataDir(t));
  assert.deepEqual((await api(demo.base, '/api/webhooks/fail', { count: 1 })).json, { failNext: 1 });
  const d = signedDelivery({ secret: SECRET });
  assert.equal((await post(demo.base, d)).status, 200);
  const processed = await untilDelivery(demo.base, d.id, (x) => x.status === 'processed');
  assert.equal(processed.attempts, 2, 'the first run threw, the retry processed it');
});

test('a delivery stored just before a SIGKILL of the server is processed after the restart', async (t) => {
  const dir = dataDir(t);
  const first = await startDemo(dir);
  // Every run throws until the restart (the fail count is not persisted), so the delivery is still
  // unprocessed, only stored, when the process dies.
  await api(first.base, '/api/webhooks/fail', { count: 1000 });
  const d = signedDelivery({ secret: SECRET });
  assert.deepEqual(await post(first.base, d), { status: 200, json: { status: 'stored', id: d.id } });
  await untilDelivery(first.base, d.id, (x) => x.status === 'failed');
  await first.kill('SIGKILL');

  const second = await startDemo(dir);
  assert.equal((await api(second.base, '/api/webhooks')).json.failNext, 0);
  const processed = await untilDelivery(second.base, d.id, (x) => x.status === 'processed');
  assert.ok(processed.attempts >= 2);
});

test('a signed delivery with "totalTime": 12.5 and an unknown extra field is accepted and processed', async (t) => {
  const demo = await startDemo(dataDir(t));
  const d = signedDelivery({ secret: SECRET, body: completedBody({ tracking: { totalTime: 12.5 }, extra: { cohort: 'spring' } }) });
  assert.deepEqual(await post(demo.base, d), { status: 200, json: { status: 'stored', id: d.id } });
  const processed = await untilDelivery(demo.base, d.id, (x) => x.status === 'processed');
  assert.equal(processed.attempts, 1);
});

test('dead letters are listed and re-driven; the pipeline panel shows it all (screenshot)', async (t) => {
  const demo = await startDemo(dataDir(t));
  const notJson = signedDelivery({ secret: SECRET, body: 'this is not JSON' });
  assert.equal((await post(demo.base, notJson)).status, 200);
  assert.equal((await untilDelivery(demo.base, notJson.id, (x) => x.status === 'dead')).attempts, 0);

  const context = await launchBrowser();
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(90_000); // these machines have 2 cores, often shared with a Rust build
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  await page.setViewportSize({ width: 1440, height: 1100 });
  await page.goto(demo.base);

  await page.locator('#webhook-test').click();
  await page.locator('#deliveries li[data-status="processed"]').first().waitFor();
  await page.locator('#webhook-fail').click();
  await page.locator('#webhook-failing', { hasText: 'next 2 runs' }).waitFor();
  await page.locator('#webhook-test').click(); // fails twice, then a retry processes it
  await page.locator('#deliveries li[data-status="failed"]').first().waitFor();
  await page.locator('#webhook-stages li[data-status="dead"] b', { hasText: '1' }).waitFor();

  await page.evaluate(() => window.scrollTo(0, 0));
  mkdirSync(join(ROOT, 'target', 'e2e'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target', 'e2e', 'demo-webhooks.png'), fullPage: true });

  // Re-drive from the panel: the dead delivery runs again (and, still not JSON, dies again).
  await page.locator(`#deliveries button[data-redrive="${notJson.id}"]`).click();
  const again = await untilDelivery(demo.base, notJson.id, (x) => x.status === 'dead' && x.attempts === 1);
  assert.match(again.lastError, /JSON|delivery/i);
  assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page');
});
