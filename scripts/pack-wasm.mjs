// Finishes the wasm-bindgen `--target web` bundle of the webhooks entry (called by scripts/build.sh):
//   1. drops the glue's asynchronous init (the default export): the package only uses `initSync` on
//      the inlined bytes, and the async path's fetch fallback would make bundlers resolve (and
//      demand) the .wasm asset;
//   2. applies the import/export renaming of `wasm-opt --minify-imports-and-exports-and-modules`
//      (whose mapping is <map>) to the glue: wasm-bindgen's names carry a 16-hex-digit hash each,
//      written once in the wasm and once in the glue;
//   3. inlines the wasm in wasm-bytes.js (scripts/inline-wasm.mjs).
// Every rewrite checks that it found what it expects, so a wasm-bindgen upgrade fails the build
// instead of shipping a broken glue. Sizes: `npm run size`; history: CONTRIBUTING.md, Size.
//
//   node scripts/pack-wasm.mjs <out dir> <out name> <map.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { inlineWasm } from './inline-wasm.mjs';

const [dir, name, mapFile] = process.argv.slice(2);
const gluePath = `${dir}/${name}.js`;
const wasmPath = `${dir}/${name}_bg.wasm`;
let glue = readFileSync(gluePath, 'utf8');
const wasm = readFileSync(wasmPath);

function replaceAll(pattern, replacement, what) {
  const before = glue;
  glue = glue.replace(pattern, replacement);
  if (glue === before) throw new Error(`${gluePath}: ${what} not found; update scripts/pack-wasm.mjs`);
}

// 1. The asynchronous init: `__wbg_load`, `__wbg_init`, `__wbg_init_once` and the default export.
const cut = (from, to, what) => {
  const start = glue.indexOf(from);
  const end = glue.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`${gluePath}: ${what} not found; update scripts/pack-wasm.mjs`);
  glue = glue.slice(0, start) + glue.slice(end);
};
cut('async function __wbg_load(', 'function initSync(', 'async loader');
cut('let __wbg_init_promise;', 'export {', 'async init');
replaceAll('export { initSync, __wbg_init as default };', 'export { initSync };', 'default export');
if (glue.includes('import.meta.url')) throw new Error(`${gluePath}: still refers to the .wasm file`);

// 2. Short import and export names.
const escape = (s) => s.replace(/[$]/g, '\\$&');
const map = JSON.parse(readFileSync(mapFile, 'utf8'));
const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => i.module));
if (modules.size !== 1) throw new Error(`${wasmPath}: expected one import module, found ${[...modules]}`);
const [module] = modules;
replaceAll(`"./${name}_bg.js": import0`, `${JSON.stringify(module)}: import0`, 'import module name');
// The webhooks wasm has no `inline_js` snippets (they would each be another file to fetch): say so.
if (/from ["']\.\/snippets\//.test(glue)) throw new Error(`${gluePath}: imports snippets; inline them or drop them`);
for (const [, from, to] of map.imports) {
  // Keys of the imports object: `        __wbg_src_711a51ab519fb47a: function(...`
  replaceAll(new RegExp(`^(\\s+)${escape(from)}:`, 'm'), `$1${JSON.stringify(to)}:`, `import ${from}`);
}
for (const [from, to] of map.exports) {
  if (!/^[A-Za-z_$][\w$]*$/.test(to)) throw new Error(`export name ${to} is not an identifier`);
  const uses = new RegExp(`\\bwasm\\.${escape(from)}\\b`, 'g');
  // An export the glue never calls (e.g. a start function wasm-bindgen runs itself) stays unused.
  if (uses.test(glue)) glue = glue.replace(uses, `wasm.${to}`);
}
for (const [, from] of map.imports) {
  if (glue.includes(from)) throw new Error(`${gluePath}: ${from} is still referenced after renaming`);
}
writeFileSync(gluePath, glue);

// 3. The wasm, inlined (scripts/inline-wasm.mjs says how and why).
inlineWasm(wasmPath, `${dir}/wasm-bytes.js`);
