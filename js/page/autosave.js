// Draft autosave for an embedded Coassemble builder: turns bursts of `course:created` / `course:updated`
// into one save per course of the newest state, never two saves of one course at once, retried with
// backoff, and flushed (or handed to a beacon) when the builder goes back, expires or the page goes away.
// A draft is "saved" only when `save` confirmed it: a beacon only queues it, and it is saved again
// when the page turns out to live on (visible again).
// Plain JavaScript on purpose: it is scheduling, not protocol decoding, and needs no wasm.
import { unknownOption } from './errors.js';
import { timerOption } from './timers.js';

const EVENTS = ['pending', 'saving', 'saved', 'queued', 'error'];
const OPTIONS = ['save', 'beacon', 'debounceMs', 'maxWaitMs', 'retry', 'saveTimeoutMs', 'clock', 'window'];
const RETRY_OPTIONS = ['retry.attempts', 'retry.baseMs', 'retry.maxMs'];

/** Default `saveTimeoutMs`: how long one `save` attempt may take before it counts as failed. */
const DEFAULT_SAVE_TIMEOUT_MS = 15000;

/** The real clock; tests pass their own `{ now, setTimeout, clearTimeout }`. */
const realClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/**
 * Saves the drafts of the courses edited in `builder` (an Embed from `attachBuilder`/`embedBuilder`).
 * See autosave.d.ts for the documented contract.
 */
