// startPlatform: a local Coassemble for tests and the demo. One loopback server answers the Headless
// API (as api.js calls it) and serves the emulator pages behind the signed URLs it mints; learners
// (`learn()`, or the player page a minted URL opens) make trackings and signed webhooks, delivered on
// Coassemble's schedule (4 attempts, waits of about 1, 5 and 30 minutes, 10 s timeout each, one delivery
// id) and lost for good after the 4th, as on the real platform. `timeScale` compresses the schedule.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { listen, sendEmulatorFile } from './testing-server.js';
import { signWebhook } from './testing-webhooks.js';

/** Coassemble's waits between attempts: 4 attempts, about 36 minutes in all. */
const DEFAULT_SCHEDULE = Object.freeze([60_000, 300_000, 1_800_000]);
const EVENTS = ['course.created', 'course.commenced', 'course.completed'];
// A scaled timeout still gives a receiver this much real time: a loaded machine must not fail a
// receiver that answers in 50 ms because 10 s / 600 is 17 ms.
const MIN_REAL_TIMEOUT_MS = 1000;
// The signed URL's lifetime, as Coassemble's (about 3 hours). Not scaled: `timeScale` is about the
// delivery schedule, and a page under test must not see its session expire after 18 s.
const EMBED_TTL_SECONDS = 3 * 3600;
const OPTION_NAMES = new Set(['apiKey', 'workspaceId', 'courses', 'timeScale', 'port', 'host', 'webhookTimeoutMs', 'schedule', 'onAttempt']);
const DEFAULT_COURSES = [
  // The courses of the builder emulator page (testing/emulators/builder.html).
  { id: 4101, title: 'Workplace Safety Essentials', key: 'workplace-safety', clientIdentifier: null },
  { id: 4102, title: 'Customer Conversations 101', key: 'customer-conversations', clientIdentifier: null },
];

/**
 * Starts the platform emulator. See testing.d.ts for every option and member.
 * @param {import('./testing.d.ts').PlatformOptions} [options]
 */
