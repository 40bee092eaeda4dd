// The Node API of coassemble-events/webhooks over every vector, in every body and header shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { verifyWebhook, WebhookError, DEFAULT_TOLERANCE_SECONDS } from 'coassemble-events/webhooks';

const { cases } = JSON.parse(readFileSync(new URL('../vectors/webhooks.json', import.meta.url), 'utf8'));
const STATUS = { missing_header: 400, bad_timestamp: 400, stale_timestamp: 401, bad_signature: 401 };

const bodyForms = {
  string: (s) => s,
  Buffer: (s) => Buffer.from(s),
  Uint8Array: (s) => new TextEncoder().encode(s),
  ArrayBuffer: (s) => new TextEncoder().encode(s).buffer,
  'Buffer slice of a larger pool': (s) => Buffer.concat([Buffer.from('xx'), Buffer.from(s)]).subarray(2),
};
const headerForms = {
  'plain object': (h) => ({ ...h }),
  'IncomingMessage.headers (lowercase)': (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])),
  'UPPERCASE object': (h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v])),
  'Fetch Headers': (h) => new Headers(h),
  Map: (h) => new Map(Object.entries(h)),
};

const run = (c, body = c.body, headers = c.headers) =>
  verifyWebhook({ headers, body, secrets: c.secrets, toleranceSeconds: c.toleranceSeconds, now: c.now });

for (const c of cases) {
  test(`vector: ${c.note}`, () => {
    for (const [bodyName, toBody] of Object.entries(bodyForms)) {
      for (const [headerName, toHeaders] of Object.entries(headerForms)) {
        const where = `${bodyName} body, ${headerName}`;
        if (c.expect.ok) {
          const d = run(c, toBody(c.body), toHeaders(c.headers));
          if (c.expect.type) assert.equal(d.type, c.expect.type, where);
          if (c.expect.delivery) assert.equal(d.id, c.expect.delivery, where);
          assert.equal(d.timestamp, Number(c.headers['X-Coassemble-Timestamp'] ?? c.headers['x-coassemble-timestamp']));
          assert.equal(d.test, c.expect.test === true, where);
          if (c.expect.notJson) {
            // Signed but not JSON: accepted (an inbox stores it dead), with the reason and no view.
            assert.deepEqual([d.event, d.json, typeof d.notJson], [null, null, 'string'], where);
          } else {
            assert.equal(d.event.id, JSON.parse(c.body).id);
            assert.deepEqual(d.json, JSON.parse(c.body), where);
            assert.equal(d.notJson, null, where);
          }
        } else {
          assert.throws(() => run(c, toBody(c.body), toHeaders(c.headers)), (e) => {
            assert.ok(e instanceof WebhookError, where);
            assert.ok(e instanceof Error);
            assert.equal(e.name, 'WebhookError');
            assert.equal(e.code, c.expect.error, where);
            assert.equal(e.status, STATUS[e.code], where);
            assert.ok(e.message.length > 0);
            return true;
          });
        }
      }
    }
  });
}

test('typed payloads: flat records, nulls kept, timestamps as RFC 3339 strings', () => {
  const completed = run(cases[0]);
  assert.deepEqual(completed, {
    id: '3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90',
    type: 'course.completed',
    timestamp: 1763900000,
    test: false,
    event: {
      id: 'evt_01',
      occurredAt: '2025-11-23T12:13:20Z',
      workspaceId: 4321,
      course: { id: 981, title: 'Onboarding', key: 'onb-1', clientIdentifier: 'acme-onb' },
      tracking: {
        id: 5551, identifier: 'learner-77', email: 'sam@example.com',
        commenced: '2025-11-23T11:00:00Z', completed: '2025-11-23T12:13:00Z', totalTime: 4380, progressPercent: null,
      },
    },
    json: JSON.parse(cases[0].body),
    notJson: null,
    identity: 'course.completed:981:learner-77',
  });
  const commenced = run(cases.find((c) => c.note === 'valid commenced, email null'));
  assert.equal(commenced.event.tracking.email, null);
  assert.equal(commenced.event.tracking.completed, null);
  const created = run(cases.find((c) => c.note === 'valid created, no tracking record'));
  assert.equal(created.event.course.clientIdentifier, null);
  assert.equal('tracking' in created.event, false);
});

