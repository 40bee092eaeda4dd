// The docs' Testing page: its Playwright test runs as written (@playwright/test, Chromium, TypeScript),
// against the lesson page it describes (tests/browser/fixtures/lesson.html, the real built package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromePath } from '../support/browser.mjs';
import { startServers } from '../support/server.mjs';
import { snippetStartingWith } from '../support/snippets.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the repository, so `coassemble-events/testing` resolves to this package (its own exports).
const DIR = join(ROOT, 'target', 'readme-testing');

test('the docs\' Playwright test passes against the lesson page, and fails where there is none', async () => {
  const servers = await startServers(); // no /api/coassemble-url: the spec's page.route must answer it
  try {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'lesson.spec.ts'), snippetStartingWith('ts', '// tests/lesson.spec.ts').code);
    const run = (baseURL) => {
      writeFileSync(join(DIR, 'playwright.config.mjs'), `export default {
  testDir: '.', timeout: 60000, workers: 1, reporter: 'line', outputDir: ${JSON.stringify(join(DIR, 'results'))},
  use: { baseURL: ${JSON.stringify(baseURL)}, launchOptions: { executablePath: ${JSON.stringify(chromePath())},
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'] } },
};\n`);
      return new Promise((resolve) => {
        const child = spawn(process.execPath, [join(ROOT, 'node_modules', '@playwright', 'test', 'cli.js'), 'test',
          '--config', join(DIR, 'playwright.config.mjs')], { cwd: DIR, env: { ...process.env, CI: '1' } });
        let out = '';
        child.stdout.on('data', (c) => { out += c; });
        child.stderr.on('data', (c) => { out += c; });
        child.once('exit', (code) => resolve({ code, out }));
      });
    };
    const passing = await run(`${servers.host}/tests/browser/fixtures/`);
    assert.equal(passing.code, 0, passing.out);
    assert.match(passing.out, /1 passed/);
    // Control: the same spec against a directory with no lesson page fails, so the pass above means something.
    const failing = await run(`${servers.host}/tests/browser/`);
    assert.notEqual(failing.code, 0, failing.out);
    assert.match(failing.out, /1 failed/);
  } finally {
    await servers.close();
  }
});
