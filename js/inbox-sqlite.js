// The inbox on a SQLite file, through better-sqlite3 (the real SQLite library, so its POSIX file locks
// and WAL index are the ones Rust's rusqlite uses: processes in both languages can share one file).
// Loaded by inbox.js only when DATABASE_URL is a file path. Every write is a transaction that takes
// SQLite's write lock up front (BEGIN IMMEDIATE), so claims are atomic across processes.
//
// Durability: the intake's connection runs `connect` (WAL, synchronous=FULL), so a committed intake row
// survives a process crash and a power cut. One fsync per commit costs ~4 ms here; intakes that arrive
// while one is being written are committed together (group commit), so throughput grows with
// concurrency instead of queueing fsyncs. The workers' connection adds `work_session` (synchronous
// NORMAL): a claim or an outcome lost in an OS crash is redone after its lease expires.
import { claimedRow, listedRow, loadStatements } from './inbox-sql.js';

const sql = loadStatements('sqlite');

// better-sqlite3 binds ?1, ?2 … by name: { 1: …, 2: … }.
const numbered = (values) => Object.fromEntries(values.map((value, i) => [i + 1, value]));

/**
 * Opens (and creates when missing) the inbox in the SQLite file at `path`.
 * @param {string} path
 * @param {{ busyTimeoutMs?: number }} [options] how long a write waits for another process's lock
 *   (default: the `connect` statement's)
 */
export async function openSqliteStore(path, { busyTimeoutMs } = {}) {
  // Imported here, not at the top: inbox.js is one bundle, and PostgreSQL users need no SQLite driver.
  const { default: Database } = await import('better-sqlite3');
  const connection = (session) => {
    const db = new Database(path);
    for (const name of session) db.exec(sql[name]);
    if (busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    return db;
  };
  const intake = connection(['connect']);
  intake.exec(sql.schema);
  const work = connection(['connect', 'work_session']);

  const prepare = (db, names) => Object.fromEntries(names.map((name) => [name, db.prepare(sql[name])]));
  const prepared = {
    ...prepare(intake, ['insert']),
    ...prepare(work, ['bury_expired', 'claim', 'complete', 'fail', 'redrive', 'list', 'counts']),
  };
  const run = (name, values) => prepared[name].run(numbered(values));
  const all = (name, values) => prepared[name].all(numbered(values));

  const insertBatch = intake.transaction((rows) => rows.map((row) => run('insert', row).changes === 1));
  let batch = [];
  function commitBatch() {
    const pending = batch;
    batch = [];
    try {
      const stored = insertBatch.immediate(pending.map((p) => p.row));
      pending.forEach((p, i) => p.resolve(stored[i]));
    } catch (error) {
      for (const p of pending) p.reject(error);
    }
  }

  const claimDue = work.transaction((now, workerId, leaseMs, limit, maxAttempts) => {
    run('bury_expired', [now, maxAttempts]);
    return all('claim', [now, workerId, leaseMs, limit]);
  });

  return {
    dialect: 'sqlite',
    insert(row) {
      return new Promise((resolve, reject) => {
        if (batch.length === 0) setImmediate(commitBatch);
        batch.push({
          row: [row.id, row.type, row.signedAt, row.receivedAt, row.body, row.eventId, row.test ? 1 : 0, row.status, row.lastError],
          resolve,
          reject,
        });
      });
    },
    async claim({ now, workerId, leaseMs, limit, maxAttempts }) {
      return claimDue.immediate(now, workerId, leaseMs, limit, maxAttempts).map(claimedRow);
    },
    async complete({ id, workerId, attempts, now }) {
      return work.transaction(() => run('complete', [id, workerId, attempts, now]).changes === 1).immediate();
    },
    async fail({ id, workerId, attempts, runAt, error, maxAttempts }) {
      return work.transaction(() => run('fail', [id, workerId, attempts, runAt, error, maxAttempts]).changes === 1).immediate();
    },
    async redrive({ id, now }) {
      return work.transaction(() => run('redrive', [id, now]).changes).immediate();
    },
    async list({ status, limit }) {
      return all('list', [status, limit]).map(listedRow);
    },
    async counts() {
      return prepared.counts.raw().all().map(([status, count]) => ({ status, count }));
    },
    async close() {
      if (batch.length) commitBatch();
      intake.close();
      work.close();
    },
  };
}
