// Deliveries signed as Coassemble signs them (HMAC-SHA256 over "timestamp.body"), for the inbox tests.
import { createHmac, randomUUID } from 'node:crypto';

/**
 * A `course.completed` body of a new learner (and event id); `tracking` fields override the defaults,
 * `extra` adds top-level fields.
 */
export function completedBody({ tracking = {}, extra = {} } = {}) {
  const key = randomUUID().slice(0, 8);
  return JSON.stringify({
    id: `evt_${key}`,
    type: 'course.completed',
    occurredAt: '2026-11-23T12:13:20Z',
    workspaceId: 4321,
    ...extra,
    data: {
      course: { id: 981, title: 'Onboarding', key: 'onb-1', clientIdentifier: null },
      tracking: {
        // A learner per body: the inbox keeps one delivery per (event, course, learner) identity.
        id: 5551, identifier: `learner-${key}`, email: 'sam@example.com',
        commenced: '2026-11-23T11:00:00Z', completed: '2026-11-23T12:13:00Z', totalTime: 4380, ...tracking,
      },
    },
  });
}

/** `{ id, body, headers }` of one signed delivery. */
export function signedDelivery({
  secret,
  id = randomUUID(),
  body = completedBody(),
  type = 'course.completed',
  timestamp = Math.floor(Date.now() / 1000),
} = {}) {
  const signature = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return {
    id,
    body,
    headers: {
      'x-coassemble-event': type,
      'x-coassemble-delivery': id,
      'x-coassemble-timestamp': String(timestamp),
      'x-coassemble-signature': signature,
    },
  };
}
