// One small page driver over three browser engines, so the same test file runs in each:
//   chromium  Debian Chromium through playwright-core (CDP)
//   firefox   Firefox ESR through puppeteer-core (WebDriver BiDi), with a temporary HOME
//   webkit    WebKitGTK's MiniBrowser through WebKitWebDriver (classic WebDriver, selenium-webdriver)
//             under a private Xvfb display: WebKitGTK has no headless mode.
// The Page API is a Playwright-shaped subset that every engine can honour: goto, evaluate(fn, arg),
// waitForFunction(fn, arg, { timeout }), frames() (async: top-level frames only), click / type / fill
// on a CSS selector, and `console` (messages the page logged; null where the engine cannot tell).
// Values cross as JSON. Functions are sent as source text, so they must not close over Node variables.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromePath, launchBrowser } from './browser.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];
const DEFAULT_TIMEOUT_MS = 30_000;

const firefoxPath = () => process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const webkitDriverPath = () => process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
const xvfbPath = () => process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

/** Why `engine` cannot run here (a sentence naming what to install), or null when it can. */
export function missing(engine) {
  const need = {
    chromium: () => { chromePath(); return null; },
    firefox: () => (existsSync(firefoxPath()) ? null
      : `no Firefox at ${firefoxPath()}: as root on Debian 'bash scripts/setup.sh browser' installs firefox-esr; or set FIREFOX_PATH`),
    webkit: () => (!existsSync(webkitDriverPath())
      ? `no WebKitWebDriver at ${webkitDriverPath()}: as root on Debian 'bash scripts/setup.sh browser' installs webkit2gtk-driver; or set WEBKIT_DRIVER`
      : !existsSync(xvfbPath()) ? `no Xvfb at ${xvfbPath()} (WebKitGTK has no headless mode): install xvfb or set XVFB_PATH` : null),
  }[engine];
  if (!need) return `unknown engine ${engine}`;
  try { return need(); } catch (e) { return e.message; }
}

/**
 * The engines to run, as `{ name, skip }` for `describe(name, { skip }, ...)`: all three, or those in
 * $ENGINES (comma-separated). `skip` is false, or the reason the engine is missing, or the reason a
 * suite gives in `known` (`{ firefox: 'why' }`) for an engine it does not run in yet: node --test
 * reports it as skipped, with that reason. With COASSEMBLE_EVENTS_REQUIRE_ENGINES=1 (scripts/test.sh
 * sets it where setup installs them) a missing engine throws instead: CI must not pass by skipping.
 */
export function engines(known = {}) {
  const wanted = process.env.ENGINES ? process.env.ENGINES.split(',').map((e) => e.trim()) : ENGINES;
  return wanted.map((name) => {
    const reason = missing(name);
    if (reason && process.env.COASSEMBLE_EVENTS_REQUIRE_ENGINES === '1') throw new Error(`${name}: ${reason}`);
    if (reason) console.error(`[engines] skipping ${name}: ${reason}`);
    return { name, skip: reason ?? known[name] ?? false };
  });
}

/** Launches `engine`; resolves to `{ name, newPage(), close() }`. Close it also when a test fails. */
export async function launch(engine) {
  if (engine === 'chromium') return launchChromium();
  if (engine === 'firefox') return launchFirefox();
  if (engine === 'webkit') return launchWebkit();
  throw new Error(`unknown engine ${engine}`);
}

// Sets an input's value the way Playwright's fill does: focus, the whole value at once, one input event.
const FILL = ([selector, text]) => {
  const input = document.querySelector(selector);
  input.focus();
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
};

// Types `text` into an input character by character at the caret, one input event per character.
const TYPE = ([selector, text]) => {
  const input = document.querySelector(selector);
  if (document.activeElement !== input) input.focus();
  for (const ch of text) {
    const at = input.selectionStart ?? input.value.length;
    input.setRangeText(ch, at, input.selectionEnd ?? at, 'end');
    input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: ch }));
  }
};

// --- Chromium (Playwright) -------------------------------------------------------------------------

