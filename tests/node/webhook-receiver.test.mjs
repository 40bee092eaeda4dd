// The demo receiver on a real node:http server: answers per the rules, concurrent duplicates and a
// restart between a delivery and its retry are processed once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebhookReceiver } from '../../www/webhook-receiver.mjs';

const SECRET = 'whsec_receiver_test';
const quiet = () => {};

function signed({ id = randomUUID(), timestamp = Math.floor(Date.now() / 1000), body, secret = SECRET } = {}) {
  body ??= JSON.stringify({
    id: `evt_${id.slice(0, 8)}`, type: 'course.created', occurredAt: '2025-11-23T12:13:20Z', workspaceId: 1,
    data: { course: { id: 7, title: 'Safety', key: null, clientIdentifier: null } },
  });
  const signature = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return {
    id, body,
    headers: {
      'X-Coassemble-Event': 'course.created',
      'X-Coassemble-Delivery': id,
      'X-Coassemble-Timestamp': String(timestamp),
      'X-Coassemble-Signature': signature,
    },
  };
}

async function serve(options) {
  const receiver = createWebhookReceiver({ secrets: [SECRET], toleranceSeconds: 300, log: quiet, ...options });
  const server = createServer((req, res) => receiver.handle(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/webhooks`;
  const post = async ({ headers, body }) => {
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, json: await res.json() };
  };
  const close = async () => {
    await new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
    await receiver.close();
  };
  return { receiver, post, close };
}

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-receiver-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('answers 200 accepted, then processes; 400/401 with the error code for refused deliveries', async (t) => {
  const { receiver, post, close } = await serve({ dataDir: tempDir(t) });
  t.after(close);
  const d = signed();
  assert.deepEqual(await post(d), { status: 200, json: { status: 'accepted', id: d.id } });
  await receiver.idle();
  const [record] = receiver.deliveries();
  assert.equal(record.id, d.id);
  assert.equal(record.type, 'course.created');
  assert.equal(record.course.title, 'Safety');
  assert.equal(record.status, 'processed');

  const stale = signed({ timestamp: Math.floor(Date.now() / 1000) - 301 });
  assert.equal((await post(stale)).json.code, 'stale_timestamp');
  assert.equal((await post(stale)).status, 401);
  const tampered = signed();
  tampered.body = tampered.body.replace('Safety', 'Safetx');
  assert.deepEqual([(await post(tampered)).status, (await post(tampered)).json.code], [401, 'bad_signature']);
  const missing = signed();
  delete missing.headers['X-Coassemble-Timestamp'];
  assert.deepEqual([(await post(missing)).status, (await post(missing)).json.code], [400, 'missing_header']);
  await receiver.idle();
  assert.equal(receiver.deliveries().length, 1, 'refused deliveries are not processed');
});

test('two concurrent requests with the same delivery id are processed once', async (t) => {
  let calls = 0;
  const { receiver, post, close } = await serve({
    dataDir: tempDir(t),
    onDelivery: async () => { calls++; await new Promise((r) => setTimeout(r, 50)); },
  });
  t.after(close);
  const d = signed();
  const answers = await Promise.all([post(d), post(d)]);
  const statuses = answers.map((a) => `${a.status} ${a.json.status}`).sort();
  assert.equal(statuses[0], '200 accepted');
  assert.ok(['200 duplicate', '409 in_progress'].includes(statuses[1]), statuses[1]);
  await receiver.idle();
  // Coassemble's later retry is acknowledged as a duplicate.
  assert.deepEqual((await post(d)).json, { status: 'duplicate', id: d.id });
  await receiver.idle();
  assert.equal(calls, 1);
  assert.equal(receiver.deliveries().length, 1);
});

test('a restart between a delivery and its retry processes it once', async (t) => {
  const dataDir = tempDir(t);
  let calls = 0;
  const onDelivery = () => { calls++; };
  const d = signed();

  const first = await serve({ dataDir, onDelivery });
  assert.equal((await first.post(d)).json.status, 'accepted');
  await first.receiver.idle();
  await first.close();

  const second = await serve({ dataDir, onDelivery }); // a new process, same data directory
  t.after(second.close);
  assert.deepEqual((await second.post(d)).json, { status: 'duplicate', id: d.id });
  await second.receiver.idle();
  assert.equal(calls, 1);
  assert.deepEqual(second.receiver.deliveries().map((r) => r.id), [d.id]);
});

test('a failed processing is not recorded, so the retry processes it', async (t) => {
  let attempts = 0;
  const { receiver, post, close } = await serve({
    dataDir: tempDir(t),
    onDelivery: () => { if (++attempts === 1) throw new Error('database down'); },
  });
  t.after(close);
  const d = signed();
  assert.equal((await post(d)).json.status, 'accepted');
  await receiver.idle();
  assert.equal(receiver.deliveries().length, 0);
  assert.equal((await post(d)).json.status, 'accepted');
  await receiver.idle();
  assert.equal(receiver.deliveries().length, 1);
});

test('a torn last line (crash mid-append) is cut off on start', async (t) => {
  const dataDir = tempDir(t);
  const d = signed();
  const first = await serve({ dataDir });
  await first.post(d);
  await first.receiver.idle();
  await first.close();
  const log = join(dataDir, 'webhook-deliveries.jsonl');
  appendFileSync(log, '{"id":"torn","ty');
  const second = await serve({ dataDir });
  t.after(second.close);
  assert.deepEqual(second.receiver.deliveries().map((r) => r.id), [d.id]);
  assert.ok(readFileSync(log, 'utf8').endsWith('\n'));
});
