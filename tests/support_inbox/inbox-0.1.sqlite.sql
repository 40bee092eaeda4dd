-- The webhook inbox, SQLite dialect (3.35+ for RETURNING). One schema and one set of statements for every receiver:
-- the Rust crate (include_str!) and the Node package (read at run time) both load this file, so a Rust
-- and a Node receiver can serve one database. Keep it in step with inbox.postgres.sql (same statement
-- names, same parameters in the same order); the inbox contract tests run both against both languages.
--
-- A delivery's life, kept on its row (status):
--   received    stored by the intake (the 2xx was sent after this row was committed); claimable
--   processing  a worker holds a lease on it until run_at; an expired lease makes it claimable again
--   processed   the handler returned; final
--   failed      the handler threw; claimable again at run_at (backoff)
--   dead        failed max_attempts times, or unprocessable (not JSON): kept, listed, re-driven by hand
-- Times are unix milliseconds from the application's clock (leases are tens of seconds; skew between
-- machines is far smaller). delivery_id is the one unique key: inserting a known id is a no-op.
-- Statements are separated by lines "-- name: <statement>"; ?n are positional parameters.
-- SQLite has no SKIP LOCKED: its writers are serialised (run claim in BEGIN IMMEDIATE, WAL mode), so
-- the single UPDATE ... RETURNING below is the claim, atomic across processes on one machine.

-- name: connect
-- Run on every new connection. WAL lets readers and one writer work at once across processes;
-- synchronous FULL makes a commit durable (fsync) before the intake answers 2xx; busy_timeout waits
-- for another process's write instead of failing at once.
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
  processed_at INTEGER
);
CREATE INDEX IF NOT EXISTS coassemble_webhook_inbox_due ON coassemble_webhook_inbox (run_at)
  WHERE status IN ('received', 'processing', 'failed');

-- name: insert
-- ?1 delivery_id, ?2 event_type, ?3 signed_at (s), ?4 received_at (ms), ?5 body, ?6 event_id,
-- ?7 test, ?8 status ('received', or 'dead' for a body that is not JSON), ?9 last_error.
-- One row affected: stored now. None: a known delivery id (a retry): answer 200, store nothing.
INSERT INTO coassemble_webhook_inbox
  (delivery_id, event_type, signed_at, received_at, body, event_id, test, status, attempts, run_at, last_error)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?4, ?9)
ON CONFLICT (delivery_id) DO NOTHING;

-- name: bury_expired
-- ?1 now (ms), ?2 max_attempts. A lease that expired on the last allowed run (its worker died or hung
-- each time) makes the delivery dead instead of claimable.
UPDATE coassemble_webhook_inbox
SET status = 'dead', lease_owner = NULL,
    last_error = 'lease expired on run ' || attempts || ' (worker died or hung)'
WHERE status = 'processing' AND run_at <= ?1 AND attempts >= ?2;

-- name: claim
-- ?1 now (ms), ?2 worker id, ?3 lease (ms), ?4 how many. Takes due deliveries (new, failed and due,
-- or with an expired lease), sets the lease, counts the run. Returns the claimed rows.
UPDATE coassemble_webhook_inbox
SET status = 'processing', attempts = attempts + 1, lease_owner = ?2, run_at = ?1 + ?3
WHERE delivery_id IN (
  SELECT delivery_id FROM coassemble_webhook_inbox
  WHERE status IN ('received', 'processing', 'failed') AND run_at <= ?1
  ORDER BY run_at
  LIMIT ?4)
RETURNING delivery_id, event_type, signed_at, received_at, body, event_id, test, attempts;

-- name: complete
-- ?1 delivery_id, ?2 worker id, ?3 attempts (as claimed: the lease's fencing token), ?4 now (ms).
-- No row affected: the lease was lost (expired and taken over); the new holder decides.
UPDATE coassemble_webhook_inbox
SET status = 'processed', processed_at = ?4, lease_owner = NULL, last_error = NULL
WHERE delivery_id = ?1 AND lease_owner = ?2 AND attempts = ?3 AND status = 'processing';

-- name: fail
-- ?1 delivery_id, ?2 worker id, ?3 attempts (as claimed), ?4 next run (ms), ?5 error text,
-- ?6 max_attempts. After max_attempts runs the delivery is dead (kept, never deleted).
UPDATE coassemble_webhook_inbox
SET status = CASE WHEN attempts >= ?6 THEN 'dead' ELSE 'failed' END,
    run_at = ?4, lease_owner = NULL, last_error = ?5
WHERE delivery_id = ?1 AND lease_owner = ?2 AND attempts = ?3 AND status = 'processing';

-- name: redrive
-- ?1 delivery_id, or NULL for every dead delivery; ?2 now (ms). A re-driven delivery gets a full set
-- of attempts again; last_error keeps why it died until its next run.
UPDATE coassemble_webhook_inbox
SET status = 'received', attempts = 0, run_at = ?2, lease_owner = NULL
WHERE status = 'dead' AND (?1 IS NULL OR delivery_id = ?1);

-- name: list
-- ?1 status or NULL for all, ?2 limit. Newest first.
SELECT delivery_id, event_type, status, attempts, received_at, run_at, processed_at, last_error, test
FROM coassemble_webhook_inbox
WHERE (?1 IS NULL OR status = ?1)
ORDER BY received_at DESC, delivery_id
LIMIT ?2;

-- name: counts
SELECT status, count(*) FROM coassemble_webhook_inbox GROUP BY status;
