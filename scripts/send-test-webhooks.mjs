#!/usr/bin/env node
// Sends signed test deliveries to a webhook receiver and prints how each one was answered.
//
//   node scripts/send-test-webhooks.mjs [url] [--secret s]
//   url     default http://localhost:8080/webhooks (the demo server)
//   secret  default $COASSEMBLE_WEBHOOK_SECRET, else the first of $WEBHOOK_SECRETS, else whsec_demo
//
// Signs like Coassemble: X-Coassemble-Signature = sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>.
import { createHmac, randomUUID } from 'node:crypto';

const args = process.argv.slice(2);
const secretAt = args.indexOf('--secret');
const secret = secretAt >= 0 ? args.splice(secretAt, 2)[1]
  : process.env.COASSEMBLE_WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? 'whsec_demo';
const url = args[0] ?? 'http://localhost:8080/webhooks';

const now = () => Math.floor(Date.now() / 1000);
const sign = (timestamp, body, key = secret) =>
  'sha256=' + createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');

function completedBody(title) {
  return JSON.stringify({
    id: `evt_${randomUUID().slice(0, 8)}`,
    type: 'course.completed',
    occurredAt: new Date().toISOString(),
    workspaceId: 4321,
    data: {
      course: { id: 981, title, key: 'onb-1', clientIdentifier: 'acme-onb' },
      tracking: {
        id: 5551, identifier: 'learner-77', email: 'sam@example.com',
        commenced: new Date(Date.now() - 3600e3).toISOString(), completed: new Date().toISOString(), totalTime: 3600,
      },
    },
  });
}

function delivery({ id = randomUUID(), timestamp = now(), body = completedBody('Onboarding'), key } = {}) {
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'X-Coassemble-Event': 'course.completed',
      'X-Coassemble-Delivery': id,
      'X-Coassemble-Timestamp': String(timestamp),
      'X-Coassemble-Signature': sign(timestamp, body, key),
    },
  };
}

const valid = delivery();
const testCreated = delivery({
  body: JSON.stringify({
    id: `evt_${randomUUID().slice(0, 8)}`, type: 'course.created', test: true, occurredAt: new Date().toISOString(),
    workspaceId: 4321, data: { course: { id: 982, title: 'New course', key: 'new-1', clientIdentifier: null } },
  }),
});
testCreated.headers['X-Coassemble-Event'] = 'course.created';
const tampered = delivery();
tampered.body = tampered.body.replace('"totalTime":3600', '"totalTime":1');
const missing = delivery();
delete missing.headers['X-Coassemble-Signature'];
const cases = [
  ['valid delivery', valid, '200'],
  ['duplicate (same delivery id, a retry)', valid, '200 duplicate'],
  ['dashboard test delivery (course.created)', testCreated, '200'],
  ['stale timestamp (10 minutes old)', delivery({ timestamp: now() - 600 }), '401 stale_timestamp'],
  ['tampered body', tampered, '401 bad_signature'],
  ['wrong secret', delivery({ key: 'whsec_not_the_secret' }), '401 bad_signature'],
  ['missing signature header', missing, '400 missing_header'],
  ['signed but not JSON (stored, dead-lettered)', delivery({ body: '{"id":' }), '200'],
];

console.log(`sending ${cases.length} deliveries to ${url} (secret ${secret.slice(0, 6)}…)`);
let unexpected = 0;
for (const [name, { headers, body }, expected] of cases) {
  let outcome;
  try {
    const res = await fetch(url, { method: 'POST', headers, body });
    // The demo answers JSON ({status} or {code}); other receivers (examples/axum_receiver.rs) plain text.
    const text = await res.text();
    let word = text.trim();
    try { const json = JSON.parse(text); word = json.status ?? json.code ?? ''; } catch { /* plain text */ }
    outcome = `${res.status} ${word}`.trim();
  } catch (err) {
    outcome = `request failed: ${err.cause?.code ?? err.message}`;
  }
  // A bare status accepts any word (receivers say "accepted" or "stored"); otherwise the word counts.
  const ok = expected.includes(' ') ? outcome === expected : outcome.split(' ')[0] === expected;
  if (!ok) unexpected++;
  console.log(`${ok ? '✓' : '✗'} ${name.padEnd(40)} ${outcome}${ok ? '' : `   (expected ${expected})`}`);
}
process.exitCode = unexpected ? 1 : 0;