function playwrightFrame(frame) {
  return {
    url: () => frame.url(),
    evaluate: (fn, arg) => frame.evaluate(fn, arg),
    waitForFunction: async (fn, arg, { timeout = DEFAULT_TIMEOUT_MS } = {}) =>
      (await frame.waitForFunction(fn, arg, { timeout })).jsonValue(),
    click: (selector) => frame.click(selector),
    type: (selector, text) => frame.locator(selector).pressSequentially(text),
    fill: (selector, text) => frame.fill(selector, text),
  };
}

async function launchChromium() {
  const context = await launchBrowser();
  return {
    name: 'chromium',
    async newPage() {
      const page = await context.newPage();
      const console = [];
      page.on('console', (m) => console.push({ type: m.type(), text: m.text() }));
      return {
        ...playwrightFrame(page.mainFrame()),
        engine: 'chromium',
        console,
        /** The Playwright page, for Chromium-only checks (CDP). */
        playwright: page,
        goto: (url) => page.goto(url).then(() => undefined),
        frames: async () => page.frames().map(playwrightFrame),
        close: () => page.close(),
      };
    },
    close: () => context.close(),
  };
}

// --- Firefox (puppeteer-core over WebDriver BiDi) --------------------------------------------------

function puppeteerFrame(frame) {
  return {
    url: () => frame.url(),
    evaluate: (fn, arg) => frame.evaluate(fn, arg),
    waitForFunction: async (fn, arg, { timeout = DEFAULT_TIMEOUT_MS } = {}) =>
      (await frame.waitForFunction(fn, { timeout, polling: 20 }, arg)).jsonValue(),
    click: (selector) => frame.click(selector),
    type: (selector, text) => frame.type(selector, text),
    fill: (selector, text) => frame.evaluate(FILL, [selector, text]),
  };
}

