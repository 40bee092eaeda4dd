export function bare5(iframe, origin, onProgress) {
    const win = iframe.contentWindow;
    let last = -1;
    const listener = (event) => {
      if (event.source !== win || event.origin !== origin) return;
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
