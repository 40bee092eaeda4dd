// coassemble-events/api: the Coassemble Headless API from a server (Node 20+, Deno, Bun, Workers). One
// `fetch` per call, nothing else imported: mint player and builder URLs, page through trackings and
// courses, manage webhook endpoints. Every failure is a CoassembleApiError with a stable code. The API
// key goes in the Authorization header and nowhere else: error messages name the method and path only
// (no query string, header, signed URL or answer body), as Coassemble's own Moodle plugin does.
// The wire details (paths, answer variants, pagination) are Coassemble's Headless API as its docs and its
// own Moodle plugin use it (docs/guide/demo.md, "With a real Coassemble course").
/** Coassemble's API host; a workspace on another host passes its own `baseUrl`. */
export const DEFAULT_BASE_URL = 'https://api.coassemble.com';

/** Why a call failed: `code` is stable, `status` the HTTP status (0 when no answer came). */
export class CoassembleApiError extends Error {
  /**
   * @param {'unauthorized'|'not_found'|'rate_limited'|'unavailable'|'invalid_answer'|'invalid_request'} code
   * @param {string} message
   * @param {{ status?: number, retryAfterMs?: number, cause?: unknown }} [details]
   */
  constructor(code, message, { status = 0, retryAfterMs, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CoassembleApiError';
    this.code = code;
    this.status = status;
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }
}

const OPTION_NAMES = new Set(['apiKey', 'baseUrl', 'fetch', 'timeoutMs', 'retries', 'retryDelayMs', 'maxRetryWaitMs']);

/**
 * A client of the Headless API. See api.d.ts for every method and option.
 * @param {import('./api.d.ts').CoassembleApiOptions} options
 */
export function createCoassembleApi(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('createCoassembleApi: pass { apiKey }');
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new TypeError(`createCoassembleApi: unknown option "${name}"`);
  }
  const {
    apiKey,
    baseUrl = DEFAULT_BASE_URL,
    fetch: fetchImpl = globalThis.fetch,
    // The plugin's total timeout is 60 s; a call here is one small JSON answer, so 30 s per attempt.
    timeoutMs = 30_000,
    retries = 3,
    retryDelayMs = 500,
    maxRetryWaitMs = 30_000,
  } = options;
  const authorization = authorizationOf(apiKey);
  if (typeof fetchImpl !== 'function') throw new TypeError('createCoassembleApi: no `fetch` in this runtime; pass one');
  for (const [name, value] of Object.entries({ timeoutMs, retryDelayMs, maxRetryWaitMs })) {
    if (!(Number.isFinite(value) && value >= 0)) throw new TypeError(`createCoassembleApi: \`${name}\` must be a number of milliseconds ≥ 0`);
  }
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError('createCoassembleApi: `retries` must be an integer ≥ 0');
  const root = apiRoot(baseUrl);

