/**
 * Draft autosave for an embedded Coassemble course builder.
 *
 * Every `course:created` and `course:updated` from the builder is a new draft of that course. Bursts of
 * updates become one save of the newest draft per course; while the page lives, saves of one course
 * never overlap and never go out of order; failed saves are retried with exponential backoff and a
 * draft is never dropped. A draft is `saved` only when `save` confirmed it.
 *
 * @example
 * ```js
 * import { embedBuilder } from 'coassemble-events';
 * import { autosave } from 'coassemble-events/autosave';
 *
 * const builder = await embedBuilder(document.querySelector('#builder'), signedEditUrl);
 * const saver = autosave(builder, {
 *   save: async (draft, { signal }) => {
 *     const res = await fetch('/api/drafts', { method: 'POST', body: JSON.stringify(draft), signal });
 *     if (!res.ok) throw new Error(`HTTP ${res.status}`); // a failed save must throw or reject
 *   },
 *   beacon: '/api/drafts',            // when the page goes away: navigator.sendBeacon(url, JSON)
 * });
 * saver.on('saved', ({ draft }) => console.log('saved', draft.title, 'revision', draft.revision));
 * saver.on('error', ({ retryInMs }) => console.warn(retryInMs === null ? 'gave up for now' : 'retrying'));
 * ```
 * @packageDocumentation
 */

import type { BuilderEmbed, BuilderEventMap } from './index.js';

/** One saved state of a course, handed to `save` and `beacon`. Send it to your server as JSON. */
export interface Draft {
  /** The course id from the builder event; `null` if the builder sent none. */
  courseId: number | null;
  /** The newest title the builder sent for this course (updates without a title keep the last one); `null` if none yet. */
  title: string | null;
  /**
   * When the builder reported this change, as an ISO 8601 string in UTC (`clock.now()` at the event).
   * A string so that the draft is the same in JSON, in logs and in your database.
   */
  updatedAt: string;
  /**
   * How many `course:created`/`course:updated` events this autosave has seen for this course, from 1.
   * Per autosave instance, so it restarts at 1 on every page load: to discard a duplicate or late copy
   * (a beacon and a save of the same draft may both arrive), keep the draft with the greatest
   * `(updatedAt, revision)` per course.
   */
  revision: number;
  /** The builder event's raw `data`, as posted (`null` when it sent none). */
  data: unknown;
}

/**
 * `error` wins over `saving`, which wins over `pending`, which wins over `queued` (drafts only a beacon
 * carried, not confirmed); `saved` when every draft is confirmed; `idle` until the first draft.
 */
export type AutosaveStatus = 'idle' | 'pending' | 'saving' | 'queued' | 'saved' | 'error';

/** Payloads of the autosave events. */
export interface AutosaveEventMap {
  /** A new draft is waiting for its debounce (one event per builder update). */
  pending: { courseId: number | null; draft: Draft };
  /** `save(draft)` was called; `attempt` counts from 1 since the last success. */
  saving: { courseId: number | null; draft: Draft; attempt: number };
  /** The draft is stored: `save` resolved for it (`result` is what it resolved with). */
  saved: { courseId: number | null; draft: Draft; attempt: number; result: unknown };
  /**
   * The page was going away and `beacon` accepted the draft: the browser queued it, which does not
   * mean it arrived. If the page becomes visible again (it did not unload), the draft is saved with
   * `save` at once; until then it stays in `pending` (status `'queued'`).
   */
  queued: { courseId: number | null; draft: Draft };
  /**
   * A save failed. `draft` is the draft now pending (the failed one, or a newer one that arrived meanwhile).
   * `retryInMs` is the backoff before the next attempt, or `null` when the attempts are used up: the draft
   * then stays pending (status `'error'`) until the next update of that course or `flush()`.
   */
  error: { courseId: number | null; draft: Draft; attempt: number; error: unknown; retryInMs: number | null };
}

/** Name of an autosave event. */
export type AutosaveEventName = keyof AutosaveEventMap;

