// React and Vue apps built from the PACKED package, in headless Chromium: a React 19 + Vite app under
// StrictMode and a Vue 3 + Vite app (each on the dev server and as a production build), a Next.js App
// Router app (`next build` + `next start`; the hooks in a client component, the package imported by
// server components), and the README's React and Vue examples as pages of the Vite apps. Then the
// custom elements (coassemble-events/elements) in a SvelteKit app (svelte-check on strict TypeScript,
// `vite dev`, and `vite build` with adapter-node: server rendering, then hydration) and in a Solid
// app (tsc strict, production build): the same page contract as the React and Vue apps.
// Solid rather than Angular: its tools install in about 15 s (three packages and Babel), where the
// Angular CLI and its builders are some hundreds of MB; a custom element meets both the same way.
// Each page: exactly one iframe and one `message` listener, progress increasing, a URL change that
// replaces the iframe and resets the bar, an unmount that removes both, a bad URL in `error`, and no
// page error or console warning.
//
// The apps' npm dependencies are installed once into ~/.cache/coassemble-events/apps/<app> and reused
// (see tests/support/consumer.mjs); each run builds in its own directory under it (runs/<random>/,
// removed afterwards), whose node_modules gets the fresh tarball.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';
import { startServers } from '../support/server.mjs';
import { snippets } from '../support/snippets.mjs';
import {
  cache, installTools, packTarball, removeStaleRuns, repo, run, serveStatic, writeFiles,
} from '../support/consumer.mjs';

const APPS = {
  // vite 8.3.8: 8.4.0 pulls a Windows-only native package that npm on Linux reports missing.
  vite: ['react@19', 'react-dom@19', 'vue@3', 'vite@8.3.8', '@vitejs/plugin-react@6', '@vitejs/plugin-vue@6',
    '@types/react@19'],
  next: ['next@16', 'react@19', 'react-dom@19'],
  // Kit 2 (3.x needs Node 22.17); @types/node: Vite's and Kit's own declarations are type-checked too.
  sveltekit: ['@sveltejs/kit@2.70.4', 'svelte@5.60.1', '@sveltejs/vite-plugin-svelte@7.3.3', 'vite@8.3.8',
    '@sveltejs/adapter-node@5.5.7', 'svelte-check@4.7.9', 'typescript@5.9.3', '@types/node@20'],
  solid: ['solid-js@1.9.20', 'vite-plugin-solid@2.11.17', 'vite@8.3.8', 'typescript@5.9.3'],
};
const PAGE_TIMEOUT_MS = 20_000;
// Vite's dev server sets NODE_ENV=development in this process: builds must not inherit it.
const BUILD_ENV = { NODE_ENV: 'production' };

// ---- the apps' sources ----

/** The docs' ```lang block that imports `from` (the React and Vue pages' examples are whole modules). */
function readmeBlock(lang, from) {
  const blocks = snippets().filter((s) => s.lang === lang && s.code.includes(`'${from}'`));
  assert.equal(blocks.length, 1, `one \`\`\`${lang} block of the docs imports ${from}`);
  return blocks[0].code;
}

