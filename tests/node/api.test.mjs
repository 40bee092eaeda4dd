// coassemble-events/api against a real HTTP server that answers as the Headless API does
// (Coassemble's docs and its Moodle plugin's client), including its answer variants, errors, 429s with Retry-After, stalls
// and garbage. Imports the built entry (the package's export), as a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createCoassembleApi, CoassembleApiError } from 'coassemble-events/api';

const KEY = 'COASSEMBLE:42:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
let server;
let base;
let requests = [];
/** path → handler(req, body, url) → { status, headers, body } | 'hang' */
let routes = new Map();

before(async () => {
  server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const url = new URL(req.url, 'http://x');
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks)) : undefined;
    requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
    const route = routes.get(`${req.method} ${url.pathname}`);
    const answer = route ? await route(req, body, url) : { status: 404, body: 'no route' };
    if (answer === 'hang') return; // never answers: the client's timeout must end it
    res.writeHead(answer.status ?? 200, answer.headers ?? {});
    res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
const fresh = (routeTable) => {
  requests = [];
  routes = new Map(Object.entries(routeTable));
};
const api = (options = {}) => createCoassembleApi({ apiKey: KEY, baseUrl: base, retryDelayMs: 1, ...options });

test('embedUrl posts the documented request with the key and reads every answer variant', async () => {
  const signed = 'https://coassemble.com/embed/abc.def.ghi';
  for (const body of [signed, JSON.stringify(signed), { url: signed }, `  ${signed}\n`]) {
    fresh({ 'POST /api/v1/headless/embed/course': () => ({ body }) });
    const url = await api().embedUrl({ action: 'view', courseId: 981, identifier: 'learner-1', clientIdentifier: 'acme', options: { back: 'event' } });
    assert.equal(url, signed);
    assert.equal(requests.length, 1);
    assert.equal(requests[0].headers.authorization, KEY);
    assert.equal(requests[0].headers.accept, 'application/json');
    assert.deepEqual(requests[0].body, { action: 'view', identifier: 'learner-1', courseId: 981, clientIdentifier: 'acme', options: { back: 'event' } });
  }
  // An empty `options` is left out (the API refuses a non-object), and the builder needs no course.
  fresh({ 'POST /api/v1/headless/embed/course': () => ({ body: signed }) });
  await api().embedUrl({ action: 'edit', identifier: 'author-1', options: {} });
  assert.deepEqual(requests[0].body, { action: 'edit', identifier: 'author-1' });
});

test('a key without its COASSEMBLE: prefix is the same key; a base ending in /api is the same base', async () => {
  fresh({ 'POST /api/v1/headless/embed/course': () => ({ body: 'https://x.test/e' }) });
  await createCoassembleApi({ apiKey: '42:abc', baseUrl: `${base}/api/` }).embedUrl({ action: 'view', courseId: 1, identifier: 'l' });
  assert.equal(requests[0].headers.authorization, 'COASSEMBLE:42:abc');
  assert.equal(requests[0].path, '/api/v1/headless/embed/course');
});

test('bad calls are TypeErrors before any request: unknown options and fields, missing ids', () => {
  fresh({});
  assert.throws(() => createCoassembleApi({ apiKey: KEY, timeoutMS: 5 }), /unknown option "timeoutMS"/);
  assert.throws(() => createCoassembleApi({}), /apiKey/);
  assert.throws(() => createCoassembleApi({ apiKey: KEY, baseUrl: 'api.coassemble.com' }), /absolute URL/);
  return Promise.all([
    assert.rejects(api().embedUrl({ action: 'play', courseId: 1, identifier: 'l' }), TypeError),
    assert.rejects(api().embedUrl({ action: 'view', identifier: 'l' }), /courseId/),
    assert.rejects(api().embedUrl({ action: 'view', courseId: 1, identifier: 'l', option: {} }), /unknown field "option"/),
    assert.rejects(api().embedUrl({ action: 'view', courseId: 1, identifier: 'l', options: 'back' }), /options/),
  ]).then(() => assert.equal(requests.length, 0));
});

test('trackings pages through every page, both list shapes, and normalises each row', async () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({
    identifier: `learner-${i}`,
    commenced: '2026-12-01T10:00:00.000Z',
    completed: i % 2 ? '2026-12-01T11:00:00.000Z' : false,
    ...(i % 2 ? { progressPercent: '40' } : { progress_percent: 60 }),
    score: i === 1 ? 8 : null,
    passed: i === 1 ? true : null,
  }));
  fresh({
    'GET /api/v1/headless/trackings': (req, body, url) => {
      const page = Number(url.searchParams.get('page'));
      const length = Number(url.searchParams.get('length'));
      const slice = rows.slice(page * length, page * length + length);
      return { body: page % 2 ? { data: slice } : slice };
    },
  });
  const seen = [];
  for await (const t of api().trackings({ courseId: 981, clientIdentifier: 'acme', pageSize: 2 })) seen.push(t);
  assert.deepEqual(requests.map((r) => r.query), [0, 1, 2].map((page) => ({ id: '981', clientIdentifier: 'acme', length: '2', page: String(page) })));
  assert.deepEqual(seen.map((t) => [t.identifier, t.completed !== null, t.progress]), [
    ['learner-0', false, 60], ['learner-1', true, 100], ['learner-2', false, 60], ['learner-3', true, 100], ['learner-4', false, 60],
  ]);
  assert.equal(seen[1].score, 8);
  assert.equal(seen[1].passed, true);
  assert.equal(seen[0].commenced, '2026-12-01T10:00:00.000Z');
  assert.deepEqual(seen[0].raw, rows[0]);
});

