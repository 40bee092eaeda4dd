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
//
// Never blocking the event loop on another process's lock (issue 16). better-sqlite3 is synchronous:
// with `connect`'s busy_timeout (10 s) a write that meets another process's write lock sleeps inside
// SQLite, on the JS thread, and froze the host's event loop for 3,010 ms in the old test. Two ways out
// were weighed:
//   (a) SQLite on a worker_threads thread: the wait moves off the loop, but every statement pays a
//       postMessage round trip and a structured clone of the body, and the bundle needs a second
//       entry file (dist/ is one file per entry point) plus a thread per inbox;
//   (b) busy_timeout = 0 on our connections and the wait done here, asynchronously: a write that
//       finds the lock taken fails at once with SQLITE_BUSY, and we retry it on a timer (1 ms, then
//       doubling, at most 20 ms apart) until `busyTimeoutMs` has passed (then the intake answers 503).
// Chosen: (b). The loop then only ever blocks for one of our own statements (a commit's fsync, ~4 ms),
// measured in tests/node/inbox-sqlite-lock.test.mjs: longest event-loop stall while another
// connection holds the write lock ≈ 5-15 ms on this 2-core machine (budget 50 ms), against 3,010 ms
// before; the intake answers 200 within a few ms of the lock's release. Group commit is unchanged (the
// intake p99 at 1,000 deliveries/s stays a few ms, bench/node-inbox-intake.mjs). The cost of (b): a
// waiting writer polls instead of queueing inside SQLite, so under heavy contention from another
// process it may wait a little longer than its turn; the cap keeps each poll cheap.
import { activityRow, claimedRows, listedRow, listStatement, loadStatements, lockRow, storedRow } from './inbox-sql.js';

const sql = loadStatements('sqlite');

// better-sqlite3 binds ?1, ?2 … by name: { 1: …, 2: … }.
const numbered = (values) => Object.fromEntries(values.map((value, i) => [i + 1, value]));

const isBusy = (error) => error?.code === 'SQLITE_BUSY' || error?.code === 'SQLITE_BUSY_SNAPSHOT' || error?.code === 'SQLITE_LOCKED';

/** The default wait for another process's write lock before a write fails (the intake answers 503). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Runs `attempt()` (a synchronous better-sqlite3 transaction) until it does not meet SQLITE_BUSY, waiting
 * between tries on a timer (never inside SQLite), at most until `deadline` (Date.now() ms).
 */
async function retryBusy(attempt, deadline) {
  let pause = 1;
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
    pause = Math.min(pause * 2, 20);
  }
}

/**
 * Opens (and creates when missing) the inbox in the SQLite file at `path`.
 * @param {string} path
 * @param {{ busyTimeoutMs?: number }} [options] how long a write waits for another process's lock
 *   before failing (the intake answers 503), ms; default {@link DEFAULT_BUSY_TIMEOUT_MS}
 */
