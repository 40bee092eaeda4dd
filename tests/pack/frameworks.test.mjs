// The inbox behind real frameworks (issue 18): Express with a global express.json() answers a JSON
// 500 `body_already_parsed` (Coassemble retries a 5xx) instead of a bare 500, and express.raw()'s
// Buffer is used as the raw body; and the Fastify recipe's plugin keeps JSON parsing for the app's
// other routes. (The recipes of docs/guide/raw-body.md themselves are type-checked by
// tests/node/snippets.test.mjs and run by tests/node/readme-inbox.test.mjs.) The frameworks are
// installed once from the npm registry into the cache (tests/support/consumer.mjs): about 10 s the
// first time, nothing after.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openInbox } from 'coassemble-events/inbox';
import { cache, installTools } from '../support/consumer.mjs';
import { signedDelivery } from '../support/deliveries.mjs';

const TOOLS = ['express@5.3.0', 'fastify@5.12.8'];
const toolsDir = join(cache, 'frameworks');
const SECRET = 'whsec_frameworks';
let load, inbox, dbDir;

before(async () => {
  await installTools(toolsDir, TOOLS);
  load = createRequire(join(toolsDir, 'package.json'));
  dbDir = mkdtempSync(join(tmpdir(), 'frameworks-'));
  inbox = await openInbox(join(dbDir, 'inbox.sqlite'), { secrets: [SECRET] });
});

after(async () => {
  await inbox?.close();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

/** Listens on a free loopback port; resolves `{ url, close() }`. */
function listen(server) {
  return new Promise((resolve) => {
    const s = server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${s.address().port}/webhooks`,
      close: () => new Promise((done) => { s.closeAllConnections?.(); s.close(done); }),
    }));
  });
}

/** POSTs one signed delivery (as `contentType`); resolves `{ status, type, json }`. */
async function post(url, { contentType = 'application/json', body } = {}) {
  const delivery = signedDelivery({ secret: SECRET, ...(body === undefined ? {} : { body }) });
  const res = await fetch(url, { method: 'POST', headers: { ...delivery.headers, 'content-type': contentType }, body: delivery.body });
  const text = await res.text();
  return { id: delivery.id, status: res.status, type: res.headers.get('content-type'), json: JSON.parse(text) };
}

describe('Express', () => {
  test('behind a global express.json(): a JSON 500 body_already_parsed naming the fix, for JSON and text bodies', async () => {
    const express = load('express');
    const app = express();
    app.use(express.json());
    app.use(express.text());
    app.post('/webhooks', inbox.nodeListener);
    const server = await listen(app);
    try {
      for (const contentType of ['application/json', 'text/plain']) {
        const answer = await post(server.url, { contentType });
        assert.equal(answer.status, 500, contentType);
        assert.match(answer.type, /^application\/json/);
        assert.equal(answer.json.code, 'body_already_parsed');
        assert.match(answer.json.error, /express\.raw\(\{ type: '\*\/\*' \}\)/);
        assert.equal(await inbox.get(answer.id), null, 'nothing stored: Coassemble sends it again');
      }
    } finally {
      await server.close();
    }
  });

  test('express.raw(): its Buffer is the raw body (stored, then a duplicate); a route before express.json() reads the stream', async () => {
    const express = load('express');
    const app = express();
    app.post('/webhooks', express.raw({ type: '*/*' }), inbox.nodeListener);
    app.post('/first', inbox.nodeListener);
    app.use(express.json());
    const server = await listen(app);
    try {
      const delivery = signedDelivery({ secret: SECRET });
      const send = (path) => fetch(server.url.replace('/webhooks', path), { method: 'POST',
        headers: { ...delivery.headers, 'content-type': 'application/json' }, body: delivery.body }).then((r) => r.json());
      assert.deepEqual(await send('/webhooks'), { status: 'stored', id: delivery.id });
      assert.deepEqual(await send('/first'), { status: 'duplicate', id: delivery.id });
      assert.equal((await inbox.get(delivery.id)).status, 'received');
    } finally {
      await server.close();
    }
  });
});

test('the Fastify recipe (a Buffer parser in an encapsulated plugin) stores a delivery; JSON routes elsewhere still parse', async () => {
  const Fastify = load('fastify');
  const app = Fastify();
  await app.register(async (webhooks) => {
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    webhooks.post('/webhooks', async (request, reply) => {
      const answer = await inbox.receive({ headers: request.headers, body: request.body });
      return reply.code(answer.status).send(answer.body);
    });
  });
  app.post('/other', async (request) => ({ parsed: request.body }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const base = `http://127.0.0.1:${app.server.address().port}`;
    const answer = await post(`${base}/webhooks`);
    assert.deepEqual([answer.status, answer.json], [200, { status: 'stored', id: answer.id }]);
    const other = await fetch(`${base}/other`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await other.json(), { parsed: { a: 1 } });
  } finally {
    await app.close();
  }
});

