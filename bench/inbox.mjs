// Inbox throughput and latency: intake (verify + durable store + 2xx) and end to end (stored -> handler
// done) on PostgreSQL with three receiver instances and on SQLite with one, next to a bare INSERT loop
// on the same database (the physical floor). Prints figures; no timed assertions.
//
//   npm run bench:webhooks              (after the verifier figures)
//   node bench/inbox.mjs [--rate 1000] [--seconds 10] [--save]
//   --save: also write bench/results/inbox.json (the docs' performance page prints it)
//
// The receivers are the fault tests' (tests/support/inbox_receiver.rs: the axum example's intake and
// workers, a handler that records an effect row), built with opt-level 3 as a Rust server would be. The
// load is open-loop: requests start on a fixed schedule whatever the answers, and a request's latency
// is counted from its scheduled start, so a stall is not hidden by a slower sender.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startPostgres } from '../tests/support/postgres.mjs';
import { saveResults } from './results.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 1000);
const SECONDS = arg('seconds', 10);
const SECRET = 'whsec_bench_inbox';
const BIN = join(root, 'target/release/examples/inbox_test_receiver');
const CORES = cpus().length;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startReceiver(env) {
  const port = await freePort();
  const child = spawn(BIN, [], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; if (/^ready \d+$/m.test(out)) resolve(); });
    child.once('exit', (code) => reject(new Error(`receiver exited ${code}`)));
  });
  return { port, stop: () => { child.kill('SIGTERM'); } };
}

const run = async (env) => JSON.parse((await promisify(execFile)(BIN, [], { env: { ...process.env, ...env }, maxBuffer: 512 << 20 })).stdout);

// A 1 KB course.completed body, as the verifier bench uses; its event id and learner are the delivery
// id's, as the inbox keeps one delivery per signed event id and per (event, course, learner) identity.
const bodyOf = (id) => {
  const head = `{"id":"evt_${id}","type":"course.completed","occurredAt":"2025-11-23T12:13:20Z","workspaceId":4321,"data":{"course":{"id":981,"title":"`;
  const tail = `","key":"onb-1","clientIdentifier":"acme-onb"},"tracking":{"id":5551,"identifier":"learner-${id}","email":"sam@example.com","commenced":"2025-11-23T11:00:00Z","completed":"2025-11-23T12:13:00Z","totalTime":4380}}}`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, 1024 - head.length - tail.length)) + tail);
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function post(port, id) {
  const body = bodyOf(id);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = 'sha256=' + createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest('hex');
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/webhooks', method: 'POST', agent,
      headers: {
        'content-type': 'application/json', 'content-length': body.length, 'x-coassemble-event': 'course.completed',
        'x-coassemble-delivery': id, 'x-coassemble-timestamp': timestamp, 'x-coassemble-signature': signature,
      },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Open loop: RATE requests per second for SECONDS, round-robin over the ports. */
async function openLoop(ports, prefix) {
  const total = RATE * SECONDS;
  const latencies = [];
  const statuses = {};
  const started = performance.now();
  const inflight = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inflight.push(post(ports[n % ports.length], `${prefix}-${n}`).then((status) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      latencies.push(performance.now() - due);
    }));
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { total, seconds, statuses, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1) };
}

/** Closed loop: as fast as `concurrency` senders go, for SECONDS / 2. */
async function closedLoop(ports, prefix, concurrency) {
  let n = 0;
  let ok = 0;
  const stopAt = performance.now() + (SECONDS / 2) * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < stopAt) {
      const i = n++;
      if ((await post(ports[i % ports.length], `${prefix}-${i}`)) === 200) ok++;
    }
  }));
  return ok / ((performance.now() - started) / 1000);
}

/** Waits until the workers have caught up (nothing received or failed), so phases do not overlap. */
async function drained(databaseUrl) {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const { inbox } = await run({ DATABASE_URL: databaseUrl, ROLE: 'report' });
    if (inbox.every(([, status]) => status === 'processed' || status === 'dead')) return;
    await sleep(500);
  }
  throw new Error('the workers did not catch up within 5 minutes');
}

async function endToEnd(databaseUrl, prefix, count) {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const { inbox, effects } = await run({ DATABASE_URL: databaseUrl, ROLE: 'report' });
    const received = new Map(inbox.filter(([id]) => id.startsWith(prefix)).map(([id, , , , , at]) => [id, at]));
    const done = effects.filter(([id]) => received.has(id));
    if (done.length >= count || Date.now() > deadline) {
      const e2e = done.map(([id, , at]) => at - received.get(id)).sort((a, b) => a - b);
      return { done: done.length, p50: pct(e2e, 50), p99: pct(e2e, 99), max: e2e.at(-1) };
    }
    await sleep(500);
  }
}

