// The inbox against its peers (issue 16): the same offered load, on one PostgreSQL, to
//   1. our Node inbox: receive() of signed deliveries + a worker (start(handler, { concurrency }))
//   2. pg-boss 12 (send + work)
//   3. graphile-worker 0.18 (addJob + a task)
//   4. the physical floor: a bare loop of single-row INSERT ... ON CONFLICT DO NOTHING through `pg`
// then the latency figures at an offered 1,000 deliveries/s (open loop): (5) end to end p99 of our
// inbox on PostgreSQL, (6) intake p99 of our inbox on SQLite (a temp file, one process), and the
// peers' end to end at the same load for context. Prints figures and the ratios against the issue's
// budgets; it asserts nothing (never a timed test).
//
//   npm run bench:inbox-peers -- [flags]
//   node bench/inbox-peers.mjs [flags]
//
// Flags (defaults in brackets):
//   --n 3000              deliveries per throughput run
//   --in-flight 32        deliveries in flight (receive()/send()/addJob()/INSERT calls awaiting)
//   --concurrency 10      concurrent no-op handlers (ours: start({ concurrency }), pg-boss:
//                         localConcurrency, graphile-worker: concurrency)
//   --runs 1              runs of everything; with more than one, each figure's median and range
//   --rate 1000           offered deliveries/s of the latency figures
//   --seconds 10          length of each open-loop latency phase (rate x seconds deliveries)
//   --warmup 200          deliveries sent (and handled) before each timed phase, not counted
//   --systems ours,pgboss,pgboss-poll,graphile,floor   which throughput systems (and latency peers)
//   --no-latency          skip the open-loop latency phases
//   --no-peer-latency     open-loop phases for our inbox only (skip pg-boss / graphile at 1,000/s)
//   --pgboss-batch 10     pg-boss work() batchSize (see PGBOSS_WORK below)
//   --inbox <module>      the inbox module to measure [coassemble-events/inbox, i.e. dist/inbox.js
//                         after `npm run build`]; a path is resolved from the current directory
//   --phases              also the intake ladder of our inbox (where its intake time goes)
//   --profile             also one CPU profile (--cpu-prof) of our inbox's throughput run, summarised
//   --json <file>         also write every raw result as JSON
//   --save                also write bench/results/inbox-peers.json (the figures the README and the
//                         docs' performance page print: medians, ranges, the budgets and the machine)
//
// Method. PostgreSQL is a server of this script's own (scripts/postgres.sh, durability defaults:
// fsync and synchronous_commit on). Every system of every run gets a fresh database and a fresh Node
// process (a child of this one), so no system inherits another's JIT, pools, timers or table bloat;
// the order of the systems rotates between runs so none always runs on a warmer server. In a child:
// the deliveries are built (and for our inbox signed with the package's own signer) before anything is
// timed; the workers are started; `--warmup` deliveries go through end to end (opens the pools, JITs
// the paths); then the timed phase. Intake rate: N / (first call started -> last call resolved), closed
// loop with `--in-flight` calls awaiting. End to end: N / (first call started -> last handler run),
// the handler run being the effect (a no-op that records performance.now() in the child). Open loop:
// deliveries start at fixed times (i / rate) whatever the answers; latency counts from that scheduled
// start, so a stall is not hidden by a slower sender. No HTTP anywhere: receive() is called directly.
//
// The Rust receiver is not run here: its figures on PostgreSQL come from `node bench/inbox.mjs` (HTTP
// receiver processes, a release build of tests/support/inbox_receiver.rs), a different harness. When
// this script was written (inbox v2 SQL contract, 2026-12-06) neither receiver at HEAD bound the v2
// `insert` statement's 12 parameters yet; `--inbox <path>` measures another build of the Node inbox.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'whsec_bench_peers';
const QUEUE = 'bench';

// ---------------------------------------------------------------------------------------------------
// Settings of the peers, each from its own documentation for throughput (the report prints them).
//
// pg-boss 12 (docs/api/workers.md, types.d.ts of 12.38): `localConcurrency` is "the number of workers
// to spawn for this queue within the current Node.js process", so 10 concurrent handlers =
// localConcurrency 10. `batchSize` is how many jobs one fetch takes (default 1); `burstWhenBatchFull`
// keeps a worker fetching with no delay while fetches come back full (documented for throughput, and
// ignored at batchSize 1). LISTEN/NOTIFY (`useListenNotify` + the queue's `notify`) is the documented
// way to wake workers at once instead of at the next poll (default poll 2 s; 0.5 s is the minimum, used
// as the fallback). It has a cost at intake: a transaction that NOTIFYs takes PostgreSQL's global
// notify-queue lock at commit and holds it across its WAL flush, so such commits cannot share a flush
// (measured here: about one WAL sync per send). So pg-boss runs twice: `pgboss` with LISTEN/NOTIFY
// (its low-latency setting) and `pgboss-poll` without (its throughput setting: polling every 0.5 s,
// bursting while batches come back full); "the better of the peers" is the best of all three. Decision: batchSize 10 by default (flag --pgboss-batch): each of the 10 handler
// calls takes up to 10 jobs, which is pg-boss's best documented throughput setting and mirrors our
// worker claiming up to its free slots in one statement. It lets pg-boss hold up to 100 jobs at once
// against our 10: an advantage to the peer, so a ratio in our favour is conservative. Defaults
// everywhere else (pool `max` 10, maintenance and monitoring on), as a user would run it.
const pgbossConstructor = (notify) => ({ useListenNotify: notify });
const pgbossWork = (concurrency, batch) => ({
  localConcurrency: concurrency,
  batchSize: batch,
  burstWhenBatchFull: batch > 1,
  pollingIntervalSeconds: 0.5,
});
// graphile-worker 0.18 (website/docs/performance.md, "Batching": "If you have a high throughput job
// queue (even intermittently) we recommend that you enable batching; ... consider these as a starting
// point": localQueue.size = concurrentJobs + 1, completeJobBatchDelay 25, failJobBatchDelay 25).
// LISTEN/NOTIFY is always on in graphile-worker; pool (maxPoolSize) at its default 10.
const graphileWorker = (concurrency) => ({
  localQueue: { size: concurrency + 1 },
  completeJobBatchDelay: 25,
  failJobBatchDelay: 25,
});