async function launchFirefox() {
  const { default: puppeteer } = await import('puppeteer-core');
  // Firefox writes into $HOME even with a temporary profile: give it a HOME of its own.
  const home = mkdtempSync(join(tmpdir(), 'coassemble-events-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: firefoxPath(), headless: true, env: { ...process.env, HOME: home },
  });
  return {
    name: 'firefox',
    async newPage() {
      const page = await browser.newPage();
      const console = [];
      page.on('console', (m) => console.push({ type: m.type() === 'warn' ? 'warning' : m.type(), text: m.text() }));
      return {
        ...puppeteerFrame(page.mainFrame()),
        engine: 'firefox',
        console,
        goto: (url) => page.goto(url).then(() => undefined),
        frames: async () => page.frames().map(puppeteerFrame),
        close: () => page.close(),
      };
    },
    async close() {
      await browser.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

// --- WebKit (WebKitGTK MiniBrowser, WebKitWebDriver, selenium-webdriver) --------------------------

const freePort = () => new Promise((resolve, reject) => {
  const server = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});

/** Waits until `check()` is truthy or throws `what` after `ms`. */
async function until(what, check, ms = DEFAULT_TIMEOUT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts Xvfb on a display it picks itself (-displayfd) and resolves to `{ display, process }`. */
function startXvfb() {
  return new Promise((resolve, reject) => {
    const xvfb = spawn(xvfbPath(), ['-displayfd', '3', '-screen', '0', '1440x1100x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let err = '';
    xvfb.stderr.on('data', (d) => { err += d; });
    xvfb.stdio[3].once('data', (d) => resolve({ display: `:${String(d).trim()}`, process: xvfb }));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}): ${err}`)));
  });
}

// Runs `fn` (source text) on `arg` in the current browsing context and returns its JSON value. One
// async script per call: the result crosses as JSON text, so undefined stays undefined.
const CALL = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (__FN__)(arguments[0])).then(
  (value) => done(JSON.stringify({ value })),
  (error) => done(JSON.stringify({ error: String(error && error.stack || error) })));`;
const POLL = `const done = arguments[arguments.length - 1];
const [arg, timeout] = arguments;
const end = Date.now() + timeout;
(async () => {
  for (;;) {
    const value = await (__FN__)(arg);
    if (value) return done(JSON.stringify({ value }));
    if (Date.now() > end) return done(JSON.stringify({ error: 'waitForFunction timed out after ' + timeout + ' ms' }));
    await new Promise((r) => setTimeout(r, 20));
  }
})().catch((error) => done(JSON.stringify({ error: String(error && error.stack || error) })));`;

const source = (fn) => (typeof fn === 'function' ? fn.toString() : `() => (${fn})`);
const unwrap = (text) => {
  const { value, error } = JSON.parse(text);
  if (error !== undefined) throw new Error(`in the page: ${error}`);
  return value;
};

async function launchWebkit() {
  const { Builder, By } = await import('selenium-webdriver');
  const xvfb = await startXvfb();
  const port = await freePort();
  const driverProcess = spawn(webkitDriverPath(), [`--port=${port}`], {
    stdio: 'ignore', env: { ...process.env, DISPLAY: xvfb.display },
  });
  const stop = () => { driverProcess.kill(); xvfb.process.kill(); };
  let driver;
  try {
    const url = `http://127.0.0.1:${port}`;
    await until('WebKitWebDriver to listen', () => fetch(`${url}/status`).then((r) => r.ok));
    driver = await new Builder().usingServer(url).withCapabilities({ browserName: 'MiniBrowser' }).build();
    await driver.manage().setTimeouts({ script: 10 * 60_000 });
    // The size of the Xvfb screen: elements a test types into are on screen, as for a person.
    await driver.manage().window().setRect({ x: 0, y: 0, width: 1440, height: 1100 });
  } catch (error) {
    stop();
    throw error;
  }

  // One browsing context at a time: frame commands switch into their frame and back, atomically.
  let queue = Promise.resolve();
  const exclusive = (fn) => {
    const run = queue.then(fn);
    queue = run.catch(() => {});
    return run;
  };
  const inFrame = (element, fn) => exclusive(async () => {
    if (element) await driver.switchTo().frame(element);
    try { return await fn(); } finally { if (element) await driver.switchTo().defaultContent(); }
  });

  function frame(element, url) {
    const on = (fn) => inFrame(element, fn);
    const find = (selector) => driver.findElement(By.css(selector));
    return {
      url: () => url,
      evaluate: (fn, arg) => on(async () => unwrap(await driver.executeAsyncScript(CALL.replace('__FN__', source(fn)), arg))),
      waitForFunction: (fn, arg, { timeout = DEFAULT_TIMEOUT_MS } = {}) =>
        on(async () => unwrap(await driver.executeAsyncScript(POLL.replace('__FN__', source(fn)), arg, timeout))),
      click: (selector) => on(async () => (await find(selector)).click()),
      // WebKitWebDriver neither sends keys to an input inside a cross-origin iframe ("not focusable")
      // nor routes key actions there: insert each character at the caret with its own input event,
      // the stream a person's typing gives the page.
      type: (selector, text) => on(async () => unwrap(await driver.executeAsyncScript(CALL.replace('__FN__', TYPE.toString()), [selector, text]))),
      fill: (selector, text) => on(async () => unwrap(await driver.executeAsyncScript(CALL.replace('__FN__', FILL.toString()), [selector, text]))),
    };
  }

  let pageOpen = false;
  return {
    name: 'webkit',
    async newPage() {
      // WebDriver's session is one window: one page at a time.
      if (pageOpen) throw new Error('webkit: one page at a time');
      pageOpen = true;
      const main = frame(null, null);
      return {
        ...main,
        engine: 'webkit',
        console: null, // classic WebDriver has no console log in WebKitGTK
        goto: (url) => exclusive(() => driver.get(url)),
        frames: () => exclusive(async () => {
          const out = [frame(null, await driver.getCurrentUrl())];
          for (const element of await driver.findElements(By.css('iframe'))) {
            await driver.switchTo().frame(element);
            const url = await driver.executeScript('return location.href');
            await driver.switchTo().defaultContent();
            out.push(frame(element, url));
          }
          return out;
        }),
        close: () => exclusive(async () => { await driver.get('about:blank'); pageOpen = false; }),
      };
    },
    async close() {
      try { await driver.quit(); } finally { stop(); }
    },
  };
}
