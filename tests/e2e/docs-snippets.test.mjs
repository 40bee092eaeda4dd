// The docs' snippets that no other suite runs, run as written (tests/support/snippets.mjs `runnerOf`):
// - page snippets: bundled by esbuild against the built package (dist/, through package.json
//   "exports"), loaded in a real Chromium page on a loopback host that serves the endpoints they call
//   (/api/coassemble/embed-url and edit-url mint emulator URLs of coassemble-events/testing on their own
//   origin, /api/drafts stores drafts), and checked for their effect (the bar reaches 100, the draft is
//   stored, the session is renewed...) with no page error, console error or warning;
// - other snippets: run by Node, with signed deliveries where they verify webhooks.
// Every snippet must meet at least one check of its effect, and every `no-run` block says why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { startEmulators, startPlatform, testWebhookCases } from 'coassemble-events/testing';
import { launchBrowser } from '../support/browser.mjs';
import { startServers } from '../support/server.mjs';
import { ROOT, runnerOf, snippets, stripTypes } from '../support/snippets.mjs';

const CODE = new Set(['ts', 'js']);
const blocks = snippets().filter((s) => CODE.has(s.lang));
const page = blocks.filter((s) => runnerOf(s) === 'page');
const node = blocks.filter((s) => runnerOf(s) === 'node');
// Inside the repository: `coassemble-events/...` resolves to this package, and the host serves it.
const DIR = join(ROOT, 'target', 'docs-snippets');
const SECRET = 'whsec_docs_snippets';