// ---------------------------------------------------------------------------------------------------
// Flags.
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const num = (name, fallback) => {
  const value = Number(opt(name, fallback));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

// A 1 KB course.completed body (as bench/inbox.mjs and the verifier bench use), its own event id and
// its own learner: the inbox keeps one delivery per signed event id and per (type, course, learner).
function bodyOf(i, prefix) {
  const head = `{"id":"evt_${prefix}_${i}","type":"course.completed","occurredAt":"2026-11-23T12:13:20Z","workspaceId":4321,"data":{"course":{"id":981,"title":"`;
  const tail = `","key":"onb-1","clientIdentifier":"acme-onb"},"tracking":{"id":5551,"identifier":"learner-${prefix}-${i}","email":"sam@example.com","commenced":"2026-11-23T11:00:00Z","completed":"2026-11-23T12:13:00Z","totalTime":4380}}}`;
  return head + 'x'.repeat(Math.max(0, 1024 - head.length - tail.length)) + tail;
}

if (flag('child')) {
  await child(JSON.parse(process.env.INBOX_PEERS_SPEC));
} else {
  await parent();
}

// ===================================================================================================
// The child: one system, one phase, one fresh database. Prints "@@RESULT <json>" last.
// ===================================================================================================

async function child(spec) {
  let result;
  try {
    result = await (spec.mode === 'ladder' ? ladder(spec) : runSystem(spec));
  } catch (error) {
    process.stdout.write(`@@ERROR ${String(error?.message ?? error).split('\n')[0]}\n`);
    process.exit(1);
  }
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
  // Some libraries keep timers (pg-boss maintenance, pools' idle timers) after close: end here.
  process.exit(0);
}

/** Tracks handler runs (the effect): the first run of each counted delivery, by id. */
function effects() {
  const at = new Map();
  let expected = Infinity;
  let resolveAll;
  let all = new Promise((r) => (resolveAll = r));
  return {
    at,
    record(id) {
      if (at.has(id)) return;
      at.set(id, performance.now());
      if (at.size >= expected) resolveAll();
    },
    /** Resolves when `count` distinct deliveries ran (counting from a reset), or after `timeoutMs`. */
    async until(count, timeoutMs) {
      expected = count;
      if (at.size >= count) return true;
      return Promise.race([all.then(() => true), sleep(timeoutMs).then(() => false)]);
    },
    reset() {
      at.clear();
      expected = Infinity;
      all = new Promise((r) => (resolveAll = r));
    },
  };
}

/** Opens one system: `{ prepare(id, i) -> item, send(item), close() }`, its handler feeding `fx`. */
async function openSystem(spec, fx) {
  const { system, url, concurrency } = spec;
  if (system === 'ours' || system === 'ours-sqlite') {
    const specifier = /^[./]/.test(spec.inbox) ? pathToFileURL(resolve(spec.inbox)).href : spec.inbox;
    const { openInbox } = await import(specifier);
    const { signWebhook } = await import('coassemble-events/testing');
    const inbox = await openInbox(url, { secrets: [SECRET] });
    inbox.start(async (delivery) => fx.record(delivery.id), { concurrency });
    return {
      // Signed beforehand, with the package's own signer; the body as the Buffer an HTTP server hands over.
      prepare(id, i) {
        const signed = signWebhook({ secret: SECRET, body: bodyOf(i, id.slice(0, 8)), deliveryId: id, event: 'course.completed' });
        return { headers: signed.headers, body: Buffer.from(signed.body) };
      },
      async send(item) {
        const answer = await inbox.receive(item);
        if (answer.status !== 200) throw new Error(`receive() answered ${answer.status} ${JSON.stringify(answer.body)}`);
      },
      close: () => inbox.close(),
    };
  }
  if (system === 'pgboss' || system === 'pgboss-poll') {
    const { PgBoss } = await import('pg-boss');
    const notify = system === 'pgboss';
    const boss = new PgBoss({ connectionString: url, ...pgbossConstructor(notify) });
    boss.on('error', (error) => console.error('[pg-boss]', error));
    await boss.start();
    await boss.createQueue(QUEUE, { notify });
    await boss.work(QUEUE, pgbossWork(concurrency, spec.pgbossBatch), async (jobs) => {
      for (const job of jobs) fx.record(job.data.id);
    });
    return {
      prepare: (id, i) => ({ id, type: 'course.completed', body: bodyOf(i, id.slice(0, 8)) }),
      async send(item) {
        if ((await boss.send(QUEUE, item)) == null) throw new Error('pg-boss send() returned no id');
      },
      close: () => boss.stop({ graceful: true, timeout: 10_000 }),
    };
  }
  if (system === 'graphile') {
    const { run, makeWorkerUtils, Logger } = await import('graphile-worker');
    const logger = new Logger(() => (level, message) => {
      if (level === 'error') console.error('[graphile-worker]', message);
    });
    const runner = await run({
      connectionString: url,
      concurrency,
      noHandleSignals: true,
      logger,
      taskList: { [QUEUE]: async (payload) => fx.record(payload.id) },
      preset: { worker: graphileWorker(concurrency) },
    });
    // Jobs are added from the application's side through WorkerUtils (its own pool, default size),
    // as an HTTP handler would, not through the runner's pool.
    const utils = await makeWorkerUtils({ connectionString: url, logger });
    return {
      prepare: (id, i) => ({ id, type: 'course.completed', body: bodyOf(i, id.slice(0, 8)) }),
      async send(item) {
        await utils.addJob(QUEUE, item);
      },
      async close() {
        await utils.release();
        await runner.stop();
      },
    };
  }
  if (system === 'floor') {
    const { default: pg } = await import('pg');
    // One connection per call in flight: the floor is what the database does with that many
    // single-row durable commits at once. The table has the inbox row's columns and its primary key
    // (no secondary indexes: the floor is the cheapest durable insert of that row).
    const pool = new pg.Pool({ connectionString: url, max: spec.inFlight });
    await pool.query(`CREATE TABLE IF NOT EXISTS floor_inbox (
      delivery_id TEXT PRIMARY KEY, event_type TEXT NOT NULL, signed_at BIGINT NOT NULL,
      received_at BIGINT NOT NULL, body BYTEA NOT NULL, event_id TEXT, test BOOLEAN NOT NULL DEFAULT FALSE,
      status TEXT NOT NULL DEFAULT 'received', attempts INTEGER NOT NULL DEFAULT 0, run_at BIGINT NOT NULL,
      lease_owner TEXT, last_error TEXT, processed_at BIGINT)`);
    const text = `INSERT INTO floor_inbox (delivery_id, event_type, signed_at, received_at, body, event_id, test, status, attempts, run_at)
      VALUES ($1, $2, $3, $4, $5, $6, false, 'received', 0, $4) ON CONFLICT (delivery_id) DO NOTHING`;
    return {
      prepare: (id, i) => ({ id, body: Buffer.from(bodyOf(i, id.slice(0, 8))) }),
      async send(item) {
        const now = Date.now();
        await pool.query({ name: 'floor_insert', text, values: [item.id, 'course.completed', Math.floor(now / 1000), now, item.body, `evt_${item.id}`] });
        fx.record(item.id); // the floor has no handler: its "effect" is the committed row
      },
      close: () => pool.end(),
    };
  }
  throw new Error(`unknown system ${system}`);
}

/**
 * CPU time of the PostgreSQL server (ms): the postmaster with its reaped children (cutime, cstime)
 * and its live children. Null when the server's data directory is unknown (SQLite, or not Linux).
 */
function serverCpuMs(dataDir) {
  if (!dataDir) return null;
  try {
    const tick = 100; // USER_HZ on Linux
    const stat = (pid) => {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
      return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
    };
    const pm = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const master = stat(pm);
    let ticks = master.own + master.reaped;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === pm) continue;
      try {
        const p = stat(pid);
        if (p.ppid === pm) ticks += p.own;
      } catch { /* exited meanwhile */ }
    }
    return (ticks * 1000) / tick;
  } catch {
    return null;
  }
}

