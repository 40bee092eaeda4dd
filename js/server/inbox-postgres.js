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
// The workers' writes are batched the same way (issue 16, "keep the worker cheap"): completes requested
// within COMPLETE_GATHER_MS, or while one batch is in flight, go together as one `complete` statement
// (it takes arrays: one plan and one round trip for the batch); fails and heartbeats, rarer, as one
// simple-protocol query string (the shared statements, each with its values inlined as escaped
// literals: one round trip, each statement's own row count); and a claim is one statement (it buries
// expired last runs too). At 1,000 deliveries/s on this 2-core machine, one round trip per complete
// left the worker behind (complete ~18 ms each through a 10-connection pool, the backlog grew to a
// p50 over 1 s).
import { activityRow, claimedRows, listedRow, listStatement, loadStatements, lockRow, storedRow } from './inbox-sql.js';

const sql = loadStatements('postgres');

const MAX_BATCH_ROWS = 100;
// Two statements in flight: one being committed while the next one fills up (measured with
// bench/node-inbox-intake.mjs: see CONTRIBUTING.md, Decisions, measured).
const BATCHES_IN_FLIGHT = 2;
const INSERT_PARAMS = 14;
// Completes wait this long to go together: a run's outcome is not on any delivery's path (the handler
// has run; the lease only has to end before it expires), and each round trip costs the worker's one
// thread a socket write and read. Measured draining 3,000 stored deliveries with 10 no-op handlers:
// 3,500-4,000/s with the completes of each claim sent at once, 4,800-5,100/s gathered for 10 ms.
const COMPLETE_GATHER_MS = 10;

/**
 * Gathers the calls of one turn of the event loop (or of `gatherMs`) into batches: `add(item)` resolves
 * with the item's own result once `run(items)` (which returns one result per item, in order) has
 * settled; at most BATCHES_IN_FLIGHT batches of MAX_BATCH_ROWS run at once, later items wait for the
 * next one. A failed batch rejects each of its items.
 */
function batcher(run, { gatherMs = 0 } = {}) {
  let queue = [];
  let inFlight = 0;
  function flush() {
    while (queue.length > 0 && inFlight < BATCHES_IN_FLIGHT) {
      const pending = queue.splice(0, MAX_BATCH_ROWS);
      inFlight++;
      run(pending.map((p) => p.item))
        .then(
          (results) => pending.forEach((p, i) => p.resolve(results[i])),
          (error) => pending.forEach((p) => p.reject(error)),
        )
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  }
  return (item) =>
    new Promise((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (queue.length !== 1) return;
      if (gatherMs > 0) setTimeout(flush, gatherMs);
      else queueMicrotask(flush);
    });
}

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

  // Worker writes, batched: see the header. Fails and heartbeats: each resolves with its row count.
  const escapeLiteral = (text) => pg.Client.prototype.escapeLiteral.call(null, text);
  const batchedWrite = batcher(async (writes) => {
    const result = await work.query(writes.map((w) => inlined(sql[w.name], w.values, escapeLiteral)).join(';\n'));
    return (Array.isArray(result) ? result : [result]).map((r) => r.rowCount);
  });
  // Completes: each resolves with whether its outcome was recorded (its lease was still held).
  const batchedComplete = batcher(async (runs) => {
    // One worker id per statement: a process may run several workers (inbox.start twice).
    const recorded = new Set();
    for (const workerId of new Set(runs.map((r) => r.workerId))) {
      const mine = runs.filter((r) => r.workerId === workerId);
      const values = [mine.map((r) => r.id), workerId, mine.map((r) => r.attempts), mine.map((r) => r.now)];
      const result = await query('complete', values);
      for (const row of result.rows) recorded.add(`${workerId}\0${row.delivery_id}`);
    }
    return runs.map((r) => recorded.has(`${r.workerId}\0${r.id}`));
  }, { gatherMs: COMPLETE_GATHER_MS });

  const inserts = new Map(); // rows → statement text
  const batchedInsert = batcher(async (rows) => {
    const n = rows.length;
    if (!inserts.has(n)) inserts.set(n, multiInsert(n));
    const result = await intake.query({ name: `coassemble_inbox_insert_${n}`, text: inserts.get(n), values: rows.flat() });
    const stored = new Set(result.rows.map((r) => r.delivery_id));
    // A delivery id twice in one batch: the first is the stored one, the other a duplicate.
    return rows.map((row) => stored.delete(row[0]));
  });

  return {
    dialect: 'postgres',
    insert(row) {
      // Deliveries of this turn of the event loop join one statement when none is in flight.
      return batchedInsert([row.id, row.type, row.signedAt, row.receivedAt, row.body, row.eventId, row.test, row.status,
        row.lastError, row.maxAttempts, row.firstRetryMs, row.maxRetryMs, row.identity ?? null, row.reconciled === true]);
    },
    async claim({ now, workerId, leaseMs, limit, observe = false }) {
      // observe (metrics): first which expired leases this claim may take over (expired_leases), in
      // the same round trip and implicit transaction.
      const values = [now, workerId, leaseMs, limit];
      if (!observe) return claimedRows((await query('claim', values)).rows, null);
      const statements = [inlined(sql.expired_leases, [now, limit], escapeLiteral), inlined(sql.claim, values, escapeLiteral)];
      const [found, claimed] = await work.query(statements.join(';\n'));
      return claimedRows(claimed.rows, new Set(found.rows.map((r) => r.delivery_id)));
    },
    async heartbeat({ id, workerId, attempts, until }) {
      return (await batchedWrite({ name: 'heartbeat', values: [id, workerId, attempts, until] })) === 1;
    },
    complete({ id, workerId, attempts, now }) {
      return batchedComplete({ id, workerId, attempts, now });
    },
    async fail({ id, workerId, attempts, now, error, final }) {
      return (await batchedWrite({ name: 'fail', values: [id, workerId, attempts, now, error, final] })) === 1;
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