export async function openSqliteStore(path, { busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS } = {}) {
  // Imported here, not at the top: inbox.js is one bundle, and PostgreSQL users need no SQLite driver.
  const { default: Database } = await import('better-sqlite3');
  const deadline = () => Date.now() + busyTimeoutMs;
  const connection = (session) => {
    const db = new Database(path);
    // journal_mode = WAL itself needs the lock on a new file: give the setup statements a short
    // in-SQLite wait (opening is not on a request's path), then none (see the header).
    db.pragma('busy_timeout = 2000');
    for (const name of session) db.exec(sql[name]);
    db.pragma('busy_timeout = 0');
    return db;
  };
  const intake = connection(['connect']);
  await retryBusy(() => intake.exec(sql.schema), deadline());
  // A table made by 0.1 lacks the lifecycle columns, one made by 0.1 or 0.2 the identity columns: add
  // them once (rechecked under the lock, as two processes may start together), then the indexes,
  // which name them.
  for (const [column, upgrade] of [['max_attempts', 'upgrade'], ['identity', 'upgrade_identity']]) {
    const lacks = () => !intake.prepare(sql.columns).pluck().all().includes(column);
    if (lacks()) {
      await retryBusy(() => intake.transaction(() => lacks() && intake.exec(sql[upgrade])).immediate(), deadline());
    }
  }
  await retryBusy(() => intake.exec(sql.indexes), deadline());
  const work = connection(['connect', 'work_session']);

  const prepare = (db, names) => Object.fromEntries(names.map((name) => [name, db.prepare(sql[name])]));
  const prepared = {
    ...prepare(intake, ['insert']),
    ...prepare(work, ['claim', 'heartbeat', 'complete', 'fail', 'redrive', 'purge_processed', 'purge_dead', 'list', 'list_status', 'counts']),
    // Operating the inbox (sql/inbox.sqlite.sql, the end): the dashboard, the metrics, the CLI.
    ...prepare(work, ['get', 'list_type', 'list_status_type', 'oldest_due', 'expired_leases', 'activity']),
    // Reconciliation's lease and last-run record.
    ...prepare(work, ['lock_take', 'lock_release', 'lock_get']),
  };
  const run = (name, values) => prepared[name].run(numbered(values));
  const all = (name, values) => prepared[name].all(numbered(values));
  /** One write transaction on the workers' connection, retried while another process holds the lock. */
  const write = (fn) => retryBusy(() => work.transaction(fn).immediate(), deadline());

  // Group commit: inserts that arrive while a commit is pending share the next one (one fsync).
  // A batch that meets the lock stays queued (new arrivals join it) and is retried on a timer; each
  // insert fails on its own deadline.
  const insertBatch = intake.transaction((rows) => rows.map((row) => run('insert', row).changes === 1));
  let batch = [];
  let scheduled = false;
  let pause = 1;
  let closed = false;
  function schedule(ms) {
    if (scheduled) return;
    scheduled = true;
    const go = () => {
      scheduled = false;
      commitBatch();
    };
    if (ms === 0) setImmediate(go);
    else setTimeout(go, ms);
  }
  function commitBatch() {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    try {
      const stored = insertBatch.immediate(pending.map((p) => p.row));
      pause = 1;
      pending.forEach((p, i) => p.resolve(stored[i]));
    } catch (error) {
      const now = Date.now();
      const retry = isBusy(error) && !closed;
      for (const p of pending) {
        if (retry && now < p.deadline) batch.push(p);
        else p.reject(error);
      }
      if (batch.length) {
        schedule(pause);
        pause = Math.min(pause * 2, 20);
      }
    }
  }

  return {
    dialect: 'sqlite',
    insert(row) {
      return new Promise((resolve, reject) => {
        batch.push({
          row: [row.id, row.type, row.signedAt, row.receivedAt, row.body, row.eventId, row.test ? 1 : 0, row.status,
            row.lastError, row.maxAttempts, row.firstRetryMs, row.maxRetryMs, row.identity ?? null, row.reconciled === true ? 1 : 0],
          deadline: deadline(),
          resolve,
          reject,
        });
        schedule(0);
      });
    },
    async claim({ now, workerId, leaseMs, limit, observe = false }) {
      let expired = null;
      const rows = await write(() => {
        // observe: which expired leases this claim takes over (read in the same write transaction).
        if (observe) expired = new Set(prepared.expired_leases.pluck().all(numbered([now, limit])));
        return all('claim', [now, workerId, leaseMs, limit]);
      });
      return claimedRows(rows, expired);
    },
    async heartbeat({ id, workerId, attempts, until }) {
      return write(() => run('heartbeat', [id, workerId, attempts, until]).changes === 1);
    },
    async complete({ id, workerId, attempts, now }) {
      return write(() => run('complete', [id, workerId, attempts, now]).changes === 1);
    },
    async fail({ id, workerId, attempts, now, error, final }) {
      return write(() => run('fail', [id, workerId, attempts, now, error, final ? 1 : 0]).changes === 1);
    },
    async redrive({ id, now }) {
      return write(() => run('redrive', [id, now]).changes);
    },
    async purgeProcessed({ cutoff, batch: size }) {
      return write(() => run('purge_processed', [cutoff, size]).changes);
    },
    async purgeDead({ id }) {
      return write(() => run('purge_dead', [id]).changes);
    },
    async list({ status, type = null, limit }) {
      const [name, values] = listStatement({ status, type, limit });
      const rows = await retryBusy(() => all(name, values), deadline());
      return rows.map(listedRow);
    },
    async counts() {
      const rows = await retryBusy(() => prepared.counts.raw().all(), deadline());
      return rows.map(([status, count]) => ({ status, count }));
    },
    async get({ id }) {
      const row = await retryBusy(() => prepared.get.get(numbered([id])), deadline());
      return row ? storedRow(row) : null;
    },
    async oldestDue({ now }) {
      const value = await retryBusy(() => prepared.oldest_due.pluck().get(numbered([now])), deadline());
      return value == null ? null : Number(value);
    },
    async activity({ since, bucketMs }) {
      return (await retryBusy(() => all('activity', [since, bucketMs]), deadline())).map(activityRow);
    },
    async lockTake({ name, owner, now, until, due }) {
      return write(() => all('lock_take', [name, owner, now, until, due]).length === 1);
    },
    async lockRelease({ name, owner, now, outcome, report }) {
      return write(() => run('lock_release', [name, owner, now, outcome, report]).changes === 1);
    },
    async lockGet({ name }) {
      const row = await retryBusy(() => prepared.lock_get.get(numbered([name])), deadline());
      return row ? lockRow(row) : null;
    },
    /** EXPLAIN QUERY PLAN of a named statement (tests: the plans use the indexes). */
    plan(name, values) {
      return work.prepare(`EXPLAIN QUERY PLAN ${sql[name]}`).all(numbered(values)).map((r) => r.detail).join('\n');
    },
    async close() {
      closed = true;
      // Inserts still queued get one last try (their answers are awaited by the intake).
      if (batch.length) commitBatch();
      for (const p of batch) p.reject(new Error('inbox closed'));
      batch = [];
      intake.close();
      work.close();
    },
  };
}
