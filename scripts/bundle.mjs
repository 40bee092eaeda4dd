// The JavaScript the npm package ships (called by scripts/build.sh after the wasm bundles): each entry
// point of package.json's `exports`, bundled with what it imports (the wasm-bindgen glue and the
// inlined wasm included) and minified by esbuild into dist/, with a source map back to js/ and pkg/.
// One file per entry: a plain ES-module page then fetches one module, not a waterfall of seven.
// The readable sources stay in js/; the tests import the built files (the package's `exports`).
//
// An entry that builds on the main API imports `./index.js`: that import stays as is (external), so a
// page that uses both entries loads one copy of the SDK, not two.
//
//   node scripts/bundle.mjs
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { exports } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

// `"./autosave": { "default": "./dist/autosave.js" }` is built from js/autosave.js.
const entries = Object.values(exports)
  .map((target) => target.default)
  .filter((file) => file?.startsWith('./dist/'))
  .map((file) => file.replace(/^\.\/dist\//, ''));

const mainEntryExternal = {
  name: 'main-entry-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/index\.js$/ }, (args) =>
      args.importer === resolve(root, 'js/index.js') || !args.importer.startsWith(resolve(root, 'js'))
        ? undefined : { path: './index.js', external: true });
  },
};

await build({
  absWorkingDir: root,
  entryPoints: entries.map((name) => `js/${name}`),
  outdir: 'dist',
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  // Private class fields, `??`, optional catch bindings: every browser the wasm runs in has them.
  target: 'es2022',
  minify: true,
  // The inlined wasm is one Latin-1 character per byte; `ascii` would write most as `\xNN`.
  charset: 'utf8',
  sourcemap: true,
  legalComments: 'none',
  plugins: [mainEntryExternal],
  logLevel: 'warning',
});