test('repeated signature headers all reach the verifier: any one matching verifies', () => {
  const c = cases[0];
  const good = c.headers['X-Coassemble-Signature'];
  const wrong = 'sha256=' + '0'.repeat(64);
  const { 'X-Coassemble-Signature': _, ...rest } = c.headers;
  const shapes = {
    'array, the good one second': { ...rest, 'X-Coassemble-Signature': [wrong, good] },
    'joined by Node with ", "': { ...rest, 'x-coassemble-signature': `${wrong}, ${good}` },
    'Fetch Headers with append()': (() => {
      const h = new Headers(rest);
      h.append('X-Coassemble-Signature', wrong);
      h.append('X-Coassemble-Signature', good);
      return h;
    })(),
    'repeated [name, value] pairs': [...Object.entries(rest), ['X-Coassemble-Signature', wrong], ['x-coassemble-signature', good]],
  };
  for (const [shape, headers] of Object.entries(shapes)) {
    assert.equal(run(c, c.body, headers).id, c.expect.delivery, shape);
  }
  assert.throws(() => run(c, c.body, { ...rest, 'X-Coassemble-Signature': [wrong, wrong] }), { code: 'bad_signature' });
  assert.throws(() => run(c, c.body, { ...rest, 'X-Coassemble-Signature': [] }), { code: 'missing_header' });
});

test('an empty delivery id header is missing_header, as an empty string or an empty array', () => {
  const c = cases[0];
  for (const empty of ['', []]) {
    assert.throws(() => run(c, c.body, { ...c.headers, 'X-Coassemble-Delivery': empty }), { code: 'missing_header', status: 400 });
  }
});

test('test comes from the signed body only, never from an unsigned header', () => {
  const c = cases[0];
  assert.equal(run(c, c.body, { ...c.headers, 'X-Coassemble-Test': 'true' }).test, false);
});

test('lenient view: a signed body with unexpected field types is accepted, the fields kept in json', () => {
  const c = cases.find((v) => v.note === 'fractional totalTime, offset without colon, unknown field');
  const d = run(c);
  assert.deepEqual([d.event.tracking.totalTime, d.event.occurredAt, d.event.tracking.email], [null, null, 'sam@example.com']);
  assert.deepEqual([d.json.data.tracking.totalTime, d.json.occurredAt, d.json.data.tracking.newField], [12.5, '2026-11-23T12:00:00+0000', { nested: true }]);
});

test('refusal messages do not reveal the server clock', () => {
  const c = cases.find((v) => v.expect.error === 'stale_timestamp');
  assert.throws(() => run(c), (e) => !e.message.includes(String(c.now)) && e.code === 'stale_timestamp');
});

test('defaults: tolerance 300 s and the real clock', () => {
  assert.equal(DEFAULT_TOLERANCE_SECONDS, 300);
  const c = cases[0];
  // The vector was signed in 2025: with today's clock it is stale.
  assert.throws(() => verifyWebhook({ headers: c.headers, body: c.body, secrets: c.secrets }), { code: 'stale_timestamp', status: 401 });
});

test('a single secret string is accepted; bad options are TypeErrors, not WebhookErrors', () => {
  const c = cases[0];
  const ok = verifyWebhook({ headers: c.headers, body: c.body, secrets: c.secrets[0], now: c.now });
  assert.equal(ok.id, c.expect.delivery);
  const bad = [
    { headers: c.headers, body: JSON.parse(c.body), secrets: c.secrets, now: c.now }, // parsed body
    { headers: c.headers, body: c.body, secrets: [], now: c.now },
    { headers: c.headers, body: c.body, secrets: [''], now: c.now },
    { headers: undefined, body: c.body, secrets: c.secrets, now: c.now },
    { headers: c.headers, body: c.body, secrets: c.secrets, now: c.now, toleranceSeconds: -1 },
    { headers: c.headers, body: c.body, secrets: c.secrets, now: Number.NaN },
    { headers: c.headers, body: c.body, secrets: c.secrets, now: c.now * 1000 }, // milliseconds
  ];
  for (const options of bad) assert.throws(() => verifyWebhook(options), TypeError);
  assert.throws(() => verifyWebhook(), TypeError);
});

test('the entry point and its static imports need no Node built-in, so edge runtimes can load it', () => {
  // The built entry (what `coassemble-events/webhooks` resolves to) holds the glue and the wasm.
  for (const file of ['../../dist/webhooks.js']) {
    const text = readFileSync(new URL(file, import.meta.url), 'utf8');
    assert.doesNotMatch(text, /from\s+['"](node:|fs|path|crypto)['"/]|require\(/, file);
    assert.doesNotMatch(text, /\bimport\s*\(/, `${file}: no dynamic import`);
  }
});
