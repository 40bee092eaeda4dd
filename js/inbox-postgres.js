// The inbox on PostgreSQL, through `pg` (an optional peer dependency: inbox.js imports this file only
// when DATABASE_URL is postgres://…). Many receivers on many machines share one table: the primary
// key dedupes intakes, and `claim` takes rows with FOR UPDATE SKIP LOCKED, so two workers never hold
// one lease.
import { claimedRow, listedRow, loadStatements } from './inbox-sql.js';

const sql = loadStatements('postgres');

/**
 * Opens the inbox in the PostgreSQL database at `url` and creates its table when missing.
 * @param {string} url a postgres:// connection string
 * @param {{ poolSize?: number }} [options]
 */
export async function openPostgresStore(url, { poolSize = 10 } = {}) {
  // Imported here, not at the top: inbox.js is one bundle, and SQLite users need no pg.
  const { default: pg } = await import('pg');
  // Two pools: the intake's commits are durable before the 2xx; the workers' run `work_session`
  // (synchronous_commit off: a claim or an outcome lost in a crash is redone after its lease expires).
  const intake = new pg.Pool({ connectionString: url, max: poolSize });
  const work = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Runs on each new connection before the pool hands it out.
    verify: (client, done) => client.query(sql.work_session).then(() => done(), done),
  });
  // An idle connection whose server went away emits 'error'; unhandled, it would end the process.
  // The next query reconnects or fails, and that failure is what callers see (503 at intake).
  for (const pool of [intake, work]) pool.on('error', () => {});
  const end = () => Promise.all([intake.end(), work.end()]);

  // One simple-protocol batch: one implicit transaction, under the statement's advisory lock.
  await intake.query(sql.schema).catch(async (error) => {
    await end();
    throw error;
  });

  const query = (name, values, pool = work) => pool.query({ name: `coassemble_inbox_${name}`, text: sql[name], values });

  return {
    dialect: 'postgres',
    async insert(row) {
      const result = await query('insert', [
        row.id, row.type, row.signedAt, row.receivedAt, row.body, row.eventId, row.test, row.status, row.lastError,
      ], intake);
      return result.rowCount === 1;
    },
    async claim({ now, workerId, leaseMs, limit, maxAttempts }) {
      await query('bury_expired', [now, maxAttempts]);
      const result = await query('claim', [now, workerId, leaseMs, limit]);
      return result.rows.map(claimedRow);
    },
    async complete({ id, workerId, attempts, now }) {
      return (await query('complete', [id, workerId, attempts, now])).rowCount === 1;
    },
    async fail({ id, workerId, attempts, runAt, error, maxAttempts }) {
      return (await query('fail', [id, workerId, attempts, runAt, error, maxAttempts])).rowCount === 1;
    },
    async redrive({ id, now }) {
      return (await query('redrive', [id, now])).rowCount;
    },
    async list({ status, limit }) {
      return (await query('list', [status, limit])).rows.map(listedRow);
    },
    async counts() {
      return (await query('counts', [])).rows.map((r) => ({ status: r.status, count: Number(r.count) }));
    },
    close: end,
  };
}
