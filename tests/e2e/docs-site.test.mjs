// The documentation site as a reader gets it: `npm run docs` builds it (TypeDoc, VitePress, rustdoc),
// a static server serves the build under its GitHub Pages base, and headless Chromium loads every
// guide page without a console error; the local search finds an API name and its result opens that
// API page; and no internal link of any page (guides, API reference) points to a missing page or anchor.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, relative } from 'node:path';
import { launchBrowser } from '../support/browser.mjs';
import { ROOT } from '../support/snippets.mjs';

const DIST = join(ROOT, 'docs', '.vitepress', 'dist');
const BASE = '/coassemble-events/';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2' };

/** The file a site path is served from, as GitHub Pages does (clean URLs: `x` → `x.html`). */
function fileFor(pathname) {
  const path = decodeURIComponent(pathname).slice(BASE.length - 1);
  for (const candidate of [path, `${path}.html`, join(path, 'index.html')]) {
    const file = join(DIST, candidate);
    if (file.startsWith(DIST) && existsSync(file) && !file.endsWith('/')) {
      try { readFileSync(file); return file; } catch { /* a directory */ }
    }
  }
  return null;
}

let server;
let origin;
before(async () => {
  execFileSync('bash', [join(ROOT, 'scripts', 'docs.sh')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const file = pathname.startsWith(BASE) ? fileFor(pathname) : null;
    if (!file) return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
});
after(() => new Promise((resolve) => server?.close(resolve)));

const pages = () => {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) { if (!['assets', 'rust'].includes(e.name)) walk(path); } else if (e.name.endsWith('.html') && e.name !== '404.html') out.push(relative(DIST, path));
    }
  };
  walk(DIST);
  return out;
};

test('no internal link of any page points to a missing page or anchor', () => {
  const all = pages();
  assert.ok(all.length > 50, `only ${all.length} pages built`);
  const ids = new Map();
  const idsOf = (file) => {
    if (!ids.has(file)) ids.set(file, new Set([...readFileSync(file, 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])));
    return ids.get(file);
  };
  const broken = [];
  for (const page of all) {
    const html = readFileSync(join(DIST, page), 'utf8');
    const here = new URL(`${BASE}${page.replace(/(index)?\.html$/, '')}`, origin);
    for (const [, href] of html.matchAll(/<a [^>]*href="([^"]+)"/g)) {
      const url = new URL(href.replaceAll('&amp;', '&'), here);
      if (url.origin !== origin) continue;
      const file = fileFor(url.pathname);
      if (!file) { broken.push(`${page}: ${href} (no page)`); continue; }
      const anchor = decodeURIComponent(url.hash.slice(1));
      if (anchor && file.endsWith('.html') && !file.includes(`${DIST}/rust/`) && !idsOf(file).has(anchor)) broken.push(`${page}: ${href} (no #${anchor})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('every guide page loads in Chromium without a console error', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${page.url()}: ${r.status()} ${r.url()}`); });
    const guides = pages().filter((p) => !p.startsWith('api/'));
    for (const p of [...guides, 'api/index.html']) {
      await page.goto(`${origin}${BASE}${p}`, { waitUntil: 'load' });
      await page.locator('.VPContent h1').first().waitFor();
    }
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('the local search finds embedCourse and its result opens the API page', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${origin}${BASE}`, { waitUntil: 'load' });
    await page.locator('.DocSearch-Button, .VPNavBarSearchButton').first().click();
    await page.locator('#localsearch-input').fill('embedCourse');
    const result = page.locator('.VPLocalSearchBox .result', { hasText: 'embedCourse' }).first();
    await result.waitFor();
    await result.click();
    await page.waitForURL(/\/api\/coassemble-events\/functions\/embedCourse/);
    await page.locator('h1', { hasText: 'embedCourse' }).first().waitFor();
  } finally {
    await browser.close();
  }
});
