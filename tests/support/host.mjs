// A test host page in headless Chromium, with embed stand-ins added as real cross-origin iframes.
import { launchBrowser } from './browser.mjs';
import { startServers } from './server.mjs';

/**
 * Starts the two-origin servers and a Chromium page on tests/browser/fixtures/host.html (which imports
 * the real package as `window.sdk`). Returns `{ servers, browser, page, cdp, frameSrc, addFrame, heapAfterGc, wasmMemoryBytes, close }`.
 */
export async function openHost() {
  const servers = await startServers();
  const browser = await launchBrowser();
  const page = await browser.newPage();
  const cdp = await browser.newCDPSession(page);
  await page.goto(`${servers.host}/tests/browser/fixtures/host.html`);
  await page.waitForFunction(() => document.title === 'ready');

  /** URL of the embed stand-in named `name`, served from `origin`; `query` is appended as is. */
  const frameSrc = (name, origin = servers.frame, query = '') =>
    `${origin}/tests/browser/fixtures/frame.html?name=${name}&parent=${encodeURIComponent(servers.host)}${query}`;

  /**
   * Adds `<iframe id=id>` loading `src` (none when null) with extra `attrs`; resolves once it loaded,
   * with its Playwright frame.
   */
  async function addFrame(id, src, attrs = {}) {
    await page.evaluate(([id, src, attrs]) => new Promise((resolve) => {
      const iframe = document.createElement('iframe');
      iframe.id = id;
      for (const [k, v] of Object.entries(attrs)) iframe.setAttribute(k, v);
      iframe.onload = () => resolve();
      if (src) iframe.src = src;
      document.body.append(iframe);
      if (!src) resolve();
    }), [id, src, attrs]);
    return src && page.frames().find((f) => f.url() === src);
  }

  /** The JS heap's used bytes after a full garbage collection. */
  async function heapAfterGc() {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  }

  /** Bytes of every wasm linear memory in the page (the SDK's allocator works there, not in the JS heap). */
  async function wasmMemoryBytes() {
    const { result: proto } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
    const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.objectId });
    const { result } = await cdp.send('Runtime.callFunctionOn', {
      objectId: objects.objectId, returnByValue: true,
      functionDeclaration: 'function () { return this.reduce((sum, m) => sum + m.buffer.byteLength, 0); }',
    });
    return result.value;
  }

  const close = async () => {
    await browser.close();
    await servers.close();
  };
  return { servers, browser, page, cdp, frameSrc, addFrame, heapAfterGc, wasmMemoryBytes, close };
}