const scenarios = []; // what --save writes, one entry per scenario

async function scenario(label, databaseUrl, instances, workers, batch, floorConnections) {
  const env = {
    DATABASE_URL: databaseUrl, COASSEMBLE_WEBHOOK_SECRET: SECRET, ROLE: 'both', WORKERS: String(workers), BATCH: String(batch),
    HANDLER_MS: '0', FAIL_PERCENT: '0',
  };
  const receivers = [];
  for (let i = 0; i < instances; i++) receivers.push(await startReceiver(env));
  const ports = receivers.map((r) => r.port);
  try {
    await closedLoop(ports, 'warm', 16);
    await drained(databaseUrl);
    const open = await openLoop(ports, 'open');
    const e2e = await endToEnd(databaseUrl, 'open-', open.statuses[200] ?? 0);
    const max = await closedLoop(ports, 'max', 64);
    await drained(databaseUrl);
    const floor = await run({ DATABASE_URL: databaseUrl, ROLE: 'floor', FLOOR_THREADS: String(floorConnections), FLOOR_MS: String((SECONDS / 2) * 1000) });
    const f = (x) => x.toFixed(1);
    console.log(`\n${label}`);
    console.log(`  intake at ${RATE}/s offered for ${SECONDS} s: ${(open.total / open.seconds).toFixed(0)}/s done, answers ${JSON.stringify(open.statuses)}, latency p50 ${f(open.p50)} ms, p99 ${f(open.p99)} ms, max ${f(open.max)} ms`);
    console.log(`  end to end at that load (stored -> handler done, ${e2e.done} deliveries): p50 ${e2e.p50} ms, p99 ${e2e.p99} ms, max ${e2e.max} ms`);
    console.log(`  intake, closed loop (64 senders): ${max.toFixed(0)} deliveries/s = ${(max / CORES).toFixed(0)} per core`);
    console.log(`  bare INSERT loop, ${floorConnections} connection(s), 1 KB rows, autocommit: ${floor.rate.toFixed(0)} rows/s = ${(floor.rate / CORES).toFixed(0)} per core`);
    const r1 = (x) => Math.round(x * 10) / 10;
    scenarios.push({
      label,
      intake: { perSecond: Math.round(open.total / open.seconds), statuses: open.statuses, p50Ms: r1(open.p50), p99Ms: r1(open.p99), maxMs: r1(open.max) },
      endToEnd: { done: e2e.done, p50Ms: e2e.p50, p99Ms: e2e.p99, maxMs: e2e.max },
      closedLoopPerSecond: Math.round(max),
      floor: { connections: floorConnections, rowsPerSecond: Math.round(floor.rate) },
    });
  } finally {
    for (const r of receivers) r.stop();
  }
}

const startLoad = Math.round(loadavg()[0] * 10) / 10;
console.log(`webhook inbox — ${cpus()[0]?.model ?? 'unknown CPU'} x${CORES}, Node ${process.version}, ${new Date().toISOString()}, load ${startLoad}`);
execFileSync('cargo', ['build', '--quiet', '--release', '--example', 'inbox_test_receiver', '--features', 'inbox-sqlite,inbox-postgres'], {
  cwd: root, stdio: 'inherit', env: { ...process.env, CARGO_PROFILE_RELEASE_OPT_LEVEL: '3' },
});
const pg = await startPostgres();
try {
  await scenario('PostgreSQL, 3 receiver instances (4 workers each, claiming 10)', pg.url, 3, 4, 10, 16);
} finally {
  await pg.close();
}
const dir = mkdtempSync(join(tmpdir(), 'inbox-bench-'));
try {
  // SQLite has one writer: every claim, effect and outcome waits for the intake's fsynced commits. Three
// workers claiming 25 at a time keep up with 1,000/s here; two fall behind, four crowd the intake's
// p99 (measured 2026-12-01: 1 worker e2e p99 1.8 s; 4 workers x 10 intake p99 54 ms).
  await scenario('SQLite, 1 receiver instance (3 workers, claiming 25)', join(dir, 'inbox.db'), 1, 3, 25, 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
agent.destroy();
if (process.argv.includes('--save')) {
  const file = saveResults('inbox', `node bench/inbox.mjs ${process.argv.slice(2).join(' ')}`, {
    load: { ratePerSecond: RATE, seconds: SECONDS, loadAverageAtStart: startLoad, bodyBytes: 1024 }, scenarios,
  });
  console.log(`\nwrote ${file}`);
}