const HTML = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>snippet</title>
<div id="course"></div><progress id="bar" max="100" value="0"></progress><div id="builder"></div><p id="save-status"></p>
<script type="module" src="bundle.js"></script>\n`;

let emulators, servers, browser;
const calls = { embed: 0, edit: 0 };
const drafts = [];

before(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  emulators = await startEmulators();
  const text = (res, body) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  // The host app's server, as the snippets expect it: it mints (emulator) URLs and stores drafts.
  servers = await startServers({ routes: {
    '/api/coassemble/embed-url': (req, res) => {
      calls.embed++;
      text(res, emulators.playerUrl({ parent: servers.host,
        events: [{ type: 'course', event: 'progress', data: { progress: 50 } }, 'course:completed'] }));
    },
    '/api/coassemble/edit-url': (req, res) => {
      calls.edit++;
      text(res, emulators.builderUrl({ parent: servers.host,
        events: [{ type: 'course', event: 'updated', data: { id: 981, title: 'Onboarding' } }] }));
    },
    '/api/drafts': (req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => { drafts.push(JSON.parse(body)); res.writeHead(204).end(); });
    },
  } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await servers?.close();
  await emulators?.close();
});

test('every ts/js snippet of the docs is run by a suite; the few no-run ones say why', () => {
  assert.ok(page.length >= 6 && node.length >= 2, `${page.length} page and ${node.length} node snippets: the extraction is broken`);
  const noRun = blocks.filter((s) => runnerOf(s) === 'no-run');
  assert.ok(noRun.length <= 4, `${noRun.map((s) => s.name).join(', ')}: run them`);
  for (const s of noRun) {
    const before = readFileSync(join(ROOT, s.file), 'utf8').split('\n').slice(0, s.line - 1).join('\n');
    assert.match(before, /<!-- no-run: [^>]{10,} -->\s*$/, `${s.name}: a no-run block needs <!-- no-run: why --> right above it`);
  }
});

// ---- page snippets ----

/** What a page snippet does, checked once it has run: each applies to the snippets `when` matches. */
const PAGE_EFFECTS = [
  { what: 'the progress bar reaches 100 after a completion at 50',
    when: /bar\.value = e\.progress/,
    check: (p) => p.waitForFunction(() => document.querySelector('#bar').value === 100) },
  { what: 'the completion is marked on the bar',
    when: /bar\.dataset\.completed/,
    check: (p) => p.waitForFunction(() => document.querySelector('#bar').dataset.completed === 'true') },
  { what: 'the progress is kept in localStorage',
    when: /localStorage\.setItem\('progress:981'/,
    check: (p) => p.waitForFunction(() => localStorage.getItem('progress:981') === '100') },
  { what: 'an expired session is renewed with a freshly minted URL',
    when: /renewUrl:/,
    check: async (p, { logs, before }) => {
      await p.evaluate((origin) => document.querySelector('#course iframe').contentWindow
        .postMessage({ coassembleEmulator: 'expire' }, origin), emulators.origin);
      await until(() => logs.includes('session renewed'), 'session:renewed');
      assert.equal(calls.embed - before.embed, 2, 'minted once to embed, once to renew');
    } },
  { what: 'the builder\'s draft is stored by /api/drafts',
    when: /autosave\((?![^]*saver\.stop\(\))/,
    check: async (p, { logs, before }) => {
      await until(() => logs.some((l) => /^saved revision \d+$/.test(l)), 'a saved draft');
      const stored = drafts.slice(before.drafts);
      assert.equal(stored.length, 1, JSON.stringify(stored));
      assert.equal(stored[0].courseId, 981);
      assert.equal(stored[0].title, 'Onboarding');
    } },
  { what: 'autosave stops with every draft it saw stored',
    when: /saver\.stop\(\)/,
    check: async (p, { logs }) => assert.ok(logs.includes('everything saved'), logs.join('\n')) },
  { what: 'the attached iframe loads the minted URL and becomes ready',
    when: /attachCourse\(/,
    check: async (p) => assert.match(await p.locator('#course iframe').getAttribute('src'), /\/player/) },
  { what: 'destroy() removes the course iframe; the builder is ready',
    when: /course\.destroy\(\)/,
    check: async (p, { logs }) => {
      assert.equal(await p.locator('#course iframe').count(), 0);
      assert.equal(await p.locator('#builder iframe').count(), 1);
      assert.ok(logs.includes('session:ready') && logs.includes('completed') === false, logs.join('\n'));
    } },
  { what: 'the <coassemble-course> element embeds the minted URL, reports progress and becomes ready',
    when: /createElement\('coassemble-course'\)/,
    check: async (p, { logs }) => {
      await until(() => logs.includes('ready at 0'), 'ready()');
      assert.match(await p.locator('coassemble-course iframe').getAttribute('src'), /\/player/);
      await until(() => logs.includes('progress 50'), 'a course-progress event');
    } },
  { what: 'ready() resolves: no timeout or origin_mismatch is reported',
    when: /origin_mismatch/,
    check: async (p) => assert.equal(await p.locator('#course iframe').count(), 1) },
];

/** Polls `condition` (state the page reports through the console) for up to 30 s. */
async function until(condition, what) {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

page.forEach((s, i) => {
  test(`${s.name}: runs in a page with the emulators`, async () => {
    const effects = PAGE_EFFECTS.filter((e) => e.when.test(s.code));
    assert.ok(effects.length > 0, `${s.name}: no check of what this snippet does: add one to PAGE_EFFECTS`);
    const dir = join(DIR, `page-${i}`);
    mkdirSync(dir, { recursive: true });
    // The snippet as its page's module; the line added runs once it has finished (top-level awaits
    // included). One module, not an import of it: package.json's "sideEffects": false would drop that.
    writeFileSync(join(dir, `snippet.${s.lang}`), `${s.code};globalThis.snippetDone = true;\n`);
    await build({ entryPoints: [join(dir, `snippet.${s.lang}`)], bundle: true, format: 'esm', platform: 'browser',
      target: 'es2022', outfile: join(dir, 'bundle.js'), logLevel: 'silent' });
    writeFileSync(join(dir, 'index.html'), HTML);

    const tab = await browser.newPage();
    try {
      const logs = [];
      const problems = [];
      tab.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
        else logs.push(m.text());
      });
      tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      const before = { ...calls, drafts: drafts.length };
      await tab.goto(`${servers.host}/target/docs-snippets/page-${i}/index.html`);
      await tab.waitForFunction(() => window.snippetDone === true || null, null, { timeout: 30_000 })
        .catch((e) => { throw new Error(`the snippet did not finish: ${problems.join('\n')}\n${e.message}`); });
      for (const effect of effects) {
        await effect.check(tab, { logs, before }).catch((e) => {
          throw new Error(`${effect.what}: ${e.message}\n${[...problems, ...logs].join('\n')}`);
        });
      }
      assert.deepEqual(problems, []);
    } finally {
      await tab.close();
    }
  });
});

// ---- node snippets ----

/** Runs `file` with Node; resolves to its exit code and output. */
function runNode(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill(), 30_000);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

const NODE_EFFECTS = [
  { what: 'the emulators start, give a player and a builder URL on their origin, and close',
    when: /startEmulators\(/,
    check: async (file) => {
      const { code, stdout, stderr } = await runNode(file);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, '');
      assert.match(stdout, /^http:\/\/127\.0\.0\.1:\d+\/\S*player\S* http:\/\/127\.0\.0\.1:\d+\/\S*builder\S*\n$/);
    } },
  { what: 'check() accepts signed deliveries and refuses the rest with the status and code to answer',
    when: /export function check\(/,
    check: async (file) => {
      const { check } = await import(pathToFileURL(file));
      for (const c of testWebhookCases(SECRET)) {
        const answer = check(new Headers(c.headers), new TextEncoder().encode(c.body), SECRET, 'whsec_old');
        if (c.expected.startsWith('200')) assert.doesNotMatch(answer, /^\d{3} /, c.name);
        else assert.equal(answer, c.expected, c.name);
        if (c.name === 'valid delivery') assert.match(answer, /^\S+ completed \S/, c.name);
      }
    } },
  { what: 'importing the elements in Node (server rendering) registers nothing and throws nothing',
    when: /^import 'coassemble-events\/elements';[^\n]*\n$/,
    check: async (file) => {
      const { code, stdout, stderr } = await runNode(file);
      assert.equal(code, 0, stderr);
      assert.equal(`${stdout}${stderr}`, '');
    } },
  { what: "a SvelteKit load() mints a player URL through the Headless API (the platform emulator's)",
    when: /export async function load\(/,
    check: async (file) => {
      const platform = await startPlatform();
      try {
        process.env.COASSEMBLE_API_KEY = platform.apiKey;
        process.env.COASSEMBLE_API_BASE_URL = platform.baseUrl;
        const { load } = await import(pathToFileURL(file));
        const data = await load();
        assert.equal(data.progress, 0);
        assert.ok(data.signedUrl.startsWith(`${platform.baseUrl}/embed/view/`), data.signedUrl);
      } finally {
        delete process.env.COASSEMBLE_API_KEY;
        delete process.env.COASSEMBLE_API_BASE_URL;
        await platform.close();
      }
    } },
];

node.forEach((s, i) => {
  test(`${s.name}: runs in Node`, async () => {
    const effects = NODE_EFFECTS.filter((e) => e.when.test(s.code));
    assert.ok(effects.length > 0, `${s.name}: no check of what this snippet does: add one to NODE_EFFECTS`);
    const file = join(DIR, `node-${i}.mjs`);
    writeFileSync(file, s.lang === 'ts' ? stripTypes(s.code) : s.code);
    for (const effect of effects) {
      await effect.check(file).catch((e) => { throw new Error(`${effect.what}: ${e.message}`); });
    }
  });
});