const HTML = (entry) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title>
<div id="root"></div><script type="module" src="${entry}"></script>\n`;

// The "signed URLs" are the embed stand-in on the second origin (?frame=), told to post session:ready.
// Read in the browser only (Next.js also evaluates the module on the server).
const URLS = `export function urlFor(n) {
  const frame = new URLSearchParams(location.search).get('frame');
  return \`\${frame}/tests/browser/fixtures/frame.html?ready=1&name=course-\${n}&parent=\${encodeURIComponent(location.origin)}\`;
}
`;

// One React app for Vite and Next.js: a course through useCourse, and a builder through
// <CoassembleBuilder autosave>. window.app lets the test drive it.
const REACT_APP = `import { useEffect, useState } from 'react';
import { CoassembleBuilder, useCourse } from 'coassemble-events/react';
import { urlFor } from './urls.js';

function Course({ signedUrl }) {
  const { ref, progress, ready, error } = useCourse(signedUrl, {
    on: { 'course:progress': (e) => window.progressSeen.push(e.progress) },
  });
  return (
    <section>
      <progress id="bar" max={100} value={progress} />
      <output id="ready">{String(ready)}</output>
      <output id="error">{error ? error.code : ''}</output>
      <div id="course" ref={ref} style={{ height: 300 }} />
    </section>
  );
}

export default function App() {
  const [url, setUrl] = useState(null); // no URL on the server: the container renders empty
  const [shown, setShown] = useState('course');
  const [saved, setSaved] = useState([]);
  useEffect(() => {
    window.progressSeen ??= [];
    setUrl(urlFor(1));
  }, []);
  useEffect(() => {
    window.app = {
      next: () => setUrl(urlFor(2)), bad: () => setUrl('ftp://example.test/course'),
      hide: () => setShown(null), builder: () => setShown('builder'), saved,
    };
  });
  if (shown === 'builder') {
    return <CoassembleBuilder id="builder" data-kind="builder" style={{ height: 300 }} signedUrl={urlFor('b')}
      autosave={{ debounceMs: 0, save: async (draft) => { setSaved((s) => [...s, draft.title]); } }}
      on={{ 'session:ready': () => { document.title = 'builder ready'; } }} />;
  }
  return shown ? <Course signedUrl={url} /> : <p id="gone">unmounted</p>;
}
`;

// The README's examples, rendered as they are: a page each, driven like the apps below.
const README_PAGES = {
  'src/readme.jsx': readmeBlock('jsx', 'coassemble-events/react'),
  'src/readme-react-main.jsx': `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Course } from './readme.jsx';
import { urlFor } from './urls.js';

createRoot(document.getElementById('root')).render(
  <StrictMode><Course signedUrl={urlFor('readme')} onCompleted={() => { document.title = 'completed'; }} /></StrictMode>);
`,
  'readme-react.html': HTML('/src/readme-react-main.jsx'),
  'src/Readme.vue': readmeBlock('vue', 'coassemble-events/vue'),
  'src/readme-vue-main.js': `import { createApp } from 'vue';
import Readme from './Readme.vue';
import { urlFor } from './urls.js';

createApp(Readme, { signedUrl: urlFor('readme'), onCompleted: () => { document.title = 'completed'; } }).mount('#root');
`,
  'readme-vue.html': HTML('/src/readme-vue-main.js'),
};

const VITE_FILES = {
  ...README_PAGES,
  'package.json': JSON.stringify({ name: 'apps', private: true, type: 'module' }, null, 2),
  'src/urls.js': URLS,
  'src/App.jsx': REACT_APP,
  'src/react-main.jsx': `import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import App from './App.jsx';

createRoot(document.getElementById('root')).render(<StrictMode><App /></StrictMode>);
`,
  'react.html': HTML('/src/react-main.jsx'),
  'vite.react.config.mjs': `import react from '@vitejs/plugin-react';
export default { base: './', logLevel: 'warn', clearScreen: false, plugins: [react()],
  build: { outDir: 'dist-react', emptyOutDir: true, rollupOptions: { input: ['react.html', 'readme-react.html'] } } };
`,
  'src/Course.vue': `<script setup>
import { useCourse } from 'coassemble-events/vue';

const props = defineProps({ signedUrl: String });
const { ref: box, progress, ready, error } = useCourse(() => props.signedUrl, {
  on: { 'course:progress': (e) => window.progressSeen.push(e.progress) },
});
</script>

<template>
  <section>
    <progress id="bar" max="100" :value="progress"></progress>
    <output id="ready">{{ String(ready) }}</output>
    <output id="error">{{ error ? error.code : '' }}</output>
    <div id="course" ref="box" style="height: 300px"></div>
  </section>
</template>
`,
  'src/Builder.vue': `<script setup>
import { ref } from 'vue';
import { useBuilder } from 'coassemble-events/vue';
import { urlFor } from './urls.js';

const url = ref(urlFor('b')); // a ref works as well as a getter
const saved = defineModel('saved');
const { ref: box } = useBuilder(url, {
  autosave: { debounceMs: 0, save: async (draft) => { saved.value = [...saved.value, draft.title]; } },
  on: { 'session:ready': () => { document.title = 'builder ready'; } },
});
</script>

<template><div id="builder" ref="box" style="height: 300px"></div></template>
`,
  'src/App.vue': `<script setup>
import { ref } from 'vue';
import Course from './Course.vue';
import Builder from './Builder.vue';
import { urlFor } from './urls.js';

window.progressSeen = [];
const url = ref(urlFor(1));
const shown = ref('course');
const saved = ref([]);
window.app = {
  next: () => { url.value = urlFor(2); }, bad: () => { url.value = 'ftp://example.test/course'; },
  hide: () => { shown.value = null; }, builder: () => { shown.value = 'builder'; },
  get saved() { return saved.value; },
};
</script>

<template>
  <Course v-if="shown === 'course'" :signed-url="url" />
  <Builder v-else-if="shown === 'builder'" v-model:saved="saved" />
  <p v-else id="gone">unmounted</p>
</template>
`,
  'src/vue-main.js': `import { createApp } from 'vue';
import App from './App.vue';

createApp(App).mount('#root');
`,
  'vue.html': HTML('/src/vue-main.js'),
  'vite.vue.config.mjs': `import vue from '@vitejs/plugin-vue';
export default { base: './', logLevel: 'warn', clearScreen: false, plugins: [vue()],
  build: { outDir: 'dist-vue', emptyOutDir: true, rollupOptions: { input: ['vue.html', 'readme-vue.html'] } } };
`,
  'vite-api.mjs': "export { createServer } from 'vite';\n",
  // Server rendering with React's and Vue's own server renderers (Node, no DOM): an empty container.
  'ssr.mjs': `import { createElement } from 'react';
import { renderToString as renderReact } from 'react-dom/server';
import { createSSRApp, h } from 'vue';
import { renderToString as renderVue } from 'vue/server-renderer';
import { useCourse as useReactCourse } from 'coassemble-events/react';
import { useCourse as useVueCourse } from 'coassemble-events/vue';

const url = 'https://acme.coassemble.com/embed/course';
function ReactCourse() {
  const { ref, progress } = useReactCourse(url);
  return createElement('div', null, createElement('progress', { max: 100, value: progress }), createElement('div', { id: 'course', ref }));
}
const VueCourse = { setup() {
  const { ref: box, progress } = useVueCourse(url);
  return () => h('div', [h('progress', { max: 100, value: progress.value }), h('div', { id: 'course', ref: box })]);
} };
console.log(JSON.stringify({ react: renderReact(createElement(ReactCourse)), vue: await renderVue(createSSRApp(VueCourse)) }));
`,
  // The bindings' declarations, type-checked as a TypeScript app uses them (skipLibCheck off).
  'tsconfig.json': JSON.stringify({ compilerOptions: {
    strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'dom'], module: 'esnext', moduleResolution: 'bundler',
    jsx: 'react-jsx', skipLibCheck: false, skipDefaultLibCheck: true, types: [] }, files: ['check.tsx'] }, null, 2),
  'check.tsx': `import { CoassembleBuilder, CoassembleCourse, useCourse } from 'coassemble-events/react';
import { useBuilder } from 'coassemble-events/vue';
import { ref } from 'vue';

export function Course({ signedUrl }: { signedUrl: string }) {
  const { ref: box, progress, state, error } = useCourse(signedUrl, {
    initialProgress: 20,
    on: { 'course:progress': (e) => console.log(e.progress.toFixed(0)), error: (e) => console.log(e.code) },
  });
  const done: boolean | undefined = state?.completed;
  // @ts-expect-error: not an event of the player
  useCourse(signedUrl, { on: { 'course:updated': () => {} } });
  return <div ref={box} data-done={done} title={error?.message}>{progress}</div>;
}

export const pages = [
  <CoassembleCourse key="c" signedUrl="https://x.test/" className="c" on={{ 'course:completed': () => {} }} />,
  <CoassembleBuilder key="b" signedUrl={null} style={{ height: 600 }} autosave={{ save: async () => {} }} />,
];

const url = ref<string | null>('https://x.test/');
const builder = useBuilder(url, { on: { 'course:updated': (e) => console.log(e.courseId) } });
const id: number | null | undefined = builder.state.value?.courseId;
console.log(id, builder.ref.value?.tagName);
`,
};

