// Cleanup and odd senders, in headless Chromium: attach/destroy cycles and removed iframes leave the
// window's `message` listener count (Chrome DevTools Protocol) and the heap where they were; sandboxed
// ("null" origin) and about:blank frames, the window itself, workers and their MessagePorts, and
// non-MessageEvent `message` events are ignored without an event or an error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openHost } from '../support/host.mjs';

let host, servers, page, cdp, frameSrc, addFrame, heapAfterGc, wasmMemoryBytes;

before(async () => {
  host = await openHost();
  ({ servers, page, cdp, frameSrc, addFrame, heapAfterGc, wasmMemoryBytes } = host);
});

after(() => host?.close());

/** `message` listeners on the page's window, as DevTools sees them. */
async function messageListeners() {
  const { result } = await cdp.send('Runtime.evaluate', { expression: 'window' });
  const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
  await cdp.send('Runtime.releaseObject', { objectId: result.objectId });
  return listeners.filter((l) => l.type === 'message').length;
}

const cycles = (n) => page.evaluate(async (n) => {
  const iframe = document.getElementById('cycled');
  for (let i = 0; i < n; i++) {
    const embed = await window.sdk.attachCourse(iframe);
    embed.on('*', () => {});
    embed.once('course:completed', () => {});
    embed.ready().catch(() => {}); // a pending wait with a timer, rejected by destroy()
    embed.destroy();
  }
}, n);

test('1,000 attach/destroy cycles: listener count and heap back where they were', async (t) => {
  await addFrame('cycled', frameSrc('cycled'));
  const start = await messageListeners();

  // The count does see the SDK's listeners: ten live embeds are ten more.
  await page.evaluate(async () => {
    const iframe = document.getElementById('cycled');
    window.live = await Promise.all(Array.from({ length: 10 }, () => window.sdk.attachCourse(iframe)));
  });
  assert.equal(await messageListeners(), start + 10);
  await page.evaluate(() => { window.live.forEach((e) => e.destroy()); window.live = null; });
  assert.equal(await messageListeners(), start);

  await cycles(200); // warm-up: JIT code and allocator free lists
  const heapBefore = await heapAfterGc();
  const wasmBefore = await wasmMemoryBytes();
  await cycles(1000);
  assert.equal(await messageListeners(), start);
  const heapGrowth = (await heapAfterGc()) - heapBefore;
  const wasmGrowth = (await wasmMemoryBytes()) - wasmBefore;
  t.diagnostic(`after 1,000 cycles: JS heap ${heapGrowth} B, wasm memory +${wasmGrowth} B`);
  // An Embed with its callbacks is well over 500 bytes: 1,000 retained ones would exceed this.
  assert.ok(heapGrowth < 500 * 1024, `JS heap grew by ${heapGrowth} bytes`);
  assert.ok(wasmGrowth === 0, `wasm memory grew by ${wasmGrowth} bytes`);
  assert.deepEqual(await page.evaluate(() => window.pageErrors), []);
});

test('200 iframes removed from the page without destroy(): every listener goes with them', async (t) => {
  const start = await messageListeners();
  const heapBefore = await heapAfterGc();
  const destroyed = await page.evaluate(async (src) => {
    const embeds = [];
    for (let batch = 0; batch < 10; batch++) {
      const frames = await Promise.all(Array.from({ length: 20 }, (_, i) => new Promise((resolve) => {
        const iframe = document.createElement('iframe');
        iframe.src = `${src}&i=${batch * 20 + i}`;
        iframe.onload = () => resolve(iframe);
        document.body.append(iframe);
      })));
      for (const iframe of frames) {
        const embed = await window.sdk.attachCourse(iframe);
        embed.on('*', () => {});
        embed.ready().catch(() => {});
        embeds.push(embed);
      }
      frames.forEach((iframe) => iframe.remove());
    }
    await new Promise((resolve) => setTimeout(resolve, 0)); // MutationObserver callbacks have run
    return embeds.filter((e) => e.destroyed).length;
  }, frameSrc('removed'));
  assert.equal(destroyed, 200);
  assert.equal(await messageListeners(), start);
  const heapGrowth = (await heapAfterGc()) - heapBefore;
  t.diagnostic(`after 200 removed iframes: JS heap ${heapGrowth} B`);
  assert.ok(heapGrowth < 1024 * 1024, `JS heap grew by ${heapGrowth} bytes`);
  assert.deepEqual(await page.evaluate(() => window.pageErrors), []);
});

