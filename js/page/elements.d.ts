/**
 * coassemble-events/elements: `<coassemble-course>` and `<coassemble-builder>`, custom elements for
 * plain HTML and every framework. Importing the module registers both (where `customElements`
 * exists: during server rendering it registers nothing, so it is safe to import there).
 *
 * Each SDK event is dispatched on the element as a `CustomEvent` named after it with `:` replaced by
 * `-` (`session-ready`, `course-progress`, `course-completed`, `course-updated`, …, and `error`), its
 * `detail` the SDK's event object (a `CoassembleError` for `error`). The embed is made when the element
 * is on the page with a `src`; removing the element destroys it (iframe and listener); a new `src`
 * replaces it. A `src` that cannot be embedded is one `error` event, never a throw.
 *
 * @example
 * ```ts
 * import 'coassemble-events/elements';
 *
 * const course = document.createElement('coassemble-course');
 * course.src = signedUrl; // or the `src` attribute
 * course.addEventListener('course-progress', (e) => { bar.value = e.detail.progress; });
 * course.addEventListener('error', (e) => console.warn(e.detail.code));
 * document.body.append(course);
 * await course.ready();
 * ```
 * @packageDocumentation
 */
import type {
  BuilderEmbed, BuilderEventMap, BuilderState, CoassembleError, CourseEmbed, CourseEventMap, CourseState,
} from './index.js';

/** The DOM event name of an SDK event name: `'course:progress'` → `'course-progress'`. */
export type DomEventName<N extends string> = N extends `${infer A}:${infer B}` ? `${A}-${B}` : N;

/** The element's DOM events, by name, from an SDK event map `M`, plus `error`. */
export type ElementEventMap<M> = { [N in keyof M & string as DomEventName<N>]: CustomEvent<M[N]> } & {
  error: CustomEvent<CoassembleError>;
};
/** Events of `<coassemble-course>`: `addEventListener('course-progress', (e) => e.detail.progress)`. */
export type CourseElementEventMap = ElementEventMap<CourseEventMap>;
/** Events of `<coassemble-builder>`: `addEventListener('course-updated', (e) => e.detail.courseId)`. */
export type BuilderElementEventMap = ElementEventMap<BuilderEventMap>;

/** What both elements have: `E` the embed, `S` its state, `M` the SDK event map, `D` the DOM event map. */
export interface CoassembleElement<E, S, M, D> extends HTMLElement {
  readonly kind: 'course' | 'builder';
  /** The SDK's embed while there is one (on the page, with a `src` that embedded), else null. */
  readonly embed: E | null;
  /** The embed's state, or null while there is none. */
  readonly state: S | null;
  /**
   * Resolves on the embed's `session:ready`. Before there is an embed (no `src` yet), it waits for the
   * first one, without a deadline until then; from then on the embed's `ready-timeout-ms` applies.
   * Rejects with the embed's TimeoutError / DestroyedError (a new `src` destroys the embed), with the
   * error of a `src` that could not be embedded, or with a DestroyedError when the element leaves the
   * page while it waits.
   */
  ready(): Promise<void>;
  /**
   * Calls `callback` for each SDK event `name` from this element's embeds, present and future
   * (`'error'`: SDK errors); returns a function that unsubscribes. `autosave(builderElement, options)`
   * (coassemble-events/autosave) subscribes through it, so an autosave carries on across a new `src`.
   */
  on<N extends keyof M>(name: N, callback: (event: M[N]) => void): () => void;
  on(name: 'error', callback: (error: CoassembleError) => void): () => void;

  /** The signed embed URL (the `src` attribute). A new one replaces the embed; removing it removes the embed. */
  get src(): string | null;
  set src(value: string | null | undefined);
  /** The `origin` attribute: the exact origin to trust, when not the `src`'s own. Read when an embed is made. */
  get origin(): string | null;
  set origin(value: string | null | undefined);
  /** The `ready-timeout-ms` attribute (ready()'s deadline, default 20000). Read when an embed is made. */
  get readyTimeoutMs(): string | null;
  set readyTimeoutMs(value: number | string | null | undefined);
  /**
   * The `initial-progress` attribute: a course's progress starts there (whole percent 0..100), so only
   * progress beyond it is reported. Read when an embed is made: setting it alone does not reload.
   */
  get initialProgress(): string | null;
  set initialProgress(value: number | string | null | undefined);
  /** The iframe's `allow` (default `fullscreen; autoplay; clipboard-write`). */
  get allow(): string | null;
  set allow(value: string | null | undefined);
  /** The iframe's `allowfullscreen`. */
  get allowfullscreen(): string | null;
  set allowfullscreen(value: boolean | string | null | undefined);
  /** The iframe's `loading` (`'lazy'` or `'eager'`). */
  get loading(): string | null;
  set loading(value: string | null | undefined);
  /** The iframe's `referrerpolicy`. */
  get referrerpolicy(): string | null;
  set referrerpolicy(value: string | null | undefined);
  /** The iframe's `sandbox`. */
  get sandbox(): string | null;
  set sandbox(value: string | null | undefined);
  /** The iframe's `name`. */
  get name(): string | null;
  set name(value: string | null | undefined);

  addEventListener<K extends keyof D>(type: K, listener: (this: this, event: D[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: this, event: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof D>(type: K, listener: (this: this, event: D[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: this, event: HTMLElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** `<coassemble-course>`: a course player. */
export interface CoassembleCourseElement
  extends CoassembleElement<CourseEmbed, CourseState, CourseEventMap, CourseElementEventMap> {
  readonly kind: 'course';
}

/**
 * `<coassemble-builder>`: a course builder. Autosave: `autosave(element, { save })` from
 * coassemble-events/autosave saves its drafts across every embed the element makes; call the
 * saver's `stop()` when the page is done with it.
 */
export interface CoassembleBuilderElement
  extends CoassembleElement<BuilderEmbed, BuilderState, BuilderEventMap, BuilderElementEventMap> {
  readonly kind: 'builder';
}

/**
 * The elements' attributes, for a framework's element typings (Svelte's `SvelteHTMLElements`, Solid's
 * `JSX.IntrinsicElements`: see the frameworks guide).
 */
export interface CoassembleElementAttributes {
  src?: string | null;
  origin?: string | null;
  'ready-timeout-ms'?: number | string | null;
  'initial-progress'?: number | string | null;
  title?: string | null;
  allow?: string | null;
  allowfullscreen?: boolean | null;
  loading?: 'eager' | 'lazy' | null;
  referrerpolicy?: ReferrerPolicy | null;
  sandbox?: string | null;
  name?: string | null;
}

/** Event attributes `on<event>` (Svelte 5): `oncourse-progress={(e) => e.detail.progress}`. */
export type EventAttributes<D> = { [K in keyof D & string as `on${K}`]?: (event: D[K]) => void };

/**
 * A framework's attribute typing for one element: `Base` (its own HTML attributes, e.g. Svelte's
 * `HTMLAttributes<CoassembleCourseElement>`) with the element's attributes and `on<event>` handlers
 * in place of `Base`'s of the same names.
 */
export type ElementProps<Base, D> = Omit<Base, keyof CoassembleElementAttributes | `on${keyof D & string}`>
  & CoassembleElementAttributes & EventAttributes<D>;

declare global {
  interface HTMLElementTagNameMap {
    'coassemble-course': CoassembleCourseElement;
    'coassemble-builder': CoassembleBuilderElement;
  }
}