const nextFiles = (toolsDir) => ({
  'package.json': JSON.stringify({ name: 'next-app', private: true, type: 'module' }, null, 2),
  // The app's own node_modules live in the shared tools directory above this run: Turbopack's root.
  'next.config.mjs': `export default { turbopack: { root: ${JSON.stringify(toolsDir)} } };\n`,
  'app/layout.jsx': `export const metadata = { title: 'app', icons: { icon: 'data:,' } };
export default function RootLayout({ children }) {
  return <html lang="en"><body>{children}</body></html>;
}
`,
  // Server components: the package's main entry imports on the server, and the client hooks run in a
  // client component after hydration.
  'app/page.jsx': `import { DEFAULT_READY_TIMEOUT_MS } from 'coassemble-events';
import App from './App.jsx';

export default function Page() {
  return <main data-ready-timeout={DEFAULT_READY_TIMEOUT_MS}><App /></main>;
}
`,
  'app/App.jsx': `'use client';\n${REACT_APP}`,
  'app/urls.js': URLS,
  // <CoassembleCourse> rendered by a server component itself (the entry is marked 'use client').
  'app/server/page.jsx': `import { headers } from 'next/headers';
import { CoassembleCourse } from 'coassemble-events/react';

export default async function Page({ searchParams }) {
  const { frame } = await searchParams;
  const host = (await headers()).get('host');
  const url = \`\${frame}/tests/browser/fixtures/frame.html?ready=1&name=server&parent=\${encodeURIComponent(\`http://\${host}\`)}\`;
  return <main><CoassembleCourse id="course" signedUrl={url} style={{ height: 300 }} /></main>;
}
`,
});

const NEXT_ENV = { ...BUILD_ENV, NEXT_TELEMETRY_DISABLED: '1' };

