// Demo dev server, plain Node: the host app on one origin, the player/builder emulators on a second one
// (another port is another origin, so the SDK's origin and source checks work as in production).
//
//   node www/server.mjs            host http://localhost:8080/, emulators http://localhost:8081/
//   PORT=0 node www/server.mjs     random free ports (tests read the printed URLs)
//   PORT=3000 EMU_PORT=4000 ...    choose both
//   WEBHOOK_SECRETS=s1,s2          secrets accepted by the webhook receiver at POST /webhooks
//                                  (default whsec_demo; POST /api/webhooks/test signs a sample with the first)
//   DEMO_DATA_DIR=dir              where the webhook inbox (webhooks.sqlite) is kept (default www/.data)
//   COASSEMBLE_INBOX_TOKEN=t       the inbox dashboard's token (/admin/webhooks/); unset: loopback only
import { createServer } from 'node:http';
import { readFile, stat, access } from 'node:fs/promises';
import { createHmac, randomUUID } from 'node:crypto';
import { extname, join, normalize, sep, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmulators } from '../dist/testing.js';
import { createCoassembleApi, CoassembleApiError } from '../dist/api.js';

const WWW = dirname(fileURLToPath(import.meta.url));
const ROOT = join(WWW, '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.d.ts': 'text/plain; charset=utf-8',
};

