// End to end: the demo server (`node www/server.mjs`, PORT=0) in headless Chromium, with the real package
// and the emulators on their own origin. One browser and one page for the whole file, in story order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../support/browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(ROOT, 'target', 'e2e');
const COURSE = 4101; // the course the builder emulator opens with

let server;
let base;
let dataDir;
let context;
let page;
const pageErrors = [];

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'index.js')),
    'dist/ is missing: run `bash scripts/build.sh` first (scripts/test.sh does)');
  dataDir = mkdtempSync(join(tmpdir(), 'coassemble-events-demo-'));
  server = spawn(process.execPath, ['www/server.mjs'], {
    cwd: ROOT, env: { ...process.env, PORT: '0', EMU_PORT: '0', DEMO_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /coassemble-events demo: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.once('exit', (code) => reject(new Error(`demo server exited (${code}) before printing its URL:\n${out}`)));
  });
  context = await launchBrowser();
  page = await context.newPage();
  // Generous waits: these machines have 2 cores, often shared with a Rust build.
  page.setDefaultTimeout(90_000);
  await page.setViewportSize({ width: 1440, height: 1100 });
  page.on('pageerror', (err) => pageErrors.push(err));
  await page.goto(base);
  await sessionsReady();
});

/** Waits for both embeds to leave 'connecting', then requires 'ready' (not a ready timeout). */
async function sessionsReady() {
  for (const pill of ['#player-pill', '#builder-pill']) {
    await page.locator(`${pill}:not([data-state="connecting"])`).waitFor();
    assert.equal(await page.locator(pill).getAttribute('data-state'), 'ready', `${pill}: ${await page.locator(pill).textContent()}`);
  }
}

after(async () => {
  await context?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill();
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const api = (path, init) => fetch(new URL(path, base), init).then((r) => r.json());
const frameOf = (page, name) => page.frames().find((f) => f.url().includes(`/${name}.html`));

/** Polls `fn` until it returns a truthy value; fails with `what` after `ms`. */
async function until(what, fn, ms = 90_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) assert.fail(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the progress bar reaches 100 and never shows a lower value while the learner goes back', async () => {
  // Record every value the bar and its label ever show.
  await page.evaluate(() => {
    window.__shown = [];
    const bar = document.querySelector('#progress');
    const text = document.querySelector('#progress-text');
    const record = () => window.__shown.push([Number(bar.getAttribute('aria-valuenow')), Number(text.textContent)]);
    new MutationObserver(record).observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
    new MutationObserver(record).observe(text, { childList: true, characterData: true, subtree: true });
  });
  const player = page.frameLocator('#player-frame iframe');
  const click = (sel) => player.locator(sel).click();
  await click('#next');                       // start: screen 1, 0 %
  await click('#next');                       // screen 2, 17 %
  await click('#next');                       // screen 3, 33 %
  await page.locator('#progress[aria-valuenow="33"]').waitFor();
  await click('#back');                       // screen 2: the player re-sends 17 %
  await click('#back');                       // screen 1: 0 %
  await click('#next');                       // 17 % again
  await click('#next');                       // 33 % again
  await click('#next');                       // screen 4, the quiz, 50 %
  await click('[data-option="0"]');           // wrong answer: the quiz is failed
  await click('#retry');
  await click('[data-option="1"]');           // right answer
  await click('#next');                       // 67 %
  await click('#back');                       // 50 % re-sent
  await click('#next');
  await click('#next');                       // 83 %
  await click('#next');                       // complete: 100 %
  await page.locator('#progress[aria-valuenow="100"]').waitFor();
  await page.locator('#badge-completed:not([hidden])').waitFor();

  const sent = await frameOf(page, 'player').evaluate(() =>
    window.__sent.filter((s) => s.message.event === 'progress').map((s) => s.message.data.progress));
  assert.ok(sent.some((v, i) => i > 0 && v < sent[i - 1]), `the emulator sent lower values: ${sent}`);

  const shown = await page.evaluate(() => window.__shown);
  const values = shown.flat();
  assert.ok(values.length > 0);
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i] >= values[i - 1], `the bar went from ${values[i - 1]} back to ${values[i]}: ${values}`);
  }
  assert.deepEqual([...new Set(values)], [17, 33, 50, 67, 83, 100]);
  assert.equal(await page.locator('#progress-text').textContent(), '100');
  assert.equal(await page.locator('#screen').textContent(), '6');
  // 17, 0, 17, 33 after going back from 33, and 50 after going back from 67 (also 0 at the start).
  assert.ok(Number(await page.locator('#ignored').textContent()) >= 5, 'the dropped updates are counted');
});

