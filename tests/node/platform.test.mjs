// coassemble-events/testing's startPlatform, over real HTTP: the package's own API client against it,
// and its signed webhooks into the package's own inbox (SQLite) on Coassemble's delivery schedule,
// through receivers that answer, fail, and are down for the whole window. Waits are on promises
// (settled(), arrivals), never on sleeps a slow machine would turn into false passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { snippetStartingWith } from '../support/snippets.mjs';
import { startPlatform } from 'coassemble-events/testing';
import { createCoassembleApi, CoassembleApiError } from 'coassemble-events/api';
import { openInbox } from 'coassemble-events/inbox';
import { verifyWebhook } from 'coassemble-events/webhooks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// 600: a minute takes 100 ms, the whole 36-minute window 3.6 s; the shortest wait (100 ms) is long
// enough to measure against timer jitter.
const FAST = 600;

const clientOf = (platform, options = {}) => createCoassembleApi({ apiKey: platform.apiKey, baseUrl: platform.baseUrl, retryDelayMs: 1, ...options });
const jwtPayload = (url) => JSON.parse(Buffer.from(new URL(url).pathname.split('/').at(-1).split('.')[1], 'base64url'));

/**
 * A receiver on loopback: `answer(req, arrivals)` gives each request's status (default 200).
 * `arrivals`: `{ at, headers, body }` in order; `arrived(n)` resolves once n came.
 */
async function receiver(answer = () => 200) {
  const arrivals = [];
  let waiting = [];
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    arrivals.push({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(await answer(req, arrivals)).end();
    waiting = waiting.filter(([n, resolve]) => (arrivals.length >= n ? (resolve(), false) : true));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks`,
    arrivals,
    arrived: (n) => new Promise((resolve) => (arrivals.length >= n ? resolve() : waiting.push([n, resolve]))),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/** A loopback port nothing listens on (a receiver that is down). */
async function deadUrl() {
  const probe = await receiver();
  await probe.close();
  return probe.url;
}

test('the API client works against the platform unchanged: mint, courses, trackings pages, endpoints', async () => {
  const platform = await startPlatform();
  try {
    const api = clientOf(platform);
    assert.equal(platform.baseUrl, platform.origin);
    assert.match(platform.apiKey, /^COASSEMBLE:4321:[0-9a-f]{64}$/);

    const view = await api.embedUrl({ action: 'view', courseId: 4101, identifier: 'learner-1', clientIdentifier: 'acme', options: { back: 'event' } });
    assert.match(view, new RegExp(`^${platform.origin}/embed/view/[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const claims = jwtPayload(view);
    assert.deepEqual([claims.course, claims.identifier, claims.clientIdentifier], [4101, 'learner-1', 'acme']);
    assert.ok(claims.exp - Date.now() / 1000 > 2.9 * 3600 && claims.exp - Date.now() / 1000 <= 3 * 3600, 'valid about 3 hours');
    const page = await fetch(view);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Course player \(emulator\)/);
    assert.equal((await fetch(`${view.slice(0, -4)}AAAA`)).status, 403, 'a tampered signature opens nothing');
    const edit = await api.embedUrl({ action: 'edit', identifier: 'author-1' });
    assert.match(await (await fetch(edit)).text(), /Course builder \(emulator\)/);
    assert.equal(jwtPayload(edit).course, null);
    await assert.rejects(api.embedUrl({ action: 'view', courseId: 999, identifier: 'l' }), (e) => e.code === 'not_found');
    // The older integrations' GET form mints the same kind of URL.
    const legacy = await fetch(`${platform.baseUrl}/api/v1/headless/course/edit?id=4102&identifier=author-5&clientIdentifier=acme`, { headers: { authorization: platform.apiKey } });
    assert.equal(legacy.status, 200);
    const legacyClaims = jwtPayload(await legacy.text());
    assert.deepEqual([legacyClaims.action, legacyClaims.course, legacyClaims.identifier], ['edit', 4102, 'author-5']);

    const courses = [];
    for await (const course of api.courses({ pageSize: 1 })) courses.push(course.id);
    assert.deepEqual(courses, [4101, 4102]);

    for (let i = 0; i < 5; i++) platform.learn({ courseId: 4101, identifier: `learner-${i}`, clientIdentifier: i === 4 ? 'other' : 'acme', progress: [20 * i], complete: i === 3 });
    platform.learn({ courseId: 4102, identifier: 'learner-9' });
    const rows = [];
    for await (const t of api.trackings({ courseId: 4101, pageSize: 2 })) rows.push(t);
    assert.deepEqual(rows.map((t) => [t.identifier, t.progress, t.completed !== null]),
      [['learner-0', 0, false], ['learner-1', 20, false], ['learner-2', 40, false], ['learner-3', 100, true], ['learner-4', 80, false]]);
    assert.ok(rows.every((t) => t.commenced));
    const acme = [];
    for await (const t of api.trackings({ courseId: 4101, clientIdentifier: 'other' })) acme.push(t.identifier);
    assert.deepEqual(acme, ['learner-4']);

    const created = await api.webhooks.create({ url: 'https://receiver.test/webhooks', events: ['course.completed'] });
    assert.match(created.secret, /^whsec_[0-9a-f]{48}$/);
    const { events, endpoints } = await api.webhooks.list();
    assert.deepEqual(events, ['course.created', 'course.commenced', 'course.completed']);
    assert.deepEqual(endpoints.map((e) => [e.id, e.url, e.events, e.enabled, 'secret' in e]),
      [[created.id, 'https://receiver.test/webhooks', ['course.completed'], true, false]], 'the secret only at creation');
    await api.webhooks.delete(created.id);
    assert.deepEqual((await api.webhooks.list()).endpoints, []);
    await assert.rejects(api.webhooks.delete(created.id), (e) => e.code === 'not_found');
    await assert.rejects(api.webhooks.create({ url: 'https://x.test/h', events: ['course.finished'] }), (e) => e.code === 'invalid_request');

    const wrong = createCoassembleApi({ apiKey: 'COASSEMBLE:4321:not-the-key', baseUrl: platform.baseUrl });
    await assert.rejects(wrong.webhooks.list(), (e) => e instanceof CoassembleApiError && e.code === 'unauthorized' && e.status === 401);
    await assert.rejects(wrong.embedUrl({ action: 'view', courseId: 4101, identifier: 'l' }), (e) => e.code === 'unauthorized');
  } finally {
    await platform.close();
  }
});

