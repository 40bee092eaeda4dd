// coassemble-events/testing in Node: signWebhook signs what verifyWebhook accepts (same Rust code),
// and the send-test-webhooks command gets the eight expected answers from the README's receiver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signWebhook, testWebhookCases, startEmulators } from 'coassemble-events/testing';
import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const delivery = {
  id: 'evt_1', type: 'course.completed', occurredAt: '2026-11-23T12:00:00Z', workspaceId: 1,
  data: { course: { id: 9, title: 'Onboarding', key: 'k', clientIdentifier: null },
    tracking: { id: 5, identifier: 'learner-7', email: null, commenced: '2026-11-23T11:00:00Z', completed: '2026-11-23T12:00:00Z', totalTime: 3600 } },
};

test('signWebhook: an object body is sent as its JSON, signed so verifyWebhook accepts it', () => {
  const { headers, body } = signWebhook({ secret: 'whsec_kit', body: delivery, timestamp: 1_763_900_000, deliveryId: 'd-7' });
  assert.equal(body, JSON.stringify(delivery));
  assert.equal(headers['X-Coassemble-Event'], 'course.completed', 'the event defaults to the body type');
  assert.equal(headers['X-Coassemble-Delivery'], 'd-7');
  assert.equal(headers['X-Coassemble-Timestamp'], '1763900000');
  assert.match(headers['X-Coassemble-Signature'], /^sha256=[0-9a-f]{64}$/);
  const verified = verifyWebhook({ headers, body, secrets: ['whsec_kit'], now: 1_763_900_010 });
  assert.deepEqual([verified.id, verified.type, verified.event.tracking.identifier], ['d-7', 'course.completed', 'learner-7']);
  assert.throws(() => verifyWebhook({ headers, body, secrets: ['whsec_other'], now: 1_763_900_010 }),
    (e) => e instanceof WebhookError && e.code === 'bad_signature');
});

test('signWebhook: a string body is signed byte for byte; defaults are now and a fresh id; bad input is a TypeError', () => {
  const text = JSON.stringify(delivery, null, 2);
  const a = signWebhook({ secret: 's', body: text, event: 'course.commenced' });
  const b = signWebhook({ secret: 's', body: text, event: 'course.commenced' });
  assert.equal(a.body, text);
  assert.equal(a.headers['X-Coassemble-Event'], 'course.commenced');
  assert.notEqual(a.headers['X-Coassemble-Delivery'], b.headers['X-Coassemble-Delivery']);
  assert.ok(Math.abs(Number(a.headers['X-Coassemble-Timestamp']) - Date.now() / 1000) < 60);
  assert.equal(verifyWebhook({ headers: a.headers, body: Buffer.from(a.body), secrets: 's' }).type, 'course.completed');
  for (const bad of [{ body: '{}' }, { secret: '', body: '{}' }, { secret: 's', body: '{}', timestamp: 1.5 }, { secret: 's' }]) {
    assert.throws(() => signWebhook(bad), TypeError, JSON.stringify(bad));
  }
});

test('testWebhookCases: eight cases, each refused or accepted by verifyWebhook as its expected answer says', () => {
  const cases = testWebhookCases('whsec_kit');
  assert.equal(cases.length, 8);
  for (const { name, headers, body, expected } of cases.filter((c) => c.name !== 'duplicate (same delivery id, a retry)')) {
    const [status, word] = expected.split(' ');
    try {
      verifyWebhook({ headers, body, secrets: ['whsec_kit'] });
      assert.equal(status, '200', name);
    } catch (e) {
      assert.ok(e instanceof WebhookError, `${name}: ${e}`);
      assert.deepEqual([String(e.status), e.code], [status, word], name);
    }
  }
});

/** Runs `command` (argv) from the repository root until it prints a line matching `pattern`. */
function startProcess(argv, env, pattern) {
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const match = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = pattern.exec(out);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}):\n${out}`)));
  });
  return { child, match };
}

const run = (argv, env) => new Promise((resolve) => {
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  child.once('exit', (code) => resolve({ code, out }));
});

test('the send-test-webhooks command: eight ✓ from the README receiver, exit 1 when the secret is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kit-receiver-')); // the receiver's inbox, not in the repo
  const receiver = startProcess(['examples/node-receiver.mjs'],
    { PORT: '0', COASSEMBLE_WEBHOOK_SECRET: 'whsec_kit', DATABASE_URL: join(dir, 'webhooks.sqlite') },
    /listening on (http:\/\/\S+)/);
  try {
    const [, url] = await receiver.match;
    const good = await run(['testing/cli.js', 'send-test-webhooks', url, '--secret', 'whsec_kit']);
    assert.equal(good.code, 0, good.out);
    assert.equal(good.out.match(/^✓ /gm)?.length, 8, good.out);
    const bad = await run(['testing/cli.js', 'send-test-webhooks', url, '--secret', 'whsec_wrong']);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /✗ valid delivery\s+401 bad_signature/);
    const usage = await run(['testing/cli.js']);
    assert.equal(usage.code, 2);
    assert.match(usage.out, /usage: coassemble-events send-test-webhooks/);
  } finally {
    receiver.child.kill();
    await once(receiver.child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('startEmulators: its own origin, player and builder URLs with the options encoded, 404 elsewhere', async () => {
  const emulators = await startEmulators();
  try {
    assert.match(emulators.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    const url = new URL(emulators.playerUrl({ parent: 'http://localhost:5173/some/page', envelope: 'object',
      events: ['course:start', { type: 'course', event: 'progress', data: { progress: 40 } }], ready: false }));
    assert.equal(url.origin, emulators.origin);
    assert.equal(url.pathname, '/player.html');
    assert.equal(url.searchParams.get('parent'), 'http://localhost:5173');
    assert.equal(url.searchParams.get('envelope'), 'object');
    assert.equal(url.searchParams.get('ready'), '0');
    assert.deepEqual(JSON.parse(url.searchParams.get('events')), ['course:start', { type: 'course', event: 'progress', data: { progress: 40 } }]);
    assert.equal(new URL(emulators.builderUrl({ parent: 'http://localhost:5173' })).pathname, '/builder.html');
    assert.throws(() => emulators.playerUrl({}), TypeError);
    assert.throws(() => emulators.playerUrl({ parent: 'http://x', envelope: 'xml' }), TypeError);
    for (const [path, status] of [['/player.html', 200], ['/builder.html', 200], ['/emulator.js', 200], ['/', 200],
      ['/../package.json', 404], ['/index.js', 404]]) {
      assert.equal((await fetch(emulators.origin + path)).status, status, path);
    }
  } finally {
    await emulators.close();
  }
});
