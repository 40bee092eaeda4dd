// startPlatform in Chromium, Firefox and WebKit: the host app mints a player URL with the API client,
// its page embeds it with the SDK, a learner goes through the emulated player to the end, and that
// in-page activity becomes a tracking and signed course.commenced / course.completed webhooks; an
// author's new course in the emulated builder becomes course.created.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startPlatform } from 'coassemble-events/testing';
import { createCoassembleApi } from 'coassemble-events/api';
import { verifyWebhook } from 'coassemble-events/webhooks';
import { engines } from '../support/engines.mjs';
import { openHost } from '../support/host.mjs';

/** `promise`, or a rejection naming `what` after `ms` (generous: a deadline, not a measurement). */
const within = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) => {
  setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms).unref();
})]);

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  let platform, api, host, page, receiver, secret;
  const deliveries = []; // verified webhooks, as the receiver got them
  let onDelivery = () => {};
  const identifier = `learner-${engine}`;

  before(async () => {
    platform = await startPlatform({ timeScale: 600 });
    api = createCoassembleApi({ apiKey: platform.apiKey, baseUrl: platform.baseUrl });
    receiver = createServer(async (req, res) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      try {
        deliveries.push(verifyWebhook({ headers: req.headers, body: Buffer.concat(chunks), secrets: [secret] }));
        res.writeHead(200).end();
      } catch (error) {
        res.writeHead(error.status ?? 400).end(String(error.code));
      }
      onDelivery();
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    ({ secret } = await api.webhooks.create({ url: `http://127.0.0.1:${receiver.address().port}/webhooks`, events: ['course.commenced', 'course.completed', 'course.created'] }));
    // The host app's own server mints the URL per page load, with the key the browser never sees.
    host = await openHost({ engine, routes: {
      '/api/coassemble-url': (req, res) => api.embedUrl({ action: 'view', courseId: 4101, identifier }).then(
        (url) => res.writeHead(200, { 'content-type': 'text/plain' }).end(url),
        () => res.writeHead(502).end()),
    } });
    ({ page } = host);
  });

  after(async () => {
    await host?.close();
    await platform?.close();
    receiver?.closeAllConnections();
    receiver?.close();
  });

  test('a learner completes the emulated player in the page: a tracking and a signed course.completed webhook', async () => {
    const origin = await page.evaluate(async () => {
      const url = await (await fetch('/api/coassemble-url')).text();
      const box = document.createElement('div');
      document.body.append(box);
      window.kit = await window.sdk.embedCourse(box, url);
      window.kitEvents = [];
      window.kit.on('*', (e) => window.kitEvents.push(e.name));
      await window.kit.ready();
      return window.kit.origin;
    });
    assert.equal(origin, platform.origin, 'the SDK trusts the origin of the minted URL');

    const completed = new Promise((resolve) => {
      onDelivery = () => deliveries.some((d) => d.type === 'course.completed') && resolve();
    });
    // Start, three screens on, the quiz's right answer, two more, Complete: the player's own buttons,
    // as a learner presses them.
    const steps = ['next', 'next', 'next', 'next', { coassembleEmulator: 'answer', option: 1 }, 'next', 'next', 'next'];
    for (const step of steps) {
      const command = typeof step === 'string' ? { coassembleEmulator: step } : step;
      await page.evaluate(([command, origin]) => window.kit.iframe.contentWindow.postMessage(command, origin), [command, platform.origin]);
    }
    await page.waitForFunction(() => window.kitEvents.includes('course:completed'));
    await within(completed, 30_000, 'the course.completed webhook');

    const done = deliveries.find((d) => d.type === 'course.completed');
    assert.equal(done.event.tracking.identifier, identifier);
    assert.equal(done.event.course.id, 4101);
    assert.deepEqual(deliveries.filter((d) => d.type === 'course.commenced').map((d) => d.event.tracking.identifier), [identifier]);
    const rows = [];
    for await (const t of api.trackings({ courseId: 4101 })) rows.push(t);
    assert.deepEqual(rows.map((t) => [t.identifier, t.progress, Boolean(t.commenced), t.completed === done.event.tracking.completed]),
      [[identifier, 100, true, true]]);
    await platform.settled();
    assert.deepEqual(platform.outcomes().map((d) => [d.event, d.state]), [['course.commenced', 'delivered'], ['course.completed', 'delivered']]);
    await page.evaluate(() => window.kit.destroy());
  });

  test('an author creates a course in the emulated builder: the course is listed and course.created is sent', async () => {
    const url = platform.mint({ action: 'edit', identifier: `author-${engine}` });
    await page.evaluate(async (url) => {
      const box = document.createElement('div');
      document.body.append(box);
      window.kit = await window.sdk.embedBuilder(box, url);
      await window.kit.ready();
    }, url);
    const created = new Promise((resolve) => {
      onDelivery = () => deliveries.some((d) => d.type === 'course.created') && resolve();
    });
    await page.evaluate((origin) => window.kit.iframe.contentWindow.postMessage({ coassembleEmulator: 'create' }, origin), platform.origin);
    await within(created, 30_000, 'the course.created webhook');
    assert.deepEqual(deliveries.filter((d) => d.type === 'course.created').map((d) => d.event.course.id), [4200]);
    const ids = [];
    for await (const course of api.courses()) ids.push(course.id);
    assert.deepEqual(ids, [4101, 4102, 4200]);
    await page.evaluate(() => window.kit.destroy());
  });
});