test('failNext: injected 503s and 429s with Retry-After are what the client retries through', async () => {
  const platform = await startPlatform();
  try {
    platform.failNext(2, 503);
    assert.deepEqual((await clientOf(platform).webhooks.list()).endpoints, [], 'the third request succeeds');
    platform.failNext(1, 429, { retryAfter: 1 });
    const started = Date.now();
    await clientOf(platform).webhooks.list();
    assert.ok(Date.now() - started >= 1000, 'the client waited the Retry-After');
    platform.failNext(3, 500);
    await assert.rejects(clientOf(platform, { retries: 2 }).webhooks.list(), (e) => e.code === 'unavailable' && e.status === 500);
    assert.throws(() => platform.failNext(1, 200), TypeError);
  } finally {
    await platform.close();
  }
});

test('learn: commenced and completed once each, progress only rises; bad calls are TypeErrors', async () => {
  const platform = await startPlatform({ timeScale: FAST });
  const sink = await receiver();
  try {
    platform.addEndpoint({ url: sink.url, events: ['course.commenced', 'course.completed'] });
    const first = platform.learn({ courseId: 4101, identifier: 'sam', progress: [40, 20] });
    assert.equal(first.progressPercent, 40);
    const done = platform.learn({ courseId: 4101, identifier: 'sam', progress: 10, complete: true });
    const again = platform.learn({ courseId: '4101', identifier: 'sam', progress: [50], complete: true });
    assert.deepEqual([again.progressPercent, again.completed, again.commenced], [100, done.completed, first.commenced]);
    await platform.settled();
    assert.deepEqual(platform.outcomes().map((d) => [d.event, d.state, d.attempts.length]),
      [['course.commenced', 'delivered', 1], ['course.completed', 'delivered', 1]]);
    assert.deepEqual(platform.trackings({ courseId: 4101 }).map((t) => [t.identifier, t.progressPercent]), [['sam', 100]]);
    assert.throws(() => platform.learn({ courseId: 1, identifier: 'sam' }), /no course 1/);
    assert.throws(() => platform.learn({ courseId: 4101 }), /identifier/);
    assert.throws(() => platform.learn({ courseId: 4101, identifier: 'x', progress: [140] }), /0..100/);
    for (const url of ['ftp://x', 'http://[', 'example.com/webhooks']) assert.throws(() => platform.addEndpoint({ url, events: ['course.completed'] }), TypeError, url);
    assert.throws(() => platform.mint({ courseId: 999, identifier: 'sam' }), (e) => e instanceof TypeError && e.status === 404);
    assert.throws(() => platform.mint({ courseId: 4101 }), /identifier/);
    assert.equal(jwtPayload(platform.mint({ action: 'edit', identifier: 'author' })).action, 'edit');
  } finally {
    await platform.close();
    await sink.close();
  }
  await assert.rejects(startPlatform({ timeScale: 0 }), TypeError);
  await assert.rejects(startPlatform({ timescale: 600 }), /unknown option "timescale"/);
});

