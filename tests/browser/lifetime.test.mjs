// Dispatch, lifetime and diagnostics of the real package in Chromium, Firefox and WebKit, with real cross-origin
// iframes: re-entrant dispatch, off() during a dispatch, timer options, ready() after destroy(),
// embed* attributes, attaching twice, removal inside shadow roots and other documents, and the
// origin_mismatch diagnostics with the ready() timeout message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from '../support/engines.mjs';
import { openHost } from '../support/host.mjs';

let host, servers, page;

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  before(async () => {
    host = await openHost({ engine });
    ({ servers, page } = host);
  });

  after(() => host?.close());

  /** Adds iframe #name loading the embed stand-in from `origin`; resolves with its Playwright frame. */
  const addFrame = (name, origin = servers.frame, query = '') =>
    host.addFrame(name, host.frameSrc(name, origin, query));

  const pageErrors = () => page.evaluate(() => window.pageErrors.splice(0));

  describe('dispatch', () => {
    test('a callback that dispatches a message: the nested one comes after the current one, in order, nothing thrown', async () => {
      const frame = await addFrame('nested');
      await page.evaluate(async (origin) => {
        const iframe = document.getElementById('nested');
        const embed = await window.sdk.attachCourse(iframe);
        window.log = [];
        const post = (progress) => window.dispatchEvent(window.messageFrom(iframe.contentWindow, origin, { type: 'course', event: 'progress', data: { progress } }));
        embed.on('course:progress', (e) => {
          window.log.push(`a:${e.progress}`);
          if (e.progress === 10) { post(20); post(30); }
        });
        embed.on('course:progress', (e) => window.log.push(`b:${e.progress}`));
        embed.on('error', (e) => window.log.push(`error:${e.code}:${e.message}`));
        embed.on('course:completed', () => { window.log.push('completed'); embed.destroy(); });
      }, servers.frame);
      await frame.evaluate(() => {
        window.post({ type: 'course', event: 'progress', data: { progress: 10 } });
        window.post({ type: 'course', event: 'completed' });
      });
      await page.waitForFunction(() => window.log.includes('completed'));
      assert.deepEqual(await page.evaluate(() => window.log),
        // (Completed at 30: completion means 100, so a progress of 100 comes first.)
        ['a:10', 'b:10', 'a:20', 'b:20', 'a:30', 'b:30', 'a:100', 'b:100', 'completed']);
      assert.deepEqual(await pageErrors(), []);
    });

    test('destroy() in a callback drops the messages queued behind the current one', async () => {
      await addFrame('nested-destroy');
      const result = await page.evaluate(async (origin) => {
        const iframe = document.getElementById('nested-destroy');
        const embed = await window.sdk.attachCourse(iframe);
        const log = [];
        embed.on('course:progress', (e) => {
          log.push(e.progress);
          window.dispatchEvent(window.messageFrom(iframe.contentWindow, origin, { type: 'course', event: 'progress', data: { progress: e.progress + 1 } }));
          embed.destroy();
        });
        window.dispatchEvent(window.messageFrom(iframe.contentWindow, origin, { type: 'course', event: 'progress', data: { progress: 1 } }));
        return log;
      }, servers.frame);
      assert.deepEqual(result, [1]);
      assert.deepEqual(await pageErrors(), []);
    });

    test('off() and an unsubscribe during a dispatch stop those callbacks for that event too', async () => {
      const frame = await addFrame('off');
      await page.evaluate(async () => {
        const embed = await window.sdk.attachCourse(document.getElementById('off'));
        window.offEmbed = embed;
        window.log = [];
        const b = (e) => window.log.push(`b:${e.progress}`);
        let unsubscribeC;
        embed.on('course:progress', (e) => {
          window.log.push(`a:${e.progress}`);
          embed.off('course:progress', b);
          unsubscribeC();
          embed.on('course:progress', (e2) => window.log.push(`added:${e2.progress}`)); // from the next event
        });
        embed.on('course:progress', b);
        unsubscribeC = embed.on('course:progress', (e) => window.log.push(`c:${e.progress}`));
        embed.on('*', (e) => window.log.push(`*:${e.name}`));
      });
      await frame.evaluate(() => {
        window.post({ type: 'course', event: 'progress', data: { progress: 10 } });
        window.post({ type: 'course', event: 'progress', data: { progress: 20 } });
      });
      await page.waitForFunction(() => window.log.filter((l) => l.startsWith('*:')).length === 2);
      assert.deepEqual(await page.evaluate(() => window.log),
        ['a:10', '*:course:progress', 'a:20', 'added:20', '*:course:progress']);
      await page.evaluate(() => window.offEmbed.destroy());
    });
  });

  describe('options and lifetime', () => {
    test('timer options above 2^31 - 1 ms are refused with invalid_option instead of firing at once', async () => {
      await addFrame('timer');
      const result = await page.evaluate(async () => {
        const iframe = document.getElementById('timer');
        const code = (p) => p.then((e) => { e.destroy(); return 'attached'; }, (e) => e.code);
        return {
          over: await code(window.sdk.attachCourse(iframe, { readyTimeoutMs: 2 ** 31 })),
          infinite: await code(window.sdk.attachCourse(iframe, { readyTimeoutMs: Infinity })),
          max: await code(window.sdk.attachCourse(iframe, { readyTimeoutMs: window.sdk.MAX_TIMER_MS })),
          constant: window.sdk.MAX_TIMER_MS,
        };
      });
      assert.deepEqual(result, { over: 'invalid_option', infinite: 'invalid_option', max: 'attached', constant: 2 ** 31 - 1 });
    });

    test('ready() after destroy() resolves when session:ready had come, and rejects when it had not', async () => {
      const frame = await addFrame('ready-destroy');
      await page.evaluate(async () => {
        const iframe = document.getElementById('ready-destroy');
        window.readyEmbed = await window.sdk.attachCourse(iframe);
        window.silentEmbed = await window.sdk.attachCourse(iframe, { origin: 'https://coassemble.com' });
      });
      await frame.evaluate(() => window.post({ type: 'session', event: 'ready' }));
      await page.waitForFunction(() => window.readyEmbed.state.ready);
      const result = await page.evaluate(async () => {
        window.readyEmbed.destroy();
        window.silentEmbed.destroy();
        return [await window.readyEmbed.ready().then(() => 'resolved', (e) => e.code),
          await window.silentEmbed.ready().then(() => 'resolved', (e) => e.code)];
      });
      assert.deepEqual(result, ['resolved', 'destroyed']);
    });

    test('embed* attributes: true sets an empty attribute, false, null and undefined set none', async () => {
      const result = await page.evaluate(async (src) => {
        const box = document.createElement('div');
        document.body.append(box);
        const embed = await window.sdk.embedCourse(box, src, { iframe: {
          allowfullscreen: true, hidden: false, loading: null, referrerpolicy: undefined, title: 'Quiz', width: 640,
        } });
        const iframe = embed.iframe;
        const out = Object.fromEntries(['allowfullscreen', 'hidden', 'loading', 'referrerpolicy', 'title', 'width']
          .map((name) => [name, iframe.getAttribute(name)]));
        embed.destroy();
        box.remove();
        return out;
      }, host.frameSrc('attrs'));
      assert.deepEqual(result, { allowfullscreen: '', hidden: null, loading: null, referrerpolicy: null, title: 'Quiz', width: '640' });
    });

    test('attaching twice to one iframe gives independent embeds: destroying one leaves the other listening', async () => {
      const frame = await addFrame('twice');
      await page.evaluate(async () => {
        const iframe = document.getElementById('twice');
        const [first, second] = [await window.sdk.attachCourse(iframe), await window.sdk.attachCourse(iframe)];
        window.twice = { first, second, log: [] };
        first.on('*', (e) => window.twice.log.push(`first:${e.name}`));
        second.on('*', (e) => window.twice.log.push(`second:${e.name}`));
        first.destroy();
      });
      await frame.evaluate(() => window.post({ type: 'session', event: 'ready' }));
      await page.waitForFunction(() => window.twice.second.state.ready);
      assert.deepEqual(await page.evaluate(() => window.twice.log), ['second:session:ready']);
      assert.deepEqual(await page.evaluate(() => [window.twice.first.state.ready, window.twice.first.destroyed]), [false, true]);
      await page.evaluate(() => window.twice.second.destroy());
    });
  });

  describe('removal is seen everywhere', () => {
    // Counts the package's live MutationObservers and intervals (it uses the page's globals), and keeps
    // the interval callbacks so that the test runs the fallback check itself instead of waiting for it.
    before(() => page.evaluate(() => {
      const live = (window.live = { observers: new Set(), intervals: new Map() });
      const Native = window.MutationObserver;
      window.MutationObserver = class extends Native {
        observe(...args) { live.observers.add(this); return super.observe(...args); }
        disconnect() { live.observers.delete(this); return super.disconnect(); }
      };
      const [setI, clearI] = [window.setInterval, window.clearInterval];
      window.setInterval = (fn, ...args) => { const id = setI(fn, ...args); live.intervals.set(id, fn); return id; };
      window.clearInterval = (id) => { live.intervals.delete(id); return clearI(id); };
    }));

    const fallbackCheck = () => page.evaluate(() => { for (const check of window.live.intervals.values()) check(); });

    /** Resolves once embed `key` is destroyed, or fails after 5 s. */
    const destroyed = (key) => page.waitForFunction((key) => window.removal[key].destroyed, key, { timeout: 5000 });

    test('an iframe in a shadow root, in another same-origin document, or moved into a shadow root after attach', async () => {
      await addFrame('keeper'); // an embed in the main document that stays: the others are not the first
      const src = host.frameSrc('removal');
      await page.evaluate(async (src) => {
        window.removal = { keeper: await window.sdk.attachCourse(document.getElementById('keeper')) };
        if (window.live.intervals.size !== 1) throw new Error('the fallback interval was not started by this embed');
        // 1. inside an open shadow root
        const shadowHost = document.createElement('div');
        document.body.append(shadowHost);
        const shadow = shadowHost.attachShadow({ mode: 'open' });
        const inShadow = document.createElement('iframe');
        inShadow.src = src;
        shadow.append(inShadow);
        window.removal.shadow = await window.sdk.attachCourse(inShadow);
        window.removeShadowFrame = () => inShadow.remove();
        // 2. in another same-origin document (an about:blank iframe's)
        const outer = document.createElement('iframe');
        document.body.append(outer);
        const inner = outer.contentDocument.createElement('iframe');
        inner.src = src;
        outer.contentDocument.body.append(inner);
        window.removal.other = await window.sdk.attachCourse(inner);
        window.removeOtherFrame = () => inner.remove();
        // 3. attached detached, then inserted into a shadow root: only the fallback check sees it
        const late = document.createElement('iframe');
        window.removal.late = await window.sdk.attachCourse(late, { origin: new URL(src).origin });
        const lateHost = document.createElement('div');
        document.body.append(lateHost);
        window.lateShadow = lateHost.attachShadow({ mode: 'closed' });
        window.lateFrame = late;
      }, src);
      await page.evaluate(() => window.removeShadowFrame());
      await destroyed('shadow');
      await page.evaluate(() => window.removeOtherFrame());
      await destroyed('other');
      await page.evaluate(() => window.lateShadow.append(window.lateFrame));
      // No observed root sees that insertion: the fallback check finds the iframe connected (not
      // mistaken for removed) and observes its shadow root from then on, so its removal is seen.
      await fallbackCheck();
      assert.equal(await page.evaluate(() => window.removal.late.destroyed), false);
      await page.evaluate(() => window.lateFrame.remove());
      await destroyed('late');
      assert.equal(await page.evaluate(() => window.removal.keeper.destroyed), false);
    });

    test('no observer or interval outlives the last embed', async () => {
      const live = () => page.evaluate(() => [window.live.observers.size, window.live.intervals.size]);
      const [observers] = await live();
      assert.ok(observers >= 1, 'the keeper is watched');
      await page.evaluate(() => window.removal.keeper.destroy());
      assert.deepEqual(await live(), [0, 0]);
    });
  });

  describe('diagnostics: origin_mismatch and the ready() timeout', () => {
    test('the iframe\'s window posting from another origin: one error per distinct origin, nothing delivered', async () => {
      // The embed trusts the origin of its src; the player then redirects to another origin (here the
      // host's own, as a custom domain would) and posts from there. A witness embed trusting that other
      // origin shows when its messages have arrived.
      const frame = await addFrame('redirect');
      await addFrame('bystander', servers.host); // another iframe from a wrong origin: not ours, no error
      await page.evaluate(async (otherOrigin) => {
        const iframe = document.getElementById('redirect');
        const embed = await window.sdk.attachCourse(iframe, { readyTimeoutMs: 200 });
        const witness = await window.sdk.attachCourse(iframe, { origin: otherOrigin });
        window.diag = { embed, witness, errors: [], events: [], witnessed: [] };
        embed.on('error', (e) => window.diag.errors.push({ code: e.code, expected: e.expected, received: e.received, message: e.message }));
        embed.on('*', (e) => window.diag.events.push(e.name));
        witness.on('*', (e) => window.diag.witnessed.push(e.name));
      }, servers.host);
      await frame.evaluate(() => window.post({ type: 'course', event: 'start' })); // from the trusted origin: fine
      const bystander = (await page.frames()).find((f) => f.url().includes('name=bystander'));
      await bystander.evaluate(() => window.post({ type: 'session', event: 'ready' }));
      await page.evaluate(() => window.postMessage({ type: 'session', event: 'ready' }, '*'));
      await page.waitForFunction(() => window.diag.events.length === 1);
      // Navigate the same iframe (same window) to the other origin: it posts session:ready on load.
      await page.evaluate((src) => { document.getElementById('redirect').src = src; },
        host.frameSrc('redirect', servers.host, '&ready=1'));
      await page.waitForFunction(() => window.diag.witnessed.includes('session:ready'));
      const moved = (await page.frames()).find((f) => f.url().includes('name=redirect'));
      await moved.evaluate(() => {
        window.post({ type: 'session', event: 'ready' });
        window.post({ type: 'course', event: 'completed' });
      });
      await page.waitForFunction(() => window.diag.witnessed.includes('course:completed'));
      const timeout = await page.evaluate(() => window.diag.embed.ready().catch((e) => [e.code, e.message]));
      const diag = await page.evaluate(() => window.diag);
      assert.deepEqual(diag.events, ['course:start'], 'nothing from the other origin is delivered');
      assert.equal(diag.errors.length, 1, `once per distinct origin: ${JSON.stringify(diag.errors)}`);
      const [error] = diag.errors;
      assert.deepEqual([error.code, error.expected, error.received], ['origin_mismatch', servers.frame, servers.host]);
      assert.ok(error.message.includes(servers.frame) && error.message.includes(servers.host), error.message);
      assert.equal(timeout[0], 'timeout');
      assert.ok(timeout[1].includes(`posted from ${servers.host} instead`), timeout[1]);
      await page.evaluate(() => { window.diag.embed.destroy(); window.diag.witness.destroy(); });
    });

    test('a ready() timeout says when nothing came from the iframe\'s window, or only other messages', async () => {
      const frame = await addFrame('quiet');
      const silent = await page.evaluate(async () => {
        window.quiet = await window.sdk.attachCourse(document.getElementById('quiet'), { readyTimeoutMs: 50 });
        return window.quiet.ready().catch((e) => e.message);
      });
      assert.match(silent, /nothing came from the iframe's window/);
      await frame.evaluate(() => {
        window.post({ hello: 'not a Coassemble message' });
        window.post({ type: 'course', event: 'start' });
      });
      await page.waitForFunction(() => window.quiet.state.started);
      const other = await page.evaluate(() => window.quiet.ready().catch((e) => e.message));
      assert.match(other, new RegExp(`though the iframe's window did post from ${servers.frame}$`));
      await page.evaluate(() => window.quiet.destroy());
    });
  });

  describe('autosave in the page', () => {
    test('a draft carries the builder\'s raw data; a beacon only queues it; visible again, save confirms it', async () => {
      const frame = await addFrame('autosave-builder');
      await page.evaluate(async () => {
        // Headless Chromium cannot hide its only tab: the page's visibility is emulated, the rest is real
        // (the builder iframe's postMessage, the package's autosave entry, navigator.sendBeacon).
        let visibility = 'visible';
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
        window.setVisibility = (state) => { visibility = state; document.dispatchEvent(new Event('visibilitychange')); };
        const builder = await window.sdk.attachBuilder(document.getElementById('autosave-builder'));
        const log = [];
        const saves = [];
        const saver = window.autosave(builder, {
          save: async (draft) => { saves.push(draft); },
          beacon: (draft) => navigator.sendBeacon('/beacon-sink', JSON.stringify(draft)),
          debounceMs: 600000, // the draft stays pending until the page is hidden
        });
        for (const name of ['pending', 'queued', 'saved']) saver.on(name, ({ draft }) => log.push(`${name}:${draft.revision}`));
        window.autosaved = { builder, saver, log, saves };
      });
      const data = { id: 981, title: 'Onboarding', screens: [{ id: 's-1' }] };
      await frame.evaluate((data) => window.post({ type: 'course', event: 'updated', data }), data);
      await page.waitForFunction(() => window.autosaved.log.includes('pending:1'));
      await page.evaluate(() => window.setVisibility('hidden'));
      const hidden = await page.evaluate(() => ({ log: [...window.autosaved.log], status: window.autosaved.saver.status,
        saves: window.autosaved.saves.length, pending: window.autosaved.saver.pending.map((d) => d.revision) }));
      assert.deepEqual(hidden, { log: ['pending:1', 'queued:1'], status: 'queued', saves: 0, pending: [1] });
      await page.evaluate(() => window.setVisibility('visible'));
      await page.waitForFunction(() => window.autosaved.log.includes('saved:1'));
      const [saved] = await page.evaluate(() => window.autosaved.saves);
      assert.deepEqual([saved.courseId, saved.title, saved.data], [981, 'Onboarding', data]);
      assert.equal(await page.evaluate(() => window.autosaved.saver.status), 'saved');
      await page.evaluate(async () => {
        await window.autosaved.saver.stop();
        window.autosaved.builder.destroy();
        delete document.visibilityState; // back to the real getter
      });
      assert.deepEqual(await pageErrors(), []);
    });
  });
});
