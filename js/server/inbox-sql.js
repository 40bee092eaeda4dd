// The inbox's SQL, read from the package's sql/ folder: the same files the Rust crate compiles in, so
// a Rust and a Node receiver run the very same statements on one database. The files are split on
// their "-- name: <statement>" lines; comment lines are dropped (a driver prepares one statement).
import { existsSync, readFileSync } from 'node:fs';

/** The package's sql/ folder holds the file: one level above dist/ (the bundle), two above js/server/. */
function sqlFile(name) {
  const bundled = new URL(`../sql/${name}`, import.meta.url);
  return existsSync(bundled) ? bundled : new URL(`../../sql/${name}`, import.meta.url);
}

/**
 * The named statements of one dialect.
 * @param {'postgres' | 'sqlite'} dialect
 * @returns {Record<string, string>} statement name → SQL text
 */
export function loadStatements(dialect) {
  const text = readFileSync(sqlFile(`inbox.${dialect}.sql`), 'utf8');
  const statements = {};
  let name = null;
  let lines = [];
  const flush = () => {
    if (name) statements[name] = lines.join('\n').trim();
  };
  for (const line of text.split('\n')) {
    const header = /^-- name: (\w+)\s*$/.exec(line);
    if (header) {
      flush();
      name = header[1];
      lines = [];
    } else if (!/^\s*--/.test(line)) {
      lines.push(line);
    }
  }
  flush();
  return statements;
}

// The result columns of `claim` and `list`, in the shape inbox.js works with. Number() and Boolean()
// cover both drivers: pg returns BIGINT as a string and BOOLEAN as a boolean, SQLite both as numbers.
const time = (value) => (value == null ? null : Number(value));

/** A row returned by `claim`. */
function claimedRow(r) {
  return {
    id: r.delivery_id,
    type: r.event_type,
    signedAt: Number(r.signed_at),
    receivedAt: Number(r.received_at),
    body: r.body,
    eventId: r.event_id,
    test: Boolean(r.test),
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    identity: r.identity ?? null,
    reconciled: r.reconciled == null ? null : Boolean(r.reconciled),
  };
}

/** A row returned by `list` / `list_status`. */
export function listedRow(r) {
  return {
    id: r.delivery_id,
    type: r.event_type,
    status: r.status,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    receivedAt: Number(r.received_at),
    runAt: time(r.run_at),
    processedAt: time(r.processed_at),
    lastError: r.last_error,
    test: Boolean(r.test),
  };
}

/** A row returned by `get`: the listed columns, the rest of the row, and the stored body. */
export function storedRow(r) {
  return {
    ...listedRow(r),
    signedAt: Number(r.signed_at),
    eventId: r.event_id,
    leaseOwner: r.lease_owner,
    firstRetryMs: Number(r.retry_first_ms),
    maxRetryMs: Number(r.retry_max_ms),
    identity: r.identity ?? null,
    reconciled: r.reconciled == null ? null : Boolean(r.reconciled),
    body: r.body,
  };
}

/** Rows returned by `activity`. */
export function activityRow(r) {
  return { bucket: Number(r.bucket), received: Number(r.received), processed: Number(r.processed) };
}

/** Which `list*` statement serves a filter, and its values (limit last). */
export function listStatement({ status = null, type = null, limit }) {
  if (status != null && type != null) return ['list_status_type', [status, type, limit]];
  if (status != null) return ['list_status', [status, limit]];
  if (type != null) return ['list_type', [type, limit]];
  return ['list', [limit]];
}

/**
 * What `claim` returned: the claimed rows (status 'processing'), with what it did to expired leases:
 * `buried`, the rows it made dead (expired on their last run; not claimed), and `takenOver` (when
 * observed: `expired` is the set of expired leases read before it), the claimed deliveries whose
 * lease had expired.
 */
export function claimedRows(rows, expired) {
  const claimed = rows.filter((r) => r.status !== 'dead').map(claimedRow);
  claimed.buried = rows.length - claimed.length;
  claimed.takenOver = expired ? claimed.filter((r) => expired.has(r.id)).length : 0;
  return claimed;
}

/** A row returned by `lock_get`: the lease and the last run (its report parsed when it is JSON). */
export function lockRow(r) {
  let report = null;
  try {
    report = r.last_report == null ? null : JSON.parse(r.last_report);
  } catch {
    report = null;
  }
  return {
    name: r.name,
    owner: r.owner,
    leaseUntil: Number(r.lease_until),
    lastRunAt: time(r.last_run_at),
    lastOutcome: r.last_outcome,
    lastReport: report,
  };
}