export function autosave(builder, options = {}) {
  if (!builder || typeof builder.on !== 'function') {
    throw new TypeError('autosave(builder, options): builder must be an Embed from attachBuilder/embedBuilder');
  }
  if (builder.kind === 'course') {
    throw new TypeError('autosave(builder, options): this is a course player embed; autosave needs a builder (attachBuilder/embedBuilder)');
  }
  const retry = options.retry ?? {};
  // A typo'd name (`debounceMS`) must not leave its default in place without a word.
  known(Object.keys(options), OPTIONS);
  known(Object.keys(retry).map((name) => `retry.${name}`), RETRY_OPTIONS);
  const { save, beacon } = options;
  if (typeof save !== 'function') throw new TypeError('autosave: options.save must be a function (draft) => Promise');
  if (beacon != null && typeof beacon !== 'function' && typeof beacon !== 'string') {
    throw new TypeError('autosave: options.beacon must be a URL string or a function (draft) => boolean');
  }
  const debounceMs = timerOption(options.debounceMs ?? 800, 'autosave: debounceMs');
  // Without a ceiling, someone typing steadily would postpone the save for as long as they type.
  const maxWaitMs = nonNegative(options.maxWaitMs, debounceMs * 5, 'maxWaitMs');
  const attempts = Math.max(1, Math.floor(nonNegative(retry.attempts, 5, 'retry.attempts')));
  const baseMs = timerOption(retry.baseMs ?? 1000, 'autosave: retry.baseMs');
  const maxMs = timerOption(retry.maxMs ?? 30000, 'autosave: retry.maxMs');
  const saveTimeoutMs = timerOption(options.saveTimeoutMs ?? DEFAULT_SAVE_TIMEOUT_MS, 'autosave: saveTimeoutMs');
  const clock = options.clock ?? realClock;
  const win = options.window !== undefined ? options.window
    : (typeof window !== 'undefined' ? window : null);
  const sendBeacon = typeof beacon === 'string' ? beaconTo(beacon) : beacon;

  /** @type {Map<number|null, Course>} one entry per course id seen */
  const courses = new Map();
  const listeners = new Map(EVENTS.map((n) => [n, new Set()]));
  let stopped = false;

  function emit(name, detail) {
    for (const cb of [...listeners.get(name)]) {
      try { cb(detail); } catch (err) { report(err); }
    }
  }

  function course(id) {
    let c = courses.get(id);
    if (!c) {
      // `queued`: the newest draft only a beacon carried (not confirmed), until a save confirms it.
      c = { id, revision: 0, title: null, pending: null, saving: null, inFlight: null, timer: null,
        burstStart: null, failures: 0, exhausted: false, saved: null, beaconed: 0, queued: null };
      courses.set(id, c);
    }
    return c;
  }

  function setTimer(c, ms) {
    clearTimer(c);
    c.timer = clock.setTimeout(() => { c.timer = null; pump(c); }, ms);
  }
  function clearTimer(c) {
    if (c.timer !== null) { clock.clearTimeout(c.timer); c.timer = null; }
  }

  function onUpdate(e) {
    if (stopped) return;
    const id = Number.isFinite(e?.courseId) ? e.courseId : null;
    const c = course(id);
    c.revision += 1;
    if (typeof e?.title === 'string') c.title = e.title;
    const now = clock.now();
    c.pending = { courseId: id, title: c.title, updatedAt: new Date(now).toISOString(), revision: c.revision,
      data: e?.data ?? null };
    // A draft that gave up retrying gets a fresh set of attempts with the next change.
    if (c.exhausted) { c.exhausted = false; c.failures = 0; }
    if (c.burstStart === null) c.burstStart = now;
    setTimer(c, Math.max(0, Math.min(debounceMs, c.burstStart + maxWaitMs - now)));
    emit('pending', { courseId: id, draft: c.pending });
  }

  // Starts a save of the newest draft unless one is running or a debounce/backoff timer is due.
  function pump(c) {
    if (c.inFlight || c.timer !== null || !c.pending || c.exhausted) return;
    start(c);
  }

  function start(c) {
    const draft = c.pending;
    c.pending = null;
    c.saving = draft;
    c.burstStart = null;
    const attempt = c.failures + 1;
    emit('saving', { courseId: c.id, draft, attempt });
    // A save that never settles must not hold up the course (nor flush/stop): after saveTimeoutMs the
    // attempt counts as failed and its signal is aborted, so a fetch given the signal stops too.
    const controller = new AbortController();
    let timer;
    const timedOut = new Promise((_, reject) => {
      timer = clock.setTimeout(() => {
        const error = new Error(`save did not settle within ${saveTimeoutMs} ms`);
        error.name = 'TimeoutError';
        controller.abort(error);
        reject(error);
      }, saveTimeoutMs);
    });
    let result;
    try {
      result = Promise.resolve(save(draft, { signal: controller.signal }));
    } catch (err) {
      result = Promise.reject(err); // a save that throws synchronously is just a failed save
    }
    result = Promise.race([result, timedOut]).finally(() => clock.clearTimeout(timer));
    c.inFlight = result.then(
      (value) => {
        if (value === false || (value && typeof value === 'object' && value.ok === false)) {
          throw new Error(value === false ? 'save returned false' : `save failed: HTTP ${value.status ?? '?'}`);
        }
        return value;
      },
    ).then(
      (value) => succeeded(c, draft, attempt, value),
      (err) => failed(c, draft, attempt, err),
    );
  }

  function succeeded(c, draft, attempt, value) {
    c.inFlight = null;
    c.saving = null;
    c.failures = 0;
    c.saved = draft;
    if (c.queued && c.queued.revision <= draft.revision) c.queued = null;
    emit('saved', { courseId: c.id, draft, attempt, result: value });
    pump(c); // a newer draft that arrived while saving, if its debounce is already over
  }

  function failed(c, draft, attempt, error) {
    c.inFlight = null;
    c.saving = null;
    if (c.beaconed >= draft.revision) { // a beacon carried this draft (or a newer one): queued, not saved
      if (!c.pending && !(c.queued && c.queued.revision > draft.revision)) c.queued = draft;
      pump(c);
      return;
    }
    c.failures += 1;
    // The newest draft wins: a failed older draft is only put back when nothing newer arrived meanwhile.
    if (!c.pending) c.pending = draft;
    let retryInMs = null;
    if (c.failures >= attempts) {
      c.exhausted = true;
      clearTimer(c);
    } else if (!stopped) {
      retryInMs = Math.min(maxMs, baseMs * 2 ** (c.failures - 1));
      setTimer(c, retryInMs);
    }
    emit('error', { courseId: c.id, draft: c.pending, attempt, error, retryInMs });
  }

  // A draft only a beacon carried is pending again: the page lives on, so `save` can confirm it.
  function requeue(c) {
    if (c.queued && !c.pending) c.pending = c.queued;
    c.queued = null;
  }

  // Saves one course now: waits for a running save, then saves what is left, at most one new attempt
  // (`andQueued`: also a draft only a beacon carried).
  async function drain(c, andQueued = true) {
    let tried = false;
    for (;;) {
      if (c.inFlight) { await c.inFlight; continue; }
      if (!tried && andQueued) requeue(c);
      if (!c.pending || tried) return;
      clearTimer(c);
      c.exhausted = false;
      start(c);
      tried = true;
    }
  }

  async function flush() {
    await Promise.all([...courses.values()].map(drain));
    return unsaved();
  }

  // The newest draft of each course that no save confirmed: waiting, being saved, or only queued by
  // a beacon.
  function unsaved() {
    return [...courses.values()].map((c) => c.pending ?? c.saving ?? c.queued).filter(Boolean);
  }

  // The page may be going away: a beacon outlives it, a fetch in `save` may not.
  function pageLeaving() {
    if (stopped) return;
    if (sendBeacon) {
      for (const c of courses.values()) {
        // The newest draft of each course: waiting, or in flight in a request the unload may cancel.
        const draft = c.pending ?? c.saving;
        if (!draft || c.beaconed >= draft.revision) continue;
        let queued = false;
        try { queued = sendBeacon(draft) === true; } catch (err) { report(err); }
        if (!queued) continue;
        c.beaconed = draft.revision;
        if (c.pending === draft) {
          clearTimer(c);
          c.pending = null;
          c.queued = draft;
          c.burstStart = null;
          c.exhausted = false;
          c.failures = 0;
        }
        emit('queued', { courseId: c.id, draft });
      }
    }
    // What no beacon took is saved at once; what one took waits for the page to come back.
    for (const c of courses.values()) drain(c, false);
  }

  // Visible again: the page did not unload, so every draft only a beacon carried is saved with `save`.
  function pageBack() {
    if (stopped) return;
    for (const c of courses.values()) {
      if (!c.queued) continue;
      requeue(c);
      clearTimer(c);
      pump(c);
    }
  }

  const onVisibility = () => {
    const state = win?.document?.visibilityState;
    if (state === 'hidden') pageLeaving();
    else if (state === 'visible') pageBack();
  };

  const offs = [
    subscribe('course:updated', onUpdate),
    subscribe('course:created', onUpdate),
    subscribe('back', () => { flush(); }),
    subscribe('session:expired', () => { flush(); }),
  ];
  if (win && typeof win.addEventListener === 'function') {
    win.addEventListener('pagehide', pageLeaving);
    offs.push(() => win.removeEventListener('pagehide', pageLeaving));
    const doc = win.document;
    if (doc && typeof doc.addEventListener === 'function') {
      doc.addEventListener('visibilitychange', onVisibility);
      offs.push(() => doc.removeEventListener('visibilitychange', onVisibility));
    }
  }

  function subscribe(name, cb) {
    const off = builder.on(name, cb);
    return typeof off === 'function' ? off : () => builder.off?.(name, cb);
  }

  return {
    on(name, cb) {
      const set = listeners.get(name);
      if (!set) throw new TypeError(`autosave: unknown event '${name}' (use ${EVENTS.join(', ')})`);
      if (typeof cb !== 'function') throw new TypeError('autosave: callback must be a function');
      set.add(cb);
      return () => set.delete(cb);
    },
    off(name, cb) {
      listeners.get(name)?.delete(cb);
    },
    get status() {
      const all = [...courses.values()];
      if (all.some((c) => c.exhausted)) return 'error';
      if (all.some((c) => c.inFlight)) return 'saving';
      if (all.some((c) => c.pending)) return 'pending';
      if (all.some((c) => c.queued)) return 'queued';
      return all.some((c) => c.saved) ? 'saved' : 'idle';
    },
    get pending() {
      return unsaved();
    },
    flush,
    async stop() {
      if (!stopped) {
        stopped = true;
        for (const off of offs.splice(0)) off();
      }
      const left = await flush();
      // Stopped: no retry timers may outlive stop(); what could not be saved is returned to the caller.
      for (const c of courses.values()) clearTimer(c);
      return left;
    },
  };
}

function known(names, options) {
  for (const name of names) if (!options.includes(name)) throw unknownOption(name, options, ` (known: ${options.join(', ')})`);
}

function nonNegative(value, fallback, name) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(`autosave: ${name} must be a number >= 0`);
  }
  return value;
}

// A string body is sent as text/plain, a CORS-safelisted type: beacons with other types are refused
// cross-origin. The server parses it as JSON.
function beaconTo(url) {
  return (draft) => typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function'
    && navigator.sendBeacon(url, JSON.stringify(draft));
}

function report(err) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
  else console.error(err);
}
