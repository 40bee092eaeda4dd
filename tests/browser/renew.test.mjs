// Long sessions and reloads in Chromium, Firefox and WebKit, with real cross-origin iframes: `renewUrl` reloads
// the same iframe with a fresh signed URL on `session:expired`, and `initialProgress` resumes a bar.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from '../support/engines.mjs';
import { openHost } from '../support/host.mjs';

let host, page;

for (const { name: engine, skip } of engines()) describe(engine, { skip }, () => {
  before(async () => {
    host = await openHost({ engine });
    ({ page } = host);
  });

  after(() => host?.close());


  /** The embed stand-in's URL for session `n` (it posts session:ready on load). */
  const sessionUrl = (n) => host.frameSrc(`session-${n}`, undefined, '&ready=1');

  /** The frame that loads session `n`, once it is there. */
  async function frameOf(n) {
    const url = sessionUrl(n);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const frame = (await page.frames()).find((f) => f.url() === url);
      if (frame) return frame;
      if (Date.now() > deadline) throw new Error(`no frame loaded ${url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test('renewUrl: on session:expired the same iframe reloads with a fresh URL; the handle, its subscriptions and autosave carry on', async () => {
    await page.evaluate(async ([first, second]) => {
      const box = document.createElement('div');
      box.id = 'renew-box';
      document.body.append(box);
      const log = (window.renewLog = []);
      let renewals = 0;
      const builder = await window.sdk.embedBuilder(box, first, {
        renewUrl: async () => {
          renewals += 1;
          log.push(`renewUrl ${renewals}`);
          return second;
        },
      });
      window.renewed = builder;
      window.saves = [];
      window.autosaver = window.autosave(builder, {
        debounceMs: 60_000, // only a flush saves within this test
        save: async (draft) => { log.push(`save ${draft.courseId} r${draft.revision}`); window.saves.push(draft); },
      });
      builder.on('*', (e) => log.push(e.name));
      builder.on('error', (e) => log.push(`error ${e.code}`));
      // Asked while the renewal runs, ready() waits for the new session.
      builder.once('session:expired', () => builder.ready().then(() => log.push('ready() resolved'), (e) => log.push(e.code)));
      await builder.ready();
    }, [sessionUrl(1), sessionUrl(2)]);
    const first = await frameOf(1);
    await first.evaluate(() => window.post({ type: 'course', event: 'updated', data: { id: 7, title: 'Draft' } }));
    await page.waitForFunction(() => window.renewLog.includes('course:updated'));
    assert.equal(await page.evaluate(() => window.autosaver.status), 'pending');

    await first.evaluate(() => window.post({ type: 'session', event: 'expired' }));
    await page.waitForFunction(() => window.renewLog.includes('ready() resolved'));
    const second = await frameOf(2);

    const after = await page.evaluate(() => ({
      iframes: document.querySelectorAll('#renew-box iframe').length,
      src: document.querySelector('#renew-box iframe').src,
      sameIframe: window.renewed.iframe === document.querySelector('#renew-box iframe'),
      state: window.renewed.state,
      destroyed: window.renewed.destroyed,
    }));
    assert.equal(after.iframes, 1, 'the same iframe, reloaded: no second one');
    assert.equal(after.src, sessionUrl(2));
    assert.ok(after.sameIframe);
    assert.equal(after.destroyed, false);
    assert.equal(after.state.ready, true);
    assert.equal(after.state.expired, false, 'a new session');

    // The subscriptions and the autosave follow the new session.
    await second.evaluate(() => window.post({ type: 'course', event: 'updated', data: { id: 7, title: 'Draft 2' } }));
    await page.waitForFunction(() => window.renewLog.filter((l) => l === 'course:updated').length === 2);
    await page.evaluate(() => window.autosaver.flush());
    const log = await page.evaluate(() => window.renewLog);
    assert.deepEqual(log, ['session:ready', 'course:updated', 'save 7 r1', 'session:expired', 'renewUrl 1',
      'session:renewed', 'session:ready', 'ready() resolved', 'course:updated', 'save 7 r2'],
    'the autosave flushed on session:expired, before the fresh URL was even asked for');

    // The old session's page is gone: a second expiry renews again (not a stale "renewing" flag).
    await second.evaluate(() => window.post({ type: 'session', event: 'expired' }));
    await page.waitForFunction(() => window.renewLog.filter((l) => l === 'session:renewed').length === 2);
    await page.evaluate(async () => { await window.autosaver.stop(); window.renewed.destroy(); });
    assert.deepEqual(await page.evaluate(() => window.pageErrors), []);
  });

  test('renewUrl that fails is reported on error as renew_failed, never as an unhandled rejection', async () => {
    await page.evaluate(async (first) => {
      const box = document.createElement('div');
      document.body.append(box);
      window.failLog = [];
      const course = await window.sdk.embedCourse(box, first, {
        renewUrl: () => Promise.reject(new Error('mint endpoint down')),
      });
      course.on('error', (e) => window.failLog.push(`${e.code}: ${e.message} (${e.cause?.message})`));
      course.on('session:expired', () => window.failLog.push('session:expired'));
      window.failing = course;
      await course.ready();
    }, sessionUrl(3));
    const frame = await frameOf(3);
    await frame.evaluate(() => window.post({ type: 'session', event: 'expired' }));
    await page.waitForFunction(() => window.failLog.length === 2);
    assert.deepEqual(await page.evaluate(() => window.failLog),
      ['session:expired', 'renew_failed: renewUrl failed: mint endpoint down (mint endpoint down)']);
    await page.evaluate(() => window.failing.destroy());
    assert.deepEqual(await page.evaluate(() => window.pageErrors), []);
  });

  test('initialProgress: a reloaded learner keeps their bar; only progress beyond it is reported; a renewal keeps it too', async () => {
    await page.evaluate(async ([first, second]) => {
      const box = document.createElement('div');
      document.body.append(box);
      window.seenProgress = [];
      const course = await window.sdk.embedCourse(box, first, { initialProgress: 40, renewUrl: async () => second });
      course.on('course:progress', (e) => window.seenProgress.push(e.progress));
      window.resumed = course;
      window.resumedAtStart = course.state.progress;
      await course.ready();
    }, [sessionUrl(4), sessionUrl(5)]);
    assert.equal(await page.evaluate(() => window.resumedAtStart), 40, 'the bar starts where the learner left');
    const frame = await frameOf(4);
    await frame.evaluate(() => {
      for (const progress of [20, 40, 45]) window.post({ type: 'course', event: 'progress', data: { progress } });
    });
    await page.waitForFunction(() => window.seenProgress.includes(45));
    assert.deepEqual(await page.evaluate(() => window.seenProgress), [45]);

    await frame.evaluate(() => window.post({ type: 'session', event: 'expired' }));
    const reloaded = await frameOf(5);
    await page.evaluate(() => window.resumed.ready());
    await reloaded.evaluate(() => {
      for (const progress of [10, 45, 60]) window.post({ type: 'course', event: 'progress', data: { progress } });
    });
    await page.waitForFunction(() => window.seenProgress.includes(60));
    assert.deepEqual(await page.evaluate(() => window.seenProgress), [45, 60], 'the renewed session resumes at 45');
    assert.equal(await page.evaluate(() => window.resumed.state.progress), 60);

    const bad = await page.evaluate(() => Promise.all([101, 2.5, '50', -1].map((initialProgress) =>
      window.sdk.embedCourse(document.body, 'https://x.test/', { initialProgress }).then(() => 'embedded', (e) => e.code))));
    assert.deepEqual(bad, ['invalid_option', 'invalid_option', 'invalid_option', 'invalid_option']);
    await page.evaluate(() => window.resumed.destroy());
    assert.deepEqual(await page.evaluate(() => window.pageErrors), []);
  });

  test('with the test kit\'s player emulator: a learner clicks on, the session expires, the renewed player resumes the bar', async () => {
    const player = (session) => `${host.servers.frame}/testing/emulators/player.html?parent=${encodeURIComponent(host.servers.host)}&session=${session}`;
    await page.evaluate(async ([first, second]) => {
      const box = document.createElement('div');
      document.body.append(box);
      window.learner = [];
      const course = await window.sdk.embedCourse(box, first, { renewUrl: async () => second });
      course.on('course:progress', (e) => window.learner.push(e.progress));
      course.on('session:renewed', () => window.learner.push('renewed'));
      window.learnerCourse = course;
      await course.ready();
    }, [player(1), player(2)]);
    const frameAt = async (url) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const frame = (await page.frames()).find((f) => f.url() === url);
        if (frame || Date.now() > deadline) return frame;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const frame = await frameAt(player(1));
    for (let i = 0; i < 3; i++) await frame.click('#next'); // start, lesson 1, lesson 2
    await page.waitForFunction(() => window.learner.length === 3);
    await frame.click('#expire');
    await page.waitForFunction(() => window.learner.includes('renewed'));
    await page.evaluate(() => window.learnerCourse.ready());
    const renewed = await frameAt(player(2));
    assert.ok(renewed, 'the same iframe loads the renewed URL');
    for (let i = 0; i < 4; i++) await renewed.click('#next'); // the new session starts over, then goes one screen further
    await page.waitForFunction(() => window.learner.length === 5);
    assert.deepEqual(await page.evaluate(() => window.learner), [0, 17, 33, 'renewed', 50],
      'the bar never moved back: the renewed session reported only progress beyond 33');
    await page.evaluate(() => window.learnerCourse.destroy());
    assert.deepEqual(await page.evaluate(() => window.pageErrors), []);
  });
});
