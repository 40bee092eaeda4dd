-- The webhook inbox, PostgreSQL dialect. One schema and one set of statements for every receiver:
-- the Rust crate (include_str!) and the Node package (read at run time) both load this file, so a Rust
-- and a Node receiver can serve one database. Keep it in step with inbox.sqlite.sql (same statement
-- names, same parameters in the same order; `complete` takes arrays here: a batch); the conformance
-- suite (tests/inbox_conformance/) runs both languages against both dialects.
--
-- A delivery's life, kept on its row (status):
--   received    stored by the intake (the 2xx was sent after this row was committed); claimable
--   processing  a worker runs it under a lease until run_at (renewed by heartbeats while the handler
--               runs); a lease that expires makes it claimable again (or dead on its last attempt)
--   processed   the handler returned; removed after the retention period (purge_processed)
--   failed      the handler threw or timed out; claimable again at run_at (the row's backoff)
--   dead        failed max_attempts times, or unprocessable (not JSON): kept until re-driven or purged
-- The lifecycle is decided on the row: max_attempts and the retry schedule (retry_first_ms doubling on
-- each failed run, at most retry_max_ms) are written by the intake, so every worker of a mixed fleet,
-- in any language and with any options, runs a delivery the same number of times with the same waits.
-- Times are unix milliseconds from the application's clock (leases are tens of seconds; skew between
-- machines is far smaller).
-- Unique keys (inserting a row that meets any of them is a no-op: `insert` is ON CONFLICT DO NOTHING):
--   delivery_id  the X-Coassemble-Delivery header (a retry of a delivery);
--   event_id     the signed body's event id, when there is one and the delivery is not a test (the
--                same signed event re-sent under a new delivery id);
--   identity     `<event type>:<course id>:<learner>` for course.commenced / course.completed, which
--                fire once per learner per course (computed by the crate's WebhookEvent::identity,
--                the one rule; NULL for other events and test deliveries): a webhook and the delivery
--                that reconciliation rebuilt from the trackings API for the same event are one row,
--                whichever came first. Kept only as long as the row: processed rows are purged after
--                the retention period, so reconciliation only looks at events younger than it.
--   reconciled   TRUE on a row that reconciliation stored (no webhook was received for it); FALSE for
--                a webhook; NULL on rows stored before this column existed.
-- Statements are separated by lines "-- name: <statement>"; $n are positional parameters.

