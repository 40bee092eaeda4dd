// coassemble-events/elements: <coassemble-course> and <coassemble-builder>, for any framework or none.
// Thin glue over embedCourse/embedBuilder: an element's embed lives while the element is on the page
// with a `src`; SDK events are re-dispatched on the element as DOM events. Importing it registers the
// two elements where `customElements` exists, and nothing during server rendering.
import { DestroyedError, embedBuilder, embedCourse } from './index.js';

// Attributes read when an embed is made (a `src` change makes a new one; the others alone do not).
// All are observed: each is also a property (below).
const OWN = ['src', 'origin', 'ready-timeout-ms', 'initial-progress'];
// Attributes copied onto the iframe (a later change is copied too; `allow` and `sandbox` then apply
// from its next navigation).
const IFRAME = ['title', 'allow', 'allowfullscreen', 'loading', 'referrerpolicy', 'sandbox', 'name'];

/** The DOM event name of an SDK event: `course:progress` -> `course-progress`. */
const domName = (name) => name.replace(':', '-');

const camel = (name) => name.replace(/-(\w)/g, (_, letter) => letter.toUpperCase());

function defineElement(tag, kind) {
  class CoassembleElement extends HTMLElement {
    static observedAttributes = [...OWN, ...IFRAME];
    #embed = null; // the live embed
    #made = null; // the src the embed (or the attempt under way) is for; null: none
    #attempt = null; // token of the embed being made: a newer attempt or a teardown drops it
    #waits = []; // ready() calls made while there is no embed: [resolve, reject]
    #syncing = false;

    /** `'course'` or `'builder'`. */
    get kind() {
      return kind;
    }

    /** The SDK's embed (`CourseEmbed` / `BuilderEmbed`), or null while there is none. */
    get embed() {
      return this.#embed;
    }

    /** The embed's state, or null while there is none. */
    get state() {
      return this.#embed?.state ?? null;
    }

    /**
     * Resolves on the embed's `session:ready`; before there is an embed (no `src` yet), waits for the
     * first one. Rejects as the embed's ready() does, with the error of a `src` that could not be
     * embedded, or with a DestroyedError when the element leaves the page first.
     */
    ready() {
      if (this.#embed) return this.#embed.ready();
      return new Promise((resolve, reject) => this.#waits.push([resolve, reject]));
    }

    /**
     * Calls `callback(event)` for each SDK event `name` (`'course:progress'`; `'error'`), from this
     * element's embeds, present and future. What `autosave(element, options)` subscribes through.
     * @returns {() => void} unsubscribes
     */
    on(name, callback) {
      const type = domName(name);
      const listener = (event) => callback(event.detail);
      this.addEventListener(type, listener);
      return () => this.removeEventListener(type, listener);
    }

    constructor() {
      super();
      // A property a framework set before the element was defined is an own property, shadowing the
      // accessor: move it onto the attribute.
      for (const name of CoassembleElement.observedAttributes) {
        const key = camel(name);
        if (Object.hasOwn(this, key)) {
          const value = this[key];
          delete this[key];
          this[key] = value;
        }
      }
    }

    connectedCallback() {
      this.#schedule();
    }

    disconnectedCallback() {
      this.#schedule();
    }

    // Element.moveBefore() keeps the iframe's document alive: nothing to redo.
    connectedMoveCallback() {}

    attributeChangedCallback(name, was, value) {
      if (name === 'src') this.#schedule();
      else if (IFRAME.includes(name) && this.#embed) setAttribute(this.#embed.iframe, name, value);
    }

    // Deferred to a microtask, once: a move (removed, then inserted in the same task) is then seen
    // as still connected, so it keeps its embed; attributes set together make one embed.
    #schedule() {
      if (this.#syncing) return;
      this.#syncing = true;
      queueMicrotask(() => {
        this.#syncing = false;
        this.#sync();
      });
    }

    #sync() {
      if (!this.isConnected) this.#settle(null, new DestroyedError('the element left the page'));
      const src = this.isConnected ? this.getAttribute('src') : null;
      if (src === this.#made) return;
      this.#teardown();
      if (src === null) return;
      const attempt = (this.#attempt = {});
      this.#made = src;
      const number = (name) => (this.hasAttribute(name) ? Number(this.getAttribute(name)) : undefined);
      // The iframe is made in a detached container: its attributes are all set before it is inserted
      // and loads (`allow` and `sandbox` are read when it navigates).
      const holder = this.ownerDocument.createElement('div');
      (kind === 'builder' ? embedBuilder : embedCourse)(holder, src, {
        origin: this.getAttribute('origin') ?? undefined,
        readyTimeoutMs: number('ready-timeout-ms'),
        initialProgress: number('initial-progress'),
      }).then((embed) => {
        if (this.#attempt !== attempt) return embed.destroy();
        this.#embed = embed;
        for (const name of IFRAME) if (this.hasAttribute(name)) setAttribute(embed.iframe, name, this.getAttribute(name));
        embed.on('*', (event) => this.#fire(event.name, event));
        embed.on('error', (error) => this.#fire('error', error));
        this.append(embed.iframe);
        this.#settle(embed);
      }, (error) => {
        if (this.#attempt !== attempt) return;
        this.#settle(null, error);
        this.#fire('error', error);
      });
    }

    #teardown() {
      this.#attempt = null;
      this.#made = null;
      this.#embed?.destroy(); // removes the iframe and the listener
      this.#embed = null;
    }

    #settle(embed, error) {
      for (const [resolve, reject] of this.#waits.splice(0)) {
        if (embed) embed.ready().then(resolve, reject);
        else reject(error);
      }
    }

    #fire(name, detail) {
      this.dispatchEvent(new CustomEvent(domName(name), { detail }));
    }
  }

  // Each attribute is also a property (`el.src = url`, `el.initialProgress = 20`), for frameworks that
  // set properties on custom elements (Solid, Lit, Angular's [prop]). `title` is HTMLElement's own.
  for (const name of CoassembleElement.observedAttributes) {
    if (name === 'title') continue;
    Object.defineProperty(CoassembleElement.prototype, camel(name), {
      get() { return this.getAttribute(name); },
      set(value) { setAttribute(this, name, value); },
      configurable: true,
    });
  }

  if (!customElements.get(tag)) customElements.define(tag, CoassembleElement);
}

// null, undefined and false remove the attribute; true sets it empty (a boolean attribute).
function setAttribute(element, name, value) {
  if (value == null || value === false) element.removeAttribute(name);
  else element.setAttribute(name, value === true ? '' : value);
}

if (typeof customElements !== 'undefined') {
  defineElement('coassemble-course', 'course');
  defineElement('coassemble-builder', 'builder');
  // Block by default, so a height set on the element is the iframe's (zero specificity: any rule wins).
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(':where(coassemble-course, coassemble-builder) { display: block }');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
