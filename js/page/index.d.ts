/**
 * coassemble-events: typed, secure events from embedded Coassemble course players and builders.
 *
 * @example
 * ```ts
 * import { embedCourse } from 'coassemble-events';
 *
 * const course = await embedCourse(document.querySelector('#course')!, signedUrl);
 * course.on('course:progress', (e) => { bar.value = e.progress; }); // e.progress: number
 * course.on('course:completed', () => showCertificate());
 * await course.ready();
 * ```
 * @packageDocumentation
 */

/** Fields every decoded event has. `type`/`event` are the canonical halves of `name`. */
interface EventBase<N extends string, T extends string, E extends string | undefined> {
  /** The event name you subscribe to, e.g. `'course:progress'`. */
  name: N;
  /** The message family: `'session'`, `'course'`, `'screen'`, `'back'`. */
  type: T;
  /** The event within the family: `'progress'`, `'answer'`, ... (`undefined` for `back`). */
  event: E;
  /** The message's raw `data`, as posted (shapes Coassemble does not document are only here). */
  data: unknown;
}

/** `session:ready`: the embed is mounted and ready. */
export type SessionReadyEvent = EventBase<'session:ready', 'session', 'ready'>;
/** `course:start` (also sent as `commenced`): the learner started the course. */
export type CourseStartEvent = EventBase<'course:start', 'course', 'start'>;
/** `course:progress`: fires only when progress strictly increases. */
export interface CourseProgressEvent extends EventBase<'course:progress', 'course', 'progress'> {
  /** Whole percent, 0..100, higher than any progress reported before. */
  progress: number;
  /**
   * `true` on the progress of 100 that a `course:completed` below 100 implies (dispatched just
   * before that `course:completed`: completion means 100 %); absent on progress the player sent.
   */
  implied?: true;
}
/** `course:feedback`: the learner chose course feedback (may fire again; the latest wins). */
export type CourseFeedbackEvent = EventBase<'course:feedback', 'course', 'feedback'>;
/** `course:completed` (also sent as `complete`, legacy `finished`). */
export type CourseCompletedEvent = EventBase<'course:completed', 'course', 'completed'>;

/** What a `screen:*` event may carry (Coassemble does not document the shape: all optional). */
export interface ScreenFields {
  /** The screen index or id: the first of `data.screen`, `screenId`, `screenIndex`, `id`, `index`. */
  screen?: number | string;
  /** On `screen:answer`: whether the answer was correct. */
  correct?: boolean;
  /** On quiz results: the score. */
  score?: number;
}
export type ScreenAction = 'start' | 'end' | 'complete' | 'answer' | 'failed' | 'retry';
/** `screen:start`, `screen:end`, `screen:complete`, `screen:answer`, `screen:failed`, `screen:retry`. */
export type ScreenEvent<A extends ScreenAction = ScreenAction> = A extends ScreenAction
  ? EventBase<`screen:${A}`, 'screen', A> & ScreenFields
  : never;

/**
 * A Coassemble message this version does not know (a newer Coassemble feature), from the trusted frame:
 * an unknown event of a known family, or any string `type` with a string `event`.
 */
export interface UnknownEvent extends EventBase<'unknown', string, string> {
  /** The wire `type`, as posted (`'quiz'`, or `'course'` for an unknown course event). */
  type: string;
  /** The wire event name, as posted (from `event`, or `payload.status`). */
  event: string;
  /** The whole message as posted. */
  raw: unknown;
}

/** `session:error`: the builder reported an error. */
export interface SessionErrorEvent extends EventBase<'session:error', 'session', 'error'> {
  message?: string;
  code?: string;
}
/** `session:expired`: the signed embed URL expired; mint a new one on your server (or pass `renewUrl`). */
export type SessionExpiredEvent = EventBase<'session:expired', 'session', 'expired'>;
/** `session:renewed`: after `session:expired`, `renewUrl` gave a fresh URL and the iframe reloads with it. */
export interface SessionRenewedEvent extends EventBase<'session:renewed', 'session', 'renewed'> {
  /** The fresh signed URL the iframe now loads. */
  url: string;
}
/** `course:created` / `course:updated` from the builder. */
export interface CourseSavedEvent<N extends 'course:created' | 'course:updated'>
  extends EventBase<N, 'course', N extends 'course:created' ? 'created' : 'updated'> {
  /** The course id (sent as a number or a numeric string; always a number here). */
  courseId: number;
  /** The course title, when the builder sent one. */
  title?: string;
}
/** `back`: the builder's Back button was clicked (the embed was created with back-as-event). */
export type BackEvent = EventBase<'back', 'back', undefined>;

