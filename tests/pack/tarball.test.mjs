// The tarball is the product: `npm pack` must ship the license texts, every repository file the README
// tells a user to run or read (outside the sections about working on this repository, and other than
// pointers to its tests, benchmarks and demo), and every `coassemble-events/<entry>` the README imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

// Sections about this repository (building it, its demo, its own tests and figures, the Rust crate
// used from a git checkout): the paths they name are not meant to be in the npm package.
const REPOSITORY_SECTIONS = /^(Development|Demo|With a real Coassemble course|Try it in the demo|Tests|Rust|Rust \(.*\)|Performance|Size: .*|Decisions, .*|What each dependency costs|Speed: .*|Robustness)$/;

/** The README split into its sections: `{ heading, parents, text }` for each heading, levels 2 to 4. */
function sections() {
  const out = [];
  const stack = [];
  let fence = false;
  for (const line of README.split('\n')) {
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

test('every repository file a user-facing README section names is in the tarball', () => {
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
  assert.ok(named.size > 0, 'the README names no repository file at all: the scan is broken');
  const missing = [...named].filter(([path]) => !packed.has(path)).map(([path, heading]) => `${path} (README: ${heading})`);
  assert.deepEqual(missing, [], 'README paths not in the tarball');
});

test('every coassemble-events/<entry> the README imports or runs is exported', () => {
  const entries = new Set([...README.matchAll(/['"`]coassemble-events(\/[\w-]+)?['"`]/g)].map((m) => `.${m[1] ?? ''}`));
  assert.ok(entries.has('./testing') && entries.has('./webhooks'), [...entries].join(', '));
  for (const entry of entries) assert.ok(Object.hasOwn(pkg.exports, entry), `README imports coassemble-events${entry.slice(1)}: not in exports`);
  assert.match(README, /npx coassemble-events send-test-webhooks/);
  assert.ok(pkg.bin?.['coassemble-events'], 'README runs `npx coassemble-events`: package.json needs that bin');
});
