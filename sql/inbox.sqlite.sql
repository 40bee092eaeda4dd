-- The webhook inbox, SQLite dialect (3.35+ for RETURNING). One schema and one set of statements for
-- every receiver: the Rust crate (include_str!) and the Node package (read at run time) both load this
-- file, so a Rust and a Node receiver can serve one database. Keep it in step with inbox.postgres.sql
-- (same statement names, same parameters in the same order); the conformance suite
-- (tests/inbox_conformance/) runs both languages against both dialects.
--
-- A delivery's life, kept on its row (status): see inbox.postgres.sql, which says it once. In short:
-- received → processing (leased, heartbeats) → processed | failed (backoff) → … → dead. max_attempts
-- and the retry schedule are the row's, written by the intake.
-- Times are unix milliseconds from the application's clock. Unique keys (delivery_id; event_id when not
-- a test; identity) and the reconciled flag: see inbox.postgres.sql, which says it once.
-- Statements are separated by lines "-- name: <statement>"; ?n are positional parameters.
-- SQLite has no SKIP LOCKED: its writers are serialised (run each write in BEGIN IMMEDIATE, WAL mode),
-- so the single UPDATE ... RETURNING below is the claim, atomic across processes on one machine.

-- name: connect
-- Run on every new connection. WAL lets readers and one writer work at once across processes;
-- synchronous FULL makes a commit durable (fsync) before the intake answers 2xx. busy_timeout is how
-- long a write waits inside SQLite for another process's lock; a receiver may set its own after this.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA busy_timeout = 10000;

