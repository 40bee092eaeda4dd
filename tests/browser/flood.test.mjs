// 100,000 mixed messages at a page with two embeds, in headless Chromium: trusted, malformed and
// foreign ones from the embed, a Coassemble lookalike from the right frame at the wrong origin,
// foreign frames, the page itself. No page error, the exact final state, and no heap growth.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHost } from '../support/host.mjs';

const TRUSTED = 40000; // from the embed, mixed as below
const OTHER = 20000; // each: wrong-origin frame, foreign frame, the page itself

let host, servers, page, heapAfterGc, wasmMemoryBytes;

before(async () => {
  host = await openHost();
  ({ servers, page, heapAfterGc, wasmMemoryBytes } = host);
});

after(() => host?.close());

const addFrame = (id, origin) => host.addFrame(id, host.frameSrc(id, origin));

/** Posts `count` messages from the trusted embed frame; returns what the embed should report. */
function postTrusted(frame, count) {
  return frame.evaluate((count) => {
    const expected = { progressEvents: 0, errors: 0, screens: 0, dropped: 0, lastScreen: null };
    let last = -1;
    window.post({ type: 'session', event: 'ready' });
    for (let i = 0; i < count; i++) {
      const progress = Math.floor((i * 100) / count);
      switch (i % 8) {
        case 0: case 1: case 2: case 3: // progress, object and string forms
          window.post({ type: 'course', event: 'progress', data: { progress } }, i % 8 === 3 ? 'string' : 'object');
          if (progress > last) { expected.progressEvents++; last = progress; } else expected.dropped++;
          break;
        case 4: // malformed: one SDK error each, counted as dropped progress
          window.post({ type: 'course', event: 'progress', data: { progress: 'abc' } }, 'string');
          expected.errors++;
          expected.dropped++;
          break;
        case 5: // not JSON: ignored
          window.post(i % 16 === 5 ? 'hello' : '{"type": "course", "event": ', 'raw');
          break;
        case 6: // not a Coassemble envelope: ignored
          window.post({ source: 'react-devtools-bridge', payload: { event: 'update', id: i } });
          break;
        case 7:
          window.post({ type: 'screen', event: 'start', data: { screen: i } });
          expected.screens++;
          expected.lastScreen = i;
          break;
      }
    }
    window.post({ type: 'course', event: 'completed' });
    // Completion means 100: below it, a course:progress of 100 (implied) comes first.
    if (last < 100) expected.progressEvents++;
    return expected;
  }, count);
}

test('100,000 mixed messages: no page error, exact final state, heap back to its size', async (t) => {
  const trustedFrame = await addFrame('trusted', servers.frame);
  const wrongOriginFrame = await addFrame('wrong-origin', servers.frame);
  const foreignFrame = await addFrame('foreign', servers.host);
  assert.ok(trustedFrame && wrongOriginFrame && foreignFrame);

  // Warm-up: the same trusted mix through a throwaway embed, so that JIT code, inline caches and
  // the allocator's free lists exist before the baseline is taken.
  await page.evaluate(async () => {
    window.received = 0;
    window.addEventListener('message', () => { window.received++; });
    window.warmup = await window.sdk.attachCourse(document.getElementById('trusted'));
  });
  await postTrusted(trustedFrame, TRUSTED);
  await page.waitForFunction((n) => window.received === n, TRUSTED + 2, { timeout: 120000, polling: 100 });
  await page.evaluate(() => { window.warmup.destroy(); window.received = 0; });

  await page.evaluate(async (hostOrigin) => {
    const count = (embed) => {
      const c = { names: {}, errors: 0, all: 0 };
      embed.on('*', (e) => { c.all++; c.names[e.name] = (c.names[e.name] ?? 0) + 1; });
      embed.on('error', () => { c.errors++; });
      return c;
    };
    window.trusted = await window.sdk.attachCourse(document.getElementById('trusted'));
    // Right frame, wrong origin: the frame is at the embed origin, this embed trusts the host's.
    window.wrong = await window.sdk.attachCourse(document.getElementById('wrong-origin'), { origin: hostOrigin });
    window.counts = { trusted: count(window.trusted), wrong: count(window.wrong) };
  }, servers.host);

  const heapBefore = await heapAfterGc();
  const wasmBefore = await wasmMemoryBytes();
  assert.ok(wasmBefore > 0, 'the SDK\'s wasm memory is visible');
  const lookalikes = (n) => {
    const kinds = [
      { type: 'course', event: 'progress', data: { progress: 100 } },
      { type: 'course', event: 'completed' },
      JSON.stringify({ type: 'session', event: 'ready' }),
      { type: 'course', event: 'progress', data: { progress: 'garbage' } },
    ];
    for (let i = 0; i < n; i++) parent.postMessage(kinds[i % kinds.length], '*');
  };
  const [expected] = await Promise.all([
    postTrusted(trustedFrame, TRUSTED),
    wrongOriginFrame.evaluate(lookalikes, OTHER),
    foreignFrame.evaluate(lookalikes, OTHER),
    page.evaluate(`(${lookalikes.toString().replace('parent.postMessage', 'window.postMessage')})(${OTHER})`),
  ]);
  const total = TRUSTED + 2 + 3 * OTHER;
  await page.waitForFunction((total) => window.received === total, total, { timeout: 120000, polling: 100 });

  const result = await page.evaluate(() => ({
    counts: window.counts,
    trusted: window.trusted.state,
    wrong: window.wrong.state,
    errors: window.pageErrors,
  }));
  assert.deepEqual(result.errors, []);
  // Nothing delivered; one origin_mismatch diagnostic for the one wrong origin, not one per message.
  assert.deepEqual(result.counts.wrong, { names: {}, errors: 1, all: 0 });
  assert.equal(result.wrong.ready, false);
  assert.equal(result.wrong.progress, 0);

  const names = result.counts.trusted.names;
  assert.equal(names['session:ready'], 1);
  assert.equal(names['course:progress'], expected.progressEvents);
  assert.equal(names['screen:start'], expected.screens);
  assert.equal(names['course:completed'], 1);
  assert.equal(Object.keys(names).length, 4, `unexpected events: ${Object.keys(names)}`);
  assert.equal(result.counts.trusted.errors, expected.errors);
  assert.deepEqual(result.trusted, {
    ready: true, started: false, progress: 100, completed: true, feedback: null,
    lastScreen: expected.lastScreen, droppedProgress: expected.dropped,
  });

  // Everything the flood allocated is garbage now: the JS heap is back within 1 MB of where it
  // was, and the wasm memory (which never shrinks) grew by less than 256 KB: a leak of even 8 bytes
  // per trusted message would be 320 KB.
  const heapAfter = await heapAfterGc();
  const growth = heapAfter - heapBefore;
  assert.ok(growth < 1024 * 1024, `JS heap grew by ${(growth / 1024).toFixed(0)} KB over the flood`);
  const wasmGrowth = (await wasmMemoryBytes()) - wasmBefore;
  assert.ok(wasmGrowth < 256 * 1024, `wasm memory grew by ${wasmGrowth} bytes over the flood`);
  t.diagnostic(`JS heap ${(growth / 1024).toFixed(0)} KB, wasm memory +${wasmGrowth} B (of ${wasmBefore})`);
  await page.evaluate(() => { window.trusted.destroy(); window.wrong.destroy(); });
});