-- name: work_session
-- Run on the connections that claim, complete, fail, re-drive and list (not on the intake's). Only
-- the intake's commit must be durable before an answer: a claim or an outcome lost in a crash is
-- redone (the lease expires; the handler runs again, at least once as documented), so these commits
-- need not wait for the WAL flush.
SET synchronous_commit = off;

-- name: schema
-- Run as one batch (one implicit transaction); the advisory lock serialises instances that start at
-- the same moment (CREATE ... IF NOT EXISTS alone races on the catalog). The ALTERs bring a table made
-- by 0.1 (no lifecycle columns) up to date; its rows get the default lifecycle.
SELECT pg_advisory_xact_lock(7262617);
CREATE TABLE IF NOT EXISTS coassemble_webhook_inbox (
  delivery_id    TEXT PRIMARY KEY,
  event_type     TEXT NOT NULL,
  signed_at      BIGINT NOT NULL,
  received_at    BIGINT NOT NULL,
  body           BYTEA NOT NULL,
  event_id       TEXT,
  test           BOOLEAN NOT NULL DEFAULT FALSE,
  status         TEXT NOT NULL DEFAULT 'received'
                 CHECK (status IN ('received', 'processing', 'processed', 'failed', 'dead')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  run_at         BIGINT NOT NULL,
  lease_owner    TEXT,
  last_error     TEXT,
  processed_at   BIGINT
);
ALTER TABLE coassemble_webhook_inbox ADD COLUMN IF NOT EXISTS max_attempts INTEGER NOT NULL DEFAULT 10;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN IF NOT EXISTS retry_first_ms BIGINT NOT NULL DEFAULT 10000;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN IF NOT EXISTS retry_max_ms BIGINT NOT NULL DEFAULT 3600000;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN IF NOT EXISTS identity TEXT;
ALTER TABLE coassemble_webhook_inbox ADD COLUMN IF NOT EXISTS reconciled BOOLEAN;
-- A table that already holds two non-test rows of one signed event id cannot get this index (the
-- schema batch fails, naming it): remove the extra rows (SELECT event_id, count(*) ... GROUP BY
-- event_id HAVING count(*) > 1) and open again. Rows stored before identity existed have none.
CREATE UNIQUE INDEX IF NOT EXISTS coassemble_webhook_inbox_event ON coassemble_webhook_inbox (event_id)
  WHERE event_id IS NOT NULL AND NOT test;
CREATE UNIQUE INDEX IF NOT EXISTS coassemble_webhook_inbox_identity ON coassemble_webhook_inbox (identity)
  WHERE identity IS NOT NULL;
-- Reconciliation's lock and last-run record (one row per name): the lease row decides which instance
-- of a fleet runs a scheduled reconciliation (lock_take), the others skip that round.
CREATE TABLE IF NOT EXISTS coassemble_webhook_inbox_lock (
  name          TEXT PRIMARY KEY,
  owner         TEXT,
  lease_until   BIGINT NOT NULL DEFAULT 0,
  last_run_at   BIGINT,
  last_outcome  TEXT,
  last_report   TEXT
);
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_due ON coassemble_webhook_inbox (run_at)
  WHERE status IN ('received', 'processing', 'failed');
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_status ON coassemble_webhook_inbox (status, received_at, delivery_id);
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_received ON coassemble_webhook_inbox (received_at, delivery_id);
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_retention ON coassemble_webhook_inbox (processed_at)
  WHERE status = 'processed';
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_type ON coassemble_webhook_inbox (event_type, received_at, delivery_id);

-- name: insert
-- $1 delivery_id, $2 event_type, $3 signed_at (s), $4 received_at (ms), $5 body, $6 event_id,
-- $7 test, $8 status ('received', or 'dead' for a body that is not JSON), $9 last_error,
-- $10 max_attempts, $11 retry_first_ms, $12 retry_max_ms (the intake's lifecycle options),
-- $13 identity (NULL: none), $14 reconciled (FALSE from an intake, TRUE from reconciliation).
-- One row affected: stored now. None: a known delivery (its delivery id, signed event id or identity
-- is on a row already: a retry, a re-send, or the twin of a reconciled delivery): answer 200, store
-- nothing. No conflict target: DO NOTHING covers every unique key above.
-- Both intakes group-commit with it (one rule, js/server/inbox-postgres.js multiInsert and
-- src/webhook/inbox/postgres.rs multi_insert): for n rows, the VALUES (...) tuple (up to its first `)`)
-- is repeated n times, row r's (from 0) $k renumbered $(k + 14 r), the rest of the statement kept and
-- `RETURNING delivery_id` appended: the ids returned were stored; a delivery id twice in one statement:
-- the first is stored, the other a duplicate. Keep the tuple free of `)` inside it and 14 parameters.
INSERT INTO coassemble_webhook_inbox
  (delivery_id, event_type, signed_at, received_at, body, event_id, test, status, attempts, run_at,
   last_error, max_attempts, retry_first_ms, retry_max_ms, identity, reconciled)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $4, $9, $10, $11, $12, $13, $14)
ON CONFLICT DO NOTHING;

-- name: claim
-- $1 now (ms), $2 worker id, $3 lease (ms), $4 how many. Takes due deliveries (new, failed and due,
-- or with an expired lease), sets the lease, counts the run. Returns the rows it changed: those with
-- status 'processing' are claimed; those with status 'dead' were buried, not claimed: a lease that
-- expired on the row's last allowed run (its worker died or hung each time) makes the delivery dead
-- (the one condition repeated in each CASE). Burying in the claim, not in a statement of its own
-- before it: that statement's scan of every due row (a sequential scan on a table without
-- statistics yet) cost about 0.9 ms of PostgreSQL CPU per claim with 3,000 deliveries waiting. A
-- worker asks for as many as it starts now (its free slots), so each lease runs from the start of its run.
-- `= ANY(ARRAY(subquery))`, not `IN (subquery)`: with IN the planner may hash-join the picked ids
-- against a sequential scan of the whole table (seen for purge_processed's 500 rows on 20,000 rows
-- after ANALYZE); ANY(ARRAY) is a primary-key lookup per picked row, whatever the table's size.
UPDATE coassemble_webhook_inbox
SET status = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN 'dead' ELSE 'processing' END,
    attempts = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN attempts ELSE attempts + 1 END,
    lease_owner = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN NULL ELSE $2 END,
    run_at = CASE WHEN status = 'processing' AND attempts >= max_attempts THEN run_at ELSE $1 + $3 END,
    last_error = CASE WHEN status = 'processing' AND attempts >= max_attempts
                      THEN 'lease expired on run ' || attempts || ' (worker died or hung)' ELSE last_error END
WHERE delivery_id = ANY(ARRAY(
  SELECT delivery_id FROM coassemble_webhook_inbox
  WHERE status IN ('received', 'processing', 'failed') AND run_at <= $1
  ORDER BY run_at
  LIMIT $4
  FOR UPDATE SKIP LOCKED))
RETURNING delivery_id, event_type, signed_at, received_at, body, event_id, test, attempts, max_attempts,
          identity, reconciled, status;

-- name: heartbeat
-- $1 delivery_id, $2 worker id, $3 attempts (as claimed: the lease's fencing token), $4 the lease's
-- new end (ms). Run while a handler runs. No row affected: the lease was lost (it expired and another
-- worker took the delivery over); the run's outcome will not be recorded.
UPDATE coassemble_webhook_inbox
SET run_at = $4
WHERE delivery_id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'processing';

-- name: complete
-- A batch of outcomes in one statement (the one statement whose parameters differ from SQLite's):
-- $1 delivery ids (text[]), $2 worker id, $3 attempts (integer[], as claimed: each lease's fencing
-- token), $4 when each run ended (bigint[], ms); the arrays are parallel. Returns the ids recorded; an
-- id missing from the result lost its lease (expired and taken over): the new holder decides. One
-- statement per batch, not one per delivery: at 3,200 completes one UPDATE each cost 0.21 ms of
-- PostgreSQL CPU per delivery (a third of it planning), the largest share of the inbox's (issue 16).
UPDATE coassemble_webhook_inbox AS inbox
SET status = 'processed', processed_at = done.at, lease_owner = NULL, last_error = NULL
FROM unnest($1::text[], $3::integer[], $4::bigint[]) AS done (delivery_id, attempts, at)
WHERE inbox.delivery_id = done.delivery_id AND inbox.lease_owner = $2 AND inbox.attempts = done.attempts
  AND inbox.status = 'processing'
RETURNING inbox.delivery_id;

-- name: fail
-- $1 delivery_id, $2 worker id, $3 attempts (as claimed), $4 now (ms), $5 error text, $6 final
-- (true: dead now whatever the attempts, for a body no handler can run). The next run is the row's
-- backoff after now: retry_first_ms * 2^(attempts - 1), at most retry_max_ms; after the row's
-- max_attempts runs the delivery is dead (kept until re-driven or purged).
UPDATE coassemble_webhook_inbox
SET status = CASE WHEN $6::boolean OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
    run_at = $4 + LEAST(retry_first_ms << LEAST(GREATEST(attempts - 1, 0), 40), retry_max_ms),
    lease_owner = NULL, last_error = $5
WHERE delivery_id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'processing';

-- name: redrive
-- $1 delivery_id, or NULL for every dead delivery; $2 now (ms). A re-driven delivery gets a full set
-- of attempts again (its row's max_attempts); last_error keeps why it died until its next run.
UPDATE coassemble_webhook_inbox
SET status = 'received', attempts = 0, run_at = $2, lease_owner = NULL
WHERE status = 'dead' AND ($1::text IS NULL OR delivery_id = $1);

-- name: purge_processed
-- $1 cutoff (ms): processed before it; $2 batch size. Retention, run by the workers in bounded batches
-- (repeat while it removes a full batch). Keep the period well past Coassemble's retry window: a
-- retry of a removed delivery would be stored and run again. ANY(ARRAY(...)): see `claim`.
DELETE FROM coassemble_webhook_inbox
WHERE delivery_id = ANY(ARRAY(
  SELECT delivery_id FROM coassemble_webhook_inbox
  WHERE status = 'processed' AND processed_at < $1
  ORDER BY processed_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED));

-- name: purge_dead
-- $1 delivery_id, or NULL for every dead delivery. Only by an explicit call: dead letters are kept.
DELETE FROM coassemble_webhook_inbox
WHERE status = 'dead' AND ($1::text IS NULL OR delivery_id = $1);

-- name: list
-- $1 limit. Every delivery, newest first (the received_at index).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
ORDER BY received_at DESC, delivery_id DESC
LIMIT $1;

-- name: list_status
-- $1 status, $2 limit. The deliveries in one status, newest first (the status index).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
WHERE status = $1
ORDER BY received_at DESC, delivery_id DESC
LIMIT $2;

-- name: counts
-- One index probe per status (the status index), so counting does not read the table's other rows.
SELECT s.status, (SELECT count(*) FROM coassemble_webhook_inbox i WHERE i.status = s.status) AS count
FROM (VALUES ('received'), ('processing'), ('processed'), ('failed'), ('dead')) AS s(status);

-- ---- Operating the inbox (the dashboard, the metrics and the `coassemble-events inbox` CLI) ----
-- Read-only statements, run on the workers' connections. The type index above serves list_type and
-- list_status_type; the others use the indexes every receiver already has.

-- name: get
-- $1 delivery_id. One delivery with its stored body (the dashboard's detail view; the primary key).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test, signed_at, event_id, lease_owner, retry_first_ms, retry_max_ms, body, identity,
       reconciled
FROM coassemble_webhook_inbox
WHERE delivery_id = $1;

-- name: list_type
-- $1 event_type, $2 limit. The deliveries of one event type, newest first (the type index).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
WHERE event_type = $1
ORDER BY received_at DESC, delivery_id DESC
LIMIT $2;

-- name: list_status_type
-- $1 status, $2 event_type, $3 limit. One status and one event type, newest first (the type index,
-- in received_at order; the status is filtered on the way).
SELECT delivery_id, event_type, status, attempts, max_attempts, received_at, run_at, processed_at,
       last_error, test
FROM coassemble_webhook_inbox
WHERE event_type = $2 AND status = $1
ORDER BY received_at DESC, delivery_id DESC
LIMIT $3;

-- name: oldest_due
-- $1 now (ms). When the longest-waiting due delivery became due (NULL: none is due): new, failed and
-- due, or with an expired lease. now - run_at is how far the workers are behind (the due index).
SELECT min(run_at) AS run_at
FROM coassemble_webhook_inbox
WHERE status IN ('received', 'processing', 'failed') AND run_at <= $1;

-- name: expired_leases
-- $1 now (ms), $2 limit. Deliveries whose lease has expired (their worker died or hung): read just
-- before a claim by a process that counts leases taken over (the due index).
SELECT delivery_id
FROM coassemble_webhook_inbox
WHERE status = 'processing' AND run_at <= $1
LIMIT $2;

-- name: activity
-- $1 since (ms), $2 bucket width (ms). Deliveries received, and processed, per bucket since $1
-- (bucket = the bucket's start, ms), oldest first; empty buckets are absent. Processed deliveries
-- past their retention are gone, so keep the window within retentionMs. The received and retention
-- indexes: each half is an index range scan.
SELECT bucket, sum(received) AS received, sum(processed) AS processed
FROM (
  SELECT received_at - received_at % $2 AS bucket, 1 AS received, 0 AS processed
  FROM coassemble_webhook_inbox
  WHERE received_at >= $1
  UNION ALL
  SELECT processed_at - processed_at % $2 AS bucket, 0 AS received, 1 AS processed
  FROM coassemble_webhook_inbox
  WHERE status = 'processed' AND processed_at >= $1
) AS a
GROUP BY bucket
ORDER BY bucket;


-- ---- Reconciliation (js/server/inbox.js, inbox.reconcile): the lock and the last-run record ----

-- name: lock_take
-- $1 name, $2 owner, $3 now (ms), $4 lease end (ms), $5 due (ms): taken only when the last run ended
-- at or before it (a fleet runs a schedule once per period; pass now to ignore it). Takes the named lease
-- when it is free (never taken, expired, or already this owner's). One row returned: taken; none: another
-- instance holds it, or the last run is recent.
INSERT INTO coassemble_webhook_inbox_lock AS l (name, owner, lease_until)
VALUES ($1, $2, $4)
ON CONFLICT (name) DO UPDATE SET owner = $2, lease_until = $4
WHERE (l.lease_until <= $3 OR l.owner = $2)
  AND (l.last_run_at IS NULL OR l.last_run_at <= $5)
RETURNING name, last_run_at;

-- name: lock_release
-- $1 name, $2 owner, $3 now (ms), $4 outcome ('ok' | an error code), $5 report (JSON text). Frees the
-- lease (if still this owner's) and records the run.
UPDATE coassemble_webhook_inbox_lock
SET lease_until = 0, owner = NULL, last_run_at = $3, last_outcome = $4, last_report = $5
WHERE name = $1 AND owner = $2;

-- name: lock_get
-- $1 name. The lease and the last run (the dashboard's "last reconciliation").
SELECT name, owner, lease_until, last_run_at, last_outcome, last_report
FROM coassemble_webhook_inbox_lock
WHERE name = $1;