/** `node <args(port)>` (a production server) on a free loopback port; resolves once it answers, with `{ origin, close() }`. */
async function startServer(what, args, cwd, env) {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
  const child = spawn(process.execPath, args(port),
    { cwd, env: { ...process.env, ...env(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const close = async () => {
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    await exited;
  };
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}\n${output}`);
    if (await fetch(`${origin}/`, { method: 'HEAD' }).then(() => true, () => false)) return { origin, close, output: () => output };
    if (Date.now() > deadline) { await close(); throw new Error(`${what} did not answer within 60 s\n${output}`); }
    await new Promise((r) => setTimeout(r, 100)); // polling a starting server, bounded by the deadline
  }
}

const startNext = (next, cwd) => startServer('next start', (port) => [next, 'start', '-H', '127.0.0.1', '-p', String(port)], cwd, () => NEXT_ENV);

// ---- the browser checks, the same for every app ----

let servers, browser, tarball;

before(async () => {
  servers = await startServers();
  browser = await launchBrowser();
  tarball = await packTarball();
});

after(async () => {
  await browser?.close();
  await servers?.close();
  tarball?.remove();
});

/** Installs an app's tools (cached) and makes a fresh run directory under them with `files`. */
async function prepareApp(name, files) {
  const toolsDir = join(cache, 'apps', name);
  removeStaleRuns(toolsDir);
  const started = Date.now();
  const how = await installTools(toolsDir, APPS[name]);
  process.stderr.write(`[apps] ${name} tools ${how} in ${toolsDir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  mkdirSync(join(toolsDir, 'runs'), { recursive: true });
  const dir = mkdtempSync(join(toolsDir, 'runs', 'run-'));
  writeFiles(dir, typeof files === 'function' ? files(toolsDir) : files);
  await tarball.extractInto(dir);
  return { toolsDir, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A page with every page error, console warning/error and failed request recorded. */
async function openPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(`${url}${url.includes('?') ? '&' : '?'}frame=${encodeURIComponent(servers.frame)}`);
  const cdp = await browser.newCDPSession(page);
  /** How many `message` listeners the page's window has (DevTools' own count). */
  const messageListeners = async () => {
    const { result } = await cdp.send('Runtime.evaluate', { expression: 'window' });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
    await cdp.send('Runtime.releaseObject', { objectId: result.objectId });
    return listeners.filter((l) => l.type === 'message').length;
  };
  return { page, problems, messageListeners };
}

const until = (page, fn, arg, what) => page.waitForFunction(fn, arg, { timeout: PAGE_TIMEOUT_MS })
  .catch((e) => { throw new Error(`${what}: ${e.message}`); });

/** The embed stand-in's frame for the course named `name`, once it loaded. */
async function frameNamed(page, name) {
  await until(page, (n) => [...document.querySelectorAll('iframe')].some((f) => f.src.includes(`name=${n}&`)), name,
    `an iframe for ${name}`);
  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  for (;;) {
    const frame = page.frames().find((f) => f.url().includes(`name=${name}&`));
    if (frame && await frame.evaluate(() => typeof window.post === 'function').catch(() => false)) return frame;
    if (Date.now() > deadline) throw new Error(`the frame of ${name} never became scriptable`);
    await page.waitForTimeout(20); // polling Playwright's frame list, bounded by the deadline
  }
}

const iframes = (page) => page.evaluate(() => [...document.querySelectorAll('iframe')].map((f) => f.src));

/** The whole contract on an app page that shows window.app's course. */
async function checkCourseApp(url) {
  const { page, problems, messageListeners } = await openPage(url);
  try {
    await until(page, () => document.querySelector('#ready')?.textContent === 'true', null, 'the course became ready');
    assert.equal((await iframes(page)).length, 1, 'one iframe after the (StrictMode double) mount');
    const mounted = await messageListeners();

    const first = await frameNamed(page, 'course-1');
    await first.evaluate(() => {
      for (const progress of [30, 20, 55]) window.post({ type: 'course', event: 'progress', data: { progress } }, 'string');
    });
    await until(page, () => document.querySelector('#bar').value === 55, null, 'the bar reached 55');
    assert.deepEqual(await page.evaluate(() => window.progressSeen), [30, 55], 'progress only increases');

    await page.evaluate(() => window.app.next());
    await until(page, () => [...document.querySelectorAll('iframe')].every((f) => f.src.includes('name=course-2&'))
      && document.querySelector('#ready').textContent === 'true', null, 'the new URL replaced the iframe');
    assert.equal((await iframes(page)).length, 1, 'one iframe after the URL change');
    assert.equal(await page.evaluate(() => document.querySelector('#bar').value), 0, 'the bar was reset');
    assert.equal(await messageListeners(), mounted, 'one listener after the URL change');
    const second = await frameNamed(page, 'course-2');
    await second.evaluate(() => window.post({ type: 'course', event: 'progress', data: { progress: 10 } }));
    await until(page, () => document.querySelector('#bar').value === 10, null, 'the new course reports from 0');

    await page.evaluate(() => window.app.bad());
    await until(page, () => document.querySelector('#error').textContent !== '', null, 'a bad URL surfaced in error');
    assert.equal(await page.evaluate(() => document.querySelector('#error').textContent), 'invalid_origin');
    assert.deepEqual(await iframes(page), [], 'no iframe for a bad URL');

    await page.evaluate(() => window.app.hide());
    await until(page, () => document.querySelector('#gone') !== null, null, 'the course unmounted');
    assert.deepEqual(await iframes(page), [], 'unmount removed the iframe');
    assert.equal(await messageListeners(), mounted - 1, 'unmount removed the listener');

    await page.evaluate(() => window.app.builder());
    await until(page, () => document.title === 'builder ready', null, 'the builder became ready');
    assert.equal((await iframes(page)).length, 1, 'one builder iframe');
    assert.equal(await messageListeners(), mounted, 'one builder listener');
    const builder = await frameNamed(page, 'course-b');
    await builder.evaluate(() => window.post({ type: 'course', event: 'updated', data: { id: 5, title: 'Draft' } }));
    await until(page, () => window.app.saved.includes('Draft'), null, 'the autosave saved the draft');

    assert.deepEqual(problems, [], 'no page error, console warning or failed request');
  } finally {
    await page.close();
  }
}

/** The README's example page: one iframe, the bar follows progress, completion calls back. */
async function checkReadmePage(url) {
  const { page, problems } = await openPage(url);
  try {
    const frame = await frameNamed(page, 'course-readme');
    assert.equal((await iframes(page)).length, 1, 'one iframe');
    await frame.evaluate(() => {
      window.post({ type: 'course', event: 'progress', data: { progress: 40 } });
      window.post({ type: 'course', event: 'completed' });
    });
    await until(page, () => document.title === 'completed', null, 'onCompleted was called');
    await until(page, () => document.querySelector('progress').value === 100, null, 'the bar shows completion');
    assert.deepEqual(problems, [], 'no page error, console warning or failed request');
  } finally {
    await page.close();
  }
}

/** Vite's dev server (dependency pre-bundling) of `app` on `configFile`; `use(origin)`, then no warning logged. */
async function withViteDev(app, configFile, entries, use) {
  const { createServer } = await import(pathToFileURL(join(app.dir, 'vite-api.mjs')).href);
  const logged = [];
  const logger = {
    info() {}, clearScreen() {}, hasErrorLogged: () => false, hasWarned: false,
    warn: (msg) => logged.push(`warn: ${msg}`), warnOnce: (msg) => logged.push(`warn: ${msg}`),
    error: (msg) => logged.push(`error: ${msg}`),
  };
  const server = await createServer({
    root: app.dir, configFile: join(app.dir, configFile), customLogger: logger,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { entries },
  });
  try {
    await server.listen();
    await use(`http://127.0.0.1:${server.httpServer.address().port}`);
    assert.deepEqual(logged, [], 'Vite logged no warnings or errors');
  } finally {
    await server.close();
  }
}

describe('Next.js App Router (next build + next start)', () => {
  let app, server;
  before(async () => {
    app = await prepareApp('next', nextFiles);
    const next = join(app.toolsDir, 'node_modules/next/dist/bin/next');
    const started = Date.now();
    const built = await run(process.execPath, [next, 'build'], { cwd: app.dir, timeoutMs: 600_000, env: NEXT_ENV });
    process.stderr.write(`[apps] next build: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    app.buildOutput = built.stdout + built.stderr;
    server = await startNext(next, app.dir);
  });
  after(async () => {
    await server?.close();
    app?.remove();
  });

  test('next build printed no warning', () => {
    assert.doesNotMatch(app.buildOutput, /warn|error/i, app.buildOutput);
  });

  test('the server renders an empty container (the embed waits for hydration)', async () => {
    const html = await (await fetch(`${server.origin}/?frame=${encodeURIComponent(servers.frame)}`)).text();
    assert.match(html, /<div id="course"[^>]*><\/div>/, 'the container is in the server HTML, empty');
    assert.doesNotMatch(html, /<iframe/, 'no iframe from the server');
    assert.match(html, /data-ready-timeout="20000"/, 'the server component imported coassemble-events');
  });

  test('hooks in a client component', async () => {
    await checkCourseApp(`${server.origin}/`);
  });

  test('<CoassembleCourse> rendered by a server component', async () => {
    const { page, problems, messageListeners } = await openPage(`${server.origin}/server`);
    try {
      await until(page, () => document.querySelectorAll('#course iframe').length === 1, null, 'the course embedded');
      assert.equal((await iframes(page)).length, 1);
      await frameNamed(page, 'server');
      assert.ok(await messageListeners() >= 1, 'the embed listens');
      assert.deepEqual(problems, [], 'no page error, console warning or failed request');
    } finally {
      await page.close();
    }
  });
});

describe('Vite apps: React 19 under StrictMode, Vue 3', () => {
  let app;
  before(async () => { app = await prepareApp('vite', VITE_FILES); });
  after(() => app?.remove());

  test('TypeScript: the bindings\' declarations type-check in an app', async () => {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const output = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app.dir, timeoutMs: 120_000 })
      .then((r) => r.stdout + r.stderr, (e) => e.message);
    assert.equal(output, '', output);
  });

  test('server rendering (react-dom/server, vue/server-renderer): an empty container, no error', async () => {
    const { stdout, stderr } = await run(process.execPath, ['ssr.mjs'], { cwd: app.dir, timeoutMs: 60_000, env: BUILD_ENV });
    assert.equal(stderr, '', 'nothing logged on the server');
    const html = JSON.parse(stdout);
    assert.equal(html.react, '<div><progress max="100" value="0"></progress><div id="course"></div></div>');
    assert.match(html.vue, /^<div><progress max="100" value="0"><\/progress><div id="course"><\/div><\/div>$/);
  });

  test('React: Vite dev server', () => withViteDev(app, 'vite.react.config.mjs', ['react.html', 'readme-react.html'],
    async (origin) => {
      await checkCourseApp(`${origin}/react.html`);
      await checkReadmePage(`${origin}/readme-react.html`);
    }));

  test('Vue: Vite dev server', () => withViteDev(app, 'vite.vue.config.mjs', ['vue.html', 'readme-vue.html'],
    async (origin) => {
      await checkCourseApp(`${origin}/vue.html`);
      await checkReadmePage(`${origin}/readme-vue.html`);
    }));

  test('React: Vite production build', async () => {
    const vite = join(app.toolsDir, 'node_modules/vite/bin/vite.js');
    const { stdout, stderr } = await run(process.execPath, [vite, 'build', '--config', 'vite.react.config.mjs'],
      { cwd: app.dir, timeoutMs: 180_000, env: BUILD_ENV });
    assert.equal(`${stdout}${stderr}`.trim(), '', 'vite build printed no warnings');
    const statics = await serveStatic(app.dir);
    try {
      await checkCourseApp(`${statics.origin}/dist-react/react.html`);
      await checkReadmePage(`${statics.origin}/dist-react/readme-react.html`);
    } finally {
      await statics.close();
    }
  });

  test('Vue: Vite production build', async () => {
    const vite = join(app.toolsDir, 'node_modules/vite/bin/vite.js');
    const { stdout, stderr } = await run(process.execPath, [vite, 'build', '--config', 'vite.vue.config.mjs'],
      { cwd: app.dir, timeoutMs: 180_000, env: BUILD_ENV });
    assert.equal(`${stdout}${stderr}`.trim(), '', 'vite build printed no warnings');
    const statics = await serveStatic(app.dir);
    try {
      await checkCourseApp(`${statics.origin}/dist-vue/vue.html`);
      await checkReadmePage(`${statics.origin}/dist-vue/readme-vue.html`);
    } finally {
      await statics.close();
    }
  });
});

// ---- custom elements: SvelteKit and Solid ----

// A SvelteKit app with adapter-node: the same page as the React and Vue apps, written with
// <coassemble-course> and <coassemble-builder>, typed by the augmentation the frameworks guide shows.
const SVELTEKIT_FILES = {
  'package.json': JSON.stringify({ name: 'sveltekit-app', private: true, type: 'module' }, null, 2),
  'svelte.config.js': `import adapter from '@sveltejs/adapter-node';
export default { kit: { adapter: adapter() } };
`,
  'vite.config.js': `import { sveltekit } from '@sveltejs/kit/vite';
export default { plugins: [sveltekit()], logLevel: 'warn', clearScreen: false };
`,
  'vite-api.mjs': "export { createServer } from 'vite';\n",
  // The page and the element typings under strict TypeScript, library declarations included.
  'tsconfig.json': JSON.stringify({ extends: './.svelte-kit/tsconfig.json', compilerOptions: { strict: true, skipLibCheck: false } }, null, 2),
  'src/app.html': `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title>%sveltekit.head%</head>
<body><div id="root">%sveltekit.body%</div></body></html>
`,
  'src/app.d.ts': `import type { HTMLAttributes } from 'svelte/elements';
import type {
  BuilderElementEventMap, CoassembleBuilderElement, CoassembleCourseElement, CourseElementEventMap, ElementProps,
} from 'coassemble-events/elements';

declare module 'svelte/elements' {
  interface SvelteHTMLElements {
    'coassemble-course': ElementProps<HTMLAttributes<CoassembleCourseElement>, CourseElementEventMap>;
    'coassemble-builder': ElementProps<HTMLAttributes<CoassembleBuilderElement>, BuilderElementEventMap>;
  }
}

declare global {
  interface Window {
    progressSeen: number[];
    app: { next(): void; bad(): void; hide(): void; builder(): void; readonly saved: string[] };
  }
}

export {};
`,
  'src/routes/+page.svelte': `<script lang="ts">
  import 'coassemble-events/elements';
  import { autosave } from 'coassemble-events/autosave';
  import type { CoassembleBuilderElement } from 'coassemble-events/elements';
  import { page } from '$app/state';

  // The "signed URLs": the embed stand-in on the second origin (?frame=), known on the server too.
  const urlFor = (n: number | string) => \`\${page.url.searchParams.get('frame')}/tests/browser/fixtures/frame.html?ready=1&name=course-\${n}&parent=\${encodeURIComponent(page.url.origin)}\`;

  let url = $state(urlFor(1));
  let shown = $state<'course' | 'builder' | null>('course');
  let progress = $state(0);
  let ready = $state(false);
  let error = $state('');
  let saved = $state<string[]>([]);
  let builder = $state<CoassembleBuilderElement>();

  function show(next: string) {
    url = next;
    progress = 0;
    ready = false;
    error = '';
  }

  $effect(() => {
    window.progressSeen ??= [];
    window.app = {
      next: () => show(urlFor(2)), bad: () => show('ftp://example.test/course'),
      hide: () => { shown = null; }, builder: () => { shown = 'builder'; }, get saved() { return saved; },
    };
  });

  // autosave(element) follows the element's embeds; stopped (and flushed) when the builder goes.
  $effect(() => {
    if (!builder) return;
    const saver = autosave(builder, { debounceMs: 0, save: async (draft) => { saved = [...saved, draft.title ?? '']; } });
    return () => { saver.stop(); };
  });
</script>

{#if shown === 'course'}
  <section>
    <progress id="bar" max="100" value={progress}></progress>
    <output id="ready">{String(ready)}</output>
    <output id="error">{error}</output>
    <coassemble-course id="course" src={url} title="Onboarding" style="height: 300px"
      onsession-ready={() => { ready = true; }}
      oncourse-progress={(e) => { progress = e.detail.progress; window.progressSeen.push(e.detail.progress); }}
      onerror={(e) => { error = e.detail.code; }}></coassemble-course>
  </section>
{:else if shown === 'builder'}
  <coassemble-builder id="builder" bind:this={builder} src={urlFor('b')} style="height: 300px"
    onsession-ready={() => { document.title = 'builder ready'; }}></coassemble-builder>
{:else}
  <p id="gone">unmounted</p>
{/if}
`,
};

// A Solid app (vite-plugin-solid): the same page again; Solid sets a custom element's props as
// properties (`src`), and types `on:<event>` from JSX.CustomEvents.
const SOLID_FILES = {
  'package.json': JSON.stringify({ name: 'solid-app', private: true, type: 'module' }, null, 2),
  'vite-api.mjs': "export { createServer } from 'vite';\n",
  'vite.config.mjs': `import solid from 'vite-plugin-solid';
export default { base: './', logLevel: 'warn', clearScreen: false, plugins: [solid()],
  build: { outDir: 'dist-solid', emptyOutDir: true } };
`,
  'tsconfig.json': JSON.stringify({ compilerOptions: {
    strict: true, noEmit: true, target: 'es2022', lib: ['es2022', 'dom'], module: 'esnext', moduleResolution: 'bundler',
    jsx: 'preserve', jsxImportSource: 'solid-js', skipLibCheck: false, types: [] }, include: ['src'] }, null, 2),
  'index.html': HTML('/src/main.tsx'),
  'src/urls.ts': URLS.replace('urlFor(n)', 'urlFor(n: number | string): string'),
  'src/coassemble.d.ts': `import type {
  BuilderElementEventMap, CoassembleBuilderElement, CoassembleCourseElement, CoassembleElementAttributes, CourseElementEventMap,
} from 'coassemble-events/elements';

declare module 'solid-js' {
  namespace JSX {
    interface IntrinsicElements {
      'coassemble-course': HTMLAttributes<CoassembleCourseElement> & CoassembleElementAttributes;
      'coassemble-builder': HTMLAttributes<CoassembleBuilderElement> & CoassembleElementAttributes;
    }
    // \`error\` is Solid's own (an ErrorEvent): the page hears it through the element's on('error').
    interface CustomEvents extends Omit<CourseElementEventMap & BuilderElementEventMap, 'error'> {}
  }
}

declare global {
  interface Window {
    progressSeen: number[];
    app: { next(): void; bad(): void; hide(): void; builder(): void; readonly saved: string[] };
  }
}
`,
  'src/main.tsx': `import 'coassemble-events/elements';
import { autosave } from 'coassemble-events/autosave';
import type { CoassembleBuilderElement } from 'coassemble-events/elements';
import { Match, Switch, createSignal, onCleanup, onMount } from 'solid-js';
import { render } from 'solid-js/web';
import { urlFor } from './urls';

function Builder(props: { onSaved: (title: string) => void }) {
  let builder!: CoassembleBuilderElement;
  onMount(() => {
    const saver = autosave(builder, { debounceMs: 0, save: async (draft) => { props.onSaved(draft.title ?? ''); } });
    onCleanup(() => { saver.stop(); });
  });
  return <coassemble-builder ref={builder} id="builder" src={urlFor('b')} style={{ height: '300px' }}
    on:session-ready={() => { document.title = 'builder ready'; }} />;
}

function App() {
  const [url, setUrl] = createSignal(urlFor(1));
  const [shown, setShown] = createSignal<'course' | 'builder' | null>('course');
  const [progress, setProgress] = createSignal(0);
  const [ready, setReady] = createSignal(false);
  const [error, setError] = createSignal('');
  const [saved, setSaved] = createSignal<string[]>([]);
  const show = (next: string) => { setUrl(next); setProgress(0); setReady(false); setError(''); };
  window.progressSeen = [];
  window.app = {
    next: () => show(urlFor(2)), bad: () => show('ftp://example.test/course'),
    hide: () => setShown(null), builder: () => setShown('builder'), get saved() { return saved(); },
  };
  return (
    <Switch fallback={<p id="gone">unmounted</p>}>
      <Match when={shown() === 'course'}>
        <section>
          <progress id="bar" max={100} value={progress()} />
          <output id="ready">{String(ready())}</output>
          <output id="error">{error()}</output>
          <coassemble-course id="course" src={url()} title="Onboarding" style={{ height: '300px' }}
            on:session-ready={() => setReady(true)}
            on:course-progress={(e) => { setProgress(e.detail.progress); window.progressSeen.push(e.detail.progress); }}
            ref={(el) => el.on('error', (e) => setError(e.code))} />
        </section>
      </Match>
      <Match when={shown() === 'builder'}>
        <Builder onSaved={(title) => setSaved((was) => [...was, title])} />
      </Match>
    </Switch>
  );
}

render(() => <App />, document.getElementById('root')!);
`,
};

/** `npm exec`-free tool runs: a tool's bin from the app's cached node_modules. */
const tool = (app, path) => join(app.toolsDir, 'node_modules', path);

/** Type-checks with `args` (tsc or svelte-check); resolves to its complaints ('' when none). */
const typeCheck = (app, args) => run(process.execPath, args, { cwd: app.dir, timeoutMs: 180_000 })
  .then(() => '', (e) => e.message);

describe('SvelteKit (custom elements): svelte-check strict, vite dev, vite build + adapter-node with server rendering', () => {
  let app;
  before(async () => {
    app = await prepareApp('sveltekit', SVELTEKIT_FILES);
    // What `npm run dev/check` do first: .svelte-kit/ (its tsconfig and the route types).
    await run(process.execPath, [tool(app, '@sveltejs/kit/svelte-kit.js'), 'sync'], { cwd: app.dir, timeoutMs: 60_000 });
  });
  after(() => app?.remove());

  test('svelte-check: the page and the element typings pass strict TypeScript', async () => {
    assert.equal(await typeCheck(app, [tool(app, 'svelte-check/bin/svelte-check'), '--tsconfig', './tsconfig.json',
      '--fail-on-warnings', '--output', 'machine']), '');
  });

  // As a developer runs it, in the app's directory (SvelteKit reads its config and routes from the cwd).
  test('vite dev', async () => {
    const server = await startServer('vite dev', (port) => [tool(app, 'vite/bin/vite.js'), 'dev', '--host', '127.0.0.1',
      '--port', String(port), '--strictPort'], app.dir, () => ({}));
    try {
      await checkCourseApp(`${server.origin}/`);
      assert.equal(server.output(), '', 'vite dev logged no warnings or errors');
    } finally {
      await server.close();
    }
  });

  test('vite build, then the adapter-node server: the element server-rendered with its src, embedded on hydration', async () => {
    const started = Date.now();
    const { stdout, stderr } = await run(process.execPath, [tool(app, 'vite/bin/vite.js'), 'build'],
      { cwd: app.dir, timeoutMs: 300_000, env: BUILD_ENV });
    process.stderr.write(`[apps] sveltekit vite build: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    assert.doesNotMatch(`${stdout}${stderr}`, /warn|error/i, `${stdout}${stderr}`);
    const server = await startServer('the adapter-node server', () => ['build/index.js'], app.dir,
      (port) => ({ ...BUILD_ENV, HOST: '127.0.0.1', PORT: String(port), ORIGIN: `http://127.0.0.1:${port}` }));
    try {
      const html = await (await fetch(`${server.origin}/?frame=${encodeURIComponent(servers.frame)}`)).text();
      const tag = /<coassemble-course [^>]*>/.exec(html)?.[0];
      assert.ok(tag, 'the server rendered the element');
      assert.ok(tag.includes(`src="${servers.frame}/tests/browser/fixtures/frame.html?ready=1&amp;name=course-1&amp;`), tag);
      assert.doesNotMatch(html, /<iframe/, 'no iframe from the server: the element embeds in the browser');
      await checkCourseApp(`${server.origin}/`);
      assert.match(server.output(), /^Listening on http:\/\/127\.0\.0\.1:\d+\n$/, 'the server logged nothing else');
    } finally {
      await server.close();
    }
  });
});

describe('Solid (custom elements): tsc strict, production build', () => {
  let app;
  before(async () => { app = await prepareApp('solid', SOLID_FILES); });
  after(() => app?.remove());

  test('tsc: the app and the element typings pass strict TypeScript', async () => {
    assert.equal(await typeCheck(app, [tool(app, 'typescript/bin/tsc'), '-p', 'tsconfig.json']), '');
  });

  test('vite build', async () => {
    const started = Date.now();
    const { stdout, stderr } = await run(process.execPath, [tool(app, 'vite/bin/vite.js'), 'build'],
      { cwd: app.dir, timeoutMs: 180_000, env: BUILD_ENV });
    process.stderr.write(`[apps] solid vite build: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    assert.equal(`${stdout}${stderr}`.trim(), '', 'vite build printed no warnings');
    const statics = await serveStatic(app.dir);
    try {
      await checkCourseApp(`${statics.origin}/dist-solid/index.html`);
    } finally {
      await statics.close();
    }
  });
});
