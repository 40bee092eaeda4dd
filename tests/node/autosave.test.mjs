// Scheduling rules of js/page/autosave.js (as built: `coassemble-events/autosave`) with a fake clock, a fake builder and saves the test settles by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autosave } from 'coassemble-events/autosave';

/** Timers that only run when the test advances time. */
function fakeClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map();
  return {
    now: () => now,
    setTimeout(fn, ms) { const id = ++seq; timers.set(id, { at: now + ms, fn }); return id; },
    clearTimeout(id) { timers.delete(id); },
    get timers() { return timers.size; },
    /** Moves time forward by `ms`, running due timers in order and letting promises settle after each. */
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        await settle();
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
        if (!due.length) break;
        const [id, t] = due[0];
        timers.delete(id);
        now = t.at;
        t.fn();
      }
      now = end;
      await settle();
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

/** The part of an Embed that autosave uses. */
function fakeBuilder() {
  const handlers = new Map();
  return {
    on(name, cb) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(cb);
      return () => handlers.get(name).delete(cb);
    },
    emit(name, fields = {}) {
      for (const cb of [...(handlers.get(name) ?? [])]) cb({ name, ...fields });
    },
    updated(courseId, title) { this.emit('course:updated', { courseId, title }); },
    get listenerCount() { return [...handlers.values()].reduce((n, s) => n + s.size, 0); },
  };
}

/** A save function whose calls the test resolves or rejects; records the peak number of overlapping saves. */
function manualSave() {
  const calls = [];
  let running = 0;
  const save = (draft) => new Promise((resolve, reject) => {
    running += 1;
    save.peak = Math.max(save.peak, running);
    const done = (fn) => (v) => { running -= 1; fn(v); };
    calls.push({ draft, resolve: done(resolve), reject: done(reject) });
  });
  save.peak = 0;
  save.calls = calls;
  return save;
}

/** A fake page: an EventTarget window with a document whose visibility the test sets. */
function fakeWindow() {
  const win = new EventTarget();
  win.document = new EventTarget();
  win.document.visibilityState = 'visible';
  let count = 0;
  for (const target of [win, win.document]) {
    const add = target.addEventListener.bind(target);
    const remove = target.removeEventListener.bind(target);
    target.addEventListener = (...a) => { count += 1; add(...a); };
    target.removeEventListener = (...a) => { count -= 1; remove(...a); };
  }
  Object.defineProperty(win, 'listenerCount', { get: () => count });
  return win;
}

function setup(opts = {}) {
  const clock = fakeClock();
  const builder = fakeBuilder();
  const save = opts.save ?? manualSave();
  const win = opts.window ?? null;
  const saver = autosave(builder, { save, clock, window: win, ...opts.options });
  const events = [];
  for (const name of ['pending', 'saving', 'saved', 'queued', 'error']) saver.on(name, (e) => events.push({ name, ...e }));
  return { clock, builder, save, saver, events, win };
}

test('a burst of updates for one course becomes one save of the newest draft after the debounce', async () => {
  const { clock, builder, save, saver } = setup();
  for (const title of ['O', 'On', 'Onb', 'Onbo', 'Onboarding']) {
    builder.updated(7, title);
    await clock.advance(100);
  }
  assert.equal(saver.status, 'pending');
  await clock.advance(600); // 700 ms since the last update: still within the 800 ms debounce
  assert.equal(save.calls.length, 0);
  await clock.advance(100);
  assert.equal(save.calls.length, 1);
  assert.deepEqual(save.calls[0].draft,
    { courseId: 7, title: 'Onboarding', updatedAt: new Date(400).toISOString(), revision: 5, data: null });
  assert.equal(saver.status, 'saving');
  save.calls[0].resolve();
  await clock.advance(0);
  assert.equal(saver.status, 'saved');
  await clock.advance(60_000);
  assert.equal(save.calls.length, 1);
});

test('steady typing is still saved after maxWaitMs', async () => {
  const { clock, builder, save } = setup({ options: { debounceMs: 800, maxWaitMs: 2000 } });
  for (let i = 1; i <= 10; i++) {
    builder.updated(1, `t${i}`);
    await clock.advance(500);
  }
  assert.ok(save.calls.length >= 1, 'saved during the burst');
  // Updates every 500 ms from t=0 never leave 800 ms of quiet; the save fires 2000 ms after the first
  // update, with the newest draft at that time (the 4th, from t=1500).
  assert.equal(save.calls[0].draft.title, 't4');
});