-- name: work_session
-- Run after connect on the connections that claim, complete, fail, re-drive and list (not on the
-- intake's). Only the intake's commit must be on disk before an answer: a claim or an outcome lost
-- in a crash is redone (the lease expires; the handler runs again, at least once as documented). In
-- WAL mode NORMAL still survives a crash of the process; only an OS crash can lose the last commits.
PRAGMA synchronous = NORMAL;

-- name: schema
CREATE TABLE IF NOT EXISTS coassemble_webhook_inbox (
  delivery_id  TEXT PRIMARY KEY,
  event_type   TEXT NOT NULL,
  signed_at    INTEGER NOT NULL,
  received_at  INTEGER NOT NULL,
  body         BLOB NOT NULL,
  event_id     TEXT,
  test         INTEGER NOT NULL DEFAULT 0,
  status       TEXT NOT NULL DEFAULT 'received'
               CHECK (status IN ('received', 'processing', 'processed', 'failed', 'dead')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  run_at       INTEGER NOT NULL,
  lease_owner  TEXT,
  last_error   TEXT,
  processed_at INTEGER,
  max_attempts   INTEGER NOT NULL DEFAULT 10,
  retry_first_ms INTEGER NOT NULL DEFAULT 10000,
  retry_max_ms   INTEGER NOT NULL DEFAULT 3600000,
  identity       TEXT,
  reconciled     INTEGER
);
CREATE TABLE IF NOT EXISTS coassemble_webhook_inbox_lock (
  name          TEXT PRIMARY KEY,
  owner         TEXT,
  lease_until   INTEGER NOT NULL DEFAULT 0,
  last_run_at   INTEGER,
  last_outcome  TEXT,
  last_report   TEXT
);

-- name: columns
-- The table's columns: a table made by 0.1 lacks max_attempts (run `upgrade`, then `upgrade_identity`);
-- one made by 0.2 lacks identity (run `upgrade_identity`). Each inside BEGIN IMMEDIATE, rechecked there.
SELECT name FROM pragma_table_info('coassemble_webhook_inbox');

-- name: upgrade
-- Brings a table made by 0.1 up to date (SQLite has no ADD COLUMN IF NOT EXISTS: run it only when
-- `columns` lacks max_attempts, inside BEGIN IMMEDIATE). Its rows get the default lifecycle.
ALTER TABLE coassemble_webhook_inbox ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 10;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN retry_first_ms INTEGER NOT NULL DEFAULT 10000;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN retry_max_ms INTEGER NOT NULL DEFAULT 3600000;

-- name: upgrade_identity
-- Adds the identity and reconciled columns to a table that lacks them (made by 0.1 or 0.2).
ALTER TABLE coassemble_webhook_inbox ADD COLUMN identity TEXT;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN reconciled INTEGER;

-- name: indexes
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_due ON coassemble_webhook_inbox (run_at)
  WHERE status IN ('received', 'processing', 'failed');
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_status ON coassemble_webhook_inbox (status, received_at, delivery_id);
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_received ON coassemble_webhook_inbox (received_at, delivery_id);
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_retention ON coassemble_webhook_inbox (processed_at)
  WHERE status = 'processed';
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_type ON coassemble_webhook_inbox (event_type, received_at, delivery_id);
CREATE UNIQUE INDEX IF NOT EXISTS coassemble_webhook_inbox_event ON coassemble_webhook_inbox (event_id)
  WHERE event_id IS NOT NULL AND NOT test;
CREATE UNIQUE INDEX IF NOT EXISTS coassemble_webhook_inbox_identity ON coassemble_webhook_inbox (identity)
  WHERE identity IS NOT NULL;

-- name: insert
-- ?1 delivery_id, ?2 event_type, ?3 signed_at (s), ?4 received_at (ms), ?5 body, ?6 event_id,
-- ?7 test, ?8 status ('received', or 'dead' for a body that is not JSON), ?9 last_error,
-- ?10 max_attempts, ?11 retry_first_ms, ?12 retry_max_ms (the intake's lifecycle options),
-- ?13 identity (NULL: none), ?14 reconciled (0 from an intake, 1 from reconciliation).
-- No conflict target: DO NOTHING covers every unique key (delivery_id, event_id, identity).
-- One row affected: stored now. None: a known delivery id (a retry): answer 200, store nothing.
INSERT INTO coassemble_webhook_inbox
  (delivery_id, event_type, signed_at, received_at, body, event_id, test, status, attempts, run_at,
   last_error, max_attempts, retry_first_ms, retry_max_ms, identity, reconciled)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?4, ?9, ?10, ?11, ?12, ?13, ?14)
ON CONFLICT DO NOTHING;

-- name: claim
-- ?1 now (ms), ?2 worker id, ?3 lease (ms), ?4 how many (the worker's free slots). Returns the rows it
-- changed: status 'processing' claimed, 'dead' buried (a lease that expired on the row's last allowed
-- run; see inbox.postgres.sql). INDEXED BY: without
-- statistics SQLite would pick the status index and sort every due row; the due index is in run_at order.
UPDATE coassemble_webhook_inbox
SET status = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN 'dead' ELSE 'processing' END,
    attempts = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN attempts ELSE attempts + 1 END,
    lease_owner = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN NULL ELSE ?2 END,
    run_at = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN run_at ELSE ?1 + ?3 END,
    last_error = CASE WHEN status = 'processing' AND attempts >= max_attempts
                      THEN 'lease expired on run ' || attempts || ' (worker died or hung)' ELSE last_error END
WHERE delivery_id IN (
  SELECT delivery_id FROM coassemble_webhook_inbox INDEXED BY coassemble_webhook_inbox_due
  WHERE status IN ('received', 'processing', 'failed') AND run_at <= ?1
  ORDER BY run_at
  LIMIT ?4)
RETURNING delivery_id, event_type, signed_at, received_at, body, event_id, test, attempts, max_attempts,
          identity, reconciled, status;

-- name: heartbeat
-- ?1 delivery_id, ?2 worker id, ?3 attempts (as claimed), ?4 the lease's new end (ms).
UPDATE coassemble_webhook_inbox
SET run_at = ?4
WHERE delivery_id = ?1 AND lease_owner = ?2 AND attempts = ?3 AND status = 'processing';

-- name: complete
-- ?1 delivery_id, ?2 worker id, ?3 attempts (as claimed: the lease's fencing token), ?4 now (ms).
UPDATE coassemble_webhook_inbox
SET status = 'processed', processed_at = ?4, lease_owner = NULL, last_error = NULL
WHERE delivery_id = ?1 AND lease_owner = ?2 AND attempts = ?3 AND status = 'processing';

-- name: fail
-- ?1 delivery_id, ?2 worker id, ?3 attempts (as claimed), ?4 now (ms), ?5 error text, ?6 final
-- (1: dead now). Backoff: retry_first_ms * 2^(attempts - 1), at most retry_max_ms.
UPDATE coassemble_webhook_inbox
SET status = CASE WHEN ?6 OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
    run_at = ?4 + MIN(retry_first_ms << MIN(MAX(attempts - 1, 0), 40), retry_max_ms),
    lease_owner = NULL, last_error = ?5
WHERE delivery_id = ?1 AND lease_owner = ?2 AND attempts = ?3 AND status = 'processing';

-- name: redrive
-- ?1 delivery_id, or NULL for every dead delivery; ?2 now (ms).
UPDATE coassemble_webhook_inbox
SET status = 'received', attempts = 0, run_at = ?2, lease_owner = NULL
WHERE status = 'dead' AND (?1 IS NULL OR delivery_id = ?1);

-- name: purge_processed
-- ?1 cutoff (ms): processed before it; ?2 batch size. Retention in bounded batches.
DELETE FROM coassemble_webhook_inbox
WHERE delivery_id IN (
  SELECT delivery_id FROM coassemble_webhook_inbox INDEXED BY coassemble_webhook_inbox_retention
  WHERE status = 'processed' AND processed_at < ?1
  ORDER BY processed_at
  LIMIT ?2);

-- name: purge_dead
-- ?1 delivery_id, or NULL for every dead delivery. Only by an explicit call.
DELETE FROM coassemble_webhook_inbox
WHERE status = 'dead' AND (?1 IS NULL OR delivery_id = ?1);

-- name: list
-- ?1 limit. Every delivery, newest first (the received_at index).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
ORDER BY received_at DESC, delivery_id DESC
LIMIT ?1;

-- name: list_status
-- ?1 status, ?2 limit. The deliveries in one status, newest first (the status index).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
WHERE status = ?1
ORDER BY received_at DESC, delivery_id DESC
LIMIT ?2;

-- name: counts
-- One index probe per status (the status index).
SELECT s.status, (SELECT count(*) FROM coassemble_webhook_inbox i WHERE i.status = s.status) AS count
FROM (SELECT 'received' AS status UNION ALL SELECT 'processing' UNION ALL SELECT 'processed'
      UNION ALL SELECT 'failed' UNION ALL SELECT 'dead') AS s;

-- ---- Operating the inbox (the dashboard, the metrics and the `coassemble-events inbox` CLI) ----
-- Read-only statements, run on the workers' connections. The type index above serves list_type and
-- list_status_type; the others use the indexes every receiver already has.

-- name: get
-- ?1 delivery_id. One delivery with its stored body (the dashboard's detail view; the primary key).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test, signed_at, event_id, lease_owner, retry_first_ms, retry_max_ms, body, identity,
       reconciled
FROM coassemble_webhook_inbox
WHERE delivery_id = ?1;

-- name: list_type
-- ?1 event_type, ?2 limit. The deliveries of one event type, newest first (the type index).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
WHERE event_type = ?1
ORDER BY received_at DESC, delivery_id DESC
LIMIT ?2;

-- name: list_status_type
-- ?1 status, ?2 event_type, ?3 limit. One status and one event type, newest first (the type index,
-- in received_at order; the status is filtered on the way).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
WHERE event_type = ?2 AND status = ?1
ORDER BY received_at DESC, delivery_id DESC
LIMIT ?3;

-- name: oldest_due
-- ?1 now (ms). When the longest-waiting due delivery became due (NULL: none is due): new, failed and
-- due, or with an expired lease. now - run_at is how far the workers are behind (the due index:
-- INDEXED BY, as with statistics SQLite would probe the status index and read every waiting row).
SELECT min(run_at) AS run_at
FROM coassemble_webhook_inbox INDEXED BY coassemble_webhook_inbox_due
WHERE status IN ('received', 'processing', 'failed') AND run_at <= ?1;

-- name: expired_leases
-- ?1 now (ms), ?2 limit. Deliveries whose lease has expired (their worker died or hung): read just
-- before a claim by a process that counts leases taken over (the due index: SQLite uses a partial
-- index only when the query repeats its WHERE term, hence the IN).
SELECT delivery_id
FROM coassemble_webhook_inbox INDEXED BY coassemble_webhook_inbox_due
WHERE status IN ('received', 'processing', 'failed') AND status = 'processing' AND run_at <= ?1
LIMIT ?2;

-- name: activity
-- ?1 since (ms), ?2 bucket width (ms). Deliveries received, and processed, per bucket since ?1
-- (bucket = the bucket's start, ms), oldest first; empty buckets are absent. Processed deliveries
-- past their retention are gone, so keep the window within retentionMs. The received and retention
-- indexes: each half is an index range scan.
SELECT bucket, sum(received) AS received, sum(processed) AS processed
FROM (
  SELECT received_at - received_at % ?2 AS bucket, 1 AS received, 0 AS processed
  FROM coassemble_webhook_inbox
  WHERE received_at >= ?1
  UNION ALL
  SELECT processed_at - processed_at % ?2 AS bucket, 0 AS received, 1 AS processed
  FROM coassemble_webhook_inbox INDEXED BY coassemble_webhook_inbox_retention
  WHERE status = 'processed' AND processed_at >= ?1
) AS a
GROUP BY bucket
ORDER BY bucket;


-- ---- Reconciliation: the lock and the last-run record (see inbox.postgres.sql) ----

-- name: lock_take
-- ?1 name, ?2 owner, ?3 now (ms), ?4 lease end (ms), ?5 due (ms: the last run ended at or before it).
-- One row returned: taken; none: held by another, or the last run is recent.
INSERT INTO coassemble_webhook_inbox_lock (name, owner, lease_until)
VALUES (?1, ?2, ?4)
ON CONFLICT (name) DO UPDATE SET owner = ?2, lease_until = ?4
WHERE (coassemble_webhook_inbox_lock.lease_until <= ?3 OR coassemble_webhook_inbox_lock.owner = ?2)
  AND (coassemble_webhook_inbox_lock.last_run_at IS NULL OR coassemble_webhook_inbox_lock.last_run_at <= ?5)
RETURNING name, last_run_at;

-- name: lock_release
-- ?1 name, ?2 owner, ?3 now (ms), ?4 outcome, ?5 report (JSON text).
UPDATE coassemble_webhook_inbox_lock
SET lease_until = 0, owner = NULL, last_run_at = ?3, last_outcome = ?4, last_report = ?5
WHERE name = ?1 AND owner = ?2;

-- name: lock_get
-- ?1 name. The lease and the last run.
SELECT name, owner, lease_until, last_run_at, last_outcome, last_report
FROM coassemble_webhook_inbox_lock
WHERE name = ?1;
