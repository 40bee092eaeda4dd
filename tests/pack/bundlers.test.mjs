// The PACKED npm package where users put it: `npm pack` of the repo, installed into a consumer app
// outside the repo, and the README's snippet run in headless Chromium through the Vite dev server, a
// Vite production build, a webpack 5 production build and a plain ES-module page with an import map;
// plus the Node (SSR) import of both entry points and a TypeScript consumer (moduleResolution
// "bundler", "nodenext" and "node10") type-checking the README's TS snippet against the packed .d.ts.
//
// The consumer's tools (vite 8, webpack 5, webpack-cli) are installed once into
// ~/.cache/coassemble-events/consumer-app and reused (see tests/support/consumer.mjs); each run works in its own app directory under it (runs/<random>/, removed afterwards), into
// whose node_modules the fresh tarball is extracted, so concurrent runs do not disturb each other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';
import { startServers } from '../support/server.mjs';
import {
  cache, installTools, packTarball, removeStaleRuns, repo, run, serveStatic, writeFiles,
} from '../support/consumer.mjs';

const appDir = join(cache, 'consumer-app');
// What the consumer app installs; changing it reinstalls.
const TOOLS = ['vite@^8', 'webpack@^5', 'webpack-cli@^6'];
const PAGE_TIMEOUT_MS = 20_000;

// ---- the consumer app (one per run) ----

// "bundler": Vite/webpack TypeScript apps (what the README's TS snippet is for); "nodenext": Node
// servers importing coassemble-events/webhooks; "node10" (alias "node"): older apps, e.g. Next.js <= 13
// and many CRA/Nest configs, which ignore "exports" and need "typesVersions" for the subpath.
const TS_RESOLUTIONS = {
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
  node10: { module: 'esnext', moduleResolution: 'node10' },
};

