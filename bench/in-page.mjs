// The in-page SDK against the listener people write by hand, in headless Chromium. Prints figures
// only (no assertions): per-message time inside the listener, SDK vs bare, and startup.
//
//   node bench/in-page.mjs [--rounds 7] [--messages 20000] [--save]
//   --save: also write bench/results/in-page.json (what the docs print; bench/results.mjs)
//
// Each pass: a real cross-origin iframe posts N messages with postMessage; the host page times the
// subject listener alone by sandwiching it between two marker listeners (registered before and
// after it; listeners run in registration order), and sums. The page is cross-origin isolated
// (COOP/COEP) so performance.now() has 5 µs rather than 100 µs granularity. Passes alternate SDK/bare within a round; the table shows the median of the rounds.
//
// (a) trusted: course:progress from the embed, progress rising 0..100 so the callback fires 101
//     times and the monotonic rule drops the rest; once posted as JSON strings (what the player
//     posts: "string") and once as objects ("object"). Each whole percent is posted N/101 times in
//     a row (a player re-sends its progress), which the SDK decodes once (src/abi.rs, embed_again);
//     so also, reported for what it costs, "distinct": JSON strings each unlike the one before
//     (progress 0, 1, ..., 100, 0, 1, ...: 101 callbacks again), each decoded in full;
// (b) foreign: messages from another iframe (extension/devtools/analytics-like, and a Coassemble
//     lookalike from the wrong window): both listeners must ignore them.
import { launchBrowser } from '../tests/support/browser.mjs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { saveResults } from './results.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 7);
const N = arg('messages', 20000);
const STARTUP_RUNS = arg('startup-runs', 5);

