// The inbox on PostgreSQL, through `pg` (an optional peer dependency: inbox.js imports this file only
// when DATABASE_URL is postgres://…). Many receivers on many machines share one table: the primary
// key dedupes intakes, and `claim` takes rows with FOR UPDATE SKIP LOCKED, so two workers never hold
// one lease.
//
// Group commit at intake (issue 16): concurrent receive() calls are gathered into one multi-row
// `insert … RETURNING delivery_id` (the shared `insert` statement's VALUES tuple repeated), so N
// deliveries that arrive together cost one round trip and one WAL flush instead of N. Same
// durability as one INSERT each: every caller is answered only after the statement that holds its
// row has committed (autocommit, synchronous_commit on). At most INTAKE_BATCHES_IN_FLIGHT such
// statements run at once; deliveries arriving meanwhile wait for the next one (at most
// MAX_BATCH_ROWS rows each).
//
// The workers' writes are batched the same way (issue 16, "keep the worker cheap"): completes, fails
// and heartbeats that are requested while one batch is in flight go together as one simple-protocol
// query string (the shared statements, each with its values inlined as escaped literals: one round
// trip, each statement's own row count), and a claim is `bury_expired; claim` in one round trip. At
// 1,000 deliveries/s on this 2-core machine, one round trip per complete left the worker behind
// (complete ~18 ms each through a 10-connection pool, the backlog grew to a p50 over 1 s).
import { activityRow, claimedRow, listedRow, listStatement, loadStatements, lockRow, storedRow, withLeases } from './inbox-sql.js';

const sql = loadStatements('postgres');

const MAX_BATCH_ROWS = 100;
// Two statements in flight: one being committed while the next one fills up (measured with
// bench/node-inbox-intake.mjs: see CONTRIBUTING.md, Decisions, measured).
const INTAKE_BATCHES_IN_FLIGHT = 2;
const INSERT_PARAMS = 14;