/** Starts both servers; resolves with their URLs and a close function. */
export async function startDemo({ port = 8080, emuPort, host = 'localhost', log = console.log } = {}) {
  const drafts = draftStore();
  const webhooks = await loadWebhookReceiver(log);
  const api = process.env.COASSEMBLE_API_KEY
    ? createCoassembleApi({ apiKey: process.env.COASSEMBLE_API_KEY, ...(process.env.COASSEMBLE_API_URL ? { baseUrl: process.env.COASSEMBLE_API_URL } : {}) })
    : null;
  let hostUrl = '';
  let emuUrl = '';

  const app = createServer((req, res) => route(req, res).catch((err) => {
    log(`[demo] ${req.method} ${req.url}: ${err.stack ?? err}`);
    if (!res.headersSent) send(res, 500, { error: 'internal error' });
    else res.end();
  }));

  async function route(req, res) {
    const url = new URL(req.url, hostUrl);
    const path = url.pathname;
    if (path === '/api/config') return send(res, 200, { emulatorOrigin: new URL(emuUrl).origin, webhooks: Boolean(webhooks), mint: Boolean(api) });
    // A real course: mint its signed URL here, on the server, with the workspace key from the
    // environment (COASSEMBLE_API_KEY, and COASSEMBLE_API_URL for another host); the key never
    // reaches the page, which gets only the URL.
    if (path === '/api/embed-url' && req.method === 'POST') {
      if (!api) return send(res, 404, { code: 'not_configured', error: 'start the demo with COASSEMBLE_API_KEY to mint URLs' });
      const { courseId, identifier = 'demo-learner', action = 'view' } = await jsonBody(req);
      try {
        return send(res, 200, { url: await api.embedUrl({ action, courseId, identifier, options: { back: 'event' } }) });
      } catch (error) {
        if (error instanceof CoassembleApiError || error instanceof TypeError) return send(res, 502, { code: error.code ?? 'invalid_request', error: error.message });
        throw error;
      }
    }
    if (path === '/api/drafts' && req.method === 'POST') return drafts.save(req, res, url);
    if (path === '/api/drafts' && req.method === 'GET') return send(res, 200, drafts.list());
    if (path === '/api/drafts/fail' && req.method === 'POST') return drafts.failNext(req, res);
    if (path === '/admin/webhooks' || path.startsWith('/admin/webhooks/') || path === '/metrics') {
      if (!webhooks) return send(res, 501, { error: 'webhook receiver not installed' });
      return path === '/metrics' ? webhooks.metrics(req, res) : webhooks.dashboard(req, res);
    }
    if (path === '/webhooks' || path.startsWith('/api/webhooks')) {
      if (!webhooks) return send(res, 501, { error: 'webhook receiver not installed' });
      if (path === '/webhooks' && req.method === 'POST') return webhooks.handle(req, res);
      if (path === '/api/webhooks' && req.method === 'GET') return send(res, 200, { installed: true, ...(await webhooks.deliveries()) });
      if (path === '/api/webhooks/test' && req.method === 'POST') return send(res, 200, await sendTestDelivery(hostUrl));
      if (path === '/api/webhooks/fail' && req.method === 'POST') {
        const { count } = await jsonBody(req);
        if (!Number.isInteger(count) || count < 0) return send(res, 400, { error: 'body must be {"count": N}, N ≥ 0' });
        return send(res, 200, webhooks.failNext(count));
      }
      if (path === '/api/webhooks/redrive' && req.method === 'POST') {
        const { id, all } = await jsonBody(req);
        if (all !== true && (typeof id !== 'string' || id === '')) return send(res, 400, { error: 'body must be {"id": "..."} or {"all": true}' });
        return send(res, 200, await webhooks.redrive(all === true ? { all: true } : id));
      }
      return send(res, 405, { error: 'method not allowed' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'method not allowed' });
    if (path === '/') return file(res, join(WWW, 'index.html'));
    if (path.startsWith('/dist/')) return file(res, inside(ROOT, path)); // the built package
    if (['/app.js', '/style.css', '/favicon.svg'].includes(path)) return file(res, join(WWW, path));
    return send(res, 404, { error: 'not found' });
  }

  const appPort = await listen(app, port, host);
  // The emulators come from the test kit, on their own origin: nothing of the host app leaks across.
  const emulators = await startEmulators({ port: emuPort ?? (port === 0 ? 0 : port + 1), host });
  hostUrl = `http://${host}:${appPort}/`;
  emuUrl = `${emulators.origin}/`;
  return {
    url: hostUrl,
    emulatorUrl: emuUrl,
    webhooks: Boolean(webhooks),
    close: async () => {
      await Promise.all([new Promise((r) => { app.closeAllConnections?.(); app.close(r); }), emulators.close()]);
      await webhooks?.close?.();
    },
  };
}

/** In-memory draft storage with a switch that makes the next N saves fail, to show retries. */
function draftStore() {
  const latest = new Map(); // courseId -> newest draft: a late or duplicate copy (beacon + fetch) is ignored
  const log = [];           // every attempt, newest last: { at, status, via, draft }
  let failing = 0;
  return {
    async save(req, res, url) {
      const via = url.searchParams.get('via') ?? 'fetch';
      let draft;
      try {
        draft = JSON.parse(await body(req)); // beacons arrive as text/plain: parse whatever the type
      } catch {
        log.push({ at: new Date().toISOString(), status: 400, via, draft: null });
        return send(res, 400, { error: 'body must be a JSON draft' });
      }
      if (!draft || typeof draft !== 'object' || typeof draft.revision !== 'number') {
        return send(res, 400, { error: 'draft needs courseId, title, updatedAt, revision' });
      }
      if (failing > 0) {
        failing -= 1;
        log.push({ at: new Date().toISOString(), status: 500, via, draft });
        return send(res, 500, { error: 'simulated failure', failingLeft: failing });
      }
      const key = String(draft.courseId);
      const current = latest.get(key);
      const stale = current !== undefined && newer(current, draft);
      if (!stale) latest.set(key, { ...draft, savedAt: new Date().toISOString(), via });
      log.push({ at: new Date().toISOString(), status: 200, via, draft, stale });
      send(res, 200, { ok: true, stale });
    },
    list: () => ({ drafts: [...latest.values()], saves: log.slice(-100), failNext: failing }),
    async failNext(req, res) {
      let count = 3;
      try {
        const raw = await body(req);
        if (raw) count = JSON.parse(raw).count;
      } catch { /* keep the default */ }
      if (!Number.isInteger(count) || count < 0 || count > 1000) return send(res, 400, { error: 'count: integer 0..1000' });
      failing = count;
      send(res, 200, { failNext: failing });
    },
  };
}

// Revisions restart at 1 on every page load, so order by the time of the change first.
function newer(a, b) {
  return String(a.updatedAt) > String(b.updatedAt)
    || (String(a.updatedAt) === String(b.updatedAt) && a.revision > b.revision);
}

const WEBHOOK_SECRETS = (process.env.WEBHOOK_SECRETS ?? 'whsec_demo').split(',').map((s) => s.trim()).filter(Boolean);

// Integration point with the webhook receiver (www/webhook-receiver.mjs, its own module and tests). It
// needs the built package (pkg/webhooks); without it the rest of the demo still runs.
async function loadWebhookReceiver(log) {
  try {
    const { createWebhookReceiver } = await import(pathToFileURL(join(WWW, 'webhook-receiver.mjs')).href);
    const dataDir = process.env.DEMO_DATA_DIR || join(WWW, '.data');
    return await createWebhookReceiver({ dataDir, secrets: WEBHOOK_SECRETS, log });
  } catch (err) {
    log(`[demo] webhook receiver unavailable (${err.code ?? err.message}): POST /webhooks answers 501`);
    return null;
  }
}

/** Signs a sample `course.completed` delivery as Coassemble would (see docs/guide/webhooks.md) and posts it. */
async function sendTestDelivery(hostUrl) {
  const now = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `evt_${randomUUID().slice(0, 8)}`, type: 'course.completed', occurredAt: new Date().toISOString(), workspaceId: 1,
    data: {
      course: { id: 4101, title: 'Workplace Safety Essentials', key: 'workplace-safety', clientIdentifier: 'acme' },
      tracking: {
        // A new learner each time: course.completed fires once per learner per course, and the inbox
        // keeps one delivery per (event, course, learner) identity (a second one is a duplicate).
        id: 77, identifier: `learner-${randomUUID().slice(0, 8)}`, email: null, totalTime: 912,
        commenced: new Date(Date.now() - 912_000).toISOString(), completed: new Date().toISOString(),
      },
    },
  });
  const signature = createHmac('sha256', WEBHOOK_SECRETS[0]).update(`${now}.${body}`).digest('hex');
  const res = await fetch(new URL('/webhooks', hostUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-coassemble-event': 'course.completed',
      'x-coassemble-delivery': randomUUID(),
      'x-coassemble-timestamp': String(now),
      'x-coassemble-signature': `sha256=${signature}`,
    },
    body,
  });
  return { status: res.status, body: await res.json() };
}

