// Intake throughput of the Node inbox: verify + durable store per delivery, in one process (no HTTP).
//
//   node bench/node-inbox-intake.mjs [deliveries per run, default 2000]
//     SQLite (a temp file; WAL, synchronous=FULL): 1, 16 and 64 deliveries in flight, then a paced
//     run at 1,000 deliveries/s (its p99 is the issue-16 budget: <= 50 ms).
//   COASSEMBLE_TEST_POSTGRES_URL=postgres://… node bench/node-inbox-intake.mjs [n]
//     (or under `bash scripts/postgres.sh run`): PostgreSQL, 32 in flight, against the bare loop of
//     single-row `INSERT … ON CONFLICT DO NOTHING` through pg (32 in flight on 32 connections, same
//     durability: autocommit, synchronous_commit on); intake alone and end to end (stored and
//     processed by a worker in the same process); then end to end paced at 1,000 deliveries/s.
// Group commit is what these rows show: intakes that arrive during a commit share the next one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openInbox } from 'coassemble-events/inbox';
import { signedDelivery } from '../tests/support/deliveries.mjs';

const count = Number(process.argv[2] ?? 2000);
const SECRET = 'whsec_bench';
const POSTGRES = process.env.COASSEMBLE_TEST_POSTGRES_URL;

const at = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);

/** Runs `one(i)` for i < n with `inFlight` at once, or paced at `rate`/s; returns rate and latencies. */
async function drive(n, one, { inFlight = 32, rate = null } = {}) {
  const latencies = [];
  const started = performance.now();
  if (rate) {
    const all = [];
    for (let i = 0; i < n; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      all.push(one(i).then((ms) => latencies.push(ms)));
    }
    await Promise.all(all);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < n) latencies.push(await one(next++));
    }));
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, p50: at(latencies, 0.5), p99: at(latencies, 0.99) };
}

const row = (label, r) => console.log(`${label.padEnd(44)} ${r.perSecond.toFixed(0).padStart(6)} /s   p50 ${r.p50} ms   p99 ${r.p99} ms`);

async function intakeRun(inbox, deliveries, options) {
  return drive(deliveries.length, async (i) => {
    const t = performance.now();
    const answer = await inbox.receive(deliveries[i]);
    if (answer.status !== 200) throw new Error(`answered ${answer.status}`);
    return performance.now() - t;
  }, options);
}

const fresh = (n) => Array.from({ length: n }, () => signedDelivery({ secret: SECRET }));

if (!POSTGRES) {
  for (const inFlight of [1, 16, 64]) {
    const dir = mkdtempSync(join(tmpdir(), 'inbox-intake-bench-'));
    const inbox = await openInbox(join(dir, 'inbox.sqlite'), { secrets: [SECRET] });
    row(`sqlite intake, ${inFlight} in flight`, await intakeRun(inbox, fresh(count), { inFlight }));
    await inbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(tmpdir(), 'inbox-intake-bench-'));
  const inbox = await openInbox(join(dir, 'inbox.sqlite'), { secrets: [SECRET] });
  row('sqlite intake, paced at 1,000/s', await intakeRun(inbox, fresh(count), { rate: 1000 }));
  await inbox.close();
  rmSync(dir, { recursive: true, force: true });
} else {
  const database = async (name) => {
    const admin = new pg.Client({ connectionString: POSTGRES });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(POSTGRES);
    url.pathname = `/${name}`;
    return url.href;
  };
  for (let round = 1; round <= 2; round++) {
    // The bare loop: one INSERT … ON CONFLICT DO NOTHING per delivery (1 KB rows), 32 connections.
    const bareUrl = await database('bench_bare');
    const pool = new pg.Pool({ connectionString: bareUrl, max: 32 });
    await pool.query('CREATE TABLE bare (id TEXT PRIMARY KEY, body BYTEA NOT NULL)');
    const body = Buffer.alloc(1000, 120);
    const ids = fresh(count).map((d) => d.id);
    const bare = await drive(count, async (i) => {
      const t = performance.now();
      await pool.query({ name: 'bare', text: 'INSERT INTO bare VALUES ($1, $2) ON CONFLICT DO NOTHING', values: [ids[i], body] });
      return performance.now() - t;
    });
    await pool.end();
    row(`[${round}] bare INSERT loop, 32 in flight`, bare);

    const url = await database('bench_inbox');
    const inbox = await openInbox(url, { secrets: [SECRET], poolSize: 10 });
    const intake = await intakeRun(inbox, fresh(count));
    row(`[${round}] inbox intake, 32 in flight`, intake);
    console.log(`[${round}] intake / bare: ${(intake.perSecond / bare.perSecond).toFixed(2)}x`);

    // End to end: stored and processed (a worker in the same process, concurrency 32).
    let processed = 0;
    let allDone;
    const done = new Promise((resolve) => (allDone = resolve));
    const worker = inbox.start(async () => {
      if (++processed === count * 2) allDone();
    }, { concurrency: 32, pollMs: 100 });
    processed = count; // the intake-only run's deliveries are processed first: count them too
    const started = performance.now();
    await intakeRun(inbox, fresh(count));
    await done;
    const e2e = { perSecond: count / ((performance.now() - started) / 1000) };
    console.log(`[${round}] end to end: ${e2e.perSecond.toFixed(0)} /s, / bare: ${(e2e.perSecond / bare.perSecond).toFixed(2)}x`);
    await worker.stop();
    await inbox.close();
  }
  // End-to-end latency at 1,000 deliveries/s: from receive() to the handler's start.
  const url = await database('bench_paced');
  const inbox = await openInbox(url, { secrets: [SECRET] });
  const sentAt = new Map();
  const latencies = [];
  const worker = inbox.start(async (d) => {
    latencies.push(performance.now() - sentAt.get(d.id));
  }, { concurrency: 32, pollMs: 100 });
  const deliveries = fresh(count);
  const intake = await drive(count, async (i) => {
    const t = performance.now();
    sentAt.set(deliveries[i].id, t);
    await inbox.receive(deliveries[i]);
    return performance.now() - t;
  }, { rate: 1000 });
  while (latencies.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
  latencies.sort((a, b) => a - b);
  row('postgres intake, paced at 1,000/s', intake);
  console.log(`postgres end to end (receive -> handler), paced at 1,000/s: p50 ${at(latencies, 0.5)} ms, p99 ${at(latencies, 0.99)} ms`);
  await worker.stop();
  await inbox.close();
}
