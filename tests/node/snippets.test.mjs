// Every ```ts and ```js block of README.md and the docs site type-checks with `tsc --strict` against
// the package's own declarations (resolved through package.json "exports", as a user's project
// resolves them), with the DOM's types and Node's (@types/node): a snippet a reader copies compiles in
// a strict project. Which suite runs each one: `runnerOf` in tests/support/snippets.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, snippets } from '../support/snippets.mjs';

const CODE = new Set(['ts', 'js']);

test('every ts/js snippet of the docs type-checks with tsc --strict', () => {
  const blocks = snippets().filter((s) => CODE.has(s.lang));
  assert.ok(blocks.length >= 20, `only ${blocks.length} ts/js snippets found: the extraction is broken`);
  // Inside the repository, so `coassemble-events/...` resolves to this package's exports and types.
  const dir = join(ROOT, 'target', 'docs-snippets-tsc');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = blocks.map((s, i) => {
    const file = `snippet-${i}.${s.lang === 'ts' ? 'mts' : 'mjs'}`;
    writeFileSync(join(dir, file), s.code);
    return [file, s];
  });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, allowJs: true, checkJs: true, target: 'es2022', lib: ['es2022', 'dom', 'dom.iterable'],
      module: 'nodenext', moduleResolution: 'nodenext', moduleDetection: 'force', skipLibCheck: true, types: ['node'],
    },
    files: files.map(([file]) => file),
  }));
  let output = '';
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  } catch (error) {
    output = `${error.stdout}${error.stderr}`;
  }
  // Each error named by the page and line of its snippet, not the temporary file.
  const named = output.replace(/^(?:\S*\/)?snippet-(\d+)\.m[tj]s\((\d+),(\d+)\)/gm, (_, i, line, col) => {
    const s = files[Number(i)][1];
    return `${s.file}:${s.line + Number(line)}:${col}`;
  });
  assert.equal(named, '', named);
});