/** Time source; inject a fake one in tests. Defaults to `Date.now` and the global timers. */
export interface AutosaveClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Options of {@link autosave}. */
export interface AutosaveOptions {
  /**
   * Stores one draft. Resolve when it is stored; throw or reject when it is not (a synchronous throw,
   * a resolved `false` and a resolved `Response` with `ok === false` also count as failures).
   * Never called twice at once for the same course, as long as it honours `signal`: after
   * `saveTimeoutMs` the attempt counts as failed and `signal` is aborted (pass it to `fetch`).
   */
  save(draft: Draft, options: { signal: AbortSignal }): unknown;
  /** How long one `save` may take before it counts as failed and its signal is aborted. Default `15000`. */
  saveTimeoutMs?: number;
  /**
   * Quiet time after the last update of a course before it is saved. Default `800`. Every timer option
   * (`debounceMs`, `retry.baseMs`, `retry.maxMs`, `saveTimeoutMs`) takes 0 to 2^31 − 1 ms; a longer
   * one is refused with a `CoassembleError` `invalid_option` (browsers would fire it at once).
   */
  debounceMs?: number;
  /** Longest a course keeps waiting while updates keep coming. Default `5 * debounceMs`; `Infinity` disables. */
  maxWaitMs?: number;
  /**
   * Retries after a failed save: delay `min(maxMs, baseMs * 2 ** (failures - 1))`.
   * Defaults `{ attempts: 5, baseMs: 1000, maxMs: 30000 }`; `attempts` counts the first try.
   */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  /**
   * Used when the page is going away (`pagehide`, or `visibilitychange` to `hidden`), for each course's
   * newest unsaved draft (waiting, or in a save that the unload may cancel):
   * - a URL string: `navigator.sendBeacon(url, JSON.stringify(draft))` (sent as `text/plain`, a
   *   CORS-safelisted type, so parse the body as JSON on the server);
   * - a function: return `true` when the draft was queued (e.g. the result of `navigator.sendBeacon`).
   * A queued draft emits `queued`, not `saved`, and is saved with `save` when the page is visible again;
   * one the beacon refused is saved with `save` at once. Without `beacon`, the page going away only
   * triggers `flush()`.
   */
  beacon?: string | ((draft: Draft) => boolean);
  /** Time source for tests. */
  clock?: AutosaveClock;
  /**
   * Where `pagehide` (and, on its `document`, `visibilitychange`) are listened to. Defaults to the global
   * `window`; `null` listens to neither (e.g. in a worker or a test).
   */
  window?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & {
    document?: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & { visibilityState?: string };
  } | null;
}

/** What {@link autosave} returns. */
export interface Autosave {
  /** Listens to an autosave event; returns a function that removes the listener. */
  on<K extends AutosaveEventName>(name: K, cb: (event: AutosaveEventMap[K]) => void): () => void;
  /** Removes a listener added with `on`. */
  off<K extends AutosaveEventName>(name: K, cb: (event: AutosaveEventMap[K]) => void): void;
  /** Status over all courses, see {@link AutosaveStatus}. */
  readonly status: AutosaveStatus;
  /** The drafts no save confirmed yet (waiting, being saved, or only queued by a beacon): the newest per course. */
  readonly pending: Draft[];
  /**
   * Saves every pending draft now (a beacon-queued one too), skipping debounce and backoff: waits for a
   * running save of a course, then makes one attempt with what is still pending. Never rejects, and
   * always settles (each attempt ends within `saveTimeoutMs`); resolves with the drafts still unsaved
   * (empty when everything is stored). A failed attempt goes on retrying as usual.
   */
  flush(): Promise<Draft[]>;
  /**
   * Detaches every listener (builder and window), flushes, and cancels every timer. Resolves with the
   * drafts that could not be saved, so the caller can keep them (e.g. in `localStorage`); calling it
   * again detaches nothing more and gives those drafts one more attempt.
   */
  stop(): Promise<Draft[]>;
}

/**
 * Saves the drafts of the courses edited in `builder`.
 *
 * - Bursts of `course:created`/`course:updated` for one course become one save of the newest draft,
 *   after `debounceMs` of quiet (at most `maxWaitMs` after the first change of the burst).
 * - Courses are independent; while the page lives, saves of one course never overlap and never go out of
 *   order: an update that arrives during a save is saved after it. (The page-leaving beacon may overlap
 *   an in-flight save: keep the greatest `(updatedAt, revision)` per course on the server.)
 * - A failed save is retried with backoff; after `retry.attempts` failures the draft stays pending
 *   (status `'error'`, an `error` event with `retryInMs: null`) until the next update or `flush()`.
 *   The newest draft always replaces an older pending one; a draft is never dropped.
 * - `back`, `session:expired` and `stop()` flush at once; `pagehide` / `visibilitychange: hidden` use
 *   `beacon` when given (`queued`; saved with `save` once visible again), and flush otherwise.
 *
 * @param builder an embed from `attachBuilder`/`embedBuilder`, or a `<coassemble-builder>` element (a course player embed does not compile,
 *   and is refused at run time with a TypeError).
 * @throws TypeError when `builder` has no `on` method or is a course player embed, `save` is missing,
 * or an option has the wrong type; `CoassembleError` (`invalid_option`) for a timer option out of range
 * or a name no option has (`debounceMS`, `retry.baseMS`: the message names the one meant).
 */
export function autosave(builder: AutosaveBuilder, options: AutosaveOptions): Autosave;

/**
 * What `autosave` takes: a builder's events. A {@link BuilderEmbed} (`embedBuilder`, `attachBuilder`)
 * and a `<coassemble-builder>` element (`coassemble-events/elements`, which keeps the autosave across
 * its re-embeds) are both one; a course player embed (`kind: 'course'`) is not.
 */
export interface AutosaveBuilder {
  readonly kind: 'builder';
  on<N extends keyof BuilderEventMap>(name: N, callback: (event: BuilderEventMap[N]) => void): () => void;
}
