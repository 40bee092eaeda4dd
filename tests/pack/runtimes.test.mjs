// coassemble-events/webhooks in the runtimes where receivers run, from the PACKED package: Node (ESM
// and `require` from CommonJS), Deno, Bun and Cloudflare Workers (workerd, through Miniflare, after an
// esbuild bundle with the `workerd` condition, as wrangler does). Every webhook receiver snippet of the
// docs runs as written: Fetch-style receivers (`export default { fetch }`) in each runtime, Node
// servers (`.listen(…)`) in Node, each sent a signed delivery, its duplicate and a forgery.
//
// The runtimes come from npm (the `deno`, `bun`, `miniflare` and `esbuild` packages ship their
// binaries) and are installed once into ~/.cache/coassemble-events/apps/runtimes (tests/support/consumer.mjs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FREE_PORT_PRELOAD, runnerOf, snippets } from '../support/snippets.mjs';
import { pathToFileURL } from 'node:url';
import {
  cache, installTools, packTarball, removeStaleRuns, repo, run, writeFiles,
} from '../support/consumer.mjs';

const TOOLS = ['deno@2', 'bun@1', 'miniflare@4', 'esbuild@0', 'express@5'];
const SECRET = 'whsec_runtimes_test';
const RUN_TIMEOUT_MS = 60_000;

// ---- the docs' receiver snippets ----

/**
 * The ```js blocks of the docs (README.md, docs/) that verify deliveries in a request handler: the receivers a user
 * copies. `fetch`: a module whose default export has `fetch(request, env)` (Workers syntax; Deno and
 * Bun serve it); `server`: a Node program that starts an HTTP server (node:http, Express, ...).
 */
function readmeReceivers() {
  return snippets().filter((s) => runnerOf(s) === 'receiver')
    .map(({ name, code }) => ({ name, code, kind: /export default|export async function/.test(code) ? 'fetch' : 'server',
      // A file name from the page and line (docs/guide/webhooks.md:65 → docs-guide-webhooks-md-65).
      file: name.replace(/[^\w-]+/g, '-') }));
}

// ---- signed deliveries, as Coassemble sends them ----

