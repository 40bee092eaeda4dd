/**
 * coassemble-events/react: hooks and components that tie an embed to React's lifecycle. Under
 * StrictMode's double mount there is exactly one iframe and one listener; a new `signedUrl` replaces the
 * iframe and resets `progress`/`state`; unmount removes both. On the server they render an empty
 * container and embed after hydration. A failed embed (a bad URL) is in `error`, never an unhandled
 * rejection.
 *
 * @example
 * ```tsx
 * import { useCourse } from 'coassemble-events/react';
 *
 * function Course({ signedUrl }: { signedUrl: string }) {
 *   const { ref, progress, error } = useCourse(signedUrl, { on: { 'course:completed': () => confetti() } });
 *   return <>{error && <p>{error.message}</p>}<progress max={100} value={progress} /><div ref={ref} style={{ height: 600 }} /></>;
 * }
 * ```
 * @packageDocumentation
 */
import type { ComponentPropsWithoutRef, JSX, RefCallback } from 'react';
import type {
  BuilderEmbed, BuilderEventMap, BuilderState, CoassembleError, CourseEmbed, CourseEventMap, CourseState, EmbedOptions,
  IframeAttributes,
} from './index.js';
import type { AutosaveOptions } from './autosave.js';

/** Callbacks by event name (`'error'`: SDK errors); the latest callbacks are used, no re-embed. */
export type EventCallbacks<M> = { [N in keyof M]?: (event: M[N]) => void } & { error?: (error: CoassembleError) => void };

/** What useCourse/useBuilder return. */
export interface EmbedView<E, S> {
  /** Put it on the container element: `<div ref={ref} />`. */
  ref: RefCallback<HTMLElement>;
  /** The live embed, once made (null before, and after a URL change until the new one is made). */
  embed: E | null;
  /** The embed's latest state (null until embedded); re-renders on every event. */
  state: S | null;
  /** The course's progress (0, or `initialProgress`, until reported; always 0 for a builder). */
  progress: number;
  /** `session:ready` came from the current iframe. */
  ready: boolean;
  /** A failed embed (e.g. `missing_url`, `invalid_origin`) or the latest SDK error, else null. */
  error: CoassembleError | Error | null;
}

/** Options of useCourse: embedCourse's options plus `on`. */
export interface UseCourseOptions extends Omit<EmbedOptions, 'on'> {
  on?: EventCallbacks<CourseEventMap>;
}
/** Options of useBuilder: embedBuilder's options plus `on` and `autosave`. */
export interface UseBuilderOptions extends Omit<EmbedOptions, 'on' | 'autosave'> {
  on?: EventCallbacks<BuilderEventMap>;
  /** Saves the builder's drafts while mounted (stopped, and flushed, on unmount or URL change). */
  autosave?: AutosaveOptions;
}

/** A course player for `signedUrl` (nothing is embedded while it is empty). */
export function useCourse(signedUrl: string | null | undefined, options?: UseCourseOptions): EmbedView<CourseEmbed, CourseState>;
/** A course builder for `signedUrl`. */
export function useBuilder(signedUrl: string | null | undefined, options?: UseBuilderOptions): EmbedView<BuilderEmbed, BuilderState>;

type ContainerProps = Omit<ComponentPropsWithoutRef<'div'>, 'children'>;
/** Props of the embed itself; every other prop goes to the container `<div>`. */
interface EmbedProps {
  signedUrl: string | null | undefined;
  origin?: string;
  readyTimeoutMs?: number;
  renewUrl?: () => Promise<string>;
  /** Attributes of the created iframe (`{ title: 'Onboarding', loading: 'lazy' }`). */
  iframe?: IframeAttributes;
}

/** `<CoassembleCourse signedUrl={url} on={{ 'course:progress': (e) => … }} style={{ height: 600 }} />` */
export function CoassembleCourse(props: EmbedProps & ContainerProps & {
  on?: EventCallbacks<CourseEventMap>;
  initialProgress?: number;
}): JSX.Element;
/** `<CoassembleBuilder signedUrl={url} autosave={{ save }} className="builder" />` */
export function CoassembleBuilder(props: EmbedProps & ContainerProps & {
  on?: EventCallbacks<BuilderEventMap>;
  autosave?: AutosaveOptions;
}): JSX.Element;
