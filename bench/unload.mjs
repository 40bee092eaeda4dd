// `node bench/unload.mjs [--runs 20]`: does a draft sent as the page goes away arrive, with
// `navigator.sendBeacon` and with `fetch(..., { keepalive: true })`? Headless Chromium, a real server
// on loopback; each run opens a page, sends one draft on `pagehide` and then either closes the tab or
// navigates it away, and the server counts what arrived. Also: can the page read the answer when it
// only went hidden (it lives on)? Prints figures, asserts nothing.
import { createServer } from 'node:http';
import { launchBrowser } from '../tests/support/browser.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 20;
const arrived = new Map(); // id -> transport

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/draft') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const { id, via } = JSON.parse(body);
      arrived.set(id, via);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"stored":true}');
    });
    return;
  }
  if (url.pathname === '/elsewhere') return res.writeHead(200, { 'content-type': 'text/html' }).end('<p>elsewhere</p>');
  const via = url.searchParams.get('via');
  res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><script>
    const id = ${JSON.stringify(url.searchParams.get('id'))};
    const body = JSON.stringify({ id, via: ${JSON.stringify(via)}, draft: 'x'.repeat(2000) });
    addEventListener('pagehide', () => {
      if (${JSON.stringify(via)} === 'beacon') navigator.sendBeacon('/draft', body);
      else fetch('/draft', { method: 'POST', body, keepalive: true });
    });
    window.hidden = () => fetch('/draft', { method: 'POST', body, keepalive: true }).then((r) => r.json());
  </script>`);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launchBrowser();

const settle = async (id) => {
  const end = Date.now() + 2000;
  while (!arrived.has(id) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return arrived.has(id);
};

console.log(`${runs} runs per cell, Chromium headless, loopback server, a 2 KB draft sent on pagehide`);
for (const how of ['close', 'navigate']) {
  for (const via of ['beacon', 'keepalive']) {
    let ok = 0;
    for (let i = 0; i < runs; i++) {
      const id = `${how}-${via}-${i}`;
      const page = await browser.newPage();
      await page.goto(`${base}/?via=${via}&id=${id}`);
      if (how === 'close') await page.close({ runBeforeUnload: true });
      else { await page.goto(`${base}/elsewhere`); await page.close(); }
      if (await settle(id)) ok++;
    }
    console.log(`${how.padEnd(8)} ${via.padEnd(9)} arrived ${ok}/${runs}`);
  }
}
const page = await browser.newPage();
await page.goto(`${base}/?via=keepalive&id=alive`);
console.log(`page lives on: keepalive fetch answer readable: ${JSON.stringify(await page.evaluate(() => window.hidden()))}`);
console.log('page lives on: sendBeacon answer readable: no (it returns only whether the browser queued it)');
await browser.close();
server.close();
