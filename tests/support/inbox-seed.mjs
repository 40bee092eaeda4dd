// Realistic inbox contents for the dashboard tests and its screenshot: a day of Coassemble deliveries
// (course.completed / commenced / created) arriving hour by hour, processed by a worker shortly after,
// a few failing for a while, some dead after their attempts, and a handful still waiting now.
// Written through the real inbox (signed deliveries, intake, claims, runs) on a clock the seed moves,
// then the clock follows the real time again.
import { randomUUID } from 'node:crypto';
import { openInbox } from 'coassemble-events/inbox';
import { signedDelivery } from './deliveries.mjs';

export const SEED_SECRET = 'whsec_dashboard_seed';
const HOUR = 3_600_000;

const LEARNERS = ['amara.okafor', 'ben.carter', 'chloe.nguyen', 'diego.ramos', 'emma.schmidt', 'farah.haddad', 'george.li',
  'hana.sato', 'isaac.cohen', 'jade.martin', 'kofi.mensah', 'lena.novak', 'mateo.rossi', 'nora.lindqvist', 'omar.aziz'];
const COURSES = [
  { id: 981, title: 'Workplace Safety Essentials', key: 'safety-101' },
  { id: 1204, title: 'Data Privacy for Support Teams', key: 'privacy-support' },
  { id: 1377, title: 'Onboarding: Your First Week', key: 'onboarding' },
  { id: 1502, title: 'Fire Warden Refresher', key: 'fire-warden' },
];

/** A body as Coassemble sends it (PROTOCOL.md §2), for learner `n` in course `course`. */
function body(type, n, course, at) {
  const learner = LEARNERS[n % LEARNERS.length];
  return JSON.stringify({
    id: `evt_${randomUUID().slice(0, 12)}`,
    type,
    occurredAt: new Date(at).toISOString(),
    workspaceId: 4321,
    data: {
      course: { id: course.id, title: course.title, key: course.key, clientIdentifier: 'acme-hr' },
      ...(type === 'course.created' ? {} : {
        tracking: {
          // One learner per n: a (event, course, learner) identity is one delivery in the inbox.
          id: 50_000 + n, identifier: `learner-${1000 + n}`, email: `${learner}@acme-corp.example`,
          commenced: new Date(at - 1_800_000).toISOString(),
          completed: type === 'course.completed' ? new Date(at).toISOString() : null,
          totalTime: type === 'course.completed' ? 600 + ((n * 137) % 2400) : 0,
        },
      }),
    },
  });
}

/**
 * Opens `databaseUrl` and fills it with `hours` hours of deliveries ending now. Resolves with the open
 * inbox (its clock is the real one again) and what was seeded: `{ inbox, ids: { dead, failed, received } }`.
 * `options` go to openInbox as well (e.g. onEvent).
 */
export async function seedInbox(databaseUrl, { hours = 24, options = {} } = {}) {
  const end = Date.now();
  let t = end - hours * HOUR;
  let live = false;
  const now = () => (live ? Date.now() : t);
  const inbox = await openInbox(databaseUrl, {
    secrets: [SEED_SECRET], maxAttempts: 3, firstRetryMs: 20 * 60_000, maxRetryMs: HOUR, now, onError: () => {}, ...options,
  });
  // The CRM behind the handler rejects one learner's records for a while; another one's always.
  // (The errors carry the stack an app's CRM client would have, not this file's.)
  const crmError = (message, fn) => Object.assign(new Error(message), {
    stack: `Error: ${message}\n    at CrmClient.${fn} (/srv/app/lib/crm.js:88:11)\n    at async grantCompletion (/srv/app/webhooks.js:41:5)`,
  });
  const handler = async (delivery) => {
    const email = delivery.event?.tracking?.email ?? '';
    if (email.startsWith('omar.aziz')) throw crmError('CRM answered 422: contact omar.aziz@acme-corp.example is archived', 'upsertContact');
    if (email.startsWith('lena.novak') && delivery.attempt < 2) throw crmError('CRM answered 503 Service Unavailable (retry later)', 'recordCompletion');
  };
  let n = 0;
  for (let h = 0; h < hours; h++) {
    // A working day's shape: quiet at night, busy mid-morning and mid-afternoon.
    const hourOfDay = new Date(t).getHours();
    const busy = Math.round(3 + 9 * Math.max(0, Math.sin(((hourOfDay - 6) / 14) * Math.PI)) + ((h * 7) % 3));
    for (let i = 0; i < busy; i++) {
      t += Math.floor(HOUR / (busy + 1));
      const type = i % 5 === 0 ? 'course.commenced' : i % 11 === 3 ? 'course.created' : 'course.completed';
      const course = COURSES[(n + i) % COURSES.length];
      const d = signedDelivery({ secret: SEED_SECRET, type, body: body(type, n++, course, t), timestamp: Math.floor(t / 1000) });
      await inbox.receive({ headers: d.headers, body: d.body });
      if (i % 3 === 2) await inbox.work(handler, { limit: 50 });
    }
    await inbox.work(handler, { limit: 100 });
    t = end - (hours - h - 1) * HOUR;
  }
  // Now: a lena.novak delivery that failed its first run (retried in 20 min), then a few deliveries
  // still waiting for the worker.
  t = end - 60_000;
  // (n = 11 plus a multiple of the learners: lena.novak's email, a learner id no earlier delivery had)
  const lena = signedDelivery({ secret: SEED_SECRET, body: body('course.completed', 11 + LEARNERS.length * 100, COURSES[0], t), timestamp: Math.floor(t / 1000) });
  await inbox.receive({ headers: lena.headers, body: lena.body });
  await inbox.work(handler, { limit: 100 });
  for (let i = 0; i < 3; i++) {
    t += 12_000;
    const d = signedDelivery({ secret: SEED_SECRET, body: body('course.completed', n++, COURSES[i + 1], t), timestamp: Math.floor(t / 1000) });
    await inbox.receive({ headers: d.headers, body: d.body });
  }
  // The worker is stopped (say, a deploy): those are due and waiting.
  live = true;
  const [dead, failed, received] = await Promise.all(['dead', 'failed', 'received'].map((status) => inbox.list({ status, limit: 1000 })));
  return { inbox, ids: { dead: dead.map((d) => d.id), failed: failed.map((d) => d.id), received: received.map((d) => d.id) } };
}