/** Database-side counters (cluster-wide WAL flushes, this database's commits), for commits per flush. */
async function dbStats(url) {
  if (!/^postgres/.test(url)) return null;
  const { default: pg } = await import('pg');
  return dbStatsOf(pg, url);
}

async function dbStatsOf(pg, url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const wal = (await client.query('SELECT wal_sync, wal_write FROM pg_stat_wal')).rows[0];
    const db = (await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()')).rows[0];
    return { walSync: Number(wal.wal_sync), walWrite: Number(wal.wal_write), commits: Number(db.xact_commit) };
  } finally {
    await client.end();
  }
}

async function runSystem(spec) {
  const fx = effects();
  const sys = await openSystem(spec, fx);
  const tag = Math.random().toString(36).slice(2, 8);
  const build = (prefix, count) => Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${tag}-${String(i).padStart(6, '0')}`;
    return { id, item: sys.prepare(id, i) };
  });
  const warm = build('warm', spec.warmup);
  const timed = build(spec.mode === 'open' ? 'open' : 'run', spec.mode === 'open' ? Math.round(spec.rate * spec.seconds) : spec.n);

  // Warm-up: connections opened, code paths JIT-compiled, the workers running.
  await closedLoop(warm, spec.inFlight, sys.send);
  if (!(await fx.until(warm.length, 60_000))) throw new Error(`warm-up: ${fx.at.size}/${warm.length} handled in 60 s`);
  await sleep(300);
  fx.reset();

  const before = await dbStats(spec.url);
  const server0 = serverCpuMs(spec.pgData);
  const profiler = spec.profile ? await startProfiler() : null;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  let out;
  if (spec.mode === 'open') {
    const open = await openLoop(timed, spec.rate, sys.send);
    const doneAll = await fx.until(timed.length - open.failed.count, 120_000);
    const e2e = timed.filter(({ id }) => fx.at.has(id)).map(({ id }) => fx.at.get(id) - open.due.get(id)).sort((a, b) => a - b);
    out = {
      offered: timed.length, seconds: open.seconds, completed: doneAll, failed: open.failed,
      intake: { p50: pct(open.latencies, 50), p99: pct(open.latencies, 99), max: open.latencies.at(-1) },
      e2e: { done: e2e.length, p50: pct(e2e, 50), p99: pct(e2e, 99), max: e2e.at(-1) },
    };
  } else {
    const closed = await closedLoop(timed, spec.inFlight, sys.send);
    const doneAll = await fx.until(timed.length, 180_000);
    const last = Math.max(...timed.map(({ id }) => fx.at.get(id) ?? -Infinity));
    out = {
      n: timed.length, completed: doneAll, handled: fx.at.size,
      intakeRate: timed.length / ((closed.end - closed.start) / 1000),
      intakeLatency: { p50: pct(closed.latencies, 50), p99: pct(closed.latencies, 99) },
      e2eRate: doneAll ? timed.length / ((last - closed.start) / 1000) : NaN,
      e2eSeconds: (last - closed.start) / 1000,
    };
  }
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const server1 = serverCpuMs(spec.pgData);
  if (profiler) writeFileSync(spec.profile, JSON.stringify(await profiler.stop()));
  await sys.close();
  // A backend flushes its statistics when it exits (or at most once a second while busy): read them
  // after the system's connections closed.
  await sleep(1100);
  const after = await dbStats(spec.url);
  return {
    system: spec.system, mode: spec.mode, ...out, loadAverage: loadavg()[0],
    cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / timed.length,
    serverCpuMsPerDelivery: server0 != null && server1 != null ? (server1 - server0) / timed.length : null,
    eventLoopUtilization: elu.utilization,
    db: before && after ? { commits: after.commits - before.commits, walSyncs: after.walSync - before.walSync } : null,
  };
}

/** A CPU profile of this process (the inspector's sampling profiler), of the timed phase only. */
async function startProfiler() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((ok, fail) => session.post(method, params, (error, result) => (error ? fail(error) : ok(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  return {
    async stop() {
      const { profile } = await post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/** Closed loop: `inFlight` calls awaiting at any time until the items run out. */
async function closedLoop(items, inFlight, send) {
  let next = 0;
  const latencies = [];
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, async () => {
    while (next < items.length) {
      const { item } = items[next++];
      const t = performance.now();
      await send(item);
      latencies.push(performance.now() - t);
    }
  }));
  const end = performance.now();
  latencies.sort((a, b) => a - b);
  return { start, end, latencies };
}

/** Open loop: item i starts at start + i / rate, whatever the answers; latency from that time. */
async function openLoop(items, rate, send) {
  const due = new Map();
  const latencies = [];
  const pending = [];
  // Past a system's capacity the calls pile up; one that fails (e.g. its pool's connect timeout) is
  // counted, as an HTTP server would answer 503 and Coassemble retry, and the phase goes on.
  const failed = { count: 0, first: null };
  const start = performance.now();
  for (let i = 0; i < items.length; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await sleep(wait);
    const { id, item } = items[i];
    due.set(id, at);
    pending.push(send(item).then(
      () => latencies.push(performance.now() - at),
      (error) => {
        failed.count++;
        failed.first ??= String(error?.message ?? error);
      },
    ));
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { due, latencies, failed, seconds: (performance.now() - start) / 1000 };
}

/**
 * Where our intake's time goes, one step at a time, each with the same N and in-flight count:
 * verify alone (CPU, a synchronous loop); the bare INSERT (PK only, one connection per call in flight);
 * the same INSERT into the inbox's real table (its indexes); then through a pool of the inbox's
 * default size (10); receive() without a worker; receive() with the worker running.
 */
async function ladder(spec) {
  const { default: pg } = await import('pg');
  const { signWebhook } = await import('coassemble-events/testing');
  const { verifyWebhook } = await import('coassemble-events/webhooks');
  const specifier = /^[./]/.test(spec.inbox) ? pathToFileURL(resolve(spec.inbox)).href : spec.inbox;
  const { openInbox } = await import(specifier);
  const tag = Math.random().toString(36).slice(2, 8);
  const signed = (prefix) => Array.from({ length: spec.n }, (_, i) => {
    const id = `${prefix}-${tag}-${i}`;
    const s = signWebhook({ secret: SECRET, body: bodyOf(i, prefix), deliveryId: id, event: 'course.completed' });
    return { id, item: { headers: s.headers, body: Buffer.from(s.body) } };
  });
  const steps = [];
  const rate = (closed) => spec.n / ((closed.end - closed.start) / 1000);

  // 1. verify only.
  const deliveries = signed('verify');
  for (const { item } of deliveries.slice(0, 100)) verifyWebhook({ headers: item.headers, body: item.body, secrets: [SECRET] });
  const t0 = process.cpuUsage();
  for (const { item } of deliveries) verifyWebhook({ headers: item.headers, body: item.body, secrets: [SECRET] });
  const t1 = process.cpuUsage(t0);
  const verifyUs = (t1.user + t1.system) / spec.n;
  steps.push({ step: 'verifyWebhook alone (1 KB, synchronous loop; CPU time)', perDeliveryUs: verifyUs, rate: 1e6 / verifyUs });

  // The inbox's table (created by openInbox), then bare inserts into it and into a PK-only copy.
  const inbox0 = await openInbox(spec.url, { secrets: [SECRET] });
  await inbox0.close();
  const columns = '(delivery_id, event_type, signed_at, received_at, body, event_id, test, status, attempts, run_at)';
  const values = "VALUES ($1, $2, $3, $4, $5, $6, false, 'received', 0, $4) ON CONFLICT (delivery_id) DO NOTHING";
  const bare = async (table, max, label) => {
    const pool = new pg.Pool({ connectionString: spec.url, max });
    const items = signed(`bare${max}${table.length}`);
    await closedLoop(items.slice(0, Math.min(100, items.length)).map((x) => ({ ...x, id: `w${x.id}` })), spec.inFlight, () => pool.query('SELECT 1'));
    const closed = await closedLoop(items, spec.inFlight, (item) => {
      const now = Date.now();
      return pool.query({ name: `i_${table}`, text: `INSERT INTO ${table} ${columns} ${values}`, values: [item.headers['X-Coassemble-Delivery'], 'course.completed', Math.floor(now / 1000), now, item.body, `evt_${item.headers['X-Coassemble-Delivery']}`] });
    });
    await pool.end();
    steps.push({ step: label, rate: rate(closed), p50: pct(closed.latencies, 50), p99: pct(closed.latencies, 99) });
  };
  await (async () => {
    const c = new pg.Client({ connectionString: spec.url });
    await c.connect();
    await c.query('CREATE TABLE floor_inbox (LIKE coassemble_webhook_inbox INCLUDING DEFAULTS)');
    await c.query('ALTER TABLE floor_inbox ADD PRIMARY KEY (delivery_id)');
    await c.end();
  })();
  await bare('floor_inbox', spec.inFlight, `bare INSERT, PK only, ${spec.inFlight} connections`);
  await bare('coassemble_webhook_inbox', spec.inFlight, `bare INSERT into the inbox table (its indexes), ${spec.inFlight} connections`);
  await bare('coassemble_webhook_inbox', 10, 'bare INSERT into the inbox table, a pool of 10 (the inbox default poolSize)');

  // receive() without, then with, the worker.
  for (const withWorker of [false, true]) {
    const fx = effects();
    const inbox = await openInbox(spec.url, { secrets: [SECRET] });
    if (withWorker) inbox.start(async (d) => fx.record(d.id), { concurrency: spec.concurrency });
    await closedLoop(signed(`lw${withWorker}`).slice(0, spec.warmup), spec.inFlight, (item) => inbox.receive(item));
    if (withWorker) await fx.until(spec.warmup, 60_000);
    const items = signed(`l${withWorker}`);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const closed = await closedLoop(items, spec.inFlight, (item) => inbox.receive(item));
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    steps.push({
      step: withWorker ? `receive(), worker running (concurrency ${spec.concurrency})` : 'receive(), no worker',
      rate: rate(closed), p50: pct(closed.latencies, 50), p99: pct(closed.latencies, 99),
      cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / spec.n, eventLoopUtilization: elu.utilization,
    });
    await inbox.close();
  }

  // The worker alone: N deliveries stored first (no worker), then drained by start({ concurrency }).
  {
    const fx = effects();
    const inbox = await openInbox(spec.url, { secrets: [SECRET] });
    const items = signed('wk');
    await closedLoop(items, spec.inFlight, (item) => inbox.receive(item));
    const before = await dbStatsOf(pg, spec.url);
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    inbox.start(async (d) => fx.record(d.id), { concurrency: spec.concurrency });
    await fx.until(spec.n, 120_000);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await inbox.close();
    await sleep(1100);
    const after = await dbStatsOf(pg, spec.url);
    steps.push({
      step: `worker alone: ${spec.n} stored deliveries drained by start({ concurrency: ${spec.concurrency} })`,
      rate: fx.at.size / seconds, cpuMsPerDelivery: (cpu.user + cpu.system) / 1000 / spec.n,
      note: `${((after.commits - before.commits) / spec.n).toFixed(2)} commits per delivery`,
    });
  }
  return { mode: 'ladder', steps };
}

// ===================================================================================================
// The parent: PostgreSQL, databases, children, the table.
// ===================================================================================================

async function parent() {
  const N = num('n', 3000);
  const IN_FLIGHT = num('in-flight', 32);
  const CONCURRENCY = num('concurrency', 10);
  const RUNS = num('runs', 1);
  const RATE = num('rate', 1000);
  const SECONDS = num('seconds', 10);
  const WARMUP = Number(opt('warmup', 200));
  const PGBOSS_BATCH = num('pgboss-batch', 10);
  const SYSTEMS = opt('systems', 'ours,pgboss,pgboss-poll,graphile,floor').split(',').filter(Boolean);
  const INBOX = opt('inbox', 'coassemble-events/inbox');
  const LATENCY = !flag('no-latency');
  const PEER_LATENCY = LATENCY && !flag('no-peer-latency');
  const base = { pgData: null, n: N, inFlight: IN_FLIGHT, concurrency: CONCURRENCY, rate: RATE, seconds: SECONDS, warmup: WARMUP, pgbossBatch: PGBOSS_BATCH, inbox: INBOX };

  const { startPostgres } = await import('../tests/support/postgres.mjs');
  const { default: pg } = await import('pg');
  const pgServer = await startPostgres();
  base.pgData = join(pgServer.dir, 'data');
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  const version = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  const pgVersion = (await admin.query('SHOW server_version')).rows[0].server_version;
  const settings = Object.fromEntries((await admin.query("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers')")).rows.map((r) => [r.name, r.setting]));
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';

  const lines = [];
  const say = (line = '') => { console.log(line); lines.push(line); };
  const startLoad = loadavg().map((x) => Number(x.toFixed(1)));
  say(`inbox against its peers — ${new Date().toISOString()}`);
  say(`  ${cpuModel}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at start`);
  say(`  Node ${process.version}, PostgreSQL ${pgVersion} (fsync ${settings.fsync}, synchronous_commit ${settings.synchronous_commit}, wal_sync_method ${settings.wal_sync_method}), pg ${version('pg')}, pg-boss ${version('pg-boss')}, graphile-worker ${version('graphile-worker')}`);
  say(`  our inbox: ${INBOX}; N ${N}, ${IN_FLIGHT} in flight, ${CONCURRENCY} handlers, warm-up ${WARMUP}, ${RUNS} run(s); open loop ${RATE}/s for ${SECONDS} s`);
  say(`  pg-boss: new PgBoss(${JSON.stringify(pgbossConstructor(true))}), createQueue({ notify: true }), work(${JSON.stringify(pgbossWork(CONCURRENCY, PGBOSS_BATCH))}); pgboss-poll: the same with useListenNotify and notify false`);
  say(`  graphile-worker: run({ concurrency: ${CONCURRENCY}, preset: { worker: ${JSON.stringify(graphileWorker(CONCURRENCY))} } }), addJob through makeWorkerUtils`);

  let dbCounter = 0;
  const inFreshDatabase = async (label, fn) => {
    const name = `bench_${++dbCounter}_${label.replace(/\W/g, '_')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      return await fn(pgServer.url.replace(/\/[^/]*$/, `/${name}`));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  };
  const profileDir = flag('profile') ? mkdtempSync(join(tmpdir(), 'inbox-peers-prof-')) : null;
  const runChild = (spec) => new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [SELF, '--child'], {
      cwd: ROOT, env: { ...process.env, INBOX_PEERS_SPEC: JSON.stringify(spec) }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => { out += chunk; });
    proc.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (code === 0 && line) resolvePromise(JSON.parse(line.slice(9)));
      else {
        const why = out.split('\n').find((l) => l.startsWith('@@ERROR '))?.slice(8) ?? out.slice(-2000);
        reject(new Error(`${spec.system ?? spec.mode} ${spec.mode} exited ${code}: ${why}`));
      }
    });
  });

  const runJob = async (job, run) => {
    if (job.system === 'ours-sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'inbox-peers-sqlite-'));
      try {
        return await runChild({ ...base, ...job, pgData: null, url: join(dir, 'inbox.sqlite') });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return inFreshDatabase(`${job.system}_${job.mode}`, (url) => runChild({
      ...base, ...job, url,
      // The CPU profile: our inbox's throughput phase of run 1 (its timed phase only).
      profile: profileDir && job.system === 'ours' && job.mode === 'closed' && run === 1 ? join(profileDir, 'ours-throughput.cpuprofile') : null,
    }));
  };

  const results = []; // { run, key, value }
  const raw = [];
  const put = (run, key, value) => { if (Number.isFinite(value)) results.push({ run, key, value }); };
  try {
    for (let run = 1; run <= RUNS; run++) {
      // Rotate the order of the systems (and of the latency phases) from run to run.
      const rot = (list) => list.map((_, i) => list[(i + run - 1) % list.length]);
      const jobs = [
        ...SYSTEMS.map((system) => ({ system, mode: 'closed' })),
        ...(LATENCY ? [
          { system: 'ours', mode: 'open' },
          { system: 'ours-sqlite', mode: 'open' },
          ...(PEER_LATENCY ? SYSTEMS.filter((s) => s === 'pgboss' || s === 'graphile').map((system) => ({ system, mode: 'open' })) : []),
        ] : []),
      ];
      const throughputJobs = rot(jobs.filter((j) => j.mode === 'closed'));
      const latencyJobs = rot(jobs.filter((j) => j.mode === 'open'));
      for (const job of [...throughputJobs, ...latencyJobs]) {
        const started = performance.now();
        let r;
        try {
          r = await runJob(job, run);
        } catch (error) {
          // One system failing (a crash, a timeout) leaves its cells empty; the others still run.
          say(`  [run ${run}] ${job.system} ${job.mode === 'open' ? `at ${RATE}/s` : ''} FAILED: ${String(error.message).split('\n')[0]}`);
          raw.push({ run, ...job, error: String(error.message) });
          continue;
        }
        raw.push({ run, ...r });
        const took = ((performance.now() - started) / 1000).toFixed(1);
        if (job.mode === 'closed') {
          put(run, `${job.system}.intake`, r.intakeRate);
          if (job.system !== 'floor') put(run, `${job.system}.e2e`, r.e2eRate);
          put(run, `${job.system}.cpu`, r.cpuMsPerDelivery);
          put(run, `${job.system}.serverCpu`, r.serverCpuMsPerDelivery);
          if (r.db) put(run, `${job.system}.commits`, r.db.commits / r.n);
          if (r.db) put(run, `${job.system}.walSyncs`, r.db.walSyncs / r.n);
          console.error(`  [run ${run}] ${job.system}: intake ${r.intakeRate.toFixed(0)}/s (p50 ${r.intakeLatency.p50.toFixed(1)} ms, p99 ${r.intakeLatency.p99.toFixed(1)} ms)` +
            `${job.system === 'floor' ? '' : `, end to end ${r.e2eRate.toFixed(0)}/s (${r.handled}/${r.n} handled)`}` +
            `, CPU per delivery ${r.cpuMsPerDelivery.toFixed(3)} ms in Node + ${r.serverCpuMsPerDelivery?.toFixed(3) ?? '?'} ms in PostgreSQL, event loop ${(r.eventLoopUtilization * 100).toFixed(0)}% busy` +
            `${r.db ? `, ${(r.db.commits / r.n).toFixed(2)} commits and ${(r.db.walSyncs / r.n).toFixed(2)} WAL syncs per delivery` : ''} [${took} s, load ${r.loadAverage.toFixed(1)}]`);
        } else {
          const k = job.system === 'ours-sqlite' ? 'sqlite' : job.system;
          put(run, `${k}.open.intakeP99`, r.intake.p99);
          put(run, `${k}.open.e2eP99`, r.e2e.p99);
          put(run, `${k}.open.e2eP50`, r.e2e.p50);
          put(run, `${k}.open.intakeP50`, r.intake.p50);
          put(run, `${k}.open.failed`, r.failed.count);
          console.error(`  [run ${run}] ${job.system} at ${RATE}/s: intake p50 ${r.intake.p50.toFixed(1)} / p99 ${r.intake.p99.toFixed(1)} / max ${r.intake.max.toFixed(1)} ms; ` +
            `end to end p50 ${r.e2e.p50.toFixed(1)} / p99 ${r.e2e.p99.toFixed(1)} / max ${r.e2e.max.toFixed(1)} ms (${r.e2e.done}/${r.offered} handled), offered over ${r.seconds.toFixed(1)} s${r.failed.count ? `, ${r.failed.count} calls FAILED (first: ${r.failed.first})` : ''} [${took} s, load ${r.loadAverage.toFixed(1)}]`);
        }
      }
      // Ratios within a run (same server, same minutes).
      const v = (key) => results.find((x) => x.run === run && x.key === key)?.value;
      const bestPeer = Math.max(...['pgboss', 'pgboss-poll', 'graphile'].map((p) => v(`${p}.e2e`) ?? -Infinity));
      if (Number.isFinite(bestPeer)) put(run, 'ratio.e2eVsPeers', v('ours.e2e') / bestPeer);
      put(run, 'ratio.intakeVsFloor', v('ours.intake') / v('floor.intake'));
      put(run, 'ratio.e2eVsFloor', v('ours.e2e') / v('floor.intake'));
    }
    if (flag('phases')) {
      say('');
      say(`Where our intake's time goes (N ${N}, ${IN_FLIGHT} in flight, one run):`);
      let r = { steps: [] };
      try {
        r = await inFreshDatabase('ladder', (url) => runChild({ ...base, mode: 'ladder', url }));
        raw.push(r);
      } catch (error) {
        say(`  FAILED: ${String(error.message).split('\n')[0]}`);
      }
      for (const s of r.steps) {
        say(`  ${s.step.padEnd(78)} ${s.rate.toFixed(0).padStart(7)}/s` +
          `${s.perDeliveryUs ? `  (${s.perDeliveryUs.toFixed(0)} µs CPU each)` : ''}` +
          `${s.p50 != null ? `  p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms` : ''}` +
          `${s.cpuMsPerDelivery ? `, ${s.cpuMsPerDelivery.toFixed(3)} ms CPU/delivery` : ''}` +
          `${s.eventLoopUtilization != null ? `, event loop ${(s.eventLoopUtilization * 100).toFixed(0)}% busy` : ''}` +
          `${s.note ? `, ${s.note}` : ''}`);
      }
    }
  } finally {
    await admin.end();
    await pgServer.close();
  }

  // ---- the table ----
  const values = (key) => results.filter((x) => x.key === key).map((x) => x.value).sort((a, b) => a - b);
  const median = (xs) => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);
  const fmt = (key, digits = 0, unit = '') => {
    const xs = values(key);
    if (!xs.length) return '—';
    const f = (x) => x.toFixed(digits) + unit;
    return xs.length === 1 ? f(xs[0]) : `${f(median(xs))} [${f(xs[0])}–${f(xs.at(-1))}]`;
  };
  say('');
  say(RUNS > 1 ? `Figures: median [range] of ${RUNS} runs` : 'Figures (one run)');
  const names = { ours: 'our Node inbox', pgboss: `pg-boss ${version('pg-boss')}, NOTIFY`, 'pgboss-poll': `pg-boss ${version('pg-boss')}, polling`, graphile: `graphile-worker ${version('graphile-worker')}`, floor: 'bare INSERT loop (pg)' };
  const cw = 26;
  say(`  ${'system'.padEnd(30)} ${'intake, deliveries/s'.padEnd(cw)} ${'end to end, deliveries/s'.padEnd(cw)}`);
  for (const s of SYSTEMS) {
    say(`  ${names[s].padEnd(30)} ${fmt(`${s}.intake`).padEnd(cw)} ${s === 'floor' ? '(no handler)' : fmt(`${s}.e2e`)}`);
  }
  // Per delivery, over the timed phase. PostgreSQL CPU: its processes' utime + stime from /proc, in
  // 10 ms ticks, so small phases (the floor's, at small N) read low. Commits: this database's
  // xact_commit; WAL syncs: the cluster's wal_sync (fewer syncs than commits is group commit at work).
  say('');
  say(`  ${'per delivery'.padEnd(30)} ${'CPU ms, Node'.padEnd(cw)} ${'CPU ms, PostgreSQL'.padEnd(cw)} ${'commits'.padEnd(cw)} WAL syncs`);
  for (const s of SYSTEMS) {
    say(`  ${names[s].padEnd(30)} ${fmt(`${s}.cpu`, 3).padEnd(cw)} ${fmt(`${s}.serverCpu`, 3).padEnd(cw)} ${fmt(`${s}.commits`, 2).padEnd(cw)} ${fmt(`${s}.walSyncs`, 2)}`);
  }
  if (LATENCY) {
    say('');
    const w = RUNS > 1 ? 52 : 22;
    say(`  ${`at an offered ${RATE}/s (open loop, ${SECONDS} s)`.padEnd(36)} ${'intake p50 / p99, ms'.padEnd(w)} end to end p50 / p99, ms`);
    const lat = [['ours', 'our Node inbox, PostgreSQL'], ['sqlite', 'our Node inbox, SQLite'], ...(PEER_LATENCY ? SYSTEMS.filter((s) => s === 'pgboss' || s === 'graphile').map((s) => [s, names[s]]) : [])];
    for (const [k, label] of lat) {
      const failed = values(`${k}.open.failed`).reduce((a, b) => a + b, 0);
      say(`  ${label.padEnd(36)} ${`${fmt(`${k}.open.intakeP50`, 1)} / ${fmt(`${k}.open.intakeP99`, 1)}`.padEnd(w)} ${fmt(`${k}.open.e2eP50`, 1)} / ${fmt(`${k}.open.e2eP99`, 1)}` +
        `${failed ? `   (${failed} calls failed over all runs: not in the percentiles)` : ''}`);
    }
  }
  say('');
  say('Against the budgets (issue 16)');
  const budget = (label, key, digits, unit, test, limit, aim) => {
    const xs = values(key);
    if (!xs.length) return say(`  ${label.padEnd(58)} —`);
    const m = median(xs);
    const verdict = test(m, aim) ? 'meets the aim' : test(m, limit) ? 'meets the budget' : 'MISSES the budget';
    say(`  ${label.padEnd(58)} ${fmt(key, digits, unit).padEnd(RUNS > 1 ? 30 : 12)} budget ${limit}${unit}, aim ${aim}${unit}: ${verdict}`);
  };
  const atLeast = (x, limit) => x >= limit;
  const atMost = (x, limit) => x <= limit;
  budget('end to end: ours / the best of pg-boss (both) and graphile', 'ratio.e2eVsPeers', 2, '×', atLeast, 1.2, 2);
  budget('intake: ours / bare INSERT loop', 'ratio.intakeVsFloor', 2, '×', atLeast, 0.6, 0.8);
  budget('end to end: ours / bare INSERT loop', 'ratio.e2eVsFloor', 2, '×', atLeast, 0.4, 0.6);
  if (LATENCY) {
    budget(`end to end p99 at ${RATE}/s, PostgreSQL`, 'ours.open.e2eP99', 1, ' ms', atMost, 50, 20);
    budget(`intake p99 at ${RATE}/s, SQLite`, 'sqlite.open.intakeP99', 1, ' ms', atMost, 50, 20);
  }
  say(`  load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}: figures from a machine that is not quiet are lower bounds`);

  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      say('');
      say(`CPU profile of our inbox's timed throughput phase (run 1; open it in Chrome DevTools): ${join(profileDir, file)}`);
      for (const line of summariseProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')))) say(`  ${line}`);
    }
  }
  const jsonPath = opt('json', null);
  if (jsonPath) writeFileSync(isAbsolute(jsonPath) ? jsonPath : resolve(jsonPath), JSON.stringify({ lines, results, raw }, null, 2));
  if (flag('save')) {
    const stat = (key, digits) => {
      const xs = values(key);
      const round = (x) => Number(x.toFixed(digits));
      return xs.length ? { median: round(median(xs)), range: [round(xs[0]), round(xs.at(-1))] } : null;
    };
    const throughput = SYSTEMS.map((s) => ({
      system: s === 'floor' ? `bare INSERT loop, ${IN_FLIGHT} connections` : names[s],
      intake: stat(`${s}.intake`, 0),
      endToEnd: s === 'floor' ? null : stat(`${s}.e2e`, 0),
      cpuMsPerDelivery: { node: stat(`${s}.cpu`, 3)?.median ?? null, postgres: stat(`${s}.serverCpu`, 3)?.median ?? null },
      perDelivery: { commits: stat(`${s}.commits`, 2)?.median ?? null, walSyncs: stat(`${s}.walSyncs`, 2)?.median ?? null },
    }));
    const latencySystems = [['ours', 'our Node inbox, PostgreSQL'], ['sqlite', 'our Node inbox, SQLite (one process)'],
      ...(PEER_LATENCY ? SYSTEMS.filter((s) => s === 'pgboss' || s === 'graphile').map((s) => [s, names[s]]) : [])];
    const latency = LATENCY ? latencySystems.map(([k, system]) => ({
      system,
      intakeMs: { p50: stat(`${k}.open.intakeP50`, 1)?.median, p99: stat(`${k}.open.intakeP99`, 1)?.median, p99Range: stat(`${k}.open.intakeP99`, 1)?.range },
      endToEndMs: { p50: stat(`${k}.open.e2eP50`, 1)?.median, p99: stat(`${k}.open.e2eP99`, 1)?.median, p99Range: stat(`${k}.open.e2eP99`, 1)?.range },
    })) : [];
    const budgetOf = (what, key, unit, op, limit, aim, digits) => {
      const st = stat(key, digits);
      return st && { what, unit, op, budget: limit, aim, measured: st.median, range: st.range, met: op === '≥' ? st.median >= limit : st.median <= limit };
    };
    const budgets = [
      budgetOf('end to end, ours / the best of pg-boss (both settings) and graphile-worker', 'ratio.e2eVsPeers', 'ratio', '≥', 1.2, 2, 2),
      budgetOf('intake, ours / bare INSERT loop', 'ratio.intakeVsFloor', 'ratio', '≥', 0.6, 0.8, 2),
      budgetOf('end to end, ours / bare INSERT loop', 'ratio.e2eVsFloor', 'ratio', '≥', 0.4, 0.6, 2),
      ...(LATENCY ? [
        budgetOf(`end-to-end p99 at ${RATE.toLocaleString('en-US')}/s, PostgreSQL`, 'ours.open.e2eP99', 'ms', '≤', 50, 20, 1),
        budgetOf(`intake p99 at ${RATE.toLocaleString('en-US')}/s, SQLite`, 'sqlite.open.intakeP99', 'ms', '≤', 50, 20, 1),
      ] : []),
    ].filter(Boolean);
    const { saveResults } = await import('./results.mjs');
    const file = saveResults('inbox-peers', `npm run bench:inbox-peers -- ${process.argv.slice(2).join(' ')}`, {
      postgres: `PostgreSQL ${pgVersion} (fsync ${settings.fsync}, synchronous_commit ${settings.synchronous_commit}, wal_sync_method ${settings.wal_sync_method})`,
      load: { deliveries: N, inFlight: IN_FLIGHT, handlers: CONCURRENCY, bodyBytes: 1024, latencyRatePerSecond: RATE, latencySeconds: SECONDS, runs: RUNS,
        loadAverageAtStart: startLoad, loadAverageAtEnd: loadavg().map((x) => Number(x.toFixed(1))) },
      throughput,
      latency,
      budgets,
    });
    say(`Saved: ${file}`);
  }
}