function delivery({ secret = SECRET, tamper = false } = {}) {
  const event = `evt_${randomUUID().slice(0, 8)}`;
  const id = randomUUID(); // the delivery id, which retries repeat
  const body = JSON.stringify({
    id: event, type: 'course.completed', occurredAt: '2026-12-01T12:00:00Z', workspaceId: 4321,
    data: {
      course: { id: 981, title: 'Onboarding', key: 'onb-1', clientIdentifier: null },
      tracking: { id: 5551, identifier: 'learner-77', email: null, commenced: '2026-12-01T11:00:00Z',
        completed: '2026-12-01T12:00:00Z', totalTime: 3600 },
    },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
  return {
    id,
    headers: { 'content-type': 'application/json', 'x-coassemble-event': 'course.completed',
      'x-coassemble-delivery': id, 'x-coassemble-timestamp': timestamp, 'x-coassemble-signature': signature },
    body: tamper ? body.replace('Onboarding', 'Onboarding!') : body,
  };
}

/** What every receiver must answer: accepted, the same delivery again, a forged body, a wrong secret. */
function cases() {
  const good = delivery();
  return [
    { what: 'a signed delivery', ...good, status: 200 },
    { what: 'its retry', ...good, status: 200, duplicate: true },
    { what: 'a tampered body', ...delivery({ tamper: true }), status: 401, text: 'bad_signature' },
    { what: 'another secret', ...delivery({ secret: 'whsec_other' }), status: 401, text: 'bad_signature' },
  ];
}

function checkAnswers(answers, sent, where) {
  assert.equal(answers.length, sent.length, `${where}: one answer per request`);
  sent.forEach((c, i) => {
    const got = answers[i];
    assert.equal(got.status, c.status, `${where}, ${c.what}: HTTP ${got.status} ${got.text}`);
    if (c.text) assert.equal(got.text, c.text, `${where}, ${c.what}`);
  });
  assert.notEqual(answers[0].text, answers[1].text, `${where}: the retry is answered as a duplicate`);
}

// Runs the docs' Fetch-style receiver in Node, Deno or Bun: its default export's fetch() gets each
// case as a Request, with env = the secret and an in-memory store of the KV shape (get/put).
const DRIVE = `import receiver from './receiver.mjs';

const stored = new Map();
const env = {
  COASSEMBLE_WEBHOOK_SECRET: ${JSON.stringify(SECRET)},
  DELIVERIES: { get: async (k) => stored.get(k) ?? null, put: async (k, v) => { stored.set(k, v); } },
};
const answers = [];
for (const c of JSON.parse(await new Response(DELIVERIES_SOURCE).text())) {
  const request = new Request('http://receiver.test/webhooks', { method: 'POST', headers: c.headers, body: c.body });
  const response = await receiver.fetch(request, env);
  answers.push({ status: response.status, text: await response.text() });
}
console.log(JSON.stringify({ answers, stored: stored.size }));
`;

// The package API directly, in each runtime: a good delivery verifies, a forged one is a WebhookError.
const API_CHECK = (load) => `${load}
const { good, forged } = JSON.parse(DELIVERIES_SOURCE);
const delivery = verifyWebhook({ headers: good.headers, body: good.body, secrets: [${JSON.stringify(SECRET)}] });
let refused;
try { verifyWebhook({ headers: forged.headers, body: forged.body, secrets: [${JSON.stringify(SECRET)}] }); } catch (e) { refused = e; }
console.log(JSON.stringify({ id: delivery.id, type: delivery.type, title: delivery.event.course.title,
  refused: { code: refused?.code, status: refused?.status, isWebhookError: refused instanceof WebhookError } }));
`;

// ---- the run ----

let toolsDir, dir, tarball;
const bin = (name) => join(toolsDir, 'node_modules/.bin', name);

before(async () => {
  toolsDir = join(cache, 'apps', 'runtimes');
  removeStaleRuns(toolsDir);
  const how = await installTools(toolsDir, TOOLS);
  process.stderr.write(`[runtimes] tools ${how} in ${toolsDir}\n`);
  tarball = await packTarball();
  mkdirSync(join(toolsDir, 'runs'), { recursive: true });
  dir = mkdtempSync(join(toolsDir, 'runs', 'run-'));
  await tarball.extractInto(dir);
  writeFiles(dir, { 'package.json': JSON.stringify({ name: 'receiver', private: true, type: 'module' }, null, 2) });
});

after(() => {
  tarball?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The deliveries as a module-level constant the scripts read (no env or file permissions needed). */
const withDeliveries = (value, code) => `const DELIVERIES_SOURCE = ${JSON.stringify(JSON.stringify(value))};\n${code}`;

const RUNTIMES = {
  node: (file) => [process.execPath, [file]],
  deno: (file) => [bin('deno'), ['run', '--quiet', '--no-prompt', '--allow-read', file]],
  bun: (file) => [bin('bun'), [file]],
};
const RUNTIME_ENV = { DENO_DIR: join(cache, 'deno'), DENO_NO_UPDATE_CHECK: '1', BUN_INSTALL_CACHE_DIR: join(cache, 'bun'),
  NO_COLOR: '1' };

async function runScript(runtime, file) {
  const [cmd, args] = RUNTIMES[runtime](file);
  const { stdout, stderr } = await run(cmd, args, { cwd: dir, timeoutMs: RUN_TIMEOUT_MS, env: RUNTIME_ENV });
  assert.equal(stderr.trim(), '', `${runtime} ${file}: nothing on stderr`);
  return JSON.parse(stdout);
}

describe('the webhooks entry in each runtime', () => {
  const expectApi = (r) => {
    assert.equal(r.type, 'course.completed');
    assert.equal(r.title, 'Onboarding');
    assert.deepEqual(r.refused, { code: 'bad_signature', status: 401, isWebhookError: true });
  };
  const deliveries = () => ({ good: delivery(), forged: delivery({ tamper: true }) });

  for (const runtime of Object.keys(RUNTIMES)) {
    test(`${runtime}: import`, async () => {
      const file = `api-${runtime}.mjs`;
      writeFileSync(join(dir, file), withDeliveries(deliveries(),
        API_CHECK("import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';")));
      expectApi(await runScript(runtime, file));
    });
  }

  test('node: require from CommonJS', async () => {
    writeFileSync(join(dir, 'api.cjs'), withDeliveries(deliveries(),
      API_CHECK("const { verifyWebhook, WebhookError } = require('coassemble-events/webhooks');")));
    expectApi(await runScript('node', 'api.cjs'));
  });

  test('Cloudflare Workers (workerd): bundled with the workerd condition, the wasm precompiled', async () => {
    writeFileSync(join(dir, 'worker-api.mjs'), `import { verifyWebhook, WebhookError } from 'coassemble-events/webhooks';
export default {
  async fetch(request) {
    const c = await request.json();
    ${API_CHECK('').replace('const { good, forged } = JSON.parse(DELIVERIES_SOURCE);', 'const { good, forged } = c;')
    .replace('console.log(JSON.stringify(', 'return Response.json(').replace(/\)\);\n$/, ');\n')}
  },
};
`);
    await withWorker('worker-api.mjs', async (mf) => {
      const response = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: JSON.stringify(deliveries()) });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      expectApi(JSON.parse(text));
    });
  });

  test('Cloudflare Workers without the workerd condition: the inline bytes would be compiled, which Workers refuse', async () => {
    await withWorker('worker-api.mjs', async (mf) => {
      const response = await mf.dispatchFetch('http://worker.test/', { method: 'POST', body: JSON.stringify(deliveries()) });
      const text = await response.text();
      assert.equal(response.status, 500, text);
    }, { conditions: 'worker' }).then(
      () => assert.fail('the worker started'),
      (e) => assert.match(e.runtimeOutput ?? '', /Uncaught CompileError: Wasm code generation disallowed/, String(e)),
    );
  });
});

// Deployed Workers refuse to compile wasm from bytes at run time ("Wasm code generation disallowed by
// embedder"); local workerd does not enforce it. This module, evaluated before the worker's own,
// makes it refuse the same way, so a worker that would compile at run time fails here too.
const NO_RUNTIME_WASM_COMPILE = `const refuse = () => { throw new WebAssembly.CompileError('Wasm code generation disallowed by embedder'); };
WebAssembly.Module = new Proxy(WebAssembly.Module, { construct: refuse });
WebAssembly.compile = async () => refuse();
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = (source, imports) => (source instanceof WebAssembly.Module ? instantiate(source, imports) : refuse());
`;

/**
 * Bundles `entry` as wrangler does (esbuild, `workerd`/`worker` conditions, `.wasm` imports kept as
 * modules) and runs it in workerd through Miniflare, with run-time wasm compilation refused as on
 * Cloudflare; `use(mf)` sends it requests.
 */
async function withWorker(entry, use, { kv = [], bindings = {}, conditions = 'workerd,worker' } = {}) {
  const name = `${entry.replace(/\W/g, '_')}-${conditions.replace(/\W/g, '_')}`;
  const out = join(dir, `out-${name}`);
  writeFileSync(join(dir, 'no-runtime-wasm-compile.mjs'), NO_RUNTIME_WASM_COMPILE);
  writeFileSync(join(dir, `${name}.mjs`), `import './no-runtime-wasm-compile.mjs';\nexport { default } from './${entry}';\n`);
  await run(bin('esbuild'), [`${name}.mjs`, '--bundle', '--format=esm', '--platform=neutral', `--conditions=${conditions}`,
    '--main-fields=module,main', '--loader:.wasm=copy', `--outdir=${out}`, '--log-level=warning'],
  { cwd: dir, timeoutMs: RUN_TIMEOUT_MS });
  const { Miniflare } = await import(pathToFileURL(createRequire(join(toolsDir, 'package.json')).resolve('miniflare')).href);
  let runtimeOutput = '';
  const collect = (stream) => stream.on('data', (d) => { runtimeOutput += d; });
  const mf = new Miniflare({
    handleRuntimeStdio: (stdout, stderr) => { collect(stdout); collect(stderr); },
    modules: true, modulesRoot: out, scriptPath: join(out, `${name}.js`),
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-01-01', kvNamespaces: kv, bindings,
  });
  try {
    await mf.ready;
    await use(mf);
  } catch (e) {
    throw Object.assign(e, { runtimeOutput });
  } finally {
    await mf.dispose().catch(() => {}); // a runtime that failed to start has nothing to dispose
  }
}

describe('every receiver snippet of the docs runs as written', () => {
  const receivers = readmeReceivers();

  test('the docs have receiver snippets (a Fetch-style one and a Node server at least)', () => {
    assert.ok(receivers.some((r) => r.kind === 'fetch'), 'a Fetch-style receiver');
    assert.ok(receivers.some((r) => r.kind === 'server'), 'a Node server receiver');
  });

  for (const receiver of receivers.filter((r) => r.kind === 'fetch')) {
    for (const runtime of Object.keys(RUNTIMES)) {
      test(`${receiver.name} (Fetch-style) in ${runtime}`, async () => {
        const sent = cases();
        writeFileSync(join(dir, 'receiver.mjs'), receiver.code);
        writeFileSync(join(dir, `drive-${runtime}.mjs`), withDeliveries(sent, DRIVE));
        const { answers, stored } = await runScript(runtime, `drive-${runtime}.mjs`);
        checkAnswers(answers, sent, `${receiver.name} in ${runtime}`);
        assert.equal(stored, 1, 'the delivery was stored once');
      });
    }

    test(`${receiver.name} (Fetch-style) in Cloudflare Workers (workerd, a KV namespace)`, async () => {
      const file = `${receiver.file}.mjs`;
      writeFileSync(join(dir, file), receiver.code);
      await withWorker(file, async (mf) => {
        const sent = cases();
        const answers = [];
        for (const c of sent) {
          const response = await mf.dispatchFetch('http://worker.test/webhooks', { method: 'POST', headers: c.headers, body: c.body });
          answers.push({ status: response.status, text: await response.text() });
        }
        checkAnswers(answers, sent, `${receiver.name} in workerd`);
        const kv = await mf.getKVNamespace('DELIVERIES');
        assert.notEqual(await kv.get(sent[0].id), null, 'stored in KV before the 2xx');
      }, { kv: ['DELIVERIES'], bindings: { COASSEMBLE_WEBHOOK_SECRET: SECRET } });
    });
  }

  for (const receiver of receivers.filter((r) => r.kind === 'server')) {
    test(`${receiver.name} (a Node server) in Node`, async () => {
      const file = `${receiver.file}.mjs`;
      writeFileSync(join(dir, file), receiver.code);
      await withNodeServer(file, async (origin, output) => {
        const sent = cases();
        const answers = [];
        for (const c of sent) {
          const response = await fetch(`${origin}/webhooks`, { method: 'POST', headers: c.headers, body: c.body })
            .catch((e) => { throw new Error(`${c.what}: ${e.cause?.message ?? e.message}\n${output()}`); });
          answers.push({ status: response.status, text: await response.text() });
        }
        checkAnswers(answers, sent, receiver.name);
        assert.doesNotMatch(output(), /Error|ReferenceError|Unhandled/i, `${receiver.name} logged an error:\n${output()}`);
      });
    });
  }
});

async function withNodeServer(file, use) {
  writeFileSync(join(dir, 'free-port.mjs'), FREE_PORT_PRELOAD);
  const stateDir = mkdtempSync(join(dir, 'state-'));
  const child = spawn(process.execPath, ['--import', './free-port.mjs', file], {
    cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, COASSEMBLE_WEBHOOK_SECRET: SECRET, DATA_DIR: stateDir },
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file} did not listen within 20 s:\n${output}`)), 20_000);
      const check = () => {
        const m = /listening on (\d+)/.exec(output);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      };
      child.stdout.on('data', check);
      child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${file} exited with ${code}:\n${output}`)); });
    });
    await use(`http://127.0.0.1:${port}`, () => output);
    assert.equal(child.exitCode, null, `${file} is still running after the deliveries:\n${output}`);
  } finally {
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    await exited;
    rmSync(stateDir, { recursive: true, force: true });
  }
}