export async function startPlatform(options = {}) {
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) throw new TypeError(`startPlatform: unknown option "${name}"`);
  }
  const {
    workspaceId = 4321,
    apiKey = `COASSEMBLE:${workspaceId}:${randomBytes(32).toString('hex')}`,
    courses: courseList = DEFAULT_COURSES,
    timeScale = 1,
    port = 0,
    host = '127.0.0.1',
    webhookTimeoutMs = 10_000,
    schedule = DEFAULT_SCHEDULE,
    onAttempt = () => {},
  } = options;
  if (!(Number.isFinite(timeScale) && timeScale > 0)) throw new TypeError('startPlatform: `timeScale` must be a number > 0 (600: a minute takes 100 ms)');
  if (!(Number.isFinite(webhookTimeoutMs) && webhookTimeoutMs > 0)) throw new TypeError('startPlatform: `webhookTimeoutMs` must be a number of milliseconds > 0');
  if (!Array.isArray(schedule) || !schedule.every((ms) => Number.isFinite(ms) && ms >= 0)) {
    throw new TypeError('startPlatform: `schedule` is the waits between attempts in ms, e.g. [60000, 300000, 1800000]');
  }
  if (typeof apiKey !== 'string' || apiKey === '') throw new TypeError('startPlatform: `apiKey` must be a non-empty string');
  const courses = courseList.map((course) => {
    if (course?.id === undefined || course.id === null) throw new TypeError('startPlatform: every course needs an `id`');
    return { id: course.id, title: `Course ${course.id}`, key: `course-${course.id}`, clientIdentifier: null, ...course };
  });
  const timeoutMs = Math.round(Math.max(webhookTimeoutMs / timeScale, Math.min(webhookTimeoutMs, MIN_REAL_TIMEOUT_MS)));
  const tokenSecret = randomBytes(32);

  const endpoints = new Map(); // id → { id, url, events, enabled, secret, createdAt }
  let nextEndpointId = 1;
  const trackings = new Map(); // `${courseId}\n${identifier}` → tracking row
  let nextTrackingId = 5001;
  const deliveries = []; // oldest first, each with its attempts; see Delivery in testing.d.ts
  const log = []; // every attempt, oldest first; see AttemptRecord in testing.d.ts
  const timers = new Set();
  const inFlight = new Set(); // AbortControllers of attempts under way
  let pending = 0; // attempts scheduled or under way
  let waiters = [];
  let faults = []; // statuses the next API requests answer, with their Retry-After
  let closed = false;

  const courseOf = (id) => courses.find((c) => String(c.id) === String(id));

  // --- learners: trackings and the webhooks they cause -----------------------------------------------

  /**
   * Activity of one learner in one course: the first makes the tracking `commenced` (course.commenced),
   * progress only rises, `complete` sets `completed` once (course.completed).
   */
  function record({ courseId, identifier, clientIdentifier = null, email = null, progress = [], complete = false }) {
    if (closed) throw new Error('platform.learn: the platform is closed');
    const course = courseOf(courseId);
    if (!course) throw new TypeError(`platform.learn: no course ${courseId} (courses: ${courses.map((c) => c.id).join(', ')})`);
    if (typeof identifier !== 'string' || identifier === '') throw new TypeError('platform.learn: `identifier` (the learner id) is required');
    const values = (Array.isArray(progress) ? progress : [progress]).map(Number);
    if (!values.every((v) => Number.isFinite(v) && v >= 0 && v <= 100)) throw new TypeError('platform.learn: `progress` values are percents 0..100');
    const key = `${course.id}\n${identifier}`;
    const now = new Date().toISOString();
    let tracking = trackings.get(key);
    if (!tracking) {
      tracking = {
        id: nextTrackingId++, courseId: course.id, identifier, clientIdentifier, email,
        commenced: now, completed: null, progressPercent: 0, score: null, passed: null, totalTime: 0,
      };
      trackings.set(key, tracking);
      emit('course.commenced', course, tracking);
    }
    for (const value of values) tracking.progressPercent = Math.max(tracking.progressPercent, Math.round(value));
    if (complete && !tracking.completed) {
      tracking.completed = now;
      tracking.progressPercent = 100;
      tracking.totalTime = Math.round((Date.parse(now) - Date.parse(tracking.commenced)) / 1000);
      emit('course.completed', course, tracking);
    }
    return { ...tracking };
  }

  /** A course an author created in a minted builder page: `course.created` (a known id: nothing). */
  function create({ id, title, clientIdentifier }) {
    if (courseOf(id)) return;
    const course = { id: Number(id), title: typeof title === 'string' ? title : `Course ${id}`, key: `course-${id}`, clientIdentifier };
    courses.push(course);
    emit('course.created', course);
  }

  /** One delivery per subscribed, enabled endpoint; attempt 1 right after the event. `tracking`: none for course.created. */
  function emit(type, course, tracking) {
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type,
      occurredAt: new Date().toISOString(),
      workspaceId,
      data: tracking ? {
        // The learner's clientIdentifier (the URL was minted with it) routes the event to a tenant;
        // the course's own is the fallback.
        course: { id: course.id, title: course.title, key: course.key, clientIdentifier: tracking.clientIdentifier ?? course.clientIdentifier },
        tracking: {
          id: tracking.id, identifier: tracking.identifier, email: tracking.email,
          commenced: tracking.commenced, completed: tracking.completed, totalTime: tracking.totalTime,
        },
      } : { course: { id: course.id, title: course.title, key: course.key, clientIdentifier: course.clientIdentifier } },
    });
    for (const endpoint of endpoints.values()) {
      if (!endpoint.enabled || !endpoint.events.includes(type)) continue;
      const delivery = { id: randomUUID(), event: type, endpointId: endpoint.id, url: endpoint.url, body, state: 'scheduled', attempts: [] };
      deliveries.push(delivery);
      later(0, () => attempt(delivery));
    }
  }

  function later(ms, fn) {
    pending += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn().finally(() => {
        pending -= 1;
        wake();
      });
    }, ms);
    timers.add(timer);
  }

  /** Resolves once no attempt is scheduled or under way (at once when none is). */
  function settled() {
    return new Promise((resolve) => (pending === 0 ? resolve() : waiters.push(resolve)));
  }

  function wake() {
    if (pending > 0) return;
    for (const resolve of waiters) resolve();
    waiters = [];
  }

  async function attempt(delivery) {
    const endpoint = endpoints.get(delivery.endpointId);
    if (!endpoint || closed) {
      delivery.state = 'cancelled'; // its endpoint was deleted meanwhile, or the platform closed
      return;
    }
    // Signed now, not at the event: the 4th attempt comes ~36 minutes later, and a receiver refuses a
    // timestamp older than its window (300 s). Body and delivery id are the same on every attempt.
    const { headers } = signWebhook({ secret: endpoint.secret, body: delivery.body, deliveryId: delivery.id, event: delivery.event });
    const n = delivery.attempts.length + 1;
    const started = Date.now();
    const outcome = await post(endpoint.url, headers, delivery.body);
    const entry = { attempt: n, at: new Date(started).toISOString(), durationMs: Date.now() - started, ...outcome };
    delivery.attempts.push(entry);
    if (outcome.status >= 200 && outcome.status < 300) delivery.state = 'delivered';
    else if (closed) delivery.state = 'cancelled';
    else if (n > schedule.length) delivery.state = 'lost';
    else later(schedule[n - 1] / timeScale, () => attempt(delivery));
    const row = { deliveryId: delivery.id, event: delivery.event, endpointId: delivery.endpointId, url: delivery.url, ...entry, state: delivery.state };
    log.push(row);
    onAttempt({ ...row });
  }

  /** POSTs one attempt: `{ status, error: null }`, or `{ status: null, error }` when no answer came in time. */
  function post(url, headers, body) {
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    return new Promise((resolve) => {
      const target = new URL(url);
      // A fresh connection per attempt (no pool): nothing stays open between attempts or after close().
      const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
        method: 'POST', agent: false, signal: controller.signal,
        headers: { ...headers, 'content-length': Buffer.byteLength(body), 'user-agent': 'Coassemble-Webhooks (coassemble-events emulator)' },
      }, (res) => {
        // The answer counts once it has all come (a receiver that stalls midway times out).
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, error: null }));
        res.on('error', (error) => resolve({ status: null, error: errorText(error, controller) }));
      });
      req.on('error', (error) => resolve({ status: null, error: errorText(error, controller) }));
      req.end(body);
    }).finally(() => {
      clearTimeout(timer);
      inFlight.delete(controller);
    });
  }

  const errorText = (error, controller) => (controller.signal.aborted ? String(controller.signal.reason?.message ?? 'aborted') : error.code ?? error.message);

  // --- signed embed URLs ----------------------------------------------------------------------------

  const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const mac = (text) => createHmac('sha256', tokenSecret).update(text).digest();

  /**
   * A signed player (`view`) or builder (`edit`) URL for a mint request, as the API checks it: else a
   * TypeError whose `status` is the API's answer (400, or 404 for an unknown course).
   */
  function signedUrl({ action, courseId, identifier, clientIdentifier = null, options: embedOptions }) {
    const refuse = (status, message) => Object.assign(new TypeError(message), { status });
    if (action !== 'view' && action !== 'edit') throw refuse(400, "`action` must be 'view' or 'edit'");
    if (typeof identifier !== 'string' || identifier === '') throw refuse(400, '`identifier` is required');
    if (embedOptions !== undefined && (embedOptions === null || typeof embedOptions !== 'object' || Array.isArray(embedOptions))) {
      throw refuse(400, '`options` must be an object');
    }
    const named = courseId !== undefined && courseId !== null;
    if (action === 'view' && !named) throw refuse(400, "`courseId` is required for 'view'");
    const course = named ? courseOf(courseId) : null;
    if (named && !course) throw refuse(404, `no course ${courseId}`);
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
      action, course: course?.id ?? null, identifier, clientIdentifier, workspace: workspaceId,
      iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + EMBED_TTL_SECONDS,
    })}`;
    return `${origin}/embed/${action}/${unsigned}.${mac(unsigned).toString('base64url')}`;
  }

  /** The payload of a token this platform minted and that has not expired, else null. */
  function tokenPayload(token) {
    const [header, payload, signature] = String(token).split('.');
    if (!signature) return null;
    const expected = mac(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url'));
    return claims.exp > Date.now() / 1000 ? claims : null;
  }

  // --- HTTP: the API, the pages, the player's reports -----------------------------------------------

  const keyBytes = Buffer.from(apiKey);
  function authorized(header) {
    // As the client sends it; also `Bearer <key>` and the key without its COASSEMBLE: prefix.
    let key = String(header ?? '').trim().replace(/^Bearer\s+/i, '');
    if (/^\d+:[^:\s]+$/.test(key)) key = `COASSEMBLE:${key}`;
    const given = Buffer.from(key);
    return given.length === keyBytes.length && timingSafeEqual(given, keyBytes);
  }

  const json = (res, status, value, headers = {}) =>
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(value === undefined ? '' : JSON.stringify(value));
  const fail = (res, status, error, headers) => json(res, status, { error }, headers);

  /** `length` (default 100) and `page` (from 0) of a list request; null when they are not whole numbers. */
  function pageOf(url, rows) {
    const length = Number(url.searchParams.get('length') ?? 100);
    const page = Number(url.searchParams.get('page') ?? 0);
    if (!Number.isInteger(length) || length < 1 || !Number.isInteger(page) || page < 0) return null;
    return rows.slice(page * length, page * length + length);
  }

  const publicEndpoint = ({ secret, ...endpoint }) => endpoint;

  function addEndpoint({ url, events = EVENTS, enabled = true, secret } = {}) {
    // http is accepted (Coassemble requires https): a receiver under test listens on loopback.
    if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new TypeError('`url` must be an http(s) URL');
    if (!Array.isArray(events) || events.length === 0 || !events.every((e) => EVENTS.includes(e))) {
      throw new TypeError(`\`events\` must be a non-empty array of ${EVENTS.join(', ')}`);
    }
    if (typeof enabled !== 'boolean') throw new TypeError('`enabled` must be a boolean');
    const endpoint = {
      id: nextEndpointId++, url, events: [...events], enabled,
      secret: secret ?? `whsec_${randomBytes(24).toString('hex')}`, createdAt: new Date().toISOString(),
    };
    endpoints.set(endpoint.id, endpoint);
    return { ...endpoint, events: [...endpoint.events] };
  }

  async function api(req, res, url, path) {
    const fault = faults.shift();
    if (fault) return fail(res, fault.status, 'injected fault', fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
    if (!authorized(req.headers.authorization)) return fail(res, 401, 'unauthorized');
    const route = `${req.method} ${path}`;
    const body = req.method === 'POST' ? await jsonObject(req) : undefined;
    if (body === null) return fail(res, 400, 'the body must be a JSON object');
    // Older integrations mint with GET course/view and course/edit: the same URLs.
    const legacy = /^GET \/v1\/headless\/course\/(view|edit)$/.exec(route);
    if (route === 'POST /v1/headless/embed/course' || legacy) {
      const request = legacy ? {
        action: legacy[1], courseId: url.searchParams.get('id') ?? undefined,
        identifier: url.searchParams.get('identifier') ?? undefined, clientIdentifier: url.searchParams.get('clientIdentifier') ?? undefined,
      } : body;
      let signed;
      try {
        signed = signedUrl(request);
      } catch (error) {
        return fail(res, error.status ?? 400, error.message);
      }
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(signed);
    }
    if (route === 'GET /v1/headless/trackings') {
      const course = courseOf(url.searchParams.get('id'));
      if (!course) return fail(res, url.searchParams.has('id') ? 404 : 400, url.searchParams.has('id') ? 'no such course' : '`id` (the course id) is required');
      const client = url.searchParams.get('clientIdentifier');
      const rows = [...trackings.values()].filter((t) => t.courseId === course.id && (client === null || t.clientIdentifier === client));
      const page = pageOf(url, rows);
      // A bare array here and `{ data }` for courses: both answers the API gives, so a client
      // that reads only one of them fails against the emulator too.
      return page ? json(res, 200, page) : fail(res, 400, '`length` and `page` must be whole numbers');
    }
    if (route === 'GET /v1/headless/courses') {
      const page = pageOf(url, courses);
      return page ? json(res, 200, { data: page }) : fail(res, 400, '`length` and `page` must be whole numbers');
    }
    if (route === 'GET /v1/headless/webhooks') {
      return json(res, 200, { events: EVENTS, endpoints: [...endpoints.values()].map(publicEndpoint) });
    }
    if (route === 'POST /v1/headless/webhooks') {
      try {
        const { url: target, events, enabled } = body;
        return json(res, 201, addEndpoint({ url: target, events, enabled }));
      } catch (error) {
        return fail(res, 400, error.message);
      }
    }
    const deleting = req.method === 'DELETE' && /^\/v1\/headless\/webhooks\/([^/]+)$/.exec(path);
    if (deleting) {
      const id = Number(decodeURIComponent(deleting[1]));
      return endpoints.delete(id) ? res.writeHead(204).end() : fail(res, 404, 'no such endpoint');
    }
    return fail(res, 404, 'no such API path');
  }

  /**
   * A minted page's report, authenticated by its URL's token: what the player's learner did, or the
   * course the builder's author created.
   */
  async function activity(req, res) {
    const report = await jsonObject(req);
    if (report === null) return fail(res, 400, 'the body must be a JSON object');
    const claims = tokenPayload(report.token);
    if (!claims) return fail(res, 401, 'invalid or expired embed token');
    const { type, event, data } = report.message ?? {};
    if (claims.action === 'edit') {
      if (type === 'course' && event === 'created' && /^\d+$/.test(String(data?.id))) create({ id: data.id, title: data.title, clientIdentifier: claims.clientIdentifier });
      return res.writeHead(204).end();
    }
    const learner = { courseId: claims.course, identifier: claims.identifier, clientIdentifier: claims.clientIdentifier };
    // The player's own names, and the variants seen in the wild (`commenced`, `complete`).
    if (type === 'course' && ['start', 'commenced'].includes(event)) record(learner);
    else if (type === 'course' && event === 'progress' && Number.isFinite(Number(data?.progress))) record({ ...learner, progress: [Number(data.progress)] });
    else if (type === 'course' && ['completed', 'complete'].includes(event)) record({ ...learner, complete: true });
    return res.writeHead(204).end();
  }

  /**
   * `GET /mint?kind=player|builder&course=<id>&learner=<id>`: a signed URL for a page under
   * development, without the API key, readable cross-origin (a dev server's page fetches it). A local
   * stand-in only: the real platform mints through the API, with the key, from the host's server.
   */
  function mintForPage(res, url) {
    const kind = url.searchParams.get('kind') ?? 'player';
    const cors = { 'access-control-allow-origin': '*' };
    if (kind !== 'player' && kind !== 'builder') return fail(res, 400, "`kind` is 'player' or 'builder'", cors);
    try {
      const signed = signedUrl({
        action: kind === 'player' ? 'view' : 'edit',
        courseId: url.searchParams.get('course') ?? (kind === 'player' ? courses[0]?.id : undefined),
        identifier: url.searchParams.get('learner') ?? 'learner-1',
      });
      return res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store', ...cors }).end(signed);
    } catch (error) {
      return fail(res, error.status ?? 400, error.message, cors);
    }
  }

  async function handle(req, res) {
    const url = new URL(req.url, origin);
    const path = url.pathname;
    try {
      if (path.startsWith('/api/')) return await api(req, res, url, path.slice('/api'.length));
      if (req.method === 'POST' && path === '/embed/activity') return await activity(req, res);
      if (req.method === 'GET' && path === '/mint') return mintForPage(res, url);
      const page = req.method === 'GET' && /^\/embed\/(view|edit)\/([^/]+)$/.exec(path);
      if (page && ['emulator.js', 'emulator.css'].includes(page[2])) return sendEmulatorFile(res, page[2]);
      if (page) {
        const claims = tokenPayload(page[2]);
        if (!claims || claims.action !== page[1]) return res.writeHead(403, { 'content-type': 'text/plain' }).end('invalid or expired embed URL: mint a new one');
        return sendEmulatorFile(res, page[1] === 'view' ? 'player.html' : 'builder.html');
      }
      return fail(res, 404, 'not found');
    } catch (error) {
      return fail(res, 500, String(error?.message ?? error));
    }
  }

  const server = await listen(handle, { port, host });
  const { origin } = server;

  return {
    origin,
    baseUrl: origin,
    apiKey,
    workspaceId,
    courses,
    timeoutMs,
    learn: record,
    mint: (request) => signedUrl({ action: 'view', ...request }),
    addEndpoint,
    trackings: ({ courseId } = {}) => [...trackings.values()].filter((t) => courseId === undefined || String(t.courseId) === String(courseId)).map((t) => ({ ...t })),
    get deliveries() {
      return log.map((row) => ({ ...row }));
    },
    outcomes: () => deliveries.map((d) => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) })),
    failNext(count = 1, status = 503, { retryAfter } = {}) {
      if (!Number.isInteger(count) || count < 1) throw new TypeError('platform.failNext: `count` must be an integer ≥ 1');
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new TypeError('platform.failNext: `status` must be a 4xx or 5xx');
      for (let i = 0; i < count; i++) faults.push({ status, retryAfter });
    },
    settled,
    async close() {
      if (closed) return;
      closed = true;
      faults = [];
      pending -= timers.size;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const delivery of deliveries) if (delivery.state === 'scheduled') delivery.state = 'cancelled';
      for (const controller of inFlight) controller.abort(new Error('the platform closed'));
      wake();
      // Attempts under way end now (aborted): none reports after close() resolved.
      await settled();
      await server.close();
    },
  };
}

/** The request's body as a JSON object, or null when it is not one. */
async function jsonObject(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}