test('the quiz failure and the retry appear in the quiz log', async () => {
  const kinds = await page.locator('#quiz-log li').evaluateAll((lis) => lis.map((li) => li.dataset.kind).reverse());
  assert.deepEqual(kinds, ['wrong', 'failed', 'retry', 'answer']);
  const failed = await page.locator('#quiz-log li[data-kind="failed"]').textContent();
  assert.match(failed, /Quiz failed/);
  assert.match(failed, /screen 4/);
  assert.match(failed, /score 0/);
  assert.match(await page.locator('#quiz-log li[data-kind="retry"]').textContent(), /Quiz retried/);
  // The foreign noise and the typed feed: noise never reaches a callback, events arrive typed.
  await page.frameLocator('#player-frame iframe').locator('#noise').click();
  await page.locator('#feed li[data-name="screen:retry"]').waitFor();
  assert.equal(await page.locator('#feed li[data-name="unknown"]').count(), 0);
});

test('typing in the builder produces one save of the newest title per burst', async () => {
  const title = page.frameLocator('#builder-frame iframe').locator('#title');
  const text = 'Safety at Work 2027';
  await title.fill('');
  await title.pressSequentially(text, { delay: 25 });
  const saved = await until('the draft with the typed title', async () =>
    (await api('/api/drafts')).drafts.find((d) => d.courseId === COURSE && d.title === text));
  assert.equal(saved.via, 'fetch');
  const { saves } = await api('/api/drafts');
  const ours = saves.filter((s) => s.draft?.courseId === COURSE);
  // fill('') and each of the keystrokes is one course:updated; autosave coalesces them.
  assert.ok(ours.length >= 1 && ours.length < text.length / 2, `${ours.length} saves for ${text.length + 1} updates`);
  assert.equal(ours.at(-1).draft.revision, text.length + 1);
  await page.locator('#autosave-status[data-status="saved"]').waitFor();
  await page.locator(`#drafts li[data-course-id="${COURSE}"]`, { hasText: text }).waitFor();
});

test('a failing save endpoint leads to retries, then a saved draft with the newest title', async () => {
  await page.evaluate(() => {
    window.__lines = [];
    const line = document.querySelector('#autosave-line');
    new MutationObserver(() => window.__lines.push(line.textContent)).observe(line, { childList: true, characterData: true, subtree: true });
  });
  await page.locator('label.switch').click();
  await until('the endpoint to be failing', async () => (await api('/api/drafts')).failNext === 3);

  const title = page.frameLocator('#builder-frame iframe').locator('#title');
  await title.press('End');
  await title.pressSequentially(' v2', { delay: 25 });
  await until('a failed save', async () => (await api('/api/drafts')).saves.some((s) => s.status === 500));
  await title.pressSequentially(' final', { delay: 25 });
  const newest = 'Safety at Work 2027 v2 final';

  const saved = await until('the newest title saved', async () =>
    (await api('/api/drafts')).drafts.find((d) => d.courseId === COURSE && d.title === newest));
  const { saves } = await api('/api/drafts');
  const failures = saves.filter((s) => s.status === 500);
  assert.equal(failures.length, 3, 'three simulated failures');
  assert.ok(failures.some((s) => s.draft.title === 'Safety at Work 2027 v2'), 'the older draft was being retried');
  assert.equal(saves.at(-1).status, 200);
  assert.equal(saves.at(-1).draft.title, newest);
  assert.equal(saved.revision, 'Safety at Work 2027'.length + 1 + ' v2 final'.length);
  const lines = await page.evaluate(() => window.__lines);
  assert.ok(lines.some((l) => /Save failed \(HTTP 500\)\. Retrying in/.test(l)), 'the retry is shown');
  await page.locator('#autosave-status[data-status="saved"]').waitFor();
  assert.equal(await page.locator('#fail-toggle').isChecked(), false);
});

