// Compiled by tests/node/types.test.mjs with `tsc --noEmit`: the README's TypeScript usage must
// type-check, and each `@ts-expect-error` line must really be an error.
import {
  attachBuilder, attachCourse, CoassembleError, embedCourse, MAX_TIMER_MS, TimeoutError, type CourseEvent,
} from 'coassemble-events';
import { autosave, type Draft } from 'coassemble-events/autosave';
import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';

export async function player(iframe: HTMLIFrameElement, bar: HTMLProgressElement): Promise<void> {
  const course = await attachCourse(iframe, { origin: 'https://acme.coassemble.com', readyTimeoutMs: 10_000 });
  const off: () => void = course.on('course:progress', (e) => { bar.value = e.progress; });
  course.on('screen:answer', (e) => console.log(e.screen, e.correct, e.score, e.data));
  course.on('*', (e: CourseEvent) => {
    if (e.name === 'course:progress') console.log(e.progress.toFixed(0)); // narrowed by name
  });
  course.on('error', (err) => {
    if (err.code === 'origin_mismatch') console.warn(err.expected?.length, err.received?.length);
    if (err.code === 'internal_error') console.warn('dropped a message', err.cause);
  });
  // The progress of 100 a completion implies is marked; the player's own progress is not.
  course.on('course:progress', (e) => { const implied: true | undefined = e.implied; console.log(implied); });
  // An unknown event carries the wire type and event, both strings.
  course.on('unknown', (e) => { const wire: string = `${e.type.trim()}:${e.event.trim()}`; console.log(wire, e.raw); });
  const longest: 2147483647 = MAX_TIMER_MS;
  console.log(longest);
  // @ts-expect-error: course:completed carries no progress field
  course.on('course:completed', (e) => e.progress);
  // @ts-expect-error: builder events are not player events
  course.on('course:updated', () => {});
  try {
    await course.ready();
  } catch (err) {
    if (err instanceof TimeoutError) console.warn('player did not load', err.code);
    else if (err instanceof CoassembleError) console.warn(err.code);
  }
  const progress: number = course.state.progress;
  console.log(progress, course.state.lastScreen);
  off();
  course.destroy();
}

export async function longSession(container: HTMLElement, url: string): Promise<void> {
  const course = await embedCourse(container, url, { initialProgress: 40, renewUrl: async () => url });
  course.on('session:renewed', (e) => console.log(e.url.trim()));
  course.on('session:expired', (e) => console.log(e.name));
  // @ts-expect-error: renewUrl resolves to the URL, it is not the URL
  await embedCourse(container, url, { renewUrl: url });
  course.destroy();
}

export async function builder(container: HTMLElement, url: string): Promise<void> {
  const b = await attachBuilder(document.querySelector('iframe')!);
  b.on('course:updated', (e) => console.log(e.courseId.toFixed(0), e.title?.trim()));
  const saver = autosave(b, {
    save: async (draft: Draft, { signal }) => { await fetch('/api/drafts', { method: 'POST', body: JSON.stringify(draft), signal }); },
    saveTimeoutMs: 10_000,
  });
  saver.on('queued', ({ draft }) => console.log('only queued', draft.revision, draft.data));
  // @ts-expect-error: a saved draft was confirmed by save; there is no beacon 'via' any more
  saver.on('saved', (e) => e.via);
  const status: 'queued' | string = saver.status;
  console.log(status);
  await saver.flush();
  const embedded = await embedCourse(container, url, { iframe: { title: 'Onboarding', loading: 'lazy', allowfullscreen: true } });
  embedded.destroy();
  // @ts-expect-error: iframe attributes go under `iframe` (issue 18)
  await embedCourse(container, url, { title: 'Onboarding' });
  // @ts-expect-error: a typo in an option name (the option is readyTimeoutMs)
  await embedCourse(container, url, { readyTimeoutMS: 5000 });
  // @ts-expect-error: a typo in an attach option name
  await attachBuilder(document.querySelector('iframe')!, { initialprogress: 10 });
  // @ts-expect-error: autosave takes a builder embed, not a course player
  autosave(await embedCourse(container, url), { save: async () => {} });
  // @ts-expect-error: a typo in an autosave option name
  autosave(b, { save: async () => {}, debounceMS: 500 });
}

