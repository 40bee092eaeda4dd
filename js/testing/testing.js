// coassemble-events/testing: stand-ins for Coassemble in an integrator's own tests (Node 20+).
// Player and builder emulators served from their own origin, speaking the real wire format
// (the pages live in testing/emulators/), signed webhook deliveries (testing-webhooks.js), and a whole
// local Coassemble: API, learners and webhooks on its delivery schedule (testing-platform.js).
import { listen, sendEmulatorFile } from './testing-server.js';

function serve(req, res) {
  const path = new URL(req.url, 'http://emulator').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405).end();
  if (!sendEmulatorFile(res, path === '/' ? 'player.html' : path.slice(1))) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

function emulatorUrl(origin, page, { parent, envelope = 'string', events, ready = true } = {}) {
  let parentOrigin;
  try {
    parentOrigin = new URL(parent).origin;
  } catch {
    throw new TypeError(`${page}Url: \`parent\` must be the host page's origin (e.g. 'http://localhost:5173'), got ${parent}`);
  }
  if (envelope !== 'string' && envelope !== 'object') {
    throw new TypeError(`${page}Url: \`envelope\` is 'string' or 'object', got ${envelope}`);
  }
  const url = new URL(`/${page}.html`, origin);
  url.searchParams.set('parent', parentOrigin);
  url.searchParams.set('envelope', envelope);
  if (!ready) url.searchParams.set('ready', '0');
  if (events !== undefined) {
    if (!Array.isArray(events)) throw new TypeError(`${page}Url: \`events\` must be an array`);
    url.searchParams.set('events', JSON.stringify(events));
  }
  return url.href;
}

/**
 * Starts the player and builder emulators on their own origin (`http://<host>:<port>`, another
 * origin than the page under test, as Coassemble is). See testing.d.ts.
 * @param {{ port?: number, host?: string }} [options] port 0 (default) picks a free one
 */
export async function startEmulators({ port = 0, host = '127.0.0.1' } = {}) {
  const { origin, close } = await listen(serve, { port, host });
  return {
    origin,
    playerUrl: (options) => emulatorUrl(origin, 'player', options),
    builderUrl: (options) => emulatorUrl(origin, 'builder', options),
    close,
  };
}

export { signWebhook, testWebhookCases, sendTestWebhooks } from './testing-webhooks.js';
export { startPlatform } from './testing-platform.js';