const HEAD = '<meta charset="utf-8"><link rel="icon" href="data:,"><title>consumer</title>';
const BODY = '<div id="course" style="height: 300px"></div><progress id="bar" max="100" value="0"></progress>';
const FILES = {
  'package.json': JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  // The README's snippet. The "signed URL" is the embed stand-in on the second origin, told to post
  // session:ready to this page; `?frame=` gives that origin.
  'src/main.js': `import { embedCourse } from 'coassemble-events';
// Not in the README's snippet: a registering import, kept by every bundler (package.json sideEffects).
import 'coassemble-events/elements';

const frameOrigin = new URLSearchParams(location.search).get('frame');
const signedUrl = \`\${frameOrigin}/tests/browser/fixtures/frame.html?ready=1&parent=\${encodeURIComponent(location.origin)}\`;
const bar = document.querySelector('#bar');
window.progressSeen = [];

const course = await embedCourse(document.querySelector('#course'), signedUrl);
course.on('course:progress', (e) => { bar.value = e.progress; window.progressSeen.push(e.progress); });
course.on('course:completed', () => console.log('completed'));
course.on('error', (err) => console.error('coassemble-events error', err.code, err.message));
await course.ready();
window.course = course;
document.title = 'ready';
`,
  // Vite (dev and build) and its production output in dist-vite/.
  'index.html': `<!doctype html>${HEAD}${BODY}<script type="module" src="/src/main.js"></script>\n`,
  'vite.config.mjs': `export default { base: './', logLevel: 'warn', clearScreen: false,
  build: { outDir: 'dist-vite', emptyOutDir: true } };\n`,
  'vite-api.mjs': "export { createServer } from 'vite';\n",
  // webpack 5 production build into dist-webpack/ (the page is written by hand: no plugins).
  'webpack.config.mjs': `import { fileURLToPath } from 'node:url';
export default {
  mode: 'production', entry: './src/main.js', devtool: false,
  output: { path: fileURLToPath(new URL('dist-webpack', import.meta.url)), filename: 'main.js', clean: true },
};
`,
  'webpack-page.html': `<!doctype html>${HEAD}${BODY}<script defer src="main.js"></script>\n`,
  // No bundler: the README's import map pointing at the installed package.
  'plain/index.html': `<!doctype html>${HEAD}
<script type="importmap">
  { "imports": { "coassemble-events": "/node_modules/coassemble-events/dist/index.js",
    "coassemble-events/elements": "/node_modules/coassemble-events/dist/elements.js" } }
</script>
${BODY}<script type="module" src="/src/main.js"></script>\n`,
  // Server-side rendering: every entry point imports in Node, from the consumer's node_modules.
  'ssr-check.mjs': `const sdk = await import('coassemble-events');
const hooks = await import('coassemble-events/webhooks');
const drafts = await import('coassemble-events/autosave');
const noDom = await sdk.embedCourse({}, 'https://x.test/').then(() => null, (e) => e);
let refused;
try { hooks.verifyWebhook({ headers: {}, body: '{}', secrets: 'whsec_x' }); } catch (e) { refused = e; }
console.log(JSON.stringify({
  resolved: import.meta.resolve('coassemble-events'),
  resolvedWebhooks: import.meta.resolve('coassemble-events/webhooks'),
  resolvedAutosave: import.meta.resolve('coassemble-events/autosave'),
  sdk: Object.keys(sdk).sort(), webhooks: Object.keys(hooks).sort(), autosave: Object.keys(drafts),
  verifyWebhook: typeof hooks.verifyWebhook,
  noDom: noDom && { code: noDom.code, isCoassembleError: noDom instanceof sdk.CoassembleError },
  refused: refused && { code: refused.code, isWebhookError: refused instanceof hooks.WebhookError },
}));
`,
  // TypeScript: the README's snippet, type-checked against the package's own declarations
  // (skipLibCheck off) with each moduleResolution a consumer may have: see TS_RESOLUTIONS.
  ...Object.fromEntries(Object.entries(TS_RESOLUTIONS).map(([name, { module, moduleResolution }]) => [
    `tsconfig.${name}.json`, JSON.stringify({ compilerOptions: {
      strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'dom'], module, moduleResolution,
      skipLibCheck: false, skipDefaultLibCheck: true, types: [] }, files: ['check.ts'] }, null, 2)])),
  'check.ts': `import { attachCourse, TimeoutError, type CourseEvent } from 'coassemble-events';
import { verifyWebhook, type WebhookDelivery } from 'coassemble-events/webhooks';
import { autosave, type Draft } from 'coassemble-events/autosave';
import { attachBuilder } from 'coassemble-events';
import type { CoassembleCourseElement } from 'coassemble-events/elements';

declare const iframe: HTMLIFrameElement;
declare const bar: HTMLProgressElement;
declare function showReloadHint(): void;

const course = await attachCourse(iframe, { origin: 'https://acme.coassemble.com', readyTimeoutMs: 10_000 });
course.on('course:progress', (e) => { bar.value = e.progress; });      // e: CourseProgressEvent
course.on('*', (e: CourseEvent) => {
  if (e.name === 'screen:failed') console.log('quiz failed with score', e.score); // narrowed by name
});
try {
  await course.ready();
} catch (err) {
  if (err instanceof TimeoutError) showReloadHint();                    // err.code === 'timeout'
}
// The types are really resolved (not any): misuse is an error.
// @ts-expect-error: progress is a number
course.on('course:progress', (e) => { const s: string = e.progress; return s; });
// @ts-expect-error: not an event of the player
course.on('course:updated', () => {});
const delivery: WebhookDelivery = verifyWebhook({ headers: {}, body: '', secrets: ['whsec_x'] });
console.log(delivery);
const saver = autosave(await attachBuilder(iframe), { save: async (draft: Draft) => { console.log(draft.courseId); } });
// @ts-expect-error: not an autosave event
saver.on('saves', () => {});
// coassemble-events/elements: its types resolve too (node10 through typesVersions).
const element: CoassembleCourseElement = document.createElement('coassemble-course');
element.addEventListener('course-progress', (e) => { bar.value = e.detail.progress; });
export {};
`,
};

let tarball, tarballFiles, runDir, servers, statics, browser;