test('course:created counts as an update; an update without a title keeps the last title', async () => {
  const { clock, builder, save } = setup();
  builder.emit('course:created', { courseId: 3, title: 'New course' });
  builder.emit('course:updated', { courseId: 3 });
  await clock.advance(800);
  assert.equal(save.calls.length, 1);
  assert.equal(save.calls[0].draft.title, 'New course');
  assert.equal(save.calls[0].draft.revision, 2);
});

test('different courses are debounced and saved independently', async () => {
  const { clock, builder, save, saver } = setup({ options: { retry: { attempts: 1 } } });
  builder.updated(1, 'A');
  await clock.advance(500);
  builder.updated(2, 'B');
  await clock.advance(300);
  assert.deepEqual(save.calls.map((c) => c.draft.courseId), [1]);
  assert.equal(save.peak, 1);
  await clock.advance(500);
  assert.deepEqual(save.calls.map((c) => c.draft.courseId), [1, 2]);
  assert.equal(save.peak, 2, 'two courses may save at the same time');
  save.calls[1].reject(new Error('down'));
  save.calls[0].resolve();
  await clock.advance(0);
  assert.deepEqual(saver.pending.map((d) => d.courseId), [2], 'course 2 failing does not hold course 1');
  assert.equal(saver.status, 'error');
  assert.equal(saver.pending[0].revision, 1, 'revisions count per course');
});

test('an update during a slow save waits for it: never concurrent, never out of order', async () => {
  const { clock, builder, save } = setup();
  builder.updated(9, 'first');
  await clock.advance(800);
  assert.equal(save.calls.length, 1);
  builder.updated(9, 'second');
  builder.updated(9, 'third');
  await clock.advance(5000); // the debounce of the newer draft is long over, the first save still runs
  assert.equal(save.calls.length, 1, 'no second save while the first runs');
  save.calls[0].resolve();
  await clock.advance(0);
  assert.equal(save.calls.length, 2);
  assert.equal(save.peak, 1);
  assert.deepEqual(save.calls.map((c) => [c.draft.title, c.draft.revision]), [['first', 1], ['third', 3]]);
});

test('when a slow save fails after a newer update arrived, the newer draft is retried, not the old one', async () => {
  const { clock, builder, save, events } = setup({ options: { retry: { baseMs: 100 } } });
  builder.updated(9, 'old');
  await clock.advance(800);
  builder.updated(9, 'new');
  save.calls[0].reject(new Error('500'));
  await clock.advance(0);
  assert.equal(events.at(-1).name, 'error');
  assert.equal(events.at(-1).draft.title, 'new');
  await clock.advance(100);
  assert.equal(save.calls.length, 2);
  assert.equal(save.calls[1].draft.title, 'new');
  assert.equal(save.peak, 1);
});

test('failed saves are retried with exponential backoff, then stay pending with an error until the next update', async () => {
  const { clock, builder, save, saver, events } = setup({ options: { retry: { attempts: 3, baseMs: 100, maxMs: 150 } } });
  const attemptsAt = [];
  builder.updated(5, 'Draft');
  for (let t = 0; t < 10_000; t += 10) {
    const before = save.calls.length;
    await clock.advance(10);
    if (save.calls.length > before) {
      attemptsAt.push(clock.now());
      save.calls.at(-1).reject(new Error('HTTP 500'));
    }
  }
  // First try after the 800 ms debounce, then 100 ms, then min(150, 200) ms of backoff.
  assert.deepEqual(attemptsAt, [800, 900, 1050]);
  const errors = events.filter((e) => e.name === 'error');
  assert.deepEqual(errors.map((e) => e.retryInMs), [100, 150, null]);
  assert.deepEqual(errors.map((e) => e.attempt), [1, 2, 3]);
  assert.equal(saver.status, 'error');
  assert.deepEqual(saver.pending.map((d) => d.title), ['Draft'], 'the draft is kept, not dropped');
  assert.equal(clock.timers, 0, 'no timer while waiting for the next update');

  builder.updated(5, 'Draft 2');
  assert.equal(saver.status, 'pending');
  await clock.advance(800);
  assert.equal(save.calls.length, 4);
  assert.equal(save.calls[3].draft.title, 'Draft 2');
  assert.equal(save.calls[3].draft.revision, 2);
  save.calls[3].resolve();
  await clock.advance(0);
  assert.equal(saver.status, 'saved');
  assert.deepEqual(saver.pending, []);
});

