// Destroys embeds whose iframe left the page, so a forgotten destroy() leaks no listener. One
// MutationObserver serves every embed, and it disconnects when none is left to watch.
const watches = new Set(); // { iframe, onRemoved, seen }
let observer;

function check() {
  for (const watch of watches) {
    // An iframe attached before it is inserted is not "removed" until it has been on the page.
    if (watch.iframe.isConnected) watch.seen = true;
    else if (watch.seen) watch.onRemoved();
  }
}

/**
 * Calls `onRemoved()` once `iframe` has been in the document and then left it.
 * @returns {() => void} stops watching
 */
export function watchRemoval(iframe, onRemoved) {
  const doc = iframe.ownerDocument;
  if (typeof MutationObserver === 'undefined' || !doc) return () => {};
  const watch = { iframe, onRemoved, seen: iframe.isConnected };
  watches.add(watch);
  if (!observer) {
    observer = new MutationObserver(check);
    observer.observe(doc, { childList: true, subtree: true });
  }
  return () => {
    watches.delete(watch);
    if (watches.size === 0 && observer) {
      observer.disconnect();
      observer = undefined;
    }
  };
}
