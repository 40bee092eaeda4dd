// What a page downloads for each entry point of the package: every file reached by static imports,
// raw and gzipped (gzip -9, as a static server or CDN would send it). `--check` exits 1 when an
// entry's gzipped total grows past its budget in size-budget.json.
//
//   node scripts/size.mjs           print the table
//   node scripts/size.mjs --check   also enforce the budget (npm test runs this)
//   node scripts/size.mjs --save    also write bench/results/size.json (the figures the docs print)
import { readFileSync, existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { saveResults } from '../bench/results.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The built files a page loads (package.json `exports`), not the readable sources in js/.
const ENTRIES = { 'in-page': 'dist/index.js', autosave: 'dist/autosave.js', elements: 'dist/elements.js', webhooks: 'dist/webhooks.js' };
// The binary wasm behind an entry, for reference: what the inlined copy would cost as a .wasm file.
const WASM = { 'in-page': 'pkg/web/coassemble_events_bg.wasm', webhooks: 'pkg/webhooks/coassemble_events_webhooks_bg.wasm' };

// Issue 11's hard budget for what a page downloads; size-budget.json keeps each entry a little under.
const HARD_BUDGET = { 'in-page': 16000 };

const gzipped = (bytes) => gzipSync(bytes, { level: 9 }).length;

// Static `import ... from '...'`, `import '...'` and `export ... from '...'` with relative specifiers.
// Comments are removed first so that examples in them do not count.
const STATIC_IMPORT = /(?:^|[;\n])\s*(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?['"](\.{1,2}\/[^'"]+)['"]/g;

function graph(entry) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    if (!existsSync(file)) throw new Error(`${relative(root, file)} is missing: run 'npm run build' first`);
    seen.add(file);
    const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`])\/\/.*$/gm, '$1');
    for (const [, spec] of source.matchAll(STATIC_IMPORT)) visit(resolve(dirname(file), spec));
  };
  visit(resolve(root, entry));
  return [...seen];
}

function measure(name) {
  const files = graph(ENTRIES[name]).map((file) => {
    const bytes = readFileSync(file);
    return { file: relative(root, file), raw: bytes.length, gzip: gzipped(bytes) };
  });
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip }), { raw: 0, gzip: 0 });
  const wasmFile = WASM[name] && resolve(root, WASM[name]);
  const wasm = wasmFile && existsSync(wasmFile) ? readFileSync(wasmFile) : null;
  return { name, files, total, wasm: wasm && { raw: wasm.length, gzip: gzipped(wasm) } };
}

const kb = (n) => (n / 1024).toFixed(1).padStart(6) + ' KB';
const row = (label, raw, gzip) => `${label.padEnd(42)} ${String(raw).padStart(8)} ${String(gzip).padStart(8)}   ${kb(gzip)}`;

const budget = JSON.parse(readFileSync(resolve(root, 'size-budget.json'), 'utf8'));
const results = Object.keys(ENTRIES).map(measure);
let over = false;
for (const { name, files, total, wasm } of results) {
  console.log(`\n${name} (${ENTRIES[name]} and its static imports)`);
  console.log(`${'file'.padEnd(42)} ${'raw B'.padStart(8)} ${'gzip B'.padStart(8)}`);
  for (const f of files) console.log(row(f.file, f.raw, f.gzip));
  console.log(row('total', total.raw, total.gzip));
  if (wasm) console.log(row('  (for reference: the .wasm binary alone)', wasm.raw, wasm.gzip));
  const limit = budget[name]?.gzipBytes;
  if (limit === undefined) {
    console.log(`budget: none recorded for '${name}' in size-budget.json`);
    over = true;
  } else {
    const ok = total.gzip <= limit;
    if (!ok) over = true;
    console.log(`budget: ${total.gzip} / ${limit} B gzipped ${ok ? 'ok' : 'EXCEEDED'}`);
  }
}
if (process.argv.includes('--save')) {
  const entries = Object.fromEntries(results.map(({ name, total, wasm }) => [name, { ...total, wasm }]));
  console.log(`\nwrote ${relative(root, saveResults('size', 'node scripts/size.mjs --save', { entries, hardBudget: HARD_BUDGET }))}`);
}
if (process.argv.includes('--check') && over) {
  console.error('\nsize check failed: an entry grew past its budget in size-budget.json (see CONTRIBUTING.md, Size)');
  process.exit(1);
}
