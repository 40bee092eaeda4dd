//! The SQLite backend (`rusqlite`, SQLite bundled): `sql/inbox.sqlite.sql`, one file on one machine,
//! shared by the processes that open it (WAL mode; SQLite serialises their writes).
//!
//! One process uses two connections behind one mutex: SQLite takes one writer at a time anyway, and
//! threads waiting on a mutex are woken at once, where connections contending for SQLite's lock poll
//! with growing sleeps. The intake's connection commits with `synchronous = FULL`; the workers' one
//! with `work_session`'s setting. Other processes on the file wait on SQLite's lock (busy timeout).
//!
//! Group commit: a durable commit costs one fsync, and this is the intake's limit (a disk gives a few
//! hundred fsyncs a second; SQLite has no group commit of its own). So intakes do not commit
//! themselves: each hands its row to one committer thread and waits. The committer takes every row
//! queued while its previous commit ran, inserts them in one transaction, commits once, and only then
//! answers each caller (stored, known, or the commit's error). Idle, a lone row is committed at once.

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use super::{statement, Claimed, Entry, NewRow, Status, StoreError};

const SQL: &str = include_str!("../../../sql/inbox.sqlite.sql");

fn failed(error: rusqlite::Error) -> StoreError {
    StoreError::new(error)
}

/// Each statement's text, cut from the SQL file once.
struct Statements {
    claim: String,
    heartbeat: String,
    complete: String,
    fail: String,
    redrive: String,
    purge_processed: String,
    purge_dead: String,
    list: String,
    list_status: String,
    counts: String,
}

/// The inbox's busy handler for SQLite connections (`rusqlite::Connection::busy_handler`); use it on
/// the application's own connections to the inbox file too (a handler writing its effects there).
///
/// Another connection holds the write lock: wait for it in short steps, up to about 10 s, then fail
/// (the intake answers 503). SQLite's own busy timeout sleeps up to 100 ms per retry, which under
/// steady load turns a wait of a millisecond into one of a hundred.
pub fn sqlite_busy_handler(retries: i32) -> bool {
    std::thread::sleep(Duration::from_micros(250));
    retries < 40_000
}

struct Connections {
    intake: Connection,
    work: Connection,
}

impl Connections {
    fn open(path: &str) -> Result<Connections, StoreError> {
        let connect = |work: bool| -> Result<Connection, StoreError> {
            let connection = Connection::open(path).map_err(failed)?;
            connection
                .execute_batch(&statement(SQL, "connect"))
                .map_err(failed)?;
            connection
                .busy_handler(Some(sqlite_busy_handler))
                .map_err(failed)?;
            if work {
                connection
                    .execute_batch(&statement(SQL, "work_session"))
                    .map_err(failed)?;
            }
            Ok(connection)
        };
        Ok(Connections {
            intake: connect(false)?,
            work: connect(true)?,
        })
    }
}

/// The file and this process's connections to it, shared with the intake's committer thread.
struct Database {
    path: String,
    /// `None` after an error: opened again on the next call.
    connections: Mutex<Option<Connections>>,
}

impl Database {
    /// Runs `work` on the intake's connection or the workers', holding the process's lock.
    fn with<T>(
        &self,
        work: bool,
        run: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut open = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        let connections = match open.take() {
            Some(connections) => connections,
            None => Connections::open(&self.path)?,
        };
        let result = run(if work {
            &connections.work
        } else {
            &connections.intake
        });
        if result.is_ok() {
            *open = Some(connections);
        }
        result.map_err(failed)
    }
}

/// A verified delivery waiting for the next intake commit.
struct QueuedRow {
    row: NewRow,
    /// Where the caller awaits: stored now (`true`), a known id (`false`), or the commit's error.
    answer: tokio::sync::oneshot::Sender<Result<bool, String>>,
}