  /**
   * One request with timeouts and retries. `safe`: repeating it cannot do anything twice (reads,
   * deletes, minting a URL), so a 5xx, a timeout or a lost connection is retried; an unsafe one
   * (creating a webhook endpoint) is retried only on 429, which says the request was not processed.
   */
  async function call(method, path, { query, body, safe = true, signal } = {}) {
    const url = new URL(`${root}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const what = `${method} ${url.pathname}`;
    for (let attempt = 0; ; attempt += 1) {
      let answer;
      let failure;
      try {
        answer = await once(url, method, body, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        failure = new CoassembleApiError('unavailable', `${what}: ${error?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'the request failed'}`, { cause: error });
      }
      if (answer?.ok) return answer;
      if (answer) failure = errorOf(answer, what);
      const retryable = failure.code === 'rate_limited' || (safe && failure.code === 'unavailable');
      if (!retryable || attempt >= retries) throw failure;
      const wait = failure.retryAfterMs ?? Math.min(retryDelayMs * 2 ** attempt, maxRetryWaitMs);
      if (wait > maxRetryWaitMs) throw failure; // a Retry-After longer than the caller will wait
      await sleep(wait, signal);
    }
  }

  async function once(url, method, body, signal) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await fetchImpl(url, {
      method,
      headers: {
        authorization,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    // The body is read under the same timeout: an answer that stalls midway is no answer.
    const text = await response.text();
    return { ok: response.ok, status: response.status, headers: response.headers, text };
  }

  /** Every row of a paginated list (`length`, `page` from 0; an array or `{ data: [...] }`). */
  async function* pages(path, query, { pageSize = 100, signal } = {}) {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new TypeError('`pageSize` must be an integer ≥ 1');
    let previous = null;
    for (let page = 0; ; page += 1) {
      const answer = await call('GET', path, { query: { ...query, length: pageSize, page }, signal });
      const rows = listOf(parseJson(answer, `GET ${path}`), `GET ${path}`);
      // A server that ignores `page` would answer the first page forever.
      const fingerprint = rows.length ? JSON.stringify(rows[0]) + JSON.stringify(rows.at(-1)) : '';
      if (page > 0 && rows.length && fingerprint === previous) {
        throw new CoassembleApiError('invalid_answer', `GET ${path}: page ${page} repeats page ${page - 1}`, { status: answer.status });
      }
      previous = fingerprint;
      yield* rows;
      if (rows.length < pageSize) return;
    }
  }

  return {
    baseUrl: root.replace(/\/api$/, ''),

    async embedUrl(request, { signal } = {}) {
      const body = embedRequest(request);
      const answer = await call('POST', '/api/v1/headless/embed/course', { body, signal });
      return embedUrlOf(answer);
    },

    async *trackings({ courseId, clientIdentifier, pageSize, signal } = {}) {
      if (courseId === undefined || courseId === null || courseId === '') throw new TypeError('api.trackings: `courseId` is required');
      for await (const row of pages('/api/v1/headless/trackings', { id: courseId, clientIdentifier }, { pageSize, signal })) {
        yield trackingOf(row, courseId);
      }
    },

    async *courses({ pageSize, signal } = {}) {
      yield* pages('/api/v1/headless/courses', {}, { pageSize, signal });
    },

    webhooks: {
      async list({ signal } = {}) {
        const answer = await call('GET', '/api/v1/headless/webhooks', { signal });
        const value = parseJson(answer, 'GET /api/v1/headless/webhooks');
        // `{ events, endpoints }`, or a bare list of endpoints.
        if (Array.isArray(value)) return { events: [], endpoints: value };
        if (value && typeof value === 'object') {
          const endpoints = value.endpoints ?? value.data;
          if (Array.isArray(endpoints)) return { events: Array.isArray(value.events) ? value.events : [], endpoints };
        }
        throw new CoassembleApiError('invalid_answer', 'GET /api/v1/headless/webhooks: not a list of endpoints', { status: answer.status });
      },
      async create({ url, events, enabled = true } = {}, { signal } = {}) {
        if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new TypeError('api.webhooks.create: `url` must be an http(s) URL');
        if (!Array.isArray(events) || events.length === 0 || !events.every((e) => typeof e === 'string')) {
          throw new TypeError('api.webhooks.create: `events` must be a non-empty array of event types, e.g. ["course.completed"]');
        }
        const answer = await call('POST', '/api/v1/headless/webhooks', { body: { url, events, enabled }, safe: false, signal });
        const value = parseJson(answer, 'POST /api/v1/headless/webhooks');
        const endpoint = value?.endpoint ?? value?.data ?? value;
        if (!endpoint || typeof endpoint !== 'object' || Array.isArray(endpoint)) {
          throw new CoassembleApiError('invalid_answer', 'POST /api/v1/headless/webhooks: no endpoint in the answer', { status: answer.status });
        }
        return endpoint;
      },
      async delete(id, { signal } = {}) {
        if ((typeof id !== 'string' && typeof id !== 'number') || id === '') throw new TypeError('api.webhooks.delete: pass the endpoint id');
        await call('DELETE', `/api/v1/headless/webhooks/${encodeURIComponent(id)}`, { signal });
      },
    },
  };
}

/** `COASSEMBLE:<workspace>:<secret>` as is; `<workspace>:<secret>` is the same key without its prefix. */
function authorizationOf(apiKey) {
  if (typeof apiKey !== 'string' || apiKey.trim() === '') {
    throw new TypeError('createCoassembleApi: `apiKey` must be your workspace API key (COASSEMBLE:<workspaceId>:<secret>)');
  }
  const key = apiKey.trim();
  if (/^(COASSEMBLE|Bearer)[: ]/i.test(key)) return key;
  if (/^\d+:[^:\s]+$/.test(key)) return `COASSEMBLE:${key}`;
  return key;
}

/** The API root without a trailing slash; a base that already ends in `/api` is taken as the root. */
function apiRoot(baseUrl) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError('createCoassembleApi: `baseUrl` must be an absolute URL, e.g. https://api.coassemble.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('createCoassembleApi: `baseUrl` must be http(s)');
  return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/api$/, '')}`;
}

const EMBED_FIELDS = new Set(['action', 'courseId', 'identifier', 'clientIdentifier', 'name', 'themeId', 'options']);

function embedRequest(request) {
  if (request === null || typeof request !== 'object') throw new TypeError('api.embedUrl: pass { action, courseId, identifier }');
  for (const name of Object.keys(request)) {
    if (!EMBED_FIELDS.has(name)) throw new TypeError(`api.embedUrl: unknown field "${name}"`);
  }
  const { action, courseId, identifier, clientIdentifier, name, themeId, options } = request;
  if (action !== 'view' && action !== 'edit') throw new TypeError("api.embedUrl: `action` must be 'view' (player) or 'edit' (builder)");
  if (typeof identifier !== 'string' || identifier === '') throw new TypeError('api.embedUrl: `identifier` (your learner or author id) is required');
  if (action === 'view' && (courseId === undefined || courseId === null)) throw new TypeError("api.embedUrl: `courseId` is required for 'view'");
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError('api.embedUrl: `options` must be an object');
  }
  const body = { action, identifier };
  if (courseId !== undefined && courseId !== null) body.courseId = courseId;
  for (const [key, value] of Object.entries({ clientIdentifier, name, themeId })) if (value !== undefined) body[key] = value;
  // The API rejects an `options` that is not an object; an empty one is left out.
  if (options && Object.keys(options).length > 0) body.options = options;
  return body;
}

/** The signed URL: plain text, a JSON string, or `{ url }`. */
function embedUrlOf(answer) {
  let url = answer.text.trim();
  if (url.startsWith('"') || url.startsWith('{')) {
    let value;
    try {
      value = JSON.parse(url);
    } catch {
      value = null;
    }
    url = typeof value === 'string' ? value : value?.url;
  }
  if (typeof url === 'string' && /^https?:\/\/\S+$/.test(url)) return url;
  throw new CoassembleApiError('invalid_answer', 'POST /api/v1/headless/embed/course: the answer is not a URL', { status: answer.status });
}

/** A tracking in one shape whatever variant came (PROTOCOL.md §3); `raw` is the row as received. */
function trackingOf(row, courseId) {
  if (!row || typeof row !== 'object') return { courseId, identifier: null, commenced: null, completed: null, progress: null, score: null, passed: null, raw: row };
  const time = (value) => (typeof value === 'string' && value !== '' ? value : null);
  const number = (value) => {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    return typeof n === 'number' && Number.isFinite(n) ? n : null;
  };
  const completed = time(row.completed);
  const progress = number(row.progress_percent ?? row.progressPercent ?? row.progress);
  return {
    courseId: row.courseId ?? row.course_id ?? row.course?.id ?? courseId,
    identifier: typeof row.identifier === 'string' ? row.identifier : row.identifier == null ? null : String(row.identifier),
    commenced: time(row.commenced),
    completed,
    // Completion means 100 % (Coassemble's own plugin treats it so), whatever the row says.
    progress: completed ? 100 : progress,
    score: number(row.score),
    passed: typeof row.passed === 'boolean' ? row.passed : null,
    raw: row,
  };
}

function listOf(value, what) {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object' && Array.isArray(value.data)) return value.data;
  throw new CoassembleApiError('invalid_answer', `${what}: not a list`);
}

function parseJson(answer, what) {
  try {
    return JSON.parse(answer.text);
  } catch (error) {
    throw new CoassembleApiError('invalid_answer', `${what}: the answer is not JSON`, { status: answer.status, cause: error });
  }
}

/** The error for a non-2xx answer; the body is not quoted (it may echo the request). */
function errorOf(answer, what) {
  const { status } = answer;
  const says = `${what} answered ${status}`;
  if (status === 401 || status === 403) return new CoassembleApiError('unauthorized', `${says}: check the API key`, { status });
  if (status === 404) return new CoassembleApiError('not_found', says, { status });
  if (status === 429) return new CoassembleApiError('rate_limited', says, { status, retryAfterMs: retryAfterOf(answer.headers) });
  if (status >= 500 || status === 408) return new CoassembleApiError('unavailable', says, { status, retryAfterMs: retryAfterOf(answer.headers) });
  return new CoassembleApiError('invalid_request', says, { status });
}

/** `Retry-After` as milliseconds: seconds, or an HTTP date. */
function retryAfterOf(headers) {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
