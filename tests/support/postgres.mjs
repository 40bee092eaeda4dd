// PostgreSQL for the Node tests, through the one mechanism every suite uses (scripts/postgres.sh):
// a server of its own in a temp dir, which a test may stop and start again (the outage of the fault
// test), stopped and deleted when the test ends, when it fails, and when the process exits.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/postgres.sh', import.meta.url));
const run = (...args) => execFileSync('bash', [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const runAsync = async (...args) => (await promisify(execFile)('bash', [script, ...args], { encoding: 'utf8' })).stdout.trim();
const live = new Map(); // server -> its dir, for the exit hook
process.on('exit', () => {
  for (const dir of live.values()) {
    try { run('stop', dir); } finally { rmSync(dir, { recursive: true, force: true }); }
  }
});

/**
 * Starts a PostgreSQL server of its own: `{ url, dir, stop(), start(), close() }` (the last three
 * return promises). `stop()` and `start()` take it down and up again on the same port and data;
 * `close()` stops it and deletes it. With `t` (a node:test context), `close()` runs after the test,
 * passed or failed. With `{ tls: true }`, a TLS-only server (scripts/postgres.sh `start DIR tls`):
 * `url` has its password and no sslmode, `root` is the path of its self-signed certificate (the root
 * to trust), and `verifyUrl` is `url` with `?sslmode=verify-full&sslrootcert=<root>`.
 */
export async function startPostgres(t, { tls = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'coassemble-pg-'));
  const url = await runAsync('start', dir, ...(tls ? ['tls'] : []));
  const root = tls ? await runAsync('root', dir) : undefined;
  const server = {
    dir,
    url,
    root,
    // The path as is (a temp dir path needs no escaping; not every URL reader decodes %2F).
    verifyUrl: tls ? `${url}?sslmode=verify-full&sslrootcert=${root}` : undefined,
    stop: () => runAsync('stop', dir),
    start: () => runAsync('start', dir),
    async close() {
      if (!live.delete(server)) return;
      try { await runAsync('stop', dir); } finally { rmSync(dir, { recursive: true, force: true }); }
    },
  };
  live.set(server, dir);
  t?.after(() => server.close());
  return server;
}

/**
 * A fresh, empty database `name` on the server at `url` (dropped first when it exists): resolves
 * with its connection URL.
 */
export async function freshDatabase(url, name) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const databaseUrl = new URL(url);
  databaseUrl.pathname = `/${name}`;
  return databaseUrl.href;
}
