// The JavaScript the npm package ships (called by scripts/build.sh after the wasm bundles): each entry
// point of package.json's `exports`, bundled with what it imports (the wasm-bindgen glue and the
// inlined wasm included) and minified by esbuild into dist/, with a source map back to js/ and pkg/
// (not shipped: see `sourcemap` below).
// Sources by where they run: js/page/ (the in-page SDK, loaded by every learner's page: no Node
// built-ins), js/server/ (webhooks, the inbox and its operations, the Headless API client) and
// js/testing/ (the test kit and the platform emulator).
// One file per entry: a plain ES-module page then fetches one module, not a waterfall of seven.
// The readable sources stay in js/; the tests import the built files (the package's `exports`).
//
// An entry that builds on another imports `./index.js` or `./autosave.js`: that import stays as is
// (external), so a page that uses both entries loads one copy of the SDK, not two. React and Vue are
// the app's own (optional peer dependencies), never bundled; so are the inbox's database drivers (pg,
// better-sqlite3: imported only when a store of theirs opens) and Node's built-ins (the inbox is
// Node-only; the other entries import none, tests/node/webhooks.test.mjs checks it for webhooks).
//
// `"./webhooks": { "workerd": "./dist/webhooks.workerd.js" }` is js/server/webhooks.js again, with the wasm
// taken from js/server/webhooks-wasm.workerd.js (a `.wasm` import, copied next to it) instead of the inlined
// bytes: Cloudflare Workers refuse to compile wasm at run time.
//
//   node scripts/bundle.mjs
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { exports } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

// `"./autosave": { "default": "./dist/autosave.js" }` is built from js/page/autosave.js (the one
// folder of js/ that has a file of that name).
const entries = Object.values(exports)
  .map((target) => target.default)
  .filter((file) => file?.startsWith('./dist/'))
  .map((file) => file.replace(/^\.\/dist\//, ''));
const sourceOf = (name) => {
  const found = ['page', 'server', 'testing'].map((dir) => `js/${dir}/${name}`).filter((path) => existsSync(resolve(root, path)));
  if (found.length !== 1) throw new Error(`bundle: ${name} must be in exactly one of js/page, js/server, js/testing`);
  return found[0];
};

const ENTRY_IMPORTS = /^\.\/(index|autosave)\.js$/;
const mainEntryExternal = {
  name: 'main-entry-external',
  setup(build) {
    build.onResolve({ filter: ENTRY_IMPORTS }, (args) =>
      (dirname(args.importer) === resolve(root, 'js/page') ? { path: args.path, external: true } : undefined));
  },
};

const workerdWasm = {
  name: 'workerd-wasm',
  setup(build) {
    build.onResolve({ filter: /\/wasm-bytes\.js$/ }, (args) => (args.importer.includes('webhooks')
      ? { path: resolve(root, 'js/server/webhooks-wasm.workerd.js') } : undefined));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  // Private class fields, `??`, optional catch bindings: every browser the wasm runs in has them.
  target: 'es2022',
  minify: true,
  // The inlined wasm is one Latin-1 character per byte; `ascii` would write most as `\xNN`.
  charset: 'utf8',
  // Maps are kept out of the package (package.json `files`: they were 60 % of it, 1.1 MB, mostly the
  // sources and inlined wasm they embed; without those they are 140 KB of mappings to files an install
  // lacks). 'external': no `sourceMappingURL` comment, so no tool looks for a map an install has not;
  // they stay in dist/ for decoding a stack trace from this repository.
  sourcemap: 'external',
  legalComments: 'none',
  // Peer dependencies (react, vue; the inbox's database drivers, imported only when a store of theirs
  // opens), and Node's built-ins (only the Node-side entries, /testing and /inbox, have any).
  external: ['react', 'vue', 'pg', 'better-sqlite3', 'node:*'],
  logLevel: 'warning',
};

const entryPoints = (filter) => Object.fromEntries(entries.map((name) => [name.replace(/\.js$/, ''), sourceOf(name)])
  .filter(([, source]) => filter(source)));

// The in-page entries: one file each (a page fetches one module, not a waterfall).
await build({
  ...common,
  entryPoints: entryPoints((source) => source.startsWith('js/page/')),
  outdir: 'dist',
  plugins: [mainEntryExternal],
});

// The server and testing entries split what they share into dist/chunks/: the webhooks wasm (about
// 80 KB, inlined) is shipped once, not once in each of webhooks.js, inbox.js and testing.js.
await build({
  ...common,
  entryPoints: entryPoints((source) => !source.startsWith('js/page/')),
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});

await build({
  ...common,
  entryPoints: { 'webhooks.workerd': 'js/server/webhooks.js' },
  outdir: 'dist',
  loader: { '.wasm': 'copy' },
  assetNames: '[name]',
  plugins: [workerdWasm],
});
