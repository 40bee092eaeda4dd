// The object attach*/embed* return: on/off/once, ready(), state and destroy() around one wasm
// EmbedHandle. Trust, decoding and the progress rule live in Rust; this file only fans events out to
// callbacks, isolates their exceptions, and owns the waits and cleanup.
import { EmbedHandle } from './embed-handle.js';
import { CoassembleError, DestroyedError, TimeoutError, unknownOption } from './errors.js';
import { watchRemoval } from './removal.js';
import { timerOption } from './timers.js';

/** Default wait of `ready()`, in milliseconds. */
export const DEFAULT_READY_TIMEOUT_MS = 20000;

/** One embedded player or builder iframe. Created by attachCourse/embedCourse/attachBuilder/embedBuilder. */
export class Embed {
  #handle;
  #origin; // as given: a renewed URL's origin is derived again when none was
  #renewUrl;
  #renewing = false;
  #listeners = new Map(); // name -> array of { callback, once, removed }
  #readyTimeoutMs;
  #heardFrom = []; // each distinct origin the iframe's window posted from, in order (this session)
  #readyWaits = new Set(); // { resolve, reject, timer }
  #dispatching = 0;
  #destroyed = false;
  #finalState = null;
  #unwatch;
  #ownsIframe;

  /** @internal use attachCourse/attachBuilder/embedCourse/embedBuilder */
  constructor(kind, iframe, options = {}, src, ownsIframe = false) {
    const { origin, readyTimeoutMs = DEFAULT_READY_TIMEOUT_MS, renewUrl, initialProgress, ...unknown } = options;
    // embed* took iframe attributes at the top level until issue 18; they go under `iframe` now.
    for (const name in unknown) {
      throw unknownOption(name, ['origin', 'readyTimeoutMs', 'renewUrl', 'initialProgress'],
        ownsIframe ? ' (iframe attributes go in { iframe })' : '');
    }
    timerOption(readyTimeoutMs, 'readyTimeoutMs');
    if (origin !== undefined && origin !== null && typeof origin !== 'string') {
      throw new CoassembleError('invalid_origin', `origin must be a string like "https://coassemble.com", got ${typeof origin}`);
    }
    if (renewUrl !== undefined && typeof renewUrl !== 'function') {
      throw new CoassembleError('invalid_option', 'renewUrl must be a function that resolves to the new signed URL');
    }
    if (initialProgress !== undefined && !(Number.isInteger(initialProgress) && initialProgress >= 0 && initialProgress <= 100)) {
      throw new CoassembleError('invalid_option', `initialProgress must be a whole percent 0..100, got ${initialProgress}`);
    }
    this.#origin = origin ?? undefined;
    this.#renewUrl = renewUrl;
    this.#handle = this.#attach(kind, iframe, src, initialProgress);
    /** `'course'` or `'builder'`. */
    this.kind = kind;
    /** The iframe this embed listens to. */
    this.iframe = iframe;
    /** The exact origin messages are accepted from. */
    this.origin = this.#handle.origin;
    this.#readyTimeoutMs = readyTimeoutMs;
    this.#ownsIframe = ownsIframe;
    this.#unwatch = watchRemoval(iframe, () => this.destroy());
  }

  #attach(kind, iframe, src, initialProgress) {
    return new EmbedHandle(kind, iframe, this.#origin, src, initialProgress,
      (event) => this.#dispatch(event), (heard) => this.#heard(heard));
  }

  /**
   * Calls `callback(event)` for each event `name` (`'*'`: every event; `'error'`: SDK errors).
   * @returns {() => void} a function that removes this callback
   */
  on(name, callback) {
    return this.#add(name, callback, false);
  }

  /** Like `on`, for the next matching event only. */
  once(name, callback) {
    return this.#add(name, callback, true);
  }

