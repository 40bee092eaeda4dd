// A test host page in one browser engine, with embed stand-ins added as real cross-origin iframes.
import { launch } from './engines.mjs';
import { startServers } from './server.mjs';

/**
 * Starts the two-origin servers and a page in `engine` (tests/support/engines.mjs; default Chromium)
 * on tests/browser/fixtures/host.html, which imports the real package as `window.sdk` (`routes`: see
 * startServers). Returns
 * `{ engine, servers, browser, page, frameSrc, addFrame, close }`; in Chromium also `cdp`,
 * `heapAfterGc` and `wasmMemoryBytes` (CDP-only checks).
 */
export async function openHost({ engine = 'chromium', routes } = {}) {
  const servers = await startServers({ routes });
  let browser;
  try {
    browser = await launch(engine);
  } catch (error) {
    await servers.close();
    throw error;
  }
  const page = await browser.newPage();
  await page.goto(`${servers.host}/tests/browser/fixtures/host.html`);
  await page.waitForFunction(() => document.title === 'ready');

  /** URL of the embed stand-in named `name`, served from `origin`; `query` is appended as is. */
  const frameSrc = (name, origin = servers.frame, query = '') =>
    `${origin}/tests/browser/fixtures/frame.html?name=${name}&parent=${encodeURIComponent(servers.host)}${query}`;

  /**
   * Adds `<iframe id=id>` loading `src` (none when null) with extra `attrs`; resolves once it loaded,
   * with its frame (`evaluate`, `url`, ...).
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
    return src && (await page.frames()).find((f) => f.url() === src);
  }

  const close = async () => {
    try {
      await browser.close();
    } finally {
      await servers.close();
    }
  };
  const host = { engine, servers, browser, page, frameSrc, addFrame, close };
  if (engine === 'chromium') Object.assign(host, await cdpChecks(page.playwright));
  return host;
}

// Heap and wasm-memory figures need the DevTools protocol: Chromium only.
async function cdpChecks(page) {
  const cdp = await page.context().newCDPSession(page);

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

  return { cdp, heapAfterGc, wasmMemoryBytes };
}