before(async () => {
  // The consumer's tools first: when the npm registry is unreachable, that is the failure reported.
  removeStaleRuns(appDir);
  const tools = await installTools(appDir, TOOLS);
  process.stderr.write(`[pack] consumer tools ${tools} in ${appDir}\n`);

  tarball = await packTarball();
  tarballFiles = tarball.files;
  mkdirSync(join(appDir, 'runs'), { recursive: true });
  runDir = mkdtempSync(join(appDir, 'runs', 'run-'));
  writeFiles(runDir, FILES);
  await tarball.extractInto(runDir);

  servers = await startServers();
  statics = await serveStatic(runDir);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await statics?.close();
  await servers?.close();
  tarball?.remove();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

test('the tarball holds the package and nothing else', () => {
  const want = ['README.md', 'package.json', 'dist/index.js', 'js/page/index.d.ts',
    'dist/autosave.js', 'js/page/autosave.d.ts', 'dist/webhooks.js',
    'js/server/webhooks.d.ts', 'dist/webhooks.workerd.js', 'dist/coassemble_events_webhooks_bg.wasm',
    'dist/react.js', 'js/page/react.d.ts', 'dist/vue.js', 'js/page/vue.d.ts', 'dist/testing.js', 'js/testing/testing.d.ts',
    'testing/cli.js', 'testing/emulators/player.html', 'LICENSE-MIT', 'LICENSE-APACHE',
    'dist/inbox.js', 'js/server/inbox.d.ts', 'sql/inbox.postgres.sql', 'sql/inbox.sqlite.sql'];
  for (const file of want) assert.ok(tarballFiles.includes(file), `${file} is missing from the tarball`);
  // The built files (the server entries' shared chunks too; no source maps) and the declarations;
  // not the readable sources of js/. The one .wasm is the verifier for Cloudflare Workers
  // (dist/webhooks.workerd.js imports it). Also the
  // test kit's emulator pages and the command line (`testing/cli.js`, its `inbox` commands), the inbox
  // dashboard's static page, and the files the README points users to.
  const allowed = [/^README\.md$/, /^package\.json$/, /^LICENSE[^/]*$/, /^js\/(page|server|testing)\/[\w-]+\.d\.ts$/,
    /^dist\/(chunks\/)?[\w.-]+\.js$/, /^dist\/coassemble_events_webhooks_bg\.wasm$/, /^testing\/(cli|inbox-cli)\.js$/,
    /^dashboard\/(index\.html|app\.js|style\.css)$/,
    /^testing\/emulators\/[\w-]+\.(html|js|css)$/, /^examples\/node-receiver\.mjs$/, /^sql\/inbox\.\w+\.sql$/];
  const extra = tarballFiles.filter((f) => !allowed.some((re) => re.test(f)));
  assert.deepEqual(extra, [], 'files that do not belong in the package (src/, tests/, www/, .wasm, node_modules…)');
  // Every relative import of the shipped JS resolves inside the tarball.
  for (const file of tarballFiles.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    const text = readFileSync(join(runDir, 'node_modules/coassemble-events', file), 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(file, '..', spec));
      const candidates = [target, target.replace(/\.js$/, '.d.ts')];
      assert.ok(candidates.some((c) => tarballFiles.includes(c)), `${file} imports ${spec}, not in the tarball`);
    }
  }
});

test('Node (SSR): every entry point imports from the consumer app', async () => {
  const { stdout } = await run(process.execPath, ['ssr-check.mjs'], { cwd: runDir, timeoutMs: 30_000 });
  const r = JSON.parse(stdout);
  const installed = pathToFileURL(join(runDir, 'node_modules/coassemble-events/')).href;
  assert.equal(r.resolved, `${installed}dist/index.js`, 'resolves to the installed tarball');
  assert.equal(r.resolvedWebhooks, `${installed}dist/webhooks.js`);
  assert.equal(r.resolvedAutosave, `${installed}dist/autosave.js`);
  for (const name of ['attachCourse', 'attachBuilder', 'embedCourse', 'embedBuilder',
    'CoassembleError', 'TimeoutError', 'DestroyedError', 'DEFAULT_READY_TIMEOUT_MS']) {
    assert.ok(r.sdk.includes(name), `coassemble-events exports ${name}`);
  }
  assert.ok(!r.sdk.includes('autosave'), 'autosave has its own entry point');
  assert.deepEqual(r.autosave, ['autosave']);
  assert.equal(r.verifyWebhook, 'function');
  assert.deepEqual(r.noDom, { code: 'no_dom', isCoassembleError: true });
  assert.deepEqual(r.refused, { code: 'missing_header', isWebhookError: true }, 'the webhooks wasm runs');
});

describe('TypeScript resolves the packed declarations', () => {
  const tsc = join(repo, 'node_modules/typescript/bin/tsc');
  for (const name of Object.keys(TS_RESOLUTIONS)) {
    test(`moduleResolution "${name}"`, async () => {
      const output = await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: runDir, timeoutMs: 120_000 })
        .then((r) => r.stdout + r.stderr, (e) => e.message);
      assert.equal(output, '', output);
    });
  }
});

/**
 * Opens `url` (a consumer page), waits for `ready()` to resolve, has the embed stand-in post progress,
 * and checks it reached the callback, the bar and `state`. Returns the URLs the page requested.
 */
