// Two static servers on loopback, so test pages have a real host origin and a real, different embed
// origin. Both serve the repository (the package's js/ and pkg/, and test fixtures); the host origin
// also answers the `routes` a test gives (the host app's own API).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.json': 'application/json', '.wasm': 'application/wasm', '.css': 'text/css' };

function serve(req, res) {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (path.includes('..')) return res.writeHead(400).end();
  readFile(join(root, path)).then(
    (body) => res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      'cache-control': 'no-store' }).end(body),
    () => res.writeHead(404).end('not found'),
  );
}

function listen(routes = {}) {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const path = new URL(req.url, 'http://x').pathname;
      return Object.hasOwn(routes, path) ? routes[path](req, res) : serve(req, res);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Starts the host-origin and embed-origin servers: `{ host, frame, close() }` (origins, no slash).
 * `routes` maps a path to a `(req, res)` handler on the host origin.
 */
export async function startServers({ routes } = {}) {
  const servers = await Promise.all([listen(routes), listen()]);
  const [host, frame] = servers.map((s) => `http://127.0.0.1:${s.address().port}`);
  return { host, frame, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))) };
}
