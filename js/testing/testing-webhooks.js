// Signed webhook deliveries for tests, and the eight that `npx coassemble-events send-test-webhooks <url>`
// sends with the answer a correct receiver gives each. Signing is the crate's Rust `webhook::sign`, in
// the same wasm that verifies, so a test signs exactly as the receiver checks.
import { randomUUID } from 'node:crypto';
import { initSync, signWebhook as signInWasm } from '../../pkg/webhooks/coassemble_events_webhooks.js';
import wasmBytes from '../../pkg/webhooks/wasm-bytes.js';

initSync({ module: wasmBytes });

/**
 * Signs a webhook delivery as Coassemble does. `body` is a string (sent as is) or an object (sent as
 * its JSON). Returns `{ headers, body }` ready for `fetch(url, { method: 'POST', headers, body })`.
 */
export function signWebhook({ secret, body, timestamp = Math.floor(Date.now() / 1000), deliveryId = randomUUID(), event } = {}) {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('signWebhook: `secret` must be a non-empty string');
  if (!Number.isInteger(timestamp) || timestamp < 0) throw new TypeError('signWebhook: `timestamp` is unix seconds (a whole number)');
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (text === undefined) throw new TypeError('signWebhook: `body` must be a string or a JSON value');
  const type = event ?? (typeof body === 'object' && body !== null && typeof body.type === 'string' ? body.type : 'course.completed');
  return {
    body: text,
    headers: {
      'content-type': 'application/json',
      'X-Coassemble-Event': type,
      'X-Coassemble-Delivery': deliveryId,
      'X-Coassemble-Timestamp': String(timestamp),
      'X-Coassemble-Signature': signInWasm(secret, BigInt(timestamp), new TextEncoder().encode(text)),
    },
  };
}


const now = () => Math.floor(Date.now() / 1000);

function completedBody() {
  return {
    id: `evt_${randomUUID().slice(0, 8)}`,
    type: 'course.completed',
    occurredAt: new Date().toISOString(),
    workspaceId: 4321,
    data: {
      course: { id: 981, title: 'Onboarding', key: 'onb-1', clientIdentifier: 'acme-onb' },
      tracking: {
        id: 5551, identifier: 'learner-77', email: 'sam@example.com',
        commenced: new Date(Date.now() - 3600e3).toISOString(), completed: new Date().toISOString(), totalTime: 3600,
      },
    },
  };
}

/**
 * The eight test cases for `secret`, in sending order: `{ name, headers, body, expected }`, where
 * `expected` is `'<status> <word>'` (the word is the receiver's JSON `status` or `code`, or its text),
 * or a bare `'<status>'` where receivers word it differently (`accepted`, `stored`).
 */
export function testWebhookCases(secret) {
  const valid = signWebhook({ secret, body: completedBody() });
  const tampered = signWebhook({ secret, body: completedBody() });
  tampered.body = tampered.body.replace('"totalTime":3600', '"totalTime":1');
  const missing = signWebhook({ secret, body: completedBody() });
  delete missing.headers['X-Coassemble-Signature'];
  const created = {
    id: `evt_${randomUUID().slice(0, 8)}`, type: 'course.created', test: true, occurredAt: new Date().toISOString(),
    workspaceId: 4321, data: { course: { id: 982, title: 'New course', key: 'new-1', clientIdentifier: null } },
  };
  return [
    { name: 'valid delivery', ...valid, expected: '200' },
    { name: 'duplicate (same delivery id, a retry)', ...valid, expected: '200 duplicate' },
    { name: 'dashboard test delivery (course.created)', ...signWebhook({ secret, body: created }), expected: '200' },
    { name: 'stale timestamp (10 minutes old)', ...signWebhook({ secret, body: completedBody(), timestamp: now() - 600 }), expected: '401 stale_timestamp' },
    { name: 'tampered body', ...tampered, expected: '401 bad_signature' },
    { name: 'wrong secret', ...signWebhook({ secret: `${secret}-not`, body: completedBody() }), expected: '401 bad_signature' },
    { name: 'missing signature header', ...missing, expected: '400 missing_header' },
    // Signed, so genuinely from Coassemble: a receiver keeps it (dead-lettered) rather than refusing it.
    { name: 'signed but not JSON (stored, dead-lettered)', ...signWebhook({ secret, body: '{"id":', event: 'course.completed' }), expected: '200' },
  ];
}

/**
 * Sends the eight cases to `url` in order and resolves to `[{ name, expected, outcome, ok }]`.
 * `log(line)` is called once per case (a ✓ or ✗ line).
 */
export async function sendTestWebhooks(url, { secret, log = () => {} } = {}) {
  const results = [];
  for (const { name, headers, body, expected } of testWebhookCases(secret)) {
    let outcome;
    try {
      const res = await fetch(url, { method: 'POST', headers, body });
      // JSON receivers answer { status } or { code }; others (examples/axum_receiver.rs) plain text.
      const text = await res.text();
      let word = text.trim();
      try { const json = JSON.parse(text); word = json.status ?? json.code ?? ''; } catch { /* plain text */ }
      outcome = `${res.status} ${word}`.trim();
    } catch (err) {
      outcome = `request failed: ${err.cause?.code ?? err.message}`;
    }
    // A bare status accepts any word; otherwise the word counts too.
    const ok = expected.includes(' ') ? outcome === expected : outcome.split(' ')[0] === expected;
    log(`${ok ? '✓' : '✗'} ${name.padEnd(40)} ${outcome}${ok ? '' : `   (expected ${expected})`}`);
    results.push({ name, expected, outcome, ok });
  }
  return results;
}
