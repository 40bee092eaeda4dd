// The `message` listener of one embedded iframe: the trust check, and the one place it is written.
// Used by the npm package (js/page/embed-handle.js) and by the Rust API (src/web/listener.rs imports this
// file through wasm-bindgen). The check runs before anything crosses into wasm: a page sees many
// messages that are not ours, and each of them costs two property loads and a `===` here, as in a
// hand-written listener (measured: CONTRIBUTING.md, Speed).
//
// Off the foreign path: `onOrigin(origin)` hears each distinct origin the iframe's own window posts
// from, once (the diagnostics of a custom domain or redirect, whose messages are still not
// delivered); and a message that arrives while `deliver` runs (a host callback that dispatches one)
// is queued and delivered after it, in order, instead of re-entering the decoder.

/**
 * Listens on `window` for the messages of `frame`'s window from exactly `origin`, and hands each to
 * `deliver(text, data)`: its JSON text (as posted, or `JSON.stringify` of an object envelope) and the
 * data as posted.
 * A `deliver` that throws (the wasm trapped) is reported to `onFault(error)` (else `console.error`),
 * never thrown into the page, and the messages queued behind it are still delivered.
 * @returns {() => void} removes the listener (and drops what is queued)
 */
export function listen(window, frame, origin, deliver, onOrigin, onFault) {
  let heardTrusted = onOrigin === undefined; // nobody to tell counts as told
  let heardOthers; // the other origins told about, created on the first one
  let delivering = false;
  let queue; // messages waiting while one is delivered, created on the first
  let removed = false;
  // The trusted path, kept out of the listener so that what runs for every message on the page is
  // two property loads and a compare.
  const receive = (event) => {
    if (event.source === null) return; // the iframe left the page: contentWindow was null too
    if (event.origin !== origin) {
      if (onOrigin !== undefined && !heardOthers?.has(event.origin)) {
        (heardOthers ??= new Set()).add(event.origin);
        onOrigin(event.origin);
      }
      return;
    }
    if (!heardTrusted) { heardTrusted = true; onOrigin(origin); }
    let data = event.data;
    let text = data;
    if (typeof data !== 'string') {
      // An object envelope is read as the JSON it stands for; one JSON has no form for (a cycle,
      // a BigInt, undefined) is not a Coassemble message.
      try { text = JSON.stringify(data); } catch { return; }
      if (text === undefined) return;
    }
    // wasm reads the text in place: no JSON.parse for a message that is not acted on.
    if (delivering) { (queue ??= []).push(text, data); return; }
    delivering = true;
    try {
      for (;;) {
        // Only a trusted message gets here: the `try` costs the foreign path nothing.
        try {
          deliver(text, data);
        } catch (error) {
          try { (onFault ?? console.error)(error); } catch {}
        }
        if (queue === undefined || queue.length === 0 || removed) break;
        text = queue.shift();
        data = queue.shift();
      }
    } finally {
      delivering = false;
      queue = undefined;
    }
  };
  // Only this iframe's window is heard (exactly this origin: `receive`); every other message returns
  // here. Named through a method key, which minifiers keep: measured, Chromium dispatches a message
  // about 7 % slower to a listener whose name is the one letter a minifier gives it
  // (CONTRIBUTING.md, Speed).
  const { listener } = {
    listener(event) {
      if (event.source === frame.contentWindow) receive(event);
    },
  };
  window.addEventListener('message', listener);
  return () => { removed = true; window.removeEventListener('message', listener); };
}
