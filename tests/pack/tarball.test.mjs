// The tarball is the product: `npm pack` must ship the license texts, every repository file the docs
// (README.md and the docs site's pages) tell a user to run or read (outside the pages and sections
// about working on this repository, and other than pointers to its tests, benchmarks and demo), and
// every `coassemble-events/<entry>` the docs import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docFiles } from '../support/snippets.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The user-facing docs: README.md and the guides, less the pages about this repository itself.
const REPOSITORY_PAGES = ['docs/guide/demo.md', 'docs/guide/rust.md', 'docs/performance.md'];
const DOCS = docFiles().filter((f) => !REPOSITORY_PAGES.includes(f)).map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

// Sections about this repository (building it, its demo, its own tests and figures, the Rust crate
// used from a git checkout): the paths they name are not meant to be in the npm package.
const REPOSITORY_SECTIONS = /^(Development|Performance|Try it in the demo|Browser support)$/;

/** The docs split into their sections: `{ heading, parents, text }` for each heading, levels 2 to 4. */
function sections() {
  const out = [];
  const stack = [];
  let fence = false;
  for (const line of DOCS.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = !fence && /^(#{2,4}) (.*)$/.exec(line);
    if (m) {
      const level = m[1].length;
      while (stack.length && stack.at(-1).level >= level) stack.pop();
      const section = { heading: m[2].trim(), level, parents: stack.map((s) => s.heading), text: `${m[2]}\n` };
      stack.push(section);
      out.push(section);
    } else if (out.length) {
      out.at(-1).text += `${line}\n`;
    }
  }
  return out;
}

// --ignore-scripts: prepack would rebuild; npm test has built already (the test checks that first).
const [report] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }));
const packed = new Set(report.files.map((f) => f.path));

// Issue 18: 1.8 MB unpacked, 60 % of it source maps, the webhooks wasm inlined three times.
test('the unpacked package is at most 700 KB: no source maps, the webhooks wasm inlined once', () => {
  assert.ok(report.unpackedSize <= 700_000, `unpacked ${report.unpackedSize} B`);
  assert.deepEqual([...packed].filter((f) => f.endsWith('.map')), []);
  // A wasm is inlined as a template literal of its bytes (scripts/inline-wasm.mjs), which esbuild
  // writes starting with the magic number: `\0asm. (The Workers entry imports the .wasm file instead.)
  const copies = [...packed].filter((f) => f.endsWith('.js'))
    .filter((f) => readFileSync(join(ROOT, f), 'utf8').includes('`\\0asm')).length;
  assert.ok(copies <= 2, `${copies} files inline a wasm (the in-page one, and the webhooks one once)`);
});

test('package.json says where the project lives and what it needs', () => {
  assert.equal(pkg.repository.url, 'git+https://github.com/coassemble-events/coassemble-events.git');
  assert.equal(pkg.homepage, 'https://coassemble-events.github.io/coassemble-events/');
  assert.equal(pkg.bugs.url, 'https://github.com/coassemble-events/coassemble-events/issues');
  assert.equal(pkg.author, 'coassemble-events contributors');
  // The inbox's declarations use Node's types (Buffer, http): optional, like the database drivers.
  assert.equal(pkg.peerDependenciesMeta['@types/node']?.optional, true);
});

test('the tarball holds the built entry points, their types, the license texts and the test kit', () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is missing: run `bash scripts/build.sh` first (npm test does)');
  for (const file of ['LICENSE-MIT', 'LICENSE-APACHE', 'README.md', 'package.json', pkg.bin['coassemble-events'].replace(/^\.\//, ''),
    'testing/emulators/player.html', 'testing/emulators/builder.html', 'testing/emulators/emulator.js']) {
    assert.ok(packed.has(file), `${file} is not in the tarball`);
  }
  for (const [entry, target] of Object.entries(pkg.exports)) {
    for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
      assert.ok(packed.has(file.replace(/^\.\//, '')), `${entry} -> ${file} is not in the tarball`);
    }
  }
});

test('every repository file a user-facing docs section names is in the tarball', () => {
  const named = new Map(); // path -> section heading
  for (const { heading, parents, text } of sections()) {
    if ([heading, ...parents].some((h) => REPOSITORY_SECTIONS.test(h))) continue;
    for (const [, path] of text.matchAll(/(?<![\w/.:-])((?:[\w.-]+\/)+[\w.-]+\.(?:m?js|cjs|ts|json|rs|sh|html|css|sql))/g)) {
      // A path of the user's own app (app/page.tsx, src/main.ts) is not one of ours: only files that
      // exist here count. tests/, bench/ and www/ (the demo) are pointers to this repository's evidence.
      if (existsSync(join(ROOT, path)) && !/^(tests|bench|www)\//.test(path)) named.set(path, heading);
    }
    for (const [, path] of text.matchAll(/\b(LICENSE-[A-Z]+)\b/g)) named.set(path, heading);
  }
  assert.ok(named.size > 0, 'the docs name no repository file at all: the scan is broken');
  const missing = [...named].filter(([path]) => !packed.has(path)).map(([path, heading]) => `${path} (docs: ${heading})`);
  assert.deepEqual(missing, [], 'docs paths not in the tarball');
});

test('every coassemble-events/<entry> the docs import or run is exported', () => {
  const entries = new Set([...DOCS.matchAll(/['"`]coassemble-events(\/[\w-]+)?['"`]/g)].map((m) => `.${m[1] ?? ''}`));
  assert.ok(entries.has('./testing') && entries.has('./webhooks'), [...entries].join(', '));
  for (const entry of entries) assert.ok(Object.hasOwn(pkg.exports, entry), `the docs import coassemble-events${entry.slice(1)}: not in exports`);
  assert.match(DOCS, /npx coassemble-events send-test-webhooks/);
  assert.ok(pkg.bin?.['coassemble-events'], 'the docs run `npx coassemble-events`: package.json needs that bin');
});
