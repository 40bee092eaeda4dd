/**
 * coassemble-events/vue: composables that tie an embed to a Vue component: one iframe and one listener
 * at a time; a new URL (a ref or a string) replaces the iframe and resets the refs; unmount removes
 * both. Nothing happens during server rendering. A failed embed is in `error`, never an unhandled
 * rejection.
 *
 * @example
 * ```vue
 * <script setup>
 * import { useCourse } from 'coassemble-events/vue';
 * const props = defineProps({ signedUrl: String });
 * const { ref: box, progress } = useCourse(() => props.signedUrl);
 * </script>
 * <template><progress max="100" :value="progress" /><div ref="box" style="height: 600px" /></template>
 * ```
 * @packageDocumentation
 */
import type { MaybeRefOrGetter, Ref, ShallowRef } from 'vue';
import type {
  BuilderEmbed, BuilderEventMap, BuilderState, CoassembleError, CourseEmbed, CourseEventMap, CourseState, EmbedOptions,
} from './index.js';
import type { AutosaveOptions } from './autosave.js';

/** Callbacks by event name (`'error'`: SDK errors). */
export type EventCallbacks<M> = { [N in keyof M]?: (event: M[N]) => void } & { error?: (error: CoassembleError) => void };

/** What useCourse/useBuilder return: refs. */
export interface EmbedRefs<E, S> {
  /** Bind it to the container element. */
  ref: Ref<HTMLElement | null>;
  embed: ShallowRef<E | null>;
  state: ShallowRef<S | null>;
  /** The course's progress (0, or `initialProgress`, until reported). */
  progress: ShallowRef<number>;
  ready: ShallowRef<boolean>;
  /** A failed embed or the latest SDK error, else null. */
  error: ShallowRef<CoassembleError | Error | null>;
}

export interface UseCourseOptions extends Omit<EmbedOptions, 'on'> {
  on?: EventCallbacks<CourseEventMap>;
}
export interface UseBuilderOptions extends Omit<EmbedOptions, 'on' | 'autosave'> {
  on?: EventCallbacks<BuilderEventMap>;
  /** Saves the builder's drafts while mounted (stopped, and flushed, on unmount or URL change). */
  autosave?: AutosaveOptions;
}

/** A course player for `signedUrl` (a string, a ref or a getter; nothing is embedded while empty). */
export function useCourse(signedUrl: MaybeRefOrGetter<string | null | undefined>, options?: UseCourseOptions): EmbedRefs<CourseEmbed, CourseState>;
/** A course builder for `signedUrl`. */
export function useBuilder(signedUrl: MaybeRefOrGetter<string | null | undefined>, options?: UseBuilderOptions): EmbedRefs<BuilderEmbed, BuilderState>;