function inside(base, urlPath) {
  let decoded;
  try { decoded = decodeURIComponent(urlPath); } catch { return null; }
  const full = normalize(join(base, decoded));
  return full.startsWith(base + sep) ? full : null; // no ../ escapes
}

async function file(res, path) {
  if (!path) return send(res, 404, { error: 'not found' });
  let info;
  try { info = await stat(path); } catch { info = null; }
  if (!info || !info.isFile()) return send(res, 404, { error: 'not found' });
  const type = MIME[path.endsWith('.d.ts') ? '.d.ts' : extname(path)] ?? 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': info.size, 'cache-control': 'no-store' });
  res.end(await readFile(path));
}

function send(res, status, json) {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function body(req, limit = 1 << 20) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new Error('body too large')); req.destroy(); } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A small JSON request body; {} when it is empty or not JSON (the routes then answer 400). */
async function jsonBody(req) {
  try {
    const value = JSON.parse((await body(req, 4096)) || '{}');
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 8080);
  const emuPort = process.env.EMU_PORT === undefined ? undefined : Number(process.env.EMU_PORT);
  const demo = await startDemo({ port, emuPort });
  try { await access(join(ROOT, 'dist', 'index.js')); } catch {
    console.log('[demo] dist/ is missing: run `npm run build` (or `npm start`, which builds) first');
  }
  console.log(`[demo] emulators (second origin): ${demo.emulatorUrl}`);
  console.log(`coassemble-events demo: ${demo.url}`);
  const bye = () => demo.close().then(() => process.exit(0));
  process.on('SIGINT', bye);
  process.on('SIGTERM', bye);
}