/// The committer thread's loop, until the store is dropped (its sender with it).
fn commit_intakes(database: Arc<Database>, insert: String, queue: mpsc::Receiver<QueuedRow>) {
    // `recv` blocks only while nothing waits, so a lone row is committed at once; under load the
    // batch is whatever queued during the previous commit's fsync.
    while let Ok(first) = queue.recv() {
        let batch: Vec<QueuedRow> = std::iter::once(first).chain(queue.try_iter()).collect();
        let outcome = database.with(false, |c| {
            let transaction = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            // Row by row in queue order, so a second row with an id already in this batch meets
            // the first one's insert (ON CONFLICT) and is answered as known, as it would be alone.
            let stored = {
                let mut insert = transaction.prepare_cached(&insert)?;
                batch
                    .iter()
                    .map(|QueuedRow { row, .. }| {
                        let changed = insert.execute(params![
                            row.id,
                            row.event_type,
                            row.signed_at,
                            row.received_at,
                            row.body,
                            row.event_id,
                            row.test,
                            row.status.as_str(),
                            row.last_error,
                            row.max_attempts,
                            row.retry_first_ms,
                            row.retry_max_ms,
                            row.identity,
                            row.reconciled
                        ])?;
                        Ok(changed == 1)
                    })
                    .collect::<Result<Vec<bool>, rusqlite::Error>>()?
            };
            transaction.commit()?;
            Ok(stored)
        });
        // A caller that gave up waiting (its request was dropped) has dropped its receiver: nothing
        // to do.
        match outcome {
            Ok(stored) => {
                for (row, stored) in batch.into_iter().zip(stored) {
                    let _ = row.answer.send(Ok(stored));
                }
            }
            // Nothing of the batch is committed (the transaction rolled back): each caller's 503.
            Err(error) => {
                let error = error.to_string();
                for row in batch {
                    let _ = row.answer.send(Err(error.clone()));
                }
            }
        }
    }
}

pub(super) struct SqliteStore {
    database: Arc<Database>,
    /// To the committer thread (see the module's doc).
    intake: mpsc::Sender<QueuedRow>,
    sql: Statements,
}

impl SqliteStore {
    pub(super) fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let database = Arc::new(Database {
            path: path.to_owned(),
            connections: Mutex::new(None),
        });
        database.with(false, migrate)?;
        let (intake, queue) = mpsc::channel();
        let (committer, insert) = (database.clone(), statement(SQL, "insert"));
        std::thread::Builder::new()
            .name("inbox-intake-commit".into())
            .spawn(move || commit_intakes(committer, insert, queue))
            .map_err(StoreError::new)?;
        Ok(SqliteStore {
            database,
            intake,
            sql: Statements {
                claim: statement(SQL, "claim"),
                heartbeat: statement(SQL, "heartbeat"),
                complete: statement(SQL, "complete"),
                fail: statement(SQL, "fail"),
                redrive: statement(SQL, "redrive"),
                purge_processed: statement(SQL, "purge_processed"),
                purge_dead: statement(SQL, "purge_dead"),
                list: statement(SQL, "list"),
                list_status: statement(SQL, "list_status"),
                counts: statement(SQL, "counts"),
            },
        })
    }

    fn with<T>(
        &self,
        run: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        self.database.with(true, run)
    }

    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        self.with(|c| c.prepare_cached(sql)?.execute(params))
    }
}

/// `schema`, then `upgrade` when the table is one made by 0.1 (no `max_attempts`) and
/// `upgrade_identity` when it lacks `identity` (made by 0.1 or 0.2), each checked again inside the
/// write lock, so that processes opening the file at once upgrade it once; then `indexes`.
fn migrate(c: &Connection) -> Result<(), rusqlite::Error> {
    c.execute_batch(&statement(SQL, "schema"))?;
    let has = |c: &Connection, column: &str| -> Result<bool, rusqlite::Error> {
        let mut columns = c.prepare(&statement(SQL, "columns"))?;
        let names = columns.query_map([], |row| row.get::<_, String>(0))?;
        for name in names {
            if name? == column {
                return Ok(true);
            }
        }
        Ok(false)
    };
    for (column, upgrade) in [
        ("max_attempts", "upgrade"),
        ("identity", "upgrade_identity"),
    ] {
        if !has(c, column)? {
            let transaction = Transaction::new_unchecked(c, TransactionBehavior::Immediate)?;
            if !has(&transaction, column)? {
                transaction.execute_batch(&statement(SQL, upgrade))?;
            }
            transaction.commit()?;
        }
    }
    c.execute_batch(&statement(SQL, "indexes"))
}

