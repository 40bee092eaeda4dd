// The TLS-only PostgreSQL of the tests (scripts/postgres.sh `start DIR tls`; npm test exports it as
// COASSEMBLE_TEST_POSTGRES_TLS_URL and COASSEMBLE_TEST_POSTGRES_TLS_ROOT) really is TLS-only, as a
// managed database is: a plain connection is refused, a verified one connects, and the certificate is
// self-signed, so a client that verifies without being given the root fails. Outside npm test the suite
// starts a server of its own the same way.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { startPostgres } from '../support/postgres.mjs';

let url;
let root;
before(async () => {
  url = process.env.COASSEMBLE_TEST_POSTGRES_TLS_URL;
  root = process.env.COASSEMBLE_TEST_POSTGRES_TLS_ROOT;
  if (!url || !root) {
    const server = await startPostgres(undefined, { tls: true }); // stopped and deleted at exit
    ({ url, root } = server);
  }
  assert.ok(!/sslmode/.test(url), `the URL leaves sslmode to the client: ${url.replace(/:[^:@/]*@/, ':***@')}`);
});

/** Connects, asks the server whether this connection is encrypted, disconnects. */
async function sslOf(config) {
  const client = new pg.Client({ connectionTimeoutMillis: 10_000, ...config });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0];
  } finally {
    await client.end();
  }
}

const withParams = (base, params) => `${base}?${new URLSearchParams(params)}`;

test('a connection without TLS is refused (sslmode=disable)', async () => {
  await assert.rejects(sslOf({ connectionString: withParams(url, { sslmode: 'disable' }) }),
    (error) => /pg_hba\.conf rejects connection .*no encryption/.test(error.message) || assert.fail(error));
});

test('a connection given the root certificate (ssl: { ca }) connects over TLS', async () => {
  const row = await sslOf({ connectionString: url, ssl: { ca: readFileSync(root, 'utf8') } });
  assert.equal(row.ssl, true);
  assert.match(row.version, /^TLSv1\.[23]$/);
});

test('the URL form of the fleet (sslmode=verify-full&sslrootcert=<root>) connects, by name and by IP', async () => {
  const byName = await sslOf({ connectionString: withParams(url, { sslmode: 'verify-full', sslrootcert: root }) });
  assert.equal(byName.ssl, true);
  // subjectAltName IP:127.0.0.1: verify-full also holds for a client that connects by address.
  const byIp = await sslOf({ connectionString: withParams(url.replace('@localhost:', '@127.0.0.1:'), { sslmode: 'verify-full', sslrootcert: root }) });
  assert.equal(byIp.ssl, true);
});

test('sslmode=require without the root fails on the self-signed certificate', async () => {
  // pg 8.x reads require as verify-full (TOOLCHAIN.md): the certificate is checked, and nothing vouches for it.
  await assert.rejects(sslOf({ connectionString: withParams(url, { sslmode: 'require' }) }),
    (error) => (error.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' && /self[- ]signed certificate/.test(error.message)) || assert.fail(error));
});

test('over TLS, a wrong password is refused (scram-sha-256)', async () => {
  const wrong = url.replace(/:[^:@/]*@/, ':not-the-password@');
  await assert.rejects(sslOf({ connectionString: wrong, ssl: { ca: readFileSync(root, 'utf8') } }),
    (error) => /password authentication failed/.test(error.message) || assert.fail(error));
});
