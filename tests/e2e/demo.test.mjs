// End to end: the demo server (`node www/server.mjs`, PORT=0) in Chromium, Firefox and WebKit, with the
// real package and the test kit's emulators on their own origin. One browser and one page per engine,
// in story order.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engines, launch } from '../support/engines.mjs';
import { startPlatform } from 'coassemble-events/testing';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = join(ROOT, 'target', 'e2e');
const COURSE = 4101; // the course the builder emulator opens with
// Generous waits: these machines have 2 cores, often shared with a Rust build.
const WAIT = { timeout: 90_000 };

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

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  let server;
  let platform;
  let base;
  let dataDir;
  let browser;
  let page;

  const api = (path, init) => fetch(new URL(path, base), init).then((r) => r.json());
  /** The emulator frame (`player` or `builder`), once it is there. */
  const frameOf = (name) => until(`the ${name} frame`, async () =>
    (await page.frames()).find((f) => f.url()?.includes(`/${name}.html`)));
  /** Waits for an element matching `selector` (whose text includes `text`, when given). */
  const waitFor = (selector, text = '') => page.waitForFunction(([s, t]) =>
    [...document.querySelectorAll(s)].some((el) => el.textContent.includes(t)), [selector, text], WAIT);
  const attribute = (selector, name) => page.evaluate(([s, n]) => document.querySelector(s).getAttribute(n), [selector, name]);
  const textOf = (selector) => page.evaluate((s) => document.querySelector(s).textContent, selector);
  // Where a key press would move the caret: typing then appends, as a person at the end of the field.
  const caretToEnd = (frame, selector) => frame.evaluate((s) => {
    const input = document.querySelector(s);
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }, selector);

  /** Opens `url`, records uncaught errors from then on, and waits for both embeds to be ready. */
  async function open(url) {
    await page.goto(url);
    await page.evaluate(() => {
      window.__errors = [];
      window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
      window.addEventListener('unhandledrejection', (e) => window.__errors.push(String(e.reason)));
    });
    // Both embeds leave 'connecting', then must be 'ready' (not a ready timeout).
    for (const pill of ['#player-pill', '#builder-pill']) {
      await waitFor(`${pill}:not([data-state="connecting"])`);
      assert.equal(await attribute(pill, 'data-state'), 'ready', `${pill}: ${await textOf(pill)}`);
    }
  }
  const pageErrors = () => page.evaluate(() => window.__errors);

  before(async () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'index.js')),
      'dist/ is missing: run `bash scripts/build.sh` first (scripts/test.sh does)');
    dataDir = mkdtempSync(join(tmpdir(), 'coassemble-events-demo-'));
    // A local Coassemble (the platform emulator) stands in for the Headless API the demo mints with.
    platform = await startPlatform();
    server = spawn(process.execPath, ['www/server.mjs'], {
      cwd: ROOT,
      env: {
        ...process.env, PORT: '0', EMU_PORT: '0', DEMO_DATA_DIR: dataDir,
        COASSEMBLE_API_KEY: platform.apiKey, COASSEMBLE_API_URL: platform.baseUrl,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
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
    browser = await launch(engine);
    page = await browser.newPage();
    await page.playwright?.setViewportSize({ width: 1440, height: 1100 });
    await open(base);
  });

  after(async () => {
    await browser?.close();
    await platform?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill();
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

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
    const player = await frameOf('player');
    const click = (sel) => player.click(sel);
    await click('#next');                       // start: screen 1, 0 %
    await click('#next');                       // screen 2, 17 %
    await click('#next');                       // screen 3, 33 %
    await waitFor('#progress[aria-valuenow="33"]');
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
    await waitFor('#progress[aria-valuenow="100"]');
    await waitFor('#badge-completed:not([hidden])');

    const sent = await player.evaluate(() =>
      window.__sent.filter((s) => s.message.event === 'progress').map((s) => s.message.data.progress));
    assert.ok(sent.some((v, i) => i > 0 && v < sent[i - 1]), `the emulator sent lower values: ${sent}`);

    const shown = await page.evaluate(() => window.__shown);
    const values = shown.flat();
    assert.ok(values.length > 0);
    for (let i = 1; i < values.length; i++) {
      assert.ok(values[i] >= values[i - 1], `the bar went from ${values[i - 1]} back to ${values[i]}: ${values}`);
    }
    assert.deepEqual([...new Set(values)], [17, 33, 50, 67, 83, 100]);
    assert.equal(await textOf('#progress-text'), '100');
    assert.equal(await textOf('#screen'), '6');
    // 17, 0, 17, 33 after going back from 33, and 50 after going back from 67 (also 0 at the start).
    assert.ok(Number(await textOf('#ignored')) >= 5, 'the dropped updates are counted');
  });

  test('the quiz failure and the retry appear in the quiz log', async () => {
    const kinds = await page.evaluate(() => [...document.querySelectorAll('#quiz-log li')].map((li) => li.dataset.kind).reverse());
    assert.deepEqual(kinds, ['wrong', 'failed', 'retry', 'answer']);
    const failed = await textOf('#quiz-log li[data-kind="failed"]');
    assert.match(failed, /Quiz failed/);
    assert.match(failed, /screen 4/);
    assert.match(failed, /score 0/);
    assert.match(await textOf('#quiz-log li[data-kind="retry"]'), /Quiz retried/);
    // The foreign noise and the typed feed: noise never reaches a callback, events arrive typed.
    await (await frameOf('player')).click('#noise');
    await waitFor('#feed li[data-name="screen:retry"]');
    assert.equal(await page.evaluate(() => document.querySelectorAll('#feed li[data-name="unknown"]').length), 0);
  });

  test('typing in the builder produces one save of the newest title per burst', async () => {
    const builder = await frameOf('builder');
    const text = 'Safety at Work 2027';
    await builder.fill('#title', '');
    await builder.type('#title', text);
    const saved = await until('the draft with the typed title', async () =>
      (await api('/api/drafts')).drafts.find((d) => d.courseId === COURSE && d.title === text));
    assert.equal(saved.via, 'fetch');
    const { saves } = await api('/api/drafts');
    const ours = saves.filter((s) => s.draft?.courseId === COURSE);
    // fill('') and each of the keystrokes is one course:updated; autosave coalesces them.
    assert.ok(ours.length >= 1 && ours.length < text.length / 2, `${ours.length} saves for ${text.length + 1} updates`);
    assert.equal(ours.at(-1).draft.revision, text.length + 1);
    await waitFor('#autosave-status[data-status="saved"]');
    await waitFor(`#drafts li[data-course-id="${COURSE}"]`, text);
  });

  test('a failing save endpoint leads to retries, then a saved draft with the newest title', async () => {
    await page.evaluate(() => {
      window.__lines = [];
      const line = document.querySelector('#autosave-line');
      new MutationObserver(() => window.__lines.push(line.textContent)).observe(line, { childList: true, characterData: true, subtree: true });
    });
    await page.click('label.switch');
    await until('the endpoint to be failing', async () => (await api('/api/drafts')).failNext === 3);

    const builder = await frameOf('builder');
    await caretToEnd(builder, '#title');
    await builder.type('#title', ' v2');
    await until('a failed save', async () => (await api('/api/drafts')).saves.some((s) => s.status === 500));
    await builder.type('#title', ' final');
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
    await waitFor('#autosave-status[data-status="saved"]');
    assert.equal(await page.evaluate(() => document.querySelector('#fail-toggle').checked), false);
  });

  test('an SDK error and a webhook delivery reach the page (and a screenshot, in Chromium)', async () => {
    await waitFor('#drafts li', 'Safety at Work 2027 v2 final');
    await (await frameOf('player')).click('#malformed'); // an SDK error in the feed
    await waitFor('#feed li[data-name="error"]');
    await page.click('#webhook-test'); // a signed delivery through the mounted webhook receiver
    await waitFor('#deliveries li', 'course.completed');
    if (page.playwright) {
      mkdirSync(SHOTS, { recursive: true });
      await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header belongs at the top of the shot
      await page.playwright.screenshot({ path: join(SHOTS, 'demo.png'), fullPage: true });
    }
    assert.deepEqual(await pageErrors(), [], 'no uncaught errors in the page');
  });

  test('builder controls: object envelopes, a new course, back flushes, errors and expiry reach the host', async () => {
    const builder = await frameOf('builder');
    await builder.click('input[name="envelope"][value="object"]');
    await builder.click('#create');
    // The emulator sends the new id as a numeric string; the SDK hands over a number.
    await waitFor('#feed li[data-name="course:created"]', '#4200');
    await builder.fill('#title', 'Fire drills');
    await builder.click('#back');
    await waitFor('#feed li[data-name="back"]');
    await until('the new course saved', async () =>
      (await api('/api/drafts')).drafts.find((d) => d.courseId === 4200 && d.title === 'Fire drills'));
    await builder.click('#error');
    await waitFor('#feed li[data-name="session:error"]', 'upload_too_large');
    await builder.click('#expire');
    await waitFor('#builder-pill[data-state="expired"]');
    assert.deepEqual(await pageErrors(), []);
  });

  test('a pasted signed embed URL replaces the emulator and its origin becomes the trusted one', async () => {
    const signed = 'https://acme.coassemble.com/embed/course/981?expires=1&signature=abc';
    await page.fill('#real-url', signed);
    await page.click('#real-form button[type="submit"]');
    await waitFor('#real-note', 'https://acme.coassemble.com');
    assert.deepEqual(await page.evaluate(() => [...document.querySelectorAll('#player-frame iframe')].map((f) => f.getAttribute('src'))), [signed]);
    assert.match(await textOf('#player-source'), /trusted origin https:\/\/acme\.coassemble\.com$/);
    assert.equal(await attribute('#progress', 'aria-valuenow'), '0', 'a new embed starts a new bar');
  });

  test('with COASSEMBLE_API_KEY the demo server mints the URL (coassemble-events/api) and the page embeds it', async () => {
    const [course] = platform.courses;
    await page.fill('#mint-course', String(course.id));
    await page.click('#mint-form button[type="submit"]');
    await waitFor('#real-note', platform.origin);
    const [src] = await page.evaluate(() => [...document.querySelectorAll('#player-frame iframe')].map((f) => f.getAttribute('src')));
    assert.ok(src.startsWith(`${platform.origin}/embed/view/`), src);
    assert.match(await textOf('#player-source'), new RegExp(`trusted origin ${platform.origin.replace(/[.]/g, '\\.')}$`));
    await waitFor('#player-pill:not([data-state="connecting"])');
    assert.equal(await attribute('#player-pill', 'data-state'), 'ready', await textOf('#player-pill'));
    assert.deepEqual(await pageErrors(), []);
  });

  test('leaving the page with a pending draft still delivers it (beacon)', async () => {
    // A fresh builder session (the last one expired) whose debounce cannot end before the page goes:
    // the draft is still pending when it does, whatever the machine's speed.
    await open(`${base}?debounceMs=600000`);
    const builder = await frameOf('builder');
    const last = `${await builder.evaluate(() => document.querySelector('#title').value)}!`;
    await caretToEnd(builder, '#title');
    await builder.type('#title', '!');
    await waitFor('#autosave-status[data-status="pending"]');
    const pending = await page.evaluate(() => window.demo.saver.pending.map((d) => d.title));
    assert.deepEqual(pending, [last]);
    await page.goto('about:blank'); // the page goes away: pagehide, as when a tab closes
    const saved = await until('the draft delivered after the page left', async () =>
      (await api('/api/drafts')).drafts.find((d) => d.courseId === COURSE && d.title === last));
    assert.equal(saved.via, 'beacon');
  });
});
