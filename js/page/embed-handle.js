// The in-page wasm behind each Embed (src/abi.rs): instantiated from the inlined bytes on first
// use, driven through its six exports. The trust check is js/page/listen.js; decoding and every
// protocol rule are in the wasm; this file copies a trusted message's text into wasm memory,
// makes the one call, and turns the record it answers with into the event object.
import wasmBytes from '../../pkg/web/wasm-bytes.js';
import { CoassembleError } from './errors.js';
import { listen } from './listen.js';
import { trustedOrigin } from './origin.js';

// The record's layout (src/record.rs pins it with compile-time assertions, and its unit test reads
// these lines and compares them with the Rust constants). esbuild inlines them: no table is shipped.
const RECORD_COUNT = 0;
const RECORD_SPLIT = 4;
const RECORD_FIELDS = 8;
const FIELD_SIZE = 32;
const FIELD_KEY = 0;
const FIELD_KEY_LENGTH = 4;
const FIELD_KIND = 8;
const FIELD_TEXT = 12;
const FIELD_TEXT_LENGTH = 16;
const FIELD_NUMBER = 24;

const decoder = new TextDecoder();
const encoder = new TextEncoder();
let module; // the compiled wasm, kept: a core that trapped is replaced by a new instance of it
let shared; // the core new embeds use: the last instance, until one of its embeds traps in it

// One instance of the wasm: its exports. `trapped` once a call into it threw: nothing is
// delivered into it any more.
function core() {
  if (shared !== undefined) return shared;
  const self = { trapped: false };
  // Synchronous on purpose: attach makes its listener live within the task that called it, so no
  // message can arrive unheard while wasm loads. (Called by attach, not on import: SSR imports this.)
  self.wasm = new WebAssembly.Instance(module ??= new WebAssembly.Module(wasmBytes), {
    // The numbers JsonText leaves to the host: not whole, or longer than 15 digits.
    env: { parse_number: (at, length) => Number(text(self, at, length)) },
  }).exports;
  return (shared = self);
}

// The UTF-8 text at `at` in a core's memory (a view per read: the memory may have grown since).
const text = (core, at, length) => decoder.decode(new Uint8Array(core.wasm.memory.buffer, at, length));

// Kinds of a record field (src/record.rs): number, text, JSON text, false, true, null.
const READ = [
  (core, view, at) => view.getFloat64(at + FIELD_NUMBER, true),
  (core, view, at) => text(core, view.getUint32(at + FIELD_TEXT, true), view.getUint32(at + FIELD_TEXT_LENGTH, true)),
  (core, view, at) => JSON.parse(READ[1](core, view, at)),
  () => false,
  () => true,
  () => null,
];

// The record at `at`: its fields `from..to` (all of them by default) as an object, in order.
function record(core, at, view = new DataView(core.wasm.memory.buffer), from = 0, to = view.getUint32(at + RECORD_COUNT, true)) {
  const fields = {};
  for (let i = from; i < to; i++) {
    const field = at + RECORD_FIELDS + i * FIELD_SIZE;
    fields[text(core, view.getUint32(field + FIELD_KEY, true), view.getUint32(field + FIELD_KEY_LENGTH, true))] =
      READ[view.getUint32(field + FIELD_KIND, true)](core, view, field);
  }
  return fields;
}

// The event object of an accepted message: `name`, `type`, `event` and `data`, then the event's own
// fields. `data` is what the decoder kept, else the posted message's `data` (JSON text is parsed only
// here, for an accepted event).
function eventObject({ name, data, ...own }, posted) {
  const message = () => (typeof posted === 'string' ? JSON.parse(posted) : posted);
  if (name === 'error') return { name, code: 'malformed_message', message: own.message, raw: message() };
  const colon = name.indexOf(':');
  const event = colon > 0 ? { name, type: name.slice(0, colon), event: name.slice(colon + 1) }
    : { name, type: name, event: undefined };
  event.data = name === 'unknown' ? own.raw?.data : data !== undefined ? data : message()?.data;
  return Object.assign(event, own);
}

/** One attached embed: the listener, and its slot in a wasm instance. Throws a `CoassembleError` when it cannot attach. */
export class EmbedHandle {

