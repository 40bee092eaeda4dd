// coassemble-events/elements in a plain HTML page, in Chromium, Firefox and WebKit, against the
// testing emulators (coassemble-events/testing) and `npx coassemble-events emulate`: SDK events as DOM
// events with the SDK's event as `detail`, the properties, a move that keeps the embed, a removal that
// removes the iframe and the `message` listener, a new `src` that re-embeds, a bad `src` that is one
// typed `error` event and no page error, ready() before `src`, and autosave on a builder element.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulators } from 'coassemble-events/testing';
import { engines } from '../support/engines.mjs';
import { openHost } from '../support/host.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// In the page: the elements registered, every `message` listener on the window counted, and each
// element's DOM events recorded as [id, type, detail's name or code, progress].
const SETUP = async () => {
  await import('coassemble-events/elements');
  const live = new Set();
  const add = window.addEventListener.bind(window);
  const remove = window.removeEventListener.bind(window);
  window.addEventListener = (type, listener, options) => { if (type === 'message') live.add(listener); add(type, listener, options); };
  window.removeEventListener = (type, listener, options) => { if (type === 'message') live.delete(listener); remove(type, listener, options); };
  window.messageListeners = () => live.size;
  window.seen = [];
  window.events = [];
  const TYPES = ['session-ready', 'course-start', 'course-progress', 'course-completed', 'course-updated', 'error'];
  window.watch = (el) => {
    for (const type of TYPES) {
      el.addEventListener(type, (e) => {
        window.events.push(e);
        window.seen.push([el.id, e.type, e.type === 'error' ? e.detail.code : e.detail.name, e.detail.progress ?? null]);
      });
    }
    return el;
  };
  window.make = (tag, id, attrs = {}) => {
    const el = document.createElement(tag);
    el.id = id;
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
    return window.watch(el);
  };
  window.seenOf = (id) => window.seen.filter(([of]) => of === id).map(([, ...rest]) => rest);
  // After every microtask the last DOM change queued (the element's sync, the SDK's removal check).
  window.settled = () => new Promise((resolve) => setTimeout(resolve, 0));
};

let emulators, emulate;

before(async () => {
  emulators = await startEmulators();
  // `npx coassemble-events emulate`, as a developer runs it next to their dev server.
  const child = spawn(process.execPath, ['testing/cli.js', 'emulate', '--port', '0'], { cwd: ROOT });
  let out = '';
  const baseUrl = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const found = /API base URL\s+(\S+)/.exec(out);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`emulate exited with ${code}: ${out}`)));
  });
  emulate = { child, baseUrl };
});

after(async () => {
  await emulators?.close();
  if (emulate) {
    const exited = new Promise((resolve) => emulate.child.once('exit', resolve));
    emulate.child.kill('SIGTERM');
    await exited;
  }
});