test('"null" origin, about:blank, the window itself, workers and MessagePorts are all ignored', async () => {
  const envelope = { type: 'course', event: 'progress', data: { progress: 40 } };
  const embedFrame = await addFrame('embed', frameSrc('embed'));
  const sandboxed = await addFrame('sandboxed', frameSrc('sandboxed'), { sandbox: 'allow-scripts' });
  await addFrame('blank', null);

  const attachErrors = await page.evaluate(async (frameOrigin) => {
    const record = (embed) => {
      const seen = [];
      embed.on('*', (e) => seen.push(e.name));
      embed.on('error', (e) => seen.push(`error:${e.code}`));
      return seen;
    };
    const byId = (id) => document.getElementById(id);
    window.embeds = {
      embed: await window.sdk.attachCourse(byId('embed')),
      // Its src is at the embed origin, but a sandboxed document's messages come from origin "null".
      sandboxed: await window.sdk.attachCourse(byId('sandboxed')),
      blank: await window.sdk.attachCourse(byId('blank'), { origin: frameOrigin }),
    };
    window.seen = Object.fromEntries(Object.entries(window.embeds).map(([k, e]) => [k, record(e)]));
    // What reached the window at all, to show the odd senders' messages did arrive.
    window.arrived = [];
    window.addEventListener('message', (e) => window.arrived.push(e instanceof MessageEvent ? e.origin : 'not a MessageEvent'));
    const codes = [];
    for (const [iframe, options] of [[byId('sandboxed'), { origin: 'null' }], [byId('blank'), undefined], [byId('embed'), { origin: '*' }]]) {
      await window.sdk.attachCourse(iframe, options).then(() => codes.push('attached'), (e) => codes.push(e.code));
    }
    return codes;
  }, servers.frame);
  // The literal origin "null" and "*" are refused; about:blank has no origin to derive.
  assert.deepEqual(attachErrors, ['invalid_origin', 'missing_origin', 'invalid_origin']);

  await sandboxed.evaluate((m) => { parent.postMessage(m, '*'); parent.postMessage(JSON.stringify(m), '*'); }, envelope);
  await page.evaluate(async ([m, frameOrigin]) => {
    // about:blank is same-origin with the host: code running in it posts with the host's origin.
    document.getElementById('blank').contentWindow.eval(`parent.postMessage(${JSON.stringify(m)}, '*')`);
    window.postMessage(m, '*');
    window.postMessage(JSON.stringify(m), '*');
    // A worker's messages, and its MessagePort's, arrive on the Worker and the port, not the window.
    const worker = new Worker(URL.createObjectURL(new Blob([
      `onmessage = (e) => { e.data.port.postMessage(${JSON.stringify(m)}); postMessage(${JSON.stringify(m)}); };`,
    ], { type: 'text/javascript' })));
    const channel = new MessageChannel();
    const fromWorker = Promise.all([
      new Promise((resolve) => { worker.onmessage = resolve; }),
      new Promise((resolve) => { channel.port1.onmessage = resolve; }),
    ]);
    worker.postMessage({ port: channel.port2 }, [channel.port2]);
    await fromWorker;
    worker.terminate();
    // Events another script dispatches on the window: from a MessagePort at the embed's origin,
    // without a source, and not a MessageEvent at all.
    window.dispatchEvent(new MessageEvent('message', { data: m, origin: frameOrigin, source: channel.port1 }));
    window.dispatchEvent(new MessageEvent('message', { data: m, origin: frameOrigin }));
    window.dispatchEvent(new Event('message'));
  }, [envelope, servers.frame]);

  // Control: the real embed's message still gets through, after all of the above.
  await embedFrame.evaluate((m) => window.post(m), { ...envelope, data: { progress: 41 } });
  await page.waitForFunction(() => window.seen.embed.length > 0);
  const result = await page.evaluate(() => ({
    arrived: window.arrived,
    seen: window.seen,
    progress: window.embeds.embed.state.progress,
    errors: window.pageErrors,
  }));
  assert.deepEqual(result.arrived.sort(), [
    servers.frame, servers.frame, servers.frame, servers.host, servers.host, servers.host,
    'not a MessageEvent', 'null', 'null',
  ].sort());
  // The sandboxed and about:blank iframes' own windows posted from "null" and the host's origin:
  // nothing delivered, one origin_mismatch diagnostic each (two messages from "null", one error).
  assert.deepEqual(result.seen,
    { embed: ['course:progress'], sandboxed: ['error:origin_mismatch'], blank: ['error:origin_mismatch'] });
  assert.equal(result.progress, 41);
  assert.deepEqual(result.errors, []);
  await page.evaluate(() => Object.values(window.embeds).forEach((e) => e.destroy()));
});