async function checkPage(url) {
  const page = await browser.newPage();
  const problems = [], requests = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  page.on('request', (r) => requests.push(r.url()));
  try {
    await page.goto(`${url}?frame=${encodeURIComponent(servers.frame)}`);
    await page.waitForFunction(() => document.title === 'ready', null, { timeout: PAGE_TIMEOUT_MS })
      .catch((e) => { throw new Error(`ready() did not resolve: ${e.message}\n${problems.join('\n')}`); });
    const frame = page.frames().find((f) => f.url().startsWith(`${servers.frame}/`));
    assert.ok(frame, 'the embed iframe is on the page');
    await frame.evaluate(() => {
      window.post({ type: 'course', event: 'progress', data: { progress: 42 } });
      window.post({ type: 'course', event: 'progress', data: { progress: 30 } }, 'string'); // lower: dropped
      window.post({ type: 'course', event: 'progress', data: { progress: 55 } }, 'string');
    });
    await page.waitForFunction(() => window.progressSeen.includes(55), null, { timeout: PAGE_TIMEOUT_MS });
    const seen = await page.evaluate(() => ({ progress: window.progressSeen, state: window.course.state,
      bar: document.querySelector('#bar').value, origin: window.course.origin,
      elements: ['coassemble-course', 'coassemble-builder'].filter((tag) => customElements.get(tag)) }));
    assert.deepEqual(seen.elements, ['coassemble-course', 'coassemble-builder'], 'the elements import was not shaken out');
    assert.deepEqual(seen.progress, [42, 55]);
    assert.equal(seen.state.ready, true);
    assert.equal(seen.state.progress, 55);
    assert.equal(seen.state.droppedProgress, 1);
    assert.equal(seen.bar, 55);
    assert.equal(seen.origin, servers.frame);
    assert.deepEqual(problems, [], 'no page errors, console errors or failed requests');
    assert.deepEqual(requests.filter((u) => /\.wasm(\?|$)/.test(u)), [], 'the wasm is inlined: no .wasm request');
    return requests;
  } finally {
    await page.close();
  }
}

describe('the README snippet in headless Chromium', () => {
  test('Vite dev server (dependency pre-bundling)', async () => {
    const { createServer: createViteServer } = await import(pathToFileURL(join(runDir, 'vite-api.mjs')).href);
    const logged = [];
    const logger = {
      info() {}, clearScreen() {}, hasErrorLogged: () => false, hasWarned: false,
      warn: (msg) => logged.push(`warn: ${msg}`), warnOnce: (msg) => logged.push(`warn: ${msg}`),
      error: (msg) => logged.push(`error: ${msg}`),
    };
    const server = await createViteServer({
      root: runDir, configFile: join(runDir, 'vite.config.mjs'), customLogger: logger,
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      optimizeDeps: { entries: ['index.html'] },
    });
    try {
      await server.listen();
      const requests = await checkPage(`http://127.0.0.1:${server.httpServer.address().port}/`);
      assert.ok(requests.some((u) => /\/node_modules\/\.vite\/deps\/coassemble-events\.js/.test(u)),
        `the package was served pre-bundled by Vite:\n${requests.join('\n')}`);
      assert.deepEqual(logged, [], 'Vite logged no warnings or errors');
    } finally {
      await server.close();
    }
  });

  test('Vite production build', async () => {
    const vite = join(appDir, 'node_modules/vite/bin/vite.js');
    const { stdout, stderr } = await run(process.execPath, [vite, 'build'], { cwd: runDir, timeoutMs: 120_000 });
    assert.equal(`${stdout}${stderr}`.trim(), '', 'vite build printed no warnings');
    const built = readFileSync(join(runDir, 'dist-vite/index.html'), 'utf8');
    assert.match(built, /assets\/[^"]+\.js/, 'the page loads the built bundle');
    await checkPage(`${statics.origin}/dist-vite/`);
  });

  test('webpack 5 production build', async () => {
    const cli = join(appDir, 'node_modules/webpack-cli/bin/cli.js');
    const { stdout, stderr } = await run(process.execPath, [cli, '--config', 'webpack.config.mjs'],
      { cwd: runDir, timeoutMs: 120_000 });
    const output = `${stdout}${stderr}`;
    assert.match(output, /compiled successfully/, output);
    assert.doesNotMatch(output, /WARNING|ERROR/, output);
    writeFileSync(join(runDir, 'dist-webpack/index.html'), FILES['webpack-page.html']);
    await checkPage(`${statics.origin}/dist-webpack/`);
  });

  test('plain ES modules with an import map (no bundler)', async () => {
    const requests = await checkPage(`${statics.origin}/plain/`);
    assert.ok(requests.includes(`${statics.origin}/node_modules/coassemble-events/dist/index.js`));
  });
});

