// coassemble-events/inbox/metrics: Prometheus metrics of an open inbox, in the text exposition format
// (version 0.0.4), written here rather than with prom-client (CONTRIBUTING.md, Prometheus exposition:
// prom-client is 1 MB+ installed with 3 dependencies and costs more to import than this whole file; what the inbox
// needs is counters, two histograms and gauges read at scrape time, about 150 lines).
//
// Two sources:
// - the inbox's events in this process (inbox.observe): intakes, runs, expired leases, retention,
//   reconciliation. Counters and histograms: they start at 0 with the process, as Prometheus expects
//   (rate() handles restarts).
// - the database, read at each scrape: deliveries by status (`counts`) and the oldest due delivery's
//   age (`oldest_due`). Gauges: every process of a fleet reports the same values (aggregate with max).
import { rejectUnknownOptions } from './options.js';

/** Seconds. Intakes are a commit (a few ms); a slow disk or a database failover shows up to the right. */
export const INTAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds. Handlers call other services; the default handler timeout is 20 s. */
export const HANDLER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];

const STATUSES = ['received', 'processing', 'processed', 'failed', 'dead'];
const INTAKE_OUTCOMES = ['stored', 'duplicate', 'refused', 'unavailable'];
const RUN_OUTCOMES = ['processed', 'failed', 'dead', 'lost', 'timed_out'];

/** A label value, escaped for the exposition format (backslash, double quote, newline). */
const escapeLabel = (value) => String(value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels) => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
};
/** A sample value: integers as such, other numbers in full precision, and Prometheus' infinities. */
const valueText = (v) => (v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : Number.isNaN(v) ? 'NaN' : String(v));