fn entry(row: &rusqlite::Row<'_>) -> Result<(String, Entry), rusqlite::Error> {
    Ok((
        row.get::<_, String>(2)?,
        Entry {
            id: row.get(0)?,
            event_type: row.get(1)?,
            status: Status::Received,
            attempts: row.get(3)?,
            max_attempts: row.get(4)?,
            received_at: row.get(5)?,
            run_at: row.get(6)?,
            processed_at: row.get(7)?,
            last_error: row.get(8)?,
            test: row.get(9)?,
        },
    ))
}

/// Each method runs the statement(s) of the same name in `sql/inbox.sqlite.sql`; blocking (the inbox
/// calls them on tokio's blocking pool), except `insert`, which awaits the committer thread.
impl SqliteStore {
    /// Queues the row for the committer thread and awaits its batch's commit (or failure).
    pub(super) async fn insert(&self, row: NewRow) -> Result<bool, StoreError> {
        let stopped = || StoreError::new("the inbox's intake committer has stopped");
        let (answer, outcome) = tokio::sync::oneshot::channel();
        self.intake
            .send(QueuedRow { row, answer })
            .map_err(|_| stopped())?;
        outcome
            .await
            .map_err(|_| stopped())?
            .map_err(StoreError::new)
    }

    pub(super) fn claim(
        &self,
        now: i64,
        worker: &str,
        lease: i64,
        limit: u32,
    ) -> Result<Vec<Claimed>, StoreError> {
        self.with(|c| {
            let mut claim = c.prepare_cached(&self.sql.claim)?;
            // Rows it buried (a lease expired on its last run) come back dead: not claimed.
            let rows = claim.query_map(params![now, worker, lease, limit], |row| {
                let claimed = Claimed {
                    id: row.get(0)?,
                    event_type: row.get(1)?,
                    signed_at: row.get(2)?,
                    received_at: row.get(3)?,
                    body: row.get(4)?,
                    attempts: row.get(7)?,
                    max_attempts: row.get(8)?,
                };
                Ok((row.get::<_, String>(11)? != "dead").then_some(claimed))
            })?;
            let rows = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().flatten().collect())
        })
    }

    pub(super) fn heartbeat(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        until: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(&self.sql.heartbeat, params![id, worker, attempts, until])? == 1)
    }

    pub(super) fn complete(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(&self.sql.complete, params![id, worker, attempts, now])? == 1)
    }

    pub(super) fn fail(
        &self,
        id: &str,
        worker: &str,
        attempts: u32,
        now: i64,
        error: &str,
        last: bool,
    ) -> Result<bool, StoreError> {
        let changed = self.execute(
            &self.sql.fail,
            params![id, worker, attempts, now, error, last],
        )?;
        Ok(changed == 1)
    }

    pub(super) fn redrive(&self, id: Option<&str>, now: i64) -> Result<u64, StoreError> {
        Ok(self.execute(&self.sql.redrive, params![id, now])? as u64)
    }

    pub(super) fn purge_processed(&self, cutoff: i64, batch: u32) -> Result<u64, StoreError> {
        Ok(self.execute(&self.sql.purge_processed, params![cutoff, batch])? as u64)
    }

    pub(super) fn purge_dead(&self, id: Option<&str>) -> Result<u64, StoreError> {
        Ok(self.execute(&self.sql.purge_dead, params![id])? as u64)
    }

    pub(super) fn list(
        &self,
        status: Option<Status>,
        limit: u32,
    ) -> Result<Vec<Entry>, StoreError> {
        let rows = self.with(|c| match status {
            None => c
                .prepare_cached(&self.sql.list)?
                .query_map(params![limit], entry)?
                .collect::<Result<Vec<_>, _>>(),
            Some(status) => c
                .prepare_cached(&self.sql.list_status)?
                .query_map(params![status.as_str(), limit], entry)?
                .collect::<Result<Vec<_>, _>>(),
        })?;
        rows.into_iter()
            .map(|(status, entry)| {
                Ok(Entry {
                    status: Status::parse(&status)?,
                    ..entry
                })
            })
            .collect()
    }

    pub(super) fn counts(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        let rows = self.with(|c| {
            let mut counts = c.prepare_cached(&self.sql.counts)?;
            let rows = counts.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        })?;
        rows.into_iter()
            .map(|(status, count)| Ok((Status::parse(&status)?, count.max(0) as u64)))
            .collect()
    }
}