test('flush() retries a draft that used up its attempts, and resolves with what is still unsaved', async () => {
  const { clock, builder, save, saver } = setup({ options: { retry: { attempts: 1 } } });
  builder.updated(5, 'Draft');
  await clock.advance(800);
  save.calls[0].reject(new Error('down'));
  await clock.advance(0);
  assert.equal(saver.status, 'error');

  let result = saver.flush();
  assert.equal(save.calls.length, 2, 'flush saves at once');
  save.calls[1].reject(new Error('still down'));
  assert.deepEqual((await result).map((d) => d.title), ['Draft']);

  result = saver.flush();
  save.calls[2].resolve();
  assert.deepEqual(await result, []);
  assert.equal(saver.status, 'saved');
});

test('a save that throws synchronously, resolves false or resolves a non-ok response is a failure', async () => {
  const outcomes = [
    () => { throw new Error('sync'); },
    () => false,
    () => Promise.resolve({ ok: false, status: 503 }),
    () => undefined,
  ];
  let i = 0;
  const save = () => outcomes[i++]();
  const { clock, builder, saver, events } = setup({ save, options: { retry: { baseMs: 10 } } });
  builder.updated(1, 'x');
  await clock.advance(1000);
  assert.deepEqual(events.filter((e) => e.name === 'error' || e.name === 'saved').map((e) => e.name),
    ['error', 'error', 'error', 'saved']);
  assert.match(String(events.find((e) => e.name === 'error').error), /sync/);
  assert.equal(saver.status, 'saved');
});

for (const trigger of ['back', 'session:expired']) {
  test(`'${trigger}' flushes pending drafts at once`, async () => {
    const { builder, save } = setup();
    builder.updated(1, 'a');
    builder.updated(2, 'b');
    assert.equal(save.calls.length, 0);
    builder.emit(trigger);
    assert.deepEqual(save.calls.map((c) => c.draft.title), ['a', 'b']);
  });
}

test('stop() flushes, detaches every listener, leaves no timer and ignores later updates', async () => {
  const win = fakeWindow();
  const { clock, builder, save, saver } = setup({ window: win });
  assert.ok(builder.listenerCount > 0 && win.listenerCount > 0);
  builder.updated(1, 'last words');
  const stopped = saver.stop();
  assert.equal(save.calls.length, 1);
  assert.equal(save.calls[0].draft.title, 'last words');
  save.calls[0].reject(new Error('down'));
  assert.deepEqual((await stopped).map((d) => d.title), ['last words'], 'stop() hands back what it could not save');
  assert.equal(builder.listenerCount, 0);
  assert.equal(win.listenerCount, 0);
  assert.equal(clock.timers, 0);
  builder.updated(1, 'after stop');
  await clock.advance(10_000);
  assert.equal(save.calls.length, 1);
  const again = saver.stop(); // listeners are already gone; the leftover draft gets one more attempt
  assert.equal(save.calls.length, 2);
  save.calls[1].resolve();
  assert.deepEqual(await again, []);
  assert.equal(builder.listenerCount, 0);
});

test('pagehide hands the newest pending draft of each course to the beacon (queued) instead of saving', async () => {
  const win = fakeWindow();
  const beaconed = [];
  const { builder, save, saver, events } = setup({ window: win, options: { beacon: (d) => { beaconed.push(d); return true; } } });
  builder.updated(1, 'a1');
  builder.updated(1, 'a2');
  builder.updated(2, 'b1');
  win.dispatchEvent(new Event('pagehide'));
  assert.deepEqual(beaconed.map((d) => d.title), ['a2', 'b1']);
  assert.equal(save.calls.length, 0);
  assert.equal(saver.status, 'queued');
  assert.deepEqual(events.filter((e) => e.name === 'queued').map((e) => e.draft.title), ['a2', 'b1']);
  assert.deepEqual(events.filter((e) => e.name === 'saved'), []);
});

test('visibilitychange to hidden beacons a draft whose save is still running; its late failure is not retried while hidden', async () => {
  const win = fakeWindow();
  const beaconed = [];
  const { clock, builder, save, saver } = setup({ window: win, options: { beacon: (d) => { beaconed.push(d); return true; } } });
  builder.updated(1, 'in flight');
  await clock.advance(800);
  win.document.visibilityState = 'visible';
  win.document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(beaconed.length, 0, 'visible: nothing to do');
  win.document.visibilityState = 'hidden';
  win.document.dispatchEvent(new Event('visibilitychange'));
  assert.deepEqual(beaconed.map((d) => d.title), ['in flight']);
  save.calls[0].reject(new Error('cancelled by unload'));
  await clock.advance(60_000);
  assert.equal(save.calls.length, 1);
  assert.equal(saver.status, 'queued');
});