/** Events of a course player, by name. */
export interface CourseEventMap {
  'session:ready': SessionReadyEvent;
  'session:expired': SessionExpiredEvent;
  'session:renewed': SessionRenewedEvent;
  'course:start': CourseStartEvent;
  'course:progress': CourseProgressEvent;
  'course:feedback': CourseFeedbackEvent;
  'course:completed': CourseCompletedEvent;
  'screen:start': ScreenEvent<'start'>;
  'screen:end': ScreenEvent<'end'>;
  'screen:complete': ScreenEvent<'complete'>;
  'screen:answer': ScreenEvent<'answer'>;
  'screen:failed': ScreenEvent<'failed'>;
  'screen:retry': ScreenEvent<'retry'>;
  unknown: UnknownEvent;
}

/** Events of a course builder, by name. */
export interface BuilderEventMap {
  'session:ready': SessionReadyEvent;
  'session:error': SessionErrorEvent;
  'session:expired': SessionExpiredEvent;
  'session:renewed': SessionRenewedEvent;
  'course:created': CourseSavedEvent<'course:created'>;
  'course:updated': CourseSavedEvent<'course:updated'>;
  back: BackEvent;
  unknown: UnknownEvent;
}

/** Every player event: a union discriminated on `name`. */
export type CourseEvent = CourseEventMap[keyof CourseEventMap];
/** Every builder event: a union discriminated on `name`. */
export type BuilderEvent = BuilderEventMap[keyof BuilderEventMap];

/** Stable codes of {@link CoassembleError} (`invalid_option`: a bad value, or a name no option has). */
export type ErrorCode =
  | 'no_dom' | 'not_an_iframe' | 'missing_origin' | 'invalid_origin' | 'invalid_option' | 'invalid_argument'
  | 'invalid_container' | 'missing_url' | 'malformed_message' | 'callback_error' | 'timeout' | 'destroyed'
  | 'renew_failed' | 'origin_mismatch' | 'internal_error';

/** Every error the SDK throws, rejects with, or emits on `'error'`. Switch on `code`. */
export class CoassembleError extends Error {
  readonly code: ErrorCode;
  /** For `malformed_message`: the message as posted. */
  readonly raw?: unknown;
  /** For `callback_error`: the event whose callback threw (the thrown value is `cause`; for
   * `internal_error`, `cause` is what the wasm core threw: the message was dropped, the embed carries on). */
  readonly event?: CourseEvent | BuilderEvent;
  /** For `origin_mismatch`: the origin trusted. */
  readonly expected?: string;
  /** For `origin_mismatch`: the origin the iframe's own window posted from instead. */
  readonly received?: string;
  constructor(code: ErrorCode, message: string, details?: object);
}
/** `ready()` waited longer than `readyTimeoutMs`. */
export class TimeoutError extends CoassembleError {
  readonly code: 'timeout';
}
/** The embed was destroyed while something waited on it. */
export class DestroyedError extends CoassembleError {
  readonly code: 'destroyed';
}

/**
 * Options of attachCourse / attachBuilder. An unknown name is refused (`invalid_option`, naming the
 * known one meant when only its case differs): a typo never falls back to a default silently.
 */
export interface AttachOptions {
  /**
   * The exact origin to accept messages from, e.g. `'https://acme.coassemble.com'`.
   * Default: the origin of the iframe's `src`. Never `'*'`: a wildcard is rejected.
   */
  origin?: string;
  /** How long `ready()` waits for `session:ready`, in ms, 0 to `MAX_TIMER_MS`. Default 20000. */
  readyTimeoutMs?: number;
  /**
   * A course's progress starts here (whole percent 0..100): a learner who reloads mid-course keeps
   * their bar, and only progress beyond it is reported. Default: none (the first report counts).
   */
  initialProgress?: number;
  /**
   * Called on `session:expired` for a fresh signed URL (mint it on your server). The same iframe
   * reloads with it; this embed, its subscriptions and an attached autosave carry on (the autosave
   * flushes first, on `session:expired`); `ready()` waits for the new session; `session:renewed` fires.
   * A rejection is reported on `'error'` as `renew_failed`.
   */
  renewUrl?: () => Promise<string>;
}

/**
 * Attributes of the iframe embedCourse / embedBuilder create. `true` sets an empty attribute
 * (`allowfullscreen`); `false`, `null` and `undefined` set none.
 */
export interface IframeAttributes {
  /** Default `'Coassemble course'` / `'Coassemble course builder'`. */
  title?: string | null;
  /** Replaces the default `fullscreen; autoplay; clipboard-write` (less what the browser does not know). */
  allow?: string | null;
  loading?: 'lazy' | 'eager';
  referrerpolicy?: string;
  [attribute: string]: string | number | boolean | null | undefined;
}

