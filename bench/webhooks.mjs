// Webhook verification throughput on 1 KB bodies: the package's verifyWebhook (Rust in wasm) against
// Node's crypto.createHmac + timingSafeEqual, and native Rust (examples/bench_webhook.rs). Prints
// figures only; no timed assertions.
//
//   npm run bench:webhooks            all three (builds the native example once, with opt-level 3)
//   npm run bench:webhooks -- --no-native
//   node bench/webhooks.mjs --save    also write bench/results/webhooks.json (what the docs print)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { verifyWebhook } from 'coassemble-events/webhooks';
import { saveResults } from './results.mjs';

if (process.argv.includes('--save') && process.argv.includes('--no-native')) {
  throw new Error('--save writes every row the docs print, the native ones too: drop --no-native');
}
const SECRET = 'whsec_bench_0123456789';
const TIMESTAMP = 1763900000;

// The same 1024-byte course.completed body as examples/bench_webhook.rs.
const head = '{"id":"evt_bench","type":"course.completed","occurredAt":"2025-11-23T12:13:20Z","workspaceId":4321,"data":{"course":{"id":981,"title":"';
const tail = '","key":"onb-1","clientIdentifier":"acme-onb"},"tracking":{"id":5551,"identifier":"learner-77","email":"sam@example.com","commenced":"2025-11-23T11:00:00Z","completed":"2025-11-23T12:13:00Z","totalTime":4380}}}';
const body = Buffer.from(head + 'x'.repeat(1024 - head.length - tail.length) + tail);
if (body.length !== 1024) throw new Error(`body is ${body.length} bytes`);
const signature = 'sha256=' + createHmac('sha256', SECRET).update(`${TIMESTAMP}.`).update(body).digest('hex');
// As node:http delivers them: lowercase names, plus the usual other headers.
const headers = {
  host: 'example.com', 'user-agent': 'Coassemble-Webhooks', 'content-type': 'application/json',
  'content-length': '1024', 'x-coassemble-event': 'course.completed',
  'x-coassemble-delivery': '3f8a2c1e-1b7d-4c55-9a3e-0c2f6e7d8a90',
  'x-coassemble-timestamp': String(TIMESTAMP), 'x-coassemble-signature': signature,
};

function nodeVerify(parse) {
  const ts = headers['x-coassemble-timestamp'];
  const given = Buffer.from(headers['x-coassemble-signature'].slice(7), 'hex');
  const expected = createHmac('sha256', SECRET).update(`${ts}.`).update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('bad signature');
  return parse ? JSON.parse(body) : true;
}

// Wall-clock rate, and the rate per CPU-second of this process: steadier on a machine shared with
// other work (the loop is single-threaded either way).
function rate(name, op) {
  for (let i = 0; i < 2000; i++) op();
  let n = 0;
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < 2) {
    for (let i = 0; i < 1000; i++) op();
    n += 1000;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const fmt = (x) => Math.round(x).toString().padStart(12);
  console.log(`${name.padEnd(48)} ${fmt(n / elapsed)} ops/s ${fmt(n / cpuSeconds)} ops/CPU-s`);
  return Math.round(n / elapsed);
}

// What --save writes: the docs' row names, each with this run's ops/s as its range.
const rows = [];
const row = (what, ops) => rows.push({ what, range: [ops, ops] });

console.log(`webhook verification, 1 KB body — ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString()}`);
row('verifyWebhook (Rust in wasm: headers, HMAC, lenient JSON view to a JS object)',
  rate('verifyWebhook (wasm: HMAC + JSON → JS object)', () => verifyWebhook({ headers, body, secrets: [SECRET], now: TIMESTAMP })));
row('Node createHmac + timingSafeEqual (signature only)', rate('node createHmac + timingSafeEqual', () => nodeVerify(false)));
row('Node createHmac + timingSafeEqual + JSON.parse', rate('node createHmac + timingSafeEqual + JSON.parse', () => nodeVerify(true)));

if (!process.argv.includes('--no-native')) {
  // The crate's release profile is tuned for wasm size (opt-level "z"); a Rust server builds with 3.
  const run = spawnSync('cargo', ['run', '--quiet', '--release', '--example', 'bench_webhook', '--features', 'webhook'], {
    stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
    env: { ...process.env, CARGO_PROFILE_RELEASE_OPT_LEVEL: '3' },
  });
  process.stdout.write(run.stdout ?? '');
  if (run.status !== 0) console.log('(native Rust bench did not run: is cargo installed?)');
  const native = (name) => Number(new RegExp(`^${name.replace(/[()+]/g, '\\$&')}\\s+(\\d+) ops/s$`, 'm').exec(run.stdout ?? '')?.[1]);
  row('native Rust webhook::verify (headers, HMAC, lenient typed decode)', native('rust verify (HMAC + JSON decode)'));
  row('native Rust HMAC-SHA256 alone (webhook::sign)', native('rust HMAC-SHA256 only (sign)'));
}

if (process.argv.includes('--save')) {
  const missing = rows.filter((r) => !Number.isFinite(r.range[0])).map((r) => r.what);
  if (missing.length) throw new Error(`not saved: no figure for ${missing.join(', ')}`);
  const args = process.argv.slice(2).join(' ');
  console.log(`\nwrote ${saveResults('webhooks', `node bench/webhooks.mjs ${args}`, { opsPerSecond: rows })}`);
}
