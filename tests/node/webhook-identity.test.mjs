// tests/vectors/webhook-identity.json through the wasm verifier (verifyWebhook): the identity and the
// payload variants, as the Node inbox reads them (no second copy of the rule in JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { verifyWebhook } from 'coassemble-events/webhooks';
import { signWebhook } from 'coassemble-events/testing';

const { cases } = JSON.parse(readFileSync(new URL('../vectors/webhook-identity.json', import.meta.url), 'utf8'));

test('identity and payload variants, as the wasm verifier reads them', () => {
  for (const { note, body, expect } of cases) {
    const timestamp = 1_784_678_400;
    const signed = signWebhook({ secret: 'whsec_identity', body, timestamp, deliveryId: 'd-1' });
    const d = verifyWebhook({ headers: signed.headers, body: signed.body, secrets: ['whsec_identity'], now: timestamp });
    assert.equal(d.identity, expect.identity, note);
    if (d.type !== 'course.commenced' && d.type !== 'course.completed') continue;
    assert.equal(d.event.course.id, expect.courseId, `${note}: course id`);
    assert.equal(d.event.tracking.identifier, expect.identifier, `${note}: identifier`);
    assert.equal(d.event.tracking.progressPercent, expect.progressPercent, `${note}: progress`);
    assert.equal(d.event.tracking.completed == null ? null : Date.parse(d.event.tracking.completed), expect.completedMs, `${note}: completed`);
  }
});