/** The `insert` statement for `rows` rows: its VALUES tuple repeated, $n renumbered, ids returned. */
function multiInsert(rows) {
  const text = sql.insert;
  const start = text.indexOf('VALUES (');
  const end = text.indexOf(')', start);
  const tuple = text.slice(start + 'VALUES '.length, end + 1);
  const tuples = Array.from({ length: rows }, (_, r) => tuple.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + r * INSERT_PARAMS}`));
  return `${text.slice(0, start)}VALUES ${tuples.join(',\n  ')}${text.slice(end + 1).replace(/;?\s*$/, '')}\nRETURNING delivery_id`;
}

/** A value as an SQL literal (the statements take text, integers, booleans and NULL). */
function literal(value, escapeLiteral) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`inbox: ${value} is not an integer`);
    return String(value);
  }
  return escapeLiteral(String(value));
}

/** A shared statement with its $n parameters replaced by literals (for a multi-statement string). */
function inlined(text, values, escapeLiteral) {
  return text.replace(/\$(\d+)/g, (_, n) => literal(values[Number(n) - 1], escapeLiteral));
}

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
  // Bounded waits, the Rust inbox's defaults: a database that does not answer fails the intake with
  // 503 (Coassemble retries) instead of holding the request past Coassemble's 10 s timeout. TLS comes
  // from the URL (`sslmode=verify-full&sslrootcert=/path/ca.pem`, read by pg-connection-string).
  const bounded = { connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000, statement_timeout: 10_000 };
  const intake = new pg.Pool(bounded);
  const work = new pg.Pool({
    ...bounded,
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

  // Worker writes (complete, fail, heartbeat), batched: see the header.
  const escapeLiteral = (text) => pg.Client.prototype.escapeLiteral.call(null, text);
  let writes = [];
  let writesInFlight = 0;
  function flushWrites() {
    while (writes.length > 0 && writesInFlight < 2) {
      const pending = writes.splice(0, MAX_BATCH_ROWS);
      writesInFlight++;
      const text = pending.map((w) => inlined(sql[w.name], w.values, escapeLiteral)).join(';\n');
      work
        .query(text)
        .then(
          (result) => {
            const results = Array.isArray(result) ? result : [result];
            pending.forEach((w, i) => w.resolve(results[i].rowCount));
          },
          (error) => pending.forEach((w) => w.reject(error)),
        )
        .finally(() => {
          writesInFlight--;
          flushWrites();
        });
    }
  }
  const batchedWrite = (name, values) =>
    new Promise((resolve, reject) => {
      writes.push({ name, values, resolve, reject });
      if (writes.length === 1) queueMicrotask(flushWrites);
    });

  const inserts = new Map(); // rows → statement text
  let queue = [];
  let inFlight = 0;
  function flush() {
    while (queue.length > 0 && inFlight < INTAKE_BATCHES_IN_FLIGHT) {
      const pending = queue.splice(0, MAX_BATCH_ROWS);
      inFlight++;
      const n = pending.length;
      if (!inserts.has(n)) inserts.set(n, multiInsert(n));
      intake
        .query({ name: `coassemble_inbox_insert_${n}`, text: inserts.get(n), values: pending.flatMap((p) => p.row) })
        .then(
          (result) => {
            const stored = new Set(result.rows.map((r) => r.delivery_id));
            // A delivery id twice in one batch: the first is the stored one, the other a duplicate.
            for (const p of pending) p.resolve(stored.delete(p.row[0]));
          },
          (error) => pending.forEach((p) => p.reject(error)),
        )
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  }

  return {
    dialect: 'postgres',
    insert(row) {
      return new Promise((resolve, reject) => {
        queue.push({
          row: [row.id, row.type, row.signedAt, row.receivedAt, row.body, row.eventId, row.test, row.status, row.lastError,
            row.maxAttempts, row.firstRetryMs, row.maxRetryMs, row.identity ?? null, row.reconciled === true],
          resolve,
          reject,
        });
        // Deliveries of this turn of the event loop join one statement when none is in flight.
        if (queue.length === 1) queueMicrotask(flush);
      });
    },
    async claim({ now, workerId, leaseMs, limit, observe = false }) {
      // One round trip, one implicit transaction: bury_expired, then claim. observe (metrics): first
      // which expired leases this claim may take over (expired_leases), and how many were buried.
      const statements = [inlined(sql.bury_expired, [now], escapeLiteral), inlined(sql.claim, [now, workerId, leaseMs, limit], escapeLiteral)];
      if (observe) statements.unshift(inlined(sql.expired_leases, [now, limit], escapeLiteral));
      const results = await work.query(statements.join(';\n'));
      const [buried, claimed] = results.slice(-2);
      const expired = observe ? new Set(results[0].rows.map((r) => r.delivery_id)) : null;
      return withLeases(claimed.rows.map(claimedRow), expired, buried.rowCount);
    },
    async heartbeat({ id, workerId, attempts, until }) {
      return (await batchedWrite('heartbeat', [id, workerId, attempts, until])) === 1;
    },
    async complete({ id, workerId, attempts, now }) {
      return (await batchedWrite('complete', [id, workerId, attempts, now])) === 1;
    },
    async fail({ id, workerId, attempts, now, error, final }) {
      return (await batchedWrite('fail', [id, workerId, attempts, now, error, final])) === 1;
    },
    async redrive({ id, now }) {
      return (await query('redrive', [id, now])).rowCount;
    },
    async purgeProcessed({ cutoff, batch }) {
      return (await query('purge_processed', [cutoff, batch])).rowCount;
    },
    async purgeDead({ id }) {
      return (await query('purge_dead', [id])).rowCount;
    },
    async list({ status, type = null, limit }) {
      const [name, values] = listStatement({ status, type, limit });
      return (await query(name, values)).rows.map(listedRow);
    },
    async get({ id }) {
      const row = (await query('get', [id])).rows[0];
      return row ? storedRow(row) : null;
    },
    async oldestDue({ now }) {
      const value = (await query('oldest_due', [now])).rows[0]?.run_at;
      return value == null ? null : Number(value);
    },
    async activity({ since, bucketMs }) {
      return (await query('activity', [since, bucketMs])).rows.map(activityRow);
    },
    async counts() {
      return (await query('counts', [])).rows.map((r) => ({ status: r.status, count: Number(r.count) }));
    },
    async lockTake({ name, owner, now, until, due }) {
      return (await query('lock_take', [name, owner, now, until, due])).rows.length === 1;
    },
    async lockRelease({ name, owner, now, outcome, report }) {
      return (await query('lock_release', [name, owner, now, outcome, report])).rowCount === 1;
    },
    async lockGet({ name }) {
      const row = (await query('lock_get', [name])).rows[0];
      return row ? lockRow(row) : null;
    },
    /** EXPLAIN of a named statement (tests: the plans use the indexes). */
    async plan(name, values) {
      const client = await work.connect();
      try {
        // Bound values, as a prepared statement would run them (a generic plan is not forced).
        const result = await client.query({ text: `EXPLAIN ${sql[name]}`, values });
        return result.rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        client.release();
      }
    },
    /** Runs SQL on the workers' pool (tests: ANALYZE). */
    raw: (text, values) => work.query(text, values),
    close: end,
  };
}
