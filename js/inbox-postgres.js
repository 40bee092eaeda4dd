// The inbox on PostgreSQL, through `pg` (an optional peer dependency: inbox.js imports this file only
// when DATABASE_URL is postgres://…). Many receivers on many machines share one table: the primary
// key dedupes intakes, and `claim` takes rows with FOR UPDATE SKIP LOCKED, so two workers never hold
// one lease.
import pg from 'pg';
import { claimedRow, listedRow, loadStatements } from './inbox-sql.js';

const sql = loadStatements('postgres');

// Any fixed key: receivers creating the schema at the same moment take turns instead of racing on
// CREATE TABLE IF NOT EXISTS (which is not atomic across sessions).
const SCHEMA_LOCK = 0x636f6173; // "coas"

/**
 * Opens the inbox in the PostgreSQL database at `url` and creates its table when missing.
 * @param {string} url a postgres:// connection string
 * @param {{ poolSize?: number }} [options]
 */
export async function openPostgresStore(url, { poolSize = 10 } = {}) {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection whose server went away emits 'error'; unhandled, it would end the process.
  // The next query reconnects or fails, and that failure is what callers see (503 at intake).
  pool.on('error', () => {});

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(sql.schema);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }

  const query = (name, values) => pool.query({ name: `coassemble_inbox_${name}`, text: sql[name], values });

  return {
    dialect: 'postgres',
    async insert(row) {
      const result = await query('insert', [
        row.id, row.type, row.signedAt, row.receivedAt, row.body, row.eventId, row.test, row.status, row.lastError,
      ]);
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
    close: () => pool.end(),
  };
}
