// Finishes the wasm-bindgen `--target web` bundle of the webhooks entry (called by scripts/build.sh):
//   1. drops the glue's asynchronous init (the default export): the package only uses `initSync` on
//      the inlined bytes, and the async path's fetch fallback would make bundlers resolve (and
//      demand) the .wasm asset;
//   2. applies the import/export renaming of `wasm-opt --minify-imports-and-exports-and-modules`
//      (whose mapping is <map>) to the glue: wasm-bindgen's names carry a 16-hex-digit hash each,
//      written once in the wasm and once in the glue;
//   3. inlines the crate's `inline_js` snippets into the glue (one file fewer to ship and fetch);
//   4. inlines the wasm in wasm-bytes.js (scripts/inline-wasm.mjs).
// Every rewrite checks that it found what it expects, so a wasm-bindgen upgrade fails the build
// instead of shipping a broken glue. Sizes: README.md, Performance; `npm run size`.
//
//   node scripts/pack-wasm.mjs <out dir> <out name> <map.json>
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const snippets = new Map(); // snippet module path -> the glue's namespace import of it
// A snippet function that the glue wraps (to convert its result) is also imported by name.
const named = new Map(); // snippet module path -> `const { f, g } = importN;` once it is inlined
for (const [line, names, path] of glue.matchAll(/^import \{ ([\w$, ]+) \} from '(\.\/snippets\/[^']+)';$/gm)) {
  named.set(path, names);
  replaceAll(`${line}\n`, '', `named snippet import ${path}`);
}
// The snippet's code, as an expression of its exports.
const inlined = (path) => {
  const code = readFileSync(`${dir}/${path}`, 'utf8');
  const names = [...code.matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
  if (!names.length || /^\s*(import|export (?!function))/m.test(code)) {
    throw new Error(`${path}: only \`export function\` snippets can be inlined; update scripts/pack-wasm.mjs`);
  }
  return `(() => {\n${code.replace(/^export function/gm, 'function')}\nreturn { ${names.join(', ')} };\n})()`;
};
for (const [line, namespace, path] of glue.matchAll(/^import \* as (import\d+) from "(\.\/snippets\/[^"]+)"$/gm)) {
  // Inline the snippet (the crate's `inline_js`): one file fewer to ship and to fetch. (The glue may
  // import one snippet under two namespaces: the code is inlined once.)
  const first = snippets.get(path);
  snippets.set(path, first ?? namespace);
  replaceAll(line, `const ${namespace} = ${first ?? inlined(path)};` +
    (named.has(path) ? `\nconst { ${named.get(path)} } = ${namespace};` : ''), `snippet import ${path}`);
  named.delete(path);
  // wasm-opt merged every import module into one: the snippet's functions join import0 below.
  replaceAll(`        ${JSON.stringify(path)}: ${namespace},\n`, '', `snippet module ${path}`);
}
// A snippet whose functions are all wrapped by the glue has no namespace import.
for (const [path, names] of named) {
  replaceAll('function __wbg_get_imports() {', `const { ${names} } = ${inlined(path)};\nfunction __wbg_get_imports() {`,
    `glue imports (for ${path})`);
  named.delete(path);
}
if (named.size) throw new Error(`${gluePath}: named snippet imports ${[...named.keys()]} not inlined; update scripts/pack-wasm.mjs`);
for (const [from_module, from, to] of map.imports) {
  if (snippets.has(from_module)) {
    replaceAll('    const import0 = {\n        __proto__: null,\n',
      `    const import0 = {\n        __proto__: null,\n        ${JSON.stringify(to)}: ${snippets.get(from_module)}.${from},\n`,
      `snippet import ${from}`);
    continue;
  }
  // Keys of the imports object: `        __wbg_src_711a51ab519fb47a: function(...`
  replaceAll(new RegExp(`^(\\s+)${escape(from)}:`, 'm'), `$1${JSON.stringify(to)}:`, `import ${from}`);
}
for (const [from, to] of map.exports) {
  if (!/^[A-Za-z_$][\w$]*$/.test(to)) throw new Error(`export name ${to} is not an identifier`);
  const uses = new RegExp(`\\bwasm\\.${escape(from)}\\b`, 'g');
  // An export the glue never calls (e.g. a start function wasm-bindgen runs itself) stays unused.
  if (uses.test(glue)) glue = glue.replace(uses, `wasm.${to}`);
}
for (const [from_module, from] of map.imports) {
  if (!snippets.has(from_module) && glue.includes(from)) throw new Error(`${gluePath}: ${from} is still referenced after renaming`);
}
writeFileSync(gluePath, glue);
rmSync(`${dir}/snippets`, { recursive: true, force: true });

// 4. The wasm, inlined (scripts/inline-wasm.mjs says how and why).
inlineWasm(wasmPath, `${dir}/wasm-bytes.js`);
