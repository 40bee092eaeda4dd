// coassemble-events/vue: composables around embedCourse/embedBuilder whose embed lives exactly as
// long as the container element and the URL: one iframe and one listener at a time, none after
// unmount. The SDK does the work; this file only ties an embed's life to a watcher's.
import { shallowRef, toValue, watch } from 'vue';
import { embedBuilder, embedCourse } from './index.js';
import { autosave as startAutosave } from './autosave.js';

function useEmbed(kind, signedUrl, options = {}) {
  const container = shallowRef(null);
  const embed = shallowRef(null);
  const state = shallowRef(null);
  const progress = shallowRef(options.initialProgress ?? 0);
  const ready = shallowRef(false);
  const error = shallowRef(null);

  const show = (current) => {
    state.value = current.state;
    progress.value = current.state.progress ?? 0;
    ready.value = current.state.ready;
  };

  // Runs on the client only (the container is never set during server rendering). `onCleanup` runs
  // before the next URL or element, and when the component unmounts (the watcher stops).
  watch([container, () => toValue(signedUrl)], ([element, url], _, onCleanup) => {
    embed.value = null;
    state.value = null;
    progress.value = options.initialProgress ?? 0;
    ready.value = false;
    error.value = null;
    if (!element || !url) return;
    let created = null;
    let saver = null;
    let cancelled = false;
    onCleanup(() => {
      cancelled = true;
      if (saver) saver.stop().catch(() => {}); // it flushes what is pending; failures went to its 'error'
      if (created) created.destroy();
    });
    const { on, autosave, ...embedOptions } = options;
    (kind === 'builder' ? embedBuilder : embedCourse)(element, url, embedOptions).then((made) => {
      if (cancelled) { made.destroy(); return; }
      created = made;
      made.on('*', (event) => {
        show(made);
        on?.[event.name]?.(event);
      });
      made.on('error', (err) => {
        error.value = err;
        on?.error?.(err);
      });
      if (kind === 'builder' && autosave) saver = startAutosave(made, autosave);
      embed.value = made;
      show(made);
    }, (err) => {
      if (!cancelled) error.value = err;
    });
  }, { flush: 'post' });

  return { ref: container, embed, state, progress, ready, error };
}

/**
 * A course player for `signedUrl` (a string, a ref or a getter): `{ ref, embed, state, progress, ready, error }`,
 * all refs. Bind `ref` to the container element (`<div :ref="course.ref">` or `ref="box"` with
 * `const { ref: box } = useCourse(url)`); a new URL replaces the iframe and resets the rest.
 * @param {import("vue").MaybeRefOrGetter<string | null | undefined>} signedUrl nothing is embedded while empty
 * @param {object} [options] embedCourse's options, plus `on: { [eventName]: callback }`
 */
export function useCourse(signedUrl, options) {
  return useEmbed('course', signedUrl, options);
}

/** A course builder for `signedUrl`, like useCourse; `options.autosave` (autosave's options) saves drafts. */
export function useBuilder(signedUrl, options) {
  return useEmbed('builder', signedUrl, options);
}