/**
 * Options of embedCourse / embedBuilder: attach options plus the created iframe's attributes under
 * `iframe`. No other name is taken: an unknown one (a typo such as `readyTimeoutMS`, or an attribute
 * at the top level) is a compile error here and an `invalid_option` rejection at run time.
 */
export interface EmbedOptions extends AttachOptions {
  /** Attributes of the created iframe: `{ iframe: { title: 'Onboarding', loading: 'lazy' } }`. */
  iframe?: IframeAttributes;
}

/** What a course player reported so far. */
export interface CourseState {
  ready: boolean;
  started: boolean;
  /** Monotonic whole percent; 100 once completed. */
  progress: number;
  completed: boolean;
  /** The latest `course:feedback` data, or null. */
  feedback: unknown;
  /** The screen of the latest `screen:*` event that named one, or null. */
  lastScreen: number | string | null;
  /** How many progress messages were dropped (not higher than before, or unusable). */
  droppedProgress: number;
}

/** What a course builder reported so far. */
export interface BuilderState {
  ready: boolean;
  /** `session:expired` came: mint a new embed URL. */
  expired: boolean;
  /** The latest created/updated course id, or null. */
  courseId: number | null;
  /** The latest title sent for that course, or null. */
  title: string | null;
}

/** One embedded iframe: subscribe to its events, wait for it, clean it up. */
export interface Embed<M, S> {
  readonly kind: 'course' | 'builder';
  readonly iframe: HTMLIFrameElement;
  /** The exact origin messages are accepted from. */
  readonly origin: string;
  /** A fresh snapshot of what the embed reported (kept after destroy). */
  readonly state: S;
  /** True after destroy(), or once the iframe was removed from the page. */
  readonly destroyed: boolean;
  /** Calls `callback` for each `name` event; returns a function that unsubscribes. */
  on<N extends keyof M>(name: N, callback: (event: M[N]) => void): () => void;
  on(name: '*', callback: (event: M[keyof M]) => void): () => void;
  on(name: 'error', callback: (error: CoassembleError) => void): () => void;
  /** Like `on`, for the next matching event only. */
  once<N extends keyof M>(name: N, callback: (event: M[N]) => void): () => void;
  once(name: '*', callback: (event: M[keyof M]) => void): () => void;
  once(name: 'error', callback: (error: CoassembleError) => void): () => void;
  /** Removes `callback` (or every callback of `name` when omitted); during a dispatch, it is not called for that event either. */
  off(name: keyof M | '*' | 'error', callback?: (event: any) => void): void;
  /**
   * Resolves on `session:ready` (at once if it came, also after destroy()); rejects with TimeoutError
   * (saying what came from the iframe's window) or, when destroyed before it came, DestroyedError.
   */
  ready(): Promise<void>;
  /**
   * Removes the listener, rejects pending waits, drops callbacks; removes the iframe when
   * `embedCourse`/`embedBuilder` created it (never one given to `attach*`). Idempotent.
   */
  destroy(): void;
}

/** A course player embed. */
export interface CourseEmbed extends Embed<CourseEventMap, CourseState> {
  readonly kind: 'course';
}
/** A course builder embed (what `autosave` takes). */
export interface BuilderEmbed extends Embed<BuilderEventMap, BuilderState> {
  readonly kind: 'builder';
}

/** Default `readyTimeoutMs`. */
export const DEFAULT_READY_TIMEOUT_MS: 20000;
/** The longest timer option (2^31 - 1 ms, about 24.8 days); a longer one is refused with `invalid_option`. */
export const MAX_TIMER_MS: 2147483647;

/**
 * Listens to an existing course player iframe. Attach before the iframe loads (or use embedCourse),
 * so that `session:ready` is not sent before anyone listens.
 * @throws {CoassembleError} `not_an_iframe`, `missing_origin`, `invalid_origin`, `no_dom` (as a rejection)
 */
export function attachCourse(iframe: HTMLIFrameElement, options?: AttachOptions): Promise<CourseEmbed>;
/** Listens to an existing course builder iframe. */
export function attachBuilder(iframe: HTMLIFrameElement, options?: AttachOptions): Promise<BuilderEmbed>;
/** Creates a player iframe for `signedUrl` in `container`, after the listener is live. */
export function embedCourse(container: Element, signedUrl: string, options?: EmbedOptions): Promise<CourseEmbed>;
/** Creates a builder iframe for `signedUrl` in `container`, after the listener is live. */
export function embedBuilder(container: Element, signedUrl: string, options?: EmbedOptions): Promise<BuilderEmbed>;
