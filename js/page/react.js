'use client';
// coassemble-events/react: hooks and components around embedCourse/embedBuilder, so that React's
// effect lifecycle (StrictMode's double mount, a new signedUrl, unmount) leaves exactly one iframe and
// one listener. The SDK does the work; this file only ties an embed's life to an effect's.
import { createElement, useEffect, useRef, useState } from 'react';
import { embedBuilder, embedCourse } from './index.js';
import { autosave as startAutosave } from './autosave.js';

const EMPTY = { embed: null, state: null, progress: 0, ready: false, error: null };

/**
 * The embed of `signedUrl` in the element `ref` is put on; re-created when `signedUrl` changes,
 * destroyed (iframe and listener) on unmount. `options` are read when the embed is made, except
 * `on` (event name to callback) and `autosave`, whose latest values are used.
 */
function useEmbed(kind, signedUrl, options) {
  const [container, setContainer] = useState(null); // a callback ref: the effect re-runs once it is set
  const [view, setView] = useState(EMPTY);
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    // A new URL (or none) starts from scratch: no embed, no error, the bar at initialProgress.
    const initialProgress = latest.current?.initialProgress ?? 0;
    setView((was) => (was.embed === null && was.error === null && was.progress === initialProgress ? was
      : { ...EMPTY, progress: initialProgress }));
    if (!container || !signedUrl) return undefined;
    let embed = null;
    let saver = null;
    let cancelled = false;
    const show = (error) => setView((was) => ({
      embed, state: embed.state, progress: embed.state.progress ?? 0, ready: embed.state.ready,
      error: error ?? was.error,
    }));
    // Deferred by one microtask: StrictMode's throw-away first mount is cancelled before it creates
    // an iframe, so no second learner session ever starts loading.
    Promise.resolve().then(() => {
      if (cancelled) return null;
      const { on, autosave, ...embedOptions } = latest.current ?? {};
      return (kind === 'builder' ? embedBuilder : embedCourse)(container, signedUrl, embedOptions);
    }).then((created) => {
      if (!created) return;
      if (cancelled) { created.destroy(); return; }
      embed = created;
      embed.on('*', (event) => {
        show();
        latest.current?.on?.[event.name]?.(event);
      });
      embed.on('error', (error) => {
        show(error);
        latest.current?.on?.error?.(error);
      });
      const autosaveOptions = latest.current?.autosave;
      if (kind === 'builder' && autosaveOptions) saver = startAutosave(embed, autosaveOptions);
      show();
    }).catch((error) => {
      if (!cancelled) setView((was) => ({ ...was, error }));
    });
    return () => {
      cancelled = true;
      if (saver) saver.stop().catch(() => {}); // it flushes what is pending; failures went to its 'error'
      if (embed) embed.destroy();
    };
  }, [container, signedUrl, kind]);

  return { ref: setContainer, ...view };
}

/**
 * A course player for `signedUrl`: `{ ref, embed, state, progress, ready, error }`. Put `ref` on the
 * container element; `state`/`progress`/`ready` re-render on events, `error` holds a failed embed or
 * the latest SDK error.
 * @param {string | null | undefined} signedUrl nothing is embedded while it is empty
 * @param {object} [options] embedCourse's options, plus `on: { [eventName]: callback }`
 */
export function useCourse(signedUrl, options) {
  return useEmbed('course', signedUrl, options);
}

/**
 * A course builder for `signedUrl`, like useCourse; `options.autosave` (autosave's options) saves
 * the drafts while it is mounted.
 */
export function useBuilder(signedUrl, options) {
  return useEmbed('builder', signedUrl, options);
}

// Props that configure the embed; every other prop goes to the container <div>.
const EMBED_PROPS = ['signedUrl', 'on', 'autosave', 'origin', 'readyTimeoutMs', 'initialProgress', 'renewUrl', 'iframe'];

function component(kind, displayName) {
  function Coassemble(props) {
    const options = {}, rest = {};
    for (const [key, value] of Object.entries(props)) (EMBED_PROPS.includes(key) ? options : rest)[key] = value;
    const { signedUrl, ...embedOptions } = options;
    const { ref } = useEmbed(kind, signedUrl, embedOptions);
    return createElement('div', { ...rest, ref });
  }
  Coassemble.displayName = displayName;
  return Coassemble;
}

/** `<CoassembleCourse signedUrl={url} on={{ 'course:progress': (e) => … }} style={…} />` */
export const CoassembleCourse = component('course', 'CoassembleCourse');

/** `<CoassembleBuilder signedUrl={url} autosave={{ save }} on={{ … }} className="…" />` */
export const CoassembleBuilder = component('builder', 'CoassembleBuilder');