test('without a beacon, pagehide saves pending drafts at once', async () => {
  const win = fakeWindow();
  const { builder, save } = setup({ window: win });
  builder.updated(1, 'x');
  win.dispatchEvent(new Event('pagehide'));
  assert.deepEqual(save.calls.map((c) => c.draft.title), ['x']);
});

test('flush() waits for a running save, then saves the newer draft without waiting for its debounce', async () => {
  const { clock, builder, save, saver } = setup();
  builder.updated(1, 'first');
  await clock.advance(800);
  builder.updated(1, 'second');
  const flushed = saver.flush();
  await clock.advance(0);
  assert.equal(save.calls.length, 1, 'never two saves of one course at once');
  save.calls[0].resolve();
  await clock.advance(0);
  assert.equal(save.calls.length, 2);
  assert.equal(save.calls[1].draft.title, 'second');
  assert.equal(clock.now(), 800, 'no time passed');
  save.calls[1].resolve();
  assert.deepEqual(await flushed, []);
  assert.equal(save.peak, 1);
});

test('a beacon that refuses the draft (returns false) falls back to saving at once', async () => {
  const win = fakeWindow();
  const { builder, save } = setup({ window: win, options: { beacon: () => false } });
  builder.updated(1, 'x');
  win.dispatchEvent(new Event('pagehide'));
  assert.equal(save.calls.length, 1);
  assert.equal(save.calls[0].draft.title, 'x');
});

test('a listener that throws does not stop autosave or other listeners', async () => {
  const { clock, builder, save, saver } = setup();
  const seen = [];
  const original = globalThis.reportError;
  const reported = [];
  globalThis.reportError = (e) => reported.push(e);
  try {
    saver.on('pending', () => { throw new Error('listener bug'); });
    saver.on('pending', (e) => seen.push(e.draft.title));
    builder.updated(1, 'x');
    await clock.advance(800);
  } finally {
    globalThis.reportError = original;
  }
  assert.deepEqual(seen, ['x']);
  assert.equal(reported.length, 1);
  assert.equal(save.calls.length, 1);
});

test('off() and the function returned by on() remove a listener', async () => {
  const { builder, saver } = setup();
  let a = 0;
  let b = 0;
  const cb = () => { a += 1; };
  saver.on('pending', cb);
  const offB = saver.on('pending', () => { b += 1; });
  builder.updated(1, 'x');
  saver.off('pending', cb);
  offB();
  builder.updated(1, 'y');
  assert.deepEqual([a, b], [1, 1]);
});

test('bad arguments throw TypeErrors naming the problem', () => {
  const builder = fakeBuilder();
  assert.throws(() => autosave({}, { save() {} }), /builder/);
  assert.throws(() => autosave({ ...builder, on: builder.on, kind: 'course' }, { save() {} }), /course player/);
  assert.throws(() => autosave(builder, {}), /save/);
  assert.throws(() => autosave(builder, { save() {}, debounceMs: -1 }), /debounceMs/);
  assert.throws(() => autosave(builder, { save() {}, beacon: 42 }), /beacon/);
  assert.throws(() => autosave(builder, { save() {}, window: null }).on('saves', () => {}), /unknown event/);
});

test('a beacon only queues a draft: `queued`, not `saved`; visible again, it is saved with save', async () => {
  const win = fakeWindow();
  const beaconed = [];
  const { clock, builder, save, saver, events } = setup({ window: win, options: { beacon: (d) => { beaconed.push(d); return true; } } });
  builder.updated(1, 'draft');
  win.document.visibilityState = 'hidden';
  win.document.dispatchEvent(new Event('visibilitychange'));
  assert.deepEqual(beaconed.map((d) => d.title), ['draft']);
  assert.deepEqual(events.filter((e) => e.name === 'saved'), [], 'no confirmed save yet');
  assert.deepEqual(events.filter((e) => e.name === 'queued').map((e) => e.draft.title), ['draft']);
  assert.equal(saver.status, 'queued');
  assert.deepEqual(saver.pending.map((d) => d.title), ['draft'], 'a queued draft is not stored yet');
  await clock.advance(60_000);
  assert.equal(save.calls.length, 0, 'hidden: the beacon is trusted for now');
  win.document.visibilityState = 'visible';
  win.document.dispatchEvent(new Event('visibilitychange'));
  assert.deepEqual(save.calls.map((c) => c.draft.title), ['draft'], 'the page lived on: saved again at once');
  save.calls[0].resolve();
  await clock.advance(0);
  assert.equal(saver.status, 'saved');
  assert.deepEqual(saver.pending, []);
  assert.deepEqual(events.filter((e) => e.name === 'saved').map((e) => e.draft.title), ['draft']);
});