// Like tests/support/server.mjs (two loopback origins serving the repo), plus the headers a bench
// needs: cross-origin isolation (5 µs timers instead of 100 µs) and cacheable responses (so "warm"
// means the HTTP cache and V8's code cache).
const root = fileURLToPath(new URL('..', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript' };
function listen() {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    readFile(join(root, path)).then((body) => res.writeHead(200, {
      'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': 'max-age=3600',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'cross-origin',
    }).end(body), () => res.writeHead(404).end());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const listening = [await listen(), await listen()];
const [hostOrigin, frameOrigin] = listening.map((s) => `http://127.0.0.1:${s.address().port}`);
const servers = { host: hostOrigin, frame: frameOrigin };
const browser = await launchBrowser();
const page = await browser.newPage();
const cdp = await browser.newCDPSession(page);

const frameUrl = (origin) => `${origin}/tests/browser/fixtures/frame.html?parent=${encodeURIComponent(servers.host)}`;

async function openPage() {
  await page.goto(`${servers.host}/bench/page.html`);
  await page.evaluate(([embedSrc, otherSrc]) => Promise.all([['embed', embedSrc], ['other', otherSrc]].map(
    ([id, src]) => new Promise((resolve) => {
      const iframe = document.createElement('iframe');
      iframe.id = id;
      iframe.onload = resolve;
      iframe.src = src;
      document.body.append(iframe);
    }))), [frameUrl(servers.frame), frameUrl(servers.host)]);
}

// ---- startup: import → live listener ---------------------------------------------------------
async function startup() {
  return page.evaluate(async (origin) => {
    const t0 = performance.now();
    const sdk = await import('/dist/index.js');
    const t1 = performance.now();
    const embed = await sdk.attachCourse(document.getElementById('embed'), { origin });
    const t2 = performance.now();
    embed.destroy();
    return { importMs: t1 - t0, attachMs: t2 - t1, totalMs: t2 - t0 };
  }, servers.frame);
}

const cold = [];
const warm = [];
for (let i = 0; i < STARTUP_RUNS; i++) {
  await cdp.send('Network.clearBrowserCache');
  await openPage();
  cold.push(await startup());
  await openPage(); // same browser, HTTP cache (and V8's code cache) now filled
  warm.push(await startup());
}

// ---- throughput: SDK vs bare ------------------------------------------------------------------
await openPage();
if (!(await page.evaluate(() => crossOriginIsolated))) console.warn('warning: page not cross-origin isolated; timers are coarse');
const frames = {
  embed: page.frames().find((f) => f.url().startsWith(servers.frame)),
  other: page.frames().find((f) => f.url().startsWith(servers.host) && f !== page.mainFrame()),
};
await page.evaluate(async (origin) => {
  window.sdk = await import('/dist/index.js');
  const iframe = document.getElementById('embed');

  // The hand-written listener (bench/hand-written-listener.mjs), loaded from a file as a page's code is.
  const { handWrittenListener } = await import('/bench/hand-written-listener.mjs');
  window.bare = (onProgress) => handWrittenListener(iframe, origin, onProgress);

  // One pass: marker listener, the subject's listener, marker listener; resolves after n messages.
  window.pass = async (subject, n) => {
    let t0 = 0, inside = 0, seen = 0, calls = 0, first = 0, last = 0;
    let done;
    const finished = new Promise((resolve) => { done = resolve; });
    const before = () => { t0 = performance.now(); };
    const after = () => {
      const t = performance.now();
      inside += t - t0;
      if (seen++ === 0) first = t;
      if (seen === n) { last = t; done(); }
    };
    window.addEventListener('message', before);
    let stop;
    if (subject === 'sdk') {
      const embed = await window.sdk.attachCourse(iframe, { origin });
      embed.on('course:progress', () => { calls++; });
      stop = () => embed.destroy();
    } else if (subject === 'bare') {
      stop = window.bare(() => { calls++; });
    } else {
      stop = () => {}; // 'none': the markers alone, to subtract their own cost
    }
    window.addEventListener('message', after);
    window.go(); // tell the test runner to start posting
    await finished;
    stop();
    window.removeEventListener('message', before);
    window.removeEventListener('message', after);
    return { perMessageUs: (inside / n) * 1000, wallUs: ((last - first) / (n - 1)) * 1000, calls };
  };
}, servers.frame);

const FOREIGN = [
  { source: 'react-devtools-content-script', hello: true },
  'webpackHotUpdate5e2a',
  { type: 'course', event: 'progress', data: { progress: 50 } }, // right shape, wrong window
  { event: 'analytics', payload: { id: 42, items: [1, 2, 3] } },
];

async function runPass(subject, scenario) {
  const result = page.evaluate(([subject, n]) => {
    let go;
    const started = new Promise((resolve) => { go = resolve; });
    window.go = go;
    window.started = started;
    return window.pass(subject, n);
  }, [subject, N]);
  await page.waitForFunction(() => window.started !== undefined);
  await page.evaluate(() => window.started);
  if (scenario !== 'foreign') {
    await frames.embed.evaluate(([n, form, distinct]) => {
      for (let i = 0; i < n; i++) {
        const progress = distinct ? i % 101 : Math.floor((i * 101) / n);
        window.post({ type: 'course', event: 'progress', data: { progress } }, form);
      }
    }, [N, scenario === 'object' ? 'object' : 'string', scenario === 'distinct']);
  } else {
    await frames.other.evaluate(([n, foreign]) => {
      for (let i = 0; i < n; i++) parent.postMessage(foreign[i % foreign.length], '*');
    }, [N, FOREIGN]);
  }
  const out = await result;
  await page.evaluate(() => { window.started = undefined; });
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const SCENARIOS = ['string', 'object', 'foreign', 'distinct'];
const results = Object.fromEntries(SCENARIOS.map((s) => [s, { sdk: [], bare: [], none: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const scenario of SCENARIOS) {
    const order = round % 2 ? ['bare', 'sdk', 'none'] : ['sdk', 'bare', 'none'];
    for (const subject of order) {
      const r = await runPass(subject, scenario);
      const expectedCalls = scenario !== 'foreign' && subject !== 'none' ? 101 : 0;
      if (r.calls !== expectedCalls) throw new Error(`${subject} ${scenario}: ${r.calls} callbacks, expected ${expectedCalls}`);
      results[scenario][subject].push(r);
    }
  }
}

const version = browser.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
console.log(`\nin-page SDK vs bare listener: ${N} messages per pass, µs per message, median of ${ROUNDS} rounds, Chromium ${version}`);
console.log('"measured": time between the marker listeners around the subject (one listener dispatch plus its');
console.log('work); "net": the same minus an empty pass (markers alone), i.e. the listener\'s own work. A ratio is');
console.log('the median over the rounds of SDK pass / bare pass of the same round (adjacent passes share the');
console.log('machine\'s load, so a busy neighbour moves both); "rounds" is the range of that ratio.');
const LABELS = { string: 'trusted string', object: 'trusted object', foreign: 'foreign', distinct: 'distinct texts' };
console.log(`${'scenario'.padEnd(14)} ${'SDK µs'.padStart(8)} ${'bare µs'.padStart(8)} ${'ratio'.padStart(6)} ${'rounds'.padStart(11)}  ${'net SDK'.padStart(8)} ${'net bare'.padStart(9)} ${'ratio'.padStart(6)}  ${'wall µs SDK / bare'.padStart(19)}`);
const ratioOf = {}; // scenario → { median, range } of the per-round SDK / bare ratio, for --save
for (const scenario of SCENARIOS) {
  const m = (subject, key = 'perMessageUs') => median(results[scenario][subject].map((r) => r[key]));
  const [sdk, bare, none] = [m('sdk'), m('bare'), m('none')];
  const passes = (subject) => results[scenario][subject].map((r) => r.perMessageUs);
  const [sdks, bares, nones] = [passes('sdk'), passes('bare'), passes('none')];
  const ratios = sdks.map((s, i) => s / bares[i]);
  const netRatios = sdks.map((s, i) => (s - nones[i]) / (bares[i] - nones[i]));
  ratioOf[scenario] = { median: median(ratios), range: [Math.min(...ratios), Math.max(...ratios)], sdk, bare };
  const range = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  const row = [
    LABELS[scenario].padEnd(14), sdk.toFixed(2).padStart(8), bare.toFixed(2).padStart(8), `${median(ratios).toFixed(2)}×`.padStart(6),
    range.padStart(11), (sdk - none).toFixed(2).padStart(8), (bare - none).toFixed(2).padStart(9), `${median(netRatios).toFixed(2)}×`.padStart(6),
    `${m('sdk', 'wallUs').toFixed(2)} / ${m('bare', 'wallUs').toFixed(2)}`.padStart(19),
  ];
  console.log(row.join(' '));
}

const ms = (xs, key) => median(xs.map((x) => x[key])).toFixed(1).padStart(8);
console.log(`\nstartup: import → live listener (wasm compile + instantiate + attach), median of ${STARTUP_RUNS}, ms`);
console.log(`${'cache'.padEnd(10)} ${'import'.padStart(8)} ${'attach'.padStart(8)} ${'total'.padStart(8)}`);
console.log(`${'cold'.padEnd(10)} ${ms(cold, 'importMs')} ${ms(cold, 'attachMs')} ${ms(cold, 'totalMs')}`);
console.log(`${'warm'.padEnd(10)} ${ms(warm, 'importMs')} ${ms(warm, 'attachMs')} ${ms(warm, 'totalMs')}`);

if (process.argv.includes('--save')) {
  // The contract: issue 11's budgets for the SDK against the hand-written listener, and for startup.
  const BUDGETS = [
    { what: 'SDK / hand-written listener, trusted JSON-string envelope', key: 'string', unit: 'ratio', budget: 1.00 },
    { what: 'SDK / hand-written listener, trusted object envelope', key: 'object', unit: 'ratio', budget: 1.25 },
    { what: 'SDK / hand-written listener, foreign message', key: 'foreign', unit: 'ratio', budget: 1.05 },
    { what: 'Startup, cold (HTTP cache cleared)', key: 'coldMs', unit: 'ms', budget: 20 },
    { what: 'Startup, warm (HTTP and V8 code cache)', key: 'warmMs', unit: 'ms', budget: 6 },
  ];
  const r2 = (x) => Math.round(x * 100) / 100;
  const r1 = (x) => Math.round(x * 10) / 10;
  const totals = (xs) => xs.map((x) => x.totalMs);
  const figure = {
    ...Object.fromEntries(SCENARIOS.map((s) => [s, { measured: r2(ratioOf[s].median), range: ratioOf[s].range.map(r2) }])),
    coldMs: { measured: r1(median(totals(cold))), range: [r1(Math.min(...totals(cold))), r1(Math.max(...totals(cold)))] },
    warmMs: { measured: r1(median(totals(warm))), range: [r1(Math.min(...totals(warm))), r1(Math.max(...totals(warm)))] },
  };
  const now = new Date();
  const run = {
    at: now.toISOString().slice(11, 16), load: r2(loadavg()[0]),
    ...Object.fromEntries([...SCENARIOS, 'coldMs', 'warmMs'].map((k) => [k, figure[k].measured])),
    usPerStringMessage: { sdk: r2(ratioOf.string.sdk), bare: r2(ratioOf.string.bare) },
  };
  const file = saveResults('in-page', `node bench/in-page.mjs --save${ROUNDS === 7 ? '' : ` --rounds ${ROUNDS}`}`, {
    browser: `Chromium ${version}`, runs: [run],
    budgets: BUDGETS.map((b) => ({ ...b, ...figure[b.key] })),
    distinct: figure.distinct,
  });
  console.log(`\nwrote ${file}`);
}

await browser.close();
for (const server of listening) server.close();