test('screenshot of the demo', async () => {
  mkdirSync(SHOTS, { recursive: true });
  await page.locator('#drafts li', { hasText: 'Safety at Work 2027 v2 final' }).waitFor();
  await page.frameLocator('#player-frame iframe').locator('#malformed').click(); // an SDK error in the feed
  await page.locator('#feed li[data-name="error"]').waitFor();
  await page.locator('#webhook-test').click(); // a signed delivery through the mounted webhook receiver
  await page.locator('#deliveries li', { hasText: 'course.completed' }).first().waitFor();
  await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header belongs at the top of the shot
  await page.screenshot({ path: join(SHOTS, 'demo.png'), fullPage: true });
  assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page');
});

test('builder controls: object envelopes, a new course, back flushes, errors and expiry reach the host', async () => {
  const builder = page.frameLocator('#builder-frame iframe');
  await builder.locator('input[name="envelope"][value="object"]').check();
  await builder.locator('#create').click();
  // The emulator sends the new id as a numeric string; the SDK hands over a number.
  await page.locator('#feed li[data-name="course:created"]', { hasText: '#4200' }).waitFor();
  await builder.locator('#title').fill('Fire drills');
  await builder.locator('#back').click();
  await page.locator('#feed li[data-name="back"]').waitFor();
  await until('the new course saved', async () =>
    (await api('/api/drafts')).drafts.find((d) => d.courseId === 4200 && d.title === 'Fire drills'));
  await builder.locator('#error').click();
  await page.locator('#feed li[data-name="session:error"]', { hasText: 'upload_too_large' }).waitFor();
  await builder.locator('#expire').click();
  await page.locator('#builder-pill[data-state="expired"]').waitFor();
  assert.deepEqual(pageErrors.map(String), []);
});

test('a pasted signed embed URL replaces the emulator and its origin becomes the trusted one', async () => {
  const signed = 'https://acme.coassemble.com/embed/course/981?expires=1&signature=abc';
  await page.locator('#real-url').fill(signed);
  await page.locator('#real-form button[type="submit"]').click();
  await page.locator('#real-note', { hasText: 'https://acme.coassemble.com' }).waitFor();
  assert.equal(await page.locator('#player-frame iframe').count(), 1);
  assert.equal(await page.locator('#player-frame iframe').getAttribute('src'), signed);
  assert.match(await page.locator('#player-source').textContent(), /trusted origin https:\/\/acme\.coassemble\.com$/);
  assert.equal(await page.locator('#progress').getAttribute('aria-valuenow'), '0', 'a new embed starts a new bar');
});

test('closing the page with a pending draft still delivers it (beacon)', async () => {
  // A fresh builder session (the last one expired) whose debounce cannot end before the page closes:
  // the draft is still pending when it does, whatever the machine's speed.
  await page.goto(`${base}?debounceMs=600000`);
  await sessionsReady();
  const title = page.frameLocator('#builder-frame iframe').locator('#title');
  const last = `${await title.inputValue()}!`;
  await title.press('End');
  await title.pressSequentially('!');
  await page.locator('#autosave-status[data-status="pending"]').waitFor();
  const pending = await page.evaluate(() => window.demo.saver.pending.map((d) => d.title));
  assert.deepEqual(pending, [last]);
  await page.close({ runBeforeUnload: true });
  const saved = await until('the draft delivered after the page closed', async () =>
    (await api('/api/drafts')).drafts.find((d) => d.courseId === COURSE && d.title === last));
  assert.equal(saved.via, 'beacon');
});