  /**
   * Removes `callback` from `name` (all of `name`'s callbacks when `callback` is omitted). As with
   * `EventTarget`, a callback removed while an event is being dispatched is not called for it.
   */
  off(name, callback) {
    this.#remove(name, (entry) => callback !== undefined && entry.callback !== callback);
  }

  /**
   * Resolves once the embed sent `session:ready` (at once if it already did; while a `renewUrl`
   * renewal runs, once the new session is ready; also after `destroy()` when it had come). Rejects
   * with a `TimeoutError` after `readyTimeoutMs` (its message says what came from the iframe's
   * window, and from which origin), or a `DestroyedError` if the embed is destroyed first.
   * @returns {Promise<void>}
   */
  ready() {
    if (this.state.ready && !this.#renewing) return Promise.resolve();
    if (this.#destroyed) return Promise.reject(new DestroyedError());
    return new Promise((resolve, reject) => {
      const wait = { resolve, reject, timer: undefined };
      wait.timer = setTimeout(() => {
        this.#readyWaits.delete(wait);
        reject(new TimeoutError(this.#timeoutMessage()));
      }, this.#readyTimeoutMs);
      this.#readyWaits.add(wait);
    });
  }

  /** A snapshot of what the embed reported so far (course: ready, started, progress, completed,
   * feedback, lastScreen, droppedProgress; builder: ready, expired, courseId, title). */
  get state() {
    return this.#finalState ?? this.#handle.state();
  }

  /** True once `destroy()` ran (also when the iframe was removed from the page). */
  get destroyed() {
    return this.#destroyed;
  }

  /**
   * Stops listening, rejects pending `ready()` waits, drops every callback, and removes the iframe
   * when `embed*` created it (an iframe given to `attach*` stays: it belongs to the page). Idempotent.
   * Another embed attached to the same iframe is independent: it keeps listening.
   */
  destroy() {
    if (this.#destroyed) return;
    this.#finalState = this.#handle.state();
    this.#destroyed = true;
    this.#unwatch();
    // A created iframe left behind is a second live session (a learner counted twice).
    if (this.#ownsIframe) this.iframe.remove();
    this.#listeners.clear();
    for (const wait of this.#readyWaits) {
      clearTimeout(wait.timer);
      wait.reject(new DestroyedError());
    }
    this.#readyWaits.clear();
    // Freeing the handle removes the window listener and frees the wasm slot. Inside a callback the
    // listener is still delivering (it called #dispatch), so the outermost #dispatch frees the
    // handle as it returns; the listener hears nothing more meanwhile (#dispatch checks #destroyed).
    if (this.#dispatching === 0) this.#handle.free();
  }

  #add(name, callback, once) {
    if (typeof name !== 'string') throw new CoassembleError('invalid_argument', 'event name must be a string');
    if (typeof callback !== 'function') throw new CoassembleError('invalid_argument', `callback for '${name}' must be a function`);
    if (this.#destroyed) return () => {};
    const entry = { callback, once };
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), entry]);
    return () => this.#remove(name, (e) => e !== entry);
  }

  // Arrays are replaced, never mutated, so a dispatch in progress keeps iterating its own copy (a
  // callback added meanwhile waits for the next event); a removed entry is marked, so that copy
  // skips it (EventTarget semantics).
  #remove(name, keep) {
    const entries = this.#listeners.get(name);
    if (!entries) return;
    const kept = [];
    for (const entry of entries) {
      if (keep(entry)) kept.push(entry);
      else entry.removed = true;
    }
    if (kept.length) this.#listeners.set(name, kept);
    else this.#listeners.delete(name);
  }

  // Called by the listener once for each distinct origin the iframe's own window posts from.
  #heard(origin) {
    this.#heardFrom.push(origin);
    if (origin === this.origin || this.#destroyed) return;
    this.#emit('error', new CoassembleError('origin_mismatch',
      `the iframe's window posted from ${origin}, not from the trusted origin ${this.origin}: its messages are `
      + `not delivered. If ${origin} is the embed's real origin (a custom domain, a redirect), pass `
      + `{ origin: '${origin}' }`, { expected: this.origin, received: origin }));
  }

  #timeoutMessage() {
    const waited = `no session:ready from ${this.origin} within ${this.#readyTimeoutMs} ms`;
    const others = this.#heardFrom.filter((origin) => origin !== this.origin);
    if (others.length) {
      return `${waited}: the iframe's window posted from ${others.join(', ')} instead (see the origin_mismatch `
        + `error); if that is the embed's real origin, pass it as { origin }`;
    }
    if (this.#heardFrom.length) return `${waited}, though the iframe's window did post from ${this.origin}`;
    return `${waited}: nothing came from the iframe's window (is the embed URL right, and has it loaded?)`;
  }

  // Called by the handle for every accepted event; must never throw back into the listener.
  #dispatch(event) {
    if (this.#destroyed) return;
    this.#dispatching++;
    try {
      if (event.name === 'error') {
        // malformed_message (with `raw`), or internal_error (with `cause`: the core trapped).
        const { name, code, message, ...details } = event;
        this.#emit('error', new CoassembleError(code, message, details));
        return;
      }
      if (event.name === 'session:ready') this.#settleReady();
      if (event.name === 'session:expired' && this.#renewUrl && !this.#renewing) {
        this.#renewing = true;
        // After this dispatch: its callbacks (an autosave's flush) run first, on the old session.
        queueMicrotask(() => this.#renew());
      }
      this.#emit(event.name, event);
      this.#emit('*', event);
    } finally {
      this.#dispatching--;
      if (this.#destroyed && this.#dispatching === 0) this.#handle.free();
    }
  }

  // Asks the host for a fresh signed URL and reloads the same iframe with it, behind a new listener
  // (a course keeps its progress) that is live before the reload; subscriptions stay on this object.
  async #renew() {
    try {
      const url = await this.#renewUrl();
      if (typeof url !== 'string' || url === '') throw new TypeError('renewUrl must resolve to the new signed URL');
      if (this.#destroyed) return;
      const handle = this.#attach(this.kind, this.iframe, url, this.kind === 'course' ? this.state.progress : undefined);
      this.#handle.free();
      this.#handle = handle;
      this.origin = handle.origin;
      this.#heardFrom = [];
      this.#renewing = false;
      this.iframe.src = url;
      const renewed = { name: 'session:renewed', type: 'session', event: 'renewed', data: undefined, url };
      this.#emit('session:renewed', renewed);
      this.#emit('*', renewed);
    } catch (cause) {
      this.#renewing = false;
      this.#emit('error', cause instanceof CoassembleError ? cause
        : new CoassembleError('renew_failed', `renewUrl failed: ${cause?.message ?? cause}`, { cause }));
    }
  }

  #settleReady() {
    for (const wait of this.#readyWaits) {
      clearTimeout(wait.timer);
      wait.resolve();
    }
    this.#readyWaits.clear();
  }

  #emit(name, payload) {
    const entries = this.#listeners.get(name);
    if (!entries) return;
    for (const entry of entries) {
      if (this.#destroyed) return;
      if (entry.removed) continue;
      if (entry.once) this.#remove(name, (e) => e !== entry);
      try {
        entry.callback(payload);
      } catch (cause) {
        this.#callbackThrew(name, payload, cause);
      }
    }
  }

  // A throwing host callback must not stop the others: report it on 'error', or the console when
  // nobody listens there (or when an 'error' callback itself threw).
  #callbackThrew(name, payload, cause) {
    if (name === 'error' || !this.#listeners.has('error')) {
      console.error(`coassemble-events: a '${name}' callback threw`, cause);
      return;
    }
    this.#emit('error', new CoassembleError('callback_error', `a '${name}' callback threw: ${cause?.message ?? cause}`,
      { cause, event: payload }));
  }
}