export function webhook(headers: Record<string, string>, body: string): string {
  try {
    return verifyWebhook({ headers, body, secrets: ['whsec_x'] }).type;
  } catch (err) {
    if (err instanceof WebhookError) return err.code;
    throw err;
  }
}

// coassemble-events/api: the Headless API client (README, "Mint the URL on your server").
import { createCoassembleApi, CoassembleApiError } from 'coassemble-events/api';

export async function headless(apiKey: string): Promise<string> {
  const api = createCoassembleApi({ apiKey, timeoutMs: 10_000 });
  for await (const t of api.trackings({ courseId: 981 })) {
    if (t.completed !== null) console.log(t.identifier?.trim(), t.progress?.toFixed(0));
  }
  const { endpoints } = await api.webhooks.list();
  console.log(endpoints.map((e) => e.url.trim()));
  try {
    return await api.embedUrl({ action: 'view', courseId: 981, identifier: 'learner-77', options: { back: 'event' } });
  } catch (err) {
    if (err instanceof CoassembleApiError && err.code === 'rate_limited') console.warn(err.retryAfterMs, err.status);
    throw err;
  }
}
// @ts-expect-error: action is 'view' or 'edit'
void createCoassembleApi({ apiKey: 'k' }).embedUrl({ action: 'play', identifier: 'l' });
// @ts-expect-error: a typo in an option name
void createCoassembleApi({ apiKey: 'k', timeoutMS: 1 });

import { openInbox, type InboxEvent } from 'coassemble-events/inbox';
import { createInboxMetrics } from 'coassemble-events/inbox/metrics';
import { createInboxDashboard } from 'coassemble-events/inbox/dashboard';

export async function operate(token: string): Promise<void> {
  const inbox = await openInbox('webhooks.sqlite', { onEvent: (e: InboxEvent) => console.log(e.kind) });
  const stop: () => void = inbox.observe((e) => { if (e.kind === 'run') console.log(e.outcome, e.durationMs); });
  stop();
  inbox.emit({ kind: 'reconcile', outcome: 'ok', recovered: 2 });
  const dead = await inbox.list({ status: 'dead', type: 'course.completed', limit: 20 });
  const one = await inbox.get(dead[0].id);
  console.log(one?.body.byteLength, await inbox.oldestDueMs(), (await inbox.activity({ hours: 6 }))[0].received);
  const metrics = createInboxMetrics(inbox, { token });
  const text: string = await metrics.text();
  const dashboard = createInboxDashboard(inbox, { token, basePath: '/admin/webhooks', reconcile: async ({ courseId }) => ({ courseId }) });
  console.log(text.length, typeof dashboard, metrics.contentType);
}
// @ts-expect-error: the dashboard needs a token, or an explicit null (loopback only)
void createInboxDashboard(await openInbox('x'), {});

// Reconciliation (README, "When your endpoint was down").
import { ReconcileError, type ReconcileReport } from 'coassemble-events/inbox';
export async function recover(): Promise<ReconcileReport | null> {
  const inbox = await openInbox('webhooks.sqlite');
  const api = createCoassembleApi({ apiKey: 'COASSEMBLE:1:k' });
  inbox.start(async (delivery) => {
    if (delivery.reconciled && delivery.identity !== null) console.log(delivery.identity, delivery.type);
  }, { reconcile: { api, courseIds: [981], everyMs: 3_600_000, leaseMs: 600_000 } });
  try {
    const report = await inbox.reconcile({ api, courseIds: [981, '982'], marginMs: 86_400_000 });
    console.log(report.recovered + report.known + report.skipped, (await inbox.lastReconcile())?.lastOutcome);
    return report;
  } catch (error) {
    if (error instanceof ReconcileError && error.code === 'api_unauthorized') return error.report;
    throw error;
  }
}
// @ts-expect-error: courseIds is a list
void (await openInbox('x')).reconcile({ api: createCoassembleApi({ apiKey: 'k' }), courseIds: 981 });

// coassemble-events/testing's platform emulator (README, Testing).
import { startPlatform, type Delivery } from 'coassemble-events/testing';

