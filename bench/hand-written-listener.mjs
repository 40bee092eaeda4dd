// The listener people write by hand for course:progress, which bench/in-page.mjs compares the SDK
// with: the same job, nothing more. It is loaded from this file, as a page's own code is. (Defined
// in the bench's `page.evaluate` instead, the same function runs faster than any script a page
// loads: measured on foreign messages, the identical code is 1.07× slower from an ES module file and
// 1.14× from a classic script file: CONTRIBUTING.md, Speed.)
export function handWrittenListener(iframe, origin, onProgress) {
  let last = -1;
  const listener = (event) => {
    if (event.source !== iframe.contentWindow || event.origin !== origin) return;
    let msg = event.data;
    if (typeof msg === 'string') {
      try { msg = JSON.parse(msg); } catch { return; }
    }
    if (!msg || msg.type !== 'course' || msg.event !== 'progress') return;
    const progress = Math.min(100, Math.max(0, Math.trunc(Number(msg.data?.progress))));
    if (!(progress > last)) return;
    last = progress;
    onProgress(progress);
  };
  window.addEventListener('message', listener);
  return () => window.removeEventListener('message', listener);
}