test('a server that ignores `page` is an invalid_answer, not an endless loop', async () => {
  fresh({ 'GET /api/v1/headless/trackings': () => ({ body: [{ identifier: 'a' }, { identifier: 'b' }] }) });
  const seen = [];
  await assert.rejects(async () => {
    for await (const t of api().trackings({ courseId: 1, pageSize: 2 })) seen.push(t);
  }, (error) => error instanceof CoassembleApiError && error.code === 'invalid_answer');
  assert.equal(seen.length, 2);
});

test('every failure is a typed error with its status, and never names the key', async () => {
  const cases = [
    [401, 'unauthorized'], [403, 'unauthorized'], [404, 'not_found'], [400, 'invalid_request'], [500, 'unavailable'], [503, 'unavailable'],
  ];
  for (const [status, code] of cases) {
    fresh({ 'GET /api/v1/headless/webhooks': () => ({ status, body: `{"error":"${KEY}"}` }) });
    const error = await api({ retries: 1 }).webhooks.list().then(() => null, (e) => e);
    assert.ok(error instanceof CoassembleApiError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    assert.ok(!error.message.includes('0123456789abcdef') && !error.stack.includes('0123456789abcdef'), error.message);
    // 5xx is retried (a read), the others are final.
    assert.equal(requests.length, status >= 500 ? 2 : 1, `${status}`);
  }
  for (const garbage of ['<html>oops</html>', '{"nope":1}']) {
    fresh({ 'GET /api/v1/headless/webhooks': () => ({ body: garbage }) });
    await assert.rejects(api().webhooks.list(), (e) => e.code === 'invalid_answer' && e.status === 200);
  }
  fresh({ 'POST /api/v1/headless/embed/course': () => ({ body: 'not a url' }) });
  await assert.rejects(api().embedUrl({ action: 'view', courseId: 1, identifier: 'l' }), (e) => e.code === 'invalid_answer');
});

test('429 and 5xx are retried, honouring Retry-After; a Retry-After longer than the caller waits ends it', async () => {
  let calls = 0;
  fresh({
    'GET /api/v1/headless/webhooks': () => {
      calls += 1;
      if (calls === 1) return { status: 429, headers: { 'retry-after': '1' } };
      if (calls === 2) return { status: 502 };
      return { body: { events: ['course.completed'], endpoints: [{ id: 7, url: 'https://x.test/h', events: ['course.completed'] }] } };
    },
  });
  const started = Date.now();
  const listed = await api().webhooks.list();
  assert.deepEqual(listed.endpoints.map((e) => e.id), [7]);
  assert.equal(calls, 3);
  assert.ok(Date.now() - started >= 1000, 'waited the 1 s Retry-After');

  fresh({ 'GET /api/v1/headless/webhooks': () => ({ status: 429, headers: { 'retry-after': '3600' } }) });
  const error = await api({ maxRetryWaitMs: 5000 }).webhooks.list().then(() => null, (e) => e);
  assert.equal(error.code, 'rate_limited');
  assert.equal(error.retryAfterMs, 3_600_000);
  assert.equal(requests.length, 1);

  fresh({ 'GET /api/v1/headless/webhooks': () => ({ status: 429 }) });
  await assert.rejects(api({ retries: 2 }).webhooks.list(), (e) => e.code === 'rate_limited');
  assert.equal(requests.length, 3);
});

test('a stalled answer times out as unavailable; creating an endpoint is not repeated after a 5xx', async () => {
  fresh({ 'GET /api/v1/headless/webhooks': () => 'hang' });
  await assert.rejects(api({ timeoutMs: 200, retries: 1 }).webhooks.list(), (e) => e.code === 'unavailable' && e.status === 0);
  assert.equal(requests.length, 2);

  fresh({ 'POST /api/v1/headless/webhooks': () => ({ status: 500 }) });
  await assert.rejects(api().webhooks.create({ url: 'https://x.test/h', events: ['course.completed'] }), (e) => e.code === 'unavailable');
  assert.equal(requests.length, 1);
});

test('webhook endpoints: create returns the secret once, delete names the id', async () => {
  fresh({
    'POST /api/v1/headless/webhooks': (req, body) => ({ status: 201, body: { id: 'wh_1', ...body, secret: 'whsec_once' } }),
    'DELETE /api/v1/headless/webhooks/wh_1': () => ({ status: 204, body: '' }),
  });
  const endpoint = await api().webhooks.create({ url: 'https://receiver.test/webhooks', events: ['course.completed', 'course.commenced'] });
  assert.equal(endpoint.secret, 'whsec_once');
  assert.deepEqual(requests[0].body, { url: 'https://receiver.test/webhooks', events: ['course.completed', 'course.commenced'], enabled: true });
  await api().webhooks.delete('wh_1');
  assert.equal(requests[1].method, 'DELETE');
  await assert.rejects(api().webhooks.create({ url: 'ftp://x', events: ['course.completed'] }), TypeError);
  await assert.rejects(api().webhooks.create({ url: 'https://x.test', events: [] }), TypeError);
});

test('a caller signal cancels the call, also while waiting to retry', async () => {
  fresh({ 'GET /api/v1/headless/webhooks': () => ({ status: 503, headers: { 'retry-after': '20' } }) });
  const controller = new AbortController();
  const call = api().webhooks.list({ signal: controller.signal });
  while (requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
  controller.abort(new Error('shutting down'));
  await assert.rejects(call, /shutting down/);
});