export async function outage(): Promise<Delivery[]> {
  const platform = await startPlatform({ timeScale: 600, schedule: [60_000, 300_000, 1_800_000] });
  const api = createCoassembleApi({ apiKey: platform.apiKey, baseUrl: platform.baseUrl });
  const { secret } = platform.addEndpoint({ url: 'http://127.0.0.1:3000/webhooks', events: ['course.completed'] });
  console.log(secret.length, await api.embedUrl({ action: 'view', courseId: platform.courses[0].id, identifier: 'l' }));
  const tracking = platform.learn({ courseId: 4101, identifier: 'l', progress: [40], complete: true });
  console.log(tracking.progressPercent.toFixed(0), platform.timeoutMs);
  await platform.settled();
  const last = platform.deliveries.at(-1);
  console.log(last?.deliveryId, last?.attempt, last?.status ?? last?.error, last?.state === 'lost');
  const lost = platform.outcomes().filter((d) => d.state === 'lost' && d.attempts.every((a) => a.status === null || a.status >= 300));
  await platform.close();
  return lost;
}
// @ts-expect-error: an endpoint subscribes to the platform's event types only
void startPlatform().then((p) => p.addEndpoint({ url: 'http://x', events: ['course.finished'] }));
// @ts-expect-error: the option is timeScale
void startPlatform({ timescale: 600 });

// Issue 18: the inbox handler's delivery narrows on `type` exactly as verifyWebhook's result does
// (one definition), and every intake answer's status is a literal with its own codes.
import type { InboxDelivery, IntakeAnswer, NodeIntakeAnswer, UnknownInboxDelivery } from 'coassemble-events/inbox';
import type { KnownWebhookEvent, UnknownWebhookDelivery, WebhookDelivery } from 'coassemble-events/webhooks';

export async function handlers(): Promise<void> {
  const inbox = await openInbox('webhooks.sqlite');
  inbox.start(async (delivery) => {
    // README, "A durable inbox": the receiver's own line.
    if (delivery.type === 'course.completed') console.log(delivery.id, delivery.event.tracking?.email);
    switch (delivery.type) {
      case 'course.created': {
        // @ts-expect-error: a course.created event has no tracking
        console.log(delivery.event.tracking);
        break;
      }
      case 'course.commenced': console.log(delivery.event.tracking.identifier); break;
      case 'course.completed': break;
      default: {
        const other: UnknownInboxDelivery = delivery as UnknownInboxDelivery; // a newer event type
        console.log(other.type, other.event.whatever);
      }
    }
  });
  const same: KnownWebhookEvent['type'] = ({} as InboxDelivery).type;
  const verified: KnownWebhookEvent['type'] = ({} as WebhookDelivery).type;
  const unknown: string = ({} as UnknownWebhookDelivery).event === null ? 'not json' : 'json';
  console.log(same, verified, unknown);
  const answer: IntakeAnswer = await inbox.receive({ headers: {}, body: '' });
  if (answer.status === 200) console.log(answer.body.status, answer.body.id);
  else if (answer.status === 401) { const code: 'stale_timestamp' | 'bad_signature' = answer.body.code; console.log(code); }
  // @ts-expect-error: the intake never answers 404
  if (answer.status === 404) console.log('never');
  const listener: NodeIntakeAnswer['status'] = 500; // body_already_parsed / intake_failed
  console.log(listener);
}

// coassemble-events/elements: the tags in HTMLElementTagNameMap, each DOM event typed by its detail.
import type { CoassembleBuilderElement, CourseElementEventMap } from 'coassemble-events/elements';

export async function elements(): Promise<void> {
  const course = document.createElement('coassemble-course');
  course.src = 'https://acme.coassemble.com/embed/view/x';
  course.initialProgress = 20;
  course.addEventListener('course-progress', (e) => console.log(e.detail.progress.toFixed(0)));
  course.addEventListener('error', (e) => console.log(e.detail.code));
  course.on('course:completed', (e) => console.log(e.name));
  const progress: number | undefined = course.state?.progress;
  const builder: CoassembleBuilderElement | null = document.querySelector('coassemble-builder');
  builder?.addEventListener('course-updated', (e) => console.log(e.detail.courseId));
  const saver = builder && autosave(builder, { save: async () => {} });
  await course.ready();
  console.log(progress, saver, course.embed?.origin);
  const detail: CourseElementEventMap['session-ready']['detail']['name'] = 'session:ready';
  console.log(detail);
  // @ts-expect-error: course-updated is a builder event
  course.addEventListener('course-updated', (e) => e.detail.courseId);
  // @ts-expect-error: progress is a number
  course.addEventListener('course-progress', (e) => e.detail.progress.toUpperCase());
}