/** Self time of a .cpuprofile by function and by where the code lives, for the report. */
function summariseProfile(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const where = (url) => {
    if (!url) return 'native/V8';
    if (url.includes('/node_modules/pg')) return 'pg driver (JS)';
    if (url.includes('/dist/inbox.js') || url.includes('/js/inbox')) return 'inbox (JS + wasm glue)';
    if (url.includes('wasm')) return 'wasm';
    if (url.startsWith('node:')) return 'Node core';
    if (url.includes('inbox-peers')) return 'bench harness';
    return 'other';
  };
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  // Samples under node:inspector are the profiler's own start: left out.
  const artifact = (id) => {
    for (let x = id; x != null; x = parentOf.get(x)) if (byId.get(x).callFrame.url === 'node:inspector') return true;
    return false;
  };
  for (const id of [...self.keys()]) if (artifact(id)) self.delete(id);
  const byFunction = new Map();
  const byPlace = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    const key = `${name} ${callFrame.url ? `${callFrame.url.replace(/^.*\/(node_modules\/[^/]+|dist|js|bench)\//, '$1/')}:${callFrame.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const place = ['(idle)', '(garbage collector)', '(program)'].includes(name) ? name : where(callFrame.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pctOf = (us) => `${((us / total) * 100).toFixed(1)}%`.padStart(6);
  const out = [`total ${(total / 1000).toFixed(0)} ms sampled; by place:`];
  for (const [k, us] of [...byPlace].sort((a, b) => b[1] - a[1])) out.push(`  ${pctOf(us)} ${k}`);
  out.push('top functions by self time:');
  for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`  ${pctOf(us)} ${k}`);
  return out;
}