const progress = (value) => ({ type: 'course', event: 'progress', data: { progress: value } });

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  let host, page, parent;

  before(async () => {
    host = await openHost({ engine });
    ({ page } = host);
    parent = host.servers.host;
    await page.evaluate(SETUP);
  });

  after(async () => {
    await host?.close();
  });

  const noPageError = async () => assert.deepEqual(await page.evaluate(() => window.pageErrors), [], 'no page error');

  test('<coassemble-course>: SDK events as DOM events (detail: the SDK event), properties, iframe attributes', async () => {
    const src = emulators.playerUrl({ parent, events: ['course:start', progress(40), progress(30)] });
    const shown = await page.evaluate(async (src) => {
      const el = window.make('coassemble-course', 'c1', { title: 'Onboarding', referrerpolicy: 'origin' });
      el.src = src;
      el.style.height = '200px';
      document.body.append(el);
      await el.ready();
      const iframe = el.querySelector('iframe');
      return {
        kind: el.kind, ready: el.state.ready, attribute: el.getAttribute('src') === src, origin: el.embed.origin,
        iframes: el.querySelectorAll('iframe').length, own: el.embed.iframe === iframe, src: iframe.src === src,
        title: iframe.title, referrerpolicy: iframe.getAttribute('referrerpolicy'), allow: iframe.getAttribute('allow'),
        display: getComputedStyle(el).display, height: iframe.getBoundingClientRect().height,
      };
    }, src);
    assert.deepEqual(shown, {
      kind: 'course', ready: true, attribute: true, origin: emulators.origin, iframes: 1, own: true, src: true,
      title: 'Onboarding', referrerpolicy: 'origin', allow: shown.allow, display: 'block', height: 200,
    });
    assert.match(shown.allow, /fullscreen/, "the SDK's default allow stays when none is given");
    await page.waitForFunction(() => window.seenOf('c1').some(([type]) => type === 'course-progress'));
    assert.deepEqual(await page.evaluate(() => window.seenOf('c1')), [
      ['session-ready', 'session:ready', null], ['course-start', 'course:start', null], ['course-progress', 'course:progress', 40],
    ], 'named after the SDK events; progress only increases');
    assert.deepEqual(await page.evaluate(() => {
      const e = window.events.find((event) => event.type === 'course-progress');
      return [e instanceof CustomEvent, e.bubbles, e.detail.type, e.detail.event, document.querySelector('#c1').state.progress];
    }), [true, false, 'course', 'progress', 40]);

    // on(): the SDK's names, the same events.
    await page.evaluate((origin) => {
      const el = document.querySelector('#c1');
      window.viaOn = [];
      window.offC1 = el.on('course:progress', (e) => window.viaOn.push(e.progress));
      el.embed.iframe.contentWindow.postMessage({ coassembleEmulator: 'send', messages: [{ type: 'course', event: 'progress', data: { progress: 70 } }] }, origin);
    }, emulators.origin);
    await page.waitForFunction(() => window.viaOn.length === 1);
    assert.deepEqual(await page.evaluate(() => [window.viaOn, window.seenOf('c1').at(-1)]), [[70], ['course-progress', 'course:progress', 70]]);
    await page.evaluate(() => window.offC1());
    await noPageError();
  });

  test('a move keeps the embed (the browser reloads the iframe once); removing the element removes iframe and listener', async () => {
    await page.evaluate(() => {
      window.first = document.querySelector('#c1').embed;
      const section = document.createElement('section');
      document.body.append(section);
      section.append(document.querySelector('#c1'));
    });
    // The moved iframe loads again: the same embed hears its new session:ready.
    await page.waitForFunction(() => window.seenOf('c1').filter(([type]) => type === 'session-ready').length === 2);
    assert.deepEqual(await page.evaluate(() => {
      const el = document.querySelector('#c1');
      return [el.embed === window.first, window.first.destroyed, document.querySelectorAll('iframe').length,
        window.messageListeners(), el.state.progress];
    }), [true, false, 1, 1, 70], 'same embed, one iframe, one listener, progress kept');

    await page.evaluate(() => {
      window.c1 = document.querySelector('#c1');
      window.c1.remove();
    });
    await page.waitForFunction(() => window.first.destroyed);
    assert.deepEqual(await page.evaluate(async () => {
      await window.settled();
      return [document.querySelectorAll('iframe').length, window.first.iframe.isConnected, window.messageListeners(), window.c1.embed];
    }), [0, false, 0, null], 'no iframe, no listener, no embed');

    // Inserted again later: a new embed of the same src.
    assert.deepEqual(await page.evaluate(async () => {
      document.body.append(window.c1);
      await window.c1.ready();
      const fresh = window.c1.embed !== window.first && !window.c1.embed.destroyed;
      window.c1.remove();
      await window.settled();
      return [fresh, window.c1.state];
    }), [true, null]);
    await page.waitForFunction(() => window.messageListeners() === 0 && document.querySelectorAll('iframe').length === 0);
    await noPageError();
  });

  test('a new src re-embeds: one iframe, the old embed and its listener gone; the same src again changes nothing', async () => {
    const first = emulators.playerUrl({ parent, events: [progress(50)] });
    const second = emulators.playerUrl({ parent, events: [progress(20)] });
    await page.evaluate(async (src) => {
      const el = window.make('coassemble-course', 'c2');
      el.src = src;
      document.body.append(el);
      await el.ready();
      window.before = el.embed;
    }, first);
    await page.waitForFunction(() => window.seenOf('c2').some(([, , progress]) => progress === 50));
    await page.evaluate((src) => { document.querySelector('#c2').src = src; }, second);
    await page.waitForFunction(() => window.seenOf('c2').some(([, , progress]) => progress === 20));
    assert.deepEqual(await page.evaluate((src) => {
      const el = document.querySelector('#c2');
      const iframes = [...document.querySelectorAll('iframe')];
      return [iframes.length, iframes[0].src === src, window.before.destroyed, el.embed !== window.before,
        el.state.progress, window.messageListeners()];
    }, second), [1, true, true, true, 20, 1]);
    assert.equal(await page.evaluate(async (src) => {
      const el = document.querySelector('#c2');
      const current = el.embed;
      el.setAttribute('src', src);
      await window.settled();
      return el.embed === current && !current.destroyed;
    }, second), true);
    await page.evaluate(() => document.querySelector('#c2').remove());
    await page.waitForFunction(() => window.messageListeners() === 0 && document.querySelectorAll('iframe').length === 0);
    await noPageError();
  });

  test('a bad src is one typed error event (never a throw), ready() rejects with it, a move does not repeat it', async () => {
    const got = await page.evaluate(async () => {
      const el = window.make('coassemble-course', 'bad', { src: 'ftp://example.test/course' });
      const waiting = el.ready().then(() => 'resolved', (error) => error.code);
      document.body.append(el);
      const ready = await waiting;
      await window.settled();
      document.createElement('section').append(el); // moved out of the page and back
      document.body.append(el);
      await window.settled();
      const error = window.events.filter((e) => e.type === 'error').at(-1);
      return { ready, instance: error.detail instanceof window.sdk.CoassembleError, message: error.detail.message,
        iframes: el.querySelectorAll('iframe').length, embed: el.embed,
        again: await Promise.race([el.ready().then(() => 'resolved', (e) => e.code), window.settled().then(() => 'pending')]) };
    });
    assert.equal(got.ready, 'invalid_origin');
    assert.equal(got.instance, true);
    assert.match(got.message, /ftp/);
    assert.deepEqual([got.iframes, got.embed], [0, null]);
    assert.deepEqual(await page.evaluate(() => window.seenOf('bad')), [['error', 'invalid_origin', null]], 'one error event');
    assert.equal(got.again, 'pending', 'ready() after the failure waits for a new src');

    // An empty src is a missing URL; a good one after it embeds.
    await page.evaluate(() => { document.querySelector('#bad').src = ''; });
    await page.waitForFunction(() => window.seenOf('bad').length === 2);
    assert.deepEqual(await page.evaluate(() => window.seenOf('bad')[1]), ['error', 'missing_url', null]);
    await page.evaluate(async (src) => {
      const el = document.querySelector('#bad');
      el.src = src;
      await el.ready();
      el.remove();
    }, emulators.playerUrl({ parent }));
    await page.waitForFunction(() => window.messageListeners() === 0);
    await noPageError();
  });

  test('ready() before src waits for the first embed; an element that leaves the page first rejects with DestroyedError', async () => {
    const got = await page.evaluate(async (src) => {
      const el = window.make('coassemble-course', 'later');
      document.body.append(el);
      const waiting = el.ready();
      await window.settled();
      const before = el.embed;
      el.src = src;
      await waiting;
      const ready = el.state.ready;
      el.remove();
      const gone = window.make('coassemble-course', 'gone');
      document.body.append(gone);
      const rejected = gone.ready().catch((error) => [error.name, error.code]);
      gone.remove();
      return { before, ready, rejected: await rejected };
    }, emulators.playerUrl({ parent }));
    assert.deepEqual(got, { before: null, ready: true, rejected: ['DestroyedError', 'destroyed'] });
    await page.waitForFunction(() => window.messageListeners() === 0);
    await noPageError();
  });

  test('initial-progress and ready-timeout-ms are read when the embed is made', async () => {
    const got = await page.evaluate(async ([src, silent]) => {
      const el = window.make('coassemble-course', 'resumed', { 'initial-progress': '50' });
      el.src = src;
      document.body.append(el);
      await el.ready();
      const slow = window.make('coassemble-course', 'slow');
      slow.readyTimeoutMs = 300;
      slow.src = silent;
      document.body.append(slow);
      const timeout = await slow.ready().catch((error) => error.code);
      slow.remove();
      return { attribute: el.initialProgress, timeoutAttribute: slow.getAttribute('ready-timeout-ms'), timeout };
    }, [emulators.playerUrl({ parent, events: [progress(40), progress(60)] }), emulators.playerUrl({ parent, ready: false })]);
    assert.deepEqual(got, { attribute: '50', timeoutAttribute: '300', timeout: 'timeout' });
    await page.waitForFunction(() => window.seenOf('resumed').some(([, , progress]) => progress === 60));
    assert.deepEqual(await page.evaluate(() => window.seenOf('resumed').filter(([type]) => type === 'course-progress')),
      [['course-progress', 'course:progress', 60]], 'progress starts at 50');
    await page.evaluate(() => document.querySelector('#resumed').remove());
    await noPageError();
  });

  test('<coassemble-builder> with autosave(element): drafts saved across a new src; a course element is refused', async () => {
    const drafts = (title) => emulators.builderUrl({ parent, events: [{ type: 'course', event: 'updated', data: { id: 4101, title } }] });
    await page.evaluate(async (src) => {
      const { autosave } = await import('coassemble-events/autosave');
      const el = window.make('coassemble-builder', 'b1');
      window.saved = [];
      window.saver = autosave(el, { debounceMs: 0, save: async (draft) => { window.saved.push(draft.title); } });
      el.src = src;
      document.body.append(el);
      try {
        autosave(document.createElement('coassemble-course'), { save: async () => {} });
        window.refused = null;
      } catch (error) {
        window.refused = error.name;
      }
    }, drafts('Draft 1'));
    await page.waitForFunction(() => window.saved.includes('Draft 1'));
    await page.evaluate((src) => { document.querySelector('#b1').src = src; }, drafts('Draft 2'));
    await page.waitForFunction(() => window.saved.includes('Draft 2'));
    assert.deepEqual(await page.evaluate(async () => {
      const el = document.querySelector('#b1');
      const state = el.state;
      await window.saver.stop();
      el.remove();
      return [el.kind, state.courseId, state.title, window.refused, window.saved];
    }), ['builder', 4101, 'Draft 2', 'TypeError', ['Draft 1', 'Draft 2']]);
    await page.waitForFunction(() => window.messageListeners() === 0);
    await noPageError();
  });

  test('dev loop: a page on another origin mints from `npx coassemble-events emulate` (GET /mint) and embeds both kinds', async () => {
    const got = await page.evaluate(async (base) => {
      const mint = async (kind) => (await fetch(`${base}/mint?kind=${kind}`)).text();
      const course = window.make('coassemble-course', 'dev-course');
      const builder = window.make('coassemble-builder', 'dev-builder');
      course.src = await mint('player');
      builder.src = await mint('builder');
      document.body.append(course, builder);
      await Promise.all([course.ready(), builder.ready()]);
      course.embed.iframe.contentWindow.postMessage({ coassembleEmulator: 'next' }, course.embed.origin);
      return [course.embed.origin, builder.embed.origin, builder.state.ready];
    }, emulate.baseUrl);
    assert.deepEqual(got, [emulate.baseUrl, emulate.baseUrl, true]);
    await page.waitForFunction(() => window.seenOf('dev-course').some(([type]) => type === 'course-start'));
    await page.evaluate(() => { for (const el of document.querySelectorAll('coassemble-course, coassemble-builder')) el.remove(); });
    await page.waitForFunction(() => window.messageListeners() === 0 && document.querySelectorAll('iframe').length === 0);
    await noPageError();
  });
});
