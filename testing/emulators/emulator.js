// Shared by the player and builder emulators: posts Coassemble's wire format (see src/decode.rs) to the host page.
// The host's origin comes from the `parent` query parameter (on a URL the platform emulator minted, from
// the referrer) and is the postMessage target origin: never '*'.
// Scriptable (coassemble-events/testing): `?events=<JSON array>` is posted after session:ready,
// `?ready=0` withholds session:ready, and the host page may post commands (see `startCommands`).

const params = new URLSearchParams(location.search);

/**
 * The signed token when the page was opened from a URL the platform emulator minted
 * (`/embed/view/<token>`, coassemble-events/testing's startPlatform), else null.
 */
const platformToken = /^\/embed\/(?:view|edit)\/([\w-]+\.[\w-]+\.[\w-]+)$/.exec(location.pathname)?.[1] ?? null;

/**
 * The host origin named in `?parent=`, or null when missing or not an http(s) origin. A minted URL
 * names no parent (Coassemble's does not either): the page that framed it, from the referrer, stands
 * in, so the target origin is still one origin, never '*'.
 */
export const parentOrigin = (() => {
  try {
    const named = params.get('parent') ?? (platformToken && window.parent !== window ? new URL(document.referrer).origin : '');
    const u = new URL(named);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === named ? u.origin : null;
  } catch {
    return null;
  }
})();

// On a minted URL, what the learner does (player) or the courses the author creates (builder) also go
// to the platform, in order, as Coassemble's pages report to Coassemble: trackings and webhooks follow
// from real in-page activity.
let reports = Promise.resolve();
function report(message) {
  if (!platformToken || message.type !== 'course') return;
  if (location.pathname.startsWith('/embed/edit/') && message.event !== 'created') return;
  const body = JSON.stringify({ token: platformToken, message });
  reports = reports.then(() => fetch('/embed/activity', { method: 'POST', headers: { 'content-type': 'application/json' }, body, keepalive: true }))
    .catch((error) => console.error('emulator: the platform did not take the report', error));
}

let envelope = params.get('envelope') === 'object' ? 'object' : 'string';
let expired = false;
/** Every message posted, oldest first (tests read it through the frame). */
export const sent = [];
window.__sent = sent;

/** Posts `{ type, event, data }` as a JSON string (the classic form) or as an object (newer integrations). */
export function post(message) {
  if (!parentOrigin || window.parent === window) return false;
  const wire = envelope === 'string' ? JSON.stringify(message) : message;
  window.parent.postMessage(wire, parentOrigin);
  sent.push({ form: envelope, message });
  report(message);
  renderWire(message);
  return true;
}

/** Sends what other scripts on a real page send: none of it may reach the host's callbacks. */
export function sendNoise() {
  const noise = [
    { source: 'react-devtools-content-script', payload: { event: 'ping' } },
    'setImmediate$0.123$1',
    { type: 'webpackOk' },
    { event: 'infoDelivery', info: { currentTime: 3.2 }, id: 1, channel: 'widget' },
    JSON.stringify({ type: 'stripe', action: 'frame-ready' }),
    42,
  ];
  for (const n of noise) window.parent.postMessage(n, parentOrigin);
  sent.push({ form: 'noise', message: noise });
  renderWire({ type: 'noise', event: `${noise.length} foreign messages` });
}

/** A Coassemble-like envelope with bad data: the host SDK reports it once on its `error` channel. */
export function sendMalformed() {
  const bad = { type: 'course', event: 'progress', data: { progress: 'lots' } };
  window.parent.postMessage(envelope === 'string' ? JSON.stringify(bad) : bad, parentOrigin);
  sent.push({ form: envelope, message: bad });
  renderWire({ type: 'malformed', event: 'progress "lots"' });
}

export function isExpired() { return expired; }

/** `'type:event'` (no data) or an envelope object, as `?events=` and the `send` command take them. */
function envelopeOf(item) {
  if (typeof item !== 'string') return item;
  const [type, event] = item.split(':');
  return event ? { type, event } : { type };
}

function expire(onExpire) {
  if (expired) return;
  post({ type: 'session', event: 'expired' });
  expired = true;
  document.body.classList.add('expired');
  onExpire?.();
}

/**
 * Announces the session (unless `?ready=0`), posts the `?events=` script, and obeys commands the host
 * page posts: `{ coassembleEmulator: name, ...args }` from the parent window at the parent origin only
 * (anything else is ignored). Shared commands: `send` ({ messages: [...] }), `envelope`
 * ({ envelope: 'string' | 'object' }), `expire`, `noise`, `malformed`; `actions` adds the page's own.
 */
export function startCommands(actions, { onExpire } = {}) {
  const commands = {
    send: ({ messages = [] }) => messages.map(envelopeOf).forEach(post),
    envelope: ({ envelope: form }) => { envelope = form === 'object' ? 'object' : 'string'; },
    expire: () => expire(onExpire),
    noise: sendNoise,
    malformed: sendMalformed,
    ...actions,
  };
  window.addEventListener('message', (e) => {
    if (e.source !== window.parent || e.origin !== parentOrigin) return;
    const command = commands[e.data?.coassembleEmulator];
    if (typeof command === 'function' && Object.hasOwn(commands, e.data.coassembleEmulator)) command(e.data);
  });
  if (params.get('ready') !== '0') post({ type: 'session', event: 'ready' });
  let script = [];
  try {
    script = JSON.parse(params.get('events') ?? '[]');
  } catch {
    console.error('emulator: ?events= is not a JSON array');
  }
  if (Array.isArray(script)) script.map(envelopeOf).forEach(post);
}

/** Wires the common developer strip: envelope switch, noise, malformed, expire. */
export function setupDevStrip({ onExpire } = {}) {
  for (const input of document.querySelectorAll('input[name="envelope"]')) {
    input.checked = input.value === envelope;
    input.addEventListener('change', () => { if (input.checked) envelope = input.value; });
  }
  document.querySelector('#noise')?.addEventListener('click', sendNoise);
  document.querySelector('#malformed')?.addEventListener('click', sendMalformed);
  document.querySelector('#expire')?.addEventListener('click', () => expire(onExpire));
  if (!parentOrigin) {
    document.body.classList.add('orphan');
    const note = document.querySelector('#orphan');
    if (note) note.hidden = false;
  }
}

function renderWire(message) {
  const el = document.querySelector('#wire');
  if (!el) return;
  const label = message.event ? `${message.type}:${message.event}` : message.type;
  const detail = message.data ? ' ' + JSON.stringify(message.data) : '';
  el.textContent = `→ ${label}${detail}`;
  el.classList.remove('flash');
  void el.offsetWidth;
  el.classList.add('flash');
}
