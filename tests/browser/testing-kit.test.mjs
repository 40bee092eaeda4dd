// coassemble-events/testing in Chromium, Firefox and WebKit: the emulators on their own origin speak
// the real wire format to the real package (scripted by URL, or by commands the host page posts), and
// a lesson page under `script-src 'self' 'wasm-unsafe-eval'` embeds and follows a course.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulators } from 'coassemble-events/testing';
import { engines } from '../support/engines.mjs';
import { openHost } from '../support/host.mjs';

const progress = (value) => ({ type: 'course', event: 'progress', data: { progress: value } });

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  let emulators, host, page;
  let lessonUrl = ''; // what the lesson page's server "signs": set per test

  before(async () => {
    emulators = await startEmulators();
    host = await openHost({ engine, routes: {
      '/api/coassemble-url': (req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(lessonUrl),
    } });
    ({ page } = host);
  });

  after(async () => {
    await host?.close();
    await emulators?.close();
  });

  /** Embeds `url` with embed`kind` in the host page, recording its events; resolves to its origin. */
  const embed = (kind, url, options = {}) => page.evaluate(async ([kind, url, options]) => {
    const box = document.createElement('div');
    document.body.append(box);
    const fn = kind === 'builder' ? window.sdk.embedBuilder : window.sdk.embedCourse;
    window.kit = await fn(box, url, options);
    window.kitEvents = [];
    window.kit.on('*', (e) => window.kitEvents.push(e));
    window.kit.on('error', (e) => window.kitEvents.push({ name: 'error', code: e.code }));
    return window.kit.origin;
  }, [kind, url, options]);

  /** Waits until an event named `name` arrived, then returns every event name so far. */
  const eventsUntil = async (name) => {
    await page.waitForFunction((name) => window.kitEvents.some((e) => e.name === name), name);
    return page.evaluate(() => window.kitEvents.map((e) => (e.name === 'course:progress' ? `progress:${e.progress}` : e.name)));
  };
  const command = (message) => page.evaluate(([message, origin]) => window.kit.iframe.contentWindow.postMessage(message, origin),
    [message, emulators.origin]);
  const destroy = () => page.evaluate(() => window.kit.destroy());

  test('a player scripted by URL: string envelopes, session:ready first, the monotonic rule applies', async () => {
    const origin = await embed('course', emulators.playerUrl({ parent: host.servers.host,
      events: ['course:start', progress(40), progress(20), progress(90), 'course:completed'] }));
    assert.equal(origin, emulators.origin);
    assert.deepEqual(await eventsUntil('course:completed'),
      // (Completed at 90: completion means 100, so a progress of 100 comes first.)
      ['session:ready', 'course:start', 'progress:40', 'progress:90', 'progress:100', 'course:completed']);
    const state = await page.evaluate(() => window.kit.state);
    assert.deepEqual([state.progress, state.completed, state.droppedProgress], [100, true, 1]);
    await destroy();
  });

  test('a player driven by commands from the host page sends what a learner\'s clicks send', async () => {
    await embed('course', emulators.playerUrl({ parent: host.servers.host }));
    await page.evaluate(() => window.kit.ready());
    for (let i = 0; i < 3; i++) await command({ coassembleEmulator: 'next' });
    await command({ coassembleEmulator: 'back' });
    await command({ coassembleEmulator: 'send', messages: [{ type: 'screen', event: 'answer', data: { screen: 9, correct: true } }] });
    const names = await eventsUntil('screen:answer');
    assert.deepEqual(names.filter((n) => n.startsWith('progress') || n === 'course:start'), ['course:start', 'progress:0', 'progress:17', 'progress:33']);
    assert.equal(await page.evaluate(() => window.kit.state.lastScreen), 9);
    await destroy();
  });

  test('a builder with object envelopes: title edits, a new course, back, error and expiry', async () => {
    await embed('builder', emulators.builderUrl({ parent: host.servers.host, envelope: 'object' }));
    await page.evaluate(() => window.kit.ready());
    await command({ coassembleEmulator: 'title', title: 'Fire drills' });
    await command({ coassembleEmulator: 'create' });
    await command({ coassembleEmulator: 'back' });
    await command({ coassembleEmulator: 'error' });
    await command({ coassembleEmulator: 'expire' });
    const names = await eventsUntil('session:expired');
    assert.deepEqual(names, ['session:ready', 'course:updated', 'course:created', 'back', 'session:error', 'session:expired']);
    const state = await page.evaluate(() => window.kit.state);
    assert.deepEqual([state.courseId, state.title, state.expired], [4200, 'Untitled course', true]);
    // Commands from anyone but the parent window are ignored: the page posting to itself does nothing.
    await page.evaluate(() => window.postMessage({ coassembleEmulator: 'noise' }, '*'));
    await destroy();
  });

  test('ready: false withholds session:ready, so ready() times out as with a dead embed', async () => {
    await embed('course', emulators.playerUrl({ parent: host.servers.host, ready: false }), { readyTimeoutMs: 500 });
    assert.equal(await page.evaluate(() => window.kit.ready().then(() => 'ready', (e) => e.code)), 'timeout');
    await destroy();
  });

  test("CSP script-src 'self' 'wasm-unsafe-eval': the lesson page embeds and follows the course; without it the wasm is refused", async () => {
    lessonUrl = emulators.playerUrl({ parent: host.servers.host, events: ['course:start', progress(25), progress(10), progress(70), 'course:completed'] });
    await page.goto(`${host.servers.host}/tests/browser/fixtures/lesson.html`);
    await page.waitForFunction(() => !document.querySelector('#completed').hidden || document.body.dataset.state === 'failed');
    const lesson = await page.evaluate(() => ({ state: document.body.dataset.state, error: document.body.dataset.error ?? null,
      bar: document.querySelector('#progress').getAttribute('aria-valuenow') }));
    assert.deepEqual(lesson, { state: 'embedded', error: null, bar: '100' });
    if (page.console) assert.deepEqual(page.console.filter((m) => /content.security|CSP/i.test(m.text)), []);

    await page.goto(`${host.servers.host}/tests/browser/fixtures/lesson-no-wasm-csp.html`);
    await page.waitForFunction(() => document.body.dataset.state);
    const refused = await page.evaluate(() => [document.body.dataset.state, document.body.dataset.error]);
    assert.equal(refused[0], 'failed', 'the control page must fail, or the CSP above proves nothing');
    assert.match(refused[1], /CompileError|wasm|WebAssembly|eval/i);
  });
});
