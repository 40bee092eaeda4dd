// What both emulators of coassemble-events/testing stand on: the emulator pages (testing/emulators/)
// sent from disk, and a loopback HTTP server with its origin and a close that ends every connection.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';

// From js/ and from the built dist/ alike: the package's testing/emulators/.
const EMULATORS = new URL('../testing/emulators/', import.meta.url);
const TYPES = {
  'player.html': 'text/html; charset=utf-8',
  'builder.html': 'text/html; charset=utf-8',
  'emulator.js': 'text/javascript; charset=utf-8',
  'emulator.css': 'text/css; charset=utf-8',
};

/** Sends the emulator file `name` (e.g. `player.html`); false, sending nothing, when there is none. */
export function sendEmulatorFile(res, name) {
  if (!Object.hasOwn(TYPES, name)) return false;
  readFile(new URL(name, EMULATORS)).then(
    (body) => res.writeHead(200, { 'content-type': TYPES[name], 'cache-control': 'no-store' }).end(body),
    () => res.writeHead(500).end(),
  );
  return true;
}

/** Listens with `handler` on `host:port` (0: a free one); resolves to `{ server, origin, close() }`. */
export function listen(handler, { port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({
      server,
      origin: `http://${host.includes(':') ? `[${host}]` : host}:${server.address().port}`,
      close: () => new Promise((done) => {
        server.closeAllConnections?.();
        server.close(() => done());
      }),
    }));
  });
}
