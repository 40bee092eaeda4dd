// The README says what the code does: figures and requirements it states agree with the files that
// define them, and it sends readers to no file a clone of this repository lacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path) => readFileSync(`${root}/${path}`, 'utf8');
const readme = read('README.md');

test('the README budget sentence agrees with size-budget.json', () => {
  const budget = JSON.parse(read('size-budget.json'));
  const sentence = /Budget \(`size-budget\.json`[^)]*\)[^:]*:([^.]*)\./.exec(readme)?.[1];
  assert.ok(sentence, 'README, Performance: the "Budget (`size-budget.json`, ...): ..." sentence is missing');
  const stated = Object.fromEntries([...sentence.matchAll(/([\w-]+) ([\d,]+) B/g)]
    .map(([, entry, bytes]) => [entry, Number(bytes.replaceAll(',', ''))]));
  const actual = Object.fromEntries(Object.entries(budget).filter(([k]) => !k.startsWith('_'))
    .map(([entry, { gzipBytes }]) => [entry, gzipBytes]));
  assert.deepEqual(stated, actual);
});

test('the Node version the README requires is the one package.json and the tests use', () => {
  // The real minimum (issue 18): an ESM-only package that CommonJS code `require()`s needs require(esm)
  // without a flag, which came in Node 20.19 and 22.12 (on 21 and on 22.0-22.11 it throws
  // ERR_REQUIRE_ESM). Checked for real below on the Node running the tests.
  const engines = JSON.parse(read('package.json')).engines.node;
  assert.equal(engines, '^20.19.0 || >=22.12.0');
  const [major, minor] = process.versions.node.split('.').map(Number);
  assert.ok((major === 20 && minor >= 19) || major > 22 || (major === 22 && minor >= 12), `Node ${process.versions.node} is below engines`);
  const required = createRequire(import.meta.url)('coassemble-events/webhooks');
  assert.equal(typeof required.verifyWebhook, 'function', 'require() of the ESM entry works on the minimum');
  assert.deepEqual([...readme.matchAll(/Node (\d+)\+/g)].map((m) => m[1]).filter((v) => v !== '20'), []);
  assert.ok(Number(process.versions.node.split('.')[0]) >= 20, `running on Node ${process.versions.node}`);
});

test('no README or shipped file points to a document the repository does not have', () => {
  const shipped = ['README.md', 'js/page/index.js', 'js/page/embed.js', 'js/page/autosave.js', 'js/page/removal.js',
    'js/page/index.d.ts', 'js/page/autosave.d.ts', 'src/lib.rs', 'src/decode.rs', 'www/server.mjs',
    'testing/emulators/emulator.js', 'fuzz/Cargo.toml'];
  for (const file of shipped.filter((f) => existsSync(`${root}/${f}`))) {
    for (const [name] of read(file).matchAll(/\b(?:[\w-]+\/)*[A-Z][\w-]*\.md\b|docs\/[\w./-]+/g)) {
      if (['README.md', 'CHANGELOG.md'].includes(name) && existsSync(`${root}/${name}`)) continue;
      assert.ok(existsSync(`${root}/${name}`), `${file} mentions ${name}, which a clone does not have`);
    }
  }
});
