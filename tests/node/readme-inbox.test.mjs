// The docs' inbox receivers run as written: each ```js/```ts block (README.md, docs/) that calls
// openInbox( and starts a server (node:http, Express, Fastify) or exports a Fetch handler (Hono's
// `export default app`, a Next.js route's `POST`, served here by node:http) is run as a program (from
// inside the repository, so `coassemble-events/inbox` resolves to this package) on a fresh SQLite
// file, and must store, dedupe and refuse real deliveries, and process them when it starts a worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signedDelivery } from '../support/deliveries.mjs';
import { FREE_PORT_PRELOAD, runnerOf, snippets as docSnippets, stripTypes } from '../support/snippets.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'whsec_readme_inbox';

const snippets = docSnippets().filter((s) => ['js', 'ts'].includes(s.lang) && runnerOf(s) === 'inbox');

// A Fetch-style receiver (a module exporting `default.fetch` or `POST`) behind node:http.
const SERVE_FETCH = `import { createServer } from 'node:http';
import * as receiver from './receiver.mjs';
const handle = receiver.POST ?? ((request) => receiver.default.fetch(request));
createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const response = await handle(new Request(\`http://127.0.0.1\${req.url}\`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) }));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
}).listen(3000);
`;

test('the docs have inbox receiver snippets (node:http, Express, Fastify, Hono, a Next.js route)', () => {
  for (const shape of ['createServer(', 'express()', 'Fastify(', 'new Hono(', 'export async function POST']) {
    assert.ok(snippets.some((s) => s.code.includes(shape)), shape);
  }
});

snippets.forEach(({ name, code, lang }) => {
  test(`${name}: the inbox receiver stores, dedupes and refuses (and processes, with a worker)`, async (t) => {
    mkdirSync(join(repo, 'target'), { recursive: true });
    const dir = mkdtempSync(join(repo, 'target', 'readme-inbox-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'free-port.mjs'), FREE_PORT_PRELOAD);
    // A ```ts receiver runs as the JavaScript TypeScript emits for it (Node 20 runs no TypeScript).
    writeFileSync(join(dir, 'receiver.mjs'), lang === 'ts' ? stripTypes(code) : code);
    const fetchStyle = /export default|export async function POST/.test(code);
    if (fetchStyle) writeFileSync(join(dir, 'serve.mjs'), SERVE_FETCH);
    const child = spawn(process.execPath, ['--import', './free-port.mjs', fetchStyle ? 'serve.mjs' : 'receiver.mjs'], {
      cwd: dir,
      env: { ...process.env, COASSEMBLE_WEBHOOK_SECRET: SECRET, DATABASE_URL: join(dir, 'inbox.sqlite') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    t.after(async () => {
      child.kill();
      await exited;
    });
    const until = async (what, condition) => {
      const deadline = Date.now() + 30_000;
      while (!condition()) {
        if (child.exitCode !== null) throw new Error(`the snippet exited (${child.exitCode}):\n${output}`);
        if (Date.now() > deadline) throw new Error(`${what} within 30 s:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await until('listening', () => /listening on \d+/.test(output));
    const url = `http://127.0.0.1:${/listening on (\d+)/.exec(output)[1]}/webhooks`;
    const post = async (d) => {
      const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
      return [res.status, await res.json()];
    };

    const d = signedDelivery({ secret: SECRET });
    assert.deepEqual(await post(d), [200, { status: 'stored', id: d.id }]);
    assert.deepEqual(await post(d), [200, { status: 'duplicate', id: d.id }]);
    const forged = { ...d, body: d.body.replace('Onboarding', 'Onboarding!') };
    assert.equal((await post(forged))[1].code, 'bad_signature');
    if (code.includes('.start(')) await until('the handler ran', () => output.includes(d.id));
    assert.doesNotMatch(output, /Error/, output);
  });
});
