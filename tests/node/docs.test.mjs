// The docs say what the code does: the README's figures are the committed benchmark results, the
// results agree with the size budget, the Node version stated is the one package.json requires, and
// no doc or shipped file sends readers to a file a clone of this repository lacks, nor to a README or
// CONTRIBUTING.md section that is not there.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readResults } from '../../bench/results.mjs';
import { renderedReadme } from '../../scripts/docs-figures.mjs';
import { ROOT, docFiles } from '../support/snippets.mjs';

const read = (path) => readFileSync(`${ROOT}/${path}`, 'utf8');

test("the README's Performance figures equal bench/results/*.json", () => {
  const readme = read('README.md');
  assert.equal(readme, renderedReadme(readme), 'README.md: run `node scripts/docs-figures.mjs --write`');
});

test('the measured sizes are within size-budget.json and the hard budget', () => {
  const { size } = readResults();
  const budget = JSON.parse(read('size-budget.json'));
  for (const [entry, { gzip }] of Object.entries(size.entries)) {
    assert.ok(gzip <= budget[entry].gzipBytes, `${entry}: ${gzip} B measured, budget ${budget[entry].gzipBytes} B`);
  }
  assert.ok(budget['in-page'].gzipBytes <= size.hardBudget['in-page'], 'size-budget.json allows more than the hard budget');
});

test('the Node version the docs require is the one package.json and the tests use', () => {
  // The real minimum (issue 18): an ESM-only package that CommonJS code `require()`s needs require(esm)
  // without a flag, which came in Node 20.19 and 22.12 (on 21 and on 22.0-22.11 it throws
  // ERR_REQUIRE_ESM). Checked for real below on the Node running the tests.
  const engines = JSON.parse(read('package.json')).engines.node;
  assert.equal(engines, '^20.19.0 || >=22.12.0');
  const [major, minor] = process.versions.node.split('.').map(Number);
  assert.ok((major === 20 && minor >= 19) || major > 22 || (major === 22 && minor >= 12), `Node ${process.versions.node} is below engines`);
  const required = createRequire(import.meta.url)('coassemble-events/webhooks');
  assert.equal(typeof required.verifyWebhook, 'function', 'require() of the ESM entry works on the minimum');
  // A requirement the docs state is the precise one: "Node 20.19+", never a looser "Node 20+".
  for (const file of docFiles()) {
    assert.deepEqual([...read(file).matchAll(/Node (\d+(?:\.\d+)?)\+|Node (\d+) or later|engines: ([^`]+)/g)]
      .map((m) => m[1] ?? m[2] ?? m[3]).filter((v) => !['20.19', '22.12', '^20.19.0 || >=22.12.0'].includes(v)), [], file);
  }
  assert.ok(Number(process.versions.node.split('.')[0]) >= 20, `running on Node ${process.versions.node}`);
});

test('every guide page is in the docs site\'s sidebar (none is reachable only by knowing its URL)', () => {
  const config = read('docs/.vitepress/config.mjs');
  const linked = new Set([...config.matchAll(/link: '\/guide\/([\w-]+)'/g)].map((m) => m[1]));
  const pages = execFileSync('git', ['ls-files', 'docs/guide'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter((f) => f.endsWith('.md')).map((f) => f.slice('docs/guide/'.length, -3));
  assert.ok(pages.length > 10, `${pages.length} guide pages`);
  assert.deepEqual(pages.filter((p) => !linked.has(p)), []);
});

test('no doc or shipped file points to a document the repository does not have', () => {
  const shipped = [...docFiles(), 'CONTRIBUTING.md', 'CHANGELOG.md', 'js/page/index.js', 'js/page/embed.js',
    'js/page/autosave.js', 'js/page/removal.js', 'js/page/index.d.ts', 'js/page/autosave.d.ts', 'src/lib.rs',
    'src/decode.rs', 'www/server.mjs', 'testing/emulators/emulator.js', 'fuzz/Cargo.toml'];
  for (const file of shipped.filter((f) => existsSync(`${ROOT}/${f}`))) {
    for (const [name] of read(file).matchAll(/(?<![\w./-])(?:(?:[\w-]+\/)*[A-Z][\w-]*\.md\b|docs\/[\w/-]+\.\w+)/g)) {
      assert.ok(existsSync(`${ROOT}/${name}`) || existsSync(`${ROOT}/docs/${name}`), `${file} mentions ${name}, which a clone does not have`);
    }
  }
});

test('every "README, Section" / "CONTRIBUTING.md, Section" pointer in shipped code names a heading it has', () => {
  const headings = Object.fromEntries(['README', 'CONTRIBUTING'].map((doc) => [doc,
    [...read(`${doc}.md`).matchAll(/^#+ (.+)$/gm)].map((m) => m[1])]));
  const files = execFileSync('git', ['ls-files', 'js', 'scripts', 'bench', 'www', 'src', 'testing', 'size-budget.json', 'Cargo.toml'],
    { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => /\.(m?js|sh|rs|json|toml)$/.test(f) && !f.startsWith('bench/results/'));
  assert.ok(files.length > 50, `only ${files.length} files`);
  const missing = [];
  for (const file of files) {
    for (const [, doc, section] of read(file).matchAll(/\b(README|CONTRIBUTING)(?:\.md)?, "?([A-Z][\w -]*\w)/g)) {
      if (!headings[doc].some((h) => h.startsWith(section))) missing.push(`${file}: ${doc}, ${section}`);
    }
  }
  assert.deepEqual(missing, []);
});