test('a beaconed draft whose running save then fails is queued, and saved when the page is visible again', async () => {
  const win = fakeWindow();
  const { clock, builder, save, saver } = setup({ window: win, options: { beacon: () => true } });
  builder.updated(1, 'in flight');
  await clock.advance(800);
  win.document.visibilityState = 'hidden';
  win.document.dispatchEvent(new Event('visibilitychange'));
  save.calls[0].reject(new Error('cancelled'));
  await clock.advance(0);
  assert.equal(saver.status, 'queued');
  win.document.visibilityState = 'visible';
  win.document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(save.calls.length, 2);
  save.calls[1].resolve();
  assert.deepEqual(await saver.flush(), []);
  assert.equal(saver.status, 'saved');
});

test('a save that never settles fails after saveTimeoutMs with its signal aborted; flush() and stop() settle', async () => {
  const signals = [];
  const never = (draft, { signal }) => { signals.push(signal); return new Promise(() => {}); };
  const { clock, builder, saver, events } = setup({ save: never, options: { saveTimeoutMs: 5000 } });
  builder.updated(1, 'stuck');
  await clock.advance(800);
  assert.equal(signals.length, 1);
  assert.equal(signals[0].aborted, false);
  const flushed = saver.flush(); // waits for the running attempt, then makes one more
  await clock.advance(5000);
  assert.equal(signals[0].aborted, true);
  assert.equal(signals[0].reason.name, 'TimeoutError');
  const [error] = events.filter((e) => e.name === 'error');
  assert.match(error.error.message, /within 5000 ms/);
  await clock.advance(5000); // flush()'s own attempt times out too
  assert.deepEqual((await flushed).map((d) => d.title), ['stuck']);
  const stopped = saver.stop();
  await clock.advance(5000);
  assert.deepEqual((await stopped).map((d) => d.title), ['stuck']);
  assert.equal(clock.timers, 0);
});

test('the draft carries the builder event\'s raw data', async () => {
  const { clock, builder, save } = setup();
  builder.emit('course:updated', { courseId: 7, title: 'T', data: { id: 7, title: 'T', screens: 12 } });
  await clock.advance(800);
  assert.deepEqual(save.calls[0].draft.data, { id: 7, title: 'T', screens: 12 });
});

test('timer options above 2^31 - 1 ms are refused with invalid_option', () => {
  const builder = fakeBuilder();
  for (const options of [{ debounceMs: 2 ** 31 }, { saveTimeoutMs: 2 ** 31 }, { retry: { baseMs: 2 ** 31 } },
    { retry: { maxMs: Infinity } }, { saveTimeoutMs: -1 }]) {
    assert.throws(() => autosave(builder, { save() {}, window: null, ...options }),
      (e) => e.code === 'invalid_option', JSON.stringify(options));
  }
  autosave(builder, { save() {}, window: null, debounceMs: 2 ** 31 - 1, maxWaitMs: Infinity }).stop();
});

test('an unknown option name is invalid_option naming it and the option meant, or the known ones', () => {
  const builder = fakeBuilder();
  const refusal = (options) => {
    try {
      autosave(builder, { save() {}, window: null, ...options }).stop();
    } catch (e) {
      return `${e.code}: ${e.message}`;
    }
    return 'accepted';
  };
  assert.equal(refusal({ debounceMS: 500 }), 'invalid_option: unknown option debounceMS, did you mean debounceMs?');
  assert.equal(refusal({ retry: { baseMS: 10 } }), 'invalid_option: unknown option retry.baseMS, did you mean retry.baseMs?');
  assert.match(refusal({ onSaved() {} }), /^invalid_option: unknown option onSaved \(known: save, beacon, debounceMs, .*window\)$/);
  assert.equal(refusal({ retry: { attempts: 2, baseMs: 1, maxMs: 2 }, maxWaitMs: 1, beacon: '/b', clock: undefined }), 'accepted');
});
