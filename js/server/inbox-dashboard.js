// coassemble-events/inbox/dashboard: an operator's view of an inbox, as a node:http handler to mount
// under a prefix (e.g. /admin/webhooks) behind the app's own auth. The page is a small static app
// shipped in the package (dashboard/index.html, app.js, style.css); the handler serves it and a JSON
// API under `api/`. The page uses relative URLs, so it works under any prefix (Express strips the
// mount path, node:http does not: both are handled, see `route`).
//
// Security. The dashboard shows stored bodies, which hold learners' emails:
// - a bearer token (`Authorization: Bearer <token>`; the page asks for it once and keeps it in
//   sessionStorage, never in a cookie) is required unless `token` is null, which is allowed only for
//   requests that arrive over loopback, addressed to a loopback Host (no DNS rebinding) and not
//   forwarded by a proxy (X-Forwarded-For / Forwarded): a dashboard without a token answers 403 to
//   anything else;
// - writes (re-drive, reconcile) are POST only, with a JSON content type (a cross-site form cannot
//   send one; a cross-site fetch with it needs a CORS preflight, which is never granted), an Origin,
//   when sent, equal to the request's own, and Sec-Fetch-Site, when sent, same-origin;
// - answers are no-store, nosniff, frame-ancestors 'none', and the page runs under a strict CSP.
import { readFile } from 'node:fs/promises';
import { bearerMatches } from './inbox-metrics.js';
import { rejectUnknownOptions } from './options.js';

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};
const STATUSES = ['received', 'processing', 'processed', 'failed', 'dead'];
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
  + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Whether `address` (a socket address) is a loopback address. */
export function isLoopback(address) {
  if (typeof address !== 'string') return false;
  const a = address.replace(/^::ffff:/i, '');
  return a === '::1' || /^127\./.test(a);
}