  constructor(kind, iframe, origin, src, initialProgress, dispatch, onOrigin) {
    // Elements from another realm fail `instanceof`, so the tag name decides.
    if (typeof iframe?.tagName !== 'string' || iframe.tagName.toLowerCase() !== 'iframe') {
      throw new CoassembleError('not_an_iframe', 'the element to attach to is not an <iframe>');
    }
    // The window the iframe lives in is the one its messages are posted to.
    const window = iframe.ownerDocument?.defaultView;
    if (!window) throw new CoassembleError('no_dom', "coassemble-events needs a browser page (window): the iframe's document has none");
    try {
      /** The exact origin messages are accepted from. */
      this.origin = trustedOrigin(iframe, origin, src);
    } catch (why) {
      throw why === '' ? new CoassembleError('missing_origin', "the iframe has no src and no origin was given: pass the embed's origin")
        : new CoassembleError('invalid_origin', `invalid embed origin ${why}`);
    }
    // Closure variables, not fields: the trusted path reads them for every message.
    let home; // the core (wasm instance) the slot is in
    let slot;
    let input; // a view of the slot's input buffer (renewed when a longer message needs more)
    let last; // the last message's text: the same text again is decoded once (src/abi.rs)
    const open = (progress, ready) => {
      home = core();
      slot = home.wasm.embed_new((kind === 'builder') | ready * 2, progress);
      input = last = undefined;
    };
    // Moves the embed out of a trapped core into the current one, resumed at its progress and
    // `ready` (read once from the trapped memory, which is never delivered into again). The rest of
    // its state (feedback, last screen, dropped count; a builder's course) starts afresh: carrying
    // it would cost the in-page size budget (CONTRIBUTING.md, Size) for a path no envelope takes.
    const reopen = () => {
      let state = {};
      try { state = record(home, home.wasm.embed_state(slot)); } catch {}
      open(state.progress ?? -1, state.ready);
    };
    open(initialProgress ?? -1, 0);
    const remove = listen(window, iframe, this.origin, (message, posted) => {
      if (home.trapped) reopen();
      const wasm = home.wasm;
      let at;
      if (message === last) {
        at = wasm.embed_again(slot);
      } else {
        const length = message.length;
        // UTF-8 takes at most 3 bytes per UTF-16 unit. (An empty view: the memory grew since.)
        if (input === undefined || input.byteLength < length * 3) {
          const size = Math.max(length * 3, 256);
          const address = wasm.embed_input(slot, size); // (may grow the memory: before `buffer`)
          input = new Uint8Array(wasm.memory.buffer, address, size);
        }
        // ASCII unit by unit (what envelopes are: faster than encodeInto's call in browsers), the
        // rest with encodeInto.
        let i = 0;
        for (; i < length; i++) {
          const unit = message.charCodeAt(i);
          if (unit > 0x7f) break;
          input[i] = unit;
        }
        const written = i === length ? i : i + encoder.encodeInto(message.slice(i), input.subarray(i)).written;
        at = wasm.embed_deliver(slot, written);
        last = message;
      }
      if (at === 0) return;
      // Both events are read before the first dispatch: a callback may read `state`, which
      // rewrites the record. (Two: the progress of 100 a completion implies, then the completion.)
      const view = new DataView(wasm.memory.buffer);
      const split = view.getUint32(at + RECORD_SPLIT, true);
      const first = eventObject(record(home, at, view, 0, split || undefined), posted);
      // (Arguments run in order: the second event is read, then `first` dispatched, then it.)
      if (split !== 0) dispatch(eventObject(record(home, at, view, split), posted), dispatch(first));
      else dispatch(first);
    }, onOrigin, (cause) => {
      // A call into the wasm threw: it trapped (its panic handler, or memory exhausted by a huge
      // trusted message: src/abi.rs), or a host import threw through it. Its memory may be
      // mid-update, so that instance takes no more messages: this embed moves to a new one now,
      // every other embed in it on its next message or state read (`reopen`). The message is
      // dropped and reported once, never thrown into the page; the messages queued behind it are
      // still delivered (js/page/listen.js).
      home.trapped = true;
      if (shared === home) shared = undefined;
      reopen();
      dispatch({ name: 'error', code: 'internal_error', message: 'the core failed on a message', cause });
    });
    /** A fresh snapshot of the embed's state. */
    this.state = () => {
      if (home.trapped) reopen();
      return record(home, home.wasm.embed_state(slot));
    };
    /** Removes the listener and frees the slot. Idempotent. */
    this.free = () => {
      this.free = remove;
      remove();
      // A trapped instance is left to the garbage collector, with every slot in it.
      if (!home.trapped) home.wasm.embed_free(slot);
    };
  }
}