/** A counter or gauge family: samples keyed by their label text. */
function family(name, type, help) {
  const samples = new Map();
  return {
    name,
    inc(labels = {}, by = 1) {
      const key = labelText(labels);
      samples.set(key, (samples.get(key) ?? 0) + by);
    },
    set(labels, value) {
      samples.set(labelText(labels), value);
    },
    text() {
      let out = `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
      for (const [labels, value] of samples) out += `${name}${labels} ${valueText(value)}\n`;
      return out;
    },
  };
}

/** A histogram family with fixed buckets, one series per label set. */
function histogram(name, help, buckets) {
  const series = new Map();
  return {
    name,
    observe(labels, value) {
      const key = labelText(labels);
      let s = series.get(key);
      if (!s) series.set(key, (s = { labels, counts: new Array(buckets.length).fill(0), sum: 0, count: 0 }));
      for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]) s.counts[i]++;
      s.sum += value;
      s.count++;
    },
    /** Creates the series with zero samples, so it is visible before the first observation. */
    touch(labels) {
      const key = labelText(labels);
      if (!series.has(key)) series.set(key, { labels, counts: new Array(buckets.length).fill(0), sum: 0, count: 0 });
    },
    text() {
      let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
      for (const s of series.values()) {
        buckets.forEach((le, i) => {
          out += `${name}_bucket${labelText({ ...s.labels, le: valueText(le) })} ${s.counts[i]}\n`;
        });
        out += `${name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}\n`;
        out += `${name}_sum${labelText(s.labels)} ${valueText(s.sum)}\n`;
        out += `${name}_count${labelText(s.labels)} ${s.count}\n`;
      }
      return out;
    },
  };
}

/** The exposition's content type (text format 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Prometheus metrics of `inbox`: counts what this process's inbox does from now on (inbox.observe),
 * and reads the database's state at each scrape. See inbox-metrics.d.ts.
 */
export function createInboxMetrics(inbox, options = {}) {
  if (!inbox || typeof inbox.observe !== 'function' || typeof inbox.counts !== 'function') {
    throw new TypeError('createInboxMetrics: pass an inbox from openInbox() (coassemble-events/inbox)');
  }
  rejectUnknownOptions('createInboxMetrics', options, ['token']);
  const { token = null } = options;
  if (token !== null && (typeof token !== 'string' || token.length < 16)) {
    throw new TypeError('createInboxMetrics: `token` must be a string of at least 16 characters (or omitted)');
  }
  const p = 'coassemble_inbox_';
  const deliveries = family(`${p}deliveries`, 'gauge', 'Deliveries in the inbox by status (the whole table, read at scrape time).');
  const oldestDue = family(`${p}oldest_due_age_seconds`, 'gauge', 'How long the longest-waiting due delivery has been due (0: none is due).');
  const up = family(`${p}database_up`, 'gauge', '1 when the last scrape could read the inbox database, else 0.');
  const intakes = family(`${p}intakes_total`, 'counter', 'Deliveries answered by this process\'s intake, by outcome (refused: by code).');
  const intakeSeconds = histogram(`${p}intake_duration_seconds`, 'Time from a read body to its answer (verify and durable store), seconds.', INTAKE_BUCKETS);
  const runs = family(`${p}runs_total`, 'counter', 'Handler runs by this process, by outcome (timed_out: the handler outlived its timeout).');
  const handlerSeconds = histogram(`${p}handler_duration_seconds`, 'Handler run time, seconds, by outcome.', HANDLER_BUCKETS);
  const leases = family(`${p}leases_expired_total`, 'counter', 'Expired leases found by this process\'s claims: taken over (run again) or buried (dead: expired on the last run).');
  const retention = family(`${p}retention_purged_total`, 'counter', 'Processed deliveries removed by retention in this process.');
  const retentionRuns = family(`${p}retention_runs_total`, 'counter', 'Retention passes run by this process.');
  const deadPurged = family(`${p}dead_purged_total`, 'counter', 'Dead deliveries removed on request (purgeDead) in this process.');
  const reconcileRuns = family(`${p}reconcile_runs_total`, 'counter', 'Reconciliation runs (inbox.emit({ kind: "reconcile", ... })), by outcome.');
  const reconciled = family(`${p}reconciled_total`, 'counter', 'Deliveries recovered by reconciliation (missed webhooks found through the API).');

  // Every series that has a fixed label set exists from the start (at 0): a rate() over a series
  // that appears on its first event misses that event.
  for (const outcome of ['stored', 'duplicate', 'unavailable']) intakes.inc({ outcome, code: '' }, 0);
  for (const outcome of RUN_OUTCOMES) runs.inc({ outcome }, 0);
  for (const how of ['taken_over', 'buried']) leases.inc({ how }, 0);
  for (const outcome of ['ok', 'failed']) reconcileRuns.inc({ outcome }, 0);
  intakeSeconds.touch({});
  retention.inc({}, 0);
  retentionRuns.inc({}, 0);
  deadPurged.inc({}, 0);
  reconciled.inc({}, 0);

  const stop = inbox.observe((event) => {
    switch (event?.kind) {
      case 'intake':
        if (!INTAKE_OUTCOMES.includes(event.outcome)) return;
        intakes.inc({ outcome: event.outcome, code: event.code ?? '' });
        if (event.durationMs > 0) intakeSeconds.observe({}, event.durationMs / 1000);
        return;
      case 'run':
        if (!RUN_OUTCOMES.includes(event.outcome)) return;
        runs.inc({ outcome: event.outcome });
        handlerSeconds.observe({ outcome: event.outcome }, (event.durationMs ?? 0) / 1000);
        return;
      case 'leases_expired':
        leases.inc({ how: 'taken_over' }, event.takenOver ?? 0);
        leases.inc({ how: 'buried' }, event.buried ?? 0);
        return;
      case 'retention':
        retentionRuns.inc();
        retention.inc({}, event.removed ?? 0);
        return;
      case 'purge_dead':
        deadPurged.inc({}, event.removed ?? 0);
        return;
      case 'reconcile':
        reconcileRuns.inc({ outcome: event.outcome === 'failed' ? 'failed' : 'ok' });
        reconciled.inc({}, Number.isSafeInteger(event.recovered) && event.recovered > 0 ? event.recovered : 0);
        return;
      default:
    }
  });

  /** The exposition text; the database gauges are read now (database_up 0 when that fails). */
  async function text() {
    let ok = true;
    try {
      const [counts, oldestMs] = await Promise.all([inbox.counts(), inbox.oldestDueMs()]);
      for (const status of STATUSES) deliveries.set({ status }, counts[status] ?? 0);
      oldestDue.set({}, oldestMs / 1000);
    } catch {
      // The last values stay (stale, flagged by database_up 0); the scrape still answers.
      ok = false;
    }
    up.set({}, ok ? 1 : 0);
    return [deliveries, oldestDue, up, intakes, intakeSeconds, runs, handlerSeconds, leases, retention, retentionRuns,
      deadPurged, reconcileRuns, reconciled].map((f) => f.text()).join('');
  }

  /** node:http handler: GET → the exposition (with `token`: only with `Authorization: Bearer <token>`). */
  async function handler(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (token !== null && !bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="coassemble-inbox"', 'content-type': 'text/plain' }).end('unauthorized\n');
      return;
    }
    const body = await text();
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  return { text, handler, contentType: METRICS_CONTENT_TYPE, close: () => void stop() };
}

/** Whether an Authorization header carries `Bearer <token>`, compared in constant time. */
export function bearerMatches(header, token) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(typeof header === 'string' ? header : '');
  if (!match) return false;
  const a = Buffer.from(match[1]);
  const b = Buffer.from(token);
  // Equal lengths first (timingSafeEqual needs them); the length of a token is not a secret worth hiding.
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