/** Whether a Host header names a loopback host (localhost, 127.x, [::1]), with any port. */
function isLoopbackHost(host) {
  if (typeof host !== 'string') return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * The dashboard of `inbox` as a node:http handler. See inbox-dashboard.d.ts.
 * @param {object} inbox an open inbox (openInbox)
 * @param {{ token: string | null, reconcile?: Function, basePath?: string }} options
 */
export function createInboxDashboard(inbox, options) {
  if (!inbox || typeof inbox.list !== 'function' || typeof inbox.counts !== 'function') {
    throw new TypeError('createInboxDashboard: pass an inbox from openInbox() (coassemble-events/inbox)');
  }
  if (options === null || typeof options !== 'object' || !('token' in options)) {
    throw new TypeError('createInboxDashboard: pass { token } (a bearer token of 16+ characters, e.g. from '
      + 'COASSEMBLE_INBOX_TOKEN), or { token: null } for a dashboard that answers loopback requests only');
  }
  rejectUnknownOptions('createInboxDashboard', options, ['token', 'reconcile', 'basePath']);
  const { token, basePath = '' } = options;
  if (token !== null && (typeof token !== 'string' || token.length < 16)) {
    throw new TypeError('createInboxDashboard: `token` must be a string of at least 16 characters, or null (loopback only)');
  }
  if (typeof basePath !== 'string' || (basePath !== '' && (!basePath.startsWith('/') || basePath.endsWith('/')))) {
    throw new TypeError('createInboxDashboard: `basePath` must be "" or a path like "/admin/webhooks" (no trailing slash)');
  }
  if (options.reconcile !== undefined && typeof options.reconcile !== 'function') {
    throw new TypeError('createInboxDashboard: `reconcile` must be a function');
  }
  // The reconcile function: the one passed, else the inbox's own (added by reconciliation), else none.
  // The inbox's own needs an API client and courses: those of inbox.start's `reconcile` schedule.
  const reconcile = () => options.reconcile ?? (typeof inbox.reconcile === 'function' && inbox.reconcileConfigured?.() ? inbox.reconcile.bind(inbox) : null);
  const files = new Map();
  const asset = async (name) => {
    if (!files.has(name)) files.set(name, await readFile(new URL(`../dashboard/${name}`, import.meta.url)));
    return files.get(name);
  };

  function allowed(req) {
    if (token !== null) return bearerMatches(req.headers.authorization, token) ? null : [401, 'unauthorized', 'a bearer token is required'];
    const local = isLoopback(req.socket?.remoteAddress) && isLoopbackHost(req.headers.host)
      && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
    return local ? null : [403, 'loopback_only', 'this dashboard has no token: it answers loopback requests only'];
  }

  /** Writes are same-origin JSON POSTs (see the header). */
  function crossSite(req) {
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) return 'a JSON content type is required';
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return `Sec-Fetch-Site ${site} refused`;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let host;
      try {
        host = new URL(origin).host;
      } catch {
        return 'Origin refused';
      }
      if (host !== req.headers.host) return 'Origin refused';
    }
    return null;
  }

  async function route(req, res) {
    const url = new URL(req.url, 'http://dashboard.invalid');
    // Under node:http the prefix is still on the path; under Express (app.use(prefix, ...)) it is not.
    let path = url.pathname;
    if (basePath && (path === basePath || path.startsWith(`${basePath}/`))) path = path.slice(basePath.length);
    // The page's relative URLs need the trailing slash (/admin/webhooks → /admin/webhooks/).
    const shown = req.originalUrl ? new URL(req.originalUrl, 'http://dashboard.invalid').pathname : url.pathname;
    if ((path === '' || path === '/') && !shown.endsWith('/')) {
      return res.writeHead(308, { location: `${shown}/${url.search}` }).end();
    }
    const file = path === '/' ? 'index.html' : path.slice(1);
    if (FILES[file] && (req.method === 'GET' || req.method === 'HEAD')) {
      // The page and its assets hold nothing secret: served without the token (the API needs it).
      const body = await asset(file);
      res.writeHead(200, {
        'content-type': FILES[file], 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
        'content-security-policy': CSP, 'referrer-policy': 'no-referrer',
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    if (!path.startsWith('/api/')) return json(res, 404, { code: 'not_found', error: 'not found' });
    const refused = allowed(req);
    if (refused) {
      const headers = refused[0] === 401 ? { 'www-authenticate': 'Bearer realm="coassemble-inbox"' } : {};
      return json(res, refused[0], { code: refused[1], error: refused[2] }, headers);
    }
    const api = path.slice('/api'.length);
    if (req.method === 'GET') return read(api, url.searchParams, res);
    if (req.method !== 'POST') return json(res, 405, { code: 'method_not_allowed', error: 'GET or POST' }, { allow: 'GET, POST' });
    const why = crossSite(req);
    if (why) return json(res, 403, { code: 'cross_site', error: why });
    const body = await jsonBody(req);
    if (body === undefined) return json(res, 400, { code: 'bad_json', error: 'the body must be a JSON object (at most 16 KB)' });
    return write(api, body, res);
  }

  async function read(api, query, res) {
    if (api === '/summary') {
      const [counts, oldestDueMs, lastReconcile] = await Promise.all([
        inbox.counts(),
        inbox.oldestDueMs(),
        typeof inbox.lastReconcile === 'function' ? inbox.lastReconcile().catch(() => null) : null,
      ]);
      return json(res, 200, { counts, oldestDueMs, dialect: inbox.dialect, reconcile: reconcile() !== null, lastReconcile, now: Date.now() });
    }
    if (api === '/activity') {
      const hours = Number(query.get('hours') ?? 24);
      if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 14) return json(res, 400, { code: 'bad_request', error: 'hours: 1 to 336' });
      return json(res, 200, { bucketMs: 3_600_000, buckets: await inbox.activity({ hours }) });
    }
    if (api === '/deliveries') {
      const status = query.get('status') || null;
      const type = query.get('type') || null;
      const limit = Number(query.get('limit') ?? 100);
      if (status !== null && !STATUSES.includes(status)) return json(res, 400, { code: 'bad_request', error: `status: one of ${STATUSES.join(', ')}` });
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return json(res, 400, { code: 'bad_request', error: 'limit: 1 to 1000' });
      return json(res, 200, { deliveries: await inbox.list({ status, type, limit }) });
    }
    if (api.startsWith('/deliveries/')) {
      let id;
      try {
        id = decodeURIComponent(api.slice('/deliveries/'.length));
      } catch {
        id = '';
      }
      if (!id) return json(res, 400, { code: 'bad_request', error: 'a delivery id' });
      const row = await inbox.get(id);
      if (!row) return json(res, 404, { code: 'not_found', error: `no delivery ${id}` });
      return json(res, 200, { delivery: detailOf(row) });
    }
    return json(res, 404, { code: 'not_found', error: 'not found' });
  }

  async function write(api, body, res) {
    if (api === '/redrive') {
      if (body.all !== true && (typeof body.id !== 'string' || body.id === '')) {
        return json(res, 400, { code: 'bad_request', error: 'body: {"id": "<delivery id>"} or {"all": true}' });
      }
      const redriven = await inbox.redrive(body.all === true ? { all: true } : body.id);
      return json(res, 200, { redriven });
    }
    if (api === '/reconcile') {
      const fn = reconcile();
      if (!fn) {
        return json(res, 501, {
          code: 'not_configured',
          error: 'reconciliation is not configured: this inbox has no reconcile function (see the docs: guide/reconcile)',
        });
      }
      const courseId = body.courseId;
      if (courseId !== undefined && !(typeof courseId === 'string' && courseId !== '') && !Number.isSafeInteger(courseId)) {
        return json(res, 400, { code: 'bad_request', error: 'courseId: a course id, or omitted for every course' });
      }
      try {
        const result = await fn(courseId === undefined ? {} : { courseId });
        return json(res, 200, { result: result ?? null });
      } catch (error) {
        return json(res, 502, { code: 'reconcile_failed', error: String(error?.message ?? error).slice(0, 500) });
      }
    }
    return json(res, 404, { code: 'not_found', error: 'not found' });
  }

  return async function dashboard(req, res) {
    try {
      await route(req, res);
    } catch (error) {
      // The store is down, most likely: say so without a stack (the operator sees it on the page).
      if (!res.headersSent) json(res, 503, { code: 'unavailable', error: `the inbox database did not answer: ${error?.message ?? error}` });
      else res.end();
    }
  };
}

/** A delivery's detail: its row, and its body as text (pretty-printed when it is JSON). */
function detailOf(row) {
  const { body, ...rest } = row;
  const text = Buffer.from(body).toString('utf8');
  let pretty = null;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON (a dead delivery stored as received): shown as is.
  }
  return { ...rest, body: pretty ?? text, bodyIsJson: pretty !== null, bodyBytes: body.length };
}

function json(res, status, value, headers = {}) {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** A small JSON object body; undefined when it is not one. */
function jsonBody(req, limit = 16 * 1024) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
        resolve(value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined);
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', () => resolve(undefined));
  });
}
