// The in-page wasm behind each Embed (src/abi.rs): instantiated from the inlined bytes on first
// use, driven through its six exports. The trust check is js/page/listen.js; decoding and every
// protocol rule are in the wasm; this file copies a trusted message's text into wasm memory,
// makes the one call, and turns the record it answers with into the event object.
import wasmBytes from '../../pkg/web/wasm-bytes.js';
import { CoassembleError } from './errors.js';
import { listen } from './listen.js';
import { trustedOrigin } from './origin.js';

let wasm; // the instance's exports
let memory = new Uint8Array(0); // a view of the wasm memory; empty once the memory grew (renewed then)
const decoder = new TextDecoder();
const encoder = new TextEncoder();

const bytes = () => (memory.byteLength === 0 ? (memory = new Uint8Array(wasm.memory.buffer)) : memory);
const text = (at, length) => decoder.decode(bytes().subarray(at, at + length));

// Synchronous on purpose: attach makes its listener live within the task that called it, so no
// message can arrive unheard while wasm loads. (Called by attach, not on import: SSR imports this.)
function loadWasm() {
  wasm ??= new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), {
    // The numbers JsonText leaves to the host: not whole, or longer than 15 digits.
    env: { parse_number: (at, length) => Number(text(at, length)) },
  }).exports;
}

// Kinds of a record field (src/abi.rs): number, text, JSON text, false, true, null.
const READ = [
  (view, at) => view.getFloat64(at + 24, true),
  (view, at) => text(view.getUint32(at + 12, true), view.getUint32(at + 16, true)),
  (view, at) => JSON.parse(READ[1](view, at)),
  () => false,
  () => true,
  () => null,
];

// The record at `at`: its fields as an object, in order.
function record(at) {
  const view = new DataView(wasm.memory.buffer);
  const fields = {};
  for (let i = 0, count = view.getUint32(at, true); i < count; i++) {
    const field = at + 8 + i * 32;
    fields[text(view.getUint32(field, true), view.getUint32(field + 4, true))] = READ[view.getUint32(field + 8, true)](view, field);
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

/** One attached embed: the listener, and its wasm slot. Throws a `CoassembleError` when it cannot attach. */
export class EmbedHandle {
  #slot;
  #remove;

  constructor(kind, iframe, origin, src, initialProgress, dispatch, onOrigin) {
    // Elements from another realm fail `instanceof`, so the tag name decides.
    if (typeof iframe?.tagName !== 'string' || iframe.tagName.toLowerCase() !== 'iframe') {
      throw new CoassembleError('not_an_iframe', 'the element to attach to is not an <iframe>');
    }
    // The window the iframe lives in is the one its messages are posted to.
    const window = iframe.ownerDocument?.defaultView;
    if (!window) throw new CoassembleError('no_dom', 'no window: embeds can only be attached in a browser page');
    try {
      /** The exact origin messages are accepted from. */
      this.origin = trustedOrigin(iframe, origin, src);
    } catch (why) {
      throw why === '' ? new CoassembleError('missing_origin', "the iframe has no src and no origin was given: pass the embed's origin")
        : new CoassembleError('invalid_origin', `invalid embed origin ${why}`);
    }
    loadWasm();
    const slot = wasm.embed_new(kind === 'builder' ? 1 : 0, initialProgress ?? -1);
    let input; // a view of the slot's input buffer (renewed when a longer message needs more)
    let last; // the last message's text: the same text again is decoded once (src/abi.rs)
    this.#slot = slot;
    this.#remove = listen(window, iframe, this.origin, (message, posted) => {
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
      if (at !== 0) dispatch(eventObject(record(at), posted));
    }, onOrigin);
  }

  /** A fresh snapshot of the embed's state. */
  state() {
    return record(wasm.embed_state(this.#slot));
  }

  /** Removes the listener and frees the slot. Idempotent. */
  free() {
    if (this.#slot === undefined) return;
    this.#remove();
    wasm.embed_free(this.#slot);
    this.#slot = undefined;
  }
}