test('webhooks reach a real inbox (SQLite) and verify with the secret the API returned at creation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'platform-inbox-'));
  let inbox;
  // Listening first: the endpoint is registered with its URL, and its secret is known only then.
  const server = createServer((req, res) => inbox.nodeListener(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const platform = await startPlatform({ timeScale: FAST });
  try {
    const api = clientOf(platform);
    const endpoint = await api.webhooks.create({ url: `http://127.0.0.1:${server.address().port}/webhooks`, events: ['course.commenced', 'course.completed'] });
    inbox = await openInbox(join(dir, 'webhooks.sqlite'), { secrets: [endpoint.secret] });
    const url = await api.embedUrl({ action: 'view', courseId: 4102, identifier: 'learner-77', clientIdentifier: 'acme' });
    assert.ok(url);
    platform.learn({ courseId: 4102, identifier: 'learner-77', clientIdentifier: 'acme', progress: [50], complete: true });
    await platform.settled();

    const sent = platform.outcomes();
    assert.deepEqual(sent.map((d) => [d.event, d.state, d.attempts.map((a) => a.status)]),
      [['course.commenced', 'delivered', [200]], ['course.completed', 'delivered', [200]]]);
    const stored = await inbox.list();
    assert.deepEqual(stored.map((d) => [d.id, d.type, d.status]).sort(), sent.map((d) => [d.id, d.event, 'received']).sort());
    const seen = [];
    await inbox.work((delivery) => { seen.push(delivery); });
    const completed = seen.find((d) => d.type === 'course.completed');
    assert.deepEqual([completed.json.workspaceId, completed.json.data.course.id, completed.json.data.course.title, completed.json.data.course.clientIdentifier],
      [4321, 4102, 'Customer Conversations 101', 'acme']);
    const { tracking } = completed.json.data;
    assert.equal(tracking.identifier, 'learner-77');
    assert.match(tracking.completed, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(tracking.email, null);
  } finally {
    await platform.close();
    await new Promise((resolve) => server.close(resolve));
    await inbox?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a receiver that answers 503 twice then 200 gets attempt 3, with the same delivery id and body, each verifiable', async () => {
  const platform = await startPlatform({ timeScale: FAST });
  const flaky = await receiver((req, arrivals) => (arrivals.length <= 2 ? 503 : 200));
  try {
    const { secret } = platform.addEndpoint({ url: flaky.url, events: ['course.completed'] });
    platform.learn({ courseId: 4101, identifier: 'learner-5', complete: true });
    await platform.settled();
    const [delivery] = platform.outcomes();
    assert.deepEqual([delivery.event, delivery.state, delivery.attempts.map((a) => [a.attempt, a.status, a.error])],
      ['course.completed', 'delivered', [[1, 503, null], [2, 503, null], [3, 200, null]]]);
    assert.deepEqual(platform.deliveries.map((a) => [a.deliveryId, a.attempt, a.status, a.state]),
      [[delivery.id, 1, 503, 'scheduled'], [delivery.id, 2, 503, 'scheduled'], [delivery.id, 3, 200, 'delivered']]);
    assert.equal(flaky.arrivals.length, 3, 'nothing after the 2xx');
    assert.deepEqual(flaky.arrivals.map((a) => a.headers['x-coassemble-delivery']), [delivery.id, delivery.id, delivery.id]);
    assert.deepEqual(new Set(flaky.arrivals.map((a) => a.body)).size, 1);
    for (const { headers, body } of flaky.arrivals) {
      assert.equal(verifyWebhook({ headers, body, secrets: [secret] }).id, delivery.id);
    }
  } finally {
    await platform.close();
    await flaky.close();
  }
});

test('a receiver down for the whole window: 4 attempts, then nothing; the trackings still list the completion', async () => {
  const platform = await startPlatform({ timeScale: FAST });
  const url = await deadUrl();
  try {
    platform.addEndpoint({ url, events: ['course.completed'] });
    platform.learn({ courseId: 4101, identifier: 'learner-lost', progress: [30], complete: true });
    await platform.settled();
    const [lost] = platform.outcomes();
    assert.equal(lost.state, 'lost');
    assert.deepEqual(lost.attempts.map((a) => [a.attempt, a.status]), [[1, null], [2, null], [3, null], [4, null]]);
    assert.ok(lost.attempts.every((a) => a.error === 'ECONNREFUSED'), JSON.stringify(lost.attempts));
    // The same, attempt by attempt, as platform.deliveries lists them.
    assert.deepEqual(platform.deliveries.map((a) => [a.deliveryId, a.event, a.endpointId, a.attempt, a.status, a.error, a.state]),
      [1, 2, 3, 4].map((n) => [lost.id, 'course.completed', 1, n, null, 'ECONNREFUSED', n < 4 ? 'scheduled' : 'lost']));

    // The receiver comes back on the same address: a new event reaches it, the lost one never does.
    const back = await new Promise((resolve) => {
      const arrivals = [];
      const server = createServer((req, res) => { arrivals.push(req.headers['x-coassemble-delivery']); res.writeHead(200).end(); resolve({ server, arrivals }); });
      server.listen(Number(new URL(url).port), '127.0.0.1', () => platform.learn({ courseId: 4101, identifier: 'learner-later', complete: true }));
    });
    await platform.settled();
    assert.deepEqual(back.arrivals, [platform.outcomes()[1].id]);
    assert.ok(!back.arrivals.includes(lost.id));
    back.server.close();

    const completed = [];
    for await (const t of clientOf(platform).trackings({ courseId: 4101 })) if (t.completed) completed.push(t.identifier);
    assert.deepEqual(completed, ['learner-lost', 'learner-later'], 'reconciliation finds what the webhooks lost');
  } finally {
    await platform.close();
  }
});

test("the schedule: waits of 1, 5 and 30 minutes (scaled), measured at the receiver", async (t) => {
  const platform = await startPlatform({ timeScale: FAST });
  const down = await receiver(() => 500);
  try {
    platform.addEndpoint({ url: down.url, events: ['course.completed'] });
    const started = performance.now();
    platform.learn({ courseId: 4101, identifier: 'learner-timed', complete: true });
    await platform.settled();
    assert.equal(down.arrivals.length, 4);
    const at = down.arrivals.map((a) => a.at);
    const gaps = [at[1] - at[0], at[2] - at[1], at[3] - at[2]];
    const nominal = [60_000, 300_000, 1_800_000].map((ms) => ms / FAST);
    t.diagnostic(`first attempt ${(at[0] - started).toFixed(0)} ms after the event; gaps ${gaps.map((g) => g.toFixed(0)).join(' / ')} ms ` +
      `(nominal ${nominal.join(' / ')}); ratios 1 : ${(gaps[1] / gaps[0]).toFixed(2)} : ${(gaps[2] / gaps[0]).toFixed(2)} (1 : 5 : 30)`);
    // A timer never fires early (1 ms of rounding aside); how late it fires depends on the machine,
    // so the upper bound is generous. Within these bounds the ratios are 1 : 5 : 30 give or take the lateness.
    gaps.forEach((gap, i) => {
      assert.ok(gap >= nominal[i] - 2, `wait ${i + 1}: ${gap.toFixed(0)} ms < ${nominal[i]} ms`);
      assert.ok(gap <= nominal[i] + 1500, `wait ${i + 1}: ${gap.toFixed(0)} ms, far past ${nominal[i]} ms`);
    });
    assert.ok(gaps[1] / gaps[0] > 2 && gaps[2] / gaps[1] > 3, `ratios ${gaps.map((g) => g.toFixed(0))}`);
  } finally {
    await platform.close();
    await down.close();
  }
});

test('the timeout: webhookTimeoutMs / timeScale, never under 1 s real (or the unscaled timeout when shorter)', async () => {
  for (const [webhookTimeoutMs, timeScale, expected] of [[10_000, 1, 10_000], [10_000, 5, 2000], [10_000, 600, 1000], [300, 600, 300]]) {
    const platform = await startPlatform({ webhookTimeoutMs, timeScale });
    assert.equal(platform.timeoutMs, expected, `${webhookTimeoutMs} ms at ×${timeScale}`);
    await platform.close();
  }
  const platform = await startPlatform({ webhookTimeoutMs: 300, schedule: [50] });
  const stalls = await receiver(() => new Promise(() => {})); // never answers
  try {
    platform.addEndpoint({ url: stalls.url, events: ['course.completed'] });
    platform.learn({ courseId: 4101, identifier: 'learner-slow', complete: true });
    await platform.settled();
    const [delivery] = platform.outcomes();
    assert.deepEqual([delivery.state, delivery.attempts.map((a) => a.error)], ['lost', ['no answer within 300 ms', 'no answer within 300 ms']]);
    assert.ok(delivery.attempts.every((a) => a.durationMs >= 295), JSON.stringify(delivery.attempts));
  } finally {
    await platform.close();
    await stalls.close();
  }
});

test('deleting an endpoint cancels its retries; close() cancels what is scheduled and resolves settled()', async () => {
  const platform = await startPlatform({ timeScale: 20 }); // the first retry 3 s later: time to delete
  const down = await receiver(() => 503);
  try {
    const endpoint = platform.addEndpoint({ url: down.url, events: ['course.completed'] });
    platform.learn({ courseId: 4101, identifier: 'learner-a', complete: true });
    await down.arrived(1);
    await clientOf(platform).webhooks.delete(endpoint.id);
    await platform.settled();
    assert.deepEqual(platform.outcomes().map((d) => [d.state, d.attempts.length]), [['cancelled', 1]]);

    platform.addEndpoint({ url: down.url, events: ['course.completed'] });
    platform.learn({ courseId: 4101, identifier: 'learner-b', complete: true });
    await down.arrived(2);
    const settled = platform.settled();
    await platform.close();
    await settled;
    assert.deepEqual(platform.outcomes().map((d) => d.state), ['cancelled', 'cancelled']);
    assert.throws(() => platform.learn({ courseId: 4101, identifier: 'learner-c' }), /closed/);
  } finally {
    await platform.close();
    await down.close();
  }
});

test('the minted pages report with their signed token (learner activity; a created course); a forged token changes nothing', async () => {
  const platform = await startPlatform();
  try {
    const url = platform.mint({ courseId: 4101, identifier: 'learner-page' });
    const token = new URL(url).pathname.split('/').at(-1);
    const report = (token, message) => fetch(`${platform.origin}/embed/activity`, { method: 'POST', body: JSON.stringify({ token, message }) });
    assert.equal((await report(token, { type: 'course', event: 'start' })).status, 204);
    assert.equal((await report(token, { type: 'course', event: 'progress', data: { progress: '60' } })).status, 204);
    const [header, payload] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url')), identifier: 'mallory' })).toString('base64url')}.${token.split('.')[2]}`;
    assert.equal((await report(forged, { type: 'course', event: 'completed' })).status, 401);
    assert.deepEqual(platform.trackings().map((t) => [t.identifier, t.progressPercent, t.completed]), [['learner-page', 60, null]]);

    // The builder page reports a course its author created: course.created, and the course is listed.
    const sink = await receiver();
    platform.addEndpoint({ url: sink.url, events: ['course.created'] });
    const builderToken = new URL(platform.mint({ action: 'edit', identifier: 'author-1', clientIdentifier: 'acme' })).pathname.split('/').at(-1);
    for (let i = 0; i < 2; i++) assert.equal((await report(builderToken, { type: 'course', event: 'created', data: { id: '4200', title: 'Fire drills' } })).status, 204);
    await platform.settled();
    await sink.close();
    assert.deepEqual(platform.courses.map((c) => c.id), [4101, 4102, 4200]);
    assert.deepEqual(sink.arrivals.map((a) => JSON.parse(a.body)).map(({ type, data }) => [type, data]),
      [['course.created', { course: { id: 4200, title: 'Fire drills', key: 'course-4200', clientIdentifier: 'acme' } }]], 'once');
  } finally {
    await platform.close();
  }
});

/** Runs `testing/cli.js args` until its output matches `pattern` or it exits. */
function cli(args, pattern) {
  const child = spawn(process.execPath, ['testing/cli.js', ...args], { cwd: ROOT });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
  const matched = new Promise((resolve, reject) => {
    const check = () => { const m = pattern?.exec(out); if (m) resolve(m); };
    child.stdout.on('data', (c) => { out += c; check(); });
    child.stderr.on('data', (c) => { out += c; });
    exited.then(() => reject(new Error(`cli exited:\n${out}`)));
  });
  matched.catch(() => {});
  return { child, exited, matched };
}

test('npx coassemble-events emulate: prints a base URL, a key and a player URL that work; bad arguments exit 2', async () => {
  const run = cli(['emulate', '--port', '0', '--time-scale', '600'], /API base URL\s+(\S+)\n\s*API key\s+(\S+)\n\s*player URL\s+(\S+)/);
  try {
    const [, baseUrl, apiKey, playerUrl] = await run.matched;
    const api = createCoassembleApi({ apiKey, baseUrl });
    assert.deepEqual((await api.webhooks.list()).endpoints, []);
    assert.ok(playerUrl.startsWith(`${baseUrl}/embed/view/`));
    assert.equal((await fetch(playerUrl)).status, 200);
  } finally {
    run.child.kill('SIGTERM');
    assert.equal((await run.exited).code, 0);
  }
  for (const args of [['emulate', '--port'], ['emulate', '--port', 'x'], ['emulate', '--time-scale', '0'], ['emulate', '--colour'], ['emulat']]) {
    const { code, out } = await cli(args).exited;
    assert.equal(code, 2, `${args.join(' ')}: ${out}`);
    assert.match(out, /usage: coassemble-events send-test-webhooks[\s\S]*coassemble-events emulate \[--port N\] \[--time-scale N\]/);
  }
});

test('emulate for a dev server: --api-key kept, a builder URL printed, GET /mint readable cross-origin, pages embeddable anywhere', async () => {
  const apiKey = 'COASSEMBLE:4321:dev-loop-key';
  const run = cli(['emulate', '--port', '0', '--api-key', apiKey], /API base URL\s+(\S+)\n\s*API key\s+(\S+)\n[\s\S]*builder URL\s+(\S+)\n\s*more URLs\s+GET (\S+)\?/);
  try {
    const [, baseUrl, printedKey, builderUrl, mintUrl] = await run.matched;
    assert.equal(printedKey, apiKey, 'the key given is the key the API takes');
    assert.deepEqual((await createCoassembleApi({ apiKey, baseUrl }).webhooks.list()).endpoints, []);
    assert.equal(mintUrl, `${baseUrl}/mint`);
    const framable = async (url) => {
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get('x-frame-options'), null, 'no X-Frame-Options: any dev origin may frame it');
      assert.equal(res.headers.get('content-security-policy'), null, 'no frame-ancestors either');
    };
    await framable(builderUrl);
    for (const [query, path] of [['kind=player', '/embed/view/'], ['kind=builder', '/embed/edit/'], ['', '/embed/view/'],
      ['kind=player&course=4102&learner=ada', '/embed/view/']]) {
      const res = await fetch(`${mintUrl}?${query}`, { headers: { origin: 'http://localhost:5173' } });
      assert.equal(res.status, 200, query);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', 'a dev page on another origin reads it');
      const url = await res.text();
      assert.ok(url.startsWith(`${baseUrl}${path}`), url);
      await framable(url);
    }
    const claims = (url) => JSON.parse(Buffer.from(new URL(url).pathname.split('/').at(-1).split('.')[1], 'base64url'));
    const ada = claims(await (await fetch(`${mintUrl}?course=4102&learner=ada`)).text());
    assert.deepEqual([ada.course, ada.identifier], [4102, 'ada']);
    for (const [query, status] of [['kind=lesson', 400], ['course=999', 404]]) {
      const res = await fetch(`${mintUrl}?${query}`);
      assert.equal(res.status, status, query);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', 'the refusal is readable too');
    }
  } finally {
    run.child.kill('SIGTERM');
    assert.equal((await run.exited).code, 0);
  }
  const { code } = await cli(['emulate', '--api-key', '']).exited;
  assert.equal(code, 2, 'an empty key is a usage error');
});

test("the docs' outage test (Testing your integration) runs as written and passes", async () => {
  const block = snippetStartingWith('js', '// outage.test.mjs').code;
  // Inside the repository, so `coassemble-events/...` resolves to this package (its own exports).
  const dir = join(ROOT, 'target', 'readme-platform');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'outage.test.mjs'), block);
  // A run of its own: without NODE_TEST_CONTEXT, which makes a node --test child report to this runner.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const child = spawn(process.execPath, ['--test', join(dir, 'outage.test.mjs')], { cwd: ROOT, env });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, out);
  assert.match(out, /# pass 1/);
});
