// Destroys embeds whose iframe left the page, so a forgotten destroy() leaks no listener.
//
// A MutationObserver on a document does not see inside shadow roots, nor into other documents (a
// same-origin iframe's, a popup's): one observer is kept per root the watched iframes live in (their
// documents and every shadow root up the chain), so removal there is seen at once. A move that no
// observed root reports (an iframe attached before it is inserted, then inserted into a shadow root
// and removed) is caught by a fallback check of `isConnected` every FALLBACK_CHECK_MS, as penpal
// does. A root is observed while a watched iframe was found in it; the interval runs while anything
// is watched.
const FALLBACK_CHECK_MS = 1000;

const watches = new Set(); // { iframe, onRemoved, seen, roots }
const observed = new Map(); // Document or ShadowRoot -> { observer, watches: how many watches use it }
let fallback;

function check() {
  for (const watch of watches) {
    // An iframe attached before it is inserted is not "removed" until it has been on the page.
    if (watch.iframe.isConnected) {
      if (!watch.seen) {
        watch.seen = true;
        observeRoots(watch, watch.iframe);
      }
    } else if (watch.seen) {
      watch.onRemoved();
    }
  }
}

// Observes `node`'s root and, for a shadow root, its host's root, up to the document.
function observeRoots(watch, node) {
  let root = node.getRootNode();
  for (;;) {
    if (!watch.roots.has(root)) {
      watch.roots.add(root);
      let entry = observed.get(root);
      if (!entry) {
        entry = { observer: new MutationObserver(check), watches: 0 };
        entry.observer.observe(root, { childList: true, subtree: true });
        observed.set(root, entry);
      }
      entry.watches += 1;
    }
    const host = root.host; // set on a ShadowRoot only
    if (!host) return;
    root = host.getRootNode();
  }
}

/**
 * Calls `onRemoved()` once `iframe` has been in a document and then left it.
 * @returns {() => void} stops watching
 */
export function watchRemoval(iframe, onRemoved) {
  if (typeof MutationObserver === 'undefined' || !iframe.ownerDocument) return () => {};
  const watch = { iframe, onRemoved, seen: iframe.isConnected, roots: new Set() };
  watches.add(watch);
  // Until it is inserted, an iframe's root is itself: its document is observed, and a shadow root
  // it is inserted into is found by `check`.
  observeRoots(watch, watch.seen ? iframe : iframe.ownerDocument);
  fallback ??= setInterval(check, FALLBACK_CHECK_MS);
  return () => {
    if (!watches.delete(watch)) return;
    for (const root of watch.roots) {
      const entry = observed.get(root);
      entry.watches -= 1;
      if (entry.watches === 0) {
        entry.observer.disconnect();
        observed.delete(root);
      }
    }
    if (watches.size === 0) {
      clearInterval(fallback);
      fallback = undefined;
    }
  };
}
